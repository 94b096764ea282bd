/* sched.c - the VLIW scheduler: instructions into rows of N lanes.
 *
 * The program is cut into superblocks: straight runs of code that only
 * enter at the top (a jump target starts a new one) and leave through
 * their branches or at the bottom.  Each superblock is list-scheduled in
 * program order, and again most urgent first between barriers (see
 * place_segment; the schedule with fewer rows is kept): every instruction
 * goes into the earliest row that keeps
 *   - the data dependencies (registers, and memory: stack bytes by offset
 *     from r10, packet bytes by offset from data, maps and the rest as one
 *     region, each also as a whole when the offset is unknown; a helper
 *     call reads and writes all memory -- a map lookup only reads its key,
 *     time or random nothing -- and its arguments r1-r5 are its inputs):
 *     read-after-write and write-after-write need a later row, a write may
 *     share the row of an earlier read (a row reads every operand at fetch,
 *     before any lane commits) -- Bernstein's conditions between the lanes
 *     of a row, relaxed for that one case;
 *   - one helper call per row, and the row's width (lddw takes two lanes;
 *     with one lane, two rows);
 *   - the control order: a branch, exit or checked load comes no earlier
 *     than anything before it; loads, stores and calls stay after the
 *     branches before them; pure ALU instructions may move up above a
 *     branch (into rows that run whether it is taken or not) when what they
 *     write is dead where the branch goes -- code motion between
 *     control-equivalent stretches -- and so may loads that cannot fault
 *     there: stack slots, context fields, packet bytes the checks before
 *     that branch already guarantee (also through a base whose place in
 *     the packet is unknown, checked as "rB + K <= data_end"), and stores
 *     into stack bytes that are dead where the branch goes (stack.c).
 * Within a row, lanes are in placement order (program order for branches
 * and for dependent instructions), so when several branches of a row are taken the first one in program order (lane 0 first) wins, as
 * Sephirot's lane priority does.  Jump targets are the first rows of their
 * superblocks; every lane's jump is patched.  Registers are never renamed:
 * the code uses r0-r10 only, as its input did. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "vliw_internal.h"

enum { NR = JN_ISA_NREGS, SB = JN_ISA_STACK, PB = 1024, MAXCTL = 4096 };

struct ctl { int32_t row; uint16_t livein, minlen; uint32_t idx; };

/* The state at a conditional jump J whose target L has no other way in:
 * pure instructions from the top of L may go into J's superblock, in rows
 * up to J's (they then run on both sides of J; they are dead on the
 * fall-through side).  wr/rd: last rows writing/reading each register by
 * J (and by the instructions hoisted so far); dead: the last row of a
 * branch before J to where the register is live. */
struct hoist {
	bool ok;
	bool fall;                     /* L is also reached by falling through J's superblock */
	uint16_t later;                /* ... registers live where its branches after J go */
	int32_t jrow, start, sb;
	uint32_t j;
	int32_t wr[JN_ISA_NREGS], wrj[JN_ISA_NREGS], rd[JN_ISA_NREGS], dead[JN_ISA_NREGS];
};
struct sbend { int32_t wr[JN_ISA_NREGS]; uint16_t hdefs, huses; };

/* Last rows that stored / loaded each byte of one memory, and the whole of it. */
struct space {
	int32_t n;                       /* bytes tracked one by one (0: none) */
	int32_t *st, *ld;
	int32_t st_all, ld_all;          /* accesses anywhere in it */
	int32_t st_max, ld_max;          /* the latest of every access */
};

/* SP_REL: packet bytes by offset from one base register (one definition
 * of it) whose place in the packet is unknown; it may overlap anything in
 * SP_PKT, so the two check each other's latest accesses. */
enum { SP_STACK, SP_PKT, SP_OTHER, SP_REL, SP_MREL, NSP };
/* SP_MREL: the same for map values through the latest base register used
 * (accesses through earlier ones go over to SP_OTHER): it may overlap
 * anything in SP_OTHER. */
static int partner(int k)
{
	return k == SP_PKT ? SP_REL : k == SP_REL ? SP_PKT : k == SP_OTHER ? SP_MREL : k == SP_MREL ? SP_OTHER : -1;
}

struct sched {
	int lanes;
	bool motion, prio;
	size_t nrows, cap;
	int32_t *rows;
	uint8_t *used, *call;
	int32_t start;                 /* first row of the superblock */
	int32_t wr[NR], rd[NR];
	int32_t stack_st[SB], stack_ld[SB], pkt_st[PB], pkt_ld[PB], rel_st[PB], rel_ld[PB];
	int32_t mrel_st[PB], mrel_ld[PB];
	int mrel_reg;                  /* SP_MREL's base register and its definition, or -1 */
	int32_t mrel_def;
	int32_t defidx[JN_ISA_NREGS];  /* last instruction writing each register (-1: none yet) */
	int rel_reg;                   /* SP_REL's base register and its definition, or -1 */
	int32_t rel_def;
	struct space sp[NSP];
	int32_t maxrow, lastctl;
	int32_t ctlfloor;              /* branches and exits go no earlier (merged joins) */
	int8_t cp[JN_ISA_NREGS];       /* rK = rS copied last in this superblock: S, or -1 */
	int32_t cpw[JN_ISA_NREGS];     /* ... the row rS's value was written by */
	int32_t cpk[JN_ISA_NREGS];     /* ... the first row writing rS after the copy */
	int32_t *at;                   /* row of each placed instruction */
	uint8_t *up;                   /* per IR index: hoisted into a jump's rows */
	struct hoist *hs;              /* per IR index: a jump target open to hoisting */
	struct sbend *sbe;             /* per superblock: its registers' last writes */
	int32_t sb;                    /* the current superblock's number */
	struct ctl *ctl;
	size_t nctl;
	uint64_t *slive;               /* stack bytes live before each instruction (stack.c) */
};

static int32_t max32(int32_t a, int32_t b) { return a > b ? a : b; }

static int grow(struct sched *s, size_t need)
{
	if (need <= s->cap)
		return 0;
	size_t cap = s->cap ? s->cap * 2 : 64;
	while (cap < need)
		cap *= 2;
	int32_t *r = realloc(s->rows, cap * (size_t)s->lanes * sizeof(*r));
	if (!r)
		return -ENOMEM;
	s->rows = r;
	uint8_t *u = realloc(s->used, cap), *c = realloc(s->call, cap);
	if (u)
		s->used = u;
	if (c)
		s->call = c;
	if (!u || !c)
		return -ENOMEM;
	for (size_t k = s->cap; k < cap; k++) {
		s->used[k] = s->call[k] = 0;
		for (int l = 0; l < s->lanes; l++)
			s->rows[k * (size_t)s->lanes + (size_t)l] = -1;
	}
	s->cap = cap;
	return 0;
}

static void begin_superblock(struct sched *s)
{
	int32_t none = (int32_t)s->nrows - 1;

	memcpy(s->sbe[s->sb].wr, s->wr, sizeof(s->wr));
	s->sb++;
	s->sbe[s->sb] = (struct sbend){ .hdefs = 0 };
	s->start = (int32_t)s->nrows;
	for (int k = 0; k < NR; k++)
		s->wr[k] = s->rd[k] = none;
	s->sp[SP_STACK] = (struct space){ SB, s->stack_st, s->stack_ld, none, none, none, none };
	s->sp[SP_PKT] = (struct space){ PB, s->pkt_st, s->pkt_ld, none, none, none, none };
	s->sp[SP_OTHER] = (struct space){ 0, NULL, NULL, none, none, none, none };
	s->sp[SP_REL] = (struct space){ PB, s->rel_st, s->rel_ld, none, none, none, none };
	s->sp[SP_MREL] = (struct space){ PB, s->mrel_st, s->mrel_ld, none, none, none, none };
	for (int k = 0; k < PB; k++)
		s->rel_st[k] = s->rel_ld[k] = s->mrel_st[k] = s->mrel_ld[k] = none;
	for (int k = 0; k < NR; k++)
		s->defidx[k] = -1;
	s->rel_reg = s->mrel_reg = -1;
	for (int k = 0; k < SB; k++)
		s->stack_st[k] = s->stack_ld[k] = none;
	for (int k = 0; k < PB; k++)
		s->pkt_st[k] = s->pkt_ld[k] = none;
	s->maxrow = s->lastctl = none;
	s->ctlfloor = 0;
	s->nctl = 0;
	memset(s->cp, -1, sizeof(s->cp));
}

/* A jump target L = i that only jumps from the current superblock (from
 * the instructions first..i-1) and the fall-through reach need not start a
 * new superblock: when every jump to it sits in one row R and everything
 * between the first of them and L went into rows up to R (so it ran, dead
 * where the jump goes, when the jump is taken), the jumps land on row R+1
 * and L's code goes on scheduling with the superblock, its branches and
 * exits after row R.  Returns the row the jumps to L land on, or -1. */
static int32_t join_row(const struct sched *s, const struct xfn *f, size_t first, size_t i)
{
	int32_t r = -1;
	size_t jumps = 0, j0 = i;

	for (size_t j = first; j < i; j++) {
		const struct xin *in = &f->code[j];
		if (!jn_vliw_is_jump(in) || (size_t)in->tgt != i)
			continue;
		if (!jn_vliw_is_cond(in) || (r >= 0 && s->at[j] != r))
			return -1;
		r = s->at[j];
		jumps++;
		if (j < j0)
			j0 = j;
	}
	if (r < 0 || jumps + 1 != f->npred[i])
		return -1;
	for (size_t j = j0 + 1; j < i; j++)
		if (s->at[j] > r)
			return -1;
	return r + 1;
}

static bool reads_mem(const struct xin *in)
{
	int f = xform(in);
	return jn_vliw_is_load(in) || f == XF_CALL || f == XF_ATOMIC || f == XF_AFETCH ||
	       f == XF_AXCHG || f == XF_ACMPXCHG;
}

/* A helper call that may change memory the program can read (all but the
 * ones that only read: map lookup, time, random, cpu id, trace_printk,
 * redirect, csum_diff, redirect_map). */
static bool writing_call(const struct xin *in)
{
	static const int32_t ro[] = { 1, 5, 6, 7, 8, 23, 28, 51 };

	if (xform(in) != XF_CALL)
		return false;
	if (in->anyhelper)
		return true;   /* the plain-memory contract's helpers are the embedder's */
	for (size_t k = 0; k < sizeof(ro) / sizeof(ro[0]); k++)
		if (in->imm == ro[k])
			return false;
	return true;
}

/* Memory an access touches: per space, bytes [lo, hi) or all of it (lo < 0). */
struct touch { int32_t lo[NSP], hi[NSP]; bool any[NSP]; };

static void touch_all(struct touch *t, int sp)
{
	t->any[sp] = true;
	t->lo[sp] = -1;
}

static void touch_bytes(struct touch *t, int sp, int64_t a, unsigned sz, int32_t n)
{
	if (a < 0 || a + (int64_t)sz > n) {
		touch_all(t, sp);
		return;
	}
	t->any[sp] = true;
	t->lo[sp] = (int32_t)a;
	t->hi[sp] = (int32_t)(a + sz);
}

/* Memory a helper call touches: the ones that only read (writing_call)
 * read what their pointer arguments point to -- map lookup its key on the
 * stack (jn_vliw_call_stack);
 * time, random, cpu id, redirect and redirect_map read nothing the
 * program can write.  Every other call: all memory. */
static void call_region(const struct xfn *f, size_t i, struct touch *t)
{
	const struct xin *in = &f->code[i];
	const struct absval *key = &f->av[i * NR + 2];

	if (!in->anyhelper && (in->imm == 5 || in->imm == 7 || in->imm == 8 || in->imm == 23 || in->imm == 51))
		return;
	if (!in->anyhelper && in->imm == 1 && key->kind == AK_STACK && key->v >= -SB && key->v < 0) {
		int64_t lo, hi;
		jn_vliw_call_stack(f, i, &lo, &hi);
		touch_bytes(t, SP_STACK, SB + lo, (unsigned)(hi - lo), SB);
		return;
	}
	for (int k = 0; k < NSP; k++)
		touch_all(t, k);
}

/* SP_MREL follows a new map value base: what the old one accessed counts
 * from now on as accesses anywhere in SP_OTHER (which the new base's
 * accesses check as a whole). */
static void mrel_switch(struct sched *s, uint8_t base)
{
	struct space *m = &s->sp[SP_MREL], *o = &s->sp[SP_OTHER];
	int32_t none = s->start - 1;

	o->st_all = max32(o->st_all, m->st_max);
	o->ld_all = max32(o->ld_all, m->ld_max);
	o->st_max = max32(o->st_max, m->st_max);
	o->ld_max = max32(o->ld_max, m->ld_max);
	for (int k = 0; k < PB; k++)
		m->st[k] = m->ld[k] = none;
	m->st_all = m->ld_all = m->st_max = m->ld_max = none;
	s->mrel_reg = base;
	s->mrel_def = s->defidx[base];
}

static void region(struct sched *s, const struct xfn *f, size_t i, struct touch *t)
{
	const struct xin *in = &f->code[i];
	uint8_t base = jn_vliw_is_load(in) ? in->src : in->dst;
	const struct absval *b = &f->av[i * NR + base];
	unsigned sz = jn_vliw_msize(in);

	memset(t, 0, sizeof(*t));
	if (xform(in) == XF_CALL) {
		call_region(f, i, t);
		return;
	}
	switch (jn_vliw_region(f, i, base)) {
	case RG_STACK:
		touch_bytes(t, SP_STACK, SB + b->v + in->off, sz, SB);
		return;
	case RG_PKT:
		if (b->kind == AK_PKT) {
			touch_bytes(t, SP_PKT, b->v + in->off, sz, PB);
		} else if (s->rel_reg < 0 || (s->rel_reg == base && s->rel_def == s->defidx[base])) {
			s->rel_reg = base;   /* (the first such base of the superblock) */
			s->rel_def = s->defidx[base];
			touch_bytes(t, SP_REL, PB / 2 + (int64_t)in->off, sz, PB);
		} else {
			touch_all(t, SP_PKT);
		}
		return;
	case RG_MAP:
		if (s->mrel_reg != base || s->mrel_def != s->defidx[base])
			mrel_switch(s, base);
		touch_bytes(t, SP_MREL, PB / 2 + (int64_t)in->off, sz, PB);
		return;
	case RG_CTX:
		touch_all(t, SP_OTHER);
		return;
	case RG_NONSTACK:
		touch_all(t, SP_PKT);
		touch_all(t, SP_OTHER);
		return;
	default:
		for (int k = 0; k < NSP; k++)
			touch_all(t, k);
	}
}

/* Earliest row for an access of t: loads after stores, stores after both
 * -- a plain store (not reading memory: same) may share the row of an
 * earlier store, since a row's stores reach memory in lane order, which
 * is the order they were placed in. */
static int32_t mem_bound(const struct sched *s, const struct touch *t, bool wr, bool same)
{
	int32_t lo = 0;

	for (int k = 0; k < NSP; k++) {
		const struct space *p = &s->sp[k];
		if (!t->any[k])
			continue;
		if (t->lo[k] < 0) {
			lo = max32(lo, wr ? max32(p->st_max + !same, p->ld_max) : p->st_max + 1);
			continue;
		}
		lo = max32(lo, wr ? max32(p->st_all + !same, p->ld_all) : p->st_all + 1);
		for (int32_t b = t->lo[k]; b < t->hi[k]; b++)
			lo = max32(lo, wr ? max32(p->st[b] + !same, p->ld[b]) : p->st[b] + 1);
	}
	for (int k = SP_PKT; k < NSP; k++)   /* each of a pair against all of the other */
		if (t->any[k] && partner(k) >= 0) {
			const struct space *o = &s->sp[partner(k)];
			lo = max32(lo, wr ? max32(o->st_max + !same, o->ld_max) : o->st_max + 1);
		}
	return lo;
}

static void mem_note(struct sched *s, const struct touch *t, bool rd, bool wr, int32_t r)
{
	for (int k = 0; k < NSP; k++) {
		struct space *p = &s->sp[k];
		if (!t->any[k])
			continue;
		if (wr)
			p->st_max = max32(p->st_max, r);
		if (rd)
			p->ld_max = max32(p->ld_max, r);
		if (t->lo[k] < 0) {
			if (wr)
				p->st_all = max32(p->st_all, r);
			if (rd)
				p->ld_all = max32(p->ld_all, r);
			continue;
		}
		for (int32_t b = t->lo[k]; b < t->hi[k]; b++) {
			if (wr)
				p->st[b] = max32(p->st[b], r);
			if (rd)
				p->ld[b] = max32(p->ld[b], r);
		}
	}
}

/* The first row instruction i may go to among the branches of its
 * superblock: below each branch to where what it writes is live -- a
 * register of d, stack bytes [slo, shi) of a store (or the jump lands
 * between the branch and i) -- and each a load of i could fault above. */
static int32_t motion_floor(const struct sched *s, const struct xfn *f, size_t i, uint16_t d, bool load,
			    int64_t slo, int64_t shi)
{
	long g = load ? jn_vliw_load_guard(f, i) : -1;
	int32_t lo = 0;

	for (size_t c = 0; c < s->nctl; c++) {
		const struct ctl *k = &s->ctl[c];
		const struct xin *j = &f->code[k->idx];
		bool stays = (d & k->livein) ||
			     (load && !jn_vliw_load_safe(f, i, k->minlen) && !(g >= 0 && (size_t)g < k->idx));
		if (slo < shi && jn_vliw_is_jump(j))
			stays |= ((size_t)j->tgt > k->idx && (size_t)j->tgt <= i) ||
				 !jn_vliw_stack_dead(s->slive, (size_t)j->tgt, slo, shi);
		if (stays)
			lo = max32(lo, k->row + 1);
	}
	return lo;
}

static int32_t earliest(struct sched *s, const struct xfn *f, size_t i, bool *isctl)
{
	const struct xin *in = &f->code[i];
	uint16_t u = jn_vliw_uses(in), d = jn_vliw_defs(in);
	bool rd = reads_mem(in), wr = jn_vliw_is_store(in) || writing_call(in);
	int32_t lo = s->start;

	for (int k = 0; k < NR; k++) {
		if (u & (1u << k))
			lo = max32(lo, s->wr[k] + 1);
		if (d & (1u << k))
			lo = max32(lo, max32(s->wr[k] + 1, s->rd[k]));
	}
	if (rd || wr) {
		struct touch t;
		region(s, f, i, &t);
		lo = max32(lo, mem_bound(s, &t, wr, !rd && jn_vliw_is_store(in)));
	}
	*isctl = jn_vliw_is_jump(in) || jn_vliw_is_exit(in) || in->chk;
	if (*isctl)
		lo = max32(lo, max32(max32(s->maxrow, s->lastctl), s->ctlfloor));
	bool load = jn_vliw_is_load(in) && !in->chk;
	int64_t slo = 0, shi = 0;
	bool sstore = s->slive && jn_vliw_stack_write(f, i, &slo, &shi);
	if ((rd && !load && !in->chk) || (wr && !sstore) || !s->motion)
		lo = max32(lo, s->lastctl + 1);
	else   /* pure, a load that cannot fault, a stack store: above a branch if dead where it
		* goes; a checked load (it loads only in bounds) into the row of the branch before it */
		lo = max32(lo, motion_floor(s, f, i, d, load, sstore ? slo : 0, sstore ? shi : 0));
	return lo;
}

static void account(struct sched *s, const struct xfn *f, size_t i, int32_t r)
{
	const struct xin *in = &f->code[i];
	uint16_t u = jn_vliw_uses(in), d = jn_vliw_defs(in);
	bool rd = reads_mem(in), wr = jn_vliw_is_store(in) || writing_call(in);

	for (int k = 0; k < NR; k++) {
		if (u & (1u << k))
			s->rd[k] = max32(s->rd[k], r);
		if (!(d & (1u << k)))
			continue;
		s->wr[k] = r;
		s->defidx[k] = (int32_t)i;
		s->cp[k] = -1;
		for (int j = 0; j < NR; j++)
			if (s->cp[j] == k && s->cpk[j] == INT32_MAX)
				s->cpk[j] = r;
	}
	if (in->op == JN_OP_MOV64_X && in->dst != in->src) {
		s->cp[in->dst] = (int8_t)in->src;
		s->cpw[in->dst] = s->wr[in->src];
		s->cpk[in->dst] = INT32_MAX;
	}
	if (rd || wr) {
		struct touch t;
		region(s, f, i, &t);
		mem_note(s, &t, rd, wr, r);
	}
	s->maxrow = max32(s->maxrow, r);
}

/* Is L's other way in the fall-through of the straight code after the
 * jump at j (no jump target between them, nothing else jumping to L)? */
static bool falls_into(const struct xfn *f, size_t j, size_t l)
{
	const struct xin *last = &f->code[l - 1];

	if (f->npred[l] != 2 || jn_vliw_is_exit(last) || last->op == JN_OP_JA || last->op == JN_OP_GOTOL)
		return false;
	for (size_t k = j + 1; k < l; k++)
		if (f->target[k] || (jn_vliw_is_jump(&f->code[k]) && (size_t)f->code[k].tgt == l))
			return false;
	return true;
}

/* Barriers of the priority order: branches, exits, checked loads, calls. */
static bool barrier(const struct xin *in)
{
	return jn_vliw_is_jump(in) || jn_vliw_is_exit(in) || in->chk || xform(in) == XF_CALL;
}

static void note_hoist(struct sched *s, const struct xfn *f, size_t j, int32_t l, int32_t r)
{
	struct hoist *h = &s->hs[l];

	*h = (struct hoist){ .ok = true, .jrow = r, .start = s->start, .sb = s->sb, .j = (uint32_t)j,
			     .fall = f->npred[l] == 2 };
	for (size_t k = j + 1; h->fall && k < (size_t)l; k++)
		if (jn_vliw_is_jump(&f->code[k]))
			h->later |= f->live_in[f->code[k].tgt];
	memcpy(h->wr, s->wr, sizeof(h->wr));
	memcpy(h->wrj, s->wr, sizeof(h->wrj));
	memcpy(h->rd, s->rd, sizeof(h->rd));
	for (int k = 0; k < NR; k++) {
		h->dead[k] = -1;
		for (size_t c = 0; c < s->nctl; c++)   /* J's own entry is not in yet */
			if (s->ctl[c].livein & (1u << k))
				h->dead[k] = max32(h->dead[k], s->ctl[c].row);
	}
}

/* Hoist instruction i (in the first block of its jump target) into the
 * rows of the superblock its only jump is in; sd, su: the registers the
 * instructions before it in the block, staying there, write and read.
 * Returns whether it did. */
static bool hoist(struct sched *s, const struct xfn *f, size_t i, struct hoist *h, uint16_t *hd,
		  uint16_t *hu, uint16_t sd, uint16_t su)
{
	const struct xin *in = &f->code[i];
	uint16_t u = jn_vliw_uses(in), d = jn_vliw_defs(in);
	const struct sbend *e = &s->sbe[h->sb];
	int w = xform(in) == XF_LDDW ? 2 : 1;
	int32_t lo = h->start;

	if (!jn_vliw_is_pure(in) || (d & (1u << 10)) || (w == 2 && s->lanes < 2) || (u & sd) ||
	    (d & (sd | su)) ||
	    (d & f->live_in[h->j + 1]) || ((u | d) & e->hdefs) || (d & e->huses) || (d & h->later))
		return false;
	for (int k = 0; k < NR; k++) {
		if ((u & (1u << k)) && h->fall && e->wr[k] != h->wrj[k])
			return false;   /* the way falling into L changes what it reads */
		if (u & (1u << k))
			lo = max32(lo, h->wr[k] + 1);
		if (!(d & (1u << k)))
			continue;
		if (e->wr[k] != h->wrj[k])
			return false;   /* written after J in its superblock */
		lo = max32(lo, max32(max32(h->wr[k] + 1, h->rd[k]), h->dead[k] + 1));
	}
	for (int32_t r = lo; r <= h->jrow; r++) {
		if (s->used[r] + w > s->lanes)
			continue;
		int32_t *row = &s->rows[(size_t)r * (size_t)s->lanes];
		row[s->used[r]++] = (int32_t)i;
		if (w == 2)
			row[s->used[r]++] = -2;
		for (int k = 0; k < NR; k++) {
			if (u & (1u << k))
				h->rd[k] = max32(h->rd[k], r);
			if (d & (1u << k))
				h->wr[k] = r;
		}
		*hd |= d;
		*hu |= u;
		s->at[i] = r;
		s->up[i] = 1;
		return true;
	}
	return false;
}

/* Hoist what can go from the first block of target i, up to its first
 * control instruction: pure instructions independent of the ones before
 * them that stay (those are moved past).  Marks them in s->up. */
static void hoist_top(struct sched *s, const struct xfn *f, size_t i)
{
	struct hoist *h = &s->hs[i];
	uint16_t hd = 0, hu = 0, sd = 0, su = 0;

	for (size_t k = i; k < f->n && (k == i || !f->target[k]) && !barrier(&f->code[k]) &&
			   !jn_vliw_is_jump(&f->code[k]); k++) {
		if (!hoist(s, f, k, h, &hd, &hu, sd, su)) {
			sd |= jn_vliw_defs(&f->code[k]);
			su |= jn_vliw_uses(&f->code[k]);
		}
	}
	s->sbe[h->sb].hdefs |= hd;
	s->sbe[h->sb].huses |= hu;
}

/* A conditional jump reading rK = rS (a copy) may read rS instead, in a
 * row before the copy's: from the row after rS was written up to the
 * first row writing rS again (in that row the jump takes the lane before
 * the writer: a row reads its operands before any lane commits).  Returns
 * the row and fills *lane, or -1 when that is not earlier than r. */
static int32_t forward(struct sched *s, struct xfn *f, size_t i, int32_t r, int *lane, uint8_t *reg)
{
	struct xin *in = &f->code[i];
	bool x = xform(in) == XF_JCC_X;

	if (!jn_vliw_is_cond(in) || !s->motion)
		return -1;
	for (int o = 0; o < (x ? 2 : 1); o++) {
		uint8_t *op = o ? &in->src : &in->dst, k = *op;
		if (s->cp[k] < 0 || (x && in->src == in->dst))
			continue;
		uint8_t src = (uint8_t)s->cp[k];
		if (x && (o ? in->dst : in->src) == src)
			continue;   /* the other operand reads rS's new value: `if r0 == r6`
				     * (r6 = r0, r0 written again since) cannot read r0 twice */
		int32_t keep = s->wr[src], lim = s->cpk[k];
		bool isctl;
		*op = src;
		s->wr[src] = s->cpw[k];
		int32_t lo = earliest(s, f, i, &isctl);
		s->wr[src] = keep;
		for (; lo < r && lo <= lim; lo++) {
			if (grow(s, (size_t)lo + 3))
				break;
			if (s->used[lo] >= s->lanes)
				continue;
			const int32_t *row = &s->rows[(size_t)lo * (size_t)s->lanes];
			int p = s->used[lo];
			for (int l = 0; lo == lim && l < s->used[lo]; l++)
				if (row[l] >= 0 && (jn_vliw_defs(&f->code[row[l]]) & (1u << src))) {
					p = l;
					break;
				}
			bool ok = true;
			for (int l = p; l < s->used[lo]; l++)
				if (row[l] >= 0 && (jn_vliw_is_jump(&f->code[row[l]]) ||
						    jn_vliw_is_exit(&f->code[row[l]]) || f->code[row[l]].chk))
					ok = false;
			if (!ok)
				continue;
			*lane = p;
			*reg = k;
			return lo;
		}
		*op = k;
	}
	return -1;
}

/* A copy `rD = rA` whose value is next used by a commutative `rD op= rB`
 * (add, mul, and, or, xor; nothing between writes rA or rB, reads or
 * writes rD, branches or is jumped to) may start from rB instead: `rD =
 * rB; ... rD op= rA` leaves the same value in rD.  clang's `r5 = r4; r5 ^=
 * r2` with r2 ready long before r4 then takes one row after r4, not two.
 * Done when the copy of rB can go into an earlier row than the copy of
 * rA, and neither is a pointer (what the analysis knows of rD stays true). */
static void commute(struct sched *s, struct xfn *f, size_t i)
{
	static const uint16_t ops[] = { JN_OP_ADD64_X, JN_OP_MUL64_X, JN_OP_AND64_X, JN_OP_OR64_X,
					JN_OP_XOR64_X, JN_OP_ADD32_X, JN_OP_MUL32_X, JN_OP_AND32_X,
					JN_OP_OR32_X, JN_OP_XOR32_X };
	struct xin *c = &f->code[i];
	bool w32 = c->op == JN_OP_MOV32_X, isctl;
	size_t j = i + 1;

	if ((c->op != JN_OP_MOV64_X && !w32) || c->off || c->dst == c->src || !s->motion)
		return;
	uint16_t d = (uint16_t)(1u << c->dst), a = (uint16_t)(1u << c->src);
	for (; j < f->n && !f->target[j]; j++) {
		const struct xin *in = &f->code[j];
		if ((jn_vliw_uses(in) | jn_vliw_defs(in)) & d)
			break;
		if (jn_vliw_is_jump(in) || jn_vliw_is_exit(in) || in->chk || (jn_vliw_defs(in) & a))
			return;
	}
	if (j >= f->n || f->target[j])
		return;
	struct xin *u = &f->code[j];
	size_t k = 0;
	while (k < sizeof(ops) / sizeof(ops[0]) && ops[k] != u->op)
		k++;
	if (k == sizeof(ops) / sizeof(ops[0]) || (w32 && k < 5) || u->dst != c->dst || u->src == c->dst ||
	    u->src == c->src || jn_vliw_region(f, j, c->src) != RG_UNK || jn_vliw_region(f, j, u->src) != RG_UNK)
		return;
	for (size_t m = i + 1; m < j; m++)
		if (jn_vliw_defs(&f->code[m]) & (1u << u->src))
			return;
	int32_t now = earliest(s, f, i, &isctl);
	uint8_t ra = c->src;
	c->src = u->src;
	if (earliest(s, f, i, &isctl) < now)
		u->src = ra;
	else
		c->src = ra;
}

static int place(struct sched *s, struct xfn *f, size_t i)
{
	const struct xin *in = &f->code[i];
	bool isctl, call = xform(in) == XF_CALL, wide = xform(in) == XF_LDDW;
	int w = wide && s->lanes > 1 ? 2 : 1;
	if (!s->prio)   /* (its rewrite assumes the instructions before it are placed) */
		commute(s, f, i);
	int32_t r = earliest(s, f, i, &isctl);

	for (;; r++) {
		if (grow(s, (size_t)r + 3))
			return -ENOMEM;
		if (s->used[r] + w > s->lanes || (call && s->call[r]))
			continue;
		if (wide && s->lanes == 1 && s->used[r + 1])
			continue;
		break;
	}
	int lane = -1;
	uint8_t reg;
	int32_t fr = forward(s, f, i, r, &lane, &reg);
	if (fr >= 0)
		r = fr;
	int32_t *row = &s->rows[(size_t)r * (size_t)s->lanes];
	if (fr >= 0 && lane < s->used[r]) {   /* before the lane writing the copied register */
		memmove(&row[lane + 1], &row[lane], (size_t)(s->used[r] - lane) * sizeof(*row));
		row[lane] = (int32_t)i;
		s->used[r]++;
	} else {
		row[s->used[r]++] = (int32_t)i;
	}
	if (w == 2)
		row[s->used[r]++] = -2;
	if (wide && s->lanes == 1) {   /* the second slot takes the next row */
		s->rows[(size_t)(r + 1) * (size_t)s->lanes] = -2;
		s->used[r + 1] = 1;
		s->maxrow = max32(s->maxrow, r + 1);
	}
	if (call)
		s->call[r] = 1;
	account(s, f, i, r);
	s->at[i] = r;
	if ((size_t)r + 1 > s->nrows)
		s->nrows = (size_t)r + 1;
	if (wide && s->lanes == 1 && (size_t)r + 2 > s->nrows)
		s->nrows = (size_t)r + 2;
	if (isctl && s->motion && jn_vliw_is_cond(in) && (size_t)in->tgt > i + 1 &&
	    (f->npred[in->tgt] == 1 || falls_into(f, i, (size_t)in->tgt)))
		note_hoist(s, f, i, in->tgt, r);
	if (isctl) {
		s->lastctl = r;
		if (s->nctl < MAXCTL)
			s->ctl[s->nctl++] = (struct ctl){ r, jn_vliw_is_cond(in) ? f->live_in[in->tgt] : 0,
							  f->minlen[i], (uint32_t)i };
		else   /* too many to track: nothing moves above any of them */
			s->motion = false;
	}
	return 0;
}

static uint8_t mem_base(const struct xin *in)
{
	return jn_vliw_is_load(in) ? in->src : in->dst;
}

/* Must b (after a in program order) stay after a?  Registers: read after
 * write, write after read or write; memory: two accesses, one writing,
 * unless one is on the stack and the other surely not, or both on the
 * stack at bytes apart; a call touches all memory. */
static bool depends(const struct xfn *f, size_t a, size_t b)
{
	const struct xin *x = &f->code[a], *y = &f->code[b];
	uint16_t ux = jn_vliw_uses(x), dx = jn_vliw_defs(x), uy = jn_vliw_uses(y), dy = jn_vliw_defs(y);
	int64_t bx, by;

	if ((dx & (uy | dy)) || (ux & dy))
		return true;
	if (!(reads_mem(x) || jn_vliw_is_store(x)) || !(reads_mem(y) || jn_vliw_is_store(y)) ||
	    (!jn_vliw_is_store(x) && !jn_vliw_is_store(y) && !writing_call(x) && !writing_call(y)))
		return false;
	if (xform(x) == XF_CALL || xform(y) == XF_CALL)
		return true;
	int rx = jn_vliw_region(f, a, mem_base(x)), ry = jn_vliw_region(f, b, mem_base(y));
	if (rx != RG_UNK && ry != RG_UNK && (rx == RG_STACK) != (ry == RG_STACK))
		return false;
	if (jn_vliw_base_is_stack(f, a, mem_base(x), &bx) && jn_vliw_base_is_stack(f, b, mem_base(y), &by)) {
		bx += x->off;
		by += y->off;
		return bx < by + (int64_t)jn_vliw_msize(y) && by < bx + (int64_t)jn_vliw_msize(x);
	}
	return true;
}

enum { SEGMAX = 128 };

/* Place i..e-1 (no barrier, no jump target after i; e: the barrier or
 * target ending them) most urgent first: among those whose predecessors
 * are placed, the one with the longest dependency chain, counting the
 * barrier e as far away as the whole segment (what feeds it comes first);
 * ties in program order.  Each placement keeps every constraint of
 * earliest(), as the program order does. */
static int place_segment(struct sched *s, struct xfn *f, size_t i, size_t e)
{
	size_t m = e - i;
	int32_t h[SEGMAX];
	bool done[SEGMAX];
	int rc = 0;

	for (size_t a = m; a-- > 0;) {
		h[a] = 1 + (e < f->n && depends(f, i + a, e) ? (int32_t)m + 1 : 0);
		for (size_t b = a + 1; b < m; b++)
			if (h[b] + 1 > h[a] && depends(f, i + a, i + b))
				h[a] = h[b] + 1;
		done[a] = s->up[i + a];
	}
	for (size_t c = 0; c < m && !rc; c++) {
		size_t best = m;
		for (size_t a = 0; a < m; a++) {
			if (done[a] || (best < m && h[a] <= h[best]))
				continue;
			bool ready = true;
			for (size_t q = 0; q < a && ready; q++)
				ready = done[q] || !depends(f, i + q, i + a);
			if (ready)
				best = a;
		}
		if (best == m)
			break;   /* the rest went up into a jump's rows */
		done[best] = true;
		rc = place(s, f, i + best);
	}
	return rc;
}

/* One schedule of f into p: program order, or (prio) each stretch between
 * barriers by place_segment. */
static int schedule(struct xfn *f, int lanes, bool motion, bool prio, struct jn_vliw_prog *p)
{
	struct sched *s = calloc(1, sizeof(*s));
	int32_t *sbrow = malloc((f->n + 1) * sizeof(*sbrow));
	size_t first = 0;
	int rc = 0;

	if (!s || !sbrow || !(s->ctl = malloc(MAXCTL * sizeof(*s->ctl))) ||
	    !(s->at = malloc((f->n + 1) * sizeof(*s->at))) || !(s->up = calloc(f->n + 1, 1)) ||
	    !(s->hs = calloc(f->n + 1, sizeof(*s->hs))) ||
	    !(s->sbe = calloc(f->n + 2, sizeof(*s->sbe)))) {
		rc = -ENOMEM;
		goto out;
	}
	s->lanes = lanes;
	s->motion = motion;
	s->prio = prio;
	s->slive = motion ? jn_vliw_stack_live(f) : NULL;   /* (none: stores stay below branches) */
	for (size_t i = 0; i < f->n && !rc; i++) {
		const struct xin *prev = i ? &f->code[i - 1] : NULL;
		sbrow[i] = -1;
		bool brk = i == 0 || jn_vliw_is_exit(prev) || prev->op == JN_OP_JA || prev->op == JN_OP_GOTOL;
		int32_t jr = !brk && f->target[i] && motion ? join_row(s, f, first, i) : -1;
		if (jr >= 0) {
			sbrow[i] = jr;
			s->ctlfloor = max32(s->ctlfloor, jr);
		} else if (brk || f->target[i]) {
			s->motion = motion;
			begin_superblock(s);
			sbrow[i] = s->start;
			first = i;
			if (s->hs[i].ok && s->motion)   /* the top of a jump's only target */
				hoist_top(s, f, i);
		}
		if (s->up[i])
			continue;   /* went up into the jump's rows */
		size_t e = i + 1;
		while (prio && !barrier(&f->code[i]) && e < f->n && e - i < SEGMAX && !f->target[e] &&
		       !barrier(&f->code[e]))
			e++;
		if (e > i + 1) {
			rc = place_segment(s, f, i, e);
			i = e - 1;
		} else {
			rc = place(s, f, i);
		}
	}
	if (rc)
		goto out;
	p->code = malloc((f->n ? f->n : 1) * sizeof(*p->code));
	if (!p->code) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(p->code, f->code, f->n * sizeof(*p->code));
	for (size_t i = 0; i < f->n; i++)
		if (jn_vliw_is_jump(&p->code[i]))
			p->code[i].tgt = sbrow[f->code[i].tgt];
	p->n = f->n;
	p->lanes = lanes;
	p->nrows = s->nrows;
	p->rows = s->rows;
	s->rows = NULL;
out:
	if (s) {
		free(s->rows); free(s->used); free(s->call); free(s->ctl); free(s->at);
		free(s->up); free(s->hs); free(s->sbe); free(s->slive);
	}
	free(s);
	free(sbrow);
	return rc;
}

/* Both schedules, program order and most urgent first; the one with fewer
 * rows (program order on a tie).  The first may rewrite f's code
 * (commute), so the second starts from a copy of it. */
int jn_vliw_schedule(struct xfn *f, int lanes, bool motion, struct jn_vliw_prog *p,
		     char *err, size_t errlen)
{
	struct xin *orig = malloc((f->n ? f->n : 1) * sizeof(*orig));
	struct jn_vliw_prog q = *p;
	int rc = orig ? 0 : -ENOMEM;

	if (!rc) {
		memcpy(orig, f->code, f->n * sizeof(*orig));
		rc = schedule(f, lanes, motion, false, p);
	}
	if (!rc) {
		memcpy(f->code, orig, f->n * sizeof(*orig));
		if (schedule(f, lanes, motion, true, &q) == 0) {
			if (q.nrows < p->nrows) {
				free(p->code);
				free(p->rows);
				p->code = q.code;
				p->rows = q.rows;
				p->nrows = q.nrows;
			} else {
				free(q.code);
				free(q.rows);
			}
		}
	}
	free(orig);
	if (rc)
		return jn_errf(err, errlen, -rc, "vliw: out of memory scheduling %zu instructions", f->n);
	return 0;
}
