/* router_ipv4 - an IPv4 router in XDP (the role of the kernel's samples/bpf
 * xdp_router_ipv4, with its routing table in an LPM trie instead of the
 * kernel FIB).
 *
 * For an IPv4 frame (optionally behind one or two VLAN tags, which are kept)
 * it looks the destination up in the longest-prefix-match table `routes`,
 * rewrites the MAC addresses to the route's (next-hop MAC, egress MAC),
 * decrements the TTL with an incremental checksum update (RFC 1624) and
 * redirects through the devmap `tx_ports` at the route's port.  Whatever it
 * cannot route goes to the kernel stack: non-IPv4, IP options, TTL <= 1
 * (the stack sends time-exceeded), no route, or no device at the port.
 *
 * Maps: routes - LPM_TRIE {prefixlen, IPv4 address} -> struct route;
 *       tx_ports - DEVMAP[64] port -> ifindex;
 *       stats - PERCPU_ARRAY[2] of __u64: [0] forwarded, [1] passed.
 * Actions: XDP_REDIRECT (routed), XDP_PASS (the rest).
 */
#include "xdp_lib.h"

struct route_key {
	__u32 prefixlen;
	__be32 addr;
};

struct route {
	__u32 port;            /* key in tx_ports */
	__u8 dmac[ETH_ALEN];   /* next hop */
	__u8 smac[ETH_ALEN];   /* egress interface */
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct route_key);
	__type(value, struct route);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 64);
} tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} stats SEC(".maps");

enum { STAT_FORWARDED, STAT_PASSED };

static __always_inline int count(__u32 what, int action)
{
	percpu_inc(&stats, what);
	return action;
}

/* TTL - 1 and the matching checksum change: the 16-bit word holding the
 * TTL drops by 0x0100, so the checksum rises by 0x0100 (end-around carry). */
static __always_inline void ip_decrease_ttl(struct iphdr *iph)
{
	__u32 check = iph->check;

	check += bpf_htons(0x0100);
	iph->check = (__sum16)(check + (check >= 0xFFFF));
	iph->ttl--;
}

SEC("xdp")
int xdp_router_ipv4(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct route_key key;
	struct route *rt;
	struct iphdr *iph;
	__u64 nh_off;
	int action;

	if (parse_eth_vlan(data, data_end, &nh_off, NULL) != ETH_P_IP)
		return count(STAT_PASSED, XDP_PASS);
	iph = data + nh_off;
	if ((void *)(iph + 1) > data_end)
		return count(STAT_PASSED, XDP_PASS);
	if (iph->ihl != 5 || iph->ttl <= 1)
		return count(STAT_PASSED, XDP_PASS);

	key.prefixlen = 32;
	key.addr = iph->daddr;
	rt = bpf_map_lookup_elem(&routes, &key);
	if (!rt)
		return count(STAT_PASSED, XDP_PASS);

	/* The low bits of flags are the action when the port is empty; the
	 * redirect itself happens after the program returns. */
	action = bpf_redirect_map(&tx_ports, rt->port, XDP_PASS);
	if (action != XDP_REDIRECT)
		return count(STAT_PASSED, action);
	ip_decrease_ttl(iph);
	__builtin_memcpy(eth->h_dest, rt->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, rt->smac, ETH_ALEN);
	return count(STAT_FORWARDED, action);
}

char LICENSE[] SEC("license") = "GPL";
