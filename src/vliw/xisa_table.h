/* xisa_table.h - hXDP's extensions to the eBPF ISA, defined once.
 *
 * Every line is  _(ID, opcode, form, text)  with the artifact's opcodes
 * (hXDP-Artifacts; docs/hxdp.md), so a compiled program can be written out
 * as Sephirot's instruction memory image.  The extended ISA is the base
 * eBPF table (src/isa/isa_table.h) plus these lines, with one collision:
 *
 *   0xd7 is eBPF v4's BSWAP (ALU64 | END) and hXDP's 3-operand SUB.  In the
 *   extended ISA 0xd7 always means SUB3_64: the compiler rewrites every
 *   bswap16/32/64 to be16/32/64 (0xdc, the same operation on a
 *   little-endian core) while decoding, so no extended program contains a
 *   bswap, and jn_vliw_xdecode reads 0xd7 as SUB3_64 only.
 *
 * Forms:
 *   ALU3   dst = src op imm (64-bit; the 32-bit forms zero-extend)
 *   LD6    dst = *(u48 *)(src + off)           (zero-extended)
 *   STX6   *(u48 *)(dst + off) = src           (low 48 bits of src)
 *   ST6    *(u48 *)(dst + off) = imm           (imm sign-extended to 48 bits)
 *   EXITK  exit with r0 = imm                  (recognised at fetch)
 *   NOP    an empty lane in the instruction memory image (all-zero slot)
 *
 * Besides these opcodes the extended ISA gives the unused imm field of a
 * load (LDX, LDXSX, LD6) a meaning: a "checked load" (pass remove-bounds).
 *   imm bit 31     set: the access unit checks the packet before the load
 *   imm bits 0-15  K: the program needs data + K <= data_end
 *   imm bits 16-23 A: otherwise the core stops with action A (r0 = A)
 *
 * No include guard on purpose: included with different definitions of _().
 */
_(NOP,      0x00, NOP,   "nop")
_(ADD3_64,  0x8f, ALU3,  "+")
_(SUB3_64,  0xd7, ALU3,  "-")
_(OR3_64,   0xdf, ALU3,  "|")
_(AND3_64,  0xe7, ALU3,  "&")
_(LSH3_64,  0xef, ALU3,  "<<")
_(RSH3_64,  0xf7, ALU3,  ">>")
_(XOR3_64,  0xff, ALU3,  "^")
_(ADD3_32,  0x8c, ALU3,  "+")
_(AND3_32,  0xe4, ALU3,  "&")
_(LSH3_32,  0xec, ALU3,  "<<")
_(RSH3_32,  0xf4, ALU3,  ">>")
_(XOR3_32,  0xfc, ALU3,  "^")
_(LD6,      0x59, LD6,   "u48")
_(STX6,     0x5a, STX6,  "u48")
_(ST6,      0x52, ST6,   "u48")
_(EXITK,    0x96, EXITK, "exit")
