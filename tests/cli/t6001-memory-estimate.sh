#!/bin/sh
# Memory estimates against the measured peak (issue 5): on a 20,000-user
# kith synth shop, the estimate each command prints before allocating is
# within ±15 % of its peak resident memory (/usr/bin/time %M) for
# ingest, embed (lightgcn 1 epoch, gcn, sage), profile and communities.
# Skipped without /usr/bin/time and under the sanitizers (KITH_SANITIZED),
# whose shadow memory inflates the peak.
. "$top_srcdir/tests/cli/lib.sh"

[ -x /usr/bin/time ] || skip_all "no /usr/bin/time"
[ -z "${KITH_SANITIZED:-}" ] || skip_all "sanitized build: RSS is not comparable"
"$KITH" synth -q -o "$T/shop" --users 20000 --items 2000 --events 400000 \
	--categories 20 --communities 20 --mixing 0.3 --seed 7 >/dev/null ||
	skip_all "kith synth failed"

# measure NAME kith-args...: runs the command on 2 threads under
# /usr/bin/time and checks estimate / peak in [0.85, 1.15]
measure() {
	_name=$1
	shift
	if ! /usr/bin/time -f '%M' -o "$T/time" "$KITH" "$@" --threads 2 \
		>"$T/out" 2>"$T/err"; then
		_result 1 "$_name ran"
		sed 's/^/# /' "$T/err" | tail -5
		return
	fi
	_peak=$(tail -1 "$T/time")
	_est=$(sed -n 's/.*memory estimate \([0-9.]*\)[^0-9KMG]*\([KMG]\).* for .*/\1 \2/p' "$T/err" |
		head -1 | awk '{ print $1 * ($2 == "K" ? 1 : $2 == "M" ? 1024 : 1048576) }')
	_ratio=$(awk "BEGIN { if (\"$_est\" == \"\" || $_peak <= 0) print 0; else printf \"%.3f\", ${_est:-0} / $_peak }")
	ok_if "$_name: estimate ${_est:-none} KiB / peak $_peak KiB = $_ratio in [0.85, 1.15]" \
		"$(awk "BEGIN { print ($_ratio >= 0.85 && $_ratio <= 1.15) }")" = 1
}

measure ingest ingest --events "$T/shop/events.csv" \
	--social "$T/shop/social.csv" --users "$T/shop/users.csv" \
	--items "$T/shop/items.csv" -o "$T/s"
[ -d "$T/s" ] || { done_testing; }
measure "embed lightgcn" embed "$T/s" -m lightgcn -o "$T/e" --epochs 1 --val-ratio 0
measure "embed filter" embed "$T/s" -m filter -o "$T/fi"
measure "embed gcn" embed "$T/s" -m gcn -o "$T/g" --epochs 3
measure "embed sage" embed "$T/s" -m sage -o "$T/sg" --epochs 1
measure profile profile "$T/s" -o "$T/p"
measure communities communities "$T/s" -o "$T/c"
done_testing
