/* declare.c — reading --declare FILE into one protocol mask per declared
 * port and transport. */
#include "portnote/declare.h"

#include "portnote/evidence.h"
#include "portnote/output.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Longer lines are refused rather than split: a declaration is short. */
#define PN_DECLARE_LINE 1024

struct pn_declarations {
	char *path;
	/* [transport][port], allocated for the transports that have
	 * declarations: 256 KiB each, for a lookup that costs one index. */
	uint32_t *mask[PN_TRANSPORT_COUNT];
	unsigned long ports;
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p) {
		fprintf(stderr, "portnote: out of memory\n");
		exit(70);
	}
	return p;
}

struct reader {
	const char *who, *path;
	unsigned long line;
	FILE *diag;
};

__attribute__((format(printf, 2, 3))) static bool bad(const struct reader *r,
						      const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(r->diag, "portnote %s: %s:%lu: %s\n", r->who, pn_safe(r->path),
		r->line, pn_safe(msg));
	return false;
}

static bool port_number(const char *s, uint16_t *out)
{
	if (!*s || strlen(s) > 5)
		return false;
	unsigned long v = 0;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return false;
		v = v * 10 + (unsigned long)(*c - '0');
	}
	if (v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

/* "2222/tcp" or "9000-9010/udp". */
static bool parse_ports(const struct reader *r, char *word, uint16_t *lo,
			uint16_t *hi, enum pn_transport *t)
{
	char *slash = strchr(word, '/');
	if (!slash)
		return bad(r,
			   "'%s' is not PORT/TRANSPORT or FIRST-LAST/TRANSPORT "
			   "(for example 2222/tcp)",
			   word);
	*slash = '\0';
	int tr = pn_transport_parse(slash + 1);
	if (tr < 0)
		return bad(r,
			   "unknown transport '%s' (expected tcp, udp, sctp "
			   "or dccp)",
			   slash + 1);
	*t = (enum pn_transport)tr;
	char *dash = strchr(word, '-');
	if (dash)
		*dash = '\0';
	bool ok = port_number(word, lo);
	if (ok && dash)
		ok = port_number(dash + 1, hi);
	else
		*hi = *lo;
	if (!ok)
		return bad(r, "bad port '%s%s%s' (expected 0 to 65535)", word,
			   dash ? "-" : "", dash ? dash + 1 : "");
	if (*hi < *lo)
		return bad(r, "port range %u-%u runs backwards", *lo, *hi);
	return true;
}

static void known_list(char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int p = PN_P_NONE + 1; p < PN_P_COUNT && n < size; p++) {
		if (!pn_evidence_implemented((enum pn_proto)p))
			continue;
		int w = snprintf(buf + n, size - n, "%s%s", n ? ", " : "",
				 pn_proto_name((enum pn_proto)p));
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

/* "ssh" or "tls,http": protocols a recognizer sees on transport t. */
static bool parse_protocols(const struct reader *r, char *word,
			    enum pn_transport t, uint32_t *mask)
{
	*mask = 0;
	for (char *save = NULL, *name = strtok_r(word, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		enum pn_proto p = pn_proto_parse(name);
		if (p == PN_P_NONE || !pn_evidence_implemented(p)) {
			char known[512];
			known_list(known, sizeof known);
			return bad(r, "unknown protocol '%s' (known: %s)", name,
				   known);
		}
		unsigned on = pn_evidence_transports(p);
		if (!(on >> t & 1u)) {
			if (t != PN_TCP && t != PN_UDP)
				return bad(r,
					   "%s payloads are not examined: "
					   "nothing could agree with '%s'",
					   pn_transport_name(t), name);
			return bad(
			    r, "%s is not recognized over %s, only over %s",
			    name, pn_transport_name(t),
			    pn_transport_name(t == PN_TCP ? PN_UDP : PN_TCP));
		}
		*mask |= 1u << p;
	}
	if (!*mask)
		return bad(r, "no protocol after the port");
	return true;
}

static bool parse_line(struct pn_declarations *d, const struct reader *r,
		       char *line)
{
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	char *save = NULL;
	char *ports = strtok_r(line, " \t\r\n", &save);
	if (!ports)
		return true; /* blank or comment */
	char *protocols = strtok_r(NULL, " \t\r\n", &save);
	if (!protocols)
		return bad(r,
			   "'%s' names no protocol (expected, for example, "
			   "'2222/tcp ssh')",
			   ports);
	char *extra = strtok_r(NULL, " \t\r\n", &save);
	if (extra)
		return bad(r,
			   "unexpected '%s' after the protocols (join several "
			   "with commas: tls,http)",
			   extra);
	uint16_t lo = 0, hi = 0;
	enum pn_transport t = PN_TCP;
	uint32_t mask = 0;
	if (!parse_ports(r, ports, &lo, &hi, &t) ||
	    !parse_protocols(r, protocols, t, &mask))
		return false;
	if (!d->mask[t])
		d->mask[t] = xcalloc(65536, sizeof *d->mask[t]);
	/* Several lines on one port add up: any of their protocols agrees. */
	for (uint32_t p = lo; p <= hi; p++) {
		d->ports += !d->mask[t][p];
		d->mask[t][p] |= mask;
	}
	return true;
}

struct pn_declarations *pn_declarations_load(const char *path, const char *who,
					     FILE *diag)
{
	struct reader r = {who, path, 0, diag};
	FILE *in = fopen(path, "r");
	if (!in) {
		fprintf(diag, "portnote %s: %s: %s\n", who, pn_safe(path),
			strerror(errno));
		return NULL;
	}
	struct pn_declarations *d = xcalloc(1, sizeof *d);
	d->path = strdup(path);
	if (!d->path) {
		fprintf(stderr, "portnote: out of memory\n");
		exit(70);
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool ok = true;
	while (ok && (n = getline(&line, &cap, in)) >= 0) {
		r.line++;
		if (n > PN_DECLARE_LINE)
			ok = bad(&r, "line longer than %d bytes",
				 PN_DECLARE_LINE);
		else if (memchr(line, '\0', (size_t)n))
			ok = bad(&r, "a NUL byte in the line");
		else
			ok = parse_line(d, &r, line);
	}
	free(line);
	if (ok && ferror(in)) {
		fprintf(diag, "portnote %s: %s: %s\n", who, pn_safe(path),
			strerror(errno));
		ok = false;
	}
	fclose(in);
	if (!ok) {
		pn_declarations_destroy(d);
		return NULL;
	}
	return d;
}

void pn_declarations_destroy(struct pn_declarations *d)
{
	if (!d)
		return;
	for (int t = 0; t < PN_TRANSPORT_COUNT; t++)
		free(d->mask[t]);
	free(d->path);
	free(d);
}

uint32_t pn_declared(const struct pn_declarations *d, enum pn_transport t,
		     uint16_t port)
{
	if (!d || (unsigned)t >= PN_TRANSPORT_COUNT || !d->mask[t])
		return 0;
	return d->mask[t][port];
}

unsigned long pn_declarations_ports(const struct pn_declarations *d)
{
	return d ? d->ports : 0;
}

const char *pn_declarations_path(const struct pn_declarations *d)
{
	return d ? d->path : NULL;
}
