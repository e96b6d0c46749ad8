/* gen_captures.c — writes the committed test captures in captures/.
 *
 * usage: gen_captures DIR
 *
 * Every file is built from fixed addresses, fixed timestamps (from
 * 2026-01-15 09:00:00 UTC) and a fixed-seed xorshift PRNG reseeded per
 * file, and written with explicit little-endian stores, so the output is
 * byte-identical on every machine; scripts/make-captures --check relies on
 * that to prove captures/ is what this program makes. Two PRNG draws never
 * share one expression: C leaves the order of function arguments and
 * initialisers unspecified, and gcc and clang do pick different orders. No
 * libpcap: the damaged files are ones libpcap must refuse, so they are written
 * by hand.
 *
 * Packets are built inside out: a frame holds the payload, and each layer
 * prepends its header, so lengths and checksums are known when a header is
 * written. IPv4 header, TCP, UDP, UDP-Lite, ICMP(v6), DCCP and SCTP (CRC32c)
 * checksums are correct unless a packet is deliberately broken.
 *
 * Expected decoder outcome of each packet in malformed-*.pcap (status
 * reason). Frame numbers are 1-based, as tshark counts.
 *
 * malformed-ether.pcap (Ethernet)
 *   1  truncated truncated-eth        caplen 10 of a 74-byte frame
 *   2  malformed short-eth            a 12-byte frame
 *   3  truncated truncated-vlan       caplen 16, cut inside the 802.1Q tag
 *   4  malformed short-vlan           a 16-byte frame ending in the tag
 *   5  unsupported vlan-depth         nine 802.1Q tags, then IPv4
 *   6  ok (none), non-IP arp         ARP request
 *   7  ok (none), non-IP stp         802.3 length + LLC (STP BPDU)
 *   8  malformed bad-ip-version       ethertype IPv4 carrying an IPv6 header
 *   9  truncated truncated-ipv4       caplen ends 10 bytes into IPv4
 *  10  malformed short-ipv4           a frame with 12 bytes of IPv4
 *  11  malformed bad-ihl              IHL 4
 *  12  malformed bad-ihl              IHL 15 but total length 40
 *  13  malformed bad-ipv4-length      total length 16
 *  14  malformed bad-ipv4-length      total length 1500 in a 74-byte frame
 *  15  truncated truncated-ipv4       caplen ends inside 40 bytes of options
 *  16  malformed tiny-fragment        first fragment with 8 bytes of TCP
 *  17  truncated truncated-ipv6       caplen ends 20 bytes into IPv6
 *  18  malformed short-ipv6           a frame with 30 bytes of IPv6
 *  19  malformed bad-ipv6-length      payload length 1000, 28 sent
 *  20  truncated truncated-ipv6-ext   caplen ends inside hop-by-hop options
 *  21  malformed bad-ipv6-ext         hop-by-hop length past the payload
 *  22  malformed bad-ipv6-ext         hop-by-hop after destination options
 *  23  unsupported ipv6-ext-limit     nine destination options headers
 *  24  malformed tiny-fragment        IPv6 first fragment, 4 bytes of UDP
 *  25  unsupported tunnel-depth       IPv4 in IPv4 in IPv4
 *  26  malformed bad-ip-version       IP-in-IP whose inner header is IPv6
 *  27  truncated truncated-gre        caplen ends 2 bytes into GRE
 *  28  malformed short-gre            GRE of 2 bytes
 *  29  malformed short-gre            GRE with K set but no key
 *  30  malformed bad-gre              GRE with the RFC 1701 routing bit
 *  31  unsupported unsupported-gre    GRE version 1 (PPTP)
 *  32  unsupported unsupported-gre    GRE carrying PPP (0x880b), version 0
 *  33  truncated truncated-tcp        caplen ends 10 bytes into TCP
 *  34  malformed short-tcp            12 bytes of TCP in the datagram
 *  35  malformed bad-tcp-offset       data offset 4
 *  36  malformed bad-tcp-offset       data offset 15, 24-byte segment
 *  37  truncated truncated-udp        caplen ends 4 bytes into UDP
 *  38  malformed short-udp            6 bytes of UDP in the datagram
 *  39  malformed bad-udp-length       UDP length 4
 *  40  malformed bad-udp-length       UDP length 500, 28 sent
 *  41  malformed bad-udplite-coverage UDP-Lite coverage 4
 *  42  malformed bad-udplite-coverage UDP-Lite coverage 1000
 *  43  truncated truncated-sctp       caplen ends 8 bytes into SCTP
 *  44  malformed short-sctp           10 bytes of SCTP
 *  45  malformed bad-sctp-chunk       chunk length 2
 *  46  malformed bad-sctp-chunk       chunk length 500, 20 sent
 *  47  malformed bad-sctp-chunk       2 trailing bytes after the common header
 *  48  truncated truncated-dccp       caplen ends 8 bytes into DCCP
 *  49  truncated truncated-dccp       Request cut inside its service code
 *  50  malformed short-dccp           10 bytes of DCCP
 *  51  malformed bad-dccp-offset      Request with data offset 4 (16 bytes)
 *  52  malformed bad-dccp-offset      Data offset 100, 12 bytes sent
 *  53  malformed bad-dccp-type        reserved type 12
 *  54  malformed bad-dccp-type        Request with short sequence numbers
 *  55  ok (none)                      a good TCP packet after all the above
 *
 * malformed-sll.pcap (LINUX_SLL)
 *   1  truncated truncated-sll        caplen 10 of a 60-byte frame
 *   2  malformed short-sll            a 12-byte frame
 *   3  ok (none), non-IP arp         ARP
 *   4  ok (none)                      a good UDP packet
 * malformed-sll2.pcap (LINUX_SLL2)
 *   1  truncated truncated-sll2       caplen 12 of a 64-byte frame
 *   2  malformed short-sll2           a 16-byte frame
 *   3  ok (none)                      a good UDP packet
 * malformed-null.pcap (NULL)
 *   1  truncated truncated-null       caplen 2 of a 52-byte frame
 *   2  malformed short-null           a 3-byte frame
 *   3  unsupported unsupported-family AF 16 (AppleTalk)
 *   4  ok (none)                      a good UDP packet
 * malformed-raw.pcap (RAW, 101)
 *   1  malformed bad-ip-version       version nibble 5
 *   2  truncated truncated-ipv4       caplen 0 of a 40-byte datagram
 *   3  truncated truncated-ipv4       caplen 10 of a 40-byte datagram
 *   4  truncated truncated-ipv6       caplen 30 of a 48-byte datagram
 *   5  ok (none)                      a good UDP packet
 * malformed-linktype-ipv6.pcap (IPV6, 229)
 *   1  malformed bad-ip-version       an IPv4 datagram
 *   2  ok (none)                      a good IPv6 UDP packet
 * malformed-bad-caplen.pcap (Ethernet)
 *   1  ok (none)                      a good TCP packet
 *   2  malformed bad-caplen           record caplen 74 > wire length 60
 *
 * Whole-file damage (libpcap stops reading; see captures/README.md):
 *   damaged-truncated-record.pcap  5 records, the last cut 30 bytes short
 *   damaged-huge-caplen.pcap       3 good records, then one whose caplen
 *                                  claims 4 MiB with snaplen 65535
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2026-01-15 09:00:00 UTC: every file's first packet. */
#define T0_SEC 1768467600ull
#define US 1000000ull

#define LT_NULL 0
#define LT_ETHER 1
#define LT_DLT_RAW 12
#define LT_RAW 101
#define LT_IEEE802_11 105
#define LT_LOOP 108
#define LT_SLL 113
#define LT_IPV4 228
#define LT_IPV6 229
#define LT_SLL2 276

#define SNAPLEN 65535u

static const char *out_dir;

/* ---- fatal errors: a generator bug or an I/O failure ------------------ */

static void die(const char *what, const char *name)
{
	fprintf(stderr, "gen_captures: %s: %s%s%s\n", what, name,
		errno ? ": " : "", errno ? strerror(errno) : "");
	exit(1);
}

/* ---- PRNG: xorshift64*, so output never depends on the C library ----- */

static uint64_t rng_state;

static void rng_seed(uint64_t seed)
{
	rng_state = seed ? seed : 0x9e3779b97f4a7c15ull;
}

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Uniform enough in [lo, hi]; modulo bias does not matter here. */
static uint32_t rnd(uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)((rng_next() >> 16) % ((uint64_t)hi - lo + 1));
}

static bool chance(unsigned percent)
{
	return rnd(0, 99) < percent;
}

/* ---- frames: payload first, headers prepended ------------------------ */

#define FR_CAP 8192
#define FR_HEAD 1024

struct frame {
	uint8_t b[FR_CAP];
	size_t off, end;
};

static void fr_init(struct frame *f)
{
	f->off = f->end = FR_HEAD;
}

static size_t fr_len(const struct frame *f)
{
	return f->end - f->off;
}

static uint8_t *fr_data(struct frame *f)
{
	return f->b + f->off;
}

static uint8_t *fr_push(struct frame *f, size_t n)
{
	if (n > f->off)
		die("frame headroom exhausted", "push");
	f->off -= n;
	memset(f->b + f->off, 0, n);
	return f->b + f->off;
}

static uint8_t *fr_put(struct frame *f, size_t n)
{
	uint8_t *p;

	if (n > FR_CAP - f->end)
		die("frame full", "put");
	p = f->b + f->end;
	memset(p, 0, n);
	f->end += n;
	return p;
}

static void fr_put_bytes(struct frame *f, const void *src, size_t n)
{
	memcpy(fr_put(f, n), src, n);
}

static void fr_put_random(struct frame *f, size_t n)
{
	uint8_t *p = fr_put(f, n);

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rng_next() >> 56);
}

static void be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	be16(p, v >> 16);
	be16(p + 2, v & 0xffff);
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* ---- addresses and checksums ----------------------------------------- */

struct addr {
	uint8_t v; /* 4 or 6 */
	uint8_t a[16];
};

static struct addr ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	struct addr r = {.v = 4};

	r.a[0] = (uint8_t)a;
	r.a[1] = (uint8_t)b;
	r.a[2] = (uint8_t)c;
	r.a[3] = (uint8_t)d;
	return r;
}

/* 2001:db8:NET::HOST, documentation space (RFC 3849). */
static struct addr ip6(unsigned net, unsigned host)
{
	struct addr r = {.v = 6};

	be16(r.a, 0x2001);
	be16(r.a + 2, 0x0db8);
	be16(r.a + 4, net);
	be16(r.a + 14, host);
	return r;
}

static size_t addr_len(const struct addr *a)
{
	return a->v == 4 ? 4 : 16;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* RFC 768 / RFC 8200 section 8.1 pseudo-header. */
static uint32_t csum_pseudo(const struct addr *src, const struct addr *dst,
			    uint8_t proto, uint32_t len)
{
	uint32_t sum = 0;

	sum = csum_add(sum, src->a, addr_len(src));
	sum = csum_add(sum, dst->a, addr_len(dst));
	return sum + proto + (len >> 16) + (len & 0xffff);
}

/* RFC 9260 appendix A: CRC32c, reflected, stored least significant byte
 * first as Linux and Wireshark do. */
static uint32_t crc32c(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
	}
	return ~crc;
}

/* ---- transport headers ----------------------------------------------- */

/* One direction of a transport conversation. */
struct ep {
	struct addr src, dst;
	uint16_t sport, dport;
};

static struct ep ep_reverse(const struct ep *e)
{
	struct ep r = {e->dst, e->src, e->dport, e->sport};
	return r;
}

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

static void push_tcp(struct frame *f, const struct ep *e, uint32_t seq,
		     uint32_t ack, uint8_t flags, uint16_t win,
		     const uint8_t *opt, size_t optlen)
{
	size_t hlen = 20 + optlen;
	uint8_t *h = fr_push(f, hlen);

	be16(h, e->sport);
	be16(h + 2, e->dport);
	be32(h + 4, seq);
	be32(h + 8, ack);
	h[12] = (uint8_t)(hlen / 4 << 4);
	h[13] = flags;
	be16(h + 14, win);
	if (optlen)
		memcpy(h + 20, opt, optlen);
	be16(h + 16, csum_fold(csum_add(
			 csum_pseudo(&e->src, &e->dst, 6, (uint32_t)fr_len(f)),
			 h, fr_len(f))));
}

/* proto 17 (UDP) or 136 (UDP-Lite, where the length field is the checksum
 * coverage: 0 for all, as RFC 3828 section 3.1 allows). */
static void push_udp(struct frame *f, const struct ep *e, uint8_t proto,
		     uint16_t coverage)
{
	uint8_t *h = fr_push(f, 8);
	size_t len = fr_len(f), covered = len;
	uint16_t sum;

	be16(h, e->sport);
	be16(h + 2, e->dport);
	if (proto == 136) {
		be16(h + 4, coverage);
		if (coverage)
			covered = coverage;
	} else {
		be16(h + 4, (uint32_t)len);
	}
	sum = csum_fold(csum_add(
	    csum_pseudo(&e->src, &e->dst, proto, (uint32_t)len), h, covered));
	/* Zero means "no checksum" in UDP (RFC 768). */
	be16(h + 6, sum ? sum : 0xffff);
}

/* RFC 4340 section 5.1: X = 1 uses 48-bit sequence numbers. Request and
 * Response carry a service code; all but Request and Data an ack number. */
#define DCCP_REQUEST 0
#define DCCP_RESPONSE 1
#define DCCP_DATA 2
#define DCCP_ACK 3
#define DCCP_DATAACK 4
#define DCCP_CLOSE 6
#define DCCP_RESET 7

static void push_dccp(struct frame *f, const struct ep *e, uint8_t type, bool x,
		      uint64_t seq, uint64_t ack, uint32_t service)
{
	bool has_ack = type != DCCP_REQUEST && type != DCCP_DATA;
	size_t hlen =
	    (x ? 16 : 12) + (has_ack ? (x ? 8 : 4) : 0) +
	    ((type == DCCP_REQUEST || type == DCCP_RESPONSE) ? 4 : 0) +
	    (type == DCCP_RESET ? 4 : 0);
	uint8_t *h = fr_push(f, hlen), *p;

	be16(h, e->sport);
	be16(h + 2, e->dport);
	h[4] = (uint8_t)(hlen / 4);
	h[8] = (uint8_t)(type << 1 | (x ? 1 : 0));
	if (x) {
		be16(h + 10, (uint32_t)(seq >> 32));
		be32(h + 12, (uint32_t)seq);
		p = h + 16;
	} else {
		h[9] = (uint8_t)(seq >> 16);
		be16(h + 10, (uint32_t)(seq & 0xffff));
		p = h + 12;
	}
	if (has_ack) {
		if (x) {
			be16(p + 2, (uint32_t)(ack >> 32));
			be32(p + 4, (uint32_t)ack);
			p += 8;
		} else {
			p[1] = (uint8_t)(ack >> 16);
			be16(p + 2, (uint32_t)(ack & 0xffff));
			p += 4;
		}
	}
	if (type == DCCP_REQUEST || type == DCCP_RESPONSE)
		be32(p, service);
	if (type == DCCP_RESET)
		p[0] = 1; /* reset code: Closed */
	/* CsCov 0: the checksum covers the whole packet (section 9.2). */
	be16(h + 6, csum_fold(csum_add(
			csum_pseudo(&e->src, &e->dst, 33, (uint32_t)fr_len(f)),
			h, fr_len(f))));
}

/* The common header goes in front of chunks already in the frame. */
static void push_sctp(struct frame *f, const struct ep *e, uint32_t vtag)
{
	uint8_t *h = fr_push(f, 12);

	be16(h, e->sport);
	be16(h + 2, e->dport);
	be32(h + 4, vtag);
	le32(h + 8, crc32c(h, fr_len(f)));
}

static void put_chunk(struct frame *f, uint8_t type, uint8_t flags,
		      const uint8_t *body, size_t n)
{
	uint8_t *c = fr_put(f, 4);

	c[0] = type;
	c[1] = flags;
	be16(c + 2, (uint32_t)(4 + n));
	if (n)
		fr_put_bytes(f, body, n);
	/* Chunks are padded to 4 octets; the length excludes the padding. */
	if (n % 4)
		fr_put(f, 4 - n % 4);
}

#define SCTP_DATA 0
#define SCTP_INIT 1
#define SCTP_INIT_ACK 2
#define SCTP_SACK 3
#define SCTP_ABORT 6
#define SCTP_COOKIE_ECHO 10
#define SCTP_COOKIE_ACK 11

static void put_sctp_init(struct frame *f, uint8_t type, uint32_t tag,
			  uint32_t tsn, size_t cookie)
{
	uint8_t b[16 + 4 + 64] = {0};
	size_t n = 16;

	be32(b, tag);
	be32(b + 4, 106496); /* a_rwnd */
	be16(b + 8, 10);     /* outbound streams */
	be16(b + 10, 65535); /* inbound streams */
	be32(b + 12, tsn);
	if (cookie) { /* State Cookie parameter, INIT ACK only */
		be16(b + 16, 7);
		be16(b + 18, (uint32_t)(4 + cookie));
		for (size_t i = 0; i < cookie; i++)
			b[20 + i] = (uint8_t)(rng_next() >> 56);
		n += 4 + cookie;
	}
	put_chunk(f, type, 0, b, n);
}

static void put_sctp_data(struct frame *f, uint32_t tsn, uint16_t sid,
			  uint16_t ssn, uint32_t ppid, size_t len)
{
	uint8_t b[12 + 1500];

	if (len > 1500)
		die("sctp data too long", "data");
	be32(b, tsn);
	be16(b + 4, sid);
	be16(b + 6, ssn);
	be32(b + 8, ppid);
	for (size_t i = 0; i < len; i++)
		b[12 + i] = (uint8_t)(rng_next() >> 56);
	put_chunk(f, SCTP_DATA, 0x03, b, 12 + len); /* B and E: unfragmented */
}

static void put_sctp_sack(struct frame *f, uint32_t cum_tsn)
{
	uint8_t b[12] = {0};

	be32(b, cum_tsn);
	be32(b + 4, 106496);
	put_chunk(f, SCTP_SACK, 0, b, sizeof b);
}

/* ICMP echo (type 8/0) and ICMPv6 echo (128/129). */
static void push_icmp_echo(struct frame *f, const struct addr *src,
			   const struct addr *dst, bool reply, uint16_t id,
			   uint16_t seq)
{
	uint8_t *h = fr_push(f, 8);
	uint32_t sum = 0;

	if (src->v == 4) {
		h[0] = reply ? 0 : 8;
	} else {
		h[0] = reply ? 129 : 128;
		sum = csum_pseudo(src, dst, 58, (uint32_t)fr_len(f));
	}
	be16(h + 4, id);
	be16(h + 6, seq);
	be16(h + 2, csum_fold(csum_add(sum, h, fr_len(f))));
}

/* ---- network headers ------------------------------------------------- */

#define IP4_DF 0x4000
#define IP4_MF 0x2000

/* frag: flags and offset in 8-octet units, as on the wire. */
static void push_ipv4_opts(struct frame *f, const struct addr *src,
			   const struct addr *dst, uint8_t proto, uint16_t id,
			   uint16_t frag, uint8_t ttl, const uint8_t *opt,
			   size_t optlen)
{
	size_t hlen = 20 + optlen;
	uint8_t *h = fr_push(f, hlen);

	h[0] = (uint8_t)(0x40 | hlen / 4);
	be16(h + 2, (uint32_t)fr_len(f));
	be16(h + 4, id);
	be16(h + 6, frag);
	h[8] = ttl;
	h[9] = proto;
	memcpy(h + 12, src->a, 4);
	memcpy(h + 16, dst->a, 4);
	if (optlen)
		memcpy(h + 20, opt, optlen);
	be16(h + 10, csum_fold(csum_add(0, h, hlen)));
}

static void push_ipv4(struct frame *f, const struct addr *src,
		      const struct addr *dst, uint8_t proto, uint16_t id,
		      uint16_t frag, uint8_t ttl)
{
	push_ipv4_opts(f, src, dst, proto, id, frag, ttl, NULL, 0);
}

static void push_ipv6(struct frame *f, const struct addr *src,
		      const struct addr *dst, uint8_t next, uint8_t hlim,
		      uint32_t flow)
{
	uint8_t *h = fr_push(f, 40);
	size_t plen = fr_len(f) - 40;

	be32(h, 0x60000000u | (flow & 0xfffff));
	be16(h + 4, (uint32_t)(plen > 0xffff ? 0 : plen));
	h[6] = next;
	h[7] = hlim;
	memcpy(h + 8, src->a, 16);
	memcpy(h + 24, dst->a, 16);
}

#define IP6_HOPOPTS 0
#define IP6_ROUTING 43
#define IP6_FRAGMENT 44
#define IP6_ESP 50
#define IP6_AH 51
#define IP6_NONXT 59
#define IP6_DSTOPTS 60

/* Hop-by-hop or destination options of 8 * (units + 1) bytes: one
 * option of type `opt` when non-zero, PadN filling the rest. */
static void push_ip6_opts(struct frame *f, uint8_t next, uint8_t units,
			  uint8_t opt, const uint8_t *val, uint8_t vlen)
{
	size_t len = (size_t)(units + 1) * 8, pos = 2;
	uint8_t *h = fr_push(f, len);

	h[0] = next;
	h[1] = units;
	if (opt) {
		h[pos] = opt;
		h[pos + 1] = vlen;
		memcpy(h + pos + 2, val, vlen);
		pos += 2u + vlen;
	}
	if (pos == len - 1) {
		h[pos] = 0; /* Pad1 */
	} else if (pos < len) {
		h[pos] = 1; /* PadN */
		h[pos + 1] = (uint8_t)(len - pos - 2);
	}
}

/* A Segment Routing Header (RFC 8754) with segments left 0, so the IPv6
 * destination stays the final one for the checksum. */
static void push_ip6_srh(struct frame *f, uint8_t next, const struct addr *seg)
{
	uint8_t *h = fr_push(f, 24);

	h[0] = next;
	h[1] = 2; /* 16 bytes of segment list */
	h[2] = 4; /* routing type: SRH */
	h[3] = 0; /* segments left */
	h[4] = 0; /* last entry */
	memcpy(h + 8, seg->a, 16);
}

static void push_ip6_frag(struct frame *f, uint8_t next, uint16_t offset8,
			  bool more, uint32_t id)
{
	uint8_t *h = fr_push(f, 8);

	h[0] = next;
	be16(h + 2, (uint32_t)(offset8 << 3 | (more ? 1 : 0)));
	be32(h + 4, id);
}

/* AH with a 96-bit ICV (HMAC-SHA1-96): 24 bytes, length field 4. */
static void push_ip6_ah(struct frame *f, uint8_t next, uint32_t spi,
			uint32_t seq)
{
	uint8_t *h = fr_push(f, 24);

	h[0] = next;
	h[1] = 4;
	be32(h + 4, spi);
	be32(h + 8, seq);
	for (int i = 12; i < 24; i++)
		h[i] = (uint8_t)(rng_next() >> 56);
}

/* GRE (RFC 2784, key and sequence from RFC 2890). */
static void push_gre(struct frame *f, uint16_t protocol, bool key,
		     uint32_t key_val, bool seq, uint32_t seq_val)
{
	size_t len = 4 + (key ? 4 : 0) + (seq ? 4 : 0);
	uint8_t *h = fr_push(f, len), *p = h + 4;

	be16(h, (key ? 0x2000u : 0) | (seq ? 0x1000u : 0));
	be16(h + 2, protocol);
	if (key) {
		be32(p, key_val);
		p += 4;
	}
	if (seq)
		be32(p, seq_val);
}

/* ---- link headers ---------------------------------------------------- */

/* Locally administered MACs derived from the IP address, so each host
 * keeps one MAC across files. */
static void mac_of(uint8_t mac[6], const struct addr *a)
{
	size_t n = addr_len(a);

	mac[0] = a->v == 4 ? 0x02 : 0x06;
	mac[1] = 0x00;
	memcpy(mac + 2, a->a + n - 4, 4);
}

struct vtag {
	uint16_t tpid, tci;
};

static void push_eth_tags(struct frame *f, const uint8_t dst[6],
			  const uint8_t src[6], const struct vtag *tags,
			  size_t ntags, uint16_t type)
{
	uint8_t *h = fr_push(f, 14 + 4 * ntags);

	memcpy(h, dst, 6);
	memcpy(h + 6, src, 6);
	for (size_t i = 0; i < ntags; i++) {
		be16(h + 12 + 4 * i, tags[i].tpid);
		be16(h + 14 + 4 * i, tags[i].tci);
	}
	be16(h + 12 + 4 * ntags, type);
}

static const uint8_t MAC_A[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
static const uint8_t MAC_B[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02};

/* SLL packet types (packet(7)): 0 to us, 4 sent by us. */
static void push_sll(struct frame *f, bool outgoing, uint16_t protocol)
{
	uint8_t *h = fr_push(f, 16);

	be16(h, outgoing ? 4 : 0);
	be16(h + 2, 1); /* ARPHRD_ETHER */
	be16(h + 4, 6);
	memcpy(h + 6, outgoing ? MAC_A : MAC_B, 6);
	be16(h + 14, protocol);
}

static void push_sll2(struct frame *f, bool outgoing, uint16_t protocol)
{
	uint8_t *h = fr_push(f, 20);

	be16(h, protocol);
	be32(h + 4, 2); /* interface index */
	be16(h + 8, 1); /* ARPHRD_ETHER */
	h[10] = outgoing ? 4 : 0;
	h[11] = 6;
	memcpy(h + 12, outgoing ? MAC_A : MAC_B, 6);
}

/* NULL/LOOP: the address family as 32 bits, in either byte order. */
static void push_null(struct frame *f, uint32_t af, bool big_endian)
{
	uint8_t *h = fr_push(f, 4);

	if (big_endian)
		be32(h, af);
	else
		le32(h, af);
}

/* How a capture file's frames are framed below IP. */
struct link {
	int type;
	size_t ntags;
	struct vtag tags[2];
	bool null_be;	 /* NULL: family stored big-endian */
	uint32_t af6;	 /* NULL/LOOP: AF_INET6 value to write */
	uint16_t af4;	 /* NULL/LOOP: AF_INET value, normally 2 */
	bool no_ethpad;	 /* do not pad Ethernet frames to 60 bytes */
	bool pad_to_min; /* pad short Ethernet frames (received frames) */
	uint16_t pppoe;	 /* nonzero: a PPPoE session with this id */
	size_t nlabels;	 /* MPLS label stack entries, outermost first */
	uint32_t labels[4];
};

/* PPPoE session header (RFC 2516 section 4) and PPP protocol around the
 * frame's data; returns the ethertype. */
static uint16_t push_pppoe(struct frame *f, uint16_t session, uint16_t proto)
{
	uint8_t *h = fr_push(f, 2);

	be16(h, proto);
	h = fr_push(f, 6);
	h[0] = 0x11; /* version 1, type 1 */
	h[1] = 0x00; /* session data */
	be16(h + 2, session);
	be16(h + 4, (uint32_t)(fr_len(f) - 6));
	return 0x8864;
}

/* An MPLS label stack (RFC 3032 section 2.1), TTL 64, S on the last. */
static uint16_t push_mpls(struct frame *f, const uint32_t *labels, size_t n)
{
	for (size_t i = n; i-- > 0;)
		be32(fr_push(f, 4),
		     labels[i] << 12 | (i + 1 == n ? 0x100u : 0) | 64);
	return 0x8847;
}

static uint16_t ethertype_of(const struct frame *f)
{
	return (f->b[f->off] >> 4) == 6 ? 0x86dd : 0x0800;
}

/* Wraps the IP datagram in f for the link; `out` says the capturing host
 * sent it (SLL packet type), src/dst pick the Ethernet addresses. */
static void link_wrap(struct frame *f, const struct link *lk, bool out,
		      const struct addr *src, const struct addr *dst)
{
	uint16_t type = ethertype_of(f);
	uint8_t smac[6], dmac[6];
	bool v6 = type == 0x86dd;

	/* PPP DLL protocol numbers: 0x0021 IPv4, 0x0057 IPv6. */
	if (lk->pppoe)
		type = push_pppoe(f, lk->pppoe, v6 ? 0x0057 : 0x0021);
	if (lk->nlabels)
		type = push_mpls(f, lk->labels, lk->nlabels);

	switch (lk->type) {
	case LT_ETHER:
		mac_of(smac, src);
		mac_of(dmac, dst);
		push_eth_tags(f, dmac, smac, lk->tags, lk->ntags, type);
		/* Frames received from the wire arrive padded to the
		 * 60-byte minimum; the padding is not IP payload. */
		if (lk->pad_to_min && fr_len(f) < 60)
			fr_put(f, 60 - fr_len(f));
		break;
	case LT_SLL:
		push_sll(f, out, type);
		break;
	case LT_SLL2:
		push_sll2(f, out, type);
		break;
	case LT_NULL:
		push_null(f, v6 ? lk->af6 : lk->af4, lk->null_be);
		break;
	case LT_LOOP:
		push_null(f, v6 ? lk->af6 : lk->af4, true);
		break;
	default: /* raw IP link types */
		break;
	}
}

/* ---- capture files --------------------------------------------------- */

struct rec {
	uint64_t t_us;
	uint32_t n; /* insertion order: ties keep it */
	uint32_t caplen, wirelen;
	uint32_t stored; /* bytes written after the record header */
	uint8_t *data;
};

struct cap {
	char name[64];
	uint32_t linktype, snaplen;
	uint64_t t_us; /* cursor for files written in sequence */
	struct rec *recs;
	size_t nrecs, cap;
	uint32_t cut_last; /* bytes cut from the last record's data */
};

static void cap_open(struct cap *c, const char *name, uint32_t linktype,
		     uint64_t seed)
{
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", name);
	c->linktype = linktype;
	c->snaplen = SNAPLEN;
	c->t_us = T0_SEC * US;
	rng_seed(seed);
}

static void cap_add_raw(struct cap *c, uint64_t t_us, const uint8_t *data,
			uint32_t stored, uint32_t caplen, uint32_t wirelen)
{
	struct rec *r;

	if (c->nrecs == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->recs = realloc(c->recs, c->cap * sizeof *c->recs);
		if (!c->recs)
			die("out of memory", c->name);
	}
	r = &c->recs[c->nrecs];
	r->t_us = t_us;
	r->n = (uint32_t)c->nrecs++;
	r->caplen = caplen;
	r->wirelen = wirelen;
	r->stored = stored;
	r->data = malloc(stored ? stored : 1);
	if (!r->data)
		die("out of memory", c->name);
	memcpy(r->data, data, stored);
}

/* A frame captured whole, or its first caplen bytes (a snaplen cut). */
static void cap_add(struct cap *c, uint64_t t_us, struct frame *f,
		    size_t caplen)
{
	uint32_t len = (uint32_t)fr_len(f);
	uint32_t cl = caplen && caplen < len ? (uint32_t)caplen : len;

	cap_add_raw(c, t_us, fr_data(f), cl, cl, len);
}

/* Sequential files: each packet a little after the previous one. */
static void cap_next(struct cap *c, struct frame *f)
{
	c->t_us += rnd(200, 3000);
	cap_add(c, c->t_us, f, 0);
}

static void cap_next_cut(struct cap *c, struct frame *f, size_t caplen)
{
	c->t_us += rnd(200, 3000);
	cap_add(c, c->t_us, f, caplen);
}

static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->t_us != y->t_us)
		return x->t_us < y->t_us ? -1 : 1;
	return x->n < y->n ? -1 : x->n > y->n;
}

static FILE *open_out(const char *name)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", out_dir, name);
	fp = fopen(path, "wb");
	if (!fp)
		die("cannot create", path);
	return fp;
}

static void put_le16(FILE *fp, uint32_t v)
{
	fputc((int)(v & 0xff), fp);
	fputc((int)((v >> 8) & 0xff), fp);
}

static void put_le32(FILE *fp, uint32_t v)
{
	put_le16(fp, v & 0xffff);
	put_le16(fp, v >> 16);
}

/* Classic pcap, microsecond timestamps, little-endian (magic a1b2c3d4
 * written LE reads d4 c3 b2 a1). Records are sorted by time first. */
static void cap_close(struct cap *c)
{
	FILE *fp = open_out(c->name);

	qsort(c->recs, c->nrecs, sizeof *c->recs, rec_cmp);
	put_le32(fp, 0xa1b2c3d4u);
	put_le16(fp, 2);
	put_le16(fp, 4);
	put_le32(fp, 0); /* thiszone */
	put_le32(fp, 0); /* sigfigs */
	put_le32(fp, c->snaplen);
	put_le32(fp, c->linktype);
	for (size_t i = 0; i < c->nrecs; i++) {
		struct rec *r = &c->recs[i];
		uint32_t stored = r->stored;

		if (i + 1 == c->nrecs && c->cut_last)
			stored -= c->cut_last;
		put_le32(fp, (uint32_t)(r->t_us / US));
		put_le32(fp, (uint32_t)(r->t_us % US));
		put_le32(fp, r->caplen);
		put_le32(fp, r->wirelen);
		if (fwrite(r->data, 1, stored, fp) != stored)
			die("write failed", c->name);
		free(r->data);
	}
	free(c->recs);
	if (fclose(fp) != 0)
		die("write failed", c->name);
	printf("%-36s %6zu packets\n", c->name, c->nrecs);
}

/* ---- building blocks for traffic ------------------------------------- */

/* IP around the transport segment in f; v4 or v6 from the addresses. */
static void push_ip(struct frame *f, const struct ep *e, uint8_t proto,
		    uint16_t id, uint8_t ttl)
{
	if (e->src.v == 4)
		push_ipv4(f, &e->src, &e->dst, proto, id,
			  proto == 6 ? IP4_DF : 0, ttl);
	else
		push_ipv6(f, &e->src, &e->dst, proto, ttl,
			  (uint32_t)(e->sport * 7919u + e->dport));
}

/* A TCP connection between e.src (client) and e.dst (server). */
struct tcp_conn {
	struct cap *c;
	const struct link *lk;
	struct ep ep[2]; /* [0] client to server, [1] back */
	uint32_t seq[2];
	uint32_t tsval[2];
	uint16_t ipid[2];
	uint16_t win[2];
	bool ts; /* timestamps option on every segment (Linux) */
	uint64_t t;
	uint32_t rtt_us;
};

static void tcp_init(struct tcp_conn *k, struct cap *c, const struct link *lk,
		     const struct ep *e, uint64_t t)
{
	memset(k, 0, sizeof *k);
	k->c = c;
	k->lk = lk;
	k->ep[0] = *e;
	k->ep[1] = ep_reverse(e);
	k->seq[0] = (uint32_t)rng_next();
	k->seq[1] = (uint32_t)rng_next();
	k->tsval[0] = (uint32_t)rng_next() >> 4;
	k->tsval[1] = (uint32_t)rng_next() >> 4;
	k->ipid[0] = (uint16_t)rng_next();
	k->ipid[1] = (uint16_t)rng_next();
	k->win[0] = 502;
	k->win[1] = 509;
	k->ts = true;
	k->t = t;
	k->rtt_us = 20000;
}

/* One segment from side dir (0 client, 1 server) with len payload bytes,
 * recorded at the connection's current time. */
static void tcp_seg_data(struct tcp_conn *k, int dir, uint8_t flags,
			 const uint8_t *data, size_t len)
{
	struct frame f;
	uint8_t opt[20];
	size_t optlen = 0;
	uint16_t win = k->win[dir];
	const struct ep *e = &k->ep[dir];

	fr_init(&f);
	if (data)
		fr_put_bytes(&f, data, len);
	else
		fr_put_random(&f, len);
	if (flags & TH_SYN) {
		/* MSS, SACK permitted, timestamps, NOP, window scale 7. */
		static const uint8_t syn_opt[20] = {2,	4, 0x05, 0xb4, 4, 2, 8,
						    10, 0, 0,	 0,    0, 0, 0,
						    0,	0, 1,	 3,    3, 7};
		memcpy(opt, syn_opt, 20);
		if (e->src.v == 6)
			be16(opt + 2, 1440);
		be32(opt + 8, k->tsval[dir]);
		be32(opt + 12, (flags & TH_ACK) ? k->tsval[!dir] : 0);
		if (!k->ts) {
			/* No timestamps: MSS, NOP, WS, NOP, NOP, SACK-perm. */
			static const uint8_t syn_nots[12] = {
			    2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2};
			memcpy(opt, syn_nots, 12);
			optlen = 12;
		} else {
			optlen = 20;
		}
		win = 64240;
	} else if (k->ts) {
		opt[0] = 1;
		opt[1] = 1;
		opt[2] = 8;
		opt[3] = 10;
		be32(opt + 4, k->tsval[dir]);
		be32(opt + 8, k->tsval[!dir]);
		optlen = 12;
	}
	push_tcp(&f, e, k->seq[dir], (flags & TH_ACK) ? k->seq[!dir] : 0, flags,
		 (flags & TH_RST) ? 0 : win, opt, optlen);
	push_ip(&f, e, 6, k->ipid[dir]++, dir ? 52 : 64);
	link_wrap(&f, k->lk, dir == 0, &e->src, &e->dst);
	cap_add(k->c, k->t, &f, 0);
	k->seq[dir] += (uint32_t)len + ((flags & (TH_SYN | TH_FIN)) ? 1 : 0);
	k->tsval[dir] += 1 + k->rtt_us / 4000;
}

static void tcp_seg(struct tcp_conn *k, int dir, uint8_t flags, size_t len)
{
	tcp_seg_data(k, dir, flags, NULL, len);
}

static void tcp_wait(struct tcp_conn *k, uint32_t us)
{
	k->t += us;
}

static void tcp_handshake(struct tcp_conn *k)
{
	tcp_seg(k, 0, TH_SYN, 0);
	tcp_wait(k, k->rtt_us / 2);
	tcp_seg(k, 1, TH_SYN | TH_ACK, 0);
	tcp_wait(k, k->rtt_us / 2);
	tcp_seg(k, 0, TH_ACK, 0);
}

/* len bytes from dir, split at the MSS, the peer ACKing every second
 * segment and the last. */
static void tcp_send(struct tcp_conn *k, int dir, size_t len)
{
	size_t mss = (k->ep[0].src.v == 6 ? 1440 : 1460) - (k->ts ? 12 : 0);
	unsigned segs = 0;

	while (len) {
		size_t n = len < mss ? len : mss;

		len -= n;
		tcp_seg(k, dir, TH_ACK | (len ? 0 : TH_PSH), n);
		tcp_wait(k, rnd(20, 120));
		if (++segs % 2 == 0 || !len) {
			tcp_wait(k, k->rtt_us / 2);
			tcp_seg(k, !dir, TH_ACK, 0);
			tcp_wait(k, rnd(50, 400));
		}
	}
}

/* Orderly close started by side dir: FIN/ACK, ACK each way. */
static void tcp_close(struct tcp_conn *k, int dir)
{
	tcp_seg(k, dir, TH_FIN | TH_ACK, 0);
	tcp_wait(k, k->rtt_us / 2);
	tcp_seg(k, !dir, TH_FIN | TH_ACK, 0);
	tcp_wait(k, k->rtt_us / 2);
	tcp_seg(k, dir, TH_ACK, 0);
}

/* A datagram from e: UDP (or UDP-Lite) with the payload already in f. */
static void send_udp(struct cap *c, const struct link *lk, uint64_t t,
		     struct frame *f, const struct ep *e, bool out)
{
	push_udp(f, e, 17, 0);
	push_ip(f, e, 17, (uint16_t)rng_next(), out ? 64 : 56);
	link_wrap(f, lk, out, &e->src, &e->dst);
	cap_add(c, t, f, 0);
}

/* A DNS query for `name` (dotted), type A or AAAA, and optionally the
 * matching response with one answer. */
static void put_dns(struct frame *f, uint16_t id, const char *name,
		    uint16_t qtype, bool response)
{
	uint8_t *h = fr_put(f, 12);
	const char *p = name;

	be16(h, id);
	be16(h + 2, response ? 0x8180 : 0x0100);
	be16(h + 4, 1);
	be16(h + 6, response ? 1 : 0);
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		*fr_put(f, 1) = (uint8_t)n;
		fr_put_bytes(f, p, n);
		p += n + (dot ? 1 : 0);
	}
	fr_put(f, 1);
	h = fr_put(f, 4);
	be16(h, qtype);
	be16(h + 2, 1);
	if (response) {
		size_t rdlen = qtype == 28 ? 16 : 4;

		h = fr_put(f, 12);
		be16(h, 0xc00c); /* pointer to the question name */
		be16(h + 2, qtype);
		be16(h + 4, 1);
		be32(h + 6, rnd(30, 3600));
		be16(h + 10, (uint32_t)rdlen);
		h = fr_put(f, rdlen);
		if (qtype == 28) {
			unsigned net = 0x100 + rnd(0, 15);
			struct addr a = ip6(net, rnd(1, 250));
			memcpy(h, a.a, 16);
		} else {
			h[0] = 198;
			h[1] = 51;
			h[2] = 100;
			h[3] = (uint8_t)rnd(1, 254);
		}
	}
}

static const char *const dns_names[] = {
    "example.com",	   "www.example.com",	"api.example.net",
    "cdn.example.org",	   "mail.example.com",	"updates.example.net",
    "ntp.example.org",	   "login.example.com", "static.example.org",
    "db.internal.example",
};

static void dns_exchange(struct cap *c, const struct link *lk, uint64_t t,
			 const struct ep *e, uint32_t rtt)
{
	struct frame f;
	struct ep back = ep_reverse(e);
	uint16_t id = (uint16_t)rng_next();
	const char *name = dns_names[rnd(0, 9)];
	uint16_t qtype = chance(70) ? 1 : 28;

	fr_init(&f);
	put_dns(&f, id, name, qtype, false);
	send_udp(c, lk, t, &f, e, true);
	fr_init(&f);
	put_dns(&f, id, name, qtype, true);
	send_udp(c, lk, t + rtt, &f, &back, false);
}

/* NTPv4 client request (mode 3) and server reply (mode 4), RFC 5905. */
static void ntp_exchange(struct cap *c, const struct link *lk, uint64_t t,
			 const struct ep *e, uint32_t rtt)
{
	struct frame f;
	struct ep back = ep_reverse(e);
	uint8_t *p;

	fr_init(&f);
	p = fr_put(&f, 48);
	p[0] = 0x23; /* LI 0, version 4, mode 3 */
	be32(p + 40, (uint32_t)(t / US + 2208988800ull));
	send_udp(c, lk, t, &f, e, true);
	fr_init(&f);
	p = fr_put(&f, 48);
	p[0] = 0x24; /* mode 4 */
	p[1] = 2;    /* stratum */
	p[2] = 3;
	p[3] = 0xe9;
	memcpy(p + 12, "GPS\0", 4);
	be32(p + 32, (uint32_t)(t / US + 2208988800ull));
	be32(p + 40, (uint32_t)((t + rtt) / US + 2208988800ull));
	send_udp(c, lk, t + rtt, &f, &back, false);
}

/* QUIC-like datagrams: a long-header Initial padded to 1200 bytes from the
 * client (RFC 9000 section 14.1), then short-header packets. The payload
 * is random: it only needs to look like QUIC to a port-level tool. */
static void quic_flow(struct cap *c, const struct link *lk, uint64_t t,
		      const struct ep *e, uint32_t rtt, unsigned packets)
{
	struct ep back = ep_reverse(e);

	for (unsigned i = 0; i < packets; i++) {
		struct frame f;
		bool from_client = i % 2 == 0;
		uint8_t *p;
		size_t n;

		fr_init(&f);
		if (i < 2) {
			n = from_client ? 1200 : 1200 - 48;
			p = fr_put(&f, 6);
			p[0] = 0xc3;
			be32(p + 1, 1); /* version 1 */
			p[5] = 8;	/* DCID length */
			fr_put_random(&f, n - 6);
		} else {
			n = from_client ? rnd(40, 120) : rnd(60, 600);
			p = fr_put(&f, 1);
			p[0] = 0x43;
			fr_put_random(&f, n - 1);
		}
		send_udp(c, lk, t, &f, from_client ? e : &back, from_client);
		t += from_client ? rtt / 2 : rnd(100, 5000);
	}
}

/* An SCTP association: INIT, INIT ACK, COOKIE ECHO, COOKIE ACK, DATA and
 * SACKs, then ABORT. */
static void sctp_assoc(struct cap *c, const struct link *lk, uint64_t t,
		       const struct ep *e, uint32_t rtt, unsigned data)
{
	struct ep back = ep_reverse(e);
	uint32_t ctag = (uint32_t)rng_next(), stag = (uint32_t)rng_next();
	uint32_t ctsn = (uint32_t)rng_next(), stsn = (uint32_t)rng_next();
	struct frame f;

#define SCTP_SEND(ep_, tag_, out_)                                             \
	do {                                                                   \
		push_sctp(&f, (ep_), (tag_));                                  \
		push_ip(&f, (ep_), 132, (uint16_t)rng_next(), 64);             \
		link_wrap(&f, lk, (out_), &(ep_)->src, &(ep_)->dst);           \
		cap_add(c, t, &f, 0);                                          \
	} while (0)

	fr_init(&f);
	put_sctp_init(&f, SCTP_INIT, ctag, ctsn, 0);
	SCTP_SEND(e, 0, true); /* INIT carries verification tag 0 */
	t += rtt / 2;
	fr_init(&f);
	put_sctp_init(&f, SCTP_INIT_ACK, stag, stsn, 40);
	SCTP_SEND(&back, ctag, false);
	t += rtt / 2;
	fr_init(&f);
	{
		uint8_t cookie[44];
		for (size_t i = 0; i < sizeof cookie; i++)
			cookie[i] = (uint8_t)(rng_next() >> 56);
		put_chunk(&f, SCTP_COOKIE_ECHO, 0, cookie, sizeof cookie);
	}
	SCTP_SEND(e, stag, true);
	t += rtt / 2;
	fr_init(&f);
	put_chunk(&f, SCTP_COOKIE_ACK, 0, NULL, 0);
	SCTP_SEND(&back, ctag, false);
	for (unsigned i = 0; i < data; i++) {
		bool from_client = i % 2 == 0;

		t += rnd(500, 20000);
		fr_init(&f);
		put_sctp_data(&f, from_client ? ctsn : stsn, 0,
			      (uint16_t)(i / 2), 0, rnd(20, 400));
		if (from_client)
			SCTP_SEND(e, stag, true);
		else
			SCTP_SEND(&back, ctag, false);
		t += rtt / 2;
		fr_init(&f);
		put_sctp_sack(&f, from_client ? ctsn : stsn);
		if (from_client)
			SCTP_SEND(&back, ctag, false);
		else
			SCTP_SEND(e, stag, true);
		if (from_client)
			ctsn++;
		else
			stsn++;
	}
	t += rnd(1000, 50000);
	fr_init(&f);
	put_chunk(&f, SCTP_ABORT, 0, NULL, 0);
	SCTP_SEND(e, stag, true);
#undef SCTP_SEND
}

/* A DCCP connection (RFC 4340 section 8): Request and Response with long
 * sequence numbers and a service code, Ack, then Data/DataAck with short
 * ones, Close and Reset. */
static void dccp_conn(struct cap *c, const struct link *lk, uint64_t t,
		      const struct ep *e, uint32_t rtt, uint32_t service,
		      unsigned data)
{
	struct ep back = ep_reverse(e);
	uint64_t cs = rng_next() & 0xffffffffffffull;
	uint64_t ss = rng_next() & 0xffffffffffffull;
	struct frame f;

#define DCCP_SEND(ep_, type_, x_, seq_, ack_, out_, len_)                      \
	do {                                                                   \
		fr_init(&f);                                                   \
		fr_put_random(&f, (len_));                                     \
		push_dccp(&f, (ep_), (type_), (x_), (seq_), (ack_), service);  \
		push_ip(&f, (ep_), 33, (uint16_t)rng_next(), 64);              \
		link_wrap(&f, lk, (out_), &(ep_)->src, &(ep_)->dst);           \
		cap_add(c, t, &f, 0);                                          \
	} while (0)

	DCCP_SEND(e, DCCP_REQUEST, true, cs, 0, true, 0);
	t += rtt / 2;
	DCCP_SEND(&back, DCCP_RESPONSE, true, ss, cs, false, 0);
	t += rtt / 2;
	cs++;
	DCCP_SEND(e, DCCP_ACK, true, cs, ss, true, 0);
	for (unsigned i = 0; i < data; i++) {
		t += rnd(2000, 20000);
		if (i % 3 == 2) {
			ss++;
			DCCP_SEND(&back, DCCP_DATAACK, false, ss & 0xffffff,
				  cs & 0xffffff, false, rnd(40, 200));
		} else {
			cs++;
			DCCP_SEND(e, DCCP_DATA, false, cs & 0xffffff, 0, true,
				  rnd(100, 600));
		}
	}
	t += rnd(1000, 10000);
	cs++;
	DCCP_SEND(e, DCCP_CLOSE, true, cs, ss, true, 0);
	t += rtt / 2;
	ss++;
	DCCP_SEND(&back, DCCP_RESET, true, ss, cs, false, 0);
#undef DCCP_SEND
}

/* A short sample of traffic for the link-layer files: a TCP connection
 * over IPv4 with data both ways and an IPv6 DNS exchange. */
static void sample_traffic(struct cap *c, const struct link *lk)
{
	struct ep tcp = {ip4(10, 0, 0, 10), ip4(192, 0, 2, 80), 41000, 80};
	struct ep dns = {ip6(1, 0x10), ip6(1, 0x1), 53000, 53};
	struct tcp_conn k;
	static const char req[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";

	tcp_init(&k, c, lk, &tcp, c->t_us + 1000);
	tcp_handshake(&k);
	tcp_wait(&k, 200);
	tcp_seg_data(&k, 0, TH_PSH | TH_ACK, (const uint8_t *)req,
		     sizeof req - 1);
	tcp_wait(&k, k.rtt_us);
	tcp_send(&k, 1, 600);
	tcp_wait(&k, 1000);
	tcp_close(&k, 0);
	dns_exchange(c, lk, k.t + 5000, &dns, 3000);
}

static void link_file(const char *name, const struct link *lk, uint64_t seed)
{
	struct cap c;

	cap_open(&c, name, (uint32_t)lk->type, seed);
	sample_traffic(&c, lk);
	cap_close(&c);
}

/* ---- the files ------------------------------------------------------- */

static void gen_link_files(void)
{
	struct link ether = {.type = LT_ETHER, .pad_to_min = true};
	struct link vlan = {
	    .type = LT_ETHER, .ntags = 1, .tags = {{0x8100, 100}}};
	struct link qinq = {.type = LT_ETHER,
			    .ntags = 2,
			    .tags = {{0x88a8, 200}, {0x8100, 100}}};
	struct link qinq9100 = {.type = LT_ETHER,
				.ntags = 2,
				.tags = {{0x9100, 300}, {0x8100, 101}}};
	struct link sll = {.type = LT_SLL};
	struct link sll2 = {.type = LT_SLL2};
	struct link raw = {.type = LT_RAW};
	struct link raw4 = {.type = LT_IPV4};
	struct link raw6 = {.type = LT_IPV6};
	struct link dlt12 = {.type = LT_DLT_RAW};
	struct cap c;

	cap_open(&c, "link-ether.pcap", LT_ETHER, 101);
	sample_traffic(&c, &ether);
	{
		/* Without TCP options the frames are 54 bytes, and arrive
		 * padded to 60: the 6 bytes after the IP datagram are not
		 * payload. */
		struct tcp_conn k;
		tcp_init(&k, &c, &ether,
			 &(struct ep){ip4(10, 0, 0, 10), ip4(192, 0, 2, 25),
				      41025, 25},
			 c.t_us + 500000);
		k.ts = false;
		tcp_seg(&k, 0, TH_SYN, 0);
		tcp_wait(&k, k.rtt_us);
		tcp_seg(&k, 1, TH_RST | TH_ACK, 0);
	}
	cap_close(&c);
	link_file("link-vlan.pcap", &vlan, 102);
	cap_open(&c, "link-qinq.pcap", LT_ETHER, 103);
	sample_traffic(&c, &qinq);
	c.t_us += 100000;
	sample_traffic(&c, &qinq9100);
	cap_close(&c);
	link_file("link-sll.pcap", &sll, 104);
	link_file("link-sll2.pcap", &sll2, 105);

	/* NULL stores the family in the writer's byte order: little-endian
	 * with the IPv6 values of Darwin (30), FreeBSD (28) and NetBSD/OpenBSD
	 * (24); then big-endian ones, as a big-endian BSD writes. */
	cap_open(&c, "link-null.pcap", LT_NULL, 106);
	{
		static const uint32_t af6[] = {30, 28, 24};
		for (size_t i = 0; i < 3; i++) {
			struct link lk = {
			    .type = LT_NULL, .af4 = 2, .af6 = af6[i]};
			sample_traffic(&c, &lk);
			c.t_us += 100000;
		}
		struct link be = {
		    .type = LT_NULL, .af4 = 2, .af6 = 24, .null_be = true};
		sample_traffic(&c, &be);
	}
	cap_close(&c);
	{
		struct link loop = {.type = LT_LOOP, .af4 = 2, .af6 = 24};
		link_file("link-loop.pcap", &loop, 107);
	}
	link_file("link-raw.pcap", &raw, 108);
	link_file("link-dlt-raw12.pcap", &dlt12, 109);

	/* 228 and 229 each carry one IP version only. */
	cap_open(&c, "link-ipv4.pcap", LT_IPV4, 110);
	{
		struct ep e = {ip4(10, 0, 0, 10), ip4(192, 0, 2, 53), 53001,
			       53};
		struct tcp_conn k;

		dns_exchange(&c, &raw4, c.t_us + 1000, &e, 2000);
		tcp_init(&k, &c, &raw4,
			 &(struct ep){ip4(10, 0, 0, 10), ip4(192, 0, 2, 22),
				      41022, 22},
			 c.t_us + 10000);
		tcp_handshake(&k);
		tcp_send(&k, 1, 40);
		tcp_close(&k, 0);
	}
	cap_close(&c);
	cap_open(&c, "link-ipv6.pcap", LT_IPV6, 111);
	{
		struct ep e = {ip6(1, 0x10), ip6(2, 0x53), 53001, 53};
		struct tcp_conn k;

		dns_exchange(&c, &raw6, c.t_us + 1000, &e, 2000);
		tcp_init(&k, &c, &raw6,
			 &(struct ep){ip6(1, 0x10), ip6(2, 0x443), 41443, 443},
			 c.t_us + 10000);
		tcp_handshake(&k);
		tcp_send(&k, 0, 300);
		tcp_send(&k, 1, 1800);
		tcp_close(&k, 1);
	}
	cap_close(&c);
}

/* IEEE 802.11 (105), which portnote does not decode: a beacon and a data
 * frame carrying LLC/SNAP IPv4 UDP. */
static void gen_unsupported_link(void)
{
	struct cap c;
	struct frame f;
	uint8_t *h;
	struct ep e = {ip4(10, 0, 0, 10), ip4(10, 0, 0, 1), 53002, 53};
	static const uint8_t bssid[6] = {0x02, 0x00, 0x5e, 0x00, 0x0a, 0x01};

	cap_open(&c, "link-unsupported-80211.pcap", LT_IEEE802_11, 112);
	fr_init(&f);
	h = fr_put(&f, 24 + 12);
	h[0] = 0x80; /* management, beacon */
	memset(h + 4, 0xff, 6);
	memcpy(h + 10, bssid, 6);
	memcpy(h + 16, bssid, 6);
	be16(h + 24 + 8, 100); /* after the timestamp: beacon interval */
	be16(h + 24 + 10, 0x0104);
	{
		static const uint8_t ies[] = {
		    0, 8, 'p',	'o',  'r',  't',  'n', 'o', 't', 'e',
		    1, 4, 0x82, 0x84, 0x8b, 0x96, 3,   1,   6};
		fr_put_bytes(&f, ies, sizeof ies);
	}
	cap_next(&c, &f);

	fr_init(&f);
	put_dns(&f, 0x1234, "example.com", 1, false);
	push_udp(&f, &e, 17, 0);
	push_ipv4(&f, &e.src, &e.dst, 17, 1, 0, 64);
	h = fr_push(&f, 24 + 8);
	h[0] = 0x08; /* data */
	h[1] = 0x01; /* to DS */
	memcpy(h + 4, bssid, 6);
	memcpy(h + 10, MAC_A, 6);
	memcpy(h + 16, MAC_B, 6);
	h[24] = 0xaa; /* LLC/SNAP */
	h[25] = 0xaa;
	h[26] = 0x03;
	be16(h + 30, 0x0800);
	cap_next(&c, &f);
	cap_next(&c, &f); /* a retransmission */
	cap_close(&c);
}

static void gen_ipv4_options(void)
{
	static const struct link lk = {.type = LT_ETHER};
	struct addr s = ip4(10, 0, 0, 10), d = ip4(192, 0, 2, 7);
	struct ep e = {s, d, 40007, 7};
	struct cap c;
	struct frame f;
	uint8_t rr[40] = {7, 39, 4}; /* record route, nine slots, 1 filled */
	uint8_t ra_ts[12] = {148, 4, 0, 0, 68, 8, 5, 0};

	memcpy(rr + 3, s.a, 4);
	rr[2] = 8;
	cap_open(&c, "ipv4-options.pcap", LT_ETHER, 120);
	/* Record route (RFC 791), 40 bytes of options: IHL 15. */
	fr_init(&f);
	fr_put_random(&f, 32);
	push_udp(&f, &e, 17, 0);
	/* 39 bytes of option, rounded to 40 by an End of Options byte. */
	push_ipv4_opts(&f, &s, &d, 17, 100, 0, 64, rr, 40);
	link_wrap(&f, &lk, true, &s, &d);
	cap_next(&c, &f);
	/* Router alert (RFC 2113) then a timestamp option: IHL 8. */
	fr_init(&f);
	fr_put_random(&f, 10);
	push_tcp(&f, &e, 1000, 0, TH_SYN, 64240, NULL, 0);
	push_ipv4_opts(&f, &s, &d, 6, 101, IP4_DF, 64, ra_ts, 12);
	link_wrap(&f, &lk, true, &s, &d);
	cap_next(&c, &f);
	/* A TCP reply with no options, for contrast. */
	fr_init(&f);
	{
		struct ep b = ep_reverse(&e);
		push_tcp(&f, &b, 5000, 1001, TH_RST | TH_ACK, 0, NULL, 0);
		push_ipv4(&f, &d, &s, 6, 102, IP4_DF, 60);
		link_wrap(&f, &lk, false, &d, &s);
	}
	cap_next(&c, &f);
	cap_close(&c);
}

/* Splits the IP payload in `whole` into IPv4 fragments of at most
 * `chunk` bytes (a multiple of 8), emitting them in order. */
static void emit_ipv4_frags(struct cap *c, const struct link *lk,
			    const struct frame *whole, const struct addr *s,
			    const struct addr *d, uint8_t proto, uint16_t id,
			    size_t chunk)
{
	size_t len = fr_len(whole);

	for (size_t off = 0; off < len; off += chunk) {
		struct frame f;
		size_t n = len - off < chunk ? len - off : chunk;
		bool more = off + n < len;

		fr_init(&f);
		fr_put_bytes(&f, whole->b + whole->off + off, n);
		push_ipv4(&f, s, d, proto, id,
			  (uint16_t)((more ? IP4_MF : 0) | off / 8), 64);
		link_wrap(&f, lk, true, s, d);
		cap_next(c, &f);
	}
}

static void gen_ipv4_fragments(void)
{
	static const struct link lk = {.type = LT_ETHER};
	struct addr s = ip4(10, 0, 0, 10), d = ip4(192, 0, 2, 53);
	/* Discard (9): random payload that no dissector tries to parse. */
	struct ep udp = {s, d, 53003, 9};
	struct ep tcp = {s, d, 40080, 80};
	struct cap c;
	struct frame whole;

	cap_open(&c, "ipv4-fragments.pcap", LT_ETHER, 130);
	/* A 3000-byte UDP datagram in three fragments (1480, 1480, 48). */
	fr_init(&whole);
	fr_put_random(&whole, 3000);
	push_udp(&whole, &udp, 17, 0);
	emit_ipv4_frags(&c, &lk, &whole, &s, &d, 17, 0x1001, 1480);
	/* A TCP segment in two fragments of 24 and 16 bytes: the first still
	 * holds the whole 20-byte TCP header. */
	fr_init(&whole);
	fr_put_random(&whole, 20);
	push_tcp(&whole, &tcp, 77777, 0, TH_PSH | TH_ACK, 1024, NULL, 0);
	emit_ipv4_frags(&c, &lk, &whole, &s, &d, 6, 0x1002, 24);
	/* Fragments of an ICMP echo, out of order: later one first. */
	{
		struct frame f, part;
		fr_init(&whole);
		fr_put_random(&whole, 1600);
		push_icmp_echo(&whole, &s, &d, false, 0x77, 1);
		fr_init(&part);
		fr_put_bytes(&part, whole.b + whole.off + 1480,
			     fr_len(&whole) - 1480);
		push_ipv4(&part, &s, &d, 1, 0x1003, 1480 / 8, 64);
		link_wrap(&part, &lk, true, &s, &d);
		cap_next(&c, &part);
		fr_init(&f);
		fr_put_bytes(&f, whole.b + whole.off, 1480);
		push_ipv4(&f, &s, &d, 1, 0x1003, IP4_MF, 64);
		link_wrap(&f, &lk, true, &s, &d);
		cap_next(&c, &f);
	}
	cap_close(&c);
}

/* IPv6 extension headers, one at a time and chained; each push names the
 * header that follows it, innermost first. */
static void gen_ipv6_ext(void)
{
	static const struct link lk = {.type = LT_ETHER};
	struct addr s = ip6(1, 0x10), d = ip6(2, 0x80);
	struct ep tcp = {s, d, 40443, 443};
	struct ep udp = {s, d, 53004, 53};
	struct cap c;
	struct frame f;
	static const uint8_t ra[2] = {0, 0}; /* router alert: MLD */

	cap_open(&c, "ipv6-ext.pcap", LT_ETHER, 140);
	/* 1: hop-by-hop (router alert) then UDP. */
	fr_init(&f);
	put_dns(&f, 1, "example.com", 28, false);
	push_udp(&f, &udp, 17, 0);
	push_ip6_opts(&f, 17, 0, 5, ra, 2);
	push_ipv6(&f, &s, &d, IP6_HOPOPTS, 1, 0);
	link_wrap(&f, &lk, true, &s, &d);
	cap_next(&c, &f);
	/* 2: routing (SRH, segments left 0) then TCP SYN. */
	fr_init(&f);
	push_tcp(&f, &tcp, 1000, 0, TH_SYN, 64240, NULL, 0);
	push_ip6_srh(&f, 6, &d);
	push_ipv6(&f, &s, &d, IP6_ROUTING, 64, 0);
	link_wrap(&f, &lk, true, &s, &d);
	cap_next(&c, &f);
	/* 3, 4: a 2000-byte UDP datagram (to discard, 9) as a first and a
	 * later fragment. */
	{
		struct frame whole, part;
		struct ep discard = {s, d, 53004, 9};
		fr_init(&whole);
		fr_put_random(&whole, 2000);
		push_udp(&whole, &discard, 17, 0);
		fr_init(&part);
		fr_put_bytes(&part, whole.b + whole.off, 1448);
		push_ip6_frag(&part, 17, 0, true, 0xabcd0001u);
		push_ipv6(&part, &s, &d, IP6_FRAGMENT, 64, 0);
		link_wrap(&part, &lk, true, &s, &d);
		cap_next(&c, &part);
		fr_init(&part);
		fr_put_bytes(&part, whole.b + whole.off + 1448,
			     fr_len(&whole) - 1448);
		push_ip6_frag(&part, 17, 1448 / 8, false, 0xabcd0001u);
		push_ipv6(&part, &s, &d, IP6_FRAGMENT, 64, 0);
		link_wrap(&part, &lk, true, &s, &d);
		cap_next(&c, &part);
	}
	/* 5: destination options (a 4-byte PadN only) then TCP. */
	fr_init(&f);
	fr_put_random(&f, 100);
	push_tcp(&f, &tcp, 1001, 5001, TH_PSH | TH_ACK, 502, NULL, 0);
	push_ip6_opts(&f, 6, 0, 0, NULL, 0);
	push_ipv6(&f, &s, &d, IP6_DSTOPTS, 64, 0);
	link_wrap(&f, &lk, true, &s, &d);
	cap_next(&c, &f);
	/* 6: AH then TCP. */
	fr_init(&f);
	fr_put_random(&f, 50);
	push_tcp(&f, &tcp, 1101, 5001, TH_PSH | TH_ACK, 502, NULL, 0);
	push_ip6_ah(&f, 6, 0x1000, 1);
	push_ipv6(&f, &s, &d, IP6_AH, 64, 0);
	link_wrap(&f, &lk, true, &s, &d);
	cap_next(&c, &f);
	/* 7: a chain: hop-by-hop, destination options, routing, atomic
	 * fragment (RFC 6946), AH, destination options, UDP. */
	fr_init(&f);
	put_dns(&f, 2, "www.example.com", 1, false);
	push_udp(&f, &udp, 17, 0);
	push_ip6_opts(&f, 17, 0, 0, NULL, 0);
	push_ip6_ah(&f, IP6_DSTOPTS, 0x1001, 7);
	push_ip6_frag(&f, IP6_AH, 0, false, 0xabcd0002u);
	push_ip6_srh(&f, IP6_FRAGMENT, &d);
	push_ip6_opts(&f, IP6_ROUTING, 1, 0, NULL, 0);
	push_ip6_opts(&f, IP6_DSTOPTS, 0, 5, ra, 2);
	push_ipv6(&f, &s, &d, IP6_HOPOPTS, 64, 0);
	link_wrap(&f, &lk, true, &s, &d);
	cap_next(&c, &f);
	/* 8: ESP (RFC 4303): SPI, sequence, ciphertext: no ports. */
	fr_init(&f);
	{
		uint8_t *p = fr_put(&f, 8);
		be32(p, 0x2000);
		be32(p + 4, 1);
		fr_put_random(&f, 96);
	}
	push_ipv6(&f, &s, &d, IP6_ESP, 64, 0);
	link_wrap(&f, &lk, true, &s, &d);
	cap_next(&c, &f);
	/* 9: no next header (59) straight after IPv6. */
	fr_init(&f);
	push_ipv6(&f, &s, &d, IP6_NONXT, 64, 0);
	link_wrap(&f, &lk, true, &s, &d);
	cap_next(&c, &f);
	/* 10: destination options then no next header. */
	fr_init(&f);
	push_ip6_opts(&f, IP6_NONXT, 0, 0, NULL, 0);
	push_ipv6(&f, &s, &d, IP6_DSTOPTS, 64, 0);
	link_wrap(&f, &lk, true, &s, &d);
	cap_next(&c, &f);
	cap_close(&c);
}

static void gen_tunnels(void)
{
	static const struct link lk = {.type = LT_ETHER};
	struct addr o4s = ip4(198, 51, 100, 1), o4d = ip4(198, 51, 100, 2);
	struct addr o6s = ip6(0xff, 1), o6d = ip6(0xff, 2);
	struct ep in4 = {ip4(10, 1, 0, 10), ip4(10, 2, 0, 20), 40022, 22};
	struct ep in6 = {ip6(1, 0x10), ip6(2, 0x20), 40443, 443};
	struct ep in4u = {ip4(10, 1, 0, 10), ip4(10, 2, 0, 53), 53005, 53};
	struct cap c;
	struct frame f;

	cap_open(&c, "tunnels.pcap", LT_ETHER, 150);
	/* IPv4 in IPv4 (protocol 4, RFC 2003). */
	fr_init(&f);
	push_tcp(&f, &in4, 1, 0, TH_SYN, 64240, NULL, 0);
	push_ip(&f, &in4, 6, 1, 64);
	push_ipv4(&f, &o4s, &o4d, 4, 11, 0, 64);
	link_wrap(&f, &lk, true, &o4s, &o4d);
	cap_next(&c, &f);
	/* IPv6 in IPv4 (protocol 41, 6in4, RFC 4213). */
	fr_init(&f);
	push_tcp(&f, &in6, 1, 0, TH_SYN, 64240, NULL, 0);
	push_ip(&f, &in6, 6, 0, 64);
	push_ipv4(&f, &o4s, &o4d, 41, 12, 0, 64);
	link_wrap(&f, &lk, true, &o4s, &o4d);
	cap_next(&c, &f);
	/* GRE over IPv4 carrying IPv4 UDP. */
	fr_init(&f);
	put_dns(&f, 3, "example.com", 1, false);
	push_udp(&f, &in4u, 17, 0);
	push_ip(&f, &in4u, 17, 2, 64);
	push_gre(&f, 0x0800, false, 0, false, 0);
	push_ipv4(&f, &o4s, &o4d, 47, 13, 0, 64);
	link_wrap(&f, &lk, true, &o4s, &o4d);
	cap_next(&c, &f);
	/* GRE over IPv4 with key and sequence carrying IPv6 TCP. */
	fr_init(&f);
	fr_put_random(&f, 64);
	push_tcp(&f, &in6, 2, 1, TH_PSH | TH_ACK, 502, NULL, 0);
	push_ip(&f, &in6, 6, 0, 64);
	push_gre(&f, 0x86dd, true, 42, true, 1);
	push_ipv4(&f, &o4s, &o4d, 47, 14, 0, 64);
	link_wrap(&f, &lk, true, &o4s, &o4d);
	cap_next(&c, &f);
	/* IPv4 in IPv6 (protocol 4 as the next header, RFC 2473). */
	fr_init(&f);
	push_tcp(&f, &in4, 2, 0, TH_RST, 0, NULL, 0);
	push_ip(&f, &in4, 6, 3, 64);
	push_ipv6(&f, &o6s, &o6d, 4, 64, 0);
	link_wrap(&f, &lk, true, &o6s, &o6d);
	cap_next(&c, &f);
	/* IPv6 in IPv6 (41). */
	fr_init(&f);
	put_dns(&f, 4, "example.org", 28, false);
	{
		struct ep u6 = {ip6(1, 0x10), ip6(2, 0x53), 53006, 53};
		push_udp(&f, &u6, 17, 0);
		push_ip(&f, &u6, 17, 0, 64);
	}
	push_ipv6(&f, &o6s, &o6d, 41, 64, 0);
	link_wrap(&f, &lk, true, &o6s, &o6d);
	cap_next(&c, &f);
	/* GRE over IPv6 carrying IPv4 TCP. */
	fr_init(&f);
	push_tcp(&f, &in4, 3, 0, TH_SYN, 64240, NULL, 0);
	push_ip(&f, &in4, 6, 4, 64);
	push_gre(&f, 0x0800, false, 0, false, 0);
	push_ipv6(&f, &o6s, &o6d, 47, 64, 0);
	link_wrap(&f, &lk, true, &o6s, &o6d);
	cap_next(&c, &f);
	/* GRE transparent Ethernet bridging (0x6558) carrying IPv4 UDP. */
	fr_init(&f);
	put_dns(&f, 5, "example.net", 1, false);
	push_udp(&f, &in4u, 17, 0);
	push_ip(&f, &in4u, 17, 5, 64);
	push_eth_tags(&f, MAC_B, MAC_A, NULL, 0, 0x0800);
	push_gre(&f, 0x6558, false, 0, false, 0);
	push_ipv4(&f, &o4s, &o4d, 47, 15, 0, 64);
	link_wrap(&f, &lk, true, &o4s, &o4d);
	cap_next(&c, &f);
	cap_close(&c);
}

static void gen_tcp(void)
{
	static const struct link lk = {.type = LT_ETHER};
	struct cap c;
	struct tcp_conn k;
	static const char req[] =
	    "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n"
	    "User-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";

	cap_open(&c, "tcp-ipv4.pcap", LT_ETHER, 160);
	tcp_init(&k, &c, &lk,
		 &(struct ep){ip4(10, 0, 0, 10), ip4(192, 0, 2, 80), 45678, 80},
		 c.t_us + 1000);
	tcp_handshake(&k);
	tcp_wait(&k, 300);
	tcp_seg_data(&k, 0, TH_PSH | TH_ACK, (const uint8_t *)req,
		     sizeof req - 1);
	tcp_wait(&k, k.rtt_us / 2);
	tcp_seg(&k, 1, TH_ACK, 0);
	tcp_wait(&k, 2000);
	tcp_send(&k, 1, 5000);
	tcp_wait(&k, 500);
	tcp_send(&k, 0, 200);
	tcp_wait(&k, 5000);
	tcp_close(&k, 0);
	cap_close(&c);

	cap_open(&c, "tcp-ipv6.pcap", LT_ETHER, 161);
	tcp_init(&k, &c, &lk,
		 &(struct ep){ip6(1, 0x10), ip6(2, 0x22), 51234, 22}, c.t_us);
	tcp_handshake(&k);
	tcp_send(&k, 1, 41); /* SSH banner */
	tcp_send(&k, 0, 41);
	tcp_send(&k, 0, 1500);
	tcp_send(&k, 1, 1100);
	tcp_wait(&k, 30000);
	tcp_close(&k, 1);
	cap_close(&c);

	/* RST endings: a reset after data, and a refused connection. */
	cap_open(&c, "tcp-rst.pcap", LT_ETHER, 162);
	tcp_init(&k, &c, &lk,
		 &(struct ep){ip4(10, 0, 0, 10), ip4(192, 0, 2, 25), 45679, 25},
		 c.t_us + 1000);
	k.ts = false;
	tcp_handshake(&k);
	tcp_send(&k, 1, 60); /* SMTP greeting */
	tcp_send(&k, 0, 20);
	tcp_wait(&k, 10000);
	tcp_seg(&k, 1, TH_RST | TH_ACK, 0);
	tcp_init(
	    &k, &c, &lk,
	    &(struct ep){ip4(10, 0, 0, 10), ip4(192, 0, 2, 25), 45680, 4489},
	    c.t_us + 500000);
	tcp_seg(&k, 0, TH_SYN, 0);
	tcp_wait(&k, k.rtt_us);
	tcp_seg(&k, 1, TH_RST | TH_ACK, 0);
	cap_close(&c);
}

static void gen_udp(void)
{
	static const struct link lk = {.type = LT_ETHER};
	struct cap c;
	struct frame f;

	cap_open(&c, "udp.pcap", LT_ETHER, 170);
	dns_exchange(
	    &c, &lk, c.t_us + 1000,
	    &(struct ep){ip4(10, 0, 0, 10), ip4(10, 0, 0, 1), 53007, 53}, 1500);
	dns_exchange(&c, &lk, c.t_us + 20000,
		     &(struct ep){ip6(1, 0x10), ip6(1, 0x1), 53008, 53}, 1500);
	ntp_exchange(
	    &c, &lk, c.t_us + 40000,
	    &(struct ep){ip4(10, 0, 0, 10), ip4(203, 0, 113, 123), 123, 123},
	    25000);
	ntp_exchange(
	    &c, &lk, c.t_us + 90000,
	    &(struct ep){ip4(10, 0, 0, 11), ip4(203, 0, 113, 123), 50123, 123},
	    25000);
	quic_flow(
	    &c, &lk, c.t_us + 150000,
	    &(struct ep){ip4(10, 0, 0, 10), ip4(192, 0, 2, 43), 50443, 443},
	    30000, 6);
	cap_close(&c);

	/* UDP-Lite (protocol 136, RFC 3828): partial coverage of the 8-byte
	 * header only, and coverage 0 (all). */
	cap_open(&c, "udplite.pcap", LT_ETHER, 171);
	{
		struct ep e = {ip4(10, 0, 0, 10), ip4(192, 0, 2, 5), 50004,
			       5004};
		struct ep e6 = {ip6(1, 0x10), ip6(2, 0x5), 50005, 5004};
		const struct ep *eps[3] = {&e, &e, &e6};
		const uint16_t cov[3] = {8, 0, 20};

		for (int i = 0; i < 3; i++) {
			fr_init(&f);
			fr_put_random(&f, 172);
			push_udp(&f, eps[i], 136, cov[i]);
			push_ip(&f, eps[i], 136, (uint16_t)(i + 1), 64);
			link_wrap(&f, &lk, true, &eps[i]->src, &eps[i]->dst);
			cap_next(&c, &f);
		}
	}
	cap_close(&c);
}

static void gen_sctp_dccp(void)
{
	static const struct link lk = {.type = LT_ETHER};
	struct cap c;

	cap_open(&c, "sctp.pcap", LT_ETHER, 180);
	sctp_assoc(
	    &c, &lk, c.t_us + 1000,
	    &(struct ep){ip4(10, 0, 0, 10), ip4(192, 0, 2, 60), 5060, 5060},
	    10000, 2);
	sctp_assoc(&c, &lk, c.t_us + 500000,
		   &(struct ep){ip6(1, 0x10), ip6(2, 0x443), 49999, 443}, 8000,
		   1);
	sctp_assoc(&c, &lk, c.t_us + 900000,
		   &(struct ep){ip4(10, 0, 0, 10), ip4(192, 0, 2, 9), 40009, 9},
		   4000, 0);
	cap_close(&c);

	/* Service code 1145656131 is "DISC", the one the registry lists for
	 * dccp/9 (discard). */
	cap_open(&c, "dccp.pcap", LT_ETHER, 181);
	dccp_conn(&c, &lk, c.t_us + 1000,
		  &(struct ep){ip4(10, 0, 0, 10), ip4(192, 0, 2, 9), 40010, 9},
		  10000, 1145656131u, 4);
	dccp_conn(&c, &lk, c.t_us + 500000,
		  &(struct ep){ip6(1, 0x10), ip6(2, 0x5004), 40011, 5004},
		  10000, 0x52545020u /* "RTP " */, 3);
	cap_close(&c);
}

static void gen_icmp_other(void)
{
	static const struct link lk = {.type = LT_ETHER};
	struct addr a4 = ip4(10, 0, 0, 10), b4 = ip4(192, 0, 2, 1);
	struct addr a6 = ip6(1, 0x10), b6 = ip6(2, 0x1);
	struct cap c;
	struct frame f;

	cap_open(&c, "icmp.pcap", LT_ETHER, 190);
	for (uint16_t seq = 1; seq <= 2; seq++) {
		for (int reply = 0; reply < 2; reply++) {
			const struct addr *s = reply ? &b4 : &a4;
			const struct addr *d = reply ? &a4 : &b4;
			fr_init(&f);
			for (int i = 0; i < 56; i++)
				*fr_put(&f, 1) = (uint8_t)i;
			push_icmp_echo(&f, s, d, reply, 0x4242, seq);
			push_ipv4(&f, s, d, 1, (uint16_t)(seq * 2 + reply), 0,
				  64);
			link_wrap(&f, &lk, !reply, s, d);
			cap_next(&c, &f);
		}
	}
	for (uint16_t seq = 1; seq <= 2; seq++) {
		for (int reply = 0; reply < 2; reply++) {
			const struct addr *s = reply ? &b6 : &a6;
			const struct addr *d = reply ? &a6 : &b6;
			fr_init(&f);
			for (int i = 0; i < 56; i++)
				*fr_put(&f, 1) = (uint8_t)i;
			push_icmp_echo(&f, s, d, reply, 0x4243, seq);
			push_ipv6(&f, s, d, 58, 64, 0);
			link_wrap(&f, &lk, !reply, s, d);
			cap_next(&c, &f);
		}
	}
	cap_close(&c);

	/* Protocol 253 is reserved for experimentation (RFC 3692). */
	cap_open(&c, "unknown-proto.pcap", LT_ETHER, 191);
	fr_init(&f);
	fr_put_random(&f, 40);
	push_ipv4(&f, &a4, &b4, 253, 1, 0, 64);
	link_wrap(&f, &lk, true, &a4, &b4);
	cap_next(&c, &f);
	fr_init(&f);
	fr_put_random(&f, 40);
	push_ipv6(&f, &a6, &b6, 253, 64, 0);
	link_wrap(&f, &lk, true, &a6, &b6);
	cap_next(&c, &f);
	cap_close(&c);
}

/* ---- link encapsulations and non-IP frames ---------------------------- */

/* An Ethernet frame of type (or 802.3 length) `type` holding the n bytes
 * at p, padded to the 60-byte minimum as received frames are. */
static void eth_frame(struct cap *c, const uint8_t dst[6], const uint8_t src[6],
		      const struct vtag *tags, size_t ntags, uint16_t type,
		      const uint8_t *p, size_t n)
{
	struct frame f;

	fr_init(&f);
	fr_put_bytes(&f, p, n);
	push_eth_tags(&f, dst, src, tags, ntags, type);
	if (fr_len(&f) < 60)
		fr_put(&f, 60 - fr_len(&f));
	cap_next(c, &f);
}

static const uint8_t MAC_BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* A PPPoE Discovery packet (RFC 2516 section 5): code, session id, then
 * the tags already in t (tlen bytes). */
static void pppoe_discovery(struct cap *c, const uint8_t dst[6],
			    const uint8_t src[6], uint8_t code,
			    uint16_t session, const uint8_t *t, size_t tlen)
{
	uint8_t b[64] = {0x11, code};

	be16(b + 2, session);
	be16(b + 4, (uint32_t)tlen);
	if (tlen)
		memcpy(b + 6, t, tlen);
	eth_frame(c, dst, src, NULL, 0, 0x8863, b, 6 + tlen);
}

/* A PPP control packet (LCP, IPCP: RFC 1661 section 5) in a PPPoE
 * session: code, identifier, then the options in o. */
static void ppp_control(struct cap *c, const uint8_t dst[6],
			const uint8_t src[6], uint16_t session, uint16_t proto,
			uint8_t code, uint8_t id, const uint8_t *o, size_t olen)
{
	struct frame f;
	uint8_t *h;

	fr_init(&f);
	h = fr_put(&f, 4);
	h[0] = code;
	h[1] = id;
	be16(h + 2, (uint32_t)(4 + olen));
	fr_put_bytes(&f, o, olen);
	push_pppoe(&f, session, proto);
	push_eth_tags(&f, dst, src, NULL, 0, 0x8864);
	if (fr_len(&f) < 60)
		fr_put(&f, 60 - fr_len(&f));
	cap_next(c, &f);
}

static void gen_pppoe(void)
{
	/* The access concentrator and the client. */
	static const uint8_t ac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0xac};
	static const uint8_t host_uniq[] = {0x01, 0x03, 0,    4,
					    0xde, 0xad, 0xbe, 0xef};
	struct link sess = {
	    .type = LT_ETHER, .pad_to_min = true, .pppoe = 0x1a2b};
	struct link vlan_sess = {.type = LT_ETHER,
				 .pad_to_min = true,
				 .ntags = 1,
				 .tags = {{0x8100, 7}},
				 .pppoe = 0x1a2c};
	struct ep dns4 = {ip4(10, 0, 0, 10), ip4(192, 0, 2, 53), 53002, 53};
	struct cap c;
	uint8_t t[32];

	cap_open(&c, "link-pppoe.pcap", LT_ETHER, 113);
	/* Discovery: PADI (Service-Name any, Host-Uniq), PADO (AC-Name),
	 * PADR, PADS with the session id. */
	memcpy(t, (const uint8_t[]){0x01, 0x01, 0, 0}, 4);
	memcpy(t + 4, host_uniq, sizeof host_uniq);
	pppoe_discovery(&c, MAC_BCAST, MAC_A, 0x09, 0, t, 12);
	memcpy(t + 12, (const uint8_t[]){0x01, 0x02, 0, 3, 'a', 'c', '1'}, 7);
	pppoe_discovery(&c, MAC_A, ac, 0x07, 0, t, 19);
	pppoe_discovery(&c, ac, MAC_A, 0x19, 0, t, 12);
	pppoe_discovery(&c, MAC_A, ac, 0x65, 0x1a2b, t, 12);
	/* LCP Configure-Request (MRU 1492, magic number) and -Ack; IPCP
	 * Configure-Request for an address. */
	{
		static const uint8_t lcp[] = {1, 4,    0x05, 0xd4, 5,
					      6, 0x12, 0x34, 0x56, 0x78};
		static const uint8_t ipcp[] = {3, 6, 0, 0, 0, 0};
		ppp_control(&c, ac, MAC_A, 0x1a2b, 0xc021, 1, 1, lcp,
			    sizeof lcp);
		ppp_control(&c, MAC_A, ac, 0x1a2b, 0xc021, 2, 1, lcp,
			    sizeof lcp);
		ppp_control(&c, ac, MAC_A, 0x1a2b, 0x8021, 1, 1, ipcp,
			    sizeof ipcp);
	}
	/* The session: HTTP over IPv4 and DNS over IPv6, then DNS over
	 * IPv4 in a second session behind VLAN 7 (as ISPs tag it). */
	sample_traffic(&c, &sess);
	dns_exchange(&c, &vlan_sess, c.t_us + 200000, &dns4, 4000);
	c.t_us += 300000;
	/* LCP Echo-Request, then PADT ends the session. */
	{
		static const uint8_t magic[] = {0x12, 0x34, 0x56, 0x78};
		ppp_control(&c, ac, MAC_A, 0x1a2b, 0xc021, 9, 2, magic,
			    sizeof magic);
		pppoe_discovery(&c, ac, MAC_A, 0xa7, 0x1a2b, NULL, 0);
	}
	cap_close(&c);
}

static void gen_mpls(void)
{
	struct link one = {
	    .type = LT_ETHER, .pad_to_min = true, .nlabels = 1, .labels = {16}};
	struct link three = {.type = LT_ETHER,
			     .pad_to_min = true,
			     .nlabels = 3,
			     .labels = {100, 200, 300}};
	struct ep dns = {ip4(10, 0, 0, 10), ip4(192, 0, 2, 53), 53003, 53};
	struct cap c;
	struct frame f;

	cap_open(&c, "link-mpls.pcap", LT_ETHER, 114);
	sample_traffic(&c, &one);
	c.t_us += 100000;
	sample_traffic(&c, &three);
	c.t_us += 100000;
	/* Multicast MPLS (0x8848, RFC 5332) carrying a DNS query. */
	fr_init(&f);
	put_dns(&f, 7, "example.com", 1, false);
	push_udp(&f, &dns, 17, 0);
	push_ip(&f, &dns, 17, 7, 64);
	push_mpls(&f, (const uint32_t[]){17}, 1);
	push_eth_tags(&f, MAC_B, MAC_A, NULL, 0, 0x8848);
	cap_next(&c, &f);
	/* An Ethernet pseudowire (RFC 4448): control word 0, then a whole
	 * Ethernet frame with IPv4 UDP, which portnote does not follow. */
	fr_init(&f);
	put_dns(&f, 8, "example.org", 1, false);
	push_udp(&f, &dns, 17, 0);
	push_ip(&f, &dns, 17, 8, 64);
	push_eth_tags(&f, MAC_B, MAC_A, NULL, 0, 0x0800);
	fr_push(&f, 4);
	push_mpls(&f, (const uint32_t[]){1000}, 1);
	push_eth_tags(&f, MAC_B, MAC_A, NULL, 0, 0x8847);
	cap_next(&c, &f);
	/* Nine labels: past the decoder's bound (mpls-depth). */
	fr_init(&f);
	put_dns(&f, 9, "example.net", 1, false);
	push_udp(&f, &dns, 17, 0);
	push_ip(&f, &dns, 17, 9, 64);
	push_mpls(&f, (const uint32_t[]){21, 22, 23, 24, 25, 26, 27, 28, 29},
		  9);
	push_eth_tags(&f, MAC_B, MAC_A, NULL, 0, 0x8847);
	cap_next(&c, &f);
	cap_close(&c);
}

static void gen_nonip(void)
{
	static const uint8_t lldp_mac[6] = {0x01, 0x80, 0xc2, 0, 0, 0x0e};
	static const uint8_t stp_mac[6] = {0x01, 0x80, 0xc2, 0, 0, 0x00};
	static const uint8_t slow_mac[6] = {0x01, 0x80, 0xc2, 0, 0, 0x02};
	static const uint8_t pae_mac[6] = {0x01, 0x80, 0xc2, 0, 0, 0x03};
	static const uint8_t pause_mac[6] = {0x01, 0x80, 0xc2, 0, 0, 0x01};
	static const uint8_t ptp_mac[6] = {0x01, 0x1b, 0x19, 0, 0, 0};
	static const uint8_t cdp_mac[6] = {0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc};
	static const struct vtag v100[1] = {{0x8100, 100}};
	struct cap c;
	uint8_t b[128];

	cap_open(&c, "link-nonip.pcap", LT_ETHER, 115);
	/* ARP (RFC 826) request and reply, then the request behind VLAN
	 * 100. */
	{
		static const uint8_t req[28] = {
		    0,	1, 8, 0,  6, 4, 0, 1, 2, 0, 0x5e, 0x10, 0, 1,
		    10, 0, 0, 10, 0, 0, 0, 0, 0, 0, 10,	  0,	0, 1};
		uint8_t rep[28];
		memcpy(rep, req, 28);
		rep[7] = 2;
		memcpy(rep + 8, MAC_B, 6);
		memcpy(rep + 14, req + 24, 4);
		memcpy(rep + 18, MAC_A, 6);
		memcpy(rep + 24, req + 14, 4);
		eth_frame(&c, MAC_BCAST, MAC_A, NULL, 0, 0x0806, req, 28);
		eth_frame(&c, MAC_A, MAC_B, NULL, 0, 0x0806, rep, 28);
		eth_frame(&c, MAC_BCAST, MAC_A, v100, 1, 0x0806, req, 28);
	}
	/* LLDP (IEEE 802.1AB): chassis id (MAC), port id
	 * (local "p1"), TTL 120, end. */
	memset(b, 0, sizeof b);
	be16(b, 1 << 9 | 7);
	b[2] = 4;
	memcpy(b + 3, MAC_B, 6);
	be16(b + 9, 2 << 9 | 3);
	b[11] = 7;
	b[12] = 'p';
	b[13] = '1';
	be16(b + 14, 3 << 9 | 2);
	be16(b + 16, 120);
	eth_frame(&c, lldp_mac, MAC_B, NULL, 0, 0x88cc, b, 20);
	/* STP configuration BPDU: 802.3 length 38, LLC 42/42/03. */
	memset(b, 0, sizeof b);
	b[0] = 0x42;
	b[1] = 0x42;
	b[2] = 0x03;
	be16(b + 3 + 5, 0x8000);
	memcpy(b + 3 + 7, MAC_B, 6);
	be16(b + 3 + 17, 0x8000);
	memcpy(b + 3 + 19, MAC_B, 6);
	be16(b + 3 + 25, 0x8001);
	be16(b + 3 + 29, 20 * 256);
	be16(b + 3 + 31, 2 * 256);
	be16(b + 3 + 33, 15 * 256);
	eth_frame(&c, stp_mac, MAC_B, NULL, 0, 38, b, 38);
	/* CDP: 802.3, LLC/SNAP with Cisco's OUI, protocol 0x2000; version
	 * 2, TTL 180, a Device-ID TLV. */
	memset(b, 0, sizeof b);
	memcpy(b, (const uint8_t[]){0xaa, 0xaa, 0x03, 0, 0, 0x0c, 0x20, 0}, 8);
	b[8] = 2;
	b[9] = 180;
	be16(b + 12, 1);
	be16(b + 14, 7);
	memcpy(b + 16, "sw1", 3);
	be16(b + 10, csum_fold(csum_add(0, b + 8, 11)));
	eth_frame(&c, cdp_mac, MAC_B, NULL, 0, 19, b, 19);
	/* LACP (IEEE 802.1AX section 6.4.2): slow protocols subtype 1,
	 * version 1, actor, partner, collector and terminator TLVs. */
	memset(b, 0, sizeof b);
	b[0] = 1;
	b[1] = 1;
	b[2] = 1;
	b[3] = 20;
	be16(b + 4, 0x8000);
	memcpy(b + 6, MAC_B, 6);
	be16(b + 12, 1);
	be16(b + 16, 1);
	b[18] = 0x3d;
	b[22] = 2;
	b[23] = 20;
	b[42] = 3;
	b[43] = 16;
	eth_frame(&c, slow_mac, MAC_B, NULL, 0, 0x8809, b, 110);
	/* EAPOL-Start (IEEE 802.1X-2010 section 11.3): version 2, type 1. */
	eth_frame(&c, pae_mac, MAC_A, NULL, 0, 0x888e,
		  (const uint8_t[]){2, 1, 0, 0}, 4);
	/* PTP Sync (IEEE 1588-2008 section 13.6), version 2, 44 bytes. */
	memset(b, 0, sizeof b);
	b[1] = 2;
	be16(b + 2, 44);
	memcpy(b + 20, MAC_B, 6);
	eth_frame(&c, ptp_mac, MAC_B, NULL, 0, 0x88f7, b, 44);
	/* MAC control PAUSE (IEEE 802.3 annex 31B), quanta 0xffff. */
	eth_frame(&c, pause_mac, MAC_B, NULL, 0, 0x8808,
		  (const uint8_t[]){0, 1, 0xff, 0xff}, 4);
	/* IEEE 802 local experimental ethertypes: unsupported, named by
	 * value. */
	for (int i = 0; i < 3; i++) {
		struct frame f;
		fr_init(&f);
		fr_put_random(&f, 46);
		push_eth_tags(&f, MAC_B, MAC_A, NULL, 0,
			      i < 2 ? 0x88b5 : 0x88b6);
		cap_next(&c, &f);
	}
	/* RFC 1042: IPv4 in 802.3 + LLC/SNAP (OUI 0, the ethertype as the
	 * protocol id), as bridges from 802.11 and FDDI still send it. */
	{
		struct ep e = {ip4(10, 0, 0, 10), ip4(192, 0, 2, 53), 53004,
			       53};
		struct frame f;
		uint8_t *h;
		fr_init(&f);
		put_dns(&f, 10, "example.com", 1, false);
		push_udp(&f, &e, 17, 0);
		push_ip(&f, &e, 17, 10, 64);
		h = fr_push(&f, 8);
		memcpy(h, (const uint8_t[]){0xaa, 0xaa, 0x03, 0, 0, 0, 8, 0},
		       8);
		push_eth_tags(&f, MAC_B, MAC_A, NULL, 0, (uint16_t)fr_len(&f));
		cap_next(&c, &f);
	}
	cap_close(&c);
}

/* ---- malformed packets (table at the top of the file) ----------------- */

/* The good IPv4 TCP frame the malformed ones are cut from: 14 + 20 + 20 +
 * 20 bytes. */
static void good_tcp4(struct frame *f)
{
	static const struct link lk = {.type = LT_ETHER};
	struct ep e = {ip4(10, 0, 0, 10), ip4(192, 0, 2, 80), 40000, 80};

	fr_init(f);
	fr_put_random(f, 20);
	push_tcp(f, &e, 1, 1, TH_PSH | TH_ACK, 502, NULL, 0);
	push_ip(f, &e, 6, 1, 64);
	link_wrap(f, &lk, true, &e.src, &e.dst);
}

/* An Ethernet frame around an IPv4 datagram whose header says `proto` and
 * whose payload is the `n` bytes at p (the IPv4 total length follows). */
static void eth_ipv4_raw(struct frame *f, uint8_t proto, const uint8_t *p,
			 size_t n)
{
	static const struct link lk = {.type = LT_ETHER};
	struct addr s = ip4(10, 0, 0, 10), d = ip4(192, 0, 2, 99);

	fr_init(f);
	fr_put_bytes(f, p, n);
	push_ipv4(f, &s, &d, proto, 7, 0, 64);
	link_wrap(f, &lk, true, &s, &d);
}

static void eth_ipv6_raw(struct frame *f, uint8_t next, const uint8_t *p,
			 size_t n)
{
	static const struct link lk = {.type = LT_ETHER};
	struct addr s = ip6(1, 0x10), d = ip6(2, 0x99);

	fr_init(f);
	fr_put_bytes(f, p, n);
	push_ipv6(f, &s, &d, next, 64, 0);
	link_wrap(f, &lk, true, &s, &d);
}

/* Opens a 4-byte gap after the MAC addresses of the Ethernet frame in f,
 * for a VLAN tag. */
static void insert_tag(struct frame *f)
{
	uint8_t *p = fr_push(f, 4);

	memmove(p, p + 4, 12);
}

/* Rewrites the IPv4 header checksum after a deliberate field change. */
static void fix_ipv4_csum(uint8_t *ip)
{
	size_t hlen = (size_t)(ip[0] & 0x0f) * 4;

	if (hlen < 20)
		hlen = 20;
	ip[10] = ip[11] = 0;
	be16(ip + 10, csum_fold(csum_add(0, ip, hlen)));
}

static void gen_malformed_ether(void)
{
	struct cap c;
	struct frame f;
	uint8_t b[256];
	uint8_t *ip;
	const struct ep e = {ip4(10, 0, 0, 10), ip4(192, 0, 2, 99), 40000,
			     9999};

	cap_open(&c, "malformed-ether.pcap", LT_ETHER, 200);
	/* 1, 2: Ethernet cut by the snaplen, and a runt. */
	good_tcp4(&f);
	cap_next_cut(&c, &f, 10);
	good_tcp4(&f);
	f.end = f.off + 12;
	cap_next(&c, &f);
	/* 3, 4: an 802.1Q tag cut by the snaplen, and a frame ending in it. */
	good_tcp4(&f);
	insert_tag(&f);
	be16(fr_data(&f) + 12, 0x8100);
	be16(fr_data(&f) + 14, 100);
	cap_next_cut(&c, &f, 16);
	f.end = f.off + 16;
	cap_next(&c, &f);
	/* 5: nine tags. */
	good_tcp4(&f);
	for (int i = 0; i < 9; i++) {
		insert_tag(&f);
		be16(fr_data(&f) + 12, 0x8100);
		be16(fr_data(&f) + 14, (uint32_t)(100 + i));
	}
	cap_next(&c, &f);
	/* 6: ARP request (RFC 826) for 10.0.0.1. */
	{
		static const uint8_t arp[28] = {
		    0,	1, 8, 0,  6, 4, 0, 1, 2, 0, 0x5e, 0x10, 0, 1,
		    10, 0, 0, 10, 0, 0, 0, 0, 0, 0, 10,	  0,	0, 1};
		static const uint8_t bcast[6] = {0xff, 0xff, 0xff,
						 0xff, 0xff, 0xff};
		fr_init(&f);
		fr_put_bytes(&f, arp, sizeof arp);
		push_eth_tags(&f, bcast, MAC_A, NULL, 0, 0x0806);
		fr_put(&f, 60 - fr_len(&f));
		cap_next(&c, &f);
	}
	/* 7: an 802.3 frame: length 38, LLC 42/42/03, STP configuration BPDU.
	 */
	{
		static const uint8_t stp_mac[6] = {0x01, 0x80, 0xc2,
						   0x00, 0x00, 0x00};
		uint8_t *p;
		fr_init(&f);
		p = fr_put(&f, 3 + 35);
		p[0] = 0x42;
		p[1] = 0x42;
		p[2] = 0x03;
		be16(p + 3 + 5, 0x8000);
		memcpy(p + 3 + 7, MAC_A, 6);
		be16(p + 3 + 28, 20 * 256);
		be16(p + 3 + 30, 2 * 256);
		be16(p + 3 + 32, 15 * 256);
		push_eth_tags(&f, stp_mac, MAC_A, NULL, 0, 38);
		fr_put(&f, 60 - fr_len(&f));
		cap_next(&c, &f);
	}
	/* 8: ethertype IPv4, but an IPv6 header. */
	{
		static const struct link lk = {.type = LT_ETHER};
		struct ep e6 = {ip6(1, 0x10), ip6(2, 0x99), 40000, 80};
		fr_init(&f);
		push_tcp(&f, &e6, 1, 0, TH_SYN, 64240, NULL, 0);
		push_ip(&f, &e6, 6, 0, 64);
		link_wrap(&f, &lk, true, &e6.src, &e6.dst);
		be16(fr_data(&f) + 12, 0x0800);
		cap_next(&c, &f);
	}
	/* 9, 10: IPv4 cut by the snaplen, and a frame with 12 bytes of it. */
	good_tcp4(&f);
	cap_next_cut(&c, &f, 14 + 10);
	f.end = f.off + 14 + 12;
	cap_next(&c, &f);
	/* 11: IHL 4. */
	good_tcp4(&f);
	ip = fr_data(&f) + 14;
	ip[0] = 0x44;
	fix_ipv4_csum(ip);
	cap_next(&c, &f);
	/* 12: IHL 15 (60 bytes) in a 40-byte datagram. */
	good_tcp4(&f);
	f.end -= 20;
	ip = fr_data(&f) + 14;
	ip[0] = 0x4f;
	be16(ip + 2, 40);
	fix_ipv4_csum(ip);
	cap_next(&c, &f);
	/* 13: total length 16. */
	good_tcp4(&f);
	ip = fr_data(&f) + 14;
	be16(ip + 2, 16);
	fix_ipv4_csum(ip);
	cap_next(&c, &f);
	/* 14: total length 1500 in a frame carrying 60 bytes of IPv4. */
	good_tcp4(&f);
	ip = fr_data(&f) + 14;
	be16(ip + 2, 1500);
	fix_ipv4_csum(ip);
	cap_next(&c, &f);
	/* 15: 40 bytes of options (record route), cut by the snaplen 10
	 * bytes into them. */
	{
		uint8_t rr[40] = {7, 39, 4};
		struct frame t;
		fr_init(&t);
		fr_put_random(&t, 20);
		push_tcp(&t, &e, 1, 1, TH_ACK, 502, NULL, 0);
		push_ipv4_opts(&t, &e.src, &e.dst, 6, 8, 0, 64, rr, 40);
		push_eth_tags(&t, MAC_B, MAC_A, NULL, 0, 0x0800);
		cap_next_cut(&c, &t, 14 + 20 + 10);
	}
	/* 16: RFC 1858 tiny fragment: offset 0, MF, 8 bytes of TCP. */
	good_tcp4(&f);
	f.end = f.off + 14 + 20 + 8;
	ip = fr_data(&f) + 14;
	be16(ip + 2, 28);
	be16(ip + 6, IP4_MF);
	fix_ipv4_csum(ip);
	cap_next(&c, &f);
	/* 17, 18: IPv6 cut by the snaplen, and a frame with 30 bytes of it. */
	memset(b, 0, sizeof b);
	eth_ipv6_raw(&f, 59, b, 8);
	cap_next_cut(&c, &f, 14 + 20);
	f.end = f.off + 14 + 30;
	cap_next(&c, &f);
	/* 19: payload length 1000, 28 bytes sent. */
	eth_ipv6_raw(&f, 59, b, 28);
	be16(fr_data(&f) + 14 + 4, 1000);
	cap_next(&c, &f);
	/* 20: 16 bytes of hop-by-hop options cut by the snaplen after 4. */
	memset(b, 0, 16);
	b[0] = IP6_NONXT;
	b[1] = 1;
	b[2] = 1; /* PadN */
	b[3] = 12;
	eth_ipv6_raw(&f, IP6_HOPOPTS, b, 16);
	cap_next_cut(&c, &f, 14 + 40 + 4);
	/* 21: hop-by-hop header length 255 (2048 bytes) in 16 bytes. */
	b[1] = 255;
	eth_ipv6_raw(&f, IP6_HOPOPTS, b, 16);
	cap_next(&c, &f);
	/* 22: destination options, then hop-by-hop (RFC 8200 4.1). */
	memset(b, 0, 16);
	b[0] = IP6_HOPOPTS;
	b[2] = 1;
	b[3] = 4;
	b[8] = IP6_NONXT;
	b[10] = 1;
	b[11] = 4;
	eth_ipv6_raw(&f, IP6_DSTOPTS, b, 16);
	cap_next(&c, &f);
	/* 23: nine destination options headers before TCP. */
	{
		static const struct link lk = {.type = LT_ETHER};
		struct ep e6 = {ip6(1, 0x10), ip6(2, 0x99), 40000, 80};
		fr_init(&f);
		push_tcp(&f, &e6, 1, 0, TH_SYN, 64240, NULL, 0);
		push_ip6_opts(&f, 6, 0, 0, NULL, 0);
		for (int i = 0; i < 8; i++)
			push_ip6_opts(&f, IP6_DSTOPTS, 0, 0, NULL, 0);
		push_ipv6(&f, &e6.src, &e6.dst, IP6_DSTOPTS, 64, 0);
		link_wrap(&f, &lk, true, &e6.src, &e6.dst);
		cap_next(&c, &f);
	}
	/* 24: IPv6 first fragment carrying only 4 bytes of UDP. */
	memset(b, 0, 16);
	b[0] = 17;
	be16(b + 2, 1); /* offset 0, M */
	be32(b + 4, 0x99);
	be16(b + 8, 53009);
	be16(b + 10, 53);
	eth_ipv6_raw(&f, IP6_FRAGMENT, b, 12);
	cap_next(&c, &f);
	/* 25: IPv4 in IPv4 in IPv4. */
	{
		struct frame t;
		struct addr o1 = ip4(198, 51, 100, 1),
			    o2 = ip4(198, 51, 100, 2);
		fr_init(&t);
		push_tcp(&t, &e, 1, 0, TH_SYN, 64240, NULL, 0);
		push_ip(&t, &e, 6, 1, 64);
		push_ipv4(&t, &o1, &o2, 4, 2, 0, 64);
		push_ipv4(&t, &o1, &o2, 4, 3, 0, 64);
		push_eth_tags(&t, MAC_B, MAC_A, NULL, 0, 0x0800);
		cap_next(&c, &t);
	}
	/* 26: protocol 4 whose inner header is IPv6. */
	{
		struct ep e6 = {ip6(1, 0x10), ip6(2, 0x99), 40000, 80};
		struct frame t;
		fr_init(&t);
		push_tcp(&t, &e6, 1, 0, TH_SYN, 64240, NULL, 0);
		push_ip(&t, &e6, 6, 0, 64);
		memcpy(b, fr_data(&t), fr_len(&t));
		eth_ipv4_raw(&f, 4, b, fr_len(&t));
		cap_next(&c, &f);
	}
	/* 27, 28: GRE cut by the snaplen after 2 bytes; a 2-byte GRE. */
	memset(b, 0, 32);
	be16(b + 2, 0x0800);
	eth_ipv4_raw(&f, 47, b, 24);
	cap_next_cut(&c, &f, 14 + 20 + 2);
	eth_ipv4_raw(&f, 47, b, 2);
	cap_next(&c, &f);
	/* 29: K set (a 4-byte key follows) but the datagram ends. */
	be16(b, 0x2000);
	eth_ipv4_raw(&f, 47, b, 4);
	cap_next(&c, &f);
	/* 30: routing present (RFC 1701 bit 1). */
	be16(b, 0x4000);
	eth_ipv4_raw(&f, 47, b, 24);
	cap_next(&c, &f);
	/* 31: enhanced GRE, version 1 (PPTP, RFC 2637): K set, PPP. */
	be16(b, 0x2001);
	be16(b + 2, 0x880b);
	eth_ipv4_raw(&f, 47, b, 24);
	cap_next(&c, &f);
	/* 32: version 0 carrying PPP. */
	be16(b, 0x0000);
	eth_ipv4_raw(&f, 47, b, 24);
	cap_next(&c, &f);
	/* 33, 34: TCP cut by the snaplen after 10 bytes; a 12-byte TCP. */
	good_tcp4(&f);
	cap_next_cut(&c, &f, 14 + 20 + 10);
	memcpy(b, fr_data(&f) + 34, 40);
	eth_ipv4_raw(&f, 6, b, 12);
	cap_next(&c, &f);
	/* 35: data offset 4. */
	b[12] = 0x40;
	eth_ipv4_raw(&f, 6, b, 40);
	cap_next(&c, &f);
	/* 36: data offset 15 (60 bytes) in a 24-byte segment. */
	b[12] = 0xf0;
	eth_ipv4_raw(&f, 6, b, 24);
	cap_next(&c, &f);
	/* 37, 38: UDP cut after 4 bytes; a 6-byte UDP. */
	memset(b, 0, 64);
	be16(b, 53010);
	be16(b + 2, 53);
	be16(b + 4, 28);
	eth_ipv4_raw(&f, 17, b, 28);
	cap_next_cut(&c, &f, 14 + 20 + 4);
	eth_ipv4_raw(&f, 17, b, 6);
	cap_next(&c, &f);
	/* 39, 40: UDP length 4; UDP length 500 with 28 bytes sent. */
	be16(b + 4, 4);
	eth_ipv4_raw(&f, 17, b, 28);
	cap_next(&c, &f);
	be16(b + 4, 500);
	eth_ipv4_raw(&f, 17, b, 28);
	cap_next(&c, &f);
	/* 41, 42: UDP-Lite coverage 4, and 1000 in a 28-byte datagram. */
	be16(b + 4, 4);
	eth_ipv4_raw(&f, 136, b, 28);
	cap_next(&c, &f);
	be16(b + 4, 1000);
	eth_ipv4_raw(&f, 136, b, 28);
	cap_next(&c, &f);
	/* 43, 44: SCTP cut after 8 bytes; a 10-byte SCTP. */
	memset(b, 0, 64);
	be16(b, 5060);
	be16(b + 2, 5060);
	b[12] = SCTP_COOKIE_ACK;
	be16(b + 14, 4);
	eth_ipv4_raw(&f, 132, b, 16);
	cap_next_cut(&c, &f, 14 + 20 + 8);
	eth_ipv4_raw(&f, 132, b, 10);
	cap_next(&c, &f);
	/* 45-47: chunk length 2; 500 with 20 bytes sent; 2 stray bytes. */
	be16(b + 14, 2);
	eth_ipv4_raw(&f, 132, b, 16);
	cap_next(&c, &f);
	be16(b + 14, 500);
	eth_ipv4_raw(&f, 132, b, 32);
	cap_next(&c, &f);
	eth_ipv4_raw(&f, 132, b, 14);
	cap_next(&c, &f);
	/* 48: DCCP cut after 8 bytes. */
	{
		struct frame t;
		fr_init(&t);
		push_dccp(&t, &e, DCCP_REQUEST, true, 1, 0, 1145656131u);
		memcpy(b, fr_data(&t), fr_len(&t)); /* 20 bytes */
	}
	eth_ipv4_raw(&f, 33, b, 20);
	cap_next_cut(&c, &f, 14 + 20 + 8);
	/* 49: the Request cut inside its service code. */
	cap_next_cut(&c, &f, 14 + 20 + 18);
	/* 50: 10 bytes of DCCP. */
	eth_ipv4_raw(&f, 33, b, 10);
	cap_next(&c, &f);
	/* 51: Request with data offset 4: no room for the service code. */
	b[4] = 4;
	eth_ipv4_raw(&f, 33, b, 20);
	cap_next(&c, &f);
	/* 52: Data (X=0) with data offset 100 in 12 bytes. */
	b[4] = 100;
	b[8] = DCCP_DATA << 1;
	eth_ipv4_raw(&f, 33, b, 12);
	cap_next(&c, &f);
	/* 53: reserved type 12. */
	b[4] = 5;
	b[8] = 12 << 1 | 1;
	eth_ipv4_raw(&f, 33, b, 20);
	cap_next(&c, &f);
	/* 54: Request with X = 0 (RFC 4340 5.1 says ignore it). */
	b[4] = 4;
	b[8] = DCCP_REQUEST << 1;
	eth_ipv4_raw(&f, 33, b, 16);
	cap_next(&c, &f);
	/* 55: a good one, so a reader shows it got through the rest. */
	good_tcp4(&f);
	cap_next(&c, &f);
	cap_close(&c);
}

/* A good IPv4 UDP datagram (a DNS query) for the other link types. */
static void good_udp4(struct frame *f)
{
	struct ep e = {ip4(10, 0, 0, 10), ip4(10, 0, 0, 1), 53011, 53};

	fr_init(f);
	put_dns(f, 0x4444, "example.com", 1, false);
	push_udp(f, &e, 17, 0);
	push_ip(f, &e, 17, 9, 64);
}

static void gen_malformed_links(void)
{
	struct cap c;
	struct frame f;
	uint8_t *p;

	cap_open(&c, "malformed-sll.pcap", LT_SLL, 210);
	good_udp4(&f);
	push_sll(&f, true, 0x0800);
	cap_next_cut(&c, &f, 10);
	f.end = f.off + 12;
	cap_next(&c, &f);
	fr_init(&f);
	fr_put(&f, 28)[1] = 1; /* an ARP body is all that matters */
	push_sll(&f, false, 0x0806);
	cap_next(&c, &f);
	good_udp4(&f);
	push_sll(&f, true, 0x0800);
	cap_next(&c, &f);
	cap_close(&c);

	cap_open(&c, "malformed-sll2.pcap", LT_SLL2, 211);
	good_udp4(&f);
	push_sll2(&f, true, 0x0800);
	cap_next_cut(&c, &f, 12);
	f.end = f.off + 16;
	cap_next(&c, &f);
	good_udp4(&f);
	push_sll2(&f, true, 0x0800);
	cap_next(&c, &f);
	cap_close(&c);

	cap_open(&c, "malformed-null.pcap", LT_NULL, 212);
	good_udp4(&f);
	push_null(&f, 2, false);
	cap_next_cut(&c, &f, 2);
	f.end = f.off + 3;
	cap_next(&c, &f);
	good_udp4(&f);
	push_null(&f, 16, false); /* AF_APPLETALK */
	cap_next(&c, &f);
	good_udp4(&f);
	push_null(&f, 2, false);
	cap_next(&c, &f);
	cap_close(&c);

	cap_open(&c, "malformed-raw.pcap", LT_RAW, 213);
	good_udp4(&f);
	p = fr_data(&f);
	p[0] = 0x55;
	cap_next(&c, &f);
	good_udp4(&f);
	c.t_us += 1000;
	cap_add_raw(&c, c.t_us, fr_data(&f), 0, 0, (uint32_t)fr_len(&f));
	cap_next_cut(&c, &f, 10);
	{
		struct ep e6 = {ip6(1, 0x10), ip6(1, 0x1), 53012, 53};
		fr_init(&f);
		fr_put_random(&f, 0);
		push_udp(&f, &e6, 17, 0);
		push_ip(&f, &e6, 17, 0, 64);
		cap_next_cut(&c, &f, 30);
	}
	good_udp4(&f);
	cap_next(&c, &f);
	cap_close(&c);

	cap_open(&c, "malformed-linktype-ipv6.pcap", LT_IPV6, 214);
	good_udp4(&f);
	cap_next(&c, &f);
	{
		struct ep e6 = {ip6(1, 0x10), ip6(1, 0x1), 53013, 53};
		fr_init(&f);
		put_dns(&f, 0x4445, "example.com", 28, false);
		push_udp(&f, &e6, 17, 0);
		push_ip(&f, &e6, 17, 0, 64);
		cap_next(&c, &f);
	}
	cap_close(&c);

	/* caplen 74 > len 60: what a broken writer produces; libpcap passes
	 * it through. */
	cap_open(&c, "malformed-bad-caplen.pcap", LT_ETHER, 215);
	good_tcp4(&f);
	cap_next(&c, &f);
	c.t_us += 1000;
	cap_add_raw(&c, c.t_us, fr_data(&f), (uint32_t)fr_len(&f),
		    (uint32_t)fr_len(&f), 60);
	cap_close(&c);
}

static void gen_damaged(void)
{
	static const struct link lk = {.type = LT_ETHER};
	struct cap c;
	struct tcp_conn k;
	struct frame f;

	/* A valid five-packet file whose last record lost 30 bytes, as a
	 * capture killed mid-write leaves it. */
	cap_open(&c, "damaged-truncated-record.pcap", LT_ETHER, 220);
	tcp_init(&k, &c, &lk,
		 &(struct ep){ip4(10, 0, 0, 10), ip4(192, 0, 2, 80), 45000, 80},
		 c.t_us + 1000);
	tcp_handshake(&k);
	tcp_send(&k, 0, 100);
	c.cut_last = 30;
	cap_close(&c);

	/* Three good records, then one claiming a 4 MiB caplen: past any
	 * snaplen libpcap accepts, so it stops with an error. */
	cap_open(&c, "damaged-huge-caplen.pcap", LT_ETHER, 221);
	tcp_init(&k, &c, &lk,
		 &(struct ep){ip4(10, 0, 0, 10), ip4(192, 0, 2, 80), 45001, 80},
		 c.t_us + 1000);
	tcp_handshake(&k);
	good_tcp4(&f);
	cap_add_raw(&c, k.t + 1000, fr_data(&f), (uint32_t)fr_len(&f), 4u << 20,
		    4u << 20);
	cap_close(&c);
}

/* ---- pcapng ---------------------------------------------------------- */

struct ng {
	FILE *fp;
	const char *name;
	unsigned packets;
};

static void ng_block(struct ng *g, uint32_t type, const uint8_t *body, size_t n)
{
	uint32_t total = (uint32_t)(12 + (n + 3) / 4 * 4);
	static const uint8_t zero[4] = {0};

	put_le32(g->fp, type);
	put_le32(g->fp, total);
	if (fwrite(body, 1, n, g->fp) != n ||
	    fwrite(zero, 1, (4 - n % 4) % 4, g->fp) != (4 - n % 4) % 4)
		die("write failed", g->name);
	put_le32(g->fp, total);
}

/* Appends a pcapng option (code, length, value padded to 4). */
static size_t ng_opt(uint8_t *p, uint16_t code, const void *v, size_t n)
{
	p[0] = (uint8_t)code;
	p[1] = (uint8_t)(code >> 8);
	p[2] = (uint8_t)n;
	p[3] = (uint8_t)(n >> 8);
	if (n)
		memcpy(p + 4, v, n);
	memset(p + 4 + n, 0, (4 - n % 4) % 4);
	return 4 + (n + 3) / 4 * 4;
}

static void ng_shb(struct ng *g)
{
	uint8_t b[128];
	size_t n = 16;
	static const char app[] = "portnote tests/gen_captures.c";

	le32(b, 0x1a2b3c4du);
	b[4] = 1; /* version 1.0 */
	b[5] = 0;
	b[6] = 0;
	b[7] = 0;
	memset(b + 8, 0xff, 8);			    /* section length unknown */
	n += ng_opt(b + n, 4, app, sizeof app - 1); /* shb_userappl */
	n += ng_opt(b + n, 0, NULL, 0);
	ng_block(g, 0x0a0d0d0au, b, n);
}

static void ng_idb(struct ng *g, uint16_t linktype, uint32_t snaplen,
		   const char *ifname)
{
	uint8_t b[64];
	size_t n = 8;

	b[0] = (uint8_t)linktype;
	b[1] = (uint8_t)(linktype >> 8);
	b[2] = b[3] = 0;
	le32(b + 4, snaplen);
	n += ng_opt(b + n, 2, ifname, strlen(ifname)); /* if_name */
	n += ng_opt(b + n, 0, NULL, 0);
	ng_block(g, 1, b, n);
}

/* Enhanced Packet Block, microsecond timestamps (if_tsresol default). */
static void ng_epb(struct ng *g, uint32_t ifid, uint64_t t_us, struct frame *f,
		   const char *comment)
{
	uint8_t b[2048 + 128];
	size_t len = fr_len(f), n = 20;

	le32(b, ifid);
	le32(b + 4, (uint32_t)(t_us >> 32));
	le32(b + 8, (uint32_t)t_us);
	le32(b + 12, (uint32_t)len);
	le32(b + 16, (uint32_t)len);
	memcpy(b + 20, fr_data(f), len);
	n += len;
	memset(b + n, 0, (4 - n % 4) % 4);
	n = (n + 3) / 4 * 4;
	if (comment) {
		n += ng_opt(b + n, 1, comment,
			    strlen(comment)); /* opt_comment */
		n += ng_opt(b + n, 0, NULL, 0);
	}
	ng_block(g, 6, b, n);
	g->packets++;
}

/* Simple Packet Block: no timestamp, interface 0. */
static void ng_spb(struct ng *g, struct frame *f)
{
	uint8_t b[2048];
	size_t len = fr_len(f);

	le32(b, (uint32_t)len);
	memcpy(b + 4, fr_data(f), len);
	ng_block(g, 3, b, 4 + len);
	g->packets++;
}

/* Builds the small TCP/UDP exchange of the pcapng files into a cap (not
 * written) so its frames can be re-emitted as blocks. */
static void ng_tcp_frames(struct cap *c, const struct link *lk, int v)
{
	struct tcp_conn k;
	struct ep e4 = {ip4(10, 0, 0, 10), ip4(192, 0, 2, 43), 44443, 443};
	struct ep e6 = {ip6(1, 0x10), ip6(2, 0x43), 44443, 443};

	tcp_init(&k, c, lk, v == 6 ? &e6 : &e4, c->t_us + 1000);
	tcp_handshake(&k);
	tcp_send(&k, 0, 517);
	tcp_send(&k, 1, 200);
	tcp_close(&k, 0);
}

static void gen_pcapng(void)
{
	static const struct link eth = {.type = LT_ETHER};
	static const struct link raw4 = {.type = LT_IPV4};
	struct cap tmp;
	struct ng g = {.name = "pcapng.pcapng"};
	struct frame f;

	/* One section, two Ethernet interfaces (libpcap reads only files
	 * whose interfaces share a link type), EPBs on both and one SPB. */
	cap_open(&tmp, "(pcapng frames)", LT_ETHER, 230);
	ng_tcp_frames(&tmp, &eth, 4);
	g.fp = open_out(g.name);
	ng_shb(&g);
	ng_idb(&g, LT_ETHER, 65535, "eth0");
	ng_idb(&g, LT_ETHER, 65535, "eth1");
	qsort(tmp.recs, tmp.nrecs, sizeof *tmp.recs, rec_cmp);
	for (size_t i = 0; i < tmp.nrecs; i++) {
		fr_init(&f);
		fr_put_bytes(&f, tmp.recs[i].data, tmp.recs[i].stored);
		ng_epb(&g, 0, tmp.recs[i].t_us, &f,
		       i == 0 ? "first packet of the connection" : NULL);
		free(tmp.recs[i].data);
	}
	free(tmp.recs);
	{
		struct cap d;
		cap_open(&d, "(pcapng dns)", LT_ETHER, 231);
		dns_exchange(&d, &eth, T0_SEC * US + 500000,
			     &(struct ep){ip4(10, 0, 1, 10), ip4(10, 0, 1, 1),
					  53014, 53},
			     1000);
		for (size_t i = 0; i < d.nrecs; i++) {
			fr_init(&f);
			fr_put_bytes(&f, d.recs[i].data, d.recs[i].stored);
			ng_epb(&g, 1, d.recs[i].t_us, &f, NULL);
		}
		/* The query again as an SPB on interface 0. */
		fr_init(&f);
		fr_put_bytes(&f, d.recs[0].data, d.recs[0].stored);
		ng_spb(&g, &f);
		for (size_t i = 0; i < d.nrecs; i++)
			free(d.recs[i].data);
		free(d.recs);
	}
	if (fclose(g.fp) != 0)
		die("write failed", g.name);
	printf("%-36s %6u packets\n", g.name, g.packets);

	/* Two interfaces with different link types (Ethernet, raw IPv4):
	 * Wireshark reads it; libpcap 1.10 refuses the second interface. */
	g = (struct ng){.name = "pcapng-multilink.pcapng"};
	g.fp = open_out(g.name);
	ng_shb(&g);
	ng_idb(&g, LT_ETHER, 65535, "eth0");
	ng_idb(&g, LT_IPV4, 65535, "tun0");
	{
		struct cap a, b;
		cap_open(&a, "(eth)", LT_ETHER, 232);
		ng_tcp_frames(&a, &eth, 4);
		cap_open(&b, "(raw4)", LT_IPV4, 233);
		b.t_us += 2000;
		ng_tcp_frames(&b, &raw4, 4);
		qsort(a.recs, a.nrecs, sizeof *a.recs, rec_cmp);
		qsort(b.recs, b.nrecs, sizeof *b.recs, rec_cmp);
		/* Merge the two interfaces' packets in time order. */
		for (size_t i = 0, j = 0; i < a.nrecs || j < b.nrecs;) {
			bool take_a =
			    j == b.nrecs ||
			    (i < a.nrecs && a.recs[i].t_us <= b.recs[j].t_us);
			struct rec *r = take_a ? &a.recs[i++] : &b.recs[j++];
			fr_init(&f);
			fr_put_bytes(&f, r->data, r->stored);
			ng_epb(&g, take_a ? 0 : 1, r->t_us, &f, NULL);
			free(r->data);
		}
		free(a.recs);
		free(b.recs);
	}
	if (fclose(g.fp) != 0)
		die("write failed", g.name);
	printf("%-36s %6u packets\n", g.name, g.packets);
}

/* ---- demo.pcap ------------------------------------------------------- */

struct service {
	uint16_t port;
	unsigned weight;
	uint32_t req_lo, req_hi;   /* client bytes */
	uint32_t resp_lo, resp_hi; /* server bytes */
};

/* Popular server ports, plus 6003 (x11, with reported unauthorized use),
 * 4489 (unassigned), 4490 (unassigned, reported unauthorized use), 1024
 * (reserved) and 55555 (dynamic range). */
static const struct service tcp_services[] = {
    {443, 40, 100, 520, 100, 3000}, {80, 10, 80, 400, 100, 2000},
    {22, 5, 40, 600, 40, 1500},	    {25, 3, 100, 1200, 60, 300},
    {53, 2, 30, 60, 60, 500},	    {3306, 4, 60, 300, 100, 1200},
    {5432, 4, 60, 300, 100, 1200},  {6379, 6, 20, 80, 10, 200},
    {8080, 5, 80, 400, 100, 2500},  {993, 4, 60, 300, 100, 1500},
    {465, 2, 100, 1000, 60, 300},   {6003, 2, 40, 400, 40, 800},
    {4489, 1, 20, 200, 20, 200},    {4490, 1, 20, 200, 20, 200},
    {1024, 1, 20, 100, 20, 100},    {55555, 2, 100, 900, 100, 900},
};

/* Sizes skewed towards the small end (lo + (hi - lo) * u^4): most
 * exchanges are short, a few fill several full-size segments. */
static uint32_t skewed(uint32_t lo, uint32_t hi)
{
	uint64_t u = rnd(0, 1000), u2 = u * u;

	return lo + (uint32_t)((hi - lo) * (u2 * u2 / 1000000) / 1000000);
}

/* demo duration: two minutes of traffic. */
#define DEMO_SPAN_US (120ull * US)

static void gen_demo(void)
{
	static const struct link eth = {.type = LT_ETHER};
	static const struct link vlan = {
	    .type = LT_ETHER, .ntags = 1, .tags = {{0x8100, 100}}};
	unsigned total_weight = 0;
	struct cap c;

	cap_open(&c, "demo.pcap", LT_ETHER, 1);
	for (size_t i = 0; i < sizeof tcp_services / sizeof *tcp_services; i++)
		total_weight += tcp_services[i].weight;

	/* TCP connections. */
	for (unsigned n = 0; n < 200; n++) {
		uint32_t w = rnd(0, total_weight - 1);
		const struct service *s = tcp_services;
		bool v6 = chance(10), on_vlan = !v6 && chance(8);
		unsigned host = rnd(10, 60), srv = rnd(1, 40);
		struct ep e;
		struct tcp_conn k;
		unsigned mode = rnd(0, 99), rounds;

		while (w >= s->weight) {
			w -= s->weight;
			s++;
		}
		if (v6)
			e = (struct ep){ip6(1, host), ip6(2, srv),
					(uint16_t)rnd(32768, 60999), s->port};
		else if (on_vlan)
			e = (struct ep){ip4(10, 0, 100, host),
					ip4(198, 51, 100, srv),
					(uint16_t)rnd(32768, 60999), s->port};
		else
			e = (struct ep){ip4(10, 0, 0, host),
					ip4(203, 0, 113, srv),
					(uint16_t)rnd(32768, 60999), s->port};
		tcp_init(&k, &c, on_vlan ? &vlan : &eth, &e,
			 c.t_us + rnd(0, (uint32_t)DEMO_SPAN_US));
		k.rtt_us = rnd(300, 80000);
		k.ts = !chance(20);
		if (mode < 4) { /* refused: SYN, RST/ACK */
			tcp_seg(&k, 0, TH_SYN, 0);
			tcp_wait(&k, k.rtt_us);
			tcp_seg(&k, 1, TH_RST | TH_ACK, 0);
			continue;
		}
		tcp_handshake(&k);
		rounds = chance(15) ? rnd(2, 4) : 1;
		for (unsigned r = 0; r < rounds; r++) {
			tcp_wait(&k, rnd(100, 3000));
			tcp_send(&k, 0, skewed(s->req_lo, s->req_hi));
			tcp_wait(&k, rnd(200, 20000));
			tcp_send(&k, 1, skewed(s->resp_lo, s->resp_hi));
		}
		tcp_wait(&k, rnd(1000, 2000000));
		if (mode < 10) /* server resets */
			tcp_seg(&k, 1, TH_RST | TH_ACK, 0);
		else if (mode < 14) /* client resets */
			tcp_seg(&k, 0, TH_RST | TH_ACK, 0);
		else if (mode >= 18) /* 14-17: still open at the end */
			tcp_close(&k, chance(70) ? 0 : 1);
	}

	/* DNS over UDP to the local resolver. */
	for (unsigned n = 0; n < 450; n++) {
		bool v6 = chance(10);
		unsigned host = rnd(10, 60);
		struct ep e =
		    v6 ? (struct ep){ip6(1, host), ip6(1, 1),
				     (uint16_t)rnd(32768, 60999), 53}
		       : (struct ep){ip4(10, 0, 0, host), ip4(10, 0, 0, 1),
				     (uint16_t)rnd(32768, 60999), 53};
		uint64_t t = c.t_us + rnd(0, (uint32_t)DEMO_SPAN_US);

		dns_exchange(&c, &eth, t, &e, rnd(200, 40000));
	}
	/* NTP: a few clients polling, one with source port 123. */
	for (unsigned n = 0; n < 12; n++) {
		unsigned host = rnd(10, 60);
		uint16_t sport = n == 0 ? 123 : (uint16_t)rnd(32768, 60999);
		struct ep e = {ip4(10, 0, 0, host), ip4(203, 0, 113, 123),
			       sport, 123};
		uint64_t t = c.t_us + n * 10 * US + rnd(0, 999999);

		ntp_exchange(&c, &eth, t, &e, rnd(5000, 40000));
	}
	/* QUIC-like UDP/443. */
	for (unsigned n = 0; n < 6; n++) {
		bool v6 = chance(20);
		unsigned host = rnd(10, 60), srv = rnd(1, 40);
		struct ep e =
		    v6 ? (struct ep){ip6(1, host), ip6(2, srv),
				     (uint16_t)rnd(32768, 60999), 443}
		       : (struct ep){ip4(10, 0, 0, host), ip4(203, 0, 113, srv),
				     (uint16_t)rnd(32768, 60999), 443};
		uint64_t t = c.t_us + rnd(0, (uint32_t)DEMO_SPAN_US);
		uint32_t rtt = rnd(5000, 60000);

		quic_flow(&c, &eth, t, &e, rtt, rnd(6, 10));
	}
	/* UDP between two dynamic-range ports (a game or WebRTC media). */
	{
		struct ep e = {ip4(10, 0, 0, 33), ip4(203, 0, 113, 77), 50000,
			       61234};
		uint64_t t = c.t_us + 30 * US;
		struct ep b = ep_reverse(&e);
		for (unsigned n = 0; n < 40; n++) {
			struct frame f;
			fr_init(&f);
			fr_put_random(&f, rnd(60, 300));
			send_udp(&c, &eth, t, &f, n % 2 ? &b : &e, n % 2 == 0);
			t += rnd(5000, 40000);
		}
	}
	/* SCTP (INIT first) and DCCP (Request first). */
	sctp_assoc(
	    &c, &eth, c.t_us + 20 * US,
	    &(struct ep){ip4(10, 0, 0, 20), ip4(203, 0, 113, 60), 5060, 5060},
	    20000, 6);
	sctp_assoc(&c, &eth, c.t_us + 70 * US,
		   &(struct ep){ip6(1, 0x20), ip6(2, 0x60), 40443, 443}, 15000,
		   4);
	dccp_conn(
	    &c, &eth, c.t_us + 40 * US,
	    &(struct ep){ip4(10, 0, 0, 21), ip4(203, 0, 113, 9), 40009, 9},
	    10000, 1145656131u, 6);
	dccp_conn(
	    &c, &eth, c.t_us + 90 * US,
	    &(struct ep){ip4(10, 0, 0, 22), ip4(203, 0, 113, 113), 41113, 1113},
	    30000, 7107696u, 5);
	cap_close(&c);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_captures DIR\n");
		return 2;
	}
	out_dir = argv[1];
	gen_link_files();
	gen_unsupported_link();
	gen_pppoe();
	gen_mpls();
	gen_nonip();
	gen_ipv4_options();
	gen_ipv4_fragments();
	gen_ipv6_ext();
	gen_tunnels();
	gen_tcp();
	gen_udp();
	gen_sctp_dccp();
	gen_icmp_other();
	gen_malformed_ether();
	gen_malformed_links();
	gen_damaged();
	gen_pcapng();
	gen_demo();
	return 0;
}
