/* trace_helpers - XDP programs for the JITNIC recorder's helpers
 * (tests/unit/test_trace_cases.c, maps: tests/maps/trace_helpers.maps.json):
 * bpf_loop with a count and a stop condition from the packet, bpf_check_mtu
 * on the packet's length and on an mtu_len argument, bpf_fib_lookup over
 * IPv4 and IPv6 routes of several prefix lengths, queue and stack pushes,
 * queue and stack pops and peeks, a spin lock, ring buffer reservations submitted or discarded and
 * ringbuf_output until the ring is full, its fill level read back, a tail
 * call from a bpf-to-bpf subprogram. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define AF_INET 2
#define AF_INET6 10

struct lockval { struct bpf_spin_lock lock; __u32 n; };

struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 8); __type(key, __u32); __type(value, __u64); } stats SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct lockval); } locks SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_QUEUE); __uint(max_entries, 64); __type(value, __u32); } q SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_STACK); __uint(max_entries, 16); __type(value, __u32); } stk SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } rb SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, __u64); } cfg SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 2); __type(key, __u32); __type(value, __u32); } jmp SEC(".maps");

static __always_inline void add(__u32 k, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&stats, &k);
	if (p)
		*p += v;
}

struct loop_ctx { __u64 acc; __u64 limit; };

static long loop_step(__u32 i, void *c)
{
	struct loop_ctx *l = c;

	l->acc += i + 1;
	return l->acc > l->limit;
}

/* bpf_loop: count pkt[14] & 7, stops once the sum passes pkt[15] & 31 */
SEC("xdp")
int h_loop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	struct loop_ctx l = {0};
	long n;

	if ((void *)(p + 16) > end)
		return XDP_PASS;
	l.limit = p[15] & 31;
	n = bpf_loop(p[14] & 7, loop_step, &l, 0);
	add(0, n);
	add(1, l.acc);
	return l.acc & 1 ? XDP_DROP : XDP_PASS;
}

/* bpf_check_mtu: on the packet's length (ingress interface), and on an
 * mtu_len argument taken from the packet (interface 3) */
SEC("xdp")
int h_mtu(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u32 mtu = 0, m2;
	long r, r2;

	if ((void *)(p + 16) > end)
		return XDP_PASS;
	r = bpf_check_mtu(ctx, 0, &mtu, (int)(p[15] & 7) * 64 - 128, 0);
	add(2, mtu);
	m2 = (__u32)p[14] * 4;
	r2 = bpf_check_mtu(ctx, 3, &m2, 0, 0);
	add(3, m2);
	if (r)
		return XDP_DROP;
	return r2 ? XDP_TX : XDP_PASS;
}

/* bpf_fib_lookup for IPv4 and IPv6 destinations: forward on success */
SEC("xdp")
int h_fib(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct bpf_fib_lookup f = {0};
	long rc;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > end)
			return XDP_PASS;
		f.family = AF_INET;
		f.ipv4_src = ip->saddr;
		f.ipv4_dst = ip->daddr;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > end)
			return XDP_PASS;
		f.family = AF_INET6;
		__builtin_memcpy(f.ipv6_dst, &ip6->daddr, 16);
	} else {
		return XDP_PASS;
	}
	f.ifindex = ctx->ingress_ifindex;
	rc = bpf_fib_lookup(ctx, &f, sizeof(f), 0);
	add(4, rc);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return XDP_PASS;
	__builtin_memcpy(eth->h_dest, f.dmac, 6);
	__builtin_memcpy(eth->h_source, f.smac, 6);
	add(5, f.mtu_result + f.ipv4_dst);
	return bpf_redirect(f.ifindex, 0);
}

/* queue and stack pushes (the stack fills up), under a spin lock's count */
SEC("xdp")
int h_queue(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	struct lockval *lv;
	__u32 v, z = 0;

	if ((void *)(p + 16) > end)
		return XDP_PASS;
	v = p[14] | (__u32)p[15] << 8;
	bpf_map_push_elem(&q, &v, BPF_EXIST);
	v ^= 0xffff;
	bpf_map_push_elem(&stk, &v, 0);
	lv = bpf_map_lookup_elem(&locks, &z);
	if (lv) {
		bpf_spin_lock(&lv->lock);
		lv->n++;
		bpf_spin_unlock(&lv->lock);
	}
	return XDP_PASS;
}

/* queue and stack pops and peeks: packets with pkt[15] odd push pkt[14]
 * (to the stack map too when pkt[14] & 2), the others pop the queue and
 * peek at the stack (its value stays 0 when it is empty) */
SEC("xdp")
int h_pop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u32 v = 0, w = 0;

	if ((void *)(p + 16) > end)
		return XDP_PASS;
	if (p[15] & 1) {
		v = p[14];
		bpf_map_push_elem(&q, &v, BPF_EXIST);
		if (v & 2)
			bpf_map_push_elem(&stk, &v, BPF_EXIST);
		return XDP_PASS;
	}
	if (bpf_map_pop_elem(&q, &v))
		return XDP_DROP;
	bpf_map_peek_elem(&stk, &w);
	add(0, v + w);
	return v + w > 0x40 ? XDP_TX : XDP_PASS;
}

/* ring buffer: a reservation written and submitted or discarded, and
 * ringbuf_output from the stack */
SEC("xdp")
int h_ringbuf(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u64 out[2];
	__u32 *r;

	if ((void *)(p + 16) > end)
		return XDP_PASS;
	r = bpf_ringbuf_reserve(&rb, 12, 0);
	if (!r)
		return XDP_ABORTED;
	r[0] = (__u32)p[12] << 8 | p[13];
	r[1] = (__u32)(end - data);
	r[2] = p[14];
	if (p[15] & 1)
		bpf_ringbuf_discard(r, 0);
	else
		bpf_ringbuf_submit(r, 0);
	out[0] = p[0];
	out[1] = p[15];
	bpf_ringbuf_output(&rb, out, sizeof(out), 0);
	return XDP_PASS;
}

/* the ring's fill level read back: ringbuf_output of 8 + 8 * (p[0] & 3)
 * bytes until the ring (4096 bytes, nothing consumes it) is full, and
 * the verdict from bpf_ringbuf_query and output's result */
SEC("xdp")
int h_ringq(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u64 out[4] = { 1, 2, 3, 4 };
	__u64 avail;
	long r;

	if ((void *)(p + 16) > end)
		return XDP_PASS;
	r = bpf_ringbuf_output(&rb, out, 8 + 8 * (p[0] & 3), 0);
	avail = bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA);
	if (r)
		return XDP_DROP;
	return avail > 2048 ? XDP_TX : XDP_PASS;
}

/* a tail call from a subprogram: the target's return comes back to the
 * subprogram's caller; slot 1 is empty (falls through) */
static __attribute__((noinline)) int sub_tail(struct xdp_md *ctx, __u32 slot)
{
	bpf_tail_call(ctx, &jmp, slot);
	return 7;
}

SEC("xdp")
int h_subtail(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	int r;

	if ((void *)(p + 16) > end)
		return XDP_PASS;
	r = sub_tail(ctx, p[15] & 1);
	add(6, r);
	return r == XDP_TX ? XDP_TX : XDP_PASS;
}

static __attribute__((noinline)) int sub_add(__u32 k, int v)
{
	add(k, v);
	return v + 1;
}

/* a bpf-to-bpf call after a subprogram's tail call: the caller's own subprogram */
SEC("xdp")
int h_subtail_call(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	int r;

	if ((void *)(p + 16) > end)
		return XDP_PASS;
	r = sub_tail(ctx, 0);
	return sub_add(7, r) == XDP_TX + 1 ? XDP_TX : XDP_PASS;
}

SEC("xdp")
int h_tail_target(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;

	if ((void *)(p + 16) > end)
		return XDP_ABORTED;
	p[1] ^= 0xff;
	return p[14] == 0x45 ? XDP_TX : XDP_DROP;
}

/* invalidation: cfg[pkt[14] & 3] is read by every path; for keys 0 and 1 the
 * key is pinned by an equality guard, for 2 and 3 it is not; a packet with
 * pkt[15] == 0xee sets cfg[pkt[14] & 3] = pkt[13] */
SEC("xdp")
int h_cfg(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u32 k;
	__u64 *c, v;

	if ((void *)(p + 16) > end)
		return XDP_PASS;
	k = p[14] & 3;
	if (p[15] == 0xee) {
		v = p[13];
		bpf_map_update_elem(&cfg, &k, &v, 0);
		return XDP_DROP;
	}
	c = bpf_map_lookup_elem(&cfg, &k);
	if (!c)
		return XDP_ABORTED;
	if (k == 0)
		return *c > 5 ? XDP_DROP : XDP_PASS;
	if (k == 1)
		return *c > 5 ? XDP_TX : XDP_PASS;
	return *c > 5 ? XDP_DROP : XDP_TX;
}

char _license[] SEC("license") = "GPL";
