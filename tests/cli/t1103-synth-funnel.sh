#!/bin/sh
# kith synth: events of a user are in time order, and the funnel holds:
# every cart follows a view of the same item by the same user, every
# purchase a cart, at strictly increasing timestamps.
. "$top_srcdir/tests/cli/lib.sh"

check "synth" "$KITH" synth -q -o "$T/s" --users 2000 --items 500 --events 60000 --seed 8
awk -F, '
NR == 1 { next }
$1 != u { u = $1; t = 0; delete v; delete c }
{
	if ($4 < t) unsorted++
	t = $4
	k = $2
	if ($3 == "view") { if (!(k in v)) v[k] = $4; views++ }
	else if ($3 == "cart") { if (!(k in v) || v[k] >= $4) badcart++; if (!(k in c)) c[k] = $4; carts++ }
	else if ($3 == "purchase") { if (!(k in c) || c[k] >= $4) badbuy++; buys++ }
	else other++
}
END { printf "%d %d %d %d %d %d %d\n", unsorted, badcart, badbuy, other, views, carts, buys }
' "$T/s/events.csv" >"$T/f"
read unsorted badcart badbuy other views carts buys <"$T/f"
ok_if "time order within users" "$unsorted" -eq 0
ok_if "carts follow a view" "$badcart" -eq 0
ok_if "purchases follow a cart" "$badbuy" -eq 0
ok_if "only view/cart/purchase" "$other" -eq 0
ok_if "funnel shape views > carts > purchases > 0" "$views" -gt "$carts" -a "$carts" -gt "$buys" -a "$buys" -gt 0
ok_if "about one cart per four views" "$(awk -v v=$views -v c=$carts 'BEGIN{r=c/v; print (r>0.2 && r<0.3)}')" = 1
done_testing
