/* cmd_lookup.c — "portnote lookup": what the registry says about ports,
 * port ranges and service names. */
/* strcasestr, for "did you mean". */
#define _GNU_SOURCE
#include "portnote/cli.h"
#include "portnote/commands.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char usage[] =
    "usage: portnote lookup [options] QUERY...\n"
    "\n"
    "Shows what the IANA registry records for each QUERY:\n"
    "  PORT[/TRANSPORT]        443/tcp, or 465 for all four transports\n"
    "  LOW-HIGH[/TRANSPORT]    6000-6010/tcp; ports with the same entries "
    "are grouped\n"
    "  NAME[/TRANSPORT]        https, or a DNS-SD name that has no port\n"
    "TRANSPORT is tcp, udp, sctp or dccp. A registration says what a port is\n"
    "registered for, not what traffic on it is.\n"
    "\n"
    "options:\n" PN_COMMON_HELP "\n"
    "Exit status: 0, 1 if a NAME is not in the registry, 2 on bad usage.\n";

struct query {
	const char *text;
	bool by_name;
	char name[128];
	uint16_t lo, hi;
	int transport; /* -1: all four */
};

static int parse_query(const struct pn_cli *cli, const char *text,
		       struct query *q)
{
	memset(q, 0, sizeof *q);
	q->text = text;
	q->transport = -1;
	const char *slash = strrchr(text, '/');
	size_t head = slash ? (size_t)(slash - text) : strlen(text);
	if (slash) {
		q->transport = pn_transport_parse(slash + 1);
		if (q->transport < 0)
			return pn_cli_usage_error(
			    cli,
			    "unknown transport '%s' in '%s' (expected tcp, "
			    "udp, sctp or dccp)",
			    slash + 1, text);
	}
	if (head == 0 || head >= sizeof q->name)
		return pn_cli_usage_error(cli, "bad query '%s'", text);
	memcpy(q->name, text, head);
	q->name[head] = '\0';
	if (!isdigit((unsigned char)q->name[0])) {
		q->by_name = true;
		return 0;
	}
	char *end;
	unsigned long lo = strtoul(q->name, &end, 10), hi = lo;
	if (*end == '-' && isdigit((unsigned char)end[1]))
		hi = strtoul(end + 1, &end, 10);
	if (*end || lo > hi || hi > 65535)
		return pn_cli_usage_error(cli,
					  "bad port '%s' (expected N or N-M "
					  "within 0-65535)",
					  q->name);
	q->lo = (uint16_t)lo;
	q->hi = (uint16_t)hi;
	return 0;
}

/* --- Rendering one group: ports [lo, hi] on one transport, one slot. --- */

struct group {
	const char *query;
	int transport; /* -1: the entry names none (name lookups) */
	bool by_name;  /* one entry found by name, ports are its row's */
	bool has_port;
	uint16_t lo, hi;
	uint16_t slot_flags;
	const uint32_t *entries;
	uint32_t n;
};

static const char *link_name(const struct pn_registry *reg,
			     const struct pn_entry *e)
{
	return e->link == PN_NO_LINK
		   ? NULL
		   : pn_registry_str(reg, reg->entries[e->link].name);
}

/* Prints a registry text on one line: descriptions may span lines, and
 * a --registry file's text is escaped as every text output is. */
static void put_flat(FILE *out, const char *s)
{
	char small[512];
	size_t len = strlen(s);
	char *buf = len < sizeof small ? small : malloc(len + 1);
	if (!buf)
		return;
	size_t n = 0;
	bool space = false;
	for (; *s; s++) {
		if (*s == '\n' || *s == '\r' || *s == '\t') {
			space = true;
			continue;
		}
		if (space)
			buf[n++] = ' ', space = false;
		buf[n++] = *s;
	}
	buf[n] = '\0';
	pn_out_safe_text(out, buf);
	if (buf != small)
		free(buf);
}

/* "80" or "6000-6063" into buf (at least 12 bytes); returns its length. */
static size_t port_text(char *buf, uint16_t lo, uint16_t hi)
{
	int n = lo == hi ? snprintf(buf, 12, "%u", lo)
			 : snprintf(buf, 12, "%u-%u", lo, hi);
	return n > 0 ? (size_t)n : 0;
}

static bool port_unauthorized(const struct pn_registry *reg,
			      const struct pn_entry *e, const struct group *g)
{
	if (g->by_name)
		return e->flags & PN_E_UNAUTHORIZED;
	return pn_entry_unauthorized_at(reg, e, g->lo);
}

static void text_entry(FILE *out, const struct pn_registry *reg,
		       const struct pn_entry *e, const struct group *g)
{
	const char *desc = pn_registry_str(reg, e->description);
	fputs("  ", out);
	if (g->by_name) {
		/* A name lookup: say where each registration sits first. */
		char where[32] = "no port";
		if (!(e->flags & PN_E_NO_PORT)) {
			size_t n = port_text(where, e->port_lo, e->port_hi);
			snprintf(where + n, sizeof where - n, "/%s",
				 e->transport == PN_TRANSPORT_NONE
				     ? "tcp+udp"
				     : pn_transport_name(e->transport));
		}
		fprintf(out, "%-12s ", where);
	}
	switch (e->kind) {
	case PN_KIND_SERVICE:
		fputs("registered for ", out);
		put_flat(out, pn_registry_str(reg, e->name));
		if (*desc)
			fputs(": ", out), put_flat(out, desc);
		break;
	case PN_KIND_UNNAMED:
		fputs("registered without a service name: ", out);
		put_flat(out, desc);
		break;
	case PN_KIND_RESERVED:
	case PN_KIND_UNASSIGNED:
		fputs(e->kind == PN_KIND_RESERVED ? "reserved" : "unassigned",
		      out);
		/* The description says more than the status word only on
		 * old rows such as "Unassigned [was netstat]". */
		if (strcasecmp(desc, pn_kind_name((enum pn_kind)e->kind)))
			fputs(" (", out), put_flat(out, desc), fputc(')', out);
		break;
	}
	const char *ref = pn_registry_str(reg, e->reference);
	if (*ref)
		fputs(" ", out), put_flat(out, ref);
	if (e->flags & PN_E_ALIAS)
		fprintf(out, "; historic alias of %s",
			link_name(reg, e) ? link_name(reg, e) : "another name");
	else if ((e->flags & PN_E_DUPLICATE) && link_name(reg, e))
		fprintf(out, "; duplicate of %s", link_name(reg, e));
	if (e->flags & PN_E_SERVICE_CODE) {
		char code[12];
		fprintf(out, "; DCCP service code %s (%lu)",
			pn_service_code_text(e->service_code, code),
			(unsigned long)e->service_code);
	}
	if (!g->by_name && (e->flags & PN_E_RANGE))
		fprintf(out, "; registry row covers %u-%u", e->port_lo,
			e->port_hi);
	if (e->flags & PN_E_NO_PORT)
		fprintf(out, "; a service name with no port%s%s",
			e->transport == PN_TRANSPORT_NONE ? "" : ", over ",
			pn_transport_name(e->transport));
	if (e->flags & PN_E_PROTO_UNSPECIFIED)
		fputs("; the row names no transport", out);
	if ((e->flags & (PN_E_DEASSIGNED | PN_E_REMOVED)) ||
	    (e->kind != PN_KIND_SERVICE && e->notes)) {
		fputs("; ", out);
		put_flat(out, pn_registry_str(reg, e->notes));
	}
	fputc('\n', out);
	if (port_unauthorized(reg, e, g)) {
		fputs("  ! unauthorized use reported: ", out);
		put_flat(out, pn_registry_str(reg, e->unauthorized));
		fputc('\n', out);
	}
}

static void text_group(FILE *out, const struct pn_registry *reg,
		       const struct group *g)
{
	if (!g->by_name) {
		char ports[12];
		port_text(ports, g->lo, g->hi);
		fprintf(out, "%s/%s (%s port%s)\n", ports,
			pn_transport_name(g->transport),
			pn_port_class_name(pn_port_class(g->lo)),
			g->lo == g->hi ? "" : "s");
	}
	if (g->n == 0 && !g->by_name) {
		if (pn_port_class(g->lo) == PN_CLASS_DYNAMIC)
			fputs("  no registry entry: dynamic ports are never "
			      "assigned\n",
			      out);
		else
			fputs("  no registry entry\n", out);
	}
	for (uint32_t i = 0; i < g->n; i++)
		text_entry(out, reg, &reg->entries[g->entries[i]], g);
}

static json_t *flag_list(uint16_t flags)
{
	static const struct {
		uint16_t bit;
		const char *name;
	} names[] = {
	    {PN_E_NO_PORT, "no-port"},
	    {PN_E_PROTO_UNSPECIFIED, "protocol-unspecified"},
	    {PN_E_ALIAS, "historic-alias"},
	    {PN_E_DUPLICATE, "duplicate"},
	    {PN_E_UNAUTHORIZED, "unauthorized-use-reported"},
	    {PN_E_DEASSIGNED, "de-assigned"},
	    {PN_E_REMOVED, "removed"},
	    {PN_E_SERVICE_CODE, "service-code"},
	    {PN_E_RANGE, "range"},
	};
	json_t *a = json_array();
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (flags & names[i].bit)
			json_array_append_new(a, json_string(names[i].name));
	return a;
}

static const char *nonempty(const struct pn_registry *reg, uint32_t off)
{
	return off ? pn_registry_str(reg, off) : NULL;
}

static json_t *json_entry(const struct pn_registry *reg,
			  const struct pn_entry *e, const struct group *g)
{
	char code[12], ports[16];
	json_t *o = json_object();
	json_object_set_new(o, "kind", json_string(pn_kind_name(e->kind)));
	json_object_set_new(o, "name", pn_json_str(nonempty(reg, e->name)));
	json_object_set_new(o, "description",
			    pn_json_str(nonempty(reg, e->description)));
	json_object_set_new(
	    o, "alias_of",
	    pn_json_str(e->flags & PN_E_ALIAS ? link_name(reg, e) : NULL));
	json_object_set_new(
	    o, "duplicate_of",
	    pn_json_str(e->flags & PN_E_DUPLICATE ? link_name(reg, e) : NULL));
	json_object_set_new(o, "unauthorized_use_here",
			    json_boolean(port_unauthorized(reg, e, g)));
	if (e->flags & PN_E_NO_PORT)
		json_object_set_new(o, "row_port", json_null());
	else {
		port_text(ports, e->port_lo, e->port_hi);
		json_object_set_new(o, "row_port", json_string(ports));
	}
	json_object_set_new(o, "row_transport",
			    e->transport == PN_TRANSPORT_NONE
				? json_null()
				: json_string(pn_transport_name(e->transport)));
	json_object_set_new(o, "assignee",
			    pn_json_str(nonempty(reg, e->assignee)));
	json_object_set_new(o, "contact",
			    pn_json_str(nonempty(reg, e->contact)));
	json_object_set_new(o, "registration_date",
			    pn_json_str(nonempty(reg, e->reg_date)));
	json_object_set_new(o, "modification_date",
			    pn_json_str(nonempty(reg, e->mod_date)));
	json_object_set_new(o, "reference",
			    pn_json_str(nonempty(reg, e->reference)));
	json_object_set_new(o, "service_code",
			    e->flags & PN_E_SERVICE_CODE
				? json_integer(e->service_code)
				: json_null());
	json_object_set_new(
	    o, "service_code_text",
	    pn_json_str(e->flags & PN_E_SERVICE_CODE
			    ? pn_service_code_text(e->service_code, code)
			    : NULL));
	json_object_set_new(o, "unauthorized_use",
			    pn_json_str(nonempty(reg, e->unauthorized)));
	json_object_set_new(o, "notes", pn_json_str(nonempty(reg, e->notes)));
	json_object_set_new(o, "flags", flag_list(e->flags));
	json_object_set_new(o, "line", json_integer(e->line));
	return o;
}

static void json_group(FILE *out, const struct pn_registry *reg,
		       const struct group *g)
{
	json_t *o = json_object();
	json_object_set_new(o, "registry_date", json_string(reg->date));
	json_object_set_new(o, "query", json_string(g->query));
	json_object_set_new(o, "transport",
			    g->transport < 0
				? json_null()
				: json_string(pn_transport_name(g->transport)));
	json_object_set_new(o, "port",
			    g->has_port ? json_integer(g->lo) : json_null());
	json_object_set_new(o, "port_end",
			    g->has_port ? json_integer(g->hi) : json_null());
	json_object_set_new(
	    o, "class",
	    g->has_port ? json_string(pn_port_class_name(pn_port_class(g->lo)))
			: json_null());
	json_t *a = json_array();
	for (uint32_t i = 0; i < g->n; i++)
		json_array_append_new(
		    a, json_entry(reg, &reg->entries[g->entries[i]], g));
	json_object_set_new(o, "entries", a);
	pn_out_json_line(out, o);
}

static const char *const csv_header[] = {"registry_date",
					 "query",
					 "transport",
					 "port",
					 "port_end",
					 "class",
					 "kind",
					 "name",
					 "description",
					 "alias_of",
					 "duplicate_of",
					 "unauthorized_use_here",
					 "row_port",
					 "row_transport",
					 "assignee",
					 "contact",
					 "registration_date",
					 "modification_date",
					 "reference",
					 "service_code",
					 "service_code_text",
					 "unauthorized_use",
					 "notes",
					 "line"};
#define CSV_COLUMNS ((int)(sizeof csv_header / sizeof csv_header[0]))

static void csv_group(FILE *out, const struct pn_registry *reg,
		      const struct group *g)
{
	char lo[8], hi[8], line[12], code[12], code_text[12], ports[16];
	snprintf(lo, sizeof lo, "%u", g->lo);
	snprintf(hi, sizeof hi, "%u", g->hi);
	const char *row[CSV_COLUMNS] = {
	    reg->date,
	    g->query,
	    g->transport < 0 ? NULL : pn_transport_name(g->transport),
	    g->has_port ? lo : NULL,
	    g->has_port ? hi : NULL,
	    g->has_port ? pn_port_class_name(pn_port_class(g->lo)) : NULL,
	    "none"};
	if (g->n == 0)
		pn_out_csv_row(out, row, CSV_COLUMNS);
	for (uint32_t i = 0; i < g->n; i++) {
		const struct pn_entry *e = &reg->entries[g->entries[i]];
		snprintf(line, sizeof line, "%lu", (unsigned long)e->line);
		snprintf(code, sizeof code, "%lu",
			 (unsigned long)e->service_code);
		port_text(ports, e->port_lo, e->port_hi);
		bool sc = e->flags & PN_E_SERVICE_CODE;
		row[6] = pn_kind_name(e->kind);
		row[7] = nonempty(reg, e->name);
		row[8] = nonempty(reg, e->description);
		row[9] = e->flags & PN_E_ALIAS ? link_name(reg, e) : NULL;
		row[10] = e->flags & PN_E_DUPLICATE ? link_name(reg, e) : NULL;
		row[11] = port_unauthorized(reg, e, g) ? "true" : "false";
		row[12] = e->flags & PN_E_NO_PORT ? NULL : ports;
		row[13] = e->transport == PN_TRANSPORT_NONE
			      ? NULL
			      : pn_transport_name(e->transport);
		row[14] = nonempty(reg, e->assignee);
		row[15] = nonempty(reg, e->contact);
		row[16] = nonempty(reg, e->reg_date);
		row[17] = nonempty(reg, e->mod_date);
		row[18] = nonempty(reg, e->reference);
		row[19] = sc ? code : NULL;
		row[20] = sc ? pn_service_code_text(e->service_code, code_text)
			     : NULL;
		row[21] = nonempty(reg, e->unauthorized);
		row[22] = nonempty(reg, e->notes);
		row[23] = line;
		pn_out_csv_row(out, row, CSV_COLUMNS);
	}
}

static void emit(const struct pn_cli *cli, const struct group *g)
{
	switch (cli->format) {
	case PN_FORMAT_TEXT:
		text_group(stdout, cli->reg, g);
		break;
	case PN_FORMAT_JSON:
		json_group(stdout, cli->reg, g);
		break;
	case PN_FORMAT_CSV:
		csv_group(stdout, cli->reg, g);
		break;
	}
}

static void lookup_ports(const struct pn_cli *cli, const struct query *q)
{
	const struct pn_registry *reg = cli->reg;
	for (int t = 0; t < PN_TRANSPORT_COUNT; t++) {
		if (q->transport >= 0 && q->transport != t)
			continue;
		/* Consecutive ports with the same slot in the same class
		 * print as one group. */
		for (uint32_t p = q->lo; p <= q->hi;) {
			uint16_t s = reg->table[t][p];
			uint32_t end = p;
			while (end < q->hi && reg->table[t][end + 1] == s &&
			       pn_port_class((uint16_t)(end + 1)) ==
				   pn_port_class((uint16_t)p))
				end++;
			const struct pn_slot *slot = &reg->slots[s];
			struct group g = {.query = q->text,
					  .transport = t,
					  .has_port = true,
					  .lo = (uint16_t)p,
					  .hi = (uint16_t)end,
					  .slot_flags = slot->flags,
					  .entries = reg->lists + slot->first,
					  .n = slot->count};
			emit(cli, &g);
			p = end + 1;
		}
	}
}

/* --- "did you mean": names for a query that names none ---------------- */

#define MAX_SUGGESTIONS 5

/* How well an entry answers a query that is not its name, best first:
 * the initials of its description ("dns": Domain Name Server), a word of
 * its description, a name one or two edits away (a typo), a name that
 * starts with or holds the query. 0: not at all. */
enum {
	FIT_NONE,
	FIT_CONTAINS,
	FIT_PREFIX,
	FIT_TYPO,
	FIT_WORD,
	FIT_INITIALS,
};

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* Optimal string alignment distance, bounded: names are short. */
static unsigned edits(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > 40 || m > 40)
		return 99;
	unsigned d[41][41];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			unsigned cost = tolower((unsigned char)a[i - 1]) !=
					tolower((unsigned char)b[j - 1]);
			unsigned v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 &&
			    tolower((unsigned char)a[i - 1]) ==
				tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) ==
				tolower((unsigned char)b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[n][m];
}

static int fit(const char *query, const char *name, const char *desc)
{
	size_t qn = strlen(query);
	char initials[64];
	size_t k = 0;
	bool word = false;
	for (const char *p = desc; *p; p++) {
		if (is_word_char(*p)) {
			if (!word && k + 1 < sizeof initials)
				initials[k++] = *p;
			size_t w = 0;
			while (is_word_char(p[w]))
				w++;
			if (!word && w == qn && strncasecmp(p, query, qn) == 0)
				return FIT_WORD;
			word = true;
		} else {
			word = false;
		}
	}
	initials[k] = '\0';
	if (qn >= 2 && strcasecmp(initials, query) == 0)
		return FIT_INITIALS;
	if (edits(query, name) <= (qn >= 6 ? 2u : 1u))
		return FIT_TYPO;
	if (qn >= 2 && strncasecmp(name, query, qn) == 0)
		return FIT_PREFIX;
	if (qn >= 3 && strcasestr(name, query))
		return FIT_CONTAINS;
	return FIT_NONE;
}

struct suggestion {
	uint32_t entry; /* the first row of the name */
	int fit;
};

/* The best MAX_SUGGESTIONS distinct names, best fit first, then in
 * registry order; initials and words only from rows with a port. */
static size_t suggest(const struct pn_registry *reg, const char *query,
		      struct suggestion out[MAX_SUGGESTIONS])
{
	size_t n = 0;
	for (uint32_t i = 0; i < reg->n_entries; i++) {
		const struct pn_entry *e = &reg->entries[i];
		if (e->kind != PN_KIND_SERVICE || (e->flags & PN_E_NO_PORT))
			continue;
		const char *name = pn_registry_str(reg, e->name);
		int f = fit(query, name, pn_registry_str(reg, e->description));
		if (f == FIT_NONE)
			continue;
		bool seen = false;
		for (size_t j = 0; j < n && !seen; j++)
			seen = strcasecmp(
				   pn_registry_str(
				       reg, reg->entries[out[j].entry].name),
				   name) == 0;
		if (seen)
			continue;
		size_t at = n;
		while (at > 0 && out[at - 1].fit < f)
			at--;
		if (at >= MAX_SUGGESTIONS)
			continue;
		if (n < MAX_SUGGESTIONS)
			n++;
		memmove(&out[at + 1], &out[at], (n - 1 - at) * sizeof out[0]);
		out[at] = (struct suggestion){i, f};
	}
	return n;
}

/* "domain (53): Domain Name Server", the ports of every row of the name
 * ("53/tcp, 5353/udp" when they differ). */
static void suggestion_text(const struct pn_registry *reg, uint32_t first,
			    char *buf, size_t size)
{
	const struct pn_entry *e0 = &reg->entries[first];
	const char *name = pn_registry_str(reg, e0->name);
	bool same = true;
	for (long i = pn_registry_find_name(reg, name, 0); i >= 0;
	     i = pn_registry_find_name(reg, name, (uint32_t)i + 1)) {
		const struct pn_entry *e = &reg->entries[i];
		if (!(e->flags & PN_E_NO_PORT) &&
		    (e->port_lo != e0->port_lo || e->port_hi != e0->port_hi))
			same = false;
	}
	char ports[24];
	if (e0->port_lo == e0->port_hi)
		snprintf(ports, sizeof ports, "%u", e0->port_lo);
	else
		snprintf(ports, sizeof ports, "%u-%u", e0->port_lo,
			 e0->port_hi);
	const char *desc = pn_registry_str(reg, e0->description);
	snprintf(buf, size, "%s (%s%s)%s%s", name, ports,
		 same ? "" : " and others", *desc ? ": " : "", desc);
}

static int lookup_name(const struct pn_cli *cli, const struct query *q)
{
	const struct pn_registry *reg = cli->reg;
	bool found = false;
	if (cli->format == PN_FORMAT_TEXT)
		printf("%s\n", pn_safe(q->name));
	for (long i = pn_registry_find_name(reg, q->name, 0); i >= 0;
	     i = pn_registry_find_name(reg, q->name, (uint32_t)i + 1)) {
		const struct pn_entry *e = &reg->entries[i];
		int tr = e->transport == PN_TRANSPORT_NONE ? -1 : e->transport;
		if (q->transport >= 0 && tr >= 0 && tr != q->transport)
			continue;
		uint32_t idx = (uint32_t)i;
		struct group g = {.query = q->text,
				  .transport = tr,
				  .by_name = true,
				  .has_port = !(e->flags & PN_E_NO_PORT),
				  .lo = e->port_lo,
				  .hi = e->port_hi,
				  .entries = &idx,
				  .n = 1};
		found = true;
		emit(cli, &g);
	}
	if (!found) {
		struct suggestion s[MAX_SUGGESTIONS];
		size_t ns = suggest(reg, q->name, s);
		char text[MAX_SUGGESTIONS][768];
		for (size_t i = 0; i < ns; i++)
			suggestion_text(reg, s[i].entry, text[i],
					sizeof text[i]);
		if (cli->format == PN_FORMAT_TEXT) {
			printf("  not in the registry%s\n",
			       ns == 1	? ""
			       : ns > 1 ? "; did you mean one of these?"
					: "");
			if (ns == 1)
				printf("  did you mean %s?\n",
				       pn_safe(text[0]));
			for (size_t i = 0; ns > 1 && i < ns; i++)
				printf("    %s\n", pn_safe(text[i]));
		} else if (cli->format == PN_FORMAT_JSON) {
			json_t *a = json_array();
			for (size_t i = 0; i < ns; i++) {
				const struct pn_entry *e =
				    &reg->entries[s[i].entry];
				json_array_append_new(
				    a, json_pack("{s:s, s:i, s:i, s:s}", "name",
						 pn_registry_str(reg, e->name),
						 "port", e->port_lo, "port_end",
						 e->port_hi, "description",
						 pn_registry_str(
						     reg, e->description)));
			}
			json_t *o = json_object();
			json_object_set_new(o, "query", json_string(q->text));
			json_object_set_new(o, "found", json_false());
			json_object_set_new(o, "did_you_mean", a);
			pn_out_json_line(stdout, o);
		}
		fprintf(stderr,
			"portnote lookup: no service named '%s'%s%s%s%s%s\n",
			pn_safe(q->name), q->transport >= 0 ? " on " : "",
			q->transport >= 0 ? pn_transport_name(q->transport)
					  : "",
			ns ? "; did you mean " : "", ns ? pn_safe(text[0]) : "",
			ns ? "?" : "");
	}
	return found ? PN_EXIT_OK : PN_EXIT_FAIL;
}

int pn_cmd_lookup(int argc, char **argv)
{
	struct pn_cli cli = {.command = "lookup"};
	int rc = pn_cli_parse(&cli, argc, argv, usage, NULL);
	if (rc >= 0)
		return rc;
	if (optind == argc)
		return pn_cli_usage_error(&cli, "no query given");
	int nq = argc - optind;
	struct query *queries = calloc((size_t)nq, sizeof *queries);
	if (!queries)
		return PN_EXIT_FAIL;
	for (int i = 0; i < nq; i++)
		if ((rc = parse_query(&cli, argv[optind + i], &queries[i]))) {
			free(queries);
			return rc;
		}
	if ((rc = pn_cli_load_registry(&cli))) {
		free(queries);
		return rc;
	}
	if (cli.format == PN_FORMAT_TEXT)
		printf("# IANA registry snapshot %s (%s)\n",
		       pn_registry_date_text(cli.reg),
		       pn_safe(pn_registry_origin(cli.reg)));
	if (cli.format == PN_FORMAT_CSV)
		pn_out_csv_row(stdout, csv_header, CSV_COLUMNS);
	rc = PN_EXIT_OK;
	for (int i = 0; i < nq; i++) {
		if (queries[i].by_name) {
			if (lookup_name(&cli, &queries[i]) != PN_EXIT_OK)
				rc = PN_EXIT_FAIL;
		} else {
			lookup_ports(&cli, &queries[i]);
		}
	}
	free(queries);
	pn_cli_release(&cli);
	if (pn_out_flush(stdout, PN_STDOUT_NAME, "portnote lookup"))
		rc = PN_EXIT_FAIL;
	return rc;
}
