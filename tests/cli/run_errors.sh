#!/bin/sh
# run_errors.sh - bad input to `jitnic run` (and check) gets one line naming
# the file and the place, a non-zero exit, outputs written up to the bad
# record, and never a crash.
. "$(dirname "$0")/lib.inc"
need "$J"
P=build/progs/xdp1_count.o
C=../shared/data/pcaps/ndpi_alexa-app.pcap

# expect_error NAME PATTERN CMD...: exit 1 or 2, exactly one stderr line matching PATTERN
expect_error() {
	name=$1 pat=$2
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	lines=$(wc -l <"$TMP/err")
	if [ "$rc" -ge 1 ] && [ "$rc" -le 2 ] && [ "$lines" -eq 1 ] && grep -q -- "$pat" "$TMP/err"; then
		ok
	else
		bad "$name: rc=$rc, $lines stderr lines: $(head -3 "$TMP/err")"
	fi
}
# holds NAME CMD: the shell command CMD succeeds
holds() { if eval "$2"; then ok; else bad "$1"; fi; }

# -- objects
head -c 700 $P >"$TMP/trunc.o"
expect_error "truncated ELF" "trunc.o: truncated" $J run "$TMP/trunc.o" $C
cp $P "$TMP/corrupt.o"
printf '\377\377\377\377\377\377\377\377' | dd of="$TMP/corrupt.o" bs=1 seek=40 conv=notrunc 2>/dev/null
expect_error "corrupted ELF" "corrupt.o" $J run "$TMP/corrupt.o" $C
printf 'hello, not an object\n' >"$TMP/text.o"
expect_error "not ELF" "text.o: not an ELF" $J run "$TMP/text.o" $C
expect_error "non-BPF ELF" "is not BPF" $J run /bin/true $C
expect_error "missing program" "no program called nosuch" $J run $P $C --prog nosuch
expect_error "unknown map type" "bad_maptype.o: maps: map seen: unsupported type 30" \
	$J run build/tests/objs/bad_maptype.o $C
expect_error "unsupported helper" "pc 0: unsupported helper bpf_ktime_get_coarse_ns" \
	$J run build/tests/objs/bad_helper.o $C
expect_error "missing object" "nosuch.o" $J run "$TMP/nosuch.o" $C
printf 'abc' >"$TMP/odd.bin"
expect_error "raw bytecode of odd length" "odd.bin" $J run --raw "$TMP/odd.bin" $C
printf '{"maps": {"rxcnt": [ {"key": 999, "values": [1]} ]}' >"$TMP/bad.json"
expect_error "malformed maps file" "bad.json" $J run $P $C --maps "$TMP/bad.json"

# -- captures: a capture cut mid-record: every packet before it is run and written
head -c 600000 $C >"$TMP/trunc.pcap"
expect_error "truncated pcap" "trunc.pcap: packet 1723.*truncated" $J run $P "$TMP/trunc.pcap" --out "$TMP/out1"
holds "truncated pcap: packets before the bad record written" \
	"[ \$(stat -c %s '$TMP/out1/drop.pcap') -gt 500000 ]"
$J run $P "$TMP/trunc.pcap" --json >"$TMP/j" 2>/dev/null
holds "truncated pcap: summary counts the 1723 packets before it" "grep -q '\"packets\": *1723' '$TMP/j'"
printf 'garbage, not a capture' >"$TMP/g.pcap"
expect_error "not a capture" "g.pcap" $J run $P "$TMP/g.pcap"

# a raw-IP capture (linktype 101): refused, naming the link type
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\145\000\000\000' >"$TMP/raw.pcap"
expect_error "non-Ethernet capture" "raw.pcap.*link" $J run $P "$TMP/raw.pcap"

# a snaplen-truncated packet (caplen 60 < len 1000): run as captured, counted
{
	printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\074\000\000\000\001\000\000\000'
	printf '\001\000\000\000\000\000\000\000\074\000\000\000\350\003\000\000'
	printf '\377\377\377\377\377\377\002\000\000\000\000\001\010\000\105\000\003\332'
	head -c 42 /dev/zero
} >"$TMP/snap.pcap"
$J run $P "$TMP/snap.pcap" --json >"$TMP/j2" 2>"$TMP/e2"
holds "snaplen-truncated packet runs and is counted" \
	"grep -q '\"snaplen_truncated\": *1' '$TMP/j2' && grep -q '\"drop\": *1' '$TMP/j2'"

# -- an out-of-bounds access in a raw program: the packet is aborted with pc and address
printf 'r2 = *(u32 *)(r1 + 0x0)\nr0 = *(u64 *)(r2 + 0x1000)\nexit\n' >"$TMP/oob.s"
$J asm "$TMP/oob.s" --out "$TMP/oob.bin" 2>/dev/null
$J run --raw "$TMP/oob.bin" ../shared/data/pcaps/gopacket_test_dns.pcap --json >"$TMP/j3" 2>&1
holds "out-of-bounds raw program: faults counted, first names pc 1" \
	"grep -q '\"faults\": *10' '$TMP/j3' && grep -q 'pc 1: load of 8 bytes' '$TMP/j3'"

finish
