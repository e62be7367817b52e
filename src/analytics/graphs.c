/*
 * User–user graphs for communities, influence and propagation, and the
 * bridge from struct kith_csr to igraph.
 *
 * Social: the store's uu arrays made undirected (w_uv + w_vu for a
 * directed store).  Cost O(nnz log deg).
 *
 * Co-interaction: with N(u) the items of user u and d_i the users of item
 * i, users are scored by
 *     s(u,v) = Σ_{i ∈ N(u) ∩ N(v)} 1/ln(1 + d_i) / sqrt(|N(u)| |N(v)|),
 * a cosine of the user rows in which popular items weigh less (items with
 * one user are skipped).  It is a sparse R·Rᵀ computed row by row without
 * forming it: for user u, every user v of every item of u adds the item's
 * weight to a dense per-thread accumulator, the touched entries are
 * scored and the k best kept (min-heap; ties: lower index), then the
 * accumulator is cleared through the touched list.  Items with more than
 * item_cap users contribute through a window of item_cap of their users
 * starting at a position hashed from (u, i), so one popular item costs at
 * most item_cap per user.  The k-best lists are symmetrised: weight(u,v) =
 * s(u,v)[u kept v] + s(v,u)[v kept u] (mutual neighbours count twice).
 * Cost O(Σ_u Σ_{i∈N(u)} min(d_i, item_cap) + n k log k), memory
 * O(threads n + n k); deterministic for any thread count.
 */
#include "config.h"

#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <string.h>

#include "kith/community.h"
#include "kith/core.h"
#include "kith/store.h"

gboolean
kith_ugraph_parse(enum kith_ugraph *out, const char *name)
{
	if (strcmp(name, "social") == 0)
		*out = KITH_UGRAPH_SOCIAL;
	else if (strcmp(name, "cointeraction") == 0)
		*out = KITH_UGRAPH_COINTERACTION;
	else if (strcmp(name, "knn") == 0)
		*out = KITH_UGRAPH_KNN;
	else
		return FALSE;
	return TRUE;
}

const char *
kith_ugraph_name(enum kith_ugraph g)
{
	switch (g) {
	case KITH_UGRAPH_SOCIAL:
		return "social";
	case KITH_UGRAPH_COINTERACTION:
		return "cointeraction";
	case KITH_UGRAPH_KNN:
		return "knn";
	}
	return "?";
}

gboolean
kith_igraph_ok(igraph_error_t rc, const char *what, GError **error)
{
	if (rc == IGRAPH_SUCCESS)
		return TRUE;
	g_set_error(error, KITH_ERROR,
	            rc == IGRAPH_ENOMEM ? KITH_ERROR_NOMEM : KITH_ERROR_DATA,
	            "%s failed: %s", what, igraph_strerror(rc));
	return FALSE;
}

/* Whether row u of a holds column v (rows sorted). */
static gboolean
has_entry(const struct kith_csr *a, int64_t u, int32_t v)
{
	int64_t lo = a->indptr[u], hi = a->indptr[u + 1];

	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if (a->indices[mid] < v)
			lo = mid + 1;
		else if (a->indices[mid] > v)
			hi = mid;
		else
			return TRUE;
	}
	return FALSE;
}

/* Whether entry e = (u, v) is the one that stands for the unordered pair
 * {u, v}: v > u, or v < u and (v, u) is missing. */
static inline gboolean
pair_rep(const struct kith_csr *a, int64_t u, int32_t v)
{
	if (v > u)
		return TRUE;
	if (v == u)
		return FALSE;
	return !has_entry(a, v, (int32_t)u);
}

static inline float
entry_w(const struct kith_csr *a, int64_t e)
{
	return a->values ? a->values[e] : 1.0f;
}

/* Builds an owned symmetric CSR from m unordered pairs (both directions
 * added; duplicates summed). */
static gboolean
from_pairs(struct kith_csr *out, int64_t n, int64_t m, const int32_t *pa,
           const int32_t *pb, const float *pw, GError **error)
{
	g_autofree int32_t *rows = NULL, *cols = NULL;
	g_autofree float *vals = NULL;
	int64_t i;

	rows = kith_alloc_n(2 * (size_t)m + 1, sizeof(int32_t), error);
	cols = rows ? kith_alloc_n(2 * (size_t)m + 1, sizeof(int32_t), error)
	            : NULL;
	vals = cols ? kith_alloc_n(2 * (size_t)m + 1, sizeof(float), error)
	            : NULL;
	if (vals == NULL)
		return FALSE;
	for (i = 0; i < m; i++) {
		rows[2 * i] = pa[i];
		cols[2 * i] = pb[i];
		rows[2 * i + 1] = pb[i];
		cols[2 * i + 1] = pa[i];
		vals[2 * i] = vals[2 * i + 1] = pw[i];
	}
	return kith_csr_from_coo(out, n, n, 2 * m, rows, cols, vals, error);
}

gboolean
kith_social_undirected(struct kith_csr *out, const struct kith_store *s,
                       GError **error)
{
	const struct kith_csr *a = &s->uu;
	g_autofree int32_t *pa = NULL, *pb = NULL;
	g_autofree float *pw = NULL;
	int64_t u, e, m = 0;

	memset(out, 0, sizeof(*out));
	pa = kith_alloc_n((size_t)a->nnz + 1, sizeof(int32_t), error);
	pb = pa ? kith_alloc_n((size_t)a->nnz + 1, sizeof(int32_t), error)
	        : NULL;
	pw = pb ? kith_alloc_n((size_t)a->nnz + 1, sizeof(float), error) : NULL;
	if (pw == NULL)
		return FALSE;
	for (u = 0; u < a->n_rows; u++) {
		for (e = a->indptr[u]; e < a->indptr[u + 1]; e++) {
			int32_t v = a->indices[e];
			if (v == u)
				continue;
			if (!s->directed_social && !pair_rep(a, u, v))
				continue;
			pa[m] = (int32_t)u;
			pb[m] = v;
			pw[m] = entry_w(a, e);
			m++;
		}
	}
	/* A directed pair listed both ways appears twice and is summed. */
	return from_pairs(out, s->n_users, m, pa, pb, pw, error);
}

gboolean
kith_csr_symmetrise(struct kith_csr *out, const struct kith_csr *a,
                    GError **error)
{
	g_autofree int32_t *pa = NULL, *pb = NULL;
	g_autofree float *pw = NULL;
	int64_t u, e, m = 0;

	memset(out, 0, sizeof(*out));
	pa = kith_alloc_n((size_t)a->nnz + 1, sizeof(int32_t), error);
	pb = pa ? kith_alloc_n((size_t)a->nnz + 1, sizeof(int32_t), error)
	        : NULL;
	pw = pb ? kith_alloc_n((size_t)a->nnz + 1, sizeof(float), error) : NULL;
	if (pw == NULL)
		return FALSE;
	for (u = 0; u < a->n_rows; u++) {
		for (e = a->indptr[u]; e < a->indptr[u + 1]; e++) {
			float w = entry_w(a, e);
			if (a->indices[e] == u || a->indices[e] < 0 || !(w > 0))
				continue;
			pa[m] = (int32_t)u;
			pb[m] = a->indices[e];
			pw[m] = w;
			m++;
		}
	}
	return from_pairs(out, a->n_rows, m, pa, pb, pw, error);
}

static inline uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Min-heap of (score, index) where the root is the worst kept entry:
 * lower score, or equal score and higher index. */
static inline gboolean
worse(float sa, int32_t ia, float sb, int32_t ib)
{
	return sa < sb || (sa == sb && ia > ib);
}

static void
heap_sift_down(float *hs, int32_t *hi, int n, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && worse(hs[l], hi[l], hs[m], hi[m]))
			m = l;
		if (r < n && worse(hs[r], hi[r], hs[m], hi[m]))
			m = r;
		if (m == i)
			return;
		float ts = hs[i];
		int32_t ti = hi[i];
		hs[i] = hs[m];
		hi[i] = hi[m];
		hs[m] = ts;
		hi[m] = ti;
		i = m;
	}
}

static void
heap_push(float *hs, int32_t *hi, int *n, int k, float s, int32_t v)
{
	if (*n < k) {
		int i = (*n)++;
		hs[i] = s;
		hi[i] = v;
		while (i > 0) {
			int p = (i - 1) / 2;
			if (!worse(hs[i], hi[i], hs[p], hi[p]))
				break;
			float ts = hs[i];
			int32_t ti = hi[i];
			hs[i] = hs[p];
			hi[i] = hi[p];
			hs[p] = ts;
			hi[p] = ti;
			i = p;
		}
	} else if (worse(hs[0], hi[0], s, v)) {
		hs[0] = s;
		hi[0] = v;
		heap_sift_down(hs, hi, *n, 0);
	}
}

gboolean
kith_cointeraction_graph(struct kith_csr *out, const struct kith_store *s,
                         int k, int item_cap, GError **error)
{
	const struct kith_csr *ui = &s->ui, *iu = &s->iu;
	int64_t n = s->n_users, m = s->n_items;
	int nt = kith_get_threads();
	g_autofree float *item_w = NULL, *acc = NULL, *heap_s = NULL;
	g_autofree float *kept_s = NULL;
	g_autofree int32_t *touched = NULL, *heap_i = NULL, *kept_v = NULL;
	g_autofree int32_t *pa = NULL, *pb = NULL;
	g_autofree float *pw = NULL;
	g_autofree int *kept_n = NULL;
	int64_t u, i, npairs = 0;

	memset(out, 0, sizeof(*out));
	if (k < 1) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "neighbour count must be at least 1, not %d", k);
		return FALSE;
	}
	if (nt < 1)
		nt = 1;
	if (iu->n_rows != m || ui->n_rows != n) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "store has inconsistent interaction arrays");
		return FALSE;
	}
	if ((item_w = kith_alloc_n((size_t)m + 1, sizeof(float), error)) == NULL ||
	    (acc = kith_alloc0_n((size_t)nt * (size_t)n + 1, sizeof(float),
	                         error)) == NULL ||
	    (touched = kith_alloc_n((size_t)nt * (size_t)n + 1, sizeof(int32_t),
	                            error)) == NULL ||
	    (heap_s = kith_alloc_n((size_t)nt * k, sizeof(float), error)) == NULL ||
	    (heap_i = kith_alloc_n((size_t)nt * k, sizeof(int32_t), error)) == NULL ||
	    (kept_s = kith_alloc_n((size_t)n * k + 1, sizeof(float), error)) == NULL ||
	    (kept_v = kith_alloc_n((size_t)n * k + 1, sizeof(int32_t), error)) == NULL ||
	    (kept_n = kith_alloc0_n((size_t)n + 1, sizeof(int), error)) == NULL)
		return FALSE;
	for (i = 0; i < m; i++) {
		int64_t d = iu->indptr[i + 1] - iu->indptr[i];
		item_w[i] = d >= 2 ? (float)(1.0 / log1p((double)d)) : 0.0f;
	}

#pragma omp parallel num_threads(nt)
	{
#ifdef _OPENMP
		int t = omp_get_thread_num();
#else
		int t = 0;
#endif
		float *a = acc + (size_t)t * n;
		int32_t *tl = touched + (size_t)t * n;
		float *hs = heap_s + (size_t)t * k;
		int32_t *hi = heap_i + (size_t)t * k;

#pragma omp for schedule(dynamic, 64)
		for (int64_t uu = 0; uu < n; uu++) {
			int64_t nu = ui->indptr[uu + 1] - ui->indptr[uu];
			int64_t ntouch = 0;
			int hn = 0;

			if (nu == 0)
				continue;
			for (int64_t e = ui->indptr[uu]; e < ui->indptr[uu + 1]; e++) {
				int32_t it = ui->indices[e];
				int64_t b = iu->indptr[it];
				int64_t d = iu->indptr[it + 1] - b;
				float w = item_w[it];
				int64_t take = d, start = 0;

				if (w == 0.0f)
					continue;
				if (item_cap > 0 && d > item_cap) {
					take = item_cap;
					start = (int64_t)(mix64(((uint64_t)uu << 32) ^
					                        (uint64_t)it) % (uint64_t)d);
				}
				for (int64_t j = 0; j < take; j++) {
					int64_t p = start + j;
					if (p >= d)
						p -= d;
					int32_t v = iu->indices[b + p];
					if (v == uu)
						continue;
					if (a[v] == 0.0f)
						tl[ntouch++] = v;
					a[v] += w;
				}
			}
			for (int64_t j = 0; j < ntouch; j++) {
				int32_t v = tl[j];
				int64_t nv = ui->indptr[v + 1] - ui->indptr[v];
				float sc = (float)(a[v] / sqrt((double)nu * (double)nv));
				a[v] = 0.0f;
				heap_push(hs, hi, &hn, k, sc, v);
			}
			kept_n[uu] = hn;
			memcpy(kept_s + (size_t)uu * k, hs, (size_t)hn * sizeof(float));
			memcpy(kept_v + (size_t)uu * k, hi,
			       (size_t)hn * sizeof(int32_t));
		}
	}

	for (u = 0; u < n; u++)
		npairs += kept_n[u];
	if ((pa = kith_alloc_n((size_t)npairs + 1, sizeof(int32_t), error)) == NULL ||
	    (pb = kith_alloc_n((size_t)npairs + 1, sizeof(int32_t), error)) == NULL ||
	    (pw = kith_alloc_n((size_t)npairs + 1, sizeof(float), error)) == NULL)
		return FALSE;
	npairs = 0;
	for (u = 0; u < n; u++) {
		for (int j = 0; j < kept_n[u]; j++) {
			pa[npairs] = (int32_t)u;
			pb[npairs] = kept_v[(size_t)u * k + j];
			pw[npairs] = kept_s[(size_t)u * k + j];
			npairs++;
		}
	}
	g_clear_pointer(&kept_s, g_free);
	g_clear_pointer(&kept_v, g_free);
	g_clear_pointer(&acc, g_free);
	g_clear_pointer(&touched, g_free);
	return from_pairs(out, n, npairs, pa, pb, pw, error);
}

int
kith_cointeraction_default_cap(const struct kith_store *s)
{
	double cap = 3e9 / (double)MAX(s->ui.nnz, 1);

	return (int)CLAMP(cap, 100.0, 1000.0);
}

gboolean
kith_igraph_from_csr(igraph_t *g, igraph_vector_t *weights,
                     const struct kith_csr *a, gboolean directed,
                     const int64_t *vmap, int64_t n_vertices, GError **error)
{
	igraph_vector_int_t edges;
	int64_t u, e, ne = 0, k = 0;
	igraph_error_t rc;

	if (vmap == NULL)
		n_vertices = a->n_rows;
	for (u = 0; u < a->n_rows; u++) {
		if (vmap && vmap[u] < 0)
			continue;
		for (e = a->indptr[u]; e < a->indptr[u + 1]; e++) {
			int32_t v = a->indices[e];
			if (v == u || (vmap && vmap[v] < 0))
				continue;
			if (directed || pair_rep(a, u, v))
				ne++;
		}
	}
	rc = igraph_vector_int_init(&edges, 2 * ne);
	if (!kith_igraph_ok(rc, "igraph vector", error))
		return FALSE;
	if (weights) {
		rc = igraph_vector_init(weights, ne);
		if (!kith_igraph_ok(rc, "igraph vector", error)) {
			igraph_vector_int_destroy(&edges);
			return FALSE;
		}
	}
	for (u = 0; u < a->n_rows; u++) {
		if (vmap && vmap[u] < 0)
			continue;
		for (e = a->indptr[u]; e < a->indptr[u + 1]; e++) {
			int32_t v = a->indices[e];
			if (v == u || (vmap && vmap[v] < 0))
				continue;
			if (!directed && !pair_rep(a, u, v))
				continue;
			VECTOR(edges)[2 * k] = vmap ? vmap[u] : u;
			VECTOR(edges)[2 * k + 1] = vmap ? vmap[v] : v;
			if (weights)
				VECTOR(*weights)[k] = entry_w(a, e);
			k++;
		}
	}
	rc = igraph_create(g, &edges, n_vertices, directed);
	igraph_vector_int_destroy(&edges);
	if (!kith_igraph_ok(rc, "igraph graph", error)) {
		if (weights)
			igraph_vector_destroy(weights);
		return FALSE;
	}
	return TRUE;
}
