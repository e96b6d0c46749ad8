/* pcapng.c — pcapng writer: SHB, IDB, EPB with opt_comment.
 * specification: draft-ietf-opsawg-pcapng sections 4.1, 4.2, 4.3. Blocks
 * are written in host byte order, which the byte-order magic announces. */
#include "portnote/pcapng.h"
#include "portnote/outfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	BT_SHB = 0x0A0D0D0A,
	BT_IDB = 0x00000001,
	BT_EPB = 0x00000006,
	BYTE_ORDER_MAGIC = 0x1A2B3C4D,
	OPT_END = 0,
	OPT_COMMENT = 1,
	OPT_SHB_USERAPPL = 4,
	OPT_IF_NAME = 2,
};

struct pn_pcapng {
	FILE *f;
	bool to_stdout;
	bool failed;
	uint32_t interfaces;
	int saved_errno;
	struct pn_outfile out; /* the file, unless to_stdout */
};

static void put(struct pn_pcapng *w, const void *p, size_t n)
{
	if (!w->failed && fwrite(p, 1, n, w->f) != n) {
		w->failed = true;
		w->saved_errno = errno;
	}
}

static void put32(struct pn_pcapng *w, uint32_t v)
{
	put(w, &v, 4);
}

static void put16(struct pn_pcapng *w, uint16_t v)
{
	put(w, &v, 2);
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Options are code, length, value padded to 32 bits. */
static size_t option_size(size_t len)
{
	return 4 + pad4(len);
}

static void put_option(struct pn_pcapng *w, uint16_t code, const void *v,
		       size_t len)
{
	static const uint8_t zeros[4];
	put16(w, code);
	put16(w, (uint16_t)len);
	put(w, v, len);
	put(w, zeros, pad4(len) - len);
}

/* An option value is at most 65535 bytes: longer text is cut there. */
static size_t option_len(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n > 65535 ? 65535 : n;
}

static void pcapng_free(struct pn_pcapng *w)
{
	free(w);
}

struct pn_pcapng *pn_pcapng_create(const char *path, const char *app,
				   char err[256])
{
	struct pn_pcapng *w = calloc(1, sizeof *w);
	if (!w) {
		snprintf(err, 256, "out of memory");
		return NULL;
	}
	w->to_stdout = strcmp(path, "-") == 0;
	if (w->to_stdout) {
		w->f = stdout;
	} else if (pn_outfile_open(&w->out, path, err)) {
		w->f = w->out.f;
	} else {
		pcapng_free(w);
		return NULL;
	}
	size_t app_len = option_len(app);
	uint32_t total =
	    28 + (uint32_t)(app_len ? option_size(app_len) : 0) + 4;
	put32(w, BT_SHB);
	put32(w, total);
	put32(w, BYTE_ORDER_MAGIC);
	put16(w, 1);			      /* major version */
	put16(w, 0);			      /* minor version */
	uint64_t section_length = UINT64_MAX; /* not given */
	put(w, &section_length, 8);
	if (app_len)
		put_option(w, OPT_SHB_USERAPPL, app, app_len);
	put32(w, OPT_END);
	put32(w, total);
	return w;
}

uint32_t pn_pcapng_interface(struct pn_pcapng *w, int linktype,
			     uint32_t snaplen, const char *name)
{
	size_t name_len = option_len(name);
	uint32_t total =
	    20 + (uint32_t)(name_len ? option_size(name_len) : 0) + 4;
	put32(w, BT_IDB);
	put32(w, total);
	put16(w, (uint16_t)linktype);
	put16(w, 0);
	put32(w, snaplen);
	if (name_len)
		put_option(w, OPT_IF_NAME, name, name_len);
	put32(w, OPT_END);
	put32(w, total);
	return w->interfaces++;
}

int pn_pcapng_packet(struct pn_pcapng *w, uint32_t interface,
		     const struct pcap_pkthdr *hdr, const uint8_t *data,
		     const char *comment)
{
	static const uint8_t zeros[4];
	size_t comment_len = option_len(comment);
	size_t opts = comment_len ? option_size(comment_len) + 4 : 0;
	uint32_t total = (uint32_t)(28 + pad4(hdr->caplen) + opts + 4);
	uint64_t ts =
	    (uint64_t)hdr->ts.tv_sec * 1000000u + (uint64_t)hdr->ts.tv_usec;
	put32(w, BT_EPB);
	put32(w, total);
	put32(w, interface);
	put32(w, (uint32_t)(ts >> 32));
	put32(w, (uint32_t)ts);
	put32(w, hdr->caplen);
	put32(w, hdr->len);
	put(w, data, hdr->caplen);
	put(w, zeros, pad4(hdr->caplen) - hdr->caplen);
	if (comment_len) {
		put_option(w, OPT_COMMENT, comment, comment_len);
		put32(w, OPT_END);
	}
	put32(w, total);
	return w->failed ? -1 : 0;
}

/* Flushes the stream; false if that or any earlier write failed. */
static bool flushed(struct pn_pcapng *w)
{
	if (fflush(w->f) != 0 && !w->failed) {
		w->failed = true;
		w->saved_errno = errno;
	}
	return !w->failed;
}

int pn_pcapng_close(struct pn_pcapng *w, char err[256])
{
	int rc = 0;
	if (!flushed(w)) {
		snprintf(err, 256, "write error: %s", strerror(w->saved_errno));
		rc = -1;
		if (!w->to_stdout)
			pn_outfile_discard(&w->out);
	} else if (!w->to_stdout) {
		/* Synced, closed and renamed into place (outfile.h). */
		rc = pn_outfile_commit(&w->out, err);
	}
	pcapng_free(w);
	return rc;
}

void pn_pcapng_discard(struct pn_pcapng *w)
{
	flushed(w);
	if (!w->to_stdout)
		pn_outfile_discard(&w->out);
	pcapng_free(w);
}
