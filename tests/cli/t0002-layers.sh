#!/bin/sh
# The layering rule of include/kith/core.h: no file includes a header of a
# higher layer or another part's internal header (tools/check-layers).
. "$top_srcdir/tests/cli/lib.sh"
check "libkith follows the layers" sh "$top_srcdir/tools/check-layers" \
	"$top_srcdir"
# the checker sees a violation: a base file that includes an nn header,
# an nn file that includes analytics' internals, an unknown part
mkdir -p "$T/t/include/kith" "$T/t/src/base" "$T/t/src/nn" \
	"$T/t/src/analytics" "$T/t/src/extra"
printf '#include "kith/core.h"\n' >"$T/t/include/kith/core.h"
printf '#include "kith/core.h"\n' >"$T/t/include/kith/nn.h"
printf '#include "kith/core.h"\n#include "kith/nn.h"\n' >"$T/t/src/base/a.c"
printf '\n' >"$T/t/src/analytics/analytics-internal.h"
printf '#include "analytics/analytics-internal.h"\n' >"$T/t/src/nn/b.c"
printf '\n' >"$T/t/src/extra/c.c"
check_fails 1 "an upward include fails" sh "$top_srcdir/tools/check-layers" \
	"$T/t"
ok_if "names the file and line" \
	"$(grep -c 'src/base/a.c:2: layer base includes kith/nn.h (layer nn)' "$T/.out")" = 1
ok_if "names the internal include" \
	"$(grep -c 'src/nn/b.c:1: includes analytics/analytics-internal.h' "$T/.out")" = 1
ok_if "names the file outside the layers" \
	"$(grep -c 'src/extra/c.c: not in any layer' "$T/.out")" = 1
done_testing
