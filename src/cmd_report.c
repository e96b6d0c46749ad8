/* cmd_report.c — "portnote report": what `portnote stats` computes, as
 * one self-contained HTML page (report.h) written to -o FILE. The flow
 * table and the statistics are the ones `stats` uses; the statistics also
 * keep bytes over time per service, at flow granularity. */
#include "portnote/annotate.h"
#include "portnote/capture.h"
#include "portnote/cli.h"
#include "portnote/commands.h"
#include "portnote/flow.h"
#include "portnote/outfile.h"
#include "portnote/report.h"
#include "portnote/stats.h"
#include "portnote/summary.h"

#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: portnote report -r FILE... -o REPORT.html [options]\n"
    "\n"
    "Writes one self-contained HTML page (inline CSS and SVG; no script,\n"
    "nothing loaded from elsewhere, so it opens offline) of what\n"
    "'portnote stats' computes: the inputs and the registry snapshot,\n"
    "totals, bytes each way and flows per service, bytes per second over\n"
    "time for the largest services, the share of flows per server-side\n"
    "basis, registry flags, payload verdicts per service and the server\n"
    "ports whose payload differs from the registration, and decode\n"
    "anomalies. Every chart carries its numbers as text too. A registered\n"
    "port does not prove what traffic is.\n"
    "\n"
    "input:\n"
    "  -r, --read FILE      a pcap or pcapng file; repeat for several, read "
    "in the\n"
    "                       time order of their first packets; '-' reads "
    "standard\n"
    "                       input\n"
    "  -f, --filter EXPR    only packets matching the BPF expression "
    "(pcap-filter(7))\n"
    "  -c, --count N        stop after N packets\n"
    "  --declare FILE       what this site runs on purpose, one port per "
    "line:\n"
    "                       '2222/tcp ssh' ('#' comments); a declared port "
    "is\n"
    "                       judged against it, not the registry\n"
    "output:\n"
    "  -o, --output FILE    the page (required; '-': standard output), "
    "written as\n"
    "                       FILE.XXXXXX and renamed to FILE once complete\n"
    "  --top N              the N largest services by bytes (default 20; "
    "0: all);\n"
    "                       the timeline draws the largest 8 of them\n"
    "flows:\n"
    "  --idle-timeout S     end a flow after S seconds without packets; or "
    "per\n"
    "                       transport: tcp=300,udp=60,sctp=300,dccp=300 "
    "(defaults)\n"
    "  --max-flows N        keep at most N flows; the least recently seen "
    "one is\n"
    "                       ended early to make room (default 1000000)\n"
    "  --no-evidence        do not examine payloads (no verdicts)\n"
    "registry:\n"
    "  --registry FILE      use this registry CSV instead of the installed "
    "or\n"
    "                       built-in snapshot\n"
    "  --lenient            skip malformed registry rows (each reported) "
    "instead\n"
    "                       of failing\n"
    "\n"
    "  --quiet              no notices and no progress line on stderr\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0; 1 if an input could not be read in full (when none\n"
    "could be read at all, the errors are all that is printed and no page\n"
    "is written) or the page could not be written; 2 on bad usage.\n";

enum { OPT_NO_EVIDENCE = PN_OPT_FIRST_OWN };

struct own_options {
	struct pn_cli_capture capture;
	struct pn_flow_config flows;
	const char *output;
	unsigned top;
};

static int take_option(struct pn_cli *cli, int opt, const char *arg, void *ctx)
{
	struct own_options *o = ctx;
	if (opt == 'o') {
		o->output = arg;
		return 0;
	}
	if (opt == OPT_NO_EVIDENCE) {
		o->flows.evidence = false;
		return 0;
	}
	int sort = PN_SORT_BYTES;
	int rc = pn_cli_report_option(cli, opt, arg, &o->top, &sort);
	if (rc == 0)
		rc = pn_cli_flow_option(cli, &o->flows, opt, arg);
	if (rc == 0)
		rc = pn_cli_capture_option(cli, &o->capture, opt, arg);
	if (rc < 0)
		return PN_EXIT_USAGE;
	return rc == 1 ? 0 : pn_cli_usage_error(cli, "unhandled option");
}

/* Bad usage, found before anything is read or written: an exit code, or
 * -1 to go on. */
static int check_usage(struct pn_cli *cli, struct own_options *own, int argc,
		       char **argv)
{
	const struct pn_capture_options *c = &own->capture.opts;
	if (optind < argc)
		return pn_cli_usage_error(cli, "unexpected argument '%s'",
					  argv[optind]);
	if (!c->n_files)
		return pn_cli_usage_error(cli, "no input: give -r FILE");
	if (!own->output)
		return pn_cli_usage_error(cli, "no output: give -o FILE ('-' "
					       "for standard output)");
	if (!own->output[0])
		return pn_cli_usage_error(cli, "-o needs a file name");
	if (cli->format != PN_FORMAT_TEXT)
		return pn_cli_usage_error(cli, "the report is HTML; --format "
					       "is not one of its options");
	if (strcmp(own->output, "-") == 0 && isatty(STDOUT_FILENO))
		return pn_cli_usage_error(cli, "-o -: standard output is a "
					       "terminal; redirect it to a "
					       "file");
	/* -o onto an input would destroy it. */
	const char *input = pn_outfile_input(own->output, c->files, c->n_files);
	if (input) {
		fprintf(stderr,
			"portnote report: -o %s: is also an input (-r %s); "
			"refusing to overwrite it\n",
			pn_safe(own->output), pn_safe(input));
		return PN_EXIT_USAGE;
	}
	return -1;
}

static void on_flow_end(void *ctx, const struct pn_flow *f)
{
	pn_service_stats_add(ctx, f);
}

int pn_cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"read", required_argument, NULL, 'r'},
	    {"filter", required_argument, NULL, 'f'},
	    {"count", required_argument, NULL, 'c'},
	    {"declare", required_argument, NULL, PN_OPT_DECLARE},
	    {"output", required_argument, NULL, 'o'},
	    {"top", required_argument, NULL, PN_OPT_TOP},
	    PN_FLOW_LONGOPTS,
	    {"no-evidence", no_argument, NULL, OPT_NO_EVIDENCE},
	    {NULL, 0, NULL, 0}};
	const char *who = "portnote report";
	struct own_options own = {.top = 20};
	pn_cli_capture_init(&own.capture);
	pn_flow_config_init(&own.flows);
	const struct pn_cli_options opts = {longopts, "r:f:c:o:", take_option,
					    &own};
	struct pn_cli cli = {.command = "report"};
	int rc = pn_cli_parse(&cli, argc, argv, usage, &opts);
	if (rc < 0)
		rc = check_usage(&cli, &own, argc, argv);
	if (rc < 0 && !pn_capture_check_filter(&own.capture.opts, who, stderr))
		rc = PN_EXIT_USAGE;
	if (rc < 0)
		rc = pn_cli_load_registry(&cli) ? PN_EXIT_FAIL : -1;
	if (rc < 0 && pn_cli_load_declarations(&cli))
		rc = PN_EXIT_USAGE;
	if (rc >= 0) {
		pn_cli_release(&cli);
		pn_cli_capture_release(&own.capture);
		return rc;
	}

	/* The page's file is created first: a directory it cannot be
	 * written to is said before the inputs are read. */
	bool to_stdout = strcmp(own.output, "-") == 0;
	struct pn_outfile of = {0};
	char err[256];
	if (!to_stdout && !pn_outfile_open(&of, own.output, err)) {
		fprintf(stderr, "%s: -o %s\n", who, pn_safe(err));
		pn_cli_release(&cli);
		pn_cli_capture_release(&own.capture);
		return PN_EXIT_FAIL;
	}
	static char outbuf[1 << 16];
	FILE *out = to_stdout ? stdout : of.f;
	setvbuf(out, outbuf, _IOFBF, sizeof outbuf);

	struct pn_annotator *ann = pn_annotator_create(cli.reg);
	pn_annotator_declare(ann, cli.decl);
	struct pn_service_stats *services =
	    pn_service_stats_create(cli.reg, ann, own.flows.evidence);
	pn_service_stats_keep_timeline(services);
	own.flows.keep_tokens = false;
	/* A report reads files only: flows are counted as they end on a
	 * thread of their own (see flows and stats). */
	own.flows.end_thread = true;
	struct pn_flow_table *table =
	    pn_flow_table_create(&own.flows, cli.reg, on_flow_end, services);
	struct pn_capture_stats stats;
	/* Flows spanning files stay whole only when time runs forward. */
	own.capture.opts.time_order = true;
	/* The page goes to a file (or a pipe): the terminal is free. */
	own.capture.opts.progress = pn_cli_progress(&cli, true);
	enum pn_capture_result result =
	    pn_capture_run(&own.capture.opts, pn_flow_capture, NULL, table,
			   &stats, who, stderr);
	pn_flow_flush(table);
	const struct pn_flow_counters *fc = pn_flow_counters(table);
	bool lost = false;
	if (result == PN_CAPTURE_USAGE || stats.sources_read == 0) {
		/* No input could be read: the messages said why, and there
		 * is no page to give; a previous FILE stays as it was. */
		if (!to_stdout)
			pn_outfile_discard(&of);
		rc = result == PN_CAPTURE_USAGE ? PN_EXIT_USAGE : PN_EXIT_FAIL;
		goto out;
	}
	struct pn_stats_view *view =
	    pn_service_stats_view(services, own.top, PN_SORT_BYTES);
	const struct pn_html_report info = {
	    .inputs = own.capture.opts.files,
	    .n_inputs = own.capture.opts.n_files,
	    .filter = own.capture.opts.filter,
	    .count = own.capture.opts.count,
	    .reg = cli.reg,
	    .decl = cli.decl,
	    .top = own.top,
	    .max_flows = own.flows.max_flows,
	    .view = view,
	    .capture = &stats,
	    .flows = fc,
	};
	pn_report_html(out, &info);
	pn_stats_view_free(view);
	if (to_stdout) {
		lost = pn_out_flush(stdout, PN_STDOUT_NAME, who) != 0;
	} else if (pn_outfile_commit(&of, err) != 0) {
		fprintf(stderr, "%s: -o %s: %s; not written\n", who,
			pn_safe(own.output), pn_safe(err));
		lost = true;
	}
	pn_stats_summary_text(stderr, who, &stats);
	pn_flow_summary_text(stderr, who, fc,
			     (unsigned long)own.flows.max_flows);
	rc = result == PN_CAPTURE_OK && !lost ? PN_EXIT_OK : PN_EXIT_FAIL;
out:
	pn_flow_table_destroy(table);
	pn_service_stats_destroy(services);
	pn_annotator_destroy(ann);
	pn_cli_release(&cli);
	pn_cli_capture_release(&own.capture);
	return rc;
}
