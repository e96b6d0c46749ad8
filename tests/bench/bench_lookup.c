/* bench_lookup — the cost of one registry lookup on the built-in table.
 *
 * Looks up pseudo-random (transport, port) pairs, the worst case for the
 * cache, and a realistic skewed mix where most lookups hit a few popular
 * ports, and prints nanoseconds per lookup. usage: bench_lookup [N] */
#include "portnote/registry.h"

#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static double run(const struct pn_registry *reg, long n, bool skewed,
		  unsigned long *sink)
{
	static const uint16_t popular[] = {443, 80, 53, 22, 25, 123, 3306,
					   5432, 6379, 8080};
	/* Draw the inputs first so the timing holds lookups only. */
	enum { BATCH = 1 << 16 };
	static uint32_t keys[BATCH];
	uint32_t seed = 2463534242u;
	for (int i = 0; i < BATCH; i++) {
		uint32_t r = xorshift(&seed);
		uint32_t port = skewed && (r >> 28) < 12
				    ? popular[(r >> 16) % 10]
				    : (r & 0xffff);
		keys[i] = ((r >> 24) & 3) << 16 | port;
	}
	unsigned long acc = 0;
	double t0 = now();
	for (long i = 0; i < n; i++) {
		uint32_t k = keys[i & (BATCH - 1)];
		const struct pn_slot *s =
		    pn_registry_slot(reg, (enum pn_transport)(k >> 16),
				     (uint16_t)k);
		acc += s->flags + s->count;
	}
	double dt = now() - t0;
	*sink += acc;
	return dt * 1e9 / (double)n;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000000L;
	const struct pn_registry *reg = pn_registry_builtin();
	unsigned long sink = 0;
	run(reg, n / 10, false, &sink); /* warm the table into cache */
	double uniform = run(reg, n, false, &sink);
	double skewed = run(reg, n, true, &sink);
	size_t table = sizeof(uint16_t) * PN_TRANSPORT_COUNT * 65536;
	printf("lookups:               %ld per run\n", n);
	printf("uniform random ports:  %.2f ns per lookup\n", uniform);
	printf("75%% popular ports:     %.2f ns per lookup\n", skewed);
	printf("index table:           %zu KiB; slots %zu KiB; entries %zu "
	       "KiB; pool %u KiB\n",
	       table / 1024, reg->n_slots * sizeof(struct pn_slot) / 1024,
	       reg->n_entries * sizeof(struct pn_entry) / 1024,
	       reg->pool_size / 1024);
	printf("(checksum %lu)\n", sink);
	return 0;
}
