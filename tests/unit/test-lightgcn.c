/* Unit tests of src/nn/lightgcn.c: gradient against finite differences,
 * determinism over seeds and thread counts, and quality on a planted
 * graph against popularity. */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "kith/analytics.h"
#include "kith/core.h"
#include "kith/csr.h"
#include "kith/models.h"
#include "kith/nn.h"

/* Planted block graph: n users, m items, c clusters; user u likes items of
 * its cluster with probability p_in, others with p_out. */
static void
planted(struct kith_csr *R, int n, int m, int c, double p_in, double p_out,
        uint64_t seed)
{
	struct kith_rng rng;
	GArray *rows = g_array_new(FALSE, FALSE, sizeof(int32_t));
	GArray *cols = g_array_new(FALSE, FALSE, sizeof(int32_t));
	kith_rng_seed(&rng, seed, 0);
	for (int32_t u = 0; u < n; u++)
		for (int32_t i = 0; i < m; i++) {
			double pr = (u % c) == (i % c) ? p_in : p_out;
			if (kith_rng_uniform(&rng) < pr) {
				g_array_append_val(rows, u);
				g_array_append_val(cols, i);
			}
		}
	g_assert_true(kith_csr_from_coo(R, n, m, rows->len,
	                                (int32_t *)rows->data,
	                                (int32_t *)cols->data, NULL, NULL));
	g_array_unref(rows);
	g_array_unref(cols);
}

/* The full-batch loss as lightgcn.c defines it, computed naively with
 * dense matrices: F = mean_k Â^k E, L = mean softplus(-(F_u·F_i - F_u·F_j))
 * + λ/(2B) Σ |E_u|²+|E_i|²+|E_j|². */
static double
naive_loss(const double *E, const double *Ahat, int N, int d, int K,
           const int *tu, const int *ti, const int *tj, int B, double l2)
{
	double *F = g_new0(double, N * d), *P = g_new(double, N * d);
	double *Q = g_new(double, N * d);
	memcpy(P, E, sizeof(double) * N * d);
	for (int x = 0; x < N * d; x++)
		F[x] = E[x];
	for (int k = 1; k <= K; k++) {
		for (int r = 0; r < N; r++)
			for (int j = 0; j < d; j++) {
				double s = 0;
				for (int c = 0; c < N; c++)
					s += Ahat[r * N + c] * P[c * d + j];
				Q[r * d + j] = s;
			}
		memcpy(P, Q, sizeof(double) * N * d);
		for (int x = 0; x < N * d; x++)
			F[x] += P[x];
	}
	for (int x = 0; x < N * d; x++)
		F[x] /= K + 1;
	double L = 0;
	for (int b = 0; b < B; b++) {
		double xi = 0, xj = 0, reg = 0;
		for (int j = 0; j < d; j++) {
			xi += F[tu[b] * d + j] * F[ti[b] * d + j];
			xj += F[tu[b] * d + j] * F[tj[b] * d + j];
			reg += E[tu[b] * d + j] * E[tu[b] * d + j] +
			       E[ti[b] * d + j] * E[ti[b] * d + j] +
			       E[tj[b] * d + j] * E[tj[b] * d + j];
		}
		L += log1p(exp(-(xi - xj))) + l2 / 2 * reg;
	}
	g_free(F);
	g_free(P);
	g_free(Q);
	return L / B;
}

/* The analytic gradient of the same loss by the route lightgcn.c takes
 * (∂L/∂F then the filter P applied to it with kith_spmm), compared with
 * central differences of naive_loss in double precision. */
static void
test_gradient(void)
{
	enum { n = 5, m = 6, N = n + m, d = 3, K = 2, B = 7 };
	struct kith_csr R;
	int32_t ru[] = { 0, 0, 1, 1, 2, 3, 3, 4, 4, 4 };
	int32_t ri[] = { 0, 2, 1, 2, 3, 0, 4, 5, 1, 3 };
	g_assert_true(kith_csr_from_coo(&R, n, m, 10, ru, ri, NULL, NULL));
	/* Â by hand */
	double A[N * N] = { 0 }, deg[N] = { 0 }, Ah[N * N];
	for (int e = 0; e < 10; e++) {
		A[ru[e] * N + n + ri[e]] = A[(n + ri[e]) * N + ru[e]] = 1;
		deg[ru[e]]++;
		deg[n + ri[e]]++;
	}
	for (int r = 0; r < N; r++)
		for (int c = 0; c < N; c++)
			Ah[r * N + c] = A[r * N + c] > 0 ?
			    1 / sqrt(deg[r] * deg[c]) : 0;
	struct kith_csr Af = { 0 };
	{
		int32_t rr[N * N], cc[N * N];
		float vv[N * N];
		int e = 0;
		for (int r = 0; r < N; r++)
			for (int c = 0; c < N; c++)
				if (Ah[r * N + c] != 0) {
					rr[e] = r;
					cc[e] = c;
					vv[e++] = (float)Ah[r * N + c];
				}
		g_assert_true(kith_csr_from_coo(&Af, N, N, e, rr, cc, vv,
		                                NULL));
	}
	int tu[B] = { 0, 1, 2, 3, 4, 0, 3 };
	int ti[B] = { n + 0, n + 1, n + 3, n + 4, n + 5, n + 2, n + 0 };
	int tj[B] = { n + 5, n + 3, n + 1, n + 2, n + 0, n + 4, n + 1 };
	double l2 = 0.05;
	double E[N * d];
	struct kith_rng rng;
	kith_rng_seed(&rng, 7, 0);
	for (int x = 0; x < N * d; x++)
		E[x] = 0.5 * kith_rng_normal(&rng);

	/* analytic: F = P E (float, kith_spmm), G_F, G_E = P G_F + λ E/B */
	float Ef[N * d], F[N * d], T[N * d], U[N * d], GF[N * d] = { 0 };
	for (int x = 0; x < N * d; x++)
		Ef[x] = (float)E[x];
	memcpy(F, Ef, sizeof(F));
	memcpy(T, Ef, sizeof(T));
	for (int k = 1; k <= K; k++) {
		kith_spmm(U, &Af, T, d);
		memcpy(T, U, sizeof(T));
		for (int x = 0; x < N * d; x++)
			F[x] += T[x];
	}
	for (int x = 0; x < N * d; x++)
		F[x] /= K + 1;
	for (int b = 0; b < B; b++) {
		double xs = 0;
		for (int j = 0; j < d; j++)
			xs += F[tu[b] * d + j] *
			      (F[ti[b] * d + j] - F[tj[b] * d + j]);
		double c = -1.0 / (1 + exp(xs)) / B;
		for (int j = 0; j < d; j++) {
			GF[tu[b] * d + j] += c * (F[ti[b] * d + j] -
			                          F[tj[b] * d + j]);
			GF[ti[b] * d + j] += c * F[tu[b] * d + j];
			GF[tj[b] * d + j] -= c * F[tu[b] * d + j];
		}
	}
	float GE[N * d];
	memcpy(GE, GF, sizeof(GE));
	memcpy(T, GF, sizeof(T));
	for (int k = 1; k <= K; k++) {
		kith_spmm(U, &Af, T, d);
		memcpy(T, U, sizeof(T));
		for (int x = 0; x < N * d; x++)
			GE[x] += T[x];
	}
	for (int x = 0; x < N * d; x++)
		GE[x] /= K + 1;
	for (int b = 0; b < B; b++) {
		int rows3[3] = { tu[b], ti[b], tj[b] };
		for (int t = 0; t < 3; t++)
			for (int j = 0; j < d; j++)
				GE[rows3[t] * d + j] += l2 / B *
				                        E[rows3[t] * d + j];
	}
	double h = 1e-5, worst = 0;
	for (int x = 0; x < N * d; x++) {
		double keep = E[x];
		E[x] = keep + h;
		double lp = naive_loss(E, Ah, N, d, K, tu, ti, tj, B, l2);
		E[x] = keep - h;
		double lm = naive_loss(E, Ah, N, d, K, tu, ti, tj, B, l2);
		E[x] = keep;
		double num = (lp - lm) / (2 * h);
		worst = MAX(worst, fabs(num - GE[x]) / (fabs(num) + 1e-3));
	}
	g_test_message("worst relative gradient error %.2e", worst);
	g_assert_cmpfloat(worst, <, 1e-3);
	kith_csr_clear(&R);
	kith_csr_clear(&Af);
}

static void
train(float *U, float *V, struct kith_train_report *rep,
      const struct kith_csr *R, int threads, gboolean spectral, int epochs)
{
	struct kith_lightgcn_params p;
	GError *err = NULL;
	kith_lightgcn_params_init(&p);
	p.dim = 16;
	p.train.max_epochs = epochs;
	p.eval_every = 2;
	p.spectral_init = spectral;
	p.seed = 11;
	p.threads = threads;   /* this graph is below the auto threshold */
	kith_set_threads(threads);
	g_assert_true(kith_lightgcn_train(U, V, rep, R, NULL, &p, &err));
	g_assert_no_error(err);
}

static void
test_determinism(void)
{
	struct kith_csr R;
	planted(&R, 300, 200, 5, 0.12, 0.01, 3);
	size_t nu = 300 * 16, ni = 200 * 16;
	float *U1 = g_new(float, nu), *V1 = g_new(float, ni);
	float *U2 = g_new(float, nu), *V2 = g_new(float, ni);
	float *U3 = g_new(float, nu), *V3 = g_new(float, ni);
	struct kith_train_report r1, r2, r3;
	kith_train_report_init(&r1);
	kith_train_report_init(&r2);
	kith_train_report_init(&r3);
	train(U1, V1, &r1, &R, 2, TRUE, 20);
	train(U2, V2, &r2, &R, 2, TRUE, 20);
	train(U3, V3, &r3, &R, 1, TRUE, 20);
	g_assert_cmpint(memcmp(U1, U2, nu * 4), ==, 0);
	g_assert_cmpint(memcmp(V1, V2, ni * 4), ==, 0);
	g_assert_cmpint(r1.best_epoch, ==, r2.best_epoch);
	/* the kernels do not depend on the thread count: same bytes */
	g_assert_cmpint(memcmp(U1, U3, nu * 4), ==, 0);
	/* 1 vs 2 threads: validation metrics within 0.5 % */
	g_assert_cmpfloat(fabs(r1.val - r3.val), <=,
	                  0.005 * r1.val + 1e-12);
	g_assert_cmpfloat(fabs(r1.val2 - r3.val2), <=,
	                  0.005 * r1.val2 + 1e-12);
	kith_train_report_clear(&r1);
	kith_train_report_clear(&r2);
	kith_train_report_clear(&r3);
	g_free(U1); g_free(V1); g_free(U2); g_free(V2); g_free(U3); g_free(V3);
	kith_csr_clear(&R);
	kith_set_threads(0);
}

/* Hold out part of a planted graph; lightgcn (random and spectral start)
 * must rank the held-out items far better than popularity does. */
static void
test_planted_quality(void)
{
	struct kith_csr R, Tr, Te;
	planted(&R, 400, 300, 6, 0.10, 0.01, 5);
	g_assert_true(kith_split_csr(&Tr, &Te, &R, 0.2, 9, NULL));
	int d = 16;
	float *U = g_new(float, 400 * d), *V = g_new(float, 300 * d);
	struct kith_rank_metrics mpop, mrand, mspec;
	/* popularity: one-dimensional embeddings u = 1, v = degree */
	{
		float *pu = g_new(float, 400), *pv = g_new0(float, 300);
		for (int i = 0; i < 400; i++)
			pu[i] = 1;
		for (int64_t k = 0; k < Tr.nnz; k++)
			pv[Tr.indices[k]] += 1;
		g_assert_true(kith_rank_eval(&mpop, pu, pv, 400, 300, 1, 20,
		                             &Tr, &Te, NULL, NULL));
		g_free(pu);
		g_free(pv);
	}
	for (int spectral = 0; spectral <= 1; spectral++) {
		struct kith_train_report rep;
		kith_train_report_init(&rep);
		train(U, V, &rep, &Tr, 0, spectral, 60);
		g_assert_true(kith_rank_eval(spectral ? &mspec : &mrand, U, V,
		                             400, 300, d, 20, &Tr, &Te, NULL,
		                             NULL));
		g_assert_cmpint(rep.best_epoch, >, 0);
		g_assert_cmpint(rep.curve->len, >, 0);
		kith_train_report_clear(&rep);
	}
	g_test_message("recall@20 popularity %.3f random start %.3f "
	               "spectral %.3f", mpop.recall, mrand.recall,
	               mspec.recall);
	/* planted: ~20 % of in-cluster items are relevant; popularity is
	 * near chance (≈ 20/300 of a user's held-out set) */
	g_assert_cmpfloat(mrand.recall, >, 3 * mpop.recall);
	g_assert_cmpfloat(mspec.recall, >, 3 * mpop.recall);
	g_assert_cmpfloat(MIN(mspec.recall, mrand.recall), >, 0.15);
	g_free(U);
	g_free(V);
	kith_csr_clear(&R);
	kith_csr_clear(&Tr);
	kith_csr_clear(&Te);
}

static void
test_bad_params(void)
{
	struct kith_csr R;
	struct kith_lightgcn_params p;
	GError *err = NULL;
	float U[4 * 8], V[4 * 8];
	planted(&R, 4, 4, 2, 0.9, 0.0, 1);
	kith_lightgcn_params_init(&p);
	p.dim = 8;
	p.val_ratio = 1.5;
	g_assert_false(kith_lightgcn_train(U, V, NULL, &R, NULL, &p, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	p.val_ratio = 0;
	p.neg = 0;
	g_assert_false(kith_lightgcn_train(U, V, NULL, &R, NULL, &p, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	struct kith_csr empty;
	g_assert_true(kith_csr_alloc(&empty, 3, 3, 0, FALSE, NULL));
	memset(empty.indptr, 0, 4 * sizeof(int64_t));
	kith_lightgcn_params_init(&p);
	g_assert_false(kith_lightgcn_train(U, V, NULL, &empty, NULL, &p,
	                                   &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_DATA);
	g_clear_error(&err);
	kith_csr_clear(&empty);
	kith_csr_clear(&R);
}

/* Checkpoint + resume gives the same bytes as one uninterrupted run. */
static void
test_resume(void)
{
	struct kith_csr R;
	planted(&R, 120, 80, 4, 0.15, 0.02, 8);
	g_autofree char *dir = g_dir_make_tmp("lgcn-XXXXXX", NULL);
	g_autofree char *ck = g_build_filename(dir, "ck", NULL);
	struct kith_lightgcn_params p;
	kith_lightgcn_params_init(&p);
	p.dim = 8;
	p.train.max_epochs = 12;
	p.eval_every = 2;
	p.train.patience = 100;
	float U1[120 * 8], V1[80 * 8], U2[120 * 8], V2[80 * 8];
	GError *err = NULL;
	g_assert_true(kith_lightgcn_train(U1, V1, NULL, &R, NULL, &p, &err));
	/* a run cut short by its time limit leaves a checkpoint */
	struct kith_lightgcn_params q = p;
	q.train.checkpoint_dir = ck;
	q.train.checkpoint_every = 3;
	q.train.time_limit = 1e-9;   /* stops after the first epoch */
	g_assert_true(kith_lightgcn_train(U2, V2, NULL, &R, NULL, &q, &err));
	g_assert_no_error(err);
	q.train.time_limit = 0;
	q.train.resume = TRUE;
	g_assert_true(kith_lightgcn_train(U2, V2, NULL, &R, NULL, &q, &err));
	g_assert_no_error(err);
	g_assert_cmpint(memcmp(U1, U2, sizeof(U1)), ==, 0);
	g_assert_cmpint(memcmp(V1, V2, sizeof(V1)), ==, 0);

	/* two generations: stop after epochs 1 and 2 (checkpoint every
	 * epoch), damage the newest, resume from ck.old (epoch 1): the
	 * same bytes again */
	g_autofree char *ck2 = g_build_filename(dir, "ck2", NULL);
	g_autofree char *ck2old = g_strconcat(ck2, ".old", NULL);
	g_autofree char *st2 = g_build_filename(ck2, "state.json", NULL);
	q.train.checkpoint_dir = ck2;
	q.train.checkpoint_every = 1;
	q.train.time_limit = 1e-9;
	q.train.resume = FALSE;
	g_assert_true(kith_lightgcn_train(U2, V2, NULL, &R, NULL, &q, &err));
	q.train.resume = TRUE;
	g_assert_true(kith_lightgcn_train(U2, V2, NULL, &R, NULL, &q, &err));
	g_assert_no_error(err);
	g_assert_true(g_file_test(ck2old, G_FILE_TEST_IS_DIR));
	g_assert_true(g_file_set_contents(st2, "{ \"format\": ", -1, NULL));
	q.train.time_limit = 0;
	memset(U2, 0, sizeof(U2));
	g_assert_true(kith_lightgcn_train(U2, V2, NULL, &R, NULL, &q, &err));
	g_assert_no_error(err);
	g_assert_cmpint(memcmp(U1, U2, sizeof(U1)), ==, 0);
	g_assert_cmpint(memcmp(V1, V2, sizeof(V1)), ==, 0);
	/* both generations damaged: a clear error, no fresh start */
	g_autofree char *st2old = g_build_filename(ck2old, "state.json", NULL);
	g_assert_true(g_file_set_contents(st2, "{", -1, NULL));
	g_assert_true(g_file_set_contents(st2old, "{", -1, NULL));
	g_assert_false(kith_lightgcn_train(U2, V2, NULL, &R, NULL, &q, &err));
	g_assert_nonnull(err);
	g_clear_error(&err);
	kith_csr_clear(&R);
	kith_checkpoint_remove(ck);
	kith_checkpoint_remove(ck2);
	g_rmdir(dir);
}

/* Naive F = mean_k Â^k E in double with a dense Â of the bipartite graph
 * of R (degree = number of pairs; isolated nodes keep empty rows). */
static void
naive_propagate(double *F, const float *E, const struct kith_csr *R, int d,
                int K)
{
	int n = (int)R->n_rows, m = (int)R->n_cols, N = n + m;
	double *Ah = g_new0(double, (size_t)N * N), *deg = g_new0(double, N);
	double *P = g_new(double, (size_t)N * d), *Q = g_new(double, (size_t)N * d);
	for (int u = 0; u < n; u++)
		for (int64_t k = R->indptr[u]; k < R->indptr[u + 1]; k++) {
			deg[u]++;
			deg[n + R->indices[k]]++;
		}
	for (int u = 0; u < n; u++)
		for (int64_t k = R->indptr[u]; k < R->indptr[u + 1]; k++) {
			int i = n + R->indices[k];
			Ah[(size_t)u * N + i] = Ah[(size_t)i * N + u] =
			    1 / sqrt(deg[u] * deg[i]);
		}
	for (int x = 0; x < N * d; x++)
		F[x] = P[x] = E[x];
	for (int k = 1; k <= K; k++) {
		for (int r = 0; r < N; r++)
			for (int j = 0; j < d; j++) {
				double s = 0;
				for (int c = 0; c < N; c++)
					s += Ah[(size_t)r * N + c] * P[c * d + j];
				Q[r * d + j] = s;
			}
		memcpy(P, Q, sizeof(double) * N * d);
		for (int x = 0; x < N * d; x++)
			F[x] += P[x];
	}
	for (int x = 0; x < N * d; x++)
		F[x] /= K + 1;
	g_free(Ah);
	g_free(deg);
	g_free(P);
	g_free(Q);
}

static double
max_rel_diff(const float *a, const double *b, size_t n)
{
	double worst = 0, scale = 1e-6;
	for (size_t x = 0; x < n; x++)
		scale = MAX(scale, fabs(b[x]));
	for (size_t x = 0; x < n; x++)
		worst = MAX(worst, fabs(a[x] - b[x]) / scale);
	return worst;
}

/* ego_out holds the E⁰ whose propagation is the output; a warm start
 * from it (init_ego) with a vanishing learning rate gives the output
 * back; focus pairs that are not training pairs are ignored; warm starts
 * with new users and items are deterministic. */
static void
test_ego_warm_start(void)
{
	enum { n = 120, m = 80, d = 8 };
	struct kith_csr R;
	planted(&R, n, m, 4, 0.15, 0.02, 8);
	struct kith_lightgcn_params p;
	kith_lightgcn_params_init(&p);
	p.dim = d;
	p.train.max_epochs = 4;
	p.val_ratio = 0;
	p.seed = 3;
	static float U[n * d], V[m * d], ego[(n + m) * d];
	static double F[(n + m) * d];
	struct kith_train_report rep;
	GError *err = NULL;
	kith_train_report_init(&rep);
	p.ego_out = ego;
	g_assert_true(kith_lightgcn_train(U, V, &rep, &R, NULL, &p, &err));
	g_assert_no_error(err);
	g_assert_true(rep.has_ego);
	kith_train_report_clear(&rep);
	naive_propagate(F, ego, &R, d, p.layers);
	g_assert_cmpfloat(max_rel_diff(U, F, n * d), <, 1e-4);
	g_assert_cmpfloat(max_rel_diff(V, F + n * d, m * d), <, 1e-4);

	/* warm start from the ego rows, one step at lr 1e-9: same output */
	struct kith_lightgcn_params q = p;
	static float U2[n * d], V2[m * d], ego2[(n + m) * d];
	q.init_user = ego;
	q.init_item = ego + n * d;
	q.init_users = n;
	q.init_items = m;
	q.init_ego = TRUE;
	q.train.max_epochs = 1;
	q.epoch_steps = 1;
	q.lr = 1e-9;
	q.ego_out = ego2;
	g_assert_true(kith_lightgcn_train(U2, V2, NULL, &R, NULL, &q, &err));
	g_assert_no_error(err);
	g_assert_cmpfloat(max_rel_diff(U2, F, n * d), <, 1e-4);
	g_assert_cmpfloat(max_rel_diff(V2, F + n * d, m * d), <, 1e-4);

	/* a grown graph: 10 new users with pairs on old and new items, 5
	 * new items; the focus is the new pairs plus invalid ones */
	GArray *ru = g_array_new(FALSE, FALSE, sizeof(int32_t));
	GArray *ri = g_array_new(FALSE, FALSE, sizeof(int32_t));
	for (int u = 0; u < n; u++)
		for (int64_t k = R.indptr[u]; k < R.indptr[u + 1]; k++) {
			g_array_append_val(ru, u);
			g_array_append_val(ri, R.indices[k]);
		}
	int64_t fu[40];
	int32_t fi[40];
	int nf = 0;
	for (int32_t u = n; u < n + 10; u++)
		for (int32_t t = 0; t < 3; t++) {
			int32_t i = (u * 7 + t * 11) % (m + 5);
			g_array_append_val(ru, u);
			g_array_append_val(ri, i);
			fu[nf] = u;
			fi[nf++] = i;
		}
	struct kith_csr R2;
	g_assert_true(kith_csr_from_coo(&R2, n + 10, m + 5, ru->len,
	                                (int32_t *)ru->data,
	                                (int32_t *)ri->data, NULL, NULL));
	static float U3[(n + 10) * d], V3[(m + 5) * d];
	static float U4[(n + 10) * d], V4[(m + 5) * d];
	static float E3[(n + m + 15) * d];
	q.lr = 0;              /* the default */
	q.epoch_steps = 4;
	q.focus_u = fu;
	q.focus_i = fi;
	q.n_focus_pairs = nf;
	q.focus_share = 0.5;
	q.ego_out = E3;
	g_assert_true(kith_lightgcn_train(U3, V3, NULL, &R2, NULL, &q, &err));
	g_assert_no_error(err);
	for (size_t x = 0; x < G_N_ELEMENTS(U3); x++)
		g_assert_true(isfinite(U3[x]));
	/* invalid focus pairs (unknown user, unknown item, not a pair) are
	 * dropped: the same bytes */
	int64_t fu2[43];
	int32_t fi2[43];
	memcpy(fu2, fu, sizeof(int64_t) * nf);
	memcpy(fi2, fi, sizeof(int32_t) * nf);
	fu2[nf] = n + 99; fi2[nf] = 0;
	fu2[nf + 1] = 0; fi2[nf + 1] = m + 99;
	fu2[nf + 2] = n; fi2[nf + 2] = -1;
	q.focus_u = fu2;
	q.focus_i = fi2;
	q.n_focus_pairs = nf + 3;
	g_assert_true(kith_lightgcn_train(U4, V4, NULL, &R2, NULL, &q, &err));
	g_assert_no_error(err);
	g_assert_cmpint(memcmp(U3, U4, sizeof(U3)), ==, 0);
	g_assert_cmpint(memcmp(V3, V4, sizeof(V3)), ==, 0);
	/* a bad focus share is a usage error */
	q.focus_share = 1.5;
	g_assert_false(kith_lightgcn_train(U4, V4, NULL, &R2, NULL, &q, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	g_array_unref(ru);
	g_array_unref(ri);
	kith_csr_clear(&R);
	kith_csr_clear(&R2);
}

/* on_epoch hook of test_timed_checkpoint: after epoch 1 copies the
 * checkpoint folder, which then holds the timed checkpoint written after
 * the epoch's second-to-last step. */
struct copy_ckpt {
	const char *from, *to;
	gboolean done;
};

static void
copy_ckpt_epoch(const struct kith_train_point *pt, void *data)
{
	struct copy_ckpt *c = data;
	const char *names[] = { "ego.npy", "adam_m.npy", "adam_v.npy",
	                        "best.npy", "state.json" };
	if (pt->epoch != 1 || c->done)
		return;
	g_assert_cmpint(g_mkdir_with_parents(c->to, 0755), ==, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *a = g_build_filename(c->from, names[i], NULL);
		g_autofree char *b = g_build_filename(c->to, names[i], NULL);
		g_autofree char *buf = NULL;
		gsize len = 0;
		g_assert_true(g_file_get_contents(a, &buf, &len, NULL));
		g_assert_true(g_file_set_contents(b, buf, (gssize)len, NULL));
	}
	c->done = TRUE;
}

/* Timed checkpoints (checkpoint_seconds) are written after steps inside
 * an epoch, do not change the result, and a run resumed from one inside
 * epoch 1 ends with the same bytes. */
static void
test_timed_checkpoint(void)
{
	enum { n = 120, m = 80, d = 8 };
	struct kith_csr R;
	planted(&R, n, m, 4, 0.15, 0.02, 8);
	g_autofree char *dir = g_dir_make_tmp("lgcn-XXXXXX", NULL);
	g_autofree char *ck = g_build_filename(dir, "ck", NULL);
	g_autofree char *cp = g_build_filename(dir, "copy", NULL);
	struct kith_lightgcn_params p;
	kith_lightgcn_params_init(&p);
	p.dim = d;
	p.train.max_epochs = 3;
	p.val_ratio = 0;
	p.batch = 64;                    /* several steps per epoch */
	static float U1[n * d], V1[m * d], U2[n * d], V2[m * d];
	GError *err = NULL;
	g_assert_true(kith_lightgcn_train(U1, V1, NULL, &R, NULL, &p, &err));
	struct kith_lightgcn_params q = p;
	struct copy_ckpt c = { ck, cp, FALSE };
	q.train.checkpoint_dir = ck;
	q.train.checkpoint_seconds = 1e-9;     /* after every step */
	q.train.on_epoch = copy_ckpt_epoch;
	q.train.on_epoch_data = &c;
	g_assert_true(kith_lightgcn_train(U2, V2, NULL, &R, NULL, &q, &err));
	g_assert_no_error(err);
	g_assert_true(c.done);
	g_assert_cmpint(memcmp(U1, U2, sizeof(U1)), ==, 0);
	g_assert_cmpint(memcmp(V1, V2, sizeof(V1)), ==, 0);
	/* the copy is a checkpoint inside epoch 1 */
	g_autofree char *sp = g_build_filename(cp, "state.json", NULL);
	g_autofree char *state = NULL;
	g_assert_true(g_file_get_contents(sp, &state, NULL, NULL));
	g_assert_nonnull(strstr(state, "\"step\""));
	g_assert_null(strstr(state, "\"step\" : 0,"));
	struct kith_lightgcn_params r = p;
	r.train.checkpoint_dir = cp;
	r.train.resume = TRUE;
	memset(U2, 0, sizeof(U2));
	g_assert_true(kith_lightgcn_train(U2, V2, NULL, &R, NULL, &r, &err));
	g_assert_no_error(err);
	g_assert_cmpint(memcmp(U1, U2, sizeof(U1)), ==, 0);
	g_assert_cmpint(memcmp(V1, V2, sizeof(V1)), ==, 0);
	/* a negative interval is a usage error */
	q.train.checkpoint_seconds = -1;
	g_assert_false(kith_lightgcn_train(U2, V2, NULL, &R, NULL, &q, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	kith_csr_clear(&R);
	kith_checkpoint_remove(ck);
	kith_checkpoint_remove(cp);
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/lightgcn/gradient", test_gradient);
	g_test_add_func("/lightgcn/determinism", test_determinism);
	g_test_add_func("/lightgcn/planted-quality", test_planted_quality);
	g_test_add_func("/lightgcn/bad-params", test_bad_params);
	g_test_add_func("/lightgcn/resume", test_resume);
	g_test_add_func("/lightgcn/ego-warm-start", test_ego_warm_start);
	g_test_add_func("/lightgcn/timed-checkpoint", test_timed_checkpoint);
	return g_test_run();
}
