/* vliw_internal.h - the compiler's IR, the shared analyses (cfg.c) and the
 * pass and scheduler entry points. */
#ifndef JN_VLIW_INTERNAL_H
#define JN_VLIW_INTERNAL_H

#include "vliw/vliw.h"

enum jn_xform {
#define F_(f) XF_##f,
	JN_ISA_FORMS(F_)
#undef F_
	XF_NOP, XF_ALU3, XF_LD6, XF_STX6, XF_ST6, XF_EXITK,
};

/* One instruction of the IR: a base eBPF op or an extended one. */
struct xin {
	uint16_t op;       /* enum jn_xop */
	uint8_t dst, src;
	int16_t off;
	int32_t imm;
	int32_t imm2;      /* lddw: the second slot's imm */
	int32_t tgt;       /* jumps: target index in the IR; after scheduling, the row */
	uint32_t pc;       /* the eBPF pc it came from */
	uint16_t chk;      /* checked load: data + chk <= data_end required (0: none) */
	uint8_t chk_act;   /* ... else exit with this action */
	uint8_t del;       /* removed by a pass */
	uint8_t anyhelper; /* call: helper ids are the embedder's (plain-memory contract) */
};

struct xinfo { const char *name; uint8_t opcode; uint8_t form; const char *text; };
extern const struct xinfo jn_vliw_xinfo[JN_XOP__COUNT];

static inline int xform(const struct xin *i) { return jn_vliw_xinfo[i->op].form; }
bool jn_vliw_is_jump(const struct xin *i);     /* JA, GOTOL, JCC */
bool jn_vliw_is_cond(const struct xin *i);     /* JCC */
bool jn_vliw_is_exit(const struct xin *i);     /* EXIT, EXITK */
bool jn_vliw_is_load(const struct xin *i);     /* LDX, LDXSX, LD6 */
bool jn_vliw_is_store(const struct xin *i);    /* ST, STX, ST6, STX6, atomics */
bool jn_vliw_is_pure(const struct xin *i);     /* ALU, MOV, lddw: no memory, never faults */
unsigned jn_vliw_msize(const struct xin *i);   /* bytes a load/store touches */
/* Registers read and written (bit r for rN). */
uint16_t jn_vliw_uses(const struct xin *i);
uint16_t jn_vliw_defs(const struct xin *i);
/* Disassemble; jumps print "goto <row>" once scheduled, else "goto +tgt". */
void jn_vliw_text(const struct xin *i, bool sched, char *buf, size_t len);

/* ---- the function being compiled ---- */
struct xfn {
	struct xin *code;
	size_t n;
	bool ctx_mem;        /* r1 is plain memory, r2 its length (not xdp_md) */
	const struct jn_vliw_map *maps;   /* per map index (jn_vliw_opts), or NULL */
	size_t n_maps;
	/* analyses (cfg.c), valid after jn_vliw_analyse */
	uint8_t *target;     /* per insn: 1 if some jump lands on it */
	uint32_t *npred;     /* per insn: predecessors (fall-through and jumps) */
	uint16_t *live_out;  /* per insn: registers live after it */
	uint16_t *live_in;
	struct absval *av;   /* per insn: register facts before it (n * 11) */
	uint64_t *zero;      /* per insn: stack bytes known zero before it (n * 8 words) */
	uint16_t *minlen;    /* per insn: bytes the packet surely has from data, before it */
	void *scratch;       /* cfg.c's working states, kept between analyses */
	size_t scratch_n;
};

/* Abstract values of the forward analysis. */
enum akind { AK_TOP, AK_UNK, AK_CONST, AK_CTX, AK_PKT, AK_END, AK_STACK, AK_NONSTACK,
	     AK_PKTV, AK_MAPV, AK_BITS };
/* PKT: data + v; STACK: r10 + v; CONST: v; PKTV: somewhere in the packet
 * buffer; MAPV: a map value (v 0: or NULL; v > 0: an lddw'd one, never NULL, with
 * v - 1 bytes of the value known to lie from it); NONSTACK: a pointer that is not into
 * the stack (v: 1 + the map's index when it is a map lddw's map; else 0); BITS: a number below 2^v (not a pointer); UNK: anything. */
struct absval { uint8_t kind; int64_t v; };

/* Which memory a base register points into, before insn i. */
enum jn_vliw_region { RG_UNK, RG_STACK, RG_PKT, RG_MAP, RG_CTX, RG_NONSTACK };
enum jn_vliw_region jn_vliw_region(const struct xfn *f, size_t i, uint8_t reg);

int jn_vliw_analyse(struct xfn *f, char *err, size_t errlen);
void jn_vliw_fn_free(struct xfn *f);
/* Drop deleted instructions, remapping jump targets (a target that was
 * deleted moves to the next instruction kept).  Returns 0 or -ENOMEM. */
int jn_vliw_compact(struct xfn *f);
/* Delete pure instructions whose results are never read. Returns how many. */
size_t jn_vliw_dce(struct xfn *f);
/* Does reg hold r10 + *off before insn i? */
bool jn_vliw_base_is_stack(const struct xfn *f, size_t i, uint8_t reg, int64_t *off);
/* Are the two memories surely different (neither unknown)? */
bool jn_vliw_regions_apart(enum jn_vliw_region a, enum jn_vliw_region b);
/* Can [reg + off, +sz) before insn i and [reg2 + off2, +sz2) before insn i2
 * never overlap?  Known different memories, or packet (stack) ranges at
 * known offsets from data (r10) that are disjoint. */
bool jn_vliw_apart(const struct xfn *f, size_t i, uint8_t reg, int64_t off, unsigned sz, size_t i2,
		   uint8_t reg2, int64_t off2, unsigned sz2);
/* Can the load at i never fault wherever the packet has at least minlen
 * bytes (stack slots in range, context fields, packet bytes below minlen)? */
bool jn_vliw_load_safe(const struct xfn *f, size_t i, uint16_t minlen);
/* The load at i reads packet bytes through a base rB whose place is not
 * known: the comparison "rB + K <= data_end" (any spelling, rP = rB + K
 * set just before it) on every way to i, with rB unchanged and no helper
 * call since, proves it in bounds.  Returns that comparison's index (the
 * load cannot fault anywhere after it), or -1. */
long jn_vliw_load_guard(const struct xfn *f, size_t i);
/* Bits a register's value surely fits in before insn i (a known number:
 * 0..64), or -1 when it may be a pointer or negative constant. */
int jn_vliw_bits(const struct xfn *f, size_t i, uint8_t reg);

/* Inline every bpf-to-bpf call (inline.c).  *out (malloc'd, caller frees,
 * with *pcs: each slot's pc in insns) holds *nout slots without local calls;
 * NULL when insns has none (use insns as they are).  insns must be valid
 * (jn_isa_validate).  Returns 0 or negative errno with "vliw: pc N: ..." */
int jn_vliw_inline(const struct jn_insn *insns, size_t n, struct jn_insn **out, uint32_t **pcs,
		   size_t *nout, char *err, size_t errlen);

/* Successors of insn i (stack.c, cfg.c): returns how many (0..2). */
size_t jn_vliw_succ(const struct xfn *f, size_t i, size_t s[2]);
/* Stack use (stack.c).  Does a stack pointer escape cfg.c's facts? */
bool jn_vliw_stack_escapes(const struct xfn *f);
/* Stack bytes [lo, hi) from r10 insn k may read (a helper: its pointer
 * arguments', jn_vliw_call_stack); -1 when it may read anything. */
int jn_vliw_stack_reads(const struct xfn *f, size_t k, int64_t *lo, int64_t *hi);
/* The map (jn_vliw_opts maps) lddw'd into r1 at call k, its index in
 * *idx (idx may be NULL); NULL if not known. */
const struct jn_vliw_map *jn_vliw_call_map(const struct xfn *f, size_t k, uint32_t *idx);
/* Stack bytes [lo, hi) from r10 helper call k reads through its pointer
 * arguments (from each to the top of the stack, but a map's key and an
 * update's value are their map's sizes when known); lo = hi when none. */
void jn_vliw_call_stack(const struct xfn *f, size_t k, int64_t *lo, int64_t *hi);
/* Is insn k a plain store of stack bytes [lo, hi) from r10? */
bool jn_vliw_stack_write(const struct xfn *f, size_t k, int64_t *lo, int64_t *hi);
/* Per insn, the stack bytes read before being written from there on (8
 * words of bits, byte r10 - 512 first); all of them if a stack pointer
 * escapes.  malloc'd (caller frees), NULL if out of memory. */
uint64_t *jn_vliw_stack_live(const struct xfn *f);
/* Are stack bytes [lo, hi) dead before insn i? */
bool jn_vliw_stack_dead(const uint64_t *live, size_t i, int64_t lo, int64_t hi);

/* Passes: return how many instructions they removed or rewrote away, or
 * negative errno. f is analysed before each pass. */
int jn_vliw_pass_zero(struct xfn *f);
int jn_vliw_pass_exit(struct xfn *f);
int jn_vliw_pass_arrayk(struct xfn *f);
int jn_vliw_pass_bounds(struct xfn *f);
int jn_vliw_pass_copy(struct xfn *f);
int jn_vliw_pass_ldcomb(struct xfn *f);
int jn_vliw_pass_alu3(struct xfn *f);
int jn_vliw_pass_select(struct xfn *f);
int jn_vliw_pass_spill(struct xfn *f);
int jn_vliw_pass_ld6(struct xfn *f);
int jn_vliw_pass_rename(struct xfn *f);

/* The schedule. */
struct jn_vliw_prog {
	struct xin *code;    /* the lowered IR; jump tgt fields hold rows */
	size_t n;
	int lanes;
	size_t nrows;
	int32_t *rows;       /* nrows * lanes: IR index, -1 empty, -2 second half of lddw */
	bool ctx_mem;
	struct jn_vliw_stats st;
};

/* Schedule f (analysed) into p->rows; fills code, n, nrows, rows. */
int jn_vliw_schedule(struct xfn *f, int lanes, bool motion, struct jn_vliw_prog *p,
		     char *err, size_t errlen);

#endif
