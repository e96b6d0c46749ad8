/* portnote — annotate traffic with the IANA service name and port registry.
 * main hands the words after the program name to a subcommand. */
#include "portnote/capture.h"
#include "portnote/cli.h"
#include "portnote/commands.h"
#include "portnote/output.h"

#include <signal.h>
#include <string.h>

static const char usage[] =
    "usage: portnote COMMAND [options] [arguments]\n"
    "\n"
    "commands:\n"
    "  lookup QUERY...       what the registry records for ports, ranges "
    "and names\n"
    "  registry info         the snapshot in use: installed, built in or "
    "--registry\n"
    "  registry check FILE   validate a registry CSV\n"
    "  registry diff OLD NEW assignments added, removed and renamed\n"
    "  packets -r FILE|-i IF one line per packet with its ports' "
    "registrations\n"
    "  flows -r FILE|-i IF   one record per flow: client, server, basis, "
    "service\n"
    "  stats -r FILE|-i IF   per-service statistics of the flows\n"
    "  report -r FILE -o OUT the same statistics as one self-contained HTML "
    "page\n"
    "  audit --rules FILE    what a firewall ruleset opens, by the registry "
    "and by\n"
    "                        the traffic (-r FILE, -i IF)\n"
    "  live -i IF            watch an interface: per-service rates, "
    "metrics\n"
    "  interfaces            the devices -i can capture from\n"
    "\n"
    "Run 'portnote COMMAND --help' (or 'portnote help COMMAND') for a\n"
    "command's options. Every command that names ports takes --registry\n"
    "FILE to use another snapshot of the registry.\n"
    "\n"
    "A registered port does not prove what traffic is, nor that it is good:\n"
    "portnote says what a port is registered for, never what traffic is.\n";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
    {"lookup", pn_cmd_lookup},	 {"registry", pn_cmd_registry},
    {"packets", pn_cmd_packets}, {"interfaces", pn_cmd_interfaces},
    {"flows", pn_cmd_flows},	 {"stats", pn_cmd_stats},
    {"audit", pn_cmd_audit},	 {"live", pn_cmd_live},
    {"report", pn_cmd_report},
};

static int run(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return PN_EXIT_USAGE;
	}
	if (strcmp(argv[1], "help") == 0 && argc > 2) {
		/* "portnote help stats" is "portnote stats --help". */
		for (size_t i = 0; i < sizeof commands / sizeof commands[0];
		     i++)
			if (strcmp(argv[2], commands[i].name) == 0)
				return commands[i].run(
				    2, (char *[]){argv[2], "--help", NULL});
		fprintf(stderr,
			"portnote: no command '%s' to help with (see "
			"'portnote --help')\n",
			argv[2]);
		return PN_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, stdout);
		return PN_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		const struct pn_registry *reg = pn_registry_builtin();
		printf("portnote %s\nbuilt-in IANA registry snapshot %s (%s)\n",
		       PORTNOTE_VERSION, reg->date, reg->source);
		return PN_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr,
		"portnote: unknown command '%s' (see 'portnote --help')\n",
		argv[1]);
	return PN_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	/* A reader that goes away (`| head`) is seen as EPIPE where the
	 * output is written, so the run ends with its other outputs (-w,
	 * --flows-out) whole instead of being killed mid-write. */
	struct sigaction pipe_was;
	sigaction(SIGPIPE, NULL, &pipe_was);
	pn_out_quiet_epipe(pipe_was.sa_handler != SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	int rc = run(argc, argv);
	/* The commands check their own output; this catches what they leave
	 * (help, --version) so that no lost write ends with status 0. */
	if (pn_out_flush(stdout, PN_STDOUT_NAME, "portnote") &&
	    rc == PN_EXIT_OK)
		rc = PN_EXIT_FAIL;
	pn_capture_reraise();
	pn_out_reraise_sigpipe();
	return rc;
}
