#!/bin/sh
# Streams give exactly the store of the regular file: a pipe on '-', a
# process substitution (/dev/fd/N), /dev/stdin, '-' redirected from the
# file, and a FIFO fed by a slow writer that cuts lines (and a 5 MB line)
# across its writes; every line is accounted for, and the manifest
# records the size and SHA-256 of the bytes read.  A file of 250k lines
# is past every buffer of the reader.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/ingest-lib.sh"

F=$T/events.csv
awk 'BEGIN {
	srand(13);
	print "user,item,event,ts,value";
	split("view cart purchase click", ev, " ");
	for (i = 1; i <= 250000; i++) {
		u = int(rand() * rand() * 20000); it = int(rand() * 5000);
		if (i == 120000) {
			# one item id of 5 MB: longer than any read or buffer
			it = "long";
			for (k = 0; k < 21; k++) it = it it;
			it = substr(it, 1, 5000000);
		}
		printf "u%d,i%s,%s,%d,%.2f\n", u, it, ev[1 + int(rand() * 4)],
		       1700000000 + i, rand() * 100;
	}
}' >"$F"
lines=$(wc -l <"$F")
ok_if "generated 250001 lines" "$lines" = 250001
O="-q --max-line-bytes 6000000 --json"
sha=$(sha256sum <"$F" | cut -d' ' -f1)
size=$(wc -c <"$F")

check "regular file" $KITH ingest $O --events "$F" -o "$T/ref"
data_sum "$T/ref" >"$T/ref.sum"

# same NAME: the store of the last run has the reference's arrays, all
# lines of the summary and the file's size and sha256 in the manifest
same() {
	data_sum "$T/$1" >"$T/$1.sum"
	ok_if "$1: same arrays as the regular file" \
	      "$(cmp -s "$T/ref.sum" "$T/$1.sum" && echo same)" = same
	ok_if "$1: every line accounted for" \
	      "$(json_get "$T/.out" lines)" = "$lines"
	ok_if "$1: every row accepted" \
	      "$(json_get "$T/.out" accepted)" = $((lines - 1))
	ok_if "$1: manifest size of the bytes read" \
	      "$(source_size "$T/$1")" = "$size"
	ok_if "$1: manifest sha256 of the bytes read" \
	      "$(source_sha "$T/$1")" = "$sha"
}
same ref

check "pipe on -" sh -c 'cat "$1" | "$2" ingest $3 --events - -o "$4"' \
      sh "$F" "$KITH" "$O" "$T/pipe"
same pipe
check "/dev/stdin on a pipe" sh -c \
      'cat "$1" | "$2" ingest $3 --events /dev/stdin -o "$4"' \
      sh "$F" "$KITH" "$O" "$T/devstdin"
same devstdin
check "- redirected from the file" sh -c \
      '"$2" ingest $3 --events - -o "$4" <"$1"' sh "$F" "$KITH" "$O" \
      "$T/redirect"
same redirect
if command -v bash >/dev/null; then
	check "process substitution" bash -c \
	      '"$2" ingest $3 --events <(cat "$1") -o "$4"' \
	      sh "$F" "$KITH" "$O" "$T/procsub"
	same procsub
fi

# a FIFO and a writer that pauses between pieces of 1.5 MB (cut inside
# lines, the 5 MB one across several pieces)
mkfifo "$T/fifo"
split -b 1500000 "$F" "$T/piece."
(for p in "$T"/piece.*; do cat "$p"; sleep 0.1; done) >"$T/fifo" &
check "FIFO with a slow writer" $KITH ingest $O --events "$T/fifo" -o "$T/fifo-s"
wait
same fifo-s

# another reader of a FIFO: the social links, from a writer that starts late
printf 'src,dst\nu1,u2\nu2,u3\n' >"$T/social.csv"
check "social links from a file" $KITH ingest -q --events "$F" \
      --max-line-bytes 6000000 --social "$T/social.csv" -o "$T/so1"
(sleep 0.3; cat "$T/social.csv") >"$T/fifo" &
check "social links from a FIFO" $KITH ingest -q --events "$F" \
      --max-line-bytes 6000000 --social "$T/fifo" -o "$T/so2"
wait
ok_if "social FIFO: same store as from the file" \
      "$(data_sum "$T/so1" >"$T/so1.sum"; data_sum "$T/so2" |
         cmp -s "$T/so1.sum" - && echo same)" = same

# a bigger real file, when the shared data sets are there
Y=$SHARED/datasets/yelp2018-sub/train.tsv
if [ -f "$Y" ]; then
	check "yelp: regular" $KITH ingest -q --events "$Y" --columns user,item \
	      -o "$T/y1"
	check "yelp: pipe" sh -c 'cat "$1" | "$2" ingest -q --events - \
	      --columns user,item -o "$3"' sh "$Y" "$KITH" "$T/y2"
	ok_if "yelp: same arrays" "$(data_sum "$T/y1" >"$T/y1.sum"
	      data_sum "$T/y2" | cmp -s "$T/y1.sum" - && echo same)" = same
fi
done_testing
