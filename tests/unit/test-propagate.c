/* Unit tests of preference propagation (src/analytics/propagate.c): the
 * iteration against a dense linear solve of its fixed point, the graph
 * mix against a dense reference, NDCG@3, and the hold-out evaluation on
 * a store with two planted taste groups. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kith/analytics.h"
#include "kith/core.h"
#include "kith/emb.h"
#include "kith/ingest.h"
#include "kith/profile.h"
#include "kith/store.h"

#include "unit-util.h"

static char *tmpdir;

/* solves M x = b for k right-hand sides in place (n x n, row-major) */
static void
dense_solve(double *M, double *B, int n, int k)
{
	for (int c = 0; c < n; c++) {
		int p = c;
		for (int r = c + 1; r < n; r++)
			if (fabs(M[r * n + c]) > fabs(M[p * n + c]))
				p = r;
		for (int j = 0; j < n; j++) {
			double t = M[c * n + j]; M[c * n + j] = M[p * n + j];
			M[p * n + j] = t;
		}
		for (int j = 0; j < k; j++) {
			double t = B[c * k + j]; B[c * k + j] = B[p * k + j];
			B[p * k + j] = t;
		}
		for (int r = 0; r < n; r++) {
			if (r == c)
				continue;
			double f = M[r * n + c] / M[c * n + c];
			for (int j = 0; j < n; j++)
				M[r * n + j] -= f * M[c * n + j];
			for (int j = 0; j < k; j++)
				B[r * k + j] -= f * B[c * k + j];
		}
	}
	for (int r = 0; r < n; r++)
		for (int j = 0; j < k; j++)
			B[r * k + j] /= M[r * n + r];
}

/* random row-normalised sparse graph with some empty rows */
static void
random_graph(struct kith_csr *W, int n, struct kith_rng *rng)
{
	GError *err = NULL;
	g_autoptr(GArray) r = g_array_new(FALSE, FALSE, sizeof(int32_t));
	g_autoptr(GArray) c = g_array_new(FALSE, FALSE, sizeof(int32_t));
	g_autoptr(GArray) v = g_array_new(FALSE, FALSE, sizeof(float));
	for (int i = 0; i < n; i++) {
		if (i % 7 == 3)
			continue;
		for (int j = 0; j < n; j++)
			if (j != i && kith_rng_uniform(rng) < 0.15) {
				float w = (float)(0.1 + kith_rng_uniform(rng));
				g_array_append_val(r, i);
				g_array_append_val(c, j);
				g_array_append_val(v, w);
			}
	}
	g_assert_true(kith_csr_from_coo(W, n, n, r->len, (int32_t *)r->data,
	                                (int32_t *)c->data, (float *)v->data,
	                                &err));
	for (int i = 0; i < n; i++) {
		double s = 0;
		for (int64_t e = W->indptr[i]; e < W->indptr[i + 1]; e++)
			s += W->values[e];
		for (int64_t e = W->indptr[i]; e < W->indptr[i + 1]; e++)
			W->values[e] /= s;
	}
}

static void
test_fixed_point(void)
{
	const int n = 40, c = 5;
	struct kith_rng rng;
	struct kith_csr W;
	struct kith_propagate_params p;
	struct kith_prefs r;
	GError *err = NULL;
	float P0[40 * 5];
	double ev[40];

	kith_rng_seed(&rng, 11, 0);
	random_graph(&W, n, &rng);
	for (int u = 0; u < n; u++) {
		double s = 0;
		ev[u] = u % 3 == 0 ? 0 : (double)(u % 11);
		for (int k = 0; k < c; k++) {
			P0[u * c + k] = ev[u] > 0 ? (float)kith_rng_uniform(&rng)
			                          : 0.0f;
			s += P0[u * c + k];
		}
		for (int k = 0; k < c && s > 0; k++)
			P0[u * c + k] = (float)(P0[u * c + k] / s);
	}
	kith_propagate_params_init(&p);
	p.alpha = 0.8;
	p.kappa = 4;
	p.iterations = 1000;
	p.tol = 1e-9;
	g_assert_true(kith_propagate_run(&r, &W, P0, ev, n, c, &p, &err));
	g_assert_no_error(err);
	g_assert_true(r.converged);
	g_assert_cmpint(r.iterations, <, 1000);

	/* (I - diag(a) W) X = diag(1 - a) [P0 | conf0] */
	g_autofree double *M = g_new0(double, n * n);
	g_autofree double *B = g_new0(double, n * (c + 1));
	for (int u = 0; u < n; u++) {
		double a = p.alpha * p.kappa / (p.kappa + ev[u]);
		M[u * n + u] = 1;
		for (int64_t e = W.indptr[u]; e < W.indptr[u + 1]; e++)
			M[u * n + W.indices[e]] -= a * W.values[e];
		for (int k = 0; k < c; k++)
			B[u * (c + 1) + k] = (1 - a) * P0[u * c + k];
		B[u * (c + 1) + c] = (1 - a) * ev[u] / (ev[u] + p.kappa);
	}
	g_autofree double *B0 = g_memdup2(B, sizeof(double) * n * (c + 1));
	dense_solve(M, B, n, c + 1);
	int reached = 0;
	for (int u = 0; u < n; u++) {
		double mass = 0, own = 0;
		for (int k = 0; k < c; k++) {
			mass += B[u * (c + 1) + k];
			own += B0[u * (c + 1) + k];
		}
		for (int k = 0; k < c; k++) {
			double want = mass > 0 ? B[u * (c + 1) + k] / mass : 0;
			g_assert_cmpfloat(fabs(r.P[u * c + k] - want), <, 1e-5);
		}
		g_assert_cmpfloat(fabs(r.confidence[u] - B[u * (c + 1) + c]), <,
		                  1e-5);
		double os = mass > 0 ? own / mass : 0;
		g_assert_cmpfloat(fabs(r.own_share[u] - os), <, 1e-5);
		if (ev[u] == 0 && mass > 0) {
			reached++;
			g_assert_cmpfloat(r.own_share[u], ==, 0);
		}
		if (ev[u] == 0 && W.indptr[u + 1] == W.indptr[u])
			g_assert_cmpint(r.top[u * 3], ==, -1);
	}
	g_assert_cmpint(reached, >, 5);   /* cold users got neighbours' taste */
	kith_prefs_clear(&r);

	/* alpha 0: every user keeps its own history */
	p.alpha = 0;
	g_assert_true(kith_propagate_run(&r, &W, P0, ev, n, c, &p, &err));
	g_assert_cmpmem(r.P, sizeof(P0), P0, sizeof(P0));
	kith_prefs_clear(&r);
	p.alpha = 1;
	g_assert_false(kith_propagate_run(&r, &W, P0, ev, n, c, &p, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	kith_csr_clear(&W);
}

static void
test_ndcg(void)
{
	float truth[4] = { 0.5f, 0.3f, 0.2f, 0.0f };
	int32_t best[3] = { 0, 1, 2 }, worst[3] = { 3, -1, -1 };
	int32_t mid[3] = { 1, 0, 3 };
	g_assert_cmpfloat_with_epsilon(kith_ndcg3(best, truth, 4), 1, 1e-9);
	g_assert_cmpfloat(kith_ndcg3(worst, truth, 4), ==, 0);
	double idcg = 0.5 + 0.3 / log2(3) + 0.2 / 2;
	double dcg = 0.3 + 0.5 / log2(3);
	g_assert_cmpfloat_with_epsilon(kith_ndcg3(mid, truth, 4), dcg / idcg,
	                               1e-6);
	float zero[4] = { 0 };
	g_assert_cmpfloat(kith_ndcg3(best, zero, 4), ==, 0);
	int32_t t[3];
	float row[5] = { 0.2f, 0.4f, 0.2f, 0.0f, 0.2f };
	kith_top3(t, row, 5);
	g_assert_cmpint(t[0], ==, 1);
	g_assert_cmpint(t[1], ==, 0);   /* ties: lower index first */
	g_assert_cmpint(t[2], ==, 2);
	float one[3] = { 0, 1, 0 };
	kith_top3(t, one, 3);
	g_assert_cmpint(t[0], ==, 1);
	g_assert_cmpint(t[1], ==, -1);
}

/* two taste groups: users g0_* buy items of category x, g1_* of y;
 * friends within the group; n per group */
static struct kith_store *
two_group_store(int n)
{
	GError *err = NULL;
	GString *ev = g_string_new("user,item,event,timestamp\n");
	GString *so = g_string_new("src,dst\n");
	GString *it = g_string_new("item,category\n");
	struct kith_rng rng;
	kith_rng_seed(&rng, 5, 0);
	for (int i = 0; i < 10; i++)
		g_string_append_printf(it, "x%d,x\ny%d,y\nz%d,z\n", i, i, i);
	for (int g = 0; g < 2; g++)
		for (int u = 0; u < n; u++) {
			/* most of the group's events in its category, some in z
			 * (popular with everybody) */
			int ne = 10;
			for (int e = 0; e < ne; e++) {
				int item = (int)kith_rng_below(&rng, 10);
				const char *cat = e < 6 ? "z" : g ? "y" : "x";
				g_string_append_printf(ev, "g%d_%d,%s%d,view,%d\n", g,
				                       u, cat, item,
				                       1700000000 + e * 3600);
			}
			for (int f = 1; f <= 3; f++)
				g_string_append_printf(so, "g%d_%d,g%d_%d\n", g, u, g,
				                       (u + f) % n);
		}
	/* group 0 is larger, so x is the globally popular second category */
	for (int u = 0; u < n; u++) {
		for (int e = 0; e < 10; e++)
			g_string_append_printf(ev, "h_%d,x%d,view,%d\n", u, e % 10,
			                       1700000000 + e * 3600);
		g_string_append_printf(so, "h_%d,h_%d\n", u, (u + 1) % n);
	}
	g_autofree char *pe = g_build_filename(tmpdir, "ev.csv", NULL);
	g_autofree char *ps = g_build_filename(tmpdir, "so.csv", NULL);
	g_autofree char *pi = g_build_filename(tmpdir, "it.csv", NULL);
	g_autofree char *path = g_build_filename(tmpdir, "two", NULL);
	g_assert_true(g_file_set_contents(pe, ev->str, -1, NULL));
	g_assert_true(g_file_set_contents(ps, so->str, -1, NULL));
	g_assert_true(g_file_set_contents(pi, it->str, -1, NULL));
	g_string_free(ev, TRUE);
	g_string_free(so, TRUE);
	g_string_free(it, TRUE);
	struct kith_ingest_options o;
	struct kith_ingest_result r;
	memset(&o, 0, sizeof(o));
	o.csv = (struct kith_csv_options)KITH_CSV_OPTIONS_INIT;
	o.max_rejects = -1;
	o.max_rejects_pct = -1;
	o.events = pe;
	o.social = ps;
	o.items = pi;
	g_assert_true(kith_ingest_run(&o, &r, &err));
	g_assert_no_error(err);
	g_assert_true(kith_store_write(r.store, path, r.extra, FALSE, &err));
	kith_ingest_result_clear(&r);
	struct kith_store *s = kith_store_open(path, &err);
	g_assert_no_error(err);
	return s;
}

static void
test_graph_mix(void)
{
	g_autoptr(kith_store) s = two_group_store(10);
	int64_t n = s->n_users;
	struct kith_propagate_params p;
	struct kith_csr W;
	GError *err = NULL;
	g_autofree char *canon = NULL;
	kith_propagate_params_init(&p);
	p.knn = 3;

	/* embeddings: group index on one axis, noise on the other */
	g_autofree float *E = g_new(float, n * 2);
	for (int64_t u = 0; u < n; u++) {
		E[u * 2] = (float)(1 + (u % 5));
		E[u * 2 + 1] = (float)((u * 7) % 3) - 1.0f;
	}
	struct kith_emb e = { 0 };
	e.n_users = n;
	e.dim = 2;
	e.users = E;

	g_assert_true(kith_propagate_graph(&W, &canon, s, &e, "social:3,knn",
	                                   &p, &err));
	g_assert_no_error(err);
	g_assert_cmpstr(canon, ==, "social:3,knn");
	struct kith_csr K;
	g_assert_true(kith_knn_graph(&K, E, n, 2, 3, 0.0, TRUE, &err));
	/* dense reference: rownorm(3 rownorm(S) + rownorm(K)) */
	g_autofree double *D = g_new0(double, n * n);
	for (int64_t u = 0; u < n; u++) {
		double ss = 0, sk = 0;
		for (int64_t q = s->uu.indptr[u]; q < s->uu.indptr[u + 1]; q++)
			ss += s->uu.values ? s->uu.values[q] : 1;
		for (int64_t q = K.indptr[u]; q < K.indptr[u + 1]; q++)
			sk += K.values[q];
		for (int64_t q = s->uu.indptr[u]; q < s->uu.indptr[u + 1]; q++)
			D[u * n + s->uu.indices[q]] +=
			        3 * (s->uu.values ? s->uu.values[q] : 1) / ss;
		for (int64_t q = K.indptr[u]; q < K.indptr[u + 1]; q++)
			D[u * n + K.indices[q]] += K.values[q] / sk;
		double t = 0;
		for (int64_t v = 0; v < n; v++)
			t += D[u * n + v];
		for (int64_t v = 0; v < n && t > 0; v++)
			D[u * n + v] /= t;
	}
	int64_t nnz = 0;
	for (int64_t i = 0; i < n * n; i++)
		nnz += D[i] > 0;
	g_assert_cmpint(W.nnz, ==, nnz);
	for (int64_t u = 0; u < n; u++)
		for (int64_t q = W.indptr[u]; q < W.indptr[u + 1]; q++)
			g_assert_cmpfloat(fabs(W.values[q] -
			                       D[u * n + W.indices[q]]), <, 1e-6);
	kith_csr_clear(&W);
	kith_csr_clear(&K);

	/* a single graph: its row-normalised self, whatever its weight */
	g_assert_true(kith_propagate_graph(&W, NULL, s, &e, "social:7", &p,
	                                   &err));
	g_assert_cmpint(W.nnz, ==, s->uu.nnz);
	for (int64_t u = 0; u < n; u++) {
		int64_t deg = s->uu.indptr[u + 1] - s->uu.indptr[u];
		g_assert_cmpint(W.indptr[u + 1] - W.indptr[u], ==, deg);
		for (int64_t q = W.indptr[u]; q < W.indptr[u + 1]; q++) {
			g_assert_cmpint(W.indices[q], ==, s->uu.indices[q]);
			g_assert_cmpfloat(fabs(W.values[q] - 1.0 / deg), <, 1e-6);
		}
	}
	kith_csr_clear(&W);

	g_assert_false(kith_propagate_graph(&W, NULL, s, NULL, "knn", &p,
	                                    &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	g_assert_false(kith_propagate_graph(&W, NULL, s, NULL, "social,bogus",
	                                    &p, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	g_assert_false(kith_propagate_graph(&W, NULL, s, NULL, "social:-1",
	                                    &p, &err));
	g_clear_error(&err);
}

static void
test_evaluate(void)
{
	g_autoptr(kith_store) s = two_group_store(30);
	struct kith_propagate_params p;
	struct kith_propagate_eval a, b;
	struct kith_csr W;
	GError *err = NULL;
	kith_propagate_params_init(&p);
	g_assert_true(kith_propagate_graph(&W, NULL, s, NULL, "social", &p,
	                                   &err));
	/* 90 users with categorised events: 18 held out */
	g_assert_true(kith_propagate_evaluate(&a, s, &W, &p, 0.2, 0.0, 3,
	                                      KITH_REL_SHARE, &err));
	g_assert_no_error(err);
	g_assert_cmpint(a.users_held_out, ==, 18);
	g_assert_cmpint(a.users_partial, ==, 0);
	g_assert_true(isnan(a.own_ndcg3));
	g_assert_true(kith_propagate_evaluate(&b, s, &W, &p, 0.2, 0.0, 3,
	                                      KITH_REL_SHARE, &err));
	g_assert_cmpfloat(a.ndcg3, ==, b.ndcg3);
	/* friends share the taste: propagation is near perfect, popularity
	 * (x, z, y) is not */
	g_assert_cmpfloat(a.ndcg3, >, 0.95);
	g_assert_cmpfloat(a.ndcg3, >, a.pop_ndcg3 + 0.05);
	g_assert_cmpfloat(a.acc1, >, a.pop_acc1);
	g_assert_true(kith_propagate_evaluate(&a, s, &W, &p, 0.2, 0.3, 3,
	                                      KITH_REL_LIFT, &err));
	g_assert_cmpint(a.users_partial, ==, 18);   /* 3 of 10 events kept */
	g_assert_cmpfloat(a.own_ndcg3, >, 0);
	g_assert_cmpfloat(a.ndcg3, >=, a.pop_ndcg3);
	g_assert_false(kith_propagate_evaluate(&a, s, &W, &p, 1.5, 0.2, 3,
	                                       KITH_REL_SHARE, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	kith_csr_clear(&W);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("kith-test-propagate-XXXXXX", NULL);
	g_test_add_func("/propagate/fixed-point", test_fixed_point);
	g_test_add_func("/propagate/ndcg", test_ndcg);
	g_test_add_func("/propagate/graph-mix", test_graph_mix);
	g_test_add_func("/propagate/evaluate", test_evaluate);
	return test_run_and_remove(tmpdir);
}
