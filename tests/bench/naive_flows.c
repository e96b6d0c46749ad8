/* naive_flows — the yardstick for flow creation: what a straightforward
 * flow tracker costs when every packet is a new flow. A bare libpcap loop
 * that decodes Ethernet (one VLAN tag), IPv4 or IPv6 and the TCP/UDP
 * ports, and keeps every flow in a uthash table keyed by the 5-tuple (both
 * directions one flow), one malloc per flow, no eviction, no statistics,
 * nothing freed. usage: naive_flows FILE */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

struct key {
	uint8_t addr[2][16];
	uint16_t port[2];
	uint8_t proto;
	uint8_t pad[3];
};

struct flow {
	struct key key;
	uint64_t packets, bytes;
	UT_hash_handle hh;
};

struct run {
	struct flow *flows;
	uint64_t packets, skipped, n_flows;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h,
		      const u_char *p)
{
	struct run *r = (struct run *)user;
	r->packets++;
	uint32_t n = h->caplen, off = 14;
	if (n < 14) {
		r->skipped++;
		return;
	}
	uint16_t type = (uint16_t)(p[12] << 8 | p[13]);
	if (type == 0x8100 && n >= 18) {
		type = (uint16_t)(p[16] << 8 | p[17]);
		off = 18;
	}
	struct key k;
	memset(&k, 0, sizeof k);
	uint32_t l4;
	if (type == 0x0800 && n >= off + 20) {
		const u_char *ip = p + off;
		k.proto = ip[9];
		memcpy(k.addr[0], ip + 12, 4);
		memcpy(k.addr[1], ip + 16, 4);
		l4 = off + (uint32_t)(ip[0] & 15) * 4;
	} else if (type == 0x86dd && n >= off + 40) {
		const u_char *ip = p + off;
		k.proto = ip[6];
		memcpy(k.addr[0], ip + 8, 16);
		memcpy(k.addr[1], ip + 24, 16);
		l4 = off + 40;
	} else {
		r->skipped++;
		return;
	}
	if ((k.proto != 6 && k.proto != 17) || n < l4 + 4) {
		r->skipped++;
		return;
	}
	k.port[0] = (uint16_t)(p[l4] << 8 | p[l4 + 1]);
	k.port[1] = (uint16_t)(p[l4 + 2] << 8 | p[l4 + 3]);
	/* One flow for both directions: the lower endpoint first. */
	int c = memcmp(k.addr[0], k.addr[1], 16);
	if (c > 0 || (c == 0 && k.port[0] > k.port[1])) {
		uint8_t a[16];
		memcpy(a, k.addr[0], 16);
		memcpy(k.addr[0], k.addr[1], 16);
		memcpy(k.addr[1], a, 16);
		uint16_t t = k.port[0];
		k.port[0] = k.port[1];
		k.port[1] = t;
	}
	struct flow *f;
	HASH_FIND(hh, r->flows, &k, sizeof k, f);
	if (!f) {
		f = calloc(1, sizeof *f);
		if (!f) {
			fputs("naive_flows: out of memory\n", stderr);
			exit(1);
		}
		f->key = k;
		HASH_ADD(hh, r->flows, key, sizeof k, f);
		r->n_flows++;
	}
	f->packets++;
	f->bytes += h->len;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: naive_flows FILE\n", stderr);
		return 2;
	}
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "naive_flows: %s\n", err);
		return 1;
	}
	struct run r = {0};
	int n;
	while ((n = pcap_dispatch(p, -1, on_packet, (u_char *)&r)) > 0)
		;
	if (n == PCAP_ERROR) {
		fprintf(stderr, "naive_flows: %s: %s\n", argv[1],
			pcap_geterr(p));
		return 1;
	}
	printf("packets %llu flows %llu skipped %llu\n",
	       (unsigned long long)r.packets, (unsigned long long)r.n_flows,
	       (unsigned long long)r.skipped);
	return 0;
}
