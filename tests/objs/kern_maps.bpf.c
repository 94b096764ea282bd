/* kern_maps.bpf.c - maps of several types, global data and a tail call for
 * tests/unit/test_kern.c. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 verdict = XDP_PASS;   /* .rodata: set from the maps file */
__u64 packets = 100;                        /* .data */
__u64 bytes;                                /* .bss */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u8);
	__type(value, __u64);
} by_first SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} percpu SEC(".maps");

struct lpm_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u32);
} routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, __u32);
} fifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 4);
	__type(value, __u16);
} lifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} jmp SEC(".maps");

/* Counts packets by first byte, per CPU and in globals; looks the first
 * four bytes up in routes (value = action); tail-calls jmp[0]. */
SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	unsigned char *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;
	struct lpm_key lk = { .prefixlen = 32 };
	__u32 zero = 0, *pc, *act, popped;
	__u64 one = 1, *cnt;
	__u8 first;

	if (d + 4 > e)
		return XDP_ABORTED;
	first = d[0];
	cnt = bpf_map_lookup_elem(&by_first, &first);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&by_first, &first, &one, BPF_NOEXIST);
	pc = bpf_map_lookup_elem(&percpu, &zero);
	if (pc)
		*pc += 1;
	packets++;
	bytes += e - d;
	if (bpf_map_pop_elem(&fifo, &popped) == 0)
		bytes += popped;
	__builtin_memcpy(lk.addr, d, 4);
	act = bpf_map_lookup_elem(&routes, &lk);
	if (act)
		return *act;
	bpf_tail_call(ctx, &jmp, 0);
	return verdict;
}

SEC("xdp")
int xdp_stage2(struct xdp_md *ctx)
{
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
