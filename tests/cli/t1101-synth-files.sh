#!/bin/sh
# kith synth: headers, row counts, ids, prices, timestamps, JSON summary.
. "$top_srcdir/tests/cli/lib.sh"

check "synth" "$KITH" synth -o "$T/s" --users 1234 --items 321 --categories 7 \
	--communities 4 --events 23456 --days 30 --start 2023-06-01 --seed 3 --json
cp "$T/.out" "$T/sum.json"
S=$T/s
ok_if "events header" "$(head -1 $S/events.csv)" = "user_id,item_id,event,timestamp,value"
ok_if "social header" "$(head -1 $S/social.csv)" = "src,dst"
ok_if "users header" "$(head -1 $S/users.csv)" = "user_id,age,gender,country,signup"
ok_if "items header" "$(head -1 $S/items.csv)" = "item_id,category,price"
ok_if "truth header" "$(head -1 $S/truth/communities.tsv)" = "$(printf 'user\tcommunity')"
ok_if "preferences header" "$(head -1 $S/truth/preferences.tsv)" = "$(printf 'community\tcategory\tweight')"
ok_if "events rows = --events" "$(wc -l <$S/events.csv)" -eq 23457
ok_if "users rows" "$(wc -l <$S/users.csv)" -eq 1235
ok_if "items rows" "$(wc -l <$S/items.csv)" -eq 322
ok_if "truth rows" "$(wc -l <$S/truth/communities.tsv)" -eq 1235
ok_if "preference rows = K x C" "$(wc -l <$S/truth/preferences.tsv)" -eq 29
ok_if "json events" "$(json_get $T/sum.json events)" -eq 23456
ok_if "json views+carts+purchases" \
	"$(( $(json_get $T/sum.json views) + $(json_get $T/sum.json carts) + $(json_get $T/sum.json purchases) ))" -eq 23456
ok_if "json social pairs" "$(json_get $T/sum.json social_pairs)" -eq "$(( $(wc -l <$S/social.csv) - 1 ))"
ok_if "user ids u000000..u001233" \
	"$(cut -d, -f1 $S/users.csv | sed 1d | grep -c '^u[0-9]\{6\}$')" -eq 1234
ok_if "user ids unique" "$(cut -d, -f1 $S/users.csv | sed 1d | sort -u | wc -l)" -eq 1234
ok_if "item ids i00000..i00320" "$(cut -d, -f1 $S/items.csv | sed 1d | grep -c '^i[0-9]\{5\}$')" -eq 321
ok_if "7 categories used" "$(cut -d, -f2 $S/items.csv | sed 1d | tr '|' '\n' | sort -u | wc -l)" -eq 7
ok_if "some items have two categories" "$(grep -c '|' $S/items.csv)" -gt 10
ok_if "4 communities, all used" "$(cut -f2 $S/truth/communities.tsv | sed 1d | sort -u | wc -l)" -eq 4
ok_if "preferences sum to 1 per community" "$(awk -F'\t' 'NR>1{s[$1]+=$3} END{for(c in s) if (s[c]<0.9999||s[c]>1.0001) bad++; print bad+0}' $S/truth/preferences.tsv)" -eq 0
# every user has an event; every event names known ids and a valid type
ok_if "every user has events" "$(cut -d, -f1 $S/events.csv | sed 1d | sort -u | wc -l)" -eq 1234
ok_if "event items are known" "$(awk -F, 'NR==FNR{if(FNR>1)k[$1]=1;next} FNR>1 && !($2 in k)' $S/items.csv $S/events.csv | wc -l)" -eq 0
ok_if "event types" "$(cut -d, -f3 $S/events.csv | sed 1d | sort -u | tr '\n' ' ')" = "cart purchase view "
# values: 0 on view, the item price on cart and purchase
ok_if "values are 0 or the price" "$(awk -F, 'NR==FNR{if(FNR>1)p[$1]=$3;next} FNR>1 && (($3=="view" && $5!="0") || ($3!="view" && $5!=p[$2]))' $S/items.csv $S/events.csv | wc -l)" -eq 0
# 2023-06-01 = 1685577600; 30 days
ok_if "timestamps within the 30 days" "$(awk -F, 'NR>1 && ($4<1685577600 || $4>=1685577600+30*86400)' $S/events.csv | wc -l)" -eq 0
ok_if "timestamps reach both ends" "$(awk -F, 'NR>1{d=int(($4-1685577600)/86400); s[d]=1} END{print length(s)}' $S/events.csv)" -eq 30
ok_if "signup before the start" "$(awk -F, 'NR>1 && $5>=1685577600' $S/users.csv | wc -l)" -eq 0
ok_if "ages 16..90" "$(awk -F, 'NR>1 && ($2<16 || $2>90)' $S/users.csv | wc -l)" -eq 0
# activity is heavy-tailed: the busiest user has > 10x the mean (19)
ok_if "heavy-tailed activity" "$(cut -d, -f1 $S/events.csv | sed 1d | uniq -c | sort -rn | head -1 | awk '{print $1}')" -gt 190
check "events-per-user" "$KITH" synth -q -o "$T/e" --users 100 --items 50 --events-per-user 7.5
ok_if "users x events-per-user events" "$(wc -l <$T/e/events.csv)" -eq 751
done_testing
