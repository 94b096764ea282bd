/* ddos_ratelimit - per-source packet rate limiting with token buckets.
 *
 * Each IPv4 source address owns a token bucket in an LRU hash (so a flood
 * of spoofed sources evicts old buckets instead of failing): it holds up to
 * `burst` packets and refills at `rate_pps` packets per second, measured
 * with bpf_ktime_get_ns.  Tokens are kept in nanosecond units (one packet =
 * NSEC_PER_SEC), so a refill adds elapsed_ns * rate_pps.  A
 * source seen for the first time starts with a full bucket.  A packet that
 * finds a token passes and takes it; one that finds the bucket empty is
 * dropped.  Non-IPv4 frames pass; truncated IPv4 headers are dropped.
 *
 * Maps: rl_config - ARRAY[1] of struct rl_config {rate_pps, burst};
 *       buckets - LRU_HASH source address -> struct bucket, max 65536;
 *       rl_stats - PERCPU_ARRAY[2] of __u64: [0] passed, [1] dropped.
 * Actions: XDP_PASS, XDP_DROP (over the rate, truncated, or no config).
 */
#include "xdp_lib.h"

#define NSEC_PER_SEC 1000000000ULL

struct rl_config {
	__u64 rate_pps;  /* refill rate, packets per second */
	__u64 burst;     /* bucket depth, packets */
};

struct bucket {
	__u64 tokens;    /* packets * NSEC_PER_SEC */
	__u64 last_ns;   /* time of the last refill */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct rl_config);
	__uint(max_entries, 1);
} rl_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __be32);
	__type(value, struct bucket);
	__uint(max_entries, 65536);
} buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} rl_stats SEC(".maps");

enum { RL_PASSED, RL_DROPPED };

static __always_inline int verdict(__u32 which)
{
	percpu_inc(&rl_stats, which);
	return which == RL_PASSED ? XDP_PASS : XDP_DROP;
}

/* Refill b up to cap for the time elapsed since b->last_ns. */
static __always_inline void refill(struct bucket *b, const struct rl_config *cfg,
				   __u64 cap, __u64 now)
{
	__u64 elapsed = now - b->last_ns;

	if (now < b->last_ns)
		elapsed = 0;
	/* elapsed * rate could overflow: compare against what fills the
	 * bucket first. */
	if (cfg->rate_pps && elapsed >= cap / cfg->rate_pps)
		b->tokens = cap;
	else if (b->tokens + elapsed * cfg->rate_pps > cap)
		b->tokens = cap;
	else
		b->tokens += elapsed * cfg->rate_pps;
	b->last_ns = now;
}

SEC("xdp")
int xdp_ratelimit(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct rl_config *cfg;
	struct iphdr *iph;
	struct bucket *b;
	__u32 zero = 0;
	__u64 now, cap;
	__be32 src;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return verdict(RL_DROPPED);
	cfg = bpf_map_lookup_elem(&rl_config, &zero);
	if (!cfg)
		return XDP_DROP;

	src = iph->saddr;
	now = bpf_ktime_get_ns();
	cap = cfg->burst * NSEC_PER_SEC;
	b = bpf_map_lookup_elem(&buckets, &src);
	if (!b) {
		struct bucket fresh = { .tokens = cap, .last_ns = now };

		if (cap < NSEC_PER_SEC)
			return verdict(RL_DROPPED);
		fresh.tokens -= NSEC_PER_SEC;
		bpf_map_update_elem(&buckets, &src, &fresh, BPF_ANY);
		return verdict(RL_PASSED);
	}

	refill(b, cfg, cap, now);
	if (b->tokens < NSEC_PER_SEC)
		return verdict(RL_DROPPED);
	b->tokens -= NSEC_PER_SEC;
	return verdict(RL_PASSED);
}

char LICENSE[] SEC("license") = "GPL";
