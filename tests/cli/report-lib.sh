# Shared set-up of the kith report tests (t42xx), sourced after lib.sh.
PY=/usr/bin/python3
have_numpy() { [ -x $PY ] && $PY -c 'import numpy' 2>/dev/null; }
have_python() { [ -x $PY ]; }
FIXTURE="$top_srcdir/tests/cli/report-fixture.py"

# A 600-user synthetic shop at $T/shop, ingested into the store $T/s.
report_shop() {
	"$KITH" synth -q -o "$T/shop" --users 600 --items 200 --categories 10 \
		--communities 6 --mixing 0.2 --seed 5 &&
	"$KITH" ingest -q --events "$T/shop/events.csv" \
		--social "$T/shop/social.csv" --users "$T/shop/users.csv" \
		--items "$T/shop/items.csv" -o "$T/s"
}

# The analyses of $T/s: $T/comm $T/infl $T/prof $T/prefs.
report_analyses() {
	"$KITH" communities -q "$T/s" -o "$T/comm" >/dev/null &&
	"$KITH" influence -q "$T/s" -o "$T/infl" >/dev/null &&
	"$KITH" profile -q "$T/s" -o "$T/prof" >/dev/null &&
	"$KITH" propagate -q "$T/s" -o "$T/prefs" --eval-holdout 0.2 >/dev/null
}
