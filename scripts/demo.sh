#!/bin/sh
# demo.sh - the flagship example end to end: the hXDP paper's stateful
# firewall, its maps file, generated traffic; the interpreter's verdicts and
# state, then the same packets through the Linux kernel for comparison.
set -e
cd "$(dirname "$0")/.."
J=build/jitnic
P=build/progs/simple_firewall.o
M=progs/simple_firewall.maps.json
D=build/demo
mkdir -p $D
echo "== 1. traffic: 20000 packets, 'internet' profile (Zipf flows, IMIX sizes, some malformed)"
$J gen --profile internet --count 20000 --seed 7 --out $D/traffic.pcap
echo
echo "== 2. the program: $P"
$J info $P
echo
echo "== 3. jitnic run: every packet through the interpreter (outputs in $D/out/)"
$J run $P $D/traffic.pcap --maps $M --out $D/out
echo
echo "== 4. jitnic check: the same packets through the Linux kernel (BPF_PROG_TEST_RUN)"
$J check $P $D/traffic.pcap --maps $M
