/* fuzz_hxdp.c - libFuzzer harness: the hXDP compiler and Sephirot against
 * the interpreter on the shipped XDP programs, with their maps.
 *
 * The input is one configuration byte and then packets.  The byte modulo
 * 228 (12 programs x 19 variants): modulo 12 the program (with its maps
 * file), divided by 12 the variant: 0..7 every pass on 1..8 lanes, 8..18
 * 4 lanes with pass (variant - 8) off.  Each packet is a 2-byte little-endian word, low 12
 * bits its length and high 4 bits how far the clock moves before it
 * (0 .. 1 h), then its bytes; the last one takes what is left.  At most
 * MAX_PKTS packets run through the interpreter and the simulator side by
 * side (jn_vliw_pair_run), maps compared at the end (jn_vliw_pair_maps); a
 * difference aborts with the message on stderr (the fuzzer reports it as a
 * crash).
 *
 * Opening a pair compiles the program (about 150 ms under ASan), so each of
 * the 228 is opened on first use and kept (about 800 MB under ASan for all)
 * and map state carries on from input to input, as on a NIC; a pair is
 * re-opened with fresh maps after REOPEN_PKTS packets.  A difference is run
 * again on a fresh pair to say whether the input alone reproduces it.
 * Lanes and passes cross only at 4 lanes: every pass off on every lane
 * count would be 1152 pairs, more than memory holds.
 * Run from the repository root (build/progs/ and progs/ relative to it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vliw/vliw.h"

enum {
	NPROGS = 12, NVARIANTS = JN_VLIW_MAX_LANES + JN_VLIW_NPASSES,
	MAX_PKTS = 64, REOPEN_PKTS = 65536,
};
_Static_assert(NPROGS * NVARIANTS <= 256, "fuzz_hxdp: the configuration byte no longer "
	       "reaches every program and variant");

static const char *const progs[NPROGS] = {
	"xdp1_count", "xdp2_reflect", "adjust_tail", "router_ipv4",   /* hXDP's Table 3 */
	"rxq_info", "tx_ip_tunnel", "simple_firewall", "lb_katran",
	"ddos_ratelimit", "ipv6_exthdr", "ipv6_filter", "vlan_classifier",
};

/* clock steps before a packet, by the top 4 bits of its length word */
static const uint64_t steps_ns[16] = {
	0, 1000, 10000, 100000, 1000000, 10000000, 50000000, 100000000, 200000000,
	500000000, 1000000000, 2000000000, 5000000000, 10000000000, 60000000000,
	3600000000000,
};

struct config { unsigned prog, lanes, off; };   /* off: a pass, or JN_VLIW_NPASSES for none */

struct slot {
	struct jn_vliw_pair *pr;
	uint64_t ts_ns;        /* the pair's clock: only moves forward */
	unsigned long pkts;    /* packets since it was opened */
};

static struct slot slots[NPROGS * NVARIANTS];

static void describe(const struct config *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s, %u lanes, %s%s", progs[c->prog], c->lanes,
		 c->off < JN_VLIW_NPASSES ? "no " : "all passes",
		 c->off < JN_VLIW_NPASSES ? jn_vliw_pass_names[c->off] : "");
}

static struct jn_vliw_pair *open_pair(const struct config *c)
{
	struct jn_vliw_opts vo = { .lanes = (int)c->lanes, .passes = JN_VLIW_ALL_PASSES };
	struct jn_vliw_pair *pr;
	char obj[128], maps[128], err[512], what[96];

	if (c->off < JN_VLIW_NPASSES)
		vo.passes &= ~(1u << c->off);
	snprintf(obj, sizeof(obj), "build/progs/%s.o", progs[c->prog]);
	snprintf(maps, sizeof(maps), "progs/%s.maps.json", progs[c->prog]);
	if (jn_vliw_pair_open(obj, NULL, maps, &vo, NULL, &pr, err, sizeof(err))) {
		describe(c, what, sizeof(what));
		fprintf(stderr, "fuzz_hxdp: %s: %s (run from the repository root after make)\n", what,
			err);
		abort();
	}
	return pr;
}

/* Run the packets of data[0..size) through pr; 0, or 1 with err saying
 * which packet (or the maps after how many) differed and how. */
static int run(struct jn_vliw_pair *pr, uint64_t *ts_ns, unsigned long *pkts, const uint8_t *data,
	       size_t size, char *err, size_t errlen)
{
	char e[400];
	unsigned n = 0;

	while (size >= 2 && n < MAX_PKTS) {
		uint16_t w = (uint16_t)(data[0] | data[1] << 8);
		uint32_t len = w & 0xfff;

		n++;
		data += 2;
		size -= 2;
		if (len > size)
			len = (uint32_t)size;
		*ts_ns += steps_ns[w >> 12];
		if (len >= JN_XDP_MIN_LEN && len <= JN_XDP_MAX_DATA) {   /* else XDP never sees it */
			(*pkts)++;
			if (jn_vliw_pair_run(pr, data, len, *ts_ns, NULL, NULL, e, sizeof(e)))
				return snprintf(err, errlen, "packet %u (%u bytes): %s", n - 1, len, e), 1;
		}
		data += len;
		size -= len;
	}
	if (jn_vliw_pair_maps(pr, e, sizeof(e)))
		return snprintf(err, errlen, "after %u packets: %s", n, e), 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], err2[512], what[96];
	unsigned v = size ? data[0] % (NPROGS * NVARIANTS) : 0;
	struct config c = { .prog = v % NPROGS, .lanes = JN_VLIW_DEFAULT_LANES,
			    .off = JN_VLIW_NPASSES };
	struct slot *s = &slots[v];
	unsigned long pkts;

	if (size < 1)
		return 0;
	if (v / NPROGS < JN_VLIW_MAX_LANES)
		c.lanes = 1 + v / NPROGS;
	else
		c.off = v / NPROGS - JN_VLIW_MAX_LANES;
	if (s->pr && s->pkts >= REOPEN_PKTS) {   /* fresh maps: state does not drift for ever */
		jn_vliw_pair_close(s->pr);
		s->pr = NULL;
	}
	if (!s->pr) {
		s->pr = open_pair(&c);
		s->pkts = 0;
	}
	pkts = s->pkts;
	if (!run(s->pr, &s->ts_ns, &s->pkts, data + 1, size - 1, err, sizeof(err)))
		return 0;
	/* the same input on fresh maps and clock: does it fail alone? */
	struct jn_vliw_pair *fresh = open_pair(&c);
	uint64_t ts = 0;
	unsigned long n = 0;
	int alone = run(fresh, &ts, &n, data + 1, size - 1, err2, sizeof(err2));
	jn_vliw_pair_close(fresh);
	describe(&c, what, sizeof(what));
	fprintf(stderr, "fuzz_hxdp: %s: %s (the pair had run %lu packets before); the input alone "
		"on fresh maps: %s\n", what, err, pkts,
		alone ? err2 : "no difference (depends on earlier inputs' map state)");
	abort();
}
