/*
 * Analytics (src/analytics/), layer analytics: test sets and labels read
 * from files, classification by logistic regression, splits of stores,
 * exports, recommendations, kNN graphs.  The ranking and metric kernels
 * they share with the models are in kith/eval.h (layer eval).
 */
#ifndef KITH_ANALYTICS_H
#define KITH_ANALYTICS_H

#include <glib.h>
#include <stdint.h>

#include "kith/csr.h"
#include "kith/eval.h"
struct kith_store;

G_BEGIN_DECLS

/* ---- Additions by the analytics part (split, classification, export). */

/* Multinomial logistic regression with L2 penalty lambda·|W|²/2 (bias not
 * penalised) on the rows idx[0..n) of X (n_rows x d), labels y (indexed by
 * row).  Features are standardised on the training rows; full-batch
 * gradient descent with Nesterov momentum, `iters` steps, deterministic.
 * W_out: (d + 1) x n_classes (last row bias) in standardised units;
 * mean/scale: d floats each (filled).  Predict with kith_logreg_predict(). */
gboolean kith_logreg_fit(float *W_out, float *mean, float *scale,
                         const float *X, int d, const int64_t *idx,
                         int64_t n, const int32_t *y, int n_classes,
                         double lambda, int iters, GError **error);
void kith_logreg_predict(int32_t *pred, const float *W, const float *mean,
                         const float *scale, const float *X, int d,
                         const int64_t *idx, int64_t n, int n_classes);

/* Link prediction (see src/analytics/link-eval.c): AUC of the unordered
 * held-out pairs in pos (n_users x n_users) against as many sampled
 * non-edges (not in known, may be NULL, nor in pos), scores U[a]·U[b].
 * in_train counts held-out pairs that are also known edges. */
struct kith_link_result {
	double auc;
	int64_t n_pos;
	int64_t n_neg;
	int64_t in_train;
};
gboolean kith_eval_link(struct kith_link_result *out, const float *U,
                        int64_t n_users, int d, const struct kith_csr *pos,
                        const struct kith_csr *known, uint64_t seed,
                        GError **error);

/* Node classification on the split of `lab` (see kith_read_labels()).
 * With pred == NULL a kith_logreg_fit() model is trained on the train
 * nodes' rows of X (n_nodes x d) for each λ in {1, 0.1, 0.01, 0.001,
 * 0.0001} and the λ with the best validation accuracy is kept (the first,
 * i.e. the strongest, on ties; 0.01 when there is no validation node);
 * with pred != NULL (a class per node, e.g. a model's own predictions)
 * those are scored.  Metrics on the test nodes; confusion is
 * n_classes x n_classes (owned, g_free).  KITH_ERROR_DATA when there are
 * no test nodes (or no train nodes for the classifier). */
struct kith_classify_result {
	struct kith_class_metrics test;
	int64_t *confusion;
	double lambda;           /* chosen λ (0 with pred) */
	double val_accuracy;     /* of the chosen model, -1 without val */
	int64_t n_train, n_val, n_test;
};
gboolean kith_eval_classify(struct kith_classify_result *out, const float *X,
                            int d, const struct kith_labels *lab,
                            const int32_t *pred, GError **error);
void kith_classify_result_clear(struct kith_classify_result *r);

/* The held-out mask of a store's interactions for kith split: held[e] = 1
 * (test) per kith_split_mask() with test_ratio (by_time: latest by
 * ui.ts_last; KITH_ERROR_DATA when the store has no timestamps), then,
 * when val_ratio > 0, held[e] = 2 (validation) for a split of the rest at
 * val_ratio / (1 - test_ratio) (seed varied).  held: ui.nnz bytes. */
gboolean kith_split_store_mask(uint8_t *held, const struct kith_store *s,
                               gboolean by_time, double test_ratio,
                               double val_ratio, uint64_t seed,
                               GError **error);

/* A new in-memory store: s without the interactions e where held[e] != 0
 * (see src/analytics/split.c for what is kept).  It borrows s's id
 * strings, social graph, categories and attributes: free it before s.
 * Caller frees with kith_store_free(). */
struct kith_store *kith_store_split(const struct kith_store *s,
                                    const uint8_t *held, GError **error);

/* Writes "user\titem" (header) then one line of original ids for each
 * interaction e with held[e] == which, in store order, atomically (temp
 * file + rename).  *n_out (may be NULL) gets the line count. */
gboolean kith_write_pairs_tsv(const char *path, const struct kith_store *s,
                              const uint8_t *held, uint8_t which,
                              int64_t *n_out, GError **error);

/* Embedding export (src/analytics/export.c describes each format). */
enum kith_export_format {
	KITH_EXPORT_NPY,
	KITH_EXPORT_W2V,
	KITH_EXPORT_W2V_BIN,
	KITH_EXPORT_FVECS,
	KITH_EXPORT_PROJECTOR,
	KITH_EXPORT_SERVING
};

/* "npy", "w2v", "w2v-bin", "fvecs", "projector", "serving"; FALSE if
 * unknown. */
gboolean kith_export_format_parse(enum kith_export_format *out,
                                  const char *name);

/* The ids file written beside an npy or fvecs export at PATH: PATH with
 * its ".npy" / ".fvecs" ending replaced by ".ids.tsv", or PATH +
 * ".ids.tsv" (users.npy -> users.ids.tsv).  Caller g_free()s it. */
char *kith_export_ids_path(const char *path);

/* The rows to export: n_users rows of users then n_items rows of items
 * (either count may be 0), all borrowed.  ids may be NULL (row index is
 * the name); prefix: names get "u:" / "i:". */
struct kith_export_rows {
	const float *users;
	int64_t n_users;
	const float *items;
	int64_t n_items;
	int dim;
	char *const *user_ids;
	char *const *item_ids;
	gboolean prefix;
};

/* Writes the rows at PATH in format f (not serving), atomically, with
 * the ids file of npy and fvecs beside.  PATH "-" (standard output) is
 * for w2v and w2v-bin only: KITH_ERROR_USAGE for the others. */
gboolean kith_export(const char *path, enum kith_export_format f,
                     const struct kith_export_rows *x, GError **error);

/* Writes the serving folder at PATH atomically (see export.c): the user
 * and item vectors of x (both required, with ids; no prefix), their ids
 * files, seen (the n_users x n_items CSR of the items each user has seen,
 * e.g. the store's ui; borrowed) as seen.indptr.npy / seen.indices.npy,
 * a README with the faiss recipe and manifest.json ("kith-serving",
 * recording emb_path and store_path, which may be NULL).  Per-user files
 * are mode 0600.  KITH_ERROR_DATA when the shapes disagree,
 * KITH_ERROR_USAGE for PATH "-". */
gboolean kith_export_serving(const char *path,
                             const struct kith_export_rows *x,
                             const struct kith_csr *seen,
                             const char *emb_path, const char *store_path,
                             GError **error);

/* Recommendation output (src/analytics/recommend.c). */
enum kith_rec_mode {
	KITH_REC_ITEMS,           /* top-K unseen items per user, by dot */
	KITH_REC_SIMILAR_USERS,   /* top-K other users per user, cosine */
	KITH_REC_SIMILAR_ITEMS    /* top-K other items per item, cosine */
};

/* Computes and writes the lists for query rows (users, or items for
 * SIMILAR_ITEMS; query NULL: all of them) to PATH ("-": stdout) as TSV
 * with original ids, atomically.  users / items: the store's users x d
 * and items x d embeddings.  *rows_out (may be NULL): lines written. */
gboolean kith_recommend_write(const char *path, const struct kith_store *s,
                              enum kith_rec_mode mode, const float *users,
                              const float *items, int d,
                              const int64_t *query, int64_t n_query, int k,
                              int64_t *rows_out, GError **error);

/* ---- Addition by the profile part: kNN graph (src/analytics/knn.c). */

/* Exact cosine k-nearest-neighbour graph of the rows of X (n x d,
 * row-major float32): row i lists the k rows j != i with the largest
 * cosine similarity (ties: lower j; zero rows have similarity 0 to all),
 * keeping only those with similarity > min_sim (use 0 for a graph with
 * positive weights).  symmetrise: the union of i -> j and j -> i with
 * weight max of the two.  out: n x n CSR, rows sorted, values = cosine
 * similarity, owned (caller frees with kith_csr_clear()).  Blocked
 * cblas_sgemm (kith_topk_cosine()), O(n² d); deterministic for any thread
 * count.  KITH_ERROR_USAGE for k <= 0 or d <= 0, KITH_ERROR_NOMEM. */
gboolean kith_knn_graph(struct kith_csr *out, const float *X, int64_t n,
                        int d, int k, double min_sim, gboolean symmetrise,
                        GError **error);

G_END_DECLS

#endif
