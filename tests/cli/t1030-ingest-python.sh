#!/bin/sh
# numpy/scipy read every array of an ingested store with no custom code.
. "$top_srcdir/tests/cli/lib.sh"
/usr/bin/python3 -c 'import numpy, scipy.sparse' 2>/dev/null || skip_all "no numpy/scipy"
D=$top_srcdir/tests/data/ingest
check "ingest" $KITH ingest -q --comment '#' --events "$D/good.csv" --social "$D/social.tsv" -o "$T/s"
/usr/bin/python3 - "$T/s" >"$T/py.out" 2>&1 <<'PY'
import glob, sys
import numpy as np, scipy.sparse as sp
d = sys.argv[1] + "/"
for f in glob.glob(d + "*.npy"):
    np.load(f, mmap_mode="r")
n = len(np.load(d + "ui.indptr.npy")) - 1
m = len(np.load(d + "iu.indptr.npy")) - 1
ui = sp.csr_matrix((np.load(d + "ui.weight.npy"), np.load(d + "ui.indices.npy"),
                    np.load(d + "ui.indptr.npy")), shape=(n, m))
iu = sp.csr_matrix((np.load(d + "iu.weight.npy"), np.load(d + "iu.indices.npy"),
                    np.load(d + "iu.indptr.npy")), shape=(m, n))
uu = sp.csr_matrix((np.load(d + "uu.weight.npy"), np.load(d + "uu.indices.npy"),
                    np.load(d + "uu.indptr.npy")), shape=(n, n))
assert (n, m) == (6, 3)
assert ui.nnz == 4 and abs(ui - iu.T).sum() == 0
assert uu.nnz == 4 and abs(uu - uu.T).sum() == 0
assert ui.sum() == 6 + 1 + 3 + 1
print("ok")
PY
ok_if "numpy/scipy rebuild the CSR" "$(tail -1 "$T/py.out")" = ok
done_testing
