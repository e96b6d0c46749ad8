/* capture.c — the libpcap loop: files in order or one interface, a BPF
 * filter, decoding, and a clean stop on signals, --count and --duration. */
/* fopencookie and __fsetlocking, for reading capture files ahead. */
#define _GNU_SOURCE
#include "portnote/capture.h"
#include "portnote/output.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void pn_capture_options_init(struct pn_capture_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->snaplen = PN_CAPTURE_SNAPLEN;
	opts->promisc = true;
}

/* The handle being read, for the signal handler's pcap_breakloop. */
static pcap_t *volatile current;
static volatile sig_atomic_t stop_requested, stop_signal, stop_asked;

/* Signals that end a run with its outputs whole: SIGINT, SIGTERM and
 * SIGHUP (a closed terminal or SSH session) end it as asked; SIGUSR1,
 * SIGUSR2 and SIGALRM end it too, and the command then dies of them as
 * their default would have (pn_capture_reraise), with nothing lost. */
static const int stop_signals[] = {SIGINT,  SIGTERM, SIGHUP,
				   SIGUSR1, SIGUSR2, SIGALRM};
#define N_STOP_SIGNALS (sizeof stop_signals / sizeof stop_signals[0])

static void on_signal(int sig)
{
	if (!stop_signal)
		stop_signal = sig;
	stop_requested = 1;
	pcap_t *p = current;
	if (p)
		pcap_breakloop(p);
}

void pn_capture_stop(void)
{
	stop_asked = 1;
	pcap_t *p = current;
	if (p)
		pcap_breakloop(p);
}

int pn_capture_thread(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void pn_capture_hold_signals(bool hold)
{
	for (size_t i = 0; i < N_STOP_SIGNALS; i++)
		signal(stop_signals[i], hold ? SIG_IGN : SIG_DFL);
}

void pn_capture_reraise(void)
{
	int sig = stop_signal;
	if (sig != SIGUSR1 && sig != SIGUSR2 && sig != SIGALRM)
		return;
	fflush(NULL);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The status line of a long file read (opts->progress). */
struct read_ahead;
struct progress {
	bool on, shown;
	const char *who;
	double start, last; /* monotonic seconds */
	uint64_t total;	    /* bytes of every regular input file */
	uint64_t done;	    /* bytes of the files read before this one */
	uint64_t size;	    /* of this file; 0 when not a regular file */
	const struct read_ahead *ahead; /* this file's reader, or NULL */
};

struct loop {
	const struct pn_capture_options *opts;
	struct progress progress;
	pn_capture_fn fn;
	void *ctx;
	struct pn_capture_source src;
	struct pn_capture_stats *stats;
	pcap_t *p;
	struct walk *walk; /* the file's records are walked (see walk) */
	bool stop;
	double deadline;  /* monotonic seconds; 0: none */
	double next_tick; /* monotonic seconds */
};

static double monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t ahead_delivered(const struct read_ahead *r);

/* "1.2 GiB", "340 KiB": at most four digits, for a line that must fit. */
static const char *size_text(uint64_t n, char buf[16])
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	unsigned u = 0;
	while (v >= 1024 && u < 4)
		v /= 1024, u++;
	snprintf(buf, 16, u && v < 10 ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

static const char *count_text(double n, char buf[16])
{
	if (n >= 1e9)
		snprintf(buf, 16, "%.1fG", n / 1e9);
	else if (n >= 1e6)
		snprintf(buf, 16, "%.1fM", n / 1e6);
	else if (n >= 1e4)
		snprintf(buf, 16, "%.0fk", n / 1e3);
	else
		snprintf(buf, 16, "%.0f", n);
	return buf;
}

static const char *duration_text(double s, char buf[32])
{
	unsigned long t = s > 0 ? (unsigned long)(s + 0.5) : 0;
	if (t >= 3600)
		snprintf(buf, 32, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60,
			 t % 60);
	else
		snprintf(buf, 32, "%lu:%02lu", t / 60, t % 60);
	return buf;
}

static void progress_erase(struct progress *pr)
{
	if (!pr->shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	pr->shown = false;
}

/* Rewrites the line, at most four times a second. It is cut to the
 * terminal's width: a wrapped line could not be erased with \r. */
static void progress_show(struct progress *pr, uint64_t packets)
{
	double now = monotonic();
	if (now - pr->last < 0.25)
		return;
	pr->last = now;
	double elapsed = now - pr->start;
	uint64_t read = pr->done + (pr->ahead ? ahead_delivered(pr->ahead) : 0);
	char a[16], b[16], c[16], d[16], e[32], f[32], line[256];
	int n = snprintf(line, sizeof line, "%s: ", pr->who);
	if (pr->total && pr->ahead) {
		n += snprintf(line + n, sizeof line - (size_t)n,
			      "%s of %s (%.0f%%), ", size_text(read, a),
			      size_text(pr->total, b),
			      100.0 * (double)read / (double)pr->total);
	}
	n +=
	    snprintf(line + n, sizeof line - (size_t)n,
		     "%s packets, %s packets/s, %s elapsed",
		     count_text((double)packets, c),
		     count_text(elapsed > 0 ? (double)packets / elapsed : 0, d),
		     duration_text(elapsed, e));
	if (pr->total && pr->ahead && read > 0 && elapsed >= 1 &&
	    read <= pr->total)
		snprintf(line + n, sizeof line - (size_t)n, ", %s left",
			 duration_text(elapsed * (double)(pr->total - read) /
					   (double)read,
				       f));
	struct winsize ws;
	size_t width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col
			   ? ws.ws_col
			   : 80;
	if (strlen(line) >= width)
		line[width - 1] = '\0';
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	pr->shown = true;
}

/* The packet path: count, hand over. Nothing here allocates. */
static void deliver(struct loop *l, const struct pcap_pkthdr *hdr,
		    const u_char *bytes, const struct pn_packet *p)
{
	l->src.frame++;
	pn_decode_count(&l->stats->decode, p);
	l->stats->packets++;
	l->stats->bytes += hdr->len;
	/* Microseconds: every source is opened at that precision. */
	pn_time_us ts_us = pn_time_from_timeval(&hdr->ts);
	if (ts_us < l->stats->previous_us) {
		int64_t step = pn_time_sub(l->stats->previous_us, ts_us);
		l->stats->time_steps_back++;
		if (step > l->stats->time_step_back_max_us)
			l->stats->time_step_back_max_us = step;
	}
	l->stats->previous_us = ts_us;
	bool go_on = l->fn(l->ctx, &l->src, hdr, bytes, p);
	if (l->opts->count && l->stats->packets >= l->opts->count)
		go_on = false;
	/* A file is read in one pcap_dispatch call, so the clock is checked
	 * here too, though not on every packet. */
	if (l->deadline > 0 && (l->src.frame & 1023) == 0 &&
	    monotonic() >= l->deadline)
		go_on = false;
	if (!go_on) {
		l->stop = true;
		if (!l->walk)
			pcap_breakloop(l->p);
	}
}

/* libpcap's callback: decode, then as above. */
static void on_packet(u_char *user, const struct pcap_pkthdr *hdr,
		      const u_char *bytes)
{
	struct pn_packet pkt;
	pn_decode_packet(((struct loop *)user)->src.linktype, bytes,
			 hdr->caplen, hdr->len, &pkt);
	deliver((struct loop *)user, hdr, bytes, &pkt);
}

/* Compiles the filter for one handle and, unless only checking, sets it;
 * with keep, the program is left there instead (a walked file applies it
 * itself). */
static bool set_filter(pcap_t *p, const char *filter, const char *who,
		       const char *name, bool check_only, FILE *diag,
		       struct bpf_program *keep)
{
	struct bpf_program prog;
	if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		fprintf(diag, "%s: %s: bad filter expression '%s': %s\n", who,
			pn_safe(name), pn_safe(filter),
			pn_safe(pcap_geterr(p)));
		return false;
	}
	if (keep) {
		*keep = prog;
		return true;
	}
	if (check_only) {
		pcap_freecode(&prog);
		return true;
	}
	int rc = pcap_setfilter(p, &prog);
	pcap_freecode(&prog);
	if (rc != 0) {
		fprintf(diag, "%s: %s: cannot set filter: %s\n", who,
			pn_safe(name), pn_safe(pcap_geterr(p)));
		return false;
	}
	return true;
}

/* Gives up what opened the handle: hostile traffic is decoded, and
 * outputs are created, without it. */
static bool drop_privileges(const char *user, const char *who, FILE *diag)
{
	if (geteuid() != 0) {
		/* Started unprivileged with capabilities (setcap
		 * cap_net_raw): keep none of them. */
		if (user) {
			fprintf(diag,
				"%s: -Z %s needs root; started as uid %u\n",
				who, user, (unsigned)geteuid());
			return false;
		}
		capng_clear(CAPNG_SELECT_BOTH);
		if (capng_apply(CAPNG_SELECT_BOTH) != 0) {
			fprintf(diag, "%s: cannot drop capabilities\n", who);
			return false;
		}
	} else {
		if (!user)
			user = "nobody";
		errno = 0;
		struct passwd *pw = getpwnam(user);
		if (!pw) {
			fprintf(diag, "%s: -Z %s: no such user%s%s\n", who,
				pn_safe(user), errno ? ": " : "",
				errno ? strerror(errno) : "");
			return false;
		}
		if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
		    setuid(pw->pw_uid) != 0) {
			fprintf(diag, "%s: cannot run as %s: %s\n", who,
				pn_safe(user), strerror(errno));
			return false;
		}
		if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
			fprintf(diag,
				"%s: could regain root after switching to "
				"%s; stopping\n",
				who, pn_safe(user));
			return false;
		}
	}
	/* Nothing run from here (none is) could gain privileges back. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		fprintf(diag, "%s: cannot set no_new_privs: %s\n", who,
			strerror(errno));
		return false;
	}
	return true;
}

static pcap_t *open_live(const struct pn_capture_options *o, const char *who,
			 FILE *diag)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create(o->iface, err);
	if (!p) {
		fprintf(diag, "%s: %s: %s\n", who, pn_safe(o->iface),
			pn_safe(err));
		return NULL;
	}
	pcap_set_snaplen(p, o->snaplen);
	pcap_set_promisc(p, o->promisc);
	/* A bounded read timeout lets --duration and signals end the loop
	 * even when no packet arrives. */
	pcap_set_timeout(p, PN_CAPTURE_TIMEOUT_MS);
	pcap_set_immediate_mode(p, o->immediate);
	if (o->buffer_size > 0)
		pcap_set_buffer_size(p, o->buffer_size);
	int rc = pcap_activate(p);
	if (rc < 0) {
		const char *detail = pcap_geterr(p);
		fprintf(diag, "%s: %s: cannot capture: %s%s%s\n", who,
			pn_safe(o->iface), pcap_statustostr(rc),
			*detail ? ": " : "", pn_safe(detail));
		pcap_close(p);
		return NULL;
	}
	if (rc > 0)
		fprintf(diag, "%s: %s: warning: %s: %s\n", who,
			pn_safe(o->iface), pcap_statustostr(rc),
			pn_safe(pcap_geterr(p)));
	if (pcap_setnonblock(p, 1, err) != 0)
		fprintf(diag, "%s: %s: warning: %s\n", who, pn_safe(o->iface),
			pn_safe(err));
	if (!drop_privileges(o->user, who, diag)) {
		pcap_close(p);
		return NULL;
	}
	return p;
}

/* A capture file read ahead by a second thread.
 *
 * Reading a large capture is mostly the copy of the file out of the page
 * cache, and a bare libpcap loop pays it on its one core. Here a reader
 * thread pays it on another: it preads the file into a small ring of
 * chunks that stays in the shared cache, and libpcap's freads take their
 * bytes from there. Only the reader touches the descriptor; only the
 * caller's thread touches the FILE. */
#define AHEAD_CHUNK (256u << 10)
#define AHEAD_CHUNKS 8u

struct ahead_chunk {
	size_t len;
	int err;  /* errno of a failed pread(), 0 if none */
	bool end; /* nothing follows this chunk */
};

struct read_ahead {
	uint64_t delivered; /* bytes handed to stdio: the consumer's own */
	int fd;
	off_t offset; /* the reader's: pread leaves the descriptor's own
			 offset alone, for stdio if the FILE cannot be made */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t filled, drained;
	unsigned produced, consumed; /* chunks, counted from the start */
	bool closing;
	size_t pos; /* the consumer's offset in chunk consumed % N */
	/* The walker's own position (walk, below): chunk walked % N, offset
	 * wpos, and whether that chunk is produced; chunks before `walked`
	 * are released (consumed) only once their records are delivered. */
	unsigned walked;
	size_t wpos;
	bool whave;
	uint64_t wdelivered;
	struct ahead_chunk chunk[AHEAD_CHUNKS];
	char *data; /* AHEAD_CHUNKS * AHEAD_CHUNK bytes */
};

static void *ahead_main(void *arg)
{
	struct read_ahead *r = arg;
	for (;;) {
		pthread_mutex_lock(&r->lock);
		/* Full: sleep until half the ring is free, so that the reader
		 * is woken once per AHEAD_CHUNKS / 2 chunks, not per chunk. */
		if (r->produced - r->consumed == AHEAD_CHUNKS)
			while (r->produced - r->consumed > AHEAD_CHUNKS / 2 &&
			       !r->closing)
				pthread_cond_wait(&r->drained, &r->lock);
		bool closing = r->closing;
		unsigned slot = r->produced % AHEAD_CHUNKS;
		pthread_mutex_unlock(&r->lock);
		if (closing)
			return NULL;
		char *buf = r->data + (size_t)slot * AHEAD_CHUNK;
		struct ahead_chunk c = {0, 0, false};
		while (c.len < AHEAD_CHUNK) {
			ssize_t n = pread(r->fd, buf + c.len,
					  AHEAD_CHUNK - c.len, r->offset);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				c.err = n < 0 ? errno : 0;
				c.end = true;
				break;
			}
			c.len += (size_t)n;
			r->offset += n;
		}
		pthread_mutex_lock(&r->lock);
		r->chunk[slot] = c;
		r->produced++;
		pthread_cond_signal(&r->filled);
		pthread_mutex_unlock(&r->lock);
		if (c.end)
			return NULL;
	}
}

static ssize_t ahead_read(void *cookie, char *buf, size_t size)
{
	struct read_ahead *r = cookie;
	size_t done = 0;
	while (done < size) {
		pthread_mutex_lock(&r->lock);
		while (r->produced == r->consumed)
			pthread_cond_wait(&r->filled, &r->lock);
		pthread_mutex_unlock(&r->lock);
		unsigned slot = r->consumed % AHEAD_CHUNKS;
		const struct ahead_chunk *c = &r->chunk[slot];
		size_t n = c->len - r->pos;
		if (n > size - done)
			n = size - done;
		memcpy(buf + done,
		       r->data + (size_t)slot * AHEAD_CHUNK + r->pos, n);
		r->pos += n;
		done += n;
		r->delivered += n;
		if (r->pos < c->len)
			break;
		if (c->end) {
			if (c->err && done == 0) {
				errno = c->err;
				return -1;
			}
			break;
		}
		pthread_mutex_lock(&r->lock);
		r->consumed++;
		r->pos = 0;
		if (r->produced - r->consumed == AHEAD_CHUNKS / 2)
			pthread_cond_signal(&r->drained);
		pthread_mutex_unlock(&r->lock);
	}
	return (ssize_t)done;
}

static uint64_t ahead_delivered(const struct read_ahead *r)
{
	return r->delivered;
}

static void ahead_free(struct read_ahead *r)
{
	pthread_cond_destroy(&r->filled);
	pthread_cond_destroy(&r->drained);
	pthread_mutex_destroy(&r->lock);
	free(r->data);
	free(r);
}

static void ahead_stop(struct read_ahead *r)
{
	pthread_mutex_lock(&r->lock);
	r->closing = true;
	pthread_cond_signal(&r->drained);
	pthread_cond_broadcast(&r->filled); /* a walker waiting for more */
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
}

/* The walker's records before chunk `to` are delivered: their chunks may
 * be read into again. */
static void ahead_release(struct read_ahead *r, unsigned to)
{
	pthread_mutex_lock(&r->lock);
	unsigned before = r->produced - r->consumed;
	r->consumed = to;
	if (before > AHEAD_CHUNKS / 2 &&
	    r->produced - r->consumed <= AHEAD_CHUNKS / 2)
		pthread_cond_signal(&r->drained);
	pthread_mutex_unlock(&r->lock);
}

static int ahead_close(void *cookie)
{
	struct read_ahead *r = cookie;
	ahead_stop(r);
	int rc = close(r->fd);
	ahead_free(r);
	return rc;
}

/* Starts reading fd ahead from `offset`. NULL if the thread or its
 * memory cannot be had. */
static struct read_ahead *ahead_start(int fd, off_t offset)
{
	struct read_ahead *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->fd = fd;
	r->offset = offset;
	r->data = malloc((size_t)AHEAD_CHUNKS * AHEAD_CHUNK);
	if (!r->data || pthread_mutex_init(&r->lock, NULL) != 0) {
		free(r->data);
		free(r);
		return NULL;
	}
	pthread_cond_init(&r->filled, NULL);
	pthread_cond_init(&r->drained, NULL);
	if (pn_capture_thread(&r->thread, ahead_main, r) != 0) {
		ahead_free(r);
		return NULL;
	}
	return r;
}

/* Reads fd ahead, through a FILE for libpcap. NULL if the thread or its
 * memory cannot be had; the caller then reads fd through stdio. */
static FILE *ahead_open(int fd, struct read_ahead **out)
{
	struct read_ahead *r = ahead_start(fd, 0);
	if (!r)
		return NULL;
	static const cookie_io_functions_t io = {ahead_read, NULL, NULL,
						 ahead_close};
	FILE *f = fopencookie(r, "r", io);
	if (!f) {
		ahead_stop(r);
		ahead_free(r);
		return NULL;
	}
	/* Only the caller's thread uses the FILE: no stdio locking. */
	__fsetlocking(f, FSETLOCKING_BYCALLER);
	*out = r;
	return f;
}

/* Regular pcap files are walked in the reader's ring itself: a record that
 * lies inside one chunk goes to the decoder in place, one that straddles
 * two is assembled once, and neither passes through stdio's buffer or
 * libpcap's (two copies and two freads per record). libpcap still opens
 * the file, checks its header and gives the link type and snapshot length,
 * and compiles -f, applied here per record with pcap_offline_filter.
 * Damaged records end the file as libpcap ends it, in its words. pcapng,
 * standard input and pcap variants it adjusts records of (versions before
 * 2.4, the modified formats) keep libpcap's reader, as does
 * --libpcap-reader. */
#define WALK_MAX_CAPLEN 262144u /* libpcap's bound for these link types */

/* The walker runs on a thread of its own and decodes as it walks, so the
 * caller's thread only counts and hands over: records go to it in
 * batches, each saying which chunks its records are done with. */
#define WALK_BATCH 512
#define WALK_BATCHES 8

struct walked {
	struct pcap_pkthdr h;
	const uint8_t *data;
	struct pn_packet pkt;
};

struct walk_batch {
	unsigned n;
	unsigned release_to; /* chunks before it are done with after it */
	uint64_t bytes_to;   /* of the file, walked by its end */
	int end;	     /* 0: more follow; 1: the end of the file after
				it; PCAP_ERROR: then err */
	struct walked rec[WALK_BATCH];
};

struct walk {
	struct read_ahead *r;
	bool swapped; /* the file's byte order is not ours */
	bool nano;    /* nanosecond timestamps, given as microseconds */
	uint32_t snapshot;
	int linktype;
	bool filtered;
	struct bpf_program prog;
	char err[PCAP_ERRBUF_SIZE];
	uint8_t head[16];
	uint8_t discard[4096];
	/* A record that starts in chunk k and crosses into the next is
	 * assembled in straddle[k % N]: it lives as long as chunk k. */
	uint8_t *straddle[AHEAD_CHUNKS];
	size_t straddle_size[AHEAD_CHUNKS];
	/* Batches: filled by the walk thread, taken by the caller's. */
	struct walk_batch *batch; /* WALK_BATCHES */
	unsigned filled, taken;	  /* under lock */
	bool stopping;		  /* under lock */
	pthread_mutex_t lock;
	pthread_cond_t ready, room;
	pthread_t thread;
	bool started, ended;	/* the caller's */
	struct walk_batch *cur; /* the caller's: being delivered */
	unsigned at;
};

/* The unread bytes of the chunk being walked, waiting for it: NULL at the
 * end of the file, with *err the read's errno if it failed. */
static const uint8_t *ahead_bytes(struct read_ahead *r, size_t *len, int *err)
{
	for (;;) {
		if (!r->whave) {
			pthread_mutex_lock(&r->lock);
			while (r->produced == r->walked && !r->closing)
				pthread_cond_wait(&r->filled, &r->lock);
			bool closing = r->produced == r->walked;
			pthread_mutex_unlock(&r->lock);
			if (closing) {
				*len = 0;
				return NULL;
			}
			r->whave = true;
		}
		unsigned slot = r->walked % AHEAD_CHUNKS;
		const struct ahead_chunk *c = &r->chunk[slot];
		if (r->wpos < c->len) {
			*len = c->len - r->wpos;
			return (const uint8_t *)r->data +
			       (size_t)slot * AHEAD_CHUNK + r->wpos;
		}
		if (c->end) {
			*len = 0;
			*err = c->err;
			return NULL;
		}
		r->walked++;
		r->wpos = 0;
		r->whave = false;
	}
}

/* The buffer a record starting in the chunk being walked is assembled
 * in, n bytes at least. */
static uint8_t *straddle_buf(struct walk *w, size_t n)
{
	unsigned slot = w->r->walked % AHEAD_CHUNKS;
	if (w->straddle_size[slot] < n) {
		free(w->straddle[slot]);
		w->straddle[slot] = malloc(n);
		if (!w->straddle[slot]) {
			fprintf(stderr, "portnote: out of memory\n");
			exit(70);
		}
		w->straddle_size[slot] = n;
	}
	return w->straddle[slot];
}

/* n bytes of the file, in place or assembled in buf (NULL: in the
 * straddle buffer of the chunk they start in): how many there were
 * (fewer only at the end of the file or a failed read, *err then set). */
static size_t walk_take(struct walk *w, size_t n, uint8_t *buf,
			const uint8_t **out, int *err)
{
	struct read_ahead *r = w->r;
	size_t len;
	const uint8_t *p = ahead_bytes(r, &len, err);
	if (p && len >= n) {
		*out = p;
		r->wpos += n;
		r->wdelivered += n;
		return n;
	}
	if (!buf)
		buf = straddle_buf(w, n);
	size_t got = 0;
	while (got < n && (p = ahead_bytes(r, &len, err)) != NULL) {
		size_t k = len < n - got ? len : n - got;
		memcpy(buf + got, p, k);
		r->wpos += k;
		r->wdelivered += k;
		got += k;
	}
	*out = buf;
	return got;
}

static uint32_t walk_u32(const struct walk *w, const uint8_t *b)
{
	uint32_t v;
	memcpy(&v, b, 4);
	return w->swapped ? __builtin_bswap32(v) : v;
}

/* Sets the error text as libpcap's reader words it; returns PCAP_ERROR. */
static int walk_fail(struct walk *w, int err, const char *what, size_t want,
		     size_t got)
{
	if (err)
		snprintf(w->err, sizeof w->err, "error reading dump file: %s",
			 strerror(err));
	else
		snprintf(w->err, sizeof w->err,
			 "truncated dump file; tried to read %zu %s bytes, "
			 "only got %zu",
			 want, what, got);
	return PCAP_ERROR;
}

/* A record's header: times as libpcap reads them, signed in the file's
 * own byte order, unsigned once swapped (its SWAPLONG). */
static void walk_header(const struct walk *w, const uint8_t *h,
			struct pcap_pkthdr *ph)
{
	uint32_t sec = walk_u32(w, h), frac = walk_u32(w, h + 4);
	ph->ts.tv_sec = w->swapped ? (time_t)sec : (time_t)(int32_t)sec;
	ph->ts.tv_usec =
	    w->swapped ? (suseconds_t)frac : (suseconds_t)(int32_t)frac;
	if (w->nano)
		ph->ts.tv_usec /= 1000;
	ph->caplen = walk_u32(w, h + 8);
	ph->len = walk_u32(w, h + 12);
}

/* The next record: 1, 0 at the end of the file, or PCAP_ERROR (w->err
 * says why). */
static int walk_next(struct walk *w, struct pcap_pkthdr *ph,
		     const uint8_t **data)
{
	/* Most records lie whole in the chunk being read: taken in place at
	 * once. */
	struct read_ahead *r = w->r;
	if (r->whave) {
		unsigned slot = r->walked % AHEAD_CHUNKS;
		size_t avail = r->chunk[slot].len - r->wpos;
		const uint8_t *h = (const uint8_t *)r->data +
				   (size_t)slot * AHEAD_CHUNK + r->wpos;
		if (avail >= 16) {
			uint32_t caplen = walk_u32(w, h + 8);
			if (caplen <= w->snapshot &&
			    caplen <= WALK_MAX_CAPLEN && caplen <= avail - 16) {
				walk_header(w, h, ph);
				*data = h + 16;
				r->wpos += 16 + (size_t)caplen;
				r->wdelivered += 16 + (size_t)caplen;
				return 1;
			}
		}
	}
	const uint8_t *h;
	int err = 0;
	size_t got = walk_take(w, 16, w->head, &h, &err);
	if (got == 0 && !err)
		return 0;
	if (got < 16)
		return walk_fail(w, err, "header", 16, got);
	walk_header(w, h, ph);
	if (ph->caplen > WALK_MAX_CAPLEN) {
		if (ph->caplen > w->snapshot)
			snprintf(w->err, sizeof w->err,
				 "invalid packet capture length %u, bigger "
				 "than snaplen of %u",
				 ph->caplen, w->snapshot);
		else
			snprintf(w->err, sizeof w->err,
				 "invalid packet capture length %u, bigger "
				 "than maximum of %u",
				 ph->caplen, WALK_MAX_CAPLEN);
		return PCAP_ERROR;
	}
	if (ph->caplen <= w->snapshot) {
		got = walk_take(w, ph->caplen, NULL, data, &err);
		if (got < ph->caplen)
			return walk_fail(w, err, "captured", ph->caplen, got);
		return 1;
	}
	/* libpcap keeps the snapshot's worth and skips the rest. */
	got = walk_take(w, w->snapshot, NULL, data, &err);
	if (got < w->snapshot)
		return walk_fail(w, err, "captured", w->snapshot, got);
	size_t rest = ph->caplen - w->snapshot;
	while (rest) {
		size_t k = rest < sizeof w->discard ? rest : sizeof w->discard;
		const uint8_t *skip;
		size_t g = walk_take(w, k, w->discard, &skip, &err);
		got += g;
		if (g < k)
			return walk_fail(w, err, "captured", ph->caplen, got);
		rest -= k;
	}
	ph->caplen = w->snapshot;
	return 1;
}

/* The walk thread: records walked, filtered and decoded, a batch at a
 * time, until the end of the file, an error, or the caller stops it. */
static void *walk_main(void *arg)
{
	struct walk *w = arg;
	for (;;) {
		pthread_mutex_lock(&w->lock);
		/* Full: sleep until half the batches are free, so that the
		 * caller wakes it once per WALK_BATCHES / 2 batches. */
		if (w->filled - w->taken == WALK_BATCHES)
			while (w->filled - w->taken > WALK_BATCHES / 2 &&
			       !w->stopping)
				pthread_cond_wait(&w->room, &w->lock);
		bool stopping = w->stopping;
		struct walk_batch *b = &w->batch[w->filled % WALK_BATCHES];
		pthread_mutex_unlock(&w->lock);
		if (stopping)
			return NULL;
		b->n = 0;
		b->end = 0;
		/* A batch ends where its chunk does too: its records hold
		 * their chunks until it is delivered, and the reader needs
		 * them back to go on. */
		unsigned chunk = w->r->walked;
		while (b->n < WALK_BATCH && w->r->walked == chunk) {
			struct walked *rec = &b->rec[b->n];
			int rc = walk_next(w, &rec->h, &rec->data);
			if (rc <= 0) {
				b->end = rc == 0 ? 1 : PCAP_ERROR;
				break;
			}
			if (w->filtered &&
			    !pcap_offline_filter(&w->prog, &rec->h, rec->data))
				continue;
			pn_decode_packet(w->linktype, rec->data, rec->h.caplen,
					 rec->h.len, &rec->pkt);
			b->n++;
		}
		b->release_to = w->r->walked;
		b->bytes_to = w->r->wdelivered;
		pthread_mutex_lock(&w->lock);
		w->filled++;
		pthread_cond_signal(&w->ready);
		pthread_mutex_unlock(&w->lock);
		if (b->end)
			return NULL;
	}
}

/* pcap_dispatch for a walked file: the records delivered, 0 at the end of
 * the file, PCAP_ERROR (w->err says why) or PCAP_ERROR_BREAK. */
static int walk_dispatch(struct loop *l, struct walk *w, int max)
{
	if (!w->started) {
		w->linktype = l->src.linktype;
		int rc = pn_capture_thread(&w->thread, walk_main, w);
		if (rc != 0) {
			snprintf(w->err, sizeof w->err,
				 "cannot start reading: %s", strerror(rc));
			return PCAP_ERROR;
		}
		w->started = true;
	}
	int n = 0;
	while (!w->ended) {
		if (!w->cur) {
			pthread_mutex_lock(&w->lock);
			while (w->filled == w->taken)
				pthread_cond_wait(&w->ready, &w->lock);
			pthread_mutex_unlock(&w->lock);
			w->cur = &w->batch[w->taken % WALK_BATCHES];
			w->at = 0;
		}
		struct walk_batch *b = w->cur;
		while (w->at < b->n) {
			if (l->stop || stop_requested || stop_asked)
				return n ? n : PCAP_ERROR_BREAK;
			if (max > 0 && n >= max)
				return n;
			const struct walked *rec = &b->rec[w->at++];
			deliver(l, &rec->h, rec->data, &rec->pkt);
			n++;
		}
		w->r->delivered = b->bytes_to;
		ahead_release(w->r, b->release_to);
		int end = b->end;
		w->cur = NULL;
		pthread_mutex_lock(&w->lock);
		w->taken++;
		if (w->filled - w->taken == WALK_BATCHES / 2)
			pthread_cond_signal(&w->room);
		pthread_mutex_unlock(&w->lock);
		if (end) {
			w->ended = true;
			if (end == PCAP_ERROR)
				return PCAP_ERROR;
		}
	}
	return n;
}

static void walk_close(struct walk *w)
{
	if (!w)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->stopping = true;
		pthread_cond_signal(&w->room);
		pthread_mutex_unlock(&w->lock);
	}
	/* A walker waiting for the reader is let go with it. */
	ahead_stop(w->r);
	if (w->started)
		pthread_join(w->thread, NULL);
	close(w->r->fd);
	ahead_free(w->r);
	if (w->filtered)
		pcap_freecode(&w->prog);
	for (unsigned i = 0; i < AHEAD_CHUNKS; i++)
		free(w->straddle[i]);
	pthread_cond_destroy(&w->ready);
	pthread_cond_destroy(&w->room);
	pthread_mutex_destroy(&w->lock);
	free(w->batch);
	free(w);
}

/* A walker for the file libpcap opened as p, or NULL when libpcap's own
 * reader is to read it (see above). */
static struct walk *walk_open(const char *name, pcap_t *p)
{
	int fd = open(name, O_RDONLY);
	if (fd < 0)
		return NULL;
	uint8_t hdr[24];
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    pread(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr) {
		close(fd);
		return NULL;
	}
	uint32_t magic;
	memcpy(&magic, hdr, 4);
	bool swapped = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
	bool nano = magic == 0xa1b23c4du || magic == 0x4d3cb2a1u;
	uint16_t major, minor;
	memcpy(&major, hdr + 4, 2);
	memcpy(&minor, hdr + 6, 2);
	if (swapped) {
		major = __builtin_bswap16(major);
		minor = __builtin_bswap16(minor);
	}
	bool plain = magic == 0xa1b2c3d4u || magic == 0xa1b23c4du || swapped;
	int snapshot = pcap_snapshot(p);
	if (!plain || major != 2 || minor < 4 || snapshot <= 0 ||
	    pcap_get_tstamp_precision(p) != PCAP_TSTAMP_PRECISION_MICRO) {
		close(fd);
		return NULL;
	}
	struct walk *w = calloc(1, sizeof *w);
	if (w)
		w->batch = malloc(WALK_BATCHES * sizeof *w->batch);
	if (w && w->batch && pthread_mutex_init(&w->lock, NULL) == 0) {
		pthread_cond_init(&w->ready, NULL);
		pthread_cond_init(&w->room, NULL);
		w->r = ahead_start(fd, (off_t)sizeof hdr);
		if (!w->r) {
			pthread_cond_destroy(&w->ready);
			pthread_cond_destroy(&w->room);
			pthread_mutex_destroy(&w->lock);
		}
	}
	if (!w || !w->r) {
		if (w)
			free(w->batch);
		free(w);
		close(fd);
		return NULL;
	}
	w->swapped = swapped;
	w->nano = nano;
	w->snapshot = (uint32_t)snapshot;
	return w;
}

/* Opens a capture file: a regular file is read ahead (above); standard
 * input or a pipe goes through stdio, whose blocking read a signal can
 * interrupt. */
static pcap_t *open_file(const char *name, char err[PCAP_ERRBUF_SIZE],
			 struct read_ahead **ahead, struct walk **walk)
{
	*ahead = NULL;
	if (walk && strcmp(name, "-") != 0) {
		*walk = NULL;
		pcap_t *p = pcap_open_offline_with_tstamp_precision(
		    name, PCAP_TSTAMP_PRECISION_MICRO, err);
		if (!p)
			return NULL;
		if ((*walk = walk_open(name, p)) != NULL) {
			*ahead = (*walk)->r;
			return p;
		}
		pcap_close(p);
	}
	if (strcmp(name, "-") == 0)
		return pcap_open_offline_with_tstamp_precision(
		    name, PCAP_TSTAMP_PRECISION_MICRO, err);
	int fd = open(name, O_RDONLY);
	if (fd < 0) {
		snprintf(err, PCAP_ERRBUF_SIZE, "%s: %s", name,
			 strerror(errno));
		return NULL;
	}
	struct stat st;
	FILE *f = NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		f = ahead_open(fd, ahead);
	if (!f)
		f = fdopen(fd, "rb");
	if (!f) {
		snprintf(err, PCAP_ERRBUF_SIZE, "%s: %s", name,
			 strerror(errno));
		close(fd);
		return NULL;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	/* On success libpcap owns f and closes it with the handle. */
	pcap_t *p = pcap_fopen_offline_with_tstamp_precision(
	    f, PCAP_TSTAMP_PRECISION_MICRO, err);
	if (!p)
		fclose(f);
	return p;
}

/* The capture time of a file's first packet, or PN_TIME_MAX when it has
 * none or cannot be read (its error is reported when it is read). */
static pn_time_us first_time(const char *name)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(
	    name, PCAP_TSTAMP_PRECISION_MICRO, err);
	if (!p)
		return PN_TIME_MAX;
	struct pcap_pkthdr *h;
	const u_char *bytes;
	pn_time_us t = PN_TIME_MAX;
	if (pcap_next_ex(p, &h, &bytes) == 1)
		t = pn_time_from_timeval(&h->ts);
	pcap_close(p);
	return t;
}

struct timed_file {
	pn_time_us first_us;
	int index;
};

static int by_first_time(const void *a, const void *b)
{
	const struct timed_file *x = a, *y = b;
	if (x->first_us != y->first_us)
		return x->first_us < y->first_us ? -1 : 1;
	return x->index - y->index; /* stable: as given */
}

/* order[i] is the index of the i-th file to read. */
static void read_order(const struct pn_capture_options *opts, int *order,
		       const char *who, FILE *diag)
{
	int n = opts->n_files;
	for (int i = 0; i < n; i++)
		order[i] = i;
	if (!opts->time_order || n < 2)
		return;
	for (int i = 0; i < n; i++)
		if (strcmp(opts->files[i], "-") == 0)
			return;
	struct timed_file *t = malloc((size_t)n * sizeof *t);
	if (!t)
		return;
	for (int i = 0; i < n; i++)
		t[i] = (struct timed_file){first_time(opts->files[i]), i};
	qsort(t, (size_t)n, sizeof *t, by_first_time);
	bool moved = false;
	for (int i = 0; i < n; i++) {
		order[i] = t[i].index;
		moved |= order[i] != i;
	}
	free(t);
	if (!moved)
		return;
	fprintf(diag,
		"%s: note: reading the inputs in the time order of "
		"their first packets:",
		who);
	for (int i = 0; i < n; i++)
		fprintf(diag, " %s", pn_safe(opts->files[order[i]]));
	fputc('\n', diag);
}

/* Waits until the live handle has packets, the read timeout passes, or a
 * signal arrives. libpcap's own timeout does not bring pcap_dispatch back
 * on Linux (TPACKET_V3 may wait forever), so the loop polls the handle's
 * descriptor itself and dispatches without blocking. */
static void wait_live(pcap_t *p)
{
	int fd = pcap_get_selectable_fd(p);
	if (fd < 0)
		return;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	poll(&pfd, 1, PN_CAPTURE_TIMEOUT_MS);
}

/* Reads one opened source to its end. Returns false if it ended in an
 * error (the caller counts the source as failed). */
static bool read_source(struct loop *l, const char *who, FILE *diag)
{
	for (;;) {
		if (l->src.live)
			wait_live(l->p);
		if (l->stop || stop_requested || stop_asked)
			return true;
		/* A live ring that refills faster than it drains would keep an
		 * unbounded dispatch from ever returning (TPACKET_V3 reads
		 * block after block), and with it the ticks: the view and
		 * the snapshots stall exactly under the load they report. */
		/* A file is read in one call, unless a status line wants the
		 * clock looked at now and then. */
		int batch = l->src.live	     ? PN_CAPTURE_BATCH
			    : l->progress.on ? PN_CAPTURE_PROGRESS_BATCH
					     : -1;
		int n = l->walk ? walk_dispatch(l, l->walk, batch)
				: pcap_dispatch(l->p, batch, on_packet,
						(u_char *)l);
		if (l->progress.on)
			progress_show(&l->progress, l->stats->packets);
		if (n == PCAP_ERROR) {
			progress_erase(&l->progress);
			fprintf(
			    diag,
			    "%s: %s: packet %llu: %s; %llu packets "
			    "before it were read\n",
			    who, pn_safe(l->src.name),
			    (unsigned long long)l->src.frame + 1,
			    pn_safe(l->walk ? l->walk->err : pcap_geterr(l->p)),
			    (unsigned long long)l->src.frame);
			return false;
		}
		if (n == PCAP_ERROR_BREAK || l->stop || stop_requested ||
		    stop_asked)
			return true;
		if (l->deadline > 0 && monotonic() >= l->deadline) {
			l->stop = true;
			return true;
		}
		if (l->src.live && l->opts->tick &&
		    monotonic() >= l->next_tick) {
			l->next_tick = monotonic() + l->opts->tick_ms / 1000.0;
			if (pcap_stats(l->p, &l->stats->pcap) == 0)
				l->stats->have_pcap_stats = true;
			if (!l->opts->tick(l->ctx, l->stats)) {
				l->stop = true;
				return true;
			}
		}
		if (n == 0 && !l->src.live)
			return true; /* end of file */
	}
}

bool pn_capture_check_filter(const struct pn_capture_options *opts,
			     const char *who, FILE *diag)
{
	if (!opts->filter)
		return true;
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, opts->snaplen);
	if (!dead) {
		fprintf(diag, "%s: cannot check the filter\n", who);
		return false;
	}
	bool ok = set_filter(dead, opts->filter, who, "-f", true, diag, NULL);
	pcap_close(dead);
	return ok;
}

enum pn_capture_result pn_capture_run(const struct pn_capture_options *opts,
				      pn_capture_fn fn,
				      pn_capture_open_fn on_open, void *ctx,
				      struct pn_capture_stats *stats,
				      const char *who, FILE *diag)
{
	memset(stats, 0, sizeof *stats);
	stats->previous_us = PN_TIME_MIN;
	if (opts->filter && !pn_capture_check_filter(opts, who, diag))
		return PN_CAPTURE_USAGE;
	int one = 0,
	    *order = opts->n_files > 1
			 ? malloc((size_t)opts->n_files * sizeof *order)
			 : &one;
	if (!order) {
		fprintf(diag, "%s: out of memory\n", who);
		return PN_CAPTURE_FATAL;
	}
	if (opts->n_files > 1)
		read_order(opts, order, who, diag);

	struct sigaction sa, old[N_STOP_SIGNALS];
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking read must return so the loop can end. */
	for (size_t i = 0; i < N_STOP_SIGNALS; i++)
		sigaction(stop_signals[i], &sa, &old[i]);
	stop_requested = 0;
	stop_asked = 0;

	struct loop l = {.opts = opts, .fn = fn, .ctx = ctx, .stats = stats};
	if (opts->duration > 0)
		l.deadline = monotonic() + opts->duration;
	if (opts->progress && opts->n_files > 0) {
		l.progress.on = true;
		l.progress.who = who;
		l.progress.start = l.progress.last = monotonic();
		for (int i = 0; i < opts->n_files; i++) {
			struct stat st;
			if (strcmp(opts->files[i], "-") != 0 &&
			    stat(opts->files[i], &st) == 0 &&
			    S_ISREG(st.st_mode))
				l.progress.total += (uint64_t)st.st_size;
		}
	}
	enum pn_capture_result result = PN_CAPTURE_OK;
	int n_sources = opts->n_files > 0 ? opts->n_files : 1;

	for (int i = 0;
	     i < n_sources && !l.stop && !stop_requested && !stop_asked; i++) {
		char err[PCAP_ERRBUF_SIZE] = "";
		bool live = opts->n_files == 0;
		const char *name = live ? opts->iface : opts->files[order[i]];
		struct read_ahead *ahead = NULL;
		struct walk *walk = NULL;
		pcap_t *p =
		    live ? open_live(opts, who, diag)
			 : open_file(name, err, &ahead,
				     opts->libpcap_reader ? NULL : &walk);
		progress_erase(&l.progress);
		if (!p) {
			if (!live)
				fprintf(diag, "%s: %s: cannot read: %s\n", who,
					pn_safe(name), pn_safe(err));
			stats->sources_failed++;
			if (live) {
				result = PN_CAPTURE_FATAL;
				break;
			}
			continue;
		}
		int linktype = pcap_datalink(p);
		if (!pn_decode_linktype_supported(linktype)) {
			const char *desc =
			    pcap_datalink_val_to_description(linktype);
			fprintf(diag,
				"%s: %s: link type %d (%s) is not supported; "
				"skipped\n",
				who, pn_safe(name), linktype,
				desc ? desc
				     : pn_decode_linktype_name(linktype));
			stats->sources_failed++;
			walk_close(walk);
			pcap_close(p);
			if (live) {
				result = PN_CAPTURE_FATAL;
				break;
			}
			continue;
		}
		if (opts->filter &&
		    !set_filter(p, opts->filter, who, name, false, diag,
				walk ? &walk->prog : NULL)) {
			walk_close(walk);
			pcap_close(p);
			result = PN_CAPTURE_USAGE;
			break;
		}
		if (walk)
			walk->filtered = opts->filter != NULL;
		l.p = p;
		l.walk = walk;
		if (walk)
			stats->sources_walked++;
		l.src = (struct pn_capture_source){
		    .name = name,
		    .live = live,
		    .linktype = linktype,
		    .snaplen = pcap_snapshot(p),
		    .tsprecision = pcap_get_tstamp_precision(p),
		};
		stats->sources_read++;
		l.progress.ahead = ahead;
		l.progress.size = 0;
		struct stat st;
		if (!live && strcmp(name, "-") != 0 && stat(name, &st) == 0 &&
		    S_ISREG(st.st_mode))
			l.progress.size = (uint64_t)st.st_size;
		if (on_open)
			on_open(ctx, &l.src);
		current = p;
		bool ok = read_source(&l, who, diag);
		current = NULL;
		if (ok)
			stats->sources_ok++;
		else
			stats->sources_failed++;
		if (live && pcap_stats(p, &stats->pcap) == 0)
			stats->have_pcap_stats = true;
		l.progress.ahead = NULL;
		l.progress.done += l.progress.size;
		l.walk = NULL;
		walk_close(walk);
		pcap_close(p);
	}
	progress_erase(&l.progress);

	if (order != &one)
		free(order);
	stats->interrupted = stop_requested;
	stats->signal = stop_signal;
	for (size_t i = 0; i < N_STOP_SIGNALS; i++)
		sigaction(stop_signals[i], &old[i], NULL);
	if (result == PN_CAPTURE_OK && stats->sources_failed)
		result = PN_CAPTURE_DAMAGED;
	return result;
}
