#!/bin/sh
# The parallel events reader gives exactly what the serial reader gives:
# same store bytes, same summary, same error (file, line, reason) and the
# same rejects.tsv, whatever the chunk size and thread count; files with
# quotes, CRLF, blank and comment lines, bad rows, non-ASCII ids, leading-
# zero and non-numeric ids, no final line end, or too many event types.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/ingest-lib.sh"
D=$top_srcdir/tests/data/ingest

# gen KIND N: an events file on stdout (deterministic)
gen() {
	awk -v kind="$1" -v n="$2" 'BEGIN {
		srand(7);
		print "user_id,item_id,event_type,timestamp,price";
		split("view cart purchase click", ev, " ");
		for (i = 1; i <= n; i++) {
			u = int(rand() * rand() * 300); it = int(rand() * 120);
			us = u; is = it;
			r = rand();
			if (r < 0.05) us = sprintf("%03d", u);        # leading zeros
			else if (r < 0.10) us = "u" u;                # strings
			else if (r < 0.12) us = "\303\251t\303\251" u; # UTF-8
			ts = 1700000000 + int(rand() * 1000000);
			if (rand() < 0.03) ts = sprintf("%.0f", ts * 1000); # milliseconds
			if (rand() < 0.02) ts = "2024-01-0" (1 + i % 9) "T10:00:00Z";
			line = us "," is "," ev[1 + int(rand() * 4)] "," ts "," \
			       int(rand() * 10000) / 100;
			if (kind == "crlf" && i % 3 == 0) line = line "\r";
			if (kind == "dirty") {
				b = rand();
				if (b < 0.010) line = "\"" us "\"," is ",view," ts ",1.5";
				else if (b < 0.015) line = "";
				else if (b < 0.020) line = us "," is ",view";
				else if (b < 0.025) line = us "," is ",view," ts ",-1";
				else if (b < 0.030) line = us "," is ",view,never,1";
				else if (b < 0.035) line = us "," is ",view," ts ",nan";
				else if (b < 0.040) line = us ",," "view," ts ",1";
				else if (b < 0.045) line = us "," is ",," ts ",1";
				else if (b < 0.050) line = "\377" us "," is ",view," ts ",1";
				else if (b < 0.055) line = us "," is ",v\"x," ts ",1";
				else if (b < 0.060) line = "# comment," is ",view," ts ",1";
				else if (b < 0.065) line = us "," is ",view," ts ",1\rx";
			}
			if (kind == "types") line = us "," is ",t" (i % 40) "," ts ",1";
			if (i < n || kind != "noeol") print line;
			else printf "%s", line;
		}
	}'
}


same() {   # same A B: identical outcomes
	cmp -s "$T/$1.rc" "$T/$2.rc" && cmp -s "$T/$1.sum" "$T/$2.sum" &&
	cmp -s "$T/$1.store" "$T/$2.store" &&
	cmp -s "$T/$1.err" "$T/$2.err" && echo same
}

gen clean 3000 >"$T/clean.csv"
gen crlf 3000 >"$T/crlf.csv"
gen dirty 3000 >"$T/dirty.csv"
gen noeol 500 >"$T/noeol.csv"
gen types 200 >"$T/types.csv"
ok_if "generated files" "$(wc -l <"$T/clean.csv")" -gt 3000

for f in clean crlf noeol; do
	run "$f-serial" -q --events "$T/$f.csv" --chunk-bytes -1
	ok_if "$f: serial ingest succeeds" "$(cat "$T/$f-serial.rc")" = 0
	for cbth in 0:1 0:2 97:1 97:2 97:3 1000:2 20000:2; do
		cb=${cbth%:*} th=${cbth#*:}
		{
			run "$f-$cb-$th" -q --threads $th --events "$T/$f.csv" \
			    --chunk-bytes $cb
			ok_if "$f: chunks of $cb bytes, $th threads: same as serial" \
			      "$(same "$f-serial" "$f-$cb-$th")" = same
		}
	done
done

# dirty: stop at the first bad row (same line reported) and skip mode
run dirty-serial -q --events "$T/dirty.csv" --chunk-bytes -1
ok_if "dirty: serial stops with exit 1" "$(cat "$T/dirty-serial.rc")" = 1
run skip-serial -q --on-error skip --events "$T/dirty.csv" --chunk-bytes -1
ok_if "dirty, skip: serial succeeds" "$(cat "$T/skip-serial.rc")" = 0
ok_if "dirty, skip: rows were rejected" \
      "$(wc -l <"$T/skip-serial/rejects.tsv")" -gt 50
for cb in 0 97 5000; do
	for th in 1 2; do
		run "dirty-$cb-$th" -q --threads $th --events "$T/dirty.csv" \
		    --chunk-bytes $cb
		ok_if "dirty: chunks of $cb, $th threads: same error" \
		      "$(same dirty-serial "dirty-$cb-$th")" = same
		run "skip-$cb-$th" -q --threads $th --on-error skip \
		    --events "$T/dirty.csv" --chunk-bytes $cb
		ok_if "dirty, skip: chunks of $cb, $th threads: same store" \
		      "$(same skip-serial "skip-$cb-$th")" = same
	done
done

# a bad row far into the file is reported with its exact line
awk -F, 'NR == 2500 { $0 = $1 "," $2 ",view,not-a-time,1" } { print }' \
	"$T/clean.csv" >"$T/late.csv"
run late -q --threads 2 --events "$T/late.csv" --chunk-bytes 500
ok_if "late bad row: exit 1" "$(cat "$T/late.rc")" = 1
ok_if "late bad row: line 2500 reported" \
      "$(grep -c "late.csv:2500: unparseable timestamp" "$T/late.err")" = 1

# more than 32 event types: the same error either way
run types-serial -q --events "$T/types.csv" --chunk-bytes -1
run types-par -q --threads 2 --events "$T/types.csv" --chunk-bytes 200
ok_if "too many event types: exit 1" "$(cat "$T/types-serial.rc")" = 1
ok_if "too many event types: same outcome" "$(same types-serial types-par)" = same

# the shipped bad-input files: same outcome in both modes
for f in "$D"/*.csv; do
	b=$(basename "$f" .csv)
	run "d-$b-s" -q --events "$f" --chunk-bytes -1
	run "d-$b-p" -q --threads 2 --events "$f" --chunk-bytes 16
	ok_if "$b.csv: same outcome serial and parallel" \
	      "$(same "d-$b-s" "d-$b-p")" = same
done
done_testing
