/*
 * The training driver of every model (train.c) and the one checkpoint
 * format (ckpt.c).  A model supplies hooks (struct train_hooks): setting
 * up a phase, one optimisation step, a validation, keeping the best
 * state, listing the arrays and counters that make its state, and
 * producing the output; the driver owns epochs, steps, validation
 * bookkeeping, early stopping, the refit phase, the learning-rate cuts,
 * the time limit, periodic, timed and interrupt checkpoints, progress
 * and the training report.
 */
#ifndef KITH_NN_TRAIN_INTERNAL_H
#define KITH_NN_TRAIN_INTERNAL_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

#include "kith/csr.h"
#include "kith/models.h"
#include "kith/nn.h"

/* ---- checkpoints (ckpt.c) ------------------------------------------------
 * A checkpoint folder DIR holds state.json and one float32 .npy per array
 * of the state.  state.json: "format" "kith-checkpoint", "version"
 * CKPT_VERSION, "model", "config_hash" (SHA-256 of what fixes the
 * trajectory: parameters and input data), the driver's state (phase,
 * epoch, step inside an interrupted epoch, selection bookkeeping with its
 * doubles as the 16 hex digits of their IEEE bits, learning-rate cuts,
 * elapsed seconds), the model's counters (Adam step counts), the shape
 * and xxh64 of every array, and the curve.  A generation is written into
 * DIR.tmp, then DIR (if any) becomes DIR.old (kept) and DIR.tmp becomes
 * DIR: a kill at any moment leaves at least one complete generation.
 * Readers refuse other formats and versions (the checkpoints of kith
 * before version 2: kith-lightgcn-checkpoint, kith-gcn-checkpoint and
 * kith-sage-checkpoint) with a message naming both versions. */
#define CKPT_FORMAT "kith-checkpoint"
#define CKPT_VERSION 2
#define CKPT_MAX_ARRAYS 24
#define CKPT_MAX_COUNTERS 8
#define TRAIN_MAX_CUTS 16

/* The arrays and counters of a model's training state (borrowed
 * pointers into the model). */
struct ckpt_array {
	char name[40];          /* file name, e.g. "ego.npy" */
	float *data;
	int64_t rows, cols;     /* cols 0: a 1-D array of rows floats */
	gboolean split;         /* rows split over the ranks (ckpt_split()) */
};
struct ckpt_counter {
	char name[40];
	int64_t *value;
};
struct ckpt_items {
	struct ckpt_array arr[CKPT_MAX_ARRAYS];
	int n_arr;
	struct ckpt_counter cnt[CKPT_MAX_COUNTERS];
	int n_cnt;
	/* Not NULL: the training runs over the ranks of an MPI job and the
	 * arrays marked split are split by rows (see ckpt_split());
	 * borrowed. */
	const int64_t *bounds;
	int width;
	/* TRUE: the training runs over the ranks of an MPI job and every
	 * array not split is whole and the same on every rank (the weights
	 * of a GCN): rank 0 alone writes them, every rank loads them
	 * whole. */
	gboolean replicated;
};
void ckpt_add_array(struct ckpt_items *it, const char *name, float *data,
                    int64_t rows, int64_t cols);
void ckpt_add_counter(struct ckpt_items *it, const char *name,
                      int64_t *value);
/* Arrays "adam_m<SUFFIX>.npy", "adam_v<SUFFIX>.npy" (a->n floats) and the
 * counter "adam_t<SUFFIX>" of one optimiser. */
void ckpt_add_adam(struct ckpt_items *it, const char *suffix,
                   struct kith_adam *a);

/* Marks the arrays added to it so far as split over the ranks of an MPI
 * job (those added after stay whole; see replicated): this
 * rank holds global rows [bounds[me], bounds[me + 1]) of `width` floats
 * each (ckpt_add_array() with those local rows and cols = width, or, for
 * a 1-D array, local rows x width elements), the files hold all
 * bounds[P] rows.  ckpt_write() then gathers each array on rank 0, which
 * alone writes (one array of the whole at a time); ckpt_load() copies
 * each rank's rows.  Collective calls on every rank. */
void ckpt_split(struct ckpt_items *it, const int64_t *bounds, int width);

/* The driver's state after a number of epochs (and steps). */
struct train_state {
	int phase;              /* 0: selection, 1: refit */
	int epoch;              /* epochs finished in this phase */
	int step;               /* steps done inside epoch + 1 (0: none) */
	double step_loss;       /* their weighted loss sum */
	int64_t step_weight;    /* their summed weights */
	int best_epoch;         /* 0: none */
	double best;            /* validation score of best_epoch */
	double best2;
	double best_loss;       /* its validation loss (tie break) */
	int bad_evals;          /* validations without a better score */
	int n_cuts;             /* learning-rate cuts so far */
	int cut_epoch[TRAIN_MAX_CUTS]; /* epoch after which each happened */
	double elapsed;         /* wall seconds of the run so far */
};

/* Lowercase SHA-256 hex of what fixes a trajectory: params (every
 * hyper-parameter that changes it, including the seed), the contents of
 * the matrices mats[0..n_mats) (each may be NULL) and of label and split
 * (n_label entries; may be NULL).  Caller g_free()s. */
char *ckpt_config_hash(const char *params, const struct kith_csr *const *mats,
                       int n_mats, const int32_t *label,
                       const uint8_t *split, int64_t n_label);

/* Writes a generation into dir: the state st, the curve (of struct
 * kith_train_point) and the items.  KITH_ERROR_IO on failure (dir and
 * dir.old are then left as they were). */
gboolean ckpt_write(const char *dir, const char *model,
                    const char *config_hash, const struct train_state *st,
                    const GArray *curve, const struct ckpt_items *it,
                    GError **error);

/* A generation picked for resuming. */
struct ckpt_gen {
	char *dir;              /* DIR or DIR.old */
	int generation;         /* 0: DIR, 1: DIR.old */
	JsonNode *root;         /* its state.json */
};
void ckpt_gen_clear(struct ckpt_gen *g);

/* Picks the newest valid generation of dir (dir, else dir.old): its
 * state.json is of this format, version, model and config hash, its
 * state and curve are valid and every array it lists has its checksum
 * and shape.  Returns 1 (g, st and curve filled), 0 when neither folder
 * exists (a fresh start), -1 with error (of the newest generation;
 * KITH_ERROR_CORRUPT for a damaged, foreign or older checkpoint). */
int ckpt_pick(struct ckpt_gen *g, struct train_state *st, GArray *curve,
              const char *dir, const char *model, const char *config_hash,
              GError **error);

/* Restores the items from the picked generation: the arrays and counters
 * it lists must be exactly it's (names and shapes).  KITH_ERROR_CORRUPT
 * otherwise, KITH_ERROR_IO. */
gboolean ckpt_load(const struct ckpt_gen *g, const struct ckpt_items *it,
                   GError **error);

/* ---- the driver (train.c) ------------------------------------------------ */

/* One validation. */
struct train_val {
	double score;           /* picks the epoch, higher is better; < 0:
	                           no validation data (every epoch is kept) */
	double score2;          /* reported beside it (-1: none) */
	double loss;            /* lower wins at an equal score; NAN: none */
};

/* How a run ended, for the model's finish hook. */
struct train_outcome {
	int phase;              /* phase reached */
	int epoch;              /* epochs finished in it */
	gboolean refit_done;    /* the refit phase ran to its end */
	gboolean have_best;     /* a best state was kept */
	gboolean resumed;
	gboolean interrupted;
	const char *stop_reason;
	struct train_val best;
};

struct train_hooks {
	const char *model;      /* the checkpoint's model name */
	/* Sets up phase 0 (selection) or 1 (refit on all data): its data,
	 * buffers and start (not needed when resuming: the checkpoint
	 * overwrites it).  Called once per phase. */
	gboolean (*setup)(void *m, int phase, gboolean resuming,
	                  GError **error);
	/* Optimisation steps per epoch of the current phase (>= 1); NULL:
	 * one (full batch). */
	int (*steps)(void *m);
	/* Before each epoch: the learning rate times lr_scale; may be NULL
	 * when lr_decay is 1. */
	void (*epoch_begin)(void *m, int phase, int epoch, double lr_scale);
	/* Step `step` (0-based) of `steps` of epoch `epoch` (1-based): its
	 * mean loss and the number of samples it averaged. */
	gboolean (*step)(void *m, int phase, int epoch, int step, int steps,
	                 double *loss, int64_t *weight, GError **error);
	/* Validation of the current state (phase 0). */
	gboolean (*validate)(void *m, int epoch, struct train_val *v,
	                     GError **error);
	/* Keeps the state just validated as the best one. */
	void (*keep_best)(void *m);
	/* The arrays and counters of the current phase's state. */
	void (*items)(void *m, struct ckpt_items *it);
	/* The output, once training ends (also after an interrupt). */
	gboolean (*finish)(void *m, const struct train_outcome *o,
	                   struct kith_train_report *rep, GError **error);
};

struct train_config {
	int max_epochs;         /* of the selection phase */
	int eval_every;         /* epochs between validations */
	int patience;           /* validations without gain before a stop */
	double lr_decay;        /* factor after each validation without gain
	                           (replayed by the refit), 1: off */
	gboolean validate;      /* phase 0 validates */
	gboolean refit;         /* phase 1 retrains for best_epoch epochs */
	double time_limit;      /* seconds, 0: none */
	const char *checkpoint_dir;   /* NULL: no checkpoints */
	int checkpoint_every;
	double checkpoint_seconds;
	gboolean resume;
	const char *config_hash;      /* when checkpoint_dir is set */
	kith_epoch_fn on_epoch;
	void *on_epoch_data;
	/* TRUE: the model trains over the ranks of an MPI job (every rank
	 * calls train_run()).  Decisions hanging on a clock or a signal are
	 * then agreed by all ranks at every step (interrupt, timed
	 * checkpoint) and epoch (time limit), every rank reads the
	 * checkpoint folder on --resume (and must find the same), the
	 * items must be split (ckpt_split()), and the bytes of every step
	 * are counted into the report (bytes_steps; the model adds its
	 * formula bytes and batch halo rows, the driver its 16 bytes per
	 * rank of agreement). */
	gboolean dist;
};

/* c from a model's training options o: max_epochs and patience (def_epochs
 * and def_patience when 0), the time limit, checkpoints, the callback;
 * eval_every 1, lr_decay 1, validate TRUE, refit FALSE, no config hash. */
void train_config_init(struct train_config *c,
                       const struct kith_train_options *o, int def_epochs,
                       int def_patience);

/* KITH_ERROR_USAGE when o is invalid (negative counts or intervals,
 * checkpoints without a folder). */
gboolean train_options_check(const struct kith_train_options *o,
                             GError **error);

/* The members "curve", "training" and "timings" of a model folder's
 * manifest from rep.  Curve points hold epoch, loss, val and val2 (when
 * validated; under the keys val_key and val2_key, val2 omitted when
 * val2_key is NULL) and seconds; with phases (a model with a refit) also
 * their phase ("select" or "refit"), "training" the refit epochs and the
 * validation split's users and pairs, "timings" the validation time. */
void train_report_to_json(JsonBuilder *b, const struct kith_train_report *rep,
                          const char *val_key, const char *val2_key,
                          gboolean phases);
/* The member "mpi" of a distributed run (rep->ranks > 0): ranks,
 * row_bounds, halo_rows, steps, batch_halo_rows, bytes_steps and
 * bytes_steps_formula (all ranks, the steps of this run), steps_per_epoch,
 * bytes_per_epoch and bytes_per_epoch_formula (those scaled to one epoch)
 * and the formula's text.  Written by train_report_to_json(). */
void train_report_dist_to_json(JsonBuilder *b,
                               const struct kith_train_report *rep);

/* Trains m with the hooks h under c and fills rep (curve, epochs, best
 * epoch, refit epochs, best validation metrics, stop reason, resume
 * fields, max_epochs, patience, eval_every, timings; the model's hooks
 * fill the rest).  After setup of phase 0 (or of the phase resumed),
 * epochs of `steps` steps run until max_epochs, early stopping, the time
 * limit or an interrupt; every eval_every epochs (and at the last) the
 * state is validated.  With refit and a best epoch, phase 1 then trains
 * best_epoch epochs on all data.  The finish hook runs in every case that
 * reaches training.  Errors: the hooks', checkpoint errors (KITH_ERROR_IO
 * / KITH_ERROR_CORRUPT), KITH_ERROR_INTERRUPTED after SIGINT/SIGTERM
 * (after the finish hook and, with a checkpoint folder, a checkpoint of
 * the step or epoch reached). */
gboolean train_run(const struct train_hooks *h, void *m,
                   const struct train_config *c,
                   struct kith_train_report *rep, GError **error);

#endif
