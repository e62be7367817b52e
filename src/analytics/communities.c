/*
 * Community detection on an undirected user–user graph (igraph), the
 * per-community summary, and the comparison with a reference partition.
 *
 * Detection runs over the users with at least one edge (the others get
 * membership -1).  Modularity with resolution γ of a partition C of a
 * graph with weights A, strengths k and 2m = Σ k is
 *     Q = 1/(2m) Σ_ij (A_ij − γ k_i k_j / (2m)) δ(c_i, c_j).
 * igraph's Leiden maximises Σ_ij (A_ij − γ' n_i n_j) δ(c_i, c_j) for node
 * weights n; with n = k and γ' = γ / (2m) that is 2m·Q, so Leiden is run
 * that way (beta 0.01, iterated until an iteration changes nothing).
 * Louvain is igraph's multilevel method (best level); labelprop igraph's
 * label propagation (weights used, γ ignored).  On large graphs (at least
 * KITH_COMM_DENOISE_MIN users with an edge; see community.h) Leiden and
 * Louvain run on diffusion-reweighted links: each user gets a 16-d
 * vector, 16 random normals smoothed by 10 steps of X <- D^-1 A X minus
 * its degree-weighted mean, and link (u,v) the weight w (max(0, cos(x_u,
 * x_v)) + 0.001); links between communities then nearly vanish, where
 * greedy moves on the raw links of a big sparse graph merge communities
 * (1M users, 8 planted: NMI 0.50 raw, 1.00 denoised).  Cost
 * O(10 · 16 · nnz).  Communities are then
 * renumbered by decreasing size.  The modularity reported is
 * igraph_modularity() of the final membership.  Cost: near-linear in the
 * edges per iteration (Leiden/Louvain).
 *
 * Warm start (kith_comm_params.init_membership): old users keep their
 * initial community; users without one take, level by level of a
 * breadth-first search from the labelled users, the label of largest
 * link weight among their neighbours of a lower level (O(n + nnz)); the
 * unreached start alone.  Leiden then runs from that partition
 * (igraph's start = true: the local moves, refinement and aggregation
 * start from it, so its quality never drops below the start's on the
 * graph it optimises); labelprop starts from that labelling.  Louvain
 * (igraph's multilevel) cannot start from a partition.  Kept users are
 * counted through the majority map initial -> final community (sort of
 * the (initial, final) pairs, O(n log n)).
 *
 * Summary of community C (vol = Σ_{u∈C} k_u, w_in = weight inside C):
 *   internal_density = internal edges / (|C| (|C|−1) / 2)  (0 if |C| < 2)
 *   conductance      = (vol − 2 w_in) / min(vol, 2m − vol) (0 if 0/0)
 *   top_categories   = the 3 categories with most interactions of members
 *                      (an item in two categories counts for both)
 *   top_items        = the 5 items with most members who interacted
 *   central members  = the 5 members of highest strength inside C
 *   mean_rfm         = means of rfm_r, rfm_f, rfm_m over members that
 *                      have them (from a profile folder)
 * Ties are broken by the lower index.  O(nnz(g) + nnz(ui) · cats/item).
 *
 * Comparison: NMI (igraph, Danon et al.: 2 I(X;Y) / (H(X) + H(Y))) and
 * the adjusted Rand index over the users of the reference; users without
 * a community count as singletons.
 */
#include "config.h"

#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <string.h>

#include "kith/community.h"
#include "kith/core.h"
#include "kith/csv.h"
#include "kith/io.h"
#include "kith/store.h"

gboolean
kith_comm_method_parse(enum kith_comm_method *out, const char *name)
{
	if (strcmp(name, "leiden") == 0)
		*out = KITH_COMM_LEIDEN;
	else if (strcmp(name, "louvain") == 0 || strcmp(name, "multilevel") == 0)
		*out = KITH_COMM_LOUVAIN;
	else if (strcmp(name, "labelprop") == 0)
		*out = KITH_COMM_LABELPROP;
	else
		return FALSE;
	return TRUE;
}

const char *
kith_comm_method_name(enum kith_comm_method m)
{
	switch (m) {
	case KITH_COMM_LEIDEN:
		return "leiden";
	case KITH_COMM_LOUVAIN:
		return "louvain";
	case KITH_COMM_LABELPROP:
		return "labelprop";
	}
	return "?";
}

void
kith_comm_result_clear(struct kith_comm_result *r)
{
	g_free(r->membership);
	memset(r, 0, sizeof(*r));
}

/* vmap[u] = vertex of u among the users with an edge (other than a
 * self-loop), -1 otherwise.  Returns the vertex count or -1 (error). */
static int64_t
edge_users(int64_t **vmap_out, const struct kith_csr *g, GError **error)
{
	int64_t *vmap = kith_alloc_n((size_t)g->n_rows + 1, sizeof(int64_t),
	                             error);
	int64_t u, e, nv = 0;

	if (vmap == NULL)
		return -1;
	for (u = 0; u < g->n_rows; u++) {
		vmap[u] = -1;
		for (e = g->indptr[u]; e < g->indptr[u + 1]; e++) {
			if (g->indices[e] != u) {
				vmap[u] = nv++;
				break;
			}
		}
	}
	*vmap_out = vmap;
	return nv;
}

struct size_rank {
	int64_t size;
	int64_t first;
	int64_t label;
};

static int
size_rank_cmp(const void *pa, const void *pb)
{
	const struct size_rank *a = pa, *b = pb;

	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	return (a->first > b->first) - (a->first < b->first);
}

/* Renumbers labels 0..nl-1 of the vertices by decreasing size. */
static gboolean
renumber(int32_t *membership, int64_t n_users, const int64_t *vmap,
         const igraph_vector_int_t *memb, int64_t *n_comm, GError **error)
{
	int64_t nv = igraph_vector_int_size(memb), nl = 0, u, c;
	g_autofree struct size_rank *r = NULL;
	g_autofree int32_t *map = NULL;

	for (u = 0; u < nv; u++)
		if (VECTOR(*memb)[u] + 1 > nl)
			nl = VECTOR(*memb)[u] + 1;
	r = kith_alloc0_n((size_t)nl + 1, sizeof(*r), error);
	map = r ? kith_alloc_n((size_t)nl + 1, sizeof(int32_t), error) : NULL;
	if (map == NULL)
		return FALSE;
	for (c = 0; c < nl; c++) {
		r[c].label = c;
		r[c].first = INT64_MAX;
	}
	for (u = 0; u < n_users; u++) {
		if (vmap[u] < 0)
			continue;
		c = VECTOR(*memb)[vmap[u]];
		if (r[c].size++ == 0)
			r[c].first = u;
	}
	qsort(r, (size_t)nl, sizeof(*r), size_rank_cmp);
	*n_comm = 0;
	for (c = 0; c < nl; c++) {
		map[r[c].label] = (int32_t)c;
		if (r[c].size > 0)
			(*n_comm)++;
	}
	for (u = 0; u < n_users; u++)
		membership[u] = vmap[u] < 0 ? -1 : map[VECTOR(*memb)[vmap[u]]];
	return TRUE;
}

/* Diffusion embedding of the vertices of the symmetric graph g: X_0 has
 * KITH_COMM_DENOISE_DIMS standard normal columns (row u from kith_rng
 * stream u, so any thread count gives the same X), then `steps` times
 * X <- D^-1 A X (A the weights, D the strengths) with the degree-weighted
 * column mean removed (the constant vector is the trivial eigenvector).
 * Rows are then scaled to unit length (zero rows stay zero).  Returns
 * n x dims floats (g_free) or NULL.  No allocation inside the parallel
 * loops.  O(steps nnz dims), OpenMP over rows. */
static float *
diffusion_embed(const struct kith_csr *g, int steps, uint64_t seed,
                GError **error)
{
	/* a constant width lets the compiler vectorise the row sums */
	enum { dims = KITH_COMM_DENOISE_DIMS };
	int64_t n = g->n_rows;
	g_autofree float *x = NULL, *y = NULL;
	g_autofree double *str = NULL, *mean = NULL;
	double tot = 0;

	if ((x = kith_alloc_n((size_t)n * dims + 1, sizeof(float), error)) == NULL ||
	    (y = kith_alloc_n((size_t)n * dims + 1, sizeof(float), error)) == NULL ||
	    (str = kith_alloc_n((size_t)n + 1, sizeof(double), error)) == NULL ||
	    (mean = kith_alloc_n((size_t)dims, sizeof(double), error)) == NULL)
		return NULL;
#pragma omp parallel for schedule(static)
	for (int64_t u = 0; u < n; u++) {
		struct kith_rng r;
		double sw = 0;
		kith_rng_seed(&r, seed, 0x646966667573ULL ^ (uint64_t)u << 8);
		for (int j = 0; j < dims; j++)
			x[(size_t)u * dims + j] = (float)kith_rng_normal(&r);
		for (int64_t e = g->indptr[u]; e < g->indptr[u + 1]; e++)
			if (g->indices[e] != u)
				sw += g->values ? g->values[e] : 1.0;
		str[u] = sw;
	}
	for (int64_t u = 0; u < n; u++)
		tot += str[u];
	for (int it = 0; it < steps; it++) {
#pragma omp parallel for schedule(dynamic, 1024)
		for (int64_t u = 0; u < n; u++) {
			float acc[dims];
			float *yu = y + (size_t)u * dims;
			for (int j = 0; j < dims; j++)
				acc[j] = 0;
			for (int64_t e = g->indptr[u]; e < g->indptr[u + 1]; e++) {
				int32_t v = g->indices[e];
				float w = g->values ? g->values[e] : 1.0f;
				const float *xv = x + (size_t)v * dims;
				if (v == u)
					continue;
				for (int j = 0; j < dims; j++)
					acc[j] += w * xv[j];
			}
			for (int j = 0; j < dims; j++)
				yu[j] = str[u] > 0 ? (float)(acc[j] / str[u]) : 0.0f;
		}
		/* degree-weighted mean, summed in row order (deterministic) */
		for (int j = 0; j < dims; j++)
			mean[j] = 0;
		for (int64_t u = 0; u < n; u++)
			for (int j = 0; j < dims; j++)
				mean[j] += str[u] * y[(size_t)u * dims + j];
		for (int j = 0; j < dims; j++)
			mean[j] = tot > 0 ? mean[j] / tot : 0;
#pragma omp parallel for schedule(static)
		for (int64_t u = 0; u < n; u++)
			for (int j = 0; j < dims; j++)
				y[(size_t)u * dims + j] -= (float)mean[j];
		{
			float *t = x;
			x = y;
			y = t;
		}
	}
#pragma omp parallel for schedule(static)
	for (int64_t u = 0; u < n; u++) {
		float *xu = x + (size_t)u * dims;
		double nn = 0;
		for (int j = 0; j < dims; j++)
			nn += (double)xu[j] * xu[j];
		nn = nn > 0 ? 1.0 / sqrt(nn) : 0.0;
		for (int j = 0; j < dims; j++)
			xu[j] = (float)(xu[j] * nn);
	}
	return g_steal_pointer(&x);
}

gboolean
kith_comm_denoise_auto(int64_t n_vertices)
{
	return n_vertices >= KITH_COMM_DENOISE_MIN;
}

gboolean
kith_communities_detect(struct kith_comm_result *out,
                        const struct kith_csr *g,
                        enum kith_comm_method method, double resolution,
                        uint64_t seed, GError **error)
{
	return kith_communities_detect_full(out, g, method, resolution, seed,
	                                    -1, error);
}

void
kith_comm_params_init(struct kith_comm_params *p)
{
	memset(p, 0, sizeof(*p));
	p->method = KITH_COMM_LEIDEN;
	p->resolution = 1.0;
	p->denoise = -1;
}

gboolean
kith_communities_detect_full(struct kith_comm_result *out,
                             const struct kith_csr *g,
                             enum kith_comm_method method,
                             double resolution, uint64_t seed, int denoise,
                             GError **error)
{
	struct kith_comm_params p;

	kith_comm_params_init(&p);
	p.method = method;
	p.resolution = resolution;
	p.seed = seed;
	p.denoise = denoise;
	return kith_communities_detect_params(out, g, &p, error);
}

/* The warm-start partition of the nv vertices into memb (labels dense
 * 0..k-1 by first vertex), and the counts warm_previous, warm_new,
 * warm_new_joined, warm_new_singleton of out.  dense_init[u] (u <
 * n_init) gets u's initial label made dense (-1: none or no edge), for
 * the kept count.  See the banner for the rule. */
static gboolean
warm_init(igraph_vector_int_t *memb, int32_t *dense_init,
          struct kith_comm_result *out, const struct kith_csr *g,
          const int64_t *vmap, const int32_t *init, int64_t n_init,
          GError **error)
{
	int64_t n = g->n_rows, u, e, head = 0, tail = 0, nl = 0;
	g_autofree int64_t *lab = NULL, *lev = NULL, *queue = NULL;
	g_autofree int64_t *imap = NULL, *touched = NULL, *dense = NULL;
	g_autofree double *acc = NULL;

	if ((lab = kith_alloc_n((size_t)n + 1, sizeof(int64_t), error)) == NULL ||
	    (lev = kith_alloc_n((size_t)n + 1, sizeof(int64_t), error)) == NULL ||
	    (queue = kith_alloc_n((size_t)n + 1, sizeof(int64_t), error)) == NULL ||
	    (imap = kith_alloc_n((size_t)n_init + 1, sizeof(int64_t), error)) == NULL ||
	    (touched = kith_alloc_n((size_t)n + 1, sizeof(int64_t), error)) == NULL ||
	    (acc = kith_alloc0_n((size_t)n + 1, sizeof(double), error)) == NULL ||
	    (dense = kith_alloc_n((size_t)n + 1, sizeof(int64_t), error)) == NULL)
		return FALSE;
	/* initial labels made dense (0..nl-1, by first user) */
	for (u = 0; u < n_init; u++)
		imap[u] = -1;
	for (u = 0; u < n; u++) {
		int32_t c = u < n_init ? init[u] : -1;
		lab[u] = -1;
		lev[u] = -1;
		if (u < n_init)
			dense_init[u] = -1;
		if (c >= n_init) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
			            "initial community %d of user %" G_GINT64_FORMAT
			            " is not below the %" G_GINT64_FORMAT " users "
			            "of the initial partition", (int)c, u, n_init);
			return FALSE;
		}
		if (vmap[u] < 0 || c < 0)
			continue;
		if (imap[c] < 0)
			imap[c] = nl++;
		lab[u] = imap[c];
		dense_init[u] = (int32_t)imap[c];
		lev[u] = 0;
		queue[tail++] = u;
		out->warm_previous++;
	}
	/* breadth-first levels from the labelled users */
	while (head < tail) {
		u = queue[head++];
		for (e = g->indptr[u]; e < g->indptr[u + 1]; e++) {
			int32_t v = g->indices[e];
			if (v != u && vmap[v] >= 0 && lev[v] < 0) {
				lev[v] = lev[u] + 1;
				queue[tail++] = v;
			}
		}
	}
	/* in BFS order every neighbour of a lower level is labelled */
	for (head = out->warm_previous; head < tail; head++) {
		int64_t nt = 0, best = -1;
		double bw = 0;
		u = queue[head];
		for (e = g->indptr[u]; e < g->indptr[u + 1]; e++) {
			int32_t v = g->indices[e];
			int64_t c;
			if (v == u || lev[v] < 0 || lev[v] >= lev[u])
				continue;
			c = lab[v];
			if (acc[c] == 0)
				touched[nt++] = c;
			acc[c] += g->values ? MAX(g->values[e], 1e-300) : 1.0;
		}
		for (int64_t j = 0; j < nt; j++) {
			int64_t c = touched[j];
			if (best < 0 || acc[c] > bw || (acc[c] == bw && c < best)) {
				best = c;
				bw = acc[c];
			}
			acc[c] = 0;
		}
		lab[u] = best;
		out->warm_new_joined++;
	}
	for (u = 0; u < n; u++) {
		if (vmap[u] >= 0 && lab[u] < 0) {
			lab[u] = nl++;
			out->warm_new_singleton++;
		}
	}
	out->warm_new = out->warm_new_joined + out->warm_new_singleton;
	/* dense by first vertex: igraph's label propagation wants < nv */
	for (int64_t c = 0; c < nl; c++)
		dense[c] = -1;
	nl = 0;
	for (u = 0; u < n; u++) {
		if (vmap[u] < 0)
			continue;
		if (dense[lab[u]] < 0)
			dense[lab[u]] = nl++;
		VECTOR(*memb)[vmap[u]] = dense[lab[u]];
	}
	return TRUE;
}

struct pair64 {
	int64_t a, b;
};

static int
pair64_cmp(const void *pa, const void *pb)
{
	const struct pair64 *x = pa, *y = pb;

	if (x->a != y->a)
		return (x->a > y->a) - (x->a < y->a);
	return (x->b > y->b) - (x->b < y->b);
}

/* warm_kept / warm_changed: majority map initial -> final community. */
static gboolean
warm_kept(struct kith_comm_result *out, const int32_t *dense_init,
          int64_t n_init, GError **error)
{
	g_autofree struct pair64 *p = NULL;
	int64_t k = 0, i = 0;

	p = kith_alloc_n((size_t)out->warm_previous + 1, sizeof(*p), error);
	if (p == NULL)
		return FALSE;
	for (int64_t u = 0; u < n_init; u++) {
		if (dense_init[u] < 0 || out->membership[u] < 0)
			continue;
		p[k].a = dense_init[u];
		p[k].b = out->membership[u];
		k++;
	}
	qsort(p, (size_t)k, sizeof(*p), pair64_cmp);
	out->warm_kept = 0;
	while (i < k) {
		int64_t best = 0, j = i;
		while (j < k && p[j].a == p[i].a) {
			int64_t r = j;
			while (r < k && p[r].a == p[j].a && p[r].b == p[j].b)
				r++;
			if (r - j > best)
				best = r - j;
			j = r;
		}
		out->warm_kept += best;
		i = j;
	}
	out->warm_changed = k - out->warm_kept;
	return TRUE;
}

gboolean
kith_communities_detect_params(struct kith_comm_result *out,
                               const struct kith_csr *g,
                               const struct kith_comm_params *p,
                               GError **error)
{
	enum kith_comm_method method = p->method;
	double resolution = p->resolution;
	uint64_t seed = p->seed;
	int denoise = p->denoise;
	g_autofree int32_t *dense_init = NULL;
	igraph_vector_t w2, *wp;
	gboolean have_w2 = FALSE;
	g_autofree int64_t *vmap = NULL;
	igraph_t graph;
	igraph_vector_t w, strength;
	igraph_vector_int_t memb;
	igraph_integer_t nb = 0;
	igraph_real_t quality = 0, q = 0, total = 0;
	igraph_error_t rc;
	gboolean ok = FALSE;
	int64_t nv;

	memset(out, 0, sizeof(*out));
	if (g->n_rows != g->n_cols) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "user graph is not square");
		return FALSE;
	}
	if (!(resolution > 0) || !isfinite(resolution)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "resolution must be positive");
		return FALSE;
	}
	if (p->init_membership) {
		if (p->n_init < 0 || p->n_init > g->n_rows) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "the initial partition has %" G_GINT64_FORMAT
			            " users, the graph %" G_GINT64_FORMAT,
			            p->n_init, g->n_rows);
			return FALSE;
		}
		if (method == KITH_COMM_LOUVAIN) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "louvain cannot start from a partition; use "
			            "leiden or labelprop");
			return FALSE;
		}
	}
	nv = edge_users(&vmap, g, error);
	if (nv < 0)
		return FALSE;
	if (nv == 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "the user graph has no edge");
		return FALSE;
	}
	out->membership = kith_alloc_n((size_t)g->n_rows + 1, sizeof(int32_t),
	                               error);
	if (out->membership == NULL)
		return FALSE;
	out->n_users = g->n_rows;
	out->n_in_graph = nv;
	if (!kith_igraph_from_csr(&graph, &w, g, FALSE, vmap, nv, error))
		goto out_nograph;
	if (!kith_igraph_ok(igraph_vector_int_init(&memb, nv), "igraph vector",
	                    error))
		goto out_graph;
	if (!kith_igraph_ok(igraph_vector_init(&strength, nv), "igraph vector",
	                    error))
		goto out_memb;
	rc = igraph_strength(&graph, &strength, igraph_vss_all(), IGRAPH_ALL,
	                     IGRAPH_LOOPS, &w);
	if (!kith_igraph_ok(rc, "igraph strength", error))
		goto out_all;
	total = igraph_vector_sum(&strength);
	out->total_weight = total / 2;
	out->n_edges = igraph_ecount(&graph);
	wp = &w;
	if (denoise < 0)
		denoise = kith_comm_denoise_auto(nv) && method != KITH_COMM_LABELPROP;
	out->denoised = denoise > 0;
	if (denoise > 0) {
		/* w2(u,v) = w(u,v) (max(0, cos(x_u, x_v)) + 1e-3) from the
		 * diffusion embedding; the strengths become those of w2. */
		g_autofree float *x = diffusion_embed(g, KITH_COMM_DENOISE_STEPS,
		                                      seed, error);
		g_autofree int64_t *inv = NULL;
		int64_t ne = igraph_ecount(&graph);
		if (x == NULL)
			goto out_all;
		inv = kith_alloc_n((size_t)nv + 1, sizeof(int64_t), error);
		if (inv == NULL)
			goto out_all;
		for (int64_t u = 0; u < g->n_rows; u++)
			if (vmap[u] >= 0)
				inv[vmap[u]] = u;
		if (!kith_igraph_ok(igraph_vector_init(&w2, ne), "igraph vector",
		                    error))
			goto out_all;
		have_w2 = TRUE;
#pragma omp parallel for schedule(static)
		for (int64_t k = 0; k < ne; k++) {
			const float *xa = x + (size_t)inv[IGRAPH_FROM(&graph, k)] *
			                  KITH_COMM_DENOISE_DIMS;
			const float *xb = x + (size_t)inv[IGRAPH_TO(&graph, k)] *
			                  KITH_COMM_DENOISE_DIMS;
			double c = 0;
			for (int j = 0; j < KITH_COMM_DENOISE_DIMS; j++)
				c += (double)xa[j] * xb[j];
			VECTOR(w2)[k] = VECTOR(w)[k] * (MAX(c, 0.0) + 1e-3);
		}
		rc = igraph_strength(&graph, &strength, igraph_vss_all(),
		                     IGRAPH_ALL, IGRAPH_LOOPS, &w2);
		if (!kith_igraph_ok(rc, "igraph strength", error))
			goto out_all;
		total = igraph_vector_sum(&strength);
		wp = &w2;
	}
	if (p->init_membership) {
		out->warm = TRUE;
		dense_init = kith_alloc_n((size_t)p->n_init + 1, sizeof(int32_t),
		                          error);
		if (dense_init == NULL ||
		    !warm_init(&memb, dense_init, out, g, vmap, p->init_membership,
		               p->n_init, error))
			goto out_all;
		rc = igraph_modularity(&graph, &memb, &w, 1.0, FALSE, &q);
		if (!kith_igraph_ok(rc, "igraph modularity", error))
			goto out_all;
		out->warm_start_modularity = q;
	}
	igraph_rng_seed(igraph_rng_default(), (igraph_uint_t)seed);
	switch (method) {
	case KITH_COMM_LEIDEN:
		if (!out->warm) {
			rc = igraph_community_leiden(&graph, wp, &strength,
			                             resolution / total, 0.01, FALSE,
			                             -1, &memb, &nb, &quality);
			break;
		}
		/* from a partition, "until nothing changes" may never end: a
		 * node whose two best moves tie up to rounding goes back and
		 * forth; iterate while an iteration raises the quality (the
		 * modularity at the resolution on the links optimised) by more
		 * than KITH_COMM_WARM_TOL */
		rc = igraph_modularity(&graph, &memb, wp, resolution, FALSE,
		                       &quality);
		for (int it = 0; rc == IGRAPH_SUCCESS &&
		                 it < KITH_COMM_WARM_MAX_ITER; it++) {
			igraph_real_t before = quality;
			rc = igraph_community_leiden(&graph, wp, &strength,
			                             resolution / total, 0.01, TRUE,
			                             1, &memb, &nb, &quality);
			if (quality <= before + KITH_COMM_WARM_TOL * fabs(before))
				break;
		}
		break;
	case KITH_COMM_LOUVAIN:
		rc = igraph_community_multilevel(&graph, wp, resolution, &memb,
		                                 NULL, NULL);
		break;
	case KITH_COMM_LABELPROP:
		if (out->warm) {
			igraph_vector_int_t start;
			rc = igraph_vector_int_init_copy(&start, &memb);
			if (rc == IGRAPH_SUCCESS) {
				rc = igraph_community_label_propagation(
					&graph, &memb, IGRAPH_ALL, wp, &start, NULL);
				igraph_vector_int_destroy(&start);
			}
		} else {
			rc = igraph_community_label_propagation(
				&graph, &memb, IGRAPH_ALL, wp, NULL, NULL);
		}
		break;
	default:
		rc = IGRAPH_EINVAL;
	}
	if (!kith_igraph_ok(rc, kith_comm_method_name(method), error))
		goto out_all;
	rc = igraph_modularity(&graph, &memb, &w, 1.0, FALSE, &q);
	if (!kith_igraph_ok(rc, "igraph modularity", error))
		goto out_all;
	out->modularity = q;
	rc = igraph_modularity(&graph, &memb, &w, resolution, FALSE, &q);
	if (!kith_igraph_ok(rc, "igraph modularity", error))
		goto out_all;
	out->modularity_at_resolution = q;
	if (!renumber(out->membership, g->n_rows, vmap, &memb,
	              &out->n_communities, error))
		goto out_all;
	if (out->warm && !warm_kept(out, dense_init, p->n_init, error))
		goto out_all;
	ok = TRUE;
out_all:
	if (have_w2)
		igraph_vector_destroy(&w2);
	igraph_vector_destroy(&strength);
out_memb:
	igraph_vector_int_destroy(&memb);
out_graph:
	igraph_destroy(&graph);
	igraph_vector_destroy(&w);
out_nograph:
	if (!ok)
		kith_comm_result_clear(out);
	return ok;
}

gboolean
kith_modularity(double *out, const struct kith_csr *g,
                const int32_t *membership, double resolution, GError **error)
{
	g_autofree int64_t *vmap = NULL;
	igraph_t graph;
	igraph_vector_t w;
	igraph_vector_int_t memb;
	igraph_real_t q = 0;
	igraph_error_t rc;
	int64_t nv, u;

	nv = edge_users(&vmap, g, error);
	if (nv < 0)
		return FALSE;
	for (u = 0; u < g->n_rows; u++) {
		if (vmap[u] >= 0 && membership[u] < 0) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
			            "user %" G_GINT64_FORMAT " has edges but no "
			            "community", u);
			return FALSE;
		}
	}
	if (!kith_igraph_from_csr(&graph, &w, g, FALSE, vmap, nv, error))
		return FALSE;
	rc = igraph_vector_int_init(&memb, nv);
	if (rc == IGRAPH_SUCCESS) {
		for (u = 0; u < g->n_rows; u++)
			if (vmap[u] >= 0)
				VECTOR(memb)[vmap[u]] = membership[u];
		rc = igraph_modularity(&graph, &memb, &w, resolution, FALSE, &q);
		igraph_vector_int_destroy(&memb);
	}
	igraph_destroy(&graph);
	igraph_vector_destroy(&w);
	if (!kith_igraph_ok(rc, "igraph modularity", error))
		return FALSE;
	*out = q;
	return TRUE;
}

/* Keeps the best KITH_COMM_TOP (or k) (score, index) pairs, best first;
 * ties: lower index. */
static void
top_insert(int32_t *idx, double *sc, int *n, int k, int32_t i, double s)
{
	int p;

	if (*n == k && !(s > sc[k - 1] || (s == sc[k - 1] && i < idx[k - 1])))
		return;
	p = *n < k ? (*n)++ : k - 1;
	while (p > 0 && (s > sc[p - 1] || (s == sc[p - 1] && i < idx[p - 1]))) {
		sc[p] = sc[p - 1];
		idx[p] = idx[p - 1];
		p--;
	}
	sc[p] = s;
	idx[p] = i;
}

struct kith_comm_summary *
kith_communities_summarise(const struct kith_comm_result *r,
                           const struct kith_csr *g,
                           const struct kith_store *s, const float *rfm,
                           GError **error)
{
	int64_t n = r->n_users, nc = r->n_communities, u;
	int64_t ncat = s->n_categories, nitem = s->n_items;
	int nt = kith_get_threads();
	g_autofree int64_t *start = NULL, *members = NULL, *fill = NULL;
	g_autofree int32_t *item_cnt = NULL, *item_touch = NULL;
	g_autofree double *cat_cnt = NULL;
	struct kith_comm_summary *sum;
	double two_m = 0;

	if (nt < 1)
		nt = 1;
	if (g->n_rows != n || s->n_users != n) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "graph, store and membership disagree on the users");
		return NULL;
	}
	sum = kith_alloc0_n((size_t)nc + 1, sizeof(*sum), error);
	if (sum == NULL)
		return NULL;
	if ((start = kith_alloc0_n((size_t)nc + 2, sizeof(int64_t), error)) == NULL ||
	    (fill = kith_alloc0_n((size_t)nc + 1, sizeof(int64_t), error)) == NULL ||
	    (members = kith_alloc_n((size_t)n + 1, sizeof(int64_t), error)) == NULL ||
	    (item_cnt = kith_alloc0_n((size_t)nt * nitem + 1, sizeof(int32_t),
	                              error)) == NULL ||
	    (item_touch = kith_alloc_n((size_t)nt * nitem + 1, sizeof(int32_t),
	                               error)) == NULL ||
	    (cat_cnt = kith_alloc0_n((size_t)nt * ncat + 1, sizeof(double),
	                             error)) == NULL) {
		g_free(sum);
		return NULL;
	}
	for (u = 0; u < n; u++)
		if (r->membership[u] >= 0)
			start[r->membership[u] + 1]++;
	for (int64_t c = 0; c < nc; c++)
		start[c + 1] += start[c];
	for (u = 0; u < n; u++) {
		int32_t c = r->membership[u];
		if (c >= 0)
			members[start[c] + fill[c]++] = u;
	}
	for (int64_t e = 0; e < g->nnz; e++)
		two_m += g->values ? g->values[e] : 1.0;

#pragma omp parallel num_threads(nt)
	{
#ifdef _OPENMP
		int t = omp_get_thread_num();
#else
		int t = 0;
#endif
		int32_t *icnt = item_cnt + (size_t)t * nitem;
		int32_t *itouch = item_touch + (size_t)t * nitem;
		double *ccnt = cat_cnt + (size_t)t * ncat;

#pragma omp for schedule(dynamic, 1)
		for (int64_t c = 0; c < nc; c++) {
			struct kith_comm_summary *cs = &sum[c];
			double csc[KITH_COMM_TOP], isc[KITH_COMM_TOP], ksc[3];
			double rfm_sum[3] = { 0, 0, 0 };
			int64_t rfm_n = 0, ntouch = 0, inside = 0;
			double w_in = 0, vol = 0;

			cs->size = start[c + 1] - start[c];
			for (int64_t p = start[c]; p < start[c + 1]; p++) {
				int64_t m = members[p];
				double str_in = 0;

				for (int64_t e = g->indptr[m]; e < g->indptr[m + 1]; e++) {
					double w = g->values ? g->values[e] : 1.0;
					int32_t v = g->indices[e];
					vol += w;
					if (r->membership[v] == c && v != m) {
						w_in += w;
						str_in += w;
						inside++;
					}
				}
				top_insert(cs->central, csc, &cs->n_central,
				           KITH_COMM_TOP, (int32_t)m, str_in);
				for (int64_t e = s->ui.indptr[m]; e < s->ui.indptr[m + 1];
				     e++) {
					int32_t it = s->ui.indices[e];
					if (icnt[it]++ == 0)
						itouch[ntouch++] = it;
					if (ncat > 0 && it < s->item_cat.n_rows) {
						for (int64_t f = s->item_cat.indptr[it];
						     f < s->item_cat.indptr[it + 1]; f++)
							ccnt[s->item_cat.indices[f]] += 1.0;
					}
				}
				if (rfm && !isnan(rfm[3 * m]) && !isnan(rfm[3 * m + 1]) &&
				    !isnan(rfm[3 * m + 2])) {
					for (int j = 0; j < 3; j++)
						rfm_sum[j] += rfm[3 * m + j];
					rfm_n++;
				}
			}
			cs->internal_edges = inside / 2;
			cs->internal_weight = w_in / 2;
			cs->volume = vol;
			cs->internal_density = cs->size >= 2
				? (double)cs->internal_edges /
				  ((double)cs->size * (double)(cs->size - 1) / 2.0)
				: 0.0;
			{
				double cut = vol - w_in;
				double den = MIN(vol, two_m - vol);
				cs->conductance = den > 0 ? cut / den : 0.0;
			}
			for (int64_t j = 0; j < ntouch; j++) {
				int32_t it = itouch[j];
				top_insert(cs->top_items, isc, &cs->n_top_items,
				           KITH_COMM_TOP, it, icnt[it]);
				icnt[it] = 0;
			}
			for (int64_t k = 0; k < ncat; k++) {
				if (ccnt[k] > 0)
					top_insert(cs->top_categories, ksc,
					           &cs->n_top_categories, 3, (int32_t)k,
					           ccnt[k]);
				ccnt[k] = 0;
			}
			if (rfm_n > 0) {
				cs->has_rfm = TRUE;
				for (int j = 0; j < 3; j++)
					cs->mean_rfm[j] = rfm_sum[j] / rfm_n;
			}
		}
	}
	return sum;
}

/* Column of the header named like one of names[], or -1. */
static int
header_col(struct kith_csv *r, const char *const *names)
{
	const char *const *h = kith_csv_header_names(r);

	for (int i = 0; h && h[i]; i++)
		for (int j = 0; names[j]; j++)
			if (g_ascii_strcasecmp(h[i], names[j]) == 0)
				return i;
	return -1;
}

gboolean
kith_read_partition(int32_t **truth, int64_t *n_listed, int64_t *n_unknown,
                    struct kith_store *s, const char *path, GError **error)
{
	struct kith_csv_options o = KITH_CSV_OPTIONS_INIT;
	static const char *const ucol[] = { "user", "user_id", "node", "id",
	                                    NULL };
	static const char *const ccol[] = { "community", "cluster", "label",
	                                    "class", "group", NULL };
	g_autoptr(kith_csv) r = NULL;
	g_autoptr(GHashTable) labels = NULL;
	g_autofree int32_t *t = NULL;
	struct kith_csv_record rec;
	int cu = 0, cc = 1, rc;
	int64_t listed = 0, unknown = 0;

	r = kith_csv_open(path, &o, error);
	if (r == NULL)
		return FALSE;
	if (kith_csv_has_header(r)) {
		int a = header_col(r, ucol), b = header_col(r, ccol);
		if (a >= 0)
			cu = a;
		if (b >= 0)
			cc = b;
		else if (a >= 0)
			cc = a == 0 ? 1 : 0;
	}
	t = kith_alloc_n((size_t)s->n_users + 1, sizeof(int32_t), error);
	if (t == NULL)
		return FALSE;
	for (int64_t u = 0; u < s->n_users; u++)
		t[u] = -1;
	labels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	while ((rc = kith_csv_next(r, &rec, error)) > 0) {
		int64_t u;
		gpointer lab;

		if (rec.reason != KITH_CSV_OK || rec.n_fields <= MAX(cu, cc)) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
			            "%s:%" G_GINT64_FORMAT ": expected user and "
			            "community", path, rec.line);
			return FALSE;
		}
		u = kith_store_user_index(s, rec.field[cu]);
		if (u < 0) {
			unknown++;
			continue;
		}
		if (!g_hash_table_lookup_extended(labels, rec.field[cc], NULL,
		                                  &lab)) {
			lab = GINT_TO_POINTER(g_hash_table_size(labels));
			g_hash_table_insert(labels, g_strdup(rec.field[cc]), lab);
		}
		if (t[u] < 0)
			listed++;
		t[u] = GPOINTER_TO_INT(lab);
	}
	if (rc < 0)
		return FALSE;
	if (listed == 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "'%s' lists no user of the store", path);
		return FALSE;
	}
	*truth = g_steal_pointer(&t);
	*n_listed = listed;
	*n_unknown = unknown;
	return TRUE;
}

gboolean
kith_partition_compare(double *nmi, double *ari, int64_t *n_compared,
                       const int32_t *found, const int32_t *truth, int64_t n,
                       GError **error)
{
	igraph_vector_int_t a, b;
	igraph_real_t x = 0, y = 0;
	igraph_error_t rc;
	int64_t u, k = 0, next = 0;

	for (u = 0; u < n; u++) {
		if (truth[u] >= 0)
			k++;
		if (found[u] + 1 > next)
			next = found[u] + 1;
	}
	if (k == 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "no user has a reference community");
		return FALSE;
	}
	if (!kith_igraph_ok(igraph_vector_int_init(&a, k), "igraph vector",
	                    error))
		return FALSE;
	if (!kith_igraph_ok(igraph_vector_int_init(&b, k), "igraph vector",
	                    error)) {
		igraph_vector_int_destroy(&a);
		return FALSE;
	}
	k = 0;
	for (u = 0; u < n; u++) {
		if (truth[u] < 0)
			continue;
		VECTOR(a)[k] = found[u] >= 0 ? found[u] : next++;
		VECTOR(b)[k] = truth[u];
		k++;
	}
	rc = igraph_compare_communities(&a, &b, &x, IGRAPH_COMMCMP_NMI);
	if (rc == IGRAPH_SUCCESS)
		rc = igraph_compare_communities(&a, &b, &y,
		                                IGRAPH_COMMCMP_ADJUSTED_RAND);
	igraph_vector_int_destroy(&a);
	igraph_vector_int_destroy(&b);
	if (!kith_igraph_ok(rc, "igraph compare communities", error))
		return FALSE;
	*nmi = x;
	*ari = y;
	*n_compared = k;
	return TRUE;
}

float *
kith_read_profile_rfm(struct kith_store *s, const char *profiles_dir,
                      GError **error)
{
	g_autofree char *path = g_build_filename(profiles_dir, "profiles.tsv",
	                                         NULL);
	struct kith_csv_options o = KITH_CSV_OPTIONS_INIT;
	static const char *const names[4][2] = {
		{ "user", NULL }, { "rfm_r", NULL }, { "rfm_f", NULL },
		{ "rfm_m", NULL }
	};
	g_autoptr(kith_csv) r = NULL;
	g_autofree float *out = NULL;
	struct kith_csv_record rec;
	int col[4], rc;

	o.sep = '\t';
	o.header = KITH_CSV_HEADER_YES;
	r = kith_csv_open(path, &o, error);
	if (r == NULL)
		return NULL;
	for (int j = 0; j < 4; j++) {
		col[j] = header_col(r, names[j]);
		if (col[j] < 0) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
			            "'%s' has no column '%s'", path, names[j][0]);
			return NULL;
		}
	}
	out = kith_alloc_n((size_t)s->n_users * 3 + 1, sizeof(float), error);
	if (out == NULL)
		return NULL;
	for (int64_t i = 0; i < s->n_users * 3; i++)
		out[i] = NAN;
	while ((rc = kith_csv_next(r, &rec, error)) > 0) {
		int64_t u;
		float v[3];
		gboolean ok = TRUE;

		if (rec.reason != KITH_CSV_OK)
			continue;
		u = kith_store_user_index(s, rec.field[col[0]]);
		if (u < 0)
			continue;
		for (int j = 0; j < 3; j++)
			if (kith_parse_float(rec.field[col[j + 1]],
			                     rec.len[col[j + 1]], &v[j]) != KITH_CSV_OK)
				ok = FALSE;
		if (ok)
			memcpy(out + 3 * u, v, sizeof(v));
	}
	if (rc < 0)
		return NULL;
	return g_steal_pointer(&out);
}

static void
put_list(GString *g, char *const *names, const int32_t *idx, int n)
{
	for (int j = 0; j < n; j++) {
		if (j > 0)
			g_string_append_c(g, '|');
		g_string_append(g, names ? names[idx[j]] : "");
	}
}

static gboolean
write_gstring(const struct kith_outdir *od, const char *name, GString *g,
              GError **error)
{
	g_autofree char *p = kith_outdir_path(od, name);
	return kith_write_file(p, g->str, g->len, 0600, error);
}

static void
member_str(JsonBuilder *b, const char *name, const char *v)
{
	json_builder_set_member_name(b, name);
	if (v)
		json_builder_add_string_value(b, v);
	else
		json_builder_add_null_value(b);
}

static void
member_num(JsonBuilder *b, const char *name, double v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_double_value(b, v);
}

static void
member_int(JsonBuilder *b, const char *name, int64_t v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, v);
}

gboolean
kith_communities_write(const char *path, const struct kith_store *s,
                       const struct kith_comm_result *r,
                       const struct kith_comm_summary *cs,
                       const struct kith_comm_info *info, GError **error)
{
	g_autoptr(kith_outdir) od = NULL;
	g_autoptr(JsonBuilder) b = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GString) g = g_string_sized_new(1 << 16);
	g_autofree char *mpath = NULL;
	const char *created = NULL;

	od = kith_outdir_begin(path, error);
	if (od == NULL)
		return FALSE;
	g_string_append(g, "user\tcommunity\n");
	for (int64_t u = 0; u < r->n_users; u++)
		g_string_append_printf(g, "%s\t%d\n", s->user_ids[u],
		                       (int)r->membership[u]);
	if (!write_gstring(od, "membership.tsv", g, error))
		return FALSE;
	g_string_truncate(g, 0);
	g_string_append(g, "community\tsize\tinternal_density\tconductance\t"
	                   "top_categories\ttop_items\tmean_rfm\t"
	                   "central_members\n");
	for (int64_t c = 0; c < r->n_communities; c++) {
		const struct kith_comm_summary *x = &cs[c];
		g_string_append_printf(g, "%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT
		                       "\t%.6g\t%.6g\t", c, x->size,
		                       x->internal_density, x->conductance);
		put_list(g, s->category_names, x->top_categories,
		         s->category_names ? x->n_top_categories : 0);
		g_string_append_c(g, '\t');
		put_list(g, s->item_ids, x->top_items,
		         s->item_ids ? x->n_top_items : 0);
		g_string_append_c(g, '\t');
		if (x->has_rfm)
			g_string_append_printf(g, "%.3f|%.3f|%.3f", x->mean_rfm[0],
			                       x->mean_rfm[1], x->mean_rfm[2]);
		g_string_append_c(g, '\t');
		put_list(g, s->user_ids, x->central, x->n_central);
		g_string_append_c(g, '\n');
	}
	if (!write_gstring(od, "communities.tsv", g, error))
		return FALSE;

	b = kith_manifest_begin("kith-communities", 1);
	json_builder_set_member_name(b, "arrays");
	json_builder_begin_object(b);
	if (!kith_outdir_npy(od, b, "membership.npy", KITH_DT_I32, r->n_users, 0,
	                     r->membership, 0600, error) ||
	    !kith_outdir_ids(od, b, "users.tsv", "user", s->user_ids,
	                     r->n_users, 0600, error))
		return FALSE;
	json_builder_end_object(b);
	if (s->manifest && JSON_NODE_HOLDS_OBJECT(s->manifest))
		created = json_object_get_string_member_with_default(
			json_node_get_object(s->manifest), "created", NULL);
	member_str(b, "store", info->store_path);
	member_str(b, "store_created", created);
	member_str(b, "method", kith_comm_method_name(info->method));
	member_str(b, "graph", kith_ugraph_name(info->graph));
	member_num(b, "resolution", info->resolution);
	member_int(b, "seed", (int64_t)info->seed);
	if (info->neighbours > 0)
		member_int(b, "neighbours", info->neighbours);
	if (info->graph == KITH_UGRAPH_COINTERACTION)
		member_int(b, "item_cap", info->item_cap);
	if (info->emb_path)
		member_str(b, "emb", info->emb_path);
	if (info->profiles_path)
		member_str(b, "profiles", info->profiles_path);
	json_builder_set_member_name(b, "denoised");
	json_builder_add_boolean_value(b, r->denoised);
	member_num(b, "modularity", r->modularity);
	member_num(b, "modularity_at_resolution", r->modularity_at_resolution);
	member_int(b, "communities", r->n_communities);
	member_int(b, "users", r->n_users);
	member_int(b, "users_in_graph", r->n_in_graph);
	member_int(b, "edges", r->n_edges);
	member_num(b, "total_weight", r->total_weight);
	if (info->truth_path) {
		member_str(b, "truth", info->truth_path);
		member_num(b, "nmi", info->nmi);
		member_num(b, "ari", info->ari);
		member_int(b, "users_compared", info->n_compared);
	}
	if (info->warm_from && r->warm) {
		json_builder_set_member_name(b, "warm_start");
		json_builder_begin_object(b);
		member_str(b, "from", info->warm_from);
		member_int(b, "previous_users", info->warm_users);
		member_int(b, "users_compared", r->warm_previous);
		member_int(b, "kept", r->warm_kept);
		member_int(b, "changed", r->warm_changed);
		member_int(b, "new_users", r->warm_new);
		member_int(b, "new_joined", r->warm_new_joined);
		member_int(b, "new_singletons", r->warm_new_singleton);
		member_num(b, "start_modularity", r->warm_start_modularity);
		member_num(b, "nmi_previous", info->warm_nmi);
		json_builder_end_object(b);
	}
	member_num(b, "seconds", info->seconds);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	mpath = kith_outdir_path(od, "manifest.json");
	if (!kith_json_write(mpath, root, error))
		return FALSE;
	return kith_outdir_commit(od, error);
}
