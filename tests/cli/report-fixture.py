#!/usr/bin/python3
"""Fixture folders for the kith report tests, written by hand following the
output formats of kith embed / communities (manifest.json + npy + TSV).

  report-fixture.py emb STORE COMM OUT DIM
      EMB/ (format kith-emb): users.npy = one-hot of the user's community in
      COMM/membership.npy (-1: all zero) scaled by 3, plus N(0, 1) noise
      (seed 1), items.npy 0 x DIM; manifest with a "curve" of 12 epochs
      (loss falls as 1/epoch, metrics.recall@20 rises) and a malformed entry
      the report must skip.
  report-fixture.py comm STORE OUT SIZE...
      COMM/ (format kith-communities): users 0.. in communities 0.. of the
      given sizes, the rest -1; communities.tsv with names that need HTML
      escaping.
"""
import json
import os
import sys

import numpy as np


def store_info(store):
    m = json.load(open(os.path.join(store, "manifest.json")))
    with open(os.path.join(store, "users.tsv")) as f:
        n = sum(1 for _ in f) - 1
    return m, n


def manifest(fmt, store, created, extra):
    d = {"format": fmt, "format_version": 1, "kith_version": "fixture",
         "created": "2026-01-01T00:00:00Z", "arrays": {}, "store": store,
         "store_created": created}
    d.update(extra)
    return d


def emb(store, comm, out, dim):
    m, n = store_info(store)
    lab = np.load(os.path.join(comm, "membership.npy"))
    assert lab.shape == (n,)
    rng = np.random.default_rng(1)
    u = rng.standard_normal((n, dim)).astype(np.float32)
    for i in range(n):
        if lab[i] >= 0:
            u[i, lab[i] % dim] += 3.0
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "users.npy"), u)
    np.save(os.path.join(out, "items.npy"), np.zeros((0, dim), np.float32))
    curve = [{"epoch": e, "loss": 1.0 / e,
              "metrics": {"recall@20": 0.3 - 0.2 / e}} for e in range(1, 13)]
    curve.append("not an object")
    man = manifest("kith-emb", store, m.get("created"),
                   {"model": "fixture", "dim": dim, "curve": curve})
    json.dump(man, open(os.path.join(out, "manifest.json"), "w"), indent=1)


def comm(store, out, sizes):
    m, n = store_info(store)
    assert sum(sizes) <= n
    lab = np.full(n, -1, np.int32)
    at = 0
    for c, s in enumerate(sizes):
        lab[at:at + s] = c
        at += s
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "membership.npy"), lab)
    with open(os.path.join(store, "users.tsv")) as f:
        ids = [line.rstrip("\n").split("\t")[0] for line in f][1:]
    with open(os.path.join(out, "membership.tsv"), "w") as f:
        f.write("user\tcommunity\n")
        for i in range(n):
            f.write("%s\t%s\n" % (ids[i], lab[i] if lab[i] >= 0 else ""))
    with open(os.path.join(out, "communities.tsv"), "w") as f:
        f.write("community\tsize\tinternal_density\tconductance\t"
                "top_categories\ttop_items\tmean_rfm\tcentral_members\n")
        for c, s in enumerate(sizes):
            f.write("%d\t%d\t0.5\t0.25\t<b>&cat%d</b>|x\"y'\ti1|i2\t3.5\t%s\n"
                    % (c, s, c, ids[sum(sizes[:c])]))
    man = manifest("kith-communities", store, m.get("created"),
                   {"method": "fixture", "graph": "social", "resolution": 1.0,
                    "modularity": 0.5, "communities": len(sizes)})
    json.dump(man, open(os.path.join(out, "manifest.json"), "w"), indent=1)


if __name__ == "__main__":
    if sys.argv[1] == "emb":
        emb(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif sys.argv[1] == "comm":
        comm(sys.argv[2], sys.argv[3], [int(x) for x in sys.argv[4:]])
    else:
        sys.exit("usage: report-fixture.py emb|comm ...")
