/* xisa.c - the extended ISA: the op table (base eBPF ops, then hXDP's from
 * xisa_table.h), register use/def sets, memory widths, disassembly and the
 * decoder of instruction memory slots. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vliw_internal.h"

const struct xinfo jn_vliw_xinfo[JN_XOP__COUNT] = {
#define _(id, opc, sel, selval, form, text) [JN_OP_##id] = { #id, opc, JN_FORM_##form, text },
#include "isa/isa_table.h"
#undef _
#define _(id, opc, form, text) [JN_XOP_##id] = { #id, opc, XF_##form, text },
#include "xisa_table.h"
#undef _
};

bool jn_vliw_is_cond(const struct xin *i)
{
	return xform(i) == XF_JCC_K || xform(i) == XF_JCC_X;
}

bool jn_vliw_is_jump(const struct xin *i)
{
	return jn_vliw_is_cond(i) || xform(i) == XF_JA || xform(i) == XF_JA32;
}

bool jn_vliw_is_exit(const struct xin *i) { return xform(i) == XF_EXIT || xform(i) == XF_EXITK; }

bool jn_vliw_is_load(const struct xin *i)
{
	return xform(i) == XF_LDX || xform(i) == XF_LDXSX || xform(i) == XF_LD6;
}

bool jn_vliw_is_store(const struct xin *i)
{
	switch (xform(i)) {
	case XF_ST: case XF_STX: case XF_ST6: case XF_STX6: case XF_ATOMIC: case XF_AFETCH:
	case XF_AXCHG: case XF_ACMPXCHG:
		return true;
	default:
		return false;
	}
}

bool jn_vliw_is_pure(const struct xin *i)
{
	switch (xform(i)) {
	case XF_ALU_K: case XF_ALU_X: case XF_NEG: case XF_MOV_K: case XF_MOV_X: case XF_MOVSX:
	case XF_END: case XF_LDDW: case XF_ALU3:
		return true;
	default:
		return false;
	}
}

unsigned jn_vliw_msize(const struct xin *i)
{
	int f = xform(i);

	if (f == XF_LD6 || f == XF_ST6 || f == XF_STX6)
		return 6;
	return jn_isa_size(jn_vliw_xinfo[i->op].opcode);
}

#define R(n) ((uint16_t)(1u << (n)))

/* Arguments a helper reads (the kernel's prototypes, by helper id); a helper
 * not listed, or any helper of the plain-memory contract, reads all five.  A register beyond them is not an input. */
static int helper_args(int32_t id)
{
	switch (id) {
	/* helper 5 (ktime_get_ns) is left out: the plain-memory contract's helper 5
	 * (bpf_conformance, tests/data) reads r1 */
	case 7: case 8: case 14: case 15:           /* prandom, cpu id, pid, uid */
		return 0;
	case 1: case 3: case 23: case 44: case 54: case 65:   /* map lookup/delete, redirect, adjust_* */
		return 2;
	case 12: case 51:                             /* tail_call, redirect_map */
		return 3;
	case 2: case 69:                              /* map_update_elem, fib_lookup */
		return 4;
	default:
		return 5;
	}
}

uint16_t jn_vliw_uses(const struct xin *i)
{
	switch (xform(i)) {
	case XF_ALU_K: case XF_NEG: case XF_END: case XF_JCC_K: case XF_ST: case XF_ST6:
		return R(i->dst);
	case XF_ALU_X: case XF_JCC_X: case XF_STX: case XF_STX6: case XF_ATOMIC: case XF_AFETCH:
	case XF_AXCHG:
		return R(i->dst) | R(i->src);
	case XF_ACMPXCHG:
		return R(i->dst) | R(i->src) | R(0);
	case XF_MOV_X: case XF_MOVSX: case XF_LDX: case XF_LDXSX: case XF_LD6: case XF_ALU3:
		return R(i->src);
	case XF_CALL:
		return (uint16_t)(((1u << (i->anyhelper ? 5 : helper_args(i->imm))) - 1) << 1);
	case XF_EXIT:
		return R(0);
	default:
		return 0;
	}
}

uint16_t jn_vliw_defs(const struct xin *i)
{
	switch (xform(i)) {
	case XF_ALU_K: case XF_ALU_X: case XF_NEG: case XF_END: case XF_MOV_K: case XF_MOV_X:
	case XF_MOVSX: case XF_LDX: case XF_LDXSX: case XF_LD6: case XF_ALU3: case XF_LDDW:
		return R(i->dst);
	case XF_AFETCH: case XF_AXCHG:
		return R(i->src);
	case XF_ACMPXCHG:
		return R(0);
	case XF_CALL:   /* r1-r5 keep their values (the interpreter's and the simulator's helpers) */
		return R(0);
	default:
		return 0;
	}
}

static bool is32(const struct xin *i)
{
	uint8_t c = jn_vliw_xinfo[i->op].opcode;
	return JN_CLASS(c) == JN_CLS_ALU || JN_CLASS(c) == JN_CLS_JMP32;
}

static void ext_text(const struct xin *i, char *buf, size_t len)
{
	const struct xinfo *x = &jn_vliw_xinfo[i->op];
	char w = is32(i) ? 'w' : 'r';

	switch (x->form) {
	case XF_ALU3:
		snprintf(buf, len, "%c%u = %c%u %s %d", w, i->dst, w, i->src, x->text, i->imm);
		break;
	case XF_LD6:
		snprintf(buf, len, "r%u = *(u48 *)(r%u %+d)", i->dst, i->src, i->off);
		break;
	case XF_STX6:
		snprintf(buf, len, "*(u48 *)(r%u %+d) = r%u", i->dst, i->off, i->src);
		break;
	case XF_ST6:
		snprintf(buf, len, "*(u48 *)(r%u %+d) = %d", i->dst, i->off, i->imm);
		break;
	case XF_EXITK:
		snprintf(buf, len, "exit %d", i->imm);
		break;
	default:
		snprintf(buf, len, "nop");
	}
}

void jn_vliw_text(const struct xin *i, bool sched, char *buf, size_t len)
{
	struct jn_insn s[2] = {{0}};
	int f = xform(i);

	if (i->op > JN_XOP__BASE) {
		ext_text(i, buf, len);
	} else if (f == XF_LDDW && i->src) {   /* map forms: name the map by index */
		snprintf(buf, len, i->src == 5 ? "r%u = map %d" : "r%u = &map %d [%d]", i->dst, i->imm,
			 i->imm2);
	} else if (jn_vliw_is_jump(i)) {
		s[0].code = jn_vliw_xinfo[i->op].opcode;
		s[0].dst = i->dst;
		s[0].src = i->src;
		s[0].imm = i->imm;
		jn_isa_disasm(s, 1, 0, buf, len);
		/* replace the offset by the target */
		char *g = strstr(buf, "goto");
		if (g)
			snprintf(g, len - (size_t)(g - buf), "goto %s%d", sched ? "row " : "@",
				 i->tgt);
	} else {
		s[0].code = jn_vliw_xinfo[i->op].opcode;
		s[0].dst = i->dst;
		s[0].src = i->src;
		s[0].off = i->off;
		s[0].imm = f == XF_LDX || f == XF_LDXSX ? 0 : i->imm;
		s[1].imm = i->imm2;
		if (jn_isa_disasm(s, f == XF_LDDW ? 2 : 1, 0, buf, len) < 0)
			snprintf(buf, len, "<%s>", jn_vliw_xinfo[i->op].name);
	}
	if (i->chk) {
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, " [len >= %u else exit %u]", i->chk, i->chk_act);
	}
}

enum jn_xop jn_vliw_xdecode(const struct jn_insn *slot)
{
	for (int op = JN_XOP__BASE + 1; op < JN_XOP__COUNT; op++)
		if (jn_vliw_xinfo[op].opcode == slot->code)
			return (enum jn_xop)op;
	enum jn_op b = jn_isa_decode(slot);
	if (b == JN_OP_INVALID || slot->code == 0xd7)
		return JN_XOP__COUNT;
	return (enum jn_xop)b;
}

int jn_vliw_xdisasm(const struct jn_insn *slot, char *buf, size_t len)
{
	enum jn_xop op = jn_vliw_xdecode(slot);
	struct xin i = { .dst = slot->dst, .src = slot->src, .off = slot->off, .imm = slot->imm };

	if (op == JN_XOP__COUNT) {
		snprintf(buf, len, "<unknown 0x%02x>", slot->code);
		return -EINVAL;
	}
	i.op = (uint16_t)op;
	if (jn_vliw_is_load(&i) && (slot->imm & (int32_t)0x80000000)) {
		i.chk = (uint16_t)slot->imm;
		i.chk_act = (uint8_t)(slot->imm >> 16);
	}
	if (jn_vliw_is_jump(&i))
		i.tgt = slot->off;
	jn_vliw_text(&i, false, buf, len);
	if (jn_vliw_is_jump(&i)) {   /* image offsets are relative rows */
		char *g = strstr(buf, "goto @");
		if (g)
			snprintf(g, len - (size_t)(g - buf), "goto %+d", slot->off);
	}
	return 0;
}
