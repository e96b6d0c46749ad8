/* pcap2corpus — turns capture files into seed inputs for fuzz_decode: one
 * file per frame, prefixed with the two bytes fuzz_decode reads (link type
 * index, wire-length choice). usage: pcap2corpus OUTDIR FILE... */
#include "portnote/decode.h"

#include <pcap/pcap.h>
#include <stdio.h>

static const int linktypes[] = {PN_LINKTYPE_NULL,      PN_LINKTYPE_ETHERNET,
				PN_LINKTYPE_DLT_RAW,   PN_LINKTYPE_DLT_RAW_BSD,
				PN_LINKTYPE_RAW,       PN_LINKTYPE_LOOP,
				PN_LINKTYPE_LINUX_SLL, PN_LINKTYPE_IPV4,
				PN_LINKTYPE_IPV6,      PN_LINKTYPE_LINUX_SLL2};

int main(int argc, char **argv)
{
	unsigned long written = 0;
	for (int i = 2; i < argc; i++) {
		char err[PCAP_ERRBUF_SIZE];
		pcap_t *p = pcap_open_offline(argv[i], err);
		if (!p)
			continue; /* damaged seeds are no use here */
		int dlt = pcap_datalink(p), index = -1;
		for (int k = 0; k < (int)(sizeof linktypes / sizeof *linktypes);
		     k++)
			if (linktypes[k] == dlt)
				index = k;
		struct pcap_pkthdr *h;
		const u_char *bytes;
		while (index >= 0 && pcap_next_ex(p, &h, &bytes) == 1) {
			char path[4096];
			snprintf(path, sizeof path, "%s/seed-%lu", argv[1],
				 written++);
			FILE *f = fopen(path, "wb");
			if (!f)
				return 1;
			fputc(index, f);
			fputc(h->len > h->caplen ? 200 : 0, f);
			fwrite(bytes, 1, h->caplen, f);
			fclose(f);
		}
		pcap_close(p);
	}
	printf("%lu seeds\n", written);
	return 0;
}
