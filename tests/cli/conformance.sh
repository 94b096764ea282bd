#!/bin/sh
# conformance.sh - jitnic-conformance, the plugin for the bpf_conformance
# suite: programs as hex on stdin, memory as hex in argv[1], r0 in hex on
# stdout; errors as one line and a non-zero status; an ELF object with
# --elf.  Uses "$JITNIC_BUILD/jitnic-conformance".
. "$(dirname "$0")/lib.inc"
P="$B/jitnic-conformance"
need "$P"

# input TEXT: the next program's stdin (a file: no pipeline, so that the
# counters above are not lost in a subshell)
input() { printf '%s\n' "$1" >"$TMP/in"; }

# expect NAME STATUS OUTPUT -- ARGS: status and the exact output
expect() {
	name=$1 want_status=$2 want=$3
	shift 4
	out=$("$P" "$@" <"$TMP/in" 2>"$TMP/stderr")
	status=$?
	if [ "$status" != "$want_status" ] || [ "$out" != "$want" ]; then
		bad "$name: status $status, output '$out' (want $want_status, '$want')"
	else
		ok
	fi
}

# expect_error NAME STATUS SUBSTRING -- ARGS: one line containing it
expect_error() {
	name=$1 want_status=$2 want=$3
	shift 4
	out=$("$P" "$@" <"$TMP/in" 2>"$TMP/stderr")
	status=$?
	lines=$(printf '%s\n' "$out" | wc -l)
	case "$out" in
	*"$want"*) found=1 ;;
	*) found=0 ;;
	esac
	if [ "$status" != "$want_status" ] || [ "$lines" != 1 ] || [ "$found" != 1 ]; then
		bad "$name: status $status, $lines line(s) '$out' (want $want_status, one line with '$want')"
	else
		ok
	fi
}

EXIT0='95 00 00 00 00 00 00 00'

# r0 = 42; exit
input "b7 00 00 00 2a 00 00 00 $EXIT0"
expect mov_no_memory 0 2a --
# the suite's encoding: two spaces after every byte, an empty argv[1] when
# there is no memory, options after it
input "b7  00  00  00  2a  00  00  00  95  00  00  00  00  00  00  00  "
expect suite_spacing_empty_mem_and_option 0 2a -- "" --debug
# r0 = *(u32 *)(r1 + 0)
input "61 10 00 00 00 00 00 00 $EXIT0"
expect load_from_memory 0 44332211 -- "11  22  33  44  "
# r0 = r2: the memory's length
input "bf 20 00 00 00 00 00 00 $EXIT0"
expect r2_is_memory_length 0 13 -- \
	"00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12"
# *(u8 *)(r1 + 1) = 0x7f; r0 = *(u16 *)(r1 + 0): the memory is writable
input "72 01 01 00 7f 00 00 00 69 10 00 00 00 00 00 00 $EXIT0"
expect memory_is_writable 0 7f00 -- "00 00"
# r0 = 0x1122334455667788 ll: all 64 bits, lowercase, no 0x
input "18 00 00 00 88 77 66 55 00 00 00 00 44 33 22 11 $EXIT0"
expect r0_is_64_bits 0 1122334455667788 --
# r0 = -1
input "b7 00 00 00 ff ff ff ff $EXIT0"
expect r0_minus1 0 ffffffffffffffff --
# r1 = -1; call 5; r0 = 2 (helper 5 returns normally)
input "b7 01 00 00 ff ff ff ff 85 00 00 00 05 00 00 00 b7 00 00 00 02 00 00 00 $EXIT0"
expect helper_5 0 2 --
# r1 = 0x21; call 5 (helper 5 returns its first argument)
input "b7 01 00 00 21 00 00 00 85 00 00 00 05 00 00 00 $EXIT0"
expect helper_5_returns_r1 0 21 --
# r1 = 9; call +1; exit; r0 = r1; r0 += 1; exit (bpf-to-bpf call)
input "b7 01 00 00 09 00 00 00 85 10 00 00 01 00 00 00 $EXIT0 bf 10 00 00 00 00 00 00 07 00 00 00 01 00 00 00 $EXIT0"
expect local_call 0 a --
# r0 = 1; r1 = 0; r0 /= r1 (division by zero gives 0)
input "b7 00 00 00 01 00 00 00 b7 01 00 00 00 00 00 00 3f 10 00 00 00 00 00 00 $EXIT0"
expect div_by_zero_register 0 0 --

# errors: one line, non-zero status
input "ff 00 00 00 00 00 00 00 $EXIT0"
expect_error unknown_opcode 2 "invalid program" --
input "b7 00 00 00 00 00 00 00"
expect_error no_exit 2 "invalid program" --
input "b7 00 00"
expect_error partial_instruction 2 "8-byte" --
input "b7 0"
expect_error odd_hex 2 "invalid input" --
printf '' >"$TMP/in"
expect_error empty_stdin 2 "empty program" --
input "zz"
expect_error not_hex 2 "invalid input" --
printf '\001\377\000\200binary\n' >"$TMP/in"
expect_error binary_garbage 2 "invalid input" --
input "$EXIT0"
expect_error bad_memory_hex 2 "memory" -- "0g"
# r0 = *(u8 *)(r1 + 0) without memory
input "71 10 00 00 00 00 00 00 $EXIT0"
expect_error load_without_memory 1 "pc 0" --
# r0 = *(u32 *)(r1 + 2) with 4 bytes
input "61 10 02 00 00 00 00 00 $EXIT0"
expect_error load_past_memory 1 "pc 0" -- "00 01 02 03"
# goto -1 forever
input "05 00 ff ff 00 00 00 00 $EXIT0"
expect_error infinite_loop 1 "budget" --
# 70 MB of hex digits: refused without reading it all into the VM
head -c 70000000 /dev/zero | tr '\0' '0' >"$TMP/in"
expect_error huge_input 2 "larger than" --

# --elf: a tiny C program's .text function main, compiled with clang
# (-ffreestanding: main with other parameters than argc/argv)
if command -v clang >/dev/null 2>&1; then
	cat >"$TMP/prog.c" <<'EOF'
int main(unsigned char *mem, unsigned long len)
{
	return (int)len * 2 + mem[0];
}
EOF
	if clang -ffreestanding -O2 -target bpf -c "$TMP/prog.c" -o "$TMP/prog.o" 2>"$TMP/clang.err"; then
		od -An -v -tx1 "$TMP/prog.o" | tr -s ' \n' '  ' >"$TMP/in"
		# mem[0] = 5, len = 3: 3 * 2 + 5 = 11
		expect elf_main 0 b -- "05 00 00" --elf
		input "7f 45 4c 46 00"
		expect_error elf_truncated 2 "invalid program" -- --elf
	else
		bad "clang cannot compile a BPF object: $(head -1 "$TMP/clang.err")"
	fi
else
	echo "conformance.sh: clang not found, --elf cases skipped"
fi

finish
