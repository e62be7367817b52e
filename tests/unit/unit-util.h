/*
 * Helpers shared by the unit test programs (static inline: each test
 * includes what it uses, unused ones cost nothing): naive top-K
 * candidates, random sparse matrices, planted-partition graphs, class
 * separation of embeddings, and running the tests with a scratch folder.
 */
#ifndef KITH_UNIT_UTIL_H
#define KITH_UNIT_UTIL_H

#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>

#include "kith/core.h"
#include "kith/csr.h"

/* A candidate of a naive top-K: score s of column j. */
struct test_cand {
	double s;
	int32_t j;
};

/* qsort order of struct test_cand: score descending, then j ascending. */
static inline int
test_cmp_cand(const void *a, const void *b)
{
	const struct test_cand *x = a, *y = b;
	if (x->s != y->s)
		return x->s < y->s ? 1 : -1;
	return (x->j > y->j) - (x->j < y->j);
}

/* Random 0/1 n_rows x n_cols matrix with entries present with
 * probability p (rng stream (seed, 0), in row order), rows sorted. */
static inline struct kith_csr
test_random_csr(int64_t n_rows, int64_t n_cols, double p, uint64_t seed)
{
	struct kith_rng rng;
	kith_rng_seed(&rng, seed, 0);
	GArray *rows = g_array_new(FALSE, FALSE, sizeof(int32_t));
	GArray *cols = g_array_new(FALSE, FALSE, sizeof(int32_t));
	for (int32_t i = 0; i < n_rows; i++)
		for (int32_t j = 0; j < n_cols; j++)
			if (kith_rng_uniform(&rng) < p) {
				g_array_append_val(rows, i);
				g_array_append_val(cols, j);
			}
	struct kith_csr m;
	GError *err = NULL;
	g_assert_true(kith_csr_from_coo(&m, n_rows, n_cols, rows->len,
	                                (int32_t *)rows->data,
	                                (int32_t *)cols->data, NULL, &err));
	g_assert_no_error(err);
	g_array_free(rows, TRUE);
	g_array_free(cols, TRUE);
	return m;
}

/* Symmetric planted-partition edges into A (no self-loops): the pair
 * i < j is linked with probability pin when label[i] == label[j], else
 * pout, one draw of r per pair in row order. */
static inline void
test_planted_edges(struct kith_csr *A, const int32_t *label, int64_t n,
                   double pin, double pout, struct kith_rng *r)
{
	GArray *rr = g_array_new(FALSE, FALSE, sizeof(int32_t));
	GArray *cc = g_array_new(FALSE, FALSE, sizeof(int32_t));
	for (int64_t i = 0; i < n; i++)
		for (int64_t j = i + 1; j < n; j++)
			if (kith_rng_uniform(r) <
			    (label[i] == label[j] ? pin : pout)) {
				int32_t a = (int32_t)i, b = (int32_t)j;
				g_array_append_val(rr, a);
				g_array_append_val(cc, b);
				g_array_append_val(rr, b);
				g_array_append_val(cc, a);
			}
	g_assert_true(kith_csr_from_coo(A, n, n, rr->len, (int32_t *)rr->data,
	                                (int32_t *)cc->data, NULL, NULL));
	g_array_free(rr, TRUE);
	g_array_free(cc, TRUE);
}

/* Mean dot product of the n x d rows of emb over pairs of the same label
 * (*within) and of different labels (*across). */
static inline void
test_class_dots(const float *emb, const int32_t *label, int n, int d,
                double *within, double *across)
{
	double win = 0, acr = 0;
	int64_t nw = 0, na = 0;
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			double dot = 0;
			for (int q = 0; q < d; q++)
				dot += emb[i * d + q] * emb[j * d + q];
			if (label[i] == label[j]) {
				win += dot;
				nw++;
			} else {
				acr += dot;
				na++;
			}
		}
	*within = win / nw;
	*across = acr / na;
}

/* Removes the folder PATH and everything below it (no shell); TRUE when
 * all is gone.  Symbolic links are removed, never followed. */
static inline gboolean
test_remove_tree(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	gboolean ok = TRUE;
	if (d != NULL) {
		const char *name;
		while ((name = g_dir_read_name(d)) != NULL) {
			char *p = g_build_filename(path, name, NULL);
			if (g_file_test(p, G_FILE_TEST_IS_DIR) &&
			    !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
				ok = test_remove_tree(p) && ok;
			else
				ok = g_remove(p) == 0 && ok;
			g_free(p);
		}
		g_dir_close(d);
	}
	return g_remove(path) == 0 && ok;
}

/* g_test_run(), then removes and frees the scratch folder tmpdir; the
 * exit status is that of the tests, or 1 when the removal fails. */
static inline int
test_run_and_remove(char *tmpdir)
{
	int rc = g_test_run();
	if (!test_remove_tree(tmpdir))
		rc = rc ? rc : 1;
	g_free(tmpdir);
	return rc;
}

#endif
