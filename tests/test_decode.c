/* test_decode.c — decoder tests: one named packet per link type, transport
 * and extension header, a reason for every negative case, and sweeps over
 * every prefix and single-byte mutation of the valid packets.
 *
 * Each decode copies the packet into an exactly-sized heap buffer, so a
 * one-byte overread is an AddressSanitizer error, not a silent pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "portnote/decode.h"
#include "portnote/rd.h"

/* The registry's transport index is used as is (registry.h enum
 * pn_transport: tcp, udp, sctp, dccp). */
_Static_assert(PN_L4_TCP == 0 && PN_L4_UDP == 1 && PN_L4_SCTP == 2 &&
		   PN_L4_DCCP == 3 && PN_L4_NONE == 4,
	       "enum pn_l4 must mirror enum pn_transport");

/* Byte builders. */
#define B16(v) (uint8_t)((v) >> 8), (uint8_t)(v)
#define B32(v)                                                                 \
	(uint8_t)((v) >> 24), (uint8_t)((v) >> 16), (uint8_t)((v) >> 8),       \
	    (uint8_t)(v)

#define ETH(type) 0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, B16(type)
#define VLAN(tci, type) B16(tci), B16(type)

#define V4_SRC 192, 0, 2, 1
#define V4_DST 198, 51, 100, 2
/* IPv4 without options; len is the total length. */
#define IPV4_FRAG(len, proto, frag)                                            \
	0x45, 0x00, B16(len), 0x12, 0x34, B16(frag), 64, proto, 0x00, 0x00,    \
	    V4_SRC, V4_DST
#define IPV4(len, proto) IPV4_FRAG(len, proto, 0x4000) /* DF */
/* Inner IPv4 of a tunnel, 10.0.0.1 -> 10.0.0.2. */
#define IPV4_INNER(len, proto)                                                 \
	0x45, 0x00, B16(len), 0x00, 0x01, 0x00, 0x00, 64, proto, 0x00, 0x00,   \
	    10, 0, 0, 1, 10, 0, 0, 2

#define V6_SRC 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
#define V6_DST 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02
/* IPv6; plen is the payload length (extension headers included). */
#define IPV6(plen, next) 0x60, 0, 0, 0, B16(plen), next, 64, V6_SRC, V6_DST

#define TCP(sport, dport, flags)                                               \
	B16(sport), B16(dport), B32(1000), B32(0), 0x50, flags, B16(65535), 0, \
	    0, 0, 0
#define UDP(sport, dport, len) B16(sport), B16(dport), B16(len), 0, 0

/* IPv6 extension headers, 8 octets unless noted. */
#define HOPOPTS(next) next, 0, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00
#define DSTOPTS(next) next, 0, 0x01, 0x04, 0, 0, 0, 0
#define ROUTING(next) next, 2, 4, 0, 0, 0, 0, 0, V6_DST /* 24 octets */
#define FRAGHDR(next, offset, more) next, 0, B16((offset) << 3 | (more)), B32(7)
#define AH(next)                                                               \
	next, 4, 0, 0, B32(0x100), B32(1), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,    \
	    0 /* 24 octets */

static const uint8_t v4_src_mapped[16] = {0, 0, 0, 0,	 0,    0,     0,
					  0, 0, 0, 0xff, 0xff, V4_SRC};
static const uint8_t v4_dst_mapped[16] = {0, 0, 0, 0,	 0,    0,     0,
					  0, 0, 0, 0xff, 0xff, V4_DST};
static const uint8_t inner_src_mapped[16] = {0, 0, 0,	 0,    0,  0, 0, 0,
					     0, 0, 0xff, 0xff, 10, 0, 0, 1};
static const uint8_t v6_src[16] = {V6_SRC};
static const uint8_t v6_dst[16] = {V6_DST};

/* ---- Packets ---------------------------------------------------------- */

/* Ethernet, IPv4, TCP SYN with ECE|CWR (ECN setup, RFC 3168 section 6.1.1),
 * 192.0.2.1:49152 -> 198.51.100.2:443. */
static const uint8_t eth_ipv4_tcp_syn[] = {
    ETH(0x0800),
    IPV4(20 + 20, 6),
    TCP(49152, 443, PN_TCP_SYN | PN_TCP_ECE | PN_TCP_CWR),
};

/* Ethernet, IPv4, TCP with a 4-byte MSS option and 4 payload bytes, then 2
 * bytes of Ethernet trailer that are not payload. */
static const uint8_t eth_ipv4_tcp_opts_trailer[] = {
    ETH(0x0800), IPV4(20 + 24 + 4, 6),
    B16(49153),	 B16(80),
    B32(1),	 B32(2),
    0x60,	 PN_TCP_ACK | PN_TCP_PSH,
    B16(512),	 0,
    0,		 0,
    0,		 0x02,
    0x04,	 0x05,
    0xb4,	 'G',
    'E',	 'T',
    ' ',	 0xee,
    0xee,
};

/* Ethernet, IPv4 with IHL 6 (router alert option, RFC 2113), UDP to 53. */
static const uint8_t eth_ipv4_options_udp[] = {
    ETH(0x0800),
    0x46,
    0x00,
    B16(24 + 8 + 4),
    0x12,
    0x34,
    0x00,
    0x00,
    64,
    17,
    0,
    0,
    V4_SRC,
    V4_DST,
    0x94,
    0x04,
    0x00,
    0x00,
    UDP(5353, 53, 8 + 4),
    1,
    2,
    3,
    4,
};

/* IPv4 first fragment (MF, offset 0): the UDP length (1008) covers later
 * fragments, which is legal. */
static const uint8_t eth_ipv4_frag_first[] = {
    ETH(0x0800),
    IPV4_FRAG(20 + 8 + 16, 17, 0x2000),
    UDP(40000, 4789, 1008),
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
};

/* IPv4 later fragment (offset 185 * 8): bytes that look like a UDP header
 * must not become ports. */
static const uint8_t eth_ipv4_frag_later[] = {
    ETH(0x0800),
    IPV4_FRAG(20 + 16, 17, 185),
    UDP(1111, 2222, 16),
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
};

/* IPv4 ICMP echo request: no ports, counted by protocol number. */
static const uint8_t eth_ipv4_icmp[] = {
    ETH(0x0800), IPV4(20 + 8, 1), 8, 0, 0, 0, 0, 1, 0, 1,
};

/* IPv4 total length 0, as Linux captures TSO sends. */
static const uint8_t eth_ipv4_tso_tcp[] = {
    ETH(0x0800), IPV4(0, 6), TCP(50000, 22, PN_TCP_ACK), 'x', 'y',
};

/* 802.1ad S-tag 100, 802.1Q C-tag 200, IPv4 UDP (QinQ). */
static const uint8_t eth_qinq_udp[] = {
    ETH(0x88a8),      VLAN(0x2064, 0x8100), VLAN(0x00c8, 0x0800),
    IPV4(20 + 8, 17), UDP(1234, 161, 8),
};

/* Three tags, old-style 0x9100 first: all counted, two kept. */
static const uint8_t eth_3tags_tcp[] = {
    ETH(0x9100),      VLAN(10, 0x88a8), VLAN(20, 0x8100),
    VLAN(30, 0x0800), IPV4(20 + 20, 6), TCP(1025, 25, PN_TCP_SYN),
};

/* Linux cooked v1, IPv4 TCP. */
static const uint8_t sll_ipv4_tcp[] = {
    B16(0),
    B16(1),
    B16(6),
    0x02,
    0,
    0,
    0,
    0,
    0x01,
    0,
    0,
    B16(0x0800),
    IPV4(20 + 20, 6),
    TCP(33000, 8080, PN_TCP_SYN | PN_TCP_ACK),
};

/* Linux cooked v2, IPv6 UDP. */
static const uint8_t sll2_ipv6_udp[] = {
    B16(0x86dd),
    0,
    0,
    B32(2),
    B16(1),
    4,
    6,
    0x02,
    0,
    0,
    0,
    0,
    0x01,
    0,
    0,
    IPV6(8 + 2, 17),
    UDP(546, 547, 10),
    0xab,
    0xcd,
};

/* BSD loopback, AF_INET written by a little-endian host. */
static const uint8_t null_le_ipv4_udp[] = {
    2, 0, 0, 0, IPV4(20 + 8, 17), UDP(5000, 514, 8),
};

/* BSD loopback, AF_INET written by a big-endian host. */
static const uint8_t null_be_ipv4_udp[] = {
    0, 0, 0, 2, IPV4(20 + 8, 17), UDP(5000, 514, 8),
};

/* BSD loopback, AF_INET6 = 30 (Darwin), little-endian. */
static const uint8_t null_le_darwin_ipv6_tcp[] = {
    30, 0, 0, 0, IPV6(20, 6), TCP(40001, 631, PN_TCP_SYN),
};

/* BSD loopback, AF_INET6 = 28 (FreeBSD), big-endian. */
static const uint8_t null_be_freebsd_ipv6_tcp[] = {
    0, 0, 0, 28, IPV6(20, 6), TCP(40002, 5432, PN_TCP_SYN),
};

/* OpenBSD loopback: AF_INET6 = 24 in network order. */
static const uint8_t loop_ipv6_tcp[] = {
    0, 0, 0, 24, IPV6(20, 6), TCP(40003, 3306, PN_TCP_SYN),
};

/* Raw IPv4 UDP (DLT_RAW, LINKTYPE_RAW, LINKTYPE_IPV4). */
static const uint8_t raw_ipv4_udp[] = {
    IPV4(20 + 8 + 1, 17),
    UDP(40004, 123, 9),
    0x1b,
};

/* Raw IPv6 TCP (DLT_RAW, LINKTYPE_IPV6). */
static const uint8_t raw_ipv6_tcp[] = {
    IPV6(20, 6),
    TCP(40005, 443, PN_TCP_SYN),
};

/* IPv6 ICMPv6 echo request. */
static const uint8_t raw_ipv6_icmp6[] = {
    IPV6(8, 58), 128, 0, 0, 0, 0, 1, 0, 1,
};

/* IPv6 hop-by-hop (router alert), TCP. */
static const uint8_t ipv6_hopopts_tcp[] = {
    IPV6(8 + 20, 0),
    HOPOPTS(6),
    TCP(40006, 179, PN_TCP_SYN),
};

/* IPv6 routing header (segment routing, one segment), UDP. */
static const uint8_t ipv6_routing_udp[] = {
    IPV6(24 + 8, 43),
    ROUTING(17),
    UDP(40007, 4500, 8),
};

/* IPv6 first fragment (offset 0, M), UDP with the whole datagram's length. */
static const uint8_t ipv6_frag_first_udp[] = {
    IPV6(8 + 8 + 4, 44), FRAGHDR(17, 0, 1), UDP(40008, 53, 3000), 1, 2, 3, 4,
};

/* IPv6 later fragment (offset 1448 bytes = 181 units): no ports. */
static const uint8_t ipv6_frag_later[] = {
    IPV6(8 + 8, 44),
    FRAGHDR(17, 181, 0),
    UDP(7777, 8888, 8),
};

/* IPv6 destination options, TCP. */
static const uint8_t ipv6_dstopts_tcp[] = {
    IPV6(8 + 20, 60),
    DSTOPTS(6),
    TCP(40009, 993, PN_TCP_SYN),
};

/* IPv6 AH (payload length 4: 24 octets), TCP. */
static const uint8_t ipv6_ah_tcp[] = {
    IPV6(24 + 20, 51),
    AH(6),
    TCP(40010, 500, PN_TCP_ACK),
};

/* IPv6 ESP: the walk stops; ports are encrypted. */
static const uint8_t ipv6_esp[] = {
    IPV6(16, 50), B32(0x1001), B32(1), 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0,
};

/* IPv6 hop-by-hop, then no next header (59). */
static const uint8_t ipv6_hopopts_nonext[] = {
    IPV6(8, 0),
    HOPOPTS(59),
};

/* IPv6 with every walked header: HBH, DST, RT, atomic fragment, AH, DST,
 * then TCP. */
static const uint8_t ipv6_ext_chain_tcp[] = {
    IPV6(8 + 8 + 24 + 8 + 24 + 8 + 20, 0),
    HOPOPTS(60),
    DSTOPTS(43),
    ROUTING(44),
    FRAGHDR(51, 0, 0),
    AH(60),
    DSTOPTS(6),
    TCP(40011, 22, PN_TCP_SYN),
};

/* IPv6 UDP-Lite (protocol 136), checksum coverage 8 (header only). */
static const uint8_t ipv6_udplite[] = {
    IPV6(8 + 6, 136), UDP(40012, 5004, 8), 1, 2, 3, 4, 5, 6,
};

/* IPv4 UDP-Lite, coverage 0 (whole datagram). */
static const uint8_t ipv4_udplite_cov0[] = {
    IPV4(20 + 8 + 2, 136),
    UDP(40013, 5005, 0),
    1,
    2,
};

/* Ethernet, IPv4, SCTP INIT (RFC 9260 section 3.3.2), 20-byte chunk. */
static const uint8_t eth_ipv4_sctp_init[] = {
    ETH(0x0800), IPV4(20 + 12 + 20, 132),
    B16(40014),	 B16(3868),
    B32(0),	 B32(0x12345678),
    1,		 0,
    B16(20),	 B32(0xcafe),
    B32(65536),	 B16(10),
    B16(10),	 B32(1),
};

/* IPv6 SCTP DATA chunk (type 0), then padding to 4 octets. */
static const uint8_t ipv6_sctp_data[] = {
    IPV6(12 + 20, 132),
    B16(3868),
    B16(40014),
    B32(0xcafe),
    B32(0),
    0,
    3,
    B16(19),
    B32(1),
    B16(0),
    B16(0),
    B32(46),
    'a',
    'b',
    'c',
    0,
};

/* DCCP-Request, X = 1 (48-bit sequence), service code "DISC" (RFC 4340
 * section 5.2; 0x44495343 = 1145656131). */
static const uint8_t eth_ipv4_dccp_request[] = {
    ETH(0x0800),
    IPV4(20 + 20, 33),
    B16(40015),
    B16(5001),
    5,
    0x00,
    0,
    0,
    (PN_DCCP_REQUEST << 1) | 1,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    'D',
    'I',
    'S',
    'C',
};

/* DCCP-Response, X = 1: acknowledgement subheader, then "DISC". */
static const uint8_t ipv6_dccp_response[] = {
    IPV6(28, 33),
    B16(5001),
    B16(40015),
    7,
    0x00,
    0,
    0,
    (PN_DCCP_RESPONSE << 1) | 1,
    0,
    0,
    0,
    0,
    0,
    0,
    9,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    'D',
    'I',
    'S',
    'C',
};

/* DCCP-Data, X = 0 (24-bit sequence), 4 payload bytes. */
static const uint8_t ipv4_dccp_data_short[] = {
    IPV4(20 + 12 + 4, 33),
    B16(40016),
    B16(5002),
    3,
    0x00,
    0,
    0,
    2 << 1,
    0,
    0,
    42,
    'd',
    'a',
    't',
    'a',
};

/* GRE (RFC 2890 key) carrying IPv4 UDP. */
static const uint8_t eth_gre_key_ipv4_udp[] = {
    ETH(0x0800), IPV4(20 + 8 + 28, 47),	 B16(0x2000),	      B16(0x0800),
    B32(42),	 IPV4_INNER(20 + 8, 17), UDP(40017, 1812, 8),
};

/* GRE with checksum, key and sequence number, over IPv6, carrying IPv6
 * TCP. */
static const uint8_t ipv6_gre_cks_ipv6_tcp[] = {
    IPV6(16 + 60, 47),
    B16(0xb000),
    B16(0x86dd),
    0,
    0,
    0,
    0,
    B32(7),
    B32(1),
    IPV6(20, 6),
    TCP(40018, 389, PN_TCP_SYN),
};

/* GRE transparent Ethernet bridging (0x6558) carrying a VLAN-tagged
 * Ethernet frame with IPv4 TCP. */
static const uint8_t eth_gre_teb_tcp[] = {
    ETH(0x0800),
    IPV4(20 + 4 + 18 + 40, 47),
    B16(0),
    B16(0x6558),
    ETH(0x8100),
    VLAN(300, 0x0800),
    IPV4_INNER(40, 6),
    TCP(40019, 445, PN_TCP_SYN),
};

/* IPv4 in IPv4 (protocol 4), inner TCP. */
static const uint8_t ipip_tcp[] = {
    IPV4(20 + 40, 4),
    IPV4_INNER(40, 6),
    TCP(40020, 2049, PN_TCP_SYN),
};

/* IPv6 in IPv4 (protocol 41, 6in4), inner UDP. */
static const uint8_t sixin4_udp[] = {
    ETH(0x0800),
    IPV4(20 + 48, 41),
    IPV6(8, 17),
    UDP(40021, 443, 8),
};

/* IPv4 in IPv4 in IPv4: the second level is not followed. */
static const uint8_t ipip_ipip_tcp[] = {
    IPV4(20 + 60, 4),
    IPV4_INNER(60, 4),
    IPV4_INNER(40, 6),
    TCP(40022, 80, PN_TCP_SYN),
};

/* ---- Link encapsulations and non-IP frames ----------------------------- */

/* PPPoE session header (RFC 2516 section 4): ver/type 0x11, code 0, session,
 * length of the PPPoE payload (PPP protocol included). */
#define PPPOE(session, len) 0x11, 0x00, B16(session), B16(len)
/* MPLS label stack entry (RFC 3032 section 2.1): label, TC 0, S, TTL. */
#define MPLS(label, s) B32((uint32_t)(label) << 12 | (s) << 8 | 64)

/* PPPoE session 0x0011, PPP IPv4, TCP SYN to 80. */
static const uint8_t eth_pppoe_ipv4_tcp[] = {
    ETH(0x8864),      PPPOE(0x0011, 2 + 40),	  B16(0x0021),
    IPV4(20 + 20, 6), TCP(40100, 80, PN_TCP_SYN),
};

/* PPPoE, PPP IPv6, UDP to 53 with 2 payload bytes. */
static const uint8_t eth_pppoe_ipv6_udp[] = {
    ETH(0x8864),
    PPPOE(0x0012, 2 + 40 + 10),
    B16(0x0057),
    IPV6(8 + 2, 17),
    UDP(40101, 53, 10),
    0xab,
    0xcd,
};

/* An 802.1Q tag, then PPPoE carrying IPv4 UDP, then 4 bytes of Ethernet
 * padding that the PPPoE length leaves out. */
static const uint8_t eth_vlan_pppoe_udp[] = {
    ETH(0x8100),
    VLAN(42, 0x8864),
    PPPOE(0x0013, 2 + 28 + 1),
    B16(0x0021),
    IPV4(20 + 8 + 1, 17),
    UDP(40102, 123, 9),
    0x1b,
    0,
    0,
    0,
    0,
};

/* PPPoE with a compressed (1-byte) PPP protocol field, RFC 1661 section
 * 6.5: 0x21 is IPv4. */
static const uint8_t eth_pppoe_pfc_udp[] = {
    ETH(0x8864),      PPPOE(0x0014, 1 + 28), 0x21,
    IPV4(20 + 8, 17), UDP(40103, 514, 8),
};

/* PPPoE LCP Echo-Request (RFC 1661 section 5.8): code 9, id 1, length 8,
 * magic number. */
static const uint8_t eth_pppoe_lcp[] = {
    ETH(0x8864), PPPOE(0x0011, 2 + 8), B16(0xc021), 9, 1,
    B16(8),	 B32(0x01020304),
};

/* PPPoE Discovery PADI (RFC 2516 section 5.1): code 0x09, session 0, one
 * Service-Name tag of length 0. */
static const uint8_t eth_pppoe_padi[] = {
    ETH(0x8863), 0x11, 0x09, B16(0), B16(4), B16(0x0101), B16(0),
};

/* One MPLS label (16), then IPv4 UDP. */
static const uint8_t eth_mpls1_ipv4_udp[] = {
    ETH(0x8847),
    MPLS(16, 1),
    IPV4(20 + 8, 17),
    UDP(40104, 4789, 8),
};

/* Three labels (100, 200, 300), then IPv6 TCP. */
static const uint8_t eth_mpls3_ipv6_tcp[] = {
    ETH(0x8847),  MPLS(100, 0), MPLS(200, 0),
    MPLS(300, 1), IPV6(20, 6),	TCP(40105, 179, PN_TCP_SYN),
};

/* An Ethernet pseudowire (RFC 4448): label, control word 0, then a whole
 * Ethernet frame, which portnote does not follow. */
static const uint8_t eth_mpls_pw_eth[] = {
    ETH(0x8847), MPLS(1000, 1),	   B32(0),
    ETH(0x0800), IPV4(20 + 8, 17), UDP(40106, 53, 8),
};

/* ARP request (RFC 826), padded to the Ethernet minimum. */
static const uint8_t eth_arp[] = {
    ETH(0x0806), B16(1), B16(0x0800), 6, 4, B16(1), 0x02, 0,	  0, 0, 0, 1,
    V4_SRC,	 0,	 0,	      0, 0, 0,	    0,	  V4_DST, 0, 0, 0, 0,
    0,		 0,	 0,	      0, 0, 0,	    0,	  0,	  0, 0,
};

/* LLDP (IEEE 802.1AB): chassis id, port id, TTL, end TLVs. */
static const uint8_t eth_lldp[] = {
    ETH(0x88cc), B16(0x0207), 4, 0x02, 0,   0,		 0,	   0,
    0x01,	 B16(0x0403), 5, 'p',  '1', B16(0x0602), B16(120), B16(0),
};

/* An 802.3 frame: length 38, LLC 42/42/03, STP configuration BPDU, then
 * padding to 60 bytes. */
static const uint8_t eth_stp[] = {
    0x01,
    0x80,
    0xc2,
    0,
    0,
    0,
    0x02,
    0,
    0,
    0,
    0,
    0x02,
    B16(38),
    0x42,
    0x42,
    0x03,
    B16(0),
    0,
    0,
    0,
    B16(0x8000),
    0x02,
    0,
    0,
    0,
    0,
    0x02,
    B32(0),
    B16(0x8000),
    0x02,
    0,
    0,
    0,
    0,
    0x02,
    B16(0x8001),
    B16(0),
    B16(20 * 256),
    B16(2 * 256),
    B16(15 * 256),
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
};

/* 802.3 + LLC/SNAP, Cisco OUI, protocol 0x2000: CDP. */
static const uint8_t eth_cdp[] = {
    0x01, 0x00, 0x0c, 0xcc,	   0xcc,       0xcc, 0x02,   0,
    0,	  0,	0,    0x02,	   B16(8 + 4), 0xaa, 0xaa,   0x03,
    0x00, 0x00, 0x0c, B16(0x2000), 2,	       180,  B16(0),
};

/* 802.3 + LLC/SNAP with OUI 0 (RFC 1042): the protocol id is the IPv4
 * ethertype, followed to UDP. */
static const uint8_t eth_snap_ipv4_udp[] = {
    ETH(8 + 28),
    0xaa,
    0xaa,
    0x03,
    0,
    0,
    0,
    B16(0x0800),
    IPV4(20 + 8, 17),
    UDP(40107, 161, 8),
};

/* Linux cooked v1 carrying ARP. */
static const uint8_t sll_arp[] = {
    B16(0), B16(1), B16(6),	 0x02,	 0,	      0, 0, 0,	    0x01,
    0,	    0,	    B16(0x0806), B16(1), B16(0x0800), 6, 4, B16(1),
};

/* Linux cooked v1, protocol 4: an 802.2 LLC frame (STP). */
static const uint8_t sll_llc_stp[] = {
    B16(0), B16(1), B16(6),	 0x02, 0,    0,	   0,	   0, 0x01,
    0,	    0,	    B16(0x0004), 0x42, 0x42, 0x03, B16(0), 0,
};

/* Linux cooked v2 carrying PPPoE, IPv4 TCP. */
static const uint8_t sll2_pppoe_tcp[] = {
    B16(0x8864),
    0,
    0,
    B32(2),
    B16(1),
    4,
    6,
    0x02,
    0,
    0,
    0,
    0,
    0x01,
    0,
    0,
    PPPOE(0x0021, 2 + 40),
    B16(0x0021),
    IPV4(20 + 20, 6),
    TCP(40108, 443, PN_TCP_SYN),
};

/* Linux cooked v1 carrying MPLS, IPv4 UDP. */
static const uint8_t sll_mpls_udp[] = {
    B16(0),
    B16(1),
    B16(6),
    0x02,
    0,
    0,
    0,
    0,
    0x01,
    0,
    0,
    B16(0x8847),
    MPLS(17, 1),
    IPV4(20 + 8, 17),
    UDP(40109, 53, 8),
};

/* ---- Helpers ---------------------------------------------------------- */

/* Decodes from an exactly-sized copy so ASan sees any overread. */
static enum pn_decode_status decode_wire(int linktype, const uint8_t *bytes,
					 size_t caplen, size_t wirelen,
					 struct pn_packet *out)
{
	uint8_t *copy = malloc(caplen ? caplen : 1);
	enum pn_decode_status st;

	assert_non_null(copy);
	if (caplen)
		memcpy(copy, bytes, caplen);
	st = pn_decode_packet(linktype, copy, (uint32_t)caplen,
			      (uint32_t)wirelen, out);
	free(copy);
	assert_int_equal(st, out->status);
	return st;
}

static enum pn_decode_status decode(int linktype, const uint8_t *bytes,
				    size_t len, struct pn_packet *out)
{
	return decode_wire(linktype, bytes, len, len, out);
}

static void assert_ok_ports(const struct pn_packet *p, enum pn_l4 l4,
			    uint16_t sport, uint16_t dport)
{
	assert_int_equal(p->status, PN_OK);
	assert_int_equal(p->reason, PN_R_NONE);
	assert_int_equal(p->l4, l4);
	assert_int_equal(p->sport, sport);
	assert_int_equal(p->dport, dport);
}

/* Decoded with ports, and exactly this warning. */
static void assert_warned(const struct pn_packet *p, enum pn_l4 l4,
			  uint16_t sport, uint16_t dport, const char *warning)
{
	assert_ok_ports(p, l4, sport, dport);
	for (int w = 0; w < PN_W_COUNT; w++)
		if (p->warnings & (1u << w))
			assert_string_equal(pn_decode_warning_name(w), warning);
	assert_int_not_equal(p->warnings, 0);
}

static void assert_reason(const struct pn_packet *p,
			  enum pn_decode_status status, const char *reason)
{
	assert_string_equal(pn_decode_status_name(p->status),
			    pn_decode_status_name(status));
	assert_string_equal(pn_decode_reason_name(p->reason), reason);
	assert_int_equal(p->l4, PN_L4_NONE);
	assert_int_equal(p->sport, 0);
	assert_int_equal(p->dport, 0);
}

/* Decodes a mutable copy after `edit` changed it; for negative tests built
 * from a valid packet. */
#define DECODE_EDITED(lt, pkt, out, ...)                                       \
	do {                                                                   \
		uint8_t buf_[sizeof(pkt)];                                     \
		memcpy(buf_, pkt, sizeof(pkt));                                \
		__VA_ARGS__;                                                   \
		decode(lt, buf_, sizeof(buf_), out);                           \
	} while (0)

#define ETH_IP 14 /* IPv4 header offset behind Ethernet */

/* ---- Link layers ------------------------------------------------------ */

static void test_ethernet_tcp_syn(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn, sizeof eth_ipv4_tcp_syn,
	       &p);
	assert_ok_ports(&p, PN_L4_TCP, 49152, 443);
	assert_int_equal(p.linktype, PN_LINKTYPE_ETHERNET);
	assert_int_equal(p.ethertype, 0x0800);
	assert_int_equal(p.vlan_count, 0);
	assert_int_equal(p.tunnel, PN_TUNNEL_NONE);
	assert_int_equal(p.ip_version, 4);
	assert_int_equal(p.ip_proto, 6);
	assert_int_equal(p.ip_off, 14);
	assert_int_equal(p.l4_off, 34);
	assert_memory_equal(p.src, v4_src_mapped, 16);
	assert_memory_equal(p.dst, v4_dst_mapped, 16);
	assert_int_equal(p.tcp_flags, PN_TCP_SYN | PN_TCP_ECE | PN_TCP_CWR);
	assert_int_equal(p.payload_off, 54);
	assert_int_equal(p.payload_len, 0);
	assert_int_equal(p.caplen, sizeof eth_ipv4_tcp_syn);
	assert_int_equal(p.wirelen, sizeof eth_ipv4_tcp_syn);
	assert_false(p.first_fragment);
	assert_false(p.udplite);
}

static void test_ethernet_trailer_not_payload(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_opts_trailer,
	       sizeof eth_ipv4_tcp_opts_trailer, &p);
	assert_ok_ports(&p, PN_L4_TCP, 49153, 80);
	assert_int_equal(p.payload_off, 14 + 20 + 24);
	assert_int_equal(p.payload_len, 4);
	assert_memory_equal(eth_ipv4_tcp_opts_trailer + p.payload_off, "GET ",
			    4);
}

static void test_qinq(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_ETHERNET, eth_qinq_udp, sizeof eth_qinq_udp, &p);
	assert_ok_ports(&p, PN_L4_UDP, 1234, 161);
	assert_int_equal(p.vlan_count, 2);
	assert_int_equal(p.vlan[0], 100); /* priority bits masked off */
	assert_int_equal(p.vlan[1], 200);
	assert_int_equal(p.ip_off, 22);
}

static void test_three_tags_counted(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_ETHERNET, eth_3tags_tcp, sizeof eth_3tags_tcp, &p);
	assert_ok_ports(&p, PN_L4_TCP, 1025, 25);
	assert_int_equal(p.vlan_count, 3);
	assert_int_equal(p.vlan[0], 10);
	assert_int_equal(p.vlan[1], 20);
}

static void test_vlan_depth(void **state)
{
	/* PN_VLAN_MAX_TAGS + 1 tags: the loop gives up. */
	static const uint8_t deep[] = {
	    ETH(0x8100),     VLAN(1, 0x8100), VLAN(2, 0x8100),	VLAN(3, 0x8100),
	    VLAN(4, 0x8100), VLAN(5, 0x8100), VLAN(6, 0x8100),	VLAN(7, 0x8100),
	    VLAN(8, 0x8100), VLAN(9, 0x0800), IPV4(20 + 8, 17), UDP(1, 2, 8),
	};
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_ETHERNET, deep, sizeof deep, &p);
	assert_reason(&p, PN_UNSUPPORTED, "vlan-depth");
	assert_int_equal(p.vlan_count, PN_VLAN_MAX_TAGS);
}

static void test_sll(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_LINUX_SLL, sll_ipv4_tcp, sizeof sll_ipv4_tcp, &p);
	assert_ok_ports(&p, PN_L4_TCP, 33000, 8080);
	assert_int_equal(p.ip_off, 16);
	assert_int_equal(p.tcp_flags, PN_TCP_SYN | PN_TCP_ACK);
}

static void test_sll2(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_LINUX_SLL2, sll2_ipv6_udp, sizeof sll2_ipv6_udp, &p);
	assert_ok_ports(&p, PN_L4_UDP, 546, 547);
	assert_int_equal(p.ip_version, 6);
	assert_int_equal(p.ip_off, 20);
	assert_memory_equal(p.src, v6_src, 16);
	assert_memory_equal(p.dst, v6_dst, 16);
	assert_int_equal(p.payload_len, 2);
}

static void test_null_both_byte_orders(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_NULL, null_le_ipv4_udp, sizeof null_le_ipv4_udp, &p);
	assert_ok_ports(&p, PN_L4_UDP, 5000, 514);
	assert_int_equal(p.ip_version, 4);
	decode(PN_LINKTYPE_NULL, null_be_ipv4_udp, sizeof null_be_ipv4_udp, &p);
	assert_ok_ports(&p, PN_L4_UDP, 5000, 514);
	decode(PN_LINKTYPE_NULL, null_le_darwin_ipv6_tcp,
	       sizeof null_le_darwin_ipv6_tcp, &p);
	assert_ok_ports(&p, PN_L4_TCP, 40001, 631);
	assert_int_equal(p.ip_version, 6);
	decode(PN_LINKTYPE_NULL, null_be_freebsd_ipv6_tcp,
	       sizeof null_be_freebsd_ipv6_tcp, &p);
	assert_ok_ports(&p, PN_L4_TCP, 40002, 5432);
}

static void test_null_linux_af_inet6(void **state)
{
	struct pn_packet p;
	(void)state;

	/* AF_INET6 = 10 (Linux), little-endian. */
	DECODE_EDITED(PN_LINKTYPE_NULL, null_le_darwin_ipv6_tcp, &p,
		      buf_[0] = 10);
	assert_ok_ports(&p, PN_L4_TCP, 40001, 631);
	/* AF_INET6 = 24 (NetBSD/OpenBSD), big-endian. */
	DECODE_EDITED(PN_LINKTYPE_NULL, null_be_freebsd_ipv6_tcp, &p,
		      buf_[3] = 24);
	assert_ok_ports(&p, PN_L4_TCP, 40002, 5432);
}

static void test_null_unknown_family(void **state)
{
	struct pn_packet p;
	(void)state;

	/* AF 7 (OSI on BSD). */
	DECODE_EDITED(PN_LINKTYPE_NULL, null_le_ipv4_udp, &p, buf_[0] = 7);
	assert_reason(&p, PN_UNSUPPORTED, "unsupported-family");
}

static void test_loop(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_LOOP, loop_ipv6_tcp, sizeof loop_ipv6_tcp, &p);
	assert_ok_ports(&p, PN_L4_TCP, 40003, 3306);
	assert_int_equal(p.ip_version, 6);
	/* LOOP is network order only: a little-endian family is not 2. */
	decode(PN_LINKTYPE_LOOP, null_le_ipv4_udp, sizeof null_le_ipv4_udp, &p);
	assert_reason(&p, PN_UNSUPPORTED, "unsupported-family");
	decode(PN_LINKTYPE_LOOP, null_be_ipv4_udp, sizeof null_be_ipv4_udp, &p);
	assert_ok_ports(&p, PN_L4_UDP, 5000, 514);
}

static void test_raw_link_types(void **state)
{
	static const int v4_types[] = {PN_LINKTYPE_DLT_RAW,
				       PN_LINKTYPE_DLT_RAW_BSD, PN_LINKTYPE_RAW,
				       PN_LINKTYPE_IPV4};
	static const int v6_types[] = {PN_LINKTYPE_DLT_RAW,
				       PN_LINKTYPE_DLT_RAW_BSD, PN_LINKTYPE_RAW,
				       PN_LINKTYPE_IPV6};
	struct pn_packet p;
	(void)state;

	for (size_t i = 0; i < sizeof v4_types / sizeof v4_types[0]; i++) {
		decode(v4_types[i], raw_ipv4_udp, sizeof raw_ipv4_udp, &p);
		assert_ok_ports(&p, PN_L4_UDP, 40004, 123);
		assert_int_equal(p.ip_off, 0);
		assert_int_equal(p.payload_len, 1);
	}
	for (size_t i = 0; i < sizeof v6_types / sizeof v6_types[0]; i++) {
		decode(v6_types[i], raw_ipv6_tcp, sizeof raw_ipv6_tcp, &p);
		assert_ok_ports(&p, PN_L4_TCP, 40005, 443);
	}
}

static void test_raw_bad_version(void **state)
{
	struct pn_packet p;
	(void)state;

	DECODE_EDITED(PN_LINKTYPE_RAW, raw_ipv4_udp, &p, buf_[0] = 0x55);
	assert_reason(&p, PN_MALFORMED, "bad-ip-version");
	/* The link type promises IPv4; the header is IPv6. */
	decode(PN_LINKTYPE_IPV4, raw_ipv6_tcp, sizeof raw_ipv6_tcp, &p);
	assert_reason(&p, PN_MALFORMED, "bad-ip-version");
	decode(PN_LINKTYPE_IPV6, raw_ipv4_udp, sizeof raw_ipv4_udp, &p);
	assert_reason(&p, PN_MALFORMED, "bad-ip-version");
	/* An IPv6 header behind the IPv4 ethertype. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn, &p,
		      buf_[ETH_IP] = 0x65);
	assert_reason(&p, PN_MALFORMED, "bad-ip-version");
}

static void test_unsupported_link_and_ethertype(void **state)
{
	static const uint8_t local[] = {ETH(0x88b5), 0, 1, 8, 0, 6, 4, 0, 1};
	struct pn_packet p;
	(void)state;

	decode(147 /* LINKTYPE_USER0 */, eth_ipv4_tcp_syn,
	       sizeof eth_ipv4_tcp_syn, &p);
	assert_reason(&p, PN_UNSUPPORTED, "unsupported-link");
	assert_string_equal(pn_decode_reason_counter(p.reason),
			    "link.unsupported");
	/* IEEE 802 local experimental ethertype 1. */
	decode(PN_LINKTYPE_ETHERNET, local, sizeof local, &p);
	assert_reason(&p, PN_UNSUPPORTED, "unsupported-ethertype");
	assert_int_equal(p.ethertype, 0x88b5);
	assert_int_equal(p.nonip, PN_NONIP_NONE);
	/* Between the largest 802.3 length (1500) and the first ethertype
	 * (0x0600): neither. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn, &p,
		      buf_[12] = 0x05, buf_[13] = 0xff);
	assert_reason(&p, PN_UNSUPPORTED, "unsupported-ethertype");
	assert_int_equal(p.ethertype, 0x05ff);
}

static void test_link_truncation_reasons(void **state)
{
	struct pn_packet p;
	(void)state;

	decode_wire(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn, 10,
		    sizeof eth_ipv4_tcp_syn, &p);
	assert_reason(&p, PN_TRUNCATED, "truncated-eth");
	/* The wire itself was shorter than an Ethernet header. */
	decode(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn, 10, &p);
	assert_reason(&p, PN_MALFORMED, "short-eth");
	decode_wire(PN_LINKTYPE_ETHERNET, eth_qinq_udp, 16, sizeof eth_qinq_udp,
		    &p);
	assert_reason(&p, PN_TRUNCATED, "truncated-vlan");
	decode_wire(PN_LINKTYPE_LINUX_SLL, sll_ipv4_tcp, 15,
		    sizeof sll_ipv4_tcp, &p);
	assert_reason(&p, PN_TRUNCATED, "truncated-sll");
	decode_wire(PN_LINKTYPE_LINUX_SLL2, sll2_ipv6_udp, 19,
		    sizeof sll2_ipv6_udp, &p);
	assert_reason(&p, PN_TRUNCATED, "truncated-sll2");
	decode_wire(PN_LINKTYPE_NULL, null_le_ipv4_udp, 3,
		    sizeof null_le_ipv4_udp, &p);
	assert_reason(&p, PN_TRUNCATED, "truncated-null");
	decode_wire(PN_LINKTYPE_RAW, raw_ipv4_udp, 0, sizeof raw_ipv4_udp, &p);
	assert_reason(&p, PN_TRUNCATED, "truncated-ipv4");
}

static void test_bad_caplen(void **state)
{
	struct pn_packet p;
	(void)state;

	/* The captured bytes are there: they are decoded, with a warning
	 * (tshark and tcpdump still show the ports). */
	decode_wire(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn,
		    sizeof eth_ipv4_tcp_syn, sizeof eth_ipv4_tcp_syn - 1, &p);
	assert_warned(&p, PN_L4_TCP, 49152, 443, "caplen-exceeds-len");
	assert_true(p.has_tcp_flags);
	assert_int_equal(p.tcp_flags, PN_TCP_SYN | PN_TCP_ECE | PN_TCP_CWR);
}

/* ---- IPv4 ------------------------------------------------------------- */

static void test_ipv4_options(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_ETHERNET, eth_ipv4_options_udp,
	       sizeof eth_ipv4_options_udp, &p);
	assert_ok_ports(&p, PN_L4_UDP, 5353, 53);
	assert_int_equal(p.l4_off, 14 + 24);
	assert_int_equal(p.payload_off, 14 + 24 + 8);
	assert_int_equal(p.payload_len, 4);
}

static void test_ipv4_fragments(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_ETHERNET, eth_ipv4_frag_first,
	       sizeof eth_ipv4_frag_first, &p);
	assert_ok_ports(&p, PN_L4_UDP, 40000, 4789);
	assert_true(p.first_fragment);
	assert_int_equal(p.payload_len, 16);
	/* The snaplen cut the header the first fragment holds whole: the
	 * ports count (RFC 1858 is about fragments that split it). */
	decode_wire(PN_LINKTYPE_ETHERNET, eth_ipv4_frag_first, 14 + 20 + 6,
		    sizeof eth_ipv4_frag_first, &p);
	assert_warned(&p, PN_L4_UDP, 40000, 4789, "udp-header-cut");

	decode(PN_LINKTYPE_ETHERNET, eth_ipv4_frag_later,
	       sizeof eth_ipv4_frag_later, &p);
	assert_reason(&p, PN_FRAGMENT, "ipv4-fragment");
	assert_int_equal(p.ip_proto, 17);
	assert_int_equal(p.ip_version, 4);
	assert_memory_equal(p.src, v4_src_mapped, 16);
	assert_int_equal(p.payload_off, 14 + 20);
	assert_int_equal(p.payload_len, 16);
}

static void test_ipv4_tiny_fragment(void **state)
{
	/* RFC 1858: a first fragment with 8 bytes of a TCP header. */
	static const uint8_t tiny[] = {
	    IPV4_FRAG(20 + 8, 6, 0x2000),
	    B16(1),
	    B16(2),
	    B32(3),
	};
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_RAW, tiny, sizeof tiny, &p);
	assert_reason(&p, PN_MALFORMED, "tiny-fragment");
}

static void test_ipv4_bad_headers(void **state)
{
	struct pn_packet p;
	(void)state;

	/* IHL 4: shorter than the fixed header. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn, &p,
		      buf_[ETH_IP] = 0x44);
	assert_reason(&p, PN_MALFORMED, "bad-ihl");
	/* IHL 15 (60 bytes) inside a 40-byte datagram. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn, &p,
		      buf_[ETH_IP] = 0x4f);
	assert_reason(&p, PN_MALFORMED, "bad-ihl");
	/* Total length 1000 in a 54-byte frame: the headers that are there
	 * decode, with a warning. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn, &p,
		      buf_[ETH_IP + 2] = 0x03, buf_[ETH_IP + 3] = 0xe8);
	assert_warned(&p, PN_L4_TCP, 49152, 443, "ipv4-length-exceeds-frame");
	assert_int_equal(p.tcp_flags, PN_TCP_SYN | PN_TCP_ECE | PN_TCP_CWR);
	/* ...and 44, which leaves the TCP header 4 bytes short of the
	 * frame's: still the frame's fault, so the ports count. */
	decode_wire(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn, ETH_IP + 24,
		    ETH_IP + 24, &p);
	assert_string_equal(pn_decode_status_name(p.status), "ok");
	assert_true(p.warnings & (1u << PN_W_TCP_HEADER_CUT));
	assert_true(p.warnings & (1u << PN_W_IPV4_LENGTH_EXCEEDS_FRAME));
	assert_false(p.has_tcp_flags);
	assert_int_equal(p.sport, 49152);
	/* Total length 19: less than the header. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn, &p,
		      buf_[ETH_IP + 3] = 19);
	assert_reason(&p, PN_MALFORMED, "bad-ipv4-length");
	/* The snaplen cut the IPv4 header. */
	decode_wire(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn, ETH_IP + 10,
		    sizeof eth_ipv4_tcp_syn, &p);
	assert_reason(&p, PN_TRUNCATED, "truncated-ipv4");
	/* ...or its options. */
	decode_wire(PN_LINKTYPE_ETHERNET, eth_ipv4_options_udp, ETH_IP + 22,
		    sizeof eth_ipv4_options_udp, &p);
	assert_reason(&p, PN_TRUNCATED, "truncated-ipv4");
}

static void test_ipv4_tso_zero_length(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_ETHERNET, eth_ipv4_tso_tcp, sizeof eth_ipv4_tso_tcp,
	       &p);
	assert_ok_ports(&p, PN_L4_TCP, 50000, 22);
	assert_int_equal(p.payload_len, 2);
}

static void test_icmp_counted_by_protocol(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_ETHERNET, eth_ipv4_icmp, sizeof eth_ipv4_icmp, &p);
	assert_int_equal(p.status, PN_OK);
	assert_int_equal(p.l4, PN_L4_NONE);
	assert_int_equal(p.ip_proto, 1);
	assert_int_equal(p.l4_off, 34);
	assert_int_equal(p.payload_len, 8);

	decode(PN_LINKTYPE_IPV6, raw_ipv6_icmp6, sizeof raw_ipv6_icmp6, &p);
	assert_int_equal(p.status, PN_OK);
	assert_int_equal(p.l4, PN_L4_NONE);
	assert_int_equal(p.ip_proto, 58);
}

/* ---- IPv6 ------------------------------------------------------------- */

static void test_ipv6_extension_headers(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_RAW, ipv6_hopopts_tcp, sizeof ipv6_hopopts_tcp, &p);
	assert_ok_ports(&p, PN_L4_TCP, 40006, 179);
	assert_int_equal(p.ip_proto, 6);
	assert_int_equal(p.l4_off, 48);

	decode(PN_LINKTYPE_RAW, ipv6_routing_udp, sizeof ipv6_routing_udp, &p);
	assert_ok_ports(&p, PN_L4_UDP, 40007, 4500);
	assert_int_equal(p.l4_off, 64);

	decode(PN_LINKTYPE_RAW, ipv6_dstopts_tcp, sizeof ipv6_dstopts_tcp, &p);
	assert_ok_ports(&p, PN_L4_TCP, 40009, 993);

	decode(PN_LINKTYPE_RAW, ipv6_ah_tcp, sizeof ipv6_ah_tcp, &p);
	assert_ok_ports(&p, PN_L4_TCP, 40010, 500);
	assert_int_equal(p.l4_off, 64);

	decode(PN_LINKTYPE_RAW, ipv6_ext_chain_tcp, sizeof ipv6_ext_chain_tcp,
	       &p);
	assert_ok_ports(&p, PN_L4_TCP, 40011, 22);
	assert_int_equal(p.l4_off, 40 + 8 + 8 + 24 + 8 + 24 + 8);
	assert_false(p.first_fragment); /* atomic fragment, RFC 6946 */
}

static void test_ipv6_fragments(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_RAW, ipv6_frag_first_udp, sizeof ipv6_frag_first_udp,
	       &p);
	assert_ok_ports(&p, PN_L4_UDP, 40008, 53);
	assert_true(p.first_fragment);
	assert_int_equal(p.payload_len, 4);

	decode(PN_LINKTYPE_RAW, ipv6_frag_later, sizeof ipv6_frag_later, &p);
	assert_reason(&p, PN_FRAGMENT, "ipv6-fragment");
	assert_int_equal(p.ip_proto, 17);
	assert_int_equal(p.ip_version, 6);
}

static void test_ipv6_esp_and_no_next_header(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_RAW, ipv6_esp, sizeof ipv6_esp, &p);
	assert_int_equal(p.status, PN_OK);
	assert_int_equal(p.l4, PN_L4_NONE);
	assert_int_equal(p.ip_proto, 50);
	assert_int_equal(p.payload_off, 40);
	assert_int_equal(p.payload_len, 16);

	decode(PN_LINKTYPE_RAW, ipv6_hopopts_nonext, sizeof ipv6_hopopts_nonext,
	       &p);
	assert_int_equal(p.status, PN_OK);
	assert_int_equal(p.l4, PN_L4_NONE);
	assert_int_equal(p.ip_proto, 59);
}

static void test_ipv6_bad_extension_headers(void **state)
{
	/* Hop-by-hop after a destination options header (RFC 8200 4.1). */
	static const uint8_t hbh_second[] = {
	    IPV6(8 + 8 + 8, 60),
	    DSTOPTS(0),
	    HOPOPTS(17),
	    UDP(1, 2, 8),
	};
	/* One more header than PN_IPV6_EXT_MAX allows. */
	static const uint8_t long_chain[] = {
	    IPV6(9 * 8 + 8, 60), DSTOPTS(60), DSTOPTS(60),  DSTOPTS(60),
	    DSTOPTS(60),	 DSTOPTS(60), DSTOPTS(60),  DSTOPTS(60),
	    DSTOPTS(60),	 DSTOPTS(17), UDP(1, 2, 8),
	};
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_RAW, hbh_second, sizeof hbh_second, &p);
	assert_reason(&p, PN_MALFORMED, "bad-ipv6-ext");
	decode(PN_LINKTYPE_RAW, long_chain, sizeof long_chain, &p);
	assert_reason(&p, PN_UNSUPPORTED, "ipv6-ext-limit");
	/* Routing header claiming 8 * (255 + 1) bytes. */
	DECODE_EDITED(PN_LINKTYPE_RAW, ipv6_routing_udp, &p, buf_[41] = 255);
	assert_reason(&p, PN_MALFORMED, "bad-ipv6-ext");
	/* AH claiming (255 + 2) * 4 bytes. */
	DECODE_EDITED(PN_LINKTYPE_RAW, ipv6_ah_tcp, &p, buf_[41] = 255);
	assert_reason(&p, PN_MALFORMED, "bad-ipv6-ext");
	/* The snaplen cut the routing header. */
	decode_wire(PN_LINKTYPE_RAW, ipv6_routing_udp, 50,
		    sizeof ipv6_routing_udp, &p);
	assert_reason(&p, PN_TRUNCATED, "truncated-ipv6-ext");
}

static void test_ipv6_bad_headers(void **state)
{
	struct pn_packet p;
	(void)state;

	/* Payload length 1000 in a 60-byte packet. */
	DECODE_EDITED(PN_LINKTYPE_RAW, raw_ipv6_tcp, &p, buf_[4] = 0x03,
		      buf_[5] = 0xe8);
	assert_int_equal(p.status, PN_OK);
	assert_int_equal(p.l4, PN_L4_TCP);
	assert_true(p.warnings & (1u << PN_W_IPV6_LENGTH_EXCEEDS_FRAME));
	decode_wire(PN_LINKTYPE_RAW, raw_ipv6_tcp, 39, sizeof raw_ipv6_tcp, &p);
	assert_reason(&p, PN_TRUNCATED, "truncated-ipv6");
	/* Payload length 4: TCP's fixed header was never sent. */
	DECODE_EDITED(PN_LINKTYPE_RAW, raw_ipv6_tcp, &p, buf_[5] = 4);
	assert_reason(&p, PN_MALFORMED, "short-tcp");
}

/* ---- Tunnels ---------------------------------------------------------- */

static void test_gre(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_ETHERNET, eth_gre_key_ipv4_udp,
	       sizeof eth_gre_key_ipv4_udp, &p);
	assert_ok_ports(&p, PN_L4_UDP, 40017, 1812);
	assert_int_equal(p.tunnel, PN_TUNNEL_GRE);
	assert_memory_equal(p.src, inner_src_mapped, 16);
	assert_int_equal(p.ip_off, 14 + 20 + 8);

	decode(PN_LINKTYPE_RAW, ipv6_gre_cks_ipv6_tcp,
	       sizeof ipv6_gre_cks_ipv6_tcp, &p);
	assert_ok_ports(&p, PN_L4_TCP, 40018, 389);
	assert_int_equal(p.tunnel, PN_TUNNEL_GRE);
	assert_int_equal(p.ip_off, 40 + 16);

	decode(PN_LINKTYPE_ETHERNET, eth_gre_teb_tcp, sizeof eth_gre_teb_tcp,
	       &p);
	assert_ok_ports(&p, PN_L4_TCP, 40019, 445);
	assert_int_equal(p.tunnel, PN_TUNNEL_GRE_TEB);
	assert_int_equal(p.vlan_count, 1);
	assert_int_equal(p.vlan[0], 300);
	assert_memory_equal(p.src, inner_src_mapped, 16);
}

static void test_gre_rejected(void **state)
{
	struct pn_packet p;
	(void)state;

	/* Version 1: PPTP. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_gre_key_ipv4_udp, &p,
		      buf_[35] |= 1);
	assert_reason(&p, PN_UNSUPPORTED, "unsupported-gre");
	/* RFC 1701 routing bit. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_gre_key_ipv4_udp, &p,
		      buf_[34] |= 0x40);
	assert_reason(&p, PN_MALFORMED, "bad-gre");
	/* Protocol type MPLS. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_gre_key_ipv4_udp, &p,
		      buf_[36] = 0x88, buf_[37] = 0x47);
	assert_reason(&p, PN_UNSUPPORTED, "unsupported-gre");
	/* Key flag set but the key cut by the snaplen. */
	decode_wire(PN_LINKTYPE_ETHERNET, eth_gre_key_ipv4_udp, 14 + 20 + 6,
		    sizeof eth_gre_key_ipv4_udp, &p);
	assert_reason(&p, PN_TRUNCATED, "truncated-gre");
}

static void test_ip_in_ip(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_RAW, ipip_tcp, sizeof ipip_tcp, &p);
	assert_ok_ports(&p, PN_L4_TCP, 40020, 2049);
	assert_int_equal(p.tunnel, PN_TUNNEL_IPIP);
	assert_int_equal(p.ip_version, 4);
	assert_int_equal(p.ip_off, 20);
	assert_memory_equal(p.src, inner_src_mapped, 16);

	decode(PN_LINKTYPE_ETHERNET, sixin4_udp, sizeof sixin4_udp, &p);
	assert_ok_ports(&p, PN_L4_UDP, 40021, 443);
	assert_int_equal(p.tunnel, PN_TUNNEL_IP6);
	assert_int_equal(p.ip_version, 6);
	assert_memory_equal(p.src, v6_src, 16);
}

static void test_tunnel_depth(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_RAW, ipip_ipip_tcp, sizeof ipip_ipip_tcp, &p);
	assert_reason(&p, PN_UNSUPPORTED, "tunnel-depth");
	assert_string_equal(pn_decode_reason_counter(p.reason),
			    "ip.tunnel_depth");
	assert_int_equal(p.tunnel, PN_TUNNEL_IPIP);
	assert_int_equal(p.ip_proto, 4);
	assert_memory_equal(p.src, inner_src_mapped, 16);
}

static void test_inner_length_checked(void **state)
{
	struct pn_packet p;
	(void)state;

	/* Inner IPv4 total length 200 inside a 60-byte outer datagram. */
	DECODE_EDITED(PN_LINKTYPE_RAW, ipip_tcp, &p, buf_[22] = 0,
		      buf_[23] = 200);
	assert_reason(&p, PN_MALFORMED, "bad-ipv4-length");
}

/* ---- Transport -------------------------------------------------------- */

static void test_tcp_bad_offset(void **state)
{
	struct pn_packet p;
	(void)state;

	/* Data offset 4: shorter than the fixed header. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn, &p,
		      buf_[14 + 20 + 12] = 0x40);
	assert_reason(&p, PN_MALFORMED, "bad-tcp-offset");
	assert_string_equal(pn_decode_reason_counter(p.reason),
			    "tcp.bad_offset");
	/* Data offset 15 (60 bytes) in a 20-byte segment. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn, &p,
		      buf_[14 + 20 + 12] = 0xf0);
	assert_reason(&p, PN_MALFORMED, "bad-tcp-offset");
	/* The snaplen cut the header after its flags: ports and flags. */
	decode_wire(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn, 14 + 20 + 19,
		    sizeof eth_ipv4_tcp_syn, &p);
	assert_warned(&p, PN_L4_TCP, 49152, 443, "tcp-header-cut");
	assert_true(p.has_tcp_flags);
	assert_int_equal(p.tcp_flags, PN_TCP_SYN | PN_TCP_ECE | PN_TCP_CWR);
	assert_int_equal(p.payload_len, 0);
	/* ...before its flags: the ports only. */
	decode_wire(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn, 14 + 20 + 13,
		    sizeof eth_ipv4_tcp_syn, &p);
	assert_warned(&p, PN_L4_TCP, 49152, 443, "tcp-header-cut");
	assert_false(p.has_tcp_flags);
	assert_int_equal(p.tcp_flags, 0);
	/* ...inside the ports: nothing to count. */
	decode_wire(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn, 14 + 20 + 3,
		    sizeof eth_ipv4_tcp_syn, &p);
	assert_reason(&p, PN_TRUNCATED, "truncated-tcp");
	assert_int_equal(p.ip_version, 4); /* the IP header did decode */
	/* A datagram that says it ends inside the header is still short. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn, &p,
		      buf_[14 + 3] = 20 + 8);
	assert_reason(&p, PN_MALFORMED, "short-tcp");
}

static void test_tcp_options_cut_by_snaplen(void **state)
{
	struct pn_packet p;
	(void)state;

	/* "-s 54": fixed header captured, the MSS option not. */
	decode_wire(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_opts_trailer, 54,
		    sizeof eth_ipv4_tcp_opts_trailer, &p);
	assert_ok_ports(&p, PN_L4_TCP, 49153, 80);
	assert_int_equal(p.payload_off, 54);
	assert_int_equal(p.payload_len, 0);
}

static void test_udp_bad_length(void **state)
{
	struct pn_packet p;
	(void)state;

	/* UDP length 4. */
	DECODE_EDITED(PN_LINKTYPE_NULL, null_le_ipv4_udp, &p,
		      buf_[4 + 20 + 5] = 4);
	assert_reason(&p, PN_MALFORMED, "bad-udp-length");
	assert_string_equal(pn_decode_reason_counter(p.reason),
			    "udp.bad_length");
	/* UDP length 9 in an 8-byte IP payload. */
	DECODE_EDITED(PN_LINKTYPE_NULL, null_le_ipv4_udp, &p,
		      buf_[4 + 20 + 5] = 9);
	assert_reason(&p, PN_MALFORMED, "bad-udp-length");
	/* Cut after the ports by the snaplen: the ports count. */
	decode_wire(PN_LINKTYPE_NULL, null_le_ipv4_udp, 4 + 20 + 7,
		    sizeof null_le_ipv4_udp, &p);
	assert_warned(&p, PN_L4_UDP, 5000, 514, "udp-header-cut");
	assert_int_equal(p.payload_len, 0);
	decode_wire(PN_LINKTYPE_NULL, null_le_ipv4_udp, 4 + 20 + 3,
		    sizeof null_le_ipv4_udp, &p);
	assert_reason(&p, PN_TRUNCATED, "truncated-udp");
}

static void test_udp_length_bounds_payload(void **state)
{
	struct pn_packet p;
	(void)state;

	/* UDP length 10 of an IP payload of 12: two bytes are not UDP's. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_ipv4_options_udp, &p,
		      buf_[14 + 24 + 5] = 10);
	assert_ok_ports(&p, PN_L4_UDP, 5353, 53);
	assert_int_equal(p.payload_len, 2);
}

static void test_udplite(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_RAW, ipv6_udplite, sizeof ipv6_udplite, &p);
	assert_ok_ports(&p, PN_L4_UDP, 40012, 5004);
	assert_true(p.udplite);
	assert_int_equal(p.ip_proto, 136);
	assert_int_equal(p.payload_len, 6); /* coverage does not bound it */

	decode(PN_LINKTYPE_RAW, ipv4_udplite_cov0, sizeof ipv4_udplite_cov0,
	       &p);
	assert_ok_ports(&p, PN_L4_UDP, 40013, 5005);
	assert_true(p.udplite);

	/* Coverage 4 cannot cover the header (RFC 3828 section 3.1). */
	DECODE_EDITED(PN_LINKTYPE_RAW, ipv6_udplite, &p, buf_[45] = 4);
	assert_reason(&p, PN_MALFORMED, "bad-udplite-coverage");
	/* Coverage past the datagram. */
	DECODE_EDITED(PN_LINKTYPE_RAW, ipv6_udplite, &p, buf_[45] = 15);
	assert_reason(&p, PN_MALFORMED, "bad-udplite-coverage");
}

static void test_sctp(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_ETHERNET, eth_ipv4_sctp_init,
	       sizeof eth_ipv4_sctp_init, &p);
	assert_ok_ports(&p, PN_L4_SCTP, 40014, 3868);
	assert_true(p.has_sctp_chunk);
	assert_int_equal(p.sctp_chunk, PN_SCTP_CHUNK_INIT);
	assert_int_equal(p.payload_off, 14 + 20 + 12);
	assert_int_equal(p.payload_len, 20);

	decode(PN_LINKTYPE_RAW, ipv6_sctp_data, sizeof ipv6_sctp_data, &p);
	assert_ok_ports(&p, PN_L4_SCTP, 3868, 40014);
	assert_true(p.has_sctp_chunk);
	assert_int_equal(p.sctp_chunk, 0);

	/* The snaplen cut the chunk header: ports stand, the type is
	 * unknown. */
	decode_wire(PN_LINKTYPE_ETHERNET, eth_ipv4_sctp_init, 14 + 20 + 14,
		    sizeof eth_ipv4_sctp_init, &p);
	assert_ok_ports(&p, PN_L4_SCTP, 40014, 3868);
	assert_false(p.has_sctp_chunk);
}

static void test_sctp_rejected(void **state)
{
	struct pn_packet p;
	(void)state;

	/* Cut after the ports: they count, the chunk is unknown. */
	decode_wire(PN_LINKTYPE_ETHERNET, eth_ipv4_sctp_init, 14 + 20 + 10,
		    sizeof eth_ipv4_sctp_init, &p);
	assert_warned(&p, PN_L4_SCTP, 40014, 3868, "sctp-header-cut");
	assert_false(p.has_sctp_chunk);
	/* Common header whole, first chunk cut. */
	decode_wire(PN_LINKTYPE_ETHERNET, eth_ipv4_sctp_init, 14 + 20 + 14,
		    sizeof eth_ipv4_sctp_init, &p);
	assert_warned(&p, PN_L4_SCTP, 40014, 3868, "sctp-chunk-cut");
	assert_false(p.has_sctp_chunk);
	decode_wire(PN_LINKTYPE_ETHERNET, eth_ipv4_sctp_init, 14 + 20 + 2,
		    sizeof eth_ipv4_sctp_init, &p);
	assert_reason(&p, PN_TRUNCATED, "truncated-sctp");
	/* Chunk length 2: less than its own header. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_ipv4_sctp_init, &p,
		      buf_[14 + 20 + 12 + 3] = 2);
	assert_reason(&p, PN_MALFORMED, "bad-sctp-chunk");
	/* Chunk length 200 in a 20-byte remainder. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_ipv4_sctp_init, &p,
		      buf_[14 + 20 + 12 + 3] = 200);
	assert_reason(&p, PN_MALFORMED, "bad-sctp-chunk");
}

static void test_dccp_request_service_code(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_ETHERNET, eth_ipv4_dccp_request,
	       sizeof eth_ipv4_dccp_request, &p);
	assert_ok_ports(&p, PN_L4_DCCP, 40015, 5001);
	assert_int_equal(p.dccp_type, PN_DCCP_REQUEST);
	assert_true(p.dccp_long_seq);
	assert_true(p.has_service_code);
	assert_int_equal(p.service_code, 0x44495343);
	assert_int_equal(p.service_code, 1145656131);
	assert_int_equal(p.payload_len, 0);

	decode(PN_LINKTYPE_RAW, ipv6_dccp_response, sizeof ipv6_dccp_response,
	       &p);
	assert_ok_ports(&p, PN_L4_DCCP, 5001, 40015);
	assert_int_equal(p.dccp_type, PN_DCCP_RESPONSE);
	assert_true(p.has_service_code);
	assert_int_equal(p.service_code, 0x44495343);
}

static void test_dccp_short_sequence(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_RAW, ipv4_dccp_data_short,
	       sizeof ipv4_dccp_data_short, &p);
	assert_ok_ports(&p, PN_L4_DCCP, 40016, 5002);
	assert_int_equal(p.dccp_type, 2);
	assert_false(p.dccp_long_seq);
	assert_false(p.has_service_code);
	assert_int_equal(p.payload_off, 20 + 12);
	assert_int_equal(p.payload_len, 4);
}

static void test_dccp_rejected(void **state)
{
	const size_t dccp = 14 + 20;
	struct pn_packet p;
	(void)state;

	/* Request with X = 0 (RFC 4340 section 5.1). */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_ipv4_dccp_request, &p,
		      buf_[dccp + 8] = 0x00);
	assert_reason(&p, PN_MALFORMED, "bad-dccp-type");
	/* Reserved type 12. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_ipv4_dccp_request, &p,
		      buf_[dccp + 8] = 12 << 1 | 1);
	assert_reason(&p, PN_MALFORMED, "bad-dccp-type");
	/* Data offset 4 leaves no room for the service code. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_ipv4_dccp_request, &p,
		      buf_[dccp + 4] = 4);
	assert_reason(&p, PN_MALFORMED, "bad-dccp-offset");
	/* Data offset 200 past the packet. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_ipv4_dccp_request, &p,
		      buf_[dccp + 4] = 200);
	assert_reason(&p, PN_MALFORMED, "bad-dccp-offset");
	/* The snaplen cut the service code: still a Request. */
	decode_wire(PN_LINKTYPE_ETHERNET, eth_ipv4_dccp_request, dccp + 18,
		    sizeof eth_ipv4_dccp_request, &p);
	assert_int_equal(p.status, PN_OK);
	assert_true(p.warnings & (1u << PN_W_DCCP_SERVICE_CUT));
	assert_true(p.has_dccp_type);
	assert_int_equal(p.dccp_type, PN_DCCP_REQUEST);
	assert_false(p.has_service_code);
	/* ...or the generic header: the ports only, the type unknown. */
	decode_wire(PN_LINKTYPE_ETHERNET, eth_ipv4_dccp_request, dccp + 6,
		    sizeof eth_ipv4_dccp_request, &p);
	assert_int_equal(p.status, PN_OK);
	assert_int_equal(p.l4, PN_L4_DCCP);
	assert_true(p.warnings & (1u << PN_W_DCCP_HEADER_CUT));
	assert_false(p.has_dccp_type);
	decode_wire(PN_LINKTYPE_ETHERNET, eth_ipv4_dccp_request, dccp + 3,
		    sizeof eth_ipv4_dccp_request, &p);
	assert_reason(&p, PN_TRUNCATED, "truncated-dccp");
}

/* ---- PPPoE, MPLS, non-IP ---------------------------------------------- */

#define PPPOE_IP (14 + 6 + 2) /* IP header offset behind Ethernet + PPPoE */

static void test_pppoe(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_ETHERNET, eth_pppoe_ipv4_tcp,
	       sizeof eth_pppoe_ipv4_tcp, &p);
	assert_ok_ports(&p, PN_L4_TCP, 40100, 80);
	assert_true(p.pppoe);
	assert_int_equal(p.pppoe_session, 0x0011);
	assert_int_equal(p.ethertype, 0x8864);
	assert_int_equal(p.ip_version, 4);
	assert_int_equal(p.ip_off, PPPOE_IP);
	assert_int_equal(p.nonip, PN_NONIP_NONE);

	decode(PN_LINKTYPE_ETHERNET, eth_pppoe_ipv6_udp,
	       sizeof eth_pppoe_ipv6_udp, &p);
	assert_ok_ports(&p, PN_L4_UDP, 40101, 53);
	assert_int_equal(p.ip_version, 6);
	assert_memory_equal(p.src, v6_src, 16);
	assert_int_equal(p.payload_len, 2);

	/* Behind a VLAN tag; the padding after the PPPoE length is not
	 * payload. */
	decode(PN_LINKTYPE_ETHERNET, eth_vlan_pppoe_udp,
	       sizeof eth_vlan_pppoe_udp, &p);
	assert_ok_ports(&p, PN_L4_UDP, 40102, 123);
	assert_int_equal(p.vlan_count, 1);
	assert_int_equal(p.vlan[0], 42);
	assert_int_equal(p.ip_off, PPPOE_IP + 4);
	assert_int_equal(p.payload_len, 1);

	/* A compressed protocol field. */
	decode(PN_LINKTYPE_ETHERNET, eth_pppoe_pfc_udp,
	       sizeof eth_pppoe_pfc_udp, &p);
	assert_ok_ports(&p, PN_L4_UDP, 40103, 514);
	assert_int_equal(p.ip_off, PPPOE_IP - 1);
}

static void assert_nonip(const struct pn_packet *p, const char *kind)
{
	assert_int_equal(p->status, PN_OK);
	assert_int_equal(p->reason, PN_R_NONE);
	assert_int_equal(p->l4, PN_L4_NONE);
	assert_int_equal(p->ip_version, 0);
	assert_string_equal(pn_decode_nonip_name(p->nonip), kind);
}

static void test_pppoe_control(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_ETHERNET, eth_pppoe_lcp, sizeof eth_pppoe_lcp, &p);
	assert_nonip(&p, "ppp-lcp");
	assert_true(p.pppoe);
	assert_int_equal(p.payload_off, PPPOE_IP);
	assert_int_equal(p.payload_len, 8);
	decode(PN_LINKTYPE_ETHERNET, eth_pppoe_padi, sizeof eth_pppoe_padi, &p);
	assert_nonip(&p, "pppoe-discovery");
	/* IPCP (0x8021) is a network control protocol; CHAP (0xc223) link
	 * control. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_pppoe_lcp, &p, buf_[20] = 0x80);
	assert_nonip(&p, "ppp-ncp");
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_pppoe_lcp, &p, buf_[21] = 0x23,
		      buf_[20] = 0xc2);
	assert_nonip(&p, "ppp-control");
	/* MPLS over PPP (0x0281): a network protocol portnote does not
	 * follow there. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_pppoe_ipv4_tcp, &p,
		      buf_[20] = 0x02, buf_[21] = 0x81);
	assert_reason(&p, PN_UNSUPPORTED, "unsupported-ppp");
}

static void test_pppoe_bad(void **state)
{
	struct pn_packet p;
	(void)state;

	/* Length 200: more than the frame carried. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_pppoe_ipv4_tcp, &p,
		      buf_[18] = 0, buf_[19] = 200);
	assert_reason(&p, PN_MALFORMED, "bad-pppoe-length");
	/* Length 30: IPv4's 40 bytes pass the PPPoE payload. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_pppoe_ipv4_tcp, &p,
		      buf_[19] = 30);
	assert_reason(&p, PN_MALFORMED, "bad-ipv4-length");
	/* Length 0 or 1: no room for the PPP protocol. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_pppoe_ipv4_tcp, &p,
		      buf_[19] = 0);
	assert_reason(&p, PN_MALFORMED, "bad-pppoe-length");
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_pppoe_ipv4_tcp, &p,
		      buf_[19] = 1);
	assert_reason(&p, PN_MALFORMED, "bad-pppoe-length");
	/* Version 2, and a discovery code on the session ethertype. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_pppoe_ipv4_tcp, &p,
		      buf_[14] = 0x21);
	assert_reason(&p, PN_MALFORMED, "bad-pppoe");
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_pppoe_ipv4_tcp, &p,
		      buf_[15] = 0x09);
	assert_reason(&p, PN_MALFORMED, "bad-pppoe");
	/* A frame ending inside the PPPoE header. */
	decode(PN_LINKTYPE_ETHERNET, eth_pppoe_ipv4_tcp, 18, &p);
	assert_reason(&p, PN_MALFORMED, "short-pppoe");
}

/* Cut by the snaplen at every length: truncated-pppoe inside the PPPoE
 * header and the PPP protocol, then the IPv4 and TCP reasons; never a read
 * past caplen (the copy is exactly caplen bytes). */
static void test_pppoe_snaplen(void **state)
{
	const size_t len = sizeof eth_pppoe_ipv4_tcp;
	struct pn_packet p;
	(void)state;

	for (size_t cut = 0; cut < len; cut++) {
		const char *want = cut < 14		 ? "truncated-eth"
				   : cut < PPPOE_IP	 ? "truncated-pppoe"
				   : cut < PPPOE_IP + 20 ? "truncated-ipv4"
							 : "truncated-tcp";
		decode_wire(PN_LINKTYPE_ETHERNET, eth_pppoe_ipv4_tcp, cut, len,
			    &p);
		/* Cut after the ports: they count, with a warning. */
		if (cut >= PPPOE_IP + 20 + 4) {
			assert_int_equal(p.status, PN_OK);
			assert_true(p.warnings & (1u << PN_W_TCP_HEADER_CUT));
			continue;
		}
		assert_reason(&p, PN_TRUNCATED, want);
		assert_true(p.payload_off <= cut);
	}
}

static void test_mpls(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_ETHERNET, eth_mpls1_ipv4_udp,
	       sizeof eth_mpls1_ipv4_udp, &p);
	assert_ok_ports(&p, PN_L4_UDP, 40104, 4789);
	assert_int_equal(p.mpls_count, 1);
	assert_int_equal(p.mpls_label[0], 16);
	assert_int_equal(p.ip_off, 18);
	assert_int_equal(p.ethertype, 0x8847);

	decode(PN_LINKTYPE_ETHERNET, eth_mpls3_ipv6_tcp,
	       sizeof eth_mpls3_ipv6_tcp, &p);
	assert_ok_ports(&p, PN_L4_TCP, 40105, 179);
	assert_int_equal(p.ip_version, 6);
	assert_int_equal(p.mpls_count, 3);
	assert_int_equal(p.mpls_label[0], 100);
	assert_int_equal(p.mpls_label[1], 200);
	assert_int_equal(p.ip_off, 14 + 12);

	/* Multicast MPLS (0x8848) is the same stack. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_mpls1_ipv4_udp, &p,
		      buf_[13] = 0x48);
	assert_ok_ports(&p, PN_L4_UDP, 40104, 4789);
}

static void test_mpls_depth(void **state)
{
	/* PN_MPLS_MAX_LABELS entries without the bottom bit, then more. */
	static const uint8_t deep[] = {
	    ETH(0x8847), MPLS(1, 0), MPLS(2, 0),       MPLS(3, 0),
	    MPLS(4, 0),	 MPLS(5, 0), MPLS(6, 0),       MPLS(7, 0),
	    MPLS(8, 0),	 MPLS(9, 1), IPV4(20 + 8, 17), UDP(1, 2, 8),
	};
	/* Exactly PN_MPLS_MAX_LABELS, the last one the bottom. */
	static const uint8_t eight[] = {
	    ETH(0x8847), MPLS(1, 0),	   MPLS(2, 0),	 MPLS(3, 0),
	    MPLS(4, 0),	 MPLS(5, 0),	   MPLS(6, 0),	 MPLS(7, 0),
	    MPLS(8, 1),	 IPV4(20 + 8, 17), UDP(1, 2, 8),
	};
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_ETHERNET, deep, sizeof deep, &p);
	assert_reason(&p, PN_UNSUPPORTED, "mpls-depth");
	assert_int_equal(p.mpls_count, PN_MPLS_MAX_LABELS);
	decode(PN_LINKTYPE_ETHERNET, eight, sizeof eight, &p);
	assert_ok_ports(&p, PN_L4_UDP, 1, 2);
	assert_int_equal(p.mpls_count, PN_MPLS_MAX_LABELS);
	assert_int_equal(p.mpls_label[1], 2);
}

static void test_mpls_not_ip(void **state)
{
	struct pn_packet p;
	(void)state;

	/* Pseudowire control word, then Ethernet. */
	decode(PN_LINKTYPE_ETHERNET, eth_mpls_pw_eth, sizeof eth_mpls_pw_eth,
	       &p);
	assert_reason(&p, PN_UNSUPPORTED, "unsupported-mpls");
	assert_int_equal(p.mpls_count, 1);
	assert_int_equal(p.payload_off, 18);
	/* Nothing after the bottom entry, sent or captured. */
	decode(PN_LINKTYPE_ETHERNET, eth_mpls1_ipv4_udp, 18, &p);
	assert_reason(&p, PN_MALFORMED, "short-mpls");
	decode_wire(PN_LINKTYPE_ETHERNET, eth_mpls1_ipv4_udp, 18,
		    sizeof eth_mpls1_ipv4_udp, &p);
	assert_reason(&p, PN_TRUNCATED, "truncated-mpls");
	decode_wire(PN_LINKTYPE_ETHERNET, eth_mpls3_ipv6_tcp, 21,
		    sizeof eth_mpls3_ipv6_tcp, &p);
	assert_reason(&p, PN_TRUNCATED, "truncated-mpls");
	decode(PN_LINKTYPE_ETHERNET, eth_mpls3_ipv6_tcp, 21, &p);
	assert_reason(&p, PN_MALFORMED, "short-mpls");
}

static void test_nonip_by_name(void **state)
{
	struct pn_decode_counters c;
	struct pn_packet p;
	(void)state;

	memset(&c, 0, sizeof c);
	decode(PN_LINKTYPE_ETHERNET, eth_arp, sizeof eth_arp, &p);
	assert_nonip(&p, "arp");
	assert_int_equal(p.ethertype, 0x0806);
	assert_int_equal(p.payload_off, 14);
	pn_decode_count(&c, &p);
	decode(PN_LINKTYPE_ETHERNET, eth_arp, sizeof eth_arp, &p);
	pn_decode_count(&c, &p);
	decode(PN_LINKTYPE_ETHERNET, eth_lldp, sizeof eth_lldp, &p);
	assert_nonip(&p, "lldp");
	pn_decode_count(&c, &p);
	decode(PN_LINKTYPE_ETHERNET, eth_stp, sizeof eth_stp, &p);
	assert_nonip(&p, "stp");
	/* The 802.3 length bounds the LLC frame: padding is not payload. */
	assert_int_equal(p.payload_off, 14 + 3);
	assert_int_equal(p.payload_len, 35);
	pn_decode_count(&c, &p);
	decode(PN_LINKTYPE_ETHERNET, eth_cdp, sizeof eth_cdp, &p);
	assert_nonip(&p, "cdp");
	pn_decode_count(&c, &p);
	decode(PN_LINKTYPE_ETHERNET, eth_pppoe_lcp, sizeof eth_pppoe_lcp, &p);
	pn_decode_count(&c, &p);
	decode(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn, sizeof eth_ipv4_tcp_syn,
	       &p);
	pn_decode_count(&c, &p);

	assert_int_equal(c.packets, 7);
	assert_int_equal(c.status[PN_OK], 7);
	assert_int_equal(c.reason[PN_R_NONE], 7);
	assert_int_equal(c.reason[PN_R_UNSUPPORTED_ETHERTYPE], 0);
	assert_int_equal(c.nonip[PN_NONIP_ARP], 2);
	assert_int_equal(c.nonip[PN_NONIP_LLDP], 1);
	assert_int_equal(c.nonip[PN_NONIP_STP], 1);
	assert_int_equal(c.nonip[PN_NONIP_CDP], 1);
	assert_int_equal(c.nonip[PN_NONIP_PPP_LCP], 1);
	assert_int_equal(c.nonip[PN_NONIP_NONE], 0);
	assert_int_equal(c.l4[PN_L4_NONE], 6);
	assert_int_equal(c.l4[PN_L4_TCP], 1);

	/* Other LLC SAPs (NetBIOS 0xf0), other SNAP, raw 802.3 IPX, and a
	 * few ethertypes. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_stp, &p, buf_[14] = 0xf0,
		      buf_[15] = 0xf0);
	assert_nonip(&p, "llc");
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_cdp, &p, buf_[21] = 0x04);
	assert_nonip(&p, "snap");
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_stp, &p, buf_[14] = 0xff,
		      buf_[15] = 0xff);
	assert_nonip(&p, "ipx");
	static const struct {
		uint16_t type;
		const char *name;
	} types[] = {
	    {0x8035, "rarp"},		{0x888e, "eapol"},
	    {0x8809, "slow-protocols"}, {0x88f7, "ptp"},
	    {0x88e5, "macsec"},		{0x8137, "ipx"},
	    {0x809b, "appletalk"},	{0x80f3, "aarp"},
	    {0x8808, "flow-control"},	{0x9000, "loopback"},
	};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_arp, &p,
			      buf_[12] = (uint8_t)(types[i].type >> 8),
			      buf_[13] = (uint8_t)types[i].type);
		assert_nonip(&p, types[i].name);
	}
	for (int k = 0; k < PN_NONIP_COUNT; k++)
		assert_string_not_equal(pn_decode_nonip_name(k), "unknown");
	assert_string_equal(pn_decode_nonip_name(PN_NONIP_COUNT), "unknown");
}

static void test_8023_and_snap(void **state)
{
	struct pn_packet p;
	(void)state;

	/* RFC 1042 SNAP carrying IPv4 is followed. */
	decode(PN_LINKTYPE_ETHERNET, eth_snap_ipv4_udp,
	       sizeof eth_snap_ipv4_udp, &p);
	assert_ok_ports(&p, PN_L4_UDP, 40107, 161);
	assert_int_equal(p.ip_off, 14 + 8);
	/* An 802.3 length past the frame. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_stp, &p, buf_[13] = 100);
	assert_reason(&p, PN_MALFORMED, "bad-llc-length");
	/* Too short for the LLC header, by its length or the wire. */
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_stp, &p, buf_[13] = 2);
	assert_reason(&p, PN_MALFORMED, "short-llc");
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_cdp, &p, buf_[13] = 6);
	assert_reason(&p, PN_MALFORMED, "short-llc");
	decode_wire(PN_LINKTYPE_ETHERNET, eth_stp, 16, sizeof eth_stp, &p);
	assert_reason(&p, PN_TRUNCATED, "truncated-llc");
	decode_wire(PN_LINKTYPE_ETHERNET, eth_cdp, 20, sizeof eth_cdp, &p);
	assert_reason(&p, PN_TRUNCATED, "truncated-llc");
}

static void test_cooked_link_types(void **state)
{
	struct pn_packet p;
	(void)state;

	decode(PN_LINKTYPE_LINUX_SLL, sll_arp, sizeof sll_arp, &p);
	assert_nonip(&p, "arp");
	decode(PN_LINKTYPE_LINUX_SLL, sll_llc_stp, sizeof sll_llc_stp, &p);
	assert_nonip(&p, "stp");
	/* Protocol 1: Novell raw 802.3. */
	DECODE_EDITED(PN_LINKTYPE_LINUX_SLL, sll_llc_stp, &p, buf_[15] = 1);
	assert_nonip(&p, "ipx");
	/* Protocol 0x000c (CAN) is neither IP nor named. */
	DECODE_EDITED(PN_LINKTYPE_LINUX_SLL, sll_llc_stp, &p, buf_[15] = 0x0c);
	assert_reason(&p, PN_UNSUPPORTED, "unsupported-ethertype");
	assert_int_equal(p.ethertype, 0x000c);
	decode(PN_LINKTYPE_LINUX_SLL2, sll2_pppoe_tcp, sizeof sll2_pppoe_tcp,
	       &p);
	assert_ok_ports(&p, PN_L4_TCP, 40108, 443);
	assert_int_equal(p.pppoe_session, 0x0021);
	decode(PN_LINKTYPE_LINUX_SLL, sll_mpls_udp, sizeof sll_mpls_udp, &p);
	assert_ok_ports(&p, PN_L4_UDP, 40109, 53);
	assert_int_equal(p.mpls_label[0], 17);
}

/* Unsupported ethertypes are counted by value in a bounded table. */
static void test_unknown_ethertype_values(void **state)
{
	struct pn_decode_counters c;
	struct pn_packet p;
	(void)state;

	memset(&c, 0, sizeof c);
	for (int i = 0; i < 3; i++) {
		DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_arp, &p,
			      buf_[12] = 0x88, buf_[13] = 0xb5);
		pn_decode_count(&c, &p);
	}
	/* Ten more distinct values: seven fill the table, three are
	 * "other". */
	for (int i = 0; i < 10; i++) {
		DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_arp, &p,
			      buf_[12] = 0x88, buf_[13] = (uint8_t)(0xc0 + i));
		assert_reason(&p, PN_UNSUPPORTED, "unsupported-ethertype");
		pn_decode_count(&c, &p);
	}
	DECODE_EDITED(PN_LINKTYPE_ETHERNET, eth_arp, &p, buf_[12] = 0x88,
		      buf_[13] = 0xb5);
	pn_decode_count(&c, &p);

	assert_int_equal(c.reason[PN_R_UNSUPPORTED_ETHERTYPE], 14);
	assert_int_equal(c.ethertype_value[0], 0x88b5);
	assert_int_equal(c.ethertype_count[0], 4);
	for (int i = 1; i < PN_ETHERTYPE_KEEP; i++) {
		assert_int_equal(c.ethertype_value[i], 0x88c0 + i - 1);
		assert_int_equal(c.ethertype_count[i], 1);
	}
	assert_int_equal(c.ethertype_other, 3);
}

/* ---- Names and counters ----------------------------------------------- */

static void test_reason_names(void **state)
{
	(void)state;

	for (int i = 0; i < PN_R_COUNT; i++) {
		const char *name = pn_decode_reason_name(i);
		const char *counter = pn_decode_reason_counter(i);

		assert_string_not_equal(name, "unknown");
		assert_string_not_equal(counter, "unknown");
		assert_non_null(strchr(counter, '.'));
		for (int j = 0; j < i; j++) {
			assert_string_not_equal(name, pn_decode_reason_name(j));
			assert_string_not_equal(counter,
						pn_decode_reason_counter(j));
		}
	}
	assert_string_equal(pn_decode_reason_name(PN_R_COUNT), "unknown");
	/* Names the specification uses. */
	assert_string_equal(pn_decode_reason_name(PN_R_TRUNCATED_IPV4),
			    "truncated-ipv4");
	assert_string_equal(pn_decode_reason_name(PN_R_BAD_IHL), "bad-ihl");
	assert_string_equal(pn_decode_reason_name(PN_R_BAD_IPV6_EXT),
			    "bad-ipv6-ext");
	assert_string_equal(pn_decode_reason_name(PN_R_TRUNCATED_TCP),
			    "truncated-tcp");
	assert_string_equal(pn_decode_reason_name(PN_R_BAD_TCP_OFFSET),
			    "bad-tcp-offset");
	assert_string_equal(pn_decode_reason_name(PN_R_TRUNCATED_SCTP),
			    "truncated-sctp");
	assert_string_equal(pn_decode_reason_name(PN_R_TRUNCATED_ETH),
			    "truncated-eth");

	assert_string_equal(pn_decode_status_name(PN_FRAGMENT), "fragment");
	assert_string_equal(pn_l4_name(PN_L4_DCCP), "dccp");
	assert_string_equal(pn_l4_name(PN_L4_NONE), "none");
	assert_string_equal(pn_tunnel_name(PN_TUNNEL_GRE_TEB), "gre-teb");
}

static void test_linktypes(void **state)
{
	static const int supported[] = {0,   1,	  12,  14,  101,
					108, 113, 228, 229, 276};
	(void)state;

	for (size_t i = 0; i < sizeof supported / sizeof supported[0]; i++) {
		assert_true(pn_decode_linktype_supported(supported[i]));
		assert_string_not_equal(pn_decode_linktype_name(supported[i]),
					"unknown");
	}
	assert_false(pn_decode_linktype_supported(105)); /* 802.11 */
	assert_false(pn_decode_linktype_supported(-1));
	assert_string_equal(pn_decode_linktype_name(1), "EN10MB");
	assert_string_equal(pn_decode_linktype_name(276), "LINUX_SLL2");
	assert_string_equal(pn_decode_linktype_name(105), "unknown");
}

static void test_counters(void **state)
{
	struct pn_decode_counters c;
	struct pn_packet p;
	(void)state;

	memset(&c, 0, sizeof c);
	decode(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn, sizeof eth_ipv4_tcp_syn,
	       &p);
	pn_decode_count(&c, &p);
	decode(PN_LINKTYPE_ETHERNET, eth_ipv4_frag_later,
	       sizeof eth_ipv4_frag_later, &p);
	pn_decode_count(&c, &p);
	decode(PN_LINKTYPE_ETHERNET, eth_ipv4_icmp, sizeof eth_ipv4_icmp, &p);
	pn_decode_count(&c, &p);
	decode(PN_LINKTYPE_RAW, ipip_tcp, sizeof ipip_tcp, &p);
	pn_decode_count(&c, &p);
	decode(7, eth_ipv4_icmp, sizeof eth_ipv4_icmp, &p);
	pn_decode_count(&c, &p);

	assert_int_equal(c.packets, 5);
	assert_int_equal(c.status[PN_OK], 3);
	assert_int_equal(c.status[PN_FRAGMENT], 1);
	assert_int_equal(c.status[PN_UNSUPPORTED], 1);
	assert_int_equal(c.reason[PN_R_NONE], 3);
	assert_int_equal(c.reason[PN_R_IPV4_FRAGMENT], 1);
	assert_int_equal(c.reason[PN_R_UNSUPPORTED_LINK], 1);
	assert_int_equal(c.l4[PN_L4_TCP], 2);
	assert_int_equal(c.l4[PN_L4_NONE], 3);
	assert_int_equal(c.ip_proto[6], 2);
	assert_int_equal(c.ip_proto[17], 1);
	assert_int_equal(c.ip_proto[1], 1);
	assert_int_equal(c.tunnel[PN_TUNNEL_IPIP], 1);
}

static void test_reader(void **state)
{
	static const uint8_t bytes[] = {0x12, 0x34, 0x56, 0x78, 0x9a};
	struct pn_rd rd;
	uint32_t v32 = 0;
	uint16_t v16 = 0;
	uint8_t v8 = 0;
	(void)state;

	pn_rd_init(&rd, bytes, sizeof bytes);
	assert_true(pn_rd_u16be(&rd, &v16));
	assert_int_equal(v16, 0x1234);
	/* Short reads consume nothing. */
	assert_false(pn_rd_u32be(&rd, &v32));
	assert_int_equal(rd.off, 2);
	assert_false(pn_rd_skip(&rd, 4));
	assert_int_equal(rd.off, 2);
	assert_true(pn_rd_peek_u8(&rd, 2, &v8));
	assert_int_equal(v8, 0x9a);
	assert_false(pn_rd_peek_u8(&rd, 3, &v8));
	pn_rd_limit(&rd, 1);
	assert_int_equal(pn_rd_left(&rd), 1);
	pn_rd_limit(&rd, 100); /* never grows */
	assert_int_equal(pn_rd_left(&rd), 1);
	assert_false(pn_rd_u16be(&rd, &v16));
	assert_true(pn_rd_u8(&rd, &v8));
	assert_int_equal(v8, 0x56);
	assert_false(pn_rd_u8(&rd, &v8));
	assert_false(pn_rd_skip(&rd, SIZE_MAX));
	pn_rd_init(&rd, NULL, 10);
	assert_int_equal(pn_rd_left(&rd), 0);
}

/* ---- Sweeps ----------------------------------------------------------- */

struct sample {
	const char *name;
	int linktype;
	const uint8_t *bytes;
	size_t len;
};

#define SAMPLE(lt, arr)                                                        \
	{                                                                      \
#arr, lt, arr, sizeof(arr)                                     \
	}

/* Every valid packet above. */
static const struct sample samples[] = {
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_syn),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_ipv4_tcp_opts_trailer),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_ipv4_options_udp),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_ipv4_frag_first),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_ipv4_frag_later),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_ipv4_icmp),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_ipv4_tso_tcp),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_qinq_udp),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_3tags_tcp),
    SAMPLE(PN_LINKTYPE_LINUX_SLL, sll_ipv4_tcp),
    SAMPLE(PN_LINKTYPE_LINUX_SLL2, sll2_ipv6_udp),
    SAMPLE(PN_LINKTYPE_NULL, null_le_ipv4_udp),
    SAMPLE(PN_LINKTYPE_NULL, null_be_ipv4_udp),
    SAMPLE(PN_LINKTYPE_NULL, null_le_darwin_ipv6_tcp),
    SAMPLE(PN_LINKTYPE_NULL, null_be_freebsd_ipv6_tcp),
    SAMPLE(PN_LINKTYPE_LOOP, loop_ipv6_tcp),
    SAMPLE(PN_LINKTYPE_DLT_RAW, raw_ipv4_udp),
    SAMPLE(PN_LINKTYPE_IPV4, raw_ipv4_udp),
    SAMPLE(PN_LINKTYPE_DLT_RAW, raw_ipv6_tcp),
    SAMPLE(PN_LINKTYPE_IPV6, raw_ipv6_tcp),
    SAMPLE(PN_LINKTYPE_IPV6, raw_ipv6_icmp6),
    SAMPLE(PN_LINKTYPE_RAW, ipv6_hopopts_tcp),
    SAMPLE(PN_LINKTYPE_RAW, ipv6_routing_udp),
    SAMPLE(PN_LINKTYPE_RAW, ipv6_frag_first_udp),
    SAMPLE(PN_LINKTYPE_RAW, ipv6_frag_later),
    SAMPLE(PN_LINKTYPE_RAW, ipv6_dstopts_tcp),
    SAMPLE(PN_LINKTYPE_RAW, ipv6_ah_tcp),
    SAMPLE(PN_LINKTYPE_RAW, ipv6_esp),
    SAMPLE(PN_LINKTYPE_RAW, ipv6_hopopts_nonext),
    SAMPLE(PN_LINKTYPE_RAW, ipv6_ext_chain_tcp),
    SAMPLE(PN_LINKTYPE_RAW, ipv6_udplite),
    SAMPLE(PN_LINKTYPE_RAW, ipv4_udplite_cov0),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_ipv4_sctp_init),
    SAMPLE(PN_LINKTYPE_RAW, ipv6_sctp_data),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_ipv4_dccp_request),
    SAMPLE(PN_LINKTYPE_RAW, ipv6_dccp_response),
    SAMPLE(PN_LINKTYPE_RAW, ipv4_dccp_data_short),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_gre_key_ipv4_udp),
    SAMPLE(PN_LINKTYPE_RAW, ipv6_gre_cks_ipv6_tcp),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_gre_teb_tcp),
    SAMPLE(PN_LINKTYPE_RAW, ipip_tcp),
    SAMPLE(PN_LINKTYPE_ETHERNET, sixin4_udp),
    SAMPLE(PN_LINKTYPE_RAW, ipip_ipip_tcp),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_pppoe_ipv4_tcp),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_pppoe_ipv6_udp),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_vlan_pppoe_udp),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_pppoe_pfc_udp),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_pppoe_lcp),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_pppoe_padi),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_mpls1_ipv4_udp),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_mpls3_ipv6_tcp),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_mpls_pw_eth),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_arp),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_lldp),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_stp),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_cdp),
    SAMPLE(PN_LINKTYPE_ETHERNET, eth_snap_ipv4_udp),
    SAMPLE(PN_LINKTYPE_LINUX_SLL, sll_arp),
    SAMPLE(PN_LINKTYPE_LINUX_SLL, sll_llc_stp),
    SAMPLE(PN_LINKTYPE_LINUX_SLL2, sll2_pppoe_tcp),
    SAMPLE(PN_LINKTYPE_LINUX_SLL, sll_mpls_udp),
};

#define N_SAMPLES (sizeof samples / sizeof samples[0])

/* Offsets the result reports stay inside what was captured. */
static void assert_within(const struct pn_packet *p, size_t caplen)
{
	assert_true(p->ip_off <= caplen);
	assert_true(p->l4_off <= caplen);
	assert_true(p->payload_off <= caplen);
	assert_true(p->payload_len <= caplen - p->payload_off);
	assert_true(p->vlan_count <= 2 * PN_VLAN_MAX_TAGS);
	assert_true((unsigned)p->status < PN_STATUS_COUNT);
	assert_true((unsigned)p->reason < PN_R_COUNT);
	if (p->l4 != PN_L4_NONE)
		assert_int_equal(p->status, PN_OK);
	if (p->status == PN_OK)
		assert_int_equal(p->reason, PN_R_NONE);
	else
		assert_int_not_equal(p->reason, PN_R_NONE);
}

static void test_samples_decode_cleanly(void **state)
{
	struct pn_packet p;
	(void)state;

	/* No valid sample may be malformed or truncated at full length. */
	for (size_t i = 0; i < N_SAMPLES; i++) {
		decode(samples[i].linktype, samples[i].bytes, samples[i].len,
		       &p);
		if (p.status == PN_MALFORMED || p.status == PN_TRUNCATED)
			fail_msg("%s: %s %s", samples[i].name,
				 pn_decode_status_name(p.status),
				 pn_decode_reason_name(p.reason));
		assert_within(&p, samples[i].len);
	}
}

/* Every prefix of every valid packet, wire length intact: the snaplen cut
 * it. Short ones are PN_TRUNCATED with a truncated-* reason; the rest decode
 * the same ports as the whole packet. */
static void test_truncation_sweep(void **state)
{
	struct pn_packet full, p;
	(void)state;

	for (size_t i = 0; i < N_SAMPLES; i++) {
		const struct sample *s = &samples[i];

		decode(s->linktype, s->bytes, s->len, &full);
		for (size_t cut = 0; cut < s->len; cut++) {
			decode_wire(s->linktype, s->bytes, cut, s->len, &p);
			assert_within(&p, cut);
			switch (p.status) {
			case PN_TRUNCATED:
				if (strncmp(pn_decode_reason_name(p.reason),
					    "truncated-", 10) != 0)
					fail_msg(
					    "%s/%zu: %s", s->name, cut,
					    pn_decode_reason_name(p.reason));
				break;
			case PN_OK:
			case PN_FRAGMENT:
			case PN_UNSUPPORTED:
				/* A header cut after its ports still gives
				 * them, with a warning; what it did not reach
				 * is unknown, never guessed. */
				if (p.status != full.status ||
				    p.reason != full.reason ||
				    p.l4 != full.l4 || p.sport != full.sport ||
				    p.dport != full.dport ||
				    p.ip_proto != full.ip_proto ||
				    (!p.warnings &&
				     p.has_service_code !=
					 full.has_service_code) ||
				    (p.has_service_code &&
				     p.service_code != full.service_code) ||
				    (p.has_tcp_flags &&
				     p.tcp_flags != full.tcp_flags) ||
				    (p.has_dccp_type &&
				     p.dccp_type != full.dccp_type) ||
				    (p.has_sctp_chunk &&
				     p.sctp_chunk != full.sctp_chunk) ||
				    (!p.warnings &&
				     p.has_tcp_flags != full.has_tcp_flags) ||
				    memcmp(p.src, full.src, 16) != 0)
					fail_msg(
					    "%s/%zu: %s %s differs from "
					    "the full packet",
					    s->name, cut,
					    pn_decode_status_name(p.status),
					    pn_decode_reason_name(p.reason));
				break;
			default:
				fail_msg("%s/%zu: %s %s", s->name, cut,
					 pn_decode_status_name(p.status),
					 pn_decode_reason_name(p.reason));
			}
		}
	}
}

/* Every prefix again, but as what was on the wire: headers that end past it
 * were never sent. Any outcome is fine as long as nothing reads out of
 * bounds and the result is coherent. */
static void test_short_wire_sweep(void **state)
{
	struct pn_packet p;
	(void)state;

	for (size_t i = 0; i < N_SAMPLES; i++) {
		const struct sample *s = &samples[i];

		for (size_t cut = 0; cut < s->len; cut++) {
			decode(s->linktype, s->bytes, cut, &p);
			assert_within(&p, cut);
			assert_int_not_equal(p.status, PN_TRUNCATED);
		}
	}
}

/* Every byte of every valid packet set to a few hostile values: headers
 * with lengths at their extremes, flags all set, versions wrong. */
static void test_mutation_sweep(void **state)
{
	static const uint8_t values[] = {0x00, 0x01, 0x0f, 0x45, 0x60,
					 0x7f, 0x80, 0xf0, 0xff};
	uint8_t buf[256];
	struct pn_packet p;
	(void)state;

	for (size_t i = 0; i < N_SAMPLES; i++) {
		const struct sample *s = &samples[i];

		assert_true(s->len <= sizeof buf);
		for (size_t at = 0; at < s->len; at++) {
			for (size_t v = 0; v < sizeof values; v++) {
				memcpy(buf, s->bytes, s->len);
				buf[at] = values[v];
				decode(s->linktype, buf, s->len, &p);
				assert_within(&p, s->len);
				decode_wire(s->linktype, buf, s->len / 2,
					    s->len, &p);
				assert_within(&p, s->len / 2);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ethernet_tcp_syn),
	    cmocka_unit_test(test_ethernet_trailer_not_payload),
	    cmocka_unit_test(test_qinq),
	    cmocka_unit_test(test_three_tags_counted),
	    cmocka_unit_test(test_vlan_depth),
	    cmocka_unit_test(test_sll),
	    cmocka_unit_test(test_sll2),
	    cmocka_unit_test(test_null_both_byte_orders),
	    cmocka_unit_test(test_null_linux_af_inet6),
	    cmocka_unit_test(test_null_unknown_family),
	    cmocka_unit_test(test_loop),
	    cmocka_unit_test(test_raw_link_types),
	    cmocka_unit_test(test_raw_bad_version),
	    cmocka_unit_test(test_unsupported_link_and_ethertype),
	    cmocka_unit_test(test_link_truncation_reasons),
	    cmocka_unit_test(test_bad_caplen),
	    cmocka_unit_test(test_ipv4_options),
	    cmocka_unit_test(test_ipv4_fragments),
	    cmocka_unit_test(test_ipv4_tiny_fragment),
	    cmocka_unit_test(test_ipv4_bad_headers),
	    cmocka_unit_test(test_ipv4_tso_zero_length),
	    cmocka_unit_test(test_icmp_counted_by_protocol),
	    cmocka_unit_test(test_ipv6_extension_headers),
	    cmocka_unit_test(test_ipv6_fragments),
	    cmocka_unit_test(test_ipv6_esp_and_no_next_header),
	    cmocka_unit_test(test_ipv6_bad_extension_headers),
	    cmocka_unit_test(test_ipv6_bad_headers),
	    cmocka_unit_test(test_gre),
	    cmocka_unit_test(test_gre_rejected),
	    cmocka_unit_test(test_ip_in_ip),
	    cmocka_unit_test(test_tunnel_depth),
	    cmocka_unit_test(test_inner_length_checked),
	    cmocka_unit_test(test_tcp_bad_offset),
	    cmocka_unit_test(test_tcp_options_cut_by_snaplen),
	    cmocka_unit_test(test_udp_bad_length),
	    cmocka_unit_test(test_udp_length_bounds_payload),
	    cmocka_unit_test(test_udplite),
	    cmocka_unit_test(test_sctp),
	    cmocka_unit_test(test_sctp_rejected),
	    cmocka_unit_test(test_dccp_request_service_code),
	    cmocka_unit_test(test_dccp_short_sequence),
	    cmocka_unit_test(test_dccp_rejected),
	    cmocka_unit_test(test_pppoe),
	    cmocka_unit_test(test_pppoe_control),
	    cmocka_unit_test(test_pppoe_bad),
	    cmocka_unit_test(test_pppoe_snaplen),
	    cmocka_unit_test(test_mpls),
	    cmocka_unit_test(test_mpls_depth),
	    cmocka_unit_test(test_mpls_not_ip),
	    cmocka_unit_test(test_nonip_by_name),
	    cmocka_unit_test(test_8023_and_snap),
	    cmocka_unit_test(test_cooked_link_types),
	    cmocka_unit_test(test_unknown_ethertype_values),
	    cmocka_unit_test(test_reason_names),
	    cmocka_unit_test(test_linktypes),
	    cmocka_unit_test(test_counters),
	    cmocka_unit_test(test_reader),
	    cmocka_unit_test(test_samples_decode_cleanly),
	    cmocka_unit_test(test_truncation_sweep),
	    cmocka_unit_test(test_short_wire_sweep),
	    cmocka_unit_test(test_mutation_sweep),
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
