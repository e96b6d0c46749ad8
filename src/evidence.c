/* evidence.c — payload recognizers, one per protocol, port-blind.
 *
 * Each recognizer reads only struct in: the payload, whether it is a
 * stream or a datagram, and the direction. Binary fields are read through
 * rd.h; text is compared byte by byte within len. A recognizer answers
 * true only when the bytes show its protocol's signature as its
 * specification defines it (cited at each check); a short payload that
 * cannot show it answers false.
 *
 * Decisions on overlapping signatures:
 * - "+OK" opening a server's side is POP3 (RFC 1939 section 4: the server
 *   greets first). A Redis server never speaks first, so its "+OK" is not
 *   evidence; Redis is recognized from the client's RESP array, and from a
 *   server's "+PONG", "-NOAUTH" or "-WRONGPASS".
 * - A client's "USER name" is both FTP (RFC 959) and POP3 (RFC 1939): it is
 *   evidence for neither. FTP clients are recognized by FEAT and AUTH
 *   TLS/SSL (RFC 2389, RFC 4217), POP3 clients by CAPA, STLS and APOP.
 * - "220" greetings are SMTP when the line says SMTP (ESMTP included), FTP
 *   when it says FTP (any case), else nothing.
 * - HTTP, RTSP and SIP request lines share methods (OPTIONS); the version
 *   at the end of the line decides.
 */
#include "portnote/evidence.h"

#include <stdlib.h>
#include <string.h>

#include "portnote/rd.h"

struct in {
	const uint8_t *p;
	size_t len;
	bool stream; /* TCP: a byte stream; else one datagram */
	bool from_client;
};

/* Tokens: raw bytes, stopped at NUL, CR, LF or the buffer's end. */

static void put(char *dst, size_t size, const void *src, size_t n)
{
	size_t at = strlen(dst);
	const uint8_t *s = src;

	for (size_t i = 0; i < n && at + 1 < size; i++) {
		if (s[i] == 0 || s[i] == '\r' || s[i] == '\n')
			break;
		dst[at++] = (char)s[i];
	}
	dst[at] = 0;
}

static void puts_(char *dst, size_t size, const char *s)
{
	put(dst, size, s, strlen(s));
}

static bool found(struct pn_evidence *ev, enum pn_proto proto,
		  const char *token)
{
	ev->proto = proto;
	ev->token[0] = 0;
	ev->extra[0] = 0;
	if (token)
		puts_(ev->token, sizeof ev->token, token);
	return true;
}

/* Text helpers. */

static bool prefix(const struct in *in, const char *s)
{
	size_t n = strlen(s);
	return in->len >= n && memcmp(in->p, s, n) == 0;
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static bool same_ci(const uint8_t *p, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower(p[i]) != lower((uint8_t)s[i]))
			return false;
	return true;
}

static bool prefix_ci(const struct in *in, const char *s)
{
	size_t n = strlen(s);
	return in->len >= n && same_ci(in->p, s, n);
}

/* Length of the first line: up to CR or LF, or len when none. */
static size_t line_len(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] == '\r' || p[i] == '\n')
			return i;
	return len;
}

/* Whether p[0..n) holds s, in any case. */
static bool contains_ci(const uint8_t *p, size_t n, const char *s)
{
	size_t m = strlen(s);
	for (size_t i = 0; m <= n && i <= n - m; i++)
		if (same_ci(p + i, s, m))
			return true;
	return false;
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* A line ends at CRLF, or at a bare LF (RFC 9112 section 2.2 lets a
 * recipient accept it). at is the offset of CR or LF. */
static bool line_end(const struct in *in, size_t at)
{
	if (at < in->len && in->p[at] == '\n')
		return true;
	return at + 1 < in->len && in->p[at] == '\r' && in->p[at + 1] == '\n';
}

/* A request line: METHOD SP target SP version CRLF, the method one of
 * methods (exact case: methods are case-sensitive, RFC 9110 section 9.1),
 * the target visible ASCII, the version exactly one of versions. The whole
 * line must have been captured. */
static bool request_line(const struct in *in, const char *const *methods,
			 const char *const *versions, struct pn_evidence *ev,
			 enum pn_proto proto)
{
	const uint8_t *p = in->p;
	size_t len = in->len, m = 0, t, v;

	/* Methods are upper-case letters; RTSP's GET_PARAMETER and
	 * SET_PARAMETER add an underscore. */
	while (m < len && m < 16 &&
	       (p[m] == '_' || (p[m] >= 'A' && p[m] <= 'Z')))
		m++;
	if (m == 0 || m >= len || p[m] != ' ')
		return false;
	bool known = false;
	for (size_t i = 0; methods[i]; i++)
		if (strlen(methods[i]) == m && memcmp(p, methods[i], m) == 0)
			known = true;
	if (!known)
		return false;
	for (t = m + 1; t < len && p[t] > 0x20 && p[t] < 0x7f; t++)
		;
	if (t == m + 1 || t >= len || p[t] != ' ')
		return false;
	for (size_t i = 0; versions[i]; i++) {
		v = strlen(versions[i]);
		if (len - (t + 1) < v || memcmp(p + t + 1, versions[i], v) != 0)
			continue;
		if (!line_end(in, t + 1 + v))
			continue;
		found(ev, proto, NULL);
		put(ev->token, sizeof ev->token, p, t);
		put(ev->extra, sizeof ev->extra, p + t + 1, v);
		return true;
	}
	return false;
}

/* A status line: one of versions, SP, three digits, then SP (reason
 * phrase, possibly empty) or the line's end. */
static bool status_line(const struct in *in, const char *const *versions,
			struct pn_evidence *ev, enum pn_proto proto)
{
	const uint8_t *p = in->p;

	for (size_t i = 0; versions[i]; i++) {
		size_t v = strlen(versions[i]);
		if (!prefix(in, versions[i]) || in->len < v + 5)
			continue;
		if (p[v] != ' ' || !is_digit(p[v + 1]) || p[v + 1] < '1' ||
		    p[v + 1] > '6' || !is_digit(p[v + 2]) ||
		    !is_digit(p[v + 3]))
			continue;
		if (p[v + 4] != ' ' && !line_end(in, v + 4))
			continue;
		found(ev, proto, NULL);
		put(ev->token, sizeof ev->token, p, v + 4);
		return true;
	}
	return false;
}

/* TLS and DTLS hellos. */

enum { HS_CLIENT_HELLO = 1, HS_SERVER_HELLO = 2, HS_HELLO_VERIFY = 3 };

/* Extensions of a hello (RFC 8446 section 4.2, RFC 5246 section 7.4.1.4):
 * server_name (RFC 6066 section 3) and the first ALPN protocol (RFC 7301
 * section 3.1) are kept when captured whole. Returns false when the
 * captured bytes contradict the structure. */
static bool hello_extensions(struct pn_rd *rd, bool client,
			     struct pn_evidence *ev)
{
	uint16_t total = 0;

	if (!pn_rd_u16be(rd, &total))
		return true;
	pn_rd_limit(rd, total);
	/* Each pass consumes at least the 4-byte extension header. */
	while (pn_rd_has(rd, 4)) {
		uint16_t type = 0, elen = 0, n16 = 0;
		uint8_t n8 = 0, kind = 0;
		pn_rd_u16be(rd, &type);
		pn_rd_u16be(rd, &elen);
		struct pn_rd ext = *rd;
		pn_rd_limit(&ext, elen);
		bool whole = pn_rd_skip(rd, elen);
		if (type == 0 && client && elen > 0) {
			/* ServerNameList: u16 length, name_type 0 host_name,
			 * u16 length, the name. */
			if (pn_rd_u16be(&ext, &n16) && pn_rd_u8(&ext, &kind) &&
			    kind == 0 && pn_rd_u16be(&ext, &n16) && n16 > 0 &&
			    pn_rd_has(&ext, n16)) {
				ev->token[0] = 0;
				puts_(ev->token, sizeof ev->token, "sni=");
				put(ev->token, sizeof ev->token,
				    ext.p + ext.off, n16);
			}
		} else if (type == 16 && ev->extra[0] == 0) {
			/* ProtocolNameList: u16 length, then u8-prefixed
			 * names; a server selects exactly one. */
			if (pn_rd_u16be(&ext, &n16) && pn_rd_u8(&ext, &n8) &&
			    n8 > 0 && pn_rd_has(&ext, n8)) {
				puts_(ev->extra, sizeof ev->extra, "alpn=");
				put(ev->extra, sizeof ev->extra,
				    ext.p + ext.off, n8);
			}
		} else if (type == 43 && !client && elen == 2) {
			/* supported_versions in a ServerHello: the version
			 * chosen (RFC 8446 section 4.2.1). */
			if (pn_rd_u16be(&ext, &n16) && n16 == 0x0304)
				strcpy(ev->token, "serverhello tls1.3");
		}
		if (!whole)
			break;
	}
	return true;
}

static bool tls_version(uint16_t v, bool dtls)
{
	if (dtls)
		return v == 0xfeff || v == 0xfefd || v == 0xfefc;
	return v >= 0x0300 && v <= 0x0304;
}

/* A ClientHello or ServerHello body (RFC 8446 section 4.1.2/4.1.3, RFC
 * 5246 section 7.4.1.2/7.4.1.3; DTLS adds the cookie, RFC 6347 section
 * 4.2.1). rd starts at the body. */
static bool hello_body(struct pn_rd *rd, bool client, bool dtls,
		       struct pn_evidence *ev)
{
	uint16_t v = 0, n16 = 0;
	uint8_t n8 = 0;

	if (!pn_rd_u16be(rd, &v))
		return true;
	/* legacy_version: 0x0300-0x0303 (0x0304 seen from old TLS 1.3
	 * drafts); DTLS 1.0/1.2. */
	if (!tls_version(v, dtls))
		return false;
	if (!client && !dtls && v == 0x0303)
		strcpy(ev->token, "serverhello tls1.2");
	if (!pn_rd_skip(rd, 32) || !pn_rd_u8(rd, &n8))
		return true;
	/* legacy_session_id<0..32>. */
	if (n8 > 32)
		return false;
	if (!pn_rd_skip(rd, n8))
		return true;
	if (dtls && client) {
		/* cookie<0..2^8-1>. */
		if (!pn_rd_u8(rd, &n8) || !pn_rd_skip(rd, n8))
			return true;
	}
	if (client) {
		/* cipher_suites<2..2^16-2>: pairs, at least one. */
		if (!pn_rd_u16be(rd, &n16))
			return true;
		if (n16 < 2 || (n16 & 1))
			return false;
		if (!pn_rd_skip(rd, n16) || !pn_rd_u8(rd, &n8))
			return true;
		/* legacy_compression_methods<1..2^8-1>. */
		if (n8 < 1)
			return false;
		if (!pn_rd_skip(rd, n8))
			return true;
	} else {
		/* One cipher suite, one compression method (0 in TLS 1.3,
		 * 0 or 1 before). */
		if (!pn_rd_u16be(rd, &n16) || !pn_rd_u8(rd, &n8))
			return true;
		if (n8 > 1)
			return false;
	}
	return hello_extensions(rd, client, ev);
}

/* TLS (RFC 8446 section 5.1, RFC 5246 section 6.2.1): a handshake record
 * holding a ClientHello (from the client) or ServerHello (from the
 * server), whole or begun. */
static bool rec_tls(const struct in *in, struct pn_evidence *ev)
{
	struct pn_rd rd;
	uint8_t type = 0, hs = 0, b = 0;
	uint16_t version = 0, rlen = 0, hlen_hi = 0;
	uint32_t hlen;

	/* TLS runs over a stream; its datagram form is DTLS. */
	if (!in->stream)
		return false;
	pn_rd_init(&rd, in->p, in->len);
	if (!pn_rd_u8(&rd, &type) || !pn_rd_u16be(&rd, &version) ||
	    !pn_rd_u16be(&rd, &rlen) || !pn_rd_u8(&rd, &hs) ||
	    !pn_rd_u16be(&rd, &hlen_hi) || !pn_rd_u8(&rd, &b))
		return false;
	hlen = (uint32_t)hlen_hi << 8 | b;
	/* ContentType handshake(22); legacy_record_version 0x0301-0x0304
	 * (0x0300 would be SSL 3.0). */
	if (type != 22 || version < 0x0301 || version > 0x0304)
		return false;
	/* TLSPlaintext.length <= 2^14 (section 5.1), and a record holds at
	 * least a handshake header. */
	if (rlen > 16384 || rlen < 4)
		return false;
	if (hs != (in->from_client ? HS_CLIENT_HELLO : HS_SERVER_HELLO))
		return false;
	/* The hello lies within its record: a hello of at least its fixed
	 * part (version, random, session id length, ...) that fits. */
	if (hlen + 4 > rlen || hlen < 38)
		return false;
	found(ev, PN_P_TLS, in->from_client ? "clienthello" : "serverhello");
	pn_rd_limit(&rd, hlen);
	return hello_body(&rd, in->from_client, false, ev);
}

/* DTLS (RFC 6347 section 4.1 and 4.2.2, RFC 9147 section 4 and 5.2): a
 * plaintext handshake record of epoch 0 carrying a ClientHello,
 * ServerHello or HelloVerifyRequest. */
static bool rec_dtls(const struct in *in, struct pn_evidence *ev)
{
	struct pn_rd rd;
	uint8_t type = 0, hs = 0, b = 0, seqb[6];
	uint16_t version = 0, epoch = 0, rlen = 0, hi = 0, mseq = 0;
	uint32_t hlen, foff, flen;

	pn_rd_init(&rd, in->p, in->len);
	if (!pn_rd_u8(&rd, &type) || !pn_rd_u16be(&rd, &version) ||
	    !pn_rd_u16be(&rd, &epoch) || !pn_rd_bytes(&rd, seqb, 6) ||
	    !pn_rd_u16be(&rd, &rlen))
		return false;
	if (type != 22 || !tls_version(version, true) || epoch != 0)
		return false;
	if (rlen > 16384 || rlen < 12)
		return false;
	if (!pn_rd_u8(&rd, &hs) || !pn_rd_u16be(&rd, &hi) || !pn_rd_u8(&rd, &b))
		return false;
	hlen = (uint32_t)hi << 8 | b;
	if (!pn_rd_u16be(&rd, &mseq) || !pn_rd_u16be(&rd, &hi) ||
	    !pn_rd_u8(&rd, &b))
		return false;
	foff = (uint32_t)hi << 8 | b;
	if (!pn_rd_u16be(&rd, &hi) || !pn_rd_u8(&rd, &b))
		return false;
	flen = (uint32_t)hi << 8 | b;
	if (in->from_client ? hs != HS_CLIENT_HELLO
			    : hs != HS_SERVER_HELLO && hs != HS_HELLO_VERIFY)
		return false;
	/* The fragment lies within the message and the record; the first
	 * flights carry message_seq 0-1 (a ClientHello after a
	 * HelloVerifyRequest is 1). */
	if (foff > hlen || flen > hlen - foff || flen + 12 > rlen || mseq > 1 ||
	    hlen < 3)
		return false;
	found(ev, PN_P_DTLS,
	      hs == HS_CLIENT_HELLO   ? "clienthello"
	      : hs == HS_SERVER_HELLO ? "serverhello"
				      : "helloverifyrequest");
	if (foff != 0 || hs == HS_HELLO_VERIFY)
		return true;
	pn_rd_limit(&rd, flen);
	return hello_body(&rd, hs == HS_CLIENT_HELLO, true, ev);
}

/* QUIC variable-length integer (RFC 9000 section 16). */
static bool quic_varint(struct pn_rd *rd, uint64_t *v)
{
	uint8_t b = 0;

	if (!pn_rd_u8(rd, &b))
		return false;
	size_t n = (size_t)1 << (b >> 6);
	*v = b & 0x3f;
	for (size_t i = 1; i < n; i++) {
		if (!pn_rd_u8(rd, &b))
			return false;
		*v = *v << 8 | b;
	}
	return true;
}

/* QUIC (RFC 9000 section 17.2 and 17.2.2, RFC 9369 section 3): a long
 * header with the fixed bit, version 1 or 2, packet type Initial, and
 * connection IDs of at most 20 bytes. */
static bool rec_quic(const struct in *in, struct pn_evidence *ev)
{
	struct pn_rd rd;
	uint8_t first = 0, dcil = 0, scil = 0;
	uint32_t version = 0;
	uint64_t token = 0, plen = 0;

	if (in->stream)
		return false;
	pn_rd_init(&rd, in->p, in->len);
	if (!pn_rd_u8(&rd, &first) || !pn_rd_u32be(&rd, &version))
		return false;
	/* Header Form 1, Fixed Bit 1. */
	if ((first & 0xc0) != 0xc0)
		return false;
	/* Initial is type 0 in v1, type 1 in v2 (RFC 9369 section 3.2). */
	unsigned ptype = (first >> 4) & 3;
	if (!(version == 0x00000001 && ptype == 0) &&
	    !(version == 0x6b3343cf && ptype == 1))
		return false;
	/* Connection IDs are at most 20 bytes in these versions (section
	 * 17.2); a client's first DCID is at least 8 (section 7.2). */
	if (!pn_rd_u8(&rd, &dcil) || dcil > 20 ||
	    (in->from_client && dcil < 8) || !pn_rd_skip(&rd, dcil) ||
	    !pn_rd_u8(&rd, &scil) || scil > 20 || !pn_rd_skip(&rd, scil))
		return false;
	/* Token Length, Length (section 17.2.2): the token is never larger
	 * than a datagram; the rest holds a 1-4 byte packet number and an
	 * AEAD tag (16 bytes) at least. */
	if (!quic_varint(&rd, &token) || token > 1500 ||
	    !pn_rd_skip(&rd, (size_t)token) || !quic_varint(&rd, &plen) ||
	    plen < 20 || plen > 65527)
		return false;
	return found(ev, PN_P_QUIC, version == 1 ? "initial v1" : "initial v2");
}

/* HTTP/1.x (RFC 9112 section 3 and 4): a request line from the client, a
 * status line from the server. */
static bool rec_http1(const struct in *in, struct pn_evidence *ev)
{
	/* RFC 9110 section 9, PATCH (RFC 5789) and WebDAV (RFC 4918). */
	static const char *const methods[] = {
	    "GET",     "HEAD",	"POST",	 "PUT",	     "DELETE",	  "CONNECT",
	    "OPTIONS", "TRACE", "PATCH", "PROPFIND", "PROPPATCH", "MKCOL",
	    "COPY",    "MOVE",	"LOCK",	 "UNLOCK",   "REPORT",	  NULL};
	static const char *const versions[] = {"HTTP/1.1", "HTTP/1.0", NULL};

	if (!in->stream)
		return false;
	if (in->from_client)
		return request_line(in, methods, versions, ev, PN_P_HTTP1);
	return status_line(in, versions, ev, PN_P_HTTP1);
}

/* HTTP/2 (RFC 9113 section 3.4): the client's connection preface; the
 * server's preface is a SETTINGS frame (section 6.5: type 4, stream 0,
 * length a multiple of 6, not an ACK). */
static bool rec_http2(const struct in *in, struct pn_evidence *ev)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	const uint8_t *p = in->p;

	if (!in->stream)
		return false;
	if (in->from_client)
		return prefix(in, preface) && found(ev, PN_P_HTTP2, "preface");
	if (in->len < 9)
		return false;
	uint32_t flen = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
	uint32_t stream = (uint32_t)(p[5] & 0x7f) << 24 | (uint32_t)p[6] << 16 |
			  (uint32_t)p[7] << 8 | p[8];
	/* SETTINGS_MAX_FRAME_SIZE starts at 16384 (section 4.2); the
	 * defined settings fit in far fewer bytes. */
	if (p[3] != 4 || p[4] != 0 || stream != 0 || flen % 6 || flen > 16384)
		return false;
	/* Settings captured: ENABLE_PUSH is 0 or 1 (section 6.5.2). */
	for (size_t at = 9; at + 6 <= in->len && at < 9 + flen; at += 6) {
		uint16_t id = (uint16_t)(p[at] << 8 | p[at + 1]);
		uint32_t v = (uint32_t)p[at + 2] << 24 |
			     (uint32_t)p[at + 3] << 16 |
			     (uint32_t)p[at + 4] << 8 | p[at + 5];
		if (id == 2 && v > 1)
			return false;
		if (id == 0)
			return false;
	}
	return found(ev, PN_P_HTTP2, "settings");
}

/* SSH (RFC 4253 section 4.2): "SSH-protoversion-softwareversion", 2.0 or
 * the 1.99 of a server that also speaks 1.x; token the line without CRLF. */
static bool rec_ssh(const struct in *in, struct pn_evidence *ev)
{
	if (!in->stream)
		return false;
	if (!prefix(in, "SSH-2.0-") && !prefix(in, "SSH-1.99-"))
		return false;
	size_t n = line_len(in->p, in->len);
	size_t v = in->p[4] == '2' ? 8 : 9;
	/* softwareversion: printable US-ASCII, at least one character. */
	if (n <= v)
		return false;
	for (size_t i = v; i < n; i++)
		if (in->p[i] < 0x20 || in->p[i] > 0x7e)
			return false;
	found(ev, PN_P_SSH, NULL);
	put(ev->token, sizeof ev->token, in->p, n);
	return true;
}

/* A DNS message (RFC 1035 section 4.1.1 and 4.1.2) at p: a header with
 * sane counts and a well-formed first question. */
static bool dns_message(const uint8_t *p, size_t len, struct pn_evidence *ev)
{
	struct pn_rd rd;
	uint16_t id = 0, flags = 0, qd = 0, an = 0, ns = 0, ar = 0;
	uint16_t qtype = 0, qclass = 0;
	uint8_t name[256];
	size_t nlen = 0;

	pn_rd_init(&rd, p, len);
	if (!pn_rd_u16be(&rd, &id) || !pn_rd_u16be(&rd, &flags) ||
	    !pn_rd_u16be(&rd, &qd) || !pn_rd_u16be(&rd, &an) ||
	    !pn_rd_u16be(&rd, &ns) || !pn_rd_u16be(&rd, &ar))
		return false;
	unsigned opcode = (flags >> 11) & 0xf;
	/* QUERY, IQUERY, STATUS, NOTIFY (RFC 1996), UPDATE (RFC 2136). */
	if (opcode == 3 || opcode > 5)
		return false;
	/* Z is zero (RFC 1035; AD and CD beside it are RFC 4035's). */
	if (flags & 0x0040)
		return false;
	/* RCODE 0-10 (RFC 6895 section 2.3: the rest need EDNS). */
	if ((flags & 0xf) > 10)
		return false;
	/* One question in practice, a few at most; none in a multicast DNS
	 * response (RFC 6762 section 6), which starts with an answer. */
	bool answer = qd == 0 && (flags & 0x8000) && opcode == 0 && an > 0;
	if ((qd < 1 && !answer) || qd > 4 || an > 256 || ns > 256 || ar > 256)
		return false;
	/* A query carries no answers, except IQUERY's and UPDATE's. */
	if (!(flags & 0x8000) && opcode == 0 && an > 0)
		return false;
	/* QNAME: labels of 1-63 bytes, at most 255 in all, ending with the
	 * root; no compression pointer can point before the first name
	 * (section 4.1.4), nor labels of types 01/10 (RFC 6891). */
	for (;;) {
		uint8_t l = 0;
		if (!pn_rd_u8(&rd, &l) || l > 63)
			return false;
		if (l == 0)
			break;
		if (nlen + 1 + l > 255 || !pn_rd_has(&rd, l))
			return false;
		if (nlen)
			name[nlen++] = '.';
		pn_rd_bytes(&rd, name + nlen, l);
		nlen += l;
	}
	if (!pn_rd_u16be(&rd, &qtype) || !pn_rd_u16be(&rd, &qclass))
		return false;
	if (answer) {
		/* The answer's TTL and RDLENGTH are there (section
		 * 4.1.3); its data may be cut. The class's top bit is
		 * mDNS's cache-flush bit (RFC 6762 section 10.2). */
		uint32_t ttl = 0;
		uint16_t rdlen = 0;
		if (!pn_rd_u32be(&rd, &ttl) || !pn_rd_u16be(&rd, &rdlen))
			return false;
	}
	/* QTYPE 0 is reserved; QCLASS IN, CH, HS, NONE, ANY (section
	 * 3.2.4, RFC 2136), with mDNS's unicast-response bit (RFC 6762
	 * section 5.4). */
	unsigned cls = qclass & 0x7fff;
	if (qtype == 0 ||
	    (cls != 1 && cls != 3 && cls != 4 && cls != 254 && cls != 255))
		return false;
	if ((qclass & 0x8000) && cls != 1)
		return false;
	found(ev, PN_P_DNS, answer ? "name=" : "qname=");
	if (nlen == 0)
		puts_(ev->token, sizeof ev->token, ".");
	put(ev->token, sizeof ev->token, name, nlen);
	puts_(ev->extra, sizeof ev->extra,
	      flags & 0x8000 ? "response" : "query");
	return true;
}

/* DNS: a message per datagram; over TCP each message is preceded by its
 * two-byte length (RFC 1035 section 4.2.2, RFC 7766 section 8), which
 * covers at least a header and a question. */
static bool rec_dns(const struct in *in, struct pn_evidence *ev)
{
	if (!in->stream)
		return dns_message(in->p, in->len, ev);
	if (in->len < 2)
		return false;
	size_t mlen = (size_t)in->p[0] << 8 | in->p[1];
	if (mlen < 17)
		return false;
	size_t have = in->len - 2 < mlen ? in->len - 2 : mlen;
	return dns_message(in->p + 2, have, ev);
}

/* The first line of a server greeting "220 " or "220-" (RFC 5321 section
 * 4.2, RFC 959 section 4.2). */
static size_t greeting_220(const struct in *in)
{
	if (!prefix(in, "220 ") && !prefix(in, "220-"))
		return 0;
	return line_len(in->p, in->len);
}

/* SMTP (RFC 5321 section 3.1 and 4.1.1.1): the server's 220 greeting
 * saying SMTP (ESMTP included), or the client's EHLO/HELO. */
static bool rec_smtp(const struct in *in, struct pn_evidence *ev)
{
	if (!in->stream)
		return false;
	if (in->from_client) {
		if (!prefix_ci(in, "EHLO ") && !prefix_ci(in, "HELO "))
			return false;
		size_t n = line_len(in->p, in->len);
		if (n < 6 || !line_end(in, n))
			return false;
		found(ev, PN_P_SMTP, NULL);
		put(ev->token, sizeof ev->token, in->p, n);
		return true;
	}
	size_t n = greeting_220(in);
	if (n == 0 || !contains_ci(in->p, n, "SMTP"))
		return false;
	found(ev, PN_P_SMTP, NULL);
	put(ev->token, sizeof ev->token, in->p, n);
	return true;
}

/* A command line from the client: one of cmds exactly (case-insensitive,
 * as RFC 959, 1939 and 9051 commands are) followed by CRLF. */
static bool command(const struct in *in, const char *const *cmds,
		    enum pn_proto proto, struct pn_evidence *ev)
{
	for (size_t i = 0; cmds[i]; i++) {
		size_t n = strlen(cmds[i]);
		if (prefix_ci(in, cmds[i]) && line_end(in, n)) {
			found(ev, proto, NULL);
			put(ev->token, sizeof ev->token, in->p, n);
			return true;
		}
	}
	return false;
}

/* FTP (RFC 959 section 4.2 and 5.4): a 220 greeting that says FTP and not
 * SMTP; from the client FEAT (RFC 2389) or AUTH TLS/SSL (RFC 4217). */
static bool rec_ftp(const struct in *in, struct pn_evidence *ev)
{
	static const char *const cmds[] = {"FEAT", "AUTH TLS", "AUTH SSL",
					   NULL};

	if (!in->stream)
		return false;
	if (in->from_client)
		return command(in, cmds, PN_P_FTP, ev);
	size_t n = greeting_220(in);
	if (n == 0 || contains_ci(in->p, n, "SMTP") ||
	    !contains_ci(in->p, n, "FTP"))
		return false;
	found(ev, PN_P_FTP, NULL);
	put(ev->token, sizeof ev->token, in->p, n);
	return true;
}

/* POP3 (RFC 1939 section 4, RFC 2449, RFC 2595): the server's "+OK"
 * greeting; from the client CAPA, STLS or APOP. */
static bool rec_pop3(const struct in *in, struct pn_evidence *ev)
{
	static const char *const cmds[] = {"CAPA", "STLS", NULL};

	if (!in->stream)
		return false;
	if (in->from_client) {
		if (command(in, cmds, PN_P_POP3, ev))
			return true;
		/* APOP name digest: the digest is 32 hex digits. */
		size_t n = line_len(in->p, in->len);
		if (!prefix_ci(in, "APOP ") || n < 5 + 2 + 32 ||
		    !line_end(in, n) || in->p[n - 33] != ' ')
			return false;
		for (size_t i = n - 32; i < n; i++)
			if (!is_digit(in->p[i]) &&
			    !(lower(in->p[i]) >= 'a' && lower(in->p[i]) <= 'f'))
				return false;
		return found(ev, PN_P_POP3, "APOP");
	}
	if (!prefix(in, "+OK") || in->len < 4 ||
	    (in->p[3] != ' ' && !line_end(in, 3)))
		return false;
	found(ev, PN_P_POP3, NULL);
	put(ev->token, sizeof ev->token, in->p, line_len(in->p, in->len));
	return true;
}

/* IMAP (RFC 9051 section 7.1, RFC 3501 section 7.1): the server's
 * untagged OK or PREAUTH greeting; from the client a tagged command
 * (section 9: tag is astring characters but '+'). */
static bool rec_imap(const struct in *in, struct pn_evidence *ev)
{
	static const char *const cmds[] = {
	    "CAPABILITY", "STARTTLS", "LOGIN ", "AUTHENTICATE ", "ID ", NULL};

	if (!in->stream)
		return false;
	if (!in->from_client) {
		if (!prefix(in, "* OK ") && !prefix(in, "* OK[") &&
		    !prefix(in, "* PREAUTH "))
			return false;
		found(ev, PN_P_IMAP, NULL);
		put(ev->token, sizeof ev->token, in->p,
		    line_len(in->p, in->len));
		return true;
	}
	size_t t = 0;
	while (t < in->len && t < 32 && in->p[t] > 0x20 && in->p[t] < 0x7f &&
	       !strchr("(){%*\"\\]+", in->p[t]))
		t++;
	if (t == 0 || t >= in->len || in->p[t] != ' ')
		return false;
	struct in rest = {in->p + t + 1, in->len - t - 1, true, true};
	for (size_t i = 0; cmds[i]; i++) {
		size_t n = strlen(cmds[i]);
		if (!prefix_ci(&rest, cmds[i]))
			continue;
		size_t l = line_len(in->p, in->len);
		/* A bare command ends the line; one with arguments has
		 * some before the line ends. */
		if (cmds[i][n - 1] != ' ' ? l != t + 1 + n : l <= t + 1 + n)
			continue;
		if (!line_end(in, l))
			continue;
		found(ev, PN_P_IMAP, NULL);
		put(ev->token, sizeof ev->token, in->p, t + 1 + n);
		return true;
	}
	return false;
}

/* NTP (RFC 5905 section 7.3): a 48-byte header (then extension fields or
 * a MAC, in 4-byte units), version 3 or 4, mode 1-5, stratum 0-16, poll
 * and precision in range, root delay and dispersion under 16 s. */
static bool rec_ntp(const struct in *in, struct pn_evidence *ev)
{
	static const char *const modes[] = {
	    "",	      "symmetric-active", "symmetric-passive",
	    "client", "server",		  "broadcast"};
	const uint8_t *p = in->p;

	if (in->stream || in->len < 48 || (in->len - 48) % 4)
		return false;
	unsigned vn = (p[0] >> 3) & 7, mode = p[0] & 7;
	int8_t poll = (int8_t)p[2], precision = (int8_t)p[3];
	if ((vn != 3 && vn != 4) || mode < 1 || mode > 5 || p[1] > 16)
		return false;
	/* Poll: log2 seconds, 4-17 (section 7.3), 0 from SNTP clients
	 * (RFC 4330 section 5); precision: log2 seconds, never above 1 s. */
	if (poll < 0 || poll > 17 || precision > 0 || precision < -32)
		return false;
	/* Root Delay and Root Dispersion: 16.16 seconds. */
	if (p[4] != 0 || p[5] > 0x0f || p[8] != 0 || p[9] > 0x0f)
		return false;
	found(ev, PN_P_NTP, vn == 4 ? "v4 " : "v3 ");
	puts_(ev->token, sizeof ev->token, modes[mode]);
	return true;
}

/* SIP (RFC 3261 section 7.1 and 7.2), on either transport and from either
 * side: a request line with a SIP method ending SIP/2.0, or a status
 * line. */
static bool rec_sip(const struct in *in, struct pn_evidence *ev)
{
	/* RFC 3261, 3262, 3265/6665, 3311, 3428, 3515, 3903, 6086. */
	static const char *const methods[] = {
	    "INVITE",  "ACK",	"BYE",	     "CANCEL", "REGISTER",
	    "OPTIONS", "PRACK", "SUBSCRIBE", "NOTIFY", "PUBLISH",
	    "INFO",    "REFER", "MESSAGE",   "UPDATE", NULL};
	static const char *const versions[] = {"SIP/2.0", NULL};

	return request_line(in, methods, versions, ev, PN_P_SIP) ||
	       status_line(in, versions, ev, PN_P_SIP);
}

/* RTSP (RFC 2326 section 6.1 and 7.1, RFC 7826): a request line with an
 * RTSP method ending RTSP/1.0 or RTSP/2.0, or a status line; either side
 * (servers send requests too, section 10). */
static bool rec_rtsp(const struct in *in, struct pn_evidence *ev)
{
	static const char *const methods[] = {
	    "DESCRIBE", "ANNOUNCE", "GET_PARAMETER", "OPTIONS",
	    "PAUSE",	"PLAY",	    "PLAY_NOTIFY",   "RECORD",
	    "REDIRECT", "SETUP",    "SET_PARAMETER", "TEARDOWN",
	    NULL};
	static const char *const versions[] = {"RTSP/1.0", "RTSP/2.0", NULL};

	return request_line(in, methods, versions, ev, PN_P_RTSP) ||
	       status_line(in, versions, ev, PN_P_RTSP);
}

/* DHCP (RFC 2131 section 2 and 3, RFC 951): BOOTREQUEST or BOOTREPLY,
 * hlen <= 16, hops <= 16 (RFC 1542 section 4.1.1), the magic cookie at
 * 236 (RFC 2131 section 3); the message type option (RFC 2132 section
 * 9.6) as token when captured. */
static bool rec_dhcp(const struct in *in, struct pn_evidence *ev)
{
	static const char *const types[] = {"",	       "discover", "offer",
					    "request", "decline",  "ack",
					    "nak",     "release",  "inform"};
	const uint8_t *p = in->p;

	if (in->stream || in->len < 240)
		return false;
	if ((p[0] != 1 && p[0] != 2) || p[1] == 0 || p[2] > 16 || p[3] > 16)
		return false;
	if (p[236] != 99 || p[237] != 130 || p[238] != 83 || p[239] != 99)
		return false;
	found(ev, PN_P_DHCP, p[0] == 1 ? "bootrequest" : "bootreply");
	/* Options: code, length, data; pad (0) and end (255) have no
	 * length. Each pass consumes at least one byte. */
	for (size_t at = 240; at < in->len && p[at] != 255;) {
		if (p[at] == 0) {
			at++;
			continue;
		}
		if (in->len - at < 2 || in->len - at - 2 < p[at + 1])
			break;
		if (p[at] == 53 && p[at + 1] == 1 && p[at + 2] >= 1 &&
		    p[at + 2] <= 8) {
			ev->token[0] = 0;
			puts_(ev->token, sizeof ev->token, "dhcp ");
			puts_(ev->token, sizeof ev->token, types[p[at + 2]]);
			break;
		}
		at += 2 + (size_t)p[at + 1];
	}
	return true;
}

/* A BER length (X.690 section 8.1.3): short form, or long form of 1-2
 * bytes. */
static bool ber_len(struct pn_rd *rd, size_t *n)
{
	uint8_t b = 0, c = 0;

	if (!pn_rd_u8(rd, &b))
		return false;
	if (b < 0x80) {
		*n = b;
		return true;
	}
	if (b == 0x81 && pn_rd_u8(rd, &c) && c >= 0x80) {
		*n = c;
		return true;
	}
	uint16_t v = 0;
	if (b == 0x82 && pn_rd_u16be(rd, &v) && v >= 0x100) {
		*n = v;
		return true;
	}
	return false;
}

/* SNMP (RFC 3416 section 3, RFC 1157 section 4, RFC 3412 section 6): a
 * SEQUENCE whose length fits a datagram, INTEGER version 0 (v1), 1 (v2c)
 * or 3; v1/v2c then an OCTET STRING community and a PDU of tag 0xa0-0xa8;
 * v3 a msgGlobalData SEQUENCE. The community is not kept: it is a
 * password. */
static bool rec_snmp(const struct in *in, struct pn_evidence *ev)
{
	static const char *const pdus[] = {"get",    "getnext", "response",
					   "set",    "trap",	"getbulk",
					   "inform", "trapv2",	"report"};
	struct pn_rd rd;
	uint8_t tag = 0, b = 0, version = 0;
	size_t n = 0;

	pn_rd_init(&rd, in->p, in->len);
	if (!pn_rd_u8(&rd, &tag) || tag != 0x30 || !ber_len(&rd, &n))
		return false;
	/* The message is the whole datagram: it may be cut, never
	 * followed by more. */
	if (!in->stream && n < pn_rd_left(&rd))
		return false;
	if (!pn_rd_u8(&rd, &tag) || tag != 0x02 || !pn_rd_u8(&rd, &b) ||
	    b != 1 || !pn_rd_u8(&rd, &version) ||
	    (version != 0 && version != 1 && version != 3))
		return false;
	if (version == 3) {
		if (!pn_rd_u8(&rd, &tag) || tag != 0x30 || !ber_len(&rd, &n) ||
		    n < 11)
			return false;
		return found(ev, PN_P_SNMP, "v3");
	}
	if (!pn_rd_u8(&rd, &tag) || tag != 0x04 || !ber_len(&rd, &n) ||
	    !pn_rd_skip(&rd, n) || !pn_rd_u8(&rd, &tag) || tag < 0xa0 ||
	    tag > 0xa8)
		return false;
	found(ev, PN_P_SNMP, version == 0 ? "v1 " : "v2c ");
	puts_(ev->token, sizeof ev->token, pdus[tag - 0xa0]);
	return true;
}

/* Syslog (RFC 5424 section 6.2, RFC 3164 section 4.1): "<PRI>" with PRI
 * 0-191 in 1-3 digits without leading zeros, then the version "1 " or a
 * timestamp: "Mmm " (RFC 3164) or "YYYY-" (RFC 3339 without version).
 * Over TCP a message may be preceded by its octet count (RFC 6587 section
 * 3.4.1). */
static bool rec_syslog(const struct in *in, struct pn_evidence *ev)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const uint8_t *p = in->p;
	size_t at = 0, len = in->len;

	if (in->stream && len && is_digit(p[0]) && p[0] != '0') {
		while (at < len && at < 6 && is_digit(p[at]))
			at++;
		if (at >= len || p[at] != ' ')
			return false;
		at++;
	}
	if (at >= len || p[at] != '<')
		return false;
	size_t d = ++at;
	unsigned pri = 0;
	while (at < len && at - d < 3 && is_digit(p[at]))
		pri = pri * 10 + (unsigned)(p[at++] - '0');
	if (at == d || at >= len || p[at] != '>' || pri > 191 ||
	    (p[d] == '0' && at - d > 1))
		return false;
	size_t end = ++at;
	bool ok = false;
	if (len - at >= 2 && p[at] == '1' && p[at + 1] == ' ')
		ok = true;
	if (len - at >= 4 && p[at + 3] == ' ')
		for (size_t m = 0; m < 36; m += 3)
			if (memcmp(p + at, months + m, 3) == 0)
				ok = true;
	if (len - at >= 5 && is_digit(p[at]) && is_digit(p[at + 1]) &&
	    is_digit(p[at + 2]) && is_digit(p[at + 3]) && p[at + 4] == '-')
		ok = true;
	if (!ok)
		return false;
	found(ev, PN_P_SYSLOG, NULL);
	put(ev->token, sizeof ev->token, p + d - 1, end - (d - 1));
	return true;
}

/* MQTT (MQTT 3.1.1 section 3.1 and 3.2, MQTT 5.0 section 3.1): a CONNECT
 * (fixed header 0x10, remaining length 1-4 bytes) with protocol name
 * "MQTT" level 4 or 5, or "MQIsdp" level 3 (3.1), and connect flags with
 * bit 0 clear; from the server a 3.1.1 CONNACK. */
static bool rec_mqtt(const struct in *in, struct pn_evidence *ev)
{
	const uint8_t *p = in->p;
	size_t at = 1, rem = 0;

	if (!in->stream)
		return false;
	if (!in->from_client) {
		/* CONNACK: 0x20, length 2, flags 0/1, return code 0-5. */
		if (in->len == 4 && p[0] == 0x20 && p[1] == 2 && p[2] <= 1 &&
		    p[3] <= 5)
			return found(ev, PN_P_MQTT, "connack");
		return false;
	}
	if (in->len < 2 || p[0] != 0x10)
		return false;
	for (unsigned i = 0;; i++) {
		if (at >= in->len || i == 4)
			return false;
		rem |= (size_t)(p[at] & 0x7f) << (7 * i);
		if (!(p[at++] & 0x80))
			break;
	}
	if (rem < 10 || in->len - at < 8)
		return false;
	const uint8_t *v = p + at;
	if (memcmp(v, "\0\4MQTT", 6) == 0 && (v[6] == 4 || v[6] == 5) &&
	    !(v[7] & 1))
		return found(ev, PN_P_MQTT,
			     v[6] == 4 ? "connect 3.1.1" : "connect 5.0");
	if (in->len - at >= 10 && memcmp(v, "\0\6MQIsdp", 8) == 0 &&
	    v[8] == 3 && !(v[9] & 1))
		return found(ev, PN_P_MQTT, "connect 3.1");
	return false;
}

/* Redis (RESP, redis.io "Redis serialization protocol specification"):
 * from the client an array of bulk strings "*N\r\n$M\r\nCOMMAND\r\n",
 * the command letters only; from the server a reply that only Redis
 * gives to a first command (see the top of this file for "+OK"). */
static bool rec_redis(const struct in *in, struct pn_evidence *ev)
{
	const uint8_t *p = in->p;
	size_t at = 1, n = 0, m = 0;

	if (!in->stream)
		return false;
	if (!in->from_client) {
		if (!prefix(in, "+PONG\r\n") && !prefix(in, "-NOAUTH ") &&
		    !prefix(in, "-WRONGPASS "))
			return false;
		found(ev, PN_P_REDIS, NULL);
		put(ev->token, sizeof ev->token, p, line_len(p, in->len));
		return true;
	}
	if (in->len < 1 || p[0] != '*')
		return false;
	while (at < in->len && at < 6 && is_digit(p[at]))
		n = n * 10 + (size_t)(p[at++] - '0');
	if (at == 1 || n < 1 || n > 1048576 || !line_end(in, at) ||
	    in->p[at] != '\r')
		return false;
	at += 2;
	if (at >= in->len || p[at] != '$')
		return false;
	size_t d = ++at;
	while (at < in->len && at - d < 3 && is_digit(p[at]))
		m = m * 10 + (size_t)(p[at++] - '0');
	if (at == d || m < 2 || m > 32 || !line_end(in, at) ||
	    in->p[at] != '\r')
		return false;
	at += 2;
	if (in->len - at < m + 2 || p[at + m] != '\r' || p[at + m + 1] != '\n')
		return false;
	for (size_t i = 0; i < m; i++)
		if (!(lower(p[at + i]) >= 'a' && lower(p[at + i]) <= 'z'))
			return false;
	found(ev, PN_P_REDIS, NULL);
	put(ev->token, sizeof ev->token, p + at, m);
	return true;
}

/* PostgreSQL (protocol 3.0, "Message Formats" of the PostgreSQL
 * documentation, section 53.7): the client's StartupMessage (length,
 * 196608, then NUL-terminated parameter names and values), SSLRequest
 * (8, 80877103), GSSENCRequest (8, 80877104) or CancelRequest (16,
 * 80877102); from the server an AuthenticationRequest ('R', length 8-
 * 2048, a defined method). */
static bool rec_postgresql(const struct in *in, struct pn_evidence *ev)
{
	struct pn_rd rd;
	uint32_t len = 0, code = 0;
	uint8_t tag = 0;

	if (!in->stream)
		return false;
	pn_rd_init(&rd, in->p, in->len);
	if (!in->from_client) {
		if (!pn_rd_u8(&rd, &tag) || tag != 'R' ||
		    !pn_rd_u32be(&rd, &len) || len < 8 || len > 2048 ||
		    !pn_rd_u32be(&rd, &code))
			return false;
		/* 0 ok, 2 kerberos v5, 3 cleartext, 5 md5, 7 gss, 8 gss
		 * continue, 9 sspi, 10 sasl, 11/12 sasl continue/final. */
		if (code == 1 || code == 4 || code == 6 || code > 12 ||
		    (code == 0 && len != 8) || (code == 5 && len != 12))
			return false;
		return found(ev, PN_P_POSTGRESQL, "authentication");
	}
	if (!pn_rd_u32be(&rd, &len) || !pn_rd_u32be(&rd, &code))
		return false;
	if (len == 8 && code == 80877103)
		return found(ev, PN_P_POSTGRESQL, "sslrequest");
	if (len == 8 && code == 80877104)
		return found(ev, PN_P_POSTGRESQL, "gssencrequest");
	if (len == 16 && code == 80877102)
		return found(ev, PN_P_POSTGRESQL, "cancelrequest");
	/* The server refuses startup packets over 10000 bytes
	 * (MAX_STARTUP_PACKET_LENGTH); the first parameter is a lower-case
	 * name ("user", "database", "application_name", ...). */
	if (code != 196608 || len < 8 + 6 || len > 10000)
		return false;
	size_t at = 8, n = 0;
	while (at < in->len &&
	       ((in->p[at] >= 'a' && in->p[at] <= 'z') || in->p[at] == '_')) {
		at++;
		n++;
	}
	if (n == 0 || at >= in->len || in->p[at] != 0)
		return false;
	return found(ev, PN_P_POSTGRESQL, "startup 3.0");
}

/* MySQL/MariaDB (MySQL "Client/Server Protocol", Initial Handshake Packet
 * v10): 3-byte little-endian length, sequence 0, protocol version 10, a
 * NUL-terminated version string starting with a digit, connection id,
 * 8 bytes of scramble, a zero filler. */
static bool rec_mysql(const struct in *in, struct pn_evidence *ev)
{
	const uint8_t *p = in->p;

	if (!in->stream || in->from_client || in->len < 6)
		return false;
	size_t plen = p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16;
	if (p[3] != 0 || p[4] != 10 || plen < 32 || plen > 1024 ||
	    !is_digit(p[5]))
		return false;
	size_t at = 5;
	while (at < in->len && at < 5 + 64 && p[at] >= 0x20 && p[at] < 0x7f)
		at++;
	if (at >= in->len || p[at] != 0)
		return false;
	/* The filler after the connection id and scramble, if captured. */
	if (at + 1 + 4 + 8 < in->len && p[at + 1 + 4 + 8] != 0)
		return false;
	found(ev, PN_P_MYSQL, NULL);
	put(ev->token, sizeof ev->token, p + 5, at - 5);
	return true;
}

/* RDP (MS-RDPBCGR section 2.2.1.1 and 2.2.1.2): a TPKT (RFC 1006 section
 * 6: version 3, reserved 0, length) holding an X.224 Connection Request
 * (ISO 8073: code 0xe0) from the client or Connection Confirm (0xd0) from
 * the server, its length indicator the rest of the TPKT, DST-REF 0 and
 * class 0. */
static bool rec_rdp(const struct in *in, struct pn_evidence *ev)
{
	const uint8_t *p = in->p;

	if (!in->stream || in->len < 11)
		return false;
	size_t tlen = (size_t)p[2] << 8 | p[3];
	if (p[0] != 3 || p[1] != 0 || tlen < 11 || p[4] != tlen - 5)
		return false;
	if ((p[5] & 0xf0) != (in->from_client ? 0xe0 : 0xd0) || p[6] != 0 ||
	    (in->from_client && p[7] != 0) || (p[10] & 0xf0) != 0)
		return false;
	found(ev, PN_P_RDP, in->from_client ? "x224-cr" : "x224-cc");
	/* The routing cookie, "Cookie: mstshash=user\r\n", when present. */
	static const char cookie[] = "Cookie: mstshash=";
	size_t n = sizeof cookie - 1;
	if (in->from_client && in->len - 11 > n &&
	    memcmp(p + 11, cookie, n) == 0) {
		puts_(ev->extra, sizeof ev->extra, "mstshash=");
		put(ev->extra, sizeof ev->extra, p + 11 + n, in->len - 11 - n);
	}
	return true;
}

/* SMB (MS-SMB section 2.1, MS-SMB2 section 2.1 and 2.2.1): a NetBIOS
 * session message (RFC 1002 section 4.3.6: type 0) or the direct TCP
 * transport's zero byte and 24-bit length, then 0xff "SMB" (SMB1),
 * 0xfe "SMB" (SMB2/3) or 0xfd "SMB" (SMB3 transform). */
static bool rec_smb(const struct in *in, struct pn_evidence *ev)
{
	const uint8_t *p = in->p;

	if (!in->stream || in->len < 8 || p[0] != 0)
		return false;
	size_t mlen = (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
	if (memcmp(p + 5, "SMB", 3) != 0 || mlen < 32)
		return false;
	if (p[4] == 0xff)
		return found(ev, PN_P_SMB, "smb1");
	if (p[4] == 0xfe && mlen >= 64)
		return found(ev, PN_P_SMB, "smb2");
	if (p[4] == 0xfd && mlen >= 52)
		return found(ev, PN_P_SMB, "smb3-transform");
	return false;
}

/* X11 (X Window System Protocol, "Connection Setup"): the client's byte
 * order 'B' or 'l', an unused zero, major version 11, minor 0, and
 * authorization name and data lengths, in that byte order. */
static bool rec_x11(const struct in *in, struct pn_evidence *ev)
{
	const uint8_t *p = in->p;

	if (!in->stream || !in->from_client || in->len < 12)
		return false;
	bool msb = p[0] == 'B';
	if ((p[0] != 'B' && p[0] != 'l') || p[1] != 0)
		return false;
	unsigned major =
	    msb ? (unsigned)p[2] << 8 | p[3] : (unsigned)p[3] << 8 | p[2];
	unsigned minor = p[4] | p[5];
	unsigned nlen =
	    msb ? (unsigned)p[6] << 8 | p[7] : (unsigned)p[7] << 8 | p[6];
	if (major != 11 || minor != 0 || nlen > 256 || p[10] || p[11])
		return false;
	found(ev, PN_P_X11, msb ? "setup msb" : "setup lsb");
	if (nlen && in->len - 12 >= nlen)
		put(ev->extra, sizeof ev->extra, p + 12, nlen);
	return true;
}

/* BitTorrent (BEP 3, "peer protocol"): the handshake, 19 then
 * "BitTorrent protocol", 8 reserved bytes, the info hash and the peer id
 * (its client prefix as extra when captured). */
static bool rec_bittorrent(const struct in *in, struct pn_evidence *ev)
{
	static const char hs[] = "\023BitTorrent protocol";

	if (!in->stream || !prefix(in, hs))
		return false;
	found(ev, PN_P_BITTORRENT, "handshake");
	if (in->len >= 20 + 8 + 20 + 8) {
		puts_(ev->extra, sizeof ev->extra, "peer=");
		put(ev->extra, sizeof ev->extra, in->p + 48, 8);
	}
	return true;
}

/* STUN (RFC 8489 section 5 and 6, RFC 5389): the two top bits zero, a
 * length a multiple of 4 that covers the datagram, the magic cookie, and
 * a method of STUN or TURN (RFC 8656 section 17, RFC 6062). */
static bool rec_stun(const struct in *in, struct pn_evidence *ev)
{
	static const char *const classes[] = {"request", "indication",
					      "success", "error"};
	const uint8_t *p = in->p;

	if (in->len < 20)
		return false;
	unsigned type = (unsigned)p[0] << 8 | p[1];
	size_t mlen = (size_t)p[2] << 8 | p[3];
	if ((type & 0xc000) || mlen % 4 || p[4] != 0x21 || p[5] != 0x12 ||
	    p[6] != 0xa4 || p[7] != 0x42)
		return false;
	/* A datagram is one message (section 6), unless cut short. */
	if (!in->stream && 20 + mlen < in->len)
		return false;
	unsigned method =
	    (type & 0x000f) | (type & 0x00e0) >> 1 | (type & 0x3e00) >> 2;
	unsigned cls = (type >> 4 & 1) | (type >> 7 & 2);
	if (method < 1 || method > 12 || method == 5)
		return false;
	found(ev, PN_P_STUN, method == 1 ? "binding " : "turn ");
	puts_(ev->token, sizeof ev->token, classes[cls]);
	return true;
}

/* WireGuard (whitepaper section 5.4): a message type 1-4, three zero
 * reserved bytes, and each type's fixed size: initiation 148, response
 * 92, cookie reply 64, transport data 32 or more, padded to 16. */
static bool rec_wireguard(const struct in *in, struct pn_evidence *ev)
{
	const uint8_t *p = in->p;

	if (in->stream || in->len < 32 || p[1] || p[2] || p[3])
		return false;
	if (p[0] == 1 && in->len == 148)
		return found(ev, PN_P_WIREGUARD, "handshake initiation");
	if (p[0] == 2 && in->len == 92)
		return found(ev, PN_P_WIREGUARD, "handshake response");
	if (p[0] == 3 && in->len == 64)
		return found(ev, PN_P_WIREGUARD, "cookie reply");
	if (p[0] == 4 && in->len % 16 == 0)
		return found(ev, PN_P_WIREGUARD, "transport data");
	return false;
}

typedef bool (*recognizer)(const struct in *, struct pn_evidence *);

/* Recognizers in the order pn_evidence_recognize tries them: fixed binary
 * signatures first, then text, loosest last; each with the transports its
 * specification runs on (S: a stream, TCP; D: datagrams, UDP), which run()
 * enforces, so no recognizer answers for a transport its protocol does not
 * use (DTLS bytes in a TCP stream are not DTLS). */
enum { S = 1u << PN_TCP, D = 1u << PN_UDP };
static const struct {
	enum pn_proto proto;
	recognizer fn;
	unsigned on;
} order[] = {
    {PN_P_TLS, rec_tls, S},	  {PN_P_QUIC, rec_quic, D},
    {PN_P_DTLS, rec_dtls, D},	  {PN_P_HTTP2, rec_http2, S},
    {PN_P_SSH, rec_ssh, S},	  {PN_P_BITTORRENT, rec_bittorrent, S},
    {PN_P_SMB, rec_smb, S},	  {PN_P_RDP, rec_rdp, S},
    {PN_P_STUN, rec_stun, S | D}, {PN_P_WIREGUARD, rec_wireguard, D},
    {PN_P_DHCP, rec_dhcp, D},	  {PN_P_POSTGRESQL, rec_postgresql, S},
    {PN_P_MYSQL, rec_mysql, S},	  {PN_P_MQTT, rec_mqtt, S},
    {PN_P_X11, rec_x11, S},	  {PN_P_HTTP1, rec_http1, S},
    {PN_P_RTSP, rec_rtsp, S | D}, {PN_P_SIP, rec_sip, S | D},
    {PN_P_SMTP, rec_smtp, S},	  {PN_P_FTP, rec_ftp, S},
    {PN_P_POP3, rec_pop3, S},	  {PN_P_IMAP, rec_imap, S},
    {PN_P_REDIS, rec_redis, S},	  {PN_P_SYSLOG, rec_syslog, S | D},
    {PN_P_SNMP, rec_snmp, S | D}, {PN_P_DNS, rec_dns, S | D},
    {PN_P_NTP, rec_ntp, D},
};

static void none(struct pn_evidence *ev)
{
	ev->proto = PN_P_NONE;
	ev->token[0] = 0;
	ev->extra[0] = 0;
}

static bool run(size_t i, enum pn_l4 transport, bool from_client,
		const uint8_t *payload, size_t len, struct pn_evidence *ev)
{
	unsigned t = transport == PN_L4_TCP   ? S
		     : transport == PN_L4_UDP ? D
					      : 0;
	if (!(order[i].on & t) || !payload || len == 0)
		return false;
	struct in in = {payload, len, transport == PN_L4_TCP, from_client};
	if (order[i].fn(&in, ev))
		return true;
	none(ev);
	return false;
}

bool pn_evidence_recognize(enum pn_l4 transport, bool from_client,
			   const uint8_t *payload, size_t len,
			   struct pn_evidence *ev)
{
	none(ev);
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (run(i, transport, from_client, payload, len, ev))
			return true;
	return false;
}

bool pn_evidence_check(enum pn_proto proto, enum pn_l4 transport,
		       bool from_client, const uint8_t *payload, size_t len,
		       struct pn_evidence *ev)
{
	none(ev);
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (order[i].proto == proto)
			return run(i, transport, from_client, payload, len, ev);
	return false;
}

bool pn_evidence_implemented(enum pn_proto proto)
{
	return pn_evidence_transports(proto) != 0;
}

unsigned pn_evidence_transports(enum pn_proto proto)
{
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (order[i].proto == proto)
			return order[i].on;
	return 0;
}

const char *pn_proto_name(enum pn_proto proto)
{
	static const char *const names[PN_P_COUNT] = {
	    [PN_P_NONE] = "none",
	    [PN_P_TLS] = "tls",
	    [PN_P_DTLS] = "dtls",
	    [PN_P_QUIC] = "quic",
	    [PN_P_HTTP1] = "http",
	    [PN_P_HTTP2] = "http2",
	    [PN_P_SSH] = "ssh",
	    [PN_P_DNS] = "dns",
	    [PN_P_SMTP] = "smtp",
	    [PN_P_FTP] = "ftp",
	    [PN_P_POP3] = "pop3",
	    [PN_P_IMAP] = "imap",
	    [PN_P_NTP] = "ntp",
	    [PN_P_SIP] = "sip",
	    [PN_P_RTSP] = "rtsp",
	    [PN_P_DHCP] = "dhcp",
	    [PN_P_SNMP] = "snmp",
	    [PN_P_SYSLOG] = "syslog",
	    [PN_P_MQTT] = "mqtt",
	    [PN_P_REDIS] = "redis",
	    [PN_P_POSTGRESQL] = "postgresql",
	    [PN_P_MYSQL] = "mysql",
	    [PN_P_RDP] = "rdp",
	    [PN_P_SMB] = "smb",
	    [PN_P_X11] = "x11",
	    [PN_P_BITTORRENT] = "bittorrent",
	    [PN_P_STUN] = "stun",
	    [PN_P_WIREGUARD] = "wireguard",
	};

	if ((unsigned)proto >= PN_P_COUNT)
		return "unknown";
	return names[proto];
}

const char *pn_proto_title(enum pn_proto proto)
{
	static const char *const titles[PN_P_COUNT] = {
	    [PN_P_NONE] = "nothing known",
	    [PN_P_TLS] = "TLS",
	    [PN_P_DTLS] = "DTLS",
	    [PN_P_QUIC] = "QUIC",
	    [PN_P_HTTP1] = "HTTP/1.x",
	    [PN_P_HTTP2] = "HTTP/2",
	    [PN_P_SSH] = "SSH",
	    [PN_P_DNS] = "DNS",
	    [PN_P_SMTP] = "SMTP",
	    [PN_P_FTP] = "FTP",
	    [PN_P_POP3] = "POP3",
	    [PN_P_IMAP] = "IMAP",
	    [PN_P_NTP] = "NTP",
	    [PN_P_SIP] = "SIP",
	    [PN_P_RTSP] = "RTSP",
	    [PN_P_DHCP] = "DHCP/BOOTP",
	    [PN_P_SNMP] = "SNMP",
	    [PN_P_SYSLOG] = "syslog",
	    [PN_P_MQTT] = "MQTT",
	    [PN_P_REDIS] = "Redis",
	    [PN_P_POSTGRESQL] = "PostgreSQL",
	    [PN_P_MYSQL] = "MySQL",
	    [PN_P_RDP] = "RDP",
	    [PN_P_SMB] = "SMB",
	    [PN_P_X11] = "X11",
	    [PN_P_BITTORRENT] = "BitTorrent",
	    [PN_P_STUN] = "STUN",
	    [PN_P_WIREGUARD] = "WireGuard",
	};

	if ((unsigned)proto >= PN_P_COUNT)
		return "unknown";
	return titles[proto];
}

enum pn_proto pn_proto_parse(const char *name)
{
	for (int p = PN_P_NONE + 1; p < PN_P_COUNT; p++)
		if (!strcmp(pn_proto_name((enum pn_proto)p), name))
			return (enum pn_proto)p;
	return PN_P_NONE;
}

const char *pn_protocols_text(uint32_t mask, bool titles, const char *sep,
			      char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int p = PN_P_NONE + 1; p < PN_P_COUNT; p++) {
		if (!(mask >> p & 1u))
			continue;
		const char *name = titles ? pn_proto_title((enum pn_proto)p)
					  : pn_proto_name((enum pn_proto)p);
		int w = snprintf(buf + n, size - n, "%s%s", n ? sep : "", name);
		if (w < 0 || (size_t)w >= size - n)
			break;
		n += (size_t)w;
	}
	return buf;
}

/* --- A flow's evidence ------------------------------------------------ */

/* What a payload that opens nothing could still be part of, once the
 * opening was missed: a TLS record (RFC 8446 section 5.1: content type
 * 20-23, legacy version 0x0301-0x0303, length at most 2^14 + 256), a QUIC
 * short header (RFC 9000 section 17.3: form 0, fixed bit 1) or long
 * header of version 1 or 2, a DTLS record of a later epoch (RFC 6347
 * section 4.1). It never counts as "looks like": it only keeps a missed
 * opening from reading as a mismatch. */
static enum pn_proto later_packet(enum pn_l4 transport, const uint8_t *p,
				  size_t len)
{
	if (len < 5)
		return PN_P_NONE;
	if (transport == PN_L4_TCP) {
		unsigned rlen = (unsigned)p[3] << 8 | p[4];
		if (p[0] >= 20 && p[0] <= 23 && p[1] == 3 && p[2] >= 1 &&
		    p[2] <= 3 && rlen <= 16384 + 256)
			return PN_P_TLS;
		return PN_P_NONE;
	}
	if (transport != PN_L4_UDP)
		return PN_P_NONE;
	if (len >= 13 && p[0] >= 20 && p[0] <= 23 && p[1] == 0xfe &&
	    (p[2] == 0xff || p[2] == 0xfd) && (p[3] | p[4]) != 0)
		return PN_P_DTLS;
	if ((p[0] & 0xc0) == 0x40 && len >= 21)
		return PN_P_QUIC;
	uint32_t version = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
			   (uint32_t)p[3] << 8 | p[4];
	if ((p[0] & 0xc0) == 0xc0 && (version == 1 || version == 0x6b3343cf))
		return PN_P_QUIC;
	return PN_P_NONE;
}

static void keep(struct pn_evidence *kept, const struct pn_evidence *ev)
{
	if (!kept)
		return;
	if (kept->proto == PN_P_NONE) {
		*kept = *ev;
	} else if (kept->proto == ev->proto && !kept->extra[0] &&
		   strcmp(kept->token, ev->token) != 0) {
		/* The other side's sign of the same protocol. */
		put(kept->extra, sizeof kept->extra, ev->token,
		    strlen(ev->token));
	}
}

void pn_evidence_observe(struct pn_flow_evidence *ev, enum pn_l4 transport,
			 int from, int server, bool weak,
			 const uint8_t *payload, size_t len)
{
	if (!pn_evidence_wants(ev, from) || len == 0)
		return;
	ev->looked[from]++;
	ev->bytes = len >= 255u - ev->bytes ? 255 : (uint8_t)(ev->bytes + len);
	struct pn_evidence seen;
	bool from_client = from != server;
	if (pn_evidence_recognize(transport, from_client, payload, len,
				  &seen) ||
	    (weak && pn_evidence_recognize(transport, !from_client, payload,
					   len, &seen))) {
		ev->proto[from] = (uint8_t)seen.proto;
		keep(ev->kept, &seen);
	} else if (ev->later[from] == PN_P_NONE) {
		ev->later[from] =
		    (uint8_t)later_packet(transport, payload, len);
	}
}

static int by_name(const void *key, const void *elem)
{
	return strcmp(key,
		      ((const struct pn_service_protocols *)elem)->service);
}

uint32_t pn_evidence_service(const char *name, enum pn_transport t)
{
	if ((unsigned)t >= PN_TRANSPORT_COUNT)
		return 0;
	const struct pn_service_protocols *sp =
	    bsearch(name, pn_service_protocols, pn_service_protocols_count,
		    sizeof pn_service_protocols[0], by_name);
	return sp ? sp->protocols[t] : 0;
}

uint32_t pn_evidence_expected(const struct pn_registry *reg,
			      enum pn_transport t, uint16_t port)
{
	return pn_evidence_slot_expected(reg, pn_registry_slot(reg, t, port),
					 t);
}

uint32_t pn_evidence_slot_expected(const struct pn_registry *reg,
				   const struct pn_slot *slot,
				   enum pn_transport t)
{
	uint32_t mask = 0;
	for (unsigned i = 0; i < slot->count; i++) {
		const struct pn_entry *e = pn_slot_entry(reg, slot, i);
		if (e->kind == PN_KIND_SERVICE)
			mask |= pn_evidence_service(
			    pn_registry_str(reg, e->name), t);
	}
	return mask;
}

uint8_t pn_evidence_service_code(const struct pn_registry *reg, uint16_t port,
				 uint32_t code)
{
	const struct pn_slot *slot = pn_registry_slot(reg, PN_DCCP, port);
	for (unsigned i = 0; i < slot->count; i++) {
		const struct pn_entry *e = pn_slot_entry(reg, slot, i);
		if ((e->flags & PN_E_SERVICE_CODE) && e->service_code == code)
			return PN_EV_CODE_LISTED;
	}
	return PN_EV_CODE_UNLISTED;
}

static bool in_mask(uint32_t mask, uint8_t proto)
{
	return proto != PN_P_NONE && (mask >> proto & 1u);
}

enum pn_payload_verdict pn_evidence_verdict(const struct pn_flow_evidence *ev,
					    const struct pn_registry *reg,
					    uint32_t declared,
					    enum pn_transport t, uint16_t port,
					    int server, bool start_seen,
					    struct pn_verdict_detail *d)
{
	return pn_evidence_verdict_with(
	    ev, reg, declared,
	    declared ? 0 : pn_evidence_expected(reg, t, port), t, port, server,
	    start_seen, d);
}

enum pn_payload_verdict pn_evidence_verdict_with(
    const struct pn_flow_evidence *ev, const struct pn_registry *reg,
    uint32_t declared, uint32_t expected, enum pn_transport t, uint16_t port,
    int server, bool start_seen, struct pn_verdict_detail *d)
{
	int client = !server;
	/* A declaration replaces the registry's expectation; a declared
	 * port counts as registered, here, for what the declaration says. */
	uint32_t mask = declared ? declared : expected;
	bool registered =
	    declared || (pn_registry_slot(reg, t, port)->flags & PN_S_SERVICE);
	enum pn_proto *looks_like = &d->looks_like;
	enum pn_verdict_why *why = &d->why;
	d->declared = declared != 0;
	/* What it looked like: a protocol the port's services speak first,
	 * then the server's side, then the client's. */
	uint8_t seen = in_mask(mask, ev->proto[server])	  ? ev->proto[server]
		       : in_mask(mask, ev->proto[client]) ? ev->proto[client]
		       : ev->proto[server] != PN_P_NONE	  ? ev->proto[server]
							  : ev->proto[client];
	*looks_like = (enum pn_proto)seen;
	*why = PN_VW_NONE;
	d->expected = mask;

	if (ev->code != PN_EV_CODE_NONE) {
		if (!registered) {
			*why = PN_VW_UNREGISTERED;
			return PN_V_UNVERIFIED;
		}
		return ev->code == PN_EV_CODE_LISTED ? PN_V_AGREES
						     : PN_V_DIFFERS;
	}
	if (!ev->looked[0] && !ev->looked[1])
		return PN_V_NO_PAYLOAD;
	if (!registered) {
		*why = PN_VW_UNREGISTERED;
		return PN_V_UNVERIFIED;
	}
	if (seen != PN_P_NONE)
		return in_mask(mask, seen) ? PN_V_AGREES : PN_V_DIFFERS;
	/* Nothing matched: a mismatch only where the opening was seen, in
	 * enough bytes, by recognizers of what the port is registered for. */
	if (t != PN_TCP && t != PN_UDP)
		*why = PN_VW_TRANSPORT;
	else if (!mask)
		*why = PN_VW_NO_MAPPING;
	else if (!start_seen)
		*why = PN_VW_START_UNSEEN;
	else if (in_mask(mask, ev->later[0]) || in_mask(mask, ev->later[1]))
		*why = PN_VW_LATER;
	else if (ev->bytes < 8)
		*why = PN_VW_FEW_BYTES;
	return *why == PN_VW_NONE ? PN_V_DIFFERS : PN_V_UNVERIFIED;
}

const char *pn_payload_verdict_name(enum pn_payload_verdict v)
{
	static const char *const names[PN_V_COUNT] = {
	    "no-payload", "unverified", "agrees", "differs"};
	return (unsigned)v < PN_V_COUNT ? names[v] : "?";
}

const char *pn_verdict_why_name(enum pn_verdict_why w)
{
	static const char *const names[PN_VW_COUNT] = {
	    "",
	    "port-not-registered",
	    "no-recognizer-for-service",
	    "start-not-seen",
	    "later-packets-only",
	    "too-few-bytes",
	    "transport-not-examined"};
	return (unsigned)w < PN_VW_COUNT ? names[w] : "?";
}
