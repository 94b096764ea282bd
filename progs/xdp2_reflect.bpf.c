/* xdp2_reflect - reflect UDP packets back out of the port they came in on
 * (the kernel's samples/bpf xdp2, written anew).
 *
 * Parses Ethernet, up to two VLAN tags, IPv4 or IPv6.  UDP packets get their
 * source and destination MAC addresses swapped and are transmitted back;
 * everything else is dropped.  Every packet whose link-layer headers fit
 * is counted by IP protocol (0 for non-IP).
 *
 * Maps: rxcnt - PERCPU_ARRAY[256] of __u64, key = IP protocol number.
 * Actions: XDP_TX (UDP over IPv4/IPv6, MACs swapped), XDP_DROP (the rest).
 */
#include "xdp_lib.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 256);
} rxcnt SEC(".maps");

SEC("xdp")
int xdp2_prog(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	int rc = XDP_DROP;
	int ipproto;

	ipproto = parse_ip_proto(data, data_end);
	if (ipproto < 0)
		return rc;
	if (ipproto == IPPROTO_UDP) {
		swap_src_dst_mac(data);
		rc = XDP_TX;
	}
	percpu_inc(&rxcnt, ipproto);
	return rc;
}

char LICENSE[] SEC("license") = "GPL";
