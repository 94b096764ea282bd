/* adjust_tail - answer oversized IPv4 packets with ICMP "fragmentation
 * needed" (the idea of the kernel's samples/bpf xdp_adjust_tail, written
 * anew).
 *
 * An IPv4 frame longer than max_pckt_size bytes (600 by default, a read-only
 * global) is turned into the ICMP reply in place: the tail is shrunk with
 * bpf_xdp_adjust_tail so that only the first ICMP_QUOTE bytes of the
 * original IP datagram remain, the head grows by an IPv4 + ICMP header with
 * bpf_xdp_adjust_head, and the new headers are written with their checksums:
 * Ethernet addresses swapped, IP source/destination swapped, ICMP type 3
 * code 4 with next-hop MTU = max_pckt_size - 14, the original datagram's
 * start as the quote.  Shorter frames and non-IPv4 frames pass.
 *
 * Maps: .rodata (max_pckt_size); icmpcnt - ARRAY[1] of __u64, replies sent.
 * Actions: XDP_TX (the reply), XDP_PASS (small or non-IPv4), XDP_DROP (an
 * adjustment failed).
 */
#include "xdp_lib.h"

#define ICMP_QUOTE 64 /* bytes of the offending datagram quoted in the reply */
#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4

/* ICMP destination-unreachable header (RFC 792, RFC 1191 next-hop MTU). */
struct icmp_unreach {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 unused;
	__be16 mtu;
};

const volatile __u32 max_pckt_size = 600;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} icmpcnt SEC(".maps");

/* Build the reply in a frame laid out as: 28 new bytes | old Ethernet
 * header | quote.  The result is eth | ip | icmp | quote; the new IP and ICMP
 * headers overwrite the old Ethernet header, so its addresses are read
 * first. */
static __always_inline int build_reply(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct icmp_unreach *icmp = (void *)(iph + 1);
	struct iphdr *orig_iph = (void *)(icmp + 1);
	struct ethhdr *orig_eth = (void *)orig_iph - sizeof(*orig_eth);
	__s64 sum;

	if ((void *)orig_iph + ICMP_QUOTE > data_end)
		return -1;

	__builtin_memcpy(eth->h_dest, orig_eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, orig_eth->h_dest, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);

	iph->version = 4;
	iph->ihl = sizeof(*iph) >> 2;
	iph->tos = 0;
	iph->tot_len = bpf_htons(sizeof(*iph) + sizeof(*icmp) + ICMP_QUOTE);
	iph->id = 0;
	iph->frag_off = 0;
	iph->ttl = 64;
	iph->protocol = IPPROTO_ICMP;
	iph->saddr = orig_iph->daddr;
	iph->daddr = orig_iph->saddr;
	ipv4_csum_set(iph);

	icmp->type = ICMP_DEST_UNREACH;
	icmp->code = ICMP_FRAG_NEEDED;
	icmp->checksum = 0;
	icmp->unused = 0;
	icmp->mtu = bpf_htons(max_pckt_size - sizeof(*eth));
	sum = bpf_csum_diff(0, 0, (void *)icmp, sizeof(*icmp) + ICMP_QUOTE, 0);
	icmp->checksum = csum_fold(sum);
	return 0;
}

SEC("xdp")
int xdp_icmp_too_big(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	int pckt_size = data_end - data;
	int hdr_room = sizeof(struct iphdr) + sizeof(struct icmp_unreach);
	__u32 key = 0;
	__u64 *cnt;

	if ((void *)(iph + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (pckt_size <= (int)max_pckt_size)
		return XDP_PASS;

	/* Keep the Ethernet header and the quote, then grow the head by the
	 * reply's IP and ICMP headers. */
	if (bpf_xdp_adjust_tail(ctx, (int)(sizeof(*eth) + ICMP_QUOTE) - pckt_size))
		return XDP_DROP;
	if (bpf_xdp_adjust_head(ctx, 0 - hdr_room))
		return XDP_DROP;
	if (build_reply(ctx))
		return XDP_DROP;

	cnt = bpf_map_lookup_elem(&icmpcnt, &key);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
