/* output.c — JSON through jansson, CSV through libcsv's writer. */
#include "portnote/output.h"

#include <arpa/inet.h>
#include <csv.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
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

/* The length of the valid UTF-8 sequence at p (1-4), or 0. */
static int utf8_len(const unsigned char *p)
{
	unsigned c = p[0];
	int n = c < 0x80		 ? 0
		: c >= 0xc2 && c <= 0xdf ? 1
		: c >= 0xe0 && c <= 0xef ? 2
		: c >= 0xf0 && c <= 0xf4 ? 3
					 : -1;
	if (n < 0)
		return 0;
	for (int k = 1; k <= n; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0; /* also stops at the NUL */
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
		return 0;
	return n + 1;
}

size_t pn_out_escape(const char *s, enum pn_safe_mode mode, char *out,
		     bool *changed)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	bool esc = false;
#define EMIT(ch) ((out ? (void)(out[n] = (char)(ch)) : (void)0), n++)
	while (*p) {
		unsigned c = *p;
		if (c >= 0x20 && c < 0x7f) {
			EMIT(c), p++;
			continue;
		}
		if (c < 0x20 && mode == PN_SAFE_CSV &&
		    (c == '\t' || c == '\r' || c == '\n')) {
			EMIT(c), p++;
			continue;
		}
		int len = c >= 0x80 ? utf8_len(p) : 0;
		if (len == 2 && c == 0xc2 && p[1] < 0xa0) {
			/* A C1 control: \u0080 to \u009f. */
			const char *u = "\\u00";
			for (; *u; u++)
				EMIT(*u);
			EMIT(hex[p[1] >> 4]), EMIT(hex[p[1] & 15]);
			p += 2, esc = true;
			continue;
		}
		if (len) {
			for (int k = 0; k < len; k++)
				EMIT(p[k]);
			p += len;
			continue;
		}
		esc = true;
		EMIT('\\');
		if (c == '\t' || c == '\n' || c == '\r')
			EMIT(c == '\t' ? 't' : c == '\n' ? 'n' : 'r');
		else
			EMIT('x'), EMIT(hex[c >> 4]), EMIT(hex[c & 15]);
		p++;
	}
#undef EMIT
	if (out)
		out[n] = '\0';
	if (changed)
		*changed = esc;
	return n;
}

void pn_out_safe_text(FILE *out, const char *s)
{
	bool changed;
	size_t n = pn_out_escape(s, PN_SAFE_TEXT, NULL, &changed);
	if (!changed) {
		fwrite(s, 1, n, out);
		return;
	}
	char small[512], *buf = n < sizeof small ? small : malloc(n + 1);
	if (!buf)
		return;
	pn_out_escape(s, PN_SAFE_TEXT, buf, NULL);
	fwrite(buf, 1, n, out);
	if (buf != small)
		free(buf);
}

#define SAFE_BUFS 8
#define SAFE_BYTES (16u << 10)

const char *pn_safe(const char *s)
{
	static _Thread_local char bufs[SAFE_BUFS][SAFE_BYTES];
	static _Thread_local unsigned next;
	if (!s)
		return NULL;
	bool changed;
	size_t n = pn_out_escape(s, PN_SAFE_TEXT, NULL, &changed);
	if (!changed)
		return s;
	char *b = bufs[next++ % SAFE_BUFS];
	if (n < SAFE_BYTES) {
		pn_out_escape(s, PN_SAFE_TEXT, b, NULL);
		return b;
	}
	char *tmp = malloc(n + 1);
	if (!tmp)
		return "(unprintable)";
	pn_out_escape(s, PN_SAFE_TEXT, tmp, NULL);
	/* Cut at a character boundary: escapes are ASCII, the rest is
	 * valid UTF-8. */
	size_t cut = SAFE_BYTES - 4;
	while (cut && ((unsigned char)tmp[cut] & 0xc0) == 0x80)
		cut--;
	memcpy(b, tmp, cut);
	memcpy(b + cut, "...", 4);
	free(tmp);
	return b;
}

void pn_out_csv_row(FILE *out, const char *const *fields, int n)
{
	char small[512];
	for (int i = 0; i < n; i++) {
		if (i)
			fputc(',', out);
		const char *f = fields[i] ? fields[i] : "";
		bool changed;
		size_t len = pn_out_escape(f, PN_SAFE_CSV, NULL, &changed);
		char *buf = NULL;
		if (changed) {
			buf = len < sizeof small ? small : malloc(len + 1);
			if (buf) {
				pn_out_escape(f, PN_SAFE_CSV, buf, NULL);
				f = buf;
			}
		}
		/* Quote only when RFC 4180 needs it, so plain values stay
		 * easy to read and to cut. */
		if (strpbrk(f, ",\"\r\n"))
			csv_fwrite(out, f, strlen(f));
		else
			fputs(f, out);
		if (buf && buf != small)
			free(buf);
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

static _Atomic uint64_t time_outside;

const char *pn_time_text(pn_time_us us, char buf[PN_TIME_TEXT_SIZE])
{
	*pn_put_time(buf, us) = '\0';
	return buf;
}

uint64_t pn_time_outside_count(void)
{
	return time_outside;
}

void pn_time_note(FILE *out, const char *who)
{
	uint64_t n = time_outside;
	if (n)
		fprintf(out,
			"%s: note: %llu time%s outside 1970-9999 %s printed as "
			"seconds since 1970 (@SECONDS)\n",
			who, (unsigned long long)n, n == 1 ? "" : "s",
			n == 1 ? "is" : "are");
}

/* Why the last pn_out_write failed: stdio keeps no errno of its own. */
static _Thread_local int write_errno;

/* SIGPIPE's default was in force when portnote started: a reader that
 * went away ends the run quietly, and the process then dies of SIGPIPE
 * (pn_out_reraise_sigpipe). A caller that ignored SIGPIPE asked for EPIPE
 * as an error instead. */
static bool epipe_quiet, epipe_seen;

void pn_out_quiet_epipe(bool quiet)
{
	epipe_quiet = quiet;
}

bool pn_out_lost(int err)
{
	return err && !(err == EPIPE && epipe_quiet);
}

void pn_out_reraise_sigpipe(void)
{
	if (!epipe_seen || !epipe_quiet)
		return;
	fflush(stderr);
	signal(SIGPIPE, SIG_DFL);
	raise(SIGPIPE);
}

void pn_line_alloc(struct pn_line *l, size_t size)
{
	*l = (struct pn_line){malloc(size), 0, size, false};
	if (!l->buf) {
		fprintf(stderr, "portnote: out of memory\n");
		exit(70);
	}
}

/* "00" to "99": numbers are written two digits at a time. */
static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

char *pn_put_u64(char *p, uint64_t v)
{
	/* Most counts in a record are small. */
	if (v < 10) {
		*p = (char)('0' + v);
		return p + 1;
	}
	if (v < 100) {
		p[0] = digit_pairs[v * 2];
		p[1] = digit_pairs[v * 2 + 1];
		return p + 2;
	}
	/* Written in place from its last digit: no copy. */
	unsigned n = 1;
	for (uint64_t x = v; x >= 10; x /= 10)
		n++;
	char *q = p + n;
	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;
		v /= 100;
		*--q = digit_pairs[d + 1];
		*--q = digit_pairs[d];
	}
	if (v >= 10) {
		*--q = digit_pairs[v * 2 + 1];
		*--q = digit_pairs[v * 2];
	} else {
		*--q = (char)('0' + v);
	}
	return p + n;
}

void pn_line_u64(struct pn_line *l, uint64_t v)
{
	char tmp[PN_PUT_U64_MAX];
	pn_line_mem(l, tmp, (size_t)(pn_put_u64(tmp, v) - tmp));
}

char *pn_put_json(char *p, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		p = pn_put_mem(p, run, (size_t)(s - run));
		*p++ = '\\';
		if (c == '"' || c == '\\') {
			*p++ = (char)c;
		} else {
			p = pn_put_mem(p, "u00", 3);
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
		run = s + 1;
	}
	return pn_put_mem(p, run, (size_t)(s - run));
}

void pn_line_json(struct pn_line *l, const char *s)
{
	const char *run = s;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		pn_line_mem(l, run, (size_t)(s - run));
		char one[2] = {(char)c, '\0'}, esc[8];
		pn_line_mem(l, esc, (size_t)(pn_put_json(esc, one) - esc));
		run = s + 1;
	}
	pn_line_mem(l, run, (size_t)(s - run));
}

char *pn_put_addr(char *p, const uint8_t addr[16], int ip_version)
{
	if (ip_version != 4) {
		char text[INET6_ADDRSTRLEN];
		const char *t = pn_addr_text(addr, ip_version, text);
		return pn_put_mem(p, t, strlen(t));
	}
	for (int i = 0; i < 4; i++) {
		unsigned o = addr[12 + i];
		if (i)
			*p++ = '.';
		if (o >= 100) {
			*p++ = (char)('0' + o / 100);
			o %= 100;
			*p++ = digit_pairs[o * 2];
			*p++ = digit_pairs[o * 2 + 1];
		} else if (o >= 10) {
			*p++ = digit_pairs[o * 2];
			*p++ = digit_pairs[o * 2 + 1];
		} else {
			*p++ = (char)('0' + o);
		}
	}
	return p;
}

void pn_line_addr(struct pn_line *l, const uint8_t addr[16], int ip_version)
{
	char text[PN_PUT_ADDR_MAX];
	pn_line_mem(l, text,
		    (size_t)(pn_put_addr(text, addr, ip_version) - text));
}

char *pn_put_time(char *p, pn_time_us us)
{
	if (!pn_time_is_iso(us)) {
		/* The magnitude as unsigned: -INT64_MIN does not fit. */
		uint64_t m = us < 0 ? -(uint64_t)us : (uint64_t)us;
		int n = snprintf(p, PN_TIME_TEXT_SIZE, "@%s%llu.%06u",
				 us < 0 ? "-" : "",
				 (unsigned long long)(m / PN_US_PER_SEC),
				 (unsigned)(m % PN_US_PER_SEC));
		time_outside++;
		return p + (n > 0 ? n : 0);
	}
	/* "YYYY-MM-DDTHH:MM:SS.ffffffZ". Records come in time order, many
	 * to a second: the second is formatted once (gmtime and strftime
	 * are most of the cost), the microseconds two digits at a time. */
	static _Thread_local time_t last_sec = -1;
	static _Thread_local char sec_text[24];
	time_t sec = (time_t)(us / PN_US_PER_SEC);
	if (sec != last_sec) {
		struct tm tm;
		gmtime_r(&sec, &tm);
		strftime(sec_text, sizeof sec_text, "%Y-%m-%dT%H:%M:%S", &tm);
		last_sec = sec;
	}
	memcpy(p, sec_text, 19);
	p[19] = '.';
	unsigned us6 = (unsigned)(us % PN_US_PER_SEC);
	for (int i = 24; i >= 20; i -= 2, us6 /= 100) {
		p[i] = digit_pairs[us6 % 100 * 2];
		p[i + 1] = digit_pairs[us6 % 100 * 2 + 1];
	}
	p[26] = 'Z';
	return p + 27;
}

void pn_line_time(struct pn_line *l, pn_time_us us)
{
	char t[PN_TIME_TEXT_SIZE];
	pn_line_mem(l, t, (size_t)(pn_put_time(t, us) - t));
}

size_t pn_out_write(const void *p, size_t n, FILE *f)
{
	size_t w = fwrite(p, 1, n, f);
	if (w != n)
		write_errno = errno;
	return w;
}

/* True when `fd` is a pipe or socket whose reader is gone: the cause of a
 * failed write stdio did not keep. */
static bool reader_gone(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	return fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

bool pn_out_failed(FILE *f)
{
	/* Asked once per packet: the flag is read without stdio's lock (only
	 * the thread that writes the stream asks). */
	if (!ferror_unlocked(f))
		return false;
	/* Just after the failing write: its errno is still the cause. */
	if (!write_errno)
		write_errno = errno;
	return true;
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
	if (!e && reader_gone(fileno(f)))
		e = EPIPE;
	if (e == EPIPE)
		epipe_seen = true;
	return e ? e : -1;
}

void pn_out_report(const char *who, const char *name, int err)
{
	/* The reader went away (`| head`): it chose to read no more. */
	if (!pn_out_lost(err))
		return;
	fprintf(stderr, "%s: %s: %s\n", who, pn_safe(name),
		err > 0 ? strerror(err) : "write error");
}

int pn_out_flush(FILE *f, const char *name, const char *who)
{
	int e = pn_out_error(f);
	if (e)
		pn_out_report(who, name, e);
	return pn_out_lost(e) ? -1 : 0;
}

int pn_out_close(FILE *f, const char *name, const char *who)
{
	int rc = pn_out_flush(f, name, who);
	if (f == stdout || f == stderr)
		return rc;
	if (fclose(f) != 0 && rc == 0) {
		fprintf(stderr, "%s: %s: %s\n", who, pn_safe(name),
			strerror(errno));
		rc = -1;
	}
	return rc;
}
