/* baseline — the physical limit of a libpcap-based tool on one core: a bare
 * pcap_dispatch loop over a capture file that only counts packets and sums
 * their captured lengths. usage: baseline FILE */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

struct totals {
	uint64_t packets;
	uint64_t bytes;
};

static void count(u_char *user, const struct pcap_pkthdr *h,
		  const u_char *bytes)
{
	struct totals *t = (struct totals *)user;
	(void)bytes;
	t->packets++;
	t->bytes += h->caplen;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: baseline FILE\n", stderr);
		return 2;
	}
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "baseline: %s\n", err);
		return 1;
	}
	struct totals t = {0, 0};
	int n;
	while ((n = pcap_dispatch(p, -1, count, (u_char *)&t)) > 0)
		;
	if (n == PCAP_ERROR) {
		fprintf(stderr, "baseline: %s: %s\n", argv[1], pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	pcap_close(p);
	printf("packets %llu bytes %llu\n", (unsigned long long)t.packets,
	       (unsigned long long)t.bytes);
	return 0;
}
