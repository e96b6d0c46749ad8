/* live_sort.c — the order of a live snapshot's services, shared by the
 * terminal view, the text and JSON snapshots (cmd_live.c) and the view's
 * frozen copy (live_view.c), so neither of those two depends on the
 * other for it. */
#include "portnote/live.h"

#include <stdlib.h>
#include <string.h>

static int by_rate(const void *x, const void *y, enum pn_live_sort key)
{
	const struct pn_live_service *a = x, *b = y;
	double ka, kb;
	switch (key) {
	case PN_LIVE_SORT_PACKETS:
		ka = a->packets_per_s, kb = b->packets_per_s;
		break;
	case PN_LIVE_SORT_FLOWS:
		ka = a->active, kb = b->active;
		break;
	default:
		ka = a->bits_per_s, kb = b->bits_per_s;
	}
	if (ka != kb)
		return ka > kb ? -1 : 1;
	/* Then by totals, so a quiet interval keeps a stable order. */
	uint64_t ta = a->bytes[0] + a->bytes[1], tb = b->bytes[0] + b->bytes[1];
	if (ta != tb)
		return ta > tb ? -1 : 1;
	int c = strcmp(a->name, b->name);
	return c ? c : (a->port > b->port) - (a->port < b->port);
}

static int by_bytes(const void *x, const void *y)
{
	return by_rate(x, y, PN_LIVE_SORT_BYTES);
}
static int by_packets(const void *x, const void *y)
{
	return by_rate(x, y, PN_LIVE_SORT_PACKETS);
}
static int by_flows(const void *x, const void *y)
{
	return by_rate(x, y, PN_LIVE_SORT_FLOWS);
}

void pn_live_sort(struct pn_live_snapshot *snap, enum pn_live_sort key)
{
	if (snap->n_services < 2)
		return;
	qsort(snap->services, snap->n_services, sizeof *snap->services,
	      key == PN_LIVE_SORT_PACKETS ? by_packets
	      : key == PN_LIVE_SORT_FLOWS ? by_flows
					  : by_bytes);
}
