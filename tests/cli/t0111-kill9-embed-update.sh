#!/bin/sh
# kill -9 at random moments of `kith embed` (replacing an embedding folder)
# and of `kith update` (replacing a store): afterwards every folder verifies
# and holds either the old or the new result.
. "$top_srcdir/tests/cli/lib.sh"
D="$top_srcdir/datasets/shop-small"
"$KITH" ingest -q --events "$D/events.csv" --social "$D/social.csv" -o "$T/s" || exit 1
"$KITH" embed -q --threads 1 --seed 1 "$T/s" -o "$T/e" || exit 1
sum1=$(sha256sum <"$T/e/users.npy")
"$KITH" embed -q --threads 1 --seed 2 "$T/s" -o "$T/e" || exit 1
sum2=$(sha256sum <"$T/e/users.npy")
t0=$(date +%s%N)
"$KITH" embed -q --threads 1 --seed 1 "$T/s" -o "$T/e"
span=$(( ($(date +%s%N) - t0) / 1000 ))
bad=0
i=0
while [ $i -lt 25 ]; do
	i=$((i + 1))
	"$KITH" embed -q --threads 1 --seed $((i % 2 + 1)) "$T/s" -o "$T/e" 2>/dev/null &
	pid=$!
	sleep "$(awk -v s="$span" -v r="$i" 'BEGIN { srand(r); printf "%.6f", rand() * s * 1.2 / 1e6 }')"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	if ! "$KITH" info --verify "$T/e" >/dev/null 2>&1; then
		bad=$((bad + 1)); echo "# embed run $i: unreadable folder"; continue
	fi
	s=$(sha256sum <"$T/e/users.npy")
	[ "$s" = "$sum1" ] || [ "$s" = "$sum2" ] ||
		{ bad=$((bad + 1)); echo "# embed run $i: neither old nor new"; }
done
ok_if "25 kills of embed: old or new embeddings" "$bad" = 0

# update: a batch of new events on top of the store
head -1 "$D/events.csv" >"$T/batch.csv"
awk -F, 'NR > 1 && NR % 7 == 0 { printf "n%s,%s,%s,%d,%s\n", $1, $2, $3, $4 + 1000, $5 }' \
	"$D/events.csv" >>"$T/batch.csv"
cp -r "$T/s" "$T/s-old"
old=$(sha256sum <"$T/s/ui.indices.npy")
"$KITH" update -q "$T/s" --events "$T/batch.csv" || exit 1
new=$(sha256sum <"$T/s/ui.indices.npy")
ok_if "the batch changes the store" "$old" != "$new"
bad=0
i=0
while [ $i -lt 25 ]; do
	i=$((i + 1))
	rm -rf "$T/s"; cp -r "$T/s-old" "$T/s"
	t0=$(date +%s%N)
	"$KITH" update -q "$T/s" --events "$T/batch.csv" 2>/dev/null &
	pid=$!
	sleep "$(awk -v r="$i" 'BEGIN { srand(r + 100); printf "%.6f", rand() * 0.25 }')"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	if ! "$KITH" info --verify "$T/s" >/dev/null 2>&1; then
		bad=$((bad + 1)); echo "# update run $i: store fails verification"; continue
	fi
	s=$(sha256sum <"$T/s/ui.indices.npy")
	[ "$s" = "$old" ] || [ "$s" = "$new" ] ||
		{ bad=$((bad + 1)); echo "# update run $i: neither old nor new"; }
done
ok_if "25 kills of update: old or new store" "$bad" = 0
done_testing
