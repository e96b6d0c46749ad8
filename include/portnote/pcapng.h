/* pcapng.h — a minimal pcapng writer (draft-ietf-opsawg-pcapng): one
 * section, an interface block per source, and enhanced packet blocks that
 * carry portnote's annotation as the packet comment (opt_comment), which
 * Wireshark shows. libpcap reads pcapng but cannot write it. */
#ifndef PORTNOTE_PCAPNG_H
#define PORTNOTE_PCAPNG_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

struct pn_pcapng;

/* Starts writing `path` ("-": standard output) with the section header.
 * A regular file (or one that does not exist yet) is written as a temporary
 * file beside it, "PATH.XXXXXX", which pn_pcapng_close renames to `path`
 * only once every write succeeded: until then, and on any failure, a
 * previous file of that name stays as it was. Anything else that exists at
 * `path` (a device, a FIFO) is written directly. NULL with a message in err
 * on failure. */
struct pn_pcapng *pn_pcapng_create(const char *path, const char *app,
				   char err[256]);

/* Adds an interface; returns its id for pn_pcapng_packet. */
uint32_t pn_pcapng_interface(struct pn_pcapng *w, int linktype,
			     uint32_t snaplen, const char *name);

/* Writes one packet with an optional comment (NULL: none). Timestamps in
 * `hdr` are microseconds. Returns 0, or -1 on a write error. */
int pn_pcapng_packet(struct pn_pcapng *w, uint32_t interface,
		     const struct pcap_pkthdr *hdr, const uint8_t *data,
		     const char *comment);

/* Flushes and closes, and puts the file in place; returns 0, or -1 with a
 * message in err after removing the temporary file. */
int pn_pcapng_close(struct pn_pcapng *w, char err[256]);

/* Closes and removes the temporary file: `path` is left as it was (written
 * directly, it keeps what was written). */
void pn_pcapng_discard(struct pn_pcapng *w);

#endif
