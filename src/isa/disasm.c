/* disasm.c - instructions to text in llvm-objdump's syntax: each
 * instruction's shape (isa.c) with its operands filled in. */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "base/base.h"
#include "isa/isa_internal.h"

/* Text accumulated into a caller's buffer; output beyond it is dropped. */
struct out {
	char *buf;
	size_t cap, len;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (o->len + 1 >= o->cap)
		return;
	va_start(ap, fmt);
	w = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (w > 0)
		o->len = o->len + (size_t)w < o->cap ? o->len + (size_t)w : o->cap - 1;
}

/* llvm prints signed values as a sign and a hex magnitude: "0x5", "-0x5";
 * jump offsets always carry a sign ("+0x3"), displacements a spaced one. */
static void put_signed(struct out *o, int64_t v, const char *plus, const char *minus)
{
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	put(o, "%s0x%" PRIx64, v < 0 ? minus : plus, mag);
}

static void render(struct out *o, enum jn_op op, const struct jn_insn *in)
{
	const struct jn_isa_info *e = &jn_isa_info[op];
	char w = jn_isa_narrow(op) ? 'w' : 'r';
	uint64_t imm64 = (uint32_t)in[0].imm;

	if (jn_isa_is_wide(e->opcode))
		imm64 |= (uint64_t)(uint32_t)in[1].imm << 32;
	for (const char *s = jn_isa_shape(op); *s; s++) {
		if (*s != '%') {
			put(o, "%c", *s);
			continue;
		}
		switch (*++s) {
		case 'D': put(o, "%c%u", w, in->dst); break;
		case 'S': put(o, "%c%u", w, in->src); break;
		case 'd': put(o, "r%u", in->dst); break;
		case 's': put(o, "r%u", in->src); break;
		case '0': put(o, "%c0", w); break;
		case 't': put(o, "%s", e->text); break;
		case 'z': put(o, "u%u", jn_isa_size(e->opcode) * 8); break;
		case 'i':
		case 'c': put_signed(o, in->imm, "", "-"); break;
		case 'j': put_signed(o, in->imm, "+", "-"); break;
		case 'o': put_signed(o, in->off, "+", "-"); break;
		case 'm': put_signed(o, in->off, "+ ", "- "); break;
		case 'L': put_signed(o, (int64_t)imm64, "", "-"); break;
		case 'U': put(o, "0x%" PRIx32, (uint32_t)in->imm); break;
		case 'X': put(o, "0x%" PRIx32, (uint32_t)e->selval); break;
		default:  put(o, "%%%c", *s); break;   /* a shape typo shows in tests */
		}
	}
}

int jn_isa_disasm(const struct jn_insn *insns, size_t n, size_t pc, char *buf, size_t buflen)
{
	struct out o = { buf, buflen, 0 };
	enum jn_op op;
	int slots;

	if (pc >= n)
		return jn_errf(buf, buflen, EINVAL, "pc %zu is past the end (%zu slots)", pc, n);
	op = jn_isa_decode(&insns[pc]);
	if (op == JN_OP_INVALID)
		return jn_errf(buf, buflen, EINVAL, "unknown opcode 0x%02x", insns[pc].code);
	slots = jn_isa_is_wide(insns[pc].code) ? 2 : 1;
	if (pc + (size_t)slots > n)
		return jn_errf(buf, buflen, EINVAL, "lddw is missing its second slot");
	if (buflen)
		buf[0] = '\0';
	render(&o, op, &insns[pc]);
	return slots;
}

int jn_isa_dump(FILE *f, const struct jn_insn *insns, size_t n)
{
	char text[JN_ISA_TEXT_MAX];

	for (size_t pc = 0; pc < n;) {
		int slots = jn_isa_disasm(insns, n, pc, text, sizeof(text));
		size_t shown = slots > 0 ? (size_t)slots : 1;
		uint8_t bytes[16];

		memcpy(bytes, &insns[pc], shown * sizeof(*insns));
		fprintf(f, "%8zu:\t", pc);
		for (size_t i = 0; i < shown * sizeof(*insns); i++)
			fprintf(f, i ? " %02x" : "%02x", bytes[i]);
		fprintf(f, "\t%s\n", slots > 0 ? text : "<unknown>");
		pc += shown;
	}
	return ferror(f) ? -EIO : 0;
}
