/* vliw_maps - map lookups the hXDP compiler treats specially: array
 * lookups with a known key (zero bytes, a stored constant) become the
 * element's address; one past the end, a per-CPU array and a hash keyed
 * by packet bytes stay calls.  The keys sit next to other stack bytes a
 * lookup does not read. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 8);
} h SEC(".maps");

SEC("xdp")
int vliw_maps(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	volatile __u32 zero = 0, three = 3, four = 4;
	__u32 k;
	__u64 *v;
	__u8 b;

	if (data + 14 > data_end)
		return XDP_DROP;
	b = *(__u8 *)(data + 13);
	v = bpf_map_lookup_elem(&arr, (__u32 *)&zero);
	if (!v)
		return XDP_ABORTED;
	*v += b;
	v = bpf_map_lookup_elem(&arr, (__u32 *)&three);
	if (v)
		*v += 1;
	v = bpf_map_lookup_elem(&arr, (__u32 *)&four);
	if (v)
		return XDP_ABORTED;
	v = bpf_map_lookup_elem(&pcpu, (__u32 *)&zero);
	if (v)
		*v += 2;
	k = b & 7;
	v = bpf_map_lookup_elem(&h, &k);
	if (v) {
		*v += 1;
	} else {
		__u64 one = 1;
		bpf_map_update_elem(&h, &k, &one, BPF_ANY);
	}
	return b & 1 ? XDP_PASS : XDP_TX;
}

char _license[] SEC("license") = "GPL";
