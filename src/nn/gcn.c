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
 * keyed by (seed, epoch, block of rows), independent of the thread count;
 * dense products go through OpenBLAS sgemm (outside parallel regions).
 * So a checkpoint (weights, Adam moments, kept weights and the
 * early-stopping counters after an epoch; written by the training driver,
 * train.c, whose hooks this file supplies) is all a resumed run needs to
 * end with the same bytes.
 */
#include "config.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "kith/eval.h"
#include "kith/core.h"
#include "kith/io.h"
#include "kith/models.h"
#include "kith/nn.h"
#include "nn/gnn-internal.h"
#include "nn/train-internal.h"

#define ROW_BLOCK 256

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

/* Working state of one training run. */
struct gcn {
	int64_t n, f;
	int h, c;
	gboolean sup;
	struct kith_csr A;        /* Â, owned */
	struct kith_csr Xd;       /* X with dropped values (view + own values) */
	struct kith_csr XT;       /* Xᵀ (values: kept X values), owned */
	int64_t *perm;            /* XT entry -> X entry */
	float *xval;              /* X values, the undropped reference */
	float *xmask;             /* per X entry: 0 or 1/(1-p) */
	float *XW, *P1, *H, *hmask, *HW, *Z;
	float *dZ, *dHW, *dH, *dXW;
	float *gw1, *gb1, *gw2, *gb2;
	struct kith_adam aw1, ab1, aw2, ab2;
};

static void
gcn_clear(struct gcn *g)
{
	kith_csr_clear(&g->A);
	kith_csr_clear(&g->XT);
	g_free(g->Xd.values);
	g_free(g->perm);
	g_free(g->xmask);
	float **bufs[] = { &g->XW, &g->P1, &g->H, &g->hmask, &g->HW, &g->Z,
	                   &g->dZ, &g->dHW, &g->dH, &g->dXW, &g->gw1, &g->gb1,
	                   &g->gw2, &g->gb2 };
	for (size_t i = 0; i < G_N_ELEMENTS(bufs); i++)
		kith_floats_free(*bufs[i]);
	kith_adam_clear(&g->aw1);
	kith_adam_clear(&g->ab1);
	kith_adam_clear(&g->aw2);
	kith_adam_clear(&g->ab2);
	memset(g, 0, sizeof *g);
}

/* Transpose of X keeping, for every entry, the index of its X entry. */
static gboolean
transpose_perm(struct kith_csr *out, int64_t **perm, const struct kith_csr *X,
               GError **error)
{
	int64_t *next;

	if (!kith_csr_alloc(out, X->n_cols, X->n_rows, X->nnz, TRUE, error))
		return FALSE;
	*perm = kith_alloc_n(MAX(X->nnz, 1), sizeof(int64_t), error);
	next = kith_alloc0_n(X->n_cols + 1, sizeof(int64_t), error);
	if (!*perm || !next) {
		g_free(next);
		return FALSE;
	}
	memset(out->indptr, 0, (X->n_cols + 1) * sizeof(int64_t));
	for (int64_t k = 0; k < X->nnz; k++)
		out->indptr[X->indices[k] + 1]++;
	for (int64_t j = 0; j < X->n_cols; j++)
		out->indptr[j + 1] += out->indptr[j];
	memcpy(next, out->indptr, X->n_cols * sizeof(int64_t));
	for (int64_t i = 0; i < X->n_rows; i++)
		for (int64_t k = X->indptr[i]; k < X->indptr[i + 1]; k++) {
			int64_t p = next[X->indices[k]]++;
			out->indices[p] = (int32_t)i;
			(*perm)[p] = k;
		}
	g_free(next);
	return TRUE;
}

static gboolean
gcn_setup(struct gcn *g, const struct kith_csr *A, const struct kith_csr *X,
          int h, int c, gboolean training, GError **error)
{
	int64_t n = A->n_rows;
	GError **e = error;

	memset(g, 0, sizeof *g);
	g->n = n;
	g->f = X->n_cols;
	g->h = h;
	g->c = c;
	if (X->n_rows != n) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "features have %" G_GINT64_FORMAT " rows, graph %"
		            G_GINT64_FORMAT " nodes", X->n_rows, n);
		return FALSE;
	}
	if (!kith_adj_gcn(&g->A, A, TRUE, error))
		return FALSE;
	g->Xd = *X;
	g->Xd.owned = FALSE;
	g->xval = X->values;
	g->Xd.values = kith_floats_new(MAX(X->nnz, 1), FALSE, e);
	if (!g->Xd.values)
		return FALSE;
	if (X->values)
		memcpy(g->Xd.values, X->values, X->nnz * sizeof(float));
	else
		for (int64_t k = 0; k < X->nnz; k++)
			g->Xd.values[k] = 1.0f;
	if (!(g->XW = kith_floats_new(n * h, FALSE, e)) ||
	    !(g->P1 = kith_floats_new(n * h, FALSE, e)) ||
	    !(g->H = kith_floats_new(n * h, FALSE, e)) ||
	    !(g->HW = kith_floats_new(n * c, FALSE, e)) ||
	    !(g->Z = kith_floats_new(n * c, FALSE, e)))
		return FALSE;
	if (!training)
		return TRUE;
	if (!transpose_perm(&g->XT, &g->perm, X, error))
		return FALSE;
	if (!(g->xmask = kith_floats_new(MAX(X->nnz, 1), FALSE, e)) ||
	    !(g->hmask = kith_floats_new(n * h, FALSE, e)) ||
	    !(g->dZ = kith_floats_new(n * c, TRUE, e)) ||
	    !(g->dHW = kith_floats_new(n * c, FALSE, e)) ||
	    !(g->dH = kith_floats_new(n * h, FALSE, e)) ||
	    !(g->dXW = kith_floats_new(n * h, FALSE, e)) ||
	    !(g->gw1 = kith_floats_new(g->f * h, FALSE, e)) ||
	    !(g->gb1 = kith_floats_new(h, FALSE, e)) ||
	    !(g->gw2 = kith_floats_new((int64_t)h * c, FALSE, e)) ||
	    !(g->gb2 = kith_floats_new(c, FALSE, e)))
		return FALSE;
	return TRUE;
}

/* Fills the dropout masks of epoch `epoch` (keep prob 1-p, scale
 * 1/(1-p)); p = 0 gives all ones. */
static void
draw_masks(struct gcn *g, double p, uint64_t seed, int epoch)
{
	float keep = (float)(1.0 / (1.0 - p));
	int64_t nnz = g->Xd.nnz, nh = g->n * g->h;
	int64_t nb1 = (nnz + ROW_BLOCK * 64 - 1) / (ROW_BLOCK * 64);
	int64_t nb2 = (nh + ROW_BLOCK * 64 - 1) / (ROW_BLOCK * 64);

#pragma omp parallel for schedule(static) if (nnz + nh > PAR_MIN)
	for (int64_t b = 0; b < nb1 + nb2; b++) {
		struct kith_rng r;
		gboolean first = b < nb1;
		int64_t lo = (first ? b : b - nb1) * ROW_BLOCK * 64;
		int64_t hi = MIN(lo + ROW_BLOCK * 64, first ? nnz : nh);
		float *m = first ? g->xmask : g->hmask;
		kith_rng_seed(&r, seed, ((uint64_t)epoch << 40) ^
		              ((uint64_t)first << 39) ^ (uint64_t)b);
		for (int64_t k = lo; k < hi; k++)
			m[k] = p > 0 && kith_rng_uniform(&r) < p ? 0.0f : keep;
	}
}

/* Forward pass; masks applied when train.  Leaves XW, P1, H (after ReLU
 * and dropout when train: H holds drop(H)), HW, Z. */
static void
forward(struct gcn *g, const struct kith_gcn_model *m, gboolean train,
        gboolean relu_out)
{
	int64_t n = g->n;
	int h = g->h, c = g->c;

	if (train) {
#pragma omp parallel for schedule(static) if (g->Xd.nnz > PAR_MIN)
		for (int64_t k = 0; k < g->Xd.nnz; k++)
			g->Xd.values[k] = (g->xval ? g->xval[k] : 1.0f) *
			                  g->xmask[k];
	} else if (g->xval) {
		memcpy(g->Xd.values, g->xval, g->Xd.nnz * sizeof(float));
	} else {
		for (int64_t k = 0; k < g->Xd.nnz; k++)
			g->Xd.values[k] = 1.0f;
	}
	kith_spmm(g->XW, &g->Xd, m->w1, h);
	kith_spmm(g->P1, &g->A, g->XW, h);
	gnn_add_bias(g->P1, m->b1, n, h);
#pragma omp parallel for schedule(static) if (n * h > PAR_MIN)
	for (int64_t i = 0; i < n * h; i++) {
		float v = g->P1[i] > 0 ? g->P1[i] : 0.0f;
		g->H[i] = train ? v * g->hmask[i] : v;
	}
	gnn_gemm(FALSE, FALSE, n, c, h, g->H, m->w2, g->HW, 0.0f);
	kith_spmm(g->Z, &g->A, g->HW, c);
	gnn_add_bias(g->Z, m->b2, n, c);
	if (relu_out)
		for (int64_t i = 0; i < n * c; i++)
			g->Z[i] = g->Z[i] > 0 ? g->Z[i] : 0.0f;
}

/* Softmax cross-entropy: returns the mean loss over nodes of split `want`
 * and their accuracy in *acc; when dZ != NULL writes the gradient of the
 * mean loss for those nodes (zero elsewhere). */
static double
softmax_ce(const float *Z, float *dZ, int64_t n, int c, const int32_t *label,
           const uint8_t *split, int want, double *acc)
{
	double loss = 0;
	int64_t cnt = 0, hit = 0;

	for (int64_t i = 0; i < n; i++)
		if (split[i] == want && label[i] >= 0)
			cnt++;
	if (dZ)
		memset(dZ, 0, n * c * sizeof(float));
	if (cnt == 0) {
		*acc = -1;
		return 0;
	}
#pragma omp parallel for schedule(static) reduction(+ : loss, hit) \
	if (n * c > PAR_MIN)
	for (int64_t i = 0; i < n; i++) {
		if (split[i] != want || label[i] < 0)
			continue;
		const float *z = Z + i * c;
		float mx = z[0];
		int arg = 0;
		for (int j = 1; j < c; j++)
			if (z[j] > mx) {
				mx = z[j];
				arg = j;
			}
		double s = 0;
		for (int j = 0; j < c; j++)
			s += exp((double)(z[j] - mx));
		loss += log(s) - (z[label[i]] - mx);
		hit += arg == label[i];
		if (dZ)
			for (int j = 0; j < c; j++)
				dZ[i * c + j] = (float)((exp((double)(z[j] - mx)) / s -
				                         (j == label[i])) / cnt);
	}
	*acc = (double)hit / cnt;
	return loss / cnt;
}

/* Auto-encoder loss over the edges of A (without self-loops) and sampled
 * negatives; gradient (of the mean) into dZ.  Returns the mean loss. */
static double
gae_loss(const struct gcn *g, const struct kith_csr *A, const float *Z,
         float *dZ, int neg, uint64_t seed, int epoch)
{
	int64_t n = g->n, pairs = 0;
	int c = g->c;
	double loss = 0;

	for (int64_t i = 0; i < n; i++)
		pairs += (A->indptr[i + 1] - A->indptr[i]) * (1 + neg);
	memset(dZ, 0, n * c * sizeof(float));
	if (pairs == 0)
		return 0;
	float inv = 1.0f / (float)pairs;
#pragma omp parallel for schedule(dynamic, 64) reduction(+ : loss) \
	if (A->nnz * c * (1 + neg) > PAR_MIN)
	for (int64_t i = 0; i < n; i++) {
		struct kith_rng r;
		const float *zi = Z + i * c;
		float *di = dZ + i * c;
		kith_rng_seed(&r, seed ^ 0x9e3779b97f4a7c15ULL,
		              ((uint64_t)epoch << 40) ^ (uint64_t)i);
		for (int64_t k = A->indptr[i]; k < A->indptr[i + 1]; k++) {
			for (int s = 0; s <= neg; s++) {
				int64_t j = s == 0 ? A->indices[k] :
				    (int64_t)kith_rng_below(&r, (uint64_t)n);
				if (j == i)
					continue;
				const float *zj = Z + j * c;
				float dot = 0;
				for (int q = 0; q < c; q++)
					dot += zi[q] * zj[q];
				float y = s == 0 ? 1.0f : 0.0f;
				float pr = 1.0f / (1.0f + expf(-dot));
				loss += s == 0 ? -log(pr + 1e-12) :
				                 -log(1 - pr + 1e-12);
				float gr = (pr - y) * inv;
				for (int q = 0; q < c; q++)
					di[q] += gr * zj[q];
			}
		}
	}
	return loss / pairs;
}

/* Gradients of the weights from dZ (forward(train) state). */
static void
backward(struct gcn *g, const struct kith_gcn_model *m, gboolean relu_out,
         double wd)
{
	int64_t n = g->n;
	int h = g->h, c = g->c;

	if (relu_out)
		for (int64_t i = 0; i < n * c; i++)
			if (g->Z[i] <= 0)
				g->dZ[i] = 0;
	colsum(g->gb2, g->dZ, n, c);
	kith_spmm(g->dHW, &g->A, g->dZ, c);              /* Âᵀ = Â */
	gnn_gemm(TRUE, FALSE, h, c, n, g->H, g->dHW, g->gw2, 0.0f);
	gnn_gemm(FALSE, TRUE, n, h, c, g->dHW, m->w2, g->dH, 0.0f);
#pragma omp parallel for schedule(static) if (n * h > PAR_MIN)
	for (int64_t i = 0; i < n * h; i++)
		g->dH[i] = g->P1[i] > 0 ? g->dH[i] * g->hmask[i] : 0.0f;
	colsum(g->gb1, g->dH, n, h);
	kith_spmm(g->dXW, &g->A, g->dH, h);
#pragma omp parallel for schedule(static) if (g->XT.nnz > PAR_MIN)
	for (int64_t k = 0; k < g->XT.nnz; k++)
		g->XT.values[k] = g->Xd.values[g->perm[k]];
	kith_spmm(g->gw1, &g->XT, g->dXW, h);
	if (wd > 0)
		for (int64_t i = 0; i < g->f * h; i++)
			g->gw1[i] += (float)wd * m->w1[i];
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

static int
cmp_double(const void *x, const void *y)
{
	double u = *(const double *)x, v = *(const double *)y;
	return (u > v) - (u < v);
}

/* AUC of held-out pairs (val_pos, as row/col arrays) against the same
 * number of random pairs, scored by dot products of Z rows. */
static double
pair_auc(const float *Z, int64_t n, int c, const int32_t *pa,
         const int32_t *pb, int64_t np, uint64_t seed)
{
	struct kith_rng r;
	double *sp, *sn;
	int64_t wins2 = 0;

	if (np == 0 || n < 2)
		return -1;
	sp = g_new(double, np);
	sn = g_new(double, np);
	kith_rng_seed(&r, seed, 77);
	for (int64_t e = 0; e < np; e++) {
		int64_t a = kith_rng_below(&r, n), b = kith_rng_below(&r, n);
		double d1 = 0, d2 = 0;
		for (int q = 0; q < c; q++) {
			d1 += (double)Z[pa[e] * c + q] * Z[pb[e] * c + q];
			d2 += (double)Z[a * c + q] * Z[b * c + q];
		}
		sp[e] = d1;
		sn[e] = d2;
	}
	/* Sort both and merge: O(np log np). */
	qsort(sp, np, sizeof(double), cmp_double);
	qsort(sn, np, sizeof(double), cmp_double);
	int64_t j = 0, k = 0;
	for (int64_t i = 0; i < np; i++) {
		while (j < np && sn[j] < sp[i])
			j++;
		k = j;
		while (k < np && sn[k] == sp[i])
			k++;
		wins2 += 2 * j + (k - j);
	}
	g_free(sp);
	g_free(sn);
	return (double)wins2 / (2.0 * np * np);
}

/* ---- training (the hooks of train.c) ------------------------------------ */

/* One kith_gcn_train() call. */
struct gcn_run {
	struct gcn g;
	struct kith_gcn_model cur;      /* the weights being trained */
	struct kith_gcn_model *kept;    /* the best epoch's (the output) */
	const struct kith_gcn_params *p;
	const struct kith_csr *A, *X, *Aenc;
	struct kith_csr Atrain;         /* GAE: A without held-out pairs */
	const int32_t *label;
	const uint8_t *split;
	gboolean sup;
	int h, c;
	double drop;
	int32_t *vpa, *vpb;             /* GAE: held-out pairs */
	int64_t nvp;
	float *emb;
	int32_t *pred;
};

static gboolean
gcn_hook_setup(void *m, int phase, gboolean resuming, GError **error)
{
	struct gcn_run *G = m;
	const struct kith_gcn_params *p = G->p;
	struct kith_rng rng;
	int64_t f = G->X->n_cols;

	/* GAE: hold out 5 % of the undirected edges for model selection */
	G->Aenc = G->A;
	if (!G->sup) {
		if (!gnn_split_edges(&G->Atrain, &G->vpa, &G->vpb, &G->nvp, G->A,
		                     0.05, p->seed, 3, error))
			return FALSE;
		G->Aenc = &G->Atrain;
	}
	if (!gcn_setup(&G->g, G->Aenc, G->X, G->h, G->c, TRUE, error) ||
	    !model_alloc(&G->cur, f, G->h, G->c, G->sup, error) ||
	    !model_alloc(G->kept, f, G->h, G->c, G->sup, error))
		return FALSE;
	kith_rng_seed(&rng, p->seed, 1);
	gnn_glorot(G->cur.w1, f, G->h, &rng);
	gnn_glorot(G->cur.w2, G->h, G->c, &rng);
	model_copy(G->kept, &G->cur);
	if (!kith_adam_init(&G->g.aw1, f * G->h, (float)p->lr, error) ||
	    !kith_adam_init(&G->g.ab1, G->h, (float)p->lr, error) ||
	    !kith_adam_init(&G->g.aw2, (size_t)G->h * G->c, (float)p->lr,
	                    error) ||
	    !kith_adam_init(&G->g.ab2, G->c, (float)p->lr, error))
		return FALSE;
	gnn_blas_threads(G->A->n_rows, G->h, G->c);
	return TRUE;
}

/* One full-batch epoch: dropout masks and negatives of stream `epoch`. */
static gboolean
gcn_hook_step(void *m, int phase, int epoch, int step, int steps,
              double *loss, int64_t *weight, GError **error)
{
	struct gcn_run *G = m;
	struct gcn *g = &G->g;
	const struct kith_gcn_params *p = G->p;
	double acc;

	draw_masks(g, G->drop, p->seed, epoch);
	forward(g, &G->cur, TRUE, FALSE);
	if (G->sup)
		*loss = softmax_ce(g->Z, g->dZ, g->n, G->c, G->label, G->split,
		                   KITH_SPLIT_TRAIN, &acc);
	else
		*loss = gae_loss(g, G->Aenc, g->Z, g->dZ, p->neg, p->seed,
		                 epoch);
	/* GAE: no decay (its gradients are tiny at the start and the decay
	 * would shrink the encoder to zero) */
	backward(g, &G->cur, FALSE, G->sup ? p->weight_decay : 0.0);
	kith_adam_step(&g->aw1, G->cur.w1, g->gw1);
	kith_adam_step(&g->ab1, G->cur.b1, g->gb1);
	kith_adam_step(&g->aw2, G->cur.w2, g->gw2);
	kith_adam_step(&g->ab2, G->cur.b2, g->gb2);
	*weight = 1;
	return TRUE;
}

/* The updated weights without dropout: validation accuracy (its loss
 * breaks ties) or the AUC of the held-out pairs. */
static gboolean
gcn_hook_validate(void *m, int epoch, struct train_val *v, GError **error)
{
	struct gcn_run *G = m;
	struct gcn *g = &G->g;

	forward(g, &G->cur, FALSE, FALSE);
	if (G->sup) {
		v->loss = softmax_ce(g->Z, NULL, g->n, G->c, G->label, G->split,
		                     KITH_SPLIT_VAL, &v->score);
	} else {
		v->loss = 0;
		v->score = pair_auc(g->Z, g->n, G->c, G->vpa, G->vpb, G->nvp,
		                    G->p->seed);
	}
	v->score2 = -1;
	return TRUE;
}

static void
gcn_hook_keep_best(void *m)
{
	struct gcn_run *G = m;
	model_copy(G->kept, &G->cur);
}

/* Current weights, kept weights, Adam moments and step counts. */
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

/* A final pass with the kept weights on the full graph. */
static gboolean
gcn_hook_finish(void *m, const struct train_outcome *o,
                struct kith_train_report *rep, GError **error)
{
	struct gcn_run *G = m;
	int64_t n = G->A->n_rows;

	gcn_clear(&G->g);
	if (!G->sup)
		return kith_gcn_apply(G->emb, NULL, G->kept, G->A, G->X, error);
	g_autofree int32_t *own = G->pred ? NULL : g_new(int32_t, MAX(n, 1));
	int32_t *pr = G->pred ? G->pred : own;
	if (!kith_gcn_apply(G->emb, pr, G->kept, G->A, G->X, error))
		return FALSE;
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
	                     .pred = pred };
	g_autofree char *hash = NULL;

	memset(model, 0, sizeof *model);
	if (!gcn_check(p, A, label, split, G.h, G.c, n_classes, error))
		return FALSE;
	if (p->train.checkpoint_dir) {
		/* what fixes the trajectory (not max_epochs, patience or the
		 * time limit: a resumed run may change those) */
		g_autofree char *cfg = g_strdup_printf(
		    "gcn h=%d c=%d sup=%d lr=%.17g wd=%.17g drop=%.17g neg=%d "
		    "seed=%" G_GUINT64_FORMAT, G.h, G.c, sup, p->lr,
		    sup ? p->weight_decay : 0.0, G.drop, p->neg, p->seed);
		const struct kith_csr *mats[2] = { A, X };
		hash = ckpt_config_hash(cfg, mats, 2, label, split,
		                        sup ? A->n_rows : 0);
	}
	struct train_config c;
	int epochs, patience;
	gcn_schedule(p, sup, &epochs, &patience);
	train_config_init(&c, &p->train, epochs, patience);
	c.config_hash = hash;
	report->lr = p->lr;
	gboolean ok = train_run(&gcn_hooks, &G, &c, report, error);
	openblas_set_num_threads(kith_get_threads());
	gcn_clear(&G.g);
	kith_gcn_model_clear(&G.cur);
	kith_csr_clear(&G.Atrain);
	g_free(G.vpa);
	g_free(G.vpb);
	if (!ok)
		kith_gcn_model_clear(model);
	return ok;
}

gboolean
kith_gcn_apply(float *emb, int32_t *pred, const struct kith_gcn_model *m,
               const struct kith_csr *A, const struct kith_csr *X,
               GError **error)
{
	struct gcn g;
	int64_t n = A->n_rows;

	if (X->n_cols != m->n_in) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "features have %" G_GINT64_FORMAT " columns, the "
		            "model %" G_GINT64_FORMAT, X->n_cols, m->n_in);
		return FALSE;
	}
	if (!gcn_setup(&g, A, X, m->hidden, m->n_out, FALSE, error)) {
		gcn_clear(&g);
		return FALSE;
	}
	forward(&g, m, FALSE, FALSE);
	if (m->supervised) {
		memcpy(emb, g.H, n * m->hidden * sizeof(float));
		if (pred)
			argmax_rows(pred, g.Z, n, m->n_out);
	} else {
		memcpy(emb, g.Z, n * m->n_out * sizeof(float));
	}
	gcn_clear(&g);
	return TRUE;
}
