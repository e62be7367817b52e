#!/bin/sh
# kith embed --model sage: training, inductive --from on a newer store,
# usage errors
. "$top_srcdir/tests/cli/lib.sh"
need_shared lastfm-2k
L=$SHARED/datasets/lastfm-2k

# an older store (first 30000 events, users 1..1500) and the full one
head -n 30000 "$L/data1.txt" > "$T/old.txt"
awk '$1 <= 1500 && $2 <= 1500' "$L/trustnetwork.txt" > "$T/old-social.txt"
check "ingest old" $KITH ingest --events "$T/old.txt" --columns user,item,_ \
	--social "$T/old-social.txt" -o "$T/old" --quiet
check "ingest new" $KITH ingest --events "$L/data1.txt" \
	--columns user,item,_ --social "$L/trustnetwork.txt" -o "$T/new" --quiet

check_fails 2 "bad aggregator" $KITH embed "$T/old" --model sage \
	--aggregator max -o "$T/x"
check_fails 2 "bad fanout" $KITH embed "$T/old" --model sage \
	--fanout 25 -o "$T/x"

check "sage mean" $KITH embed "$T/old" --model sage --epochs 15 --dim 32 \
	--fanout 10,5 -o "$T/emb" --threads 2 --quiet
ok_if "writes sage.params.npy" -f "$T/emb/sage.params.npy"
python=/usr/bin/python3
if $python -c 'import numpy' 2>/dev/null; then
	check "shapes and unit rows" $python - "$T/old" "$T/emb" <<'PY'
import sys, json, numpy as np
store, emb = sys.argv[1], sys.argv[2]
m = json.load(open(store + "/manifest.json"))["counts"]
U = np.load(emb + "/users.npy"); V = np.load(emb + "/items.npy")
assert U.shape == (m["users"], 32) and V.shape == (m["items"], 32), (U.shape, V.shape)
n = np.linalg.norm(np.vstack([U, V]), axis=1)
assert np.all(np.abs(n - 1) < 1e-3), n[:5]
PY
fi
# the newer store has more users and items: embedded without training
check "sage --from on a newer store" $KITH embed "$T/new" --model sage \
	--from "$T/emb" -o "$T/emb2" --quiet
if $python -c 'import numpy' 2>/dev/null; then
	check "every node of the new store embedded" $python - "$T/new" \
		"$T/emb2" <<'PY'
import sys, json, numpy as np
store, emb = sys.argv[1], sys.argv[2]
m = json.load(open(store + "/manifest.json"))["counts"]
U = np.load(emb + "/users.npy"); V = np.load(emb + "/items.npy")
assert U.shape == (m["users"], 32) and V.shape == (m["items"], 32)
assert np.all(np.isfinite(U)) and np.all(np.isfinite(V))
assert np.all(np.abs(np.linalg.norm(U, axis=1) - 1) < 1e-3)
PY
fi
check "sage pool" $KITH embed "$T/old" --model sage --aggregator pool \
	--epochs 5 --dim 16 -o "$T/emb3" --quiet
ok_if "manifest says pool" -n "$(grep '"aggregator" : "pool"' \
	"$T/emb3/manifest.json")"
done_testing
