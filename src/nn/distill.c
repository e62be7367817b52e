/*
 * Distilling a full-rank graph filter into a rank-d embedding: the
 * kernels (no I/O).
 *
 * The teacher scores user u by the row S_u of the full-rank linear filter
 *
 *     S = R D_i^-b1 Rᵀ D_u^-a R D_i^-b2          (n x m)
 *
 * (R the binary pairs, D_u and D_i its degrees: the items of u, the
 * users of those items, their items, each hop weighted by a power of a
 * degree; GF-CF's filter is a = 1, b1 = b2 = 1/2).  A rank-d
 * factorisation fitted to all of S (its SVD) loses most of what ranks
 * well on sparse catalogues; fitted to the top of each user's ranking it
 * keeps it.  kith_distill_teacher() gives each user's k best items
 * outside its own, their scores over the best one's: the targets.
 * kith_wals_cg() fits one side of the factorisation X Yᵀ to them with
 * the other side fixed, by weighted least squares: weight c on a target
 * cell (pulled to its target), alpha0 on every other cell (pulled to 0,
 * through the Gramian: no cell is visited), ridge lambda:
 *
 *     min_x  Σ_{j ∈ T_r} c (t_rj - x·y_j)² + alpha0 Σ_{j ∉ T_r} (x·y_j)²
 *            + lambda ‖x‖²
 *
 * whose normal equations are (G + Σ_{j ∈ T_r} (c - alpha0) y_j y_jᵀ) x =
 * c Σ_{j ∈ T_r} t_rj y_j with G = alpha0 YᵀY + lambda I; a few conjugate
 * gradient steps from the current x solve them (a warm start: the
 * alternating sweeps change x little).  The prototype and its figures:
 * tools/proto-distill/ and the README (Ranking quality).
 *
 * Deterministic: every user's (row's) sums run in a fixed order in one
 * thread, so the bytes do not depend on the thread count.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kith/core.h"
#include "kith/eval.h"
#include "kith/nn.h"

/* TRUE when the sorted list a[0..n) holds x (bisection). */
static gboolean
sorted_has(const int32_t *a, int64_t n, int32_t x)
{
	int64_t lo = 0, hi = n;

	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if (a[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && a[lo] == x;
}

struct colval {
	int32_t col;
	float val;
};

static int
colval_cmp(const void *a, const void *b)
{
	int32_t x = ((const struct colval *)a)->col;
	int32_t y = ((const struct colval *)b)->col;
	return (x > y) - (x < y);
}

/* The pairs (cols[q], vals[q]), q < c, in column order. */
static void
sort_by_column(int32_t *cols, float *vals, int c, struct colval *tmp)
{
	for (int q = 0; q < c; q++)
		tmp[q] = (struct colval){ cols[q], vals[q] };
	qsort(tmp, c, sizeof *tmp, colval_cmp);
	for (int q = 0; q < c; q++) {
		cols[q] = tmp[q].col;
		vals[q] = tmp[q].val;
	}
}

/* x^-e for a degree (0 for an empty row or column). */
static double
deg_pow(int64_t deg, double e)
{
	return deg > 0 ? pow((double)deg, -e) : 0.0;
}

gboolean
kith_distill_teacher(struct kith_csr *T, const struct kith_csr *R,
                     const struct kith_csr *Rt, int64_t u0, int64_t u1,
                     double a, double b1, double b2, int k, GError **error)
{
	int64_t n = R->n_rows, m = R->n_cols, rows = u1 - u0;
	gboolean ok = FALSE;

	memset(T, 0, sizeof *T);
	if (u0 < 0 || u1 < u0 || u1 > n || k < 1 || Rt->n_rows != m ||
	    Rt->n_cols != n) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE, "teacher rows "
		            "%" G_GINT64_FORMAT "..%" G_GINT64_FORMAT " of %"
		            G_GINT64_FORMAT ", k %d", u0, u1, n, k);
		return FALSE;
	}
	size_t cells;
	g_autofree double *du = kith_alloc_n(MAX(n, 1), sizeof(double), error);
	g_autofree double *wi1 = du ? kith_alloc_n(MAX(m, 1), sizeof(double),
	                                           error) : NULL;
	g_autofree double *wi2 = wi1 ? kith_alloc_n(MAX(m, 1), sizeof(double),
	                                            error) : NULL;
	g_autofree int32_t *top = NULL;
	g_autofree float *val = NULL;
	g_autofree int *cnt = NULL;
	if (!wi2 || !kith_mul_size((size_t)MAX(rows, 1), (size_t)k, &cells) ||
	    !(top = kith_alloc_n(cells, sizeof(int32_t), error)) ||
	    !(val = kith_alloc_n(cells, sizeof(float), error)) ||
	    !(cnt = kith_alloc0_n(MAX(rows, 1), sizeof(int), error)))
		goto out;
	for (int64_t v = 0; v < n; v++)
		du[v] = deg_pow(R->indptr[v + 1] - R->indptr[v], a);
	for (int64_t i = 0; i < m; i++) {
		int64_t d = Rt->indptr[i + 1] - Rt->indptr[i];
		wi1[i] = deg_pow(d, b1);
		wi2[i] = deg_pow(d, b2);
	}
	gboolean nomem = FALSE;
#pragma omp parallel
	{
		double *acc = g_try_new0(double, MAX(m, 1));
		int32_t *touched = g_try_new(int32_t, MAX(m, 1));
		float *sc = g_try_new(float, MAX(m, 1));
		struct colval *tmp = g_try_new(struct colval, k);
		if (!acc || !touched || !sc || !tmp) {
#pragma omp atomic write
			nomem = TRUE;
		}
#pragma omp for schedule(dynamic, 64)
		for (int64_t r = 0; r < rows; r++) {
			int64_t u = u0 + r, nt = 0, w = 0;
			if (!acc || !touched || !sc || !tmp)
				continue;
			/* three hops, in the order of the rows: the same sums
			 * on any thread */
			for (int64_t e = R->indptr[u]; e < R->indptr[u + 1];
			     e++) {
				int32_t i = R->indices[e];
				for (int64_t f = Rt->indptr[i];
				     f < Rt->indptr[i + 1]; f++) {
					int32_t v = Rt->indices[f];
					double x = wi1[i] * du[v];
					for (int64_t g = R->indptr[v];
					     g < R->indptr[v + 1]; g++) {
						int32_t j = R->indices[g];
						if (acc[j] == 0)
							touched[nt++] = j;
						acc[j] += x;
					}
				}
			}
			/* the user's own items are not candidates (sorted) */
			const int32_t *own = R->indices + R->indptr[u];
			int64_t n_own = R->indptr[u + 1] - R->indptr[u];
			for (int64_t q = 0; q < nt; q++) {
				int32_t j = touched[q];
				double s = acc[j] * wi2[j];
				acc[j] = 0;
				if (!(s > 0) || sorted_has(own, n_own, j))
					continue;
				touched[w] = j;
				sc[w++] = (float)s;
			}
			int32_t *ti = top + r * k;
			float *tv = val + r * k;
			kith_topk_pairs(ti, tv, touched, sc, w, k);
			int c = (int)MIN(w, (int64_t)k);
			/* over the best; then by column, for the transposes */
			float best = c > 0 ? tv[0] : 1.0f;
			for (int q = 0; q < c; q++)
				tv[q] /= best;
			sort_by_column(ti, tv, c, tmp);
			cnt[r] = c;
		}
		g_free(acc);
		g_free(touched);
		g_free(sc);
		g_free(tmp);
	}
	if (nomem) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "teacher: out of memory for %" G_GINT64_FORMAT
		            " items a thread", m);
		goto out;
	}
	int64_t nnz = 0;
	for (int64_t r = 0; r < rows; r++)
		nnz += cnt[r];
	if (!kith_csr_alloc(T, rows, m, nnz, TRUE, error))
		goto out;
	T->indptr[0] = 0;
	for (int64_t r = 0; r < rows; r++) {
		int64_t p = T->indptr[r];
		memcpy(T->indices + p, top + r * k, cnt[r] * sizeof(int32_t));
		memcpy(T->values + p, val + r * k, cnt[r] * sizeof(float));
		T->indptr[r + 1] = p + cnt[r];
	}
	ok = TRUE;
out:
	return ok;
}

/* 4 double lanes (GCC generic vectors, SSE2 or AVX2 by a target clone);
 * no FMA contraction in either clone, and every sum runs in an order the
 * source fixes, so both give the same bits (as src/base/dense.c). */
#pragma GCC diagnostic ignored "-Wpsabi"
typedef double v4d __attribute__((vector_size(32)));

static inline v4d
load4(const double *p)
{
	v4d v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline void
store4(double *p, v4d v)
{
	memcpy(p, &v, sizeof v);
}

static inline v4d
load4f(const float *p)
{
	return (v4d){ p[0], p[1], p[2], p[3] };
}

/* out = (G + Σ_j cw y_j y_jᵀ) p over the entries of one row: d x d
 * doubles G (symmetric: G p = Σ_t p_t G[t, :]), columns cols[0..ne) of
 * Y (rows of d floats).  Lanes run across outputs, or across the four
 * interleaved partial sums of a dot product added in a fixed order. */
__attribute__((target_clones("avx2", "default")))
static void
wals_matvec(double *out, const double *G, const float *Y, int d,
            const int32_t *cols, int64_t ne, double cw, const double *p)
{
	int d4 = d - d % 4;

	memset(out, 0, d * sizeof(double));
	for (int t = 0; t < d; t++) {
		const double *g = G + (size_t)t * d;
		v4d pt = { p[t], p[t], p[t], p[t] };
		int j = 0;
		for (; j < d4; j += 4)
			store4(out + j, load4(out + j) + pt * load4(g + j));
		for (; j < d; j++)
			out[j] += p[t] * g[j];
	}
	for (int64_t e = 0; e < ne; e++) {
		const float *y = Y + (size_t)cols[e] * d;
		v4d acc = { 0, 0, 0, 0 };
		int j = 0;
		for (; j < d4; j += 4)
			acc += load4f(y + j) * load4(p + j);
		double t = ((acc[0] + acc[1]) + acc[2]) + acc[3];
		for (; j < d; j++)
			t += (double)y[j] * p[j];
		t *= cw;
		v4d tt = { t, t, t, t };
		for (j = 0; j < d4; j += 4)
			store4(out + j, load4(out + j) + tt * load4f(y + j));
		for (; j < d; j++)
			out[j] += t * (double)y[j];
	}
}

void
kith_wals_cg(float *X, const struct kith_csr *T, const float *Y, int d,
             const double *G, double c, double alpha0, int steps)
{
#pragma omp parallel
	{
		double *x = g_new(double, 5 * (size_t)MAX(d, 1));
		double *r = x + d, *p = r + d, *ap = p + d, *b = ap + d;
#pragma omp for schedule(dynamic, 64)
		for (int64_t row = 0; row < T->n_rows; row++) {
			const int32_t *cols = T->indices + T->indptr[row];
			const float *t = T->values + T->indptr[row];
			int64_t ne = T->indptr[row + 1] - T->indptr[row];
			float *xr = X + (size_t)row * d;
			memset(b, 0, d * sizeof(double));
			for (int64_t e = 0; e < ne; e++) {
				const float *y = Y + (size_t)cols[e] * d;
				for (int j = 0; j < d; j++)
					b[j] += c * (double)t[e] * (double)y[j];
			}
			for (int j = 0; j < d; j++)
				x[j] = xr[j];
			wals_matvec(ap, G, Y, d, cols, ne, c - alpha0, x);
			double rs = 0;
			for (int j = 0; j < d; j++) {
				r[j] = b[j] - ap[j];
				p[j] = r[j];
				rs += r[j] * r[j];
			}
			for (int s = 0; s < steps && rs > 0; s++) {
				wals_matvec(ap, G, Y, d, cols, ne, c - alpha0, p);
				double den = 0;
				for (int j = 0; j < d; j++)
					den += p[j] * ap[j];
				if (!(den > 0))
					break;
				double al = rs / den, rn = 0;
				for (int j = 0; j < d; j++) {
					x[j] += al * p[j];
					r[j] -= al * ap[j];
					rn += r[j] * r[j];
				}
				double be = rn / rs;
				for (int j = 0; j < d; j++)
					p[j] = r[j] + be * p[j];
				rs = rn;
			}
			for (int j = 0; j < d; j++)
				xr[j] = (float)x[j];
		}
		g_free(x);
	}
}
