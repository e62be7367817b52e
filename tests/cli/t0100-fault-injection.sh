#!/bin/sh
# Failing writes, fsyncs and renames (ENOSPC, EIO) and a full standard
# output: clean error, exit 1, the previous store byte-identical, no
# temporary folder left behind.
. "$top_srcdir/tests/cli/lib.sh"
[ -n "${KITH_SANITIZED:-}" ] && skip_all "LD_PRELOAD shim cannot run under ASan"
SHIM="$top_builddir/tests/fault/libkithfault.so"
[ -f "$SHIM" ] || skip_all "no fault shim"

awk 'BEGIN { print "user_id,item_id,event,timestamp"; for (i = 0; i < 3000; i++)
	printf "u%d,i%d,view,%d\n", i % 97, (i * 7) % 211, 1600000000 + i }' >"$T/ev.csv"
awk 'BEGIN { print "user_id,item_id,event,timestamp"; for (i = 0; i < 2000; i++)
	printf "u%d,i%d,cart,%d\n", i % 53, (i * 3) % 101, 1600000000 + i }' >"$T/ev2.csv"
check "ingest a store" "$KITH" ingest -q --events "$T/ev.csv" -o "$T/s"
snapshot() { (cd "$T/s" && find . -type f | sort | xargs sha256sum) }
snapshot >"$T/before"

for op in write fsync rename; do
	for e in ENOSPC EIO; do
		FAULT_OP=$op FAULT_ERRNO=$e FAULT_PATH="$T/s" \
			LD_PRELOAD="$SHIM" "$KITH" ingest -q --events "$T/ev2.csv" \
			-o "$T/s" >"$T/.out" 2>"$T/.err"
		rc=$?
		ok_if "$op $e: exit 1" "$rc" = 1
		ok_if "$op $e: message on stderr" -s "$T/.err"
		snapshot >"$T/after"
		check "$op $e: store unchanged" cmp "$T/before" "$T/after"
		ok_if "$op $e: no temporary folder" -z "$(ls -d "$T"/s.tmp-* 2>/dev/null)"
	done
done
# a later write fails (the 5th array), not the first
FAULT_OP=write FAULT_AFTER=5 FAULT_PATH="$T/s" LD_PRELOAD="$SHIM" \
	"$KITH" ingest -q --events "$T/ev2.csv" -o "$T/s" >/dev/null 2>&1
ok_if "late write failure: exit 1" "$?" = 1
snapshot >"$T/after"
check "late write failure: store unchanged" cmp "$T/before" "$T/after"
check "store still verifies" "$KITH" info --verify "$T/s"

# a write fails while the build streams the big arrays (the event log
# and the pair arrays are written as they are made): the build stops
# cleanly, nothing is committed
awk 'BEGIN { print "user_id,item_id,event,timestamp";
	for (i = 0; i < 700000; i++)
		printf "u%d,i%d,view,%d\n", (i * 13) % 7919, (i * 7) % 3001, 1600000000 + i }' >"$T/big.csv"
for after in 2 6; do
	FAULT_OP=write FAULT_AFTER=$after FAULT_PATH="$T/s" LD_PRELOAD="$SHIM" \
		"$KITH" ingest -q --events "$T/big.csv" -o "$T/s" >/dev/null 2>"$T/.err"
	ok_if "streamed write $after fails: exit 1" "$?" = 1
	ok_if "streamed write $after fails: says why" \
		-n "$(grep 'No space left' "$T/.err")"
	snapshot >"$T/after"
	check "streamed write $after fails: store unchanged" cmp "$T/before" "$T/after"
	ok_if "streamed write $after fails: no temporary folder" \
		-z "$(ls -d "$T"/s.tmp-* 2>/dev/null)"
done

# exports: a failed write leaves the previous graph file or serving folder
check "export a graph" "$KITH" export "$T/s" --format graphml -o "$T/g.graphml"
check "embed" "$KITH" embed "$T/s" -o "$T/emb" --dim 4 --epochs 1 -q
check "export a serving folder" "$KITH" export "$T/emb" --format serving \
	-o "$T/serve"
cp "$T/g.graphml" "$T/g.before"
(cd "$T/serve" && find . -type f | sort | xargs sha256sum) >"$T/serve.before"
for op in write fsync rename; do
	# the graph goes through stdio, whose writes the shim cannot see:
	# a full standard output below stands for them
	[ $op = write ] || {
	FAULT_OP=$op FAULT_ERRNO=ENOSPC FAULT_PATH="$T/g.graphml" \
		LD_PRELOAD="$SHIM" "$KITH" export "$T/s" --format graphml \
		--graph user-item -o "$T/g.graphml" >/dev/null 2>"$T/.err"
	ok_if "graph export, $op fails: exit 1" "$?" = 1
	check "graph export, $op fails: file unchanged" cmp "$T/g.before" "$T/g.graphml"
	ok_if "graph export, $op fails: no temporary file" \
		-z "$(ls "$T"/g.graphml.tmp-* 2>/dev/null)"
	}
	FAULT_OP=$op FAULT_ERRNO=EIO FAULT_PATH="$T/serve" \
		LD_PRELOAD="$SHIM" "$KITH" export "$T/emb" --format serving \
		-o "$T/serve" >/dev/null 2>"$T/.err"
	ok_if "serving export, $op fails: exit 1" "$?" = 1
	(cd "$T/serve" && find . -type f | sort | xargs sha256sum) >"$T/serve.after"
	check "serving export, $op fails: folder unchanged" cmp "$T/serve.before" "$T/serve.after"
	ok_if "serving export, $op fails: no temporary folder" \
		-z "$(ls -d "$T"/serve.tmp-* 2>/dev/null)"
done
if [ -w /dev/full ]; then
	check_fails 1 "graph to a full standard output" sh -c \
		"'$KITH' export '$T/s' --format gexf -o - >/dev/full"
fi

if [ -w /dev/full ]; then
	check_fails 1 "info to /dev/full fails" sh -c "'$KITH' info --json '$T/s' >/dev/full"
	ok_if "full stdout is reported" -n "$(grep -i 'standard output' "$T/.err")"
fi
done_testing
