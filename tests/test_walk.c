/* test_walk.c — the pcap record walker of capture.c against libpcap's own
 * reader, record by record (time, lengths, bytes) and in what each says
 * when a file ends badly: every committed capture, and generated files
 * whose records straddle the reader's chunks, in both byte orders, with
 * micro- and nanosecond times, cut short, longer than their snapshot
 * length, and beyond any. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <cmocka.h>

#include "walk_compare.h"

/* The two readers agree on the file. */
static void compare(const char *path, const char *filter)
{
	const char *why = walk_differs(path, filter);
	if (why)
		fail_msg("%s", why);
}

static void test_committed_captures(void **state)
{
	(void)state;
	const char *dirs[] = {PN_CAPTURES, PN_CAPTURES "/evidence"};
	unsigned files = 0;
	for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
		DIR *dir = opendir(dirs[d]);
		assert_non_null(dir);
		struct dirent *e;
		while ((e = readdir(dir)) != NULL) {
			size_t len = strlen(e->d_name);
			if (len < 5 || (strcmp(e->d_name + len - 5, ".pcap") &&
					strstr(e->d_name, ".pcapng") == NULL))
				continue;
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", dirs[d],
				 e->d_name);
			compare(path, NULL);
			compare(path, "tcp or udp port 53");
			files++;
		}
		closedir(dir);
	}
	assert_true(files >= 20);
}

/* A generated file: header fields, then records as the writer gives
 * them. */
struct gen {
	FILE *f;
	bool big, nano;
	uint64_t x; /* xorshift state */
};

static uint32_t rnd(struct gen *g)
{
	g->x ^= g->x << 13;
	g->x ^= g->x >> 7;
	g->x ^= g->x << 17;
	return (uint32_t)(g->x >> 16);
}

static void put32(struct gen *g, uint32_t v)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(g->big ? v >> (24 - 8 * i) : v >> (8 * i));
	fwrite(b, 1, 4, g->f);
}

static void put16(struct gen *g, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(g->big ? v >> 8 : v),
			(uint8_t)(g->big ? v : v >> 8)};
	fwrite(b, 1, 2, g->f);
}

static void header(struct gen *g, uint16_t major, uint16_t minor,
		   uint32_t snaplen)
{
	put32(g, g->nano ? 0xa1b23c4du : 0xa1b2c3d4u);
	put16(g, major);
	put16(g, minor);
	put32(g, 0);
	put32(g, 0);
	put32(g, snaplen);
	put32(g, 1); /* Ethernet */
}

/* A record of caplen bytes (only `written` of them written when not all:
 * the file is cut there), as an IPv4/UDP frame or noise. */
static void record(struct gen *g, uint32_t sec, uint32_t frac, uint32_t caplen,
		   uint32_t len, uint32_t written)
{
	put32(g, sec);
	put32(g, frac);
	put32(g, caplen);
	put32(g, len);
	static const uint8_t udp[] = {
	    0,	  1, 2,	 3,  4, 5, 6,	 7,    8,    9,	   10, 11, 0x08, 0x00,
	    0x45, 0, 0,	 28, 0, 0, 0,	 0,    64,   17,   0,  0,  10,	 0,
	    0,	  1, 10, 0,  0, 2, 0x30, 0x39, 0x00, 0x35, 0,  8,  0,	 0};
	for (uint32_t i = 0; i < written; i++) {
		uint8_t b =
		    i < sizeof udp && (g->x & 1) ? udp[i] : (uint8_t)rnd(g);
		fputc(b, g->f);
	}
}

static char dir[] = "/tmp/portnote-walk-XXXXXX";

static const char *gen_path(const char *name)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static struct gen gen_open(const char *name, bool big, bool nano)
{
	struct gen g = {fopen(gen_path(name), "wb"), big, nano,
			0x9e3779b97f4a7c15ull ^ (uint64_t)big << 1 ^ nano};
	assert_non_null(g.f);
	return g;
}

/* Many records of every size up to 70,000 bytes and a few of the
 * largest, so that records straddle every chunk edge, one of them
 * crosses a whole chunk, and times take every sign. */
static void gen_mixed(const char *name, bool big, bool nano)
{
	struct gen g = gen_open(name, big, nano);
	header(&g, 2, 4, 262144);
	for (unsigned i = 0; i < 3000; i++) {
		uint32_t caplen = i % 500 == 7 ? 262144 : rnd(&g) % 70000;
		if (i % 3 == 0)
			caplen %= 100;
		uint32_t frac = i % 11 == 0 ? rnd(&g) : rnd(&g) % 1000000;
		record(&g, i % 13 == 0 ? rnd(&g) : 1768467600 + i, frac, caplen,
		       caplen + rnd(&g) % 3, caplen);
	}
	fclose(g.f);
}

static void test_generated(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	const char *made[32];
	size_t n = 0;
	for (int big = 0; big < 2; big++)
		for (int nano = 0; nano < 2; nano++) {
			static char names[4][32];
			snprintf(names[big * 2 + nano], sizeof names[0],
				 "mixed-%s-%s.pcap", big ? "be" : "le",
				 nano ? "ns" : "us");
			gen_mixed(names[big * 2 + nano], big, nano);
			made[n++] = names[big * 2 + nano];
		}

	/* Records longer than the snapshot length: kept to it. */
	struct gen g = gen_open("snap100.pcap", false, false);
	header(&g, 2, 4, 100);
	for (unsigned i = 0; i < 50; i++)
		record(&g, 1768467600 + i, i, 60 + i * 5, 400, 60 + i * 5);
	fclose(g.f);
	made[n++] = "snap100.pcap";
	/* ... and cut short inside the snapshot, and inside the rest. */
	g = gen_open("snap100-cut-in.pcap", false, false);
	header(&g, 2, 4, 100);
	record(&g, 1768467600, 0, 60, 60, 60);
	record(&g, 1768467601, 0, 200, 200, 50);
	fclose(g.f);
	made[n++] = "snap100-cut-in.pcap";
	g = gen_open("snap100-cut-rest.pcap", true, false);
	header(&g, 2, 4, 100);
	record(&g, 1768467600, 0, 60, 60, 60);
	record(&g, 1768467601, 0, 9000, 9000, 5000);
	fclose(g.f);
	made[n++] = "snap100-cut-rest.pcap";
	/* Ending inside a record's header, and inside its bytes. */
	g = gen_open("cut-header.pcap", false, false);
	header(&g, 2, 4, 262144);
	record(&g, 1768467600, 0, 60, 60, 60);
	fwrite("\x01\x02\x03\x04\x05\x06\x07", 1, 7, g.f);
	fclose(g.f);
	made[n++] = "cut-header.pcap";
	g = gen_open("cut-bytes.pcap", true, true);
	header(&g, 2, 4, 262144);
	record(&g, 1768467600, 0, 60, 60, 60);
	record(&g, 1768467600, 5, 300000 / 2, 300000, 1000);
	fclose(g.f);
	made[n++] = "cut-bytes.pcap";
	/* Beyond any snapshot length, with a small and a large one. */
	g = gen_open("huge-small-snap.pcap", false, false);
	header(&g, 2, 4, 65535);
	record(&g, 1768467600, 0, 60, 60, 60);
	record(&g, 1768467601, 0, 300000, 300000, 16);
	fclose(g.f);
	made[n++] = "huge-small-snap.pcap";
	g = gen_open("huge-large-snap.pcap", false, false);
	header(&g, 2, 4, 0x7fffffff);
	record(&g, 1768467600, 0, 60, 60, 60);
	record(&g, 1768467601, 0, 300000, 300000, 16);
	fclose(g.f);
	made[n++] = "huge-large-snap.pcap";
	/* A snapshot length of 0, which libpcap takes as its largest. */
	g = gen_open("snap0.pcap", false, false);
	header(&g, 2, 4, 0);
	record(&g, 1768467600, 0, 70000, 70000, 70000);
	record(&g, 1768467601, 0, 300000, 300000, 16);
	fclose(g.f);
	made[n++] = "snap0.pcap";
	/* An older version and a file with only a header: libpcap's. */
	g = gen_open("version-2-2.pcap", false, false);
	header(&g, 2, 2, 262144);
	record(&g, 1768467600, 0, 80, 60, 60);
	record(&g, 1768467600, 0, 60, 60, 60);
	fclose(g.f);
	made[n++] = "version-2-2.pcap";
	g = gen_open("empty.pcap", true, false);
	header(&g, 2, 4, 262144);
	fclose(g.f);
	made[n++] = "empty.pcap";

	if (getenv("PN_KEEP"))
		printf("%s\n", dir);
	for (size_t i = 0; i < n; i++) {
		compare(gen_path(made[i]), NULL);
		compare(gen_path(made[i]), "udp");
	}
	/* The walker read them, and left the others to libpcap. */
	for (size_t i = 0; i < n; i++) {
		struct reading r;
		read_with(gen_path(made[i]), NULL, false, &r);
		bool libpcaps = strstr(made[i], "version-2-2") != NULL;
		if (r.walked != !libpcaps)
			fail_msg("%s: walked %d", made[i], (int)r.walked);
		if (i < 4)
			assert_int_equal(r.n, 3000);
		reading_free(&r);
	}
	for (size_t i = 0; i < n; i++)
		unlink(gen_path(made[i]));
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_committed_captures),
	    cmocka_unit_test(test_generated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
