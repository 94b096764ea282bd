/* ipv6_exthdr - walk the IPv6 extension-header chain and drop packets that
 * carry a type 0 routing header (deprecated by RFC 5095: it lets a sender
 * bounce traffic through a list of hosts).
 *
 * The walk is a bounded loop (at most MAX_EXT_HDRS headers, which the
 * kernel verifier accepts as a loop): hop-by-hop options, destination
 * options and routing headers are (hdrlen + 1) * 8 bytes long, a fragment
 * header 8 bytes, an authentication header (hdrlen + 2) * 4 bytes.  The walk
 * ends at the first other next-header value (the upper-layer protocol,
 * counted in l4_count) or at a non-first fragment (counted as protocol 44,
 * since its upper-layer header is elsewhere).  Counters for routing-header-0
 * drops, truncated chains and chains longer than the bound are global
 * variables (.bss).  Non-IPv6 frames pass untouched and uncounted.
 *
 * Maps: l4_count - PERCPU_ARRAY[256] of __u64, key = upper-layer protocol;
 *       .bss - rh0_dropped, truncated, too_long (__u64 each).
 * Actions: XDP_DROP (routing header type 0), XDP_PASS (everything else,
 * including truncated and over-long chains, left to the kernel stack).
 */
#include "xdp_lib.h"

#define MAX_EXT_HDRS 8
#define IPV6_SRCRT_TYPE_0 0
#define IP6_OFFSET_MASK 0xFFF8 /* fragment offset bits of frag_off */

/* IPv6 fragment header (RFC 8200 4.5); not in the uapi headers. */
struct ipv6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

__u64 rh0_dropped;
__u64 truncated;
__u64 too_long;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 256);
} l4_count SEC(".maps");

SEC("xdp")
int xdp_ipv6_exthdr(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6h = (void *)(eth + 1);
	void *pos;
	__u8 nexthdr;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IPV6))
		return XDP_PASS;
	if ((void *)(ip6h + 1) > data_end) {
		__sync_fetch_and_add(&truncated, 1);
		return XDP_PASS;
	}
	nexthdr = ip6h->nexthdr;
	pos = ip6h + 1;

	/* A real loop, not unrolled: the verifier walks it up to 8 times. */
#pragma clang loop unroll(disable)
	for (int i = 0; i < MAX_EXT_HDRS; i++) {
		struct ipv6_opt_hdr *opt = pos;

		/* Every extension header starts with nexthdr and a length. */
		if (nexthdr != IPPROTO_HOPOPTS && nexthdr != IPPROTO_ROUTING &&
		    nexthdr != IPPROTO_DSTOPTS && nexthdr != IPPROTO_FRAGMENT &&
		    nexthdr != IPPROTO_AH) {
			percpu_inc(&l4_count, nexthdr);
			return XDP_PASS;
		}
		if ((void *)(opt + 1) > data_end)
			goto trunc;

		switch (nexthdr) {
		case IPPROTO_ROUTING: {
			struct ipv6_rt_hdr *rth = pos;

			if ((void *)(rth + 1) > data_end)
				goto trunc;
			if (rth->type == IPV6_SRCRT_TYPE_0) {
				__sync_fetch_and_add(&rh0_dropped, 1);
				return XDP_DROP;
			}
			pos += (opt->hdrlen + 1) * 8;
			break;
		}
		case IPPROTO_FRAGMENT: {
			struct ipv6_frag_hdr *fh = pos;

			if ((void *)(fh + 1) > data_end)
				goto trunc;
			if (fh->frag_off & bpf_htons(IP6_OFFSET_MASK)) {
				percpu_inc(&l4_count, IPPROTO_FRAGMENT);
				return XDP_PASS;
			}
			pos += sizeof(*fh);
			break;
		}
		case IPPROTO_AH:
			pos += (opt->hdrlen + 2) * 4;
			break;
		default: /* hop-by-hop, destination options */
			pos += (opt->hdrlen + 1) * 8;
			break;
		}
		nexthdr = opt->nexthdr;
	}
	__sync_fetch_and_add(&too_long, 1);
	return XDP_PASS;

trunc:
	__sync_fetch_and_add(&truncated, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
