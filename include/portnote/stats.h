/* stats.h — run summaries: what the decoders made of every packet, so that
 * nothing read is left unaccounted for. */
#ifndef PORTNOTE_STATS_H
#define PORTNOTE_STATS_H

#include "portnote/annotate.h"
#include "portnote/capture.h"
#include "portnote/flow.h"
#include "portnote/output.h"

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

/* The same as one JSON object line, {"type":"summary",...}. */
void pn_stats_summary_json(FILE *out, const struct pn_capture_stats *s);

/* --- Per-service statistics ------------------------------------------- */

/* Flows are grouped by what their server port is registered for on its
 * transport: every name of the slot ("http, www, www-http"), or
 * "unregistered tcp/4489", or "unknown" when nothing tells the sides
 * apart. Ended flows are added one by one; nothing here is on the packet
 * path. */
struct pn_service_stats;

enum pn_sort { PN_SORT_BYTES, PN_SORT_PACKETS, PN_SORT_FLOWS };

struct pn_service_stats *pn_service_stats_create(const struct pn_registry *reg,
						 struct pn_annotator *ann);
void pn_service_stats_add(struct pn_service_stats *s, const struct pn_flow *f);

struct pn_report_info {
	const char *inputs; /* "captures/demo.pcap", for the header */
	const struct pn_registry *reg;
	unsigned top;
	enum pn_sort sort;
	const struct pn_flow_counters *flows;
};

void pn_service_stats_report(struct pn_service_stats *s, enum pn_format fmt,
			     FILE *out, const struct pn_report_info *info);
void pn_service_stats_destroy(struct pn_service_stats *s);

/* Names of PN_FF_* flags, as used in every output. */
const char *pn_flow_flag_name(unsigned bit_index);
#define PN_FF_COUNT 5

/* One ended flow as a record of `portnote flows` (text, a JSON line, or a
 * CSV row without the header). */
void pn_flow_print(FILE *out, enum pn_format format,
		   const struct pn_registry *reg, struct pn_annotator *ann,
		   const struct pn_flow *f);

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
