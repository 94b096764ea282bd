/* vm_internal.h - the interpreter's pre-decoded program form. */
#ifndef JN_VM_INTERNAL_H
#define JN_VM_INTERNAL_H

#include "vm/vm.h"

/* One pre-decoded slot: 16 bytes, aligned, everything the handler needs
 * already computed (sign-extended immediates, absolute jump targets, the
 * 64-bit lddw value, the helper pointer's index). */
struct jn_vinsn {
	uint8_t op;        /* enum jn_op (table order) */
	uint8_t dst, src;
	uint8_t back;      /* jump: backward (counts against the budget) */
	int32_t off;       /* memory offset; jump/call: absolute target pc */
	uint64_t imm;      /* sign-extended imm; lddw: the 64-bit value */
};
_Static_assert(sizeof(struct jn_vinsn) == 16, "pre-decoded slots are 16 bytes");
_Static_assert(JN_OP__COUNT <= 255, "op fits a byte");

/* Super-instructions the loader forms from common pairs (fuse.c):
 * _(NAME, slots it stands for). */
#define JN_VM_SUPEROPS(_) \
	_(MOVADD, 2)   /* rD = rS; rD += K  ->  rD = rS + K (pointer arithmetic) */ \
	_(BOUNDS, 3)   /* rD = rS; rD += K; if rD > rX goto T (the packet bounds check) */ \
	_(BOUNDSK, 4)  /* the same with rM = K2 before the jump */ \
	_(BYTEOR, 3)   /* rA = *(u8 *)(rS + o); rA <<= K; rB |= rA (unaligned field) */ \
	_(BYTEORD, 3)  /* rA = *(u8 *)(rS + o); rA <<= K; rA |= rB */ \
	/* frame-pointer accesses: their offsets were checked at load, none at run time */ \
	_(LDXB_FP, 1) _(LDXH_FP, 1) _(LDXW_FP, 1) _(LDXDW_FP, 1) \
	_(STXB_FP, 1) _(STXH_FP, 1) _(STXW_FP, 1) _(STXDW_FP, 1) \
	_(STB_FP, 1) _(STH_FP, 1) _(STW_FP, 1) _(STDW_FP, 1) \
	/* rD = *(u32 *)(rS + o) where rS is likely the XDP context: checked \
	 * (rS == ctx) at run time, then read from struct jn_vm_run at offset \
	 * imm: a pointer (data, data_end, data_meta) or a u32 field */ \
	_(LDXW_CTXP, 1) _(LDXW_CTX32, 1) \
	/* chains over the ops above (fuse.c, second pass) */ \
	_(CTXP2, 2)    /* two context pointer loads */ \
	_(CALLM, 5)    /* MOVADD (key pointer); lddw (map); call */ \
	_(LDDW_CALL, 3) \
	_(RETK, 2)     /* r0 = K; exit */ \
	_(MOVK_JEQK, 2) _(MOVK_JNEK, 2)  /* rD = K; if rA ==/!= K2 goto */ \
	_(LDH2, 4)     /* rA = *(u8 *)(rS + o); BYTEORD of the neighbouring byte into rB: one 2-byte check */ \
	_(RMW64K, 3) _(RMW64X, 3)  /* rX = *(u64 *)(rB + o); rX += K or rY; *(u64 *)(rB + o) = rX */ \
	_(RMW64Y, 3)   /* rX = *(u64 *)(rB + o); rY += rX; *(u64 *)(rB + o) = rY */ \
	/* a load stored at once to the stack at the same width */ \
	_(LDXB_STFP, 2) _(LDXH_STFP, 2) _(LDXW_STFP, 2) _(LDXDW_STFP, 2) \
	_(LDXB_AND, 2) /* rA = *(u8 *)(rS + o); rA &= K */ \
	_(ZEXT32, 2)   /* rD <<= 32; rD >>= 32 */ \
	_(LDSTB, 2)    /* rA = *(u8 *)(rS + o); *(u8 *)(rD + o2) = rA (byte copy) */ \
	/* CALLM and LDDW_CALL of map_lookup_elem on a map the embedder \
	 * describes: no helper call; the lddw's unused second slot holds the \
	 * struct jn_vm_map */ \
	_(CALLM_MAP, 5) _(LDDW_CALL_MAP, 3) \
	/* map value accesses (base probably r0 of a call): that range first */ \
	_(LDXB_V, 1) _(LDXH_V, 1) _(LDXW_V, 1) _(LDXDW_V, 1) \
	_(STXB_V, 1) _(STXH_V, 1) _(STXW_V, 1) _(STXDW_V, 1)
enum {
	JN_VOP__FIRST = JN_OP__COUNT - 1,
#define S_(name, n) JN_VOP_##name,
	JN_VM_SUPEROPS(S_)
#undef S_
	JN_VOP__END
};
_Static_assert(JN_VOP__END <= 256, "ops fit a byte");

/* Fuse pairs into super-instructions where the second slot is no jump target. */
void jn_vm_fuse(struct jn_vm *vm);

struct jn_vm {
	struct jn_vinsn *code;
	struct jn_insn *insns;       /* original slots (copy) */
	uint32_t n;
	uint8_t *is_func;            /* 1 at every function entry (pc 0, call and func targets) */
	uint16_t *frame_depth;       /* per pc: rounded stack depth of the function it starts (entries only) */
	uint16_t depth0;             /* stack bytes frame 0 uses (zeroed per run) */
	struct jn_vm_opts opts;
	struct jn_vm_map *maps;      /* maps of inline lookups (fuse.c) */
	jn_helper_fn helpers[JN_VM_MAX_HELPERS];
};

/* The two dispatch loops (interp.c is compiled once with and once without
 * instruction counting). */
int jn_vm_interp_fast(struct jn_vm_run *run, uint64_t *regs, uint32_t pc, int base_depth);
int jn_vm_interp_count(struct jn_vm_run *run, uint64_t *regs, uint32_t pc, int base_depth);

/* Slow paths shared by both loops (mem.c). */
int jn_vm_slow_load(struct jn_vm_run *run, uint32_t pc, uint64_t addr, unsigned size, uint64_t *val);
int jn_vm_slow_check(struct jn_vm_run *run, uint32_t pc, uint64_t addr, unsigned size);
/* bpf-to-bpf call of the function at target from frame depth; sets R[0]. */
int jn_vm_call_local(struct jn_vm_run *run, uint32_t pc, uint32_t target, uint64_t *R, int depth);
/* callx: t is a function address (lddw src=4) or a helper id. */
int jn_vm_callx(struct jn_vm_run *run, uint32_t pc, uint64_t t, uint64_t *R, int depth);
/* Perform a tail call requested by a helper: 1 if the run switched program,
 * 0 if it falls through, negative on error. */
int jn_vm_tail_call(struct jn_vm_run *run);

#endif
