#!/bin/sh
# Acceptance on LastFM 2K: the default (auto, which picks lightgcn here on
# validation) reaches the LightGCN reference (Recall@20 0.2754, NDCG@20
# 0.2134; see ../shared/datasets/REFERENCE.md).
. "$top_srcdir/tests/cli/lib.sh"
need_shared lastfm-2k
L=$SHARED/datasets/lastfm-2k
check "ingest" "$KITH" ingest -q --events "$L/data1.txt" --columns user,item,_ \
	--social "$L/trustnetwork.txt" -o "$T/fm"
check "embed with the defaults" "$KITH" embed -q "$T/fm" -o "$T/emb"
check "eval" "$KITH" eval "$T/fm" "$T/emb" --test "$L/test1.txt" \
	--columns user,item,_ -k 20 --json
r=$(json_get "$T/.out" 'recall@20')
n=$(json_get "$T/.out" 'ndcg@20')
ok_if "recall@20 $r >= 0.2754" "$(awk -v a="$r" 'BEGIN { print (a >= 0.2754) }')" = 1
ok_if "ndcg@20 $n >= 0.2134" "$(awk -v a="$n" 'BEGIN { print (a >= 0.2134) }')" = 1
# the default model gives the same bytes for any thread count (any CPU:
# no BLAS product reaches the model, see man kith-embed)
check "embed, 1 thread" "$KITH" embed -q "$T/fm" -o "$T/emb1" --threads 1
check "embed, 3 threads" "$KITH" embed -q "$T/fm" -o "$T/emb3" --threads 3
for f in users.npy items.npy; do
	check "1 thread vs all cores: same $f" cmp "$T/emb/$f" "$T/emb1/$f"
	check "1 vs 3 threads: same $f" cmp "$T/emb1/$f" "$T/emb3/$f"
done
done_testing
