#!/bin/sh
# run_errors.sh - bad input to `jitnic run` (and check) gets one line naming
# the file and the place, a non-zero exit, outputs written up to the bad
# record, and never a crash.
cd "$(dirname "$0")/../.."
J=${JITNIC_BUILD:-build}/jitnic
P=build/progs/xdp1_count.o
C=../shared/data/pcaps/ndpi_alexa-app.pcap
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

# expect_error NAME PATTERN CMD...: exit 1 or 2, exactly one stderr line matching PATTERN
expect_error() {
	name=$1 pat=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	lines=$(wc -l <"$T/err")
	if [ "$rc" -ge 1 ] && [ "$rc" -le 2 ] && [ "$lines" -eq 1 ] && grep -q -- "$pat" "$T/err"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $name: rc=$rc, $lines stderr lines: $(head -3 "$T/err")"
	fi
}
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }

# -- objects
head -c 700 $P >"$T/trunc.o"
expect_error "truncated ELF" "trunc.o: truncated" $J run "$T/trunc.o" $C
cp $P "$T/corrupt.o"
printf '\377\377\377\377\377\377\377\377' | dd of="$T/corrupt.o" bs=1 seek=40 conv=notrunc 2>/dev/null
expect_error "corrupted ELF" "corrupt.o" $J run "$T/corrupt.o" $C
printf 'hello, not an object\n' >"$T/text.o"
expect_error "not ELF" "text.o: not an ELF" $J run "$T/text.o" $C
expect_error "non-BPF ELF" "is not BPF" $J run /bin/true $C
expect_error "missing program" "no program called nosuch" $J run $P $C --prog nosuch
expect_error "unknown map type" "bad_maptype.o: maps: map seen: unsupported type 30" \
	$J run build/tests/objs/bad_maptype.o $C
expect_error "unsupported helper" "pc 0: unsupported helper bpf_ktime_get_coarse_ns" \
	$J run build/tests/objs/bad_helper.o $C
expect_error "missing object" "nosuch.o" $J run "$T/nosuch.o" $C
printf 'abc' >"$T/odd.bin"
expect_error "raw bytecode of odd length" "odd.bin" $J run --raw "$T/odd.bin" $C
printf '{"maps": {"rxcnt": [ {"key": 999, "values": [1]} ]}' >"$T/bad.json"
expect_error "malformed maps file" "bad.json" $J run $P $C --maps "$T/bad.json"

# -- captures: a capture cut mid-record: every packet before it is run and written
head -c 600000 $C >"$T/trunc.pcap"
expect_error "truncated pcap" "trunc.pcap: packet 1723.*truncated" $J run $P "$T/trunc.pcap" --out "$T/out1"
ok "truncated pcap: packets before the bad record written" \
	"[ \$(stat -c %s '$T/out1/drop.pcap') -gt 500000 ]"
$J run $P "$T/trunc.pcap" --json >"$T/j" 2>/dev/null
ok "truncated pcap: summary counts the 1723 packets before it" "grep -q '\"packets\": *1723' '$T/j'"
printf 'garbage, not a capture' >"$T/g.pcap"
expect_error "not a capture" "g.pcap" $J run $P "$T/g.pcap"

# a raw-IP capture (linktype 101): refused, naming the link type
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\145\000\000\000' >"$T/raw.pcap"
expect_error "non-Ethernet capture" "raw.pcap.*link" $J run $P "$T/raw.pcap"

# a snaplen-truncated packet (caplen 60 < len 1000): run as captured, counted
{
	printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\074\000\000\000\001\000\000\000'
	printf '\001\000\000\000\000\000\000\000\074\000\000\000\350\003\000\000'
	printf '\377\377\377\377\377\377\002\000\000\000\000\001\010\000\105\000\003\332'
	head -c 42 /dev/zero
} >"$T/snap.pcap"
$J run $P "$T/snap.pcap" --json >"$T/j2" 2>"$T/e2"
ok "snaplen-truncated packet runs and is counted" \
	"grep -q '\"snaplen_truncated\": *1' '$T/j2' && grep -q '\"drop\": *1' '$T/j2'"

# -- an out-of-bounds access in a raw program: the packet is aborted with pc and address
printf 'r2 = *(u32 *)(r1 + 0x0)\nr0 = *(u64 *)(r2 + 0x1000)\nexit\n' >"$T/oob.s"
$J asm "$T/oob.s" --out "$T/oob.bin" 2>/dev/null
$J run --raw "$T/oob.bin" ../shared/data/pcaps/gopacket_test_dns.pcap --json >"$T/j3" 2>&1
ok "out-of-bounds raw program: faults counted, first names pc 1" \
	"grep -q '\"faults\": *10' '$T/j3' && grep -q 'pc 1: load of 8 bytes' '$T/j3'"

echo "run_errors.sh: $pass passed, $fail failed"
[ "$fail" = 0 ]
