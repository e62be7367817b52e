#!/bin/sh
# SIGTERM and SIGINT end a command promptly (< 2 s) while it waits for
# input: ingest blocked on a FIFO that has no writer, ingest waiting in
# the middle of a stream whose writer is silent, update and influence
# --seeds on a FIFO; exit status 130, no store written, no temporary
# folder left, an existing store untouched.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/ingest-lib.sh"
D=$top_srcdir/datasets/shop-small

# wait_open PID PATH: until process PID has PATH open (at most 30 s)
wait_open() {
	_w=0
	while [ $_w -lt 300 ] &&
	      ! ls -l "/proc/$1/fd" 2>/dev/null | grep -q " -> $2\$"; do
		sleep 0.1
		_w=$((_w + 1))
	done
}

# stop NAME SIG PID PATH: once PID has PATH open, sends SIG and checks
# that it exits with 130 within 2 s (after 10 s it gets SIGKILL, so that
# a regression fails instead of hanging)
stop() {
	wait_open "$3" "$4"
	t0=$(date +%s%N)
	kill -"$2" "$3"
	_w=0
	while kill -0 "$3" 2>/dev/null && [ $_w -lt 200 ]; do
		sleep 0.05
		_w=$((_w + 1))
	done
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	kill -KILL "$3" 2>/dev/null
	wait "$3"
	rc=$?
	ok_if "$1: SIG$2 gives exit 130 (got $rc)" "$rc" = 130
	ok_if "$1: within 2 s (${ms} ms)" "$ms" -lt 2000
}

mkfifo "$T/fifo"

$KITH ingest -q --events "$T/fifo" -o "$T/s1" 2>"$T/s1.err" &
stop "FIFO without a writer" TERM $! "$T/fifo"
ok_if "no store written" ! -e "$T/s1"
ok_if "no temporary folder left" "$(ls "$T" | grep -c tmp)" = 0
ok_if "the message says interrupted" "$(grep -c interrupted "$T/s1.err")" = 1

# the writer sends a header and a row, then stays silent
(printf 'user,item\nu1,i1\n'; exec sleep 60) >"$T/fifo" &
w=$!
$KITH ingest -q --events "$T/fifo" -o "$T/s2" 2>/dev/null &
p=$!
wait_open $p "$T/fifo"
sleep 0.3
stop "silent writer" INT $p "$T/fifo"
kill $w 2>/dev/null
wait $w 2>/dev/null
ok_if "silent writer: no store written" ! -e "$T/s2"

check "a store" $KITH ingest -q --events "$D/events.csv" \
      --social "$D/social.csv" -o "$T/s"
store_sum "$T/s" >"$T/before"
$KITH update -q "$T/s" --events "$T/fifo" 2>/dev/null &
stop "update on a FIFO" TERM $! "$T/fifo"
ok_if "update: the store is untouched" \
      "$(store_sum "$T/s" | cmp -s "$T/before" - && echo same)" = same
ok_if "update: no temporary folder left" "$(ls "$T" | grep -c tmp)" = 0

$KITH influence -q "$T/s" -o "$T/infl" --seeds "$T/fifo" 2>/dev/null &
stop "influence --seeds on a FIFO" TERM $! "$T/fifo"
ok_if "influence: no output" ! -e "$T/infl"
done_testing
