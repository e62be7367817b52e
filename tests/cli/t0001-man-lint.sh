#!/bin/sh
# Every man page passes mandoc -T lint at warning level.
. "$top_srcdir/tests/cli/lib.sh"
command -v mandoc >/dev/null || skip_all "mandoc not installed"
for m in "$top_srcdir"/man/*.1; do
	check "mandoc lint $(basename "$m")" mandoc -T lint -W warning "$m"
done
done_testing
