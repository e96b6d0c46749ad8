/* fuzz_registry — libFuzzer target for the registry CSV parser.
 *
 * Any input must either load (then every slot must point inside the entry
 * array) or fail with "label:line: message"; never crash or overrun. */
#include "portnote/registry.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The first byte picks strict or lenient loading. */
	bool lenient = size > 0 && (data[0] & 1);
	struct pn_load_options opts = {lenient, NULL};
	char err[PN_ERRBUF_SIZE];
	struct pn_registry *reg;
	if (pn_registry_load_buffer((const char *)data, size, "fuzz.csv", &opts,
				    &reg, err) != 0) {
		if (strncmp(err, "fuzz.csv:", 9) != 0)
			abort();
		return 0;
	}
	for (int t = 0; t < PN_TRANSPORT_COUNT; t++)
		for (uint32_t p = 0; p < 65536; p += 97) {
			const struct pn_slot *s = pn_registry_slot(
			    reg, (enum pn_transport)t, (uint16_t)p);
			for (unsigned i = 0; i < s->count; i++)
				if (reg->lists[s->first + i] >= reg->n_entries)
					abort();
		}
	pn_registry_free(reg);
	return 0;
}
