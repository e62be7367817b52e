#!/bin/sh
# kith eval (ranking): against an independent numpy implementation of the
# LightGCN protocol, with unknown users/items, duplicates and bad rows in
# the test file; several cut-offs; JSON keys; errors.
. "$top_srcdir/tests/cli/lib.sh"
PY=/usr/bin/python3
$PY -c 'import numpy' 2>/dev/null || skip_all "no numpy"

awk 'BEGIN { print "user,item";
	for (u = 0; u < 60; u++) for (j = 0; j <= u % 11; j++)
		printf "u%d,i%d\n", u, (u * 7 + j * 13) % 80 }' >"$T/ev.csv"
check "ingest" $KITH ingest --events "$T/ev.csv" -o "$T/s" -q
# test rows: known pairs (some also in train), an unknown item (twice:
# counted once), an unknown user, a duplicate and a short row
awk 'BEGIN { print "user\titem";
	for (u = 0; u < 60; u += 2) for (j = 0; j < 3; j++)
		printf "u%d\ti%d\n", u, (u * 5 + j * 17 + 3) % 80;
	print "u4\tnew-item"; print "u4\tnew-item"; print "u99\ti1";
	print "u6\ti33"; print "u6\ti33"; print "u8" }' >"$T/test.tsv"
cat >"$T/mkemb.py" <<'PYEOF'
import sys, os, json, numpy as np
s, out, d = sys.argv[1], sys.argv[2], 8
nu = len(open(s + '/users.tsv').readlines()) - 1
ni = len(open(s + '/items.tsv').readlines()) - 1
r = np.random.default_rng(3)
os.makedirs(out, exist_ok=True)
np.save(out + '/users.npy', r.integers(-3, 4, (nu, d)).astype(np.float32))
np.save(out + '/items.npy', r.integers(-3, 4, (ni, d)).astype(np.float32))
json.dump({"format": "kith-emb", "format_version": 1, "dim": d,
           "model": "test", "store": os.path.abspath(s)}, open(out + '/manifest.json', 'w'))
PYEOF
check "make embeddings" $PY "$T/mkemb.py" "$T/s" "$T/e"
check "eval json" $KITH eval "$T/s" "$T/e" --test "$T/test.tsv" -k 5,10 -k 3 --json
cp "$T/.out" "$T/res.json"
cat >"$T/ref.py" <<'PYEOF'
import sys, json, math, numpy as np
s, e, test, res = sys.argv[1:5]
users = [l.rstrip('\n') for l in open(s + '/users.tsv')][1:]
items = [l.rstrip('\n') for l in open(s + '/items.tsv')][1:]
ui = {u: i for i, u in enumerate(users)}; ii = {x: i for i, x in enumerate(items)}
ip = np.load(s + '/ui.indptr.npy'); ix = np.load(s + '/ui.indices.npy')
U = np.load(e + '/users.npy').astype(np.float64); V = np.load(e + '/items.npy').astype(np.float64)
truth, unknown, seen, skipped = {}, {}, set(), 0
rows = [l.rstrip('\n').split('\t') for l in open(test)][1:]
for r in rows:
    if len(r) < 2 or r[0] not in ui: skipped += 1; continue
    if tuple(r[:2]) in seen: skipped += 1; continue
    seen.add(tuple(r[:2])); u = ui[r[0]]
    if r[1] in ii: truth.setdefault(u, set()).add(ii[r[1]])
    else: unknown[u] = unknown.get(u, 0) + 1
evald = sorted(set(truth) | set(unknown))
out = json.load(open(res))
ok = True
for k in (5, 10, 3):
    R = N = P = H = 0.0; rec = set()
    for u in evald:
        sc = U[u] @ V.T
        sc[ix[ip[u]:ip[u + 1]]] = -np.inf
        order = sorted(range(len(items)), key=lambda j: (-sc[j], j))
        top = [j for j in order[:k] if sc[j] > -np.inf]
        t = truth.get(u, set()); tot = len(t) + unknown.get(u, 0)
        hits = [i for i, j in enumerate(top) if j in t]
        rec.update(top)
        R += len(hits) / tot; P += len(hits) / k; H += bool(hits)
        N += sum(1 / math.log2(i + 2) for i in hits) / sum(1 / math.log2(i + 2) for i in range(min(k, tot)))
    n = len(evald)
    want = {'recall@%d' % k: R / n, 'ndcg@%d' % k: N / n, 'precision@%d' % k: P / n,
            'hit@%d' % k: H / n, 'coverage@%d' % k: len(rec) / len(items)}
    for key, v in want.items():
        if abs(out[key] - v) > 1e-9: print(key, out[key], v); ok = False
if out['users_evaluated'] != len(evald): print('users', out['users_evaluated'], len(evald)); ok = False
if out['test_rows_skipped'] != skipped: print('skipped', out['test_rows_skipped'], skipped); ok = False
if out['test_rows'] != len(rows): print('rows'); ok = False
if out['test_items_unknown'] != sum(unknown.values()): print('unknown'); ok = False
sys.exit(0 if ok else 1)
PYEOF
check "metrics equal the numpy reference" $PY "$T/ref.py" "$T/s" "$T/e" "$T/test.tsv" "$T/res.json"
ok_if "unknown user counted" "$(sed -n 's/.*"unknown_user" : \([0-9]*\).*/\1/p' "$T/res.json")" = 1
ok_if "bad row counted" "$(sed -n 's/.*"bad_row" : \([0-9]*\).*/\1/p' "$T/res.json")" = 1
# u6 i33 three times (one from the loop) and new-item twice
ok_if "duplicates counted" "$(sed -n 's/.*"duplicate" : \([0-9]*\).*/\1/p' "$T/res.json")" = 3
ok_if "users_evaluated" "$(json_get "$T/res.json" users_evaluated)" = 30
check "text output" $KITH eval "$T/s" "$T/e" --test "$T/test.tsv"
ok_if "text has recall@20" -n "$(grep '^recall@20 ' "$T/.out")"
check "same result with 1 thread" $KITH eval "$T/s" "$T/e" --test "$T/test.tsv" -k 5,10 -k 3 --json --threads 1
cp "$T/.out" "$T/res1.json"
check "thread count does not change the figures" cmp "$T/res1.json" "$T/res.json"
# --columns: a file with the ids in other columns
awk -F'\t' 'NR > 1 && NF == 2 { print "x\t" $2 "\t" $1 }' "$T/test.tsv" >"$T/cols.tsv"
check "eval --columns _,item,user" $KITH eval "$T/s" "$T/e" --test "$T/cols.tsv" --columns _,item,user -k 5 --json
ok_if "same recall with --columns" "$(json_get "$T/.out" 'recall@5')" = "$(json_get "$T/res.json" 'recall@5')"

check_fails 1 "missing test file" $KITH eval "$T/s" "$T/e" --test "$T/none.tsv"
ok_if "message names the file" -n "$(grep "none.tsv" "$T/.err")"
check_fails 1 "missing embedding folder" $KITH eval "$T/s" "$T/none" --test "$T/test.tsv"
check_fails 2 "bad option" $KITH eval "$T/s" "$T/e" --test "$T/test.tsv" --bogus
check_fails 2 "bad -k" $KITH eval "$T/s" "$T/e" --test "$T/test.tsv" -k 0
check_fails 2 "unknown task" $KITH eval "$T/s" "$T/e" --test "$T/test.tsv" --task cluster
check_fails 2 "missing --test" $KITH eval "$T/s" "$T/e"
check_fails 2 "bad --columns" $KITH eval "$T/s" "$T/e" --test "$T/test.tsv" --columns user,nonsense
done_testing
