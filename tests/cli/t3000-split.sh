#!/bin/sh
# kith split: per-user random and time splits of a tiny store, checked
# against the original pairs with numpy; errors and exit codes.
. "$top_srcdir/tests/cli/lib.sh"
PY=/usr/bin/python3

# 40 users; user u has (u % 9) + 1 items, item ids and times from u
awk 'BEGIN { print "user,item,ts";
	for (u = 0; u < 40; u++) for (j = 0; j <= u % 9; j++)
		printf "u%d,i%d,%d\n", u, (u * 7 + j * 13) % 50, 1700000000 + u * 100 + j * 10 }' >"$T/ev.csv"
check "ingest tiny store" $KITH ingest --events "$T/ev.csv" -o "$T/s" -q
check "random split" $KITH split "$T/s" --test-ratio 0.3 --seed 5 -o "$T/tr" --test "$T/te.tsv" -q
ok_if "test file has the header" "$(head -1 "$T/te.tsv")" = "$(printf 'user\titem')"
check "split again with the same seed" $KITH split "$T/s" --test-ratio 0.3 --seed 5 -o "$T/tr2" --test "$T/te2.tsv" -q
check "same seed gives the same test file" cmp "$T/te.tsv" "$T/te2.tsv"
check "another seed" $KITH split "$T/s" --test-ratio 0.3 --seed 6 -o "$T/tr3" --test "$T/te3.tsv" -q
check_fails 1 "another seed gives another split" cmp -s "$T/te.tsv" "$T/te3.tsv"
check "train store verifies" $KITH info --verify "$T/tr"
check "time split" $KITH split "$T/s" --by time --test-ratio 0.3 -o "$T/tt" --test "$T/tt.tsv" --val-ratio 0.2 --val "$T/tv.tsv" -q

if $PY -c 'import numpy' 2>/dev/null; then
cat >"$T/check.py" <<'PYEOF'
import sys, numpy as np
def store(p):
    ip = np.load(p + '/ui.indptr.npy'); ix = np.load(p + '/ui.indices.npy')
    users = [l.rstrip('\n') for l in open(p + '/users.tsv')][1:]
    items = [l.rstrip('\n') for l in open(p + '/items.tsv')][1:]
    pairs = {(users[u], items[i]) for u in range(len(ip) - 1) for i in ix[ip[u]:ip[u + 1]]}
    return users, items, pairs
def tsv(p):
    rows = [l.rstrip('\n').split('\t') for l in open(p)]
    assert rows[0] == ['user', 'item'], rows[0]
    return [tuple(r) for r in rows[1:]]
src, train, test = sys.argv[1], sys.argv[2], sys.argv[3]
us, its, full = store(src)
ut, itt, tr = store(train)
assert us == ut and its == itt, 'ids changed'
te = tsv(test)
assert len(te) == len(set(te)), 'duplicate test rows'
te = set(te)
val = set(tsv(sys.argv[4])) if len(sys.argv) > 4 else set()
assert not (tr & te) and not (tr & val) and not (te & val), 'overlap'
assert tr | te | val == full, 'union differs'
from collections import Counter
deg = Counter(u for u, _ in full); trd = Counter(u for u, _ in tr)
for u, d in deg.items():
    assert trd[u] >= 1, 'user lost all training items'
    if d == 1: assert trd[u] == 1
share = len(te) / len(full)
assert 0.2 < share < 0.4, share
if len(sys.argv) > 5:   # time split: held items are each user's latest
    ts = {}
    for l in open(sys.argv[5]).readlines()[1:]:
        u, i, t = l.strip().split(','); ts[(u, i)] = int(t)
    for u in deg:
        held = [ts[p] for p in te if p[0] == u]
        kept = [ts[p] for p in full - te if p[0] == u]
        if held: assert min(held) > max(kept), u
print('ok')
PYEOF
check "random split partitions the pairs" $PY "$T/check.py" "$T/s" "$T/tr" "$T/te.tsv"
check "time split holds the latest, val disjoint" $PY "$T/check.py" "$T/s" "$T/tt" "$T/tt.tsv" "$T/tv.tsv" "$T/ev.csv"
fi

ok_if "interactions of train + test = store" \
	"$(( $($KITH info "$T/tr" | awk '/^interactions/ {print $2}') + $(wc -l <"$T/te.tsv") - 1 ))" = \
	"$($KITH info "$T/s" | awk '/^interactions/ {print $2}')"
check_fails 1 "missing store" $KITH split "$T/nope" -o "$T/x" --test "$T/x.tsv"
ok_if "message names the store" -n "$(grep "nope" "$T/.err")"
check_fails 2 "bad option" $KITH split "$T/s" --bogus
check_fails 2 "ratio out of range" $KITH split "$T/s" --test-ratio 1.5 -o "$T/x" --test "$T/x.tsv"
check_fails 2 "unknown --by" $KITH split "$T/s" --by month -o "$T/x" --test "$T/x.tsv"
check_fails 2 "missing --test" $KITH split "$T/s" -o "$T/x"
awk 'BEGIN { print "user,item"; print "a,b"; print "a,c" }' >"$T/nots.csv"
check "ingest store without time" $KITH ingest --events "$T/nots.csv" -o "$T/nots" -q
check_fails 1 "time split needs timestamps" $KITH split "$T/nots" --by time -o "$T/x" --test "$T/x.tsv"
done_testing
