/*
 * Embedding models of kith embed (src/nn/): LightGCN for recommendation,
 * GraphSAGE and GCN, and their embedding folders.  Training functions are
 * pure library code: they never print, train through one driver
 * (src/nn/train.c) that reports progress through kith_progress() and an
 * optional per-epoch callback, writes one checkpoint format
 * (src/nn/ckpt.c), and fills one training report (curve, timings, final
 * validation metrics); kith_embed() (src/nn/embed.c) writes it with the
 * model's parameters into the folder's manifest.
 */
#ifndef KITH_MODELS_H
#define KITH_MODELS_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

#include "kith/csr.h"

G_BEGIN_DECLS

/* ==== Training reports (shared by every model) ========================= */

/* One point of a training curve.  val / val2 are negative when no
 * validation was run at that epoch. */
struct kith_train_point {
	int epoch;              /* 1-based epoch just finished */
	int phase;              /* 0: model selection, 1: refit on all data */
	double loss;            /* mean training loss of the epoch */
	double val;             /* the validation score that picks the epoch:
	                           recall@k (lightgcn), accuracy (supervised
	                           gcn, sage) or held-out link AUC */
	double val2;            /* a second metric: ndcg@k (lightgcn) */
	double seconds;         /* wall seconds since training started */
};

/* What a training run did, for every model (filled by the train
 * functions; the fields a model does not use keep the values of
 * kith_train_report_init()). */
struct kith_train_report {
	GArray *curve;          /* of struct kith_train_point; owned */
	int epochs_run;         /* epochs of the selection phase */
	int best_epoch;         /* epoch picked on validation (0: none) */
	int refit_epochs;       /* epochs of the refit phase (0: none) */
	double val;             /* validation metrics of the picked epoch, */
	double val2;            /* -1 when none */
	const char *stop_reason;/* static string: "max-epochs", "early-stop",
	                           "time-limit", "interrupted" */
	int resumed_epoch;      /* epochs restored from a checkpoint (0: a
	                           fresh start) */
	int resumed_generation; /* 0: the newest checkpoint, 1: DIR.old */
	/* effective values of auto parameters */
	int max_epochs;
	int patience;
	int eval_every;
	int batch;              /* lightgcn */
	int k;                  /* lightgcn: metric cut-off of validation */
	double lr;
	/* lightgcn */
	int64_t val_users;      /* users with validation items */
	int64_t val_pairs;      /* held-out validation interactions */
	gboolean has_ego;       /* ego_out was filled */
	/* supervised gcn: accuracies of the kept weights, -1 n/a */
	double train_acc, val_acc, test_acc;
	/* over the ranks of an MPI job (lightgcn under mpirun) */
	int ranks;              /* 0: one process */
	int64_t *row_bounds;    /* ranks + 1 bounds of the rows of the
	                           users-then-items graph; owned */
	int64_t halo_rows;      /* H: remote rows all ranks fetch per layer */
	int64_t batch_halo_rows;/* Σ over steps and ranks: remote item rows
	                           of the sampled triples */
	int64_t dist_steps;     /* steps run (and counted) */
	int steps_per_epoch;
	int64_t bytes_steps;    /* bytes all ranks handed to MPI in them */
	int64_t bytes_formula;  /* the same by the formula of kith-embed(1) */
	const char *bytes_formula_text; /* static string */
	double seconds_init;    /* graph build + initialisation */
	double seconds_train;   /* optimisation steps */
	double seconds_eval;    /* validation */
	double seconds_total;
	/* kith_embed(): the model trained (static string) and, for model
	 * auto, a line saying what was compared and chosen (owned) */
	const char *model;
	char *selection;
	/* filter: the weight of the low-pass term used and, when it was
	 * chosen on validation, the recall@k of each candidate (weight 0,
	 * weight KITH_FILTER_LOWPASS; -1: not tried) */
	double lowpass;
	double lowpass_val[2];
};

/* Zeroes *r (metrics -1, stop_reason "max-epochs") and allocates its
 * curve.  Release with kith_train_report_clear. */
void kith_train_report_init(struct kith_train_report *r);
void kith_train_report_clear(struct kith_train_report *r);
/* total (bytes of rep->dist_steps steps) scaled to one epoch of
 * rep->steps_per_epoch steps, rounded; 0 without steps. */
int64_t kith_train_bytes_per_epoch(const struct kith_train_report *rep,
                                   int64_t total);

/* Checkpoints of every model (fields checkpoint_dir, checkpoint_every,
 * checkpoint_seconds, resume of struct kith_train_options; src/nn/ckpt.c).  Every
 * checkpoint_every epochs (0: never), after a step once
 * checkpoint_seconds have passed since the last one, at a stop and,
 * when kith_interrupted() became true, after the step in progress (at
 * the end of its epoch when it was the last), the whole training state
 * (weights, Adam moments and step counts, kept best state, early-stopping
 * counters, curve, and a SHA-256 of the parameters and input data) is
 * written into the folder checkpoint_dir (format "kith-checkpoint",
 * version 2); the folder it replaces is kept as checkpoint_dir.old.  With
 * resume, training continues from the newest valid one of the two (none:
 * a fresh start) and ends with the same bytes as an uninterrupted run;
 * checkpoints of another model, other parameters or data, or an older
 * format are refused (KITH_ERROR_CORRUPT, the message names the
 * versions).  This removes checkpoint_dir, its .old and .tmp siblings and
 * the checkpoint files in them. */
void kith_checkpoint_remove(const char *dir);

/* Called after every recorded epoch (from the training thread, outside
 * parallel regions): on_epoch of struct kith_train_options. */
typedef void (*kith_epoch_fn)(const struct kith_train_point *pt,
                              void *user_data);

/* Training options every model shares: the member `train` of each
 * model's parameters (see src/nn/train.c for what they do). */
struct kith_train_options {
	int max_epochs;         /* 0: the model's default */
	int patience;           /* validations without a better score before
	                           stopping; 0: the model's default */
	double time_limit;      /* wall seconds for the whole run, 0 = none */
	/* Checkpoints (see kith_checkpoint_remove()): every checkpoint_every
	 * epochs (0 = never) and after any step once checkpoint_seconds
	 * (0 = never) of wall time have passed since the last one, the state
	 * is written into the folder checkpoint_dir (created if needed);
	 * with resume, training continues from the state found there. */
	const char *checkpoint_dir;
	int checkpoint_every;
	double checkpoint_seconds;
	gboolean resume;
	kith_epoch_fn on_epoch; /* after every recorded epoch; may be NULL */
	void *on_epoch_data;
};

/* ==== LightGCN (src/nn/lightgcn.c) ===================================== */

/* Hyper-parameters.  Zero / negative values of the fields marked "auto"
 * select the documented automatic default (see kith_lightgcn_params_init
 * and the banner of src/nn/lightgcn.c). */
struct kith_lightgcn_params {
	int dim;                /* 64 */
	int layers;             /* 3 propagation layers (0 = plain MF-BPR) */
	struct kith_train_options train;  /* max_epochs auto: 300; patience
	                           auto: 5 evaluations without improvement */
	int epoch_steps;        /* steps per epoch; auto (0): the batches
	                           that cover the pairs once, 16 */
	int batch;              /* auto: ceil(train pairs / 16), >= 1024 */
	double lr;              /* auto: 0.01 */
	double lr_decay;        /* factor on lr after each validation without
	                           gain (replayed by the refit), 1 = off */
	double l2;              /* 1e-4, on the batch's ego embeddings */
	int neg;                /* negatives per positive, 8 */
	gboolean hard_neg;      /* only the best-scored of the neg candidates
	                           (dynamic negative sampling), TRUE */
	uint64_t seed;
	double val_ratio;       /* 0.1; 0 = no validation, train max_epochs */
	int val_max_users;      /* auto: 10000 users hold validation items */
	int eval_every;         /* auto: 2 epochs */
	int k;                  /* validation cut-off, 20 */
	double social_weight;   /* weight of user-user links in the graph, 0 */
	gboolean spectral_init; /* TRUE: truncated-SVD start */
	gboolean refit;         /* TRUE: retrain on all pairs for best_epoch */
	int threads;            /* OpenMP threads of training; auto: at most
	                           the current count, one per 2^23 entries x
	                           width of a propagation */
	/* Warm start (kith update): when init_user is not NULL, the ego
	 * embeddings start from init_user (init_users x dim, users
	 * 0..init_users-1) and init_item (init_items x dim) instead of the
	 * spectral or random start; a user or item beyond those counts (a
	 * node new since the init was trained) starts from the mean of the
	 * init rows of its neighbours in the training pairs, or from the
	 * random N(0, 0.1²) start when it has none.  Borrowed. */
	const float *init_user;
	const float *init_item;
	int64_t init_users;
	int64_t init_items;
	/* Focus (kith update): when n_focus > 0, a share focus_share of each
	 * batch's users is drawn among focus_users (ascending user indices,
	 * those without pairs ignored) instead of among all users with
	 * pairs.  Borrowed. */
	const int64_t *focus_users;
	int64_t n_focus;
	double focus_share;     /* in [0, 1] */
	/* Focus pairs: when n_focus_pairs > 0 the focus draws replace the
	 * focus users: a pair (focus_u[k], focus_i[k]) uniformly, as the
	 * positive.  Borrowed. */
	const int64_t *focus_u;
	const int32_t *focus_i;
	int64_t n_focus_pairs;
	/* init_ego: the init rows are ego embeddings E⁰ (an earlier run's
	 * ego_out) rather than propagated rows, used as they are. */
	gboolean init_ego;
	/* When not NULL, receives the ego embeddings E⁰ ((n_users + n_items)
	 * x dim, users first; caller-allocated) whose propagation is the
	 * output, and report->has_ego is set; not filled (has_ego FALSE) when
	 * the output is a best validation state whose E⁰ was not kept (an
	 * interrupted or time-limited run). */
	float *ego_out;
};

/* Fills p with the defaults above (auto fields set to 0). */
/* The extra array of a LightGCN embedding folder holding ego_out: float32
 * (n_users + n_items) x dim, users first. */
#define KITH_LIGHTGCN_EGO "lightgcn.ego.npy"

void kith_lightgcn_params_init(struct kith_lightgcn_params *p);

/* The member "params" of a LightGCN folder's manifest: p with the
 * effective values of its auto fields from the report of the run (dim,
 * layers, max_epochs, batch, lr, l2, neg, hard_neg, val_ratio,
 * eval_every, patience, k, time_limit, social_weight, spectral_init,
 * refit). */
void kith_lightgcn_params_to_json(JsonBuilder *b,
                                  const struct kith_lightgcn_params *p,
                                  const struct kith_train_report *rep);

/* Reads back from such a "params" object what defines the model (dim,
 * layers, l2, neg, hard_neg, social_weight; members missing or of another
 * type keep p's values, social_weight 0); the schedule (epochs, batch,
 * learning rate, validation) is the caller's. */
void kith_lightgcn_params_from_json(struct kith_lightgcn_params *p,
                                    JsonObject *o);

/* Trains LightGCN on the user x item interactions R (n_users x n_items,
 * values ignored: every stored pair is one positive) and, when S is not
 * NULL and p->social_weight > 0, the user x user links S (values ignored,
 * symmetrised).  Writes the final propagated embeddings (layer mean) into
 * user_emb (n_users x dim) and item_emb (n_items x dim), caller-allocated,
 * row-major float32; their dot products rank items.  report (may be NULL)
 * must be initialised by kith_train_report_init().
 * Under an MPI launcher (kith_dist_active()) every rank calls it with the
 * whole R and S and trains its rows (src/nn/lightgcn.c); user_emb,
 * item_emb and ego_out are filled on rank 0 only and may be NULL on the
 * others, and report receives the ranks, halo and bytes.  Warm starts
 * and focus (kith update) train as one process on a single rank and are
 * refused with more than one (KITH_ERROR_USAGE).
 * Errors: KITH_ERROR_USAGE for invalid parameters, KITH_ERROR_NOMEM,
 * KITH_ERROR_IO / KITH_ERROR_CORRUPT from checkpoints,
 * KITH_ERROR_INTERRUPTED when kith_interrupted() became true (the
 * embeddings then hold the best state so far and report is filled). */
gboolean kith_lightgcn_train(float *user_emb, float *item_emb,
                             struct kith_train_report *report,
                             const struct kith_csr *R,
                             const struct kith_csr *S,
                             const struct kith_lightgcn_params *p,
                             GError **error);

/* ==== end of LightGCN ================================================== */

/* ==== GCN and GraphSAGE (src/nn/gcn.c, sage.c, features.c) ============ */



/* Node input features computed from a store, and the schema that makes
 * the same computation repeatable on a newer store (inductive use).
 * Blocks (each optional, see kith_features_build()):
 *   uf        the store's sparse user features (row-normalised: x / Σx)
 *   attr      dense user attributes, standardised: (x - mean) / sd
 *   stats     log1p(item degree), log1p(social degree), log1p(events),
 *             event-type shares, standardised
 *   cat       category shares of the user's items (items: their own
 *             categories, row-normalised)
 * Users and items share one feature space: items have zeros in the
 * user-only columns and a one in an "is item" column. */
struct kith_feature_schema {
	int64_t n_cols;         /* total width */
	int64_t n_uf;           /* width of the uf block (names in uf_names) */
	int64_t n_attr;
	int64_t n_stats;
	int64_t n_cat;
	char **uf_names;        /* n_uf, owned (g_strfreev-style) */
	char **attr_names;      /* n_attr */
	char **cat_names;       /* n_cat */
	char **stat_names;      /* n_stats */
	float *mean;            /* n_cols: subtracted (0 for sparse blocks) */
	float *scale;           /* n_cols: multiplied after subtraction */
};
void kith_feature_schema_clear(struct kith_feature_schema *sc);

/* Builds features of every user (rows 0..n-1) and, when with_items, every
 * item (rows n..n+m-1) of s as a CSR (values set) into out (owned).  With
 * fit, the schema is computed from s and stored in sc; without fit, sc is
 * an existing schema (from kith_feature_schema_read()) and columns are
 * matched by name (names unknown to the schema are dropped, missing ones
 * stay zero).  KITH_ERROR_NOMEM. */
struct kith_store;
gboolean kith_features_build(struct kith_csr *out,
                             struct kith_feature_schema *sc,
                             const struct kith_store *s, gboolean with_items,
                             gboolean fit, GError **error);
/* kith_features_build() of rows [r0, r1) only (out has r1 - r0 rows, the
 * same bytes as those rows of the whole build): a fit still fits on every
 * row of s, streaming, in O(dense width) memory.  KITH_ERROR_USAGE for a
 * range outside the rows. */
gboolean kith_features_build_rows(struct kith_csr *out,
                                  struct kith_feature_schema *sc,
                                  const struct kith_store *s,
                                  gboolean with_items, gboolean fit,
                                  int64_t r0, int64_t r1, GError **error);

/* Schema <-> JSON object (for the model manifest). */
JsonNode *kith_feature_schema_to_json(const struct kith_feature_schema *sc);
gboolean kith_feature_schema_from_json(struct kith_feature_schema *sc,
                                       JsonNode *node, GError **error);

/* Two-layer GCN weights: X·W1 (n_in x hidden) + b1, ReLU, then
 * H·W2 (hidden x n_out) + b2, each after Â.  Owned arrays (g_free). */
struct kith_gcn_model {
	int64_t n_in;
	int hidden;
	int n_out;
	gboolean supervised;    /* softmax classifier (else auto-encoder) */
	float *w1, *b1, *w2, *b2;
};
void kith_gcn_model_clear(struct kith_gcn_model *m);
/* The rows of the social graph A each of `ranks` ranks of an MPI job
 * owns in kith_gcn_train() and kith_gcn_apply() (bounds: ranks + 1
 * entries, as kith_dist_partition()'s): the rows of the features X a
 * rank may pass alone.  O(ranks log n). */
void kith_gcn_bounds(int64_t *bounds, const struct kith_csr *A, int ranks);

struct kith_gcn_params {
	int hidden;             /* 64: first layer width (the embedding in
	                           supervised mode) */
	int dim;                /* 64: output width of the auto-encoder */
	struct kith_train_options train;  /* max_epochs auto: 200
	                           (supervised), 300 (GAE); patience auto:
	                           100 epochs without a better score */
	double lr;              /* 0.01 */
	double weight_decay;    /* 5e-4: L2 on the first layer's weights
	                           (supervised only) */
	double dropout;         /* 0.5 (supervised; GAE uses none) */
	int neg;                /* GAE negatives per positive pair: 1 */
	uint64_t seed;
	const struct kith_store *mapped;  /* NULL, or the store A is mapped
	                           from: once a rank has built its rows of Â,
	                           A's pages go back (kith_store_release_rows;
	                           the ranks of an MPI job) */
};
void kith_gcn_params_init(struct kith_gcn_params *p);

/* The member "params" of a GCN folder's manifest: p's values with the
 * effective epochs and patience, the widths of the model m, and the
 * labels and --from paths (may be NULL). */
void kith_gcn_params_to_json(JsonBuilder *b, const struct kith_gcn_params *p,
                             const struct kith_gcn_model *m,
                             const char *labels, const char *from);

/* Trains a GCN on the graph A (n x n, made symmetric with self-loops,
 * binary) with node features X (n x f CSR, values used as given).
 * Supervised when label != NULL: label[i] in [0, n_classes) or -1, split[i]
 * a KITH_SPLIT_* value (train nodes give the loss, val nodes pick the
 * epoch, test nodes are only scored); emb receives the hidden layer
 * (n x hidden) and pred (may be NULL) the predicted class of every node.
 * Unsupervised (label NULL): a graph auto-encoder, emb is n x dim.
 * model receives the weights of the kept epoch (clear with
 * kith_gcn_model_clear()); report must be initialised.
 * KITH_ERROR_USAGE on bad parameters or no train node, KITH_ERROR_NOMEM,
 * KITH_ERROR_IO / KITH_ERROR_CORRUPT from checkpoints,
 * KITH_ERROR_INTERRUPTED (after writing a checkpoint when
 * train.checkpoint_dir is set).
 * Under an MPI job (kith_dist_active()) every rank calls it alike with
 * the whole A and labels and X whole or only the rows the rank owns
 * (kith_gcn_bounds()): each trains its rows of the graph, emb and
 * pred are written on rank 0 only (NULL allowed on the other ranks),
 * model is the same on every rank, and report gets the ranks, their row
 * bounds and the bytes. */
gboolean kith_gcn_train(float *emb, int32_t *pred,
                        struct kith_gcn_model *model,
                        struct kith_train_report *report,
                        const struct kith_csr *A, const struct kith_csr *X,
                        const int32_t *label, const uint8_t *split,
                        int n_classes, const struct kith_gcn_params *p,
                        GError **error);

/* Applies trained weights to a (possibly new) graph and features: emb as
 * in kith_gcn_train(), pred when supervised (may be NULL).  Under an MPI
 * job over the ranks, as kith_gcn_train(); mapped as the params'. */
gboolean kith_gcn_apply(float *emb, int32_t *pred,
                        const struct kith_gcn_model *m,
                        const struct kith_csr *A, const struct kith_csr *X,
                        const struct kith_store *mapped, GError **error);

/* GraphSAGE (Hamilton et al. 2017), two layers over the joint graph of
 * users and items (see kith_sage_graph()):
 *   H0 = X·W0 (+ E, learned id embeddings, with id_emb)
 *   H1 = ReLU(H0·Ws1 + AGG1(H0)·Wn1 + b1)
 *   Z  = H1·Ws2 + AGG2(H1)·Wn2 + b2                 (the embedding)
 * AGG = mean of sampled neighbours, or (pool) the element-wise max of
 * ReLU(H_j·Wp + bp) over them.  All weights live in one array. */
struct kith_sage_model {
	int64_t n_in;           /* feature width */
	int dim;
	gboolean pool;
	float *params;          /* owned, n_params floats */
	size_t n_params;
	float *id_emb;          /* n_id x dim or NULL; owned */
	int64_t n_id;
};
void kith_sage_model_clear(struct kith_sage_model *m);
/* Sizes and offsets of the named blocks of m->params ("w0", "ws1", "wn1",
 * "b1", "wp1", "bp1", "ws2", "wn2", "b2", "wp2", "bp2"); FALSE for a
 * block the model does not have. */
gboolean kith_sage_block(const struct kith_sage_model *m, const char *name,
                         size_t *offset, size_t *size);

struct kith_sage_params {
	int dim;                /* 64 */
	int fanout[2];          /* 25, 10: neighbours sampled at hop 1, 2 */
	gboolean pool;          /* FALSE: mean aggregator */
	gboolean id_emb;        /* learned per-node embeddings added to H0 */
	struct kith_train_options train;  /* max_epochs auto: 400;
	                           patience auto: 50 epochs, with labels 100 */
	double lr;              /* 0.01 */
	double l2;              /* on all weights; auto (< 0): 1e-5, with
	                           labels 5e-4 */
	int neg;                /* negatives per positive edge: 1 */
	double val_ratio;       /* 0.05 of the edges held out for selection */
	uint64_t seed;
	/* Supervised (label != NULL): a softmax head on Z adds the mean
	 * cross-entropy of the train nodes to link_weight x the link loss;
	 * the epoch is picked on validation accuracy (see kith_gcn_train for
	 * label/split).  Borrowed. */
	const int32_t *label;   /* n_label entries (nodes 0..n_label-1) */
	const uint8_t *split;
	int64_t n_label;
	int n_classes;
	double link_weight;     /* auto (<= 0): 1, with labels 0.3 */
	double dropout;         /* on H0 and H1 when supervised: 0.5 */
	/* Under an MPI job: NULL, G is whole and the nodes are cut by
	 * kith_sage_bounds(); else the partition (ranks + 1 entries, the
	 * same on every rank, e.g. kith_sage_bounds_store() of memest.h)
	 * and G holds
	 * only this rank's rows of it.  Borrowed. */
	const int64_t *bounds;
};
void kith_sage_params_init(struct kith_sage_params *p);

/* The member "params" of a SAGE folder's manifest: p with the effective
 * values of its auto fields, the width, aggregator and id embeddings of
 * the model m, and the labels and --from paths (may be NULL). */
void kith_sage_params_to_json(JsonBuilder *b, const struct kith_sage_params *p,
                              const struct kith_sage_model *m,
                              const char *labels, const char *from);

/* The joint graph of a store: nodes 0..n-1 users, n..n+m-1 items; edges
 * user-item (both directions) and user-user (symmetrised), binary.
 * Owned; caller frees with kith_csr_clear(). */
gboolean kith_sage_graph(struct kith_csr *G, const struct kith_store *s,
                         GError **error);
/* Rows [r0, r1) of that graph (G has r1 - r0 rows of global columns: the
 * same bytes as those rows of kith_sage_graph()), read from the store's
 * rows and, for the users' links both ways, one pass over the social
 * graph.  KITH_ERROR_USAGE for a range outside the nodes. */
gboolean kith_sage_graph_rows(struct kith_csr *G, const struct kith_store *s,
                              int64_t r0, int64_t r1, GError **error);


/* The nodes of the joint graph G each of `ranks` ranks of an MPI job
 * owns in kith_sage_train() and kith_sage_apply() at width d (bounds:
 * ranks + 1 entries, as kith_dist_partition()'s; nodes weighed by
 * kith_sage_row_weight()): the rows of the features X a rank may pass
 * alone.  O(N). */
void kith_sage_bounds(int64_t *bounds, const struct kith_csr *G, int d,
                      int ranks);

/* Trains on G (N x N, symmetric) with features X (N x f) by the
 * unsupervised link objective: for every edge (i, j) of the training part
 * of G, -log σ(z_i·z_j) - Σ_neg log σ(-z_i·z_k) with k uniform over the
 * nodes.  emb (N x dim) gets the embeddings of the kept epoch computed
 * with full neighbourhoods; model its weights (clear with
 * kith_sage_model_clear()).  report initialised by the caller.
 * Errors as kith_gcn_train().  Under an MPI job every rank calls it alike
 * with the whole G and X whole or only the rows the rank owns
 * (kith_sage_bounds() at p->dim): each trains its nodes, emb is written
 * on rank 0 only (NULL allowed on the other ranks), model's weights are
 * the same on every rank and its id embeddings whole on rank 0. */
gboolean kith_sage_train(float *emb, struct kith_sage_model *model,
                         struct kith_train_report *report,
                         const struct kith_csr *G, const struct kith_csr *X,
                         const struct kith_sage_params *p, GError **error);

/* Embeds every node of G with trained weights (full neighbourhoods).
 * id_map (may be NULL) gives for each node of G its row in m->id_emb or -1
 * (new node: no id embedding).  Under an MPI job as kith_sage_train()
 * (X whole or the rank's rows at m->dim; emb on rank 0). */
gboolean kith_sage_apply(float *emb, const struct kith_sage_model *m,
                         const struct kith_csr *G, const struct kith_csr *X,
                         const int64_t *id_map, GError **error);
/* kith_sage_apply() with G holding only this rank's rows of the
 * partition bounds (as kith_sage_params.bounds; NULL: G whole). */
gboolean kith_sage_apply_rows(float *emb, const struct kith_sage_model *m,
                              const struct kith_csr *G,
                              const struct kith_csr *X,
                              const int64_t *id_map, const int64_t *bounds,
                              GError **error);

/* ==== end of GCN and GraphSAGE ========================================= */

/* ==== Spectral filter (src/nn/filter.c) =============================== */

/* Parameters of the training-free filter (see the banner of
 * src/nn/filter.c). */
struct kith_filter_params {
	int dim;                /* 256; at most min(users, items) */
	int oversample;         /* 32 extra columns of the randomised SVD */
	int passes;             /* 3 subspace passes */
	gboolean normalize;     /* TRUE: rows of the filter scaled to unit
	                           norm before the SVD */
	uint64_t seed;
	double val_ratio;       /* 0.1; 0 = no validation */
	int val_max_users;      /* 3000 users hold validation pairs */
	int k;                  /* validation cut-off, 20 */
	/* The low-pass term of GF-CF, lowpass·R D_i^-1/2 V_k V_kᵀ D_i^1/2
	 * with V_k the top lowpass_dim (64) right singular vectors of R̃,
	 * added to P before the projection.  lowpass < 0 (default): 0 or
	 * KITH_FILTER_LOWPASS, whichever ranks the validation pairs better
	 * (0 without validation). */
	double lowpass;
	int lowpass_dim;
	/* Warm start (kith update): the item rows (start_rows x dim) of an
	 * earlier filter of the same width; items beyond start_rows start
	 * at zero.  Used when val_ratio is 0 (a validation fit gives the
	 * final fit its own start); the fit then makes one pass.
	 * Borrowed; NULL: a cold start of `passes` passes. */
	const float *start;
	int64_t start_rows;
};

#define KITH_FILTER_LOWPASS 0.3

void kith_filter_params_init(struct kith_filter_params *p);

/* The width of the embeddings the filter of R gives (p->dim, at most
 * min(users, items)). */
int kith_filter_dim(const struct kith_filter_params *p,
                    const struct kith_csr *R);

/* The member "params" of a filter folder's manifest (dim the effective
 * width). */
void kith_filter_params_to_json(JsonBuilder *b,
                                const struct kith_filter_params *p, int dim);

/* Reads back the parameters of a filter folder's "params" object into p
 * (fields absent keep their values). */
void kith_filter_params_from_json(struct kith_filter_params *p,
                                  JsonObject *params);

/* The filter of the pairs R (users x items; its pattern is used): U
 * (n_rows x dim) and V (n_cols x dim), dim = kith_filter_dim(p, R),
 * caller-allocated.  With p->val_ratio > 0 the same filter is fitted on
 * kith_split_validation(R) first and ranked against the held-out pairs
 * (rep->val / val2: recall@k / ndcg@k, val_users, val_pairs).  rep is
 * the caller's (kith_train_report_init).  Under mpirun every rank calls
 * it alike: each fits its users' rows (the users split by pairs), V is
 * the whole on every rank and rank 0 gathers U (NULL on the other ranks
 * allowed); rep gets the ranks, their row bounds and the bytes.
 * KITH_ERROR_USAGE for bad parameters, KITH_ERROR_NOMEM,
 * KITH_ERROR_INTERRUPTED. */
gboolean kith_filter_train(float *U, float *V, struct kith_train_report *rep,
                           const struct kith_csr *R,
                           const struct kith_filter_params *p,
                           GError **error);

/* ==== Embedding folders (src/nn/embed.c) =============================== */

/* kith embed as a library call: the model to train (or apply) on a store
 * and the folder to write. */
struct kith_embed_request {
	const char *model;      /* "auto" (default), "filter", "lightgcn",
	                           "sage" or "gcn" */
	const char *output;     /* the folder EMB */
	const char *labels;     /* gcn, sage: node labels (node label split)
	                           for supervised training, or NULL */
	const char *from;       /* gcn, sage: an earlier folder EMB0 whose
	                           trained weights embed the store (no
	                           training), or NULL */
	int64_t seed;           /* 42; the model's seed and the manifest's */
	/* the parameters of the three models (the model's is used), with
	 * their defaults; the checkpoint folder is EMB.ckpt whenever their
	 * train.checkpoint_every / checkpoint_seconds / resume ask for
	 * checkpoints, and the seed is the request's */
	struct kith_lightgcn_params lightgcn;
	struct kith_gcn_params gcn;
	struct kith_sage_params sage;
	struct kith_filter_params filter;
	/* auto: the filter and, when the store has at most this many
	 * training pairs, LightGCN (on the filter's validation split); the
	 * better validation recall@k wins.  250000 */
	int64_t auto_lightgcn_max_pairs;
};

/* Fills r with the defaults (model auto, seed 42, each model's
 * kith_*_params_init()). */
void kith_embed_request_init(struct kith_embed_request *r);

/* TRUE for "auto", "filter", "lightgcn", "sage" and "gcn". */
gboolean kith_embed_model_known(const char *model);

/* Peak memory of kith_embed(r) on s, in bytes (see kith/memest.h). */
struct kith_store;
guint64 kith_embed_memest(const struct kith_embed_request *r,
                          const struct kith_store *s);

/* Under an MPI job (kith_dist_active()) with r->model "lightgcn", "gcn",
 * "filter" or "auto", the job runs over the ranks: the peak of each rank
 * into out (kith_dist_size() elements; see kith_memest_lightgcn_ranks(),
 * kith_memest_gcn_ranks() and kith_memest_filter_ranks(); auto trying
 * LightGCN: the sum of both, the rows LightGCN's), the same on every
 * rank, and TRUE.  Otherwise FALSE (out untouched): the estimate is
 * kith_embed_memest()'s. */
struct kith_memest_rank;
gboolean kith_embed_memest_ranks(const struct kith_embed_request *r,
                                 const struct kith_store *s,
                                 struct kith_memest_rank *out);

/* Trains r->model on the store s (opened from store_path) — or, with
 * r->from, applies that folder's weights to it — and writes the folder
 * r->output atomically: users.npy, items.npy (0 rows for gcn), the
 * model's arrays (lightgcn.ego.npy; gcn.w1/b1/w2/b2.npy and gcn.pred.npy
 * when supervised; sage.params.npy, sage.id_emb.npy), manifest.json (the
 * store, seed and threads; "params" with the effective values of the auto
 * fields; the weights' shapes and feature schema; when trained "curve",
 * "training", "validation" and "timings"), then gcn.classes.tsv or
 * sage.nodes.tsv.  SAGE learns id embeddings when the store has fewer
 * than 32 feature columns.  A finished run removes the checkpoint folder
 * EMB.ckpt; a run stopped by its time limit keeps it for a resume.  rep
 * (initialised by the caller) receives the training report.
 * Errors: the models' (KITH_ERROR_USAGE for bad parameters,
 * KITH_ERROR_INTERRUPTED, checkpoint errors), KITH_ERROR_USAGE when
 * r->from holds another model, KITH_ERROR_CORRUPT when its weights do
 * not fit the store's features, KITH_ERROR_IO. */
gboolean kith_embed(const struct kith_embed_request *r,
                    const char *store_path, struct kith_store *s,
                    struct kith_train_report *rep, GError **error);

G_END_DECLS

#endif
