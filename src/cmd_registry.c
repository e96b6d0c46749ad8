/* cmd_registry.c — "portnote registry info|check|diff": the snapshot itself,
 * validating a registry CSV, and what changed between two snapshots. */
#include "portnote/cli.h"
#include "portnote/commands.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char usage[] =
    "usage: portnote registry info [options]\n"
    "       portnote registry check [options] FILE\n"
    "       portnote registry diff [options] OLD NEW\n"
    "\n"
    "info    the registry in use: source, snapshot date (the newest date in\n"
    "        the file), rows per transport, ranges, aliases, table size\n"
    "check   parse FILE as portnote would and report whether it is a valid\n"
    "        registry CSV (exit 1 if not; with --lenient, every bad row)\n"
    "diff    per port and transport, the services added, removed and\n"
    "        renamed between two registry CSVs; a port left without services\n"
    "        says what it is now (Reserved, Unassigned, not in the registry,\n"
    "        with any de-assignment note), one that had none what it was\n"
    "\n"
    "options:\n" PN_COMMON_HELP;

/* --- info -------------------------------------------------------------- */

static size_t table_bytes(const struct pn_registry *reg)
{
	return sizeof(uint16_t) * PN_TRANSPORT_COUNT * 65536 +
	       reg->n_slots * sizeof(struct pn_slot) +
	       reg->n_lists * sizeof(uint32_t) +
	       reg->n_entries * sizeof(struct pn_entry) + reg->pool_size;
}

struct info_item {
	const char *key;
	unsigned long value;
};

/* What `registry info` says of the installed snapshot besides the one in
 * use: whether there is one, and why it is not used. */
static const char *installed_text(const struct pn_cli *cli)
{
	static const char *const text[] = {
	    [PN_INSTALLED_NONE] = "none",
	    [PN_INSTALLED_USED] = "in use",
	    [PN_INSTALLED_OLDER] = "not used: not newer than the built-in "
				   "table",
	    [PN_INSTALLED_BROKEN] = "not used: could not be read (see the "
				    "warning)",
	};
	return text[cli->installed];
}

static void print_info(const struct pn_cli *cli, const struct pn_registry *reg,
		       bool builtin)
{
	/* Only `registry info` looks for the installed snapshot. */
	bool show_installed =
	    !cli->registry_path && !strcmp(cli->command, "registry info");
	const char *ipath = cli->installed_path ? cli->installed_path : "";
	bool is_check = !strcmp(cli->command, "registry check");
	const struct pn_registry_counts *c = &reg->counts;
	const struct info_item items[] = {
	    {"rows", c->rows},
	    {"rows_tcp", c->rows_by_transport[PN_TCP]},
	    {"rows_udp", c->rows_by_transport[PN_UDP]},
	    {"rows_sctp", c->rows_by_transport[PN_SCTP]},
	    {"rows_dccp", c->rows_by_transport[PN_DCCP]},
	    {"rows_no_transport", c->rows_by_transport[PN_TRANSPORT_NONE]},
	    {"service_rows", c->services},
	    {"service_names", c->names},
	    {"names_without_port", c->name_only},
	    {"reserved_rows", c->reserved},
	    {"unassigned_rows", c->unassigned},
	    {"unnamed_rows", c->unnamed},
	    {"range_rows", c->ranges},
	    {"historic_aliases", c->aliases},
	    {"duplicates", c->duplicates},
	    {"unauthorized_use_rows", c->unauthorized},
	    {"service_codes", c->service_codes},
	    {"lifecycle_notes", c->lifecycle},
	    {"multi_name_slots_tcp", c->multi_slots[PN_TCP]},
	    {"multi_name_slots_udp", c->multi_slots[PN_UDP]},
	    {"multi_name_slots_sctp", c->multi_slots[PN_SCTP]},
	    {"multi_name_slots_dccp", c->multi_slots[PN_DCCP]},
	    {"distinct_slots", reg->n_slots},
	    {"table_bytes", (unsigned long)table_bytes(reg)},
	    {"skipped_rows", c->skipped},
	};
	size_t n = sizeof items / sizeof items[0];
	if (cli->format == PN_FORMAT_JSON) {
		json_t *o = json_object();
		json_object_set_new(o, "source", json_string(reg->source));
		json_object_set_new(o, "built_in", json_boolean(builtin));
		if (is_check)
			json_object_set_new(o, "valid",
					    json_boolean(c->skipped == 0));
		if (show_installed)
			json_object_set_new(
			    o, "installed",
			    json_pack("{s:s, s:s, s:o}", "path", ipath, "state",
				      installed_text(cli), "snapshot_date",
				      cli->installed_date[0]
					  ? json_string(cli->installed_date)
					  : json_null()));
		json_object_set_new(o, "snapshot_date",
				    reg->date[0] ? json_string(reg->date)
						 : json_null());
		for (size_t i = 0; i < n; i++)
			json_object_set_new(
			    o, items[i].key,
			    json_integer((json_int_t)items[i].value));
		pn_out_json_line(stdout, o);
		return;
	}
	if (cli->format == PN_FORMAT_CSV) {
		const char *hdr[] = {"key", "value"};
		pn_out_csv_row(stdout, hdr, 2);
		const char *row[2] = {"source", reg->source};
		pn_out_csv_row(stdout, row, 2);
		row[0] = "built_in", row[1] = builtin ? "true" : "false";
		pn_out_csv_row(stdout, row, 2);
		if (is_check) {
			row[0] = "valid",
			row[1] = c->skipped ? "false" : "true";
			pn_out_csv_row(stdout, row, 2);
		}
		if (show_installed) {
			row[0] = "installed_path", row[1] = ipath;
			pn_out_csv_row(stdout, row, 2);
			row[0] = "installed_state",
			row[1] = installed_text(cli);
			pn_out_csv_row(stdout, row, 2);
			row[0] = "installed_date", row[1] = cli->installed_date;
			pn_out_csv_row(stdout, row, 2);
		}
		row[0] = "snapshot_date", row[1] = reg->date;
		pn_out_csv_row(stdout, row, 2);
		for (size_t i = 0; i < n; i++) {
			char v[24];
			snprintf(v, sizeof v, "%lu", items[i].value);
			row[0] = items[i].key, row[1] = v;
			pn_out_csv_row(stdout, row, 2);
		}
		return;
	}
	printf("registry          %s%s\n", pn_safe(reg->source),
	       builtin ? " (built in)"
	       : cli->installed == PN_INSTALLED_USED && show_installed
		   ? " (installed, newer than the built-in table)"
		   : "");
	if (show_installed && cli->installed != PN_INSTALLED_USED) {
		if (cli->installed == PN_INSTALLED_NONE && ipath[0])
			printf("installed         none at %s\n",
			       pn_safe(ipath));
		else if (cli->installed == PN_INSTALLED_NONE)
			printf("installed         not looked for "
			       "(PORTNOTE_REGISTRY_FILE is empty)\n");
		else
			printf("installed         %s dated %s: %s\n",
			       pn_safe(ipath),
			       cli->installed_date[0] ? cli->installed_date
						      : "unknown",
			       installed_text(cli));
	}
	if (reg->date[0])
		printf("snapshot date     %s (the newest date in the file)\n",
		       reg->date);
	else
		printf("snapshot date     unknown: the file has no dates\n");
	printf("rows              %lu: tcp %lu, udp %lu, sctp %lu, dccp %lu, "
	       "no transport %lu\n",
	       (unsigned long)c->rows,
	       (unsigned long)c->rows_by_transport[PN_TCP],
	       (unsigned long)c->rows_by_transport[PN_UDP],
	       (unsigned long)c->rows_by_transport[PN_SCTP],
	       (unsigned long)c->rows_by_transport[PN_DCCP],
	       (unsigned long)c->rows_by_transport[PN_TRANSPORT_NONE]);
	printf("services          %lu rows with a port, %lu distinct names; "
	       "%lu names without a port (DNS-SD)\n",
	       (unsigned long)c->services, (unsigned long)c->names,
	       (unsigned long)c->name_only);
	printf("not services      %lu reserved, %lu unassigned, %lu unnamed "
	       "rows\n",
	       (unsigned long)c->reserved, (unsigned long)c->unassigned,
	       (unsigned long)c->unnamed);
	printf("port ranges       %lu rows\n", (unsigned long)c->ranges);
	printf("aliases           %lu historic aliases, %lu duplicates\n",
	       (unsigned long)c->aliases, (unsigned long)c->duplicates);
	printf("unauthorized use  reported on %lu rows\n",
	       (unsigned long)c->unauthorized);
	printf("service codes     %lu (DCCP)\n",
	       (unsigned long)c->service_codes);
	printf("lifecycle notes   %lu rows (de-assigned, removed)\n",
	       (unsigned long)c->lifecycle);
	printf("several names     on %lu tcp, %lu udp, %lu sctp, %lu dccp "
	       "ports\n",
	       (unsigned long)c->multi_slots[PN_TCP],
	       (unsigned long)c->multi_slots[PN_UDP],
	       (unsigned long)c->multi_slots[PN_SCTP],
	       (unsigned long)c->multi_slots[PN_DCCP]);
	printf("table             4 x 65536 slot indices, %lu distinct slots, "
	       "%lu KiB in all\n",
	       (unsigned long)reg->n_slots,
	       (unsigned long)(table_bytes(reg) / 1024));
	if (c->skipped)
		printf("skipped rows      %lu (--lenient)\n",
		       (unsigned long)c->skipped);
}

/* --- diff -------------------------------------------------------------- */

/* The names of the services in a slot, in slot order, as one string with
 * single spaces; NULL entries are never produced. */
static size_t slot_names(const struct pn_registry *reg, const struct pn_slot *s,
			 const char *names[], size_t max)
{
	size_t n = 0;
	for (unsigned i = 0; i < s->count && n < max; i++) {
		const struct pn_entry *e = pn_slot_entry(reg, s, i);
		if (e->kind == PN_KIND_SERVICE)
			names[n++] = pn_registry_str(reg, e->name);
	}
	return n;
}

static bool has_name(const char *const names[], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(names[i], name) == 0)
			return true;
	return false;
}

#define MAX_NAMES 32

struct change {
	const char *kind; /* "added", "removed", "renamed" */
	int transport;
	uint32_t lo, hi;
	char old[512], new[512];
	/* A slot left without services: what it is now; a slot that had
	 * none: what it was. NULL status, "" text otherwise. */
	const char *now_status, *was_status;
	char now[512], was[512];
};

/* Copies s into buf[n..size), line breaks and runs of blanks as one
 * space; returns the new length. */
static size_t append_flat(char *buf, size_t size, size_t n, const char *s)
{
	bool space = false;
	for (; *s && n + 1 < size; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			space = true;
			continue;
		}
		if (space && n > 0 && n + 2 < size)
			buf[n++] = ' ';
		space = false;
		buf[n++] = *s;
	}
	buf[n] = '\0';
	return n;
}

/* What a slot with no named service is, for "removed ..., now X" and
 * "added ..., was X": Reserved, Unassigned, the text of an unnamed row
 * ("any private mail system"), or not in the registry at all; followed
 * by the row's de-assignment or removal note, when it has one. The short
 * status ("reserved", "unassigned", "unnamed", "not-in-registry") goes to
 * *status. */
static void slot_state(const struct pn_registry *reg, int t, uint16_t port,
		       char *buf, size_t size, const char **status)
{
	const struct pn_slot *s = pn_registry_slot(reg, t, port);
	const struct pn_entry *note = NULL, *unnamed = NULL;
	for (unsigned i = 0; i < s->count; i++) {
		const struct pn_entry *e = pn_slot_entry(reg, s, i);
		if (e->kind == PN_KIND_SERVICE)
			continue;
		if (!note && (e->flags & (PN_E_DEASSIGNED | PN_E_REMOVED)))
			note = e;
		if (!unnamed && e->kind == PN_KIND_UNNAMED)
			unnamed = e;
	}
	const char *word;
	if (s->flags & PN_S_RESERVED)
		*status = "reserved", word = "Reserved";
	else if (s->flags & PN_S_UNASSIGNED)
		*status = "unassigned", word = "Unassigned";
	else if (unnamed)
		*status = "unnamed",
		word = pn_registry_str(reg, unnamed->description);
	else
		*status = "not-in-registry", word = "not in the registry";
	size_t n = append_flat(buf, size, 0, word);
	if (!note)
		return;
	const char *text = pn_registry_str(reg, note->notes);
	if (!*text)
		text = pn_registry_str(reg, note->description);
	if (!*text || strcasecmp(text, word) == 0)
		return;
	n = append_flat(buf, size, n, " (");
	n = append_flat(buf, size, n, text);
	append_flat(buf, size, n, ")");
}

static void join_missing(char *buf, size_t size, const char *const a[],
			 size_t na, const char *const b[], size_t nb)
{
	/* Names in a that are not in b, joined with ';' as every CSV list
	 * is (text shows them with spaces). */
	buf[0] = '\0';
	size_t used = 0;
	for (size_t i = 0; i < na; i++) {
		if (has_name(b, nb, a[i]))
			continue;
		int w = snprintf(buf + used, size - used, "%s%s",
				 used ? ";" : "", a[i]);
		if (w < 0 || (size_t)w >= size - used)
			break;
		used += (size_t)w;
	}
}

/* A joined list as text shows it: names apart by spaces. */
static void spaced(char *dst, const char *joined)
{
	for (; (*dst = *joined == ';' ? ' ' : *joined); dst++, joined++)
		;
}

static void print_change(const struct pn_cli *cli, const struct change *c)
{
	char lo[12], hi[12];
	snprintf(lo, sizeof lo, "%lu", (unsigned long)c->lo);
	snprintf(hi, sizeof hi, "%lu", (unsigned long)c->hi);
	const char *tr = pn_transport_name(c->transport);
	if (cli->format == PN_FORMAT_JSON) {
		json_t *o = json_object();
		json_object_set_new(o, "change", json_string(c->kind));
		json_object_set_new(o, "transport", json_string(tr));
		json_object_set_new(o, "port", json_integer(c->lo));
		json_object_set_new(o, "port_end", json_integer(c->hi));
		json_t *old = json_array(), *new = json_array();
		/* Split the joined lists back into arrays. */
		for (int k = 0; k < 2; k++) {
			char tmp[512], *save = NULL;
			snprintf(tmp, sizeof tmp, "%s", k ? c->new : c->old);
			for (char *w = strtok_r(tmp, ";", &save); w;
			     w = strtok_r(NULL, ";", &save))
				json_array_append_new(k ? new : old,
						      json_string(w));
		}
		json_object_set_new(o, "old", old);
		json_object_set_new(o, "new", new);
		json_object_set_new(o, "was_status",
				    c->was_status ? json_string(c->was_status)
						  : json_null());
		json_object_set_new(o, "was",
				    c->was_status ? json_string(c->was)
						  : json_null());
		json_object_set_new(o, "now_status",
				    c->now_status ? json_string(c->now_status)
						  : json_null());
		json_object_set_new(o, "now",
				    c->now_status ? json_string(c->now)
						  : json_null());
		pn_out_json_line(stdout, o);
	} else if (cli->format == PN_FORMAT_CSV) {
		const char *row[] = {c->kind,
				     tr,
				     lo,
				     hi,
				     c->old,
				     c->new,
				     c->was_status ? c->was_status : "",
				     c->was,
				     c->now_status ? c->now_status : "",
				     c->now};
		pn_out_csv_row(stdout, row, 10);
	} else {
		char old[sizeof c->old], new[sizeof c->new], ports[32];
		spaced(old, c->old);
		spaced(new, c->new);
		if (c->lo == c->hi)
			snprintf(ports, sizeof ports, "%s/%s", lo, tr);
		else
			snprintf(ports, sizeof ports, "%s-%s/%s", lo, hi, tr);
		if (strcmp(c->kind, "renamed") == 0)
			printf("renamed  %-16s %s -> %s\n", ports, pn_safe(old),
			       pn_safe(new));
		else
			printf("%-8s %-16s %s%s%s%s%s\n", c->kind, ports,
			       pn_safe(*old ? old : new),
			       c->was_status ? ", was " : "", pn_safe(c->was),
			       c->now_status ? ", now " : "", pn_safe(c->now));
	}
}

static int diff(const struct pn_cli *cli, const struct pn_registry *a,
		const struct pn_registry *b)
{
	unsigned long totals[3] = {0, 0, 0};
	if (cli->format == PN_FORMAT_TEXT)
		printf("# registry diff: %s (%s) -> %s (%s)\n",
		       pn_safe(a->source), pn_registry_date_text(a),
		       pn_safe(b->source), pn_registry_date_text(b));
	if (cli->format == PN_FORMAT_CSV) {
		const char *hdr[] = {
		    "change", "transport",  "port", "port_end",	  "old",
		    "new",    "was_status", "was",  "now_status", "now"};
		pn_out_csv_row(stdout, hdr, 10);
	}
	for (int t = 0; t < PN_TRANSPORT_COUNT; t++) {
		struct change run = {0};
		bool open = false;
		for (uint32_t p = 0; p <= 65536; p++) {
			struct change c = {
			    .kind = NULL, .transport = t, .lo = p, .hi = p};
			if (p < 65536) {
				const char *on[MAX_NAMES], *nn[MAX_NAMES];
				size_t no = slot_names(
				    a, pn_registry_slot(a, t, (uint16_t)p), on,
				    MAX_NAMES);
				size_t nb = slot_names(
				    b, pn_registry_slot(b, t, (uint16_t)p), nn,
				    MAX_NAMES);
				join_missing(c.old, sizeof c.old, on, no, nn,
					     nb);
				join_missing(c.new, sizeof c.new, nn, nb, on,
					     no);
				if (*c.old && *c.new)
					c.kind = "renamed";
				else if (*c.old)
					c.kind = "removed";
				else if (*c.new)
					c.kind = "added";
				if (c.kind && !*c.new &&nb == 0)
					slot_state(b, t, (uint16_t)p, c.now,
						   sizeof c.now, &c.now_status);
				if (c.kind && !*c.old && no == 0)
					slot_state(a, t, (uint16_t)p, c.was,
						   sizeof c.was, &c.was_status);
			}
			/* Merge consecutive ports with the same change, as
			 * for a range row (x11 6000-6063). */
			if (open && c.kind && strcmp(c.kind, run.kind) == 0 &&
			    strcmp(c.old, run.old) == 0 &&
			    strcmp(c.new, run.new) == 0 &&
			    strcmp(c.now, run.now) == 0 &&
			    strcmp(c.was, run.was) == 0 && run.hi + 1 == p) {
				run.hi = p;
				continue;
			}
			if (open) {
				print_change(cli, &run);
				totals[run.kind[0] == 'a'   ? 0
				       : run.kind[2] == 'm' ? 1
							    : 2]++;
			}
			open = c.kind != NULL;
			if (open)
				run = c;
		}
	}
	if (cli->format == PN_FORMAT_TEXT)
		printf(
		    "# %lu added, %lu removed, %lu renamed (runs of ports)\n",
		    totals[0], totals[1], totals[2]);
	return PN_EXIT_OK;
}

/* --- dispatch ---------------------------------------------------------- */

/* The exit status once the output is out: 1 if a write was lost. */
static int stdout_done(const struct pn_cli *cli, int rc)
{
	char who[64];
	snprintf(who, sizeof who, "portnote %s", cli->command);
	return pn_out_flush(stdout, PN_STDOUT_NAME, who) ? PN_EXIT_FAIL : rc;
}

/* A file that cannot be loaded still gets its answer on stdout, in the
 * format asked for, so a script reading it sees "not valid" rather than
 * nothing; the reason went to stderr with its line, and is repeated. */
static void check_failed(const struct pn_cli *cli, const char *path)
{
	char err[PN_ERRBUF_SIZE];
	struct pn_load_options opts = {false, NULL};
	struct pn_registry *reg = NULL;
	if (pn_registry_load(path, path, &opts, &reg, err) == 0) {
		/* Loads strictly now: it failed only with --lenient's
		 * refusals, which were reported. */
		pn_registry_free(reg);
		snprintf(err, sizeof err, "%s: not loaded", path);
	}
	if (cli->format == PN_FORMAT_JSON) {
		json_t *o = json_pack("{s:s, s:b, s:s}", "source", path,
				      "valid", 0, "error", err);
		pn_out_json_line(stdout, o);
	} else if (cli->format == PN_FORMAT_CSV) {
		const char *rows[][2] = {{"key", "value"},
					 {"source", path},
					 {"valid", "false"},
					 {"error", err}};
		for (size_t i = 0; i < 4; i++)
			pn_out_csv_row(stdout, rows[i], 2);
	} else {
		printf("NOT VALID: %s\n", pn_safe(err));
	}
}

int pn_cmd_registry(int argc, char **argv)
{
	struct pn_cli cli = {.command = "registry"};
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? PN_EXIT_USAGE : PN_EXIT_OK;
	}
	const char *sub = argv[1];
	static const char *const commands[] = {
	    "registry info", "registry check", "registry diff"};
	int which = strcmp(sub, "info") == 0	? 0
		    : strcmp(sub, "check") == 0 ? 1
		    : strcmp(sub, "diff") == 0	? 2
						: -1;
	if (which < 0)
		return pn_cli_usage_error(&cli, "unknown subcommand '%s'", sub);
	cli.command = commands[which];
	argc--, argv++;
	int rc = pn_cli_parse(&cli, argc, argv, usage, NULL);
	if (rc >= 0)
		return rc;
	int nargs = argc - optind;
	static const int wanted[] = {0, 1, 2};
	if (nargs != wanted[which])
		return pn_cli_usage_error(
		    &cli, "expected %d file argument%s, got %d", wanted[which],
		    wanted[which] == 1 ? "" : "s", nargs);

	if (which == 0) {
		if ((rc = pn_cli_load_registry(&cli)))
			return rc;
		print_info(&cli, cli.reg, !cli.reg->owned);
		pn_cli_release(&cli);
		return stdout_done(&cli, PN_EXIT_OK);
	}
	if (which == 1) {
		struct pn_registry *reg;
		if ((rc = pn_cli_load_file(&cli, argv[optind], &reg))) {
			check_failed(&cli, argv[optind]);
			return stdout_done(&cli, rc);
		}
		print_info(&cli, reg, false);
		rc = reg->counts.skipped ? PN_EXIT_FAIL : PN_EXIT_OK;
		if (cli.format == PN_FORMAT_TEXT)
			printf("%s\n",
			       rc ? "NOT VALID: rows were skipped" : "valid");
		pn_registry_free(reg);
		return stdout_done(&cli, rc);
	}
	struct pn_registry *a, *b;
	if ((rc = pn_cli_load_file(&cli, argv[optind], &a)))
		return rc;
	if ((rc = pn_cli_load_file(&cli, argv[optind + 1], &b))) {
		pn_registry_free(a);
		return rc;
	}
	rc = diff(&cli, a, b);
	pn_registry_free(a);
	pn_registry_free(b);
	return stdout_done(&cli, rc);
}
