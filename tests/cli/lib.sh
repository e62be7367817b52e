# Shell test library: TAP output, temporary folder, helpers.
# Usage in tests/cli/tNNNN-*.sh:  . "$top_srcdir/tests/cli/lib.sh"
#   check "description" command args...     # ok if exit 0
#   check_fails STATUS "description" cmd...  # ok if exit == STATUS
#   ok_if "description" test-expression...   # ok if `test` succeeds
#   need_shared path                         # skip all (77-like) if absent
#   done_testing
set -u
: "${KITH:?KITH is not set}"
: "${top_srcdir:?top_srcdir is not set}"
SHARED=${SHARED:-$top_srcdir/../shared}
export LC_ALL=C
T=$(mktemp -d "${TMPDIR:-/tmp}/kith-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
_n=0
_failed=0

_result() {
	_n=$((_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $_n - $2"
	else
		echo "not ok $_n - $2"
		_failed=$((_failed + 1))
	fi
}

check() {
	_d=$1; shift
	if "$@" >"$T/.out" 2>"$T/.err"; then _result 0 "$_d"
	else
		_result 1 "$_d"
		sed 's/^/# /' "$T/.err" | head -20
	fi
}

check_fails() {
	_want=$1; _d=$2; shift 2
	"$@" >"$T/.out" 2>"$T/.err"
	_got=$?
	if [ "$_got" = "$_want" ]; then _result 0 "$_d"
	else
		_result 1 "$_d (exit $_got, wanted $_want)"
		sed 's/^/# /' "$T/.err" | head -20
	fi
}

ok_if() {
	_d=$1; shift
	if test "$@"; then _result 0 "$_d"; else _result 1 "$_d [test $*]"; fi
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

need_shared() {
	[ -e "$SHARED/datasets/$1" ] || skip_all "no $SHARED/datasets/$1"
}

# wait_for_file PATH [STEP]: polls until PATH exists, every STEP seconds
# (default 0.1), at most 300 times (a background job's first output)
wait_for_file() {
	_w=0
	while [ ! -f "$1" ] && [ $_w -lt 300 ]; do
		sleep "${2:-0.1}"
		_w=$((_w + 1))
	done
}

# json_get FILE KEY: the number after "KEY": in a flat JSON object.
json_get() {
	sed -n "s/.*\"$2\"[ ]*:[ ]*\\([-0-9.eE+]*\\).*/\\1/p" "$1" | head -1
}

# Prints the plan.  Failures are reported by the TAP lines themselves, so
# the script exits 0 (a non-zero exit would count as one more error).
done_testing() {
	echo "1..$_n"
	exit 0
}

# json_str FILE KEY: the first string value of "KEY" in FILE.
json_str() {
	sed -n "s/.*\"$2\"[ ]*:[ ]*\"\\([^\"]*\\)\".*/\\1/p" "$1" | head -1
}

# planted_clusters USERS ITEMS SEED EVENTS TEST: users in 3 planted
# clusters; user u likes a random half of the items of cluster u % 3 plus
# one random item (EVENTS, "uU,iI" lines); TEST holds one more item of its
# cluster that is not among its events
planted_clusters() {
	awk -v nu="$1" -v ni="$2" -v seed="$3" 'BEGIN {
		srand(seed)
		for (u = 0; u < nu; u++) {
			c = u % 3; held = -1
			for (i = c; i < ni; i += 3) {
				if (rand() < 0.5) print "u" u ",i" i
				else if (held < 0) held = i
				else if (rand() < 0.3) print "u" u ",i" i
			}
			print "u" u ",i" int(rand() * ni)
			if (held >= 0) print "u" u ",i" held >"/dev/stderr"
		}
	}' >"$4" 2>"$5"
}
