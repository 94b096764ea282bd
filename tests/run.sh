#!/bin/sh
# run.sh - run every test: cmocka unit tests (normal and sanitizer builds) and
# the command-line tests in tests/cli/*.sh.  Ends with "N passed, N failed".
cd "$(dirname "$0")/.."
pass=0
fail=0
failed=""
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for dir in build/tests build-san/tests; do
	for t in "$dir"/test_*; do
		[ -x "$t" ] || continue
		echo "=== $t"
		if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed="$failed $t"; fi
	done
done
for t in tests/cli/*.sh; do
	[ -f "$t" ] || continue
	for bin in build build-san; do
		echo "=== $t ($bin)"
		if JITNIC_BUILD=$bin sh "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed="$failed $t($bin)"; fi
	done
done
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
