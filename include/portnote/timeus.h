/* timeus.h — the one type of capture time in portnote: signed 64-bit
 * microseconds since 1970-01-01T00:00:00Z. Negative times are before 1970
 * (libpcap reads a classic pcap's 32-bit seconds as signed, so 0xffffffff
 * is -1 s and 0x80000000 is -2^31 s); a pcapng time stamp may lie far in
 * the future. Times beyond the type's range are clamped to its ends, and
 * every sum and difference of times below saturates instead of wrapping. */
#ifndef PORTNOTE_TIMEUS_H
#define PORTNOTE_TIMEUS_H

#include <stdint.h>
#include <sys/time.h>

typedef int64_t pn_time_us;

#define PN_TIME_MIN INT64_MIN
#define PN_TIME_MAX INT64_MAX
#define PN_US_PER_SEC 1000000

/* a + b, clamped to the range. */
static inline pn_time_us pn_time_add(pn_time_us a, int64_t b)
{
	pn_time_us r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? PN_TIME_MAX : PN_TIME_MIN;
	return r;
}

/* a - b, clamped to the range. */
static inline int64_t pn_time_sub(pn_time_us a, pn_time_us b)
{
	int64_t r;
	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* A struct timeval as libpcap gives it (opened at microsecond precision;
 * tv_usec is taken as it is, so a file's 1000000 or more carries into the
 * seconds). */
static inline pn_time_us pn_time_from_timeval(const struct timeval *tv)
{
	int64_t us;
	if (__builtin_mul_overflow((int64_t)tv->tv_sec, PN_US_PER_SEC, &us))
		return tv->tv_sec < 0 ? PN_TIME_MIN : PN_TIME_MAX;
	return pn_time_add(us, (int64_t)tv->tv_usec);
}

#endif
