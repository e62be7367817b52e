/*
 * Normalised adjacency matrices for message passing.
 *
 * Bipartite (LightGCN, NGCF): nodes 0..n-1 are users, n..n+m-1 items,
 *   A = [[0, B], [Bᵀ, 0]] with B the binary pattern of R (n × m),
 *   Â = D^-1/2 A D^-1/2, i.e. Â[u, n+i] = 1 / sqrt(deg(u)·deg(i)).
 * Built directly from the CSR of R and of its transpose: O(n + m + nnz),
 * rows filled in parallel; isolated nodes get empty rows.
 *
 * Renormalised graph (Kipf & Welling 2017): for a square A (n × n),
 *   Ã = pattern(A ∪ Aᵀ) with the diagonal replaced by ones,
 *   Â = D̃^-1/2 Ã D̃^-1/2,  D̃ = rowsum(Ã) ≥ 1.
 * Cost O(n + nnz) plus one transpose.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "kith/core.h"
#include "kith/nn.h"
#include "nn/gnn-internal.h"

gboolean
kith_adj_bipartite(struct kith_csr *out, const struct kith_csr *R,
                   const struct kith_csr *RT, GError **error)
{
	struct kith_csr tr = { 0 };
	int64_t n = R->n_rows, m = R->n_cols, N = n + m;
	float *dinv = NULL;

	memset(out, 0, sizeof *out);
	if (N > INT32_MAX) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_LIMIT,
		            "graph too large (%" G_GINT64_FORMAT " nodes)", N);
		return FALSE;
	}
	if (!RT || RT->n_rows != m || RT->nnz != R->nnz) {
		if (!kith_csr_transpose(&tr, R, error))
			return FALSE;
		RT = &tr;
	}
	if (!kith_csr_alloc(out, N, N, 2 * R->nnz, TRUE, error))
		goto fail;
	dinv = kith_alloc_n(N ? N : 1, sizeof(float), error);
	if (!dinv)
		goto fail;
	out->indptr[0] = 0;
	for (int64_t u = 0; u < n; u++)
		out->indptr[u + 1] = R->indptr[u + 1];
	for (int64_t i = 0; i < m; i++)
		out->indptr[n + i + 1] = R->nnz + RT->indptr[i + 1];
#pragma omp parallel for schedule(static)
	for (int64_t r = 0; r < N; r++) {
		int64_t deg = out->indptr[r + 1] - out->indptr[r];
		dinv[r] = deg > 0 ? (float)(1.0 / sqrt((double)deg)) : 0.0f;
	}
#pragma omp parallel for schedule(dynamic, 4096)
	for (int64_t u = 0; u < n; u++) {
		int64_t p = out->indptr[u];
		for (int64_t k = R->indptr[u]; k < R->indptr[u + 1]; k++, p++) {
			int32_t c = (int32_t)(n + R->indices[k]);
			out->indices[p] = c;
			out->values[p] = dinv[u] * dinv[c];
		}
	}
#pragma omp parallel for schedule(dynamic, 4096)
	for (int64_t i = 0; i < m; i++) {
		int64_t p = out->indptr[n + i];
		for (int64_t k = RT->indptr[i]; k < RT->indptr[i + 1]; k++, p++) {
			int32_t c = RT->indices[k];
			out->indices[p] = c;
			out->values[p] = dinv[n + i] * dinv[c];
		}
	}
	g_free(dinv);
	kith_csr_clear(&tr);
	return TRUE;
fail:
	g_free(dinv);
	kith_csr_clear(&tr);
	kith_csr_clear(out);
	return FALSE;
}

int64_t
gnn_merge_union(const int32_t *a, int64_t na, const int32_t *b, int64_t nb,
                int32_t skip, int32_t *out)
{
	int64_t i = 0, j = 0, c = 0;
	int32_t last = -1;
	while (i < na || j < nb) {
		int32_t x;
		if (j >= nb || (i < na && a[i] <= b[j]))
			x = a[i++];
		else
			x = b[j++];
		if (x == skip || x == last)
			continue;
		if (out)
			out[c] = x;
		c++;
		last = x;
	}
	return c;
}

/* The merged neighbours of row r of A and B (B == A: of A alone),
 * without r, into o (may be NULL); returns their count. */
static int64_t
row_union(const struct kith_csr *A, const struct kith_csr *B, int64_t r,
          int32_t *o)
{
	const int32_t *a = A->indices + A->indptr[r];
	int64_t na = A->indptr[r + 1] - A->indptr[r];
	const int32_t *b = B->indices + B->indptr[r];
	int64_t nb = B == A ? 0 : B->indptr[r + 1] - B->indptr[r];
	return gnn_merge_union(a, na, b, nb, (int32_t)r, o);
}

gboolean
kith_adj_gcn(struct kith_csr *out, const struct kith_csr *A,
             gboolean symmetrise, GError **error)
{
	struct kith_csr tr = { 0 };
	const struct kith_csr *B = A;
	int64_t n = A->n_rows;
	float *dinv = NULL;
	int64_t *cnt = NULL;

	memset(out, 0, sizeof *out);
	if (A->n_cols != n) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "adjacency is not square (%" G_GINT64_FORMAT " x %"
		            G_GINT64_FORMAT ")", n, A->n_cols);
		return FALSE;
	}
	if (symmetrise) {
		if (!kith_csr_transpose(&tr, A, error))
			return FALSE;
		B = &tr;
	}
	cnt = kith_alloc_n(n + 1, sizeof(int64_t), error);
	if (!cnt)
		goto fail;
	cnt[0] = 0;
#pragma omp parallel for schedule(dynamic, 1024)
	for (int64_t r = 0; r < n; r++)
		cnt[r + 1] = row_union(A, B, r, NULL) + 1;
	for (int64_t r = 0; r < n; r++)
		cnt[r + 1] += cnt[r];
	if (!kith_csr_alloc(out, n, n, cnt[n], TRUE, error))
		goto fail;
	memcpy(out->indptr, cnt, (n + 1) * sizeof(int64_t));
	dinv = kith_alloc_n(n ? n : 1, sizeof(float), error);
	if (!dinv)
		goto fail;
#pragma omp parallel for schedule(dynamic, 1024)
	for (int64_t r = 0; r < n; r++) {
		int32_t *o = out->indices + out->indptr[r];
		int64_t c = row_union(A, B, r, o);
		/* Insert the self-loop in sorted position. */
		int64_t p = c;
		while (p > 0 && o[p - 1] > r) {
			o[p] = o[p - 1];
			p--;
		}
		o[p] = (int32_t)r;
		dinv[r] = (float)(1.0 / sqrt((double)(c + 1)));
	}
#pragma omp parallel for schedule(dynamic, 1024)
	for (int64_t r = 0; r < n; r++)
		for (int64_t k = out->indptr[r]; k < out->indptr[r + 1]; k++)
			out->values[k] = dinv[r] * dinv[out->indices[k]];
	g_free(dinv);
	g_free(cnt);
	kith_csr_clear(&tr);
	return TRUE;
fail:
	g_free(dinv);
	g_free(cnt);
	kith_csr_clear(&tr);
	kith_csr_clear(out);
	return FALSE;
}
