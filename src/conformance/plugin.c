/* plugin.c - jitnic-conformance: the reference interpreter as a plugin for
 * the public bpf_conformance suite (github.com/Alan-Jowett/bpf_conformance).
 *
 *   jitnic-conformance [MEM] [options] [--elf]  < program
 *
 * MEM (argv[1] when it does not start with "--"; may be empty) is the
 * program's memory as hex bytes ("00  01  02" or "000102").  The program
 * arrives on stdin as hex bytes: raw 8-byte instruction slots, or with
 * --elf an ELF object whose function "main" is run.  Other options (the
 * suite passes e.g. --debug) are ignored.
 *
 * At entry r1 points to a writable copy of MEM (NULL without MEM), r2 is
 * its length and r10 the top of a 512-byte stack.  Helper 5 returns its
 * first argument (the suite's tests only need it to return; uBPF's test
 * helper 5 does the same).
 *
 * Output: on success r0 in lowercase hex without "0x" (the suite parses it
 * with stoull(s, 16), as the uBPF and libbpf plugins print it), exit 0.
 * On failure one line on stdout saying why (the suite compares that line
 * with a test's "-- error" text), exit 1 for a run-time error, 2 for bad
 * input or an invalid program.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "obj/obj.h"
#include "vm/vm.h"

enum { MAX_INPUT = 64 << 20 };  /* hex text on stdin, bytes */

static uint64_t helper_ret_arg(struct jn_vm_run *run, uint64_t r1, uint64_t r2,
			       uint64_t r3, uint64_t r4, uint64_t r5)
{
	return r1;
}

static const struct jn_helper helpers[] = {
	[5] = { "conformance_helper5", helper_ret_arg },
};

/* Print one line (newlines in msg become spaces) and return status. */
static int fail(int status, const char *what, const char *msg)
{
	char line[512];

	snprintf(line, sizeof(line), "%s%s%s", what, *what ? ": " : "", msg);
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	printf("%s\n", line);
	fflush(stdout);
	return status;
}

/* Read stdin into a NUL-terminated malloc'd string (owned by the caller). */
static char *read_stdin(size_t *len, char *err, size_t errlen)
{
	uint8_t *buf;
	int rc = jn_read_file("/dev/stdin", &buf, len);

	if (rc < 0) {
		jn_errf(err, errlen, -rc, "cannot read stdin: %s", strerror(-rc));
		return NULL;
	}
	if (*len > MAX_INPUT) {
		free(buf);
		jn_errf(err, errlen, EFBIG, "input larger than %d bytes", MAX_INPUT);
		return NULL;
	}
	if (memchr(buf, 0, *len)) {
		free(buf);
		jn_errf(err, errlen, EINVAL, "program: not hex bytes (NUL byte in the input)");
		return NULL;
	}
	return (char *)buf;
}

/* Hex text to a malloc'd byte array (owned by the caller). */
static int parse_hex(const char *text, size_t textlen, uint8_t **out, size_t *n,
		     const char *what, char *err, size_t errlen)
{
	size_t cap = textlen / 2 + 1;
	uint8_t *b = malloc(cap);
	long got;

	if (!b)
		return jn_errf(err, errlen, ENOMEM, "%s: out of memory", what);
	got = jn_hex_parse(text, b, cap);
	if (got < 0) {
		free(b);
		return jn_errf(err, errlen, EINVAL, "%s: not hex bytes", what);
	}
	*out = b;
	*n = (size_t)got;
	return 0;
}

/* The program's instructions: raw slots, or function "main" of an ELF
 * object.  *insns is malloc'd (owned by the caller). */
static int get_program(const uint8_t *bytes, size_t len, bool elf, struct jn_insn **insns,
		       size_t *n, char *err, size_t errlen)
{
	if (!elf) {
		if (len == 0)
			return jn_errf(err, errlen, EINVAL, "empty program");
		if (len % sizeof(struct jn_insn))
			return jn_errf(err, errlen, EINVAL,
				       "program of %zu bytes is not a whole number of 8-byte instructions",
				       len);
		*insns = malloc(len);
		if (!*insns)
			return jn_errf(err, errlen, ENOMEM, "out of memory");
		memcpy(*insns, bytes, len);
		*n = len / sizeof(struct jn_insn);
		return 0;
	}

	struct jn_obj *obj = NULL;
	const struct jn_obj_prog *prog;
	int rc = jn_obj_open_mem(bytes, len, "stdin", &obj, err, errlen);

	if (rc < 0)
		return rc;
	prog = jn_obj_find_prog(obj, "main", err, errlen);
	if (!prog || prog->n_insns == 0) {
		if (prog)
			jn_errf(err, errlen, EINVAL, "function main is empty");
		jn_obj_close(obj);
		return -EINVAL;
	}
	*insns = malloc(prog->n_insns * sizeof(**insns));
	if (!*insns) {
		jn_obj_close(obj);
		return jn_errf(err, errlen, ENOMEM, "out of memory");
	}
	memcpy(*insns, prog->insns, prog->n_insns * sizeof(**insns));
	*n = prog->n_insns;
	jn_obj_close(obj);
	return 0;
}

/* Load and run; prints the result or the error.  Returns the exit status. */
static int run_program(const struct jn_insn *insns, size_t n, uint8_t *mem, size_t memlen)
{
	struct jn_vm_opts opts = {
		.sz = sizeof(opts),
		.ctx_kind = JN_CTX_MEM,
		.helpers = helpers,
		.n_helpers = JN_ARRAY_SIZE(helpers),
	};
	char err[256];
	struct jn_vm_run *run;
	struct jn_vm *vm = jn_vm_load(insns, n, &opts, err, sizeof(err));
	uint64_t r0 = 0;
	int rc;

	if (!vm)
		return fail(2, "invalid program", err);
	run = malloc(sizeof(*run));   /* ~5 KiB of stack frames: keep it off the C stack */
	if (!run) {
		jn_vm_free(vm);
		return fail(2, "", "out of memory");
	}
	jn_vm_run_init_mem(run, vm, mem, memlen);
	if (jn_vm_exec(run, &r0, false) < 0) {
		rc = fail(1, "", run->errmsg[0] ? run->errmsg : "run failed");
	} else {
		printf("%" PRIx64 "\n", r0);
		rc = 0;
	}
	free(run);
	jn_vm_free(vm);
	return rc;
}

int main(int argc, char **argv)
{
	const char *memhex = NULL;
	bool elf = false;
	char err[256];
	char *text = NULL;
	uint8_t *mem = NULL, *prog = NULL;
	struct jn_insn *insns = NULL;
	size_t textlen = 0, memlen = 0, proglen = 0, n = 0;
	int rc;

	if (argc > 1 && strncmp(argv[1], "--", 2) != 0)
		memhex = argv[1];
	for (int i = memhex ? 2 : 1; i < argc; i++) {
		if (!strcmp(argv[i], "--elf"))
			elf = true;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: %s [MEM-HEX] [--elf] < PROGRAM-HEX\n", argv[0]);
			return 0;
		}
	}

	rc = memhex ? parse_hex(memhex, strlen(memhex), &mem, &memlen, "memory", err, sizeof(err)) : 0;
	if (rc == 0)
		rc = (text = read_stdin(&textlen, err, sizeof(err))) ? 0 : -EINVAL;
	if (rc == 0)
		rc = parse_hex(text, textlen, &prog, &proglen, "program", err, sizeof(err));
	if (rc < 0)
		rc = fail(2, "invalid input", err);
	else if (get_program(prog, proglen, elf, &insns, &n, err, sizeof(err)) < 0)
		rc = fail(2, "invalid program", err);
	else
		rc = run_program(insns, n, memlen ? mem : NULL, memlen);
	free(insns);
	free(prog);
	free(text);
	free(mem);
	return rc;
}
