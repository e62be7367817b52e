#!/bin/sh
# kith export EMB --format serving: the folder holds the vectors, their
# ids and each user's seen items, listed with checksums; the faiss recipe
# of README.md and the one of the folder's README give the top 10 of kith
# recommend for every user (lists may differ only between items whose
# scores are equal within 1e-6).
. "$top_srcdir/tests/cli/lib.sh"
PY=/usr/bin/python3
$PY -c 'import numpy, faiss' 2>/dev/null || skip_all "no numpy or faiss"

check "synth" "$KITH" synth -o "$T/shop" --users 600 --items 150 \
	--categories 6 --communities 4 --seed 5
check "ingest" "$KITH" ingest -q --events "$T/shop/events.csv" \
	--items "$T/shop/items.csv" -o "$T/s"
check "embed" "$KITH" embed "$T/s" -o "$T/emb" --dim 16 --epochs 4 -q
check "recommend" "$KITH" recommend "$T/s" "$T/emb" -k 10 -o "$T/recs.tsv" -q
check "serving export" "$KITH" export "$T/emb" --format serving \
	-o "$T/serve"
for f in users.npy items.npy users.tsv items.tsv seen.indptr.npy \
	seen.indices.npy README manifest.json; do
	ok_if "$f written" -s "$T/serve/$f"
done
check "checksums verify" "$KITH" info --verify "$T/serve"
ok_if "users.tsv is the store's" -z "$(cmp "$T/s/users.tsv" "$T/serve/users.tsv" 2>&1)"
ok_if "items.tsv is the store's" -z "$(cmp "$T/s/items.tsv" "$T/serve/items.tsv" 2>&1)"
ok_if "seen items are the store's interactions" \
	-z "$(cmp "$T/s/ui.indices.npy" "$T/serve/seen.indices.npy" 2>&1)"

# the recipe of README.md, then the one of the folder's README
sed -n '/^<!-- serving recipe/,/^```$/p' "$top_srcdir/README.md" |
	sed '1,2d;$d' >"$T/recipe-readme.py"
ok_if "README.md recipe is five lines" "$(wc -l <"$T/recipe-readme.py")" = 5
sed -n '/^With faiss/,$p' "$T/serve/README" | sed -n 's/^  //p' \
	>"$T/recipe-folder.py"
ok_if "folder recipe found" -s "$T/recipe-folder.py"
cat >"$T/compare.py" <<'PYEOF'
import sys, os, numpy as np
T, recipe, where = sys.argv[1:4]
os.chdir(where)
ns = {}
exec(open(recipe).read(), ns)
top = ns['top']
users = [l.rstrip('\n') for l in open(T + '/serve/users.tsv')][1:]
items = [l.rstrip('\n') for l in open(T + '/serve/items.tsv')][1:]
irow = {i: j for j, i in enumerate(items)}
U = np.load(T + '/serve/users.npy').astype(np.float64)
V = np.load(T + '/serve/items.npy').astype(np.float64)
kith = {}
for l in open(T + '/recs.tsv').read().split('\n')[1:-1]:
    u, rank, i, score = l.split('\t')
    kith.setdefault(u, []).append(irow[i])
same = tied = 0
for u, name in enumerate(users):
    want, got = kith.get(name, []), top(u)
    assert len(want) == len(got), (name, want, got)
    if want == got:
        same += 1
        continue
    s = U[u] @ V.T
    for a, b in zip(want, got):
        assert abs(s[a] - s[b]) <= 1e-6 * max(1.0, abs(s[a])), \
            (name, want, got, s[want], s[got])
    tied += 1
print('# %d users: %d identical lists, %d differing only in ties'
      % (len(users), same, tied))
assert same >= 0.95 * len(users)
PYEOF
check "README.md recipe = kith recommend" $PY "$T/compare.py" "$T" \
	"$T/recipe-readme.py" "$T"
grep '^#' "$T/.out"
check "folder README recipe = kith recommend" $PY "$T/compare.py" "$T" \
	"$T/recipe-folder.py" "$T/serve"

check_fails 2 "standard output refused" "$KITH" export "$T/emb" \
	--format serving -o -
check_fails 2 "--what is not for serving" "$KITH" export "$T/emb" \
	--format serving --what users -o "$T/x"
check "a GCN folder without items" "$KITH" embed "$T/s" --model gcn \
	-o "$T/gcn" --epochs 2 -q
check_fails 1 "serving needs item vectors" "$KITH" export "$T/gcn" \
	--format serving -o "$T/x"
ok_if "nothing written" ! -e "$T/x"
done_testing
