/*
 * bench-distill-run STORE [--k K] [--dim D] [--steps S] [--a A] [--b1 B1]
 *                         [--b2 B2] [--threads T]
 *
 * Times the distillation kernels of src/nn/distill.c on a store's pairs
 * (R = the pattern of ui, Rt = iu): the teacher's top-K targets of every
 * user (kith_distill_teacher) and one sweep of weighted ALS at width D
 * (kith_wals_cg on the users, then on the items, S conjugate-gradient
 * steps each, from random vectors).  Prints "key value" lines: seconds
 * of each part, the targets' entries and the three-hop paths the teacher
 * walked.  For the cost of a distilled candidate before it is wired into
 * kith embed (issue 12); the quality figures are the prototype's
 * (tools/proto-distill/).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/core.h"
#include "kith/dense.h"
#include "kith/nn.h"
#include "kith/store.h"

/* G = alpha0 YᵀY + lambda I (d x d doubles) of Y (rows x d). */
static void
gram(double *G, const float *Y, int64_t rows, int d, double a0, double lam)
{
	double *scr = g_new(double, kith_dense_gram_scratch(d));
	kith_dense_gram(G, Y, rows, d, scr);
	for (int i = 0; i < d * d; i++)
		G[i] *= a0;
	for (int i = 0; i < d; i++)
		G[i * d + i] += lam;
	g_free(scr);
}

int
main(int argc, char **argv)
{
	int k = 200, dim = 256, steps = 8, threads = 0;
	double a = 0.5, b1 = 0.5, b2 = 0.3, a0 = 0.003, lam = 0.01;
	GOptionEntry entries[] = {
		{ "k", 0, 0, G_OPTION_ARG_INT, &k, "targets a user", "K" },
		{ "dim", 0, 0, G_OPTION_ARG_INT, &dim, "width", "D" },
		{ "steps", 0, 0, G_OPTION_ARG_INT, &steps, "CG steps", "S" },
		{ "a", 0, 0, G_OPTION_ARG_DOUBLE, &a, "user exponent", "A" },
		{ "b1", 0, 0, G_OPTION_ARG_DOUBLE, &b1, "item exponent", "B1" },
		{ "b2", 0, 0, G_OPTION_ARG_DOUBLE, &b2, "item exponent", "B2" },
		{ "threads", 0, 0, G_OPTION_ARG_INT, &threads, "threads", "T" },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("STORE");
	GError *err = NULL;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc != 2 ||
	    k < 1 || dim < 1 || steps < 0) {
		fprintf(stderr, "bench-distill-run: %s\n",
		        err ? err->message : "usage: STORE [options]");
		return 2;
	}
	if (threads > 0)
		kith_set_threads(threads);
	struct kith_store *s = kith_store_open(argv[1], &err);
	if (!s) {
		fprintf(stderr, "bench-distill-run: %s\n", err->message);
		return 1;
	}
	int64_t n = s->n_users, m = s->n_items;
	struct kith_csr R = { n, m, s->ui.nnz, s->ui.indptr, s->ui.indices,
	                      NULL, FALSE };
	struct kith_csr Rt = { m, n, s->iu.nnz, s->iu.indptr, s->iu.indices,
	                       NULL, FALSE };
	double paths = 0;
	for (int64_t u = 0; u < n; u++)
		for (int64_t e = R.indptr[u]; e < R.indptr[u + 1]; e++) {
			int32_t i = R.indices[e];
			for (int64_t f = Rt.indptr[i]; f < Rt.indptr[i + 1]; f++)
				paths += (double)(R.indptr[Rt.indices[f] + 1] -
				                  R.indptr[Rt.indices[f]]);
		}
	struct kith_csr T, Tt;
	double t0 = kith_now();
	if (!kith_distill_teacher(&T, &R, &Rt, 0, n, a, b1, b2, k, &err) ||
	    !kith_csr_transpose(&Tt, &T, &err)) {
		fprintf(stderr, "bench-distill-run: %s\n", err->message);
		return 1;
	}
	double tt = kith_now() - t0;
	float *U = g_new(float, (size_t)n * dim), *V = g_new(float,
	                                                     (size_t)m * dim);
	struct kith_rng r;
	kith_rng_seed(&r, 1, 0);
	for (int64_t q = 0; q < n * dim; q++)
		U[q] = (float)(kith_rng_uniform(&r) - 0.5) / (float)dim;
	for (int64_t q = 0; q < m * dim; q++)
		V[q] = (float)(kith_rng_uniform(&r) - 0.5) / (float)dim;
	double *G = g_new(double, (size_t)dim * dim);
	t0 = kith_now();
	gram(G, V, m, dim, a0, lam);
	kith_wals_cg(U, &T, V, dim, G, 1.0, a0, steps);
	double tu = kith_now() - t0;
	t0 = kith_now();
	gram(G, U, n, dim, a0, lam);
	kith_wals_cg(V, &Tt, U, dim, G, 1.0, a0, steps);
	double ti = kith_now() - t0;
	printf("store %s\nusers %" G_GINT64_FORMAT "\nitems %" G_GINT64_FORMAT
	       "\npairs %" G_GINT64_FORMAT "\nthree_hop_paths %.0f\n"
	       "targets %" G_GINT64_FORMAT "\nteacher_s %.3f\n"
	       "users_step_s %.3f\nitems_step_s %.3f\n", argv[1], n, m,
	       R.nnz, paths, T.nnz, tt, tu, ti);
	kith_csr_clear(&T);
	kith_csr_clear(&Tt);
	g_free(U);
	g_free(V);
	g_free(G);
	kith_store_free(s);
	return 0;
}
