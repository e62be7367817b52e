/* The per-rank memory estimates of the distributed commands
 * (src/graph/memest.c): the shares follow kith_dist_partition() of the
 * graph (or split rows and entries evenly), cover every row and entry,
 * bound the halo, and the largest share shrinks as ranks are added. */
#include <glib.h>
#include <string.h>

#include "kith/core.h"
#include "kith/dist.h"
#include "kith/memest.h"
#include "kith/store.h"

/* A store of n users whose social row u has u % 7 links. */
static void
make_store(struct kith_store *s, int64_t *indptr, int64_t n)
{
	memset(s, 0, sizeof *s);
	s->n_users = n;
	indptr[0] = 0;
	for (int64_t u = 0; u < n; u++)
		indptr[u + 1] = indptr[u] + u % 7;
	s->uu.n_rows = s->uu.n_cols = n;
	s->uu.nnz = indptr[n];
	s->uu.indptr = indptr;
}

/* The M items of s and its pairs: user u has 1 + u % per items, (u + k)
 * % M for its entries k; ip (n + 1) and ix (enough) are the caller's. */
static void
make_pairs(struct kith_store *s, int64_t *ip, int32_t *ix, int64_t m,
           int per)
{
	int64_t n = s->n_users;

	s->n_items = m;
	ip[0] = 0;
	for (int64_t u = 0; u < n; u++) {
		ip[u + 1] = ip[u] + 1 + u % per;
		for (int64_t k = ip[u]; k < ip[u + 1]; k++)
			ix[k] = (int32_t)((u + k) % m);
	}
	s->ui = (struct kith_csr){ n, m, ip[n], ip, ix, NULL, FALSE };
}

static void
test_shares(void)
{
	enum { N = 1000 };
	int64_t indptr[N + 1], b[5];
	struct kith_store s;
	struct kith_memest_rank r[4], one[1];

	make_store(&s, indptr, N);
	for (int P = 1; P <= 4; P++) {
		int64_t rows = 0, entries = 0;
		kith_memest_pagerank_ranks(r, &s, indptr, s.uu.nnz, FALSE, FALSE,
		                           P);
		kith_dist_partition(b, indptr, N, P);
		for (int q = 0; q < P; q++) {
			g_assert_cmpint(r[q].rows, ==, b[q + 1] - b[q]);
			g_assert_cmpint(r[q].halo, <=, N - r[q].rows);
			g_assert_cmpint(r[q].halo, <=, r[q].entries);
			g_assert_cmpuint(r[q].bytes, >, kith_memest_baseline());
			rows += r[q].rows;
			entries += r[q].entries;
		}
		g_assert_cmpint(rows, ==, N);
		g_assert_cmpint(entries, ==, s.uu.nnz);
		if (P == 1)
			g_assert_cmpint(r[0].halo, ==, 0);
	}
	/* more ranks: smaller shares on the ranks that do not write (rank
	 * 0's writer, 110 B a user, is the same for any P: on this small
	 * graph it is rank 0's peak) */
	kith_memest_pagerank_ranks(one, &s, indptr, s.uu.nnz, FALSE, FALSE, 1);
	kith_memest_pagerank_ranks(r, &s, indptr, s.uu.nnz, FALSE, FALSE, 4);
	g_assert_cmpuint(r[kith_memest_rank_max(r, 4)].bytes, <=, one[0].bytes);
	for (int q = 1; q < 4; q++)
		g_assert_cmpuint(r[q].bytes, <, one[0].bytes);
	/* the ids on every rank when it reads seeds */
	{
		struct kith_memest_rank w[4];
		kith_memest_pagerank_ranks(w, &s, indptr, s.uu.nnz, FALSE, TRUE,
		                           4);
		for (int q = 1; q < 4; q++)
			g_assert_cmpuint(w[q].bytes, >, r[q].bytes);
	}
	/* a directed graph costs its transposition */
	{
		struct kith_memest_rank d[4];
		kith_memest_pagerank_ranks(d, &s, indptr, s.uu.nnz, TRUE, FALSE,
		                           4);
		for (int q = 0; q < 4; q++)
			g_assert_cmpuint(d[q].bytes, >=, r[q].bytes);
		for (int q = 1; q < 4; q++)
			g_assert_cmpuint(d[q].bytes, >, r[q].bytes);
	}
	/* a graph built whole: even shares, and the whole graph on each */
	kith_memest_propagate_ranks(r, &s, NULL, 4001, 8, 4);
	g_assert_cmpint(r[0].entries, ==, 1001);
	g_assert_cmpint(r[3].entries, ==, 1000);
	g_assert_cmpint(r[0].rows + r[1].rows + r[2].rows + r[3].rows, ==, N);
	/* rank 0 gathers the result */
	g_assert_cmpint(kith_memest_rank_max(r, 4), ==, 0);
	g_assert_cmpuint(r[0].bytes, >, r[1].bytes);
}

/* LightGCN: the rows of Â (users, then items) cut by their entries
 * (2 per pair, no social links with weight 0); rank 0 holds the output. */
static void
test_lightgcn(void)
{
	enum { N = 60, M = 40 };
	int64_t ip[N + 1], uu[N + 1];
	int32_t ix[N * 3];
	struct kith_store s;
	struct kith_memest_rank r[3];

	make_store(&s, uu, N);
	make_pairs(&s, ip, ix, M, 3);
	for (int P = 1; P <= 3; P++) {
		int64_t rows = 0, entries = 0;
		kith_memest_lightgcn_ranks(r, &s, 16, 1, 0, 0.1, TRUE, TRUE, 0,
		                           P);
		for (int q = 0; q < P; q++) {
			rows += r[q].rows;
			entries += r[q].entries;
			g_assert_cmpuint(r[q].bytes, >, kith_memest_baseline());
		}
		g_assert_cmpint(rows, ==, N + M);
		g_assert_cmpint(entries, ==, 2 * s.ui.nnz);
	}
	g_assert_cmpint(r[0].halo, <=, N + M - r[0].rows);
	g_assert_cmpint(kith_memest_rank_max(r, 3), ==, 0);
}

/* The filter: users cut by their pairs, no halo; one rank holds what
 * one process holds (plus Open MPI's share); more ranks, smaller user
 * shares on the ranks that do not gather; rank 0 holds the output. */
static void
test_filter(void)
{
	enum { N = 3000, M = 200 };
	int64_t uu[N + 1];
	g_autofree int64_t *ip = g_new(int64_t, N + 1);
	g_autofree int32_t *ix = g_new(int32_t, N * 5);
	struct kith_store s;
	struct kith_memest_rank one[1], r[3];

	make_store(&s, uu, N);
	make_pairs(&s, ip, ix, M, 5);
	kith_memest_filter_ranks(one, &s, 64, 32, 0.1, 16, TRUE, 1);
	g_assert_cmpuint(one[0].bytes, >,
	                 kith_memest_filter(&s, 64, 32, 0.1, 16, TRUE));
	g_assert_cmpint(one[0].rows, ==, N);
	g_assert_cmpint(one[0].entries, ==, s.ui.nnz);
	kith_memest_filter_ranks(r, &s, 64, 32, 0.1, 16, TRUE, 3);
	g_assert_cmpint(r[0].rows + r[1].rows + r[2].rows, ==, N);
	g_assert_cmpint(r[0].entries + r[1].entries + r[2].entries, ==,
	                s.ui.nnz);
	for (int q = 0; q < 3; q++) {
		g_assert_cmpint(r[q].halo, ==, 0);
		if (q > 0)
			g_assert_cmpuint(r[q].bytes, <, one[0].bytes);
	}
	g_assert_cmpint(kith_memest_rank_max(r, 3), ==, 0);
}

static void
test_gate(void)
{
	GError *err = NULL;

	g_assert_true(kith_memest_gate(1000, 0, "x", NULL, NULL, &err));
	g_assert_true(kith_memest_gate(1000, 1000, "x", NULL, NULL, &err));
	g_assert_false(kith_memest_gate(1001, 1000, "a job", NULL, NULL, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_LIMIT);
	g_assert_nonnull(strstr(err->message, "a job needs an estimated"));
	g_assert_nonnull(strstr(err->message, "refused before allocating"));
	g_clear_error(&err);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/memest/rank-shares", test_shares);
	g_test_add_func("/memest/lightgcn", test_lightgcn);
	g_test_add_func("/memest/filter", test_filter);
	g_test_add_func("/memest/gate", test_gate);
	return g_test_run();
}
