/* isa.c - the instruction table and what its forms mean: the generated
 * jn_isa_info[], decoding, each form's llvm syntax and field use, and
 * program validation. */
#include <pthread.h>

#include "base/base.h"
#include "isa/isa_internal.h"

const struct jn_isa_info jn_isa_info[JN_OP__COUNT] = {
#define _(id, opc, sel, selval, form, text) \
	[JN_OP_##id] = { #id, opc, JN_SEL_##sel, selval, JN_FORM_##form, text },
#include "isa/isa_table.h"
#undef _
};

/* ---- decoding ---------------------------------------------------------- */

_Static_assert(JN_OP__COUNT < 256, "ops are indexed with bytes");

/* The table's entries sorted by opcode byte: the candidates for opcode c
 * are by_code[first[c]] .. by_code[first[c + 1] - 1], in table order. */
static uint8_t first[257];
static uint8_t by_code[JN_OP__COUNT];
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static void build_index(void)
{
	unsigned count[256] = {0};

	for (unsigned op = 0; op < JN_OP__COUNT; op++)
		count[jn_isa_info[op].opcode]++;
	for (unsigned c = 0; c < 256; c++)
		first[c + 1] = (uint8_t)(first[c] + count[c]);
	unsigned next[256];
	for (unsigned c = 0; c < 256; c++)
		next[c] = first[c];
	for (unsigned op = 0; op < JN_OP__COUNT; op++)
		by_code[next[jn_isa_info[op].opcode]++] = (uint8_t)op;
}

static int selects(const struct jn_isa_info *e, const struct jn_insn *in)
{
	switch (e->sel) {
	case JN_SEL_OFF: return in->off == e->selval;
	case JN_SEL_IMM: return in->imm == e->selval;
	case JN_SEL_SRC: return in->src == e->selval;
	default:         return 1;
	}
}

enum jn_op jn_isa_decode(const struct jn_insn *insn)
{
	pthread_once(&index_once, build_index);
	for (unsigned i = first[insn->code]; i < first[insn->code + 1]; i++)
		if (selects(&jn_isa_info[by_code[i]], insn))
			return (enum jn_op)by_code[i];
	return JN_OP_INVALID;
}

/* ---- syntax (see isa_internal.h for the directives) ---------------------- */

static const char *const shapes[JN_FORM__COUNT] = {
	[JN_FORM_ALU_K]      = "%D %t %i",
	[JN_FORM_ALU_X]      = "%D %t %S",
	[JN_FORM_NEG]        = "%D = %t%D",
	[JN_FORM_MOV_K]      = "%D %t %i",
	[JN_FORM_MOV_X]      = "%D %t %S",
	[JN_FORM_MOVSX]      = "%D = (%t)%S",
	[JN_FORM_END]        = "%d = %t %d",
	[JN_FORM_JA]         = "%t %o",
	[JN_FORM_JA32]       = "%t %j",
	[JN_FORM_JCC_K]      = "if %D %t %i goto %o",
	[JN_FORM_JCC_X]      = "if %D %t %S goto %o",
	[JN_FORM_CALL]       = "%t %i",
	[JN_FORM_CALL_LOCAL] = "%t %c",
	[JN_FORM_CALL_KFUNC] = "%t %i",
	[JN_FORM_CALLX]      = "%t %d",
	[JN_FORM_EXIT]       = "%t",
	[JN_FORM_LDX]        = "%D = *(%t *)(%s %m)",
	[JN_FORM_LDXSX]      = "%d = *(%t *)(%s %m)",
	[JN_FORM_ST]         = "*(%t *)(%d %m) = %i",
	[JN_FORM_STX]        = "*(%t *)(%d %m) = %S",
	[JN_FORM_ATOMIC]     = "lock *(%z *)(%d %m) %t %S",
	[JN_FORM_AFETCH]     = "%S = atomic_fetch_%t((%z *)(%d %m), %S)",
	[JN_FORM_AXCHG]      = "%S = %t(%d %m, %S)",
	[JN_FORM_ACMPXCHG]   = "%0 = %t(%d %m, %0, %S)",
	[JN_FORM_LDDW]       = "%d = %L ll",
	[JN_FORM_LDABS]      = "r0 = *(%t *)skb[%i]",
	[JN_FORM_LDIND]      = "r0 = *(%t *)skb[%s]",
};

/* An lddw whose src names a map, BTF object or function: llvm prints the
 * pseudo source and the first imm only. */
static const char ld_pseudo_shape[] = "ld_pseudo\t%d, %X, %U";

const char *jn_isa_shape(enum jn_op op)
{
	const struct jn_isa_info *e = &jn_isa_info[op];

	if (e->form == JN_FORM_LDDW && e->selval != 0)
		return ld_pseudo_shape;
	return shapes[e->form];
}

int jn_isa_narrow(enum jn_op op)
{
	uint8_t code = jn_isa_info[op].opcode;

	switch (JN_CLASS(code)) {
	case JN_CLS_ALU:
	case JN_CLS_JMP32:
		return 1;
	case JN_CLS_LDX:
	case JN_CLS_STX:
		return jn_isa_size(code) < 8;
	default:
		return 0;
	}
}

int jn_isa_accepts_wide_regs(enum jn_op op)
{
	uint8_t form = jn_isa_info[op].form;

	return form == JN_FORM_LDX || form == JN_FORM_STX || form == JN_FORM_ATOMIC;
}

/* ---- validation -------------------------------------------------------- */

/* How each form uses the fields of its slot.  A register field that is not
 * used and a value field marked ZERO are reserved: they must be 0.  The
 * entry's selector field (table "sel" column) was matched by decoding. */
enum reg_use { REG_NONE, REG_READ, REG_WRITE };
enum val_use { VAL_ZERO, VAL_ANY, VAL_TARGET /* pc-relative jump or call */ };

static const struct form_use {
	uint8_t dst, src, off, imm;
} form_use[JN_FORM__COUNT] = {
#define U(form, dst, src, off, imm) \
	[JN_FORM_##form] = { REG_##dst, REG_##src, VAL_##off, VAL_##imm }
	U(ALU_K,      WRITE, NONE,  ZERO,   ANY),
	U(ALU_X,      WRITE, READ,  ZERO,   ZERO),
	U(NEG,        WRITE, NONE,  ZERO,   ZERO),
	U(MOV_K,      WRITE, NONE,  ZERO,   ANY),
	U(MOV_X,      WRITE, READ,  ZERO,   ZERO),
	U(MOVSX,      WRITE, READ,  ZERO,   ZERO),
	U(END,        WRITE, NONE,  ZERO,   ZERO),
	U(JA,         NONE,  NONE,  TARGET, ZERO),
	U(JA32,       NONE,  NONE,  ZERO,   TARGET),
	U(JCC_K,      READ,  NONE,  TARGET, ANY),
	U(JCC_X,      READ,  READ,  TARGET, ZERO),
	U(CALL,       NONE,  NONE,  ZERO,   ANY),
	U(CALL_LOCAL, NONE,  NONE,  ZERO,   TARGET),
	U(CALL_KFUNC, NONE,  NONE,  ANY,    ANY),     /* off: BTF object index */
	U(CALLX,      READ,  NONE,  ZERO,   ZERO),
	U(EXIT,       NONE,  NONE,  ZERO,   ZERO),
	U(LDX,        WRITE, READ,  ANY,    ZERO),
	U(LDXSX,      WRITE, READ,  ANY,    ZERO),
	U(ST,         READ,  NONE,  ANY,    ANY),
	U(STX,        READ,  READ,  ANY,    ZERO),
	U(ATOMIC,     READ,  READ,  ANY,    ZERO),
	U(AFETCH,     READ,  WRITE, ANY,    ZERO),    /* src receives the old value */
	U(AXCHG,      READ,  WRITE, ANY,    ZERO),
	U(ACMPXCHG,   READ,  READ,  ANY,    ZERO),    /* writes r0 */
	U(LDDW,       WRITE, NONE,  ZERO,   ANY),
	U(LDABS,      NONE,  NONE,  ZERO,   ANY),     /* writes r0 */
	U(LDIND,      NONE,  READ,  ZERO,   ANY),
#undef U
};

static const char *const sel_field[] = {
	[JN_SEL_OFF] = "off", [JN_SEL_IMM] = "imm", [JN_SEL_SRC] = "src",
};

static int unknown_opcode(const struct jn_insn *in, size_t pc, char *err, size_t errlen)
{
	pthread_once(&index_once, build_index);
	if (first[in->code] == first[in->code + 1])
		return jn_errf(err, errlen, EINVAL, "pc %zu: unknown opcode 0x%02x", pc, in->code);
	/* The opcode exists; its selector field holds a value no entry has. */
	uint8_t sel = jn_isa_info[by_code[first[in->code]]].sel;
	int val = sel == JN_SEL_OFF ? in->off : sel == JN_SEL_IMM ? in->imm : in->src;
	return jn_errf(err, errlen, EINVAL, "pc %zu: unknown opcode 0x%02x with %s %d", pc, in->code,
		       sel_field[sel], val);
}

static int check_reg(unsigned use, unsigned reg, const char *field, size_t pc, char *err,
		     size_t errlen)
{
	if (use == REG_NONE && reg != 0)
		return jn_errf(err, errlen, EINVAL, "pc %zu: reserved field %s is %u, must be 0",
			       pc, field, reg);
	if (reg >= JN_ISA_NREGS)
		return jn_errf(err, errlen, EINVAL, "pc %zu: invalid register r%u", pc, reg);
	if (use == REG_WRITE && reg == 10)
		return jn_errf(err, errlen, EINVAL, "pc %zu: write to r10, which is read-only", pc);
	return 0;
}

static int check_val(unsigned use, long val, const char *field, size_t pc, char *err,
		     size_t errlen)
{
	if (use == VAL_ZERO && val != 0)
		return jn_errf(err, errlen, EINVAL, "pc %zu: reserved field %s is %ld, must be 0",
			       pc, field, val);
	return 0;
}

static int check_lddw_pair(const struct jn_insn *insns, size_t n, size_t pc, char *err,
			   size_t errlen)
{
	if (pc + 1 >= n)
		return jn_errf(err, errlen, EINVAL, "pc %zu: lddw is missing its second slot", pc);
	const struct jn_insn *hi = &insns[pc + 1];
	const char *field[] = {"code", "dst", "src", "off"};
	long val[] = {hi->code, hi->dst, hi->src, hi->off};
	for (unsigned i = 0; i < JN_ARRAY_SIZE(val); i++)
		if (val[i])
			return jn_errf(err, errlen, EINVAL,
				       "pc %zu: lddw second slot has %s %ld, must be 0", pc, field[i], val[i]);
	return 0;
}

/* Constant operands the kernel refuses at load: a divisor of 0 and a shift
 * count outside the operand width (RFC 9669 operation codes). */
enum { OP_DIV = 0x30, OP_LSH = 0x60, OP_RSH = 0x70, OP_MOD = 0x90, OP_ARSH = 0xc0 };

static int check_alu_imm(const struct jn_insn *in, uint8_t code, size_t pc, char *err, size_t errlen)
{
	unsigned op = code & 0xf0, width = JN_CLASS(code) == JN_CLS_ALU64 ? 64 : 32;

	if ((op == OP_DIV || op == OP_MOD) && in->imm == 0)
		return jn_errf(err, errlen, EINVAL, "pc %zu: division by constant 0", pc);
	if ((op == OP_LSH || op == OP_RSH || op == OP_ARSH) && (in->imm < 0 || (unsigned)in->imm >= width))
		return jn_errf(err, errlen, EINVAL, "pc %zu: shift by %d, outside 0..%u", pc, in->imm,
			       width - 1);
	return 0;
}

/* Everything that can be checked looking at one instruction. */
static int check_insn(const struct jn_insn *insns, size_t n, size_t pc, char *err, size_t errlen)
{
	const struct jn_insn *in = &insns[pc];
	enum jn_op op = jn_isa_decode(in);
	int rc;

	if (op == JN_OP_INVALID)
		return unknown_opcode(in, pc, err, errlen);
	const struct jn_isa_info *e = &jn_isa_info[op];
	const struct form_use *u = &form_use[e->form];
	if ((rc = check_reg(u->dst, in->dst, "dst", pc, err, errlen)) ||
	    (e->sel != JN_SEL_SRC && (rc = check_reg(u->src, in->src, "src", pc, err, errlen))) ||
	    (e->sel != JN_SEL_OFF && (rc = check_val(u->off, in->off, "off", pc, err, errlen))) ||
	    (e->sel != JN_SEL_IMM && (rc = check_val(u->imm, in->imm, "imm", pc, err, errlen))))
		return rc;
	if (e->form == JN_FORM_ALU_K)
		return check_alu_imm(in, e->opcode, pc, err, errlen);
	if (jn_isa_is_wide(in->code))
		return check_lddw_pair(insns, n, pc, err, errlen);
	return 0;
}

/* The pc-relative target of a jump, call or function-address lddw. */
static int target_of(const struct jn_insn *in, enum jn_op op, long long *delta)
{
	const struct form_use *u = &form_use[jn_isa_info[op].form];

	if (u->off == VAL_TARGET)
		*delta = in->off;
	else if (u->imm == VAL_TARGET || op == JN_OP_LDDW_FUNC)
		*delta = in->imm;
	else
		return 0;
	return 1;
}

/* Runs after check_insn passed everywhere, so a slot with code 0 is the
 * second half of an lddw (no valid instruction has opcode 0). */
static int check_target(const struct jn_insn *insns, size_t n, size_t pc, enum jn_op op,
			char *err, size_t errlen)
{
	long long delta, t;
	const char *what = jn_isa_info[op].form == JN_FORM_CALL_LOCAL ? "call" :
			   op == JN_OP_LDDW_FUNC ? "function" : "jump";

	if (!target_of(&insns[pc], op, &delta))
		return 0;
	t = (long long)pc + 1 + delta;
	if (t < 0 || t >= (long long)n)
		return jn_errf(err, errlen, EINVAL,
			       "pc %zu: %s target %lld is outside the program (%zu slots)", pc, what, t, n);
	if (insns[t].code == 0)
		return jn_errf(err, errlen, EINVAL,
			       "pc %zu: %s target %lld is the second slot of an lddw", pc, what, t);
	return 0;
}

int jn_isa_validate(const struct jn_insn *insns, size_t n, char *err, size_t errlen)
{
	size_t pc, last = 0;
	int rc;

	if (n == 0)
		return jn_errf(err, errlen, EINVAL, "empty program");
	if (n > JN_ISA_MAX_INSNS)
		return jn_errf(err, errlen, EINVAL, "program has %zu slots, more than %d", n,
			       JN_ISA_MAX_INSNS);
	for (pc = 0; pc < n; pc += jn_isa_is_wide(insns[pc].code) ? 2 : 1) {
		if ((rc = check_insn(insns, n, pc, err, errlen)))
			return rc;
		last = pc;
	}
	for (pc = 0; pc < n; pc += jn_isa_is_wide(insns[pc].code) ? 2 : 1)
		if ((rc = check_target(insns, n, pc, jn_isa_decode(&insns[pc]), err, errlen)))
			return rc;
	enum jn_op op = jn_isa_decode(&insns[last]);
	if (op != JN_OP_EXIT && op != JN_OP_JA && op != JN_OP_GOTOL)
		return jn_errf(err, errlen, EINVAL,
			       "pc %zu: last instruction is not exit or an unconditional jump", last);
	return 0;
}
