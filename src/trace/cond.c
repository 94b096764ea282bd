/* cond.c - the path condition: the guards of a trace, simplified and put in
 * a canonical, printable form.
 *
 * What it does: guards between the length and a constant (one interval
 * after lenguard.c) print as bounds, left out where XDP's own limits imply
 * them (len >= 14 always holds); every other
 * guard prints as "A op B" over the inputs; the conjuncts are sorted and
 * duplicates dropped, so two packets on the same path get the same string
 * and hash.  Multi-byte packet fields compared for equality print in network
 * order (pkt[12:2] == 0x0800).
 * Assumes: guards hold IR refs to pure instructions (no effects).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"
#include "trace_internal.h"

static void pexpr(const struct jn_trace *t, int32_t r, FILE *f, int depth);

static uint64_t swab(uint64_t v, unsigned n)
{
	uint64_t o = 0;
	for (unsigned i = 0; i < n; i++)
		o = o << 8 | ((v >> (8 * i)) & 0xff);
	return o;
}

static void pconst(uint64_t v, FILE *f)
{
	if ((int64_t)v < 0 && (int64_t)v > -4096)
		fprintf(f, "%" PRId64, (int64_t)v);
	else if (v < 10)
		fprintf(f, "%" PRIu64, v);
	else
		fprintf(f, "0x%" PRIx64, v);
}

static const char *map_name(const struct jn_trace *t, int64_t i)
{
	return jn_map_spec(t->maps[i])->name;
}

static void pkey(const struct jn_trace *t, const struct jn_tins *in, FILE *f, int depth)
{
	fprintf(f, "%s[", map_name(t, in->k));
	for (int32_t c = in->a; c < in->a + in->b; c++) {
		if (c > in->a)
			fputs(", ", f);
		pexpr(t, t->chunks[c], f, depth + 1);
	}
	fputc(']', f);
}

static void pcall(const struct jn_trace *t, const struct jn_tcall *c, FILE *f, int depth)
{
	const char *n = jn_obj_helper_name(c->helper);

	fprintf(f, "%s(", n && !strncmp(n, "bpf_", 4) ? n + 4 : n ? n : "helper");
	for (int i = 0; i < 5 && c->kind[i]; i++) {
		if (i)
			fputs(", ", f);
		switch (c->kind[i]) {
		case JN_TA_VAL: pexpr(t, (int32_t)c->val[i], f, depth + 1); break;
		case JN_TA_MAP: fputs(map_name(t, c->val[i]), f); break;
		case JN_TA_PKT: fprintf(f, "&pkt[%" PRId64 "]", c->val[i]); break;
		case JN_TA_CTX: fputs("ctx", f); break;
		default: fprintf(f, "&stack[%" PRId64 "]", c->val[i]); break;
		}
	}
	fputc(')', f);
}

static bool is_pload_be(const struct jn_trace *t, const struct jn_tins *in)
{
	const struct jn_tins *a = in->a >= 0 ? &t->ir[in->a] : NULL;
	if (in->op != JN_TIR_ALU || !a || a->op != JN_TIR_PLOAD)
		return false;
	return ((in->k == JN_OP_BE16 || in->k == JN_OP_BSWAP16) && a->sz == 2) ||
	       ((in->k == JN_OP_BE32 || in->k == JN_OP_BSWAP32) && a->sz == 4);
}

static void pexpr(const struct jn_trace *t, int32_t r, FILE *f, int depth)
{
	const struct jn_tins *in = &t->ir[r];

	if (depth > 24) {
		fprintf(f, "v%d", r);
		return;
	}
	switch (in->op) {
	case JN_TIR_KINT: pconst((uint64_t)in->k, f); return;
	case JN_TIR_LEN: fputs("len", f); return;
	case JN_TIR_PLOAD:
		if (in->sz == 1)
			fprintf(f, "pkt[%" PRId64 "]", in->k);
		else
			fprintf(f, "le(pkt[%" PRId64 ":%u])", in->k, in->sz);
		return;
	case JN_TIR_CTXF: fputs(in->k == 12 ? "ctx.ingress_ifindex" : "ctx.rx_queue_index", f); return;
	case JN_TIR_LOOKUP: pkey(t, in, f, depth); return;
	case JN_TIR_PROG:
		fprintf(f, "%s.prog[", map_name(t, in->k));
		pexpr(t, in->a, f, depth + 1);
		fputc(']', f);
		return;
	case JN_TIR_MLOAD:
		if (t->ir[in->a].op == JN_TIR_LOOKUP)
			pkey(t, &t->ir[in->a], f, depth);
		else
			fputs(map_name(t, in->b), f);
		fprintf(f, ".v[%" PRId64 ":%u]", in->k, in->sz);
		return;
	case JN_TIR_CALL: case JN_TIR_ECALL: pcall(t, &t->calls[in->k], f, depth); return;
	case JN_TIR_OUT:   /* a value a guard-phase call wrote: its stack offset */
		pcall(t, &t->calls[t->ir[in->a].k], f, depth);
		fprintf(f, ".out[%" PRId64 ":%u]", in->k, in->sz);
		return;
	default: break;
	}
	if (is_pload_be(t, in)) {
		fprintf(f, "pkt[%" PRId64 ":%u]", t->ir[in->a].k, t->ir[in->a].sz);
		return;
	}
	if (in->b < 0) {
		fprintf(f, "%s(", jn_isa_info[in->k].text);
		pexpr(t, in->a, f, depth + 1);
		fputc(')', f);
		return;
	}
	const char *op = jn_isa_info[in->k].text;
	fputc('(', f);
	pexpr(t, in->a, f, depth + 1);
	fprintf(f, " %.*s%s ", (int)strlen(op) - 1, op, in->k >= JN_OP_ADD32_K && in->k <= JN_OP_ARSH32_X ? "32" : "");
	pexpr(t, in->b, f, depth + 1);
	fputc(')', f);
}

static void pguard(const struct jn_trace *t, const struct jn_tins *g, FILE *f)
{
	const struct jn_tins *a = &t->ir[g->a], *b = &t->ir[g->b];
	const char *w = g->sz == 4 ? "32" : "";

	if ((g->k == JN_TC_EQ || g->k == JN_TC_NE) && a->op == JN_TIR_PLOAD && a->sz > 1 &&
	    b->op == JN_TIR_KINT) {
		fprintf(f, "pkt[%" PRId64 ":%u] %s%s ", a->k, a->sz, jn_tcond_text[g->k], w);
		pconst(swab((uint64_t)b->k, a->sz), f);
		return;
	}
	if (g->k == JN_TC_NSET)
		fputs("!(", f);
	pexpr(t, g->a, f, 0);
	fprintf(f, " %s%s ", g->k == JN_TC_NSET ? "&" : jn_tcond_text[g->k], w);
	pexpr(t, g->b, f, 0);
	if (g->k == JN_TC_NSET)
		fputc(')', f);
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* t->cond: the length bounds, then the distinct sorted parts, joined by
 * " && " ("true" if none); counts the conjuncts. */
static int join(struct jn_trace *t, char *const *parts, size_t np, int64_t lo, int64_t hi)
{
	char bounds[64];
	size_t len = 0, nc = 0, bl = 0;
	char *p;

	if (lo > JN_XDP_MIN_LEN) {
		bl += (size_t)snprintf(bounds, sizeof(bounds), "len >= %" PRId64, lo);
		nc++;
	}
	if (hi < JN_XDP_MAX_DATA) {
		bl += (size_t)snprintf(bounds + bl, sizeof(bounds) - bl, "%slen <= %" PRId64,
				       nc ? " && " : "", hi);
		nc++;
	}
	len = bl;
	for (size_t i = 0; i < np; i++)
		if (!i || strcmp(parts[i], parts[i - 1]))
			len += 4 + strlen(parts[i]);
	if (!(p = t->cond = malloc(len + 5)))
		return -ENOMEM;
	memcpy(p, bounds, bl);
	p += bl;
	for (size_t i = 0; i < np; i++) {
		size_t l;
		if (i && !strcmp(parts[i], parts[i - 1]))
			continue;
		if (nc++) {
			memcpy(p, " && ", 4);
			p += 4;
		}
		l = strlen(parts[i]);
		memcpy(p, parts[i], l);
		p += l;
	}
	if (!nc) {
		memcpy(p, "true", 4);
		p += 4;
	}
	*p = 0;
	t->info.conds = (uint32_t)nc;
	return 0;
}

int jn_tcond_build(struct jn_trace *t)
{
	int64_t lo = JN_XDP_MIN_LEN, hi = JN_XDP_MAX_DATA;
	char **parts = calloc(t->n + 2, sizeof(*parts)), *all = NULL;
	size_t *at = calloc(t->n + 2, sizeof(*at));
	size_t np = 0, nn;
	FILE *f = parts && at ? open_memstream(&all, &nn) : NULL;
	int rc = 0;

	/* every guard's text into one stream (one buffer: a miss costs a
	 * few microseconds less than a stream per guard), NUL-separated */
	if (!f) {
		free(parts);
		free(at);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < t->n; i++) {
		const struct jn_tins *g = &t->ir[i];
		long pos;
		if (g->op != JN_TIR_GUARD || jn_tlen_bound(t, g, &lo, &hi))
			continue;
		if ((pos = ftell(f)) < 0)
			rc = -ENOMEM;
		at[np++] = (size_t)(pos < 0 ? 0 : pos);
		pguard(t, g, f);
		fputc(0, f);
	}
	if (fclose(f))
		rc = -ENOMEM;
	for (size_t i = 0; i < np && !rc; i++)
		parts[i] = all + at[i];
	if (rc)
		np = 0;
	qsort(parts, np, sizeof(*parts), cmpstr);
	if (!rc)
		rc = join(t, parts, np, lo, hi);
	free(all);
	free(at);
	free(parts);
	if (rc)
		return rc;
	t->hash = 0xcbf29ce484222325ULL;
	for (const char *p = t->cond; *p; p++)
		t->hash = (t->hash ^ (uint8_t)*p) * 0x100000001b3ULL;
	return 0;
}

const char *jn_trace_cond(const struct jn_trace *t) { return t->cond; }
uint64_t jn_trace_hash(const struct jn_trace *t) { return t->hash; }
void jn_trace_info(const struct jn_trace *t, struct jn_trace_info *info) { *info = t->info; }

void jn_trace_dump(const struct jn_trace *t, FILE *f)
{
	for (uint32_t i = 0; i < t->n; i++) {
		const struct jn_tins *in = &t->ir[i];
		fprintf(f, "%04u %-6s %s", i, jn_tir_text[in->op], in->flags & JN_TF_POST ? "post " : "");
		if (in->op == JN_TIR_GUARD) {
			pguard(t, in, f);
		} else if (in->op == JN_TIR_PSTORE) {
			fprintf(f, "pkt[%" PRId64 ":%u] = ", in->k, in->sz);
			pexpr(t, in->a, f, 20);
		} else if (in->op == JN_TIR_MSTORE) {
			fprintf(f, "v%d[%" PRId64 ":%u] = ", in->a, in->k, in->sz);
			pexpr(t, in->b, f, 20);
		} else if (in->op == JN_TIR_RET) {
			pexpr(t, in->a, f, 20);
		} else {
			pexpr(t, (int32_t)i, f, 20);
		}
		fputc('\n', f);
	}
}
