/* core - one tiny XDP program per CO-RE relocation kind, so a test can read
 * the relocated value from the first instruction (r0 = value) or from the
 * one load.  Types from core_types.h; the expected values against
 * core_target.bpf.c's layout are in tests/unit/test_obj.c. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "core_types.h"

#define VALUE_PROG(name, expr) \
	SEC("xdp") int name(struct xdp_md *ctx) { return (expr); }

VALUE_PROG(off_seq, bpf_core_field_offset(struct jn_core_hdr, seq))
VALUE_PROG(off_inner_a, bpf_core_field_offset(struct jn_core_hdr, inner_a))
VALUE_PROG(off_arr2, bpf_core_field_offset(struct jn_core_hdr, arr[2]))
VALUE_PROG(exists_gone, bpf_core_field_exists(struct jn_core_hdr, gone))
VALUE_PROG(exists_seq, bpf_core_field_exists(struct jn_core_hdr, seq))
VALUE_PROG(size_len, bpf_core_field_size(struct jn_core_hdr, len))
VALUE_PROG(size_delta, bpf_core_field_size(struct jn_core_hdr, delta))
VALUE_PROG(signed_delta, __builtin_preserve_field_info(((struct jn_core_hdr *)0)->delta, BPF_FIELD_SIGNED))
VALUE_PROG(lshift_hi, __builtin_preserve_field_info(((struct jn_core_hdr *)0)->hi, BPF_FIELD_LSHIFT_U64))
VALUE_PROG(rshift_hi, __builtin_preserve_field_info(((struct jn_core_hdr *)0)->hi, BPF_FIELD_RSHIFT_U64))
VALUE_PROG(type_exists_missing, bpf_core_type_exists(struct jn_core_missing))
VALUE_PROG(type_exists_hdr, bpf_core_type_exists(struct jn_core_hdr))
VALUE_PROG(type_size_hdr, bpf_core_type_size(struct jn_core_hdr))
VALUE_PROG(type_id_target, bpf_core_type_id_kernel(struct jn_core_hdr))
VALUE_PROG(enum_exists_gone, bpf_core_enum_value_exists(enum jn_core_color, JN_GONE))
VALUE_PROG(enum_value_green, bpf_core_enum_value(enum jn_core_color, JN_GREEN))
VALUE_PROG(eth_proto_off, bpf_core_field_offset(struct ethhdr___jn, h_proto))

#define LOAD_PROG(name, field) \
	SEC("xdp") int name(struct xdp_md *ctx) \
	{ \
		struct jn_core_hdr *h = (void *)(long)ctx->data; \
		if ((void *)(h + 1) > (void *)(long)ctx->data_end) \
			return 0; \
		return h->field; \
	}

LOAD_PROG(load_len, len)      /* ldxh, offset moves */
LOAD_PROG(load_seq, seq)      /* ldxw becomes ldxh */
LOAD_PROG(load_flags, flags)  /* poisoned: no such field */
LOAD_PROG(load_delta, delta)  /* poisoned: signed int changes size */

char _license[] SEC("license") = "GPL";
