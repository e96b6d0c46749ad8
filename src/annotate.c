/* annotate.c — per-slot registry words, built lazily and cached. */
#include "portnote/annotate.h"

#include "portnote/evidence.h"

#include <stdlib.h>
#include <string.h>

struct pn_annotator {
	const struct pn_registry *reg;
	const struct pn_declarations *decl;
	struct pn_port_words *words; /* [n_slots] */
	bool *built;
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p) {
		fprintf(stderr, "portnote: out of memory\n");
		exit(70);
	}
	return p;
}

struct pn_annotator *pn_annotator_create(const struct pn_registry *reg)
{
	struct pn_annotator *a = xcalloc(1, sizeof *a);
	a->reg = reg;
	a->words = xcalloc(reg->n_slots, sizeof *a->words);
	a->built = xcalloc(reg->n_slots, sizeof *a->built);
	return a;
}

void pn_annotator_declare(struct pn_annotator *a,
			  const struct pn_declarations *d)
{
	a->decl = d;
}

const struct pn_declarations *
pn_annotator_declarations(const struct pn_annotator *a)
{
	return a ? a->decl : NULL;
}

void pn_annotator_destroy(struct pn_annotator *a)
{
	if (!a)
		return;
	for (uint32_t i = 0; i < a->reg->n_slots; i++) {
		if (!a->built[i])
			continue;
		free((char *)a->words[i].label);
		free((char *)a->words[i].names_json);
		free((char *)a->words[i].names_csv);
		free((char *)a->words[i].service_json);
		free((char *)a->words[i].flags_json);
		free((char *)a->words[i].flags_csv);
		free((char *)a->words[i].json[0]);
		for (int c = 0; c < 3; c++)
			free((char *)a->words[i].flow_json[c]);
		free((char *)a->words[i].json[1]);
	}
	free(a->words);
	free(a->built);
	free(a);
}

/* A growing string, for building the cached texts. */
struct text {
	char *s;
	size_t len, cap;
};

static void put(struct text *t, const char *s)
{
	size_t n = strlen(s);
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		if (!t->s) {
			fprintf(stderr, "portnote: out of memory\n");
			exit(70);
		}
	}
	memcpy(t->s + t->len, s, n + 1);
	t->len += n;
}

/* s as the inside of a JSON string. */
static void put_json_inside(struct text *t, const char *s)
{
	for (; *s; s++) {
		char c[8];
		unsigned char u = (unsigned char)*s;
		if (u == '"' || u == '\\')
			snprintf(c, sizeof c, "\\%c", u);
		else if (u < 0x20)
			snprintf(c, sizeof c, "\\u%04x", u);
		else
			c[0] = (char)u, c[1] = '\0';
		put(t, c);
	}
}

static void put_json_string(struct text *t, const char *s)
{
	put(t, "\"");
	put_json_inside(t, s);
	put(t, "\"");
}

static char *done(struct text *t)
{
	if (!t->s)
		put(t, "");
	return t->s;
}

static void build(struct pn_annotator *a, uint16_t slot_index)
{
	const struct pn_registry *reg = a->reg;
	const struct pn_slot *s = &reg->slots[slot_index];
	struct pn_port_words *w = &a->words[slot_index];
	struct text label = {0}, nj = {0}, nc = {0}, sj = {0}, fj = {0},
		    fc = {0};
	unsigned names = 0;

	put(&nj, "[");
	for (unsigned i = 0; i < s->count; i++) {
		const struct pn_entry *e = pn_slot_entry(reg, s, i);
		if (e->kind != PN_KIND_SERVICE)
			continue;
		const char *name = pn_registry_str(reg, e->name);
		put(&label, names ? ", " : "registered for ");
		put(&label, name);
		put(&nj, names ? "," : "");
		put_json_string(&nj, name);
		put(&nc, names ? ";" : "");
		put(&nc, name);
		put(&sj, names ? ", " : "");
		put_json_inside(&sj, name);
		names++;
	}
	put(&nj, "]");
	if (names)
		w->status = "registered";
	else if (s->flags & PN_S_UNNAMED)
		w->status = "unnamed", put(&label, "registered without a name");
	else if (s->flags & PN_S_RESERVED)
		w->status = "reserved", put(&label, "reserved");
	else if (s->flags & PN_S_UNASSIGNED)
		w->status = "unassigned", put(&label, "unassigned");
	else
		w->status = "unregistered", put(&label, "unregistered");
	if (s->flags & PN_S_UNAUTHORIZED)
		put(&label, " (unauthorized use reported)");

	static const struct {
		uint16_t bit;
		const char *name;
	} flags[] = {
	    {PN_S_MULTI, "multi"},
	    {PN_S_RESERVED, "reserved"},
	    {PN_S_UNASSIGNED, "unassigned"},
	    {PN_S_UNAUTHORIZED, "unauthorized-use-reported"},
	    {PN_S_PROTO_UNSPECIFIED, "protocol-unspecified"},
	    {PN_S_ALIAS, "historic-alias"},
	};
	unsigned nf = 0;
	put(&fj, "[");
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		if (!(s->flags & flags[i].bit))
			continue;
		put(&fj, nf ? "," : "");
		put_json_string(&fj, flags[i].name);
		put(&fc, nf ? ";" : "");
		put(&fc, flags[i].name);
		nf++;
	}
	put(&fj, "]");
	w->label = done(&label);
	w->names_json = done(&nj);
	w->names_csv = done(&nc);
	w->service_json = done(&sj);
	w->names_json_len = strlen(w->names_json);
	for (int t = 0; t < PN_TRANSPORT_COUNT; t++)
		w->expected[t] =
		    pn_evidence_slot_expected(reg, s, (enum pn_transport)t);
	w->service_json_len = strlen(w->service_json);
	w->flags_json = done(&fj);
	w->flags_csv = done(&fc);
	static const char *const side[2] = {"sport", "dport"};
	for (int i = 0; i < 2; i++) {
		struct text j = {0};
		put(&j, ",\"");
		put(&j, side[i]);
		put(&j, "_status\":\"");
		put(&j, w->status);
		put(&j, "\",\"");
		put(&j, side[i]);
		put(&j, "_services\":");
		put(&j, w->names_json);
		put(&j, ",\"");
		put(&j, side[i]);
		put(&j, "_flags\":");
		put(&j, w->flags_json);
		w->json[i] = done(&j);
		w->json_len[i] = j.len;
	}
	a->built[slot_index] = true;
}

const char *pn_annotate_flow_json(struct pn_annotator *a, enum pn_transport t,
				  uint16_t port, size_t *len)
{
	uint16_t i = a->reg->table[t][port];
	if (!a->built[i])
		build(a, i);
	struct pn_port_words *w = &a->words[i];
	enum pn_port_class c = pn_port_class(port);
	if (!w->flow_json[c]) {
		struct text j = {0};
		put(&j, "\",\"server_port_class\":\"");
		put(&j, pn_port_class_name(c));
		put(&j, "\",\"server_port_status\":\"");
		put(&j, w->status);
		put(&j, "\",\"services\":");
		put(&j, w->names_json);
		put(&j, ",\"flags\":[");
		w->flow_json[c] = done(&j);
		w->flow_json_len[c] = j.len;
	}
	*len = w->flow_json_len[c];
	return w->flow_json[c];
}

const struct pn_port_words *pn_annotate(struct pn_annotator *a,
					enum pn_transport t, uint16_t port)
{
	uint16_t i = a->reg->table[t][port];
	if (!a->built[i])
		build(a, i);
	return &a->words[i];
}

int pn_annotate_port(struct pn_annotator *a, enum pn_transport t, uint16_t port,
		     char *buf, size_t size)
{
	const struct pn_port_words *w = pn_annotate(a, t, port);
	const char *dynamic =
	    pn_port_class(port) == PN_CLASS_DYNAMIC ? "dynamic, " : "";
	uint32_t declared = pn_declared(a->decl, t, port);
	if (declared) {
		char names[256];
		pn_protocols_text(declared, false, ", ", names, sizeof names);
		return snprintf(buf, size, "%u %sdeclared here for %s (%s)",
				port, dynamic, names, w->label);
	}
	return snprintf(buf, size, "%u %s%s", port, dynamic, w->label);
}

void pn_json_escape(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char u = (unsigned char)*s;
		if (u == '"' || u == '\\')
			fputc('\\', out), fputc(u, out);
		else if (u < 0x20)
			fprintf(out, "\\u%04x", u);
		else
			fputc(u, out);
	}
}
