/* gen.c - the traffic generator: per packet, pick a flow, copy its
 * template, fill lengths, sequence numbers and checksums, maybe malform it.
 *
 * Payload bytes come from one pseudo-random pattern; each flow starts at its
 * own even offset in it.  Prefix sums of the pattern's 16-bit words make a
 * payload's checksum contribution O(1), so an L4 checksum costs the header
 * words only.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "pkt/gen_int.h"

static uint64_t pay_sum(const struct jn_gen *g, uint32_t off, uint32_t len)
{
	uint64_t s = g->psum[(off + len) / 2] - g->psum[off / 2];

	if (len & 1)
		s += (uint32_t)g->pattern[off + len - 1] << 8;
	return s;
}

static void ipv4_fix(uint8_t *h, uint32_t tot, uint16_t id)
{
	gen_put16(h + 2, tot);
	gen_put16(h + 4, id);
	h[10] = h[11] = 0;
	gen_put16(h + 10, gen_fold(gen_sum16(h, 20)));
}

static void ipv4_recsum(uint8_t *h)
{
	h[10] = h[11] = 0;
	gen_put16(h + 10, gen_fold(gen_sum16(h, 20)));
}

static uint32_t l4_hdr_len(const struct gen_flow *f)
{
	return f->l4 == JN_GEN_TCP ? 20 : 8;
}

static uint32_t l4_csum_off(const struct gen_flow *f)
{
	return f->l4 == JN_GEN_TCP ? 16 : f->l4 == JN_GEN_UDP ? 6 : 2;
}

/* L4 fields and checksum; the IP packet ends at end. */
static void fill_l4(struct jn_gen *g, struct gen_flow *f, uint8_t *o, uint32_t end)
{
	uint8_t *h = o + f->l4_off;
	uint32_t hl = l4_hdr_len(f), l4len = end - f->l4_off, paylen = l4len - hl;
	uint64_t s;
	uint16_t c;

	switch (f->l4) {
	case JN_GEN_TCP:
		gen_put32(h + 4, f->seq);
		f->seq += paylen;
		h[13] = f->syn_only ? 0x02 : paylen ? 0x18 : 0x10;
		break;
	case JN_GEN_UDP:
		gen_put16(h + 4, l4len);
		break;
	default:
		gen_put16(h + 6, f->seq++ & 0xffff);
		break;
	}
	h[l4_csum_off(f)] = h[l4_csum_off(f) + 1] = 0;
	s = (f->pseudo ? f->pseudo + l4len : 0) + gen_sum16(h, hl) + pay_sum(g, f->pay_off, paylen);
	c = gen_fold(s);
	if (c == 0 && f->l4 == JN_GEN_UDP)
		c = 0xffff;
	gen_put16(h + l4_csum_off(f), c);
}

/* Build the flow's next packet of about size bytes into g->buf; returns
 * the frame length.  A frame is never shorter than its headers. */
uint32_t gen_fill(struct jn_gen *g, struct gen_flow *f, uint32_t size)
{
	uint8_t *o = g->buf;
	uint32_t frame = size > f->hdr_len ? size : f->hdr_len, end = frame;

	if (f->l3 == JN_GEN_ARP || f->syn_only) {
		end = f->hdr_len;
		frame = end > GEN_MIN_ETH ? end : GEN_MIN_ETH;
	}
	memcpy(o, f->hdr, f->hdr_len);
	memcpy(o + f->hdr_len, g->pattern + f->pay_off, end - f->hdr_len);
	memset(o + end, 0, frame - end);
	if (f->l3 == JN_GEN_ARP)
		return frame;
	if (f->in_off != f->l3_off)
		ipv4_fix(o + f->l3_off, end - f->l3_off, f->ipid);
	if (f->l3 == JN_GEN_IPV4)
		ipv4_fix(o + f->in_off, end - f->in_off, f->ipid);
	else
		gen_put16(o + f->in_off + 4, end - f->in_off - 40);
	f->ipid++;
	fill_l4(g, f, o, end);
	return frame;
}

/* A new checksum value that is wrong: differs from c and is not its
 * ones'-complement twin (0x0000 and 0xffff are the same number). */
static uint16_t bad_csum(struct jn_gen *g, uint16_t c, bool udp)
{
	for (;;) {
		uint16_t v = (uint16_t)gen_rng_next(&g->rng);
		if (v != c && !((v == 0 || v == 0xffff) && (c == 0 || c == 0xffff)) && !(udp && v == 0))
			return v;
	}
}

static uint16_t bad_ethertype(struct jn_gen *g)
{
	static const uint16_t known[] = { 0x0800, 0x0806, 0x86dd, 0x8100, 0x88a8, 0x9100,
					  0x8847, 0x8848, 0x8035, 0x88cc, 0x8864, 0x8863 };
	for (;;) {
		uint16_t v = (uint16_t)(0x0600 + gen_rng_below(&g->rng, 0x10000 - 0x0600));
		size_t i;
		for (i = 0; i < JN_ARRAY_SIZE(known) && known[i] != v; i++)
			;
		if (i == JN_ARRAY_SIZE(known))
			return v;
	}
}

/* Truncate inside the L4 header, with IP lengths matching the cut. */
static uint32_t trunc_l4(struct jn_gen *g, const struct gen_flow *f, uint8_t *o)
{
	uint32_t cut = f->l4_off + (uint32_t)gen_rng_below(&g->rng, l4_hdr_len(f));

	if (f->in_off != f->l3_off) {
		gen_put16(o + f->l3_off + 2, cut - f->l3_off);
		ipv4_recsum(o + f->l3_off);
	}
	if (f->l3 == JN_GEN_IPV4) {
		gen_put16(o + f->in_off + 2, cut - f->in_off);
		ipv4_recsum(o + f->in_off);
	} else {
		gen_put16(o + f->in_off + 4, cut - f->in_off - 40);
	}
	return cut;
}

/* Wrong length in the outer IP header: beyond the frame, or too small
 * for the headers it carries. */
static void bad_len(struct jn_gen *g, const struct gen_flow *f, uint8_t *l3, uint32_t frame, bool longer)
{
	bool v4 = (l3[0] >> 4) == 4;
	uint32_t hdrs = f->l4_off - f->l3_off + l4_hdr_len(f), v;

	if (longer)
		v = frame - f->l3_off - (v4 ? 0 : 40) + 1 + (uint32_t)gen_rng_below(&g->rng, 1000);
	else
		v = (uint32_t)gen_rng_below(&g->rng, v4 ? hdrs : l4_hdr_len(f));
	gen_put16(l3 + (v4 ? 2 : 4), v);
	if (v4)
		ipv4_recsum(l3);
}

uint32_t gen_malform_apply(struct jn_gen *g, const struct gen_flow *f, unsigned m, uint32_t frame)
{
	uint8_t *o = g->buf, *l3 = o + f->l3_off;
	bool v4 = f->l3 != JN_GEN_ARP && (l3[0] >> 4) == 4;
	uint8_t ver;

	switch (m) {
	case JN_GEN_MAL_TRUNC_ETH:
		return 1 + (uint32_t)gen_rng_below(&g->rng, 13);
	case JN_GEN_MAL_TRUNC_VLAN:
		return 14 + (uint32_t)gen_rng_below(&g->rng, f->l3_off - 14u);
	case JN_GEN_MAL_TRUNC_L3:
		return f->l3_off + (uint32_t)gen_rng_below(&g->rng, f->l3 == JN_GEN_ARP ? 28 : v4 ? 20 : 40);
	case JN_GEN_MAL_TRUNC_L4:
		return trunc_l4(g, f, o);
	case JN_GEN_MAL_LEN_LONG:
	case JN_GEN_MAL_LEN_SHORT:
		bad_len(g, f, l3, frame, m == JN_GEN_MAL_LEN_LONG);
		break;
	case JN_GEN_MAL_VERSION:
		ver = (uint8_t)gen_rng_below(&g->rng, 15);
		ver += ver >= (l3[0] >> 4);
		l3[0] = (uint8_t)(ver << 4 | (l3[0] & 0xf));
		if (v4)
			ipv4_recsum(l3);
		break;
	case JN_GEN_MAL_IHL:
		l3[0] = (uint8_t)(0x40 | gen_rng_below(&g->rng, 5));
		ipv4_recsum(l3);
		break;
	case JN_GEN_MAL_ETHERTYPE:
		gen_put16(o + f->etype_off, bad_ethertype(g));
		break;
	case JN_GEN_MAL_IP_CSUM:
		gen_put16(l3 + 10, bad_csum(g, (uint16_t)gen_get16(l3 + 10), false));
		break;
	case JN_GEN_MAL_L4_CSUM: {
		uint8_t *c = o + f->l4_off + l4_csum_off(f);
		gen_put16(c, bad_csum(g, (uint16_t)gen_get16(c), f->l4 == JN_GEN_UDP));
		break;
	}
	default:
		break;
	}
	return frame;
}

static int cfg_check(const struct jn_gen_cfg *c, char *err, size_t errlen)
{
	uint64_t wsum = 0;
	uint32_t l3 = c->l3_w[JN_GEN_IPV4] + c->l3_w[JN_GEN_IPV6];
	uint32_t l4 = c->l4_w[JN_GEN_TCP] + c->l4_w[JN_GEN_UDP] + c->l4_w[JN_GEN_ICMP];
	bool rr = c->order == JN_GEN_ORDER_RR;
#define BAD(...) jn_errf(err, errlen, EINVAL, "pkt: gen: " __VA_ARGS__)
	if (!rr && (c->flows < 1 || c->flows > JN_GEN_MAX_FLOWS))
		return BAD("flows must be 1..%u", JN_GEN_MAX_FLOWS);
	if (rr && (c->order_n < 1 || c->order_n > JN_GEN_MAX_FLOWS))
		return BAD("roundrobin:N needs N in 1..%u", JN_GEN_MAX_FLOWS);
	if (c->order == JN_GEN_ORDER_NEWFLOWS && (c->order_n < 1 || c->order_every < c->order_n))
		return BAD("newflows:BURST:EVERY needs 1 <= BURST <= EVERY");
	if (!(c->zipf >= 0 && c->zipf <= 10))
		return BAD("zipf skew must be in 0..10");
	if (!(c->rate_pps > 0 && c->rate_pps <= 1e12))
		return BAD("rate must be in (0, 1e12] packets per second");
	if (c->nsizes < 1 || c->nsizes > JN_GEN_MAX_SIZES)
		return BAD("sizes: 1..%d entries", JN_GEN_MAX_SIZES);
	for (uint32_t i = 0; i < c->nsizes; i++) {
		if (c->size_lo[i] < JN_GEN_MIN_FRAME || c->size_hi[i] > JN_GEN_MAX_FRAME ||
		    c->size_lo[i] > c->size_hi[i])
			return BAD("sizes: %u-%u outside %d..%d", c->size_lo[i], c->size_hi[i],
				   JN_GEN_MIN_FRAME, JN_GEN_MAX_FRAME);
		wsum += c->size_w[i];
	}
	if (!wsum)
		return BAD("sizes: every weight is 0");
	if (!l3 && !c->l3_w[JN_GEN_ARP])
		return BAD("mix: no ipv4, ipv6 or arp weight");
	if (l3 && !l4)
		return BAD("mix: IP traffic needs a tcp, udp or icmp weight");
	if (!(c->vlan >= 0 && c->qinq >= 0 && c->vlan + c->qinq <= 1 && c->ipip >= 0 && c->ipip <= 1))
		return BAD("mix: vlan + qinq and ipip must each be 0..100%%");
	if (!(c->malformed >= 0 && c->malformed <= 1))
		return BAD("malformed fraction must be in 0..1");
	if (!(c->attack >= 0 && c->attack <= 1))
		return BAD("attack fraction must be in 0..1");
#undef BAD
	return 0;
}

int jn_pkt_gen_new(const struct jn_gen_cfg *cfg, struct jn_gen **out, char *err, size_t errlen)
{
	struct jn_gen *g;
	uint64_t cum = 0;
	int rc;

	*out = NULL;
	rc = cfg_check(cfg, err, errlen);
	if (rc)
		return rc;
	g = calloc(1, sizeof(*g));
	if (!g)
		return jn_errf(err, errlen, ENOMEM, "pkt: gen: out of memory");
	g->cfg = *cfg;
	gen_rng_seed(&g->rng, cfg->seed);
	for (uint32_t i = 0; i < cfg->nsizes; i++)
		g->size_cum[i] = cum += cfg->size_w[i];
	for (size_t i = 0; i < GEN_PATTERN; i += 8) {
		uint64_t r = gen_rng_next(&g->rng);
		for (size_t j = 0; j < 8 && i + j < GEN_PATTERN; j++)
			g->pattern[i + j] = (uint8_t)(r >> (8 * j));
	}
	for (size_t i = 0; i < GEN_PATTERN / 2; i++)
		g->psum[i + 1] = g->psum[i] + ((uint32_t)g->pattern[2 * i] << 8 | g->pattern[2 * i + 1]);
	g->dmac[0] = 0x02;
	for (int i = 1; i < 6; i++)
		g->dmac[i] = (uint8_t)gen_rng_below(&g->rng, 256);
	g->addr_salt = (uint32_t)gen_rng_next(&g->rng);
	g->victim = 0xc0a80000u | (uint32_t)gen_rng_below(&g->rng, 0x400);
	g->gap_ns = 1e9 / cfg->rate_pps;
	rc = gen_flows_init(g, err, errlen);
	if (rc) {
		jn_pkt_gen_free(g);
		return rc;
	}
	g->next_id = g->nflows;
	*out = g;
	return 0;
}

/* Which flow sends the next packet (fresh flows are built in g->scratch). */
static struct gen_flow *next_flow(struct jn_gen *g, struct jn_gen_info *in)
{
	const struct jn_gen_cfg *c = &g->cfg;
	uint64_t i;

	if (c->attack > 0 && gen_rng_unit(&g->rng) < c->attack) {
		bool syn = c->attack_kind == JN_GEN_ATTACK_SYN ||
			   (c->attack_kind == JN_GEN_ATTACK_BOTH && gen_rng_below(&g->rng, 2));
		gen_flow_make_flood(g, &g->scratch, syn);
		in->attack = true;
		in->flow = g->next_id++;
		return &g->scratch;
	}
	if (c->order == JN_GEN_ORDER_RR) {
		i = g->rr_pos++ % g->nflows;
	} else if (c->order == JN_GEN_ORDER_NEWFLOWS && g->made % c->order_every < c->order_n) {
		gen_flow_make(g, &g->scratch, gen_kind_draw(g), g->next_id);
		in->fresh = true;
		in->flow = g->next_id++;
		return &g->scratch;
	} else {
		i = gen_rng_below(&g->rng, g->nflows);
		if (gen_rng_unit(&g->rng) >= g->zprob[i])
			i = g->zalias[i];
	}
	in->flow = i;
	return &g->flows[i];
}

int jn_pkt_gen_next(struct jn_gen *g, struct jn_pkt *p, struct jn_gen_info *info)
{
	const struct jn_gen_cfg *c = &g->cfg;
	struct jn_gen_info in = { 0 };
	struct gen_flow *f;
	uint32_t frame;

	if (g->made >= c->count)
		return 0;
	f = next_flow(g, &in);
	frame = gen_fill(g, f, f->fixed_size ? f->fixed_size : gen_size_draw(g));
	if (c->order == JN_GEN_ORDER_RR && !in.attack) {
		/* the same malformation, byte for byte, on every cycle */
		struct gen_rng saved = g->rng;

		in.malform = f->malform;
		gen_rng_seed(&g->rng, c->seed ^ (in.flow * 0x9e3779b97f4a7c15ull));
		if (in.malform)
			frame = gen_malform_apply(g, f, in.malform, frame);
		g->rng = saved;
	} else if (c->malformed > 0 && gen_rng_unit(&g->rng) < c->malformed) {
		in.malform = (uint8_t)gen_malform_pick(f, gen_rng_next(&g->rng));
		frame = gen_malform_apply(g, f, in.malform, frame);
	}
	in.l3 = f->l3;
	in.l4 = f->l4;
	in.encap = f->encap;

	p->data = g->buf;
	p->caplen = p->len = frame;
	p->ts_ns = c->start_ns + (uint64_t)g->t_ns;
	p->index = g->made++;
	g->t_ns += -log1p(-gen_rng_unit(&g->rng)) * g->gap_ns;

	g->st.packets++;
	g->st.bytes += frame;
	g->st.malformed += in.malform != 0;
	g->st.malform[in.malform]++;
	g->st.attack += in.attack;
	g->st.fresh += in.fresh;
	g->st.l3[in.l3]++;
	if (in.l3 != JN_GEN_ARP)
		g->st.l4[in.l4]++;
	if (info)
		*info = in;
	return 1;
}

const struct jn_gen_stats *jn_pkt_gen_stats(const struct jn_gen *g)
{
	return &g->st;
}

void jn_pkt_gen_free(struct jn_gen *g)
{
	if (!g)
		return;
	free(g->flows);
	free(g->zprob);
	free(g->zalias);
	free(g);
}
