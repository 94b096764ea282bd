/* gen_flow.c - the generator's flows: header templates, kinds, popularity.
 *
 * A flow is a header template built once; gen.c copies it per packet and
 * fills lengths, sequence numbers and checksums.  Flow k of the table has
 * Zipf weight 1/(k+1)^s; packets draw flows through Vose's alias table.
 * Kinds (L3, L4, encapsulation) are handed out by popularity-weighted
 * budgets, so the packet mix follows the requested mix even when a few
 * elephant flows carry most packets.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "pkt/gen_int.h"

static const uint16_t tcp_ports[] = { 80, 443, 443, 443, 22, 8080, 3306, 6379, 9092, 5432 };
static const uint16_t udp_ports[] = { 53, 123, 443, 4789, 5353, 161, 514, 1812, 3478, 8472 };

/* A bijection on 24 bits: distinct flow ids get distinct addresses. */
static uint32_t perm24(const struct jn_gen *g, uint64_t id)
{
	return (uint32_t)((id * 0x5bd1e9u) ^ g->addr_salt) & 0xffffff;
}

/* Ethernet header and VLAN tags; returns the offset of the L3 header. */
static uint32_t put_l2(struct jn_gen *g, struct gen_flow *f, uint16_t etype)
{
	uint8_t *h = f->hdr;
	uint64_t r = gen_rng_next(&g->rng);
	uint32_t o = 12;

	memcpy(h, g->dmac, 6);
	h[6] = 0x02;
	for (int i = 0; i < 5; i++)
		h[7 + i] = (uint8_t)(r >> (8 * i));
	if (f->encap & JN_GEN_QINQ) {
		gen_put16(h + o, 0x88a8);
		gen_put16(h + o + 2, 1 + (uint32_t)((r >> 40) % 4094));
		gen_put16(h + o + 4, 0x8100);
		gen_put16(h + o + 6, 1 + (uint32_t)((r >> 52) % 4094));
		o += 8;
	} else if (f->encap & JN_GEN_VLAN) {
		gen_put16(h + o, 0x8100);
		gen_put16(h + o + 2, (uint32_t)((r >> 61) << 13) | (1 + (uint32_t)((r >> 40) % 4094)));
		o += 4;
	}
	f->etype_off = (uint16_t)o;
	gen_put16(h + o, etype);
	return o + 2;
}

static void put_ipv4(uint8_t *h, uint8_t proto, uint32_t src, uint32_t dst, bool df)
{
	memset(h, 0, 20);
	h[0] = 0x45;
	gen_put16(h + 6, df ? 0x4000 : 0);
	h[8] = 64;
	h[9] = proto;
	gen_put32(h + 12, src);
	gen_put32(h + 16, dst);
}

static void put_ipv6(uint8_t *h, uint8_t nh, uint32_t src_lo, uint32_t dst_lo, uint64_t r)
{
	memset(h, 0, 40);
	gen_put32(h, 0x60000000u | (uint32_t)(r & 0xfffff));
	h[6] = nh;
	h[7] = 64;
	h[8] = 0xfd;                     /* fd00:0:0:XXXX::src_lo */
	gen_put16(h + 14, (uint32_t)(r >> 20) & 0xffff);
	gen_put32(h + 20, src_lo);
	h[24] = 0xfd;                    /* fd00:1::dst_lo */
	h[27] = 1;
	gen_put32(h + 36, dst_lo);
}

static void put_arp(struct jn_gen *g, uint8_t *h, const uint8_t *smac, uint32_t spa, uint32_t tpa)
{
	gen_put16(h, 1);
	gen_put16(h + 2, 0x0800);
	h[4] = 6;
	h[5] = 4;
	gen_put16(h + 6, 1 + (uint32_t)gen_rng_below(&g->rng, 2));   /* request or reply */
	memcpy(h + 8, smac, 6);
	gen_put32(h + 14, spa);
	memset(h + 18, 0, 6);
	gen_put32(h + 24, tpa);
}

static uint32_t put_l4(struct gen_flow *f, uint32_t o, uint16_t sport, uint64_t r)
{
	uint8_t *h = f->hdr + o;

	switch (f->l4) {
	case JN_GEN_TCP:
		memset(h, 0, 20);
		gen_put16(h, sport);
		gen_put16(h + 2, tcp_ports[r % JN_ARRAY_SIZE(tcp_ports)]);
		gen_put32(h + 8, (uint32_t)(r >> 16));        /* ack */
		h[12] = 0x50;
		h[13] = 0x10;
		gen_put16(h + 14, 64240);
		return o + 20;
	case JN_GEN_UDP:
		memset(h, 0, 8);
		gen_put16(h, sport);
		gen_put16(h + 2, udp_ports[r % JN_ARRAY_SIZE(udp_ports)]);
		return o + 8;
	default:
		memset(h, 0, 8);
		h[0] = f->l3 == JN_GEN_IPV6 ? 128 : 8;   /* echo request */
		gen_put16(h + 4, sport);                  /* identifier */
		return o + 8;
	}
}

void gen_flow_make(struct jn_gen *g, struct gen_flow *f, struct gen_kind k, uint64_t id)
{
	uint64_t r = gen_rng_next(&g->rng), r2 = gen_rng_next(&g->rng);
	uint32_t src4 = 0x0a000000u | perm24(g, id), dst4 = 0xc0a80000u | (uint32_t)(r & 0x3ff);
	uint16_t sport = (uint16_t)(1024 + (r >> 10) % 64512);
	bool v6 = k.l3 == JN_GEN_IPV6, tun = (k.encap & JN_GEN_IPIP) && k.l3 != JN_GEN_ARP;
	uint8_t proto, *h = f->hdr;
	uint32_t o;

	memset(f, 0, sizeof(*f));
	f->l3 = k.l3;
	f->l4 = k.l4;
	f->encap = k.encap;
	f->pay_off = (uint16_t)(2 * (r2 % (GEN_PAY_SPREAD / 2)));
	f->seq = (uint32_t)(r2 >> 32);
	f->ipid = (uint16_t)(r2 >> 16);
	if (k.l3 == JN_GEN_ARP) {
		f->encap &= (uint8_t)~JN_GEN_IPIP;
		o = put_l2(g, f, 0x0806);
		put_arp(g, h + o, h + 6, src4, dst4);
		f->l3_off = f->in_off = f->l4_off = (uint16_t)o;
		f->hdr_len = (uint16_t)(o + 28);
		return;
	}
	o = put_l2(g, f, tun || !v6 ? 0x0800 : 0x86dd);
	f->l3_off = (uint16_t)o;
	if (tun) {
		put_ipv4(h + o, v6 ? 41 : 4, 0xac100002u + (uint32_t)((r2 >> 8) & 0xff), 0xac100001u, false);
		o += 20;
	}
	f->in_off = (uint16_t)o;
	proto = k.l4 == JN_GEN_TCP ? 6 : k.l4 == JN_GEN_UDP ? 17 : v6 ? 58 : 1;
	if (v6) {
		put_ipv6(h + o, proto, src4, dst4, r >> 26);
		f->pseudo = (uint32_t)gen_sum16(h + o + 8, 32) + proto;
		o += 40;
	} else {
		put_ipv4(h + o, proto, src4, dst4, k.l4 == JN_GEN_TCP);
		f->pseudo = k.l4 == JN_GEN_ICMP ? 0 : (uint32_t)gen_sum16(h + o + 12, 8) + proto;
		o += 20;
	}
	f->l4_off = (uint16_t)o;
	f->hdr_len = (uint16_t)put_l4(f, o, sport, r >> 36);
}

/* A flood packet's flow: spoofed random source, the victim as destination. */
void gen_flow_make_flood(struct jn_gen *g, struct gen_flow *f, bool syn)
{
	struct gen_kind k = { JN_GEN_IPV4, syn ? JN_GEN_TCP : JN_GEN_UDP, 0 };
	uint8_t *ip, *l4;

	gen_flow_make(g, f, k, g->next_id);
	ip = f->hdr + f->in_off;
	l4 = f->hdr + f->l4_off;
	gen_put32(ip + 12, (uint32_t)gen_rng_next(&g->rng));
	gen_put32(ip + 16, g->victim);
	f->pseudo = (uint32_t)gen_sum16(ip + 12, 8) + ip[9];
	if (syn) {
		gen_put16(l4 + 2, 80);
		gen_put32(l4 + 8, 0);
		f->syn_only = true;
	} else {
		gen_put16(l4 + 2, 1 + (uint32_t)gen_rng_below(&g->rng, 65535));
	}
}

void gen_chooser_init(struct gen_chooser *c, const double *w, int n, double scale)
{
	double tot = 0;

	memset(c, 0, sizeof(*c));
	c->n = n;
	for (int i = 0; i < n; i++)
		tot += w[i] > 0 ? w[i] : 0;
	for (int i = 0; i < n; i++) {
		c->w[i] = tot > 0 && w[i] > 0 ? w[i] / tot : 0;
		c->left[i] = c->w[i] * scale;
	}
}

int gen_chooser_pick(struct gen_chooser *c, struct gen_rng *r, double mass)
{
	const double *v = c->left;
	double tot = 0, u;
	int last = 0;

	for (int i = 0; i < c->n; i++)
		tot += c->left[i] > 0 ? c->left[i] : 0;
	if (tot <= 1e-12) {
		v = c->w;
		tot = 1;
	}
	u = gen_rng_unit(r) * tot;
	for (int i = 0; i < c->n; i++) {
		double x = v[i] > 0 ? v[i] : 0;
		if (x <= 0)
			continue;
		last = i;
		if (u < x)
			break;
		u -= x;
	}
	c->left[last] -= mass;
	return last;
}

static struct gen_kind kind_pick(struct jn_gen *g, struct gen_chooser ch[4], double mass)
{
	static const uint8_t encaps[3] = { 0, JN_GEN_VLAN, JN_GEN_QINQ };
	struct gen_kind k = { 0, 0, 0 };

	k.l3 = (uint8_t)gen_chooser_pick(&ch[0], &g->rng, mass);
	k.encap = encaps[gen_chooser_pick(&ch[2], &g->rng, mass)];
	if (k.l3 != JN_GEN_ARP) {
		k.l4 = (uint8_t)gen_chooser_pick(&ch[1], &g->rng, mass);
		if (gen_chooser_pick(&ch[3], &g->rng, mass))
			k.encap |= JN_GEN_IPIP;
	}
	return k;
}

struct gen_kind gen_kind_draw(struct jn_gen *g)
{
	struct gen_chooser ch[4] = { g->fresh_l3, g->fresh_l4, g->fresh_encap, g->fresh_tun };

	return kind_pick(g, ch, 0);
}

uint32_t gen_size_draw(struct jn_gen *g)
{
	const struct jn_gen_cfg *c = &g->cfg;
	uint64_t u;
	uint32_t i = 0;

	if (c->nsizes == 1 && c->size_lo[0] == c->size_hi[0])
		return c->size_lo[0];
	u = gen_rng_below(&g->rng, g->size_cum[c->nsizes - 1]);
	while (u >= g->size_cum[i])
		i++;
	if (c->size_hi[i] <= c->size_lo[i])
		return c->size_lo[i];
	return c->size_lo[i] + (uint32_t)gen_rng_below(&g->rng, c->size_hi[i] - c->size_lo[i] + 1);
}

unsigned gen_malform_pick(const struct gen_flow *f, uint64_t choice)
{
	unsigned ok[JN_GEN_MAL_MAX], n = 0;
	bool ip = f->l3 != JN_GEN_ARP;
	bool v4 = ip && (f->l3 == JN_GEN_IPV4 || (f->encap & JN_GEN_IPIP));
	bool tags = f->encap & (JN_GEN_VLAN | JN_GEN_QINQ);

	for (unsigned m = 1; m < JN_GEN_MAL_MAX; m++) {
		bool can;
		switch (m) {
		case JN_GEN_MAL_TRUNC_VLAN: can = tags; break;
		case JN_GEN_MAL_IHL: case JN_GEN_MAL_IP_CSUM: can = v4; break;
		case JN_GEN_MAL_TRUNC_L4: case JN_GEN_MAL_LEN_LONG: case JN_GEN_MAL_LEN_SHORT:
		case JN_GEN_MAL_VERSION: case JN_GEN_MAL_L4_CSUM: can = ip; break;
		default: can = true; break;
		}
		if (can)
			ok[n++] = m;
	}
	return ok[choice % n];
}

/* Round-robin: every combination of the enabled kinds, in a fixed order. */
static uint32_t rr_kinds(const struct jn_gen_cfg *c, struct gen_kind *out)
{
	uint8_t encs[3], tuns[2];
	uint32_t ne = 0, nt = 0, n = 0;

	if (c->vlan + c->qinq < 1)
		encs[ne++] = 0;
	if (c->vlan > 0)
		encs[ne++] = JN_GEN_VLAN;
	if (c->qinq > 0)
		encs[ne++] = JN_GEN_QINQ;
	if (c->ipip < 1)
		tuns[nt++] = 0;
	if (c->ipip > 0)
		tuns[nt++] = JN_GEN_IPIP;
	for (uint8_t l3 = 0; l3 < JN_GEN_L3_MAX; l3++) {
		if (!c->l3_w[l3])
			continue;
		for (uint8_t l4 = 0; l4 < JN_GEN_L4_MAX; l4++) {
			if (l3 != JN_GEN_ARP && !c->l4_w[l4])
				continue;
			for (uint32_t e = 0; e < ne; e++)
				for (uint32_t t = 0; t < nt; t++)
					if (l3 != JN_GEN_ARP || !tuns[t])
						out[n++] = (struct gen_kind){ l3, l4, (uint8_t)(encs[e] | tuns[t]) };
			if (l3 == JN_GEN_ARP)
				break;
		}
	}
	return n;
}

static void rr_init(struct jn_gen *g)
{
	struct gen_kind kinds[JN_GEN_L3_MAX * JN_GEN_L4_MAX * 3 * 2];
	uint32_t nk = rr_kinds(&g->cfg, kinds);
	double m = g->cfg.malformed;
	uint64_t nmal = 0;

	for (uint32_t i = 0; i < g->nflows; i++) {
		struct gen_flow *f = &g->flows[i];

		gen_flow_make(g, f, kinds[i % nk], i);
		f->fixed_size = (uint16_t)gen_size_draw(g);
		if (floor((i + 1) * m) > floor(i * m))
			f->malform = (uint8_t)gen_malform_pick(f, nmal++);
	}
}

/* Vose's alias method over the Zipf weights in p (normalized, n entries). */
static int zipf_alias(struct jn_gen *g, const double *p, uint32_t n)
{
	uint32_t *work = malloc((size_t)n * sizeof(*work));
	double *q = malloc((size_t)n * sizeof(*q));
	uint32_t ns = 0, nl = 0;

	if (!work || !q) {
		free(work);
		free(q);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		q[i] = p[i] * n;
		if (q[i] < 1)
			work[ns++] = i;               /* small: from the front */
		else
			work[n - 1 - nl++] = i;       /* large: from the back */
	}
	while (ns && nl) {
		uint32_t s = work[--ns], l = work[n - nl];

		g->zprob[s] = q[s];
		g->zalias[s] = l;
		q[l] += q[s] - 1;
		if (q[l] < 1) {
			nl--;
			work[ns++] = l;
		}
	}
	while (ns)
		g->zprob[work[--ns]] = 1;
	while (nl)
		g->zprob[work[n - nl--]] = 1;
	free(work);
	free(q);
	return 0;
}

static int zipf_init(struct jn_gen *g)
{
	const struct jn_gen_cfg *c = &g->cfg;
	struct gen_chooser ch[4] = { g->fresh_l3, g->fresh_l4, g->fresh_encap, g->fresh_tun };
	uint32_t n = g->nflows;
	double *p = malloc((size_t)n * sizeof(*p)), tot = 0;
	int rc;

	g->zprob = malloc((size_t)n * sizeof(*g->zprob));
	g->zalias = calloc(n, sizeof(*g->zalias));
	if (!p || !g->zprob || !g->zalias) {
		free(p);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		tot += p[i] = pow((double)i + 1, -c->zipf);
	for (uint32_t i = 0; i < n; i++) {
		p[i] /= tot;
		gen_flow_make(g, &g->flows[i], kind_pick(g, ch, p[i]), i);
	}
	rc = zipf_alias(g, p, n);
	free(p);
	return rc;
}

int gen_flows_init(struct jn_gen *g, char *err, size_t errlen)
{
	const struct jn_gen_cfg *c = &g->cfg;
	double l3[JN_GEN_L3_MAX], l4[JN_GEN_L4_MAX], tot3 = 0, ipshare;
	double enc[3] = { 1 - c->vlan - c->qinq, c->vlan, c->qinq }, tun[2] = { 1 - c->ipip, c->ipip };
	int rc;

	for (int i = 0; i < JN_GEN_L3_MAX; i++)
		tot3 += l3[i] = c->l3_w[i];
	for (int i = 0; i < JN_GEN_L4_MAX; i++)
		l4[i] = c->l4_w[i];
	ipshare = (l3[JN_GEN_IPV4] + l3[JN_GEN_IPV6]) / tot3;
	gen_chooser_init(&g->fresh_l3, l3, JN_GEN_L3_MAX, 1);
	gen_chooser_init(&g->fresh_l4, l4, JN_GEN_L4_MAX, ipshare);
	gen_chooser_init(&g->fresh_encap, enc, 3, 1);
	gen_chooser_init(&g->fresh_tun, tun, 2, ipshare);

	g->nflows = c->order == JN_GEN_ORDER_RR ? c->order_n : c->flows;
	g->flows = calloc(g->nflows, sizeof(*g->flows));
	if (!g->flows)
		return jn_errf(err, errlen, ENOMEM, "pkt: gen: out of memory for %u flows", g->nflows);
	if (c->order == JN_GEN_ORDER_RR) {
		rr_init(g);
		return 0;
	}
	rc = zipf_init(g);
	if (rc)
		return jn_errf(err, errlen, -rc, "pkt: gen: out of memory for %u flows", g->nflows);
	return 0;
}
