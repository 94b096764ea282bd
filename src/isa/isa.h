/* isa.h - the eBPF instruction set: decode, validate, disassemble, assemble.
 *
 * The instruction forms come from one table, isa_table.h.  Everything here is
 * generated from it or driven by it.
 */
#ifndef JN_ISA_H
#define JN_ISA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One 8-byte eBPF instruction slot, laid out as struct bpf_insn. */
struct jn_insn {
	uint8_t code;
	uint8_t dst : 4;
	uint8_t src : 4;
	int16_t off;
	int32_t imm;
};
_Static_assert(sizeof(struct jn_insn) == 8, "eBPF slots are 8 bytes");

enum {
	JN_ISA_NREGS = 11,       /* r0..r10 */
	JN_ISA_STACK = 512,      /* bytes of stack per frame */
	JN_ISA_MAX_INSNS = 1000000,
	JN_ISA_TEXT_MAX = 80,    /* holds any one disassembled instruction */
};

/* Operand kinds / disassembly shapes named in the table's "form" column. */
#define JN_ISA_FORMS(_) \
	_(ALU_K) _(ALU_X) _(NEG) _(MOV_K) _(MOV_X) _(MOVSX) _(END) \
	_(JA) _(JA32) _(JCC_K) _(JCC_X) _(CALL) _(CALL_LOCAL) _(CALL_KFUNC) \
	_(CALLX) _(EXIT) _(LDX) _(LDXSX) _(ST) _(STX) _(ATOMIC) _(AFETCH) \
	_(AXCHG) _(ACMPXCHG) _(LDDW) _(LDABS) _(LDIND)

enum jn_isa_form {
#define F_(f) JN_FORM_##f,
	JN_ISA_FORMS(F_)
#undef F_
	JN_FORM__COUNT
};

enum jn_isa_sel { JN_SEL_ANY, JN_SEL_OFF, JN_SEL_IMM, JN_SEL_SRC };

/* The generated opcode enum: JN_OP_ADD64_K, ... in table order. */
enum jn_op {
#define _(id, opc, sel, selval, form, text) JN_OP_##id,
#include "isa_table.h"
#undef _
	JN_OP__COUNT,
	JN_OP_INVALID = JN_OP__COUNT,
};

/* Order that the interpreter and compilers rely on. */
_Static_assert(JN_OP_ADD64_X == JN_OP_ADD64_K + 1, "K/X forms are adjacent");
_Static_assert(JN_OP_JEQ32_X == JN_OP_JEQ32_K + 1, "K/X forms are adjacent");

struct jn_isa_info {
	const char *name;        /* "ADD64_K" */
	uint8_t opcode;
	uint8_t sel;             /* enum jn_isa_sel */
	int32_t selval;
	uint8_t form;            /* enum jn_isa_form */
	const char *text;        /* operator / mnemonic as llvm-objdump prints */
};
extern const struct jn_isa_info jn_isa_info[JN_OP__COUNT];

/* Instruction classes and fields (RFC 9669 section 3). */
#define JN_CLASS(code)  ((code) & 0x07)
enum { JN_CLS_LD, JN_CLS_LDX, JN_CLS_ST, JN_CLS_STX, JN_CLS_ALU, JN_CLS_JMP,
       JN_CLS_JMP32, JN_CLS_ALU64 };
/* Access width in bytes of a load/store opcode (1, 2, 4, 8). */
static inline unsigned jn_isa_size(uint8_t code)
{
	static const uint8_t sz[4] = {4, 2, 1, 8};
	return sz[(code >> 3) & 3];
}
/* True for forms whose second slot belongs to them (lddw). */
static inline int jn_isa_is_wide(uint8_t code) { return code == 0x18; }

/* Decode one slot to its form; JN_OP_INVALID if no table line matches. */
enum jn_op jn_isa_decode(const struct jn_insn *insn);

/* Validation of a whole program.  Returns 0, or -EINVAL with a one-line
 * message in err ("pc 12: unknown opcode 0xff").  Checks: known opcode and
 * selector, registers in range, no write to r10, reserved fields zero, no
 * constant divisor 0 or out-of-width shift count (the kernel refuses both),
 * jump, call and function-address targets inside the program and not into
 * the middle of an lddw, complete lddw pairs, last instruction exit or an
 * unconditional jump.  Linear in n. */
int jn_isa_validate(const struct jn_insn *insns, size_t n, char *err, size_t errlen);

/* Disassemble one instruction (two slots for lddw) exactly as
 * llvm-objdump-19 -d --mcpu=v4 prints it, e.g. "w0 = *(u32 *)(r1 + 0x4)"
 * (32-bit operands as wN), without the " <label>" after jumps.  Returns the
 * number of slots used (1 or 2), or -EINVAL for an invalid or truncated
 * instruction (buf then says why).  JN_ISA_TEXT_MAX bytes always suffice;
 * a shorter buf gets a truncated, terminated text. */
int jn_isa_disasm(const struct jn_insn *insns, size_t n, size_t pc, char *buf, size_t buflen);

/* Disassemble a program to f, one line per instruction, exactly as
 * llvm-objdump -d prints it without symbols: "%8zu:\t<hex bytes>\t<text>".
 * Undecodable slots print as "<unknown>".  Returns 0, or -EIO if writing
 * failed. */
int jn_isa_dump(FILE *f, const struct jn_insn *insns, size_t n);

/* Assemble text in llvm-objdump syntax (one instruction per line; ';', '#'
 * or "//" starts a comment; "name:" defines a label usable as a jump target,
 * "goto name", "gotol name", and "call name" for a bpf-to-bpf call).  Also
 * takes what llvm-mc takes besides: decimal and octal numbers, rN for wN
 * in narrow loads and stores.  Does not validate the program.
 * On success *out is a malloc'd array (caller frees; NULL if the text has
 * no instructions) and *n its slot count.  Returns 0 or -EINVAL (-ENOMEM,
 * -E2BIG) with "line N: ..." in err. */
int jn_isa_assemble(const char *text, struct jn_insn **out, size_t *n, char *err, size_t errlen);

#endif
