/*
 * GraphSAGE (Hamilton, Ying & Leskovec, NeurIPS 2017) with mean and pool
 * aggregators and the unsupervised link objective, over the joint graph of
 * users and items:
 *
 *   H0 = X·W0 (+ E)                              feature encoder (linear)
 *   H1 = ReLU(H0·Ws1 + AGG1(H0)·Wn1 + b1)
 *   Z  = H1·Ws2 + AGG2(H1)·Wn2 + b2              embedding (N x d)
 *   mean:  AGG(H)_i = (1/|S(i)|) Σ_{j∈S(i)} H_j   = (M·H)_i, M sparse
 *   pool:  AGG(H)_i = max_{j∈S(i)} ReLU(H_j·Wp + bp)  (element-wise)
 *   loss = mean over edges (i,j) of the training graph of
 *          -log σ(z_i·z_j) - Σ_{k ~ U(nodes), neg times} log σ(-z_i·z_k)
 *          + λ/2 ‖θ‖²
 *
 * Training is full-batch with sampled neighbourhoods: every epoch draws
 * S(i) for every node (fanout[1] neighbours for the first layer,
 * fanout[0] for the second, without replacement), builds M and Mᵀ, runs
 * the forward pass for all nodes and one Adam step.  Cost per epoch:
 * O(nnz(X)·d + N·(f0 + f1)·d + N·d²·c) plus O(nnz(G)·(1+neg)·d) for the
 * loss.  5 % of the undirected edges are held out of the training graph
 * and used for model selection (AUC against random pairs).  Inference
 * uses full neighbourhoods and is deterministic; it works on any graph
 * with features computed by the same schema (inductive: new nodes need
 * no retraining).  The loss of row i updates only z_i (its edges are
 * listed in both directions), so gradients need no atomics; the pool
 * aggregator's max-gradient scatter runs on one thread.
 * Every random draw of an epoch (neighbour samples, dropout masks,
 * negatives) comes from kith_rng streams keyed by (seed, epoch), so a
 * checkpoint after an epoch (weights, Adam moments, kept weights and the
 * early-stopping counters; written by the training driver, train.c, whose
 * hooks this file supplies) is all a resumed run needs to end with the
 * same bytes.
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
#include "kith/store.h"
#include "nn/gnn-internal.h"
#include "nn/train-internal.h"

#ifndef SAGE_ID_LR_SCALE
#define SAGE_ID_LR_SCALE 5.0
#endif

/* Scale of the cosine similarity in the link loss: σ(τ·cos(z_i, z_j)). */
#ifndef SAGE_TEMP
#define SAGE_TEMP 3.0f
#endif

enum { B_W0, B_WS1, B_WN1, B_B1, B_WP1, B_BP1, B_WS2, B_WN2, B_B2, B_WP2,
       B_BP2, B_N };
static const char *const block_names[B_N] = {
	"w0", "ws1", "wn1", "b1", "wp1", "bp1", "ws2", "wn2", "b2", "wp2", "bp2"
};

static void
layout(size_t off[B_N + 1], int64_t f, int d, gboolean pool)
{
	size_t sz[B_N] = { (size_t)f * d, (size_t)d * d, (size_t)d * d, d,
	                   pool ? (size_t)d * d : 0, pool ? d : 0,
	                   (size_t)d * d, (size_t)d * d, d,
	                   pool ? (size_t)d * d : 0, pool ? d : 0 };
	off[0] = 0;
	for (int b = 0; b < B_N; b++)
		off[b + 1] = off[b] + sz[b];
}

void
kith_sage_model_clear(struct kith_sage_model *m)
{
	g_free(m->params);
	g_free(m->id_emb);
	memset(m, 0, sizeof *m);
}

gboolean
kith_sage_block(const struct kith_sage_model *m, const char *name,
                size_t *offset, size_t *size)
{
	size_t off[B_N + 1];
	layout(off, m->n_in, m->dim, m->pool);
	for (int b = 0; b < B_N; b++)
		if (strcmp(name, block_names[b]) == 0) {
			*offset = off[b];
			*size = off[b + 1] - off[b];
			return *size > 0;
		}
	return FALSE;
}

void
kith_sage_params_init(struct kith_sage_params *p)
{
	memset(p, 0, sizeof *p);
	p->dim = 64;
	p->fanout[0] = 25;
	p->fanout[1] = 10;
	p->lr = 0.01;
	p->l2 = -1;
	p->neg = 1;
	p->val_ratio = 0.05;
	p->seed = 42;
	p->link_weight = 0;
	p->dropout = 0.5;
}

/* The effective values of p's auto fields: max_epochs 400; unsupervised
 * l2 1e-5, link weight 1, patience 50; supervised (labels) l2 5e-4, link
 * weight 0.3, patience 100 (the link loss then only regularises the
 * classifier: see kith-embed(1)). */
static struct kith_sage_params
sage_effective(const struct kith_sage_params *p)
{
	struct kith_sage_params e = *p;
	gboolean sup = p->label != NULL;

	if (e.train.max_epochs <= 0)
		e.train.max_epochs = 400;
	if (e.train.patience <= 0)
		e.train.patience = sup ? 100 : 50;
	if (e.l2 < 0)
		e.l2 = sup ? 5e-4 : 1e-5;
	if (e.link_weight <= 0)
		e.link_weight = sup ? 0.3 : 1.0;
	return e;
}

void
kith_sage_params_to_json(JsonBuilder *b, const struct kith_sage_params *p,
                         const struct kith_sage_model *m, const char *labels,
                         const char *from)
{
	struct kith_sage_params e = sage_effective(p);

	json_builder_set_member_name(b, "params");
	json_builder_begin_object(b);
	kith_json_put_int(b, "dim", m->dim);
	kith_json_put_string(b, "aggregator", m->pool ? "pool" : "mean");
	kith_json_put_int(b, "fanout_1", e.fanout[0]);
	kith_json_put_int(b, "fanout_2", e.fanout[1]);
	kith_json_put_int(b, "max_epochs", e.train.max_epochs);
	kith_json_put_double(b, "lr", e.lr);
	kith_json_put_double(b, "l2", e.l2);
	kith_json_put_int(b, "neg", e.neg);
	kith_json_put_double(b, "val_ratio", e.val_ratio);
	kith_json_put_int(b, "patience", e.train.patience);
	kith_json_put_string(b, "labels", labels);
	kith_json_put_double(b, "link_weight", e.label ? e.link_weight : 1.0);
	kith_json_put_double(b, "dropout", e.label ? e.dropout : 0.0);
	kith_json_put_bool(b, "id_emb", m->id_emb != NULL);
	kith_json_put_string(b, "from", from);
	json_builder_end_object(b);
}

/* Softmax head: logits = Z·Wc + bc; mean cross-entropy over nodes of split
 * `want` (accuracy in *acc); with dZ, adds the gradient w.r.t. Z into dZ
 * and the head's gradients into gW, gb (overwritten). */
static double
head_loss(const float *Z, int64_t N, int d, const float *Wc, const float *bc,
          int c, const int32_t *label, const uint8_t *split, int64_t nl,
          int want,
          float *logits, float *dZ, float *gW, float *gb, double *acc)
{
	int64_t cnt = 0, hit = 0;
	double loss = 0;

	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, c, d,
	            1.0f, Z, d, Wc, c, 0.0f, logits, c);
	for (int64_t i = 0; i < nl; i++)
		cnt += split[i] == want && label[i] >= 0;
	if (gW) {
		memset(gW, 0, (size_t)d * c * sizeof(float));
		memset(gb, 0, c * sizeof(float));
	}
	*acc = -1;
	if (cnt == 0)
		return 0;
	for (int64_t i = 0; i < N; i++) {
		float *z = logits + i * c;
		if (i >= nl || split[i] != want || label[i] < 0) {
			if (gW)
				memset(z, 0, c * sizeof(float));
			continue;
		}
		float mx = -INFINITY;
		int arg = 0;
		for (int j = 0; j < c; j++) {
			z[j] += bc[j];
			if (z[j] > mx) {
				mx = z[j];
				arg = j;
			}
		}
		double sum = 0;
		for (int j = 0; j < c; j++)
			sum += exp((double)(z[j] - mx));
		loss += log(sum) - (z[label[i]] - mx);
		hit += arg == label[i];
		if (gW)
			for (int j = 0; j < c; j++) {
				z[j] = (float)((exp((double)(z[j] - mx)) / sum -
				                (j == label[i])) / cnt);
				gb[j] += z[j];
			}
	}
	if (gW) {
		/* logits now holds dLogits (zero outside the train nodes) */
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, c,
		            (int)N, 1.0f, Z, d, logits, c, 0.0f, gW, c);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, d,
		            c, 1.0f, logits, c, Wc, c, 1.0f, dZ, d);
	}
	*acc = (double)hit / cnt;
	return loss / cnt;
}

gboolean
kith_sage_graph(struct kith_csr *G, const struct kith_store *s,
                GError **error)
{
	int64_t n = s->n_users, m = s->n_items, N = n + m;
	int64_t *cnt;
	struct kith_csr uu = { 0 };

	memset(G, 0, sizeof *G);
	/* Symmetrised user-user pattern without self-loops. */
	if (s->uu.nnz > 0) {
		struct kith_csr t;
		if (!kith_adj_gcn(&t, &s->uu, TRUE, error))
			return FALSE;
		/* drop the self-loops kith_adj_gcn added */
		if (!kith_csr_alloc(&uu, n, n, t.nnz - n, FALSE, error)) {
			kith_csr_clear(&t);
			return FALSE;
		}
		int64_t p = 0;
		uu.indptr[0] = 0;
		for (int64_t i = 0; i < n; i++) {
			for (int64_t k = t.indptr[i]; k < t.indptr[i + 1]; k++)
				if (t.indices[k] != i)
					uu.indices[p++] = t.indices[k];
			uu.indptr[i + 1] = p;
		}
		kith_csr_clear(&t);
	}
	cnt = kith_alloc0_n(N + 1, sizeof(int64_t), error);
	if (!cnt) {
		kith_csr_clear(&uu);
		return FALSE;
	}
	for (int64_t i = 0; i < n; i++)
		cnt[i + 1] = (uu.indptr ? uu.indptr[i + 1] - uu.indptr[i] : 0) +
		             s->ui.indptr[i + 1] - s->ui.indptr[i];
	for (int64_t j = 0; j < m; j++)
		cnt[n + j + 1] = s->iu.indptr[j + 1] - s->iu.indptr[j];
	for (int64_t i = 0; i < N; i++)
		cnt[i + 1] += cnt[i];
	if (!kith_csr_alloc(G, N, N, cnt[N], FALSE, error)) {
		g_free(cnt);
		kith_csr_clear(&uu);
		return FALSE;
	}
	memcpy(G->indptr, cnt, (N + 1) * sizeof(int64_t));
	for (int64_t i = 0; i < n; i++) {
		int64_t p = G->indptr[i];
		if (uu.indptr)
			for (int64_t k = uu.indptr[i]; k < uu.indptr[i + 1]; k++)
				G->indices[p++] = uu.indices[k];
		for (int64_t k = s->ui.indptr[i]; k < s->ui.indptr[i + 1]; k++)
			G->indices[p++] = (int32_t)(n + s->ui.indices[k]);
	}
	for (int64_t j = 0; j < m; j++) {
		int64_t p = G->indptr[n + j];
		for (int64_t k = s->iu.indptr[j]; k < s->iu.indptr[j + 1]; k++)
			G->indices[p++] = s->iu.indices[k];
	}
	g_free(cnt);
	kith_csr_clear(&uu);
	return TRUE;
}

/* ---- dense helpers ------------------------------------------------------ */

static void
colsum_add(float *out, const float *G, int64_t n, int c)
{
	for (int64_t i = 0; i < n; i++)
		for (int j = 0; j < c; j++)
			out[j] += G[i * c + j];
}

/* ---- one SAGE layer ------------------------------------------------------ */

/* Buffers of one layer (N x d each unless noted). */
struct layer {
	float *agg;      /* AGG(Hin) */
	float *q;        /* pool: ReLU(Hin·Wp + bp) */
	int32_t *arg;    /* pool: argmax neighbour per (i, k), -1 none */
	float *out;      /* pre-activation output */
};

/* out = Hin·Ws + AGG(Hin)·Wn + b with M the neighbourhood (values 1/|S|,
 * used by mean; pattern used by pool). */
static void
layer_forward(struct layer *L, const float *Hin, const struct kith_csr *M,
              const float *P, const size_t *off, int ws, int64_t N, int d,
              gboolean pool)
{
	const float *Ws = P + off[ws], *Wn = P + off[ws + 1],
	            *b = P + off[ws + 2], *Wp = P + off[ws + 3],
	            *bp = P + off[ws + 4];

	if (!pool) {
		kith_spmm(L->agg, M, Hin, d);
	} else {
		gnn_gemm(FALSE, FALSE, N, d, d, Hin, Wp, L->q, 0.0f);
#pragma omp parallel for schedule(static) if (N * d > PAR_MIN)
		for (int64_t i = 0; i < N; i++)
			for (int k = 0; k < d; k++) {
				float v = L->q[i * d + k] + bp[k];
				L->q[i * d + k] = v > 0 ? v : 0.0f;
			}
#pragma omp parallel for schedule(dynamic, 256) if (M->nnz * d > PAR_MIN)
		for (int64_t i = 0; i < N; i++) {
			float *a = L->agg + i * d;
			int32_t *g = L->arg + i * d;
			for (int k = 0; k < d; k++) {
				a[k] = 0.0f;
				g[k] = -1;
			}
			for (int64_t e = M->indptr[i]; e < M->indptr[i + 1]; e++) {
				int32_t j = M->indices[e];
				const float *qj = L->q + (int64_t)j * d;
				for (int k = 0; k < d; k++)
					if (g[k] < 0 || qj[k] > a[k]) {
						a[k] = qj[k];
						g[k] = j;
					}
			}
		}
	}
	gnn_gemm(FALSE, FALSE, N, d, d, Hin, Ws, L->out, 0.0f);
	gnn_gemm(FALSE, FALSE, N, d, d, L->agg, Wn, L->out, 1.0f);
	gnn_add_bias(L->out, b, N, d);
}

/* Given dOut (gradient of the pre-activation output), accumulates the
 * weight gradients into Gr and writes dHin (N x d).  dAgg, dQ: scratch. */
static void
layer_backward(const struct layer *L, const float *Hin, const float *dOut,
               const struct kith_csr *MT, const float *P, float *Gr,
               const size_t *off, int ws, int64_t N, int d, gboolean pool,
               float *dHin, float *dAgg, float *dQ)
{
	const float *Ws = P + off[ws], *Wn = P + off[ws + 1],
	            *Wp = P + off[ws + 3];

	gnn_gemm(TRUE, FALSE, d, d, N, Hin, dOut, Gr + off[ws], 1.0f);
	gnn_gemm(TRUE, FALSE, d, d, N, L->agg, dOut, Gr + off[ws + 1], 1.0f);
	colsum_add(Gr + off[ws + 2], dOut, N, d);
	gnn_gemm(FALSE, TRUE, N, d, d, dOut, Wn, dAgg, 0.0f);
	gnn_gemm(FALSE, TRUE, N, d, d, dOut, Ws, dHin, 0.0f);
	if (!pool) {
		kith_spmm_axpby(dHin, 1.0f, MT, 1.0f, dAgg, d);
	} else {
		memset(dQ, 0, N * d * sizeof(float));
		for (int64_t i = 0; i < N; i++)
			for (int k = 0; k < d; k++) {
				int32_t j = L->arg[i * d + k];
				if (j >= 0)
					dQ[(int64_t)j * d + k] += dAgg[i * d + k];
			}
		for (int64_t i = 0; i < N * d; i++)
			if (L->q[i] <= 0)
				dQ[i] = 0;
		gnn_gemm(TRUE, FALSE, d, d, N, Hin, dQ, Gr + off[ws + 3], 1.0f);
		colsum_add(Gr + off[ws + 4], dQ, N, d);
		gnn_gemm(FALSE, TRUE, N, d, d, dQ, Wp, dHin, 1.0f);
	}
}

/* ---- the network ------------------------------------------------------- */

struct sage {
	int64_t N, f;
	int d;
	gboolean pool;
	size_t off[B_N + 1];
	struct kith_csr M1, M2, M1T, M2T;   /* neighbourhoods (owned) */
	struct kith_csr XT;                 /* Xᵀ for dW0 (owned) */
	float *H0, *H1, *Z;
	struct layer L1, L2;
	float *dZ, *dH1, *dH0, *dAgg, *dQ;
	float *grad;
	float *mask0, *mask1;               /* dropout (NULL: none) */
	float *znorm;                       /* |Z_i| before normalisation */
	struct kith_csr Xd;                 /* X with input dropout (view) */
	int64_t *perm;                      /* XT entry -> X entry */
	float *xval;                        /* undropped X values */
};

static void
layer_free(struct layer *L)
{
	kith_floats_free(L->agg);
	kith_floats_free(L->q);
	g_free(L->arg);
	kith_floats_free(L->out);
}

static void
sage_clear(struct sage *s)
{
	kith_csr_clear(&s->M1);
	kith_csr_clear(&s->M2);
	kith_csr_clear(&s->M1T);
	kith_csr_clear(&s->M2T);
	kith_csr_clear(&s->XT);
	layer_free(&s->L1);
	layer_free(&s->L2);
	float *bufs[] = { s->H0, s->H1, s->Z, s->dZ, s->dH1, s->dH0, s->dAgg,
	                  s->dQ, s->grad, s->mask0, s->mask1, s->Xd.values };
	g_free(s->perm);
	g_free(s->znorm);
	for (size_t i = 0; i < G_N_ELEMENTS(bufs); i++)
		kith_floats_free(bufs[i]);
	memset(s, 0, sizeof *s);
}

static gboolean
layer_alloc(struct layer *L, int64_t N, int d, gboolean pool, GError **e)
{
	size_t nd = (size_t)N * d;
	if (!(L->agg = kith_floats_new(nd, FALSE, e)) ||
	    !(L->out = kith_floats_new(nd, FALSE, e)))
		return FALSE;
	if (pool && (!(L->q = kith_floats_new(nd, FALSE, e)) ||
	             !(L->arg = kith_alloc_n(nd, sizeof(int32_t), e))))
		return FALSE;
	return TRUE;
}

static gboolean
sage_setup(struct sage *s, int64_t N, int64_t f, int d, gboolean pool,
           gboolean training, GError **e)
{
	size_t nd = (size_t)N * d;

	memset(s, 0, sizeof *s);
	s->N = N;
	s->f = f;
	s->d = d;
	s->pool = pool;
	layout(s->off, f, d, pool);
	if (!(s->znorm = kith_alloc_n(MAX(N, 1), sizeof(float), e)) ||
	    !(s->H0 = kith_floats_new(nd, FALSE, e)) ||
	    !(s->H1 = kith_floats_new(nd, FALSE, e)) ||
	    !(s->Z = kith_floats_new(nd, FALSE, e)) ||
	    !layer_alloc(&s->L1, N, d, pool, e) ||
	    !layer_alloc(&s->L2, N, d, pool, e))
		return FALSE;
	if (!training)
		return TRUE;
	if (!(s->dZ = kith_floats_new(nd, FALSE, e)) ||
	    !(s->dH1 = kith_floats_new(nd, FALSE, e)) ||
	    !(s->dH0 = kith_floats_new(nd, FALSE, e)) ||
	    !(s->dAgg = kith_floats_new(nd, FALSE, e)) ||
	    !(s->dQ = kith_floats_new(nd, FALSE, e)) ||
	    !(s->grad = kith_floats_new(s->off[B_N], FALSE, e)))
		return FALSE;
	return TRUE;
}

/* M = row-normalised sample of at most `fanout` neighbours per node of G
 * (all when fanout <= 0 or the degree is smaller), seeded per node. */
static gboolean
sample_neighbours(struct kith_csr *M, struct kith_csr *MT,
                  const struct kith_csr *G, int fanout, uint64_t seed,
                  uint64_t stream, GError **error)
{
	int64_t N = G->n_rows, nnz = 0;

	kith_csr_clear(M);
	kith_csr_clear(MT);
	for (int64_t i = 0; i < N; i++) {
		int64_t dg = G->indptr[i + 1] - G->indptr[i];
		nnz += fanout > 0 && dg > fanout ? fanout : dg;
	}
	if (!kith_csr_alloc(M, N, N, nnz, TRUE, error))
		return FALSE;
	M->indptr[0] = 0;
	for (int64_t i = 0; i < N; i++) {
		int64_t dg = G->indptr[i + 1] - G->indptr[i];
		M->indptr[i + 1] = M->indptr[i] +
		                   (fanout > 0 && dg > fanout ? fanout : dg);
	}
#pragma omp parallel for schedule(dynamic, 512) if (nnz > PAR_MIN)
	for (int64_t i = 0; i < N; i++) {
		const int32_t *nb = G->indices + G->indptr[i];
		int64_t dg = G->indptr[i + 1] - G->indptr[i];
		int64_t k = M->indptr[i + 1] - M->indptr[i];
		int32_t *out = M->indices + M->indptr[i];
		if (k == dg) {
			memcpy(out, nb, dg * sizeof(int32_t));
		} else {
			/* Floyd's sampling of k positions out of dg, kept in
			 * increasing order by insertion. */
			struct kith_rng r;
			int64_t c = 0;
			kith_rng_seed(&r, seed, (stream << 40) ^ (uint64_t)i);
			for (int64_t t = dg - k; t < dg; t++) {
				int64_t pos = kith_rng_below(&r, t + 1);
				gboolean seen = FALSE;
				for (int64_t q = 0; q < c; q++)
					if (out[q] == pos) {
						seen = TRUE;
						break;
					}
				out[c++] = (int32_t)(seen ? t : pos);
			}
			for (int64_t a = 1; a < c; a++) {
				int32_t x = out[a];
				int64_t b = a - 1;
				while (b >= 0 && out[b] > x) {
					out[b + 1] = out[b];
					b--;
				}
				out[b + 1] = x;
			}
			for (int64_t q = 0; q < c; q++)
				out[q] = nb[out[q]];
		}
		for (int64_t q = 0; q < k; q++)
			M->values[M->indptr[i] + q] = 1.0f / (float)k;
	}
	return kith_csr_transpose(MT, M, error);
}

static void
sage_forward(struct sage *s, const float *P, const float *E,
             const int64_t *id_map, const struct kith_csr *X)
{
	int64_t N = s->N;
	int d = s->d;

	kith_spmm(s->H0, X, P + s->off[B_W0], d);
	if (E) {
#pragma omp parallel for schedule(static) if (N * d > PAR_MIN)
		for (int64_t i = 0; i < N; i++) {
			int64_t r = id_map ? id_map[i] : i;
			if (r >= 0)
				for (int k = 0; k < d; k++)
					s->H0[i * d + k] += E[r * d + k];
		}
	}
	if (s->mask0)
		for (int64_t i = 0; i < N * d; i++)
			s->H0[i] *= s->mask0[i];
	layer_forward(&s->L1, s->H0, &s->M1, P, s->off, B_WS1, N, d, s->pool);
#pragma omp parallel for schedule(static) if (N * d > PAR_MIN)
	for (int64_t i = 0; i < N * d; i++)
		s->H1[i] = s->L1.out[i] > 0 ? s->L1.out[i] : 0.0f;
	if (s->mask1)
		for (int64_t i = 0; i < N * d; i++)
			s->H1[i] *= s->mask1[i];
	layer_forward(&s->L2, s->H1, &s->M2, P, s->off, B_WS2, N, d, s->pool);
	/* Z = rows of the output scaled to unit length */
#pragma omp parallel for schedule(static) if (N * d > PAR_MIN)
	for (int64_t i = 0; i < N; i++) {
		const float *o = s->L2.out + i * d;
		double sq = 0;
		for (int k = 0; k < d; k++)
			sq += (double)o[k] * o[k];
		float nm = (float)sqrt(sq) + 1e-12f;
		s->znorm[i] = nm;
		for (int k = 0; k < d; k++)
			s->Z[i * d + k] = o[k] / nm;
	}
}

/* Link loss over the training graph T; gradient of the mean into dZ. */
static double
link_loss(const struct kith_csr *T, const float *Z, float *dZ, int64_t N,
          int d, int neg, uint64_t seed, int epoch)
{
	double loss = 0;
	int64_t pairs = T->nnz * (1 + neg);

	memset(dZ, 0, N * d * sizeof(float));
	if (pairs == 0)
		return 0;
	float inv = 1.0f / (float)pairs;
#pragma omp parallel for schedule(dynamic, 64) reduction(+ : loss) \
	if (pairs * d > PAR_MIN)
	for (int64_t i = 0; i < N; i++) {
		struct kith_rng r;
		const float *zi = Z + i * d;
		float *di = dZ + i * d;
		kith_rng_seed(&r, seed ^ 0x5851f42d4c957f2dULL,
		              ((uint64_t)epoch << 40) ^ (uint64_t)i);
		for (int64_t e = T->indptr[i]; e < T->indptr[i + 1]; e++)
			for (int s = 0; s <= neg; s++) {
				int64_t j = s == 0 ? T->indices[e] :
				    (int64_t)kith_rng_below(&r, (uint64_t)N);
				const float *zj = Z + j * d;
				float dot = 0;
				for (int k = 0; k < d; k++)
					dot += zi[k] * zj[k];
				float y = s == 0 ? 1.0f : 0.0f;
				float pr = 1.0f / (1.0f + expf(-SAGE_TEMP * dot));
				loss += s == 0 ? -log(pr + 1e-12)
				               : -log(1 - pr + 1e-12);
				float gr = (pr - y) * inv * SAGE_TEMP;
				for (int k = 0; k < d; k++)
					di[k] += gr * zj[k];
			}
	}
	return loss / pairs;
}

static void
sage_backward(struct sage *s, const float *P, const struct kith_csr *X,
              float *gE)
{
	int64_t N = s->N;
	int d = s->d;

	memset(s->grad, 0, s->off[B_N] * sizeof(float));
#pragma omp parallel for schedule(static) if (N * d > PAR_MIN)
	for (int64_t i = 0; i < N; i++) {
		float *g = s->dZ + i * d;
		const float *z = s->Z + i * d;
		float dot = 0;
		for (int k = 0; k < d; k++)
			dot += z[k] * g[k];
		for (int k = 0; k < d; k++)
			g[k] = (g[k] - z[k] * dot) / s->znorm[i];
	}
	layer_backward(&s->L2, s->H1, s->dZ, &s->M2T, P, s->grad, s->off,
	               B_WS2, N, d, s->pool, s->dH1, s->dAgg, s->dQ);
#pragma omp parallel for schedule(static) if (N * d > PAR_MIN)
	for (int64_t i = 0; i < N * d; i++)
		if (s->L1.out[i] <= 0)
			s->dH1[i] = 0;
		else if (s->mask1)
			s->dH1[i] *= s->mask1[i];
	layer_backward(&s->L1, s->H0, s->dH1, &s->M1T, P, s->grad, s->off,
	               B_WS1, N, d, s->pool, s->dH0, s->dAgg, s->dQ);
	if (s->mask0)
		for (int64_t i = 0; i < N * d; i++)
			s->dH0[i] *= s->mask0[i];
	kith_spmm(s->grad + s->off[B_W0], &s->XT, s->dH0, d);
	if (gE)
		memcpy(gE, s->dH0, N * d * sizeof(float));
}

static double
pair_auc(const float *Z, int64_t N, int d, const int32_t *pa,
         const int32_t *pb, int64_t np, uint64_t seed)
{
	struct kith_rng r;
	int64_t wins2 = 0;

	if (np == 0 || N < 2)
		return -1;
	kith_rng_seed(&r, seed, 99);
	/* O(np · 20): each positive against 20 random pairs. */
	for (int64_t e = 0; e < np; e++) {
		double sp = 0;
		for (int k = 0; k < d; k++)
			sp += (double)Z[pa[e] * d + k] * Z[pb[e] * d + k];
		for (int t = 0; t < 20; t++) {
			int64_t a = kith_rng_below(&r, N), b = kith_rng_below(&r, N);
			double sn = 0;
			for (int k = 0; k < d; k++)
				sn += (double)Z[a * d + k] * Z[b * d + k];
			wins2 += sp > sn ? 2 : sp == sn ? 1 : 0;
		}
	}
	return (double)wins2 / (2.0 * np * 20);
}

/* ---- training (the hooks of train.c) ------------------------------------ */

/* One kith_sage_train() call. */
struct sage_run {
	struct sage s;
	struct kith_sage_model cur;     /* the weights being trained */
	struct kith_sage_model *kept;   /* the best epoch's (the output) */
	const struct kith_sage_params *p;
	const struct kith_csr *G, *X;
	struct kith_csr T;              /* G without the held-out pairs */
	int32_t *va, *vb;               /* held-out pairs */
	int64_t nv;
	struct kith_adam adam, adamE;   /* weights, id embeddings */
	float *gE;                      /* gradient of the id embeddings */
	gboolean sup;
	double drop;
	int nc;                         /* classes (supervised) */
	float *Wc, *bc, *gWc, *gbc, *logits;   /* the softmax head */
	struct kith_adam adamW, adamB;
	float *emb;
};

/* Xᵀ (for the gradient of W0) with, per entry, its X entry (the input
 * dropout mask is drawn on X's entries), and the undropped values. */
static gboolean
sage_setup_inputs(struct sage *s, const struct kith_csr *X, GError **error)
{
	int64_t f = X->n_cols, N = X->n_rows;
	g_autofree int64_t *next = NULL;

	if (!kith_csr_alloc(&s->XT, f, N, X->nnz, TRUE, error))
		return FALSE;
	s->perm = kith_alloc_n(MAX(X->nnz, 1), sizeof(int64_t), error);
	next = kith_alloc0_n(f + 1, sizeof(int64_t), error);
	s->Xd = *X;
	s->Xd.owned = FALSE;
	s->Xd.values = kith_floats_new(MAX(X->nnz, 1), FALSE, error);
	if (!s->perm || !next || !s->Xd.values)
		return FALSE;
	memset(s->XT.indptr, 0, (f + 1) * sizeof(int64_t));
	for (int64_t k = 0; k < X->nnz; k++)
		s->XT.indptr[X->indices[k] + 1]++;
	for (int64_t j = 0; j < f; j++)
		s->XT.indptr[j + 1] += s->XT.indptr[j];
	memcpy(next, s->XT.indptr, f * sizeof(int64_t));
	for (int64_t i = 0; i < N; i++)
		for (int64_t k = X->indptr[i]; k < X->indptr[i + 1]; k++) {
			int64_t q = next[X->indices[k]]++;
			s->XT.indices[q] = (int32_t)i;
			s->perm[q] = k;
		}
	for (int64_t k = 0; k < X->nnz; k++)
		s->Xd.values[k] = X->values ? X->values[k] : 1.0f;
	for (int64_t q = 0; q < X->nnz; q++)
		s->XT.values[q] = s->Xd.values[s->perm[q]];
	return TRUE;
}

/* Glorot weights (biases zero), id embeddings N(0, 0.1²) with their own
 * optimiser, a copy as the kept model, Adam of the weights. */
static gboolean
sage_init_weights(struct sage_run *S, struct kith_rng *rng, GError **error)
{
	const struct kith_sage_params *p = S->p;
	struct kith_sage_model *cur = &S->cur;
	int64_t N = S->G->n_rows, f = S->X->n_cols;
	int d = p->dim;

	*cur = (struct kith_sage_model){ .n_in = f, .dim = d, .pool = p->pool,
	                                 .n_params = S->s.off[B_N] };
	cur->params = kith_alloc0_n(cur->n_params, sizeof(float), error);
	if (!cur->params)
		return FALSE;
	for (int b = 0; b < B_N; b++) {
		size_t sz = S->s.off[b + 1] - S->s.off[b];
		if (sz == (size_t)d || sz == 0)
			continue;       /* biases start at zero */
		gnn_glorot(cur->params + S->s.off[b], b == B_W0 ? f : d, d, rng);
	}
	if (p->id_emb) {
		cur->n_id = N;
		cur->id_emb = kith_alloc_n(N * d, sizeof(float), error);
		S->gE = cur->id_emb ? kith_floats_new(N * d, FALSE, error) : NULL;
		/* each row of E gets one gradient per epoch: a larger step */
		if (!S->gE || !kith_adam_init(&S->adamE, N * d,
		                              (float)(SAGE_ID_LR_SCALE * p->lr),
		                              error))
			return FALSE;
		for (int64_t k = 0; k < N * d; k++)
			cur->id_emb[k] = (float)(kith_rng_normal(rng) * 0.1);
	}
	*S->kept = *cur;
	S->kept->params = g_memdup2(cur->params, cur->n_params * sizeof(float));
	S->kept->id_emb = cur->id_emb ?
	    g_memdup2(cur->id_emb, N * d * sizeof(float)) : NULL;
	return kith_adam_init(&S->adam, cur->n_params, (float)p->lr, error);
}

/* The softmax head of supervised training (Glorot, from rng). */
static gboolean
sage_init_head(struct sage_run *S, struct kith_rng *rng, GError **error)
{
	int d = S->p->dim, nc = S->nc;
	int64_t N = S->G->n_rows;

	if (nc < 2) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "sage needs labels of at least two classes");
		return FALSE;
	}
	S->Wc = g_new(float, (size_t)d * nc);
	S->bc = g_new0(float, nc);
	S->gWc = g_new(float, (size_t)d * nc);
	S->gbc = g_new(float, nc);
	S->logits = kith_floats_new((size_t)N * nc, FALSE, error);
	if (!S->logits ||
	    !kith_adam_init(&S->adamW, (size_t)d * nc, (float)S->p->lr,
	                    error) ||
	    !kith_adam_init(&S->adamB, nc, (float)S->p->lr, error))
		return FALSE;
	gnn_glorot(S->Wc, d, nc, rng);
	return TRUE;
}

static gboolean
sage_hook_setup(void *m, int phase, gboolean resuming, GError **error)
{
	struct sage_run *S = m;
	const struct kith_sage_params *p = S->p;
	struct kith_rng rng;

	/* training graph: G without the held-out undirected pairs */
	if (!gnn_split_edges(&S->T, &S->va, &S->vb, &S->nv, S->G, p->val_ratio,
	                     p->seed, 5, error) ||
	    !sage_setup(&S->s, S->G->n_rows, S->X->n_cols, p->dim, p->pool,
	                TRUE, error) ||
	    !sage_setup_inputs(&S->s, S->X, error))
		return FALSE;
	kith_rng_seed(&rng, p->seed, 1);
	if (!sage_init_weights(S, &rng, error) ||
	    (S->sup && !sage_init_head(S, &rng, error)))
		return FALSE;
	gnn_blas_threads(S->G->n_rows, p->dim, p->dim);
	return TRUE;
}

/* The dropout masks of an epoch: on H0, H1 and the nonzeros of X. */
static gboolean
draw_dropout(struct sage_run *S, int epoch, GError **error)
{
	struct sage *s = &S->s;
	const struct kith_csr *X = S->X;
	int64_t nd = S->G->n_rows * (int64_t)S->p->dim;
	float keep = (float)(1.0 / (1.0 - S->drop));
	struct kith_rng mr;

	if (!s->mask0) {
		s->mask0 = kith_floats_new((size_t)nd, FALSE, error);
		s->mask1 = s->mask0 ? kith_floats_new((size_t)nd, FALSE, error)
		                    : NULL;
		if (!s->mask1)
			return FALSE;
	}
	kith_rng_seed(&mr, S->p->seed, ((uint64_t)epoch << 40) | 7);
	for (int64_t k = 0; k < nd; k++) {
		s->mask0[k] = kith_rng_uniform(&mr) < S->drop ? 0 : keep;
		s->mask1[k] = kith_rng_uniform(&mr) < S->drop ? 0 : keep;
	}
	for (int64_t k = 0; k < X->nnz; k++)
		s->Xd.values[k] = kith_rng_uniform(&mr) < S->drop ? 0 :
		    keep * (X->values ? X->values[k] : 1.0f);
	for (int64_t q = 0; q < X->nnz; q++)
		s->XT.values[q] = s->Xd.values[s->perm[q]];
	return TRUE;
}

/* One full-batch epoch on neighbourhoods sampled for `epoch`. */
static gboolean
sage_hook_step(void *m, int phase, int epoch, int step, int steps,
               double *loss, int64_t *weight, GError **error)
{
	struct sage_run *S = m;
	struct sage *s = &S->s;
	const struct kith_sage_params *p = S->p;
	int64_t N = S->G->n_rows, nd = N * (int64_t)p->dim;

	if (!sample_neighbours(&s->M1, &s->M1T, &S->T, p->fanout[1], p->seed,
	                       2 * epoch, error) ||
	    !sample_neighbours(&s->M2, &s->M2T, &S->T, p->fanout[0], p->seed,
	                       2 * epoch + 1, error) ||
	    (S->drop > 0 && !draw_dropout(S, epoch, error)))
		return FALSE;
	sage_forward(s, S->cur.params, S->cur.id_emb, NULL, &s->Xd);
	*loss = link_loss(&S->T, s->Z, s->dZ, N, p->dim, p->neg, p->seed,
	                  epoch);
	if (S->sup) {
		double tacc;
		if (p->link_weight != 1.0) {
			float w = (float)p->link_weight;
			for (int64_t k = 0; k < nd; k++)
				s->dZ[k] *= w;
			*loss *= w;
		}
		*loss += head_loss(s->Z, N, p->dim, S->Wc, S->bc, S->nc, p->label,
		                   p->split, p->n_label, KITH_SPLIT_TRAIN,
		                   S->logits, s->dZ, S->gWc, S->gbc, &tacc);
	}
	sage_backward(s, S->cur.params, &s->Xd, S->gE);
	if (p->l2 > 0)
		for (size_t k = 0; k < S->cur.n_params; k++)
			s->grad[k] += (float)p->l2 * S->cur.params[k];
	kith_adam_step(&S->adam, S->cur.params, s->grad);
	if (S->gE)
		kith_adam_step(&S->adamE, S->cur.id_emb, S->gE);
	if (S->sup) {
		kith_adam_step(&S->adamW, S->Wc, S->gWc);
		kith_adam_step(&S->adamB, S->bc, S->gbc);
	}
	*weight = 1;
	return TRUE;
}

/* Full neighbourhoods of the training graph, no dropout: validation
 * accuracy of the head, or the AUC of the held-out pairs. */
static gboolean
sage_hook_validate(void *m, int epoch, struct train_val *v, GError **error)
{
	struct sage_run *S = m;
	struct sage *s = &S->s;
	const struct kith_sage_params *p = S->p;
	int64_t N = S->G->n_rows;
	float *m0 = s->mask0, *m1 = s->mask1;

	*v = (struct train_val){ -1, -1, NAN };
	if (S->nv == 0 && !S->sup)
		return TRUE;
	if (!sample_neighbours(&s->M1, &s->M1T, &S->T, 0, 0, 0, error))
		return FALSE;
	kith_csr_clear(&s->M2);
	kith_csr_clear(&s->M2T);
	s->M2 = s->M1;
	s->M2.owned = FALSE;
	s->mask0 = s->mask1 = NULL;
	sage_forward(s, S->cur.params, S->cur.id_emb, NULL, S->X);
	s->mask0 = m0;
	s->mask1 = m1;
	if (S->sup)
		head_loss(s->Z, N, p->dim, S->Wc, S->bc, S->nc, p->label,
		          p->split, p->n_label, KITH_SPLIT_VAL, S->logits, NULL,
		          NULL, NULL, &v->score);
	else
		v->score = pair_auc(s->Z, N, p->dim, S->va, S->vb, S->nv,
		                    p->seed);
	memset(&s->M2, 0, sizeof s->M2);
	return TRUE;
}

static void
sage_hook_keep_best(void *m)
{
	struct sage_run *S = m;
	memcpy(S->kept->params, S->cur.params,
	       S->cur.n_params * sizeof(float));
	if (S->cur.id_emb)
		memcpy(S->kept->id_emb, S->cur.id_emb,
		       S->cur.n_id * S->cur.dim * sizeof(float));
}

/* Weights, kept weights, id embeddings, the head and every optimiser. */
static void
sage_hook_items(void *m, struct ckpt_items *it)
{
	struct sage_run *S = m;
	int64_t np = (int64_t)S->cur.n_params, d = S->p->dim;

	memset(it, 0, sizeof *it);
	ckpt_add_array(it, "params.npy", S->cur.params, np, 0);
	ckpt_add_array(it, "best_params.npy", S->kept->params, np, 0);
	ckpt_add_adam(it, "", &S->adam);
	if (S->cur.id_emb) {
		ckpt_add_array(it, "id_emb.npy", S->cur.id_emb, S->cur.n_id, d);
		ckpt_add_array(it, "best_id_emb.npy", S->kept->id_emb,
		               S->cur.n_id, d);
		ckpt_add_adam(it, "_id", &S->adamE);
	}
	if (S->sup) {
		ckpt_add_array(it, "head_w.npy", S->Wc, d, S->nc);
		ckpt_add_array(it, "head_b.npy", S->bc, S->nc, 0);
		ckpt_add_adam(it, "_head_w", &S->adamW);
		ckpt_add_adam(it, "_head_b", &S->adamB);
	}
}

/* The embeddings of the kept weights, full neighbourhoods of G. */
static gboolean
sage_hook_finish(void *m, const struct train_outcome *o,
                 struct kith_train_report *rep, GError **error)
{
	struct sage_run *S = m;
	sage_clear(&S->s);
	return kith_sage_apply(S->emb, S->kept, S->G, S->X, NULL, error);
}

static const struct train_hooks sage_hooks = {
	.model = "sage",
	.setup = sage_hook_setup,
	.step = sage_hook_step,
	.validate = sage_hook_validate,
	.keep_best = sage_hook_keep_best,
	.items = sage_hook_items,
	.finish = sage_hook_finish,
};

/* What fixes the trajectory (not max_epochs, patience or the time limit:
 * a resumed run may change those). */
static char *
sage_config_hash(const struct kith_sage_params *p, const struct kith_csr *G,
                 const struct kith_csr *X, gboolean sup, double drop)
{
	g_autofree char *cfg = g_strdup_printf(
	    "sage d=%d fanout=%d,%d pool=%d id=%d lr=%.17g l2=%.17g "
	    "neg=%d val=%.17g seed=%" G_GUINT64_FORMAT " classes=%d "
	    "lw=%.17g drop=%.17g temp=%.17g idlr=%.17g", p->dim,
	    p->fanout[0], p->fanout[1], p->pool, p->id_emb, p->lr,
	    p->l2, p->neg, p->val_ratio, p->seed, sup ? p->n_classes : 0,
	    sup ? p->link_weight : 1.0, drop, (double)SAGE_TEMP,
	    (double)SAGE_ID_LR_SCALE);
	const struct kith_csr *mats[2] = { G, X };
	return ckpt_config_hash(cfg, mats, 2, p->label, p->split,
	                        sup ? p->n_label : 0);
}

static void
sage_run_clear(struct sage_run *S)
{
	struct kith_adam *ad[] = { &S->adam, &S->adamE, &S->adamW, &S->adamB };
	void *own[] = { S->Wc, S->bc, S->gWc, S->gbc, S->va, S->vb };

	sage_clear(&S->s);
	kith_csr_clear(&S->T);
	for (size_t i = 0; i < G_N_ELEMENTS(ad); i++)
		kith_adam_clear(ad[i]);
	for (size_t i = 0; i < G_N_ELEMENTS(own); i++)
		g_free(own[i]);
	kith_sage_model_clear(&S->cur);
	kith_floats_free(S->gE);
	kith_floats_free(S->logits);
}

gboolean
kith_sage_train(float *emb, struct kith_sage_model *model,
                struct kith_train_report *report, const struct kith_csr *G,
                const struct kith_csr *X, const struct kith_sage_params *params,
                GError **error)
{
	struct kith_sage_params eff = sage_effective(params);
	const struct kith_sage_params *p = &eff;
	gboolean sup = p->label != NULL;
	struct sage_run S = { .kept = model, .p = p, .G = G, .X = X,
	                      .sup = sup, .drop = sup ? p->dropout : 0.0,
	                      .nc = sup ? p->n_classes : 0, .emb = emb };
	int64_t N = G->n_rows;
	g_autofree char *hash = NULL;

	memset(model, 0, sizeof *model);
	if (p->dim < 1 || p->lr <= 0 || p->neg < 0 || N < 2 ||
	    X->n_rows != N || (sup && (p->n_label > N || !p->split)) ||
	    p->val_ratio < 0 || p->val_ratio >= 1) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "invalid sage parameters");
		return FALSE;
	}
	if (!train_options_check(&p->train, error))
		return FALSE;
	if (p->train.checkpoint_dir)
		hash = sage_config_hash(p, G, X, sup, S.drop);
	struct train_config c;
	train_config_init(&c, &p->train, 400, 50);
	c.config_hash = hash;
	report->lr = p->lr;
	gboolean ok = train_run(&sage_hooks, &S, &c, report, error);
	openblas_set_num_threads(kith_get_threads());
	sage_run_clear(&S);
	if (!ok)
		kith_sage_model_clear(model);
	return ok;
}

gboolean
kith_sage_apply(float *emb, const struct kith_sage_model *m,
                const struct kith_csr *G, const struct kith_csr *X,
                const int64_t *id_map, GError **error)
{
	struct sage s;
	int64_t N = G->n_rows;
	gboolean ok = FALSE;

	if (X->n_cols != m->n_in || X->n_rows != N) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "features are %" G_GINT64_FORMAT " x %"
		            G_GINT64_FORMAT ", the model expects %"
		            G_GINT64_FORMAT " columns", X->n_rows, X->n_cols,
		            m->n_in);
		return FALSE;
	}
	if (m->id_emb && !id_map && N != m->n_id) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "id embeddings need a node map for a new graph");
		return FALSE;
	}
	if (!sage_setup(&s, N, m->n_in, m->dim, m->pool, FALSE, error) ||
	    !sample_neighbours(&s.M1, &s.M1T, G, 0, 0, 0, error))
		goto out;
	s.M2 = s.M1;
	s.M2.owned = FALSE;
	sage_forward(&s, m->params, m->id_emb, id_map, X);
	memcpy(emb, s.Z, N * m->dim * sizeof(float));
	memset(&s.M2, 0, sizeof s.M2);
	ok = TRUE;
out:
	sage_clear(&s);
	return ok;
}
