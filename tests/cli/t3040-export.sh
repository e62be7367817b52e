#!/bin/sh
# kith export: every format read back with numpy (and gensim when it is
# installed) and compared with the embedding arrays; ids from the store,
# in an ids file beside npy and fvecs; standard output for the formats
# that are one stream.
. "$top_srcdir/tests/cli/lib.sh"
PY=/usr/bin/python3
$PY -c 'import numpy' 2>/dev/null || skip_all "no numpy"

printf 'user,item\nalice,book\nbob,book\nbob,pen\ncarol,ink\n' >"$T/ev.csv"
check "ingest" $KITH ingest --events "$T/ev.csv" -o "$T/s" -q
$PY - "$T/s" "$T/e" <<'PYEOF'
import sys, os, json, numpy as np
s, out = sys.argv[1:3]
r = np.random.default_rng(2)
os.makedirs(out, exist_ok=True)
np.save(out + '/users.npy', r.standard_normal((3, 5)).astype(np.float32))
np.save(out + '/items.npy', r.standard_normal((3, 5)).astype(np.float32))
json.dump({"format": "kith-emb", "dim": 5, "store": os.path.abspath(s)}, open(out + '/manifest.json', 'w'))
PYEOF
for f in npy w2v w2v-bin fvecs projector; do
	mkdir -p "$T/$f"
	check "export $f (both)" $KITH export "$T/e" --format $f --what both -o "$T/$f/out.$f"
done
check "w2v on standard output" $KITH export "$T/e" --format w2v --what both -o -
ok_if "the same bytes as the file" -z "$(cmp "$T/.out" "$T/w2v/out.w2v" 2>&1)"
for f in npy fvecs projector serving; do
	check_fails 2 "$f refuses standard output" $KITH export "$T/e" --format $f -o -
done
ok_if "no file named -" ! -e ./-
check "export w2v users only" $KITH export "$T/e" --format w2v -o "$T/users.w2v"
check "export items with --store" $KITH export "$T/e" --format fvecs --what items --store "$T/s" -o "$T/items.fvecs"
check "export users as npy" $KITH export "$T/e" --format npy -o "$T/users.npy"
check "an ids file without a known ending" $KITH export "$T/e" --format fvecs -o "$T/vec"
cat >"$T/check.py" <<'PYEOF'
import sys, struct, numpy as np
T, s, e = sys.argv[1:4]
U = np.load(e + '/users.npy'); V = np.load(e + '/items.npy')
users = [l.rstrip('\n') for l in open(s + '/users.tsv')][1:]
items = [l.rstrip('\n') for l in open(s + '/items.tsv')][1:]
names = ['u:' + u for u in users] + ['i:' + i for i in items]
A = np.vstack([U, V])
# npy + ids: header, then name and type
X = np.load(T + '/npy/out.npy')
assert X.dtype == np.float32 and (X == A).all()
both = ['id\ttype'] + [n + '\t' + t for n, t in zip(names, ['user'] * 3 + ['item'] * 3)]
assert open(T + '/npy/out.ids.tsv').read().split('\n')[:-1] == both
assert open(T + '/fvecs/out.ids.tsv').read().split('\n')[:-1] == both
assert (np.load(T + '/users.npy') == U).all()
assert open(T + '/users.ids.tsv').read().split('\n')[:-1] == ['user'] + users
assert open(T + '/items.ids.tsv').read().split('\n')[:-1] == ['item'] + items
assert open(T + '/vec.ids.tsv').read().split('\n')[:-1] == ['user'] + users
# word2vec text
l = open(T + '/w2v/out.w2v').read().split('\n')
assert l[0] == '6 5' and l[-1] == ''
for i, row in enumerate(l[1:-1]):
    f = row.split(' ')
    assert f[0] == names[i], f[0]
    assert (np.array(f[1:], np.float32) == A[i]).all()
l = open(T + '/users.w2v').read().split('\n')
assert l[0] == '3 5' and [r.split(' ')[0] for r in l[1:-1]] == users
# word2vec binary, parsed as gensim does
b = open(T + '/w2v-bin/out.w2v-bin', 'rb').read()
head, rest = b.split(b'\n', 1)
assert head == b'6 5'
p = 0
for i in range(6):
    sp = rest.index(b' ', p)
    assert rest[p:sp].decode() == names[i]
    v = np.frombuffer(rest[sp + 1:sp + 1 + 20], '<f4')
    assert (v == A[i]).all()
    assert rest[sp + 21:sp + 22] == b'\n'
    p = sp + 22
assert p == len(rest)
# fvecs as faiss reads it
raw = np.fromfile(T + '/fvecs/out.fvecs', dtype='<i4').reshape(6, 6)
assert (raw[:, 0] == 5).all()
assert (raw[:, 1:].view('<f4') == A).all()
raw = np.fromfile(T + '/items.fvecs', dtype='<i4').reshape(3, 6)
assert (raw[:, 1:].view('<f4') == V).all()
# projector
P = np.loadtxt(T + '/projector/out.projector/vectors.tsv', delimiter='\t', dtype=np.float32)
assert (P == A).all()
m = [l.rstrip('\n').split('\t') for l in open(T + '/projector/out.projector/metadata.tsv')]
assert m[0] == ['id', 'type'] and [r[0] for r in m[1:]] == names
assert [r[1] for r in m[1:]] == ['user'] * 3 + ['item'] * 3
try:
    from gensim.models import KeyedVectors
except ImportError:
    print('# no gensim'); sys.exit(0)
for path, binary in ((T + '/w2v/out.w2v', False), (T + '/w2v-bin/out.w2v-bin', True)):
    kv = KeyedVectors.load_word2vec_format(path, binary=binary)
    for i, n in enumerate(names):
        assert (kv[n] == A[i]).all()
PYEOF
check "all formats read back exactly" $PY "$T/check.py" "$T" "$T/s" "$T/e"
ok_if "no temporary file left" "$(find "$T" -name '*tmp*' | wc -l)" = 0

check_fails 2 "unknown format" $KITH export "$T/e" --format csv -o "$T/x"
check_fails 2 "bad --what" $KITH export "$T/e" --format w2v --what all -o "$T/x"
check_fails 2 "missing -o" $KITH export "$T/e" --format w2v
check_fails 2 "bad option" $KITH export "$T/e" --format w2v -o "$T/x" --bogus
check_fails 1 "missing embedding folder" $KITH export "$T/none" --format w2v -o "$T/x"
ok_if "message names the folder" -n "$(grep none "$T/.err")"
check_fails 1 "unwritable output" $KITH export "$T/e" --format w2v -o "$T/no/dir/x"
done_testing
