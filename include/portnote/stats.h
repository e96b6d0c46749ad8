/* stats.h — per-service statistics.
 *
 * Flows are grouped by what their server port is registered for on its
 * transport: every name of the slot ("http, www, www-http"), or
 * "unregistered tcp/4489", or "unknown" when nothing tells the sides
 * apart. Ended flows are added one by one; nothing here is on the packet
 * path. */
#ifndef PORTNOTE_STATS_H
#define PORTNOTE_STATS_H

#include "portnote/annotate.h"
#include "portnote/flow.h"
#include "portnote/flowprint.h"
#include "portnote/output.h"
#include "portnote/timeline.h"

#include <stdio.h>

struct pn_service_stats;

enum pn_sort { PN_SORT_BYTES, PN_SORT_PACKETS, PN_SORT_FLOWS };

/* With `evidence`, flows are counted per payload verdict too, and those
 * whose payload differs from the registration are grouped by server port
 * and what they looked like. */
struct pn_service_stats *pn_service_stats_create(const struct pn_registry *reg,
						 struct pn_annotator *ann,
						 bool evidence);
void pn_service_stats_add(struct pn_service_stats *s, const struct pn_flow *f);

/* Distinct clients and servers are counted exactly up to this many per
 * row; past it a HyperLogLog sketch of PN_STATS_HLL_REGISTERS registers
 * estimates them, with a standard error of 1.04 / sqrt(registers), 1.6 %,
 * and every output marks such a count as approximate. */
#define PN_STATS_EXACT_ADDRS 4096u
#define PN_STATS_HLL_REGISTERS 4096u

/* At most this many services are kept (a scan of random ports names one
 * per unregistered port, tens of thousands): the flows of any further
 * service are summed into one row of services past the bound, which every
 * output folds into its row of other services and says so. */
#define PN_STATS_MAX_SERVICES 2048u

struct pn_report_info {
	const char *inputs; /* "captures/demo.pcap", for the header */
	/* For JSON: the -r files (an array), or the live interface. */
	const char *const *files;
	int n_files;
	const char *iface;
	const struct pn_registry *reg;
	unsigned top;
	enum pn_sort sort;
	const struct pn_flow_counters *flows;
};

void pn_service_stats_report(struct pn_service_stats *s, enum pn_format fmt,
			     FILE *out, const struct pn_report_info *info);
void pn_service_stats_destroy(struct pn_service_stats *s);

/* Keeps bytes over time per service too (`portnote report`), from before
 * the first flow is added: each ended flow's bytes, each way, spread
 * evenly over the time between that side's first and last packet, into
 * bins of one timeline (timeline.h). At flow granularity, so nothing is
 * added to the packet path; a service keeps counters for the bins its flows
 * touched, at most PN_TIMELINE_BINS. */
void pn_service_stats_keep_timeline(struct pn_service_stats *s);

/* One row of the statistics as numbers, as the text report prints it. */
struct pn_service_row {
	const char *name;  /* "https", "unregistered tcp/4489"; NULL for the
			      other services and for all flows */
	uint8_t transport; /* PN_TRANSPORT_COUNT: several */
	uint16_t port_min, port_max;
	uint64_t flows, packets[2], bytes[2]; /* [0] client to server */
	uint64_t clients, servers;	      /* distinct addresses */
	bool clients_approximate, servers_approximate; /* estimates */
	pn_time_us first_us, last_us;		       /* when flows > 0 */
	uint64_t basis[PN_BASIS_COUNT];
	uint64_t flagged[PN_FF_COUNT]; /* flows per PN_FF_* bit */
	uint64_t verdict[PN_V_COUNT];  /* by enum pn_payload_verdict */
	const uint64_t *bins;	       /* bytes both ways per timeline bin,
					  earliest first; NULL without one */
};

/* One server port whose payload differs from its registration. */
struct pn_differ_row {
	uint16_t port;
	uint8_t transport;
	bool declared;		  /* expected from a site declaration */
	char registered_for[512]; /* "http, www, www-http" or "declared:
				     ssh" (raw: escape for the output) */
	char looks_like[256];	  /* "SSH", "nothing known (not TLS)" */
	uint64_t flows, clients, servers, bytes;
	bool clients_approximate, servers_approximate; /* estimates */
};

/* The statistics as pn_service_stats_report orders them: the `top`
 * services by `sort` (0: all), the rest summed, all flows, and the ports
 * whose payload differs, by flows. */
struct pn_stats_view {
	unsigned services; /* in all, those kept */
	/* Past PN_STATS_MAX_SERVICES: the slots or ports whose service was
	 * not kept, and their flows (in rest). */
	uint64_t past_keys, past_flows;
	unsigned shown; /* rows */
	struct pn_service_row *rows;
	struct pn_service_row rest; /* flows == 0 when every one is shown */
	struct pn_service_row all;
	bool evidence;
	unsigned n_differs;
	struct pn_differ_row *differs;
	/* The timeline, with pn_service_stats_keep_timeline: `bins` bins of
	 * bin_us µs from bin0_us (every row's `bins` holds that many). */
	unsigned bins;
	pn_time_us bin0_us;
	int64_t bin_us;
	uint64_t *bin_block; /* owned: what the rows' bins point into */
};

struct pn_stats_view *pn_service_stats_view(struct pn_service_stats *s,
					    unsigned top, enum pn_sort sort);
void pn_stats_view_free(struct pn_stats_view *v);

#endif
