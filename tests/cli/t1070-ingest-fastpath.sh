#!/bin/sh
# The fast paths of kith ingest give the bytes of the plain ones: the
# 64-byte field scanner of the parallel reader (fields and line ends on
# both sides of a 64-byte window, ids longer than a window, quotes, NUL,
# lone CR, UTF-8 and invalid bytes at window edges, a file whose last
# lines are shorter than a window, tab separators) against the serial
# reader; a store big enough for the parallel transpose and the O_DIRECT
# writers is the same with 1 and 2 threads, verifies, and loads in numpy
# with the shapes and sums of a naive reference.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/ingest-lib.sh"


same() {
	cmp -s "$T/$1.rc" "$T/$2.rc" && cmp -s "$T/$1.sum" "$T/$2.sum" &&
	cmp -s "$T/$1.store" "$T/$2.store" &&
	cmp -s "$T/$1.err" "$T/$2.err" && echo same
}

# gen KIND N SEP: ids of every length from 1 to ~150 bytes, so that the
# separators and line ends fall at every offset of a 64-byte window
gen() {
	awk -v kind="$1" -v n="$2" -v sep="$3" 'BEGIN {
		srand(11);
		pad = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
		pad = pad pad pad;
		print "user" sep "item" sep "event" sep "ts" sep "value";
		for (i = 1; i <= n; i++) {
			u = int(rand() * 400);
			us = (i % 7 == 0) ? substr(pad, 1, i % 150) u : u;
			it = (i % 5 == 0) ? "it" substr(pad, 1, i % 70) : int(rand() * 90);
			if (i % 11 == 0) us = "\303\251" us "\342\202\254";
			ts = 1700000000 + int(rand() * 100000);
			v = int(rand() * 100000) / 100;
			line = us sep it sep (i % 3 ? "view" : "cart") sep ts sep v;
			if (kind == "dirty" && i % 97 == 0) {
				b = int(i / 97) % 6;
				if (b == 0) line = "\"" us "\"" sep it sep "view" sep ts sep "1";
				if (b == 1) line = us "\001" sep it sep "view" sep ts sep "1";
				if (b == 2) line = us sep it sep "view" sep ts sep "1\rx";
				if (b == 3) line = "\377" us sep it sep "view" sep ts sep "1";
				if (b == 4) line = us sep it sep "view" sep ts;
				if (b == 5) line = us sep it sep "view" sep "x" ts sep "1";
			}
			print line;
		}
		# the last lines shorter than a 64-byte window
		print "1" sep "2" sep "view" sep "1700000000" sep "1";
		print "3" sep "4" sep "cart" sep "1700000001" sep "2";
	}'
}

gen clean 4000 , >"$T/clean.csv"
gen clean 4000 '	' >"$T/tab.tsv"
gen dirty 4000 , >"$T/dirty.csv"
# a NUL byte in a field
sed '1500s/^\([0-9]*\)/\1@/' "$T/clean.csv" | tr '@' '\000' >"$T/nul.csv"
ok_if "generated files" "$(wc -l <"$T/clean.csv")" -gt 4000

for f in clean.csv tab.tsv nul.csv; do
	run "$f-s" -q --events "$T/$f" --chunk-bytes -1
	for cb in 0 61 64 1000; do
		run "$f-$cb" -q --threads 2 --events "$T/$f" --chunk-bytes $cb
		ok_if "$f: chunks of $cb bytes: same as serial" \
		      "$(same "$f-s" "$f-$cb")" = same
	done
done
ok_if "clean.csv: accepted" "$(cat "$T/clean.csv-s.rc")" = 0
ok_if "nul.csv: has a NUL byte" "$(tr -cd '\000' <"$T/nul.csv" | wc -c)" = 1
ok_if "nul.csv: the NUL row stops it" "$(cat "$T/nul.csv-s.rc")" = 1
run dirty-s -q --on-error skip --events "$T/dirty.csv" --chunk-bytes -1
ok_if "dirty.csv, skip: rows rejected" \
      "$(wc -l <"$T/dirty-s/rejects.tsv")" -gt 20
for cb in 0 200; do
	run "dirty-$cb" -q --threads 2 --on-error skip --events "$T/dirty.csv" \
	    --chunk-bytes $cb
	ok_if "dirty.csv, skip, chunks of $cb: same as serial" \
	      "$(same dirty-s "dirty-$cb")" = same
done

# 400000 events, ~330000 pairs: parallel transpose, O_DIRECT arrays
awk 'BEGIN { srand(3); print "user_id,item_id,event,timestamp,price";
	for (i = 0; i < 400000; i++)
		printf "%d,%d,%s,%d,%d.%02d\n", int(rand() * rand() * 20000),
		       int(rand() * 3000), (rand() < 0.8 ? "view" : "purchase"),
		       1700000000 + int(rand() * 1000000), int(rand() * 500),
		       int(rand() * 100) }' >"$T/big.csv"
run big1 -q --threads 1 --events "$T/big.csv"
run big2 -q --threads 2 --events "$T/big.csv"
ok_if "big: ingest succeeds" "$(cat "$T/big2.rc")" = 0
ok_if "big: 1 and 2 threads give the same store" "$(same big1 big2)" = same
check "big: store verifies" "$KITH" info --verify "$T/big2"
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
	check "big: numpy agrees with a naive reference" /usr/bin/python3 - "$T/big.csv" "$T/big2" <<'EOF'
import csv, sys
import numpy as np
path, store = sys.argv[1], sys.argv[2]
L = lambda n: np.load(f"{store}/{n}.npy")
pairs = {}
users, items = {}, {}
with open(path) as f:
    rd = csv.reader(f)
    next(rd)
    for u, i, e, t, p in rd:
        uu = users.setdefault(u, len(users))
        ii = items.setdefault(i, len(items))
        w = 1.0 if e == "view" else 5.0
        c = pairs.setdefault((uu, ii), [0, 0.0])
        c[0] += 1
        c[1] += w
ip, ix, wt, cnt = L("ui.indptr"), L("ui.indices"), L("ui.weight"), L("ui.count")
assert len(ip) == len(users) + 1 and ix.size == len(pairs), (len(ip), ix.size)
got = {}
for u in range(len(users)):
    for k in range(ip[u], ip[u + 1]):
        got[(u, int(ix[k]))] = (int(cnt[k]), float(wt[k]))
for key, (n, w) in pairs.items():
    assert got[key][0] == n and abs(got[key][1] - w) < 1e-3, (key, got[key], n, w)
# item->user is the transpose, rows sorted
jp, jx, jw = L("iu.indptr"), L("iu.indices"), L("iu.weight")
assert jx.size == ix.size
for i in range(0, len(items), 7):
    row = jx[jp[i]:jp[i + 1]]
    assert np.all(np.diff(row) > 0)
    for u, w in zip(row, jw[jp[i]:jp[i + 1]]):
        assert abs(got[(int(u), i)][1] - w) < 1e-3
assert L("ev.user").size == 400000 and L("ev.type").dtype == np.uint8
EOF
fi
done_testing
