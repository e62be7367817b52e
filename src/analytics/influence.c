/*
 * Influence measures of the users of a store's social graph.
 *
 * G is the social graph as stored (directed or not), U its undirected
 * version (kith_social_undirected()).  When the caller passes another
 * user graph (opts graph/user_graph, e.g. the co-interaction graph of a
 * store without links), G = U = that symmetric graph.  Per user u:
 *   pagerank        igraph PRPACK on G, damping d (0.85), link weights
 *                   used when they are not all equal; dangling users jump
 *                   uniformly.  Run on one thread (bit-reproducible).
 *                   Cost: a sparse solve, ~O(nnz) per step.
 *   personalized_pagerank  the same with the restart spread uniformly on
 *                   the seed users.
 *   in/out_degree, weighted_in/out  links (and their weight sum) into and
 *                   out of u in G, self-loops excluded; equal when G is
 *                   undirected.
 *   kcore           k-core number in U by Batagelj–Zaversnik bucket
 *                   peeling (= igraph_coreness()), O(n + nnz), no igraph
 *                   copy of the graph.
 *   betweenness     Brandes' algorithm on G (U when undirected) with hop
 *                   distances, undirected pairs counted once (as igraph);
 *                   a BFS per source with per-thread state packed in one
 *                   array (σ, then (1+δ)/σ, and the distance side by side:
 *                   one cache line per neighbour look-up).  Exact (O(n m))
 *                   when at most exact_limit users have a link; else
 *                   estimated from S source users drawn uniformly without
 *                   replacement from the n_e users with a link: b̂(v) =
 *                   n_e/|S| Σ_{s∈S} δ_s(v), unbiased.  S defaults to
 *                   kith_betweenness_default_samples(nnz) (200 up to 1.5M
 *                   entries, 3e8 / nnz above, at least 10), since a
 *                   source costs two passes over the entries.  The S
 *                   sources are split into 10 batches (OpenMP over
 *                   batches, single-precision σ) whose estimates b̂_j give
 *                   se(v) = sqrt(Σ_j (b̂_j − b̂)² / (B (B−1))); the reported
 *                   error is Σ_v se(v) / Σ_v b̂(v), which shrinks as
 *                   1/sqrt(S).  Cost O(|S| m).  Deterministic for any
 *                   thread count when sampled; exact values for a given
 *                   thread count (rounding may differ between counts).
 *   two_hop_reach   distinct users other than u within two hops in U.
 *                   OpenMP, per-thread visited bitmap cleared through the
 *                   list of its touched words; O(Σ_u Σ_{v∈N(u)} deg v).
 *   behavioural_events  pairs (v, i): v a neighbour of u in U, i an item
 *                   that both touched, v's first interaction with i
 *                   (ui_ts_first) strictly after u's and at most `window`
 *                   seconds later.
 *   behavioural     behavioural_events / (deg_U(u) · items of u with a
 *                   timestamp): the share of (friend, item) chances in
 *                   which the friend followed u within the window; 0 when
 *                   u has no friend or no timed item, NaN (both columns)
 *                   when the store has no timestamps.  OpenMP; u's first
 *                   times go into a per-thread n_items array, then each
 *                   neighbour's items are looked up there: cost
 *                   O(Σ_u (|N(u)| + Σ_{v∈U(u)} |N(v)|)).
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
#include "kith/dist.h"
#include "kith/input.h"
#include "kith/io.h"
#include "kith/store.h"

const char *const kith_influence_columns[KITH_INFL_N_COLS] = {
	"pagerank", "personalized_pagerank", "in_degree", "out_degree",
	"weighted_in", "weighted_out", "kcore", "betweenness", "two_hop_reach",
	"behavioural", "behavioural_events"
};

void
kith_influence_opts_init(struct kith_influence_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->damping = 0.85;
	o->exact_limit = 5000;
	o->samples = 0;
	o->window_days = 30;
	o->seed = 42;
}

void
kith_influence_clear(struct kith_influence *r)
{
	for (int j = 0; j < KITH_INFL_N_COLS; j++)
		g_free(r->col[j]);
	kith_pagerank_dist_info_clear(&r->dist);
	kith_pagerank_dist_info_clear(&r->dist_ppr);
	memset(r, 0, sizeof(*r));
}

gboolean
kith_pagerank(double *out, const struct kith_csr *a, gboolean directed,
              gboolean weighted, double damping, const int32_t *reset,
              int64_t n_reset, GError **error)
{
	igraph_t g;
	igraph_vector_t w, vec;
	igraph_vector_int_t rv;
	igraph_real_t value = 0;
	igraph_error_t rc;
	int64_t i, n = a->n_rows;

	if (!(damping >= 0 && damping <= 1)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "damping must be in [0, 1]");
		return FALSE;
	}
	if (!kith_igraph_from_csr(&g, &w, a, directed, NULL, n, error))
		return FALSE;
	rc = igraph_vector_init(&vec, 0);
#ifdef _OPENMP
	/* PRPACK sums with OpenMP reductions whose order varies from run to
	 * run; one thread makes the result bit-reproducible. */
	int saved_threads = omp_get_max_threads();
	omp_set_num_threads(1);
#endif
	if (rc == IGRAPH_SUCCESS) {
		if (reset == NULL) {
			rc = igraph_pagerank(&g, IGRAPH_PAGERANK_ALGO_PRPACK, &vec,
			                     &value, igraph_vss_all(), directed,
			                     damping, weighted ? &w : NULL, NULL);
		} else {
			rc = igraph_vector_int_init(&rv, n_reset);
			if (rc == IGRAPH_SUCCESS) {
				for (i = 0; i < n_reset; i++)
					VECTOR(rv)[i] = reset[i];
				rc = igraph_personalized_pagerank_vs(
					&g, IGRAPH_PAGERANK_ALGO_PRPACK, &vec, &value,
					igraph_vss_all(), directed, damping,
					igraph_vss_vector(&rv), weighted ? &w : NULL,
					NULL);
				igraph_vector_int_destroy(&rv);
			}
		}
		if (rc == IGRAPH_SUCCESS)
			for (i = 0; i < n; i++)
				out[i] = VECTOR(vec)[i];
		igraph_vector_destroy(&vec);
	}
#ifdef _OPENMP
	omp_set_num_threads(saved_threads);
#endif
	igraph_destroy(&g);
	igraph_vector_destroy(&w);
	return kith_igraph_ok(rc, "pagerank", error);
}

gboolean
kith_two_hop_reach(double *out, const struct kith_csr *a, GError **error)
{
	int64_t n = a->n_rows, words = (n + 63) / 64;
	int nt = kith_get_threads();
	g_autofree uint64_t *bits = NULL;
	g_autofree int64_t *dirty = NULL;

	if (nt < 1)
		nt = 1;
	bits = kith_alloc0_n((size_t)nt * (size_t)words + 1, sizeof(uint64_t),
	                     error);
	dirty = bits ? kith_alloc_n((size_t)nt * (size_t)words + 1,
	                            sizeof(int64_t), error)
	             : NULL;
	if (dirty == NULL)
		return FALSE;
#pragma omp parallel num_threads(nt)
	{
#ifdef _OPENMP
		size_t off = (size_t)omp_get_thread_num() * (size_t)words;
#else
		size_t off = 0;
#endif
		uint64_t *seen = bits + off;
		int64_t *dl = dirty + off;

		/* Marks x; counts it and records its word when new. */
#define KITH_VISIT(x)                                                       \
	do {                                                                  \
		int64_t w_ = (x) >> 6;                                            \
		uint64_t m_ = (uint64_t)1 << ((x) & 63);                          \
		if (!(seen[w_] & m_)) {                                           \
			if (seen[w_] == 0)                                            \
				dl[nd++] = w_;                                            \
			seen[w_] |= m_;                                               \
			cnt++;                                                        \
		}                                                                 \
	} while (0)
#pragma omp for schedule(dynamic, 256)
		for (int64_t u = 0; u < n; u++) {
			int64_t cnt = 0, nd = 0;

			KITH_VISIT(u);
			for (int64_t e = a->indptr[u]; e < a->indptr[u + 1]; e++)
				KITH_VISIT((int64_t)a->indices[e]);
			for (int64_t e = a->indptr[u]; e < a->indptr[u + 1]; e++) {
				int64_t v = a->indices[e];
				for (int64_t f = a->indptr[v]; f < a->indptr[v + 1]; f++)
					KITH_VISIT((int64_t)a->indices[f]);
			}
			out[u] = (double)(cnt - 1);
			for (int64_t j = 0; j < nd; j++)
				seen[dl[j]] = 0;
		}
#undef KITH_VISIT
	}
	return TRUE;
}

/* Per-vertex BFS state of one Brandes source, packed so that looking at
 * a neighbour costs one cache line: d = hop distance (-1: not reached);
 * x = σ (shortest-path count) during the forward pass, then, once the
 * vertex is done in the backward pass, (1 + δ) / σ, the quantity its
 * predecessors sum.  Exact betweenness keeps x in double; sampled
 * betweenness (large graphs, an estimate anyway) in float, which halves
 * the state (8 bytes a vertex) and so the cache misses. */
struct bfs_node {
	double x;
	int32_t d;
	int32_t pad;
};

struct bfs_node_f {
	float x;
	int32_t d;
};

/* One Brandes pass from s0 over a (n vertices) with state st (all d =
 * -1 on entry and on return), queue q, adding δ_s0(v) to b[v]. */
#define KITH_BRANDES_PASS(NODE, XT)                                         \
	do {                                                                  \
		int64_t head = 0, tail = 0;                                       \
		st[s0].d = 0;                                                     \
		st[s0].x = 1;                                                     \
		q[tail++] = (int32_t)s0;                                          \
		while (head < tail) {                                             \
			int32_t v = q[head++];                                        \
			int32_t dv1 = st[v].d + 1;                                    \
			XT sv = st[v].x;                                              \
			for (int64_t e = a->indptr[v]; e < a->indptr[v + 1]; e++) {   \
				NODE *w = &st[a->indices[e]];                             \
				if (w->d < 0) {                                           \
					w->d = dv1;                                           \
					w->x = sv;                                            \
					q[tail++] = a->indices[e];                            \
				} else if (w->d == dv1) {                                 \
					w->x += sv;                                           \
				}                                                         \
			}                                                             \
		}                                                                 \
		for (int64_t j = tail - 1; j >= 0; j--) {                         \
			int32_t v = q[j];                                             \
			int32_t dv1 = st[v].d + 1;                                    \
			double x = 0, dl;                                             \
			for (int64_t e = a->indptr[v]; e < a->indptr[v + 1]; e++) {   \
				const NODE *w = &st[a->indices[e]];                       \
				if (w->d == dv1)                                          \
					x += w->x;                                            \
			}                                                             \
			dl = (double)st[v].x * x;                                     \
			if (v != s0)                                                  \
				b[v] += dl;                                               \
			st[v].x = (XT)((1.0 + dl) / (double)st[v].x);                 \
		}                                                                 \
		for (int64_t j = 0; j < tail; j++)                                \
			st[q[j]].d = -1;                                              \
	} while (0)

/* Brandes accumulation from the sources src[0..ns) into bc, with
 * per-thread state (struct bfs_node, or bfs_node_f when compact) and
 * queue.  nb == 1: bc has n doubles (zeroed by the caller); OpenMP over
 * sources (static schedule) into per-thread accumulators summed in thread
 * order.  nb > 1: the sources are split into nb contiguous batches and
 * batch j is added to bc + j n (nb n doubles, zeroed) by one thread,
 * OpenMP over batches, so each batch sum is independent of the thread
 * count. */
static gboolean
brandes(double *bc, const struct kith_csr *a, const int64_t *src,
        int64_t ns, int64_t nb, gboolean compact, GError **error)
{
	int64_t n = a->n_rows;
	int nt = kith_get_threads();
	size_t node = compact ? sizeof(struct bfs_node_f)
	                      : sizeof(struct bfs_node);
	g_autofree void *state = NULL;
	g_autofree int32_t *order = NULL;
	g_autofree double *acc = NULL;

	if (nt < 1)
		nt = 1;
	if (nb < 1)
		nb = 1;
	if ((nb > 1 ? nb : ns) < nt)
		nt = (int)MAX(nb > 1 ? nb : ns, 1);
	if ((state = kith_alloc_n((size_t)nt * n + 1, node, error)) == NULL ||
	    (order = kith_alloc_n((size_t)nt * n + 1, sizeof(int32_t), error)) == NULL)
		return FALSE;
	if (nb == 1 &&
	    (acc = kith_alloc0_n((size_t)nt * n + 1, sizeof(double), error)) == NULL)
		return FALSE;
	for (size_t i = 0; i < (size_t)nt * n; i++) {
		if (compact)
			((struct bfs_node_f *)state)[i].d = -1;
		else
			((struct bfs_node *)state)[i].d = -1;
	}
#pragma omp parallel num_threads(nt)
	{
#ifdef _OPENMP
		int t = omp_get_thread_num();
#else
		int t = 0;
#endif
		int32_t *q = order + (size_t)t * n;
		struct bfs_node_f *stf = (struct bfs_node_f *)state + (size_t)t * n;
		struct bfs_node *std = (struct bfs_node *)state + (size_t)t * n;

		if (nb == 1) {
			double *b = acc + (size_t)t * n;
#pragma omp for schedule(static)
			for (int64_t k = 0; k < ns; k++) {
				int64_t s0 = src[k];
				if (compact) {
					struct bfs_node_f *st = stf;
					KITH_BRANDES_PASS(struct bfs_node_f, float);
				} else {
					struct bfs_node *st = std;
					KITH_BRANDES_PASS(struct bfs_node, double);
				}
			}
		} else {
#pragma omp for schedule(dynamic, 1)
			for (int64_t j = 0; j < nb; j++) {
				double *b = bc + (size_t)j * n;
				for (int64_t k = ns * j / nb; k < ns * (j + 1) / nb; k++) {
					int64_t s0 = src[k];
					if (compact) {
						struct bfs_node_f *st = stf;
						KITH_BRANDES_PASS(struct bfs_node_f, float);
					} else {
						struct bfs_node *st = std;
						KITH_BRANDES_PASS(struct bfs_node, double);
					}
				}
			}
		}
	}
	if (nb == 1)
		for (int t = 0; t < nt; t++)
			for (int64_t u = 0; u < n; u++)
				bc[u] += acc[(size_t)t * n + u];
	return TRUE;
}
#undef KITH_BRANDES_PASS

gboolean
kith_betweenness(double *out, double *rse, const struct kith_csr *a,
                 gboolean directed, int64_t samples, uint64_t seed,
                 GError **error)
{
	int64_t n = a->n_rows, ne = 0, u, B;
	double half = directed ? 1.0 : 0.5;
	g_autofree int64_t *cand = NULL;
	g_autofree double *batch = NULL;
	g_autofree uint8_t *has = NULL;
	struct kith_rng rng;

	if (rse)
		*rse = 0;
	if (a->n_cols != n) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "betweenness needs a square graph");
		return FALSE;
	}
	cand = kith_alloc_n((size_t)n + 1, sizeof(int64_t), error);
	has = cand ? kith_alloc0_n((size_t)n + 1, 1, error) : NULL;
	if (has == NULL)
		return FALSE;
	/* Users with a link in either direction are the useful sources. */
	for (u = 0; u < n; u++)
		for (int64_t e = a->indptr[u]; e < a->indptr[u + 1]; e++)
			if (a->indices[e] != u)
				has[u] = has[a->indices[e]] = 1;
	for (u = 0; u < n; u++)
		if (has[u])
			cand[ne++] = u;
	memset(out, 0, (size_t)n * sizeof(double));
	if (samples <= 0 || samples >= ne) {
		if (!brandes(out, a, cand, ne, 1, FALSE, error))
			return FALSE;
		for (u = 0; u < n; u++)
			out[u] *= half;
		return TRUE;
	}
	kith_rng_seed(&rng, seed, 0x6265747765656eULL);
	for (u = 0; u < samples; u++) {
		int64_t j = u + (int64_t)kith_rng_below(&rng, (uint64_t)(ne - u));
		int64_t t = cand[u];
		cand[u] = cand[j];
		cand[j] = t;
	}
	B = MIN(10, samples);
	batch = kith_alloc0_n((size_t)B * (size_t)n + 1, sizeof(double), error);
	if (batch == NULL)
		return FALSE;
	if (!brandes(batch, a, cand, samples, B, TRUE, error))
		return FALSE;
	for (int64_t b = 0; b < B; b++) {
		int64_t lo = samples * b / B, hi = samples * (b + 1) / B;
		double *x = batch + (size_t)b * n;
		for (u = 0; u < n; u++)
			x[u] *= half * (double)ne / (double)(hi - lo);
	}
	{
		double se_sum = 0, est_sum = 0;
		for (u = 0; u < n; u++) {
			double m = 0, ss = 0;
			for (int64_t b = 0; b < B; b++) {
				int64_t sz = samples * (b + 1) / B - samples * b / B;
				m += batch[(size_t)b * n + u] * (double)sz;
			}
			m /= (double)samples;
			for (int64_t b = 0; b < B; b++) {
				double d = batch[(size_t)b * n + u] - m;
				ss += d * d;
			}
			out[u] = m;
			est_sum += m;
			if (B > 1)
				se_sum += sqrt(ss / (double)(B * (B - 1)));
		}
		if (rse)
			*rse = est_sum > 0 ? se_sum / est_sum : 0;
	}
	return TRUE;
}

gboolean
kith_behavioural_influence(double *score, double *events,
                           const struct kith_csr *a,
                           const struct kith_store *s, int64_t window,
                           GError **error)
{
	const struct kith_csr *ui = &s->ui;
	const int64_t *ts = s->ui_ts_first;
	int64_t n = a->n_rows, m = s->n_items, timed_all = 0;
	int nt = kith_get_threads();
	g_autofree int64_t *first = NULL;

	if (n != s->n_users || ui->n_rows != n) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "social graph and store disagree on the users");
		return FALSE;
	}
	for (int64_t e = 0; ts && e < ui->nnz && timed_all == 0; e++)
		if (ts[e] != INT64_MIN)
			timed_all++;
	if (timed_all == 0) {
		for (int64_t u = 0; u < n; u++)
			score[u] = events[u] = NAN;
		return TRUE;
	}
	if (nt < 1)
		nt = 1;
	/* first[t m + i]: u's first time with item i while thread t handles
	 * u, INT64_MIN otherwise (reset after each user). */
	first = kith_alloc_n((size_t)nt * (size_t)m + 1, sizeof(int64_t), error);
	if (first == NULL)
		return FALSE;
	for (size_t i = 0; i < (size_t)nt * (size_t)m; i++)
		first[i] = INT64_MIN;
#pragma omp parallel num_threads(nt)
	{
#ifdef _OPENMP
		int64_t *tu = first + (size_t)omp_get_thread_num() * (size_t)m;
#else
		int64_t *tu = first;
#endif
#pragma omp for schedule(dynamic, 128)
		for (int64_t u = 0; u < n; u++) {
			int64_t timed = 0, cnt = 0;
			int64_t deg = a->indptr[u + 1] - a->indptr[u];

			for (int64_t e = ui->indptr[u]; e < ui->indptr[u + 1]; e++) {
				if (ts[e] != INT64_MIN) {
					tu[ui->indices[e]] = ts[e];
					timed++;
				}
			}
			for (int64_t f = a->indptr[u]; f < a->indptr[u + 1] && timed > 0;
			     f++) {
				int64_t v = a->indices[f];
				if (v == u)
					continue;
				for (int64_t q = ui->indptr[v]; q < ui->indptr[v + 1]; q++) {
					int64_t t0 = tu[ui->indices[q]];
					if (t0 != INT64_MIN && ts[q] != INT64_MIN) {
						int64_t dt = ts[q] - t0;
						if (dt > 0 && dt <= window)
							cnt++;
					}
				}
			}
			for (int64_t e = ui->indptr[u]; e < ui->indptr[u + 1]; e++)
				tu[ui->indices[e]] = INT64_MIN;
			events[u] = (double)cnt;
			score[u] = deg > 0 && timed > 0
				? (double)cnt / ((double)deg * (double)timed) : 0.0;
		}
	}
	return TRUE;
}

gboolean
kith_kcore(double *out, const struct kith_csr *a, GError **error)
{
	int64_t n = a->n_rows, maxd = 0, u, e;
	g_autofree int32_t *deg = NULL, *vert = NULL, *pos = NULL;
	g_autofree int64_t *bin = NULL;

	if (a->n_cols != n) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "k-core needs a square graph");
		return FALSE;
	}
	if ((deg = kith_alloc_n((size_t)n + 1, sizeof(int32_t), error)) == NULL ||
	    (vert = kith_alloc_n((size_t)n + 1, sizeof(int32_t), error)) == NULL ||
	    (pos = kith_alloc_n((size_t)n + 1, sizeof(int32_t), error)) == NULL)
		return FALSE;
	for (u = 0; u < n; u++) {
		int64_t d = 0;
		for (e = a->indptr[u]; e < a->indptr[u + 1]; e++)
			if (a->indices[e] != u)
				d++;
		deg[u] = (int32_t)d;
		if (d > maxd)
			maxd = d;
	}
	bin = kith_alloc0_n((size_t)maxd + 2, sizeof(int64_t), error);
	if (bin == NULL)
		return FALSE;
	/* Vertices sorted by degree (bucket sort); bin[d] = first position of
	 * degree d. */
	for (u = 0; u < n; u++)
		bin[deg[u]]++;
	{
		int64_t start = 0;
		for (int64_t d = 0; d <= maxd; d++) {
			int64_t c = bin[d];
			bin[d] = start;
			start += c;
		}
	}
	for (u = 0; u < n; u++) {
		pos[u] = (int32_t)bin[deg[u]]++;
		vert[pos[u]] = (int32_t)u;
	}
	for (int64_t d = maxd; d > 0; d--)
		bin[d] = bin[d - 1];
	bin[0] = 0;
	/* Peel in degree order: a neighbour of higher current degree moves to
	 * the front of its bucket and loses one. */
	for (int64_t i = 0; i < n; i++) {
		int32_t v = vert[i];
		for (e = a->indptr[v]; e < a->indptr[v + 1]; e++) {
			int32_t w = a->indices[e];
			if (w != v && deg[w] > deg[v]) {
				int32_t dw = deg[w], pw = pos[w];
				int32_t ps = (int32_t)bin[dw], x = vert[ps];
				if (x != w) {
					pos[w] = ps;
					vert[pw] = x;
					pos[x] = pw;
					vert[ps] = w;
				}
				bin[dw]++;
				deg[w]--;
			}
		}
	}
	for (u = 0; u < n; u++)
		out[u] = (double)deg[u];
	return TRUE;
}

/* TRUE when some link weight differs from the first. */
static gboolean
weights_differ(const struct kith_csr *a)
{
	if (a->values == NULL || a->nnz == 0)
		return FALSE;
	for (int64_t e = 1; e < a->nnz; e++)
		if (a->values[e] != a->values[0])
			return TRUE;
	return FALSE;
}

int64_t
kith_betweenness_default_samples(int64_t n_entries)
{
	int64_t k = KITH_BETWEENNESS_BUDGET / MAX(n_entries, 1);
	return CLAMP(k, KITH_BETWEENNESS_MIN_SAMPLES,
	             KITH_BETWEENNESS_MAX_SAMPLES);
}

/* The PageRank columns of out (and n_edges, weighted when o asks for
 * PageRank only): igraph on one process, kith_pagerank_dist() under
 * MPI. */
static gboolean
influence_pagerank(struct kith_influence *out, const struct kith_csr *G,
                   const struct kith_store *s, gboolean directed,
                   const struct kith_influence_opts *o, GError **error)
{
	double **c = out->col;

	kith_progress("pagerank", 0, 1);
	if (kith_dist_active()) {
		out->distributed = TRUE;
		const struct kith_store *mapped = G == &s->uu ? s : NULL;
		if (!kith_pagerank_dist(c[KITH_INFL_PAGERANK], &out->dist, G,
		                        mapped, directed, o->damping, NULL, 0,
		                        KITH_PAGERANK_TOL, KITH_PAGERANK_MAX_ITER,
		                        error))
			return FALSE;
		if (o->seeds != NULL &&
		    !kith_pagerank_dist(c[KITH_INFL_PPR], &out->dist_ppr, G,
		                        mapped, directed, o->damping, o->seeds, o->n_seeds,
		                        KITH_PAGERANK_TOL, KITH_PAGERANK_MAX_ITER,
		                        error))
			return FALSE;
		out->weighted = out->dist.weighted;
		if (o->pagerank_only)
			out->n_edges = directed ? out->dist.n_links
			                        : out->dist.n_links / 2;
		return TRUE;
	}
	out->weighted = weights_differ(G);
	if (o->pagerank_only) {
		int64_t m = 0;
		for (int64_t u = 0; u < G->n_rows; u++)
			for (int64_t e = G->indptr[u]; e < G->indptr[u + 1]; e++)
				m += G->indices[e] != u;
		out->n_edges = directed ? m : m / 2;
	}
	return kith_pagerank(c[KITH_INFL_PAGERANK], G, directed, out->weighted,
	                     o->damping, NULL, 0, error) &&
	       (o->seeds == NULL ||
	        kith_pagerank(c[KITH_INFL_PPR], G, directed, out->weighted,
	                      o->damping, o->seeds, o->n_seeds, error));
}

gboolean
kith_influence_compute(struct kith_influence *out, const struct kith_store *s,
                       const struct kith_influence_opts *o, GError **error)
{
	gboolean social = o->graph == KITH_UGRAPH_SOCIAL;
	const struct kith_csr *G = social ? &s->uu : o->user_graph;
	const struct kith_csr *Up;
	struct kith_csr U = { 0 };
	gboolean directed = social && s->directed_social;
	int64_t n = s->n_users, u, e, ne = 0;
	gboolean ok = FALSE;
	double **c = out->col;

	memset(out, 0, sizeof(*out));
	out->n_users = n;
	out->directed = directed;
	if (G == NULL || G->n_rows != n || G->n_cols != n) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "%s graph has the wrong shape",
		            kith_ugraph_name(o->graph));
		return FALSE;
	}
	if (!(o->window_days >= 0)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "window must not be negative");
		return FALSE;
	}
	if (kith_dist_size() > 1 && !o->pagerank_only) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "only PageRank runs over several ranks");
		return FALSE;
	}
	for (int j = 0; j < KITH_INFL_N_COLS; j++) {
		gboolean pr = j == KITH_INFL_PAGERANK || j == KITH_INFL_PPR;
		if ((j == KITH_INFL_PPR && o->seeds == NULL) ||
		    (o->pagerank_only && !pr) ||
		    (pr && kith_dist_rank() != 0))
			continue;
		c[j] = kith_alloc0_n((size_t)n + 1, sizeof(double), error);
		if (c[j] == NULL)
			goto out;
	}
	if (o->pagerank_only) {
		if (!influence_pagerank(out, G, s, directed, o, error))
			goto out;
		ok = TRUE;
		goto out;
	}
	/* U: the undirected version; a given user graph is symmetric. */
	if (social) {
		if (!kith_social_undirected(&U, s, error))
			goto out;
		Up = &U;
	} else {
		Up = G;
	}

	for (u = 0; u < n; u++) {
		for (e = G->indptr[u]; e < G->indptr[u + 1]; e++) {
			int32_t v = G->indices[e];
			double w = G->values ? G->values[e] : 1.0;
			if (v == u)
				continue;
			c[KITH_INFL_OUT_DEGREE][u] += 1;
			c[KITH_INFL_WEIGHTED_OUT][u] += w;
			c[KITH_INFL_IN_DEGREE][v] += 1;
			c[KITH_INFL_WEIGHTED_IN][v] += w;
		}
	}
	/* igraph's edge count: one per entry when directed, else one per
	 * unordered pair of U (symmetric, no self-loop). */
	if (directed) {
		for (u = 0; u < n; u++)
			out->n_edges += (int64_t)c[KITH_INFL_OUT_DEGREE][u];
	} else {
		out->n_edges = Up->nnz / 2;
	}
	for (u = 0; u < n; u++)
		if (Up->indptr[u + 1] > Up->indptr[u])
			ne++;

	if (!influence_pagerank(out, G, s, directed, o, error))
		goto out;

	kith_progress("k-core", 0, 1);
	if (!kith_kcore(c[KITH_INFL_KCORE], Up, error))
		goto out;

	kith_progress("betweenness", 0, 1);
	if (ne > o->exact_limit) {
		out->betweenness_sampled = TRUE;
		out->samples = o->samples > 0
			? o->samples
			: kith_betweenness_default_samples(
				  directed ? G->nnz : Up->nnz);
		if (out->samples > ne)
			out->samples = ne;   /* every source: exact values */
	}
	if (!kith_betweenness(c[KITH_INFL_BETWEENNESS], &out->betweenness_rse,
	                      directed ? G : Up, directed,
	                      out->betweenness_sampled ? out->samples : 0,
	                      o->seed, error))
		goto out;

	kith_progress("two-hop reach", 0, 1);
	if (!kith_two_hop_reach(c[KITH_INFL_TWO_HOP], Up, error))
		goto out;
	out->has_timestamps = FALSE;
	for (e = 0; s->ui_ts_first && e < s->ui.nnz; e++) {
		if (s->ui_ts_first[e] != INT64_MIN) {
			out->has_timestamps = TRUE;
			break;
		}
	}
	kith_progress("behavioural", 0, 1);
	if (!kith_behavioural_influence(c[KITH_INFL_BEHAVIOURAL],
	                                c[KITH_INFL_BEHAVIOURAL_EVENTS], Up, s,
	                                (int64_t)llround(o->window_days * 86400.0),
	                                error))
		goto out;
	ok = TRUE;
out:
	kith_csr_clear(&U);
	if (!ok)
		kith_influence_clear(out);
	return ok;
}

static int
cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

gboolean
kith_read_user_list(int32_t **users, int64_t *n, int64_t *n_unknown,
                    struct kith_store *s, const char *path, GError **error)
{
	g_autofree char *text = NULL;
	g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(int32_t));
	g_auto(GStrv) lines = NULL;
	int64_t unknown = 0, k = 0;

	text = kith_input_read_all(path, 0, NULL, error);
	if (text == NULL)
		return FALSE;
	lines = g_strsplit(text, "\n", -1);
	for (int i = 0; lines[i]; i++) {
		char *l = g_strstrip(lines[i]);
		char *tab = strpbrk(l, "\t,");
		int64_t u;

		if (tab)
			*tab = '\0';
		if (*l == '\0' || *l == '#')
			continue;
		u = kith_store_user_index(s, l);
		if (u < 0) {
			if (!(i == 0 && g_ascii_strcasecmp(l, "user") == 0))
				unknown++;
			continue;
		}
		g_array_append_val(a, u);
	}
	if (a->len == 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "'%s' names no user of the store", path);
		return FALSE;
	}
	qsort(a->data, a->len, sizeof(int32_t), cmp_i32);
	for (guint i = 0; i < a->len; i++)
		if (i == 0 || g_array_index(a, int32_t, i) !=
		              g_array_index(a, int32_t, i - 1))
			g_array_index(a, int32_t, k++) = g_array_index(a, int32_t, i);
	*n = k;
	*n_unknown = unknown;
	*users = (int32_t *)g_array_free(g_steal_pointer(&a), FALSE);
	return TRUE;
}

int64_t
kith_influence_top(int64_t *top, const struct kith_influence *r, int64_t k)
{
	const double *pr = r->col[KITH_INFL_PAGERANK];
	int64_t have = 0;

	for (int64_t u = 0; u < r->n_users && k > 0; u++) {
		int64_t j;
		if (!isfinite(pr[u]))
			continue;
		if (have == k && pr[u] <= pr[top[k - 1]])
			continue;
		j = have < k ? have++ : k - 1;
		while (j > 0 && pr[top[j - 1]] < pr[u]) {
			top[j] = top[j - 1];
			j--;
		}
		top[j] = u;
	}
	return have;
}

static void
put_num(GString *g, double v)
{
	if (isfinite(v))
		g_string_append_printf(g, "%.6g", v);
}

/* The "mpi" member of the manifest: how PageRank ran over the ranks. */
static void
put_dist_info(JsonBuilder *b, const struct kith_influence *r)
{
	const struct kith_pagerank_dist_info *d = &r->dist;

	json_builder_set_member_name(b, "mpi");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "ranks");
	json_builder_add_int_value(b, d->ranks);
	json_builder_set_member_name(b, "row_bounds");
	json_builder_begin_array(b);
	for (int q = 0; q <= d->ranks; q++)
		json_builder_add_int_value(b, d->bounds[q]);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "links");
	json_builder_add_int_value(b, d->n_links);
	json_builder_set_member_name(b, "halo_users");
	json_builder_add_int_value(b, d->halo);
	json_builder_set_member_name(b, "iterations");
	json_builder_add_int_value(b, d->iterations);
	json_builder_set_member_name(b, "converged");
	json_builder_add_boolean_value(b, d->converged);
	kith_json_put_double(b, "last_delta_l1", d->delta);
	json_builder_set_member_name(b, "bytes_per_iteration");
	json_builder_add_int_value(b, (int64_t)d->bytes_per_iteration);
	json_builder_set_member_name(b, "bytes_per_iteration_formula");
	json_builder_add_int_value(b, kith_pagerank_dist_bytes_formula(d));
	json_builder_set_member_name(b, "formula");
	json_builder_add_string_value(b, "8 halo_users + 16 ranks (0 on one "
	                              "rank)");
	if (r->dist_ppr.ranks > 0) {
		json_builder_set_member_name(b, "personalized_iterations");
		json_builder_add_int_value(b, r->dist_ppr.iterations);
	}
	json_builder_end_object(b);
}

gboolean
kith_influence_write(const char *path, const struct kith_store *s,
                     const struct kith_influence *r,
                     const struct kith_influence_opts *o,
                     const char *store_path, const char *seeds_path,
                     int64_t top_n, double seconds, GError **error)
{
	g_autoptr(kith_outdir) od = NULL;
	g_autoptr(JsonBuilder) b = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GString) g = g_string_sized_new(1 << 16);
	g_autofree char *tsv = NULL, *mpath = NULL;
	g_autofree double *X = NULL;
	g_autofree int64_t *top = NULL;
	const char *created = NULL;
	int64_t n = r->n_users, nt;
	const int nc = KITH_INFL_BEHAVIOURAL + 1;

	od = kith_outdir_begin(path, error);
	if (od == NULL)
		return FALSE;
	g_string_append(g, "user");
	for (int j = 0; j < KITH_INFL_N_COLS; j++)
		g_string_append_printf(g, "\t%s", kith_influence_columns[j]);
	g_string_append_c(g, '\n');
	for (int64_t u = 0; u < n; u++) {
		g_string_append(g, s->user_ids[u]);
		for (int j = 0; j < KITH_INFL_N_COLS; j++) {
			g_string_append_c(g, '\t');
			if (r->col[j])
				put_num(g, r->col[j][u]);
		}
		g_string_append_c(g, '\n');
	}
	tsv = kith_outdir_path(od, "influence.tsv");
	if (!kith_write_file(tsv, g->str, g->len, 0600, error))
		return FALSE;
	/* the text goes before the array is built: one of them at a time */
	g_string_free(g_steal_pointer(&g), TRUE);
	X = kith_alloc_n((size_t)n * nc + 1, sizeof(double), error);
	if (X == NULL)
		return FALSE;
	for (int64_t u = 0; u < n; u++)
		for (int j = 0; j < nc; j++)
			X[u * nc + j] = r->col[j] ? r->col[j][u] : NAN;

	b = kith_manifest_begin("kith-influence", 1);
	json_builder_set_member_name(b, "arrays");
	json_builder_begin_object(b);
	if (!kith_outdir_npy(od, b, "influence.npy", KITH_DT_F64, n, nc, X, 0600,
	                     error) ||
	    !kith_outdir_ids(od, b, "users.tsv", "user", s->user_ids, n, 0600,
	                     error))
		return FALSE;
	json_builder_end_object(b);
	json_builder_set_member_name(b, "columns");
	json_builder_begin_array(b);
	for (int j = 0; j < nc; j++)
		json_builder_add_string_value(b, kith_influence_columns[j]);
	json_builder_end_array(b);
	if (s->manifest && JSON_NODE_HOLDS_OBJECT(s->manifest))
		created = json_object_get_string_member_with_default(
			json_node_get_object(s->manifest), "created", NULL);
	json_builder_set_member_name(b, "store");
	json_builder_add_string_value(b, store_path);
	json_builder_set_member_name(b, "store_created");
	if (created)
		json_builder_add_string_value(b, created);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "graph");
	json_builder_add_string_value(b, kith_ugraph_name(o->graph));
	if (o->graph != KITH_UGRAPH_SOCIAL && o->neighbours > 0) {
		kith_json_put_int(b, "neighbours", o->neighbours);
		kith_json_put_int(b, "item_cap", o->item_cap);
	}
	kith_json_put_double(b, "damping", o->damping);
	json_builder_set_member_name(b, "directed");
	json_builder_add_boolean_value(b, r->directed);
	json_builder_set_member_name(b, "weighted");
	json_builder_add_boolean_value(b, r->weighted);
	json_builder_set_member_name(b, "users");
	json_builder_add_int_value(b, n);
	json_builder_set_member_name(b, "edges");
	json_builder_add_int_value(b, r->n_edges);
	json_builder_set_member_name(b, "seeds");
	if (seeds_path) {
		json_builder_add_string_value(b, seeds_path);
		json_builder_set_member_name(b, "n_seeds");
		json_builder_add_int_value(b, o->n_seeds);
	} else {
		json_builder_add_null_value(b);
	}
	json_builder_set_member_name(b, "measures");
	json_builder_add_string_value(b, o->pagerank_only ? "pagerank" : "all");
	json_builder_set_member_name(b, "pagerank_method");
	json_builder_add_string_value(b, r->distributed
	        ? "power iteration over MPI ranks" : "igraph PRPACK");
	if (r->distributed)
		put_dist_info(b, r);
	json_builder_set_member_name(b, "betweenness");
	json_builder_add_string_value(b, o->pagerank_only ? "not computed"
	        : r->betweenness_sampled ? "sampled" : "exact");
	if (r->betweenness_sampled) {
		json_builder_set_member_name(b, "samples");
		json_builder_add_int_value(b, r->samples);
		kith_json_put_double(b, "betweenness_rse", r->betweenness_rse);
		json_builder_set_member_name(b, "betweenness_error");
		json_builder_add_string_value(b, "relative standard error: sum "
		        "over users of the standard error of the estimate (from "
		        "10 batches of sources) divided by the sum of the "
		        "estimates");
	}
	kith_json_put_double(b, "window_days", o->window_days);
	json_builder_set_member_name(b, "behavioural");
	json_builder_add_string_value(b, o->pagerank_only ? "not computed"
	        : r->has_timestamps
	        ? "friend interactions with an item within window_days after "
	          "the user's first interaction, per friend and timed item"
	        : "not computed: the store has no timestamps");
	top = kith_alloc_n((size_t)MAX(top_n, 1), sizeof(int64_t), error);
	if (top == NULL)
		return FALSE;
	nt = kith_influence_top(top, r, top_n);
	json_builder_set_member_name(b, "top");
	json_builder_begin_array(b);
	for (int64_t j = 0; j < nt; j++) {
		int64_t u = top[j];
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "user");
		json_builder_add_string_value(b, s->user_ids[u]);
		kith_json_put_double(b, "pagerank",
				     r->col[KITH_INFL_PAGERANK][u]);
		kith_json_put_double(b, "kcore", r->col[KITH_INFL_KCORE]
		                     ? r->col[KITH_INFL_KCORE][u] : NAN);
		kith_json_put_double(b, "behavioural",
		                     r->col[KITH_INFL_BEHAVIOURAL]
		                     ? r->col[KITH_INFL_BEHAVIOURAL][u] : NAN);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	kith_json_put_double(b, "seconds", seconds);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	mpath = kith_outdir_path(od, "manifest.json");
	if (!kith_json_write(mpath, root, error))
		return FALSE;
	return kith_outdir_commit(od, error);
}
