/* live_view.c — the full-screen view of "portnote live" (ncurses).
 *
 * The view only reads snapshots. It keeps a private copy of the last one
 * drawn while running, so that pausing freezes the display whatever the
 * caller passes in afterwards, and a sort key changed during the pause
 * reorders the frozen rows instead of showing new ones.
 */
#include "portnote/live.h"

#include "portnote/flowprint.h"

#include <curses.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HELP_LINE                                                              \
	"b bytes  p packets  f flows  space pause  u unregistered  d differs " \
	"only  q quit"

enum { PAIR_TITLE = 1, PAIR_ALERT, PAIR_PAUSED, PAIR_FLAGS };

static struct {
	SCREEN *screen;
	FILE *tty; /* /dev/tty, when stdin is not the terminal */
	bool colors;
	bool atexit_done;
	/* The frozen copy (see the top of the file). */
	bool have_frozen;
	enum pn_live_sort frozen_sort;
	struct pn_live_snapshot frozen;
	struct pn_live_service *frozen_services;
	uint32_t frozen_cap;
	char frozen_iface[64], frozen_date[64];
} V;

/* --- Numbers for people ------------------------------------------------ */

/* Rates can come out of a zero-length interval as NaN or infinity. */
static double sane(double v)
{
	return isfinite(v) && v > 0 ? v : 0;
}

static const char *bits_text(double v, char *buf, size_t size)
{
	static const char *const unit[] = {"b/s", "kb/s", "Mb/s", "Gb/s",
					   "Tb/s"};
	unsigned i = 0;
	v = sane(v);
	/* 999.95 and up would print as "1000.0". */
	while (v >= 999.95 && i < 4) {
		v /= 1000;
		i++;
	}
	if (i == 0)
		snprintf(buf, size, "%.0f %s", v, unit[i]);
	else
		snprintf(buf, size, "%.1f %s", v, unit[i]);
	return buf;
}

/* Packets or flows per second: "0.5", "42", "1.2k", "3.4M". */
static const char *count_text(double v, char *buf, size_t size)
{
	static const char *const unit[] = {"", "k", "M", "G", "T"};
	unsigned i = 0;
	v = sane(v);
	if (v == 0) {
		snprintf(buf, size, "0");
		return buf;
	}
	if (v < 9.95) {
		snprintf(buf, size, "%.1f", v);
		return buf;
	}
	if (v < 999.5) {
		snprintf(buf, size, "%.0f", v);
		return buf;
	}
	while (v >= 999.95 && i < 4) {
		v /= 1000;
		i++;
	}
	snprintf(buf, size, "%.1f%s", v, unit[i]);
	return buf;
}

static const char *bytes_text(uint64_t n, char *buf, size_t size)
{
	static const char *const unit[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	double v = (double)n;
	unsigned i = 0;
	while (v >= 999.95 && i < 5) {
		v /= 1000;
		i++;
	}
	if (i == 0)
		snprintf(buf, size, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, size, "%.1f %s", v, unit[i]);
	return buf;
}

static const char *elapsed_text(double s, char *buf, size_t size)
{
	uint64_t t = (uint64_t)(sane(s) < 1e12 ? sane(s) : 1e12);
	snprintf(buf, size, "%llu:%02u:%02u", (unsigned long long)(t / 3600),
		 (unsigned)(t / 60 % 60), (unsigned)(t % 60));
	return buf;
}

static const char *sort_name(enum pn_live_sort s)
{
	switch (s) {
	case PN_LIVE_SORT_PACKETS:
		return "packets/s";
	case PN_LIVE_SORT_FLOWS:
		return "active flows";
	case PN_LIVE_SORT_BYTES:
	default:
		return "bytes/s";
	}
}

/* --- Writing clipped to the screen -------------------------------------- */

struct pen {
	int y, x;
};

static int attr_of(int pair, int extra)
{
	return (V.colors && pair ? (int)COLOR_PAIR(pair) : 0) | extra;
}

/* Writes at the pen and moves it; anything past the right edge or below
 * the last line is dropped, so no terminal is too small. */
static void put(struct pen *p, int attr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void put(struct pen *p, int attr, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	if (p->y < 0 || p->y >= LINES || p->x >= COLS)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof buf)
		n = (int)sizeof buf - 1;
	int room = COLS - p->x;
	if (n > room)
		n = room;
	attron(attr);
	/* The bottom-right cell makes addnstr return ERR once the character
	 * is placed; nothing is lost. */
	mvaddnstr(p->y, p->x, buf, n);
	attroff(attr);
	p->x += n;
}

static void next_line(struct pen *p)
{
	p->y++;
	p->x = 0;
}

/* --- The frozen copy ---------------------------------------------------- */

static void copy_text(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* False when memory runs out; the caller then draws snap itself. */
static bool freeze(const struct pn_live_snapshot *snap, enum pn_live_sort s)
{
	uint32_t n = snap->services ? snap->n_services : 0;
	if (n > V.frozen_cap) {
		struct pn_live_service *grown =
		    realloc(V.frozen_services, (size_t)n * sizeof *grown);
		if (!grown) {
			V.have_frozen = false;
			return false;
		}
		V.frozen_services = grown;
		V.frozen_cap = n;
	}
	V.frozen = *snap;
	if (n)
		memcpy(V.frozen_services, snap->services,
		       (size_t)n * sizeof *snap->services);
	V.frozen.services = V.frozen_services;
	V.frozen.n_services = n;
	copy_text(V.frozen_iface, sizeof V.frozen_iface, snap->iface);
	copy_text(V.frozen_date, sizeof V.frozen_date, snap->registry_date);
	V.frozen.iface = snap->iface ? V.frozen_iface : NULL;
	V.frozen.registry_date = snap->registry_date ? V.frozen_date : NULL;
	V.frozen_sort = s;
	V.have_frozen = true;
	return true;
}

/* --- The header --------------------------------------------------------- */

static void draw_anomalies(struct pen *p, const struct pn_decode_counters *d)
{
	uint64_t total = 0;
	for (int r = PN_R_NONE + 1; r < PN_R_COUNT; r++)
		total += d->reason[r];
	put(p, A_BOLD, "anomalies ");
	if (total == 0) {
		put(p, 0, "none");
		return;
	}
	put(p, attr_of(PAIR_ALERT, A_BOLD), "%llu", (unsigned long long)total);
	/* The three most frequent reasons, by name. */
	int top[3] = {-1, -1, -1};
	for (int r = PN_R_NONE + 1; r < PN_R_COUNT; r++) {
		if (!d->reason[r])
			continue;
		for (int k = 0; k < 3; k++) {
			if (top[k] < 0 || d->reason[r] > d->reason[top[k]]) {
				memmove(&top[k + 1], &top[k],
					(size_t)(2 - k) * sizeof top[0]);
				top[k] = r;
				break;
			}
		}
	}
	int shown = 0, kinds = 0;
	for (int r = PN_R_NONE + 1; r < PN_R_COUNT; r++)
		kinds += d->reason[r] != 0;
	put(p, 0, ": ");
	for (int k = 0; k < 3 && top[k] >= 0; k++, shown++)
		put(p, 0, "%s%s %llu", k ? ", " : "",
		    pn_decode_reason_name((enum pn_decode_reason)top[k]),
		    (unsigned long long)d->reason[top[k]]);
	if (kinds > shown)
		put(p, 0, ", %d more reason%s", kinds - shown,
		    kinds - shown == 1 ? "" : "s");
}

static bool listed(const struct pn_live_service *v,
		   const struct pn_view_state *state)
{
	if (state->differs_only && !v->verdict[PN_V_DIFFERS])
		return false;
	return v->registered || state->show_unregistered;
}

/* Returns the number of hidden services. */
static uint32_t count_hidden(const struct pn_live_snapshot *s,
			     const struct pn_view_state *state)
{
	uint32_t hidden = 0;
	for (uint32_t i = 0; i < s->n_services; i++)
		hidden += !listed(&s->services[i], state);
	return hidden;
}

static void draw_header(struct pen *p, const struct pn_live_snapshot *s,
			const struct pn_view_state *state, uint32_t hidden)
{
	char a[32], b[32];

	put(p, attr_of(PAIR_TITLE, A_BOLD), "portnote live");
	put(p, 0, "  interface ");
	put(p, A_BOLD, "%s", s->iface ? s->iface : "?");
	put(p, 0, "  up %s", elapsed_text(s->elapsed, a, sizeof a));
	/* Sort and pause before the date: narrow terminals cut the end. */
	put(p, 0, "  sort: ");
	put(p, A_BOLD, "%s", sort_name(state->sort));
	if (state->paused) {
		put(p, 0, "  ");
		put(p, attr_of(PAIR_PAUSED, A_BOLD | A_REVERSE),
		    "PAUSED (space resumes)");
	}
	put(p, 0, "  registry %s",
	    s->registry_date && *s->registry_date ? s->registry_date
						  : "unknown");
	next_line(p);

	put(p, A_BOLD, "traffic   ");
	put(p, 0, "%s  %s pkt/s", bits_text(s->bits_per_s, a, sizeof a),
	    count_text(s->packets_per_s, b, sizeof b));
	put(p, 0, "   total %llu packets, %s", (unsigned long long)s->packets,
	    bytes_text(s->bytes, a, sizeof a));
	next_line(p);

	put(p, A_BOLD, "pcap      ");
	if (!s->have_pcap_stats) {
		put(p, 0, "no statistics from libpcap");
	} else {
		/* On Linux, received counts dropped packets too. */
		double pct = s->pcap_received
				 ? 100.0 * (double)s->pcap_dropped /
				       (double)s->pcap_received
				 : 0;
		if (pct > 100)
			pct = 100;
		put(p, 0, "received %llu  ",
		    (unsigned long long)s->pcap_received);
		put(p, s->pcap_dropped ? attr_of(PAIR_ALERT, A_BOLD) : 0,
		    "dropped %llu (%.2f%%)",
		    (unsigned long long)s->pcap_dropped, pct);
		if (s->pcap_ifdropped)
			put(p, attr_of(PAIR_ALERT, 0),
			    "  dropped by the interface %llu",
			    (unsigned long long)s->pcap_ifdropped);
	}
	next_line(p);

	put(p, A_BOLD, "flows     ");
	put(p, 0, "active %llu", (unsigned long long)s->active_flows);
	if (s->max_flows)
		put(p, 0, " of --max-flows %lu", (unsigned long)s->max_flows);
	put(p, s->flows_evicted ? attr_of(PAIR_ALERT, A_BOLD) : 0,
	    "  evicted %llu", (unsigned long long)s->flows_evicted);
	put(p, 0, "  started %llu  ended %llu",
	    (unsigned long long)s->flows_started,
	    (unsigned long long)s->flows_ended);
	next_line(p);

	draw_anomalies(p, &s->decode);
	next_line(p);

	if (s->evidence) {
		uint64_t judged = 0;
		for (int v = 0; v < PN_V_COUNT; v++)
			judged += s->verdict[v];
		put(p, A_BOLD, "payload   ");
		put(p,
		    s->verdict[PN_V_DIFFERS] ? attr_of(PAIR_ALERT, A_BOLD) : 0,
		    "differs in %llu flows since start",
		    (unsigned long long)s->verdict[PN_V_DIFFERS]);
		put(p, 0, "  agrees %llu  unverified %llu  of %llu judged",
		    (unsigned long long)s->verdict[PN_V_AGREES],
		    (unsigned long long)s->verdict[PN_V_UNVERIFIED],
		    (unsigned long long)judged);
		next_line(p);
	}

	put(p, A_BOLD, "services  ");
	put(p, 0, "%lu", (unsigned long)(s->n_services - hidden));
	if (state->differs_only)
		put(p, 0,
		    " listed: only those with differing flows (d shows "
		    "all)");
	else if (hidden)
		put(p, 0, " listed, %lu unregistered/unknown hidden (u shows)",
		    (unsigned long)hidden);
	else if (state->show_unregistered)
		put(p, 0, " listed, unregistered/unknown included (u hides)");
	else
		put(p, 0, " listed");
	next_line(p);

	put(p, A_DIM, "%s", HELP_LINE);
	next_line(p);
	next_line(p);
}

/* --- The table ---------------------------------------------------------- */

/* Fixed columns after the service: "  %10s %7s %7s %6s" (35), 5 basis and
 * 2 verdict columns of " %5s" (42), "  " (2). */
#define FIXED_WIDTH 79
#define SERVICE_MIN 16
#define SERVICE_KEEP 44
#define SERVICE_MAX 60

/* "  443/tcp  registered for https", " 4444/tcp  unregistered",
 * "    -/udp  unknown". */
static void service_label(const struct pn_live_service *v, char *buf,
			  size_t size)
{
	char where[24];
	const char *t = v->transport < PN_TRANSPORT_COUNT
			    ? pn_transport_name((enum pn_transport)v->transport)
			    : "-";
	bool unknown = !v->registered && strcmp(v->name, "unknown") == 0;
	if (unknown)
		snprintf(where, sizeof where, "%5s/%-4s", "-", t);
	else
		snprintf(where, sizeof where, "%5u/%-4s", (unsigned)v->port, t);
	if (v->registered) {
		snprintf(buf, size, "%s registered for %.*s", where,
			 (int)sizeof v->name, v->name);
		return;
	}
	/* "unregistered tcp/4444" and "unnamed tcp/4444" repeat the port:
	 * keep the word. */
	size_t word = strcspn(v->name, " ");
	if (word >= sizeof v->name)
		word = sizeof v->name - 1;
	snprintf(buf, size, "%s %.*s", where, (int)word, v->name);
}

static const char *share64_text(uint64_t part, uint64_t whole, char *buf,
				size_t size)
{
	if (!part || !whole) {
		snprintf(buf, size, "-");
		return buf;
	}
	unsigned pct = (unsigned)((100.0 * (double)part) / (double)whole + 0.5);
	if (pct == 0)
		snprintf(buf, size, "<1%%");
	else
		snprintf(buf, size, "%u%%", pct > 100 ? 100 : pct);
	return buf;
}

static const char *share_text(uint32_t part, uint32_t whole, char *buf,
			      size_t size)
{
	if (!part || !whole) {
		snprintf(buf, size, "-");
		return buf;
	}
	unsigned pct = (unsigned)((100.0 * part) / whole + 0.5);
	if (pct == 0)
		snprintf(buf, size, "<1%%");
	else
		snprintf(buf, size, "%u%%", pct > 100 ? 100 : pct);
	return buf;
}

#define FLAG_SEP ", "

static int flags_width(unsigned flags)
{
	int n = 0;
	for (unsigned f = 0; f < PN_FF_COUNT; f++)
		if (flags & (1u << f))
			n += (n ? (int)strlen(FLAG_SEP) : 0) +
			     (int)strlen(pn_flow_flag_name(f));
	return n;
}

/* One column per basis, in the order of enum pn_basis. */
_Static_assert(PN_BASIS_COUNT == 5, "draw_row and draw_table print five "
				    "basis columns");

static void draw_row(struct pen *p, const struct pn_live_service *v, int w)
{
	char label[320], a[32], b[32], c[32], s[PN_BASIS_COUNT][8];
	service_label(v, label, sizeof label);
	int dim = v->registered ? 0 : A_DIM;
	if ((int)strlen(label) > w)
		put(p, dim, "%.*s..", w - 2, label);
	else
		put(p, dim, "%-*s", w, label);
	uint32_t act = v->active;
	for (int i = 0; i < PN_BASIS_COUNT; i++) {
		uint32_t part = v->basis[i] > act ? act : v->basis[i];
		share_text(part, act, s[i], sizeof s[i]);
	}
	put(p, 0, "  %10s %7s %7lu %6s %5s %5s %5s %5s %5s",
	    bits_text(v->bits_per_s, a, sizeof a),
	    count_text(v->packets_per_s, b, sizeof b), (unsigned long)act,
	    count_text(v->new_flows_per_s, c, sizeof c), s[0], s[1], s[2], s[3],
	    s[4]);
	/* Share of the judged flows whose payload agrees or differs. */
	uint64_t judged = 0;
	for (int i = 0; i < PN_V_COUNT; i++)
		judged += v->verdict[i];
	char agr[8], dif[8];
	share64_text(v->verdict[PN_V_AGREES], judged, agr, sizeof agr);
	share64_text(v->verdict[PN_V_DIFFERS], judged, dif, sizeof dif);
	put(p, 0, " %5s ", agr);
	put(p, v->verdict[PN_V_DIFFERS] ? attr_of(PAIR_ALERT, A_BOLD) : 0,
	    "%5s", dif);
	put(p, 0, "  ");
	const char *sep = "";
	for (unsigned f = 0; f < PN_FF_COUNT; f++) {
		if (!(v->flags & (1u << f)))
			continue;
		put(p, attr_of(PAIR_FLAGS, 0), "%s%s", sep,
		    pn_flow_flag_name(f));
		sep = FLAG_SEP;
	}
}

static void draw_table(struct pen *p, const struct pn_live_snapshot *s,
		       const struct pn_view_state *state, uint32_t hidden)
{
	if (p->y >= LINES)
		return;
	uint32_t n_listed = s->n_services - hidden;
	int rows = LINES - p->y - 1;
	if (rows < 0)
		rows = 0;

	/* The service column fits the longest label shown, as far as the
	 * flags of the rows shown leave room; names matter more, up to
	 * SERVICE_KEEP characters. */
	int longest = 0, flags_len = 0, seen = 0;
	for (uint32_t i = 0; i < s->n_services && seen < rows; i++) {
		const struct pn_live_service *v = &s->services[i];
		if (!listed(v, state))
			continue;
		char label[320];
		service_label(v, label, sizeof label);
		int len = (int)strlen(label);
		if (len > longest)
			longest = len;
		len = flags_width(v->flags);
		if (len > flags_len)
			flags_len = len;
		seen++;
	}
	if (longest > SERVICE_MAX)
		longest = SERVICE_MAX;
	int w = longest;
	if (w + FIXED_WIDTH + flags_len > COLS) {
		w = COLS - FIXED_WIDTH - flags_len;
		if (w < longest && w < SERVICE_KEEP)
			w = longest < SERVICE_KEEP ? longest : SERVICE_KEEP;
	}
	if (w < SERVICE_MIN)
		w = SERVICE_MIN;

	static const char *const col[] = {"bits/s", "pkt/s", "active", "new/s"};
	const int width[] = {10, 7, 7, 6};
	int key = state->sort == PN_LIVE_SORT_PACKETS ? 1
		  : state->sort == PN_LIVE_SORT_FLOWS ? 2
						      : 0;
	int head = A_REVERSE;
	/* The reverse bar runs the width of the screen. */
	if (p->y < LINES) {
		attron(head);
		mvhline(p->y, 0, ' ', COLS);
		attroff(head);
	}
	put(p, head, "%-*.*s", w, w, "service");
	for (int i = 0; i < 4; i++) {
		put(p, head, "%s", i ? " " : "  ");
		put(p, head | (i == key ? A_BOLD | A_UNDERLINE : 0), "%*s",
		    width[i], col[i]);
	}
	/* Share of the active flows per basis of the server side. */
	put(p, head, " %5s %5s %5s %5s %5s %5s %5s  %s", "hand%", "reg%",
	    "1st%", "cls%", "none%", "agr%", "dif%", "flags");
	next_line(p);

	if (n_listed == 0) {
		if (state->differs_only)
			put(p, A_DIM,
			    "  no service with differing flows yet (d shows "
			    "all)");
		else
			put(p, A_DIM, "  no %sservices seen yet",
			    hidden ? "registered " : "");
		return;
	}
	uint32_t drawn = 0;
	for (uint32_t i = 0; i < s->n_services && p->y < LINES; i++) {
		const struct pn_live_service *v = &s->services[i];
		if (!listed(v, state))
			continue;
		/* Keep the last line to say how many did not fit. */
		if (p->y == LINES - 1 && n_listed - drawn > 1) {
			put(p, A_DIM, "  ... %lu more",
			    (unsigned long)(n_listed - drawn));
			break;
		}
		draw_row(p, v, w);
		next_line(p);
		drawn++;
	}
}

/* --- The interface ------------------------------------------------------ */

static void stop_at_exit(void)
{
	pn_view_stop();
}

static void draw_waiting(void)
{
	struct pen p = {0, 0};
	erase();
	put(&p, attr_of(PAIR_TITLE, A_BOLD), "portnote live");
	put(&p, 0, "  waiting for the first interval...");
	next_line(&p);
	put(&p, A_DIM, "%s", HELP_LINE);
	refresh();
}

bool pn_view_start(void)
{
	if (V.screen)
		return true;
	if (!isatty(STDOUT_FILENO)) {
		fputs("portnote live: standard output is not a terminal; the "
		      "live view needs one\n",
		      stderr);
		return false;
	}
	FILE *in = stdin;
	if (!isatty(STDIN_FILENO)) {
		/* Keys come from the controlling terminal even when stdin is
		 * redirected. */
		V.tty = fopen("/dev/tty", "r");
		if (!V.tty) {
			fputs("portnote live: no controlling terminal to read "
			      "keys from\n",
			      stderr);
			return false;
		}
		in = V.tty;
	}
	fflush(stdout);
	/* newterm, unlike initscr, returns NULL instead of exiting when
	 * TERM names no known terminal. */
	V.screen = newterm(NULL, stdout, in);
	if (!V.screen) {
		const char *term = getenv("TERM");
		fprintf(stderr,
			"portnote live: cannot drive the terminal (TERM=%s)\n",
			term ? term : "unset");
		if (V.tty)
			fclose(V.tty);
		V.tty = NULL;
		return false;
	}
	set_term(V.screen);
	/* cbreak, not raw: Ctrl-C still raises SIGINT for the caller. */
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	intrflush(stdscr, FALSE);
	curs_set(0);
	V.colors = false;
	if (has_colors() && start_color() == OK) {
		short bg = use_default_colors() == OK ? -1 : COLOR_BLACK;
		init_pair(PAIR_TITLE, COLOR_CYAN, bg);
		init_pair(PAIR_ALERT, COLOR_RED, bg);
		init_pair(PAIR_PAUSED, COLOR_YELLOW, bg);
		init_pair(PAIR_FLAGS, COLOR_YELLOW, bg);
		V.colors = true;
	}
	/* An exit() on some error path must not leave the terminal raw. */
	if (!V.atexit_done && atexit(stop_at_exit) == 0)
		V.atexit_done = true;
	draw_waiting();
	return true;
}

void pn_view_draw(const struct pn_live_snapshot *snap,
		  const struct pn_view_state *state)
{
	if (!V.screen || !snap || !state)
		return;
	/* A key pressed before the first interval: nothing to show yet. */
	if (!snap->iface && !V.have_frozen) {
		draw_waiting();
		return;
	}
	const struct pn_live_snapshot *s = snap;
	if (!state->paused || !V.have_frozen) {
		if (freeze(snap, state->sort))
			s = &V.frozen;
	} else {
		if (V.frozen_sort != state->sort) {
			pn_live_sort(&V.frozen, state->sort);
			V.frozen_sort = state->sort;
		}
		s = &V.frozen;
	}
	if (!s->services && s->n_services) {
		/* Only possible for the caller's own snapshot. */
		return;
	}
	uint32_t hidden = count_hidden(s, state);
	struct pen p = {0, 0};
	erase();
	draw_header(&p, s, state, hidden);
	draw_table(&p, s, state, hidden);
	refresh();
}

enum pn_view_action pn_view_keys(struct pn_view_state *state)
{
	enum pn_view_action act = PN_VIEW_NONE;
	int ch;
	if (!V.screen || !state)
		return PN_VIEW_NONE;
	while ((ch = getch()) != ERR) {
		enum pn_live_sort sort = state->sort;
		switch (ch) {
		case 'q':
		case 'Q':
			return PN_VIEW_QUIT;
		case 'b':
		case 'B':
			sort = PN_LIVE_SORT_BYTES;
			break;
		case 'p':
		case 'P':
			sort = PN_LIVE_SORT_PACKETS;
			break;
		case 'f':
		case 'F':
			sort = PN_LIVE_SORT_FLOWS;
			break;
		case ' ':
			state->paused = !state->paused;
			act = PN_VIEW_REDRAW;
			break;
		case 'd':
		case 'D':
			state->differs_only = !state->differs_only;
			act = PN_VIEW_REDRAW;
			break;
		case 'u':
		case 'U':
			state->show_unregistered = !state->show_unregistered;
			act = PN_VIEW_REDRAW;
			break;
		case KEY_RESIZE:
			act = PN_VIEW_REDRAW;
			break;
		case 'L' & 0x1f: /* Ctrl-L: repaint a garbled screen */
			clearok(curscr, TRUE);
			act = PN_VIEW_REDRAW;
			break;
		default:
			break;
		}
		if (sort != state->sort) {
			state->sort = sort;
			act = PN_VIEW_REDRAW;
		}
	}
	return act;
}

void pn_view_stop(void)
{
	if (!V.screen)
		return;
	curs_set(1);
	endwin();
	delscreen(V.screen);
	V.screen = NULL;
	if (V.tty)
		fclose(V.tty);
	V.tty = NULL;
	free(V.frozen_services);
	V.frozen_services = NULL;
	V.frozen_cap = 0;
	V.have_frozen = false;
	fflush(stdout);
}
