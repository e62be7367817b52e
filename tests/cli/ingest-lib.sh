# Helpers of the ingest equivalence tests (t1040, t1070), sourced after
# lib.sh.

# store_sum STORE: checksums of every file but the manifest, plus the
# manifest without its time stamps
store_sum() {
	(cd "$1" && find . -type f ! -name manifest.json | sort | xargs sha256sum)
	grep -v '"created"\|"seconds"' "$1/manifest.json"
}

# run NAME ARGS...: ingest into $T/NAME, keeping the exit status
# ($T/NAME.rc), stderr ($T/NAME.err), the JSON summary without timings
# ($T/NAME.sum) and the store's sums ($T/NAME.store, empty without one)
run() {
	_name=$1; shift
	rm -rf "$T/$_name"
	$KITH ingest --json "$@" -o "$T/$_name" >"$T/$_name.json" 2>"$T/$_name.err"
	echo $? >"$T/$_name.rc"
	grep -v '"seconds"' "$T/$_name.json" >"$T/$_name.sum"
	if [ -d "$T/$_name" ]; then store_sum "$T/$_name" >"$T/$_name.store"
	else : >"$T/$_name.store"; fi
}
