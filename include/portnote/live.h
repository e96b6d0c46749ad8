/* live.h — "portnote live": what an interface carries right now, per
 * service, for people (a refreshing terminal view), for scripts (one
 * snapshot per interval as text or JSON lines) and for monitoring systems
 * (Prometheus metrics over HTTP).
 *
 * The capture loop owns the flow table. Once per interval it builds a
 * snapshot: totals per service (ended flows plus the current counters of
 * active ones) and rates from the difference to the previous snapshot.
 * The view, the snapshot writer and the metrics server only read
 * snapshots; the metrics server, which answers from its own thread, keeps
 * a rendered copy under a lock.
 */
#ifndef PORTNOTE_LIVE_H
#define PORTNOTE_LIVE_H

#include "portnote/decode.h"
#include "portnote/flow.h"
#include "portnote/registry.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* One service: the registered names of a server port on its transport
 * (every name of the slot), or an unregistered/unnamed port, or "unknown"
 * (no side could be told apart). */
struct pn_live_service {
	char name[256];	   /* "https", "http, www, www-http",
			      "unregistered tcp/4444", "unknown" */
	uint8_t transport; /* enum pn_transport */
	uint16_t port;	   /* server port */
	bool registered;   /* name comes from the registry */
	uint16_t flags;	   /* PN_FF_* of the server port */
	/* Totals since the start; [0] client to server, [1] server to
	 * client. Counters: they never go down. */
	uint64_t packets[2], bytes[2];
	uint64_t flows; /* flows started */
	/* Flows by payload verdict: ended ones, and active ones whose
	 * verdict can no longer change (both sides examined), so each count
	 * only grows. differs_looks splits the differing ones by what they
	 * looked like (enum pn_proto; PN_P_NONE: nothing known). */
	uint64_t verdict[PN_V_COUNT];
	uint64_t differs_looks[PN_P_COUNT];
	/* Now. */
	uint32_t active;		/* active flows */
	uint32_t basis[PN_BASIS_COUNT]; /* active flows per basis */
	/* Over the last interval. */
	double packets_per_s, bits_per_s, new_flows_per_s;
	uint64_t new_flows;
};

struct pn_live_snapshot {
	const char *iface;
	const char *registry_date;
	double elapsed;	 /* seconds since the capture started */
	double interval; /* seconds this snapshot's rates cover */
	/* Capture totals. */
	uint64_t packets, bytes;
	double packets_per_s, bits_per_s;
	bool have_pcap_stats;
	uint64_t pcap_received, pcap_dropped, pcap_ifdropped;
	/* Decode anomalies: counts per reason, as in decode.h. */
	struct pn_decode_counters decode;
	/* Flows. */
	uint64_t active_flows, flows_started, flows_ended, flows_evicted;
	uint32_t max_flows;
	/* Payload evidence (off with --no-evidence): flows by verdict, as
	 * the services' counts summed. */
	bool evidence;
	uint64_t verdict[PN_V_COUNT];
	/* IPFIX export (--ipfix): records handed over, and not sent. */
	bool ipfix;
	uint64_t ipfix_records, ipfix_lost;
	/* Services, sorted by the view's sort key (bytes/s by default). */
	struct pn_live_service *services;
	uint32_t n_services;
};

enum pn_live_sort {
	PN_LIVE_SORT_BYTES,
	PN_LIVE_SORT_PACKETS,
	PN_LIVE_SORT_FLOWS,
};

/* Orders snap->services by current rate: bytes/s, packets/s or active
 * flows, largest first; ties by name. */
void pn_live_sort(struct pn_live_snapshot *snap, enum pn_live_sort key);

/* The terminal view (live_view.c, ncurses). */
enum pn_view_action {
	PN_VIEW_NONE,
	PN_VIEW_QUIT,
	PN_VIEW_REDRAW, /* a key changed the view: draw again now */
};

struct pn_view_state {
	enum pn_live_sort sort;
	bool paused;		/* the display is frozen; capture goes on */
	bool show_unregistered; /* list unregistered/unknown ports too */
	bool differs_only;	/* list only services with differing flows */
};

/* Takes over the terminal; false (with a message on stderr) if it cannot. */
bool pn_view_start(void);
/* Draws one snapshot (already sorted by state->sort). */
void pn_view_draw(const struct pn_live_snapshot *snap,
		  const struct pn_view_state *state);
/* Reads pending keys without waiting and updates state: b/p/f sort by
 * bytes/packets/flows, space pauses and resumes, u toggles unregistered
 * ports, d toggles showing only services with differing flows, q quits. */
enum pn_view_action pn_view_keys(struct pn_view_state *state);
/* Gives the terminal back. */
void pn_view_stop(void);

/* Prometheus metrics (metrics.c, libmicrohttpd). */
struct pn_metrics;

/* Starts serving /metrics on addr_port ("127.0.0.1:9100", "9100" — then
 * the address is 127.0.0.1 —, "[::1]:9100", "0.0.0.0:9100"). At most
 * top_services services get label values of their own, chosen once and
 * kept (so every series stays monotonic); the rest are summed under
 * service="other". NULL with a message in err if it cannot. */
struct pn_metrics *pn_metrics_start(const char *addr_port,
				    unsigned top_services, char *err,
				    size_t err_size);
/* Whether addr_port is one pn_metrics_start can bind, as far as its
 * spelling goes: false with the reason in err. For usage errors before
 * the capture opens. */
bool pn_metrics_address_ok(const char *addr_port, char *err, size_t err_size);
/* Renders a snapshot as the exposition the server answers with from now
 * on. Safe to call while the server thread answers requests. */
void pn_metrics_update(struct pn_metrics *m,
		       const struct pn_live_snapshot *snap);
/* The exposition text last rendered (what /metrics serves), copied into a
 * malloc'ed string; for tests and --metrics-file. */
char *pn_metrics_text(struct pn_metrics *m);
/* The TCP port it listens on (useful after asking for port 0). */
unsigned pn_metrics_port(const struct pn_metrics *m);
void pn_metrics_stop(struct pn_metrics *m);

#endif
