/* ipv6_filter - the IPv6 filter of the JITNIC case study.
 *
 * Drops every frame whose EtherType is not IPv6.  IPv6 frames pass to the
 * kernel stack, and so do malformed frames too short to hold an Ethernet
 * header (the bounds check fails first).  Three paths, three traces.
 *
 * Maps: none.
 * Actions: XDP_PASS (IPv6, or shorter than 14 bytes), XDP_DROP (the rest).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("xdp")
int xdp_ipv6_filter(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return XDP_PASS;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
