/* flow.h — bidirectional flows, and which side of each is the service.
 *
 * A flow is keyed by transport, both address/port endpoints and the outer
 * VLAN id, with the endpoints in canonical order (the smaller address, then
 * port, is endpoint 0), so both directions of a conversation and IPv4 and
 * IPv6 alike land in one entry. The packet path does one hash of the key
 * and one table lookup; flows come from a pool, and the registry is read
 * only when a flow is created.
 *
 * A flow ends when TCP has seen FIN from both sides or a RST (after a short
 * linger, so the last ACK still counts), when SCTP sees ABORT or SHUTDOWN
 * COMPLETE, when DCCP sees Reset, after an idle timeout per transport, when
 * --max-flows forces out the least recently seen one (to within a second
 * of capture time), or at the end of the input. Every ended flow is handed
 * to the caller, then freed.
 */
#ifndef PORTNOTE_FLOW_H
#define PORTNOTE_FLOW_H

#include "portnote/capture.h"
#include "portnote/declare.h"
#include "portnote/decode.h"
#include "portnote/evidence.h"
#include "portnote/registry.h"

#include <stdbool.h>
#include <stdint.h>
#include <uthash.h>

/* Defaults, printed by --help. Idle timeouts are in seconds of capture
 * time: a TCP connection may sit idle for minutes between requests, a UDP
 * exchange rarely. */
#define PN_FLOW_IDLE_TCP 300
#define PN_FLOW_IDLE_UDP 60
#define PN_FLOW_IDLE_SCTP 300
#define PN_FLOW_IDLE_DCCP 300
#define PN_FLOW_LINGER 2 /* after FIN/FIN or RST: the last ACKs */
#define PN_FLOW_MAX 1000000

/* On what evidence the server side was chosen, strongest first. */
enum pn_basis {
	PN_BASIS_HANDSHAKE, /* SYN, SYN+ACK, SCTP INIT, DCCP-Request */
	PN_BASIS_REGISTRY,  /* exactly one port registered on the transport */
	PN_BASIS_FIRST_PACKET, /* equal ports: the first sender is the
				  client */
	PN_BASIS_PORT_CLASS,   /* both or neither registered: lower class, then
				  lower number */
	PN_BASIS_NONE,	       /* both Dynamic and unregistered */
	PN_BASIS_COUNT,
};

enum pn_flow_end {
	PN_END_ACTIVE,	/* not ended yet */
	PN_END_FIN,	/* FIN from both sides (SCTP SHUTDOWN COMPLETE) */
	PN_END_RST,	/* TCP RST, SCTP ABORT, DCCP Reset */
	PN_END_IDLE,	/* idle timeout */
	PN_END_EVICTED, /* --max-flows */
	PN_END_INPUT,	/* still open at the end of the input */
	PN_END_COUNT,
};

/* What the registry says about the service port, and ambiguity. */
enum {
	PN_FF_RESERVED = 1u << 0,
	PN_FF_UNASSIGNED = 1u << 1,
	PN_FF_DYNAMIC = 1u << 2,
	PN_FF_UNAUTHORIZED = 1u << 3,
	PN_FF_AMBIGUOUS = 1u << 4, /* both ports registered, to different
				      services, and no handshake chose */
};

struct pn_flow_key {
	uint8_t addr[2][16]; /* endpoint 0, endpoint 1 (IPv4-mapped) */
	uint16_t port[2];
	uint16_t vlan;
	uint8_t transport; /* enum pn_transport */
	uint8_t ip_version;
};

struct pn_flow {
	struct pn_flow_key key;
	UT_hash_handle hh;
	struct pn_flow *older, *newer; /* its idle list, oldest first */
	uint64_t packets[2], bytes[2]; /* sent by endpoint 0, endpoint 1 */
	/* Capture times of each side's first and last packet: meaningful
	 * only when packets[side] > 0 (any time, 1970-01-01 and earlier
	 * too, is a valid one). */
	pn_time_us first_us[2], last_us[2];
	pn_time_us seen_us;   /* last packet either way */
	pn_time_us queued_us; /* when it joined its idle list (see flow.c) */
	uint16_t slot[2];     /* registry slot of each endpoint's port */
	uint16_t flags;	      /* PN_FF_* for the server side */
	uint8_t tcp_flags[2]; /* union of flags each side sent */
	uint8_t server;	      /* endpoint that is the service: 0 or 1 */
	uint8_t basis;	      /* enum pn_basis */
	uint8_t fin;	      /* bit per endpoint that sent FIN */
	uint8_t end;	      /* enum pn_flow_end */
	uint8_t list;	      /* which idle list holds it */
	uint8_t closing;      /* PN_END_FIN or PN_END_RST once closed: the flow
				 lingers briefly, then ends with that reason */
	bool walked;	      /* passed to pn_flow_foreach before */
	/* The verdict last marked on a packet (`packets`): 0 none, else
	 * (verdict + 1) | looks_like << 3 (pn_flow_verdict_mark). */
	uint8_t marked;
	struct pn_flow_evidence ev; /* what its first payload looked like */
};

_Static_assert(PN_P_COUNT <= 32 && PN_V_COUNT < 8,
	       "a verdict mark packs a verdict and a protocol in a byte");

static inline uint8_t pn_flow_verdict_mark(enum pn_payload_verdict v,
					   enum pn_proto looks_like)
{
	return (uint8_t)((unsigned)(v + 1) | (unsigned)looks_like << 3);
}

struct pn_flow_config {
	uint32_t max_flows;
	int64_t idle_us[PN_TRANSPORT_COUNT]; /* durations, > 0 */
	int64_t linger_us;
	bool evidence;	  /* examine first payloads (pn_flow_evidence) */
	bool keep_tokens; /* and keep what showed it, for printing */
	/* Call on_end on a thread of its own, in the order flows end, while
	 * packets go on: for a caller whose on_end touches nothing the
	 * packet path does. Every flow ended before pn_flow_flush returns
	 * has been through on_end when it returns. */
	bool end_thread;
};

struct pn_flow_counters {
	uint64_t created;
	uint64_t ended[PN_END_COUNT];
	uint64_t active, peak;
};

typedef void (*pn_flow_end_fn)(void *ctx, const struct pn_flow *flow);

struct pn_flow_table;

void pn_flow_config_init(struct pn_flow_config *cfg);

struct pn_flow_table *pn_flow_table_create(const struct pn_flow_config *cfg,
					   const struct pn_registry *reg,
					   pn_flow_end_fn on_end, void *ctx);

/* Accounts one decoded packet that has a transport (l4 != PN_L4_NONE) at
 * capture time ts_us, ending flows whose time has come. Returns the flow. */
struct pn_flow *pn_flow_packet(struct pn_flow_table *t,
			       const struct pn_packet *p, const uint8_t *bytes,
			       pn_time_us ts_us);

/* The same, for a stream of packets: the packet is taken now and accounted
 * a few packets later, which lets the table fetch its memory ahead of
 * time (the first PN_EVIDENCE_SNAP payload bytes are copied, as the
 * frame's bytes may not outlive the call). pn_flow_drain accounts
 * everything taken so far. bytes is the frame p was decoded from. */
void pn_flow_push(struct pn_flow_table *t, const struct pn_packet *p,
		  const uint8_t *bytes, pn_time_us ts_us);
void pn_flow_drain(struct pn_flow_table *t);

/* A pn_capture_fn whose ctx is the flow table: every packet with a
 * transport goes to pn_flow_push at its capture time. */
bool pn_flow_capture(void *table, const struct pn_capture_source *src,
		     const struct pcap_pkthdr *h, const uint8_t *bytes,
		     const struct pn_packet *p);

/* Live capture: accounts the packets taken so far and lets the clock run
 * to now_us even when no packet arrives, so idle flows still end. */
void pn_flow_tick(struct pn_flow_table *t, pn_time_us now_us);

/* The capture time of a flow's first packet, either way. */
static inline pn_time_us pn_flow_first_us(const struct pn_flow *f)
{
	if (!f->packets[0])
		return f->first_us[1];
	if (!f->packets[1])
		return f->first_us[0];
	return f->first_us[0] < f->first_us[1] ? f->first_us[0]
					       : f->first_us[1];
}

/* Calls fn for every active flow (after pn_flow_drain, for exact counts),
 * then marks it walked: a flow whose `walked` is false in fn or when it
 * ends was never in an earlier walk (live counts new flows so, whatever
 * their packets' capture times say against the wall clock). */
void pn_flow_foreach(struct pn_flow_table *t,
		     void (*fn)(void *ctx, const struct pn_flow *f), void *ctx);

/* Ends every remaining flow with PN_END_INPUT (draining pushed packets
 * first). */
void pn_flow_flush(struct pn_flow_table *t);

const struct pn_flow_counters *pn_flow_counters(const struct pn_flow_table *t);

void pn_flow_table_destroy(struct pn_flow_table *t);

/* Fills a canonical key from a packet; returns the packet's source
 * endpoint (0 or 1). */
int pn_flow_key_from_packet(const struct pn_packet *p, struct pn_flow_key *k);

/* The server endpoint (0 or 1) of two ports on transport t, and the basis,
 * from the registry alone (no handshake). */
int pn_flow_guess_server(const struct pn_registry *reg, enum pn_transport t,
			 const uint16_t port[2], enum pn_basis *basis);

/* PN_FF_* flags of a server port, and ambiguity of the pair. */
uint16_t pn_flow_port_flags(const struct pn_registry *reg, enum pn_transport t,
			    const uint16_t port[2], int server);

/* A flow's payload verdict (see pn_evidence_verdict), judged against
 * what its server port is declared for in decl (may be NULL), or else
 * registered for. */
/* The same, given pn_evidence_expected's answer for its server port. */
enum pn_payload_verdict pn_flow_verdict_with(const struct pn_registry *reg,
					     const struct pn_declarations *decl,
					     const struct pn_flow *f,
					     uint32_t expected,
					     struct pn_verdict_detail *d);
enum pn_payload_verdict pn_flow_verdict(const struct pn_registry *reg,
					const struct pn_declarations *decl,
					const struct pn_flow *f,
					struct pn_verdict_detail *d);

/* Whether the packet pn_flow_packet accounted last was examined for
 * evidence (its payload, or a DCCP-Request's service code): only then can
 * its flow's verdict have changed. */
bool pn_flow_examined(const struct pn_flow_table *t);

/* Whether a flow's verdict can still change: false once each side has
 * been examined as far as it will be, the flow is closing (FIN/FIN or
 * RST), or a DCCP service code decided. */
bool pn_flow_verdict_open(const struct pn_flow *f);

const char *pn_basis_name(enum pn_basis b);
const char *pn_flow_end_name(enum pn_flow_end e);

/* Bytes one flow takes in the table, its pool and the hash. */
size_t pn_flow_bytes_per_flow(void);

#endif
