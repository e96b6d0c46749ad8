/* summary.h — run summaries: what the decoders made of every packet, so
 * that nothing read is left unaccounted for. */
#ifndef PORTNOTE_SUMMARY_H
#define PORTNOTE_SUMMARY_H

#include "portnote/capture.h"
#include "portnote/flow.h"

#include <stdint.h>
#include <stdio.h>

/* The IP protocol's short name ("icmp", "icmp6", "gre", ...) or NULL. */
const char *pn_ip_proto_name(uint8_t proto);

/* The same, or "ip-proto-N" for a protocol without a short name. */
const char *pn_ip_proto_text(uint8_t proto, char buf[16]);

/* One paragraph for people: packets with ports by transport, without
 * ports by protocol, later fragments, and every anomaly reason with its
 * count; then libpcap's drop counters for live captures. */
void pn_stats_summary_text(FILE *out, const char *who,
			   const struct pn_capture_stats *s);

/* The flow table's line: flows made, the peak, how they ended; and a
 * warning when --max-flows (max_flows) ended some early. */
void pn_flow_summary_text(FILE *out, const char *who,
			  const struct pn_flow_counters *fc,
			  unsigned long max_flows);

/* The same as one JSON object line, {"type":"summary",...}. */
void pn_stats_summary_json(FILE *out, const struct pn_capture_stats *s);

#endif
