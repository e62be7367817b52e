#!/bin/sh
# kith embed --model gcn on Cora (Planetoid split): accuracy, outputs, --from
. "$top_srcdir/tests/cli/lib.sh"
need_shared cora
C=$SHARED/datasets/cora

check "ingest cora" $KITH ingest --social "$C/edges.tsv" \
	--user-features "$C/features.tsv" -o "$T/cora" --quiet
check "gcn with labels" $KITH embed "$T/cora" --model gcn \
	--labels "$C/nodes.tsv" -o "$T/emb" --threads 2 --seed 1 --quiet
for f in users.npy items.npy manifest.json gcn.w1.npy gcn.b1.npy \
	gcn.w2.npy gcn.b2.npy gcn.pred.npy gcn.classes.tsv; do
	ok_if "writes $f" -f "$T/emb/$f"
done
acc=$(json_get "$T/emb/manifest.json" test_accuracy)
ok_if "test accuracy $acc >= 0.79 (paper 0.815)" \
	"$(echo "$acc >= 0.79" | bc)" = 1
ok_if "7 classes listed" "$(wc -l < "$T/emb/gcn.classes.tsv")" = 8
check "eval classify" $KITH eval "$T/cora" "$T/emb" --task classify \
	--labels "$C/nodes.tsv" --json
cp "$T/.out" "$T/eval.json"
eacc=$(json_get "$T/eval.json" accuracy)
ok_if "eval accuracy equals the model's ($eacc = $acc)" \
	"$(echo "($eacc - $acc) < 0.0005 && ($acc - $eacc) < 0.0005" | bc)" = 1

# same seed, same threads: identical embedding; 1 thread: same accuracy
check "gcn again" $KITH embed "$T/cora" --model gcn --labels "$C/nodes.tsv" \
	-o "$T/emb2" --threads 2 --seed 1 --quiet
check "byte-identical users.npy" cmp "$T/emb/users.npy" "$T/emb2/users.npy"
check "gcn one thread" $KITH embed "$T/cora" --model gcn \
	--labels "$C/nodes.tsv" -o "$T/emb1" --threads 1 --seed 1 --quiet
acc1=$(json_get "$T/emb1/manifest.json" test_accuracy)
ok_if "1 vs 2 threads within 0.5 % ($acc1, $acc)" \
	"$(echo "($acc1 - $acc) < 0.005 && ($acc - $acc1) < 0.005" | bc)" = 1

# --from reuses the weights: same embedding and predictions
check "gcn --from" $KITH embed "$T/cora" --model gcn --from "$T/emb" \
	-o "$T/emb3" --quiet
check "--from reproduces users.npy" cmp "$T/emb/users.npy" \
	"$T/emb3/users.npy"
check "--from reproduces predictions" cmp "$T/emb/gcn.pred.npy" \
	"$T/emb3/gcn.pred.npy"
check_fails 2 "--from of another model" $KITH embed "$T/cora" --model sage \
	--from "$T/emb" -o "$T/bad"

# unsupervised: graph auto-encoder
check "gcn auto-encoder" $KITH embed "$T/cora" --model gcn --epochs 100 \
	--dim 16 -o "$T/gae" --quiet
# the last "val_auc" is the kept model's (the curve lists one per epoch)
auc=$(sed -n 's/.*"val_auc"[ ]*:[ ]*\([-0-9.eE+]*\).*/\1/p' \
	"$T/gae/manifest.json" | tail -1)
ok_if "auto-encoder held-out link auc $auc > 0.85 (random 0.5)" \
	"$(echo "$auc > 0.85" | bc)" = 1
done_testing
