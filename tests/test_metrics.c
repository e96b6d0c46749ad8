/* test_metrics.c — the Prometheus endpoint: exposition text, label choice
 * and monotonic counters, and the HTTP server over a real socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "portnote/live.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* --- A tiny HTTP client ------------------------------------------------- */

struct reply {
	int status;
	char *raw;     /* the whole response, NUL-terminated */
	char *headers; /* inside raw: from the status line to the blank line */
	char *body;    /* inside raw */
	size_t body_len;
};

static void reply_free(struct reply *r)
{
	free(r->raw);
	memset(r, 0, sizeof *r);
}

/* Sends one request and reads until the server closes. false on any
 * socket error or an unparsable answer. */
static bool http(int family, unsigned port, const char *method,
		 const char *path, const char *extra, struct reply *out)
{
	memset(out, 0, sizeof *out);
	struct sockaddr_storage ss = {0};
	socklen_t len;
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons((uint16_t)port);
		len = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons((uint16_t)port);
		len = sizeof *a;
	}
	int fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&ss, len) != 0) {
		close(fd);
		return false;
	}
	char req[1024];
	int n = snprintf(req, sizeof req,
			 "%s %s HTTP/1.1\r\nHost: localhost\r\n"
			 "Connection: close\r\n%s\r\n",
			 method, path, extra ? extra : "");
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		close(fd);
		return false;
	}
	size_t cap = 8192, got = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (got + 4096 + 1 > cap)
			buf = realloc(buf, cap *= 2);
		ssize_t r = recv(fd, buf + got, cap - got - 1, 0);
		if (r < 0) {
			free(buf);
			close(fd);
			return false;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	char *end = strstr(buf, "\r\n\r\n");
	if (!end || sscanf(buf, "HTTP/1.%*d %d", &out->status) != 1) {
		free(buf);
		return false;
	}
	end[2] = '\0';
	out->raw = buf;
	out->headers = buf;
	out->body = end + 4;
	out->body_len = got - (size_t)(out->body - buf);
	return true;
}

/* A header's value (copied into out), or false if absent. */
static bool header(const struct reply *r, const char *name, char *out,
		   size_t size)
{
	size_t n = strlen(name);
	for (const char *p = strstr(r->headers, "\r\n"); p && p[2];
	     p = strstr(p + 2, "\r\n")) {
		const char *line = p + 2;
		if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1;
			while (*v == ' ')
				v++;
			size_t len = strcspn(v, "\r");
			snprintf(out, size, "%.*s", (int)len, v);
			return true;
		}
	}
	return false;
}

static struct reply get_ok(unsigned port)
{
	struct reply r;
	assert_true(http(AF_INET, port, "GET", "/metrics", NULL, &r));
	assert_int_equal(r.status, 200);
	char type[128];
	assert_true(header(&r, "Content-Type", type, sizeof type));
	assert_string_equal(type, CONTENT_TYPE);
	return r;
}

/* --- Reading the exposition --------------------------------------------- */

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == ':' || (!first && c >= '0' && c <= '9');
}

/* Checks the text format 0.0.4 line by line: HELP then TYPE before the
 * samples of each family, families not repeated or interleaved, naming
 * conventions, well-formed and escaped labels, integer or decimal values,
 * no series twice. Returns the number of samples. */
static size_t check_exposition(const char *text)
{
	char families[64][96];
	size_t n_families = 0, n_samples = 0;
	char **series = NULL;
	const char *current = NULL, *type = NULL;
	char help_for[96] = "";
	size_t len = strlen(text);
	assert_true(len > 0 && text[len - 1] == '\n');

	for (const char *line = text; *line;) {
		const char *eol = strchr(line, '\n');
		assert_non_null(eol);
		char l[4096];
		size_t ll = (size_t)(eol - line);
		assert_true(ll < sizeof l);
		memcpy(l, line, ll);
		l[ll] = '\0';
		line = eol + 1;

		char name[96], word[32];
		if (strncmp(l, "# HELP ", 7) == 0) {
			assert_int_equal(sscanf(l + 7, "%95s", name), 1);
			assert_true(strlen(l + 7) > strlen(name) + 1);
			snprintf(help_for, sizeof help_for, "%s", name);
			continue;
		}
		if (strncmp(l, "# TYPE ", 7) == 0) {
			assert_int_equal(sscanf(l + 7, "%95s %31s", name, word),
					 2);
			if (strcmp(help_for, name) != 0)
				fail_msg("TYPE without HELP: %s", l);
			for (size_t i = 0; i < n_families; i++)
				if (strcmp(families[i], name) == 0)
					fail_msg("family twice: %s", name);
			assert_true(n_families < 64);
			snprintf(families[n_families], sizeof families[0], "%s",
				 name);
			current = families[n_families++];
			size_t nl = strlen(name);
			bool total = nl > 6 && !strcmp(name + nl - 6, "_total");
			if (!strcmp(word, "counter"))
				type = "counter";
			else if (!strcmp(word, "gauge"))
				type = "gauge";
			else
				fail_msg("unexpected type: %s", l);
			if (total != (type[0] == 'c'))
				fail_msg("_total suffix and type disagree: %s",
					 l);
			if (strncmp(name, "portnote_", 9) != 0)
				fail_msg("no portnote_ prefix: %s", l);
			for (const char *c = name; *c; c++)
				if (*c >= 'A' && *c <= 'Z')
					fail_msg("not snake_case: %s", l);
			continue;
		}
		if (l[0] == '#')
			fail_msg("unexpected comment: %s", l);

		/* A sample. */
		const char *p = l;
		size_t nl = 0;
		while (name_char(p[nl], nl == 0))
			nl++;
		if (!current || strlen(current) != nl ||
		    strncmp(p, current, nl) != 0)
			fail_msg("sample outside its family: %s", l);
		p += nl;
		if (*p == '{') {
			p++;
			for (;;) {
				size_t k = 0;
				while (name_char(p[k], k == 0) && p[k] != ':')
					k++;
				if (!k || p[k] != '=' || p[k + 1] != '"')
					fail_msg("bad label: %s", l);
				p += k + 2;
				while (*p != '"') {
					if (!*p)
						fail_msg("open label value: %s",
							 l);
					if (*p == '\\') {
						if (p[1] != '\\' &&
						    p[1] != '"' && p[1] != 'n')
							fail_msg("bad escape: "
								 "%s",
								 l);
						p++;
					}
					p++;
				}
				p++;
				if (*p == '}')
					break;
				if (*p != ',')
					fail_msg("bad label list: %s", l);
				p++;
			}
			p++;
		}
		if (*p != ' ')
			fail_msg("no value: %s", l);
		size_t key_len = (size_t)(p - l);
		p++;
		size_t d = strspn(p, "0123456789");
		if (!d)
			fail_msg("bad value: %s", l);
		if (p[d] == '.' && strspn(p + d + 1, "0123456789"))
			d += 1 + strspn(p + d + 1, "0123456789");
		if (p[d])
			fail_msg("junk after the value: %s", l);
		for (size_t i = 0; i < n_samples; i++)
			if (strlen(series[i]) == key_len &&
			    !strncmp(series[i], l, key_len))
				fail_msg("series twice: %s", l);
		series = realloc(series, (n_samples + 1) * sizeof *series);
		series[n_samples] = strndup(l, key_len);
		n_samples++;
	}
	for (size_t i = 0; i < n_samples; i++)
		free(series[i]);
	free(series);
	return n_samples;
}

/* The value of one series ("name{labels}" exactly), or -1 if absent. */
static int64_t value_of(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *l = text; l && *l;) {
		if (strncmp(l, series, n) == 0 && l[n] == ' ')
			return (int64_t)strtoull(l + n + 1, NULL, 10);
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return -1;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *l = text; l && *l;) {
		if (strncmp(l, line, n) == 0 && l[n] == '\n')
			return true;
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return false;
}

static size_t count_prefix(const char *text, const char *prefix)
{
	size_t n = strlen(prefix), count = 0;
	for (const char *l = text; l && *l;) {
		if (strncmp(l, prefix, n) == 0)
			count++;
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return count;
}

/* --- Snapshots ---------------------------------------------------------- */

static struct pn_live_service service(const char *name, enum pn_transport t,
				      uint16_t port, uint64_t bytes_to_server,
				      uint64_t bytes_to_client)
{
	struct pn_live_service s = {0};
	snprintf(s.name, sizeof s.name, "%s", name);
	s.transport = (uint8_t)t;
	s.port = port;
	s.bytes[0] = bytes_to_server;
	s.bytes[1] = bytes_to_client;
	s.packets[0] = bytes_to_server / 100 + 1;
	s.packets[1] = bytes_to_client / 100 + 1;
	s.flows = bytes_to_server / 1000 + 1;
	s.active = (uint32_t)(port % 3);
	return s;
}

static struct pn_live_snapshot snapshot(struct pn_live_service *services,
					uint32_t n)
{
	struct pn_live_snapshot s = {0};
	s.iface = "lo";
	s.registry_date = "2014-07-09";
	s.elapsed = 12.5;
	s.interval = 1;
	s.services = services;
	s.n_services = n;
	for (uint32_t i = 0; i < n; i++) {
		s.packets += services[i].packets[0] + services[i].packets[1];
		s.bytes += services[i].bytes[0] + services[i].bytes[1];
		s.active_flows += services[i].active;
	}
	s.max_flows = 65536;
	return s;
}

static struct pn_metrics *start(unsigned top)
{
	char err[256] = "";
	struct pn_metrics *m =
	    pn_metrics_start("127.0.0.1:0", top, err, sizeof err);
	if (!m)
		fail_msg("pn_metrics_start: %s", err);
	assert_int_not_equal(pn_metrics_port(m), 0);
	return m;
}

/* --- Tests -------------------------------------------------------------- */

/* Before the first update the page is the fixed families at zero. */
static void before_first_update(void **state)
{
	(void)state;
	struct pn_metrics *m = start(5);
	struct reply r = get_ok(pn_metrics_port(m));
	char *text = pn_metrics_text(m);
	assert_non_null(text);
	assert_string_equal(r.body, text);
	check_exposition(text);
	assert_true(has_line(text, "portnote_up 1"));
	assert_true(has_line(text, "portnote_capture_packets_total 0"));
	assert_true(has_line(text, "portnote_active_flows 0"));
	assert_true(has_line(text, "portnote_uptime_seconds 0.000"));
	assert_true(has_line(text, "# TYPE portnote_packets_total counter"));
	assert_true(has_line(text, "# TYPE portnote_registry_info gauge"));
	assert_true(
	    has_line(text, "# TYPE portnote_service_active_flows gauge"));
	/* Unknown until a snapshot says: no sample rather than a wrong one. */
	assert_int_equal(count_prefix(text, "portnote_registry_info{"), 0);
	assert_int_equal(count_prefix(text, "portnote_packets_total{"), 0);
	assert_int_equal(count_prefix(text, "portnote_capture_received"), 0);
	free(text);
	reply_free(&r);
	pn_metrics_stop(m);
}

/* Every family, exact samples, escaping and the "other" sums. */
static void exposition(void **state)
{
	(void)state;
	struct pn_live_service sv[] = {
	    service("https", PN_TCP, 443, 20000, 150000),
	    service("domain", PN_UDP, 53, 800, 1600),
	    service("we\"ird\\name\nx", PN_TCP, 7000, 5000, 5000),
	    service("unregistered tcp/4444", PN_TCP, 4444, 1000, 0),
	    service("unknown", PN_TCP, 0, 300, 200),
	    service("sctp thing", PN_SCTP, 2905, 10, 0),
	};
	size_t n = sizeof sv / sizeof sv[0];
	sv[0].packets[0] = 100;
	sv[0].flows = 7;
	sv[0].active = 2;
	struct pn_live_snapshot snap = snapshot(sv, (uint32_t)n);
	snap.have_pcap_stats = true;
	snap.pcap_received = 500;
	snap.pcap_dropped = 4;
	snap.pcap_ifdropped = 1;
	snap.decode.reason[PN_R_NONE] = 1000;
	snap.decode.reason[PN_R_BAD_IHL] = 3;
	snap.decode.reason[PN_R_TRUNCATED_TCP] = 1;
	snap.decode.nonip[PN_NONIP_ARP] = 42;
	snap.flows_started = 17;
	snap.flows_ended = 13;
	snap.flows_evicted = 2;

	struct pn_metrics *m = start(3);
	pn_metrics_update(m, &snap);
	struct reply r = get_ok(pn_metrics_port(m));
	char *text = pn_metrics_text(m);
	assert_string_equal(r.body, text);
	check_exposition(text);

	assert_true(has_line(
	    text, "portnote_packets_total{service=\"https\",transport=\"tcp\","
		  "port=\"443\",direction=\"to_server\"} 100"));
	assert_true(has_line(
	    text, "portnote_bytes_total{service=\"https\",transport=\"tcp\","
		  "port=\"443\",direction=\"to_client\"} 150000"));
	assert_true(has_line(text, "portnote_flows_total{service=\"https\","
				   "transport=\"tcp\",port=\"443\"} 7"));
	assert_true(has_line(text,
			     "portnote_service_active_flows{service=\"https\","
			     "transport=\"tcp\",port=\"443\"} 2"));
	assert_true(has_line(
	    text, "portnote_bytes_total{service=\"we\\\"ird\\\\name\\nx\","
		  "transport=\"tcp\",port=\"7000\",direction=\"to_server\"} "
		  "5000"));
	assert_true(has_line(
	    text, "portnote_bytes_total{service=\"domain\",transport=\"udp\","
		  "port=\"53\",direction=\"to_client\"} 1600"));
	assert_true(has_line(
	    text, "portnote_registry_info{snapshot_date=\"2014-07-09\"} 1"));
	assert_true(has_line(text, "portnote_uptime_seconds 12.500"));
	assert_true(
	    has_line(text, "portnote_capture_received_packets_total 500"));
	assert_true(has_line(text, "portnote_capture_dropped_packets_total 4"));
	assert_true(has_line(
	    text, "portnote_capture_interface_dropped_packets_total 1"));
	assert_true(has_line(text, "portnote_max_flows 65536"));
	assert_true(has_line(text, "portnote_flows_started_total 17"));
	assert_true(has_line(text, "portnote_flows_ended_total 13"));
	assert_true(has_line(text, "portnote_flows_evicted_total 2"));
	char line[256];
	snprintf(line, sizeof line, "portnote_capture_bytes_total %" PRIu64,
		 snap.bytes);
	assert_true(has_line(text, line));
	snprintf(line, sizeof line, "portnote_active_flows %" PRIu64,
		 snap.active_flows);
	assert_true(has_line(text, line));

	/* Anomalies: the nonzero reasons only, never the "no anomaly" one. */
	snprintf(line, sizeof line,
		 "portnote_decode_anomalies_total{reason=\"%s\"} 3",
		 pn_decode_reason_name(PN_R_BAD_IHL));
	assert_true(has_line(text, line));
	snprintf(line, sizeof line,
		 "portnote_decode_anomalies_total{reason=\"%s\"} 1",
		 pn_decode_reason_name(PN_R_TRUNCATED_TCP));
	assert_true(has_line(text, line));
	assert_int_equal(count_prefix(text, "portnote_decode_anomalies_total{"),
			 2);
	/* Non-IP frames by kind, nonzero kinds only. */
	assert_true(has_line(
	    text, "portnote_decode_non_ip_packets_total{kind=\"arp\"} 42"));
	assert_int_equal(
	    count_prefix(text, "portnote_decode_non_ip_packets_total{"), 1);

	/* Three services by bytes get labels; "other" sums the rest. */
	assert_int_equal(count_prefix(text, "portnote_flows_total{"), 4);
	assert_int_equal(
	    count_prefix(text, "portnote_flows_total{service=\"un"), 0);
	uint64_t other_bytes[2] = {0}, other_packets[2] = {0}, flows = 0,
		 active = 0;
	for (size_t i = 3; i < n; i++) {
		for (int d = 0; d < 2; d++) {
			other_bytes[d] += sv[i].bytes[d];
			other_packets[d] += sv[i].packets[d];
		}
		flows += sv[i].flows;
		active += sv[i].active;
	}
	const char *ol = "service=\"other\",transport=\"\",port=\"\"";
	char series[256];
	snprintf(series, sizeof series,
		 "portnote_bytes_total{%s,direction=\"to_server\"}", ol);
	assert_int_equal(value_of(text, series), other_bytes[0]);
	snprintf(series, sizeof series,
		 "portnote_packets_total{%s,direction=\"to_client\"}", ol);
	assert_int_equal(value_of(text, series), other_packets[1]);
	snprintf(series, sizeof series, "portnote_flows_total{%s}", ol);
	assert_int_equal(value_of(text, series), flows);
	snprintf(series, sizeof series, "portnote_service_active_flows{%s}",
		 ol);
	assert_int_equal(value_of(text, series), active);
	free(text);
	reply_free(&r);

	/* Without libpcap's counters their families are left out. */
	snap.have_pcap_stats = false;
	pn_metrics_update(m, &snap);
	text = pn_metrics_text(m);
	check_exposition(text);
	assert_int_equal(count_prefix(text, "portnote_capture_received"), 0);
	assert_int_equal(
	    count_prefix(text, "# TYPE portnote_capture_dropped_packets_total"),
	    0);
	free(text);
	pn_metrics_stop(m);
}

/* A name that is not UTF-8 must not make Prometheus drop the scrape, and
 * names that print the same must not make the same series twice. */
static void invalid_utf8(void **state)
{
	(void)state;
	struct pn_live_service sv[] = {
	    service("caf\xc3\xa9", PN_UDP, 9, 10, 10),
	    service("bad\xff\xc3", PN_UDP, 10, 10, 10),
	    service("bad\xfe\xc3", PN_UDP, 10, 10, 10),
	    service("odd", PN_TRANSPORT_NONE, 11, 10, 10),
	    service("odd", 200, 11, 10, 10),
	};
	struct pn_live_snapshot snap = snapshot(sv, 5);
	struct pn_metrics *m = start(10);
	pn_metrics_update(m, &snap);
	char *text = pn_metrics_text(m);
	check_exposition(text);
	assert_true(has_line(text,
			     "portnote_flows_total{service=\"caf\xc3\xa9\","
			     "transport=\"udp\",port=\"9\"} 1"));
	assert_true(has_line(text, "portnote_flows_total{service=\"bad"
				   "\xef\xbf\xbd\xef\xbf\xbd\","
				   "transport=\"udp\",port=\"10\"} 2"));
	assert_true(has_line(text, "portnote_flows_total{service=\"odd\","
				   "transport=\"\",port=\"11\"} 2"));
	assert_int_equal(count_prefix(text, "portnote_flows_total{"), 3);
	free(text);
	pn_metrics_stop(m);
}

struct parsed {
	char **key;
	int64_t *value;
	size_t n;
};

static struct parsed parse_samples(const char *text)
{
	struct parsed p = {0};
	for (const char *l = text; *l;) {
		const char *eol = strchr(l, '\n');
		if (*l != '#') {
			const char *sp = eol;
			while (sp > l && *sp != ' ')
				sp--;
			assert_true(*sp == ' ');
			p.key = realloc(p.key, (p.n + 1) * sizeof *p.key);
			p.value = realloc(p.value, (p.n + 1) * sizeof *p.value);
			p.key[p.n] = strndup(l, (size_t)(sp - l));
			p.value[p.n] = strtoll(sp + 1, NULL, 10);
			p.n++;
		}
		l = eol + 1;
	}
	return p;
}

static void parsed_free(struct parsed *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->key[i]);
	free(p->key);
	free(p->value);
}

/* Every series of a stays in b, and counters do not go down. */
static void assert_monotonic(const char *a, const char *b)
{
	struct parsed pa = parse_samples(a), pb = parse_samples(b);
	for (size_t i = 0; i < pa.n; i++) {
		size_t j = 0;
		while (j < pb.n && strcmp(pa.key[i], pb.key[j]) != 0)
			j++;
		if (j == pb.n)
			fail_msg("series gone: %s", pa.key[i]);
		const char *brace = strchr(pa.key[i], '{');
		size_t nl =
		    brace ? (size_t)(brace - pa.key[i]) : strlen(pa.key[i]);
		if (nl > 6 && !strncmp(pa.key[i] + nl - 6, "_total", 6) &&
		    pb.value[j] < pa.value[i])
			fail_msg("counter went down: %s %" PRId64
				 " -> %" PRId64,
				 pa.key[i], pa.value[i], pb.value[j]);
	}
	parsed_free(&pa);
	parsed_free(&pb);
}

/* Labels are kept once given, even when the order by bytes changes or a
 * service is missing from a snapshot; "other" and every counter only grow.
 */
static void monotonic(void **state)
{
	(void)state;
	struct pn_metrics *m = start(2);
	struct pn_live_service one[] = {
	    service("alpha", PN_TCP, 1001, 600, 400),
	    service("beta", PN_TCP, 1002, 300, 200),
	    service("gamma", PN_UDP, 1003, 60, 40),
	};
	struct pn_live_snapshot s1 = snapshot(one, 3);
	s1.decode.reason[PN_R_SHORT_UDP] = 5;
	pn_metrics_update(m, &s1);
	char *t1 = pn_metrics_text(m);
	check_exposition(t1);
	const char *other_bytes =
	    "portnote_bytes_total{service=\"other\",transport=\"\",port=\"\","
	    "direction=\"to_server\"}";
	assert_int_equal(value_of(t1, other_bytes), 60);

	/* gamma and the new delta now outweigh everything; beta is not in
	 * this snapshot at all. */
	struct pn_live_service two[] = {
	    service("delta", PN_TCP, 1004, 50000, 50000),
	    service("gamma", PN_UDP, 1003, 9000, 1000),
	    service("alpha", PN_TCP, 1001, 700, 400),
	};
	struct pn_live_snapshot s2 = snapshot(two, 3);
	s2.decode.reason[PN_R_SHORT_UDP] = 6;
	pn_metrics_update(m, &s2);
	char *t2 = pn_metrics_text(m);
	check_exposition(t2);
	assert_monotonic(t1, t2);
	assert_int_equal(value_of(t2, other_bytes), 50000 + 9000);
	assert_int_equal(
	    value_of(t2, "portnote_bytes_total{service=\"alpha\",transport="
			 "\"tcp\",port=\"1001\",direction=\"to_server\"}"),
	    700);
	/* beta keeps its totals, with no active flow. */
	assert_int_equal(
	    value_of(t2, "portnote_bytes_total{service=\"beta\",transport="
			 "\"tcp\",port=\"1002\",direction=\"to_server\"}"),
	    300);
	assert_int_equal(
	    value_of(t2, "portnote_service_active_flows{service=\"beta\","
			 "transport=\"tcp\",port=\"1002\"}"),
	    0);
	assert_int_equal(count_prefix(t2, "portnote_flows_total{"), 3);
	assert_int_equal(
	    count_prefix(t2, "portnote_flows_total{service=\"delta"), 0);

	/* A snapshot whose counters went backwards (a caller's bug) cannot
	 * make a series go down either. */
	struct pn_live_service three[] = {
	    service("alpha", PN_TCP, 1001, 1, 1),
	    service("delta", PN_TCP, 1004, 1, 1),
	};
	struct pn_live_snapshot s3 = snapshot(three, 2);
	pn_metrics_update(m, &s3);
	char *t3 = pn_metrics_text(m);
	check_exposition(t3);
	assert_monotonic(t2, t3);
	assert_int_equal(value_of(t3, other_bytes), 50000 + 9000);
	char line[128];
	snprintf(line, sizeof line, "portnote_capture_bytes_total %" PRIu64,
		 s2.bytes);
	assert_true(has_line(t3, line));
	free(t1);
	free(t2);
	free(t3);
	pn_metrics_stop(m);
}

/* No labels at all (top 0): everything is "other". */
static void top_zero(void **state)
{
	(void)state;
	struct pn_metrics *m = start(0);
	struct pn_live_service sv[] = {
	    service("https", PN_TCP, 443, 10, 20),
	    service("https", PN_TCP, 443, 1, 2), /* same labels: added up */
	};
	struct pn_live_snapshot snap = snapshot(sv, 2);
	pn_metrics_update(m, &snap);
	char *text = pn_metrics_text(m);
	check_exposition(text);
	assert_int_equal(count_prefix(text, "portnote_flows_total{"), 1);
	assert_int_equal(
	    value_of(text, "portnote_bytes_total{service=\"other\",transport="
			   "\"\",port=\"\",direction=\"to_client\"}"),
	    22);
	free(text);
	pn_metrics_stop(m);
}

static void http_errors(void **state)
{
	(void)state;
	struct pn_metrics *m = start(5);
	unsigned port = pn_metrics_port(m);
	struct reply r;
	char value[128];

	assert_true(http(AF_INET, port, "GET", "/nope", NULL, &r));
	assert_int_equal(r.status, 404);
	assert_true(header(&r, "Content-Type", value, sizeof value));
	assert_string_equal(value, "text/plain; charset=utf-8");
	reply_free(&r);
	assert_true(http(AF_INET, port, "GET", "/metrics/x", NULL, &r));
	assert_int_equal(r.status, 404);
	reply_free(&r);

	assert_true(http(AF_INET, port, "POST", "/metrics",
			 "Content-Length: 5\r\n", &r));
	assert_int_equal(r.status, 405);
	assert_true(header(&r, "Allow", value, sizeof value));
	assert_string_equal(value, "GET, HEAD");
	reply_free(&r);
	assert_true(http(AF_INET, port, "DELETE", "/nope", NULL, &r));
	assert_int_equal(r.status, 405);
	reply_free(&r);

	assert_true(http(AF_INET, port, "HEAD", "/metrics", NULL, &r));
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	assert_true(header(&r, "Content-Type", value, sizeof value));
	assert_string_equal(value, CONTENT_TYPE);
	reply_free(&r);

	/* A query string does not change the path. */
	assert_true(http(AF_INET, port, "GET", "/metrics?x=1", NULL, &r));
	assert_int_equal(r.status, 200);
	reply_free(&r);
	pn_metrics_stop(m);
}

static void expect_error(const char *spec, const char *expected)
{
	char err[256] = "";
	struct pn_metrics *m = pn_metrics_start(spec, 5, err, sizeof err);
	if (m) {
		pn_metrics_stop(m);
		fail_msg("'%s' was accepted", spec);
	}
	if (strncmp(err, expected, strlen(expected)) != 0)
		fail_msg("'%s': got \"%s\", expected \"%s...\"", spec, err,
			 expected);
}

static void address_errors(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",
	    ":",
	    "abc",
	    "127.0.0.1:",
	    "127.0.0.1:65536",
	    "127.0.0.1:-1",
	    "+80",
	    "::1:9100",
	    "[::1]",
	    "[::1",
	    "[::1]9100",
	    "localhost:9100",
	    "1.2.3:80",
	    "[zz]:80",
	    "9100x",
	    "1.2.3.4.5:80",
	    "127.0.0.1:123456",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char expected[128];
		snprintf(expected, sizeof expected, "bad address '%s' (",
			 bad[i]);
		expect_error(bad[i], expected);
	}
	expect_error("::1:9100", "bad address '::1:9100' (an IPv6 address "
				 "goes in brackets, as in [::1]:9100)");

	/* Port in use, by another socket and by another metrics server. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	char spec[64], expected[128];
	snprintf(spec, sizeof spec, "127.0.0.1:%u", ntohs(a.sin_port));
	snprintf(expected, sizeof expected,
		 "cannot listen on 127.0.0.1:%u: Address already in use",
		 ntohs(a.sin_port));
	expect_error(spec, expected);
	snprintf(spec, sizeof spec, "%u", ntohs(a.sin_port));
	expect_error(spec, expected);
	close(fd);

	struct pn_metrics *m = start(1);
	snprintf(spec, sizeof spec, "127.0.0.1:%u", pn_metrics_port(m));
	snprintf(expected, sizeof expected,
		 "cannot listen on 127.0.0.1:%u: Address already in use",
		 pn_metrics_port(m));
	expect_error(spec, expected);
	pn_metrics_stop(m);

	/* TEST-NET-1 is on no interface. */
	expect_error("192.0.2.1:0", "cannot listen on 192.0.2.1:0: ");

	/* A short message buffer truncates, and no buffer is allowed. */
	char small[8];
	assert_null(pn_metrics_start("nope", 1, small, sizeof small));
	assert_string_equal(small, "bad add");
	assert_null(pn_metrics_start("nope", 1, NULL, 0));
	assert_null(pn_metrics_start(NULL, 1, small, sizeof small));

	/* NULL is a no-op everywhere. */
	pn_metrics_stop(NULL);
	assert_null(pn_metrics_text(NULL));
	assert_int_equal(pn_metrics_port(NULL), 0);
	struct pn_live_snapshot snap = snapshot(NULL, 0);
	pn_metrics_update(NULL, &snap);
}

/* "PORT" alone listens on 127.0.0.1, and IPv6 works in brackets. */
static void address_forms(void **state)
{
	(void)state;
	char err[256] = "";
	struct pn_metrics *m = pn_metrics_start("0", 1, err, sizeof err);
	if (!m)
		fail_msg("'0': %s", err);
	struct reply r = get_ok(pn_metrics_port(m));
	reply_free(&r);
	pn_metrics_stop(m);

	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = {.sin6_family = AF_INET6,
				 .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	bool have_v6 =
	    fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0)
		close(fd);
	if (!have_v6) {
		puts("no ::1 here: IPv6 not tested");
		return;
	}
	m = pn_metrics_start("[::1]:0", 1, err, sizeof err);
	if (!m)
		fail_msg("'[::1]:0': %s", err);
	assert_true(
	    http(AF_INET6, pn_metrics_port(m), "GET", "/metrics", NULL, &r));
	assert_int_equal(r.status, 200);
	reply_free(&r);
	/* Bound to ::1 only, not to IPv4 as well. */
	assert_false(
	    http(AF_INET, pn_metrics_port(m), "GET", "/metrics", NULL, &r));
	pn_metrics_stop(m);
}

/* Scrapes while the capture thread keeps updating: every page is whole
 * and the capture counter never goes back. */
struct scraper {
	unsigned port;
	int pages, bad;
	char first_bad[128];
};

static void *scrape_loop(void *arg)
{
	struct scraper *s = arg;
	int64_t last = -1;
	for (int i = 0; i < 25; i++) {
		struct reply r;
		if (!http(AF_INET, s->port, "GET", "/metrics", NULL, &r)) {
			s->bad++;
			continue;
		}
		int64_t v = value_of(r.body, "portnote_capture_packets_total");
		size_t len = strlen(r.body);
		if (r.status != 200 || v < last || len != r.body_len || !len ||
		    r.body[len - 1] != '\n' ||
		    !has_line(r.body, "portnote_up 1")) {
			if (!s->bad++)
				snprintf(s->first_bad, sizeof s->first_bad,
					 "status %d, packets %" PRId64
					 " after %" PRId64,
					 r.status, v, last);
		}
		last = v;
		s->pages++;
		reply_free(&r);
	}
	return NULL;
}

static void concurrent(void **state)
{
	(void)state;
	struct pn_metrics *m = start(3);
	struct scraper s = {.port = pn_metrics_port(m)};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, scrape_loop, &s), 0);
	struct pn_live_service sv[8];
	for (uint64_t i = 0; i < 300; i++) {
		for (int k = 0; k < 8; k++) {
			char name[32];
			snprintf(name, sizeof name, "svc%d", k);
			sv[k] = service(name, PN_TCP, (uint16_t)(2000 + k),
					i * (uint64_t)(k + 1), i);
		}
		struct pn_live_snapshot snap = snapshot(sv, 8);
		pn_metrics_update(m, &snap);
	}
	pthread_join(t, NULL);
	if (s.bad)
		fail_msg("%d bad pages of %d: %s", s.bad, s.pages, s.first_bad);
	assert_int_equal(s.pages, 25);
	char *text = pn_metrics_text(m);
	check_exposition(text);
	free(text);
	pn_metrics_stop(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(before_first_update),
	    cmocka_unit_test(exposition),
	    cmocka_unit_test(invalid_utf8),
	    cmocka_unit_test(monotonic),
	    cmocka_unit_test(top_zero),
	    cmocka_unit_test(http_errors),
	    cmocka_unit_test(address_errors),
	    cmocka_unit_test(address_forms),
	    cmocka_unit_test(concurrent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
