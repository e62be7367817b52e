/*
 * Compressed sparse row matrices, the one sparse layout of kith.
 *
 * indptr has n_rows+1 int64 entries, indices nnz int32 column numbers,
 * values nnz float32 (NULL means all ones).  Rows are sorted by column and
 * hold no duplicates unless a function says otherwise.  The struct is a
 * view: whether it owns its arrays is decided by whoever made it (see the
 * `owned` flag and kith_csr_clear()).
 */
#ifndef KITH_CSR_H
#define KITH_CSR_H

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

struct kith_csr {
	int64_t n_rows;
	int64_t n_cols;
	int64_t nnz;
	int64_t *indptr;
	int32_t *indices;
	float *values;
	gboolean owned;   /* TRUE: kith_csr_clear() frees the three arrays */
};

/* Frees the arrays if owned and zeroes the struct. */
void kith_csr_clear(struct kith_csr *m);

/* Allocates an owned CSR of the given shape with room for nnz entries
 * (values allocated iff with_values).  FALSE and KITH_ERROR_NOMEM on
 * failure. */
gboolean kith_csr_alloc(struct kith_csr *out, int64_t n_rows, int64_t n_cols,
                        int64_t nnz, gboolean with_values, GError **error);

/* out = transpose of a (owned, rows sorted).  O(nnz + n_rows + n_cols). */
gboolean kith_csr_transpose(struct kith_csr *out, const struct kith_csr *a,
                            GError **error);
/* kith_csr_transpose() whose index array is *block (a g_malloc() block
 * of at least nnz int32 that the caller no longer needs, resized in
 * place; *block is set to NULL when it was taken, left as is otherwise)
 * or, when block or *block is NULL, newly allocated. */
gboolean kith_csr_transpose_in(struct kith_csr *out, const struct kith_csr *a,
                               void **block, GError **error);

/* Builds an owned CSR from COO triples (rows, cols, vals may be NULL),
 * sorting each row and summing duplicates.  O(nnz log(deg)). */
gboolean kith_csr_from_coo(struct kith_csr *out, int64_t n_rows,
                           int64_t n_cols, int64_t nnz, const int32_t *rows,
                           const int32_t *cols, const float *vals,
                           GError **error);

/* The first row r in [0, n_rows] with indptr[r] + r >= target: where to
 * cut rows so that each part gets an equal share of nonzeros + rows
 * (threads of the SpMM, ranks of an MPI job).  O(log n_rows). */
int64_t kith_csr_row_split(const int64_t *indptr, int64_t n_rows,
                           int64_t target);

G_END_DECLS

/* The entries of every row of the (n + m)-node graph of R (n x m; rows
 * 0..n the users' pairs, n..n+m the items' users) and, when S is non-NULL
 * and w > 0, of S's links (n x n) in both directions without self-loops,
 * before duplicates merge, into len[0..n+m); with deg non-NULL also the
 * row sums (1 a pair, (float)(w / 2) a link end) into deg[0..n+m).  The
 * rows of LightGCN's Â (lightgcn.c) and of its per-rank memory estimate.
 * O(n + m + nnz). */
void kith_csr_bipartite_rows(int64_t *len, double *deg,
                             const struct kith_csr *R,
                             const struct kith_csr *S, double w);

#endif
