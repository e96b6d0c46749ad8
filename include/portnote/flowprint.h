/* flowprint.h — one flow in words: what its server port is registered
 * for, the names of its flags, and the record `portnote flows` prints. */
#ifndef PORTNOTE_FLOWPRINT_H
#define PORTNOTE_FLOWPRINT_H

#include "portnote/annotate.h"
#include "portnote/flow.h"
#include "portnote/output.h"

#include <stddef.h>
#include <stdio.h>

/* Names of PN_FF_* flags, as used in every output. */
const char *pn_flow_flag_name(unsigned bit_index);
#define PN_FF_COUNT 5

/* One ended flow as a record of `portnote flows` (text, a JSON line, or a
 * CSV row without the header); with `evidence`, its payload verdict too
 * (CSV keeps those columns, empty, without). */
void pn_flow_print(FILE *out, enum pn_format format,
		   const struct pn_registry *reg, struct pn_annotator *ann,
		   const struct pn_flow *f, bool evidence);

/* JSON flow records gathered into large writes, for an output nothing
 * reads line by line (flows read from files): the same bytes as
 * pn_flow_print's in fewer writes. Flush before anything else writes to
 * `out`. */
struct pn_flow_batch {
	FILE *out;
	size_t n;
	char buf[1 << 18];
};

void pn_flow_batch_json(struct pn_flow_batch *b, const struct pn_registry *reg,
			struct pn_annotator *ann, const struct pn_flow *f,
			bool evidence);
void pn_flow_batch_flush(struct pn_flow_batch *b);

/* The same as a JSON array of names: ["tls","quic"]. */
void pn_protocols_json(FILE *out, uint32_t mask);

/* Flows by verdict as a JSON object: {"no-payload":0,"unverified":1,...}. */
void pn_verdicts_json(FILE *out, const uint64_t verdict[PN_V_COUNT]);

/* The payload verdict in words, escaped for text: "payload looks like SSH
 * (SSH-2.0-OpenSSH_9.2p1): differs", "payload does not look like SIP:
 * differs", "payload: unverified, the port is not registered"; against a
 * site declaration (the annotator's), "...: agrees (declared)". */
void pn_flow_evidence_text(FILE *out, const struct pn_registry *reg,
			   struct pn_annotator *ann, const struct pn_flow *f);
/* The same into buf (always terminated when size > 0); returns the length
 * written, at most size - 1. */
size_t pn_flow_evidence_format(char *buf, size_t size,
			       const struct pn_registry *reg,
			       struct pn_annotator *ann,
			       const struct pn_flow *f);

/* The CSV header row matching pn_flow_print's rows. */
void pn_flow_csv_header(FILE *out);

/* What a port is registered for on transport t, into buf: "http, www,
 * www-http", or "unnamed tcp/N" / "unregistered tcp/N". */
const char *pn_port_service(const struct pn_registry *reg,
			    struct pn_annotator *ann, enum pn_transport t,
			    uint16_t port, char *buf, size_t size);

/* The service key of an ended flow, as above, into buf. */
const char *pn_flow_service(const struct pn_registry *reg,
			    struct pn_annotator *ann, const struct pn_flow *f,
			    char *buf, size_t size);

#endif
