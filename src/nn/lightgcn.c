/*
 * LightGCN (He et al., SIGIR 2020) trained with BPR, fast.
 *
 * Graph.  Nodes are the n users then the m items (N = n + m).  The
 * adjacency A holds every training pair (u, i) in both directions with
 * weight 1 and, when a social weight w > 0 is given, every user-user link
 * as w·(S + Sᵀ)/2.  Â = D^{-1/2} A D^{-1/2} with D the row sums (isolated
 * nodes keep an empty row).  Â is built once: O(nnz log deg).
 *
 * Model.  Ego embeddings E⁰ (N × d) are the only parameters.  The final
 * embeddings are the layer mean
 *     F = (1/(K+1)) Σ_{k=0..K} Âᵏ E⁰,
 * computed by Horner's rule  Y ← E⁰ + Â Y  (K SpMMs).  Scores are
 * s(u, i) = F_u · F_i, and users.npy / items.npy are the rows of F.
 *
 * Loss.  BPR over a batch of B (user, positive, negative) triples:
 *     L = (1/B) Σ softplus(-(s(u,i) - s(u,j)))
 *         + (λ/2B) Σ (|E⁰_u|² + |E⁰_i|² + |E⁰_j|²),
 * users drawn uniformly among users with training items, the positive
 * uniformly from the user's items, negatives uniformly from all items not
 * in the user's training set (rejection sampling), as the reference.  Each
 * draw takes `neg` (8) candidate negatives; with hard negatives (default)
 * only the candidate of highest current score s(u, j) forms the triple
 * (dynamic negative sampling, Zhang et al., SIGIR 2013), otherwise all
 * neg triples count.  Hard negatives carry far more gradient than random
 * ones once the easy items are ranked low, which is what lets a few dozen
 * epochs replace the reference's thousand.
 * Since F is linear in E⁰ and Â is symmetric, ∂L/∂E⁰ = P ∂L/∂F with the
 * same filter P = (1/(K+1)) Σ Âᵏ: the backward pass is K more SpMMs.
 *
 * Why it is fast.  The reference runs about 1000 epochs of 2048-triple
 * batches at learning rate 0.001.  Here each step propagates over the full
 * graph (2K SpMMs of 2·nnz·d flops, OpenMP, no autograd) and
 *   - the batch is scaled with the data: B = ceil(pairs / 16), at least
 *     1024, so an epoch is 16 steps whatever the size (the cost of an
 *     epoch is 32·K SpMMs), with Adam at a 10x larger learning rate
 *     (0.01) than the reference, and hard negatives (above);
 *   - the start is spectral (optional, on by default): the top-d singular
 *     triplets (σ, u, v) of the normalised interaction matrix
 *     R̃ = D_u^{-1/2} R D_i^{-1/2} (kith_svd_op_rows: randomised subspace
 *     iteration, CholeskyQR2 orthonormalisation and a Jacobi eigensolver
 *     of the small projected matrix, with fixed-order dense products) give E⁰_u = c·u·√σ,
 *     E⁰_i = c·v·√σ, scaled so that the rows have the RMS norm of the
 *     reference's N(0, 0.1²) start; [u; v] is an eigenvector of Â, so the
 *     first ranking is already the low-pass (GF-CF / PureSVD-like) one and
 *     BPR only has to refine it;
 *   - training stops early on validation recall (see below).
 *
 * Model selection.  A validation split (val_ratio, default 10 % of each
 * user's pairs, users with one pair keep it, at most val_max_users users)
 * is carved from the training pairs only.  Every eval_every epochs the
 * model ranks all items for the validation users (training items masked,
 * kith_rank_eval), Recall@k decides; training stops after `patience`
 * evaluations without improvement, at max_epochs or at the time limit.
 * Defaults: eval_every 2, patience 5, max_epochs 300; optionally the
 * learning rate is multiplied by lr_decay after each validation without
 * gain (off by default; the refit replays the same schedule).
 * With refit (default) the model is then trained again from a start
 * computed the same way on all pairs for the picked number of epochs, so
 * no data is lost to the validation split; otherwise the best validation
 * state is returned.  The epochs, validation, early stopping, refit and
 * checkpoints are the training driver's (train.c): this file supplies
 * its hooks, and the checkpoint (ego embeddings, Adam moments, best
 * state, plus the driver's curve, phase, epoch and step) makes a resumed
 * run byte-identical to an uninterrupted one.
 *
 * Warm start (kith update).  With init_user/init_item the ego embeddings
 * start from a previous model's rows instead of the spectral start.
 * kith embed keeps the model's own E⁰ (ego_out, the array
 * lightgcn.ego.npy of the embedding folder) and kith update passes it
 * back (init_ego): the old nodes then start exactly where training left
 * them, and the new graph alone moves their propagated rows.  Without it
 * (an older folder) the init rows are the propagated F (users.npy /
 * items.npy), turned into an ego start by LGCN_WARM_ITERS Richardson
 * iterations E ← E + (F − P E) from E = F, i.e. an approximate solution
 * of P E = F: the error on an eigenvector of Â with filter value p
 * shrinks by (1 − p) per iteration, so the smooth components that carry
 * the ranking are recovered first; cost K SpMMs per iteration.  A node
 * new since then starts from the mean of its neighbours' rows (a new
 * user: its old items; a new item: its old users), or the random start
 * without any.  The fine-tuning schedule is the caller's: kith update
 * trains epoch_steps steps (default 8, half an epoch's worth of triples)
 * of one epoch, Adam afresh, and draws a share focus_share (0.25) of each
 * batch among the pairs the batch created (focus_u/focus_i: the new pair
 * is the positive, negatives as usual) or, given focus users instead,
 * among the users whose items changed; the rest of the batch is drawn
 * as usual, which keeps the old pairs in view.  On LastFM and a synth
 * shop (tools/bench-update) four such updates stay within about 2 % of
 * a full retrain's Recall@20 at under a fifth of its time.
 *
 * Cost per epoch: 16 steps × 2K SpMMs over 2·nnz + social entries, plus
 * O(B·neg·d) per step for the loss and O(N·d) for Adam; memory about
 * 7·N·d floats plus Â (12 bytes per entry) plus 20·B·neg bytes of batch.
 * Graphs with fewer than 2^23 entries x width per thread use fewer
 * threads (LGCN_WORK_PER_THREAD).
 * Deterministic: the batch of step t is drawn from the RNG
 * stream (seed, t), the gradient is accumulated in sample order per column
 * block, and kith_spmm / kith_adam_step do not depend on the thread
 * count, and neither the spectral start nor the validation ranking
 * uses OpenBLAS (whose kernels depend on the CPU): the same seed gives
 * the same bytes for any thread count on any CPU with AVX2 and FMA
 * (x86-64-v3: Intel since Haswell, AMD since Zen); an older CPU takes the
 * generic clone of kith_spmm, which rounds differently.
 * Under mpirun (kith_dist_active()) the same hooks train over the ranks,
 * each holding its rows (see "over the ranks of an MPI job" below): the
 * same draws, the same model up to the order of reduced sums.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <string.h>
#include <sys/stat.h>

#include "kith/core.h"
#include "kith/dist.h"
#include "kith/eval.h"
#include "kith/io.h"
#include "kith/memest.h"
#include "kith/models.h"
#include "kith/nn.h"
#include "nn/train-internal.h"

#define LGCN_STEPS_PER_EPOCH 16
#define LGCN_MIN_BATCH 1024
#define LGCN_MAX_BATCH (1 << 22)
#define LGCN_INIT_STD 0.1
#define LGCN_NEG_TRIES 64
#define LGCN_COLBLOCK 16
#define LGCN_MAX_CUTS 16
/* Richardson iterations that turn a warm start's F into an ego start */
#define LGCN_WARM_ITERS 8
/* Entries x width of one propagation per worker thread: below it the
 * fork/join of the ~12 parallel regions of a step costs more than the
 * split saves (and far more on a loaded machine), so small graphs train
 * on fewer threads.  Outputs do not depend on the thread count. */
#define LGCN_WORK_PER_THREAD ((int64_t)1 << 23)

void
kith_lightgcn_params_init(struct kith_lightgcn_params *p)
{
	memset(p, 0, sizeof(*p));
	p->dim = 64;
	p->layers = 3;
	p->l2 = 1e-4;
	p->neg = 8;
	p->seed = 42;
	p->val_ratio = 0.1;
	p->k = 20;
	p->spectral_init = TRUE;
	p->refit = TRUE;
	p->lr_decay = 1.0;
	p->hard_neg = TRUE;
}

void
kith_lightgcn_params_to_json(JsonBuilder *b,
                             const struct kith_lightgcn_params *p,
                             const struct kith_train_report *rep)
{
	json_builder_set_member_name(b, "params");
	json_builder_begin_object(b);
	kith_json_put_int(b, "dim", p->dim);
	kith_json_put_int(b, "layers", p->layers);
	kith_json_put_int(b, "max_epochs", rep->max_epochs);
	kith_json_put_int(b, "batch", rep->batch);
	kith_json_put_double(b, "lr", rep->lr);
	kith_json_put_double(b, "l2", p->l2);
	kith_json_put_int(b, "neg", p->neg);
	kith_json_put_bool(b, "hard_neg", p->hard_neg);
	kith_json_put_double(b, "val_ratio", p->val_ratio);
	kith_json_put_int(b, "eval_every", rep->eval_every);
	kith_json_put_int(b, "patience", rep->patience);
	kith_json_put_int(b, "k", p->k);
	kith_json_put_double(b, "time_limit", p->train.time_limit);
	kith_json_put_double(b, "social_weight", p->social_weight);
	kith_json_put_bool(b, "spectral_init", p->spectral_init);
	kith_json_put_bool(b, "refit", p->refit);
	json_builder_end_object(b);
}

void
kith_lightgcn_params_from_json(struct kith_lightgcn_params *p, JsonObject *o)
{
	p->dim = (int)kith_json_int_or(o, "dim", p->dim);
	p->layers = (int)kith_json_int_or(o, "layers", p->layers);
	p->l2 = kith_json_num_or(o, "l2", p->l2);
	p->neg = (int)kith_json_int_or(o, "neg", p->neg);
	p->hard_neg = kith_json_bool_or(o, "hard_neg", p->hard_neg);
	p->social_weight = kith_json_num_or(o, "social_weight", 0);
}

struct lgcn {
	const struct kith_lightgcn_params *p;
	int d;
	int K;
	int64_t n, m, N;
	struct kith_csr A;        /* Â, N x N */
	const struct kith_csr *R; /* pairs trained on in this phase */
	int64_t *active;          /* users with >= 1 pair */
	int64_t n_active;
	int64_t *focus;           /* focus users with >= 1 pair, or NULL */
	int64_t n_focus;
	int64_t *focus_pairs;     /* indices of focus pairs in R, or NULL */
	int64_t n_focus_pairs;
	int64_t n_pairs;
	int batch;
	float *E0, *F, *G, *T;    /* N x d */
	struct kith_adam adam;
	int32_t *su, *si, *sj;    /* batch * neg triples */
	float *coef;
	double *sloss;
	/* Over the ranks of an MPI job (dist): this rank holds rows
	 * [lo, lo + rows) of Â (as the local CSR of kith_halo_build()) and
	 * of E⁰, F, G, T and Adam's moments; F and G are followed by room
	 * for the batch's halo rows (cap in all), and W, the input of a
	 * layer, holds a copy of the rows and the halo rows of h, the one
	 * array that needs them; the triples are this rank's draws (nbl) in
	 * local row numbers.  One process: lo 0, rows N, no halo, no W. */
	gboolean dist;
	int64_t lo, rows;
	int64_t *bounds;          /* P + 1, the run's (set by the first
	                             phase, kept by the refit); borrowed */
	struct kith_halo h;       /* remote rows Â's owned rows touch */
	struct kith_halo bh;      /* remote item rows of the step's triples */
	int64_t cap;              /* rows of F, G and w */
	float *w;                 /* L2 weight of each row in the step */
	float *W;                 /* rows + h's halo rows, x d */
	int64_t nbl;
};

/* Frees what only training needs (the adjacency, G, T, Adam's moments,
 * the sampled triples); E⁰ and F stay.  lgcn_clear() still works. */
static void
lgcn_release_training(struct lgcn *g)
{
	kith_csr_clear(&g->A);
	g_clear_pointer(&g->G, g_free);
	g_clear_pointer(&g->T, g_free);
	kith_adam_clear(&g->adam);
	g_clear_pointer(&g->su, g_free);
	g_clear_pointer(&g->si, g_free);
	g_clear_pointer(&g->sj, g_free);
	g_clear_pointer(&g->coef, g_free);
	g_clear_pointer(&g->sloss, g_free);
	g_clear_pointer(&g->w, g_free);
	g_clear_pointer(&g->W, g_free);
	kith_halo_clear(&g->h);
	kith_halo_clear(&g->bh);
}

static void
lgcn_clear(struct lgcn *g)
{
	kith_csr_clear(&g->A);
	g_free(g->active);
	g_free(g->focus);
	g_free(g->focus_pairs);
	g_free(g->E0);
	g_free(g->F);
	g_free(g->G);
	g_free(g->T);
	g_free(g->W);
	kith_adam_clear(&g->adam);
	g_free(g->su);
	g_free(g->si);
	g_free(g->sj);
	g_free(g->coef);
	g_free(g->sloss);
	g_free(g->w);
	kith_halo_clear(&g->h);
	kith_halo_clear(&g->bh);
	memset(g, 0, sizeof(*g));
}

/* The entries of every row of Â before duplicates merge (pairs, plus
 * the links of S in both directions without self-loops) into len[0..N),
 * and 1/sqrt of the row sums of A into deg (0 for an empty row): the
 * values of Â's rows, without building Â (two f = w/2 for a link stored
 * both ways add up exactly, and so do the row sums in any order).
 * O(n + m + nnz). */
static void
adjacency_rows_sums(int64_t *len, double *deg, const struct kith_csr *R,
                    const struct kith_csr *S, double w)
{
	int64_t N = R->n_rows + R->n_cols;

	kith_csr_bipartite_rows(len, deg, R, S, w);
	for (int64_t r = 0; r < N; r++)
		deg[r] = deg[r] > 0 ? 1.0 / sqrt(deg[r]) : 0.0;
}

/* Rows [lo, hi) of Â (columns global) without the other rows: the
 * users' pairs and links, the links into them (one pass over S) and the
 * items' users (one pass over R); len and deg from
 * adjacency_rows_sums().  O(nnz log deg) for the rows made. */
static gboolean
adjacency_rows(struct kith_csr *out, int64_t lo, int64_t hi,
               const struct kith_csr *R, const struct kith_csr *S, double w,
               const int64_t *len, const double *deg, GError **error)
{
	int64_t n = R->n_rows, N = n + R->n_cols, e = 0, ne = 0;
	float f = (float)(w / 2);
	gboolean social = S && w > 0, ok = FALSE;

	for (int64_t r = lo; r < hi; r++)
		ne += len[r];
	int32_t *rows = kith_alloc_n(ne + 1, sizeof(int32_t), error);
	int32_t *cols = rows ? kith_alloc_n(ne + 1, sizeof(int32_t), error)
	                     : NULL;
	float *vals = cols ? kith_alloc_n(ne + 1, sizeof(float), error) : NULL;
	if (!vals)
		goto out;
	for (int64_t u = 0; u < n; u++) {
		gboolean own_u = u >= lo && u < hi;
		for (int64_t k = R->indptr[u]; k < R->indptr[u + 1]; k++) {
			int64_t i = n + R->indices[k];
			if (own_u) {
				rows[e] = (int32_t)(u - lo); cols[e] = (int32_t)i;
				vals[e++] = 1.0f;
			}
			if (i >= lo && i < hi) {
				rows[e] = (int32_t)(i - lo); cols[e] = (int32_t)u;
				vals[e++] = 1.0f;
			}
		}
		for (int64_t k = social ? S->indptr[u] : 0;
		     social && k < S->indptr[u + 1]; k++) {
			int32_t v = S->indices[k];
			if (v == u)
				continue;
			if (own_u) {
				rows[e] = (int32_t)(u - lo); cols[e] = v;
				vals[e++] = f;
			}
			if (v >= lo && v < hi) {
				rows[e] = (int32_t)(v - lo); cols[e] = (int32_t)u;
				vals[e++] = f;
			}
		}
	}
	if (!kith_csr_from_coo(out, hi - lo, N, e, rows, cols, vals, error))
		goto out;
#pragma omp parallel for schedule(static)
	for (int64_t r = 0; r < hi - lo; r++)
		for (int64_t k = out->indptr[r]; k < out->indptr[r + 1]; k++)
			out->values[k] = (float)(out->values[k] * deg[lo + r] *
			                         deg[out->indices[k]]);
	ok = TRUE;
out:
	g_free(rows);
	g_free(cols);
	g_free(vals);
	return ok;
}

/* The sizes Â may have: N and its entries in int32 indices. */
static gboolean
adjacency_fits(const struct kith_csr *R, const struct kith_csr *S, double w,
               GError **error)
{
	int64_t N = R->n_rows + R->n_cols;
	int64_t nnz = 2 * R->nnz + 2 * ((S && w > 0) ? S->nnz : 0);

	if (N > INT32_MAX || nnz > (int64_t)INT32_MAX * 8) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_LIMIT,
		            "graph too large for lightgcn (%" G_GINT64_FORMAT
		            " nodes)", N);
		return FALSE;
	}
	return TRUE;
}

/* Â of the bipartite graph of R plus w·(S + Sᵀ)/2 (S may be NULL). */
static gboolean
build_adjacency(struct kith_csr *out, const struct kith_csr *R,
                const struct kith_csr *S, double w, GError **error)
{
	int64_t N = R->n_rows + R->n_cols;
	g_autofree int64_t *len = kith_alloc_n(N + 1, sizeof(int64_t), error);
	g_autofree double *deg = len ? kith_alloc_n(N, sizeof(double), error)
	                             : NULL;

	if (!deg)
		return FALSE;
	adjacency_rows_sums(len, deg, R, S, w);
	return adjacency_rows(out, 0, N, R, S, w, len, deg, error);
}

/* out = (1/(K+1)) Σ_{k=0..K} Âᵏ X by Horner's rule; tmp is scratch.
 * Over the ranks of an MPI job: the owned rows, each layer's input
 * copied to W and completed there by a halo exchange (so that only W
 * has room for the halo rows). */
static gboolean
propagate_mean(const struct lgcn *g, float *out, float *X, float *tmp,
               GError **error)
{
	size_t nd = (size_t)g->rows * g->d;
	float *cur = X;
	float s = 1.0f / (float)(g->K + 1);

	if (g->K == 0) {
		memcpy(out, X, nd * sizeof(float));
		return TRUE;
	}
	for (int t = 1; t <= g->K; t++) {
		float *dst = ((g->K - t) % 2 == 0) ? out : tmp;
		memcpy(dst, X, nd * sizeof(float));
		if (g->dist) {
			memcpy(g->W, cur, nd * sizeof(float));
			if (!kith_halo_exchange(&g->h, g->W, g->d,
			                        sizeof(float), NULL, error))
				return FALSE;
		}
		kith_spmm_axpby(dst, 1.0f, &g->A, 1.0f, g->dist ? g->W : cur,
		                g->d);
		cur = dst;
	}
#pragma omp parallel for simd schedule(static)
	for (size_t i = 0; i < nd; i++)
		out[i] *= s;
	return TRUE;
}

static gboolean
row_has(const struct kith_csr *R, int64_t u, int32_t j)
{
	const int32_t *a = R->indices + R->indptr[u];
	int64_t lo = 0, hi = R->indptr[u + 1] - R->indptr[u];
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if (a[mid] < j)
			lo = mid + 1;
		else if (a[mid] > j)
			hi = mid;
		else
			return TRUE;
	}
	return FALSE;
}

/* The neg triples of user u with positive i (< 0: drawn uniformly from
 * u's items) at s0.. of the triple arrays, in global rows. */
static void
draw_triples(struct lgcn *g, struct kith_rng *rng, int64_t u, int32_t i,
             int64_t s0)
{
	const struct kith_csr *R = g->R;
	int neg = g->p->neg;

	if (i < 0) {
		int64_t a = R->indptr[u], deg = R->indptr[u + 1] - a;
		i = R->indices[a + (int64_t)kith_rng_below(rng, (uint64_t)deg)];
	}
	for (int q = 0; q < neg; q++) {
		int32_t j = 0;
		for (int t = 0; t < LGCN_NEG_TRIES; t++) {
			j = (int32_t)kith_rng_below(rng, (uint64_t)g->m);
			if (!row_has(R, u, j))
				break;
		}
		g->su[s0 + q] = (int32_t)u;
		g->si[s0 + q] = (int32_t)(g->n + i);
		g->sj[s0 + q] = (int32_t)(g->n + j);
	}
}

/* Draws the triples of one step from the stream (seed, stream); returns
 * the draws kept (all but over the ranks). */
static int64_t
sample_batch(struct lgcn *g, uint64_t stream, int nb)
{
	struct kith_rng rng;
	int neg = g->p->neg;
	int64_t at = 0;

	kith_rng_seed(&rng, g->p->seed, stream);
	for (int b = 0; b < nb; b++) {
		int64_t u;
		int32_t i = -1;
		gboolean focus = (g->n_focus > 0 || g->n_focus_pairs > 0) &&
		    kith_rng_uniform(&rng) < g->p->focus_share;
		if (focus && g->n_focus_pairs > 0) {
			int64_t k = g->focus_pairs[kith_rng_below(&rng,
			                   (uint64_t)g->n_focus_pairs)];
			u = g->p->focus_u[k];
			i = g->p->focus_i[k];
		} else if (focus) {
			u = g->focus[kith_rng_below(&rng,
			                            (uint64_t)g->n_focus)];
		} else {
			u = g->active[kith_rng_below(&rng,
			                             (uint64_t)g->n_active)];
		}
		/* over the ranks only the draws of this rank's users are
		 * kept (in order; the others are drawn, to follow the one
		 * stream, and written over) */
		draw_triples(g, &rng, u, i, at * neg);
		if (!g->dist || (u >= g->lo && u < g->lo + g->rows))
			at++;
	}
	return at;
}

static inline float
dotf(const float *a, const float *b, int d)
{
	float s = 0.0f;
#pragma omp simd reduction(+:s)
	for (int j = 0; j < d; j++)
		s += a[j] * b[j];
	return s;
}

/* ∂L/∂F of the triples of draw b on columns j0..j0+w-1, added into G
 * (a user and its positive are shared by the neg triples of one draw;
 * negatives are item rows, never the user's row). */
static inline void
grad_draw(const struct lgcn *g, float *restrict G, const float *restrict F,
          int64_t b, int j0, int w)
{
	const int d = g->d, neg = g->p->neg;
	const int64_t s0 = b * neg;
	const int64_t ou = (int64_t)g->su[s0] * d + j0;
	const int64_t oi = (int64_t)g->si[s0] * d + j0;
	float csum = 0.0f;

	for (int q = 0; q < neg; q++) {
		const float c = g->coef[s0 + q];
		const int64_t oj = (int64_t)g->sj[s0 + q] * d + j0;
		if (c == 0.0f)
			continue; /* not the hard one */
		csum += c;
#pragma omp simd
		for (int j = 0; j < w; j++) {
			G[ou + j] += c * (F[oi + j] - F[oj + j]);
			G[oj + j] -= c * F[ou + j];
		}
	}
#pragma omp simd
	for (int j = 0; j < w; j++)
		G[oi + j] += csum * F[ou + j];
}

/* The L2 term λ/B·E⁰ of the rows of draw b's triples on columns
 * j0..j0+w-1, added into H (l2 = λ/B per triple). */
static inline void
l2_draw(const struct lgcn *g, float *restrict H, const float *restrict E,
        int64_t b, int j0, int w, float l2)
{
	const int d = g->d, neg = g->p->neg;
	const int64_t s0 = b * neg;
	const int64_t ou = (int64_t)g->su[s0] * d + j0;
	const int64_t oi = (int64_t)g->si[s0] * d + j0;
	const float l2n = l2 * (float)neg;

#pragma omp simd
	for (int j = 0; j < w; j++) {
		H[ou + j] += l2n * E[ou + j];
		H[oi + j] += l2n * E[oi + j];
	}
	for (int q = 0; q < neg; q++) {
		const int64_t oj = (int64_t)g->sj[s0 + q] * d + j0;
		const float l2j = !g->p->hard_neg ? l2 :
		    g->sloss[s0 + q] >= 0 ? l2n : 0.0f;
		if (l2j == 0.0f)
			continue;
#pragma omp simd
		for (int j = 0; j < w; j++)
			H[oj + j] += l2j * E[oj + j];
	}
}

/* A pass over the nb draws of a batch, column block by column block: one
 * thread per block, the draws in sample order (so the sums do not depend
 * on the thread count); the gradient of the loss from F, or with l2_term
 * the L2 term from E⁰, added into out. */
static void
triples_pass(const struct lgcn *g, int64_t nb, gboolean l2_term,
             float *restrict out, const float *restrict in, float l2)
{
	const int d = g->d;
	const int nblk = (d + LGCN_COLBLOCK - 1) / LGCN_COLBLOCK;

#pragma omp parallel for schedule(static)
	for (int cb = 0; cb < nblk; cb++) {
		const int j0 = cb * LGCN_COLBLOCK;
		const int w = MIN(d, j0 + LGCN_COLBLOCK) - j0;
		for (int64_t b = 0; b < nb; b++) {
			if (l2_term)
				l2_draw(g, out, in, b, j0, w, l2);
			else
				grad_draw(g, out, in, b, j0, w);
		}
	}
}

/* The scores of the nb draws' triples from F: their losses (sloss, -1
 * for a candidate that is not the hard negative) and coefficients of
 * ∂L/∂s (coef, with 1/ns = inv); returns the sum of the losses. */
static double
score_triples(struct lgcn *g, int64_t nb, float inv)
{
	int d = g->d;
	int64_t ns = nb * g->p->neg;

#pragma omp parallel for schedule(static)
	for (int64_t b = 0; b < nb; b++) {
		const int64_t s0 = b * g->p->neg;
		const float *fu = g->F + (int64_t)g->su[s0] * d;
		const float xi = dotf(fu, g->F + (int64_t)g->si[s0] * d, d);
		int qmin = 0;
		float xmin = INFINITY;
		for (int q = 0; q < g->p->neg; q++) {
			float x = xi - dotf(fu, g->F +
			                    (int64_t)g->sj[s0 + q] * d, d);
			/* softplus(-x) and its derivative -sigmoid(-x) */
			double l = x > 0 ? log1p(exp(-x)) : -x + log1p(exp(x));
			g->sloss[s0 + q] = l;
			g->coef[s0 + q] = -inv / (1.0f + expf(x));
			if (x < xmin) {
				xmin = x;
				qmin = q;
			}
		}
		if (g->p->hard_neg) {
			/* only the highest-scored negative of the draw */
			for (int q = 0; q < g->p->neg; q++) {
				if (q == qmin) {
					g->coef[s0 + q] *= g->p->neg;
				} else {
					g->coef[s0 + q] = 0.0f;
					g->sloss[s0 + q] = -1.0;
				}
			}
		}
	}
	double loss = 0;
	for (int64_t s = 0; s < ns; s++)
		if (g->sloss[s] >= 0)
			loss += g->sloss[s];
	return loss;
}

/* One BPR step on nb users (nb·neg triples); returns the mean loss. */
static double
train_step(struct lgcn *g, uint64_t stream, int nb)
{
	int64_t ns = (int64_t)nb * g->p->neg;
	size_t nd = (size_t)g->N * g->d;
	float inv = 1.0f / (float)ns;
	float l2 = (float)g->p->l2 * inv;

	(void)sample_batch(g, stream, nb);
	propagate_mean(g, g->F, g->E0, g->T, NULL);
	double loss = score_triples(g, nb, inv);
	if (g->p->hard_neg)
		ns = nb;

	/* ∂L/∂F into G, then ∂L/∂E⁰ = P ∂L/∂F (Â symmetric) into F (free
	 * now), plus the L2 term λ/B·E⁰ for every row of every triple */
	memset(g->G, 0, nd * sizeof(float));
	triples_pass(g, nb, FALSE, g->G, g->F, l2);
	propagate_mean(g, g->F, g->G, g->T, NULL);
	triples_pass(g, nb, TRUE, g->F, g->E0, l2);
	kith_adam_step(&g->adam, g->E0, g->F);
	return loss / (double)ns;
}

/* ---- spectral start ---------------------------------------------------- */

/* The operator R̃ on users u0..u1 for kith_svd_op_rows(): its rows are
 * one process's, and the transposed product, this rank's users' partial
 * sum, is completed by a sum over the ranks (on one rank, nothing). */
struct spec_op {
	struct kith_csr Rn, Rt;
};

static gboolean
spec_apply(void *ctx, float *out, const float *in, int l, gboolean transpose,
           GError **error)
{
	struct spec_op *o = ctx;

	if (!transpose) {
		kith_spmm(out, &o->Rn, in, l);
		return TRUE;
	}
	kith_spmm(out, &o->Rt, in, l);
	return kith_dist_allreduce_f32(out, (size_t)o->Rt.n_rows * l, error);
}

/* E⁰ from the top-d singular triplets of R̃ (see the banner): the
 * deterministic truncated SVD of src/nn/svd.c writes u into U (the rows
 * of users u0..u1) and v into V (all m items), then each column is scaled
 * by √σ·c.  One process passes all users; over the ranks each rank its
 * own (kith_svd_op_rows(): the item side is whole on every rank, the
 * user side split), and P ranks give one process's start up to the
 * order of the sums over users. */
static gboolean
spectral_init(struct lgcn *g, float *U, float *V, int64_t u0, int64_t u1,
              GError **error)
{
	const struct kith_csr *R = g->R;
	int64_t n = g->n, m = g->m, nl = u1 - u0, e0 = R->indptr[u0];
	int d = g->d;
	gboolean ok = FALSE;
	struct spec_op o = { 0 };
	double sigma[d];

	if (MIN(n, m) < d) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "spectral start needs at least %d users and items",
		            d);
		return FALSE;
	}
	/* R̃ = D_u^{-1/2} R D_i^{-1/2} on the rows u0..u1, and its
	 * transpose; the item degrees count every user's pairs */
	ok = kith_csr_alloc(&o.Rn, nl, m, R->indptr[u1] - e0, TRUE, error);
	if (ok) {
		for (int64_t u = 0; u <= nl; u++)
			o.Rn.indptr[u] = R->indptr[u0 + u] - e0;
		memcpy(o.Rn.indices, R->indices + e0,
		       (size_t)o.Rn.nnz * sizeof(int32_t));
	}
	{
		g_autofree double *di = ok ? kith_alloc0_n(MAX(m, 1),
		                                           sizeof(double),
		                                           error) : NULL;
		ok = di != NULL;
		if (ok) {
			for (int64_t k = 0; k < R->nnz; k++)
				di[R->indices[k]] += 1;
			for (int64_t u = 0; u < nl; u++) {
				int64_t du = o.Rn.indptr[u + 1] -
				             o.Rn.indptr[u];
				for (int64_t k = o.Rn.indptr[u];
				     k < o.Rn.indptr[u + 1]; k++)
					o.Rn.values[k] = (float)(1.0 /
					    sqrt((double)du * di[o.Rn.indices[k]]));
			}
		}
	}
	ok = ok && kith_csr_transpose(&o.Rt, &o.Rn, error);
	/* one process: the bytes of kith_svd_sparse() of R̃ */
	ok = kith_dist_all_ok(ok, error) &&
	     kith_svd_op_rows(U, sigma, V, n, nl, m, spec_apply, &o, NULL, d,
	                      MIN(d, 16), 4, g->p->seed, error);
	if (ok) {
		/* row norms of [u√σ] have mean square Σσ/n: scale so that the
		 * mean square norm over all N rows is d·std² */
		double ss = 0;
		for (int c = 0; c < d; c++)
			ss += sigma[c];
		double tot = 2 * ss;  /* Σ_rows |u_r|²σ + |v_r|²σ summed */
		double scale = sqrt((double)g->N * d * LGCN_INIT_STD *
		                    LGCN_INIT_STD / MAX(tot, 1e-30));
		float col[d];
		for (int c = 0; c < d; c++)
			col[c] = (float)(sqrt(sigma[c]) * scale);
#pragma omp parallel for schedule(static)
		for (int64_t r = 0; r < nl + m; r++) {
			float *x = r < nl ? U + r * d : V + (r - nl) * d;
			for (int c = 0; c < d; c++)
				x[c] *= col[c];
		}
	}
	kith_csr_clear(&o.Rn);
	kith_csr_clear(&o.Rt);
	return ok;
}

/* Rows r0 .. r1 - 1 of E⁰ from N(0, LGCN_INIT_STD²), one random stream
 * per row (so a row's values do not depend on which rows are drawn);
 * global rows, written at r - lo. */
static void
random_rows(struct lgcn *g, int64_t r0, int64_t r1)
{
	int d = g->d;
	float *E = g->E0 - g->lo * d;
#pragma omp parallel for schedule(static)
	for (int64_t r = r0; r < r1; r++) {
		struct kith_rng rng;
		kith_rng_seed(&rng, g->p->seed, ((uint64_t)1 << 61) + r);
		for (int j = 0; j < d; j++)
			E[r * d + j] = (float)(LGCN_INIT_STD *
			                       kith_rng_normal(&rng));
	}
}

/* Warm start: E⁰ rows from the init arrays; a new node (beyond the init
 * counts) gets the mean of its neighbours' init rows, or the random
 * start without any.  O((N + nnz) d). */
static void
warm_init(struct lgcn *g)
{
	const struct kith_lightgcn_params *p = g->p;
	const struct kith_csr *R = g->R;
	int d = g->d;
	int64_t iu = MIN(p->init_users, g->n), ii = MIN(p->init_items, g->m);

	/* every row has its own stream: only the rows without an init row
	 * need drawing */
	random_rows(g, iu, g->n);
	random_rows(g, g->n + ii, g->N);
	if (iu > 0)
		memcpy(g->E0, p->init_user, (size_t)iu * d * sizeof(float));
	if (ii > 0 && p->init_item)
		memcpy(g->E0 + (size_t)g->n * d, p->init_item,
		       (size_t)ii * d * sizeof(float));
	/* new users: mean over their items that have an init row */
#pragma omp parallel for schedule(dynamic, 64)
	for (int64_t u = iu; u < g->n; u++) {
		float *out = g->E0 + (size_t)u * d;
		int64_t c = 0;
		for (int64_t k = R->indptr[u]; k < R->indptr[u + 1]; k++)
			if (R->indices[k] < ii)
				c++;
		if (c == 0)
			continue;
		memset(out, 0, (size_t)d * sizeof(float));
		for (int64_t k = R->indptr[u]; k < R->indptr[u + 1]; k++) {
			int64_t i = R->indices[k];
			if (i >= ii)
				continue;
			const float *x = p->init_item + (size_t)i * d;
			for (int j = 0; j < d; j++)
				out[j] += x[j] / (float)c;
		}
	}
	if (ii >= g->m)
		return;
	/* new items: mean over their users that have an init row (the
	 * columns of R, gathered by one pass over the rows) */
	int64_t nn = g->m - ii;
	int64_t *cnt = g_new0(int64_t, nn);
	float *acc = g_new0(float, (size_t)nn * d);
	for (int64_t u = 0; u < iu; u++)
		for (int64_t k = R->indptr[u]; k < R->indptr[u + 1]; k++) {
			int64_t i = R->indices[k];
			if (i < ii)
				continue;
			cnt[i - ii]++;
			const float *x = p->init_user + (size_t)u * d;
			float *a = acc + (size_t)(i - ii) * d;
			for (int j = 0; j < d; j++)
				a[j] += x[j];
		}
	for (int64_t x = 0; x < nn; x++) {
		if (cnt[x] == 0)
			continue;
		float *out = g->E0 + (size_t)(g->n + ii + x) * d;
		for (int j = 0; j < d; j++)
			out[j] = acc[(size_t)x * d + j] / (float)cnt[x];
	}
	g_free(cnt);
	g_free(acc);
	if (p->init_ego)
		return;
	/* The init rows are propagated embeddings F (users.npy/items.npy),
	 * the ego start wanted is E with P E = F: Richardson iterations
	 * E <- E + (F - P E) from E = F (error factor (1 - p(λ)) per
	 * iteration on an eigenvector of Â with filter value p(λ), so the
	 * smooth components that carry the ranking are recovered first). */
	size_t nd = (size_t)g->N * d;
	memcpy(g->G, g->E0, nd * sizeof(float));
	for (int it = 0; it < LGCN_WARM_ITERS && g->K > 0; it++) {
		propagate_mean(g, g->F, g->E0, g->T, NULL);
#pragma omp parallel for schedule(static)
		for (size_t x = 0; x < nd; x++)
			g->E0[x] += g->G[x] - g->F[x];
	}
}

/* ---- over the ranks of an MPI job ----------------------------------------
 * Rank r holds rows [bounds[r], bounds[r+1]) of Â (users then items, cut
 * by kith_dist_partition() on the rows' bytes, kith_lightgcn_row_weight():
 * a row of 7 arrays of d floats weighs as much as 3.5 d entries, so the
 * ranks hold about equal memory; items, with many more entries than
 * users, leave the rank that holds them more entries to multiply) and of
 * every N x d array.  A step:
 *   1. draws: every rank draws the whole batch of the step from the
 *      stream of one process (seed, step) and keeps the draws of its
 *      users, in order: the triples are one process's whatever P, at
 *      the cost of O(B neg log deg) sampling on every rank;
 *   2. F = P E⁰ on the owned rows, each of the K layers after a halo
 *      exchange of the H remote rows Â's owned rows touch;
 *   3. the Hb remote item rows of the kept triples are fetched (a halo
 *      built per step), the triples scored, the loss summed (Allreduce);
 *   4. ∂L/∂F of the triples into G, its halo rows sent back and summed
 *      into their owners' rows (kith_halo_reduce_f32(), a fixed order),
 *      likewise each row's L2 weight; ∂L/∂E⁰ = P G + w E⁰ (K more
 *      exchanges); Adam on the owned rows.
 * The sums of step 4 over ranks run in another order than one process's
 * (P ranks agree with one to rounding).  Bytes per step over all ranks:
 *   8 K d H + (8 d + 8) Hb + 8 P (P + 6)  (0 on one rank):
 * 4 d bytes a halo row and layer forward and backward, 4 + 4 d + 4 d + 4
 * a batch row (its id, its row, its gradient, its L2 weight), and per
 * rank 4 agreements (32) and the counts (8 (P - 1)) of the batch halo,
 * the loss (8) and the driver's agreement on stops (16).
 * Â's owned rows are built alone (adjacency_rows(): one pass over R and
 * S on every rank, N row lengths and degrees), never the whole matrix.
 * Memory per rank: the owned rows of Â, 7 x rows x d floats (E⁰, T,
 * Adam's moments, F, G, W), the halo's rows once (in W; F and G also the
 * batch's); the spectral start (spectral_init()) splits the users over
 * the ranks as the rows do and keeps the item side (m x (2 d + 16)
 * floats) whole on every rank, the sums over users completed by
 * Allreduce: 4 passes of m x (d + 16) floats and two l x l Gram
 * matrices, not counted in the bytes per epoch; validation gathers the
 * items' rows on every rank (m x d floats); rank 0 gathers the output.
 * kith_memest_lightgcn_ranks() (memest.c) estimates each rank's peak from
 * these terms. */

/* This rank's rows of Â with their halo: the run's partition (made by
 * the first phase on its row lengths, kept by the refit), the owned rows
 * built alone (adjacency_rows()). */
static gboolean
dist_rows(struct lgcn *g, const struct kith_csr *R, const struct kith_csr *S,
          GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	int64_t N = g->N;
	double w = g->p->social_weight;
	struct kith_csr own = { 0 };
	g_autofree int64_t *len = kith_alloc_n(N + 1, sizeof(int64_t), error);
	g_autofree double *deg = len ? kith_alloc_n(N, sizeof(double), error)
	                             : NULL;

	if (!kith_dist_all_ok(deg != NULL, error))
		return FALSE;
	adjacency_rows_sums(len, deg, R, S, w);
	if (g->bounds[P] == 0) {
		/* by bytes, not by entries: see kith_lightgcn_row_weight() */
		g_autofree int64_t *ip = g_new(int64_t, N + 1);
		ip[0] = 0;
		for (int64_t r = 0; r < N; r++)
			ip[r + 1] = ip[r] +
			            kith_lightgcn_row_weight(len[r], g->d);
		kith_dist_partition(g->bounds, ip, N, P);
	}
	g->lo = g->bounds[me];
	g->rows = g->bounds[me + 1] - g->lo;
	gboolean ok = adjacency_rows(&own, g->lo, g->lo + g->rows, R, S, w, len,
	                             deg, error);
	if (!kith_dist_all_ok(ok, error))
		return FALSE;
	ok = kith_halo_build(&g->h, &g->A, &own, g->lo, N, g->bounds, error);
	kith_csr_clear(&own);
	g->cap = g->rows;
	g->W = ok ? kith_alloc_n((size_t)(g->rows + g->h.n_halo) * g->d + 1,
	                         sizeof(float), error) : NULL;
	return kith_dist_all_ok(g->W != NULL, error);
}

static gboolean
dist_spectral_init(struct lgcn *g, GError **error)
{
	int64_t n = g->n, d = g->d, hi = g->lo + g->rows;
	int64_t u0 = MIN(g->lo, n), u1 = MIN(hi, n), i0 = MAX(g->lo, n);
	g_autofree float *U = kith_alloc_n((size_t)MAX(u1 - u0, 1),
	                                   (size_t)d * sizeof(float), error);
	g_autofree float *V = U ? kith_alloc_n((size_t)MAX(g->m, 1),
	                                       (size_t)d * sizeof(float),
	                                       error) : NULL;

	if (!kith_dist_all_ok(V != NULL, error) ||
	    !spectral_init(g, U, V, u0, u1, error))
		return FALSE;
	memcpy(g->E0, U, (size_t)(u1 - u0) * d * sizeof(float));
	if (hi > i0)
		memcpy(g->E0 + (size_t)(i0 - g->lo) * d, V + (size_t)(i0 - n) * d,
		       (size_t)(hi - i0) * d * sizeof(float));
	return TRUE;
}

/* The draws of this rank's users among the nb draws of the step: the
 * whole batch of one process (the same stream, so the triples do not
 * depend on P), compacted in order to the draws whose user is owned. */
static void
dist_sample(struct lgcn *g, uint64_t stream, int nb)
{
	g->nbl = sample_batch(g, stream, nb);
}

/* The halo of the step's item rows; the triples in local rows; F, G and
 * w with room for it. */
static gboolean
dist_batch_halo(struct lgcn *g, GError **error)
{
	int neg = g->p->neg, d = g->d;
	int64_t per = 1 + neg, nq = g->nbl * per;
	struct kith_csr q = { 0 }, loc = { 0 };

	/* the items of the draws, all in the first owned row */
	if (!kith_csr_alloc(&q, g->rows, g->N, nq, FALSE, error))
		return FALSE;
	q.indptr[0] = 0;
	for (int64_t r = 1; r <= g->rows; r++)
		q.indptr[r] = nq;
	for (int64_t b = 0; b < g->nbl; b++) {
		q.indices[b * per] = g->si[b * neg];
		for (int k = 0; k < neg; k++)
			q.indices[b * per + 1 + k] = g->sj[b * neg + k];
	}
	kith_halo_clear(&g->bh);
	gboolean ok = kith_halo_build(&g->bh, &loc, &q, g->lo, g->N, g->bounds,
	                              error);
	kith_csr_clear(&q);
	if (!ok)
		return FALSE;
	for (int64_t b = 0; b < g->nbl; b++)
		for (int k = 0; k < neg; k++) {
			int64_t s = b * neg + k;
			g->su[s] = (int32_t)(g->su[s] - g->lo);
			g->si[s] = loc.indices[b * per];
			g->sj[s] = loc.indices[b * per + 1 + k];
		}
	kith_csr_clear(&loc);
	int64_t need = g->rows + g->bh.n_halo;
	if (need > g->cap || !g->w) {
		g->cap = MAX(need, g->cap);
		g_free(g->F);
		g_free(g->G);
		g_free(g->w);
		g->G = g->w = NULL;
		g->F = kith_alloc_n((size_t)g->cap * d + 1, sizeof(float), error);
		g->G = g->F ? kith_alloc_n((size_t)g->cap * d + 1, sizeof(float),
		                           error) : NULL;
		g->w = g->G ? kith_alloc_n((size_t)g->cap + 1, sizeof(float),
		                           error) : NULL;
	}
	return kith_dist_all_ok(g->w != NULL, error);
}

/* The L2 weight of every row of the kept triples (l2_draw()'s factors,
 * summed per row) into w (rows + batch halo). */
static void
dist_l2_weights(const struct lgcn *g, float *w, float l2)
{
	const int neg = g->p->neg;
	const float l2n = l2 * (float)neg;

	memset(w, 0, (size_t)(g->rows + g->bh.n_halo) * sizeof(float));
	for (int64_t b = 0; b < g->nbl; b++) {
		const int64_t s0 = b * neg;
		w[g->su[s0]] += l2n;
		w[g->si[s0]] += l2n;
		for (int q = 0; q < neg; q++)
			w[g->sj[s0 + q]] += !g->p->hard_neg ? l2 :
			    g->sloss[s0 + q] >= 0 ? l2n : 0.0f;
	}
}

/* One BPR step over the ranks (see above): *loss the mean over all
 * ranks' triples; the bytes of the formula into rep. */
static gboolean
dist_train_step(struct lgcn *g, uint64_t stream, int nb, double *loss,
                struct kith_train_report *rep, GError **error)
{
	const int d = g->d, P = kith_dist_size();
	int64_t ns = (int64_t)nb * g->p->neg;
	float inv = 1.0f / (float)ns;
	float l2 = (float)g->p->l2 * inv;
	double sum;

	dist_sample(g, stream, nb);
	if (!dist_batch_halo(g, error) ||
	    !propagate_mean(g, g->F, g->E0, g->T, error) ||
	    !kith_halo_exchange(&g->bh, g->F, d, sizeof(float), NULL, error))
		return FALSE;
	sum = score_triples(g, g->nbl, inv);
	if (!kith_dist_allreduce_f64(&sum, 1, KITH_DIST_SUM, error))
		return FALSE;
	*loss = sum / (double)(g->p->hard_neg ? nb : ns);
	memset(g->G, 0, (size_t)(g->rows + g->bh.n_halo) * d * sizeof(float));
	triples_pass(g, g->nbl, FALSE, g->G, g->F, l2);
	dist_l2_weights(g, g->w, l2);
	if (!kith_halo_reduce_f32(&g->bh, g->G, d, NULL, error) ||
	    !kith_halo_reduce_f32(&g->bh, g->w, 1, NULL, error) ||
	    !propagate_mean(g, g->F, g->G, g->T, error))
		return FALSE;
	float *F = g->F, *E = g->E0, *w = g->w;
#pragma omp parallel for schedule(static)
	for (int64_t r = 0; r < g->rows; r++)
		for (int j = 0; j < d; j++)
			F[r * d + j] += w[r] * E[r * d + j];
	kith_adam_step(&g->adam, g->E0, g->F);
	if (P > 1)
		rep->bytes_formula += 8 * (int64_t)g->K * d * g->h.n_send +
		    4 * (int64_t)d * g->bh.n_send +
		    (4 * (int64_t)d + 8) * g->bh.n_halo + 8 * (P + 4);
	rep->batch_halo_rows += g->bh.n_halo;
	return TRUE;
}

/* Global rows [r0, r1) of the N x d array held as X (this rank's rows)
 * into dst on rank 0 (dst may be NULL elsewhere). */
static gboolean
dist_gather(const struct lgcn *g, float *dst, const float *X, int64_t r0,
            int64_t r1, GError **error)
{
	return kith_dist_gather_rows(dst, X, g->bounds, r0, r1,
	                             (size_t)g->d * sizeof(float), FALSE, error);
}

/* Score block of the validation ranking over the ranks, in floats per
 * thread (kith_topk_block_floats(); 8 MiB, memest.c counts it). */
#define DIST_TOPK_FLOATS ((int64_t)2 << 20)

/* Recall@k and NDCG@k of the validation users: every rank ranks all
 * items (their rows gathered) for its own users; the sums are reduced,
 * so every rank takes the same decision. */
static gboolean
dist_validate(const struct lgcn *g, const float *F, const struct kith_csr *Rtr,
              const struct kith_csr *Rval, int k, struct kith_rank_metrics *rm,
              GError **error)
{
	int64_t u0 = MIN(g->lo, g->n), u1 = MIN(g->lo + g->rows, g->n);
	g_autofree float *V = kith_alloc_n((size_t)g->m * g->d + 1,
	                                   sizeof(float), error);

	if (!kith_dist_all_ok(V != NULL, error) ||
	    !kith_dist_gather_rows(V, F, g->bounds, g->n, g->N,
	                           (size_t)g->d * sizeof(float), TRUE, error))
		return FALSE;
	/* the rank that holds the users ranks them all: score blocks of
	 * DIST_TOPK_FLOATS (same scores, a quarter of the memory) */
	int64_t was = kith_topk_block_floats(DIST_TOPK_FLOATS);
	gboolean ok = kith_rank_eval_rows(rm, F, V, u0, u1, g->m, g->d, k,
	                                  Rtr, Rval, error);
	kith_topk_block_floats(was);
	return ok;
}

/* The focus pairs and users of a warm start that R holds. */
static gboolean
focus_setup(struct lgcn *g, const struct kith_csr *R, GError **error)
{
	const struct kith_lightgcn_params *p = g->p;

	if (p->n_focus_pairs > 0 && p->focus_share > 0) {
		g->focus_pairs = kith_alloc_n((size_t)p->n_focus_pairs,
		                              sizeof(int64_t), error);
		if (!g->focus_pairs)
			return FALSE;
		for (int64_t k = 0; k < p->n_focus_pairs; k++)
			if (p->focus_u[k] >= 0 && p->focus_u[k] < g->n &&
			    p->focus_i[k] >= 0 && p->focus_i[k] < g->m &&
			    row_has(R, p->focus_u[k], p->focus_i[k]))
				g->focus_pairs[g->n_focus_pairs++] = k;
	}
	if (p->n_focus > 0 && p->focus_share > 0) {
		g->focus = kith_alloc_n((size_t)p->n_focus, sizeof(int64_t),
		                        error);
		if (!g->focus)
			return FALSE;
		for (int64_t x = 0; x < p->n_focus; x++) {
			int64_t u = p->focus_users[x];
			if (u >= 0 && u < g->n &&
			    R->indptr[u + 1] > R->indptr[u])
				g->focus[g->n_focus++] = u;
		}
	}
	return TRUE;
}

/* Sets up the graph, buffers and (unless resuming: a checkpoint will
 * overwrite it) the start of one training phase on R; g is cleared. */
static gboolean
phase_setup(struct lgcn *g, const struct kith_csr *R, const struct kith_csr *S,
            gboolean resuming, GError **error)
{
	const struct kith_lightgcn_params *p = g->p;
	size_t nd, nda;

	g->R = R;
	g->n = R->n_rows;
	g->m = R->n_cols;
	g->N = g->n + g->m;
	g->d = p->dim;
	g->K = p->layers;
	g->n_pairs = R->nnz;
	g->rows = g->cap = g->N;
	if (!kith_mul_size((size_t)g->N, (size_t)g->d, &nd)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "embedding size overflows");
		return FALSE;
	}
	if (!adjacency_fits(R, S, p->social_weight, error) ||
	    (g->dist ? !dist_rows(g, R, S, error)
	             : !build_adjacency(&g->A, R, S, p->social_weight, error)))
		return FALSE;
	nd = (size_t)g->rows * g->d;            /* the rows held */
	nda = (size_t)g->cap * g->d;            /* with their halo */
	g->active = kith_alloc_n(MAX(g->n, 1), sizeof(int64_t), error);
	if (!g->active)
		return FALSE;
	g->n_active = 0;
	for (int64_t u = 0; u < g->n; u++)
		if (R->indptr[u + 1] > R->indptr[u])
			g->active[g->n_active++] = u;
	if (!focus_setup(g, R, error))
		return FALSE;

	int64_t b = p->batch > 0 ? p->batch :
	    (g->n_pairs + LGCN_STEPS_PER_EPOCH - 1) / LGCN_STEPS_PER_EPOCH;
	if (p->batch <= 0)
		b = CLAMP(b, LGCN_MIN_BATCH, LGCN_MAX_BATCH);
	g->batch = (int)b;
	size_t ns = (size_t)g->batch * p->neg;

	g->E0 = kith_alloc_n(nda + 1, sizeof(float), error);
	g->F = g->E0 ? kith_alloc_n(nda + 1, sizeof(float), error) : NULL;
	g->G = g->F ? kith_alloc_n(nda + 1, sizeof(float), error) : NULL;
	g->T = g->G ? kith_alloc_n(nda + 1, sizeof(float), error) : NULL;
	g->su = g->T ? kith_alloc_n(ns, sizeof(int32_t), error) : NULL;
	g->si = g->su ? kith_alloc_n(ns, sizeof(int32_t), error) : NULL;
	g->sj = g->si ? kith_alloc_n(ns, sizeof(int32_t), error) : NULL;
	g->coef = g->sj ? kith_alloc_n(ns, sizeof(float), error) : NULL;
	g->sloss = g->coef ? kith_alloc_n(ns, sizeof(double), error) : NULL;
	if (!g->sloss)
		return FALSE;
	double lr = p->lr > 0 ? p->lr : 0.01;
	if (!kith_adam_init(&g->adam, nd, (float)lr, error))
		return FALSE;
	/* the spectral start needs more users and items than columns */
	if (resuming) {
		return TRUE;
	} else if (p->init_user) {
		warm_init(g);
	} else if (p->spectral_init && g->n_active > 0 &&
	    MIN(g->n, g->m) >= (int64_t)g->d + 1) {
		return g->dist ? dist_spectral_init(g, error)
		               : spectral_init(g, g->E0,
		                               g->E0 + (size_t)g->n * g->d, 0,
		                               g->n, error);
	} else {
		random_rows(g, g->lo, g->lo + g->rows);
	}
	return TRUE;
}

/* ---- training (the hooks of train.c) ----------------------------------- */

static void
split_rows(const struct lgcn *g, float *user_emb, float *item_emb,
           const float *F)
{
	size_t nu = (size_t)g->n * g->d, ni = (size_t)g->m * g->d;
	memcpy(user_emb, F, nu * sizeof(float));
	memcpy(item_emb, F + nu, ni * sizeof(float));
}

/* Whether p asks for a warm start or focus (kith update). */
static gboolean
warm_start(const struct kith_lightgcn_params *p)
{
	return p->init_user || p->n_focus > 0 || p->n_focus_pairs > 0;
}

static gboolean
check_params(const struct kith_lightgcn_params *p, const struct kith_csr *R,
             const struct kith_csr *S, GError **error)
{
	const char *bad = NULL;
	if (p->dim < 1 || p->dim > 4096)
		bad = "dim must be in 1..4096";
	else if (p->layers < 0 || p->layers > 16)
		bad = "layers must be in 0..16";
	else if (p->neg < 1 || p->neg > 64)
		bad = "neg must be in 1..64";
	else if (!(p->val_ratio >= 0 && p->val_ratio < 1))
		bad = "val-ratio must be in [0, 1)";
	else if (!(p->l2 >= 0) || !(p->lr >= 0) || p->batch < 0 ||
	         !(p->social_weight >= 0))
		bad = "negative hyper-parameter";
	else if (p->k < 1)
		bad = "k must be positive";
	else if (p->epoch_steps < 0 ||
	         !(p->focus_share >= 0 && p->focus_share <= 1))
		bad = "epoch-steps must be >= 0 and focus share in [0, 1]";
	if (bad) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE, "%s", bad);
		return FALSE;
	}
	if (!train_options_check(&p->train, error))
		return FALSE;
	if (kith_dist_size() > 1 && warm_start(p)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE, "warm starts "
		            "(kith update) run on one machine only, not under "
		            "an MPI launcher");
		return FALSE;
	}
	if (R->n_rows < 1 || R->n_cols < 1 || R->nnz < 1) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "no user-item interactions to train on");
		return FALSE;
	}
	if (S && p->social_weight > 0 &&
	    (S->n_rows != R->n_rows || S->n_cols != R->n_rows)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "social graph is %" G_GINT64_FORMAT " x %"
		            G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT
		            " users", S->n_rows, S->n_cols, R->n_rows);
		return FALSE;
	}
	return TRUE;
}

/* One kith_lightgcn_train() call: the model of the current phase and
 * what the phases share. */
struct lgcn_run {
	struct lgcn g;
	const struct kith_lightgcn_params *p;
	const struct kith_csr *R, *S;
	struct kith_csr Rtr, Rval;  /* the validation split (phase 0) */
	gboolean validate;
	float *best;                /* F of the best validation state */
	float *best_ego;            /* its E⁰ (only when it is the output) */
	double lr0;                 /* Adam's learning rate before cuts */
	int saved_threads;          /* 0: not changed */
	float *user_emb, *item_emb;
	struct kith_train_report *rep;
	gboolean dist;              /* over the ranks of an MPI job */
	int64_t *bounds;            /* their rows (P + 1) */
};

/* The partition and halo of the phase set up into the report. */
static gboolean
dist_report(struct kith_train_report *rep, const struct lgcn *g,
            GError **error)
{
	int64_t h = g->h.n_halo;

	rep->ranks = kith_dist_size();
	g_free(rep->row_bounds);
	rep->row_bounds = g_memdup2(g->bounds, sizeof(int64_t) *
	                            (size_t)(rep->ranks + 1));
	rep->bytes_formula_text = "per step 8 K d H + (8 d + 8) Hb + "
	                          "8 P (P + 6) (0 on one rank)";
	if (!kith_dist_allreduce_i64(&h, 1, KITH_DIST_SUM, error))
		return FALSE;
	rep->halo_rows = h;
	return TRUE;
}

/* Fewer OpenMP threads for small graphs (see LGCN_WORK_PER_THREAD). */
static void
set_threads(struct lgcn_run *L)
{
	int64_t work = (L->g.A.nnz + L->g.rows) * (int64_t)L->g.d;
	int64_t want = MAX((int64_t)1, work / LGCN_WORK_PER_THREAD);
	L->saved_threads = omp_get_max_threads();
	if (L->p->threads > 0)
		omp_set_num_threads(L->p->threads);
	else if (want < L->saved_threads)
		omp_set_num_threads((int)want);
}

static gboolean
hook_setup(void *m, int phase, gboolean resuming, GError **error)
{
	struct lgcn_run *L = m;
	size_t nd;

	lgcn_clear(&L->g);
	L->g.p = L->p;
	L->g.dist = L->dist;
	L->g.bounds = L->bounds;
	if (!phase_setup(&L->g, phase == 0 && L->validate ? &L->Rtr : L->R,
	                 L->S, resuming, error))
		return FALSE;
	nd = (size_t)L->g.rows * L->g.d;
	L->lr0 = L->g.adam.lr;
	if (L->dist && !dist_report(L->rep, &L->g, error))
		return FALSE;
	if (L->best)
		return TRUE;
	/* the effective values of the first phase set up */
	L->rep->batch = L->g.batch;
	L->rep->lr = L->g.adam.lr;
	/* zeroed: a checkpoint before the first validation writes it */
	L->best = kith_alloc0_n(nd, sizeof(float), error);
	if (!L->best)
		return FALSE;
	/* the E⁰ of the best validation state is the output's ego only
	 * when no refit follows (over MPI ego_out is rank 0's only) */
	if ((L->p->ego_out || L->dist) && L->validate && !L->p->refit) {
		L->best_ego = kith_alloc_n(nd, sizeof(float), error);
		if (!L->best_ego)
			return FALSE;
	}
	set_threads(L);
	return TRUE;
}

static int
hook_steps(void *m)
{
	struct lgcn_run *L = m;
	if (L->p->epoch_steps > 0)
		return L->p->epoch_steps;
	return (int)((L->g.n_pairs + L->g.batch - 1) / L->g.batch);
}

static void
hook_epoch_begin(void *m, int phase, int epoch, double lr_scale)
{
	struct lgcn_run *L = m;
	L->g.adam.lr = (float)(L->lr0 * lr_scale);
}

/* Step s of epoch ep: the RNG stream (phase, ep, s); the last steps of
 * an epoch take the pairs left (a full batch when none are). */
static gboolean
hook_step(void *m, int phase, int ep, int s, int steps, double *loss,
          int64_t *weight, GError **error)
{
	struct lgcn *g = &((struct lgcn_run *)m)->g;
	int64_t left = g->n_pairs - (int64_t)s * g->batch;
	int nb = left > 0 ? (int)MIN((int64_t)g->batch, left) : g->batch;
	uint64_t stream = ((uint64_t)phase << 56) +
	                  (uint64_t)(ep - 1) * steps + s;

	*weight = nb;
	if (g->dist)
		return dist_train_step(g, stream, nb, loss,
		                       ((struct lgcn_run *)m)->rep, error);
	*loss = train_step(g, stream, nb);
	return TRUE;
}

/* Recall@k and NDCG@k of the validation users, all items ranked. */
static gboolean
hook_validate(void *m, int epoch, struct train_val *v, GError **error)
{
	struct lgcn_run *L = m;
	struct lgcn *g = &L->g;
	struct kith_rank_metrics rm;

	if (!propagate_mean(g, g->F, g->E0, g->T, error))
		return FALSE;
	if (g->dist ? !dist_validate(g, g->F, &L->Rtr, &L->Rval, L->p->k, &rm,
	                             error)
	            : !kith_rank_eval(&rm, g->F, g->F + (size_t)g->n * g->d,
	                              g->n, g->m, g->d, L->p->k, &L->Rtr,
	                              &L->Rval, NULL, error))
		return FALSE;
	*v = (struct train_val){ rm.recall, rm.ndcg, NAN };
	return TRUE;
}

static void
hook_keep_best(void *m)
{
	struct lgcn_run *L = m;
	size_t nd = (size_t)L->g.rows * L->g.d;
	memcpy(L->best, L->g.F, nd * sizeof(float));
	if (L->best_ego)
		memcpy(L->best_ego, L->g.E0, nd * sizeof(float));
}

static void
hook_items(void *m, struct ckpt_items *it)
{
	struct lgcn_run *L = m;
	memset(it, 0, sizeof *it);
	ckpt_add_array(it, "ego.npy", L->g.E0, L->g.rows, L->g.d);
	ckpt_add_adam(it, "", &L->g.adam);
	ckpt_add_array(it, "best.npy", L->best, L->g.rows, L->g.d);
	if (L->dist)
		ckpt_split(it, L->bounds, L->g.d);
}

/* hook_finish() over the ranks: the rows gathered on rank 0, once the
 * training buffers are freed (as one process does, so that the gathered
 * output does not add to rank 0's peak). */
static gboolean
dist_finish(struct lgcn_run *L, const struct train_outcome *o,
            struct kith_train_report *rep, GError **error)
{
	struct lgcn *g = &L->g;
	const float *out = L->best, *ego = NULL;

	if (o->refit_done || !o->have_best) {
		if (!propagate_mean(g, g->F, g->E0, g->T, error))
			return FALSE;
		out = g->F;
		ego = g->E0;
	} else if (o->phase == 0 && !o->resumed) {
		ego = L->best_ego;
	}
	lgcn_release_training(g);
	if (!dist_gather(g, L->user_emb, out, 0, g->n, error) ||
	    !dist_gather(g, L->item_emb, out, g->n, g->N, error) ||
	    (ego && !dist_gather(g, L->p->ego_out, ego, 0, g->N, error)))
		return FALSE;
	rep->has_ego = ego && L->p->ego_out;
	return TRUE;
}

/* The output: the refit model when it completed, else the best
 * validation state, else the last state.  The training buffers go
 * before the output is copied out, so that the output pages do not add
 * to the peak. */
static gboolean
hook_finish(void *m, const struct train_outcome *o,
            struct kith_train_report *rep, GError **error)
{
	struct lgcn_run *L = m;
	struct lgcn *g = &L->g;
	const float *ego = NULL;

	if (L->dist)
		return dist_finish(L, o, rep, error);
	if (o->refit_done || !o->have_best) {
		propagate_mean(g, g->F, g->E0, g->T, NULL);
		lgcn_release_training(g);
		split_rows(g, L->user_emb, L->item_emb, g->F);
		ego = g->E0;
	} else {
		lgcn_release_training(g);
		split_rows(g, L->user_emb, L->item_emb, L->best);
		/* a resumed run did not keep the best state's E⁰ */
		ego = o->phase == 0 && !o->resumed ? L->best_ego : NULL;
	}
	if (L->p->ego_out && ego) {
		memcpy(L->p->ego_out, ego, (size_t)g->N * g->d * sizeof(float));
		rep->has_ego = TRUE;
	}
	return TRUE;
}

static const struct train_hooks lgcn_hooks = {
	.model = "lightgcn",
	.setup = hook_setup,
	.steps = hook_steps,
	.epoch_begin = hook_epoch_begin,
	.step = hook_step,
	.validate = hook_validate,
	.keep_best = hook_keep_best,
	.items = hook_items,
	.finish = hook_finish,
};

/* What fixes the trajectory of a run (not max_epochs, patience, the
 * time limit or the checkpoint options: a resumed run may change those):
 * every other parameter and the contents of R and S. */
static char *
config_hash(const struct kith_lightgcn_params *p, const struct kith_csr *R,
            const struct kith_csr *S)
{
	g_autofree char *cfg = g_strdup_printf(
	    "lightgcn d=%d K=%d steps=%d batch=%d lr=%.17g decay=%.17g "
	    "l2=%.17g neg=%d hard=%d seed=%" G_GUINT64_FORMAT " val=%.17g "
	    "valmax=%d every=%d k=%d social=%.17g spectral=%d refit=%d "
	    "init=%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%d focus=%"
	    G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%.17g", p->dim, p->layers,
	    p->epoch_steps, p->batch, p->lr, p->lr_decay, p->l2, p->neg,
	    p->hard_neg, p->seed, p->val_ratio, p->val_max_users,
	    p->eval_every, p->k, p->social_weight, p->spectral_init, p->refit,
	    p->init_user ? p->init_users : -1, p->init_items, p->init_ego,
	    p->n_focus, p->n_focus_pairs, p->focus_share);
	const struct kith_csr *mats[2] = { R, p->social_weight > 0 ? S : NULL };
	return ckpt_config_hash(cfg, mats, 2, NULL, NULL, 0);
}

gboolean
kith_lightgcn_train(float *user_emb, float *item_emb,
                    struct kith_train_report *report,
                    const struct kith_csr *R, const struct kith_csr *S,
                    const struct kith_lightgcn_params *p, GError **error)
{
	struct lgcn_run L = { .p = p, .R = R, .S = S, .user_emb = user_emb,
	                      .item_emb = item_emb };
	struct kith_train_report local;
	struct kith_train_report *rep = report;
	g_autofree char *hash = NULL;
	gboolean ok = FALSE;

	if (!rep) {
		kith_train_report_init(&local);
		rep = &local;
	}
	if (!check_params(p, R, S, error))
		goto out;
	L.validate = p->val_ratio > 0;
	if (L.validate) {
		int64_t vmax = p->val_max_users > 0 ? p->val_max_users : 10000;
		if (!kith_split_validation(&L.Rtr, &L.Rval, R, p->val_ratio,
		                           vmax, p->seed, error))
			goto out;
		L.validate = L.Rval.nnz > 0;
	}
	if (p->train.checkpoint_dir)
		hash = config_hash(p, R, S);
	struct train_config c;
	train_config_init(&c, &p->train, 300, 5);
	c.eval_every = p->eval_every > 0 ? p->eval_every : 2;
	c.lr_decay = p->lr_decay > 0 ? p->lr_decay : 1.0;
	c.validate = L.validate;
	c.refit = p->refit;
	c.config_hash = hash;
	/* a warm start under a launcher runs on its one rank as alone */
	c.dist = L.dist = kith_dist_active() && !warm_start(p);
	if (L.dist)
		L.bounds = g_new0(int64_t, kith_dist_size() + 1);
	L.rep = rep;
	rep->k = p->k;
	rep->val_pairs = L.validate ? L.Rval.nnz : 0;
	rep->val_users = 0;
	for (int64_t u = 0; L.validate && u < L.Rval.n_rows; u++)
		rep->val_users += L.Rval.indptr[u + 1] > L.Rval.indptr[u];
	ok = train_run(&lgcn_hooks, &L, &c, rep, error);
out:
	if (L.saved_threads > 0)
		omp_set_num_threads(L.saved_threads);
	lgcn_clear(&L.g);
	g_free(L.best);
	g_free(L.best_ego);
	kith_csr_clear(&L.Rtr);
	kith_csr_clear(&L.Rval);
	g_free(L.bounds);
	if (rep == &local)
		kith_train_report_clear(&local);
	return ok;
}
