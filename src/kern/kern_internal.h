/* kern_internal.h - state shared by the kernel oracle's files. */
#ifndef JN_KERN_INTERNAL_H
#define JN_KERN_INTERNAL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* cpu_set_t */
#endif
#include <sched.h>
#include <stdbool.h>

#include "kern/kern.h"

struct bpf_object;
struct bpf_program;
struct bpf_map;

struct kern_map {
	struct bpf_map *map;
	struct jn_map_spec spec;   /* spec.name is name */
	char *name;                /* section name for global data, else the map's name */
	bool global;               /* .rodata/.data/.bss...: libbpf internal map */
	int fd;                    /* after load */
};

struct kern_prog {
	struct bpf_program *prog;
	int fd;                    /* after load, -1 if not loaded */
	uint32_t id;               /* kernel prog id after load */
};

struct jn_kern {
	char *path;
	const char *base;          /* file name for messages (points into path) */
	struct bpf_object *obj;
	struct kern_prog *progs;   /* the XDP programs, in libbpf's order */
	size_t n_progs;
	size_t pick;               /* index of the program that runs */
	struct kern_map *maps;
	size_t n_maps;
	uint32_t ncpus;
	uint32_t ifindex, rxq;     /* ctx of every run */
	bool loaded;
	bool pinned;
	cpu_set_t old_cpus;
	char *log;                 /* verifier log buffer */
	uint8_t out[JN_KERN_FRAME_SZ];  /* data_out: data_meta..data_end (<= 3736 bytes) */
};

/* n bytes as 2n lowercase hex digits and a NUL into out. */
void kern_hex(const uint8_t *p, size_t n, char *out);
/* Value size the syscall uses for this map (per-CPU: rounded x ncpus). */
size_t kern_sys_value_size(const struct kern_map *m);
bool kern_is_percpu(uint32_t type);
struct kern_map *kern_find_map(struct jn_kern *k, const char *name);
/* The last warning libbpf printed (empty if none); cleared by kern_warn_reset. */
const char *kern_last_warn(void);
/* The first libbpf warning about a program ("prog 'NAME': ...") since the reset. */
const char *kern_prog_warn(void);
void kern_warn_reset(void);

#endif
