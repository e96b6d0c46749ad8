/* fuzz_evidence — libFuzzer target for the payload recognizers.
 *
 * Input: one byte choosing the transport (bit 0), the direction (bit 1)
 * and the recognizer (the rest: 0 tries them all), then the payload. No
 * recognizer may read outside the payload (ASan sees to that), and an
 * answer must keep the promises of evidence.h, checked below. */
#include "portnote/evidence.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_token(const char *t, size_t size)
{
	size_t n = strnlen(t, size);
	/* Terminated within its buffer, and holding no CR or LF. */
	if (n == size || memchr(t, '\r', n) || memchr(t, '\n', n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum pn_l4 l4 = data[0] & 1 ? PN_L4_UDP : PN_L4_TCP;
	bool from_client = data[0] & 2;
	enum pn_proto proto = (enum pn_proto)((data[0] >> 2) % PN_P_COUNT);
	size_t len = size - 1;
	/* An exactly sized copy, so any overread is outside the heap block. */
	uint8_t *p = malloc(len ? len : 1);
	memcpy(p, data + 1, len);
	struct pn_evidence ev, again;
	bool hit = proto == PN_P_NONE
		       ? pn_evidence_recognize(l4, from_client, p, len, &ev)
		       : pn_evidence_check(proto, l4, from_client, p, len, &ev);
	if (!hit && (ev.proto != PN_P_NONE || ev.token[0] || ev.extra[0]))
		abort();
	if (hit) {
		if (ev.proto <= PN_P_NONE || ev.proto >= PN_P_COUNT ||
		    (proto != PN_P_NONE && ev.proto != proto))
			abort();
		check_token(ev.token, sizeof ev.token);
		check_token(ev.extra, sizeof ev.extra);
		/* The recognizer that answered says the same alone. */
		if (!pn_evidence_check(ev.proto, l4, from_client, p, len,
				       &again) ||
		    strcmp(again.token, ev.token) != 0 ||
		    strcmp(again.extra, ev.extra) != 0)
			abort();
	}
	free(p);
	return 0;
}
