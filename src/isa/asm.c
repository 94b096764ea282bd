/* asm.c - text in llvm-objdump syntax to instructions.
 *
 * Each line is matched against the shape (isa.c) of every table entry in
 * table order; the first entry whose shape accepts the whole line gives the
 * encoding, so "r1 += 5" finds ADD64_K and "w1 += w2" ADD32_X without a
 * parser of its own for either.  Jumps and calls to labels are recorded as
 * fixups and resolved when the whole text has been read.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "isa/isa_internal.h"

enum { MAX_LINE = 1024 };

struct label {
	const char *name;    /* in the caller's text */
	size_t len;
	size_t pc;
	unsigned line;
};

/* A jump or call to a label: field 'o' (off) or 'i' (imm) of slot pc. */
struct fixup {
	struct label ref;    /* name, the referring pc and line */
	char field;
};

struct assembler {
	struct jn_insn *code;
	size_t n, cap;
	struct label *labels;
	size_t nlabels, labels_cap;
	struct fixup *fixups;
	size_t nfixups, fixups_cap;
};

/* One attempt to read a line as one table entry. */
struct match {
	const char *p;               /* cursor */
	struct jn_insn slot[2];
	unsigned tied;               /* registers already read: TIE_DST, TIE_SRC */
	const char *ref;             /* label operand, if any */
	size_t ref_len;
	char ref_field;
	/* why the attempt failed: where, whether the operand was recognised
	 * but is invalid (beats a mere mismatch), and a message */
	const char *fail_at;
	int invalid;
	char why[80];
};

static int is_word(int c)
{
	return isalnum(c) || c == '_';
}

static int is_label_char(int c)
{
	return is_word(c) || c == '.' || c == '$';
}

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

__attribute__((format(printf, 4, 5)))
static int fail(struct match *m, const char *at, int invalid, const char *fmt, ...)
{
	va_list ap;

	m->fail_at = at;
	m->invalid = invalid;
	va_start(ap, fmt);
	vsnprintf(m->why, sizeof(m->why), fmt, ap);
	va_end(ap);
	return 0;
}

/* ---- operands ------------------------------------------------------------ */

/* A number as llvm reads one: [+-] then 0x hex, 0 octal or decimal. */
static int parse_num(struct match *m, int *neg, uint64_t *mag)
{
	const char *p = m->p, *start = m->p;
	unsigned base = 10;

	*neg = *p == '-';
	*mag = 0;
	if (*p == '-' || *p == '+')
		p = skip_blanks(p + 1);
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2]))
		base = 16, p += 2;
	else if (p[0] == '0' && isdigit((unsigned char)p[1]))
		base = 8, p++;
	if (!isdigit((unsigned char)*p) && !(base == 16 && isxdigit((unsigned char)*p)))
		return fail(m, start, 0, "expected a number");
	for (; isxdigit((unsigned char)*p); p++) {
		unsigned d = isdigit((unsigned char)*p) ? (unsigned)(*p - '0') :
			     (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
		if (d >= base)
			break;
		if (__builtin_mul_overflow(*mag, base, mag) || __builtin_add_overflow(*mag, d, mag))
			return fail(m, start, 1, "number too large: '%.24s'", start);
	}
	if (is_word(*p))
		return fail(m, start, 0, "expected a number");
	m->p = p;
	return 1;
}

/* A number that must lie in [-lo, hi]; returns it two's-complement wrapped. */
static int parse_ranged(struct match *m, uint64_t lo, uint64_t hi, const char *what, uint64_t *v)
{
	const char *start = m->p;
	uint64_t mag;
	int neg;

	if (!parse_num(m, &neg, &mag))
		return 0;
	if (neg ? mag > lo : mag > hi)
		return fail(m, start, 1, "%s %.*s out of range", what, (int)(m->p - start), start);
	*v = neg ? 0 - mag : mag;
	return 1;
}

/* 32-bit immediates: signed or unsigned spelling, as llvm accepts. */
static int parse_imm(struct match *m, int32_t *imm)
{
	uint64_t v;

	if (!parse_ranged(m, 0x80000000u, 0xffffffffu, "immediate", &v))
		return 0;
	*imm = (int32_t)(uint32_t)v;
	return 1;
}

static int parse_off(struct match *m, int16_t *off)
{
	uint64_t v;

	if (!parse_ranged(m, 0x8000, 0x7fff, "offset", &v))
		return 0;
	*off = (int16_t)(uint16_t)v;
	return 1;
}

/* A label, or a number, for a jump or call target. */
static int parse_target(struct match *m, char field, int32_t *imm, int16_t *off)
{
	const char *p = m->p;

	if (isalpha((unsigned char)*p) || *p == '_' || *p == '.') {
		while (is_label_char(*p))
			p++;
		m->ref = m->p;
		m->ref_len = (size_t)(p - m->p);
		m->ref_field = field;
		m->p = p;
		return 1;
	}
	if (*p != '+' && *p != '-' && !isdigit((unsigned char)*p))
		return fail(m, p, 0, "expected a jump target (offset or label)");
	return field == 'o' ? parse_off(m, off) : parse_imm(m, imm);
}

/* rN or wN.  want is the letter the entry prints; lenient entries also
 * take rN for wN.  field: TIE_DST or TIE_SRC stores the register there (a
 * second mention must name the same one), 0 wants register 0. */
enum { TIE_DST = 1, TIE_SRC = 2 };

static int parse_reg(struct match *m, enum jn_op op, char want, unsigned field)
{
	struct jn_insn *in = &m->slot[0];
	const char *p = m->p;
	unsigned v = 0;

	if ((*p != 'r' && *p != 'w') || !isdigit((unsigned char)p[1]))
		return fail(m, p, 0, "expected a register");
	for (p++; isdigit((unsigned char)*p) && v < 100; p++)
		v = v * 10 + (unsigned)(*p - '0');
	if (is_word(*p))
		return fail(m, m->p, 0, "expected a register");
	if (v >= JN_ISA_NREGS)
		return fail(m, m->p, 1, "no register %.*s", (int)(p - m->p), m->p);
	if (*m->p != want && !(want == 'w' && jn_isa_accepts_wide_regs(op)))
		return fail(m, m->p, 0, "expected %s register", want == 'w' ? "a w" : "an r");
	if (!field && v != 0)
		return fail(m, m->p, 0, "expected %c0", want);
	if ((m->tied & field) && v != (field == TIE_DST ? in->dst : in->src))
		return fail(m, m->p, 1, "%.*s must be the same register as before",
			    (int)(p - m->p), m->p);
	if (field == TIE_DST)
		in->dst = v & 0xf;
	else if (field == TIE_SRC)
		in->src = v & 0xf;
	m->tied |= field;
	m->p = p;
	return 1;
}

/* A word of the table's text, not followed by more of a word. */
static int parse_word(struct match *m, const char *word)
{
	size_t len = strlen(word);

	if (strncmp(m->p, word, len) || (is_word(word[len - 1]) && is_word(m->p[len])))
		return fail(m, m->p, 0, "syntax error");
	m->p += len;
	return 1;
}

static int operand(struct match *m, enum jn_op op, char directive)
{
	const struct jn_isa_info *e = &jn_isa_info[op];
	struct jn_insn *in = &m->slot[0];
	char w = jn_isa_narrow(op) ? 'w' : 'r';
	uint64_t v;
	char size[8];

	switch (directive) {
	case 'D': return parse_reg(m, op, w, TIE_DST);
	case 'S': return parse_reg(m, op, w, TIE_SRC);
	case 'd': return parse_reg(m, op, 'r', TIE_DST);
	case 's': return parse_reg(m, op, 'r', TIE_SRC);
	case '0': return parse_reg(m, op, w, 0);
	case 't': return parse_word(m, e->text);
	case 'z':
		snprintf(size, sizeof(size), "u%u", jn_isa_size(e->opcode) * 8);
		return parse_word(m, size);
	case 'i':
	case 'U': return parse_imm(m, &in->imm);
	case 'c':
	case 'j': return parse_target(m, 'i', &in->imm, &in->off);
	case 'o': return parse_target(m, 'o', &in->imm, &in->off);
	case 'm':
		if (*m->p != '+' && *m->p != '-')
			return fail(m, m->p, 0, "expected + or -");
		return parse_off(m, &in->off);
	case 'L':
		if (!parse_ranged(m, (uint64_t)1 << 63, UINT64_MAX, "immediate", &v))
			return 0;
		in[0].imm = (int32_t)(uint32_t)v;
		in[1].imm = (int32_t)(uint32_t)(v >> 32);
		return 1;
	case 'X': {
		const char *start = m->p;
		if (!parse_ranged(m, 0, UINT32_MAX, "value", &v))
			return 0;
		return v == (uint64_t)e->selval ? 1 :
			fail(m, start, 0, "unexpected value %.*s", (int)(m->p - start), start);
	}
	default:
		return fail(m, m->p, 1, "bad shape directive %%%c", directive);
	}
}

/* ---- lines ------------------------------------------------------------- */

/* Does the line read as table entry op?  Fills m->slot on success. */
static int match_entry(struct match *m, enum jn_op op, const char *line)
{
	const struct jn_isa_info *e = &jn_isa_info[op];
	int in_word = 0;   /* the previous shape character was a letter of a word */

	memset(m, 0, sizeof(*m));
	m->p = line;
	m->slot[0].code = e->opcode;
	if (e->sel == JN_SEL_OFF)
		m->slot[0].off = (int16_t)e->selval;
	else if (e->sel == JN_SEL_IMM)
		m->slot[0].imm = e->selval;
	else if (e->sel == JN_SEL_SRC)
		m->slot[0].src = (uint8_t)e->selval;
	for (const char *s = jn_isa_shape(op); *s; s++) {
		if (!in_word)
			m->p = skip_blanks(m->p);
		if (*s == ' ' || *s == '\t') {
			in_word = 0;
		} else if (*s == '%') {
			if (!operand(m, op, *++s))
				return 0;
			in_word = 0;
		} else {
			if (*m->p != *s)
				return fail(m, m->p, 0, "syntax error");
			m->p++;
			in_word = is_word(*s);
			/* the end of a literal word ("goto", "lock") is a word boundary */
			if (in_word && !is_word(s[1]) && s[1] != '%' && is_word(*m->p))
				return fail(m, m->p, 0, "syntax error");
		}
	}
	m->p = skip_blanks(m->p);
	if (*m->p)
		return fail(m, m->p, 0, "unexpected text");
	return 1;
}

/* Keep the more telling of two failures: an invalid operand over a
 * mismatch, then the one that got further into the line, then the later
 * entry (a register form after its immediate form). */
static void keep_best(struct match *best, const struct match *m)
{
	if (!best->fail_at || m->invalid > best->invalid ||
	    (m->invalid == best->invalid && m->fail_at >= best->fail_at))
		*best = *m;
}

static int grow(void *arrp, size_t *cap, size_t need, size_t elem)
{
	void **arr = arrp;
	size_t ncap = *cap ? *cap : 64, bytes;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		if (jn_size_mul(ncap, 2, &ncap))
			return -ENOMEM;
	if (jn_size_mul(ncap, elem, &bytes))
		return -ENOMEM;
	void *n = realloc(*arr, bytes);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

static int emit(struct assembler *a, const struct match *m, const char *line, const char *orig,
		unsigned lineno, char *err, size_t errlen)
{
	size_t slots = jn_isa_is_wide(m->slot[0].code) ? 2 : 1;

	if (a->n + slots > JN_ISA_MAX_INSNS)
		return jn_errf(err, errlen, E2BIG, "line %u: more than %d instructions", lineno,
			       JN_ISA_MAX_INSNS);
	if (grow(&a->code, &a->cap, a->n + slots, sizeof(*a->code)))
		return jn_errf(err, errlen, ENOMEM, "line %u: out of memory", lineno);
	if (m->ref) {
		if (grow(&a->fixups, &a->fixups_cap, a->nfixups + 1, sizeof(*a->fixups)))
			return jn_errf(err, errlen, ENOMEM, "line %u: out of memory", lineno);
		a->fixups[a->nfixups++] = (struct fixup){
			{ orig + (m->ref - line), m->ref_len, a->n, lineno }, m->ref_field };
	}
	memcpy(&a->code[a->n], m->slot, slots * sizeof(*a->code));
	a->n += slots;
	return 0;
}

static int assemble_insn(struct assembler *a, const char *line, const char *orig, unsigned lineno,
			 char *err, size_t errlen)
{
	struct match m, best = {0};

	for (unsigned op = 0; op < JN_OP__COUNT; op++) {
		if (match_entry(&m, (enum jn_op)op, line))
			return emit(a, &m, line, orig, lineno, err, errlen);
		keep_best(&best, &m);
	}
	if (best.invalid)
		return jn_errf(err, errlen, EINVAL, "line %u: %s", lineno, best.why);
	if (best.fail_at == line)
		return jn_errf(err, errlen, EINVAL, "line %u: unknown instruction '%.40s'", lineno, line);
	if (!*best.fail_at)
		return jn_errf(err, errlen, EINVAL, "line %u: %s at end of line", lineno, best.why);
	return jn_errf(err, errlen, EINVAL, "line %u: %s at '%.40s'", lineno, best.why, best.fail_at);
}

/* One line: comments stripped, labels ("name:") recorded, then at most one
 * instruction. */
static int assemble_line(struct assembler *a, char *line, const char *orig, unsigned lineno,
			 char *err, size_t errlen)
{
	char *p = line + strcspn(line, "#;");
	char *slash = strstr(line, "//");

	*(slash && slash < p ? slash : p) = '\0';
	for (p = (char *)skip_blanks(line); isalpha((unsigned char)*p) || *p == '_' || *p == '.';) {
		char *q = p;
		while (is_label_char(*q))
			q++;
		const char *colon = skip_blanks(q);
		if (*colon != ':')
			break;
		if (grow(&a->labels, &a->labels_cap, a->nlabels + 1, sizeof(*a->labels)))
			return jn_errf(err, errlen, ENOMEM, "line %u: out of memory", lineno);
		a->labels[a->nlabels++] = (struct label){ orig + (p - line), (size_t)(q - p), a->n, lineno };
		p = (char *)skip_blanks(colon + 1);
	}
	for (char *end = p + strlen(p); end > p && isspace((unsigned char)end[-1]);)
		*--end = '\0';
	return *p ? assemble_insn(a, p, orig + (p - line), lineno, err, errlen) : 0;
}

/* ---- labels -------------------------------------------------------------- */

static int cmp_name(const void *x, const void *y)
{
	const struct label *a = x, *b = y;
	int c = memcmp(a->name, b->name, a->len < b->len ? a->len : b->len);

	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static int resolve(struct assembler *a, char *err, size_t errlen)
{
	if (a->nlabels)
		qsort(a->labels, a->nlabels, sizeof(*a->labels), cmp_name);
	for (size_t i = 1; i < a->nlabels; i++) {
		const struct label *x = &a->labels[i - 1], *y = &a->labels[i];
		if (!cmp_name(x, y))
			return jn_errf(err, errlen, EINVAL, "line %u: label '%.*s' already defined at line %u",
				       x->line > y->line ? x->line : y->line, (int)x->len, x->name,
				       x->line < y->line ? x->line : y->line);
	}
	for (size_t i = 0; i < a->nfixups; i++) {
		const struct fixup *f = &a->fixups[i];
		const struct label *l = a->nlabels ?
			bsearch(&f->ref, a->labels, a->nlabels, sizeof(*a->labels), cmp_name) : NULL;
		if (!l)
			return jn_errf(err, errlen, EINVAL, "line %u: unknown label '%.*s'", f->ref.line,
				       (int)f->ref.len, f->ref.name);
		long long delta = (long long)l->pc - (long long)f->ref.pc - 1;
		struct jn_insn *in = &a->code[f->ref.pc];
		if (f->field == 'i') {
			in->imm = (int32_t)delta;
		} else if (delta >= INT16_MIN && delta <= INT16_MAX) {
			in->off = (int16_t)delta;
		} else {
			return jn_errf(err, errlen, EINVAL,
				       "line %u: label '%.*s' is %lld slots away, beyond a 16-bit jump "
				       "(use gotol)", f->ref.line, (int)f->ref.len, f->ref.name, delta);
		}
	}
	return 0;
}

int jn_isa_assemble(const char *text, struct jn_insn **out, size_t *n, char *err, size_t errlen)
{
	struct assembler a = {0};
	char line[MAX_LINE + 1];
	unsigned lineno = 1;
	int rc = 0;

	*out = NULL;
	*n = 0;
	for (const char *p = text; *p && !rc; lineno++) {
		size_t len = strcspn(p, "\n");
		if (len > MAX_LINE)
			rc = jn_errf(err, errlen, EINVAL, "line %u: longer than %d characters", lineno,
				     MAX_LINE);
		else {
			memcpy(line, p, len);
			line[len] = '\0';
			rc = assemble_line(&a, line, p, lineno, err, errlen);
		}
		p += len + (p[len] == '\n');
	}
	if (!rc)
		rc = resolve(&a, err, errlen);
	free(a.labels);
	free(a.fixups);
	if (rc) {
		free(a.code);
		return rc;
	}
	*out = a.code;
	*n = a.n;
	return 0;
}
