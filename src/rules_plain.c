/* rules_plain.c — portnote's plain rule list.
 *
 * The plain list is a quick way to write down what a host or a firewall is
 * meant to let through, one rule a line, first match wins:
 *
 *     # web server: ssh from the office, web from anywhere
 *     chain input policy deny
 *     allow tcp 22 from 192.0.2.0/24,2001:db8::/32   # office ssh
 *     allow tcp 80,443
 *     allow udp 443                                  # HTTP/3
 *     allow icmp
 *     allow any state established,related
 *     deny tcp 8000-8100 on !lo
 *
 *     chain output policy allow
 *     reject tcp 25
 *
 * Lines:
 *
 *     # a comment line
 *     chain input|forward|output [policy allow|deny]
 *     policy allow|deny
 *     VERDICT PROTO [PORTS] [OPTION...]  [# comment]
 *
 * - `chain` starts the rules of a chain (netfilter hook): input (packets to
 *   this host), forward (routed through it) or output (sent by it). Each
 *   chain may appear once. Rules before the first `chain` line, or in a file
 *   without one, belong to `input`; a file with no rule and no chain line
 *   still has an (empty) `input` chain.
 * - A chain's policy decides what no rule matched. It is `deny` unless the
 *   `chain` line or one `policy` line in the chain says `allow`: a plain
 *   list is an allow list, and what it does not allow is denied. A policy
 *   line before any `chain` line is the policy of `input`.
 * - VERDICT: `allow` (or `accept`), `deny` (or `drop`: dropped silently),
 *   `reject` (refused with an error sent back).
 * - PROTO: tcp, udp, udplite, sctp, dccp, icmp, icmpv6 (or ipv6-icmp), esp,
 *   ah, gre, an IP protocol number 0-255, or any (or all).
 * - PORTS: destination ports, a comma list of ports, ranges and service
 *   names (`80,443,8000-8100`, `ssh`, `https,imaps`: a name stands for
 *   the ports the registry lists for it on the rule's transport); only
 *   after tcp, udp, udplite, sctp or dccp.
 *   Without PORTS a rule matches every port.
 * - OPTIONs, in any order, each at most once:
 *     from PREFIX[,PREFIX...]  source address or network (IPv4 or IPv6,
 *                              `10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`)
 *     to PREFIX[,PREFIX...]    destination address or network
 *     sport PORTS              source ports, as PORTS above
 *     on IFACE                 arriving on interface IFACE
 *     out IFACE                leaving through interface IFACE
 *     state STATE[,STATE...]   connection state: new, established,
 *                              related, invalid, untracked
 *   An interface name ending in `+` matches every name that starts with
 *   the rest (`eth+`). A value starting with `!` negates it: `from
 *   !10.0.0.0/8` is any source outside 10.0.0.0/8, `on !lo` any interface
 *   but lo, `!22` any port but 22.
 * - A rule applies to IPv4 and IPv6 alike, unless its from/to addresses
 *   are all of one family.
 * - `#` starts a comment anywhere; a comment after a rule is kept as that
 *   rule's note in reports. Words are separated by spaces or tabs; keywords
 *   are not case-sensitive.
 */
#include "portnote/rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IFACE_MAX 15
#define MAX_WORDS 64

static const char *const chain_names[] = {"input", "forward", "output"};
static const enum pn_hook chain_hooks[] = {PN_HOOK_INPUT, PN_HOOK_FORWARD,
					   PN_HOOK_OUTPUT};

struct plain {
	const char *label;
	char *errbuf;
	const struct pn_registry *reg; /* service names as ports, or NULL */
	struct pn_ruleset *rs;
	uint32_t lineno;
	char *line;
	size_t line_cap;
	int cur;	   /* index into chain_names, -1 before any */
	long chain[3];	   /* ruleset chain per name, -1 if none yet */
	uint32_t where[3]; /* line that created it */
	bool implicit[3];  /* created by a rule or policy, not a chain line */
	bool policy_set[3];
};

__attribute__((format(printf, 2, 3))) static int fail(struct plain *p,
						      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pn_rules_verror(p->errbuf, p->label, p->lineno, fmt, ap);
	va_end(ap);
	return -1;
}

static int oom(struct plain *p)
{
	return fail(p, "out of memory");
}

static int add_chain(struct plain *p, int which, bool implicit)
{
	long c = pn_rules_add_chain(p->rs, "plain", chain_names[which],
				    PN_FAMILY_BOTH, chain_hooks[which], 0,
				    PN_VERDICT_DROP, p->lineno);
	if (c < 0)
		return oom(p);
	p->chain[which] = c;
	p->where[which] = p->lineno;
	p->implicit[which] = implicit;
	return 0;
}

/* The chain rules and policies go to now; input before any chain line. */
static int current(struct plain *p)
{
	if (p->cur < 0) {
		p->cur = 0;
		if (p->chain[0] < 0)
			return add_chain(p, 0, true);
	}
	return 0;
}

static int set_policy(struct plain *p, const char *v)
{
	enum pn_verdict pol;
	if (!strcasecmp(v, "allow") || !strcasecmp(v, "accept"))
		pol = PN_VERDICT_ACCEPT;
	else if (!strcasecmp(v, "deny") || !strcasecmp(v, "drop"))
		pol = PN_VERDICT_DROP;
	else
		return fail(p, "unknown policy '%s' (allow or deny)", v);
	if (p->policy_set[p->cur])
		return fail(p, "policy given twice for chain %s",
			    chain_names[p->cur]);
	p->policy_set[p->cur] = true;
	p->rs->chains[p->chain[p->cur]].policy = pol;
	return 0;
}

/* chain NAME [policy VALUE] */
static int chain_line(struct plain *p, char **w, size_t n)
{
	if (n < 2)
		return fail(p, "chain needs a name (input, forward or output)");
	int which = -1;
	for (int i = 0; i < 3; i++)
		if (!strcasecmp(w[1], chain_names[i]))
			which = i;
	if (which < 0)
		return fail(p, "unknown chain '%s' (input, forward or output)",
			    w[1]);
	if (p->chain[which] >= 0) {
		if (p->implicit[which])
			return fail(p,
				    "chain %s given after rules or a policy "
				    "that already went to it (line %u); "
				    "put 'chain %s' first",
				    chain_names[which], p->where[which],
				    chain_names[which]);
		return fail(p, "chain %s given twice (first on line %u)",
			    chain_names[which], p->where[which]);
	}
	if (n != 2 && !(n == 4 && !strcasecmp(w[2], "policy")))
		return fail(p, "expected 'chain %s [policy allow|deny]'",
			    chain_names[which]);
	if (add_chain(p, which, false) < 0)
		return -1;
	p->cur = which;
	return n == 4 ? set_policy(p, w[3]) : 0;
}

/* The ports the registry lists for service `name` on the transport of
 * IP protocol `proto` (UDP-Lite uses UDP's). */
static int service_ports(struct plain *p, const char *name, size_t n, int proto,
			 struct pn_port_match *m)
{
	char word[64];
	if (n >= sizeof word)
		return fail(p, "bad port '%.*s'", (int)n, name);
	memcpy(word, name, n);
	word[n] = '\0';
	int t = proto == 6		      ? PN_TCP
		: proto == 17 || proto == 136 ? PN_UDP
		: proto == 132		      ? PN_SCTP
					      : PN_DCCP;
	uint32_t before = m->n;
	for (long e = pn_registry_find_name(p->reg, word, 0); e >= 0;
	     e = pn_registry_find_name(p->reg, word, (uint32_t)e + 1)) {
		const struct pn_entry *en = &p->reg->entries[e];
		bool on_t =
		    en->transport == t || (en->transport == PN_TRANSPORT_NONE &&
					   (t == PN_TCP || t == PN_UDP));
		if ((en->flags & PN_E_NO_PORT) || !on_t)
			continue;
		if (!pn_rule_add_port(m, en->port_lo, en->port_hi))
			return oom(p);
	}
	if (m->n == before)
		return fail(p,
			    "'%s': no %s port is registered for a service of "
			    "that name",
			    word, pn_transport_name((enum pn_transport)t));
	return 0;
}

/* [!]N[-M][,...], where N may be a service name when a registry was
 * given ("ssh", "https,imaps"). */
static int parse_ports(struct plain *p, const char *v, int proto,
		       struct pn_port_match *m)
{
	const char *s = v;
	if (*s == '!') {
		m->negate = true;
		s++;
	}
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);
		const char *dash = memchr(s, '-', n);
		uint16_t lo, hi;
		if (p->reg && n &&
		    ((s[0] >= 'a' && s[0] <= 'z') ||
		     (s[0] >= 'A' && s[0] <= 'Z'))) {
			/* Service names hold '-' ("http-alt"): a name is one
			 * item whole. */
			if (service_ports(p, s, n, proto, m) < 0)
				return -1;
			if (!comma)
				return 0;
			s = comma + 1;
			continue;
		}
		if (!dash) {
			if (!pn_port_parse(s, n, &lo))
				return fail(p, "bad port '%.*s' in '%s'",
					    (int)n, s, v);
			hi = lo;
		} else {
			size_t a = (size_t)(dash - s);
			if (!pn_port_parse(s, a, &lo) ||
			    !pn_port_parse(dash + 1, n - a - 1, &hi))
				return fail(p, "bad port range '%.*s' in '%s'",
					    (int)n, s, v);
			if (lo > hi)
				return fail(p,
					    "bad port range '%.*s' (first "
					    "port above last)",
					    (int)n, s);
		}
		if (!pn_rule_add_port(m, lo, hi))
			return oom(p);
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

/* [!]PREFIX[,...]; *family gets the families the list holds. */
static int parse_prefixes(struct plain *p, const char *v,
			  struct pn_addr_match *m, uint8_t *family)
{
	const char *s = v;
	if (*s == '!') {
		m->negate = true;
		s++;
	}
	*family = 0;
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);
		char item[64];
		struct pn_prefix pf;
		if (n >= sizeof item)
			return fail(p, "bad address or prefix in '%s'", v);
		memcpy(item, s, n);
		item[n] = '\0';
		if (!pn_prefix_parse(item, &pf))
			return fail(p, "bad address or prefix '%s'", item);
		*family |= pf.family;
		if (!pn_rule_add_prefix(m, &pf))
			return oom(p);
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

static int parse_iface(struct plain *p, const char *v, struct pn_iface_match *m)
{
	const char *s = v;
	if (*s == '!') {
		m->negate = true;
		s++;
	}
	size_t n = strlen(s);
	if (n > 0 && s[n - 1] == '+') {
		m->wildcard = true;
		n--;
	}
	/* "+" alone would be "any interface", which needs no option; a
	 * negated one would match nothing. Both are more likely mistakes. */
	if (n == 0 || n + m->wildcard > IFACE_MAX)
		return fail(p, "bad interface name '%s'", v);
	memcpy(m->name, s, n);
	m->name[n] = '\0';
	return 0;
}

static int parse_states(struct plain *p, const char *v, struct pn_rule *r)
{
	static const struct {
		const char *name;
		uint8_t bit;
	} states[] = {
	    {"new", PN_CT_NEW},
	    {"established", PN_CT_ESTABLISHED},
	    {"related", PN_CT_RELATED},
	    {"invalid", PN_CT_INVALID},
	    {"untracked", PN_CT_UNTRACKED},
	};
	const char *s = v;
	if (*s == '!') {
		r->ctstate_negate = true;
		s++;
	}
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);
		uint8_t bit = 0;
		for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
			if (strlen(states[i].name) == n &&
			    !strncasecmp(states[i].name, s, n))
				bit = states[i].bit;
		if (!bit)
			return fail(p,
				    "unknown state '%.*s' (new, established, "
				    "related, invalid, untracked)",
				    (int)n, s);
		r->ctstate |= bit;
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

static int parse_proto(struct plain *p, const char *v, int *proto)
{
	static const struct {
		const char *name;
		int num;
	} protos[] = {
	    {"tcp", 6},
	    {"udp", 17},
	    {"udplite", 136},
	    {"sctp", 132},
	    {"dccp", 33},
	    {"icmp", 1},
	    {"icmpv6", 58},
	    {"ipv6-icmp", 58},
	    {"esp", 50},
	    {"ah", 51},
	    {"gre", 47},
	    {"any", PN_PROTO_ANY},
	    {"all", PN_PROTO_ANY},
	};
	for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++)
		if (!strcasecmp(protos[i].name, v)) {
			*proto = protos[i].num;
			return 0;
		}
	size_t n = strlen(v);
	if (n == 0 || n > 3 || strspn(v, "0123456789") != n || atoi(v) > 255)
		return fail(p,
			    "unknown protocol '%s' (tcp, udp, udplite, sctp, "
			    "dccp, icmp, icmpv6, esp, ah, gre, a number or "
			    "any)",
			    v);
	*proto = atoi(v);
	return 0;
}

static bool has_ports(int proto)
{
	return proto == 6 || proto == 17 || proto == 136 || proto == 132 ||
	       proto == 33;
}

enum option { OPT_FROM, OPT_TO, OPT_SPORT, OPT_ON, OPT_OUT, OPT_STATE };
static const char *const option_names[] = {"from", "to",  "sport",
					   "on",   "out", "state"};

static int option_of(const char *w)
{
	for (int i = 0; i < 6; i++)
		if (!strcasecmp(w, option_names[i]))
			return i;
	return -1;
}

static int rule_line(struct plain *p, char **w, size_t n, const char *text,
		     const char *comment)
{
	enum pn_verdict v;
	if (!strcasecmp(w[0], "allow") || !strcasecmp(w[0], "accept"))
		v = PN_VERDICT_ACCEPT;
	else if (!strcasecmp(w[0], "deny") || !strcasecmp(w[0], "drop"))
		v = PN_VERDICT_DROP;
	else if (!strcasecmp(w[0], "reject"))
		v = PN_VERDICT_REJECT;
	else
		return fail(p,
			    "unknown verdict '%s' (allow, deny, reject; or "
			    "chain, policy)",
			    w[0]);
	if (n < 2)
		return fail(p, "%s needs a protocol (tcp, udp, ..., or any)",
			    w[0]);
	if (current(p) < 0)
		return -1;
	struct pn_rule *r =
	    pn_rules_add_rule(p->rs, (uint32_t)p->chain[p->cur], p->lineno);
	if (!r || !pn_rule_set_text(&r->text, text) ||
	    (comment && !pn_rule_set_text(&r->comment, comment)))
		return oom(p);
	r->verdict = v;
	if (parse_proto(p, w[1], &r->proto) < 0)
		return -1;
	bool ports = has_ports(r->proto);
	const char *need = "ports need tcp, udp, udplite, sctp or dccp";
	size_t i = 2;
	if (i < n && option_of(w[i]) < 0) {
		bool numeric =
		    w[i][0] == '!' || (w[i][0] >= '0' && w[i][0] <= '9');
		if (!ports && numeric)
			return fail(p, "%s", need);
		if (!ports)
			return fail(p,
				    "unknown option '%s' (from, to, sport, "
				    "on, out, state)",
				    w[i]);
		if (parse_ports(p, w[i], r->proto, &r->dport) < 0)
			return -1;
		i++;
	}
	bool seen[6] = {false};
	uint8_t family = PN_FAMILY_BOTH;
	for (; i < n; i += 2) {
		int o = option_of(w[i]);
		if (o < 0)
			return fail(p,
				    "unknown option '%s' (from, to, sport, "
				    "on, out, state)",
				    w[i]);
		if (seen[o])
			return fail(p, "option %s given twice",
				    option_names[o]);
		seen[o] = true;
		if (i + 1 >= n)
			return fail(p, "option %s needs a value",
				    option_names[o]);
		const char *val = w[i + 1];
		uint8_t f;
		int rc = 0;
		switch (o) {
		case OPT_FROM:
		case OPT_TO: {
			struct pn_addr_match *m =
			    o == OPT_FROM ? &r->saddr : &r->daddr;
			rc = parse_prefixes(p, val, m, &f);
			if (rc == 0 && !m->negate)
				family &= f;
			break;
		}
		case OPT_SPORT:
			if (!ports)
				return fail(p, "%s", need);
			rc = parse_ports(p, val, r->proto, &r->sport);
			break;
		case OPT_ON:
			rc = parse_iface(p, val, &r->iif);
			break;
		case OPT_OUT:
			rc = parse_iface(p, val, &r->oif);
			break;
		case OPT_STATE:
			rc = parse_states(p, val, r);
			break;
		}
		if (rc < 0)
			return -1;
	}
	if (!family)
		return fail(p, "from and to have no address family in common "
			       "(one IPv4, the other IPv6)");
	r->family = family;
	return 0;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 &&
	       (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static int parse_line(struct plain *p)
{
	char *hash = strchr(p->line, '#');
	const char *comment = NULL;
	if (hash) {
		*hash = '\0';
		comment = trim(hash + 1);
		if (!*comment)
			comment = NULL;
	}
	char *body = trim(p->line);
	if (!*body)
		return 0;
	/* The text for reports is the body as written; split a copy. */
	size_t len = strlen(body);
	char *copy = malloc(len + 1);
	if (!copy)
		return oom(p);
	memcpy(copy, body, len + 1);
	char *w[MAX_WORDS] = {NULL};
	size_t n = 0;
	char *save = NULL;
	int rc = 0;
	for (char *t = strtok_r(copy, " \t", &save); t;
	     t = strtok_r(NULL, " \t", &save)) {
		if (n == MAX_WORDS) {
			rc = fail(p, "too many words in one line (at most %d)",
				  MAX_WORDS);
			break;
		}
		w[n++] = t;
	}
	if (rc == 0 && n > 0) {
		if (!strcasecmp(w[0], "chain"))
			rc = chain_line(p, w, n);
		else if (!strcasecmp(w[0], "policy"))
			rc = n != 2 ? fail(p, "expected 'policy allow|deny'")
			     : current(p) < 0 ? -1
					      : set_policy(p, w[1]);
		else
			rc = rule_line(p, w, n, body, comment);
	}
	free(copy);
	return rc;
}

int pn_rules_parse_plain(const char *text, size_t len, const char *label,
			 const struct pn_registry *reg, struct pn_ruleset **out,
			 char *errbuf)
{
	*out = NULL;
	struct plain p = {
	    .label = label, .errbuf = errbuf, .reg = reg, .cur = -1};
	for (int i = 0; i < 3; i++)
		p.chain[i] = -1;
	p.rs = pn_rules_new(label, PN_RULES_PLAIN);
	if (!p.rs) {
		snprintf(errbuf, PN_RULES_ERRBUF_SIZE, "%s: out of memory",
			 label);
		return -1;
	}
	int rc = 0;
	size_t pos = 0;
	while (pos < len && rc == 0) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t n = end - pos;
		p.lineno++;
		if (n + 1 > p.line_cap) {
			char *l = realloc(p.line, n + 1);
			if (!l) {
				rc = oom(&p);
				break;
			}
			p.line = l;
			p.line_cap = n + 1;
		}
		memcpy(p.line, text + pos, n);
		p.line[n] = '\0';
		pos = end + 1;
		rc = parse_line(&p);
	}
	if (rc == 0 && p.rs->n_chains == 0) {
		/* An empty allow list still denies. */
		p.lineno = 0;
		rc = add_chain(&p, 0, true);
	}
	free(p.line);
	if (rc < 0) {
		pn_ruleset_free(p.rs);
		return -1;
	}
	/* pn_rules_sort would hand qsort a NULL array when there is no
	 * rule (undefined behaviour); chains are already empty then. */
	if (p.rs->n_rules)
		pn_rules_sort(p.rs);
	*out = p.rs;
	return 0;
}
