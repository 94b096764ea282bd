/* kern_probe.bpf.c - probes the XDP frame BPF_PROG_TEST_RUN builds
 * (tests/unit/test_kern.c, docs/xdp-context.md).  cfg[] says what to do,
 * res[] says what the program saw. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum { CFG_META, CFG_HEAD, CFG_TAIL, CFG_ACTION, CFG_IFINDEX, CFG_FLAGS, CFG_KEY };
enum {
	RES_LEN, RES_METALEN, RES_IFINDEX, RES_RXQ, RES_CPU, RES_META_RET, RES_HEAD_RET,
	RES_TAIL_RET, RES_LEN_AFTER, RES_METALEN_AFTER, RES_BUFF_LEN, RES_MAX
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __s64);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RES_MAX);
	__type(key, __u32);
	__type(value, __s64);
} res SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} ports SEC(".maps");

static __always_inline void put(__u32 k, __s64 v)
{
	bpf_map_update_elem(&res, &k, &v, BPF_ANY);
}

static __always_inline __s64 get(__u32 k)
{
	__s64 *p = bpf_map_lookup_elem(&cfg, &k);
	return p ? *p : 0;
}

/* Reports lengths, ctx fields and the CPU; moves meta, head and tail by the
 * configured deltas; marks the first byte of the packet (0xee) and the
 * first word of the metadata (0xaabbccdd); returns the configured action. */
SEC("xdp")
int xdp_adjust(struct xdp_md *ctx)
{
	__s64 meta = get(CFG_META), head = get(CFG_HEAD), tail = get(CFG_TAIL);
	__s64 act = get(CFG_ACTION);
	unsigned char *d, *e, *m;

	put(RES_LEN, ctx->data_end - ctx->data);
	put(RES_METALEN, ctx->data - ctx->data_meta);
	put(RES_IFINDEX, ctx->ingress_ifindex);
	put(RES_RXQ, ctx->rx_queue_index);
	put(RES_CPU, bpf_get_smp_processor_id());
	if (meta)
		put(RES_META_RET, bpf_xdp_adjust_meta(ctx, (int)meta));
	if (head)
		put(RES_HEAD_RET, bpf_xdp_adjust_head(ctx, (int)head));
	if (tail)
		put(RES_TAIL_RET, bpf_xdp_adjust_tail(ctx, (int)tail));
	put(RES_LEN_AFTER, ctx->data_end - ctx->data);
	put(RES_METALEN_AFTER, ctx->data - ctx->data_meta);
	put(RES_BUFF_LEN, bpf_xdp_get_buff_len(ctx));
	d = (void *)(long)ctx->data;
	e = (void *)(long)ctx->data_end;
	m = (void *)(long)ctx->data_meta;
	if (m + 4 <= d)
		*(__u32 *)m = 0xaabbccdd;
	if (d + 1 <= e)
		d[0] = 0xee;
	return (int)act;
}

SEC("xdp")
int xdp_redirect(struct xdp_md *ctx)
{
	return bpf_redirect((__u32)get(CFG_IFINDEX), (__u64)get(CFG_FLAGS));
}

SEC("xdp")
int xdp_redirect_map(struct xdp_md *ctx)
{
	return bpf_redirect_map(&ports, (__u32)get(CFG_KEY), (__u64)get(CFG_FLAGS));
}

/* A section libbpf does not know: jitnic loads it as XDP. */
SEC("xdp_odd")
int xdp_odd_section(struct xdp_md *ctx)
{
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
