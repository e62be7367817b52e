#!/bin/sh
# kith ingest under mpirun -np 1, 2, 3: the store equals the single
# process's (every array, names file and rejects.tsv byte-identical; the
# manifest the same but for times and the "partition" member), on
# lastfm-2k with its social file, on copies with bad lines in both files
# (rejects with their file lines and byte offsets, self-loops; the first
# bad line stops the job with FILE:LINE), a directed social file alone,
# the shop (a header, event types, timestamps), the shop's users, items
# and user features files with duplicate users (rejected), duplicate
# items (merged), bad rows and users only they name (all three read in
# parts: every verdict is the one process's), a gzip features file and
# a gzip events file (read whole by rank 0), a users file of quoted
# fields, MovieLens-100K with its preset (Latin-1 u.item and u.user in
# parts) and a tiny file (empty parts); a quoted field across a cut is
# refused (events and users files); --max-rejects counts every rank;
# --max-memory is checked per rank; a rank killed (-9) fails the job and
# leaves the store before intact.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/mpi-lib.sh"
need_mpi
need_shared lastfm-2k/data1.txt
L=$SHARED/datasets/lastfm-2k
S=$top_srcdir/datasets/shop-small

# same_store A B: nothing printed when the stores agree
same_store() {
	python3 - "$1" "$2" <<'PY'
import json, os, sys
a, b = sys.argv[1], sys.argv[2]
def clean(v):
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items()
                if k not in ("created", "seconds", "partition")}
    if isinstance(v, list):
        return [clean(x) for x in v]
    return v
na, nb = sorted(os.listdir(a)), sorted(os.listdir(b))
if na != nb:
    print("files differ:", na, nb)
for n in na:
    if n not in nb:
        continue
    da = open(os.path.join(a, n), "rb").read()
    db = open(os.path.join(b, n), "rb").read()
    if n == "manifest.json":
        da, db = clean(json.loads(da)), clean(json.loads(db))
    if da != db:
        print("differs:", n)
PY
}

# part_ok STORE NP: the partition member is whole and ordered
part_ok() {
	python3 - "$1" "$2" <<'PY'
import json, sys
m = json.load(open(sys.argv[1] + "/manifest.json"))
p, n = m["partition"], int(sys.argv[2])
c = m["counts"]
size = {x["kind"]: x["size"] for x in m["sources"]}
ok = p["ranks"] == n
want = [("row_bounds", c["users"]), ("event_log_bounds", c["event_log"])]
for kind in ("events", "social", "users", "items", "user_features"):
    if kind in size:
        want.append((kind + "_bytes", size[kind]))
        v = p[kind + "_lines"]
        ok = ok and len(v) == n + 1 and v[0] == 1 and \
            all(x <= y for x, y in zip(v, v[1:]))
for k, last in want:
    v = p[k]
    ok = ok and len(v) == n + 1 and v[0] == 0 and v[-1] == last and \
        all(x <= y for x, y in zip(v, v[1:]))
print("ok" if ok else "bad: %s" % p)
PY
}

awk 'NR == 100 { print $1 "\t" } NR == 20000 { print "x" }
     NR == 30000 { print $1 "\t\t" $3 } { print }' "$L/data1.txt" \
	>"$T/bad.txt"
# the social file with bad lines and self-loops, directed too
awk 'NR == 50 { print $1 "\t" } NR == 9000 { print $1 "\t" $1 }
     NR == 20000 { print "\t" $2 } { print }' "$L/trustnetwork.txt" \
	>"$T/social-bad.txt"
gzip -c "$L/data1.txt" >"$T/fm.txt.gz"
printf 'user,item\na,x\nb,y\na,z\n' >"$T/tiny.csv"
python3 -c '
print("user,item,value")
for i in range(1000):
    print("u%d,\"it\nem%d\",1" % (i % 37, i % 91))' >"$T/quoted.csv"

# the shop's side files: a user listed twice (line 300 rejected), a
# user only the users file names, items listed twice (merged), feature
# rows with an empty and a bad field and a user no other file names
awk 'NR == 300 { print "u000001,20,F,FR,1600000000" } { print }
     END { print "zz-only-here,40,F,FR,1600000000" }' \
	"$S/users.csv" >"$T/users.csv"
awk '{ print } NR > 1 && NR < 5 { dup = dup $0 "\n" }
     END { printf "%s", dup }' "$S/items.csv" >"$T/items.csv"
awk -F, 'NR > 1 { print $1 ",f" (NR % 7) "," (NR % 5) }
     NR == 200 { print $1 ",," 1 } NR == 400 { print $1 ",f2,abc" }
     END { print "feat-only,f1,2" }' "$S/users.csv" >"$T/feat.csv"
gzip -c "$T/feat.csv" >"$T/feat.csv.gz"
# a users file whose fields are quoted, with separators and quotes in
# them (the tokenizer rewrites them: the records carry their own bytes)
awk -F, 'NR == 1 { print "user_id,name,age" }
     NR > 1 { printf "%s,\"%s, \"\"the %d\"\"\",%d\n", $1, $4, NR, $2 }' \
	"$S/users.csv" >"$T/users-quoted.csv"
M=$SHARED/datasets/movielens-100k

# name|options of the cases (-o added); mpirun reads standard input,
# hence </dev/null inside the loop
cat >"$T/cases" <<EOF
fm|--events $L/data1.txt --columns user,item,_ --social $L/trustnetwork.txt
bad|--events $T/bad.txt --columns user,item,_ --on-error skip
shop|--events $S/events.csv --social $S/social.csv --items $S/items.csv --event-weight view=1,cart=3,purchase=5
social-bad|--events $T/bad.txt --columns user,item,_ --social $T/social-bad.txt --on-error skip
directed|--social $T/social-bad.txt --directed --on-error skip
gz|--events $T/fm.txt.gz --columns user,item,_ --social $T/social-bad.txt --on-error skip
tiny|--events $T/tiny.csv
side|--events $S/events.csv --social $S/social.csv --users $T/users.csv --items $T/items.csv --user-features $T/feat.csv --on-error skip
side-gz|--events $S/events.csv --users $T/users.csv --user-features $T/feat.csv.gz --on-error skip
side-quoted|--events $S/events.csv --users $T/users-quoted.csv
EOF
if [ -f "$M/u.user" ] && [ -f "$M/u.item" ]; then
	echo "ml|--preset movielens --events $M/u.data --users $M/u.user --items $M/u.item" >>"$T/cases"
fi
while IFS='|' read -r name opts; do
	# shellcheck disable=SC2086
	check "$name: single process" "$KITH" ingest -q $opts -o "$T/$name-0"
	for np in 1 2 3; do
		# shellcheck disable=SC2086
		check "$name: np $np" kith_np $np ingest -q --threads 1 $opts \
			-o "$T/$name-$np" </dev/null
		ok_if "$name: np $np: same store as one process" -z \
			"$(same_store "$T/$name-0" "$T/$name-$np")"
		ok_if "$name: np $np: partition" "$(part_ok "$T/$name-$np" $np)" = ok
	done
	check "$name: np 3: verifies" "$KITH" info --verify "$T/$name-3"
done <"$T/cases"
ok_if "bad: rejects.tsv lists the 3 bad lines" \
	"$(cut -f 2 "$T/bad-3/rejects.tsv" | tail -n +2 | tr '\n' ' ')" = \
	"100 20001 30002 "
ok_if "social-bad: rejects.tsv lists the social file's 2 bad lines" \
	"$(grep social-bad "$T/social-bad-3/rejects.tsv" | cut -f 2 | tr '\n' ' ')" = \
	"50 20002 "
ok_if "social-bad: one self-loop, counted over the ranks" \
	"$(python3 -c 'import json,sys; print([f["self_loops"] for f in json.load(open(sys.argv[1]))["ingest"]["files"] if f["kind"] == "social"][0])' "$T/social-bad-3/manifest.json")" = 1
ok_if "side: rejects.tsv lists the users file's duplicate and the features file's 2 bad rows" \
	"$(cut -f 1,2,4 "$T/side-3/rejects.tsv" | tail -n +2 | sed "s|$T/||" | tr '\t\n' ': ')" = \
	"users.csv:300:duplicate_id feat.csv:200:empty_field feat.csv:401:not_a_number "
ok_if "side: the users file was read in 3 parts" \
	"$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["partition"]["users_bytes"]; print(len(set(b)))' "$T/side-3/manifest.json")" = 4
ok_if "side-gz: the gzip features file was read whole by rank 0" \
	"$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["partition"]["user_features_bytes"]; print(len(set(b)))' "$T/side-gz-3/manifest.json")" = 2
ok_if "tiny: np 3 has an empty part" \
	"$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["partition"]["events_bytes"]; print(len(set(b)) < len(b))' "$T/tiny-3/manifest.json")" = True

# the first bad line stops the job with its line, whichever rank read it
awk 'NR == 30000 { print $1 "\t\t" $3 } { print }' "$L/data1.txt" \
	>"$T/late.txt"
for f in bad late; do
	check_fails 1 "$f: one process stops" "$KITH" ingest -q \
		--events "$T/$f.txt" --columns user,item,_ -o "$T/x"
	want=$(sed -n 's/^kith ingest: //p' "$T/.err")
	for np in 2 3; do
		kith_np $np ingest -q --threads 1 --events "$T/$f.txt" \
			--columns user,item,_ -o "$T/x" >"$T/.out" 2>"$T/.err"
		ok_if "$f: np $np fails" $? != 0
		ok_if "$f: np $np: the same message ($want)" \
			"$(grep -c -F "]: $want" "$T/.err")" = 1
	done
done
# the same for a bad row of the users file on the last rank's part
awk 'NR == 450 { print ",1,2,3,4" } { print }' "$S/users.csv" >"$T/ubad.csv"
check_fails 1 "users: one process stops" "$KITH" ingest -q \
	--events "$S/events.csv" --users "$T/ubad.csv" -o "$T/x"
want=$(sed -n 's/^kith ingest: //p' "$T/.err")
for np in 2 3; do
	kith_np $np ingest -q --threads 1 --events "$S/events.csv" \
		--users "$T/ubad.csv" -o "$T/x" >"$T/.out" 2>"$T/.err"
	ok_if "users: np $np fails" $? != 0
	ok_if "users: np $np: the same message ($want)" \
		"$(grep -c -F "]: $want" "$T/.err")" = 1
done
ok_if "no store written" ! -e "$T/x"

kith_np 3 ingest -q --threads 1 --events "$T/bad.txt" --columns user,item,_ \
	--on-error skip --max-rejects 2 -o "$T/x" >"$T/.out" 2>"$T/.err"
ok_if "np 3 --max-rejects 2 fails" $? != 0
ok_if "np 3 --max-rejects 2 says why" \
	-n "$(grep 'more than 2 rejected rows' "$T/.err")"
kith_np 3 ingest -q --threads 1 --events "$T/bad.txt" --columns user,item,_ \
	--on-error skip --max-rejects 3 -o "$T/x" >"$T/.out" 2>"$T/.err"
ok_if "np 3 --max-rejects 3 passes" $? = 0

# --max-memory per rank: on lastfm-2k one process estimates 15.6 MiB;
# of three ranks, each building a third of the rows, rank 0 14.1 MiB
# (it also holds every id), ranks 1 and 2 13.9 MiB
kith_np 3 ingest --threads 1 --events "$L/data1.txt" --columns user,item,_ \
	--max-memory 14.0M -o "$T/x" >"$T/.out" 2>"$T/.err"
ok_if "np 3 --max-memory 14.0M fails" $? != 0
ok_if "rank 0 refuses" \
	-n "$(grep 'rank 0 of 3.*more than --max-memory' "$T/.err")"
ok_if "the other ranks fit" \
	"$(grep -c 'rank [12] of 3.*more than --max-memory' "$T/.err")" = 0

# a rank killed with SIGKILL while the log is read or the store built
# (1 s into a job of about 5 s): the job fails within 60 s and the
# store written before is left as it was
awk 'BEGIN { srand(7); for (i = 0; i < 6000000; i++)
	print "u" int(rand() * 300000) "\ti" int(rand() * 60000) }' >"$T/big.tsv"
check "kill: the store before" "$KITH" ingest -q --events "$L/data1.txt" \
	--columns user,item,_ -o "$T/k"
kill_each "1 0" "$T/k" ui.indices.npy ingest -q --threads 1 \
	--events "$T/big.tsv" -o "$T/k"
rm -f "$T/big.tsv"

check "quoted: one process" "$KITH" ingest -q --events "$T/quoted.csv" \
	-o "$T/q0"
kith_np 2 ingest -q --threads 1 --events "$T/quoted.csv" -o "$T/q2" \
	>"$T/.out" 2>"$T/.err"
ok_if "quoted: np 2 refuses a quoted field across the cut" $? != 0
ok_if "quoted: says so" -n "$(grep 'a quoted field runs past byte' "$T/.err")"
python3 -c '
print("user,note")
for i in range(601):
    print("u%06d,\"ab\nb%d\"" % (i, i))' >"$T/uq.csv"
check "quoted users: one process" "$KITH" ingest -q --events "$S/events.csv" \
	--users "$T/uq.csv" -o "$T/q0"
kith_np 2 ingest -q --threads 1 --events "$S/events.csv" --users "$T/uq.csv" \
	-o "$T/q2" >"$T/.out" 2>"$T/.err"
ok_if "quoted users: np 2 refuses a quoted field across the cut" $? != 0
ok_if "quoted users: says so" \
	-n "$(grep 'uq.csv:[0-9]*: a quoted field runs past byte' "$T/.err")"

if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
	/usr/bin/python3 - "$T/fm-3" >"$T/py.out" 2>&1 <<'PY'
import json, sys
import numpy as np
s = sys.argv[1]
m = json.load(open(s + "/manifest.json"))
ip = np.load(s + "/ui.indptr.npy")
ix = np.load(s + "/ui.indices.npy")
ev = np.load(s + "/ev.user.npy")
b = m["partition"]["row_bounds"]
e = m["partition"]["event_log_bounds"]
ok = ip[-1] == len(ix) == m["counts"]["interactions"]
for r in range(len(b) - 1):
    ok = ok and (ev[e[r]:e[r + 1]] >= b[r]).all() and (ev[e[r]:e[r + 1]] < b[r + 1]).all()
print("ok" if ok else "bad")
PY
	ok_if "numpy reads the np 3 store and its partition" "$(cat "$T/py.out")" = ok
fi
done_testing
