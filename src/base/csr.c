/*
 * CSR construction: allocation (index and value arrays on huge pages
 * where the kernel grants them, kith_alloc_huge_n()), transpose (counting
 * sort, O(nnz + n + m), parallel for large matrices),
 * and COO → CSR with per-row sort and duplicate summing (O(nnz log deg)).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kith/core.h"
#include "kith/csr.h"

void
kith_csr_clear(struct kith_csr *m)
{
	if (m->owned) {
		g_free(m->indptr);
		g_free(m->indices);
		g_free(m->values);
	}
	memset(m, 0, sizeof(*m));
}

gboolean
kith_csr_alloc(struct kith_csr *out, int64_t n_rows, int64_t n_cols,
               int64_t nnz, gboolean with_values, GError **error)
{
	memset(out, 0, sizeof(*out));
	if (n_rows < 0 || n_cols < 0 || nnz < 0 || n_cols > INT32_MAX) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "invalid sparse matrix shape %" G_GINT64_FORMAT
		            " x %" G_GINT64_FORMAT, n_rows, n_cols);
		return FALSE;
	}
	out->n_rows = n_rows;
	out->n_cols = n_cols;
	out->nnz = nnz;
	out->owned = TRUE;
	out->indptr = kith_alloc0_n((size_t)n_rows + 1, sizeof(int64_t), error);
	if (out->indptr == NULL)
		goto fail;
	out->indices = kith_alloc_huge_n((size_t)nnz, sizeof(int32_t), error);
	if (out->indices == NULL)
		goto fail;
	if (with_values) {
		out->values = kith_alloc_huge_n((size_t)nnz, sizeof(float), error);
		if (out->values == NULL)
			goto fail;
	}
	return TRUE;
fail:
	kith_csr_clear(out);
	return FALSE;
}

/*
 * Transpose by counting sort.  Large matrices are split into one block of
 * rows per thread (about nnz / threads entries each): every thread counts
 * the columns of its block, the counts give each thread its slice of
 * every output row (blocks in row order), and every thread scatters its
 * block in row order, so each output row lists its columns ascending, as
 * the serial pass does: the result is the same bytes.  Scratch:
 * (threads + 1) * (n_cols + 1) int64.  kith_csr_transpose_in() writes the
 * indices into a block the caller no longer needs (its pages already
 * faulted in), resized in place.
 */
gboolean
kith_csr_transpose(struct kith_csr *out, const struct kith_csr *a,
                   GError **error)
{
	return kith_csr_transpose_in(out, a, NULL, error);
}

gboolean
kith_csr_transpose_in(struct kith_csr *out, const struct kith_csr *a,
                      void **block, GError **error)
{
	int64_t *next;
	int64_t i, j;
	int nth = kith_get_threads() > 0 ? kith_get_threads() : 1;
	void *own = NULL;

	if (block && *block && a->nnz > 0) {
		own = g_try_realloc(*block, (size_t)a->nnz * sizeof(int32_t));
		if (own)
			*block = NULL;
	}
	if (!kith_csr_alloc(out, a->n_cols, a->n_rows, own ? 0 : a->nnz,
	                    FALSE, error)) {
		g_free(own);
		return FALSE;
	}
	out->nnz = a->nnz;
	if (own) {
		g_free(out->indices);
		out->indices = own;
	}
	if (a->values) {
		out->values = kith_alloc_huge_n((size_t)a->nnz, sizeof(float),
		                                error);
		if (out->values == NULL) {
			kith_csr_clear(out);
			return FALSE;
		}
	}
	if (a->nnz < ((int64_t)1 << 18) || nth < 2 || a->n_rows < nth) {
		for (j = 0; j < a->nnz; j++)
			out->indptr[a->indices[j] + 1]++;
		for (i = 0; i < out->n_rows; i++)
			out->indptr[i + 1] += out->indptr[i];
		next = kith_alloc_n((size_t)out->n_rows + 1, sizeof(int64_t),
		                    error);
		if (next == NULL) {
			kith_csr_clear(out);
			return FALSE;
		}
		memcpy(next, out->indptr,
		       ((size_t)out->n_rows + 1) * sizeof(int64_t));
		for (i = 0; i < a->n_rows; i++) {
			for (j = a->indptr[i]; j < a->indptr[i + 1]; j++) {
				int64_t p = next[a->indices[j]]++;
				out->indices[p] = (int32_t)i;
				if (a->values)
					out->values[p] = a->values[j];
			}
		}
		g_free(next);
		return TRUE;
	}

	size_t nc = (size_t)out->n_rows + 1, cells;
	int64_t *row0 = g_new(int64_t, nth + 1);
	if (!kith_mul_size(nc, (size_t)nth, &cells)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "sparse matrix too large to transpose");
		g_free(row0);
		kith_csr_clear(out);
		return FALSE;
	}
	int64_t *cnt = kith_alloc0_n(cells, sizeof(int64_t), error);
	if (cnt == NULL) {
		g_free(row0);
		kith_csr_clear(out);
		return FALSE;
	}
	/* blocks of rows with about nnz / nth entries each */
	row0[0] = 0;
	for (int t = 1; t < nth; t++) {
		int64_t want = a->nnz * t / nth, lo = row0[t - 1], hi = a->n_rows;
		while (lo < hi) {       /* first row r with indptr[r] >= want */
			int64_t mid = lo + (hi - lo) / 2;
			if (a->indptr[mid] < want)
				lo = mid + 1;
			else
				hi = mid;
		}
		row0[t] = lo;
	}
	row0[nth] = a->n_rows;
	const int64_t nr = out->n_rows;
	int64_t *indptr = out->indptr;
	int32_t *oi = out->indices;
	float *ov = out->values;
	const float *av = a->values;
	#pragma omp parallel num_threads(nth)
	{
		int t0 = 0, team = 1;
#ifdef _OPENMP
		t0 = omp_get_thread_num();
		team = omp_get_num_threads();
#endif
		/* block t belongs to thread t % team (all of them, should
		 * the team be smaller than asked) */
		for (int t = t0; t < nth; t += team) {
			int64_t *c = cnt + (size_t)t * nc;
			for (int64_t k = a->indptr[row0[t]];
			     k < a->indptr[row0[t + 1]]; k++)
				c[a->indices[k]]++;
		}
		#pragma omp barrier
		#pragma omp for schedule(static)
		for (int64_t col = 0; col < nr; col++) {
			int64_t s = 0;
			for (int u = 0; u < nth; u++)
				s += cnt[(size_t)u * nc + (size_t)col];
			indptr[col + 1] = s;
		}
		#pragma omp single
		for (int64_t col = 0; col < nr; col++)
			indptr[col + 1] += indptr[col];
		#pragma omp for schedule(static)
		for (int64_t col = 0; col < nr; col++) {
			int64_t o = indptr[col];
			for (int u = 0; u < nth; u++) {
				int64_t *x = &cnt[(size_t)u * nc + (size_t)col];
				int64_t n = *x;
				*x = o;
				o += n;
			}
		}
		for (int t = t0; t < nth; t += team) {
			int64_t *c = cnt + (size_t)t * nc;
			for (int64_t r = row0[t]; r < row0[t + 1]; r++)
				for (int64_t k = a->indptr[r];
				     k < a->indptr[r + 1]; k++) {
					int64_t p = c[a->indices[k]]++;
					oi[p] = (int32_t)r;
					if (av)
						ov[p] = av[k];
				}
		}
	}
	g_free(cnt);
	g_free(row0);
	return TRUE;
}

struct colval {
	int32_t col;
	float val;
};

static int
colval_cmp(const void *x, const void *y)
{
	const struct colval *a = x, *b = y;

	return (a->col > b->col) - (a->col < b->col);
}

gboolean
kith_csr_from_coo(struct kith_csr *out, int64_t n_rows, int64_t n_cols,
                  int64_t nnz, const int32_t *rows, const int32_t *cols,
                  const float *vals, GError **error)
{
	struct colval *buf;
	int64_t *next;
	int64_t i, j, w;

	buf = kith_alloc_n((size_t)nnz, sizeof(*buf), error);
	if (buf == NULL)
		return FALSE;
	next = kith_alloc0_n((size_t)n_rows + 1, sizeof(int64_t), error);
	if (next == NULL) {
		g_free(buf);
		return FALSE;
	}
	for (j = 0; j < nnz; j++) {
		if (rows[j] < 0 || rows[j] >= n_rows || cols[j] < 0 ||
		    cols[j] >= n_cols) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
			            "coordinate (%d, %d) outside %" G_GINT64_FORMAT
			            " x %" G_GINT64_FORMAT, rows[j], cols[j],
			            n_rows, n_cols);
			g_free(buf);
			g_free(next);
			return FALSE;
		}
		next[rows[j] + 1]++;
	}
	for (i = 0; i < n_rows; i++)
		next[i + 1] += next[i];
	for (j = 0; j < nnz; j++) {
		int64_t p = next[rows[j]]++;
		buf[p].col = cols[j];
		buf[p].val = vals ? vals[j] : 1.0f;
	}
	/* next[i] now holds the end of row i; the start is next[i-1]. */
	if (!kith_csr_alloc(out, n_rows, n_cols, nnz, vals != NULL, error)) {
		g_free(buf);
		g_free(next);
		return FALSE;
	}
	w = 0;
	for (i = 0; i < n_rows; i++) {
		int64_t s = i == 0 ? 0 : next[i - 1], e = next[i];
		qsort(buf + s, (size_t)(e - s), sizeof(*buf), colval_cmp);
		for (j = s; j < e; j++) {
			if (w > out->indptr[i] && out->indices[w - 1] == buf[j].col) {
				if (out->values)
					out->values[w - 1] += buf[j].val;
				continue;
			}
			out->indices[w] = buf[j].col;
			if (out->values)
				out->values[w] = buf[j].val;
			w++;
		}
		out->indptr[i + 1] = w;
	}
	out->nnz = w;
	g_free(buf);
	g_free(next);
	return TRUE;
}

int64_t
kith_csr_row_split(const int64_t *indptr, int64_t n_rows, int64_t target)
{
	int64_t lo = 0, hi = n_rows;

	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if (indptr[mid] + mid < target)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void
kith_csr_bipartite_rows(int64_t *len, double *deg, const struct kith_csr *R,
                        const struct kith_csr *S, double w)
{
	int64_t n = R->n_rows, N = n + R->n_cols;
	double f = (double)(float)(w / 2);

	memset(len, 0, (size_t)N * sizeof(int64_t));
	for (int64_t u = 0; u < n; u++) {
		len[u] = R->indptr[u + 1] - R->indptr[u];
		for (int64_t k = R->indptr[u]; k < R->indptr[u + 1]; k++)
			len[n + R->indices[k]]++;
	}
	for (int64_t r = 0; deg && r < N; r++)
		deg[r] = (double)len[r];
	for (int64_t u = 0; S && w > 0 && u < n; u++)
		for (int64_t k = S->indptr[u]; k < S->indptr[u + 1]; k++) {
			int32_t v = S->indices[k];
			if (v == u)
				continue;
			len[u]++;
			len[v]++;
			if (deg) {
				deg[u] += f;
				deg[v] += f;
			}
		}
}
