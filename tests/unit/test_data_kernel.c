/* test_data_kernel.c - the expected results of tests/data/ (*.data files)
 * checked against the Linux kernel: each case that expects a result (no
 * "-- error", no "-- nokernel") is loaded with bpf(BPF_PROG_LOAD) and run
 * with BPF_PROG_TEST_RUN, and the kernel's return value must equal the low
 * 32 bits of the case's result (XDP and tc return values are 32 bits); a
 * second program calls the case's code as a function and returns r0 >> 32,
 * which must equal the high 32 bits.  Each case that expects an error must
 * be refused by the verifier.
 *
 * How a case becomes a kernel program:
 *   no memory           XDP program, the case's code as it is
 *   memory              XDP program behind a prolog that sets r1 = data,
 *                       r2 = length (after the bounds check the verifier
 *                       wants); the packet is the memory, padded to 64
 *                       bytes (the kernel wants at least an Ethernet header)
 *   ld_abs / ld_ind     tc (sched_cls) program behind "r6 = r1" (the skb);
 *                       the packet is the memory unpadded (padding would
 *                       move the end the loads check), at least 14 bytes
 * Programs the verifier refuses (recursion, callx, immediate shift counts
 * out of range, ...) are skipped and counted; so are cases the kernel
 * cannot express.  Without bpf() (not root, seccomp) the test skips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include "data_cases.h"

#define DATA_DIR "tests/data"

enum { MIN_PACKET = 64, ETH_HDR = 14 };

static struct data_cases cases;
static int n_agree, n_low_only, n_differ, n_rejected, n_skipped, n_refused_too;

/* The case's program with the prolog its memory needs; which prog type
 * and which packet to run it on.  0, or -1 with why set (skip). */
struct kprog {
	struct jn_insn *insns;
	size_t n;
	enum bpf_prog_type type;
	uint8_t *data;
	size_t datalen;
};

static bool uses_ldabs(const struct jn_insn *insns, size_t n)
{
	for (size_t pc = 0; pc < n; pc++) {
		enum jn_op op = jn_isa_decode(&insns[pc]);

		if (op != JN_OP_INVALID && (jn_isa_info[op].form == JN_FORM_LDABS ||
					    jn_isa_info[op].form == JN_FORM_LDIND))
			return true;
	}
	return false;
}

/* Put n slots in front of the program. */
static int prepend(struct kprog *kp, const struct jn_insn *pro, size_t n, char *why,
		   size_t whylen)
{
	struct jn_insn *all = malloc((n + kp->n) * sizeof(*all));

	if (!all) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	memcpy(all, pro, n * sizeof(*all));
	memcpy(all + n, kp->insns, kp->n * sizeof(*all));
	free(kp->insns);
	kp->insns = all;
	kp->n += n;
	return 0;
}

static int prepend_text(struct kprog *kp, const char *text, char *why, size_t whylen)
{
	struct jn_insn *pro;
	size_t n;
	char err[256];
	int rc;

	if (jn_isa_assemble(text, &pro, &n, err, sizeof(err)) < 0) {
		snprintf(why, whylen, "prolog does not assemble: %s", err);
		return -1;
	}
	rc = prepend(kp, pro, n, why, whylen);
	free(pro);
	return rc;
}

/* The kernel's program for a case.  high: run the case as a function and
 * return the upper half of its r0 (XDP and tc return only 32 bits). */
static int build(const struct data_case *c, bool high, struct kprog *kp, char *why,
		 size_t whylen)
{
	static const struct jn_insn upper_half[] = {
		{ .code = 0x85, .src = 1, .imm = 2 },  /* call the case's code */
		{ .code = 0x77, .imm = 32 },            /* r0 >>= 32 */
		{ .code = 0x95 },                       /* exit */
	};
	char err[256], prolog[512];

	memset(kp, 0, sizeof(*kp));
	if (data_program(c, &kp->insns, &kp->n, err, sizeof(err)) < 0) {
		snprintf(why, whylen, "does not assemble: %s", err);
		return -1;
	}
	if (uses_ldabs(kp->insns, kp->n)) {
		/* the kernel allows ld_abs only in the main function */
		if (high || c->memlen < ETH_HDR) {
			snprintf(why, whylen, high ? "ld_abs cannot run in a subprogram" :
				 "ld_abs case with less than 14 bytes of memory");
			return -1;
		}
		kp->type = BPF_PROG_TYPE_SCHED_CLS;
		kp->datalen = c->memlen;
		if (prepend_text(kp, "r6 = r1\n", why, whylen) < 0)
			return -1;
	} else {
		kp->type = BPF_PROG_TYPE_XDP;
		kp->datalen = c->memlen > MIN_PACKET ? c->memlen : MIN_PACKET;
		if (high && prepend(kp, upper_half, JN_ARRAY_SIZE(upper_half), why, whylen) < 0)
			return -1;
		snprintf(prolog, sizeof(prolog),
			 "r6 = r1\n"
			 "r1 = *(u32 *)(r6 + 0)\n"     /* xdp_md.data */
			 "r2 = *(u32 *)(r6 + 4)\n"     /* xdp_md.data_end */
			 "r3 = r1\n"
			 "r3 += %zu\n"
			 "if r3 <= r2 goto +2\n"
			 "r0 = 0\n"
			 "exit\n"
			 "r2 = %zu\n", c->memlen, c->memlen);
		if (c->memlen && prepend_text(kp, prolog, why, whylen) < 0)
			return -1;
	}
	kp->data = calloc(1, kp->datalen);
	if (!kp->data) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (c->memlen)
		memcpy(kp->data, c->mem, c->memlen);
	return 0;
}

/* The verifier's reason: its last log line that is not a statistic. */
static const char *reason(char *log)
{
	char *line = NULL;

	for (char *p = strtok(log, "\n"); p; p = strtok(NULL, "\n"))
		if (strncmp(p, "processed ", 10) && strncmp(p, "verification time", 17) &&
		    strncmp(p, "stack depth", 11))
			line = p;
	return line ? line : "(no log)";
}

static char vlog[1 << 16];

/* Build and load the case's program: the fd; -1 if the verifier refuses it
 * (its log in vlog); -2 if the kernel cannot express the case (why says
 * why).  With an fd, kp->data is the packet to run it on (run_once frees
 * it); without, it is NULL. */
static int load_case(const struct data_case *c, bool high, struct kprog *kp, char *why,
		     size_t whylen)
{
	int fd;

	if (build(c, high, kp, why, whylen) < 0) {
		free(kp->insns);
		free(kp->data);
		kp->data = NULL;
		return -2;
	}
	/* without a log first: a long but valid verification would fill it */
	fd = bpf_prog_load(kp->type, "jn_data", "GPL", (const struct bpf_insn *)kp->insns, kp->n,
			   NULL);
	if (fd < 0) {
		LIBBPF_OPTS(bpf_prog_load_opts, lopts, .log_buf = vlog, .log_size = sizeof(vlog),
			    .log_level = 1);
		vlog[0] = 0;
		bpf_prog_load(kp->type, "jn_data", "GPL", (const struct bpf_insn *)kp->insns, kp->n,
			      &lopts);
		free(kp->data);
		kp->data = NULL;
		fd = -1;
	}
	free(kp->insns);
	kp->insns = NULL;
	return fd;
}

/* Run once; the program's 32-bit return value, or fail. */
static uint32_t run_once(const struct data_case *c, int fd, struct kprog *kp)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = kp->data,
		    .data_size_in = (uint32_t)kp->datalen, .repeat = 1);
	int rc = bpf_prog_test_run_opts(fd, &topts);

	close(fd);
	free(kp->data);
	if (rc < 0)
		fail_msg("%s: BPF_PROG_TEST_RUN failed: %s", c->id, strerror(errno));
	return topts.retval;
}

/* A case with a result: the kernel must return its low 32 bits, and its
 * high 32 bits when the case's code runs as a function of a wrapper that
 * returns r0 >> 32. */
static void kernel_case(void **state)
{
	const struct data_case *c = *state;
	struct kprog kp;
	char why[512] = "";
	uint32_t got;
	int fd = load_case(c, false, &kp, why, sizeof(why));

	if (fd < 0) {
		if (fd == -2)
			n_skipped++;
		else
			n_rejected++;
		print_message("%s: %s: %s\n", c->id, fd == -2 ? "skipped" : "the verifier refuses it",
			      fd == -2 ? why : reason(vlog));
		skip();
	}
	got = run_once(c, fd, &kp);
	if (got != (uint32_t)c->result) {
		n_differ++;
		fail_msg("%s (line %d): the kernel returns 0x%x, the case expects 0x%" PRIx64
			 " (low 32 bits 0x%x)", c->id, c->line, got, c->result, (uint32_t)c->result);
	}
	fd = load_case(c, true, &kp, why, sizeof(why));
	if (fd < 0) {
		n_agree++;
		n_low_only++;
		print_message("%s: upper half not checked: %s\n", c->id,
			      fd == -2 ? why : reason(vlog));
		return;
	}
	got = run_once(c, fd, &kp);
	if (got != (uint32_t)(c->result >> 32)) {
		n_differ++;
		fail_msg("%s (line %d): the kernel's upper half is 0x%x, the case expects 0x%" PRIx64,
			 c->id, c->line, got, c->result);
	}
	n_agree++;
}

/* A case that expects an error: the kernel must refuse the program too
 * (what stops our run at run time, its verifier finds before). */
static void kernel_refuses(void **state)
{
	const struct data_case *c = *state;
	struct kprog kp;
	char why[512] = "";
	int fd = load_case(c, false, &kp, why, sizeof(why));

	free(kp.data);
	if (fd == -2) {
		n_skipped++;
		print_message("%s: skipped: %s\n", c->id, why);
		skip();
	}
	if (fd >= 0) {
		close(fd);
		n_differ++;
		fail_msg("%s (line %d): the kernel accepts a program the case expects to fail (%s)",
			 c->id, c->line, c->error);
	}
	n_refused_too++;
	print_message("%s: refused by the kernel too: %s\n", c->id, reason(vlog));
}

/* Can we load programs at all?  NULL if yes, else the reason. */
static const char *bpf_refused(void)
{
	static const struct bpf_insn prog[] = {
		{ .code = 0xb7 }, /* r0 = 0 */
		{ .code = 0x95 }, /* exit */
	};
	static char why[128];
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "jn_probe", "GPL", prog, 2, NULL);

	if (fd >= 0) {
		close(fd);
		return NULL;
	}
	snprintf(why, sizeof(why), "%s", strerror(errno));
	return why;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

int main(void)
{
	struct CMUnitTest *tests;
	const char *refused;
	char err[256];
	size_t n = 0;
	int rc;

	libbpf_set_print(quiet);
	refused = bpf_refused();
	if (refused) {
		printf("test_data_kernel: skipped: bpf() refused: %s\n", refused);
		return 0;
	}
	if (data_load_dir(DATA_DIR, &cases, err, sizeof(err)) < 0) {
		fprintf(stderr, "test_data_kernel: %s\n", err);
		return 1;
	}
	tests = calloc(cases.n + 1, sizeof(*tests));
	if (!tests) {
		data_free(&cases);
		return 1;
	}
	int not_applicable = 0;
	for (size_t i = 0; i < cases.n; i++) {
		if (cases.v[i].nokernel) {
			not_applicable++;
			continue;
		}
		tests[n].name = cases.v[i].id;
		tests[n].test_func = cases.v[i].error ? kernel_refuses : kernel_case;
		tests[n].initial_state = &cases.v[i];
		n++;
	}
	rc = _cmocka_run_group_tests("data_kernel", tests, n, NULL, NULL);
	printf("test_data_kernel: %d results agree with the kernel (%d in the low 32 bits only), "
	       "%d error cases refused by it too, %d differ; %d refused by the verifier, "
	       "%d not expressible, %d nokernel\n", n_agree, n_low_only, n_refused_too, n_differ,
	       n_rejected, n_skipped, not_applicable);
	free(tests);
	data_free(&cases);
	return rc;
}
