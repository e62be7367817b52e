/* Unit tests of src/analytics/influence.c. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "kith/community.h"
#include "kith/core.h"
#include "kith/store.h"

static void
quiet_igraph(const char *reason, const char *file, int line,
             igraph_error_t err)
{
	IGRAPH_FINALLY_FREE();
}

/* CSR of n vertices from m directed entries (a -> b, weight w or 1). */
static void
csr_from(struct kith_csr *out, int64_t n, const int32_t *pairs, int64_t m,
         const float *w)
{
	g_autofree int32_t *r = g_new(int32_t, m + 1);
	g_autofree int32_t *c = g_new(int32_t, m + 1);
	GError *err = NULL;

	for (int64_t i = 0; i < m; i++) {
		r[i] = pairs[2 * i];
		c[i] = pairs[2 * i + 1];
	}
	g_assert_true(kith_csr_from_coo(out, n, n, m, r, c, w, &err));
	g_assert_no_error(err);
}

/* Random undirected graph with both directions stored. */
static void
random_graph(struct kith_csr *out, int64_t n, int64_t m, uint64_t seed)
{
	struct kith_rng rng;
	g_autofree int32_t *p = g_new(int32_t, 4 * m);
	g_autofree float *w = g_new(float, 2 * m);
	int64_t k = 0;
	struct kith_csr tmp = { 0 };

	kith_rng_seed(&rng, seed, 0);
	while (k < m) {
		int32_t a = (int32_t)kith_rng_below(&rng, n);
		int32_t b = (int32_t)kith_rng_below(&rng, n);
		if (a == b)
			continue;
		p[4 * k] = a;
		p[4 * k + 1] = b;
		p[4 * k + 2] = b;
		p[4 * k + 3] = a;
		w[2 * k] = w[2 * k + 1] = 1.0f;
		k++;
	}
	csr_from(&tmp, n, p, 2 * m, w);
	/* Duplicates were summed; reset weights to 1. */
	for (int64_t e = 0; e < tmp.nnz; e++)
		tmp.values[e] = 1.0f;
	*out = tmp;
}

/* PageRank by power iteration: dangling mass and the restart go to the
 * reset distribution r (uniform when NULL) -- except that, as in igraph,
 * dangling vertices jump uniformly for the global version. */
static void
naive_pagerank(double *pr, const struct kith_csr *a, double d,
               const double *reset)
{
	int64_t n = a->n_rows;
	g_autofree double *next = g_new(double, n);
	g_autofree double *str = g_new0(double, n);

	for (int64_t u = 0; u < n; u++) {
		pr[u] = 1.0 / n;
		for (int64_t e = a->indptr[u]; e < a->indptr[u + 1]; e++)
			str[u] += a->values ? a->values[e] : 1.0;
	}
	for (int it = 0; it < 5000; it++) {
		double dangling = 0, diff = 0;
		for (int64_t u = 0; u < n; u++) {
			next[u] = 0;
			if (str[u] == 0)
				dangling += pr[u];
		}
		for (int64_t u = 0; u < n; u++)
			for (int64_t e = a->indptr[u]; e < a->indptr[u + 1]; e++)
				next[a->indices[e]] += d * pr[u] *
					(a->values ? a->values[e] : 1.0) / str[u];
		for (int64_t u = 0; u < n; u++) {
			double r = reset ? reset[u] : 1.0 / n;
			next[u] += (1 - d) * r + d * dangling / n;
			diff += fabs(next[u] - pr[u]);
		}
		memcpy(pr, next, n * sizeof(double));
		if (diff < 1e-15)
			break;
	}
}

static void
test_pagerank(void)
{
	/* Directed, weighted, vertex 4 dangling, vertex 5 isolated. */
	static const int32_t pairs[] = {
		0, 1, 1, 2, 2, 0, 2, 3, 3, 0, 3, 4, 1, 3
	};
	static const float w[] = { 1, 2, 1, 3, 1, 0.5f, 1 };
	struct kith_csr a = { 0 }, g = { 0 };
	double pr[6], want[6], sum = 0;
	GError *err = NULL;

	csr_from(&a, 6, pairs, 7, w);
	g_assert_true(kith_pagerank(pr, &a, TRUE, TRUE, 0.85, NULL, 0, &err));
	g_assert_no_error(err);
	naive_pagerank(want, &a, 0.85, NULL);
	for (int i = 0; i < 6; i++) {
		g_assert_cmpfloat(fabs(pr[i] - want[i]), <, 1e-10);
		sum += pr[i];
	}
	g_assert_cmpfloat(fabs(sum - 1), <, 1e-12);
	/* Unweighted ignores the weights. */
	g_assert_true(kith_pagerank(pr, &a, TRUE, FALSE, 0.85, NULL, 0, &err));
	{
		struct kith_csr b = a;
		b.values = NULL;
		naive_pagerank(want, &b, 0.85, NULL);
	}
	for (int i = 0; i < 6; i++)
		g_assert_cmpfloat(fabs(pr[i] - want[i]), <, 1e-10);

	/* Undirected random graph, personalised on two seeds (a graph with
	 * no dangling vertex, so the reset alone decides). */
	random_graph(&g, 200, 900, 3);
	{
		g_autofree double *p = g_new(double, 200);
		g_autofree double *q = g_new(double, 200);
		g_autofree double *r = g_new0(double, 200);
		int32_t seeds[2] = { 5, 17 };
		gboolean dangling = FALSE;
		for (int64_t u = 0; u < 200; u++)
			if (g.indptr[u + 1] == g.indptr[u])
				dangling = TRUE;
		g_assert_false(dangling);
		r[5] = r[17] = 0.5;
		g_assert_true(kith_pagerank(p, &g, FALSE, FALSE, 0.85, seeds, 2,
		                            &err));
		g_assert_no_error(err);
		naive_pagerank(q, &g, 0.85, r);
		for (int64_t u = 0; u < 200; u++)
			g_assert_cmpfloat(fabs(p[u] - q[u]), <, 1e-10);
		g_assert_cmpfloat(p[5], >, 0.05);
		g_assert_true(kith_pagerank(p, &g, FALSE, FALSE, 0.85, NULL, 0,
		                            &err));
		naive_pagerank(q, &g, 0.85, NULL);
		for (int64_t u = 0; u < 200; u++)
			g_assert_cmpfloat(fabs(p[u] - q[u]), <, 1e-10);
	}
	g_assert_false(kith_pagerank(pr, &a, TRUE, TRUE, 1.5, NULL, 0, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	kith_csr_clear(&a);
	kith_csr_clear(&g);
}

static void
test_two_hop(void)
{
	struct kith_csr g = { 0 };
	int64_t n = 500;
	g_autofree double *got1 = g_new(double, n);
	g_autofree double *got2 = g_new(double, n);
	g_autofree uint8_t *seen = g_new0(uint8_t, n);
	GError *err = NULL;

	random_graph(&g, n, 1500, 9);
	kith_set_threads(1);
	g_assert_true(kith_two_hop_reach(got1, &g, &err));
	kith_set_threads(2);
	g_assert_true(kith_two_hop_reach(got2, &g, &err));
	g_assert_no_error(err);
	for (int64_t u = 0; u < n; u++) {
		int cnt = 0;
		memset(seen, 0, n);
		for (int64_t e = g.indptr[u]; e < g.indptr[u + 1]; e++) {
			int32_t v = g.indices[e];
			seen[v] = 1;
			for (int64_t f = g.indptr[v]; f < g.indptr[v + 1]; f++)
				seen[g.indices[f]] = 1;
		}
		seen[u] = 0;
		for (int64_t v = 0; v < n; v++)
			cnt += seen[v];
		g_assert_cmpfloat(got1[u], ==, cnt);
		g_assert_cmpfloat(got2[u], ==, cnt);
	}
	kith_csr_clear(&g);
}

static void
test_betweenness(void)
{
	/* Path 0-1-2-3 plus 4 isolated: exact values 0, 2, 2, 0, 0. */
	static const int32_t path[] = { 0, 1, 1, 0, 1, 2, 2, 1, 2, 3, 3, 2 };
	struct kith_csr a = { 0 }, g = { 0 };
	double b[5], rse;
	GError *err = NULL;
	int64_t n = 1500;

	csr_from(&a, 5, path, 6, NULL);
	g_assert_true(kith_betweenness(b, &rse, &a, FALSE, 0, 1, &err));
	g_assert_no_error(err);
	g_assert_cmpfloat(b[0], ==, 0);
	g_assert_cmpfloat(b[1], ==, 2);
	g_assert_cmpfloat(b[2], ==, 2);
	g_assert_cmpfloat(b[4], ==, 0);
	g_assert_cmpfloat(rse, ==, 0);
	/* All sources "sampled" gives the exact values (undirected pairs are
	 * counted once by both routes). */
	g_assert_true(kith_betweenness(b, &rse, &a, FALSE, 4, 1, &err));
	g_assert_cmpfloat(fabs(b[1] - 2), <, 1e-12);
	g_assert_cmpfloat(fabs(b[2] - 2), <, 1e-12);
	/* Brandes equals igraph's betweenness, undirected and directed, for
	 * 1 and 2 threads. */
	for (int directed = 0; directed < 2; directed++) {
		struct kith_csr h = { 0 };
		igraph_t ig;
		igraph_vector_t res;
		int64_t nn = 400;
		g_autofree double *mine = g_new(double, nn);
		if (directed) {
			struct kith_rng rng;
			g_autofree int32_t *p = g_new(int32_t, 2 * 1600);
			int64_t k = 0;
			kith_rng_seed(&rng, 8, 0);
			while (k < 1600) {
				p[2 * k] = (int32_t)kith_rng_below(&rng, nn);
				p[2 * k + 1] = (int32_t)kith_rng_below(&rng, nn);
				k++;
			}
			csr_from(&h, nn, p, 1600, NULL);
		} else {
			random_graph(&h, nn, 700, 6);
		}
		g_assert_true(kith_igraph_from_csr(&ig, NULL, &h, directed, NULL,
		                                   nn, &err));
		igraph_vector_init(&res, nn);
		g_assert_cmpint(igraph_betweenness(&ig, &res, igraph_vss_all(),
		                                   directed, NULL), ==, 0);
		for (int th = 1; th <= 2; th++) {
			kith_set_threads(th);
			g_assert_true(kith_betweenness(mine, NULL, &h, directed, 0, 1,
			                               &err));
			for (int64_t u = 0; u < nn; u++)
				g_assert_cmpfloat(fabs(mine[u] - VECTOR(res)[u]), <=,
				                  1e-9 * (1 + VECTOR(res)[u]));
		}
		igraph_vector_destroy(&res);
		igraph_destroy(&ig);
		kith_csr_clear(&h);
	}
	/* Sampling on a larger graph: unbiased within a few reported errors. */
	random_graph(&g, n, 4 * n, 4);
	{
		g_autofree double *ex = g_new(double, n);
		g_autofree double *es = g_new(double, n);
		double err_sum = 0, tot = 0;
		g_assert_true(kith_betweenness(ex, NULL, &g, FALSE, 0, 1, &err));
		g_assert_true(kith_betweenness(es, &rse, &g, FALSE, 300, 1, &err));
		g_assert_no_error(err);
		for (int64_t u = 0; u < n; u++) {
			err_sum += fabs(es[u] - ex[u]);
			tot += ex[u];
		}
		g_test_message("sampled betweenness: reported rse %.4f, mean "
		               "absolute relative error %.4f", rse, err_sum / tot);
		g_assert_cmpfloat(rse, >, 0);
		g_assert_cmpfloat(rse, <, 0.5);
		/* E|X - mu| = sqrt(2/pi) se for a normal estimate. */
		g_assert_cmpfloat(err_sum / tot, <, 2.5 * rse);
		g_assert_cmpfloat(err_sum / tot, >, 0.2 * rse);
	}
	kith_csr_clear(&a);
	kith_csr_clear(&g);
}

/* A store with users 0..4 and the given links and timed interactions. */
static struct kith_store *
timed_store(void)
{
	/* Undirected links: 0-1, 0-2, 3-4 (each stored both ways). */
	static const int32_t links[] = {
		0, 1, 1, 0, 0, 2, 2, 0, 3, 4, 4, 3
	};
	/* (user, item, day) */
	static const int64_t ev[][3] = {
		{ 0, 0, 10 }, { 0, 1, 10 }, { 0, 2, 50 },
		{ 1, 0, 12 },               /* follows 0 on item 0 after 2 days */
		{ 1, 1, 9 },                /* before 0: counts for 1 -> 0 */
		{ 2, 0, 45 },               /* 35 days later: outside 30 */
		{ 2, 2, 60 },               /* follows 0 on item 2 */
		{ 3, 3, 1 }, { 4, 3, 1 },   /* same time: no one follows */
	};
	struct kith_store *s = kith_store_new();
	int32_t r[9], c[9];
	GError *err = NULL;

	s->n_users = 5;
	s->n_items = 4;
	csr_from(&s->uu, 5, links, 6, NULL);
	for (int i = 0; i < 9; i++) {
		r[i] = (int32_t)ev[i][0];
		c[i] = (int32_t)ev[i][1];
	}
	g_assert_true(kith_csr_from_coo(&s->ui, 5, 4, 9, r, c, NULL, &err));
	g_assert_true(kith_csr_transpose(&s->iu, &s->ui, &err));
	s->ui_ts_first = kith_store_own(s, g_new(int64_t, 9));
	for (int64_t u = 0; u < 5; u++)
		for (int64_t e = s->ui.indptr[u]; e < s->ui.indptr[u + 1]; e++)
			for (int i = 0; i < 9; i++)
				if (ev[i][0] == u && ev[i][1] == s->ui.indices[e])
					s->ui_ts_first[e] = ev[i][2] * 86400;
	s->user_ids = kith_store_own(s, g_new0(char *, 6));
	for (int u = 0; u < 5; u++) {
		char buf[8];
		g_snprintf(buf, sizeof(buf), "p%d", u);
		s->user_ids[u] = kith_store_intern(s, buf);
	}
	return s;
}

static void
test_behavioural(void)
{
	g_autoptr(kith_store) s = timed_store();
	double sc[5], ev[5];
	GError *err = NULL;

	g_assert_true(kith_behavioural_influence(sc, ev, &s->uu, s,
	                                         30 * 86400, &err));
	g_assert_no_error(err);
	g_assert_cmpfloat(ev[0], ==, 2);          /* (1, item 0), (2, item 2) */
	g_assert_cmpfloat(sc[0], ==, 2.0 / (2 * 3));
	g_assert_cmpfloat(ev[1], ==, 1);          /* 0 followed 1 on item 1 */
	g_assert_cmpfloat(sc[1], ==, 1.0 / (1 * 2));
	g_assert_cmpfloat(ev[2], ==, 0);
	g_assert_cmpfloat(ev[3], ==, 0);
	g_assert_cmpfloat(ev[4], ==, 0);
	/* A 40-day window also counts user 2's late item 0. */
	g_assert_true(kith_behavioural_influence(sc, ev, &s->uu, s,
	                                         40 * 86400, &err));
	g_assert_cmpfloat(ev[0], ==, 3);
	/* No timestamps at all: NaN. */
	for (int e = 0; e < 9; e++)
		s->ui_ts_first[e] = INT64_MIN;
	g_assert_true(kith_behavioural_influence(sc, ev, &s->uu, s,
	                                         30 * 86400, &err));
	g_assert_true(isnan(sc[0]) && isnan(ev[0]));
}

static void
test_compute(void)
{
	g_autoptr(kith_store) s = timed_store();
	struct kith_influence_opts o;
	struct kith_influence r;
	int32_t seeds[1] = { 3 };
	GError *err = NULL;

	kith_influence_opts_init(&o);
	o.seeds = seeds;
	o.n_seeds = 1;
	g_assert_true(kith_influence_compute(&r, s, &o, &err));
	g_assert_no_error(err);
	g_assert_false(r.directed);
	g_assert_false(r.weighted);
	g_assert_false(r.betweenness_sampled);
	g_assert_cmpint(r.n_edges, ==, 3);
	g_assert_cmpfloat(r.col[KITH_INFL_IN_DEGREE][0], ==, 2);
	g_assert_cmpfloat(r.col[KITH_INFL_OUT_DEGREE][0], ==, 2);
	g_assert_cmpfloat(r.col[KITH_INFL_WEIGHTED_IN][0], ==, 2);
	g_assert_cmpfloat(r.col[KITH_INFL_KCORE][0], ==, 1);
	g_assert_cmpfloat(r.col[KITH_INFL_BETWEENNESS][0], ==, 1);
	g_assert_cmpfloat(r.col[KITH_INFL_TWO_HOP][1], ==, 2);
	g_assert_cmpfloat(r.col[KITH_INFL_TWO_HOP][3], ==, 1);
	g_assert_cmpfloat(r.col[KITH_INFL_BEHAVIOURAL_EVENTS][0], ==, 2);
	g_assert_cmpfloat(r.col[KITH_INFL_PAGERANK][0], >,
	                  r.col[KITH_INFL_PAGERANK][1]);
	/* Personalised on user 3: only 3 and 4 get mass. */
	g_assert_cmpfloat(fabs(r.col[KITH_INFL_PPR][0]), <, 1e-12);
	g_assert_cmpfloat(fabs(r.col[KITH_INFL_PPR][3] +
	                       r.col[KITH_INFL_PPR][4] - 1), <, 1e-12);
	kith_influence_clear(&r);
	/* Force sampling: every linked user as a source gives exact values. */
	o.seeds = NULL;
	o.exact_limit = 2;
	o.samples = 100;
	g_assert_true(kith_influence_compute(&r, s, &o, &err));
	g_assert_true(r.betweenness_sampled);
	g_assert_cmpint(r.samples, ==, 5);
	g_assert_null(r.col[KITH_INFL_PPR]);
	g_assert_cmpfloat(fabs(r.col[KITH_INFL_BETWEENNESS][0] - 1), <, 1e-12);
	kith_influence_clear(&r);
}

static void
test_kcore_directed(void)
{
	/* 4-clique 0..3 plus 4 -> 0 directed; weights differ. */
	static const int32_t p[] = {
		0, 1, 0, 2, 0, 3, 1, 2, 1, 3, 2, 3, 4, 0, 1, 0
	};
	static const float w[] = { 1, 1, 1, 1, 1, 1, 2, 1 };
	struct kith_store *s = kith_store_new();
	struct kith_influence_opts o;
	struct kith_influence r;
	GError *err = NULL;

	s->n_users = 5;
	s->directed_social = TRUE;
	csr_from(&s->uu, 5, p, 8, w);
	g_assert_true(kith_csr_alloc(&s->ui, 5, 0, 0, FALSE, &err));
	g_assert_true(kith_csr_alloc(&s->iu, 0, 5, 0, FALSE, &err));
	memset(s->ui.indptr, 0, 6 * sizeof(int64_t));
	s->iu.indptr[0] = 0;
	kith_influence_opts_init(&o);
	g_assert_true(kith_influence_compute(&r, s, &o, &err));
	g_assert_no_error(err);
	g_assert_true(r.directed);
	g_assert_true(r.weighted);
	g_assert_cmpint(r.n_edges, ==, 8);
	for (int u = 0; u < 4; u++)
		g_assert_cmpfloat(r.col[KITH_INFL_KCORE][u], ==, 3);
	g_assert_cmpfloat(r.col[KITH_INFL_KCORE][4], ==, 1);
	g_assert_cmpfloat(r.col[KITH_INFL_IN_DEGREE][0], ==, 2);
	g_assert_cmpfloat(r.col[KITH_INFL_OUT_DEGREE][0], ==, 3);
	g_assert_cmpfloat(r.col[KITH_INFL_WEIGHTED_IN][0], ==, 3);
	g_assert_cmpfloat(r.col[KITH_INFL_IN_DEGREE][4], ==, 0);
	g_assert_true(isnan(r.col[KITH_INFL_BEHAVIOURAL][0]));
	kith_influence_clear(&r);
	kith_store_free(s);
}

/* k-core by bucket peeling equals igraph_coreness() on random graphs
 * with a dense core and pendant vertices. */
static void
test_kcore(void)
{
	for (uint64_t seed = 1; seed <= 3; seed++) {
		struct kith_csr g = { 0 };
		int64_t n = 400;
		g_autofree double *got = g_new(double, n);
		igraph_t ig;
		igraph_vector_int_t cores;
		GError *err = NULL;

		random_graph(&g, n, 300 * seed, seed);
		g_assert_true(kith_kcore(got, &g, &err));
		g_assert_no_error(err);
		g_assert_true(kith_igraph_from_csr(&ig, NULL, &g, FALSE, NULL, n,
		                                   &err));
		g_assert_cmpint(igraph_vector_int_init(&cores, n), ==, 0);
		g_assert_cmpint(igraph_coreness(&ig, &cores, IGRAPH_ALL), ==, 0);
		for (int64_t u = 0; u < n; u++)
			g_assert_cmpfloat(got[u], ==, VECTOR(cores)[u]);
		igraph_vector_int_destroy(&cores);
		igraph_destroy(&ig);
		kith_csr_clear(&g);
	}
}

/* The item-map behavioural count equals a sorted row merge (the former
 * algorithm) on a random timed store, for 1 and 2 threads. */
static void
test_behavioural_random(void)
{
	int64_t n = 300, m = 50, ne = 3000;
	g_autoptr(kith_store) s = kith_store_new();
	g_autofree int32_t *r = g_new(int32_t, ne), *c = g_new(int32_t, ne);
	g_autofree double *sc1 = g_new(double, n), *ev1 = g_new(double, n);
	g_autofree double *sc2 = g_new(double, n), *ev2 = g_new(double, n);
	struct kith_rng rng;
	GError *err = NULL;

	kith_rng_seed(&rng, 11, 0);
	s->n_users = n;
	s->n_items = m;
	random_graph(&s->uu, n, 900, 12);
	for (int64_t i = 0; i < ne; i++) {
		r[i] = (int32_t)kith_rng_below(&rng, n);
		c[i] = (int32_t)kith_rng_below(&rng, m);
	}
	g_assert_true(kith_csr_from_coo(&s->ui, n, m, ne, r, c, NULL, &err));
	s->ui_ts_first = kith_store_own(s, g_new(int64_t, s->ui.nnz));
	for (int64_t e = 0; e < s->ui.nnz; e++)
		s->ui_ts_first[e] = kith_rng_below(&rng, 10) == 0
			? INT64_MIN : (int64_t)kith_rng_below(&rng, 60) * 86400;
	kith_set_threads(1);
	g_assert_true(kith_behavioural_influence(sc1, ev1, &s->uu, s,
	                                         20 * 86400, &err));
	kith_set_threads(2);
	g_assert_true(kith_behavioural_influence(sc2, ev2, &s->uu, s,
	                                         20 * 86400, &err));
	g_assert_no_error(err);
	for (int64_t u = 0; u < n; u++) {
		const struct kith_csr *ui = &s->ui, *a = &s->uu;
		const int64_t *ts = s->ui_ts_first;
		int64_t cnt = 0, timed = 0, deg = a->indptr[u + 1] - a->indptr[u];
		for (int64_t e = ui->indptr[u]; e < ui->indptr[u + 1]; e++)
			timed += ts[e] != INT64_MIN;
		for (int64_t f = a->indptr[u]; f < a->indptr[u + 1]; f++) {
			int64_t v = a->indices[f];
			int64_t p = ui->indptr[u], q = ui->indptr[v];
			while (p < ui->indptr[u + 1] && q < ui->indptr[v + 1]) {
				if (ui->indices[p] < ui->indices[q]) {
					p++;
				} else if (ui->indices[p] > ui->indices[q]) {
					q++;
				} else {
					if (ts[p] != INT64_MIN && ts[q] != INT64_MIN &&
					    ts[q] - ts[p] > 0 && ts[q] - ts[p] <= 20 * 86400)
						cnt++;
					p++;
					q++;
				}
			}
		}
		g_assert_cmpfloat(ev1[u], ==, cnt);
		g_assert_cmpfloat(ev2[u], ==, cnt);
		g_assert_cmpfloat(sc1[u], ==, deg > 0 && timed > 0
		                  ? (double)cnt / ((double)deg * timed) : 0.0);
		g_assert_cmpfloat(sc2[u], ==, sc1[u]);
	}
}

/* The default number of betweenness sources follows the graph size. */
static void
test_default_samples(void)
{
	g_assert_cmpint(kith_betweenness_default_samples(0), ==, 200);
	g_assert_cmpint(kith_betweenness_default_samples(1500000), ==, 200);
	g_assert_cmpint(kith_betweenness_default_samples(3000000), ==, 100);
	g_assert_cmpint(kith_betweenness_default_samples(20000000), ==, 15);
	g_assert_cmpint(kith_betweenness_default_samples(INT64_C(1) << 40), ==,
	                10);
}

/* Influence on a given user graph instead of the social links: the
 * columns are those of that graph. */
static void
test_compute_user_graph(void)
{
	g_autoptr(kith_store) s = timed_store();
	struct kith_csr g = { 0 };
	struct kith_influence_opts o;
	struct kith_influence r;
	/* path 0-1-2-3-4 */
	static const int32_t p[] = { 0, 1, 1, 0, 1, 2, 2, 1, 2, 3, 3, 2,
	                             3, 4, 4, 3 };
	GError *err = NULL;

	csr_from(&g, 5, p, 8, NULL);
	kith_influence_opts_init(&o);
	o.graph = KITH_UGRAPH_COINTERACTION;
	o.user_graph = &g;
	g_assert_true(kith_influence_compute(&r, s, &o, &err));
	g_assert_no_error(err);
	g_assert_false(r.directed);
	g_assert_cmpint(r.n_edges, ==, 4);
	g_assert_cmpfloat(r.col[KITH_INFL_IN_DEGREE][2], ==, 2);
	g_assert_cmpfloat(r.col[KITH_INFL_TWO_HOP][0], ==, 2);
	g_assert_cmpfloat(r.col[KITH_INFL_TWO_HOP][2], ==, 4);
	/* path betweenness: 3, 4, 3 pairs through 1, 2, 3 */
	g_assert_cmpfloat(r.col[KITH_INFL_BETWEENNESS][1], ==, 3);
	g_assert_cmpfloat(r.col[KITH_INFL_BETWEENNESS][2], ==, 4);
	g_assert_cmpfloat(r.col[KITH_INFL_KCORE][4], ==, 1);
	/* 1 follows 0 on item 0 (0 and 1 are neighbours here too) */
	g_assert_cmpfloat(r.col[KITH_INFL_BEHAVIOURAL_EVENTS][0], ==, 1);
	kith_influence_clear(&r);
	/* No graph given: an error, not a crash. */
	o.user_graph = NULL;
	g_assert_false(kith_influence_compute(&r, s, &o, &err));
	g_assert_nonnull(err);
	g_clear_error(&err);
	kith_csr_clear(&g);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	igraph_set_error_handler(quiet_igraph);
	igraph_set_warning_handler(igraph_warning_handler_ignore);
	g_test_add_func("/influence/pagerank", test_pagerank);
	g_test_add_func("/influence/two-hop", test_two_hop);
	g_test_add_func("/influence/betweenness", test_betweenness);
	g_test_add_func("/influence/behavioural", test_behavioural);
	g_test_add_func("/influence/compute", test_compute);
	g_test_add_func("/influence/kcore-directed", test_kcore_directed);
	g_test_add_func("/influence/kcore", test_kcore);
	g_test_add_func("/influence/behavioural-random",
	                test_behavioural_random);
	g_test_add_func("/influence/default-samples", test_default_samples);
	g_test_add_func("/influence/user-graph", test_compute_user_graph);
	return g_test_run();
}
