/* evidence.h — payload recognizers: evidence of a protocol beyond the port.
 *
 * A recognizer looks at the first payload bytes of one direction of a flow
 * and says whether they look like one protocol's opening, following that
 * protocol's specification (cited at each check in src/evidence.c). It is
 * port-blind by construction: its only inputs are the bytes, whether they
 * travel as a stream (TCP) or as datagrams (UDP), and which side sent them.
 *
 * Recognizers are strict: random bytes almost never match (tests/
 * test_evidence.c measures it), and a payload too short to show the
 * protocol's signature does not match — "cannot tell yet" is answered as
 * "no". They never allocate, print, or read outside payload[0..len).
 */
#ifndef PORTNOTE_EVIDENCE_H
#define PORTNOTE_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "portnote/decode.h"

/* Values are stable only within a build; names (pn_proto_name) are the
 * stable interface. */
enum pn_proto {
	PN_P_NONE,
	PN_P_TLS,
	PN_P_DTLS,
	PN_P_QUIC,
	PN_P_HTTP1,
	PN_P_HTTP2,
	PN_P_SSH,
	PN_P_DNS,
	PN_P_SMTP,
	PN_P_FTP,
	PN_P_POP3,
	PN_P_IMAP,
	PN_P_NTP,
	PN_P_SIP,
	PN_P_RTSP,
	PN_P_DHCP,
	PN_P_SNMP,
	PN_P_SYSLOG,
	PN_P_MQTT,
	PN_P_REDIS,
	PN_P_POSTGRESQL,
	PN_P_MYSQL,
	PN_P_RDP,
	PN_P_SMB,
	PN_P_X11,
	PN_P_BITTORRENT,
	PN_P_STUN,
	PN_P_WIREGUARD,
	PN_P_COUNT,
};

/* Bytes kept per token, terminator included. */
#define PN_EVIDENCE_TOKEN 48
#define PN_EVIDENCE_EXTRA 32

/* A recognizer's answer: the protocol and what showed it. token is the
 * main sign ("SSH-2.0-OpenSSH_9.2p1", "sni=example.org", "GET /"), extra a
 * second one when there is one ("alpn=h2"), else "". Both are copied out of
 * the packet raw — hostile bytes, only bounded: a copy stops at the first
 * NUL, CR or LF and at the buffer's end, and is always terminated. Escaping
 * is the output's job. */
struct pn_evidence {
	enum pn_proto proto;
	char token[PN_EVIDENCE_TOKEN];
	char extra[PN_EVIDENCE_EXTRA];
};

/* Tries every recognizer that applies to the transport, most specific
 * first, and returns true with *ev filled for the first that matches.
 * transport is PN_L4_TCP (a byte stream; payload is the start of one
 * direction) or PN_L4_UDP (one datagram); any other transport matches
 * nothing. from_client is true when the payload comes from the side that
 * opened the flow; a caller that does not know tries both. On false, *ev
 * is PN_P_NONE with empty tokens. Never reads outside payload[0..len). */
bool pn_evidence_recognize(enum pn_l4 transport, bool from_client,
			   const uint8_t *payload, size_t len,
			   struct pn_evidence *ev);

/* The one recognizer for proto: true and *ev filled when the payload
 * looks like it. Protocols without a recognizer yet, PN_P_NONE and values
 * out of range always answer false. */
bool pn_evidence_check(enum pn_proto proto, enum pn_l4 transport,
		       bool from_client, const uint8_t *payload, size_t len,
		       struct pn_evidence *ev);

/* Whether proto has a recognizer in this build. */
bool pn_evidence_implemented(enum pn_proto proto);

/* Lower-case stable names: "none", "tls", "dtls", "quic", "http", "http2",
 * "ssh", "dns", ...; "unknown" out of range. */
const char *pn_proto_name(enum pn_proto proto);

#endif
