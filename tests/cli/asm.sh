#!/bin/sh
# asm.sh - `jitnic asm`: raw and --hex output, stdin, errors naming the line.
set -e
J=${JITNIC_BUILD:-build}/jitnic
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "asm.sh: $*" >&2; exit 1; }

want="b7 00 00 00 02 00 00 00 95 00 00 00 00 00 00 00"
printf 'r0 = 2   ; the action\n  exit # done\n' > "$T/a.s"
[ "$("$J" asm "$T/a.s" --hex)" = "$want" ] || fail "--hex output differs"
"$J" asm "$T/a.s" --out "$T/a.bin"
got=$(od -An -tx1 -v "$T/a.bin" | tr -s ' \n' '  ' | sed 's/^ //; s/ $//')
[ "$got" = "$want" ] || fail "raw output differs: $got"
[ "$(printf 'r0 = 2\nexit\n' | "$J" asm - --hex)" = "$want" ] || fail "stdin differs"

printf 'exit\nr1 = r11\n' > "$T/bad.s"
if "$J" asm "$T/bad.s" 2>"$T/err"; then fail "accepted r11"; fi
grep -q "bad.s: line 2: no register r11" "$T/err" || fail "error text: $(cat "$T/err")"
if "$J" asm "$T/missing.s" 2>/dev/null; then fail "accepted a missing file"; fi
echo "asm.sh: ok"
