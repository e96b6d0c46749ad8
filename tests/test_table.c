/* test_table.c — the generated table against a slow reference: for all
 * 4 x 65536 slots, a linear scan over the parsed rows must find the same
 * entries, in the same order, with the same slot flags. Also checks that a
 * registry loaded at run time has the same layout as the built-in one, and
 * the 2026 registry beside the project when it is there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "portnote/registry.h"

/* The reference rules, written out again plainly from registry.h: a row
 * covers (t, port) if its port range holds the port and its transport is t,
 * or it names none and t is tcp or udp. Aliases sort after the rest. */
static bool ref_covers(const struct pn_entry *e, int t, uint32_t port)
{
	if (e->flags & PN_E_NO_PORT)
		return false;
	if (port < e->port_lo || port > e->port_hi)
		return false;
	if (e->transport == PN_TRANSPORT_NONE)
		return t == PN_TCP || t == PN_UDP;
	return e->transport == t;
}

static uint16_t ref_flags(const struct pn_registry *rows, const uint32_t *idx,
			  uint32_t n, uint16_t port)
{
	uint16_t flags = 0;
	unsigned services = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct pn_entry *e = &rows->entries[idx[i]];
		if (e->kind == PN_KIND_SERVICE)
			flags |= PN_S_SERVICE, services++;
		if (e->kind == PN_KIND_RESERVED)
			flags |= PN_S_RESERVED;
		if (e->kind == PN_KIND_UNASSIGNED)
			flags |= PN_S_UNASSIGNED;
		if (e->kind == PN_KIND_UNNAMED)
			flags |= PN_S_UNNAMED;
		if (e->flags & PN_E_PROTO_UNSPECIFIED)
			flags |= PN_S_PROTO_UNSPECIFIED;
		if (e->flags & PN_E_ALIAS)
			flags |= PN_S_ALIAS;
		if (pn_entry_unauthorized_at(rows, e, port))
			flags |= PN_S_UNAUTHORIZED;
	}
	if (services > 1)
		flags |= PN_S_MULTI;
	return flags;
}

/* Compares every slot of `table` with what the rows say (same CSV, so the
 * same entry indices). The expectation is built the slow, obvious way: walk
 * the rows in order and push each onto every (transport, port) it covers,
 * then move aliases to the back. Returns the number of slots with entries. */
static unsigned long compare_all_slots(const struct pn_registry *table,
				       const struct pn_registry *rows)
{
	assert_int_equal(table->n_entries, rows->n_entries);
	size_t cells = (size_t)PN_TRANSPORT_COUNT * 65536;
	uint32_t **want = calloc(cells, sizeof *want);
	uint32_t *count = calloc(cells, sizeof *count);
	for (uint32_t i = 0; i < rows->n_entries; i++)
		for (int t = 0; t < PN_TRANSPORT_COUNT; t++)
			for (uint32_t p = rows->entries[i].port_lo;
			     p <= rows->entries[i].port_hi; p++) {
				if (!ref_covers(&rows->entries[i], t, p))
					continue;
				size_t c = (size_t)t * 65536 + p;
				want[c] = realloc(want[c], (count[c] + 1) *
							       sizeof **want);
				want[c][count[c]++] = i;
			}
	unsigned long filled = 0;
	uint32_t ordered[256];
	for (int t = 0; t < PN_TRANSPORT_COUNT; t++) {
		for (uint32_t p = 0; p < 65536; p++) {
			size_t c = (size_t)t * 65536 + p;
			uint32_t n = 0;
			assert_true(count[c] <= 256);
			for (int alias = 0; alias < 2; alias++)
				for (uint32_t k = 0; k < count[c]; k++)
					if (!!(rows->entries[want[c][k]].flags &
					       PN_E_ALIAS) == alias)
						ordered[n++] = want[c][k];
			const struct pn_slot *s =
			    pn_registry_slot(table, t, (uint16_t)p);
			if (s->count != n)
				fail_msg("%u/%s: %u entries in the table, %u "
					 "by scan",
					 p, pn_transport_name(t), s->count, n);
			for (uint32_t i = 0; i < n; i++)
				if (table->lists[s->first + i] != ordered[i])
					fail_msg("%u/%s: entry %u differs", p,
						 pn_transport_name(t), i);
			uint16_t flags =
			    ref_flags(rows, ordered, n, (uint16_t)p);
			if (s->flags != flags)
				fail_msg("%u/%s: flags 0x%x, scan says 0x%x", p,
					 pn_transport_name(t), s->flags, flags);
			filled += n > 0;
			free(want[c]);
		}
	}
	free(want);
	free(count);
	return filled;
}

static struct pn_registry *load(const char *path)
{
	char err[PN_ERRBUF_SIZE];
	struct pn_registry *reg;
	if (pn_registry_load(path, NULL, NULL, &reg, err) != 0)
		fail_msg("%s", err);
	return reg;
}

static void test_builtin_matches_scan(void **state)
{
	(void)state;
	const struct pn_registry *builtin = pn_registry_builtin();
	struct pn_registry *rows = load(PN_SNAPSHOT);
	unsigned long filled = compare_all_slots(builtin, rows);
	/* The 2014 snapshot fills most of tcp and udp below 49152. */
	assert_true(filled > 90000);
	/* The same rows, field by field. */
	for (uint32_t i = 0; i < rows->n_entries; i++) {
		const struct pn_entry *a = &builtin->entries[i],
				      *b = &rows->entries[i];
		assert_int_equal(a->line, b->line);
		assert_int_equal(a->port_lo, b->port_lo);
		assert_int_equal(a->port_hi, b->port_hi);
		assert_int_equal(a->flags, b->flags);
		assert_int_equal(a->kind, b->kind);
		assert_int_equal(a->transport, b->transport);
		assert_int_equal(a->link, b->link);
		assert_string_equal(pn_registry_str(builtin, a->name),
				    pn_registry_str(rows, b->name));
		assert_string_equal(pn_registry_str(builtin, a->notes),
				    pn_registry_str(rows, b->notes));
		assert_string_equal(pn_registry_str(builtin, a->description),
				    pn_registry_str(rows, b->description));
	}
	assert_string_equal(builtin->date, rows->date);
	assert_memory_equal(&builtin->counts, &rows->counts,
			    sizeof builtin->counts);
	assert_int_equal(builtin->n_slots, rows->n_slots);
	pn_registry_free(rows);
}

static void test_builtin_spot_checks(void **state)
{
	(void)state;
	const struct pn_registry *reg = pn_registry_builtin();
	assert_string_equal(reg->date, "2014-07-09");
	const struct pn_slot *s = pn_registry_slot(reg, PN_TCP, 80);
	assert_int_equal(s->count, 3);
	assert_string_equal(
	    pn_registry_str(reg, pn_slot_entry(reg, s, 0)->name), "http");
	s = pn_registry_slot(reg, PN_TCP, 465);
	assert_int_equal(s->count, 1);
	assert_string_equal(
	    pn_registry_str(reg, pn_slot_entry(reg, s, 0)->name), "urd");
	assert_int_equal(pn_registry_slot(reg, PN_TCP, 50000)->count, 0);
	assert_int_equal(pn_registry_slot(reg, PN_TCP, 50000)->flags, 0);
	assert_false(reg->owned);
	pn_registry_free((struct pn_registry *)reg); /* no effect */
	assert_int_equal(pn_registry_slot(reg, PN_UDP, 53)->flags &
			     PN_S_SERVICE,
			 PN_S_SERVICE);
}

static void test_registry_2026(void **state)
{
	(void)state;
	if (access(PN_SHARED_REGISTRY, R_OK) != 0)
		skip();
	struct pn_registry *rows = load(PN_SHARED_REGISTRY);
	assert_string_equal(rows->date, "2026-02-13");
	compare_all_slots(rows, rows);
	const struct pn_slot *s = pn_registry_slot(rows, PN_TCP, 465);
	assert_int_equal(s->count, 2);
	assert_string_equal(
	    pn_registry_str(rows, pn_slot_entry(rows, s, 0)->name), "urd");
	assert_string_equal(
	    pn_registry_str(rows, pn_slot_entry(rows, s, 1)->name),
	    "submissions");
	s = pn_registry_slot(rows, PN_SCTP, 443);
	assert_int_equal(s->count, 1);
	assert_string_equal(
	    pn_registry_str(rows, pn_slot_entry(rows, s, 0)->name), "https");
	assert_int_equal(rows->counts.rows, 14499);
	pn_registry_free(rows);
}

static void test_age(void **state)
{
	(void)state;
	const struct pn_registry *reg = pn_registry_builtin();
	/* 2014-07-09 is day 16260 since the epoch. */
	assert_int_equal(pn_registry_age_days(reg, 16260LL * 86400), 0);
	assert_int_equal(
	    pn_registry_age_days(reg, 16260LL * 86400 + 730 * 86400), 730);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builtin_matches_scan),
	    cmocka_unit_test(test_builtin_spot_checks),
	    cmocka_unit_test(test_registry_2026),
	    cmocka_unit_test(test_age),
	};
	return cmocka_run_group_tests_name("table", tests, NULL, NULL);
}
