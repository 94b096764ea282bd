/* tx_ip_tunnel - IP-in-IP encapsulation of traffic to virtual IPs, sent back
 * out of the receiving port (the kernel's samples/bpf xdp_tx_iptunnel,
 * written anew).
 *
 * For an IPv4 (or IPv6) packet whose (destination address, destination
 * port, protocol) is a VIP in vip2tnl, it grows the head with
 * bpf_xdp_adjust_head, writes a new Ethernet header (to the tunnel's
 * next-hop MAC, from the MAC the packet was sent to) and an outer IPv4
 * header, protocol IPPROTO_IPIP (outer IPv6, next header IPPROTO_IPV6, for
 * IPv6), addressed from the tunnel source to the tunnel endpoint, and
 * returns XDP_TX.  Ports count for TCP and UDP; other protocols match a VIP
 * with port 0.  Packets are counted per IP protocol.
 *
 * Maps: vip2tnl - HASH struct vip -> struct iptnl_info;
 *       rxcnt - PERCPU_ARRAY[256] of __u64, key = IP protocol.
 * Actions: XDP_TX (encapsulated), XDP_PASS (no VIP, IPv4 options, not IP,
 * tunnel of the other family), XDP_DROP (truncated, or the head cannot grow).
 */
#include "xdp_lib.h"

#define AF_INET 2
#define AF_INET6 10

struct vip {
	__be32 daddr[4];  /* IPv4: daddr[0] */
	__be16 dport;
	__u8 family;
	__u8 protocol;
};

struct iptnl_info {
	__be32 saddr[4];  /* IPv4: [0] */
	__be32 daddr[4];
	__u8 family;
	__u8 pad;
	__u8 dmac[ETH_ALEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct vip);
	__type(value, struct iptnl_info);
	__uint(max_entries, 256);
} vip2tnl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 256);
} rxcnt SEC(".maps");

/* Destination port for the VIP key: 0 for port-less protocols, -1 if a TCP
 * or UDP header is truncated. */
static __always_inline int vip_dport(void *l4, void *data_end, __u8 proto, __be16 *dport)
{
	__be16 sport;

	*dport = 0;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return 0;
	return parse_ports(l4, data_end, proto, &sport, dport);
}

static __always_inline int handle_ipv4(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct iphdr *iph = data + sizeof(struct ethhdr);
	struct iptnl_info *tnl;
	struct vip vip = {};

	if ((void *)(iph + 1) > data_end)
		return XDP_DROP;
	if (iph->ihl != 5)
		return XDP_PASS;
	percpu_inc(&rxcnt, iph->protocol);
	if (vip_dport(iph + 1, data_end, iph->protocol, &vip.dport))
		return XDP_DROP;
	vip.family = AF_INET;
	vip.protocol = iph->protocol;
	vip.daddr[0] = iph->daddr;

	tnl = bpf_map_lookup_elem(&vip2tnl, &vip);
	if (!tnl || tnl->family != AF_INET)
		return XDP_PASS;
	if (push_ipip4(ctx, tnl->saddr[0], tnl->daddr[0], tnl->dmac, 0,
		       bpf_ntohs(iph->tot_len)))
		return XDP_DROP;
	return XDP_TX;
}

static __always_inline int handle_ipv6(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ipv6hdr *ip6h = data + sizeof(struct ethhdr);
	struct ethhdr *new_eth, *old_eth;
	struct iptnl_info *tnl;
	struct vip vip = {};
	__u16 inner_len;

	if ((void *)(ip6h + 1) > data_end)
		return XDP_DROP;
	percpu_inc(&rxcnt, ip6h->nexthdr);
	if (vip_dport(ip6h + 1, data_end, ip6h->nexthdr, &vip.dport))
		return XDP_DROP;
	vip.family = AF_INET6;
	vip.protocol = ip6h->nexthdr;
	__builtin_memcpy(vip.daddr, &ip6h->daddr, sizeof(vip.daddr));

	tnl = bpf_map_lookup_elem(&vip2tnl, &vip);
	if (!tnl || tnl->family != AF_INET6)
		return XDP_PASS;
	inner_len = bpf_ntohs(ip6h->payload_len) + sizeof(*ip6h);

	if (bpf_xdp_adjust_head(ctx, 0 - (int)sizeof(struct ipv6hdr)))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	new_eth = data;
	ip6h = data + sizeof(*new_eth);
	old_eth = data + sizeof(*ip6h);
	if ((void *)(ip6h + 1) > data_end)
		return XDP_DROP;

	/* The old Ethernet header lies under the outer IPv6 header. */
	__builtin_memcpy(new_eth->h_source, old_eth->h_dest, ETH_ALEN);
	__builtin_memcpy(new_eth->h_dest, tnl->dmac, ETH_ALEN);
	new_eth->h_proto = bpf_htons(ETH_P_IPV6);

	ip6h->version = 6;
	ip6h->priority = 0;
	__builtin_memset(ip6h->flow_lbl, 0, sizeof(ip6h->flow_lbl));
	ip6h->payload_len = bpf_htons(inner_len);
	ip6h->nexthdr = IPPROTO_IPV6;
	ip6h->hop_limit = 8;
	__builtin_memcpy(&ip6h->saddr, tnl->saddr, sizeof(ip6h->saddr));
	__builtin_memcpy(&ip6h->daddr, tnl->daddr, sizeof(ip6h->daddr));
	return XDP_TX;
}

SEC("xdp")
int xdp_tx_iptunnel(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return handle_ipv4(ctx);
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return handle_ipv6(ctx);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
