/* decode.c — link type -> first decoder; ethertype and IP-protocol switches.
 *
 * Specification: pcap link types per www.tcpdump.org/linktypes.html; IEEE
 * ethertypes and IANA protocol numbers as cited at each case.
 */
#include "decode_int.h"

#include <stddef.h>
#include <stdio.h>

struct pn_reason_tok {
	enum pn_decode_reason value;
	const char *name;    /* stable, reported to users */
	const char *counter; /* layer.thing, for statistics */
};

static const struct pn_reason_tok reason_toks[] = {
    {PN_R_NONE, "none", "decode.ok"},
    {PN_R_BAD_CAPLEN, "bad-caplen", "pcap.bad_caplen"},
    {PN_R_UNSUPPORTED_LINK, "unsupported-link", "link.unsupported"},
    {PN_R_TRUNCATED_ETH, "truncated-eth", "eth.truncated"},
    {PN_R_SHORT_ETH, "short-eth", "eth.short"},
    {PN_R_TRUNCATED_VLAN, "truncated-vlan", "vlan.truncated"},
    {PN_R_SHORT_VLAN, "short-vlan", "vlan.short"},
    {PN_R_VLAN_DEPTH, "vlan-depth", "vlan.depth"},
    {PN_R_TRUNCATED_SLL, "truncated-sll", "sll.truncated"},
    {PN_R_SHORT_SLL, "short-sll", "sll.short"},
    {PN_R_TRUNCATED_SLL2, "truncated-sll2", "sll2.truncated"},
    {PN_R_SHORT_SLL2, "short-sll2", "sll2.short"},
    {PN_R_TRUNCATED_NULL, "truncated-null", "null.truncated"},
    {PN_R_SHORT_NULL, "short-null", "null.short"},
    {PN_R_UNSUPPORTED_FAMILY, "unsupported-family", "null.unsupported_family"},
    {PN_R_UNSUPPORTED_ETHERTYPE, "unsupported-ethertype",
     "link.unsupported_ethertype"},
    {PN_R_BAD_IP_VERSION, "bad-ip-version", "ip.bad_version"},
    {PN_R_TRUNCATED_IPV4, "truncated-ipv4", "ipv4.truncated"},
    {PN_R_SHORT_IPV4, "short-ipv4", "ipv4.short"},
    {PN_R_BAD_IHL, "bad-ihl", "ipv4.bad_ihl"},
    {PN_R_BAD_IPV4_LENGTH, "bad-ipv4-length", "ipv4.bad_length"},
    {PN_R_IPV4_FRAGMENT, "ipv4-fragment", "ipv4.fragment"},
    {PN_R_TRUNCATED_IPV6, "truncated-ipv6", "ipv6.truncated"},
    {PN_R_SHORT_IPV6, "short-ipv6", "ipv6.short"},
    {PN_R_BAD_IPV6_LENGTH, "bad-ipv6-length", "ipv6.bad_length"},
    {PN_R_TRUNCATED_IPV6_EXT, "truncated-ipv6-ext", "ipv6.ext_truncated"},
    {PN_R_BAD_IPV6_EXT, "bad-ipv6-ext", "ipv6.bad_ext"},
    {PN_R_IPV6_EXT_LIMIT, "ipv6-ext-limit", "ipv6.ext_limit"},
    {PN_R_IPV6_FRAGMENT, "ipv6-fragment", "ipv6.fragment"},
    {PN_R_TINY_FRAGMENT, "tiny-fragment", "ip.tiny_fragment"},
    {PN_R_TUNNEL_DEPTH, "tunnel-depth", "ip.tunnel_depth"},
    {PN_R_TRUNCATED_GRE, "truncated-gre", "gre.truncated"},
    {PN_R_SHORT_GRE, "short-gre", "gre.short"},
    {PN_R_BAD_GRE, "bad-gre", "gre.bad_flags"},
    {PN_R_UNSUPPORTED_GRE, "unsupported-gre", "gre.unsupported"},
    {PN_R_TRUNCATED_TCP, "truncated-tcp", "tcp.truncated"},
    {PN_R_SHORT_TCP, "short-tcp", "tcp.short"},
    {PN_R_BAD_TCP_OFFSET, "bad-tcp-offset", "tcp.bad_offset"},
    {PN_R_TRUNCATED_UDP, "truncated-udp", "udp.truncated"},
    {PN_R_SHORT_UDP, "short-udp", "udp.short"},
    {PN_R_BAD_UDP_LENGTH, "bad-udp-length", "udp.bad_length"},
    {PN_R_BAD_UDPLITE_COVERAGE, "bad-udplite-coverage", "udplite.bad_coverage"},
    {PN_R_TRUNCATED_SCTP, "truncated-sctp", "sctp.truncated"},
    {PN_R_SHORT_SCTP, "short-sctp", "sctp.short"},
    {PN_R_BAD_SCTP_CHUNK, "bad-sctp-chunk", "sctp.bad_chunk_length"},
    {PN_R_TRUNCATED_DCCP, "truncated-dccp", "dccp.truncated"},
    {PN_R_SHORT_DCCP, "short-dccp", "dccp.short"},
    {PN_R_BAD_DCCP_OFFSET, "bad-dccp-offset", "dccp.bad_offset"},
    {PN_R_BAD_DCCP_TYPE, "bad-dccp-type", "dccp.bad_type"},
    {PN_R_TRUNCATED_PPPOE, "truncated-pppoe", "pppoe.truncated"},
    {PN_R_SHORT_PPPOE, "short-pppoe", "pppoe.short"},
    {PN_R_BAD_PPPOE, "bad-pppoe", "pppoe.bad_header"},
    {PN_R_BAD_PPPOE_LENGTH, "bad-pppoe-length", "pppoe.bad_length"},
    {PN_R_UNSUPPORTED_PPP, "unsupported-ppp", "ppp.unsupported"},
    {PN_R_TRUNCATED_MPLS, "truncated-mpls", "mpls.truncated"},
    {PN_R_SHORT_MPLS, "short-mpls", "mpls.short"},
    {PN_R_MPLS_DEPTH, "mpls-depth", "mpls.depth"},
    {PN_R_UNSUPPORTED_MPLS, "unsupported-mpls", "mpls.unsupported_payload"},
    {PN_R_TRUNCATED_LLC, "truncated-llc", "llc.truncated"},
    {PN_R_SHORT_LLC, "short-llc", "llc.short"},
    {PN_R_BAD_LLC_LENGTH, "bad-llc-length", "llc.bad_length"},
    {PN_R_COUNT, NULL, NULL},
};

struct pn_tok {
	int value;
	const char *name;
};

static const struct pn_tok warning_toks[] = {
    {PN_W_CAPLEN_EXCEEDS_LEN, "caplen-exceeds-len"},
    {PN_W_IPV4_LENGTH_EXCEEDS_FRAME, "ipv4-length-exceeds-frame"},
    {PN_W_IPV6_LENGTH_EXCEEDS_FRAME, "ipv6-length-exceeds-frame"},
    {PN_W_TCP_HEADER_CUT, "tcp-header-cut"},
    {PN_W_UDP_HEADER_CUT, "udp-header-cut"},
    {PN_W_SCTP_HEADER_CUT, "sctp-header-cut"},
    {PN_W_SCTP_CHUNK_CUT, "sctp-chunk-cut"},
    {PN_W_DCCP_HEADER_CUT, "dccp-header-cut"},
    {PN_W_DCCP_SERVICE_CUT, "dccp-service-cut"},
    {-1, NULL},
};

/* pcap's own names (pcap_datalink_val_to_name), so messages match tcpdump. */
static const struct pn_tok linktype_toks[] = {
    {PN_LINKTYPE_NULL, "NULL"},
    {PN_LINKTYPE_ETHERNET, "EN10MB"},
    {PN_LINKTYPE_DLT_RAW, "RAW"},
    {PN_LINKTYPE_DLT_RAW_BSD, "RAW"},
    {PN_LINKTYPE_RAW, "RAW"},
    {PN_LINKTYPE_LOOP, "LOOP"},
    {PN_LINKTYPE_LINUX_SLL, "LINUX_SLL"},
    {PN_LINKTYPE_IPV4, "IPV4"},
    {PN_LINKTYPE_IPV6, "IPV6"},
    {PN_LINKTYPE_LINUX_SLL2, "LINUX_SLL2"},
    {-1, NULL},
};

static const struct pn_tok status_toks[] = {
    {PN_OK, "ok"},
    {PN_TRUNCATED, "truncated"},
    {PN_MALFORMED, "malformed"},
    {PN_UNSUPPORTED, "unsupported"},
    {PN_FRAGMENT, "fragment"},
    {-1, NULL},
};

static const struct pn_tok l4_toks[] = {
    {PN_L4_TCP, "tcp"},	  {PN_L4_UDP, "udp"},	{PN_L4_SCTP, "sctp"},
    {PN_L4_DCCP, "dccp"}, {PN_L4_NONE, "none"}, {-1, NULL},
};

static const struct pn_tok tunnel_toks[] = {
    {PN_TUNNEL_NONE, "none"},	    {PN_TUNNEL_IPIP, "ipip"},
    {PN_TUNNEL_IP6, "ip6"},	    {PN_TUNNEL_GRE, "gre"},
    {PN_TUNNEL_GRE_TEB, "gre-teb"}, {-1, NULL},
};

static const struct pn_tok nonip_toks[] = {
    {PN_NONIP_NONE, "none"},
    {PN_NONIP_ARP, "arp"},
    {PN_NONIP_RARP, "rarp"},
    {PN_NONIP_LLDP, "lldp"},
    {PN_NONIP_EAPOL, "eapol"},
    {PN_NONIP_PPPOE_DISCOVERY, "pppoe-discovery"},
    {PN_NONIP_PPP_LCP, "ppp-lcp"},
    {PN_NONIP_PPP_NCP, "ppp-ncp"},
    {PN_NONIP_PPP_CONTROL, "ppp-control"},
    {PN_NONIP_SLOW, "slow-protocols"},
    {PN_NONIP_PTP, "ptp"},
    {PN_NONIP_MACSEC, "macsec"},
    {PN_NONIP_IPX, "ipx"},
    {PN_NONIP_APPLETALK, "appletalk"},
    {PN_NONIP_AARP, "aarp"},
    {PN_NONIP_FLOW_CONTROL, "flow-control"},
    {PN_NONIP_LOOPBACK, "loopback"},
    {PN_NONIP_STP, "stp"},
    {PN_NONIP_CDP, "cdp"},
    {PN_NONIP_SNAP, "snap"},
    {PN_NONIP_LLC, "llc"},
    {-1, NULL},
};

static const char *tok_name(const struct pn_tok *toks, int value)
{
	for (; toks->name; toks++)
		if (toks->value == value)
			return toks->name;
	return "unknown";
}

static const struct pn_reason_tok *reason_tok(enum pn_decode_reason reason)
{
	for (const struct pn_reason_tok *t = reason_toks; t->name; t++)
		if (t->value == reason)
			return t;
	return NULL;
}

const char *pn_decode_reason_name(enum pn_decode_reason reason)
{
	const struct pn_reason_tok *t = reason_tok(reason);
	return t ? t->name : "unknown";
}

const char *pn_decode_reason_counter(enum pn_decode_reason reason)
{
	const struct pn_reason_tok *t = reason_tok(reason);
	return t ? t->counter : "unknown";
}

const char *pn_decode_warning_name(enum pn_decode_warning warning)
{
	return tok_name(warning_toks, (int)warning);
}

size_t pn_decode_warnings_text(uint16_t warnings, const char *sep, char *buf,
			       size_t size)
{
	size_t n = 0;
	if (size == 0)
		return 0;
	buf[0] = '\0';
	for (int w = 0; w < PN_W_COUNT; w++) {
		if (!(warnings & (1u << w)))
			continue;
		int k = snprintf(buf + n, size - n, "%s%s", n ? sep : "",
				 pn_decode_warning_name(w));
		if (k < 0 || (size_t)k >= size - n)
			return n;
		n += (size_t)k;
	}
	return n;
}

const char *pn_decode_status_name(enum pn_decode_status status)
{
	return tok_name(status_toks, (int)status);
}

const char *pn_l4_name(enum pn_l4 l4)
{
	return tok_name(l4_toks, (int)l4);
}

const char *pn_tunnel_name(enum pn_tunnel tunnel)
{
	return tok_name(tunnel_toks, (int)tunnel);
}

const char *pn_decode_nonip_name(enum pn_nonip kind)
{
	return tok_name(nonip_toks, (int)kind);
}

const char *pn_decode_linktype_name(int linktype)
{
	return tok_name(linktype_toks, linktype);
}

bool pn_decode_linktype_supported(int linktype)
{
	for (const struct pn_tok *t = linktype_toks; t->name; t++)
		if (t->value == linktype)
			return true;
	return false;
}

enum pn_decode_status pn_decode_fail(struct pn_decoder *d,
				     enum pn_decode_status status,
				     enum pn_decode_reason reason)
{
	d->pkt->status = status;
	d->pkt->reason = reason;
	return status;
}

enum pn_decode_status pn_decode_need(struct pn_decoder *d, size_t n,
				     enum pn_decode_reason truncated,
				     enum pn_decode_reason too_short)
{
	if (pn_rd_has(&d->rd, n))
		return PN_OK;
	/* The bytes were sent but not captured: the snaplen cut them. */
	if (n <= d->wire_end - d->rd.off)
		return pn_decode_fail(d, PN_TRUNCATED, truncated);
	/* A header split across fragments hides its fields from per-fragment
	 * filters (RFC 1858 section 3.1). */
	if (d->partial)
		return pn_decode_fail(d, PN_MALFORMED, PN_R_TINY_FRAGMENT);
	return pn_decode_fail(d, PN_MALFORMED, too_short);
}

enum pn_decode_status pn_decode_need_ports(struct pn_decoder *d, size_t n,
					   enum pn_decode_reason truncated,
					   enum pn_decode_reason too_short,
					   enum pn_decode_warning cut,
					   bool *header_cut)
{
	*header_cut = false;
	if (pn_rd_has(&d->rd, n))
		return PN_OK;
	/* The wire carried the whole header (in a first fragment too: the
	 * fragment holds it), so the snaplen cut it. */
	bool snaplen_cut = n <= d->wire_end - d->rd.off;
	if (pn_rd_has(&d->rd, 4) &&
	    (snaplen_cut || (d->frame_short && !d->partial))) {
		pn_decode_warn(d, cut);
		*header_cut = true;
		return PN_OK;
	}
	return pn_decode_need(d, n, truncated, too_short);
}

bool pn_decode_fits(const struct pn_decoder *d, size_t start, size_t n)
{
	return d->partial || n <= d->wire_end - start;
}

void pn_decode_bound(struct pn_decoder *d, size_t start, size_t n)
{
	size_t end;

	/* In a first fragment the declared length may pass the fragment's
	 * end; the fragment's end stays the bound then. */
	if (n > d->wire_end - start)
		return;
	end = start + n;
	/* Callers bound only past what they consumed; keep off <= len even
	 * if one did not. */
	if (end < d->rd.off)
		end = d->rd.off;
	d->wire_end = end;
	d->bounded = true;
	if (d->rd.len > end)
		d->rd.len = end;
}

void pn_decode_set_payload(struct pn_decoder *d, size_t end)
{
	size_t start = end < d->rd.len ? end : d->rd.len;

	d->pkt->payload_off = (uint32_t)start;
	d->pkt->payload_len = (uint32_t)(d->rd.len - start);
}

enum pn_decode_status pn_decode_ethertype(struct pn_decoder *d,
					  uint16_t ethertype)
{
	d->pkt->ethertype = ethertype;
	switch (ethertype) {
	case 0x0800: /* IPv4, RFC 894 */
		return pn_decode_ipv4(d);
	case 0x86dd: /* IPv6, RFC 2464 */
		return pn_decode_ipv6(d);
	case 0x8864: /* PPPoE session stage, RFC 2516 section 4 */
		return pn_decode_pppoe(d);
	case 0x8847: /* MPLS unicast, RFC 3032 section 5 */
	case 0x8848: /* MPLS multicast, RFC 5332 */
		return pn_decode_mpls(d);
	default:
		/* Known non-IP protocols, or unsupported-ethertype. */
		return pn_decode_other_ethertype(d, ethertype);
	}
}

/* Follows an IP-in-IP or GRE encapsulation unless one was followed already:
 * the result describes a single inner header, and a bounded depth keeps
 * crafted nestings from recursing. */
static enum pn_decode_status follow_tunnel(struct pn_decoder *d,
					   enum pn_tunnel kind)
{
	/* A second level of tunnelling is not followed. */
	if (d->pkt->tunnel != PN_TUNNEL_NONE) {
		pn_decode_set_payload(d, d->rd.off);
		return pn_decode_fail(d, PN_UNSUPPORTED, PN_R_TUNNEL_DEPTH);
	}
	d->pkt->tunnel = kind;
	switch (kind) {
	case PN_TUNNEL_IPIP:
		return pn_decode_ipv4(d);
	case PN_TUNNEL_IP6:
		return pn_decode_ipv6(d);
	default:
		return pn_decode_gre(d);
	}
}

enum pn_decode_status pn_decode_ip_proto(struct pn_decoder *d, uint8_t proto)
{
	d->pkt->ip_proto = proto;
	d->pkt->l4_off = (uint32_t)d->rd.off;
	/* Protocol numbers: IANA "Assigned Internet Protocol Numbers". */
	switch (proto) {
	case 6:
		return pn_decode_tcp(d);
	case 17:
		return pn_decode_udp(d, false);
	case 136:
		return pn_decode_udp(d, true);
	case 132:
		return pn_decode_sctp(d);
	case 33:
		return pn_decode_dccp(d);
	case 4:
		return follow_tunnel(d, PN_TUNNEL_IPIP);
	case 41:
		return follow_tunnel(d, PN_TUNNEL_IP6);
	case 47:
		return follow_tunnel(d, PN_TUNNEL_GRE);
	default:
		/* ICMP, ESP, no-next-header and the rest: counted by number. */
		pn_decode_set_payload(d, d->rd.off);
		return PN_OK;
	}
}

enum pn_decode_status pn_decode_packet(int linktype, const uint8_t *pkt,
				       uint32_t caplen, uint32_t wirelen,
				       struct pn_packet *out)
{
	struct pn_decoder d;

	*out = (struct pn_packet){
	    .linktype = linktype,
	    .caplen = caplen,
	    .wirelen = wirelen,
	    .tunnel = PN_TUNNEL_NONE,
	    .l4 = PN_L4_NONE, /* PN_L4_TCP is 0: zeroing alone would lie */
	    .status = PN_OK,
	    .reason = PN_R_NONE,
	};
	pn_rd_init(&d.rd, pkt, caplen);
	d.wire_end = d.rd.len;
	d.partial = false;
	d.frame_short = false;
	d.bounded = false;
	d.pkt = out;

	/* A record claiming more captured than sent bytes has a broken pcap
	 * header (tcpdump: print.c pretty_print_packet); the captured bytes
	 * are there all the same, so they bound the frame. */
	if (caplen > wirelen)
		pn_decode_warn(&d, PN_W_CAPLEN_EXCEEDS_LEN);
	else
		d.wire_end = wirelen;

	switch (linktype) {
	case PN_LINKTYPE_ETHERNET:
		return pn_decode_ether(&d);
	case PN_LINKTYPE_LINUX_SLL:
		return pn_decode_sll(&d);
	case PN_LINKTYPE_LINUX_SLL2:
		return pn_decode_sll2(&d);
	case PN_LINKTYPE_NULL:
		return pn_decode_null(&d, true);
	case PN_LINKTYPE_LOOP:
		return pn_decode_null(&d, false);
	case PN_LINKTYPE_DLT_RAW:
	case PN_LINKTYPE_DLT_RAW_BSD:
	case PN_LINKTYPE_RAW:
		return pn_decode_raw(&d, 0);
	case PN_LINKTYPE_IPV4:
		return pn_decode_raw(&d, 4);
	case PN_LINKTYPE_IPV6:
		return pn_decode_raw(&d, 6);
	default:
		return pn_decode_fail(&d, PN_UNSUPPORTED,
				      PN_R_UNSUPPORTED_LINK);
	}
}

/* Counts an unsupported ethertype by value in a fixed table: a linear
 * walk of PN_ETHERTYPE_KEEP slots, only for such packets. */
static void count_ethertype(struct pn_decode_counters *c, uint16_t type)
{
	for (int i = 0; i < PN_ETHERTYPE_KEEP; i++) {
		if (c->ethertype_count[i] && c->ethertype_value[i] != type)
			continue;
		c->ethertype_value[i] = type;
		c->ethertype_count[i]++;
		return;
	}
	c->ethertype_other++;
}

void pn_decode_count(struct pn_decode_counters *c, const struct pn_packet *p)
{
	c->packets++;
	if ((unsigned)p->status < PN_STATUS_COUNT)
		c->status[p->status]++;
	if ((unsigned)p->reason < PN_R_COUNT)
		c->reason[p->reason]++;
	if ((unsigned)p->l4 <= PN_L4_NONE)
		c->l4[p->l4]++;
	if (p->ip_version)
		c->ip_proto[p->ip_proto]++;
	if (p->status == PN_OK && p->l4 == PN_L4_NONE && p->ip_version &&
	    p->nonip == PN_NONIP_NONE)
		c->portless[p->ip_proto]++;
	if ((unsigned)p->tunnel <= PN_TUNNEL_GRE_TEB)
		c->tunnel[p->tunnel]++;
	if (p->warnings) {
		c->warned++;
		for (int w = 0; w < PN_W_COUNT; w++)
			if (p->warnings & (1u << w))
				c->warning[w]++;
	}
	if ((unsigned)p->nonip < PN_NONIP_COUNT && p->nonip != PN_NONIP_NONE)
		c->nonip[p->nonip]++;
	if (p->reason == PN_R_UNSUPPORTED_ETHERTYPE)
		count_ethertype(c, p->ethertype);
}
