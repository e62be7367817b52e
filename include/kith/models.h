/*
 * Embedding models of kith embed (src/nn/): LightGCN for recommendation,
 * GraphSAGE and GCN.  Training functions are pure library code: they never
 * print, report progress through kith_progress() and an optional per-epoch
 * callback, and fill a training report (curve, timings, final validation
 * metrics) that the CLI writes into the model manifest.
 */
#ifndef KITH_MODELS_H
#define KITH_MODELS_H

#include <glib.h>
#include <stdint.h>

#include "kith/csr.h"

G_BEGIN_DECLS

/* ==== Training reports (shared by every model) ========================= */

/* One evaluated point of a training curve.  val_recall / val_ndcg are
 * negative when no validation was run at that epoch. */
struct kith_train_point {
	int epoch;              /* 1-based epoch just finished */
	int phase;              /* 0: model selection, 1: refit on all data */
	double loss;            /* mean training loss of the epoch */
	double val_recall;
	double val_ndcg;
	double seconds;         /* wall seconds since training started */
};

struct kith_train_report {
	GArray *curve;          /* of struct kith_train_point; owned */
	int k;                  /* metric cut-off of the validation */
	int epochs_run;         /* epochs of the selection phase */
	int best_epoch;         /* epoch picked on validation (0: none) */
	int refit_epochs;       /* epochs of the refit phase (0: none) */
	double val_recall;      /* validation metrics of the picked epoch */
	double val_ndcg;
	int64_t val_users;      /* users with validation items */
	int64_t val_pairs;      /* held-out validation interactions */
	const char *stop_reason;/* static string: "max-epochs", "early-stop",
	                           "time-limit", "interrupted" */
	int batch;              /* effective values of auto parameters */
	int max_epochs;
	int eval_every;
	double lr;
	double seconds_init;    /* graph build + initialisation */
	double seconds_train;   /* optimisation steps */
	double seconds_eval;    /* validation ranking */
	double seconds_total;
};

/* Zeroes *r and allocates its curve.  Release with kith_train_report_clear. */
void kith_train_report_init(struct kith_train_report *r);
void kith_train_report_clear(struct kith_train_report *r);

/* Called after every evaluated epoch (from the training thread, outside
 * parallel regions). */
typedef void (*kith_epoch_fn)(const struct kith_train_point *pt,
                              void *user_data);

/* ==== LightGCN (src/nn/lightgcn.c) ===================================== */

/* Hyper-parameters.  Zero / negative values of the fields marked "auto"
 * select the documented automatic default (see kith_lightgcn_params_init
 * and the banner of src/nn/lightgcn.c). */
struct kith_lightgcn_params {
	int dim;                /* 64 */
	int layers;             /* 3 propagation layers (0 = plain MF-BPR) */
	int max_epochs;         /* auto: 300 */
	int batch;              /* auto: ceil(train pairs / 16), >= 1024 */
	double lr;              /* auto: 0.005 */
	double l2;              /* 1e-4, on the batch's ego embeddings */
	int neg;                /* negatives per positive, 1 */
	uint64_t seed;
	double val_ratio;       /* 0.1; 0 = no validation, train max_epochs */
	int val_max_users;      /* auto: 10000 users hold validation items */
	int eval_every;         /* auto: 5 epochs */
	int patience;           /* auto: 5 evaluations without improvement */
	int k;                  /* validation cut-off, 20 */
	double time_limit;      /* wall seconds for the whole run, 0 = none */
	double social_weight;   /* weight of user-user links in the graph, 0 */
	gboolean spectral_init; /* TRUE: truncated-SVD start */
	gboolean refit;         /* TRUE: retrain on all pairs for best_epoch */
	/* Checkpointing: every checkpoint_every epochs (0 = never) the state
	 * is written into the folder checkpoint_dir (created if needed); with
	 * resume, training continues from the state found there. */
	const char *checkpoint_dir;
	int checkpoint_every;
	gboolean resume;
	kith_epoch_fn on_epoch; /* may be NULL */
	void *on_epoch_data;
};

/* Fills p with the defaults above (auto fields set to 0). */
void kith_lightgcn_params_init(struct kith_lightgcn_params *p);

/* Trains LightGCN on the user x item interactions R (n_users x n_items,
 * values ignored: every stored pair is one positive) and, when S is not
 * NULL and p->social_weight > 0, the user x user links S (values ignored,
 * symmetrised).  Writes the final propagated embeddings (layer mean) into
 * user_emb (n_users x dim) and item_emb (n_items x dim), caller-allocated,
 * row-major float32; their dot products rank items.  report (may be NULL)
 * must be initialised by kith_train_report_init().
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

G_END_DECLS

#endif
