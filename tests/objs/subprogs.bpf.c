/* subprogs - bpf-to-bpf calls: static and global .text functions,
 * nested calls, callbacks (bpf_loop: lddw of a function address), two
 * programs sharing subprograms, a call inside the program section. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __noinline int twice(int x) { return x * 2; }
__noinline int add_twice(int x) { return twice(x) + 1; }

static int loop_cb(__u32 idx, void *data)
{
	*(int *)data += add_twice(idx);
	return 0;
}

SEC("xdp")
int sub_main(struct xdp_md *ctx)
{
	int acc = 0;

	bpf_loop(3, loop_cb, &acc, 0);
	return twice(acc) > 100 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int sub_other(struct xdp_md *ctx)
{
	return add_twice(ctx->rx_queue_index) & 1 ? XDP_PASS : XDP_TX;
}

char _license[] SEC("license") = "GPL";
