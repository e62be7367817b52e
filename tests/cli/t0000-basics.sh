#!/bin/sh
# The CLI frame: version, help, unknown commands, exit statuses.
. "$top_srcdir/tests/cli/lib.sh"

check "--version prints the version" "$KITH" --version
ok_if "version text" "$(cat "$T/.out")" = "kith $(sed -n 's/^AC_INIT(\[kith\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")"
check "kith help lists commands" "$KITH" help
ok_if "help names info" -n "$(grep -w info "$T/.out")"
check "kith help info" "$KITH" help info
ok_if "help info shows --verify" -n "$(grep -e --verify "$T/.out")"
check "kith info --help" "$KITH" info --help
check_fails 2 "no command is a usage error" "$KITH"
check_fails 2 "unknown command is a usage error" "$KITH" frobnicate
ok_if "unknown command is named" -n "$(grep frobnicate "$T/.err")"
check_fails 2 "unknown option is a usage error" "$KITH" info --no-such-option
check_fails 2 "missing argument is a usage error" "$KITH" info
check_fails 1 "missing store is a runtime error" "$KITH" info "$T/nothing"
ok_if "error names the path" -n "$(grep "$T/nothing" "$T/.err")"
check_fails 2 "bad --threads" "$KITH" info --threads -3 "$T/nothing"
done_testing
