/* vlan_classifier - steer frames by their 802.1Q / 802.1ad (QinQ) tags.
 *
 * Parses up to two VLAN tags (TPID 0x8100 or 0x88a8) and looks the VLAN ids
 * up in `vlan_policy`: first the exact {outer, inner} pair, then, for QinQ
 * frames, {outer, 0} (any inner tag).  Untagged frames use the key {0, 0}.
 * A policy gives the action: XDP_DROP, XDP_PASS, XDP_TX, or XDP_REDIRECT to
 * `port` in the devmap `vlan_ports` (dropped if the port is empty); with
 * VLAN_POP the outer tag is removed first (bpf_xdp_adjust_head, the MAC
 * addresses move up by four bytes).  Frames without a policy pass.  Packets
 * and bytes are counted per outer VLAN id (untagged: 0).
 *
 * Maps: vlan_policy - HASH struct vlan_key -> struct vlan_policy;
 *       vlan_ports - DEVMAP[64] port -> ifindex;
 *       vlan_stats - PERCPU_ARRAY[4096] of struct vlan_count.
 * Actions: the policy's, XDP_PASS without one, XDP_DROP for truncated tags,
 * a failed pop or an empty redirect port, XDP_ABORTED for a policy action
 * out of range.
 */
#include "xdp_lib.h"

#define VLAN_POP 0x1

struct vlan_key {
	__u16 outer;  /* VLAN id, host order; 0: untagged */
	__u16 inner;  /* 0: single tag, or any inner tag */
};

struct vlan_policy {
	__u32 action;
	__u32 port;   /* vlan_ports key for XDP_REDIRECT */
	__u32 flags;
};

struct vlan_count {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct vlan_key);
	__type(value, struct vlan_policy);
	__uint(max_entries, 4096);
} vlan_policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 64);
} vlan_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct vlan_count);
	__uint(max_entries, 4096);
} vlan_stats SEC(".maps");

/* Remove the outer tag: the two MAC addresses move up by one tag, and the
 * tag's encapsulated EtherType becomes the frame's EtherType. */
static __always_inline int pop_outer_tag(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 macs[2 * ETH_ALEN];

	if (data + sizeof(struct ethhdr) + sizeof(struct vlan_hdr) > data_end)
		return -1;
	__builtin_memcpy(macs, data, sizeof(macs));
	if (bpf_xdp_adjust_head(ctx, (int)sizeof(struct vlan_hdr)))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + sizeof(macs) > data_end)
		return -1;
	__builtin_memcpy(data, macs, sizeof(macs));
	return 0;
}

SEC("xdp")
int xdp_vlan_classifier(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct vlan_ids vids = {};
	struct vlan_key key = {};
	struct vlan_policy *pol;
	struct vlan_count *cnt;
	__u32 stat_idx;
	__u64 nh_off;

	if (parse_eth_vlan(data, data_end, &nh_off, &vids) < 0)
		return XDP_DROP;
	if (vids.count > 0)
		key.outer = vids.id[0];
	if (vids.count > 1)
		key.inner = vids.id[1];

	stat_idx = key.outer;
	cnt = bpf_map_lookup_elem(&vlan_stats, &stat_idx);
	if (cnt) {
		cnt->packets++;
		cnt->bytes += data_end - data;
	}

	pol = bpf_map_lookup_elem(&vlan_policy, &key);
	if (!pol && key.inner) {
		key.inner = 0;
		pol = bpf_map_lookup_elem(&vlan_policy, &key);
	}
	if (!pol)
		return XDP_PASS;

	if ((pol->flags & VLAN_POP) && vids.count > 0 && pop_outer_tag(ctx))
		return XDP_DROP;

	switch (pol->action) {
	case XDP_DROP:
	case XDP_PASS:
	case XDP_TX:
		return pol->action;
	case XDP_REDIRECT:
		return bpf_redirect_map(&vlan_ports, pol->port, XDP_DROP);
	default:
		return XDP_ABORTED;
	}
}

char LICENSE[] SEC("license") = "GPL";
