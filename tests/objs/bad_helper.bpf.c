/* bad_helper.bpf.c - an XDP program calling a helper the kernel allows for
 * XDP but jitnic does not implement (bpf_ktime_get_coarse_ns): refused at
 * load with the helper's name and pc. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_coarse(struct xdp_md *ctx)
{
	return bpf_ktime_get_coarse_ns() & 1 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
