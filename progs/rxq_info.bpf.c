/* rxq_info - per-RX-queue packet counters with a configurable action (the
 * kernel's samples/bpf xdp_rxq_info, written anew).
 *
 * Every packet is counted globally and on its receive queue
 * (ctx->rx_queue_index).  The configuration says which action to return,
 * which ingress interface is expected (a packet from another one counts as
 * an "issue"; 0 accepts any) and options: OPT_READ_MEM reads the EtherType
 * (an 802.3 length field instead of a type is an issue), OPT_SWAP_MAC swaps the MAC addresses (for an XDP_TX action).
 * Queue numbers beyond the map count as issues on the global record.
 *
 * Maps: config - ARRAY[1] of struct config (action, ifindex, options);
 *       stats_global - PERCPU_ARRAY[1] of struct datarec;
 *       rx_queue_index_map - PERCPU_ARRAY[MAX_RXQ] of struct datarec.
 * Actions: config.action (XDP_PASS in the maps file; an all-zero config
 * means XDP_ABORTED); XDP_DROP when an option needs a header that is not
 * there.
 */
#include "xdp_lib.h"

#define MAX_RXQ 64

enum {
	OPT_READ_MEM = 0x1,
	OPT_SWAP_MAC = 0x2,
};

struct config {
	__u32 action;
	__u32 ifindex;
	__u32 options;
};

struct datarec {
	__u64 processed;
	__u64 issue;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct config);
	__uint(max_entries, 1);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct datarec);
	__uint(max_entries, 1);
} stats_global SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct datarec);
	__uint(max_entries, MAX_RXQ);
} rx_queue_index_map SEC(".maps");

SEC("xdp")
int xdp_rxq_info(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct datarec *rec, *rxq_rec;
	__u32 key = 0, qid;
	struct config *cfg;

	/* Array lookups with key 0 cannot fail, but the verifier wants the
	 * NULL checks. */
	cfg = bpf_map_lookup_elem(&config, &key);
	if (!cfg)
		return XDP_ABORTED;
	rec = bpf_map_lookup_elem(&stats_global, &key);
	if (!rec)
		return XDP_ABORTED;
	rec->processed++;

	/* A packet from an unexpected device is counted, not refused. */
	if (cfg->ifindex && ctx->ingress_ifindex != cfg->ifindex)
		rec->issue++;

	qid = ctx->rx_queue_index;
	rxq_rec = bpf_map_lookup_elem(&rx_queue_index_map, &qid);
	if (!rxq_rec) {
		rec->issue++;
		return cfg->action;
	}
	rxq_rec->processed++;
	if (cfg->ifindex && ctx->ingress_ifindex != cfg->ifindex)
		rxq_rec->issue++;

	if (cfg->options & (OPT_READ_MEM | OPT_SWAP_MAC)) {
		if ((void *)(eth + 1) > data_end)
			return XDP_DROP;
		if ((cfg->options & OPT_READ_MEM) &&
		    bpf_ntohs(eth->h_proto) < ETH_P_802_3_MIN)
			rxq_rec->issue++;
		if (cfg->options & OPT_SWAP_MAC)
			swap_src_dst_mac(eth);
	}
	return cfg->action;
}

char LICENSE[] SEC("license") = "GPL";
