/* lower_internal.h - what lower.c and lower_fuse.c share: the plan of what
 * the NIC resolves when it installs a trace (lower_fuse.c) and how
 * lower.c emits it. */
#ifndef JN_TRACE_LOWER_INTERNAL_H
#define JN_TRACE_LOWER_INTERNAL_H

#include "trace_internal.h"

/* Per IR instruction (arrays of t->n, one allocation owned by the plan). */
struct jn_lplan {
	uint8_t *drop;      /* not lowered: fused into another op, or a guard that holds */
	uint8_t *known;     /* value known at install (constants, constant-key array lookups) */
	uint8_t *keyp;      /* LOOKUP: key copied from packet bytes and constants */
	uint64_t *kval;     /* the known value */
	int32_t *madd;      /* MSTORE: the ref it adds to the bytes it overwrites, or -1 */
	int32_t *nullg;     /* LOOKUP: the guard against NULL it does itself, or -1 */
	int32_t *uses;      /* uses by instructions that stay */
	int32_t *msrc;      /* PSTORE carrying a packet move: its source offset, else -1 */
	int32_t *mdst;      /* ... its destination offset */
	uint8_t *msz;       /* ... its size */
	uint32_t nparts;    /* key parts of every lookup from the packet */
	void *mem;
};
int jn_lower_plan(const struct jn_trace *t, struct jn_lplan *pl);
void jn_lower_plan_free(struct jn_lplan *pl);
/* Lookup i lowered at o (op, cond, state set; a LOOKUP_T's key parts
 * written at parts, o->b of them); its cost beyond the lookup itself. */
uint32_t jn_lower_lookup(const struct jn_trace *t, const struct jn_lplan *pl, uint32_t i,
			 struct jn_txop *o, struct jn_txop *parts);

/* Packet moves: store i (msrc[i] >= 0) lowered as a load of the source
 * bytes in phase 1 (at x1) and a store of them in phase 2 (at x2). */
void jn_lower_move(const struct jn_lplan *pl, uint32_t i, struct jn_txop *x1, struct jn_txop *x2);

#endif
