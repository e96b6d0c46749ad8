/* walk_compare.h — reads a capture with the record walker and with
 * libpcap's reader and says where they differ: shared by test_walk and
 * fuzz_walk. */
#ifndef PORTNOTE_WALK_COMPARE_H
#define PORTNOTE_WALK_COMPARE_H

#include "portnote/capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a reader delivered: one digest per record, and its diagnostics. */
struct reading {
	size_t n, cap;
	uint64_t *record;
	enum pn_capture_result result;
	uint64_t packets, walked;
	bool interrupted; /* by a signal (libFuzzer's SIGALRM, say) */
	char *diag;
	size_t diag_len;
};

static uint64_t walk_fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static bool on_record(void *ctx, const struct pn_capture_source *src,
		      const struct pcap_pkthdr *h, const uint8_t *bytes,
		      const struct pn_packet *p)
{
	(void)src;
	(void)p;
	struct reading *r = ctx;
	int64_t sec = (int64_t)h->ts.tv_sec, usec = (int64_t)h->ts.tv_usec;
	uint64_t d = 0xcbf29ce484222325ull;
	d = walk_fnv(d, &sec, sizeof sec);
	d = walk_fnv(d, &usec, sizeof usec);
	d = walk_fnv(d, &h->caplen, sizeof h->caplen);
	d = walk_fnv(d, &h->len, sizeof h->len);
	d = walk_fnv(d, bytes, h->caplen);
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1024;
		r->record = realloc(r->record, r->cap * sizeof *r->record);
		if (!r->record)
			abort();
	}
	r->record[r->n++] = d;
	return true;
}

static void read_with(const char *path, const char *filter, bool libpcap,
		      struct reading *r)
{
	memset(r, 0, sizeof *r);
	const char *files[] = {path};
	struct pn_capture_options o = {.files = files,
				       .n_files = 1,
				       .filter = filter,
				       .snaplen = 262144,
				       .libpcap_reader = libpcap};
	FILE *diag = open_memstream(&r->diag, &r->diag_len);
	if (!diag)
		abort();
	struct pn_capture_stats stats;
	r->result =
	    pn_capture_run(&o, on_record, NULL, r, &stats, "test", diag);
	fclose(diag);
	r->packets = stats.packets;
	r->walked = stats.sources_walked;
	r->interrupted = stats.interrupted;
}

static void reading_free(struct reading *r)
{
	free(r->record);
	free(r->diag);
}

/* NULL when the walker and libpcap's reader agree on the file; else what
 * differs, in why (a static buffer). */
static const char *walk_differs(const char *path, const char *filter)
{
	static char why[8192];
	struct reading w, l;
	read_with(path, filter, false, &w);
	read_with(path, filter, true, &l);
	why[0] = '\0';
	/* A read a signal cut short proves nothing either way. */
	if (w.interrupted || l.interrupted) {
		reading_free(&w);
		reading_free(&l);
		return NULL;
	}
	for (size_t i = 0; i < w.n && i < l.n && !why[0]; i++)
		if (w.record[i] != l.record[i])
			snprintf(why, sizeof why,
				 "%s: record %zu differs from libpcap's", path,
				 i + 1);
	if (!why[0] && w.n != l.n)
		snprintf(why, sizeof why,
			 "%s: %zu records walked, libpcap read %zu", path, w.n,
			 l.n);
	if (!why[0] &&
	    (w.result != l.result || w.packets != l.packets || l.walked != 0))
		snprintf(why, sizeof why, "%s: results differ", path);
	if (!why[0] && strcmp(w.diag, l.diag) != 0)
		snprintf(why, sizeof why,
			 "%s: walked said\n%s\nlibpcap said\n%s", path, w.diag,
			 l.diag);
	reading_free(&w);
	reading_free(&l);
	return why[0] ? why : NULL;
}

#endif
