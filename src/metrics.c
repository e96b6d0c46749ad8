/* metrics.c — the Prometheus endpoint of "portnote live" (libmicrohttpd).
 *
 * pn_metrics_update() renders the whole exposition (text format 0.0.4)
 * into a fresh buffer on the caller's thread and swaps it in under a
 * mutex; MHD's polling thread only copies the current buffer under that
 * mutex, so a scrape never waits for rendering and never sees half of it.
 *
 * Counters must never go down, or Prometheus takes it for a restart. The
 * server therefore remembers every service it has been shown, with the
 * largest totals seen: a service missing from a later snapshot keeps its
 * series, and service="other" sums the remembered totals of every service
 * without labels of its own. Services get their own labels in the order
 * they first appear (largest byte total first within one snapshot) until
 * top_services are taken, and keep them for good.
 *
 * Slow clients: MHD's connection timeout only measures idleness, so a
 * client that sends one header line every few seconds would keep its
 * connection, and enough of them would take every slot. MHD therefore
 * runs on a thread of ours (MHD_run_wait), which after every round closes
 * (shutdown(2), MHD then sees the end of the stream) any connection that
 * has waited REQUEST_DEADLINE_S for its request since it was accepted or
 * since its last answer was sent, or that has spent RESPONSE_DEADLINE_S
 * on one answer. And when more than CONN_KEEP connections are open, the
 * oldest of those still waiting for a request are closed first, so that
 * MHD, which accepts up to CONN_LIMIT, always has room for a new scrape.
 * Everything touching the connection list runs on that one thread, in
 * MHD's callbacks or between its rounds, and MHD reports a connection
 * closed before it closes the socket: a listed socket is always open.
 */
#include "portnote/live.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <microhttpd.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
/* A scraper that stalls must not pin a connection slot for long: MHD's
 * idle timeout, and the deadlines below on the whole of a request. */
#define CONN_TIMEOUT_S 10
/* From the accept (or the end of the previous answer) to the request's
 * last header line; a scrape on a working network takes milliseconds. */
#define REQUEST_DEADLINE_S 3.0
/* From the request to the last byte of its answer. */
#define RESPONSE_DEADLINE_S 10.0
/* Connections kept open; beyond, the oldest waiting ones are closed. */
#define CONN_KEEP 64
/* What MHD accepts: the reserve above CONN_KEEP takes new connections
 * until the next round closes the oldest. */
#define CONN_RESERVE 16
#define CONN_LIMIT (CONN_KEEP + CONN_RESERVE)
/* Longest wait in one round of MHD_run_wait: how soon stop is noticed. */
#define ROUND_MS 200
/* "[" + a numeric host with its scope + "]:65535" */
#define ADDR_TEXT_SIZE (NI_MAXHOST + 16)

static const char *const direction_names[2] = {"to_server", "to_client"};

/* Everything the server has learnt about one service. */
struct svc {
	UT_hash_handle hh;
	char *key;   /* "tcp/443/label", one per label set */
	char *label; /* the name, escaped as a label value */
	uint8_t transport;
	uint16_t port;
	bool exposed;
	/* Largest totals seen so far. */
	uint64_t packets[2], bytes[2], flows;
	uint64_t verdict[PN_V_COUNT], looks[PN_P_COUNT];
	/* From the snapshot being rendered (seen == the update's number). */
	uint64_t seen;
	uint64_t cur_packets[2], cur_bytes[2], cur_flows;
	uint64_t cur_verdict[PN_V_COUNT], cur_looks[PN_P_COUNT];
	uint32_t active;
};

/* Capture-wide counters, kept at their largest value like the services. */
struct totals {
	uint64_t packets, bytes;
	uint64_t pcap_received, pcap_dropped, pcap_ifdropped;
	uint64_t flows_started, flows_ended, flows_evicted;
	uint64_t reason[PN_R_COUNT];
	uint64_t nonip[PN_NONIP_COUNT];
	uint64_t ipfix_records, ipfix_lost;
};

/* One open HTTP connection, in accept order; the MHD socket context. */
struct conn {
	struct conn *prev, *next;
	int fd;
	bool answering; /* between a request and the end of its answer */
	bool closing;	/* shut down, waiting for MHD to close it */
	double since;	/* start of the current phase, CLOCK_MONOTONIC */
};

struct pn_metrics {
	struct MHD_Daemon *daemon;
	unsigned port;
	unsigned top;

	/* The thread that runs MHD, and what only it touches. */
	pthread_t thread;
	bool thread_started;
	atomic_bool stopping;
	struct conn *conns, *conns_tail;
	size_t n_open; /* listed and not closing */

	/* Touched only by pn_metrics_update's caller. */
	struct svc *services; /* hash of every service seen */
	struct svc **exposed; /* in the order they got their labels */
	size_t n_exposed, exposed_cap;
	uint64_t generation;
	struct totals totals;

	pthread_mutex_t lock; /* guards text and text_len */
	char *text;
	size_t text_len;
};

/* --- A growing output buffer ------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
	bool failed; /* out of memory: the render is thrown away */
};

static bool buf_reserve(struct buf *b, size_t more)
{
	if (b->failed)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

/* The text, trimmed to its length, now the caller's (NULL if it failed). */
static char *buf_take(struct buf *b)
{
	if (b->failed || !b->p) {
		free(b->p);
		b->p = NULL;
		return NULL;
	}
	char *p = realloc(b->p, b->len + 1);
	p = p ? p : b->p;
	b->p = NULL;
	return p;
}

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void
buf_printf(struct buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n < sizeof small) {
		buf_add(b, small, (size_t)n);
		return;
	}
	if (!buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min, cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2, min = 0x80, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3, min = 0x800, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

/* A label value: backslash, quote and newline escaped as the text format
 * requires, and bytes that are not UTF-8 (which would make Prometheus
 * reject the whole scrape) replaced by U+FFFD. */
static void buf_label_value(struct buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		size_t len = utf8_len(u + i, n - i);
		if (!len) {
			buf_str(b, "\xEF\xBF\xBD");
			i++;
		} else if (u[i] == '\\') {
			buf_str(b, "\\\\");
			i++;
		} else if (u[i] == '"') {
			buf_str(b, "\\\"");
			i++;
		} else if (u[i] == '\n') {
			buf_str(b, "\\n");
			i++;
		} else {
			buf_add(b, s + i, len);
			i += len;
		}
	}
}

/* --- The exposition ----------------------------------------------------- */

static void family(struct buf *b, const char *name, const char *type,
		   const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample_u64(struct buf *b, const char *name, uint64_t v)
{
	buf_printf(b, "%s %" PRIu64 "\n", name, v);
}

/* The value after a sample's labels. */
static void value_u64(struct buf *b, uint64_t v)
{
	buf_printf(b, " %" PRIu64 "\n", v);
}

/* Seconds with millisecond resolution, printed from integers so that the
 * decimal point is a point whatever LC_NUMERIC says. */
static void sample_seconds(struct buf *b, const char *name, double s)
{
	if (isnan(s)) {
		buf_printf(b, "%s NaN\n", name);
		return;
	}
	if (s < 0)
		s = 0;
	if (s > 1e15)
		s = 1e15;
	uint64_t ms = (uint64_t)(s * 1000.0 + 0.5);
	buf_printf(b, "%s %" PRIu64 ".%03u\n", name, ms / 1000,
		   (unsigned)(ms % 1000));
}

static const char *transport_label(uint8_t t)
{
	return t < PN_TRANSPORT_COUNT ? pn_transport_name((enum pn_transport)t)
				      : "";
}

/* name{service="...",transport="...",port="..."[,direction="..."]
 * [,extra]} */
static void service_labels_with(struct buf *b, const char *metric,
				const struct svc *s, int direction,
				const char *extra)
{
	buf_printf(b, "%s{service=\"", metric);
	if (s) {
		buf_printf(b, "%s\",transport=\"%s\",port=\"%u\"", s->label,
			   transport_label(s->transport), (unsigned)s->port);
	} else {
		buf_str(b, "other\",transport=\"\",port=\"\"");
	}
	if (direction >= 0)
		buf_printf(b, ",direction=\"%s\"", direction_names[direction]);
	if (extra)
		buf_printf(b, ",%s", extra);
	buf_str(b, "}");
}

static void service_labels(struct buf *b, const char *metric,
			   const struct svc *s, int direction)
{
	service_labels_with(b, metric, s, direction, NULL);
}

/* The sums of every service without labels of its own. */
struct other {
	bool any;
	uint64_t packets[2], bytes[2], flows, active;
	uint64_t verdict[PN_V_COUNT], looks[PN_P_COUNT];
};

/* Flows by payload verdict per service, and the differing ones per port
 * and what they looked like: within the same bound as every service
 * series (the rest under "other"), looks_like one of the ~30 protocol
 * names. */
static void render_verdicts(const struct pn_metrics *m, const struct other *o,
			    struct buf *b)
{
	static const char *const name = "portnote_flows_by_verdict_total";
	family(b, name, "counter",
	       "Flows per service (server port) by payload verdict: whether "
	       "the first payload bytes look like what the port is "
	       "registered (or declared) for. Counted when the verdict can "
	       "no longer change.");
	for (size_t i = 0; i <= m->n_exposed; i++) {
		const struct svc *s = i < m->n_exposed ? m->exposed[i] : NULL;
		if (!s && !o->any)
			break;
		const uint64_t *verdict = s ? s->verdict : o->verdict;
		for (int v = 0; v < PN_V_COUNT; v++) {
			char extra[40];
			snprintf(extra, sizeof extra, "verdict=\"%s\"",
				 pn_payload_verdict_name(v));
			service_labels_with(b, name, s, -1, extra);
			value_u64(b, verdict[v]);
		}
	}
	static const char *const differs = "portnote_differs_flows_total";
	family(b, differs, "counter",
	       "Flows whose payload differs from what their server port is "
	       "registered (or declared) for, by what it looked like "
	       "(looks_like=\"none\": like nothing known); ports without "
	       "labels of their own are summed under port=\"other\".");
	for (size_t i = 0; i <= m->n_exposed; i++) {
		const struct svc *s = i < m->n_exposed ? m->exposed[i] : NULL;
		if (!s && !o->any)
			break;
		const uint64_t *looks = s ? s->looks : o->looks;
		for (int p = 0; p < PN_P_COUNT; p++) {
			if (!looks[p])
				continue;
			/* Flows whose server side could not be told have
			 * no port of their own. */
			if (s && !strcmp(s->label, "unknown"))
				buf_printf(
				    b, "%s{transport=\"%s\",port=\"unknown\"",
				    differs, transport_label(s->transport));
			else if (s)
				buf_printf(b, "%s{transport=\"%s\",port=\"%u\"",
					   differs,
					   transport_label(s->transport),
					   (unsigned)s->port);
			else
				buf_printf(b,
					   "%s{transport=\"\",port=\"other\"",
					   differs);
			buf_printf(b, ",looks_like=\"%s\"}",
				   pn_proto_name((enum pn_proto)p));
			value_u64(b, looks[p]);
		}
	}
}

static void render(const struct pn_metrics *m,
		   const struct pn_live_snapshot *snap, const struct other *o,
		   struct buf *b)
{
	const struct totals *t = &m->totals;

	family(b, "portnote_up", "gauge",
	       "1 while portnote captures and serves metrics.");
	buf_str(b, "portnote_up 1\n");
	family(b, "portnote_build_info", "gauge",
	       "The portnote version, as a label; the value is always 1.");
	buf_str(b, "portnote_build_info{version=\"");
	buf_label_value(b, PORTNOTE_VERSION, strlen(PORTNOTE_VERSION));
	buf_str(b, "\"} 1\n");
	family(b, "portnote_registry_info", "gauge",
	       "The date of the IANA registry snapshot that names services, "
	       "as a label; the value is always 1.");
	if (snap->registry_date) {
		buf_str(b, "portnote_registry_info{snapshot_date=\"");
		buf_label_value(b, snap->registry_date,
				strlen(snap->registry_date));
		buf_str(b, "\"} 1\n");
	}
	family(b, "portnote_uptime_seconds", "gauge",
	       "Seconds since the capture started.");
	sample_seconds(b, "portnote_uptime_seconds", snap->elapsed);

	family(b, "portnote_capture_packets_total", "counter",
	       "Packets captured.");
	sample_u64(b, "portnote_capture_packets_total", t->packets);
	family(b, "portnote_capture_bytes_total", "counter",
	       "Bytes captured, as on the wire.");
	sample_u64(b, "portnote_capture_bytes_total", t->bytes);
	if (snap->have_pcap_stats) {
		family(b, "portnote_capture_received_packets_total", "counter",
		       "Packets the capture received, as libpcap counts them "
		       "(ps_recv).");
		sample_u64(b, "portnote_capture_received_packets_total",
			   t->pcap_received);
		family(b, "portnote_capture_dropped_packets_total", "counter",
		       "Packets dropped because the capture buffer was full "
		       "(libpcap ps_drop).");
		sample_u64(b, "portnote_capture_dropped_packets_total",
			   t->pcap_dropped);
		family(b, "portnote_capture_interface_dropped_packets_total",
		       "counter",
		       "Packets dropped by the interface or its driver "
		       "(libpcap ps_ifdrop).");
		sample_u64(b,
			   "portnote_capture_interface_dropped_packets_total",
			   t->pcap_ifdropped);
	}
	family(b, "portnote_decode_anomalies_total", "counter",
	       "Packets that did not decode cleanly, by reason.");
	for (int r = PN_R_NONE + 1; r < PN_R_COUNT; r++) {
		if (!t->reason[r])
			continue;
		const char *name =
		    pn_decode_reason_name((enum pn_decode_reason)r);
		buf_str(b, "portnote_decode_anomalies_total{reason=\"");
		buf_label_value(b, name, strlen(name));
		buf_str(b, "\"}");
		value_u64(b, t->reason[r]);
	}
	family(b, "portnote_decode_non_ip_packets_total", "counter",
	       "Frames decoded without IP (ARP, LLDP, STP, ...), by kind.");
	for (int k = PN_NONIP_NONE + 1; k < PN_NONIP_COUNT; k++) {
		if (!t->nonip[k])
			continue;
		const char *name = pn_decode_nonip_name((enum pn_nonip)k);
		buf_str(b, "portnote_decode_non_ip_packets_total{kind=\"");
		buf_label_value(b, name, strlen(name));
		buf_str(b, "\"}");
		value_u64(b, t->nonip[k]);
	}

	family(b, "portnote_active_flows", "gauge",
	       "Flows in the flow table now.");
	sample_u64(b, "portnote_active_flows", snap->active_flows);
	family(b, "portnote_max_flows", "gauge", "Capacity of the flow table.");
	sample_u64(b, "portnote_max_flows", snap->max_flows);
	family(b, "portnote_flows_started_total", "counter", "Flows started.");
	sample_u64(b, "portnote_flows_started_total", t->flows_started);
	family(b, "portnote_flows_ended_total", "counter",
	       "Flows that ended: closed, timed out or evicted.");
	sample_u64(b, "portnote_flows_ended_total", t->flows_ended);
	family(b, "portnote_flows_evicted_total", "counter",
	       "Flows evicted early because the flow table was full.");
	sample_u64(b, "portnote_flows_evicted_total", t->flows_evicted);

	static const char *const dir_family[2][2] = {
	    {"portnote_packets_total",
	     "Packets per service (server port) and direction."},
	    {"portnote_bytes_total",
	     "Bytes per service (server port) and direction, as on the "
	     "wire."},
	};
	for (int k = 0; k < 2; k++) {
		const char *name = dir_family[k][0];
		family(b, name, "counter", dir_family[k][1]);
		for (size_t i = 0; i < m->n_exposed; i++) {
			const struct svc *s = m->exposed[i];
			for (int d = 0; d < 2; d++) {
				service_labels(b, name, s, d);
				value_u64(b, k ? s->bytes[d] : s->packets[d]);
			}
		}
		for (int d = 0; o->any && d < 2; d++) {
			service_labels(b, name, NULL, d);
			value_u64(b, k ? o->bytes[d] : o->packets[d]);
		}
	}
	family(b, "portnote_flows_total", "counter",
	       "Flows started per service (server port).");
	for (size_t i = 0; i < m->n_exposed; i++) {
		service_labels(b, "portnote_flows_total", m->exposed[i], -1);
		value_u64(b, m->exposed[i]->flows);
	}
	if (o->any) {
		service_labels(b, "portnote_flows_total", NULL, -1);
		value_u64(b, o->flows);
	}
	family(b, "portnote_service_active_flows", "gauge",
	       "Active flows per service (server port) now.");
	for (size_t i = 0; i < m->n_exposed; i++) {
		const struct svc *s = m->exposed[i];
		service_labels(b, "portnote_service_active_flows", s, -1);
		value_u64(b, s->seen == m->generation ? s->active : 0);
	}
	if (o->any) {
		service_labels(b, "portnote_service_active_flows", NULL, -1);
		value_u64(b, o->active);
	}
	if (snap->evidence)
		render_verdicts(m, o, b);
	if (snap->ipfix) {
		family(b, "portnote_ipfix_records_total", "counter",
		       "Flow records handed to the IPFIX exporting processes "
		       "(once per collector and file).");
		sample_u64(b, "portnote_ipfix_records_total",
			   m->totals.ipfix_records);
		family(b, "portnote_ipfix_records_not_sent_total", "counter",
		       "Of those, records that could not be sent: collector "
		       "unreachable, connection refused or lost, buffers "
		       "full.");
		sample_u64(b, "portnote_ipfix_records_not_sent_total",
			   m->totals.ipfix_lost);
	}
}

static void swap_text(struct pn_metrics *m, struct buf *b)
{
	if (b->failed || !b->p) {
		free(b->p);
		return;
	}
	pthread_mutex_lock(&m->lock);
	char *old = m->text;
	m->text = b->p;
	m->text_len = b->len;
	pthread_mutex_unlock(&m->lock);
	free(old);
}

/* --- Services ----------------------------------------------------------- */

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* The service with the labels ls gets, created if new. Keyed by the label
 * values as they are printed, so that two services can never print the
 * same series (names that differ only in bytes that are not UTF-8, or
 * transports out of range). */
static struct svc *svc_get(struct pn_metrics *m,
			   const struct pn_live_service *ls, bool *fresh)
{
	struct buf label = {0};
	buf_label_value(&label, ls->name, strnlen(ls->name, sizeof ls->name));
	struct buf key = {0};
	buf_printf(&key, "%s/%u/%s", transport_label(ls->transport),
		   (unsigned)ls->port, label.p ? label.p : "");
	size_t key_len = key.len;
	struct svc *s = NULL;
	*fresh = false;
	if (label.failed || key.failed || !key.p)
		goto out;
	HASH_FIND(hh, m->services, key.p, key_len, s);
	if (s)
		goto out;
	s = calloc(1, sizeof *s);
	if (!s)
		goto out;
	/* Kept for the whole run, one per service ever seen: trimmed. */
	s->key = buf_take(&key);
	s->label = label.p ? buf_take(&label) : strdup("");
	if (!s->key || !s->label) {
		free(s->key);
		free(s->label);
		free(s);
		s = NULL;
		goto out;
	}
	s->transport = ls->transport;
	s->port = ls->port;
	HASH_ADD_KEYPTR(hh, m->services, s->key, key_len, s);
	*fresh = true;
out:
	free(key.p);
	free(label.p);
	return s;
}

static uint64_t svc_bytes(const struct svc *s)
{
	return s->bytes[0] + s->bytes[1];
}

/* Who gets labels first among services new in the same snapshot: more
 * bytes, then name, transport and port, so the choice is reproducible. */
static int by_bytes_desc(const void *x, const void *y)
{
	const struct svc *a = *(struct svc *const *)x;
	const struct svc *b = *(struct svc *const *)y;
	uint64_t ba = svc_bytes(a), bb = svc_bytes(b);
	if (ba != bb)
		return ba > bb ? -1 : 1;
	int c = strcmp(a->label, b->label);
	if (c)
		return c;
	if (a->transport != b->transport)
		return a->transport < b->transport ? -1 : 1;
	return (a->port > b->port) - (a->port < b->port);
}

static bool expose(struct pn_metrics *m, struct svc *s)
{
	if (m->n_exposed == m->exposed_cap) {
		size_t cap = m->exposed_cap ? m->exposed_cap * 2 : 16;
		struct svc **p = realloc(m->exposed, cap * sizeof *p);
		if (!p)
			return false;
		m->exposed = p;
		m->exposed_cap = cap;
	}
	m->exposed[m->n_exposed++] = s;
	s->exposed = true;
	return true;
}

/* Takes in the snapshot's services: totals (never lower than before),
 * active flows, and labels for new services while there is room. */
static void absorb_services(struct pn_metrics *m,
			    const struct pn_live_snapshot *snap)
{
	struct svc **fresh = NULL;
	size_t n_fresh = 0;
	if (snap->n_services && m->n_exposed < m->top)
		fresh = malloc(snap->n_services * sizeof *fresh);

	for (uint32_t i = 0; i < snap->n_services; i++) {
		const struct pn_live_service *ls = &snap->services[i];
		bool is_new;
		struct svc *s = svc_get(m, ls, &is_new);
		if (!s)
			continue; /* out of memory: counted next time */
		/* Two entries with the same labels would make two samples
		 * of one series: add them up instead. */
		if (s->seen != m->generation) {
			s->seen = m->generation;
			memset(s->cur_packets, 0, sizeof s->cur_packets);
			memset(s->cur_bytes, 0, sizeof s->cur_bytes);
			s->cur_flows = 0;
			s->active = 0;
			memset(s->cur_verdict, 0, sizeof s->cur_verdict);
			memset(s->cur_looks, 0, sizeof s->cur_looks);
		}
		for (int v = 0; v < PN_V_COUNT; v++)
			s->cur_verdict[v] += ls->verdict[v];
		for (int p = 0; p < PN_P_COUNT; p++)
			s->cur_looks[p] += ls->differs_looks[p];
		for (int d = 0; d < 2; d++) {
			s->cur_packets[d] += ls->packets[d];
			s->cur_bytes[d] += ls->bytes[d];
		}
		s->cur_flows += ls->flows;
		s->active += ls->active;
		if (is_new && fresh)
			fresh[n_fresh++] = s;
	}

	struct svc *s, *tmp;
	HASH_ITER(hh, m->services, s, tmp)
	{
		if (s->seen != m->generation)
			continue;
		for (int d = 0; d < 2; d++) {
			s->packets[d] =
			    max_u64(s->packets[d], s->cur_packets[d]);
			s->bytes[d] = max_u64(s->bytes[d], s->cur_bytes[d]);
		}
		s->flows = max_u64(s->flows, s->cur_flows);
		for (int v = 0; v < PN_V_COUNT; v++)
			s->verdict[v] =
			    max_u64(s->verdict[v], s->cur_verdict[v]);
		for (int p = 0; p < PN_P_COUNT; p++)
			s->looks[p] = max_u64(s->looks[p], s->cur_looks[p]);
	}

	if (fresh) {
		qsort(fresh, n_fresh, sizeof *fresh, by_bytes_desc);
		for (size_t i = 0; i < n_fresh && m->n_exposed < m->top; i++)
			if (!expose(m, fresh[i]))
				break;
		free(fresh);
	}
}

static void sum_other(const struct pn_metrics *m, struct other *o)
{
	memset(o, 0, sizeof *o);
	const struct svc *s, *tmp;
	HASH_ITER(hh, m->services, s, tmp)
	{
		if (s->exposed)
			continue;
		o->any = true;
		for (int d = 0; d < 2; d++) {
			o->packets[d] += s->packets[d];
			o->bytes[d] += s->bytes[d];
		}
		o->flows += s->flows;
		for (int v = 0; v < PN_V_COUNT; v++)
			o->verdict[v] += s->verdict[v];
		for (int p = 0; p < PN_P_COUNT; p++)
			o->looks[p] += s->looks[p];
		if (s->seen == m->generation)
			o->active += s->active;
	}
}

static void absorb_totals(struct totals *t, const struct pn_live_snapshot *sn)
{
	t->packets = max_u64(t->packets, sn->packets);
	t->bytes = max_u64(t->bytes, sn->bytes);
	if (sn->have_pcap_stats) {
		t->pcap_received = max_u64(t->pcap_received, sn->pcap_received);
		t->pcap_dropped = max_u64(t->pcap_dropped, sn->pcap_dropped);
		t->pcap_ifdropped =
		    max_u64(t->pcap_ifdropped, sn->pcap_ifdropped);
	}
	t->flows_started = max_u64(t->flows_started, sn->flows_started);
	t->flows_ended = max_u64(t->flows_ended, sn->flows_ended);
	t->flows_evicted = max_u64(t->flows_evicted, sn->flows_evicted);
	for (int r = 0; r < PN_R_COUNT; r++)
		t->reason[r] = max_u64(t->reason[r], sn->decode.reason[r]);
	for (int k = 0; k < PN_NONIP_COUNT; k++)
		t->nonip[k] = max_u64(t->nonip[k], sn->decode.nonip[k]);
	t->ipfix_records = max_u64(t->ipfix_records, sn->ipfix_records);
	t->ipfix_lost = max_u64(t->ipfix_lost, sn->ipfix_lost);
}

void pn_metrics_update(struct pn_metrics *m,
		       const struct pn_live_snapshot *snap)
{
	if (!m || !snap)
		return;
	m->generation++;
	absorb_services(m, snap);
	absorb_totals(&m->totals, snap);
	struct other o;
	sum_other(m, &o);
	struct buf b = {0};
	render(m, snap, &o, &b);
	swap_text(m, &b);
}

/* --- HTTP --------------------------------------------------------------- */

static struct MHD_Response *make_response(const char *body, size_t len,
					  const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (r && MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
					 type) != MHD_YES) {
		MHD_destroy_response(r);
		r = NULL;
	}
	return r;
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status,
			     struct MHD_Response *r)
{
	if (!r)
		return MHD_NO; /* MHD closes the connection */
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Closes a connection from our side; MHD notices on its next round. */
static void conn_close(struct pn_metrics *m, struct conn *k)
{
	if (k->closing)
		return;
	shutdown(k->fd, SHUT_RDWR);
	k->closing = true;
	m->n_open--;
}

static void on_connection(void *cls, struct MHD_Connection *c,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct pn_metrics *m = cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *info = MHD_get_connection_info(
		    c, MHD_CONNECTION_INFO_CONNECTION_FD);
		struct conn *k = info ? calloc(1, sizeof *k) : NULL;
		*socket_context = k;
		if (!k) {
			/* Untracked, it could outlive every deadline. */
			if (info)
				shutdown(info->connect_fd, SHUT_RDWR);
			return;
		}
		k->fd = info->connect_fd;
		k->since = now_s();
		k->prev = m->conns_tail;
		if (m->conns_tail)
			m->conns_tail->next = k;
		else
			m->conns = k;
		m->conns_tail = k;
		m->n_open++;
		return;
	}
	struct conn *k = *socket_context;
	if (!k)
		return;
	if (!k->closing)
		m->n_open--;
	if (k->prev)
		k->prev->next = k->next;
	else
		m->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	else
		m->conns_tail = k->prev;
	free(k);
	*socket_context = NULL;
}

/* An answer is sent (or given up): the connection waits again. */
static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)req_cls;
	(void)toe;
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *k = info ? info->socket_context : NULL;
	if (k) {
		k->answering = false;
		k->since = now_s();
	}
}

/* Closes the connections past their deadline, then the oldest waiting
 * ones while more than CONN_KEEP are open. Returns the milliseconds until
 * the next deadline, at most ROUND_MS. */
static int32_t sweep(struct pn_metrics *m)
{
	double now = now_s(), next = ROUND_MS / 1000.0;
	for (struct conn *k = m->conns; k; k = k->next) {
		if (k->closing)
			continue;
		double left =
		    k->since - now +
		    (k->answering ? RESPONSE_DEADLINE_S : REQUEST_DEADLINE_S);
		if (left <= 0)
			conn_close(m, k);
		else if (left < next)
			next = left;
	}
	while (m->n_open > CONN_KEEP) {
		struct conn *oldest = NULL;
		for (struct conn *k = m->conns; k; k = k->next)
			if (!k->closing && !k->answering &&
			    (!oldest || k->since < oldest->since))
				oldest = k;
		if (!oldest)
			break; /* all answering: their deadline bounds them */
		conn_close(m, oldest);
	}
	return (int32_t)(next * 1000.0) + 1;
}

static void *serve(void *arg)
{
	struct pn_metrics *m = arg;
	int32_t wait_ms = ROUND_MS;
	while (!atomic_load(&m->stopping)) {
		if (MHD_run_wait(m->daemon, wait_ms) != MHD_YES)
			break;
		wait_ms = sweep(m);
	}
	return NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct pn_metrics *m = cls;
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	static const char not_found[] = "Not found: metrics are at /metrics\n";
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *k = info ? info->socket_context : NULL;
	if (k && !k->answering) {
		k->answering = true;
		k->since = now_s();
	}
	static const char not_allowed[] = "Method not allowed: use GET\n";
	const char *plain = "text/plain; charset=utf-8";
	struct MHD_Response *r;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		r = make_response(not_allowed, sizeof not_allowed - 1, plain);
		if (r && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
						 "GET, HEAD") != MHD_YES) {
			MHD_destroy_response(r);
			r = NULL;
		}
		return queue(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
	}
	if (strcmp(url, "/metrics") != 0)
		return queue(
		    c, MHD_HTTP_NOT_FOUND,
		    make_response(not_found, sizeof not_found - 1, plain));
	/* Copied inside the lock: the text may be swapped right after. */
	pthread_mutex_lock(&m->lock);
	r = make_response(m->text, m->text_len, CONTENT_TYPE);
	pthread_mutex_unlock(&m->lock);
	return queue(c, MHD_HTTP_OK, r);
}

/* --- Start and stop ----------------------------------------------------- */

static void set_err(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t size, const char *fmt, ...)
{
	if (!err || !size)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
}

/* "PORT", "ADDR:PORT" or "[ADDR6]:PORT" into a socket address; the
 * address must be numeric (binding to one of a name's addresses would be
 * a guess). */
static bool parse_addr(const char *spec, struct sockaddr_storage *ss,
		       socklen_t *ss_len, char *err, size_t err_size)
{
	const char *host = "127.0.0.1", *port_text = spec;
	size_t host_len = strlen(host);
	bool v6 = false;
	const char *colon = strrchr(spec, ':');
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close || close[1] != ':') {
			set_err(err, err_size,
				"bad address '%s' (expected [IPV6]:PORT, as "
				"in [::1]:9100)",
				spec);
			return false;
		}
		host = spec + 1;
		host_len = (size_t)(close - host);
		port_text = close + 2;
		v6 = true;
	} else if (colon) {
		host = spec;
		host_len = (size_t)(colon - spec);
		port_text = colon + 1;
		if (memchr(host, ':', host_len)) {
			set_err(err, err_size,
				"bad address '%s' (an IPv6 address goes in "
				"brackets, as in [::1]:9100)",
				spec);
			return false;
		}
	}

	unsigned long port = 0;
	size_t digits = strspn(port_text, "0123456789");
	if (digits == 0 || digits > 5 || port_text[digits] != '\0' ||
	    (port = strtoul(port_text, NULL, 10)) > 65535) {
		set_err(err, err_size,
			"bad address '%s' (expected PORT, ADDR:PORT or "
			"[IPV6]:PORT, with a port from 0 to 65535)",
			spec);
		return false;
	}

	char h[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	if (host_len == 0 || host_len >= sizeof h) {
		set_err(err, err_size,
			"bad address '%s' (expected a numeric IPv4 or IPv6 "
			"address before the port)",
			spec);
		return false;
	}
	memcpy(h, host, host_len);
	h[host_len] = '\0';

	memset(ss, 0, sizeof *ss);
	if (!v6) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		if (inet_pton(AF_INET, h, &sin->sin_addr) != 1) {
			set_err(err, err_size,
				"bad address '%s' ('%s' is not a numeric IPv4 "
				"address)",
				spec, h);
			return false;
		}
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*ss_len = sizeof *sin;
		return true;
	}
	/* getaddrinfo rather than inet_pton: it takes a scope ("%eth0"),
	 * which a link-local address needs. */
	struct addrinfo hints = {.ai_family = AF_INET6,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICHOST | AI_PASSIVE},
			*res = NULL;
	if (getaddrinfo(h, NULL, &hints, &res) != 0 || !res ||
	    res->ai_addrlen > sizeof *ss) {
		if (res)
			freeaddrinfo(res);
		set_err(err, err_size,
			"bad address '%s' ('%s' is not a numeric IPv6 address)",
			spec, h);
		return false;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*ss_len = (socklen_t)res->ai_addrlen;
	freeaddrinfo(res);
	((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	return true;
}

/* "127.0.0.1:9100" or "[::1]:9100", for messages. */
static void addr_text(const struct sockaddr_storage *ss, socklen_t len,
		      char *out, size_t size)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	if (getnameinfo((const struct sockaddr *)ss, len, host, sizeof host,
			serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV)) {
		snprintf(out, size, "?");
		return;
	}
	snprintf(out, size, ss->ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
		 host, serv);
}

/* The listening socket is made here rather than by MHD so that a failure
 * is reported with the reason from the system call that failed. */
static int open_listener(const struct sockaddr_storage *ss, socklen_t len,
			 unsigned *port, char *err, size_t err_size)
{
	char where[ADDR_TEXT_SIZE];
	addr_text(ss, len, where, sizeof where);
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_err(err, err_size, "cannot listen on %s: %s", where,
			strerror(errno));
		return -1;
	}
	int one = 1;
	/* Restarting portnote must not fail on connections in TIME_WAIT;
	 * on Linux this does not let two listeners share the port. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	/* "[::]:9100" means IPv6 only, like every other address here. */
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (const struct sockaddr *)ss, len) != 0 ||
	    listen(fd, 32) != 0) {
		set_err(err, err_size, "cannot listen on %s: %s", where,
			strerror(errno));
		close(fd);
		return -1;
	}
	struct sockaddr_storage bound;
	socklen_t bound_len = sizeof bound;
	if (getsockname(fd, (struct sockaddr *)&bound, &bound_len) != 0) {
		set_err(err, err_size, "cannot listen on %s: %s", where,
			strerror(errno));
		close(fd);
		return -1;
	}
	*port = ntohs(bound.ss_family == AF_INET6
			  ? ((struct sockaddr_in6 *)&bound)->sin6_port
			  : ((struct sockaddr_in *)&bound)->sin_port);
	return fd;
}

bool pn_metrics_address_ok(const char *addr_port, char *err, size_t err_size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	return parse_addr(addr_port, &ss, &len, err, err_size);
}

struct pn_metrics *pn_metrics_start(const char *addr_port,
				    unsigned top_services, char *err,
				    size_t err_size)
{
	struct sockaddr_storage ss;
	socklen_t ss_len;
	if (!addr_port) {
		set_err(err, err_size, "no address given");
		return NULL;
	}
	if (!parse_addr(addr_port, &ss, &ss_len, err, err_size))
		return NULL;

	struct pn_metrics *m = calloc(1, sizeof *m);
	if (!m || pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		set_err(err, err_size, "out of memory");
		return NULL;
	}
	m->top = top_services;
	atomic_init(&m->stopping, false);

	/* Served until the first update: the fixed families, at zero. */
	struct pn_live_snapshot empty = {0};
	struct other none = {0};
	struct buf b = {0};
	render(m, &empty, &none, &b);
	swap_text(m, &b);
	if (!m->text) {
		set_err(err, err_size, "out of memory");
		pn_metrics_stop(m);
		return NULL;
	}

	int fd = open_listener(&ss, ss_len, &m->port, err, err_size);
	if (fd < 0) {
		pn_metrics_stop(m);
		return NULL;
	}
	/* No internal thread: serve() runs MHD, with the deadlines. */
	unsigned flags = MHD_USE_AUTO;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* From here MHD owns fd: it closes it on failure and on stop. */
	m->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, handle, m, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, m,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, m, MHD_OPTION_END);
	if (!m->daemon) {
		char where[ADDR_TEXT_SIZE];
		addr_text(&ss, ss_len, where, sizeof where);
		set_err(err, err_size,
			"cannot listen on %s: the HTTP server did not start",
			where);
		pn_metrics_stop(m);
		return NULL;
	}
	if (pthread_create(&m->thread, NULL, serve, m) != 0) {
		set_err(err, err_size, "cannot start the HTTP server's thread");
		pn_metrics_stop(m);
		return NULL;
	}
	m->thread_started = true;
	return m;
}

char *pn_metrics_text(struct pn_metrics *m)
{
	if (!m)
		return NULL;
	pthread_mutex_lock(&m->lock);
	char *copy = malloc(m->text_len + 1);
	if (copy) {
		memcpy(copy, m->text, m->text_len);
		copy[m->text_len] = '\0';
	}
	pthread_mutex_unlock(&m->lock);
	return copy;
}

unsigned pn_metrics_port(const struct pn_metrics *m)
{
	return m ? m->port : 0;
}

void pn_metrics_stop(struct pn_metrics *m)
{
	if (!m)
		return;
	/* After the join no request runs; MHD_stop_daemon then closes the
	 * connections, reporting each to on_connection. */
	atomic_store(&m->stopping, true);
	if (m->thread_started)
		pthread_join(m->thread, NULL);
	if (m->daemon)
		MHD_stop_daemon(m->daemon);
	struct svc *s, *tmp;
	HASH_ITER(hh, m->services, s, tmp)
	{
		HASH_DEL(m->services, s);
		free(s->key);
		free(s->label);
		free(s);
	}
	free(m->exposed);
	free(m->text);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
