/* xdp_lib.h - small parsing and checksum helpers shared by the XDP programs in
 * progs/ (in the spirit of xdp-tutorial's parsing_helpers.h).
 *
 * Everything here is `static __always_inline`: each program compiles to one
 * self-contained function, as the kernel samples do.  Parsers take the packet
 * bounds and a byte offset, check every access against data_end (so the
 * verifier sees the checks) and return -1 when a header does not fit.
 */
#ifndef XDP_LIB_H
#define XDP_LIB_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef ETH_P_8021Q
#define ETH_P_8021Q 0x8100
#endif
#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

#define VLAN_MAX_DEPTH 2
#define VLAN_VID_MASK 0x0fff

/* 802.1Q / 802.1ad tag as it follows the two MAC addresses. */
struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

/* VLAN ids seen while parsing, outermost first (host order, 12 bits). */
struct vlan_ids {
	__u16 id[VLAN_MAX_DEPTH];
	__u32 count;
};

static __always_inline int proto_is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/* Parse the Ethernet header and up to VLAN_MAX_DEPTH VLAN tags.  On success
 * *off is the offset of the network header and the return value the inner
 * EtherType in host order; -1 if the headers do not fit.  vids may be NULL. */
static __always_inline int parse_eth_vlan(void *data, void *data_end, __u64 *off,
					  struct vlan_ids *vids)
{
	struct ethhdr *eth = data;
	__be16 proto;
	__u64 nh_off = sizeof(*eth);

	if (data + nh_off > data_end)
		return -1;
	proto = eth->h_proto;
#pragma unroll
	for (int i = 0; i < VLAN_MAX_DEPTH; i++) {
		struct vlan_hdr *vh = data + nh_off;

		if (!proto_is_vlan(proto))
			break;
		if ((void *)(vh + 1) > data_end)
			return -1;
		if (vids) {
			vids->id[i] = bpf_ntohs(vh->h_vlan_TCI) & VLAN_VID_MASK;
			vids->count = i + 1;
		}
		proto = vh->h_vlan_encapsulated_proto;
		nh_off += sizeof(*vh);
	}
	*off = nh_off;
	return bpf_ntohs(proto);
}

/* IPv4 5-tuple as flow tables key it (addresses and ports network order;
 * pad must be zero). */
struct flow4_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

/* IP protocol of the packet behind Ethernet and VLAN tags: the IPv4
 * protocol or IPv6 next header, 0 for other EtherTypes or a truncated IP
 * header; -1 if the link-layer headers are truncated. */
static __always_inline int parse_ip_proto(void *data, void *data_end)
{
	struct ipv6hdr *ip6h;
	struct iphdr *iph;
	__u64 nh_off;
	int h_proto;

	h_proto = parse_eth_vlan(data, data_end, &nh_off, NULL);
	if (h_proto < 0)
		return -1;
	if (h_proto == ETH_P_IP) {
		iph = data + nh_off;
		if ((void *)(iph + 1) > data_end)
			return 0;
		return iph->protocol;
	}
	if (h_proto == ETH_P_IPV6) {
		ip6h = data + nh_off;
		if ((void *)(ip6h + 1) > data_end)
			return 0;
		return ip6h->nexthdr;
	}
	return 0;
}

/* Add one to the __u64 counter at key of a per-CPU array (a plain add: no
 * other CPU writes this copy). */
static __always_inline void percpu_inc(void *map, __u32 key)
{
	__u64 *v = bpf_map_lookup_elem(map, &key);

	if (v)
		*v += 1;
}

static __always_inline void swap_src_dst_mac(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

/* Fold a 32-bit one's-complement sum to the 16-bit checksum field value. */
static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Compute the header checksum of an option-less IPv4 header (ihl 5); the
 * caller has checked that the 20 bytes are inside the packet. */
static __always_inline void ipv4_csum_set(struct iphdr *iph)
{
	__u16 *word = (__u16 *)iph;
	__u32 sum = 0;

	iph->check = 0;
#pragma unroll
	for (int i = 0; i < (int)sizeof(*iph) / 2; i++)
		sum += word[i];
	iph->check = csum_fold(sum);
}

/* TCP/UDP ports at l4 (network order); -1 if the header does not fit or the
 * protocol has no ports. */
static __always_inline int parse_ports(void *l4, void *data_end, __u8 proto,
				       __be16 *sport, __be16 *dport)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end)
			return -1;
		*sport = th->source;
		*dport = th->dest;
		return 0;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end)
			return -1;
		*sport = uh->source;
		*dport = uh->dest;
		return 0;
	}
	return -1;
}

/* Prepend an outer IPv4 header (IP-in-IP) in front of the IPv4 packet that
 * follows an option-less Ethernet header: grows the head by 20 bytes with
 * bpf_xdp_adjust_head, writes a new Ethernet header (source = the old
 * destination MAC, destination = dmac) and the outer header with its
 * checksum.  inner_len is the inner packet's tot_len (host order).  Returns
 * 0, or -1 if the head cannot grow. */
static __always_inline int push_ipip4(struct xdp_md *ctx, __be32 saddr, __be32 daddr,
				      const __u8 *dmac, __u8 tos, __u16 inner_len)
{
	void *data, *data_end;
	struct ethhdr *new_eth, *old_eth;
	struct iphdr *outer;

	if (bpf_xdp_adjust_head(ctx, 0 - (int)sizeof(struct iphdr)))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	new_eth = data;
	outer = data + sizeof(*new_eth);
	old_eth = data + sizeof(*outer);
	if ((void *)(outer + 1) > data_end || (void *)(old_eth + 1) > data_end)
		return -1;

	/* The old header overlaps the outer IP header: Ethernet first. */
	__builtin_memcpy(new_eth->h_source, old_eth->h_dest, ETH_ALEN);
	__builtin_memcpy(new_eth->h_dest, dmac, ETH_ALEN);
	new_eth->h_proto = bpf_htons(ETH_P_IP);

	outer->version = 4;
	outer->ihl = sizeof(*outer) >> 2;
	outer->tos = tos;
	outer->tot_len = bpf_htons(inner_len + sizeof(*outer));
	outer->id = 0;
	outer->frag_off = 0;
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	outer->saddr = saddr;
	outer->daddr = daddr;
	ipv4_csum_set(outer);
	return 0;
}

#endif /* XDP_LIB_H */
