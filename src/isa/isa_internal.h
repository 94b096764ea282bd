/* isa_internal.h - what the isa module's files share: the llvm syntax of each
 * form.  Not part of the public interface.
 *
 * A shape is the text llvm-objdump prints for an instruction, with operands
 * written as %-directives.  The disassembler (disasm.c) fills them in, the
 * assembler (asm.c) parses them back out; both walk the same string.
 *
 *   %D %S  dst / src register at the instruction's width: wN if 32-bit
 *          (jn_isa_narrow), rN otherwise
 *   %d %s  dst / src register, always rN
 *   %0     r0 or w0 at the instruction's width (implicit operand)
 *   %t     the table's text column
 *   %z     access size from the opcode: u8 u16 u32 u64
 *   %i     imm, signed ("0x5", "-0x5")
 *   %c     imm as a call target: printed like %i, a label when assembling
 *   %j     imm as a jump offset: "+0x3", "-0x3", or a label
 *   %o     off as a jump offset: "+0x3", "-0x3", or a label
 *   %m     off as a memory displacement: "+ 0x4", "- 0x8"
 *   %L     the 64-bit immediate of an lddw pair, signed
 *   %U     imm of the first lddw slot, unsigned 32-bit
 *   %X     the table's selector value ("0x1")
 * A space matches any run of blanks (or none) when assembling and prints as
 * one space; other characters stand for themselves.
 */
#ifndef JN_ISA_INTERNAL_H
#define JN_ISA_INTERNAL_H

#include "isa/isa.h"

/* The shape of a table entry (op < JN_OP__COUNT). */
const char *jn_isa_shape(enum jn_op op);

/* Register operands of op print as wN (32-bit ALU and jumps, narrow
 * loads, stores and atomics). */
int jn_isa_narrow(enum jn_op op);

/* llvm also accepts rN where wN is printed (plain loads, stores and
 * "lock" atomics); the assembler does the same for these ops. */
int jn_isa_accepts_wide_regs(enum jn_op op);

#endif
