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
#include "portnote/registry.h"

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
/* The transports its recognizer runs on: bit 1u << PN_TCP, PN_UDP (enum
 * pn_transport); 0 without a recognizer. */
unsigned pn_evidence_transports(enum pn_proto proto);

/* Lower-case stable names: "none", "tls", "dtls", "quic", "http", "http2",
 * "ssh", "dns", ...; "unknown" out of range. */
const char *pn_proto_name(enum pn_proto proto);

/* Upper-case names for people: "TLS", "HTTP/1.x", "PostgreSQL", ... */
const char *pn_proto_title(enum pn_proto proto);

/* A protocol name (pn_proto_name) back to its value; PN_P_NONE when
 * unknown. */
enum pn_proto pn_proto_parse(const char *name);

/* The protocols of a mask (bit 1u << enum pn_proto each) into buf: by
 * name ("tls;quic" with sep ";") or by title ("TLS or QUIC"). */
const char *pn_protocols_text(uint32_t mask, bool titles, const char *sep,
			      char *buf, size_t size);

/* --- A flow's evidence -------------------------------------------------
 *
 * What a flow's first payload looked like is decided from at most the
 * first PN_EVIDENCE_LOOKS payload-carrying packets of each endpoint, and
 * of each at most the first PN_EVIDENCE_SNAP bytes (no reassembly). The
 * flow table keeps the observation (struct pn_flow_evidence); the verdict
 * is derived from it and the registry when asked for. */

#define PN_EVIDENCE_LOOKS 2
#define PN_EVIDENCE_SNAP 256

enum pn_payload_verdict {
	PN_V_NO_PAYLOAD, /* no payload in either direction */
	PN_V_UNVERIFIED, /* cannot tell; see enum pn_verdict_why */
	PN_V_AGREES,	 /* looks like what a registered service speaks */
	PN_V_DIFFERS,	 /* seen, and looks like nothing the port's
			    registered services speak */
	PN_V_COUNT,
};

/* Why a verdict is unverified, or what a differs without a protocol
 * rests on. */
enum pn_verdict_why {
	PN_VW_NONE,
	PN_VW_UNREGISTERED, /* the server port is not registered */
	PN_VW_NO_MAPPING,   /* its services speak nothing a recognizer knows,
			       and nothing matched */
	PN_VW_START_UNSEEN, /* TCP without the handshake: the payload seen
			       is not the opening */
	PN_VW_LATER,	    /* looks like a later packet of what the port is
			       registered for (TLS record, QUIC short header) */
	PN_VW_FEW_BYTES,    /* too few bytes to tell */
	PN_VW_TRANSPORT,    /* no recognizers for the transport (SCTP, DCCP
			       data) */
	PN_VW_COUNT,
};

/* DCCP: what a DCCP-Request's service code said against the registry. */
enum {
	PN_EV_CODE_NONE,
	PN_EV_CODE_LISTED,   /* the registry lists the code for the port */
	PN_EV_CODE_UNLISTED, /* it does not */
};

/* What one flow's payload showed, per endpoint (0, 1 of the flow key):
 * 8 bytes in the flow, plus a pointer to its tokens when the table keeps
 * them. */
struct pn_flow_evidence {
	struct pn_evidence *kept; /* tokens of the first match, or NULL */
	uint8_t proto[2];	  /* enum pn_proto matched, or PN_P_NONE */
	uint8_t later[2];	  /* enum pn_proto a later packet could be */
	uint8_t looked[2];	  /* payload packets examined */
	uint8_t bytes;		  /* payload bytes examined, saturating */
	uint8_t code;		  /* PN_EV_CODE_* */
};

/* Examines one payload-carrying packet from endpoint `from` of a flow
 * whose server endpoint is `server`; `weak` says the server side is a
 * guess (then a payload that matches nothing is tried the other way
 * round too). Does nothing once that endpoint has been decided. */
void pn_evidence_observe(struct pn_flow_evidence *ev, enum pn_l4 transport,
			 int from, int server, bool weak,
			 const uint8_t *payload, size_t len);

/* Whether endpoint `from` still wants its payload examined. */
static inline bool pn_evidence_wants(const struct pn_flow_evidence *ev,
				     int from)
{
	return ev->proto[from] == PN_P_NONE &&
	       ev->looked[from] < PN_EVIDENCE_LOOKS;
}

/* data/service-protocols.csv, generated at build time (src/gen/
 * protogen.c): sorted by service, a mask per enum pn_transport. */
struct pn_service_protocols {
	const char *service;
	uint32_t protocols[PN_TRANSPORT_COUNT];
};
extern const struct pn_service_protocols pn_service_protocols[];
extern const size_t pn_service_protocols_count;

/* The protocols the registered services of a port speak on transport t
 * (bit 1u << enum pn_proto each), from data/service-protocols.csv. */
uint32_t pn_evidence_expected(const struct pn_registry *reg,
			      enum pn_transport t, uint16_t port);
/* The same for the ports of one registry slot. */
uint32_t pn_evidence_slot_expected(const struct pn_registry *reg,
				   const struct pn_slot *slot,
				   enum pn_transport t);

/* The protocols one registered service name speaks on transport t. */
uint32_t pn_evidence_service(const char *name, enum pn_transport t);

/* What a verdict rests on, beside the verdict itself. */
struct pn_verdict_detail {
	enum pn_proto looks_like; /* what the payload looked like, or
				     PN_P_NONE when nothing matched */
	enum pn_verdict_why why;  /* of an unverified, or of a differs
				     without a protocol */
	uint32_t expected;	  /* the protocols expected of the port */
	bool declared;		  /* ... by a site declaration, not by the
				     registry's services */
};

/* A flow's verdict. server: its server endpoint; port: the server port;
 * start_seen: the flow's opening was captured (TCP handshake; always true
 * for datagrams); declared: the protocols a site declaration expects of
 * the port (pn_declared), 0 for the registry's expectation. */
enum pn_payload_verdict pn_evidence_verdict(const struct pn_flow_evidence *ev,
					    const struct pn_registry *reg,
					    uint32_t declared,
					    enum pn_transport t, uint16_t port,
					    int server, bool start_seen,
					    struct pn_verdict_detail *d);
/* The same, given pn_evidence_expected's answer for the port (a caller
 * that judges many flows keeps it per registry slot). */
enum pn_payload_verdict pn_evidence_verdict_with(
    const struct pn_flow_evidence *ev, const struct pn_registry *reg,
    uint32_t declared, uint32_t expected, enum pn_transport t, uint16_t port,
    int server, bool start_seen, struct pn_verdict_detail *d);

const char *pn_payload_verdict_name(enum pn_payload_verdict v);
const char *pn_verdict_why_name(enum pn_verdict_why w);

/* The PN_EV_CODE_* of a DCCP-Request's service code sent to `port`. */
uint8_t pn_evidence_service_code(const struct pn_registry *reg, uint16_t port,
				 uint32_t code);

#endif
