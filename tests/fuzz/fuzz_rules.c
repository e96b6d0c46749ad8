/* fuzz_rules — libFuzzer target for the ruleset parsers (iptables-save,
 * nft JSON, plain list, ipset save), evaluation and the static audit.
 *
 * Any input must either parse or fail with "label:line: message" or
 * "label: ..."; a parsed ruleset must evaluate packets and audit without
 * crashing or overrunning. */
#include "portnote/audit.h"
#include "portnote/rules.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	/* The first byte picks the format (auto, iptables, nft, plain) and,
	 * with bit 2, the static audit, which walks every port a rule opens
	 * and is slow enough to starve the parsers of inputs otherwise. */
	enum pn_rules_format format = (enum pn_rules_format)(data[0] & 3);
	char err[PN_RULES_ERRBUF_SIZE];
	struct pn_ruleset *rs;
	if (data[0] & 8) {
		/* The rest is 'ipset save' output for rules that name sets. */
		static const char rules[] =
		    "*filter\n:INPUT DROP [0:0]\n"
		    "-A INPUT -m set --match-set a src -j DROP\n"
		    "-A INPUT -m set ! --match-set b dst,dst -j ACCEPT\n"
		    "-A INPUT -m set --match-set c src,dst -j ACCEPT\n"
		    "COMMIT\n";
		if (pn_rules_parse(rules, sizeof rules - 1, "r", PN_RULES_AUTO,
				   NULL, &rs, err) != 0)
			abort();
		if (pn_rules_parse_ipsets(rs, (const char *)data + 1, size - 1,
					  "fuzz", err) != 0 &&
		    strncmp(err, "fuzz", 4) != 0)
			abort();
		struct pn_rule_packet p = {.family = PN_FAMILY_IPV4,
					   .proto = 6,
					   .sport = 40000,
					   .dport = 22,
					   .has_ports = true,
					   .ctstate = PN_CT_NEW};
		p.saddr[10] = p.saddr[11] = p.daddr[10] = p.daddr[11] = 0xff;
		p.saddr[12] = 10;
		struct pn_rule_result r;
		pn_rules_evaluate(rs, PN_HOOK_INPUT, -1, &p, &r);
		pn_ruleset_free(rs);
		return 0;
	}
	if (pn_rules_parse((const char *)data + 1, size - 1, "fuzz", format,
			   pn_registry_builtin(), &rs, err) != 0) {
		if (strncmp(err, "fuzz:", 5) != 0 || rs)
			abort();
		return 0;
	}
	for (uint32_t i = 0; i < rs->n_rules; i++)
		if (rs->rules[i].chain >= rs->n_chains ||
		    ((rs->rules[i].verdict == PN_VERDICT_JUMP ||
		      rs->rules[i].verdict == PN_VERDICT_GOTO) &&
		     rs->rules[i].target >= rs->n_chains))
			abort();
	struct pn_rule_packet pkt = {.family = PN_FAMILY_IPV4,
				     .proto = 6,
				     .sport = 40000,
				     .dport = 22,
				     .has_ports = true,
				     .iif = "eth0",
				     .ctstate = PN_CT_NEW};
	pkt.saddr[10] = pkt.saddr[11] = pkt.daddr[10] = pkt.daddr[11] = 0xff;
	pkt.saddr[12] = 10;
	pkt.daddr[12] = 192;
	struct pn_rule_result res;
	for (int hook = PN_HOOK_PREROUTING; hook <= PN_HOOK_POSTROUTING; hook++)
		pn_rules_evaluate(rs, (enum pn_hook)hook, -1, &pkt, &res);
	for (uint32_t c = 0; c < rs->n_chains && c < 16; c++)
		pn_rules_evaluate(rs, PN_HOOK_NONE, (long)c, &pkt, &res);
	if ((data[0] & 4) && rs->n_rules <= 8) {
		struct pn_audit_options o = {
		    .wide = 1000, .hook = PN_HOOK_INPUT, .chain = -1};
		struct pn_audit *a =
		    pn_audit_create(rs, pn_registry_builtin(), &o);
		if (!a)
			abort();
		pn_audit_finish(a);
		pn_audit_destroy(a);
	}
	pn_ruleset_free(rs);
	return 0;
}
