/* GCN/SAGE checkpoints (gnn-common.c): a resumed run is byte-identical to
 * an uninterrupted one (GCN auto-encoder, SAGE), the previous generation
 * is used when the newest is damaged, and a state.json or array truncated
 * at every offset is rejected with KITH_ERROR_CORRUPT, never a crash. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "kith/core.h"
#include "kith/csr.h"
#include "kith/models.h"

enum { N = 30, F = 6, D = 4, EPOCHS = 6 };

static struct kith_csr A, X;

/* Writes a file without the fsync of g_file_set_contents (thousands of
 * rewrites below). */
static gboolean
put(const char *path, const char *data, gsize len)
{
	FILE *f = fopen(path, "wb");
	gboolean ok = f != NULL && fwrite(data, 1, len, f) == len;
	if (f != NULL && fclose(f) != 0)
		ok = FALSE;
	return ok;
}
static char *dir, *ck;

static void
make_graph(void)
{
	int32_t r[4 * N], c[4 * N], xr[2 * N], xc[2 * N];
	int k = 0;

	for (int i = 0; i < N; i++) {
		int j = (i + 1) % N, l = (i * 7 + 3) % N;
		r[k] = i, c[k++] = j;
		r[k] = j, c[k++] = i;
		if (l != i && l != j && (l + 1) % N != i) {
			r[k] = i, c[k++] = l;
			r[k] = l, c[k++] = i;
		}
		xr[2 * i] = xr[2 * i + 1] = i;
		xc[2 * i] = i % F;
		xc[2 * i + 1] = (i * 3 + 1) % F;
	}
	g_assert_true(kith_csr_from_coo(&A, N, N, k, r, c, NULL, NULL));
	g_assert_true(kith_csr_from_coo(&X, N, F, 2 * N, xr, xc, NULL, NULL));
}

static void
gcn_params(struct kith_gcn_params *p)
{
	kith_gcn_params_init(p);
	p->hidden = D;
	p->dim = D;
	p->train.max_epochs = EPOCHS;
	p->seed = 7;
	p->train.checkpoint_dir = ck;
}

/* Trains the GCN auto-encoder; FALSE with *err on failure. */
static gboolean
gcn_run(float *emb, const struct kith_gcn_params *p, GError **err)
{
	struct kith_gcn_model m;
	struct kith_train_report rep;
	kith_train_report_init(&rep);
	gboolean ok = kith_gcn_train(emb, NULL, &m, &rep, &A, &X, NULL, NULL,
	                             0, p, err);
	if (ok)
		kith_gcn_model_clear(&m);
	kith_train_report_clear(&rep);
	return ok;
}

/* A checkpoint after epoch `epochs` (time limit after each epoch). */
static void
gcn_cut(int epochs)
{
	struct kith_gcn_params p;
	float emb[N * D];
	kith_checkpoint_remove(ck);
	for (int e = 0; e < epochs; e++) {
		gcn_params(&p);
		p.train.checkpoint_every = 1;
		p.train.time_limit = 1e-9;
		p.train.resume = e > 0;
		g_assert_true(gcn_run(emb, &p, NULL));
	}
}

static void
test_gcn_resume(void)
{
	struct kith_gcn_params p;
	float full[N * D], res[N * D];

	gcn_params(&p);
	p.train.checkpoint_dir = NULL;
	g_assert_true(gcn_run(full, &p, NULL));
	for (int k = 1; k < EPOCHS; k++) {
		gcn_cut(k);
		gcn_params(&p);
		p.train.resume = TRUE;
		g_assert_true(gcn_run(res, &p, NULL));
		g_assert_cmpmem(full, sizeof full, res, sizeof res);
	}
	/* two generations: damage the newest, the previous one is used */
	gcn_cut(3);
	g_autofree char *w = g_build_filename(ck, "w2.npy", NULL);
	g_assert_true(put(w, "\x93NUMPY", 6));
	gcn_params(&p);
	p.train.resume = TRUE;
	g_assert_true(gcn_run(res, &p, NULL));
	g_assert_cmpmem(full, sizeof full, res, sizeof res);
}

/* Every truncation of every file of the newest generation (the previous
 * one removed) is rejected. */
static void
test_gcn_truncated(void)
{
	struct kith_gcn_params p;
	float emb[N * D];
	const char *names[] = { "state.json", "w1.npy", "b1.npy",
	                        "adam_v_w2.npy", "best_b2.npy" };

	gcn_cut(2);
	g_autofree char *old = g_strconcat(ck, ".old", NULL);
	for (size_t f = 0; f < G_N_ELEMENTS(names); f++) {
		g_autofree char *path = g_build_filename(ck, names[f], NULL);
		g_autofree char *good = NULL;
		gsize len;
		int rejected = 0;
		g_assert_true(g_file_get_contents(path, &good, &len, NULL));
		for (gsize cut = 0; cut < len; cut++) {
			GError *err = NULL;
			g_autofree char *trim = g_strndup(good, cut);
			kith_checkpoint_remove(old);
			g_assert_true(put(path, good, cut));
			gcn_params(&p);
			p.train.resume = TRUE;
			p.train.max_epochs = 2;       /* nothing left to train */
			if (gcn_run(emb, &p, &err)) {
				/* only whitespace may go: the same JSON */
				g_assert_cmpstr(names[f], ==, "state.json");
				g_assert_cmpstr(g_strchomp(trim), ==,
				                g_strchomp(g_strdup(good)));
				continue;
			}
			g_assert_error(err, KITH_ERROR, KITH_ERROR_CORRUPT);
			g_error_free(err);
			rejected++;
		}
		g_assert_cmpint(rejected, >=, (int)len - 2);
		g_assert_true(put(path, good, len));
	}
}

static void
sage_params(struct kith_sage_params *p)
{
	kith_sage_params_init(p);
	p->dim = D;
	p->fanout[0] = 3;
	p->fanout[1] = 2;
	p->train.max_epochs = EPOCHS;
	p->train.patience = 100;
	p->seed = 9;
	p->id_emb = TRUE;
	p->train.checkpoint_dir = ck;
}

static gboolean
sage_run(float *emb, const struct kith_sage_params *p, GError **err)
{
	struct kith_sage_model m;
	struct kith_train_report rep;
	kith_train_report_init(&rep);
	gboolean ok = kith_sage_train(emb, &m, &rep, &A, &X, p, err);
	if (ok)
		kith_sage_model_clear(&m);
	kith_train_report_clear(&rep);
	return ok;
}

static void
test_sage_resume(void)
{
	struct kith_sage_params p;
	float full[N * D], res[N * D];

	sage_params(&p);
	p.train.checkpoint_dir = NULL;
	g_assert_true(sage_run(full, &p, NULL));
	for (int k = 1; k < EPOCHS; k += 2) {
		kith_checkpoint_remove(ck);
		for (int e = 0; e < k; e++) {
			sage_params(&p);
			p.train.checkpoint_every = 1;
			p.train.time_limit = 1e-9;
			p.train.resume = e > 0;
			g_assert_true(sage_run(res, &p, NULL));
		}
		sage_params(&p);
		p.train.resume = TRUE;
		g_assert_true(sage_run(res, &p, NULL));
		g_assert_cmpmem(full, sizeof full, res, sizeof res);
	}
	/* a GCN checkpoint is not a SAGE one */
	gcn_cut(1);
	GError *err = NULL;
	sage_params(&p);
	p.train.resume = TRUE;
	g_assert_false(sage_run(res, &p, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_CORRUPT);
	g_error_free(err);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	kith_set_threads(1);    /* tiny graph: no team to wake per run */
	make_graph();
	dir = g_dir_make_tmp("kith-test-gnn-ckpt-XXXXXX", NULL);
	ck = g_build_filename(dir, "ck", NULL);
	g_test_add_func("/gnn-checkpoint/gcn-resume", test_gcn_resume);
	g_test_add_func("/gnn-checkpoint/gcn-truncated", test_gcn_truncated);
	g_test_add_func("/gnn-checkpoint/sage-resume", test_sage_resume);
	int rc = g_test_run();
	kith_checkpoint_remove(ck);
	rmdir(dir);
	kith_csr_clear(&A);
	kith_csr_clear(&X);
	return rc;
}
