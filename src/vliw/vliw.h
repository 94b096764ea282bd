/* vliw.h - hXDP: the extended eBPF ISA, the VLIW compiler and the Sephirot
 * simulator (docs/hxdp.md).
 *
 * jn_vliw_compile lowers an eBPF program through a list of passes (each can
 * be switched off) and schedules it into rows of N lanes.  A jn_vliw_sim
 * runs the rows on packets inside a jn_xdp instance (its frame, maps and
 * helpers), so its results compare one to one with the interpreter's.
 * jn_vliw_pair does exactly that comparison, packet by packet.
 */
#ifndef JN_VLIW_H
#define JN_VLIW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "isa/isa.h"
#include "vm/xdp.h"

/* The extended opcode space: the base table's ops, then hXDP's. */
enum jn_xop {
	JN_XOP__BASE = JN_OP__COUNT - 1,
#define _(id, opc, form, text) JN_XOP_##id,
#include "xisa_table.h"
#undef _
	JN_XOP__COUNT
};

/* The lowering passes, in the order the compiler runs them:
 * _(id, option name, what it does). */
#define JN_VLIW_PASSES(_) \
	_(ZERO, "zero", "remove stores of zero into stack bytes that are still zero") \
	_(BOUNDS, "bounds", "remove data_end checks: the load after them checks in hardware") \
	_(EXIT, "exit", "fuse r0 = K; exit into the parameterized exit") \
	_(ARRAYK, "arrayk", "an array lookup with a known key becomes the element's address (never NULL)") \
	_(COPY, "copy", "propagate copies: read rS instead of rD after rD = rS") \
	_(LDCOMB, "ldcomb", "put byte loads joined by shift and or together into one wider load") \
	_(ALU3, "alu3", "fuse rD = rS; rD op= K into the 3-operand rD = rS op K") \
	_(SELECT, "select", "if-convert a flag set by a comparison into a carry: rX = (rY > K)") \
	_(SPILL, "spill", "reload a spilled load from where it was loaded; drop stack stores nobody reads") \
	_(LD6, "ld6", "fuse contiguous 6-byte copies into one 6-byte load and store") \
	_(RENAME, "rename", "rename registers (r0-r9) to break false dependencies")

enum jn_vliw_pass {
#define P_(id, name, help) JN_VLIW_PASS_##id,
	JN_VLIW_PASSES(P_)
#undef P_
	JN_VLIW_NPASSES
};
extern const char *const jn_vliw_pass_names[JN_VLIW_NPASSES];
extern const char *const jn_vliw_pass_help[JN_VLIW_NPASSES];
#define JN_VLIW_ALL_PASSES ((1u << JN_VLIW_NPASSES) - 1)

enum { JN_VLIW_MAX_LANES = 8, JN_VLIW_DEFAULT_LANES = 4 };

/* What the compiler may know of a map the program uses. */
struct jn_vliw_map { uint32_t type, key, value, entries; };   /* BPF_MAP_TYPE_*, bytes, bytes */

struct jn_vliw_opts {
	int lanes;            /* 1..8; 0: 4 */
	unsigned passes;      /* bit per enum jn_vliw_pass; JN_VLIW_ALL_PASSES for all */
	bool no_motion;       /* schedule each basic block alone (no code motion) */
	bool ctx_mem;         /* conformance contract: r1 = memory, r2 = its length (not xdp_md) */
	/* The maps the program's map lddws name (map i: maps[i]).  A lookup
	 * then reads just its key from the stack (an update its key and
	 * value), and an array lookup with a known key becomes the element's
	 * address (pass arrayk); without them (NULL) a lookup counts as
	 * reading from its key to the top of the stack.  jn_vliw_pair_open
	 * fills them from the object. */
	const struct jn_vliw_map *maps;
	size_t n_maps;
};

/* What the compiler did. */
struct jn_vliw_stats {
	size_t ebpf_insns;          /* instruction slots of the input (lddw counts 2) */
	size_t ebpf_ops;            /* instructions of the input (lddw counts 1) */
	size_t insns;               /* instructions after lowering */
	size_t rows;                /* VLIW rows */
	size_t rows_base;           /* rows with no pass on */
	size_t rows_after[JN_VLIW_NPASSES];  /* rows with passes 0..k on (of those enabled) */
	size_t removed[JN_VLIW_NPASSES];     /* instructions each pass removed */
	double ipc;                 /* static: insns / rows */
	double compile_us;          /* wall time of this compilation */
};

struct jn_vliw_prog;   /* compiled program; owned by the caller (jn_vliw_free) */

/* Type, key and value bytes and entries of x's maps, for jn_vliw_opts maps
 * (malloc'd, n in *n; NULL with *n = 0 when x has no maps or memory ran
 * out). */
struct jn_vliw_map *jn_vliw_maps(struct jn_xdp *x, size_t *n);

/* Compile insns (one XDP program as jn_obj gives it: map lddws in index
 * form).  Refuses, with "vliw: pc N: ..." in err, what Sephirot cannot run:
 * bpf-to-bpf calls, callx, kfuncs, function addresses, legacy packet loads. */
int jn_vliw_compile(const struct jn_insn *insns, size_t n, const struct jn_vliw_opts *opts,
		    struct jn_vliw_prog **out, char *err, size_t errlen);
void jn_vliw_free(struct jn_vliw_prog *p);
const struct jn_vliw_stats *jn_vliw_stats(const struct jn_vliw_prog *p);
int jn_vliw_lanes(const struct jn_vliw_prog *p);

/* The rows as text: one line per row, lanes separated by " | ". */
int jn_vliw_listing(FILE *f, const struct jn_vliw_prog *p);
/* The instruction memory image: rows x lanes 8-byte slots, little endian,
 * empty lanes as NOP (all zero); jump offsets count rows.  Returns 0 or -EIO. */
int jn_vliw_emit_imem(FILE *f, const struct jn_vliw_prog *p);
/* Text of one extended instruction slot (decoded from the image form). */
int jn_vliw_xdisasm(const struct jn_insn *slot, char *buf, size_t len);
/* Opcode byte to extended op (0xd7 is SUB3_64, see xisa_table.h); JN_XOP__COUNT if none. */
enum jn_xop jn_vliw_xdecode(const struct jn_insn *slot);

/* ---- Sephirot ---- */
struct jn_vliw_sim_opts {
	double clock_mhz;           /* 0: 156.25 */
	unsigned helper_cycles;     /* extra cycles a helper call stalls the core (0: default 2) */
	uint64_t max_rows;          /* rows per packet before the run is stopped (0: 10M) */
};

/* Per-packet timing. */
struct jn_vliw_timing {
	uint64_t rows;              /* rows executed */
	uint64_t insns;             /* instructions executed (lanes with work) */
	uint64_t cycles;            /* core cycles, pipeline included */
	uint64_t frames;            /* 32-byte frames the packet takes to arrive */
	uint64_t taken;             /* taken branches and jumps */
	uint64_t calls;             /* helper calls */
};

struct jn_vliw_sim;   /* owned by the caller (jn_vliw_sim_free) */

/* A simulator running p inside x (maps, helpers, frame).  p and x must
 * outlive it.  Map lddws are resolved against x here. */
int jn_vliw_sim_new(const struct jn_vliw_prog *p, struct jn_xdp *x,
		    const struct jn_vliw_sim_opts *opts, struct jn_vliw_sim **out,
		    char *err, size_t errlen);
void jn_vliw_sim_free(struct jn_vliw_sim *s);
/* Run one packet; same contract as jn_xdp_run.  t may be NULL. */
int jn_vliw_sim_run(struct jn_vliw_sim *s, const uint8_t *pkt, uint32_t len, uint64_t ts_ns,
		    struct jn_xdp_result *res, struct jn_vliw_timing *t);
double jn_vliw_sim_clock(const struct jn_vliw_sim *s);
/* Run p (compiled with ctx_mem) on a run state prepared by
 * jn_vm_run_init_mem: r1 = memory, r2 = its length, helpers[0..n_helpers)
 * by id (NULL entries: unsupported), no maps.  Returns 0 and r0, or the
 * run's negative error (message in run->errmsg). */
int jn_vliw_exec_mem(const struct jn_vliw_prog *p, struct jn_vm_run *run,
		     const struct jn_helper *helpers, size_t n_helpers, uint64_t *r0,
		     struct jn_vliw_timing *t);

/* ---- the interpreter and the simulator side by side ---- */
struct jn_vliw_pair;  /* owned by the caller (jn_vliw_pair_close) */

/* Open obj_path (program prog, NULL: the first), fill maps from maps_path
 * (NULL: none) into two instances, compile for one.  err says which step failed. */
int jn_vliw_pair_open(const char *obj_path, const char *prog, const char *maps_path,
		      const struct jn_vliw_opts *vo, const struct jn_vliw_sim_opts *so,
		      struct jn_vliw_pair **out, char *err, size_t errlen);
void jn_vliw_pair_close(struct jn_vliw_pair *pr);
const struct jn_vliw_prog *jn_vliw_pair_prog(const struct jn_vliw_pair *pr);
const struct jn_vliw_sim *jn_vliw_pair_sim(const struct jn_vliw_pair *pr);
/* Run one packet through both.  Returns 0 if they agree (action, fault or
 * not, output bytes, redirect target), 1 if not (err says how), -EINVAL if
 * XDP never sees such a packet (skipped).  t, res may be NULL. */
int jn_vliw_pair_run(struct jn_vliw_pair *pr, const uint8_t *pkt, uint32_t len, uint64_t ts_ns,
		     struct jn_vliw_timing *t, struct jn_xdp_result *res, char *err, size_t errlen);
/* Compare every map of both instances: 0 equal, 1 not (err names the map). */
int jn_vliw_pair_maps(struct jn_vliw_pair *pr, char *err, size_t errlen);

/* ---- the paper's Table 3 ---- */
/* Print the table for the shipped programs corresponding to hXDP's Table 3
 * (build/progs/<name>.o with progs/<name>.maps.json, relative to the repo
 * root) beside the paper's figures; traffic is generated.  Returns 0, or
 * negative errno if a program could not be compiled or run (the row says why). */
int jn_vliw_bench_table(FILE *out, bool json);

#endif
