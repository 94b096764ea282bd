#!/bin/sh
# demo.sh - the flagship example end to end: the hXDP paper's stateful
# firewall, its maps file, generated traffic; the interpreter's verdicts and
# state, the same packets through the Linux kernel for comparison, then
# the JITNIC trace cache, the hXDP VLIW core, and traces lowered to VLIW.
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
echo
echo "== 5. jitnic trace: the distinct paths the traffic takes, with their path conditions (JITNIC)"
$J trace $P $D/traffic.pcap --maps $M | cut -c1-160 | head -8
echo
echo "== 6. jitnic nic: an 8-trace cache on the NIC, misses to the host"
$J nic $P $D/traffic.pcap --maps $M --cache 8 --policy lru |
	grep -E "^program|^  (hit_rate|misses|cold_misses|capacity_misses|distinct_paths|guards_per_trace|ops_per_hit|full_path_insns_per_hit|host_us_per_miss_median) "
echo
echo "== 7. jitnic hxdp: the same program compiled for hXDP's 4-lane VLIW core (Sephirot), every"
echo "      packet run on the simulator and checked against the interpreter"
$J hxdp $P $D/traffic.pcap --maps $M --quiet
echo "   (hXDP paper, Table 3: simple_firewall 72 instructions in 27 rows, 6.53 Mpps)"
echo
echo "== 8. jitnic nic --engine vliw: JITNIC and hXDP joined, the cached traces lowered to VLIW;"
echo "      hits run on the simulated core (each checked), misses go to the host"
$J nic $P $D/traffic.pcap --maps $M --cache 8 --engine vliw | sed -n '/^vliw/,$p'
