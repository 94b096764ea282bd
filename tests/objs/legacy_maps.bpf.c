/* legacy_maps - maps in the legacy "maps" section: the 20-byte
 * struct bpf_map_def and iproute2's longer struct bpf_elf_map. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct legacy_def {           /* struct bpf_map_def */
	unsigned int type, key_size, value_size, max_entries, map_flags;
};
struct elf_map_def {          /* iproute2's struct bpf_elf_map */
	__u32 type, size_key, size_value, max_elem, flags, id, pinning, inner_id, inner_idx;
};

struct legacy_def counters SEC("maps") = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 4,
};
struct elf_map_def flows SEC("maps") = {
	.type = BPF_MAP_TYPE_LRU_HASH, .size_key = 12, .size_value = 16, .max_elem = 1024,
	.flags = BPF_F_NO_COMMON_LRU, .pinning = 2,
};

SEC("xdp")
int legacy_prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u8 fk[12] = {0};
	__u64 *c = bpf_map_lookup_elem(&counters, &k);

	if (c)
		*c += 1;
	return bpf_map_lookup_elem(&flows, fk) ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
