/* ir.c - the trace IR: its table, the ALU and comparison semantics (the
 * interpreter's, including the kernel's division corner cases), and
 * emission, which runs the folder and CSE on every instruction first. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"
#include "trace_internal.h"

const uint8_t jn_tir_kind[JN_TIR__COUNT] = {
#define _(n, kind, text) JN_TK_##kind,
#include "ir_table.h"
#undef _
};
const char *const jn_tir_text[JN_TIR__COUNT] = {
#define _(n, kind, text) text,
#include "ir_table.h"
#undef _
};
const char *const jn_tcond_text[JN_TC__COUNT] = {
#define C_(e, t) t,
	JN_TCONDS(C_)
#undef C_
};

static uint64_t sdiv64(uint64_t d, uint64_t s)
{
	if (s == 0)
		return 0;
	if ((int64_t)s == -1)
		return -d;
	return (uint64_t)((int64_t)d / (int64_t)s);
}

static uint64_t smod64(uint64_t d, uint64_t s)
{
	if (s == 0)
		return d;
	if ((int64_t)s == -1)
		return 0;
	return (uint64_t)((int64_t)d % (int64_t)s);
}

static uint32_t sdiv32(uint32_t d, uint32_t s)
{
	if (s == 0)
		return 0;
	if ((int32_t)s == -1)
		return -d;
	return (uint32_t)((int32_t)d / (int32_t)s);
}

static uint32_t smod32(uint32_t d, uint32_t s)
{
	if (s == 0)
		return d;
	if ((int32_t)s == -1)
		return 0;
	return (uint32_t)((int32_t)d % (int32_t)s);
}

bool jn_trace_alu_unary(int op)
{
	switch (op) {
	case JN_OP_NEG64: case JN_OP_NEG32: case JN_OP_MOV32_X: case JN_OP_MOVSX64_8:
	case JN_OP_MOVSX64_16: case JN_OP_MOVSX64_32: case JN_OP_MOVSX32_8: case JN_OP_MOVSX32_16:
	case JN_OP_BSWAP16: case JN_OP_BSWAP32: case JN_OP_BSWAP64: case JN_OP_BE16: case JN_OP_BE32:
	case JN_OP_BE64: case JN_OP_LE16: case JN_OP_LE32: case JN_OP_LE64:
		return true;
	default:
		return false;
	}
}

static uint64_t alu32(int op, uint32_t d, uint32_t s)
{
	switch (op) {
	case JN_OP_ADD32_X: return (uint32_t)(d + s);
	case JN_OP_SUB32_X: return (uint32_t)(d - s);
	case JN_OP_MUL32_X: return (uint32_t)(d * s);
	case JN_OP_DIV32_X: return s ? d / s : 0;
	case JN_OP_SDIV32_X: return sdiv32(d, s);
	case JN_OP_OR32_X: return d | s;
	case JN_OP_AND32_X: return d & s;
	case JN_OP_LSH32_X: return (uint32_t)(d << (s & 31));
	case JN_OP_RSH32_X: return d >> (s & 31);
	case JN_OP_MOD32_X: return s ? d % s : d;
	case JN_OP_SMOD32_X: return smod32(d, s);
	case JN_OP_XOR32_X: return d ^ s;
	case JN_OP_ARSH32_X: return (uint32_t)((int32_t)d >> (s & 31));
	case JN_OP_NEG32: return (uint32_t)-d;
	case JN_OP_MOV32_X: return d;
	case JN_OP_MOVSX32_8: return (uint32_t)(int32_t)(int8_t)d;
	case JN_OP_MOVSX32_16: return (uint32_t)(int32_t)(int16_t)d;
	default: return 0;
	}
}

uint64_t jn_trace_alu(int op, uint64_t d, uint64_t s)
{
	switch (op) {
	case JN_OP_ADD64_X: return d + s;
	case JN_OP_SUB64_X: return d - s;
	case JN_OP_MUL64_X: return d * s;
	case JN_OP_DIV64_X: return s ? d / s : 0;
	case JN_OP_SDIV64_X: return sdiv64(d, s);
	case JN_OP_OR64_X: return d | s;
	case JN_OP_AND64_X: return d & s;
	case JN_OP_LSH64_X: return d << (s & 63);
	case JN_OP_RSH64_X: return d >> (s & 63);
	case JN_OP_MOD64_X: return s ? d % s : d;
	case JN_OP_SMOD64_X: return smod64(d, s);
	case JN_OP_XOR64_X: return d ^ s;
	case JN_OP_ARSH64_X: return (uint64_t)((int64_t)d >> (s & 63));
	case JN_OP_NEG64: return -d;
	case JN_OP_MOVSX64_8: return (uint64_t)(int64_t)(int8_t)d;
	case JN_OP_MOVSX64_16: return (uint64_t)(int64_t)(int16_t)d;
	case JN_OP_MOVSX64_32: return (uint64_t)(int64_t)(int32_t)d;
	case JN_OP_BSWAP16: case JN_OP_BE16: return __builtin_bswap16((uint16_t)d);
	case JN_OP_BSWAP32: case JN_OP_BE32: return __builtin_bswap32((uint32_t)d);
	case JN_OP_BSWAP64: case JN_OP_BE64: return __builtin_bswap64(d);
	case JN_OP_LE16: return (uint16_t)d;
	case JN_OP_LE32: return (uint32_t)d;
	case JN_OP_LE64: return d;
	default: return alu32(op, (uint32_t)d, (uint32_t)s);
	}
}

bool jn_trace_cmp(int cond, int sz, uint64_t a, uint64_t b)
{
	return jn_tcmp(cond, sz, a, b);
}

int jn_tb_grow(struct jn_tbuild *b)
{
	struct jn_trace *t = b->t;
	uint32_t cap = b->cap ? b->cap * 2 : 256;
	struct jn_tins *ir;
	uint64_t *cv;
	int32_t *nx;

	if (b->cap >= JN_TRACE_MAX_IR)
		return -E2BIG;
	ir = realloc(t->ir, cap * sizeof(*ir));
	if (ir)
		t->ir = ir;
	cv = realloc(b->cval, cap * sizeof(*cv));
	if (cv)
		b->cval = cv;
	nx = realloc(b->cse_next, cap * sizeof(*nx));
	if (nx)
		b->cse_next = nx;
	if (!ir || !cv || !nx)
		return -ENOMEM;
	b->cap = cap;
	return 0;
}

static uint8_t value_width(const struct jn_tbuild *b, const struct jn_tins *in, uint64_t cval)
{
	switch (in->op) {
	case JN_TIR_KINT: {
		uint8_t w = 1;
		while (w < 8 && (cval >> (8 * w)))
			w++;
		return w;
	}
	case JN_TIR_PLOAD: case JN_TIR_MLOAD:
		return in->sz;
	case JN_TIR_LEN: case JN_TIR_CTXF:
		return 4;
	case JN_TIR_ALU:
		switch (in->k) {
		case JN_OP_AND64_X: case JN_OP_AND32_X: {
			uint8_t wa = b->t->ir[in->a].width, wb = b->t->ir[in->b].width;
			return wa < wb ? wa : wb;
		}
		case JN_OP_BSWAP16: case JN_OP_BE16: case JN_OP_LE16: return 2;
		case JN_OP_LE32: return 4;
		default:
			if (in->k >= JN_OP_ADD32_K && in->k <= JN_OP_ARSH32_X)
				return 4;
			return in->k == JN_OP_BE32 ? 4 : 8;
		}
	default:
		return 8;
	}
}

int jn_tb_emit(struct jn_tbuild *b, uint8_t op, uint8_t sz, int32_t a, int32_t b2, int64_t k,
	       uint64_t cval)
{
	struct jn_tins in = { .op = op, .sz = sz, .a = a, .b = b2, .k = k };
	struct jn_trace *t = b->t;
	int ref, rc;
	uint8_t post = 0;

	if (a >= 0)
		post |= t->ir[a].flags & JN_TF_POST;
	if (b2 >= 0 && op != JN_TIR_LOOKUP && op != JN_TIR_MLOAD)
		post |= t->ir[b2].flags & JN_TF_POST;
	in.flags = post;
	if (op == JN_TIR_ALU)
		cval = jn_trace_alu((int)k, b->cval[a], b2 >= 0 ? b->cval[b2] : 0);
	ref = jn_tfold(b, &in);
	if (ref >= 0)
		return ref;
	ref = jn_tcse_find(b, &in);
	if (ref >= 0)
		return ref;
	if (t->n == b->cap && (rc = jn_tb_grow(b)))
		return rc;
	in.width = value_width(b, &in, cval);
	ref = (int)t->n++;
	t->ir[ref] = in;
	b->cval[ref] = cval;
	jn_tcse_add(b, ref);
	return ref;
}

int jn_tb_const(struct jn_tbuild *b, uint64_t v)
{
	return jn_tb_emit(b, JN_TIR_KINT, 8, -1, -1, (int64_t)v, v);
}
