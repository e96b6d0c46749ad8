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
static void json_name_or_null(struct pn_line *l, const char *name)
{
	if (!name) {
		PN_LINE_LIT(l, "null");
		return;
	}
	PN_LINE_LIT(l, "\"");
	pn_line_str(l, name);
	PN_LINE_LIT(l, "\"");
}

/* ,"verdict":...,"looks_like":...,"evidence":[...],... of a JSON flow.
 * Tokens are escaped as text first (control bytes and bytes that are not
 * UTF-8 become \xNN), so the JSON is valid whatever the wire held. */
static void json_evidence(struct pn_line *l, const struct pn_registry *reg,
			  struct pn_annotator *ann, const struct pn_flow *f)
{
	struct pn_verdict_detail d;
	enum pn_payload_verdict v =
	    pn_flow_verdict(reg, pn_annotator_declarations(ann), f, &d);
	PN_LINE_LIT(l, ",\"verdict\":\"");
	pn_line_str(l, pn_payload_verdict_name(v));
	PN_LINE_LIT(l, "\",\"looks_like\":");
	json_name_or_null(
	    l, d.looks_like != PN_P_NONE ? pn_proto_name(d.looks_like) : NULL);
	PN_LINE_LIT(l, ",\"evidence\":[");
	const struct pn_evidence *k = f->ev.kept;
	if (k && k->token[0]) {
		PN_LINE_LIT(l, "\"");
		pn_line_json(l, pn_safe(k->token));
		PN_LINE_LIT(l, "\"");
		if (k->extra[0]) {
			PN_LINE_LIT(l, ",\"");
			pn_line_json(l, pn_safe(k->extra));
			PN_LINE_LIT(l, "\"");
		}
	}
	PN_LINE_LIT(l, "],\"verdict_reason\":");
	json_name_or_null(l, d.why != PN_VW_NONE ? pn_verdict_why_name(d.why)
						 : NULL);
	PN_LINE_LIT(l, ",\"expected\":[");
	for (int p = PN_P_NONE + 1, n = 0; p < PN_P_COUNT; p++)
		if (d.expected >> p & 1u) {
			if (n++)
				PN_LINE_LIT(l, ",");
			PN_LINE_LIT(l, "\"");
			pn_line_str(l, pn_proto_name((enum pn_proto)p));
			PN_LINE_LIT(l, "\"");
		}
	PN_LINE_LIT(l, "],\"expected_from\":\"");
	pn_line_str(l, d.declared ? "declaration" : "registry");
	PN_LINE_LIT(l, "\"");
}

/* The JSON flow record into l. */
static void json_flow_build(struct pn_line *l, const struct pn_registry *reg,
			    struct pn_annotator *ann, const struct pn_flow *f,
			    bool evidence)
{
	int srv = f->server, cli = !srv;
	enum pn_transport t = (enum pn_transport)f->key.transport;
	uint16_t sport = f->key.port[srv];
	const struct pn_port_words *w = pn_annotate(ann, t, sport);
	PN_LINE_LIT(l, "{\"type\":\"flow\",\"transport\":\"");
	pn_line_str(l, pn_transport_name(t));
	/* Untagged (or VLAN ID 0) is null, as CSV leaves it empty. */
	PN_LINE_LIT(l, "\",\"vlan\":");
	if (f->key.vlan)
		pn_line_u64(l, f->key.vlan);
	else
		PN_LINE_LIT(l, "null");
	PN_LINE_LIT(l, ",\"client\":\"");
	pn_line_addr(l, f->key.addr[cli], f->key.ip_version);
	PN_LINE_LIT(l, "\",\"client_port\":");
	pn_line_u64(l, f->key.port[cli]);
	PN_LINE_LIT(l, ",\"server\":\"");
	pn_line_addr(l, f->key.addr[srv], f->key.ip_version);
	PN_LINE_LIT(l, "\",\"server_port\":");
	pn_line_u64(l, sport);
	PN_LINE_LIT(l, ",\"basis\":\"");
	pn_line_str(l, pn_basis_name(f->basis));
	PN_LINE_LIT(l, "\",\"service\":\"");
	if (f->basis == PN_BASIS_NONE) {
		PN_LINE_LIT(l, "unknown");
	} else if (pn_registry_slot(reg, t, sport)->flags & PN_S_SERVICE) {
		pn_line_str(l, w->service_json);
	} else {
		/* "unregistered tcp/N" or "unnamed tcp/N", as pn_port_service
		 * writes it, without printf: a scan makes one per flow. */
		if (pn_registry_slot(reg, t, sport)->flags & PN_S_UNNAMED)
			PN_LINE_LIT(l, "unnamed ");
		else
			PN_LINE_LIT(l, "unregistered ");
		pn_line_str(l, pn_transport_name(t));
		PN_LINE_LIT(l, "/");
		pn_line_u64(l, sport);
	}
	PN_LINE_LIT(l, "\",\"server_port_class\":\"");
	pn_line_str(l, pn_port_class_name(pn_port_class(sport)));
	PN_LINE_LIT(l, "\",\"server_port_status\":\"");
	pn_line_str(l, w->status);
	PN_LINE_LIT(l, "\",\"services\":");
	pn_line_str(l, w->names_json);
	PN_LINE_LIT(l, ",\"flags\":[");
	for (unsigned b = 0, n = 0; b < PN_FF_COUNT; b++)
		if (f->flags & (1u << b)) {
			if (n++)
				PN_LINE_LIT(l, ",");
			PN_LINE_LIT(l, "\"");
			pn_line_str(l, pn_flow_flag_name(b));
			PN_LINE_LIT(l, "\"");
		}
	PN_LINE_LIT(l, "],\"first\":\"");
	pn_line_time(l, pn_flow_first_us(f));
	PN_LINE_LIT(l, "\",\"last\":\"");
	pn_line_time(l, f->seen_us);
	PN_LINE_LIT(l, "\",\"packets_c2s\":");
	pn_line_u64(l, f->packets[cli]);
	PN_LINE_LIT(l, ",\"bytes_c2s\":");
	pn_line_u64(l, f->bytes[cli]);
	PN_LINE_LIT(l, ",\"packets_s2c\":");
	pn_line_u64(l, f->packets[srv]);
	PN_LINE_LIT(l, ",\"bytes_s2c\":");
	pn_line_u64(l, f->bytes[srv]);
	if (t == PN_TCP) {
		char fl[12];
		PN_LINE_LIT(l, ",\"tcp_flags_c2s\":\"");
		pn_line_str(l, pn_tcp_flags_text(f->tcp_flags[cli], fl));
		PN_LINE_LIT(l, "\",\"tcp_flags_s2c\":\"");
		pn_line_str(l, pn_tcp_flags_text(f->tcp_flags[srv], fl));
		PN_LINE_LIT(l, "\"");
	}
	PN_LINE_LIT(l, ",\"end\":\"");
	pn_line_str(l, pn_flow_end_name(f->end));
	PN_LINE_LIT(l, "\"");
	if (evidence)
		json_evidence(l, reg, ann, f);
	PN_LINE_LIT(l, "}\n");
}

/* One JSON flow record, built whole and written in one write. A record
 * past the stack buffer (only a --registry with thousands of services on
 * one port makes one) is built again on the heap, as large as it takes. */
static void json_flow(FILE *out, const struct pn_registry *reg,
		      struct pn_annotator *ann, const struct pn_flow *f,
		      bool evidence)
{
	char buf[PN_FLOW_JSON_MAX];
	struct pn_line line = {buf, 0, sizeof buf, false};
	json_flow_build(&line, reg, ann, f, evidence);
	for (size_t size = 4 * sizeof buf; line.cut; size *= 4) {
		if (line.buf != buf)
			free(line.buf);
		pn_line_alloc(&line, size);
		json_flow_build(&line, reg, ann, f, evidence);
	}
	pn_out_write(line.buf, line.n, out);
	if (line.buf != buf)
		free(line.buf);
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
		json_flow(out, reg, ann, f, evidence);
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
