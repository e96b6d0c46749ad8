/* cmd_audit.c — "portnote audit": a firewall ruleset read against the
 * registry and, with -r or -i, against the traffic seen. */
#include "portnote/audit.h"
#include "portnote/capture.h"
#include "portnote/cli.h"
#include "portnote/commands.h"
#include "portnote/flow.h"
#include "portnote/summary.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: portnote audit --rules FILE [options] [-r FILE... | -i IFACE "
    "[EXPR]]\n"
    "\n"
    "Reads a firewall ruleset (iptables-save or ip6tables-save output, nft\n"
    "-j list ruleset JSON, or a plain list: 'allow tcp 443') and reports,\n"
    "for every rule that opens ports, what the registry says those ports\n"
    "are registered for, with findings: Reserved, Unassigned or\n"
    "unauthorized-use ports opened, the whole Dynamic range or a wide\n"
    "range, a comment naming a service the ports are not registered for,\n"
    "shadowed and duplicate rules, a protocol without ports where a\n"
    "transport was probably meant, every port open from anywhere. With\n"
    "-r/-i it also evaluates every flow (its initiator as the source, as a\n"
    "new connection) through the chains of one hook, first match wins, and\n"
    "reports per rule the flows, packets and bytes it decided, rules never\n"
    "hit, traffic that fell to the policy, and allowed traffic to\n"
    "unassigned, reserved, dynamic or unauthorized-use ports. Only the\n"
    "filter table of iptables and filter-type nft chains are evaluated;\n"
    "matches portnote does not model are reported, never guessed.\n"
    "\n"
    "ruleset:\n"
    "  --rules FILE         the ruleset ('-': standard input)\n"
    "  --rules-format FMT   auto (default), iptables, nft or plain\n"
    "  --chain HOOK|CHAIN   evaluate the base chains of a hook (input,\n"
    "                       the default; forward; output) or one chain by\n"
    "                       name (INPUT, filter/INPUT, 'inet filter/input')\n"
    "  --in-interface IF    the interface the traffic came in on (default:\n"
    "                       the -i interface; unknown otherwise, and rules\n"
    "                       matching an input interface then do not match)\n"
    "  --ipsets FILE        members of the sets rules name (-m set), as\n"
    "                       'ipset save' writes them; without it a set's\n"
    "                       members are unknown, and flows are followed as\n"
    "                       if in no set (said so in the report)\n"
    "  --wide N             report ranges wider than N ports (default 1000)\n"
    "  --fail-on LEVEL      exit 1 when a finding at or above LEVEL exists:\n"
    "                       info, low, medium (default), high, never\n"
    "\n" PN_CAPTURE_HELP PN_COMMON_HELP "\n"
    "Exit status: 0 no finding at or above --fail-on; 1 such findings, or\n"
    "an input could not be read in full (when no -r input could be read at\n"
    "all, the errors are all that is printed); 2 bad usage or a bad\n"
    "ruleset.\n";

enum {
	OPT_RULES = PN_OPT_FIRST_OWN,
	OPT_RULES_FORMAT,
	OPT_CHAIN,
	OPT_IIF,
	OPT_WIDE,
	OPT_FAIL_ON,
	OPT_IPSETS,
};

struct own_options {
	struct pn_cli_capture capture;
	const char *rules;
	enum pn_rules_format rules_format;
	const char *chain;
	const char *iif;
	const char *ipsets;
	uint32_t wide;
	enum pn_severity fail_on;
};

static int take_option(struct pn_cli *cli, int opt, const char *arg, void *ctx)
{
	struct own_options *o = ctx;
	unsigned long long v;
	int n;
	switch (opt) {
	case OPT_RULES:
		o->rules = arg;
		return 0;
	case OPT_RULES_FORMAT:
		n = pn_rules_format_parse(arg);
		if (n < 0)
			return pn_cli_usage_error(
			    cli,
			    "bad --rules-format '%s' (expected auto, iptables, "
			    "nft or plain)",
			    arg);
		o->rules_format = (enum pn_rules_format)n;
		return 0;
	case OPT_CHAIN:
		o->chain = arg;
		return 0;
	case OPT_IIF:
		o->iif = arg;
		return 0;
	case OPT_IPSETS:
		o->ipsets = arg;
		return 0;
	case OPT_WIDE:
		if (!pn_cli_number(arg, 1, 65536, &v))
			return pn_cli_usage_error(cli,
						  "bad --wide '%s' (expected "
						  "1 to 65536 ports)",
						  arg);
		o->wide = (uint32_t)v;
		return 0;
	case OPT_FAIL_ON:
		n = pn_severity_parse(arg);
		if (n < 0)
			return pn_cli_usage_error(
			    cli,
			    "bad --fail-on '%s' (expected info, low, medium, "
			    "high or never)",
			    arg);
		o->fail_on = (enum pn_severity)n;
		return 0;
	}
	int taken = pn_cli_capture_option(cli, &o->capture, opt, arg);
	return taken == 1 ? 0 : taken < 0 ? PN_EXIT_USAGE : -1;
}

static void on_flow_end(void *audit, const struct pn_flow *f)
{
	pn_audit_flow(audit, f);
}

struct audit_capture {
	struct pn_flow_table *table;
	struct pn_audit *audit;
};

/* Packets with ports go to the flow table; ICMP and other protocols
 * without ports are evaluated one by one. */
static bool on_packet(void *ctx, const struct pn_capture_source *src,
		      const struct pcap_pkthdr *h, const uint8_t *bytes,
		      const struct pn_packet *p)
{
	struct audit_capture *ac = ctx;
	if (p->l4 == PN_L4_NONE) {
		pn_audit_portless(ac->audit, p, bytes);
		return true;
	}
	return pn_flow_capture(ac->table, src, h, bytes, p);
}

/* Output */

static json_t *rule_ref_json(const struct pn_ruleset *rs, int32_t rule,
			     json_t *obj)
{
	const struct pn_rule *r = &rs->rules[rule];
	const struct pn_chain *c = &rs->chains[r->chain];
	json_object_set_new(obj, "table", json_string(c->table));
	json_object_set_new(obj, "chain", json_string(c->name));
	json_object_set_new(obj, "number", json_integer(r->number));
	json_object_set_new(obj, "line", json_integer(r->line));
	json_object_set_new(obj, "handle",
			    r->handle ? json_integer((json_int_t)r->handle)
				      : json_null());
	return obj;
}

/* Flows by payload verdict: {"agrees":3,"differs":1,...}. */
static json_t *verdicts_json(const struct pn_audit_traffic *t)
{
	json_t *o = json_object();
	for (int v = 0; v < PN_V_COUNT; v++)
		json_object_set_new(o, pn_payload_verdict_name(v),
				    json_integer((json_int_t)t->verdict[v]));
	return o;
}

static json_t *traffic_json(const struct pn_audit_target *t, bool judged)
{
	json_t *services = json_array();
	for (uint32_t i = 0; i < t->n_services; i++)
		json_array_append_new(
		    services,
		    json_pack("{s:s, s:I}", "service", t->services[i].service,
			      "flows", (json_int_t)t->services[i].flows));
	json_t *o = json_pack(
	    "{s:I, s:I, s:I, s:I, s:I, s:o}", "flows",
	    (json_int_t)t->traffic.flows, "packets",
	    (json_int_t)t->traffic.packets, "bytes",
	    (json_int_t)t->traffic.bytes, "client_packets",
	    (json_int_t)t->traffic.client_packets, "client_bytes",
	    (json_int_t)t->traffic.client_bytes, "services", services);
	if (judged)
		json_object_set_new(o, "verdicts", verdicts_json(&t->traffic));
	return o;
}

static void report_json(const struct pn_audit *a, const char *chain_label,
			FILE *out)
{
	const struct pn_ruleset *rs = a->rs;
	json_t *doc = json_object();
	json_object_set_new(doc, "ruleset",
			    json_pack("{s:s, s:s, s:I, s:I}", "source",
				      rs->source, "format",
				      pn_rules_format_name(rs->format),
				      "chains", (json_int_t)rs->n_chains,
				      "rules", (json_int_t)rs->n_rules));
	json_object_set_new(
	    doc, "registry",
	    json_pack("{s:s, s:b, s:s}", "source", a->reg->source, "built_in",
		      !a->reg->owned, "date", pn_registry_date_text(a->reg)));
	json_object_set_new(
	    doc, "evaluation",
	    json_pack("{s:o, s:o, s:o, s:b}", "hook",
		      a->opts.chain < 0
			  ? json_string(pn_hook_name(a->opts.hook))
			  : json_null(),
		      "chain", pn_json_str(chain_label), "in_interface",
		      pn_json_str(a->opts.iif), "traffic", a->opts.traffic));
	json_t *counts = json_object();
	for (int s = PN_SEV_HIGH; s >= PN_SEV_INFO; s--)
		json_object_set_new(counts, pn_severity_name(s),
				    json_integer(a->by_severity[s]));
	json_t *summary = json_pack("{s:o}", "findings", counts);
	if (a->opts.traffic) {
		json_object_set_new(summary, "flows",
				    json_integer((json_int_t)a->total.flows));
		json_object_set_new(summary, "packets",
				    json_integer((json_int_t)a->total.packets));
		json_object_set_new(summary, "bytes",
				    json_integer((json_int_t)a->total.bytes));
		json_object_set_new(
		    summary, "undetermined_flows",
		    json_integer((json_int_t)a->total_undetermined.flows));
		json_object_set_new(
		    summary, "unevaluated_flows",
		    json_integer((json_int_t)a->total_unevaluated.flows));
		json_object_set_new(summary, "assumed_not_in_set_flows",
				    json_integer((json_int_t)a->assumed_flows));
	}
	json_object_set_new(doc, "summary", summary);

	json_t *findings = json_array();
	for (uint32_t i = 0; i < a->n_findings; i++) {
		const struct pn_finding *f = &a->findings[i];
		json_t *o = json_pack(
		    "{s:s, s:s, s:o, s:o, s:o, s:o, s:s}", "severity",
		    pn_severity_name(f->severity), "kind",
		    pn_finding_kind_name(f->kind), "rule",
		    f->rule >= 0 ? rule_ref_json(rs, f->rule, json_object())
				 : json_null(),
		    "ports", pn_json_str(f->ports), "service",
		    pn_json_str(f->service), "flows",
		    f->has_flows ? json_integer((json_int_t)f->flows)
				 : json_null(),
		    "message", f->message);
		if (f->rule < 0 && f->chain >= 0)
			json_object_set_new(
			    o, "chain",
			    json_pack("{s:s, s:s}", "table",
				      rs->chains[f->chain].table, "chain",
				      rs->chains[f->chain].name));
		json_array_append_new(findings, o);
	}
	json_object_set_new(doc, "findings", findings);

	json_t *rules = json_array();
	for (uint32_t i = 0; i < rs->n_rules; i++) {
		const struct pn_rule *r = &rs->rules[i];
		const struct pn_audit_target *t = &a->rules[i];
		json_t *o = rule_ref_json(rs, (int32_t)i, json_object());
		json_object_set_new(o, "text",
				    json_string(r->text ? r->text : ""));
		json_object_set_new(o, "verdict",
				    json_string(pn_verdict_name(r->verdict)));
		json_object_set_new(
		    o, "target",
		    r->verdict == PN_VERDICT_JUMP ||
			    r->verdict == PN_VERDICT_GOTO
			? json_string(rs->chains[r->target].name)
			: json_null());
		json_object_set_new(o, "comment", pn_json_str(r->comment));
		json_t *openings = json_array();
		for (uint32_t k = 0; k < t->n_openings; k++) {
			const struct pn_audit_opening *op = &t->openings[k];
			json_t *names = json_array();
			for (uint32_t s = 0; s < op->n_services; s++)
				json_array_append_new(
				    names, json_string(op->services[s]));
			json_t *oj = json_pack(
			    "{s:s, s:s, s:I, s:I, s:o, s:b}", "transport",
			    pn_transport_name(op->transport), "ports",
			    op->ports, "port_count", (json_int_t)op->n_ports,
			    "registered", (json_int_t)op->registered,
			    "services", names, "at_most", op->at_most);
			if (op->forward) {
				json_object_set_new(oj, "forwarded_to",
						    json_string(op->forward));
				json_object_set_new(
				    oj, "forwarded_service",
				    pn_json_str(op->forward_service));
			}
			json_array_append_new(openings, oj);
		}
		json_object_set_new(o, "opens", openings);
		json_t *unmodeled = json_array();
		for (uint32_t k = 0; k < r->n_unmodeled; k++)
			json_array_append_new(unmodeled,
					      json_string(r->unmodeled[k]));
		json_object_set_new(o, "not_evaluated", unmodeled);
		if (a->opts.traffic && t->reachable) {
			json_object_set_new(o, "traffic",
					    traffic_json(t, a->opts.evidence));
			if (a->undetermined[i].traffic.flows)
				json_object_set_new(
				    o, "undetermined",
				    traffic_json(&a->undetermined[i],
						 a->opts.evidence));
		}
		json_array_append_new(rules, o);
	}
	json_object_set_new(doc, "rules", rules);

	json_t *policy = json_array();
	for (uint32_t c = 0; c < rs->n_chains; c++) {
		const struct pn_chain *ch = &rs->chains[c];
		if (ch->hook == PN_HOOK_NONE || !a->chains[c].reachable)
			continue;
		json_t *o =
		    json_pack("{s:s, s:s, s:s, s:s}", "table", ch->table,
			      "chain", ch->name, "hook", pn_hook_name(ch->hook),
			      "verdict", pn_verdict_name(ch->policy));
		if (a->opts.traffic)
			json_object_set_new(
			    o, "traffic",
			    traffic_json(&a->chains[c], a->opts.evidence));
		json_array_append_new(policy, o);
	}
	json_object_set_new(doc, "policy", policy);
	pn_out_json_line(out, doc);
}

enum { CSV_COLUMNS = 20 };
static const char *const csv_header[CSV_COLUMNS] = {
    "record", "severity", "kind",	"table",      "chain",
    "number", "line",	  "handle",	"verdict",    "transport",
    "ports",  "services", "flows",	"packets",    "bytes",
    "agrees", "differs",  "unverified", "no_payload", "message"};

static void csv_u64(char *buf, uint64_t v)
{
	snprintf(buf, 24, "%llu", (unsigned long long)v);
}

static void report_csv(const struct pn_audit *a, FILE *out)
{
	const struct pn_ruleset *rs = a->rs;
	pn_out_csv_row(out, csv_header, CSV_COLUMNS);
	char number[24], line[24], handle[24], flows[24], packets[24],
	    bytes[24], v[PN_V_COUNT][24];
	for (uint32_t i = 0; i < a->n_findings; i++) {
		const struct pn_finding *f = &a->findings[i];
		const char *table = NULL, *chain = NULL;
		number[0] = line[0] = handle[0] = flows[0] = '\0';
		int32_t c =
		    f->rule >= 0 ? (int32_t)rs->rules[f->rule].chain : f->chain;
		if (c >= 0) {
			table = rs->chains[c].table;
			chain = rs->chains[c].name;
		}
		if (f->rule >= 0) {
			const struct pn_rule *r = &rs->rules[f->rule];
			csv_u64(number, r->number);
			csv_u64(line, r->line);
			if (r->handle)
				csv_u64(handle, r->handle);
		}
		if (f->has_flows)
			csv_u64(flows, f->flows);
		const char *row[CSV_COLUMNS] = {"finding",
						pn_severity_name(f->severity),
						pn_finding_kind_name(f->kind),
						table,
						chain,
						number,
						line,
						handle,
						NULL,
						NULL,
						f->ports,
						f->service,
						flows,
						NULL,
						NULL,
						NULL,
						NULL,
						NULL,
						NULL,
						f->message};
		pn_out_csv_row(out, row, CSV_COLUMNS);
	}
	for (uint32_t i = 0; i < rs->n_rules; i++) {
		const struct pn_rule *r = &rs->rules[i];
		const struct pn_audit_target *t = &a->rules[i];
		csv_u64(number, r->number);
		csv_u64(line, r->line);
		handle[0] = '\0';
		if (r->handle)
			csv_u64(handle, r->handle);
		bool traffic = a->opts.traffic && t->reachable;
		csv_u64(flows, t->traffic.flows);
		csv_u64(packets, t->traffic.packets);
		csv_u64(bytes, t->traffic.bytes);
		bool judged = traffic && a->opts.evidence;
		for (int k = 0; k < PN_V_COUNT; k++)
			csv_u64(v[k], t->traffic.verdict[k]);
		/* One row per transport the rule opens, or one row. */
		for (uint32_t k = 0; k < (t->n_openings ? t->n_openings : 1);
		     k++) {
			const struct pn_audit_opening *op =
			    t->n_openings ? &t->openings[k] : NULL;
			char names[512] = "";
			size_t len = 0;
			for (uint32_t s = 0; op && s < op->n_services; s++)
				len += (size_t)snprintf(
				    names + len, sizeof names - len, "%s%s",
				    s ? ";" : "", op->services[s]);
			const char *row[CSV_COLUMNS] = {
			    "rule",
			    NULL,
			    NULL,
			    rs->chains[r->chain].table,
			    rs->chains[r->chain].name,
			    number,
			    line,
			    handle,
			    pn_verdict_name(r->verdict),
			    op ? pn_transport_name(op->transport) : NULL,
			    op ? op->ports : NULL,
			    names,
			    traffic ? flows : NULL,
			    traffic ? packets : NULL,
			    traffic ? bytes : NULL,
			    judged ? v[PN_V_AGREES] : NULL,
			    judged ? v[PN_V_DIFFERS] : NULL,
			    judged ? v[PN_V_UNVERIFIED] : NULL,
			    judged ? v[PN_V_NO_PAYLOAD] : NULL,
			    r->text};
			pn_out_csv_row(out, row, CSV_COLUMNS);
		}
	}
	for (uint32_t c = 0; c < rs->n_chains; c++) {
		const struct pn_chain *ch = &rs->chains[c];
		if (ch->hook == PN_HOOK_NONE || !a->chains[c].reachable)
			continue;
		const struct pn_audit_traffic *t = &a->chains[c].traffic;
		csv_u64(flows, t->flows);
		csv_u64(packets, t->packets);
		csv_u64(bytes, t->bytes);
		bool judged = a->opts.traffic && a->opts.evidence;
		for (int k = 0; k < PN_V_COUNT; k++)
			csv_u64(v[k], t->verdict[k]);
		const char *row[CSV_COLUMNS] = {
		    "policy",
		    NULL,
		    NULL,
		    ch->table,
		    ch->name,
		    NULL,
		    NULL,
		    NULL,
		    pn_verdict_name(ch->policy),
		    NULL,
		    NULL,
		    NULL,
		    a->opts.traffic ? flows : NULL,
		    a->opts.traffic ? packets : NULL,
		    a->opts.traffic ? bytes : NULL,
		    judged ? v[PN_V_AGREES] : NULL,
		    judged ? v[PN_V_DIFFERS] : NULL,
		    judged ? v[PN_V_UNVERIFIED] : NULL,
		    judged ? v[PN_V_NO_PAYLOAD] : NULL,
		    NULL};
		pn_out_csv_row(out, row, CSV_COLUMNS);
	}
}

static void where_text(const struct pn_ruleset *rs, const struct pn_rule *r,
		       char *buf, size_t size)
{
	const struct pn_chain *c = &rs->chains[r->chain];
	int n = snprintf(buf, size, "%s/%s rule %u", pn_safe(c->table),
			 pn_safe(c->name), r->number);
	if (n > 0 && (size_t)n < size && r->line)
		snprintf(buf + n, size - (size_t)n, " (line %u)", r->line);
	else if (n > 0 && (size_t)n < size && r->handle)
		snprintf(buf + n, size - (size_t)n, " (handle %llu)",
			 (unsigned long long)r->handle);
}

/* "; payload: 3 agree, 1 differs, 0 unverified, 2 without" */
static void verdicts_text(const struct pn_audit_traffic *t, FILE *out)
{
	fprintf(out,
		"; payload: %llu agree, %llu differ, %llu unverified, %llu "
		"without",
		(unsigned long long)t->verdict[PN_V_AGREES],
		(unsigned long long)t->verdict[PN_V_DIFFERS],
		(unsigned long long)t->verdict[PN_V_UNVERIFIED],
		(unsigned long long)t->verdict[PN_V_NO_PAYLOAD]);
}

static void traffic_text(const struct pn_audit_target *t, bool judged,
			 FILE *out)
{
	fprintf(out, "      traffic: %llu flows, %llu packets, %llu bytes",
		(unsigned long long)t->traffic.flows,
		(unsigned long long)t->traffic.packets,
		(unsigned long long)t->traffic.bytes);
	if (judged && t->traffic.flows)
		verdicts_text(&t->traffic, out);
	for (uint32_t s = 0; s < t->n_services && s < 5; s++)
		fprintf(out, "%s%s %llu", s ? ", " : "; ",
			pn_safe(t->services[s].service),
			(unsigned long long)t->services[s].flows);
	if (t->n_services > 5)
		fprintf(out, ", %u more services", t->n_services - 5);
	fputc('\n', out);
}

/* "declared here for ssh; " before what a single declared port is
 * registered for. */
static void declared_text(const struct pn_audit *a,
			  const struct pn_audit_opening *op, FILE *out)
{
	unsigned long long port;
	if (!a->opts.decl || op->n_ports != 1 ||
	    !pn_cli_number(op->ports, 0, 65535, &port))
		return;
	uint32_t mask = pn_declared(
	    a->opts.decl, (enum pn_transport)op->transport, (uint16_t)port);
	char names[256];
	if (mask)
		fprintf(
		    out, "declared here for %s; ",
		    pn_protocols_text(mask, false, ", ", names, sizeof names));
}

static void report_text(const struct pn_audit *a, const char *chain_label,
			FILE *out)
{
	const struct pn_ruleset *rs = a->rs;
	fprintf(out,
		"portnote audit of %s (%s: %u chains, %u rules), IANA "
		"registry snapshot %s (%s)\n",
		pn_safe(rs->source), pn_rules_format_name(rs->format),
		rs->n_chains, rs->n_rules, pn_registry_date_text(a->reg),
		pn_safe(pn_registry_origin(a->reg)));
	fprintf(out, "Ports are named for what they are registered for; a "
		     "registered port does not prove what traffic is.\n");
	if (a->opts.traffic)
		fprintf(out,
			"Traffic: %llu flows evaluated through %s, each as a "
			"new connection from its initiator; input interface "
			"%s; %llu undetermined.\n",
			(unsigned long long)a->total.flows,
			chain_label ? pn_safe(chain_label)
				    : pn_hook_name(a->opts.hook),
			a->opts.iif ? pn_safe(a->opts.iif) : "unknown",
			(unsigned long long)a->total_undetermined.flows);
	if (a->opts.traffic && a->assumed_flows)
		fprintf(out,
			"Assumed: %llu flows were followed as if in no member "
			"of a set whose members are unknown (--ipsets gives "
			"them).\n",
			(unsigned long long)a->assumed_flows);
	if (rs->ipsets_source)
		fprintf(out, "Sets: members read from %s.\n",
			pn_safe(rs->ipsets_source));
	if (a->opts.traffic && a->total_unevaluated.flows)
		fprintf(
		    out,
		    "Not evaluated: %llu flows (%llu packets) of an address "
		    "family no chain of the ruleset sees.\n",
		    (unsigned long long)a->total_unevaluated.flows,
		    (unsigned long long)a->total_unevaluated.packets);
	fprintf(out, "\nFindings: %u high, %u medium, %u low, %u info\n",
		a->by_severity[PN_SEV_HIGH], a->by_severity[PN_SEV_MEDIUM],
		a->by_severity[PN_SEV_LOW], a->by_severity[PN_SEV_INFO]);
	for (int s = PN_SEV_HIGH; s >= PN_SEV_INFO; s--) {
		if (!a->by_severity[s])
			continue;
		char upper[8];
		const char *name = pn_severity_name(s);
		size_t k = 0;
		for (; name[k] && k + 1 < sizeof upper; k++)
			upper[k] = (char)(name[k] - 'a' + 'A');
		upper[k] = '\0';
		fprintf(out, "\n%s\n", upper);
		for (uint32_t i = 0; i < a->n_findings; i++) {
			const struct pn_finding *f = &a->findings[i];
			if ((int)f->severity != s)
				continue;
			char where[300];
			if (f->rule >= 0)
				where_text(rs, &rs->rules[f->rule], where,
					   sizeof where);
			else if (f->chain >= 0)
				snprintf(where, sizeof where, "%s/%s policy",
					 pn_safe(rs->chains[f->chain].table),
					 pn_safe(rs->chains[f->chain].name));
			else
				snprintf(where, sizeof where, "traffic");
			fprintf(out, "  %-20s %s: %s\n",
				pn_finding_kind_name(f->kind), where,
				pn_safe(f->message));
		}
	}
	fprintf(out, "\nRules\n");
	for (uint32_t i = 0; i < rs->n_rules; i++) {
		const struct pn_rule *r = &rs->rules[i];
		const struct pn_audit_target *t = &a->rules[i];
		char where[300];
		where_text(rs, r, where, sizeof where);
		fprintf(out, "  %s: %s\n", where,
			r->text ? pn_safe(r->text) : "");
		for (uint32_t k = 0; k < t->n_openings; k++) {
			const struct pn_audit_opening *op = &t->openings[k];
			if (op->forward)
				fprintf(out, "      publishes %s/%s to %s: ",
					pn_safe(op->ports),
					pn_transport_name(op->transport),
					pn_safe(op->forward));
			else
				fprintf(out, "      opens%s %s/%s: ",
					op->at_most ? " at most" : "",
					pn_safe(op->ports),
					pn_transport_name(op->transport));
			declared_text(a, op, out);
			if (op->registered == 0)
				fprintf(out, "registered for no service\n");
			else {
				fprintf(out, "registered for ");
				for (uint32_t s = 0; s < op->n_services; s++)
					fprintf(out, "%s%s", s ? ", " : "",
						pn_safe(op->services[s]));
				if (op->registered > op->n_services)
					fprintf(out, " and %u more services",
						op->registered -
						    op->n_services);
				if (!op->forward_service)
					fputc('\n', out);
			}
			if (op->forward_service)
				fprintf(out,
					"; forwarded to a port registered for "
					"%s\n",
					pn_safe(op->forward_service));
		}
		if (a->opts.traffic && t->reachable)
			traffic_text(t, a->opts.evidence, out);
	}
	bool header = false;
	for (uint32_t c = 0; c < rs->n_chains; c++) {
		const struct pn_chain *ch = &rs->chains[c];
		if (ch->hook == PN_HOOK_NONE || !a->chains[c].reachable)
			continue;
		if (!header)
			fprintf(out, "\nPolicies\n");
		header = true;
		fprintf(out, "  %s/%s (%s hook): %s\n", pn_safe(ch->table),
			pn_safe(ch->name), pn_hook_name(ch->hook),
			pn_verdict_name(ch->policy));
		if (a->opts.traffic)
			traffic_text(&a->chains[c], a->opts.evidence, out);
	}
}

int pn_cmd_audit(int argc, char **argv)
{
	static const struct option longopts[] = {
	    PN_CAPTURE_LONGOPTS,
	    {"rules", required_argument, NULL, OPT_RULES},
	    {"rules-format", required_argument, NULL, OPT_RULES_FORMAT},
	    {"chain", required_argument, NULL, OPT_CHAIN},
	    {"in-interface", required_argument, NULL, OPT_IIF},
	    {"wide", required_argument, NULL, OPT_WIDE},
	    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
	    {"ipsets", required_argument, NULL, OPT_IPSETS},
	    {NULL, 0, NULL, 0}};
	const char *who = "portnote audit";
	struct own_options own = {.wide = 1000, .fail_on = PN_SEV_MEDIUM};
	pn_cli_capture_init(&own.capture);
	const struct pn_cli_options opts = {longopts, PN_CAPTURE_SHORTOPTS,
					    take_option, &own};
	struct pn_cli cli = {.command = "audit"};
	int rc = pn_cli_parse(&cli, argc, argv, usage, &opts);
	if (rc < 0)
		rc = pn_cli_capture_operands(&cli, &own.capture, argc, argv);
	if (rc < 0 && !own.rules)
		rc = pn_cli_usage_error(&cli, "--rules FILE is required");
	bool traffic =
	    own.capture.opts.n_files > 0 || own.capture.opts.iface != NULL;
	if (rc < 0 && traffic) {
		int bad = pn_cli_capture_check(&cli, &own.capture);
		if (bad)
			rc = bad;
	}
	if (rc < 0 && traffic &&
	    !pn_capture_check_filter(&own.capture.opts, who, stderr))
		rc = PN_EXIT_USAGE;
	struct pn_ruleset *rs = NULL;
	/* The registry first: the plain list names ports by service. */
	if (rc < 0)
		rc = pn_cli_load_registry(&cli) ? PN_EXIT_FAIL : -1;
	if (rc < 0 && pn_cli_load_declarations(&cli))
		rc = PN_EXIT_USAGE;
	if (rc < 0) {
		char err[PN_RULES_ERRBUF_SIZE];
		if (pn_rules_load(own.rules, own.rules_format, cli.reg, &rs,
				  err) != 0 ||
		    (own.ipsets &&
		     pn_rules_load_ipsets(rs, own.ipsets, err) != 0)) {
			fprintf(stderr, "%s: %s\n", who, pn_safe(err));
			rc = PN_EXIT_USAGE;
		} else if (!pn_rules_has_base_chain(rs)) {
			/* "iptables-save > f" that failed leaves an empty
			 * file: auditing it clean would pass a CI gate. */
			fprintf(
			    stderr,
			    "%s: %s: no base chain (empty, comments only, or "
			    "no filter table): nothing decides what is let "
			    "through, so there is nothing to audit\n",
			    who, pn_safe(own.rules));
			rc = PN_EXIT_USAGE;
		}
	}
	struct pn_audit_options ao = {.wide = own.wide,
				      .hook = PN_HOOK_INPUT,
				      .chain = -1,
				      .iif = own.iif ? own.iif
						     : own.capture.opts.iface,
				      .traffic = traffic,
				      .evidence = traffic,
				      .decl = cli.decl};
	const char *chain_label = NULL;
	char label[300];
	if (rc < 0 && own.chain) {
		int hook = pn_hook_parse(own.chain);
		if (hook > 0) {
			ao.hook = (enum pn_hook)hook;
		} else {
			ao.chain = pn_rules_find_chain(rs, own.chain);
			if (ao.chain < 0)
				rc = pn_cli_usage_error(
				    &cli,
				    "--chain '%s': no such chain in %s, or the "
				    "name is in several tables (write "
				    "TABLE/CHAIN)",
				    own.chain, own.rules);
			else {
				snprintf(label, sizeof label, "%s/%s",
					 rs->chains[ao.chain].table,
					 rs->chains[ao.chain].name);
				chain_label = label;
			}
		}
	}
	if (rc >= 0) {
		pn_ruleset_free(rs);
		pn_cli_capture_release(&own.capture);
		pn_cli_release(&cli);
		return rc;
	}
	if (ao.chain < 0) {
		bool any = false;
		for (uint32_t c = 0; c < rs->n_chains && !any; c++)
			any = rs->chains[c].hook == ao.hook;
		if (!any)
			fprintf(stderr,
				"%s: note: %s has no base chain on the %s hook "
				"that portnote evaluates; traffic is not "
				"evaluated (see --chain)\n",
				who, pn_safe(own.rules), pn_hook_name(ao.hook));
	}

	struct pn_audit *audit = pn_audit_create(rs, cli.reg, &ao);
	if (!audit) {
		fprintf(stderr, "%s: out of memory\n", who);
		exit(70);
	}
	bool damaged = false;
	if (traffic) {
		struct pn_flow_config fcfg;
		pn_flow_config_init(&fcfg);
		struct pn_flow_table *table =
		    pn_flow_table_create(&fcfg, cli.reg, on_flow_end, audit);
		if (!table) {
			fprintf(stderr, "%s: out of memory\n", who);
			exit(70);
		}
		struct pn_capture_stats stats;
		own.capture.opts.time_order = true;
		own.capture.opts.progress = pn_cli_progress(&cli, true);
		enum pn_capture_result result = pn_capture_run(
		    &own.capture.opts, on_packet, NULL,
		    &(struct audit_capture){table, audit}, &stats, who, stderr);
		pn_flow_flush(table);
		pn_flow_table_destroy(table);
		/* No input could be read: the messages said why, and there
		 * is no traffic to audit the rules against, so no report. */
		bool none_read = stats.sources_read == 0;
		if (!none_read)
			pn_stats_summary_text(stderr, who, &stats);
		if (result == PN_CAPTURE_USAGE || result == PN_CAPTURE_FATAL ||
		    none_read) {
			pn_audit_destroy(audit);
			pn_ruleset_free(rs);
			pn_cli_capture_release(&own.capture);
			pn_cli_release(&cli);
			return result == PN_CAPTURE_USAGE ? PN_EXIT_USAGE
							  : PN_EXIT_FAIL;
		}
		damaged = result == PN_CAPTURE_DAMAGED;
	}
	pn_audit_finish(audit);
	if (cli.format == PN_FORMAT_JSON)
		report_json(audit, chain_label, stdout);
	else if (cli.format == PN_FORMAT_CSV)
		report_csv(audit, stdout);
	else
		report_text(audit, chain_label, stdout);
	bool lost = pn_out_flush(stdout, PN_STDOUT_NAME, who) != 0;

	rc = lost ? PN_EXIT_FAIL : PN_EXIT_OK;
	for (int s = (int)own.fail_on; s < PN_SEV_COUNT; s++)
		if (audit->by_severity[s])
			rc = PN_EXIT_FAIL;
	if (damaged)
		rc = PN_EXIT_FAIL;
	pn_audit_destroy(audit);
	pn_ruleset_free(rs);
	pn_cli_capture_release(&own.capture);
	pn_cli_release(&cli);
	return rc;
}
