/* test_flow.c — the flow table of flow.h on hand-built packets: canonical
 * keys, every server-side rule and its basis, registry flags, how flows end
 * (FIN/FIN after the linger, RST, SCTP ABORT and SHUTDOWN COMPLETE, DCCP
 * Reset, idle timeouts, end of input) and --max-flows eviction. The
 * registry is the fixture tests/fixtures/quirks-2026.csv, real IANA rows:
 * 80 http/www/www-http, 443 https, 81 and 4489-4499 unassigned (4490 and
 * 4491 with unauthorized use), 0 reserved, 6000-6063 x11 (unauthorized use
 * on 6003). Timestamps are explicit capture times in microseconds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <malloc.h>
#include <pthread.h>

#include <cmocka.h>

#include "portnote/decode.h"
#include "portnote/flow.h"
#include "portnote/registry.h"

_Static_assert((int)PN_L4_DCCP == (int)PN_DCCP, "l4 mirrors transport");

/* 2026-01-15 09:00:00 UTC, the epoch of captures/. */
#define T0 1768467600000000ull
#define SEC 1000000ull
#define MS 1000ull

#define SCTP_INIT_ACK 2
#define SCTP_DATA 0
#define SCTP_ABORT 6
#define SCTP_SHUTDOWN_COMPLETE 14
#define DCCP_DATAACK 4
#define DCCP_RESET 7

/* Ended flows kept for inspection; more are only counted. */
#define KEEP 32

static struct pn_registry *quirks;

struct fx {
	struct pn_flow_config cfg;
	struct pn_flow_table *t;
	struct pn_flow ended[KEEP];
	size_t n_ended;
};

static void on_end(void *ctx, const struct pn_flow *f)
{
	struct fx *x = ctx;
	if (x->n_ended < KEEP)
		x->ended[x->n_ended] = *f;
	x->n_ended++;
}

static int group_setup(void **state)
{
	(void)state;
	char path[512], err[PN_ERRBUF_SIZE];
	snprintf(path, sizeof path, "%s/quirks-2026.csv", PN_FIXTURES);
	if (pn_registry_load(path, "quirks-2026.csv", NULL, &quirks, err) !=
	    0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pn_registry_free(quirks);
	return 0;
}

static void open_table(struct fx *x)
{
	if (x->t)
		pn_flow_table_destroy(x->t);
	x->t = pn_flow_table_create(&x->cfg, quirks, on_end, x);
	assert_non_null(x->t);
	x->n_ended = 0;
}

/* Each test gets a table with the default configuration. */
static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof *x);
	assert_non_null(x);
	pn_flow_config_init(&x->cfg);
	open_table(x);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	pn_flow_table_destroy(x->t);
	free(x);
	return 0;
}

/* A decoded packet as pn_decode_packet leaves it: status PN_OK, addresses
 * IPv4-mapped or IPv6, ports, and the wire length. DCCP packets default to
 * DataAck (type 0 would be a Request). */
static struct pn_packet pkt(int version, const char *src, uint16_t sport,
			    const char *dst, uint16_t dport, enum pn_l4 l4,
			    uint32_t wirelen)
{
	static const uint8_t ip_proto[] = {6, 17, 132, 33};
	struct pn_packet p;
	memset(&p, 0, sizeof p);
	p.linktype = PN_LINKTYPE_ETHERNET;
	p.caplen = p.wirelen = wirelen;
	p.status = PN_OK;
	p.reason = PN_R_NONE;
	p.ip_version = (uint8_t)version;
	if (version == 4) {
		p.ethertype = 0x0800;
		p.src[10] = p.src[11] = p.dst[10] = p.dst[11] = 0xff;
		assert_int_equal(
		    inet_pton(AF_INET, src, &p.src[PN_ADDR_V4_OFF]), 1);
		assert_int_equal(
		    inet_pton(AF_INET, dst, &p.dst[PN_ADDR_V4_OFF]), 1);
	} else {
		p.ethertype = 0x86dd;
		assert_int_equal(inet_pton(AF_INET6, src, p.src), 1);
		assert_int_equal(inet_pton(AF_INET6, dst, p.dst), 1);
	}
	p.l4 = l4;
	p.ip_proto = ip_proto[l4];
	p.sport = sport;
	p.dport = dport;
	if (l4 == PN_L4_DCCP) {
		p.dccp_type = DCCP_DATAACK;
		p.has_dccp_type = true;
	}
	p.has_tcp_flags = l4 == PN_L4_TCP;
	return p;
}

static struct pn_packet tcp4(const char *src, uint16_t sport, const char *dst,
			     uint16_t dport, uint8_t flags, uint32_t wirelen)
{
	struct pn_packet p = pkt(4, src, sport, dst, dport, PN_L4_TCP, wirelen);
	p.tcp_flags = flags;
	return p;
}

static struct pn_packet udp4(const char *src, uint16_t sport, const char *dst,
			     uint16_t dport, uint32_t wirelen)
{
	return pkt(4, src, sport, dst, dport, PN_L4_UDP, wirelen);
}

static struct pn_packet sctp4(const char *src, uint16_t sport, const char *dst,
			      uint16_t dport, uint8_t chunk)
{
	struct pn_packet p = pkt(4, src, sport, dst, dport, PN_L4_SCTP, 98);
	p.has_sctp_chunk = true;
	p.sctp_chunk = chunk;
	return p;
}

static struct pn_packet dccp4(const char *src, uint16_t sport, const char *dst,
			      uint16_t dport, uint8_t type)
{
	struct pn_packet p = pkt(4, src, sport, dst, dport, PN_L4_DCCP, 90);
	p.dccp_type = type;
	return p;
}

static struct pn_flow *feed(struct fx *x, struct pn_packet p, int64_t ts)
{
	struct pn_flow *f = pn_flow_packet(x->t, &p, NULL, ts);
	assert_non_null(f);
	return f;
}

static void assert_addr(const uint8_t got[16], int version, const char *s)
{
	uint8_t want[16] = {0};
	if (version == 4) {
		want[10] = want[11] = 0xff;
		assert_int_equal(inet_pton(AF_INET, s, &want[PN_ADDR_V4_OFF]),
				 1);
	} else {
		assert_int_equal(inet_pton(AF_INET6, s, want), 1);
	}
	assert_memory_equal(got, want, 16);
}

/* The server endpoint, basis and flags of a fresh flow made of one packet
 * (flushed at once), so each case starts from an empty table. */
struct verdict {
	int server;
	enum pn_basis basis;
	uint16_t flags;
	uint16_t server_port;
};

static struct verdict one_packet(struct fx *x, struct pn_packet p)
{
	open_table(x);
	feed(x, p, T0);
	pn_flow_flush(x->t);
	assert_int_equal(x->n_ended, 1);
	const struct pn_flow *f = &x->ended[0];
	struct verdict v = {f->server, (enum pn_basis)f->basis, f->flags,
			    f->key.port[f->server]};
	return v;
}

/* ---- keys ---- */

static void test_key_ipv4_both_directions(void **state)
{
	struct fx *x = *state;
	const char *c = "10.0.0.10", *s = "192.0.2.80";
	struct pn_packet syn = tcp4(c, 45678, s, 80, PN_TCP_SYN, 74);
	struct pn_packet synack =
	    tcp4(s, 80, c, 45678, PN_TCP_SYN | PN_TCP_ACK, 74);
	struct pn_flow_key k1, k2;
	assert_int_equal(pn_flow_key_from_packet(&syn, &k1), 0);
	assert_int_equal(pn_flow_key_from_packet(&synack, &k2), 1);
	assert_memory_equal(&k1, &k2, sizeof k1);

	struct pn_flow *f1 = feed(x, syn, T0);
	struct pn_flow *f2 = feed(x, synack, T0 + 10 * MS);
	struct pn_flow *f3 =
	    feed(x, tcp4(c, 45678, s, 80, PN_TCP_ACK, 66), T0 + 20 * MS);
	struct pn_flow *f4 =
	    feed(x, tcp4(s, 80, c, 45678, PN_TCP_PSH | PN_TCP_ACK, 666),
		 T0 + 30 * MS);
	assert_ptr_equal(f1, f2);
	assert_ptr_equal(f1, f3);
	assert_ptr_equal(f1, f4);
	assert_int_equal(pn_flow_counters(x->t)->created, 1);
	assert_int_equal(pn_flow_counters(x->t)->active, 1);

	pn_flow_flush(x->t);
	assert_int_equal(x->n_ended, 1);
	const struct pn_flow *f = &x->ended[0];
	assert_addr(f->key.addr[0], 4, c);
	assert_addr(f->key.addr[1], 4, s);
	assert_int_equal(f->key.port[0], 45678);
	assert_int_equal(f->key.port[1], 80);
	assert_int_equal(f->key.vlan, 0);
	assert_int_equal(f->key.transport, PN_TCP);
	assert_int_equal(f->key.ip_version, 4);
	assert_int_equal(f->packets[0], 2);
	assert_int_equal(f->bytes[0], 74 + 66);
	assert_int_equal(f->packets[1], 2);
	assert_int_equal(f->bytes[1], 74 + 666);
	assert_int_equal(f->first_us[0], T0);
	assert_int_equal(f->last_us[0], T0 + 20 * MS);
	assert_int_equal(f->first_us[1], T0 + 10 * MS);
	assert_int_equal(f->last_us[1], T0 + 30 * MS);
	assert_int_equal(f->seen_us, T0 + 30 * MS);
	assert_int_equal(f->tcp_flags[0], PN_TCP_SYN | PN_TCP_ACK);
	assert_int_equal(f->tcp_flags[1], PN_TCP_SYN | PN_TCP_ACK | PN_TCP_PSH);
	assert_int_equal(f->server, 1);
	assert_int_equal(f->basis, PN_BASIS_HANDSHAKE);
	assert_int_equal(f->end, PN_END_INPUT);
	assert_int_equal(pn_flow_counters(x->t)->ended[PN_END_INPUT], 1);
	assert_int_equal(pn_flow_counters(x->t)->active, 0);
}

static void test_key_ipv6_both_directions(void **state)
{
	struct fx *x = *state;
	/* 2001:db8:1::1 sorts before 2001:db8:1::10: the server is
	 * endpoint 0. */
	const char *c = "2001:db8:1::10", *s = "2001:db8:1::1";
	struct pn_packet q = pkt(6, c, 53000, s, 53, PN_L4_UDP, 99);
	struct pn_packet r = pkt(6, s, 53, c, 53000, PN_L4_UDP, 115);
	struct pn_flow_key k1, k2;
	assert_int_equal(pn_flow_key_from_packet(&q, &k1), 1);
	assert_int_equal(pn_flow_key_from_packet(&r, &k2), 0);
	assert_memory_equal(&k1, &k2, sizeof k1);

	assert_ptr_equal(feed(x, q, T0), feed(x, r, T0 + 3 * MS));
	feed(x, q, T0 + 5 * MS);
	pn_flow_flush(x->t);
	assert_int_equal(x->n_ended, 1);
	const struct pn_flow *f = &x->ended[0];
	assert_addr(f->key.addr[0], 6, s);
	assert_addr(f->key.addr[1], 6, c);
	assert_int_equal(f->key.port[0], 53);
	assert_int_equal(f->key.port[1], 53000);
	assert_int_equal(f->key.transport, PN_UDP);
	assert_int_equal(f->key.ip_version, 6);
	assert_int_equal(f->packets[0], 1);
	assert_int_equal(f->bytes[0], 115);
	assert_int_equal(f->packets[1], 2);
	assert_int_equal(f->bytes[1], 2 * 99);
	/* 53 is not in the fixture: neither registered, system beats
	 * dynamic. */
	assert_int_equal(f->server, 0);
	assert_int_equal(f->basis, PN_BASIS_PORT_CLASS);
}

/* An IPv4 packet and an IPv6 packet whose 16 address bytes are equal (the
 * IPv6 one uses the literal ::ffff:a.b.c.d) are still two flows. */
static void test_key_ipv4_ipv6_never_collide(void **state)
{
	struct fx *x = *state;
	struct pn_packet p4 = udp4("192.0.2.1", 5000, "192.0.2.2", 443, 60);
	struct pn_packet p6 = pkt(6, "::ffff:192.0.2.1", 5000,
				  "::ffff:192.0.2.2", 443, PN_L4_UDP, 80);
	assert_memory_equal(p4.src, p6.src, 16);
	assert_memory_equal(p4.dst, p6.dst, 16);
	struct pn_flow_key k4, k6;
	pn_flow_key_from_packet(&p4, &k4);
	pn_flow_key_from_packet(&p6, &k6);
	assert_memory_not_equal(&k4, &k6, sizeof k4);

	struct pn_flow *f4 = feed(x, p4, T0);
	struct pn_flow *f6 = feed(x, p6, T0 + MS);
	assert_ptr_not_equal(f4, f6);
	assert_int_equal(f4->packets[0], 1);
	assert_int_equal(f4->bytes[0], 60);
	assert_int_equal(f6->packets[0], 1);
	assert_int_equal(f6->bytes[0], 80);
	assert_int_equal(pn_flow_counters(x->t)->created, 2);
	assert_int_equal(pn_flow_counters(x->t)->active, 2);
}

/* The outer VLAN id is part of the key; an inner (QinQ) tag is not. */
static void test_key_vlan(void **state)
{
	struct fx *x = *state;
	struct pn_packet none = udp4("10.0.0.10", 40000, "10.0.0.1", 443, 70);
	struct pn_packet v100 = none, v200 = none, v200i = none;
	v100.vlan_count = 1;
	v100.vlan[0] = 100;
	v200.vlan_count = 2;
	v200.vlan[0] = 200;
	v200.vlan[1] = 100;
	v200i.vlan_count = 2;
	v200i.vlan[0] = 200;
	v200i.vlan[1] = 101;

	struct pn_flow *a = feed(x, none, T0);
	struct pn_flow *b = feed(x, v100, T0 + MS);
	struct pn_flow *c = feed(x, v200, T0 + 2 * MS);
	struct pn_flow *d = feed(x, v200i, T0 + 3 * MS);
	assert_ptr_not_equal(a, b);
	assert_ptr_not_equal(a, c);
	assert_ptr_not_equal(b, c);
	assert_ptr_equal(c, d);
	assert_int_equal(a->key.vlan, 0);
	assert_int_equal(b->key.vlan, 100);
	assert_int_equal(c->key.vlan, 200);
	assert_int_equal(c->packets[0] + c->packets[1], 2);
	assert_int_equal(pn_flow_counters(x->t)->created, 3);
}

/* Equal addresses (loopback to itself): the lower port is endpoint 0. */
static void test_key_equal_addresses_order_by_port(void **state)
{
	struct fx *x = *state;
	struct pn_packet out =
	    tcp4("127.0.0.1", 50123, "127.0.0.1", 80, PN_TCP_SYN, 74);
	struct pn_packet back = tcp4("127.0.0.1", 80, "127.0.0.1", 50123,
				     PN_TCP_SYN | PN_TCP_ACK, 74);
	struct pn_flow_key k1, k2;
	assert_int_equal(pn_flow_key_from_packet(&out, &k1), 1);
	assert_int_equal(pn_flow_key_from_packet(&back, &k2), 0);
	assert_memory_equal(&k1, &k2, sizeof k1);
	assert_int_equal(k1.port[0], 80);
	assert_int_equal(k1.port[1], 50123);

	struct pn_flow *f = feed(x, out, T0);
	assert_ptr_equal(feed(x, back, T0 + MS), f);
	feed(x, tcp4("127.0.0.1", 50123, "127.0.0.1", 80, PN_TCP_ACK, 66),
	     T0 + 2 * MS);
	assert_int_equal(f->packets[0], 1);
	assert_int_equal(f->bytes[0], 74);
	assert_int_equal(f->packets[1], 2);
	assert_int_equal(f->bytes[1], 74 + 66);
	assert_int_equal(f->server, 0);
	assert_int_equal(f->basis, PN_BASIS_HANDSHAKE);
	assert_int_equal(pn_flow_counters(x->t)->created, 1);
}

/* ---- server side ---- */

/* 50000 and 60000 are both dynamic and unregistered: without a handshake
 * the lower port (50000, endpoint 0) would be the guess, so each handshake
 * case makes 60000 the server to show the handshake decided. */
static void test_server_handshake_tcp(void **state)
{
	struct fx *x = *state;
	const char *a = "10.0.0.10", *b = "192.0.2.1";
	struct verdict v =
	    one_packet(x, tcp4(a, 50000, b, 60000, PN_TCP_SYN, 74));
	assert_int_equal(v.server, 1);
	assert_int_equal(v.server_port, 60000);
	assert_int_equal(v.basis, PN_BASIS_HANDSHAKE);

	/* SYN+ACK seen first (the SYN was missed): its source serves. */
	v = one_packet(x,
		       tcp4(b, 60000, a, 50000, PN_TCP_SYN | PN_TCP_ACK, 74));
	assert_int_equal(v.server_port, 60000);
	assert_int_equal(v.basis, PN_BASIS_HANDSHAKE);

	/* ECN-setup SYN (SYN|ECE|CWR) is still a SYN. */
	v = one_packet(x, tcp4(a, 50000, b, 60000,
			       PN_TCP_SYN | PN_TCP_ECE | PN_TCP_CWR, 74));
	assert_int_equal(v.server_port, 60000);
	assert_int_equal(v.basis, PN_BASIS_HANDSHAKE);

	/* Neither a plain ACK nor a SYN|RST is handshake evidence. */
	v = one_packet(x, tcp4(b, 60000, a, 50000, PN_TCP_ACK, 66));
	assert_int_equal(v.server_port, 50000);
	assert_int_equal(v.basis, PN_BASIS_NONE);
	v = one_packet(x,
		       tcp4(a, 50000, b, 60000, PN_TCP_SYN | PN_TCP_RST, 60));
	assert_int_equal(v.server_port, 50000);
	assert_int_equal(v.basis, PN_BASIS_NONE);
}

static void test_server_handshake_sctp(void **state)
{
	struct fx *x = *state;
	const char *a = "10.0.0.10", *b = "192.0.2.1";
	struct verdict v =
	    one_packet(x, sctp4(a, 50000, b, 60000, PN_SCTP_CHUNK_INIT));
	assert_int_equal(v.server, 1);
	assert_int_equal(v.server_port, 60000);
	assert_int_equal(v.basis, PN_BASIS_HANDSHAKE);

	v = one_packet(x, sctp4(b, 60000, a, 50000, SCTP_INIT_ACK));
	assert_int_equal(v.server_port, 60000);
	assert_int_equal(v.basis, PN_BASIS_HANDSHAKE);

	/* DATA is no evidence; nor is an INIT type when the chunk header
	 * was not captured. */
	v = one_packet(x, sctp4(b, 60000, a, 50000, SCTP_DATA));
	assert_int_equal(v.server_port, 50000);
	assert_int_equal(v.basis, PN_BASIS_NONE);
	struct pn_packet cut = sctp4(a, 50000, b, 60000, PN_SCTP_CHUNK_INIT);
	cut.has_sctp_chunk = false;
	v = one_packet(x, cut);
	assert_int_equal(v.server_port, 50000);
	assert_int_equal(v.basis, PN_BASIS_NONE);
}

static void test_server_handshake_dccp(void **state)
{
	struct fx *x = *state;
	const char *a = "10.0.0.10", *b = "192.0.2.1";
	struct verdict v =
	    one_packet(x, dccp4(a, 50000, b, 60000, PN_DCCP_REQUEST));
	assert_int_equal(v.server, 1);
	assert_int_equal(v.server_port, 60000);
	assert_int_equal(v.basis, PN_BASIS_HANDSHAKE);

	v = one_packet(x, dccp4(b, 60000, a, 50000, PN_DCCP_RESPONSE));
	assert_int_equal(v.server_port, 60000);
	assert_int_equal(v.basis, PN_BASIS_HANDSHAKE);

	v = one_packet(x, dccp4(b, 60000, a, 50000, DCCP_DATAACK));
	assert_int_equal(v.server_port, 50000);
	assert_int_equal(v.basis, PN_BASIS_NONE);
}

/* Exactly one port registered on the transport: that one serves, whichever
 * endpoint it is and whichever way the packet goes. */
static void test_server_registry(void **state)
{
	struct fx *x = *state;
	struct verdict v =
	    one_packet(x, tcp4("10.0.0.10", 51000, "192.0.2.1", 443,
			       PN_TCP_ACK | PN_TCP_PSH, 200));
	assert_int_equal(v.server, 1);
	assert_int_equal(v.server_port, 443);
	assert_int_equal(v.basis, PN_BASIS_REGISTRY);
	assert_int_equal(v.flags, 0);

	v = one_packet(x, udp4("10.0.0.10", 443, "192.0.2.1", 51000, 1200));
	assert_int_equal(v.server, 0);
	assert_int_equal(v.server_port, 443);
	assert_int_equal(v.basis, PN_BASIS_REGISTRY);

	/* A user port registered against a dynamic one. */
	v = one_packet(x, udp4("10.0.0.10", 60001, "192.0.2.1", 6001, 100));
	assert_int_equal(v.server_port, 6001);
	assert_int_equal(v.basis, PN_BASIS_REGISTRY);

	/* 443 is registered for sctp in the fixture, 4444 only tcp/udp. */
	v = one_packet(x,
		       sctp4("10.0.0.10", 4444, "192.0.2.1", 443, SCTP_DATA));
	assert_int_equal(v.server_port, 443);
	assert_int_equal(v.basis, PN_BASIS_REGISTRY);

	uint16_t ports[2] = {51000, 443};
	enum pn_basis basis = PN_BASIS_COUNT;
	assert_int_equal(pn_flow_guess_server(quirks, PN_TCP, ports, &basis),
			 1);
	assert_int_equal(basis, PN_BASIS_REGISTRY);
}

static void test_server_port_class(void **state)
{
	struct fx *x = *state;
	/* Both registered: same class, the lower number. */
	struct verdict v = one_packet(
	    x, tcp4("10.0.0.10", 443, "192.0.2.1", 80, PN_TCP_ACK, 66));
	assert_int_equal(v.server, 1);
	assert_int_equal(v.server_port, 80);
	assert_int_equal(v.basis, PN_BASIS_PORT_CLASS);

	/* Both registered, different classes: system beats user. */
	v = one_packet(
	    x, tcp4("10.0.0.10", 443, "192.0.2.1", 4444, PN_TCP_ACK, 66));
	assert_int_equal(v.server_port, 443);
	assert_int_equal(v.basis, PN_BASIS_PORT_CLASS);

	/* Neither registered (both unassigned): system 81 beats user
	 * 4489. */
	v = one_packet(
	    x, tcp4("10.0.0.10", 81, "192.0.2.1", 4489, PN_TCP_ACK, 66));
	assert_int_equal(v.server, 0);
	assert_int_equal(v.server_port, 81);
	assert_int_equal(v.basis, PN_BASIS_PORT_CLASS);
	assert_int_equal(v.flags, PN_FF_UNASSIGNED);

	/* Neither registered, user vs dynamic: the user port. */
	v = one_packet(x, udp4("10.0.0.10", 4489, "192.0.2.1", 50000, 66));
	assert_int_equal(v.server_port, 4489);
	assert_int_equal(v.basis, PN_BASIS_PORT_CLASS);

	/* Neither registered, same class: the lower number. */
	v = one_packet(x, udp4("10.0.0.10", 4495, "192.0.2.1", 4489, 66));
	assert_int_equal(v.server_port, 4489);
	assert_int_equal(v.basis, PN_BASIS_PORT_CLASS);

	uint16_t ports[2] = {4489, 81};
	enum pn_basis basis = PN_BASIS_COUNT;
	assert_int_equal(pn_flow_guess_server(quirks, PN_TCP, ports, &basis),
			 1);
	assert_int_equal(basis, PN_BASIS_PORT_CLASS);
}

static void test_server_none(void **state)
{
	struct fx *x = *state;
	struct verdict v =
	    one_packet(x, udp4("10.0.0.10", 60000, "192.0.2.1", 50000, 100));
	assert_int_equal(v.server, 1);
	assert_int_equal(v.server_port, 50000);
	assert_int_equal(v.basis, PN_BASIS_NONE);
	assert_int_equal(v.flags, PN_FF_DYNAMIC);

	uint16_t ports[2] = {65535, 49152};
	enum pn_basis basis = PN_BASIS_COUNT;
	assert_int_equal(pn_flow_guess_server(quirks, PN_UDP, ports, &basis),
			 1);
	assert_int_equal(basis, PN_BASIS_NONE);
	/* 49151 is the last user port: port-class, not none. */
	ports[1] = 49151;
	assert_int_equal(pn_flow_guess_server(quirks, PN_UDP, ports, &basis),
			 1);
	assert_int_equal(basis, PN_BASIS_PORT_CLASS);
}

/* First packet: data from 443 to 51000, so the registry makes 443 the
 * server. Then a SYN from the 443 side: 51000 is the listener after all. */
static void test_server_handshake_corrects_guess(void **state)
{
	struct fx *x = *state;
	const char *a = "10.0.0.10", *b = "192.0.2.1";
	struct pn_flow *f =
	    feed(x, tcp4(a, 443, b, 51000, PN_TCP_PSH | PN_TCP_ACK, 300), T0);
	assert_int_equal(f->server, 0);
	assert_int_equal(f->key.port[f->server], 443);
	assert_int_equal(f->basis, PN_BASIS_REGISTRY);
	assert_int_equal(f->flags, 0);

	assert_ptr_equal(
	    feed(x, tcp4(a, 443, b, 51000, PN_TCP_SYN, 74), T0 + SEC), f);
	assert_int_equal(f->server, 1);
	assert_int_equal(f->key.port[f->server], 51000);
	assert_int_equal(f->basis, PN_BASIS_HANDSHAKE);
	/* The flags follow the new server port. */
	assert_int_equal(f->flags, PN_FF_DYNAMIC);
	assert_int_equal(pn_flow_counters(x->t)->created, 1);
}

/* Once decided by a handshake, a later contradicting SYN+ACK, SYN or data
 * packet changes nothing. */
static void test_server_handshake_sticks(void **state)
{
	struct fx *x = *state;
	const char *a = "10.0.0.10", *b = "192.0.2.1";
	struct pn_flow *f =
	    feed(x, tcp4(a, 51000, b, 60000, PN_TCP_SYN, 74), T0);
	assert_int_equal(f->key.port[f->server], 60000);
	assert_int_equal(f->basis, PN_BASIS_HANDSHAKE);
	feed(x, tcp4(a, 51000, b, 60000, PN_TCP_SYN | PN_TCP_ACK, 74), T0 + MS);
	feed(x, tcp4(b, 60000, a, 51000, PN_TCP_SYN, 74), T0 + 2 * MS);
	feed(x, tcp4(b, 60000, a, 51000, PN_TCP_PSH | PN_TCP_ACK, 100),
	     T0 + 3 * MS);
	assert_int_equal(f->key.port[f->server], 60000);
	assert_int_equal(f->server, 1);
	assert_int_equal(f->basis, PN_BASIS_HANDSHAKE);
	assert_int_equal(f->packets[0] + f->packets[1], 4);

	struct pn_flow *s =
	    feed(x, sctp4(a, 51000, b, 60000, PN_SCTP_CHUNK_INIT), T0);
	feed(x, sctp4(a, 51000, b, 60000, SCTP_INIT_ACK), T0 + MS);
	assert_int_equal(s->key.port[s->server], 60000);
	assert_int_equal(s->basis, PN_BASIS_HANDSHAKE);

	struct pn_flow *d =
	    feed(x, dccp4(a, 51000, b, 60000, PN_DCCP_REQUEST), T0);
	feed(x, dccp4(b, 60000, a, 51000, PN_DCCP_REQUEST), T0 + MS);
	assert_int_equal(d->key.port[d->server], 60000);
	assert_int_equal(d->basis, PN_BASIS_HANDSHAKE);
}

/* ---- flags ---- */

static uint16_t syn_flags(struct fx *x, uint16_t server_port)
{
	struct verdict v = one_packet(x, tcp4("10.0.0.10", 50000, "192.0.2.1",
					      server_port, PN_TCP_SYN, 74));
	assert_int_equal(v.server_port, server_port);
	assert_int_equal(v.basis, PN_BASIS_HANDSHAKE);
	return v.flags;
}

static void test_flags(void **state)
{
	struct fx *x = *state;
	assert_int_equal(syn_flags(x, 0), PN_FF_RESERVED);
	assert_int_equal(syn_flags(x, 81), PN_FF_UNASSIGNED);
	assert_int_equal(syn_flags(x, 4489), PN_FF_UNASSIGNED);
	assert_int_equal(syn_flags(x, 4490),
			 PN_FF_UNASSIGNED | PN_FF_UNAUTHORIZED);
	assert_int_equal(syn_flags(x, 60000), PN_FF_DYNAMIC);
	assert_int_equal(syn_flags(x, 6003), PN_FF_UNAUTHORIZED);
	assert_int_equal(syn_flags(x, 6002), 0);
	assert_int_equal(syn_flags(x, 443), 0);
	/* A port nobody listed is neither unassigned nor reserved. */
	assert_int_equal(syn_flags(x, 5000), 0);

	/* 80 and 443 are both registered, to different services. */
	struct verdict v = one_packet(
	    x, tcp4("10.0.0.10", 443, "192.0.2.1", 80, PN_TCP_ACK, 66));
	assert_int_equal(v.server_port, 80);
	assert_int_equal(v.flags, PN_FF_AMBIGUOUS);
	/* The same pair opened by a SYN: the handshake settled the sides,
	 * so the client's port being registered too is no doubt. */
	v = one_packet(x,
		       tcp4("10.0.0.10", 443, "192.0.2.1", 80, PN_TCP_SYN, 74));
	assert_int_equal(v.server_port, 80);
	assert_int_equal(v.basis, PN_BASIS_HANDSHAKE);
	assert_int_equal(v.flags, 0);
	/* A guess first, then the SYN+ACK: the flag goes with the guess. */
	open_table(x);
	struct pn_flow *g = feed(
	    x, tcp4("10.0.0.10", 443, "192.0.2.1", 80, PN_TCP_ACK, 66), T0);
	assert_int_equal(g->flags, PN_FF_AMBIGUOUS);
	feed(x,
	     tcp4("192.0.2.1", 80, "10.0.0.10", 443, PN_TCP_SYN | PN_TCP_ACK,
		  74),
	     T0 + MS);
	assert_int_equal(g->basis, PN_BASIS_HANDSHAKE);
	assert_int_equal(g->flags, 0);
	/* 6001 and 6002 are both x11: not ambiguous. */
	v = one_packet(
	    x, tcp4("10.0.0.10", 6002, "192.0.2.1", 6001, PN_TCP_ACK, 66));
	assert_int_equal(v.server_port, 6001);
	assert_int_equal(v.basis, PN_BASIS_PORT_CLASS);
	assert_int_equal(v.flags, 0);
	/* x11 to x11 with the server on 6003: unauthorized, still not
	 * ambiguous. */
	v = one_packet(
	    x, tcp4("10.0.0.10", 6010, "192.0.2.1", 6003, PN_TCP_SYN, 74));
	assert_int_equal(v.server_port, 6003);
	assert_int_equal(v.flags, PN_FF_UNAUTHORIZED);

	uint16_t ports[2] = {80, 443};
	assert_int_equal(pn_flow_port_flags(quirks, PN_TCP, ports, 0),
			 PN_FF_AMBIGUOUS);
	assert_int_equal(pn_flow_port_flags(quirks, PN_TCP, ports, 1),
			 PN_FF_AMBIGUOUS);
	ports[0] = 6003;
	ports[1] = 6001;
	assert_int_equal(pn_flow_port_flags(quirks, PN_TCP, ports, 0),
			 PN_FF_UNAUTHORIZED);
	assert_int_equal(pn_flow_port_flags(quirks, PN_TCP, ports, 1), 0);
	/* Registered against unregistered is not ambiguous. */
	ports[0] = 443;
	ports[1] = 4489;
	assert_int_equal(pn_flow_port_flags(quirks, PN_TCP, ports, 0), 0);
}

/* ---- how flows end ---- */

static const char *C = "10.0.0.10", *S = "192.0.2.80";

/* A packet of an unrelated flow, to move capture time on. */
/* Unrelated traffic that moves the clock: a TCP ACK on its own flow,
 * whose 300 s timeout outlives every test's time span. */
static void tick(struct fx *x, uint64_t ts)
{
	feed(x, tcp4("10.9.9.9", 40000, "10.9.9.1", 40001, PN_TCP_ACK, 60), ts);
}

static void test_fin_after_linger(void **state)
{
	struct fx *x = *state;
	struct pn_flow *f = feed(x, tcp4(C, 45678, S, 80, PN_TCP_SYN, 74), T0);
	feed(x, tcp4(S, 80, C, 45678, PN_TCP_SYN | PN_TCP_ACK, 74),
	     T0 + 10 * MS);
	feed(x, tcp4(C, 45678, S, 80, PN_TCP_ACK, 66), T0 + 20 * MS);
	feed(x, tcp4(C, 45678, S, 80, PN_TCP_FIN | PN_TCP_ACK, 66),
	     T0 + 100 * MS);
	assert_int_equal(f->closing, 0);
	feed(x, tcp4(S, 80, C, 45678, PN_TCP_FIN | PN_TCP_ACK, 66),
	     T0 + 110 * MS);
	assert_int_equal(f->closing, PN_END_FIN);
	assert_int_equal(f->fin, 3);
	/* The last ACK, inside the linger, is the same flow. */
	assert_ptr_equal(
	    feed(x, tcp4(C, 45678, S, 80, PN_TCP_ACK, 66), T0 + 120 * MS), f);
	assert_int_equal(pn_flow_counters(x->t)->created, 1);

	tick(x, T0 + 1500 * MS);
	assert_int_equal(x->n_ended, 0);
	tick(x, T0 + 2100 * MS); /* linger ends at 2.12 s */
	assert_int_equal(x->n_ended, 0);
	tick(x, T0 + 3500 * MS);
	assert_int_equal(x->n_ended, 1);
	const struct pn_flow *e = &x->ended[0];
	assert_int_equal(e->end, PN_END_FIN);
	assert_int_equal(e->packets[0], 4);
	assert_int_equal(e->bytes[0], 74 + 66 * 3);
	assert_int_equal(e->packets[1], 2);
	assert_int_equal(e->bytes[1], 74 + 66);
	assert_int_equal(e->tcp_flags[0], PN_TCP_SYN | PN_TCP_ACK | PN_TCP_FIN);
	assert_int_equal(e->last_us[0], T0 + 120 * MS);
	const struct pn_flow_counters *n = pn_flow_counters(x->t);
	assert_int_equal(n->ended[PN_END_FIN], 1);
	assert_int_equal(n->active, 1); /* the tick flow */
}

/* One FIN alone does not close. */
static void test_half_close_stays_open(void **state)
{
	struct fx *x = *state;
	struct pn_flow *f = feed(x, tcp4(C, 45678, S, 80, PN_TCP_SYN, 74), T0);
	feed(x, tcp4(C, 45678, S, 80, PN_TCP_FIN | PN_TCP_ACK, 66),
	     T0 + 10 * MS);
	feed(x, tcp4(C, 45678, S, 80, PN_TCP_FIN | PN_TCP_ACK, 66),
	     T0 + 20 * MS);
	assert_int_equal(f->fin, 1);
	assert_int_equal(f->closing, 0);
	tick(x, T0 + 10 * SEC);
	assert_int_equal(x->n_ended, 0);
	pn_flow_flush(x->t);
	assert_int_equal(x->n_ended, 2);
	assert_int_equal(x->ended[0].end, PN_END_INPUT);
	assert_int_equal(x->ended[0].key.transport, PN_TCP);
}

static void test_rst(void **state)
{
	struct fx *x = *state;
	struct pn_flow *f = feed(x, tcp4(C, 50025, S, 25, PN_TCP_SYN, 74), T0);
	feed(x, tcp4(S, 25, C, 50025, PN_TCP_RST | PN_TCP_ACK, 54),
	     T0 + 20 * MS);
	assert_int_equal(f->closing, PN_END_RST);
	/* A stray ACK inside the linger still counts. */
	assert_ptr_equal(
	    feed(x, tcp4(C, 50025, S, 25, PN_TCP_ACK, 54), T0 + 30 * MS), f);
	tick(x, T0 + 1500 * MS);
	assert_int_equal(x->n_ended, 0);
	tick(x, T0 + 2500 * MS);
	assert_int_equal(x->n_ended, 1);
	assert_int_equal(x->ended[0].end, PN_END_RST);
	assert_int_equal(x->ended[0].packets[0], 2);
	assert_int_equal(x->ended[0].bytes[0], 74 + 54);
	assert_int_equal(x->ended[0].packets[1], 1);
	assert_int_equal(x->ended[0].bytes[1], 54);
	assert_int_equal(x->ended[0].key.port[x->ended[0].server], 25);
	assert_int_equal(pn_flow_counters(x->t)->ended[PN_END_RST], 1);
}

/* Capture time that goes back (files out of order, a clock step) ends
 * nothing: a packet earlier than a flow's last one joins it, and flows
 * last seen "later" survive the sweep at the earlier time. */
static void test_time_backwards(void **state)
{
	struct fx *x = *state;
	const char *c = "10.0.0.10", *s = "192.0.2.53";
	struct pn_flow *late =
	    feed(x, udp4(c, 40000, s, 53, 80), T0 + 3600 * SEC);
	feed(x, tcp4(c, 40001, s, 80, PN_TCP_SYN, 74), T0 + 3600 * SEC);
	/* An hour back: the UDP flow (idle timeout 60 s) is not idle. */
	struct pn_flow *f = feed(x, udp4(s, 53, c, 40000, 96), T0);
	assert_ptr_equal(f, late);
	assert_int_equal(f->packets[0] + f->packets[1], 2);
	assert_int_equal(f->first_us[f->key.port[0] == 53 ? 0 : 1], T0);
	assert_int_equal(f->seen_us, T0 + 3600 * SEC);
	/* Time runs on from the step; the sweep passes the later flows. */
	for (int i = 1; i <= 120; i++)
		feed(x, udp4(c, 41000, s, 53, 80), T0 + (uint64_t)i * SEC);
	assert_int_equal(x->n_ended, 0);
	assert_int_equal(pn_flow_counters(x->t)->active, 3);
	/* At the end, each flow is judged at the latest time seen: the one
	 * last seen 58 minutes before it was idle. */
	pn_flow_flush(x->t);
	assert_int_equal(x->n_ended, 3);
	for (int i = 0; i < 3; i++) {
		const struct pn_flow *e = &x->ended[i];
		int expect = e->key.port[0] == 41000 || e->key.port[1] == 41000
				 ? PN_END_IDLE
				 : PN_END_INPUT;
		assert_int_equal(e->end, expect);
	}
}

/* A TCP header cut before its flags: no handshake, no close from them. */
static void test_unknown_flags(void **state)
{
	struct fx *x = *state;
	struct pn_packet p = tcp4("10.0.0.10", 50000, "192.0.2.1", 60000,
				  PN_TCP_SYN | PN_TCP_RST, 60);
	p.has_tcp_flags = false;
	p.tcp_flags = 0;
	struct verdict v = one_packet(x, p);
	assert_int_equal(v.basis, PN_BASIS_NONE);
	assert_int_equal(v.server_port, 50000);
	assert_int_equal(x->ended[0].end, PN_END_INPUT);
}

/* A SYN on a lingering flow is a new connection on the same ports. */
static void test_syn_reopens_closed_flow(void **state)
{
	struct fx *x = *state;
	struct pn_flow *f = feed(x, tcp4(C, 45678, S, 80, PN_TCP_SYN, 74), T0);
	feed(x, tcp4(C, 45678, S, 80, PN_TCP_FIN | PN_TCP_ACK, 66),
	     T0 + 10 * MS);
	feed(x, tcp4(S, 80, C, 45678, PN_TCP_FIN | PN_TCP_ACK, 66),
	     T0 + 20 * MS);
	/* A SYN+ACK does not open anew. */
	assert_ptr_equal(
	    feed(x, tcp4(S, 80, C, 45678, PN_TCP_SYN | PN_TCP_ACK, 74),
		 T0 + 30 * MS),
	    f);
	assert_int_equal(x->n_ended, 0);

	struct pn_flow *g =
	    feed(x, tcp4(C, 45678, S, 80, PN_TCP_SYN, 74), T0 + 500 * MS);
	assert_int_equal(x->n_ended, 1);
	assert_int_equal(x->ended[0].end, PN_END_FIN);
	assert_int_equal(x->ended[0].packets[0], 2);
	assert_int_equal(x->ended[0].packets[1], 2);
	assert_int_equal(g->packets[0], 1);
	assert_int_equal(g->packets[1], 0);
	assert_int_equal(g->bytes[0], 74);
	assert_int_equal(g->closing, 0);
	assert_int_equal(g->fin, 0);
	assert_int_equal(g->first_us[0], T0 + 500 * MS);
	assert_int_equal(g->basis, PN_BASIS_HANDSHAKE);
	const struct pn_flow_counters *n = pn_flow_counters(x->t);
	assert_int_equal(n->created, 2);
	assert_int_equal(n->ended[PN_END_FIN], 1);
	assert_int_equal(n->active, 1);

	/* The same after a RST. */
	feed(x, tcp4(S, 80, C, 45678, PN_TCP_RST, 54), T0 + 600 * MS);
	feed(x, tcp4(C, 45678, S, 80, PN_TCP_SYN, 74), T0 + 700 * MS);
	assert_int_equal(x->n_ended, 2);
	assert_int_equal(x->ended[1].end, PN_END_RST);
	assert_int_equal(x->ended[1].packets[0], 1);
	assert_int_equal(x->ended[1].packets[1], 1);
	assert_int_equal(n->created, 3);
	assert_int_equal(n->active, 1);
}

static void test_sctp_abort_and_shutdown_complete(void **state)
{
	struct fx *x = *state;
	const char *a = "10.0.0.10", *b = "192.0.2.5";
	struct pn_flow *f =
	    feed(x, sctp4(a, 5060, b, 5061, PN_SCTP_CHUNK_INIT), T0);
	feed(x, sctp4(b, 5061, a, 5060, SCTP_INIT_ACK), T0 + MS);
	feed(x, sctp4(a, 5060, b, 5061, SCTP_ABORT), T0 + 2 * MS);
	assert_int_equal(f->closing, PN_END_RST);

	struct pn_flow *g =
	    feed(x, sctp4(a, 5070, b, 443, PN_SCTP_CHUNK_INIT), T0 + 3 * MS);
	feed(x, sctp4(b, 443, a, 5070, SCTP_INIT_ACK), T0 + 4 * MS);
	feed(x, sctp4(b, 443, a, 5070, SCTP_SHUTDOWN_COMPLETE), T0 + 5 * MS);
	assert_int_equal(g->closing, PN_END_FIN);

	tick(x, T0 + 1 * SEC);
	assert_int_equal(x->n_ended, 0);
	tick(x, T0 + 3 * SEC);
	assert_int_equal(x->n_ended, 2);
	assert_int_equal(x->ended[0].end, PN_END_RST);
	assert_int_equal(x->ended[0].key.transport, PN_SCTP);
	assert_int_equal(x->ended[0].key.port[x->ended[0].server], 5061);
	assert_int_equal(x->ended[0].packets[0] + x->ended[0].packets[1], 3);
	assert_int_equal(x->ended[1].end, PN_END_FIN);
	assert_int_equal(x->ended[1].key.port[x->ended[1].server], 443);
	assert_int_equal(x->ended[1].packets[0] + x->ended[1].packets[1], 3);
	const struct pn_flow_counters *n = pn_flow_counters(x->t);
	assert_int_equal(n->ended[PN_END_RST], 1);
	assert_int_equal(n->ended[PN_END_FIN], 1);
}

static void test_dccp_reset(void **state)
{
	struct fx *x = *state;
	const char *a = "10.0.0.10", *b = "192.0.2.9";
	struct pn_flow *f = feed(x, dccp4(a, 40010, b, 9, PN_DCCP_REQUEST), T0);
	feed(x, dccp4(b, 9, a, 40010, PN_DCCP_RESPONSE), T0 + MS);
	feed(x, dccp4(a, 40010, b, 9, DCCP_DATAACK), T0 + 2 * MS);
	assert_int_equal(f->closing, 0);
	feed(x, dccp4(b, 9, a, 40010, DCCP_RESET), T0 + 3 * MS);
	assert_int_equal(f->closing, PN_END_RST);
	tick(x, T0 + 3 * SEC);
	assert_int_equal(x->n_ended, 1);
	assert_int_equal(x->ended[0].end, PN_END_RST);
	assert_int_equal(x->ended[0].key.transport, PN_DCCP);
	assert_int_equal(x->ended[0].key.port[x->ended[0].server], 9);
	assert_int_equal(x->ended[0].packets[0], 2);
	assert_int_equal(x->ended[0].packets[1], 2);
	assert_int_equal(x->ended[0].bytes[0], 180);
}

/* UDP: 60 s by default. */
static void test_idle_udp_default(void **state)
{
	struct fx *x = *state;
	struct pn_packet a = udp4(C, 40000, S, 443, 100);
	struct pn_flow *f = feed(x, a, T0);
	assert_ptr_equal(feed(x, a, T0 + 59 * SEC), f);
	assert_int_equal(x->n_ended, 0);
	assert_int_equal(f->packets[0], 2);
	tick(x, T0 + 61 * SEC);
	assert_int_equal(x->n_ended, 0); /* idle since 59 s */
	tick(x, T0 + 118 * SEC);
	assert_int_equal(x->n_ended, 0);
	tick(x, T0 + 120 * SEC);
	assert_int_equal(x->n_ended, 1);
	assert_int_equal(x->ended[0].end, PN_END_IDLE);
	assert_int_equal(x->ended[0].packets[0], 2);
	assert_int_equal(x->ended[0].bytes[0], 200);

	/* A fresh table: one packet, then another flow 61 s later. */
	open_table(x);
	feed(x, a, T0);
	tick(x, T0 + 59 * SEC);
	assert_int_equal(x->n_ended, 0);
	tick(x, T0 + 61 * SEC);
	assert_int_equal(x->n_ended, 1);
	assert_int_equal(x->ended[0].end, PN_END_IDLE);
	assert_int_equal(x->ended[0].key.port[1], 443);
	assert_int_equal(x->ended[0].packets[0], 1);
	const struct pn_flow_counters *n = pn_flow_counters(x->t);
	assert_int_equal(n->ended[PN_END_IDLE], 1);
	assert_int_equal(n->active, 1);
	/* The same ports again: a new flow. */
	struct pn_flow *g = feed(x, a, T0 + 62 * SEC);
	assert_int_equal(g->packets[0], 1);
	assert_int_equal(n->created, 3);
}

/* Time 0 (1970-01-01T00:00:00Z) is a time like any other: it does not
 * mean "that side sent nothing". */
static void test_time_zero_first_packet(void **state)
{
	struct fx *x = *state;
	struct pn_packet q = udp4(C, 40000, S, 53, 60);
	struct pn_packet r = udp4(S, 53, C, 40000, 80);
	struct pn_flow *f = feed(x, q, 0);
	assert_ptr_equal(feed(x, r, 500), f);
	assert_ptr_equal(feed(x, q, 1000), f);
	int c = f->server == 0 ? 1 : 0;
	assert_int_equal(f->packets[c], 2);
	assert_int_equal(f->packets[!c], 1);
	assert_true(f->first_us[c] == 0);
	assert_true(f->last_us[c] == 1000);
	assert_true(f->first_us[!c] == 500);
	assert_true(f->seen_us == 1000);
	pn_flow_flush(x->t);
	assert_int_equal(x->n_ended, 1);
	assert_int_equal(x->ended[0].end, PN_END_INPUT);
}

/* Before 1970 (libpcap reads ts_sec 0xffffffff as -1 s): idle timeouts
 * count from there, and a side is never taken for silent. */
static void test_negative_times(void **state)
{
	struct fx *x = *state;
	const int64_t t = -1000000; /* 1969-12-31T23:59:59Z */
	struct pn_packet q = udp4(C, 40000, S, 53, 60);
	struct pn_packet r = udp4(S, 53, C, 40000, 80);
	struct pn_flow *f = feed(x, q, t);
	assert_ptr_equal(feed(x, r, t + 500), f);
	assert_int_equal(x->n_ended, 0);
	assert_int_equal(f->packets[0], 1);
	assert_int_equal(f->packets[1], 1);
	assert_true((int64_t)f->seen_us == t + 500);
	tick(x, t + 59 * (int64_t)SEC);
	assert_int_equal(x->n_ended, 0);
	tick(x, t + 61 * (int64_t)SEC);
	assert_int_equal(x->n_ended, 1);
	assert_int_equal(x->ended[0].end, PN_END_IDLE);
	assert_int_equal(x->ended[0].packets[0] + x->ended[0].packets[1], 2);
	assert_true((int64_t)x->ended[0].first_us[0] < 0 &&
		    (int64_t)x->ended[0].first_us[1] < 0);

	/* -2^31 s, then on across 1970: two flows, each whole. */
	open_table(x);
	const int64_t m = -2147483648ll * (int64_t)SEC;
	f = feed(x, q, m);
	assert_ptr_equal(feed(x, r, m + (int64_t)SEC), f);
	assert_int_equal(x->n_ended, 0);
	f = feed(x, q, -(int64_t)SEC / 2);
	assert_ptr_equal(feed(x, r, (int64_t)SEC / 2), f);
	assert_int_equal(x->n_ended, 1); /* the first, idle */
	assert_int_equal(x->ended[0].end, PN_END_IDLE);
	pn_flow_flush(x->t);
	assert_int_equal(x->n_ended, 2);
	assert_int_equal(x->ended[1].end, PN_END_INPUT);
	assert_int_equal(x->ended[1].packets[0] + x->ended[1].packets[1], 2);
}

/* At the ends of the range the idle arithmetic saturates: nothing wraps
 * round to end a flow early. */
static void test_times_at_the_ends(void **state)
{
	struct fx *x = *state;
	struct pn_packet q = udp4(C, 40000, S, 53, 60);
	struct pn_packet r = udp4(S, 53, C, 40000, 80);
	struct pn_flow *f = feed(x, q, INT64_MAX - 10);
	assert_ptr_equal(feed(x, r, INT64_MAX), f);
	assert_int_equal(x->n_ended, 0);
	pn_flow_flush(x->t);
	assert_int_equal(x->n_ended, 1);
	assert_int_equal(x->ended[0].end, PN_END_INPUT);

	open_table(x);
	f = feed(x, q, INT64_MIN);
	assert_ptr_equal(feed(x, r, INT64_MIN + 10), f);
	assert_int_equal(x->n_ended, 0);
	pn_flow_flush(x->t);
	assert_int_equal(x->n_ended, 1);
	assert_int_equal(x->ended[0].end, PN_END_INPUT);
	assert_int_equal(x->ended[0].packets[0] + x->ended[0].packets[1], 2);
}

/* TCP, SCTP and DCCP: 300 s by default. */
static void test_idle_defaults_other_transports(void **state)
{
	struct fx *x = *state;
	feed(x, tcp4(C, 40000, S, 80, PN_TCP_ACK, 66), T0);
	feed(x, sctp4(C, 40000, S, 80, SCTP_DATA), T0);
	feed(x, dccp4(C, 40000, S, 80, DCCP_DATAACK), T0);
	tick(x, T0 + 299 * SEC);
	assert_int_equal(x->n_ended, 0);
	tick(x, T0 + 301 * SEC);
	assert_int_equal(x->n_ended, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(x->ended[i].end, PN_END_IDLE);
	assert_int_equal(pn_flow_counters(x->t)->ended[PN_END_IDLE], 3);
}

static void test_idle_configured(void **state)
{
	struct fx *x = *state;
	x->cfg.idle_us[PN_UDP] = 10 * SEC;
	x->cfg.idle_us[PN_TCP] = 20 * SEC;
	x->cfg.idle_us[PN_SCTP] = 5 * SEC;
	x->cfg.linger_us = 0;
	open_table(x);
	feed(x, udp4(C, 40000, S, 443, 100), T0);
	feed(x, tcp4(C, 40000, S, 443, PN_TCP_ACK, 66), T0);
	feed(x, sctp4(C, 40000, S, 443, SCTP_DATA), T0);
	feed(x, tcp4(C, 40001, S, 443, PN_TCP_RST, 54), T0);
	/* Linger 0: the RST flow goes at the next sweep. */
	feed(x, tcp4(C, 40002, S, 443, PN_TCP_ACK, 66), T0 + 2 * SEC);
	assert_int_equal(x->n_ended, 1);
	assert_int_equal(x->ended[0].end, PN_END_RST);
	feed(x, tcp4(C, 40002, S, 443, PN_TCP_ACK, 66), T0 + 6 * SEC);
	assert_int_equal(x->n_ended, 2);
	assert_int_equal(x->ended[1].end, PN_END_IDLE);
	assert_int_equal(x->ended[1].key.transport, PN_SCTP);
	feed(x, tcp4(C, 40002, S, 443, PN_TCP_ACK, 66), T0 + 11 * SEC);
	assert_int_equal(x->n_ended, 3);
	assert_int_equal(x->ended[2].end, PN_END_IDLE);
	assert_int_equal(x->ended[2].key.transport, PN_UDP);
	feed(x, tcp4(C, 40002, S, 443, PN_TCP_ACK, 66), T0 + 21 * SEC);
	assert_int_equal(x->n_ended, 4);
	assert_int_equal(x->ended[3].end, PN_END_IDLE);
	assert_int_equal(x->ended[3].key.transport, PN_TCP);
	assert_int_equal(x->ended[3].key.port[0], 40000);
	const struct pn_flow_counters *n = pn_flow_counters(x->t);
	assert_int_equal(n->ended[PN_END_IDLE], 3);
	assert_int_equal(n->ended[PN_END_RST], 1);
	assert_int_equal(n->active, 1);
}

/* A packet that comes more than the idle timeout after its flow's last one
 * belongs to a new flow, whatever other traffic did in between. Here an
 * unrelated packet at 60.2 s is the last chance to sweep before the flow's
 * own packet at 61.0 s, when the flow (last seen at 0.5 s) has been idle
 * for 60.5 s of a 60 s timeout. */
static void test_idle_timeout_exact_between_sweeps(void **state)
{
	struct fx *x = *state;
	struct pn_packet a = udp4(C, 40000, S, 443, 100);
	tick(x, T0);
	feed(x, a, T0 + 500 * MS);
	tick(x, T0 + 60200 * MS);
	assert_int_equal(x->n_ended, 0);
	struct pn_flow *g = feed(x, a, T0 + 61000 * MS);
	assert_int_equal(x->n_ended, 1);
	assert_int_equal(x->ended[0].end, PN_END_IDLE);
	assert_int_equal(x->ended[0].packets[0], 1);
	assert_int_equal(g->packets[0], 1);
	assert_int_equal(pn_flow_counters(x->t)->created, 3);
}

static void test_flush(void **state)
{
	struct fx *x = *state;
	feed(x, udp4(C, 40000, S, 443, 100), T0);
	feed(x, tcp4(C, 40001, S, 80, PN_TCP_SYN, 74), T0 + MS);
	feed(x, tcp4(C, 40001, S, 80, PN_TCP_FIN, 66), T0 + 2 * MS);
	feed(x, tcp4(S, 80, C, 40001, PN_TCP_FIN | PN_TCP_ACK, 66),
	     T0 + 3 * MS);
	feed(x, tcp4(C, 40002, S, 80, PN_TCP_SYN, 74), T0 + 4 * MS);
	feed(x, tcp4(S, 80, C, 40002, PN_TCP_RST | PN_TCP_ACK, 54),
	     T0 + 5 * MS);
	feed(x, sctp4(C, 40003, S, 9, SCTP_DATA), T0 + 6 * MS);
	assert_int_equal(x->n_ended, 0);
	pn_flow_flush(x->t);
	assert_int_equal(x->n_ended, 4);
	int by_port[4] = {-1, -1, -1, -1};
	for (size_t i = 0; i < 4; i++) {
		unsigned c = x->ended[i].key.port[0] - 40000u;
		assert_true(c < 4);
		by_port[c] = x->ended[i].end;
	}
	assert_int_equal(by_port[0], PN_END_INPUT);
	assert_int_equal(by_port[1], PN_END_FIN);
	assert_int_equal(by_port[2], PN_END_RST);
	assert_int_equal(by_port[3], PN_END_INPUT);
	const struct pn_flow_counters *n = pn_flow_counters(x->t);
	assert_int_equal(n->created, 4);
	assert_int_equal(n->ended[PN_END_INPUT], 2);
	assert_int_equal(n->ended[PN_END_FIN], 1);
	assert_int_equal(n->ended[PN_END_RST], 1);
	assert_int_equal(n->ended[PN_END_IDLE], 0);
	assert_int_equal(n->ended[PN_END_EVICTED], 0);
	assert_int_equal(n->active, 0);
	assert_int_equal(n->peak, 4);
	/* Flushing an empty table ends nothing more. */
	pn_flow_flush(x->t);
	assert_int_equal(x->n_ended, 4);
}

/* max_flows 3: the least recently seen flow, of any transport, makes
 * room. */
static void test_evict_least_recent(void **state)
{
	struct fx *x = *state;
	x->cfg.max_flows = 3;
	open_table(x);
	struct pn_flow *a = feed(x, tcp4(C, 40001, S, 80, PN_TCP_SYN, 74), T0);
	feed(x, udp4(C, 40002, S, 443, 100), T0 + SEC);
	feed(x, sctp4(C, 40003, S, 443, PN_SCTP_CHUNK_INIT), T0 + 2 * SEC);
	assert_ptr_equal(
	    feed(x, tcp4(S, 80, C, 40001, PN_TCP_SYN | PN_TCP_ACK, 74),
		 T0 + 3 * SEC),
	    a);
	const struct pn_flow_counters *n = pn_flow_counters(x->t);
	assert_int_equal(n->active, 3);
	assert_int_equal(x->n_ended, 0);

	feed(x, dccp4(C, 40004, S, 9, PN_DCCP_REQUEST), T0 + 4 * SEC);
	assert_int_equal(x->n_ended, 1);
	assert_int_equal(x->ended[0].end, PN_END_EVICTED);
	assert_int_equal(x->ended[0].key.transport, PN_UDP);
	assert_int_equal(x->ended[0].key.port[0], 40002);
	assert_int_equal(n->created, 4);
	assert_int_equal(n->ended[PN_END_EVICTED], 1);
	assert_int_equal(n->active, 3);
	assert_int_equal(n->peak, 3);

	/* Next to go: the SCTP flow (2 s), then the TCP one (3 s). */
	feed(x, udp4(C, 40005, S, 443, 100), T0 + 5 * SEC);
	feed(x, udp4(C, 40006, S, 443, 100), T0 + 6 * SEC);
	assert_int_equal(x->n_ended, 3);
	assert_int_equal(x->ended[1].key.transport, PN_SCTP);
	assert_int_equal(x->ended[2].key.transport, PN_TCP);
	assert_int_equal(x->ended[2].packets[0] + x->ended[2].packets[1], 2);
	assert_int_equal(n->ended[PN_END_EVICTED], 3);
	pn_flow_flush(x->t);
	assert_int_equal(n->ended[PN_END_INPUT], 3);
	assert_int_equal(n->created, 6);
	assert_int_equal(n->active, 0);
	assert_int_equal(n->peak, 3);
}

static size_t heap_in_use(void)
{
#if defined(__GLIBC__) && defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 33)
	return mallinfo2().uordblks;
#else
	return 0;
#endif
#else
	return 0;
#endif
}

/* 10,000 flows through a table of 3: never more than 3 at once, and the
 * heap does not grow once the pool is warm. */
static void test_evict_bounded(void **state)
{
	struct fx *x = *state;
	x->cfg.max_flows = 3;
	open_table(x);
	const struct pn_flow_counters *n = pn_flow_counters(x->t);
	size_t warm = 0;
	for (unsigned i = 0; i < 10000; i++) {
		struct pn_packet p = udp4(C, (uint16_t)(10000 + i), S,
					  (uint16_t)(20000 + i % 7), 100);
		feed(x, p, T0 + i * MS);
		assert_true(n->active <= 3);
		if (i == 999)
			warm = heap_in_use();
	}
	assert_int_equal(heap_in_use(), warm);
	assert_int_equal(n->created, 10000);
	assert_int_equal(n->ended[PN_END_EVICTED], 9997);
	assert_int_equal(n->ended[PN_END_IDLE], 0);
	assert_int_equal(n->active, 3);
	assert_int_equal(n->peak, 3);
	assert_int_equal(x->n_ended, 9997);
	/* Oldest first. */
	assert_int_equal(x->ended[0].key.port[0], 10000);
	assert_int_equal(x->ended[KEEP - 1].key.port[0], 10000 + KEEP - 1);
	pn_flow_flush(x->t);
	assert_int_equal(n->ended[PN_END_INPUT], 3);
	assert_int_equal(n->active, 0);
	assert_int_equal(x->n_ended, 10000);
}

/* Every ended flow, in the order flows ended, and the thread that was
 * told. */
#define TRAIL 40000
struct trail {
	size_t n;
	uint64_t what[TRAIL];
	pthread_t told_on;
};

static void on_end_trail(void *ctx, const struct pn_flow *f)
{
	struct trail *tr = ctx;
	tr->told_on = pthread_self();
	if (tr->n < TRAIL)
		tr->what[tr->n] = (uint64_t)f->key.port[0] << 48 |
				  (uint64_t)f->key.port[1] << 32 |
				  (uint64_t)f->end << 24 |
				  (f->packets[0] + f->packets[1]);
	tr->n++;
}

/* UDP exchanges that go idle or are evicted, and TCP connections closed
 * by FIN or RST, pushed through a table of 500 flows. */
static void run_trail(bool end_thread, struct trail *tr)
{
	struct pn_flow_config cfg;
	pn_flow_config_init(&cfg);
	cfg.max_flows = 500;
	cfg.end_thread = end_thread;
	struct pn_flow_table *t =
	    pn_flow_table_create(&cfg, quirks, on_end_trail, tr);
	assert_non_null(t);
	for (unsigned i = 0; i < 30000; i++) {
		uint64_t ts = T0 + i * 10 * MS;
		struct pn_packet p;
		if (i % 7 == 0) {
			uint16_t port = (uint16_t)(30000 + i / 7 % 3000);
			uint8_t flags = i % 3 == 0   ? PN_TCP_SYN
					: i % 3 == 1 ? PN_TCP_FIN | PN_TCP_ACK
						     : PN_TCP_RST;
			p = tcp4(C, port, S, 443, flags, 60);
		} else {
			p = udp4(C, (uint16_t)(1024 + i % 5000), S, 53, 80);
		}
		pn_flow_push(t, &p, NULL, (pn_time_us)ts);
	}
	pn_flow_flush(t);
	/* After the flush every flow has been through on_end. */
	assert_int_equal(tr->n, pn_flow_counters(t)->created);
	pn_flow_table_destroy(t);
}

static void test_end_thread_same_flows_same_order(void **state)
{
	(void)state;
	struct trail *inline_end = calloc(1, sizeof *inline_end);
	struct trail *threaded = calloc(1, sizeof *threaded);
	assert_non_null(inline_end);
	assert_non_null(threaded);
	run_trail(false, inline_end);
	run_trail(true, threaded);
	assert_true(pthread_equal(inline_end->told_on, pthread_self()));
	assert_false(pthread_equal(threaded->told_on, pthread_self()));
	assert_true(inline_end->n > 10000);
	assert_int_equal(threaded->n, inline_end->n);
	size_t kept = inline_end->n < TRAIL ? inline_end->n : TRAIL;
	assert_memory_equal(threaded->what, inline_end->what,
			    kept * sizeof inline_end->what[0]);
	free(inline_end);
	free(threaded);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(pn_basis_name(PN_BASIS_HANDSHAKE), "handshake");
	assert_string_equal(pn_basis_name(PN_BASIS_REGISTRY), "registry");
	assert_string_equal(pn_basis_name(PN_BASIS_PORT_CLASS), "port-class");
	assert_string_equal(pn_basis_name(PN_BASIS_NONE), "none");
	assert_string_equal(pn_basis_name(PN_BASIS_COUNT), "?");
	assert_string_equal(pn_flow_end_name(PN_END_FIN), "fin");
	assert_string_equal(pn_flow_end_name(PN_END_RST), "rst");
	assert_string_equal(pn_flow_end_name(PN_END_IDLE), "idle");
	assert_string_equal(pn_flow_end_name(PN_END_EVICTED), "evicted");
	assert_string_equal(pn_flow_end_name(PN_END_INPUT), "end-of-input");
	assert_true(pn_flow_bytes_per_flow() >= sizeof(struct pn_flow));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_key_ipv4_both_directions),
	    T(test_end_thread_same_flows_same_order),
	    T(test_key_ipv6_both_directions),
	    T(test_key_ipv4_ipv6_never_collide),
	    T(test_key_vlan),
	    T(test_key_equal_addresses_order_by_port),
	    T(test_server_handshake_tcp),
	    T(test_server_handshake_sctp),
	    T(test_server_handshake_dccp),
	    T(test_server_registry),
	    T(test_server_port_class),
	    T(test_server_none),
	    T(test_server_handshake_corrects_guess),
	    T(test_server_handshake_sticks),
	    T(test_flags),
	    T(test_fin_after_linger),
	    T(test_half_close_stays_open),
	    T(test_rst),
	    T(test_syn_reopens_closed_flow),
	    T(test_time_backwards),
	    T(test_unknown_flags),
	    T(test_sctp_abort_and_shutdown_complete),
	    T(test_dccp_reset),
	    T(test_idle_udp_default),
	    T(test_idle_defaults_other_transports),
	    T(test_idle_configured),
	    T(test_idle_timeout_exact_between_sweeps),
	    T(test_flush),
	    T(test_time_zero_first_packet),
	    T(test_negative_times),
	    T(test_times_at_the_ends),
	    T(test_evict_least_recent),
	    T(test_evict_bounded),
	    T(test_names),
	};
	return cmocka_run_group_tests_name("flow", tests, group_setup,
					   group_teardown);
}
