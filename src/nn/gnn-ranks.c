/*
 * The pieces of a graph network over the ranks of an MPI job that the GCN
 * (gcn.c) and GraphSAGE (sage.c) trainers share (see gnn-internal.h):
 * the workspace that holds a product's input with its halo rows, the
 * owned rows of the feature matrix, dropout masks drawn by blocks of
 * global entries, the link loss's pairs (an edge and its negatives, the
 * remote rows they touch fetched once an epoch) and the held-out pairs'
 * AUC.  One process is the case of one rank without a halo: every
 * function gives it the bytes it gives rank r of P for rank r's rows.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <xxhash.h>

#include "kith/core.h"
#include "kith/dist.h"
#include "kith/nn.h"
#include "nn/gnn-internal.h"

/* ---- the workspace -------------------------------------------------------- */

void
gnn_ws_clear(struct gnn_ws *w)
{
	kith_floats_free(w->buf);
	memset(w, 0, sizeof *w);
}

gboolean
gnn_ws_reserve(struct gnn_ws *w, size_t floats, GError **error)
{
	if (floats <= w->cap)
		return TRUE;
	kith_floats_free(w->buf);
	w->buf = kith_floats_new(floats, FALSE, error);
	w->cap = w->buf ? floats : 0;
	return w->buf != NULL;
}

const float *
gnn_with_halo(struct gnn_ws *w, const struct kith_halo *h, const float *X,
              int width, GError **error)
{
	float *dst = (float *)X;        /* no halo rows: only read (sent) */

	if (h->n_halo > 0) {
		dst = w->buf;
		memcpy(dst, X, (size_t)h->n_local * width * sizeof(float));
	}
	return kith_halo_exchange(h, dst, width, sizeof(float), NULL, error) ?
	       dst : NULL;
}

/* ---- the owned rows of the features --------------------------------------- */

void
gnn_xrows_clear(struct gnn_xrows *x)
{
	g_free(x->Xd.indptr);
	kith_floats_free(x->Xd.values);
	kith_csr_clear(&x->XT);
	g_free(x->perm);
	memset(x, 0, sizeof *x);
}

/* Transpose of X keeping, for every entry, the index of its X entry. */
static gboolean
transpose_perm(struct kith_csr *out, int64_t **perm, const struct kith_csr *X,
               GError **error)
{
	g_autofree int64_t *next = NULL;

	if (!kith_csr_alloc(out, X->n_cols, X->n_rows, X->nnz, TRUE, error))
		return FALSE;
	*perm = kith_alloc_n(MAX(X->nnz, 1), sizeof(int64_t), error);
	next = kith_alloc0_n(X->n_cols + 1, sizeof(int64_t), error);
	if (!*perm || !next)
		return FALSE;
	memset(out->indptr, 0, (X->n_cols + 1) * sizeof(int64_t));
	for (int64_t k = 0; k < X->nnz; k++)
		out->indptr[X->indices[k] + 1]++;
	for (int64_t j = 0; j < X->n_cols; j++)
		out->indptr[j + 1] += out->indptr[j];
	memcpy(next, out->indptr, X->n_cols * sizeof(int64_t));
	for (int64_t i = 0; i < X->n_rows; i++)
		for (int64_t k = X->indptr[i]; k < X->indptr[i + 1]; k++) {
			int64_t p = next[X->indices[k]]++;
			out->indices[p] = (int32_t)i;
			(*perm)[p] = k;
		}
	return TRUE;
}

gboolean
gnn_xrows_local(const struct kith_csr *X, int64_t n, gboolean *local,
                GError **error)
{
	int64_t whole = X->n_rows == n;

	if (!kith_dist_allreduce_i64(&whole, 1, KITH_DIST_MIN, error))
		return FALSE;
	*local = !whole;
	return TRUE;
}

gboolean
gnn_xrows_init(struct gnn_xrows *x, const struct kith_csr *X, gboolean local,
               int64_t lo, int64_t rows, GError **error)
{
	int P = kith_dist_size();
	int64_t r0 = local ? 0 : lo;          /* the owned rows in X */
	int64_t k0 = X->indptr[r0], nnz = X->indptr[r0 + rows] - k0;
	g_autofree int64_t *cnt = g_new(int64_t, P);
	g_autofree int64_t *one = g_new(int64_t, P);

	memset(x, 0, sizeof *x);
	if (local && X->n_rows != rows) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "features have %" G_GINT64_FORMAT " rows, this rank "
		            "owns %" G_GINT64_FORMAT, X->n_rows, rows);
		return kith_dist_all_ok(FALSE, error);
	}
	if (!kith_dist_all_ok(TRUE, error))
		return FALSE;
	/* the global index of the first owned entry, the entries of all */
	for (int r = 0; r < P; r++)
		one[r] = 1;
	if (!kith_dist_allgatherv(&nnz, 1, cnt, one, sizeof(int64_t), error))
		return FALSE;
	for (int r = 0; r < P; r++) {
		x->xoff += r < kith_dist_rank() ? cnt[r] : 0;
		x->x_nnz += cnt[r];
	}
	x->Xd = (struct kith_csr){ .n_rows = rows, .n_cols = X->n_cols,
	                           .nnz = nnz, .indices = X->indices + k0 };
	x->Xd.indptr = kith_alloc_n(rows + 1, sizeof(int64_t), error);
	x->Xd.values = x->Xd.indptr ? kith_floats_new(MAX(nnz, 1), FALSE, error)
	                            : NULL;
	if (!x->Xd.values)
		return FALSE;
	for (int64_t r = 0; r <= rows; r++)
		x->Xd.indptr[r] = X->indptr[r0 + r] - k0;
	x->xval = X->values ? X->values + k0 : NULL;
	for (int64_t k = 0; k < nnz; k++)
		x->Xd.values[k] = x->xval ? x->xval[k] : 1.0f;
	return TRUE;
}

gboolean
gnn_xrows_transpose(struct gnn_xrows *x, GError **error)
{
	return transpose_perm(&x->XT, &x->perm, &x->Xd, error);
}

gboolean
gnn_rows_digest(const struct kith_csr *X, gboolean local, int64_t row0,
                uint64_t *digest, GError **error)
{
	/* Σ of per-row hashes, in 32-bit halves: the same for any split */
	int64_t h[2] = { 0, 0 };

	for (int64_t r = 0; r < X->n_rows; r++) {
		int64_t k0 = X->indptr[r], k1 = X->indptr[r + 1];
		uint64_t seed = (uint64_t)(row0 + r);
		uint64_t a = XXH64(X->indices + k0, (k1 - k0) * sizeof(int32_t),
		                   seed);
		uint64_t b = X->values ? XXH64(X->values + k0, (k1 - k0) *
		                               sizeof(float), seed) : 0;
		uint64_t v = a ^ (b * 0x9e3779b97f4a7c15ULL);
		h[0] += (int64_t)(v & 0xffffffffu);
		h[1] += (int64_t)(v >> 32);
	}
	if (local && !kith_dist_allreduce_i64(h, 2, KITH_DIST_SUM, error))
		return FALSE;
	*digest = ((uint64_t)h[1] << 32) ^ (uint64_t)h[0] ^
	          ((uint64_t)X->n_cols << 17);
	return TRUE;
}

void
gnn_xrows_drop(struct gnn_xrows *x, const float *mask)
{
	int64_t nnz = x->Xd.nnz;

#pragma omp parallel for schedule(static) if (nnz > PAR_MIN)
	for (int64_t k = 0; k < nnz; k++)
		x->Xd.values[k] = (x->xval ? x->xval[k] : 1.0f) *
		                  (mask ? mask[k] : 1.0f);
}

void
gnn_xrows_grad(const struct gnn_xrows *x, float *gW, const float *dXW,
               int width)
{
	struct kith_csr XT = x->XT;

#pragma omp parallel for schedule(static) if (XT.nnz > PAR_MIN)
	for (int64_t k = 0; k < XT.nnz; k++)
		XT.values[k] = x->Xd.values[x->perm[k]];
	kith_spmm(gW, &XT, dXW, width);
}

/* ---- dropout masks ------------------------------------------------------- */

void
gnn_fill_mask(float *m, int64_t g0, int64_t g1, double p, uint64_t seed,
              int epoch, gboolean first, int64_t b_off)
{
	const int64_t B = GNN_MASK_BLOCK;
	float keep = (float)(1.0 / (1.0 - p));
	int64_t b0 = g0 / B, b1 = (g1 + B - 1) / B;

#pragma omp parallel for schedule(static) if (g1 - g0 > PAR_MIN)
	for (int64_t b = b0; b < b1; b++) {
		struct kith_rng r;
		int64_t lo = b * B, hi = MIN(lo + B, g1);
		kith_rng_seed(&r, seed, ((uint64_t)epoch << 40) ^
		              ((uint64_t)first << 39) ^ (uint64_t)(b + b_off));
		for (int64_t k = lo; k < hi; k++) {
			float v = p > 0 && kith_rng_uniform(&r) < p ? 0.0f : keep;
			if (k >= g0)
				m[k - g0] = v;
		}
	}
}

/* ---- the link loss's pairs ---------------------------------------------- */

gboolean
gnn_link_targets(struct kith_csr *q, struct kith_halo *h,
                 const struct kith_csr *T, int64_t lo, int64_t n,
                 const int64_t *bounds, int neg, uint64_t seed, int epoch,
                 GError **error)
{
	int64_t rows = T->n_rows;
	int per = 1 + neg;

	kith_csr_clear(q);
	kith_halo_clear(h);
	if (!kith_dist_all_ok(kith_csr_alloc(q, rows, n, T->nnz * per, FALSE,
	                                     error), error))
		return FALSE;
#pragma omp parallel for schedule(dynamic, 64) if (T->nnz * per > PAR_MIN)
	for (int64_t r = 0; r < rows; r++) {
		struct kith_rng rng;
		int64_t i = lo + r, o = T->indptr[r] * per;
		kith_rng_seed(&rng, seed, ((uint64_t)epoch << 40) ^ (uint64_t)i);
		for (int64_t k = T->indptr[r]; k < T->indptr[r + 1]; k++)
			for (int s = 0; s <= neg; s++)
				q->indices[o++] = s == 0 ? T->indices[k] :
				    (int32_t)kith_rng_below(&rng, (uint64_t)n);
	}
	for (int64_t r = 0; r <= rows; r++)
		q->indptr[r] = T->indptr[r] * per;
	return kith_halo_build_in_place(h, q, n, bounds, error);
}

double
gnn_link_loss(const struct kith_csr *q, const float *Z, float *dZ, int c,
              int per, int64_t pairs, float temp, gboolean skip_self)
{
	int64_t rows = q->n_rows;
	double loss = 0;

	memset(dZ, 0, rows * c * sizeof(float));
	if (pairs == 0)
		return 0;
	float inv = 1.0f / (float)pairs;
#pragma omp parallel for schedule(dynamic, 64) reduction(+ : loss) \
	if (q->nnz * c > PAR_MIN)
	for (int64_t i = 0; i < rows; i++) {
		const float *zi = Z + i * c;
		float *di = dZ + i * c;
		for (int64_t k = q->indptr[i]; k < q->indptr[i + 1]; k++) {
			int64_t j = q->indices[k];
			int s = (int)((k - q->indptr[i]) % per);
			if (skip_self && j == i)
				continue;
			const float *zj = Z + j * c;
			float dot = 0;
			for (int t = 0; t < c; t++)
				dot += zi[t] * zj[t];
			float y = s == 0 ? 1.0f : 0.0f;
			float pr = 1.0f / (1.0f + expf(-temp * dot));
			loss += s == 0 ? -log(pr + 1e-12) : -log(1 - pr + 1e-12);
			float gr = (pr - y) * inv * temp;
			for (int t = 0; t < c; t++)
				di[t] += gr * zj[t];
		}
	}
	return loss;
}

/* ---- the held-out pairs' AUC -------------------------------------------- */

static int
cmp_double(const void *x, const void *y)
{
	double u = *(const double *)x, v = *(const double *)y;
	return (u > v) - (u < v);
}

/* AUC of the scores sp of held-out pairs against the scores sn of as
 * many random pairs (both sorted here): O(np log np). */
static double
auc_of(double *sp, double *sn, int64_t np)
{
	int64_t wins2 = 0, j = 0, k = 0;

	qsort(sp, np, sizeof(double), cmp_double);
	qsort(sn, np, sizeof(double), cmp_double);
	for (int64_t i = 0; i < np; i++) {
		while (j < np && sn[j] < sp[i])
			j++;
		k = j;
		while (k < np && sn[k] == sp[i])
			k++;
		wins2 += 2 * j + (k - j);
	}
	return (double)wins2 / (2.0 * np * np);
}

void
gnn_val_clear(struct gnn_val *v)
{
	g_free(v->count);
	kith_csr_clear(&v->q);
	kith_halo_clear(&v->h);
	g_free(v->score);
	memset(v, 0, sizeof *v);
}

gboolean
gnn_val_setup(struct gnn_val *v, const int64_t *held, int64_t n_held,
              int64_t rows, int64_t n, const int64_t *bounds, uint64_t seed,
              struct gnn_ws *ws, int width, GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	int64_t off = 0;

	memset(v, 0, sizeof *v);
	v->np = n_held;
	v->count = g_new0(int64_t, P);
	v->count[me] = v->np;
	if (!kith_dist_allreduce_i64(v->count, P, KITH_DIST_SUM, error))
		return FALSE;
	for (int r = 0; r < P; r++) {
		off += r < me ? v->count[r] : 0;
		v->total += v->count[r];
	}
	if (!kith_dist_all_ok(kith_csr_alloc(&v->q, rows, n, 4 * v->np,
	                                     FALSE, error), error))
		return FALSE;
	for (int64_t r = 0; r < rows; r++)
		v->q.indptr[r + 1] = 4 * v->np;     /* all in the first row */
	for (int64_t e = 0; e < v->np; e++) {
		struct kith_rng r;
		int32_t *o = v->q.indices + 4 * e;
		kith_rng_seed(&r, seed, ((uint64_t)(off + e) << 8) ^ 77);
		o[0] = (int32_t)held[2 * e];
		o[1] = (int32_t)held[2 * e + 1];
		o[2] = (int32_t)kith_rng_below(&r, (uint64_t)n);
		o[3] = (int32_t)kith_rng_below(&r, (uint64_t)n);
	}
	if (!kith_halo_build_in_place(&v->h, &v->q, n, bounds, error))
		return FALSE;
	gboolean ok = v->h.n_halo == 0 ||
	    gnn_ws_reserve(ws, (size_t)(rows + v->h.n_halo) * width, error);
	v->score = ok ? kith_alloc_n(2 * v->np + 1, sizeof(double), error)
	              : NULL;
	return kith_dist_all_ok(v->score != NULL, error);
}

gboolean
gnn_val_auc(struct gnn_val *v, struct gnn_ws *ws, const float *Zown,
            int width, int64_t n, double *auc, GError **error)
{
	int c = width;
	g_autofree double *all = NULL;

	const float *Z = gnn_with_halo(ws, &v->h, Zown, c, error);

	if (!Z)
		return FALSE;
	for (int64_t e = 0; e < v->np; e++) {
		const int32_t *o = v->q.indices + 4 * e;
		for (int s = 0; s < 2; s++) {
			const float *a = Z + (int64_t)o[2 * s] * c;
			const float *b = Z + (int64_t)o[2 * s + 1] * c;
			double d = 0;
			for (int t = 0; t < c; t++)
				d += (double)a[t] * b[t];
			v->score[s * v->np + e] = d;
		}
	}
	*auc = -1;
	if (v->total == 0 || n < 2)
		return TRUE;
	gboolean lead = kith_dist_rank() == 0;
	if (lead)
		all = kith_alloc_n(2 * v->total, sizeof(double), error);
	if (!kith_dist_all_ok(!lead || all, error))
		return FALSE;
	/* the held-out scores of all ranks, then the random ones */
	for (int s = 0; s < 2; s++)
		if (!kith_dist_gatherv(v->score + s * v->np, v->np,
		                       lead ? all + s * v->total : NULL, v->count,
		                       sizeof(double), error))
			return FALSE;
	if (lead)
		*auc = auc_of(all, all + v->total, v->total);
	return kith_dist_bcast(auc, sizeof *auc, error);
}

gboolean
gnn_dist_report(struct kith_train_report *rep, const int64_t *bounds,
                int64_t n_halo, const char *formula, GError **error)
{
	int64_t h = n_halo;

	rep->ranks = kith_dist_size();
	g_free(rep->row_bounds);
	rep->row_bounds = g_memdup2(bounds, sizeof(int64_t) *
	                            (size_t)(rep->ranks + 1));
	rep->bytes_formula_text = formula;
	if (!kith_dist_allreduce_i64(&h, 1, KITH_DIST_SUM, error))
		return FALSE;
	rep->halo_rows = h;
	return TRUE;
}
