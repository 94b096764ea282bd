/* core_target - the "kernel" layout for the CO-RE tests: only its BTF is
 * used (btf__parse_elf), as the target core.bpf.c is relocated against. */
#include <linux/types.h>

struct jn_core_hdr {
	__u16 seq;                              /* 0 */
	__u8 kind;                              /* 2 */
	__u8 pad;                               /* 3 */
	__u64 extra;                            /* 8 */
	long delta;                             /* 16 */
	__u16 len;                              /* 24 */
	unsigned int mid : 8, lo : 4, hi : 4;   /* bits 208..223 */
	struct {
		__u16 inner_b;                  /* 28 */
		__u16 inner_a;                  /* 30 */
	};
	__u32 arr[8];                           /* 32 */
};

enum jn_core_color { JN_GREEN = 20, JN_RED = 10 };

struct jn_core_hdr target_hdr;
enum jn_core_color target_color;
