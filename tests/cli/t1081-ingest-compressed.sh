#!/bin/sh
# Compressed and UTF-16 inputs give exactly the store of the plain UTF-8
# files: gzip, xz and zstd detected by their magic bytes (a gzip file
# named .csv too, and gzip through a pipe) for every input of an ingest
# and of an update, UTF-16LE/BE with a byte order mark; the manifest
# records the compressed file's size and SHA-256.  A truncated or corrupt
# compressed file fails with exit 1, FILE:LINE of the decompressed text,
# and no store (an existing one untouched), even with --on-error skip.
# Other readers (influence --seeds, communities --truth) take the same
# files.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/ingest-lib.sh"
D=$top_srcdir/datasets/shop-small

# ing NAME EXT: ingests the four shop files $T/in/*.csvEXT into $T/NAME
ing() {
	check "$1: ingest" $KITH ingest -q --events "$T/in/events.csv$2" \
	      --social "$T/in/social.csv$2" --users "$T/in/users.csv$2" \
	      --items "$T/in/items.csv$2" -o "$T/$1"
	ok_if "$1: same arrays as the plain files" \
	      "$(data_sum "$T/$1" | cmp -s "$T/plain.sum" - && echo same)" = same
}

mkdir "$T/in"
for f in events social users items; do cp "$D/$f.csv" "$T/in/"; done
check "plain: ingest" $KITH ingest -q --events "$T/in/events.csv" \
      --social "$T/in/social.csv" --users "$T/in/users.csv" \
      --items "$T/in/items.csv" -o "$T/plain"
data_sum "$T/plain" >"$T/plain.sum"

for z in "gzip:.gz" "xz:.xz" "zstd:.zst"; do
	tool=${z%%:*} ext=${z#*:}
	command -v "$tool" >/dev/null || continue
	for f in events social users items; do
		$tool -c "$T/in/$f.csv" >"$T/in/$f.csv$ext"
	done
	ing "$tool" "$ext"
	ok_if "$tool: manifest size of the compressed file" \
	      "$(source_size "$T/$tool")" = "$(wc -c <"$T/in/events.csv$ext")"
	ok_if "$tool: manifest sha256 of the compressed file" \
	      "$(source_sha "$T/$tool")" = \
	      "$(sha256sum <"$T/in/events.csv$ext" | cut -d' ' -f1)"
done

# gzip data whatever the name, and through a pipe
gzip -c "$D/events.csv" >"$T/in/misnamed.csv"
check "misnamed: ingest" $KITH ingest -q --events "$T/in/misnamed.csv" \
      --social "$T/in/social.csv" --users "$T/in/users.csv" \
      --items "$T/in/items.csv" -o "$T/misnamed"
ok_if "misnamed: same arrays" \
      "$(data_sum "$T/misnamed" | cmp -s "$T/plain.sum" - && echo same)" = same
check "gzip through a pipe" sh -c 'gzip -c "$1/events.csv" | "$2" ingest -q \
      --events - --social "$1/social.csv" --users "$1/users.csv" \
      --items "$1/items.csv" -o "$3"' sh "$T/in" "$KITH" "$T/gzpipe"
ok_if "gzip pipe: same arrays" \
      "$(data_sum "$T/gzpipe" | cmp -s "$T/plain.sum" - && echo same)" = same

# UTF-16 with a byte order mark (Excel's "Unicode text")
if command -v iconv >/dev/null; then
	for e in LE BE; do
		for f in events social users items; do
			if [ $e = LE ]; then printf '\377\376'; else printf '\376\377'; fi \
				>"$T/in/$f.csv.u16$e"
			iconv -f UTF-8 -t UTF-16$e "$T/in/$f.csv" >>"$T/in/$f.csv.u16$e"
		done
		ing "utf16$e" ".u16$e"
	done
fi

# broken compressed files: exit 1 with FILE:LINE, nothing written
gz=$T/in/events.csv.gz
head -c $(($(wc -c <"$gz") / 2)) "$gz" >"$T/in/cut.gz"
check_fails 1 "truncated gzip: exit 1" $KITH ingest --events "$T/in/cut.gz" \
      -o "$T/cut"
ok_if "truncated gzip: FILE:LINE and the reason" \
      "$(grep -c "cut.gz:[0-9]*: truncated gzip data" "$T/.err")" = 1
ok_if "truncated gzip: no store" ! -e "$T/cut"
check_fails 1 "truncated gzip with --on-error skip: exit 1" $KITH ingest \
      --on-error skip --events "$T/in/cut.gz" -o "$T/cut"
ok_if "truncated gzip, skip: no store" ! -e "$T/cut"
store_sum "$T/plain" >"$T/before"
check_fails 1 "truncated gzip over a store: exit 1" $KITH ingest \
      --events "$T/in/cut.gz" -o "$T/plain"
ok_if "the store is untouched" \
      "$(store_sum "$T/plain" | cmp -s "$T/before" - && echo same)" = same
for z in "xz:.xz" "zstd:.zst"; do
	tool=${z%%:*} ext=${z#*:}
	command -v "$tool" >/dev/null || continue
	f=$T/in/events.csv$ext
	head -c $(($(wc -c <"$f") - 20)) "$f" >"$T/in/cut$ext"
	check_fails 1 "truncated $tool: exit 1" $KITH ingest \
	      --events "$T/in/cut$ext" -o "$T/cut"
	ok_if "truncated $tool: FILE:LINE and the reason" \
	      "$(grep -c "cut$ext:[0-9]*: truncated $tool data" "$T/.err")" = 1
	ok_if "truncated $tool: no store" ! -e "$T/cut"
done
{ head -c 3000 "$gz"; printf 'X'; tail -c +3002 "$gz"; } >"$T/in/bad.gz"
check_fails 1 "corrupt gzip: exit 1" $KITH ingest --on-error skip \
      --events "$T/in/bad.gz" -o "$T/bad"
ok_if "corrupt gzip: no store" ! -e "$T/bad"
if command -v bzip2 >/dev/null; then
	bzip2 -c "$D/events.csv" >"$T/in/events.csv.bz2"
	check_fails 1 "bzip2: refused" $KITH ingest --events "$T/in/events.csv.bz2" \
	      -o "$T/bz"
	ok_if "bzip2: the message names it" "$(grep -c bzip2 "$T/.err")" = 1
fi

# kith update: a compressed batch gives the store of the plain batch
head -12001 "$D/events.csv" >"$T/in/old.csv"
{ head -1 "$D/events.csv"; tail -3000 "$D/events.csv"; } >"$T/in/new.csv"
gzip -c "$T/in/new.csv" >"$T/in/new.csv.gz"
for v in plain gz; do
	check "update $v: base" $KITH ingest -q --events "$T/in/old.csv" \
	      -o "$T/up-$v"
done
check "update with the plain batch" $KITH update -q "$T/up-plain" \
      --events "$T/in/new.csv"
check "update with the gzip batch" $KITH update -q "$T/up-gz" \
      --events "$T/in/new.csv.gz"
ok_if "update: same arrays" "$(data_sum "$T/up-plain" >"$T/up.sum"
      data_sum "$T/up-gz" | cmp -s "$T/up.sum" - && echo same)" = same

# other readers of input files
cut -f1 "$D/truth/communities.tsv" | head -20 >"$T/in/seeds.txt"
gzip -c "$T/in/seeds.txt" >"$T/in/seeds.gz"
check "influence --seeds plain" $KITH influence -q "$T/plain" -o "$T/i1" \
      --seeds "$T/in/seeds.txt"
check "influence --seeds gzip" $KITH influence -q "$T/plain" -o "$T/i2" \
      --seeds "$T/in/seeds.gz"
check "influence --seeds from a pipe" sh -c 'cat "$1" | "$2" influence -q \
      "$3" -o "$4" --seeds -' sh "$T/in/seeds.txt" "$KITH" "$T/plain" "$T/i3"
ok_if "influence: same scores" "$(cmp -s "$T/i1/influence.npy" \
      "$T/i2/influence.npy" && cmp -s "$T/i1/influence.npy" \
      "$T/i3/influence.npy" && echo same)" = same
gzip -c "$D/truth/communities.tsv" >"$T/in/truth.gz"
check "communities --truth plain" $KITH communities -q --json "$T/plain" \
      -o "$T/c1" --truth "$D/truth/communities.tsv"
nmi1=$(json_get "$T/.out" nmi)
check "communities --truth gzip" $KITH communities -q --json "$T/plain" \
      -o "$T/c2" --truth "$T/in/truth.gz"
ok_if "communities: same NMI" "$(json_get "$T/.out" nmi)" = "$nmi1"
done_testing
