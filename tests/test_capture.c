/* test_capture.c — the capture loop over committed captures: files in
 * order, damaged and unsupported files, --count, filters; and over a
 * generated file larger than the read-ahead ring, whose records straddle
 * its chunks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "portnote/capture.h"

struct seen {
	uint64_t packets, udp, opened;
	uint64_t last_frame;
	char last_source[256];
};

static bool on_packet(void *ctx, const struct pn_capture_source *src,
		      const struct pcap_pkthdr *h, const uint8_t *bytes,
		      const struct pn_packet *p)
{
	struct seen *s = ctx;
	(void)bytes;
	assert_int_equal(p->caplen, h->caplen);
	s->packets++;
	s->udp += p->l4 == PN_L4_UDP;
	/* Frames count from 1 within each source. */
	if (strcmp(s->last_source, src->name) != 0) {
		assert_int_equal(src->frame, 1);
		snprintf(s->last_source, sizeof s->last_source, "%s",
			 src->name);
	} else {
		assert_int_equal(src->frame, s->last_frame + 1);
	}
	s->last_frame = src->frame;
	return true;
}

static void on_open(void *ctx, const struct pn_capture_source *src)
{
	struct seen *s = ctx;
	assert_false(src->live);
	s->opened++;
}

static enum pn_capture_result run(const char *const *files, int n,
				  const char *filter, uint64_t count,
				  struct seen *s, struct pn_capture_stats *st,
				  char *diag, size_t diag_size)
{
	struct pn_capture_options o;
	pn_capture_options_init(&o);
	o.files = files;
	o.n_files = n;
	o.filter = filter;
	o.count = count;
	memset(s, 0, sizeof *s);
	FILE *f = fmemopen(diag, diag_size, "w");
	enum pn_capture_result r =
	    pn_capture_run(&o, on_packet, on_open, s, st, "test", f);
	fclose(f);
	return r;
}

#define CAP(name) PN_CAPTURES "/" name

static void test_files_in_order(void **state)
{
	(void)state;
	const char *files[] = {CAP("tcp-ipv4.pcap"), CAP("udp.pcap")};
	struct seen s;
	struct pn_capture_stats st;
	char diag[1024];
	assert_int_equal(run(files, 2, NULL, 0, &s, &st, diag, sizeof diag),
			 PN_CAPTURE_OK);
	assert_int_equal(s.packets, 16 + 14);
	assert_int_equal(s.opened, 2);
	assert_int_equal(st.packets, 30);
	assert_int_equal(st.decode.packets, 30);
	assert_int_equal(st.sources_ok, 2);
	assert_int_equal(st.sources_failed, 0);
	assert_string_equal(s.last_source, CAP("udp.pcap"));
}

static void test_damaged_and_unsupported(void **state)
{
	(void)state;
	const char *files[] = {CAP("damaged-truncated-record.pcap"),
			       CAP("link-unsupported-80211.pcap"),
			       CAP("does-not-exist.pcap"), CAP("udp.pcap")};
	struct seen s;
	struct pn_capture_stats st;
	char diag[2048];
	assert_int_equal(run(files, 4, NULL, 0, &s, &st, diag, sizeof diag),
			 PN_CAPTURE_DAMAGED);
	/* Everything before the damage, then the next readable file. */
	assert_int_equal(s.packets, 4 + 14);
	assert_int_equal(st.sources_ok, 1);
	assert_int_equal(st.sources_failed, 3);
	/* The damaged file was read up to its damage; the unsupported and
	 * the missing one not at all. */
	assert_int_equal(st.sources_read, 2);
	assert_non_null(strstr(diag, "damaged-truncated-record.pcap: packet "
				     "5: truncated dump file"));
	assert_non_null(strstr(diag, "link type 105"));
	assert_non_null(strstr(diag, "does-not-exist.pcap: cannot read"));
}

static void test_count_and_filter(void **state)
{
	(void)state;
	const char *files[] = {CAP("demo.pcap")};
	struct seen s;
	struct pn_capture_stats st;
	char diag[1024];
	assert_int_equal(run(files, 1, NULL, 25, &s, &st, diag, sizeof diag),
			 PN_CAPTURE_OK);
	assert_int_equal(s.packets, 25);
	assert_int_equal(run(files, 1, "udp", 0, &s, &st, diag, sizeof diag),
			 PN_CAPTURE_OK);
	assert_true(s.packets > 100);
	assert_int_equal(s.udp, s.packets);
	assert_int_equal(
	    run(files, 1, "udp port", 0, &s, &st, diag, sizeof diag),
	    PN_CAPTURE_USAGE);
	assert_int_equal(s.packets, 0);
	assert_non_null(strstr(diag, "bad filter expression 'udp port'"));
}

/* A file of many records of many sizes: several times the read-ahead
 * ring (8 x 256 KiB), so records straddle chunks and the ring wraps. */
#define BIG_PACKETS 3000u

static uint8_t big_byte(uint32_t packet, uint32_t at)
{
	return (uint8_t)(packet * 31u + at * 7u + (at >> 8));
}

static uint32_t big_len(uint32_t packet)
{
	return 1 + (packet * 2654435761u >> 7) % 9000u;
}

static uint64_t write_big(const char *path)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	assert_non_null(dead);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	assert_non_null(d);
	static uint8_t buf[9001];
	uint64_t size = 24;
	for (uint32_t i = 0; i < BIG_PACKETS; i++) {
		struct pcap_pkthdr h = {.ts = {.tv_sec = 1700000000 + i}};
		h.caplen = h.len = big_len(i);
		for (uint32_t j = 0; j < h.caplen; j++)
			buf[j] = big_byte(i, j);
		pcap_dump((u_char *)d, &h, buf);
		size += 16 + h.caplen;
	}
	pcap_dump_close(d);
	pcap_close(dead);
	return size;
}

struct big_seen {
	uint32_t packets, wrong;
	uint64_t bytes;
};

static bool on_big(void *ctx, const struct pn_capture_source *src,
		   const struct pcap_pkthdr *h, const uint8_t *bytes,
		   const struct pn_packet *p)
{
	struct big_seen *s = ctx;
	(void)src;
	(void)p;
	uint32_t i = s->packets++;
	s->bytes += h->caplen;
	if (h->caplen != big_len(i) || h->ts.tv_sec != 1700000000 + i) {
		s->wrong++;
		return true;
	}
	for (uint32_t j = 0; j < h->caplen; j++)
		if (bytes[j] != big_byte(i, j)) {
			s->wrong++;
			break;
		}
	return true;
}

static void test_read_ahead(void **state)
{
	(void)state;
	char path[] = "/tmp/portnote-test-capture-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	uint64_t size = write_big(path);
	assert_true(size > 4 * 8 * (256u << 10));

	const char *files[] = {path};
	struct pn_capture_options o;
	pn_capture_options_init(&o);
	o.files = files;
	o.n_files = 1;
	struct pn_capture_stats st;
	struct big_seen s = {0};
	char diag[1024] = "";
	FILE *f = fmemopen(diag, sizeof diag, "w");
	assert_int_equal(pn_capture_run(&o, on_big, NULL, &s, &st, "test", f),
			 PN_CAPTURE_OK);
	fclose(f);
	assert_int_equal(s.packets, BIG_PACKETS);
	assert_int_equal(s.wrong, 0);
	assert_int_equal(s.bytes + 24 + 16 * BIG_PACKETS, size);

	/* Stopping early closes the file while the reader is ahead. */
	memset(&s, 0, sizeof s);
	o.count = 10;
	f = fmemopen(diag, sizeof diag, "w");
	assert_int_equal(pn_capture_run(&o, on_big, NULL, &s, &st, "test", f),
			 PN_CAPTURE_OK);
	fclose(f);
	assert_int_equal(s.packets, 10);
	assert_int_equal(s.wrong, 0);

	/* Cut the last byte, far past the first chunks. */
	assert_int_equal(truncate(path, (off_t)size - 1), 0);
	memset(&s, 0, sizeof s);
	o.count = 0;
	f = fmemopen(diag, sizeof diag, "w");
	assert_int_equal(pn_capture_run(&o, on_big, NULL, &s, &st, "test", f),
			 PN_CAPTURE_DAMAGED);
	fclose(f);
	assert_int_equal(s.packets, BIG_PACKETS - 1);
	assert_int_equal(s.wrong, 0);
	char want[64];
	snprintf(want, sizeof want, "packet %u: truncated dump file",
		 BIG_PACKETS);
	assert_non_null(strstr(diag, want));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_files_in_order),
	    cmocka_unit_test(test_damaged_and_unsupported),
	    cmocka_unit_test(test_count_and_filter),
	    cmocka_unit_test(test_read_ahead),
	};
	return cmocka_run_group_tests_name("capture", tests, NULL, NULL);
}
