#!/bin/sh
# kill -9 at random moments of an ingest that replaces a store: afterwards
# the store verifies and holds either the old or the new data.
. "$top_srcdir/tests/cli/lib.sh"
awk 'BEGIN { print "user_id,item_id,event,timestamp"; for (i = 0; i < 80000; i++)
	printf "u%d,i%d,view,%d\n", i % 5003, (i * 7) % 20011, 1600000000 + i }' >"$T/a.csv"
awk 'BEGIN { print "user_id,item_id,event,timestamp"; for (i = 0; i < 60000; i++)
	printf "u%d,i%d,cart,%d\n", i % 4001, (i * 3) % 10007, 1600000000 + i }' >"$T/b.csv"
"$KITH" ingest -q --events "$T/b.csv" -o "$T/s" || exit 1
sum_b=$(sha256sum <"$T/s/ui.indices.npy")
"$KITH" ingest -q --events "$T/a.csv" -o "$T/s" || exit 1
sum_a=$(sha256sum <"$T/s/ui.indices.npy")
# how long one ingest takes, to spread the kills over it
t0=$(date +%s%N)
"$KITH" ingest -q --events "$T/b.csv" -o "$T/s"
t1=$(date +%s%N)
span=$(( (t1 - t0) / 1000 ))     # microseconds
[ "$span" -gt 0 ] || span=100000
bad=0
i=0
while [ $i -lt 50 ]; do
	i=$((i + 1))
	if [ $((i % 2)) = 0 ]; then f=a.csv; else f=b.csv; fi
	"$KITH" ingest -q --events "$T/$f" -o "$T/s" 2>/dev/null &
	pid=$!
	delay=$(awk -v s="$span" -v r="$i" 'BEGIN { srand(r); printf "%.6f", rand() * s * 1.2 / 1e6 }')
	sleep "$delay"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	if ! "$KITH" info --verify "$T/s" >/dev/null 2>&1; then
		bad=$((bad + 1)); echo "# run $i: store fails verification"
		continue
	fi
	s=$(sha256sum <"$T/s/ui.indices.npy")
	if [ "$s" != "$sum_a" ] && [ "$s" != "$sum_b" ]; then
		bad=$((bad + 1)); echo "# run $i: store is neither old nor new"
	fi
done
ok_if "50 kills: every store verifies and is old or new" "$bad" = 0
# killed writers leave their temporary folders; the next writer of the
# store removes those that no live writer holds (once a few seconds old)
echo "# $(ls -d "$T"/s.tmp-* 2>/dev/null | wc -l) temporary folders left by the kills"
for d in "$T"/s.tmp-*; do
	[ -d "$d" ] && touch -d '1 minute ago' "$d"
done
check "an ingest after the kills" "$KITH" ingest -q --events "$T/a.csv" -o "$T/s"
ok_if "no stale temporary folder is left" -z "$(ls -d "$T"/s.tmp-* 2>/dev/null)"
done_testing
