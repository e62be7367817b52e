/*
 * Preference propagation (kith propagate): category distributions diffuse
 * over a user–user graph so that users with thin histories inherit the
 * preferences of the people around them.
 *
 * Graph.  Ŵ is a mix of row-normalised graphs: social (the store's uu
 * rows as stored, link weights), knn (kith_knn_graph() of the user
 * embeddings, symmetrised, cosine weights), cointeraction
 * (kith_cointeraction_graph(): users sharing items, top-k per user,
 * symmetrised).  Ŵ = rownorm(Σ_g w_g rownorm(A_g)); a row without any
 * neighbour stays zero.
 *
 * Iteration.  P0 (n x c) holds each user's own category preference
 * (kith_catpref(), rows summing to 1, zero without categorised events),
 * n_u the user's categorised events.  With the per-user neighbour weight
 *   a_u = α κ / (κ + n_u)        (restart weight 1 - a_u grows with n_u)
 * the update is
 *   P ← diag(a) Ŵ P + diag(1 - a) P0,   started at P = P0,
 * a contraction of factor ≤ α in the max norm, so it converges
 * geometrically; it stops when max |ΔP| < tol or after `iterations`
 * steps.  A user without evidence takes α times the average of its
 * neighbours (the mass lost per hop makes near neighbours count more); a
 * user with n_u = κ events weighs itself and its neighbourhood about
 * equally (for α near 1).
 * One more column carries the evidence confidence c_u = n_u / (n_u + κ)
 * through the same iteration: the propagated value is the reported
 * confidence.  At the end own_share_u = (1 - a_u)|P0_u|₁ / |P_u|₁ (the
 * share of the user's mass that comes from its own history) and rows are
 * normalised to sum 1.
 *
 * Evaluation (kith_propagate_evaluate()).  Users with >= 1 categorised
 * event are eligible; a random share `holdout` of them (Fisher–Yates on
 * the stream (seed, 0x686f6c64)) is held out.  A held-out user keeps only
 * its earliest floor(keep · events) events (log order; pairs by first
 * time) in P0 and its evidence; its graph links stay.  Truth t is the
 * user's full category distribution (all events, same weights and
 * decay).  Relevance of category k: share, rel_k = t_k; lift,
 * rel_k = max(0, t_k - g_k) with g the popularity distribution below
 * (what the user prefers beyond the average user).  Metrics over the
 * held-out users: NDCG@3 with graded relevance rel (kith_ndcg3()) and
 * accuracy@1 (the top prediction is the category of highest relevance,
 * ties to the lower index); predictions always rank by distribution
 * value.  Methods:
 *   kith:       the propagated distribution;
 *   popularity: g, the mean P0 row of the users not held out (those with
 *               categorised events): the best constant ranking;
 *   own:        the user's partial history alone, over the held-out users
 *               whose partial history has a categorised event.
 *
 * Cost per iteration: one SpMM, O(nnz(Ŵ) (c + 1)) + O(n c); memory three
 * n x (c + 1) float arrays.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "kith/analytics.h"
#include "kith/community.h"
#include "kith/core.h"
#include "kith/dist.h"
#include "kith/emb.h"
#include "kith/io.h"
#include "kith/nn.h"
#include "kith/profile.h"
#include "kith/store.h"
#include "analytics/profile-internal.h"

void
kith_propagate_params_init(struct kith_propagate_params *p)
{
	p->alpha = 0.85;
	p->iterations = 50;
	p->tol = 1e-6;
	p->kappa = 10.0;
	p->half_life_days = 90.0;
	p->knn = 20;
	p->co_k = 20;
	p->co_cap = 200;
}

/* ------------------------------------------------------------ the graph */

/* scales each row of a (in place, values required) to sum 1 */
static void
row_normalise(struct kith_csr *a)
{
#pragma omp parallel for schedule(static)
	for (int64_t u = 0; u < a->n_rows; u++) {
		double sum = 0;
		for (int64_t e = a->indptr[u]; e < a->indptr[u + 1]; e++)
			sum += a->values[e];
		if (sum > 0)
			for (int64_t e = a->indptr[u]; e < a->indptr[u + 1]; e++)
				a->values[e] = (float)(a->values[e] / sum);
	}
}

/* owned copy of rows [lo, hi) of the social graph (n columns) with
 * positive weights, no self-loops */
static gboolean
social_rows(struct kith_csr *out, const struct kith_store *s, int64_t lo,
            int64_t hi, GError **error)
{
	const struct kith_csr *uu = &s->uu;
	int64_t n = s->n_users, nnz = 0;

	for (int64_t u = lo; u < MIN(hi, uu->n_rows); u++)
		for (int64_t e = uu->indptr[u]; e < uu->indptr[u + 1]; e++)
			nnz += uu->indices[e] != u &&
			       (uu->values ? uu->values[e] > 0 : 1);
	if (!kith_csr_alloc(out, hi - lo, n, nnz, TRUE, error))
		return FALSE;
	int64_t w = 0;
	for (int64_t u = lo; u < hi; u++) {
		if (u < uu->n_rows)
			for (int64_t e = uu->indptr[u]; e < uu->indptr[u + 1];
			     e++) {
				float v = uu->values ? uu->values[e] : 1.0f;
				if (uu->indices[e] == u || !(v > 0))
					continue;
				out->indices[w] = uu->indices[e];
				out->values[w++] = v;
			}
		out->indptr[u - lo + 1] = w;
	}
	return TRUE;
}

static gboolean
social_graph(struct kith_csr *out, const struct kith_store *s,
             GError **error)
{
	return social_rows(out, s, 0, s->n_users, error);
}

typedef struct kith_csr prop_csr;
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(prop_csr, kith_csr_clear)

static void
append_coo(GArray *ri, GArray *ci, GArray *vi, const struct kith_csr *g,
           double wt)
{
	int64_t base = ri->len;
	g_array_set_size(ri, base + g->nnz);
	g_array_set_size(ci, base + g->nnz);
	g_array_set_size(vi, base + g->nnz);
	int32_t *r = (int32_t *)ri->data + base;
	int32_t *c = (int32_t *)ci->data + base;
	float *v = (float *)vi->data + base;
	for (int64_t u = 0; u < g->n_rows; u++)
		for (int64_t e = g->indptr[u]; e < g->indptr[u + 1]; e++) {
			r[e] = (int32_t)u;
			c[e] = g->indices[e];
			v[e] = (float)(g->values[e] * wt);
		}
}

gboolean
kith_propagate_graph(struct kith_csr *out, char **canon,
                     const struct kith_store *s, const struct kith_emb *emb,
                     const char *spec, const struct kith_propagate_params *p,
                     GError **error)
{
	int64_t n = s->n_users;
	g_auto(GStrv) parts = g_strsplit(spec ? spec : "", ",", -1);
	g_autoptr(GString) names = g_string_new(NULL);
	g_autoptr(GArray) ri = g_array_new(FALSE, FALSE, sizeof(int32_t));
	g_autoptr(GArray) ci = g_array_new(FALSE, FALSE, sizeof(int32_t));
	g_autoptr(GArray) vi = g_array_new(FALSE, FALSE, sizeof(float));
	guint seen = 0;
	int n_graphs = 0;
	g_auto(prop_csr) first = { 0 };   /* cleared on every early return */
	double first_wt = 1;

	memset(out, 0, sizeof(*out));
	if (n > INT32_MAX) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_LIMIT,
		            "too many users for a user graph");
		return FALSE;
	}
	for (int i = 0; parts[i]; i++) {
		g_autofree char *tok = g_strstrip(g_strdup(parts[i]));
		char *colon = strchr(tok, ':');
		double wt = 1.0;
		if (colon) {
			char *end;
			*colon = 0;
			wt = g_ascii_strtod(colon + 1, &end);
			if (end == colon + 1 || *end || !(wt > 0) || !isfinite(wt)) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
				            "invalid weight '%s' in --graph",
				            colon + 1);
				return FALSE;
			}
		}
		int kind;
		if (strcmp(tok, "social") == 0)
			kind = 0;
		else if (strcmp(tok, "knn") == 0)
			kind = 1;
		else if (strcmp(tok, "cointeraction") == 0)
			kind = 2;
		else {
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "unknown graph '%s' (known: social, knn, "
			            "cointeraction)", tok);
			return FALSE;
		}
		if (seen & (1u << kind)) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "graph '%s' listed twice", tok);
			return FALSE;
		}
		seen |= 1u << kind;
		struct kith_csr g;
		gboolean ok;
		if (kind == 0) {
			ok = social_graph(&g, s, error);
		} else if (kind == 1) {
			if (!emb) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
				            "graph 'knn' needs --emb");
				return FALSE;
			}
			if (emb->n_users != n) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
				            "embedding has %" G_GINT64_FORMAT
				            " users, the store %" G_GINT64_FORMAT,
				            emb->n_users, n);
				return FALSE;
			}
			ok = kith_knn_graph(&g, emb->users, n, emb->dim, p->knn,
			                    0.0, TRUE, error);
		} else {
			ok = kith_cointeraction_graph(&g, s, p->co_k, p->co_cap,
			                              error);
		}
		if (!ok)
			return FALSE;
		if (!g.values) {
			g.values = kith_alloc_n((size_t)MAX(g.nnz, 1),
			                        sizeof(float), error);
			if (!g.values) {
				kith_csr_clear(&g);
				return FALSE;
			}
			for (int64_t e = 0; e < g.nnz; e++)
				g.values[e] = 1.0f;
		}
		row_normalise(&g);
		/* a single graph is the result as it is; from the second on,
		 * all go through COO and are summed */
		if (n_graphs == 0) {
			first = g;
			first_wt = wt;
		} else {
			if (n_graphs == 1) {
				append_coo(ri, ci, vi, &first, first_wt);
				kith_csr_clear(&first);
			}
			append_coo(ri, ci, vi, &g, wt);
			kith_csr_clear(&g);
		}
		n_graphs++;
		if (names->len)
			g_string_append_c(names, ',');
		g_string_append(names, tok);
		if (colon) {
			char buf[G_ASCII_DTOSTR_BUF_SIZE];
			g_string_append_printf(names, ":%s",
			        g_ascii_formatd(buf, sizeof(buf), "%g", wt));
		}
	}
	if (!seen) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "--graph lists no graph");
		return FALSE;
	}
	if (n_graphs == 1) {
		*out = first;
		memset(&first, 0, sizeof(first));   /* ownership moves to out */
	} else {
		if (!kith_csr_from_coo(out, n, n, ri->len, (int32_t *)ri->data,
		                       (int32_t *)ci->data, (float *)vi->data,
		                       error))
			return FALSE;
		row_normalise(out);
	}
	if (canon)
		*canon = g_strdup(names->str);
	return TRUE;
}

/* ------------------------------------------------------------ iteration */

void
kith_prefs_clear(struct kith_prefs *r)
{
	g_free(r->P);
	g_free(r->confidence);
	g_free(r->own_share);
	g_free(r->top);
	memset(r, 0, sizeof(*r));
}

/* The iteration over the n rows of W.  Without h, W is n x n; with a
 * halo h (MPI), the rows are this rank's, W's columns local numbers
 * (n + h->n_halo), and P0 / evidence the owned rows; X's halo rows are
 * fetched before every product and the stopping test is global. */
static gboolean
propagate_rows(struct kith_prefs *out, const struct kith_csr *W,
               const struct kith_halo *h, const float *P0,
               const double *evidence, int64_t n, int64_t c,
               const struct kith_propagate_params *p, GError **error)
{
	int64_t d = c + 1, nh = h ? h->n_halo : 0;
	g_autofree float *X = NULL, *Y = NULL, *B = NULL, *a = NULL;
	g_autofree float *scratch = NULL;

	memset(out, 0, sizeof(*out));
	if (!(p->alpha >= 0 && p->alpha < 1) || p->iterations < 0 ||
	    !(p->kappa > 0)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "alpha must be in [0, 1), kappa positive");
		return FALSE;
	}
	if (W->n_rows != n || W->n_cols != n + nh) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "graph is %" G_GINT64_FORMAT " x %" G_GINT64_FORMAT
		            ", expected %" G_GINT64_FORMAT " users",
		            W->n_rows, W->n_cols, n);
		return FALSE;
	}
	if (d > INT32_MAX) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_LIMIT,
		            "too many categories");
		return FALSE;
	}
	size_t nd, nx;
	if (!kith_mul_size((size_t)MAX(n, 1), (size_t)d, &nd) ||
	    !kith_mul_size((size_t)MAX(n + nh, 1), (size_t)d, &nx)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "preference matrix too large");
		return FALSE;
	}
	out->n_users = n;
	out->n_categories = c;
	if (!(X = kith_floats_new(nx, FALSE, error)) ||
	    (h && !(scratch = kith_alloc_n((size_t)h->n_send + 1,
	                                   sizeof(float) * (size_t)d,
	                                   error))) ||
	    !(Y = kith_floats_new(nd, FALSE, error)) ||
	    !(B = kith_floats_new(nd, FALSE, error)) ||
	    !(a = kith_alloc_n((size_t)MAX(n, 1), sizeof(float), error)) ||
	    !(out->P = kith_alloc_n((size_t)MAX(n * c, 1), sizeof(float),
	                            error)) ||
	    !(out->confidence = kith_alloc_n((size_t)MAX(n, 1), sizeof(float),
	                                     error)) ||
	    !(out->own_share = kith_alloc_n((size_t)MAX(n, 1), sizeof(float),
	                                    error)) ||
	    !(out->top = kith_alloc_n((size_t)MAX(n, 1) * 3, sizeof(int32_t),
	                              error)))
		goto fail;

	/* B = diag(1 - a) [P0 | conf0], X = [P0 | conf0] */
#pragma omp parallel for schedule(static)
	for (int64_t u = 0; u < n; u++) {
		double ev = evidence[u] > 0 ? evidence[u] : 0;
		double au = p->alpha * p->kappa / (p->kappa + ev);
		a[u] = (float)au;
		for (int64_t k = 0; k < c; k++) {
			X[u * d + k] = P0[u * c + k];
			B[u * d + k] = (float)((1 - au) * P0[u * c + k]);
		}
		X[u * d + c] = (float)(ev / (ev + p->kappa));
		B[u * d + c] = (float)((1 - au) * X[u * d + c]);
	}
	double delta = 0;
	int it;
	for (it = 0; it < p->iterations; it++) {
		if (kith_interrupted()) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_INTERRUPTED,
			            "interrupted");
			goto fail;
		}
		if (h && !kith_halo_exchange(h, X, (int)d, sizeof(float), scratch,
		                             error))
			goto fail;
		kith_spmm(Y, W, X, (int)d);
		delta = 0;
#pragma omp parallel for schedule(static) reduction(max:delta)
		for (int64_t u = 0; u < n; u++) {
			float au = a[u];
			for (int64_t k = 0; k < d; k++) {
				size_t q = (size_t)u * d + k;
				float v = au * Y[q] + B[q];
				double df = fabs((double)v - X[q]);
				if (df > delta)
					delta = df;
				X[q] = v;
			}
		}
		if (h && !kith_dist_allreduce_f64(&delta, 1, KITH_DIST_MAX, error))
			goto fail;
		kith_progress("propagate", it + 1, p->iterations);
		if (delta < p->tol) {
			it++;
			out->converged = TRUE;
			break;
		}
	}
	out->iterations = it;
	out->delta = delta;
	if (p->iterations == 0)
		out->converged = TRUE;

#pragma omp parallel for schedule(static)
	for (int64_t u = 0; u < n; u++) {
		double mass = 0, own = 0;
		for (int64_t k = 0; k < c; k++) {
			mass += X[u * d + k];
			own += B[u * d + k];
		}
		float *o = out->P + u * c;
		for (int64_t k = 0; k < c; k++)
			o[k] = mass > 0 ? (float)(X[u * d + k] / mass) : 0.0f;
		out->own_share[u] = mass > 0 ? (float)MIN(own / mass, 1.0) : 0.0f;
		out->confidence[u] = X[u * d + c];
		kith_top3(out->top + u * 3, o, c);
	}
	kith_floats_free(g_steal_pointer(&X));
	kith_floats_free(g_steal_pointer(&Y));
	kith_floats_free(g_steal_pointer(&B));
	return TRUE;
fail:
	kith_floats_free(g_steal_pointer(&X));
	kith_floats_free(g_steal_pointer(&Y));
	kith_floats_free(g_steal_pointer(&B));
	kith_prefs_clear(out);
	return FALSE;
}

gboolean
kith_propagate_run(struct kith_prefs *out, const struct kith_csr *W,
                   const float *P0, const double *evidence, int64_t n,
                   int64_t c, const struct kith_propagate_params *p,
                   GError **error)
{
	return propagate_rows(out, W, NULL, P0, evidence, n, c, p, error);
}

/* ------------------------------------------------------------ over MPI */

void
kith_propagate_dist_info_clear(struct kith_propagate_dist_info *info)
{
	g_free(info->bounds);
	memset(info, 0, sizeof(*info));
}

gboolean
kith_propagate_graph_rows(struct kith_csr *out, int64_t *bounds, char **canon,
                          const struct kith_store *s,
                          const struct kith_emb *emb, const char *spec,
                          const struct kith_propagate_params *p,
                          GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	int64_t n = s->n_users;
	g_autofree char *tok = g_strstrip(g_strdup(spec ? spec : ""));
	struct kith_csr W;

	memset(out, 0, sizeof(*out));
	if (strcmp(tok, "social") == 0 && s->uu.n_rows == n) {
		int64_t lo, hi;
		kith_dist_partition(bounds, s->uu.indptr, n, P);
		lo = bounds[me];
		hi = bounds[me + 1];
		if (!social_rows(out, s, lo, hi, error))
			return FALSE;
		/* the store's pages of the rows just copied */
		kith_store_release_rows(s, &s->uu, lo, MIN(hi, s->uu.n_rows));
		row_normalise(out);
		if (canon)
			*canon = g_strdup("social");
		return TRUE;
	}
	if (!kith_propagate_graph(&W, canon, s, emb, spec, p, error))
		return FALSE;
	kith_dist_partition(bounds, W.indptr, n, P);
	int64_t lo = bounds[me], hi = bounds[me + 1];
	int64_t e0 = W.indptr[lo], e1 = W.indptr[hi];
	gboolean ok = kith_csr_alloc(out, hi - lo, n, e1 - e0, TRUE, error);
	if (ok) {
		for (int64_t i = 0; i <= hi - lo; i++)
			out->indptr[i] = W.indptr[lo + i] - e0;
		memcpy(out->indices, W.indices + e0,
		       sizeof(int32_t) * (size_t)(e1 - e0));
		memcpy(out->values, W.values + e0,
		       sizeof(float) * (size_t)(e1 - e0));
	}
	kith_csr_clear(&W);
	if (!ok && canon)
		g_clear_pointer(canon, g_free);
	return ok;
}

/* Gathers n_local rows of `width` elements of `elem` bytes from every
 * rank into a new array on rank 0 (*all; NULL elsewhere). */
static gboolean
gather_rows(void **all, const void *mine, const int64_t *bounds,
            size_t row, GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	g_autofree int64_t *cnt = g_new(int64_t, P);

	for (int q = 0; q < P; q++)
		cnt[q] = bounds[q + 1] - bounds[q];
	*all = NULL;
	if (me == 0 &&
	    !(*all = kith_alloc_n((size_t)MAX(bounds[P], 1), row, error)))
		return FALSE;
	return kith_dist_gatherv(mine, cnt[me], *all, cnt, row, error);
}

gboolean
kith_propagate_run_dist(struct kith_prefs *out,
                        struct kith_propagate_dist_info *info,
                        struct kith_csr *W, const int64_t *bounds,
                        const float *P0, const double *evidence, int64_t n,
                        int64_t c, const struct kith_propagate_params *p,
                        GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	int64_t lo = bounds[me], nl = bounds[me + 1] - lo;
	struct kith_halo h;
	struct kith_prefs r;
	uint64_t b0;
	gboolean ok;

	memset(out, 0, sizeof(*out));
	memset(info, 0, sizeof(*info));
	info->ranks = P;
	info->bounds = g_memdup2(bounds, sizeof(int64_t) * (size_t)(P + 1));
	kith_dist_bytes_reset();
	if (!kith_halo_build_in_place(&h, W, n, bounds, error))
		return FALSE;
	int64_t halo = h.n_halo;
	if (!kith_dist_allreduce_i64(&halo, 1, KITH_DIST_SUM, error)) {
		kith_halo_clear(&h);
		return FALSE;
	}
	info->halo = halo;
	info->setup_bytes = kith_dist_bytes();
	b0 = kith_dist_bytes();
	ok = propagate_rows(&r, W, &h, P0, evidence, nl, c, p, error);
	kith_halo_clear(&h);
	if (!ok)
		return FALSE;
	int64_t bpi = r.iterations > 0
		? (int64_t)((kith_dist_bytes() - b0) / (uint64_t)r.iterations) : 0;
	ok = kith_dist_allreduce_i64(&bpi, 1, KITH_DIST_SUM, error);
	info->bytes_per_iteration = (uint64_t)bpi;
	out->n_users = n;
	out->n_categories = c;
	out->iterations = r.iterations;
	out->converged = r.converged;
	out->delta = r.delta;
	ok = ok &&
	     gather_rows((void **)&out->P, r.P, bounds,
	                 sizeof(float) * (size_t)MAX(c, 1), error) &&
	     gather_rows((void **)&out->confidence, r.confidence, bounds,
	                 sizeof(float), error) &&
	     gather_rows((void **)&out->own_share, r.own_share, bounds,
	                 sizeof(float), error) &&
	     gather_rows((void **)&out->top, r.top, bounds,
	                 3 * sizeof(int32_t), error);
	kith_prefs_clear(&r);
	if (!ok)
		kith_prefs_clear(out);
	return ok;
}

int64_t
kith_propagate_dist_bytes_formula(const struct kith_propagate_dist_info *info,
                                  int64_t c)
{
	return info->ranks > 1
		? 4 * (c + 1) * info->halo + 8 * (int64_t)info->ranks : 0;
}

/* ----------------------------------------------------------- evaluation */

double
kith_ndcg3(const int32_t *pred, const float *truth, int64_t c)
{
	int32_t ideal[3];
	double dcg = 0, idcg = 0;

	kith_top3(ideal, truth, c);
	for (int r = 0; r < 3; r++) {
		double disc = 1.0 / log2(r + 2.0);
		if (pred[r] >= 0 && pred[r] < c)
			dcg += truth[pred[r]] * disc;
		if (ideal[r] >= 0)
			idcg += truth[ideal[r]] * disc;
	}
	return idcg > 0 ? dcg / idcg : 0.0;
}

gboolean
kith_relevance_parse(enum kith_relevance *out, const char *name)
{
	if (g_strcmp0(name, "share") == 0)
		*out = KITH_REL_SHARE;
	else if (g_strcmp0(name, "lift") == 0)
		*out = KITH_REL_LIFT;
	else
		return FALSE;
	return TRUE;
}

const char *
kith_relevance_name(enum kith_relevance r)
{
	return r == KITH_REL_LIFT ? "lift" : "share";
}

gboolean
kith_propagate_evaluate(struct kith_propagate_eval *out,
                        const struct kith_store *s, const struct kith_csr *W,
                        const struct kith_propagate_params *p,
                        double holdout, double keep, uint64_t seed,
                        enum kith_relevance relevance, GError **error)
{
	int64_t n = s->n_users, c = s->n_categories;
	size_t nc;
	g_autofree float *truth = NULL, *vis = NULL;
	g_autofree double *ev_full = NULL, *ev_vis = NULL, *pop = NULL;
	g_autofree int64_t *limit = NULL, *events = NULL, *elig = NULL;
	g_autofree uint8_t *held = NULL;
	struct kith_prefs r = { 0 };

	memset(out, 0, sizeof(*out));
	out->holdout = holdout;
	out->keep = keep;
	out->seed = seed;
	out->relevance = relevance;
	if (!(holdout > 0 && holdout < 1) || !(keep >= 0 && keep < 1)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "hold-out share must be in (0, 1) and kept share in "
		            "[0, 1)");
		return FALSE;
	}
	if (!kith_mul_size((size_t)MAX(n, 1), (size_t)MAX(c, 1), &nc)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "preference matrix too large");
		return FALSE;
	}
	if (!(truth = kith_alloc_n(nc, sizeof(float), error)) ||
	    !(vis = kith_alloc_n(nc, sizeof(float), error)) ||
	    !(ev_full = kith_alloc_n((size_t)n + 1, sizeof(double), error)) ||
	    !(ev_vis = kith_alloc_n((size_t)n + 1, sizeof(double), error)) ||
	    !(pop = kith_alloc0_n((size_t)c + 1, sizeof(double), error)) ||
	    !(limit = kith_alloc_n((size_t)n + 1, sizeof(int64_t), error)) ||
	    !(events = kith_alloc_n((size_t)n + 1, sizeof(int64_t), error)) ||
	    !(elig = kith_alloc_n((size_t)n + 1, sizeof(int64_t), error)) ||
	    !(held = kith_alloc0_n((size_t)n + 1, 1, error)))
		return FALSE;
	if (!kith_catpref(truth, ev_full, s, p->half_life_days, NULL, error))
		return FALSE;

	/* units of the kept prefix: events of the log, else pairs */
	if (s->n_log > 0) {
		if (!kith_user_events(events, s, error))
			return FALSE;
	} else {
		for (int64_t u = 0; u < n; u++)
			events[u] = s->ui.indptr[u + 1] - s->ui.indptr[u];
	}
	int64_t ne = 0;
	for (int64_t u = 0; u < n; u++)
		if (ev_full[u] > 0)
			elig[ne++] = u;
	int64_t h = (int64_t)llround(holdout * (double)ne);
	if (h < 1 && ne > 0)
		h = 1;
	struct kith_rng rng;
	kith_rng_seed(&rng, seed, 0x686f6c64);
	for (int64_t i = 0; i < h; i++) {
		int64_t j = i + (int64_t)kith_rng_below(&rng, (uint64_t)(ne - i));
		int64_t t = elig[i];
		elig[i] = elig[j];
		elig[j] = t;
		held[elig[i]] = 1;
	}
	for (int64_t u = 0; u < n; u++)
		limit[u] = held[u] ? (int64_t)floor(keep * (double)events[u]) : -1;
	if (!kith_catpref(vis, ev_vis, s, p->half_life_days, limit, error))
		return FALSE;
	for (int64_t u = 0; u < n; u++)
		if (ev_vis[u] > 0 && !held[u])
			for (int64_t k = 0; k < c; k++)
				pop[k] += vis[u * c + k];
	g_autofree float *popf = kith_alloc_n((size_t)c + 1, sizeof(float),
	                                      error);
	if (!popf)
		return FALSE;
	double pop_sum = 0;
	for (int64_t k = 0; k < c; k++)
		pop_sum += pop[k];
	for (int64_t k = 0; k < c; k++)
		popf[k] = pop_sum > 0 ? (float)(pop[k] / pop_sum) : 0.0f;
	g_autofree float *rel = kith_alloc_n((size_t)c + 1, sizeof(float),
	                                     error);
	if (!rel)
		return FALSE;
	int32_t pop_top[3];
	kith_top3(pop_top, popf, c);

	if (!kith_propagate_run(&r, W, vis, ev_vis, n, c, p, error))
		return FALSE;
	double nd = 0, ac = 0, pn = 0, pa = 0, on = 0, oa = 0, kn = 0;
	int64_t np = 0;
	for (int64_t u = 0; u < n; u++) {
		if (!held[u])
			continue;
		float *t = rel;
		for (int64_t k = 0; k < c; k++) {
			float v = truth[u * c + k];
			if (relevance == KITH_REL_LIFT)
				v = MAX(v - popf[k], 0.0f);
			t[k] = v;
		}
		int32_t best[3], own[3];
		kith_top3(best, t, c);
		const int32_t *pred = r.top + u * 3;
		nd += kith_ndcg3(pred, t, c);
		ac += pred[0] >= 0 && pred[0] == best[0];
		pn += kith_ndcg3(pop_top, t, c);
		pa += pop_top[0] >= 0 && pop_top[0] == best[0];
		if (ev_vis[u] > 0) {
			kith_top3(own, vis + u * c, c);
			on += kith_ndcg3(own, t, c);
			oa += own[0] >= 0 && own[0] == best[0];
			kn += kith_ndcg3(pred, t, c);
			np++;
		}
	}
	kith_prefs_clear(&r);
	out->users_held_out = h;
	out->users_partial = np;
	double hd = h > 0 ? (double)h : NAN;
	out->ndcg3 = nd / hd;
	out->acc1 = ac / hd;
	out->pop_ndcg3 = pn / hd;
	out->pop_acc1 = pa / hd;
	out->own_ndcg3 = np > 0 ? on / np : NAN;
	out->own_acc1 = np > 0 ? oa / np : NAN;
	out->kith_ndcg3_partial = np > 0 ? kn / np : NAN;
	return TRUE;
}

/* ------------------------------------------------------------- writing */

gboolean
kith_prefs_write(const char *path, const struct kith_prefs *r,
                 const struct kith_store *s, const char *store_path,
                 const char *graph, double alpha,
                 const struct kith_propagate_eval *ev, JsonObject *options,
                 GError **error)
{
	g_autoptr(kith_outdir) od = kith_outdir_begin(path, error);
	g_autoptr(JsonBuilder) b = NULL;
	g_autoptr(GString) line = g_string_sized_new(256);

	if (!od)
		return FALSE;
	b = kith_manifest_begin("kith-prefs", 1);
	json_builder_set_member_name(b, "arrays");
	json_builder_begin_object(b);
	if (!kith_outdir_npy(od, b, "prefs.npy", KITH_DT_F32, r->n_users,
	                     r->n_categories, r->P, 0600, error) ||
	    !kith_outdir_ids(od, b, "users.tsv", "user", s->user_ids,
	                     r->n_users, 0600, error))
		return FALSE;
	json_builder_end_object(b);
	FILE *f = kith_i_tsv_open(od, "prefs.tsv", error);
	if (!f)
		return FALSE;
	fputs("user\ttop1\ttop2\ttop3\tconfidence\town_share\t"
	      "neighbour_share\n", f);
	for (int64_t u = 0; u < r->n_users; u++) {
		g_string_truncate(line, 0);
		g_string_append(line, s->user_ids[u]);
		for (int q = 0; q < 3; q++) {
			int32_t k = r->top[u * 3 + q];
			g_string_append_c(line, '\t');
			if (k >= 0)
				g_string_append(line, s->category_names[k]);
		}
		g_string_append_c(line, '\t');
		kith_i_put_num(line, r->confidence[u]);
		gboolean any = r->top[u * 3] >= 0;
		g_string_append_c(line, '\t');
		if (any)
			kith_i_put_num(line, r->own_share[u]);
		g_string_append_c(line, '\t');
		if (any)
			kith_i_put_num(line, 1.0 - (double)r->own_share[u]);
		g_string_append_c(line, '\n');
		fwrite(line->str, 1, line->len, f);
	}
	if (!kith_i_tsv_close(f, "prefs.tsv", error))
		return FALSE;
	kith_i_manifest_store(b, s, store_path);
	json_builder_set_member_name(b, "graph");
	json_builder_add_string_value(b, graph);
	kith_json_put_double(b, "alpha", alpha);
	json_builder_set_member_name(b, "iterations");
	json_builder_add_int_value(b, r->iterations);
	json_builder_set_member_name(b, "converged");
	json_builder_add_boolean_value(b, r->converged);
	kith_json_put_double(b, "last_delta", r->delta);
	json_builder_set_member_name(b, "users");
	json_builder_add_int_value(b, r->n_users);
	json_builder_set_member_name(b, "categories");
	json_builder_add_int_value(b, r->n_categories);
	if (ev) {
		json_builder_set_member_name(b, "eval");
		json_builder_begin_object(b);
		kith_json_put_double(b, "ndcg@3", ev->ndcg3);
		kith_json_put_double(b, "accuracy@1", ev->acc1);
		kith_json_put_double(b, "baseline_popularity_ndcg@3",
				     ev->pop_ndcg3);
		kith_json_put_double(b, "baseline_popularity_accuracy@1",
				     ev->pop_acc1);
		kith_json_put_double(b, "baseline_own_ndcg@3", ev->own_ndcg3);
		json_builder_set_member_name(b, "users_held_out");
		json_builder_add_int_value(b, ev->users_held_out);
		kith_json_put_double(b, "baseline_own_accuracy@1",
				     ev->own_acc1);
		kith_json_put_double(b, "ndcg@3_users_with_partial_history",
		        ev->kith_ndcg3_partial);
		json_builder_set_member_name(b, "users_with_partial_history");
		json_builder_add_int_value(b, ev->users_partial);
		kith_json_put_double(b, "holdout", ev->holdout);
		kith_json_put_double(b, "kept_history", ev->keep);
		json_builder_set_member_name(b, "relevance");
		json_builder_add_string_value(b,
		                              kith_relevance_name(ev->relevance));
		json_builder_set_member_name(b, "seed");
		json_builder_add_int_value(b, (int64_t)ev->seed);
		json_builder_end_object(b);
	}
	return kith_i_manifest_finish(od, b, options, error);
}
