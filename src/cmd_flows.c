/* cmd_flows.c — "portnote flows" (one record per flow as it ends) and
 * "portnote stats" (per-service statistics): both feed decoded packets to
 * the flow table and differ in what they do with each ended flow. */
#include "portnote/annotate.h"
#include "portnote/capture.h"
#include "portnote/cli.h"
#include "portnote/commands.h"
#include "portnote/flow.h"
#include "portnote/stats.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define FLOW_OPTIONS_HELP                                                      \
	"flows:\n"                                                             \
	"  --idle-timeout S     end a flow after S seconds without packets; "  \
	"or per\n"                                                             \
	"                       transport: tcp=300,udp=60,sctp=300,dccp=300 "  \
	"(defaults)\n"                                                         \
	"  --max-flows N        keep at most N flows; the least recently "     \
	"seen one is\n"                                                        \
	"                       ended early to make room (default 1000000)\n"

static const char flows_usage[] =
    "usage: portnote flows [options] -r FILE... | -i IFACE\n"
    "\n"
    "Prints one record per flow as it ends: its client and server side,\n"
    "on what evidence the server side was chosen (handshake, registry,\n"
    "first-packet, port-class, none), what the server port is registered\n"
    "for, packets and bytes each way, TCP flags, how it ended, and flags\n"
    "for reserved, unassigned, dynamic and unauthorized-use ports and for\n"
    "ambiguous pairs. A registered port does not prove what traffic is.\n"
    "Several -r files are read in the time order of their first packets.\n"
    "\n" PN_CAPTURE_HELP FLOW_OPTIONS_HELP PN_COMMON_HELP "\n"
    "Exit status: 0; 1 if an input could not be read in full (when none\n"
    "could be read at all, the errors are all that is printed); 2 on bad\n"
    "usage.\n";

static const char stats_usage[] =
    "usage: portnote stats [options] -r FILE... | -i IFACE\n"
    "\n"
    "Per-service statistics: flows grouped by what their server port is\n"
    "registered for on its transport, with packets and bytes each way,\n"
    "distinct clients and servers, first and last seen, the share of flows\n"
    "per server-side basis, and flagged flows. A registered port does not\n"
    "prove what traffic is.\n"
    "\n" PN_CAPTURE_HELP FLOW_OPTIONS_HELP "report:\n"
    "  --top N              show the N largest services (default 20; 0: "
    "all)\n"
    "  --sort KEY           bytes (default), packets or flows\n" PN_COMMON_HELP
    "\n"
    "Exit status: 0; 1 if an input could not be read in full (when none\n"
    "could be read at all, the errors are all that is printed); 2 on bad\n"
    "usage.\n";

struct own_options {
	struct pn_cli_capture capture;
	struct pn_flow_config flows;
	unsigned top;
	enum pn_sort sort;
	bool is_stats;
};

static int take_option(struct pn_cli *cli, int opt, const char *arg, void *ctx)
{
	struct own_options *o = ctx;
	if ((opt == PN_OPT_TOP || opt == PN_OPT_SORT) && !o->is_stats)
		return pn_cli_usage_error(cli, "--top and --sort are options "
					       "of 'portnote stats'");
	int sort = (int)o->sort;
	int rc = pn_cli_report_option(cli, opt, arg, &o->top, &sort);
	o->sort = (enum pn_sort)sort;
	if (rc == 0)
		rc = pn_cli_flow_option(cli, &o->flows, opt, arg);
	if (rc == 0)
		rc = pn_cli_capture_option(cli, &o->capture, opt, arg);
	if (rc < 0)
		return PN_EXIT_USAGE;
	return rc == 1 ? 0 : pn_cli_usage_error(cli, "unhandled option");
}

struct run {
	struct pn_cli *cli;
	struct pn_annotator *ann;
	struct pn_flow_table *table;
	struct pn_service_stats *services; /* stats only */
	FILE *out;
	bool header_done;
};

static const char *const csv_header[] = {"transport",
					 "vlan",
					 "client",
					 "client_port",
					 "server",
					 "server_port",
					 "basis",
					 "service",
					 "server_port_class",
					 "server_port_status",
					 "services",
					 "flags",
					 "first",
					 "last",
					 "packets_c2s",
					 "bytes_c2s",
					 "packets_s2c",
					 "bytes_s2c",
					 "tcp_flags_c2s",
					 "tcp_flags_s2c",
					 "end"};
#define CSV_COLUMNS ((int)(sizeof csv_header / sizeof csv_header[0]))

/* The flow's PN_FF_* flags as names joined by sep. */
static const char *flags_text(uint16_t flags, const char *sep, bool quoted,
			      char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (unsigned b = 0; b < PN_FF_COUNT; b++)
		if (flags & (1u << b)) {
			int w =
			    snprintf(buf + n, size - n, "%s%s%s%s",
				     n ? sep : "", quoted ? "\"" : "",
				     pn_flow_flag_name(b), quoted ? "\"" : "");
			if (w < 0 || (size_t)w >= size - n)
				break;
			n += (size_t)w;
		}
	return buf;
}

void pn_flow_print(FILE *out, enum pn_format format,
		   const struct pn_registry *reg, struct pn_annotator *ann,
		   const struct pn_flow *f)
{
	int srv = f->server, cli = !srv;
	enum pn_transport t = (enum pn_transport)f->key.transport;
	char ca[INET6_ADDRSTRLEN], sa[INET6_ADDRSTRLEN],
	    first[PN_TIME_TEXT_SIZE], last[PN_TIME_TEXT_SIZE], service[512],
	    fc[12], fs[12], flags[160];
	pn_addr_text(f->key.addr[cli], f->key.ip_version, ca);
	pn_addr_text(f->key.addr[srv], f->key.ip_version, sa);
	pn_time_us first_us = pn_flow_first_us(f);
	pn_time_text(first_us, first);
	pn_time_text(f->seen_us, last);
	pn_flow_service(reg, ann, f, service, sizeof service);
	pn_tcp_flags_text(f->tcp_flags[cli], fc);
	pn_tcp_flags_text(f->tcp_flags[srv], fs);
	uint16_t sport = f->key.port[srv];
	const struct pn_port_words *w = pn_annotate(ann, t, sport);

	if (format == PN_FORMAT_TEXT) {
		char port[1024];
		pn_annotate_port(ann, t, sport, port, sizeof port);
		fprintf(out, "%s %.6fs %s %s.%u > %s.%u: %s (basis %s); ",
			first, (double)pn_time_sub(f->seen_us, first_us) / 1e6,
			pn_transport_name(t), ca, f->key.port[cli], sa, sport,
			port, pn_basis_name(f->basis));
		fprintf(out,
			"c>s %llu pkts %llu bytes, s>c %llu pkts %llu bytes",
			(unsigned long long)f->packets[cli],
			(unsigned long long)f->bytes[cli],
			(unsigned long long)f->packets[srv],
			(unsigned long long)f->bytes[srv]);
		if (t == PN_TCP)
			fprintf(out, "; tcp %s/%s", fc, fs);
		if (f->key.vlan)
			fprintf(out, "; vlan %u", f->key.vlan);
		fprintf(out, "; ended %s", pn_flow_end_name(f->end));
		if (f->flags)
			fprintf(out, "; flags %s",
				flags_text(f->flags, ",", false, flags,
					   sizeof flags));
		fputc('\n', out);
	} else if (format == PN_FORMAT_JSON) {
		fprintf(
		    out,
		    "{\"type\":\"flow\",\"transport\":\"%s\",\"vlan\":%u,"
		    "\"client\":\"%s\",\"client_port\":%u,\"server\":\"%s\","
		    "\"server_port\":%u,\"basis\":\"%s\",\"service\":\"",
		    pn_transport_name(t), f->key.vlan, ca, f->key.port[cli], sa,
		    sport, pn_basis_name(f->basis));
		pn_json_escape(out, service);
		fprintf(out,
			"\",\"server_port_class\":\"%s\","
			"\"server_port_status\":\"%s\",\"services\":%s,"
			"\"flags\":[%s],\"first\":\"%s\",\"last\":\"%s\","
			"\"packets_c2s\":%llu,\"bytes_c2s\":%llu,"
			"\"packets_s2c\":%llu,\"bytes_s2c\":%llu",
			pn_port_class_name(pn_port_class(sport)), w->status,
			w->names_json,
			flags_text(f->flags, ",", true, flags, sizeof flags),
			first, last, (unsigned long long)f->packets[cli],
			(unsigned long long)f->bytes[cli],
			(unsigned long long)f->packets[srv],
			(unsigned long long)f->bytes[srv]);
		if (t == PN_TCP)
			fprintf(out,
				",\"tcp_flags_c2s\":\"%s\","
				"\"tcp_flags_s2c\":\"%s\"",
				fc, fs);
		fprintf(out, ",\"end\":\"%s\"}\n", pn_flow_end_name(f->end));
	} else {
		char vlan[8], cp[8], spt[8], n[4][24];
		snprintf(vlan, sizeof vlan, "%u", f->key.vlan);
		snprintf(cp, sizeof cp, "%u", f->key.port[cli]);
		snprintf(spt, sizeof spt, "%u", sport);
		uint64_t nums[4] = {f->packets[cli], f->bytes[cli],
				    f->packets[srv], f->bytes[srv]};
		for (int i = 0; i < 4; i++)
			snprintf(n[i], sizeof n[i], "%llu",
				 (unsigned long long)nums[i]);
		const char *row[CSV_COLUMNS] = {
		    pn_transport_name(t),
		    f->key.vlan ? vlan : "",
		    ca,
		    cp,
		    sa,
		    spt,
		    pn_basis_name(f->basis),
		    service,
		    pn_port_class_name(pn_port_class(sport)),
		    w->status,
		    w->names_csv,
		    flags_text(f->flags, ";", false, flags, sizeof flags),
		    first,
		    last,
		    n[0],
		    n[1],
		    n[2],
		    n[3],
		    t == PN_TCP ? fc : "",
		    t == PN_TCP ? fs : "",
		    pn_flow_end_name(f->end)};
		pn_out_csv_row(out, row, CSV_COLUMNS);
	}
}

/* The header of `flows`, printed before the first flow (or at the end,
 * when none ended): a run that can read no input prints nothing. */
static void flows_header(struct run *r)
{
	if (r->header_done)
		return;
	r->header_done = true;
	if (r->cli->format == PN_FORMAT_TEXT)
		fprintf(r->out,
			"# portnote flows: server ports as registered in the "
			"IANA registry snapshot %s; a registered port does not "
			"prove what the traffic is\n",
			pn_registry_date_text(r->cli->reg));
	if (r->cli->format == PN_FORMAT_CSV)
		pn_out_csv_row(r->out, csv_header, CSV_COLUMNS);
}

static void on_flow_end(void *ctx, const struct pn_flow *f)
{
	struct run *r = ctx;
	if (r->services) {
		pn_service_stats_add(r->services, f);
	} else {
		flows_header(r);
		pn_flow_print(r->out, r->cli->format, r->cli->reg, r->ann, f);
		/* What follows would be lost too (a full disk, a reader
		 * gone). */
		if (pn_out_failed(r->out))
			pn_capture_stop();
	}
}

/* "a.pcap, b.pcap" or the interface, for the report header. */
static void inputs_text(const struct pn_capture_options *o, char *buf,
			size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	if (!o->n_files) {
		snprintf(buf, size, "interface %s", o->iface);
		return;
	}
	for (int i = 0; i < o->n_files; i++) {
		int w = snprintf(buf + n, size - n, "%s%s", i ? ", " : "",
				 o->files[i]);
		if (w < 0 || (size_t)w >= size - n)
			break;
		n += (size_t)w;
	}
}

static int run_command(int argc, char **argv, bool is_stats)
{
	static const struct option longopts[] = {PN_CAPTURE_LONGOPTS,
						 PN_FLOW_LONGOPTS,
						 PN_REPORT_LONGOPTS,
						 {NULL, 0, NULL, 0}};
	const char *who = is_stats ? "portnote stats" : "portnote flows";
	struct own_options own = {.top = 20, .is_stats = is_stats};
	pn_cli_capture_init(&own.capture);
	pn_flow_config_init(&own.flows);
	const struct pn_cli_options opts = {longopts, PN_CAPTURE_SHORTOPTS,
					    take_option, &own};
	struct pn_cli cli = {.command = is_stats ? "stats" : "flows"};
	int rc = pn_cli_parse(&cli, argc, argv,
			      is_stats ? stats_usage : flows_usage, &opts);
	if (rc < 0 && optind < argc)
		rc = pn_cli_usage_error(&cli, "unexpected argument '%s'",
					argv[optind]);
	if (rc < 0) {
		int bad = pn_cli_capture_check(&cli, &own.capture);
		if (bad)
			rc = bad;
	}
	if (rc < 0 && !pn_capture_check_filter(&own.capture.opts, who, stderr))
		rc = PN_EXIT_USAGE;
	if (rc < 0)
		rc = pn_cli_load_registry(&cli) ? PN_EXIT_FAIL : -1;
	if (rc >= 0) {
		pn_cli_capture_release(&own.capture);
		return rc;
	}

	static char outbuf[1 << 16];
	/* Live output goes out line by line, for whatever reads it. */
	setvbuf(stdout, outbuf, own.capture.opts.iface ? _IOLBF : _IOFBF,
		sizeof outbuf);
	struct run r = {.cli = &cli, .out = stdout};
	r.ann = pn_annotator_create(cli.reg);
	if (is_stats)
		r.services = pn_service_stats_create(cli.reg, r.ann);
	r.table = pn_flow_table_create(&own.flows, cli.reg, on_flow_end, &r);
	struct pn_capture_stats stats;
	/* Flows spanning files stay whole only when time runs forward. */
	own.capture.opts.time_order = true;
	enum pn_capture_result result =
	    pn_capture_run(&own.capture.opts, pn_flow_capture, NULL, r.table,
			   &stats, who, stderr);
	pn_flow_flush(r.table);
	const struct pn_flow_counters *fc = pn_flow_counters(r.table);
	if (stats.sources_read == 0 && result != PN_CAPTURE_USAGE) {
		/* No input could be read: the messages said why, and there
		 * is no report to give. */
		rc = PN_EXIT_FAIL;
		goto out;
	}
	if (!is_stats)
		flows_header(&r);
	if (is_stats) {
		char inputs[1024];
		inputs_text(&own.capture.opts, inputs, sizeof inputs);
		struct pn_report_info info = {inputs, cli.reg, own.top,
					      own.sort, fc};
		pn_service_stats_report(r.services, cli.format, r.out, &info);
	}
	if (cli.format == PN_FORMAT_JSON)
		pn_stats_summary_json(r.out, &stats);
	bool lost = pn_out_flush(r.out, PN_STDOUT_NAME, who) != 0;
	pn_stats_summary_text(stderr, who, &stats);
	fprintf(stderr,
		"%s: %llu flows (peak %llu at once): ended by fin %llu, rst "
		"%llu, idle %llu, evicted by --max-flows %llu, open at the "
		"end %llu\n",
		who, (unsigned long long)fc->created,
		(unsigned long long)fc->peak,
		(unsigned long long)fc->ended[PN_END_FIN],
		(unsigned long long)fc->ended[PN_END_RST],
		(unsigned long long)fc->ended[PN_END_IDLE],
		(unsigned long long)fc->ended[PN_END_EVICTED],
		(unsigned long long)fc->ended[PN_END_INPUT]);
	if (fc->ended[PN_END_EVICTED])
		fprintf(stderr,
			"%s: warning: --max-flows %lu was reached; raise it to "
			"keep flows whole\n",
			who, (unsigned long)own.flows.max_flows);

	rc = result == PN_CAPTURE_USAGE		? PN_EXIT_USAGE
	     : result == PN_CAPTURE_OK && !lost ? PN_EXIT_OK
						: PN_EXIT_FAIL;
out:
	pn_flow_table_destroy(r.table);
	pn_service_stats_destroy(r.services);
	pn_annotator_destroy(r.ann);
	pn_cli_release(&cli);
	pn_cli_capture_release(&own.capture);
	return rc;
}

int pn_cmd_flows(int argc, char **argv)
{
	return run_command(argc, argv, false);
}

int pn_cmd_stats(int argc, char **argv)
{
	return run_command(argc, argv, true);
}
