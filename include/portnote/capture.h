/* capture.h — one libpcap loop for capture files and live interfaces.
 *
 * The loop opens each source in turn (every -r file in order, or one live
 * interface), applies the BPF filter, decodes every frame with
 * pn_decode_packet and hands the result to a consumer. It stops cleanly on
 * SIGINT/SIGTERM, --count or --duration, and keeps going past a damaged
 * file: everything read before the damage is delivered, a message names the
 * file and the packet number, and the next file is opened.
 */
#ifndef PORTNOTE_CAPTURE_H
#define PORTNOTE_CAPTURE_H

#include "portnote/decode.h"
#include "portnote/timeus.h"

#include <pcap/pcap.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Defaults, printed by --help. */
#define PN_CAPTURE_SNAPLEN 262144 /* as tcpdump: whole frames */
#define PN_CAPTURE_TIMEOUT_MS 200 /* live read timeout: signal latency */
/* Packets read from a file between looks at the clock, with a status
 * line: a few milliseconds at full speed. */
#define PN_CAPTURE_PROGRESS_BATCH 65536
#define PN_CAPTURE_BATCH 4096 /* live packets per dispatch: tick latency */

struct pn_capture_stats;

struct pn_capture_options {
	const char *const *files; /* -r, in order; "-" is standard input */
	int n_files;
	const char *iface;  /* -i; used when n_files == 0 */
	const char *filter; /* -f BPF expression, or NULL */
	int snaplen;
	bool promisc;
	bool immediate;
	int buffer_size; /* bytes; 0: libpcap's default */
	uint64_t count;	 /* stop after this many packets; 0: no limit */
	double duration; /* seconds; 0: no limit */
	/* Live: once the handle is active, nothing needs privileges, so the
	 * loop gives them up before the first packet is decoded: as root it
	 * becomes this user (NULL: "nobody"), started with capabilities it
	 * clears them, and either way it sets no_new_privs. */
	const char *user;
	/* Read several files in the order of their first packets' times,
	 * not as given (flows and statistics: flows that span files stay
	 * whole); a note names the order when it differs. Not with "-". */
	bool time_order;
	/* Live only: called about every tick_ms, packets or not, with the
	 * counters so far (libpcap's included); returns false to stop. */
	bool (*tick)(void *ctx, const struct pn_capture_stats *stats);
	unsigned tick_ms;
	/* Files only: one status line on stderr, rewritten at most four
	 * times a second and erased at the end (bytes read of the total,
	 * packets, packets/s, elapsed, time left). The caller sets it when
	 * stderr is a terminal the output does not share. */
	bool progress;
	/* Files only: read pcap files through libpcap's own reader rather
	 * than walking their records in place (capture.c): the same packets,
	 * more slowly; for comparison. */
	bool libpcap_reader;
};

/* Where the current packet comes from. */
struct pn_capture_source {
	const char *name; /* file name, "-" or the interface */
	bool live;
	int linktype;
	int snaplen;
	int tsprecision; /* PCAP_TSTAMP_PRECISION_MICRO or _NANO */
	uint64_t frame;	 /* 1-based number of the packet in this source */
};

struct pn_capture_stats {
	uint64_t packets; /* delivered to the consumer */
	uint64_t bytes;	  /* sum of wire lengths */
	int sources_ok;
	int sources_failed; /* not opened, unsupported, or ended by damage */
	uint64_t sources_walked; /* of those read, read by the record walker
				   (capture.c), not libpcap's reader */
	int sources_read;	 /* opened and read, to the end or to damage: 0
				    when no input could be read at all */
	bool interrupted;	 /* a signal ended the run */
	int signal; /* which: SIGINT, SIGTERM, SIGHUP, SIGUSR1, ... */
	/* Packets whose capture time is earlier than the one before them
	 * (files given out of order, clock steps), and the largest step. */
	uint64_t time_steps_back;
	int64_t time_step_back_max_us;
	pn_time_us previous_us; /* PN_TIME_MIN before the first packet */
	bool have_pcap_stats;
	struct pcap_stat pcap; /* live: libpcap's counters at the end */
	struct pn_decode_counters decode;
};

/* Called for every packet. `bytes` holds hdr->caplen bytes. Returns false
 * to stop the whole run. */
typedef bool (*pn_capture_fn)(void *ctx, const struct pn_capture_source *src,
			      const struct pcap_pkthdr *hdr,
			      const uint8_t *bytes,
			      const struct pn_packet *pkt);

/* Called when a source is opened (before its first packet). */
typedef void (*pn_capture_open_fn)(void *ctx,
				   const struct pn_capture_source *src);

enum pn_capture_result {
	PN_CAPTURE_OK = 0,
	PN_CAPTURE_DAMAGED = 1, /* ran to the end, but a source failed */
	PN_CAPTURE_USAGE = 2,	/* bad filter expression or options */
	PN_CAPTURE_FATAL = 3,	/* could not capture at all (live open) */
};

/* Runs the loop. Messages (damaged files, libpcap warnings) go to `diag`
 * prefixed with `who`. */
enum pn_capture_result pn_capture_run(const struct pn_capture_options *opts,
				      pn_capture_fn fn,
				      pn_capture_open_fn on_open, void *ctx,
				      struct pn_capture_stats *stats,
				      const char *who, FILE *diag);

/* Ends the current run after the packet being handed over, as if the
 * input had ended (not counted as interrupted): e.g. when standard output
 * is gone. Safe to call from a capture or flow callback. */
void pn_capture_stop(void);

/* While a run is not going: ignore the signals that end one (hold), or
 * give them back their default actions. */
void pn_capture_hold_signals(bool hold);

/* pthread_create for a helper thread (file reader, walker, end of flows):
 * it starts with every signal blocked, so the handlers that stop the loop
 * run on the caller's thread only. Returns pthread_create's result. */
int pn_capture_thread(pthread_t *thread, void *(*fn)(void *), void *arg);

/* After the outputs of a run ended by SIGUSR1, SIGUSR2 or SIGALRM are
 * complete: dies of that signal, as its default action would have. Does
 * nothing otherwise (SIGINT, SIGTERM, SIGHUP end runs cleanly). */
void pn_capture_reraise(void);

/* Compiles the filter expression (for Ethernet) to tell a bad one before
 * any output: false after a message naming libpcap's complaint. */
bool pn_capture_check_filter(const struct pn_capture_options *opts,
			     const char *who, FILE *diag);

/* Sets the defaults above. */
void pn_capture_options_init(struct pn_capture_options *opts);

#endif
