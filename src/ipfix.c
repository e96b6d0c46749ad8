/* ipfix.c — bidirectional flow records over IPFIX, encoded by libfixbuf.
 *
 * One internal template describes struct record, holding both address
 * families; two export templates (IPv4, IPv6) carry what each flow has,
 * and fixbuf transcodes. A sink is one exporting process: the collector
 * (UDP or TCP) or the file. A sink that fails is torn down, its records
 * counted as lost, and built again (templates and all, as a new transport
 * session) on a later record, after a backoff.
 */
#include "portnote/ipfix.h"

#include "portnote/evidence.h"
#include "portnote/flowprint.h"
#include "portnote/output.h"

#include <fixbuf/public.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	fBuf_t *buf; /* NULL while down */
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

/* libfixbuf reports a failed UDP send (a collector that is not there
 * answers port unreachable) only as a GLib warning, and carries on: the
 * handler below turns it into this flag, which the caller of fBufEmit
 * reads, so the records of that message are counted as not sent and
 * nothing raw reaches stderr. Export runs on one thread. */
static bool udp_send_failed;
static char udp_send_error[256];

static void on_glib_log(const gchar *domain, GLogLevelFlags level,
			const gchar *message, gpointer data)
{
	(void)domain;
	(void)level;
	(void)data;
	if (!message)
		return;
	if (strstr(message, "UDP send")) {
		udp_send_failed = true;
		snprintf(udp_send_error, sizeof udp_send_error, "%s", message);
	} else if (!strstr(message, "packets will be lost")) {
		fprintf(stderr, "portnote: libfixbuf: %s\n", pn_safe(message));
	}
}

/* Emits what the sink holds; false when the message was not sent. */
static bool emit(struct sink *k, GError **gerr)
{
	udp_send_failed = false;
	if (!fBufEmit(k->buf, gerr))
		return false;
	if (udp_send_failed) {
		g_set_error(gerr, FB_ERROR_DOMAIN, FB_ERROR_IO, "%s",
			    udp_send_error);
		return false;
	}
	return true;
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
		fbConnSpec_t spec = FB_CONNSPEC_INIT;
		spec.transport =
		    x->o.transport == PN_IPFIX_TCP ? FB_TCP : FB_UDP;
		spec.host = x->o.host;
		spec.svc = x->o.port;
		exp = fbExporterAllocNet(&spec);
	}
	if (!exp) {
		fbSessionFree(session);
		g_set_error(gerr, FB_ERROR_DOMAIN, FB_ERROR_CONN,
			    "cannot set up the exporting process");
		return false;
	}
	fBuf_t *buf = fBufAllocForExport(session, exp);
	/* The templates and type records fill messages of their own: a
	 * collector that is not there shows already. */
	udp_send_failed = false;
	if (!fbSessionExportTemplates(session, gerr) ||
	    !fBufSetInternalTemplate(buf, TID_INTERNAL, gerr)) {
		fBufFree(buf);
		return false;
	}
	if (udp_send_failed) {
		g_set_error(gerr, FB_ERROR_DOMAIN, FB_ERROR_CONN, "%s",
			    udp_send_error);
		fBufFree(buf);
		return false;
	}
	k->buf = buf;
	k->last_templates = monotonic();
	return true;
}

static void sink_fail(struct pn_ipfix *x, struct sink *k, GError *gerr)
{
	if (!k->reported) {
		fprintf(stderr,
			"portnote: IPFIX %s: %s; records that cannot be sent "
			"are counted, capture goes on\n",
			pn_safe(k->what),
			pn_safe(gerr ? gerr->message : "failed"));
		k->reported = true;
	}
	/* What the failed message held is lost with it. */
	x->counters.lost += k->in_message;
	k->in_message = 0;
	if (k->buf) {
		fBufFree(k->buf);
		k->buf = NULL;
	}
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
		    (struct sink){.what = x->collector_text};
	}
	if (o->file) {
		snprintf(x->file_text, sizeof x->file_text, "file %s", o->file);
		x->sinks[x->n_sinks++] =
		    (struct sink){.what = x->file_text, .is_file = true};
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
				int rc = pn_ipfix_close(x, NULL, 0);
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
	switch ((enum pn_flow_end)f->end) {
	case PN_END_FIN:
	case PN_END_RST:
		r->end_reason = PN_IPFIX_END;
		break;
	case PN_END_IDLE:
		r->end_reason = PN_IPFIX_IDLE;
		break;
	case PN_END_EVICTED:
		r->end_reason = PN_IPFIX_RESOURCES;
		break;
	default:
		r->end_reason = PN_IPFIX_FORCED;
	}
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

void pn_ipfix_flow(struct pn_ipfix *x, const struct pn_flow *f)
{
	if (!x)
		return;
	struct record r;
	uint8_t app_id[3];
	char names[1024], flags[160];
	fill(x, f, &r, app_id, names, sizeof names, flags, sizeof flags);
	uint16_t tid = f->key.ip_version == 6 ? TID_V6 : TID_V4;
	for (int i = 0; i < x->n_sinks; i++) {
		struct sink *k = &x->sinks[i];
		x->counters.records++;
		if (!sink_ready(x, k)) {
			x->counters.lost++;
			continue;
		}
		GError *gerr = NULL;
		udp_send_failed = false;
		if (!fBufSetExportTemplate(k->buf, tid, &gerr) ||
		    !fBufAppend(k->buf, (uint8_t *)&r, sizeof r, &gerr) ||
		    (udp_send_failed &&
		     (g_set_error(&gerr, FB_ERROR_DOMAIN, FB_ERROR_IO, "%s",
				  udp_send_error),
		      true))) {
			x->counters.lost++;
			sink_fail(x, k, gerr);
		} else if (++k->in_message >=
			   (!k->is_file && x->o.transport == PN_IPFIX_UDP
				? RECORDS_PER_UDP_MESSAGE
				: RECORDS_PER_MESSAGE)) {
			if (emit(k, &gerr))
				k->in_message = 0;
			else
				sink_fail(x, k, gerr);
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
		if (!k->buf)
			continue;
		GError *gerr = NULL;
		bool ok = emit(k, &gerr);
		if (ok)
			k->in_message = 0;
		if (ok && !k->is_file && x->o.transport == PN_IPFIX_UDP &&
		    monotonic() - k->last_templates >= TEMPLATE_REFRESH_S) {
			ok = fbSessionExportTemplates(fBufGetSession(k->buf),
						      &gerr) &&
			     emit(k, &gerr);
			k->last_templates = monotonic();
		}
		if (!ok)
			sink_fail(x, k, gerr);
		g_clear_error(&gerr);
	}
}

const struct pn_ipfix_counters *pn_ipfix_counters(const struct pn_ipfix *x)
{
	return &x->counters;
}

int pn_ipfix_close(struct pn_ipfix *x, char *err, size_t err_size)
{
	if (!x)
		return 0;
	int rc = 0;
	for (int i = 0; i < x->n_sinks; i++) {
		struct sink *k = &x->sinks[i];
		if (!k->buf)
			continue;
		GError *gerr = NULL;
		if (!emit(k, &gerr)) {
			x->counters.lost += k->in_message;
			if (k->is_file && err) {
				snprintf(err, err_size, "IPFIX %s: %s", k->what,
					 gerr->message);
				rc = -1;
			}
		}
		g_clear_error(&gerr);
		fBufFree(k->buf);
		k->buf = NULL;
	}
	if (x->model)
		fbInfoModelFree(x->model);
	free(x);
	return rc;
}
