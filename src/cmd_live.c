/* cmd_live.c — "portnote live": per-service rates of a live interface, in a
 * refreshing terminal view, as one snapshot per interval for scripts, and
 * as Prometheus metrics; the stats report when it ends. */
#include "portnote/annotate.h"
#include "portnote/capture.h"
#include "portnote/cli.h"
#include "portnote/commands.h"
#include "portnote/flow.h"
#include "portnote/flowprint.h"
#include "portnote/live.h"
#include "portnote/stats.h"
#include "portnote/summary.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>

static const char usage[] =
    "usage: portnote live -i IFACE [options] [EXPR]\n"
    "\n"
    "Watches an interface: packets/s and bits/s, libpcap drops, active\n"
    "flows and decode anomalies, and the services of the traffic by\n"
    "current rate — what each server port is registered for, bytes/s,\n"
    "packets/s, active and new flows, the evidence each server side was\n"
    "chosen on, registry flags, and flows by payload verdict (whether the\n"
    "first payload bytes look like what the port is registered for). On a\n"
    "terminal a full-screen view (keys: b p f sort by bytes, packets,\n"
    "flows; space pauses; u shows unregistered ports; d only services\n"
    "with differing flows; q quits); otherwise one snapshot per interval,\n"
    "as text or JSON lines. Ctrl-C, SIGTERM, SIGHUP or --duration end the\n"
    "run with the stats report. A registered port does not prove what\n"
    "traffic is.\n"
    "\n"
    "  -i, --interface IF      capture from IF ('any' for all)\n"
    "  -f, --filter EXPR       only packets matching the BPF expression "
    "(or EXPR\n"
    "                          after the options, as to tcpdump)\n"
    "  --duration S            stop after S seconds\n"
    "  --interval S            refresh every S seconds (default 2)\n"
    "  --top N                 services per snapshot and in the final "
    "report\n"
    "                          (default 20; 0: all)\n"
    "  --sort KEY              bytes (default), packets or flows\n"
    "  --flows-out FILE        write every ended flow to FILE as a JSON "
    "line\n"
    "  --metrics [ADDR:]PORT   serve Prometheus metrics on /metrics "
    "(address\n"
    "                          127.0.0.1 unless given)\n"
    "  --metrics-services N    services with labels of their own (default "
    "20;\n"
    "                          the rest are summed as service=\"other\")\n"
    "  --idle-timeout S        end idle flows after S seconds, or per "
    "transport:\n"
    "                          tcp=300,udp=60,sctp=300,dccp=300 "
    "(defaults)\n"
    "  --max-flows N           keep at most N flows (default 1000000); the "
    "least\n"
    "                          recently seen is ended early (counted)\n"
    "  -Z, --user USER         once the interface is open, run as USER "
    "(as root;\n"
    "                          default nobody; '-Z root' keeps root)\n"
    "  --no-evidence           do not examine payloads (no verdicts)\n"
    "  --active-timeout S      with --ipfix: export a long flow every S "
    "seconds,\n"
    "                          with the counts since its last record "
    "(default 60)\n"
    "  --declare FILE          what this site runs on purpose ('2222/tcp "
    "ssh'):\n"
    "                          a declared port is judged against "
    "it\n" PN_IPFIX_HELP
    "  -s, --snaplen N, --no-promisc, --immediate, -B, --buffer-size K,\n"
    "  -c, --count N, -n       as for the other capture "
    "commands\n" PN_COMMON_HELP_FORMATS(
	"text (default) or json") "\n"
				  "Exit status: 0; 1 if the capture failed or "
				  "privileges could not be "
				  "dropped;\n"
				  "2 on bad usage.\n";

enum {
	OPT_INTERVAL = PN_OPT_FIRST_OWN,
	OPT_FLOWS_OUT,
	OPT_METRICS,
	OPT_METRICS_SERVICES,
	OPT_NO_EVIDENCE,
	OPT_ACTIVE_TIMEOUT,
};

struct own_options {
	struct pn_cli_capture capture;
	struct pn_flow_config flows;
	double interval;
	unsigned top;
	enum pn_live_sort sort;
	const char *flows_out;
	const char *metrics;
	unsigned metrics_services;
	struct pn_ipfix_options ipfix;
	double active_timeout;
};

static int take_option(struct pn_cli *cli, int opt, const char *arg, void *ctx)
{
	struct own_options *o = ctx;
	unsigned long long v;
	char *end;
	switch (opt) {
	case OPT_INTERVAL:
		errno = 0;
		o->interval = strtod(arg, &end);
		if (errno || *end || !(o->interval >= 0.1) ||
		    o->interval > 86400)
			return pn_cli_usage_error(cli,
						  "bad --interval '%s' "
						  "(expected seconds, 0.1 to "
						  "86400)",
						  arg);
		return 0;
	case OPT_FLOWS_OUT:
		o->flows_out = arg;
		return 0;
	case OPT_NO_EVIDENCE:
		o->flows.evidence = false;
		return 0;
	case OPT_ACTIVE_TIMEOUT:
		errno = 0;
		o->active_timeout = strtod(arg, &end);
		if (errno || *end || !(o->active_timeout >= 1) ||
		    o->active_timeout > 86400)
			return pn_cli_usage_error(cli,
						  "bad --active-timeout '%s' "
						  "(expected seconds, 1 to "
						  "86400)",
						  arg);
		return 0;
	case OPT_METRICS: {
		char err[256];
		if (!pn_metrics_address_ok(arg, err, sizeof err))
			return pn_cli_usage_error(cli, "--metrics: %s", err);
		o->metrics = arg;
		return 0;
	}
	case OPT_METRICS_SERVICES:
		if (!pn_cli_number(arg, 1, 10000, &v))
			return pn_cli_usage_error(cli,
						  "bad --metrics-services '%s' "
						  "(expected 1 to 10000)",
						  arg);
		o->metrics_services = (unsigned)v;
		return 0;
	}
	int sort = (int)o->sort;
	int taken = pn_cli_ipfix_option(cli, &o->ipfix, opt, arg);
	if (taken == 0)
		taken = pn_cli_report_option(cli, opt, arg, &o->top, &sort);
	o->sort = (enum pn_live_sort)sort;
	if (taken == 0)
		taken = pn_cli_flow_option(cli, &o->flows, opt, arg);
	if (taken == 0)
		taken = pn_cli_capture_option(cli, &o->capture, opt, arg);
	return taken == 1 ? 0 : taken < 0 ? PN_EXIT_USAGE : -1;
}

/* A service as the live view keys it: transport and server port (or
 * "unknown" when neither side could be told to be the server). */
struct service {
	uint32_t key; /* transport << 17 | unknown << 16 | port */
	struct pn_live_service pub;
	uint64_t ended_packets[2], ended_bytes[2];
	uint64_t ended_verdict[PN_V_COUNT], ended_looks[PN_P_COUNT];
	/* At the previous snapshot, for the rates. */
	uint64_t prev_packets, prev_bytes, prev_flows;
	UT_hash_handle hh;
};

/* A long flow exported in part (--active-timeout): what its records have
 * carried so far. Keyed by the flow's address, removed when it ends. */
struct exported {
	const struct pn_flow *flow;
	uint64_t packets[2], bytes[2];
	pn_time_us until_us; /* the end of its last record */
	UT_hash_handle hh;
};

struct run {
	const struct pn_cli *cli;
	struct own_options *own;
	struct pn_annotator *ann;
	struct pn_flow_table *table;
	struct pn_service_stats *stats; /* the final report */
	struct service *services;
	pn_time_us snapshot_us; /* wall clock of the previous snapshot */
	pn_time_us start_us;
	double next_snapshot; /* monotonic */
	struct pn_live_snapshot snap;
	uint32_t snap_cap;
	uint64_t prev_packets, prev_bytes;
	bool tty, view_on, failed;
	struct pn_view_state view;
	struct pn_metrics *metrics;
	struct pn_ipfix *ipfix;
	struct exported *exported; /* flows already exported in part */
	double next_ipfix_flush;   /* monotonic */
	FILE *flows_out;
	/* The first lost write to stdout and to --flows-out (an errno, -1
	 * unknown): it ends the run, and is reported at its end. */
	int stdout_err, flows_err;
};

static pn_time_us wall_us(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return pn_time_from_timeval(&tv);
}

static double monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct service *service_of(struct run *r, const struct pn_flow *f)
{
	int srv = f->server;
	enum pn_transport t = (enum pn_transport)f->key.transport;
	bool unknown = f->basis == PN_BASIS_NONE;
	uint16_t port = unknown ? 0 : f->key.port[srv];
	uint32_t key = (uint32_t)t << 17 | (uint32_t)unknown << 16 | port;
	struct service *s;
	HASH_FIND(hh, r->services, &key, sizeof key, s);
	if (s)
		return s;
	s = calloc(1, sizeof *s);
	if (!s) {
		fputs("portnote live: out of memory\n", stderr);
		exit(70);
	}
	s->key = key;
	s->pub.transport = (uint8_t)t;
	s->pub.port = port;
	pn_flow_service(r->cli->reg, r->ann, f, s->pub.name,
			sizeof s->pub.name);
	const struct pn_slot *slot = &r->cli->reg->slots[f->slot[srv]];
	s->pub.registered = !unknown && (slot->flags & PN_S_SERVICE);
	s->pub.flags = unknown ? 0 : f->flags;
	HASH_ADD(hh, r->services, key, sizeof key, s);
	return s;
}

/* A flow's record since its last part, or the whole flow. */
static void export_end(struct run *r, const struct pn_flow *f)
{
	struct exported *e;
	HASH_FIND_PTR(r->exported, &f, e);
	if (!e) {
		pn_ipfix_flow(r->ipfix, f);
		return;
	}
	struct pn_ipfix_part part = {.start_us = e->until_us,
				     .end_us = f->seen_us,
				     .reason = pn_ipfix_end_reason(f)};
	for (int i = 0; i < 2; i++) {
		part.packets[i] = f->packets[i] - e->packets[i];
		part.bytes[i] = f->bytes[i] - e->bytes[i];
	}
	pn_ipfix_part(r->ipfix, f, &part);
	HASH_DEL(r->exported, e);
	free(e);
}

/* --active-timeout: a flow active that long since its start (or its last
 * record) gets a record of its counts since, as flow exporters do. */
static void export_active(struct run *r, const struct pn_flow *f)
{
	struct exported *e;
	HASH_FIND_PTR(r->exported, &f, e);
	pn_time_us since = e ? e->until_us : pn_flow_first_us(f);
	if (pn_time_sub(f->seen_us, since) <
	    (int64_t)(r->own->active_timeout * 1e6))
		return;
	if (!e) {
		e = calloc(1, sizeof *e);
		if (!e) {
			fputs("portnote live: out of memory\n", stderr);
			exit(70);
		}
		e->flow = f;
		HASH_ADD_PTR(r->exported, flow, e);
	}
	struct pn_ipfix_part part = {
	    .start_us = since, .end_us = f->seen_us, .reason = PN_IPFIX_ACTIVE};
	for (int i = 0; i < 2; i++) {
		part.packets[i] = f->packets[i] - e->packets[i];
		part.bytes[i] = f->bytes[i] - e->bytes[i];
		e->packets[i] = f->packets[i];
		e->bytes[i] = f->bytes[i];
	}
	e->until_us = f->seen_us;
	pn_ipfix_part(r->ipfix, f, &part);
}

static void count_verdict(struct run *r, const struct pn_flow *f,
			  uint64_t *verdict, uint64_t *looks)
{
	struct pn_verdict_detail d;
	enum pn_payload_verdict v = pn_flow_verdict(
	    r->cli->reg, pn_annotator_declarations(r->ann), f, &d);
	verdict[v]++;
	if (v == PN_V_DIFFERS && (unsigned)d.looks_like < PN_P_COUNT)
		looks[d.looks_like]++;
}

static void on_flow_end(void *ctx, const struct pn_flow *f)
{
	struct run *r = ctx;
	struct service *s = service_of(r, f);
	int srv = f->server, cli = !srv;
	s->ended_packets[0] += f->packets[cli];
	s->ended_packets[1] += f->packets[srv];
	s->ended_bytes[0] += f->bytes[cli];
	s->ended_bytes[1] += f->bytes[srv];
	/* Started and ended between two snapshots: never seen active. */
	if (!f->walked)
		s->pub.flows++;
	if (r->own->flows.evidence)
		count_verdict(r, f, s->ended_verdict, s->ended_looks);
	if (r->ipfix)
		export_end(r, f);
	pn_service_stats_add(r->stats, f);
	if (r->flows_out)
		pn_flow_print(r->flows_out, PN_FORMAT_JSON, r->cli->reg, r->ann,
			      f, r->own->flows.evidence);
}

static void add_active(void *ctx, const struct pn_flow *f)
{
	struct run *r = ctx;
	struct service *s = service_of(r, f);
	int srv = f->server, cli = !srv;
	s->pub.packets[0] += f->packets[cli];
	s->pub.packets[1] += f->packets[srv];
	s->pub.bytes[0] += f->bytes[cli];
	s->pub.bytes[1] += f->bytes[srv];
	s->pub.active++;
	s->pub.basis[f->basis]++;
	if (!f->walked)
		s->pub.flows++;
	/* Only a verdict that can no longer change, so counts only grow. */
	if (r->own->flows.evidence && !pn_flow_verdict_open(f))
		count_verdict(r, f, s->pub.verdict, s->pub.differs_looks);
	if (r->ipfix)
		export_active(r, f);
}

/* Builds r->snap: service totals are ended flows plus the counters of the
 * active ones, and rates the difference to the previous snapshot. */
static void take_snapshot(struct run *r, const struct pn_capture_stats *cs,
			  pn_time_us now)
{
	struct service *s, *tmp;
	HASH_ITER(hh, r->services, s, tmp)
	{
		memcpy(s->pub.packets, s->ended_packets, sizeof s->pub.packets);
		memcpy(s->pub.bytes, s->ended_bytes, sizeof s->pub.bytes);
		s->pub.active = 0;
		memset(s->pub.basis, 0, sizeof s->pub.basis);
		memcpy(s->pub.verdict, s->ended_verdict, sizeof s->pub.verdict);
		memcpy(s->pub.differs_looks, s->ended_looks,
		       sizeof s->pub.differs_looks);
	}
	pn_flow_foreach(r->table, add_active, r);

	double dt = (double)pn_time_sub(now, r->snapshot_us) / 1e6;
	if (dt <= 0)
		dt = 1e-6;
	uint32_t n = HASH_COUNT(r->services);
	if (n > r->snap_cap) {
		r->snap_cap = n * 2;
		r->snap.services = realloc(
		    r->snap.services, r->snap_cap * sizeof *r->snap.services);
		if (!r->snap.services) {
			fputs("portnote live: out of memory\n", stderr);
			exit(70);
		}
	}
	uint32_t i = 0;
	memset(r->snap.verdict, 0, sizeof r->snap.verdict);
	r->snap.evidence = r->own->flows.evidence;
	HASH_ITER(hh, r->services, s, tmp)
	{
		for (int v = 0; v < PN_V_COUNT; v++)
			r->snap.verdict[v] += s->pub.verdict[v];
		uint64_t packets = s->pub.packets[0] + s->pub.packets[1];
		uint64_t bytes = s->pub.bytes[0] + s->pub.bytes[1];
		if (packets < s->prev_packets)
			packets = s->prev_packets;
		if (bytes < s->prev_bytes)
			bytes = s->prev_bytes;
		s->pub.packets_per_s = (double)(packets - s->prev_packets) / dt;
		s->pub.bits_per_s = (double)(bytes - s->prev_bytes) * 8 / dt;
		s->pub.new_flows = s->pub.flows - s->prev_flows;
		s->pub.new_flows_per_s = (double)s->pub.new_flows / dt;
		s->prev_packets = packets;
		s->prev_bytes = bytes;
		s->prev_flows = s->pub.flows;
		r->snap.services[i++] = s->pub;
	}
	r->snap.n_services = i;

	const struct pn_flow_counters *fc = pn_flow_counters(r->table);
	struct pn_live_snapshot *sn = &r->snap;
	sn->iface = r->own->capture.opts.iface;
	sn->registry_date = pn_registry_date_text(r->cli->reg);
	sn->elapsed = (double)pn_time_sub(now, r->start_us) / 1e6;
	sn->interval = dt;
	sn->packets = cs->packets;
	sn->bytes = cs->bytes;
	sn->packets_per_s = (double)(cs->packets - r->prev_packets) / dt;
	sn->bits_per_s = (double)(cs->bytes - r->prev_bytes) * 8 / dt;
	r->prev_packets = cs->packets;
	r->prev_bytes = cs->bytes;
	sn->have_pcap_stats = cs->have_pcap_stats;
	sn->pcap_received = cs->pcap.ps_recv;
	sn->pcap_dropped = cs->pcap.ps_drop;
	sn->pcap_ifdropped = cs->pcap.ps_ifdrop;
	sn->decode = cs->decode;
	sn->active_flows = fc->active;
	sn->flows_started = fc->created;
	sn->flows_ended = 0;
	for (int e = 0; e < PN_END_COUNT; e++)
		sn->flows_ended += fc->ended[e];
	sn->flows_evicted = fc->ended[PN_END_EVICTED];
	sn->max_flows = r->own->flows.max_flows;
	sn->ipfix = r->ipfix != NULL;
	if (r->ipfix) {
		sn->ipfix_records = pn_ipfix_counters(r->ipfix)->records;
		sn->ipfix_lost = pn_ipfix_counters(r->ipfix)->lost;
	}
	r->snapshot_us = now;
}

static void flags_json(FILE *out, uint16_t flags)
{
	fputc('[', out);
	bool first = true;
	for (unsigned b = 0; b < PN_FF_COUNT; b++)
		if (flags & (1u << b)) {
			fprintf(out, "%s\"%s\"", first ? "" : ",",
				pn_flow_flag_name(b));
			first = false;
		}
	fputc(']', out);
}

/* ,"verdicts":{"agrees":3,...},"differs_looks_like":{"ssh":1} of one
 * service in a JSON snapshot. */
static void verdicts_json(FILE *out, const struct pn_live_service *s)
{
	fputs(",\"verdicts\":", out);
	pn_verdicts_json(out, s->verdict);
	fputs(",\"differs_looks_like\":{", out);
	for (int p = 0, n = 0; p < PN_P_COUNT; p++)
		if (s->differs_looks[p])
			fprintf(out, "%s\"%s\":%llu", n++ ? "," : "",
				pn_proto_name((enum pn_proto)p),
				(unsigned long long)s->differs_looks[p]);
	fputc('}', out);
}

static void write_snapshot_json(const struct run *r, FILE *out)
{
	const struct pn_live_snapshot *sn = &r->snap;
	char when[PN_TIME_TEXT_SIZE];
	fprintf(out, "{\"type\":\"snapshot\",\"time\":\"%s\",\"interface\":\"",
		pn_time_text(r->snapshot_us, when));
	pn_json_escape(out, sn->iface);
	fprintf(out,
		"\",\"elapsed\":%.3f,\"interval\":%.3f,\"packets\":%llu,"
		"\"bytes\":%llu,\"packets_per_s\":%.1f,\"bits_per_s\":%.0f,",
		sn->elapsed, sn->interval, (unsigned long long)sn->packets,
		(unsigned long long)sn->bytes, sn->packets_per_s,
		sn->bits_per_s);
	if (sn->have_pcap_stats)
		fprintf(out,
			"\"pcap\":{\"received\":%llu,\"dropped\":%llu,"
			"\"ifdropped\":%llu},",
			(unsigned long long)sn->pcap_received,
			(unsigned long long)sn->pcap_dropped,
			(unsigned long long)sn->pcap_ifdropped);
	fprintf(out,
		"\"active_flows\":%llu,\"flows_started\":%llu,"
		"\"flows_ended\":%llu,\"flows_evicted\":%llu,\"anomalies\":{",
		(unsigned long long)sn->active_flows,
		(unsigned long long)sn->flows_started,
		(unsigned long long)sn->flows_ended,
		(unsigned long long)sn->flows_evicted);
	bool first = true;
	for (int i = 0; i < PN_R_COUNT; i++) {
		if (i == PN_R_NONE || !sn->decode.reason[i])
			continue;
		fprintf(out, "%s\"%s\":%llu", first ? "" : ",",
			pn_decode_reason_name((enum pn_decode_reason)i),
			(unsigned long long)sn->decode.reason[i]);
		first = false;
	}
	fputs("},\"services\":[", out);
	uint32_t n = r->own->top && r->own->top < sn->n_services
			 ? r->own->top
			 : sn->n_services;
	for (uint32_t i = 0; i < n; i++) {
		const struct pn_live_service *s = &sn->services[i];
		fprintf(out, "%s{\"service\":\"", i ? "," : "");
		pn_json_escape(out, s->name);
		fprintf(out,
			"\",\"transport\":\"%s\",\"port\":%u,"
			"\"registered\":%s,\"flags\":",
			pn_transport_name(s->transport), s->port,
			s->registered ? "true" : "false");
		flags_json(out, s->flags);
		fprintf(
		    out,
		    ",\"packets_c2s\":%llu,\"bytes_c2s\":%llu,"
		    "\"packets_s2c\":%llu,\"bytes_s2c\":%llu,\"flows\":%llu,"
		    "\"active\":%u,\"new_flows\":%llu,"
		    "\"packets_per_s\":%.1f,\"bits_per_s\":%.0f,"
		    "\"new_flows_per_s\":%.2f,\"basis\":{",
		    (unsigned long long)s->packets[0],
		    (unsigned long long)s->bytes[0],
		    (unsigned long long)s->packets[1],
		    (unsigned long long)s->bytes[1],
		    (unsigned long long)s->flows, s->active,
		    (unsigned long long)s->new_flows, s->packets_per_s,
		    s->bits_per_s, s->new_flows_per_s);
		for (int b = 0; b < PN_BASIS_COUNT; b++)
			fprintf(out, "%s\"%s\":%u", b ? "," : "",
				pn_basis_name((enum pn_basis)b), s->basis[b]);
		fputc('}', out);
		if (sn->evidence)
			verdicts_json(out, s);
		fputc('}', out);
	}
	fputc(']', out);
	if (sn->evidence) {
		fputs(",\"verdicts\":", out);
		pn_verdicts_json(out, sn->verdict);
	}
	fputs("}\n", out);
}

/* "; payload: 3 agree, 1 differ (SSH 1), 0 unverified, 2 without" */
static void verdicts_text(FILE *out, const struct pn_live_service *s)
{
	fprintf(out, "; payload: %llu agree, %llu differ",
		(unsigned long long)s->verdict[PN_V_AGREES],
		(unsigned long long)s->verdict[PN_V_DIFFERS]);
	const char *sep = " (";
	for (int p = 0; p < PN_P_COUNT; p++)
		if (s->differs_looks[p]) {
			fprintf(out, "%s%s %llu", sep,
				p == PN_P_NONE
				    ? "nothing known"
				    : pn_proto_title((enum pn_proto)p),
				(unsigned long long)s->differs_looks[p]);
			sep = ", ";
		}
	if (*sep == ',')
		fputc(')', out);
	fprintf(out, ", %llu unverified, %llu without",
		(unsigned long long)s->verdict[PN_V_UNVERIFIED],
		(unsigned long long)s->verdict[PN_V_NO_PAYLOAD]);
}

static void write_snapshot_text(const struct run *r, FILE *out)
{
	const struct pn_live_snapshot *sn = &r->snap;
	char when[PN_TIME_TEXT_SIZE];
	fprintf(out,
		"%s %s: %.0f pkt/s, %.0f bit/s; %llu packets; active flows "
		"%llu",
		pn_time_text(r->snapshot_us, when), pn_safe(sn->iface),
		sn->packets_per_s, sn->bits_per_s,
		(unsigned long long)sn->packets,
		(unsigned long long)sn->active_flows);
	if (sn->have_pcap_stats)
		fprintf(out, "; libpcap dropped %llu",
			(unsigned long long)sn->pcap_dropped);
	uint64_t anomalies = 0;
	for (int i = 0; i < PN_R_COUNT; i++)
		if (i != PN_R_NONE)
			anomalies += sn->decode.reason[i];
	fprintf(out, "; decode anomalies %llu", (unsigned long long)anomalies);
	if (sn->evidence)
		fprintf(out, "; payload differs in %llu flows since start",
			(unsigned long long)sn->verdict[PN_V_DIFFERS]);
	fputc('\n', out);
	uint32_t n = r->own->top && r->own->top < sn->n_services
			 ? r->own->top
			 : sn->n_services;
	for (uint32_t i = 0; i < n; i++) {
		const struct pn_live_service *s = &sn->services[i];
		char port[1024];
		if (!s->registered && strcmp(s->name, "unknown") == 0)
			snprintf(port, sizeof port,
				 "unknown (neither side told apart)");
		else
			pn_annotate_port(r->ann, s->transport, s->port, port,
					 sizeof port);
		fprintf(out,
			"  %s %s: %.0f bit/s, %.1f pkt/s, %u active, %llu new; "
			"c>s %llu pkts %llu bytes, s>c %llu pkts %llu bytes",
			pn_transport_name(s->transport), port, s->bits_per_s,
			s->packets_per_s, s->active,
			(unsigned long long)s->new_flows,
			(unsigned long long)s->packets[0],
			(unsigned long long)s->bytes[0],
			(unsigned long long)s->packets[1],
			(unsigned long long)s->bytes[1]);
		if (s->active) {
			fputs("; basis", out);
			for (int b = 0; b < PN_BASIS_COUNT; b++)
				if (s->basis[b])
					fprintf(out, " %s %u%%",
						pn_basis_name((enum pn_basis)b),
						(unsigned)(100.0 * s->basis[b] /
							       s->active +
							   0.5));
		}
		if (sn->evidence)
			verdicts_text(out, s);
		for (unsigned b = 0; b < PN_FF_COUNT; b++)
			if (s->flags & (1u << b))
				fprintf(out, "; %s", pn_flow_flag_name(b));
		fputc('\n', out);
	}
}

/* The handle is active and the capture loop has given up privileges:
 * outputs are opened now, as the user it became. */
static void on_open(void *ctx, const struct pn_capture_source *src)
{
	struct run *r = ctx;
	(void)src;
	if (r->own->flows_out) {
		r->flows_out = fopen(r->own->flows_out, "w");
		if (!r->flows_out) {
			fprintf(stderr, "portnote live: %s: %s\n",
				pn_safe(r->own->flows_out), strerror(errno));
			r->failed = true;
			return;
		}
	}
	if (r->own->metrics) {
		char err[256];
		r->metrics = pn_metrics_start(
		    r->own->metrics, r->own->metrics_services, err, sizeof err);
		if (!r->metrics) {
			fprintf(stderr, "portnote live: --metrics: %s\n", err);
			r->failed = true;
			return;
		}
		/* Scrapes before the first interval already see the registry
		 * snapshot and zeros. */
		r->snap.iface = r->own->capture.opts.iface;
		r->snap.registry_date = pn_registry_date_text(r->cli->reg);
		r->snap.max_flows = r->own->flows.max_flows;
		pn_metrics_update(r->metrics, &r->snap);
	}
	if (r->tty) {
		if (!pn_view_start()) {
			r->failed = true;
			return;
		}
		r->view_on = true;
	}
	r->start_us = r->snapshot_us = wall_us();
	r->next_snapshot = monotonic() + r->own->interval;
}

static bool on_packet(void *ctx, const struct pn_capture_source *src,
		      const struct pcap_pkthdr *h, const uint8_t *bytes,
		      const struct pn_packet *p)
{
	(void)src;
	struct run *r = ctx;
	if (r->failed)
		return false;
	if (p->l4 != PN_L4_NONE)
		pn_flow_push(r->table, p, bytes, pn_time_from_timeval(&h->ts));
	return true;
}

static void publish(struct run *r)
{
	if (r->metrics)
		pn_metrics_update(r->metrics, &r->snap);
	if (r->view_on) {
		if (!r->view.paused) {
			pn_live_sort(&r->snap, r->view.sort);
			pn_view_draw(&r->snap, &r->view);
		}
	} else {
		pn_live_sort(&r->snap, r->own->sort);
		if (r->cli->format == PN_FORMAT_JSON)
			write_snapshot_json(r, stdout);
		else
			write_snapshot_text(r, stdout);
		if (!r->stdout_err)
			r->stdout_err = pn_out_error(stdout);
	}
	/* A lost write ends the run (what follows would be lost too); it is
	 * reported at the end, when the terminal view is gone. */
	if (r->flows_out && !r->flows_err)
		r->flows_err = pn_out_error(r->flows_out);
}

static bool on_tick(void *ctx, const struct pn_capture_stats *cs)
{
	struct run *r = ctx;
	if (r->failed || r->stdout_err || r->flows_err)
		return false;
	pn_time_us now = wall_us();
	pn_flow_tick(r->table, now);
	/* Records go out within a second, even when few flows end. */
	if (r->ipfix && monotonic() >= r->next_ipfix_flush) {
		pn_ipfix_flush(r->ipfix);
		r->next_ipfix_flush = monotonic() + 1;
	}
	if (r->view_on) {
		enum pn_view_action a = pn_view_keys(&r->view);
		if (a == PN_VIEW_QUIT)
			return false;
		if (a == PN_VIEW_REDRAW) {
			pn_live_sort(&r->snap, r->view.sort);
			pn_view_draw(&r->snap, &r->view);
		}
	}
	if (monotonic() >= r->next_snapshot) {
		r->next_snapshot += r->own->interval;
		if (r->next_snapshot < monotonic())
			r->next_snapshot = monotonic() + r->own->interval;
		take_snapshot(r, cs, now);
		publish(r);
	}
	return true;
}

int pn_cmd_live(int argc, char **argv)
{
	static const struct option longopts[] = {
	    PN_CAPTURE_LONGOPTS,
	    {"interval", required_argument, NULL, OPT_INTERVAL},
	    PN_REPORT_LONGOPTS,
	    {"flows-out", required_argument, NULL, OPT_FLOWS_OUT},
	    {"metrics", required_argument, NULL, OPT_METRICS},
	    {"metrics-services", required_argument, NULL, OPT_METRICS_SERVICES},
	    {"no-evidence", no_argument, NULL, OPT_NO_EVIDENCE},
	    {"active-timeout", required_argument, NULL, OPT_ACTIVE_TIMEOUT},
	    PN_IPFIX_LONGOPTS,
	    PN_FLOW_LONGOPTS,
	    {NULL, 0, NULL, 0}};
	const char *who = "portnote live";
	struct own_options own = {.interval = 2,
				  .top = 20,
				  .metrics_services = 20,
				  .ipfix = {.pen = PN_IPFIX_PEN},
				  .active_timeout = 60};
	pn_cli_capture_init(&own.capture);
	pn_flow_config_init(&own.flows);
	const struct pn_cli_options opts = {longopts, PN_CAPTURE_SHORTOPTS,
					    take_option, &own};
	struct pn_cli cli = {.command = "live"};
	int rc = pn_cli_parse(&cli, argc, argv, usage, &opts);
	if (rc < 0)
		rc = pn_cli_capture_operands(&cli, &own.capture, argc, argv);
	if (rc < 0 && own.capture.opts.n_files)
		rc = pn_cli_usage_error(&cli, "live watches an interface (-i); "
					      "for files use 'portnote stats'");
	if (rc < 0 && own.capture.opts.libpcap_reader)
		rc = pn_cli_usage_error(&cli, "--libpcap-reader is for files; "
					      "live reads an interface");
	if (rc < 0 && !own.capture.opts.iface)
		rc = pn_cli_usage_error(&cli, "no interface: give -i IFACE");
	if (rc < 0 && cli.format == PN_FORMAT_CSV)
		rc = pn_cli_usage_error(&cli, "live writes text or json");
	if (rc < 0 && !pn_capture_check_filter(&own.capture.opts, who, stderr))
		rc = PN_EXIT_USAGE;
	if (rc < 0)
		rc = pn_cli_load_registry(&cli) ? PN_EXIT_FAIL : -1;
	if (rc < 0 && pn_cli_load_declarations(&cli))
		rc = PN_EXIT_USAGE;
	if (rc >= 0) {
		pn_cli_capture_release(&own.capture);
		pn_cli_release(&cli);
		return rc;
	}

	/* Verdicts are counted; what showed them is kept only for the flows
	 * --flows-out prints. */
	own.flows.keep_tokens = own.flows_out && own.flows.evidence;
	struct run r = {.cli = &cli, .own = &own};
	r.tty = isatty(STDOUT_FILENO) && isatty(STDIN_FILENO) &&
		cli.format == PN_FORMAT_TEXT;
	r.view.sort = own.sort;
	r.ann = pn_annotator_create(cli.reg);
	pn_annotator_declare(r.ann, cli.decl);
	r.stats = pn_service_stats_create(cli.reg, r.ann, own.flows.evidence);
	r.table = pn_flow_table_create(&own.flows, cli.reg, on_flow_end, &r);
	if (!r.ann || !r.stats || !r.table) {
		fputs("portnote live: out of memory\n", stderr);
		return PN_EXIT_FAIL;
	}
	if (!pn_cli_ipfix_open(&cli, &own.ipfix, r.ann, own.flows.evidence,
			       &r.ipfix))
		return PN_EXIT_FAIL;
	own.capture.opts.tick = on_tick;
	own.capture.opts.tick_ms = 100;
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOLBF, sizeof outbuf);

	/* The capture loop catches the signals that end a run while it runs
	 * and then puts back what it found: ignoring them until the terminal
	 * is given back keeps a second Ctrl-C from leaving it in curses
	 * mode. */
	pn_capture_hold_signals(true);
	struct pn_capture_stats stats;
	enum pn_capture_result result = pn_capture_run(
	    &own.capture.opts, on_packet, on_open, &r, &stats, who, stderr);
	if (r.view_on)
		pn_view_stop();
	pn_capture_hold_signals(false);
	pn_flow_flush(r.table);
	if (r.ipfix) {
		if (pn_cli_ipfix_close(&cli, r.ipfix, &own.ipfix))
			r.failed = true;
		r.ipfix = NULL;
		struct exported *e, *etmp;
		HASH_ITER(hh, r.exported, e, etmp)
		{
			HASH_DEL(r.exported, e);
			free(e);
		}
	}
	if (!r.failed && result != PN_CAPTURE_FATAL &&
	    result != PN_CAPTURE_USAGE) {
		char inputs[300];
		snprintf(inputs, sizeof inputs, "interface %s",
			 own.capture.opts.iface);
		struct pn_report_info info = {
		    inputs,
		    NULL,
		    0,
		    own.capture.opts.iface,
		    cli.reg,
		    own.top,
		    own.sort == PN_LIVE_SORT_PACKETS ? PN_SORT_PACKETS
		    : own.sort == PN_LIVE_SORT_FLOWS ? PN_SORT_FLOWS
						     : PN_SORT_BYTES,
		    pn_flow_counters(r.table)};
		pn_service_stats_report(r.stats, cli.format, stdout, &info);
		if (cli.format == PN_FORMAT_JSON)
			pn_stats_summary_json(stdout, &stats);
	}
	int out_err = pn_out_error(stdout);
	if (r.stdout_err)
		out_err = r.stdout_err; /* the first one, the cause */
	if (pn_out_lost(out_err)) {
		pn_out_report(who, PN_STDOUT_NAME, out_err);
		r.failed = true;
	}
	pn_stats_summary_text(stderr, who, &stats);
	if (r.flows_err)
		pn_out_report(who, own.flows_out, r.flows_err);
	if (r.flows_out) {
		/* Closed even after an error, which was reported once. */
		if (pn_out_close(r.flows_out, own.flows_out, who) ||
		    r.flows_err)
			r.failed = true;
	}
	pn_metrics_stop(r.metrics);
	pn_flow_table_destroy(r.table);
	pn_service_stats_destroy(r.stats);
	pn_annotator_destroy(r.ann);
	struct service *s, *tmp;
	HASH_ITER(hh, r.services, s, tmp)
	{
		HASH_DEL(r.services, s);
		free(s);
	}
	free(r.snap.services);
	pn_cli_capture_release(&own.capture);
	pn_cli_release(&cli);
	if (result == PN_CAPTURE_USAGE)
		return PN_EXIT_USAGE;
	return r.failed || result != PN_CAPTURE_OK ? PN_EXIT_FAIL : PN_EXIT_OK;
}
