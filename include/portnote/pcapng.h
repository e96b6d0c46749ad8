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

/* Creates `path` ("-": standard output) and writes the section header.
 * NULL with a message in err on failure. */
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

/* Flushes and closes; returns 0, or -1 with a message in err. */
int pn_pcapng_close(struct pn_pcapng *w, char err[256]);

#endif
