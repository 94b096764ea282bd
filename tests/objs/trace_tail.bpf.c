/* trace_tail - tail calls for traces lowered to the VLIW core
 * (tests/unit/test_trace_vliw.c; the test fills the prog_arrays and
 * changes them between packets): an index from the packet into an 8-slot
 * prog_array (indexes 8..15 are past its end), where several slots may
 * hold the same program, a constant index, and an index from the packet
 * into 128 slots (still refused). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} jv SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} jk SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u32);
} jb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline void count(__u32 k)
{
	__u64 *c = bpf_map_lookup_elem(&hits, &k);

	if (c)
		*c += 1;
}

/* the slot is the low 4 bits of the IPv4 checksum (of byte 25 in any frame) */
SEC("xdp")
int tt_var(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;

	if ((void *)(p + 26) > end)
		return XDP_PASS;
	count(0);
	bpf_tail_call(ctx, &jv, p[25] & 15);
	return p[14] & 1 ? XDP_DROP : XDP_PASS;   /* no program in the slot */
}

SEC("xdp")
int tt_const(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;

	if ((void *)(p + 26) > end)
		return XDP_PASS;
	count(1);
	bpf_tail_call(ctx, &jk, 1);
	return XDP_DROP;
}

/* an index from the packet into 128 slots: too many to compile in (PROG) */
SEC("xdp")
int tt_big(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;

	if ((void *)(p + 26) > end)
		return XDP_PASS;
	bpf_tail_call(ctx, &jb, p[25] & 127);
	return p[14] & 1 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int tt_a(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;

	if ((void *)(p + 26) > end)
		return XDP_ABORTED;
	count(2);
	p[0] ^= 0xff;
	return XDP_TX;
}

SEC("xdp")
int tt_b(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *p = data;

	if ((void *)(p + 26) > end)
		return XDP_ABORTED;
	count(3);
	return p[23] == 17 ? XDP_PASS : XDP_TX;
}

char _license[] SEC("license") = "GPL";
