/* decode_link.c — link layers: Ethernet and its VLAN tags, Linux cooked
 * captures, BSD loopback, raw IP; PPPoE sessions and MPLS label stacks
 * followed to IP; 802.2 LLC and non-IP ethertypes named.
 *
 * Specification: IEEE 802.3 (Ethernet II), IEEE 802.1Q-2018 section 9 (C-
 * and S-VLAN tags); www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html,
 * LINKTYPE_LINUX_SLL2.html, LINKTYPE_NULL.html, LINKTYPE_LOOP.html;
 * RFC 2516 (PPPoE), RFC 1661 (PPP), RFC 3032 (MPLS), IEEE 802.2 (LLC) and
 * RFC 1042 (SNAP); ethertypes from the IEEE registry (decode.h names the
 * standard of each non-IP one).
 */
#include "decode_int.h"

#define PN_ETH_HDR_LEN 14  /* destination, source, ethertype */
#define PN_VLAN_TAG_LEN 4  /* TCI, then the next ethertype */
#define PN_SLL_HDR_LEN 16  /* protocol type is the last field */
#define PN_SLL2_HDR_LEN 20 /* protocol type is the first field */
#define PN_NULL_HDR_LEN 4  /* the address family, 32 bits */
#define PN_PPPOE_HDR_LEN 6 /* ver/type, code, session id, length */
#define PN_MPLS_ENTRY_LEN 4
#define PN_LLC_HDR_LEN 3  /* DSAP, SSAP, control (U format) */
#define PN_SNAP_HDR_LEN 5 /* OUI, protocol id */

/* IEEE 802.3 clause 3.2.6: a type/length field up to 1500 is the length of
 * an 802.2 LLC frame; from 0x0600 it is an ethertype. */
#define PN_8023_MAX_LENGTH 1500

/* RFC 3032 section 2.1: the bottom-of-stack bit of a label stack entry. */
#define PN_MPLS_S 0x100u

/* BSD address families for IPv6 differ by system; all share AF_INET = 2. */
#define PN_BSD_AF_INET 2
#define PN_LINUX_AF_INET6 10
#define PN_NETBSD_AF_INET6 24 /* also OpenBSD */
#define PN_FREEBSD_AF_INET6 28
#define PN_DARWIN_AF_INET6 30

/* A frame that decodes without IP: named, never a failure. The rest of the
 * frame is its payload. */
static enum pn_decode_status nonip(struct pn_decoder *d, enum pn_nonip kind)
{
	d->pkt->nonip = kind;
	pn_decode_set_payload(d, d->rd.off);
	return PN_OK;
}

/* An IEEE 802.2 LLC header (from an 802.3 frame or a cooked capture),
 * named by its DSAP; SNAP with an ethertype is followed (RFC 1042). */
static enum pn_decode_status decode_llc(struct pn_decoder *d)
{
	enum pn_decode_status st;
	uint8_t dsap = 0, ssap = 0, oui[3] = {0};
	uint16_t pid = 0;

	st = pn_decode_need(d, PN_LLC_HDR_LEN, PN_R_TRUNCATED_LLC,
			    PN_R_SHORT_LLC);
	if (st != PN_OK)
		return st;
	pn_rd_u8(&d->rd, &dsap);
	pn_rd_u8(&d->rd, &ssap);
	pn_rd_skip(&d->rd, 1); /* control: UI for everything named here */

	switch (dsap) {
	case 0x42: /* IEEE 802.1D: spanning tree BPDUs' LSAP */
		return nonip(d, PN_NONIP_STP);
	case 0xe0: /* Novell IPX over 802.2 */
		return nonip(d, PN_NONIP_IPX);
	case 0xaa: /* SNAP (IEEE 802), then OUI and protocol id */
		if (ssap != 0xaa)
			break;
		st = pn_decode_need(d, PN_SNAP_HDR_LEN, PN_R_TRUNCATED_LLC,
				    PN_R_SHORT_LLC);
		if (st != PN_OK)
			return st;
		pn_rd_bytes(&d->rd, oui, 3);
		pn_rd_u16be(&d->rd, &pid);
		/* RFC 1042 (OUI 0) and 802.1H bridge tunnel (00-00-f8): the
		 * protocol id is an ethertype. */
		if (oui[0] == 0 && oui[1] == 0 &&
		    (oui[2] == 0 || oui[2] == 0xf8))
			return pn_decode_ethertype(d, pid);
		/* Cisco's OUI: CDP is protocol 0x2000; VTP, DTP, PVST+ differ.
		 */
		if (oui[0] == 0 && oui[1] == 0 && oui[2] == 0x0c &&
		    pid == 0x2000)
			return nonip(d, PN_NONIP_CDP);
		return nonip(d, PN_NONIP_SNAP);
	default:
		break;
	}
	return nonip(d, PN_NONIP_LLC);
}

/* An 802.3 frame: the type field was its length, which bounds the LLC
 * frame as an IP length bounds a datagram. */
static enum pn_decode_status decode_8023(struct pn_decoder *d, uint16_t length)
{
	size_t start = d->rd.off;
	uint8_t b0 = 0, b1 = 0;

	/* A frame shorter than its length field was never sent whole. */
	if (!pn_decode_fits(d, start, length))
		return pn_decode_fail(d, PN_MALFORMED, PN_R_BAD_LLC_LENGTH);
	/* Padding to the Ethernet minimum is not LLC payload. */
	pn_decode_bound(d, start, length);
	/* Novell's raw 802.3 puts IPX right after the length; its checksum
	 * field is always 0xffff, never an LLC SAP pair (tcpdump:
	 * print-ether.c). */
	if (pn_rd_peek_u8(&d->rd, 0, &b0) && pn_rd_peek_u8(&d->rd, 1, &b1) &&
	    b0 == 0xff && b1 == 0xff)
		return nonip(d, PN_NONIP_IPX);
	return decode_llc(d);
}

enum pn_decode_status pn_decode_other_ethertype(struct pn_decoder *d,
						uint16_t ethertype)
{
	/* Link control and non-IP protocols people capture on: counted by
	 * name, since nothing in them has ports. */
	switch (ethertype) {
	case 0x0806:
		return nonip(d, PN_NONIP_ARP);
	case 0x8035:
		return nonip(d, PN_NONIP_RARP);
	case 0x88cc:
		return nonip(d, PN_NONIP_LLDP);
	case 0x888e:
		return nonip(d, PN_NONIP_EAPOL);
	case 0x8863: /* RFC 2516 section 5: PADI, PADO, PADR, PADS, PADT */
		return nonip(d, PN_NONIP_PPPOE_DISCOVERY);
	case 0x8809:
		return nonip(d, PN_NONIP_SLOW);
	case 0x88f7:
		return nonip(d, PN_NONIP_PTP);
	case 0x88e5:
		return nonip(d, PN_NONIP_MACSEC);
	case 0x8137:
	case 0x8138:
		return nonip(d, PN_NONIP_IPX);
	case 0x809b:
		return nonip(d, PN_NONIP_APPLETALK);
	case 0x80f3:
		return nonip(d, PN_NONIP_AARP);
	case 0x8808:
		return nonip(d, PN_NONIP_FLOW_CONTROL);
	case 0x9000:
		return nonip(d, PN_NONIP_LOOPBACK);
	default:
		return pn_decode_fail(d, PN_UNSUPPORTED,
				      PN_R_UNSUPPORTED_ETHERTYPE);
	}
}

enum pn_decode_status pn_decode_pppoe(struct pn_decoder *d)
{
	struct pn_packet *pkt = d->pkt;
	enum pn_decode_status st;
	uint8_t vertype = 0, code = 0, first = 0;
	uint16_t session = 0, length = 0, protocol = 0;

	st = pn_decode_need(d, PN_PPPOE_HDR_LEN, PN_R_TRUNCATED_PPPOE,
			    PN_R_SHORT_PPPOE);
	if (st != PN_OK)
		return st;
	pn_rd_u8(&d->rd, &vertype);
	pn_rd_u8(&d->rd, &code);
	pn_rd_u16be(&d->rd, &session);
	pn_rd_u16be(&d->rd, &length);
	pkt->pppoe = true;
	pkt->pppoe_session = session;

	/* RFC 2516 section 4: VER and TYPE are both 1, and CODE is 0x00 for
	 * session data (section 6). */
	if (vertype != 0x11 || code != 0x00)
		return pn_decode_fail(d, PN_MALFORMED, PN_R_BAD_PPPOE);
	/* LENGTH counts the PPPoE payload (section 4): more than the frame
	 * carried was never sent; Ethernet padding after it is not payload.
	 */
	if (!pn_decode_fits(d, d->rd.off, length))
		return pn_decode_fail(d, PN_MALFORMED, PN_R_BAD_PPPOE_LENGTH);
	pn_decode_bound(d, d->rd.off, length);

	/* RFC 1661 section 2: protocol numbers are odd in their low octet
	 * and even in the high one, so a first octet that is odd is the
	 * whole field, compressed (PFC, section 6.5; RFC 2516 section 7 does
	 * not recommend it, but allows it). */
	st = pn_decode_need(d, 1, PN_R_TRUNCATED_PPPOE, PN_R_BAD_PPPOE_LENGTH);
	if (st != PN_OK)
		return st;
	pn_rd_peek_u8(&d->rd, 0, &first);
	if (first & 1) {
		pn_rd_u8(&d->rd, &first);
		protocol = first;
	} else {
		st = pn_decode_need(d, 2, PN_R_TRUNCATED_PPPOE,
				    PN_R_BAD_PPPOE_LENGTH);
		if (st != PN_OK)
			return st;
		pn_rd_u16be(&d->rd, &protocol);
	}

	/* Protocol numbers: IANA "PPP DLL Protocol Numbers". */
	switch (protocol) {
	case 0x0021:
		return pn_decode_ipv4(d);
	case 0x0057:
		return pn_decode_ipv6(d);
	case 0xc021:
		return nonip(d, PN_NONIP_PPP_LCP);
	default:
		break;
	}
	/* RFC 1661 section 2: 0x8xxx-0xbxxx are network control protocols,
	 * 0xcxxx-0xfxxx link control (PAP, CHAP, EAP): no ports in either. */
	if (protocol >= 0xc000)
		return nonip(d, PN_NONIP_PPP_CONTROL);
	if (protocol >= 0x8000)
		return nonip(d, PN_NONIP_PPP_NCP);
	pn_decode_set_payload(d, d->rd.off);
	return pn_decode_fail(d, PN_UNSUPPORTED, PN_R_UNSUPPORTED_PPP);
}

enum pn_decode_status pn_decode_mpls(struct pn_decoder *d)
{
	struct pn_packet *pkt = d->pkt;
	enum pn_decode_status st;
	uint32_t entry = 0;
	uint8_t first = 0;

	for (unsigned n = 0; !(entry & PN_MPLS_S); n++) {
		/* Real stacks hold a few labels; a longer one is crafted,
		 * and the bound keeps the walk short. */
		if (n == PN_MPLS_MAX_LABELS)
			return pn_decode_fail(d, PN_UNSUPPORTED,
					      PN_R_MPLS_DEPTH);
		st = pn_decode_need(d, PN_MPLS_ENTRY_LEN, PN_R_TRUNCATED_MPLS,
				    PN_R_SHORT_MPLS);
		if (st != PN_OK)
			return st;
		pn_rd_u32be(&d->rd, &entry);
		if (pkt->mpls_count < PN_MPLS_KEEP)
			pkt->mpls_label[pkt->mpls_count] = entry >> 12;
		/* Inner Ethernet behind GRE may add a stack; saturate. */
		if (pkt->mpls_count < UINT8_MAX)
			pkt->mpls_count++;
	}

	/* RFC 3032 section 2.2: nothing in the stack says what follows the
	 * bottom entry. IP is told apart by its version nibble (as routers
	 * do, RFC 4928 section 2); a pseudowire control word (RFC 4385
	 * section 3) starts with 0 and the G-ACh header (RFC 5586) with 1. */
	st = pn_decode_need(d, 1, PN_R_TRUNCATED_MPLS, PN_R_SHORT_MPLS);
	if (st != PN_OK)
		return st;
	pn_rd_peek_u8(&d->rd, 0, &first);
	switch (first >> 4) {
	case 4:
		return pn_decode_ipv4(d);
	case 6:
		return pn_decode_ipv6(d);
	default:
		pn_decode_set_payload(d, d->rd.off);
		return pn_decode_fail(d, PN_UNSUPPORTED, PN_R_UNSUPPORTED_MPLS);
	}
}

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
	if (type <= PN_8023_MAX_LENGTH)
		return decode_8023(d, type);
	return pn_decode_ethertype(d, type);
}

/* The cooked headers' protocol field is an ethertype, except for values
 * below 0x0600, which are Linux's own (LINKTYPE_LINUX_SLL.html). */
static enum pn_decode_status sll_protocol(struct pn_decoder *d,
					  uint16_t protocol)
{
	switch (protocol) {
	case 0x0001: /* Novell raw 802.3: IPX, no LLC header */
		return nonip(d, PN_NONIP_IPX);
	case 0x0004: /* an 802.2 LLC header follows */
		return decode_llc(d);
	default:
		return pn_decode_ethertype(d, protocol);
	}
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
	return sll_protocol(d, protocol);
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
	return sll_protocol(d, protocol);
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
