# jitnic - GNU make + pkg-config.  `make` builds, `make test` runs every test
# (normal and ASan+UBSan builds), `make demo`, `make bench`, `make fuzz`.
# SAN=1 builds the sanitizer variant into build-san/.

SAN      ?= 0
CC       ?= cc
BPF_CC   ?= clang
ifeq ($(SAN),1)
O        ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT      := -O1 -g
else
O        ?= build
SANFLAGS :=
OPT      := -O2 -g
endif

PKGS     := libbpf libelf libpcap json-c
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

CFLAGS   ?= $(OPT)
override CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow -Isrc $(PKG_CFLAGS) $(SANFLAGS) -MMD -MP
LDLIBS   := $(PKG_LIBS) -lm
LDFLAGS  += $(SANFLAGS)

LIB_SRCS := $(filter-out src/cli/% src/conformance/%,$(wildcard src/*/*.c))
CLI_SRCS := $(wildcard src/cli/*.c)
CONF_SRCS := $(wildcard src/conformance/*.c)
TEST_SRCS := $(wildcard tests/unit/test_*.c)
BENCH_SRCS := $(wildcard bench/*.c)
PROG_SRCS := $(wildcard progs/*.bpf.c)

LIB      := $(O)/libjitnic.a
BIN      := $(O)/jitnic
CONF     := $(O)/jitnic-conformance
TESTS    := $(patsubst tests/unit/%.c,$(O)/tests/%,$(TEST_SRCS))
BENCH    := $(O)/jitnic-bench
PROGS    := $(patsubst progs/%.bpf.c,build/progs/%.o,$(PROG_SRCS))
TEST_BPF := $(patsubst tests/objs/%.bpf.c,build/tests/objs/%.o,$(wildcard tests/objs/*.bpf.c))

.PHONY: all deps test test-deps demo bench fuzz clean progs
all: $(LIB) $(BIN) $(CONF) $(TESTS) progs

progs: $(PROGS) $(TEST_BPF)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(patsubst %.c,$(O)/%.o,$(LIB_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BIN): $(patsubst %.c,$(O)/%.o,$(CLI_SRCS)) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(CONF): $(patsubst %.c,$(O)/%.o,$(CONF_SRCS)) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/tests/%: $(O)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS)

$(BENCH): $(patsubst %.c,$(O)/%.o,$(BENCH_SRCS)) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# XDP programs: clang -O2 -target bpf, with BTF.
build/progs/%.o: progs/%.bpf.c $(wildcard progs/*.h)
	@mkdir -p $(dir $@)
	$(BPF_CC) -O2 -g -target bpf -I/usr/include/$(shell uname -m)-linux-gnu -Iprogs -c $< -o $@

# BPF objects the unit tests load.
build/tests/objs/%.o: tests/objs/%.bpf.c $(wildcard tests/objs/*.h)
	@mkdir -p $(dir $@)
	$(BPF_CC) -O2 -g -target bpf -I/usr/include/$(shell uname -m)-linux-gnu -c $< -o $@

deps:
	@sh scripts/deps.sh build

test-deps:
	@sh scripts/deps.sh test

test: test-deps
	$(MAKE) all
	$(MAKE) SAN=1 all
	sh tests/run.sh

demo: deps
	$(MAKE) all
	sh scripts/demo.sh

bench: deps
	$(MAKE) all $(BENCH)
	sh bench/run.sh

fuzz: test-deps
	sh scripts/fuzz.sh

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(O) -name '*.d' 2>/dev/null)
