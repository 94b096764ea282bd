/* core_types.h - a small "vmlinux-like" header for the CO-RE tests: the
 * object's view of types whose real layout comes from the target BTF
 * (core_target.bpf.c defines them differently). */
#ifndef CORE_TYPES_H
#define CORE_TYPES_H

#include <linux/types.h>

struct jn_core_hdr {
	__u8 kind;                   /* 0 */
	__u8 flags;                  /* 1: missing in the target */
	__u16 len;                   /* 2 */
	__u32 seq;                   /* 4: __u16 in the target */
	int delta;                   /* 8: long in the target */
	unsigned int lo : 4, hi : 4; /* 12 */
	struct {
		__u16 inner_a;       /* 16 */
		__u16 inner_b;       /* 18 */
	};
	__u32 arr[4];                /* 20 */
	__u64 gone;                  /* 40: missing in the target */
} __attribute__((preserve_access_index));

struct jn_core_missing {
	int x;
} __attribute__((preserve_access_index));

enum jn_core_color { JN_RED = 1, JN_GREEN = 2, JN_GONE = 9 };

/* struct ethhdr as the kernel has it, seen through a flavour with one field */
struct ethhdr___jn {
	unsigned short h_proto;
} __attribute__((preserve_access_index));

#endif
