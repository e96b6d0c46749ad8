/* test_timeline.c — the bins of timeline.h: the width grows up the
 * ladder with the span and no further, bins start on round times, a
 * widening merges series without losing or moving a byte, earlier times
 * keep every byte in its bin, spreads are exact, a series holds only the
 * bins it was given amounts in, and capture times at the ends of the range
 * (before 1970, the clamped far future) stay in range.
 * Times are capture times in microseconds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "portnote/timeline.h"

/* 2026-01-15 09:00:00 UTC, the epoch of captures/. */
#define T0 INT64_C(1768467600000000)
#define SEC INT64_C(1000000)

static uint64_t sum(const struct pn_timeline *tl,
		    const struct pn_series *series)
{
	uint64_t bins[PN_TIMELINE_BINS], s = 0;
	pn_timeline_copy(tl, series, bins);
	for (unsigned i = 0; i < pn_timeline_bins(tl); i++)
		s += bins[i];
	return s;
}

/* Covers [a, b] and merges the one series when the bins widen. */
static void cover(struct pn_timeline *tl, struct pn_series *series,
		  pn_time_us a, pn_time_us b)
{
	struct pn_timeline_merge m;
	if (pn_timeline_cover(tl, a, b, &m))
		pn_timeline_merge(&m, series);
}

static void add(struct pn_timeline *tl, struct pn_series *series, pn_time_us a,
		pn_time_us b, uint64_t amount)
{
	cover(tl, series, a, b);
	pn_timeline_spread(tl, series, a, b, amount);
}

/* The bin (0 = earliest in use) that holds time t. */
static unsigned bin_of(const struct pn_timeline *tl, pn_time_us t)
{
	unsigned n = pn_timeline_bins(tl);
	for (unsigned i = 0; i + 1 < n; i++)
		if (t < pn_timeline_start_us(tl, i + 1))
			return i;
	return n - 1;
}

static void empty(void **state)
{
	(void)state;
	struct pn_timeline tl = {0};
	struct pn_series series = {0};
	assert_int_equal(pn_timeline_bins(&tl), 0);
	assert_int_equal(pn_timeline_width_us(&tl), 0);
	pn_timeline_spread(&tl, &series, T0, T0, 5);
	assert_int_equal(series.len, 0);
}

/* demo.pcap spans 09:00:00.007579 to 09:02:00.025506: 1 s bins from
 * 09:00:00, 121 of them. */
static void demo_span(void **state)
{
	(void)state;
	struct pn_timeline tl = {0};
	struct pn_series series = {0};
	add(&tl, &series, T0 + 7579, T0 + 7579, 100);
	assert_int_equal(pn_timeline_width_us(&tl), 1);
	add(&tl, &series, T0 + 60 * SEC, T0 + 120 * SEC + 25506, 200);
	assert_int_equal(pn_timeline_width_us(&tl), SEC);
	assert_int_equal(pn_timeline_bins(&tl), 121);
	assert_true(pn_timeline_start_us(&tl, 0) == T0);
	assert_int_equal(sum(&tl, &series), 300);
	uint64_t bins[PN_TIMELINE_BINS];
	pn_timeline_copy(&tl, &series, bins);
	assert_int_equal(bins[0], 100);
	char buf[32];
	assert_string_equal(pn_timeline_width_text(SEC, buf), "1 s");
	pn_series_free(&series);
}

/* Each ladder width is the narrowest at which the span fits. */
static void narrowest_width(void **state)
{
	(void)state;
	static const struct {
		int64_t span, width;
	} cases[] = {
	    {0, 1},
	    {239, 1},
	    {240, 2},
	    {2 * SEC, 10000},
	    {239 * SEC, SEC},
	    {240 * SEC, 2 * SEC},
	    {3600 * SEC, 30 * SEC},
	    {86400 * SEC, 600 * SEC},
	    {INT64_C(7) * 86400 * SEC, 3600 * SEC},
	    {INT64_C(365) * 86400 * SEC, INT64_C(7) * 86400 * SEC},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pn_timeline tl = {0};
		struct pn_series series = {0};
		/* Start on a bin boundary of every width up to 28 days. */
		add(&tl, &series, 0, 0, 1);
		add(&tl, &series, cases[i].span, cases[i].span, 1);
		assert_true(pn_timeline_width_us(&tl) == cases[i].width);
		assert_true(pn_timeline_bins(&tl) <= PN_TIMELINE_BINS);
		assert_int_equal(sum(&tl, &series), 2);
		pn_series_free(&series);
	}
}

/* An amount over whole bins is shared by overlap, exactly. */
static void exact_spread(void **state)
{
	(void)state;
	struct pn_timeline tl = {0};
	struct pn_series series = {0};
	uint64_t bins[PN_TIMELINE_BINS];
	cover(&tl, &series, T0, T0 + 200 * SEC);
	assert_int_equal(pn_timeline_width_us(&tl), SEC);
	pn_timeline_spread(&tl, &series, T0 + 10 * SEC, T0 + 20 * SEC, 1000);
	pn_timeline_copy(&tl, &series, bins);
	for (int i = 10; i < 20; i++)
		assert_int_equal(bins[i], 100);
	assert_int_equal(bins[20], 0);
	assert_int_equal(bins[9], 0);
	/* Shares that do not divide evenly still sum to the amount. */
	pn_timeline_spread(&tl, &series, T0 + 3, T0 + 199 * SEC + 17, 997);
	assert_int_equal(sum(&tl, &series), 1997);
	/* Either order of the ends. */
	pn_timeline_spread(&tl, &series, T0 + 50 * SEC, T0 + 40 * SEC,
			   UINT64_MAX - 1997);
	assert_true(sum(&tl, &series) == UINT64_MAX);
	pn_series_free(&series);
}

/* Widening keeps every byte in the bin that holds its time. */
static void widening_merges(void **state)
{
	(void)state;
	struct pn_timeline tl = {0};
	struct pn_series series = {0};
	uint64_t bins[PN_TIMELINE_BINS];
	for (int i = 0; i < 100; i++)
		add(&tl, &series, T0 + i * SEC / 10, T0 + i * SEC / 10,
		    (uint64_t)i + 1);
	assert_int_equal(pn_timeline_width_us(&tl), 100000);
	add(&tl, &series, T0 + 3600 * SEC, T0 + 3600 * SEC, 7);
	assert_int_equal(pn_timeline_width_us(&tl), 30 * SEC);
	pn_timeline_copy(&tl, &series, bins);
	assert_int_equal(bins[0], 5050);
	assert_int_equal(bins[pn_timeline_bins(&tl) - 1], 7);
	assert_int_equal(sum(&tl, &series), 5057);
	pn_series_free(&series);
}

/* A time earlier than every one before keeps every byte in its bin. */
static void earlier_times(void **state)
{
	(void)state;
	struct pn_timeline tl = {0};
	struct pn_series series = {0};
	uint64_t bins[PN_TIMELINE_BINS];
	add(&tl, &series, T0 + 100 * SEC, T0 + 100 * SEC, 1);
	add(&tl, &series, T0 + 200 * SEC, T0 + 200 * SEC, 2);
	assert_int_equal(pn_timeline_width_us(&tl), SEC);
	add(&tl, &series, T0, T0, 3);
	assert_int_equal(pn_timeline_width_us(&tl), SEC);
	assert_int_equal(pn_timeline_bins(&tl), 201);
	pn_timeline_copy(&tl, &series, bins);
	assert_int_equal(bins[0], 3);
	assert_int_equal(bins[100], 1);
	assert_int_equal(bins[200], 2);
	/* Then one that widens, from the left. */
	add(&tl, &series, T0 - 300 * SEC, T0 - 300 * SEC, 4);
	assert_int_equal(pn_timeline_width_us(&tl), 10 * SEC);
	pn_timeline_copy(&tl, &series, bins);
	assert_int_equal(bins[bin_of(&tl, T0 - 300 * SEC)], 4);
	assert_int_equal(bins[bin_of(&tl, T0)], 3);
	assert_int_equal(bins[bin_of(&tl, T0 + 100 * SEC)], 1);
	assert_int_equal(bins[bin_of(&tl, T0 + 200 * SEC)], 2);
	assert_int_equal(sum(&tl, &series), 10);
	pn_series_free(&series);
}

/* Times pcap files can hold before 1970, and the clamped ends of the
 * type: in range, counted, bins in order. */
static void range_ends(void **state)
{
	(void)state;
	static const pn_time_us ends[][2] = {
	    {-SEC, SEC},
	    {INT64_C(-2147483648) * SEC, 0},
	    {0, INT64_C(253402300800) * SEC},
	    {T0, INT64_MAX},
	    {INT64_MIN, INT64_MAX},
	    {INT64_MIN, INT64_MIN + 5},
	};
	for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
		struct pn_timeline tl = {0};
		struct pn_series series = {0};
		add(&tl, &series, ends[i][0], ends[i][0], 1);
		add(&tl, &series, ends[i][1], ends[i][1], 1);
		add(&tl, &series, ends[i][0], ends[i][1], 1000);
		unsigned n = pn_timeline_bins(&tl);
		assert_true(n >= 1 && n <= PN_TIMELINE_BINS);
		assert_int_equal(sum(&tl, &series), 1002);
		for (unsigned k = 0; k + 1 < n; k++)
			assert_true(pn_timeline_start_us(&tl, k) <
				    pn_timeline_start_us(&tl, k + 1));
		pn_series_free(&series);
	}
}

/* Random intervals over random spans: nothing lost, never too many
 * bins, each instant in the bin that holds its time. */
static void random_spans(void **state)
{
	(void)state;
	srand(18);
	for (int run = 0; run < 200; run++) {
		struct pn_timeline tl = {0};
		struct pn_series series = {0}, one = {0};
		uint64_t total = 0;
		int64_t scale = INT64_C(1) << (rand() % 50);
		for (int i = 0; i < 300; i++) {
			pn_time_us a = T0 + (rand() % 1000 - 200) * scale;
			pn_time_us b = a + (rand() % 50) * scale;
			uint64_t amount = (uint64_t)(rand() % 100000);
			struct pn_timeline_merge m;
			if (pn_timeline_cover(&tl, a, b, &m)) {
				pn_timeline_merge(&m, &series);
				pn_timeline_merge(&m, &one);
			}
			pn_timeline_spread(&tl, &series, a, b, amount);
			total += amount;
			assert_true(pn_timeline_bins(&tl) <= PN_TIMELINE_BINS);
		}
		assert_true(sum(&tl, &series) == total);
		/* An instant lands in its bin. */
		pn_time_us t = T0 + (rand() % 500) * scale;
		cover(&tl, &one, t, t);
		pn_timeline_spread(&tl, &one, t, t, 1);
		uint64_t bins[PN_TIMELINE_BINS];
		pn_timeline_copy(&tl, &one, bins);
		assert_int_equal(bins[bin_of(&tl, t)], 1);
		pn_series_free(&series);
		pn_series_free(&one);
	}
}

/* A series holds the bins it was given amounts in, no more: a port that
 * saw one short flow keeps one counter, however long the capture. */
static void sparse_series(void **state)
{
	(void)state;
	struct pn_timeline tl = {0};
	struct pn_series busy = {0}, once = {0};
	add(&tl, &busy, T0, T0, 1);
	add(&tl, &busy, T0 + 3600 * SEC, T0 + 3600 * SEC, 1);
	add(&tl, &once, T0 + 1800 * SEC, T0 + 1800 * SEC + 5, 10);
	assert_int_equal(once.len, 1);
	assert_true(once.cap <= 2);
	assert_int_equal(busy.len, pn_timeline_bins(&tl));
	/* Widening shrinks what is held; it never exceeds the bins. */
	struct pn_timeline_merge m;
	for (int64_t t = 2; t < 400; t++) {
		if (pn_timeline_cover(&tl, T0 + t * 3600 * SEC,
				      T0 + t * 3600 * SEC, &m)) {
			pn_timeline_merge(&m, &busy);
			pn_timeline_merge(&m, &once);
		}
		pn_timeline_spread(&tl, &busy, T0 + t * 3600 * SEC,
				   T0 + t * 3600 * SEC, 1);
		assert_true(busy.len <= pn_timeline_bins(&tl));
		assert_true(busy.cap <= PN_TIMELINE_BINS);
	}
	assert_int_equal(once.len, 1);
	assert_int_equal(sum(&tl, &busy), 400);
	assert_int_equal(sum(&tl, &once), 10);
	pn_series_free(&busy);
	pn_series_free(&once);
}

static void width_words(void **state)
{
	(void)state;
	char buf[32];
	assert_string_equal(pn_timeline_width_text(1, buf), "1 \xc2\xb5s");
	assert_string_equal(pn_timeline_width_text(200, buf), "200 \xc2\xb5s");
	assert_string_equal(pn_timeline_width_text(20000, buf), "20 ms");
	assert_string_equal(pn_timeline_width_text(30 * SEC, buf), "30 s");
	assert_string_equal(pn_timeline_width_text(300 * SEC, buf), "5 min");
	assert_string_equal(pn_timeline_width_text(7200 * SEC, buf), "2 h");
	assert_string_equal(pn_timeline_width_text(86400 * SEC, buf), "1 day");
	assert_string_equal(
	    pn_timeline_width_text(INT64_C(28) * 86400 * SEC, buf), "28 days");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(empty),	       cmocka_unit_test(demo_span),
	    cmocka_unit_test(narrowest_width), cmocka_unit_test(exact_spread),
	    cmocka_unit_test(widening_merges), cmocka_unit_test(earlier_times),
	    cmocka_unit_test(range_ends),      cmocka_unit_test(random_spans),
	    cmocka_unit_test(sparse_series),   cmocka_unit_test(width_words),
	};
	return cmocka_run_group_tests_name("timeline", tests, NULL, NULL);
}
