/* timeline.c — bins over capture time whose width grows with the span.
 *
 * Times are held biased, as unsigned microseconds from a point BIAS µs
 * before 1970 that is a whole number of 28-day periods: every width of
 * the ladder up to 28 days divides BIAS, so bins of those widths start at
 * multiples of the width counted from 1970 (a 1 s bin starts on the
 * second), and no arithmetic below can wrap. A time earlier than that
 * point (within 28 days of the type's lower end, which no capture file
 * can hold) is taken as the point itself. */
#include "portnote/timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US_28_DAYS (UINT64_C(28) * 86400 * 1000000)
#define BIAS ((UINT64_C(1) << 63) / US_28_DAYS * US_28_DAYS)

/* Each width a multiple of the one before; past the end, doubling. */
static const uint64_t ladder[] = {
    1,		 2,
    10,		 20,
    100,	 200,
    1000,	 2000,
    10000,	 20000,
    100000,	 200000,
    1000000,	 2000000,
    10000000,	 30000000,
    60000000,	 300000000,
    600000000,	 1800000000,
    3600000000,	 7200000000,
    21600000000, 43200000000,
    86400000000, 604800000000,
    US_28_DAYS,
};
#define LADDER (sizeof ladder / sizeof ladder[0])

static uint64_t bias(pn_time_us t)
{
	if (t < -(int64_t)BIAS)
		return 0;
	return (uint64_t)t + BIAS;
}

static pn_time_us unbias(uint64_t u)
{
	if (u < BIAS)
		return -(int64_t)(BIAS - u);
	return u - BIAS > (uint64_t)PN_TIME_MAX ? PN_TIME_MAX
						: (pn_time_us)(u - BIAS);
}

static uint64_t wider(uint64_t w)
{
	for (size_t i = 0; i + 1 < LADDER; i++)
		if (ladder[i] == w)
			return ladder[i + 1];
	/* Past 28 days; a width of 2^63 µs or more holds any span in two
	 * bins, so it never needs to grow past that. */
	return w > UINT64_MAX / 2 ? w : 2 * w;
}

/* Whether [lo, hi] fits in PN_TIMELINE_BINS bins of width w. */
static bool fits(uint64_t lo, uint64_t hi, uint64_t w)
{
	return hi / w - lo / w < PN_TIMELINE_BINS;
}

bool pn_timeline_cover(struct pn_timeline *tl, pn_time_us a, pn_time_us b,
		       struct pn_timeline_merge *m)
{
	uint64_t ua = bias(a), ub = bias(b);
	if (ua > ub) {
		uint64_t t = ua;
		ua = ub;
		ub = t;
	}
	if (!tl->width) {
		/* Nothing is held yet: no series to merge. */
		tl->width = 1;
		tl->lo = ua;
		tl->hi = ub;
		while (!fits(ua, ub, tl->width))
			tl->width = wider(tl->width);
		return false;
	}
	uint64_t lo = ua < tl->lo ? ua : tl->lo;
	uint64_t hi = ub > tl->hi ? ub : tl->hi;
	uint64_t w = tl->width;
	while (!fits(lo, hi, w))
		w = wider(w);
	bool widened = w != tl->width;
	if (widened)
		m->factor = w / tl->width;
	tl->width = w;
	tl->lo = lo;
	tl->hi = hi;
	return widened;
}

void pn_series_free(struct pn_series *s)
{
	free(s->v);
	*s = (struct pn_series){0};
}

void pn_timeline_merge(const struct pn_timeline_merge *m,
		       struct pn_series *series)
{
	if (!series->len)
		return;
	/* Old bin first + i goes to new bin (first + i) / factor, at an index
	 * never past i: in place, front to back. */
	uint64_t first = series->first / m->factor;
	uint32_t len = 0;
	for (uint32_t i = 0; i < series->len; i++) {
		uint64_t v = series->v[i];
		uint32_t j =
		    (uint32_t)((series->first + i) / m->factor - first);
		series->v[i] = 0;
		series->v[j] += v;
		len = j + 1;
	}
	series->first = first;
	series->len = len;
}

/* Makes the series hold bins lo to hi (which span at most
 * PN_TIMELINE_BINS, as the timeline covers them). */
static void hold(struct pn_series *s, uint64_t lo, uint64_t hi)
{
	if (s->len && lo >= s->first && hi < s->first + s->len)
		return;
	uint64_t first = s->len && s->first < lo ? s->first : lo;
	uint64_t end =
	    s->len && s->first + s->len > hi + 1 ? s->first + s->len : hi + 1;
	uint32_t len = (uint32_t)(end - first);
	if (len > s->cap) {
		/* Doubling, up to the most a series can need. */
		uint32_t cap = s->cap ? 2 * s->cap : 2;
		if (cap < len)
			cap = len;
		if (cap > PN_TIMELINE_BINS)
			cap = PN_TIMELINE_BINS;
		uint64_t *v = realloc(s->v, cap * sizeof *v);
		if (!v) {
			fprintf(stderr, "portnote: out of memory\n");
			exit(70);
		}
		s->v = v;
		s->cap = cap;
	}
	uint32_t shift = s->len ? (uint32_t)(s->first - first) : 0;
	if (shift)
		memmove(s->v + shift, s->v, s->len * sizeof *s->v);
	memset(s->v, 0, shift * sizeof *s->v);
	memset(s->v + shift + s->len, 0, (len - shift - s->len) * sizeof *s->v);
	s->first = first;
	s->len = len;
}

void pn_timeline_spread(const struct pn_timeline *tl, struct pn_series *series,
			pn_time_us a, pn_time_us b, uint64_t amount)
{
	if (!amount || !tl->width)
		return;
	uint64_t ua = bias(a), ub = bias(b);
	if (ua > ub) {
		uint64_t t = ua;
		ua = ub;
		ub = t;
	}
	uint64_t w = tl->width, first = ua / w, last = ub / w;
	hold(series, first, last);
	uint64_t *v = series->v, base = series->first;
	if (first == last) {
		v[first - base] += amount;
		return;
	}
	/* The amount up to each bin boundary, rounded down: monotonic, so
	 * every share is the difference of two of them and the last bin
	 * takes what is left, which makes the shares sum exactly. */
	uint64_t span = ub - ua, done = 0;
	for (uint64_t n = first; n < last; n++) {
		uint64_t part = (n + 1) * w - ua, c, product;
		/* Exact while amount * part fits in 64 bits (bytes of a flow
		 * times its microseconds), else in floating point. */
		if (!__builtin_mul_overflow(amount, part, &product)) {
			c = product / span;
		} else {
			double upto =
			    (double)amount * ((double)part / (double)span);
			c = upto >= (double)amount ? amount : (uint64_t)upto;
		}
		if (c > amount)
			c = amount;
		if (c < done)
			c = done;
		v[n - base] += c - done;
		done = c;
	}
	v[last - base] += amount - done;
}

unsigned pn_timeline_bins(const struct pn_timeline *tl)
{
	if (!tl->width)
		return 0;
	return (unsigned)(tl->hi / tl->width - tl->lo / tl->width + 1);
}

int64_t pn_timeline_width_us(const struct pn_timeline *tl)
{
	return tl->width > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)tl->width;
}

pn_time_us pn_timeline_start_us(const struct pn_timeline *tl, unsigned i)
{
	if (!tl->width)
		return 0;
	uint64_t n = tl->lo / tl->width + i, u;
	if (__builtin_mul_overflow(n, tl->width, &u))
		return PN_TIME_MAX;
	return unbias(u);
}

void pn_timeline_copy(const struct pn_timeline *tl,
		      const struct pn_series *series, uint64_t *out)
{
	unsigned n = pn_timeline_bins(tl);
	uint64_t first = n ? tl->lo / tl->width : 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t bin = first + i;
		out[i] = series->len && bin >= series->first &&
				 bin - series->first < series->len
			     ? series->v[bin - series->first]
			     : 0;
	}
}

const char *pn_timeline_width_text(int64_t width_us, char buf[32])
{
	static const struct {
		int64_t us;
		const char *one, *many;
	} units[] = {
	    {INT64_C(86400000000), "day", "days"},
	    {INT64_C(3600000000), "h", "h"},
	    {60000000, "min", "min"},
	    {1000000, "s", "s"},
	    {1000, "ms", "ms"},
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (width_us >= units[i].us && width_us % units[i].us == 0) {
			long long n = width_us / units[i].us;
			snprintf(buf, 32, "%lld %s", n,
				 n == 1 ? units[i].one : units[i].many);
			return buf;
		}
	snprintf(buf, 32, "%lld \xc2\xb5s", (long long)width_us);
	return buf;
}
