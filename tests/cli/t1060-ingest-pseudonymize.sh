#!/bin/sh
# kith ingest --pseudonymize KEYFILE: user ids of every file become
# HMAC-SHA256 pseudonyms (first 16 bytes, hex); same key, same
# pseudonyms; raw ids and the key appear in no file of the store; user
# data files are 0600; unsafe or missing keys are refused.
. "$top_srcdir/tests/cli/lib.sh"

cat >"$T/events.csv" <<'EOF'
user_id,item_id,event_type,timestamp,price
alice-raw-7f3,book-1,view,1700000000,3.50
bob-raw-9c1,book-2,cart,1700000100,7.25
alice-raw-7f3,book-2,purchase,1700000200,7.25
carol-raw-2d4,book-1,view,1700000300,3.50
dave-raw-5e8,,view,1700000400,1.00
EOF
cat >"$T/social.csv" <<'EOF'
src,dst
alice-raw-7f3,erin-raw-8b2
bob-raw-9c1,carol-raw-2d4
EOF
cat >"$T/users.csv" <<'EOF'
user_id,age,gender
alice-raw-7f3,34,F
bob-raw-9c1,27,M
frank-raw-1a9,45,M
EOF
cat >"$T/feat.csv" <<'EOF'
node,feature,value
carol-raw-2d4,f1,0.5
grace-raw-3c7,f2,1
EOF
printf 'correct horse battery staple' >"$T/key"
chmod 600 "$T/key"
printf 'another key' >"$T/key2"
chmod 600 "$T/key2"

ingest() {   # ingest STORE KEY [more args]
	_s=$1 _k=$2; shift 2
	$KITH ingest -q --on-error skip --events "$T/events.csv" \
	    --social "$T/social.csv" --users "$T/users.csv" \
	    --user-features "$T/feat.csv" --pseudonymize "$_k" -o "$_s" "$@"
}

check "ingest with --pseudonymize" ingest "$T/a" "$T/key"
check "again with the same key" ingest "$T/b" "$T/key"
check "with another key" ingest "$T/c" "$T/key2"
ok_if "same key, same pseudonyms" \
      "$(cmp -s "$T/a/users.tsv" "$T/b/users.tsv" && echo same)" = same
ok_if "another key, other pseudonyms" \
      "$(cmp -s "$T/a/users.tsv" "$T/c/users.tsv" || echo differ)" = differ
ok_if "6 users (events, social, users, features; not the rejected row's)" \
      "$(tail -n +2 "$T/a/users.tsv" | wc -l)" = 6
ok_if "every user id is 32 hex digits" \
      "$(tail -n +2 "$T/a/users.tsv" | grep -cvx '[0-9a-f]\{32\}')" = 0
ok_if "items are not pseudonymised" "$(sed -n 2p "$T/a/items.tsv")" = book-1
ok_if "a rejected row was logged" "$(tail -n +2 "$T/a/rejects.tsv" | wc -l)" = 1
hits=$(grep -rl -e '-raw-' "$T/a" | wc -l)
ok_if "raw user ids appear in no file of the store" "$hits" = 0
hits=$(grep -rl -e 'horse battery' "$T/a" | wc -l)
ok_if "the key appears in no file of the store" "$hits" = 0
ok_if "manifest says pseudonymized" \
      "$(grep -c '"pseudonymized" *: *true' "$T/a/manifest.json")" = 1
ok_if "manifest names the algorithm" \
      "$(grep -c '"pseudonym_algorithm" *: *"hmac-sha256-128-hex"' "$T/a/manifest.json")" = 1
ok_if "users.tsv is 0600" "$(stat -c %a "$T/a/users.tsv")" = 600
ok_if "ev.user.npy is 0600" "$(stat -c %a "$T/a/ev.user.npy")" = 600
ok_if "rejects.tsv is 0600" "$(stat -c %a "$T/a/rejects.tsv")" = 600
ok_if "items.tsv stays 0644" "$(stat -c %a "$T/a/items.tsv")" = 644

# the pseudonym of the first user is HMAC-SHA256(key, id), 16 bytes, hex
if /usr/bin/python3 -c 'import hmac' 2>/dev/null; then
	want=$(/usr/bin/python3 -c 'import hmac, hashlib, sys
print(hmac.new(open(sys.argv[1], "rb").read(), b"alice-raw-7f3",
               hashlib.sha256).hexdigest()[:32])' "$T/key")
	ok_if "pseudonym = HMAC-SHA256(key, id)[:16] in hex" \
	      "$(sed -n 2p "$T/a/users.tsv")" = "$want"
fi
ok_if "without the flag raw ids are kept" \
      "$($KITH ingest -q --events "$T/events.csv" --on-error skip -o "$T/raw" &&
         sed -n 2p "$T/raw/users.tsv")" = alice-raw-7f3
ok_if "without the flag manifest says not pseudonymized" \
      "$(grep -c '"pseudonymized" *: *false' "$T/raw/manifest.json")" = 1

# unsafe keys
chmod 644 "$T/key"
check_fails 2 "key readable by others is refused (exit 2)" ingest "$T/d" "$T/key"
ok_if "message names the mode" "$(grep -c "mode 0644" "$T/.err")" = 1
chmod 640 "$T/key"
check_fails 2 "key readable by group is refused" ingest "$T/d" "$T/key"
chmod 600 "$T/key"
ok_if "no store written with a refused key" "$(test -e "$T/d" || echo none)" = none
check_fails 1 "missing key file: exit 1" ingest "$T/d" "$T/nokey"
ok_if "message names the file" "$(grep -c "cannot read pseudonymisation key" "$T/.err")" = 1
check_fails 2 "a folder is no key" ingest "$T/d" "$T"
: >"$T/empty"
chmod 600 "$T/empty"
check_fails 2 "an empty key is refused" ingest "$T/d" "$T/empty"
done_testing
