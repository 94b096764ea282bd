/* interp_loop.h - the dispatch loop, included twice by interp.c:
 * with JN_COUNT 0 (fast) and JN_COUNT 1 (counts executed instructions).
 *
 * Direct dispatch through a label table generated from isa_table.h; handler
 * families come from small macros that are #undef'd at the end.  Memory
 * accesses check the packet and the stack inline and fall back to mem.c for
 * everything else (context, maps, read-only data).
 * Assumes: the program was validated and pre-decoded by vm.c (targets in
 * range, no writes to r10, helpers resolved).
 */

int JN_INTERP_FN(struct jn_vm_run *run, uint64_t *R, uint32_t start, int depth)
{
	static const void *const labels[JN_VOP__END] = {
#define _(id, opc, sel, selval, form, text) [JN_OP_##id] = &&L_##id,
#include "isa/isa_table.h"
#undef _
#define S_(name, n) [JN_VOP_##name] = &&L_S_##name,
	JN_VM_SUPEROPS(S_)
#undef S_
	};
	const struct jn_vm *vm = run->vm;
	const struct jn_vinsn *code = vm->code, *ip = code + start;
	uint64_t plo = (uint64_t)(uintptr_t)run->data_meta;
	uint64_t phi = (uint64_t)(uintptr_t)run->data_end;
	/* the XDP context (struct xdp_md), loaded inline */
	const bool xdp = vm->opts.ctx_kind == JN_CTX_XDP;
	const uint64_t cbase = (uint64_t)(uintptr_t)run->ctx_words;
	uint64_t vlo = (uint64_t)(uintptr_t)run->val_lo;   /* last map value a helper returned */
	uint64_t vhi = (uint64_t)(uintptr_t)run->val_hi;
	/* this frame's 512 bytes and every caller's frame above it */
	const uint64_t slo = R[10] - JN_ISA_STACK;
	const uint64_t shi = (uint64_t)(uintptr_t)run->stack + sizeof(run->stack);
	int rc;

#if JN_COUNT
#define COUNT() (run->insns++)
#define COUNT_MORE(n) (run->insns += (n))
#else
#define COUNT() ((void)0)
#define COUNT_MORE(n) ((void)0)
#endif
#define PC() ((uint32_t)(ip - code))
#define DISPATCH() do { COUNT(); goto *labels[ip->op]; } while (0)
#define NEXT() do { ip++; DISPATCH(); } while (0)
#define IN(a, sz) (((a) >= plo && (a) <= phi - (sz)) || ((a) >= slo && (a) <= shi - (sz)) || \
		   ((a) >= vlo && (a) <= vhi - (sz)))
#define DST R[ip->dst]
#define SRC R[ip->src]
#define IMM ip->imm

	DISPATCH();

	/* ---- ALU ---- */
#define ALU64(id, expr_k, expr_x) \
	L_##id##_K: { uint64_t d = DST, s = IMM; (void)d; (void)s; DST = (expr_k); NEXT(); } \
	L_##id##_X: { uint64_t d = DST, s = SRC; (void)d; (void)s; DST = (expr_x); NEXT(); }
#define ALU32(id, expr) \
	L_##id##_K: { uint32_t d = (uint32_t)DST, s = (uint32_t)IMM; (void)d; (void)s; DST = (uint32_t)(expr); NEXT(); } \
	L_##id##_X: { uint32_t d = (uint32_t)DST, s = (uint32_t)SRC; (void)d; (void)s; DST = (uint32_t)(expr); NEXT(); }

	ALU64(ADD64, d + s, d + s)
	ALU64(SUB64, d - s, d - s)
	ALU64(MUL64, d * s, d * s)
	ALU64(DIV64, s ? d / s : 0, s ? d / s : 0)
	ALU64(SDIV64, sdiv64(d, s), sdiv64(d, s))
	ALU64(OR64, d | s, d | s)
	ALU64(AND64, d & s, d & s)
	ALU64(LSH64, d << (s & 63), d << (s & 63))
	ALU64(RSH64, d >> (s & 63), d >> (s & 63))
	ALU64(MOD64, s ? d % s : d, s ? d % s : d)
	ALU64(SMOD64, smod64(d, s), smod64(d, s))
	ALU64(XOR64, d ^ s, d ^ s)
	ALU64(ARSH64, (uint64_t)((int64_t)d >> (s & 63)), (uint64_t)((int64_t)d >> (s & 63)))
	ALU32(ADD32, d + s)
	ALU32(SUB32, d - s)
	ALU32(MUL32, d * s)
	ALU32(DIV32, s ? d / s : 0)
	ALU32(SDIV32, sdiv32(d, s))
	ALU32(OR32, d | s)
	ALU32(AND32, d & s)
	ALU32(LSH32, d << (s & 31))
	ALU32(RSH32, d >> (s & 31))
	ALU32(MOD32, s ? d % s : d)
	ALU32(SMOD32, smod32(d, s))
	ALU32(XOR32, d ^ s)
	ALU32(ARSH32, (uint32_t)((int32_t)d >> (s & 31)))
L_NEG64:     DST = -DST; NEXT();
L_NEG32:     DST = (uint32_t)-(uint32_t)DST; NEXT();
L_MOV64_K:   DST = IMM; NEXT();
L_MOV64_X:   DST = SRC; NEXT();
L_MOV32_K:   DST = (uint32_t)IMM; NEXT();
L_MOV32_X:   DST = (uint32_t)SRC; NEXT();
L_MOVSX64_8: DST = (uint64_t)(int64_t)(int8_t)SRC; NEXT();
L_MOVSX64_16:DST = (uint64_t)(int64_t)(int16_t)SRC; NEXT();
L_MOVSX64_32:DST = (uint64_t)(int64_t)(int32_t)SRC; NEXT();
L_MOVSX32_8: DST = (uint32_t)(int32_t)(int8_t)SRC; NEXT();
L_MOVSX32_16:DST = (uint32_t)(int32_t)(int16_t)SRC; NEXT();
L_BSWAP16:   DST = __builtin_bswap16((uint16_t)DST); NEXT();
L_BSWAP32:   DST = __builtin_bswap32((uint32_t)DST); NEXT();
L_BSWAP64:   DST = __builtin_bswap64(DST); NEXT();
L_BE16:      DST = __builtin_bswap16((uint16_t)DST); NEXT();
L_BE32:      DST = __builtin_bswap32((uint32_t)DST); NEXT();
L_BE64:      DST = __builtin_bswap64(DST); NEXT();
L_LE16:      DST = (uint16_t)DST; NEXT();
L_LE32:      DST = (uint32_t)DST; NEXT();
L_LE64:      NEXT();
	/* super-instructions (fuse.c) */
L_S_MOVADD:  DST = SRC + IMM; COUNT_MORE(1); ip += 2; DISPATCH();
	/* BOUNDS: imm K, off target (forward), back holds rX; BOUNDSK also
	 * sets the "rM = K2" of its slot ip[2] (after the add) */
#define BOUNDS_OP(name, n, extra) L_S_##name: { \
	uint64_t d = SRC + IMM; \
	DST = d; \
	extra; \
	COUNT_MORE((n) - 1); \
	if (d > R[ip->back]) { \
		ip = code + ip->off; \
		DISPATCH(); \
	} \
	ip += (n); \
	DISPATCH(); }
	BOUNDS_OP(BOUNDS, 3, (void)0)
	BOUNDS_OP(BOUNDSK, 4, R[ip[2].dst] = ip[2].imm)
#undef BOUNDS_OP
	/* BYTEOR: off o, imm K, back holds rB */
L_S_BYTEOR: {
	uint64_t a = SRC + (uint64_t)(int64_t)ip->off, v;
	if (jn_likely(IN(a, 1))) v = *(const uint8_t *)(uintptr_t)a;
	else if ((rc = jn_vm_slow_load(run, PC(), a, 1, &v))) return rc;
	DST = v << (IMM & 63);
	R[ip->back] |= DST;
	COUNT_MORE(2);
	ip += 3;
	DISPATCH(); }
L_S_BYTEORD: {
	uint64_t a = SRC + (uint64_t)(int64_t)ip->off, v;
	if (jn_likely(IN(a, 1))) v = *(const uint8_t *)(uintptr_t)a;
	else if ((rc = jn_vm_slow_load(run, PC(), a, 1, &v))) return rc;
	DST = (v << (IMM & 63)) | R[ip->back];
	COUNT_MORE(2);
	ip += 3;
	DISPATCH(); }
#define FP_LD(id, type) L_S_##id##_FP: { type t; \
	memcpy(&t, (const void *)(uintptr_t)(R[10] + (uint64_t)(int64_t)ip->off), sizeof(t)); \
	DST = t; NEXT(); }
#define FP_ST(id, type, val) L_S_##id##_FP: { type t = (type)(val); \
	memcpy((void *)(uintptr_t)(R[10] + (uint64_t)(int64_t)ip->off), &t, sizeof(t)); NEXT(); }
	FP_LD(LDXB, uint8_t) FP_LD(LDXH, uint16_t) FP_LD(LDXW, uint32_t) FP_LD(LDXDW, uint64_t)
	FP_ST(STXB, uint8_t, SRC) FP_ST(STXH, uint16_t, SRC) FP_ST(STXW, uint32_t, SRC) FP_ST(STXDW, uint64_t, SRC)
	FP_ST(STB, uint8_t, IMM) FP_ST(STH, uint16_t, IMM) FP_ST(STW, uint32_t, IMM) FP_ST(STDW, uint64_t, IMM)
#undef FP_LD
#undef FP_ST
	/* chains (fuse.c): the later slots keep their own decoding, read here */
L_S_CALLM:
	DST = SRC + IMM;
	R[ip[2].dst] = ip[2].imm;
	COUNT_MORE(3);
	ip += 4;
	goto L_CALL;
L_S_LDDW_CALL:
	DST = IMM;
	COUNT_MORE(1);
	ip += 2;
	goto L_CALL;
	/* map_lookup_elem on a map the embedder described (fuse.c): with the
	 * key on the stack, arrays are indexed here and other maps looked up
	 * without the helper; anything else takes the helper.  ip at the lddw. */
L_S_CALLM_MAP:
	DST = SRC + IMM;
	R[1] = ip[2].imm;
	COUNT_MORE(3);
	ip += 2;
	goto map_lookup;
L_S_LDDW_CALL_MAP:
	R[1] = IMM;
	COUNT_MORE(1);
map_lookup: {
	const struct jn_vm_map *mp = (const struct jn_vm_map *)(uintptr_t)ip[1].imm;
	uint64_t k = R[2];
	uint8_t *v = NULL;
	if (jn_unlikely(k < slo || k > shi || shi - k < mp->key_size)) {
		ip += 2;
		goto L_CALL;
	}
	if (mp->values) {
		uint32_t idx;
		memcpy(&idx, (const void *)(uintptr_t)k, 4);
		if (idx < mp->max_entries)
			v = *mp->values + (size_t)idx * mp->stride;
	} else {
		v = mp->lookup(mp->map, (const void *)(uintptr_t)k, 0);
	}
	if (v && mp->writable) {
		run->val_lo = v;
		run->val_hi = v + mp->value_size;
		vlo = (uint64_t)(uintptr_t)v;
		vhi = vlo + mp->value_size;
	}
	R[0] = (uint64_t)(uintptr_t)v;
	ip += 3;
	DISPATCH(); }
L_S_RETK:
	R[0] = IMM;
	COUNT_MORE(1);
	return 0;
L_S_MOVK_JEQK:
	DST = IMM;
	COUNT_MORE(1);
	ip++;
	goto L_JEQ_K;
L_S_MOVK_JNEK:
	DST = IMM;
	COUNT_MORE(1);
	ip++;
	goto L_JNE_K;
	/* LDH2: the two neighbouring bytes checked at once; ip[1] is the BYTEORD */
L_S_LDH2: {
	uint64_t a = SRC + (uint64_t)(int64_t)ip->off, b = SRC + (uint64_t)(int64_t)ip[1].off;
	if (jn_unlikely(!IN(a < b ? a : b, 2)))
		goto L_LDXB;
	uint64_t v = *(const uint8_t *)(uintptr_t)a;
	DST = v;
	R[ip[1].dst] = (uint64_t)*(const uint8_t *)(uintptr_t)b << 8 | v;
	COUNT_MORE(3);
	ip += 4;
	DISPATCH(); }
	/* LDSTB: ip[1] is the store */
L_S_LDSTB: {
	uint64_t a = SRC + (uint64_t)(int64_t)ip->off, b = R[ip[1].dst] + (uint64_t)(int64_t)ip[1].off;
	if (jn_unlikely(!IN(a, 1) || !IN(b, 1)))
		goto L_LDXB;
	uint8_t v = *(const uint8_t *)(uintptr_t)a;
	DST = v;
	*(uint8_t *)(uintptr_t)b = v;
	COUNT_MORE(1);
	ip += 2;
	DISPATCH(); }
	/* value-first forms: the last map value's range, else the general op */
#define LDXV(id, type) L_S_##id##_V: { \
	uint64_t a = SRC + (uint64_t)(int64_t)ip->off; \
	if (jn_unlikely(a < vlo || a > vhi - sizeof(type))) goto L_##id; \
	type t; memcpy(&t, (const void *)(uintptr_t)a, sizeof(t)); DST = t; NEXT(); }
#define STXV(id, type) L_S_##id##_V: { \
	uint64_t a = DST + (uint64_t)(int64_t)ip->off; \
	if (jn_unlikely(a < vlo || a > vhi - sizeof(type))) goto L_##id; \
	type t = (type)SRC; memcpy((void *)(uintptr_t)a, &t, sizeof(t)); NEXT(); }
	LDXV(LDXB, uint8_t) LDXV(LDXH, uint16_t) LDXV(LDXW, uint32_t) LDXV(LDXDW, uint64_t)
	STXV(STXB, uint8_t) STXV(STXH, uint16_t) STXV(STXW, uint32_t) STXV(STXDW, uint64_t)
#undef LDXV
#undef STXV
	/* RMW64: one check covers the load and the store; counters in map
	 * values are the usual case, so that range comes first */
L_S_RMW64K:
L_S_RMW64X: {
	uint64_t a = SRC + (uint64_t)(int64_t)ip->off, v;
	if (jn_unlikely((a < vlo || a > vhi - 8) && !IN(a, 8)))
		goto L_LDXDW;
	memcpy(&v, (const void *)(uintptr_t)a, 8);
	v += ip->op == JN_VOP_RMW64K ? IMM : R[ip->back];
	DST = v;
	memcpy((void *)(uintptr_t)a, &v, 8);
	COUNT_MORE(2);
	ip += 3;
	DISPATCH(); }
L_S_RMW64Y: {
	uint64_t a = SRC + (uint64_t)(int64_t)ip->off, v;
	if (jn_unlikely((a < vlo || a > vhi - 8) && !IN(a, 8)))
		goto L_LDXDW;
	memcpy(&v, (const void *)(uintptr_t)a, 8);
	DST = v;
	v += R[ip->back];
	R[ip->back] = v;
	memcpy((void *)(uintptr_t)a, &v, 8);
	COUNT_MORE(2);
	ip += 3;
	DISPATCH(); }
	/* load then store to the frame: ip[1] is the frame store */
#define LD_STFP(id, type) L_S_##id##_STFP: { \
	uint64_t a = SRC + (uint64_t)(int64_t)ip->off; \
	type t; \
	if (jn_unlikely(!IN(a, sizeof(t)))) goto L_##id; \
	memcpy(&t, (const void *)(uintptr_t)a, sizeof(t)); \
	DST = t; \
	memcpy((void *)(uintptr_t)(R[10] + (uint64_t)(int64_t)ip[1].off), &t, sizeof(t)); \
	COUNT_MORE(1); \
	ip += 2; \
	DISPATCH(); }
	LD_STFP(LDXB, uint8_t) LD_STFP(LDXH, uint16_t) LD_STFP(LDXW, uint32_t) LD_STFP(LDXDW, uint64_t)
#undef LD_STFP
L_S_LDXB_AND: {
	uint64_t a = SRC + (uint64_t)(int64_t)ip->off;
	if (jn_unlikely(!IN(a, 1)))
		goto L_LDXB;
	DST = *(const uint8_t *)(uintptr_t)a & IMM;
	COUNT_MORE(1);
	ip += 2;
	DISPATCH(); }
L_S_ZEXT32:
	DST = (uint32_t)DST;
	COUNT_MORE(1);
	ip += 2;
	DISPATCH();
	/* context loads (fuse.c): imm is the field's offset in struct jn_vm_run */
L_S_LDXW_CTXP:
	if (jn_unlikely(SRC != cbase))
		goto L_LDXW;
	DST = (uint64_t)(uintptr_t)*(uint8_t *const *)((const char *)run + IMM);
	NEXT();
L_S_CTXP2:
	if (jn_unlikely(SRC != cbase))
		goto L_LDXW;
	DST = (uint64_t)(uintptr_t)*(uint8_t *const *)((const char *)run + IMM);
	COUNT_MORE(1);
	ip++;
	goto L_S_LDXW_CTXP;
L_S_LDXW_CTX32:
	if (jn_unlikely(SRC != cbase))
		goto L_LDXW;
	DST = *(const uint32_t *)((const char *)run + IMM);
	NEXT();
#undef ALU64
#undef ALU32

	/* ---- jumps; backward ones are charged to the budget ---- */
#define TAKE() do { \
	if (jn_unlikely(ip->back)) { \
		run->budget_left -= (int64_t)(ip - (code + ip->off)) + 1; \
		if (run->budget_left < 0) \
			return jn_vm_fault(run, -E2BIG, "pc %u: instruction budget exhausted (loop?)", PC()); \
	} \
	ip = code + ip->off; DISPATCH(); } while (0)
#define JCC(id, cmp) \
	L_##id##_K: { uint64_t d = DST, s = IMM; if (cmp) TAKE(); NEXT(); } \
	L_##id##_X: { uint64_t d = DST, s = SRC; if (cmp) TAKE(); NEXT(); }
#define JCC32(id, cmp) \
	L_##id##_K: { uint32_t d = (uint32_t)DST, s = (uint32_t)IMM; if (cmp) TAKE(); NEXT(); } \
	L_##id##_X: { uint32_t d = (uint32_t)DST, s = (uint32_t)SRC; if (cmp) TAKE(); NEXT(); }
L_JA:
L_GOTOL:
	TAKE();
	JCC(JEQ, d == s)
	JCC(JGT, d > s)
	JCC(JGE, d >= s)
	JCC(JSET, d & s)
	JCC(JNE, d != s)
	JCC(JSGT, (int64_t)d > (int64_t)s)
	JCC(JSGE, (int64_t)d >= (int64_t)s)
	JCC(JLT, d < s)
	JCC(JLE, d <= s)
	JCC(JSLT, (int64_t)d < (int64_t)s)
	JCC(JSLE, (int64_t)d <= (int64_t)s)
	JCC32(JEQ32, d == s)
	JCC32(JGT32, d > s)
	JCC32(JGE32, d >= s)
	JCC32(JSET32, d & s)
	JCC32(JNE32, d != s)
	JCC32(JSGT32, (int32_t)d > (int32_t)s)
	JCC32(JSGE32, (int32_t)d >= (int32_t)s)
	JCC32(JLT32, d < s)
	JCC32(JLE32, d <= s)
	JCC32(JSLT32, (int32_t)d < (int32_t)s)
	JCC32(JSLE32, (int32_t)d <= (int32_t)s)
#undef JCC
#undef JCC32

	/* ---- loads and stores ---- */
/* The slow path returns the loaded bytes zero-extended (or, for the XDP
 * context's data/data_end/data_meta, a full 64-bit pointer): only the
 * sign-extending forms convert it further. */
#define LDX(id, sz, type, ext, slow_ext) L_##id: { \
	uint64_t a = SRC + (uint64_t)(int64_t)ip->off; \
	if (jn_likely(IN(a, sz))) { type t; memcpy(&t, (void *)(uintptr_t)a, sz); DST = ext t; NEXT(); } \
	if ((sz) == 4 && xdp && a - cbase < XDP_MD_SIZE && !(a & 3)) { DST = ctx_field(run, a - cbase); NEXT(); } \
	uint64_t v; \
	if ((rc = jn_vm_slow_load(run, PC(), a, sz, &v))) return rc; \
	DST = slow_ext; NEXT(); }
	LDX(LDXB, 1, uint8_t, (uint64_t), v)
	LDX(LDXH, 2, uint16_t, (uint64_t), v)
	LDX(LDXW, 4, uint32_t, (uint64_t), v)
	LDX(LDXDW, 8, uint64_t, (uint64_t), v)
	LDX(LDXSB, 1, int8_t, (uint64_t)(int64_t), (uint64_t)(int64_t)(int8_t)v)
	LDX(LDXSH, 2, int16_t, (uint64_t)(int64_t), (uint64_t)(int64_t)(int16_t)v)
	LDX(LDXSW, 4, int32_t, (uint64_t)(int64_t), (uint64_t)(int64_t)(int32_t)v)
#undef LDX
#define STORE(id, sz, type, val) L_##id: { \
	uint64_t a = DST + (uint64_t)(int64_t)ip->off; \
	if (jn_unlikely(!IN(a, sz)) && (rc = jn_vm_slow_check(run, PC(), a, sz))) return rc; \
	type t = (type)(val); memcpy((void *)(uintptr_t)a, &t, sz); NEXT(); }
	STORE(STB, 1, uint8_t, IMM)
	STORE(STH, 2, uint16_t, IMM)
	STORE(STW, 4, uint32_t, IMM)
	STORE(STDW, 8, uint64_t, IMM)
	STORE(STXB, 1, uint8_t, SRC)
	STORE(STXH, 2, uint16_t, SRC)
	STORE(STXW, 4, uint32_t, SRC)
	STORE(STXDW, 8, uint64_t, SRC)
#undef STORE

	/* ---- atomics: the address is checked like a store.  One program runs
	 * at a time on one thread, so a plain read-modify-write has exactly the
	 * atomic's effect, without the bus lock. ---- */
#define ATOMIC_ADDR(sz) \
	uint64_t a = DST + (uint64_t)(int64_t)ip->off; \
	if (jn_unlikely(!IN(a, sz)) && (rc = jn_vm_slow_check(run, PC(), a, sz))) return rc; \
	if (jn_unlikely(a & ((sz) - 1))) \
		return jn_vm_fault(run, -EINVAL, "pc %u: misaligned atomic access of %u bytes at %#llx", \
				   PC(), (unsigned)(sz), (unsigned long long)a);
#define AOP(id, type, fetch, op) L_##id: { ATOMIC_ADDR(sizeof(type)) \
	type *p = (type *)(uintptr_t)a, old = *p; \
	*p = old op (type)SRC; \
	if (fetch) { SRC = (uint64_t)old; } \
	NEXT(); }
	AOP(AADD32, uint32_t, 0, +)  AOP(AADD64, uint64_t, 0, +)
	AOP(AOR32, uint32_t, 0, |)   AOP(AOR64, uint64_t, 0, |)
	AOP(AAND32, uint32_t, 0, &)  AOP(AAND64, uint64_t, 0, &)
	AOP(AXOR32, uint32_t, 0, ^)  AOP(AXOR64, uint64_t, 0, ^)
	AOP(AFADD32, uint32_t, 1, +) AOP(AFADD64, uint64_t, 1, +)
	AOP(AFOR32, uint32_t, 1, |)  AOP(AFOR64, uint64_t, 1, |)
	AOP(AFAND32, uint32_t, 1, &) AOP(AFAND64, uint64_t, 1, &)
	AOP(AFXOR32, uint32_t, 1, ^) AOP(AFXOR64, uint64_t, 1, ^)
#undef AOP
#define XCHG(id, type) L_##id: { ATOMIC_ADDR(sizeof(type)) \
	type *p = (type *)(uintptr_t)a, old = *p; \
	*p = (type)SRC; \
	SRC = (uint64_t)old; \
	NEXT(); }
#define CMPXCHG(id, type) L_##id: { ATOMIC_ADDR(sizeof(type)) \
	type *p = (type *)(uintptr_t)a, old = *p; \
	if (old == (type)R[0]) \
		*p = (type)SRC; \
	R[0] = (uint64_t)old; \
	NEXT(); }
	XCHG(AXCHG32, uint32_t) XCHG(AXCHG64, uint64_t)
	CMPXCHG(ACMPXCHG32, uint32_t) CMPXCHG(ACMPXCHG64, uint64_t)
#undef XCHG
#undef CMPXCHG
#undef ATOMIC_ADDR

	/* ---- lddw: every source form was resolved to a value at load ---- */
L_LDDW: L_LDDW_MAP_FD: L_LDDW_MAP_VAL: L_LDDW_BTF_ID: L_LDDW_FUNC:
L_LDDW_MAP_IDX: L_LDDW_MAP_IDX_VAL:
	DST = IMM; ip += 2; DISPATCH();

	/* ---- legacy packet access: network order, out of bounds ends the run with 0 ---- */
#define LDPKT(id, sz, indirect) L_##id: { \
	uint64_t o = (uint64_t)(int64_t)(int32_t)IMM + ((indirect) ? (uint64_t)(uint32_t)SRC : 0); \
	uint64_t len = (uint64_t)(run->data_end - run->data), v = 0; \
	if (o > len || len - o < sz) { R[0] = 0; return 0; } \
	for (unsigned k = 0; k < sz; k++) v = v << 8 | run->data[o + k]; \
	R[0] = v; NEXT(); }
	LDPKT(LDABSB, 1, 0) LDPKT(LDABSH, 2, 0) LDPKT(LDABSW, 4, 0)
	LDPKT(LDINDB, 1, 1) LDPKT(LDINDH, 2, 1) LDPKT(LDINDW, 4, 1)
#undef LDPKT

	/* ---- calls ---- */
L_CALL: {
	run->cur_pc = PC();
	R[0] = vm->helpers[IMM](run, R[1], R[2], R[3], R[4], R[5]);
	if (jn_unlikely(run->err))
		return run->err;
	plo = (uint64_t)(uintptr_t)run->data_meta;
	phi = (uint64_t)(uintptr_t)run->data_end;
	vlo = (uint64_t)(uintptr_t)run->val_lo;
	vhi = (uint64_t)(uintptr_t)run->val_hi;
	if (jn_unlikely(run->pending_tail != NULL)) {
		rc = jn_vm_tail_call(run);
		if (rc < 0)
			return rc;
		if (rc > 0) {  /* switched program: restart at its pc 0 */
			vm = run->vm;
			code = vm->code;
			ip = code;
			DISPATCH();
		}
	}
	NEXT(); }
L_CALL_LOCAL:
	if ((rc = jn_vm_call_local(run, PC(), (uint32_t)ip->off, R, depth)))
		return rc;
	plo = (uint64_t)(uintptr_t)run->data_meta;
	phi = (uint64_t)(uintptr_t)run->data_end;
	vlo = (uint64_t)(uintptr_t)run->val_lo;
	vhi = (uint64_t)(uintptr_t)run->val_hi;
	NEXT();
L_CALLX: {
	uint64_t t = DST;
	rc = jn_vm_callx(run, PC(), t, R, depth);
	if (rc)
		return rc;
	plo = (uint64_t)(uintptr_t)run->data_meta;
	phi = (uint64_t)(uintptr_t)run->data_end;
	vlo = (uint64_t)(uintptr_t)run->val_lo;
	vhi = (uint64_t)(uintptr_t)run->val_hi;
	NEXT(); }
L_CALL_KFUNC:
	return jn_vm_fault(run, -EINVAL, "pc %u: kfunc calls are not supported", PC());
L_EXIT:
	return 0;

#undef COUNT
#undef COUNT_MORE
#undef PC
#undef DISPATCH
#undef NEXT
#undef IN
#undef DST
#undef SRC
#undef IMM
#undef TAKE
}
