/*
 * bench-spmm-run STORE [--dim D] [--reps R] [--threads T]
 *
 * Times kith_spmm on the symmetric-normalised bipartite adjacency of a
 * store's user–item graph (the matrix LightGCN propagates over: n+m rows,
 * 2·nnz(ui) entries) with a random X of width D, and measures the
 * machine's memory bandwidth with a STREAM-style triad.  Run through the
 * wrapper tools/bench-spmm, which adds the torch.sparse.mm timing.
 *
 * Traffic model of one Y = Â·X (bytes; N = n+m rows, Z = nonzeros):
 *   indptr 8·(N+1) + indices 4·Z + values 4·Z     (the matrix, streamed)
 *   + 4·Z·D    one row of X gathered per nonzero (counted every time,
 *              whether it comes from cache or memory)
 *   + 4·N·D    Y written
 * GB/s = bytes / median time.  The triad a[i] = b[i] + s·c[i] on three
 * arrays of 2^25 doubles (768 MiB in all, far above the caches) counts
 * 24 bytes per element, as STREAM does.  Output: "key value" lines.
 */
#include "config.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "kith/core.h"
#include "kith/nn.h"
#include "kith/store.h"

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double
median(double *t, int n)
{
	qsort(t, n, sizeof(double), cmp_double);
	return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static double
triad_gbs(int reps)
{
	size_t n = (size_t)1 << 25;
	double *a = (double *)kith_floats_new(2 * n, FALSE, NULL);
	double *b = (double *)kith_floats_new(2 * n, FALSE, NULL);
	double *c = (double *)kith_floats_new(2 * n, FALSE, NULL);
	double t[32], s = 3.0, gbs;

	if (!a || !b || !c) {
		free(a);
		free(b);
		free(c);
		return NAN;
	}
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++) {
		a[i] = 0.0;
		b[i] = 1.0;
		c[i] = 2.0;
	}
	for (int r = 0; r < reps; r++) {
		double t0 = kith_now();
#pragma omp parallel for schedule(static)
		for (size_t i = 0; i < n; i++)
			a[i] = b[i] + s * c[i];
		t[r] = kith_now() - t0;
	}
	gbs = 24.0 * (double)n / median(t, reps) / 1e9;
	if (a[n / 2] != 7.0)
		gbs = NAN;
	free(a);
	free(b);
	free(c);
	return gbs;
}

int
main(int argc, char **argv)
{
	int dim = 64, reps = 7, threads = 0;
	gboolean no_triad = FALSE;
	GOptionEntry entries[] = {
		{ "dim", 'd', 0, G_OPTION_ARG_INT, &dim, "width of X (64)", "D" },
		{ "reps", 'r', 0, G_OPTION_ARG_INT, &reps, "timed repetitions (7)",
		  "R" },
		{ "threads", 't', 0, G_OPTION_ARG_INT, &threads,
		  "threads (all cores)", "T" },
		{ "no-triad", 0, 0, G_OPTION_ARG_NONE, &no_triad,
		  "skip the bandwidth measurement", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("STORE");
	g_autoptr(GError) err = NULL;
	struct kith_store *s;
	struct kith_csr A = { 0 };
	float *X, *Y;
	double t[32], tb, tm, bytes;
	int64_t N;
	struct kith_rng rng;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc != 2 ||
	    dim < 1 || reps < 1 || reps > 32) {
		fprintf(stderr, "usage: bench-spmm-run STORE [--dim D] "
		        "[--reps 1..32] [--threads T]%s%s\n",
		        err ? ": " : "", err ? err->message : "");
		return 2;
	}
	threads = kith_set_threads(threads);
	s = kith_store_open(argv[1], &err);
	if (!s) {
		fprintf(stderr, "bench-spmm: %s\n", err->message);
		return 1;
	}
	tb = kith_now();
	if (!kith_adj_bipartite(&A, &s->ui, &s->iu, &err)) {
		fprintf(stderr, "bench-spmm: %s\n", err->message);
		kith_store_free(s);
		return 1;
	}
	tb = kith_now() - tb;
	N = A.n_rows;
	X = kith_floats_new((size_t)N * dim, FALSE, &err);
	Y = X ? kith_floats_new((size_t)N * dim, TRUE, &err) : NULL;
	if (!Y) {
		fprintf(stderr, "bench-spmm: %s\n", err->message);
		return 1;
	}
	kith_rng_seed(&rng, 1, 0);
	for (int64_t i = 0; i < N * dim; i++)
		X[i] = (float)(kith_rng_uniform(&rng) - 0.5);
	kith_spmm(Y, &A, X, dim);   /* warm-up: faults in Y, loads caches */
	for (int r = 0; r < reps; r++) {
		double t0 = kith_now();
		kith_spmm(Y, &A, X, dim);
		t[r] = kith_now() - t0;
	}
	tm = median(t, reps);
	bytes = 8.0 * (N + 1) + 8.0 * A.nnz + 4.0 * A.nnz * dim +
	        4.0 * N * dim;
	printf("store %s\n", argv[1]);
	printf("users %" G_GINT64_FORMAT "\nitems %" G_GINT64_FORMAT "\n",
	       s->n_users, s->n_items);
	printf("rows %" G_GINT64_FORMAT "\nnnz %" G_GINT64_FORMAT "\n", N,
	       A.nnz);
	printf("dim %d\nthreads %d\nreps %d\n", dim, threads, reps);
	printf("adjacency_build_s %.4f\n", tb);
	printf("kith_spmm_s %.6f\n", tm);
	printf("kith_spmm_gbs %.2f\n", bytes / tm / 1e9);
	printf("kith_spmm_gflops %.2f\n", 2.0 * A.nnz * dim / tm / 1e9);
	if (!no_triad) {
		double bw = triad_gbs(reps);
		printf("triad_gbs %.2f\n", bw);
		printf("fraction_of_triad %.3f\n", bytes / tm / 1e9 / bw);
	}
	kith_floats_free(X);
	kith_floats_free(Y);
	kith_csr_clear(&A);
	kith_store_free(s);
	return 0;
}
