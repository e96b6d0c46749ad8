/* rd.h — checked big-endian reads over a cursor into untrusted bytes.
 *
 * Every decoder reads packet bytes through these accessors only, never by
 * casting packet memory to a struct (tcpdump: extract.h GET_BE_U_2). A read
 * that does not fit returns false and consumes nothing, so a caller can
 * report where the data ran out.
 *
 * Invariant kept by every function here: off <= len, and p[0..len) is
 * readable. With that known, "need > len - off" cannot overflow where
 * "off + need > len" could (tcpdump: netdissect.h ND_TTEST_LEN).
 */
#ifndef PORTNOTE_RD_H
#define PORTNOTE_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pn_rd {
	const uint8_t *p; /* start of the buffer; offsets are relative to it */
	size_t len;	  /* readable end: bytes p[0..len) may be read */
	size_t off;	  /* next byte to read */
};

static inline void pn_rd_init(struct pn_rd *rd, const uint8_t *p, size_t len)
{
	rd->p = p;
	rd->len = p ? len : 0;
	rd->off = 0;
}

static inline size_t pn_rd_left(const struct pn_rd *rd)
{
	return rd->len - rd->off;
}

static inline bool pn_rd_has(const struct pn_rd *rd, size_t need)
{
	return need <= rd->len - rd->off;
}

/* Shrinks the readable end so that at most n bytes remain; never grows it,
 * so a header's declared length can only narrow what was captured. */
static inline void pn_rd_limit(struct pn_rd *rd, size_t n)
{
	if (n < rd->len - rd->off)
		rd->len = rd->off + n;
}

static inline bool pn_rd_skip(struct pn_rd *rd, size_t n)
{
	if (!pn_rd_has(rd, n))
		return false;
	rd->off += n;
	return true;
}

static inline bool pn_rd_u8(struct pn_rd *rd, uint8_t *v)
{
	if (!pn_rd_has(rd, 1))
		return false;
	*v = rd->p[rd->off];
	rd->off += 1;
	return true;
}

static inline bool pn_rd_u16be(struct pn_rd *rd, uint16_t *v)
{
	if (!pn_rd_has(rd, 2))
		return false;
	const uint8_t *b = rd->p + rd->off;
	*v = (uint16_t)((unsigned)b[0] << 8 | b[1]);
	rd->off += 2;
	return true;
}

static inline bool pn_rd_u32be(struct pn_rd *rd, uint32_t *v)
{
	if (!pn_rd_has(rd, 4))
		return false;
	const uint8_t *b = rd->p + rd->off;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
	     b[3];
	rd->off += 4;
	return true;
}

/* Copies n bytes out; packet memory is never aliased by the result. */
static inline bool pn_rd_bytes(struct pn_rd *rd, void *dst, size_t n)
{
	if (!pn_rd_has(rd, n))
		return false;
	if (n)
		memcpy(dst, rd->p + rd->off, n);
	rd->off += n;
	return true;
}

/* Reads the byte `at` positions ahead without consuming anything. */
static inline bool pn_rd_peek_u8(const struct pn_rd *rd, size_t at, uint8_t *v)
{
	if (at >= rd->len - rd->off)
		return false;
	*v = rd->p[rd->off + at];
	return true;
}

#endif
