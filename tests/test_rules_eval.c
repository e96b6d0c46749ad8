/* test_rules_eval.c — first-match evaluation and the static audit, on
 * rulesets built directly with the model's builder (the parsers have
 * their own tests). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "portnote/audit.h"
#include "portnote/decode.h"
#include "portnote/rules.h"

static struct pn_prefix prefix(const char *s)
{
	struct pn_prefix p;
	assert_true(pn_prefix_parse(s, &p));
	return p;
}

static struct pn_rule_packet packet(const char *src, const char *dst,
				    uint8_t proto, uint16_t sport,
				    uint16_t dport)
{
	struct pn_rule_packet pkt = {.proto = proto,
				     .sport = sport,
				     .dport = dport,
				     .has_ports = proto == 6 || proto == 17,
				     .ctstate = PN_CT_NEW};
	struct pn_prefix s = prefix(src), d = prefix(dst);
	pkt.family = s.family;
	memcpy(pkt.saddr, s.addr, 16);
	memcpy(pkt.daddr, d.addr, 16);
	return pkt;
}

static struct pn_rule *rule(struct pn_ruleset *rs, long chain, int proto,
			    enum pn_verdict v)
{
	struct pn_rule *r = pn_rules_add_rule(rs, (uint32_t)chain, 0);
	assert_non_null(r);
	r->proto = proto;
	r->verdict = v;
	return r;
}

/* Evaluates and returns the deciding rule's number in its chain (0 for a
 * policy), with the verdict. */
static int decide(const struct pn_ruleset *rs, enum pn_hook hook,
		  const struct pn_rule_packet *pkt, enum pn_verdict *v)
{
	struct pn_rule_result res;
	assert_true(pn_rules_evaluate(rs, hook, -1, pkt, &res));
	*v = res.verdict;
	if (res.undetermined)
		return -100 -
		       (res.rule >= 0 ? (int)rs->rules[res.rule].number : 0);
	return res.rule >= 0 ? (int)rs->rules[res.rule].number : 0;
}

static void test_prefix_parse(void **state)
{
	(void)state;
	struct pn_prefix p = prefix("10.0.0.0/8");
	assert_int_equal(p.len, 104);
	assert_int_equal(p.family, PN_FAMILY_IPV4);
	assert_int_equal(p.addr[10], 0xff);
	assert_int_equal(p.addr[12], 10);
	p = prefix("2001:db8::/32");
	assert_int_equal(p.len, 32);
	assert_int_equal(p.family, PN_FAMILY_IPV6);
	assert_int_equal(prefix("192.0.2.1").len, 128);
	struct pn_prefix bad;
	assert_false(pn_prefix_parse("10.0.0.0/33", &bad));
	assert_false(pn_prefix_parse("10.0.0/8", &bad));
	assert_false(pn_prefix_parse("::1/129", &bad));
	assert_false(pn_prefix_parse("10.0.0.0/", &bad));
	assert_false(pn_prefix_parse("10.0.0.0/-1", &bad));
	assert_false(pn_prefix_parse("", &bad));
}

static void test_first_match_ranges_negation(void **state)
{
	(void)state;
	struct pn_ruleset *rs = pn_rules_new("t", PN_RULES_PLAIN);
	long in = pn_rules_add_chain(rs, "filter", "INPUT", PN_FAMILY_BOTH,
				     PN_HOOK_INPUT, 0, PN_VERDICT_DROP, 1);
	struct pn_rule *r = rule(rs, in, 6, PN_VERDICT_ACCEPT);
	struct pn_prefix admin = prefix("10.0.0.0/8");
	pn_rule_add_prefix(&r->saddr, &admin);
	pn_rule_add_port(&r->dport, 22, 22);
	r = rule(rs, in, 6, PN_VERDICT_REJECT);
	pn_rule_add_port(&r->dport, 22, 22);
	/* multiport: several ranges */
	r = rule(rs, in, 6, PN_VERDICT_ACCEPT);
	pn_rule_add_port(&r->dport, 80, 80);
	pn_rule_add_port(&r->dport, 8000, 8100);
	/* negated range: every udp port but 1-1023 */
	r = rule(rs, in, 17, PN_VERDICT_ACCEPT);
	pn_rule_add_port(&r->dport, 1, 1023);
	r->dport.negate = true;
	/* negated source */
	r = rule(rs, in, 17, PN_VERDICT_DROP);
	struct pn_prefix lan = prefix("192.168.0.0/16");
	pn_rule_add_prefix(&r->saddr, &lan);
	r->saddr.negate = true;
	r = rule(rs, in, 17, PN_VERDICT_ACCEPT);
	pn_rule_add_port(&r->dport, 53, 53);
	pn_rules_sort(rs);

	enum pn_verdict v;
	struct pn_rule_packet p = packet("10.1.2.3", "192.0.2.1", 6, 40000, 22);
	assert_int_equal(decide(rs, PN_HOOK_INPUT, &p, &v), 1);
	assert_int_equal(v, PN_VERDICT_ACCEPT);
	p = packet("172.16.0.1", "192.0.2.1", 6, 40000, 22);
	assert_int_equal(decide(rs, PN_HOOK_INPUT, &p, &v), 2);
	assert_int_equal(v, PN_VERDICT_REJECT);
	p = packet("172.16.0.1", "192.0.2.1", 6, 40000, 8100);
	assert_int_equal(decide(rs, PN_HOOK_INPUT, &p, &v), 3);
	p = packet("172.16.0.1", "192.0.2.1", 6, 40000, 8101);
	assert_int_equal(decide(rs, PN_HOOK_INPUT, &p, &v), 0);
	assert_int_equal(v, PN_VERDICT_DROP);
	p = packet("172.16.0.1", "192.0.2.1", 17, 40000, 1024);
	assert_int_equal(decide(rs, PN_HOOK_INPUT, &p, &v), 4);
	p = packet("172.16.0.1", "192.0.2.1", 17, 40000, 53);
	assert_int_equal(decide(rs, PN_HOOK_INPUT, &p, &v), 5);
	assert_int_equal(v, PN_VERDICT_DROP);
	p = packet("192.168.1.1", "192.0.2.1", 17, 40000, 53);
	assert_int_equal(decide(rs, PN_HOOK_INPUT, &p, &v), 6);
	/* IPv6 is not inside an IPv4 prefix, so the negated match hits. */
	p = packet("2001:db8::1", "2001:db8::2", 17, 40000, 53);
	assert_int_equal(decide(rs, PN_HOOK_INPUT, &p, &v), 5);
	/* A port match never matches a protocol without ports. */
	p = packet("10.1.2.3", "192.0.2.1", 1, 0, 0);
	assert_int_equal(decide(rs, PN_HOOK_INPUT, &p, &v), 0);
	/* No base chain on the hook. */
	struct pn_rule_result res;
	assert_false(pn_rules_evaluate(rs, PN_HOOK_FORWARD, -1, &p, &res));
	pn_ruleset_free(rs);
}

static void test_jumps_return_goto(void **state)
{
	(void)state;
	struct pn_ruleset *rs = pn_rules_new("t", PN_RULES_IPTABLES);
	long in = pn_rules_add_chain(rs, "filter", "INPUT", PN_FAMILY_IPV4,
				     PN_HOOK_INPUT, 0, PN_VERDICT_DROP, 1);
	long ssh = pn_rules_add_chain(rs, "filter", "ssh", PN_FAMILY_IPV4,
				      PN_HOOK_NONE, 0, PN_VERDICT_NONE, 2);
	long web = pn_rules_add_chain(rs, "filter", "web", PN_FAMILY_IPV4,
				      PN_HOOK_NONE, 0, PN_VERDICT_NONE, 3);
	struct pn_rule *r = rule(rs, in, 6, PN_VERDICT_JUMP);
	pn_rule_add_port(&r->dport, 22, 22);
	r->target = (uint32_t)ssh;
	r = rule(rs, in, 6, PN_VERDICT_GOTO);
	pn_rule_add_port(&r->dport, 80, 80);
	r->target = (uint32_t)web;
	r = rule(rs, in, 6, PN_VERDICT_ACCEPT); /* after the jump returns */
	pn_rule_add_port(&r->dport, 22, 22);
	r = rule(rs, in, 6, PN_VERDICT_ACCEPT); /* never after a goto */
	pn_rule_add_port(&r->dport, 80, 80);
	/* ssh: admins accepted, 10.9/16 returns early, others fall off */
	r = rule(rs, ssh, PN_PROTO_ANY, PN_VERDICT_RETURN);
	struct pn_prefix p9 = prefix("10.9.0.0/16");
	pn_rule_add_prefix(&r->saddr, &p9);
	r = rule(rs, ssh, PN_PROTO_ANY, PN_VERDICT_NONE); /* a LOG rule */
	r = rule(rs, ssh, PN_PROTO_ANY, PN_VERDICT_DROP);
	struct pn_prefix bad = prefix("203.0.113.0/24");
	pn_rule_add_prefix(&r->saddr, &bad);
	/* web: nothing matches 80 from 198.51.100.0/24: goto means the
	 * packet does not come back to INPUT rule 4. */
	r = rule(rs, web, PN_PROTO_ANY, PN_VERDICT_ACCEPT);
	struct pn_prefix ok = prefix("192.0.2.0/24");
	pn_rule_add_prefix(&r->saddr, &ok);
	pn_rules_sort(rs);

	enum pn_verdict v;
	struct pn_rule_packet p = packet("203.0.113.5", "10.0.0.1", 6, 1, 22);
	assert_int_equal(decide(rs, PN_HOOK_INPUT, &p, &v), 3);
	assert_int_equal(v, PN_VERDICT_DROP);
	assert_string_equal(rs->chains[rs->rules[2 + 4].chain].name, "ssh");
	p = packet("10.9.1.1", "10.0.0.1", 6, 1, 22);
	assert_int_equal(decide(rs, PN_HOOK_INPUT, &p, &v), 3);
	assert_int_equal(v, PN_VERDICT_ACCEPT); /* INPUT rule 3 */
	p = packet("192.0.2.7", "10.0.0.1", 6, 1, 80);
	assert_int_equal(decide(rs, PN_HOOK_INPUT, &p, &v), 1);
	assert_int_equal(v, PN_VERDICT_ACCEPT); /* web rule 1 */
	p = packet("198.51.100.7", "10.0.0.1", 6, 1, 80);
	assert_int_equal(decide(rs, PN_HOOK_INPUT, &p, &v), 0);
	assert_int_equal(v, PN_VERDICT_DROP); /* policy, not INPUT rule 4 */

	/* A single chain by index: falling off a user chain = not dropped
	 * there. */
	struct pn_rule_result res;
	assert_true(pn_rules_evaluate(rs, PN_HOOK_NONE, ssh, &p, &res));
	assert_int_equal(res.verdict, PN_VERDICT_ACCEPT);
	assert_int_equal(res.chain, ssh);
	pn_ruleset_free(rs);
}

static void test_loop_and_unmodeled(void **state)
{
	(void)state;
	struct pn_ruleset *rs = pn_rules_new("t", PN_RULES_NFT);
	long in = pn_rules_add_chain(rs, "inet filter", "input", PN_FAMILY_BOTH,
				     PN_HOOK_INPUT, 0, PN_VERDICT_ACCEPT, 0);
	long a = pn_rules_add_chain(rs, "inet filter", "a", PN_FAMILY_BOTH,
				    PN_HOOK_NONE, 0, PN_VERDICT_NONE, 0);
	struct pn_rule *r = rule(rs, in, 17, PN_VERDICT_DROP);
	pn_rule_add_port(&r->dport, 500, 500);
	assert_true(pn_rule_add_unmodeled(r, "limit rate 10/second"));
	r = rule(rs, in, 6, PN_VERDICT_JUMP);
	r->target = (uint32_t)a;
	r = rule(rs, a, 6, PN_VERDICT_JUMP);
	r->target = (uint32_t)a; /* a loop the kernel would refuse */
	pn_rules_sort(rs);
	enum pn_verdict v;
	struct pn_rule_packet p = packet("10.0.0.1", "10.0.0.2", 17, 1, 500);
	assert_int_equal(decide(rs, PN_HOOK_INPUT, &p, &v), -101);
	p = packet("10.0.0.1", "10.0.0.2", 17, 1, 501);
	assert_int_equal(decide(rs, PN_HOOK_INPUT, &p, &v), 0);
	assert_int_equal(v, PN_VERDICT_ACCEPT);
	struct pn_rule_result res;
	p = packet("10.0.0.1", "10.0.0.2", 6, 1, 501);
	assert_true(pn_rules_evaluate(rs, PN_HOOK_INPUT, -1, &p, &res));
	assert_true(res.undetermined);
	pn_ruleset_free(rs);
}

static void test_interfaces_ctstate_priorities(void **state)
{
	(void)state;
	struct pn_ruleset *rs = pn_rules_new("t", PN_RULES_NFT);
	/* Two base chains on input: the earlier priority runs first, and
	 * an accept there does not stop the later one from dropping. */
	long late =
	    pn_rules_add_chain(rs, "inet filter", "late", PN_FAMILY_BOTH,
			       PN_HOOK_INPUT, 10, PN_VERDICT_ACCEPT, 0);
	long early =
	    pn_rules_add_chain(rs, "inet raw", "early", PN_FAMILY_BOTH,
			       PN_HOOK_INPUT, -10, PN_VERDICT_ACCEPT, 0);
	struct pn_rule *r = rule(rs, early, PN_PROTO_ANY, PN_VERDICT_ACCEPT);
	strcpy(r->iif.name, "lo");
	r = rule(rs, early, PN_PROTO_ANY, PN_VERDICT_ACCEPT);
	strcpy(r->iif.name, "eth");
	r->iif.wildcard = true;
	r->iif.negate = true;
	r = rule(rs, late, 6, PN_VERDICT_DROP);
	r->ctstate = PN_CT_ESTABLISHED | PN_CT_RELATED;
	r->ctstate_negate = true;
	pn_rules_sort(rs);

	struct pn_rule_result res;
	struct pn_rule_packet p = packet("10.0.0.1", "10.0.0.2", 6, 1, 80);
	p.iif = "lo";
	assert_true(pn_rules_evaluate(rs, PN_HOOK_INPUT, -1, &p, &res));
	/* lo accepted early, then dropped late as a NEW packet */
	assert_int_equal(res.verdict, PN_VERDICT_DROP);
	assert_int_equal(rs->rules[res.rule].chain, late);
	p.ctstate = PN_CT_ESTABLISHED;
	assert_true(pn_rules_evaluate(rs, PN_HOOK_INPUT, -1, &p, &res));
	assert_int_equal(res.verdict, PN_VERDICT_ACCEPT);
	assert_int_equal(res.chain, late); /* late's policy */
	/* eth+ wildcard, negated; unknown interface only matches negated */
	struct pn_rule *r2 = &rs->rules[rs->chains[early].first + 1];
	p.iif = "eth0";
	assert_false(pn_rule_matches(rs, r2, &p));
	p.iif = "wlan0";
	assert_true(pn_rule_matches(rs, r2, &p));
	p.iif = NULL;
	assert_true(pn_rule_matches(rs, r2, &p));
	assert_false(
	    pn_rule_matches(rs, &rs->rules[rs->chains[early].first], &p));
	assert_int_equal(pn_rules_find_chain(rs, "inet raw/early"), early);
	assert_int_equal(pn_rules_find_chain(rs, "late"), late);
	assert_int_equal(pn_rules_find_chain(rs, "nope"), -1);
	pn_ruleset_free(rs);
}

static bool has_finding(const struct pn_audit *a, enum pn_finding_kind k,
			uint32_t rule_number)
{
	for (uint32_t i = 0; i < a->n_findings; i++)
		if (a->findings[i].kind == k && a->findings[i].rule >= 0 &&
		    a->rs->rules[a->findings[i].rule].number == rule_number)
			return true;
	return false;
}

static void test_static_findings(void **state)
{
	(void)state;
	struct pn_ruleset *rs = pn_rules_new("t", PN_RULES_PLAIN);
	long in = pn_rules_add_chain(rs, "plain", "input", PN_FAMILY_BOTH,
				     PN_HOOK_INPUT, 0, PN_VERDICT_DROP, 1);
	struct pn_rule *r = rule(rs, in, 6, PN_VERDICT_ACCEPT); /* 1 */
	pn_rule_add_port(&r->dport, 22, 22);
	r = rule(rs, in, 6, PN_VERDICT_ACCEPT); /* 2: x11 range */
	pn_rule_add_port(&r->dport, 6000, 6063);
	r = rule(rs, in, 6, PN_VERDICT_ACCEPT); /* 3: comment mismatch */
	pn_rule_add_port(&r->dport, 2222, 2222);
	pn_rule_set_text(&r->comment, "ssh for the builders");
	r = rule(rs, in, 17, PN_VERDICT_ACCEPT); /* 4: dynamic range */
	pn_rule_add_port(&r->dport, 49152, 65535);
	r = rule(rs, in, 17, PN_VERDICT_ACCEPT); /* 5: wide range */
	pn_rule_add_port(&r->dport, 10000, 20000);
	r = rule(rs, in, 6, PN_VERDICT_DROP); /* 6: shadowed by 1 */
	pn_rule_add_port(&r->dport, 22, 22);
	struct pn_prefix p = prefix("10.0.0.0/8");
	pn_rule_add_prefix(&r->saddr, &p);
	r = rule(rs, in, 6, PN_VERDICT_ACCEPT); /* 7: duplicate of 1 */
	pn_rule_add_port(&r->dport, 22, 22);
	r = rule(rs, in, 80, PN_VERDICT_ACCEPT); /* 8: -p 80 */
	r = rule(rs, in, 6, PN_VERDICT_ACCEPT);	 /* 9: every tcp port */
	r = rule(rs, in, 6, PN_VERDICT_ACCEPT);	 /* 10: reserved 0/tcp */
	pn_rule_add_port(&r->dport, 0, 0);
	r = rule(rs, in, 6, PN_VERDICT_ACCEPT); /* 11: comment consistent */
	pn_rule_add_port(&r->dport, 443, 443);
	pn_rule_set_text(&r->comment, "web: http and https");
	r = rule(rs, in, PN_PROTO_ANY, PN_VERDICT_ACCEPT); /* 12: est. */
	r->ctstate = PN_CT_ESTABLISHED | PN_CT_RELATED;
	r = rule(rs, in, 17, PN_VERDICT_DROP); /* 13 */
	pn_rule_add_unmodeled(r, "-m recent --name x --rcheck");
	pn_rules_sort(rs);

	struct pn_audit_options o = {
	    .wide = 1000, .hook = PN_HOOK_INPUT, .chain = -1};
	struct pn_audit *a = pn_audit_create(rs, pn_registry_builtin(), &o);
	pn_audit_finish(a);
	assert_true(has_finding(a, PN_FIND_UNAUTHORIZED, 2));
	assert_true(has_finding(a, PN_FIND_COMMENT_MISMATCH, 3));
	assert_true(has_finding(a, PN_FIND_DYNAMIC_RANGE, 4));
	assert_false(has_finding(a, PN_FIND_WIDE_RANGE, 4));
	assert_true(has_finding(a, PN_FIND_WIDE_RANGE, 5));
	assert_true(has_finding(a, PN_FIND_SHADOWED, 6));
	assert_true(has_finding(a, PN_FIND_DUPLICATE, 7));
	assert_false(has_finding(a, PN_FIND_SHADOWED, 7));
	assert_true(has_finding(a, PN_FIND_PORTLESS, 8));
	assert_true(has_finding(a, PN_FIND_ALL_PORTS, 9));
	assert_true(has_finding(a, PN_FIND_RESERVED, 10));
	assert_false(has_finding(a, PN_FIND_COMMENT_MISMATCH, 11));
	assert_false(has_finding(a, PN_FIND_ALL_PORTS, 12));
	assert_true(has_finding(a, PN_FIND_NOT_EVALUATED, 13));
	/* Rule 1 is clean, and says what 22/tcp is registered for. */
	for (uint32_t i = 0; i < a->n_findings; i++)
		assert_int_not_equal(a->findings[i].rule, 0);
	assert_int_equal(a->rules[0].n_openings, 1);
	assert_string_equal(a->rules[0].openings[0].ports, "22");
	assert_string_equal(a->rules[0].openings[0].services[0], "ssh");
	/* Ordered by severity. */
	for (uint32_t i = 1; i < a->n_findings; i++)
		assert_true(a->findings[i - 1].severity >=
			    a->findings[i].severity);
	assert_string_equal(a->rules[1].openings[0].ports, "6000-6063");
	pn_audit_destroy(a);
	pn_ruleset_free(rs);
}

/* The audit of one iptables-save text, finished. */
static struct pn_audit *audit_text(const char *text, struct pn_ruleset **rs,
				   const char *ipsets)
{
	char err[PN_RULES_ERRBUF_SIZE];
	int rc = pn_rules_parse(text, strlen(text), "t", PN_RULES_AUTO,
				pn_registry_builtin(), rs, err);
	if (rc != 0)
		fail_msg("%s", err);
	if (ipsets && pn_rules_parse_ipsets(*rs, ipsets, strlen(ipsets), "sets",
					    err) != 0)
		fail_msg("%s", err);
	struct pn_audit_options o = {
	    .wide = 1000, .hook = PN_HOOK_INPUT, .chain = -1};
	struct pn_audit *a = pn_audit_create(*rs, pn_registry_builtin(), &o);
	pn_audit_finish(a);
	return a;
}

static bool any_message_has(const struct pn_audit *a, const char *what)
{
	for (uint32_t i = 0; i < a->n_findings; i++)
		if (strstr(a->findings[i].message, what))
			return true;
	return false;
}

/* Never alarm on what a rule does not say. */
static void test_no_false_alarms(void **state)
{
	(void)state;
	struct pn_ruleset *rs;
	struct pn_audit *a = audit_text(
	    "*filter\n:INPUT DROP [0:0]\n"
	    "-A INPUT -p icmp -j ACCEPT\n"			      /* 1 */
	    "-A INPUT -p ipv6-icmp -j ACCEPT\n"			      /* 2 */
	    "-A INPUT -p gre -j ACCEPT\n"			      /* 3 */
	    "-A INPUT -p esp -j ACCEPT\n"			      /* 4 */
	    "-A INPUT -p 51 -j ACCEPT\n"			      /* 5 */
	    "-A INPUT -m set --match-set trusted src -j ACCEPT\n"     /* 6 */
	    "-A INPUT -p tcp -m multiport --ports 80,443 -j ACCEPT\n" /* 7 */
	    "-A INPUT -p tcp ! --syn -j ACCEPT\n"		      /* 8 */
	    "-A INPUT -p tcp -m limit --limit 3/s -j ACCEPT\n"	      /* 9 */
	    "-A INPUT -p udp -m udp --dport 1000:65535 -m recent --rcheck "
	    "-j ACCEPT\n" /* 10 */
	    "-A INPUT -p tcp -m tcp --dport 22 -m limit --limit 1/s -j "
	    "ACCEPT\n"					    /* 11 */
	    "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n" /* 12 */
	    "-A INPUT -p tcp -m tcp --dport 6000:6063 -m recent --rcheck -j "
	    "ACCEPT\n" /* 13 */
	    "COMMIT\n",
	    &rs, NULL);
	for (uint32_t i = 0; i < a->n_findings; i++) {
		const struct pn_finding *f = &a->findings[i];
		uint32_t n = f->rule >= 0 ? rs->rules[f->rule].number : 0;
		/* no port finding for the portless protocols, the set rule,
		 * multiport --ports or ! --syn */
		assert_true(n == 0 || n > 8 ||
			    f->kind == PN_FIND_NOT_EVALUATED);
		assert_true(f->kind != PN_FIND_ALL_PORTS &&
			    f->kind != PN_FIND_WIDE_RANGE &&
			    f->kind != PN_FIND_DYNAMIC_RANGE &&
			    f->kind != PN_FIND_SHADOWED &&
			    f->kind != PN_FIND_DUPLICATE);
	}
	assert_false(any_message_has(a, "tcp port from anywhere"));
	for (int n = 0; n < 5; n++)
		assert_int_equal(a->rules[n].n_openings, 0);
	assert_int_equal(a->rules[6].n_openings, 1);
	assert_string_equal(a->rules[6].openings[0].ports, "80,443");
	assert_int_equal(a->rules[7].n_openings, 0);
	/* unmodeled: at most, never all-ports or wide */
	assert_true(a->rules[9].openings[0].at_most);
	assert_true(has_finding(a, PN_FIND_NOT_EVALUATED, 10));
	assert_true(has_finding(a, PN_FIND_UNAUTHORIZED, 13));
	assert_true(any_message_has(a, "opens at most 6003/tcp"));
	/* 12 is not shadowed by 11: the limit may not match */
	assert_false(has_finding(a, PN_FIND_SHADOWED, 12));
	pn_audit_destroy(a);
	pn_ruleset_free(rs);

	/* ...and a rule with an unmodeled match is shadowed when an earlier
	 * one covers what is modeled: it holds whatever the match is. */
	a = audit_text("*filter\n:INPUT DROP [0:0]\n"
		       "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
		       "-A INPUT -p tcp -m tcp --dport 22 -m limit --limit "
		       "1/s -j DROP\n"
		       "COMMIT\n",
		       &rs, NULL);
	assert_true(has_finding(a, PN_FIND_SHADOWED, 2));
	pn_audit_destroy(a);
	pn_ruleset_free(rs);
}

/* Never pass what a rule does. */
static void test_no_blind_spots(void **state)
{
	(void)state;
	struct pn_ruleset *rs;
	/* An accepting policy with nothing that drops the rest. */
	struct pn_audit *a =
	    audit_text("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n"
		       "-A INPUT -i lo -j ACCEPT\nCOMMIT\n",
		       &rs, NULL);
	assert_int_equal(a->by_severity[PN_SEV_HIGH], 1);
	assert_int_equal(a->findings[0].kind, PN_FIND_ALL_PORTS);
	assert_int_equal(a->findings[0].rule, -1);
	assert_string_equal(rs->chains[a->findings[0].chain].name, "INPUT");
	pn_audit_destroy(a);
	pn_ruleset_free(rs);
	/* ...unless a rule (here in a user chain) drops the rest: per
	 * transport. */
	a = audit_text("*filter\n:INPUT ACCEPT [0:0]\n:tail - [0:0]\n"
		       "-A INPUT -p tcp --dport 22 -j ACCEPT\n"
		       "-A INPUT -j tail\n-A tail -p tcp -j DROP\n"
		       "-A tail -p udp -j REJECT\nCOMMIT\n",
		       &rs, NULL);
	assert_int_equal(a->by_severity[PN_SEV_HIGH], 1);
	assert_true(any_message_has(a, "every sctp and dccp port"));
	pn_audit_destroy(a);
	pn_ruleset_free(rs);
	a = audit_text("*filter\n:INPUT ACCEPT [0:0]\n"
		       "-A INPUT -p tcp --dport 22 -j ACCEPT\n"
		       "-A INPUT -j DROP\nCOMMIT\n",
		       &rs, NULL);
	assert_int_equal(a->by_severity[PN_SEV_HIGH], 0);
	pn_audit_destroy(a);
	pn_ruleset_free(rs);

	/* A rule in a user chain carries the jump's conditions. */
	a = audit_text("*filter\n:INPUT DROP [0:0]\n:acc - [0:0]\n"
		       "-A INPUT -p tcp -m tcp --dport 6000:6063 -j acc\n"
		       "-A acc -j ACCEPT\nCOMMIT\n",
		       &rs, NULL);
	assert_true(has_finding(a, PN_FIND_UNAUTHORIZED, 1));
	assert_false(any_message_has(a, "every protocol"));
	pn_audit_destroy(a);
	pn_ruleset_free(rs);

	/* DNAT in nat PREROUTING publishes a port past INPUT. */
	a = audit_text(
	    "*nat\n:PREROUTING ACCEPT [0:0]\n:DOCKER - [0:0]\n"
	    "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n"
	    "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 6003 -j DNAT "
	    "--to-destination 172.17.0.2:80\nCOMMIT\n"
	    "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\nCOMMIT\n",
	    &rs, NULL);
	uint32_t dnat = rs->chains[1].first;
	assert_int_equal(rs->rules[dnat].verdict, PN_VERDICT_DNAT);
	assert_int_equal(a->rules[dnat].n_openings, 1);
	assert_string_equal(a->rules[dnat].openings[0].forward,
			    "172.17.0.2:80");
	assert_true(has_finding(a, PN_FIND_UNAUTHORIZED, 1));
	assert_true(any_message_has(a, "publishes 6003/tcp"));
	pn_audit_destroy(a);
	pn_ruleset_free(rs);
}

static void test_sets_and_matches(void **state)
{
	(void)state;
	const char *text =
	    "*filter\n:INPUT ACCEPT [0:0]\n"
	    "-A INPUT -m set --match-set block src -j DROP\n"	  /* 1 */
	    "-A INPUT -m set --match-set web dst,dst -j ACCEPT\n" /* 2 */
	    "-A INPUT -m set ! --match-set ports dst -j REJECT\n" /* 3 */
	    "-A INPUT -p tcp -m tcp --dport 7 -j ACCEPT\n"	  /* 4 */
	    "COMMIT\n";
	struct pn_ruleset *rs;
	char err[PN_RULES_ERRBUF_SIZE];
	assert_int_equal(pn_rules_parse(text, strlen(text), "t", PN_RULES_AUTO,
					NULL, &rs, err),
			 0);
	struct pn_rule_packet p = packet("10.1.2.3", "192.0.2.1", 6, 40000, 7);
	struct pn_rule_result res;
	/* unknown members: followed as not in any set, and said so */
	assert_true(pn_rules_evaluate(rs, PN_HOOK_INPUT, -1, &p, &res));
	assert_false(res.undetermined);
	assert_int_equal(res.verdict, PN_VERDICT_REJECT);
	assert_int_equal(res.rule, 2);
	assert_string_equal(rs->sets[res.assumed_set].name, "block");

	const char *sets =
	    "create block hash:net family inet hashsize 1024 maxelem 65536\n"
	    "add block 10.1.0.0/16\nadd block 10.1.2.3 nomatch\n"
	    "create web hash:ip,port family inet\n"
	    "add web 192.0.2.1,tcp:443\nadd web 192.0.2.1,udp:53\n"
	    "create ports bitmap:port range 0-65535\n"
	    "add ports 7\nadd ports 8000-8100\n"
	    "create both list:set size 8\nadd both block\nadd both web\n";
	assert_int_equal(
	    pn_rules_parse_ipsets(rs, sets, strlen(sets), "sets", err), 0);
	/* 10.1.2.3 is the nomatch exception: not in block; port 7 is in
	 * ports, so rule 3 does not match; rule 4 accepts */
	assert_true(pn_rules_evaluate(rs, PN_HOOK_INPUT, -1, &p, &res));
	assert_int_equal(res.assumed_set, -1);
	assert_int_equal(res.verdict, PN_VERDICT_ACCEPT);
	assert_int_equal(res.rule, 3);
	p = packet("10.1.9.9", "192.0.2.1", 6, 40000, 7);
	assert_true(pn_rules_evaluate(rs, PN_HOOK_INPUT, -1, &p, &res));
	assert_int_equal(res.rule, 0);
	p = packet("10.9.9.9", "192.0.2.1", 6, 40000, 443);
	assert_true(pn_rules_evaluate(rs, PN_HOOK_INPUT, -1, &p, &res));
	assert_int_equal(res.rule, 1);
	p = packet("10.9.9.9", "192.0.2.1", 17, 40000, 443); /* udp:443 no */
	assert_true(pn_rules_evaluate(rs, PN_HOOK_INPUT, -1, &p, &res));
	assert_int_equal(res.verdict, PN_VERDICT_REJECT);
	assert_int_equal(res.rule, 2);
	/* errors name the line */
	const char *bad[] = {
	    "add nope 10.0.0.1\n", "create x hash:foo\n",
	    "create x hash:ip\nadd x 10.0.0.1,80\n",
	    "create x bitmap:port range 0-65535\nadd x 70000\n", "flush\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(
		    pn_rules_parse_ipsets(rs, bad[i], strlen(bad[i]), "s", err),
		    -1);
		assert_non_null(strstr(err, "s:"));
	}
	pn_ruleset_free(rs);

	/* address types, TCP flags, protocol sets */
	text = "*filter\n:INPUT DROP [0:0]\n"
	       "-A INPUT -m addrtype --dst-type MULTICAST -j DROP\n"
	       "-A INPUT -p tcp --tcp-flags SYN,ACK SYN -j ACCEPT\n"
	       "COMMIT\n";
	assert_int_equal(pn_rules_parse(text, strlen(text), "t", PN_RULES_AUTO,
					NULL, &rs, err),
			 0);
	p = packet("10.0.0.1", "224.0.0.251", 17, 5353, 5353);
	assert_true(pn_rules_evaluate(rs, PN_HOOK_INPUT, -1, &p, &res));
	assert_int_equal(res.rule, 0);
	p = packet("10.0.0.1", "192.0.2.1", 6, 40000, 22);
	/* flags unknown (the flow's start was not captured): undetermined */
	assert_true(pn_rules_evaluate(rs, PN_HOOK_INPUT, -1, &p, &res));
	assert_true(res.undetermined);
	p.has_tcp_flags = true;
	p.tcp_flags = PN_TCP_SYN;
	assert_true(pn_rules_evaluate(rs, PN_HOOK_INPUT, -1, &p, &res));
	assert_int_equal(res.verdict, PN_VERDICT_ACCEPT);
	p.tcp_flags = PN_TCP_SYN | PN_TCP_ACK;
	assert_true(pn_rules_evaluate(rs, PN_HOOK_INPUT, -1, &p, &res));
	assert_int_equal(res.verdict, PN_VERDICT_DROP);
	assert_int_equal(res.rule, -1);
	pn_ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prefix_parse),
	    cmocka_unit_test(test_first_match_ranges_negation),
	    cmocka_unit_test(test_jumps_return_goto),
	    cmocka_unit_test(test_loop_and_unmodeled),
	    cmocka_unit_test(test_interfaces_ctstate_priorities),
	    cmocka_unit_test(test_static_findings),
	    cmocka_unit_test(test_no_false_alarms),
	    cmocka_unit_test(test_no_blind_spots),
	    cmocka_unit_test(test_sets_and_matches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
