/* dtree.c - a decision tree over the cached traces' guards, so that the NIC
 * tries only the traces a packet can take instead of walking the cache.
 *
 * A guard "E == c" or "E != c" (64-bit) where E is computed from packet
 * bytes, constants and arithmetic alone (the EtherType, a protocol byte, a
 * header length) is a constraint of its trace on E.  Expressions are
 * identified across traces by structure (the same loads and operations),
 * compared exactly.  A node of the tree evaluates one E and branches on its
 * value: a child for every constant some candidate requires (holding the
 * candidates that allow that value) and a default child (the candidates
 * that require no value of E); a leaf lists the candidates left, tried
 * most recently hit first.  Built greedily (the E whose largest child is
 * smallest) once the cache has settled after a change (nic.c), with no
 * per-packet state.
 * Sound: a trace whose guards all hold on a packet is in the leaf the
 * packet reaches (its constraints hold, so it is in every branch taken; an
 * E that reads past the packet's end is one no such trace constrains,
 * since its loads are inside its length guard, and goes to the default).
 * nic.c still tries the other traces on a miss, so the tree only decides
 * which traces run first.  Each leaf candidate runs without the guards the
 * way to its leaf proved (and the loads and arithmetic only they used); a
 * byte swap of a 2- or 4-byte load is folded into the guard's constant.
 * Assumes: phase-1 guards only (lower.c); the trace refs of constants are
 * KINT instructions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nic_internal.h"

/* E of trace t at ref r as a post-order node list; false if not pure. */
static bool extract(const struct jn_trace *t, int32_t r, struct nexpr *e)
{
	const struct jn_tins *in;
	struct enode nd = {0};

	if (r < 0 || e->n >= JN_NIC_EXPR_NODES)
		return false;
	in = &t->ir[r];
	nd.op = in->op;
	nd.sz = in->sz;
	nd.k = in->k;
	switch (in->op) {
	case JN_TIR_KINT: case JN_TIR_PLOAD:
		break;
	case JN_TIR_ALU:
		if (!extract(t, in->a, e))
			return false;
		nd.a = (int8_t)(e->n - 1);
		nd.b = -1;
		if (in->b >= 0) {
			if (!extract(t, in->b, e))
				return false;
			nd.b = (int8_t)(e->n - 1);
		}
		break;
	default:
		return false;
	}
	if (e->n >= JN_NIC_EXPR_NODES)
		return false;
	e->v[e->n++] = nd;
	return true;
}

/* The expression of the guard "E == c" / "E != c" at op o, byte swaps of
 * a 2- or 4-byte load folded into the constant (the program compares the
 * EtherType both ways), so that both become one E; false if there is none
 * or the guard is decided by the swap alone. */
static bool guard_expr(const struct jn_trace *t, const struct jn_txop *o, struct nexpr *e, uint64_t *c)
{
	memset(e, 0, sizeof(*e));
	*c = (uint64_t)o->k;
	if ((o->op != JN_TX_GEQ_K && o->op != JN_TX_GNE_K) || !extract(t, o->a, e))
		return false;
	if (e->n == 2 && e->v[0].op == JN_TIR_PLOAD && e->v[1].op == JN_TIR_ALU) {
		int op = (int)e->v[1].k;
		bool s16 = (op == JN_OP_BE16 || op == JN_OP_BSWAP16) && e->v[0].sz == 2;
		bool s32 = (op == JN_OP_BE32 || op == JN_OP_BSWAP32) && e->v[0].sz == 4;
		if (s16 || s32) {
			if (*c >> (s16 ? 16 : 32))
				return false;
			*c = s16 ? __builtin_bswap16((uint16_t)*c) : __builtin_bswap32((uint32_t)*c);
			memset(&e->v[1], 0, sizeof(e->v[1]));
			e->n = 1;
		}
	}
	return true;
}

/* Index of e in the table (added if new), or -1 if the table is full. */
static int intern(struct jn_nic *n, const struct nexpr *e)
{
	for (uint32_t i = 0; i < n->nexprs; i++)
		if (n->exprs[i].n == e->n && !memcmp(n->exprs[i].v, e->v, e->n * sizeof(e->v[0])))
			return (int)i;
	if (n->nexprs == JN_NIC_MAX_EXPRS)
		return -1;
	n->exprs[n->nexprs] = *e;
	return (int)n->nexprs++;
}

/* The constraints of every cached trace. */
static int constraints(struct jn_nic *n)
{
	n->ncons = 0;
	for (size_t i = 0; i < n->nent; i++) {
		const struct jn_trace *t = n->ent[i].t;
		n->ent[i].cons0 = n->ncons;
		for (uint32_t j = 0; j < t->nx1; j++) {
			const struct jn_txop *o = &t->x1[j];
			struct nexpr e;
			uint64_t k;
			int x;
			if (!guard_expr(t, o, &e, &k) || (x = intern(n, &e)) < 0)
				continue;
			if (n->ncons == n->capcons) {
				size_t cap = n->capcons ? 2 * n->capcons : 64;
				struct ncons *c = realloc(n->cons, cap * sizeof(*c));
				if (!c)
					return -ENOMEM;
				n->cons = c;
				n->capcons = cap;
			}
			n->cons[n->ncons++] = (struct ncons){ (uint16_t)x, o->op == JN_TX_GEQ_K, k };
		}
		n->ent[i].ncons = n->ncons - n->ent[i].cons0;
	}
	return 0;
}

/* Does entry i allow E x == v (any value not required by some candidate
 * when dflt)? */
static bool allows(const struct jn_nic *n, size_t i, int x, uint64_t v, bool dflt)
{
	const struct ncons *c = n->cons + n->ent[i].cons0;

	for (uint32_t j = 0; j < n->ent[i].ncons; j++) {
		if (c[j].expr != x)
			continue;
		if (dflt ? c[j].eq : (c[j].eq ? c[j].c != v : c[j].c == v))
			return false;
	}
	return true;
}

/* Values candidates require of E x (up to JN_NIC_MAX_KIDS), their count. */
static uint32_t values(const struct jn_nic *n, const uint32_t *set, uint32_t nset, int x, uint64_t *vals)
{
	uint32_t nv = 0;

	for (uint32_t s = 0; s < nset; s++) {
		const struct ncons *c = n->cons + n->ent[set[s]].cons0;
		for (uint32_t j = 0; j < n->ent[set[s]].ncons; j++) {
			uint32_t k = 0;
			if (c[j].expr != x || !c[j].eq)
				continue;
			while (k < nv && vals[k] != c[j].c)
				k++;
			if (k == nv && nv < JN_NIC_MAX_KIDS)
				vals[nv++] = c[j].c;
		}
	}
	return nv;
}

static uint32_t count(const struct jn_nic *n, const uint32_t *set, uint32_t nset, int x, uint64_t v,
		      bool dflt)
{
	uint32_t k = 0;

	for (uint32_t s = 0; s < nset; s++)
		k += allows(n, set[s], x, v, dflt);
	return k;
}

/* The E that splits set best (its largest child smallest), or -1. */
static int choose(const struct jn_nic *n, const uint32_t *set, uint32_t nset, uint64_t used)
{
	int best = -1;
	uint32_t best_max = nset;

	for (uint32_t x = 0; x < n->nexprs; x++) {
		uint64_t vals[JN_NIC_MAX_KIDS];
		uint32_t nv, mx;
		if (used >> x & 1)
			continue;
		nv = values(n, set, nset, (int)x, vals);
		if (!nv)
			continue;
		mx = count(n, set, nset, (int)x, 0, true);
		for (uint32_t k = 0; k < nv; k++) {
			uint32_t c = count(n, set, nset, (int)x, vals[k], false);
			mx = c > mx ? c : mx;
		}
		if (mx < best_max) {
			best_max = mx;
			best = (int)x;
		}
	}
	return best;
}

static int push(void **arr, size_t *cap, size_t len, size_t elt)
{
	if (len < *cap)
		return 0;
	size_t nc = *cap ? 2 * *cap : 64;
	void *p = realloc(*arr, nc * elt);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = nc;
	return 0;
}

/* What the way to a node established: E x == v (kid) or, at a default
 * edge, E x is none of node's kid values. */
struct fact { int x; bool dflt; uint64_t v; size_t node; };
enum { MAX_FACTS = 64 };

/* Does the way (f, nf) prove the guard "E x == c" (eq) or "E x != c"? */
static bool proven(const struct jn_nic *n, const struct fact *f, uint32_t nf, int x, bool eq,
		   uint64_t c)
{
	for (uint32_t i = 0; i < nf; i++) {
		const struct nnode *nd = &n->nodes[f[i].node];
		if (f[i].x != x)
			continue;
		if (!f[i].dflt)
			return eq ? c == f[i].v : c != f[i].v;
		for (uint32_t k = 0; !eq && k < nd->nkids; k++)
			if (n->kids[nd->kid0 + k].v == c)
				return true;
	}
	return false;
}

static void use(const struct jn_trace *t, const struct jn_txop *o, uint32_t *u, int d)
{
	switch (o->op) {
	case JN_TX_LEN: case JN_TX_PLOAD: case JN_TX_PLD1: case JN_TX_PLD2: case JN_TX_PLD4:
	case JN_TX_PLD8: case JN_TX_CTXF: case JN_TX_LOOKUP_T: case JN_TX_KEYPART:
		return;
	case JN_TX_LOOKUP:
		for (int32_t c = o->a; c < o->a + o->b; c++)
			u[t->chunks[c]] += (uint32_t)d;
		return;
	case JN_TX_CALL: case JN_TX_ECALL: {
		const struct jn_tcall *c = &t->calls[o->k];
		for (int j = 0; j < 5; j++)
			if (c->kind[j] == JN_TA_VAL)
				u[c->val[j]] += (uint32_t)d;
		for (uint32_t j = 0; j < c->nmem; j++)
			u[t->mems[c->mem0 + j].ref] += (uint32_t)d;
		return;
	}
	case JN_TX_MLOAD: case JN_TX_MLD1: case JN_TX_MLD2: case JN_TX_MLD4: case JN_TX_MLD8:
	case JN_TX_PROG: case JN_TX_PSTORE: case JN_TX_RET: case JN_TX_GUARD_K: case JN_TX_GEQ_K: case JN_TX_OUT:
	case JN_TX_GNE_K: case JN_TX_GGT_K: case JN_TX_GGE_K: case JN_TX_GLT_K: case JN_TX_GLE_K:
		u[o->a] += (uint32_t)d;
		return;
	default:   /* ALU ops, GUARD, MSTORE, MADD */
		u[o->a] += (uint32_t)d;
		u[o->b] += (uint32_t)d;
	}
}

static bool pure(uint8_t op)
{
	return (op >= JN_TX_PLOAD && op <= JN_TX_PLD8) || (op >= JN_TX_ALU && op <= JN_TX_BE32);
}

/* Entry i's phase 1 without the guards the way proves and what only fed
 * them, into c (c->x1 malloc'd). */
static int specialise(struct jn_nic *n, size_t i, const struct fact *f, uint32_t nf, struct ncand *c)
{
	const struct jn_trace *t = n->ent[i].t;
	uint32_t *u = calloc(t->n + 1, sizeof(*u));
	uint8_t *drop = calloc(t->nx1 ? t->nx1 : 1, 1);

	c->x1 = malloc((t->nx1 ? t->nx1 : 1) * sizeof(*c->x1));
	c->nx1 = 0;
	if (!u || !drop || !c->x1) {
		free(u);
		free(drop);
		return -ENOMEM;
	}
	for (uint32_t j = 0; j < t->nx1; j++)
		use(t, &t->x1[j], u, 1);
	for (uint32_t j = 0; j < t->nx2; j++)
		use(t, &t->x2[j], u, 1);
	for (uint32_t j = 0; j < t->nx1; j++) {
		const struct jn_txop *o = &t->x1[j];
		struct nexpr e;
		uint64_t k;
		uint32_t x;
		if (!guard_expr(t, o, &e, &k))
			continue;
		for (x = 0; x < n->nexprs; x++)
			if (n->exprs[x].n == e.n && !memcmp(n->exprs[x].v, e.v, e.n * sizeof(e.v[0])))
				break;
		if (x < n->nexprs && proven(n, f, nf, (int)x, o->op == JN_TX_GEQ_K, k)) {
			drop[j] = 1;
			use(t, o, u, -1);
		}
	}
	for (uint32_t j = t->nx1; j-- > 0;)
		if (!drop[j] && pure(t->x1[j].op) && !u[t->x1[j].d]) {
			drop[j] = 1;
			use(t, &t->x1[j], u, -1);
		}
	for (uint32_t j = 0; j < t->nx1; j++)
		if (!drop[j])
			c->x1[c->nx1++] = t->x1[j];
	free(u);
	free(drop);
	return 0;
}

/* How node nd evaluates E (NULL: a leaf): a load of 1, 2, 4 or 8 bytes,
 * maybe masked by a constant, or the expression. */
static void node_kind(struct nnode *nd, const struct nexpr *e)
{
	const struct enode *ld = e ? &e->v[0] : NULL;

	if (!e) {
		nd->kind = JN_NK_LEAF;
		return;
	}
	nd->kind = JN_NK_EXPR;
	if (ld->op != JN_TIR_PLOAD || ld->k < 0 || ld->k > JN_XDP_MAX_DATA ||
	    (ld->sz != 1 && ld->sz != 2 && ld->sz != 4 && ld->sz != 8))
		return;
	nd->sz = ld->sz;
	nd->off = (uint32_t)ld->k;
	nd->end = (uint32_t)ld->k + ld->sz;
	nd->mask = ~0ULL;
	if (e->n == 1) {
		nd->kind = JN_NK_LOAD;
	} else if (e->n == 3 && e->v[1].op == JN_TIR_KINT && e->v[2].op == JN_TIR_ALU &&
		   e->v[2].k == JN_OP_AND64_X && e->v[2].a == 0 && e->v[2].b == 1) {
		nd->kind = JN_NK_LOAD;
		nd->mask = (uint64_t)e->v[1].k;
	}
}

/* A node for set (entry indices); its index or negative errno. */
static long build(struct jn_nic *n, const uint32_t *set, uint32_t nset, uint64_t used,
		  struct fact *f, uint32_t nf)
{
	int x = nset > 1 && n->nnodes < JN_NIC_MAX_NODES && nf < MAX_FACTS ? choose(n, set, nset, used)
									      : -1;
	size_t me = n->nnodes;
	uint64_t vals[JN_NIC_MAX_KIDS];
	uint32_t nv, *sub;
	long c;

	if (push((void **)&n->nodes, &n->capnodes, n->nnodes, sizeof(*n->nodes)))
		return -ENOMEM;
	n->nnodes++;
	n->nodes[me] = (struct nnode){ .expr = x };
	node_kind(&n->nodes[me], x < 0 ? NULL : &n->exprs[x]);
	if (x < 0) {   /* a leaf: its candidates' paths, in cache (most recent) order */
		n->nodes[me].cand0 = (uint32_t)n->ncands;
		n->nodes[me].ncand = nset;
		for (uint32_t s = 0; s < nset; s++) {
			struct ncand *cd;
			if (push((void **)&n->cands, &n->capcands, n->ncands, sizeof(*n->cands)))
				return -ENOMEM;
			cd = &n->cands[n->ncands++];
			cd->path = (int32_t)n->ent[set[s]].path;
			if (specialise(n, set[s], f, nf, cd)) {
				n->ncands--;
				return -ENOMEM;
			}
		}
		return (long)me;
	}
	nv = values(n, set, nset, x, vals);
	sub = malloc(nset * sizeof(*sub));
	if (!sub)
		return -ENOMEM;
	n->nodes[me].kid0 = (uint32_t)n->nkids;
	n->nodes[me].nkids = nv;
	for (uint32_t k = 0; k < nv; k++) {
		if (push((void **)&n->kids, &n->capkids, n->nkids, sizeof(*n->kids))) {
			free(sub);
			return -ENOMEM;
		}
		n->kids[n->nkids++].v = vals[k];
	}
	for (uint32_t k = 0; k <= nv; k++) {   /* k == nv: the default */
		uint32_t ns = 0;
		for (uint32_t s = 0; s < nset; s++)
			if (allows(n, set[s], x, k < nv ? vals[k] : 0, k == nv))
				sub[ns++] = set[s];
		f[nf] = (struct fact){ x, k == nv, k < nv ? vals[k] : 0, me };
		if ((c = build(n, sub, ns, used | (1ULL << x), f, nf + 1)) < 0)
			break;
		if (k < nv)
			n->kids[n->nodes[me].kid0 + k].child = (int32_t)c;
		else
			n->nodes[me].dflt = (int32_t)c;
	}
	free(sub);
	return c < 0 ? c : (long)me;
}

static void free_cands(struct jn_nic *n)
{
	for (size_t i = 0; i < n->ncands; i++)
		free(n->cands[i].x1);
	n->ncands = 0;
}

void jn_nic_tree_free(struct jn_nic *n)
{
	free_cands(n);
	free(n->cands);
	free(n->cons);
	free(n->nodes);
	free(n->kids);
}

int jn_nic_tree_build(struct jn_nic *n)
{
	uint32_t *set = malloc((n->nent ? n->nent : 1) * sizeof(*set));
	struct fact f[MAX_FACTS + 1];
	long rc;

	free_cands(n);
	n->nexprs = 0;
	n->nnodes = n->nkids = 0;
	n->tree_dirty = false;
	if (!set)
		return -ENOMEM;
	for (size_t i = 0; i < n->nent; i++)
		set[i] = (uint32_t)i;
	rc = constraints(n);
	if (!rc)
		rc = build(n, set, (uint32_t)n->nent, 0, f, 0);
	free(set);
	for (size_t i = 0; rc >= 0 && i < n->nnodes; i++) {   /* small kid lists into their nodes */
		struct nnode *nd = &n->nodes[i];
		nd->nin = nd->kind != JN_NK_LEAF && nd->nkids <= JN_NIC_NODE_KIDS ? (uint8_t)nd->nkids : 0;
		/* every slot filled: the first kid repeated (values are distinct,
		 * so a repeat picks the same child; the walk compares all slots) */
		for (uint32_t k = 0; nd->nin && k < JN_NIC_NODE_KIDS; k++) {
			const struct nkid *kd = &n->kids[nd->kid0 + (k < nd->nin ? k : 0)];
			nd->kv[k] = kd->v;
			nd->kc[k] = kd->child;
		}
	}
	if (rc < 0) {
		n->nnodes = 0;   /* no tree: the NIC walks the cache */
		return (int)rc;
	}
	return 0;
}

bool jn_nic_tree_eval(const struct nexpr *e, const uint8_t *d, uint32_t len, uint64_t *out)
{
	uint64_t v[JN_NIC_EXPR_NODES];

	if (e->n <= 2 && e->v[0].op == JN_TIR_PLOAD) {   /* a load, maybe a byte swap of it */
		const struct enode *ld = &e->v[0];
		if ((uint64_t)ld->k + ld->sz > len)
			return false;
		*out = jn_tld(d + ld->k, ld->sz);
		if (e->n == 2)
			*out = jn_talu((int)e->v[1].k, *out, 0);
		return true;
	}
	if (e->n == 3 && e->v[0].op == JN_TIR_PLOAD && e->v[1].op == JN_TIR_KINT &&
	    e->v[2].a == 0 && e->v[2].b == 1) {   /* a load and a constant: a masked field */
		const struct enode *ld = &e->v[0];
		if ((uint64_t)ld->k + ld->sz > len)
			return false;
		*out = jn_talu((int)e->v[2].k, jn_tld(d + ld->k, ld->sz), (uint64_t)e->v[1].k);
		return true;
	}
	for (uint32_t i = 0; i < e->n; i++) {
		const struct enode *nd = &e->v[i];
		switch (nd->op) {
		case JN_TIR_KINT: v[i] = (uint64_t)nd->k; break;
		case JN_TIR_PLOAD:
			if ((uint64_t)nd->k + nd->sz > len)
				return false;
			v[i] = jn_tld(d + nd->k, nd->sz);
			break;
		default: v[i] = jn_talu((int)nd->k, v[nd->a], nd->b >= 0 ? v[nd->b] : 0); break;
		}
	}
	*out = v[e->n - 1];
	return true;
}

void jn_nic_tree_hit(struct jn_nic *n, const struct nnode *leaf, uint32_t i)
{
	struct ncand *c = n->cands + leaf->cand0, p = c[i];

	for (; i > 0; i--)
		c[i] = c[i - 1];
	c[0] = p;
}
