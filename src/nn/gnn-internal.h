/*
 * Internals shared by the GCN (gcn.c) and GraphSAGE (sage.c) trainers:
 * dense helpers over OpenBLAS, Glorot initialisation, the held-out edge
 * split used for link-prediction model selection, and the per-epoch
 * bookkeeping of struct kith_train_report.  Implemented in gnn-common.c.
 */
#ifndef KITH_NN_GNN_INTERNAL_H
#define KITH_NN_GNN_INTERNAL_H

#include <glib.h>
#include <stdint.h>

#include "kith/core.h"
#include "kith/csr.h"
#include "kith/models.h"

/* Element-wise loops shorter than this run on one thread: waking the
 * team costs more than the work (and much more on a loaded machine). */
#define PAR_MIN (1 << 18)

/* OpenBLAS's own prototype; cblas.h of some builds lacks it. */
void openblas_set_num_threads(int num_threads);

/* One BLAS thread for GEMMs of fewer than 2^26 flops (n x h x c), else
 * kith_get_threads(): a pool would compete with the OpenMP team. */
void gnn_blas_threads(int64_t n, int h, int c);

/* C (m x n) = op(A) · op(B) + beta C, row-major, one OpenBLAS call. */
void gnn_gemm(gboolean ta, gboolean tb, int64_t m, int64_t n, int64_t k,
              const float *A, const float *B, float *C, float beta);

/* Y[i, j] += b[j] for an n x c matrix Y. */
void gnn_add_bias(float *Y, const float *b, int64_t n, int c);

/* Glorot-uniform init of a fan_in x fan_out matrix, in row order from r. */
void gnn_glorot(float *w, int64_t fan_in, int64_t fan_out,
                struct kith_rng *r);

/* Splits the undirected pairs (a < b) of the symmetric graph A: each is
 * held out with probability ratio (rng stream (seed, stream), in row
 * order) into *va, *vb (*nv pairs; caller g_free()s), the others go both
 * ways into *train (caller clears).  FALSE with error when the CSR cannot
 * be built; the held-out arrays are set even then. */
gboolean gnn_split_edges(struct kith_csr *train, int32_t **va, int32_t **vb,
                         int64_t *nv, const struct kith_csr *A, double ratio,
                         uint64_t seed, uint64_t stream, GError **error);

/* Appends the point of an epoch to r->curve, calls on_epoch (when not
 * NULL) and sets r->epochs_run; seconds are counted from t0. */
void gnn_record_epoch(struct kith_train_report *r, kith_epoch_fn on_epoch,
                      void *on_epoch_data, int epoch, double loss,
                      double score, double t0);

/* TRUE, with r->stop_reason "time-limit", when time_limit > 0 seconds
 * have passed since t0. */
gboolean gnn_out_of_time(struct kith_train_report *r, double time_limit,
                         double t0);

/* TRUE, with r->stop_reason "interrupted", after SIGINT. */
gboolean gnn_stop_interrupted(struct kith_train_report *r);

/* Whether the epoch just finished ends with a checkpoint: every EVERY
 * epochs, once SECONDS of wall time have passed since *last (then *last
 * becomes now), at a stop or at the last epoch; never when both EVERY and
 * SECONDS are 0. */
gboolean gnn_checkpoint_due(int every, double seconds, int epoch,
                            int max_epochs, gboolean stop, double *last);

/* FALSE with KITH_ERROR_INTERRUPTED after SIGINT, else TRUE; the message
 * names the last finished epoch and the checkpoint folder (may be NULL). */
gboolean gnn_check_interrupted(int epoch, const char *checkpoint_dir,
                               GError **error);

/* ---- checkpoints ---------------------------------------------------------
 * A checkpoint folder DIR holds state.json (format, config hash, epoch,
 * best-epoch bookkeeping with its doubles stored bit-exact, Adam step
 * count, curve, and the element count and xxh64 of every array) and one
 * float32 .npy per array (weights, Adam moments, kept best weights).  It
 * is written into DIR.tmp, then DIR (if any) becomes DIR.old (the
 * previous generation, kept) and DIR.tmp becomes DIR: a kill at any
 * moment leaves at least one complete generation. */

/* One array of the training state, written from / restored into data
 * (n floats, borrowed). */
struct gnn_ckpt_array {
	const char *name;       /* file name, e.g. "w1.npy" */
	float *data;
	int64_t n;
};

/* Scalars of the training loop (see kith_gcn_train / kith_sage_train). */
struct gnn_ckpt_state {
	int epoch;              /* epochs finished */
	int best_epoch;
	int since_best;         /* epochs without a better score */
	double best;            /* best validation score so far */
	double best_loss;       /* its validation loss (GCN tie break) */
	int64_t adam_t;         /* Adam steps taken (every optimiser) */
	double elapsed;         /* wall seconds of the run so far */
};

/* After gnn_ckpt_read() found generation GEN: fills the report's resume
 * fields (best_epoch, epochs_run, resumed_epoch, resumed_generation, and
 * stop_reason "early-stop" when st->since_best >= patience) and returns
 * the first epoch still to train (max_epochs + 1 when the run had
 * already stopped early). */
int gnn_ckpt_resume(const struct gnn_ckpt_state *st, int gen, int patience,
                    int max_epochs, struct kith_train_report *report);

/* Lowercase SHA-256 hex of what determines a training trajectory: the
 * model name, params (a caller-built string of every hyper-parameter that
 * changes the trajectory, including the seed) and the contents of A, X
 * (indptr, indices, values), label and split (each may be NULL).  Caller
 * g_free()s. */
char *gnn_config_hash(const char *params, const struct kith_csr *A,
                      const struct kith_csr *X, const int32_t *label,
                      const uint8_t *split, int64_t n_label);

/* Writes a checkpoint generation into dir (see above) with state st, the
 * curve of rep and the arrays.  KITH_ERROR_IO on failure (dir and dir.old
 * are then left as they were). */
gboolean gnn_ckpt_write(const char *dir, const char *format,
                        const char *config_hash,
                        const struct gnn_ckpt_state *st,
                        const struct kith_train_report *rep,
                        const struct gnn_ckpt_array *arr, int n_arr,
                        GError **error);

/* Restores the newest valid generation: dir, else dir.old.  Returns 1
 * when one was restored (st, rep->curve and every array filled;
 * *generation 0 for dir, 1 for dir.old), 0 when neither folder holds a
 * state.json (nothing changed), -1 with error when the generations
 * present are all invalid (error of the newest: KITH_ERROR_CORRUPT for a
 * damaged, truncated or foreign checkpoint; arrays may be partly
 * overwritten). */
int gnn_ckpt_read(const char *dir, const char *format,
                  const char *config_hash, struct gnn_ckpt_state *st,
                  struct kith_train_report *rep,
                  const struct gnn_ckpt_array *arr, int n_arr,
                  int *generation, GError **error);

/* The removal of a checkpoint folder is public: kith_checkpoint_remove()
 * in kith/models.h. */

#endif
