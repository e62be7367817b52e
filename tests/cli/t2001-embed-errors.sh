#!/bin/sh
# kith embed: usage and data errors and their exit statuses.
. "$top_srcdir/tests/cli/lib.sh"

printf 'a,x\na,y\nb,x\nc,z\n' >"$T/ev.csv"
check "ingest" "$KITH" ingest -q --events "$T/ev.csv" --columns user,item \
	-o "$T/s"
check_fails 1 "missing store" "$KITH" embed "$T/nope" -o "$T/e"
check_fails 2 "unknown model" "$KITH" embed "$T/s" -o "$T/e" --model nosuch
ok_if "unknown model is named" "$(grep -c "unknown model 'nosuch'" "$T/.err")" = 1
check_fails 2 "no output" "$KITH" embed "$T/s"
check_fails 2 "no store" "$KITH" embed -o "$T/e"
check_fails 2 "bad --val-ratio" "$KITH" embed "$T/s" -o "$T/e" --val-ratio 1.5
check_fails 2 "bad --dim" "$KITH" embed "$T/s" -o "$T/e" --dim 0
check_fails 2 "bad --lr" "$KITH" embed "$T/s" -o "$T/e" --lr 0
check_fails 2 "bad --layers" "$KITH" embed "$T/s" -o "$T/e" --layers 99
check_fails 2 "non-numeric --epochs" "$KITH" embed "$T/s" -o "$T/e" --epochs x
ok_if "nothing written on errors" ! -e "$T/e"

# a store with users and links but no interactions
printf 'a,b\nb,c\n' >"$T/soc.csv"
check "ingest social only" "$KITH" ingest -q --social "$T/soc.csv" -o "$T/so"
check_fails 1 "no interactions to train on" "$KITH" embed "$T/so" -o "$T/e" \
	--quiet
ok_if "message says why" "$(grep -c 'no user-item interactions' "$T/.err")" = 1
check "resume with no checkpoint starts afresh" "$KITH" embed "$T/s" \
	-o "$T/e6" --dim 4 --epochs 2 --resume -q
ok_if "and writes its output" -s "$T/e6/users.npy"

# --checkpoint-every: epochs or a time
for bad in 5x 1.5 -1 m 2mm ''; do
	check_fails 2 "--checkpoint-every '$bad'" "$KITH" embed "$T/s" \
		-o "$T/e7" --dim 4 --epochs 2 "--checkpoint-every=$bad"
done
ok_if "message names the option" "$(grep -c 'checkpoint-every' "$T/.err")" -ge 1
for good in 3 0.5s 10m 1h; do
	check "--checkpoint-every $good" "$KITH" embed "$T/s" -o "$T/e7" \
		--dim 4 --epochs 2 --checkpoint-every "$good" -q
	ok_if "finished run leaves no checkpoint ($good)" \
		! -e "$T/e7.ckpt" -a ! -e "$T/e7.ckpt.old"
done
check "gcn with a timed checkpoint" "$KITH" embed "$T/s" -o "$T/e8" \
	--model gcn --dim 4 --epochs 3 --checkpoint-every 1s -q
ok_if "gcn leaves no checkpoint" ! -e "$T/e8.ckpt"
# checkpoints of the formats before version 2 are refused by name
mkdir -p "$T/e9.ckpt"
printf '{ "format": "kith-lightgcn-checkpoint", "epoch": 3 }\n' \
	>"$T/e9.ckpt/state.json"
check_fails 1 "an older lightgcn checkpoint" "$KITH" embed "$T/s" \
	-o "$T/e9" --dim 4 --epochs 2 --resume
ok_if "the error names both versions" -n "$(grep \
	"older format kith-lightgcn-checkpoint version 1; this kith reads kith-checkpoint version 2" \
	"$T/.err")"
printf '{ "format": "kith-gcn-checkpoint", "format_version": 1 }\n' \
	>"$T/e9.ckpt/state.json"
check_fails 1 "an older gcn checkpoint" "$KITH" embed "$T/s" -o "$T/e9" \
	--model gcn --dim 4 --epochs 2 --resume
ok_if "the error names it" -n "$(grep "kith-gcn-checkpoint version 1" "$T/.err")"
ok_if "nothing written" ! -e "$T/e9"
done_testing
