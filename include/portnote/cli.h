/* cli.h — what every subcommand shares: its common options (--registry,
 * --format, --lenient, --help), one-line usage errors, and loading the
 * registry it works on. */
#ifndef PORTNOTE_CLI_H
#define PORTNOTE_CLI_H

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
};

#define PN_COMMON_LONGOPTS                                                     \
	{"registry", required_argument, NULL, PN_OPT_REGISTRY},                \
	    {"format", required_argument, NULL, PN_OPT_FORMAT},                \
	    {"lenient", no_argument, NULL, PN_OPT_LENIENT},                    \
	{                                                                      \
		"help", no_argument, NULL, 'h'                                 \
	}

#define PN_COMMON_HELP                                                         \
	"  --registry FILE   use this registry CSV instead of the built-in "   \
	"snapshot\n"                                                           \
	"  --lenient         skip malformed registry rows (reported) instead " \
	"of failing\n"                                                         \
	"  --format FMT      text (default), json or csv\n"                    \
	"  -h, --help        show this help\n"

struct pn_cli {
	const char *command; /* "lookup", "registry info", ... */
	enum pn_format format;
	const char *registry_path; /* NULL: the built-in table */
	bool lenient;
	const struct pn_registry *reg;
	struct pn_registry *owned;
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

/* Loads the registry named by --registry (or takes the built-in one) and
 * prints a one-line notice on stderr when the snapshot is over two years
 * old. Returns 0, or PN_EXIT_FAIL after printing the error. */
int pn_cli_load_registry(struct pn_cli *cli);
int pn_cli_load_file(const struct pn_cli *cli, const char *path,
		     struct pn_registry **out);
void pn_cli_stale_notice(const struct pn_registry *reg);

void pn_cli_release(struct pn_cli *cli);

#endif
