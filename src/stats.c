/* stats.c — per-service statistics: ended flows grouped by what their
 * server port is registered for. */
#include "portnote/stats.h"

#include "portnote/flowprint.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uthash.h>

/* An address as two words: compared inline, without memcmp. */
struct addr_words {
	uint64_t w[2];
};

/* A set of addresses, for counting distinct clients and servers as flows
 * end: open addressing with the addresses held inline (uthash with one
 * allocation per address was a tenth of a stats run). The all-zero
 * address marks a free slot, so it is held by a flag of its own.
 *
 * Exact up to PN_STATS_EXACT_ADDRS addresses; past that a HyperLogLog
 * sketch of PN_STATS_HLL_REGISTERS one-byte registers takes its place, so
 * that a scan of a million hosts neither holds them all nor rehashes as
 * they come (a third of a scan's run went to growing the sets): the count
 * is then an estimate, and said to be one (stats.h). */
struct addr_set {
	struct addr_words *slot;
	uint32_t cap;	/* slots: 0 or a power of two */
	uint32_t count; /* addresses in slots */
	bool zero;	/* :: is in the set */
	uint8_t *hll;	/* the sketch, once past the bound; slot freed */
};

struct service {
	/* transport + '/' + service: the hash key, held just after the
	 * struct (a scan makes tens of thousands of services: no room is
	 * kept for names they do not have) */
	char *key;
	const char *name; /* within key, after the transport */
	uint8_t transport;
	uint16_t port_min, port_max;
	uint64_t flows, packets[2], bytes[2]; /* [0] client to server */
	pn_time_us first_us, last_us;
	uint64_t basis[PN_BASIS_COUNT];
	uint64_t flagged[PN_FF_COUNT];
	uint64_t verdict[PN_V_COUNT];
	struct addr_set clients, servers;
	struct pn_series bins; /* bytes over time, with a timeline */
	UT_hash_handle hh;
};

/* Flows whose payload differs from what their server port is registered
 * for, by server port and what the payload looked like. */
struct differ_key {
	uint16_t port;
	uint8_t transport;
	uint8_t looks_like; /* enum pn_proto; PN_P_NONE: like nothing known */
};

struct differ {
	struct differ_key key;
	uint32_t expected; /* what the port's services speak */
	bool declared;	   /* ... or what a site declaration says of it */
	uint64_t flows, bytes;
	struct addr_set clients, servers;
	UT_hash_handle hh;
};

struct pn_service_stats {
	const struct pn_registry *reg;
	struct pn_annotator *ann;
	bool evidence;
	struct service *by_key;
	/* Each ended flow's service, found again without formatting its
	 * name (a tenth of a scan's run went to that): by slot for a port
	 * whose slot names services (every port of a slot has its names),
	 * by port for the others, filled as each is first seen. */
	struct service **by_slot[PN_TRANSPORT_COUNT]; /* reg->n_slots */
	struct service **by_port[PN_TRANSPORT_COUNT]; /* 65536 */
	struct service *unknown;		      /* basis none */
	/* The flows of services past PN_STATS_MAX_SERVICES, and how many
	 * slots or ports led there. */
	struct service past;
	uint64_t past_keys;
	struct service total;
	/* total's address sets are the union of the services' (every flow is
	 * in one service), merged when a report needs them rather than
	 * added to per flow: here, the flows they were merged for
	 * (UINT64_MAX: never). */
	uint64_t total_addrs_flows;
	struct differ *differs;
	bool timeline; /* pn_service_stats_keep_timeline */
	struct pn_timeline tl;
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (!p) {
		fprintf(stderr, "portnote: out of memory\n");
		exit(70);
	}
	return p;
}

struct pn_service_stats *pn_service_stats_create(const struct pn_registry *reg,
						 struct pn_annotator *ann,
						 bool evidence)
{
	struct pn_service_stats *s = xcalloc(1, sizeof *s);
	s->reg = reg;
	s->ann = ann;
	s->evidence = evidence;
	s->total.transport = PN_TRANSPORT_COUNT; /* all of them */
	s->total_addrs_flows = UINT64_MAX;
	s->past.transport = PN_TRANSPORT_COUNT;
	return s;
}

static struct addr_words addr_words(const uint8_t addr[16])
{
	struct addr_words a;
	memcpy(a.w, addr, 16);
	return a;
}

static bool addr_free(struct addr_words a)
{
	return (a.w[0] | a.w[1]) == 0;
}

static bool addr_equal(struct addr_words a, struct addr_words b)
{
	return ((a.w[0] ^ b.w[0]) | (a.w[1] ^ b.w[1])) == 0;
}

static uint64_t addr_hash64(struct addr_words a)
{
	/* Every bit of the address must reach the low bits that index the
	 * table: IPv4 addresses differ only in their last bytes. */
	uint64_t h = a.w[0] * 0x9e3779b97f4a7c15u ^ a.w[1];
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53u;
	h ^= h >> 33;
	return h;
}

static uint32_t addr_hash(struct addr_words a)
{
	return (uint32_t)addr_hash64(a);
}

#define HLL_BITS 12 /* log2 of PN_STATS_HLL_REGISTERS */
_Static_assert(PN_STATS_HLL_REGISTERS == 1u << HLL_BITS,
	       "the register index takes HLL_BITS bits of the hash");

/* The register of the hash's top bits keeps the longest run of zeros (plus
 * one) seen in the rest. */
static void hll_add(uint8_t *reg, uint64_t h)
{
	uint32_t j = (uint32_t)(h >> (64 - HLL_BITS));
	uint64_t rest = h << HLL_BITS | (1ull << (HLL_BITS - 1));
	uint8_t rank = (uint8_t)(__builtin_clzll(rest) + 1);
	if (rank > reg[j])
		reg[j] = rank;
}

/* Flajolet et al.'s estimate, with linear counting for small counts. */
static uint64_t hll_estimate(const uint8_t *reg)
{
	const double m = PN_STATS_HLL_REGISTERS;
	double sum = 0;
	unsigned zeros = 0;
	for (unsigned j = 0; j < PN_STATS_HLL_REGISTERS; j++) {
		sum += ldexp(1.0, -reg[j]);
		zeros += reg[j] == 0;
	}
	double e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
	if (e <= 2.5 * m && zeros)
		e = m * log(m / zeros);
	return (uint64_t)(e + 0.5);
}

static void to_sketch(struct addr_set *set)
{
	set->hll = xcalloc(PN_STATS_HLL_REGISTERS, 1);
	for (uint32_t i = 0; i < set->cap; i++)
		if (!addr_free(set->slot[i]))
			hll_add(set->hll, addr_hash64(set->slot[i]));
	if (set->zero)
		hll_add(set->hll, addr_hash64((struct addr_words){{0, 0}}));
	free(set->slot);
	set->slot = NULL;
	set->cap = set->count = 0;
}

/* The slot that holds a, or the free slot where it would go. */
static uint32_t addr_slot(const struct addr_set *set, struct addr_words a)
{
	uint32_t mask = set->cap - 1, i = addr_hash(a) & mask;
	while (!addr_equal(set->slot[i], a) && !addr_free(set->slot[i]))
		i = (i + 1) & mask;
	return i;
}

static void addr_set_grow(struct addr_set *set)
{
	struct addr_set bigger = {.cap = set->cap ? 2 * set->cap : 8};
	bigger.slot = xcalloc(bigger.cap, sizeof *bigger.slot);
	for (uint32_t i = 0; i < set->cap; i++)
		if (!addr_free(set->slot[i]))
			bigger.slot[addr_slot(&bigger, set->slot[i])] =
			    set->slot[i];
	free(set->slot);
	set->slot = bigger.slot;
	set->cap = bigger.cap;
}

static void add_words(struct addr_set *set, struct addr_words a)
{
	if (set->hll) {
		hll_add(set->hll, addr_hash64(a));
		return;
	}
	if (addr_free(a)) {
		set->zero = true;
		return;
	}
	/* At most half full: probe sequences stay short. */
	if (2 * (set->count + 1) > set->cap)
		addr_set_grow(set);
	uint32_t i = addr_slot(set, a);
	if (addr_free(set->slot[i])) {
		set->slot[i] = a;
		set->count++;
		if (set->count > PN_STATS_EXACT_ADDRS)
			to_sketch(set);
	}
}

static void add_addr(struct addr_set *set, const uint8_t addr[16])
{
	add_words(set, addr_words(addr));
}

/* Adds every address of from to set. */
static void add_addrs(struct addr_set *set, const struct addr_set *from)
{
	if (from->hll) {
		if (!set->hll)
			to_sketch(set);
		for (unsigned j = 0; j < PN_STATS_HLL_REGISTERS; j++)
			if (from->hll[j] > set->hll[j])
				set->hll[j] = from->hll[j];
		return;
	}
	if (from->zero)
		add_words(set, (struct addr_words){{0, 0}});
	for (uint32_t i = 0; i < from->cap; i++)
		if (!addr_free(from->slot[i]))
			add_words(set, from->slot[i]);
}

/* How many distinct addresses the set holds, or its estimate. */
static uint64_t addr_count(const struct addr_set *set)
{
	if (set->hll)
		return hll_estimate(set->hll);
	return (uint64_t)set->count + set->zero;
}

static bool addr_approximate(const struct addr_set *set)
{
	return set->hll != NULL;
}

/* The flow's counts into v, and with addrs its two addresses (the row of
 * all flows takes its addresses from the services at the report: see
 * total_addrs). */
static void account(struct service *v, const struct pn_flow *f,
		    enum pn_payload_verdict verdict, bool addrs)
{
	int srv = f->server, cli = !srv;
	uint16_t port = f->key.port[srv];
	pn_time_us first = pn_flow_first_us(f);
	if (v->flows == 0 || port < v->port_min)
		v->port_min = port;
	if (v->flows == 0 || port > v->port_max)
		v->port_max = port;
	if (v->flows == 0 || first < v->first_us)
		v->first_us = first;
	if (v->flows == 0 || f->seen_us > v->last_us)
		v->last_us = f->seen_us;
	v->flows++;
	v->packets[0] += f->packets[cli];
	v->packets[1] += f->packets[srv];
	v->bytes[0] += f->bytes[cli];
	v->bytes[1] += f->bytes[srv];
	v->basis[f->basis]++;
	for (unsigned b = 0; b < PN_FF_COUNT; b++)
		if (f->flags & (1u << b))
			v->flagged[b]++;
	v->verdict[verdict]++;
	if (addrs) {
		add_addr(&v->clients, f->key.addr[cli]);
		add_addr(&v->servers, f->key.addr[srv]);
	}
}

static void add_differ(struct pn_service_stats *s, const struct pn_flow *f,
		       const struct pn_verdict_detail *vd)
{
	enum pn_proto looks = vd->looks_like;
	int srv = f->server;
	struct differ_key k = {f->key.port[srv], f->key.transport,
			       (uint8_t)looks};
	struct differ *d;
	HASH_FIND(hh, s->differs, &k, sizeof k, d);
	if (!d) {
		d = xcalloc(1, sizeof *d);
		d->key = k;
		d->expected = vd->expected;
		d->declared = vd->declared;
		HASH_ADD(hh, s->differs, key, sizeof k, d);
	}
	d->flows++;
	d->bytes += f->bytes[0] + f->bytes[1];
	add_addr(&d->clients, f->key.addr[!srv]);
	add_addr(&d->servers, f->key.addr[srv]);
}

void pn_service_stats_keep_timeline(struct pn_service_stats *s)
{
	s->timeline = true;
}

/* Spreads each side's bytes over the time from that side's first packet
 * to its last, into the service's bins and the total's: once per ended
 * flow, never per packet. Widening the bins merges every series, which
 * happens at most once per step of the ladder in a run. */
static void timeline_add(struct pn_service_stats *s, struct service *v,
			 const struct pn_flow *f)
{
	for (int d = 0; d < 2; d++) {
		if (!f->packets[d])
			continue;
		struct pn_timeline_merge m;
		if (pn_timeline_cover(&s->tl, f->first_us[d], f->last_us[d],
				      &m)) {
			for (struct service *w = s->by_key; w; w = w->hh.next)
				pn_timeline_merge(&m, &w->bins);
			pn_timeline_merge(&m, &s->past.bins);
			pn_timeline_merge(&m, &s->total.bins);
		}
		pn_timeline_spread(&s->tl, &v->bins, f->first_us[d],
				   f->last_us[d], f->bytes[d]);
		pn_timeline_spread(&s->tl, &s->total.bins, f->first_us[d],
				   f->last_us[d], f->bytes[d]);
	}
}

/* Where the flow's service is remembered (see by_slot). */
static struct service **service_cache(struct pn_service_stats *s,
				      const struct pn_flow *f)
{
	if (f->basis == PN_BASIS_NONE)
		return &s->unknown;
	unsigned t = f->key.transport;
	uint16_t port = f->key.port[f->server];
	uint16_t slot = s->reg->table[t][port];
	if (s->reg->slots[slot].flags & PN_S_SERVICE) {
		if (!s->by_slot[t])
			s->by_slot[t] =
			    xcalloc(s->reg->n_slots, sizeof *s->by_slot[t]);
		return &s->by_slot[t][slot];
	}
	if (!s->by_port[t])
		s->by_port[t] = xcalloc(65536, sizeof *s->by_port[t]);
	return &s->by_port[t][port];
}

/* The service by its name: found or made (once per name, slot or port),
 * or the row past the bound once PN_STATS_MAX_SERVICES are kept. */
static struct service *service_named(struct pn_service_stats *s,
				     const struct pn_flow *f)
{
	char name[512], key[600];
	pn_flow_service(s->reg, s->ann, f, name, sizeof name);
	int n = snprintf(key, sizeof key, "%s/%s",
			 pn_transport_name(f->key.transport), name);
	size_t len =
	    n > 0 && (size_t)n < sizeof key ? (size_t)n : sizeof key - 1;
	struct service *v;
	HASH_FIND(hh, s->by_key, key, len, v);
	if (!v && HASH_COUNT(s->by_key) >= PN_STATS_MAX_SERVICES) {
		s->past_keys++;
		return &s->past;
	}
	if (!v) {
		v = xcalloc(1, sizeof *v + len + 1);
		v->key = (char *)(v + 1);
		memcpy(v->key, key, len);
		v->name = strchr(v->key, '/') + 1;
		v->transport = f->key.transport;
		HASH_ADD_KEYPTR(hh, s->by_key, v->key, len, v);
	}
	return v;
}

void pn_service_stats_add(struct pn_service_stats *s, const struct pn_flow *f)
{
	struct service **cached = service_cache(s, f);
	if (!*cached)
		*cached = service_named(s, f);
	struct service *v = *cached;
	enum pn_payload_verdict verdict = PN_V_NO_PAYLOAD;
	if (s->evidence) {
		struct pn_verdict_detail d;
		const struct pn_port_words *w =
		    pn_annotate(s->ann, (enum pn_transport)f->key.transport,
				f->key.port[f->server]);
		verdict = pn_flow_verdict_with(
		    s->reg, pn_annotator_declarations(s->ann), f,
		    w->expected[f->key.transport], &d);
		if (verdict == PN_V_DIFFERS)
			add_differ(s, f, &d);
	}
	account(v, f, verdict, true);
	account(&s->total, f, verdict, false);
	if (s->timeline)
		timeline_add(s, v, f);
}

static enum pn_sort sort_key;

static uint64_t sort_value(const struct service *v)
{
	switch (sort_key) {
	case PN_SORT_FLOWS:
		return v->flows;
	case PN_SORT_PACKETS:
		return v->packets[0] + v->packets[1];
	case PN_SORT_BYTES:
		break;
	}
	return v->bytes[0] + v->bytes[1];
}

static int by_value(const void *a, const void *b)
{
	const struct service *x = *(const struct service *const *)a;
	const struct service *y = *(const struct service *const *)b;
	uint64_t vx = sort_value(x), vy = sort_value(y);
	if (vx != vy)
		return vx > vy ? -1 : 1;
	/* Ties in a stable, readable order. */
	return strcmp(x->key, y->key);
}

static const char *ports_text(const struct service *v, char buf[16])
{
	if (v->port_min == v->port_max)
		snprintf(buf, 16, "%u", v->port_min);
	else
		snprintf(buf, 16, "%u-%u", v->port_min, v->port_max);
	return buf;
}

/* A distinct count for the text table: "~98304" when it is an estimate. */
static const char *count_text(const struct addr_set *set, char buf[24])
{
	snprintf(buf, 24, "%s%llu", addr_approximate(set) ? "~" : "",
		 (unsigned long long)addr_count(set));
	return buf;
}

static unsigned percent(uint64_t part, uint64_t whole)
{
	return whole ? (unsigned)((part * 100 + whole / 2) / whole) : 0;
}

static void text_flags(FILE *out, const struct service *v)
{
	const char *sep = "  ";
	for (unsigned b = 0; b < PN_FF_COUNT; b++)
		if (v->flagged[b]) {
			fprintf(out, "%s%s %llu", sep, pn_flow_flag_name(b),
				(unsigned long long)v->flagged[b]);
			sep = ", ";
		}
}

/* Time of day, for the text table, when every flow is of one UTC day
 * (the header gives it); otherwise the date too. A time outside 1970-9999
 * is written whole, as seconds (pn_time_text). */
static const char *clock_text(pn_time_us us, bool dated,
			      char buf[PN_TIME_TEXT_SIZE])
{
	if (!pn_time_is_iso(us))
		return pn_time_text(us, buf);
	struct tm tm;
	time_t sec = (time_t)(us / 1000000);
	gmtime_r(&sec, &tm);
	strftime(buf, PN_TIME_TEXT_SIZE,
		 dated ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S", &tm);
	return buf;
}

static bool one_day(pn_time_us a, pn_time_us b)
{
	return pn_time_is_iso(a) && pn_time_is_iso(b) &&
	       a / 1000000 / 86400 == b / 1000000 / 86400;
}

/* Flows per verdict: agrees/differs/unverified/no-payload. */
static const char *verdicts_text(const struct service *v, char buf[96])
{
	snprintf(buf, 96, "%llu/%llu/%llu/%llu",
		 (unsigned long long)v->verdict[PN_V_AGREES],
		 (unsigned long long)v->verdict[PN_V_DIFFERS],
		 (unsigned long long)v->verdict[PN_V_UNVERIFIED],
		 (unsigned long long)v->verdict[PN_V_NO_PAYLOAD]);
	return buf;
}

/* What a row of the report is: one service, the services past --top
 * summed, or every flow. */
enum record { REC_SERVICE, REC_OTHER, REC_TOTAL };
static const char *const record_names[] = {"service", "other", "total"};

static void text_row(FILE *out, const struct service *v, const char *label,
		     bool evidence, bool dated)
{
	char ports[16], a[PN_TIME_TEXT_SIZE], b[PN_TIME_TEXT_SIZE], vt[96],
	    nc[24], ns[24];
	fprintf(
	    out,
	    "%-24s %-5s %-11s %6llu %8llu %8llu %11llu %11llu %7s %7s  "
	    "%3u/%3u/%3u/%3u/%3u  ",
	    label,
	    v->transport < PN_TRANSPORT_COUNT ? pn_transport_name(v->transport)
					      : "-",
	    v->flows ? ports_text(v, ports) : "-", (unsigned long long)v->flows,
	    (unsigned long long)v->packets[0],
	    (unsigned long long)v->packets[1], (unsigned long long)v->bytes[0],
	    (unsigned long long)v->bytes[1], count_text(&v->clients, nc),
	    count_text(&v->servers, ns),
	    percent(v->basis[PN_BASIS_HANDSHAKE], v->flows),
	    percent(v->basis[PN_BASIS_REGISTRY], v->flows),
	    percent(v->basis[PN_BASIS_FIRST_PACKET], v->flows),
	    percent(v->basis[PN_BASIS_PORT_CLASS], v->flows),
	    percent(v->basis[PN_BASIS_NONE], v->flows));
	if (evidence)
		fprintf(out, "%-19s  ", verdicts_text(v, vt));
	fprintf(out, "%s-%s",
		v->flows ? clock_text(v->first_us, dated, a) : "-",
		v->flows ? clock_text(v->last_us, dated, b) : "-");
	text_flags(out, v);
	fputc('\n', out);
}

static void json_service(FILE *out, const struct service *v, const char *name,
			 enum record rec, bool evidence)
{
	char ports[16], a[PN_TIME_TEXT_SIZE], b[PN_TIME_TEXT_SIZE];
	fprintf(out, "{\"record\":\"%s\",\"service\":\"", record_names[rec]);
	pn_json_escape(out, name);
	fputs("\",\"transport\":", out);
	if (v->transport < PN_TRANSPORT_COUNT)
		fprintf(out, "\"%s\"", pn_transport_name(v->transport));
	else
		fputs("null", out);
	/* A summed row's ports are not a range but the lowest and highest
	 * server port among its services: given only as those two. */
	if (rec == REC_SERVICE && v->flows)
		fprintf(out, ",\"ports\":\"%s\"", ports_text(v, ports));
	else
		fputs(",\"ports\":null", out);
	if (v->flows)
		fprintf(out, ",\"port_lowest\":%u,\"port_highest\":%u",
			v->port_min, v->port_max);
	else
		fputs(",\"port_lowest\":null,\"port_highest\":null", out);
	fprintf(out,
		",\"flows\":%llu,\"packets_c2s\":%llu,"
		"\"packets_s2c\":%llu,\"bytes_c2s\":%llu,\"bytes_s2c\":%llu,"
		"\"clients\":%llu,\"servers\":%llu,"
		"\"clients_approximate\":%s,\"servers_approximate\":%s,"
		"\"first\":\"%s\",\"last\":\"%s\",\"basis\":{",
		(unsigned long long)v->flows, (unsigned long long)v->packets[0],
		(unsigned long long)v->packets[1],
		(unsigned long long)v->bytes[0],
		(unsigned long long)v->bytes[1],
		(unsigned long long)addr_count(&v->clients),
		(unsigned long long)addr_count(&v->servers),
		addr_approximate(&v->clients) ? "true" : "false",
		addr_approximate(&v->servers) ? "true" : "false",
		v->flows ? pn_time_text(v->first_us, a) : "",
		v->flows ? pn_time_text(v->last_us, b) : "");
	for (int i = 0; i < PN_BASIS_COUNT; i++)
		fprintf(out, "%s\"%s\":%llu", i ? "," : "", pn_basis_name(i),
			(unsigned long long)v->basis[i]);
	fputs("},\"flags\":{", out);
	for (unsigned i = 0; i < PN_FF_COUNT; i++)
		fprintf(out, "%s\"%s\":%llu", i ? "," : "",
			pn_flow_flag_name(i),
			(unsigned long long)v->flagged[i]);
	fputc('}', out);
	if (evidence) {
		fputs(",\"verdicts\":", out);
		pn_verdicts_json(out, v->verdict);
	}
	fputc('}', out);
}

static const char *const csv_header[] = {"record",
					 "service",
					 "transport",
					 "ports",
					 "port_lowest",
					 "port_highest",
					 "flows",
					 "packets_c2s",
					 "packets_s2c",
					 "bytes_c2s",
					 "bytes_s2c",
					 "clients",
					 "servers",
					 "first",
					 "last",
					 "basis_handshake",
					 "basis_registry",
					 "basis_first_packet",
					 "basis_port_class",
					 "basis_none",
					 "reserved",
					 "unassigned",
					 "dynamic",
					 "unauthorized_use_reported",
					 "ambiguous",
					 "agrees",
					 "differs",
					 "unverified",
					 "no_payload",
					 "clients_approximate",
					 "servers_approximate"};
#define CSV_COLUMNS ((int)(sizeof csv_header / sizeof csv_header[0]))

static void csv_service(FILE *out, const struct service *v, const char *name,
			enum record rec, bool evidence)
{
	char num[7 + PN_BASIS_COUNT + PN_FF_COUNT + PN_V_COUNT][24], ports[16],
	    a[PN_TIME_TEXT_SIZE], b[PN_TIME_TEXT_SIZE], lo[8], hi[8];
	const char *cells[CSV_COLUMNS], **row = cells + 3;
	uint64_t values[] = {v->flows,
			     v->packets[0],
			     v->packets[1],
			     v->bytes[0],
			     v->bytes[1],
			     addr_count(&v->clients),
			     addr_count(&v->servers)};
	/* The columns after record, port_lowest and port_highest keep the
	 * numbering they had before those three came: row[i] is column
	 * i + 3, and the three are set here. */
	cells[0] = record_names[rec];
	cells[1] = name;
	cells[2] = v->transport < PN_TRANSPORT_COUNT
		       ? pn_transport_name(v->transport)
		       : "";
	cells[3] = rec == REC_SERVICE && v->flows ? ports_text(v, ports) : "";
	snprintf(lo, sizeof lo, "%u", v->port_min);
	snprintf(hi, sizeof hi, "%u", v->port_max);
	cells[4] = v->flows ? lo : "";
	cells[5] = v->flows ? hi : "";
	for (int i = 0; i < 7; i++) {
		snprintf(num[i], sizeof num[i], "%llu",
			 (unsigned long long)values[i]);
		row[3 + i] = num[i];
	}
	row[10] = v->flows ? pn_time_text(v->first_us, a) : "";
	row[11] = v->flows ? pn_time_text(v->last_us, b) : "";
	for (int i = 0; i < PN_BASIS_COUNT; i++) {
		snprintf(num[7 + i], sizeof num[0], "%llu",
			 (unsigned long long)v->basis[i]);
		row[12 + i] = num[7 + i];
	}
	for (unsigned i = 0; i < PN_FF_COUNT; i++) {
		snprintf(num[7 + PN_BASIS_COUNT + i], sizeof num[0], "%llu",
			 (unsigned long long)v->flagged[i]);
		row[12 + PN_BASIS_COUNT + i] = num[7 + PN_BASIS_COUNT + i];
	}
	/* In the order of the header: agrees, differs, unverified, none. */
	static const enum pn_payload_verdict order[PN_V_COUNT] = {
	    PN_V_AGREES, PN_V_DIFFERS, PN_V_UNVERIFIED, PN_V_NO_PAYLOAD};
	for (int i = 0; i < PN_V_COUNT; i++) {
		char *cell = num[7 + PN_BASIS_COUNT + PN_FF_COUNT + i];
		cell[0] = '\0';
		if (evidence)
			snprintf(cell, sizeof num[0], "%llu",
				 (unsigned long long)v->verdict[order[i]]);
		row[12 + PN_BASIS_COUNT + PN_FF_COUNT + i] = cell;
	}
	cells[CSV_COLUMNS - 2] =
	    addr_approximate(&v->clients) ? "true" : "false";
	cells[CSV_COLUMNS - 1] =
	    addr_approximate(&v->servers) ? "true" : "false";
	pn_out_csv_row(out, cells, CSV_COLUMNS);
}

static void free_set(struct addr_set *set)
{
	free(set->slot);
	free(set->hll);
	*set = (struct addr_set){0};
}

/* The services not in the top N, summed into one row. */
static void sum_into(struct service *sum, const struct service *v)
{
	if (sum->flows == 0 || v->port_min < sum->port_min)
		sum->port_min = v->port_min;
	if (sum->flows == 0 || v->port_max > sum->port_max)
		sum->port_max = v->port_max;
	if (sum->flows == 0 || v->first_us < sum->first_us)
		sum->first_us = v->first_us;
	if (sum->flows == 0 || v->last_us > sum->last_us)
		sum->last_us = v->last_us;
	sum->flows += v->flows;
	for (int d = 0; d < 2; d++) {
		sum->packets[d] += v->packets[d];
		sum->bytes[d] += v->bytes[d];
	}
	for (int i = 0; i < PN_BASIS_COUNT; i++)
		sum->basis[i] += v->basis[i];
	for (unsigned i = 0; i < PN_FF_COUNT; i++)
		sum->flagged[i] += v->flagged[i];
	for (int i = 0; i < PN_V_COUNT; i++)
		sum->verdict[i] += v->verdict[i];
	/* Distinct addresses do not add up across services: merge the sets. */
	add_addrs(&sum->clients, &v->clients);
	add_addrs(&sum->servers, &v->servers);
}

static int by_flows(const void *a, const void *b)
{
	const struct differ *x = *(const struct differ *const *)a;
	const struct differ *y = *(const struct differ *const *)b;
	if (x->flows != y->flows)
		return x->flows > y->flows ? -1 : 1;
	if (x->key.transport != y->key.transport)
		return x->key.transport < y->key.transport ? -1 : 1;
	if (x->key.port != y->key.port)
		return x->key.port < y->key.port ? -1 : 1;
	return (x->key.looks_like > y->key.looks_like) -
	       (x->key.looks_like < y->key.looks_like);
}

static struct differ **sorted_differs(struct pn_service_stats *s, unsigned *n)
{
	*n = HASH_COUNT(s->differs);
	struct differ **all = xcalloc(*n ? *n : 1, sizeof *all);
	unsigned i = 0;
	for (struct differ *d = s->differs; d; d = d->hh.next)
		all[i++] = d;
	qsort(all, *n, sizeof *all, by_flows);
	return all;
}

/* "SSH", "nothing known (not SIP)", or what a DCCP service code said. */
static const char *looks_text(const struct differ *d, char *buf, size_t size)
{
	if (d->key.looks_like != PN_P_NONE)
		return pn_proto_title((enum pn_proto)d->key.looks_like);
	/* Only a DCCP-Request's service code can differ with nothing to
	 * expect of the bytes. */
	if (!d->expected)
		return "a service code not listed for the port";
	char names[200];
	snprintf(
	    buf, size, "nothing known (not %s)",
	    pn_protocols_text(d->expected, true, " or ", names, sizeof names));
	return buf;
}

/* The text column of what a differing port was expected to speak: its
 * registered services, or "declared: ssh" when a declaration set the
 * expectation. */
static const char *differ_expectation(struct pn_service_stats *s,
				      const struct differ *d, char *buf,
				      size_t size)
{
	if (d->declared) {
		char names[256];
		snprintf(buf, size, "declared: %s",
			 pn_protocols_text(d->expected, false, ", ", names,
					   sizeof names));
		return buf;
	}
	return pn_port_service(s->reg, s->ann,
			       (enum pn_transport)d->key.transport, d->key.port,
			       buf, size);
}

static void text_differs(FILE *out, struct pn_service_stats *s,
			 struct differ **all, unsigned n)
{
	char names[512], port[24], looks[256];
	fprintf(out,
		"# payload differs from the registration: %u server "
		"port%s\n",
		n, n == 1 ? "" : "s");
	if (!n)
		return;
	fprintf(out, "%-12s %-24s %-38s %6s %7s %7s %11s\n", "server port",
		"registered for", "payload looks like", "flows", "clients",
		"servers", "bytes");
	for (unsigned i = 0; i < n; i++) {
		const struct differ *d = all[i];
		enum pn_transport t = (enum pn_transport)d->key.transport;
		snprintf(port, sizeof port, "%u/%s", d->key.port,
			 pn_transport_name(t));
		differ_expectation(s, d, names, sizeof names);
		char nc[24], ns[24];
		fprintf(
		    out, "%-12s %-24s %-38s %6llu %7s %7s %11llu\n", port,
		    pn_safe(names), looks_text(d, looks, sizeof looks),
		    (unsigned long long)d->flows, count_text(&d->clients, nc),
		    count_text(&d->servers, ns), (unsigned long long)d->bytes);
	}
}

static void json_differs(FILE *out, struct pn_service_stats *s,
			 struct differ **all, unsigned n)
{
	char names[512];
	fputs(",\"payload_differs\":[", out);
	for (unsigned i = 0; i < n; i++) {
		const struct differ *d = all[i];
		enum pn_transport t = (enum pn_transport)d->key.transport;
		pn_port_service(s->reg, s->ann, t, d->key.port, names,
				sizeof names);
		fprintf(out,
			"%s{\"transport\":\"%s\",\"port\":%u,"
			"\"registered_for\":\"",
			i ? "," : "", pn_transport_name(t), d->key.port);
		pn_json_escape(out, names);
		fputs("\",\"looks_like\":", out);
		if (d->key.looks_like != PN_P_NONE)
			fprintf(
			    out, "\"%s\"",
			    pn_proto_name((enum pn_proto)d->key.looks_like));
		else
			fputs("null", out);
		fputs(",\"expected\":", out);
		pn_protocols_json(out, d->expected);
		fprintf(out, ",\"expected_from\":\"%s\"",
			d->declared ? "declaration" : "registry");
		fprintf(out,
			",\"flows\":%llu,\"clients\":%llu,\"servers\":%llu,"
			"\"clients_approximate\":%s,\"servers_approximate\":%s,"
			"\"bytes\":%llu}",
			(unsigned long long)d->flows,
			(unsigned long long)addr_count(&d->clients),
			(unsigned long long)addr_count(&d->servers),
			addr_approximate(&d->clients) ? "true" : "false",
			addr_approximate(&d->servers) ? "true" : "false",
			(unsigned long long)d->bytes);
	}
	fputc(']', out);
}

/* Merges every service's addresses into the row of all flows. Exact sets
 * and sketches merge to what adding each flow's addresses would have
 * given: the same set, or the same registers. */
static void total_addrs(struct pn_service_stats *s)
{
	if (s->total_addrs_flows == s->total.flows)
		return;
	free_set(&s->total.clients);
	free_set(&s->total.servers);
	for (const struct service *v = s->by_key; v; v = v->hh.next) {
		add_addrs(&s->total.clients, &v->clients);
		add_addrs(&s->total.servers, &v->servers);
	}
	add_addrs(&s->total.clients, &s->past.clients);
	add_addrs(&s->total.servers, &s->past.servers);
	s->total_addrs_flows = s->total.flows;
}

void pn_service_stats_report(struct pn_service_stats *s, enum pn_format fmt,
			     FILE *out, const struct pn_report_info *info)
{
	total_addrs(s);
	unsigned n = HASH_COUNT(s->by_key), i = 0;
	struct service **all = xcalloc(n ? n : 1, sizeof *all);
	for (struct service *v = s->by_key; v; v = v->hh.next)
		all[i++] = v;
	sort_key = info->sort;
	qsort(all, n, sizeof *all, by_value);
	unsigned shown = info->top && info->top < n ? info->top : n;
	struct service rest = {.transport = PN_TRANSPORT_COUNT};
	for (i = shown; i < n; i++)
		sum_into(&rest, all[i]);
	if (s->past.flows)
		sum_into(&rest, &s->past);
	bool more = shown < n || s->past.flows;
	const struct service *t = &s->total;
	static const char *const sort_names[] = {"bytes", "packets", "flows"};
	bool ev = s->evidence;
	unsigned n_differs = 0;
	struct differ **differs = sorted_differs(s, &n_differs);

	if (fmt == PN_FORMAT_TEXT) {
		/* Flows over several UTC days get dates in the seen column. */
		bool dated = t->flows && !one_day(t->first_us, t->last_us);
		fprintf(out,
			"# portnote stats: %s; IANA registry snapshot %s (%s)\n"
			"# A registered port does not prove what traffic is: "
			"each row is what the server port is registered for.\n"
			"# %llu flows; server side chosen by handshake %u%%, "
			"registry %u%%, first packet %u%%, port class %u%%, "
			"no basis %u%%\n",
			pn_safe(info->inputs), pn_registry_date_text(info->reg),
			pn_safe(pn_registry_origin(info->reg)),
			(unsigned long long)t->flows,
			percent(t->basis[PN_BASIS_HANDSHAKE], t->flows),
			percent(t->basis[PN_BASIS_REGISTRY], t->flows),
			percent(t->basis[PN_BASIS_FIRST_PACKET], t->flows),
			percent(t->basis[PN_BASIS_PORT_CLASS], t->flows),
			percent(t->basis[PN_BASIS_NONE], t->flows));
		if (t->flows) {
			char a[PN_TIME_TEXT_SIZE], b[PN_TIME_TEXT_SIZE];
			fprintf(out, "# seen from %s to %s\n",
				pn_time_text(t->first_us, a),
				pn_time_text(t->last_us, b));
		}
		const struct pn_declarations *decl =
		    pn_annotator_declarations(s->ann);
		if (ev)
			fprintf(
			    out,
			    "# payload evidence: %llu of %llu flows carried "
			    "payload; %llu agree with what their server port "
			    "is %s for, %llu differ, %llu unverified "
			    "(what the first payload bytes looked like, port-"
			    "blind; not proof either)\n",
			    (unsigned long long)(t->flows -
						 t->verdict[PN_V_NO_PAYLOAD]),
			    (unsigned long long)t->flows,
			    (unsigned long long)t->verdict[PN_V_AGREES],
			    decl ? "registered or declared" : "registered",
			    (unsigned long long)t->verdict[PN_V_DIFFERS],
			    (unsigned long long)t->verdict[PN_V_UNVERIFIED]);
		if (ev && decl)
			fprintf(out,
				"# site declarations: %lu port%s declared in "
				"%s, judged against the declaration instead "
				"of the registry\n",
				pn_declarations_ports(decl),
				pn_declarations_ports(decl) == 1 ? "" : "s",
				pn_safe(pn_declarations_path(decl)));
		fprintf(out, "# top %u of %u by %s\n", shown, n,
			sort_names[info->sort]);
		fprintf(
		    out,
		    "%-24s %-5s %-11s %6s %8s %8s %11s %11s %7s %7s  %-19s  "
		    "%s%-17s  flags\n",
		    "registered for", "proto", "port", "flows", "pkts c>s",
		    "pkts s>c", "bytes c>s", "bytes s>c", "clients", "servers",
		    "basis% h/r/f/c/n", ev ? "payload a/d/u/n      " : "",
		    "seen (UTC)");
		for (i = 0; i < shown; i++)
			text_row(out, all[i], all[i]->name, ev, dated);
		if (more) {
			char label[64];
			snprintf(label, sizeof label, "(%llu more services)",
				 (unsigned long long)(n - shown) +
				     s->past_keys);
			text_row(out, &rest, label, ev, dated);
		}
		text_row(out, t, "(all flows)", ev, dated);
		if (s->past.flows)
			fprintf(out,
				"# services: %u kept, the bound; %llu flows of "
				"%llu more registry slots or ports are summed "
				"into the more-services row\n",
				PN_STATS_MAX_SERVICES,
				(unsigned long long)s->past.flows,
				(unsigned long long)s->past_keys);
		fputs("# port: the server port, or the lowest-highest server "
		      "port of a row's flows (a span, not a range)\n",
		      out);
		if (addr_approximate(&t->clients) ||
		    addr_approximate(&t->servers))
			fprintf(out,
				"# ~: distinct addresses estimated past %u in "
				"a row (HyperLogLog of %u registers, standard "
				"error 1.6 %%)\n",
				PN_STATS_EXACT_ADDRS, PN_STATS_HLL_REGISTERS);
		fprintf(out, "# flags: ");
		bool any = false;
		for (unsigned b = 0; b < PN_FF_COUNT; b++)
			if (t->flagged[b]) {
				fprintf(out, "%s%llu flows %s", any ? ", " : "",
					(unsigned long long)t->flagged[b],
					b == 0	 ? "to reserved ports"
					: b == 1 ? "to unassigned ports"
					: b == 2 ? "to dynamic-range ports"
					: b == 3 ? "to ports with unauthorized "
						   "use reported"
						 : "with both ports registered "
						   "to different services");
				any = true;
			}
		fprintf(out, "%s\n", any ? "" : "none");
		if (ev)
			text_differs(out, s, differs, n_differs);
		if (info->flows && info->flows->ended[PN_END_EVICTED])
			fprintf(out,
				"# %llu flows were ended early by --max-flows; "
				"raise it to keep them whole\n",
				(unsigned long long)
				    info->flows->ended[PN_END_EVICTED]);
	} else if (fmt == PN_FORMAT_JSON) {
		fputs("{\"type\":\"stats\",\"inputs\":[", out);
		for (int k = 0; k < info->n_files; k++) {
			fputs(k ? ",\"" : "\"", out);
			pn_json_escape(out, info->files[k]);
			fputc('"', out);
		}
		fputs("],\"interface\":", out);
		if (info->n_files == 0 && info->iface) {
			fputc('"', out);
			pn_json_escape(out, info->iface);
			fputc('"', out);
		} else {
			fputs("null", out);
		}
		fputs(",\"registry\":{\"source\":\"", out);
		pn_json_escape(out, info->reg->source);
		fprintf(out,
			"\",\"built_in\":%s,\"date\":\"%s\"},\"warning\":\"A "
			"registered port "
			"does not prove what traffic is; services are what "
			"the server port is registered for.\",\"sort\":\"%s\","
			"\"services_total\":%u,\"services_bound\":%u,"
			"\"services_past_bound\":",
			info->reg->owned ? "false" : "true",
			pn_registry_date_text(info->reg),
			sort_names[info->sort], n, PN_STATS_MAX_SERVICES);
		if (s->past.flows)
			fprintf(out, "{\"keys\":%llu,\"flows\":%llu}",
				(unsigned long long)s->past_keys,
				(unsigned long long)s->past.flows);
		else
			fputs("null", out);
		fputs(",\"services\":[", out);
		for (i = 0; i < shown; i++) {
			fputs(i ? "," : "", out);
			json_service(out, all[i], all[i]->name, REC_SERVICE,
				     ev);
		}
		fputs("],\"other_services\":", out);
		if (more)
			json_service(out, &rest, "(other services)", REC_OTHER,
				     ev);
		else
			fputs("null", out);
		fputs(",\"all\":", out);
		json_service(out, t, "(all flows)", REC_TOTAL, ev);
		if (ev)
			json_differs(out, s, differs, n_differs);
		if (info->flows) {
			fputs(",\"flow_ends\":{", out);
			for (int e = 1; e < PN_END_COUNT; e++)
				fprintf(
				    out, "%s\"%s\":%llu", e > 1 ? "," : "",
				    pn_flow_end_name(e),
				    (unsigned long long)info->flows->ended[e]);
			fprintf(out, "},\"peak_flows\":%llu",
				(unsigned long long)info->flows->peak);
		}
		fputs("}\n", out);
	} else {
		pn_out_csv_row(out, csv_header, CSV_COLUMNS);
		for (i = 0; i < shown; i++)
			csv_service(out, all[i], all[i]->name, REC_SERVICE, ev);
		if (more)
			csv_service(out, &rest, "(other services)", REC_OTHER,
				    ev);
		csv_service(out, t, "(all flows)", REC_TOTAL, ev);
	}
	free_set(&rest.clients);
	free_set(&rest.servers);
	free(all);
	free(differs);
}

void pn_service_stats_destroy(struct pn_service_stats *s)
{
	if (!s)
		return;
	struct service *v, *tmp;
	HASH_ITER(hh, s->by_key, v, tmp)
	{
		HASH_DEL(s->by_key, v);
		free_set(&v->clients);
		free_set(&v->servers);
		pn_series_free(&v->bins);
		free(v);
	}
	free_set(&s->total.clients);
	free_set(&s->total.servers);
	pn_series_free(&s->total.bins);
	free_set(&s->past.clients);
	free_set(&s->past.servers);
	pn_series_free(&s->past.bins);
	for (int t = 0; t < PN_TRANSPORT_COUNT; t++) {
		free(s->by_slot[t]);
		free(s->by_port[t]);
	}
	struct differ *d, *dtmp;
	HASH_ITER(hh, s->differs, d, dtmp)
	{
		HASH_DEL(s->differs, d);
		free_set(&d->clients);
		free_set(&d->servers);
		free(d);
	}
	free(s);
}

/* A service's numbers as a row of the view; bins (the view's bins of
 * them) receives its timeline, earliest first. */
static void view_row(const struct pn_service_stats *s, struct pn_service_row *r,
		     const struct service *v, const char *name, uint64_t *bins)
{
	r->name = name;
	r->transport = v->transport;
	r->port_min = v->port_min;
	r->port_max = v->port_max;
	r->flows = v->flows;
	for (int d = 0; d < 2; d++) {
		r->packets[d] = v->packets[d];
		r->bytes[d] = v->bytes[d];
	}
	r->clients = addr_count(&v->clients);
	r->servers = addr_count(&v->servers);
	r->clients_approximate = addr_approximate(&v->clients);
	r->servers_approximate = addr_approximate(&v->servers);
	r->first_us = v->first_us;
	r->last_us = v->last_us;
	memcpy(r->basis, v->basis, sizeof r->basis);
	memcpy(r->flagged, v->flagged, sizeof r->flagged);
	memcpy(r->verdict, v->verdict, sizeof r->verdict);
	r->bins = NULL;
	if (bins) {
		pn_timeline_copy(&s->tl, &v->bins, bins);
		r->bins = bins;
	}
}

struct pn_stats_view *pn_service_stats_view(struct pn_service_stats *s,
					    unsigned top, enum pn_sort sort)
{
	total_addrs(s);
	struct pn_stats_view *view = calloc(1, sizeof *view);
	unsigned n = HASH_COUNT(s->by_key), i = 0;
	struct service **all = calloc(n ? n : 1, sizeof *all);
	if (!view || !all) {
		fprintf(stderr, "portnote: out of memory\n");
		exit(70);
	}
	for (struct service *v = s->by_key; v; v = v->hh.next)
		all[i++] = v;
	sort_key = sort;
	qsort(all, n, sizeof *all, by_value);
	unsigned shown = top && top < n ? top : n;
	view->services = n;
	view->shown = shown;
	view->past_keys = s->past_keys;
	view->past_flows = s->past.flows;
	view->evidence = s->evidence;
	/* Bins for every row shown, the rest and all flows, in one block
	 * that rows[0].bins points at. */
	unsigned nb = s->timeline ? pn_timeline_bins(&s->tl) : 0;
	uint64_t *block = NULL;
	if (nb) {
		view->bins = nb;
		view->bin0_us = pn_timeline_start_us(&s->tl, 0);
		view->bin_us = pn_timeline_width_us(&s->tl);
		block = calloc((size_t)(shown + 2) * nb, sizeof *block);
		view->bin_block = block;
	}
	view->rows = calloc(shown ? shown : 1, sizeof *view->rows);
	if (!view->rows || (nb && !block)) {
		fprintf(stderr, "portnote: out of memory\n");
		exit(70);
	}
	for (i = 0; i < shown; i++)
		view_row(s, &view->rows[i], all[i], all[i]->name,
			 block ? block + (size_t)i * nb : NULL);
	struct service rest = {.transport = PN_TRANSPORT_COUNT};
	uint64_t *rest_bins = block ? block + (size_t)shown * nb : NULL;
	for (i = shown; i < n; i++) {
		sum_into(&rest, all[i]);
		if (!rest_bins)
			continue;
		uint64_t bins[PN_TIMELINE_BINS];
		pn_timeline_copy(&s->tl, &all[i]->bins, bins);
		for (unsigned k = 0; k < nb; k++)
			rest_bins[k] += bins[k];
	}
	if (s->past.flows) {
		sum_into(&rest, &s->past);
		if (rest_bins) {
			uint64_t bins[PN_TIMELINE_BINS];
			pn_timeline_copy(&s->tl, &s->past.bins, bins);
			for (unsigned k = 0; k < nb; k++)
				rest_bins[k] += bins[k];
		}
	}
	view_row(s, &view->rest, &rest, NULL, NULL);
	view->rest.bins = rest_bins;
	free_set(&rest.clients);
	free_set(&rest.servers);
	view_row(s, &view->all, &s->total, NULL,
		 block ? block + (size_t)(shown + 1) * nb : NULL);
	free(all);

	struct differ **differs = sorted_differs(s, &view->n_differs);
	view->differs = calloc(view->n_differs ? view->n_differs : 1,
			       sizeof *view->differs);
	if (!view->differs) {
		fprintf(stderr, "portnote: out of memory\n");
		exit(70);
	}
	for (i = 0; i < view->n_differs; i++) {
		const struct differ *d = differs[i];
		struct pn_differ_row *r = &view->differs[i];
		r->port = d->key.port;
		r->transport = d->key.transport;
		r->declared = d->declared;
		differ_expectation(s, d, r->registered_for,
				   sizeof r->registered_for);
		char looks[sizeof r->looks_like];
		snprintf(r->looks_like, sizeof r->looks_like, "%s",
			 looks_text(d, looks, sizeof looks));
		r->flows = d->flows;
		r->clients = addr_count(&d->clients);
		r->servers = addr_count(&d->servers);
		r->clients_approximate = addr_approximate(&d->clients);
		r->servers_approximate = addr_approximate(&d->servers);
		r->bytes = d->bytes;
	}
	free(differs);
	return view;
}

void pn_stats_view_free(struct pn_stats_view *v)
{
	if (!v)
		return;
	free(v->bin_block);
	free(v->rows);
	free(v->differs);
	free(v);
}
