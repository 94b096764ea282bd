#!/bin/sh
# asm.sh - `jitnic asm`: raw and --hex output, stdin, errors naming the line.
. "$(dirname "$0")/lib.inc"
need "$J"
set -e
die() { echo "asm.sh: $*" >&2; exit 1; }

want="b7 00 00 00 02 00 00 00 95 00 00 00 00 00 00 00"
printf 'r0 = 2   ; the action\n  exit # done\n' > "$TMP/a.s"
[ "$("$J" asm "$TMP/a.s" --hex)" = "$want" ] || die "--hex output differs"
"$J" asm "$TMP/a.s" --out "$TMP/a.bin"
got=$(od -An -tx1 -v "$TMP/a.bin" | tr -s ' \n' '  ' | sed 's/^ //; s/ $//')
[ "$got" = "$want" ] || die "raw output differs: $got"
[ "$(printf 'r0 = 2\nexit\n' | "$J" asm - --hex)" = "$want" ] || die "stdin differs"

printf 'exit\nr1 = r11\n' > "$TMP/bad.s"
if "$J" asm "$TMP/bad.s" 2>"$TMP/err"; then die "accepted r11"; fi
grep -q "bad.s: line 2: no register r11" "$TMP/err" || die "error text: $(cat "$TMP/err")"
if "$J" asm "$TMP/missing.s" 2>/dev/null; then die "accepted a missing file"; fi
echo "asm.sh: ok"
