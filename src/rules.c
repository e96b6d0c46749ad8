/* rules.c — the ruleset model: building it, reading a file in any of the
 * three formats, and first-match evaluation. The format parsers are in
 * rules_iptables.c, rules_nft.c and rules_plain.c. */
#include "portnote/rules.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Jumps deeper than this are taken for a loop. The kernel refuses loops
 * when loading; a file can still hold one. */
#define MAX_DEPTH 64

struct pn_ruleset *pn_rules_new(const char *source, enum pn_rules_format format)
{
	struct pn_ruleset *rs = calloc(1, sizeof *rs);
	if (!rs)
		return NULL;
	rs->format = format;
	if (!pn_rule_set_text(&rs->source, source ? source : "")) {
		free(rs);
		return NULL;
	}
	return rs;
}

bool pn_rule_set_text(char **dst, const char *s)
{
	char *copy = strdup(s);
	if (!copy)
		return false;
	free(*dst);
	*dst = copy;
	return true;
}

/* Grows an array of `size`-byte items to hold n + 1. */
static bool grow(void *arrayp, uint32_t n, size_t size)
{
	void **array = arrayp;
	if (n & (n - 1) && n > 4)
		return true; /* capacity is the next power of two >= n */
	uint32_t cap = n < 4 ? 4 : n * 2;
	void *p = realloc(*array, (size_t)cap * size);
	if (!p)
		return false;
	*array = p;
	return true;
}

long pn_rules_add_chain(struct pn_ruleset *rs, const char *table,
			const char *name, uint8_t family, enum pn_hook hook,
			int priority, enum pn_verdict policy, uint32_t line)
{
	if (!grow(&rs->chains, rs->n_chains, sizeof *rs->chains))
		return -1;
	struct pn_chain *c = &rs->chains[rs->n_chains];
	memset(c, 0, sizeof *c);
	if (!pn_rule_set_text(&c->table, table) ||
	    !pn_rule_set_text(&c->name, name)) {
		free(c->table);
		free(c->name);
		return -1;
	}
	c->family = family;
	c->hook = hook;
	c->priority = priority;
	c->policy = policy;
	c->line = line;
	return rs->n_chains++;
}

struct pn_rule *pn_rules_add_rule(struct pn_ruleset *rs, uint32_t chain,
				  uint32_t line)
{
	if (!grow(&rs->rules, rs->n_rules, sizeof *rs->rules))
		return NULL;
	struct pn_rule *r = &rs->rules[rs->n_rules++];
	memset(r, 0, sizeof *r);
	r->chain = chain;
	r->line = line;
	r->family = PN_FAMILY_BOTH;
	r->proto = PN_PROTO_ANY;
	return r;
}

bool pn_rule_add_port(struct pn_port_match *m, uint16_t lo, uint16_t hi)
{
	if (!grow(&m->ranges, m->n, sizeof *m->ranges))
		return false;
	m->ranges[m->n].lo = lo < hi ? lo : hi;
	m->ranges[m->n].hi = lo < hi ? hi : lo;
	m->n++;
	return true;
}

bool pn_rule_add_prefix(struct pn_addr_match *m, const struct pn_prefix *p)
{
	if (!grow(&m->prefixes, m->n, sizeof *m->prefixes))
		return false;
	m->prefixes[m->n++] = *p;
	return true;
}

bool pn_rule_add_unmodeled(struct pn_rule *r, const char *what)
{
	if (!grow(&r->unmodeled, r->n_unmodeled, sizeof *r->unmodeled))
		return false;
	char *copy = strdup(what);
	if (!copy)
		return false;
	r->unmodeled[r->n_unmodeled++] = copy;
	return true;
}

static int by_chain(const void *a, const void *b)
{
	const struct pn_rule *x = a, *y = b;
	if (x->chain != y->chain)
		return x->chain < y->chain ? -1 : 1;
	/* number holds the order of insertion until the sort is done. */
	return x->number < y->number ? -1 : x->number > y->number;
}

void pn_rules_sort(struct pn_ruleset *rs)
{
	for (uint32_t i = 0; i < rs->n_rules; i++)
		rs->rules[i].number = i;
	if (rs->n_rules > 1)
		qsort(rs->rules, rs->n_rules, sizeof *rs->rules, by_chain);
	for (uint32_t c = 0; c < rs->n_chains; c++)
		rs->chains[c].n_rules = 0;
	for (uint32_t i = 0; i < rs->n_rules; i++) {
		struct pn_chain *c = &rs->chains[rs->rules[i].chain];
		if (c->n_rules == 0)
			c->first = i;
		rs->rules[i].number = ++c->n_rules;
	}
	for (uint32_t c = 0; c < rs->n_chains; c++)
		if (rs->chains[c].n_rules == 0)
			rs->chains[c].first = rs->n_rules;
}

static void free_rule(struct pn_rule *r)
{
	free(r->sport.ranges);
	free(r->dport.ranges);
	free(r->saddr.prefixes);
	free(r->daddr.prefixes);
	free(r->comment);
	free(r->text);
	for (uint32_t i = 0; i < r->n_unmodeled; i++)
		free(r->unmodeled[i]);
	free(r->unmodeled);
}

void pn_ruleset_free(struct pn_ruleset *rs)
{
	if (!rs)
		return;
	for (uint32_t i = 0; i < rs->n_rules; i++)
		free_rule(&rs->rules[i]);
	for (uint32_t i = 0; i < rs->n_chains; i++) {
		free(rs->chains[i].table);
		free(rs->chains[i].name);
	}
	free(rs->rules);
	free(rs->chains);
	free(rs->source);
	free(rs);
}

int pn_rules_verror(char *errbuf, const char *label, unsigned line,
		    const char *fmt, va_list ap)
{
	int n = snprintf(errbuf, PN_RULES_ERRBUF_SIZE, "%s:%u: ", label, line);
	if (n >= 0 && n < PN_RULES_ERRBUF_SIZE)
		vsnprintf(errbuf + n, PN_RULES_ERRBUF_SIZE - (size_t)n, fmt,
			  ap);
	return -1;
}

bool pn_port_parse(const char *s, size_t n, uint16_t *port)
{
	if (n == 0 || n > 5)
		return false;
	unsigned long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

bool pn_prefix_parse(const char *s, struct pn_prefix *p)
{
	char buf[64];
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof buf)
		return false;
	memcpy(buf, s, n + 1);
	char *slash = strchr(buf, '/');
	long len = -1;
	if (slash) {
		*slash = '\0';
		char *end;
		errno = 0;
		if (!isdigit((unsigned char)slash[1]))
			return false;
		len = strtol(slash + 1, &end, 10);
		if (*end || errno)
			return false;
	}
	memset(p, 0, sizeof *p);
	struct in_addr a4;
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		if (len > 32)
			return false;
		p->addr[10] = p->addr[11] = 0xff;
		memcpy(p->addr + 12, &a4, 4);
		p->len = (uint8_t)((len < 0 ? 32 : len) + 96);
		p->family = PN_FAMILY_IPV4;
	} else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		if (len > 128)
			return false;
		p->len = (uint8_t)(len < 0 ? 128 : len);
		p->family = PN_FAMILY_IPV6;
	} else {
		return false;
	}
	return true;
}

static const char *const format_names[] = {"auto", "iptables", "nft", "plain"};

int pn_rules_format_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcasecmp(s, format_names[i]) == 0)
			return i;
	if (strcasecmp(s, "iptables-save") == 0 ||
	    strcasecmp(s, "ip6tables-save") == 0)
		return PN_RULES_IPTABLES;
	if (strcasecmp(s, "nftables") == 0 || strcasecmp(s, "json") == 0)
		return PN_RULES_NFT;
	return -1;
}

const char *pn_rules_format_name(enum pn_rules_format f)
{
	return (unsigned)f < 4 ? format_names[f] : "?";
}

const char *pn_verdict_name(enum pn_verdict v)
{
	static const char *const names[] = {
	    "none", "accept", "drop", "reject", "return", "jump", "goto"};
	return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "?";
}

static const char *const hook_names[] = {
    "none", "prerouting", "input", "forward", "output", "postrouting"};

const char *pn_hook_name(enum pn_hook h)
{
	return (unsigned)h < 6 ? hook_names[h] : "?";
}

int pn_hook_parse(const char *s)
{
	for (int i = 1; i < 6; i++)
		if (strcasecmp(s, hook_names[i]) == 0)
			return i;
	return -1;
}

long pn_rules_find_chain(const struct pn_ruleset *rs, const char *name)
{
	const char *slash = strrchr(name, '/');
	size_t table_len = slash ? (size_t)(slash - name) : 0;
	const char *chain = slash ? slash + 1 : name;
	long found = -1;
	for (uint32_t i = 0; i < rs->n_chains; i++) {
		const struct pn_chain *c = &rs->chains[i];
		if (strcmp(c->name, chain) != 0)
			continue;
		if (slash && (strlen(c->table) != table_len ||
			      strncmp(c->table, name, table_len) != 0))
			continue;
		if (found >= 0)
			return -1; /* ambiguous without a table */
		found = i;
	}
	return found;
}

/* Format detection by the first thing in the file that is not blank or a
 * comment. */
static enum pn_rules_format detect(const char *text, size_t len)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && isspace((unsigned char)text[i]))
			i++;
		if (i >= len)
			break;
		if (text[i] == '#') {
			while (i < len && text[i] != '\n')
				i++;
			continue;
		}
		if (text[i] == '{' || text[i] == '[')
			return PN_RULES_NFT;
		if (text[i] == '*' || text[i] == ':' ||
		    (len - i >= 3 && memcmp(text + i, "-A ", 3) == 0))
			return PN_RULES_IPTABLES;
		return PN_RULES_PLAIN;
	}
	return PN_RULES_PLAIN;
}

int pn_rules_parse(const char *text, size_t len, const char *label,
		   enum pn_rules_format format, struct pn_ruleset **out,
		   char errbuf[PN_RULES_ERRBUF_SIZE])
{
	*out = NULL;
	if (memchr(text, '\0', len)) {
		snprintf(errbuf, PN_RULES_ERRBUF_SIZE,
			 "%s: binary data (a NUL byte); not a ruleset", label);
		return -1;
	}
	if (format == PN_RULES_AUTO)
		format = detect(text, len);
	switch (format) {
	case PN_RULES_IPTABLES:
		return pn_rules_parse_iptables(text, len, label, out, errbuf);
	case PN_RULES_NFT:
		return pn_rules_parse_nft(text, len, label, out, errbuf);
	default:
		return pn_rules_parse_plain(text, len, label, out, errbuf);
	}
}

int pn_rules_load(const char *path, enum pn_rules_format format,
		  struct pn_ruleset **out, char errbuf[PN_RULES_ERRBUF_SIZE])
{
	*out = NULL;
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		snprintf(errbuf, PN_RULES_ERRBUF_SIZE, "%s: %s", path,
			 strerror(errno));
		return -1;
	}
	char *text = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536;
			char *p = realloc(text, cap + 1);
			if (!p) {
				snprintf(errbuf, PN_RULES_ERRBUF_SIZE,
					 "%s: out of memory", path);
				free(text);
				if (f != stdin)
					fclose(f);
				return -1;
			}
			text = p;
		}
		size_t n = fread(text + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	bool failed = ferror(f);
	if (f != stdin)
		fclose(f);
	if (failed) {
		snprintf(errbuf, PN_RULES_ERRBUF_SIZE, "%s: read error", path);
		free(text);
		return -1;
	}
	text[len] = '\0';
	int rc = pn_rules_parse(text, len, path, format, out, errbuf);
	free(text);
	return rc;
}

/* Evaluation */

static bool prefix_has(const struct pn_prefix *p, const uint8_t addr[16])
{
	unsigned full = p->len / 8, rest = p->len % 8;
	if (memcmp(p->addr, addr, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((p->addr[full] ^ addr[full]) & mask)
			return false;
	}
	return true;
}

static bool addr_matches(const struct pn_addr_match *m, uint8_t family,
			 const uint8_t addr[16])
{
	if (m->n == 0)
		return true;
	bool hit = false;
	for (uint32_t i = 0; i < m->n && !hit; i++)
		hit = m->prefixes[i].family == family &&
		      prefix_has(&m->prefixes[i], addr);
	return hit != m->negate;
}

static bool port_matches(const struct pn_port_match *m, uint16_t port)
{
	bool hit = false;
	for (uint32_t i = 0; i < m->n && !hit; i++)
		hit = port >= m->ranges[i].lo && port <= m->ranges[i].hi;
	return hit != m->negate;
}

static bool iface_matches(const struct pn_iface_match *m, const char *name)
{
	if (m->name[0] == '\0')
		return true;
	if (!name)
		return m->negate;
	bool hit = m->wildcard ? strncmp(name, m->name, strlen(m->name)) == 0
			       : strcmp(name, m->name) == 0;
	return hit != m->negate;
}

bool pn_rule_matches(const struct pn_rule *r, const struct pn_rule_packet *pkt)
{
	if (!(r->family & pkt->family))
		return false;
	if (r->proto != PN_PROTO_ANY &&
	    (r->proto == (int)pkt->proto) == r->proto_negate)
		return false;
	if (r->sport.n || r->dport.n) {
		/* A port match needs a transport with ports (iptables refuses
		 * --dport without -p tcp/udp/...; nft's "tcp dport" implies
		 * the protocol). */
		if (!pkt->has_ports)
			return false;
		if (r->sport.n && !port_matches(&r->sport, pkt->sport))
			return false;
		if (r->dport.n && !port_matches(&r->dport, pkt->dport))
			return false;
	}
	if (!addr_matches(&r->saddr, pkt->family, pkt->saddr) ||
	    !addr_matches(&r->daddr, pkt->family, pkt->daddr))
		return false;
	if (!iface_matches(&r->iif, pkt->iif) ||
	    !iface_matches(&r->oif, pkt->oif))
		return false;
	if (r->ctstate &&
	    ((r->ctstate & pkt->ctstate) != 0) == r->ctstate_negate)
		return false;
	return true;
}

enum walk { WALK_DECIDED, WALK_RETURN, WALK_UNDETERMINED };

/* Runs `pkt` through chain c. WALK_RETURN: fell off the end or hit RETURN,
 * the caller goes on. */
static enum walk walk_chain(const struct pn_ruleset *rs, uint32_t c,
			    const struct pn_rule_packet *pkt, int depth,
			    struct pn_rule_result *res)
{
	if (depth > MAX_DEPTH)
		return WALK_UNDETERMINED;
	const struct pn_chain *ch = &rs->chains[c];
	for (uint32_t i = ch->first; i < ch->first + ch->n_rules; i++) {
		const struct pn_rule *r = &rs->rules[i];
		if (!pn_rule_matches(r, pkt))
			continue;
		if (r->n_unmodeled) {
			res->rule = (int32_t)i;
			res->undetermined = true;
			return WALK_UNDETERMINED;
		}
		switch (r->verdict) {
		case PN_VERDICT_NONE:
			continue;
		case PN_VERDICT_ACCEPT:
		case PN_VERDICT_DROP:
		case PN_VERDICT_REJECT:
			res->verdict = r->verdict;
			res->rule = (int32_t)i;
			return WALK_DECIDED;
		case PN_VERDICT_RETURN:
			return WALK_RETURN;
		case PN_VERDICT_JUMP:
		case PN_VERDICT_GOTO: {
			enum walk w =
			    walk_chain(rs, r->target, pkt, depth + 1, res);
			if (w == WALK_UNDETERMINED && !res->undetermined)
				res->rule =
				    (int32_t)i; /* the loop starts here */
			if (w != WALK_RETURN || r->verdict == PN_VERDICT_GOTO)
				return w;
			continue;
		}
		}
	}
	return WALK_RETURN;
}

bool pn_rules_evaluate(const struct pn_ruleset *rs, enum pn_hook hook,
		       long chain, const struct pn_rule_packet *pkt,
		       struct pn_rule_result *res)
{
	memset(res, 0, sizeof *res);
	res->rule = -1;
	res->chain = -1;
	if (chain >= 0) {
		enum walk w = walk_chain(rs, (uint32_t)chain, pkt, 0, res);
		if (w == WALK_UNDETERMINED)
			res->undetermined = true;
		else if (w == WALK_RETURN) {
			const struct pn_chain *c = &rs->chains[chain];
			res->verdict = c->policy == PN_VERDICT_NONE
					   ? PN_VERDICT_ACCEPT
					   : c->policy;
			res->chain = (int32_t)chain;
		}
		return true;
	}
	uint32_t order[64];
	uint32_t n = 0;
	for (uint32_t i = 0; i < rs->n_chains && n < 64; i++)
		if (rs->chains[i].hook == hook &&
		    (rs->chains[i].family & pkt->family))
			order[n++] = i;
	if (n == 0)
		return false;
	/* Priority order, declaration order among equals. */
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i;
		     j > 0 && rs->chains[order[j - 1]].priority >
				  rs->chains[order[j]].priority;
		     j--) {
			uint32_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (uint32_t k = 0; k < n; k++) {
		struct pn_rule_result one = {.rule = -1, .chain = -1};
		enum walk w = walk_chain(rs, order[k], pkt, 0, &one);
		if (w == WALK_RETURN) {
			one.verdict =
			    rs->chains[order[k]].policy == PN_VERDICT_NONE
				? PN_VERDICT_ACCEPT
				: rs->chains[order[k]].policy;
			one.chain = (int32_t)order[k];
		} else if (w == WALK_UNDETERMINED) {
			one.undetermined = true;
		}
		*res = one;
		if (one.undetermined || one.verdict != PN_VERDICT_ACCEPT)
			return true;
	}
	return true;
}
