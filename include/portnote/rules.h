/* rules.h — firewall rulesets: one model for iptables-save output, nftables
 * JSON (nft -j list ruleset) and portnote's plain list, and first-match
 * evaluation of a packet against it.
 *
 * The model keeps only what portnote can evaluate: protocol, ports, address
 * prefixes, interfaces, connection-tracking state, verdicts and jumps. A
 * match or statement outside that set is never guessed at: the parser
 * records it on the rule as "unmodeled" text, the audit reports it ("not
 * evaluated: -m recent"), and evaluation stops at such a rule with an
 * undetermined result instead of pretending it matches or not.
 *
 * Addresses are 16 bytes; IPv4 is held IPv4-mapped (::ffff:a.b.c.d) with the
 * prefix length counted in the 128-bit space (a /24 is stored as 120), so
 * one comparison serves both families.
 */
#ifndef PORTNOTE_RULES_H
#define PORTNOTE_RULES_H

#include "portnote/registry.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pn_rules_format {
	PN_RULES_AUTO,
	PN_RULES_IPTABLES, /* iptables-save / ip6tables-save */
	PN_RULES_NFT,	   /* nft -j list ruleset */
	PN_RULES_PLAIN,	   /* "allow tcp 443", one rule a line */
};

enum pn_verdict {
	PN_VERDICT_NONE,   /* no verdict (LOG, counter, comment only): go on */
	PN_VERDICT_ACCEPT, /* also the plain list's "allow" */
	PN_VERDICT_DROP,   /* also "deny" */
	PN_VERDICT_REJECT,
	PN_VERDICT_RETURN, /* back to the calling chain; in a base chain: the
			      policy */
	PN_VERDICT_JUMP,   /* into `target`, then back */
	PN_VERDICT_GOTO,   /* into `target`, not back (iptables -g, nft goto) */
	PN_VERDICT_DNAT,   /* nat: the destination is rewritten (see
			      pn_rule.dnat) and the packet is routed on,
			      usually through the forward hook */
};

/* Which packets a chain sees (netfilter hooks). */
enum pn_hook {
	PN_HOOK_NONE, /* a user chain, reached only by jumps */
	PN_HOOK_PREROUTING,
	PN_HOOK_INPUT,
	PN_HOOK_FORWARD,
	PN_HOOK_OUTPUT,
	PN_HOOK_POSTROUTING,
};

/* Address families a chain or rule applies to. */
enum {
	PN_FAMILY_IPV4 = 1u << 0,
	PN_FAMILY_IPV6 = 1u << 1,
	PN_FAMILY_BOTH = PN_FAMILY_IPV4 | PN_FAMILY_IPV6,
};

/* Connection-tracking states (iptables --ctstate / --state, nft ct state). */
enum {
	PN_CT_NEW = 1u << 0,
	PN_CT_ESTABLISHED = 1u << 1,
	PN_CT_RELATED = 1u << 2,
	PN_CT_INVALID = 1u << 3,
	PN_CT_UNTRACKED = 1u << 4,
};

#define PN_PROTO_ANY (-1)

/* Address types (iptables -m addrtype, nft fib daddr type). */
enum {
	PN_ADDRTYPE_UNSPEC = 1u << 0,
	PN_ADDRTYPE_UNICAST = 1u << 1,
	PN_ADDRTYPE_LOCAL = 1u << 2,
	PN_ADDRTYPE_BROADCAST = 1u << 3,
	PN_ADDRTYPE_ANYCAST = 1u << 4,
	PN_ADDRTYPE_MULTICAST = 1u << 5,
	PN_ADDRTYPE_BLACKHOLE = 1u << 6,
	PN_ADDRTYPE_UNREACHABLE = 1u << 7,
	PN_ADDRTYPE_PROHIBIT = 1u << 8,
	PN_ADDRTYPE_THROW = 1u << 9,
	PN_ADDRTYPE_NAT = 1u << 10,
	PN_ADDRTYPE_XRESOLVE = 1u << 11,
};

struct pn_port_range {
	uint16_t lo, hi; /* inclusive */
};

/* n == 0: any port (no port match). Ranges are as written (not merged). */
struct pn_port_match {
	struct pn_port_range *ranges;
	uint32_t n;
	bool negate;
};

struct pn_prefix {
	uint8_t addr[16]; /* IPv4-mapped for IPv4 */
	uint8_t len;	  /* 0..128, in the 128-bit space */
	uint8_t family;	  /* PN_FAMILY_IPV4 or PN_FAMILY_IPV6 */
};

/* n == 0: any address. Several prefixes (an nft set, a comma list): any of
 * them. */
struct pn_addr_match {
	struct pn_prefix *prefixes;
	uint32_t n;
	bool negate;
};

/* An interface name match; name[0] == '\0': any interface. A trailing '+'
 * (iptables) or '*' (nft) is kept as `wildcard` and removed from name. */
struct pn_iface_match {
	char name[17];
	bool wildcard;
	bool negate;
};

/* A named set of addresses and/or ports (an ipset; nft named sets are
 * expanded into the rule by the nft parser). Its members are known only
 * when `ipset save` output was read (pn_rules_load_ipsets). */
enum pn_ipset_dim {
	PN_DIM_ADDR, /* ip or net */
	PN_DIM_PORT, /* [proto:]port */
	PN_DIM_IFACE,
	PN_DIM_MARK,
};

struct pn_ipset_member {
	struct pn_prefix addr[2]; /* one per address dimension, in order */
	uint16_t port_lo, port_hi;
	int proto; /* of the port; PN_PROTO_ANY for bitmap:port */
	bool nomatch;
};

struct pn_ipset {
	char *name;
	char *type;   /* "hash:net", or NULL while unknown */
	bool known;   /* members read from an ipset save file */
	bool modeled; /* a type portnote evaluates */
	uint8_t n_dims;
	uint8_t dims[3]; /* enum pn_ipset_dim */
	uint8_t family;	 /* PN_FAMILY_*; 0: unknown */
	struct pn_ipset_member *members;
	uint32_t n_members;
	uint32_t *children; /* list:set: indices of member sets */
	uint32_t n_children;
};

/* -m set --match-set NAME src,dst: dir[i] tells for the set's i-th
 * dimension whether the packet's source (true) or destination is looked
 * up. */
struct pn_set_match {
	uint32_t set; /* index into ruleset->sets */
	uint8_t n_dirs;
	bool src[3];
	bool negate;
};

struct pn_rule {
	uint32_t chain;	 /* index into ruleset->chains */
	uint32_t number; /* 1-based position in its chain */
	uint32_t line;	 /* source line; for nft JSON the line of the rule's
			    object when known, else 0 */
	uint64_t handle; /* nft rule handle, 0 when none */
	uint8_t family;	 /* PN_FAMILY_*: which packets it can match */
	int proto;	 /* IP protocol number, or PN_PROTO_ANY */
	bool proto_negate;
	struct pn_port_match sport, dport;
	struct pn_addr_match saddr, daddr;
	struct pn_iface_match iif, oif;
	uint8_t ctstate; /* PN_CT_* mask; 0: any */
	bool ctstate_negate;
	/* Several protocols (nft "meta l4proto { tcp, udp }"): a bit per IP
	 * protocol, proto is then PN_PROTO_ANY; proto_negate applies. */
	bool has_proto_set;
	uint64_t proto_set[4];
	/* Source or destination port (iptables -m multiport --ports). */
	struct pn_port_match either_port;
	/* TCP flags: (flags & tcp_mask) == tcp_cmp, negated when told;
	 * tcp_mask == 0: no flag match. */
	uint8_t tcp_mask, tcp_cmp;
	bool tcp_negate;
	/* ICMP or ICMPv6 type (bit per type) and code (-1: any). */
	bool has_icmp;
	bool icmp_negate;
	int16_t icmp_code;
	uint64_t icmp_types[4];
	/* Address types (PN_ADDRTYPE_* masks; 0: no match). */
	uint16_t src_type, dst_type;
	bool src_type_negate, dst_type_negate;
	struct pn_set_match *sets;
	uint32_t n_sets;
	/* DNAT: the new destination; port 0: unchanged. */
	struct {
		bool has_addr;
		struct pn_prefix addr;
		uint16_t port_lo, port_hi;
	} dnat;
	enum pn_verdict verdict;
	uint32_t target; /* chain index for JUMP and GOTO */
	char *comment;	 /* -m comment / nft comment / plain "# ..."; or NULL */
	char *text;	 /* the rule as written, one line, for reports */
	char **unmodeled; /* what portnote does not evaluate, each as written:
			     "-m recent", "meta mark 0x1", "log" is NOT here
			     (a non-terminal statement with no effect on the
			     verdict is simply ignored) */
	uint32_t n_unmodeled;
};

struct pn_chain {
	char *table; /* "filter", "inet filter", "plain" */
	char *name;  /* "INPUT", "input", "ssh_rules" */
	uint8_t family;
	enum pn_hook hook;	/* PN_HOOK_NONE for user chains */
	int priority;		/* nft base chain priority; iptables filter 0 */
	enum pn_verdict policy; /* ACCEPT or DROP for base chains; NONE for
				   user chains */
	uint32_t first, n_rules; /* its rules: ruleset->rules[first..] */
	uint32_t line;		 /* where it was declared, 0 if unknown */
};

struct pn_ruleset {
	char *source; /* file name as given */
	enum pn_rules_format format;
	struct pn_chain *chains;
	uint32_t n_chains;
	struct pn_rule *rules; /* grouped by chain, in chain order */
	uint32_t n_rules;
	struct pn_ipset *sets; /* sets named by rules (iptables -m set) */
	uint32_t n_sets;
	const char *ipsets_source; /* the ipset save file read, or NULL */
};

#define PN_RULES_ERRBUF_SIZE 512

/* Reads a ruleset. PN_RULES_AUTO detects the format: a first non-blank
 * character '{' is nft JSON; a line starting with '*', ':' or "-A " is
 * iptables-save; anything else is the plain list. Returns 0, or -1 with
 * "file:line: message" in errbuf (a syntax error, an unknown chain in a
 * jump, an unreadable file). */
int pn_rules_load(const char *path, enum pn_rules_format format,
		  const struct pn_registry *reg, struct pn_ruleset **out,
		  char errbuf[PN_RULES_ERRBUF_SIZE]);

/* The same from memory; `label` names the source in messages. `reg`, when
 * not NULL, lets the plain list name ports by service ("allow tcp ssh"). */
int pn_rules_parse(const char *text, size_t len, const char *label,
		   enum pn_rules_format format, const struct pn_registry *reg,
		   struct pn_ruleset **out, char errbuf[PN_RULES_ERRBUF_SIZE]);

void pn_ruleset_free(struct pn_ruleset *rs);

/* Does the ruleset declare a chain on a netfilter hook (a base chain that
 * decides what passes)? An empty file, one with comments only, or an
 * iptables-save without a filter table has none. */
bool pn_rules_has_base_chain(const struct pn_ruleset *rs);

/* A whole text file ('-': standard input) into a NUL-terminated buffer
 * (the file may hold NUL bytes itself: check len). Returns 0, or -1 with "file:
 * message" in errbuf. */
int pn_rules_read_text(const char *path, char **text, size_t *len,
		       char errbuf[PN_RULES_ERRBUF_SIZE]);

/* "auto", "iptables", "nft", "plain" -> format; -1 otherwise. */
int pn_rules_format_parse(const char *s);
const char *pn_rules_format_name(enum pn_rules_format f);
const char *pn_verdict_name(enum pn_verdict v);
const char *pn_hook_name(enum pn_hook h);
/* "input", "INPUT", ... -> hook; -1 otherwise. */
int pn_hook_parse(const char *s);

/* Chain index by name ("INPUT" or "filter/INPUT", "input" or "inet
 * filter/input"); -1 if none or ambiguous. */
long pn_rules_find_chain(const struct pn_ruleset *rs, const char *name);

/* The first packet of a flow, as a rule sees it. */
struct pn_rule_packet {
	uint8_t family; /* PN_FAMILY_IPV4 or PN_FAMILY_IPV6 */
	uint8_t proto;	/* IP protocol number */
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport;
	bool has_ports;	    /* proto is tcp, udp, udplite, sctp or dccp */
	bool has_tcp_flags; /* tcp_flags known (the flow began with a SYN) */
	uint8_t tcp_flags;
	bool has_icmp; /* icmp_type and icmp_code known */
	uint8_t icmp_type, icmp_code;
	const char *iif; /* NULL: unknown (see pn_rules_evaluate) */
	const char *oif;
	uint8_t ctstate; /* one PN_CT_* bit */
	/* Where the packet is, for address types (-m addrtype): a packet at
	 * the input hook was addressed to this host. PN_HOOK_NONE: the hook
	 * evaluated, or unknown when one chain is. */
	enum pn_hook at;
};

struct pn_rule_result {
	enum pn_verdict verdict; /* ACCEPT, DROP or REJECT */
	int32_t rule;		 /* deciding rule, -1 when a policy decided */
	int32_t chain;		 /* base chain whose policy decided, or -1 */
	bool undetermined;   /* stopped at `rule`, which has unmodeled matches
				that could decide either way */
	int32_t assumed_set; /* the verdict assumes the packet is in no
				member of this set (its members unknown);
				-1 when nothing was assumed */
};

/* Evaluates `pkt` through the base chains of `hook` (in priority order; a
 * packet must be accepted by every one; a family filter applies), or
 * through the single chain `chain` when chain >= 0 (then hook is ignored,
 * and falling off a user chain's end counts as its policy, ACCEPT in
 * iptables' sense of "not dropped here"). First match wins; JUMP/GOTO and
 * RETURN are followed (depth limited; a loop is an undetermined result).
 * An interface match against an unknown interface (NULL) does not match
 * unless negated. Returns false if no base chain exists for the hook. */
bool pn_rules_evaluate(const struct pn_ruleset *rs, enum pn_hook hook,
		       long chain, const struct pn_rule_packet *pkt,
		       struct pn_rule_result *res);

/* Does `r` alone match `pkt`? Unmodeled matches are ignored; what cannot
 * be told from the packet (an address type, flags not captured) and set
 * matches whose members are unknown count as no match. */
bool pn_rule_matches(const struct pn_ruleset *rs, const struct pn_rule *r,
		     const struct pn_rule_packet *pkt);

/* The ports a match admits as sorted, disjoint, non-adjacent ranges
 * (negation applied; no ranges: every port). Returns how many, or -1 on
 * allocation failure; *out is malloc'd. */
int pn_port_runs(const struct pn_port_match *m, struct pn_port_range **out);

/* A rule that matches only what an earlier one of its chain matches is
 * shadowed; false when portnote cannot show it for every packet. */
bool pn_rule_covers(const struct pn_rule *a, const struct pn_rule *b);

/* Does the rule restrict packets by something other than protocol, ports
 * and connection state: addresses, interfaces, sets, address types,
 * unmodeled matches? */
bool pn_rule_restricted(const struct pn_rule *r);

/* Can the rule match a packet of IP protocol `proto` (a bit per
 * protocol of the rule's protocol match)? */
bool pn_rule_has_proto(const struct pn_rule *r, int proto);

/* Reads `ipset save` output and gives the sets the rules name their
 * members. Returns 0, or -1 with "file:line: message" in errbuf. Sets the
 * file defines that no rule names are ignored; a set a rule names that
 * the file lacks stays unknown. */
int pn_rules_load_ipsets(struct pn_ruleset *rs, const char *path,
			 char errbuf[PN_RULES_ERRBUF_SIZE]);
int pn_rules_parse_ipsets(struct pn_ruleset *rs, const char *text, size_t len,
			  const char *label, char errbuf[PN_RULES_ERRBUF_SIZE]);

/* The set of that name, added (unknown) when new; -1 on allocation
 * failure. */
long pn_rules_set_index(struct pn_ruleset *rs, const char *name);
bool pn_rule_add_set(struct pn_rule *r, const struct pn_set_match *m);

/* The kernel's names for address types ("LOCAL", "MULTICAST") and ICMP
 * types ("echo-request") -> value; -1 when unknown. */
int pn_addrtype_parse(const char *s, size_t n);
int pn_icmp_type_parse(const char *s, bool v6, int *code);

/* Builder, for the parsers (rules_iptables.c, rules_nft.c, rules_plain.c).
 * Strings are copied. Rules may be added to chains in any order (iptables
 * "-A" lines of several chains interleave); every parser ends with
 * pn_rules_sort(), which groups the rules by chain, keeping their order
 * within each, and sets first, n_rules and number. */
struct pn_ruleset *pn_rules_new(const char *source,
				enum pn_rules_format format);
/* Returns the chain index, or -1 on allocation failure. */
long pn_rules_add_chain(struct pn_ruleset *rs, const char *table,
			const char *name, uint8_t family, enum pn_hook hook,
			int priority, enum pn_verdict policy, uint32_t line);
/* A zeroed rule (proto PN_PROTO_ANY, family PN_FAMILY_BOTH) appended to
 * the ruleset for `chain`; NULL on allocation failure. The pointer is valid
 * until the next pn_rules_add_rule. */
struct pn_rule *pn_rules_add_rule(struct pn_ruleset *rs, uint32_t chain,
				  uint32_t line);
bool pn_rule_add_port(struct pn_port_match *m, uint16_t lo, uint16_t hi);
bool pn_rule_add_prefix(struct pn_addr_match *m, const struct pn_prefix *p);
bool pn_rule_set_text(char **dst, const char *s);
bool pn_rule_add_unmodeled(struct pn_rule *r, const char *what);
/* Groups rules by chain (stable) and numbers them. */
void pn_rules_sort(struct pn_ruleset *rs);

/* Writes "label:line: message" into errbuf (PN_RULES_ERRBUF_SIZE bytes)
 * for the parsers' errors; returns -1. */
int pn_rules_verror(char *errbuf, const char *label, unsigned line,
		    const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* A decimal port of n bytes at s, digits only (as iptables-save writes
 * them), 0-65535; false otherwise. */
bool pn_port_parse(const char *s, size_t n, uint16_t *port);

/* Parses "10.0.0.0/8", "192.0.2.1", "2001:db8::/32", "::1" into p;
 * false if it is not an address or prefix. */
bool pn_prefix_parse(const char *s, struct pn_prefix *p);

/* Per-format parsers behind pn_rules_parse. Each returns 0 with *out set,
 * or -1 with "label:line: message" in errbuf. */
int pn_rules_parse_iptables(const char *text, size_t len, const char *label,
			    struct pn_ruleset **out, char *errbuf);
int pn_rules_parse_nft(const char *text, size_t len, const char *label,
		       struct pn_ruleset **out, char *errbuf);
int pn_rules_parse_plain(const char *text, size_t len, const char *label,
			 const struct pn_registry *reg, struct pn_ruleset **out,
			 char *errbuf);

#endif
