#!/bin/sh
# kith eval --task link and --task classify on a social graph of three
# groups, with embeddings that encode the groups.
. "$top_srcdir/tests/cli/lib.sh"
PY=/usr/bin/python3
$PY -c 'import numpy' 2>/dev/null || skip_all "no numpy"

# 3 groups of 20 nodes; node n in group n % 3; edges inside groups
awk 'BEGIN { print "src\tdst";
	for (a = 0; a < 60; a++) for (b = a + 3; b < 60; b += 3)
		if ((a * 31 + b * 17) % 4 != 0) printf "n%d\tn%d\n", a, b }' >"$T/edges.tsv"
# held-out pairs: the other quarter of the in-group pairs, plus an
# unknown node and a self pair
awk 'BEGIN { print "src\tdst";
	for (a = 0; a < 60; a++) for (b = a + 3; b < 60; b += 3)
		if ((a * 31 + b * 17) % 4 == 0) printf "n%d\tn%d\n", a, b;
	print "n1\tghost"; print "n2\tn2" }' >"$T/pairs.tsv"
awk 'BEGIN { print "node\tlabel\tsplit";
	for (n = 0; n < 60; n++) printf "n%d\tgroup%d\t%s\n", n, n % 3,
		n < 18 ? "train" : n < 30 ? "val" : n < 57 ? "test" : "" }' >"$T/labels.tsv"
check "ingest social graph" $KITH ingest --social "$T/edges.tsv" -o "$T/s" -q
cat >"$T/mkemb.py" <<'PYEOF'
import sys, os, json, numpy as np
s, out, model = sys.argv[1], sys.argv[2], sys.argv[3]
users = [l.rstrip('\n') for l in open(s + '/users.tsv')][1:]
r = np.random.default_rng(1)
X = np.zeros((len(users), 4), np.float32)
for i, u in enumerate(users):
    X[i, int(u[1:]) % 3] = 1.0
X += 0.2 * r.standard_normal(X.shape).astype(np.float32)
os.makedirs(out, exist_ok=True)
np.save(out + '/users.npy', X)
np.save(out + '/items.npy', np.zeros((0, 4), np.float32))
m = {"format": "kith-emb", "format_version": 1, "dim": 4, "model": model}
if model == 'gcn':
    # the model's own predictions: right except for nodes 30..35 -> class 0
    pred = np.array([0 if 30 <= int(u[1:]) < 36 else int(u[1:]) % 3 for u in users], np.int32)
    np.save(out + '/gcn.pred.npy', pred)
    m["classes"] = ["group0", "group1", "group2"]
json.dump(m, open(out + '/manifest.json', 'w'))
PYEOF
check "make embeddings" $PY "$T/mkemb.py" "$T/s" "$T/e" sage

check "link AUC" $KITH eval "$T/s" "$T/e" --task link --test "$T/pairs.tsv" --json --seed 3
cp "$T/.out" "$T/link.json"
auc=$(json_get "$T/link.json" auc)
ok_if "AUC of group-encoding embeddings is high ($auc)" "$(awk -v a="$auc" 'BEGIN { print (a > 0.95) }')" = 1
ok_if "unknown and self pairs skipped" "$(json_get "$T/link.json" test_rows_skipped)" = 2
npairs=$(awk -F'\t' 'NR > 1 && $2 != "ghost" && $1 != $2' "$T/pairs.tsv" | wc -l)
ok_if "every held-out pair scored" "$(json_get "$T/link.json" test_pairs)" = "$npairs"
ok_if "as many negatives" "$(json_get "$T/link.json" negatives)" = "$npairs"
check "same seed, same AUC" $KITH eval "$T/s" "$T/e" --task link --test "$T/pairs.tsv" --json --seed 3
ok_if "deterministic" "$(json_get "$T/.out" auc)" = "$auc"
# random embeddings: AUC near 1/2
$PY -c "
import numpy as np, json, os
os.makedirs('$T/r', exist_ok=True)
np.save('$T/r/users.npy', np.random.default_rng(7).standard_normal((60, 16)).astype(np.float32))
np.save('$T/r/items.npy', np.zeros((0, 16), np.float32))
json.dump({'format': 'kith-emb', 'dim': 16}, open('$T/r/manifest.json', 'w'))"
check "link AUC of random embeddings" $KITH eval "$T/s" "$T/r" --task link --test "$T/pairs.tsv" --json
auc=$(json_get "$T/.out" auc)
ok_if "random AUC near 0.5 ($auc)" "$(awk -v a="$auc" 'BEGIN { print (a > 0.3 && a < 0.7) }')" = 1

check "classify with logistic regression" $KITH eval "$T/s" "$T/e" --task classify --labels "$T/labels.tsv" --json
cp "$T/.out" "$T/cls.json"
ok_if "classifier is logreg" -n "$(grep '"classifier" : "logreg"' "$T/cls.json")"
acc=$(json_get "$T/cls.json" accuracy)
ok_if "accuracy high ($acc)" "$(awk -v a="$acc" 'BEGIN { print (a >= 0.95) }')" = 1
ok_if "27 test nodes" "$(json_get "$T/cls.json" n_test)" = 27
ok_if "macro_f1 present" -n "$(json_get "$T/cls.json" macro_f1)"

check "make gcn-like folder" $PY "$T/mkemb.py" "$T/s" "$T/g" gcn
check "classify with the model's predictions" $KITH eval "$T/s" "$T/g" --task classify --labels "$T/labels.tsv" --json
cp "$T/.out" "$T/gcn.json"
ok_if "classifier is model" -n "$(grep '"classifier" : "model"' "$T/gcn.json")"
# test nodes 30..56: 30..35 predicted group0; 30 and 33 are group0
# themselves, so 4 of 27 are wrong
check "accuracy and macro-F1 of the predictions" $PY -c "
import json; r = json.load(open('$T/gcn.json'))
assert abs(r['accuracy'] - 23 / 27) < 1e-12, r['accuracy']
# per class: group0 tp 9 fp 4 fn 0; group1 tp 7 fn 2; group2 tp 7 fn 2
f1 = [18 / 22, 14 / 16, 14 / 16]
assert abs(r['macro_f1'] - sum(f1) / 3) < 1e-12, r['macro_f1']
assert r['confusion'] == [[9, 0, 0], [2, 7, 0], [2, 0, 7]], r['confusion']
"
check "text output of classify" $KITH eval "$T/s" "$T/g" --task classify --labels "$T/labels.tsv"
ok_if "text has accuracy" -n "$(grep '^accuracy ' "$T/.out")"

check_fails 2 "classify without --labels" $KITH eval "$T/s" "$T/e" --task classify
check_fails 1 "missing labels file" $KITH eval "$T/s" "$T/e" --task classify --labels "$T/none.tsv"
check_fails 1 "missing pairs file" $KITH eval "$T/s" "$T/e" --task link --test "$T/none.tsv"
done_testing
