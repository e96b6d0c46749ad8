/* audit.c — the static and traffic audit of a ruleset (see audit.h). */
#include "portnote/audit.h"
#include "portnote/annotate.h"
#include "portnote/flowprint.h"
#include "portnote/summary.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uthash.h>

/* Notable names listed for a rule that opens a range. */
#define MAX_NOTABLE 5
/* Ports named one by one in a message before "and N more". */
#define MAX_LISTED 8

/* A set of ports as sorted, disjoint runs: a rule's ports are usually a
 * few runs, and walking them instead of 65536 bits keeps the audit of a
 * ruleset with 100,000 rules linear. */
struct portset {
	struct pn_port_range *r;
	uint32_t n;
};

static void oom(void);

/* The ports a match admits; every port when it has none. */
static void ps_from_match(struct portset *s, const struct pn_port_match *m)
{
	struct pn_port_range *r;
	int n = pn_port_runs(m, &r);
	if (n < 0)
		oom();
	s->r = r;
	s->n = (uint32_t)n;
}

static void ps_free(struct portset *s)
{
	free(s->r);
	s->r = NULL;
	s->n = 0;
}

static uint32_t ps_count(const struct portset *s)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < s->n; i++)
		n += (uint32_t)s->r[i].hi - s->r[i].lo + 1;
	return n;
}

/* Does the set hold any port of lo..hi? */
static bool ps_overlaps(const struct portset *s, uint32_t lo, uint32_t hi)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->r[i].lo <= hi && s->r[i].hi >= lo)
			return true;
	return false;
}

/* "22", "6000-6063", "80,443,8000-8100": runs of the set. */
static char *ps_text(const struct portset *s)
{
	size_t cap = 16 * (size_t)s->n + 1, len = 0;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	out[0] = '\0';
	for (uint32_t i = 0; i < s->n; i++) {
		uint32_t p = s->r[i].lo, q = s->r[i].hi;
		int n = q == p ? snprintf(out + len, cap - len, "%s%u",
					  i ? "," : "", p)
			       : snprintf(out + len, cap - len, "%s%u-%u",
					  i ? "," : "", p, q);
		len += (size_t)n;
	}
	return out;
}

static void oom(void)
{
	fputs("portnote: out of memory\n", stderr);
	exit(70);
}

static char *xstrdup(const char *s)
{
	char *c = strdup(s);
	if (!c)
		oom();
	return c;
}

static char *xprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *s = n < 0 ? NULL : malloc((size_t)n + 1);
	if (!s)
		oom();
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

struct service_count {
	char key[600]; /* target index + '\0' + service */
	size_t len;
	uint32_t target;
	uint64_t flows;
	UT_hash_handle hh;
};

/* Traffic findings keyed by (kind, target, service). */
struct flagged {
	char key[640];
	size_t len;
	enum pn_finding_kind kind;
	int32_t rule, chain;
	char service[600];
	char port[24];
	uint64_t flows;
	/* payload-differs: what the flows looked like, against what */
	uint8_t looks;
	bool declared;
	uint32_t expected;
	UT_hash_handle hh;
};

struct audit_private {
	struct pn_annotator *ann;
	long nat; /* nat PREROUTING: where published ports are decided */
	/* Per chain: the rules that jump or go to it (the first, and how
	 * many), whether every one of them does so unconditionally, and
	 * whether packets coming in (input, forward) reach it. */
	uint32_t *n_callers, *caller;
	bool *callers_plain, *incoming;
	struct shadow_bucket *shadow;	/* see audit_order */
	struct service_count *services; /* rules: target = rule index;
					   policies: n_rules + chain;
					   undetermined: n_rules + n_chains +
					   rule */
	struct flagged *flagged;
};

static const char *const severity_names[] = {"info", "low", "medium", "high",
					     "never"};

const char *pn_severity_name(enum pn_severity s)
{
	return (unsigned)s <= PN_SEV_NEVER ? severity_names[s] : "?";
}

int pn_severity_parse(const char *s)
{
	for (int i = 0; i <= PN_SEV_NEVER; i++)
		if (strcmp(s, severity_names[i]) == 0)
			return i;
	return -1;
}

static const char *const kind_names[PN_FIND_COUNT] = {
    [PN_FIND_UNAUTHORIZED] = "unauthorized-use",
    [PN_FIND_DYNAMIC_RANGE] = "dynamic-range",
    [PN_FIND_ALL_PORTS] = "all-ports",
    [PN_FIND_RESERVED] = "reserved-port",
    [PN_FIND_WIDE_RANGE] = "wide-range",
    [PN_FIND_COMMENT_MISMATCH] = "comment-mismatch",
    [PN_FIND_SHADOWED] = "shadowed",
    [PN_FIND_DUPLICATE] = "duplicate",
    [PN_FIND_UNASSIGNED] = "unassigned-port",
    [PN_FIND_PORTLESS] = "portless-protocol",
    [PN_FIND_NOT_EVALUATED] = "not-evaluated",
    [PN_FIND_NEVER_HIT] = "never-hit",
    [PN_FIND_POLICY_TRAFFIC] = "policy-traffic",
    [PN_FIND_ALLOWED_UNAUTHORIZED] = "allowed-unauthorized",
    [PN_FIND_ALLOWED_RESERVED] = "allowed-reserved",
    [PN_FIND_ALLOWED_UNASSIGNED] = "allowed-unassigned",
    [PN_FIND_ALLOWED_DYNAMIC] = "allowed-dynamic",
    [PN_FIND_UNDETERMINED] = "undetermined",
    [PN_FIND_ASSUMED] = "assumed-not-in-set",
    [PN_FIND_PAYLOAD_DIFFERS] = "payload-differs",
};

static const enum pn_severity kind_severity[PN_FIND_COUNT] = {
    [PN_FIND_UNAUTHORIZED] = PN_SEV_HIGH,
    [PN_FIND_DYNAMIC_RANGE] = PN_SEV_HIGH,
    [PN_FIND_ALL_PORTS] = PN_SEV_HIGH,
    [PN_FIND_RESERVED] = PN_SEV_MEDIUM,
    [PN_FIND_WIDE_RANGE] = PN_SEV_MEDIUM,
    [PN_FIND_COMMENT_MISMATCH] = PN_SEV_MEDIUM,
    [PN_FIND_SHADOWED] = PN_SEV_MEDIUM,
    [PN_FIND_DUPLICATE] = PN_SEV_LOW,
    [PN_FIND_UNASSIGNED] = PN_SEV_LOW,
    [PN_FIND_PORTLESS] = PN_SEV_LOW,
    [PN_FIND_NOT_EVALUATED] = PN_SEV_INFO,
    [PN_FIND_NEVER_HIT] = PN_SEV_INFO,
    [PN_FIND_POLICY_TRAFFIC] = PN_SEV_LOW,
    [PN_FIND_ALLOWED_UNAUTHORIZED] = PN_SEV_MEDIUM,
    [PN_FIND_ALLOWED_RESERVED] = PN_SEV_LOW,
    [PN_FIND_ALLOWED_UNASSIGNED] = PN_SEV_LOW,
    [PN_FIND_ALLOWED_DYNAMIC] = PN_SEV_LOW,
    [PN_FIND_UNDETERMINED] = PN_SEV_INFO,
    [PN_FIND_ASSUMED] = PN_SEV_INFO,
    [PN_FIND_PAYLOAD_DIFFERS] = PN_SEV_MEDIUM,
};

const char *pn_finding_kind_name(enum pn_finding_kind k)
{
	return (unsigned)k < PN_FIND_COUNT ? kind_names[k] : "?";
}

/* Takes ownership of ports, service and message. */
static struct pn_finding *add_finding(struct pn_audit *a,
				      enum pn_finding_kind kind, int32_t rule,
				      char *ports, char *service, char *message)
{
	if ((a->n_findings & (a->n_findings - 1)) == 0) {
		size_t cap = a->n_findings ? a->n_findings * 2 : 8;
		void *p = realloc(a->findings, cap * sizeof *a->findings);
		if (!p)
			oom();
		a->findings = p;
	}
	struct pn_finding *f = &a->findings[a->n_findings++];
	memset(f, 0, sizeof *f);
	f->kind = kind;
	f->severity = kind_severity[kind];
	f->rule = rule;
	f->chain = rule >= 0 ? (int32_t)a->rs->rules[rule].chain : -1;
	f->ports = ports;
	f->service = service;
	f->message = message;
	a->by_severity[f->severity]++;
	return f;
}

static const int transport_proto[PN_TRANSPORT_COUNT] = {6, 17, 132, 33};

/* The transports a rule's protocol match covers (bit per transport). A rule
 * on UDP-Lite is audited against UDP's port space: the registry has no
 * UDP-Lite space of its own. */
static unsigned rule_transports(const struct pn_rule *r)
{
	unsigned mask = 0;
	for (int t = 0; t < PN_TRANSPORT_COUNT; t++)
		if (pn_rule_has_proto(r, transport_proto[t]) ||
		    (t == PN_UDP && pn_rule_has_proto(r, 136)))
			mask |= 1u << t;
	/* A TCP flag match that no first SYN passes opens no TCP port for
	 * new connections (-p tcp ! --syn). */
	if (r->tcp_mask &&
	    ((PN_TCP_SYN & r->tcp_mask) == r->tcp_cmp) == r->tcp_negate)
		mask &= ~(1u << PN_TCP);
	/* ICMP types restrict to ICMP: no transport at all. */
	if (r->has_icmp)
		mask = 0;
	return mask;
}

/* Opens ports for new connections: ACCEPT, and not limited to
 * established/related/invalid states. */
static bool opens(const struct pn_rule *r)
{
	if (r->verdict != PN_VERDICT_ACCEPT)
		return false;
	if (r->ctstate == 0)
		return true;
	bool new_in = (r->ctstate & (PN_CT_NEW | PN_CT_UNTRACKED)) != 0;
	return new_in != r->ctstate_negate;
}

/* Not "from anywhere": a source prefix, set or address type, an input
 * interface by name (loopback is not anywhere), a source port, or matches
 * portnote does not evaluate, any of which may exclude most senders. */
static bool restricted_source(const struct pn_rule *r)
{
	return r->saddr.n > 0 || (r->iif.name[0] && !r->iif.negate) ||
	       r->n_sets || r->src_type || r->n_unmodeled || r->sport.n ||
	       r->either_port.n;
}

/* The rule's ports are an upper bound only: unmodeled matches, or sets
 * whose members (and so whether they hold ports) are unknown. */
static bool bounded(const struct pn_audit *a, const struct pn_rule *r)
{
	if (r->n_unmodeled)
		return true;
	for (uint32_t i = 0; i < r->n_sets; i++) {
		const struct pn_ipset *s = &a->rs->sets[r->sets[i].set];
		if (!s->known || !s->modeled)
			return true;
		for (unsigned d = 0; d < s->n_dims; d++)
			if (s->dims[d] == PN_DIM_PORT)
				return true;
	}
	return false;
}

/* "80/tcp, 443/tcp and 3 more" from a list of ports. */
static char *port_list_text(const uint32_t *ports, uint32_t n,
			    enum pn_transport t)
{
	char buf[512];
	size_t len = 0;
	buf[0] = '\0';
	for (uint32_t i = 0; i < n && i < MAX_LISTED; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%u/%s",
					i ? ", " : "", ports[i],
					pn_transport_name(t));
	if (n > MAX_LISTED)
		snprintf(buf + len, sizeof buf - len, " and %u more",
			 n - MAX_LISTED);
	return xstrdup(buf);
}

/* "tcp", "tcp+udp": the transports of a rule, for "ports" fields. */
static const char *transports_text(unsigned mask, char buf[24])
{
	size_t n = 0;
	buf[0] = '\0';
	for (int t = 0; t < PN_TRANSPORT_COUNT; t++)
		if (mask & (1u << t))
			n += (size_t)snprintf(
			    buf + n, 24 - n, "%s%s", n ? "+" : "",
			    pn_transport_name((enum pn_transport)t));
	return buf;
}

/* The registry's view of the ports an ACCEPT rule opens on one transport:
 * the opening record and the port-status findings. */
static void audit_opening(struct pn_audit *a, uint32_t ri, enum pn_transport t,
			  const struct portset *ports, bool port_findings,
			  const char *verb)
{
	struct pn_audit_target *tg = &a->rules[ri];
	uint32_t n_ports = ps_count(ports);
	if (n_ports == 0)
		return;
	tg->openings =
	    realloc(tg->openings, (tg->n_openings + 1) * sizeof *tg->openings);
	if (!tg->openings)
		oom();
	struct pn_audit_opening *o = &tg->openings[tg->n_openings++];
	memset(o, 0, sizeof *o);
	o->transport = (uint8_t)t;
	o->at_most = strcmp(verb, "opens at most") == 0;
	o->ports = ps_text(ports);
	if (!o->ports)
		oom();
	o->n_ports = n_ports;

	uint32_t *unauth = malloc(n_ports * sizeof *unauth);
	uint32_t *reserved = malloc(n_ports * sizeof *reserved);
	uint32_t *unassigned = malloc(n_ports * sizeof *unassigned);
	/* Distinct names: a name can sit on many ports of a range, and a
	 * port hold several. */
	size_t names_cap = (size_t)n_ports * 4;
	char **names = malloc(names_cap * sizeof *names);
	if (!unauth || !reserved || !unassigned || !names)
		oom();
	uint32_t n_unauth = 0, n_reserved = 0, n_unassigned = 0, n_names = 0;
	char notable[MAX_NOTABLE][64];
	uint32_t n_notable = 0;
	for (uint32_t run = 0; run < ports->n; run++)
		for (uint32_t p = ports->r[run].lo; p <= ports->r[run].hi;
		     p++) {
			const struct pn_slot *s =
			    pn_registry_slot(a->reg, t, (uint16_t)p);
			if (s->flags & PN_S_UNAUTHORIZED)
				unauth[n_unauth++] = p;
			if (s->flags & PN_S_SERVICE) {
				for (unsigned i = 0; i < s->count; i++) {
					const struct pn_entry *e =
					    pn_slot_entry(a->reg, s, i);
					if (e->kind != PN_KIND_SERVICE ||
					    (e->flags & PN_E_ALIAS))
						continue;
					const char *nm =
					    pn_registry_str(a->reg, e->name);
					bool seen = false;
					for (uint32_t k = 0;
					     k < n_names && !seen; k++)
						seen = strcasecmp(names[k],
								  nm) == 0;
					if (seen)
						continue;
					if (n_names == names_cap) {
						names_cap *= 2;
						names = realloc(
						    names,
						    names_cap * sizeof *names);
						if (!names)
							oom();
					}
					names[n_names++] = (char *)nm;
					if (n_notable < MAX_NOTABLE)
						snprintf(notable[n_notable++],
							 sizeof notable[0],
							 "%s", nm);
				}
			} else if (pn_port_class((uint16_t)p) !=
				   PN_CLASS_DYNAMIC) {
				if (s->flags & PN_S_RESERVED)
					reserved[n_reserved++] = p;
				else if (!(s->flags & PN_S_UNNAMED))
					unassigned[n_unassigned++] = p;
			}
		}
	o->registered = n_names;
	o->n_services = n_notable;
	o->services = calloc(n_notable ? n_notable : 1, sizeof *o->services);
	if (!o->services)
		oom();
	for (uint32_t i = 0; i < n_notable; i++)
		o->services[i] = xstrdup(notable[i]);

	const char *tn = pn_transport_name(t);
	if (!port_findings)
		n_unauth = n_reserved = n_unassigned = 0;
	if (n_unauth) {
		char *list = port_list_text(unauth, n_unauth, t);
		const struct pn_slot *us =
		    pn_registry_slot(a->reg, t, (uint16_t)unauth[0]);
		char svc_names[600];
		pn_port_service(a->reg, a->priv->ann, t, (uint16_t)unauth[0],
				svc_names, sizeof svc_names);
		bool named = us->flags & PN_S_SERVICE;
		add_finding(
		    a, PN_FIND_UNAUTHORIZED, (int32_t)ri, xprintf("%s", list),
		    named ? xstrdup(svc_names) : NULL,
		    xprintf("%s %s, where the registry reports "
			    "unauthorized use (registered for %s)",
			    verb, list, named ? svc_names : "no service"));
		free(list);
	}
	if (n_reserved) {
		char *list = port_list_text(reserved, n_reserved, t);
		add_finding(
		    a, PN_FIND_RESERVED, (int32_t)ri, xstrdup(list), NULL,
		    xprintf("%s %u Reserved %s port%s: %s", verb, n_reserved,
			    tn, n_reserved > 1 ? "s" : "", list));
		free(list);
	}
	if (n_unassigned) {
		char *list = port_list_text(unassigned, n_unassigned, t);
		add_finding(a, PN_FIND_UNASSIGNED, (int32_t)ri, xstrdup(list),
			    NULL,
			    xprintf("%s %u %s port%s registered for no "
				    "service (Unassigned or unlisted): %s",
				    verb, n_unassigned, tn,
				    n_unassigned > 1 ? "s" : "", list));
		free(list);
	}
	free(unauth);
	free(reserved);
	free(unassigned);
	free(names);
}

/* Whether a comment's word names what a declaration says one of the
 * rule's ports carries: the protocol itself ("ssh", "wireguard") or a
 * service that speaks it ("https" for tls). */
static bool declared_for(const struct pn_audit *a, const char *word,
			 const struct portset *ports, unsigned transports)
{
	if (!a->opts.decl)
		return false;
	char lower[64];
	size_t n = 0;
	for (; word[n] && n + 1 < sizeof lower; n++)
		lower[n] = (char)tolower((unsigned char)word[n]);
	lower[n] = '\0';
	enum pn_proto p = pn_proto_parse(lower);
	for (int t = 0; t < PN_TRANSPORT_COUNT; t++) {
		if (!(transports & (1u << t)))
			continue;
		uint32_t means =
		    pn_evidence_service(lower, (enum pn_transport)t) |
		    (p != PN_P_NONE ? 1u << p : 0);
		if (!means)
			continue;
		for (uint32_t i = 0; i < ports->n; i++)
			for (uint32_t q = ports->r[i].lo; q <= ports->r[i].hi;
			     q++)
				if (pn_declared(a->opts.decl,
						(enum pn_transport)t,
						(uint16_t)q) &
				    means)
					return true;
	}
	return false;
}

/* Words of a comment that are service names of the registry. The comment
 * names a service the rule does not open when at least one word is a
 * registered name and none of them is registered on the rule's ports: a
 * comment "allow web (http, https)" on 80 and 443 is fine, "ssh" on 2222
 * is not. */
static void audit_comment(struct pn_audit *a, uint32_t ri,
			  const struct portset *ports, unsigned transports)
{
	const struct pn_rule *r = &a->rs->rules[ri];
	if (!r->comment)
		return;
	char named[256] = "";
	const char *c = r->comment;
	while (*c) {
		while (*c && !isalnum((unsigned char)*c))
			c++;
		const char *w = c;
		while (*c && (isalnum((unsigned char)*c) || *c == '-'))
			c++;
		size_t n = (size_t)(c - w);
		if (n < 2 || n > 63)
			continue;
		char word[64];
		memcpy(word, w, n);
		word[n] = '\0';
		if (declared_for(a, word, ports, transports))
			return; /* the site declares it there */
		long e = pn_registry_find_name(a->reg, word, 0);
		/* A name the registry lists without a port (DNS-SD: "tcp",
		 * "mail", "scanner") says nothing about ports. */
		bool has_port = false;
		for (long k = e; k >= 0 && !has_port;
		     k = pn_registry_find_name(a->reg, word, (uint32_t)k + 1))
			has_port = !(a->reg->entries[k].flags & PN_E_NO_PORT);
		if (!has_port)
			continue;
		/* Registered on one of the rule's ports? */
		for (; e >= 0;
		     e = pn_registry_find_name(a->reg, word, (uint32_t)e + 1)) {
			const struct pn_entry *en = &a->reg->entries[e];
			if (en->flags & PN_E_NO_PORT)
				continue;
			for (int t = 0; t < PN_TRANSPORT_COUNT; t++) {
				bool on_t =
				    en->transport == t ||
				    (en->transport == PN_TRANSPORT_NONE &&
				     (t == PN_TCP || t == PN_UDP));
				if (!on_t || !(transports & (1u << t)))
					continue;
				if (ps_overlaps(ports, en->port_lo,
						en->port_hi))
					return; /* consistent */
			}
		}
		if (!named[0])
			snprintf(named, sizeof named, "%s", word);
	}
	if (!named[0])
		return;
	/* Where the named service is registered, for the message. */
	char where[256] = "";
	size_t len = 0;
	int listed = 0;
	for (long e = pn_registry_find_name(a->reg, named, 0);
	     e >= 0 && listed < 4;
	     e = pn_registry_find_name(a->reg, named, (uint32_t)e + 1)) {
		const struct pn_entry *en = &a->reg->entries[e];
		if (en->flags & PN_E_NO_PORT)
			continue;
		const char *tn = en->transport == PN_TRANSPORT_NONE
				     ? "tcp+udp"
				     : pn_transport_name(en->transport);
		len +=
		    (size_t)snprintf(where + len, sizeof where - len, "%s%u/%s",
				     listed ? ", " : "", en->port_lo, tn);
		listed++;
	}
	char *runs = ps_text(ports);
	if (!runs)
		oom();
	char tb[24];
	char *ports_text =
	    xprintf("%s/%s", runs, transports_text(transports, tb));
	free(runs);
	add_finding(a, PN_FIND_COMMENT_MISMATCH, (int32_t)ri, ports_text,
		    xstrdup(named),
		    xprintf("comment names %s (registered for %s), but the "
			    "rule's ports %s are not registered for it",
			    named, where[0] ? where : "no port", ports_text));
}

static bool terminal(enum pn_verdict v)
{
	return v == PN_VERDICT_ACCEPT || v == PN_VERDICT_DROP ||
	       v == PN_VERDICT_REJECT;
}

static bool same_matches(const struct pn_rule *a, const struct pn_rule *b)
{
	return pn_rule_covers(a, b) && pn_rule_covers(b, a);
}

/* Earlier rules that may shadow a later one, bucketed by what they
 * require of a packet: a rule that names one protocol, one destination
 * port or one source host can only cover rules that name the same, so a
 * later rule is compared with a handful of candidates instead of every
 * earlier rule (a router's 100,000 host rules audit in linear time). */
struct shadow_key {
	uint32_t chain;
	int32_t proto; /* -1: any, or a protocol set, or negated */
	int32_t dport; /* -1: no single destination port */
	uint8_t host[16];
	uint8_t has_host; /* source is this one address */
	uint8_t pad[3];
};

struct shadow_bucket {
	struct shadow_key key;
	uint32_t *rules; /* ascending */
	uint32_t n, cap;
	UT_hash_handle hh;
};

static int32_t single_proto(const struct pn_rule *r)
{
	return r->has_proto_set || r->proto_negate ? -1 : r->proto;
}

static int32_t single_dport(const struct pn_rule *r)
{
	if (r->dport.n == 0 || r->dport.negate)
		return -1;
	uint16_t d = r->dport.ranges[0].lo;
	for (uint32_t i = 0; i < r->dport.n; i++)
		if (r->dport.ranges[i].lo != d || r->dport.ranges[i].hi != d)
			return -1;
	return d;
}

static const uint8_t *single_host(const struct pn_rule *r)
{
	if (r->saddr.n == 0 || r->saddr.negate)
		return NULL;
	const struct pn_prefix *p0 = &r->saddr.prefixes[0];
	for (uint32_t i = 0; i < r->saddr.n; i++)
		if (r->saddr.prefixes[i].len != 128 ||
		    memcmp(r->saddr.prefixes[i].addr, p0->addr, 16) != 0)
			return NULL;
	return p0->addr;
}

static struct shadow_key shadow_key(uint32_t chain, int32_t proto,
				    int32_t dport, const uint8_t *host)
{
	struct shadow_key k;
	memset(&k, 0, sizeof k);
	k.chain = chain;
	k.proto = proto;
	k.dport = dport;
	if (host) {
		memcpy(k.host, host, 16);
		k.has_host = 1;
	}
	return k;
}

static void shadow_add(struct pn_audit *a, uint32_t ri)
{
	const struct pn_rule *e = &a->rs->rules[ri];
	if ((!terminal(e->verdict) && e->verdict != PN_VERDICT_RETURN &&
	     e->verdict != PN_VERDICT_GOTO) ||
	    e->n_unmodeled)
		return; /* covers nothing */
	struct shadow_key k = shadow_key(e->chain, single_proto(e),
					 single_dport(e), single_host(e));
	struct shadow_bucket *b;
	HASH_FIND(hh, a->priv->shadow, &k, sizeof k, b);
	if (!b) {
		b = calloc(1, sizeof *b);
		if (!b)
			oom();
		b->key = k;
		HASH_ADD(hh, a->priv->shadow, key, sizeof k, b);
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 4;
		b->rules = realloc(b->rules, b->cap * sizeof *b->rules);
		if (!b->rules)
			oom();
	}
	b->rules[b->n++] = ri;
}

static int by_index(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

static void audit_order(struct pn_audit *a, uint32_t ri)
{
	const struct pn_rule *r = &a->rs->rules[ri];
	const struct pn_chain *c = &a->rs->chains[r->chain];
	int32_t protos[2] = {-1, single_proto(r)};
	int32_t dports[2] = {-1, single_dport(r)};
	const uint8_t *hosts[2] = {NULL, single_host(r)};
	/* The candidates from every bucket that can hold a coverer. */
	uint32_t *cand = NULL;
	size_t n = 0, cap = 0;
	for (int pi = 0; pi < 2; pi++)
		for (int di = 0; di < 2; di++)
			for (int hi = 0; hi < 2; hi++) {
				if ((pi && protos[1] < 0) ||
				    (di && dports[1] < 0) || (hi && !hosts[1]))
					continue;
				struct shadow_key k =
				    shadow_key(r->chain, protos[pi], dports[di],
					       hosts[hi]);
				struct shadow_bucket *b;
				HASH_FIND(hh, a->priv->shadow, &k, sizeof k, b);
				if (!b)
					continue;
				if (n + b->n > cap) {
					cap = (n + b->n) * 2;
					cand =
					    realloc(cand, cap * sizeof *cand);
					if (!cand)
						oom();
				}
				memcpy(cand + n, b->rules, b->n * sizeof *cand);
				n += b->n;
			}
	if (n > 1)
		qsort(cand, n, sizeof *cand, by_index);
	for (size_t i = 0; i < n; i++) {
		const struct pn_rule *e = &a->rs->rules[cand[i]];
		if (!pn_rule_covers(e, r))
			continue;
		bool dup = e->verdict == r->verdict && e->target == r->target &&
			   same_matches(e, r);
		add_finding(
		    a, dup ? PN_FIND_DUPLICATE : PN_FIND_SHADOWED, (int32_t)ri,
		    NULL, NULL,
		    dup ? xprintf("repeats rule %u of %s (line %u)", e->number,
				  c->name, e->line)
			: xprintf("never reached: rule %u of %s (line %u, %s) "
				  "matches every packet it does",
				  e->number, c->name, e->line,
				  pn_verdict_name(e->verdict)));
		break;
	}
	free(cand);
	shadow_add(a, ri);
}

/* IP protocols that legitimately have no ports: accepting them is no
 * sign of a mistaken transport. */
static bool common_portless(int proto)
{
	static const int known[] = {1,	2,  4,	6,   17,  33,  41,  47, 50,
				    51, 58, 89, 103, 112, 115, 132, 136};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (proto == known[i])
			return true;
	return false;
}

/* A rule with no condition at all: every packet of its family. */
static bool unconditional(const struct pn_rule *r)
{
	return r->proto == PN_PROTO_ANY && !r->has_proto_set && !r->sport.n &&
	       !r->dport.n && !r->either_port.n && !r->saddr.n && !r->daddr.n &&
	       !r->iif.name[0] && !r->oif.name[0] && !r->ctstate &&
	       !r->tcp_mask && !r->has_icmp && !r->src_type && !r->dst_type &&
	       !r->n_sets && !r->n_unmodeled;
}

/* Adds what the jump into a rule's chain required (ctx) to the rule:
 * a rule in a user chain is reached only by packets its callers sent
 * there. *bounded is set where both say something of the same kind (the
 * rule's own condition is kept: an upper bound). false when they
 * contradict, or the context admits no new connection. */
static bool merge_context(struct pn_rule *eff, const struct pn_rule *ctx,
			  bool *bounded)
{
	eff->family &= ctx->family;
	if (!eff->family)
		return false;
	if (ctx->proto != PN_PROTO_ANY || ctx->has_proto_set) {
		if (eff->proto == PN_PROTO_ANY && !eff->has_proto_set) {
			eff->proto = ctx->proto;
			eff->proto_negate = ctx->proto_negate;
			eff->has_proto_set = ctx->has_proto_set;
			memcpy(eff->proto_set, ctx->proto_set,
			       sizeof eff->proto_set);
		} else if (!eff->has_proto_set && !ctx->has_proto_set &&
			   !eff->proto_negate && !ctx->proto_negate) {
			if (eff->proto != ctx->proto)
				return false;
		} else {
			*bounded = true;
		}
	}
#define TAKE(field, present)                                                   \
	do {                                                                   \
		if (!(eff->present))                                           \
			eff->field = ctx->field;                               \
		else if (ctx->present)                                         \
			*bounded = true;                                       \
	} while (0)
	TAKE(sport, sport.n);
	TAKE(dport, dport.n);
	TAKE(either_port, either_port.n);
	TAKE(saddr, saddr.n);
	TAKE(daddr, daddr.n);
	TAKE(iif, iif.name[0]);
	TAKE(oif, oif.name[0]);
	TAKE(src_type, src_type);
	TAKE(dst_type, dst_type);
#undef TAKE
	if (ctx->ctstate) {
		bool new_in =
		    (ctx->ctstate & (PN_CT_NEW | PN_CT_UNTRACKED)) != 0;
		if (new_in == ctx->ctstate_negate)
			return false;
		if (!eff->ctstate) {
			eff->ctstate = ctx->ctstate;
			eff->ctstate_negate = ctx->ctstate_negate;
		}
	}
	if (ctx->tcp_mask) {
		if (!eff->tcp_mask) {
			eff->tcp_mask = ctx->tcp_mask;
			eff->tcp_cmp = ctx->tcp_cmp;
			eff->tcp_negate = ctx->tcp_negate;
		} else {
			*bounded = true;
		}
	}
	if (ctx->has_icmp && !eff->has_icmp) {
		eff->has_icmp = true;
		eff->icmp_negate = ctx->icmp_negate;
		eff->icmp_code = ctx->icmp_code;
		memcpy(eff->icmp_types, ctx->icmp_types,
		       sizeof eff->icmp_types);
	}
	if (ctx->n_sets) {
		if (!eff->n_sets) {
			eff->sets = ctx->sets;
			eff->n_sets = ctx->n_sets;
		} else {
			*bounded = true;
		}
	}
	if (ctx->n_unmodeled)
		*bounded = true;
	return true;
}

/* The rule as the packets that reach it see it: with the conditions of
 * the jumps into its chain. *bounded: what it matches is an upper bound
 * (several callers with conditions, or conditions of one kind on both
 * sides). false when no new connection can reach it. */
static bool effective_rule(const struct pn_audit *a, uint32_t ri,
			   struct pn_rule *eff, bool *bounded, int depth)
{
	const struct pn_ruleset *rs = a->rs;
	const struct audit_private *pv = a->priv;
	*eff = rs->rules[ri];
	*bounded = false;
	uint32_t c = eff->chain;
	if (rs->chains[c].hook != PN_HOOK_NONE || (long)c == a->opts.chain ||
	    pv->n_callers[c] == 0 || pv->callers_plain[c])
		return true;
	if (pv->n_callers[c] > 1 || depth > 16) {
		*bounded = true;
		return true;
	}
	struct pn_rule ctx;
	bool ctx_bounded;
	if (!effective_rule(a, pv->caller[c], &ctx, &ctx_bounded, depth + 1))
		return false;
	*bounded = ctx_bounded;
	return merge_context(eff, &ctx, bounded);
}

static void audit_ports(struct pn_audit *a, uint32_t ri,
			const struct pn_rule *r, bool ctx_bounded,
			unsigned transports, const char *verb);

static void audit_rule(struct pn_audit *a, uint32_t ri)
{
	const struct pn_rule *r = &a->rs->rules[ri];
	/* A rule without a verdict (-j LOG with -m limit) decides nothing,
	 * so what portnote cannot evaluate of it does not matter. */
	for (uint32_t i = 0;
	     r->verdict != PN_VERDICT_NONE && i < r->n_unmodeled; i++)
		add_finding(a, PN_FIND_NOT_EVALUATED, (int32_t)ri, NULL, NULL,
			    xprintf("not evaluated: %s", r->unmodeled[i]));
	audit_order(a, ri);
	/* ACCEPT in nat, mangle or raw only ends that table's chain: the
	 * filter table still decides. */
	const char *table = a->rs->chains[r->chain].table;
	if (!a->priv->incoming[r->chain] || strcmp(table, "nat") == 0 ||
	    strcmp(table, "mangle") == 0 || strcmp(table, "raw") == 0)
		return;
	struct pn_rule eff;
	bool ctx_bounded;
	if (!effective_rule(a, ri, &eff, &ctx_bounded, 0) || !opens(&eff))
		return;
	r = &eff;

	if (r->proto != PN_PROTO_ANY && !r->proto_negate &&
	    !common_portless(r->proto) && r->proto <= 255) {
		uint16_t p = (uint16_t)r->proto;
		const struct pn_slot *s = pn_registry_slot(a->reg, PN_TCP, p);
		enum pn_transport t = PN_TCP;
		if (!(s->flags & PN_S_SERVICE)) {
			s = pn_registry_slot(a->reg, PN_UDP, p);
			t = PN_UDP;
		}
		if (s->flags & PN_S_SERVICE) {
			char buf[16];
			char names[600];
			pn_port_service(a->reg, a->priv->ann, t, p, names,
					sizeof names);
			add_finding(
			    a, PN_FIND_PORTLESS, (int32_t)ri, NULL,
			    xstrdup(names),
			    xprintf("accepts IP protocol %u (%s), which has "
				    "no ports; %u/%s is registered for %s: a "
				    "transport and port was probably meant",
				    p, pn_ip_proto_text((uint8_t)p, buf), p,
				    pn_transport_name(t), names));
		}
		return;
	}

	unsigned transports = rule_transports(r);
	if (!transports)
		return; /* ICMP, GRE, ESP...: no ports to open */
	audit_ports(a, ri, r, ctx_bounded, transports, "opens");
}

/* Port findings of a rule that lets new connections to `transports` in:
 * an accepting rule ("opens") or a published DNAT port ("publishes"). */
static void audit_ports(struct pn_audit *a, uint32_t ri,
			const struct pn_rule *r, bool ctx_bounded,
			unsigned transports, const char *verb)
{
	bool upper = ctx_bounded || bounded(a, r);
	const struct pn_port_match *dst =
	    r->dport.n ? &r->dport : &r->either_port;
	bool any_port = dst->n == 0;
	char tb[24];
	if (any_port && !restricted_source(r) && !upper &&
	    !(r->dst_type &&
	      !(r->dst_type & PN_ADDRTYPE_LOCAL) != r->dst_type_negate)) {
		bool every_proto = r->proto == PN_PROTO_ANY &&
				   !r->has_proto_set && !r->tcp_mask;
		char what[96];
		if (every_proto)
			snprintf(what, sizeof what, "every protocol and port");
		else {
			size_t n = 0;
			int k = 0, total = __builtin_popcount(transports);
			for (int t = 0; t < PN_TRANSPORT_COUNT; t++) {
				if (!(transports & (1u << t)))
					continue;
				n += (size_t)snprintf(
				    what + n, sizeof what - n, "%s%s",
				    k == 0	     ? "every "
				    : k == total - 1 ? " and "
						     : ", ",
				    pn_transport_name((enum pn_transport)t));
				k++;
			}
			snprintf(what + n, sizeof what - n, " port");
		}
		add_finding(
		    a, PN_FIND_ALL_PORTS, (int32_t)ri, NULL, NULL,
		    xprintf("%s %s from anywhere",
			    strcmp(verb, "opens") == 0 ? "accepts" : verb,
			    what));
	}
	const char *v =
	    upper && strcmp(verb, "opens") == 0 ? "opens at most" : verb;
	struct portset ports;
	ps_from_match(&ports, dst);
	if (any_port && r->proto == PN_PROTO_ANY && !r->has_proto_set &&
	    strcmp(verb, "opens") == 0) {
		ps_free(&ports);
		return; /* not a port rule: nothing for the registry to say */
	}
	for (int t = 0; t < PN_TRANSPORT_COUNT; t++) {
		if (!(transports & (1u << t)))
			continue;
		/* Without a destination port match the rule's point is not
		 * a port: the opening is listed, the port statuses of a
		 * whole space are not findings. */
		audit_opening(a, ri, (enum pn_transport)t, &ports, !any_port,
			      v);
	}
	/* Wide ranges hold only when every port of the range is surely
	 * matched. */
	if (!any_port)
		audit_comment(a, ri, &ports, transports);
	if (any_port || upper) {
		ps_free(&ports);
		return;
	}

	/* Wide ranges: the whole Dynamic range, or more than --wide ports. */
	bool dynamic = false;
	uint32_t widest = 0, lo = 0;
	for (uint32_t k = 0; k < ports.n; k++) {
		uint32_t a_lo = ports.r[k].lo, a_hi = ports.r[k].hi;
		if (a_lo <= 49152 && a_hi == 65535)
			dynamic = true;
		if (a_hi - a_lo + 1 > widest) {
			widest = a_hi - a_lo + 1;
			lo = a_lo;
		}
	}
	ps_free(&ports);
	if (dynamic) {
		add_finding(
		    a, PN_FIND_DYNAMIC_RANGE, (int32_t)ri,
		    xprintf("49152-65535/%s", transports_text(transports, tb)),
		    NULL,
		    xprintf("%s the whole Dynamic range "
			    "49152-65535, which is never assigned",
			    verb));
		return;
	}
	if (widest > a->opts.wide)
		add_finding(a, PN_FIND_WIDE_RANGE, (int32_t)ri,
			    xprintf("%u-%u/%s", lo, lo + widest - 1,
				    transports_text(transports, tb)),
			    NULL,
			    xprintf("%s a range of %u ports (%u-%u), wider "
				    "than --wide %u",
				    verb, widest, lo, lo + widest - 1,
				    a->opts.wide));
}

/* Does every new connection of IP protocol `proto` and `family`, from
 * anywhere to any port, match r, as far as the model tells? */
static bool catches_all(const struct pn_rule *r, int proto, uint8_t family)
{
	if ((r->family & family) != family || !pn_rule_has_proto(r, proto))
		return false;
	if (r->sport.n || r->dport.n || r->either_port.n || r->saddr.n ||
	    r->daddr.n || r->oif.name[0] || (r->iif.name[0] && !r->iif.negate))
		return false;
	if (r->ctstate && ((r->ctstate & PN_CT_NEW) != 0) == r->ctstate_negate)
		return false;
	return !r->tcp_mask && !r->has_icmp && !r->src_type && !r->dst_type &&
	       !r->n_sets && !r->n_unmodeled;
}

/* Does chain c surely decide every such connection before its end? */
static bool chain_decides(const struct pn_ruleset *rs, uint32_t c, int proto,
			  uint8_t family, int depth)
{
	if (depth > 16)
		return false;
	const struct pn_chain *ch = &rs->chains[c];
	for (uint32_t i = ch->first; i < ch->first + ch->n_rules; i++) {
		const struct pn_rule *r = &rs->rules[i];
		if (!catches_all(r, proto, family))
			continue;
		switch (r->verdict) {
		case PN_VERDICT_ACCEPT:
		case PN_VERDICT_DROP:
		case PN_VERDICT_REJECT:
			return true;
		case PN_VERDICT_RETURN:
			return false;
		case PN_VERDICT_JUMP:
			if (chain_decides(rs, r->target, proto, family,
					  depth + 1))
				return true;
			break;
		case PN_VERDICT_GOTO:
			return chain_decides(rs, r->target, proto, family,
					     depth + 1);
		default:
			break;
		}
	}
	return false;
}

/* A base chain whose policy accepts, with nothing before it that drops
 * the rest, opens every port no rule decides. With several base chains
 * on the hook (nft), a connection must pass all of them. */
static void audit_policies(struct pn_audit *a)
{
	const struct pn_ruleset *rs = a->rs;
	enum pn_hook hook = a->opts.hook;
	if (a->opts.chain >= 0 ||
	    (hook != PN_HOOK_INPUT && hook != PN_HOOK_FORWARD))
		return;
	unsigned *open = calloc(rs->n_chains + 1, sizeof *open);
	if (!open)
		oom();
	static const uint8_t families[] = {PN_FAMILY_IPV4, PN_FAMILY_IPV6};
	for (int fi = 0; fi < 2; fi++) {
		uint8_t f = families[fi];
		for (int t = 0; t < PN_TRANSPORT_COUNT; t++) {
			long first_accept = -1;
			bool any = false, passes = true;
			for (uint32_t c = 0; c < rs->n_chains && passes; c++) {
				const struct pn_chain *ch = &rs->chains[c];
				if (ch->hook != hook || !(ch->family & f))
					continue;
				any = true;
				if (ch->policy != PN_VERDICT_ACCEPT ||
				    chain_decides(rs, c, transport_proto[t], f,
						  0))
					passes = false;
				else if (first_accept < 0 ||
					 ch->priority <
					     rs->chains[first_accept].priority)
					first_accept = c;
			}
			if (any && passes && first_accept >= 0)
				open[first_accept] |= 1u << t;
		}
	}
	for (uint32_t c = 0; c < rs->n_chains; c++) {
		if (!open[c])
			continue;
		char what[64];
		size_t n = 0;
		int k = 0, total = __builtin_popcount(open[c]);
		for (int t = 0; t < PN_TRANSPORT_COUNT; t++) {
			if (!(open[c] & (1u << t)))
				continue;
			n += (size_t)snprintf(
			    what + n, sizeof what - n, "%s%s",
			    k == 0	     ? ""
			    : k == total - 1 ? " and "
					     : ", ",
			    pn_transport_name((enum pn_transport)t));
			k++;
		}
		char tb[24];
		struct pn_finding *fd = add_finding(
		    a, PN_FIND_ALL_PORTS, -1,
		    xprintf("0-65535/%s", transports_text(open[c], tb)), NULL,
		    xprintf("accepts every %s port no rule decides%s, from "
			    "anywhere: no rule drops the rest",
			    what, hook == PN_HOOK_INPUT ? "" : " (forwarded)"));
		fd->chain = (int32_t)c;
	}
	free(open);
}

static long nat_prerouting(const struct pn_ruleset *rs)
{
	for (uint32_t c = 0; c < rs->n_chains; c++)
		if (strcmp(rs->chains[c].table, "nat") == 0 &&
		    strcmp(rs->chains[c].name, "PREROUTING") == 0)
			return c;
	return -1;
}

static void addr_text(const struct pn_prefix *p, char *buf, size_t size)
{
	if (p->family == PN_FAMILY_IPV4)
		inet_ntop(AF_INET, p->addr + 12, buf, (socklen_t)size);
	else
		inet_ntop(AF_INET6, p->addr, buf, (socklen_t)size);
}

/* A DNAT rule reached from nat PREROUTING publishes its ports past the
 * input chain: the same findings as an accepting rule, and where the
 * port goes. */
static void audit_publish(struct pn_audit *a, uint32_t ri)
{
	const struct pn_rule *r = &a->rs->rules[ri];
	unsigned transports = rule_transports(r);
	if (!transports)
		return;
	struct pn_audit_target *tg = &a->rules[ri];
	uint32_t before = tg->n_openings;
	audit_ports(a, ri, r, false, transports, "publishes");
	char addr[INET6_ADDRSTRLEN] = "";
	if (r->dnat.has_addr)
		addr_text(&r->dnat.addr, addr, sizeof addr);
	bool v6 = r->dnat.has_addr && r->dnat.addr.family == PN_FAMILY_IPV6;
	for (uint32_t k = before; k < tg->n_openings; k++) {
		struct pn_audit_opening *o = &tg->openings[k];
		if (r->dnat.port_lo) {
			o->forward = xprintf("%s%s%s:%u", v6 ? "[" : "", addr,
					     v6 ? "]" : "", r->dnat.port_lo);
			char names[600];
			pn_port_service(a->reg, a->priv->ann,
					(enum pn_transport)o->transport,
					r->dnat.port_lo, names, sizeof names);
			o->forward_service = xstrdup(names);
		} else {
			o->forward =
			    xprintf("%s (the same port)", addr[0] ? addr : "?");
		}
	}
}

/* Marks the chains the evaluation walks: the base chains of the hook (or
 * the chosen chain) and every chain reached from them by jumps. */
static void mark_reachable(struct pn_audit *a, uint32_t c, bool *seen)
{
	if (seen[c])
		return;
	seen[c] = true;
	const struct pn_chain *ch = &a->rs->chains[c];
	for (uint32_t i = ch->first; i < ch->first + ch->n_rules; i++) {
		const struct pn_rule *r = &a->rs->rules[i];
		if (r->verdict == PN_VERDICT_JUMP ||
		    r->verdict == PN_VERDICT_GOTO)
			mark_reachable(a, r->target, seen);
	}
}

static void find_callers(struct pn_audit *a)
{
	const struct pn_ruleset *rs = a->rs;
	struct audit_private *pv = a->priv;
	size_t n = rs->n_chains + 1;
	pv->n_callers = calloc(n, sizeof *pv->n_callers);
	pv->caller = calloc(n, sizeof *pv->caller);
	pv->callers_plain = calloc(n, sizeof *pv->callers_plain);
	pv->incoming = calloc(n, sizeof *pv->incoming);
	if (!pv->n_callers || !pv->caller || !pv->callers_plain ||
	    !pv->incoming)
		oom();
	for (uint32_t c = 0; c < rs->n_chains; c++)
		pv->callers_plain[c] = true;
	for (uint32_t i = 0; i < rs->n_rules; i++) {
		const struct pn_rule *r = &rs->rules[i];
		if (r->verdict != PN_VERDICT_JUMP &&
		    r->verdict != PN_VERDICT_GOTO)
			continue;
		if (pv->n_callers[r->target]++ == 0)
			pv->caller[r->target] = i;
		if (!unconditional(r) ||
		    (r->family & rs->chains[r->target].family) !=
			rs->chains[r->target].family)
			pv->callers_plain[r->target] = false;
	}
	/* Packets coming in: the input and forward hooks, or the chain the
	 * audit was told to evaluate. Rules reached only from output chains
	 * open nothing. */
	for (uint32_t c = 0; c < rs->n_chains; c++) {
		enum pn_hook h = rs->chains[c].hook;
		if (a->opts.chain >= 0
			? (long)c == a->opts.chain
			: h == PN_HOOK_INPUT || h == PN_HOOK_FORWARD)
			mark_reachable(a, c, pv->incoming);
	}
}

struct pn_audit *pn_audit_create(const struct pn_ruleset *rs,
				 const struct pn_registry *reg,
				 const struct pn_audit_options *opts)
{
	struct pn_audit *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->rs = rs;
	a->reg = reg;
	a->opts = *opts;
	a->priv = calloc(1, sizeof *a->priv);
	a->rules = calloc(rs->n_rules + 1, sizeof *a->rules);
	a->undetermined = calloc(rs->n_rules + 1, sizeof *a->undetermined);
	a->chains = calloc(rs->n_chains + 1, sizeof *a->chains);
	bool *seen = calloc(rs->n_chains + 1, sizeof *seen);
	if (!a->priv || !a->rules || !a->undetermined || !a->chains || !seen)
		oom();
	a->priv->ann = pn_annotator_create(reg);
	if (!a->priv->ann)
		oom();
	pn_annotator_declare(a->priv->ann, opts->decl);
	for (uint32_t c = 0; c < rs->n_chains; c++)
		if ((opts->chain >= 0 && (long)c == opts->chain) ||
		    (opts->chain < 0 && rs->chains[c].hook == opts->hook &&
		     opts->hook != PN_HOOK_NONE))
			mark_reachable(a, c, seen);
	for (uint32_t c = 0; c < rs->n_chains; c++) {
		a->chains[c].reachable = seen[c];
		const struct pn_chain *ch = &rs->chains[c];
		for (uint32_t i = ch->first; i < ch->first + ch->n_rules; i++)
			a->rules[i].reachable = seen[c];
	}
	find_callers(a);
	for (uint32_t i = 0; i < rs->n_rules; i++)
		audit_rule(a, i);
	struct shadow_bucket *sb, *sbt;
	HASH_ITER(hh, a->priv->shadow, sb, sbt)
	{
		HASH_DEL(a->priv->shadow, sb);
		free(sb->rules);
		free(sb);
	}
	audit_policies(a);
	/* Published ports: DNAT rules reached from nat PREROUTING; their
	 * traffic goes through the forward hook, whose chains are then
	 * walked too. */
	a->priv->nat = opts->hook == PN_HOOK_INPUT && opts->chain < 0
			   ? nat_prerouting(rs)
			   : -1;
	if (a->priv->nat >= 0) {
		bool *pub = calloc(rs->n_chains + 1, sizeof *pub);
		if (!pub)
			oom();
		mark_reachable(a, (uint32_t)a->priv->nat, pub);
		bool published = false;
		for (uint32_t c = 0; c < rs->n_chains; c++) {
			const struct pn_chain *ch = &rs->chains[c];
			for (uint32_t i = ch->first;
			     pub[c] && i < ch->first + ch->n_rules; i++)
				if (rs->rules[i].verdict == PN_VERDICT_DNAT) {
					audit_publish(a, i);
					published = true;
				}
		}
		if (published) {
			for (uint32_t c = 0; c < rs->n_chains; c++)
				if (rs->chains[c].hook == PN_HOOK_FORWARD)
					mark_reachable(a, c, pub);
			for (uint32_t c = 0; c < rs->n_chains; c++) {
				if (!pub[c] || seen[c])
					continue;
				a->chains[c].reachable = true;
				const struct pn_chain *ch = &rs->chains[c];
				for (uint32_t i = ch->first;
				     i < ch->first + ch->n_rules; i++)
					a->rules[i].reachable = true;
			}
		} else {
			a->priv->nat = -1;
		}
		free(pub);
	}
	free(seen);
	return a;
}

static void count_service(struct pn_audit *a, uint32_t target,
			  const char *service)
{
	struct service_count *sc;
	char key[600];
	int n = snprintf(key, sizeof key, "%u", target);
	size_t len = (size_t)n + 1;
	len += (size_t)snprintf(key + len, sizeof key - len, "%s", service);
	if (len >= sizeof key)
		len = sizeof key - 1;
	HASH_FIND(hh, a->priv->services, key, len, sc);
	if (!sc) {
		sc = calloc(1, sizeof *sc);
		if (!sc)
			oom();
		memcpy(sc->key, key, len);
		sc->len = len;
		sc->target = target;
		HASH_ADD(hh, a->priv->services, key[0], len, sc);
	}
	sc->flows++;
}

static struct flagged *flag_traffic(struct pn_audit *a,
				    enum pn_finding_kind kind, int32_t rule,
				    int32_t chain, const char *service,
				    const char *port, int tag)
{
	char key[640];
	int n = snprintf(key, sizeof key, "%d %d %d %d %s %s", (int)kind, rule,
			 chain, tag, port, service);
	size_t len =
	    n > 0 && (size_t)n < sizeof key ? (size_t)n : sizeof key - 1;
	struct flagged *f;
	HASH_FIND(hh, a->priv->flagged, key, len, f);
	if (!f) {
		f = calloc(1, sizeof *f);
		if (!f)
			oom();
		memcpy(f->key, key, len);
		f->len = len;
		f->kind = kind;
		f->rule = rule;
		f->chain = chain;
		snprintf(f->service, sizeof f->service, "%s", service);
		snprintf(f->port, sizeof f->port, "%s", port);
		HASH_ADD(hh, a->priv->flagged, key[0], len, f);
	}
	f->flows++;
	return f;
}

static void add_traffic(struct pn_audit_traffic *t,
			const struct pn_audit_traffic *d)
{
	for (int v = 0; v < PN_V_COUNT; v++)
		t->verdict[v] += d->verdict[v];
	t->flows += d->flows;
	t->packets += d->packets;
	t->bytes += d->bytes;
	t->client_packets += d->client_packets;
	t->client_bytes += d->client_bytes;
}

/* The endpoint that sent first: the firewall saw the flow's first packet
 * come from it. The flow table's server side is a guess from the registry
 * when no handshake was seen (a lone UDP datagram from port 53 to 50000
 * still went from 53 to 50000); only when both sides started in the same
 * microsecond does the guess decide. */
static int initiator(const struct pn_flow *f)
{
	if (!f->packets[1] ||
	    (f->packets[0] && f->first_us[0] < f->first_us[1]))
		return 0;
	if (!f->packets[0] || f->first_us[1] < f->first_us[0])
		return 1;
	return !f->server;
}

/* What one flow (or one portless packet) adds, and how the report names
 * it. */
struct audited {
	struct pn_audit_traffic d;
	const char *named; /* "tcp/ssh", "unregistered tcp/6379", "icmp" */
	char port[24];	   /* "22/tcp"; "" without ports */
	uint16_t flags;	   /* PN_FF_* of the server port */
	bool judged;	   /* the verdict below holds a flow's payload */
	enum pn_payload_verdict verdict;
	struct pn_verdict_detail detail;
};

static void count_undetermined(struct pn_audit *a, const struct audited *x,
			       int32_t rule)
{
	add_traffic(&a->total_undetermined, &x->d);
	if (rule >= 0) {
		add_traffic(&a->undetermined[rule].traffic, &x->d);
		count_service(a,
			      a->rs->n_rules + a->rs->n_chains + (uint32_t)rule,
			      x->named);
	}
}

/* Evaluates pkt through the hook's chains (after nat PREROUTING, whose
 * DNAT sends it to the forward hook) and counts x where it was decided. */
static void audit_packet(struct pn_audit *a, struct pn_rule_packet *pkt,
			 const struct audited *x)
{
	uint32_t nr = a->rs->n_rules;
	enum pn_hook hook = a->opts.hook;
	struct pn_rule_result res;
	char oif[sizeof a->rs->rules[0].iif.name];
	if (a->priv->nat >= 0) {
		/* A port published by DNAT goes to its new destination
		 * through the forward hook, not to this host's input. */
		pkt->at = PN_HOOK_INPUT;
		pn_rules_evaluate(a->rs, PN_HOOK_NONE, a->priv->nat, pkt, &res);
		pkt->at = PN_HOOK_NONE;
		if (res.undetermined) {
			add_traffic(&a->total, &x->d);
			count_undetermined(a, x, res.rule);
			return;
		}
		if (res.verdict == PN_VERDICT_DNAT && res.rule >= 0) {
			const struct pn_rule *d = &a->rs->rules[res.rule];
			add_traffic(&a->rules[res.rule].traffic, &x->d);
			count_service(a, (uint32_t)res.rule, x->named);
			if (d->dnat.has_addr &&
			    d->dnat.addr.family == pkt->family)
				memcpy(pkt->daddr, d->dnat.addr.addr, 16);
			if (d->dnat.port_lo)
				pkt->dport = d->dnat.port_lo;
			/* Docker's DNAT rules skip their own bridge ("! -i
			 * docker0"): that bridge is where the packet goes. */
			if (d->iif.negate && !d->iif.wildcard) {
				memcpy(oif, d->iif.name, sizeof oif);
				pkt->oif = oif;
			}
			hook = PN_HOOK_FORWARD;
		}
	}
	if (!pn_rules_evaluate(a->rs, hook, a->opts.chain, pkt, &res)) {
		add_traffic(&a->total_unevaluated, &x->d);
		return;
	}
	add_traffic(&a->total, &x->d);
	if (res.undetermined) {
		count_undetermined(a, x, res.rule);
		return;
	}
	if (res.assumed_set >= 0) {
		/* Said once per set and rule: the verdicts below hold only if
		 * these flows were in no member of the set. */
		a->assumed_flows += x->d.flows;
		flag_traffic(a, PN_FIND_ASSUMED, res.rule, res.chain,
			     a->rs->sets[res.assumed_set].name, "", 0);
	}
	int32_t chain = res.chain;
	if (res.rule >= 0) {
		add_traffic(&a->rules[res.rule].traffic, &x->d);
		count_service(a, (uint32_t)res.rule, x->named);
	} else if (chain >= 0) {
		add_traffic(&a->chains[chain].traffic, &x->d);
		count_service(a, nr + (uint32_t)chain, x->named);
		flag_traffic(a, PN_FIND_POLICY_TRAFFIC, -1, chain, x->named, "",
			     0);
	}
	if (res.verdict != PN_VERDICT_ACCEPT)
		return;
	static const struct {
		uint16_t flag;
		enum pn_finding_kind kind;
	} flagged[] = {
	    {PN_FF_UNAUTHORIZED, PN_FIND_ALLOWED_UNAUTHORIZED},
	    {PN_FF_RESERVED, PN_FIND_ALLOWED_RESERVED},
	    {PN_FF_UNASSIGNED, PN_FIND_ALLOWED_UNASSIGNED},
	    {PN_FF_DYNAMIC, PN_FIND_ALLOWED_DYNAMIC},
	};
	for (size_t i = 0; i < sizeof flagged / sizeof flagged[0]; i++)
		if (x->flags & flagged[i].flag)
			flag_traffic(a, flagged[i].kind, res.rule, chain,
				     x->named, x->port, 0);
	if (x->judged && x->verdict == PN_V_DIFFERS) {
		/* One finding per rule, port and what the payload looked
		 * like. */
		struct flagged *f =
		    flag_traffic(a, PN_FIND_PAYLOAD_DIFFERS, res.rule, chain,
				 x->named, x->port, x->detail.looks_like);
		f->looks = (uint8_t)x->detail.looks_like;
		f->declared = x->detail.declared;
		f->expected = x->detail.expected;
	}
}

void pn_audit_flow(struct pn_audit *a, const struct pn_flow *f)
{
	int client = initiator(f), server = !client;
	enum pn_transport t = (enum pn_transport)f->key.transport;
	struct pn_rule_packet pkt = {
	    .family = f->key.ip_version == 6 ? PN_FAMILY_IPV6 : PN_FAMILY_IPV4,
	    .proto = (uint8_t)transport_proto[t],
	    .sport = f->key.port[client],
	    .dport = f->key.port[server],
	    .has_ports = true,
	    .iif = a->opts.iif,
	    .ctstate = PN_CT_NEW,
	};
	/* The flow's first packet was a SYN when its initiator sent one;
	 * a flow seen from its middle has first flags nobody captured. */
	if (t == PN_TCP && (f->tcp_flags[client] & PN_TCP_SYN)) {
		pkt.has_tcp_flags = true;
		pkt.tcp_flags = PN_TCP_SYN;
	}
	memcpy(pkt.saddr, f->key.addr[client], 16);
	memcpy(pkt.daddr, f->key.addr[server], 16);
	char service[600], named[640];
	pn_port_service(a->reg, a->priv->ann, t, f->key.port[server], service,
			sizeof service);
	/* "tcp/ssh"; "unregistered tcp/6379" names its transport already. */
	if (pn_registry_slot(a->reg, t, f->key.port[server])->flags &
	    PN_S_SERVICE)
		snprintf(named, sizeof named, "%s/%s", pn_transport_name(t),
			 service);
	else
		snprintf(named, sizeof named, "%s", service);
	struct audited x = {
	    .d = {.flows = 1,
		  .packets = f->packets[0] + f->packets[1],
		  .bytes = f->bytes[0] + f->bytes[1],
		  .client_packets = f->packets[client],
		  .client_bytes = f->bytes[client]},
	    .named = named,
	    .flags = pn_flow_port_flags(a->reg, t, f->key.port, server),
	};
	snprintf(x.port, sizeof x.port, "%u/%s", f->key.port[server],
		 pn_transport_name(t));
	if (a->opts.evidence) {
		x.judged = true;
		x.verdict = pn_flow_verdict(a->reg, a->opts.decl, f, &x.detail);
		x.d.verdict[x.verdict] = 1;
	}
	audit_packet(a, &pkt, &x);
}

/* ICMP types that answer or report on earlier traffic: conntrack sees an
 * echo reply as ESTABLISHED and an error as RELATED to the connection it
 * reports on; everything else starts something new. */
static uint8_t icmp_state(bool v6, uint8_t type)
{
	if (v6) {
		if (type == 129)
			return PN_CT_ESTABLISHED;
		return type >= 1 && type <= 4 ? PN_CT_RELATED : PN_CT_NEW;
	}
	if (type == 0 || type == 14 || type == 16 || type == 18)
		return PN_CT_ESTABLISHED;
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12
		   ? PN_CT_RELATED
		   : PN_CT_NEW;
}

void pn_audit_portless(struct pn_audit *a, const struct pn_packet *p,
		       const uint8_t *bytes)
{
	if (p->status != PN_OK || p->l4 != PN_L4_NONE || !p->ip_version)
		return;
	bool v6 = p->ip_version == 6;
	struct pn_rule_packet pkt = {
	    .family = v6 ? PN_FAMILY_IPV6 : PN_FAMILY_IPV4,
	    .proto = p->ip_proto,
	    .iif = a->opts.iif,
	    .ctstate = PN_CT_NEW,
	};
	memcpy(pkt.saddr, p->src, 16);
	memcpy(pkt.daddr, p->dst, 16);
	bool icmp = p->ip_proto == (v6 ? 58 : 1);
	if (icmp && p->l4_off < p->caplen && p->caplen - p->l4_off >= 2) {
		pkt.has_icmp = true;
		pkt.icmp_type = bytes[p->l4_off];
		pkt.icmp_code = bytes[p->l4_off + 1];
		pkt.ctstate = icmp_state(v6, pkt.icmp_type);
	}
	char buf[16];
	const char *named = pn_ip_proto_text(p->ip_proto, buf);
	struct audited x = {
	    .d = {.flows = 1,
		  .packets = 1,
		  .bytes = p->wirelen,
		  .client_packets = 1,
		  .client_bytes = p->wirelen},
	    .named = named,
	};
	audit_packet(a, &pkt, &x);
}

static int by_flows_desc(const void *x, const void *y)
{
	const struct pn_audit_service *a = x, *b = y;
	if (a->flows != b->flows)
		return a->flows > b->flows ? -1 : 1;
	return strcmp(a->service, b->service);
}

static int by_flagged(const struct flagged *x, const struct flagged *y)
{
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->flows != y->flows)
		return x->flows > y->flows ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Severity first, then the order of the rules, then the kind. */
static const struct pn_audit *sort_audit;
static int by_finding(const void *x, const void *y)
{
	const struct pn_finding *a = x, *b = y;
	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	int ra = a->rule >= 0 ? a->rule : (int)sort_audit->rs->n_rules;
	int rb = b->rule >= 0 ? b->rule : (int)sort_audit->rs->n_rules;
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (a->chain != b->chain)
		return a->chain < b->chain ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->has_flows && b->has_flows && a->flows != b->flows)
		return a->flows > b->flows ? -1 : 1;
	/* qsort is not stable: the message settles what is left, so the
	 * order never depends on the library. */
	return strcmp(a->message, b->message);
}

static struct pn_audit_target *target_of(struct pn_audit *a, uint32_t t)
{
	uint32_t nr = a->rs->n_rules, nc = a->rs->n_chains;
	if (t < nr)
		return &a->rules[t];
	if (t < nr + nc)
		return &a->chains[t - nr];
	return &a->undetermined[t - nr - nc];
}

static const char *chain_label(const struct pn_audit *a, int32_t chain,
			       char *buf, size_t size)
{
	const struct pn_chain *c = &a->rs->chains[chain];
	snprintf(buf, size, "%s/%s", c->table, c->name);
	return buf;
}

/* "3 flows through it to 443/tcp, registered for https, looked like SSH";
 * "... declared here for ssh, did not look like SSH". */
static char *differs_message(const struct pn_audit *a, const struct flagged *fl)
{
	char expected[256], port[1024], looked[300];
	pn_protocols_text(fl->expected, true, " or ", expected,
			  sizeof expected);
	unsigned n = 0;
	const char *slash = strchr(fl->port, '/');
	int tr = slash ? pn_transport_parse(slash + 1) : -1;
	if (tr < 0 || sscanf(fl->port, "%u", &n) != 1 || n > 65535)
		snprintf(port, sizeof port, "%s", fl->port);
	else
		pn_annotate_port(a->priv->ann, (enum pn_transport)tr,
				 (uint16_t)n, port, sizeof port);
	if (fl->looks != PN_P_NONE)
		snprintf(looked, sizeof looked, "looked like %s",
			 pn_proto_title((enum pn_proto)fl->looks));
	else if (fl->expected)
		snprintf(looked, sizeof looked, "did not look like %s",
			 expected);
	else
		snprintf(looked, sizeof looked,
			 "sent a service code not listed for the port");
	/* The annotation after its port number: "registered for https". */
	const char *label = strchr(port, ' ');
	return xprintf("%llu accepted flow%s to %s, %s, %s (payload evidence, "
		       "port-blind; not proof either)",
		       (unsigned long long)fl->flows, fl->flows == 1 ? "" : "s",
		       fl->port, label ? label + 1 : port, looked);
}

void pn_audit_finish(struct pn_audit *a)
{
	struct service_count *sc, *tmp;
	HASH_ITER(hh, a->priv->services, sc, tmp)
	{
		struct pn_audit_target *tg = target_of(a, sc->target);
		tg->services = realloc(tg->services, (tg->n_services + 1) *
							 sizeof *tg->services);
		if (!tg->services)
			oom();
		tg->services[tg->n_services].service =
		    xstrdup(sc->key + strlen(sc->key) + 1);
		tg->services[tg->n_services++].flows = sc->flows;
		HASH_DEL(a->priv->services, sc);
		free(sc);
	}
	uint32_t nr = a->rs->n_rules, nc = a->rs->n_chains;
	for (uint32_t t = 0; t < 2 * nr + nc; t++) {
		struct pn_audit_target *tg = target_of(a, t);
		if (tg->n_services > 1)
			qsort(tg->services, tg->n_services,
			      sizeof *tg->services, by_flows_desc);
	}
	if (a->opts.traffic) {
		for (uint32_t i = 0; i < nr; i++) {
			const struct pn_rule *r = &a->rs->rules[i];
			if (!a->rules[i].reachable || !terminal(r->verdict) ||
			    a->rules[i].traffic.flows ||
			    a->undetermined[i].traffic.flows)
				continue;
			add_finding(a, PN_FIND_NEVER_HIT, (int32_t)i, NULL,
				    NULL,
				    xstrdup("no flow of the traffic was "
					    "decided by this rule"));
		}
		for (uint32_t i = 0; i < nr; i++) {
			const struct pn_audit_traffic *u =
			    &a->undetermined[i].traffic;
			if (!u->flows)
				continue;
			struct pn_finding *f = add_finding(
			    a, PN_FIND_UNDETERMINED, (int32_t)i, NULL, NULL,
			    xprintf("%llu flow%s reached this rule, whose "
				    "matches portnote does not evaluate; "
				    "their verdict is unknown",
				    (unsigned long long)u->flows,
				    u->flows == 1 ? "" : "s"));
			f->flows = u->flows;
			f->has_flows = true;
		}
		HASH_SORT(a->priv->flagged, by_flagged);
		struct flagged *fl, *ftmp;
		HASH_ITER(hh, a->priv->flagged, fl, ftmp)
		{
			char chain[256];
			const char *what = "";
			switch (fl->kind) {
			case PN_FIND_ALLOWED_UNAUTHORIZED:
				what = "a port where the registry reports "
				       "unauthorized use";
				break;
			case PN_FIND_ALLOWED_RESERVED:
				what = "a Reserved port";
				break;
			case PN_FIND_ALLOWED_UNASSIGNED:
				what = "a port registered for no service";
				break;
			case PN_FIND_ALLOWED_DYNAMIC:
				what = "a Dynamic port (49152-65535)";
				break;
			default:
				break;
			}
			char *msg;
			if (fl->kind == PN_FIND_PAYLOAD_DIFFERS)
				msg = differs_message(a, fl);
			else if (fl->kind == PN_FIND_ASSUMED)
				msg = xprintf(
				    "%llu flow%s decided here assuming not in "
				    "set %s, whose members are unknown (give "
				    "its 'ipset save' output with --ipsets)",
				    (unsigned long long)fl->flows,
				    fl->flows == 1 ? " was" : "s were",
				    fl->service);
			else if (fl->kind == PN_FIND_POLICY_TRAFFIC)
				msg = xprintf(
				    "%llu flow%s to %s reached no rule and "
				    "fell to the policy of %s (%s)",
				    (unsigned long long)fl->flows,
				    fl->flows == 1 ? "" : "s", fl->service,
				    chain_label(a, fl->chain, chain,
						sizeof chain),
				    pn_verdict_name(
					a->rs->chains[fl->chain].policy));
			else
				msg = xprintf("%llu allowed flow%s to %s: "
					      "server port %s is %s",
					      (unsigned long long)fl->flows,
					      fl->flows == 1 ? "" : "s",
					      fl->service, fl->port, what);
			struct pn_finding *f =
			    add_finding(a, fl->kind, fl->rule,
					fl->port[0] ? xstrdup(fl->port) : NULL,
					xstrdup(fl->service), msg);
			if (fl->rule < 0)
				f->chain = fl->chain;
			f->flows = fl->flows;
			f->has_flows = true;
			HASH_DEL(a->priv->flagged, fl);
			free(fl);
		}
	}
	sort_audit = a;
	if (a->n_findings > 1)
		qsort(a->findings, a->n_findings, sizeof *a->findings,
		      by_finding);
}

static void free_target(struct pn_audit_target *t)
{
	for (uint32_t i = 0; i < t->n_services; i++)
		free(t->services[i].service);
	free(t->services);
	for (uint32_t i = 0; i < t->n_openings; i++) {
		free(t->openings[i].ports);
		free(t->openings[i].forward);
		free(t->openings[i].forward_service);
		for (uint32_t k = 0; k < t->openings[i].n_services; k++)
			free(t->openings[i].services[k]);
		free(t->openings[i].services);
	}
	free(t->openings);
}

void pn_audit_destroy(struct pn_audit *a)
{
	if (!a)
		return;
	for (uint32_t i = 0; i < a->n_findings; i++) {
		free(a->findings[i].ports);
		free(a->findings[i].service);
		free(a->findings[i].message);
	}
	free(a->findings);
	for (uint32_t i = 0; i < a->rs->n_rules; i++) {
		free_target(&a->rules[i]);
		free_target(&a->undetermined[i]);
	}
	for (uint32_t i = 0; i < a->rs->n_chains; i++)
		free_target(&a->chains[i]);
	free(a->rules);
	free(a->undetermined);
	free(a->chains);
	struct service_count *sc, *tmp;
	HASH_ITER(hh, a->priv->services, sc, tmp)
	{
		HASH_DEL(a->priv->services, sc);
		free(sc);
	}
	struct flagged *fl, *ftmp;
	HASH_ITER(hh, a->priv->flagged, fl, ftmp)
	{
		HASH_DEL(a->priv->flagged, fl);
		free(fl);
	}
	pn_annotator_destroy(a->priv->ann);
	free(a->priv->n_callers);
	free(a->priv->caller);
	free(a->priv->callers_plain);
	free(a->priv->incoming);
	free(a->priv);
	free(a);
}
