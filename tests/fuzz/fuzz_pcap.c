/* fuzz_pcap.c - libFuzzer harness: the capture reader over arbitrary bytes
 * in memory.  Every packet it yields must lie inside what it claims; the
 * reader must end with 0 or a one-line error, never crash or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkt/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jn_pkt_reader *r;
	struct jn_pkt p;
	char err[256];
	uint64_t n = 0;
	volatile uint8_t sink = 0;
	int rc;

	if (jn_pkt_reader_open_mem(data, size, "fuzz", &r, err, sizeof(err)))
		return 0;
	while ((rc = jn_pkt_reader_next(r, &p, err, sizeof(err))) == 1) {
		if (p.index != n++)
			abort();
		/* touch every byte the reader vouches for */
		for (uint32_t i = 0; i < p.caplen; i++)
			sink ^= p.data[i];
	}
	if (rc < 0 && (!strchr(err, ':') || strchr(err, '\n')))
		abort();
	jn_pkt_reader_close(r);
	(void)sink;
	return 0;
}
