/* bad_maptype.bpf.c - an XDP program with a map type jitnic does not model
 * (a bloom filter): loading must fail with one line naming the map. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct { __uint(type, BPF_MAP_TYPE_BLOOM_FILTER); __uint(max_entries, 64); __type(value, __u32); } seen SEC(".maps");

SEC("xdp")
int xdp_bloom(struct xdp_md *ctx)
{
	__u32 v = ctx->rx_queue_index;
	return bpf_map_peek_elem(&seen, &v) ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
