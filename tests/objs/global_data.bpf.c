/* global_data - global variables in .data, .rodata, .bss, custom
 * .data.<x> / .rodata.<x> sections and string literals, read and written
 * at non-zero offsets (symbol + addend relocations). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 data_first = 0x1111;
__u32 data_second = 0x2222;                 /* .data + 8 */
const volatile __u32 ro_first = 7;
const volatile __u64 ro_second = 0x55aa;    /* .rodata + 8 */
__u64 bss_first;
__u32 bss_second[4];                        /* .bss + 8 */
static __u32 static_counter;                /* .bss, referenced via section symbol */
static __u32 static_one = 1;                /* .data: section symbol + addend in imm */
static __u32 static_two = 2;
__u32 custom_data SEC(".data.custom") = 0xc0ffee;
const volatile __u16 custom_ro[3] SEC(".rodata.custom") = { 1, 2, 3 };

SEC("xdp")
int data_prog(struct xdp_md *ctx)
{
	static_counter++;
	static_two += static_one;
	bss_second[2] = data_second + ro_first;
	bss_first += ro_second + data_first;
	custom_data += custom_ro[2];
	return static_counter > 3 ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
