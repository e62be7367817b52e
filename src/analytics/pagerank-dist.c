/*
 * PageRank by power iteration over the ranks of an MPI job (kith
 * influence under mpirun; see include/kith/dist.h for the partition and
 * the halo).
 *
 * Graph: the n x n CSR a, read only in this rank's rows.  An entry (u, v),
 * v != u, is a link u -> v of weight w (1 when unweighted; skipped when
 * weighted and w <= 0), as igraph's PRPACK takes it.  Undirected graphs
 * must be stored symmetric (kith ingest writes them so; the co-interaction
 * graph is), so the row of v lists the links into v; directed ones are
 * transposed once with an Alltoallv of (v, u, w) triples to v's owner.
 *
 * Iteration, with out-weights o_u = Σ_v w_uv, the restart distribution r
 * (uniform 1/n, or 1/|S| on the seed users S for personalised PageRank),
 * damping d and D = Σ_{o_u = 0} x_u the mass of dangling users (which
 * jump by r, as in igraph):
 *   z_u = x_u / o_u  (0 when o_u = 0)              owned users
 *   halo exchange of z: the remote users that the owned in-rows touch
 *   y_v = d Σ_{u -> v} w_uv z_u + (d D + 1 - d) r_v
 *   Allreduce of (Σ |y - x|, D of y): 2 doubles
 * from x = 1/n until Σ |y - x| < tol (the L1 error is then below
 * d tol / (1 - d)), then x / Σ x.  The sum of each y_v runs over v's
 * in-links in ascending u, so a rank count changes only the order of the
 * two global sums (results agree to rounding).
 *
 * Cost per iteration on a rank: O(nnz_local + n_local) flops, 8 n_send
 * bytes of halo sent plus 16 bytes of Allreduce; over all ranks the bytes
 * per iteration are 8 H + 16 P with H = Σ_r (remote users rank r's rows
 * touch).  Setup: 16 bytes per remote link to transpose a directed graph,
 * 4 H for the halo lists.  Memory per rank: the owned in-rows (8 bytes
 * an entry: their columns become local numbers in place; the store's
 * pages of those rows are handed back once copied), a bitmap of n bits
 * while the halo is built, 4 vectors of n_local doubles and one of
 * n_local + H.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "kith/community.h"
#include "kith/core.h"
#include "kith/dist.h"
#include "kith/store.h"

/* Rows per block of the two sums of an iteration. */
#define PR_BLOCK 4096

typedef struct kith_csr pr_csr;
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(pr_csr, kith_csr_clear)
typedef struct kith_halo pr_halo;
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(pr_halo, kith_halo_clear)

/* A link of the owned rows: kept (not a self-loop, positive weight when
 * weighted)? */
static inline gboolean
link_kept(const struct kith_csr *a, int64_t u, int64_t e, gboolean weighted)
{
	return a->indices[e] != u &&
	       (!weighted || !a->values || a->values[e] > 0);
}

static inline float
link_w(const struct kith_csr *a, int64_t e, gboolean weighted)
{
	return weighted && a->values ? a->values[e] : 1.0f;
}

/* TRUE (on every rank) when the weights of a are not all equal. */
static gboolean
weights_differ(gboolean *out, const struct kith_csr *a,
               const struct kith_store *mapped, int64_t lo, int64_t hi,
               GError **error)
{
	double mm[2] = { INFINITY, INFINITY };   /* min w, min -w */

	if (a->values)
		for (int64_t e = a->indptr[lo]; e < a->indptr[hi]; e++) {
			mm[0] = MIN(mm[0], (double)a->values[e]);
			mm[1] = MIN(mm[1], -(double)a->values[e]);
		}
	kith_store_release_rows(mapped, a, lo, hi);
	if (!kith_dist_allreduce_f64(mm, 2, KITH_DIST_MIN, error))
		return FALSE;
	*out = isfinite(mm[0]) && mm[0] != -mm[1];
	return TRUE;
}

/* Rows [r0, u] of a read: when they reach a block (or u is the last
 * row), hands the store's pages of them back and moves r0 past u. */
static inline void
rows_read(const struct kith_store *mapped, const struct kith_csr *a,
          int64_t *r0, int64_t u, int64_t hi)
{
	if (mapped && (u + 1 == hi || a->indptr[u + 1] - a->indptr[*r0] +
	                              u - *r0 >= KITH_STORE_RELEASE_BLOCK)) {
		kith_store_release_rows(mapped, a, *r0, u + 1);
		*r0 = u + 1;
	}
}

/* in: the owned in-rows (global columns, values = weights), o: the
 * out-weights of the owned users.  mapped: the store a belongs to, whose
 * pages of the rows read go back as they are copied, or NULL. */
static gboolean
in_rows(struct kith_csr *in, double *o, int64_t *n_links,
        const struct kith_csr *a, const struct kith_store *mapped,
        gboolean directed, gboolean weighted, const int64_t *bounds,
        GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	int64_t lo = bounds[me], hi = bounds[me + 1], nl = hi - lo, m = 0;
	g_autofree int64_t *sc = g_new0(int64_t, P), *rc = g_new0(int64_t, P);
	g_autofree int64_t *pos = g_new0(int64_t, P);
	g_autofree int32_t *snd = NULL, *rcv = NULL;
	int64_t nr = 0;

	int64_t r0 = lo;
	for (int64_t u = lo; u < hi; u++) {
		o[u - lo] = 0;
		for (int64_t e = a->indptr[u]; e < a->indptr[u + 1]; e++)
			if (link_kept(a, u, e, weighted)) {
				o[u - lo] += link_w(a, e, weighted);
				m++;
			}
		rows_read(mapped, a, &r0, u, hi);
	}
	*n_links = m;
	if (!directed) {
		/* symmetric: the owned rows are the in-rows */
		if (!kith_csr_alloc(in, nl, a->n_cols, m, TRUE, error))
			return FALSE;
		m = 0;
		r0 = lo;
		for (int64_t u = lo; u < hi; u++) {
			for (int64_t e = a->indptr[u]; e < a->indptr[u + 1]; e++)
				if (link_kept(a, u, e, weighted)) {
					in->indices[m] = a->indices[e];
					in->values[m++] = link_w(a, e, weighted);
				}
			in->indptr[u - lo + 1] = m;
			rows_read(mapped, a, &r0, u, hi);
		}
		return TRUE;
	}
	/* directed: (v, u, w bits) to the owner of v */
	r0 = lo;
	for (int64_t u = lo; u < hi; u++) {
		for (int64_t e = a->indptr[u]; e < a->indptr[u + 1]; e++)
			if (link_kept(a, u, e, weighted))
				sc[kith_dist_owner(bounds, P, a->indices[e])]++;
		rows_read(mapped, a, &r0, u, hi);
	}
	if (!(snd = kith_alloc_n((size_t)m * 3 + 1, sizeof(int32_t), error)))
		return FALSE;
	for (int r = 1; r < P; r++)
		pos[r] = pos[r - 1] + sc[r - 1];
	r0 = lo;
	for (int64_t u = lo; u < hi; u++) {
		for (int64_t e = a->indptr[u]; e < a->indptr[u + 1]; e++)
			if (link_kept(a, u, e, weighted)) {
				int32_t v = a->indices[e];
				float w = link_w(a, e, weighted);
				int32_t *t = snd + 3 * pos[kith_dist_owner(bounds, P, v)]++;
				t[0] = v;
				t[1] = (int32_t)u;
				memcpy(&t[2], &w, sizeof(float));
			}
		rows_read(mapped, a, &r0, u, hi);
	}
	if (!kith_dist_alltoall_i64(sc, rc, error))
		return FALSE;
	for (int r = 0; r < P; r++)
		nr += rc[r];
	if (!(rcv = kith_alloc_n((size_t)nr * 3 + 1, sizeof(int32_t), error)))
		return FALSE;
	if (!kith_dist_alltoallv(snd, sc, rcv, rc, 3 * sizeof(int32_t), error))
		return FALSE;
	g_clear_pointer(&snd, g_free);
	/* counting sort by v; stable, and the blocks arrive in rank order,
	 * each in ascending u, so every in-row ends in ascending u */
	if (!kith_csr_alloc(in, nl, a->n_cols, nr, TRUE, error))
		return FALSE;
	for (int64_t k = 0; k < nr; k++) {
		int32_t v = rcv[3 * k];
		if (v < lo || v >= hi) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
			            "pagerank: rank %d received a link into user %d, "
			            "not its own", me, v);
			return FALSE;
		}
		in->indptr[v - lo + 1]++;
	}
	for (int64_t i = 0; i < nl; i++)
		in->indptr[i + 1] += in->indptr[i];
	g_autofree int64_t *fill = g_memdup2(in->indptr,
	                                     sizeof(int64_t) * (size_t)nl + 1);
	for (int64_t k = 0; k < nr; k++) {
		int64_t q = fill[rcv[3 * k] - lo]++;
		in->indices[q] = rcv[3 * k + 1];
		memcpy(&in->values[q], &rcv[3 * k + 2], sizeof(float));
	}
	return TRUE;
}

gboolean
kith_pagerank_dist(double *out, struct kith_pagerank_dist_info *info,
                   const struct kith_csr *a, const struct kith_store *mapped,
                   gboolean directed,
                   double damping, const int32_t *reset, int64_t n_reset,
                   double tol, int max_iterations, GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	int64_t n = a->n_rows, lo, hi, nl;
	g_auto(pr_csr) in = { 0 };
	g_auto(pr_halo) h = { 0 };
	g_autofree double *o = NULL, *x = NULL, *y = NULL, *z = NULL;
	g_autofree double *r = NULL, *scratch = NULL, *part = NULL;
	g_autofree int64_t *counts = NULL;
	double d = damping, red[2];
	gboolean ok = TRUE, weighted;
	int64_t links = 0;
	uint64_t b0;

	memset(info, 0, sizeof(*info));
	if (!(damping >= 0 && damping < 1) || a->n_cols != n || n > INT32_MAX ||
	    (reset && n_reset < 1)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "pagerank: damping must be in [0, 1) and the graph "
		            "square, with at least one seed when personalised");
		return FALSE;
	}
	info->ranks = P;
	info->bounds = g_new(int64_t, P + 1);
	kith_dist_partition(info->bounds, a->indptr, n, P);
	lo = info->bounds[me];
	hi = info->bounds[me + 1];
	nl = hi - lo;
	kith_dist_bytes_reset();
	if (!weights_differ(&weighted, a, mapped, lo, hi, error))
		return FALSE;
	info->weighted = weighted;
	if (!(o = kith_alloc_n((size_t)nl + 1, sizeof(double), error)))
		ok = FALSE;
	if (!kith_dist_all_ok(ok, ok ? error : NULL) ||
	    !in_rows(&in, o, &links, a, mapped, directed, weighted,
	             info->bounds, error))
		return FALSE;
	if (!kith_halo_build_in_place(&h, &in, n, info->bounds, error))
		return FALSE;
	info->n_links = links;
	info->halo = h.n_halo;
	if (!(x = kith_alloc_n((size_t)nl + 1, sizeof(double), error)) ||
	    !(y = kith_alloc_n((size_t)nl + 1, sizeof(double), error)) ||
	    !(r = kith_alloc0_n((size_t)nl + 1, sizeof(double), error)) ||
	    !(z = kith_alloc_n((size_t)(nl + h.n_halo) + 1, sizeof(double),
	                       error)) ||
	    !(scratch = kith_alloc_n((size_t)h.n_send + 1, sizeof(double),
	                             error)) ||
	    !(part = kith_alloc_n(2 * (size_t)(nl / PR_BLOCK + 1),
	                          sizeof(double), error)))
		ok = FALSE;
	if (!kith_dist_all_ok(ok, ok ? error : NULL))
		return FALSE;
	for (int64_t i = 0; i < nl; i++)
		r[i] = reset ? 0.0 : 1.0 / (double)n;
	for (int64_t k = 0; reset && k < n_reset; k++)
		if (reset[k] >= lo && reset[k] < hi)
			r[reset[k] - lo] = 1.0 / (double)n_reset;
	red[1] = 0;
	for (int64_t i = 0; i < nl; i++) {
		x[i] = 1.0 / (double)n;
		if (o[i] == 0)
			red[1] += x[i];
	}
	red[0] = 0;
	int64_t counter[3] = { links, h.n_halo, 0 };
	if (!kith_dist_allreduce_f64(red + 1, 1, KITH_DIST_SUM, error) ||
	    !kith_dist_allreduce_i64(counter, 2, KITH_DIST_SUM, error))
		return FALSE;
	info->n_links = counter[0];
	info->halo = counter[1];
	info->setup_bytes = kith_dist_bytes();
	b0 = kith_dist_bytes();
	int64_t nb = (nl + PR_BLOCK - 1) / PR_BLOCK;
	int it;
	for (it = 0; it < max_iterations; it++) {
		double dangling = red[1], jump;

		if (kith_interrupted()) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_INTERRUPTED,
			            "interrupted");
			return FALSE;
		}
		for (int64_t i = 0; i < nl; i++)
			z[i] = o[i] > 0 ? x[i] / o[i] : 0.0;
		if (!kith_halo_exchange(&h, z, 1, sizeof(double), scratch, error))
			return FALSE;
		jump = d * dangling + (1 - d);
		/* fixed blocks summed in order: the same sums for any thread
		 * count */
#pragma omp parallel for schedule(static) if (nl > 65536)
		for (int64_t b = 0; b < nb; b++) {
			double s1 = 0, s2 = 0;
			for (int64_t i = b * PR_BLOCK; i < MIN(nl, (b + 1) * PR_BLOCK);
			     i++) {
				double s = 0;
				for (int64_t e = in.indptr[i]; e < in.indptr[i + 1];
				     e++)
					s += (double)in.values[e] * z[in.indices[e]];
				y[i] = d * s + jump * r[i];
				s1 += fabs(y[i] - x[i]);
				if (o[i] == 0)
					s2 += y[i];
			}
			part[2 * b] = s1;
			part[2 * b + 1] = s2;
		}
		red[0] = red[1] = 0;
		for (int64_t b = 0; b < nb; b++) {
			red[0] += part[2 * b];
			red[1] += part[2 * b + 1];
		}
		if (!kith_dist_allreduce_f64(red, 2, KITH_DIST_SUM, error))
			return FALSE;
		double *t = x;
		x = y;
		y = t;
		info->delta = red[0];
		kith_progress("pagerank", it + 1, max_iterations);
		if (red[0] < tol) {
			it++;
			info->converged = TRUE;
			break;
		}
	}
	info->iterations = it;
	info->bytes_per_iteration = it > 0 ? (kith_dist_bytes() - b0) / it : 0;
	/* over all ranks */
	int64_t bpi = (int64_t)info->bytes_per_iteration;
	if (!kith_dist_allreduce_i64(&bpi, 1, KITH_DIST_SUM, error))
		return FALSE;
	info->bytes_per_iteration = (uint64_t)bpi;
	red[0] = 0;
	for (int64_t i = 0; i < nl; i++)
		red[0] += x[i];
	if (!kith_dist_allreduce_f64(red, 1, KITH_DIST_SUM, error))
		return FALSE;
	for (int64_t i = 0; i < nl; i++)
		x[i] /= red[0];
	counts = g_new(int64_t, P);
	for (int q = 0; q < P; q++)
		counts[q] = info->bounds[q + 1] - info->bounds[q];
	return kith_dist_gatherv(x, nl, out, counts, sizeof(double), error);
}

void
kith_pagerank_dist_info_clear(struct kith_pagerank_dist_info *info)
{
	g_free(info->bounds);
	memset(info, 0, sizeof(*info));
}

int64_t
kith_pagerank_dist_bytes_formula(const struct kith_pagerank_dist_info *info)
{
	return info->ranks > 1 ? 8 * info->halo + 16 * (int64_t)info->ranks : 0;
}
