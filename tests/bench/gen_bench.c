/* gen_bench — a deterministic, large, realistic capture for the benchmarks.
 *
 * usage: gen_bench [--packets N] [--flows F] [--seed S] [--window W] FILE|-
 *
 * Writes a classic pcap (Ethernet, microsecond timestamps) of exactly N
 * packets over exactly F flows (defaults 10,000,000 and 200,000): by flows
 * about 80 % TCP (handshake, request/response bursts of ACK-sized and
 * near-MTU segments, FIN/ACK both ways or RST; a few refused connections),
 * 17 % UDP (DNS, NTP, QUIC on 443/udp, other request/response), 1.5 % SCTP
 * (INIT .. COOKIE ACK, DATA/SACK, SHUTDOWN or ABORT) and 1.5 % DCCP
 * (Request with a service code, Response, Ack, Data/DataAck, Close, Reset);
 * about 10 % of flows over IPv6 and 5 % 802.1Q tagged. Server ports come
 * from popular services (weighted), a static list of registered ports,
 * unassigned ports and the dynamic range; clients use 32768-60999.
 * A window of a few thousand flows is active at once and packets are drawn
 * from it at random; timestamps advance 1-7 microseconds per packet.
 * IP total/payload lengths, UDP lengths and SCTP/DCCP header fields match
 * the bytes written; IPv4 header, UDP and DCCP checksums are computed, TCP
 * and SCTP checksums are left zero (Wireshark does not check them by
 * default). Payloads: flows of TLS, HTTP, SSH, DNS, NTP and QUIC ports
 * carry those protocols' real first messages (ClientHello with SNI and
 * ALPN, request lines, banners, queries, Initials), about 3 % of them on
 * another service's port, so portnote's payload recognizers work as on
 * real traffic; other flows carry random bytes. Same arguments, same
 * bytes. Counts go to stderr. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- random numbers: xoshiro256** seeded by splitmix64 ---------------- */

static uint64_t rs[4];

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rnd(void)
{
	uint64_t result = rotl(rs[1] * 5, 7) * 9;
	uint64_t t = rs[1] << 17;
	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = rotl(rs[3], 45);
	return result;
}

/* Uniform in [0, n). */
static inline uint32_t below(uint32_t n)
{
	return (uint32_t)(((rnd() >> 32) * (uint64_t)n) >> 32);
}

static inline double unit(void)
{
	return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0);
}

/* Percent chance. */
static inline int chance(unsigned pct)
{
	return below(1000) < pct * 10;
}

static double gauss(void)
{
	double u = unit(), v = unit();
	if (u < 1e-300)
		u = 1e-300;
	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Log-uniform in [lo, hi]: most draws small, a long tail up to hi. */
static uint32_t logu(uint32_t lo, uint32_t hi)
{
	double l = log((double)lo), h = log((double)hi);
	return (uint32_t)exp(l + unit() * (h - l));
}

/* ---- flows -------------------------------------------------------------- */

enum proto { P_TCP, P_UDP, P_SCTP, P_DCCP };
enum app {
	A_TLS,	    /* tcp 443, 8443 */
	A_HTTP,	    /* tcp 80, 8080, 8000 */
	A_INTER,    /* tcp 22, 3389, 5900: small packets both ways */
	A_MAIL,	    /* tcp 25, 587, 993, ... */
	A_DB,	    /* tcp 3306, 5432, 6379, ... */
	A_TCPOTHER, /* tcp registered/unassigned/dynamic */
	A_REFUSED,  /* tcp SYN answered by RST/ACK */
	A_DNS,
	A_NTP,
	A_QUIC,
	A_UDPOTHER,
	A_SCTP,
	A_DCCP,
};

/* What a flow's payloads look like, whatever its port: TCP and UDP flows
 * of the services below carry their protocol's real first messages (the
 * payload recognizers of src/evidence.c see them); the rest carry random
 * bytes. */
enum look {
	L_NONE, /* random bytes */
	L_TLS,	/* TLS 1.3: ClientHello, ServerHello, then records */
	L_HTTP, /* HTTP/1.1 requests and responses */
	L_SSH,	/* SSH version banners, then binary packets */
	L_DNS,
	L_NTP,
	L_QUIC, /* QUIC v1 Initial and Handshake, then short headers */
	L_TEXT, /* lines of plain text */
	L_COUNT
};

struct plan {
	uint32_t count; /* packets in the flow */
	uint16_t sport; /* server port */
	uint8_t proto;
	uint8_t app;
};

struct weighted {
	uint16_t port;
	uint8_t app;
	uint16_t weight;
};

static const struct weighted tcp_popular[] = {
    {443, A_TLS, 420},	{80, A_HTTP, 130},  {8080, A_HTTP, 25},
    {8443, A_TLS, 20},	{8000, A_HTTP, 6},  {22, A_INTER, 45},
    {3389, A_INTER, 8}, {5900, A_INTER, 3}, {25, A_MAIL, 20},
    {587, A_MAIL, 10},	{465, A_MAIL, 4},   {993, A_MAIL, 18},
    {995, A_MAIL, 4},	{143, A_MAIL, 3},   {3306, A_DB, 30},
    {5432, A_DB, 25},	{6379, A_DB, 25},   {11211, A_DB, 8},
    {27017, A_DB, 8},	{9200, A_DB, 6},    {389, A_DB, 6},
    {636, A_DB, 4},	{1883, A_DB, 5},    {5672, A_DB, 5},
    {5222, A_DB, 4},	{2049, A_DB, 4},    {1433, A_DB, 6},
};
/* Registered in the 2014 snapshot (checked with portnote lookup). */
static const uint16_t tcp_registered[] = {
    21,	  23,	110,  1080, 1521, 2375, 3000, 3128, 4369, 4444, 5000,
    5001, 5555, 7777, 8081, 8086, 8883, 9000, 9090, 9092, 10000};
/* Unassigned in the 2014 snapshot. */
static const uint16_t tcp_unassigned[] = {4489, 4490, 6372, 6881, 8009, 25565};
static const uint16_t udp_registered[] = {5060, 1194, 3478, 4500, 500,	1812,
					  161,	514,  1900, 5353, 5683, 1434};
static const uint16_t udp_unassigned[] = {4489, 4491, 27500, 6372};
static const uint16_t sctp_ports[] = {2905,  3868, 36412, 38412, 5060,
				      29118, 2944, 4739,  9899};
static const uint16_t dccp_ports[] = {5004, 5005, 4556, 1021, 9, 6000};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static uint16_t dynamic_port(void)
{
	return (uint16_t)(49152 + below(16384));
}

static uint16_t ephemeral_port(void)
{
	return (uint16_t)(32768 + below(60999 - 32768 + 1));
}

/* Packets a flow needs for its full script (handshake and close) and how
 * much weight it gets in the share of the remaining packets. */
static void draw_flow(struct plan *p, uint32_t *min, uint32_t *weight)
{
	uint32_t r = below(1000);
	double lw = exp(1.3 * gauss()); /* lognormal, median 1 */
	if (lw > 40.0)
		lw = 40.0;
	*weight = 0;
	if (r < 800) {
		p->proto = P_TCP;
		uint32_t c = below(1000);
		if (c < 30) {
			p->app = A_REFUSED;
			p->sport = c < 15 ? tcp_popular[below(6)].port
					  : dynamic_port();
			*min = 2;
			return;
		}
		if (c < 880) {
			uint32_t total = 0;
			for (size_t i = 0; i < NELEM(tcp_popular); i++)
				total += tcp_popular[i].weight;
			uint32_t w = below(total);
			size_t i = 0;
			while (w >= tcp_popular[i].weight)
				w -= tcp_popular[i++].weight;
			p->sport = tcp_popular[i].port;
			p->app = tcp_popular[i].app;
		} else if (c < 940) {
			p->sport = tcp_registered[below(NELEM(tcp_registered))];
			p->app = A_TCPOTHER;
		} else if (c < 970) {
			p->sport = tcp_unassigned[below(NELEM(tcp_unassigned))];
			p->app = A_TCPOTHER;
		} else {
			p->sport = dynamic_port();
			p->app = A_TCPOTHER;
		}
		*min = 8; /* 3 handshake, 1 data, up to 4 close */
		double scale = p->app == A_TLS || p->app == A_HTTP ? 1.3
			       : p->app == A_INTER		   ? 1.6
			       : p->app == A_MAIL		   ? 0.6
								   : 0.7;
		*weight = (uint32_t)(lw * scale * 1024.0);
		return;
	}
	if (r < 970) {
		p->proto = P_UDP;
		uint32_t c = below(100);
		if (c < 55) {
			p->app = A_DNS;
			p->sport = 53;
			*min = chance(30) ? 4 : 2;
		} else if (c < 63) {
			p->app = A_NTP;
			p->sport = 123;
			*min = 2;
		} else if (c < 83) {
			p->app = A_QUIC;
			p->sport = 443;
			*min = 6;
			*weight = (uint32_t)(lw * 1.3 * 1024.0);
		} else {
			p->app = A_UDPOTHER;
			uint32_t k = below(10);
			p->sport =
			    k < 6 ? udp_registered[below(NELEM(udp_registered))]
			    : k < 8
				? udp_unassigned[below(NELEM(udp_unassigned))]
				: dynamic_port();
			*min = 1;
			*weight = (uint32_t)(lw * 0.3 * 1024.0);
		}
		return;
	}
	if (r < 985) {
		p->proto = P_SCTP;
		p->app = A_SCTP;
		p->sport = chance(90) ? sctp_ports[below(NELEM(sctp_ports))]
				      : dynamic_port();
		*min = 8;
		*weight = (uint32_t)(lw * 0.8 * 1024.0);
		return;
	}
	p->proto = P_DCCP;
	p->app = A_DCCP;
	p->sport =
	    chance(90) ? dccp_ports[below(NELEM(dccp_ports))] : dynamic_port();
	*min = 6;
	*weight = (uint32_t)(lw * 0.8 * 1024.0);
}

/* ---- output buffer --------------------------------------------------------
 */

#define OUTBUF (8u << 20)
#define MAXPKT 2048u

static uint8_t *out;
static size_t outlen;
static FILE *outf;
static uint64_t bytes_written;

static void flush_out(void)
{
	if (outlen && fwrite(out, 1, outlen, outf) != outlen) {
		fprintf(stderr, "gen_bench: write: %s\n", strerror(errno));
		exit(1);
	}
	bytes_written += outlen;
	outlen = 0;
}

static inline void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void put48(uint8_t *p, uint64_t v)
{
	put16(p, (uint32_t)(v >> 32));
	put32(p + 2, (uint32_t)v);
}

static inline void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Random bytes that payloads are copied from. */
#define POOL (1u << 20)
static uint8_t *pool;

static void fill(uint8_t *p, uint32_t len)
{
	if (len)
		memcpy(p, pool + below(POOL - len), len);
}

/* ---- payload content -------------------------------------------------------
 *
 * What a payload says (names, session ids, connection IDs, which banner)
 * comes from a flow's content seed and never from the main stream, whose
 * draws decide ports, sizes and timing: the protocols' messages change
 * nothing else in the capture. */

static uint64_t content_key;

/* A number for (seed, what): the same every time it is asked for. */
static uint64_t derive(uint64_t seed, uint64_t what)
{
	uint64_t x = seed ^ what * 0xd6e8feb86659fd93ull;
	return splitmix64(&x);
}

static void derive_bytes(uint64_t seed, uint64_t what, uint8_t *p, uint32_t n)
{
	uint64_t x = seed ^ what * 0xd6e8feb86659fd93ull;
	for (uint32_t i = 0; i < n; i += 8) {
		uint64_t r = splitmix64(&x);
		for (uint32_t j = 0; j < 8 && i + j < n; j++)
			p[i + j] = (uint8_t)(r >> 8 * j);
	}
}

/* What derive is asked for; per-packet and per-burst uses add the packet's
 * or burst's number to the last ones. */
enum {
	D_MOVE = 1,
	D_HOST,
	D_ALPN,
	D_CRANDOM,
	D_SRANDOM,
	D_SESSION,
	D_CSHARE,
	D_SSHARE,
	D_SUITE,
	D_BANNER,
	D_QUIC,
	D_NTP,
	D_HTTP,
	D_PATH = 1000,
	D_TEXT = 2000000,
};

/* A plausible host name of the flow: a service label, a made-up word of
 * syllables, a common top-level domain ("cdn.korvelin.net"). Half the
 * flows go to 1,000 popular names, the first ranks far more often
 * (log-uniform), the rest to names of their own. Returns its length (at
 * most 40). */
static uint32_t host_name(uint64_t cseed, char *name)
{
	static const char *const service[] = {
	    "www",  "api",  "cdn",    "static", "img",	  "login",
	    "mail", "m",    "assets", "app",	"news",	  "shop",
	    "docs", "auth", "media",  "push",	"update", "accounts"};
	static const char *const syl[] = {
	    "ka",  "lo",  "mi",	 "ne",	"ra",  "so",  "ti",  "vu",  "ber",
	    "dan", "fel", "gor", "hal", "jen", "kor", "lin", "mar", "nor",
	    "pel", "qui", "ros", "sal", "tor", "ven", "wil", "zen"};
	static const char *const tld[] = {"com", "net",	  "org", "io",
					  "de",	 "co.uk", "fr",	 "nl",
					  "dev", "app",	  "eu",	 "info"};
	uint64_t r = derive(cseed, D_HOST);
	if (r & 1) {
		double u = (double)(r >> 11) * (1.0 / 9007199254740992.0);
		uint64_t rank = (uint64_t)exp(u * log(1000.0));
		r = derive(content_key, D_HOST + rank);
	}
	r >>= 1;
	size_t n = 0;
	const char *s = service[r % NELEM(service)];
	r /= NELEM(service);
	memcpy(name, s, strlen(s));
	n += strlen(s);
	name[n++] = '.';
	uint32_t parts = 2 + (uint32_t)(r % 2);
	r /= 2;
	for (uint32_t i = 0; i < parts; i++) {
		s = syl[r % NELEM(syl)];
		r /= NELEM(syl);
		memcpy(name + n, s, strlen(s));
		n += strlen(s);
	}
	name[n++] = '.';
	s = tld[r % NELEM(tld)];
	memcpy(name + n, s, strlen(s));
	n += strlen(s);
	name[n] = 0;
	return (uint32_t)n;
}

/* Writers for building messages. */
static inline uint8_t *w8(uint8_t *p, uint32_t v)
{
	*p = (uint8_t)v;
	return p + 1;
}

static inline uint8_t *w16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static inline uint8_t *w24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	return w16(p + 1, v);
}

static inline uint8_t *wmem(uint8_t *p, const void *src, size_t n)
{
	memcpy(p, src, n);
	return p + n;
}

/* TLS 1.3 ClientHello record (RFC 8446 section 4.1.2) as a current
 * browser sends it: record version 0x0301, legacy version 0x0303, a
 * random, a 32-byte legacy session id, TLS 1.3 and ECDHE suites, null
 * compression and the usual extensions (server_name, ALPN "h2" and
 * "http/1.1" or "http/1.1" alone, supported_versions 1.3 and 1.2, an
 * x25519 key share, ...), then a padding extension (RFC 7685) to total
 * bytes. total 0: no padding. Returns the record's length, 5 + the
 * hello's: at least the unpadded length, and then at least 4 more. */
static uint32_t client_hello(uint64_t cseed, uint8_t *p, uint32_t total)
{
	static const uint16_t suites[] = {
	    0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9,
	    0xcca8, 0xc02c, 0xc030, 0xc00a, 0xc009, 0xc013,
	    0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
	static const uint16_t sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503,
					   0x0805, 0x0501, 0x0806, 0x0601};
	char host[48];
	uint32_t hl = host_name(cseed, host);
	int h2 = derive(cseed, D_ALPN) % 100 < 85;
	uint8_t *q = p + 9; /* after the record and handshake headers */
	q = w16(q, 0x0303);
	derive_bytes(cseed, D_CRANDOM, q, 32);
	q += 32;
	q = w8(q, 32);
	derive_bytes(cseed, D_SESSION, q, 32);
	q += 32;
	q = w16(q, 2 * NELEM(suites));
	for (size_t i = 0; i < NELEM(suites); i++)
		q = w16(q, suites[i]);
	q = w16(q, 0x0100); /* one method: null */
	uint8_t *ext = q;
	q += 2;
	/* server_name: one host_name entry (RFC 6066 section 3). */
	q = w16(w16(q, 0), hl + 5);
	q = w8(w16(q, hl + 3), 0);
	q = wmem(w16(q, hl), host, hl);
	q = w16(w16(q, 23), 0);		   /* extended_master_secret */
	q = w8(w16(w16(q, 0xff01), 1), 0); /* renegotiation_info */
	q = w16(w16(w16(q, 10), 8), 6);	   /* supported_groups */
	q = w16(w16(w16(q, 0x001d), 0x0017), 0x0018);
	q = w8(w8(w16(w16(q, 11), 2), 1), 0); /* ec_point_formats */
	q = w16(w16(q, 35), 0);		      /* session_ticket */
	q = w16(w16(q, 16), h2 ? 14 : 11);    /* ALPN */
	q = w16(q, h2 ? 12 : 9);
	if (h2)
		q = wmem(q, "\x02h2", 3);
	q = wmem(q, "\x08http/1.1", 9);
	q = w16(w16(q, 5), 5); /* status_request: OCSP, no ids */
	q = w16(w16(w8(q, 1), 0), 0);
	q = w16(w16(q, 13), 2 + 2 * NELEM(sigalgs));
	q = w16(q, 2 * NELEM(sigalgs));
	for (size_t i = 0; i < NELEM(sigalgs); i++)
		q = w16(q, sigalgs[i]);
	q = w16(w16(q, 18), 0);	 /* signed_certificate_timestamp */
	q = w16(w16(q, 51), 38); /* key_share: x25519 */
	q = w16(w16(w16(q, 36), 0x001d), 32);
	derive_bytes(cseed, D_CSHARE, q, 32);
	q += 32;
	q = w8(w8(w16(w16(q, 45), 2), 1), 1); /* psk_key_exchange_modes */
	q = w16(w16(w8(w16(w16(q, 43), 5), 4), 0x0304), 0x0303);
	uint32_t n = (uint32_t)(q - p);
	if (total >= n + 4) { /* padding */
		uint32_t pad = total - n - 4;
		q = w16(w16(q, 21), pad);
		memset(q, 0, pad);
		q += pad;
		n = total;
	}
	w16(ext, (uint32_t)(q - ext - 2));
	w16(w16(w8(p, 22), 0x0301), n - 5);
	w24(w8(p + 5, 1), n - 9);
	return n;
}

/* The ClientHello's length for a burst of want bytes: want itself when a
 * hello can have it, else the next length one can. */
static uint32_t client_hello_len(uint64_t cseed, uint32_t want)
{
	static uint8_t scratch[1024];
	uint32_t min = client_hello(cseed, scratch, 0);
	return want <= min ? min : want < min + 4 ? min + 4 : want;
}

/* The ServerHello record that answers it (RFC 8446 section 4.1.3): the
 * client's session id echoed, one TLS 1.3 suite, supported_versions
 * 0x0304 and an x25519 key share. 127 bytes. */
#define SERVER_HELLO 127u

static void server_hello(uint64_t cseed, uint8_t *p)
{
	uint8_t *q = w16(w16(w8(p, 22), 0x0303), SERVER_HELLO - 5);
	q = w16(w24(w8(q, 2), SERVER_HELLO - 9), 0x0303);
	derive_bytes(cseed, D_SRANDOM, q, 32);
	q += 32;
	q = w8(q, 32);
	derive_bytes(cseed, D_SESSION, q, 32);
	q += 32;
	q = w16(q, derive(cseed, D_SUITE) % 4 ? 0x1301 : 0x1302);
	q = w16(w8(q, 0), 46);
	q = w16(w16(w16(q, 43), 2), 0x0304);
	q = w16(w16(w16(w16(q, 51), 36), 0x001d), 32);
	derive_bytes(cseed, D_SSHARE, q, 32);
}

/* ChangeCipherSpec, sent in TLS 1.3 for middleboxes (RFC 8446 appendix
 * D.4). */
#define CCS 6u

static void change_cipher_spec(uint8_t *p)
{
	static const uint8_t ccs[CCS] = {20, 3, 3, 0, 1, 1};
	memcpy(p, ccs, CCS);
}

/* SSH version lines (RFC 4253 section 4.2). */
static const char *const ssh_clients[] = {
    "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
    "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\r\n",
    "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10\r\n",
    "SSH-2.0-OpenSSH_9.8\r\n",
    "SSH-2.0-PuTTY_Release_0.81\r\n",
    "SSH-2.0-libssh_0.10.6\r\n",
};
static const char *const ssh_servers[] = {
    "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
    "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3\r\n",
    "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\r\n",
    "SSH-2.0-OpenSSH_8.0\r\n",
    "SSH-2.0-dropbear_2022.83\r\n",
};

static const char *ssh_banner(uint64_t cseed, int dir)
{
	uint64_t r = derive(cseed, D_BANNER);
	/* Mostly the same software on both ends. */
	return dir == 0 ? ssh_clients[r % 3 ? 0 : r / 3 % NELEM(ssh_clients)]
			: ssh_servers[r % 3 ? 0 : r / 7 % NELEM(ssh_servers)];
}

/* Lines of plain text that no recognizer claims: 64-byte lines of
 * key=value readings. */
#define TEXT_LINES 1024u
static char text_pool[TEXT_LINES * 64];

static void build_text(void)
{
	static const char *const state[] = {"ok", "ok", "ok", "warn", "idle"};
	for (uint32_t i = 0; i < TEXT_LINES; i++) {
		char *l = text_pool + 64 * i;
		uint64_t r = derive(content_key, D_TEXT + i);
		int n = snprintf(l, 64,
				 "sensor %04u status=%s temp=%u.%u load=0.%02u "
				 "seq=%u",
				 (unsigned)(r % 10000),
				 state[r / 10000 % NELEM(state)],
				 (unsigned)(r / 50000 % 60 + 20),
				 (unsigned)(r / 3000000 % 10),
				 (unsigned)(r / 30000000 % 100), i);
		memset(l + n, ' ', (size_t)(63 - n));
		l[63] = '\n';
	}
}

/* len bytes of whole lines from a place chosen by (cseed, k). */
static void fill_text(uint64_t cseed, uint32_t k, uint8_t *p, uint32_t len)
{
	uint32_t lines = (len + 63) / 64;
	uint32_t at =
	    (uint32_t)(derive(cseed, D_TEXT + k) % (TEXT_LINES - lines + 1));
	memcpy(p, text_pool + 64 * at, len);
}

/* ---- active flows -----------------------------------------------------------
 */

enum { C2S = 0, S2C = 1 };

struct flow {
	uint32_t count, k; /* packets in the flow, packets emitted */
	uint8_t proto, app, v6, closer;
	uint8_t hlen;  /* L2 + L3 template length */
	uint8_t l3off; /* where the IP header starts */
	uint16_t cport, sport;
	uint32_t close_len;  /* packets in the close */
	uint8_t close_kind;  /* 0 fin4, 1 fin3, 2 rst, 3 abort */
	uint8_t burst_dir;   /* who is sending data now */
	uint8_t unacked;     /* full segments since the last ACK */
	uint8_t ack_due;     /* the receiver ACKs next */
	uint32_t nbursts;    /* bursts started so far */
	uint32_t burst_left; /* bytes left in the burst */
	uint32_t burst_len;  /* bytes in the burst */
	uint32_t mss;
	uint32_t seq[2];  /* TCP seq; SCTP TSN; DCCP seq (low 32) */
	uint32_t tag[2];  /* SCTP verification tags; TCP timestamps */
	uint64_t dseq[2]; /* DCCP 48-bit sequence numbers */
	uint16_t ipid[2];
	uint16_t dnsid;
	uint8_t look;	     /* enum look */
	uint8_t moved;	     /* on another service's port */
	uint64_t cseed;	     /* content seed: derive */
	uint64_t ntp_org;    /* the client's NTP transmit timestamp */
	uint8_t tmpl[2][64]; /* Ethernet [+ 802.1Q] + IP, per direction */
};

static uint32_t now_sec, now_usec;
static uint64_t npackets, nbytes;

/* Starts a packet in the output buffer: the L4 header goes at the pointer
 * returned. */
static uint8_t *begin(struct flow *f, int dir)
{
	if (OUTBUF - outlen < MAXPKT + 16)
		flush_out();
	uint8_t *rec = out + outlen;
	memcpy(rec + 16, f->tmpl[dir], f->hlen);
	return rec + 16 + f->hlen;
}

static uint32_t sum16(const uint8_t *p, uint32_t len, uint32_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

/* The L4 checksum at offset off of the L4 header, with the pseudo-header;
 * for UDP (mandatory over IPv6) and DCCP (which Wireshark checks). */
static void l4_checksum(const uint8_t *ip, int v6, uint8_t *l4, uint32_t l4len,
			uint32_t proto, uint32_t off)
{
	uint32_t sum = v6 ? sum16(ip + 8, 32, 0) : sum16(ip + 12, 8, 0);
	sum += proto + (l4len & 0xffff) + (l4len >> 16);
	l4[off] = l4[off + 1] = 0;
	sum = sum16(l4, l4len, sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	put16(l4 + off, sum ? sum : 0xffff);
}

/* Finishes the packet whose L4 header and payload take l4len bytes. */
static void end(struct flow *f, int dir, uint32_t l4len)
{
	uint8_t *rec = out + outlen;
	uint8_t *ip = rec + 16 + f->l3off;
	uint32_t len = f->hlen + l4len;
	if (f->v6) {
		put16(ip + 4, l4len);
	} else {
		put16(ip + 2, 20 + l4len);
		put16(ip + 4, f->ipid[dir]++);
		uint32_t sum = 0;
		for (int i = 0; i < 20; i += 2)
			sum += (uint32_t)ip[i] << 8 | ip[i + 1];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		put16(ip + 10, ~sum & 0xffff);
	}
	if (f->proto == P_UDP)
		l4_checksum(ip, f->v6, rec + 16 + f->hlen, l4len, 17, 6);
	else if (f->proto == P_DCCP)
		l4_checksum(ip, f->v6, rec + 16 + f->hlen, l4len, 33, 6);
	now_usec += 1 + below(7);
	if (now_usec >= 1000000) {
		now_usec -= 1000000;
		now_sec++;
	}
	le32(rec, now_sec);
	le32(rec + 4, now_usec);
	le32(rec + 8, len);
	le32(rec + 12, len);
	outlen += 16 + len;
	npackets++;
	nbytes += len;
	f->k++;
}

static void build_templates(struct flow *f, uint32_t client, uint32_t server,
			    int vlan)
{
	static const uint8_t l4proto[] = {6, 17, 132, 33};
	for (int dir = 0; dir < 2; dir++) {
		uint8_t *t = f->tmpl[dir];
		uint8_t host[6] = {0x02,
				   0x00,
				   (uint8_t)(client >> 16),
				   (uint8_t)(client >> 8),
				   (uint8_t)client,
				   0x01};
		static const uint8_t gw[6] = {0x02, 0x00, 0x5e,
					      0x00, 0x00, 0xfe};
		memcpy(t, dir == C2S ? gw : host, 6);
		memcpy(t + 6, dir == C2S ? host : gw, 6);
		size_t o = 12;
		if (vlan) {
			put16(t + o, 0x8100);
			put16(t + o + 2, (uint32_t)vlan);
			o += 4;
		}
		put16(t + o, f->v6 ? 0x86dd : 0x0800);
		o += 2;
		f->l3off = (uint8_t)o;
		uint8_t *ip = t + o;
		if (f->v6) {
			put32(ip,
			      0x60000000u | (client * 2654435761u & 0xfffff));
			put16(ip + 4, 0);
			ip[6] = l4proto[f->proto];
			ip[7] = dir == C2S ? 64 : 57;
			uint8_t c[16] = {0xfd, 0x00, 0x00, 0x10};
			uint8_t s[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x53};
			put32(c + 12, client);
			put32(s + 12, server);
			memcpy(ip + 8, dir == C2S ? c : s, 16);
			memcpy(ip + 24, dir == C2S ? s : c, 16);
			o += 40;
		} else {
			ip[0] = 0x45;
			ip[1] = 0;
			put16(ip + 2, 0);
			put16(ip + 4, 0);
			put16(ip + 6, 0x4000); /* DF */
			ip[8] = dir == C2S ? 64 : 57;
			ip[9] = l4proto[f->proto];
			put16(ip + 10, 0);
			uint32_t c = 0x0a000000u | (client & 0xffffff);
			uint32_t s = 0xc6120000u | (server & 0x1ffff);
			put32(ip + 12, dir == C2S ? c : s);
			put32(ip + 16, dir == C2S ? s : c);
			o += 20;
		}
		f->hlen = (uint8_t)o;
	}
}

/* Size of the next data burst: requests from the client, answers from the
 * server, by application. */
static uint32_t app_burst_size(const struct flow *f, int dir)
{
	int req = dir == C2S;
	switch (f->app) {
	case A_TLS:
		if (f->nbursts == 0)
			return 517; /* ClientHello */
		if (f->nbursts == 1)
			return logu(2500, 6000); /* ServerHello .. Finished */
		return req ? logu(90, 1800) : logu(200, 400000);
	case A_HTTP:
		return req ? logu(250, 900) : logu(300, 300000);
	case A_INTER:
		return req ? logu(36, 200) : logu(36, 1500);
	case A_MAIL:
		return req ? (chance(10) ? logu(5000, 80000) : logu(10, 200))
			   : logu(20, 600);
	case A_DB:
		return req ? logu(40, 600) : logu(60, 12000);
	case A_QUIC:
		return req ? logu(40, 1200) : logu(500, 400000);
	case A_SCTP:
	case A_DCCP:
		return logu(40, 3000);
	default:
		return req ? logu(30, 1500) : logu(30, 30000);
	}
}

/* A TLS record holds at most 2^14 bytes (RFC 8446 section 5.1). */
#define TLS_FULL (5u + 16384u)
/* A ClientHello longer than this would not fit the first segment. */
#define HELLO_MAX 1400u

/* The handshake messages that open TLS burst b (from 0) of len bytes;
 * TLS 1.3 records of application data follow them to the burst's end.
 * The client's first burst: its ClientHello; the server's answer: its
 * ServerHello and a ChangeCipherSpec; the client's next: its
 * ChangeCipherSpec (then its Finished, encrypted). */
static uint32_t tls_prefix(const struct flow *f, uint32_t b, uint32_t len)
{
	if (b == 0)
		return client_hello_len(f->cseed,
					len < HELLO_MAX ? len : HELLO_MAX);
	if (b == 1)
		return SERVER_HELLO + CCS;
	return b == 2 ? CCS : 0;
}

/* Size of the next data burst: the application's, made room for the
 * messages its payload format puts first; a TLS burst never ends in a
 * record too short for its header and a byte. */
static uint32_t burst_size(const struct flow *f, int dir)
{
	uint32_t n = app_burst_size(f, dir), b = f->nbursts;
	if (f->proto != P_TCP)
		return n;
	if (f->look == L_TLS) {
		uint32_t pre = tls_prefix(f, b, n);
		if (n < pre)
			n = pre;
		uint32_t tail = (n - pre) % TLS_FULL;
		if (tail >= 1 && tail <= 5)
			n += 6 - tail;
	} else if (f->look == L_SSH && b < 2) {
		uint32_t l = (uint32_t)strlen(ssh_banner(f->cseed, dir));
		if (n < l)
			n = l;
	}
	return n;
}

/* The next data-phase step shared by TCP, QUIC, SCTP and DCCP: returns the
 * direction and sets *len to the payload (0 for a pure ACK). The sender
 * ACKs every second full segment and at the end of a multi-segment burst;
 * then the other side starts its burst. */
static int next_data(struct flow *f, uint32_t *len)
{
	if (f->ack_due) {
		f->ack_due = 0;
		*len = 0;
		return !f->burst_dir;
	}
	if (f->burst_left == 0) {
		f->burst_dir = f->nbursts == 0 ? C2S : !f->burst_dir;
		f->burst_len = f->burst_left = burst_size(f, f->burst_dir);
		f->nbursts++;
		f->unacked = 0;
	}
	uint32_t seg = f->burst_left < f->mss ? f->burst_left : f->mss;
	f->burst_left -= seg;
	*len = seg;
	if (seg == f->mss)
		f->unacked++;
	if (f->unacked == 2 || (f->burst_left == 0 && f->burst_len > f->mss)) {
		f->ack_due = 1;
		f->unacked = 0;
	}
	return f->burst_dir;
}

/* TLS: after the burst's handshake messages (pre bytes), a chain of
 * application data records of at most 2^14 bytes; writes what falls in
 * the segment at pos of len bytes. */
static void tls_payload(const struct flow *f, uint8_t *p, uint32_t pos,
			uint32_t len)
{
	uint32_t b = f->nbursts - 1, blen = f->burst_len;
	uint32_t pre = tls_prefix(f, b, blen);
	if (pos == 0) { /* the messages fit the first segment */
		if (b == 0) {
			client_hello(f->cseed, p, pre);
		} else if (b == 1) {
			server_hello(f->cseed, p);
			change_cipher_spec(p + SERVER_HELLO);
		} else if (b == 2) {
			change_cipher_spec(p);
		}
	}
	uint32_t r = pre;
	if (pos > pre)
		r += (pos - pre) / TLS_FULL * TLS_FULL;
	for (; r < pos + len && r < blen; r += TLS_FULL) {
		uint32_t rest = blen - r; /* at least 6 (burst_size) */
		uint32_t rl = rest - 5 > 16384 ? 16384 : rest - 5;
		uint8_t h[5] = {0x17, 3, 3, (uint8_t)(rl >> 8), (uint8_t)rl};
		for (uint32_t i = 0; i < 5; i++)
			if (r + i >= pos && r + i < pos + len)
				p[r + i - pos] = h[i];
	}
}

/* HTTP: a request that is all header (padded with a cookie), a response
 * header with the burst's remaining length as Content-Length. */
static void http_header(const struct flow *f, int dir, uint8_t *p, uint32_t len)
{
	static const char *const agents[] = {
	    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 "
	    "Firefox/128.0",
	    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
	    "curl/7.88.1",
	    "Wget/1.21.3",
	    "python-requests/2.31.0",
	    "Go-http-client/1.1"};
	static const char *const servers[] = {
	    "nginx/1.22.1", "Apache/2.4.62 (Debian)", "cloudflare", "envoy"};
	char h[320], host[48], path[64];
	int n;
	uint64_t r = derive(f->cseed, D_HTTP);
	if (dir == C2S) {
		uint64_t q = derive(f->cseed, D_PATH + f->nbursts);
		unsigned v = (unsigned)(q >> 20);
		switch (q % 6) {
		case 0:
			strcpy(path, "/");
			break;
		case 1:
			snprintf(path, sizeof path, "/api/v1/items/%u",
				 v % 100000);
			break;
		case 2:
			snprintf(path, sizeof path, "/static/app.%08x.js", v);
			break;
		case 3:
			snprintf(path, sizeof path, "/images/%u.jpg",
				 v % 10000);
			break;
		case 4:
			snprintf(path, sizeof path, "/search?q=item%u",
				 v % 1000);
			break;
		default:
			snprintf(path, sizeof path, "/objects/%u", v % 1000000);
			break;
		}
		host_name(f->cseed, host);
		n = snprintf(h, sizeof h,
			     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: "
			     "%s\r\nAccept: */*\r\nCookie: s=",
			     path, host, agents[r % NELEM(agents)]);
		if (n < 0 || (uint32_t)n + 4 > len)
			return;
		memcpy(p, h, (size_t)n);
		for (uint32_t i = (uint32_t)n; i < len - 4; i++)
			p[i] = (uint8_t)('a' + p[i] % 26);
		memcpy(p + len - 4, "\r\n\r\n", 4);
		return;
	}
	const char *server = servers[r / 8 % NELEM(servers)];
	int fixed = snprintf(h, sizeof h,
			     "HTTP/1.1 200 OK\r\nServer: %s\r\nContent-Type: "
			     "application/octet-stream\r\nContent-Length: "
			     "\r\n\r\n",
			     server);
	for (int digits = 1; digits <= 7; digits++) {
		if (f->burst_len < (uint32_t)fixed + 8)
			return;
		uint32_t body = f->burst_len - (uint32_t)(fixed + digits);
		n = snprintf(h, sizeof h,
			     "HTTP/1.1 200 OK\r\nServer: %s\r\nContent-Type: "
			     "application/octet-stream\r\nContent-Length: "
			     "%*u\r\n\r\n",
			     server, digits, (unsigned)body);
		if (n == fixed + digits) {
			memcpy(p, h, (size_t)n < len ? (size_t)n : len);
			return;
		}
	}
}

/* A TCP segment's payload: random bytes, with the flow's protocol framing
 * on top. */
static void app_payload(struct flow *f, int dir, uint8_t *p, uint32_t len)
{
	fill(p, len);
	uint32_t pos = f->burst_len - f->burst_left - len;
	if (f->look == L_TLS) {
		tls_payload(f, p, pos, len);
		return;
	}
	/* Otherwise the first segment of a burst carries the framing. */
	if (pos != 0)
		return;
	if (f->look == L_HTTP) {
		http_header(f, dir, p, len);
	} else if (f->look == L_SSH && f->nbursts <= 2) {
		/* The version line, then (random) binary packets. */
		const char *b = ssh_banner(f->cseed, dir);
		size_t n = strlen(b);
		memcpy(p, b, len < n ? len : n);
	}
}

static void tcp_packet(struct flow *f, int dir, uint32_t flags, uint32_t len,
		       int syn_opts)
{
	uint8_t *t = begin(f, dir);
	uint32_t hl = syn_opts ? 40 : flags & 0x04 ? 20 : 32;
	put16(t, dir == C2S ? f->cport : f->sport);
	put16(t + 2, dir == C2S ? f->sport : f->cport);
	put32(t + 4, f->seq[dir]);
	put32(t + 8, flags & 0x10 ? f->seq[!dir] : 0);
	t[12] = (uint8_t)(hl / 4) << 4;
	t[13] = (uint8_t)flags;
	put16(t + 14, dir == C2S ? 64240 : 65160);
	put32(t + 16, 0); /* checksum, urgent pointer */
	uint32_t tsval = f->tag[dir] + now_sec * 1000 + now_usec / 1000;
	if (syn_opts) {
		static const uint8_t o[20] = {2, 4, 0, 0, 4, 2, 8, 10, 0, 0,
					      0, 0, 0, 0, 0, 0, 1, 3,  3, 7};
		memcpy(t + 20, o, 20);
		put16(t + 22, f->mss + 12);
		put32(t + 28, tsval);
		put32(t + 32, dir == S2C ? f->tag[C2S] : 0);
	} else if (hl == 32) {
		t[20] = 1;
		t[21] = 1;
		t[22] = 8;
		t[23] = 10;
		put32(t + 24, tsval);
		put32(t + 28, f->tag[!dir] + now_sec * 1000 + now_usec / 1000);
	}
	if (len)
		app_payload(f, dir, t + hl, len);
	f->seq[dir] += len + ((flags & 0x03) ? 1 : 0); /* SYN, FIN */
	end(f, dir, hl + len);
}

enum { FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10 };

static void tcp_step(struct flow *f)
{
	uint32_t k = f->k;
	if (f->app == A_REFUSED) {
		if (k == 0)
			tcp_packet(f, C2S, SYN, 0, 1);
		else
			tcp_packet(f, S2C, RST | ACK, 0, 0);
		return;
	}
	if (k == 0) {
		tcp_packet(f, C2S, SYN, 0, 1);
		return;
	}
	if (k == 1) {
		tcp_packet(f, S2C, SYN | ACK, 0, 1);
		return;
	}
	if (k == 2) {
		tcp_packet(f, C2S, ACK, 0, 0);
		return;
	}
	if (k < f->count - f->close_len) {
		uint32_t len;
		int dir = next_data(f, &len);
		tcp_packet(f, dir, len ? PSH | ACK : ACK, len, 0);
		return;
	}
	uint32_t j = k - (f->count - f->close_len);
	int a = f->closer, b = !f->closer;
	switch (f->close_kind) {
	case 0: /* FIN/ACK, ACK, FIN/ACK, ACK */
		if (j == 0)
			tcp_packet(f, a, FIN | ACK, 0, 0);
		else if (j == 1)
			tcp_packet(f, b, ACK, 0, 0);
		else if (j == 2)
			tcp_packet(f, b, FIN | ACK, 0, 0);
		else
			tcp_packet(f, a, ACK, 0, 0);
		break;
	case 1: /* FIN/ACK, FIN/ACK, ACK */
		if (j == 0)
			tcp_packet(f, a, FIN | ACK, 0, 0);
		else if (j == 1)
			tcp_packet(f, b, FIN | ACK, 0, 0);
		else
			tcp_packet(f, a, ACK, 0, 0);
		break;
	default:
		tcp_packet(f, a, RST | ACK, 0, 0);
		break;
	}
}

static uint8_t *udp_begin(struct flow *f, int dir)
{
	uint8_t *u = begin(f, dir);
	put16(u, dir == C2S ? f->cport : f->sport);
	put16(u + 2, dir == C2S ? f->sport : f->cport);
	put32(u + 4, 0);
	return u;
}

static void udp_end(struct flow *f, int dir, uint8_t *u, uint32_t len)
{
	put16(u + 4, 8 + len);
	end(f, dir, 8 + len);
}

static uint32_t dns_name(uint8_t *p, uint32_t seed)
{
	/* wNNNNN.bench.example */
	static const char tail[] = "\x05"
				   "bench\x07"
				   "example";
	p[0] = 6;
	p[1] = 'w';
	for (int i = 0; i < 5; i++) {
		p[2 + i] = (uint8_t)('a' + seed % 26);
		seed /= 26;
	}
	memcpy(p + 7, tail, sizeof tail); /* with the root's 0 */
	return 7 + (uint32_t)sizeof tail;
}

/* NTP timestamp (RFC 5905 section 6) of the packet being written. */
static uint64_t ntp_now(void)
{
	uint64_t sec = (uint64_t)now_sec + 2208988800u;
	uint64_t frac = ((uint64_t)now_usec << 32) / 1000000u;
	return (sec & 0xffffffffu) << 32 | frac;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* NTPv4 (RFC 5905 section 7.3): a client's mode 3 request with its
 * transmit timestamp, the server's mode 4 answer echoing it as origin,
 * with stratum, poll, precision, root delay and dispersion in range. */
static void ntp_packet(struct flow *f, int dir, uint8_t *n)
{
	static const uint8_t polls[] = {6, 6, 7, 8, 10};
	uint64_t r = derive(f->cseed, D_NTP);
	uint64_t t = ntp_now();
	memset(n, 0, 48);
	n[2] = polls[r % NELEM(polls)];
	if (dir == C2S) {
		n[0] = 0x23; /* LI 0, VN 4, mode 3 */
		n[3] = 0xe9; /* precision 2^-23 s */
		put64(n + 40, t);
		f->ntp_org = t;
		return;
	}
	uint32_t stratum = 1 + (uint32_t)(r / 8 % 3);
	n[0] = 0x24; /* LI 0, VN 4, mode 4 */
	n[1] = (uint8_t)stratum;
	n[3] = 0xe7; /* 2^-25 s */
	/* Root delay and dispersion: milliseconds, in 16.16 seconds. */
	put32(n + 4, stratum == 1 ? 0 : (uint32_t)(r >> 16 & 0x0fff));
	put32(n + 8, 0x0010 + (uint32_t)(r >> 28 & 0x07ff));
	if (stratum == 1)
		memcpy(n + 12, (r >> 40) & 1 ? "GPS" : "PPS", 4);
	else
		put32(n + 12, 0xc0000000u | (uint32_t)(r >> 32 & 0x3fffffff));
	put64(n + 16, t - ((uint64_t)(16 + (r >> 44) % 1000) << 32));
	put64(n + 24, f->ntp_org);
	put64(n + 32, t - 0x10000); /* received 15 us before answering */
	put64(n + 40, t);
}

/* QUIC v1 (RFC 9000 section 17): connection IDs of the flow; the client
 * picks the original destination ID (8 to 20 bytes) and its own (0 to 20),
 * the server its own (8). */
enum { CID_ORIG, CID_CLIENT, CID_SERVER };

static uint32_t quic_cid(const struct flow *f, int which, uint8_t *p)
{
	static const uint8_t orig[] = {8, 8, 8, 8, 12, 16, 20};
	static const uint8_t client[] = {0, 8, 8, 8, 20};
	uint64_t r = derive(f->cseed, D_QUIC);
	uint32_t n = which == CID_ORIG	   ? orig[r % NELEM(orig)]
		     : which == CID_CLIENT ? client[r / 8 % NELEM(client)]
					   : 8;
	derive_bytes(f->cseed, D_QUIC + 1 + (uint64_t)which, p, n);
	return n;
}

/* The header of QUIC packet k of len bytes: the client's Initial, the
 * server's Initial, the server's and the client's Handshake (long headers,
 * RFC 9000 section 17.2; Length covers the rest of the datagram), then
 * short headers (section 17.3) with the peer's connection ID. The packet
 * number and payload stay random, as protected ones look. */
static void quic_header(const struct flow *f, int dir, uint8_t *q, uint32_t len)
{
	uint32_t k = f->k;
	uint8_t *p = q;
	if (k >= 4) {
		*p = (uint8_t)(0x40 | (*p & 0x3f));
		quic_cid(f, dir == C2S ? CID_SERVER : CID_CLIENT, p + 1);
		return;
	}
	/* Initial type 0, Handshake type 2; a 1-4 byte packet number. */
	uint32_t type = k < 2 ? 0 : 2;
	uint32_t pnl = (uint32_t)(derive(f->cseed, D_QUIC + 10 + k) % 4);
	*p++ = (uint8_t)(0xc0 | type << 4 | pnl);
	p = w16(w16(p, 0), 1); /* version 1 */
	int dcid = dir == S2C ? CID_CLIENT : k == 0 ? CID_ORIG : CID_SERVER;
	int scid = dir == S2C ? CID_SERVER : CID_CLIENT;
	p[0] = (uint8_t)quic_cid(f, dcid, p + 1);
	p += 1 + p[0];
	p[0] = (uint8_t)quic_cid(f, scid, p + 1);
	p += 1 + p[0];
	if (type == 0)
		*p++ = 0; /* no token */
	uint32_t rest = len - (uint32_t)(p - q) - 2;
	w16(p, 0x4000 | rest); /* 2-byte varint */
}

static void udp_step(struct flow *f)
{
	uint32_t k = f->k;
	if (f->app == A_DNS) {
		int dir = k & 1;
		uint8_t *u = udp_begin(f, dir);
		uint8_t *d = u + 8;
		if (dir == C2S)
			f->dnsid = (uint16_t)below(65536);
		put16(d, f->dnsid);
		put16(d + 2, dir == C2S ? 0x0100 : 0x8180);
		put16(d + 4, 1);
		put16(d + 6, dir == C2S ? 0 : 1);
		put32(d + 8, 0);
		uint32_t n = 12 + dns_name(d + 12, f->cport * 7919u + f->sport);
		int aaaa = k >= 2;
		put16(d + n, aaaa ? 28 : 1);
		put16(d + n + 2, 1);
		n += 4;
		if (dir == S2C) {
			put16(d + n, 0xc00c);
			put16(d + n + 2, aaaa ? 28 : 1);
			put16(d + n + 4, 1);
			put32(d + n + 6, 300);
			put16(d + n + 10, aaaa ? 16 : 4);
			n += 12;
			fill(d + n, aaaa ? 16 : 4);
			n += aaaa ? 16 : 4;
		}
		udp_end(f, dir, u, n);
		return;
	}
	if (f->app == A_NTP) {
		int dir = k & 1;
		uint8_t *u = udp_begin(f, dir);
		fill(u + 8, 48);
		ntp_packet(f, dir, u + 8);
		udp_end(f, dir, u, 48);
		return;
	}
	if (f->app == A_QUIC) {
		/* Initial and Handshake (long header), then 1-RTT. */
		static const uint8_t hs_dir[4] = {C2S, S2C, S2C, C2S};
		int dir;
		uint32_t len;
		if (k < 4) {
			dir = hs_dir[k];
			len = 1252;
		} else {
			dir = next_data(f, &len);
			len = len ? len : 30 + below(20);
			/* Room for the header protection sample after a
			 * 4-byte packet number (RFC 9001 section 5.4.2). */
			uint8_t cid[20];
			uint32_t min =
			    1 + 4 + 16 +
			    quic_cid(f, dir ? CID_CLIENT : CID_SERVER, cid);
			len = len < min ? min : len;
		}
		uint8_t *u = udp_begin(f, dir);
		uint8_t *q = u + 8;
		fill(q, len);
		quic_header(f, dir, q, len);
		udp_end(f, dir, u, len);
		return;
	}
	/* Other UDP: request/response of mixed sizes. */
	int dir = k & 1;
	uint32_t len = dir == C2S ? logu(20, 600) : logu(20, 1400);
	uint8_t *u = udp_begin(f, dir);
	fill(u + 8, len);
	if (f->look == L_TEXT)
		fill_text(f->cseed, k, u + 8, len);
	udp_end(f, dir, u, len);
}

static void sctp_step(struct flow *f)
{
	uint32_t k = f->k;
	int dir;
	uint8_t *s;
	uint32_t n;
	if (k < 4) {
		dir = k & 1;
		s = begin(f, dir);
		uint8_t *c = s + 12;
		switch (k) {
		case 0: /* INIT */
		case 1: /* INIT ACK */
			c[0] = k == 0 ? 1 : 2;
			c[1] = 0;
			put32(c + 4, f->tag[dir]);
			put32(c + 8, 106496);
			put16(c + 12, 10);
			put16(c + 14, 10);
			put32(c + 16, f->seq[dir]);
			n = 20;
			if (k == 1) { /* state cookie */
				put16(c + 20, 7);
				put16(c + 22, 4 + 32);
				fill(c + 24, 32);
				n += 36;
			}
			put16(c + 2, n);
			break;
		case 2: /* COOKIE ECHO */
			c[0] = 10;
			c[1] = 0;
			put16(c + 2, 4 + 32);
			fill(c + 4, 32);
			n = 36;
			break;
		default: /* COOKIE ACK */
			c[0] = 11;
			c[1] = 0;
			put16(c + 2, 4);
			n = 4;
			break;
		}
	} else if (k < f->count - f->close_len) {
		uint32_t len;
		dir = next_data(f, &len);
		s = begin(f, dir);
		uint8_t *c = s + 12;
		if (len) { /* DATA */
			uint32_t pad = (4 - (len & 3)) & 3;
			c[0] = 0;
			c[1] = 3; /* B, E */
			put16(c + 2, 16 + len);
			put32(c + 4, f->seq[dir]++);
			put16(c + 8, 0);
			put16(c + 10, (uint32_t)f->dseq[dir]++);
			put32(c + 12, 0);
			fill(c + 16, len);
			memset(c + 16 + len, 0, pad);
			n = 16 + len + pad;
		} else { /* SACK */
			c[0] = 3;
			c[1] = 0;
			put16(c + 2, 16);
			put32(c + 4, f->seq[!dir] - 1);
			put32(c + 8, 106496);
			put32(c + 12, 0);
			n = 16;
		}
	} else {
		uint32_t j = k - (f->count - f->close_len);
		int a = f->closer;
		uint8_t *c;
		if (f->close_kind == 3) { /* ABORT */
			dir = a;
			s = begin(f, dir);
			c = s + 12;
			c[0] = 6;
			c[1] = 0;
			put16(c + 2, 4);
			n = 4;
		} else {
			dir = j == 1 ? !a : a;
			s = begin(f, dir);
			c = s + 12;
			c[0] = j == 0 ? 7 : j == 1 ? 8 : 14;
			c[1] = 0;
			n = 4;
			if (j == 0) {
				put32(c + 4, f->seq[!dir] - 1);
				n = 8;
			}
			put16(c + 2, n);
		}
	}
	put16(s, dir == C2S ? f->cport : f->sport);
	put16(s + 2, dir == C2S ? f->sport : f->cport);
	put32(s + 4, k == 0 ? 0 : f->tag[!dir]);
	put32(s + 8, 0); /* CRC32c left zero */
	end(f, dir, 12 + n);
}

enum {
	D_REQUEST,
	D_RESPONSE,
	D_DATA,
	D_ACK,
	D_DATAACK,
	D_CLOSEREQ,
	D_CLOSE,
	D_RESET
};

static uint32_t dccp_service(uint16_t port)
{
	switch (port) {
	case 4556:
		return 1685351985u; /* dtn1 */
	case 9:
		return 1145656131u; /* DISC */
	case 5004:
	case 5005:
		return 0x52545041u; /* RTPA */
	default:
		return 0;
	}
}

static void dccp_step(struct flow *f)
{
	uint32_t k = f->k, len = 0;
	int dir, type;
	if (k < 3) {
		static const int t[3] = {D_REQUEST, D_RESPONSE, D_ACK};
		type = t[k];
		dir = k == 1 ? S2C : C2S;
	} else if (k < f->count - f->close_len) {
		dir = next_data(f, &len);
		type = len ? (f->unacked ? D_DATA : D_DATAACK) : D_ACK;
	} else {
		uint32_t j = k - (f->count - f->close_len);
		/* client Close, server Reset (code 1, closed) */
		type = j == 0 ? D_CLOSE : D_RESET;
		dir = j == 0 ? C2S : S2C;
	}
	uint8_t *d = begin(f, dir);
	uint32_t hl = type == D_DATA || type == D_REQUEST ? 16 : 24;
	if (type == D_REQUEST || type == D_RESPONSE || type == D_RESET)
		hl += 4;
	put16(d, dir == C2S ? f->cport : f->sport);
	put16(d + 2, dir == C2S ? f->sport : f->cport);
	d[4] = (uint8_t)(hl / 4);
	d[5] = 0;
	put16(d + 6, 0);
	d[8] = (uint8_t)(type << 1 | 1); /* X: 48-bit sequence numbers */
	d[9] = 0;
	put48(d + 10, f->dseq[dir]++);
	uint32_t o = 16;
	if (type != D_DATA && type != D_REQUEST) {
		put16(d + 16, 0);
		put48(d + 18, f->dseq[!dir] - 1);
		o = 24;
	}
	if (type == D_REQUEST || type == D_RESPONSE)
		put32(d + o, dccp_service(f->sport));
	else if (type == D_RESET)
		put32(d + o, 0x01000000u);
	fill(d + hl, len);
	end(f, dir, hl + len);
}

/* The payload format of a flow of app on port, and, for about 5 % of the
 * flows of those services (3 % of all flows), another service's port:
 * SSH on 443 or 80, TLS on 8080 or 53/tcp, HTTP on 443 or 8443, DNS on
 * 123/udp, plain text on 5060/udp. */
static void choose_look(struct flow *f)
{
	switch (f->app) {
	case A_TLS:
		f->look = L_TLS;
		break;
	case A_HTTP:
		f->look = L_HTTP;
		break;
	case A_INTER:
		f->look = f->sport == 22 ? L_SSH : L_NONE;
		break;
	case A_DNS:
		f->look = L_DNS;
		break;
	case A_NTP:
		f->look = L_NTP;
		break;
	case A_QUIC:
		f->look = L_QUIC;
		break;
	default:
		f->look = L_NONE;
		break;
	}
	uint64_t r = derive(f->cseed, D_MOVE);
	if (r % 1000 >= 50)
		return;
	r /= 1000;
	uint16_t to = 0;
	if (f->look == L_SSH)
		to = r % 4 ? 443 : 80;
	else if (f->look == L_TLS)
		to = r % 2 ? 8080 : 53;
	else if (f->look == L_HTTP)
		to = r % 4 ? 443 : 8443;
	else if (f->look == L_DNS)
		to = 123;
	else if (f->app == A_UDPOTHER) {
		to = 5060;
		f->look = L_TEXT;
	}
	if (to) {
		f->sport = to;
		f->moved = 1;
	}
}

static void start_flow(struct flow *f, const struct plan *p, uint64_t index)
{
	memset(f, 0, sizeof *f);
	f->count = p->count;
	f->proto = p->proto;
	f->app = p->app;
	f->sport = p->sport;
	f->cport = ephemeral_port();
	f->v6 = chance(10);
	int vlan = chance(5) ? (int[]){10, 20, 100, 200}[below(4)] : 0;
	uint32_t client = below(1u << 15);
	/* A few servers per service port; random ports get random servers. */
	uint32_t server = (uint32_t)p->sport * 2654435761u >> 15;
	server = (server + below(p->sport < 1024 ? 64 : 8)) & 0x1ffff;
	build_templates(f, client, server, vlan);
	f->cseed = derive(content_key, index);
	choose_look(f);
	/* Largest payload per packet in a 1500-byte MTU. */
	uint32_t room = 1500 - (f->v6 ? 40 : 20);
	switch (p->proto) {
	case P_TCP:
		f->mss = room - 32; /* with the timestamp option */
		break;
	case P_SCTP:
		f->mss = (room - 12 - 16) & ~3u;
		break;
	case P_DCCP:
		f->mss = room - 24;
		break;
	default:
		f->mss = 1350; /* QUIC datagrams */
		break;
	}
	for (int d = 0; d < 2; d++) {
		f->seq[d] = (uint32_t)rnd();
		f->tag[d] = (uint32_t)rnd() | 1;
		f->dseq[d] = rnd() & 0xffffffffffffull;
		f->ipid[d] = (uint16_t)rnd();
	}
	f->closer = (uint8_t)below(2);
	uint32_t hs = 0, want = 0;
	switch (p->proto) {
	case P_TCP:
		hs = 3;
		f->close_kind = chance(85) ? (uint8_t)below(2) : 2;
		want = f->close_kind == 0 ? 4 : f->close_kind == 1 ? 3 : 1;
		break;
	case P_SCTP:
		hs = 4;
		f->close_kind = chance(90) ? 0 : 3;
		want = f->close_kind == 3 ? 1 : 3;
		break;
	case P_DCCP:
		hs = 3;
		want = 2;
		break;
	default:
		break;
	}
	f->close_len = f->count > hs ? f->count - hs : 0;
	if (f->close_len > want)
		f->close_len = want;
}

static void step(struct flow *f)
{
	switch (f->proto) {
	case P_TCP:
		tcp_step(f);
		break;
	case P_UDP:
		udp_step(f);
		break;
	case P_SCTP:
		sctp_step(f);
		break;
	default:
		dccp_step(f);
		break;
	}
}

/* ---- main -------------------------------------------------------------------
 */

static int parse_u64(const char *s, uint64_t *v)
{
	char *e;
	errno = 0;
	unsigned long long x = strtoull(s, &e, 10);
	if (errno || e == s || *e || s[0] == '-')
		return -1;
	*v = x;
	return 0;
}

static void usage(FILE *to)
{
	fputs("usage: gen_bench [--packets N] [--flows F] [--seed S] "
	      "[--window W] FILE|-\n"
	      "  writes a deterministic pcap of exactly N packets (default "
	      "10000000)\n"
	      "  over F flows (default 200000); W flows active at once "
	      "(default 3000)\n",
	      to);
}

int main(int argc, char **argv)
{
	uint64_t npk = 10000000, nfl = 200000, seed = 20260115, window = 3000;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		uint64_t *dst = NULL;
		if (!strcmp(argv[i], "--packets"))
			dst = &npk;
		else if (!strcmp(argv[i], "--flows"))
			dst = &nfl;
		else if (!strcmp(argv[i], "--seed"))
			dst = &seed;
		else if (!strcmp(argv[i], "--window"))
			dst = &window;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "gen_bench: unknown option %s\n",
				argv[i]);
			usage(stderr);
			return 2;
		} else if (path) {
			usage(stderr);
			return 2;
		} else {
			path = argv[i];
			continue;
		}
		if (i + 1 >= argc || parse_u64(argv[++i], dst)) {
			fprintf(stderr, "gen_bench: %s needs a number\n",
				argv[i - 1]);
			return 2;
		}
	}
	if (!path) {
		usage(stderr);
		return 2;
	}
	if (npk == 0 || nfl == 0 || window == 0 || npk > 0xffffffffull) {
		fprintf(stderr, "gen_bench: --packets 1..2^32-1, --flows and "
				"--window at least 1\n");
		return 2;
	}
	if (nfl > npk) {
		fprintf(stderr,
			"gen_bench: %llu flows need at least as many packets; "
			"using %llu flows\n",
			(unsigned long long)nfl, (unsigned long long)npk);
		nfl = npk;
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	uint64_t sm = seed;
	for (int i = 0; i < 4; i++)
		rs[i] = splitmix64(&sm);
	pool = malloc(POOL);
	out = malloc(OUTBUF);
	struct plan *plans = calloc(nfl, sizeof *plans);
	uint32_t *mins = calloc(nfl, sizeof *mins);
	uint32_t *weights = calloc(nfl, sizeof *weights);
	if (!pool || !out || !plans || !mins || !weights) {
		fputs("gen_bench: out of memory\n", stderr);
		return 1;
	}
	for (uint32_t i = 0; i < POOL; i += 8) {
		uint64_t r = rnd();
		memcpy(pool + i, &r, 8);
	}
	uint64_t ck = seed ^ 0x636f6e74656e7473ull; /* "contents" */
	content_key = splitmix64(&ck);
	build_text();

	/* Plan every flow, then share the packets: each flow gets its
	 * minimum, the rest goes out in proportion to the weights (cumulative
	 * rounding, so the total is exact). Too few packets for every
	 * minimum: scale the minimums down, at least 1 per flow. */
	uint64_t summin = 0, sumw = 0;
	for (uint64_t i = 0; i < nfl; i++) {
		draw_flow(&plans[i], &mins[i], &weights[i]);
		summin += mins[i];
		sumw += weights[i];
	}
	if (summin > npk) {
		uint64_t total = 0;
		for (uint64_t i = 0; i < nfl; i++) {
			uint64_t c = (uint64_t)mins[i] * npk / summin;
			plans[i].count = (uint32_t)(c ? c : 1);
			total += plans[i].count;
		}
		for (uint64_t i = 0; total != npk; i = (i + 1) % nfl) {
			if (total > npk && plans[i].count > 1) {
				plans[i].count--;
				total--;
			} else if (total < npk && plans[i].count < mins[i]) {
				plans[i].count++;
				total++;
			}
		}
	} else {
		uint64_t rest = npk - summin, cum = 0, given = 0;
		if (sumw == 0) { /* only weightless flows: spread evenly */
			for (uint64_t i = 0; i < nfl; i++)
				weights[i] = 1;
			sumw = nfl;
		}
		for (uint64_t i = 0; i < nfl; i++) {
			cum += weights[i];
			uint64_t upto = (uint64_t)floor(
			    (double)cum * (double)rest / (double)sumw);
			if (i == nfl - 1)
				upto = rest;
			plans[i].count = mins[i] + (uint32_t)(upto - given);
			given = upto;
		}
	}
	free(mins);
	free(weights);

	if (!strcmp(path, "-")) {
		outf = stdout;
	} else if (!(outf = fopen(path, "wb"))) {
		fprintf(stderr, "gen_bench: %s: %s\n", path, strerror(errno));
		return 1;
	}
	/* Classic pcap header, little-endian, microseconds, Ethernet. */
	le32(out, 0xa1b2c3d4u);
	out[4] = 2;
	out[5] = 0;
	out[6] = 4;
	out[7] = 0;
	le32(out + 8, 0);
	le32(out + 12, 0);
	le32(out + 16, 65535);
	le32(out + 20, 1);
	outlen = 24;
	now_sec = 1768467600u; /* 2026-01-15T09:00:00Z */
	now_usec = 0;

	if (window > nfl)
		window = nfl;
	struct flow *win = calloc(window, sizeof *win);
	if (!win) {
		fputs("gen_bench: out of memory\n", stderr);
		return 1;
	}
	uint64_t next = 0, active = 0;
	uint64_t per_proto[4] = {0}, v6 = 0, tagged = 0, maxcount = 0;
	uint64_t count_hist[4] = {0}; /* <=10, <=100, <=1000, more */
	uint64_t per_look[L_COUNT] = {0}, moved = 0;
	while (active < window && next < nfl) {
		start_flow(&win[active], &plans[next], next);
		next++;
		active++;
	}
	while (active) {
		uint32_t i = below((uint32_t)active);
		struct flow *f = &win[i];
		step(f);
		if (f->k < f->count)
			continue;
		per_proto[f->proto]++;
		per_look[f->look]++;
		moved += f->moved;
		v6 += f->v6;
		tagged += f->l3off == 18;
		if (f->count > maxcount)
			maxcount = f->count;
		count_hist[f->count <= 10     ? 0
			   : f->count <= 100  ? 1
			   : f->count <= 1000 ? 2
					      : 3]++;
		if (next < nfl) {
			start_flow(f, &plans[next], next);
			next++;
		} else
			win[i] = win[--active];
	}
	flush_out();
	if (outf != stdout ? fclose(outf) != 0 : fflush(outf) != 0) {
		fprintf(stderr, "gen_bench: %s: %s\n", path, strerror(errno));
		return 1;
	}
	free(win);
	free(plans);
	free(pool);
	free(out);

	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) +
		      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	double nf = (double)nfl;
	fprintf(stderr,
		"gen_bench: %llu packets, %llu flows (tcp %.1f%%, udp %.1f%%, "
		"sctp %.1f%%, dccp %.1f%%; ipv6 %.1f%%, 802.1Q %.1f%%)\n"
		"gen_bench: packets per flow: <=10 %llu, 11-100 %llu, "
		"101-1000 %llu, more %llu, max %llu\n"
		"gen_bench: %llu bytes of packets (mean %.0f), file %llu "
		"bytes, %.2f s (%.2f Mpkt/s)\n",
		(unsigned long long)npackets, (unsigned long long)nfl,
		100.0 * (double)per_proto[P_TCP] / nf,
		100.0 * (double)per_proto[P_UDP] / nf,
		100.0 * (double)per_proto[P_SCTP] / nf,
		100.0 * (double)per_proto[P_DCCP] / nf, 100.0 * (double)v6 / nf,
		100.0 * (double)tagged / nf, (unsigned long long)count_hist[0],
		(unsigned long long)count_hist[1],
		(unsigned long long)count_hist[2],
		(unsigned long long)count_hist[3], (unsigned long long)maxcount,
		(unsigned long long)nbytes,
		(double)nbytes / (double)(npackets ? npackets : 1),
		(unsigned long long)bytes_written, secs,
		(double)npackets / secs / 1e6);
	fprintf(
	    stderr,
	    "gen_bench: flows with tls %llu, http %llu, ssh %llu, dns %llu, "
	    "ntp %llu, quic %llu, text %llu payloads; %llu (%.1f%%) on "
	    "another service's port\n",
	    (unsigned long long)per_look[L_TLS],
	    (unsigned long long)per_look[L_HTTP],
	    (unsigned long long)per_look[L_SSH],
	    (unsigned long long)per_look[L_DNS],
	    (unsigned long long)per_look[L_NTP],
	    (unsigned long long)per_look[L_QUIC],
	    (unsigned long long)per_look[L_TEXT], (unsigned long long)moved,
	    100.0 * (double)moved / nf);
	return 0;
}
