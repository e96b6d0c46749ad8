/* flowprint.c — one flow in words: what its server port is registered
 * for, its flags, and the record `portnote flows` prints. */
#include "portnote/flowprint.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

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

/* ,"verdict":...,"looks_like":...,"evidence":[...],... of a JSON flow.
 * Tokens are escaped as text first (control bytes and bytes that are not
 * UTF-8 become \xNN), so the JSON is valid whatever the wire held. */
static void json_evidence(FILE *out, const struct pn_registry *reg,
			  struct pn_annotator *ann, const struct pn_flow *f)
{
	struct pn_verdict_detail d;
	enum pn_payload_verdict v =
	    pn_flow_verdict(reg, pn_annotator_declarations(ann), f, &d);
	enum pn_proto looks = d.looks_like;
	enum pn_verdict_why why = d.why;
	fprintf(out, ",\"verdict\":\"%s\",\"looks_like\":",
		pn_payload_verdict_name(v));
	if (looks != PN_P_NONE)
		fprintf(out, "\"%s\"", pn_proto_name(looks));
	else
		fputs("null", out);
	fputs(",\"evidence\":[", out);
	const struct pn_evidence *k = f->ev.kept;
	if (k && k->token[0]) {
		fputc('"', out);
		pn_json_escape(out, pn_safe(k->token));
		fputc('"', out);
		if (k->extra[0]) {
			fputs(",\"", out);
			pn_json_escape(out, pn_safe(k->extra));
			fputc('"', out);
		}
	}
	fputs("],\"verdict_reason\":", out);
	if (why != PN_VW_NONE)
		fprintf(out, "\"%s\"", pn_verdict_why_name(why));
	else
		fputs("null", out);
	fputs(",\"expected\":", out);
	pn_protocols_json(out, d.expected);
	fprintf(out, ",\"expected_from\":\"%s\"",
		d.declared ? "declaration" : "registry");
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
	} else if (format == PN_FORMAT_JSON) {
		/* Untagged (or VLAN ID 0) is null, as CSV leaves it empty. */
		char vlan[8] = "null";
		if (f->key.vlan)
			snprintf(vlan, sizeof vlan, "%u", f->key.vlan);
		fprintf(
		    out,
		    "{\"type\":\"flow\",\"transport\":\"%s\",\"vlan\":%s,"
		    "\"client\":\"%s\",\"client_port\":%u,\"server\":\"%s\","
		    "\"server_port\":%u,\"basis\":\"%s\",\"service\":\"",
		    pn_transport_name(t), vlan, ca, f->key.port[cli], sa, sport,
		    pn_basis_name(f->basis));
		pn_json_escape(out, service);
		fprintf(out,
			"\",\"server_port_class\":\"%s\","
			"\"server_port_status\":\"%s\",\"services\":%s,"
			"\"flags\":[%s],\"first\":\"%s\",\"last\":\"%s\","
			"\"packets_c2s\":%llu,\"bytes_c2s\":%llu,"
			"\"packets_s2c\":%llu,\"bytes_s2c\":%llu",
			pn_port_class_name(pn_port_class(sport)), w->status,
			w->names_json,
			flags_text(f->flags, ",", true, flags, sizeof flags),
			first, last, (unsigned long long)f->packets[cli],
			(unsigned long long)f->bytes[cli],
			(unsigned long long)f->packets[srv],
			(unsigned long long)f->bytes[srv]);
		if (t == PN_TCP)
			fprintf(out,
				",\"tcp_flags_c2s\":\"%s\","
				"\"tcp_flags_s2c\":\"%s\"",
				fc, fs);
		fprintf(out, ",\"end\":\"%s\"", pn_flow_end_name(f->end));
		if (evidence)
			json_evidence(out, reg, ann, f);
		fputs("}\n", out);
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
