/* lb_katran - an L4 load balancer in the style of Facebook's Katran (the
 * second real-world application of the hXDP paper), written anew.
 *
 * A TCP or UDP packet to a virtual IP (address, port, protocol in `vips`;
 * a VIP entry with port 0 serves every port) is sent to one backend ("real")
 * and the choice sticks per connection:
 *   1. the LRU connection table `conn_table` (5-tuple -> real) is asked;
 *   2. on a miss, a hash of the 5-tuple (without the source port for VIPs
 *      with F_HASH_NO_SRC_PORT) picks a slot in the VIP's consistent-hash
 *      ring `ch_rings` (RING_SIZE slots per VIP -> real index) and the choice
 *      is stored in the connection table.
 * The packet is then encapsulated IP-in-IP with bpf_xdp_adjust_head: outer
 * source 172.16.x.y (x.y from the flow, so backends can spread flows over
 * their RX queues), outer destination the real's address, Ethernet to the
 * default gateway's MAC from `ctl_array`; and sent back with XDP_TX.
 * Per-VIP packets and bytes are counted in `stats` (slot MAX_VIPS counts
 * connection-table misses).  Like Katran, IPv4 options and fragments are
 * dropped; non-IPv4, non-TCP/UDP and non-VIP traffic passes.
 *
 * Maps: vips - HASH struct vip_key -> struct vip_meta;
 *       ch_rings - ARRAY[MAX_VIPS * RING_SIZE] of __u32 real index;
 *       reals - ARRAY[MAX_REALS] of struct real_definition;
 *       conn_table - LRU_HASH struct flow4_key -> __u32 real index;
 *       ctl_array - ARRAY[1] of struct ctl_value (gateway MAC);
 *       stats - PERCPU_ARRAY[MAX_VIPS + 1] of struct lb_stats.
 * Actions: XDP_TX (encapsulated), XDP_PASS (not for a VIP), XDP_DROP
 * (options, fragments, truncated, no gateway, empty ring slot or real).
 */
#include "xdp_lib.h"

#define MAX_VIPS 16
#define RING_SIZE 61          /* prime, as Katran's ring sizes are */
#define MAX_REALS 256
#define F_HASH_NO_SRC_PORT 0x1
#define IPIP_V4_PREFIX 0xAC100000 /* 172.16.0.0 */
#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF

struct vip_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct vip_meta {
	__u32 flags;
	__u32 vip_num;   /* < MAX_VIPS: ring and stats index */
};

struct real_definition {
	__be32 dst;
	__u32 flags;
};

struct ctl_value {
	__u8 mac[ETH_ALEN];
	__u16 pad;
};

struct lb_stats {
	__u64 v1;  /* packets (slot MAX_VIPS: connection-table misses) */
	__u64 v2;  /* bytes */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct vip_key);
	__type(value, struct vip_meta);
	__uint(max_entries, MAX_VIPS);
} vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, MAX_VIPS * RING_SIZE);
} ch_rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct real_definition);
	__uint(max_entries, MAX_REALS);
} reals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct flow4_key);
	__type(value, __u32);
	__uint(max_entries, 65536);
} conn_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct ctl_value);
	__uint(max_entries, 1);
} ctl_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct lb_stats);
	__uint(max_entries, MAX_VIPS + 1);
} stats SEC(".maps");

/* A 32-bit avalanche step (the murmur3 finaliser's shifts and odd
 * multipliers): every input bit affects every output bit. */
static __always_inline __u32 mix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

static __always_inline __u32 flow_hash(const struct flow4_key *flow, int with_sport)
{
	__u32 ports = ((__u32)(with_sport ? flow->sport : 0) << 16) | flow->dport;
	__u32 h;

	h = mix32(flow->saddr);
	h = mix32(h ^ flow->daddr);
	h = mix32(h ^ ports);
	return mix32(h ^ flow->proto);
}

static __always_inline void count_stats(__u32 idx, __u64 bytes)
{
	struct lb_stats *st = bpf_map_lookup_elem(&stats, &idx);

	if (st) {
		st->v1 += 1;
		st->v2 += bytes;
	}
}

/* The real for this flow: connection table first, ring on a miss.
 * Returns NULL if the ring slot or the real is missing. */
static __always_inline struct real_definition *pick_real(struct flow4_key *flow,
							 const struct vip_meta *meta)
{
	__u32 *real_idx, ring_key, idx;

	real_idx = bpf_map_lookup_elem(&conn_table, flow);
	if (!real_idx) {
		ring_key = meta->vip_num * RING_SIZE +
			   flow_hash(flow, !(meta->flags & F_HASH_NO_SRC_PORT)) % RING_SIZE;
		real_idx = bpf_map_lookup_elem(&ch_rings, &ring_key);
		if (!real_idx)
			return NULL;
		idx = *real_idx;
		bpf_map_update_elem(&conn_table, flow, &idx, BPF_ANY);
		count_stats(MAX_VIPS, 0);
	} else {
		idx = *real_idx;
	}
	return bpf_map_lookup_elem(&reals, &idx);
}

SEC("xdp")
int balancer_ingress(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct real_definition *real;
	struct flow4_key flow = {};
	struct vip_key vip = {};
	struct vip_meta *meta;
	struct ctl_value *gw;
	struct iphdr *iph;
	__u32 zero = 0, src;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return XDP_DROP;
	if (iph->ihl != 5)
		return XDP_DROP;
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return XDP_DROP;
	if (iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP)
		return XDP_PASS;

	flow.saddr = iph->saddr;
	flow.daddr = iph->daddr;
	flow.proto = iph->protocol;
	if (parse_ports(iph + 1, data_end, flow.proto, &flow.sport, &flow.dport))
		return XDP_DROP;

	vip.addr = flow.daddr;
	vip.port = flow.dport;
	vip.proto = flow.proto;
	meta = bpf_map_lookup_elem(&vips, &vip);
	if (!meta) {
		vip.port = 0;
		meta = bpf_map_lookup_elem(&vips, &vip);
		if (!meta)
			return XDP_PASS;
	}
	count_stats(meta->vip_num, data_end - data);

	gw = bpf_map_lookup_elem(&ctl_array, &zero);
	if (!gw)
		return XDP_DROP;
	real = pick_real(&flow, meta);
	if (!real || !real->dst)
		return XDP_DROP;

	src = IPIP_V4_PREFIX | ((bpf_ntohs(flow.sport) ^ bpf_ntohl(flow.saddr)) & 0xffff);
	if (push_ipip4(ctx, bpf_htonl(src), real->dst, gw->mac, iph->tos,
		       bpf_ntohs(iph->tot_len)))
		return XDP_DROP;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
