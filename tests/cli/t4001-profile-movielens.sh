#!/bin/sh
# kith profile on MovieLens-100K: counts and monetary (sum of ratings, as
# the store has no purchase-like event type) against awk over u.data,
# genres as categories, and the same result for 1 and 2 threads.
. "$top_srcdir/tests/cli/lib.sh"
need_shared movielens-100k/u.data
D=$SHARED/datasets/movielens-100k

check "ingest" "$KITH" ingest --preset movielens --events "$D/u.data" \
	--users "$D/u.user" --items "$D/u.item" -o "$T/ml"
check "profile, 2 threads" "$KITH" profile "$T/ml" -o "$T/p2" --threads 2
check "profile, 1 thread" "$KITH" profile "$T/ml" -o "$T/p1" --threads 1
ok_if "same profiles for any thread count" -z "$(cmp "$T/p1/profiles.tsv" "$T/p2/profiles.tsv" 2>&1)"
ok_if "same catprefs for any thread count" -z "$(cmp "$T/p1/catprefs.npy" "$T/p2/catprefs.npy" 2>&1)"
ok_if "943 users" "$(wc -l < "$T/p1/profiles.tsv")" = 944
awk -F'\t' '{n[$1]++; s[$1] += $3} END {for (u in n) print u "\t" n[u] "\t" s[u]}' "$D/u.data" | sort > "$T/want"
awk -F'\t' 'NR > 1 {print $1 "\t" $2 "\t" $6}' "$T/p1/profiles.tsv" | sort > "$T/got"
ok_if "events and monetary (sum of ratings) per user" -z "$(cmp "$T/want" "$T/got" 2>&1)"
ok_if "no cold user (everyone rated >= 20 movies)" "$(awk -F'\t' 'NR > 1 && $25 == 1' "$T/p1/profiles.tsv" 2>&1 | wc -l)" = 0
ok_if "top1 is a genre" "$(awk -F'\t' 'NR > 1 {print $10}' "$T/p1/profiles.tsv" | sort -u | grep -cvE '^(unknown|Action|Adventure|Animation|Children.s|Comedy|Crime|Documentary|Drama|Fantasy|Film-Noir|Horror|Musical|Mystery|Romance|Sci-Fi|Thriller|War|Western)$')" = 0
# 16 features, 3 RFM scores, confidence; no event types, no embedding
ok_if "columns.tsv names the 20 columns" "$(($(wc -l < "$T/p1/columns.tsv") - 1))" = 20
done_testing
