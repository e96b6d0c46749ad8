/* flow.c — the flow table: uthash keyed by the canonical flow key, hashed
 * once per packet; flows from a pool; idle lists per transport. */
#include "portnote/flow.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The key is 40 bytes of plain integers: a multiply-xorshift mix over its
 * five 64-bit words costs a fraction of uthash's default Jenkins hash and
 * spreads the low bits, which pick the bucket, as well. */
static inline unsigned flow_hash(const void *key, size_t len)
{
	const unsigned char *k = key;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, k + i, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
	}
	for (; i < len; i++)
		h = (h ^ k[i]) * 0x94d049bb133111ebull;
	h ^= h >> 29;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 32;
	return (unsigned)h;
}

/* uthash's macros are read where they expand, in this file. */
#undef HASH_FUNCTION
#define HASH_FUNCTION(keyptr, keylen, hashv)                                   \
	((hashv) = flow_hash((keyptr), (size_t)(keylen)))

/* uthash starts with 32 buckets and doubles only when one chain reaches
 * ten flows, so a busy table walks chains of several flows per lookup, a
 * cache miss each. Starting at 2^18 buckets (4 MiB) keeps chains short up
 * to a few hundred thousand flows; past that uthash grows as usual. */
#undef HASH_INITIAL_NUM_BUCKETS
#undef HASH_INITIAL_NUM_BUCKETS_LOG2
#define HASH_INITIAL_NUM_BUCKETS 262144U
#define HASH_INITIAL_NUM_BUCKETS_LOG2 18U

/* uthash then doubles the buckets when a chain reaches ten flows, which
 * under a scan or a flood happens at about 700,000 flows and again near a
 * million, each time rehashing every flow, a cache miss each. Once the
 * table holds as many flows as it has buckets, it is grown at once to as
 * many buckets as --max-flows allows flows (up to 2^24): two rehashes of
 * 262,144 flows instead. Ordinary traffic, which never holds that many
 * flows at once, keeps the 4 MiB of buckets. */
#define GROW_MAX_BUCKETS (1u << 24)

/* Idle lists: one per transport, each ordered by last packet, plus one for
 * closed flows lingering for their last ACKs. */
enum { LIST_CLOSING = PN_TRANSPORT_COUNT, N_LISTS };

/* Flows are carved from slabs of this many. */
#define SLAB_FLOWS 4096

/* A lookup that walks past a flow reads its hash handle's hash value,
 * key length and next pointer (bytes 72 to 96 of a flow): with flows on
 * 32-byte boundaries those lie in the flow's second cache line, the one
 * the lookup prefetches, whichever flow it is. On malloc's 16-byte
 * boundaries half the flows had them straddle into a third line, a miss
 * the prefetch never covered. */
#define FLOW_ALIGN 64

struct slab {
	struct slab *next;
	struct pn_evidence *tokens; /* one per flow, when kept */
	_Alignas(FLOW_ALIGN) struct pn_flow flows[SLAB_FLOWS];
};

_Static_assert(offsetof(struct pn_flow, hh) +
			   offsetof(UT_hash_handle, hh_next) >=
		       64 &&
		   offsetof(struct pn_flow, hh) + sizeof(UT_hash_handle) <=
		       128 - (sizeof(struct pn_flow) % 64),
	       "a walk past a flow reads one cache line of it");

/* What the flow table needs of one packet, kept between hashing its key
 * and using it (see pn_flow_push). */
struct event {
	struct pn_flow_key key;
	pn_time_us ts_us;
	uint32_t wirelen;
	unsigned hashv;
	enum pn_l4 l4;
	uint8_t src; /* the sending endpoint */
	uint8_t tcp_flags, sctp_chunk, dccp_type;
	bool has_tcp_flags, has_sctp_chunk, has_dccp_type, has_service_code;
	uint32_t service_code;
	/* The payload's first bytes: the frame is gone by the time a pushed
	 * event is accounted, so they are copied into payload (only when
	 * evidence is examined); pn_flow_packet reads them in the frame. */
	uint16_t payload_len;
	const uint8_t *payload_at;
	uint8_t payload[PN_EVIDENCE_SNAP];
};

/* Ended flows on their way to on_end on a thread of its own
 * (cfg.end_thread). The packet path hands over a pointer and goes on; the
 * flow stays out of the free list until on_end has had it, so nothing is
 * copied. Flows are handed over in batches, one lock and wake-up each. */
#define ENDED_RING 8192u /* a power of two */
#define ENDED_BATCH 2048u

struct ended {
	struct pn_flow *ring[ENDED_RING];
	uint32_t filled;       /* the table's: flows put in the ring */
	uint32_t reclaimed;    /* the table's: flows back on the free list */
	uint32_t published;    /* flows the end thread may take: written under
				  lock, by the table */
	_Atomic uint32_t done; /* flows on_end has had: the end thread's */
	bool stopping;	       /* under lock */
	pthread_mutex_t lock;
	pthread_cond_t more, less; /* published grew; done grew */
	pthread_t thread;
	struct pn_flow_table *table;
};

/* Packets between hashing a key (and prefetching its bucket) and looking
 * it up; half way, the bucket's first flow is prefetched too. */
#define PIPELINE 8

struct pn_flow_table {
	struct pn_flow_config cfg;
	const struct pn_registry *reg;
	pn_flow_end_fn on_end;
	void *ctx;
	struct pn_flow *hash;
	struct pn_flow *oldest[N_LISTS], *newest[N_LISTS];
	struct pn_flow *free_flows; /* linked through `newer` */
	struct slab *slabs;
	size_t allocated;    /* flows in slabs */
	struct ended *ended; /* NULL: on_end is called as each flow ends */
	pn_time_us now_us, next_sweep_us;
	pn_time_us high_us; /* the latest capture time seen */
	bool examined;	    /* the last packet processed was examined */
	struct pn_flow_counters counters;
	struct event pending[PIPELINE];
	unsigned pending_head, pending_count;
};

void pn_flow_config_init(struct pn_flow_config *cfg)
{
	cfg->max_flows = PN_FLOW_MAX;
	cfg->idle_us[PN_TCP] = PN_FLOW_IDLE_TCP * (int64_t)PN_US_PER_SEC;
	cfg->idle_us[PN_UDP] = PN_FLOW_IDLE_UDP * (int64_t)PN_US_PER_SEC;
	cfg->idle_us[PN_SCTP] = PN_FLOW_IDLE_SCTP * (int64_t)PN_US_PER_SEC;
	cfg->idle_us[PN_DCCP] = PN_FLOW_IDLE_DCCP * (int64_t)PN_US_PER_SEC;
	cfg->linger_us = PN_FLOW_LINGER * (int64_t)PN_US_PER_SEC;
	cfg->evidence = true;
	cfg->keep_tokens = false;
	cfg->end_thread = false;
}

const char *pn_basis_name(enum pn_basis b)
{
	static const char *const names[] = {
	    "handshake", "registry", "first-packet", "port-class", "none"};
	return (unsigned)b < PN_BASIS_COUNT ? names[b] : "?";
}

enum pn_payload_verdict pn_flow_verdict_with(const struct pn_registry *reg,
					     const struct pn_declarations *decl,
					     const struct pn_flow *f,
					     uint32_t expected,
					     struct pn_verdict_detail *d)
{
	enum pn_transport t = (enum pn_transport)f->key.transport;
	/* A datagram carries its opening in every packet that matters; a
	 * stream only from its handshake on. */
	bool start_seen = t != PN_TCP || f->basis == PN_BASIS_HANDSHAKE;
	uint16_t port = f->key.port[f->server];
	return pn_evidence_verdict_with(&f->ev, reg, pn_declared(decl, t, port),
					expected, t, port, f->server,
					start_seen, d);
}

enum pn_payload_verdict pn_flow_verdict(const struct pn_registry *reg,
					const struct pn_declarations *decl,
					const struct pn_flow *f,
					struct pn_verdict_detail *d)
{
	return pn_flow_verdict_with(
	    reg, decl, f,
	    pn_evidence_expected(reg, (enum pn_transport)f->key.transport,
				 f->key.port[f->server]),
	    d);
}

bool pn_flow_examined(const struct pn_flow_table *t)
{
	return t->examined;
}

bool pn_flow_verdict_open(const struct pn_flow *f)
{
	/* After FIN/FIN or RST no payload comes: nothing more to examine. */
	if (f->ev.code != PN_EV_CODE_NONE || f->closing)
		return false;
	return pn_evidence_wants(&f->ev, 0) || pn_evidence_wants(&f->ev, 1);
}

const char *pn_flow_end_name(enum pn_flow_end e)
{
	static const char *const names[] = {
	    "active", "fin", "rst", "idle", "evicted", "end-of-input"};
	return (unsigned)e < PN_END_COUNT ? names[e] : "?";
}

size_t pn_flow_bytes_per_flow(void)
{
	/* The flow itself, and uthash's share of buckets: it keeps about one
	 * bucket (16 bytes) per item at most. */
	return sizeof(struct pn_flow) + 16;
}

static void *end_main(void *arg)
{
	struct ended *e = arg;
	const struct pn_flow_table *t = e->table;
	uint32_t done = 0;
	pthread_mutex_lock(&e->lock);
	for (;;) {
		while (e->published == done && !e->stopping)
			pthread_cond_wait(&e->more, &e->lock);
		uint32_t until = e->published;
		if (until == done)
			break; /* stopping, and nothing is left */
		pthread_mutex_unlock(&e->lock);
		for (; done != until; done++)
			t->on_end(t->ctx, e->ring[done % ENDED_RING]);
		pthread_mutex_lock(&e->lock);
		atomic_store_explicit(&e->done, done, memory_order_release);
		pthread_cond_signal(&e->less);
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

/* The end thread, or NULL when it cannot be had: then on_end is called
 * on the packet path, as without cfg.end_thread. */
static struct ended *ended_start(struct pn_flow_table *t)
{
	struct ended *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	if (pthread_mutex_init(&e->lock, NULL) != 0) {
		free(e);
		return NULL;
	}
	pthread_cond_init(&e->more, NULL);
	pthread_cond_init(&e->less, NULL);
	e->table = t;
	if (pn_capture_thread(&e->thread, end_main, e) != 0) {
		pthread_cond_destroy(&e->more);
		pthread_cond_destroy(&e->less);
		pthread_mutex_destroy(&e->lock);
		free(e);
		return NULL;
	}
	return e;
}

static void publish(struct ended *e)
{
	pthread_mutex_lock(&e->lock);
	if (e->published != e->filled) {
		e->published = e->filled;
		pthread_cond_signal(&e->more);
	}
	pthread_mutex_unlock(&e->lock);
}

/* Flows on_end has had go back to the free list. */
static void reclaim(struct pn_flow_table *t)
{
	struct ended *e = t->ended;
	uint32_t done = atomic_load_explicit(&e->done, memory_order_acquire);
	while (e->reclaimed != done) {
		struct pn_flow *f = e->ring[e->reclaimed++ % ENDED_RING];
		f->newer = t->free_flows;
		t->free_flows = f;
	}
}

/* Hands over what is in the ring and waits until on_end has had at least
 * `until` flows (counted from the start), or all when fewer were ended. */
static void wait_done(struct pn_flow_table *t, uint32_t until)
{
	struct ended *e = t->ended;
	if ((int32_t)(until - e->filled) > 0)
		until = e->filled;
	publish(e);
	pthread_mutex_lock(&e->lock);
	while ((int32_t)(until - atomic_load_explicit(
				     &e->done, memory_order_relaxed)) > 0)
		pthread_cond_wait(&e->less, &e->lock);
	pthread_mutex_unlock(&e->lock);
	reclaim(t);
}

/* Every flow ended so far has been through on_end. */
static void settle(struct pn_flow_table *t)
{
	if (t->ended)
		wait_done(t, t->ended->filled);
}

static void ended_stop(struct pn_flow_table *t)
{
	struct ended *e = t->ended;
	settle(t);
	pthread_mutex_lock(&e->lock);
	e->stopping = true;
	pthread_cond_signal(&e->more);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thread, NULL);
	pthread_cond_destroy(&e->more);
	pthread_cond_destroy(&e->less);
	pthread_mutex_destroy(&e->lock);
	free(e);
	t->ended = NULL;
}

/* An ended flow, out of the hash and its list, to the end thread. */
static void hand_over(struct pn_flow_table *t, struct pn_flow *f)
{
	struct ended *e = t->ended;
	if (e->filled - e->reclaimed == ENDED_RING) {
		reclaim(t);
		if (e->filled - e->reclaimed == ENDED_RING)
			wait_done(t, e->reclaimed + ENDED_BATCH);
	}
	e->ring[e->filled++ % ENDED_RING] = f;
	if (e->filled - e->published >= ENDED_BATCH)
		publish(e);
}

struct pn_flow_table *pn_flow_table_create(const struct pn_flow_config *cfg,
					   const struct pn_registry *reg,
					   pn_flow_end_fn on_end, void *ctx)
{
	struct pn_flow_table *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->cfg = *cfg;
	t->reg = reg;
	t->on_end = on_end;
	t->ctx = ctx;
	/* No time has been seen: the first packet sets the clock. */
	t->now_us = t->next_sweep_us = t->high_us = PN_TIME_MIN;
	if (cfg->end_thread && on_end)
		t->ended = ended_start(t);
	return t;
}

static void grow(struct pn_flow_table *t)
{
	UT_hash_table *tbl = t->hash->hh.tbl;
	while (tbl->num_buckets < t->cfg.max_flows &&
	       tbl->num_buckets < GROW_MAX_BUCKETS && !tbl->noexpand) {
		int oomed = 0;
		HASH_EXPAND_BUCKETS(hh, tbl, oomed);
		(void)oomed;
	}
}

static _Noreturn void out_of_memory(void)
{
	fprintf(stderr, "portnote: out of memory for the flow table; "
			"lower --max-flows\n");
	exit(70);
}

static struct pn_flow *flow_alloc(struct pn_flow_table *t)
{
	/* With an end thread, flows it has not had yet are not free: take
	 * back what it has done, and wait for it rather than grow past
	 * --max-flows and the ring. */
	if (!t->free_flows && t->ended) {
		reclaim(t);
		if (!t->free_flows &&
		    t->allocated >= (size_t)t->cfg.max_flows + ENDED_RING)
			wait_done(t, t->ended->reclaimed + ENDED_BATCH);
	}
	if (!t->free_flows) {
		struct slab *s = aligned_alloc(FLOW_ALIGN, sizeof *s);
		if (!s)
			out_of_memory();
		s->tokens = NULL;
		if (t->cfg.evidence && t->cfg.keep_tokens) {
			s->tokens = calloc(SLAB_FLOWS, sizeof *s->tokens);
			if (!s->tokens)
				out_of_memory();
		}
		s->next = t->slabs;
		t->slabs = s;
		t->allocated += SLAB_FLOWS;
		for (int i = SLAB_FLOWS - 1; i >= 0; i--) {
			s->flows[i].newer = t->free_flows;
			s->flows[i].ev.kept = s->tokens ? &s->tokens[i] : NULL;
			t->free_flows = &s->flows[i];
		}
	}
	struct pn_flow *f = t->free_flows;
	t->free_flows = f->newer;
	return f;
}

static void list_unlink(struct pn_flow_table *t, struct pn_flow *f)
{
	if (f->older)
		f->older->newer = f->newer;
	else
		t->oldest[f->list] = f->newer;
	if (f->newer)
		f->newer->older = f->older;
	else
		t->newest[f->list] = f->older;
	f->older = f->newer = NULL;
}

static void list_append(struct pn_flow_table *t, struct pn_flow *f, int list)
{
	f->list = (uint8_t)list;
	/* Never before its last packet, which after the clock stepped back
	 * is later than now: a settled head then stays settled. */
	f->queued_us = t->now_us > f->seen_us ? t->now_us : f->seen_us;
	f->newer = NULL;
	f->older = t->newest[list];
	if (t->newest[list])
		t->newest[list]->newer = f;
	else
		t->oldest[list] = f;
	t->newest[list] = f;
}

static void flow_end(struct pn_flow_table *t, struct pn_flow *f,
		     enum pn_flow_end why)
{
	f->end = (uint8_t)why;
	t->counters.ended[why]++;
	t->counters.active--;
	if (t->on_end && !t->ended)
		t->on_end(t->ctx, f);
	HASH_DELETE(hh, t->hash, f);
	list_unlink(t, f);
	if (t->ended) {
		hand_over(t, f);
		return;
	}
	f->newer = t->free_flows;
	t->free_flows = f;
}

/* Whether `d` of capture time has passed at `now` since `since`. Compared
 * by difference, which saturates only where it is beyond any timeout:
 * since + d would saturate too, and then equal `now` at the range's end. */
static inline bool passed(pn_time_us now, pn_time_us since, int64_t d)
{
	return pn_time_sub(now, since) >= d;
}

static int64_t list_timeout(const struct pn_flow_table *t, int list)
{
	return list == LIST_CLOSING ? t->cfg.linger_us : t->cfg.idle_us[list];
}

/* Flows are not moved in their list on every packet: that writes to two
 * neighbouring flows, two more cache misses per packet. A flow is moved to
 * the tail of its list at most once per REQUEUE_US of capture time, so a
 * list stays in the order flows were queued, never later than their last
 * packet and at most REQUEUE_US before it; the sweep (as often) and the
 * eviction settle a head that has seen packets since it was queued by
 * queueing it again. So expiry is as exact as the sweep, and a settled
 * head is the list's least recently seen flow. */
#define REQUEUE_US 1000000

static void requeue(struct pn_flow_table *t, struct pn_flow *f)
{
	int list = f->list;
	list_unlink(t, f);
	list_append(t, f, list);
}

/* Settles a list's head: returns the least recently seen flow, or NULL. */
static struct pn_flow *settled_head(struct pn_flow_table *t, int list)
{
	struct pn_flow *f;
	while ((f = t->oldest[list]) && f->seen_us > f->queued_us)
		requeue(t, f);
	return f;
}

static void sweep(struct pn_flow_table *t)
{
	for (int l = 0; l < N_LISTS; l++) {
		int64_t timeout = list_timeout(t, l);
		struct pn_flow *f;
		while ((f = t->oldest[l]) &&
		       passed(t->now_us, f->queued_us, timeout)) {
			if (!passed(t->now_us, f->seen_us, timeout)) {
				requeue(t, f);
				continue;
			}
			flow_end(t, f,
				 l == LIST_CLOSING
				     ? (enum pn_flow_end)f->closing
				     : PN_END_IDLE);
		}
	}
}

/* The bucket a hash value falls in, in uthash's own table. */
static const UT_hash_bucket *bucket_of(const struct pn_flow_table *t,
				       unsigned hashv)
{
	const UT_hash_table *tbl = t->hash->hh.tbl;
	return &tbl->buckets[hashv & (tbl->num_buckets - 1)];
}

/* The least recently seen flow of all lists goes, to make room. */
static void evict_one(struct pn_flow_table *t)
{
	struct pn_flow *victim = NULL;
	for (int l = 0; l < N_LISTS; l++) {
		struct pn_flow *f = settled_head(t, l);
		if (f && (!victim || f->seen_us < victim->seen_us))
			victim = f;
	}
	if (!victim)
		return;
	/* Under a scan or a flood every packet evicts, oldest first: the
	 * next victims are known. Their memory is long cold, and ending one
	 * writes to its neighbours in uthash's chains, a miss each; fetch the
	 * flow after next, and the next one's neighbours, ahead of time. */
	const struct pn_flow *next = victim->newer;
	if (next) {
		if (next->newer) {
			const char *after = (const char *)next->newer;
			for (size_t o = 0; o < sizeof *next; o += 64)
				__builtin_prefetch(after + o);
		}
		const UT_hash_handle *hh = &next->hh;
		if (hh->hh_prev)
			__builtin_prefetch(hh->hh_prev, 1);
		if (hh->hh_next)
			__builtin_prefetch(hh->hh_next, 1);
		if (hh->prev)
			__builtin_prefetch(
			    (const char *)hh->prev + hh->tbl->hho, 1);
		if (hh->next)
			__builtin_prefetch(
			    (const char *)hh->next + hh->tbl->hho, 1);
		__builtin_prefetch(bucket_of(t, hh->hashv), 1);
	}
	flow_end(t, victim, PN_END_EVICTED);
}

int pn_flow_key_from_packet(const struct pn_packet *p, struct pn_flow_key *k)
{
	/* Zeroed first: the key is hashed and compared as bytes. */
	memset(k, 0, sizeof *k);
	int c = memcmp(p->src, p->dst, 16);
	int src = c < 0 || (c == 0 && p->sport <= p->dport) ? 0 : 1;
	memcpy(k->addr[src], p->src, 16);
	memcpy(k->addr[!src], p->dst, 16);
	k->port[src] = p->sport;
	k->port[!src] = p->dport;
	k->vlan = p->vlan_count ? p->vlan[0] : 0;
	k->transport = (uint8_t)p->l4;
	k->ip_version = p->ip_version;
	return src;
}

static bool registered(const struct pn_slot *s)
{
	return s->flags & (PN_S_SERVICE | PN_S_UNNAMED);
}

int pn_flow_guess_server(const struct pn_registry *reg, enum pn_transport t,
			 const uint16_t port[2], enum pn_basis *basis)
{
	bool r0 = registered(pn_registry_slot(reg, t, port[0]));
	bool r1 = registered(pn_registry_slot(reg, t, port[1]));
	if (r0 != r1) {
		*basis = PN_BASIS_REGISTRY;
		return r0 ? 0 : 1;
	}
	enum pn_port_class c0 = pn_port_class(port[0]),
			   c1 = pn_port_class(port[1]);
	int lower = port[0] <= port[1] ? 0 : 1;
	if (!r0 && c0 == PN_CLASS_DYNAMIC && c1 == PN_CLASS_DYNAMIC) {
		*basis = PN_BASIS_NONE;
		return lower;
	}
	*basis = PN_BASIS_PORT_CLASS;
	if (c0 != c1)
		return c0 < c1 ? 0 : 1;
	return lower;
}

/* True when the two slots name different sets of services. Names are
 * interned, so equal names have equal pool offsets. */
static bool different_services(const struct pn_registry *reg,
			       const struct pn_slot *a, const struct pn_slot *b)
{
	for (int pass = 0; pass < 2; pass++) {
		const struct pn_slot *x = pass ? b : a, *y = pass ? a : b;
		for (unsigned i = 0; i < x->count; i++) {
			const struct pn_entry *e = pn_slot_entry(reg, x, i);
			if (e->kind != PN_KIND_SERVICE)
				continue;
			bool found = false;
			for (unsigned j = 0; j < y->count && !found; j++) {
				const struct pn_entry *g =
				    pn_slot_entry(reg, y, j);
				found = g->kind == PN_KIND_SERVICE &&
					g->name == e->name;
			}
			if (!found)
				return true;
		}
	}
	return false;
}

uint16_t pn_flow_port_flags(const struct pn_registry *reg, enum pn_transport t,
			    const uint16_t port[2], int server)
{
	const struct pn_slot *s = pn_registry_slot(reg, t, port[server]);
	const struct pn_slot *o = pn_registry_slot(reg, t, port[!server]);
	uint16_t f = 0;
	if (!registered(s)) {
		if (s->flags & PN_S_RESERVED)
			f |= PN_FF_RESERVED;
		if (s->flags & PN_S_UNASSIGNED)
			f |= PN_FF_UNASSIGNED;
	}
	if (pn_port_class(port[server]) == PN_CLASS_DYNAMIC)
		f |= PN_FF_DYNAMIC;
	if (s->flags & PN_S_UNAUTHORIZED)
		f |= PN_FF_UNAUTHORIZED;
	if ((s->flags & PN_S_SERVICE) && (o->flags & PN_S_SERVICE) &&
	    different_services(reg, s, o))
		f |= PN_FF_AMBIGUOUS;
	return f;
}

static void set_server(struct pn_flow_table *t, struct pn_flow *f, int server,
		       enum pn_basis basis)
{
	f->server = (uint8_t)server;
	f->basis = (uint8_t)basis;
	f->flags =
	    pn_flow_port_flags(t->reg, f->key.transport, f->key.port, server);
	/* Both ports registered leave the registry unable to choose, not a
	 * handshake: the sides it settled are not in doubt. */
	if (basis == PN_BASIS_HANDSHAKE || basis == PN_BASIS_FIRST_PACKET)
		f->flags &= (uint16_t)~PN_FF_AMBIGUOUS;
}

/* Handshake evidence in this packet: the endpoint it makes the server, or
 * -1. The sender of a SYN, INIT or Request is the client. */
static int handshake_server(const struct event *p, int src)
{
	switch (p->l4) {
	case PN_L4_TCP:
		if (!p->has_tcp_flags)
			return -1;
		if ((p->tcp_flags & (PN_TCP_SYN | PN_TCP_ACK | PN_TCP_RST)) ==
		    PN_TCP_SYN)
			return !src;
		if ((p->tcp_flags & (PN_TCP_SYN | PN_TCP_ACK | PN_TCP_RST)) ==
		    (PN_TCP_SYN | PN_TCP_ACK))
			return src;
		return -1;
	case PN_L4_SCTP:
		if (p->has_sctp_chunk && p->sctp_chunk == PN_SCTP_CHUNK_INIT)
			return !src;
		if (p->has_sctp_chunk && p->sctp_chunk == 2) /* INIT ACK */
			return src;
		return -1;
	case PN_L4_DCCP:
		if (!p->has_dccp_type)
			return -1;
		if (p->dccp_type == PN_DCCP_REQUEST)
			return !src;
		if (p->dccp_type == PN_DCCP_RESPONSE)
			return src;
		return -1;
	default:
		return -1;
	}
}

/* A packet that opens a connection anew: a SYN on a closed TCP flow reuses
 * its ports for a new connection. */
static bool opens(const struct event *p)
{
	return p->l4 == PN_L4_TCP && p->has_tcp_flags &&
	       (p->tcp_flags & (PN_TCP_SYN | PN_TCP_ACK)) == PN_TCP_SYN;
}

/* How this packet closes the flow, if it does. */
static void note_close(struct pn_flow *f, const struct event *p, int src)
{
	switch (p->l4) {
	case PN_L4_TCP:
		if (p->tcp_flags & PN_TCP_RST)
			f->closing = PN_END_RST;
		if (p->tcp_flags & PN_TCP_FIN) {
			f->fin |= (uint8_t)(1u << src);
			if (f->fin == 3 && !f->closing)
				f->closing = PN_END_FIN;
		}
		break;
	case PN_L4_SCTP:
		if (p->has_sctp_chunk && p->sctp_chunk == 6) /* ABORT */
			f->closing = PN_END_RST;
		if (p->has_sctp_chunk && p->sctp_chunk == 14) /* SHUTDOWN
								 COMPLETE */
			f->closing = PN_END_FIN;
		break;
	case PN_L4_DCCP:
		if (p->has_dccp_type && p->dccp_type == 7) /* Reset */
			f->closing = PN_END_RST;
		break;
	default:
		break;
	}
}

static void make_event(const struct pn_flow_table *t, const struct pn_packet *p,
		       const uint8_t *bytes, pn_time_us ts_us, bool copy,
		       struct event *e)
{
	e->src = (uint8_t)pn_flow_key_from_packet(p, &e->key);
	HASH_VALUE(&e->key, sizeof e->key, e->hashv);
	e->ts_us = ts_us;
	e->wirelen = p->wirelen;
	e->l4 = p->l4;
	e->tcp_flags = p->tcp_flags;
	e->has_tcp_flags = p->has_tcp_flags;
	e->has_dccp_type = p->has_dccp_type;
	e->has_sctp_chunk = p->has_sctp_chunk;
	e->sctp_chunk = p->sctp_chunk;
	e->dccp_type = p->dccp_type;
	e->has_service_code = p->has_service_code;
	e->service_code = p->service_code;
	e->payload_len = 0;
	if (t->cfg.evidence && p->payload_len && bytes) {
		size_t n = p->payload_len < PN_EVIDENCE_SNAP ? p->payload_len
							     : PN_EVIDENCE_SNAP;
		if (copy) {
			memcpy(e->payload, bytes + p->payload_off, n);
			e->payload_at = e->payload;
		} else {
			e->payload_at = bytes + p->payload_off;
		}
		e->payload_len = (uint16_t)n;
	}
}

/* The first payloads of each side, and a DCCP-Request's service code. */
/* Returns whether the packet was examined: whether what the verdict rests
 * on may have changed. */
static bool look(const struct pn_flow_table *t, struct pn_flow *f,
		 const struct event *p, int src)
{
	bool examined = false;
	if (p->payload_len && pn_evidence_wants(&f->ev, src)) {
		pn_evidence_observe(&f->ev, p->l4, src, f->server,
				    f->basis > PN_BASIS_REGISTRY, p->payload_at,
				    p->payload_len);
		examined = true;
	}
	if (p->l4 == PN_L4_DCCP && p->has_service_code && p->has_dccp_type &&
	    p->dccp_type == 0 /* Request */ && f->ev.code == PN_EV_CODE_NONE) {
		examined = true;
		f->ev.code = pn_evidence_service_code(t->reg, f->key.port[!src],
						      p->service_code);
		struct pn_evidence *kept = f->ev.kept;
		if (kept && kept->proto == PN_P_NONE) {
			char code[12];
			snprintf(kept->token, sizeof kept->token,
				 "service-code=%s",
				 pn_service_code_text(p->service_code, code));
		}
	}
	return examined;
}

static struct pn_flow *process(struct pn_flow_table *t, const struct event *p)
{
	const struct pn_flow_key k = p->key;
	int src = p->src;
	pn_time_us ts_us = p->ts_us;
	unsigned hashv = p->hashv;
	/* The clock follows capture time both ways: files given out of
	 * order and clock steps back move it back, and then nothing ends
	 * because of time that has not passed for it. Flows last seen
	 * "later" stay until the clock passes them again or the input
	 * ends. */
	t->now_us = ts_us;
	if (ts_us > t->high_us)
		t->high_us = ts_us;
	if (t->now_us >= t->next_sweep_us ||
	    pn_time_sub(t->next_sweep_us, t->now_us) > 1000000) {
		sweep(t);
		t->next_sweep_us = pn_time_add(t->now_us, 1000000);
	}

	struct pn_flow *f;
	HASH_FIND_BYHASHVALUE(hh, t->hash, &k, sizeof k, hashv, f);
	/* The sweep runs once a second of capture time: a flow found past
	 * its timeout ends here, so flow boundaries never depend on when
	 * other traffic happened to trigger a sweep. A SYN on a closed flow
	 * opens a new one. */
	if (f) {
		int64_t timeout = f->closing ? t->cfg.linger_us
					     : t->cfg.idle_us[f->key.transport];
		if ((f->seen_us <= ts_us &&
		     passed(ts_us, f->seen_us, timeout)) ||
		    (f->closing && opens(p))) {
			flow_end(t, f,
				 f->closing ? (enum pn_flow_end)f->closing
					    : PN_END_IDLE);
			f = NULL;
		}
	}
	if (!f) {
		if (t->counters.active >= t->cfg.max_flows)
			evict_one(t);
		f = flow_alloc(t);
		struct pn_evidence *kept = f->ev.kept;
		memset(f, 0, sizeof *f);
		f->ev.kept = kept;
		if (kept)
			memset(kept, 0, sizeof *kept);
		f->key = k;
		f->seen_us = ts_us; /* before it is queued */
		const struct pn_registry *reg = t->reg;
		f->slot[0] = reg->table[k.transport][k.port[0]];
		f->slot[1] = reg->table[k.transport][k.port[1]];
		/* A flow that opens with a SYN (INIT, Request) has its server
		 * from it: the registry is not asked for a guess the packet
		 * would overrule at once. */
		enum pn_basis basis = PN_BASIS_HANDSHAKE;
		int server = handshake_server(p, src);
		if (server < 0)
			server = pn_flow_guess_server(reg, k.transport, k.port,
						      &basis);
		/* Equal ports (NTP 123-123, NetBIOS 138-138): no port can
		 * tell, so the first sender is taken as the client. */
		if (basis != PN_BASIS_HANDSHAKE && k.port[0] == k.port[1]) {
			server = !src;
			basis = PN_BASIS_FIRST_PACKET;
		}
		set_server(t, f, server, basis);
		HASH_ADD_BYHASHVALUE(hh, t->hash, key, sizeof f->key, hashv, f);
		list_append(t, f, k.transport);
		t->counters.created++;
		if (++t->counters.active > t->counters.peak)
			t->counters.peak = t->counters.active;
		if (t->counters.active == HASH_INITIAL_NUM_BUCKETS)
			grow(t);
	}

	/* Times are kept as first and last, whatever order they came in;
	 * a side's times mean something once it has sent a packet. */
	if (!f->packets[src] || ts_us < f->first_us[src])
		f->first_us[src] = ts_us;
	if (!f->packets[src] || ts_us > f->last_us[src])
		f->last_us[src] = ts_us;
	if (ts_us > f->seen_us)
		f->seen_us = ts_us;
	f->packets[src]++;
	f->bytes[src] += p->wirelen;
	/* Requeue at most once per second of capture time (see requeue()). */
	if (pn_time_sub(ts_us, f->queued_us) > REQUEUE_US)
		requeue(t, f);
	if (p->l4 == PN_L4_TCP)
		f->tcp_flags[src] |= p->tcp_flags;
	if (f->basis != PN_BASIS_HANDSHAKE) {
		int server = handshake_server(p, src);
		if (server >= 0)
			set_server(t, f, server, PN_BASIS_HANDSHAKE);
	}
	if (t->cfg.evidence)
		t->examined = look(t, f, p, src);
	if (!f->closing) {
		note_close(f, p, src);
		if (f->closing) {
			list_unlink(t, f);
			list_append(t, f, LIST_CLOSING);
		}
	}
	return f;
}

struct pn_flow *pn_flow_packet(struct pn_flow_table *t,
			       const struct pn_packet *p, const uint8_t *bytes,
			       pn_time_us ts_us)
{
	pn_flow_drain(t);
	struct event e;
	make_event(t, p, bytes, ts_us, false, &e);
	return process(t, &e);
}

void pn_flow_push(struct pn_flow_table *t, const struct pn_packet *p,
		  const uint8_t *bytes, pn_time_us ts_us)
{
	if (t->pending_count == PIPELINE) {
		process(t, &t->pending[t->pending_head]);
		t->pending_head = (t->pending_head + 1) % PIPELINE;
		t->pending_count--;
	}
	struct event *e =
	    &t->pending[(t->pending_head + t->pending_count) % PIPELINE];
	make_event(t, p, bytes, ts_us, true, e);
	t->pending_count++;
	if (!t->hash)
		return;
	/* Memory, not arithmetic, is the cost of a lookup: one miss for the
	 * bucket, one for its first flow. Ask for both ahead of time. */
	__builtin_prefetch(bucket_of(t, e->hashv));
	if (t->pending_count > PIPELINE / 2) {
		const struct event *mid =
		    &t->pending[(t->pending_head + t->pending_count - 1 -
				 PIPELINE / 2) %
				PIPELINE];
		const UT_hash_handle *hh = bucket_of(t, mid->hashv)->hh_head;
		if (hh) {
			const char *flow =
			    (const char *)hh - t->hash->hh.tbl->hho;
			__builtin_prefetch(flow);
			__builtin_prefetch(flow + 64);
		}
	}
}

bool pn_flow_capture(void *table, const struct pn_capture_source *src,
		     const struct pcap_pkthdr *h, const uint8_t *bytes,
		     const struct pn_packet *p)
{
	(void)src;
	if (p->l4 != PN_L4_NONE)
		pn_flow_push(table, p, bytes, pn_time_from_timeval(&h->ts));
	return true;
}

void pn_flow_drain(struct pn_flow_table *t)
{
	while (t->pending_count) {
		process(t, &t->pending[t->pending_head]);
		t->pending_head = (t->pending_head + 1) % PIPELINE;
		t->pending_count--;
	}
}

void pn_flow_tick(struct pn_flow_table *t, pn_time_us now_us)
{
	pn_flow_drain(t);
	if (now_us > t->now_us)
		t->now_us = now_us;
	if (t->now_us >= t->next_sweep_us) {
		sweep(t);
		t->next_sweep_us = pn_time_add(t->now_us, 1000000);
	}
}

void pn_flow_foreach(struct pn_flow_table *t,
		     void (*fn)(void *ctx, const struct pn_flow *f), void *ctx)
{
	for (struct pn_flow *f = t->hash; f; f = f->hh.next) {
		fn(ctx, f);
		f->walked = true;
	}
}

void pn_flow_flush(struct pn_flow_table *t)
{
	pn_flow_drain(t);
	/* What the last sweep had not reached yet ends as it would have, at
	 * the latest time seen: input read out of time order ends as it
	 * would have read in order. */
	if (t->high_us > t->now_us)
		t->now_us = t->high_us;
	sweep(t);
	/* After a step back the lists are not in time order, so the sweep
	 * may stop early: each flow is judged on its own. */
	for (int l = 0; l < N_LISTS; l++)
		while (t->oldest[l]) {
			struct pn_flow *f = t->oldest[l];
			enum pn_flow_end why = PN_END_INPUT;
			if (passed(t->now_us, f->seen_us, list_timeout(t, l)))
				why = l == LIST_CLOSING
					  ? (enum pn_flow_end)f->closing
					  : PN_END_IDLE;
			else if (l == LIST_CLOSING)
				why = (enum pn_flow_end)f->closing;
			flow_end(t, f, why);
		}
	settle(t);
}

const struct pn_flow_counters *pn_flow_counters(const struct pn_flow_table *t)
{
	return &t->counters;
}

void pn_flow_table_destroy(struct pn_flow_table *t)
{
	if (!t)
		return;
	if (t->ended)
		ended_stop(t);
	HASH_CLEAR(hh, t->hash);
	while (t->slabs) {
		struct slab *s = t->slabs;
		t->slabs = s->next;
		free(s->tokens);
		free(s);
	}
	free(t);
}
