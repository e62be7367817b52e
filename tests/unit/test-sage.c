/* Unit tests of src/nn/features.c and src/nn/sage.c. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "kith/analytics.h"
#include "kith/core.h"
#include "kith/models.h"
#include "kith/nn.h"
#include "kith/store.h"

#include "unit-util.h"

static void
set_csr(struct kith_csr *c, int64_t rows, int64_t cols, int nnz,
        const int32_t *r, const int32_t *cc, const float *v)
{
	g_assert_true(kith_csr_from_coo(c, rows, cols, nnz, r, cc, v, NULL));
}

static char **
names(struct kith_store *s, int n, const char *pre)
{
	char **out = kith_store_own(s, g_new0(char *, n + 1));
	for (int i = 0; i < n; i++) {
		char b[32];
		g_snprintf(b, sizeof b, "%s%d", pre, i);
		out[i] = kith_store_intern(s, b);
	}
	return out;
}

/* 3 users, 2 items, 2 categories, 2 user features, 1 attribute. */
static struct kith_store *
tiny_store(void)
{
	struct kith_store *s = kith_store_new();
	int32_t ur[] = { 0, 0, 1 }, ui[] = { 0, 1, 1 };
	int32_t sr[] = { 0, 1 }, sc[] = { 1, 0 };
	int32_t cr[] = { 0, 1, 1 }, cc[] = { 0, 0, 1 };
	int32_t fr[] = { 0, 0, 2 }, fc[] = { 0, 1, 1 };
	float fv[] = { 1, 3, 2 };
	static float attr[] = { 10, 20, 30 };

	s->n_users = 3;
	s->n_items = 2;
	s->n_categories = 2;
	s->n_user_feats = 2;
	s->n_user_attrs = 1;
	set_csr(&s->ui, 3, 2, 3, ur, ui, NULL);
	g_assert_true(kith_csr_transpose(&s->iu, &s->ui, NULL));
	set_csr(&s->uu, 3, 3, 2, sr, sc, NULL);
	set_csr(&s->item_cat, 2, 2, 3, cr, cc, NULL);
	set_csr(&s->uf, 3, 2, 3, fr, fc, fv);
	s->user_attr = attr;
	s->user_ids = names(s, 3, "u");
	s->item_ids = names(s, 2, "i");
	s->category_names = names(s, 2, "cat");
	s->user_feat_names = names(s, 2, "f");
	s->user_attr_names = names(s, 1, "age");
	return s;
}

static float
get(const struct kith_csr *X, int64_t i, int64_t c)
{
	for (int64_t k = X->indptr[i]; k < X->indptr[i + 1]; k++)
		if (X->indices[k] == c)
			return X->values[k];
	return 0.0f;
}

/* Rows [r0, r1) built alone are those rows of the whole build, byte for
 * byte, fitted or with a given schema; a range outside is refused. */
static void
test_features_rows(void)
{
	struct kith_store *s = tiny_store();
	struct kith_feature_schema sc, sc2;
	struct kith_csr X, Y;
	GError *err = NULL;

	g_assert_true(kith_features_build(&X, &sc, s, TRUE, TRUE, &err));
	for (int fit = 0; fit < 2; fit++)
		for (int64_t r0 = 0; r0 <= X.n_rows; r0++)
			for (int64_t r1 = r0; r1 <= X.n_rows; r1++) {
				JsonNode *j = kith_feature_schema_to_json(&sc);
				if (!fit)
					g_assert_true(kith_feature_schema_from_json(
					    &sc2, j, &err));
				g_assert_true(kith_features_build_rows(&Y, &sc2, s,
				    TRUE, fit, r0, r1, &err));
				g_assert_no_error(err);
				g_assert_cmpint(Y.n_rows, ==, r1 - r0);
				g_assert_cmpint(Y.n_cols, ==, X.n_cols);
				int64_t k0 = X.indptr[r0];
				g_assert_cmpint(Y.nnz, ==, X.indptr[r1] - k0);
				for (int64_t r = 0; r <= r1 - r0; r++)
					g_assert_cmpint(Y.indptr[r], ==,
					                X.indptr[r0 + r] - k0);
				g_assert_cmpmem(Y.indices, Y.nnz * 4,
				                X.indices + k0, Y.nnz * 4);
				g_assert_cmpmem(Y.values, Y.nnz * 4,
				                X.values + k0, Y.nnz * 4);
				g_assert_cmpmem(sc2.mean, sc.n_cols * 4, sc.mean,
				                sc.n_cols * 4);
				g_assert_cmpmem(sc2.scale, sc.n_cols * 4, sc.scale,
				                sc.n_cols * 4);
				kith_csr_clear(&Y);
				kith_feature_schema_clear(&sc2);
				json_node_unref(j);
			}
	g_assert_false(kith_features_build_rows(&Y, &sc2, s, TRUE, TRUE, 2, 6,
	                                        &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	g_assert_false(kith_features_build_rows(&Y, &sc2, s, TRUE, TRUE, 3, 2,
	                                        &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	kith_csr_clear(&X);
	kith_feature_schema_clear(&sc);
	kith_store_free(s);
}

static void
test_features(void)
{
	struct kith_store *s = tiny_store();
	struct kith_feature_schema sc, sc2;
	struct kith_csr X, X2;
	GError *err = NULL;

	g_assert_true(kith_features_build(&X, &sc, s, TRUE, TRUE, &err));
	g_assert_no_error(err);
	/* uf(2) + attr(1) + stats(3 + 0 types + is_item) + cat(2) */
	g_assert_cmpint(sc.n_cols, ==, 2 + 1 + 4 + 2);
	g_assert_cmpint(X.n_rows, ==, 5);
	/* uf row-normalised: user 0 has 1, 3 -> 0.25, 0.75 */
	g_assert_cmpfloat(fabs(get(&X, 0, 0) - 0.25), <, 1e-6);
	g_assert_cmpfloat(fabs(get(&X, 0, 1) - 0.75), <, 1e-6);
	g_assert_cmpfloat(fabs(get(&X, 2, 1) - 1.0), <, 1e-6);
	/* age standardised over 5 rows (items read 0): values 10,20,30,0,0 */
	double mu = 12, sd = sqrt((4 + 64 + 324 + 144 + 144) / 5.0);
	g_assert_cmpfloat(fabs(get(&X, 1, 2) - (20 - mu) / sd), <, 1e-5);
	g_assert_cmpfloat(fabs(get(&X, 3, 2) - (0 - mu) / sd), <, 1e-5);
	/* categories: user 0 has items 0 (cat0) and 1 (cat0, cat1) */
	g_assert_cmpfloat(fabs(get(&X, 0, 7) - 2.0 / 3), <, 1e-6);
	g_assert_cmpfloat(fabs(get(&X, 0, 8) - 1.0 / 3), <, 1e-6);
	/* item 1 (row 4): its own categories */
	g_assert_cmpfloat(fabs(get(&X, 4, 7) - 0.5), <, 1e-6);
	/* rows sorted */
	for (int64_t i = 0; i < X.n_rows; i++)
		for (int64_t k = X.indptr[i] + 1; k < X.indptr[i + 1]; k++)
			g_assert_cmpint(X.indices[k], >, X.indices[k - 1]);

	/* The schema survives JSON and reproduces the same matrix. */
	JsonNode *j = kith_feature_schema_to_json(&sc);
	g_assert_true(kith_feature_schema_from_json(&sc2, j, &err));
	g_assert_true(kith_features_build(&X2, &sc2, s, TRUE, FALSE, &err));
	g_assert_cmpint(X2.nnz, ==, X.nnz);
	g_assert_cmpmem(X.indices, X.nnz * 4, X2.indices, X2.nnz * 4);
	for (int64_t k = 0; k < X.nnz; k++)
		g_assert_cmpfloat(fabs(X.values[k] - X2.values[k]), <, 1e-6);
	json_node_unref(j);
	kith_csr_clear(&X2);

	/* A store whose feature names differ: unknown ones are dropped. */
	s->user_feat_names[0] = kith_store_intern(s, "other");
	g_assert_true(kith_features_build(&X2, &sc2, s, TRUE, FALSE, &err));
	g_assert_cmpfloat(get(&X2, 0, 0), ==, 0.0f);
	g_assert_cmpfloat(fabs(get(&X2, 0, 1) - 0.75), <, 1e-6);
	kith_csr_clear(&X2);

	/* Malformed schema */
	JsonNode *bad = json_from_string("{\"uf\": [\"a\"]}", NULL);
	g_assert_false(kith_feature_schema_from_json(&sc2, bad, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_CORRUPT);
	g_clear_error(&err);
	json_node_unref(bad);

	/* The joint graph: user 0 -> user 1, items 0, 1 (as nodes 3, 4) */
	struct kith_csr G;
	g_assert_true(kith_sage_graph(&G, s, &err));
	g_assert_cmpint(G.n_rows, ==, 5);
	g_assert_cmpint(G.indptr[1] - G.indptr[0], ==, 3);
	g_assert_cmpint(G.indices[0], ==, 1);
	g_assert_cmpint(G.indices[1], ==, 3);
	g_assert_cmpint(G.indices[2], ==, 4);
	g_assert_cmpint(G.nnz, ==, 2 + 2 * 3);
	/* user 1 has the link both ways, once, and no self-loop */
	g_assert_cmpint(G.indptr[2] - G.indptr[1], >=, 1);
	g_assert_cmpint(G.indices[G.indptr[1]], ==, 0);
	/* any rows alone are those rows of the whole graph */
	for (int64_t r0 = 0; r0 <= G.n_rows; r0++)
		for (int64_t r1 = r0; r1 <= G.n_rows; r1++) {
			struct kith_csr Gr;
			g_assert_true(kith_sage_graph_rows(&Gr, s, r0, r1, &err));
			g_assert_cmpint(Gr.n_rows, ==, r1 - r0);
			g_assert_cmpint(Gr.n_cols, ==, G.n_cols);
			int64_t k0 = G.indptr[r0];
			g_assert_cmpint(Gr.nnz, ==, G.indptr[r1] - k0);
			for (int64_t r = 0; r <= r1 - r0; r++)
				g_assert_cmpint(Gr.indptr[r], ==,
				                G.indptr[r0 + r] - k0);
			g_assert_cmpmem(Gr.indices, Gr.nnz * 4, G.indices + k0,
			                Gr.nnz * 4);
			kith_csr_clear(&Gr);
		}
	g_assert_false(kith_sage_graph_rows(&G, s, 0, 6, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	kith_csr_clear(&G);

	kith_feature_schema_clear(&sc);
	kith_feature_schema_clear(&sc2);
	kith_csr_clear(&X);
	s->user_attr = NULL;
	kith_store_free(s);
}

/* Planted partition with community-correlated features (as in
 * test-gcn.c, smaller). */
static void
planted(struct kith_csr *A, struct kith_csr *X, int32_t *label, int64_t n,
        int k, double pin, double pout, uint64_t seed)
{
	struct kith_rng r;
	kith_rng_seed(&r, seed, 0);
	for (int64_t i = 0; i < n; i++)
		label[i] = (int32_t)(i % k);
	test_planted_edges(A, label, n, pin, pout, &r);
	/* feature: one-hot of the class with probability 0.4, else random */
	g_assert_true(kith_csr_alloc(X, n, k, n, TRUE, NULL));
	for (int64_t i = 0; i < n; i++) {
		X->indptr[i] = i;
		X->indices[i] = kith_rng_uniform(&r) < 0.4 ? label[i] :
		                (int32_t)kith_rng_below(&r, k);
		X->values[i] = 1.0f;
	}
	X->indptr[n] = n;
}

static void
run_sage(gboolean pool)
{
	enum { N = 400, K = 4, D = 16 };
	struct kith_csr A, X;
	int32_t label[N];
	float *emb = g_new(float, N * D), *emb2 = g_new(float, N * D);
	struct kith_sage_params p;
	struct kith_sage_model m;
	struct kith_train_report rep;
	GError *err = NULL;

	planted(&A, &X, label, N, K, 0.06, 0.003, 4);
	kith_sage_params_init(&p);
	p.dim = D;
	p.pool = pool;
	p.train.max_epochs = 150;
	p.fanout[0] = 5;
	p.fanout[1] = 3;
	p.val_ratio = 0.1;
	kith_train_report_init(&rep);
	g_assert_true(kith_sage_train(emb, &m, &rep, &A, &X, &p, &err));
	g_assert_no_error(err);
	g_test_message("sage %s: val auc %.3f, %d epochs", pool ? "pool" :
	               "mean", rep.val, rep.epochs_run);
	g_assert_cmpfloat(rep.val, >, 0.55);   /* random: 0.5 */
	/* embeddings are unit rows */
	for (int i = 0; i < N; i++) {
		double sq = 0;
		for (int q = 0; q < D; q++)
			sq += emb[i * D + q] * emb[i * D + q];
		g_assert_cmpfloat(fabs(sq - 1), <, 1e-4);
	}
	/* same class closer than across */
	double win, acr;
	test_class_dots(emb, label, N, D, &win, &acr);
	g_assert_cmpfloat(win, >, acr + 0.1);

	/* apply reproduces the embeddings (full neighbourhoods) */
	g_assert_true(kith_sage_apply(emb2, &m, &A, &X, NULL, &err));
	g_assert_cmpmem(emb, N * D * sizeof(float), emb2, N * D * sizeof(float));

	/* inductive: a graph with 20 more nodes linked to nodes of class 0
	 * embeds them without retraining, near class 0 */
	{
		enum { M = N + 20 };
		struct kith_csr A2, X2;
		GArray *rr = g_array_new(FALSE, FALSE, sizeof(int32_t));
		GArray *cc = g_array_new(FALSE, FALSE, sizeof(int32_t));
		float *e2 = g_new(float, M * D);
		for (int i = 0; i < N; i++)
			for (int64_t k = A.indptr[i]; k < A.indptr[i + 1]; k++) {
				int32_t a = i, b = A.indices[k];
				g_array_append_val(rr, a);
				g_array_append_val(cc, b);
			}
		for (int32_t v = N; v < M; v++)
			for (int32_t t = 0; t < 5; t++) {
				int32_t u = (v * 7 + t * 13) % (N / K) * K;
				g_array_append_val(rr, v);
				g_array_append_val(cc, u);
				g_array_append_val(rr, u);
				g_array_append_val(cc, v);
			}
		g_assert_true(kith_csr_from_coo(&A2, M, M, rr->len,
		                                (int32_t *)rr->data,
		                                (int32_t *)cc->data, NULL, NULL));
		g_assert_true(kith_csr_alloc(&X2, M, K, M, TRUE, NULL));
		for (int i = 0; i <= M; i++)
			X2.indptr[i] = i;
		for (int i = 0; i < M; i++) {
			X2.indices[i] = i < N ? X.indices[i] : 0;
			X2.values[i] = 1.0f;
		}
		g_assert_true(kith_sage_apply(e2, &m, &A2, &X2, NULL, &err));
		double s0 = 0, s1 = 0;
		for (int v = N; v < M; v++)
			for (int i = 0; i < N; i++) {
				double dot = 0;
				for (int q = 0; q < D; q++)
					dot += e2[v * D + q] * emb[i * D + q];
				if (label[i] == 0)
					s0 += dot;
				else
					s1 += dot;
			}
		g_assert_cmpfloat(s0 / (N / K), >, s1 / (N - N / K));
		/* wrong feature width is refused */
		X2.n_cols = K + 1;
		g_assert_false(kith_sage_apply(e2, &m, &A2, &X2, NULL, &err));
		g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
		g_clear_error(&err);
		g_array_free(rr, TRUE);
		g_array_free(cc, TRUE);
		kith_csr_clear(&A2);
		kith_csr_clear(&X2);
		g_free(e2);
	}

	/* determinism: same seed, same output */
	struct kith_sage_model m2;
	struct kith_train_report rep2;
	kith_train_report_init(&rep2);
	g_assert_true(kith_sage_train(emb2, &m2, &rep2, &A, &X, &p, &err));
	g_assert_cmpmem(emb, N * D * sizeof(float), emb2, N * D * sizeof(float));
	kith_sage_model_clear(&m2);
	kith_train_report_clear(&rep2);

	kith_sage_model_clear(&m);
	kith_train_report_clear(&rep);
	kith_csr_clear(&A);
	kith_csr_clear(&X);
	g_free(emb);
	g_free(emb2);
}

static void
test_sage_mean(void)
{
	run_sage(FALSE);
}

static void
test_sage_pool(void)
{
	run_sage(TRUE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/features/build", test_features);
	g_test_add_func("/features/rows", test_features_rows);
	g_test_add_func("/sage/mean", test_sage_mean);
	g_test_add_func("/sage/pool", test_sage_pool);
	return g_test_run();
}
