/* decode_ip.c — IPv4, IPv6 with its extension-header chain, and GRE.
 *
 * Specification: RFC 791 (IPv4), RFC 8200 (IPv6), RFC 4302 (AH),
 * RFC 2784 and RFC 2890 (GRE), RFC 2675 (jumbograms).
 */
#include "decode_int.h"

#include <string.h>

#define PN_IPV4_HDR_LEN 20
#define PN_IPV6_HDR_LEN 40
#define PN_IPV6_EXT_MIN_LEN 8 /* every extension header is 8n octets */
#define PN_IPV6_FRAG_LEN 8
#define PN_GRE_HDR_LEN 4   /* flags/version and protocol type */
#define PN_GRE_FIELD_LEN 4 /* each of checksum, key, sequence number */

/* IPv6 next-header values that are extension headers we walk. */
#define PN_IPV6_HOPOPTS 0
#define PN_IPV6_ROUTING 43
#define PN_IPV6_FRAGMENT 44
#define PN_IPV6_AH 51
#define PN_IPV6_DSTOPTS 60

/* GRE flags and version word, RFC 2784 section 2 and RFC 2890 section 2. */
#define PN_GRE_C 0x8000u /* checksum present */
#define PN_GRE_K 0x2000u /* key present */
#define PN_GRE_S 0x1000u /* sequence number present */
/* RFC 1701's routing, strict-route and recursion bits (1, 4, 5). */
#define PN_GRE_RFC1701_BITS 0x4c00u
#define PN_GRE_VERSION 0x0007u

static void store_v4_mapped(uint8_t addr[16], const uint8_t v4[4])
{
	memset(addr, 0, 10);
	addr[10] = 0xff;
	addr[11] = 0xff;
	memcpy(addr + PN_ADDR_V4_OFF, v4, 4);
}

enum pn_decode_status pn_decode_ipv4(struct pn_decoder *d)
{
	struct pn_packet *pkt = d->pkt;
	size_t start = d->rd.off;
	enum pn_decode_status st;
	uint8_t version_ihl = 0, proto = 0, src[4] = {0}, dst[4] = {0};
	uint16_t total_len = 0, frag = 0;
	size_t hlen, len;

	/* Whatever labelled this IPv4 (ethertype, link type, protocol 4) was
	 * wrong if the header says otherwise; checked first because it
	 * explains a short header too. */
	if (pn_rd_peek_u8(&d->rd, 0, &version_ihl) && version_ihl >> 4 != 4)
		return pn_decode_fail(d, PN_MALFORMED, PN_R_BAD_IP_VERSION);
	st = pn_decode_need(d, PN_IPV4_HDR_LEN, PN_R_TRUNCATED_IPV4,
			    PN_R_SHORT_IPV4);
	if (st != PN_OK)
		return st;
	pn_rd_u8(&d->rd, &version_ihl);
	pn_rd_skip(&d->rd, 1); /* DSCP, ECN */
	pn_rd_u16be(&d->rd, &total_len);
	pn_rd_skip(&d->rd, 2); /* identification */
	pn_rd_u16be(&d->rd, &frag);
	pn_rd_skip(&d->rd, 1); /* TTL */
	pn_rd_u8(&d->rd, &proto);
	pn_rd_skip(&d->rd, 2); /* checksum */
	pn_rd_bytes(&d->rd, src, 4);
	pn_rd_bytes(&d->rd, dst, 4);

	hlen = (size_t)(version_ihl & 0x0f) * 4;
	/* RFC 791 section 3.1: the header is at least five 32-bit words. */
	if (hlen < PN_IPV4_HDR_LEN)
		return pn_decode_fail(d, PN_MALFORMED, PN_R_BAD_IHL);

	/* A zero total length is what Linux captures of TSO sends carry: the
	 * NIC fills it in later (tcpdump: print-ip.c "presumed_tso"). Use
	 * what the link carried. */
	len = total_len ? total_len : d->wire_end - start;
	/* RFC 791 section 3.1: the total length includes the header. */
	if (len < PN_IPV4_HDR_LEN)
		return pn_decode_fail(d, PN_MALFORMED, PN_R_BAD_IPV4_LENGTH);
	/* Options cannot extend past the datagram they belong to. */
	if (len < hlen)
		return pn_decode_fail(d, PN_MALFORMED, PN_R_BAD_IHL);
	/* A datagram longer than the frame that carried it: the headers
	 * that are there still name the ports (tshark and tcpdump show them,
	 * with a warning), so they count; the frame's end is the bound. */
	if (!pn_decode_fits(d, start, len)) {
		/* Inside a tunnel, PPPoE or LLC whose declared length was
		 * whole, this header contradicts that one instead. */
		if (d->bounded && !d->frame_short)
			return pn_decode_fail(d, PN_MALFORMED,
					      PN_R_BAD_IPV4_LENGTH);
		pn_decode_warn(d, PN_W_IPV4_LENGTH_EXCEEDS_FRAME);
		d->frame_short = true;
	} else {
		/* Ethernet padding and trailers past the datagram are not
		 * payload. */
		pn_decode_bound(d, start, len);
	}

	st = pn_decode_need(d, hlen - PN_IPV4_HDR_LEN, PN_R_TRUNCATED_IPV4,
			    PN_R_BAD_IHL);
	if (st != PN_OK)
		return st;
	pn_rd_skip(&d->rd, hlen - PN_IPV4_HDR_LEN); /* options */

	pkt->ip_version = 4;
	pkt->ip_off = (uint32_t)start;
	pkt->ip_proto = proto;
	store_v4_mapped(pkt->src, src);
	store_v4_mapped(pkt->dst, dst);

	/* RFC 791 section 3.2: only the offset-0 fragment starts with the
	 * transport header; later ones would yield garbage ports. */
	if (frag & 0x1fff) {
		pkt->l4_off = (uint32_t)d->rd.off;
		pn_decode_set_payload(d, d->rd.off);
		return pn_decode_fail(d, PN_FRAGMENT, PN_R_IPV4_FRAGMENT);
	}
	if (frag & 0x2000) { /* more fragments */
		pkt->first_fragment = true;
		d->partial = true;
	}
	return pn_decode_ip_proto(d, proto);
}

enum pn_decode_status pn_decode_ipv6(struct pn_decoder *d)
{
	struct pn_packet *pkt = d->pkt;
	size_t start = d->rd.off;
	enum pn_decode_status st;
	uint16_t payload_len = 0;
	uint8_t version = 0, next = 0, src[16] = {0}, dst[16] = {0};

	/* Whatever labelled this IPv6 was wrong if the header disagrees. */
	if (pn_rd_peek_u8(&d->rd, 0, &version) && version >> 4 != 6)
		return pn_decode_fail(d, PN_MALFORMED, PN_R_BAD_IP_VERSION);
	st = pn_decode_need(d, PN_IPV6_HDR_LEN, PN_R_TRUNCATED_IPV6,
			    PN_R_SHORT_IPV6);
	if (st != PN_OK)
		return st;
	pn_rd_skip(&d->rd, 4); /* version, traffic class, flow label */
	pn_rd_u16be(&d->rd, &payload_len);
	pn_rd_u8(&d->rd, &next);
	pn_rd_skip(&d->rd, 1); /* hop limit */
	pn_rd_bytes(&d->rd, src, 16);
	pn_rd_bytes(&d->rd, dst, 16);

	/* Zero means a jumbogram (RFC 2675 section 2) or a GSO send; either
	 * way the link's length is the only bound. */
	if (payload_len != 0) {
		/* A payload longer than the frame that carried it: decode
		 * what is there, as for IPv4. */
		if (!pn_decode_fits(d, start, PN_IPV6_HDR_LEN + payload_len)) {
			if (d->bounded && !d->frame_short)
				return pn_decode_fail(d, PN_MALFORMED,
						      PN_R_BAD_IPV6_LENGTH);
			pn_decode_warn(d, PN_W_IPV6_LENGTH_EXCEEDS_FRAME);
			d->frame_short = true;
		} else {
			pn_decode_bound(d, start,
					PN_IPV6_HDR_LEN + payload_len);
		}
	}

	pkt->ip_version = 6;
	pkt->ip_off = (uint32_t)start;
	pkt->ip_proto = next;
	memcpy(pkt->src, src, 16);
	memcpy(pkt->dst, dst, 16);

	for (unsigned hdrs = 0;; hdrs++) {
		size_t ext_start = d->rd.off, ext_len;
		uint8_t ext_next = 0, len_field = 0;
		uint16_t frag = 0;

		switch (next) {
		case PN_IPV6_HOPOPTS:
		case PN_IPV6_ROUTING:
		case PN_IPV6_FRAGMENT:
		case PN_IPV6_AH:
		case PN_IPV6_DSTOPTS:
			break;
		default:
			/* ESP (50), no next header (59), upper layers and
			 * headers we do not know end the walk. */
			return pn_decode_ip_proto(d, next);
		}
		/* A chain longer than any real stack sends is built to make
		 * decoders loop (Suricata: decode-ipv6.c). */
		if (hdrs == PN_IPV6_EXT_MAX)
			return pn_decode_fail(d, PN_UNSUPPORTED,
					      PN_R_IPV6_EXT_LIMIT);
		/* RFC 8200 section 4.1: hop-by-hop options may only follow
		 * the IPv6 header directly. */
		if (next == PN_IPV6_HOPOPTS && hdrs != 0)
			return pn_decode_fail(d, PN_MALFORMED,
					      PN_R_BAD_IPV6_EXT);

		st = pn_decode_need(d, 2, PN_R_TRUNCATED_IPV6_EXT,
				    PN_R_BAD_IPV6_EXT);
		if (st != PN_OK)
			return st;
		pn_rd_u8(&d->rd, &ext_next);
		pn_rd_u8(&d->rd, &len_field);
		if (next == PN_IPV6_FRAGMENT)
			ext_len = PN_IPV6_FRAG_LEN; /* RFC 8200 section 4.5 */
		else if (next == PN_IPV6_AH)
			/* RFC 4302 section 2.2: 4-octet units, minus 2. */
			ext_len = ((size_t)len_field + 2) * 4;
		else
			/* RFC 8200 sections 4.3, 4.4, 4.6: 8-octet units not
			 * counting the first 8. */
			ext_len = ((size_t)len_field + 1) * 8;
		/* An extension header cannot end past the IPv6 payload. */
		if (!pn_decode_fits(d, ext_start, ext_len))
			return pn_decode_fail(d, PN_MALFORMED,
					      PN_R_BAD_IPV6_EXT);
		st = pn_decode_need(d, ext_len - 2, PN_R_TRUNCATED_IPV6_EXT,
				    PN_R_BAD_IPV6_EXT);
		if (st != PN_OK)
			return st;

		if (next == PN_IPV6_FRAGMENT) {
			pn_rd_u16be(&d->rd, &frag);
			pn_rd_skip(&d->rd, 4); /* identification */
			/* RFC 8200 section 4.5: a non-zero offset means the
			 * transport header is in another fragment. */
			if (frag >> 3) {
				pkt->ip_proto = ext_next;
				pkt->l4_off = (uint32_t)d->rd.off;
				pn_decode_set_payload(d, d->rd.off);
				return pn_decode_fail(d, PN_FRAGMENT,
						      PN_R_IPV6_FRAGMENT);
			}
			/* M set: the first of several; clear: an atomic
			 * fragment (RFC 6946), a whole datagram. */
			if (frag & 1) {
				pkt->first_fragment = true;
				d->partial = true;
			}
		} else {
			pn_rd_skip(&d->rd, ext_len - 2);
		}
		next = ext_next;
		pkt->ip_proto = next;
	}
}

enum pn_decode_status pn_decode_gre(struct pn_decoder *d)
{
	struct pn_packet *pkt = d->pkt;
	enum pn_decode_status st;
	uint16_t flags = 0, protocol = 0;
	size_t fields;

	st = pn_decode_need(d, PN_GRE_HDR_LEN, PN_R_TRUNCATED_GRE,
			    PN_R_SHORT_GRE);
	if (st != PN_OK)
		return st;
	pn_rd_u16be(&d->rd, &flags);
	pn_rd_u16be(&d->rd, &protocol);

	/* Version 1 is PPTP's enhanced GRE (RFC 2637), which carries PPP. */
	if (flags & PN_GRE_VERSION)
		return pn_decode_fail(d, PN_UNSUPPORTED, PN_R_UNSUPPORTED_GRE);
	/* RFC 2784 section 2.3: a receiver that does not implement RFC 1701
	 * discards packets with bits 1-5 set, less K and S (RFC 2890). */
	if (flags & PN_GRE_RFC1701_BITS)
		return pn_decode_fail(d, PN_MALFORMED, PN_R_BAD_GRE);

	fields = ((flags & PN_GRE_C) ? PN_GRE_FIELD_LEN : 0) +
		 ((flags & PN_GRE_K) ? PN_GRE_FIELD_LEN : 0) +
		 ((flags & PN_GRE_S) ? PN_GRE_FIELD_LEN : 0);
	st = pn_decode_need(d, fields, PN_R_TRUNCATED_GRE, PN_R_SHORT_GRE);
	if (st != PN_OK)
		return st;
	pn_rd_skip(&d->rd, fields);

	pkt->ethertype = protocol;
	switch (protocol) {
	case 0x0800:
		return pn_decode_ipv4(d);
	case 0x86dd:
		return pn_decode_ipv6(d);
	case 0x6558: /* transparent Ethernet bridging */
		pkt->tunnel = PN_TUNNEL_GRE_TEB;
		return pn_decode_ether(d);
	default:
		return pn_decode_fail(d, PN_UNSUPPORTED, PN_R_UNSUPPORTED_GRE);
	}
}
