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
	free(r->either_port.ranges);
	free(r->sets);
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
	for (uint32_t i = 0; i < rs->n_sets; i++) {
		free(rs->sets[i].name);
		free(rs->sets[i].type);
		free(rs->sets[i].members);
		free(rs->sets[i].children);
	}
	free(rs->sets);
	free(rs->rules);
	free(rs->chains);
	free(rs->source);
	free(rs);
}

long pn_rules_set_index(struct pn_ruleset *rs, const char *name)
{
	for (uint32_t i = 0; i < rs->n_sets; i++)
		if (strcmp(rs->sets[i].name, name) == 0)
			return i;
	if (!grow(&rs->sets, rs->n_sets, sizeof *rs->sets))
		return -1;
	struct pn_ipset *s = &rs->sets[rs->n_sets];
	memset(s, 0, sizeof *s);
	if (!pn_rule_set_text(&s->name, name))
		return -1;
	return rs->n_sets++;
}

bool pn_rule_add_set(struct pn_rule *r, const struct pn_set_match *m)
{
	if (!grow(&r->sets, r->n_sets, sizeof *r->sets))
		return false;
	r->sets[r->n_sets++] = *m;
	return true;
}

int pn_addrtype_parse(const char *s, size_t n)
{
	static const char *const names[] = {
	    "UNSPEC",	"UNICAST",   "LOCAL",	  "BROADCAST",
	    "ANYCAST",	"MULTICAST", "BLACKHOLE", "UNREACHABLE",
	    "PROHIBIT", "THROW",     "NAT",	  "XRESOLVE"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == n && strncasecmp(names[i], s, n) == 0)
			return 1 << i;
	return -1;
}

/* The names iptables and nft print for ICMP types, and those of the types
 * they name with a code too ("network-unreachable" is 3/0). */
static const struct {
	const char *name;
	uint8_t type;
	int16_t code;
	bool v6;
} icmp_names[] = {
    {"echo-reply", 0, -1, false},
    {"pong", 0, -1, false},
    {"destination-unreachable", 3, -1, false},
    {"network-unreachable", 3, 0, false},
    {"host-unreachable", 3, 1, false},
    {"protocol-unreachable", 3, 2, false},
    {"port-unreachable", 3, 3, false},
    {"fragmentation-needed", 3, 4, false},
    {"source-route-failed", 3, 5, false},
    {"network-unknown", 3, 6, false},
    {"host-unknown", 3, 7, false},
    {"network-prohibited", 3, 9, false},
    {"host-prohibited", 3, 10, false},
    {"TOS-network-unreachable", 3, 11, false},
    {"TOS-host-unreachable", 3, 12, false},
    {"communication-prohibited", 3, 13, false},
    {"host-precedence-violation", 3, 14, false},
    {"precedence-cutoff", 3, 15, false},
    {"source-quench", 4, -1, false},
    {"redirect", 5, -1, false},
    {"network-redirect", 5, 0, false},
    {"host-redirect", 5, 1, false},
    {"TOS-network-redirect", 5, 2, false},
    {"TOS-host-redirect", 5, 3, false},
    {"echo-request", 8, -1, false},
    {"ping", 8, -1, false},
    {"router-advertisement", 9, -1, false},
    {"router-solicitation", 10, -1, false},
    {"time-exceeded", 11, -1, false},
    {"ttl-exceeded", 11, -1, false},
    {"ttl-zero-during-transit", 11, 0, false},
    {"ttl-zero-during-reassembly", 11, 1, false},
    {"parameter-problem", 12, -1, false},
    {"ip-header-bad", 12, 0, false},
    {"required-option-missing", 12, 1, false},
    {"timestamp-request", 13, -1, false},
    {"timestamp-reply", 14, -1, false},
    {"info-request", 15, -1, false},
    {"info-reply", 16, -1, false},
    {"address-mask-request", 17, -1, false},
    {"address-mask-reply", 18, -1, false},
    {"destination-unreachable", 1, -1, true},
    {"no-route", 1, 0, true},
    {"communication-prohibited", 1, 1, true},
    {"beyond-scope", 1, 2, true},
    {"address-unreachable", 1, 3, true},
    {"port-unreachable", 1, 4, true},
    {"failed-policy", 1, 5, true},
    {"reject-route", 1, 6, true},
    {"packet-too-big", 2, -1, true},
    {"time-exceeded", 3, -1, true},
    {"ttl-exceeded", 3, -1, true},
    {"ttl-zero-during-transit", 3, 0, true},
    {"ttl-zero-during-reassembly", 3, 1, true},
    {"parameter-problem", 4, -1, true},
    {"bad-header", 4, 0, true},
    {"unknown-header-type", 4, 1, true},
    {"unknown-option", 4, 2, true},
    {"echo-request", 128, -1, true},
    {"ping", 128, -1, true},
    {"echo-reply", 129, -1, true},
    {"pong", 129, -1, true},
    {"mld-listener-query", 130, -1, true},
    {"mld-listener-report", 131, -1, true},
    {"mld-listener-done", 132, -1, true},
    {"mld-listener-reduction", 132, -1, true},
    {"router-solicitation", 133, -1, true},
    {"nd-router-solicit", 133, -1, true},
    {"router-advertisement", 134, -1, true},
    {"nd-router-advert", 134, -1, true},
    {"neighbour-solicitation", 135, -1, true},
    {"neighbor-solicitation", 135, -1, true},
    {"nd-neighbor-solicit", 135, -1, true},
    {"neighbour-advertisement", 136, -1, true},
    {"neighbor-advertisement", 136, -1, true},
    {"nd-neighbor-advert", 136, -1, true},
    {"redirect", 137, -1, true},
    {"nd-redirect", 137, -1, true},
    {"router-renumbering", 138, -1, true},
    {"ind-neighbor-solicit", 141, -1, true},
    {"ind-neighbor-advert", 142, -1, true},
    {"mld2-listener-report", 143, -1, true},
};

int pn_icmp_type_parse(const char *s, bool v6, int *code)
{
	*code = -1;
	if (strcasecmp(s, "any") == 0)
		return 256;
	for (size_t i = 0; i < sizeof icmp_names / sizeof icmp_names[0]; i++)
		if (icmp_names[i].v6 == v6 &&
		    strcasecmp(icmp_names[i].name, s) == 0) {
			*code = icmp_names[i].code;
			return icmp_names[i].type;
		}
	/* "8", "3/4" */
	char *end;
	errno = 0;
	long t = strtol(s, &end, 10);
	if (end == s || errno || t < 0 || t > 255)
		return -1;
	if (*end == '/') {
		const char *c = end + 1;
		long k = strtol(c, &end, 10);
		if (end == c || *end || k < 0 || k > 255)
			return -1;
		*code = (int)k;
	} else if (*end) {
		return -1;
	}
	return (int)t;
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
	static const char *const names[] = {"none",   "accept", "drop",
					    "reject", "return", "jump",
					    "goto",   "dnat"};
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

/* The first word of the first line that is not blank or a comment, when
 * it starts nft's own text syntax (nft list ruleset, /etc/nftables.conf).
 */
static const char *nft_text(const char *text, size_t len, unsigned *line)
{
	static const char *const words[] = {"table",   "flush", "define",
					    "include", "add",	"delete"};
	size_t i = 0;
	*line = 1;
	while (i < len) {
		while (i < len && isspace((unsigned char)text[i]))
			if (text[i++] == '\n')
				(*line)++;
		if (i < len && text[i] == '#') {
			while (i < len && text[i] != '\n')
				i++;
			continue;
		}
		break;
	}
	size_t n = 0;
	while (i + n < len && isalpha((unsigned char)text[i + n]))
		n++;
	for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
		if (strlen(words[k]) == n &&
		    strncmp(text + i, words[k], n) == 0 &&
		    (i + n == len || isspace((unsigned char)text[i + n])))
			return words[k];
	return NULL;
}

int pn_rules_parse(const char *text, size_t len, const char *label,
		   enum pn_rules_format format, const struct pn_registry *reg,
		   struct pn_ruleset **out, char errbuf[PN_RULES_ERRBUF_SIZE])
{
	*out = NULL;
	if (memchr(text, '\0', len)) {
		snprintf(errbuf, PN_RULES_ERRBUF_SIZE,
			 "%s: binary data (a NUL byte); not a ruleset", label);
		return -1;
	}
	if (format == PN_RULES_AUTO)
		format = detect(text, len);
	if (format == PN_RULES_PLAIN) {
		unsigned line;
		const char *word = nft_text(text, len, &line);
		if (word) {
			snprintf(errbuf, PN_RULES_ERRBUF_SIZE,
				 "%s:%u: '%s': this is nft's text syntax; "
				 "portnote reads its JSON: use 'nft -j list "
				 "ruleset'",
				 label, line, word);
			return -1;
		}
	}
	switch (format) {
	case PN_RULES_IPTABLES:
		return pn_rules_parse_iptables(text, len, label, out, errbuf);
	case PN_RULES_NFT:
		return pn_rules_parse_nft(text, len, label, out, errbuf);
	default:
		return pn_rules_parse_plain(text, len, label, reg, out, errbuf);
	}
}

int pn_rules_read_text(const char *path, char **out, size_t *out_len,
		       char errbuf[PN_RULES_ERRBUF_SIZE])
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
	*out = text;
	*out_len = len;
	return 0;
}

int pn_rules_load(const char *path, enum pn_rules_format format,
		  const struct pn_registry *reg, struct pn_ruleset **out,
		  char errbuf[PN_RULES_ERRBUF_SIZE])
{
	*out = NULL;
	char *text;
	size_t len;
	if (pn_rules_read_text(path, &text, &len, errbuf) < 0)
		return -1;
	int rc = pn_rules_parse(text, len, path, format, reg, out, errbuf);
	free(text);
	return rc;
}

bool pn_rules_has_base_chain(const struct pn_ruleset *rs)
{
	for (uint32_t c = 0; c < rs->n_chains; c++)
		if (rs->chains[c].hook != PN_HOOK_NONE &&
		    (rs->chains[c].line || rs->chains[c].n_rules))
			return true;
	return false;
}

/* Evaluation
 *
 * A rule's matches are each true, false or unknown for a packet: unknown
 * when the packet does not tell (an address type portnote cannot derive
 * from the address, TCP flags of a flow whose start was not captured, an
 * interface in an evaluation that does not know it is NOT unknown: that
 * convention is older and documented at pn_rules_evaluate). A set whose
 * members are unknown is taken as not containing the packet, and the
 * result says so (assumed_set), so that later rules are still audited. */

enum tri { T_NO, T_YES, T_UNKNOWN };

static enum tri tri_and(enum tri a, enum tri b)
{
	if (a == T_NO || b == T_NO)
		return T_NO;
	return a == T_UNKNOWN || b == T_UNKNOWN ? T_UNKNOWN : T_YES;
}

static enum tri tri_of(bool b)
{
	return b ? T_YES : T_NO;
}

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

static bool port_in(const struct pn_port_match *m, uint16_t port)
{
	bool hit = false;
	for (uint32_t i = 0; i < m->n && !hit; i++)
		hit = port >= m->ranges[i].lo && port <= m->ranges[i].hi;
	return hit;
}

static bool port_matches(const struct pn_port_match *m, uint16_t port)
{
	return port_in(m, port) != m->negate;
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

static bool bit(const uint64_t set[4], unsigned i)
{
	return set[i / 64] >> (i % 64) & 1;
}

bool pn_rule_has_proto(const struct pn_rule *r, int proto)
{
	if (r->has_proto_set)
		return bit(r->proto_set, (unsigned)proto) != r->proto_negate;
	if (r->proto == PN_PROTO_ANY)
		return true;
	return (r->proto == proto) != r->proto_negate;
}

/* The address types an address can have, as far as the address and the
 * hook tell: a packet that reached the input hook was addressed to this
 * host, unless it is multicast or broadcast. */
static uint16_t addr_types(uint8_t family, const uint8_t a[16], bool dst,
			   enum pn_hook hook)
{
	static const uint8_t zero[16];
	static const uint8_t loop6[16] = {[15] = 1};
	if (family == PN_FAMILY_IPV4) {
		const uint8_t *v4 = a + 12;
		if (v4[0] == 127)
			return PN_ADDRTYPE_LOCAL;
		if (v4[0] >= 224 && v4[0] < 240)
			return PN_ADDRTYPE_MULTICAST;
		if (v4[0] == 255 && v4[1] == 255 && v4[2] == 255 &&
		    v4[3] == 255)
			return PN_ADDRTYPE_BROADCAST;
		if (!v4[0] && !v4[1] && !v4[2] && !v4[3])
			return PN_ADDRTYPE_UNSPEC;
		if (dst && hook == PN_HOOK_INPUT)
			/* A subnet's broadcast address looks like any other;
			 * its netmask is not in the capture. */
			return v4[3] == 255
				   ? PN_ADDRTYPE_LOCAL | PN_ADDRTYPE_BROADCAST
				   : PN_ADDRTYPE_LOCAL;
		if (!dst && hook == PN_HOOK_OUTPUT)
			return PN_ADDRTYPE_LOCAL;
		return PN_ADDRTYPE_UNICAST | PN_ADDRTYPE_LOCAL;
	}
	if (memcmp(a, loop6, 16) == 0)
		return PN_ADDRTYPE_LOCAL;
	if (a[0] == 0xff)
		return PN_ADDRTYPE_MULTICAST;
	if (memcmp(a, zero, 16) == 0)
		return PN_ADDRTYPE_UNSPEC;
	if ((dst && hook == PN_HOOK_INPUT) || (!dst && hook == PN_HOOK_OUTPUT))
		return PN_ADDRTYPE_LOCAL;
	return PN_ADDRTYPE_UNICAST | PN_ADDRTYPE_LOCAL;
}

static enum tri type_matches(uint16_t want, bool negate, uint16_t have)
{
	if (!want)
		return T_YES;
	if ((have & want) == have)
		return tri_of(!negate);
	if ((have & want) == 0)
		return tri_of(negate);
	return T_UNKNOWN;
}

static bool member_has(const struct pn_ipset *s,
		       const struct pn_ipset_member *m,
		       const struct pn_set_match *sm,
		       const struct pn_rule_packet *pkt)
{
	unsigned addr_i = 0;
	for (unsigned d = 0; d < s->n_dims; d++) {
		bool src =
		    d < sm->n_dirs ? sm->src[d] : sm->src[sm->n_dirs - 1];
		switch (s->dims[d]) {
		case PN_DIM_ADDR: {
			const struct pn_prefix *p = &m->addr[addr_i++ & 1];
			if (p->family != pkt->family ||
			    !prefix_has(p, src ? pkt->saddr : pkt->daddr))
				return false;
			break;
		}
		case PN_DIM_PORT: {
			if (!pkt->has_ports)
				return false;
			if (m->proto != PN_PROTO_ANY && m->proto != pkt->proto)
				return false;
			uint16_t port = src ? pkt->sport : pkt->dport;
			if (port < m->port_lo || port > m->port_hi)
				return false;
			break;
		}
		default:
			return false;
		}
	}
	return true;
}

/* Is the packet in set i? T_UNKNOWN when its members are not known. */
static enum tri set_has(const struct pn_ruleset *rs, uint32_t i,
			const struct pn_set_match *sm,
			const struct pn_rule_packet *pkt, int depth)
{
	const struct pn_ipset *s = &rs->sets[i];
	if (!s->known || !s->modeled || depth > 8)
		return T_UNKNOWN;
	if (s->n_children || (s->type && strcmp(s->type, "list:set") == 0)) {
		enum tri any = T_NO;
		for (uint32_t k = 0; k < s->n_children; k++) {
			enum tri t =
			    set_has(rs, s->children[k], sm, pkt, depth + 1);
			if (t == T_YES)
				return T_YES;
			if (t == T_UNKNOWN)
				any = T_UNKNOWN;
		}
		return any;
	}
	if (s->family && s->family != pkt->family)
		return T_NO;
	bool hit = false;
	/* hash:net "nomatch" entries are exceptions to the others. */
	for (uint32_t k = 0; k < s->n_members; k++)
		if (member_has(s, &s->members[k], sm, pkt)) {
			if (s->members[k].nomatch)
				return T_NO;
			hit = true;
		}
	return tri_of(hit);
}

/* The rule's verdict on pkt: yes, no or unknown; *assumed is set to a set
 * whose unknown members were taken as not containing the packet, when
 * that made the difference. */
static enum tri rule_match3(const struct pn_ruleset *rs,
			    const struct pn_rule *r,
			    const struct pn_rule_packet *pkt, enum pn_hook hook,
			    int32_t *assumed)
{
	*assumed = -1;
	if (!(r->family & pkt->family))
		return T_NO;
	if (!pn_rule_has_proto(r, pkt->proto))
		return T_NO;
	if (r->sport.n || r->dport.n || r->either_port.n) {
		/* A port match needs a transport with ports (iptables refuses
		 * --dport without -p tcp/udp/...; nft's "tcp dport" implies
		 * the protocol). */
		if (!pkt->has_ports)
			return T_NO;
		if (r->sport.n && !port_matches(&r->sport, pkt->sport))
			return T_NO;
		if (r->dport.n && !port_matches(&r->dport, pkt->dport))
			return T_NO;
		if (r->either_port.n &&
		    (port_in(&r->either_port, pkt->sport) ||
		     port_in(&r->either_port, pkt->dport)) ==
			r->either_port.negate)
			return T_NO;
	}
	if (!addr_matches(&r->saddr, pkt->family, pkt->saddr) ||
	    !addr_matches(&r->daddr, pkt->family, pkt->daddr))
		return T_NO;
	if (!iface_matches(&r->iif, pkt->iif) ||
	    !iface_matches(&r->oif, pkt->oif))
		return T_NO;
	if (r->ctstate &&
	    ((r->ctstate & pkt->ctstate) != 0) == r->ctstate_negate)
		return T_NO;
	enum tri t = T_YES;
	if (r->has_icmp) {
		if (pkt->proto != 1 && pkt->proto != 58)
			return T_NO;
		if (!pkt->has_icmp)
			t = T_UNKNOWN;
		else if ((bit(r->icmp_types, pkt->icmp_type) &&
			  (r->icmp_code < 0 ||
			   r->icmp_code == pkt->icmp_code)) == r->icmp_negate)
			return T_NO;
	}
	if (r->tcp_mask) {
		if (pkt->proto != 6)
			return T_NO;
		if (!pkt->has_tcp_flags)
			t = T_UNKNOWN;
		else if (((pkt->tcp_flags & r->tcp_mask) == r->tcp_cmp) ==
			 r->tcp_negate)
			return T_NO;
	}
	t = tri_and(
	    t, type_matches(r->src_type, r->src_type_negate,
			    addr_types(pkt->family, pkt->saddr, false, hook)));
	t = tri_and(
	    t, type_matches(r->dst_type, r->dst_type_negate,
			    addr_types(pkt->family, pkt->daddr, true, hook)));
	if (t == T_NO)
		return T_NO;
	int32_t assume = -1, assumed_no = -1;
	for (uint32_t i = 0; i < r->n_sets; i++) {
		const struct pn_set_match *sm = &r->sets[i];
		enum tri in = set_has(rs, sm->set, sm, pkt, 0);
		bool unknown = in == T_UNKNOWN;
		if (unknown && assume < 0)
			assume = (int32_t)sm->set;
		if ((in == T_YES) != sm->negate)
			continue;
		if (!unknown)
			return T_NO; /* a known set decided, nothing assumed */
		if (assumed_no < 0)
			assumed_no = (int32_t)sm->set;
	}
	if (assumed_no >= 0) {
		*assumed = assumed_no;
		return T_NO;
	}
	*assumed = assume;
	return t;
}

bool pn_rule_matches(const struct pn_ruleset *rs, const struct pn_rule *r,
		     const struct pn_rule_packet *pkt)
{
	int32_t assumed;
	return rule_match3(rs, r, pkt, PN_HOOK_NONE, &assumed) == T_YES;
}

struct walk_ctx {
	const struct pn_ruleset *rs;
	const struct pn_rule_packet *pkt;
	enum pn_hook hook;
	struct pn_rule_result *res;
};

enum walk { WALK_DECIDED, WALK_RETURN, WALK_UNDETERMINED };

/* Runs the packet through chain c. WALK_RETURN: fell off the end or hit
 * RETURN, the caller goes on. */
static enum walk walk_chain(struct walk_ctx *w, uint32_t c, int depth)
{
	const struct pn_ruleset *rs = w->rs;
	struct pn_rule_result *res = w->res;
	if (depth > MAX_DEPTH)
		return WALK_UNDETERMINED;
	const struct pn_chain *ch = &rs->chains[c];
	for (uint32_t i = ch->first; i < ch->first + ch->n_rules; i++) {
		const struct pn_rule *r = &rs->rules[i];
		int32_t assumed;
		enum tri m = rule_match3(rs, r, w->pkt, w->hook, &assumed);
		if (assumed >= 0 && res->assumed_set < 0)
			res->assumed_set = assumed;
		/* A rule without a verdict (LOG, a counter) decides nothing,
		 * whatever its matches. */
		if (m == T_NO || r->verdict == PN_VERDICT_NONE)
			continue;
		if (m == T_UNKNOWN || r->n_unmodeled) {
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
		case PN_VERDICT_DNAT:
			res->verdict = r->verdict;
			res->rule = (int32_t)i;
			return WALK_DECIDED;
		case PN_VERDICT_RETURN:
			return WALK_RETURN;
		case PN_VERDICT_JUMP:
		case PN_VERDICT_GOTO: {
			enum walk k = walk_chain(w, r->target, depth + 1);
			if (k == WALK_UNDETERMINED && !res->undetermined)
				res->rule =
				    (int32_t)i; /* the loop starts here */
			if (k != WALK_RETURN || r->verdict == PN_VERDICT_GOTO)
				return k;
			continue;
		}
		}
	}
	return WALK_RETURN;
}

static enum pn_verdict fall_through(const struct pn_chain *c)
{
	return c->policy == PN_VERDICT_NONE ? PN_VERDICT_ACCEPT : c->policy;
}

bool pn_rules_evaluate(const struct pn_ruleset *rs, enum pn_hook hook,
		       long chain, const struct pn_rule_packet *pkt,
		       struct pn_rule_result *res)
{
	memset(res, 0, sizeof *res);
	res->rule = -1;
	res->chain = -1;
	res->assumed_set = -1;
	if (chain >= 0) {
		struct walk_ctx w = {
		    rs, pkt, pkt->at ? pkt->at : rs->chains[chain].hook, res};
		enum walk k = walk_chain(&w, (uint32_t)chain, 0);
		if (k == WALK_UNDETERMINED)
			res->undetermined = true;
		else if (k == WALK_RETURN) {
			res->verdict = fall_through(&rs->chains[chain]);
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
	int32_t assumed = -1;
	for (uint32_t k = 0; k < n; k++) {
		struct pn_rule_result one = {
		    .rule = -1, .chain = -1, .assumed_set = -1};
		struct walk_ctx w = {rs, pkt, pkt->at ? pkt->at : hook, &one};
		enum walk wk = walk_chain(&w, order[k], 0);
		if (wk == WALK_RETURN) {
			one.verdict = fall_through(&rs->chains[order[k]]);
			one.chain = (int32_t)order[k];
		} else if (wk == WALK_UNDETERMINED) {
			one.undetermined = true;
		}
		if (assumed < 0)
			assumed = one.assumed_set;
		*res = one;
		res->assumed_set = assumed;
		if (one.undetermined || one.verdict != PN_VERDICT_ACCEPT)
			return true;
	}
	return true;
}

bool pn_rule_restricted(const struct pn_rule *r)
{
	return r->saddr.n || r->daddr.n || r->iif.name[0] || r->oif.name[0] ||
	       r->n_sets || r->src_type || r->dst_type || r->n_unmodeled;
}

/* Shadowing */

int pn_port_runs(const struct pn_port_match *m, struct pn_port_range **out)
{
	uint32_t n = m->n ? m->n : 1;
	struct pn_port_range *r = malloc((n + 1) * sizeof *r);
	if (!r)
		return -1;
	if (m->n == 0) {
		r[0] = (struct pn_port_range){0, 65535};
		*out = r;
		return 1;
	}
	memcpy(r, m->ranges, m->n * sizeof *r);
	/* insertion sort: port lists are short, and often sorted already */
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j > 0 && r[j - 1].lo > r[j].lo; j--) {
			struct pn_port_range t = r[j];
			r[j] = r[j - 1];
			r[j - 1] = t;
		}
	uint32_t k = 0;
	for (uint32_t i = 1; i < n; i++) {
		if ((uint32_t)r[i].lo <= (uint32_t)r[k].hi + 1) {
			if (r[i].hi > r[k].hi)
				r[k].hi = r[i].hi;
		} else {
			r[++k] = r[i];
		}
	}
	n = k + 1;
	if (m->negate) {
		/* the gaps between the runs */
		struct pn_port_range *g = malloc((n + 1) * sizeof *g);
		if (!g) {
			free(r);
			return -1;
		}
		uint32_t gn = 0, next = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (r[i].lo > next)
				g[gn++] = (struct pn_port_range){
				    (uint16_t)next, (uint16_t)(r[i].lo - 1)};
			next = (uint32_t)r[i].hi + 1;
		}
		if (next <= 65535)
			g[gn++] = (struct pn_port_range){(uint16_t)next, 65535};
		free(r);
		r = g;
		n = gn;
	}
	*out = r;
	return (int)n;
}

/* Every port b admits, a admits too. */
static bool ports_cover(const struct pn_port_match *a,
			const struct pn_port_match *b)
{
	if (a->n == 0)
		return true;
	struct pn_port_range *ra, *rb;
	int na = pn_port_runs(a, &ra);
	if (na < 0)
		return false;
	int nb = pn_port_runs(b, &rb);
	if (nb < 0) {
		free(ra);
		return false;
	}
	bool ok = true;
	int i = 0;
	for (int j = 0; j < nb && ok; j++) {
		while (i < na && ra[i].hi < rb[j].lo)
			i++;
		ok = i < na && ra[i].lo <= rb[j].lo && ra[i].hi >= rb[j].hi;
	}
	free(ra);
	free(rb);
	return ok;
}

static bool prefix_within(const struct pn_prefix *outer,
			  const struct pn_prefix *inner)
{
	return outer->family == inner->family && outer->len <= inner->len &&
	       prefix_has(outer, inner->addr);
}

static bool port_match_equal(const struct pn_port_match *a,
			     const struct pn_port_match *b)
{
	return a->negate == b->negate && a->n == b->n &&
	       (a->n == 0 ||
		memcmp(a->ranges, b->ranges, a->n * sizeof *a->ranges) == 0);
}

/* Does address match a admit everything b admits? Negated matches only
 * compare equal to themselves. */
static bool addr_covers(const struct pn_addr_match *a,
			const struct pn_addr_match *b)
{
	if (a->n == 0)
		return true;
	if (a->negate || b->negate || b->n == 0)
		return a->negate == b->negate && a->n == b->n &&
		       memcmp(a->prefixes, b->prefixes,
			      a->n * sizeof *a->prefixes) == 0;
	for (uint32_t j = 0; j < b->n; j++) {
		bool in = false;
		for (uint32_t i = 0; i < a->n && !in; i++)
			in = prefix_within(&a->prefixes[i], &b->prefixes[j]);
		if (!in)
			return false;
	}
	return true;
}

static bool iface_covers(const struct pn_iface_match *a,
			 const struct pn_iface_match *b)
{
	if (a->name[0] == '\0')
		return true;
	if (a->negate != b->negate)
		return false;
	if (!a->wildcard)
		return !b->wildcard && strcmp(a->name, b->name) == 0;
	return !a->negate && strncmp(b->name, a->name, strlen(a->name)) == 0;
}

/* a's protocols include all of b's. */
static bool proto_covers(const struct pn_rule *a, const struct pn_rule *b)
{
	if (!a->has_proto_set && a->proto == PN_PROTO_ANY)
		return true;
	if (!b->has_proto_set && (b->proto == PN_PROTO_ANY || b->proto_negate))
		return !a->has_proto_set && a->proto_negate &&
		       b->proto_negate && a->proto == b->proto;
	for (int p = 0; p < 256; p++)
		if (pn_rule_has_proto(b, p) && !pn_rule_has_proto(a, p))
			return false;
	return true;
}

static bool sets_cover(const struct pn_rule *a, const struct pn_rule *b)
{
	/* Every set match of a stands in b as well. */
	for (uint32_t i = 0; i < a->n_sets; i++) {
		bool found = false;
		for (uint32_t j = 0; j < b->n_sets && !found; j++)
			found = memcmp(&a->sets[i], &b->sets[j],
				       sizeof a->sets[i]) == 0;
		if (!found)
			return false;
	}
	return true;
}

bool pn_rule_covers(const struct pn_rule *a, const struct pn_rule *b)
{
	/* An unmodeled match of a may exclude what b matches; one of b only
	 * narrows b further. */
	if (a->n_unmodeled)
		return false;
	if ((a->family & b->family) != b->family)
		return false;
	if (!proto_covers(a, b))
		return false;
	if (a->sport.n || a->dport.n || a->either_port.n) {
		/* A port match also means "a transport with ports". */
		if (!b->has_proto_set &&
		    (b->proto == PN_PROTO_ANY || b->proto_negate))
			return false;
		if (!ports_cover(&a->dport, &b->dport) ||
		    !ports_cover(&a->sport, &b->sport))
			return false;
		if (a->either_port.n &&
		    !port_match_equal(&a->either_port, &b->either_port))
			return false;
	}
	if (!addr_covers(&a->saddr, &b->saddr) ||
	    !addr_covers(&a->daddr, &b->daddr))
		return false;
	if (!iface_covers(&a->iif, &b->iif) || !iface_covers(&a->oif, &b->oif))
		return false;
	if (a->ctstate) {
		if (!b->ctstate || a->ctstate_negate || b->ctstate_negate)
			return a->ctstate == b->ctstate &&
			       a->ctstate_negate == b->ctstate_negate;
		if ((b->ctstate & ~a->ctstate) != 0)
			return false;
	}
	/* The other matches: a's must stand, the same, in b. */
	if (a->tcp_mask &&
	    (a->tcp_mask != b->tcp_mask || a->tcp_cmp != b->tcp_cmp ||
	     a->tcp_negate != b->tcp_negate))
		return false;
	if (a->has_icmp &&
	    (!b->has_icmp || a->icmp_negate != b->icmp_negate ||
	     a->icmp_code != b->icmp_code ||
	     memcmp(a->icmp_types, b->icmp_types, sizeof a->icmp_types) != 0))
		return false;
	if (a->src_type && (a->src_type != b->src_type ||
			    a->src_type_negate != b->src_type_negate))
		return false;
	if (a->dst_type && (a->dst_type != b->dst_type ||
			    a->dst_type_negate != b->dst_type_negate))
		return false;
	return sets_cover(a, b);
}
