/* decode_transport.c — TCP, UDP, UDP-Lite, SCTP and DCCP headers: ports and
 * what tells a client from a server.
 *
 * Specification: RFC 9293 (TCP), RFC 3168 (CWR/ECE), RFC 768 (UDP),
 * RFC 3828 (UDP-Lite), RFC 9260 (SCTP), RFC 4340 (DCCP).
 *
 * Transport fields are written only once the header checks out, so a
 * failure leaves l4 at PN_L4_NONE and no ports behind.
 */
#include "decode_int.h"

#define PN_TCP_HDR_LEN 20
#define PN_UDP_HDR_LEN 8
#define PN_SCTP_HDR_LEN 12
#define PN_SCTP_CHUNK_HDR_LEN 4
#define PN_DCCP_HDR_SHORT_LEN 12 /* generic header, X = 0 */
#define PN_DCCP_HDR_LONG_LEN 16	 /* generic header, X = 1 */
#define PN_DCCP_ACK_SHORT_LEN 4	 /* acknowledgement subheader, X = 0 */
#define PN_DCCP_ACK_LONG_LEN 8	 /* acknowledgement subheader, X = 1 */
#define PN_DCCP_SERVICE_LEN 4

/* RFC 4340 section 5.1 packet types. */
enum {
	PN_DCCP_DATA = 2,
	PN_DCCP_ACK = 3,
	PN_DCCP_DATAACK = 4,
	PN_DCCP_RESET = 7,
	PN_DCCP_SYNCACK = 9, /* the last type defined; 10-15 are reserved */
};

/* A header cut after its ports (pn_decode_need_ports): the ports, no
 * payload, and whatever the caller could still read. */
static enum pn_decode_status ports_only(struct pn_decoder *d, enum pn_l4 l4,
					uint16_t sport, uint16_t dport)
{
	d->pkt->l4 = l4;
	d->pkt->sport = sport;
	d->pkt->dport = dport;
	pn_decode_set_payload(d, d->rd.len);
	return PN_OK;
}

enum pn_decode_status pn_decode_tcp(struct pn_decoder *d)
{
	struct pn_packet *pkt = d->pkt;
	size_t start = d->rd.off, hlen;
	enum pn_decode_status st;
	uint16_t sport = 0, dport = 0;
	uint8_t offset = 0, flags = 0;
	bool cut;

	st = pn_decode_need_ports(d, PN_TCP_HDR_LEN, PN_R_TRUNCATED_TCP,
				  PN_R_SHORT_TCP, PN_W_TCP_HEADER_CUT, &cut);
	if (st != PN_OK)
		return st;
	pn_rd_u16be(&d->rd, &sport);
	pn_rd_u16be(&d->rd, &dport);
	if (cut) {
		/* The flags are byte 13: known only if it was captured, so a
		 * handshake is never inferred from bytes that are not there. */
		pkt->has_tcp_flags = pn_rd_peek_u8(&d->rd, 9, &flags);
		pkt->tcp_flags = flags;
		return ports_only(d, PN_L4_TCP, sport, dport);
	}
	pn_rd_skip(&d->rd, 8); /* sequence and acknowledgement numbers */
	pn_rd_u8(&d->rd, &offset);
	pn_rd_u8(&d->rd, &flags);

	hlen = (size_t)(offset >> 4) * 4;
	/* RFC 9293 section 3.1: the data offset counts the five fixed words,
	 * so less than 5 cannot be a TCP header. */
	if (hlen < PN_TCP_HDR_LEN)
		return pn_decode_fail(d, PN_MALFORMED, PN_R_BAD_TCP_OFFSET);
	/* Options cannot run past the segment; past a frame shorter than
	 * its IP length, they were cut. */
	if (d->frame_short && !pn_decode_fits(d, start, hlen))
		pn_decode_warn(d, PN_W_TCP_HEADER_CUT);
	else if (!pn_decode_fits(d, start, hlen))
		return pn_decode_fail(d, PN_MALFORMED, PN_R_BAD_TCP_OFFSET);
	/* Options cut by the snaplen are fine: ports and flags are in the
	 * fixed part, and "-s 54" style header captures are common. */

	pkt->l4 = PN_L4_TCP;
	pkt->sport = sport;
	pkt->dport = dport;
	pkt->tcp_flags = flags;
	pkt->has_tcp_flags = true;
	pn_decode_set_payload(d, start + hlen);
	return PN_OK;
}

/* lite: IP protocol 136, where the length field is the checksum coverage. */
enum pn_decode_status pn_decode_udp(struct pn_decoder *d, bool lite)
{
	struct pn_packet *pkt = d->pkt;
	size_t start = d->rd.off;
	enum pn_decode_status st;
	uint16_t sport = 0, dport = 0, len = 0;
	bool cut;

	st = pn_decode_need_ports(d, PN_UDP_HDR_LEN, PN_R_TRUNCATED_UDP,
				  PN_R_SHORT_UDP, PN_W_UDP_HEADER_CUT, &cut);
	if (st != PN_OK)
		return st;
	pn_rd_u16be(&d->rd, &sport);
	pn_rd_u16be(&d->rd, &dport);
	if (cut) {
		/* Length and checksum cut: nothing left to check. */
		pkt->udplite = lite;
		return ports_only(d, PN_L4_UDP, sport, dport);
	}
	pn_rd_u16be(&d->rd, &len);
	pn_rd_skip(&d->rd, 2); /* checksum */

	if (lite) {
		/* RFC 3828 section 3.1: coverage 0 means the whole datagram;
		 * otherwise it must cover the header and stay inside the IP
		 * payload. The datagram's length comes from IP. */
		if (len != 0 &&
		    (len < PN_UDP_HDR_LEN ||
		     (!d->frame_short && !pn_decode_fits(d, start, len))))
			return pn_decode_fail(d, PN_MALFORMED,
					      PN_R_BAD_UDPLITE_COVERAGE);
	} else {
		/* RFC 768: the length includes the 8-byte header. Zero
		 * (RFC 2675 jumbograms) is rejected with the rest. */
		if (len < PN_UDP_HDR_LEN)
			return pn_decode_fail(d, PN_MALFORMED,
					      PN_R_BAD_UDP_LENGTH);
		/* A datagram longer than its IP payload was never sent;
		 * past a frame shorter than its IP length it was cut. */
		if (!d->frame_short && !pn_decode_fits(d, start, len))
			return pn_decode_fail(d, PN_MALFORMED,
					      PN_R_BAD_UDP_LENGTH);
		/* Bytes after the datagram inside the IP payload are not
		 * its payload. */
		pn_decode_bound(d, start, len);
	}

	pkt->l4 = PN_L4_UDP;
	pkt->udplite = lite;
	pkt->sport = sport;
	pkt->dport = dport;
	pn_decode_set_payload(d, start + PN_UDP_HDR_LEN);
	return PN_OK;
}

enum pn_decode_status pn_decode_sctp(struct pn_decoder *d)
{
	struct pn_packet *pkt = d->pkt;
	size_t start = d->rd.off, chunk_start;
	enum pn_decode_status st;
	uint16_t sport = 0, dport = 0, chunk_len = 0;
	uint8_t chunk_type = 0;
	bool has_chunk = false, cut;

	st = pn_decode_need_ports(d, PN_SCTP_HDR_LEN, PN_R_TRUNCATED_SCTP,
				  PN_R_SHORT_SCTP, PN_W_SCTP_HEADER_CUT, &cut);
	if (st != PN_OK)
		return st;
	pn_rd_u16be(&d->rd, &sport);
	pn_rd_u16be(&d->rd, &dport);
	if (cut)
		return ports_only(d, PN_L4_SCTP, sport, dport);
	pn_rd_skip(&d->rd, 8); /* verification tag, checksum */

	/* Only the first chunk's type is needed (INIT marks the client); a
	 * snaplen that cut it leaves has_sctp_chunk false, not a failure. */
	chunk_start = d->rd.off;
	if (pn_rd_has(&d->rd, PN_SCTP_CHUNK_HDR_LEN)) {
		pn_rd_u8(&d->rd, &chunk_type);
		pn_rd_skip(&d->rd, 1); /* chunk flags */
		pn_rd_u16be(&d->rd, &chunk_len);
		/* RFC 9260 section 3.2: the chunk length includes its own
		 * 4-byte header, so less is malformed. */
		if (chunk_len < PN_SCTP_CHUNK_HDR_LEN)
			return pn_decode_fail(d, PN_MALFORMED,
					      PN_R_BAD_SCTP_CHUNK);
		/* A chunk cannot run past the packet (nor is that known when
		 * the frame was shorter than its IP length). */
		if (!d->frame_short &&
		    !pn_decode_fits(d, chunk_start, chunk_len))
			return pn_decode_fail(d, PN_MALFORMED,
					      PN_R_BAD_SCTP_CHUNK);
		has_chunk = true;
	} else if (!d->partial && d->wire_end > chunk_start &&
		   d->wire_end - chunk_start < PN_SCTP_CHUNK_HDR_LEN) {
		/* Trailing bytes too few for a chunk header were sent as
		 * one: RFC 9260 section 3.2 pads chunks to 4 octets. */
		return pn_decode_fail(d, PN_MALFORMED, PN_R_BAD_SCTP_CHUNK);
	} else if (d->rd.off < d->wire_end) {
		/* A chunk was sent but not captured: which one is unknown. */
		pn_decode_warn(d, PN_W_SCTP_CHUNK_CUT);
	}

	pkt->l4 = PN_L4_SCTP;
	pkt->sport = sport;
	pkt->dport = dport;
	pkt->has_sctp_chunk = has_chunk;
	pkt->sctp_chunk = chunk_type;
	pn_decode_set_payload(d, start + PN_SCTP_HDR_LEN);
	return PN_OK;
}

/* Bytes a DCCP packet type needs after the generic header (RFC 4340
 * sections 5.2-5.6), given the acknowledgement subheader size. */
static size_t dccp_type_len(uint8_t type, size_t ack)
{
	switch (type) {
	case PN_DCCP_REQUEST:
		return PN_DCCP_SERVICE_LEN;
	case PN_DCCP_RESPONSE:
		return ack + PN_DCCP_SERVICE_LEN;
	case PN_DCCP_DATA:
		return 0;
	case PN_DCCP_RESET:
		return ack + 4; /* reset code and three data bytes */
	default:
		return ack; /* Ack, DataAck, CloseReq, Close, Sync, SyncAck */
	}
}

enum pn_decode_status pn_decode_dccp(struct pn_decoder *d)
{
	struct pn_packet *pkt = d->pkt;
	size_t start = d->rd.off, generic, ack, hlen, fixed;
	enum pn_decode_status st;
	uint16_t sport = 0, dport = 0;
	uint8_t offset = 0, type_x = 0, type;
	uint32_t service_code = 0;
	bool long_seq, has_service = false, cut;

	st = pn_decode_need_ports(d, PN_DCCP_HDR_SHORT_LEN, PN_R_TRUNCATED_DCCP,
				  PN_R_SHORT_DCCP, PN_W_DCCP_HEADER_CUT, &cut);
	if (st != PN_OK)
		return st;
	pn_rd_u16be(&d->rd, &sport);
	pn_rd_u16be(&d->rd, &dport);
	if (cut) {
		/* The type (byte 8) is unknown: it is never taken as a
		 * Request, whose value is 0. */
		return ports_only(d, PN_L4_DCCP, sport, dport);
	}
	pn_rd_u8(&d->rd, &offset);
	pn_rd_skip(&d->rd, 3); /* CCVal, CsCov, checksum */
	pn_rd_u8(&d->rd, &type_x);
	pn_rd_skip(&d->rd, 3); /* sequence number, or reserved + its top */

	type = (type_x >> 1) & 0x0f;
	long_seq = type_x & 1;
	/* RFC 4340 section 5.1: types 10-15 are reserved and MUST be
	 * ignored. */
	if (type > PN_DCCP_SYNCACK)
		return pn_decode_fail(d, PN_MALFORMED, PN_R_BAD_DCCP_TYPE);
	/* RFC 4340 section 5.1: only Data, Ack and DataAck may use short
	 * sequence numbers; others with X = 0 MUST be ignored. */
	if (!long_seq && (type < PN_DCCP_DATA || type > PN_DCCP_DATAACK))
		return pn_decode_fail(d, PN_MALFORMED, PN_R_BAD_DCCP_TYPE);

	generic = long_seq ? PN_DCCP_HDR_LONG_LEN : PN_DCCP_HDR_SHORT_LEN;
	ack = long_seq ? PN_DCCP_ACK_LONG_LEN : PN_DCCP_ACK_SHORT_LEN;
	fixed = generic + dccp_type_len(type, ack);
	hlen = (size_t)offset * 4;
	/* RFC 4340 section 5.1: the data offset spans the generic header,
	 * the type's fields and options, so it cannot be shorter than the
	 * fields the type requires... */
	if (hlen < fixed)
		return pn_decode_fail(d, PN_MALFORMED, PN_R_BAD_DCCP_OFFSET);
	/* ...nor run past the packet (tcpdump: print-dccp.c), unless the
	 * frame was shorter than its IP length. */
	if (d->frame_short && !pn_decode_fits(d, start, hlen))
		pn_decode_warn(d, PN_W_DCCP_HEADER_CUT);
	else if (!pn_decode_fits(d, start, hlen))
		return pn_decode_fail(d, PN_MALFORMED, PN_R_BAD_DCCP_OFFSET);

	/* The service code names the application (RFC 4340 section 8.1.2),
	 * so it must be captured along with the generic header. */
	if ((type == PN_DCCP_REQUEST || type == PN_DCCP_RESPONSE) &&
	    pn_rd_has(&d->rd, fixed - PN_DCCP_HDR_SHORT_LEN)) {
		pn_rd_skip(&d->rd,
			   fixed - PN_DCCP_SERVICE_LEN - PN_DCCP_HDR_SHORT_LEN);
		pn_rd_u32be(&d->rd, &service_code);
		has_service = true;
	} else if (type == PN_DCCP_REQUEST || type == PN_DCCP_RESPONSE) {
		/* The data offset fits in what was sent, so the snaplen cut
		 * the service code: the type still marks the handshake. */
		pn_decode_warn(d, PN_W_DCCP_SERVICE_CUT);
	} else if (!pn_rd_has(&d->rd, generic - PN_DCCP_HDR_SHORT_LEN)) {
		/* The rest of a 48-bit sequence number: nothing needed. */
		pn_decode_warn(d, PN_W_DCCP_HEADER_CUT);
	}

	pkt->l4 = PN_L4_DCCP;
	pkt->sport = sport;
	pkt->dport = dport;
	pkt->dccp_type = type;
	pkt->has_dccp_type = true;
	pkt->dccp_long_seq = long_seq;
	pkt->has_service_code = has_service;
	pkt->service_code = service_code;
	pn_decode_set_payload(d, start + hlen);
	return PN_OK;
}
