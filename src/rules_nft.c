/* rules_nft.c — `nft -j list ruleset` (libnftables JSON schema) into the
 * ruleset model.
 *
 * nft writes the whole listing on one line, and jansson keeps no positions,
 * so only syntax errors carry a line; everything else names the object
 * ("rule handle 12 in inet filter/input"). Tables, chains and sets are
 * collected before any rule, so the order of objects does not matter.
 */
#include "portnote/rules.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

/* Rendering stops descending here; jansson accepts nesting up to 2048. */
#define MAX_RENDER_DEPTH 32

/* Growing string for rendered rule text. */
struct sb {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_putn(struct sb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (b->len + n + 1 > cap)
			cap *= 2;
		char *p = realloc(b->s, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void
sb_printf(struct sb *b, const char *fmt, ...)
{
	char buf[128];
	va_list ap, again;
	va_start(ap, fmt);
	va_copy(again, ap);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof buf) {
		sb_putn(b, buf, (size_t)n);
	} else if (n >= 0) {
		char *big = malloc((size_t)n + 1);
		if (big) {
			vsnprintf(big, (size_t)n + 1, fmt, again);
			sb_putn(b, big, (size_t)n);
			free(big);
		} else {
			b->oom = true;
		}
	}
	va_end(again);
}

/* Separates words unless at the start. */
static void sb_sep(struct sb *b)
{
	if (b->len && b->s[b->len - 1] != ' ')
		sb_putn(b, " ", 1);
}

static void sb_quoted(struct sb *b, const char *s)
{
	sb_putn(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sb_putn(b, "\\", 1);
		if ((unsigned char)*s < 0x20)
			sb_putn(b, " ", 1); /* one line for reports */
		else
			sb_putn(b, s, 1);
	}
	sb_putn(b, "\"", 1);
}

/* Rendering: JSON expressions and statements back into nft's syntax, close
 * enough for a reader to find the rule in `nft list ruleset`. */

enum {
	R_HEX = 1u << 0,   /* integers as 0x... (marks) */
	R_QUOTE = 1u << 1, /* strings quoted (interface names) */
	R_INSET = 1u << 2, /* a 2-item array is a map element "k : v" */
	R_FLAGS = 1u << 3, /* a list is an OR of flags: "(syn | ack)" */
};

static void render(struct sb *b, json_t *v, unsigned flags, int depth);

/* The single member of a one-member object; NULL otherwise. */
static const char *only_key(json_t *obj, json_t **val)
{
	if (!json_is_object(obj) || json_object_size(obj) != 1)
		return NULL;
	void *it = json_object_iter(obj);
	*val = json_object_iter_value(it);
	return json_object_iter_key(it);
}

static const char *str_member(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* meta keys nft prints without "meta". */
static bool meta_unqualified(const char *key)
{
	static const char *const bare[] = {"iifname",  "oifname", "iif",
					   "oif",      "iiftype", "oiftype",
					   "iifgroup", "oifgroup"};
	for (size_t i = 0; i < sizeof bare / sizeof bare[0]; i++)
		if (strcmp(key, bare[i]) == 0)
			return true;
	return false;
}

static void render_list(struct sb *b, json_t *arr, const char *sep,
			unsigned flags, int depth)
{
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
	{
		if (i)
			sb_puts(b, sep);
		render(b, e, flags, depth + 1);
	}
}

static void render_object(struct sb *b, const char *k, json_t *v,
			  unsigned flags, int depth)
{
	static const char *const binops[] = {"&", "|", "^", "<<", ">>"};
	for (size_t i = 0; i < sizeof binops / sizeof binops[0]; i++)
		if (strcmp(k, binops[i]) == 0 && json_is_array(v)) {
			size_t j;
			json_t *e;
			json_array_foreach(v, j, e)
			{
				if (j)
					sb_printf(b, " %s ", k);
				render(b, e, flags | R_FLAGS, depth + 1);
			}
			return;
		}
	if (strcmp(k, "payload") == 0) {
		const char *p = str_member(v, "protocol"),
			   *f = str_member(v, "field");
		if (p && f) {
			sb_printf(b, "%s %s", p, f);
		} else {
			const char *base = str_member(v, "base");
			sb_printf(b, "@%s,%lld,%lld", base ? base : "?",
				  (long long)json_integer_value(
				      json_object_get(v, "offset")),
				  (long long)json_integer_value(
				      json_object_get(v, "len")));
		}
	} else if (strcmp(k, "meta") == 0) {
		const char *key = str_member(v, "key");
		if (!key)
			key = "?";
		if (!meta_unqualified(key))
			sb_puts(b, "meta ");
		sb_puts(b, key);
	} else if (strcmp(k, "ct") == 0) {
		const char *key = str_member(v, "key"),
			   *dir = str_member(v, "dir");
		sb_puts(b, "ct ");
		if (dir)
			sb_printf(b, "%s ", dir);
		sb_puts(b, key ? key : "?");
	} else if (strcmp(k, "prefix") == 0) {
		render(b, json_object_get(v, "addr"), flags, depth + 1);
		sb_puts(b, "/");
		render(b, json_object_get(v, "len"), 0, depth + 1);
	} else if (strcmp(k, "range") == 0 && json_array_size(v) == 2) {
		render(b, json_array_get(v, 0), flags, depth + 1);
		sb_puts(b, "-");
		render(b, json_array_get(v, 1), flags, depth + 1);
	} else if (strcmp(k, "set") == 0 && json_is_array(v)) {
		sb_puts(b, "{ ");
		render_list(b, v, ", ", flags | R_INSET, depth);
		sb_puts(b, " }");
	} else if (strcmp(k, "concat") == 0 && json_is_array(v)) {
		render_list(b, v, " . ", flags, depth);
	} else if (strcmp(k, "elem") == 0 && json_is_object(v)) {
		render(b, json_object_get(v, "val"), flags, depth + 1);
	} else if (strcmp(k, "fib") == 0) {
		sb_puts(b, "fib ");
		json_t *f = json_object_get(v, "flags");
		if (json_is_array(f))
			render_list(b, f, " . ", 0, depth);
		else
			render(b, f, 0, depth + 1);
		sb_sep(b);
		render(b, json_object_get(v, "result"), 0, depth + 1);
	} else if (strcmp(k, "map") == 0 && json_is_object(v)) {
		render(b, json_object_get(v, "key"), flags, depth + 1);
		sb_puts(b, " map ");
		render(b, json_object_get(v, "data"), flags, depth + 1);
	} else if ((strcmp(k, "jump") == 0 || strcmp(k, "goto") == 0) &&
		   json_is_object(v)) {
		sb_printf(b, "%s ", k);
		render(b, json_object_get(v, "target"), 0, depth + 1);
	} else {
		/* Anything else (rt, socket, osf, tcp option, exthdr, numgen,
		 * hash, verdicts...): the name, then its scalar members. */
		sb_puts(b, k);
		if (json_is_object(v)) {
			const char *mk;
			json_t *mv;
			json_object_foreach(v, mk, mv)
			{
				(void)mk;
				if (json_is_string(mv) || json_is_integer(mv) ||
				    json_is_boolean(mv)) {
					sb_sep(b);
					render(b, mv, flags, depth + 1);
				}
			}
		} else if (!json_is_null(v)) {
			sb_sep(b);
			render(b, v, flags, depth + 1);
		}
	}
}

static void render(struct sb *b, json_t *v, unsigned flags, int depth)
{
	if (!v)
		return; /* a member the document left out */
	if (depth > MAX_RENDER_DEPTH) {
		sb_puts(b, "...");
		return;
	}
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		if (flags & R_HEX)
			sb_printf(b, "0x%llx",
				  (unsigned long long)json_integer_value(v));
		else
			sb_printf(b, "%lld", (long long)json_integer_value(v));
		return;
	case JSON_REAL:
		sb_printf(b, "%g", json_real_value(v));
		return;
	case JSON_STRING:
		/* "@set" is a reference, not a name */
		if (flags & R_QUOTE && json_string_value(v)[0] != '@')
			sb_quoted(b, json_string_value(v));
		else
			sb_puts(b, json_string_value(v));
		return;
	case JSON_TRUE:
		sb_puts(b, "exists");
		return;
	case JSON_FALSE:
		sb_puts(b, "missing");
		return;
	case JSON_NULL:
		return;
	case JSON_ARRAY:
		if ((flags & R_INSET) && json_array_size(v) == 2) {
			render(b, json_array_get(v, 0), flags & ~R_INSET,
			       depth + 1);
			sb_puts(b, " : ");
			render(b, json_array_get(v, 1), flags & ~R_INSET,
			       depth + 1);
		} else if (flags & R_FLAGS) {
			sb_puts(b, "(");
			render_list(b, v, " | ", flags & ~R_FLAGS, depth);
			sb_puts(b, ")");
		} else {
			render_list(b, v, ",", flags, depth);
		}
		return;
	case JSON_OBJECT: {
		json_t *inner;
		const char *k = only_key(v, &inner);
		if (k)
			render_object(b, k, inner, flags, depth);
		else
			sb_puts(b, "{...}");
		return;
	}
	}
}

/* Flags for rendering the right side of a match on `left`. */
static unsigned value_flags(json_t *left)
{
	json_t *inner;
	const char *k = only_key(left, &inner);
	if (!k || (strcmp(k, "meta") != 0 && strcmp(k, "ct") != 0))
		return 0;
	const char *key = str_member(inner, "key");
	if (!key)
		return 0;
	if (strcmp(key, "mark") == 0)
		return R_HEX;
	if (strcmp(k, "meta") == 0 && meta_unqualified(key))
		return R_QUOTE;
	return 0;
}

static bool json_true_member(json_t *obj, const char *key)
{
	return json_is_true(json_object_get(obj, key));
}

static void render_limit(struct sb *b, json_t *v)
{
	sb_puts(b, "limit rate ");
	if (json_true_member(v, "inv"))
		sb_puts(b, "over ");
	render(b, json_object_get(v, "rate"), 0, 1);
	const char *unit = str_member(v, "rate_unit");
	bool bytes = unit && strcmp(unit, "packets") != 0;
	if (bytes)
		sb_printf(b, " %s", unit);
	const char *per = str_member(v, "per");
	sb_printf(b, "/%s", per ? per : "second");
	json_int_t burst = json_integer_value(json_object_get(v, "burst"));
	/* nft leaves out the default burst (5 packets, none for bytes). */
	if (burst && (bytes || burst != 5)) {
		const char *bu = str_member(v, "burst_unit");
		sb_printf(b, " burst %lld %s", (long long)burst,
			  bytes ? (bu ? bu : "bytes") : "packets");
	}
}

static void render_stmt(struct sb *b, const char *k, json_t *v)
{
	if (strcmp(k, "match") == 0 && json_is_object(v)) {
		json_t *left = json_object_get(v, "left");
		const char *op = str_member(v, "op");
		render(b, left, 0, 1);
		json_t *lv;
		const char *lk = only_key(left, &lv);
		/* nft spells out "==" only after a binary operation:
		 * "tcp flags & (syn | ack) == syn". */
		bool binop = lk && strchr("&|^<>", lk[0]);
		if (op &&
		    (binop || (strcmp(op, "==") != 0 && strcmp(op, "in") != 0)))
			sb_printf(b, " %s", op);
		sb_puts(b, " ");
		render(b, json_object_get(v, "right"), value_flags(left), 1);
	} else if ((strcmp(k, "counter") == 0 || strcmp(k, "limit") == 0 ||
		    strcmp(k, "quota") == 0) &&
		   json_is_string(v)) {
		sb_printf(b, "%s name ", k);
		sb_quoted(b, json_string_value(v));
	} else if (strcmp(k, "counter") == 0) {
		sb_puts(b, "counter");
	} else if (strcmp(k, "log") == 0) {
		sb_puts(b, "log");
		const char *prefix = str_member(v, "prefix");
		if (prefix) {
			sb_puts(b, " prefix ");
			sb_quoted(b, prefix);
		}
		const char *level = str_member(v, "level");
		if (level)
			sb_printf(b, " level %s", level);
		json_t *group = json_object_get(v, "group");
		if (json_is_integer(group))
			sb_printf(b, " group %lld",
				  (long long)json_integer_value(group));
	} else if (strcmp(k, "limit") == 0 && json_is_object(v)) {
		render_limit(b, v);
	} else if (strcmp(k, "quota") == 0 && json_is_object(v)) {
		const char *unit = str_member(v, "val_unit");
		sb_puts(b, "quota ");
		if (json_true_member(v, "inv"))
			sb_puts(b, "over ");
		render(b, json_object_get(v, "val"), 0, 1);
		sb_printf(b, " %s", unit ? unit : "bytes");
	} else if (strcmp(k, "ct count") == 0 && json_is_object(v)) {
		sb_puts(b, "ct count ");
		if (json_true_member(v, "inv"))
			sb_puts(b, "over ");
		render(b, json_object_get(v, "val"), 0, 1);
	} else if (strcmp(k, "reject") == 0) {
		sb_puts(b, "reject");
		const char *type = str_member(v, "type");
		if (type) {
			sb_printf(b, " with %s", type);
			json_t *e = json_object_get(v, "expr");
			if (e) {
				sb_sep(b);
				render(b, e, 0, 1);
			}
		}
	} else if ((strcmp(k, "dnat") == 0 || strcmp(k, "snat") == 0 ||
		    strcmp(k, "masquerade") == 0 ||
		    strcmp(k, "redirect") == 0) &&
		   json_is_object(v)) {
		sb_puts(b, k);
		const char *fam = str_member(v, "family");
		if (fam)
			sb_printf(b, " %s", fam);
		json_t *addr = json_object_get(v, "addr"),
		       *port = json_object_get(v, "port");
		if (addr || port)
			sb_puts(b, " to ");
		if (addr)
			render(b, addr, 0, 1);
		if (port) {
			sb_puts(b, ":");
			render(b, port, 0, 1);
		}
	} else if (strcmp(k, "vmap") == 0 && json_is_object(v)) {
		render(b, json_object_get(v, "key"), 0, 1);
		sb_puts(b, " vmap ");
		render(b, json_object_get(v, "data"), 0, 1);
	} else if (strcmp(k, "mangle") == 0 && json_is_object(v)) {
		json_t *key = json_object_get(v, "key");
		render(b, key, 0, 1);
		sb_puts(b, " set ");
		render(b, json_object_get(v, "value"), value_flags(key), 1);
	} else if ((strcmp(k, "set") == 0 || strcmp(k, "map") == 0) &&
		   json_is_object(v)) {
		const char *op = str_member(v, "op");
		sb_printf(b, "%s ", op ? op : "add");
		render(b, json_object_get(v, k), 0, 1);
		sb_puts(b, " { ");
		render(b, json_object_get(v, "elem"), 0, 1);
		json_t *stmt = json_object_get(v, "stmt");
		if (json_is_array(stmt)) {
			size_t i;
			json_t *s;
			json_array_foreach(stmt, i, s)
			{
				json_t *sv;
				const char *sk = only_key(s, &sv);
				if (sk) {
					sb_sep(b);
					render_stmt(b, sk, sv);
				}
			}
		}
		if (json_object_get(v, "data")) {
			sb_puts(b, " : ");
			render(b, json_object_get(v, "data"), 0, 1);
		}
		sb_puts(b, " }");
	} else if (json_is_object(v) && strcmp(k, "jump") != 0 &&
		   strcmp(k, "goto") != 0 && strcmp(k, "xt") != 0) {
		/* Other statements (queue, tproxy, synproxy, fwd, ...): the
		 * name, then "member value" pairs: "queue num 1". */
		sb_puts(b, k);
		const char *mk;
		json_t *mv;
		json_object_foreach(v, mk, mv)
		{
			sb_printf(b, " %s ", mk);
			render(b, mv, 0, 1);
		}
	} else {
		render_object(b, k, v, 0, 1);
	}
}

/* The parser */

struct table_ent {
	char *key; /* family \x1f name */
	uint8_t family;
	UT_hash_handle hh;
};

struct chain_ent {
	char *key; /* family \x1f table \x1f name */
	uint32_t index;
	UT_hash_handle hh;
};

/* A named set or map. */
struct named {
	char *key; /* family \x1f table \x1f name */
	json_t *obj;
	bool is_map;
	bool dynamic; /* filled by the packet path: its listing is a moment */
	UT_hash_handle hh;
};

struct ctx {
	const char *label;
	char *errbuf;
	struct pn_ruleset *rs;
	struct table_ent *tables;
	struct chain_ent *chains;
	struct named *sets;
	char where[200];
};

__attribute__((format(printf, 2, 3))) static int fail(struct ctx *c,
						      const char *fmt, ...)
{
	int n = c->where[0] ? snprintf(c->errbuf, PN_RULES_ERRBUF_SIZE,
				       "%s: %s: ", c->label, c->where)
			    : snprintf(c->errbuf, PN_RULES_ERRBUF_SIZE,
				       "%s: ", c->label);
	if (n < 0 || n >= PN_RULES_ERRBUF_SIZE - 1)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->errbuf + n, PN_RULES_ERRBUF_SIZE - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

__attribute__((format(printf, 2, 3))) static void
set_where(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->where, sizeof c->where, fmt, ap);
	va_end(ap);
}

/* Joins up to three names with a separator nft names cannot hold. */
static char *make_key(const char *a, const char *b, const char *d)
{
	size_t la = strlen(a), lb = strlen(b), ld = d ? strlen(d) : 0;
	char *k = malloc(la + lb + ld + 3);
	if (!k)
		return NULL;
	memcpy(k, a, la);
	k[la] = '\x1f';
	memcpy(k + la + 1, b, lb);
	size_t n = la + 1 + lb;
	if (d) {
		k[n++] = '\x1f';
		memcpy(k + n, d, ld);
		n += ld;
	}
	k[n] = '\0';
	return k;
}

static int need_str(struct ctx *c, json_t *o, const char *key, const char **out)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return fail(c, "missing \"%s\"", key);
	if (!json_is_string(v))
		return fail(c, "\"%s\" is not a string", key);
	*out = json_string_value(v);
	return 0;
}

/* -1: not a family nft knows. bridge, arp and netdev tables are kept but
 * never evaluated (family 0). */
static int family_parse(const char *s)
{
	if (strcmp(s, "ip") == 0)
		return PN_FAMILY_IPV4;
	if (strcmp(s, "ip6") == 0)
		return PN_FAMILY_IPV6;
	if (strcmp(s, "inet") == 0)
		return PN_FAMILY_BOTH;
	if (strcmp(s, "arp") == 0 || strcmp(s, "bridge") == 0 ||
	    strcmp(s, "netdev") == 0)
		return 0;
	return -1;
}

static struct table_ent *find_table(struct ctx *c, const char *family,
				    const char *name, bool *oom)
{
	char *key = make_key(family, name, NULL);
	*oom = !key;
	if (!key)
		return NULL;
	struct table_ent *t;
	HASH_FIND_STR(c->tables, key, t);
	free(key);
	return t;
}

static long find_chain(struct ctx *c, const char *family, const char *table,
		       const char *name, bool *oom)
{
	char *key = make_key(family, table, name);
	*oom = !key;
	if (!key)
		return -1;
	struct chain_ent *e;
	HASH_FIND_STR(c->chains, key, e);
	free(key);
	return e ? (long)e->index : -1;
}

static struct named *find_set(struct ctx *c, const char *family,
			      const char *table, const char *name, bool *oom)
{
	char *key = make_key(family, table, name);
	*oom = !key;
	if (!key)
		return NULL;
	struct named *s;
	HASH_FIND_STR(c->sets, key, s);
	free(key);
	return s;
}

static int parse_table(struct ctx *c, json_t *o)
{
	const char *family = NULL, *name = NULL;
	if (need_str(c, o, "family", &family) || need_str(c, o, "name", &name))
		return -1;
	set_where(c, "table %s %s", family, name);
	int fam = family_parse(family);
	if (fam < 0)
		return fail(c, "unknown family \"%s\"", family);
	bool oom;
	if (find_table(c, family, name, &oom))
		return fail(c, "declared twice");
	struct table_ent *t = calloc(1, sizeof *t);
	if (t)
		t->key = make_key(family, name, NULL);
	if (!t || !t->key) {
		free(t);
		return fail(c, "out of memory");
	}
	t->family = (uint8_t)fam;
	HASH_ADD_KEYPTR(hh, c->tables, t->key, strlen(t->key), t);
	return 0;
}

/* "filter", "filter + 10", "-5": nft's standard priority names (which
 * differ for bridge). */
static bool prio_parse(const char *s, bool bridge, int *out)
{
	static const struct {
		const char *name;
		int inet, bridge;
	} names[] = {
	    {"raw", -300, -300}, {"mangle", -150, -150}, {"dstnat", -100, -300},
	    {"filter", 0, -200}, {"security", 50, 50},	 {"srcnat", 100, 300},
	    {"out", 100, 100},
	};
	while (isspace((unsigned char)*s))
		s++;
	long base = 0;
	const char *p = s;
	if (isalpha((unsigned char)*s)) {
		size_t n = 0;
		while (isalpha((unsigned char)s[n]))
			n++;
		size_t i;
		for (i = 0; i < sizeof names / sizeof names[0]; i++)
			if (strlen(names[i].name) == n &&
			    strncmp(names[i].name, s, n) == 0)
				break;
		if (i == sizeof names / sizeof names[0])
			return false;
		base = bridge ? names[i].bridge : names[i].inet;
		p = s + n;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0') {
			*out = (int)base;
			return true;
		}
		if (*p != '+' && *p != '-')
			return false;
		bool minus = *p == '-';
		p++;
		while (isspace((unsigned char)*p))
			p++;
		if (!isdigit((unsigned char)*p))
			return false;
		char *end;
		errno = 0;
		long off = strtol(p, &end, 10);
		while (isspace((unsigned char)*end))
			end++;
		if (*end || errno || off > 1000000)
			return false;
		*out = (int)(minus ? base - off : base + off);
		return true;
	}
	char *end;
	errno = 0;
	long v = strtol(p, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (end == p || *end || errno || v < -2147483647L || v > 2147483647L)
		return false;
	*out = (int)v;
	return true;
}

static int parse_chain(struct ctx *c, json_t *o)
{
	const char *family = NULL, *table = NULL, *name = NULL;
	if (need_str(c, o, "family", &family) ||
	    need_str(c, o, "table", &table) || need_str(c, o, "name", &name))
		return -1;
	set_where(c, "chain %s %s/%s", family, table, name);
	bool oom;
	struct table_ent *t = find_table(c, family, table, &oom);
	if (oom)
		return fail(c, "out of memory");
	if (!t)
		return fail(c, "unknown table %s %s", family, table);
	if (find_chain(c, family, table, name, &oom) >= 0)
		return fail(c, "declared twice");
	enum pn_hook hook = PN_HOOK_NONE;
	int prio = 0;
	enum pn_verdict policy = PN_VERDICT_NONE;
	json_t *jhook = json_object_get(o, "hook");
	if (jhook) {
		const char *hookname = NULL, *type = NULL;
		if (need_str(c, o, "hook", &hookname) ||
		    need_str(c, o, "type", &type))
			return -1;
		json_t *jprio = json_object_get(o, "prio");
		if (json_is_integer(jprio)) {
			json_int_t p = json_integer_value(jprio);
			if (p < -2147483647LL || p > 2147483647LL)
				return fail(c, "priority %lld out of range",
					    (long long)p);
			prio = (int)p;
		} else if (json_is_string(jprio)) {
			if (!prio_parse(json_string_value(jprio),
					strcmp(family, "bridge") == 0, &prio))
				return fail(c, "unknown priority \"%s\"",
					    json_string_value(jprio));
		} else {
			return fail(c, jprio ? "\"prio\" is not a number"
					     : "base chain without \"prio\"");
		}
		policy = PN_VERDICT_ACCEPT;
		json_t *jpol = json_object_get(o, "policy");
		if (jpol) {
			const char *pol = json_string_value(jpol);
			if (!pol)
				return fail(c, "\"policy\" is not a string");
			if (strcmp(pol, "drop") == 0)
				policy = PN_VERDICT_DROP;
			else if (strcmp(pol, "accept") != 0)
				return fail(c, "unknown policy \"%s\"", pol);
		}
		/* nat and route chains rewrite rather than filter; chains
		 * outside ip/ip6/inet see no IP packets portnote evaluates. */
		int h = pn_hook_parse(hookname);
		if (strcmp(type, "filter") == 0 && t->family != 0 && h > 0)
			hook = (enum pn_hook)h;
	}
	char tname[256];
	snprintf(tname, sizeof tname, "%s %s", family, table);
	long ci = pn_rules_add_chain(c->rs, tname, name, t->family, hook, prio,
				     policy, 0);
	struct chain_ent *e = ci < 0 ? NULL : calloc(1, sizeof *e);
	if (e)
		e->key = make_key(family, table, name);
	if (!e || !e->key) {
		free(e);
		return fail(c, "out of memory");
	}
	e->index = (uint32_t)ci;
	HASH_ADD_KEYPTR(hh, c->chains, e->key, strlen(e->key), e);
	return 0;
}

static int parse_set(struct ctx *c, json_t *o, bool is_map)
{
	const char *family = NULL, *table = NULL, *name = NULL;
	if (need_str(c, o, "family", &family) ||
	    need_str(c, o, "table", &table) || need_str(c, o, "name", &name))
		return -1;
	set_where(c, "%s %s %s/%s", is_map ? "map" : "set", family, table,
		  name);
	bool oom;
	if (!find_table(c, family, table, &oom))
		return oom ? fail(c, "out of memory")
			   : fail(c, "unknown table %s %s", family, table);
	if (find_set(c, family, table, name, &oom))
		return fail(c, "declared twice");
	json_t *elem = json_object_get(o, "elem");
	if (elem && !json_is_array(elem))
		return fail(c, "\"elem\" is not an array");
	json_t *flags = json_object_get(o, "flags");
	bool dynamic = json_object_get(o, "timeout") != NULL;
	if (json_is_string(flags)) {
		dynamic |= strcmp(json_string_value(flags), "dynamic") == 0 ||
			   strcmp(json_string_value(flags), "timeout") == 0;
	} else if (json_is_array(flags)) {
		size_t i;
		json_t *f;
		json_array_foreach(flags, i, f)
		{
			const char *fs = json_string_value(f);
			if (fs && (strcmp(fs, "dynamic") == 0 ||
				   strcmp(fs, "timeout") == 0))
				dynamic = true;
		}
	} else if (flags) {
		return fail(c, "\"flags\" is not an array");
	}
	struct named *s = calloc(1, sizeof *s);
	if (s)
		s->key = make_key(family, table, name);
	if (!s || !s->key) {
		free(s);
		return fail(c, "out of memory");
	}
	s->obj = o;
	s->is_map = is_map;
	s->dynamic = dynamic;
	HASH_ADD_KEYPTR(hh, c->sets, s->key, strlen(s->key), s);
	return 0;
}

/* Rules */

/* One rule being modeled. */
struct rctx {
	struct ctx *c;
	struct pn_rule *r;
	const char *family, *table;
	bool done; /* a verdict was seen: later statements never run */
};

enum { M_OK = 0, M_ERROR = -1, M_UNMODELED = 1 };

/* The rule cannot match any packet (contradictory conditions, an empty
 * set): no family is one condition the model holds that nothing meets. */
static void never(struct pn_rule *r)
{
	r->family = 0;
}

enum pmerge { PM_OK, PM_NEVER, PM_CANT };

/* Adds "the protocol is (not) p" to what the rule already requires. */
static enum pmerge proto_merge(struct pn_rule *r, int p, bool neg)
{
	if (r->proto == PN_PROTO_ANY) {
		r->proto = p;
		r->proto_negate = neg;
		return PM_OK;
	}
	if (!r->proto_negate)
		return (r->proto == p) != neg ? PM_OK : PM_NEVER;
	if (neg) /* two exclusions: the model holds one */
		return r->proto == p ? PM_OK : PM_CANT;
	if (r->proto == p)
		return PM_NEVER;
	r->proto = p;
	r->proto_negate = false;
	return PM_OK;
}

/* Payload protocols and what matching one of their fields implies: nft
 * adds these dependencies itself ("tcp flags" only matches TCP). */
static const struct {
	const char *name;
	int proto;
	uint8_t family;
} payload_deps[] = {
    {"tcp", 6, 0},
    {"udp", 17, 0},
    {"udplite", 136, 0},
    {"sctp", 132, 0},
    {"dccp", 33, 0},
    {"icmp", 1, PN_FAMILY_IPV4},
    {"igmp", 2, PN_FAMILY_IPV4},
    {"icmpv6", 58, PN_FAMILY_IPV6},
    {"esp", 50, 0},
    {"ah", 51, 0},
    {"comp", 108, 0},
    {"ip", PN_PROTO_ANY, PN_FAMILY_IPV4},
    {"ip6", PN_PROTO_ANY, PN_FAMILY_IPV6},
};

static int payload_dep(const char *proto)
{
	for (size_t i = 0; i < sizeof payload_deps / sizeof payload_deps[0];
	     i++)
		if (strcmp(proto, payload_deps[i].name) == 0)
			return (int)i;
	return -1;
}

/* Applies what a payload expression implies about family and protocol;
 * this holds even when the match itself is not modeled. */
static void imply(struct pn_rule *r, json_t *e, int depth)
{
	json_t *v;
	const char *k = only_key(e, &v);
	if (!k || depth > 2)
		return;
	if (strcmp(k, "concat") == 0 && json_is_array(v)) {
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item) imply(r, item, depth + 1);
		return;
	}
	if (strcmp(k, "&") == 0 || strcmp(k, "|") == 0 || strcmp(k, "^") == 0) {
		imply(r, json_array_get(v, 0), depth + 1);
		return;
	}
	const char *proto = str_member(v, "protocol");
	int d = strcmp(k, "payload") == 0 && proto ? payload_dep(proto) : -1;
	if (d < 0)
		return;
	if (payload_deps[d].family)
		r->family &= payload_deps[d].family;
	if (payload_deps[d].proto != PN_PROTO_ANY &&
	    proto_merge(r, payload_deps[d].proto, false) == PM_NEVER)
		never(r);
}

/* The values of a match's right side, flattened out of anonymous and
 * named sets. */
struct leaves {
	json_t **v;
	size_t n, cap;
	bool from_set;
};

static int leaves_push(struct ctx *c, struct leaves *l, json_t *v)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		json_t **p = realloc(l->v, cap * sizeof *p);
		if (!p)
			return fail(c, "out of memory");
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = v;
	return M_OK;
}

/* "@name" in this rule's table; NULL with an error in errbuf if none. */
static struct named *set_ref(struct rctx *x, const char *ref)
{
	bool oom;
	struct named *s = find_set(x->c, x->family, x->table, ref + 1, &oom);
	if (oom)
		fail(x->c, "out of memory");
	else if (!s)
		fail(x->c, "unknown set \"%s\"", ref);
	return s;
}

static int collect_elem(struct rctx *x, json_t *e, struct leaves *l)
{
	json_t *v;
	const char *k = only_key(e, &v);
	if (k && strcmp(k, "elem") == 0 && json_is_object(v))
		e = json_object_get(v, "val");
	if (!e)
		return fail(x->c, "set element without \"val\"");
	k = only_key(e, &v);
	if (json_is_array(e) || (k && strcmp(k, "concat") == 0))
		return M_UNMODELED; /* map elements, concatenations */
	return leaves_push(x->c, l, e);
}

/* lists: a JSON array is a list of flags (ct state established,related). */
static int collect(struct rctx *x, json_t *right, struct leaves *l, bool lists)
{
	json_t *v;
	const char *k = only_key(right, &v);
	const char *s = json_string_value(right);
	json_t *elems = NULL;
	if (s && s[0] == '@') {
		struct named *set = set_ref(x, s);
		if (!set)
			return M_ERROR;
		if (set->is_map || set->dynamic)
			return M_UNMODELED;
		elems = json_object_get(set->obj, "elem");
		l->from_set = true;
		if (!elems)
			return M_OK; /* empty */
	} else if (k && strcmp(k, "set") == 0) {
		if (!json_is_array(v))
			return fail(x->c, "\"set\" is not an array");
		elems = v;
		l->from_set = true;
	} else if (json_is_array(right)) {
		if (!lists)
			return M_UNMODELED;
		elems = right;
	} else {
		return collect_elem(x, right, l);
	}
	size_t i;
	json_t *e;
	json_array_foreach(elems, i, e)
	{
		int rc = collect_elem(x, e, l);
		if (rc != M_OK)
			return rc;
	}
	return M_OK;
}

/* Checks "@name" references on matches portnote does not model, so a
 * misspelled set is an error wherever it appears. */
static int check_refs(struct rctx *x, json_t *right)
{
	const char *s = json_string_value(right);
	if (s && s[0] == '@' && !set_ref(x, s))
		return M_ERROR;
	return M_OK;
}

static bool service_port(const char *name, int proto, uint16_t *port)
{
	const char *pname = proto == 17 || proto == 136 ? "udp"
			    : proto == 132		? "sctp"
			    : proto == 33		? "dccp"
							: "tcp";
	/* nft -S names ports from the services database of the machine it
	 * ran on; that is the first guess. */
	struct servent *se = getservbyname(name, pname);
	if (se) {
		*port = ntohs((uint16_t)se->s_port);
		return true;
	}
	const struct pn_registry *reg = pn_registry_builtin();
	enum pn_transport t = (enum pn_transport)pn_transport_parse(pname);
	for (long i = pn_registry_find_name(reg, name, 0); i >= 0;
	     i = pn_registry_find_name(reg, name, (uint32_t)i + 1)) {
		const struct pn_entry *e = &reg->entries[i];
		if (e->flags & PN_E_NO_PORT || e->port_lo != e->port_hi)
			continue;
		if (e->transport == t || ((e->flags & PN_E_PROTO_UNSPECIFIED) &&
					  (t == PN_TCP || t == PN_UDP))) {
			*port = e->port_lo;
			return true;
		}
	}
	return false;
}

static int port_value(struct rctx *x, json_t *v, int proto, uint16_t *out)
{
	if (json_is_integer(v)) {
		json_int_t p = json_integer_value(v);
		if (p < 0 || p > 65535)
			return fail(x->c, "port %lld out of range 0-65535",
				    (long long)p);
		*out = (uint16_t)p;
		return M_OK;
	}
	const char *s = json_string_value(v);
	if (!s)
		return fail(x->c, "bad port value");
	if (isdigit((unsigned char)s[0])) {
		char *end;
		errno = 0;
		long p = strtol(s, &end, 10);
		if (*end || errno || p > 65535)
			return fail(x->c, "bad port \"%s\"", s);
		*out = (uint16_t)p;
		return M_OK;
	}
	if (!service_port(s, proto, out))
		return fail(x->c, "unknown service \"%s\"", s);
	return M_OK;
}

enum op { OP_EQ, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE };

static int model_ports(struct rctx *x, struct pn_port_match *m, enum op op,
		       const struct leaves *l, int proto)
{
	struct pn_port_match tmp = {0};
	int rc = M_OK;
	for (size_t i = 0; i < l->n && rc == M_OK; i++) {
		json_t *v;
		const char *k = only_key(l->v[i], &v);
		uint16_t lo, hi;
		if (k && strcmp(k, "range") == 0 && json_array_size(v) == 2) {
			rc = port_value(x, json_array_get(v, 0), proto, &lo);
			if (rc == M_OK)
				rc = port_value(x, json_array_get(v, 1), proto,
						&hi);
		} else if (json_is_object(l->v[i])) {
			rc = M_UNMODELED;
		} else {
			rc = port_value(x, l->v[i], proto, &lo);
			hi = lo;
		}
		if (rc == M_OK && !pn_rule_add_port(&tmp, lo, hi))
			rc = fail(x->c, "out of memory");
	}
	if (rc == M_OK && op != OP_EQ && op != OP_NE) {
		if (l->from_set || tmp.n != 1 ||
		    tmp.ranges[0].lo != tmp.ranges[0].hi) {
			rc = M_UNMODELED;
		} else {
			uint16_t v = tmp.ranges[0].lo;
			struct pn_port_range *pr = &tmp.ranges[0];
			if ((op == OP_LT && v == 0) ||
			    (op == OP_GT && v == 65535))
				rc = M_UNMODELED; /* matches nothing */
			else if (op == OP_LT || op == OP_LE)
				*pr = (struct pn_port_range){
				    0, (uint16_t)(op == OP_LT ? v - 1 : v)};
			else
				*pr = (struct pn_port_range){
				    (uint16_t)(op == OP_GT ? v + 1 : v), 65535};
		}
	}
	if (rc == M_OK && m->n)
		rc = M_UNMODELED; /* a second match on the same field */
	if (rc != M_OK) {
		free(tmp.ranges);
		return rc;
	}
	if (tmp.n == 0) {
		if (op != OP_NE)
			never(x->r);
		return M_OK;
	}
	*m = tmp;
	m->negate = op == OP_NE;
	return M_OK;
}

static const char *family_word(uint8_t fam)
{
	return fam == PN_FAMILY_IPV4 ? "IPv4" : "IPv6";
}

static int addr_parse(struct rctx *x, const char *s, uint8_t fam,
		      bool allow_len, struct pn_prefix *p)
{
	if ((!allow_len && strchr(s, '/')) || !pn_prefix_parse(s, p) ||
	    p->family != fam)
		return fail(x->c, "bad %s address \"%s\"", family_word(fam), s);
	return M_OK;
}

static unsigned bit_at(const uint8_t a[16], unsigned i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1u;
}

/* Is [a, b] exactly one prefix? */
static bool range_is_prefix(const uint8_t a[16], const uint8_t b[16],
			    uint8_t *len)
{
	unsigned n = 0;
	while (n < 128 && bit_at(a, n) == bit_at(b, n))
		n++;
	for (unsigned i = n; i < 128; i++)
		if (bit_at(a, i) != 0 || bit_at(b, i) != 1)
			return false;
	*len = (uint8_t)n;
	return true;
}

static int addr_leaf(struct rctx *x, json_t *leaf, uint8_t fam,
		     struct pn_prefix *p)
{
	const char *s = json_string_value(leaf);
	if (s)
		return addr_parse(x, s, fam, true, p);
	json_t *v;
	const char *k = only_key(leaf, &v);
	if (k && strcmp(k, "prefix") == 0) {
		const char *addr = str_member(v, "addr");
		json_t *jlen = json_object_get(v, "len");
		if (!addr || !json_is_integer(jlen))
			return fail(x->c, "bad prefix");
		int rc = addr_parse(x, addr, fam, false, p);
		if (rc != M_OK)
			return rc;
		json_int_t len = json_integer_value(jlen);
		json_int_t max = fam == PN_FAMILY_IPV4 ? 32 : 128;
		if (len < 0 || len > max)
			return fail(x->c, "bad prefix length %lld for %s",
				    (long long)len, addr);
		p->len = (uint8_t)(len + (fam == PN_FAMILY_IPV4 ? 96 : 0));
		return M_OK;
	}
	if (k && strcmp(k, "range") == 0 && json_array_size(v) == 2) {
		const char *a = json_string_value(json_array_get(v, 0)),
			   *b = json_string_value(json_array_get(v, 1));
		struct pn_prefix pb;
		if (!a || !b)
			return fail(x->c, "bad address range");
		if (addr_parse(x, a, fam, false, p) != M_OK ||
		    addr_parse(x, b, fam, false, &pb) != M_OK)
			return M_ERROR;
		return range_is_prefix(p->addr, pb.addr, &p->len) ? M_OK
								  : M_UNMODELED;
	}
	if (json_is_object(leaf))
		return M_UNMODELED;
	return fail(x->c, "bad %s address value", family_word(fam));
}

static int model_addrs(struct rctx *x, struct pn_addr_match *m, enum op op,
		       const struct leaves *l, uint8_t fam)
{
	if (op != OP_EQ && op != OP_NE)
		return M_UNMODELED;
	struct pn_addr_match tmp = {0};
	int rc = M_OK;
	for (size_t i = 0; i < l->n && rc == M_OK; i++) {
		struct pn_prefix p;
		rc = addr_leaf(x, l->v[i], fam, &p);
		if (rc == M_OK && !pn_rule_add_prefix(&tmp, &p))
			rc = fail(x->c, "out of memory");
	}
	if (rc == M_OK && m->n)
		rc = M_UNMODELED;
	if (rc != M_OK) {
		free(tmp.prefixes);
		return rc;
	}
	if (tmp.n == 0) {
		if (op != OP_NE)
			never(x->r);
		return M_OK;
	}
	*m = tmp;
	m->negate = op == OP_NE;
	return M_OK;
}

static int proto_by_name(const char *s)
{
	static const struct {
		const char *name;
		int proto;
	} names[] = {
	    {"icmp", 1},      {"igmp", 2},	 {"tcp", 6},	 {"udp", 17},
	    {"dccp", 33},     {"ipv6", 41},	 {"gre", 47},	 {"esp", 50},
	    {"ah", 51},	      {"ipv6-icmp", 58}, {"icmpv6", 58}, {"ospf", 89},
	    {"pim", 103},     {"vrrp", 112},	 {"l2tp", 115},	 {"sctp", 132},
	    {"udplite", 136}, {"ipencap", 4},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].proto;
	if (isdigit((unsigned char)s[0])) {
		char *end;
		long p = strtol(s, &end, 10);
		return *end || p > 255 ? -1 : (int)p;
	}
	/* nft names protocols from the protocols database of its machine. */
	struct protoent *pe = getprotobyname(s);
	return pe && pe->p_proto >= 0 && pe->p_proto <= 255 ? pe->p_proto : -1;
}

/* A protocol value: a number or a name; -1 when unknown, -2 on a bad
 * value (errbuf set). */
static int proto_value(struct rctx *x, json_t *v)
{
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);
		if (n < 0 || n > 255) {
			fail(x->c, "protocol %lld out of range 0-255",
			     (long long)n);
			return -2;
		}
		return (int)n;
	}
	if (json_is_string(v))
		return proto_by_name(json_string_value(v));
	return -1;
}

/* "meta l4proto { tcp, udp }": several protocols. */
static int model_proto_set(struct rctx *x, enum op op, const struct leaves *l)
{
	struct pn_rule *r = x->r;
	if (r->proto != PN_PROTO_ANY || r->has_proto_set)
		return M_UNMODELED; /* a second protocol condition */
	uint64_t set[4] = {0};
	for (size_t i = 0; i < l->n; i++) {
		int p = proto_value(x, l->v[i]);
		if (p == -2)
			return M_ERROR;
		if (p < 0)
			return M_UNMODELED;
		set[p / 64] |= 1ull << (p % 64);
	}
	r->has_proto_set = true;
	memcpy(r->proto_set, set, sizeof set);
	r->proto_negate = op == OP_NE;
	return M_OK;
}

/* icmp type { echo-request, ... } / icmpv6 type ... */
static int model_icmp(struct rctx *x, enum op op, const struct leaves *l,
		      uint8_t fam)
{
	struct pn_rule *r = x->r;
	if ((op != OP_EQ && op != OP_NE) || r->has_icmp || l->n == 0)
		return M_UNMODELED;
	uint64_t types[4] = {0};
	for (size_t i = 0; i < l->n; i++) {
		json_t *v = l->v[i];
		int t, code;
		if (json_is_integer(v) && json_integer_value(v) >= 0 &&
		    json_integer_value(v) <= 255)
			t = (int)json_integer_value(v);
		else if (json_is_string(v))
			t = pn_icmp_type_parse(json_string_value(v),
					       fam == PN_FAMILY_IPV6, &code);
		else
			return M_UNMODELED;
		if (t < 0 || t > 255)
			return M_UNMODELED;
		types[t / 64] |= 1ull << (t % 64);
	}
	r->has_icmp = true;
	r->icmp_negate = op == OP_NE;
	r->icmp_code = -1;
	memcpy(r->icmp_types, types, sizeof types);
	return M_OK;
}

static int tcp_flag_bits(json_t *v)
{
	static const struct {
		const char *name;
		uint8_t bit;
	} names[] = {{"fin", 0x01}, {"syn", 0x02}, {"rst", 0x04},
		     {"psh", 0x08}, {"ack", 0x10}, {"urg", 0x20},
		     {"ecn", 0x40}, {"cwr", 0x80}};
	if (json_is_integer(v))
		return json_integer_value(v) >= 0 &&
			       json_integer_value(v) <= 255
			   ? (int)json_integer_value(v)
			   : -1;
	if (json_is_array(v)) {
		int bits = 0;
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
		{
			int b = tcp_flag_bits(e);
			if (b < 0)
				return -1;
			bits |= b;
		}
		return bits;
	}
	const char *s = json_string_value(v);
	for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].bit;
	return -1;
}

/* "tcp flags & (fin | syn | rst | ack) == syn", "tcp flags syn" (any of
 * the named flags set: op "in"), "tcp flags == syn". */
static int model_tcpflags(struct rctx *x, json_t *left, json_t *right,
			  const char *ops)
{
	struct pn_rule *r = x->r;
	if (check_refs(x, right) != M_OK)
		return M_ERROR;
	if (r->tcp_mask)
		return M_UNMODELED;
	json_t *v;
	const char *k = only_key(left, &v);
	int mask = 0xff;
	if (k && strcmp(k, "&") == 0) {
		mask = tcp_flag_bits(json_array_get(v, 1));
		if (mask <= 0)
			return M_UNMODELED;
	}
	int cmp = tcp_flag_bits(right);
	if (cmp < 0)
		return M_UNMODELED;
	if (strcmp(ops, "in") == 0) {
		/* "tcp flags syn": one named flag set, whatever the rest */
		if (__builtin_popcount((unsigned)cmp) != 1 || mask != 0xff)
			return M_UNMODELED;
		mask = cmp;
	} else if (strcmp(ops, "==") != 0 && strcmp(ops, "!=") != 0) {
		return M_UNMODELED;
	}
	r->tcp_mask = (uint8_t)mask;
	r->tcp_cmp = (uint8_t)(cmp & mask);
	r->tcp_negate = strcmp(ops, "!=") == 0;
	return M_OK;
}

/* fib daddr type local */
static int model_fibtype(struct rctx *x, enum op op, const struct leaves *l,
			 bool dst)
{
	struct pn_rule *r = x->r;
	uint16_t *t = dst ? &r->dst_type : &r->src_type;
	if ((op != OP_EQ && op != OP_NE) || *t || l->n == 0)
		return M_UNMODELED;
	int mask = 0;
	for (size_t i = 0; i < l->n; i++) {
		const char *s = json_string_value(l->v[i]);
		int k = s ? pn_addrtype_parse(s, strlen(s)) : -1;
		if (k < 0)
			return M_UNMODELED;
		mask |= k;
	}
	*t = (uint16_t)mask;
	if (dst)
		r->dst_type_negate = op == OP_NE;
	else
		r->src_type_negate = op == OP_NE;
	return M_OK;
}

static int model_proto(struct rctx *x, enum op op, const struct leaves *l)
{
	if (op != OP_EQ && op != OP_NE)
		return M_UNMODELED;
	if (l->n == 0) {
		if (op != OP_NE)
			never(x->r);
		return M_OK;
	}
	if (l->n > 1)
		return model_proto_set(x, op, l);
	json_t *v = l->v[0];
	int p;
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);
		if (n < 0 || n > 255)
			return fail(x->c, "protocol %lld out of range 0-255",
				    (long long)n);
		p = (int)n;
	} else if (json_is_string(v)) {
		p = proto_by_name(json_string_value(v));
		if (p < 0)
			return M_UNMODELED;
	} else if (json_is_object(v)) {
		return M_UNMODELED;
	} else {
		return fail(x->c, "bad protocol value");
	}
	switch (proto_merge(x->r, p, op == OP_NE)) {
	case PM_OK:
		return M_OK;
	case PM_NEVER:
		never(x->r);
		return M_OK;
	default:
		return M_UNMODELED;
	}
}

/* meta nfproto (ipv4, ipv6) or meta protocol (ethertype ip, ip6). */
static int model_family(struct rctx *x, enum op op, const struct leaves *l,
			bool ethertype)
{
	if (op != OP_EQ && op != OP_NE)
		return M_UNMODELED;
	uint8_t mask = 0;
	for (size_t i = 0; i < l->n; i++) {
		json_t *v = l->v[i];
		const char *s = json_string_value(v);
		json_int_t n = json_integer_value(v);
		if (s ? strcmp(s, ethertype ? "ip" : "ipv4") == 0
		      : json_is_integer(v) && n == (ethertype ? 0x0800 : 2))
			mask |= PN_FAMILY_IPV4;
		else if (s ? strcmp(s, ethertype ? "ip6" : "ipv6") == 0
			   : json_is_integer(v) &&
				 n == (ethertype ? 0x86dd : 10))
			mask |= PN_FAMILY_IPV6;
		else
			return M_UNMODELED;
	}
	if (op == OP_NE)
		mask = (uint8_t)(PN_FAMILY_BOTH & ~mask);
	x->r->family &= mask;
	return M_OK;
}

static int model_iface(struct rctx *x, struct pn_iface_match *m, enum op op,
		       const struct leaves *l)
{
	if (op != OP_EQ && op != OP_NE)
		return M_UNMODELED;
	bool neg = op == OP_NE;
	if (l->n == 0) {
		if (!neg)
			never(x->r);
		return M_OK;
	}
	if (l->n > 1)
		return M_UNMODELED; /* the model holds one name */
	const char *s = json_string_value(l->v[0]);
	if (!s) {
		if (json_is_integer(l->v[0]) || json_is_object(l->v[0]))
			return M_UNMODELED;
		return fail(x->c, "bad interface name");
	}
	if (m->name[0] || m->negate)
		return M_UNMODELED;
	char name[sizeof m->name];
	size_t n = strlen(s);
	bool wildcard = false;
	if (n >= 2 && s[n - 2] == '\\' && s[n - 1] == '*') {
		n--; /* "\*": a literal star */
		if (n > sizeof name - 1)
			return fail(x->c, "interface name \"%s\" too long", s);
		memcpy(name, s, n - 1);
		name[n - 1] = '*';
	} else {
		if (n && s[n - 1] == '*') {
			wildcard = true;
			n--;
		}
		if (n > sizeof name - 1)
			return fail(x->c, "interface name \"%s\" too long", s);
		memcpy(name, s, n);
	}
	name[n] = '\0';
	if (n == 0) {
		/* "*" matches every name, "" none; neither needs a match,
		 * and "!= *" would need "no interface". */
		if (!wildcard || neg)
			return M_UNMODELED;
		return M_OK;
	}
	memcpy(m->name, name, n + 1);
	m->wildcard = wildcard;
	m->negate = neg;
	return M_OK;
}

static int ct_bits(struct rctx *x, json_t *v, uint8_t *mask)
{
	static const struct {
		const char *name;
		uint8_t bit;
		unsigned kernel; /* nft's numeric value */
	} states[] = {
	    {"invalid", PN_CT_INVALID, 1},
	    {"established", PN_CT_ESTABLISHED, 2},
	    {"related", PN_CT_RELATED, 4},
	    {"new", PN_CT_NEW, 8},
	    {"untracked", PN_CT_UNTRACKED, 64},
	};
	const size_t n = sizeof states / sizeof states[0];
	const char *s = json_string_value(v);
	if (s) {
		for (size_t i = 0; i < n; i++)
			if (strcmp(s, states[i].name) == 0) {
				*mask |= states[i].bit;
				return M_OK;
			}
		return fail(x->c, "unknown ct state \"%s\"", s);
	}
	if (json_is_integer(v)) {
		json_int_t bits = json_integer_value(v);
		for (size_t i = 0; i < n; i++)
			if (bits & states[i].kernel) {
				*mask |= states[i].bit;
				bits &= ~(json_int_t)states[i].kernel;
			}
		if (bits == 0)
			return M_OK;
		return fail(x->c, "unknown ct state %lld",
			    (long long)json_integer_value(v));
	}
	return fail(x->c, "bad ct state value");
}

static int model_ctstate(struct rctx *x, enum op op, const struct leaves *l)
{
	if (op != OP_EQ && op != OP_NE)
		return M_UNMODELED;
	uint8_t mask = 0;
	for (size_t i = 0; i < l->n; i++)
		if (ct_bits(x, l->v[i], &mask) != M_OK)
			return M_ERROR;
	if (x->r->ctstate)
		return M_UNMODELED;
	if (mask == 0) {
		if (op != OP_NE)
			never(x->r);
		return M_OK;
	}
	x->r->ctstate = mask;
	x->r->ctstate_negate = op == OP_NE;
	return M_OK;
}

enum lkind {
	L_OTHER,
	L_PORT,
	L_ADDR,
	L_PROTO,
	L_NFPROTO,
	L_ETHERTYPE,
	L_IIF,
	L_OIF,
	L_CTSTATE,
	L_ICMPTYPE,
	L_TCPFLAGS,
	L_FIBTYPE,
};

struct lhs {
	enum lkind kind;
	bool dst;    /* dport, daddr */
	int proto;   /* protocol a port match implies, or PN_PROTO_ANY */
	uint8_t fam; /* address family of an address match */
};

static struct lhs classify(json_t *left)
{
	struct lhs L = {L_OTHER, false, PN_PROTO_ANY, 0};
	json_t *v;
	const char *k = only_key(left, &v);
	/* "tcp flags & (fin | syn | rst | ack)": the mask is read with the
	 * right side. */
	if (k && strcmp(k, "&") == 0 && json_is_array(v) &&
	    json_array_size(v) == 2) {
		struct lhs in = classify(json_array_get(v, 0));
		if (in.kind == L_TCPFLAGS)
			return in;
		return L;
	}
	if (k && strcmp(k, "fib") == 0 && json_is_object(v)) {
		const char *result = str_member(v, "result");
		json_t *flags = json_object_get(v, "flags");
		json_t *f0 = json_is_array(flags) && json_array_size(flags) == 1
				 ? json_array_get(flags, 0)
				 : flags;
		const char *fs = json_string_value(f0);
		if (result && strcmp(result, "type") == 0 && fs &&
		    (strcmp(fs, "daddr") == 0 || strcmp(fs, "saddr") == 0)) {
			L.kind = L_FIBTYPE;
			L.dst = fs[0] == 'd';
		}
		return L;
	}
	if (!k || !json_is_object(v))
		return L;
	if (strcmp(k, "payload") == 0) {
		const char *p = str_member(v, "protocol"),
			   *f = str_member(v, "field");
		if (!p || !f)
			return L;
		bool port = strcmp(f, "dport") == 0 || strcmp(f, "sport") == 0;
		bool addr = strcmp(f, "daddr") == 0 || strcmp(f, "saddr") == 0;
		L.dst = f[0] == 'd';
		int d = payload_dep(p);
		if (port && (strcmp(p, "th") == 0 ||
			     (d >= 0 && d <= 4))) { /* tcp .. dccp */
			L.kind = L_PORT;
			L.proto = d >= 0 ? payload_deps[d].proto : PN_PROTO_ANY;
		} else if (addr &&
			   (strcmp(p, "ip") == 0 || strcmp(p, "ip6") == 0)) {
			L.kind = L_ADDR;
			L.fam = p[2] ? PN_FAMILY_IPV6 : PN_FAMILY_IPV4;
		} else if ((strcmp(p, "icmp") == 0 ||
			    strcmp(p, "icmpv6") == 0) &&
			   strcmp(f, "type") == 0) {
			L.kind = L_ICMPTYPE;
			L.fam = p[4] ? PN_FAMILY_IPV6 : PN_FAMILY_IPV4;
		} else if (strcmp(p, "tcp") == 0 && strcmp(f, "flags") == 0) {
			L.kind = L_TCPFLAGS;
		} else if ((strcmp(p, "ip") == 0 &&
			    strcmp(f, "protocol") == 0) ||
			   (strcmp(p, "ip6") == 0 &&
			    strcmp(f, "nexthdr") == 0)) {
			L.kind = L_PROTO;
		}
	} else if (strcmp(k, "meta") == 0) {
		const char *key = str_member(v, "key");
		if (!key)
			return L;
		if (strcmp(key, "l4proto") == 0)
			L.kind = L_PROTO;
		else if (strcmp(key, "nfproto") == 0)
			L.kind = L_NFPROTO;
		else if (strcmp(key, "protocol") == 0)
			L.kind = L_ETHERTYPE;
		else if (strcmp(key, "iifname") == 0 || strcmp(key, "iif") == 0)
			L.kind = L_IIF;
		else if (strcmp(key, "oifname") == 0 || strcmp(key, "oif") == 0)
			L.kind = L_OIF;
	} else if (strcmp(k, "ct") == 0) {
		const char *key = str_member(v, "key");
		if (key && strcmp(key, "state") == 0 &&
		    !json_object_get(v, "dir"))
			L.kind = L_CTSTATE;
	}
	return L;
}

static int model_match(struct rctx *x, json_t *m)
{
	struct ctx *c = x->c;
	if (!json_is_object(m))
		return fail(c, "\"match\" is not an object");
	json_t *left = json_object_get(m, "left"),
	       *right = json_object_get(m, "right");
	const char *ops = str_member(m, "op");
	if (!left || !right)
		return fail(c, "match without \"left\" or \"right\"");
	if (!ops)
		return fail(c, "match without \"op\"");
	static const char *const opnames[] = {"==", "!=", "<", ">", "<=", ">="};
	enum op op = OP_EQ;
	if (strcmp(ops, "in") != 0) {
		size_t i;
		for (i = 0; i < sizeof opnames / sizeof opnames[0]; i++)
			if (strcmp(ops, opnames[i]) == 0)
				break;
		if (i == sizeof opnames / sizeof opnames[0])
			return fail(c, "unknown match operator \"%s\"", ops);
		op = (enum op)i;
	}
	struct lhs L = classify(left);
	imply(x->r, left, 0);
	if (L.kind == L_OTHER)
		return check_refs(x, right) == M_OK ? M_UNMODELED : M_ERROR;
	if (L.kind == L_TCPFLAGS)
		return model_tcpflags(x, left, right, ops);
	struct leaves l = {0};
	int rc = collect(x, right, &l, L.kind == L_CTSTATE);
	if (rc == M_OK) {
		struct pn_rule *r = x->r;
		switch (L.kind) {
		case L_PORT:
			rc = model_ports(x, L.dst ? &r->dport : &r->sport, op,
					 &l, L.proto);
			break;
		case L_ADDR:
			rc = model_addrs(x, L.dst ? &r->daddr : &r->saddr, op,
					 &l, L.fam);
			break;
		case L_PROTO:
			rc = model_proto(x, op, &l);
			break;
		case L_NFPROTO:
		case L_ETHERTYPE:
			rc = model_family(x, op, &l, L.kind == L_ETHERTYPE);
			break;
		case L_IIF:
		case L_OIF:
			rc = model_iface(x, L.kind == L_IIF ? &r->iif : &r->oif,
					 op, &l);
			break;
		case L_CTSTATE:
			rc = model_ctstate(x, op, &l);
			break;
		case L_ICMPTYPE:
			rc = model_icmp(x, op, &l, L.fam);
			break;
		case L_FIBTYPE:
			rc = model_fibtype(x, op, &l, L.dst);
			break;
		case L_TCPFLAGS:
		case L_OTHER:
			break;
		}
	}
	free(l.v);
	return rc;
}

/* Statements that neither decide whether a rule matches nor give a
 * verdict. */
static bool harmless(const char *k, json_t *v)
{
	static const char *const names[] = {
	    "counter",	 "log",	       "mangle",	 "notrack",
	    "ct helper", "ct timeout", "ct expectation", "dup",
	    "flow",	 "last",       "secmark"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(k, names[i]) == 0)
			return true;
	/* add/update/delete @set { ... }, unless a statement inside it (a
	 * meter's limit) decides whether the rule goes on. */
	if ((strcmp(k, "set") == 0 || strcmp(k, "map") == 0) &&
	    json_is_object(v) && !json_object_get(v, "stmt"))
		return true;
	/* iptables-nft's -m comment */
	if (strcmp(k, "xt") == 0 && json_is_object(v)) {
		const char *type = str_member(v, "type"),
			   *name = str_member(v, "name");
		return type && name && strcmp(type, "match") == 0 &&
		       strcmp(name, "comment") == 0;
	}
	return false;
}

static int model_stmt(struct rctx *x, const char *k, json_t *v,
		      const char *text)
{
	struct pn_rule *r = x->r;
	static const struct {
		const char *name;
		enum pn_verdict verdict;
	} verdicts[] = {
	    {"accept", PN_VERDICT_ACCEPT}, {"drop", PN_VERDICT_DROP},
	    {"reject", PN_VERDICT_REJECT}, {"return", PN_VERDICT_RETURN},
	    {"continue", PN_VERDICT_NONE}, {"jump", PN_VERDICT_JUMP},
	    {"goto", PN_VERDICT_GOTO},
	};
	for (size_t i = 0; i < sizeof verdicts / sizeof verdicts[0]; i++) {
		if (strcmp(k, verdicts[i].name) != 0)
			continue;
		long target = 0;
		if (verdicts[i].verdict == PN_VERDICT_JUMP ||
		    verdicts[i].verdict == PN_VERDICT_GOTO) {
			const char *t = str_member(v, "target");
			if (!t)
				return fail(x->c, "\"%s\" without a target", k);
			bool oom;
			target = find_chain(x->c, x->family, x->table, t, &oom);
			if (oom)
				return fail(x->c, "out of memory");
			if (target < 0)
				return fail(x->c, "%s to unknown chain \"%s\"",
					    k, t);
		}
		if (!x->done) {
			r->verdict = verdicts[i].verdict;
			r->target = (uint32_t)target;
			x->done = true;
		}
		return M_OK;
	}
	if (x->done || harmless(k, v))
		return M_OK;
	int rc = M_UNMODELED;
	if (strcmp(k, "match") == 0) {
		rc = model_match(x, v);
	} else if (strcmp(k, "vmap") == 0 && json_is_object(v)) {
		imply(r, json_object_get(v, "key"), 0);
		rc = check_refs(x, json_object_get(v, "data")) == M_OK
			 ? M_UNMODELED
			 : M_ERROR;
	}
	if (rc == M_UNMODELED && !pn_rule_add_unmodeled(r, text))
		return fail(x->c, "out of memory");
	return rc == M_ERROR ? M_ERROR : M_OK;
}

static int parse_rule(struct ctx *c, json_t *o)
{
	const char *family = NULL, *table = NULL, *chain = NULL;
	if (need_str(c, o, "family", &family) ||
	    need_str(c, o, "table", &table) || need_str(c, o, "chain", &chain))
		return -1;
	json_t *jhandle = json_object_get(o, "handle");
	json_int_t handle = json_integer_value(jhandle);
	if (jhandle && (!json_is_integer(jhandle) || handle < 0))
		return fail(c, "rule in %s %s/%s: bad \"handle\"", family,
			    table, chain);
	bool oom;
	long ci = find_chain(c, family, table, chain, &oom);
	if (ci >= 0 && !jhandle)
		set_where(c, "rule %u in %s %s/%s",
			  c->rs->chains[ci].n_rules + 1, family, table, chain);
	else
		set_where(c, "rule handle %lld in %s %s/%s", (long long)handle,
			  family, table, chain);
	if (oom)
		return fail(c, "out of memory");
	if (ci < 0) {
		if (!find_table(c, family, table, &oom))
			return oom ? fail(c, "out of memory")
				   : fail(c, "unknown table %s %s", family,
					  table);
		return fail(c, "unknown chain %s", chain);
	}
	json_t *expr = json_object_get(o, "expr");
	if (!json_is_array(expr))
		return fail(c, expr ? "\"expr\" is not an array"
				    : "missing \"expr\"");
	json_t *jcomment = json_object_get(o, "comment");
	if (jcomment && !json_is_string(jcomment))
		return fail(c, "\"comment\" is not a string");
	/* n_rules counts as rules arrive; pn_rules_sort sets it again. */
	c->rs->chains[ci].n_rules++;
	struct pn_rule *r = pn_rules_add_rule(c->rs, (uint32_t)ci, 0);
	if (!r)
		return fail(c, "out of memory");
	r->handle = (uint64_t)handle;
	if (c->rs->chains[ci].family)
		r->family = c->rs->chains[ci].family;
	struct rctx x = {c, r, family, table, false};
	struct sb text = {0};
	int rc = 0;
	size_t i;
	json_t *e;
	json_array_foreach(expr, i, e)
	{
		json_t *v;
		const char *k = only_key(e, &v);
		if (!k) {
			rc = fail(
			    c, "expr[%zu] is not an object with one member", i);
			break;
		}
		sb_sep(&text);
		size_t start = text.len;
		render_stmt(&text, k, v);
		if (text.oom)
			break;
		if (model_stmt(&x, k, v, text.s + start) != M_OK) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && jcomment) {
		const char *comment = json_string_value(jcomment);
		sb_sep(&text);
		sb_puts(&text, "comment ");
		sb_quoted(&text, comment);
		if (!pn_rule_set_text(&r->comment, comment))
			text.oom = true;
	}
	if (rc == 0 &&
	    (text.oom || !pn_rule_set_text(&r->text, text.s ? text.s : "")))
		rc = fail(c, "out of memory");
	free(text.s);
	return rc;
}

/* Sets that rules add to ("add @blocked { ip saddr }", meters) change with
 * traffic: matching against them is not modeled. */
static void mark_dynamic(struct ctx *c, json_t *o)
{
	const char *family = str_member(o, "family"),
		   *table = str_member(o, "table");
	json_t *expr = json_object_get(o, "expr");
	if (!family || !table || !json_is_array(expr))
		return;
	size_t i;
	json_t *e;
	json_array_foreach(expr, i, e)
	{
		json_t *v;
		const char *k = only_key(e, &v);
		if (!k || !json_is_object(v))
			continue;
		const char *name = NULL;
		if (strcmp(k, "set") == 0 || strcmp(k, "map") == 0)
			name = str_member(v, k);
		else if (strcmp(k, "meter") == 0)
			name = str_member(v, "name");
		if (!name)
			continue;
		if (name[0] == '@')
			name++;
		bool oom;
		struct named *s = find_set(c, family, table, name, &oom);
		if (s)
			s->dynamic = true;
	}
}

static void ctx_free(struct ctx *c)
{
	struct table_ent *t, *tt;
	HASH_ITER(hh, c->tables, t, tt)
	{
		HASH_DEL(c->tables, t);
		free(t->key);
		free(t);
	}
	struct chain_ent *ch, *ct;
	HASH_ITER(hh, c->chains, ch, ct)
	{
		HASH_DEL(c->chains, ch);
		free(ch->key);
		free(ch);
	}
	struct named *s, *st;
	HASH_ITER(hh, c->sets, s, st)
	{
		HASH_DEL(c->sets, s);
		free(s->key);
		free(s);
	}
}

/* Objects of `nft -j` input scripts, not of a listing. */
static bool is_command(const char *k)
{
	static const char *const cmds[] = {
	    "add",   "create", "insert", "replace", "delete",
	    "flush", "reset",  "list",	 "rename",  "destroy"};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(k, cmds[i]) == 0)
			return true;
	return false;
}

enum pass { PASS_TABLES, PASS_DECLS, PASS_SETUSE, PASS_RULES };

static int run_pass(struct ctx *c, json_t *list, enum pass pass)
{
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item)
	{
		set_where(c, "nftables[%zu]", i);
		json_t *v;
		const char *k = only_key(item, &v);
		if (!k)
			return fail(c, "not an object with one member");
		if (is_command(k))
			return fail(c,
				    "\"%s\" is a command; expected the "
				    "output of nft -j list ruleset",
				    k);
		bool table = strcmp(k, "table") == 0,
		     chain = strcmp(k, "chain") == 0,
		     set = strcmp(k, "set") == 0, map = strcmp(k, "map") == 0,
		     rule = strcmp(k, "rule") == 0;
		if (!(table || chain || set || map || rule))
			continue; /* metainfo, flowtable, ct helper, ... */
		if (!json_is_object(v))
			return fail(c, "\"%s\" is not an object", k);
		int rc = 0;
		switch (pass) {
		case PASS_TABLES:
			if (table)
				rc = parse_table(c, v);
			break;
		case PASS_DECLS:
			if (chain)
				rc = parse_chain(c, v);
			else if (set || map)
				rc = parse_set(c, v, map);
			break;
		case PASS_SETUSE:
			if (rule)
				mark_dynamic(c, v);
			break;
		case PASS_RULES:
			if (rule)
				rc = parse_rule(c, v);
			break;
		}
		if (rc)
			return rc;
	}
	return 0;
}

int pn_rules_parse_nft(const char *text, size_t len, const char *label,
		       struct pn_ruleset **out, char *errbuf)
{
	*out = NULL;
	json_error_t jerr;
	json_t *root = json_loadb(text, len, 0, &jerr);
	if (!root) {
		if (jerr.line > 0)
			snprintf(errbuf, PN_RULES_ERRBUF_SIZE, "%s:%d: %s",
				 label, jerr.line, jerr.text);
		else
			snprintf(errbuf, PN_RULES_ERRBUF_SIZE, "%s: %s", label,
				 jerr.text);
		return -1;
	}
	struct ctx c = {.label = label, .errbuf = errbuf};
	c.rs = pn_rules_new(label, PN_RULES_NFT);
	json_t *list = json_object_get(root, "nftables");
	int rc = -1;
	if (!c.rs)
		fail(&c, "out of memory");
	else if (!json_is_array(list))
		fail(&c,
		     "not nft JSON: expected an object with an \"nftables\" "
		     "array (nft -j list ruleset)");
	else if (run_pass(&c, list, PASS_TABLES) == 0 &&
		 run_pass(&c, list, PASS_DECLS) == 0 &&
		 run_pass(&c, list, PASS_SETUSE) == 0 &&
		 run_pass(&c, list, PASS_RULES) == 0)
		rc = 0;
	ctx_free(&c);
	json_decref(root);
	if (rc) {
		pn_ruleset_free(c.rs);
		return -1;
	}
	/* pn_rules_sort hands qsort a NULL array when there are no rules
	 * (undefined behaviour); with none, chains are already in order. */
	if (c.rs->n_rules)
		pn_rules_sort(c.rs);
	*out = c.rs;
	return 0;
}
