/* flowprint.c — one flow in words: what its server port is registered
 * for, its flags, and the record `portnote flows` prints. */
#include "portnote/flowprint.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A JSON flow record's usual bound: its texts are a few names and at most
 * two evidence tokens, escaped. */
#define PN_FLOW_JSON_MAX 8192

const char *pn_flow_flag_name(unsigned bit_index)
{
	static const char *const names[PN_FF_COUNT] = {
	    "reserved", "unassigned", "dynamic", "unauthorized-use-reported",
	    "ambiguous"};
	return bit_index < PN_FF_COUNT ? names[bit_index] : "?";
}

const char *pn_port_service(const struct pn_registry *reg,
			    struct pn_annotator *ann, enum pn_transport t,
			    uint16_t port, char *buf, size_t size)
{
	const struct pn_slot *s = pn_registry_slot(reg, t, port);
	if (s->flags & PN_S_SERVICE) {
		/* names_csv joins with ';': people read ", ". */
		size_t n = 0;
		for (const char *c = pn_annotate(ann, t, port)->names_csv;
		     *c && n + 2 < size; c++) {
			if (*c == ';') {
				buf[n++] = ',';
				buf[n++] = ' ';
			} else {
				buf[n++] = *c;
			}
		}
		buf[n] = '\0';
	} else if (s->flags & PN_S_UNNAMED) {
		snprintf(buf, size, "unnamed %s/%u", pn_transport_name(t),
			 port);
	} else {
		snprintf(buf, size, "unregistered %s/%u", pn_transport_name(t),
			 port);
	}
	return buf;
}

const char *pn_flow_service(const struct pn_registry *reg,
			    struct pn_annotator *ann, const struct pn_flow *f,
			    char *buf, size_t size)
{
	if (f->basis == PN_BASIS_NONE) {
		snprintf(buf, size, "unknown");
		return buf;
	}
	return pn_port_service(reg, ann, (enum pn_transport)f->key.transport,
			       f->key.port[f->server], buf, size);
}

static const char *const csv_header[] = {"transport",
					 "vlan",
					 "client",
					 "client_port",
					 "server",
					 "server_port",
					 "basis",
					 "service",
					 "server_port_class",
					 "server_port_status",
					 "services",
					 "flags",
					 "first",
					 "last",
					 "packets_c2s",
					 "bytes_c2s",
					 "packets_s2c",
					 "bytes_s2c",
					 "tcp_flags_c2s",
					 "tcp_flags_s2c",
					 "end",
					 "verdict",
					 "looks_like",
					 "evidence",
					 "verdict_reason",
					 "expected",
					 "expected_from"};
#define CSV_COLUMNS ((int)(sizeof csv_header / sizeof csv_header[0]))

/* The flow's PN_FF_* flags as names joined by sep. */
static const char *flags_text(uint16_t flags, const char *sep, bool quoted,
			      char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (unsigned b = 0; b < PN_FF_COUNT; b++)
		if (flags & (1u << b)) {
			int w =
			    snprintf(buf + n, size - n, "%s%s%s%s",
				     n ? sep : "", quoted ? "\"" : "",
				     pn_flow_flag_name(b), quoted ? "\"" : "");
			if (w < 0 || (size_t)w >= size - n)
				break;
			n += (size_t)w;
		}
	return buf;
}

/* What showed the protocol: "sni=example.org, alpn=h2", raw (hostile)
 * bytes, "" when the table kept no tokens. */
static const char *tokens_text(const struct pn_flow *f, char *buf, size_t size)
{
	const struct pn_evidence *k = f->ev.kept;
	buf[0] = '\0';
	if (k && k->token[0])
		snprintf(buf, size, "%s%s%s", k->token, k->extra[0] ? ", " : "",
			 k->extra);
	return buf;
}

static const char *why_text(enum pn_verdict_why w, enum pn_transport t)
{
	switch (w) {
	case PN_VW_UNREGISTERED:
		return "the port is not registered";
	case PN_VW_NO_MAPPING:
		return "no recognizer for what the port is registered for";
	case PN_VW_START_UNSEEN:
		return "the connection's opening was not captured";
	case PN_VW_LATER:
		return "only later packets of what the port is registered for";
	case PN_VW_FEW_BYTES:
		return "too few payload bytes";
	case PN_VW_TRANSPORT:
		return t == PN_SCTP ? "SCTP payloads are not examined"
				    : "DCCP payloads are not examined";
	default:
		return "";
	}
}

size_t pn_flow_evidence_format(char *buf, size_t size,
			       const struct pn_registry *reg,
			       struct pn_annotator *ann,
			       const struct pn_flow *f)
{
	struct pn_verdict_detail d;
	enum pn_transport t = (enum pn_transport)f->key.transport;
	enum pn_payload_verdict v =
	    pn_flow_verdict(reg, pn_annotator_declarations(ann), f, &d);
	char tokens[PN_EVIDENCE_TOKEN + PN_EVIDENCE_EXTRA + 4], names[256];
	tokens_text(f, tokens, sizeof tokens);
	size_t n = 0;
	int w = 0;
#define ADD(...)                                                               \
	(w = snprintf(buf + n, n < size ? size - n : 0, __VA_ARGS__),          \
	 n += w > 0 ? (size_t)w : 0)

	if (v == PN_V_NO_PAYLOAD) {
		ADD("no payload");
	} else {
		if (f->ev.code != PN_EV_CODE_NONE)
			ADD("DCCP service code%s%s %s for the port",
			    tokens[0] ? " " : "",
			    pn_safe(tokens[0] ? tokens + strlen("service-code=")
					      : ""),
			    f->ev.code == PN_EV_CODE_LISTED ? "listed"
							    : "not listed");
		else if (d.looks_like != PN_P_NONE && tokens[0])
			ADD("payload looks like %s (%s)",
			    pn_proto_title(d.looks_like), pn_safe(tokens));
		else if (d.looks_like != PN_P_NONE)
			ADD("payload looks like %s",
			    pn_proto_title(d.looks_like));
		else if (v == PN_V_DIFFERS)
			ADD("payload does not look like %s",
			    pn_protocols_text(d.expected, true, " or ", names,
					      sizeof names));
		else
			ADD("payload");
		ADD(": %s%s", pn_payload_verdict_name(v),
		    d.declared ? " (declared)" : "");
		if (v == PN_V_UNVERIFIED && d.why != PN_VW_NONE)
			ADD(", %s", why_text(d.why, t));
	}
#undef ADD
	if (size && n >= size)
		n = size - 1;
	return n;
}

void pn_flow_evidence_text(FILE *out, const struct pn_registry *reg,
			   struct pn_annotator *ann, const struct pn_flow *f)
{
	char buf[512];
	pn_flow_evidence_format(buf, sizeof buf, reg, ann, f);
	fputs(buf, out);
}

/* "name", or null. */
static char *json_name_or_null(char *p, const char *name)
{
	if (!name)
		return PN_PUT_LIT(p, "null");
	*p++ = '"';
	while (*name)
		*p++ = *name++;
	*p++ = '"';
	return p;
}

/* A short name (a transport, basis, class, flag...): copied byte by byte,
 * cheaper than measuring it first. */
static char *put_name(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

/* What a JSON flow record takes at most beyond its texts of unbounded
 * length (service names, evidence tokens, expected protocols): its
 * literals (about 700 bytes), numbers, addresses, times and names, each
 * under 50 bytes. */
#define JSON_FLOW_FIXED 2048

/* The evidence tokens, as text, then escaped for JSON (control bytes and
 * bytes that are not UTF-8 become \xNN, so the JSON is valid whatever the
 * wire held); NULL where there is none. */
struct json_tokens {
	const char *token, *extra;
};

static size_t json_flow_bound(const struct pn_port_words *w,
			      const struct pn_flow *f, bool evidence,
			      uint32_t expected, struct json_tokens *tk)
{
	size_t n = JSON_FLOW_FIXED + w->service_json_len + w->names_json_len;
	tk->token = tk->extra = NULL;
	const struct pn_evidence *k = f->ev.kept;
	if (evidence && k && k->token[0]) {
		tk->token = pn_safe(k->token);
		n += 6 * strlen(tk->token);
		if (k->extra[0]) {
			tk->extra = pn_safe(k->extra);
			n += 6 * strlen(tk->extra);
		}
	}
	for (uint32_t m = expected & ~(1u << PN_P_NONE); m; m &= m - 1)
		n += strlen(pn_proto_name((enum pn_proto)__builtin_ctz(m))) + 3;
	return n;
}

/* ,"verdict":...,"looks_like":...,"evidence":[...],... of a JSON flow. */
static char *json_evidence(char *p, enum pn_payload_verdict v,
			   const struct pn_verdict_detail *d,
			   const struct json_tokens *tk)
{
	PN_PUT_LIT(p, ",\"verdict\":\"");
	p = put_name(p, pn_payload_verdict_name(v));
	PN_PUT_LIT(p, "\",\"looks_like\":");
	p = json_name_or_null(p, d->looks_like != PN_P_NONE
				     ? pn_proto_name(d->looks_like)
				     : NULL);
	PN_PUT_LIT(p, ",\"evidence\":[");
	if (tk->token) {
		*p++ = '"';
		p = pn_put_json(p, tk->token);
		*p++ = '"';
		if (tk->extra) {
			PN_PUT_LIT(p, ",\"");
			p = pn_put_json(p, tk->extra);
			*p++ = '"';
		}
	}
	PN_PUT_LIT(p, "],\"verdict_reason\":");
	p = json_name_or_null(
	    p, d->why != PN_VW_NONE ? pn_verdict_why_name(d->why) : NULL);
	PN_PUT_LIT(p, ",\"expected\":[");
	for (uint32_t m = d->expected & ~(1u << PN_P_NONE); m; m &= m - 1) {
		*p++ = '"';
		p = put_name(p, pn_proto_name((enum pn_proto)__builtin_ctz(m)));
		*p++ = '"';
		if (m & (m - 1))
			*p++ = ',';
	}
	PN_PUT_LIT(p, "],\"expected_from\":\"");
	if (d->declared)
		PN_PUT_LIT(p, "declaration");
	else
		PN_PUT_LIT(p, "registry");
	*p++ = '"';
	return p;
}

_Static_assert(PN_P_COUNT <= 32, "expected protocols are a 32-bit mask");

/* pn_tcp_flags_text of every union of flags, written once per thread. */
static const char *tcp_flags_name(uint8_t flags)
{
	static _Thread_local char text[256][12];
	static _Thread_local bool ready;
	if (!ready) {
		for (unsigned f = 0; f < 256; f++)
			pn_tcp_flags_text((uint8_t)f, text[f]);
		ready = true;
	}
	return text[flags];
}

/* The JSON flow record at p, which has room for json_flow_bound's bytes. */
static char *json_flow_build(char *p, const struct pn_registry *reg,
			     const struct pn_port_words *w, const char *tail,
			     size_t tail_len, const struct pn_flow *f,
			     bool evidence, enum pn_payload_verdict v,
			     const struct pn_verdict_detail *d,
			     const struct json_tokens *tk)
{
	int srv = f->server, cli = !srv;
	enum pn_transport t = (enum pn_transport)f->key.transport;
	uint16_t sport = f->key.port[srv];
	PN_PUT_LIT(p, "{\"type\":\"flow\",\"transport\":\"");
	p = put_name(p, pn_transport_name(t));
	/* Untagged (or VLAN ID 0) is null, as CSV leaves it empty. */
	PN_PUT_LIT(p, "\",\"vlan\":");
	if (f->key.vlan)
		p = pn_put_u64(p, f->key.vlan);
	else
		PN_PUT_LIT(p, "null");
	PN_PUT_LIT(p, ",\"client\":\"");
	p = pn_put_addr(p, f->key.addr[cli], f->key.ip_version);
	PN_PUT_LIT(p, "\",\"client_port\":");
	p = pn_put_u64(p, f->key.port[cli]);
	PN_PUT_LIT(p, ",\"server\":\"");
	p = pn_put_addr(p, f->key.addr[srv], f->key.ip_version);
	PN_PUT_LIT(p, "\",\"server_port\":");
	p = pn_put_u64(p, sport);
	PN_PUT_LIT(p, ",\"basis\":\"");
	p = put_name(p, pn_basis_name(f->basis));
	PN_PUT_LIT(p, "\",\"service\":\"");
	if (f->basis == PN_BASIS_NONE) {
		PN_PUT_LIT(p, "unknown");
	} else if (pn_registry_slot(reg, t, sport)->flags & PN_S_SERVICE) {
		p = pn_put_mem(p, w->service_json, w->service_json_len);
	} else {
		/* "unregistered tcp/N" or "unnamed tcp/N", as pn_port_service
		 * writes it, without printf: a scan makes one per flow. */
		if (pn_registry_slot(reg, t, sport)->flags & PN_S_UNNAMED)
			PN_PUT_LIT(p, "unnamed ");
		else
			PN_PUT_LIT(p, "unregistered ");
		p = put_name(p, pn_transport_name(t));
		*p++ = '/';
		p = pn_put_u64(p, sport);
	}
	p = pn_put_mem(p, tail, tail_len);
	for (unsigned b = 0, n = 0; b < PN_FF_COUNT; b++)
		if (f->flags & (1u << b)) {
			if (n++)
				*p++ = ',';
			*p++ = '"';
			p = put_name(p, pn_flow_flag_name(b));
			*p++ = '"';
		}
	PN_PUT_LIT(p, "],\"first\":\"");
	p = pn_put_time(p, pn_flow_first_us(f));
	PN_PUT_LIT(p, "\",\"last\":\"");
	p = pn_put_time(p, f->seen_us);
	PN_PUT_LIT(p, "\",\"packets_c2s\":");
	p = pn_put_u64(p, f->packets[cli]);
	PN_PUT_LIT(p, ",\"bytes_c2s\":");
	p = pn_put_u64(p, f->bytes[cli]);
	PN_PUT_LIT(p, ",\"packets_s2c\":");
	p = pn_put_u64(p, f->packets[srv]);
	PN_PUT_LIT(p, ",\"bytes_s2c\":");
	p = pn_put_u64(p, f->bytes[srv]);
	if (t == PN_TCP) {
		PN_PUT_LIT(p, ",\"tcp_flags_c2s\":\"");
		p = put_name(p, tcp_flags_name(f->tcp_flags[cli]));
		PN_PUT_LIT(p, "\",\"tcp_flags_s2c\":\"");
		p = put_name(p, tcp_flags_name(f->tcp_flags[srv]));
		*p++ = '"';
	}
	PN_PUT_LIT(p, ",\"end\":\"");
	p = put_name(p, pn_flow_end_name(f->end));
	*p++ = '"';
	if (evidence)
		p = json_evidence(p, v, d, tk);
	PN_PUT_LIT(p, "}\n");
	return p;
}

/* One JSON flow record, its size bounded first, then built whole without
 * a check per piece and written in one write; a record past the stack
 * buffer (only a --registry with thousands of services on one port makes
 * one) is built on the heap. */
static void json_flow(FILE *out, struct pn_flow_batch *b,
		      const struct pn_registry *reg, struct pn_annotator *ann,
		      const struct pn_flow *f, bool evidence)
{
	enum pn_transport t = (enum pn_transport)f->key.transport;
	uint16_t port = f->key.port[f->server];
	const struct pn_port_words *w = pn_annotate(ann, t, port);
	size_t tail_len;
	const char *tail = pn_annotate_flow_json(ann, t, port, &tail_len);
	struct pn_verdict_detail d = {0};
	enum pn_payload_verdict v = PN_V_NO_PAYLOAD;
	if (evidence)
		v = pn_flow_verdict_with(reg, pn_annotator_declarations(ann), f,
					 w->expected[f->key.transport], &d);
	struct json_tokens tk;
	size_t need = json_flow_bound(w, f, evidence, d.expected, &tk);
	if (b && need <= sizeof b->buf) {
		if (sizeof b->buf - b->n < need)
			pn_flow_batch_flush(b);
		b->n = (size_t)(json_flow_build(b->buf + b->n, reg, w, tail,
						tail_len, f, evidence, v, &d,
						&tk) -
				b->buf);
		return;
	}
	if (b)
		pn_flow_batch_flush(b);
	char stack[PN_FLOW_JSON_MAX];
	char *buf = stack;
	if (need > sizeof stack) {
		buf = malloc(need);
		if (!buf) {
			fprintf(stderr, "portnote: out of memory\n");
			exit(70);
		}
	}
	char *end = json_flow_build(buf, reg, w, tail, tail_len, f, evidence, v,
				    &d, &tk);
	pn_out_write(buf, (size_t)(end - buf), out);
	if (buf != stack)
		free(buf);
}

void pn_flow_batch_json(struct pn_flow_batch *b, const struct pn_registry *reg,
			struct pn_annotator *ann, const struct pn_flow *f,
			bool evidence)
{
	json_flow(b->out, b, reg, ann, f, evidence);
}

void pn_flow_batch_flush(struct pn_flow_batch *b)
{
	if (b->n)
		pn_out_write(b->buf, b->n, b->out);
	b->n = 0;
}

void pn_verdicts_json(FILE *out, const uint64_t verdict[PN_V_COUNT])
{
	fputc('{', out);
	for (int v = 0; v < PN_V_COUNT; v++)
		fprintf(out, "%s\"%s\":%llu", v ? "," : "",
			pn_payload_verdict_name((enum pn_payload_verdict)v),
			(unsigned long long)verdict[v]);
	fputc('}', out);
}

void pn_protocols_json(FILE *out, uint32_t mask)
{
	fputc('[', out);
	for (int p = PN_P_NONE + 1, n = 0; p < PN_P_COUNT; p++)
		if (mask >> p & 1u)
			fprintf(out, "%s\"%s\"", n++ ? "," : "",
				pn_proto_name((enum pn_proto)p));
	fputc(']', out);
}

void pn_flow_print(FILE *out, enum pn_format format,
		   const struct pn_registry *reg, struct pn_annotator *ann,
		   const struct pn_flow *f, bool evidence)
{
	if (format == PN_FORMAT_JSON) {
		json_flow(out, NULL, reg, ann, f, evidence);
		return;
	}
	int srv = f->server, cli = !srv;
	enum pn_transport t = (enum pn_transport)f->key.transport;
	char ca[INET6_ADDRSTRLEN], sa[INET6_ADDRSTRLEN],
	    first[PN_TIME_TEXT_SIZE], last[PN_TIME_TEXT_SIZE], service[512],
	    fc[12], fs[12], flags[160];
	pn_addr_text(f->key.addr[cli], f->key.ip_version, ca);
	pn_addr_text(f->key.addr[srv], f->key.ip_version, sa);
	pn_time_us first_us = pn_flow_first_us(f);
	pn_time_text(first_us, first);
	pn_time_text(f->seen_us, last);
	pn_flow_service(reg, ann, f, service, sizeof service);
	pn_tcp_flags_text(f->tcp_flags[cli], fc);
	pn_tcp_flags_text(f->tcp_flags[srv], fs);
	uint16_t sport = f->key.port[srv];
	const struct pn_port_words *w = pn_annotate(ann, t, sport);

	if (format == PN_FORMAT_TEXT) {
		char port[1024];
		pn_annotate_port(ann, t, sport, port, sizeof port);
		fprintf(out, "%s %.6fs %s %s.%u > %s.%u: %s (basis %s); ",
			first, (double)pn_time_sub(f->seen_us, first_us) / 1e6,
			pn_transport_name(t), ca, f->key.port[cli], sa, sport,
			port, pn_basis_name(f->basis));
		if (evidence) {
			pn_flow_evidence_text(out, reg, ann, f);
			fputs("; ", out);
		}
		fprintf(out,
			"c>s %llu pkts %llu bytes, s>c %llu pkts %llu bytes",
			(unsigned long long)f->packets[cli],
			(unsigned long long)f->bytes[cli],
			(unsigned long long)f->packets[srv],
			(unsigned long long)f->bytes[srv]);
		if (t == PN_TCP)
			fprintf(out, "; tcp %s/%s", fc, fs);
		if (f->key.vlan)
			fprintf(out, "; vlan %u", f->key.vlan);
		fprintf(out, "; ended %s", pn_flow_end_name(f->end));
		if (f->flags)
			fprintf(out, "; flags %s",
				flags_text(f->flags, ",", false, flags,
					   sizeof flags));
		fputc('\n', out);
	} else {
		char vlan[8], cp[8], spt[8], n[4][24];
		snprintf(vlan, sizeof vlan, "%u", f->key.vlan);
		snprintf(cp, sizeof cp, "%u", f->key.port[cli]);
		snprintf(spt, sizeof spt, "%u", sport);
		uint64_t nums[4] = {f->packets[cli], f->bytes[cli],
				    f->packets[srv], f->bytes[srv]};
		for (int i = 0; i < 4; i++)
			snprintf(n[i], sizeof n[i], "%llu",
				 (unsigned long long)nums[i]);
		struct pn_verdict_detail d = {PN_P_NONE, PN_VW_NONE, 0, false};
		enum pn_payload_verdict v = PN_V_NO_PAYLOAD;
		char tokens[PN_EVIDENCE_TOKEN + PN_EVIDENCE_EXTRA + 4],
		    names[256];
		tokens[0] = names[0] = '\0';
		if (evidence) {
			v = pn_flow_verdict(reg, pn_annotator_declarations(ann),
					    f, &d);
			tokens_text(f, tokens, sizeof tokens);
			pn_protocols_text(d.expected, false, ";", names,
					  sizeof names);
		}
		const char *row[CSV_COLUMNS] = {
		    pn_transport_name(t),
		    f->key.vlan ? vlan : "",
		    ca,
		    cp,
		    sa,
		    spt,
		    pn_basis_name(f->basis),
		    service,
		    pn_port_class_name(pn_port_class(sport)),
		    w->status,
		    w->names_csv,
		    flags_text(f->flags, ";", false, flags, sizeof flags),
		    first,
		    last,
		    n[0],
		    n[1],
		    n[2],
		    n[3],
		    t == PN_TCP ? fc : "",
		    t == PN_TCP ? fs : "",
		    pn_flow_end_name(f->end),
		    evidence ? pn_payload_verdict_name(v) : "",
		    d.looks_like != PN_P_NONE ? pn_proto_name(d.looks_like)
					      : "",
		    tokens,
		    pn_verdict_why_name(d.why),
		    names,
		    !evidence	 ? ""
		    : d.declared ? "declaration"
				 : "registry"};
		pn_out_csv_row(out, row, CSV_COLUMNS);
	}
}

void pn_flow_csv_header(FILE *out)
{
	pn_out_csv_row(out, csv_header, CSV_COLUMNS);
}
