/* Unit tests of src/nn/filter.c: the spectral filter against a naive dense
 * reference (the filter matrix formed in double and its top right singular
 * vectors by Jacobi), the row normalisation, the same bytes for 1, 2 and 3
 * threads, validation on a planted graph, and kith_svd_op's warm start. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "kith/core.h"
#include "kith/models.h"
#include "kith/nn.h"
#include "unit-util.h"

/* Eigenvectors of the symmetric m x m matrix a (destroyed) by cyclic
 * Jacobi: the columns of V, eigenvalues in w. */
static void
naive_eigen(double *a, double *w, double *V, int m)
{
	for (int i = 0; i < m; i++)
		for (int j = 0; j < m; j++)
			V[i * m + j] = i == j;
	for (int sweep = 0; sweep < 100; sweep++) {
		double off = 0;
		for (int i = 0; i < m; i++)
			for (int j = 0; j < m; j++)
				if (i != j)
					off += a[i * m + j] * a[i * m + j];
		if (off < 1e-26)
			break;
		for (int p = 0; p < m - 1; p++)
			for (int q = p + 1; q < m; q++) {
				if (fabs(a[p * m + q]) < 1e-300)
					continue;
				double th = (a[q * m + q] - a[p * m + p]) /
				            (2 * a[p * m + q]);
				double t = (th >= 0 ? 1 : -1) /
				           (fabs(th) + sqrt(th * th + 1));
				double c = 1 / sqrt(t * t + 1), s = t * c;
				for (int k = 0; k < m; k++) {
					double x = a[k * m + p], y = a[k * m + q];
					a[k * m + p] = c * x - s * y;
					a[k * m + q] = s * x + c * y;
				}
				for (int k = 0; k < m; k++) {
					double x = a[p * m + k], y = a[q * m + k];
					a[p * m + k] = c * x - s * y;
					a[q * m + k] = s * x + c * y;
				}
				for (int k = 0; k < m; k++) {
					double x = V[k * m + p], y = V[k * m + q];
					V[k * m + p] = c * x - s * y;
					V[k * m + q] = s * x + c * y;
				}
			}
	}
	for (int i = 0; i < m; i++)
		w[i] = a[i * m + i];
}

/* The order of the eigenvalues w[0..m) from the largest. */
static void
descending(const double *w, int *ord, int m)
{
	for (int i = 0; i < m; i++)
		ord[i] = i;
	for (int i = 0; i < m; i++)
		for (int j = i + 1; j < m; j++)
			if (w[ord[j]] > w[ord[i]]) {
				int t = ord[i];
				ord[i] = ord[j];
				ord[j] = t;
			}
}

/* P = R D_i^-1/2 Rᵀ D_u^-1 R D_i^-1/2 + alpha R D_i^-1/2 V_k V_kᵀ D_i^1/2
 * (n x m, double), formed densely; V_k the top kl right singular vectors
 * of R̃ = D_u^-1/2 R D_i^-1/2 (eigenvectors of R̃ᵀR̃ = G). */
static double *
naive_filter(const struct kith_csr *R, double alpha, int kl)
{
	int64_t n = R->n_rows, m = R->n_cols;
	double *A = g_new0(double, n * m), *P = g_new0(double, n * m);
	double *G = g_new0(double, m * m), *du = g_new0(double, n);
	double *di = g_new0(double, m);
	for (int64_t u = 0; u < n; u++)
		for (int64_t k = R->indptr[u]; k < R->indptr[u + 1]; k++) {
			A[u * m + R->indices[k]] = 1;
			du[u]++;
			di[R->indices[k]]++;
		}
	/* G = D_i^-1/2 Aᵀ D_u^-1 A D_i^-1/2 */
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < m; j++) {
			double s = 0;
			for (int64_t u = 0; u < n; u++)
				if (du[u] > 0)
					s += A[u * m + i] * A[u * m + j] / du[u];
			G[i * m + j] = di[i] > 0 && di[j] > 0 ?
			               s / sqrt(di[i] * di[j]) : 0;
		}
	for (int64_t u = 0; u < n; u++)
		for (int64_t j = 0; j < m; j++) {
			double s = 0;
			for (int64_t i = 0; i < m; i++)
				s += A[u * m + i] * G[i * m + j];
			P[u * m + j] = s;
		}
	if (kl > 0) {
		double *w = g_new(double, m), *E = g_new(double, m * m);
		int *ord = g_new(int, m);
		naive_eigen(G, w, E, (int)m);
		descending(w, ord, (int)m);
		g_assert_cmpfloat(w[ord[kl - 1]] - w[ord[kl]], >,
		                  1e-3 * w[ord[0]]);  /* V_k is unique */
		for (int64_t u = 0; u < n; u++)
			for (int64_t j = 0; j < m; j++) {
				double s = 0;
				for (int64_t i = 0; i < m; i++) {
					if (A[u * m + i] == 0 || di[i] == 0)
						continue;
					double pr = 0;
					for (int c = 0; c < kl; c++)
						pr += E[i * m + ord[c]] *
						      E[j * m + ord[c]];
					s += pr / sqrt(di[i]) * sqrt(di[j]);
				}
				P[u * m + j] += alpha * s;
			}
		g_free(w);
		g_free(E);
		g_free(ord);
	}
	g_free(A);
	g_free(G);
	g_free(du);
	g_free(di);
	return P;
}

/* Scores S = U Vᵀ (n x m) of an embedding of width d. */
static double *
scores(const float *U, const float *V, int64_t n, int64_t m, int d)
{
	double *S = g_new(double, n * m);
	for (int64_t u = 0; u < n; u++)
		for (int64_t i = 0; i < m; i++) {
			double s = 0;
			for (int j = 0; j < d; j++)
				s += (double)U[u * d + j] * V[i * d + j];
			S[u * m + i] = s;
		}
	return S;
}

/* Without row normalisation the filter's scores are P V_d V_dᵀ, V_d the
 * top-d right singular vectors of P (with the low-pass term of weight
 * alpha and width kl in P). */
static void
check_naive(double alpha, int kl)
{
	struct kith_csr R = test_random_csr(30, 20, 0.3, 7);
	int64_t n = R.n_rows, m = R.n_cols;
	struct kith_filter_params p;
	struct kith_train_report rep;
	GError *err = NULL;
	kith_filter_params_init(&p);
	p.dim = 5;
	p.normalize = FALSE;
	p.val_ratio = 0;
	p.seed = 3;
	p.lowpass = alpha;
	p.lowpass_dim = kl;
	float *U = g_new(float, n * p.dim), *V = g_new(float, m * p.dim);
	kith_train_report_init(&rep);
	g_assert_true(kith_filter_train(U, V, &rep, &R, &p, &err));
	g_assert_no_error(err);
	g_assert_cmpfloat(rep.val, <, 0);  /* no validation */
	g_assert_cmpfloat(rep.lowpass, ==, alpha);

	double *P = naive_filter(&R, alpha, kl), *M = g_new0(double, m * m);
	double *w = g_new(double, m), *E = g_new(double, m * m);
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < m; j++)
			for (int64_t u = 0; u < n; u++)
				M[i * m + j] += P[u * m + i] * P[u * m + j];
	naive_eigen(M, w, E, (int)m);
	int ord[20];
	descending(w, ord, (int)m);
	g_assert_cmpfloat(w[ord[p.dim - 1]] - w[ord[p.dim]], >,
	                  1e-3 * w[ord[0]]);  /* a gap: V_d is unique */
	double *S = scores(U, V, n, m, p.dim), worst = 0, top = 0;
	for (int64_t u = 0; u < n; u++)
		for (int64_t i = 0; i < m; i++) {
			double s = 0;
			for (int64_t j = 0; j < m; j++) {
				double pr = 0;
				for (int c = 0; c < p.dim; c++)
					pr += E[i * m + ord[c]] * E[j * m + ord[c]];
				s += P[u * m + j] * pr;
			}
			worst = MAX(worst, fabs(S[u * m + i] - s));
			top = MAX(top, fabs(s));
		}
	g_assert_cmpfloat(worst, <=, 1e-4 * top);
	g_free(S);
	g_free(P);
	g_free(M);
	g_free(w);
	g_free(E);
	g_free(U);
	g_free(V);
	kith_train_report_clear(&rep);
	kith_csr_clear(&R);
}

static void
test_naive(void)
{
	check_naive(0, 0);
}

static void
test_naive_lowpass(void)
{
	check_naive(0.7, 3);
}

/* With row normalisation and full width the scores of each user are its
 * filter row scaled by a positive factor. */
static void
test_normalised_full(void)
{
	struct kith_csr R = test_random_csr(25, 12, 0.35, 11);
	int64_t n = R.n_rows, m = R.n_cols;
	struct kith_filter_params p;
	struct kith_train_report rep;
	GError *err = NULL;
	kith_filter_params_init(&p);
	p.dim = (int)m;
	p.val_ratio = 0;
	float *U = g_new(float, n * m), *V = g_new(float, m * m);
	kith_train_report_init(&rep);
	g_assert_true(kith_filter_train(U, V, &rep, &R, &p, &err));
	g_assert_no_error(err);
	double *P = naive_filter(&R, 0, 0), *S = scores(U, V, n, m, (int)m);
	for (int64_t u = 0; u < n; u++) {
		double np = 0, ns = 0, dot = 0;
		for (int64_t i = 0; i < m; i++) {
			np += P[u * m + i] * P[u * m + i];
			ns += S[u * m + i] * S[u * m + i];
			dot += P[u * m + i] * S[u * m + i];
		}
		if (np == 0) {
			g_assert_cmpfloat(ns, <=, 1e-12);
			continue;
		}
		/* cosine 1: the same direction, positive factor */
		g_assert_cmpfloat(dot / sqrt(np * ns), >=, 1 - 1e-5);
	}
	g_free(P);
	g_free(S);
	g_free(U);
	g_free(V);
	kith_train_report_clear(&rep);
	kith_csr_clear(&R);
}

/* Users in 4 groups, each liking its own quarter of the items (plus
 * noise): validation finds the held-out items of the group, and 1, 2
 * and 3 threads give the same bytes. */
static void
test_planted_threads(void)
{
	const int64_t n = 240, m = 160;
	struct kith_rng rng;
	GArray *ru = g_array_new(FALSE, FALSE, sizeof(int32_t));
	GArray *ri = g_array_new(FALSE, FALSE, sizeof(int32_t));
	kith_rng_seed(&rng, 9, 0);
	for (int32_t u = 0; u < n; u++)
		for (int32_t i = 0; i < m; i++) {
			gboolean own = i / (m / 4) == u % 4;
			if (kith_rng_uniform(&rng) < (own ? 0.3 : 0.01)) {
				g_array_append_val(ru, u);
				g_array_append_val(ri, i);
			}
		}
	struct kith_csr R;
	GError *err = NULL;
	g_assert_true(kith_csr_from_coo(&R, n, m, ru->len, (int32_t *)ru->data,
	                                (int32_t *)ri->data, NULL, &err));
	struct kith_filter_params p;
	kith_filter_params_init(&p);
	p.dim = 16;
	p.val_ratio = 0.2;
	p.seed = 5;
	float *U[3], *V[3];
	for (int t = 0; t < 3; t++) {
		struct kith_train_report rep;
		kith_train_report_init(&rep);
		U[t] = g_new(float, n * p.dim);
		V[t] = g_new(float, m * p.dim);
		kith_set_threads(t + 1);
		g_assert_true(kith_filter_train(U[t], V[t], &rep, &R, &p, &err));
		g_assert_no_error(err);
		g_assert_cmpint(rep.val_users, >, 0);
		g_assert_cmpint(rep.val_pairs, >, 0);
		/* a quarter of 40 own items: recall@20 of chance is 0.125 */
		g_assert_cmpfloat(rep.val, >, 0.6);
		g_assert_cmpfloat(rep.val2, >, 0.2);  /* chance: about 0.05 */
		g_assert_cmpstr(rep.stop_reason, ==, "closed-form");
		kith_train_report_clear(&rep);
	}
	kith_set_threads(0);
	for (int t = 1; t < 3; t++) {
		g_assert_cmpint(memcmp(U[0], U[t], n * p.dim * 4), ==, 0);
		g_assert_cmpint(memcmp(V[0], V[t], m * p.dim * 4), ==, 0);
	}
	for (int t = 0; t < 3; t++) {
		g_free(U[t]);
		g_free(V[t]);
	}
	g_array_free(ru, TRUE);
	g_array_free(ri, TRUE);
	kith_csr_clear(&R);
}

/* No pairs: a data error; bad parameters: a usage error. */
static void
test_errors(void)
{
	struct kith_csr R = test_random_csr(5, 4, 0.0, 1);
	struct kith_filter_params p;
	struct kith_train_report rep;
	GError *err = NULL;
	float U[64], V[64];
	kith_filter_params_init(&p);
	p.dim = 2;
	kith_train_report_init(&rep);
	g_assert_false(kith_filter_train(U, V, &rep, &R, &p, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_DATA);
	g_clear_error(&err);
	p.passes = 0;
	g_assert_false(kith_filter_train(U, V, &rep, &R, &p, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	kith_train_report_clear(&rep);
	kith_csr_clear(&R);
}

/* kith_linop_fn of a CSR pair { A, Aᵀ }. */
static gboolean
csr_op(void *ctx, float *out, const float *in, int l, gboolean transpose,
       GError **error)
{
	struct kith_csr **ops = ctx;
	(void)error;
	kith_spmm(out, ops[transpose ? 1 : 0], in, l);
	return TRUE;
}

/* kith_svd_op started from converged right vectors (20 passes): one pass
 * keeps their singular values, which one cold pass does not reach. */
static void
test_warm_start(void)
{
	struct kith_csr A = test_random_csr(120, 90, 0.1, 21), At;
	struct kith_csr *ops[2] = { &A, &At };
	GError *err = NULL;
	enum { K = 6 };
	g_assert_true(kith_csr_transpose(&At, &A, &err));
	float *V = g_new(float, 90 * K), *V2 = g_new(float, 90 * K);
	double s[K], warm[K], cold[K], ew = 0, ec = 0;
	g_assert_true(kith_svd_op(NULL, s, V, 120, 90, csr_op, ops, NULL, K,
	                          4, 20, 1, &err));
	g_assert_true(kith_svd_op(NULL, warm, V2, 120, 90, csr_op, ops, V, K,
	                          4, 1, 2, &err));
	g_assert_true(kith_svd_op(NULL, cold, V2, 120, 90, csr_op, ops, NULL,
	                          K, 4, 1, 2, &err));
	g_assert_no_error(err);
	for (int c = 0; c < K; c++) {
		ew = MAX(ew, fabs(s[c] - warm[c]));
		ec = MAX(ec, fabs(s[c] - cold[c]));
	}
	g_assert_cmpfloat(ew, <=, 1e-4 * s[0]);
	g_assert_cmpfloat(ec, >, 10 * ew);
	g_free(V);
	g_free(V2);
	kith_csr_clear(&A);
	kith_csr_clear(&At);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/filter/naive", test_naive);
	g_test_add_func("/filter/naive-lowpass", test_naive_lowpass);
	g_test_add_func("/filter/normalised-full", test_normalised_full);
	g_test_add_func("/filter/planted-threads", test_planted_threads);
	g_test_add_func("/filter/errors", test_errors);
	g_test_add_func("/filter/warm-start", test_warm_start);
	return g_test_run();
}
