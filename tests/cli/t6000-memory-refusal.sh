#!/bin/sh
# --max-memory (kith(1)): ingest, embed, profile and communities print a
# memory estimate and, when it exceeds the limit, exit 1 before writing
# anything (a new output is not created, an existing one is left
# byte-identical); a generous limit lets them run; malformed sizes are
# usage errors (exit 2).
. "$top_srcdir/tests/cli/lib.sh"

check "synth" "$KITH" synth -q -o "$T/shop" --users 800 --items 150 \
	--events 16000 --categories 6 --communities 4 --seed 11
ING="--events $T/shop/events.csv --social $T/shop/social.csv --users $T/shop/users.csv --items $T/shop/items.csv"

# digest DIR: checksums of every file under DIR, sorted by name
digest() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum); }

# ingest: refused into a new store, then allowed
check_fails 1 "ingest refused under --max-memory 1K" "$KITH" ingest $ING \
	-o "$T/s0" --max-memory 1K
ok_if "ingest refusal says why" -n "$(grep 'needs an estimated .*more than --max-memory 1.0.*KiB: refused before allocating' "$T/.err")"
ok_if "ingest refusal printed the estimate" -n "$(grep '^kith ingest: memory estimate .* for ingest of about' "$T/.err")"
ok_if "refused ingest wrote no store" ! -e "$T/s0"
ok_if "refused ingest left no temporary folder" "$(ls -A "$T" | grep -c '^\.\{0,1\}s0')" = 0
check "ingest runs under --max-memory 64G" "$KITH" ingest $ING -o "$T/s" \
	--max-memory 64G
ok_if "ingest printed its estimate" -n "$(grep '^kith ingest: memory estimate [0-9.]*.*B for ingest of about 1[0-9]* events' "$T/.err")"
check "quiet ingest" "$KITH" ingest $ING -o "$T/sq" -q --max-memory=1.5G
ok_if "--quiet hides the estimate" -z "$(cat "$T/.err")"

# an existing store stays byte-identical when a rewrite is refused
digest "$T/s" > "$T/s.sum"
check_fails 1 "ingest over an existing store refused" "$KITH" ingest $ING \
	-o "$T/s" --max-memory 2M
ok_if "existing store unchanged" "$(digest "$T/s")" = "$(cat "$T/s.sum")"

# embed, profile, communities: first run allowed, then refusals
check "embed runs under a limit" "$KITH" embed -m lightgcn "$T/s" -o "$T/e" --epochs 1 \
	--val-ratio 0 --max-memory 8G
ok_if "embed printed its estimate" -n "$(grep '^kith embed: memory estimate .* for lightgcn on 800 users' "$T/.err")"
check "profile runs under a limit" "$KITH" profile "$T/s" -o "$T/p" --max-memory 8G
check "communities runs under a limit" "$KITH" communities "$T/s" -o "$T/c" \
	--max-memory 8G
for d in e p c; do digest "$T/$d" > "$T/$d.sum"; done

for m in lightgcn gcn sage filter; do
	check_fails 1 "embed --model $m refused (new output)" "$KITH" embed \
		"$T/s" -m $m -o "$T/e-$m" --max-memory 3M
	ok_if "embed $m refusal says why" -n "$(grep "^kith embed: $m on 800 users, 150 items needs an estimated .* refused before allocating" "$T/.err")"
	ok_if "refused embed $m wrote nothing" ! -e "$T/e-$m"
done
check_fails 1 "embed refused (existing output)" "$KITH" embed "$T/s" \
	-o "$T/e" --epochs 1 --val-ratio 0 --max-memory 3M
ok_if "existing embedding unchanged" "$(digest "$T/e")" = "$(cat "$T/e.sum")"
ok_if "no checkpoint left" ! -e "$T/e.ckpt"

check_fails 1 "profile refused (new output)" "$KITH" profile "$T/s" \
	-o "$T/p2" --max-memory 1M
ok_if "profile refusal says why" -n "$(grep '^kith profile: profiles of 800 users needs an estimated .* refused before allocating' "$T/.err")"
ok_if "refused profile wrote nothing" ! -e "$T/p2"
check_fails 1 "profile refused (existing output)" "$KITH" profile "$T/s" \
	-o "$T/p" --max-memory 1M
ok_if "existing profiles unchanged" "$(digest "$T/p")" = "$(cat "$T/p.sum")"

check_fails 1 "communities refused (new output)" "$KITH" communities "$T/s" \
	-o "$T/c2" --max-memory 1M
ok_if "communities refusal says why" -n "$(grep '^kith communities: communities of 800 users (social graph) needs an estimated .* refused before allocating' "$T/.err")"
ok_if "refused communities wrote nothing" ! -e "$T/c2"
check_fails 1 "communities refused (existing output)" "$KITH" communities \
	"$T/s" -o "$T/c" --max-memory 1M
ok_if "existing communities unchanged" "$(digest "$T/c")" = "$(cat "$T/c.sum")"

# the estimate grows with the data: 800 users < 3200 users
"$KITH" synth -q -o "$T/big" --users 3200 --items 300 --events 64000 \
	--categories 6 --communities 4 --seed 11 >/dev/null
"$KITH" ingest -q --events "$T/big/events.csv" --social "$T/big/social.csv" \
	-o "$T/sb"
est() { "$KITH" "$@" --max-memory=1 2>&1 | sed -n 's/.*memory estimate \([0-9.]*\)[^0-9KMG]*\([KMG]\).*/\1 \2/p' | awk '{ print $1 * ($2 == "K" ? 1 : $2 == "M" ? 1024 : 1048576) }'; }
for c in "embed -o $T/x" "profile -o $T/x" "communities -o $T/x"; do
	set -- $c
	small=$(est $c "$T/s") big=$(est $c "$T/sb")
	ok_if "$1 estimate grows with the store ($small < $big KiB)" \
		"$(awk "BEGIN { print ($small > 0 && $small < $big) }")" = 1
done

# sizes: malformed values are usage errors on every command
for bad in abc 12Q -5 0 "" 1.5X 1KB2 K; do
	check_fails 2 "--max-memory '$bad' is a usage error" "$KITH" profile \
		"$T/s" -o "$T/p3" --max-memory="$bad"
	ok_if "'$bad': message names the option" -n "$(grep "max-memory" "$T/.err")"
done
ok_if "bad size wrote nothing" ! -e "$T/p3"
check_fails 2 "bad size on ingest" "$KITH" ingest $ING -o "$T/s9" --max-memory 5Z
check_fails 2 "bad size on embed" "$KITH" embed "$T/s" -o "$T/e9" --max-memory x
check_fails 2 "bad size on communities" "$KITH" communities "$T/s" -o "$T/c9" \
	--max-memory 1.2.3
for good in 100000000 512M 1.5G 2GiB 3gb 1T 40960K; do
	check "--max-memory '$good' accepted" "$KITH" profile "$T/s" \
		-o "$T/p-$good" --max-memory "$good"
done
done_testing
