/* registry_load.c — IANA registry CSV (RFC 4180, via libcsv) to the table
 * layout of registry.h. Used by the build-time generator and by --registry.
 *
 * The CSV is untrusted input: every row is validated, and anything that does
 * not fit the rules in registry.h fails the load with "file:line: message"
 * unless the caller asked for a lenient load, which skips and reports the row.
 */
#include "portnote/registry.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uthash.h>

/* Columns portnote knows, by the header names IANA uses. */
enum col {
	COL_NAME,
	COL_PORT,
	COL_TRANSPORT,
	COL_DESCRIPTION,
	COL_ASSIGNEE,
	COL_CONTACT,
	COL_REG_DATE,
	COL_MOD_DATE,
	COL_REFERENCE,
	COL_SERVICE_CODE,
	COL_UNAUTHORIZED,
	COL_NOTES,
	COL_COUNT
};

static const struct {
	const char *header;
	const char *alt; /* the header's other spelling, in older files */
	bool required;
} columns[COL_COUNT] = {
    [COL_NAME] = {"Service Name", NULL, true},
    [COL_PORT] = {"Port Number", NULL, true},
    [COL_TRANSPORT] = {"Transport Protocol", NULL, true},
    [COL_DESCRIPTION] = {"Description", NULL, true},
    [COL_ASSIGNEE] = {"Assignee", NULL, false},
    [COL_CONTACT] = {"Contact", NULL, false},
    [COL_REG_DATE] = {"Registration Date", NULL, false},
    [COL_MOD_DATE] = {"Modification Date", NULL, false},
    [COL_REFERENCE] = {"Reference", NULL, false},
    [COL_SERVICE_CODE] = {"Service Code", NULL, false},
    [COL_UNAUTHORIZED] = {"Unauthorized Use Reported",
			  "Known Unauthorized Uses", false},
    [COL_NOTES] = {"Assignment Notes", NULL, false},
};

#define MAX_FIELDS 64

struct pool_item {
	uint32_t off;
	UT_hash_handle hh; /* key: the string at pool + off */
};

struct slot_item {
	uint32_t slot;
	UT_hash_handle hh; /* key: flags, count and entry indices */
};

struct loader {
	const char *label;
	const struct pn_load_options *opts;
	char *err;
	bool failed;

	/* The row being collected. */
	char *row;
	size_t row_len, row_cap;
	size_t field_off[MAX_FIELDS], field_len[MAX_FIELDS];
	int nfields;
	bool too_many_fields;
	uint32_t line;	    /* line being fed */
	uint32_t row_start; /* line the current row started on, 0: none */

	int col_of[COL_COUNT]; /* field index of each column, -1 if absent */
	int header_fields;
	bool have_header;

	/* The registry being built. */
	char *pool;
	size_t pool_size, pool_cap;
	struct pool_item *pool_index;
	struct pn_entry *entries;
	size_t n_entries, entries_cap;
	uint64_t cells; /* port-transport cells the rows cover */
	struct pn_registry_counts counts;
	char date[16];
};

static void fail(struct loader *ld, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct loader *ld, uint32_t line, const char *fmt, ...)
{
	if (ld->failed)
		return;
	ld->failed = true;
	int n = snprintf(ld->err, PN_ERRBUF_SIZE, "%s:%lu: ", ld->label,
			 (unsigned long)line);
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && n < PN_ERRBUF_SIZE)
		vsnprintf(ld->err + n, PN_ERRBUF_SIZE - (size_t)n, fmt, ap);
	va_end(ap);
}

static _Noreturn void out_of_memory(void)
{
	fprintf(stderr, "portnote: out of memory\n");
	exit(70);
}

static void *xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (!p)
		out_of_memory();
	return p;
}

static void *grow(void *p, size_t elem, size_t *cap, size_t need)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap : 256;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			out_of_memory();
		n *= 2;
	}
	if (n > SIZE_MAX / elem)
		out_of_memory();
	void *q = realloc(p, n * elem);
	if (!q)
		out_of_memory();
	*cap = n;
	return q;
}

/* Interns a string in the pool; identical strings share one offset. The
 * pool is sized once from the input (no field is longer than the input, and
 * each needs one terminator), so it never moves and the index can key on
 * its text directly. */
static uint32_t intern(struct loader *ld, const char *s, size_t len)
{
	if (len == 0)
		return 0;
	struct pool_item *it;
	char *dst = ld->pool + ld->pool_size;
	if (ld->pool_size + len + 1 > ld->pool_cap) {
		/* Unreachable by the sizing rule; refuse rather than overrun.
		 */
		fail(ld, ld->row_start, "internal: string pool exhausted");
		return 0;
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
	HASH_FIND(hh, ld->pool_index, dst, len + 1, it);
	if (it)
		return it->off;
	it = xmalloc(sizeof *it);
	it->off = ld->pool_size;
	ld->pool_size += (uint32_t)len + 1;
	HASH_ADD_KEYPTR(hh, ld->pool_index, dst, len + 1, it);
	return it->off;
}

/* --- Collecting fields from libcsv ------------------------------------- */

static void on_field(void *data, size_t len, void *arg)
{
	struct loader *ld = arg;
	if (ld->row_start == 0)
		ld->row_start = ld->line;
	if (ld->nfields == MAX_FIELDS) {
		ld->too_many_fields = true;
		return;
	}
	ld->row = grow(ld->row, 1, &ld->row_cap, ld->row_len + len + 1);
	memcpy(ld->row + ld->row_len, data, len);
	ld->row[ld->row_len + len] = '\0';
	ld->field_off[ld->nfields] = ld->row_len;
	ld->field_len[ld->nfields] = len;
	ld->nfields++;
	ld->row_len += len + 1;
}

static void on_row(int term, void *arg);

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Trims blanks around a field in place; returns its new length. */
static size_t trim(char **s, size_t len)
{
	while (len && is_space((unsigned char)**s))
		(*s)++, len--;
	while (len && is_space((unsigned char)(*s)[len - 1]))
		len--;
	(*s)[len] = '\0';
	return len;
}

/* The field of column `c`, or "" if the file has no such column. */
static char *field(struct loader *ld, enum col c, size_t *len)
{
	int i = ld->col_of[c];
	static char empty[1];
	if (i < 0 || i >= ld->nfields) {
		*len = 0;
		empty[0] = '\0';
		return empty;
	}
	*len = ld->field_len[i];
	return ld->row + ld->field_off[i];
}

/* Checks that a field is UTF-8 text without control characters (tab and
 * line breaks inside quoted fields are text). Returns NULL or a reason. */
static const char *bad_text(const char *s, size_t len, char why[64])
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		unsigned c = *p;
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
			    c == 0x7f) {
				snprintf(why, 64, "binary data (byte 0x%02x)",
					 c);
				return why;
			}
			p++;
			continue;
		}
		int n = c >= 0xf0 && c <= 0xf4	 ? 3
			: c >= 0xe0 && c <= 0xef ? 2
			: c >= 0xc2 && c <= 0xdf ? 1
						 : -1;
		if (n < 0 || end - p <= n) {
			snprintf(why, 64, "invalid UTF-8 (byte 0x%02x)", c);
			return why;
		}
		for (int k = 1; k <= n; k++)
			if ((p[k] & 0xc0) != 0x80) {
				snprintf(why, 64, "invalid UTF-8 (byte 0x%02x)",
					 c);
				return why;
			}
		p += n + 1;
	}
	return NULL;
}

static void read_header(struct loader *ld)
{
	for (int c = 0; c < COL_COUNT; c++)
		ld->col_of[c] = -1;
	for (int i = 0; i < ld->nfields; i++) {
		char *f = ld->row + ld->field_off[i];
		/* A UTF-8 byte order mark may precede the first name. */
		if (i == 0 && strncmp(f, "\xef\xbb\xbf", 3) == 0)
			f += 3;
		size_t len = trim(&f, strlen(f));
		(void)len;
		for (int c = 0; c < COL_COUNT; c++) {
			if (strcasecmp(f, columns[c].header) != 0 &&
			    !(columns[c].alt &&
			      strcasecmp(f, columns[c].alt) == 0))
				continue;
			if (ld->col_of[c] >= 0) {
				fail(ld, ld->row_start,
				     "not a registry CSV: column '%s' appears "
				     "twice in the header",
				     columns[c].header);
				return;
			}
			ld->col_of[c] = i;
		}
	}
	for (int c = 0; c < COL_COUNT; c++)
		if (columns[c].required && ld->col_of[c] < 0) {
			fail(ld, ld->row_start,
			     "not a registry CSV: the header has no '%s' "
			     "column",
			     columns[c].header);
			return;
		}
	ld->header_fields = ld->nfields;
	ld->have_header = true;
}

/* --- Validating one row ------------------------------------------------ */

static bool parse_port(const char *s, uint16_t *lo, uint16_t *hi)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	unsigned long a = strtoul(s, &end, 10), b = a;
	if (*end == '-') {
		if (!isdigit((unsigned char)end[1]))
			return false;
		b = strtoul(end + 1, &end, 10);
	}
	if (*end || errno || a > b || b > 65535)
		return false;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return true;
}

static bool valid_date(const char *s, size_t len)
{
	/* The registry writes YYYY-MM-DD, and YYYY-MM on older rows. */
	if (len != 7 && len != 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		bool dash = i == 4 || i == 7;
		if (dash ? s[i] != '-' : !isdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

static bool starts_with_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static bool contains_ci(const char *s, const char *needle)
{
	size_t n = strlen(needle);
	for (; *s; s++)
		if (strncasecmp(s, needle, n) == 0)
			return true;
	return false;
}

/* What a row without a service name says about its slot. */
static enum pn_kind unnamed_kind(const char *desc, uint16_t *flags)
{
	static const char *const gone[] = {"de-registered",   "removed",
					   "decomissioned",   "decommissioned",
					   "de-commissioned", "deprecated"};
	if (contains_ci(desc, "reserved"))
		return PN_KIND_RESERVED;
	if (contains_ci(desc, "unassigned"))
		return PN_KIND_UNASSIGNED;
	for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
		if (starts_with_ci(desc, gone[i])) {
			*flags |= PN_E_REMOVED;
			return PN_KIND_UNASSIGNED;
		}
	return PN_KIND_UNNAMED;
}

/* A row failed validation: fatal, or skipped and reported when lenient. */
static void reject(struct loader *ld, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void reject(struct loader *ld, const char *fmt, ...)
{
	char msg[PN_ERRBUF_SIZE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!ld->opts->lenient) {
		fail(ld, ld->row_start, "%s", msg);
		return;
	}
	ld->counts.skipped++;
	if (ld->opts->diag)
		fprintf(ld->opts->diag, "%s:%lu: %s (row skipped)\n", ld->label,
			(unsigned long)ld->row_start, msg);
}

static void add_row(struct loader *ld)
{
	if (ld->too_many_fields || ld->nfields != ld->header_fields) {
		reject(ld, "expected %d fields as in the header, found %d%s",
		       ld->header_fields, ld->nfields,
		       ld->too_many_fields ? " or more" : "");
		return;
	}
	char why[64];
	for (int i = 0; i < ld->nfields; i++) {
		const char *bad =
		    bad_text(ld->row + ld->field_off[i], ld->field_len[i], why);
		if (bad) {
			reject(ld, "%s in field %d", bad, i + 1);
			return;
		}
	}

	struct pn_entry e = {.link = PN_NO_LINK, .line = ld->row_start};
	size_t len;
	char *name = field(ld, COL_NAME, &len);
	size_t name_len = trim(&name, len);
	char *port = field(ld, COL_PORT, &len);
	size_t port_len = trim(&port, len);
	char *proto = field(ld, COL_TRANSPORT, &len);
	size_t proto_len = trim(&proto, len);

	if (port_len) {
		if (!parse_port(port, &e.port_lo, &e.port_hi)) {
			reject(ld,
			       "bad port number '%s' (expected N or N-M "
			       "within 0-65535)",
			       port);
			return;
		}
		if (e.port_lo < e.port_hi)
			e.flags |= PN_E_RANGE;
	} else {
		e.flags |= PN_E_NO_PORT;
	}
	if (proto_len) {
		int t = pn_transport_parse(proto);
		if (t < 0) {
			reject(ld,
			       "unknown transport protocol '%s' (expected "
			       "tcp, udp, sctp, dccp or empty)",
			       proto);
			return;
		}
		e.transport = (uint8_t)t;
	} else {
		e.transport = PN_TRANSPORT_NONE;
		if (port_len)
			e.flags |= PN_E_PROTO_UNSPECIFIED;
	}
	if (!name_len && !port_len) {
		reject(ld, "row has neither a service name nor a port number");
		return;
	}

	static const enum col date_cols[] = {COL_REG_DATE, COL_MOD_DATE};
	char *dates[2];
	size_t dates_len[2];
	for (int i = 0; i < 2; i++) {
		dates[i] = field(ld, date_cols[i], &len);
		dates_len[i] = trim(&dates[i], len);
		if (dates_len[i] && !valid_date(dates[i], dates_len[i])) {
			reject(ld, "bad date '%s' in column '%s'", dates[i],
			       columns[date_cols[i]].header);
			return;
		}
	}

	char *code = field(ld, COL_SERVICE_CODE, &len);
	size_t code_len = trim(&code, len);
	if (code_len) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(code, &end, 10);
		if (!isdigit((unsigned char)*code) || *end || errno ||
		    v > UINT32_MAX) {
			reject(ld,
			       "bad service code '%s' (expected a decimal "
			       "32-bit number)",
			       code);
			return;
		}
		e.service_code = (uint32_t)v;
		e.flags |= PN_E_SERVICE_CODE;
	}

	size_t desc_len, unauth_len, notes_len;
	const char *desc = field(ld, COL_DESCRIPTION, &desc_len);
	const char *unauth = field(ld, COL_UNAUTHORIZED, &unauth_len);
	const char *notes = field(ld, COL_NOTES, &notes_len);
	if (name_len)
		e.kind = PN_KIND_SERVICE;
	else
		e.kind = (uint8_t)unnamed_kind(desc, &e.flags);
	if (unauth_len)
		e.flags |= PN_E_UNAUTHORIZED;
	if (strstr(notes, "This entry is an alias to"))
		e.flags |= PN_E_ALIAS;
	if (contains_ci(notes, "duplicate of"))
		e.flags |= PN_E_DUPLICATE;
	if (contains_ci(notes, "de-assigned"))
		e.flags |= PN_E_DEASSIGNED;
	if (contains_ci(notes, "removed on"))
		e.flags |= PN_E_REMOVED;

	e.name = intern(ld, name, name_len);
	e.description = intern(ld, desc, desc_len);
	const char *s = field(ld, COL_ASSIGNEE, &len);
	e.assignee = intern(ld, s, len);
	s = field(ld, COL_CONTACT, &len);
	e.contact = intern(ld, s, len);
	e.reg_date = intern(ld, dates[0], dates_len[0]);
	e.mod_date = intern(ld, dates[1], dates_len[1]);
	s = field(ld, COL_REFERENCE, &len);
	e.reference = intern(ld, s, len);
	e.service_code_text = intern(ld, code, code_len);
	e.unauthorized = intern(ld, unauth, unauth_len);
	e.notes = intern(ld, notes, notes_len);

	for (int i = 0; i < 2; i++)
		if (dates_len[i] && strcmp(dates[i], ld->date) > 0)
			snprintf(ld->date, sizeof ld->date, "%s", dates[i]);

	/* What a file may cost is bounded before it is spent: the table
	 * builder walks every port of every row. */
	if (ld->n_entries >= PN_REGISTRY_MAX_ROWS) {
		fail(ld, ld->row_start,
		     "more than %u rows (the IANA registry has about 15,000): "
		     "refusing a file this large",
		     PN_REGISTRY_MAX_ROWS);
		return;
	}
	if (!(e.flags & PN_E_NO_PORT))
		ld->cells += ((uint64_t)e.port_hi - e.port_lo + 1) *
			     (e.transport == PN_TRANSPORT_NONE ? 2u : 1u);
	if (ld->cells > PN_REGISTRY_MAX_CELLS) {
		fail(ld, ld->row_start,
		     "the port ranges of the rows so far cover more than %u "
		     "port-transport cells (each row counts every port it "
		     "covers on each transport; the IANA registry covers "
		     "about 100,000): refusing a file this large",
		     PN_REGISTRY_MAX_CELLS);
		return;
	}
	ld->entries = grow(ld->entries, sizeof *ld->entries, &ld->entries_cap,
			   ld->n_entries + 1);
	ld->entries[ld->n_entries++] = e;
}

static void on_row(int term, void *arg)
{
	(void)term;
	struct loader *ld = arg;
	if (ld->row_start == 0)
		ld->row_start = ld->line;
	if (!ld->failed) {
		if (!ld->have_header)
			read_header(ld);
		else
			add_row(ld);
	}
	ld->nfields = 0;
	ld->row_len = 0;
	ld->too_many_fields = false;
	ld->row_start = 0;
}

/* --- From entries to slots and the table ------------------------------ */

/* The quoted name after `marker` in an Assignment Note ("This entry is an
 * alias to \"ocs-cmu\"."), copied to buf; false if there is none. */
static bool quoted_after(const char *notes, const char *marker, char *buf,
			 size_t size)
{
	const char *m = strstr(notes, marker);
	if (!m)
		return false;
	const char *q = strchr(m + strlen(marker), '"');
	if (!q)
		return false;
	const char *end = strchr(q + 1, '"');
	if (!end || end == q + 1 || (size_t)(end - q - 1) >= size)
		return false;
	memcpy(buf, q + 1, (size_t)(end - q - 1));
	buf[end - q - 1] = '\0';
	return true;
}

/* Links aliases and duplicates to the entry they name, preferring one on the
 * same transport and port. */
static void resolve_links(struct pn_registry *reg, struct pn_entry *entries)
{
	for (uint32_t i = 0; i < reg->n_entries; i++) {
		struct pn_entry *e = &entries[i];
		if (!(e->flags & (PN_E_ALIAS | PN_E_DUPLICATE)))
			continue;
		const char *notes = pn_registry_str(reg, e->notes);
		char target[128];
		if (!quoted_after(notes, "alias to", target, sizeof target) &&
		    !quoted_after(notes, "duplicate of", target, sizeof target))
			continue;
		long best = -1;
		for (long j = pn_registry_find_name(reg, target, 0); j >= 0;
		     j = pn_registry_find_name(reg, target, (uint32_t)j + 1)) {
			const struct pn_entry *t = &entries[j];
			if ((uint32_t)j == i)
				continue;
			if (best < 0)
				best = j;
			if (t->transport == e->transport &&
			    t->port_lo == e->port_lo) {
				best = j;
				break;
			}
		}
		if (best >= 0)
			e->link = (uint32_t)best;
	}
}

static bool covers(const struct pn_entry *e, int t)
{
	if (e->flags & PN_E_NO_PORT)
		return false;
	if (e->transport == PN_TRANSPORT_NONE)
		return t == PN_TCP || t == PN_UDP;
	return e->transport == t;
}

static void free_slot_index(struct slot_item **index)
{
	struct slot_item *it, *tmp;
	HASH_ITER(hh, *index, it, tmp)
	{
		HASH_DEL(*index, it);
		free(it);
	}
}

/* Builds slots (deduplicated) and the [transport][port] table. */
static int build_table(struct loader *ld, struct pn_registry *reg)
{
	const struct pn_entry *entries = reg->entries;
	size_t n_cells = (size_t)PN_TRANSPORT_COUNT * 65536;
	/* The loader bounded the cells by PN_REGISTRY_MAX_CELLS, far below
	 * what 32-bit counts hold, so neither they nor the products below can
	 * wrap; the check after counting restates it. */
	_Static_assert(PN_REGISTRY_MAX_CELLS < UINT32_MAX / 2,
		       "cell counts are 32-bit");
	uint32_t *start = xmalloc((n_cells + 1) * sizeof *start);
	/* Count entries per cell, then place them in registry order. */
	for (uint32_t i = 0; i < reg->n_entries; i++)
		for (int t = 0; t < PN_TRANSPORT_COUNT; t++)
			if (covers(&entries[i], t))
				for (uint32_t p = entries[i].port_lo;
				     p <= entries[i].port_hi; p++)
					start[(size_t)t * 65536 + p + 1]++;
	for (size_t c = 0; c < n_cells; c++)
		start[c + 1] += start[c];
	if (start[n_cells] > PN_REGISTRY_MAX_CELLS) {
		uint32_t cells = start[n_cells];
		free(start);
		fail(ld, 1, "internal: %u table cells exceed the bound", cells);
		return -1;
	}
	uint32_t *cell = xmalloc(start[n_cells] * sizeof *cell);
	uint32_t *fill = xmalloc(n_cells * sizeof *fill);
	memcpy(fill, start, n_cells * sizeof *fill);
	for (uint32_t i = 0; i < reg->n_entries; i++)
		for (int t = 0; t < PN_TRANSPORT_COUNT; t++)
			if (covers(&entries[i], t))
				for (uint32_t p = entries[i].port_lo;
				     p <= entries[i].port_hi; p++)
					cell[fill[(size_t)t * 65536 + p]++] = i;
	free(fill);

	uint16_t(*table)[65536] =
	    xmalloc(sizeof(uint16_t[PN_TRANSPORT_COUNT][65536]));
	struct pn_slot *slots = NULL;
	uint32_t *lists = NULL;
	size_t n_slots = 0, slots_cap = 0, n_lists = 0, lists_cap = 0;
	slots = grow(slots, sizeof *slots, &slots_cap, 1);
	slots[n_slots++] = (struct pn_slot){0, 0, 0};
	struct slot_item *index = NULL;
	/* Scratch key: flags, count, then the ordered entry indices. */
	uint32_t *key = NULL;
	size_t key_cap = 0;
	int rc = 0;

	for (int t = 0; t < PN_TRANSPORT_COUNT && rc == 0; t++) {
		for (uint32_t p = 0; p <= 65535; p++) {
			size_t c = (size_t)t * 65536 + p;
			size_t n = start[c + 1] - start[c];
			if (n == 0) {
				table[t][p] = 0;
				continue;
			}
			if (n > UINT16_MAX) {
				fail(ld, 1,
				     "%zu entries on %u/%s exceed the "
				     "table's slot size",
				     n, p, pn_transport_name(t));
				rc = -1;
				break;
			}
			key = grow(key, sizeof *key, &key_cap, n + 2);
			/* Historic aliases go last so the well-formed name
			 * prints first; otherwise registry order. */
			uint32_t k = 2, services = 0;
			uint16_t flags = 0;
			for (int pass = 0; pass < 2; pass++)
				for (uint32_t j = start[c]; j < start[c + 1];
				     j++) {
					const struct pn_entry *e =
					    &entries[cell[j]];
					if (!!(e->flags & PN_E_ALIAS) != pass)
						continue;
					key[k++] = cell[j];
				}
			for (uint32_t j = 2; j < k; j++) {
				const struct pn_entry *e = &entries[key[j]];
				switch (e->kind) {
				case PN_KIND_SERVICE:
					flags |= PN_S_SERVICE;
					services++;
					break;
				case PN_KIND_UNNAMED:
					flags |= PN_S_UNNAMED;
					break;
				case PN_KIND_RESERVED:
					flags |= PN_S_RESERVED;
					break;
				case PN_KIND_UNASSIGNED:
					flags |= PN_S_UNASSIGNED;
					break;
				}
				if (pn_entry_unauthorized_at(reg, e,
							     (uint16_t)p))
					flags |= PN_S_UNAUTHORIZED;
				if (e->flags & PN_E_PROTO_UNSPECIFIED)
					flags |= PN_S_PROTO_UNSPECIFIED;
				if (e->flags & PN_E_ALIAS)
					flags |= PN_S_ALIAS;
			}
			if (services > 1) {
				flags |= PN_S_MULTI;
				ld->counts.multi_slots[t]++;
			}
			key[0] = flags;
			key[1] = n;
			size_t key_len = (size_t)k * sizeof *key;
			struct slot_item *it;
			HASH_FIND(hh, index, key, key_len, it);
			if (!it) {
				if (n_slots > UINT16_MAX) {
					fail(ld, 1,
					     "registry has more distinct "
					     "slots than the table's 16-bit "
					     "index holds");
					rc = -1;
					break;
				}
				lists = grow(lists, sizeof *lists, &lists_cap,
					     n_lists + n);
				memcpy(lists + n_lists, key + 2,
				       n * sizeof *lists);
				slots = grow(slots, sizeof *slots, &slots_cap,
					     n_slots + 1);
				slots[n_slots] = (struct pn_slot){
				    (uint32_t)n_lists, (uint16_t)n, flags};
				n_lists += n;
				it = xmalloc(sizeof *it + key_len);
				it->slot = (uint32_t)n_slots++;
				uint32_t *copy = (uint32_t *)(it + 1);
				memcpy(copy, key, key_len);
				HASH_ADD_KEYPTR(hh, index, copy, key_len, it);
			}
			table[t][p] = (uint16_t)it->slot;
		}
	}
	free_slot_index(&index);
	free(key);
	free(cell);
	free(start);
	reg->table = (const uint16_t(*)[65536])table;
	reg->slots = slots;
	reg->n_slots = (uint32_t)n_slots;
	reg->lists = lists;
	reg->n_lists = (uint32_t)n_lists;
	return rc;
}

static void count_entries(struct loader *ld, struct pn_registry *reg)
{
	struct pn_registry_counts *n = &ld->counts;
	struct pool_item *names = NULL;
	for (uint32_t i = 0; i < reg->n_entries; i++) {
		const struct pn_entry *e = &reg->entries[i];
		n->rows++;
		n->rows_by_transport[e->transport]++;
		switch (e->kind) {
		case PN_KIND_SERVICE:
			if (e->flags & PN_E_NO_PORT)
				n->name_only++;
			else
				n->services++;
			break;
		case PN_KIND_UNNAMED:
			n->unnamed++;
			break;
		case PN_KIND_RESERVED:
			n->reserved++;
			break;
		case PN_KIND_UNASSIGNED:
			n->unassigned++;
			break;
		}
		n->ranges += !!(e->flags & PN_E_RANGE);
		n->aliases += !!(e->flags & PN_E_ALIAS);
		n->duplicates += !!(e->flags & PN_E_DUPLICATE);
		n->unauthorized += !!(e->flags & PN_E_UNAUTHORIZED);
		n->service_codes += !!(e->flags & PN_E_SERVICE_CODE);
		n->lifecycle += !!(e->flags & (PN_E_DEASSIGNED | PN_E_REMOVED));
		if (e->kind != PN_KIND_SERVICE)
			continue;
		/* Distinct names, compared as RFC 6335 does: ignoring case. */
		char low[128];
		const char *name = pn_registry_str(reg, e->name);
		size_t len = strlen(name);
		if (len >= sizeof low)
			len = sizeof low - 1;
		for (size_t k = 0; k < len; k++)
			low[k] = (char)tolower((unsigned char)name[k]);
		struct pool_item *it;
		HASH_FIND(hh, names, low, len, it);
		if (it)
			continue;
		it = xmalloc(sizeof *it + len);
		memcpy(it + 1, low, len);
		HASH_ADD_KEYPTR(hh, names, (char *)(it + 1), len, it);
		n->names++;
	}
	struct pool_item *it, *tmp;
	HASH_ITER(hh, names, it, tmp)
	{
		HASH_DEL(names, it);
		free(it);
	}
}

/* --- Public entry points ---------------------------------------------- */

static bool blank_line(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

static int never_space(unsigned char c)
{
	(void)c;
	return 0;
}

static void loader_release(struct loader *ld)
{
	struct pool_item *it, *tmp;
	HASH_ITER(hh, ld->pool_index, it, tmp)
	{
		HASH_DEL(ld->pool_index, it);
		free(it);
	}
	free(ld->row);
}

int pn_registry_load_buffer(const char *data, size_t len, const char *label,
			    const struct pn_load_options *opts,
			    struct pn_registry **out,
			    char errbuf[PN_ERRBUF_SIZE])
{
	static const struct pn_load_options defaults = {false, NULL};
	struct loader ld = {
	    .label = label, .opts = opts ? opts : &defaults, .err = errbuf};
	errbuf[0] = '\0';
	*out = NULL;
	if (len == 0) {
		fail(&ld, 1, "empty file: expected the registry's CSV header");
		return -1;
	}
	if (len > (size_t)UINT32_MAX / 3) {
		fail(&ld, 1, "file too large for a registry (%zu bytes)", len);
		return -1;
	}
	ld.pool_cap = 2 * len + 16;
	ld.pool = xmalloc(ld.pool_cap);
	ld.pool_size = 1; /* offset 0 is "" */

	struct csv_parser parser;
	if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0)
		out_of_memory();
	/* Keep blanks: a field's text is the registry's, byte for byte. */
	csv_set_space_func(&parser, never_space);

	const char *p = data, *end = data + len;
	while (p < end && !ld.failed) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		ld.line++;
		if (ld.row_start == 0 && ld.nfields == 0 && !blank_line(p, n))
			ld.row_start = ld.line;
		if (csv_parse(&parser, p, n, on_field, on_row, &ld) != n)
			fail(&ld, ld.line, "%s",
			     csv_error(&parser) == CSV_EPARSE
				 ? "malformed CSV: a quote inside an unquoted "
				   "field, or text after a closing quote"
				 : csv_strerror(csv_error(&parser)));
		p += n;
	}
	if (!ld.failed && csv_fini(&parser, on_field, on_row, &ld) != 0) {
		fail(&ld, ld.row_start ? ld.row_start : ld.line,
		     "malformed CSV: unterminated quoted field (the row "
		     "starting here runs to the end of the file)");
	}
	csv_free(&parser);

	if (!ld.failed && !ld.have_header)
		fail(&ld, 1, "no CSV header found");
	if (!ld.failed && ld.n_entries == 0)
		fail(&ld, ld.line + 1, "no records after the header");

	struct pn_registry *reg = xmalloc(sizeof *reg);
	reg->owned = true;
	reg->pool = ld.pool;
	reg->pool_size = (uint32_t)ld.pool_size;
	reg->entries = ld.entries;
	reg->n_entries = (uint32_t)ld.n_entries;
	reg->source = strdup(label);
	if (!reg->source)
		out_of_memory();
	loader_release(&ld);
	if (ld.failed) {
		pn_registry_free(reg);
		return -1;
	}
	/* Shrink the pool to what it holds; nothing points into it yet. */
	char *pool = realloc(ld.pool, ld.pool_size);
	if (pool)
		reg->pool = pool;

	resolve_links(reg, ld.entries);
	for (uint32_t i = 0; i < reg->n_entries; i++)
		if ((ld.entries[i].flags & (PN_E_UNAUTHORIZED | PN_E_RANGE)) ==
			(PN_E_UNAUTHORIZED | PN_E_RANGE) &&
		    pn_entry_names_unauthorized_port(reg, &ld.entries[i]))
			ld.entries[i].flags |= PN_E_UNAUTHORIZED_PARTIAL;
	if (build_table(&ld, reg) != 0) {
		pn_registry_free(reg);
		return -1;
	}
	count_entries(&ld, reg);
	reg->counts = ld.counts;
	memcpy(reg->date, ld.date, sizeof reg->date);
	*out = reg;
	return 0;
}

int pn_registry_load(const char *path, const char *label,
		     const struct pn_load_options *opts,
		     struct pn_registry **out, char errbuf[PN_ERRBUF_SIZE])
{
	*out = NULL;
	if (!label)
		label = path;
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		snprintf(errbuf, PN_ERRBUF_SIZE, "%s: cannot open: %s", label,
			 strerror(errno));
		return -1;
	}
	char *data = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		data = grow(data, 1, &cap, len + 65536);
		size_t n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	bool bad = ferror(f);
	int saved = errno;
	if (f != stdin)
		fclose(f);
	if (bad) {
		snprintf(errbuf, PN_ERRBUF_SIZE, "%s: read error: %s", label,
			 strerror(saved));
		free(data);
		return -1;
	}
	int rc = pn_registry_load_buffer(data, len, label, opts, out, errbuf);
	free(data);
	return rc;
}

void pn_registry_free(struct pn_registry *reg)
{
	if (!reg || !reg->owned)
		return;
	free((void *)reg->pool);
	free((void *)reg->entries);
	free((void *)reg->lists);
	free((void *)reg->slots);
	free((void *)reg->table);
	free((void *)reg->source);
	free(reg);
}
