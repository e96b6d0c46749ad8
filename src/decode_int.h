/* decode_int.h — state shared by the per-layer decoders; not a public API.
 *
 * Each layer decoder starts with the cursor at its header, consumes it, and
 * hands the rest to the next one through pn_decode_ethertype() or
 * pn_decode_ip_proto(). It returns the final status, having recorded it in
 * the packet with pn_decode_fail() when it is not PN_OK.
 *
 * Idiom: a decoder checks a header's fixed part once with pn_decode_need(),
 * which classifies a shortfall, then reads the fields; those reads cannot
 * fail, so their results are not tested a second time. Their targets start
 * at zero, so a mistake in that reasoning reads zeros, never garbage.
 */
#ifndef PORTNOTE_DECODE_INT_H
#define PORTNOTE_DECODE_INT_H

#include <stddef.h>

#include "portnote/decode.h"
#include "portnote/rd.h"

struct pn_decoder {
	/* Captured bytes, narrowed to the innermost declared length. */
	struct pn_rd rd;
	/* Where the enclosing header says its data ends on the wire; always
	 * >= rd.len. Headers that end past it were never sent. */
	size_t wire_end;
	/* Inside an offset-0 fragment: wire_end is the fragment's end, and
	 * declared lengths may legitimately run into later fragments. */
	bool partial;
	/* An IP length claimed more than the frame carried: wire_end is the
	 * frame's end, and a header it cuts was cut, not short. */
	bool frame_short;
	/* A header's declared length narrowed wire_end: past it is that
	 * header's contradiction, not the frame's shortfall. */
	bool bounded;
	struct pn_packet *pkt;
};

/* Records a non-OK outcome and returns its status. */
enum pn_decode_status pn_decode_fail(struct pn_decoder *d,
				     enum pn_decode_status status,
				     enum pn_decode_reason reason);

/* Checks that n more bytes were captured. If not: PN_TRUNCATED with
 * `truncated` when the wire carried them; PN_MALFORMED with `too_short` when
 * the enclosing header ended first, or tiny-fragment (RFC 1858) when that end
 * is a first fragment's. */
enum pn_decode_status pn_decode_need(struct pn_decoder *d, size_t n,
				     enum pn_decode_reason truncated,
				     enum pn_decode_reason too_short);

/* Records a warning on a packet that still decodes. */
static inline void pn_decode_warn(struct pn_decoder *d,
				  enum pn_decode_warning w)
{
	d->pkt->warnings |= (uint16_t)(1u << w);
}

/* pn_decode_need() for a transport header that starts with its two ports:
 * when the header was cut after them by the snaplen or by a frame shorter
 * than its IP length, the ports are still known, so this records `cut` as
 * a warning and returns PN_OK with *header_cut set; the caller then reads
 * only what pn_rd_has() confirms. A header split across fragments (the
 * first fragment itself ends inside it) is never excused (RFC 1858). */
enum pn_decode_status pn_decode_need_ports(struct pn_decoder *d, size_t n,
					   enum pn_decode_reason truncated,
					   enum pn_decode_reason too_short,
					   enum pn_decode_warning cut,
					   bool *header_cut);

/* True when a length n declared by the header starting at `start` fits in
 * what the enclosing header left on the wire, or cannot be checked because
 * the rest is in later fragments. start <= d->rd.off. */
bool pn_decode_fits(const struct pn_decoder *d, size_t start, size_t n);

/* Narrows the cursor and wire end to start + n, a declared length that
 * passed pn_decode_fits() and covers what was already consumed. */
void pn_decode_bound(struct pn_decoder *d, size_t start, size_t n);

/* Dispatchers (decode.c). */
enum pn_decode_status pn_decode_ethertype(struct pn_decoder *d,
					  uint16_t ethertype);
enum pn_decode_status pn_decode_ip_proto(struct pn_decoder *d, uint8_t proto);

/* Link layers (decode_link.c). */
enum pn_decode_status pn_decode_ether(struct pn_decoder *d);
enum pn_decode_status pn_decode_sll(struct pn_decoder *d);
enum pn_decode_status pn_decode_sll2(struct pn_decoder *d);
enum pn_decode_status pn_decode_null(struct pn_decoder *d, bool any_order);
enum pn_decode_status pn_decode_raw(struct pn_decoder *d, uint8_t version);
enum pn_decode_status pn_decode_pppoe(struct pn_decoder *d);
enum pn_decode_status pn_decode_mpls(struct pn_decoder *d);
/* An ethertype that is neither IP nor an encapsulation followed: a known
 * non-IP protocol (PN_OK, pkt->nonip set) or unsupported-ethertype. */
enum pn_decode_status pn_decode_other_ethertype(struct pn_decoder *d,
						uint16_t ethertype);

/* Network layer and tunnels (decode_ip.c). */
enum pn_decode_status pn_decode_ipv4(struct pn_decoder *d);
enum pn_decode_status pn_decode_ipv6(struct pn_decoder *d);
enum pn_decode_status pn_decode_gre(struct pn_decoder *d);

/* Transport (decode_transport.c). */
enum pn_decode_status pn_decode_tcp(struct pn_decoder *d);
enum pn_decode_status pn_decode_udp(struct pn_decoder *d, bool lite);
enum pn_decode_status pn_decode_sctp(struct pn_decoder *d);
enum pn_decode_status pn_decode_dccp(struct pn_decoder *d);

/* Fills the payload fields for a layer whose header ends at `end`. */
void pn_decode_set_payload(struct pn_decoder *d, size_t end);

#endif
