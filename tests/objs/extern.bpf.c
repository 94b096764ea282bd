/* extern - a kconfig extern: the loader refuses it by name. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;

SEC("xdp")
int ext_prog(struct xdp_md *ctx)
{
	return LINUX_KERNEL_VERSION > 1 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
