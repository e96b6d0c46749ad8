/* ipfix.h — flow export over IPFIX (RFC 7011) with libfixbuf.
 *
 * Each ended flow becomes one bidirectional record (RFC 5103): the client
 * as source, the server's counters as reverse elements, what the server
 * port is registered for as RFC 6759 application information (the IANA-L4
 * engine, the port as selector, the registered names), and portnote's own
 * facts — the server-side basis, registry flags, payload verdict and
 * looks-like — as enterprise-specific elements under a private enterprise
 * number, described by RFC 5610 type records so collectors can name them.
 *
 * Export never stops capture: records that cannot be sent (an unreachable
 * collector, a refused connection, a full socket buffer) are counted, and
 * a lost TCP connection is opened again, at most once per backoff
 * interval, which doubles up to a minute.
 */
#ifndef PORTNOTE_IPFIX_H
#define PORTNOTE_IPFIX_H

#include "portnote/annotate.h"
#include "portnote/flow.h"
#include "portnote/registry.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 5612's number for documentation, until the project has its own. */
#define PN_IPFIX_PEN 32473

enum pn_ipfix_transport { PN_IPFIX_UDP, PN_IPFIX_TCP };

/* Where records go: a collector ("HOST:PORT", "udp:HOST:PORT",
 * "tcp:HOST:PORT", "[v6]:PORT") and/or a file of IPFIX messages. */
struct pn_ipfix_options {
	const char *collector; /* as given, or NULL */
	enum pn_ipfix_transport transport;
	char host[256];
	char port[8];
	const char *file; /* --ipfix-file, or NULL */
	uint32_t domain;  /* observation domain ID */
	uint32_t pen;	  /* private enterprise number */
	bool evidence;	  /* flows carry payload verdicts */
};

/* Parses a --ipfix value into o. false with a one-line reason in err. */
bool pn_ipfix_parse(const char *spec, struct pn_ipfix_options *o, char *err,
		    size_t err_size);

struct pn_ipfix;

/* Per sink (collector, file): a record sent to both counts twice. */
struct pn_ipfix_counters {
	uint64_t records; /* handed to an exporting process */
	uint64_t lost;	  /* of those, not sent (or not written) */
};

/* Opens the exporter(s). NULL with a message in err. The annotator (with
 * its declarations) names services and judges verdicts; it must outlive
 * the exporter. */
struct pn_ipfix *pn_ipfix_open(const struct pn_ipfix_options *o,
			       const struct pn_registry *reg,
			       struct pn_annotator *ann, char *err,
			       size_t err_size);

/* Why a record is exported (RFC 7011 flowEndReason). */
enum pn_ipfix_reason {
	PN_IPFIX_IDLE = 1,
	PN_IPFIX_ACTIVE = 2,
	PN_IPFIX_END = 3,	/* FIN, RST */
	PN_IPFIX_FORCED = 4,	/* the input ended, or the run */
	PN_IPFIX_RESOURCES = 5, /* evicted by --max-flows */
};

/* Exports one ended flow. */
void pn_ipfix_flow(struct pn_ipfix *x, const struct pn_flow *f);

/* Part of a flow (live's active timeout): the counts since its previous
 * record, per endpoint of the flow key, over [start_us, end_us]. */
struct pn_ipfix_part {
	uint64_t packets[2], bytes[2];
	pn_time_us start_us, end_us;
	enum pn_ipfix_reason reason;
};
void pn_ipfix_part(struct pn_ipfix *x, const struct pn_flow *f,
		   const struct pn_ipfix_part *part);

/* The reason of a flow's last record, from how it ended. */
enum pn_ipfix_reason pn_ipfix_end_reason(const struct pn_flow *f);

/* Sends what is buffered (called once per second in live capture, and at
 * the end), and templates again on UDP when their time has come. */
void pn_ipfix_flush(struct pn_ipfix *x);

const struct pn_ipfix_counters *pn_ipfix_counters(const struct pn_ipfix *x);

/* Flushes, gives a TCP collector a few seconds to take what is queued, and
 * closes; *last (may be NULL) gets the final counts. Returns 0, or -1 with
 * a message in err when the file could not be written in full. */
int pn_ipfix_close(struct pn_ipfix *x, struct pn_ipfix_counters *last,
		   char *err, size_t err_size);

#endif
