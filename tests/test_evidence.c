/* test_evidence.c — payload recognizers: a real-looking sample of each
 * protocol, every other recognizer refusing it, every prefix of every
 * sample read within bounds, hand-picked near misses, and the rate at
 * which random payloads match.
 *
 * Each recognizer call copies the payload into an exactly-sized heap
 * buffer (or ends the random payload at its buffer's end), so a one-byte
 * overread is an AddressSanitizer or valgrind error, not a silent pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "portnote/evidence.h"
#include "portnote/registry.h"

/* Port-blind by construction: the entry points take the bytes, the
 * transport and the direction, and nothing else. */
_Static_assert(_Generic(&pn_evidence_recognize,
			bool (*)(enum pn_l4, bool, const uint8_t *, size_t,
				 struct pn_evidence *) : 1,
			default : 0),
	       "pn_evidence_recognize sees no port");
_Static_assert(_Generic(&pn_evidence_check,
			bool (*)(enum pn_proto, enum pn_l4, bool,
				 const uint8_t *, size_t,
				 struct pn_evidence *) : 1,
			default : 0),
	       "pn_evidence_check sees no port");

/* Binary samples. TLS: captured from OpenSSL 3.0 through Python's ssl
 * module and memory BIOs (no network); the rest hand-built from the
 * specifications cited in src/evidence.c. */
/* TLS 1.3 ClientHello from OpenSSL 3.0 (Python ssl), SNI example.org, ALPN h2,
 * http/1.1 (517 bytes) */
static const uint8_t tls13_client_hello[] = {
    0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x4f,
    0xee, 0xf3, 0x94, 0xd1, 0xc9, 0x7b, 0x2a, 0x31, 0xbf, 0x66, 0xec, 0xc4,
    0x44, 0xe8, 0xab, 0x3b, 0xcf, 0x8a, 0x7c, 0x6f, 0xc8, 0x58, 0x31, 0x09,
    0x79, 0xe8, 0xe2, 0x2e, 0x08, 0x09, 0x48, 0x20, 0xdd, 0x64, 0xad, 0x0d,
    0xb3, 0x01, 0x98, 0x5a, 0x44, 0x3d, 0xc1, 0x67, 0x63, 0x3b, 0xd0, 0x92,
    0x41, 0xf0, 0x16, 0x52, 0x4c, 0x2a, 0xec, 0x61, 0x76, 0x3c, 0xc7, 0xd3,
    0x80, 0x76, 0xc1, 0xaa, 0x00, 0x24, 0x13, 0x02, 0x13, 0x03, 0x13, 0x01,
    0xc0, 0x2c, 0xc0, 0x30, 0xc0, 0x2b, 0xc0, 0x2f, 0xcc, 0xa9, 0xcc, 0xa8,
    0xc0, 0x24, 0xc0, 0x28, 0xc0, 0x23, 0xc0, 0x27, 0x00, 0x9f, 0x00, 0x9e,
    0x00, 0x6b, 0x00, 0x67, 0x00, 0xff, 0x01, 0x00, 0x01, 0x8f, 0x00, 0x00,
    0x00, 0x10, 0x00, 0x0e, 0x00, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70,
    0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00,
    0x01, 0x02, 0x00, 0x0a, 0x00, 0x16, 0x00, 0x14, 0x00, 0x1d, 0x00, 0x17,
    0x00, 0x1e, 0x00, 0x19, 0x00, 0x18, 0x01, 0x00, 0x01, 0x01, 0x01, 0x02,
    0x01, 0x03, 0x01, 0x04, 0x00, 0x23, 0x00, 0x00, 0x00, 0x10, 0x00, 0x0e,
    0x00, 0x0c, 0x02, 0x68, 0x32, 0x08, 0x68, 0x74, 0x74, 0x70, 0x2f, 0x31,
    0x2e, 0x31, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x0d,
    0x00, 0x2a, 0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x07,
    0x08, 0x08, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08, 0x05,
    0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03, 0x03, 0x01,
    0x03, 0x02, 0x04, 0x02, 0x05, 0x02, 0x06, 0x02, 0x00, 0x2b, 0x00, 0x05,
    0x04, 0x03, 0x04, 0x03, 0x03, 0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00,
    0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, 0xfb, 0xe5, 0x7a,
    0x1e, 0x08, 0xe5, 0x6d, 0xef, 0xcb, 0x1c, 0x09, 0x0a, 0xeb, 0x73, 0xfb,
    0xbf, 0x55, 0xb1, 0xfe, 0x88, 0xf7, 0x6f, 0xa5, 0x8d, 0x3e, 0x8e, 0x2f,
    0x6a, 0x8d, 0x67, 0x4a, 0x5c, 0x00, 0x15, 0x00, 0xd0, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00,
};

/* its ServerHello record from an OpenSSL 3.0 server (127 bytes) */
static const uint8_t tls13_server_hello[] = {
    0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00, 0x76, 0x03, 0x03, 0x1e,
    0x41, 0xd0, 0x1e, 0x8b, 0xc7, 0x39, 0x79, 0xfb, 0xa7, 0x9c, 0x23, 0x2c,
    0xee, 0x0b, 0x3a, 0x0c, 0x43, 0xb7, 0x01, 0xda, 0x05, 0x86, 0xd1, 0x54,
    0xa9, 0xb9, 0xd6, 0x6d, 0xa1, 0x94, 0x28, 0x20, 0xdd, 0x64, 0xad, 0x0d,
    0xb3, 0x01, 0x98, 0x5a, 0x44, 0x3d, 0xc1, 0x67, 0x63, 0x3b, 0xd0, 0x92,
    0x41, 0xf0, 0x16, 0x52, 0x4c, 0x2a, 0xec, 0x61, 0x76, 0x3c, 0xc7, 0xd3,
    0x80, 0x76, 0xc1, 0xaa, 0x13, 0x02, 0x00, 0x00, 0x2e, 0x00, 0x2b, 0x00,
    0x02, 0x03, 0x04, 0x00, 0x33, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, 0x9f,
    0x42, 0xdf, 0xa7, 0x1a, 0x74, 0xed, 0xe4, 0x75, 0x3d, 0xd4, 0x95, 0x2e,
    0x0f, 0x0a, 0x65, 0x33, 0x87, 0x34, 0x8f, 0xf0, 0x47, 0x82, 0xa8, 0xc6,
    0xd9, 0xa7, 0xca, 0xfd, 0x85, 0x3b, 0x5c,
};

/* TLS 1.2 ServerHello record from an OpenSSL 3.0 server selecting ALPN h2 (79
 * bytes) */
static const uint8_t tls12_server_hello[] = {
    0x16, 0x03, 0x03, 0x00, 0x4a, 0x02, 0x00, 0x00, 0x46, 0x03, 0x03, 0xe5,
    0xc6, 0xdd, 0xd3, 0xbf, 0x0a, 0xdb, 0xcd, 0xdd, 0x86, 0x3e, 0xe4, 0x2b,
    0x0c, 0x26, 0xdd, 0x9e, 0x83, 0xd3, 0x6d, 0x5f, 0x97, 0xa8, 0xbc, 0x44,
    0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01, 0x00, 0xc0, 0x2c, 0x00, 0x00,
    0x1e, 0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00,
    0x01, 0x02, 0x00, 0x23, 0x00, 0x00, 0x00, 0x10, 0x00, 0x05, 0x00, 0x03,
    0x02, 0x68, 0x32, 0x00, 0x17, 0x00, 0x00,
};

/* DTLS 1.2 ClientHello, epoch 0, no cookie, SNI dtls.example.org (96 bytes) */
static const uint8_t dtls12_client_hello[] = {
    0x16, 0xfe, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x53, 0x01, 0x00, 0x00, 0x47, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x47, 0xfe, 0xfd, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14,
    0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x00,
    0x00, 0x00, 0x04, 0xc0, 0x2b, 0xc0, 0x2f, 0x01, 0x00, 0x00, 0x19, 0x00,
    0x00, 0x00, 0x15, 0x00, 0x13, 0x00, 0x00, 0x10, 0x64, 0x74, 0x6c, 0x73,
    0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67,
};

/* DTLS 1.0 HelloVerifyRequest with a 20-byte cookie (48 bytes) */
static const uint8_t dtls_hello_verify[] = {
    0x16, 0xfe, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x23, 0x03, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x17, 0xfe, 0xff, 0x14, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b,
    0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,
};

/* QUIC v1 client Initial (RFC 9001 A.2's DCID), cut at 64 bytes (72 bytes) */
static const uint8_t quic_v1_initial[] = {
    0xc3, 0x00, 0x00, 0x00, 0x01, 0x08, 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51,
    0x57, 0x08, 0x08, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x00,
    0x44, 0x9e, 0x0b, 0x30, 0x55, 0x7a, 0x9f, 0xc4, 0xe9, 0x0e, 0x33, 0x58,
    0x7d, 0xa2, 0xc7, 0xec, 0x11, 0x36, 0x5b, 0x80, 0xa5, 0xca, 0xef, 0x14,
    0x39, 0x5e, 0x83, 0xa8, 0xcd, 0xf2, 0x17, 0x3c, 0x61, 0x86, 0xab, 0xd0,
    0xf5, 0x1a, 0x3f, 0x64, 0x89, 0xae, 0xd3, 0xf8, 0x1d, 0x42, 0x67, 0x8c,
};

/* QUIC v2 client Initial (RFC 9369), no SCID, cut at 64 bytes (66 bytes) */
static const uint8_t quic_v2_initial[] = {
    0xd3, 0x6b, 0x33, 0x43, 0xcf, 0x08, 0x83, 0x94, 0xc8, 0xf0, 0x3e,
    0x51, 0x57, 0x08, 0x00, 0x00, 0x44, 0x9e, 0x07, 0x3c, 0x71, 0xa6,
    0xdb, 0x10, 0x45, 0x7a, 0xaf, 0xe4, 0x19, 0x4e, 0x83, 0xb8, 0xed,
    0x22, 0x57, 0x8c, 0xc1, 0xf6, 0x2b, 0x60, 0x95, 0xca, 0xff, 0x34,
    0x69, 0x9e, 0xd3, 0x08, 0x3d, 0x72, 0xa7, 0xdc, 0x11, 0x46, 0x7b,
    0xb0, 0xe5, 0x1a, 0x4f, 0x84, 0xb9, 0xee, 0x23, 0x58, 0x8d, 0xc2,
};

/* HTTP/2 server SETTINGS: MAX_CONCURRENT_STREAMS 100, INITIAL_WINDOW_SIZE
 * 65536, MAX_HEADER_LIST_SIZE 16384 (27 bytes) */
static const uint8_t h2_server_settings[] = {
    0x00, 0x00, 0x12, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x03, 0x00, 0x00, 0x00, 0x64, 0x00, 0x04, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x40, 0x00,
};

/* DNS query as dig sends it: example.org A IN, RD AD, EDNS OPT (40 bytes) */
static const uint8_t dns_query[] = {
    0x1a, 0x2b, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
    0x03, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
    0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* DNS response: example.org A 93.184.215.14 (45 bytes) */
static const uint8_t dns_response[] = {
    0x1a, 0x2b, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x6f, 0x72, 0x67,
    0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00,
    0x00, 0x0e, 0x10, 0x00, 0x04, 0x5d, 0xb8, 0xd7, 0x0e,
};

/* the same query over TCP with its length prefix (42 bytes) */
static const uint8_t dns_tcp_query[] = {
    0x00, 0x28, 0x1a, 0x2b, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
    0x03, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
    0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* mDNS query: _ipp._tcp.local PTR, unicast-response bit (33 bytes) */
static const uint8_t mdns_query[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x04, 0x5f, 0x69, 0x70, 0x70, 0x04, 0x5f, 0x74, 0x63, 0x70,
    0x05, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x00, 0x00, 0x0c, 0x80, 0x01,
};

/* mDNS announcement (RFC 6762 8.3): no question, printer.local A, cache-flush
 * (41 bytes) */
static const uint8_t mdns_announcement[] = {
    0x00, 0x00, 0x84, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x07, 0x70, 0x72, 0x69, 0x6e, 0x74, 0x65, 0x72, 0x05, 0x6c,
    0x6f, 0x63, 0x61, 0x6c, 0x00, 0x00, 0x01, 0x80, 0x01, 0x00, 0x00,
    0x00, 0x78, 0x00, 0x04, 0xc0, 0xa8, 0x01, 0x14,
};
/* SNMPv2c GetRequest sysDescr.0, community public (43 bytes) */
static const uint8_t snmp_v2c_get[] = {
    0x30, 0x29, 0x02, 0x01, 0x01, 0x04, 0x06, 0x70, 0x75, 0x62, 0x6c,
    0x69, 0x63, 0xa0, 0x1c, 0x02, 0x04, 0x1a, 0x2b, 0x3c, 0x4d, 0x02,
    0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c, 0x06, 0x08,
    0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00,
};

/* SNMPv3 engine discovery request (cut inside the scoped PDU) (62 bytes) */
static const uint8_t snmp_v3_discovery[] = {
    0x30, 0x3c, 0x02, 0x01, 0x03, 0x30, 0x11, 0x02, 0x04, 0x00, 0x00,
    0x30, 0x39, 0x02, 0x03, 0x00, 0xff, 0xe3, 0x04, 0x01, 0x04, 0x02,
    0x01, 0x03, 0x04, 0x10, 0x30, 0x0e, 0x04, 0x00, 0x02, 0x01, 0x00,
    0x02, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00, 0x04, 0x00, 0x30, 0x12,
    0x04, 0x00, 0x04, 0x00, 0x00, 0xa0, 0x0c, 0x02, 0x04, 0x00, 0x00,
    0x30, 0x39, 0x02, 0x01, 0x00, 0x02, 0x01,
};

/* MQTT 3.1.1 CONNECT, clean session, keep-alive 60, client id test (18 bytes)
 */
static const uint8_t mqtt311_connect[] = {
    0x10, 0x10, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04,
    0x02, 0x00, 0x3c, 0x00, 0x04, 0x74, 0x65, 0x73, 0x74,
};

/* MQTT 5.0 CONNECT, no properties (19 bytes) */
static const uint8_t mqtt5_connect[] = {
    0x10, 0x11, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x05, 0x02,
    0x00, 0x3c, 0x00, 0x00, 0x04, 0x74, 0x65, 0x73, 0x74,
};

/* MQTT 3.1 CONNECT (MQIsdp) (20 bytes) */
static const uint8_t mqtt31_connect[] = {
    0x10, 0x12, 0x00, 0x06, 0x4d, 0x51, 0x49, 0x73, 0x64, 0x70,
    0x03, 0x02, 0x00, 0x00, 0x00, 0x04, 0x74, 0x65, 0x73, 0x74,
};

/* PostgreSQL StartupMessage 3.0 as psql sends it (63 bytes) */
static const uint8_t pg_startup[] = {
    0x00, 0x00, 0x00, 0x3f, 0x00, 0x03, 0x00, 0x00, 0x75, 0x73, 0x65,
    0x72, 0x00, 0x70, 0x6f, 0x73, 0x74, 0x67, 0x72, 0x65, 0x73, 0x00,
    0x64, 0x61, 0x74, 0x61, 0x62, 0x61, 0x73, 0x65, 0x00, 0x70, 0x6f,
    0x73, 0x74, 0x67, 0x72, 0x65, 0x73, 0x00, 0x61, 0x70, 0x70, 0x6c,
    0x69, 0x63, 0x61, 0x74, 0x69, 0x6f, 0x6e, 0x5f, 0x6e, 0x61, 0x6d,
    0x65, 0x00, 0x70, 0x73, 0x71, 0x6c, 0x00, 0x00,
};

/* PostgreSQL SSLRequest (8 bytes) */
static const uint8_t pg_sslrequest[] = {
    0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f,
};

/* PostgreSQL AuthenticationMD5Password (13 bytes) */
static const uint8_t pg_auth_md5[] = {
    0x52, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00,
    0x00, 0x05, 0x1f, 0x2e, 0x3d, 0x4c,
};

/* MySQL 8.0 Initial Handshake v10 (95 bytes) */
static const uint8_t mysql_greeting[] = {
    0x5b, 0x00, 0x00, 0x00, 0x0a, 0x38, 0x2e, 0x30, 0x2e, 0x33, 0x36, 0x2d,
    0x30, 0x75, 0x62, 0x75, 0x6e, 0x74, 0x75, 0x30, 0x2e, 0x32, 0x32, 0x2e,
    0x30, 0x34, 0x2e, 0x31, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x41, 0x31, 0x62,
    0x32, 0x43, 0x33, 0x64, 0x34, 0x00, 0xff, 0xff, 0xff, 0x02, 0x00, 0xff,
    0xdf, 0x15, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x65, 0x35, 0x46, 0x36, 0x67, 0x37, 0x48, 0x38, 0x69, 0x39, 0x4a, 0x30,
    0x00, 0x63, 0x61, 0x63, 0x68, 0x69, 0x6e, 0x67, 0x5f, 0x73, 0x68, 0x61,
    0x32, 0x5f, 0x70, 0x61, 0x73, 0x73, 0x77, 0x6f, 0x72, 0x64, 0x00,
};

/* RDP X.224 Connection Request with cookie and RDP_NEG_REQ (TLS|CredSSP) (43
 * bytes) */
static const uint8_t rdp_cr[] = {
    0x03, 0x00, 0x00, 0x2b, 0x26, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x43, 0x6f, 0x6f, 0x6b, 0x69, 0x65, 0x3a, 0x20, 0x6d, 0x73, 0x74,
    0x73, 0x68, 0x61, 0x73, 0x68, 0x3d, 0x61, 0x6c, 0x69, 0x63, 0x65,
    0x0d, 0x0a, 0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00,
};

/* RDP X.224 Connection Confirm, RDP_NEG_RSP TLS (19 bytes) */
static const uint8_t rdp_cc[] = {
    0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34,
    0x00, 0x02, 0x0f, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00,
};

/* SMB2 NEGOTIATE over direct TCP, cut after the header (72 bytes) */
static const uint8_t smb2_negotiate[] = {
    0x00, 0x00, 0x00, 0xa8, 0xfe, 0x53, 0x4d, 0x42, 0x40, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x05, 0x00,
};

/* SMB1 Negotiate Protocol over NetBIOS, cut after the header (36 bytes) */
static const uint8_t smb1_negotiate[] = {
    0x00, 0x00, 0x00, 0x54, 0xff, 0x53, 0x4d, 0x42, 0x72, 0x00, 0x00, 0x00,
    0x00, 0x18, 0x53, 0xc8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* X11 connection setup, LSB first, MIT-MAGIC-COOKIE-1 (48 bytes) */
static const uint8_t x11_setup[] = {
    0x6c, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x12, 0x00, 0x10, 0x00, 0x00, 0x00,
    0x4d, 0x49, 0x54, 0x2d, 0x4d, 0x41, 0x47, 0x49, 0x43, 0x2d, 0x43, 0x4f,
    0x4f, 0x4b, 0x49, 0x45, 0x2d, 0x31, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03,
    0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};

/* BitTorrent handshake as BEP 3 lays it out: pstrlen 19, "BitTorrent
 * protocol", reserved bits (extension and DHT bits set), info hash, peer
 * id; hand-built, not captured (68 bytes) */
static const uint8_t bt_handshake[] = {
    0x13, 0x42, 0x69, 0x74, 0x54, 0x6f, 0x72, 0x72, 0x65, 0x6e, 0x74, 0x20,
    0x70, 0x72, 0x6f, 0x74, 0x6f, 0x63, 0x6f, 0x6c, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x10, 0x00, 0x05, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13,
    0x2d, 0x71, 0x42, 0x34, 0x36, 0x33, 0x30, 0x2d, 0x61, 0x62, 0x63, 0x64,
    0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c,
};

/* STUN Binding request with SOFTWARE (28 bytes) */
static const uint8_t stun_binding_request[] = {
    0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 0x00, 0x01,
    0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
    0x80, 0x22, 0x00, 0x04, 0x74, 0x65, 0x73, 0x74,
};

/* STUN Binding success with XOR-MAPPED-ADDRESS (32 bytes) */
static const uint8_t stun_binding_success[] = {
    0x01, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42, 0x00, 0x01, 0x02,
    0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x00, 0x20,
    0x00, 0x08, 0x00, 0x01, 0xa1, 0xb2, 0xe1, 0xba, 0xa5, 0xbe,
};

/* First payloads of real clients, read by a Python socket on loopback
 * (tests run none of them). */
/* first bytes of OpenSSH_9.2p1 Debian-2+deb12u6 connecting (40 bytes) */
static const uint8_t real_ssh_client[] = {
    0x53, 0x53, 0x48, 0x2d, 0x32, 0x2e, 0x30, 0x2d, 0x4f, 0x70,
    0x65, 0x6e, 0x53, 0x53, 0x48, 0x5f, 0x39, 0x2e, 0x32, 0x70,
    0x31, 0x20, 0x44, 0x65, 0x62, 0x69, 0x61, 0x6e, 0x2d, 0x32,
    0x2b, 0x64, 0x65, 0x62, 0x31, 0x32, 0x75, 0x36, 0x0d, 0x0a,
};

/* curl 7.88.1 request (84 bytes) */
static const uint8_t real_curl_get[] = {
    0x47, 0x45, 0x54, 0x20, 0x2f, 0x78, 0x3f, 0x79, 0x3d, 0x31, 0x20, 0x48,
    0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e, 0x31, 0x0d, 0x0a, 0x48, 0x6f, 0x73,
    0x74, 0x3a, 0x20, 0x31, 0x32, 0x37, 0x2e, 0x30, 0x2e, 0x30, 0x2e, 0x31,
    0x3a, 0x35, 0x32, 0x32, 0x38, 0x30, 0x0d, 0x0a, 0x55, 0x73, 0x65, 0x72,
    0x2d, 0x41, 0x67, 0x65, 0x6e, 0x74, 0x3a, 0x20, 0x63, 0x75, 0x72, 0x6c,
    0x2f, 0x37, 0x2e, 0x38, 0x38, 0x2e, 0x31, 0x0d, 0x0a, 0x41, 0x63, 0x63,
    0x65, 0x70, 0x74, 0x3a, 0x20, 0x2a, 0x2f, 0x2a, 0x0d, 0x0a, 0x0d, 0x0a,
};

/* psql StartupMessage, sslmode=disable (54 bytes) */
static const uint8_t real_psql_startup[] = {
    0x00, 0x00, 0x00, 0x36, 0x00, 0x03, 0x00, 0x00, 0x75, 0x73, 0x65,
    0x72, 0x00, 0x61, 0x6c, 0x69, 0x63, 0x65, 0x00, 0x64, 0x61, 0x74,
    0x61, 0x62, 0x61, 0x73, 0x65, 0x00, 0x64, 0x62, 0x00, 0x61, 0x70,
    0x70, 0x6c, 0x69, 0x63, 0x61, 0x74, 0x69, 0x6f, 0x6e, 0x5f, 0x6e,
    0x61, 0x6d, 0x65, 0x00, 0x70, 0x73, 0x71, 0x6c, 0x00, 0x00,
};

/* psql SSLRequest, sslmode=prefer (8 bytes) */
static const uint8_t real_psql_sslrequest[] = {
    0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f,
};

/* openssl s_client -dtls1_2 ClientHello (230 bytes) */
static const uint8_t real_dtls_client_hello[] = {
    0x16, 0xfe, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xd9, 0x01, 0x00, 0x00, 0xcd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xcd, 0xfe, 0xfd, 0xd2, 0x9d, 0x85, 0xd8, 0x00, 0x93, 0xaa, 0x85, 0xb4,
    0xea, 0x73, 0x19, 0x9b, 0x51, 0xea, 0xdc, 0xce, 0x18, 0x60, 0x29, 0x1a,
    0x3a, 0x87, 0xcd, 0x2b, 0x32, 0x75, 0xd2, 0xe7, 0x66, 0x57, 0x40, 0x00,
    0x00, 0x00, 0x38, 0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc,
    0xa8, 0xcc, 0xaa, 0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0,
    0x28, 0x00, 0x6b, 0xc0, 0x23, 0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0,
    0x14, 0x00, 0x39, 0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00,
    0x9c, 0x00, 0x3d, 0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01,
    0x00, 0x00, 0x6b, 0x00, 0x00, 0x00, 0x15, 0x00, 0x13, 0x00, 0x00, 0x10,
    0x64, 0x74, 0x6c, 0x73, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
    0x2e, 0x6f, 0x72, 0x67, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02,
    0x00, 0x0a, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e,
    0x00, 0x19, 0x00, 0x18, 0x00, 0x23, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00,
    0x00, 0x17, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04, 0x03,
    0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a,
    0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01,
    0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02,
    0x06, 0x02,
};

/* logger --rfc5424 over UDP (99 bytes) */
static const uint8_t real_logger_5424[] = {
    0x3c, 0x31, 0x33, 0x3e, 0x31, 0x20, 0x32, 0x30, 0x32, 0x36, 0x2d,
    0x31, 0x32, 0x2d, 0x30, 0x37, 0x54, 0x30, 0x32, 0x3a, 0x30, 0x35,
    0x3a, 0x33, 0x30, 0x2e, 0x31, 0x33, 0x30, 0x35, 0x33, 0x36, 0x2b,
    0x30, 0x30, 0x3a, 0x30, 0x30, 0x20, 0x76, 0x6d, 0x20, 0x70, 0x6f,
    0x72, 0x74, 0x6e, 0x6f, 0x74, 0x65, 0x20, 0x2d, 0x20, 0x2d, 0x20,
    0x5b, 0x74, 0x69, 0x6d, 0x65, 0x51, 0x75, 0x61, 0x6c, 0x69, 0x74,
    0x79, 0x20, 0x74, 0x7a, 0x4b, 0x6e, 0x6f, 0x77, 0x6e, 0x3d, 0x22,
    0x31, 0x22, 0x20, 0x69, 0x73, 0x53, 0x79, 0x6e, 0x63, 0x65, 0x64,
    0x3d, 0x22, 0x30, 0x22, 0x5d, 0x20, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

/* logger --rfc3164 over UDP (38 bytes) */
static const uint8_t real_logger_3164[] = {
    0x3c, 0x31, 0x33, 0x3e, 0x44, 0x65, 0x63, 0x20, 0x20, 0x37,
    0x20, 0x30, 0x32, 0x3a, 0x30, 0x35, 0x3a, 0x33, 0x30, 0x20,
    0x76, 0x6d, 0x20, 0x70, 0x6f, 0x72, 0x74, 0x6e, 0x6f, 0x74,
    0x65, 0x3a, 0x20, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

/* Text samples; their size leaves out the terminating NUL. */
static const char http_get[] = "GET /index.html?q=1 HTTP/1.1\r\n"
			       "Host: example.org\r\n"
			       "User-Agent: curl/7.88.1\r\n\r\n";
static const char http_status[] = "HTTP/1.1 301 Moved Permanently\r\n"
				  "Location: https://example.org/\r\n\r\n";
static const char http10_status[] = "HTTP/1.0 200 OK\r\n";
static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
				 "\x00\x00\x00\x04\x01\x00\x00\x00\x00";
static const char ssh_client[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
static const char ssh_server[] = "SSH-1.99-Cisco-1.25\r\n";
static const char smtp_greeting[] =
    "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n";
static const char smtp_ehlo[] = "EHLO client.example.org\r\n";
static const char ftp_greeting[] = "220 (vsFTPd 3.0.3)\r\n";
static const char ftp_multiline[] =
    "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n"
    "220-You are user number 1 of 50 allowed.\r\n";
static const char ftp_feat[] = "FEAT\r\n";
static const char pop3_greeting[] = "+OK Dovecot (Debian) ready.\r\n";
static const char pop3_capa[] = "CAPA\r\n";
static const char imap_greeting[] =
    "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
    "LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n";
static const char imap_capability[] = "a001 CAPABILITY\r\n";
static const char sip_invite[] =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: 70\r\n";
static const char sip_ok[] = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x\r\n";
static const char rtsp_options[] =
    "OPTIONS rtsp://media.example.com/stream RTSP/1.0\r\nCSeq: 1\r\n\r\n";
static const char rtsp_ok[] = "RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n";
static const char syslog_5424[] =
    "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
    "'su root' failed for lonvick on /dev/pts/8";
static const char syslog_3164[] = "<13>Feb  5 17:32:18 10.0.0.99 Use the "
				  "BFG!";
static const char syslog_tcp[] = "60 <165>1 2003-08-24T05:14:15.000003-07:00 "
				 "192.0.2.1 myproc 8710 - - %% It's time";
static const char redis_ping[] = "*1\r\n$4\r\nPING\r\n";
static const char redis_set[] = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\n"
				"value\r\n";
static const char redis_pong[] = "+PONG\r\n";
static const uint8_t mqtt_connack[] = {0x20, 0x02, 0x00, 0x00};

/* Mostly-zero binary samples, built in setup(). */
static uint8_t ntp_client[48], ntp_server[48], dhcp_discover[300];
static uint8_t wg_initiation[148], wg_response[92], wg_data[64];

struct sample {
	const char *caption;
	enum pn_proto proto;
	enum pn_l4 l4;
	bool from_client;
	const uint8_t *p;
	size_t len;
	const char *token; /* expected token, NULL: not checked */
	const char *extra;
};

#define B(proto, l4, dir, arr, tok, ex)                                        \
	{                                                                      \
#arr, proto, l4, dir, arr, sizeof arr, tok, ex                 \
	}
#define T(proto, l4, dir, arr, tok, ex)                                        \
	{                                                                      \
#arr, proto, l4, dir, (const uint8_t *)arr, sizeof arr - 1,    \
		    tok, ex                                                    \
	}
#define C true
#define S false
#define TCP PN_L4_TCP
#define UDP PN_L4_UDP

static const struct sample samples[] = {
    B(PN_P_TLS, TCP, C, tls13_client_hello, "sni=example.org", "alpn=h2"),
    B(PN_P_TLS, TCP, S, tls13_server_hello, "serverhello tls1.3", ""),
    B(PN_P_TLS, TCP, S, tls12_server_hello, "serverhello tls1.2", "alpn=h2"),
    B(PN_P_DTLS, UDP, C, dtls12_client_hello, "sni=dtls.example.org", ""),
    B(PN_P_DTLS, UDP, S, dtls_hello_verify, "helloverifyrequest", ""),
    B(PN_P_QUIC, UDP, C, quic_v1_initial, "initial v1", ""),
    B(PN_P_QUIC, UDP, C, quic_v2_initial, "initial v2", ""),
    T(PN_P_HTTP1, TCP, C, http_get, "GET /index.html?q=1", "HTTP/1.1"),
    T(PN_P_HTTP1, TCP, S, http_status, "HTTP/1.1 301", ""),
    T(PN_P_HTTP1, TCP, S, http10_status, "HTTP/1.0 200", ""),
    T(PN_P_HTTP2, TCP, C, h2_preface, "preface", ""),
    B(PN_P_HTTP2, TCP, S, h2_server_settings, "settings", ""),
    T(PN_P_SSH, TCP, C, ssh_client, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3",
      ""),
    T(PN_P_SSH, TCP, S, ssh_server, "SSH-1.99-Cisco-1.25", ""),
    B(PN_P_DNS, UDP, C, dns_query, "qname=example.org", "query"),
    B(PN_P_DNS, UDP, S, dns_response, "qname=example.org", "response"),
    B(PN_P_DNS, TCP, C, dns_tcp_query, "qname=example.org", "query"),
    B(PN_P_DNS, UDP, C, mdns_query, "qname=_ipp._tcp.local", "query"),
    B(PN_P_DNS, UDP, C, mdns_announcement, "name=printer.local", "response"),
    T(PN_P_SMTP, TCP, S, smtp_greeting, NULL, ""),
    T(PN_P_SMTP, TCP, C, smtp_ehlo, "EHLO client.example.org", ""),
    T(PN_P_FTP, TCP, S, ftp_greeting, "220 (vsFTPd 3.0.3)", ""),
    T(PN_P_FTP, TCP, S, ftp_multiline, NULL, ""),
    T(PN_P_FTP, TCP, C, ftp_feat, "FEAT", ""),
    T(PN_P_POP3, TCP, S, pop3_greeting, "+OK Dovecot (Debian) ready.", ""),
    T(PN_P_POP3, TCP, C, pop3_capa, "CAPA", ""),
    T(PN_P_IMAP, TCP, S, imap_greeting, NULL, ""),
    T(PN_P_IMAP, TCP, C, imap_capability, "a001 CAPABILITY", ""),
    B(PN_P_NTP, UDP, C, ntp_client, "v4 client", ""),
    B(PN_P_NTP, UDP, S, ntp_server, "v4 server", ""),
    T(PN_P_SIP, UDP, C, sip_invite, "INVITE sip:bob@biloxi.example.com",
      "SIP/2.0"),
    T(PN_P_SIP, TCP, S, sip_ok, "SIP/2.0 200", ""),
    T(PN_P_RTSP, TCP, C, rtsp_options,
      "OPTIONS rtsp://media.example.com/stream", "RTSP/1.0"),
    T(PN_P_RTSP, TCP, S, rtsp_ok, "RTSP/1.0 200", ""),
    B(PN_P_DHCP, UDP, C, dhcp_discover, "dhcp discover", ""),
    B(PN_P_SNMP, UDP, C, snmp_v2c_get, "v2c get", ""),
    B(PN_P_SNMP, UDP, C, snmp_v3_discovery, "v3", ""),
    T(PN_P_SYSLOG, UDP, C, syslog_5424, "<34>", ""),
    T(PN_P_SYSLOG, UDP, C, syslog_3164, "<13>", ""),
    T(PN_P_SYSLOG, TCP, C, syslog_tcp, "<165>", ""),
    B(PN_P_MQTT, TCP, C, mqtt311_connect, "connect 3.1.1", ""),
    B(PN_P_MQTT, TCP, C, mqtt5_connect, "connect 5.0", ""),
    B(PN_P_MQTT, TCP, C, mqtt31_connect, "connect 3.1", ""),
    B(PN_P_MQTT, TCP, S, mqtt_connack, "connack", ""),
    T(PN_P_REDIS, TCP, C, redis_ping, "PING", ""),
    T(PN_P_REDIS, TCP, C, redis_set, "SET", ""),
    T(PN_P_REDIS, TCP, S, redis_pong, "+PONG", ""),
    B(PN_P_POSTGRESQL, TCP, C, pg_startup, "startup 3.0", ""),
    B(PN_P_POSTGRESQL, TCP, C, pg_sslrequest, "sslrequest", ""),
    B(PN_P_POSTGRESQL, TCP, S, pg_auth_md5, "authentication", ""),
    B(PN_P_MYSQL, TCP, S, mysql_greeting, "8.0.36-0ubuntu0.22.04.1", ""),
    B(PN_P_RDP, TCP, C, rdp_cr, "x224-cr", "mstshash=alice"),
    B(PN_P_RDP, TCP, S, rdp_cc, "x224-cc", ""),
    B(PN_P_SMB, TCP, C, smb2_negotiate, "smb2", ""),
    B(PN_P_SMB, TCP, C, smb1_negotiate, "smb1", ""),
    B(PN_P_X11, TCP, C, x11_setup, "setup lsb", "MIT-MAGIC-COOKIE-1"),
    B(PN_P_BITTORRENT, TCP, C, bt_handshake, "handshake", "peer=-qB4630-"),
    B(PN_P_STUN, UDP, C, stun_binding_request, "binding request", ""),
    B(PN_P_STUN, UDP, S, stun_binding_success, "binding success", ""),
    B(PN_P_WIREGUARD, UDP, C, wg_initiation, "handshake initiation", ""),
    B(PN_P_WIREGUARD, UDP, S, wg_response, "handshake response", ""),
    B(PN_P_WIREGUARD, UDP, C, wg_data, "transport data", ""),
    B(PN_P_SSH, TCP, C, real_ssh_client,
      "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u6", ""),
    B(PN_P_HTTP1, TCP, C, real_curl_get, "GET /x?y=1", "HTTP/1.1"),
    B(PN_P_POSTGRESQL, TCP, C, real_psql_startup, "startup 3.0", ""),
    B(PN_P_POSTGRESQL, TCP, C, real_psql_sslrequest, "sslrequest", ""),
    B(PN_P_DTLS, UDP, C, real_dtls_client_hello, "sni=dtls.example.org", ""),
    B(PN_P_SYSLOG, UDP, C, real_logger_5424, "<13>", ""),
    B(PN_P_SYSLOG, UDP, C, real_logger_3164, "<13>", ""),
};
#define NSAMPLES (sizeof samples / sizeof samples[0])

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static int setup(void **state)
{
	(void)state;
	/* NTP (RFC 5905 7.3): an SNTP client request, v4 mode 3, only the
	 * transmit timestamp set; a stratum-2 server's reply. */
	ntp_client[0] = 0x23;
	fill(ntp_client + 40, 8, 1);
	static const uint8_t srv[16] = {0x24, 0x02, 0x03, 0xe8, 0x00, 0x00,
					0x01, 0x2c, 0x00, 0x00, 0x00, 0x5a,
					0xc0, 0x00, 0x02, 0x01};
	memcpy(ntp_server, srv, sizeof srv);
	fill(ntp_server + 16, 32, 2);
	/* DHCPDISCOVER (RFC 2131 4.4.1): op 1, Ethernet, hlen 6, xid,
	 * chaddr, cookie, options 53 (discover), 55, end, padding. */
	static const uint8_t dh[] = {1, 1, 6, 0, 0x39, 0x03, 0xf3, 0x26};
	memcpy(dhcp_discover, dh, sizeof dh);
	memcpy(dhcp_discover + 28, "\x02\x42\xac\x11\x00\x02", 6);
	static const uint8_t opts[] = {99, 130, 83, 99, 53, 1, 1, 55,  4,
				       1,  3,	6,  15, 57, 2, 5, 220, 255};
	memcpy(dhcp_discover + 236, opts, sizeof opts);
	/* WireGuard (whitepaper 5.4.2, 5.4.3, 5.4.6): type, three zero
	 * bytes, then keys, MACs and ciphertext, random-looking. */
	wg_initiation[0] = 1;
	fill(wg_initiation + 4, sizeof wg_initiation - 4, 3);
	wg_response[0] = 2;
	fill(wg_response + 4, sizeof wg_response - 4, 4);
	wg_data[0] = 4;
	fill(wg_data + 4, sizeof wg_data - 4, 5);
	return 0;
}

static const enum pn_l4 l4s[] = {PN_L4_TCP, PN_L4_UDP};

/* Runs one recognizer (proto) or all (PN_P_NONE) over an exact heap copy
 * of p[0..n). */
static bool run(enum pn_proto proto, enum pn_l4 l4, bool from_client,
		const uint8_t *p, size_t n, struct pn_evidence *ev)
{
	uint8_t *copy = malloc(n ? n : 1);
	assert_non_null(copy);
	if (n)
		memcpy(copy, p, n);
	bool r = proto == PN_P_NONE
		     ? pn_evidence_recognize(l4, from_client, copy, n, ev)
		     : pn_evidence_check(proto, l4, from_client, copy, n, ev);
	free(copy);
	return r;
}

static void test_samples(void **state)
{
	(void)state;
	/* Every recognizer has a sample. */
	for (int q = PN_P_NONE + 1; q < PN_P_COUNT; q++) {
		bool has = false;
		for (size_t i = 0; i < NSAMPLES; i++)
			has |= samples[i].proto == (enum pn_proto)q;
		if (pn_evidence_implemented((enum pn_proto)q) && !has)
			fail_msg("no sample for %s",
				 pn_proto_name((enum pn_proto)q));
	}
	for (size_t i = 0; i < NSAMPLES; i++) {
		const struct sample *s = &samples[i];
		struct pn_evidence ev;
		assert_true(pn_evidence_implemented(s->proto));
		assert_true(
		    run(s->proto, s->l4, s->from_client, s->p, s->len, &ev));
		assert_int_equal(ev.proto, s->proto);
		if (s->token)
			assert_string_equal(ev.token, s->token);
		assert_string_equal(ev.extra, s->extra);
		/* The first recognizer tried that matches is this one. */
		assert_true(
		    run(PN_P_NONE, s->l4, s->from_client, s->p, s->len, &ev));
		assert_string_equal(pn_proto_name(ev.proto),
				    pn_proto_name(s->proto));
	}
}

/* No sample is taken for another protocol, on either transport, from
 * either side: TLS is not DTLS, HTTP is not RTSP or SIP, POP3 is not
 * Redis, and so on. */
static void test_no_confusion(void **state)
{
	(void)state;
	for (size_t i = 0; i < NSAMPLES; i++) {
		const struct sample *s = &samples[i];
		for (int q = PN_P_NONE + 1; q < PN_P_COUNT; q++) {
			if ((enum pn_proto)q == s->proto)
				continue;
			for (size_t t = 0; t < 2; t++)
				for (int dir = 0; dir < 2; dir++) {
					struct pn_evidence ev;
					if (run((enum pn_proto)q, l4s[t], dir,
						s->p, s->len, &ev))
						fail_msg("%s taken for %s",
							 s->caption,
							 pn_proto_name(q));
				}
		}
	}
}

/* Every prefix of every sample, in every combination of transport and
 * direction: read within bounds, and either nothing or the sample's own
 * protocol. */
static void test_prefixes(void **state)
{
	(void)state;
	for (size_t i = 0; i < NSAMPLES; i++) {
		const struct sample *s = &samples[i];
		for (size_t n = 0; n <= s->len; n++)
			for (size_t t = 0; t < 2; t++)
				for (int dir = 0; dir < 2; dir++) {
					struct pn_evidence ev;
					if (run(PN_P_NONE, l4s[t], dir, s->p, n,
						&ev) &&
					    ev.proto != s->proto)
						fail_msg(
						    "%s cut at %zu: %s",
						    s->caption, n,
						    pn_proto_name(ev.proto));
					if (!run(s->proto, l4s[t], dir, s->p, n,
						 &ev))
						assert_int_equal(ev.proto,
								 PN_P_NONE);
				}
	}
}

/* Near misses: each must match nothing. */
struct miss {
	const char *caption;
	enum pn_l4 l4;
	bool from_client;
	const char *p;
	size_t len;
};
#define M(cap, l4, dir, lit)                                                   \
	{                                                                      \
		cap, l4, dir, lit, sizeof lit - 1                              \
	}

static const struct miss misses[] = {
    M("redis +OK reply is not claimed", TCP, S, "+OK\x00"),
    M("+OK from the client", TCP, C, "+OK ready\r\n"),
    M("USER is both FTP and POP3", TCP, C, "USER anonymous\r\n"),
    M("HTTP request from the server side", TCP, S, "GET / HTTP/1.1\r\n"),
    M("HTTP status from the client side", TCP, C, "HTTP/1.1 200 OK\r\n"),
    M("HTTP/2.0 in a request line", TCP, C, "GET / HTTP/2.0\r\n"),
    M("unknown method", TCP, C, "FETCH / HTTP/1.1\r\n"),
    M("lower-case method", TCP, C, "get / HTTP/1.1\r\n"),
    M("request line not captured whole", TCP, C, "GET /very/long/path HT"),
    M("HTTP over UDP", UDP, C, "GET / HTTP/1.1\r\n"),
    M("status 999", TCP, S, "HTTP/1.1 999 What\r\n"),
    M("SIP method with an HTTP version", TCP, C, "INVITE sip:a@b HTTP/1.1\r\n"),
    M("RTSP method with a SIP version", UDP, C,
      "DESCRIBE rtsp://a/b SIP/2.0\r\n"),
    M("SSH-1.5 only", TCP, C, "SSH-1.5-OldClient\r\n"),
    M("SSH without software version", TCP, C, "SSH-2.0-\r\n"),
    M("SSH ident with a control byte", TCP, C, "SSH-2.0-Open\x01SSH\r\n"),
    M("220 greeting saying neither SMTP nor FTP", TCP, S,
      "220 Service ready\r\n"),
    M("IMAP untagged NO", TCP, S, "* NO go away\r\n"),
    M("IMAP tag with unknown command", TCP, C, "a1 FROB\r\n"),
    M("syslog PRI 192", UDP, C, "<192>1 2003-10-11T22:14:15Z h a - - -"),
    M("syslog PRI with a leading zero", UDP, C, "<013>Feb  5 17:32:18 x"),
    M("syslog with no version or timestamp", UDP, C, "<13>hello there"),
    M("Redis array of an integer", TCP, C, "*1\r\n:4\r\n"),
    M("Redis bulk length not matching", TCP, C, "*1\r\n$5\r\nPING\r\n"),
    M("TLS record version SSL 3.0", TCP, C,
      "\x16\x03\x00\x00\x2e\x01\x00\x00\x2a\x03\x00"),
    M("TLS alert record", TCP, C, "\x15\x03\x03\x00\x02\x02\x28"),
    M("TLS ClientHello longer than its record", TCP, C,
      "\x16\x03\x01\x00\x30\x01\x00\x01\x00\x03\x03"),
    M("QUIC version negotiation", UDP, C,
      "\xc0\x00\x00\x00\x00\x08\x01\x02\x03\x04\x05\x06\x07\x08\x00"
      "\x00\x00\x00\x01"),
    M("QUIC v1 Handshake packet", UDP, C,
      "\xe0\x00\x00\x00\x01\x08\x01\x02\x03\x04\x05\x06\x07\x08\x00"
      "\x44\x9e\x00\x00\x00\x00"),
    M("QUIC Initial with a 21-byte DCID", UDP, S,
      "\xc0\x00\x00\x00\x01\x15\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a"
      "\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x00\x00\x40\x20"),
    M("DTLS epoch 1", UDP, C,
      "\x16\xfe\xfd\x00\x01\x00\x00\x00\x00\x00\x00\x00\x0c\x01\x00\x00"
      "\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
    M("DNS with no question", UDP, C,
      "\x12\x34\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
    M("DNS question name with a pointer", UDP, C,
      "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01"
      "\x00\x01"),
    M("DNS class 2 (CSNET)", UDP, C,
      "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01\x61\x00\x00"
      "\x01\x00\x02"),
    M("DNS query with no question and an answer", UDP, C,
      "\x12\x34\x01\x00\x00\x00\x00\x01\x00\x00\x00\x00\x01\x61\x00\x00"
      "\x01\x00\x01\x00\x00\x00\x10\x00\x04\x01\x02\x03\x04"),
    M("DNS name not terminated", UDP, C,
      "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03\x61\x62\x63"),
    M("HTTP/2 SETTINGS ACK first", TCP, S,
      "\x00\x00\x00\x04\x01\x00\x00\x00\x00"),
    M("HTTP/2 SETTINGS on stream 1", TCP, S,
      "\x00\x00\x00\x04\x00\x00\x00\x00\x01"),
    M("MQTT CONNECT level 6", TCP, C,
      "\x10\x10\x00\x04MQTT\x06\x02\x00\x3c\x00\x04test"),
    M("PostgreSQL protocol 2.0 startup", TCP, C,
      "\x00\x00\x00\x10\x00\x02\x00\x00user\x00x\x00\x00"),
    M("STUN without magic cookie (RFC 3489)", UDP, C,
      "\x00\x01\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c"
      "\x0d\x0e\x0f\x10"),
    M("WireGuard initiation of the wrong size", UDP, C,
      "\x01\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c"
      "\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c"),
    M("SMB magic without the NetBIOS header", TCP, C,
      "\xfeSMB\x40\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
};

static void test_near_misses(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof misses / sizeof misses[0]; i++) {
		const struct miss *m = &misses[i];
		struct pn_evidence ev;
		if (run(PN_P_NONE, m->l4, m->from_client, (const uint8_t *)m->p,
			m->len, &ev))
			fail_msg("%s: taken for %s (%s)", m->caption,
				 pn_proto_name(ev.proto), ev.token);
		assert_int_equal(ev.proto, PN_P_NONE);
		assert_string_equal(ev.token, "");
	}
}

/* Direction matters where the specification gives each side its own
 * opening; it does not for datagram protocols either side may start. */
static void test_direction(void **state)
{
	(void)state;
	struct pn_evidence ev;
	assert_false(run(PN_P_TLS, TCP, S, tls13_client_hello,
			 sizeof tls13_client_hello, &ev));
	assert_false(run(PN_P_TLS, TCP, C, tls13_server_hello,
			 sizeof tls13_server_hello, &ev));
	assert_false(run(PN_P_TLS, UDP, C, tls13_client_hello,
			 sizeof tls13_client_hello, &ev));
	assert_true(run(PN_P_DNS, UDP, S, dns_query, sizeof dns_query, &ev));
	assert_true(run(PN_P_SIP, TCP, S, (const uint8_t *)sip_invite,
			sizeof sip_invite - 1, &ev));
	assert_true(run(PN_P_SSH, TCP, S, (const uint8_t *)ssh_client,
			sizeof ssh_client - 1, &ev));
	/* Transports other than TCP and UDP, and no payload, match
	 * nothing. */
	assert_false(pn_evidence_recognize(PN_L4_SCTP, true, dns_query,
					   sizeof dns_query, &ev));
	assert_false(pn_evidence_recognize(PN_L4_DCCP, true, dns_query,
					   sizeof dns_query, &ev));
	assert_false(pn_evidence_recognize(PN_L4_UDP, true, NULL, 10, &ev));
	assert_false(pn_evidence_check(PN_P_NONE, PN_L4_UDP, true, dns_query,
				       sizeof dns_query, &ev));
	assert_false(pn_evidence_check(PN_P_COUNT, PN_L4_UDP, true, dns_query,
				       sizeof dns_query, &ev));
	assert_int_equal(ev.proto, PN_P_NONE);
}

/* Tokens are raw but bounded: a copy stops at NUL, CR or LF and at the
 * buffer's end, and is always terminated. */
static void test_tokens_bounded(void **state)
{
	(void)state;
	struct pn_evidence ev;
	char line[300] = "SSH-2.0-";
	memset(line + 8, 'x', 200);
	memcpy(line + 208, "\r\n", 3);
	assert_true(run(PN_P_SSH, TCP, C, (const uint8_t *)line, 210, &ev));
	assert_int_equal(strlen(ev.token), sizeof ev.token - 1);

	/* An SNI holding a NUL, an ESC and a LF: the token keeps the raw
	 * bytes before the NUL (escaping is the output's job). */
	uint8_t ch[sizeof tls13_client_hello];
	memcpy(ch, tls13_client_hello, sizeof ch);
	size_t at = 0;
	for (size_t i = 0; i + 11 <= sizeof ch; i++)
		if (memcmp(ch + i, "example.org", 11) == 0)
			at = i;
	assert_true(at > 0);
	memcpy(ch + at,
	       "ex\x1b"
	       "am\nle\0org",
	       11);
	assert_true(run(PN_P_TLS, TCP, C, ch, sizeof ch, &ev));
	assert_string_equal(ev.token, "sni=ex\x1b"
				      "am");
	assert_string_equal(ev.extra, "alpn=h2");
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(pn_proto_name(PN_P_NONE), "none");
	assert_string_equal(pn_proto_name(PN_P_HTTP1), "http");
	assert_string_equal(pn_proto_name(PN_P_HTTP2), "http2");
	assert_string_equal(pn_proto_name(PN_P_COUNT), "unknown");
	assert_string_equal(pn_proto_name((enum pn_proto) - 1), "unknown");
	for (int p = 0; p < PN_P_COUNT; p++) {
		const char *n = pn_proto_name((enum pn_proto)p);
		assert_non_null(n);
		for (const char *c = n; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') ||
				    (*c >= '0' && *c <= '9'));
		for (int q = 0; q < p; q++)
			assert_string_not_equal(
			    n, pn_proto_name((enum pn_proto)q));
	}
}

/* xorshift64* (Vigna 2016): fast, fixed seed, reproducible. */
static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1du;
}

#ifndef PN_EVIDENCE_RANDOM
#define PN_EVIDENCE_RANDOM 1000000
#endif
#define PN_RANDOM_MAX 1500

/* Payload generators: uniform bytes; printable text with line breaks
 * (what text recognizers must refuse); and uniform bytes whose first two
 * come from the bytes binary signatures start with, so that checks past
 * the first byte are exercised too. */
static void gen_bytes(uint8_t *p, size_t len)
{
	for (size_t j = 0; j < len; j += 8) {
		uint64_t r = next();
		size_t k = len - j < 8 ? len - j : 8;
		memcpy(p + j, &r, k);
	}
}

static void gen_text(uint8_t *p, size_t len)
{
	for (size_t j = 0; j < len; j++) {
		uint64_t r = next();
		p[j] = r % 40 == 0 ? (r % 80 == 0 ? '\r' : '\n')
				   : (uint8_t)(0x20 + (r >> 8) % 95);
	}
}

static void gen_sig(uint8_t *p, size_t len)
{
	static const uint8_t firsts[] = {
	    0x00, 0x01, 0x02, 0x03, 0x04, 0x10, 0x13, 0x16, 0x20, 0x23,
	    0x24, 0x30, 0xc3, 0xd3, 0xe0, 0xfe, 0xff, '*',  '+',  '<',
	    'B',  'l',	'R',  'S',  'G',  'H',	'2',  '1',  '0',  '6'};
	gen_bytes(p, len);
	for (size_t j = 0; j < len && j < 2; j++)
		p[j] = firsts[next() % sizeof firsts];
}

/* Random payloads of random lengths 1-1500, each tried by every
 * recognizer on both transports from both sides: each must match fewer
 * than 1 in 10,000. The payload ends at its buffer's end, so an overread
 * is a sanitizer error. */
static void random_rates(const char *what, long count,
			 void (*gen)(uint8_t *, size_t))
{
	static uint8_t buf[PN_RANDOM_MAX];
	uint64_t hits[PN_P_COUNT] = {0}, any = 0;
	clock_t t0 = clock();

	rng = 0x9e3779b97f4a7c15u;
	for (long i = 0; i < count; i++) {
		size_t len = 1 + (size_t)(next() % PN_RANDOM_MAX);
		uint8_t *p = buf + PN_RANDOM_MAX - len;
		gen(p, len);
		bool hit = false;
		for (int q = PN_P_NONE + 1; q < PN_P_COUNT; q++)
			for (size_t t = 0; t < 2; t++)
				for (int dir = 0; dir < 2; dir++) {
					struct pn_evidence ev;
					if (pn_evidence_check((enum pn_proto)q,
							      l4s[t], dir, p,
							      len, &ev)) {
						hits[q]++;
						hit = true;
					}
				}
		any += hit;
	}
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	print_message("%ld random %s payloads in %.2f s; matched: %llu\n",
		      count, what, secs, (unsigned long long)any);
	for (int q = PN_P_NONE + 1; q < PN_P_COUNT; q++) {
		if (hits[q])
			print_message("  %-11s %llu (%.2g)\n",
				      pn_proto_name((enum pn_proto)q),
				      (unsigned long long)hits[q],
				      (double)hits[q] / (double)count);
		assert_true(hits[q] * 10000 < (uint64_t)count);
	}
}

static void test_random(void **state)
{
	(void)state;
	random_rates("byte", PN_EVIDENCE_RANDOM, gen_bytes);
}

static void test_random_text(void **state)
{
	(void)state;
	random_rates("text", PN_EVIDENCE_RANDOM / 5, gen_text);
}

static void test_random_signature_start(void **state)
{
	(void)state;
	random_rates("signature-start", PN_EVIDENCE_RANDOM / 2, gen_sig);
}

/* --- Verdicts: a flow's observation against the built-in registry ----- */

static enum pn_payload_verdict judge(const struct pn_flow_evidence *ev,
				     enum pn_transport t, uint16_t port,
				     bool start_seen, enum pn_proto *looks,
				     enum pn_verdict_why *why)
{
	struct pn_verdict_detail d;
	/* Endpoint 1 is the server, endpoint 0 the client. */
	enum pn_payload_verdict v = pn_evidence_verdict(
	    ev, pn_registry_builtin(), 0, t, port, 1, start_seen, &d);
	*looks = d.looks_like;
	*why = d.why;
	return v;
}

static void observe(struct pn_flow_evidence *ev, enum pn_l4 l4, int from,
		    const char *bytes)
{
	pn_evidence_observe(ev, l4, from, 1, false, (const uint8_t *)bytes,
			    strlen(bytes));
}

/* A site declaration replaces the registry's expectation: SSH on 443
 * agrees with "443/tcp ssh", TLS there differs from it, and an unregistered
 * port counts as known once declared. */
static void test_declared(void **state)
{
	(void)state;
	const struct pn_registry *reg = pn_registry_builtin();
	struct pn_flow_evidence ev;
	struct pn_verdict_detail d;
	uint32_t ssh = 1u << PN_P_SSH;

	memset(&ev, 0, sizeof ev);
	observe(&ev, PN_L4_TCP, 1, ssh_server);
	assert_int_equal(
	    pn_evidence_verdict(&ev, reg, ssh, PN_TCP, 443, 1, true, &d),
	    PN_V_AGREES);
	assert_true(d.declared);
	assert_int_equal(d.expected, ssh);
	assert_int_equal(
	    pn_evidence_verdict(&ev, reg, 0, PN_TCP, 443, 1, true, &d),
	    PN_V_DIFFERS);
	assert_false(d.declared);
	assert_int_equal(d.expected, 1u << PN_P_TLS);
	/* 50000/tcp is unregistered: unverified, unless declared. */
	assert_int_equal(
	    pn_evidence_verdict(&ev, reg, 0, PN_TCP, 50000, 1, true, &d),
	    PN_V_UNVERIFIED);
	assert_int_equal(d.why, PN_VW_UNREGISTERED);
	assert_int_equal(
	    pn_evidence_verdict(&ev, reg, ssh, PN_TCP, 50000, 1, true, &d),
	    PN_V_AGREES);
	assert_int_equal(pn_evidence_verdict(&ev, reg, 1u << PN_P_TLS, PN_TCP,
					     50000, 1, true, &d),
			 PN_V_DIFFERS);
	assert_int_equal(d.looks_like, PN_P_SSH);
}

/* Recognizers answer only on their protocol's transports: DTLS bytes in a
 * TCP stream are not DTLS, TLS bytes in a datagram not TLS. */
static void test_transports(void **state)
{
	(void)state;
	assert_int_equal(pn_evidence_transports(PN_P_DTLS), 1u << PN_UDP);
	assert_int_equal(pn_evidence_transports(PN_P_TLS), 1u << PN_TCP);
	assert_int_equal(pn_evidence_transports(PN_P_DNS),
			 (1u << PN_TCP) | (1u << PN_UDP));
	for (int p = PN_P_NONE + 1; p < PN_P_COUNT; p++)
		assert_true(pn_evidence_transports((enum pn_proto)p) != 0);
	assert_int_equal(pn_evidence_transports(PN_P_NONE), 0);
}

static void test_verdicts(void **state)
{
	(void)state;
	enum pn_proto looks;
	enum pn_verdict_why why;
	struct pn_flow_evidence ev;

	/* No payload at all. */
	memset(&ev, 0, sizeof ev);
	assert_int_equal(judge(&ev, PN_TCP, 443, true, &looks, &why),
			 PN_V_NO_PAYLOAD);

	/* SSH on 443/tcp differs and is named; on 22/tcp it agrees. */
	memset(&ev, 0, sizeof ev);
	observe(&ev, PN_L4_TCP, 1, ssh_server);
	observe(&ev, PN_L4_TCP, 0, ssh_client);
	assert_int_equal(judge(&ev, PN_TCP, 443, true, &looks, &why),
			 PN_V_DIFFERS);
	assert_int_equal(looks, PN_P_SSH);
	assert_int_equal(judge(&ev, PN_TCP, 22, true, &looks, &why),
			 PN_V_AGREES);

	/* Plain text on 5060/udp (sip): differs, like nothing known; three
	 * bytes are too few to tell. */
	memset(&ev, 0, sizeof ev);
	observe(&ev, PN_L4_UDP, 0, "hello from a plain socket\n");
	assert_int_equal(judge(&ev, PN_UDP, 5060, true, &looks, &why),
			 PN_V_DIFFERS);
	assert_int_equal(looks, PN_P_NONE);
	memset(&ev, 0, sizeof ev);
	observe(&ev, PN_L4_UDP, 0, "hi\n");
	assert_int_equal(judge(&ev, PN_UDP, 5060, true, &looks, &why),
			 PN_V_UNVERIFIED);
	assert_int_equal(why, PN_VW_FEW_BYTES);

	/* A TCP flow caught mid-stream cannot differ by looking like
	 * nothing; TLS records without their hello are later packets. */
	memset(&ev, 0, sizeof ev);
	static const uint8_t record[] = {0x17, 0x03, 0x03, 0x00, 0x40,
					 'e',  'n',  'c',  'r',	 'y'};
	pn_evidence_observe(&ev, PN_L4_TCP, 0, 1, false, record, sizeof record);
	assert_int_equal(judge(&ev, PN_TCP, 443, false, &looks, &why),
			 PN_V_UNVERIFIED);
	assert_int_equal(why, PN_VW_START_UNSEEN);
	assert_int_equal(judge(&ev, PN_TCP, 443, true, &looks, &why),
			 PN_V_UNVERIFIED);
	assert_int_equal(why, PN_VW_LATER);
	/* ... but the same record on 22/tcp (ssh) is a mismatch. */
	assert_int_equal(judge(&ev, PN_TCP, 22, true, &looks, &why),
			 PN_V_DIFFERS);

	/* An unregistered port: unverified, the protocol still named. */
	memset(&ev, 0, sizeof ev);
	observe(&ev, PN_L4_TCP, 1, ssh_server);
	assert_int_equal(judge(&ev, PN_TCP, 50000, true, &looks, &why),
			 PN_V_UNVERIFIED);
	assert_int_equal(why, PN_VW_UNREGISTERED);
	assert_int_equal(looks, PN_P_SSH);

	/* A registered service no recognizer serves: unverified when
	 * nothing matched, differs when something else did. 9/tcp is
	 * discard. */
	memset(&ev, 0, sizeof ev);
	observe(&ev, PN_L4_TCP, 0, "some bytes for the discard service\n");
	assert_int_equal(judge(&ev, PN_TCP, 9, true, &looks, &why),
			 PN_V_UNVERIFIED);
	assert_int_equal(why, PN_VW_NO_MAPPING);
	observe(&ev, PN_L4_TCP, 1, ssh_server);
	assert_int_equal(judge(&ev, PN_TCP, 9, true, &looks, &why),
			 PN_V_DIFFERS);

	/* SCTP payloads are not examined. */
	memset(&ev, 0, sizeof ev);
	observe(&ev, PN_L4_SCTP, 0, "any bytes at all, quite a few of them");
	assert_int_equal(judge(&ev, PN_SCTP, 80, true, &looks, &why),
			 PN_V_UNVERIFIED);
	assert_int_equal(why, PN_VW_TRANSPORT);
}

static void test_observe_bounds(void **state)
{
	(void)state;
	struct pn_flow_evidence ev;
	struct pn_evidence kept;
	memset(&ev, 0, sizeof ev);
	memset(&kept, 0, sizeof kept);
	ev.kept = &kept;
	/* Two payloads per side are looked at; the third is not. */
	observe(&ev, PN_L4_TCP, 0, "first line of nothing in particular\n");
	observe(&ev, PN_L4_TCP, 0, "second line of nothing in particular\n");
	assert_false(pn_evidence_wants(&ev, 0));
	observe(&ev, PN_L4_TCP, 0, ssh_client);
	assert_int_equal(ev.proto[0], PN_P_NONE);
	assert_int_equal(ev.looked[0], 2);
	/* The other side is still open, and its match keeps its token. */
	assert_true(pn_evidence_wants(&ev, 1));
	observe(&ev, PN_L4_TCP, 1, ssh_server);
	assert_int_equal(ev.proto[1], PN_P_SSH);
	assert_false(pn_evidence_wants(&ev, 1));
	assert_string_equal(kept.token, "SSH-1.99-Cisco-1.25");
	/* Byte counts saturate. */
	for (int i = 0; i < 300; i++) {
		ev.looked[0] = 0;
		observe(&ev, PN_L4_TCP, 0, "0123456789");
	}
	assert_int_equal(ev.bytes, 255);
}

static void test_service_map(void **state)
{
	(void)state;
	const struct pn_registry *reg = pn_registry_builtin();
	assert_true(pn_evidence_service("https", PN_TCP) & (1u << PN_P_TLS));
	assert_true(pn_evidence_service("https", PN_UDP) & (1u << PN_P_QUIC));
	assert_true(pn_evidence_service("domain", PN_UDP) & (1u << PN_P_DNS));
	assert_int_equal(pn_evidence_service("no-such-service", PN_TCP), 0);
	/* 80/tcp holds http and its aliases www, www-http. */
	assert_true(pn_evidence_expected(reg, PN_TCP, 80) & (1u << PN_P_HTTP1));
	assert_int_equal(pn_evidence_expected(reg, PN_TCP, 50000), 0);
	/* The table is sorted, as bsearch needs. */
	for (size_t i = 1; i < pn_service_protocols_count; i++)
		assert_true(strcmp(pn_service_protocols[i - 1].service,
				   pn_service_protocols[i].service) < 0);
	/* DCCP: 9/dccp (discard) lists service code 1145656131. */
	assert_int_equal(pn_evidence_service_code(reg, 9, 1145656131u),
			 PN_EV_CODE_LISTED);
	assert_int_equal(pn_evidence_service_code(reg, 9, 42),
			 PN_EV_CODE_UNLISTED);
	for (int p = PN_P_NONE + 1; p < PN_P_COUNT; p++)
		assert_int_equal(pn_proto_parse(pn_proto_name(p)), p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_samples, setup),
	    cmocka_unit_test_setup(test_no_confusion, setup),
	    cmocka_unit_test_setup(test_prefixes, setup),
	    cmocka_unit_test(test_near_misses),
	    cmocka_unit_test_setup(test_direction, setup),
	    cmocka_unit_test(test_tokens_bounded),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_declared),
	    cmocka_unit_test(test_transports),
	    cmocka_unit_test(test_random),
	    cmocka_unit_test(test_random_text),
	    cmocka_unit_test(test_random_signature_start),
	    cmocka_unit_test(test_verdicts),
	    cmocka_unit_test(test_observe_bounds),
	    cmocka_unit_test(test_service_map),
	};
	return cmocka_run_group_tests_name("evidence", tests, NULL, NULL);
}
