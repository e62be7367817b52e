/*
 * The spectral filter (model "filter"): a training-free graph filter made
 * an embedding.
 *
 * R (n users x m items) is the binary pattern of the training pairs, D_u
 * and D_i its row and column degrees, R̃ = D_u^-1/2 R D_i^-1/2.  The
 * linear graph filter of GF-CF (Shen et al., CIKM 2021) scores user u by
 * the row P_u of
 *
 *     P = R R̃ᵀ R̃ = R D_i^-1/2 Rᵀ D_u^-1 R D_i^-1/2        (n x m)
 *
 * (three hops: the items of u, the users of those items, their items,
 * each hop normalised by degree).  GF-CF adds an ideal low-pass term,
 *
 *     P += a R D_i^-1/2 V_k V_kᵀ D_i^1/2,   V_k: top-k right vectors of R̃
 *
 * (k = lowpass_dim, 64), and ranks with P itself; here the weight a is
 * 0 or KITH_FILTER_LOWPASS (0.3), whichever ranks the validation pairs
 * better (it lifts dense catalogues such as MovieLens and lowers the
 * sparse ones, where validation keeps 0).  P is full rank; the filter
 * here instead keeps
 * the best rank-d approximation of P after scaling each row to unit norm,
 *
 *     W P ≈ U_d Σ_d V_dᵀ,   W = diag(1 / ‖P_u‖),
 *
 * and embeds users and items as
 *
 *     users = W P V_d Σ_d^-1/2,   items = V_d Σ_d^1/2,
 *
 * so users · itemsᵀ = W P V_d V_dᵀ: each user's own filter row projected
 * on the d directions that carry most of the (row-normalised) filter.
 * The projection removes the noise of the full filter's tail; the row
 * scaling keeps heavy users from choosing the directions alone.  On the
 * mid-sized shared sets the rank-256 projection ranks better than GF-CF's
 * full filter (see tools/bench-quality and the README).  ‖P_u‖ comes from
 * a Gaussian sketch: ‖P_u‖² ≈ ‖P_u Ω‖² / l, Ω m x l (l = d + oversample).
 *
 * P is never formed: P·X = R (D_i^-1/2 Rᵀ (D_u^-1 R (D_i^-1/2 X))) is
 * three SpMMs (the low-pass term adds a k x l product V_kᵀ D_i^1/2 X and
 * its m x k x l expansion before the last SpMM), Pᵀ·Y the same in
 * reverse, and V_d comes from the randomised SVD of the operator W P
 * (kith_svd_op, `passes` passes).  V_k comes from the randomised SVD of
 * the operator R̃.  Each candidate's validation fit is a cold fit of
 * `passes` passes.
 *
 * Validation (val_ratio > 0): the same filter on the training pairs
 * without a held-out share (kith_split_validation, the split every model
 * uses), ranked against the held-out pairs; reported, and used by `kith
 * embed --model auto` to choose a model.  The output is then fitted on
 * all pairs.  User-user links and pair weights are not used.
 *
 * Cost: (2·passes + 2)·3 SpMMs of 2·nnz·l flops, the SVD's O((n + m)·l²)
 * per pass, and with validation the same again plus the ranking of
 * val_max_users users (O(users·m·d)).  Memory about 4·(n + m)·l floats.
 * Deterministic: the SpMMs, the dense products of the SVD and the row
 * scalings are the same bytes for any thread count (on x86-64-v3 CPUs,
 * see kith_spmm).
 *
 * Over the ranks of an MPI job the users are split by pairs
 * (kith_dist_partition()); a rank holds its users' rows of R, of Rᵀ and
 * of every n x l block, the m x l blocks whole.  A product needs only
 * the rank's rows once its item-side part is complete; each sum over
 * users (the SpMMs by Rᵀ: one in P·X, two in Pᵀ·Y and one in R̃ᵀ·Y; the
 * item degrees) is the rank's partial m x l sum completed by an
 * Allreduce, and kith_svd_op_rows() sums the Gram matrix of the user
 * block over the ranks.  The Gaussian blocks are item-side (one stream
 * per item), so every rank draws what one process draws; the ranks
 * agree before each product (interrupts).  Validation ranks each rank's
 * users (kith_rank_eval_rows()); rank 0 gathers U.  One process, and one
 * rank, give the same bytes as before the split; P ranks differ by the
 * order of the reduced sums.  Bytes: fit_bytes() and kith-embed(1).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "kith/dense.h"
#include "kith/core.h"
#include "kith/dist.h"
#include "kith/eval.h"
#include "kith/io.h"
#include "kith/models.h"
#include "kith/nn.h"

void
kith_filter_params_init(struct kith_filter_params *p)
{
	memset(p, 0, sizeof *p);
	p->dim = 256;
	p->oversample = 32;
	p->passes = 3;
	p->normalize = TRUE;
	p->val_ratio = 0.1;
	p->val_max_users = 3000;
	p->k = 20;
	p->lowpass = -1;
	p->lowpass_dim = 64;
}

int
kith_filter_dim(const struct kith_filter_params *p, const struct kith_csr *R)
{
	int64_t d = MIN((int64_t)p->dim, MIN(R->n_rows, R->n_cols));
	return (int)MAX(d, 0);
}

void
kith_filter_params_to_json(JsonBuilder *b, const struct kith_filter_params *p,
                           int dim)
{
	json_builder_set_member_name(b, "params");
	json_builder_begin_object(b);
	kith_json_put_int(b, "dim", dim);
	kith_json_put_int(b, "oversample", p->oversample);
	kith_json_put_int(b, "passes", p->passes);
	kith_json_put_bool(b, "normalize", p->normalize);
	kith_json_put_double(b, "val_ratio", p->val_ratio);
	kith_json_put_int(b, "val_max_users", p->val_max_users);
	kith_json_put_int(b, "k", p->k);
	kith_json_put_double(b, "lowpass", p->lowpass);
	kith_json_put_int(b, "lowpass_dim", p->lowpass_dim);
	json_builder_end_object(b);
}

void
kith_filter_params_from_json(struct kith_filter_params *p, JsonObject *params)
{
	p->dim = (int)kith_json_int_or(params, "dim", p->dim);
	p->oversample = (int)kith_json_int_or(params, "oversample",
	                                      p->oversample);
	p->passes = (int)kith_json_int_or(params, "passes", p->passes);
	p->normalize = kith_json_bool_or(params, "normalize", p->normalize);
	p->val_ratio = kith_json_num_or(params, "val_ratio", p->val_ratio);
	p->val_max_users = (int)kith_json_int_or(params, "val_max_users",
	                                         p->val_max_users);
	p->k = (int)kith_json_int_or(params, "k", p->k);
	/* folders of kith 12 and before: no low-pass term */
	p->lowpass = kith_json_num_or(params, "lowpass", 0);
	p->lowpass_dim = (int)kith_json_int_or(params, "lowpass_dim",
	                                       p->lowpass_dim);
}

/* ---- the operator W P ---------------------------------------------------- */

struct filter_op {
	int64_t n_all;          /* users of all ranks */
	struct kith_csr R, Rt;  /* patterns (values NULL) of this rank's n
	                           users (all of them in one process) */
	int64_t *ip;            /* R's row pointer when rebased, owned */
	float *ru;              /* 1 / D_u (0 for empty rows), n */
	float *ci;              /* D_i^-1/2 (0 for empty columns), m */
	float *w;               /* row weights W, n; NULL: none */
	float *tn, *tm;         /* scratch n x lmax, m x lmax */
	/* the low-pass term α R D_i^-1/2 V_k V_kᵀ D_i^1/2 (kl = 0: none) */
	int kl;
	float alpha;
	float *vd, *vc;         /* D_i^1/2 V_k and D_i^-1/2 V_k, m x kl */
	float *c;               /* kl x lmax */
	double *cs;             /* kith_dense_cross scratch */
};

/* x[r, :] *= s[r] for rows r of x (rows x l). */
static void
scale_rows(float *x, const float *s, int64_t rows, int l)
{
#pragma omp parallel for schedule(static)
	for (int64_t r = 0; r < rows; r++) {
		float f = s[r];
		for (int j = 0; j < l; j++)
			x[r * l + j] *= f;
	}
}

/* Before a product: stop when interrupted (on any rank: the ranks agree,
 * an Allreduce of 8 bytes). */
static gboolean
op_continue(GError **error)
{
	gboolean go = !kith_interrupted();

	if (!go)
		g_set_error(error, KITH_ERROR, KITH_ERROR_INTERRUPTED,
		            "interrupted");
	return kith_dist_all_ok(go, error);
}

static gboolean
filter_apply(void *ctx, float *out, const float *in, int l,
             gboolean transpose, GError **error)
{
	struct filter_op *o = ctx;
	int64_t n = o->R.n_rows, m = o->R.n_cols;
	size_t ml = (size_t)m * l;

	if (!op_continue(error))
		return FALSE;
	/* the sums over users (the SpMMs by Rt) are this rank's users',
	 * completed by a sum over the ranks */
	if (!transpose) {
		/* out = W R D_i^-1/2 (Rᵀ D_u^-1 R D_i^-1/2 in + α V_k c),
		 * c = V_kᵀ D_i^1/2 in */
		if (o->kl)
			kith_dense_cross(o->c, o->vd, in, m, o->kl, l, o->cs);
		memcpy(o->tm, in, (size_t)m * l * sizeof(float));
		scale_rows(o->tm, o->ci, m, l);
		kith_spmm(o->tn, &o->R, o->tm, l);
		scale_rows(o->tn, o->ru, n, l);
		kith_spmm(o->tm, &o->Rt, o->tn, l);
		if (!kith_dist_allreduce_f32(o->tm, ml, error))
			return FALSE;
		scale_rows(o->tm, o->ci, m, l);
		if (o->kl)
			kith_dense_gemm_add(o->tm, o->alpha, o->vc, m, o->kl,
			                    o->c, l);
		kith_spmm(out, &o->R, o->tm, l);
		if (o->w)
			scale_rows(out, o->w, n, l);
	} else {
		/* out = D_i^-1/2 Rᵀ D_u^-1 R D_i^-1/2 t + α D_i^1/2 V_k c,
		 * t = Rᵀ W in, c = V_kᵀ D_i^-1/2 t */
		memcpy(o->tn, in, (size_t)n * l * sizeof(float));
		if (o->w)
			scale_rows(o->tn, o->w, n, l);
		kith_spmm(o->tm, &o->Rt, o->tn, l);
		if (!kith_dist_allreduce_f32(o->tm, ml, error))
			return FALSE;
		if (o->kl)
			kith_dense_cross(o->c, o->vc, o->tm, m, o->kl, l, o->cs);
		scale_rows(o->tm, o->ci, m, l);
		kith_spmm(o->tn, &o->R, o->tm, l);
		scale_rows(o->tn, o->ru, n, l);
		kith_spmm(out, &o->Rt, o->tn, l);
		if (!kith_dist_allreduce_f32(out, ml, error))
			return FALSE;
		scale_rows(out, o->ci, m, l);
		if (o->kl)
			kith_dense_gemm_add(out, o->alpha, o->vd, m, o->kl, o->c,
			                    l);
	}
	return TRUE;
}

static void
filter_op_clear(struct filter_op *o)
{
	kith_csr_clear(&o->Rt);
	g_free(o->ip);
	g_free(o->ru);
	g_free(o->ci);
	g_free(o->w);
	kith_floats_free(o->tn);
	kith_floats_free(o->tm);
	g_free(o->vd);
	g_free(o->vc);
	g_free(o->c);
	g_free(o->cs);
	memset(o, 0, sizeof *o);
}

/* The operator P of the pairs R (its pattern) on this rank's users lo..hi
 * (all of them in one process), scratch for l columns. */
static gboolean
filter_op_init(struct filter_op *o, const struct kith_csr *R, int64_t lo,
               int64_t hi, int l, GError **error)
{
	int64_t n = hi - lo, m = R->n_cols, e0 = R->indptr[lo];
	size_t sn, sm;
	g_autofree int64_t *deg = NULL;

	memset(o, 0, sizeof *o);
	o->n_all = R->n_rows;
	o->R = (struct kith_csr){ n, m, R->indptr[hi] - e0, R->indptr + lo,
	                          R->indices + e0, NULL, FALSE };
	/* one failure fails every rank (the others would wait for it) */
	if (e0 != 0) {
		o->ip = kith_alloc_n((size_t)n + 1, sizeof(int64_t), error);
		if (o->ip)
			for (int64_t u = 0; u <= n; u++)
				o->ip[u] = R->indptr[lo + u] - e0;
		o->R.indptr = o->ip;
	}
	gboolean ok = o->R.indptr && kith_csr_transpose(&o->Rt, &o->R, error);
	if (ok) {
		g_free(o->Rt.values);
		o->Rt.values = NULL;
	}
	if (ok && (!kith_mul_size((size_t)MAX(n, 1), (size_t)l, &sn) ||
	           !kith_mul_size((size_t)MAX(m, 1), (size_t)l, &sm))) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "filter buffers overflow");
		ok = FALSE;
	}
	o->ru = ok ? kith_alloc_n((size_t)MAX(n, 1), sizeof(float), error)
	           : NULL;
	o->ci = o->ru ? kith_alloc_n((size_t)MAX(m, 1), sizeof(float), error)
	              : NULL;
	o->tn = o->ci ? kith_floats_new(sn, FALSE, error) : NULL;
	o->tm = o->tn ? kith_floats_new(sm, FALSE, error) : NULL;
	deg = o->tm ? kith_alloc_n((size_t)MAX(m, 1), sizeof(int64_t), error)
	            : NULL;
	if (!kith_dist_all_ok(deg != NULL, error))
		return FALSE;
	for (int64_t u = 0; u < n; u++) {
		int64_t d = o->R.indptr[u + 1] - o->R.indptr[u];
		o->ru[u] = d > 0 ? (float)(1.0 / (double)d) : 0.0f;
	}
	/* the item degrees: this rank's users' pairs, summed over the ranks */
	for (int64_t i = 0; i < m; i++)
		deg[i] = o->Rt.indptr[i + 1] - o->Rt.indptr[i];
	if (!kith_dist_allreduce_i64(deg, (int)m, KITH_DIST_SUM, error))
		return FALSE;
	for (int64_t i = 0; i < m; i++)
		o->ci[i] = deg[i] > 0 ? (float)(1.0 / sqrt((double)deg[i]))
		                      : 0.0f;
	return TRUE;
}

/* W: the inverse norms of the rows of P from the sketch P·Ω (Ω m x l
 * Gaussian, one RNG stream per row); rows without pairs get 0. */
static gboolean
filter_row_weights(struct filter_op *o, int l, uint64_t seed, GError **error)
{
	int64_t n = o->R.n_rows, m = o->R.n_cols;
	g_autofree float *om = kith_alloc_n((size_t)m * l, sizeof(float),
	                                    error);
	g_autofree float *S = om ? kith_alloc_n((size_t)MAX(n, 1) * l,
	                                        sizeof(float), error) : NULL;
	if (!kith_dist_all_ok(S != NULL, error))
		return FALSE;
#pragma omp parallel for schedule(static)
	for (int64_t i = 0; i < m; i++) {
		struct kith_rng rng;
		kith_rng_seed(&rng, seed, ((uint64_t)1 << 61) + (uint64_t)i);
		for (int j = 0; j < l; j++)
			om[i * l + j] = (float)kith_rng_normal(&rng);
	}
	if (!filter_apply(o, S, om, l, FALSE, error))
		return FALSE;
	o->w = kith_alloc_n((size_t)MAX(n, 1), sizeof(float), error);
	if (!kith_dist_all_ok(o->w != NULL, error))
		return FALSE;
#pragma omp parallel for schedule(static)
	for (int64_t u = 0; u < n; u++) {
		double s = 0;
		for (int j = 0; j < l; j++)
			s += (double)S[u * l + j] * S[u * l + j];
		o->w[u] = s > 0 ? (float)sqrt((double)l / s) : 0.0f;
	}
	return TRUE;
}

/* R̃ = D_u^-1/2 R D_i^-1/2 as an operator (the scratch of a filter_op,
 * l <= its width): the SVD of the low-pass term. */
struct rn_op {
	struct filter_op *o;
	float *su;              /* D_u^-1/2, n */
};

static gboolean
rn_apply(void *ctx, float *out, const float *in, int l, gboolean transpose,
         GError **error)
{
	struct rn_op *r = ctx;
	struct filter_op *o = r->o;
	int64_t n = o->R.n_rows, m = o->R.n_cols;

	if (!op_continue(error))
		return FALSE;
	if (!transpose) {
		memcpy(o->tm, in, (size_t)m * l * sizeof(float));
		scale_rows(o->tm, o->ci, m, l);
		kith_spmm(out, &o->R, o->tm, l);
		scale_rows(out, r->su, n, l);
	} else {
		memcpy(o->tn, in, (size_t)n * l * sizeof(float));
		scale_rows(o->tn, r->su, n, l);
		kith_spmm(out, &o->Rt, o->tn, l);
		if (!kith_dist_allreduce_f32(out, (size_t)m * l, error))
			return FALSE;
		scale_rows(out, o->ci, m, l);
	}
	return TRUE;
}

/* The low-pass term of weight alpha: V_k, the top kl right singular
 * vectors of R̃ (randomised SVD, as the filter's), scaled by D_i^1/2
 * and D_i^-1/2; lmax the widest block the operator will see. */
static gboolean
filter_lowpass_init(struct filter_op *o, int kl, double alpha, int lmax,
                    const struct kith_filter_params *p, GError **error)
{
	int64_t n = o->R.n_rows, m = o->R.n_cols;
	int ls = (int)MIN((int64_t)kl + MAX(p->oversample, 0),
	                  MIN(o->n_all, m));
	g_autofree double *sigma = g_new(double, kl);
	g_autofree float *su = kith_alloc_n((size_t)MAX(n, 1), sizeof(float),
	                                    error);
	struct rn_op r = { o, su };

	if (!kith_dist_all_ok(su != NULL, error))
		return FALSE;
	for (int64_t u = 0; u < n; u++)
		su[u] = sqrtf(o->ru[u]);
	o->vd = kith_alloc_n((size_t)m * kl, sizeof(float), error);
	o->vc = o->vd ? kith_alloc_n((size_t)m * kl, sizeof(float), error)
	              : NULL;
	o->c = o->vc ? kith_alloc_n((size_t)kl * lmax, sizeof(float), error)
	             : NULL;
	o->cs = o->c ? kith_alloc_n(kith_dense_cross_scratch(kl, lmax),
	                            sizeof(double), error) : NULL;
	if (!kith_dist_all_ok(o->cs != NULL, error) ||
	    !kith_svd_op_rows(NULL, sigma, o->vd, o->n_all, n, m, rn_apply, &r,
	                      NULL, kl, ls - kl, MAX(p->passes, 1),
	                      p->seed ^ 0x6c6f77u, error))
		return FALSE;
#pragma omp parallel for schedule(static)
	for (int64_t i = 0; i < m; i++) {
		float ci = o->ci[i], di = ci > 0 ? 1.0f / ci : 0.0f;
		for (int j = 0; j < kl; j++) {
			o->vc[i * kl + j] = o->vd[i * kl + j] * ci;
			o->vd[i * kl + j] *= di;
		}
	}
	o->alpha = (float)alpha;
	o->kl = kl;
	return TRUE;
}

/* Passes of the final fit when it starts from the validation fit's right
 * vectors (whose operator differs by the held-out pairs only). */
#define WARM_PASSES 1

/* The low-pass width of the filter of R (0: none). */
static int
lowpass_dim(const struct kith_filter_params *p, const struct kith_csr *R,
            double alpha)
{
	int64_t k = MIN((int64_t)p->lowpass_dim, MIN(R->n_rows, R->n_cols));
	return alpha > 0 && k > 0 ? (int)k : 0;
}

/* The bytes one rank hands to MPI in a fit of width d (P > 1; see
 * kith-embed(1)): m items, l = d + oversample, iters passes, ls and kl
 * the low-pass term's widths, the agreements on going on (8 B each). */
static int64_t
fit_bytes(int64_t m, int d, int l, int iters, int ls, int kl, int passes,
          gboolean normalize)
{
	int64_t b = 8 * m + 4 * m * d + 16 +
	            iters * (12 * m * l + 16 * (int64_t)l * l + 16);
	if (normalize)
		b += 4 * m * l + 24;
	if (kl > 0)
		b += passes * (4 * m * ls + 16 * (int64_t)ls * ls + 16) + 16;
	return b;
}

/* The embeddings of the filter of R with the low-pass weight alpha on
 * this rank's users lo..hi (all of them in one process): U ((hi - lo) x
 * d), V (m x d, the same on every rank); start: the right vectors V (m x
 * d, before their Σ^1/2 scaling) of a nearby filter, or NULL.  *bytes
 * grows by the formula's bytes of the fit. */
static gboolean
filter_fit(float *U, float *V, const struct kith_csr *R, int64_t lo,
           int64_t hi, int d, const struct kith_filter_params *p,
           double alpha, const float *start, int64_t *bytes, GError **error)
{
	int kl = lowpass_dim(p, R, alpha);
	int64_t n = R->n_rows, m = R->n_cols, nl = hi - lo;
	int l = (int)MIN((int64_t)d + MAX(p->oversample, 0), MIN(n, m));
	int ls = (int)MIN((int64_t)kl + MAX(p->oversample, 0), MIN(n, m));
	int iters = start ? WARM_PASSES : MAX(p->passes, 1);
	struct filter_op o;
	g_autofree double *sigma = g_new(double, d);
	g_autofree float *sh = g_new(float, d), *sr = g_new(float, d);
	gboolean ok = FALSE;

	*bytes += fit_bytes(m, d, l, iters, ls, kl, MAX(p->passes, 1),
	                    p->normalize);
	if (!filter_op_init(&o, R, lo, hi, MAX(MAX(l, d), ls), error))
		goto out;
	if (kl > 0 && !filter_lowpass_init(&o, kl, alpha, MAX(l, d), p, error))
		goto out;
	if (p->normalize && !filter_row_weights(&o, l, p->seed, error))
		goto out;
	if (!kith_svd_op_rows(NULL, sigma, V, n, nl, m, filter_apply, &o,
	                      start, d, l - d, iters, p->seed, error))
		goto out;
	/* users = W P V Σ^-1/2 (filter_apply includes W), items = V Σ^1/2 */
	if (!filter_apply(&o, U, V, d, FALSE, error))
		goto out;
	for (int j = 0; j < d; j++) {
		double s = sqrt(MAX(sigma[j], 0.0));
		sh[j] = (float)s;
		sr[j] = s > 1e-12 ? (float)(1.0 / s) : 0.0f;
	}
#pragma omp parallel for schedule(static)
	for (int64_t u = 0; u < nl; u++)
		for (int j = 0; j < d; j++)
			U[u * d + j] *= sr[j];
#pragma omp parallel for schedule(static)
	for (int64_t i = 0; i < m; i++)
		for (int j = 0; j < d; j++)
			V[i * d + j] *= sh[j];
	ok = TRUE;
out:
	filter_op_clear(&o);
	return ok;
}

/* The ranks' share of the report: the partition, the bytes all ranks
 * handed to MPI (measured, from b0 on, and by the formula: formula
 * bytes per rank, gathered the user rows of the ranks after the first). */
static gboolean
filter_dist_report(struct kith_train_report *rep, const int64_t *bounds,
                   uint64_t b0, int64_t formula, int d, GError **error)
{
	int P = kith_dist_size();
	int64_t sent = (int64_t)(kith_dist_bytes() - b0);

	rep->ranks = P;
	g_free(rep->row_bounds);
	rep->row_bounds = g_memdup2(bounds, sizeof(int64_t) * (size_t)(P + 1));
	rep->bytes_formula_text = "P (Σ over fits (8 m + 4 m d + 16 + I (12 m "
	                          "l + 16 l² + 16) + 4 m l + 24 + [low-pass] "
	                          "I₀ (4 m l₀ + 16 l₀² + 16) + 16) + 32 c + 8) "
	                          "+ 4 d (n - n₀) (0 on one rank)";
	rep->bytes_formula = P > 1 ? P * formula +
	                     4 * (int64_t)d * (bounds[P] - bounds[1]) : 0;
	if (!kith_dist_allreduce_i64(&sent, 1, KITH_DIST_SUM, error))
		return FALSE;
	rep->bytes_steps = sent;
	return TRUE;
}

gboolean
kith_filter_train(float *U, float *V, struct kith_train_report *rep,
                  const struct kith_csr *R,
                  const struct kith_filter_params *p, GError **error)
{
	int d = kith_filter_dim(p, R);
	double t0 = kith_now();
	struct kith_csr tr = { 0 }, val = { 0 };
	float *vu = NULL, *vi = NULL, *ul = NULL;
	gboolean ok = FALSE;
	int P = kith_dist_size(), me = kith_dist_rank();
	g_autofree int64_t *bounds = g_new(int64_t, P + 1);
	uint64_t b0 = kith_dist_bytes();
	int64_t formula = 8;

	if (p->dim < 1 || p->passes < 1 || p->passes > 20 ||
	    p->oversample < 0 || p->val_ratio < 0 || p->val_ratio >= 1 ||
	    p->k < 1) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "filter parameters out of range (dim >= 1, passes "
		            "1..20, oversample >= 0, val-ratio in [0, 1), "
		            "k >= 1)");
		return FALSE;
	}
	if (R->nnz == 0 || d < 1) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "no user-item interactions to train on");
		return FALSE;
	}
	rep->k = p->k;
	rep->stop_reason = "closed-form";
	/* the users' rows split by pairs, as LightGCN's */
	kith_dist_partition(bounds, R->indptr, R->n_rows, P);
	int64_t lo = bounds[me], hi = bounds[me + 1], nl = hi - lo;
	if (p->val_ratio > 0) {
		int64_t vmax = p->val_max_users > 0 ? p->val_max_users : 3000;
		if (!kith_split_validation(&tr, &val, R, p->val_ratio, vmax,
		                           p->seed, error))
			goto out;
		rep->val_pairs = val.nnz;
		for (int64_t u = 0; u < val.n_rows; u++)
			rep->val_users += val.indptr[u + 1] > val.indptr[u];
	}
	rep->lowpass = p->lowpass >= 0 ? p->lowpass : 0;
	if (val.nnz > 0) {
		/* the candidates: the weight asked for, or 0 and
		 * KITH_FILTER_LOWPASS (the first wins ties) */
		double alphas[2] = { rep->lowpass, KITH_FILTER_LOWPASS };
		int cands = p->lowpass >= 0 ? 1 : 2;
		size_t vsz = (size_t)R->n_cols * d;
		for (int c = 0; c < cands; c++) {
			struct kith_rank_metrics rm;
			g_autofree float *v = kith_alloc_n(vsz, sizeof(float),
			                                   error);
			/* each candidate a cold fit of `passes` passes (a warm
			 * start from the other's vectors ranks worse after one
			 * pass: an unfair comparison); the user rows allocated
			 * afresh, so that their pages are touched only at the
			 * end of the fit, as the first candidate's */
			vu = v ? kith_alloc_n((size_t)MAX(nl, 1) * d,
			                      sizeof(float), error) : NULL;
			formula += 32;
			if (!kith_dist_all_ok(vu != NULL, error) ||
			    !filter_fit(vu, v, &tr, lo, hi, d, p, alphas[c], NULL,
			                &formula, error))
				goto out;
			double te = kith_now();
			if (!kith_rank_eval_rows(&rm, vu, v, lo, hi, R->n_cols, d,
			                         p->k, &tr, &val, error))
				goto out;
			rep->seconds_eval += kith_now() - te;
			if (cands > 1)
				rep->lowpass_val[c] = rm.recall;
			if (c == 0 || rm.recall > rep->val) {
				rep->val = rm.recall;
				rep->val2 = rm.ndcg;
				rep->lowpass = alphas[c];
				g_free(vi);
				vi = g_steal_pointer(&v);
			}
			g_clear_pointer(&vu, g_free);
		}
	}
	double tf = kith_now();
	rep->seconds_init = tf - t0 - rep->seconds_eval;
	/* the user rows of this rank; rank 0 gathers them all into U */
	ul = P > 1 ? kith_alloc_n((size_t)MAX(nl, 1) * d, sizeof(float), error)
	           : U;
	if (!kith_dist_all_ok(ul != NULL, error) ||
	    !filter_fit(ul, V, R, lo, hi, d, p, rep->lowpass, vi, &formula,
	                error) ||
	    (P > 1 && !kith_dist_gather_rows(U, ul, bounds, 0, R->n_rows,
	                                     (size_t)d * sizeof(float), FALSE,
	                                     error)))
		goto out;
	rep->seconds_train = kith_now() - tf;
	ok = !kith_dist_active() ||
	     filter_dist_report(rep, bounds, b0, formula, d, error);
out:
	rep->seconds_total = kith_now() - t0;
	if (ul != U)
		g_free(ul);
	g_free(vu);
	g_free(vi);
	kith_csr_clear(&tr);
	kith_csr_clear(&val);
	return ok;
}
