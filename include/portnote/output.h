/* output.h — the three output formats every command offers. Text is for
 * people; JSON (one object per line where the output is a stream) and CSV
 * (RFC 4180 quoting, LF line ends, one header row) are for programs. */
#ifndef PORTNOTE_OUTPUT_H
#define PORTNOTE_OUTPUT_H

#include "portnote/timeus.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum pn_format { PN_FORMAT_TEXT, PN_FORMAT_JSON, PN_FORMAT_CSV };

/* "text", "json", "csv" -> format; -1 otherwise. */
int pn_format_parse(const char *s);

/* Writes `obj` as one compact JSON line and releases it. */
void pn_out_json_line(FILE *out, json_t *obj);

/* Writes one CSV record of `n` fields (NULL fields are empty). */
void pn_out_csv_row(FILE *out, const char *const *fields, int n);

/* An address as text: IPv4 from the mapped form when ip_version is 4.
 * buf holds at least 46 bytes (INET6_ADDRSTRLEN). */
const char *pn_addr_text(const uint8_t addr[16], int ip_version, char *buf);

/* TCP flags in tcpdump's letters (FSRPUWE, ACK as '.'), "-" for none. */
const char *pn_tcp_flags_text(uint8_t flags, char buf[12]);

/* Capture times, in every output (text, JSON, CSV, live): ISO 8601 UTC
 * with microseconds, "2026-01-15T09:00:00.000000Z", for times from
 * 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z; any other time as
 * "@" and its seconds since 1970 with six decimals ("@-1.000000",
 * "@253402300800.000000"), never as a broken ISO 8601 year. JSON and CSV
 * carry the same text as a string. Each time written the second way is
 * counted for pn_time_note. */
#define PN_TIME_TEXT_SIZE 40
#define PN_TIME_ISO_END ((pn_time_us)253402300800 * PN_US_PER_SEC)

static inline int pn_time_is_iso(pn_time_us us)
{
	return us >= 0 && us < PN_TIME_ISO_END;
}

const char *pn_time_text(pn_time_us us, char buf[PN_TIME_TEXT_SIZE]);

/* How many times pn_time_text wrote as seconds in this run. */
uint64_t pn_time_outside_count(void);

/* When there were any, one line on `out`: "WHO: note: N times outside
 * 1970-9999 are printed as seconds since 1970 (@SECONDS)". */
void pn_time_note(FILE *out, const char *who);

/* A JSON string, or null for NULL. */
json_t *pn_json_str(const char *s);

/* Untrusted text (rule text and comments, file and interface names,
 * registry fields of a --registry file, command-line words) never reaches a
 * terminal raw: an ESC in a comment could move the cursor and erase lines.
 * In text output and messages every C0 control character and DEL is
 * written as \t, \n, \r or \xNN, a C1 control (U+0080-U+009F, which
 * terminals obey too) as \u00NN, and each byte that is not part of valid
 * UTF-8 as \xNN; everything else, backslashes included, is written as it
 * is, so the text stays as written (an escaped ESC and a literal "\x1b"
 * look alike: JSON keeps the difference). CSV keeps tab, CR and LF, which
 * its quoting carries, and escapes the rest the same way. */
enum pn_safe_mode { PN_SAFE_TEXT, PN_SAFE_CSV };

/* The number of bytes `s` takes escaped in `mode`, whether any byte needs
 * escaping (*changed), and, with out != NULL, the escaped text written to
 * out (which holds that many bytes plus the NUL). */
size_t pn_out_escape(const char *s, enum pn_safe_mode mode, char *out,
		     bool *changed);

/* Writes `s` escaped for text output. */
void pn_out_safe_text(FILE *out, const char *s);

/* `s` itself when it needs no escaping, otherwise its escaped text in one
 * of 8 buffers of this thread, valid until the eighth call after (so up to
 * 8 may sit in one printf); escaped text past 16 KiB is cut with "...".
 * NULL stays NULL. For printf arguments: printf("# %s\n", pn_safe(name)). */
const char *pn_safe(const char *s);

/* Lost writes. Output is data: a write that fails (a full disk, a device
 * error) must not end with exit status 0. A reader that goes away (`|
 * head`) is EPIPE (main ignores SIGPIPE so that the run can end with its
 * other outputs whole): if SIGPIPE's default was in force when portnote
 * started, that is no error to report, and portnote dies of SIGPIPE at
 * the end as it would have; if the caller ignored SIGPIPE, it is a lost
 * write like any other. */
void pn_out_quiet_epipe(bool quiet);
/* Whether an error of pn_out_error is a lost write to report. */
bool pn_out_lost(int err);
/* At the very end: dies of SIGPIPE if a quiet EPIPE was seen. */
void pn_out_reraise_sigpipe(void);

/* fwrite that remembers why it failed, for writes that bypass stdio's
 * buffer (whose error a later fflush can no longer name). */
size_t pn_out_write(const void *p, size_t n, FILE *f);

/* A record built in memory and written in one write: the JSON records of
 * the streams (packets, flows) are mostly fixed text, numbers and names
 * already escaped, which printf and per-byte stdio cost many times over.
 * buf is the caller's; bytes past `limit` are dropped (a record cut rather
 * than a buffer overrun, and `cut` set), so a caller keeps room past limit
 * to close it, or builds the record again in a larger buffer. */
struct pn_line {
	char *buf;
	size_t n, limit;
	bool cut; /* bytes were dropped */
};

/* Inline: most pieces are literals of a known length, which the compiler
 * then copies with a move or two instead of a call. */
static inline void pn_line_mem(struct pn_line *l, const void *s, size_t len)
{
	size_t room = l->limit > l->n ? l->limit - l->n : 0;
	if (len > room) {
		len = room;
		l->cut = true;
	}
	memcpy(l->buf + l->n, s, len);
	l->n += len;
}

static inline void pn_line_str(struct pn_line *l, const char *s)
{
	pn_line_mem(l, s, strlen(s));
}

/* A string literal, its length known at compile time. */
#define PN_LINE_LIT(l, lit) pn_line_mem((l), "" lit, sizeof(lit) - 1)
/* An empty line of `size` bytes on the heap, for a record past its usual
 * buffer (portnote exits, status 70, when memory runs out); free(l->buf)
 * when done. */
void pn_line_alloc(struct pn_line *l, size_t size);
void pn_line_u64(struct pn_line *l, uint64_t v);
/* s as the inside of a JSON string (quotes, backslashes and C0 controls
 * escaped; plain runs copied whole). */
void pn_line_json(struct pn_line *l, const char *s);
/* An address as pn_addr_text writes it. */
void pn_line_addr(struct pn_line *l, const uint8_t addr[16], int ip_version);
/* A time as pn_time_text writes it. */
void pn_line_time(struct pn_line *l, pn_time_us us);

/* The same pieces written at a cursor into a buffer the caller has made
 * large enough (a record whose size it bounded first), each returning the
 * cursor after it: no check per piece. */
#define PN_PUT_U64_MAX 20
#define PN_PUT_ADDR_MAX 46 /* INET6_ADDRSTRLEN - 1 */
#define PN_PUT_TIME_MAX (PN_TIME_TEXT_SIZE - 1)
char *pn_put_u64(char *p, uint64_t v);
char *pn_put_addr(char *p, const uint8_t addr[16], int ip_version);
char *pn_put_time(char *p, pn_time_us us);
/* At most 6 bytes per byte of s (\u00XX). */
char *pn_put_json(char *p, const char *s);

static inline char *pn_put_mem(char *p, const void *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PN_PUT_LIT(p, lit) ((p) = pn_put_mem((p), "" lit, sizeof(lit) - 1))

/* ferror(f), keeping errno as the cause when it is: for a check made right
 * after writing (fprintf leaves no cause that a later flush could name). */
bool pn_out_failed(FILE *f);

/* Flushes `f` and checks it for a write error, now or since the last
 * check: 0 if there was none, else its errno (-1 if its cause is unknown),
 * with the stream's error cleared so that it is reported once. */
int pn_out_error(FILE *f);

/* Prints "WHO: NAME: reason" on stderr for an error of pn_out_error
 * that pn_out_lost counts. */
void pn_out_report(const char *who, const char *name, int err);

/* pn_out_error, and on a lost write prints "WHO: NAME: reason" on stderr
 * ("portnote flows: standard output: No space left on device") and returns
 * -1; 0 otherwise. */
int pn_out_flush(FILE *f, const char *name, const char *who);

/* pn_out_flush, then fclose (not for stdout or stderr, which stay open):
 * -1 after reporting a failure of either, 0 otherwise. */
int pn_out_close(FILE *f, const char *name, const char *who);

/* The name of standard output in those messages. */
#define PN_STDOUT_NAME "standard output"

#endif
