/* test_output.c — the output layer: per-port registry words (annotate.c)
 * and the pcapng writer, read back with libpcap. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "portnote/annotate.h"
#include "portnote/output.h"
#include "portnote/pcapng.h"

static int setup(void **state)
{
	char err[PN_ERRBUF_SIZE];
	struct pn_registry *reg;
	if (pn_registry_load(PN_FIXTURES "/quirks-2026.csv", "quirks", NULL,
			     &reg, err) != 0)
		fail_msg("%s", err);
	*state = reg;
	return 0;
}

static int teardown(void **state)
{
	pn_registry_free(*state);
	return 0;
}

static void test_port_words(void **state)
{
	struct pn_registry *reg = *state;
	struct pn_annotator *a = pn_annotator_create(reg);
	char buf[256];
	pn_annotate_port(a, PN_TCP, 80, buf, sizeof buf);
	assert_string_equal(buf, "80 registered for http, www, www-http");
	const struct pn_port_words *w = pn_annotate(a, PN_TCP, 80);
	assert_string_equal(w->status, "registered");
	assert_string_equal(w->names_json, "[\"http\",\"www\",\"www-http\"]");
	assert_string_equal(w->names_csv, "http;www;www-http");
	assert_string_equal(w->flags_csv, "multi");
	/* The same slot object is reused. */
	assert_ptr_equal(pn_annotate(a, PN_TCP, 80), w);

	pn_annotate_port(a, PN_TCP, 6003, buf, sizeof buf);
	assert_string_equal(buf, "6003 registered for x11 (unauthorized use "
				 "reported)");
	pn_annotate_port(a, PN_TCP, 6004, buf, sizeof buf);
	assert_string_equal(buf, "6004 registered for x11");
	pn_annotate_port(a, PN_UDP, 0, buf, sizeof buf);
	assert_string_equal(buf, "0 reserved");
	pn_annotate_port(a, PN_TCP, 81, buf, sizeof buf);
	assert_string_equal(buf, "81 unassigned");
	assert_string_equal(pn_annotate(a, PN_TCP, 81)->flags_csv,
			    "unassigned;protocol-unspecified");
	pn_annotate_port(a, PN_TCP, 24, buf, sizeof buf);
	assert_string_equal(buf, "24 registered without a name");
	pn_annotate_port(a, PN_TCP, 428, buf, sizeof buf);
	assert_string_equal(buf, "428 registered for ocs-cmu, ocs_cmu");
	pn_annotate_port(a, PN_SCTP, 5000, buf, sizeof buf);
	assert_string_equal(buf, "5000 unregistered");
	pn_annotate_port(a, PN_UDP, 50000, buf, sizeof buf);
	assert_string_equal(buf, "50000 dynamic, unregistered");
	assert_string_equal(pn_annotate(a, PN_UDP, 50000)->names_json, "[]");
	/* A short buffer is cut, terminated, never overrun. */
	char small[8];
	int n = pn_annotate_port(a, PN_TCP, 80, small, sizeof small);
	assert_true(n > 8);
	assert_string_equal(small, "80 regi");
	pn_annotator_destroy(a);
}

static void test_pcapng_roundtrip(void **state)
{
	(void)state;
	char path[] = "/tmp/pn-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char err[256];
	struct pn_pcapng *w = pn_pcapng_create(path, "portnote test", err);
	assert_non_null(w);
	uint32_t ifid = pn_pcapng_interface(w, DLT_EN10MB, 65535, "eth0");
	assert_int_equal(ifid, 0);
	uint8_t frame[61];
	for (size_t i = 0; i < sizeof frame; i++)
		frame[i] = (uint8_t)i;
	/* Odd lengths exercise the 32-bit padding of data and comment. */
	struct pcap_pkthdr h = {{1768467600, 123456}, 61, 1514};
	assert_int_equal(pn_pcapng_packet(w, ifid, &h, frame, "abc"), 0);
	h.ts.tv_usec = 999999;
	h.caplen = 60;
	h.len = 60;
	assert_int_equal(pn_pcapng_packet(w, ifid, &h, frame, NULL), 0);
	assert_int_equal(pn_pcapng_close(w, err), 0);

	char perr[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, perr);
	if (!p)
		fail_msg("%s", perr);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	struct pcap_pkthdr *rh;
	const u_char *data;
	assert_int_equal(pcap_next_ex(p, &rh, &data), 1);
	assert_int_equal(rh->ts.tv_sec, 1768467600);
	assert_int_equal(rh->ts.tv_usec, 123456);
	assert_int_equal(rh->caplen, 61);
	assert_int_equal(rh->len, 1514);
	assert_memory_equal(data, frame, 61);
	assert_int_equal(pcap_next_ex(p, &rh, &data), 1);
	assert_int_equal(rh->ts.tv_usec, 999999);
	assert_int_equal(rh->caplen, 60);
	assert_int_equal(pcap_next_ex(p, &rh, &data), PCAP_ERROR_BREAK);
	pcap_close(p);
	unlink(path);
}

static void test_pcapng_create_fails(void **state)
{
	(void)state;
	char err[256];
	assert_null(pn_pcapng_create("/nonexistent/dir/x.pcapng", "t", err));
	assert_non_null(
	    strstr(err, "/nonexistent/dir/x.pcapng: cannot create"));
}

/* Untrusted text: control characters, C1 controls and invalid UTF-8 are
 * escaped; clean text (UTF-8 included) comes back as the same pointer. */
static void test_safe_text(void **state)
{
	(void)state;
	static const struct {
		const char *in, *text, *csv;
	} cases[] = {
	    {"plain, \"quoted\" \\x1b", NULL, NULL},
	    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", NULL, NULL},
	    {"\x1b[8A\x1b[J", "\\x1b[8A\\x1b[J", "\\x1b[8A\\x1b[J"},
	    {"a\nb\tc\rd", "a\\nb\\tc\\rd", NULL},
	    {"\x01\x7f\x1f", "\\x01\\x7f\\x1f", "\\x01\\x7f\\x1f"},
	    /* C1 CSI as UTF-8, a lone CSI byte, a cut sequence, overlong
	     * NUL, a surrogate, past U+10FFFF. */
	    {"\xc2\x9b"
	     "2J",
	     "\\u009b2J", "\\u009b2J"},
	    {"\x9b"
	     "2J",
	     "\\x9b2J", "\\x9b2J"},
	    {"ab\xe2\x82", "ab\\xe2\\x82", "ab\\xe2\\x82"},
	    {"\xc0\x80", "\\xc0\\x80", "\\xc0\\x80"},
	    {"\xed\xa0\x80", "\\xed\\xa0\\x80", "\\xed\\xa0\\x80"},
	    {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80",
	     "\\xf4\\x90\\x80\\x80"},
	    {"", NULL, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *in = cases[i].in;
		const char *want = cases[i].text ? cases[i].text : in;
		const char *got = pn_safe(in);
		assert_string_equal(got, want);
		if (!cases[i].text)
			assert_ptr_equal(got, in);
		bool changed;
		size_t n = pn_out_escape(in, PN_SAFE_CSV, NULL, &changed);
		char buf[256];
		assert_true(n < sizeof buf);
		pn_out_escape(in, PN_SAFE_CSV, buf, NULL);
		assert_string_equal(buf, cases[i].csv ? cases[i].csv : in);
		assert_int_equal(changed, cases[i].csv != NULL);
	}
	assert_null(pn_safe(NULL));

	/* Eight results stay valid at once. */
	const char *r[8];
	char in[8][4];
	for (int i = 0; i < 8; i++) {
		snprintf(in[i], sizeof in[i], "%c\x1b", 'a' + i);
		r[i] = pn_safe(in[i]);
	}
	for (int i = 0; i < 8; i++) {
		char want[8];
		snprintf(want, sizeof want, "%c\\x1b", 'a' + i);
		assert_string_equal(r[i], want);
	}

	/* Long escaped text is cut with "...", short of 16 KiB. */
	size_t big = 20000;
	char *s = malloc(big + 1);
	memset(s, 0x1b, big);
	s[big] = '\0';
	const char *cut = pn_safe(s);
	assert_true(strlen(cut) < 16384);
	assert_string_equal(cut + strlen(cut) - 3, "...");
	assert_null(memchr(cut, 0x1b, strlen(cut)));
	free(s);

	/* The FILE writer and CSV rows. */
	char *mem = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&mem, &size);
	pn_out_safe_text(f, "x\x1b[Jy\n");
	const char *row[] = {"a\x1b[8A", "two\nlines", "plain"};
	pn_out_csv_row(f, row, 3);
	fclose(f);
	assert_string_equal(mem, "x\\x1b[Jy\\n"
				 "a\\x1b[8A,\"two\nlines\",plain\n");
	free(mem);
}

/* A lost write is reported: pn_out_flush on /dev/full fails, and once. */
/* ISO 8601 from 1970 to 9999, seconds since 1970 outside, never a broken
 * year; written the second way, a time is counted. */
static void test_time_text(void **state)
{
	(void)state;
	static const struct {
		int64_t us;
		const char *text;
	} cases[] = {
	    {0, "1970-01-01T00:00:00.000000Z"},
	    {1, "1970-01-01T00:00:00.000001Z"},
	    {1768467600123456, "2026-01-15T09:00:00.123456Z"},
	    {2147483647000000, "2038-01-19T03:14:07.000000Z"},
	    {4294967295000000, "2106-02-07T06:28:15.000000Z"},
	    {253402300799999999, "9999-12-31T23:59:59.999999Z"},
	    {253402300800000000, "@253402300800.000000"},
	    {568971820800123456, "@568971820800.123456"},
	    {-1, "@-0.000001"},
	    {-1000000, "@-1.000000"},
	    {-999500, "@-0.999500"},
	    {-2147483648000000, "@-2147483648.000000"},
	    {INT64_MAX, "@9223372036854.775807"},
	    {INT64_MIN, "@-9223372036854.775808"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[40];
		assert_string_equal(pn_time_text(cases[i].us, buf),
				    cases[i].text);
	}
}

/* pn_line: numbers, addresses, times and JSON strings as the printf
 * family writes them, and a record cut at its limit says so. */
static void test_line(void **state)
{
	(void)state;
	char buf[256], want[256];
	struct pn_line l = {buf, 0, sizeof buf, false};
	static const uint64_t numbers[] = {
	    0,	  9,	 10,	  99,	      100,	  101,		 999,
	    1000, 65535, 1234567, 4294967296, UINT64_MAX, UINT64_MAX - 1};
	for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
		l.n = 0;
		pn_line_u64(&l, numbers[i]);
		snprintf(want, sizeof want, "%llu",
			 (unsigned long long)numbers[i]);
		assert_int_equal(l.n, strlen(want));
		assert_memory_equal(buf, want, l.n);
	}
	static const uint8_t v4[][4] = {{0, 0, 0, 0},
					{255, 255, 255, 255},
					{10, 0, 9, 100},
					{1, 23, 45, 199}};
	for (size_t i = 0; i < sizeof v4 / sizeof v4[0]; i++) {
		uint8_t a[16] = {[10] = 0xff, [11] = 0xff};
		memcpy(a + 12, v4[i], 4);
		l.n = 0;
		pn_line_addr(&l, a, 4);
		char text[46];
		pn_addr_text(a, 4, text);
		assert_int_equal(l.n, strlen(text));
		assert_memory_equal(buf, text, l.n);
	}
	uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	l.n = 0;
	pn_line_addr(&l, v6, 6);
	assert_int_equal(l.n, strlen("2001:db8::1"));
	assert_memory_equal(buf, "2001:db8::1", l.n);
	static const int64_t times[] = {0, 1768467600123456, -1,
					253402300800000000};
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		l.n = 0;
		pn_line_time(&l, times[i]);
		char text[PN_TIME_TEXT_SIZE];
		pn_time_text(times[i], text);
		assert_int_equal(l.n, strlen(text));
		assert_memory_equal(buf, text, l.n);
	}
	l.n = 0;
	pn_line_json(&l, "a\"b\\c\x01\n");
	assert_int_equal(l.n, strlen("a\\\"b\\\\c\\u0001\\u000a"));
	assert_memory_equal(buf, "a\\\"b\\\\c\\u0001\\u000a", l.n);
	assert_false(l.cut);
	/* Past the limit: bytes dropped, never written past it, and said. */
	memset(buf, '#', sizeof buf);
	l = (struct pn_line){buf, 0, 5, false};
	PN_LINE_LIT(&l, "abc");
	assert_false(l.cut);
	pn_line_u64(&l, 12345);
	assert_true(l.cut);
	assert_int_equal(l.n, 5);
	assert_memory_equal(buf, "abc12#", 6);
}

static void test_time_outside_counted(void **state)
{
	(void)state;
	char buf[PN_TIME_TEXT_SIZE];
	uint64_t n = pn_time_outside_count();
	pn_time_text(0, buf);
	pn_time_text(PN_TIME_ISO_END - 1, buf);
	assert_int_equal(pn_time_outside_count(), n);
	pn_time_text(-1, buf);
	pn_time_text(PN_TIME_ISO_END, buf);
	assert_int_equal(pn_time_outside_count(), n + 2);
	assert_true(pn_time_is_iso(0) && !pn_time_is_iso(-1));
	assert_true(pn_time_is_iso(PN_TIME_ISO_END - 1) &&
		    !pn_time_is_iso(PN_TIME_ISO_END));
}

/* libpcap's struct timeval to microseconds: negative seconds (a classic
 * pcap's 32-bit field, sign-extended), carries, and the range's ends. */
static void test_time_from_timeval(void **state)
{
	(void)state;
	struct timeval tv = {-1, 0};
	assert_true(pn_time_from_timeval(&tv) == -1000000);
	tv = (struct timeval){-1, 500};
	assert_true(pn_time_from_timeval(&tv) == -999500);
	tv = (struct timeval){-2147483648ll, 0};
	assert_true(pn_time_from_timeval(&tv) == -2147483648000000ll);
	tv = (struct timeval){4294967295ll, 999999};
	assert_true(pn_time_from_timeval(&tv) == 4294967295999999ll);
	tv = (struct timeval){1, 1500000};
	assert_true(pn_time_from_timeval(&tv) == 2500000);
	tv = (struct timeval){INT64_MAX / 1000000, 775807};
	assert_true(pn_time_from_timeval(&tv) == INT64_MAX);
	tv = (struct timeval){INT64_MAX / 1000000, 999999};
	assert_true(pn_time_from_timeval(&tv) == PN_TIME_MAX);
	tv = (struct timeval){INT64_MAX / 1000000 + 1, 0};
	assert_true(pn_time_from_timeval(&tv) == PN_TIME_MAX);
	tv = (struct timeval){INT64_MIN / 1000000 - 1, 0};
	assert_true(pn_time_from_timeval(&tv) == PN_TIME_MIN);
	assert_true(pn_time_add(INT64_MAX, 1) == PN_TIME_MAX);
	assert_true(pn_time_add(INT64_MIN, -1) == PN_TIME_MIN);
	assert_true(pn_time_sub(INT64_MAX, -1) == INT64_MAX);
	assert_true(pn_time_sub(INT64_MIN, 1) == INT64_MIN);
	assert_true(pn_time_sub(0, -1000000) == 1000000);
}

static void test_out_flush_full(void **state)
{
	(void)state;
	FILE *f = fopen("/dev/full", "w");
	if (!f)
		skip();
	fputs("data\n", f);
	assert_int_equal(pn_out_error(f), ENOSPC);
	assert_int_equal(pn_out_error(f), 0); /* reported once */
	fputs("more\n", f);
	assert_int_not_equal(pn_out_close(f, "/dev/full", "test"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_port_words, setup, teardown),
	    cmocka_unit_test(test_pcapng_roundtrip),
	    cmocka_unit_test(test_pcapng_create_fails),
	    cmocka_unit_test(test_safe_text),
	    cmocka_unit_test(test_out_flush_full),
	    cmocka_unit_test(test_time_text),
	    cmocka_unit_test(test_line),
	    cmocka_unit_test(test_time_outside_counted),
	    cmocka_unit_test(test_time_from_timeval),
	};
	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
