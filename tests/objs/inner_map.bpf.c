/* inner_map - a map of maps (field "values"): refused clearly. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__type(key, __u32);
	__uint(max_entries, 2);
	__array(values, struct inner);
} outer SEC(".maps");

SEC("xdp")
int inner_prog(struct xdp_md *ctx)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&outer, &k) ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
