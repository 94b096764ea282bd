/* helpers.bpf.c - exercises the XDP helpers jitnic implements, so `jitnic
 * check` can compare each one with the kernel: tail calls through a
 * prog_array, bpf_loop, adjust_meta with metadata in the output,
 * xdp_load/store_bytes, csum_diff, check_mtu, get_buff_len, spin locks,
 * queue push/pop, ringbuf and perf output, redirect. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct val {
	struct bpf_spin_lock lock;
	__u32 n;
	__u64 sum;
};

struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, __u32); } jmp SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 8); __type(key, __u32); __type(value, struct val); } stats SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_QUEUE); __uint(max_entries, 16); __type(value, __u32); } q SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } rb SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, 4); __uint(value_size, 4); } perf SEC(".maps");

static long sum_bytes(__u32 i, void *ctx)
{
	__u64 *acc = ctx;
	*acc += i * 3;
	return *acc > 1000 ? 1 : 0;
}

static void bump(__u32 k, __u64 add)
{
	struct val *v = bpf_map_lookup_elem(&stats, &k);
	if (!v)
		return;
	bpf_spin_lock(&v->lock);
	v->n++;
	v->sum += add;
	bpf_spin_unlock(&v->lock);
}

SEC("xdp")
int xdp_stage2(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 buf[8];

	bump(2, bpf_xdp_get_buff_len(ctx));
	if (bpf_xdp_load_bytes(ctx, 0, buf, sizeof(buf)) == 0) {
		buf[0] ^= 0xff;
		bpf_xdp_store_bytes(ctx, 6, buf, 4);
	}
	if (data + ETH_HLEN > end)
		return XDP_ABORTED;
	return bpf_redirect(7, 0);
}

SEC("xdp")
int xdp_helpers(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u64 acc = 0;
	__u32 mtu = 0, k;
	__be32 from[2] = {1, 2}, to[2] = {3, 4};
	__s64 cs;

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	k = eth->h_dest[5] & 3;
	bump(0, bpf_loop(64, sum_bytes, &acc, 0));
	cs = bpf_csum_diff(from, sizeof(from), to, sizeof(to), eth->h_source[5]);
	bump(1, (__u64)cs);
	if (bpf_check_mtu(ctx, 0, &mtu, 0, 0) == 0)
		bump(3, mtu);
	bpf_map_push_elem(&q, &k, BPF_EXIST);
	if (k == 1) {
		__u32 *r = bpf_ringbuf_reserve(&rb, 8, 0);
		if (r) {
			r[0] = eth->h_proto;
			r[1] = k;
			bpf_ringbuf_submit(r, 0);
		}
		bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU | ((__u64)14 << 32), &k, sizeof(k));
	}
	if (k == 2) {
		if (bpf_xdp_adjust_meta(ctx, -8))
			return XDP_ABORTED;
		__u32 *meta = (void *)(long)ctx->data_meta;
		data = (void *)(long)ctx->data;
		if ((void *)(meta + 2) > data)
			return XDP_ABORTED;
		meta[0] = 0xabcd;
		meta[1] = k;
		return XDP_PASS;
	}
	if (k == 3)
		bpf_tail_call(ctx, &jmp, 0);
	return k == 3 ? XDP_DROP : XDP_TX;
}

char _license[] SEC("license") = "GPL";
