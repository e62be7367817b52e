/*
 * GCN (Kipf & Welling, ICLR 2017): two graph convolutions over the
 * renormalised adjacency Â = D̃^-1/2 (A + I) D̃^-1/2,
 *
 *   H = ReLU(Â · drop(X) · W1 + b1)          n x h   (the embedding)
 *   Z = Â · drop(H) · W2 + b2                n x c   (class logits)
 *   loss = mean_{i ∈ train} CE(softmax(Z_i), y_i) + λ/2 ‖W1‖²
 *
 * trained full-batch with Adam (lr 0.01, λ = 5e-4, dropout 0.5 on the
 * sparse input and on H, as in the paper).  The epoch kept is the one with
 * the best validation accuracy (ties: lower validation loss); training
 * stops after `patience` epochs without improvement or at max_epochs.
 * X is sparse (n x f): X·W1 is a sparse × dense product, and Xᵀ·G for the
 * gradient of W1 uses the transpose built once (its dropout mask is mapped
 * through a permutation), so an epoch costs O((nnz(X) + nnz(Â))·h +
 * n·h·c) — milliseconds on Cora.
 *
 * Without labels the same encoder is trained as a graph auto-encoder
 * (Kipf & Welling 2016): Z = Â·ReLU(Â X W1 + b1)·W2 + b2 is the
 * embedding, and the loss is the logistic loss of σ(z_i·z_j) on every
 * edge of A against `neg` uniformly sampled non-neighbours per edge.
 * Each node's row of the loss sums over its own edges and samples, and
 * only z_i receives the gradient of its row (the (j, i) row gives z_j its
 * share), so the gradient is computed row-parallel with no atomics.
 *
 * Determinism: dropout masks and negatives come from kith_rng streams
 * keyed by (seed, epoch, block of entries or row), independent of the
 * thread count, and the auto-encoder's held-out links (5 %) by a hash
 * of the seed and the pair (gnn_pair_held()); dense products go through
 * OpenBLAS sgemm (outside parallel regions).  So a checkpoint (weights,
 * Adam moments, kept weights and the early-stopping counters after an
 * epoch; written by the training driver, train.c, whose hooks this file
 * supplies) is all a resumed run needs to end with the same bytes.
 *
 * Under mpirun every rank runs the same hooks over its rows (see "the
 * graph over the ranks" below); one process is the case of one rank.
 */
#include "config.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "kith/core.h"
#include "kith/dist.h"
#include "kith/eval.h"
#include "kith/io.h"
#include "kith/models.h"
#include "kith/nn.h"
#include "kith/store.h"
#include "nn/gnn-internal.h"
#include "nn/train-internal.h"

void
kith_gcn_model_clear(struct kith_gcn_model *m)
{
	g_free(m->w1);
	g_free(m->b1);
	g_free(m->w2);
	g_free(m->b2);
	memset(m, 0, sizeof *m);
}

void
kith_gcn_params_init(struct kith_gcn_params *p)
{
	memset(p, 0, sizeof *p);
	p->hidden = 64;
	p->dim = 64;
	p->lr = 0.01;
	p->weight_decay = 5e-4;
	p->dropout = 0.5;
	p->neg = 1;
	p->seed = 42;
}

/* The effective epochs and patience (auto: 200 epochs supervised, 300
 * for the auto-encoder; 100 epochs without a better score). */
static void
gcn_schedule(const struct kith_gcn_params *p, gboolean sup, int *epochs,
             int *patience)
{
	*epochs = p->train.max_epochs > 0 ? p->train.max_epochs :
	          (sup ? 200 : 300);
	*patience = p->train.patience > 0 ? p->train.patience : 100;
}

void
kith_gcn_params_to_json(JsonBuilder *b, const struct kith_gcn_params *p,
                        const struct kith_gcn_model *m, const char *labels,
                        const char *from)
{
	int epochs, patience;

	gcn_schedule(p, m->supervised, &epochs, &patience);
	json_builder_set_member_name(b, "params");
	json_builder_begin_object(b);
	kith_json_put_int(b, "hidden", m->hidden);
	kith_json_put_int(b, "dim", m->supervised ? m->hidden : m->n_out);
	kith_json_put_int(b, "max_epochs", epochs);
	kith_json_put_double(b, "lr", p->lr);
	kith_json_put_double(b, "weight_decay", p->weight_decay);
	kith_json_put_double(b, "dropout", m->supervised ? p->dropout : 0.0);
	kith_json_put_int(b, "patience", patience);
	kith_json_put_int(b, "neg", p->neg);
	kith_json_put_string(b, "mode", m->supervised ? "semi-supervised"
	                                              : "auto-encoder");
	kith_json_put_string(b, "labels", labels);
	kith_json_put_string(b, "from", from);
	json_builder_end_object(b);
}

/* out[j] = Σ_i G[i, j] in row order (deterministic). */
static void
colsum(float *out, const float *G, int64_t n, int c)
{
	memset(out, 0, c * sizeof(float));
	for (int64_t i = 0; i < n; i++)
		for (int j = 0; j < c; j++)
			out[j] += G[i * c + j];
}

/* ---- the graph over the ranks ------------------------------------------
 * Rank r of P (one process: P = 1) owns the rows [bounds[r], bounds[r+1])
 * of Â and of every n-row array, the rows cut by kith_dist_partition() on
 * the social graph's row lengths.  Its rows of the training graph (A made
 * symmetric, self-loops and held-out pairs left out) are built from a pass
 * over the whole A (the transposed entries of a directed graph are found
 * there), its rows of Â from those with the degrees of the halo rows
 * fetched from their owners.  Every product Â·Y copies Y's rows into one
 * workspace and fetches the remote rows they touch after them
 * (gnn_with_halo()), then a local SpMM; Â is symmetric, so the backward
 * products Âᵀ·dY are the same.  The weights are whole on every rank: the
 * partial gradients of a rank's rows are summed over the ranks (one
 * Allreduce of f·h + h + h·c + c floats) and every rank takes the same
 * Adam step. */

/* Working state of one training run (or of one inference). */
struct gcn {
	int64_t n, f;             /* nodes of the whole graph, features */
	int64_t lo, rows;         /* owned rows [lo, lo + rows) */
	int h, c;
	int64_t *bounds;          /* P + 1 */
	struct kith_halo hal;     /* remote rows Â's owned rows touch */
	struct kith_csr A;        /* owned rows of Â, local columns */
	struct kith_csr T;        /* GAE: owned rows of the training graph,
	                             global columns */
	int64_t *held;            /* GAE: held-out pairs (lo, hi) of owned
	                             rows, 2 per pair */
	int64_t n_held;
	struct gnn_xrows x;       /* owned rows of X */
	float *xmask;             /* per X entry: 0 or 1/(1-p) */
	float *XW, *P1, *H, *hmask, *HW, *Z;
	float *dZ, *dHW, *dH, *dXW;
	struct gnn_ws ws;         /* a product's input with its halo rows */
	float *grad;              /* gw1 | gb1 | gw2 | gb2, summed over ranks */
	float *gw1, *gb1, *gw2, *gb2;
	struct kith_adam aw1, ab1, aw2, ab2;
};

static void
gcn_clear(struct gcn *g)
{
	kith_halo_clear(&g->hal);
	kith_csr_clear(&g->A);
	kith_csr_clear(&g->T);
	gnn_xrows_clear(&g->x);
	gnn_ws_clear(&g->ws);
	g_free(g->bounds);
	g_free(g->held);
	g_free(g->grad);
	float **bufs[] = { &g->xmask, &g->XW, &g->P1, &g->H, &g->hmask,
	                   &g->HW, &g->Z, &g->dZ, &g->dHW, &g->dH, &g->dXW };
	for (size_t i = 0; i < G_N_ELEMENTS(bufs); i++)
		kith_floats_free(*bufs[i]);
	kith_adam_clear(&g->aw1);
	kith_adam_clear(&g->ab1);
	kith_adam_clear(&g->aw2);
	kith_adam_clear(&g->ab2);
	memset(g, 0, sizeof *g);
}

/* The owned rows of A made symmetric (rows sorted, duplicates and
 * self-loops removed), without the pairs held out with ratio, into T
 * (global columns); the held-out pairs of owned rows (smaller end owned)
 * into g->held.  One pass over the whole A finds the owned rows of Aᵀ. */
static gboolean
training_rows(struct gcn *g, const struct kith_csr *A, double ratio,
              uint64_t seed, GError **error)
{
	int64_t lo = g->lo, hi = lo + g->rows, rows = g->rows;
	struct kith_csr At = { 0 };
	GArray *held = ratio > 0 ? g_array_new(FALSE, FALSE, sizeof(int64_t))
	                         : NULL;
	gboolean ok = FALSE;

	/* Aᵀ's owned rows: the entries (i, j) of A with j owned, i ascending */
	g_autofree int64_t *tp = kith_alloc0_n(rows + 1, sizeof(int64_t),
	                                       error);
	if (!tp || !gnn_in_links(&At, A, lo, hi, error))
		goto out;
	/* the union (room for both rows), the held-out pairs dropped */
	tp[0] = 0;
	for (int64_t r = 0; r < rows; r++)
		tp[r + 1] = tp[r] + A->indptr[lo + r + 1] - A->indptr[lo + r] +
		            At.indptr[r + 1] - At.indptr[r];
	if (!kith_csr_alloc(&g->T, rows, g->n, tp[rows], FALSE, error))
		goto out;
	int32_t *o = g->T.indices;
	int64_t w = 0;                  /* entries kept so far */
	for (int64_t r = 0; r < rows; r++) {
		int32_t self = (int32_t)(lo + r);
		int64_t c = gnn_merge_union(A->indices + A->indptr[lo + r],
		                            A->indptr[lo + r + 1] -
		                            A->indptr[lo + r],
		                            At.indices + At.indptr[r],
		                            At.indptr[r + 1] - At.indptr[r], self,
		                            o + w);
		for (int64_t k = w, k1 = w + c; k < k1; k++) {
			int32_t v = o[k];
			if (!gnn_pair_held(seed, 3, self, v, ratio)) {
				o[w++] = v;
			} else if (self < v) {
				int64_t pr[2] = { self, v };
				g_array_append_vals(held, pr, 2);
			}
		}
		g->T.indptr[r + 1] = w;
	}
	g->T.nnz = w;
	g->T.indices = g_realloc(g->T.indices, MAX(w, 1) * sizeof(int32_t));
	ok = TRUE;
out:
	kith_csr_clear(&At);
	if (held) {
		g->n_held = held->len / 2;
		g->held = (int64_t *)g_array_free(held, FALSE);
	}
	return ok;
}

/* The owned rows of Â = D̃^-1/2 (T + I) D̃^-1/2 with their halo: the
 * self-loop in sorted position, the degrees of the halo rows from their
 * owners (collective). */
static gboolean
normalised_rows(struct gcn *g, GError **error)
{
	const struct kith_csr *T = &g->T;
	int64_t rows = g->rows;
	g_autofree float *dinv = NULL;

	if (!kith_dist_all_ok(kith_csr_alloc(&g->A, rows, g->n, T->nnz + rows,
	                                     TRUE, error), error))
		return FALSE;
	g->A.indptr[0] = 0;
	for (int64_t r = 0; r < rows; r++) {
		int32_t *o = g->A.indices + g->A.indptr[r];
		int64_t c = T->indptr[r + 1] - T->indptr[r], p = c;
		memcpy(o, T->indices + T->indptr[r], c * sizeof(int32_t));
		while (p > 0 && o[p - 1] > g->lo + r) {
			o[p] = o[p - 1];
			p--;
		}
		o[p] = (int32_t)(g->lo + r);
		g->A.indptr[r + 1] = g->A.indptr[r] + c + 1;
	}
	if (!kith_halo_build_in_place(&g->hal, &g->A, g->n, g->bounds, error))
		return FALSE;
	dinv = kith_alloc_n(rows + g->hal.n_halo + 1, sizeof(float), error);
	if (!kith_dist_all_ok(dinv != NULL, error))
		return FALSE;
	for (int64_t r = 0; r < rows; r++)
		dinv[r] = (float)(1.0 / sqrt((double)(T->indptr[r + 1] -
		                                      T->indptr[r] + 1)));
	if (!kith_halo_exchange(&g->hal, dinv, 1, sizeof(float), NULL, error))
		return FALSE;
#pragma omp parallel for schedule(dynamic, 1024)
	for (int64_t r = 0; r < rows; r++)
		for (int64_t k = g->A.indptr[r]; k < g->A.indptr[r + 1]; k++)
			g->A.values[k] = dinv[r] * dinv[g->A.indices[k]];
	return TRUE;
}

/* Room in g->ws for the owned rows and n_halo halo rows of `width`
 * floats (none needed without halo rows). */
static gboolean
workspace(struct gcn *g, int64_t n_halo, int width, GError **error)
{
	return n_halo == 0 ||
	       gnn_ws_reserve(&g->ws, (size_t)(g->rows + n_halo) * width, error);
}

/* This rank's first row under kith_gcn_bounds(). */
static int64_t
bounds_lo(const struct kith_csr *A)
{
	int P = kith_dist_size();
	g_autofree int64_t *b = g_new(int64_t, P + 1);

	kith_gcn_bounds(b, A, P);
	return b[kith_dist_rank()];
}

void
kith_gcn_bounds(int64_t *bounds, const struct kith_csr *A, int ranks)
{
	kith_dist_partition(bounds, A->indptr, A->n_rows, ranks);
}

/* The run's rows of A (whole on every rank; rows cut by its row lengths)
 * and X (every row, or this rank's), the held-out pairs of ratio (seed)
 * left out of Â, buffers for a forward pass, and for training when
 * `training`.  Collective. */
static gboolean
gcn_setup(struct gcn *g, const struct kith_csr *A, const struct kith_csr *X,
          int h, int c, gboolean training, double ratio, uint64_t seed,
          const struct kith_store *mapped, GError **error)
{
	int64_t n = A->n_rows;
	int P = kith_dist_size(), me = kith_dist_rank();
	GError **e = error;

	memset(g, 0, sizeof *g);
	g->n = n;
	g->f = X->n_cols;
	g->h = h;
	g->c = c;
	if (A->n_cols != n) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "graph %" G_GINT64_FORMAT " x %" G_GINT64_FORMAT,
		            n, A->n_cols);
		return FALSE;
	}
	gboolean local;
	if (!gnn_xrows_local(X, n, &local, error))
		return FALSE;
	g->bounds = g_new0(int64_t, P + 1);
	kith_gcn_bounds(g->bounds, A, P);
	g->lo = g->bounds[me];
	g->rows = g->bounds[me + 1] - g->lo;
	if (!kith_dist_all_ok(training_rows(g, A, ratio, seed, error), error) ||
	    !normalised_rows(g, error))
		return FALSE;
	/* A is read whole for the in-links: its pages go before the
	 * training arrays come */
	kith_store_release_rows(mapped, A, 0, n);
	int64_t rows = g->rows;
	gboolean ok = gnn_xrows_init(&g->x, X, local, g->lo, rows, error) &&
	    (!training || gnn_xrows_transpose(&g->x, error)) &&
	    (g->XW = kith_floats_new(rows * h, FALSE, e)) &&
	    (g->P1 = kith_floats_new(rows * h, FALSE, e)) &&
	    (g->H = kith_floats_new(rows * h, FALSE, e)) &&
	    (g->HW = kith_floats_new(rows * c, FALSE, e)) &&
	    (g->Z = kith_floats_new(rows * c, FALSE, e)) &&
	    workspace(g, g->hal.n_halo, MAX(h, c), error);
	if (ok && training) {
		size_t ng = (size_t)g->f * h + h + (size_t)h * c + c;
		ok = (g->xmask = kith_floats_new(MAX(g->x.Xd.nnz, 1), FALSE,
		                                 e)) &&
		    (g->hmask = kith_floats_new(rows * h, FALSE, e)) &&
		    (g->dZ = kith_floats_new(rows * c, TRUE, e)) &&
		    (g->dHW = kith_floats_new(rows * c, FALSE, e)) &&
		    (g->dH = kith_floats_new(rows * h, FALSE, e)) &&
		    (g->dXW = kith_floats_new(rows * h, FALSE, e)) &&
		    (g->grad = kith_alloc_n(ng, sizeof(float), e));
		if (ok) {
			g->gw1 = g->grad;
			g->gb1 = g->gw1 + (size_t)g->f * h;
			g->gw2 = g->gb1 + h;
			g->gb2 = g->gw2 + (size_t)h * c;
		}
	}
	return kith_dist_all_ok(ok, error);
}

/* Fills the dropout masks of epoch `epoch` (keep prob 1-p, scale
 * 1/(1-p)); p = 0 gives all ones. */
static void
draw_masks(struct gcn *g, double p, uint64_t seed, int epoch)
{
	const int64_t B = GNN_MASK_BLOCK;
	const struct gnn_xrows *x = &g->x;

	/* H's blocks are numbered after X's */
	gnn_fill_mask(g->xmask, x->xoff, x->xoff + x->Xd.nnz, p, seed, epoch,
	              TRUE, 0);
	gnn_fill_mask(g->hmask, g->lo * g->h, (g->lo + g->rows) * g->h, p, seed,
	              epoch, FALSE, (x->x_nnz + B - 1) / B);
}

/* Y (the owned rows) = Â · X (the owned rows; the halo rows are
 * fetched first).  Collective. */
static gboolean
prop(struct gcn *g, float *Y, const float *X, int width, GError **error)
{
	const float *Xh = gnn_with_halo(&g->ws, &g->hal, X, width, error);

	if (!Xh)
		return FALSE;
	kith_spmm(Y, &g->A, Xh, width);
	return TRUE;
}

/* Forward pass over the owned rows; masks applied when train.  Leaves
 * XW, P1, H (after ReLU and dropout when train: H holds drop(H)), HW, Z.
 * Collective. */
static gboolean
forward(struct gcn *g, const struct kith_gcn_model *m, gboolean train,
        GError **error)
{
	int64_t rows = g->rows;
	int h = g->h, c = g->c;

	gnn_xrows_drop(&g->x, train ? g->xmask : NULL);
	kith_spmm(g->XW, &g->x.Xd, m->w1, h);
	if (!prop(g, g->P1, g->XW, h, error))
		return FALSE;
	gnn_add_bias(g->P1, m->b1, rows, h);
#pragma omp parallel for schedule(static) if (rows * h > PAR_MIN)
	for (int64_t i = 0; i < rows * h; i++) {
		float v = g->P1[i] > 0 ? g->P1[i] : 0.0f;
		g->H[i] = train ? v * g->hmask[i] : v;
	}
	gnn_gemm(FALSE, FALSE, rows, c, h, g->H, m->w2, g->HW, 0.0f);
	if (!prop(g, g->Z, g->HW, c, error))
		return FALSE;
	gnn_add_bias(g->Z, m->b2, rows, c);
	return TRUE;
}

/* Softmax cross-entropy over the owned nodes of split `want` (label and
 * split of the owned rows): returns their summed loss and hits in *hit;
 * when dZ != NULL writes the gradient of the mean loss over all `cnt`
 * such nodes of the graph (zero elsewhere). */
static double
softmax_ce(const float *Z, float *dZ, int64_t rows, int c,
           const int32_t *label, const uint8_t *split, int want, int64_t cnt,
           double *hit)
{
	double loss = 0;
	int64_t hits = 0;

	if (dZ)
		memset(dZ, 0, rows * c * sizeof(float));
	*hit = 0;
	if (cnt == 0)
		return 0;
#pragma omp parallel for schedule(static) reduction(+ : loss, hits) \
	if (rows * c > PAR_MIN)
	for (int64_t i = 0; i < rows; i++) {
		if (split[i] != want || label[i] < 0)
			continue;
		gboolean h;
		loss += gnn_softmax_row(Z + i * c, c, label[i],
		                        dZ ? dZ + i * c : NULL, (double)cnt, &h);
		hits += h;
	}
	*hit = (double)hits;
	return loss;
}

/* ---- the graph auto-encoder's loss --------------------------------------
 * Row i's pairs are its edges of the training graph, each followed by
 * `neg` uniform nodes drawn from the stream of (seed, epoch, i): the same
 * draws on any rank.  Their remote rows of Z are fetched once an epoch
 * (a halo built for the epoch's targets). */
struct gae {
	struct kith_csr q;        /* owned rows: the targets, local columns */
	struct kith_halo h;       /* their remote rows */
	int64_t pairs;            /* pairs of the loss over all ranks */
};

static void
gae_clear(struct gae *a)
{
	kith_csr_clear(&a->q);
	kith_halo_clear(&a->h);
	memset(a, 0, sizeof *a);
}

/* The targets of epoch `epoch` and their halo.  Collective. */
static gboolean
gae_targets(struct gae *a, struct gcn *g, int neg, uint64_t seed,
            int epoch, GError **error)
{
	if (!gnn_link_targets(&a->q, &a->h, &g->T, g->lo, g->n, g->bounds, neg,
	                      seed ^ 0x9e3779b97f4a7c15ULL, epoch, error))
		return FALSE;
	return kith_dist_all_ok(workspace(g, a->h.n_halo, g->c, error), error);
}

/* The logistic loss of the epoch's pairs (targets of gae_targets()): the
 * loss summed over the owned rows, the gradient of the mean over all
 * a->pairs into dZ's owned rows.  Collective. */
static gboolean
gae_loss(struct gae *a, struct gcn *g, float *dZ, int neg,
         double *loss_sum, GError **error)
{
	const float *Z = gnn_with_halo(&g->ws, &a->h, g->Z, g->c, error);

	if (!Z)
		return FALSE;
	*loss_sum = gnn_link_loss(&a->q, Z, dZ, g->c, 1 + neg, a->pairs, 1.0f,
	                          TRUE);
	return TRUE;
}

/* Gradients of the weights from dZ's owned rows (forward(train) state),
 * summed over the ranks, plus the weight decay wd on W1.  Collective. */
static gboolean
backward(struct gcn *g, const struct kith_gcn_model *m, double wd,
         GError **error)
{
	int64_t rows = g->rows;
	int h = g->h, c = g->c;

	colsum(g->gb2, g->dZ, rows, c);
	if (!prop(g, g->dHW, g->dZ, c, error))          /* Âᵀ = Â */
		return FALSE;
	gnn_gemm(TRUE, FALSE, h, c, rows, g->H, g->dHW, g->gw2, 0.0f);
	gnn_gemm(FALSE, TRUE, rows, h, c, g->dHW, m->w2, g->dH, 0.0f);
#pragma omp parallel for schedule(static) if (rows * h > PAR_MIN)
	for (int64_t i = 0; i < rows * h; i++)
		g->dH[i] = g->P1[i] > 0 ? g->dH[i] * g->hmask[i] : 0.0f;
	colsum(g->gb1, g->dH, rows, h);
	if (!prop(g, g->dXW, g->dH, h, error))
		return FALSE;
	gnn_xrows_grad(&g->x, g->gw1, g->dXW, h);
	if (!kith_dist_allreduce_f32(g->grad, (size_t)g->f * h + h +
	                             (size_t)h * c + c, error))
		return FALSE;
	if (wd > 0)
		for (int64_t i = 0; i < g->f * h; i++)
			g->gw1[i] += (float)wd * m->w1[i];
	return TRUE;
}

static gboolean
model_alloc(struct kith_gcn_model *m, int64_t f, int h, int c,
            gboolean sup, GError **error)
{
	memset(m, 0, sizeof *m);
	m->n_in = f;
	m->hidden = h;
	m->n_out = c;
	m->supervised = sup;
	m->w1 = kith_alloc0_n(MAX(f * h, 1), sizeof(float), error);
	m->b1 = m->w1 ? kith_alloc0_n(h, sizeof(float), error) : NULL;
	m->w2 = m->b1 ? kith_alloc0_n((size_t)h * c, sizeof(float), error)
	              : NULL;
	m->b2 = m->w2 ? kith_alloc0_n(c, sizeof(float), error) : NULL;
	if (!m->b2) {
		kith_gcn_model_clear(m);
		return FALSE;
	}
	return TRUE;
}

static void
model_copy(struct kith_gcn_model *dst, const struct kith_gcn_model *src)
{
	memcpy(dst->w1, src->w1, src->n_in * src->hidden * sizeof(float));
	memcpy(dst->b1, src->b1, src->hidden * sizeof(float));
	memcpy(dst->w2, src->w2,
	       (size_t)src->hidden * src->n_out * sizeof(float));
	memcpy(dst->b2, src->b2, src->n_out * sizeof(float));
}

/* Row-wise argmax of Z into pred. */
static void
argmax_rows(int32_t *pred, const float *Z, int64_t n, int c)
{
	for (int64_t i = 0; i < n; i++) {
		int arg = 0;
		for (int j = 1; j < c; j++)
			if (Z[i * c + j] > Z[i * c + arg])
				arg = j;
		pred[i] = arg;
	}
}

/* ---- training (the hooks of train.c) ------------------------------------ */

/* One kith_gcn_train() call. */
struct gcn_run {
	struct gcn g;
	struct gae gae;                 /* GAE: the epoch's pairs */
	struct gnn_val val;             /* GAE: the validation pairs */
	struct kith_gcn_model cur;      /* the weights being trained */
	struct kith_gcn_model *kept;    /* the best epoch's (the output) */
	const struct kith_gcn_params *p;
	const struct kith_csr *A, *X;
	const int32_t *label;
	const uint8_t *split;
	gboolean sup;
	gboolean dist;                  /* over the ranks of an MPI job */
	int h, c;
	double drop;
	int64_t n_train, n_val;         /* labelled train / val nodes */
	float *emb;
	int32_t *pred;
	struct kith_train_report *rep;
};

/* The bytes per epoch over the ranks (kith-embed(1)). */
static const char bytes_sup[] =
    "per epoch 8 (h + c) H + 4 P (f h + h + h c + c) + 24 P (0 on one rank)";
static const char bytes_gae[] =
    "per epoch 8 (h + c) H + 4 (c + 1) Hb + 4 P (f h + h + h c + c) "
    "+ P (8 P + 56) (0 on one rank)";

static gboolean
gcn_hook_setup(void *m, int phase, gboolean resuming, GError **error)
{
	struct gcn_run *G = m;
	const struct kith_gcn_params *p = G->p;
	struct kith_rng rng;
	int64_t f = G->X->n_cols;

	/* GAE: 5 % of the undirected edges held out for model selection */
	if (!gcn_setup(&G->g, G->A, G->X, G->h, G->c, TRUE, G->sup ? 0 : 0.05,
	               p->seed, p->mapped, error))
		return FALSE;
	struct gcn *g = &G->g;
	int64_t cnt[2] = { 0, 0 };
	if (G->sup) {
		for (int64_t r = 0; r < g->rows; r++) {
			int64_t i = g->lo + r;
			cnt[0] += G->split[i] == KITH_SPLIT_TRAIN && G->label[i] >= 0;
			cnt[1] += G->split[i] == KITH_SPLIT_VAL && G->label[i] >= 0;
		}
	} else {
		cnt[0] = g->T.nnz * (1 + p->neg);
	}
	if (!kith_dist_allreduce_i64(cnt, 2, KITH_DIST_SUM, error) ||
	    (!G->sup && !gnn_val_setup(&G->val, g->held, g->n_held, g->rows,
	                              g->n, g->bounds, p->seed, &g->ws,
	                              G->c, error)) ||
	    (G->dist && !gnn_dist_report(G->rep, g->bounds, g->hal.n_halo,
	                              G->sup ? bytes_sup : bytes_gae, error)))
		return FALSE;
	G->n_train = cnt[0];
	G->n_val = cnt[1];
	G->gae.pairs = cnt[0];
	gboolean ok = model_alloc(&G->cur, f, G->h, G->c, G->sup, error) &&
	              model_alloc(G->kept, f, G->h, G->c, G->sup, error);
	if (ok) {
		kith_rng_seed(&rng, p->seed, 1);
		gnn_glorot(G->cur.w1, f, G->h, &rng);
		gnn_glorot(G->cur.w2, G->h, G->c, &rng);
		model_copy(G->kept, &G->cur);
		ok = kith_adam_init(&g->aw1, f * G->h, (float)p->lr, error) &&
		     kith_adam_init(&g->ab1, G->h, (float)p->lr, error) &&
		     kith_adam_init(&g->aw2, (size_t)G->h * G->c, (float)p->lr,
		                    error) &&
		     kith_adam_init(&g->ab2, G->c, (float)p->lr, error);
	}
	gnn_blas_threads(g->rows, G->h, G->c);
	/* a failure of one rank ends them all here, not in the first step */
	return kith_dist_all_ok(ok, error);
}

/* One full-batch epoch: dropout masks and negatives of stream `epoch`. */
static gboolean
gcn_hook_step(void *m, int phase, int epoch, int step, int steps,
              double *loss, int64_t *weight, GError **error)
{
	struct gcn_run *G = m;
	struct gcn *g = &G->g;
	const struct kith_gcn_params *p = G->p;
	double sum = 0, hit;
	int P = kith_dist_size();

	draw_masks(g, G->drop, p->seed, epoch);
	if (!forward(g, &G->cur, TRUE, error))
		return FALSE;
	if (G->sup)
		sum = softmax_ce(g->Z, g->dZ, g->rows, G->c, G->label + g->lo,
		                 G->split + g->lo, KITH_SPLIT_TRAIN, G->n_train,
		                 &hit);
	else if (!gae_targets(&G->gae, g, p->neg, p->seed, epoch, error) ||
	         !gae_loss(&G->gae, g, g->dZ, p->neg, &sum, error))
		return FALSE;
	/* GAE: no decay (its gradients are tiny at the start and the decay
	 * would shrink the encoder to zero) */
	if (!kith_dist_allreduce_f64(&sum, 1, KITH_DIST_SUM, error) ||
	    !backward(g, &G->cur, G->sup ? p->weight_decay : 0.0, error))
		return FALSE;
	*loss = G->sup ? sum / (double)G->n_train :
	        G->gae.pairs ? sum / (double)G->gae.pairs : 0;
	kith_adam_step(&g->aw1, G->cur.w1, g->gw1);
	kith_adam_step(&g->ab1, G->cur.b1, g->gb1);
	kith_adam_step(&g->aw2, G->cur.w2, g->gw2);
	kith_adam_step(&g->ab2, G->cur.b2, g->gb2);
	*weight = 1;
	if (G->dist && P > 1) {
		int64_t h = G->h, c = G->c, b = 8 * (h + c) * g->hal.n_send +
		    4 * (g->f * h + h + h * c + c) + 8;
		if (!G->sup)
			b += 4 * c * G->gae.h.n_send + 4 * G->gae.h.n_halo +
			     8 * (P - 1) + 40;
		G->rep->bytes_formula += b;
		G->rep->batch_halo_rows += G->sup ? 0 : G->gae.h.n_halo;
	}
	return TRUE;
}

/* The updated weights without dropout: validation accuracy (its loss
 * breaks ties) or the AUC of the held-out pairs. */
static gboolean
gcn_hook_validate(void *m, int epoch, struct train_val *v, GError **error)
{
	struct gcn_run *G = m;
	struct gcn *g = &G->g;

	if (!forward(g, &G->cur, FALSE, error))
		return FALSE;
	v->score2 = -1;
	if (!G->sup) {
		v->loss = 0;
		return gnn_val_auc(&G->val, &g->ws, g->Z, G->c, g->n, &v->score,
		                   error);
	}
	double s[2];
	s[0] = softmax_ce(g->Z, NULL, g->rows, G->c, G->label + g->lo,
	                  G->split + g->lo, KITH_SPLIT_VAL, G->n_val, &s[1]);
	if (!kith_dist_allreduce_f64(s, 2, KITH_DIST_SUM, error))
		return FALSE;
	v->loss = G->n_val ? s[0] / (double)G->n_val : 0;
	v->score = G->n_val ? s[1] / (double)G->n_val : -1;
	return TRUE;
}

static void
gcn_hook_keep_best(void *m)
{
	struct gcn_run *G = m;
	model_copy(G->kept, &G->cur);
}

/* Current weights, kept weights, Adam moments and step counts: the same
 * on every rank of an MPI job (rank 0 writes them). */
static void
gcn_hook_items(void *m, struct ckpt_items *it)
{
	struct gcn_run *G = m;
	struct kith_gcn_model *mods[2] = { &G->cur, G->kept };
	struct kith_adam *ad[4] = { &G->g.aw1, &G->g.ab1, &G->g.aw2,
	                            &G->g.ab2 };
	static const char *const blk[4] = { "w1", "b1", "w2", "b2" };
	int64_t f = G->cur.n_in, h = G->h, c = G->c;
	int64_t sz[4][2] = { { f, h }, { h, 0 }, { h, c }, { c, 0 } };

	memset(it, 0, sizeof *it);
	it->replicated = G->dist;
	for (int k = 0; k < 2; k++) {
		float *data[4] = { mods[k]->w1, mods[k]->b1, mods[k]->w2,
		                   mods[k]->b2 };
		for (int b = 0; b < 4; b++) {
			char name[16];
			g_snprintf(name, sizeof name, "%s%s.npy",
			           k ? "best_" : "", blk[b]);
			ckpt_add_array(it, name, data[b], sz[b][0], sz[b][1]);
		}
	}
	for (int b = 0; b < 4; b++) {
		char suffix[8];
		g_snprintf(suffix, sizeof suffix, "_%s", blk[b]);
		ckpt_add_adam(it, suffix, ad[b]);
	}
}

/* Train, validation and test accuracy of pr. */
static void
accuracies(struct kith_train_report *rep, const int32_t *pr,
           const int32_t *label, const uint8_t *split, int64_t n)
{
	double *accs[3] = { &rep->train_acc, &rep->val_acc, &rep->test_acc };
	for (int s = 0; s < 3; s++) {
		int64_t cnt = 0, hit = 0;
		for (int64_t i = 0; i < n; i++)
			if (split[i] == s + 1 && label[i] >= 0) {
				cnt++;
				hit += pr[i] == label[i];
			}
		*accs[s] = cnt ? (double)hit / cnt : -1;
	}
}

/* The kept weights of rank 0 on every rank (they are the same to the
 * order of the reduced sums; the output must be one model's).
 * Collective. */
static gboolean
bcast_model(struct kith_gcn_model *m, GError **error)
{
	return kith_dist_bcast(m->w1, (size_t)m->n_in * m->hidden *
	                       sizeof(float), error) &&
	       kith_dist_bcast(m->b1, m->hidden * sizeof(float), error) &&
	       kith_dist_bcast(m->w2, (size_t)m->hidden * m->n_out *
	                       sizeof(float), error) &&
	       kith_dist_bcast(m->b2, m->n_out * sizeof(float), error);
}

/* A final pass with the kept weights on the full graph (the output on
 * rank 0). */
static gboolean
gcn_hook_finish(void *m, const struct train_outcome *o,
                struct kith_train_report *rep, GError **error)
{
	struct gcn_run *G = m;
	int64_t n = G->A->n_rows;
	gboolean lead = kith_dist_rank() == 0;

	gcn_clear(&G->g);
	gae_clear(&G->gae);
	gnn_val_clear(&G->val);
	if (G->dist && !bcast_model(G->kept, error))
		return FALSE;
	if (!G->sup)
		return kith_gcn_apply(G->emb, NULL, G->kept, G->A, G->X,
		                      G->p->mapped, error);
	g_autofree int32_t *own = G->pred || !lead ? NULL :
	                          g_new(int32_t, MAX(n, 1));
	int32_t *pr = G->pred ? G->pred : own;
	if (!kith_gcn_apply(G->emb, pr, G->kept, G->A, G->X, G->p->mapped,
	                    error))
		return FALSE;
	if (lead)
		accuracies(rep, pr, G->label, G->split, n);
	return TRUE;
}

static const struct train_hooks gcn_hooks = {
	.model = "gcn",
	.setup = gcn_hook_setup,
	.step = gcn_hook_step,
	.validate = gcn_hook_validate,
	.keep_best = gcn_hook_keep_best,
	.items = gcn_hook_items,
	.finish = gcn_hook_finish,
};

static gboolean
gcn_check(const struct kith_gcn_params *p, const struct kith_csr *A,
          const int32_t *label, const uint8_t *split, int h, int c,
          int n_classes, GError **error)
{
	int64_t n = A->n_rows, nt = 0;

	if (h < 1 || c < 1 || p->lr <= 0 || p->dropout < 0 ||
	    p->dropout >= 1 || p->neg < 0 || n < 1) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "invalid gcn parameters");
		return FALSE;
	}
	if (!train_options_check(&p->train, error))
		return FALSE;
	for (int64_t i = 0; label && i < n; i++)
		nt += split[i] == KITH_SPLIT_TRAIN && label[i] >= 0;
	if (label && (nt == 0 || n_classes < 2)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "gcn needs labelled train nodes of at least two "
		            "classes");
		return FALSE;
	}
	return TRUE;
}

gboolean
kith_gcn_train(float *emb, int32_t *pred, struct kith_gcn_model *model,
               struct kith_train_report *report, const struct kith_csr *A,
               const struct kith_csr *X, const int32_t *label,
               const uint8_t *split, int n_classes,
               const struct kith_gcn_params *p, GError **error)
{
	gboolean sup = label != NULL;
	struct gcn_run G = { .kept = model, .p = p, .A = A, .X = X,
	                     .label = label, .split = split, .sup = sup,
	                     .h = p->hidden, .c = sup ? n_classes : p->dim,
	                     .drop = sup ? p->dropout : 0.0, .emb = emb,
	                     .pred = pred, .rep = report,
	                     .dist = kith_dist_active() };
	g_autofree char *hash = NULL;

	memset(model, 0, sizeof *model);
	if (!gcn_check(p, A, label, split, G.h, G.c, n_classes, error))
		return FALSE;
	if (p->train.checkpoint_dir) {
		/* what fixes the trajectory (not max_epochs, patience or the
		 * time limit: a resumed run may change those) */
		uint64_t xd;
		gboolean local;
		if (!gnn_xrows_local(X, A->n_rows, &local, error) ||
		    !gnn_rows_digest(X, local, local ? bounds_lo(A) : 0, &xd,
		                     error))
			return FALSE;
		g_autofree char *cfg = g_strdup_printf(
		    "gcn h=%d c=%d sup=%d lr=%.17g wd=%.17g drop=%.17g neg=%d "
		    "seed=%" G_GUINT64_FORMAT " x=%016" G_GINT64_MODIFIER "x",
		    G.h, G.c, sup, p->lr, sup ? p->weight_decay : 0.0, G.drop,
		    p->neg, p->seed, (guint64)xd);
		const struct kith_csr *mats[2] = { A, NULL };
		hash = ckpt_config_hash(cfg, mats, 2, label, split,
		                        sup ? A->n_rows : 0);
	}
	struct train_config c;
	int epochs, patience;
	gcn_schedule(p, sup, &epochs, &patience);
	train_config_init(&c, &p->train, epochs, patience);
	c.config_hash = hash;
	c.dist = G.dist;
	report->lr = p->lr;
	gboolean ok = train_run(&gcn_hooks, &G, &c, report, error);
	openblas_set_num_threads(kith_get_threads());
	gcn_clear(&G.g);
	gae_clear(&G.gae);
	gnn_val_clear(&G.val);
	kith_gcn_model_clear(&G.cur);
	if (!ok)
		kith_gcn_model_clear(model);
	return ok;
}

gboolean
kith_gcn_apply(float *emb, int32_t *pred, const struct kith_gcn_model *m,
               const struct kith_csr *A, const struct kith_csr *X,
               const struct kith_store *mapped, GError **error)
{
	struct gcn g;
	gboolean ok;

	if (X->n_cols != m->n_in) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "features have %" G_GINT64_FORMAT " columns, the "
		            "model %" G_GINT64_FORMAT, X->n_cols, m->n_in);
		return FALSE;
	}
	ok = gcn_setup(&g, A, X, m->hidden, m->n_out, FALSE, 0, 0, mapped,
	               error) &&
	     forward(&g, m, FALSE, error);
	if (ok)
		ok = kith_dist_gather_rows(emb, m->supervised ? g.H : g.Z,
		                           g.bounds, 0, g.n, (m->supervised ?
		                           m->hidden : m->n_out) * sizeof(float),
		                           FALSE, error);
	if (ok && m->supervised) {
		gboolean lead = kith_dist_rank() == 0;
		int32_t *own = g_new(int32_t, MAX(g.rows, 1));
		int32_t *dst = !lead ? NULL : pred ? pred :
		               g_new(int32_t, MAX(g.n, 1));
		argmax_rows(own, g.Z, g.rows, m->n_out);
		ok = kith_dist_gather_rows(dst, own, g.bounds, 0, g.n,
		                           sizeof(int32_t), FALSE, error);
		g_free(own);
		if (dst != pred)
			g_free(dst);
	}
	gcn_clear(&g);
	return ok;
}
