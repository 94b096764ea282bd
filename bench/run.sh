#!/bin/sh
# run.sh - `make bench`: benchmarks (not timed tests). Medians, ratios
# against references measured in the same run.
cd "$(dirname "$0")/.."
B=build
PCAP=../shared/data/pcaps/tcpdump_tests_ether_concat.pcap
echo "== jitnic benchmarks ($(date -u +%Y-%m-%d), $(nproc) cores, kernel $(uname -r))"
$B/jitnic-bench "$PCAP"

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

if [ -f "$PCAP" ] && [ -f build/progs/xdp1_count.o ]; then
	echo
	echo "jitnic run throughput on $(basename $PCAP) (xdp1_count, pcap read included, median of 5):"
	pkts=0
	for i in 1 2 3 4 5; do
		$B/jitnic run build/progs/xdp1_count.o "$PCAP" --json > /tmp/jn_bench_run.json
		pkts=$(sed -n 's/^ *"packets": *\([0-9]*\).*/\1/p' /tmp/jn_bench_run.json | head -1)
		sed -n 's/^ *"seconds": *\([0-9.e-]*\).*/\1/p' /tmp/jn_bench_run.json
	done | median > /tmp/jn_bench_secs
	secs=$(cat /tmp/jn_bench_secs)
	pkts=$(sed -n 's/^ *"packets": *\([0-9]*\).*/\1/p' /tmp/jn_bench_run.json | head -1)
	awk -v p="$pkts" -v s="$secs" 'BEGIN { printf "| packets | seconds | packets/s |\n| %d | %.4f | %.0f |\n", p, s, p / s }'
fi

echo
echo "traffic generator: 1,000,000 packets to a pcap (median of 3; target < 2 s):"
for i in 1 2 3; do
	/usr/bin/time -f "%e" $B/jitnic gen --count 1000000 --seed $i --out /tmp/jn_bench_gen.pcap 2>&1 >/dev/null | tail -1
done | median > /tmp/jn_bench_gen
g=$(cat /tmp/jn_bench_gen)
awk -v s="$g" 'BEGIN { printf "| packets | seconds | packets/s |\n| 1000000 | %.3f | %.0f |\n", s, 1000000 / s }'
rm -f /tmp/jn_bench_gen.pcap /tmp/jn_bench_run.json /tmp/jn_bench_secs /tmp/jn_bench_gen
