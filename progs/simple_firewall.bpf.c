/* simple_firewall - the stateful firewall of the hXDP paper: connections
 * opened from the inside are allowed back in, everything else from the
 * outside is dropped.
 *
 * "Inside" is a source address in the configured IPv4 prefix (the test
 * harness feeds every packet through one interface, so the side is told by
 * address, not by port).  A TCP or UDP packet from the inside records its
 * 5-tuple in `flows` (creating it, or counting one more packet) and passes.
 * A TCP or UDP packet from the outside passes only if the reverse 5-tuple is
 * in `flows`.  Other IPv4 traffic passes from the inside and is dropped from
 * the outside; non-IPv4 frames are not this firewall's business and pass.
 *
 * Maps: fw_config - ARRAY[1] of struct fw_config (inside prefix and mask);
 *       flows - HASH struct flow4_key -> __u64 packets, max 65536.
 * Actions: XDP_PASS (inside, known replies, non-IPv4), XDP_DROP (the rest,
 * and truncated or malformed IPv4 headers).
 */
#include "xdp_lib.h"

struct fw_config {
	__be32 inside_net;   /* e.g. 10.0.0.0 */
	__be32 inside_mask;  /* e.g. 255.0.0.0 */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct fw_config);
	__uint(max_entries, 1);
} fw_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct flow4_key);
	__type(value, __u64);
	__uint(max_entries, 65536);
} flows SEC(".maps");

SEC("xdp")
int xdp_simple_firewall(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct flow4_key key = {};
	struct fw_config *cfg;
	struct iphdr *iph;
	__u64 one = 1, *pkts;
	__u32 zero = 0;
	__be16 port;
	int inside;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end || iph->ihl < 5)
		return XDP_DROP;
	cfg = bpf_map_lookup_elem(&fw_config, &zero);
	if (!cfg)
		return XDP_DROP;
	inside = (iph->saddr & cfg->inside_mask) == cfg->inside_net;

	key.proto = iph->protocol;
	if (parse_ports((void *)iph + iph->ihl * 4, data_end, key.proto,
			&key.sport, &key.dport))
		return inside ? XDP_PASS : XDP_DROP;

	if (inside) {
		key.saddr = iph->saddr;
		key.daddr = iph->daddr;
		pkts = bpf_map_lookup_elem(&flows, &key);
		if (pkts)
			__sync_fetch_and_add(pkts, 1);
		else
			bpf_map_update_elem(&flows, &key, &one, BPF_NOEXIST);
		return XDP_PASS;
	}

	/* From the outside: the reply direction of an inside flow? */
	key.saddr = iph->daddr;
	key.daddr = iph->saddr;
	port = key.sport;
	key.sport = key.dport;
	key.dport = port;
	if (bpf_map_lookup_elem(&flows, &key))
		return XDP_PASS;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
