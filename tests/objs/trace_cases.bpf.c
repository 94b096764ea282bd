/* trace_cases - XDP programs for the JITNIC tests (tests/unit/test_trace_cases.c):
 * each exercises one thing the trace recorder must get exactly right (global
 * data as state, atomics and compare-and-swap on map values, random numbers
 * stored into the packet, variable header offsets, bpf-to-bpf calls writing
 * the caller's stack, adjust_head, loops) or must refuse with a named reason
 * (a branch on a random number, a lookup after an update); tail calls are
 * followed into the target (tests/maps/trace_cases.maps.json fills slot 0). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct counters { __u64 pkts; __u64 flag; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct counters);
} by_proto SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} jump SEC(".maps");

__u64 packets;
__u32 every = 3;

SEC("xdp")
int t_global(struct xdp_md *ctx)
{
	packets++;
	return packets % every == 0 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int t_atomic(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct counters *c;
	__u32 key;
	__u64 old;

	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	key = ip->protocol;
	c = bpf_map_lookup_elem(&by_proto, &key);
	if (!c)
		return XDP_ABORTED;
	old = __sync_fetch_and_add(&c->pkts, 1);
	if (__sync_val_compare_and_swap(&c->flag, 0, 1) == 0)
		return XDP_TX;
	return old > 5 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int t_random(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 *p = data;

	if ((void *)(p + 2) > end)
		return XDP_PASS;
	p[1] = bpf_get_prandom_u32() ^ p[0];
	return XDP_TX;
}

SEC("xdp")
int t_printk(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;

	if ((void *)(p + 16) > end)
		return XDP_PASS;
	bpf_printk("proto %x len %d", p[12] << 8 | p[13], (int)(end - data));
	return XDP_PASS;
}

SEC("xdp")
int t_random_branch(struct xdp_md *ctx)
{
	return bpf_get_prandom_u32() & 1 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int t_update_lookup(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	__u64 one = 1, *v;
	__u32 key;

	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	key = ip->saddr & 0xf;
	bpf_map_update_elem(&seen, &key, &one, BPF_ANY);
	v = bpf_map_lookup_elem(&seen, &key);
	return v && *v ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int t_varoff(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	__u16 *ports;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl < 5)
		return XDP_PASS;
	ports = (void *)ip + ip->ihl * 4;
	if ((void *)(ports + 2) > end)
		return XDP_PASS;
	return bpf_ntohs(ports[1]) == 80 ? XDP_DROP : XDP_PASS;
}

static __attribute__((noinline)) int count_bytes(const __u8 *p, const __u8 *end, __u32 *sum)
{
	__u32 s = 0;

	for (int i = 0; i < 16; i++) {
		if (p + i + 1 > end)
			break;
		s += p[i];
	}
	*sum = s;
	return s & 1;
}

/* A type-length-value walk: the value sits after a length byte, so each
 * length is its own path (the offset is specialised). */
SEC("xdp")
int t_skip(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data, *q;

	if ((void *)(p + 16) > end)
		return XDP_PASS;
	q = p + 15 + p[14];
	if ((void *)(q + 1) > end)
		return XDP_DROP;
	return *q & 1 ? XDP_TX : XDP_PASS;
}

SEC("xdp")
int t_call(struct xdp_md *ctx)
{
	__u32 sum = 0;
	int odd = count_bytes((void *)(long)ctx->data, (void *)(long)ctx->data_end, &sum);

	return odd ? XDP_DROP : sum > 1000 ? XDP_TX : XDP_PASS;
}

SEC("xdp")
int t_push_eth(struct xdp_md *ctx)
{
	void *data, *end;
	struct ethhdr *outer, *inner;

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct ethhdr)))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	outer = data;
	inner = data + sizeof(*outer);
	if ((void *)(inner + 1) > end)
		return XDP_DROP;
	__builtin_memcpy(outer->h_dest, inner->h_source, ETH_ALEN);
	__builtin_memcpy(outer->h_source, inner->h_dest, ETH_ALEN);
	outer->h_proto = bpf_htons(0x88b5);
	return XDP_TX;
}

/* Pad or cut every frame to 128 bytes, then read a byte that is a packet
 * byte for long frames and a padding zero for short ones. */
SEC("xdp")
int t_pad(struct xdp_md *ctx)
{
	int len = (int)(ctx->data_end - ctx->data);
	void *data, *end;
	__u8 *p;

	if (bpf_xdp_adjust_tail(ctx, 128 - len))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	p = data;
	if ((void *)(p + 128) > end)
		return XDP_DROP;
	p[0] = p[100] ^ p[127];
	return p[100] ? XDP_TX : XDP_PASS;
}

SEC("xdp")
int t_tail(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;

	if ((void *)(p + 16) > end)
		return XDP_PASS;
	packets++;
	bpf_tail_call(ctx, &jump, p[15] & 3);   /* slot 0 filled by the maps file, others empty */
	return XDP_PASS;
}

SEC("xdp")
int t_tail_target(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;

	if ((void *)(p + 16) > end)
		return XDP_ABORTED;
	p[0] ^= 0xff;
	return p[14] == 0x45 ? XDP_TX : XDP_DROP;
}



char _license[] SEC("license") = "GPL";
