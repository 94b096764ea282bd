/* kern_bad.bpf.c - rejected by the verifier: XDP programs outside a devmap
 * may not read egress_ifindex (tests/unit/test_kern.c). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_bad(struct xdp_md *ctx)
{
	return ctx->egress_ifindex ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
