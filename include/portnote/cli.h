/* cli.h — what every subcommand shares: its common options (--registry,
 * --format, --lenient, --help), one-line usage errors, and loading the
 * registry it works on. */
#ifndef PORTNOTE_CLI_H
#define PORTNOTE_CLI_H

#include "portnote/capture.h"
#include "portnote/declare.h"
#include "portnote/flow.h"
#include "portnote/ipfix.h"
#include "portnote/output.h"
#include "portnote/registry.h"

#include <getopt.h>

/* Exit codes. */
enum {
	PN_EXIT_OK = 0,
	PN_EXIT_FAIL = 1,  /* the run could not do what was asked */
	PN_EXIT_USAGE = 2, /* bad option or argument */
};

/* Long-only options start at 256, out of the way of short ones. */
enum {
	PN_OPT_REGISTRY = 256,
	PN_OPT_FORMAT,
	PN_OPT_LENIENT,
	PN_OPT_NO_PROMISC,
	PN_OPT_IMMEDIATE,
	PN_OPT_LIBPCAP_READER,
	PN_OPT_DURATION,
	PN_OPT_IDLE_TIMEOUT,
	PN_OPT_MAX_FLOWS,
	PN_OPT_TOP,
	PN_OPT_SORT,
	PN_OPT_DECLARE,
	PN_OPT_IPFIX,
	PN_OPT_IPFIX_FILE,
	PN_OPT_OBSERVATION_DOMAIN,
	PN_OPT_IPFIX_PEN,
	PN_OPT_QUIET,
	PN_OPT_FIRST_OWN = 512, /* subcommands number their own from here */
};

#define PN_COMMON_LONGOPTS                                                     \
	{"registry", required_argument, NULL, PN_OPT_REGISTRY},                \
	    {"format", required_argument, NULL, PN_OPT_FORMAT},                \
	    {"lenient", no_argument, NULL, PN_OPT_LENIENT},                    \
	    {"quiet", no_argument, NULL, PN_OPT_QUIET},                        \
	{                                                                      \
		"help", no_argument, NULL, 'h'                                 \
	}

/* FORMATS: the --format values the command writes. */
#define PN_COMMON_HELP_FORMATS(formats)                                        \
	"  --registry FILE   use this registry CSV instead of the installed "  \
	"or built-in\n"                                                        \
	"                    snapshot\n"                                       \
	"  --lenient         skip malformed registry rows (reported) instead " \
	"of failing\n"                                                         \
	"  --format FMT      " formats "\n"                                    \
	"  --quiet           no notices and no progress line on stderr "       \
	"(errors and\n"                                                        \
	"                    warnings still)\n"                                \
	"  -h, --help        show this help\n"
#define PN_COMMON_HELP PN_COMMON_HELP_FORMATS("text (default), json or csv")

/* Capture options, shared by every command that reads packets. */
#define PN_CAPTURE_LONGOPTS                                                    \
	{"read", required_argument, NULL, 'r'},                                \
	    {"interface", required_argument, NULL, 'i'},                       \
	    {"filter", required_argument, NULL, 'f'},                          \
	    {"snaplen", required_argument, NULL, 's'},                         \
	    {"no-promisc", no_argument, NULL, PN_OPT_NO_PROMISC},              \
	    {"immediate", no_argument, NULL, PN_OPT_IMMEDIATE},                \
	    {"libpcap-reader", no_argument, NULL, PN_OPT_LIBPCAP_READER},      \
	    {"buffer-size", required_argument, NULL, 'B'},                     \
	    {"count", required_argument, NULL, 'c'},                           \
	    {"user", required_argument, NULL, 'Z'},                            \
	    {"duration", required_argument, NULL, PN_OPT_DURATION},            \
	{                                                                      \
		"declare", required_argument, NULL, PN_OPT_DECLARE             \
	}
#define PN_CAPTURE_SHORTOPTS "r:i:f:s:B:c:Z:n"

#define PN_CAPTURE_HELP                                                        \
	"input (one of):\n"                                                    \
	"  -r, --read FILE      a pcap or pcapng file; repeat for several, "   \
	"read in order;\n"                                                     \
	"                       '-' reads standard input\n"                    \
	"  -i, --interface IF   capture live from IF ('portnote interfaces' "  \
	"lists them)\n"                                                        \
	"capture:\n"                                                           \
	"  -f, --filter EXPR    only packets matching the BPF expression "     \
	"(pcap-filter(7));\n"                                                  \
	"                       or give EXPR after the options, as to "        \
	"tcpdump\n"                                                            \
	"  -c, --count N        stop after N packets\n"                        \
	"  --duration S         stop after S seconds\n"                        \
	"  -s, --snaplen N      bytes kept per packet, live (default "         \
	"262144)\n"                                                            \
	"  --no-promisc         do not put the interface in promiscuous "      \
	"mode\n"                                                               \
	"  --immediate          deliver packets as they arrive, live\n"        \
	"  -B, --buffer-size K  libpcap's capture buffer, KiB, live\n"         \
	"  --libpcap-reader     read pcap files with libpcap's own reader "    \
	"(slower;\n"                                                           \
	"                       the same packets)\n"                           \
	"  -Z, --user USER      live: once the interface is open, run as "     \
	"USER "                                                                \
	"(as root;\n"                                                          \
	"                       default nobody; '-Z root' keeps root)\n"       \
	"  -n                   accepted as tcpdump takes it: portnote never " \
	"resolves\n"                                                           \
	"                       names\n"                                       \
	"site:\n"                                                              \
	"  --declare FILE       what this site runs on purpose, one port per " \
	"line:\n"                                                              \
	"                       '2222/tcp ssh', '9000-9010/udp wireguard' "    \
	"('#' comments);\n"                                                    \
	"                       a declared port is judged against it, not "    \
	"the "                                                                 \
	"registry\n"

/* What became of the snapshot portnote-update-registry installs (looked
 * at only when no --registry is given). */
enum pn_installed {
	PN_INSTALLED_NONE,   /* no such file (or looking is turned off) */
	PN_INSTALLED_USED,   /* newer than the built-in table: in use */
	PN_INSTALLED_OLDER,  /* not newer than the built-in table: not used */
	PN_INSTALLED_BROKEN, /* could not be read: not used, said why */
};

struct pn_cli {
	const char *command; /* "lookup", "registry info", ... */
	enum pn_format format;
	const char *registry_path; /* NULL: the installed or built-in table */
	bool lenient;
	bool quiet; /* --quiet: no notices, no progress line */
	enum pn_installed installed;
	const char *installed_path; /* the file looked at, or NULL */
	char installed_date[16];
	const struct pn_registry *reg;
	struct pn_registry *owned;
	const char *declare_path; /* --declare FILE, or NULL */
	struct pn_declarations *decl;
};

/* A subcommand's own options: getopt_long entries (ending with a zeroed
 * one), the short options they use, and the handler that takes each. The
 * handler returns 0 if it took the option, or an exit code after printing
 * an error. */
struct pn_cli_options {
	const struct option *longopts;
	const char *shortopts;
	int (*take)(struct pn_cli *cli, int opt, const char *arg, void *ctx);
	void *ctx;
};

/* Parses the common options and `own` (may be NULL). Returns -1 to go on,
 * with optind at the first operand, or an exit code: 0 after printing
 * `usage` for --help, PN_EXIT_USAGE after a one-line error. */
int pn_cli_parse(struct pn_cli *cli, int argc, char **argv, const char *usage,
		 const struct pn_cli_options *own);

/* Handles a common option returned by getopt_long. Returns 1 if it was one,
 * 0 if not, or -1 after printing an error. */
int pn_cli_common_option(struct pn_cli *cli, int opt, const char *arg);

/* Prints "portnote CMD: message" and a pointer to --help; returns
 * PN_EXIT_USAGE. */
int pn_cli_usage_error(const struct pn_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reports what getopt_long returned as ':' (missing value) or '?' (unknown
 * option); optstrings start with ':' so the two differ. */
int pn_cli_bad_option(const struct pn_cli *cli, char **argv, int opt);

/* Loads the registry named by --registry; without it, the snapshot that
 * portnote-update-registry installs (pn_cli_installed_path) when that is
 * newer than the built-in table, else the built-in table. Prints a
 * one-line notice on stderr when the snapshot in use is over two years
 * old (not with --quiet). Returns 0, or PN_EXIT_FAIL after printing the
 * error. */
int pn_cli_load_registry(struct pn_cli *cli);
int pn_cli_load_file(const struct pn_cli *cli, const char *path,
		     struct pn_registry **out);
void pn_cli_stale_notice(const struct pn_cli *cli);

/* Where the installed snapshot is looked for: $PORTNOTE_REGISTRY_FILE when
 * set (empty: nowhere, NULL is returned), else the path built in
 * (PORTNOTE_INSTALLED_REGISTRY, /var/lib/portnote/... by default). */
const char *pn_cli_installed_path(void);

/* Reads --declare FILE, if given, into cli->decl. Returns 0, or
 * PN_EXIT_USAGE after printing "portnote CMD: FILE:LINE: ...". */
int pn_cli_load_declarations(struct pn_cli *cli);

void pn_cli_release(struct pn_cli *cli);

/* Whether reading files shows a status line: standard error is a
 * terminal, no --quiet, and the output does not go to that terminal while
 * the line is shown (a command whose output comes only at the end says
 * output_at_end). */
bool pn_cli_progress(const struct pn_cli *cli, bool output_at_end);

/* Flow options, shared by every command that keeps a flow table. */
#define PN_FLOW_LONGOPTS                                                       \
	{"idle-timeout", required_argument, NULL, PN_OPT_IDLE_TIMEOUT},        \
	{                                                                      \
		"max-flows", required_argument, NULL, PN_OPT_MAX_FLOWS         \
	}

/* IPFIX export options of flows, stats and live. */
#define PN_IPFIX_LONGOPTS                                                      \
	{"ipfix", required_argument, NULL, PN_OPT_IPFIX},                      \
	    {"ipfix-file", required_argument, NULL, PN_OPT_IPFIX_FILE},        \
	    {"observation-domain", required_argument, NULL,                    \
	     PN_OPT_OBSERVATION_DOMAIN},                                       \
	{                                                                      \
		"ipfix-pen", required_argument, NULL, PN_OPT_IPFIX_PEN         \
	}

#define PN_IPFIX_HELP                                                          \
	"export:\n"                                                            \
	"  --ipfix [udp:|tcp:]HOST:PORT  send every ended flow to an IPFIX "   \
	"collector\n"                                                          \
	"                       (UDP unless tcp:; an IPv6 host in brackets)\n" \
	"  --ipfix-file FILE    write the same IPFIX messages to FILE\n"       \
	"  --observation-domain N  the observation domain ID (default 0)\n"    \
	"  --ipfix-pen N        the private enterprise number of portnote's "  \
	"own\n"                                                                \
	"                       elements (default 32473, RFC 5612's for "      \
	"documentation)\n"

/* Takes an IPFIX option into o: 1 if it was one, 0 if not, -1 after a
 * one-line error. */
int pn_cli_ipfix_option(struct pn_cli *cli, struct pn_ipfix_options *o, int opt,
			const char *arg);

/* Opens the exporter when o asks for one: true with *out set (NULL when
 * no export was asked for), false after "portnote CMD: why". */
bool pn_cli_ipfix_open(const struct pn_cli *cli, struct pn_ipfix_options *o,
		       struct pn_annotator *ann, bool evidence,
		       struct pn_ipfix **out);

/* Closes it and says on stderr how many records went where and how many
 * were not sent. Returns 0, or -1 when the file was not written in full. */
int pn_cli_ipfix_close(const struct pn_cli *cli, struct pn_ipfix *x,
		       const struct pn_ipfix_options *o);

/* Report options of stats and live. */
#define PN_REPORT_LONGOPTS                                                     \
	{"top", required_argument, NULL, PN_OPT_TOP},                          \
	{                                                                      \
		"sort", required_argument, NULL, PN_OPT_SORT                   \
	}

/* Takes --top N (0: all) or --sort bytes|packets|flows (stored as 0, 1, 2:
 * the order of enum pn_sort and enum pn_live_sort): 1 if it was one, 0 if
 * not, -1 after a one-line error. */
int pn_cli_report_option(struct pn_cli *cli, int opt, const char *arg,
			 unsigned *top, int *sort);

/* Takes --idle-timeout ("300", or per transport "tcp=300,udp=60"; seconds,
 * fractions allowed) or --max-flows into cfg: 1 if it was one, 0 if not,
 * -1 after a one-line error. */
int pn_cli_flow_option(struct pn_cli *cli, struct pn_flow_config *cfg, int opt,
		       const char *arg);

struct pn_cli_capture {
	struct pn_capture_options opts;
	const char **files;
	int cap;
	char *trailing_filter; /* the operands, joined: opts.filter */
};

void pn_cli_capture_init(struct pn_cli_capture *cc);
/* Takes a capture option: 1 if it was one, 0 if not, -1 after an error. */
int pn_cli_capture_option(struct pn_cli *cli, struct pn_cli_capture *cc,
			  int opt, const char *arg);
/* Checks that exactly one input was chosen: 0, or an exit code after a
 * one-line error. */
int pn_cli_capture_check(struct pn_cli *cli, struct pn_cli_capture *cc);
/* Takes the operands after the options as the filter expression, as
 * tcpdump does ("portnote packets -r f.pcap udp port 53"). Returns -1 to
 * go on, or PN_EXIT_USAGE after an error (a filter given both ways). */
int pn_cli_capture_operands(struct pn_cli *cli, struct pn_cli_capture *cc,
			    int argc, char **argv);
void pn_cli_capture_release(struct pn_cli_capture *cc);

/* Parses a whole decimal number in [min, max]; false if it is not one. */
bool pn_cli_number(const char *s, unsigned long long min,
		   unsigned long long max, unsigned long long *out);

#endif
