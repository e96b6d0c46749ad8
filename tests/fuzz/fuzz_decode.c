/* fuzz_decode — libFuzzer target for the decoder entry point.
 *
 * Input: one byte choosing the link type, one byte choosing how much longer
 * the wire length is than the captured bytes, then the frame. The decoder
 * must never read outside the frame (ASan sees to that) and its result must
 * keep its own promises, checked below. */
#include "portnote/decode.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {PN_LINKTYPE_NULL,
				PN_LINKTYPE_ETHERNET,
				PN_LINKTYPE_DLT_RAW,
				PN_LINKTYPE_DLT_RAW_BSD,
				PN_LINKTYPE_RAW,
				PN_LINKTYPE_LOOP,
				PN_LINKTYPE_LINUX_SLL,
				PN_LINKTYPE_IPV4,
				PN_LINKTYPE_IPV6,
				PN_LINKTYPE_LINUX_SLL2,
				105 /* unsupported */};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	int linktype =
	    linktypes[data[0] % (sizeof linktypes / sizeof linktypes[0])];
	uint32_t extra = data[1] < 128 ? 0 : (uint32_t)data[1] * 16;
	size_t caplen = size - 2;
	/* An exactly sized copy, so any overread is outside the heap block. */
	uint8_t *frame = malloc(caplen ? caplen : 1);
	memcpy(frame, data + 2, caplen);
	struct pn_packet p;
	enum pn_decode_status st = pn_decode_packet(
	    linktype, frame, (uint32_t)caplen, (uint32_t)caplen + extra, &p);
	if (st != p.status)
		abort();
	if (p.l4 != PN_L4_NONE && p.status != PN_OK)
		abort();
	if (p.payload_off > caplen || p.payload_len > caplen - p.payload_off)
		abort();
	if (p.status != PN_OK && p.reason == PN_R_NONE)
		abort();
	if (p.vlan_count > PN_VLAN_MAX_TAGS + 1)
		abort();
	/* A non-IP kind is a clean decode without ports. */
	if (p.nonip != PN_NONIP_NONE &&
	    (p.status != PN_OK || p.l4 != PN_L4_NONE))
		abort();
	if ((unsigned)p.nonip >= PN_NONIP_COUNT)
		abort();
	struct pn_decode_counters c;
	memset(&c, 0, sizeof c);
	pn_decode_count(&c, &p);
	free(frame);
	return 0;
}
