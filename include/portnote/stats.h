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
#include "portnote/output.h"

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

#endif
