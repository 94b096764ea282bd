/* gen_int.h - traffic generator internals shared by gen*.c (not public). */
#ifndef JN_PKT_GEN_INT_H
#define JN_PKT_GEN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "pkt/pkt.h"

/* ---- PRNG: xoshiro256**, seeded through splitmix64 ---- */
struct gen_rng {
	uint64_t s[4];
};

static inline uint64_t gen_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t gen_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void gen_rng_seed(struct gen_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = gen_splitmix(&seed);
}

static inline uint64_t gen_rng_next(struct gen_rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = gen_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = gen_rotl(s[3], 45);
	return res;
}

/* Uniform in [0, n) (multiply-shift; n > 0). */
static inline uint64_t gen_rng_below(struct gen_rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)gen_rng_next(r) * n) >> 64);
}

/* Uniform in [0, 1). */
static inline double gen_rng_unit(struct gen_rng *r)
{
	return (double)(gen_rng_next(r) >> 11) * 0x1p-53;
}

/* ---- big-endian stores and the Internet checksum ---- */
static inline void gen_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void gen_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t gen_get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/* Sum of big-endian 16-bit words of n bytes (odd tail padded with zero). */
static inline uint64_t gen_sum16(const uint8_t *p, uint32_t n)
{
	uint64_t s = 0;
	uint32_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static inline uint16_t gen_fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* ---- flows ---- */
enum {
	GEN_HDR_MAX = 104,        /* eth + QinQ + outer IPv4 + IPv6 + TCP = 102 */
	GEN_PAY_SPREAD = 2048,    /* flows start their payload at an even offset below this */
	GEN_PATTERN = JN_GEN_MAX_FRAME + GEN_PAY_SPREAD,
	GEN_MIN_ETH = 60,         /* shortest Ethernet frame without FCS */
};

struct gen_kind {
	uint8_t l3, l4, encap;
};

/* A flow: its headers as a template, and the fields that advance. */
struct gen_flow {
	uint8_t hdr[GEN_HDR_MAX];
	uint16_t hdr_len;     /* every header; the payload follows */
	uint16_t l3_off;      /* first (outer) L3 header */
	uint16_t in_off;      /* inner L3 header (== l3_off without IP-in-IP) */
	uint16_t l4_off;
	uint16_t etype_off;   /* innermost ethertype */
	uint16_t pay_off;     /* even offset of the payload in the pattern */
	uint16_t fixed_size;  /* round-robin: the flow's frame size; 0: per packet */
	uint8_t l3, l4, encap;
	uint8_t malform;      /* round-robin: the flow's malformation */
	bool syn_only;        /* flood SYN: no payload, padded to 60 bytes */
	uint16_t ipid;
	uint32_t seq;         /* TCP sequence / ICMP echo sequence */
	uint32_t pseudo;      /* pseudo-header sum without the length (0: ICMPv4) */
};

/* Popularity-weighted choice among a few options: each option has a
 * budget of traffic share; a flow takes an option with probability
 * proportional to the budget left, and uses up its own share of it. */
struct gen_chooser {
	double left[4], w[4];
	int n;
};

struct jn_gen {
	struct jn_gen_cfg cfg;
	struct gen_rng rng;
	struct gen_flow *flows;
	uint32_t nflows;
	double *zprob;            /* alias table for the Zipf draw */
	uint32_t *zalias;
	uint64_t size_cum[JN_GEN_MAX_SIZES];
	struct gen_chooser fresh_l3, fresh_l4, fresh_encap, fresh_tun;
	uint8_t dmac[6];
	uint32_t victim;          /* IPv4 address the flood targets */
	uint32_t addr_salt;
	uint64_t made, next_id, rr_pos;
	double t_ns;              /* time since start_ns */
	double gap_ns;            /* mean gap between packets */
	struct gen_flow scratch;  /* fresh and flood flows */
	struct jn_gen_stats st;
	uint8_t pattern[GEN_PATTERN];
	uint64_t psum[GEN_PATTERN / 2 + 1];  /* prefix sums of the pattern's words */
	uint8_t buf[JN_GEN_MAX_FRAME];
};

/* gen_flow.c */
void gen_flow_make(struct jn_gen *g, struct gen_flow *f, struct gen_kind k, uint64_t id);
void gen_flow_make_flood(struct jn_gen *g, struct gen_flow *f, bool syn);
int gen_flows_init(struct jn_gen *g, char *err, size_t errlen);
void gen_chooser_init(struct gen_chooser *c, const double *w, int n, double scale);
int gen_chooser_pick(struct gen_chooser *c, struct gen_rng *r, double mass);
struct gen_kind gen_kind_draw(struct jn_gen *g);
uint32_t gen_size_draw(struct jn_gen *g);
unsigned gen_malform_pick(const struct gen_flow *f, uint64_t choice);

/* gen.c */
uint32_t gen_fill(struct jn_gen *g, struct gen_flow *f, uint32_t size);
uint32_t gen_malform_apply(struct jn_gen *g, const struct gen_flow *f, unsigned m, uint32_t frame);

#endif
