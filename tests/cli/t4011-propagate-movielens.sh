#!/bin/sh
# kith propagate on MovieLens-100K (genres as categories): the hold-out
# evaluation against the popularity and own-history baselines, with the
# cointeraction graph and with a kNN graph of embeddings (a truncated SVD
# made with numpy here, to keep the test fast; kith embed's LightGCN
# gives similar figures, see kith-propagate(1)).
. "$top_srcdir/tests/cli/lib.sh"
need_shared movielens-100k/u.data
D=$SHARED/datasets/movielens-100k

check "ingest" "$KITH" ingest --preset movielens --events "$D/u.data" \
	--users "$D/u.user" --items "$D/u.item" -o "$T/ml"

# evaluate GRAPH RELEVANCE [extra args]: leaves n, p, o in the shell
evaluate() {
	_g=$1 _r=$2; shift 2
	check "propagate --graph $_g, $_r relevance" "$KITH" propagate "$T/ml" \
		-o "$T/r" --graph "$_g" --eval-holdout 0.2 --seed 1 \
		--eval-relevance "$_r" --json "$@"
	n=$(json_get "$T/.out" 'ndcg@3')
	p=$(json_get "$T/.out" 'baseline_popularity_ndcg@3')
	o=$(json_get "$T/.out" 'baseline_own_ndcg@3')
	echo "# $_g $_r: ndcg@3 $n, popularity $p, own $o"
	ok_if "189 users held out" "$(json_get "$T/.out" users_held_out)" = 189
}

evaluate cointeraction share
ok_if "share: kith above popularity ($n vs $p)" "$(awk "BEGIN {print (${n:-0} > 1.02 * ${p:-1})}")" = 1
ok_if "share: kith above own history ($n vs $o)" "$(awk "BEGIN {print (${n:-0} > ${o:-1})}")" = 1
evaluate cointeraction lift
ok_if "lift: kith 15 % above popularity ($n vs $p)" "$(awk "BEGIN {print (${n:-0} >= 1.15 * ${p:-1})}")" = 1
check "full run is fast" "$KITH" propagate "$T/ml" -o "$T/r2" --graph cointeraction --json
ok_if "under 2 s ($(json_get "$T/.out" seconds) s)" "$(awk "BEGIN {print ($(json_get "$T/.out" seconds) < 2)}")" = 1

if /usr/bin/python3 -c 'import numpy, scipy' 2>/dev/null; then
	cat > "$T/svd.py" <<'PY'
import json, os, sys
import numpy as np, scipy.sparse as sp, scipy.sparse.linalg as sla
S, OUT = sys.argv[1], sys.argv[2]
ind, idx = np.load(S + "/ui.indptr.npy"), np.load(S + "/ui.indices.npy")
n, m = len(ind) - 1, len(np.load(S + "/iu.indptr.npy")) - 1
R = sp.csr_matrix((np.ones(len(idx)), idx, ind), shape=(n, m))
du, di = np.maximum(R.sum(1).A1, 1), np.maximum(R.sum(0).A1, 1)
U, s, Vt = sla.svds(sp.diags(du ** -0.5) @ R @ sp.diags(di ** -0.5), k=64, random_state=0)
os.makedirs(OUT)
np.save(OUT + "/users.npy", np.ascontiguousarray(U * np.sqrt(s), dtype=np.float32))
np.save(OUT + "/items.npy", np.ascontiguousarray(Vt.T * np.sqrt(s), dtype=np.float32))
json.dump({"format": "kith-emb", "format_version": 1, "dim": 64,
           "n_users": n, "n_items": m, "model": "svd"}, open(OUT + "/manifest.json", "w"))
PY
	check "svd embedding" /usr/bin/python3 "$T/svd.py" "$T/ml" "$T/emb"
	evaluate knn lift --emb "$T/emb"
	ok_if "knn lift: kith 15 % above popularity ($n vs $p)" "$(awk "BEGIN {print (${n:-0} >= 1.15 * ${p:-1})}")" = 1
	evaluate knn share --emb "$T/emb"
	ok_if "knn share: kith above popularity ($n vs $p)" "$(awk "BEGIN {print (${n:-0} > 1.02 * ${p:-1})}")" = 1
	check "knn graph from the embedding by default" "$KITH" propagate "$T/ml" --emb "$T/emb" -o "$T/r3"
	ok_if "default graph is knn" -n "$(grep '"graph" : "knn"' "$T/r3/manifest.json")"
fi
done_testing
