/*
 * Internals shared by the files of src/analytics/ (not part of libkith's
 * public API).
 */
#ifndef KITH_ANALYTICS_INTERNAL_H
#define KITH_ANALYTICS_INTERNAL_H

#include <glib.h>
#include <stdint.h>

#include "kith/csr.h"

/* Best k of one score row (see topk.c), skipping the sorted column list
 * skip[0..n_skip) and column `self` (-1: none).  Pads with -1 / -inf. */
void kith_i_topk_row(int32_t *out_items, float *out_scores, const float *row,
                     int64_t n_items, int k, const int32_t *skip,
                     int64_t n_skip, int64_t self);

/* Rows of query per GEMM block for n_items columns of width d. */
int64_t kith_i_topk_block_rows(int64_t n_items, int d);

/* kith_topk_dot() with query rows taken from Q (row query[q] of Q) and an
 * option to skip the item whose index equals the query row (similarity of
 * a matrix with itself). out_scores may be NULL. */
gboolean kith_i_topk_generic(int32_t *out_items, float *out_scores,
                             const float *Q, const int64_t *query,
                             int64_t n_query, const float *V,
                             int64_t n_items, int d, int k,
                             const struct kith_csr *mask,
                             gboolean skip_self, GError **error);

/* Atomic text output: writes go to PATH.tmp-XXXXXX in PATH's folder;
 * commit flushes, fsyncs and renames it to PATH (mode 0644); abort (or a
 * failed commit) removes it.  "-" writes to stdout (commit flushes). */
#include <stdio.h>
struct kith_i_atomic {
	FILE *fp;
	char *tmp;
	char *path;
};
gboolean kith_i_atomic_open(struct kith_i_atomic *af, const char *path,
                            GError **error);
gboolean kith_i_atomic_commit(struct kith_i_atomic *af, GError **error);
void kith_i_atomic_abort(struct kith_i_atomic *af);

#endif
