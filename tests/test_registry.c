/* test_registry.c — the registry parser and the rules of registry.h, on real
 * rows copied from the 2026 and 2014 registries (tests/fixtures/), and on
 * every kind of malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "portnote/registry.h"

static struct pn_registry *load_fixture(const char *name)
{
	char path[512], err[PN_ERRBUF_SIZE];
	snprintf(path, sizeof path, "%s/%s", PN_FIXTURES, name);
	struct pn_registry *reg = NULL;
	int rc = pn_registry_load(path, name, NULL, &reg, err);
	if (rc != 0)
		fail_msg("%s", err);
	return reg;
}

static int setup_quirks(void **state)
{
	*state = load_fixture("quirks-2026.csv");
	return 0;
}

static int teardown(void **state)
{
	pn_registry_free(*state);
	return 0;
}

/* The names in a slot, comma-joined, in slot order. */
static const char *names_at(const struct pn_registry *reg, enum pn_transport t,
			    uint16_t port)
{
	static char buf[256];
	const struct pn_slot *s = pn_registry_slot(reg, t, port);
	buf[0] = '\0';
	for (unsigned i = 0; i < s->count; i++) {
		const struct pn_entry *e = pn_slot_entry(reg, s, i);
		const char *n = e->kind == PN_KIND_SERVICE
				    ? pn_registry_str(reg, e->name)
				    : pn_kind_name(e->kind);
		strcat(buf, i ? "," : "");
		strcat(buf, n);
	}
	return buf;
}

static const struct pn_entry *only_entry(const struct pn_registry *reg,
					 enum pn_transport t, uint16_t port)
{
	const struct pn_slot *s = pn_registry_slot(reg, t, port);
	assert_int_equal(s->count, 1);
	return pn_slot_entry(reg, s, 0);
}

static void test_counts_and_date(void **state)
{
	const struct pn_registry *reg = *state;
	assert_int_equal(reg->counts.rows, 45);
	assert_int_equal(reg->counts.skipped, 0);
	assert_string_equal(reg->date, "2025-02-13");
	assert_string_equal(reg->source, "quirks-2026.csv");
	assert_int_equal(reg->counts.rows_by_transport[PN_SCTP], 3);
	assert_int_equal(reg->counts.rows_by_transport[PN_DCCP], 2);
	/* 81, active-net 3322-3325 and 4489-4499 name no transport. */
	assert_int_equal(reg->counts.rows_by_transport[PN_TRANSPORT_NONE], 3);
	assert_int_equal(reg->counts.name_only, 3);
}

static void test_port_range(void **state)
{
	const struct pn_registry *reg = *state;
	/* x11 6000-6063 covers every port in it and nothing beyond. */
	assert_string_equal(names_at(reg, PN_TCP, 6000), "x11");
	assert_string_equal(names_at(reg, PN_TCP, 6031), "x11");
	assert_string_equal(names_at(reg, PN_UDP, 6063), "x11");
	assert_string_equal(names_at(reg, PN_TCP, 5999), "");
	assert_string_equal(names_at(reg, PN_TCP, 6064), "");
	assert_string_equal(names_at(reg, PN_SCTP, 6000), "");
	const struct pn_entry *e = only_entry(reg, PN_TCP, 6010);
	assert_int_equal(e->port_lo, 6000);
	assert_int_equal(e->port_hi, 6063);
	assert_true(e->flags & PN_E_RANGE);
	assert_int_equal(e->line, 86);
}

static void test_empty_transport(void **state)
{
	const struct pn_registry *reg = *state;
	/* ",81,,Unassigned": tcp and udp, marked protocol unspecified. */
	for (int t = PN_TCP; t <= PN_UDP; t++) {
		const struct pn_slot *s = pn_registry_slot(reg, t, 81);
		assert_int_equal(s->count, 1);
		assert_true(s->flags & PN_S_UNASSIGNED);
		assert_true(s->flags & PN_S_PROTO_UNSPECIFIED);
		assert_false(s->flags & PN_S_SERVICE);
		const struct pn_entry *e = pn_slot_entry(reg, s, 0);
		assert_int_equal(e->transport, PN_TRANSPORT_NONE);
		assert_true(e->flags & PN_E_PROTO_UNSPECIFIED);
	}
	assert_int_equal(pn_registry_slot(reg, PN_SCTP, 81)->count, 0);
	assert_int_equal(pn_registry_slot(reg, PN_DCCP, 81)->count, 0);
	/* A named row without transport: active-net 3322-3325. */
	assert_string_equal(names_at(reg, PN_TCP, 3324), "active-net");
	assert_string_equal(names_at(reg, PN_UDP, 3322), "active-net");
	assert_true(pn_registry_slot(reg, PN_UDP, 3325)->flags &
		    PN_S_PROTO_UNSPECIFIED);
	assert_string_equal(names_at(reg, PN_DCCP, 3322), "");
}

static void test_names_without_port(void **state)
{
	const struct pn_registry *reg = *state;
	long i = pn_registry_find_name(reg, "x-plane9", 0);
	assert_true(i >= 0);
	const struct pn_entry *e = &reg->entries[i];
	assert_true(e->flags & PN_E_NO_PORT);
	assert_int_equal(e->transport, PN_UDP);
	/* Not in the table: no slot refers to it. */
	for (uint32_t k = 0; k < reg->n_lists; k++)
		assert_int_not_equal(reg->lists[k], (uint32_t)i);
	/* Name lookup ignores case (RFC 6335 section 5.1). */
	assert_int_equal(pn_registry_find_name(reg, "X-Plane9", 0), i);
	/* https has three ports and one port-less DNS-SD row. */
	int with_port = 0, without = 0;
	for (long j = pn_registry_find_name(reg, "https", 0); j >= 0;
	     j = pn_registry_find_name(reg, "https", (uint32_t)j + 1))
		(reg->entries[j].flags & PN_E_NO_PORT) ? without++
						       : with_port++;
	assert_int_equal(with_port, 3);
	assert_int_equal(without, 1);
	assert_int_equal(pn_registry_find_name(reg, "no-such-name", 0), -1);
}

static void test_reserved_unassigned_unnamed(void **state)
{
	const struct pn_registry *reg = *state;
	const struct pn_slot *s = pn_registry_slot(reg, PN_TCP, 0);
	assert_true(s->flags & PN_S_RESERVED);
	assert_false(s->flags & (PN_S_SERVICE | PN_S_UNASSIGNED));
	const struct pn_entry *e = only_entry(reg, PN_UDP, 0);
	assert_int_equal(e->kind, PN_KIND_RESERVED);
	assert_string_equal(pn_registry_str(reg, e->name), "");
	assert_int_equal(only_entry(reg, PN_TCP, 81)->kind, PN_KIND_UNASSIGNED);
	/* ",24,tcp,any private mail system": neither a service nor a status
	 * word, so kept as written. */
	e = only_entry(reg, PN_TCP, 24);
	assert_int_equal(e->kind, PN_KIND_UNNAMED);
	assert_string_equal(pn_registry_str(reg, e->description),
			    "any private mail system");
	assert_true(pn_registry_slot(reg, PN_TCP, 24)->flags & PN_S_UNNAMED);
	assert_int_equal(reg->counts.reserved, 6);
	assert_int_equal(reg->counts.unassigned, 2);
}

static void test_several_services(void **state)
{
	const struct pn_registry *reg = *state;
	assert_string_equal(names_at(reg, PN_TCP, 80), "http,www,www-http");
	assert_string_equal(names_at(reg, PN_SCTP, 80), "http");
	assert_string_equal(names_at(reg, PN_TCP, 465), "urd,submissions");
	assert_string_equal(names_at(reg, PN_UDP, 465), "igmpv3lite");
	assert_true(pn_registry_slot(reg, PN_TCP, 465)->flags & PN_S_MULTI);
	assert_false(pn_registry_slot(reg, PN_UDP, 465)->flags & PN_S_MULTI);
	assert_string_equal(names_at(reg, PN_SCTP, 443), "https");
	assert_string_equal(names_at(reg, PN_TCP, 4444), "krb524,nv-video");
	/* 80, 428 (with its alias), 465 and 4444. */
	assert_int_equal(reg->counts.multi_slots[PN_TCP], 4);
}

static void test_aliases_and_duplicates(void **state)
{
	const struct pn_registry *reg = *state;
	/* The well-formed name first, then the historic alias. */
	assert_string_equal(names_at(reg, PN_TCP, 428), "ocs-cmu,ocs_cmu");
	const struct pn_slot *s = pn_registry_slot(reg, PN_TCP, 428);
	assert_true(s->flags & PN_S_ALIAS);
	const struct pn_entry *alias = pn_slot_entry(reg, s, 1);
	assert_true(alias->flags & PN_E_ALIAS);
	assert_int_equal(alias->line, 66);
	assert_int_not_equal(alias->link, PN_NO_LINK);
	const struct pn_entry *target = &reg->entries[alias->link];
	assert_string_equal(pn_registry_str(reg, target->name), "ocs-cmu");
	assert_int_equal(target->transport, PN_TCP);
	assert_int_equal(target->line, 64);
	/* The description spanning two lines is kept whole. */
	assert_non_null(strstr(pn_registry_str(reg, target->description),
			       "OCS_CMU\nIANA assigned"));
	/* Duplicates link to the name they duplicate on the same transport. */
	s = pn_registry_slot(reg, PN_UDP, 80);
	const struct pn_entry *www = pn_slot_entry(reg, s, 1);
	assert_string_equal(pn_registry_str(reg, www->name), "www");
	assert_true(www->flags & PN_E_DUPLICATE);
	assert_false(www->flags & PN_E_ALIAS);
	assert_string_equal(pn_registry_str(reg, reg->entries[www->link].name),
			    "http");
	assert_int_equal(reg->entries[www->link].transport, PN_UDP);
	assert_int_equal(reg->counts.aliases, 2);
	assert_int_equal(reg->counts.duplicates, 4);
}

static void test_unauthorized_use(void **state)
{
	const struct pn_registry *reg = *state;
	/* x11 6000-6063 "on port 6003": that port only. */
	assert_true(pn_registry_slot(reg, PN_TCP, 6003)->flags &
		    PN_S_UNAUTHORIZED);
	assert_false(pn_registry_slot(reg, PN_TCP, 6002)->flags &
		     PN_S_UNAUTHORIZED);
	assert_false(pn_registry_slot(reg, PN_UDP, 6004)->flags &
		     PN_S_UNAUTHORIZED);
	assert_true(pn_registry_slot(reg, PN_UDP, 6003)->flags &
		    PN_S_UNAUTHORIZED);
	assert_true(only_entry(reg, PN_TCP, 6000)->flags &
		    PN_E_UNAUTHORIZED_PARTIAL);
	/* An Unassigned range naming two ports: "Ports 4490 and 4491". */
	assert_false(pn_registry_slot(reg, PN_TCP, 4489)->flags &
		     PN_S_UNAUTHORIZED);
	assert_true(pn_registry_slot(reg, PN_TCP, 4490)->flags &
		    PN_S_UNAUTHORIZED);
	assert_true(pn_registry_slot(reg, PN_UDP, 4491)->flags &
		    PN_S_UNAUTHORIZED);
	assert_false(pn_registry_slot(reg, PN_TCP, 4492)->flags &
		     PN_S_UNAUTHORIZED);
	/* Text naming no port of its own row flags the whole row:
	 * talon-engine 7012 "Known Unauthorized Use on 7011". */
	assert_true(pn_registry_slot(reg, PN_TCP, 7012)->flags &
		    PN_S_UNAUTHORIZED);
	/* "krb524 assigned the port, nv used it": a name's digits are not a
	 * port. */
	assert_true(pn_registry_slot(reg, PN_TCP, 4444)->flags &
		    PN_S_UNAUTHORIZED);
	assert_false(only_entry(reg, PN_UDP, 7012)->flags &
		     PN_E_UNAUTHORIZED_PARTIAL);
	assert_false(pn_registry_slot(reg, PN_TCP, 443)->flags &
		     PN_S_UNAUTHORIZED);
}

static void test_lifecycle_notes(void **state)
{
	const struct pn_registry *reg = *state;
	const struct pn_entry *e = only_entry(reg, PN_TCP, 2);
	assert_int_equal(e->kind, PN_KIND_RESERVED);
	assert_true(e->flags & PN_E_DEASSIGNED);
	assert_non_null(
	    strstr(pn_registry_str(reg, e->notes), "previously compressnet"));
	e = only_entry(reg, PN_UDP, 47);
	assert_true(e->flags & PN_E_REMOVED);
	assert_false(e->flags & PN_E_DEASSIGNED);
	assert_int_equal(reg->counts.lifecycle, 4);
}

static void test_service_codes(void **state)
{
	const struct pn_registry *reg = *state;
	char buf[12];
	const struct pn_entry *e = only_entry(reg, PN_DCCP, 9);
	assert_true(e->flags & PN_E_SERVICE_CODE);
	assert_int_equal(e->service_code, 1145656131u);
	assert_string_equal(pn_service_code_text(e->service_code, buf), "DISC");
	assert_false(only_entry(reg, PN_SCTP, 9)->flags & PN_E_SERVICE_CODE);
	/* A code on a row with no port. */
	long i = pn_registry_find_name(reg, "dccp-ping", 0);
	assert_true(i >= 0);
	assert_true(reg->entries[i].flags & PN_E_NO_PORT);
	assert_string_equal(
	    pn_service_code_text(reg->entries[i].service_code, buf), "ping");
	/* Codes that are not four printable characters print as numbers. */
	assert_string_equal(pn_service_code_text(7107696, buf), "7107696");
	assert_string_equal(pn_service_code_text(0, buf), "0");
	assert_int_equal(reg->counts.service_codes, 2);
}

static void test_port_classes(void **state)
{
	(void)state;
	assert_int_equal(pn_port_class(0), PN_CLASS_SYSTEM);
	assert_int_equal(pn_port_class(1023), PN_CLASS_SYSTEM);
	assert_int_equal(pn_port_class(1024), PN_CLASS_USER);
	assert_int_equal(pn_port_class(49151), PN_CLASS_USER);
	assert_int_equal(pn_port_class(49152), PN_CLASS_DYNAMIC);
	assert_int_equal(pn_port_class(65535), PN_CLASS_DYNAMIC);
	assert_string_equal(pn_port_class_name(PN_CLASS_USER), "user");
}

static void test_old_header(void **state)
{
	(void)state;
	/* The 2014 snapshot's header says "Known Unauthorized Uses". */
	struct pn_registry *reg = load_fixture("old-header-2014.csv");
	assert_int_equal(reg->counts.rows, 14);
	assert_string_equal(names_at(reg, PN_TCP, 465), "urd");
	assert_true(pn_registry_slot(reg, PN_TCP, 6003)->flags &
		    PN_S_UNAUTHORIZED);
	assert_false(pn_registry_slot(reg, PN_TCP, 6001)->flags &
		     PN_S_UNAUTHORIZED);
	assert_int_equal(only_entry(reg, PN_UDP, 6000)->line, 55);
	pn_registry_free(reg);
}

/* --- Malformed input ---------------------------------------------------- */

#define HEADER                                                                 \
	"Service Name,Port Number,Transport Protocol,Description,Assignee,"    \
	"Contact,Registration Date,Modification Date,Reference,Service Code,"  \
	"Unauthorized Use Reported,Assignment Notes\r\n"
#define GOOD "tcpmux,1,tcp,TCP Port Service Multiplexer,,,,,,,,\r\n"

static void expect_error(const char *csv, size_t len, const char *message)
{
	char err[PN_ERRBUF_SIZE];
	struct pn_registry *reg = (void *)1;
	int rc = pn_registry_load_buffer(csv, len, "bad.csv", NULL, &reg, err);
	if (rc == 0 || strstr(err, message) == NULL)
		fail_msg("expected error containing \"%s\", got rc %d \"%s\"",
			 message, rc, err);
	assert_null(reg);
}

#define EXPECT_ERROR(csv, message) expect_error(csv, sizeof csv - 1, message)

static void test_malformed_ports(void **state)
{
	(void)state;
	EXPECT_ERROR(HEADER GOOD "x,70000,tcp,X,,,,,,,,\r\n",
		     "bad.csv:3: bad port number '70000'");
	EXPECT_ERROR(HEADER "x,12-5,tcp,X,,,,,,,,\r\n",
		     "bad.csv:2: bad port number '12-5'");
	EXPECT_ERROR(HEADER "x,80a,tcp,X,,,,,,,,\r\n", "bad.csv:2: bad port");
	EXPECT_ERROR(HEADER "x,1-,tcp,X,,,,,,,,\r\n", "bad.csv:2: bad port");
	EXPECT_ERROR(HEADER "x,-1,tcp,X,,,,,,,,\r\n", "bad.csv:2: bad port");
	EXPECT_ERROR(HEADER "x,99999999999999999999,tcp,X,,,,,,,,\r\n",
		     "bad.csv:2: bad port");
}

static void test_malformed_fields(void **state)
{
	(void)state;
	EXPECT_ERROR(HEADER "x,1,tcpx,X,,,,,,,,\r\n",
		     "bad.csv:2: unknown transport protocol 'tcpx'");
	EXPECT_ERROR(HEADER GOOD ",,tcp,Reserved,,,,,,,,\r\n",
		     "bad.csv:3: row has neither a service name nor a port");
	EXPECT_ERROR(HEADER "x,9,dccp,X,,,,,,DISC,,\r\n",
		     "bad.csv:2: bad service code 'DISC'");
	EXPECT_ERROR(HEADER "x,9,dccp,X,,,,,,99999999999,,\r\n",
		     "bad.csv:2: bad service code");
	EXPECT_ERROR(HEADER "x,9,tcp,X,,,2014/07/09,,,,,\r\n",
		     "bad.csv:2: bad date '2014/07/09' in column "
		     "'Registration Date'");
	EXPECT_ERROR(HEADER GOOD "x,9,tcp,X,,,,,\r\n",
		     "bad.csv:3: expected 12 fields as in the header, found 9");
}

static void test_malformed_csv(void **state)
{
	(void)state;
	/* An unterminated quote runs to the end: the error names the line
	 * where its row starts. */
	EXPECT_ERROR(HEADER GOOD "x,2,tcp,\"Desc\r\nmore,,,,,,,,\r\n",
		     "bad.csv:3: malformed CSV: unterminated quoted field");
	EXPECT_ERROR(HEADER "x,2,tcp,De\"sc,,,,,,,,\r\n",
		     "bad.csv:2: malformed CSV: a quote inside an unquoted");
	EXPECT_ERROR(HEADER "x,2,tcp,\"Desc\"x,,,,,,,,\r\n",
		     "bad.csv:2: malformed CSV");
}

static void test_malformed_header(void **state)
{
	(void)state;
	EXPECT_ERROR("name,port\r\nx,1\r\n",
		     "bad.csv:1: not a registry CSV: the header has no "
		     "'Service Name' column");
	EXPECT_ERROR("Service Name,Transport Protocol,Description\r\nx,tcp,"
		     "X\r\n",
		     "bad.csv:1: not a registry CSV: the header has no 'Port "
		     "Number' column");
	EXPECT_ERROR("Service Name,Port Number,Port Number,Transport Protocol,"
		     "Description\r\n",
		     "bad.csv:1: not a registry CSV: column 'Port Number' "
		     "appears twice");
	EXPECT_ERROR("", "bad.csv:1: empty file");
	EXPECT_ERROR("\r\n\r\n", "bad.csv");
	EXPECT_ERROR(HEADER, "bad.csv:2: no records after the header");
}

static void test_binary_garbage(void **state)
{
	(void)state;
	static const char nul_in_row[] = HEADER "x,1,tcp,A\0B,,,,,,,,\r\n";
	expect_error(nul_in_row, sizeof nul_in_row - 1,
		     "bad.csv:2: binary data (byte 0x00) in field 4");
	EXPECT_ERROR(HEADER "x,1,tcp,A\xff\xfe,,,,,,,,\r\n",
		     "bad.csv:2: invalid UTF-8 (byte 0xff)");
	EXPECT_ERROR("\x7f"
		     "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0",
		     "bad.csv:1: not a registry CSV");

	/* Random bytes, and random damage to a real file, never crash and
	 * never load silently wrong: either a clean load or a message that
	 * names the file and a line. */
	char path[512];
	snprintf(path, sizeof path, "%s/quirks-2026.csv", PN_FIXTURES);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static char real[32768];
	size_t real_len = fread(real, 1, sizeof real, f);
	fclose(f);
	assert_true(real_len > 1000 && real_len < sizeof real);
	srand(20261123);
	char *buf = malloc(real_len);
	for (int round = 0; round < 400; round++) {
		size_t len = real_len;
		memcpy(buf, real, len);
		if (round % 2) {
			len = (size_t)rand() % 600;
			for (size_t i = 0; i < len; i++)
				buf[i] = (char)rand();
		} else {
			for (int k = 0; k < 1 + rand() % 8; k++)
				buf[(size_t)rand() % len] =
				    ",\"\r\n0-9xX\0"[rand() % 11];
			len -= (size_t)rand() % 200;
		}
		char err[PN_ERRBUF_SIZE];
		struct pn_registry *reg;
		if (pn_registry_load_buffer(buf, len, "fuzz.csv", NULL, &reg,
					    err) == 0) {
			assert_true(reg->counts.rows > 0);
			pn_registry_free(reg);
		} else {
			assert_true(strncmp(err, "fuzz.csv:", 9) == 0);
			assert_true(err[9] >= '1' && err[9] <= '9');
		}
	}
	free(buf);
}

/* A registry costs what its rows cover, so what it may cover is bounded:
 * 32,768 rows of 0-65535 on tcp+udp are 2^32 cells, which once wrapped the
 * builder's 32-bit counts and wrote past a 1-byte array. Refused at the row
 * that crosses the bound, with its line. */
static void test_cost_bounds(void **state)
{
	(void)state;
	static const char header[] = HEADER;
	size_t rows = 32768, len = sizeof header - 1 + rows * 40;
	char *csv = malloc(len), *p = csv;
	assert_non_null(csv);
	p += sprintf(p, "%s", header);
	for (size_t i = 0; i < rows; i++)
		p += sprintf(p, "s%zu,0-65535,,every port,,,,,,,,\r\n", i);
	expect_error(csv, (size_t)(p - csv), "bad.csv:34: the port ranges");

	/* 32 such rows (4,194,304 cells) are the most a file may cover. */
	p = csv + sizeof header - 1;
	for (size_t i = 0; i < 32; i++)
		p += sprintf(p, "s%zu,0-65535,,every port,,,,,,,,\r\n", i);
	char err[PN_ERRBUF_SIZE];
	struct pn_registry *reg;
	if (pn_registry_load_buffer(csv, (size_t)(p - csv), "ok.csv", NULL,
				    &reg, err) != 0)
		fail_msg("%s", err);
	assert_int_equal(pn_registry_slot(reg, PN_UDP, 65535)->count, 32);
	pn_registry_free(reg);
	free(csv);

	/* Rows: one past the bound, one port each. */
	rows = PN_REGISTRY_MAX_ROWS + 1;
	csv = malloc(sizeof header + rows * 32);
	assert_non_null(csv);
	p = csv + sprintf(csv, "%s", header);
	for (size_t i = 0; i < rows; i++)
		p += sprintf(p, "r%zu,%zu,tcp,x,,,,,,,,\r\n", i, i % 65536);
	expect_error(csv, (size_t)(p - csv),
		     "bad.csv:200002: more than 200000 rows");
	free(csv);
}

static void test_missing_file(void **state)
{
	(void)state;
	char err[PN_ERRBUF_SIZE];
	struct pn_registry *reg;
	assert_int_equal(pn_registry_load("/nonexistent/registry.csv", NULL,
					  NULL, &reg, err),
			 -1);
	assert_non_null(strstr(err, "/nonexistent/registry.csv: cannot open"));
}

static void test_lenient(void **state)
{
	(void)state;
	static const char csv[] = HEADER GOOD "x,70000,tcp,X,,,,,,,,\r\n"
					      "y,7,tcpx,Y,,,,,,,,\r\n"
					      "echo,7,tcp,Echo,,,,,,,,\r\n";
	char err[PN_ERRBUF_SIZE], *diag_text = NULL;
	size_t diag_len = 0;
	FILE *diag = open_memstream(&diag_text, &diag_len);
	struct pn_load_options opts = {true, diag};
	struct pn_registry *reg;
	assert_int_equal(pn_registry_load_buffer(csv, sizeof csv - 1, "l.csv",
						 &opts, &reg, err),
			 0);
	fclose(diag);
	assert_int_equal(reg->counts.rows, 2);
	assert_int_equal(reg->counts.skipped, 2);
	assert_string_equal(names_at(reg, PN_TCP, 7), "echo");
	assert_non_null(strstr(diag_text, "l.csv:3: bad port number '70000'"));
	assert_non_null(
	    strstr(diag_text, "l.csv:4: unknown transport protocol 'tcpx'"));
	free(diag_text);
	pn_registry_free(reg);
	/* Lenient or not, a file that is not a registry is refused. */
	assert_int_equal(pn_registry_load_buffer("a,b\r\n1,2\r\n", 10, "l.csv",
						 &opts, &reg, err),
			 -1);
}

static void test_blank_lines_and_bom(void **state)
{
	(void)state;
	static const char csv[] = "\xef\xbb\xbf" HEADER "\r\n" GOOD "\r\n"
				  "echo,7,tcp,Echo,,,,,,,,\n";
	char err[PN_ERRBUF_SIZE];
	struct pn_registry *reg;
	assert_int_equal(pn_registry_load_buffer(csv, sizeof csv - 1, "b.csv",
						 NULL, &reg, err),
			 0);
	assert_int_equal(reg->counts.rows, 2);
	assert_int_equal(only_entry(reg, PN_TCP, 1)->line, 3);
	assert_int_equal(only_entry(reg, PN_TCP, 7)->line, 5);
	pn_registry_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_counts_and_date, setup_quirks,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_port_range, setup_quirks,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_empty_transport, setup_quirks,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_names_without_port,
					    setup_quirks, teardown),
	    cmocka_unit_test_setup_teardown(test_reserved_unassigned_unnamed,
					    setup_quirks, teardown),
	    cmocka_unit_test_setup_teardown(test_several_services, setup_quirks,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_aliases_and_duplicates,
					    setup_quirks, teardown),
	    cmocka_unit_test_setup_teardown(test_unauthorized_use, setup_quirks,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_lifecycle_notes, setup_quirks,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_service_codes, setup_quirks,
					    teardown),
	    cmocka_unit_test(test_port_classes),
	    cmocka_unit_test(test_old_header),
	    cmocka_unit_test(test_malformed_ports),
	    cmocka_unit_test(test_malformed_fields),
	    cmocka_unit_test(test_malformed_csv),
	    cmocka_unit_test(test_malformed_header),
	    cmocka_unit_test(test_binary_garbage),
	    cmocka_unit_test(test_cost_bounds),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_lenient),
	    cmocka_unit_test(test_blank_lines_and_bom),
	};
	return cmocka_run_group_tests_name("registry", tests, NULL, NULL);
}
