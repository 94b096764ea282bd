/* btf_maps - BTF .maps definitions of every encoding, and XDP programs in
 * every XDP section form (several per section), plus one tc program that
 * is listed but not runnable.  Used by tests/unit/test_obj.c. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct pair { __u32 a; __u64 b; };
struct lpm_key { __u32 prefixlen; __u32 addr; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct pair);
	__uint(max_entries, 128);
} by_type SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 24);
	__uint(max_entries, 8);
} by_size SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm_key);
	__type(value, __u32);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_NONE);
} lpm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(key_size, 4);
	__uint(value_size, 4);
	__uint(max_entries, 4);
} devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(key_size, 4);
	__uint(value_size, 4);
	__uint(max_entries, 2);
} jmp SEC(".maps");

SEC("xdp")
int prog_a(struct xdp_md *ctx)
{
	__u32 k = 1;
	struct pair *p = bpf_map_lookup_elem(&by_type, &k);

	if (p)
		return XDP_DROP;
	bpf_tail_call(ctx, &jmp, 0);
	return bpf_redirect_map(&devs, 0, XDP_PASS);
}

SEC("xdp")
int prog_b(struct xdp_md *ctx)
{
	__u32 k = 2;
	__u64 *v = bpf_map_lookup_elem(&by_size, &k);

	return v ? XDP_TX : XDP_PASS;
}

SEC("xdp/second")
int prog_second(struct xdp_md *ctx)
{
	struct lpm_key key = { 32, 7 };

	return bpf_map_lookup_elem(&lpm, &key) ? XDP_DROP : XDP_PASS;
}

SEC("xdp.frags")
int prog_frags(struct xdp_md *ctx) { return XDP_PASS; }

SEC("xdp.frags/named")
int prog_frags_named(struct xdp_md *ctx) { return XDP_DROP; }

SEC("xdp_devmap/dm")
int prog_devmap(struct xdp_md *ctx) { return XDP_PASS; }

SEC("xdp_cpumap/cm")
int prog_cpumap(struct xdp_md *ctx) { return XDP_PASS; }

SEC("tc")
int prog_tc(struct __sk_buff *skb)
{
	__u32 k = 3;

	return bpf_map_lookup_elem(&by_size, &k) ? 1 : 0;
}

char _license[] SEC("license") = "Dual BSD/GPL";
