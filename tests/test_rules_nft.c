/* test_rules_nft.c — the nftables JSON parser on real `nft -j list ruleset`
 * output (tests/rules/nft-parse/, each .json made from the .nft beside it,
 * see the README there), on small documents in the same shape for single
 * features, and on every error it reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "portnote/rules.h"

#define NFT_DIR PN_RULES_DIR "/nft-parse/"

static struct pn_ruleset *load(const char *name)
{
	char err[PN_RULES_ERRBUF_SIZE];
	struct pn_ruleset *rs = NULL;
	/* AUTO: the detection must take nft's output for nft JSON. */
	if (pn_rules_load(name, PN_RULES_AUTO, NULL, &rs, err) != 0)
		fail_msg("%s", err);
	assert_int_equal(rs->format, PN_RULES_NFT);
	return rs;
}

/* JSON written with ' for " so the documents stay readable here. */
static char *dq(const char *s)
{
	char *d = strdup(s);
	assert_non_null(d);
	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

static struct pn_ruleset *parse_ok(const char *json)
{
	char *text = dq(json), err[PN_RULES_ERRBUF_SIZE];
	struct pn_ruleset *rs = NULL;
	int rc = pn_rules_parse_nft(text, strlen(text), "t.json", &rs, err);
	free(text);
	if (rc != 0)
		fail_msg("%s", err);
	return rs;
}

static void expect_error(const char *json, const char *message)
{
	char *text = dq(json), err[PN_RULES_ERRBUF_SIZE];
	struct pn_ruleset *rs = (struct pn_ruleset *)1;
	int rc = pn_rules_parse_nft(text, strlen(text), "t.json", &rs, err);
	free(text);
	assert_int_equal(rc, -1);
	assert_null(rs);
	assert_string_equal(err, message);
}

static const struct pn_chain *chain(const struct pn_ruleset *rs,
				    const char *name)
{
	long i = pn_rules_find_chain(rs, name);
	if (i < 0)
		fail_msg("no chain %s", name);
	return &rs->chains[i];
}

/* Rule `number` (1-based) of a chain; its handle must be `handle`. */
static const struct pn_rule *rule(const struct pn_ruleset *rs,
				  const char *chain_name, uint32_t number,
				  uint64_t handle)
{
	const struct pn_chain *c = chain(rs, chain_name);
	assert_true(number >= 1 && number <= c->n_rules);
	const struct pn_rule *r = &rs->rules[c->first + number - 1];
	assert_int_equal(r->number, number);
	assert_int_equal(r->handle, handle);
	return r;
}

static void expect_ports(const struct pn_port_match *m, bool negate,
			 const char *want)
{
	char buf[256] = "";
	size_t n = 0;
	for (uint32_t i = 0; i < m->n; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%u-%u",
				      i ? "," : "", m->ranges[i].lo,
				      m->ranges[i].hi);
	assert_string_equal(buf, want);
	assert_int_equal(m->negate, negate);
}

static void expect_prefixes(const struct pn_addr_match *m, bool negate,
			    const char *a, const char *b)
{
	assert_int_equal(m->n, b ? 2 : a ? 1 : 0);
	assert_int_equal(m->negate, negate);
	const char *want[2] = {a, b};
	for (uint32_t i = 0; i < m->n; i++) {
		struct pn_prefix p;
		assert_true(pn_prefix_parse(want[i], &p));
		assert_memory_equal(m->prefixes[i].addr, p.addr, 16);
		assert_int_equal(m->prefixes[i].len, p.len);
		assert_int_equal(m->prefixes[i].family, p.family);
	}
}

static void expect_unmodeled(const struct pn_rule *r, const char *a,
			     const char *b)
{
	assert_int_equal(r->n_unmodeled, b ? 2 : a ? 1 : 0);
	if (a)
		assert_string_equal(r->unmodeled[0], a);
	if (b)
		assert_string_equal(r->unmodeled[1], b);
}

/* The first packet of a flow. */
static struct pn_rule_packet pkt(const char *src, const char *dst,
				 uint8_t proto, uint16_t sport, uint16_t dport,
				 uint8_t ct, const char *iif)
{
	struct pn_rule_packet p;
	struct pn_prefix a, b;
	memset(&p, 0, sizeof p);
	assert_true(pn_prefix_parse(src, &a));
	assert_true(pn_prefix_parse(dst, &b));
	assert_int_equal(a.family, b.family);
	p.family = a.family;
	memcpy(p.saddr, a.addr, 16);
	memcpy(p.daddr, b.addr, 16);
	p.proto = proto;
	p.sport = sport;
	p.dport = dport;
	p.has_ports = proto == 6 || proto == 17 || proto == 136 ||
		      proto == 132 || proto == 33;
	p.ctstate = ct;
	p.iif = iif;
	return p;
}

/* Evaluates through `hook`; handle 0: the policy of `policy_chain`
 * decided. */
static void expect_verdict(const struct pn_ruleset *rs, enum pn_hook hook,
			   struct pn_rule_packet p, enum pn_verdict v,
			   uint64_t handle, const char *policy_chain)
{
	struct pn_rule_result res;
	assert_true(pn_rules_evaluate(rs, hook, -1, &p, &res));
	assert_false(res.undetermined);
	assert_string_equal(pn_verdict_name(res.verdict), pn_verdict_name(v));
	if (handle) {
		assert_true(res.rule >= 0);
		assert_int_equal(rs->rules[res.rule].handle, handle);
		assert_int_equal(res.chain, -1);
	} else {
		assert_int_equal(res.rule, -1);
		assert_int_equal(res.chain,
				 pn_rules_find_chain(rs, policy_chain));
	}
}

static void expect_undetermined(const struct pn_ruleset *rs, long chain_index,
				struct pn_rule_packet p, uint64_t handle)
{
	struct pn_rule_result res;
	assert_true(
	    pn_rules_evaluate(rs, PN_HOOK_INPUT, chain_index, &p, &res));
	assert_true(res.undetermined);
	assert_true(res.rule >= 0);
	assert_int_equal(rs->rules[res.rule].handle, handle);
}

/* host.json: a host firewall */

static void host_chains(void **state)
{
	(void)state;
	struct pn_ruleset *rs = load(NFT_DIR "host.json");
	assert_string_equal(rs->source, NFT_DIR "host.json");
	assert_int_equal(rs->n_chains, 4);
	assert_int_equal(rs->n_rules, 14);
	const char *names[] = {"ssh_rules", "input", "forward", "output"};
	enum pn_hook hooks[] = {PN_HOOK_NONE, PN_HOOK_INPUT, PN_HOOK_FORWARD,
				PN_HOOK_OUTPUT};
	enum pn_verdict policies[] = {PN_VERDICT_NONE, PN_VERDICT_DROP,
				      PN_VERDICT_DROP, PN_VERDICT_ACCEPT};
	uint32_t counts[] = {2, 12, 0, 0};
	for (int i = 0; i < 4; i++) {
		const struct pn_chain *c = &rs->chains[i];
		assert_string_equal(c->table, "inet filter");
		assert_string_equal(c->name, names[i]);
		assert_int_equal(c->family, PN_FAMILY_BOTH);
		assert_int_equal(c->hook, hooks[i]);
		assert_int_equal(c->priority, 0);
		assert_int_equal(c->policy, policies[i]);
		assert_int_equal(c->n_rules, counts[i]);
		assert_int_equal(c->line, 0);
	}
	assert_int_equal(pn_rules_find_chain(rs, "inet filter/input"), 1);
	pn_ruleset_free(rs);
}

static void host_rules(void **state)
{
	(void)state;
	struct pn_ruleset *rs = load(NFT_DIR "host.json");
	const char *in = "inet filter/input";

	const struct pn_rule *r = rule(rs, "ssh_rules", 1, 7);
	assert_int_equal(r->family, PN_FAMILY_IPV4);
	assert_int_equal(r->proto, PN_PROTO_ANY);
	expect_prefixes(&r->saddr, false, "203.0.113.0/24", NULL);
	assert_int_equal(r->verdict, PN_VERDICT_RETURN);
	assert_string_equal(r->text, "ip saddr 203.0.113.0/24 return");
	assert_null(r->comment);

	r = rule(rs, "ssh_rules", 2, 8);
	assert_int_equal(r->family, PN_FAMILY_BOTH);
	assert_int_equal(r->proto, 6);
	expect_ports(&r->dport, false, "22-22");
	expect_ports(&r->sport, false, "");
	assert_int_equal(r->verdict, PN_VERDICT_ACCEPT);
	assert_string_equal(r->comment, "ssh from anywhere else");
	assert_string_equal(
	    r->text,
	    "tcp dport 22 counter accept comment \"ssh from anywhere else\"");
	expect_unmodeled(r, NULL, NULL); /* counter is ignored */

	r = rule(rs, in, 1, 9);
	assert_int_equal(r->ctstate, PN_CT_ESTABLISHED | PN_CT_RELATED);
	assert_false(r->ctstate_negate);
	assert_int_equal(r->proto, PN_PROTO_ANY);
	assert_string_equal(r->text, "ct state established,related accept");

	r = rule(rs, in, 2, 10);
	assert_int_equal(r->ctstate, PN_CT_INVALID);
	assert_int_equal(r->verdict, PN_VERDICT_DROP);

	r = rule(rs, in, 3, 11);
	assert_string_equal(r->iif.name, "lo");
	assert_false(r->iif.wildcard);
	assert_false(r->iif.negate);
	assert_string_equal(r->oif.name, "");
	assert_string_equal(r->text, "iifname \"lo\" accept");

	r = rule(rs, in, 4, 12);
	assert_int_equal(r->family, PN_FAMILY_IPV4);
	assert_int_equal(r->proto, 6);
	expect_ports(&r->dport, false, "22-22");
	expect_prefixes(&r->saddr, false, "10.0.0.0/8", NULL);
	assert_int_equal(r->saddr.prefixes[0].len, 104);
	expect_prefixes(&r->daddr, false, NULL, NULL);
	assert_string_equal(r->text, "tcp dport 22 ip saddr 10.0.0.0/8 accept");

	r = rule(rs, in, 5, 14);
	expect_ports(&r->dport, false, "80-80,443-443");
	assert_string_equal(r->text, "tcp dport { 80, 443 } accept");

	r = rule(rs, in, 6, 15);
	assert_int_equal(r->proto, 17);
	expect_ports(&r->dport, false, "6000-6063");
	assert_int_equal(r->verdict, PN_VERDICT_ACCEPT);
	assert_string_equal(r->text, "udp dport 6000-6063 counter log prefix "
				     "\"x11 \" accept");
	expect_unmodeled(r, NULL, NULL);

	/* Named sets, expanded. */
	r = rule(rs, in, 7, 16);
	expect_ports(&r->dport, false, "2222-2222,8000-8080");
	expect_prefixes(&r->saddr, false, "192.0.2.0/24", "198.51.100.7");
	assert_string_equal(r->text,
			    "tcp dport @admin_ports ip saddr @trusted accept");

	r = rule(rs, in, 8, 17);
	assert_int_equal(r->family, PN_FAMILY_IPV6);
	assert_int_equal(r->proto, 58);

	r = rule(rs, in, 9, 18);
	assert_int_equal(r->family, PN_FAMILY_BOTH);
	assert_int_equal(r->proto, 1);
	assert_string_equal(r->text, "meta l4proto icmp accept");

	r = rule(rs, in, 10, 19);
	assert_int_equal(r->verdict, PN_VERDICT_JUMP);
	assert_int_equal(r->target, pn_rules_find_chain(rs, "ssh_rules"));
	assert_string_equal(r->text, "tcp dport 22 jump ssh_rules");

	/* "udp sport != 53": UDP, any source port but 53. */
	r = rule(rs, in, 11, 20);
	assert_string_equal(r->iif.name, "eth");
	assert_true(r->iif.wildcard);
	assert_int_equal(r->proto, 17);
	assert_false(r->proto_negate);
	expect_ports(&r->sport, true, "53-53");
	assert_string_equal(r->text, "iifname \"eth*\" udp sport != 53 drop");

	r = rule(rs, in, 12, 21);
	assert_int_equal(r->verdict, PN_VERDICT_REJECT);
	assert_int_equal(r->proto, PN_PROTO_ANY);
	assert_string_equal(r->text, "reject with icmpx admin-prohibited");
	pn_ruleset_free(rs);
}

static void host_evaluate(void **state)
{
	(void)state;
	struct pn_ruleset *rs = load(NFT_DIR "host.json");
	const enum pn_hook IN = PN_HOOK_INPUT;
	const char *me = "192.0.2.1";
	expect_verdict(
	    rs, IN,
	    pkt("198.51.100.9", me, 6, 443, 40000, PN_CT_ESTABLISHED, "eth0"),
	    PN_VERDICT_ACCEPT, 9, NULL);
	expect_verdict(rs, IN,
		       pkt("198.51.100.9", me, 6, 1, 2, PN_CT_INVALID, "eth0"),
		       PN_VERDICT_DROP, 10, NULL);
	expect_verdict(rs, IN, pkt(me, me, 17, 5, 9999, PN_CT_NEW, "lo"),
		       PN_VERDICT_ACCEPT, 11, NULL);
	expect_verdict(rs, IN,
		       pkt("10.1.2.3", me, 6, 40000, 22, PN_CT_NEW, "eth0"),
		       PN_VERDICT_ACCEPT, 12, NULL);
	/* ssh from elsewhere: jump to ssh_rules, accepted there. */
	expect_verdict(rs, IN,
		       pkt("198.51.100.1", me, 6, 40000, 22, PN_CT_NEW, "eth0"),
		       PN_VERDICT_ACCEPT, 8, NULL);
	/* ssh from 203.0.113.0/24: return from ssh_rules, on to the final
	 * reject. */
	expect_verdict(rs, IN,
		       pkt("203.0.113.5", me, 6, 40000, 22, PN_CT_NEW, "eth0"),
		       PN_VERDICT_REJECT, 21, NULL);
	expect_verdict(
	    rs, IN, pkt("198.51.100.1", me, 6, 40000, 443, PN_CT_NEW, "eth0"),
	    PN_VERDICT_ACCEPT, 14, NULL);
	expect_verdict(
	    rs, IN, pkt("198.51.100.1", me, 17, 40000, 6010, PN_CT_NEW, "eth0"),
	    PN_VERDICT_ACCEPT, 15, NULL);
	expect_verdict(
	    rs, IN, pkt("198.51.100.7", me, 6, 40000, 8080, PN_CT_NEW, "eth0"),
	    PN_VERDICT_ACCEPT, 16, NULL);
	expect_verdict(
	    rs, IN, pkt("198.51.100.8", me, 6, 40000, 8080, PN_CT_NEW, "eth0"),
	    PN_VERDICT_REJECT, 21, NULL);
	expect_verdict(
	    rs, IN,
	    pkt("2001:db8::1", "2001:db8::2", 58, 0, 0, PN_CT_NEW, "eth0"),
	    PN_VERDICT_ACCEPT, 17, NULL);
	expect_verdict(
	    rs, IN, pkt("198.51.100.1", me, 17, 1234, 9999, PN_CT_NEW, "eth0"),
	    PN_VERDICT_DROP, 20, NULL);
	expect_verdict(rs, IN,
		       pkt("198.51.100.1", me, 17, 53, 9999, PN_CT_NEW, "eth0"),
		       PN_VERDICT_REJECT, 21, NULL);
	/* Interface unknown: "eth*" does not match. */
	expect_verdict(rs, IN,
		       pkt("198.51.100.1", me, 17, 1234, 9999, PN_CT_NEW, NULL),
		       PN_VERDICT_REJECT, 21, NULL);
	/* Empty chains: their policies. */
	expect_verdict(rs, PN_HOOK_FORWARD,
		       pkt("10.0.0.1", "10.0.0.2", 6, 1, 22, PN_CT_NEW, NULL),
		       PN_VERDICT_DROP, 0, "inet filter/forward");
	expect_verdict(rs, PN_HOOK_OUTPUT,
		       pkt(me, "10.0.0.2", 6, 1, 22, PN_CT_NEW, NULL),
		       PN_VERDICT_ACCEPT, 0, "inet filter/output");
	struct pn_rule_result res;
	struct pn_rule_packet p = pkt(me, me, 6, 1, 2, PN_CT_NEW, NULL);
	assert_false(pn_rules_evaluate(rs, PN_HOOK_PREROUTING, -1, &p, &res));
	pn_ruleset_free(rs);
}

/* pair.json: ip and ip6 tables, and an inet table at an earlier
 * priority. */
static void pair_tables(void **state)
{
	(void)state;
	struct pn_ruleset *rs = load(NFT_DIR "pair.json");
	assert_int_equal(rs->n_chains, 3);
	const struct pn_chain *c4 = chain(rs, "ip fw4/input"),
			      *c6 = chain(rs, "ip6 fw6/input"),
			      *ce = chain(rs, "inet early/input");
	assert_int_equal(c4->family, PN_FAMILY_IPV4);
	assert_int_equal(c6->family, PN_FAMILY_IPV6);
	assert_int_equal(ce->family, PN_FAMILY_BOTH);
	assert_int_equal(c4->hook, PN_HOOK_INPUT);
	assert_int_equal(c6->hook, PN_HOOK_INPUT);
	assert_int_equal(c4->priority, 0);
	assert_int_equal(ce->priority, -10);
	assert_int_equal(c4->policy, PN_VERDICT_DROP);
	assert_int_equal(ce->policy, PN_VERDICT_ACCEPT);
	/* "input" alone is ambiguous across tables. */
	assert_int_equal(pn_rules_find_chain(rs, "input"), -1);

	/* A rule inherits its table's family. */
	const struct pn_rule *r = rule(rs, "ip fw4/input", 1, 2);
	assert_int_equal(r->family, PN_FAMILY_IPV4);
	r = rule(rs, "ip6 fw6/input", 1, 2);
	assert_int_equal(r->family, PN_FAMILY_IPV6);
	r = rule(rs, "ip6 fw6/input", 2, 3);
	expect_prefixes(&r->saddr, false, "2001:db8::/32", NULL);
	expect_ports(&r->dport, false, "443-443");
	assert_string_equal(r->text,
			    "ip6 saddr 2001:db8::/32 tcp dport 443 accept");
	r = rule(rs, "inet early/input", 1, 2);
	assert_int_equal(r->family, PN_FAMILY_BOTH);

	const enum pn_hook IN = PN_HOOK_INPUT;
	/* The early chain drops telnet before either family's table. */
	expect_verdict(rs, IN,
		       pkt("192.0.2.7", "10.0.0.1", 6, 1, 23, PN_CT_NEW, NULL),
		       PN_VERDICT_DROP, 2, NULL);
	expect_verdict(rs, IN,
		       pkt("192.0.2.7", "10.0.0.1", 6, 1, 80, PN_CT_NEW, NULL),
		       PN_VERDICT_ACCEPT, 3, NULL);
	expect_verdict(
	    rs, IN, pkt("198.51.100.7", "10.0.0.1", 6, 1, 80, PN_CT_NEW, NULL),
	    PN_VERDICT_DROP, 0, "ip fw4/input");
	expect_verdict(
	    rs, IN,
	    pkt("2001:db8::1", "2001:db8::2", 6, 1, 443, PN_CT_NEW, NULL),
	    PN_VERDICT_ACCEPT, 3, NULL);
	expect_verdict(
	    rs, IN,
	    pkt("2001:db9::1", "2001:db8::2", 6, 1, 443, PN_CT_NEW, NULL),
	    PN_VERDICT_DROP, 0, "ip6 fw6/input");
	pn_ruleset_free(rs);
}

/* nat.json: nat and route chains are kept but hook none; bridge and
 * netdev tables are parsed, never evaluated. */
static void nat_and_other_families(void **state)
{
	(void)state;
	struct pn_ruleset *rs = load(NFT_DIR "nat.json");
	assert_int_equal(rs->n_chains, 6);
	const struct pn_chain *pre = chain(rs, "ip nat/prerouting"),
			      *post = chain(rs, "ip nat/postrouting"),
			      *fwd = chain(rs, "ip nat/forward"),
			      *mangle = chain(rs, "ip nat/mangle_out"),
			      *br = chain(rs, "bridge br/forward"),
			      *nd = chain(rs, "netdev nd/ingress");
	assert_int_equal(pre->hook, PN_HOOK_NONE);
	assert_int_equal(pre->priority, -100);
	assert_int_equal(post->hook, PN_HOOK_NONE);
	assert_int_equal(post->priority, 100);
	assert_int_equal(mangle->hook, PN_HOOK_NONE);
	assert_int_equal(mangle->priority, -150);
	assert_int_equal(fwd->hook, PN_HOOK_FORWARD);
	assert_int_equal(fwd->policy, PN_VERDICT_DROP);
	assert_int_equal(br->family, 0);
	assert_int_equal(br->hook, PN_HOOK_NONE);
	assert_int_equal(nd->family, 0);
	assert_int_equal(nd->hook, PN_HOOK_NONE);

	const struct pn_rule *r = rule(rs, "ip nat/prerouting", 1, 5);
	expect_ports(&r->dport, false, "8080-8080");
	expect_unmodeled(r, "dnat to 10.0.0.2:80", NULL);
	assert_int_equal(r->verdict, PN_VERDICT_NONE);
	r = rule(rs, "ip nat/postrouting", 1, 6);
	assert_string_equal(r->oif.name, "eth0");
	expect_unmodeled(r, "masquerade", NULL);
	r = rule(rs, "ip nat/mangle_out", 1, 9);
	expect_unmodeled(r, NULL, NULL);
	assert_string_equal(r->text, "meta mark set 0x1");
	r = rule(rs, "ip nat/forward", 2, 8);
	assert_string_equal(r->iif.name, "eth1");
	assert_string_equal(r->oif.name, "eth0");
	r = rule(rs, "bridge br/forward", 1, 2);
	expect_unmodeled(r, "ether type arp", NULL);
	r = rule(rs, "netdev nd/ingress", 1, 2);
	assert_int_equal(r->verdict, PN_VERDICT_DROP);

	/* Only the filter chain takes part: the bridge's forward chain and
	 * its accept policy are not evaluated. */
	struct pn_rule_packet p =
	    pkt("10.0.0.5", "192.0.2.9", 6, 40000, 80, PN_CT_NEW, "eth1");
	p.oif = "eth0";
	expect_verdict(rs, PN_HOOK_FORWARD, p, PN_VERDICT_ACCEPT, 8, NULL);
	p.oif = "eth2";
	expect_verdict(rs, PN_HOOK_FORWARD, p, PN_VERDICT_DROP, 0,
		       "ip nat/forward");
	struct pn_rule_result res;
	assert_false(pn_rules_evaluate(rs, PN_HOOK_PREROUTING, -1, &p, &res));
	assert_false(pn_rules_evaluate(rs, PN_HOOK_POSTROUTING, -1, &p, &res));
	pn_ruleset_free(rs);
}

/* unmodeled.json: statements and matches portnote does not evaluate. */
static void unmodeled_statements(void **state)
{
	(void)state;
	struct pn_ruleset *rs = load(NFT_DIR "unmodeled.json");
	const char *in = "inet u/input";
	const struct pn_rule *r = rule(rs, in, 1, 3);
	expect_unmodeled(r, "limit rate 10/second", NULL);
	assert_int_equal(r->proto, 6); /* tcp flags implies TCP */
	assert_int_equal(r->tcp_mask, 0x02);
	assert_int_equal(r->tcp_cmp, 0x02);
	assert_false(r->tcp_negate);
	assert_int_equal(r->verdict, PN_VERDICT_ACCEPT);
	r = rule(rs, in, 2, 4);
	expect_unmodeled(r, NULL, NULL);
	assert_int_equal(r->tcp_mask, 0x12);
	assert_int_equal(r->tcp_cmp, 0x02);
	r = rule(rs, in, 3, 5);
	expect_unmodeled(r, "meta mark 0x1", NULL);
	assert_int_equal(r->proto, PN_PROTO_ANY);
	r = rule(rs, in, 4, 7);
	expect_unmodeled(r, "tcp dport vmap { 22 : accept, 23 : drop }", NULL);
	assert_int_equal(r->proto, 6);
	assert_int_equal(r->dport.n, 0);
	assert_int_equal(r->verdict, PN_VERDICT_NONE);
	r = rule(rs, in, 5, 8);
	expect_unmodeled(r, "tcp dport vmap @portmap", NULL);
	r = rule(rs, in, 6, 9);
	expect_unmodeled(r, NULL, NULL);
	assert_true(r->has_icmp);
	assert_int_equal(r->icmp_types[0], 1ull << 8);
	assert_int_equal(r->family, PN_FAMILY_IPV4);
	assert_int_equal(r->proto, 1);
	r = rule(rs, in, 7, 10);
	expect_unmodeled(r, "limit rate over 5/minute burst 10 packets", NULL);
	r = rule(rs, in, 8, 11);
	expect_unmodeled(r, "quota over 100 mbytes", NULL);
	r = rule(rs, in, 9, 12);
	expect_unmodeled(r, NULL, NULL);

	long c = pn_rules_find_chain(rs, in);
	/* TCP stops at the first rule; UDP passes the TCP-only ones and
	 * stops at the mark; so does ICMPv6. */
	expect_undetermined(
	    rs, -1, pkt("10.0.0.1", "10.0.0.2", 6, 1, 22, PN_CT_NEW, NULL), 3);
	expect_undetermined(
	    rs, c, pkt("10.0.0.1", "10.0.0.2", 17, 1, 53, PN_CT_NEW, NULL), 5);
	expect_undetermined(
	    rs, c, pkt("2001:db8::1", "2001:db8::2", 58, 0, 0, PN_CT_NEW, NULL),
	    5);
	pn_ruleset_free(rs);
}

/* matches.json: each match form the model holds, and where it stops. */
static void match_forms(void **state)
{
	(void)state;
	struct pn_ruleset *rs = load(NFT_DIR "matches.json");
	const char *c = "inet m/c";
	const struct pn_rule *r = rule(rs, c, 1, 10);
	expect_ports(&r->dport, false, "0-1023");
	assert_string_equal(r->text, "tcp dport < 1024 accept");
	r = rule(rs, c, 2, 11);
	expect_ports(&r->dport, false, "8000-65535");
	r = rule(rs, c, 3, 13);
	expect_ports(&r->dport, true, "22-22,80-80");
	assert_int_equal(r->proto, 6);
	r = rule(rs, c, 4, 14); /* th: ports without a protocol */
	expect_ports(&r->dport, false, "53-53");
	assert_int_equal(r->proto, PN_PROTO_ANY);
	r = rule(rs, c, 5, 15);
	assert_int_equal(r->proto, 132);
	r = rule(rs, c, 6, 16);
	assert_int_equal(r->proto, 33);
	expect_ports(&r->sport, false, "10-10");
	r = rule(rs, c, 7, 17);
	assert_int_equal(r->proto, 136);
	r = rule(rs, c, 8, 18);
	assert_int_equal(r->proto, 47);
	assert_true(r->proto_negate);
	r = rule(rs, c, 9, 19);
	assert_int_equal(r->proto, 50);
	assert_int_equal(r->family, PN_FAMILY_IPV4);
	r = rule(rs, c, 10, 20);
	assert_int_equal(r->proto, 51);
	assert_int_equal(r->family, PN_FAMILY_IPV6);
	r = rule(rs, c, 11, 22); /* a protocol set */
	expect_unmodeled(r, NULL, NULL);
	assert_int_equal(r->proto, PN_PROTO_ANY);
	assert_true(r->has_proto_set);
	assert_true(pn_rule_has_proto(r, 6));
	assert_true(pn_rule_has_proto(r, 17));
	assert_false(pn_rule_has_proto(r, 132));
	r = rule(rs, c, 12, 23);
	assert_int_equal(r->family, PN_FAMILY_IPV6);
	r = rule(rs, c, 13, 24);
	assert_int_equal(r->family, PN_FAMILY_IPV6);
	r = rule(rs, c, 14, 25); /* a range that is a prefix */
	expect_prefixes(&r->saddr, false, "10.0.0.0/24", NULL);
	expect_unmodeled(r, NULL, NULL);
	r = rule(rs, c, 15, 26);
	expect_unmodeled(r, "ip saddr 10.0.0.1-10.0.0.9", NULL);
	assert_int_equal(r->saddr.n, 0);
	assert_int_equal(r->family, PN_FAMILY_IPV4);
	r = rule(rs, c, 16, 28);
	expect_prefixes(&r->saddr, true, "10.0.0.0/8", "172.16.0.0/12");
	r = rule(rs, c, 17, 29); /* elements with comments */
	expect_prefixes(&r->saddr, false, "10.1.1.1", "10.2.2.2");
	r = rule(rs, c, 18, 30);
	expect_prefixes(&r->saddr, false, "::1", "2001:db8::/32");
	r = rule(rs, c, 19, 31);
	expect_prefixes(&r->daddr, false, "2001:db8::1", NULL);
	/* An empty set: the positive match can never hold; the negated one
	 * always does. */
	r = rule(rs, c, 20, 32);
	assert_int_equal(r->family, 0);
	expect_unmodeled(r, NULL, NULL);
	r = rule(rs, c, 21, 33);
	assert_int_equal(r->family, PN_FAMILY_IPV4);
	assert_int_equal(r->saddr.n, 0);
	/* A set filled by the packet path, and one of non-prefix ranges. */
	r = rule(rs, c, 22, 34);
	expect_unmodeled(r, "ip saddr @blocked", NULL);
	r = rule(rs, c, 23, 35);
	expect_unmodeled(r, "ip saddr @spans", NULL);
	r = rule(rs, c, 24, 36); /* "add @blocked" itself is no match */
	expect_unmodeled(r, NULL, NULL);
	assert_int_equal(r->ctstate, PN_CT_NEW);
	assert_string_equal(
	    r->text,
	    "tcp dport 22 ct state new add @blocked { ip saddr } accept");
	r = rule(rs, c, 25, 37);
	assert_string_equal(r->iif.name, "lo");
	r = rule(rs, c, 26, 38);
	assert_string_equal(r->oif.name, "lo");
	r = rule(rs, c, 27, 39);
	assert_string_equal(r->oif.name, "eth0");
	r = rule(rs, c, 28, 40);
	assert_string_equal(r->iif.name, "wg");
	assert_true(r->iif.wildcard);
	assert_true(r->iif.negate);
	r = rule(rs, c, 29, 41);
	assert_string_equal(r->iif.name, "eth0");
	assert_string_equal(r->text, "iifname @ifs accept");
	r = rule(rs, c, 30, 43);
	expect_unmodeled(r, "iifname { \"a\", \"b\" }", NULL);
	r = rule(rs, c, 31, 45);
	assert_int_equal(r->ctstate, PN_CT_NEW | PN_CT_UNTRACKED);
	r = rule(rs, c, 32, 46);
	assert_int_equal(r->ctstate, PN_CT_ESTABLISHED);
	assert_true(r->ctstate_negate);
	r = rule(rs, c, 33, 47);
	assert_int_equal(r->ctstate, PN_CT_NEW | PN_CT_ESTABLISHED);
	r = rule(rs, c, 34, 48); /* TCP and UDP at once: never */
	assert_int_equal(r->family, 0);
	r = rule(rs, c, 35, 49); /* not TCP, and UDP: UDP */
	assert_int_equal(r->proto, 17);
	assert_false(r->proto_negate);
	r = rule(rs, c, 36, 50);
	assert_int_equal(r->verdict, PN_VERDICT_NONE);
	expect_ports(&r->dport, false, "1-1024");
	r = rule(rs, c, 37, 51);
	assert_int_equal(r->verdict, PN_VERDICT_GOTO);
	assert_int_equal(r->target, pn_rules_find_chain(rs, "inet m/other"));
	r = rule(rs, c, 38, 52);
	assert_int_equal(r->verdict, PN_VERDICT_REJECT);
	assert_string_equal(r->text, "tcp dport 443 reject with tcp reset");
	r = rule(rs, c, 39, 53); /* a second match on one field */
	expect_prefixes(&r->saddr, false, "10.0.0.0/24", NULL);
	expect_unmodeled(r, "ip saddr 10.0.0.0/25", NULL);
	r = rule(rs, c, 40, 54); /* mark and notrack statements: ignored */
	expect_unmodeled(r, NULL, NULL);
	assert_int_equal(r->verdict, PN_VERDICT_ACCEPT);

	/* What "never" and the protocol merges mean for packets. */
	struct pn_rule_packet u53 =
	    pkt("10.0.0.1", "10.0.0.2", 17, 1, 53, PN_CT_NEW, NULL);
	struct pn_rule_packet t53 =
	    pkt("10.0.0.1", "10.0.0.2", 6, 1, 53, PN_CT_NEW, NULL);
	assert_false(pn_rule_matches(rs, rule(rs, c, 20, 32), &u53));
	assert_true(pn_rule_matches(rs, rule(rs, c, 21, 33), &u53));
	assert_false(pn_rule_matches(rs, rule(rs, c, 34, 48), &u53));
	assert_false(pn_rule_matches(rs, rule(rs, c, 34, 48), &t53));
	assert_true(pn_rule_matches(rs, rule(rs, c, 35, 49), &u53));
	assert_false(pn_rule_matches(rs, rule(rs, c, 35, 49), &t53));
	assert_true(pn_rule_matches(rs, rule(rs, c, 4, 14), &t53));
	assert_true(pn_rule_matches(rs, rule(rs, c, 4, 14), &u53));
	struct pn_rule_packet icmp =
	    pkt("10.0.0.1", "10.0.0.2", 1, 0, 0, PN_CT_NEW, NULL);
	icmp.dport = 53; /* a port without a transport that has ports */
	assert_false(pn_rule_matches(rs, rule(rs, c, 4, 14), &icmp));
	pn_ruleset_free(rs);
}

/* Small documents in the shape nft writes. */

#define HEAD                                                                   \
	"{'nftables': [{'metainfo': {'version': '1.0.6', "                     \
	"'json_schema_version': 1}}, "                                         \
	"{'table': {'family': 'inet', 'name': 'filter', 'handle': 1}}, "       \
	"{'chain': {'family': 'inet', 'table': 'filter', 'name': 'input', "    \
	"'handle': 1, 'type': 'filter', 'hook': 'input', 'prio': 0, "          \
	"'policy': 'drop'}}, "                                                 \
	"{'chain': {'family': 'inet', 'table': 'filter', 'name': 'u', "        \
	"'handle': 2}}, "                                                      \
	"{'set': {'family': 'inet', 'name': 'ports', 'table': 'filter', "      \
	"'type': 'inet_service', 'handle': 3, 'elem': [22, 70000]}}"
#define RULE(expr)                                                             \
	", {'rule': {'family': 'inet', 'table': 'filter', 'chain': 'input', "  \
	"'handle': 5, 'expr': [" expr "]}}"
#define TAIL "]}"
#define MATCH(left, right)                                                     \
	"{'match': {'op': '==', 'left': " left ", 'right': " right "}}"
#define TCP_DPORT "{'payload': {'protocol': 'tcp', 'field': 'dport'}}"
#define IP_SADDR "{'payload': {'protocol': 'ip', 'field': 'saddr'}}"
#define WHERE "t.json: rule handle 5 in inet filter/input: "

/* Objects listed in any order; objects portnote ignores. */
static void order_and_ignored_objects(void **state)
{
	(void)state;
	struct pn_ruleset *rs = parse_ok(
	    "{'nftables': ["
	    "{'rule': {'family': 'ip', 'table': 't', 'chain': 'in', "
	    "'handle': 4, 'expr': [{'jump': {'target': 'later'}}]}}, "
	    "{'flowtable': {'family': 'ip', 'name': 'ft', 'table': 't', "
	    "'handle': 2, 'hook': 'ingress', 'prio': 0, 'dev': 'lo'}}, "
	    "{'ct helper': {'family': 'ip', 'name': 'ftp', 'table': 't', "
	    "'handle': 7, 'type': 'ftp', 'protocol': 'tcp', 'l3proto': "
	    "'ip'}}, "
	    "{'counter': {'family': 'ip', 'name': 'c', 'table': 't', "
	    "'handle': 8, 'packets': 0, 'bytes': 0}}, "
	    "{'quota': {'family': 'ip', 'name': 'q', 'table': 't', 'handle': "
	    "9, 'bytes': 1, 'used': 0, 'inv': true}}, "
	    "{'limit': {'family': 'ip', 'name': 'l', 'table': 't', 'handle': "
	    "10, 'rate': 10, 'per': 'second', 'burst': 5}}, "
	    "{'chain': {'family': 'ip', 'table': 't', 'name': 'in', 'handle': "
	    "1, 'type': 'filter', 'hook': 'input', 'prio': 'filter + 5'}}, "
	    "{'chain': {'family': 'ip', 'table': 't', 'name': 'later', "
	    "'handle': 3}}, "
	    "{'table': {'family': 'ip', 'name': 't', 'handle': 1}}]}");
	assert_int_equal(rs->n_chains, 2);
	const struct pn_chain *in = chain(rs, "ip t/in");
	assert_int_equal(in->priority, 5);
	assert_int_equal(in->policy, PN_VERDICT_ACCEPT); /* the default */
	const struct pn_rule *r = rule(rs, "ip t/in", 1, 4);
	assert_int_equal(r->verdict, PN_VERDICT_JUMP);
	assert_int_equal(r->target, pn_rules_find_chain(rs, "ip t/later"));
	assert_int_equal(rs->chains[r->target].policy, PN_VERDICT_NONE);
	/* Into the empty chain, back, off the end: the policy. */
	expect_verdict(rs, PN_HOOK_INPUT,
		       pkt("10.0.0.1", "10.0.0.2", 6, 1, 22, PN_CT_NEW, NULL),
		       PN_VERDICT_ACCEPT, 0, "ip t/in");
	pn_ruleset_free(rs);
}

/* Priorities by name, as nft -j -f accepts them. */
static void priority_names(void **state)
{
	(void)state;
	static const struct {
		const char *family, *prio;
		int want;
	} cases[] = {
	    {"inet", "'raw'", -300},	  {"inet", "'mangle'", -150},
	    {"inet", "'dstnat'", -100},	  {"inet", "'filter'", 0},
	    {"inet", "'security'", 50},	  {"inet", "'srcnat'", 100},
	    {"ip", "'filter - 10'", -10}, {"ip6", "'mangle+1'", -149},
	    {"inet", "'-7'", -7},	  {"bridge", "'filter'", -200},
	    {"bridge", "'dstnat'", -300}, {"inet", "-2147483647", -2147483647},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char doc[1024];
		snprintf(doc, sizeof doc,
			 "{'nftables': [{'table': {'family': '%s', 'name': "
			 "'t'}}, {'chain': {'family': '%s', 'table': 't', "
			 "'name': 'c', 'type': 'filter', 'hook': 'input', "
			 "'prio': %s, 'policy': 'drop'}}]}",
			 cases[i].family, cases[i].family, cases[i].prio);
		struct pn_ruleset *rs = parse_ok(doc);
		assert_int_equal(rs->chains[0].priority, cases[i].want);
		assert_int_equal(rs->chains[0].policy, PN_VERDICT_DROP);
		assert_int_equal(rs->chains[0].hook,
				 strcmp(cases[i].family, "bridge") == 0
				     ? PN_HOOK_NONE
				     : PN_HOOK_INPUT);
		pn_ruleset_free(rs);
	}
}

/* nft -j -S writes service names for ports; iptables-nft leaves xt
 * statements for what nft cannot say; a rule without a handle. */
// clang-format off
static const char services_doc[] =
	HEAD
	RULE(MATCH(TCP_DPORT, "{'set': ['ssh', '8080']}") ", {'accept': null}")
	RULE(MATCH("{'payload': {'protocol': 'udp', 'field': 'dport'}}",
		   "'domain'") ", {'accept': null}")
	RULE("{'xt': {'type': 'match', 'name': 'recent'}}, "
	     "{'counter': {'packets': 0, 'bytes': 0}}, {'drop': null}")
	RULE(MATCH(TCP_DPORT, "22") ", "
	     "{'xt': {'type': 'match', 'name': 'comment'}}, "
	     "{'xt': {'type': 'target', 'name': 'REJECT'}}")
	RULE("{'queue': {'num': 1}}")
	", {'rule': {'family': 'inet', 'table': 'filter', 'chain': 'u', "
	"'expr': [{'return': null}]}}"
	TAIL;
// clang-format on

static void services_xt_and_no_handle(void **state)
{
	(void)state;
	struct pn_ruleset *rs = parse_ok(services_doc);
	const char *in = "inet filter/input";
	const struct pn_rule *r = rule(rs, in, 1, 5);
	expect_ports(&r->dport, false, "22-22,8080-8080");
	assert_string_equal(r->text, "tcp dport { ssh, 8080 } accept");
	r = rule(rs, in, 2, 5);
	expect_ports(&r->dport, false, "53-53");
	assert_int_equal(r->proto, 17);
	r = rule(rs, in, 3, 5);
	expect_unmodeled(r, "xt match recent", NULL);
	assert_int_equal(r->verdict, PN_VERDICT_DROP);
	r = rule(rs, in, 4, 5); /* -m comment is harmless, -j REJECT not */
	expect_unmodeled(r, "xt target REJECT", NULL);
	r = rule(rs, in, 5, 5); /* queue hands the verdict to a program */
	expect_unmodeled(r, "queue num 1", NULL);
	assert_string_equal(r->text, "queue num 1");
	r = rule(rs, "inet filter/u", 1, 0);
	assert_int_equal(r->verdict, PN_VERDICT_RETURN);
	pn_ruleset_free(rs);
}

/* Forms nft accepts in JSON input that its listings rarely show. */
// clang-format off
static const char other_forms_doc[] =
	HEAD
	RULE(MATCH(IP_SADDR, "'10.0.0.0/8'") ", {'drop': null}")
	RULE(MATCH("{'meta': {'key': 'l4proto'}}", "{'set': ['tcp']}")
	     ", {'drop': null}")
	RULE("{'match': {'op': '!=', 'left': {'meta': {'key': 'l4proto'}}, "
	     "'right': 17}}, {'drop': null}")
	RULE(MATCH("{'ct': {'key': 'state'}}", "10") ", {'drop': null}")
	RULE(MATCH("{'meta': {'key': 'iifname'}}", "{'set': ['eth0']}")
	     ", {'drop': null}")
	RULE(MATCH("{'meta': {'key': 'iifname'}}", "'a\\\\*'")
	     ", {'drop': null}")
	RULE(MATCH("{'meta': {'key': 'iifname'}}", "'*'") ", {'drop': null}")
	RULE(MATCH(TCP_DPORT, "{'range': ['1000', 2000]}") ", {'drop': null}")
	TAIL;
// clang-format on

static void other_value_forms(void **state)
{
	(void)state;
	struct pn_ruleset *rs = parse_ok(other_forms_doc);
	const char *in = "inet filter/input";
	const struct pn_rule *r = rule(rs, in, 1, 5);
	expect_prefixes(&r->saddr, false, "10.0.0.0/8", NULL);
	r = rule(rs, in, 2, 5);
	assert_int_equal(r->proto, 6);
	r = rule(rs, in, 3, 5);
	assert_int_equal(r->proto, 17);
	assert_true(r->proto_negate);
	r = rule(rs, in, 4, 5); /* nft's bits: 2 established, 8 new */
	assert_int_equal(r->ctstate, PN_CT_ESTABLISHED | PN_CT_NEW);
	r = rule(rs, in, 5, 5);
	assert_string_equal(r->iif.name, "eth0");
	r = rule(rs, in, 6, 5); /* "a\*": a literal star */
	assert_string_equal(r->iif.name, "a*");
	assert_false(r->iif.wildcard);
	r = rule(rs, in, 7, 5); /* "*": every interface */
	assert_string_equal(r->iif.name, "");
	expect_unmodeled(r, NULL, NULL);
	r = rule(rs, in, 8, 5);
	expect_ports(&r->dport, false, "1000-2000");
	pn_ruleset_free(rs);
}

static void errors_document(void **state)
{
	(void)state;
	expect_error("{\n'nftables': [\n{'table' {}}]}",
		     "t.json:3: ':' expected near '{'");
	expect_error("", "t.json:1: '[' or '{' expected near end of file");
	expect_error("{'nftables': []} x",
		     "t.json:1: end of file expected near 'x'");
	const char *not_nft = "t.json: not nft JSON: expected an object with "
			      "an \"nftables\" array (nft -j list ruleset)";
	expect_error("[{'nftables': []}]", not_nft);
	expect_error("{'ruleset': []}", not_nft);
	expect_error("{'nftables': {}}", not_nft);
	expect_error("{'nftables': [1]}",
		     "t.json: nftables[0]: not an object with one member");
	expect_error("{'nftables': [{'table': {}, 'chain': {}}]}",
		     "t.json: nftables[0]: not an object with one member");
	expect_error("{'nftables': [{'add': {'table': {'family': 'ip', "
		     "'name': 't'}}}]}",
		     "t.json: nftables[0]: \"add\" is a command; expected the "
		     "output of nft -j list ruleset");
	expect_error("{'nftables': [{'metainfo': {}}, {'table': 7}]}",
		     "t.json: nftables[1]: \"table\" is not an object");
	/* An empty listing is a valid, empty ruleset. */
	struct pn_ruleset *rs = parse_ok("{'nftables': []}");
	assert_int_equal(rs->n_chains, 0);
	pn_ruleset_free(rs);
}

static void errors_declarations(void **state)
{
	(void)state;
	expect_error("{'nftables': [{'table': {'name': 't'}}]}",
		     "t.json: nftables[0]: missing \"family\"");
	expect_error("{'nftables': [{'table': {'family': 'ip', 'name': 3}}]}",
		     "t.json: nftables[0]: \"name\" is not a string");
	expect_error("{'nftables': [{'table': {'family': 'ipx', 'name': "
		     "'t'}}]}",
		     "t.json: table ipx t: unknown family \"ipx\"");
	expect_error("{'nftables': [{'table': {'family': 'ip', 'name': 't'}}, "
		     "{'table': {'family': 'ip', 'name': 't'}}]}",
		     "t.json: table ip t: declared twice");
	expect_error(HEAD ", {'chain': {'family': 'ip', 'table': 'filter', "
			  "'name': 'input'}}" TAIL,
		     "t.json: chain ip filter/input: unknown table ip filter");
	expect_error(HEAD ", {'chain': {'family': 'inet', 'table': 'filter', "
			  "'name': 'input'}}" TAIL,
		     "t.json: chain inet filter/input: declared twice");
	const char *chain_pre =
	    "{'nftables': [{'table': {'family': 'ip', 'name': 't'}}, "
	    "{'chain': {'family': 'ip', 'table': 't', 'name': 'c', ";
	char doc[512];
	static const struct {
		const char *members, *message;
	} cases[] = {
	    {"'hook': 'input', 'prio': 0", "missing \"type\""},
	    {"'type': 'filter', 'hook': 'input'",
	     "base chain without \"prio\""},
	    {"'type': 'filter', 'hook': 'input', 'prio': []",
	     "\"prio\" is not a number"},
	    {"'type': 'filter', 'hook': 'input', 'prio': 'filtr'",
	     "unknown priority \"filtr\""},
	    {"'type': 'filter', 'hook': 'input', 'prio': 'filter * 2'",
	     "unknown priority \"filter * 2\""},
	    {"'type': 'filter', 'hook': 'input', 'prio': 4294967296",
	     "priority 4294967296 out of range"},
	    {"'type': 'filter', 'hook': 'input', 'prio': 0, 'policy': "
	     "'reject'",
	     "unknown policy \"reject\""},
	    {"'type': 'filter', 'hook': 'input', 'prio': 0, 'policy': 1",
	     "\"policy\" is not a string"},
	    {"'type': 'filter', 'hook': 7, 'prio': 0",
	     "\"hook\" is not a string"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char want[256];
		snprintf(doc, sizeof doc, "%s%s}}]}", chain_pre,
			 cases[i].members);
		snprintf(want, sizeof want, "t.json: chain ip t/c: %s",
			 cases[i].message);
		expect_error(doc, want);
	}
	expect_error(HEAD ", {'set': {'family': 'inet', 'name': 's', 'table': "
			  "'nope', 'type': 'ipv4_addr'}}" TAIL,
		     "t.json: set inet nope/s: unknown table inet nope");
	expect_error(HEAD ", {'set': {'family': 'inet', 'name': 'ports', "
			  "'table': 'filter', 'type': 'ipv4_addr'}}" TAIL,
		     "t.json: set inet filter/ports: declared twice");
	expect_error(HEAD ", {'set': {'family': 'inet', 'name': 's', 'table': "
			  "'filter', 'elem': 1}}" TAIL,
		     "t.json: set inet filter/s: \"elem\" is not an array");
	expect_error(HEAD ", {'map': {'family': 'inet', 'name': 'm', 'table': "
			  "'filter', 'flags': 1}}" TAIL,
		     "t.json: map inet filter/m: \"flags\" is not an array");
}

static void errors_rules(void **state)
{
	(void)state;
	expect_error(HEAD ", {'rule': {'family': 'inet', 'table': 'nope', "
			  "'chain': 'input', 'handle': 5, 'expr': []}}" TAIL,
		     "t.json: rule handle 5 in inet nope/input: unknown table "
		     "inet nope");
	expect_error(HEAD ", {'rule': {'family': 'inet', 'table': 'filter', "
			  "'chain': 'nope', 'handle': 5, 'expr': []}}" TAIL,
		     "t.json: rule handle 5 in inet filter/nope: unknown "
		     "chain nope");
	expect_error(HEAD ", {'rule': {'family': 'inet', 'table': 'filter', "
			  "'chain': 'input', 'handle': 5}}" TAIL,
		     WHERE "missing \"expr\"");
	expect_error(HEAD ", {'rule': {'family': 'inet', 'table': 'filter', "
			  "'chain': 'input', 'handle': 5, 'expr': {}}}" TAIL,
		     WHERE "\"expr\" is not an array");
	expect_error(HEAD ", {'rule': {'family': 'inet', 'table': 'filter', "
			  "'chain': 'input', 'handle': 5, 'expr': [], "
			  "'comment': 1}}" TAIL,
		     WHERE "\"comment\" is not a string");
	expect_error(HEAD ", {'rule': {'family': 'inet', 'table': 'filter', "
			  "'chain': 'input', 'handle': 'x', 'expr': []}}" TAIL,
		     "t.json: nftables[5]: rule in inet filter/input: bad "
		     "\"handle\"");
	expect_error(HEAD ", {'rule': {'family': 'inet', 'table': 'filter', "
			  "'chain': 'input', 'expr': [{'accept': null}]}}, "
			  "{'rule': {'family': 'inet', 'table': 'filter', "
			  "'chain': 'input', 'expr': [1]}}" TAIL,
		     "t.json: rule 2 in inet filter/input: expr[0] is not an "
		     "object with one member");
	expect_error(HEAD RULE("{'jump': {'target': 'nope'}}") TAIL,
		     WHERE "jump to unknown chain \"nope\"");
	expect_error(HEAD RULE("{'goto': {'target': 'nope'}}") TAIL,
		     WHERE "goto to unknown chain \"nope\"");
	expect_error(HEAD RULE("{'jump': null}") TAIL,
		     WHERE "\"jump\" without a target");
	/* A jump into another table's chain of the same name. */
	expect_error(HEAD ", {'table': {'family': 'ip', 'name': 'other'}}, "
			  "{'chain': {'family': 'ip', 'table': 'other', "
			  "'name': 'x'}}" RULE("{'jump': {'target': 'x'}}")
			      TAIL,
		     WHERE "jump to unknown chain \"x\"");
}

static void errors_matches(void **state)
{
	(void)state;
	static const struct {
		const char *expr, *message;
	} cases[] = {
	    {"{'match': 1}", "\"match\" is not an object"},
	    {"{'match': {'op': '==', 'left': " TCP_DPORT "}}",
	     "match without \"left\" or \"right\""},
	    {"{'match': {'left': " TCP_DPORT ", 'right': 22}}",
	     "match without \"op\""},
	    {"{'match': {'op': '=~', 'left': " TCP_DPORT ", 'right': 22}}",
	     "unknown match operator \"=~\""},
	    {MATCH(TCP_DPORT, "70000"), "port 70000 out of range 0-65535"},
	    {MATCH(TCP_DPORT, "-1"), "port -1 out of range 0-65535"},
	    {MATCH(TCP_DPORT, "{'range': [1, 65536]}"),
	     "port 65536 out of range 0-65535"},
	    {MATCH(TCP_DPORT, "{'set': [22, 99999]}"),
	     "port 99999 out of range 0-65535"},
	    {MATCH(TCP_DPORT, "'@ports'"), "port 70000 out of range 0-65535"},
	    {MATCH(TCP_DPORT, "22.5"), "bad port value"},
	    {MATCH(TCP_DPORT, "'22x'"), "bad port \"22x\""},
	    {MATCH(TCP_DPORT, "'no-such-service-here'"),
	     "unknown service \"no-such-service-here\""},
	    {MATCH(TCP_DPORT, "'@nope'"), "unknown set \"@nope\""},
	    {MATCH(IP_SADDR, "'@nope'"), "unknown set \"@nope\""},
	    {MATCH("{'payload': {'protocol': 'tcp', 'field': 'flags'}}",
		   "'@nope'"),
	     "unknown set \"@nope\""},
	    {"{'vmap': {'key': " TCP_DPORT ", 'data': '@nope'}}",
	     "unknown set \"@nope\""},
	    {MATCH(TCP_DPORT, "{'set': 1}"), "\"set\" is not an array"},
	    {MATCH(TCP_DPORT, "{'set': [{'elem': {'comment': 'x'}}]}"),
	     "set element without \"val\""},
	    {MATCH(IP_SADDR, "'10.0.0.256'"),
	     "bad IPv4 address \"10.0.0.256\""},
	    {MATCH(IP_SADDR, "'2001:db8::1'"),
	     "bad IPv4 address \"2001:db8::1\""},
	    {MATCH("{'payload': {'protocol': 'ip6', 'field': 'daddr'}}",
		   "'10.0.0.1'"),
	     "bad IPv6 address \"10.0.0.1\""},
	    {MATCH(IP_SADDR, "'10.0.0.0/33'"),
	     "bad IPv4 address \"10.0.0.0/33\""},
	    {MATCH(IP_SADDR, "{'prefix': {'addr': '10.0.0.0', 'len': 33}}"),
	     "bad prefix length 33 for 10.0.0.0"},
	    {MATCH(IP_SADDR, "{'prefix': {'addr': '10.0.0.0/8', 'len': 8}}"),
	     "bad IPv4 address \"10.0.0.0/8\""},
	    {MATCH(IP_SADDR, "{'prefix': {'addr': '10.0.0.0'}}"), "bad prefix"},
	    {MATCH(IP_SADDR, "{'range': ['10.0.0.1', 5]}"),
	     "bad address range"},
	    {MATCH(IP_SADDR, "{'range': ['10.0.0.1', '::1']}"),
	     "bad IPv4 address \"::1\""},
	    {MATCH(IP_SADDR, "{'set': ['10.0.0.1', 'example.com']}"),
	     "bad IPv4 address \"example.com\""},
	    {MATCH(IP_SADDR, "7"), "bad IPv4 address value"},
	    {MATCH("{'meta': {'key': 'l4proto'}}", "300"),
	     "protocol 300 out of range 0-255"},
	    {MATCH("{'meta': {'key': 'l4proto'}}", "null"),
	     "bad protocol value"},
	    {MATCH("{'ct': {'key': 'state'}}", "'bogus'"),
	     "unknown ct state \"bogus\""},
	    {MATCH("{'ct': {'key': 'state'}}", "['new', 'bogus']"),
	     "unknown ct state \"bogus\""},
	    {MATCH("{'ct': {'key': 'state'}}", "16"), "unknown ct state 16"},
	    {MATCH("{'ct': {'key': 'state'}}", "true"), "bad ct state value"},
	    {MATCH("{'meta': {'key': 'iifname'}}", "'abcdefghijklmnopq'"),
	     "interface name \"abcdefghijklmnopq\" too long"},
	    {MATCH("{'meta': {'key': 'iifname'}}", "null"),
	     "bad interface name"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char doc[2048], want[PN_RULES_ERRBUF_SIZE];
		snprintf(doc, sizeof doc, "%s%s%s", HEAD,
			 ", {'rule': {'family': 'inet', 'table': 'filter', "
			 "'chain': 'input', 'handle': 5, 'expr': [",
			 "");
		size_t n = strlen(doc);
		snprintf(doc + n, sizeof doc - n, "%s, {'accept': null}]}}%s",
			 cases[i].expr, TAIL);
		snprintf(want, sizeof want, "%s%s", WHERE, cases[i].message);
		expect_error(doc, want);
	}
}

/* Every prefix of a real listing, and bytes changed in it: an error or a
 * ruleset, never a crash (ASan build) or a partial result. */
static void damaged_input(void **state)
{
	(void)state;
	FILE *f = fopen(NFT_DIR "host.json", "rb");
	assert_non_null(f);
	static char text[16384];
	size_t len = fread(text, 1, sizeof text, f);
	fclose(f);
	assert_true(len > 1000 && len < sizeof text);
	char err[PN_RULES_ERRBUF_SIZE];
	struct pn_ruleset *rs;
	size_t whole_len = len;
	while (whole_len && (text[whole_len - 1] == '\n'))
		whole_len--;
	for (size_t n = 0; n < whole_len; n++) {
		rs = (struct pn_ruleset *)1;
		assert_int_equal(pn_rules_parse_nft(text, n, "t", &rs, err),
				 -1);
		assert_null(rs);
		assert_int_equal(strncmp(err, "t:", 2), 0);
	}
	static const char bytes[] = "{}[]\",:0a@-/ ";
	uint32_t seed = 12345;
	unsigned ok = 0;
	for (int i = 0; i < 1500; i++) {
		char copy[sizeof text];
		memcpy(copy, text, len);
		for (int k = 0; k < 1 + i % 3; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % len;
			seed = seed * 1103515245u + 12345u;
			copy[at] = bytes[(seed >> 8) % (sizeof bytes - 1)];
		}
		rs = NULL;
		int rc = pn_rules_parse_nft(copy, len, "t", &rs, err);
		assert_true(rc == 0 ? rs != NULL : rs == NULL);
		ok += rc == 0;
		pn_ruleset_free(rs);
	}
	/* Some changes land in names or values and still parse. */
	assert_true(ok > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(host_chains),
	    cmocka_unit_test(host_rules),
	    cmocka_unit_test(host_evaluate),
	    cmocka_unit_test(pair_tables),
	    cmocka_unit_test(nat_and_other_families),
	    cmocka_unit_test(unmodeled_statements),
	    cmocka_unit_test(match_forms),
	    cmocka_unit_test(order_and_ignored_objects),
	    cmocka_unit_test(priority_names),
	    cmocka_unit_test(services_xt_and_no_handle),
	    cmocka_unit_test(other_value_forms),
	    cmocka_unit_test(errors_document),
	    cmocka_unit_test(errors_declarations),
	    cmocka_unit_test(errors_rules),
	    cmocka_unit_test(errors_matches),
	    cmocka_unit_test(damaged_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
