#!/bin/sh
# kith export STORE --format graphml|gexf|edgelist: the graph read back by
# networkx (GraphML, GEXF) and python-igraph (GraphML) has the store's
# users (and items) as nodes, the edges the analyses counted, and the
# community, PageRank and segment of every user; the graph and its
# parameters come from the folders' manifests; ids are escaped.
. "$top_srcdir/tests/cli/lib.sh"
PY=/usr/bin/python3
$PY -c 'import numpy, networkx' 2>/dev/null || skip_all "no numpy or networkx"

check "synth" "$KITH" synth -o "$T/shop" --users 400 --items 80 \
	--categories 6 --communities 4 --seed 7
check "ingest" "$KITH" ingest -q --events "$T/shop/events.csv" \
	--social "$T/shop/social.csv" --users "$T/shop/users.csv" \
	--items "$T/shop/items.csv" -o "$T/s"
check "communities" "$KITH" communities "$T/s" -o "$T/comm" -q
check "influence" "$KITH" influence "$T/s" -o "$T/infl" -q
check "profile" "$KITH" profile "$T/s" -o "$T/prof" -q
A="--communities $T/comm --influence $T/infl --profiles $T/prof"
check "graphml" "$KITH" export "$T/s" --format graphml $A -o "$T/g.graphml"
check "gexf" "$KITH" export "$T/s" --format gexf $A -o "$T/g.gexf"
check "edgelist" "$KITH" export "$T/s" --format edgelist -o "$T/g.tsv"
check "graphml on standard output" "$KITH" export "$T/s" --format graphml \
	$A -o -
cp "$T/.out" "$T/stdout.graphml"
ok_if "the same bytes as the file" \
	-z "$(cmp "$T/g.graphml" "$T/stdout.graphml" 2>&1)"
ok_if "no temporary file left" "$(ls "$T" | grep -c tmp)" = 0

cat >"$T/check.py" <<'PYEOF'
import sys, json, numpy as np, networkx as nx
T, fmt = sys.argv[1:3]
def ids(path):
    return [l.rstrip('\n') for l in open(path)][1:]
users = ids(T + '/s/users.tsv')
memb = np.load(T + '/comm/membership.npy')
pr = np.load(T + '/infl/influence.npy')[:, 0]
seg = {}
rows = [l.rstrip('\n').split('\t') for l in open(T + '/prof/profiles.tsv')]
col = rows[0].index('segment')
for r in rows[1:]:
    seg[r[0]] = r[col]
edges = json.load(open(T + '/comm/manifest.json'))['edges']
G = nx.read_graphml(T + '/g.graphml') if fmt == 'graphml' else \
    nx.read_gexf(T + '/g.gexf')
assert not G.is_directed()
assert G.number_of_nodes() == len(users), G.number_of_nodes()
assert G.number_of_edges() == edges, (G.number_of_edges(), edges)
assert list(G.nodes) == users
for i, u in enumerate(users):
    a = G.nodes[u]
    assert a['community'] == memb[i], (u, a, memb[i])
    assert a['pagerank'] == pr[i], (u, a['pagerank'], pr[i])
    assert a['segment'] == seg[u], (u, a, seg[u])
# the same edges as the store's undirected social links
ptr = np.load(T + '/s/uu.indptr.npy'); ind = np.load(T + '/s/uu.indices.npy')
want = {frozenset((users[u], users[v])) for u in range(len(users))
        for v in ind[ptr[u]:ptr[u + 1]] if u != v}
assert {frozenset(e) for e in G.edges} == want
# the edge list has the same edges
el = [l.rstrip('\n').split('\t') for l in open(T + '/g.tsv')]
assert el[0] == ['source', 'target', 'weight']
assert {frozenset(r[:2]) for r in el[1:]} == want and len(el) - 1 == edges
PYEOF
check "networkx reads the GraphML" $PY "$T/check.py" "$T" graphml
check "networkx reads the GEXF" $PY "$T/check.py" "$T" gexf

if $PY -c 'import igraph' 2>/dev/null; then
	cat >"$T/ig.py" <<'PYEOF'
import sys, json, numpy as np, igraph
T = sys.argv[1]
users = [l.rstrip('\n') for l in open(T + '/s/users.tsv')][1:]
g = igraph.Graph.Read_GraphML(T + '/g.graphml')
assert not g.is_directed()
assert g.vcount() == len(users)
assert g.ecount() == json.load(open(T + '/comm/manifest.json'))['edges']
assert g.vs['id'] == users
assert g.vs['community'] == np.load(T + '/comm/membership.npy').tolist()
assert g.vs['pagerank'] == np.load(T + '/infl/influence.npy')[:, 0].tolist()
# the PageRank igraph computes on the file is the one kith stored
p = g.pagerank(weights='weight')
assert max(abs(a - b) for a, b in zip(p, g.vs['pagerank'])) < 1e-9
PYEOF
	check "python-igraph reads the GraphML" $PY "$T/ig.py" "$T"
else
	echo "# no python-igraph: GraphML not read with igraph"
fi

# the graph and its parameters come from the folders' manifests
check "communities, cointeraction k 10" "$KITH" communities "$T/s" \
	--graph cointeraction -k 10 -o "$T/comm2" -q
check "graph of the communities folder" "$KITH" export "$T/s" \
	--format graphml --communities "$T/comm2" -o "$T/co.graphml"
check "influence, cointeraction k 12" "$KITH" influence "$T/s" \
	--graph cointeraction -k 12 -o "$T/infl2" -q
ok_if "influence records k" "$(json_get "$T/infl2/manifest.json" neighbours)" = 12
check "graph of the influence folder" "$KITH" export "$T/s" \
	--format gexf --influence "$T/infl2" -o "$T/co.gexf"
cat >"$T/co.py" <<'PYEOF'
import sys, json, networkx as nx
T = sys.argv[1]
for f, d in (('co.graphml', 'comm2'), ('co.gexf', 'infl2')):
    G = nx.read_graphml(T + '/' + f) if f.endswith('graphml') \
        else nx.read_gexf(T + '/' + f)
    m = json.load(open(T + '/' + d + '/manifest.json'))
    assert G.number_of_edges() == m['edges'], (f, G.number_of_edges(), m)
    assert all(w > 0 for _, _, w in G.edges(data='weight'))
PYEOF
check "the graphs the folders counted" $PY "$T/co.py" "$T"
ok_if "k 10 named in the file" -n "$(grep 'k 10' "$T/co.graphml")"
check_fails 2 "folders of different graphs need --graph" "$KITH" export \
	"$T/s" --format graphml --communities "$T/comm" --influence "$T/infl2" \
	-o "$T/x.graphml"
check "--graph chooses" "$KITH" export "$T/s" --format graphml \
	--communities "$T/comm" --influence "$T/infl2" --graph social \
	-o "$T/x.graphml"

# knn: the embeddings the communities folder names
check "embed" "$KITH" embed "$T/s" -o "$T/emb" --dim 8 --epochs 2 -q
check "communities, knn" "$KITH" communities "$T/s" --graph knn \
	--emb "$T/emb" -o "$T/comm3" -q
check "knn graph from the folder" "$KITH" export "$T/s" --format edgelist \
	--communities "$T/comm3" -o "$T/knn.tsv"
ok_if "as many edges as communities counted" \
	"$(($(wc -l <"$T/knn.tsv") - 1))" = "$(json_get "$T/comm3/manifest.json" edges)"
check_fails 2 "knn without embeddings" "$KITH" export "$T/s" \
	--format graphml --graph knn -o "$T/x.graphml"

# the user-item graph
check "user-item" "$KITH" export "$T/s" --format graphml --graph user-item \
	--communities "$T/comm" -o "$T/ui.graphml"
cat >"$T/ui.py" <<'PYEOF'
import sys, numpy as np, networkx as nx
T = sys.argv[1]
users = [l.rstrip('\n') for l in open(T + '/s/users.tsv')][1:]
items = [l.rstrip('\n') for l in open(T + '/s/items.tsv')][1:]
G = nx.read_graphml(T + '/ui.graphml')
assert G.number_of_nodes() == len(users) + len(items)
assert G.number_of_edges() == len(np.load(T + '/s/ui.indices.npy'))
assert sum(1 for _, t in G.nodes(data='type') if t == 'item') == len(items)
assert 'community' in G.nodes['u:' + users[0]]
assert 'community' not in G.nodes['i:' + items[0]]
w = np.load(T + '/s/ui.weight.npy'); ptr = np.load(T + '/s/ui.indptr.npy')
ind = np.load(T + '/s/ui.indices.npy')
e = ptr[1]
assert G.edges['u:' + users[1], 'i:' + items[ind[e]]]['weight'] == w[e]
PYEOF
check "user-item read back" $PY "$T/ui.py" "$T"

# directed links stay directed; awkward ids are escaped
printf 'src,dst\n"a&b","<x>"\n"<x>","q""uote"\n"tab\there",a&b\n"l\nf",a&b\nplain,"q""uote"\n"it'"'"'s",plain\n' \
	>"$T/soc.csv"
check "ingest directed links" "$KITH" ingest -q --social "$T/soc.csv" \
	--directed -o "$T/d"
check "graphml of directed links" "$KITH" export "$T/d" --format graphml \
	-o "$T/d.graphml"
check "gexf of directed links" "$KITH" export "$T/d" --format gexf \
	-o "$T/d.gexf"
check "edge list of directed links" "$KITH" export "$T/d" \
	--format edgelist -o "$T/d.tsv"
cat >"$T/d.py" <<'PYEOF'
import sys, networkx as nx
T = sys.argv[1]
want = [('a&b', '<x>'), ('<x>', 'q"uote'), ('tab\there', 'a&b'),
        ('l\nf', 'a&b'), ('plain', 'q"uote'), ("it's", 'plain')]
for G in (nx.read_graphml(T + '/d.graphml'), nx.read_gexf(T + '/d.gexf')):
    assert G.is_directed()
    assert sorted(G.edges) == sorted(want), sorted(G.edges)
el = [l.rstrip('\n').split('\t') for l in open(T + '/d.tsv')][1:]
assert sorted((a, b) for a, b, w in el) == sorted(
    (a.replace('\t', '\\t').replace('\n', '\\n'),
     b.replace('\t', '\\t').replace('\n', '\\n')) for a, b in want)
PYEOF
check "ids round trip through XML and the edge list" $PY "$T/d.py" "$T"
if $PY -c 'import igraph' 2>/dev/null; then
	# igraph 0.10's reader (libxml2 without entity substitution) gives
	# an & of an XML attribute back as its reference &#38;
	check "python-igraph reads the escaped ids" $PY -c "
import igraph, sys
g = igraph.Graph.Read_GraphML('$T/d.graphml')
assert g.is_directed() and g.ecount() == 6
assert sorted(i.replace('&#38;', '&') for i in g.vs['id']) == sorted(['a&b', '<x>', 'q\"uote', 'tab\there', 'l\nf', 'plain', \"it's\"])
"
fi

# errors
check_fails 2 "unknown graph" "$KITH" export "$T/s" --format graphml \
	--graph friends -o "$T/x.graphml"
check_fails 2 "--what is for embeddings" "$KITH" export "$T/s" \
	--format graphml --what users -o "$T/x.graphml"
check_fails 2 "--communities is for graphs" "$KITH" export "$T/emb" \
	--format npy --communities "$T/comm" -o "$T/x.npy"
check_fails 1 "a folder of another store" "$KITH" export "$T/d" \
	--format graphml --communities "$T/comm" -o "$T/x.graphml"
ok_if "the message says so" -n "$(grep 'this store' "$T/.err")"
check "a store without links" "$KITH" ingest -q \
	--events "$T/shop/events.csv" -o "$T/e"
check_fails 1 "social graph of a store without links" "$KITH" export \
	"$T/e" --format graphml --graph social -o "$T/x.graphml"
check "without links, the co-interaction graph by default" "$KITH" export \
	"$T/e" --format edgelist -o "$T/e.tsv"
ok_if "named so" -n "$(grep 'cointeraction graph' "$T/.err")"
check_fails 1 "not a communities folder" "$KITH" export "$T/s" \
	--format graphml --communities "$T/infl" -o "$T/x.graphml"
check_fails 1 "unwritable output" "$KITH" export "$T/s" --format graphml \
	-o "$T/no/dir/x.graphml"
done_testing
