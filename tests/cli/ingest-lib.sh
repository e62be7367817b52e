# Helpers of the ingest equivalence tests (t1040, t1070, t1080, t1081),
# sourced after lib.sh.

# data_sum STORE: checksums of every file but the manifest (which names
# the input files)
data_sum() {
	(cd "$1" && find . -type f ! -name manifest.json | sort | xargs sha256sum)
}

# store_sum STORE: data_sum, plus the manifest without its time stamps
store_sum() {
	data_sum "$1"
	grep -v '"created"\|"seconds"' "$1/manifest.json"
}

# source_sha STORE / source_size STORE: SHA-256 and size of the first
# input file as the manifest records them
source_sha() {
	sed -n 's/.*"sha256" : "\([0-9a-f]*\)".*/\1/p' "$1/manifest.json" |
		head -1
}
source_size() {
	json_get "$1/manifest.json" size
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
