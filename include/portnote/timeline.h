/* timeline.h — bytes over capture time in a fixed number of bins.
 *
 * The bin width is not known in advance (a file read from standard input
 * may span a second or a year), so it grows with the span seen: it starts
 * at 1 µs and steps up a ladder of widths, each a multiple of the one
 * before (1, 2, 10, 20, 100, 200 µs ... 1 s, 2 s, 10 s, 30 s, 1 min, 5 min,
 * 10 min, 30 min, 1 h, 2 h, 6 h, 12 h, 1 day, 7 days, 28 days, then
 * doubling), to the narrowest width at which every time seen fits in
 * PN_TIMELINE_BINS bins. Bins start at multiples of the width counted from
 * 1970-01-01T00:00:00Z (for widths up to 28 days), so a 1 s bin starts on
 * the second. A series holds counters only for the bins from the first to
 * the last it was given amounts in (a port that saw one flow holds one or
 * two), growing as it needs to, never past PN_TIMELINE_BINS; only a wider
 * width merges bins, at most once per step of the ladder in a whole run.
 * Callers own the series (zeroed to start, pn_series_free to end). */
#ifndef PORTNOTE_TIMELINE_H
#define PORTNOTE_TIMELINE_H

#include "portnote/timeus.h"

#include <stdbool.h>
#include <stdint.h>

/* Bins at most: the chart shows between about a fifth of this and all
 * of it (most ladder steps are 2x or 5x); a series holds at most 1.9 KiB
 * of counters. */
#define PN_TIMELINE_BINS 240

/* Amounts per bin: v[i] is bin number first + i (bins counted from the
 * start of the biased time scale, see timeline.c). All zero: empty. */
struct pn_series {
	uint64_t *v;
	uint64_t first;
	uint32_t len, cap;
};

void pn_series_free(struct pn_series *s);

struct pn_timeline {
	uint64_t width;	 /* µs per bin; 0 while nothing was added */
	uint64_t lo, hi; /* earliest and latest time covered (biased, see
			    timeline.c) */
};

/* The width change pn_timeline_cover made: series must be merged with
 * pn_timeline_merge before anything else is added to them. */
struct pn_timeline_merge {
	uint64_t factor; /* new width / old width */
};

/* Makes tl cover the times a and b (in either order), widening the bins
 * if they no longer fit. Returns true when the bins were widened: every
 * series must then go through pn_timeline_merge with *m. */
bool pn_timeline_cover(struct pn_timeline *tl, pn_time_us a, pn_time_us b,
		       struct pn_timeline_merge *m);

/* Merges one series after a widening, in place (at most a few hundred
 * additions). */
void pn_timeline_merge(const struct pn_timeline_merge *m,
		       struct pn_series *series);

/* Adds `amount` spread evenly over [a, b], which pn_timeline_cover must
 * have covered: each bin gets the share of the interval it holds, the
 * shares summing to exactly `amount` (an instant, a == b, is one bin).
 * The series grows to hold those bins (exit 70 when memory runs out). */
void pn_timeline_spread(const struct pn_timeline *tl, struct pn_series *series,
			pn_time_us a, pn_time_us b, uint64_t amount);

/* Bins in use, from the one holding the earliest time to the one holding
 * the latest: 0 while nothing was added. */
unsigned pn_timeline_bins(const struct pn_timeline *tl);

/* The width of a bin in µs (0 while nothing was added). */
int64_t pn_timeline_width_us(const struct pn_timeline *tl);

/* The capture time at which bin i (0 = the earliest in use) starts; the
 * end of the last bin may be clamped to PN_TIME_MAX. */
pn_time_us pn_timeline_start_us(const struct pn_timeline *tl, unsigned i);

/* Copies the bins in use of a series, earliest first, into out (which holds
 * pn_timeline_bins of them). */
void pn_timeline_copy(const struct pn_timeline *tl,
		      const struct pn_series *series, uint64_t *out);

/* A width in words: "1 µs", "200 ms", "1 s", "30 s", "5 min", "2 h",
 * "1 day", "28 days". */
const char *pn_timeline_width_text(int64_t width_us, char buf[32]);

#endif
