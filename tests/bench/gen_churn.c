/* gen_churn — hostile captures for the benchmark: every packet a new flow.
 *
 * usage: gen_churn --scan|--flood [--packets N] [--seed S] FILE|-
 *
 *   --scan   a SYN scan: one scanner (10.0.0.1) to random hosts of
 *            172.16.0.0/12 on random ports, from random source ports;
 *            54-byte frames (Ethernet, IPv4, TCP with no options)
 *   --flood  a UDP flood with spoofed sources: random source addresses
 *            (anywhere in 0.0.0.0/0 but 0/8, 127/8 and multicast) and
 *            ports to one target (192.0.2.10) on random ports; 50-byte
 *            frames (8 payload bytes)
 *
 * Deterministic for a given seed (xoshiro256**); timestamps advance 1 µs
 * per packet from 2026-01-15T09:00:00Z, a million packets a second, as a
 * scanner on a fast link sends. Writes a classic little-endian pcap,
 * microsecond resolution, link type Ethernet. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rs[4];

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rnd(void)
{
	uint64_t r = rotl(rs[1] * 5, 7) * 9, t = rs[1] << 17;
	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = rotl(rs[3], 45);
	return r;
}

static inline void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static inline void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t sum16(const uint8_t *p, uint32_t len, uint32_t sum)
{
	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A spoofed source as floods use: any unicast address outside 0/8 and
 * 127/8. */
static uint32_t spoofed(void)
{
	for (;;) {
		uint32_t a = (uint32_t)rnd();
		uint8_t top = (uint8_t)(a >> 24);
		if (top != 0 && top != 127 && top < 224)
			return a;
	}
}

static int usage(void)
{
	fputs("usage: gen_churn --scan|--flood [--packets N] [--seed S] "
	      "FILE|-\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	int scan = -1;
	unsigned long long packets = 2000000, seed = 20260115;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--scan"))
			scan = 1;
		else if (!strcmp(argv[i], "--flood"))
			scan = 0;
		else if (!strcmp(argv[i], "--packets") && i + 1 < argc)
			packets = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (argv[i][0] == '-' && argv[i][1])
			return usage();
		else
			path = argv[i];
	}
	if (scan < 0 || !path || packets == 0)
		return usage();
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		rs[i] = splitmix64(&x);
	FILE *f = strcmp(path, "-") ? fopen(path, "wb") : stdout;
	if (!f) {
		perror(path);
		return 1;
	}
	static char buf[1 << 20];
	setvbuf(f, buf, _IOFBF, sizeof buf);
	uint8_t hdr[24] = {0};
	le32(hdr, 0xa1b2c3d4);
	hdr[4] = 2, hdr[6] = 4;	 /* version 2.4 */
	le32(hdr + 16, 262144); /* snaplen */
	le32(hdr + 20, 1);	 /* Ethernet */
	fwrite(hdr, 1, sizeof hdr, f);

	uint32_t l4len = scan ? 20 : 16, iplen = 20 + l4len,
		 framelen = 14 + iplen;
	uint8_t rec[16 + 64] = {0}, *fr = rec + 16;
	le32(rec + 8, framelen);
	le32(rec + 12, framelen);
	memcpy(fr, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00",
	       14);
	uint8_t *ip = fr + 14, *l4 = ip + 20;
	ip[0] = 0x45;
	put16(ip + 2, iplen);
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = scan ? 6 : 17;
	uint64_t t = 1768467600ull * 1000000; /* 2026-01-15T09:00:00Z */
	for (unsigned long long n = 0; n < packets; n++, t++) {
		le32(rec, (uint32_t)(t / 1000000));
		le32(rec + 4, (uint32_t)(t % 1000000));
		uint64_t r = rnd();
		uint32_t src, dst;
		uint16_t sport = (uint16_t)(1024 + (r & 0xffff) % 64512),
			 dport = (uint16_t)(1 + (r >> 16 & 0xffff) % 65535);
		if (scan) {
			src = 0x0a000001;			    /* 10.0.0.1 */
			dst = 0xac100000 | (uint32_t)(r >> 32 & 0xfffff); /* /12 */
		} else {
			src = spoofed();
			dst = 0xc000020a; /* 192.0.2.10 */
		}
		put16(ip + 4, (uint32_t)n);
		put32(ip + 12, src);
		put32(ip + 16, dst);
		ip[10] = ip[11] = 0;
		put16(ip + 10, fold(sum16(ip, 20, 0)));
		memset(l4, 0, l4len);
		put16(l4, sport);
		put16(l4 + 2, dport);
		if (scan) {
			put32(l4 + 4, (uint32_t)(r >> 8)); /* sequence */
			l4[12] = 5 << 4;		   /* data offset */
			l4[13] = 0x02;			   /* SYN */
			put16(l4 + 14, 1024);		   /* window */
		} else {
			put16(l4 + 4, l4len);
			memcpy(l4 + 8, "floodfld", 8);
		}
		/* The checksum over the pseudo-header and the segment. */
		uint32_t s = sum16(ip + 12, 8, 0) + ip[9] + l4len;
		uint16_t c = fold(sum16(l4, l4len, s));
		put16(l4 + (scan ? 16 : 6), !scan && c == 0 ? 0xffff : c);
		fwrite(rec, 1, 16 + framelen, f);
	}
	if (fflush(f) != 0 || ferror(f) || (f != stdout && fclose(f) != 0)) {
		perror(path);
		return 1;
	}
	fprintf(stderr, "gen_churn: %llu %s packets, %u-byte frames\n", packets,
		scan ? "SYN scan" : "UDP flood", framelen);
	return 0;
}
