#!/bin/sh
# kith synth: usage errors exit 2, runtime errors exit 1, nothing written.
. "$top_srcdir/tests/cli/lib.sh"

check_fails 2 "missing -o" "$KITH" synth --users 10
check_fails 2 "unknown option" "$KITH" synth -o "$T/x" --frobnicate
check_fails 2 "extra argument" "$KITH" synth -o "$T/x" extra
check_fails 2 "zero users" "$KITH" synth -o "$T/x" --users 0
check_fails 2 "more categories than items" "$KITH" synth -o "$T/x" --items 5 --categories 6
check_fails 2 "more communities than users" "$KITH" synth -o "$T/x" --users 5 --communities 6
check_fails 2 "mixing above 1" "$KITH" synth -o "$T/x" --mixing 1.5
check_fails 2 "fewer events than users" "$KITH" synth -o "$T/x" --users 100 --events 99
check_fails 2 "bad start date" "$KITH" synth -o "$T/x" --start tomorrow
check_fails 2 "non-numeric users" "$KITH" synth -o "$T/x" --users many
ok_if "nothing written on usage errors" ! -e "$T/x"
check_fails 2 "mixing 2" "$KITH" synth -o "$T/x" --mixing 2
ok_if "message names --mixing" "$(grep -c -- '--mixing' "$T/.err")" -ge 1
: >"$T/file"
check_fails 1 "output under a regular file" "$KITH" synth -q -o "$T/file/sub" --users 10 --items 10 --categories 2
check "help" "$KITH" synth --help
ok_if "help lists --mixing" "$(grep -c -- '--mixing' "$T/.out")" -ge 1
done_testing
