/* fuzz_walk — libFuzzer target for the pcap record walker (capture.c),
 * differential: the input, as a capture file, must read the same through
 * the walker as through libpcap's own reader, record by record and in
 * what each says of damage, and neither may read outside its buffers
 * (ASan sees to that). Seeded with the committed captures, which the
 * fuzzer cuts, splices and corrupts. */
#define _GNU_SOURCE
#include "../walk_compare.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz_walk.pcap", 0);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	const char *why = walk_differs(path, NULL);
	if (why) {
		fprintf(stderr, "fuzz_walk: %s\n", why);
		abort();
	}
	close(fd);
	return 0;
}
