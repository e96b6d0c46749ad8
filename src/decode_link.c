/* decode_link.c — link layers: Ethernet and its VLAN tags, Linux cooked
 * captures, BSD loopback, raw IP.
 *
 * Specification: IEEE 802.3 (Ethernet II), IEEE 802.1Q-2018 section 9 (C-
 * and S-VLAN tags); www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html,
 * LINKTYPE_LINUX_SLL2.html, LINKTYPE_NULL.html, LINKTYPE_LOOP.html.
 */
#include "decode_int.h"

#define PN_ETH_HDR_LEN 14  /* destination, source, ethertype */
#define PN_VLAN_TAG_LEN 4  /* TCI, then the next ethertype */
#define PN_SLL_HDR_LEN 16  /* protocol type is the last field */
#define PN_SLL2_HDR_LEN 20 /* protocol type is the first field */
#define PN_NULL_HDR_LEN 4  /* the address family, 32 bits */

/* BSD address families for IPv6 differ by system; all share AF_INET = 2. */
#define PN_BSD_AF_INET 2
#define PN_LINUX_AF_INET6 10
#define PN_NETBSD_AF_INET6 24 /* also OpenBSD */
#define PN_FREEBSD_AF_INET6 28
#define PN_DARWIN_AF_INET6 30

/* TPIDs that start a VLAN tag: 802.1Q C-tag, 802.1ad S-tag, and 0x9100,
 * which pre-802.1ad QinQ equipment still sends. */
static bool is_vlan_tpid(uint16_t type)
{
	return type == 0x8100 || type == 0x88a8 || type == 0x9100;
}

enum pn_decode_status pn_decode_ether(struct pn_decoder *d)
{
	struct pn_packet *pkt = d->pkt;
	enum pn_decode_status st;
	uint16_t type = 0, tci = 0;

	st = pn_decode_need(d, PN_ETH_HDR_LEN, PN_R_TRUNCATED_ETH,
			    PN_R_SHORT_ETH);
	if (st != PN_OK)
		return st;
	pn_rd_skip(&d->rd, 12);
	pn_rd_u16be(&d->rd, &type);

	for (unsigned tags = 0; is_vlan_tpid(type); tags++) {
		/* More tags than any real network stacks is a crafted frame;
		 * the bound keeps the loop from walking it (Suricata:
		 * decode-vlan.c VLAN_MAX_LAYERS). */
		if (tags == PN_VLAN_MAX_TAGS)
			return pn_decode_fail(d, PN_UNSUPPORTED,
					      PN_R_VLAN_DEPTH);
		st = pn_decode_need(d, PN_VLAN_TAG_LEN, PN_R_TRUNCATED_VLAN,
				    PN_R_SHORT_VLAN);
		if (st != PN_OK)
			return st;
		pn_rd_u16be(&d->rd, &tci);
		pn_rd_u16be(&d->rd, &type);
		if (pkt->vlan_count < PN_VLAN_KEEP)
			pkt->vlan[pkt->vlan_count] = tci & 0x0fff;
		/* Inner Ethernet behind GRE may add tags; saturate. */
		if (pkt->vlan_count < UINT8_MAX)
			pkt->vlan_count++;
	}
	/* Values below 0x0600 are 802.3 lengths (LLC frames), which the
	 * ethertype switch reports as unsupported. */
	return pn_decode_ethertype(d, type);
}

enum pn_decode_status pn_decode_sll(struct pn_decoder *d)
{
	enum pn_decode_status st;
	uint16_t protocol = 0;

	st = pn_decode_need(d, PN_SLL_HDR_LEN, PN_R_TRUNCATED_SLL,
			    PN_R_SHORT_SLL);
	if (st != PN_OK)
		return st;
	/* Packet type, ARPHRD type, address length and the 8-byte address
	 * say nothing about ports. */
	pn_rd_skip(&d->rd, 14);
	pn_rd_u16be(&d->rd, &protocol);
	return pn_decode_ethertype(d, protocol);
}

enum pn_decode_status pn_decode_sll2(struct pn_decoder *d)
{
	enum pn_decode_status st;
	uint16_t protocol = 0;

	st = pn_decode_need(d, PN_SLL2_HDR_LEN, PN_R_TRUNCATED_SLL2,
			    PN_R_SHORT_SLL2);
	if (st != PN_OK)
		return st;
	pn_rd_u16be(&d->rd, &protocol);
	pn_rd_skip(&d->rd, PN_SLL2_HDR_LEN - 2);
	return pn_decode_ethertype(d, protocol);
}

/* any_order: LINKTYPE_NULL stores the family in the capturing host's byte
 * order, which a savefile does not record; LINKTYPE_LOOP is big-endian. */
enum pn_decode_status pn_decode_null(struct pn_decoder *d, bool any_order)
{
	enum pn_decode_status st;
	uint32_t family = 0;

	st = pn_decode_need(d, PN_NULL_HDR_LEN, PN_R_TRUNCATED_NULL,
			    PN_R_SHORT_NULL);
	if (st != PN_OK)
		return st;
	pn_rd_u32be(&d->rd, &family);
	/* Families are small numbers, so set high bits mean the writer was
	 * little-endian (tcpdump: print-null.c null_if_print). */
	if (any_order && (family & 0xffff0000u))
		family = (family >> 24) | ((family >> 8) & 0xff00u) |
			 ((family << 8) & 0xff0000u) | (family << 24);

	switch (family) {
	case PN_BSD_AF_INET:
		d->pkt->ethertype = 0x0800;
		return pn_decode_ipv4(d);
	case PN_LINUX_AF_INET6:
	case PN_NETBSD_AF_INET6:
	case PN_FREEBSD_AF_INET6:
	case PN_DARWIN_AF_INET6:
		d->pkt->ethertype = 0x86dd;
		return pn_decode_ipv6(d);
	default:
		return pn_decode_fail(d, PN_UNSUPPORTED,
				      PN_R_UNSUPPORTED_FAMILY);
	}
}

/* version: 4 or 6 when the link type fixes it, 0 to read it from the
 * header's first nibble (DLT_RAW). */
enum pn_decode_status pn_decode_raw(struct pn_decoder *d, uint8_t version)
{
	uint8_t first;

	if (version == 4)
		return pn_decode_ipv4(d);
	if (version == 6)
		return pn_decode_ipv6(d);

	/* Nothing captured of a frame that had bytes: the snaplen cut it. */
	if (!pn_rd_peek_u8(&d->rd, 0, &first)) {
		if (d->wire_end > d->rd.off)
			return pn_decode_fail(d, PN_TRUNCATED,
					      PN_R_TRUNCATED_IPV4);
		return pn_decode_fail(d, PN_MALFORMED, PN_R_BAD_IP_VERSION);
	}
	switch (first >> 4) {
	case 4:
		return pn_decode_ipv4(d);
	case 6:
		return pn_decode_ipv6(d);
	default:
		/* Raw IP carries nothing but IPv4 and IPv6. */
		return pn_decode_fail(d, PN_MALFORMED, PN_R_BAD_IP_VERSION);
	}
}
