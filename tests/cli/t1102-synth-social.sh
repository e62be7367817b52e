#!/bin/sh
# kith synth: social pairs are undirected, unique, loop-free, and cross
# communities in a fraction MU (+-0.03) of cases.
. "$top_srcdir/tests/cli/lib.sh"

for mu in 0.1 0.3 0.5; do
	check "synth mixing $mu" "$KITH" synth -q -o "$T/m$mu" --users 6000 --items 200 \
		--communities 8 --mixing $mu --events 6000 --seed 4
	S=$T/m$mu
	ok_if "no self-loops ($mu)" "$(awk -F, 'NR>1 && $1==$2' $S/social.csv | wc -l)" -eq 0
	ok_if "no duplicate pairs in either orientation ($mu)" \
		"$(awk -F, 'NR>1{ if ($1<$2) print $1","$2; else print $2","$1 }' $S/social.csv | sort | uniq -d | wc -l)" -eq 0
	frac=$(awk -F'\t' 'NR==FNR{if(FNR>1)c[$1]=$2;next} FNR>1{n++; split($0,a,","); if (c[a[1]]!=c[a[2]]) m++} END{printf "%.4f", m/n}' \
		$S/truth/communities.tsv $S/social.csv)
	ok_if "measured mixing $frac within 0.03 of $mu" \
		"$(awk -v f=$frac -v m=$mu 'BEGIN{d=f-m; if(d<0)d=-d; print (d<=0.03)}')" = 1
	ok_if "mean degree near 20 ($mu)" \
		"$(awk -v n=$(( $(wc -l <$S/social.csv) - 1 )) 'BEGIN{d=2*n/6000; print (d>18 && d<22)}')" = 1
done
check "degree 4" "$KITH" synth -q -o "$T/d4" --users 6000 --items 200 --events 6000 --social-degree 4
ok_if "mean degree near 4" \
	"$(awk -v n=$(( $(wc -l <$T/d4/social.csv) - 1 )) 'BEGIN{d=2*n/6000; print (d>3.5 && d<4.5)}')" = 1
check "no social graph" "$KITH" synth -q -o "$T/d0" --users 100 --items 50 --social-degree 0
ok_if "header only" "$(cat $T/d0/social.csv)" = "src,dst"
done_testing
