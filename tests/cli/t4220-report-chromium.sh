#!/bin/sh
# kith report renders in headless Chromium: the screenshot is not blank
# (many distinct colours) and the DOM holds every chart of a full report.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/report-lib.sh"

CHROMIUM=/usr/bin/chromium
[ -x $CHROMIUM ] || skip_all "no $CHROMIUM"
check "shop store" report_shop
check "analyses" report_analyses
EMB=
if have_numpy; then
	check "fixture embedding" $PY "$FIXTURE" emb "$T/s" "$T/comm" "$T/emb" 16
	EMB="--emb $T/emb"
fi
check "report" "$KITH" report -q "$T/s" --communities "$T/comm" \
	--influence "$T/infl" --profiles "$T/prof" --prefs "$T/prefs" $EMB \
	-o "$T/r"

chrome() {
	timeout 60 $CHROMIUM --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$T/prof-chromium" "$@" \
		"file://$T/r/report.html"
}
check "screenshot" chrome --screenshot="$T/shot.png" --window-size=1200,3000
ok_if "screenshot written" -s "$T/shot.png"
chrome --dump-dom >"$T/dom.html" 2>/dev/null
ok_if "dom dumped" -s "$T/dom.html"
for id in chart-degree chart-community-sizes chart-category-mix \
	chart-segments chart-prefs-eval table-influencers cards; do
	ok_if "dom has #$id" -n "$(grep -o "id=\"$id\"" "$T/dom.html")"
done
if [ -n "$EMB" ]; then
	ok_if "dom has #chart-projection" \
		-n "$(grep -o 'id="chart-projection"' "$T/dom.html")"
	ok_if "dom has a training curve" \
		-n "$(grep -o 'id="chart-curve-0"' "$T/dom.html")"
	ok_if "projection draws points" \
		"$(grep -o '<circle' "$T/dom.html" | wc -l)" -gt 500
fi
ok_if "charts are svg elements" \
	"$(grep -o '<svg[^>]*class="chart' "$T/dom.html" | wc -l)" -ge 6
ok_if "bars drawn" "$(grep -o 'class="bar"' "$T/dom.html" | wc -l)" -ge 10
ok_if "heatmap cells drawn" \
	"$(grep -o 'class="cell"' "$T/dom.html" | wc -l)" -ge 60

if have_python; then
	cat >"$T/png.py" <<'PY'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat = 8, b""
while pos < len(d):
    n, = struct.unpack(">I", d[pos:pos + 4])
    t, c = d[pos + 4:pos + 8], d[pos + 8:pos + 8 + n]
    pos += 12 + n
    if t == b"IHDR":
        w, h, depth, ctype, _, _, inter = struct.unpack(">IIBBBBB", c)
    elif t == b"IDAT":
        idat += c
assert depth == 8 and ctype in (2, 6) and inter == 0, (depth, ctype)
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colours = set()
p = 0
# only the top 1200 rows: enough for the cards and the first charts
for y in range(min(h, 1200)):
    f = raw[p]; line = bytearray(raw[p + 1:p + 1 + stride]); p += 1 + stride
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + ((a + b) >> 1)) & 255
        elif f == 4:
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 4 == 0:
        for x in range(0, stride, bpp * 2):
            colours.add(bytes(line[x:x + 3]))
    prev = line
print(w, h, len(colours))
sys.exit(0 if w == 1200 and len(colours) >= 50 else 1)
PY
	check "screenshot is not blank (>= 50 colours)" $PY "$T/png.py" "$T/shot.png"
	sed 's/^/# /' "$T/.out"
fi
done_testing
