/* audit.h — what a firewall ruleset opens, by the registry's account and by
 * the traffic seen.
 *
 * The static audit looks at each rule alone and against the rules before
 * it in its chain: which registered services its ports are registered for,
 * and findings (reserved, unassigned or unauthorized-use ports opened, the
 * whole Dynamic range or a wide range, a comment naming a service the
 * ports are not registered for, shadowed and duplicate rules, a protocol
 * with no ports where a transport was probably meant, every port open).
 *
 * The traffic audit takes ended flows and evaluates each as its first
 * packet (initiator to server, connection state NEW) through the chains of
 * one hook, first match wins, and counts it on the rule or policy that
 * decided it. A port says what a service is registered for, not what the
 * traffic was; the payload verdict of each flow (agrees, differs, ...) is
 * counted with it, and accepted flows that differ become findings.
 */
#ifndef PORTNOTE_AUDIT_H
#define PORTNOTE_AUDIT_H

#include "portnote/flow.h"
#include "portnote/registry.h"
#include "portnote/rules.h"

#include <stdbool.h>
#include <stdint.h>

enum pn_severity {
	PN_SEV_INFO,
	PN_SEV_LOW,
	PN_SEV_MEDIUM,
	PN_SEV_HIGH,
	PN_SEV_COUNT,
	PN_SEV_NEVER = PN_SEV_COUNT, /* --fail-on never */
};

enum pn_finding_kind {
	/* static */
	PN_FIND_UNAUTHORIZED,	  /* opens ports with unauthorized use */
	PN_FIND_DYNAMIC_RANGE,	  /* opens all of 49152-65535 */
	PN_FIND_ALL_PORTS,	  /* any port from anywhere */
	PN_FIND_RESERVED,	  /* opens Reserved ports */
	PN_FIND_WIDE_RANGE,	  /* a range wider than --wide */
	PN_FIND_COMMENT_MISMATCH, /* comment names another service */
	PN_FIND_SHADOWED,	  /* never reached */
	PN_FIND_DUPLICATE,	  /* repeats an earlier rule */
	PN_FIND_UNASSIGNED,	  /* opens Unassigned or unregistered ports */
	PN_FIND_PORTLESS,	  /* -p 80: a transport was probably meant */
	PN_FIND_NOT_EVALUATED,	  /* unmodeled matches */
	/* traffic */
	PN_FIND_NEVER_HIT,
	PN_FIND_POLICY_TRAFFIC,
	PN_FIND_ALLOWED_UNAUTHORIZED,
	PN_FIND_ALLOWED_RESERVED,
	PN_FIND_ALLOWED_UNASSIGNED,
	PN_FIND_ALLOWED_DYNAMIC,
	PN_FIND_UNDETERMINED,
	PN_FIND_ASSUMED, /* decided assuming a flow is in no member of an
			    unknown set */
	PN_FIND_PAYLOAD_DIFFERS, /* accepted flows whose payload differs
				    from what the port is registered (or
				    declared) for */
	PN_FIND_COUNT,
};

struct pn_finding {
	enum pn_severity severity;
	enum pn_finding_kind kind;
	int32_t rule;	/* index into ruleset->rules, or -1 */
	int32_t chain;	/* for policy findings, else the rule's chain */
	char *ports;	/* "6000-6063/tcp", or NULL */
	char *service;	/* registered names or traffic service, or NULL */
	uint64_t flows; /* traffic findings */
	bool has_flows;
	char *message;
};

struct pn_audit_traffic {
	uint64_t flows, packets, bytes, client_packets, client_bytes;
	uint64_t verdict[PN_V_COUNT]; /* flows by payload verdict */
};

/* Flows per service for one rule or policy, largest first after finish. */
struct pn_audit_service {
	char *service; /* "tcp/ssh", "udp/unregistered udp/4444" */
	uint64_t flows;
};

/* What an ACCEPT rule opens on one transport. */
struct pn_audit_opening {
	uint8_t transport;     /* enum pn_transport */
	bool at_most;	       /* the rule has matches portnote does not
				  evaluate: it opens these ports at most */
	char *forward;	       /* a published port (DNAT): where it goes,
				  "172.17.0.2:80"; else NULL */
	char *forward_service; /* what that port is registered for */
	char *ports;	       /* "22", "6000-6063", "1-65535 except 22" */
	uint32_t n_ports;
	uint32_t registered; /* distinct registered service names */
	char **services;     /* the most notable names, at most a few */
	uint32_t n_services;
};

struct pn_audit_target {
	struct pn_audit_traffic traffic;
	struct pn_audit_service *services;
	uint32_t n_services;
	struct pn_audit_opening *openings; /* rules only */
	uint32_t n_openings;
	bool reachable; /* in the evaluated chains (or reached by jumps) */
};

struct pn_audit_options {
	uint32_t wide;	   /* wide-range threshold, ports */
	enum pn_hook hook; /* chains evaluated, when chain < 0 */
	long chain;	   /* a single chain, or -1 */
	const char *iif;   /* input interface of the traffic, or NULL */
	bool traffic;	   /* flows will be fed */
	bool evidence;	   /* ... with payload evidence, to be judged */
	/* Site declarations (--declare), or NULL: comments and verdicts
	 * are judged against them where they declare a port. */
	const struct pn_declarations *decl;
};

struct pn_audit {
	const struct pn_ruleset *rs;
	const struct pn_registry *reg;
	struct pn_audit_options opts;
	struct pn_finding *findings;
	uint32_t n_findings;
	uint32_t by_severity[PN_SEV_COUNT];
	struct pn_audit_target *rules;	/* one per rule */
	struct pn_audit_target *chains; /* policy traffic, one per chain */
	struct pn_audit_target *undetermined; /* one per rule */
	struct pn_audit_traffic total, total_undetermined;
	/* Flows no chain saw: no base chain of the hook for their address
	 * family (an IPv4-only ruleset and IPv6 traffic). */
	struct pn_audit_traffic total_unevaluated;
	/* Flows whose verdict assumed they were in no member of a set whose
	 * members are unknown. */
	uint64_t assumed_flows;
	struct audit_private *priv;
};

/* NULL on allocation failure. Runs the static audit. */
struct pn_audit *pn_audit_create(const struct pn_ruleset *rs,
				 const struct pn_registry *reg,
				 const struct pn_audit_options *opts);

/* Evaluates one ended flow. */
void pn_audit_flow(struct pn_audit *a, const struct pn_flow *f);

/* Evaluates one decoded packet of a protocol without ports (ICMP, GRE,
 * ESP) on its own, counted as a flow of one packet; an ICMP echo reply is
 * taken as part of an established exchange and an ICMP error as related
 * to one, as conntrack sees them. Other packets are ignored. */
void pn_audit_portless(struct pn_audit *a, const struct pn_packet *p,
		       const uint8_t *bytes);

/* Adds the traffic findings and orders everything (severity, then rule
 * order). Call once, after the last flow. */
void pn_audit_finish(struct pn_audit *a);

void pn_audit_destroy(struct pn_audit *a);

const char *pn_severity_name(enum pn_severity s);
/* "info", "low", "medium", "high", "never" -> severity; -1 otherwise. */
int pn_severity_parse(const char *s);
const char *pn_finding_kind_name(enum pn_finding_kind k);

#endif
