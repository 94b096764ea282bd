/* data_cases.h - reader for the data-driven tests in tests/data/ (*.data files)
 * (format: tests/data/README.md).  Header-only so that every engine's test
 * (interpreter, kernel cross-check, later the trace engine and the VLIW
 * simulator) reads the same cases the same way.
 *
 * data_load_dir() returns every case of every *.data file in a directory,
 * sorted by file name and then in file order; the caller owns the array and
 * frees it with data_free().  data_program() turns a case into instruction
 * slots (assembled with jn_isa_assemble, or the raw bytes).
 */
#ifndef JN_TEST_DATA_CASES_H
#define JN_TEST_DATA_CASES_H

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "isa/isa.h"

struct data_case {
	char id[160];          /* "alu64.data:add64_k" */
	char file[64];         /* "alu64.data" */
	char name[95];         /* "add64_k" */
	int line;              /* line of the "==" header */
	char *asm_text;        /* "-- asm" text, or NULL */
	uint8_t *raw;          /* "-- raw" bytes, or NULL */
	size_t rawlen;
	uint8_t *mem;          /* "-- mem" bytes, or NULL */
	size_t memlen;
	bool has_result;
	uint64_t result;       /* "-- result" */
	char *error;           /* "-- error" substring, or NULL */
	uint64_t budget;       /* "-- budget", 0: the default */
	char *nokernel;        /* "-- nokernel" reason, or NULL */
};

struct data_cases {
	struct data_case *v;
	size_t n, cap;
};

static inline void data_free(struct data_cases *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		free(cs->v[i].asm_text);
		free(cs->v[i].raw);
		free(cs->v[i].mem);
		free(cs->v[i].error);
		free(cs->v[i].nokernel);
	}
	free(cs->v);
	memset(cs, 0, sizeof(*cs));
}

/* Append s and a newline to the malloc'd string *dst. */
static inline int data_append(char **dst, const char *s)
{
	size_t old = *dst ? strlen(*dst) : 0, add = strlen(s);
	char *n = realloc(*dst, old + add + 2);

	if (!n)
		return -ENOMEM;
	memcpy(n + old, s, add);
	n[old + add] = '\n';
	n[old + add + 1] = 0;
	*dst = n;
	return 0;
}

/* Trim leading and trailing white space in place. */
static inline char *data_trim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

/* "0x1f", "31", "-1" (two's complement) -> value. */
static inline int data_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	bool neg = *s == '-';
	const char *p = neg ? s + 1 : s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	*out = strtoull(p, &end, 0);
	if (errno || *end)
		return -EINVAL;
	if (neg)
		*out = 0 - *out;
	return 0;
}

/* Convert the hex text collected for a section into bytes. */
static inline int data_hex(const char *text, uint8_t **out, size_t *n)
{
	size_t cap = strlen(text) / 2 + 1;
	long got;

	*out = malloc(cap);
	if (!*out)
		return -ENOMEM;
	got = jn_hex_parse(text, *out, cap);
	if (got < 0) {
		free(*out);
		*out = NULL;
		return -EINVAL;
	}
	*n = (size_t)got;
	return 0;
}

enum data_sec { SEC_NONE, SEC_ASM, SEC_RAW, SEC_MEM, SEC_RESULT, SEC_ERROR, SEC_BUDGET };

struct data_parse {
	struct data_case *c;
	enum data_sec sec;
	char *raw, *mem, *result, *budget;   /* collected text of the sections */
};

/* Finish the open case: convert the collected sections, check it. */
static inline int data_finish(struct data_parse *p, char *err, size_t errlen)
{
	struct data_case *c = p->c;
	int rc = 0;

	if (!c)
		return 0;
	if (p->raw && (data_hex(p->raw, &c->raw, &c->rawlen) < 0 || c->rawlen % 8 || !c->rawlen))
		rc = jn_errf(err, errlen, EINVAL, "%s (line %d): -- raw needs whole 8-byte slots in hex",
			     c->id, c->line);
	if (!rc && p->mem && data_hex(p->mem, &c->mem, &c->memlen) < 0)
		rc = jn_errf(err, errlen, EINVAL, "%s (line %d): bad hex in -- mem", c->id, c->line);
	if (!rc && p->result) {
		c->has_result = data_parse_u64(data_trim(p->result), &c->result) == 0;
		if (!c->has_result)
			rc = jn_errf(err, errlen, EINVAL, "%s (line %d): bad -- result", c->id, c->line);
	}
	if (!rc && p->budget && data_parse_u64(data_trim(p->budget), &c->budget) < 0)
		rc = jn_errf(err, errlen, EINVAL, "%s (line %d): bad -- budget", c->id, c->line);
	if (!rc && c->error)
		data_trim(c->error);
	if (!rc && !c->asm_text == !c->raw)
		rc = jn_errf(err, errlen, EINVAL, "%s (line %d): needs exactly one of -- asm, -- raw",
			     c->id, c->line);
	if (!rc && c->has_result == !!c->error)
		rc = jn_errf(err, errlen, EINVAL, "%s (line %d): needs exactly one of -- result, -- error",
			     c->id, c->line);
	free(p->raw);
	free(p->mem);
	free(p->result);
	free(p->budget);
	memset(p, 0, sizeof(*p));
	return rc;
}

/* Start a case "== name" of file fname. */
static inline int data_begin(struct data_cases *cs, struct data_parse *p, const char *fname,
			     const char *name, int line, char *err, size_t errlen)
{
	struct data_case *c;

	if (cs->n == cs->cap) {
		size_t ncap = cs->cap ? cs->cap * 2 : 256;
		struct data_case *nv = realloc(cs->v, ncap * sizeof(*nv));

		if (!nv)
			return jn_errf(err, errlen, ENOMEM, "out of memory");
		cs->v = nv;
		cs->cap = ncap;
	}
	if (!*name || strlen(name) >= sizeof(c->name) || strlen(fname) >= sizeof(c->file))
		return jn_errf(err, errlen, EINVAL, "%s:%d: case name missing or too long", fname, line);
	c = &cs->v[cs->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->file, sizeof(c->file), "%s", fname);
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->id, sizeof(c->id), "%s:%s", fname, name);
	c->line = line;
	p->c = c;
	return 0;
}

/* "-- section [argument]" header. */
static inline int data_section(struct data_parse *p, char *hdr, const char *fname, int line,
			       char *err, size_t errlen)
{
	char *arg = hdr;
	struct data_case *c = p->c;

	while (*arg && !isspace((unsigned char)*arg))
		arg++;
	if (*arg)
		*arg++ = 0;
	arg = data_trim(arg);
	if (!c)
		return jn_errf(err, errlen, EINVAL, "%s:%d: section before the first == case", fname, line);
	if (!strcmp(hdr, "nokernel")) {
		p->sec = SEC_NONE;
		c->nokernel = strdup(*arg ? arg : "unspecified");
		return c->nokernel ? 0 : -ENOMEM;
	}
	static const char *const names[] = { "", "asm", "raw", "mem", "result", "error", "budget" };
	for (size_t i = 1; i < JN_ARRAY_SIZE(names); i++)
		if (!strcmp(hdr, names[i])) {
			p->sec = (enum data_sec)i;
			if (i == SEC_ASM && !c->asm_text)
				return data_append(&c->asm_text, "");
			return 0;
		}
	return jn_errf(err, errlen, EINVAL, "%s:%d: unknown section '-- %s'", fname, line, hdr);
}

static inline int data_line(struct data_parse *p, char *line)
{
	char *t = data_trim(line);
	char **dst[] = { [SEC_RAW] = &p->raw, [SEC_MEM] = &p->mem, [SEC_RESULT] = &p->result,
			 [SEC_ERROR] = &p->c->error, [SEC_BUDGET] = &p->budget };

	if (p->sec == SEC_ASM)
		return data_append(&p->c->asm_text, line);
	if (p->sec == SEC_NONE || !*t || *t == '#')
		return 0;
	return data_append(dst[p->sec], t);
}

static inline int data_load_file(struct data_cases *cs, const char *dir, const char *fname,
				 char *err, size_t errlen)
{
	char path[512];
	uint8_t *buf;
	size_t len;
	struct data_parse p = { 0 };
	int rc, lineno = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, fname);
	rc = jn_read_file(path, &buf, &len);
	if (rc < 0)
		return jn_errf(err, errlen, -rc, "%s: %s", path, strerror(-rc));
	for (char *s = (char *)buf, *nl; rc == 0 && s && *s; s = nl) {
		nl = strchr(s, '\n');
		if (nl)
			*nl++ = 0;
		lineno++;
		if (!strncmp(s, "==", 2)) {
			rc = data_finish(&p, err, errlen);
			if (!rc)
				rc = data_begin(cs, &p, fname, data_trim(s + 2), lineno, err, errlen);
		} else if (!strncmp(s, "--", 2)) {
			rc = data_section(&p, data_trim(s + 2), fname, lineno, err, errlen);
		} else if (p.c) {
			rc = data_line(&p, s);
		} else if (*data_trim(s) && *data_trim(s) != '#') {
			rc = jn_errf(err, errlen, EINVAL, "%s:%d: text before the first == case",
				     fname, lineno);
		}
	}
	if (rc == 0)
		rc = data_finish(&p, err, errlen);
	else
		data_finish(&p, NULL, 0);
	free(buf);
	return rc;
}

static inline int data_cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Load every case of every dir/ *.data file.  0 or negative errno. */
static inline int data_load_dir(const char *dir, struct data_cases *cs, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	char *names[256];
	size_t n = 0;
	struct dirent *e;
	int rc = 0;

	memset(cs, 0, sizeof(*cs));
	if (!d)
		return jn_errf(err, errlen, errno, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d)) && n < JN_ARRAY_SIZE(names)) {
		size_t l = strlen(e->d_name);
		if (l > 5 && !strcmp(e->d_name + l - 5, ".data"))
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), data_cmp_names);
	for (size_t i = 0; i < n; i++) {
		if (!names[i])
			rc = rc ? rc : -ENOMEM;
		if (!rc)
			rc = data_load_file(cs, dir, names[i], err, errlen);
		free(names[i]);
	}
	if (rc)
		data_free(cs);
	return rc;
}

/* The case's program as instruction slots (malloc'd, caller frees). */
static inline int data_program(const struct data_case *c, struct jn_insn **insns, size_t *n,
			       char *err, size_t errlen)
{
	if (c->asm_text)
		return jn_isa_assemble(c->asm_text, insns, n, err, errlen);
	*n = c->rawlen / sizeof(struct jn_insn);
	*insns = calloc(*n ? *n : 1, sizeof(**insns));
	if (!*insns)
		return -ENOMEM;
	memcpy(*insns, c->raw, *n * sizeof(**insns));
	return 0;
}

#endif
