/*
 * Evaluation kernels (src/eval/), layer eval: top-K ranking by dot
 * product, ranking and classification metrics, full-ranking evaluation,
 * per-user split masks, and the held-out pairs and node labels read
 * from files and mapped to a store.  One implementation of each metric
 * serves kith eval, model selection during training (src/nn) and the
 * tests.  Below nn, above graph (the store) and io (the CSV reader).
 */
#ifndef KITH_EVAL_H
#define KITH_EVAL_H

#include <glib.h>
#include <stdint.h>

#include "kith/csr.h"
struct kith_store;

G_BEGIN_DECLS

/* The scores each thread of kith_topk_dot() (and of the rankings built
 * on it) holds at once, in floats: a block of B = min(1024, floats /
 * (n_items + d)) query users (at least 1).  Default 8 Mi floats (32 MiB
 * a thread).  The result does not depend on it (every score is the same
 * fixed-order sum whatever the block).  floats > 0 sets it; returns the
 * previous value.  Not for use inside a parallel region. */
#define KITH_TOPK_BLOCK_FLOATS ((int64_t)8 << 20)
int64_t kith_topk_block_floats(int64_t floats);

/* Top-K items by dot product for each query user.
 *   out_items:  n_query x k item indices, best first (-1 pads when fewer
 *               than k candidates remain);
 *   out_scores: n_query x k scores (may be NULL);
 *   U: n_users x d, V: n_items x d row-major float32;
 *   query: n_query user indices;
 *   mask: users x items CSR of items never to return (may be NULL).
 * Ties are broken by the lower item index.  Blocked fixed-order products
 * (kith_dense_scores) plus partial selection, OpenMP over blocks of users.
 * The same result for any thread count and CPU. */
gboolean kith_topk_dot(int32_t *out_items, float *out_scores,
                       const float *U, const float *V, int64_t n_items,
                       int d, const int64_t *query, int64_t n_query, int k,
                       const struct kith_csr *mask, GError **error);

/* The best k of the candidates (items[q], scores[q]), q < n, into
 * out_items / out_scores (k entries each), best first, ties to the lower
 * item, NaN below every number; pads with -1 / -inf.  O(n log k). */
void kith_topk_pairs(int32_t *out_items, float *out_scores,
                     const int32_t *items, const float *scores, int64_t n,
                     int k);

/* Per-user ranking metrics of a top-K list against a sorted truth set.
 * n_truth_total >= n_truth counts truth items that cannot be hit (unknown
 * to the store); it is the recall denominator.  As in the LightGCN
 * reference: recall = hits / n_truth_total, precision = hits / k,
 * ndcg = DCG / IDCG with IDCG over min(k, n_truth_total) ideal hits. */
double kith_metric_recall(const int32_t *topk, int k, const int32_t *truth,
                          int64_t n_truth, int64_t n_truth_total);
double kith_metric_precision(const int32_t *topk, int k,
                             const int32_t *truth, int64_t n_truth);
double kith_metric_ndcg(const int32_t *topk, int k, const int32_t *truth,
                        int64_t n_truth, int64_t n_truth_total);
double kith_metric_hit(const int32_t *topk, int k, const int32_t *truth,
                       int64_t n_truth);

struct kith_rank_metrics {
	int k;
	double recall;
	double ndcg;
	double precision;
	double hit;
	double coverage;          /* distinct recommended items / n_items */
	int64_t users_evaluated;  /* users with >= 1 test row */
};

/* Full-ranking evaluation: for every user with test items, rank all items
 * by U·V, masking train (may be NULL), and average the metrics.
 *   test: users x items CSR of held-out items (rows sorted);
 *   extra_misses: per-user count of test rows whose item is unknown to the
 *                 store (added to the recall/ndcg denominator), may be NULL.
 * Users whose only test rows are unknown items are still evaluated. */
gboolean kith_rank_eval(struct kith_rank_metrics *out, const float *U,
                        const float *V, int64_t n_users, int64_t n_items,
                        int d, int k, const struct kith_csr *train,
                        const struct kith_csr *test,
                        const int32_t *extra_misses, GError **error);

/* kith_rank_eval() of users u0..u1 (U their rows, train and test the
 * whole matrices) over the ranks of an MPI job: every rank ranks its own
 * users, recall@k and NDCG@k are averaged over the users of all ranks
 * (one Allreduce of 3 doubles; users_evaluated their total; the other
 * metrics this rank's).  Without MPI exactly kith_rank_eval() of those
 * users. */
gboolean kith_rank_eval_rows(struct kith_rank_metrics *out, const float *U,
                             const float *V, int64_t u0, int64_t u1,
                             int64_t n_items, int d, int k,
                             const struct kith_csr *train,
                             const struct kith_csr *test, GError **error);

/* ROC-AUC of scores of positive vs negative pairs (ties count 1/2). */
double kith_metric_auc(const float *pos, int64_t n_pos, const float *neg,
                       int64_t n_neg);

/* Per-user split of the rows of r (users x items): for each row of
 * degree deg >= 2, h = floor(ratio * deg) entries, plus one more with
 * probability frac(ratio * deg) (so the expected held share is ratio),
 * at most deg - 1, are held out; rows of degree 1 stay in train.
 *   ts == NULL: the held entries are a uniform random subset (selection
 *               sampling on the stream (seed, row): deterministic, the same
 *               for any thread count);
 *   ts != NULL: the h entries with the latest ts (nnz values, ties: the
 *               higher column is held) are held.
 * held[e] is set to 1 for held entries and 0 otherwise (nnz bytes, caller
 * allocates).  FALSE and KITH_ERROR_USAGE when ratio is not in [0, 1). */
gboolean kith_split_mask(uint8_t *held, const struct kith_csr *r,
                         const int64_t *ts, double ratio, uint64_t seed,
                         GError **error);

/* Random per-user split of r into two owned CSRs of r's shape (values
 * copied when r has them), as kith_split_mask() with ts == NULL.  Caller
 * clears both with kith_csr_clear(). */
gboolean kith_split_csr(struct kith_csr *train, struct kith_csr *held,
                        const struct kith_csr *r, double ratio,
                        uint64_t seed, GError **error);

/* The validation split of the models: kith_split_mask(ratio, seed) of R
 * restricted to at most max_users users (those whose seeded hash falls
 * below the quantile; the others keep all their pairs), as two owned
 * CSRs: train (the pairs kept) and val (the pairs held).  Every model
 * that selects on validation uses it, so that their validation scores
 * on the same (ratio, max_users, seed) are comparable.  Caller clears
 * both with kith_csr_clear(). */
gboolean kith_split_validation(struct kith_csr *train, struct kith_csr *val,
                               const struct kith_csr *R, double ratio,
                               int64_t max_users, uint64_t seed,
                               GError **error);

/* Owned CSR holding the entries e of r with keep[e] == want. */
gboolean kith_csr_select(struct kith_csr *out, const struct kith_csr *r,
                         const uint8_t *keep, uint8_t want, GError **error);

/* Classification metrics over n nodes with classes 0..n_classes-1; nodes
 * with truth outside that range are ignored; confusion (n_classes² int64,
 * caller allocates; row = truth, column = prediction) is filled. */
struct kith_class_metrics {
	int64_t n;
	double accuracy;
	double macro_f1;
};
void kith_metric_classify(struct kith_class_metrics *out,
                          const int32_t *truth, const int32_t *pred,
                          int64_t n, int n_classes, int64_t *confusion);

/* Top-K most similar rows of M (n x d) by cosine for the rows
 * query[0..n_query), excluding the row itself.  Same output layout as
 * kith_topk_dot(); zero rows have similarity 0 to everything. */
gboolean kith_topk_cosine(int32_t *out_items, float *out_scores,
                          const float *M, int64_t n, int d,
                          const int64_t *query, int64_t n_query, int k,
                          GError **error);

/* kith_rank_eval() for several cut-offs ks[0..n_k) at the cost of one
 * ranking with k = max(ks); out has n_k entries, out[q].k = ks[q]. */
gboolean kith_rank_eval_multi(struct kith_rank_metrics *out, const int *ks,
                              int n_k, const float *U, const float *V,
                              int64_t n_users, int64_t n_items, int d,
                              const struct kith_csr *train,
                              const struct kith_csr *test,
                              const int32_t *extra_misses, GError **error);

enum {
	KITH_SPLIT_NONE = 0,
	KITH_SPLIT_TRAIN,
	KITH_SPLIT_VAL,
	KITH_SPLIT_TEST
};

/* ---- Evaluation data read from files (src/eval/testset.c): held-out
 * pairs and node labels mapped to a store's indices. */

/* Held-out rows of an evaluation file mapped to store indices.
 * test: n_users x (n_items, or n_users for user-user pairs) CSR of the
 * known pairs, deduplicated; extra_misses: per user, distinct test rows
 * whose item is unknown to the store (they count as misses).  Counts:
 * rows = data rows read; used = distinct usable rows (test.nnz +
 * unknown_item); skipped rows: unknown_user, bad (unparsable, missing
 * field), duplicate, self_pair (user-user only). */
struct kith_testset {
	struct kith_csr test;
	int32_t *extra_misses;
	int64_t rows;
	int64_t used;
	int64_t unknown_user;
	int64_t unknown_item;
	int64_t bad;
	int64_t duplicate;
	int64_t self_pair;
};

/* Reads PATH ("-": stdin) with the CSV reader.  The two id columns come
 * from `columns` (a role spec such as "user,item,_"; NULL: the header's
 * user/item (or src/dst) columns, else the first two columns).
 * user_user: both ids are users (pairs of the social graph; a pair with an
 * unknown user is skipped).  Caller clears with kith_testset_clear(). */
gboolean kith_read_test_pairs(struct kith_testset *out, struct kith_store *s,
                              const char *path, const char *columns,
                              gboolean user_user, GError **error);
void kith_testset_clear(struct kith_testset *t);


/* Node labels (`node label split`, header optional: without it the
 * columns are node, label[, split]) mapped to store users.  Classes are
 * numbered by their sorted names.  label[u] = -1 for unlabelled users;
 * split[u] one of KITH_SPLIT_*.  Counts as in kith_testset (unknown_node:
 * a node that is not a store user; duplicate: a node listed again, the
 * first row wins).  Caller clears with kith_labels_clear(). */
struct kith_labels {
	int64_t n_nodes;
	int32_t *label;
	uint8_t *split;
	int n_classes;
	char **class_names;      /* n_classes + NULL */
	int64_t rows;
	int64_t labelled;
	int64_t unknown_node;
	int64_t bad;
	int64_t duplicate;
};

gboolean kith_read_labels(struct kith_labels *out, struct kith_store *s,
                          const char *path, GError **error);
void kith_labels_clear(struct kith_labels *l);

G_END_DECLS

#endif
