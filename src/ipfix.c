/* ipfix.c — bidirectional flow records over IPFIX, encoded by libfixbuf.
 *
 * One internal template describes struct record, holding both address
 * families; two export templates (IPv4, IPv6) carry what each flow has,
 * and fixbuf transcodes. A sink is one exporting process: the collector
 * (UDP or TCP) or the file. A sink that fails is torn down, its records
 * counted as lost, and built again (templates and all, as a new transport
 * session) on a later record, after a backoff.
 */
#define _GNU_SOURCE /* fopencookie */
#include "portnote/ipfix.h"

#include "portnote/evidence.h"
#include "portnote/flowprint.h"
#include "portnote/output.h"

#include <errno.h>
#include <fcntl.h>
#include <fixbuf/public.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* RFC 6759 section 4.1: the IANA-L4 classification engine. */
#define ENGINE_IANA_L4 4
/* Templates again on UDP at least this often (RFC 7011 section 8.4). */
#define TEMPLATE_REFRESH_S 30.0
/* Records per message: a record takes about 150 bytes, so eight keep a
 * UDP message within an Ethernet MTU (RFC 7011 section 10.3.3), and
 * records lost with a failing message are known exactly. */
#define RECORDS_PER_UDP_MESSAGE 8
#define RECORDS_PER_MESSAGE 256
#define BACKOFF_MIN_S 1.0
#define BACKOFF_MAX_S 60.0
/* Bytes a TCP sink holds for a collector that reads slowly; beyond, whole
 * messages are dropped (and their records counted). */
#define TCP_QUEUE_MAX (4u << 20)

enum { TID_INTERNAL = 0x8000, TID_V4 = 0x8001, TID_V6 = 0x8002 };

/* The internal record: 8-byte fields first, then smaller ones, so that
 * fixbuf's packed layout and C's agree (checked below). */
struct record {
	uint64_t start_ms, end_ms;
	uint64_t packets, octets, rev_packets, rev_octets;
	fbVarfield_t app_id, app_name, basis, flags, verdict, looks_like;
	uint8_t src6[16], dst6[16];
	uint32_t src4, dst4;
	uint16_t sport, dport, vlan, tcp_flags, rev_tcp_flags;
	uint8_t proto, end_reason;
	uint8_t padding[4];
};
_Static_assert(sizeof(struct record) == 6 * 8 + 6 * 16 + 32 + 8 + 10 + 2 + 4,
	       "struct record has no padding of the compiler's own");

static fbInfoElementSpec_t common_spec[] = {
    {"flowStartMilliseconds", 8, 0},
    {"flowEndMilliseconds", 8, 0},
    {"packetDeltaCount", 8, 0},
    {"octetDeltaCount", 8, 0},
    {"reversePacketDeltaCount", 8, 0},
    {"reverseOctetDeltaCount", 8, 0},
    {"applicationId", FB_IE_VARLEN, 0},
    {"applicationName", FB_IE_VARLEN, 0},
    {"portnoteServerBasis", FB_IE_VARLEN, 0},
    {"portnoteRegistryFlags", FB_IE_VARLEN, 0},
    {"portnotePayloadVerdict", FB_IE_VARLEN, 0},
    {"portnoteLooksLike", FB_IE_VARLEN, 0},
    FB_IESPEC_NULL};
static fbInfoElementSpec_t v6_spec[] = {{"sourceIPv6Address", 16, 0},
					{"destinationIPv6Address", 16, 0},
					FB_IESPEC_NULL};
static fbInfoElementSpec_t v4_spec[] = {{"sourceIPv4Address", 4, 0},
					{"destinationIPv4Address", 4, 0},
					FB_IESPEC_NULL};
static fbInfoElementSpec_t tail_spec[] = {{"sourceTransportPort", 2, 0},
					  {"destinationTransportPort", 2, 0},
					  {"vlanId", 2, 0},
					  {"tcpControlBits", 2, 0},
					  {"reverseTcpControlBits", 2, 0},
					  {"protocolIdentifier", 1, 0},
					  {"flowEndReason", 1, 0},
					  FB_IESPEC_NULL};
static fbInfoElementSpec_t padding_spec[] = {{"paddingOctets", 4, 0},
					     FB_IESPEC_NULL};

struct sink {
	const char *what; /* "collector 127.0.0.1:4739", "file x.ipfix" */
	bool is_file;
	struct pn_ipfix *x;
	fBuf_t *buf; /* NULL while down */
	/* The collector's socket, non-blocking: libfixbuf writes each message
	 * to a stdio stream of ours (fopencookie), which sends it, so that a
	 * collector that is slow, gone or refusing never blocks capture. */
	int fd;
	FILE *fp;
	bool broken;	   /* the connection failed: build it again */
	char error[256];   /* why, for the first report */
	unsigned emitting; /* records in the message being written */
	uint8_t *queue;	   /* TCP bytes not sent yet */
	size_t queued, queue_cap;
	uint64_t queued_records; /* records among them */
	double last_templates, next_try, backoff;
	unsigned in_message; /* records appended since the last emit */
	bool reported;	     /* its first failure was said on stderr */
};

struct pn_ipfix {
	struct pn_ipfix_options o;
	const struct pn_registry *reg;
	struct pn_annotator *ann;
	fbInfoModel_t *model;
	fbInfoElement_t elements[5];
	struct sink sinks[2];
	int n_sinks;
	char collector_text[300];
	char file_text[300];
	struct pn_ipfix_counters counters;
};

/* libfixbuf speaks through GLib's log: said as ours, escaped. */
static void on_glib_log(const gchar *domain, GLogLevelFlags level,
			const gchar *message, gpointer data)
{
	(void)domain;
	(void)level;
	(void)data;
	if (message)
		fprintf(stderr, "portnote: libfixbuf: %s\n", pn_safe(message));
}

/* Emits what the sink holds; the records it carried are known to the
 * stream's writer, which counts them if they cannot be sent. */
static bool emit(struct pn_ipfix *x, struct sink *k, GError **gerr)
{
	k->emitting = k->in_message;
	k->in_message = 0;
	bool ok = fBufEmit(k->buf, gerr);
	if (!ok)
		x->counters.lost += k->emitting;
	k->emitting = 0;
	return ok;
}

static double monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool pn_ipfix_parse(const char *spec, struct pn_ipfix_options *o, char *err,
		    size_t err_size)
{
	const char *s = spec;
	o->transport = PN_IPFIX_UDP;
	if (!strncmp(s, "udp:", 4)) {
		s += 4;
	} else if (!strncmp(s, "tcp:", 4)) {
		o->transport = PN_IPFIX_TCP;
		s += 4;
	}
	const char *colon;
	const char *host = s;
	size_t host_len;
	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':') {
			snprintf(err, err_size,
				 "bad --ipfix '%s' (an IPv6 host is written "
				 "[ADDR]:PORT)",
				 spec);
			return false;
		}
		host = s + 1;
		host_len = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon) {
			snprintf(
			    err, err_size,
			    "bad --ipfix '%s' (expected [udp:|tcp:]HOST:PORT, "
			    "an IPv6 host in brackets)",
			    spec);
			return false;
		}
		host_len = (size_t)(colon - host);
	}
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (!host_len || host_len >= sizeof o->host || !colon[1] || *end ||
	    port == 0 || port > 65535) {
		snprintf(err, err_size,
			 "bad --ipfix '%s' (expected [udp:|tcp:]HOST:PORT, a "
			 "port from 1 to 65535)",
			 spec);
		return false;
	}
	memcpy(o->host, host, host_len);
	o->host[host_len] = '\0';
	snprintf(o->port, sizeof o->port, "%lu", port);
	o->collector = spec;
	return true;
}

static bool add_templates(struct pn_ipfix *x, fbSession_t *session,
			  GError **gerr)
{
	fbTemplate_t *in = fbTemplateAlloc(x->model);
	if (!fbTemplateAppendSpecArray(in, common_spec, 0, gerr) ||
	    !fbTemplateAppendSpecArray(in, v6_spec, 0, gerr) ||
	    !fbTemplateAppendSpecArray(in, v4_spec, 0, gerr) ||
	    !fbTemplateAppendSpecArray(in, tail_spec, 0, gerr) ||
	    !fbTemplateAppendSpecArray(in, padding_spec, 0, gerr) ||
	    !fbSessionAddTemplate(session, TRUE, TID_INTERNAL, in, gerr))
		return false;
	fbInfoElementSpec_t *const family[2] = {v4_spec, v6_spec};
	const uint16_t tid[2] = {TID_V4, TID_V6};
	for (int i = 0; i < 2; i++) {
		fbTemplate_t *t = fbTemplateAlloc(x->model);
		if (!fbTemplateAppendSpecArray(t, common_spec, 0, gerr) ||
		    !fbTemplateAppendSpecArray(t, family[i], 0, gerr) ||
		    !fbTemplateAppendSpecArray(t, tail_spec, 0, gerr) ||
		    !fbSessionAddTemplate(session, FALSE, tid[i], t, gerr))
			return false;
	}
	return true;
}

static void note_error(struct sink *k, const char *what, int err)
{
	if (!k->error[0])
		snprintf(k->error, sizeof k->error, "%s: %s", what,
			 strerror(err));
}

static bool would_block(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR ||
	       err == EINPROGRESS || err == EALREADY;
}

/* Sends what the TCP queue holds, as far as the socket takes it now. */
static void tcp_drain(struct sink *k)
{
	while (k->queued && !k->broken) {
		ssize_t w = send(k->fd, k->queue, k->queued,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0) {
			memmove(k->queue, k->queue + w, k->queued - (size_t)w);
			k->queued -= (size_t)w;
			if (!k->queued)
				k->queued_records = 0;
			continue;
		}
		if (w < 0 && would_block(errno))
			return;
		note_error(k, "send", w < 0 ? errno : EPIPE);
		k->broken = true;
	}
}

static bool tcp_queue(struct sink *k, const char *buf, size_t n)
{
	if (k->queued + n > k->queue_cap) {
		size_t cap = k->queue_cap ? k->queue_cap : 65536;
		while (cap < k->queued + n)
			cap *= 2;
		uint8_t *q = realloc(k->queue, cap);
		if (!q)
			return false;
		k->queue = q;
		k->queue_cap = cap;
	}
	memcpy(k->queue + k->queued, buf, n);
	k->queued += n;
	return true;
}

/* libfixbuf's writes, one message each: sent at once or queued (TCP),
 * never waited for. A message that cannot go has its records counted; the
 * stream itself never fails, so libfixbuf carries on. */
static ssize_t cookie_write(void *cookie, const char *buf, size_t n)
{
	struct sink *k = cookie;
	struct pn_ipfix_counters *c = &k->x->counters;
	unsigned records = k->emitting;
	k->emitting = 0;
	if (k->broken) {
		c->lost += records;
		return (ssize_t)n;
	}
	if (k->x->o.transport == PN_IPFIX_UDP) {
		if (send(k->fd, buf, n, MSG_DONTWAIT) < 0) {
			/* Port unreachable, a full socket buffer: this
			 * message is lost, the next may go. */
			note_error(k, "send", errno);
			c->lost += records;
		}
		return (ssize_t)n;
	}
	tcp_drain(k);
	size_t sent = 0;
	if (!k->queued && !k->broken) {
		ssize_t w = send(k->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w >= 0) {
			sent = (size_t)w;
		} else if (!would_block(errno)) {
			note_error(k, "send", errno);
			k->broken = true;
		}
	}
	if (k->broken) {
		c->lost += records;
	} else if (sent < n) {
		/* The rest of a message begun must follow; a new one waits
		 * only while the queue has room. */
		if ((sent == 0 && k->queued + n > TCP_QUEUE_MAX) ||
		    !tcp_queue(k, buf + sent, n - sent))
			c->lost += records;
		else
			k->queued_records += records;
	}
	return (ssize_t)n;
}

/* The collector's socket, connected (UDP) or connecting (TCP), and the
 * stream libfixbuf writes to. */
static bool net_open(struct pn_ipfix *x, struct sink *k, GError **gerr)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC};
	hints.ai_socktype =
	    x->o.transport == PN_IPFIX_TCP ? SOCK_STREAM : SOCK_DGRAM;
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(x->o.host, x->o.port, &hints, &ai);
	if (rc) {
		g_set_error(gerr, FB_ERROR_DOMAIN, FB_ERROR_CONN, "%s",
			    gai_strerror(rc));
		return false;
	}
	int fd = socket(ai->ai_family,
			ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	if (fd < 0 || (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
		       !would_block(errno))) {
		g_set_error(gerr, FB_ERROR_DOMAIN, FB_ERROR_CONN, "connect: %s",
			    strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return false;
	}
	freeaddrinfo(ai);
	cookie_io_functions_t io = {.write = cookie_write};
	FILE *fp = fopencookie(k, "w", io);
	if (!fp) {
		close(fd);
		g_set_error(gerr, FB_ERROR_DOMAIN, FB_ERROR_CONN,
			    "out of memory");
		return false;
	}
	/* One write per message: UDP sends each as one datagram. */
	setvbuf(fp, NULL, _IONBF, 0);
	k->fd = fd;
	k->fp = fp;
	k->broken = false;
	return true;
}

static void net_close(struct sink *k)
{
	if (k->fp)
		fclose(k->fp);
	if (k->fd >= 0)
		close(k->fd);
	free(k->queue);
	k->queue = NULL;
	k->queue_cap = 0;
	k->fp = NULL;
	k->fd = -1;
	k->queued = 0;
	k->queued_records = 0;
}

/* Builds a sink's exporting process: session, templates (and RFC 5610
 * type records for portnote's elements), exporter. */
static bool sink_open(struct pn_ipfix *x, struct sink *k, GError **gerr)
{
	fbSession_t *session = fbSessionAlloc(x->model);
	fbSessionSetDomain(session, x->o.domain);
	if (!fbSessionSetMetadataExportElements(session, TRUE, FB_TID_AUTO,
						gerr) ||
	    !add_templates(x, session, gerr)) {
		fbSessionFree(session);
		return false;
	}
	fbExporter_t *exp;
	if (k->is_file) {
		exp = fbExporterAllocFile(x->o.file);
	} else {
		if (!net_open(x, k, gerr)) {
			fbSessionFree(session);
			return false;
		}
		exp = fbExporterAllocFP(k->fp);
	}
	if (!exp) {
		fbSessionFree(session);
		net_close(k);
		g_set_error(gerr, FB_ERROR_DOMAIN, FB_ERROR_CONN,
			    "cannot set up the exporting process");
		return false;
	}
	fBuf_t *buf = fBufAllocForExport(session, exp);
	if (!fbSessionExportTemplates(session, gerr) ||
	    !fBufSetInternalTemplate(buf, TID_INTERNAL, gerr)) {
		fBufFree(buf);
		net_close(k);
		return false;
	}
	k->buf = buf;
	k->last_templates = monotonic();
	return true;
}

/* Says once per sink what went wrong first. */
static void report(struct sink *k, const char *why)
{
	if (k->reported)
		return;
	fprintf(stderr,
		"portnote: IPFIX %s: %s; records that cannot be sent are "
		"counted, capture goes on\n",
		pn_safe(k->what),
		pn_safe(k->error[0] ? k->error
			: why	    ? why
				    : "failed"));
	k->reported = true;
}

static void sink_fail(struct pn_ipfix *x, struct sink *k, GError *gerr)
{
	report(k, gerr ? gerr->message : NULL);
	/* What the failed message held, and the queue, are lost with it. */
	x->counters.lost += k->in_message + k->queued_records;
	k->in_message = 0;
	if (k->buf) {
		fBufFree(k->buf);
		k->buf = NULL;
	}
	net_close(k);
	k->backoff = k->backoff ? k->backoff * 2 : BACKOFF_MIN_S;
	if (k->backoff > BACKOFF_MAX_S)
		k->backoff = BACKOFF_MAX_S;
	k->next_try = monotonic() + k->backoff;
}

struct pn_ipfix *pn_ipfix_open(const struct pn_ipfix_options *o,
			       const struct pn_registry *reg,
			       struct pn_annotator *ann, char *err,
			       size_t err_size)
{
	struct pn_ipfix *x = calloc(1, sizeof *x);
	if (!x) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	x->o = *o;
	x->reg = reg;
	x->ann = ann;
	g_log_set_default_handler(on_glib_log, NULL);
	x->model = fbInfoModelAlloc();
	static const char *const names[4][2] = {
	    {"portnoteServerBasis",
	     "On what evidence portnote chose the server side: handshake, "
	     "registry, first-packet, port-class, none"},
	    {"portnoteRegistryFlags",
	     "What the IANA registry marks on the server port: reserved, "
	     "unassigned, dynamic, unauthorized-use-reported, ambiguous"},
	    {"portnotePayloadVerdict",
	     "Whether the first payload bytes look like what the server port "
	     "is registered (or declared) for: agrees, differs, unverified, "
	     "no-payload"},
	    {"portnoteLooksLike",
	     "What the first payload bytes looked like, port-blind (tls, "
	     "ssh, dns, ...), empty when nothing matched"}};
	for (int i = 0; i < 4; i++)
		x->elements[i] = (fbInfoElement_t)FB_IE_INIT_FULL(
		    names[i][0], o->pen, (uint16_t)(i + 1), FB_IE_VARLEN,
		    FB_IE_DEFAULT, 0, 0, FB_STRING, (char *)names[i][1]);
	x->elements[4] = (fbInfoElement_t)FB_IE_NULL;
	fbInfoModelAddElementArray(x->model, x->elements);

	if (o->collector) {
		snprintf(x->collector_text, sizeof x->collector_text,
			 "collector %s", o->collector);
		x->sinks[x->n_sinks++] =
		    (struct sink){.what = x->collector_text, .x = x, .fd = -1};
	}
	if (o->file) {
		snprintf(x->file_text, sizeof x->file_text, "file %s", o->file);
		x->sinks[x->n_sinks++] = (struct sink){
		    .what = x->file_text, .is_file = true, .x = x, .fd = -1};
	}
	for (int i = 0; i < x->n_sinks; i++) {
		GError *gerr = NULL;
		struct sink *k = &x->sinks[i];
		if (!sink_open(x, k, &gerr)) {
			/* A file that cannot be written, or templates that
			 * do not build, end the run before it starts; an
			 * unreachable collector does not. */
			if (k->is_file || !gerr ||
			    gerr->domain != FB_ERROR_DOMAIN ||
			    gerr->code != FB_ERROR_CONN) {
				snprintf(err, err_size, "IPFIX %s: %s", k->what,
					 gerr ? gerr->message : "failed");
				g_clear_error(&gerr);
				x->n_sinks = i;
				int rc = pn_ipfix_close(x, NULL, NULL, 0);
				(void)rc;
				return NULL;
			}
			sink_fail(x, k, gerr);
			g_clear_error(&gerr);
		}
	}
	return x;
}

static void varfield(fbVarfield_t *v, const void *p, size_t n)
{
	v->buf = (uint8_t *)p;
	v->len = n;
}

enum pn_ipfix_reason pn_ipfix_end_reason(const struct pn_flow *f)
{
	switch ((enum pn_flow_end)f->end) {
	case PN_END_FIN:
	case PN_END_RST:
		return PN_IPFIX_END;
	case PN_END_IDLE:
		return PN_IPFIX_IDLE;
	case PN_END_EVICTED:
		return PN_IPFIX_RESOURCES;
	default:
		return PN_IPFIX_FORCED;
	}
}

static void fill(struct pn_ipfix *x, const struct pn_flow *f, struct record *r,
		 uint8_t app_id[3], char *names, size_t names_size, char *flags,
		 size_t flags_size)
{
	int srv = f->server, cli = !srv;
	enum pn_transport t = (enum pn_transport)f->key.transport;
	uint16_t port = f->key.port[srv];
	memset(r, 0, sizeof *r);
	r->start_ms = (uint64_t)(pn_flow_first_us(f) / 1000);
	r->end_ms = (uint64_t)(f->seen_us / 1000);
	r->packets = f->packets[cli];
	r->octets = f->bytes[cli];
	r->rev_packets = f->packets[srv];
	r->rev_octets = f->bytes[srv];
	if (f->key.ip_version == 6) {
		memcpy(r->src6, f->key.addr[cli], 16);
		memcpy(r->dst6, f->key.addr[srv], 16);
	} else {
		const uint8_t *a = f->key.addr[cli] + PN_ADDR_V4_OFF;
		const uint8_t *b = f->key.addr[srv] + PN_ADDR_V4_OFF;
		r->src4 = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
			  (uint32_t)a[2] << 8 | a[3];
		r->dst4 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
			  (uint32_t)b[2] << 8 | b[3];
	}
	r->sport = f->key.port[cli];
	r->dport = port;
	r->vlan = f->key.vlan;
	r->tcp_flags = f->tcp_flags[cli];
	r->rev_tcp_flags = f->tcp_flags[srv];
	static const uint8_t ip_proto[PN_TRANSPORT_COUNT] = {6, 17, 132, 33};
	r->proto = (unsigned)t < PN_TRANSPORT_COUNT ? ip_proto[t] : 0;
	r->end_reason = (uint8_t)pn_ipfix_end_reason(f);
	/* RFC 6759: the engine, then the selector (the port, network
	 * order); the registered names, space-separated. */
	app_id[0] = ENGINE_IANA_L4;
	app_id[1] = (uint8_t)(port >> 8);
	app_id[2] = (uint8_t)port;
	varfield(&r->app_id, app_id, 3);
	names[0] = '\0';
	if (f->basis != PN_BASIS_NONE &&
	    (pn_registry_slot(x->reg, t, port)->flags & PN_S_SERVICE)) {
		size_t n = 0;
		for (const char *c = pn_annotate(x->ann, t, port)->names_csv;
		     *c && n + 1 < names_size; c++)
			names[n++] = *c == ';' ? ' ' : *c;
		names[n] = '\0';
	}
	varfield(&r->app_name, names, strlen(names));
	const char *basis = pn_basis_name((enum pn_basis)f->basis);
	varfield(&r->basis, basis, strlen(basis));
	size_t n = 0;
	flags[0] = '\0';
	for (unsigned b = 0; b < PN_FF_COUNT; b++)
		if (f->flags & (1u << b)) {
			int w = snprintf(flags + n, flags_size - n, "%s%s",
					 n ? "," : "", pn_flow_flag_name(b));
			if (w < 0 || (size_t)w >= flags_size - n)
				break;
			n += (size_t)w;
		}
	varfield(&r->flags, flags, n);
	if (x->o.evidence) {
		struct pn_verdict_detail d;
		enum pn_payload_verdict v = pn_flow_verdict(
		    x->reg, pn_annotator_declarations(x->ann), f, &d);
		const char *vn = pn_payload_verdict_name(v);
		varfield(&r->verdict, vn, strlen(vn));
		const char *ln = d.looks_like == PN_P_NONE
				     ? ""
				     : pn_proto_name(d.looks_like);
		varfield(&r->looks_like, ln, strlen(ln));
	} else {
		varfield(&r->verdict, "", 0);
		varfield(&r->looks_like, "", 0);
	}
}

static bool sink_ready(struct pn_ipfix *x, struct sink *k)
{
	if (k->buf)
		return true;
	if (monotonic() < k->next_try)
		return false;
	GError *gerr = NULL;
	if (sink_open(x, k, &gerr)) {
		k->backoff = 0;
		return true;
	}
	sink_fail(x, k, gerr);
	g_clear_error(&gerr);
	return false;
}

/* After a send: a broken connection is built again later; a first
 * failure is said. */
static void after_send(struct pn_ipfix *x, struct sink *k)
{
	if (k->broken)
		sink_fail(x, k, NULL);
	else if (k->error[0])
		report(k, NULL);
}

void pn_ipfix_flow(struct pn_ipfix *x, const struct pn_flow *f)
{
	pn_ipfix_part(x, f, NULL);
}

void pn_ipfix_part(struct pn_ipfix *x, const struct pn_flow *f,
		   const struct pn_ipfix_part *part)
{
	if (!x)
		return;
	struct record r;
	uint8_t app_id[3];
	char names[1024], flags[160];
	fill(x, f, &r, app_id, names, sizeof names, flags, sizeof flags);
	if (part) {
		int srv = f->server, cli = !srv;
		r.start_ms = (uint64_t)(part->start_us / 1000);
		r.end_ms = (uint64_t)(part->end_us / 1000);
		r.packets = part->packets[cli];
		r.octets = part->bytes[cli];
		r.rev_packets = part->packets[srv];
		r.rev_octets = part->bytes[srv];
		r.end_reason = (uint8_t)part->reason;
	}
	uint16_t tid = f->key.ip_version == 6 ? TID_V6 : TID_V4;
	for (int i = 0; i < x->n_sinks; i++) {
		struct sink *k = &x->sinks[i];
		x->counters.records++;
		if (k->fp && k->queued)
			tcp_drain(k);
		if (k->broken)
			sink_fail(x, k, NULL);
		if (!sink_ready(x, k)) {
			x->counters.lost++;
			continue;
		}
		GError *gerr = NULL;
		if (!fBufSetExportTemplate(k->buf, tid, &gerr) ||
		    !fBufAppend(k->buf, (uint8_t *)&r, sizeof r, &gerr)) {
			x->counters.lost++;
			sink_fail(x, k, gerr);
		} else if (++k->in_message >=
			   (!k->is_file && x->o.transport == PN_IPFIX_UDP
				? RECORDS_PER_UDP_MESSAGE
				: RECORDS_PER_MESSAGE)) {
			if (!emit(x, k, &gerr))
				sink_fail(x, k, gerr);
			else
				after_send(x, k);
		}
		g_clear_error(&gerr);
	}
}

void pn_ipfix_flush(struct pn_ipfix *x)
{
	if (!x)
		return;
	for (int i = 0; i < x->n_sinks; i++) {
		struct sink *k = &x->sinks[i];
		if (k->fp && k->queued)
			tcp_drain(k);
		if (!k->buf || k->broken) {
			if (k->broken)
				sink_fail(x, k, NULL);
			continue;
		}
		GError *gerr = NULL;
		bool ok = emit(x, k, &gerr);
		if (ok && !k->is_file && x->o.transport == PN_IPFIX_UDP &&
		    monotonic() - k->last_templates >= TEMPLATE_REFRESH_S) {
			ok = fbSessionExportTemplates(fBufGetSession(k->buf),
						      &gerr) &&
			     emit(x, k, &gerr);
			k->last_templates = monotonic();
		}
		if (!ok)
			sink_fail(x, k, gerr);
		else
			after_send(x, k);
		g_clear_error(&gerr);
	}
}

const struct pn_ipfix_counters *pn_ipfix_counters(const struct pn_ipfix *x)
{
	return &x->counters;
}

/* At the end, a TCP collector gets a few seconds to take what is queued. */
#define CLOSE_WAIT_S 3.0

int pn_ipfix_close(struct pn_ipfix *x, struct pn_ipfix_counters *last,
		   char *err, size_t err_size)
{
	if (!x)
		return 0;
	int rc = 0;
	for (int i = 0; i < x->n_sinks; i++) {
		struct sink *k = &x->sinks[i];
		if (!k->buf)
			continue;
		GError *gerr = NULL;
		if (!emit(x, k, &gerr) && k->is_file && err) {
			snprintf(err, err_size, "IPFIX %s: %s", k->what,
				 gerr->message);
			rc = -1;
		}
		g_clear_error(&gerr);
		for (double until = monotonic() + CLOSE_WAIT_S;
		     k->fp && k->queued && !k->broken && monotonic() < until;) {
			struct pollfd p = {.fd = k->fd, .events = POLLOUT};
			poll(&p, 1, 100);
			tcp_drain(k);
		}
		if (k->error[0])
			report(k, NULL);
		x->counters.lost += k->queued_records;
		fBufFree(k->buf);
		k->buf = NULL;
		net_close(k);
	}
	if (last)
		*last = x->counters;
	if (x->model)
		fbInfoModelFree(x->model);
	free(x);
	return rc;
}
