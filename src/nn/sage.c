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
 * (each pair by a hash of the seed and the pair, gnn_pair_held()) and
 * used for model selection (their AUC against as many random pairs,
 * gnn_val_auc()).  Inference
 * uses full neighbourhoods and is deterministic; it works on any graph
 * with features computed by the same schema (inductive: new nodes need
 * no retraining).  The loss of row i updates only z_i (its edges are
 * listed in both directions), so gradients need no atomics; the pool
 * aggregator's max-gradient scatter runs on one thread.
 * Every random draw of an epoch (neighbour samples, dropout masks,
 * negatives) comes from kith_rng streams keyed by (seed, epoch, node or
 * block of entries), the id embeddings' start from (seed, node), so a
 * checkpoint after an epoch (weights, Adam moments, kept weights and the
 * early-stopping counters; written by the training driver, train.c, whose
 * hooks this file supplies) is all a resumed run needs to end with the
 * same bytes.  Under mpirun every rank runs the same hooks over its
 * nodes (see "the graph over the ranks" below); one process is the case
 * of one rank.
 */
#include "config.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "kith/eval.h"
#include "kith/core.h"
#include "kith/io.h"
#include "kith/memest.h"
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

gboolean
kith_sage_graph_rows(struct kith_csr *G, const struct kith_store *s,
                     int64_t r0, int64_t r1, GError **error)
{
	int64_t n = s->n_users, N = n + s->n_items, rows = r1 - r0;
	int64_t u0 = MIN(r0, n), u1 = MIN(r1, n);
	const struct kith_csr *uu = &s->uu;
	gboolean social = uu->nnz > 0 && uu->indptr != NULL;
	struct kith_csr At = { 0 };
	g_autofree int64_t *cnt = NULL;
	gboolean ok = FALSE;

	memset(G, 0, sizeof *G);
	if (r0 < 0 || r1 < r0 || r1 > N) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE, "graph rows "
		            "%" G_GINT64_FORMAT "..%" G_GINT64_FORMAT " outside "
		            "0..%" G_GINT64_FORMAT, r0, r1, N);
		return FALSE;
	}
	if ((social && u1 > u0 && !gnn_in_links(&At, uu, u0, u1, error)) ||
	    !(cnt = kith_alloc0_n(rows + 1, sizeof(int64_t), error)))
		goto out;
	/* a user: its links both ways without itself, then its items; an
	 * item: its users */
	for (int64_t i = r0; i < r1; i++) {
		int64_t c;
		if (i < n) {
			c = s->ui.indptr[i + 1] - s->ui.indptr[i];
			if (social)
				c += gnn_merge_union(uu->indices + uu->indptr[i],
				    uu->indptr[i + 1] - uu->indptr[i],
				    At.indices + At.indptr[i - u0],
				    At.indptr[i - u0 + 1] - At.indptr[i - u0],
				    (int32_t)i, NULL);
		} else {
			c = s->iu.indptr[i - n + 1] - s->iu.indptr[i - n];
		}
		cnt[i - r0 + 1] = cnt[i - r0] + c;
	}
	if (!kith_csr_alloc(G, rows, N, cnt[rows], FALSE, error))
		goto out;
	memcpy(G->indptr, cnt, (rows + 1) * sizeof(int64_t));
	for (int64_t i = r0; i < r1; i++) {
		int32_t *o = G->indices + G->indptr[i - r0];
		if (i >= n) {
			int64_t j = i - n;
			memcpy(o, s->iu.indices + s->iu.indptr[j],
			       (s->iu.indptr[j + 1] - s->iu.indptr[j]) *
			       sizeof(int32_t));
			continue;
		}
		if (social)
			o += gnn_merge_union(uu->indices + uu->indptr[i],
			    uu->indptr[i + 1] - uu->indptr[i],
			    At.indices + At.indptr[i - u0],
			    At.indptr[i - u0 + 1] - At.indptr[i - u0],
			    (int32_t)i, o);
		for (int64_t k = s->ui.indptr[i]; k < s->ui.indptr[i + 1]; k++)
			*o++ = (int32_t)(n + s->ui.indices[k]);
	}
	ok = TRUE;
out:
	kith_csr_clear(&At);
	if (!ok)
		kith_csr_clear(G);
	return ok;
}

gboolean
kith_sage_graph(struct kith_csr *G, const struct kith_store *s,
                GError **error)
{
	return kith_sage_graph_rows(G, s, 0, s->n_users + s->n_items, error);
}

/* ---- the graph over the ranks ------------------------------------------
 * Rank r of P (one process: P = 1) owns the nodes [bounds[r], bounds[r+1])
 * of the joint graph, cut by kith_dist_partition() on G's row lengths,
 * and their rows of X, of the training graph, of the sampled
 * neighbourhoods and of every N-row array (activations, id embeddings and
 * their optimiser).  An epoch's samples are drawn per node from the
 * stream of (seed, hop, epoch, node), so a rank draws its rows as one
 * process does; a sample's remote columns form that hop's halo (built
 * every epoch).  A layer copies its input (mean) or the pool's
 * activations (pool) into the workspace with the halo rows after them
 * and aggregates locally; its backward scatters into the same rows and
 * sends the halo rows back to their owners, who add them
 * (kith_halo_reduce_f32()).  The weights are whole on every rank: the
 * partial gradients of a rank's rows are summed over the ranks (one
 * Allreduce) and every rank takes the same Adam step. */

static void
colsum_add(float *out, const float *G, int64_t n, int c)
{
	for (int64_t i = 0; i < n; i++)
		for (int j = 0; j < c; j++)
			out[j] += G[i * c + j];
}

/* Buffers of one layer (owned rows x d each). */
struct layer {
	float *agg;      /* AGG(Hin) */
	float *q;        /* pool: ReLU(Hin·Wp + bp) */
	int32_t *arg;    /* pool: argmax neighbour (local) per (i, k), -1 none */
	float *out;      /* pre-activation output */
};

/* A neighbourhood: owned rows (local columns), its transpose (mean
 * backward), the halo of its columns. */
struct hood {
	struct kith_csr M, MT;
	struct kith_halo h;
};

static void
hood_clear(struct hood *o)
{
	kith_csr_clear(&o->M);
	kith_csr_clear(&o->MT);
	kith_halo_clear(&o->h);
}

struct sage {
	int64_t N, f;             /* nodes of the whole graph, features */
	int64_t lo, rows;         /* owned nodes [lo, lo + rows) */
	int d;
	gboolean pool;
	size_t off[B_N + 1];
	int64_t *bounds;          /* P + 1 */
	int64_t g_off;            /* global row of G's first row */
	struct gnn_xrows x;       /* owned rows of X */
	struct hood s1, s2;       /* the epoch's samples, hop 1 and 2 */
	struct hood full;         /* full neighbourhoods */
	float *H0, *H1, *Z, *znorm;
	struct layer L1, L2;
	float *dZ, *dH1, *dH0, *dAgg;
	float *xmask, *mask0, *mask1;   /* dropout (NULL: none) */
	float *grad;              /* weights, then the head's */
	struct gnn_ws ws;         /* halo rows of a product, backward rows */
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
	g_free(s->bounds);
	gnn_xrows_clear(&s->x);
	hood_clear(&s->s1);
	hood_clear(&s->s2);
	hood_clear(&s->full);
	layer_free(&s->L1);
	layer_free(&s->L2);
	float *bufs[] = { s->H0, s->H1, s->Z, s->dZ, s->dH1, s->dH0, s->dAgg,
	                  s->xmask, s->mask0, s->mask1, s->grad };
	g_free(s->znorm);
	for (size_t i = 0; i < G_N_ELEMENTS(bufs); i++)
		kith_floats_free(bufs[i]);
	gnn_ws_clear(&s->ws);
	memset(s, 0, sizeof *s);
}

static gboolean
layer_alloc(struct layer *L, int64_t rows, int d, gboolean pool, GError **e)
{
	size_t nd = (size_t)rows * d;
	if (!(L->agg = kith_floats_new(nd, FALSE, e)) ||
	    !(L->out = kith_floats_new(nd, FALSE, e)))
		return FALSE;
	if (pool && (!(L->q = kith_floats_new(nd, FALSE, e)) ||
	             !(L->arg = kith_alloc_n(MAX(nd, 1), sizeof(int32_t), e))))
		return FALSE;
	return TRUE;
}

void
kith_sage_bounds(int64_t *bounds, const struct kith_csr *G, int d, int ranks)
{
	kith_sage_partition(bounds, G->indptr, G->n_rows, d, ranks);
}

/* The partition (bounds, or G's when NULL: G then whole, else G holds
 * the rank's rows), this rank's rows of X (X: every row, or the rank's)
 * and the buffers of a forward pass, and of training when `training`
 * (with n_extra more gradient floats: the head's).  Collective. */
static gboolean
sage_setup(struct sage *s, const struct kith_csr *G, const struct kith_csr *X,
           int d, gboolean pool, gboolean training, size_t n_extra,
           const int64_t *bounds, GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	GError **e = error;

	memset(s, 0, sizeof *s);
	s->N = G->n_cols;
	s->f = X->n_cols;
	s->d = d;
	s->pool = pool;
	layout(s->off, s->f, d, pool);
	int64_t want = bounds ? bounds[me + 1] - bounds[me] : s->N;
	gboolean shape = G->n_rows == want;
	if (!shape)
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "graph has %" G_GINT64_FORMAT " rows, this rank "
		            "needs %" G_GINT64_FORMAT, G->n_rows, want);
	if (!kith_dist_all_ok(shape, error))
		return FALSE;
	s->bounds = g_new0(int64_t, P + 1);
	if (bounds)
		memcpy(s->bounds, bounds, (P + 1) * sizeof(int64_t));
	else
		kith_sage_bounds(s->bounds, G, d, P);
	s->lo = s->bounds[me];
	s->rows = s->bounds[me + 1] - s->lo;
	s->g_off = bounds ? s->lo : 0;

	size_t nd = (size_t)s->rows * d;
	gboolean local;
	if (!gnn_xrows_local(X, s->N, &local, error))
		return FALSE;
	gboolean ok = gnn_xrows_init(&s->x, X, local, s->lo, s->rows, e) &&
	    (!training || gnn_xrows_transpose(&s->x, e)) &&
	    (s->znorm = kith_alloc_n(MAX(s->rows, 1), sizeof(float), e)) &&
	    (s->H0 = kith_floats_new(nd, FALSE, e)) &&
	    (s->H1 = kith_floats_new(nd, FALSE, e)) &&
	    (s->Z = kith_floats_new(nd, FALSE, e)) &&
	    layer_alloc(&s->L1, s->rows, d, pool, e) &&
	    layer_alloc(&s->L2, s->rows, d, pool, e);
	if (ok && training)
		ok = (s->dZ = kith_floats_new(nd, FALSE, e)) &&
		     (s->dH1 = kith_floats_new(nd, FALSE, e)) &&
		     (s->dH0 = kith_floats_new(nd, FALSE, e)) &&
		     (s->dAgg = kith_floats_new(nd, FALSE, e)) &&
		     (s->grad = kith_floats_new(s->off[B_N] + n_extra, FALSE,
		                                e));
	return kith_dist_all_ok(ok, error);
}

/* The neighbourhood o of the owned rows of src (rows of global row s->lo
 * on, global columns; src->indptr need not start at 0): at most `fanout`
 * neighbours of each node (all when fanout <= 0 or the degree is
 * smaller), drawn without replacement from the stream of (seed, stream,
 * node) and kept in src's order, each weighted 1/|S(i)|; its halo, and
 * its transpose when `transpose`.  The workspace gets room for the owned
 * and halo rows.  Collective. */
static gboolean
neighbourhood(struct sage *s, struct hood *o, const struct kith_csr *src,
              int fanout, uint64_t seed, uint64_t stream, gboolean transpose,
              GError **error)
{
	int64_t rows = s->rows, nnz = 0;
	struct kith_csr *M = &o->M;

	hood_clear(o);
	for (int64_t r = 0; r < rows; r++) {
		int64_t dg = src->indptr[r + 1] - src->indptr[r];
		nnz += fanout > 0 && dg > fanout ? fanout : dg;
	}
	if (!kith_dist_all_ok(kith_csr_alloc(M, rows, s->N, nnz, TRUE, error),
	                      error))
		return FALSE;
	M->indptr[0] = 0;
	for (int64_t r = 0; r < rows; r++) {
		int64_t dg = src->indptr[r + 1] - src->indptr[r];
		M->indptr[r + 1] = M->indptr[r] +
		                   (fanout > 0 && dg > fanout ? fanout : dg);
	}
#pragma omp parallel for schedule(dynamic, 512) if (nnz > PAR_MIN)
	for (int64_t r = 0; r < rows; r++) {
		const int32_t *nb = src->indices + src->indptr[r];
		int64_t dg = src->indptr[r + 1] - src->indptr[r];
		int64_t k = M->indptr[r + 1] - M->indptr[r];
		int32_t *out = M->indices + M->indptr[r];
		if (k == dg) {
			memcpy(out, nb, dg * sizeof(int32_t));
		} else {
			/* Floyd's sampling of k positions out of dg, kept in
			 * increasing order by insertion. */
			struct kith_rng rng;
			int64_t c = 0;
			kith_rng_seed(&rng, seed, (stream << 40) ^
			              (uint64_t)(s->lo + r));
			for (int64_t t = dg - k; t < dg; t++) {
				int64_t pos = kith_rng_below(&rng, t + 1);
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
			M->values[M->indptr[r] + q] = 1.0f / (float)k;
	}
	if (!kith_halo_build_in_place(&o->h, M, s->N, s->bounds, error))
		return FALSE;
	gboolean ok = gnn_ws_reserve(&s->ws, (size_t)(rows + o->h.n_halo) *
	                             s->d, error) &&
	              (!transpose || kith_csr_transpose(&o->MT, M, error));
	return kith_dist_all_ok(ok, error);
}

/* out = Hin·Ws + AGG(Hin)·Wn + b over the owned rows, the neighbourhood
 * o (mean: its weights; pool: its pattern).  Collective. */
static gboolean
layer_forward(struct sage *s, struct layer *L, const float *Hin,
              const struct hood *o, const float *P, int ws, GError **error)
{
	const size_t *off = s->off;
	const float *Ws = P + off[ws], *Wn = P + off[ws + 1],
	            *b = P + off[ws + 2], *Wp = P + off[ws + 3],
	            *bp = P + off[ws + 4];
	const struct kith_csr *M = &o->M;
	int64_t rows = s->rows;
	int d = s->d;

	if (!s->pool) {
		const float *Hh = gnn_with_halo(&s->ws, &o->h, Hin, d, error);
		if (!Hh)
			return FALSE;
		kith_spmm(L->agg, M, Hh, d);
	} else {
		gnn_gemm(FALSE, FALSE, rows, d, d, Hin, Wp, L->q, 0.0f);
#pragma omp parallel for schedule(static) if (rows * d > PAR_MIN)
		for (int64_t i = 0; i < rows; i++)
			for (int k = 0; k < d; k++) {
				float v = L->q[i * d + k] + bp[k];
				L->q[i * d + k] = v > 0 ? v : 0.0f;
			}
		const float *Q = gnn_with_halo(&s->ws, &o->h, L->q, d, error);
		if (!Q)
			return FALSE;
#pragma omp parallel for schedule(dynamic, 256) if (M->nnz * d > PAR_MIN)
		for (int64_t i = 0; i < rows; i++) {
			float *a = L->agg + i * d;
			int32_t *g = L->arg + i * d;
			for (int k = 0; k < d; k++) {
				a[k] = 0.0f;
				g[k] = -1;
			}
			for (int64_t e = M->indptr[i]; e < M->indptr[i + 1]; e++) {
				int32_t j = M->indices[e];
				const float *qj = Q + (int64_t)j * d;
				for (int k = 0; k < d; k++)
					if (g[k] < 0 || qj[k] > a[k]) {
						a[k] = qj[k];
						g[k] = j;
					}
			}
		}
	}
	gnn_gemm(FALSE, FALSE, rows, d, d, Hin, Ws, L->out, 0.0f);
	gnn_gemm(FALSE, FALSE, rows, d, d, L->agg, Wn, L->out, 1.0f);
	gnn_add_bias(L->out, b, rows, d);
	return TRUE;
}

/* Given dOut (gradient of the pre-activation output, owned rows),
 * accumulates this rank's share of the weight gradients into Gr and
 * writes dHin (owned rows): the aggregator's gradients of remote rows go
 * to their owners.  Collective. */
static gboolean
layer_backward(struct sage *s, const struct layer *L, const float *Hin,
               const float *dOut, const struct hood *o, const float *P,
               float *Gr, int ws, float *dHin, GError **error)
{
	const size_t *off = s->off;
	const float *Ws = P + off[ws], *Wn = P + off[ws + 1],
	            *Wp = P + off[ws + 3];
	int64_t rows = s->rows, all = rows + o->h.n_halo;
	int d = s->d;
	float *W = s->ws.buf, *dAgg = s->dAgg;

	gnn_gemm(TRUE, FALSE, d, d, rows, Hin, dOut, Gr + off[ws], 1.0f);
	gnn_gemm(TRUE, FALSE, d, d, rows, L->agg, dOut, Gr + off[ws + 1],
	         1.0f);
	colsum_add(Gr + off[ws + 2], dOut, rows, d);
	gnn_gemm(FALSE, TRUE, rows, d, d, dOut, Wn, dAgg, 0.0f);
	gnn_gemm(FALSE, TRUE, rows, d, d, dOut, Ws, dHin, 0.0f);
	/* W (owned and halo rows): the aggregator's gradient of its input */
	if (!s->pool) {
		kith_spmm(W, &o->MT, dAgg, d);
	} else {
		memset(W, 0, (size_t)all * d * sizeof(float));
		for (int64_t i = 0; i < rows; i++)
			for (int k = 0; k < d; k++) {
				int32_t j = L->arg[i * d + k];
				if (j >= 0)
					W[(int64_t)j * d + k] += dAgg[i * d + k];
			}
	}
	if (!kith_halo_reduce_f32(&o->h, W, d, NULL, error))
		return FALSE;
	if (!s->pool) {
#pragma omp parallel for schedule(static) if (rows * d > PAR_MIN)
		for (int64_t i = 0; i < rows * d; i++)
			dHin[i] += W[i];
		return TRUE;
	}
	for (int64_t i = 0; i < rows * d; i++)
		if (L->q[i] <= 0)
			W[i] = 0;
	gnn_gemm(TRUE, FALSE, d, d, rows, Hin, W, Gr + off[ws + 3], 1.0f);
	colsum_add(Gr + off[ws + 4], W, rows, d);
	gnn_gemm(FALSE, TRUE, rows, d, d, W, Wp, dHin, 1.0f);
	return TRUE;
}

/* Forward pass over the owned rows with the neighbourhoods a (hop 1) and
 * b (hop 2); dropout masks applied when train.  E's row of node i is
 * id_map[i] (-1: none) or, without a map, i - e_row0.  Collective. */
static gboolean
sage_forward(struct sage *s, const float *P, const float *E, int64_t e_row0,
             const int64_t *id_map, gboolean train, const struct hood *a,
             const struct hood *b, GError **error)
{
	int64_t rows = s->rows;
	int d = s->d;

	gnn_xrows_drop(&s->x, train ? s->xmask : NULL);
	kith_spmm(s->H0, &s->x.Xd, P + s->off[B_W0], d);
	if (E) {
#pragma omp parallel for schedule(static) if (rows * d > PAR_MIN)
		for (int64_t r = 0; r < rows; r++) {
			int64_t i = s->lo + r;
			int64_t e = id_map ? id_map[i] : i - e_row0;
			if (e >= 0)
				for (int k = 0; k < d; k++)
					s->H0[r * d + k] += E[e * d + k];
		}
	}
	if (train && s->mask0)
		for (int64_t i = 0; i < rows * d; i++)
			s->H0[i] *= s->mask0[i];
	if (!layer_forward(s, &s->L1, s->H0, a, P, B_WS1, error))
		return FALSE;
#pragma omp parallel for schedule(static) if (rows * d > PAR_MIN)
	for (int64_t i = 0; i < rows * d; i++)
		s->H1[i] = s->L1.out[i] > 0 ? s->L1.out[i] : 0.0f;
	if (train && s->mask1)
		for (int64_t i = 0; i < rows * d; i++)
			s->H1[i] *= s->mask1[i];
	if (!layer_forward(s, &s->L2, s->H1, b, P, B_WS2, error))
		return FALSE;
	/* Z = rows of the output scaled to unit length */
#pragma omp parallel for schedule(static) if (rows * d > PAR_MIN)
	for (int64_t i = 0; i < rows; i++) {
		const float *o = s->L2.out + i * d;
		double sq = 0;
		for (int k = 0; k < d; k++)
			sq += (double)o[k] * o[k];
		float nm = (float)sqrt(sq) + 1e-12f;
		s->znorm[i] = nm;
		for (int k = 0; k < d; k++)
			s->Z[i * d + k] = o[k] / nm;
	}
	return TRUE;
}

/* The gradients of this rank's rows from dZ (forward(train) state with
 * the epoch's samples) into s->grad's weights (overwritten) and gE (the
 * owned rows of the id embeddings, may be NULL).  Collective. */
static gboolean
sage_backward(struct sage *s, const float *P, float *gE, GError **error)
{
	int64_t rows = s->rows;
	int d = s->d;

	memset(s->grad, 0, s->off[B_N] * sizeof(float));
#pragma omp parallel for schedule(static) if (rows * d > PAR_MIN)
	for (int64_t i = 0; i < rows; i++) {
		float *g = s->dZ + i * d;
		const float *z = s->Z + i * d;
		float dot = 0;
		for (int k = 0; k < d; k++)
			dot += z[k] * g[k];
		for (int k = 0; k < d; k++)
			g[k] = (g[k] - z[k] * dot) / s->znorm[i];
	}
	if (!layer_backward(s, &s->L2, s->H1, s->dZ, &s->s2, P, s->grad,
	                    B_WS2, s->dH1, error))
		return FALSE;
#pragma omp parallel for schedule(static) if (rows * d > PAR_MIN)
	for (int64_t i = 0; i < rows * d; i++)
		if (s->L1.out[i] <= 0)
			s->dH1[i] = 0;
		else if (s->mask1)
			s->dH1[i] *= s->mask1[i];
	if (!layer_backward(s, &s->L1, s->H0, s->dH1, &s->s1, P, s->grad,
	                    B_WS1, s->dH0, error))
		return FALSE;
	if (s->mask0)
		for (int64_t i = 0; i < rows * d; i++)
			s->dH0[i] *= s->mask0[i];
	gnn_xrows_grad(&s->x, s->grad + s->off[B_W0], s->dH0, d);
	if (gE)
		memcpy(gE, s->dH0, rows * d * sizeof(float));
	return TRUE;
}

/* Softmax head on the owned rows: logits = Z·Wc + bc; the summed
 * cross-entropy of the nodes of split `want` (node i labelled when
 * i < nl), their hits in *hits; with dZ, adds the gradient of the mean
 * over all cnt such nodes of the graph into dZ and this rank's share of
 * the head's gradients into gW, gb (overwritten). */
static double
head_loss(const struct sage *s, const float *Wc, const float *bc, int c,
          const int32_t *label, const uint8_t *split, int64_t nl, int want,
          int64_t cnt, float *logits, float *dZ, float *gW, float *gb,
          double *hits)
{
	int64_t rows = s->rows, hit = 0;
	int d = s->d;
	double loss = 0;

	*hits = 0;
	if (gW) {
		memset(gW, 0, (size_t)d * c * sizeof(float));
		memset(gb, 0, c * sizeof(float));
	}
	if (cnt == 0 || rows == 0)
		return 0;
	gnn_gemm(FALSE, FALSE, rows, c, d, s->Z, Wc, logits, 0.0f);
	for (int64_t r = 0; r < rows; r++) {
		int64_t i = s->lo + r;
		float *z = logits + r * c;
		if (i >= nl || split[i] != want || label[i] < 0) {
			if (gW)
				memset(z, 0, c * sizeof(float));
			continue;
		}
		gboolean h;
		for (int j = 0; j < c; j++)
			z[j] += bc[j];
		loss += gnn_softmax_row(z, c, label[i], gW ? z : NULL,
		                        (double)cnt, &h);
		hit += h;
		for (int j = 0; gW && j < c; j++)
			gb[j] += z[j];
	}
	if (gW) {
		/* logits now holds dLogits (zero outside the train nodes) */
		gnn_gemm(TRUE, FALSE, d, c, rows, s->Z, logits, gW, 0.0f);
		gnn_gemm(FALSE, TRUE, rows, d, c, logits, Wc, dZ, 1.0f);
	}
	*hits = (double)hit;
	return loss;
}

/* ---- training (the hooks of train.c) ------------------------------------ */

/* One kith_sage_train() call. */
struct sage_run {
	struct sage s;
	struct kith_sage_model cur;     /* the weights being trained */
	struct kith_sage_model *kept;   /* the best epoch's (the output) */
	const struct kith_sage_params *p;
	const struct kith_csr *G, *X;
	struct kith_csr T;              /* owned rows of G without the
	                                   held-out pairs, global columns */
	int64_t *held;                  /* held-out pairs of owned rows */
	int64_t n_held;
	struct gnn_val val;
	struct kith_csr lq;             /* the epoch's link pairs */
	struct kith_halo lh;            /* and their halo */
	int64_t pairs;                  /* link pairs of the job */
	struct kith_adam adam, adamE;   /* weights, id embeddings */
	float *gE;                      /* gradient of the owned id rows */
	gboolean sup;
	gboolean dist;                  /* over the ranks of an MPI job */
	double drop;
	int nc;                         /* classes (supervised) */
	int64_t n_train, n_val;         /* labelled train / val nodes */
	float *Wc, *bc, *logits;        /* the softmax head */
	float *gWc, *gbc;               /* views into s.grad */
	struct kith_adam adamW, adamB;
	float *emb;
	struct kith_train_report *rep;
};

/* The owned rows of G without the pairs held out with ratio (a pair
 * decided by gnn_pair_held(), so a rank decides its rows' pairs as one
 * process does), into S->T; the held-out pairs of owned rows (smaller
 * end owned) into S->held. */
static gboolean
training_rows(struct sage_run *S, GError **error)
{
	const struct kith_csr *G = S->G;
	const struct sage *s = &S->s;
	int64_t lo = s->lo, rows = s->rows;
	GArray *held = g_array_new(FALSE, FALSE, sizeof(int64_t));
	double ratio = S->p->val_ratio;
	uint64_t seed = S->p->seed;

	const int64_t *gp = G->indptr + (lo - s->g_off);    /* owned rows */

	if (!kith_csr_alloc(&S->T, rows, G->n_cols, gp[rows] - gp[0], FALSE,
	                    error)) {
		g_array_free(held, TRUE);
		return FALSE;
	}
	int64_t w = 0;
	S->T.indptr[0] = 0;
	for (int64_t r = 0; r < rows; r++) {
		int32_t i = (int32_t)(lo + r);
		for (int64_t k = gp[r]; k < gp[r + 1]; k++) {
			int32_t j = G->indices[k];
			if (!gnn_pair_held(seed, 5, i, j, ratio)) {
				S->T.indices[w++] = j;
			} else if (i < j) {
				int64_t pr[2] = { i, j };
				g_array_append_vals(held, pr, 2);
			}
		}
		S->T.indptr[r + 1] = w;
	}
	S->T.nnz = w;
	S->n_held = held->len / 2;
	S->held = (int64_t *)g_array_free(held, FALSE);
	return TRUE;
}

/* Glorot weights (biases zero), id embeddings N(0, 0.1²) (node i's row
 * from the stream of (seed, i)) with their own optimiser, a copy as the
 * kept model, Adam of the weights. */
static gboolean
sage_init_weights(struct sage_run *S, struct kith_rng *rng, GError **error)
{
	const struct kith_sage_params *p = S->p;
	struct kith_sage_model *cur = &S->cur;
	int64_t N = S->s.N, f = S->X->n_cols, rows = S->s.rows;
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
		size_t nd = (size_t)rows * d;
		cur->n_id = N;
		cur->id_emb = kith_alloc_n(MAX(nd, 1), sizeof(float), error);
		S->gE = cur->id_emb ? kith_floats_new(nd, FALSE, error) : NULL;
		/* each row of E gets one gradient per epoch: a larger step */
		if (!S->gE || !kith_adam_init(&S->adamE, nd,
		                              (float)(SAGE_ID_LR_SCALE * p->lr),
		                              error))
			return FALSE;
		for (int64_t r = 0; r < rows; r++) {
			struct kith_rng er;
			kith_rng_seed(&er, p->seed ^ 0x1d5eedULL,
			              (uint64_t)(S->s.lo + r));
			for (int k = 0; k < d; k++)
				cur->id_emb[r * d + k] =
				    (float)(kith_rng_normal(&er) * 0.1);
		}
	}
	*S->kept = *cur;
	S->kept->params = g_memdup2(cur->params, cur->n_params * sizeof(float));
	S->kept->id_emb = cur->id_emb ?
	    g_memdup2(cur->id_emb, MAX(rows * d, 1) * sizeof(float)) : NULL;
	return kith_adam_init(&S->adam, cur->n_params, (float)p->lr, error);
}

/* The softmax head of supervised training (Glorot, from rng); its
 * gradients live after the weights' in s.grad. */
static gboolean
sage_init_head(struct sage_run *S, struct kith_rng *rng, GError **error)
{
	int d = S->p->dim, nc = S->nc;

	S->Wc = g_new(float, (size_t)d * nc);
	S->bc = g_new0(float, nc);
	S->gWc = S->s.grad + S->s.off[B_N];
	S->gbc = S->gWc + (size_t)d * nc;
	S->logits = kith_floats_new((size_t)S->s.rows * nc, FALSE, error);
	if (!S->logits ||
	    !kith_adam_init(&S->adamW, (size_t)d * nc, (float)S->p->lr,
	                    error) ||
	    !kith_adam_init(&S->adamB, nc, (float)S->p->lr, error))
		return FALSE;
	gnn_glorot(S->Wc, d, nc, rng);
	return TRUE;
}

/* The bytes per epoch over the ranks (kith-embed(1); step_bytes()). */
static const char bytes_link[] =
    "per epoch 8 d (H1 + H2) + 4 (d + 1) Hq + 4 (H1 + H2) + 4 P w "
    "+ P (24 P + 120) (0 on one rank)";
static const char bytes_sup[] =
    "per epoch 8 d (H1 + H2) + 4 (d + 1) Hq + 4 (H1 + H2) "
    "+ 4 P (w + d c + c) + P (24 P + 128) (0 on one rank)";

static gboolean
sage_hook_setup(void *m, int phase, gboolean resuming, GError **error)
{
	struct sage_run *S = m;
	const struct kith_sage_params *p = S->p;
	struct sage *s = &S->s;
	struct kith_rng rng;
	size_t head = S->sup ? (size_t)p->dim * S->nc + S->nc : 0;

	if (!sage_setup(s, S->G, S->X, p->dim, p->pool, TRUE, head, p->bounds,
	                error) ||
	    !kith_dist_all_ok(training_rows(S, error), error) ||
	    /* validation: full neighbourhoods of the training graph */
	    !neighbourhood(s, &s->full, &S->T, 0, 0, 0, FALSE, error))
		return FALSE;
	int64_t cnt = S->T.nnz * (1 + p->neg);
	if (!kith_dist_allreduce_i64(&cnt, 1, KITH_DIST_SUM, error))
		return FALSE;
	S->pairs = cnt;
	for (int64_t i = 0; S->sup && i < p->n_label; i++) {
		S->n_train += p->split[i] == KITH_SPLIT_TRAIN && p->label[i] >= 0;
		S->n_val += p->split[i] == KITH_SPLIT_VAL && p->label[i] >= 0;
	}
	if ((!S->sup && !gnn_val_setup(&S->val, S->held, S->n_held, s->rows,
	                               s->N, s->bounds, p->seed, &s->ws,
	                               p->dim, error)) ||
	    (S->dist && !gnn_dist_report(S->rep, s->bounds, s->full.h.n_halo,
	                              S->sup ? bytes_sup : bytes_link,
	                              error)))
		return FALSE;
	kith_rng_seed(&rng, p->seed, 1);
	gboolean ok = sage_init_weights(S, &rng, error) &&
	              (!S->sup || sage_init_head(S, &rng, error));
	if (ok && S->drop > 0) {
		size_t nd = (size_t)s->rows * p->dim;
		ok = (s->xmask = kith_floats_new(MAX(s->x.Xd.nnz, 1), FALSE,
		                                 error)) &&
		     (s->mask0 = kith_floats_new(nd, FALSE, error)) &&
		     (s->mask1 = kith_floats_new(nd, FALSE, error));
	}
	gnn_blas_threads(s->rows, p->dim, p->dim);
	/* a failure of one rank ends them all here, not in the first step */
	return kith_dist_all_ok(ok, error);
}

/* The dropout masks of an epoch: on the nonzeros of X, then H0 and H1
 * (their blocks numbered after X's). */
static void
draw_dropout(struct sage_run *S, int epoch)
{
	struct sage *s = &S->s;
	const struct gnn_xrows *x = &s->x;
	const int64_t B = GNN_MASK_BLOCK;
	int64_t d = s->d, xb = (x->x_nnz + B - 1) / B,
	        hb = (s->N * d + B - 1) / B;
	uint64_t seed = S->p->seed;

	gnn_fill_mask(s->xmask, x->xoff, x->xoff + x->Xd.nnz, S->drop, seed,
	              epoch, TRUE, 0);
	gnn_fill_mask(s->mask0, s->lo * d, (s->lo + s->rows) * d, S->drop,
	              seed, epoch, FALSE, xb);
	gnn_fill_mask(s->mask1, s->lo * d, (s->lo + s->rows) * d, S->drop,
	              seed, epoch, FALSE, xb + hb);
}

/* Bytes this rank hands to MPI in one step (without the driver's 16),
 * by the formula of kith-embed(1). */
static int64_t
step_bytes(const struct sage_run *S)
{
	const struct sage *s = &S->s;
	int64_t P = kith_dist_size(), d = s->d;
	int64_t w = (int64_t)s->off[B_N] +
	            (S->sup ? d * S->nc + S->nc : 0);
	const struct kith_halo *h[3] = { &s->s1.h, &s->s2.h, &S->lh };
	int64_t b = 4 * w + (S->sup ? 16 : 8);

	for (int k = 0; k < 3; k++)
		/* the halo's build: its column ids, counts, agreements; the
		 * rows sent forward (and, for the hops, received back) */
		b += 4 * h[k]->n_halo + 8 * (P - 1) + 40 +
		     4 * d * h[k]->n_send + (k < 2 ? 4 * d * h[k]->n_halo : 0);
	return b;
}

/* One full-batch epoch on neighbourhoods sampled for `epoch`. */
static gboolean
sage_hook_step(void *m, int phase, int epoch, int step, int steps,
               double *loss, int64_t *weight, GError **error)
{
	struct sage_run *S = m;
	struct sage *s = &S->s;
	const struct kith_sage_params *p = S->p;
	int64_t rows = s->rows, nd = rows * (int64_t)p->dim;
	int d = p->dim;
	double sum[2] = { 0, 0 }, hits;

	if (!neighbourhood(s, &s->s1, &S->T, p->fanout[1], p->seed, 2 * epoch,
	                   !p->pool, error) ||
	    !neighbourhood(s, &s->s2, &S->T, p->fanout[0], p->seed,
	                   2 * epoch + 1, !p->pool, error))
		return FALSE;
	if (S->drop > 0)
		draw_dropout(S, epoch);
	if (!sage_forward(s, S->cur.params, S->cur.id_emb, s->lo, NULL, TRUE,
	                  &s->s1, &s->s2, error) ||
	    !gnn_link_targets(&S->lq, &S->lh, &S->T, s->lo, s->N, s->bounds,
	                      p->neg, p->seed ^ 0x5851f42d4c957f2dULL, epoch,
	                      error) ||
	    !kith_dist_all_ok(gnn_ws_reserve(&s->ws, (size_t)(rows +
	                      S->lh.n_halo) * d, error), error))
		return FALSE;
	const float *Zh = gnn_with_halo(&s->ws, &S->lh, s->Z, d, error);
	if (!Zh)
		return FALSE;
	sum[0] = gnn_link_loss(&S->lq, Zh, s->dZ, d, 1 + p->neg, S->pairs,
	                       SAGE_TEMP, FALSE);
	if (S->sup) {
		if (p->link_weight != 1.0) {
			float w = (float)p->link_weight;
			for (int64_t k = 0; k < nd; k++)
				s->dZ[k] *= w;
		}
		sum[1] = head_loss(s, S->Wc, S->bc, S->nc, p->label, p->split,
		                   p->n_label, KITH_SPLIT_TRAIN, S->n_train,
		                   S->logits, s->dZ, S->gWc, S->gbc, &hits);
	}
	if (!sage_backward(s, S->cur.params, S->gE, error) ||
	    !kith_dist_allreduce_f64(sum, S->sup ? 2 : 1, KITH_DIST_SUM,
	                             error) ||
	    !kith_dist_allreduce_f32(s->grad, s->off[B_N] + (S->sup ?
	                             (size_t)d * S->nc + S->nc : 0), error))
		return FALSE;
	*loss = S->pairs ? sum[0] / (double)S->pairs : 0;
	if (S->sup)
		*loss = *loss * p->link_weight +
		        (S->n_train ? sum[1] / (double)S->n_train : 0);
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
	if (S->dist && kith_dist_size() > 1) {
		S->rep->bytes_formula += step_bytes(S);
		S->rep->batch_halo_rows += s->s1.h.n_halo + s->s2.h.n_halo +
		                           S->lh.n_halo;
	}
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

	*v = (struct train_val){ -1, -1, NAN };
	if (!sage_forward(s, S->cur.params, S->cur.id_emb, s->lo, NULL, FALSE,
	                  &s->full, &s->full, error))
		return FALSE;
	if (!S->sup)
		return gnn_val_auc(&S->val, &s->ws, s->Z, p->dim, s->N,
		                   &v->score, error);
	double hits = 0;
	head_loss(s, S->Wc, S->bc, S->nc, p->label, p->split, p->n_label,
	          KITH_SPLIT_VAL, S->n_val, S->logits, NULL, NULL, NULL, &hits);
	if (!kith_dist_allreduce_f64(&hits, 1, KITH_DIST_SUM, error))
		return FALSE;
	v->score = S->n_val ? hits / (double)S->n_val : -1;
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
		       S->s.rows * S->cur.dim * sizeof(float));
}

/* The id embeddings and their optimiser (split by rows over the ranks of
 * an MPI job), then the weights, kept weights, the head and their
 * optimisers (the same on every rank: rank 0 writes them). */
static void
sage_hook_items(void *m, struct ckpt_items *it)
{
	struct sage_run *S = m;
	int64_t np = (int64_t)S->cur.n_params, d = S->p->dim;

	memset(it, 0, sizeof *it);
	if (S->cur.id_emb) {
		ckpt_add_array(it, "id_emb.npy", S->cur.id_emb, S->s.rows, d);
		ckpt_add_array(it, "best_id_emb.npy", S->kept->id_emb,
		               S->s.rows, d);
		ckpt_add_adam(it, "_id", &S->adamE);
		if (S->dist)
			ckpt_split(it, S->s.bounds, (int)d);
	}
	it->replicated = S->dist;
	ckpt_add_array(it, "params.npy", S->cur.params, np, 0);
	ckpt_add_array(it, "best_params.npy", S->kept->params, np, 0);
	ckpt_add_adam(it, "", &S->adam);
	if (S->sup) {
		ckpt_add_array(it, "head_w.npy", S->Wc, d, S->nc);
		ckpt_add_array(it, "head_b.npy", S->bc, S->nc, 0);
		ckpt_add_adam(it, "_head_w", &S->adamW);
		ckpt_add_adam(it, "_head_b", &S->adamB);
	}
}

static gboolean sage_infer(float *emb, const struct kith_sage_model *m,
                           gboolean e_owned, const struct kith_csr *G,
                           const struct kith_csr *X, const int64_t *id_map,
                           const int64_t *bounds, GError **error);

/* The embeddings of the kept weights, full neighbourhoods of G (on rank
 * 0, with the whole id embeddings). */
static gboolean
sage_hook_finish(void *m, const struct train_outcome *o,
                 struct kith_train_report *rep, GError **error)
{
	struct sage_run *S = m;
	struct kith_sage_model *k = S->kept;
	g_autofree int64_t *bounds = g_memdup2(S->s.bounds, sizeof(int64_t) *
	                                       (size_t)(kith_dist_size() + 1));
	int64_t N = S->G->n_cols;
	gboolean lead = kith_dist_rank() == 0;

	sage_clear(&S->s);
	/* one model's weights on every rank (they agree to the order of the
	 * reduced sums) */
	if ((S->dist && !kith_dist_bcast(k->params, k->n_params *
	                                 sizeof(float), error)) ||
	    !sage_infer(S->emb, k, TRUE, S->G, S->X, NULL, S->p->bounds, error))
		return FALSE;
	if (!k->id_emb || kith_dist_size() == 1)
		return TRUE;
	float *all = lead ? kith_alloc_n(MAX(N * k->dim, 1), sizeof(float),
	                                 error) : NULL;
	if (!kith_dist_all_ok(!lead || all, error) ||
	    !kith_dist_gather_rows(all, k->id_emb, bounds, 0, N,
	                           k->dim * sizeof(float), FALSE, error)) {
		g_free(all);
		return FALSE;
	}
	if (lead) {
		g_free(k->id_emb);
		k->id_emb = all;
	}
	return TRUE;
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

/* What fixes the trajectory (not max_epochs, patience, the time limit or
 * the ranks: a resumed run may change those). */
static gboolean
sage_config_hash(char **hash, const struct kith_sage_params *p,
                 const struct kith_csr *G, const struct kith_csr *X,
                 gboolean sup, double drop, GError **error)
{
	uint64_t xd, gd;
	gboolean local;
	int P = kith_dist_size(), me = kith_dist_rank();
	g_autofree int64_t *b = g_new(int64_t, P + 1);

	if (p->bounds)
		memcpy(b, p->bounds, (P + 1) * sizeof(int64_t));
	else
		kith_sage_bounds(b, G, p->dim, P);
	/* digests summed over rows: the same whole or cut, for any P */
	if (!gnn_xrows_local(X, G->n_cols, &local, error) ||
	    !gnn_rows_digest(X, local, local ? b[me] : 0, &xd, error) ||
	    !gnn_rows_digest(G, p->bounds != NULL, p->bounds ? b[me] : 0, &gd,
	                     error))
		return FALSE;
	g_autofree char *cfg = g_strdup_printf(
	    "sage/2 d=%d fanout=%d,%d pool=%d id=%d lr=%.17g l2=%.17g "
	    "neg=%d val=%.17g seed=%" G_GUINT64_FORMAT " classes=%d "
	    "lw=%.17g drop=%.17g temp=%.17g idlr=%.17g x=%016"
	    G_GINT64_MODIFIER "x g=%016" G_GINT64_MODIFIER "x n=%"
	    G_GINT64_FORMAT, p->dim, p->fanout[0], p->fanout[1],
	    p->pool, p->id_emb, p->lr, p->l2, p->neg, p->val_ratio, p->seed,
	    sup ? p->n_classes : 0, sup ? p->link_weight : 1.0, drop,
	    (double)SAGE_TEMP, (double)SAGE_ID_LR_SCALE, (guint64)xd,
	    (guint64)gd, G->n_cols);
	const struct kith_csr *mats[2] = { NULL, NULL };
	*hash = ckpt_config_hash(cfg, mats, 2, p->label, p->split,
	                         sup ? p->n_label : 0);
	return TRUE;
}

static void
sage_run_clear(struct sage_run *S)
{
	struct kith_adam *ad[] = { &S->adam, &S->adamE, &S->adamW, &S->adamB };
	void *own[] = { S->Wc, S->bc, S->held };

	sage_clear(&S->s);
	kith_csr_clear(&S->T);
	kith_csr_clear(&S->lq);
	kith_halo_clear(&S->lh);
	gnn_val_clear(&S->val);
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
	                      .nc = sup ? p->n_classes : 0, .emb = emb,
	                      .rep = report, .dist = kith_dist_active() };
	int64_t N = G->n_cols;
	g_autofree char *hash = NULL;

	memset(model, 0, sizeof *model);
	if (p->dim < 1 || p->lr <= 0 || p->neg < 0 || N < 2 ||
	    (sup && (p->n_label > N || !p->split)) ||
	    p->val_ratio < 0 || p->val_ratio >= 1) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "invalid sage parameters");
		return FALSE;
	}
	if (!p->bounds && G->n_rows != N) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "sage needs the whole graph or the partition of its "
		            "rows");
		return FALSE;
	}
	if (sup && p->n_classes < 2) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "sage needs labels of at least two classes");
		return FALSE;
	}
	if (!train_options_check(&p->train, error))
		return FALSE;
	if (p->train.checkpoint_dir &&
	    !sage_config_hash(&hash, p, G, X, sup, S.drop, error))
		return FALSE;
	struct train_config c;
	train_config_init(&c, &p->train, 400, 50);
	c.config_hash = hash;
	c.dist = S.dist;
	report->lr = p->lr;
	gboolean ok = train_run(&sage_hooks, &S, &c, report, error);
	openblas_set_num_threads(kith_get_threads());
	sage_run_clear(&S);
	if (!ok)
		kith_sage_model_clear(model);
	return ok;
}

/* Full neighbourhoods of G, the weights of m: Z gathered into emb on
 * rank 0.  e_owned: m->id_emb holds this rank's rows only (the partition
 * of G), else all of m->n_id rows (node i's row id_map[i], or i without
 * a map).  Collective. */
static gboolean
sage_infer(float *emb, const struct kith_sage_model *m, gboolean e_owned,
           const struct kith_csr *G, const struct kith_csr *X,
           const int64_t *id_map, const int64_t *bounds, GError **error)
{
	struct sage s;
	gboolean ok = FALSE;

	if (sage_setup(&s, G, X, m->dim, m->pool, FALSE, 0, bounds, error)) {
		/* G's owned rows, a view */
		struct kith_csr own = { .n_rows = s.rows, .n_cols = s.N,
		                        .indptr = G->indptr + (s.lo - s.g_off),
		                        .indices = G->indices };
		ok = neighbourhood(&s, &s.full, &own, 0, 0, 0, FALSE, error) &&
		     sage_forward(&s, m->params, m->id_emb, e_owned ? s.lo : 0,
		                  id_map, FALSE, &s.full, &s.full, error) &&
		     kith_dist_gather_rows(emb, s.Z, s.bounds, 0, s.N,
		                           m->dim * sizeof(float), FALSE, error);
	}
	sage_clear(&s);
	return ok;
}

gboolean
kith_sage_apply(float *emb, const struct kith_sage_model *m,
                const struct kith_csr *G, const struct kith_csr *X,
                const int64_t *id_map, GError **error)
{
	return kith_sage_apply_rows(emb, m, G, X, id_map, NULL, error);
}

gboolean
kith_sage_apply_rows(float *emb, const struct kith_sage_model *m,
                     const struct kith_csr *G, const struct kith_csr *X,
                     const int64_t *id_map, const int64_t *bounds,
                     GError **error)
{
	int64_t N = G->n_cols;

	if (X->n_cols != m->n_in) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "features have %" G_GINT64_FORMAT " columns, the "
		            "model expects %" G_GINT64_FORMAT, X->n_cols,
		            m->n_in);
		return FALSE;
	}
	if (!bounds && G->n_rows != N) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "sage needs the whole graph or the partition of its "
		            "rows");
		return FALSE;
	}
	if (m->id_emb && !id_map && N != m->n_id) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "id embeddings need a node map for a new graph");
		return FALSE;
	}
	return sage_infer(emb, m, FALSE, G, X, id_map, bounds, error);
}
