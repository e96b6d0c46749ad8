/* output.c — JSON through jansson, CSV through libcsv's writer. */
#include "portnote/output.h"

#include <arpa/inet.h>
#include <csv.h>
#include <errno.h>
#include <string.h>
#include <time.h>

int pn_format_parse(const char *s)
{
	if (strcmp(s, "text") == 0)
		return PN_FORMAT_TEXT;
	if (strcmp(s, "json") == 0)
		return PN_FORMAT_JSON;
	if (strcmp(s, "csv") == 0)
		return PN_FORMAT_CSV;
	return -1;
}

void pn_out_json_line(FILE *out, json_t *obj)
{
	/* JSON_ENSURE_ASCII is off: registry text is validated UTF-8. */
	json_dumpf(obj, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(obj);
}

void pn_out_csv_row(FILE *out, const char *const *fields, int n)
{
	for (int i = 0; i < n; i++) {
		if (i)
			fputc(',', out);
		const char *f = fields[i] ? fields[i] : "";
		/* Quote only when RFC 4180 needs it, so plain values stay
		 * easy to read and to cut. */
		if (strpbrk(f, ",\"\r\n"))
			csv_fwrite(out, f, strlen(f));
		else
			fputs(f, out);
	}
	fputc('\n', out);
}

json_t *pn_json_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

const char *pn_addr_text(const uint8_t addr[16], int ip_version, char *buf)
{
	/* IPv4 sits in the last four bytes of its mapped form. */
	if (ip_version == 4)
		inet_ntop(AF_INET, addr + 12, buf, INET6_ADDRSTRLEN);
	else
		inet_ntop(AF_INET6, addr, buf, INET6_ADDRSTRLEN);
	return buf;
}

const char *pn_tcp_flags_text(uint8_t f, char buf[12])
{
	static const struct {
		uint8_t bit;
		char c;
	} letters[] = {{0x01, 'F'}, {0x02, 'S'}, {0x04, 'R'}, {0x08, 'P'},
		       {0x20, 'U'}, {0x80, 'W'}, {0x40, 'E'}, {0x10, '.'}};
	int n = 0;
	for (size_t i = 0; i < sizeof letters / sizeof letters[0]; i++)
		if (f & letters[i].bit)
			buf[n++] = letters[i].c;
	if (n == 0)
		buf[n++] = '-';
	buf[n] = '\0';
	return buf;
}

const char *pn_time_text(uint64_t us, char buf[40])
{
	struct tm tm;
	time_t sec = (time_t)(us / 1000000);
	gmtime_r(&sec, &tm);
	size_t n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 40 - n, ".%06uZ", (unsigned)(us % 1000000));
	return buf;
}

/* Why the last pn_out_write failed: stdio keeps no errno of its own. */
static _Thread_local int write_errno;

size_t pn_out_write(const void *p, size_t n, FILE *f)
{
	size_t w = fwrite(p, 1, n, f);
	if (w != n)
		write_errno = errno;
	return w;
}

int pn_out_error(FILE *f)
{
	bool failed_before = ferror(f);
	int flushed = fflush(f);
	if (flushed == 0 && !failed_before)
		return 0;
	/* A failing fflush names its cause; an error left by an earlier
	 * write whose bytes are gone is named only if pn_out_write saw it. */
	int e = flushed != 0 ? errno : write_errno;
	clearerr(f);
	write_errno = 0;
	return e ? e : -1;
}

void pn_out_report(const char *who, const char *name, int err)
{
	fprintf(stderr, "%s: %s: %s\n", who, name,
		err > 0 ? strerror(err) : "write error");
}

int pn_out_flush(FILE *f, const char *name, const char *who)
{
	int e = pn_out_error(f);
	if (e)
		pn_out_report(who, name, e);
	return e ? -1 : 0;
}

int pn_out_close(FILE *f, const char *name, const char *who)
{
	int rc = pn_out_flush(f, name, who);
	if (f == stdout || f == stderr)
		return rc;
	if (fclose(f) != 0 && rc == 0) {
		fprintf(stderr, "%s: %s: %s\n", who, name, strerror(errno));
		rc = -1;
	}
	return rc;
}
