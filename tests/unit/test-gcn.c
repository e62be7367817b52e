/* Unit tests of src/nn/adj.c and src/nn/gcn.c on planted-partition graphs. */
#include "config.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#include "kith/analytics.h"
#include "kith/core.h"
#include "kith/models.h"
#include "kith/nn.h"

#include "unit-util.h"

/* A planted partition: n nodes in k classes, edges within a class with
 * probability pin, across with pout (symmetric, no self-loops); sparse
 * features: each node has 6 words, drawn from its class's 20 words with
 * probability q, else from all 20k; values 1/6 (row-normalised). */
static void
planted(struct kith_csr *A, struct kith_csr *X, int32_t *label,
        uint8_t *split, int64_t n, int k, double pin, double pout,
        double q, uint64_t seed)
{
	struct kith_rng r;
	kith_rng_seed(&r, seed, 0);
	for (int64_t i = 0; i < n; i++) {
		label[i] = (int32_t)(i % k);
		split[i] = i < 10 * k ? KITH_SPLIT_TRAIN :
		           i < 20 * k ? KITH_SPLIT_VAL : KITH_SPLIT_TEST;
	}
	test_planted_edges(A, label, n, pin, pout, &r);
	g_assert_true(kith_csr_alloc(X, n, 20 * k, n * 6, TRUE, NULL));
	X->indptr[0] = 0;
	for (int64_t i = 0; i < n; i++) {
		int32_t w[6];
		for (int t = 0; t < 6; t++) {
			int32_t c;
			gboolean dup;
			do {
				c = kith_rng_uniform(&r) < q ?
				    label[i] * 20 + (int32_t)kith_rng_below(&r, 20) :
				    (int32_t)kith_rng_below(&r, 20 * k);
				dup = FALSE;
				for (int u = 0; u < t; u++)
					dup |= w[u] == c;
			} while (dup);
			w[t] = c;
		}
		for (int a = 1; a < 6; a++)
			for (int b = a; b > 0 && w[b - 1] > w[b]; b--) {
				int32_t t = w[b];
				w[b] = w[b - 1];
				w[b - 1] = t;
			}
		for (int t = 0; t < 6; t++) {
			X->indices[i * 6 + t] = w[t];
			X->values[i * 6 + t] = 1.0f / 6;
		}
		X->indptr[i + 1] = (i + 1) * 6;
	}
}

/* kith_adj_gcn against a dense computation, for a directed input. */
static void
test_adj_gcn(void)
{
	enum { N = 7 };
	/* directed edges, one duplicate direction and a self-loop */
	int32_t r[] = { 0, 1, 1, 2, 3, 4, 4, 5, 6 };
	int32_t c[] = { 1, 0, 2, 2, 4, 5, 6, 4, 0 };
	struct kith_csr A, Ah;
	double D[N][N] = { { 0 } }, deg[N] = { 0 };

	g_assert_true(kith_csr_from_coo(&A, N, N, G_N_ELEMENTS(r), r, c, NULL,
	                                NULL));
	g_assert_true(kith_adj_gcn(&Ah, &A, TRUE, NULL));
	for (size_t e = 0; e < G_N_ELEMENTS(r); e++)
		if (r[e] != c[e])
			D[r[e]][c[e]] = D[c[e]][r[e]] = 1;
	for (int i = 0; i < N; i++) {
		D[i][i] = 1;
		for (int j = 0; j < N; j++)
			deg[i] += D[i][j];
	}
	for (int i = 0; i < N; i++) {
		double row[N] = { 0 };
		for (int64_t k = Ah.indptr[i]; k < Ah.indptr[i + 1]; k++) {
			if (k > Ah.indptr[i])
				g_assert_cmpint(Ah.indices[k], >, Ah.indices[k - 1]);
			row[Ah.indices[k]] = Ah.values[k];
		}
		for (int j = 0; j < N; j++)
			g_assert_cmpfloat(fabs(row[j] - D[i][j] /
			                  sqrt(deg[i] * deg[j])), <, 1e-6);
	}
	kith_csr_clear(&A);
	kith_csr_clear(&Ah);
}

/* kith_adj_bipartite against a dense computation. */
static void
test_adj_bipartite(void)
{
	int32_t r[] = { 0, 0, 1, 2, 2, 2 };
	int32_t c[] = { 0, 3, 3, 1, 2, 3 };
	struct kith_csr R, Ah;
	g_assert_true(kith_csr_from_coo(&R, 4, 4, 6, r, c, NULL, NULL));
	g_assert_true(kith_adj_bipartite(&Ah, &R, NULL, NULL));
	g_assert_cmpint(Ah.n_rows, ==, 8);
	g_assert_cmpint(Ah.nnz, ==, 12);
	double du[4] = { 2, 1, 3, 0 }, di[4] = { 1, 1, 1, 3 };
	for (int e = 0; e < 6; e++) {
		double want = 1 / sqrt(du[r[e]] * di[c[e]]);
		gboolean f1 = FALSE, f2 = FALSE;
		for (int64_t k = Ah.indptr[r[e]]; k < Ah.indptr[r[e] + 1]; k++)
			if (Ah.indices[k] == 4 + c[e]) {
				g_assert_cmpfloat(fabs(Ah.values[k] - want), <, 1e-6);
				f1 = TRUE;
			}
		for (int64_t k = Ah.indptr[4 + c[e]]; k < Ah.indptr[5 + c[e]]; k++)
			if (Ah.indices[k] == r[e]) {
				g_assert_cmpfloat(fabs(Ah.values[k] - want), <, 1e-6);
				f2 = TRUE;
			}
		g_assert_true(f1 && f2);
	}
	/* user 3 has no items: empty row */
	g_assert_cmpint(Ah.indptr[4] - Ah.indptr[3], ==, 0);
	kith_csr_clear(&R);
	kith_csr_clear(&Ah);
}

static void
test_gcn_supervised(void)
{
	enum { N = 600, K = 3, H = 16 };
	struct kith_csr A, X;
	int32_t label[N], pred[N], pred2[N];
	uint8_t split[N];
	float *emb = g_new(float, N * H), *emb2 = g_new(float, N * H);
	struct kith_gcn_params p;
	struct kith_gcn_model m;
	struct kith_train_report rep;
	GError *err = NULL;

	/* weak features (q = 0.35) and a weakly assortative graph: neither
	 * alone classifies well, the GCN combines them */
	planted(&A, &X, label, split, N, K, 0.02, 0.004, 0.35, 5);
	kith_gcn_params_init(&p);
	p.hidden = H;
	p.seed = 3;
	kith_train_report_init(&rep);
	omp_set_num_threads(2);
	g_assert_true(kith_gcn_train(emb, pred, &m, &rep, &A, &X, label, split,
	                             K, &p, &err));
	g_assert_no_error(err);
	g_test_message("gcn planted: train %.3f val %.3f test %.3f epochs %d",
	               rep.train_acc, rep.val_acc, rep.test_acc,
	               rep.epochs_run);
	g_assert_cmpfloat(rep.test_acc, >, 0.75);   /* chance: 1/3 */
	g_assert_cmpint(rep.best_epoch, >=, 1);
	g_assert_cmpint(rep.curve->len, ==, rep.epochs_run);
	/* predictions agree with the reported accuracy */
	int64_t hit = 0, cnt = 0;
	for (int i = 0; i < N; i++)
		if (split[i] == KITH_SPLIT_TEST) {
			cnt++;
			hit += pred[i] == label[i];
		}
	g_assert_cmpfloat(fabs((double)hit / cnt - rep.test_acc), <, 1e-12);
	/* the embedding is the ReLU hidden layer */
	for (int i = 0; i < N * H; i++)
		g_assert_cmpfloat(emb[i], >=, 0.0f);
	/* applying the kept weights reproduces embedding and predictions */
	g_assert_true(kith_gcn_apply(emb2, pred2, &m, &A, &X, NULL, &err));
	g_assert_cmpmem(emb, N * H * sizeof(float), emb2, N * H * sizeof(float));
	g_assert_cmpmem(pred, sizeof pred, pred2, sizeof pred2);
	kith_gcn_model_clear(&m);
	kith_train_report_clear(&rep);

	/* same seed, one thread: identical outputs */
	omp_set_num_threads(1);
	kith_train_report_init(&rep);
	g_assert_true(kith_gcn_train(emb2, pred2, &m, &rep, &A, &X, label,
	                             split, K, &p, &err));
	g_assert_cmpmem(emb, N * H * sizeof(float), emb2, N * H * sizeof(float));
	kith_gcn_model_clear(&m);
	kith_train_report_clear(&rep);

	/* no train node: usage error */
	uint8_t nosplit[N];
	memset(nosplit, KITH_SPLIT_TEST, sizeof nosplit);
	kith_train_report_init(&rep);
	g_assert_false(kith_gcn_train(emb2, pred2, &m, &rep, &A, &X, label,
	                              nosplit, K, &p, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	kith_train_report_clear(&rep);
	kith_csr_clear(&A);
	kith_csr_clear(&X);
	g_free(emb);
	g_free(emb2);
	omp_set_num_threads(2);
}

/* Graph auto-encoder: embeddings of same-class nodes are closer. */
static void
test_gcn_autoencoder(void)
{
	enum { N = 400, K = 4, D = 16 };
	struct kith_csr A, X;
	int32_t label[N];
	uint8_t split[N];
	float *emb = g_new(float, N * D);
	struct kith_gcn_params p;
	struct kith_gcn_model m;
	struct kith_train_report rep;
	GError *err = NULL;

	planted(&A, &X, label, split, N, K, 0.08, 0.004, 0.3, 9);
	kith_gcn_params_init(&p);
	p.hidden = 32;
	p.dim = D;
	p.train.max_epochs = 150;
	kith_train_report_init(&rep);
	g_assert_true(kith_gcn_train(emb, NULL, &m, &rep, &A, &X, NULL, NULL,
	                             0, &p, &err));
	g_assert_no_error(err);
	g_test_message("gae val auc %.3f", rep.val);
	g_assert_cmpfloat(rep.val, >, 0.7);    /* random: 0.5 */
	g_assert_false(m.supervised);
	/* mean dot product within classes exceeds that across */
	double win, acr;
	test_class_dots(emb, label, N, D, &win, &acr);
	g_assert_cmpfloat(win, >, acr);
	kith_gcn_model_clear(&m);
	kith_train_report_clear(&rep);
	kith_csr_clear(&A);
	kith_csr_clear(&X);
	g_free(emb);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/adj/gcn", test_adj_gcn);
	g_test_add_func("/adj/bipartite", test_adj_bipartite);
	g_test_add_func("/gcn/supervised", test_gcn_supervised);
	g_test_add_func("/gcn/autoencoder", test_gcn_autoencoder);
	return g_test_run();
}
