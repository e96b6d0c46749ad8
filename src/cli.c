/* cli.c — options and registry loading shared by every subcommand. */
#include "portnote/cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A snapshot older than this gets a notice: the registry changes every
 * month, and two years is enough for ports to be assigned and withdrawn. */
#define PN_STALE_DAYS (2 * 365)

int pn_cli_common_option(struct pn_cli *cli, int opt, const char *arg)
{
	switch (opt) {
	case PN_OPT_REGISTRY:
		cli->registry_path = arg;
		return 1;
	case PN_OPT_LENIENT:
		cli->lenient = true;
		return 1;
	case PN_OPT_QUIET:
		cli->quiet = true;
		return 1;
	case PN_OPT_FORMAT: {
		int f = pn_format_parse(arg);
		if (f < 0) {
			pn_cli_usage_error(cli,
					   "unknown format '%s' (expected "
					   "text, json or csv)",
					   arg);
			return -1;
		}
		cli->format = (enum pn_format)f;
		return 1;
	}
	}
	return 0;
}

int pn_cli_usage_error(const struct pn_cli *cli, const char *fmt, ...)
{
	va_list ap;
	/* The message quotes the user's words: escaped, on one line. */
	char msg[4096];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "portnote %s: %s", cli->command, pn_safe(msg));
	fprintf(stderr, " (see 'portnote %s --help')\n", cli->command);
	return PN_EXIT_USAGE;
}

int pn_cli_bad_option(const struct pn_cli *cli, char **argv, int opt)
{
	/* getopt_long leaves the offending word just before optind. */
	const char *arg = argv[optind - 1];
	if (opt == ':')
		return pn_cli_usage_error(cli, "option '%s' needs a value",
					  arg);
	if (optopt && arg[0] == '-' && arg[1] != '-')
		return pn_cli_usage_error(cli, "unknown option '-%c'", optopt);
	return pn_cli_usage_error(cli, "unknown option '%s'", arg);
}

int pn_cli_parse(struct pn_cli *cli, int argc, char **argv, const char *usage,
		 const struct pn_cli_options *own)
{
	static const struct option common[] = {PN_COMMON_LONGOPTS};
	enum { N_COMMON = sizeof common / sizeof common[0], MAX_OPTS = 64 };
	struct option longopts[MAX_OPTS + N_COMMON + 1];
	char shortopts[64] = ":h";
	size_t n = 0;
	memcpy(longopts, common, sizeof common);
	n = N_COMMON;
	if (own) {
		for (const struct option *o = own->longopts;
		     o && o->name && n < MAX_OPTS + N_COMMON; o++)
			longopts[n++] = *o;
		strncat(shortopts, own->shortopts ? own->shortopts : "",
			sizeof shortopts - strlen(shortopts) - 1);
	}
	memset(&longopts[n], 0, sizeof longopts[n]);

	int opt;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	       -1) {
		if (opt == 'h') {
			fputs(usage, stdout);
			return PN_EXIT_OK;
		}
		if (opt == '?' || opt == ':')
			return pn_cli_bad_option(cli, argv, opt);
		int rc = pn_cli_common_option(cli, opt, optarg);
		if (rc == 1)
			continue;
		if (rc < 0)
			return PN_EXIT_USAGE;
		if (!own || !own->take)
			return pn_cli_bad_option(cli, argv, opt);
		if ((rc = own->take(cli, opt, optarg, own->ctx)) != 0)
			return rc;
	}
	return -1;
}

void pn_cli_stale_notice(const struct pn_cli *cli)
{
	long age = pn_registry_age_days(cli->reg, (long long)time(NULL));
	if (age > PN_STALE_DAYS && !cli->quiet)
		fprintf(stderr,
			"portnote: note: the registry snapshot is dated %s, "
			"%ld years ago; get a current one with "
			"portnote-update-registry (scripts/update-registry in "
			"the source tree) or pass --registry FILE; --quiet "
			"silences this\n",
			cli->reg->date, age / 365);
}

const char *pn_cli_installed_path(void)
{
	const char *env = getenv("PORTNOTE_REGISTRY_FILE");
	if (env)
		return env[0] ? env : NULL;
	return PORTNOTE_INSTALLED_REGISTRY;
}

/* The installed snapshot is used only when it is newer: a package upgrade
 * that brings a newer built-in table must not be shadowed by an old file
 * left in /var/lib. A file that cannot be read is said once and the run
 * goes on with the built-in table, which is what it would have used. */
static void load_installed(struct pn_cli *cli)
{
	const struct pn_registry *builtin = pn_registry_builtin();
	const char *path = pn_cli_installed_path();
	struct stat st;
	cli->installed = PN_INSTALLED_NONE;
	cli->installed_path = path;
	if (!path || stat(path, &st) != 0)
		return;
	char err[PN_ERRBUF_SIZE];
	struct pn_load_options opts = {false, NULL};
	struct pn_registry *reg;
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, sizeof err, "%s: not a regular file", path);
	} else if (pn_registry_load(path, path, &opts, &reg, err) == 0) {
		snprintf(cli->installed_date, sizeof cli->installed_date, "%s",
			 reg->date);
		if (strcmp(reg->date, builtin->date) > 0) {
			cli->installed = PN_INSTALLED_USED;
			cli->owned = reg;
			cli->reg = reg;
			return;
		}
		cli->installed = PN_INSTALLED_OLDER;
		pn_registry_free(reg);
		return;
	}
	cli->installed = PN_INSTALLED_BROKEN;
	fprintf(stderr,
		"portnote %s: warning: the installed registry snapshot is "
		"not used: %s; using the built-in snapshot of %s\n",
		cli->command, pn_safe(err), pn_registry_date_text(builtin));
}

int pn_cli_load_file(const struct pn_cli *cli, const char *path,
		     struct pn_registry **out)
{
	char err[PN_ERRBUF_SIZE];
	struct pn_load_options opts = {cli->lenient, stderr};
	if (pn_registry_load(path, path, &opts, out, err) != 0) {
		fprintf(stderr, "portnote %s: %s\n", cli->command,
			pn_safe(err));
		return PN_EXIT_FAIL;
	}
	if ((*out)->counts.skipped)
		fprintf(stderr,
			"portnote %s: %s: %lu rows skipped (--lenient)\n",
			cli->command, pn_safe(path),
			(unsigned long)(*out)->counts.skipped);
	return 0;
}

int pn_cli_load_registry(struct pn_cli *cli)
{
	if (!cli->registry_path) {
		cli->reg = pn_registry_builtin();
		load_installed(cli);
	} else {
		int rc = pn_cli_load_file(cli, cli->registry_path, &cli->owned);
		if (rc)
			return rc;
		cli->reg = cli->owned;
	}
	pn_cli_stale_notice(cli);
	return 0;
}

int pn_cli_load_declarations(struct pn_cli *cli)
{
	if (!cli->declare_path)
		return 0;
	cli->decl =
	    pn_declarations_load(cli->declare_path, cli->command, stderr);
	return cli->decl ? 0 : PN_EXIT_USAGE;
}

bool pn_cli_progress(const struct pn_cli *cli, bool output_at_end)
{
	return !cli->quiet && isatty(STDERR_FILENO) &&
	       (output_at_end || !isatty(STDOUT_FILENO));
}

void pn_cli_release(struct pn_cli *cli)
{
	pn_declarations_destroy(cli->decl);
	cli->decl = NULL;
	pn_registry_free(cli->owned);
	cli->owned = NULL;
	cli->reg = NULL;
}

int pn_cli_ipfix_option(struct pn_cli *cli, struct pn_ipfix_options *o, int opt,
			const char *arg)
{
	unsigned long long v;
	char err[512];
	switch (opt) {
	case PN_OPT_IPFIX:
		if (!pn_ipfix_parse(arg, o, err, sizeof err)) {
			pn_cli_usage_error(cli, "%s", err);
			return -1;
		}
		return 1;
	case PN_OPT_IPFIX_FILE:
		o->file = arg;
		return 1;
	case PN_OPT_OBSERVATION_DOMAIN:
		if (!pn_cli_number(arg, 0, UINT32_MAX, &v)) {
			pn_cli_usage_error(cli,
					   "bad --observation-domain '%s' "
					   "(expected 0 to 4294967295)",
					   arg);
			return -1;
		}
		o->domain = (uint32_t)v;
		return 1;
	case PN_OPT_IPFIX_PEN:
		if (!pn_cli_number(arg, 1, UINT32_MAX, &v)) {
			pn_cli_usage_error(cli,
					   "bad --ipfix-pen '%s' (expected a "
					   "private enterprise number, 1 to "
					   "4294967295)",
					   arg);
			return -1;
		}
		o->pen = (uint32_t)v;
		return 1;
	}
	return 0;
}

bool pn_cli_ipfix_open(const struct pn_cli *cli, struct pn_ipfix_options *o,
		       struct pn_annotator *ann, bool evidence,
		       struct pn_ipfix **out)
{
	*out = NULL;
	if (!o->collector && !o->file)
		return true;
	char err[600];
	o->evidence = evidence;
	*out = pn_ipfix_open(o, cli->reg, ann, err, sizeof err);
	if (!*out)
		fprintf(stderr, "portnote %s: %s\n", cli->command,
			pn_safe(err));
	return *out != NULL;
}

int pn_cli_ipfix_close(const struct pn_cli *cli, struct pn_ipfix *x,
		       const struct pn_ipfix_options *o)
{
	if (!x)
		return 0;
	struct pn_ipfix_counters c;
	char err[600];
	int rc = pn_ipfix_close(x, &c, err, sizeof err);
	if (rc)
		fprintf(stderr, "portnote %s: %s\n", cli->command,
			pn_safe(err));
	fprintf(stderr,
		"portnote %s: IPFIX: %llu records to %s%s%s%s%s, %llu not "
		"sent\n",
		cli->command, (unsigned long long)c.records,
		o->collector ? "collector " : "",
		o->collector ? pn_safe(o->collector) : "",
		o->collector && o->file ? " and " : "", o->file ? "file " : "",
		o->file ? pn_safe(o->file) : "", (unsigned long long)c.lost);
	return rc;
}

bool pn_cli_number(const char *s, unsigned long long min,
		   unsigned long long max, unsigned long long *out)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno || v < min || v > max)
		return false;
	*out = v;
	return true;
}

void pn_cli_capture_init(struct pn_cli_capture *cc)
{
	memset(cc, 0, sizeof *cc);
	pn_capture_options_init(&cc->opts);
}

int pn_cli_capture_option(struct pn_cli *cli, struct pn_cli_capture *cc,
			  int opt, const char *arg)
{
	struct pn_capture_options *o = &cc->opts;
	unsigned long long v;
	switch (opt) {
	case PN_OPT_DECLARE:
		cli->declare_path = arg;
		return 1;
	case 'r':
		if (o->n_files == cc->cap) {
			cc->cap = cc->cap ? cc->cap * 2 : 4;
			const char **f =
			    realloc(cc->files, (size_t)cc->cap * sizeof *f);
			if (!f) {
				fprintf(stderr, "portnote: out of memory\n");
				exit(70);
			}
			cc->files = f;
		}
		cc->files[o->n_files++] = arg;
		o->files = cc->files;
		return 1;
	case 'i':
		o->iface = arg;
		return 1;
	case 'f':
		o->filter = arg;
		return 1;
	case 's':
		if (!pn_cli_number(arg, 1, PN_CAPTURE_SNAPLEN, &v)) {
			pn_cli_usage_error(cli,
					   "bad --snaplen '%s' (expected 1 to "
					   "%d)",
					   arg, PN_CAPTURE_SNAPLEN);
			return -1;
		}
		o->snaplen = (int)v;
		return 1;
	case 'B':
		if (!pn_cli_number(arg, 1, INT_MAX / 1024, &v)) {
			pn_cli_usage_error(cli,
					   "bad --buffer-size '%s' (expected "
					   "KiB, at least 1)",
					   arg);
			return -1;
		}
		o->buffer_size = (int)v * 1024;
		return 1;
	case 'c':
		if (!pn_cli_number(arg, 1, ULLONG_MAX, &v)) {
			pn_cli_usage_error(cli,
					   "bad --count '%s' (expected a "
					   "positive whole number)",
					   arg);
			return -1;
		}
		o->count = v;
		return 1;
	case PN_OPT_DURATION: {
		char *end;
		errno = 0;
		double d = strtod(arg, &end);
		if (*end || errno || !(d > 0) || !isfinite(d)) {
			pn_cli_usage_error(cli,
					   "bad --duration '%s' (expected "
					   "seconds, more than 0)",
					   arg);
			return -1;
		}
		o->duration = d;
		return 1;
	}
	case PN_OPT_NO_PROMISC:
		o->promisc = false;
		return 1;
	case PN_OPT_LIBPCAP_READER:
		o->libpcap_reader = true;
		return 1;
	case PN_OPT_IMMEDIATE:
		o->immediate = true;
		return 1;
	case 'Z':
		o->user = arg;
		return 1;
	case 'n':
		/* tcpdump's "no name resolution": portnote never resolves. */
		return 1;
	}
	return 0;
}

int pn_cli_capture_check(struct pn_cli *cli, struct pn_cli_capture *cc)
{
	if (cc->opts.n_files && cc->opts.iface)
		return pn_cli_usage_error(cli, "give -r FILE or -i IFACE, "
					       "not both");
	if (!cc->opts.n_files && !cc->opts.iface)
		return pn_cli_usage_error(cli, "no input: give -r FILE or -i "
					       "IFACE");
	return 0;
}

int pn_cli_capture_operands(struct pn_cli *cli, struct pn_cli_capture *cc,
			    int argc, char **argv)
{
	if (optind >= argc)
		return -1;
	if (cc->opts.filter)
		return pn_cli_usage_error(cli,
					  "a filter both with -f and after the "
					  "options ('%s'): give one",
					  argv[optind]);
	size_t len = 1;
	for (int i = optind; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *f = malloc(len);
	if (!f) {
		fprintf(stderr, "portnote: out of memory\n");
		exit(70);
	}
	f[0] = '\0';
	for (int i = optind; i < argc; i++) {
		if (i > optind)
			strcat(f, " ");
		strcat(f, argv[i]);
	}
	cc->trailing_filter = f;
	cc->opts.filter = f;
	return -1;
}

void pn_cli_capture_release(struct pn_cli_capture *cc)
{
	free(cc->trailing_filter);
	cc->trailing_filter = NULL;
	free(cc->files);
	cc->files = NULL;
}

/* "300" for every transport, or "tcp=300,udp=60". */
static bool parse_idle(const char *arg, struct pn_flow_config *cfg)
{
	char buf[128];
	if (strlen(arg) >= sizeof buf)
		return false;
	strcpy(buf, arg);
	char *save = NULL;
	for (char *item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '='), *end;
		int t = -1;
		if (eq) {
			*eq = '\0';
			t = pn_transport_parse(item);
			if (t < 0)
				return false;
			item = eq + 1;
		}
		errno = 0;
		double s = strtod(item, &end);
		if (*end || errno || !(s > 0) || !isfinite(s) || s > 1e9)
			return false;
		int64_t us = (int64_t)(s * 1e6);
		for (int k = 0; k < PN_TRANSPORT_COUNT; k++)
			if (t < 0 || t == k)
				cfg->idle_us[k] = us;
	}
	return true;
}

int pn_cli_flow_option(struct pn_cli *cli, struct pn_flow_config *cfg, int opt,
		       const char *arg)
{
	unsigned long long v;
	switch (opt) {
	case PN_OPT_IDLE_TIMEOUT:
		if (!parse_idle(arg, cfg)) {
			pn_cli_usage_error(cli,
					   "bad --idle-timeout '%s' (expected "
					   "seconds, or tcp=S,udp=S,...)",
					   arg);
			return -1;
		}
		return 1;
	case PN_OPT_MAX_FLOWS:
		if (!pn_cli_number(arg, 1, UINT32_MAX, &v)) {
			pn_cli_usage_error(cli,
					   "bad --max-flows '%s' (expected a "
					   "whole number, at least 1)",
					   arg);
			return -1;
		}
		cfg->max_flows = (uint32_t)v;
		return 1;
	}
	return 0;
}

int pn_cli_report_option(struct pn_cli *cli, int opt, const char *arg,
			 unsigned *top, int *sort)
{
	static const char *const keys[] = {"bytes", "packets", "flows"};
	unsigned long long v;
	switch (opt) {
	case PN_OPT_TOP:
		if (!pn_cli_number(arg, 0, UINT32_MAX, &v)) {
			pn_cli_usage_error(cli,
					   "bad --top '%s' (expected a whole "
					   "number; 0 for all)",
					   arg);
			return -1;
		}
		*top = (unsigned)v;
		return 1;
	case PN_OPT_SORT:
		for (int k = 0; k < 3; k++)
			if (strcmp(arg, keys[k]) == 0) {
				*sort = k;
				return 1;
			}
		pn_cli_usage_error(
		    cli,
		    "bad --sort '%s' (expected bytes, packets or "
		    "flows)",
		    arg);
		return -1;
	}
	return 0;
}
