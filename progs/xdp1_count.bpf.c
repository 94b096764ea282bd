/* xdp1_count - count packets per IP protocol and drop them all (the kernel's
 * samples/bpf xdp1, written anew).
 *
 * Parses Ethernet and up to two VLAN tags (802.1Q / 802.1ad), then IPv4
 * (protocol) or IPv6 (next header); anything else counts as protocol 0
 * (frames whose link-layer headers are truncated are not counted).
 *
 * Maps: rxcnt - PERCPU_ARRAY[256] of __u64, key = IP protocol number.
 * Actions: XDP_DROP for every packet.
 */
#include "xdp_lib.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 256);
} rxcnt SEC(".maps");

SEC("xdp")
int xdp1_prog(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	int ipproto;

	ipproto = parse_ip_proto(data, data_end);
	if (ipproto < 0)
		return XDP_DROP;
	percpu_inc(&rxcnt, ipproto);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
