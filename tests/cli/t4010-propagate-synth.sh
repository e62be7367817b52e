#!/bin/sh
# kith propagate on a synthetic shop: output layout, the --json keys of
# the evaluation, determinism, graph choices, usage errors, and (with
# numpy) the recovery of the planted community preferences.
. "$top_srcdir/tests/cli/lib.sh"

check "synth" "$KITH" synth -o "$T/shop" --users 3000 --items 600 \
	--categories 10 --communities 5 --mixing 0.3 --seed 11
check "ingest" "$KITH" ingest --events "$T/shop/events.csv" \
	--social "$T/shop/social.csv" --users "$T/shop/users.csv" \
	--items "$T/shop/items.csv" -o "$T/s"
check "propagate (social by default)" "$KITH" propagate "$T/s" -o "$T/r" --json
ok_if "converged" -n "$(grep '"converged": true' "$T/.out")"
ok_if "graph is social" -n "$(grep '"graph" : "social"' "$T/r/manifest.json")"
ok_if "prefs.tsv has one row per user" "$(wc -l < "$T/r/prefs.tsv")" = 3001
ok_if "prefs.tsv header" "$(head -1 "$T/r/prefs.tsv")" = "$(printf 'user\ttop1\ttop2\ttop3\tconfidence\town_share\tneighbour_share')"
ok_if "prefs.tsv is private" "$(stat -c %a "$T/r/prefs.tsv")" = 600
ok_if "shares add to 1" "$(awk -F'\t' 'NR > 1 && $6 != "" && ($6 + $7 < 0.9999 || $6 + $7 > 1.0001)' "$T/r/prefs.tsv" 2>&1 | wc -l)" = 0
ok_if "confidence in [0, 1]" "$(awk -F'\t' 'NR > 1 && ($5 < 0 || $5 > 1)' "$T/r/prefs.tsv" 2>&1 | wc -l)" = 0

check "evaluation" "$KITH" propagate "$T/s" -o "$T/r1" --eval-holdout 0.2 --seed 5 --json
cp "$T/.out" "$T/eval1.json"
ok_if "exactly the six keys" "$(grep -c '": ' "$T/eval1.json")" = 6
for k in 'ndcg@3' 'accuracy@1' 'baseline_popularity_ndcg@3' 'baseline_popularity_accuracy@1' 'baseline_own_ndcg@3' 'users_held_out'; do
	ok_if "key $k" -n "$(grep "\"$k\": " "$T/eval1.json")"
done
ok_if "20 % of 3000 users held out" "$(json_get "$T/eval1.json" users_held_out)" = 600
n=$(json_get "$T/eval1.json" 'ndcg@3')
p=$(json_get "$T/eval1.json" 'baseline_popularity_ndcg@3')
o=$(json_get "$T/eval1.json" 'baseline_own_ndcg@3')
ok_if "kith beats popularity by 15 % ($n vs $p)" "$(awk "BEGIN {print (${n:-0} >= 1.15 * ${p:-1})}")" = 1
ok_if "kith beats own history ($n vs $o)" "$(awk "BEGIN {print (${n:-0} > ${o:-1})}")" = 1
ok_if "eval in the manifest" -n "$(grep '"baseline_own_ndcg@3"' "$T/r1/manifest.json")"
check "same seed, one thread" "$KITH" propagate "$T/s" -o "$T/r2" --eval-holdout 0.2 --seed 5 --json --threads 1
ok_if "same evaluation for the same seed and any thread count" -z "$(diff "$T/eval1.json" "$T/.out" 2>&1)"
ok_if "same prefs.npy for any thread count" -z "$(cmp "$T/r1/prefs.npy" "$T/r2/prefs.npy" 2>&1)"
check "another seed" "$KITH" propagate "$T/s" -o "$T/r3" --eval-holdout 0.2 --seed 6 --json
ok_if "another seed holds out other users" -n "$(diff "$T/eval1.json" "$T/.out")"

check "cointeraction graph" "$KITH" propagate "$T/s" -o "$T/rc" --graph cointeraction --json
check "weighted mix" "$KITH" propagate "$T/s" -o "$T/rm" --graph social:2,cointeraction:1
ok_if "mix recorded" -n "$(grep '"graph" : "social:2,cointeraction:1"' "$T/rm/manifest.json")"
check "alpha 0 keeps own history" "$KITH" propagate "$T/s" -o "$T/r0" --alpha 0
ok_if "alpha 0: own share is 1" "$(awk -F'\t' 'NR > 1 && $6 != "" && $6 != 1' "$T/r0/prefs.tsv" 2>&1 | wc -l)" = 0

if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
	check "profile" "$KITH" profile "$T/s" -o "$T/p"
	cat > "$T/recover.py" <<'PY'
import csv, sys
import numpy as np
store, prefs, own, truth = sys.argv[1:5]
users = [l.rstrip("\n").split("\t")[0] for l in open(store + "/users.tsv")][1:]
cats = [l.rstrip("\n").split("\t")[0] for l in open(store + "/categories.tsv")][1:]
comm = {r["user"]: int(r["community"]) for r in
        csv.DictReader(open(truth + "/communities.tsv"), delimiter="\t")}
ci = {c: i for i, c in enumerate(cats)}
K = max(comm.values()) + 1
pv = np.zeros((K, len(cats)))
for r in csv.DictReader(open(truth + "/preferences.tsv"), delimiter="\t"):
    pv[int(r["community"]), ci[r["category"]]] = float(r["weight"])
lab = np.array([comm.get(u, -1) for u in users])
def score(P):
    cos = lambda a, b: a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-30)
    per_user = np.mean([cos(P[i], pv[lab[i]]) for i in range(len(users)) if lab[i] >= 0])
    comm_mean = np.mean([cos(P[lab == c].mean(0), pv[c]) for c in range(K)])
    return per_user, comm_mean
pu, cm = score(np.load(prefs))
ou, om = score(np.load(own))
print("%.4f %.4f %.4f %.4f" % (pu, cm, ou, om))
PY
	check "recovery of planted preferences" /usr/bin/python3 "$T/recover.py" "$T/s" "$T/r/prefs.npy" "$T/p/catprefs.npy" "$T/shop/truth"
	set -- $(cat "$T/.out") x x x x
	echo "# planted preference recovery: per-user cosine propagated $1, own history $3; community-mean cosine propagated $2, own $4"
	ok_if "propagation recovers a user's community taste better than its own history ($1 vs $3)" "$(awk "BEGIN {print ($1 > $3 + 0.03)}")" = 1
	ok_if "community means are close to the planted vectors ($2)" "$(awk "BEGIN {print ($2 > 0.9)}")" = 1
fi

check_fails 2 "knn needs --emb" "$KITH" propagate "$T/s" -o "$T/x" --graph knn
check_fails 2 "unknown graph" "$KITH" propagate "$T/s" -o "$T/x" --graph friends
check_fails 2 "bad alpha" "$KITH" propagate "$T/s" -o "$T/x" --alpha 1
check_fails 2 "bad holdout" "$KITH" propagate "$T/s" -o "$T/x" --eval-holdout 1.5
check_fails 2 "bad relevance" "$KITH" propagate "$T/s" -o "$T/x" --eval-holdout 0.2 --eval-relevance bogus
check_fails 2 "no -o" "$KITH" propagate "$T/s"
check_fails 1 "missing store" "$KITH" propagate "$T/none" -o "$T/x"
ok_if "failed runs leave no folder" ! -e "$T/x"
done_testing
