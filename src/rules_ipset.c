/* rules_ipset.c — `ipset save` output (the format `ipset restore` reads):
 * the members of the sets that iptables rules name with -m set.
 *
 *     create blocklist hash:net family inet hashsize 1024 maxelem 65536
 *     add blocklist 192.0.2.0/24
 *     add blocklist 198.51.100.7 nomatch
 *     create web hash:ip,port family inet
 *     add web 192.0.2.10,tcp:443
 *     create ports bitmap:port range 0-65535
 *     add ports 8000-8100
 *     create either list:set size 8
 *     add either blocklist
 *
 * Types whose dimensions are addresses (ip, net) and ports are evaluated;
 * a set of another type (hash:mac, hash:net,iface, bitmap:ip,mac) is read
 * and kept as one portnote does not evaluate, so a rule naming it stays
 * undetermined. The old option syntax (-N, -A) is read too.
 */
#include "portnote/rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_WORDS 64
/* Members one "add" line may stand for (address ranges become prefixes,
 * port ranges stay ranges). */
#define MAX_EXPAND 4096

struct ipset_parser {
	struct pn_ruleset *rs;
	const char *label;
	char *errbuf;
	unsigned line;
};

__attribute__((format(printf, 2, 3))) static int fail(struct ipset_parser *p,
						      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pn_rules_verror(p->errbuf, p->label, p->line, fmt, ap);
	va_end(ap);
	return -1;
}

/* Splits a line into words; double quotes group (comments). */
static int split(char *s, char **w, int max)
{
	int n = 0;
	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (n == max)
			return -1;
		if (*s == '"') {
			w[n++] = ++s;
			while (*s && *s != '"')
				s++;
		} else {
			w[n++] = s;
			while (*s && *s != ' ' && *s != '\t')
				s++;
		}
		if (*s)
			*s++ = '\0';
	}
	return n;
}

/* The dimensions of a type: "hash:net,port" -> ADDR, PORT. false when a
 * word is unknown. *modeled is false for mac, iface and mark. */
static bool type_dims(const char *type, struct pn_ipset *s, bool *modeled)
{
	const char *colon = strchr(type, ':');
	if (!colon)
		return false;
	size_t kind = (size_t)(colon - type);
	if (!((kind == 4 && !strncmp(type, "hash", 4)) ||
	      (kind == 6 && !strncmp(type, "bitmap", 6)) ||
	      (kind == 4 && !strncmp(type, "list", 4))))
		return false;
	if (!strcmp(type, "list:set")) {
		s->n_dims = 0;
		*modeled = true;
		return true;
	}
	*modeled = true;
	s->n_dims = 0;
	unsigned addrs = 0;
	const char *d = colon + 1;
	for (;;) {
		size_t n = strcspn(d, ",");
		if (s->n_dims == 3)
			return false;
		if ((n == 2 && !strncmp(d, "ip", 2)) ||
		    (n == 3 && !strncmp(d, "net", 3))) {
			s->dims[s->n_dims++] = PN_DIM_ADDR;
			addrs++;
		} else if (n == 4 && !strncmp(d, "port", 4)) {
			s->dims[s->n_dims++] = PN_DIM_PORT;
		} else if ((n == 3 && !strncmp(d, "mac", 3)) ||
			   (n == 5 && !strncmp(d, "iface", 5)) ||
			   (n == 4 && !strncmp(d, "mark", 4))) {
			s->dims[s->n_dims++] = PN_DIM_IFACE;
			*modeled = false;
		} else {
			return false;
		}
		if (!d[n])
			break;
		d += n + 1;
	}
	if (addrs > 2)
		*modeled = false;
	return s->n_dims > 0;
}

__extension__ typedef unsigned __int128 u128;

static u128 to_u128(const uint8_t a[16])
{
	u128 v = 0;
	for (int i = 0; i < 16; i++)
		v = v << 8 | a[i];
	return v;
}

/* "A", "A/LEN" or "A-B" into prefixes; returns how many, -1 if bad. */
static int addr_alternatives(const char *s, uint8_t family,
			     struct pn_prefix *out, int max)
{
	char buf[96];
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n + 1);
	char *dash = strchr(buf, '-');
	/* IPv6 addresses have no '-', so a dash is always a range */
	if (!dash) {
		if (!pn_prefix_parse(buf, &out[0]))
			return -1;
		if (family && out[0].family != family)
			return -1;
		return 1;
	}
	*dash = '\0';
	struct pn_prefix lo, hi;
	if (!pn_prefix_parse(buf, &lo) || !pn_prefix_parse(dash + 1, &hi) ||
	    lo.family != hi.family || lo.len != hi.len ||
	    (family && lo.family != family))
		return -1;
	u128 x = to_u128(lo.addr), y = to_u128(hi.addr);
	if (x > y)
		return -1;
	unsigned min_len = lo.family == PN_FAMILY_IPV4 ? 96 : 0;
	int k = 0;
	while (k < max) {
		unsigned len = 128;
		while (len > min_len) {
			u128 size = (u128)1 << (128 - (len - 1));
			if ((x & (size - 1)) != 0 || x + (size - 1) > y)
				break;
			len--;
		}
		struct pn_prefix *p = &out[k++];
		memset(p, 0, sizeof *p);
		p->family = lo.family;
		p->len = (uint8_t)len;
		for (int i = 15; i >= 0; i--)
			p->addr[i] = (uint8_t)(x >> (8 * (15 - i)));
		u128 size = len == 0 ? 0 : (u128)1 << (128 - len);
		if (size == 0 || x + size - 1 == y)
			return k;
		x += size;
	}
	return -1; /* too many prefixes */
}

static int proto_word(const char *s, size_t n)
{
	static const struct {
		const char *name;
		int num;
	} protos[] = {{"tcp", 6},	{"udp", 17}, {"sctp", 132},
		      {"udplite", 136}, {"icmp", 1}, {"icmpv6", 58}};
	for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++)
		if (strlen(protos[i].name) == n &&
		    strncasecmp(protos[i].name, s, n) == 0)
			return protos[i].num;
	return -1;
}

/* "[proto:]port[-port]"; proto defaults to tcp, or to none for
 * bitmap:port. */
static bool port_elem(const char *s, bool bitmap, struct pn_ipset_member *m)
{
	const char *colon = strchr(s, ':');
	m->proto = bitmap ? PN_PROTO_ANY : 6;
	if (colon) {
		m->proto = proto_word(s, (size_t)(colon - s));
		if (m->proto < 0)
			return false;
		s = colon + 1;
	}
	size_t a = strcspn(s, "-");
	uint16_t lo, hi;
	if (!pn_port_parse(s, a, &lo))
		return m->proto == 1 || m->proto == 58; /* an ICMP type */
	hi = lo;
	if (s[a] == '-' && !pn_port_parse(s + a + 1, strlen(s + a + 1), &hi))
		return false;
	if (hi < lo)
		return false;
	m->port_lo = lo;
	m->port_hi = hi;
	return true;
}

static int add_member(struct ipset_parser *p, struct pn_ipset *s,
		      const struct pn_ipset_member *m)
{
	uint32_t n = s->n_members;
	if ((n & (n - 1)) == 0) {
		uint32_t cap = n ? n * 2 : 4;
		void *q = realloc(s->members, cap * sizeof *s->members);
		if (!q)
			return fail(p, "out of memory");
		s->members = q;
	}
	s->members[s->n_members++] = *m;
	return 0;
}

static int add_line(struct ipset_parser *p, char **w, int n)
{
	if (n < 3)
		return fail(p, "'add' needs a set name and an element");
	struct pn_ipset *s = NULL;
	for (uint32_t i = 0; i < p->rs->n_sets; i++)
		if (!strcmp(p->rs->sets[i].name, w[1]) && p->rs->sets[i].type)
			s = &p->rs->sets[i];
	if (!s)
		return fail(p, "'add' to set '%s', not created before", w[1]);
	bool nomatch = false;
	for (int i = 3; i < n; i++)
		if (!strcmp(w[i], "nomatch"))
			nomatch = true;
	if (!strcmp(s->type, "list:set")) {
		long child = -1;
		for (uint32_t i = 0; i < p->rs->n_sets; i++)
			if (!strcmp(p->rs->sets[i].name, w[2]) &&
			    p->rs->sets[i].type)
				child = i;
		if (child < 0)
			return fail(p,
				    "list:set %s: member set '%s' not created "
				    "before",
				    w[1], w[2]);
		uint32_t *c =
		    realloc(s->children, (s->n_children + 1) * sizeof *c);
		if (!c)
			return fail(p, "out of memory");
		s->children = c;
		s->children[s->n_children++] = (uint32_t)child;
		return 0;
	}
	if (!s->modeled)
		return 0; /* kept as a set portnote does not evaluate */
	/* One alternative list per address dimension; the member is every
	 * combination. */
	char elem[256];
	if (strlen(w[2]) >= sizeof elem)
		return fail(p, "element too long");
	strcpy(elem, w[2]);
	char *parts[3];
	int np = 0;
	for (char *t = elem; np < 3;) {
		parts[np++] = t;
		char *comma = strchr(t, ',');
		if (!comma)
			break;
		*comma = '\0';
		t = comma + 1;
	}
	if (np != s->n_dims)
		return fail(p, "element '%s' of %s has %d part%s, the type %d",
			    w[2], s->type, np, np == 1 ? "" : "s", s->n_dims);
	static struct pn_prefix alt[2][MAX_EXPAND];
	int n_alt[2] = {1, 1};
	struct pn_ipset_member m = {.proto = PN_PROTO_ANY, .nomatch = nomatch};
	unsigned ai = 0;
	bool bitmap = !strncmp(s->type, "bitmap:", 7);
	for (int d = 0; d < np; d++) {
		if (s->dims[d] == PN_DIM_PORT) {
			if (!port_elem(parts[d], bitmap, &m))
				return fail(p, "bad port '%s' in element '%s'",
					    parts[d], w[2]);
			continue;
		}
		int k =
		    addr_alternatives(parts[d], s->family, alt[ai], MAX_EXPAND);
		if (k < 0)
			return fail(p, "bad %s address '%s' in element '%s'",
				    s->family == PN_FAMILY_IPV6 ? "IPv6"
								: "IPv4",
				    parts[d], w[2]);
		n_alt[ai++] = k;
	}
	if (m.proto == 1 || m.proto == 58)
		return 0; /* ICMP "ports" are types: no flow has them */
	for (int i = 0; i < n_alt[0]; i++)
		for (int j = 0; j < n_alt[1]; j++) {
			if (ai > 0)
				m.addr[0] = alt[0][i];
			if (ai > 1)
				m.addr[1] = alt[1][j];
			if (add_member(p, s, &m) < 0)
				return -1;
		}
	return 0;
}

static int create_line(struct ipset_parser *p, char **w, int n)
{
	if (n < 3)
		return fail(p, "'create' needs a set name and a type");
	long i = pn_rules_set_index(p->rs, w[1]);
	if (i < 0)
		return fail(p, "out of memory");
	struct pn_ipset *s = &p->rs->sets[i];
	if (s->type)
		return fail(p, "set '%s' created twice", w[1]);
	bool modeled;
	if (!type_dims(w[2], s, &modeled))
		return fail(p, "unknown set type '%s'", w[2]);
	if (!pn_rule_set_text(&s->type, w[2]))
		return fail(p, "out of memory");
	s->modeled = modeled;
	s->known = true;
	s->family = strncmp(w[2], "bitmap:port", 11) == 0 ||
			    strcmp(w[2], "list:set") == 0
			? 0
			: PN_FAMILY_IPV4;
	for (int k = 3; k + 1 < n; k++)
		if (!strcmp(w[k], "family")) {
			if (!strcmp(w[k + 1], "inet6"))
				s->family = PN_FAMILY_IPV6;
			else if (strcmp(w[k + 1], "inet"))
				return fail(p, "unknown family '%s'", w[k + 1]);
		}
	return 0;
}

int pn_rules_parse_ipsets(struct pn_ruleset *rs, const char *text, size_t len,
			  const char *label, char errbuf[PN_RULES_ERRBUF_SIZE])
{
	struct ipset_parser p = {.rs = rs, .label = label, .errbuf = errbuf};
	if (memchr(text, '\0', len)) {
		snprintf(errbuf, PN_RULES_ERRBUF_SIZE,
			 "%s: binary data (a NUL byte); not 'ipset save' "
			 "output",
			 label);
		return -1;
	}
	size_t pos = 0;
	bool any = false;
	char *line = NULL;
	int rc = 0;
	while (pos < len && rc == 0) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		p.line++;
		char *l = realloc(line, end - pos + 1);
		if (!l) {
			rc = fail(&p, "out of memory");
			break;
		}
		line = l;
		memcpy(line, text + pos, end - pos);
		line[end - pos] = '\0';
		pos = end + 1;
		char *w[MAX_WORDS];
		size_t ll = strlen(line);
		while (ll && (line[ll - 1] == '\r' || line[ll - 1] == ' ' ||
			      line[ll - 1] == '\t'))
			line[--ll] = '\0';
		int n = split(line, w, MAX_WORDS);
		if (n < 0) {
			rc = fail(&p, "more than %d words", MAX_WORDS);
			break;
		}
		if (n == 0 || w[0][0] == '#')
			continue;
		any = true;
		if (!strcmp(w[0], "create") || !strcmp(w[0], "-N") ||
		    !strcmp(w[0], "--create"))
			rc = create_line(&p, w, n);
		else if (!strcmp(w[0], "add") || !strcmp(w[0], "-A") ||
			 !strcmp(w[0], "--add"))
			rc = add_line(&p, w, n);
		else
			rc = fail(&p,
				  "'%s': not a line of 'ipset save' output "
				  "(create or add)",
				  w[0]);
	}
	free(line);
	if (rc == 0 && !any) {
		p.line = 0;
		snprintf(errbuf, PN_RULES_ERRBUF_SIZE,
			 "%s: no sets (empty, or not 'ipset save' output)",
			 label);
		return -1;
	}
	return rc;
}

int pn_rules_load_ipsets(struct pn_ruleset *rs, const char *path,
			 char errbuf[PN_RULES_ERRBUF_SIZE])
{
	char *text;
	size_t len;
	if (pn_rules_read_text(path, &text, &len, errbuf) < 0)
		return -1;
	int rc = pn_rules_parse_ipsets(rs, text, len, path, errbuf);
	free(text);
	if (rc == 0)
		rs->ipsets_source = path;
	return rc;
}
