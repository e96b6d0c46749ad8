/* cmd_flows.c — "portnote flows" (one record per flow as it ends) and
 * "portnote stats" (per-service statistics): both feed decoded packets to
 * the flow table and differ in what they do with each ended flow. */
#include "portnote/annotate.h"
#include "portnote/capture.h"
#include "portnote/cli.h"
#include "portnote/commands.h"
#include "portnote/flow.h"
#include "portnote/flowprint.h"
#include "portnote/ipfix.h"
#include "portnote/stats.h"
#include "portnote/summary.h"

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
	"                       ended early to make room (default 1000000)\n"  \
	"  --no-evidence        do not examine payloads (no verdicts)\n"

static const char flows_usage[] =
    "usage: portnote flows [options] -r FILE... | -i IFACE [EXPR]\n"
    "\n"
    "Prints one record per flow as it ends: its client and server side,\n"
    "on what evidence the server side was chosen (handshake, registry,\n"
    "first-packet, port-class, none), what the server port is registered\n"
    "for, packets and bytes each way, TCP flags, how it ended, and flags\n"
    "for reserved, unassigned, dynamic and unauthorized-use ports and for\n"
    "ambiguous pairs. A registered port does not prove what traffic is:\n"
    "each flow's first payloads (two per side) are judged by port-blind\n"
    "recognizers, and the verdict says whether they look like what the\n"
    "server port is registered for (agrees, differs, unverified,\n"
    "no-payload), what they looked like and what showed it.\n"
    "Several -r files are read in the time order of their first packets.\n"
    "\n" PN_CAPTURE_HELP FLOW_OPTIONS_HELP PN_IPFIX_HELP PN_COMMON_HELP "\n"
    "Exit status: 0; 1 if an input could not be read in full (when none\n"
    "could be read at all, the errors are all that is printed) or\n"
    "--ipfix-file could not be written; 2 on bad usage.\n";

static const char stats_usage[] =
    "usage: portnote stats [options] -r FILE... | -i IFACE [EXPR]\n"
    "\n"
    "Per-service statistics: flows grouped by what their server port is\n"
    "registered for on its transport, with packets and bytes each way,\n"
    "distinct clients and servers, first and last seen, the share of flows\n"
    "per server-side basis, flagged flows, and flows per payload verdict\n"
    "(agrees/differs/unverified/no-payload: whether the first payloads\n"
    "look like what the port is registered for), then the server ports\n"
    "whose payload differs. A registered port does not prove what traffic\n"
    "is.\n"
    "\n" PN_CAPTURE_HELP FLOW_OPTIONS_HELP "report:\n"
    "  --top N              show the N largest services (default 20; 0: "
    "all)\n"
    "  --sort KEY           bytes (default), packets or "
    "flows\n" PN_IPFIX_HELP PN_COMMON_HELP "\n"
    "Exit status: 0; 1 if an input could not be read in full (when none\n"
    "could be read at all, the errors are all that is printed) or\n"
    "--ipfix-file could not be written; 2 on bad usage.\n";

enum { OPT_NO_EVIDENCE = PN_OPT_FIRST_OWN };

struct own_options {
	struct pn_cli_capture capture;
	struct pn_flow_config flows;
	struct pn_ipfix_options ipfix;
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
	if (opt == OPT_NO_EVIDENCE) {
		o->flows.evidence = false;
		return 0;
	}
	int sort = (int)o->sort;
	int rc = pn_cli_ipfix_option(cli, &o->ipfix, opt, arg);
	if (rc == 0)
		rc = pn_cli_report_option(cli, opt, arg, &o->top, &sort);
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
	struct pn_ipfix *ipfix;		   /* --ipfix, --ipfix-file */
	FILE *out;
	struct pn_flow_batch *batch; /* JSON records read from files */
	bool evidence;		     /* payload verdicts examined and shown */
	bool header_done;
};

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
			"IANA registry snapshot %s (%s); a registered port "
			"does not prove what the traffic is\n",
			pn_registry_date_text(r->cli->reg),
			pn_safe(pn_registry_origin(r->cli->reg)));
	if (r->cli->format == PN_FORMAT_CSV)
		pn_flow_csv_header(r->out);
}

static void on_flow_end(void *ctx, const struct pn_flow *f)
{
	struct run *r = ctx;
	pn_ipfix_flow(r->ipfix, f);
	if (r->services) {
		pn_service_stats_add(r->services, f);
	} else {
		flows_header(r);
		if (r->batch)
			pn_flow_batch_json(r->batch, r->cli->reg, r->ann, f,
					   r->evidence);
		else
			pn_flow_print(r->out, r->cli->format, r->cli->reg,
				      r->ann, f, r->evidence);
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
	static const struct option longopts[] = {
	    PN_CAPTURE_LONGOPTS,
	    PN_FLOW_LONGOPTS,
	    PN_REPORT_LONGOPTS,
	    PN_IPFIX_LONGOPTS,
	    {"no-evidence", no_argument, NULL, OPT_NO_EVIDENCE},
	    {NULL, 0, NULL, 0}};
	const char *who = is_stats ? "portnote stats" : "portnote flows";
	struct own_options own = {
	    .top = 20, .is_stats = is_stats, .ipfix = {.pen = PN_IPFIX_PEN}};
	pn_cli_capture_init(&own.capture);
	pn_flow_config_init(&own.flows);
	const struct pn_cli_options opts = {longopts, PN_CAPTURE_SHORTOPTS,
					    take_option, &own};
	struct pn_cli cli = {.command = is_stats ? "stats" : "flows"};
	int rc = pn_cli_parse(&cli, argc, argv,
			      is_stats ? stats_usage : flows_usage, &opts);
	if (rc < 0)
		rc = pn_cli_capture_operands(&cli, &own.capture, argc, argv);
	if (rc < 0) {
		int bad = pn_cli_capture_check(&cli, &own.capture);
		if (bad)
			rc = bad;
	}
	if (rc < 0 && !pn_capture_check_filter(&own.capture.opts, who, stderr))
		rc = PN_EXIT_USAGE;
	if (rc < 0)
		rc = pn_cli_load_registry(&cli) ? PN_EXIT_FAIL : -1;
	if (rc < 0 && pn_cli_load_declarations(&cli))
		rc = PN_EXIT_USAGE;
	if (rc >= 0) {
		pn_cli_capture_release(&own.capture);
		return rc;
	}

	/* Read from files, JSON records go out in large writes of their own:
	 * nothing waits for each line. */
	bool batched = !is_stats && cli.format == PN_FORMAT_JSON &&
		       !own.capture.opts.iface;
	static char outbuf[1 << 16];
	/* Live output goes out line by line, for whatever reads it; batched
	 * records skip stdio's buffer, a copy of every byte. */
	if (batched)
		setvbuf(stdout, NULL, _IONBF, 0);
	else
		setvbuf(stdout, outbuf,
			own.capture.opts.iface ? _IOLBF : _IOFBF,
			sizeof outbuf);
	struct run r = {
	    .cli = &cli, .out = stdout, .evidence = own.flows.evidence};
	/* flows prints what showed each protocol; stats only counts. */
	own.flows.keep_tokens = !is_stats;
	/* Reading files, each ended flow is counted or printed on a thread
	 * of its own while packets go on (a scan ends a flow per packet);
	 * live, snapshots read the counts as flows end. */
	own.flows.end_thread = !own.capture.opts.iface;
	r.ann = pn_annotator_create(cli.reg);
	pn_annotator_declare(r.ann, cli.decl);
	if (is_stats)
		r.services =
		    pn_service_stats_create(cli.reg, r.ann, own.flows.evidence);
	if (!pn_cli_ipfix_open(&cli, &own.ipfix, r.ann, own.flows.evidence,
			       &r.ipfix)) {
		rc = PN_EXIT_FAIL;
		goto out;
	}
	if (batched) {
		r.batch = malloc(sizeof *r.batch);
		if (r.batch) {
			r.batch->out = r.out;
			r.batch->n = 0;
		}
	}
	r.table = pn_flow_table_create(&own.flows, cli.reg, on_flow_end, &r);
	struct pn_capture_stats stats;
	/* Flows spanning files stay whole only when time runs forward. */
	own.capture.opts.time_order = true;
	own.capture.opts.progress = pn_cli_progress(&cli, is_stats);
	enum pn_capture_result result =
	    pn_capture_run(&own.capture.opts, pn_flow_capture, NULL, r.table,
			   &stats, who, stderr);
	pn_flow_flush(r.table);
	if (r.batch)
		pn_flow_batch_flush(r.batch);
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
		struct pn_report_info info = {inputs,
					      own.capture.opts.files,
					      own.capture.opts.n_files,
					      own.capture.opts.iface,
					      cli.reg,
					      own.top,
					      own.sort,
					      fc};
		pn_service_stats_report(r.services, cli.format, r.out, &info);
	}
	if (cli.format == PN_FORMAT_JSON)
		pn_stats_summary_json(r.out, &stats);
	bool lost = pn_out_flush(r.out, PN_STDOUT_NAME, who) != 0;
	pn_stats_summary_text(stderr, who, &stats);
	pn_flow_summary_text(stderr, who, fc,
			     (unsigned long)own.flows.max_flows);

	rc = result == PN_CAPTURE_USAGE		? PN_EXIT_USAGE
	     : result == PN_CAPTURE_OK && !lost ? PN_EXIT_OK
						: PN_EXIT_FAIL;
	if (pn_cli_ipfix_close(&cli, r.ipfix, &own.ipfix) != 0 && !rc)
		rc = PN_EXIT_FAIL;
	r.ipfix = NULL;
out:
	pn_cli_ipfix_close(&cli, r.ipfix, &own.ipfix);
	pn_flow_table_destroy(r.table);
	pn_service_stats_destroy(r.services);
	pn_annotator_destroy(r.ann);
	free(r.batch);
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
