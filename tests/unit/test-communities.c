/* Unit tests of src/analytics/graphs.c and communities.c. */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "kith/community.h"
#include "kith/core.h"
#include "kith/store.h"
#include "kith/synth.h"

static void
quiet_igraph(const char *reason, const char *file, int line,
             igraph_error_t err)
{
	IGRAPH_FINALLY_FREE();
}

/* A store of n users with the undirected links pairs[0..2m) (each pair
 * once) and the user–item interactions ui_pairs[0..2k) (user, item). */
static struct kith_store *
make_store(int64_t n, const int32_t *pairs, int64_t m, int64_t n_items,
           const int32_t *ui_pairs, int64_t k)
{
	struct kith_store *s = kith_store_new();
	g_autofree int32_t *r = g_new(int32_t, 2 * m + 1);
	g_autofree int32_t *c = g_new(int32_t, 2 * m + 1);
	g_autofree float *w = g_new(float, 2 * m + 1);
	g_autofree int32_t *ur = g_new(int32_t, k + 1);
	g_autofree int32_t *uc = g_new(int32_t, k + 1);
	GError *err = NULL;

	for (int64_t i = 0; i < m; i++) {
		r[2 * i] = c[2 * i + 1] = pairs[2 * i];
		c[2 * i] = r[2 * i + 1] = pairs[2 * i + 1];
		w[2 * i] = w[2 * i + 1] = 1.0f;
	}
	for (int64_t i = 0; i < k; i++) {
		ur[i] = ui_pairs[2 * i];
		uc[i] = ui_pairs[2 * i + 1];
	}
	s->n_users = n;
	s->n_items = n_items;
	g_assert_true(kith_csr_from_coo(&s->uu, n, n, 2 * m, r, c, w, &err));
	g_assert_true(kith_csr_from_coo(&s->ui, n, n_items, k, ur, uc, NULL,
	                                &err));
	g_assert_true(kith_csr_transpose(&s->iu, &s->ui, &err));
	g_assert_no_error(err);
	s->user_ids = kith_store_own(s, g_new0(char *, n + 1));
	for (int64_t u = 0; u < n; u++) {
		char buf[32];
		g_snprintf(buf, sizeof(buf), "u%" G_GINT64_FORMAT, u);
		s->user_ids[u] = kith_store_intern(s, buf);
	}
	return s;
}

/* Stochastic block model: n users in q equal blocks, mean degree deg,
 * a share mu of each user's links leaving its block. */
static struct kith_store *
make_sbm(int64_t n, int q, double deg, double mu, uint64_t seed,
         int32_t **truth)
{
	struct kith_rng rng;
	int64_t m = (int64_t)(n * deg / 2), k = 0;
	g_autofree int32_t *pairs = g_new(int32_t, 2 * m);
	int32_t *t = g_new(int32_t, n);

	kith_rng_seed(&rng, seed, 1);
	for (int64_t u = 0; u < n; u++)
		t[u] = (int32_t)(u % q);
	while (k < m) {
		int64_t a = (int64_t)kith_rng_below(&rng, n), b;
		if (kith_rng_uniform(&rng) < mu) {
			b = (int64_t)kith_rng_below(&rng, n);
		} else {
			b = (int64_t)kith_rng_below(&rng, n / q) * q + t[a];
			if (b >= n)
				continue;
		}
		if (a == b)
			continue;
		pairs[2 * k] = (int32_t)a;
		pairs[2 * k + 1] = (int32_t)b;
		k++;
	}
	*truth = t;
	/* Duplicate pairs are summed into weight 2 by the CSR build. */
	return make_store(n, pairs, m, 0, NULL, 0);
}

/* Modularity by its definition, for reference. */
static double
naive_modularity(const struct kith_csr *g, const int32_t *memb, double gamma)
{
	int64_t n = g->n_rows, nc = 0;
	double two_m = 0, q = 0;

	for (int64_t u = 0; u < n; u++)
		if (memb[u] + 1 > nc)
			nc = memb[u] + 1;
	g_autofree double *vol = g_new0(double, nc + 1);
	g_autofree double *in = g_new0(double, nc + 1);
	for (int64_t u = 0; u < n; u++) {
		for (int64_t e = g->indptr[u]; e < g->indptr[u + 1]; e++) {
			double w = g->values ? g->values[e] : 1;
			two_m += w;
			if (memb[u] >= 0)
				vol[memb[u]] += w;
			if (memb[u] >= 0 && memb[u] == memb[g->indices[e]])
				in[memb[u]] += w;
		}
	}
	for (int64_t c = 0; c < nc; c++)
		q += in[c] / two_m - gamma * (vol[c] / two_m) * (vol[c] / two_m);
	return q;
}

/* NMI (arithmetic normalisation) and ARI from the contingency table. */
static void
naive_compare(const int32_t *a, const int32_t *b, int64_t n, double *nmi,
              double *ari)
{
	int na = 0, nb = 0;
	for (int64_t i = 0; i < n; i++) {
		na = MAX(na, a[i] + 1);
		nb = MAX(nb, b[i] + 1);
	}
	g_autofree double *t = g_new0(double, (size_t)na * nb);
	g_autofree double *ra = g_new0(double, na);
	g_autofree double *rb = g_new0(double, nb);
	for (int64_t i = 0; i < n; i++) {
		t[(size_t)a[i] * nb + b[i]] += 1;
		ra[a[i]] += 1;
		rb[b[i]] += 1;
	}
	double I = 0, ha = 0, hb = 0, sij = 0, sa = 0, sb = 0;
	for (int i = 0; i < na; i++) {
		if (ra[i] > 0)
			ha -= ra[i] / n * log(ra[i] / n);
		sa += ra[i] * (ra[i] - 1) / 2;
		for (int j = 0; j < nb; j++) {
			double x = t[(size_t)i * nb + j];
			if (x > 0)
				I += x / n * log(x * n / (ra[i] * rb[j]));
			sij += x * (x - 1) / 2;
		}
	}
	for (int j = 0; j < nb; j++) {
		if (rb[j] > 0)
			hb -= rb[j] / n * log(rb[j] / n);
		sb += rb[j] * (rb[j] - 1) / 2;
	}
	*nmi = ha + hb > 0 ? 2 * I / (ha + hb) : 1;
	double pairs = (double)n * (n - 1) / 2, expect = sa * sb / pairs;
	*ari = (sij - expect) / ((sa + sb) / 2 - expect);
}

static void
test_leiden_sbm(void)
{
	g_autofree int32_t *truth = NULL;
	g_autoptr(kith_store) s = make_sbm(3000, 10, 20, 0.3, 5, &truth);
	struct kith_csr g = { 0 };
	struct kith_comm_result r, r2, lv;
	GError *err = NULL;
	double nmi, ari, q, nn, na;
	int64_t nc;

	g_assert_true(kith_social_undirected(&g, s, &err));
	g_assert_no_error(err);
	g_assert_true(kith_communities_detect(&r, &g, KITH_COMM_LEIDEN, 1.0, 7,
	                                      &err));
	g_assert_no_error(err);
	g_assert_cmpint(r.n_in_graph, ==, 3000);
	g_assert_true(kith_partition_compare(&nmi, &ari, &nc, r.membership,
	                                     truth, 3000, &err));
	g_test_message("leiden: %" G_GINT64_FORMAT " communities, Q %.4f, NMI "
	               "%.4f, ARI %.4f", r.n_communities, r.modularity, nmi,
	               ari);
	g_assert_cmpint(nc, ==, 3000);
	g_assert_cmpfloat(nmi, >=, 0.90);
	g_assert_cmpfloat(ari, >=, 0.85);
	naive_compare(r.membership, truth, 3000, &nn, &na);
	g_assert_cmpfloat(fabs(nn - nmi), <, 1e-9);
	g_assert_cmpfloat(fabs(na - ari), <, 1e-9);
	/* The reported modularity is igraph's and the definition's. */
	g_assert_true(kith_modularity(&q, &g, r.membership, 1.0, &err));
	g_assert_cmpfloat(fabs(q - r.modularity), <, 1e-12);
	g_assert_cmpfloat(fabs(naive_modularity(&g, r.membership, 1.0) -
	                       r.modularity), <, 1e-9);
	/* Leiden with the scaled resolution is a modularity optimiser: it
	 * matches Louvain and beats the planted partition. */
	g_assert_true(kith_communities_detect(&lv, &g, KITH_COMM_LOUVAIN, 1.0, 7,
	                                      &err));
	g_assert_cmpfloat(r.modularity, >=, lv.modularity - 0.01);
	g_assert_cmpfloat(r.modularity, >=, naive_modularity(&g, truth, 1.0)
	                  - 1e-9);
	/* Numbered by decreasing size. */
	{
		g_autofree int64_t *size = g_new0(int64_t, r.n_communities);
		for (int64_t u = 0; u < 3000; u++) {
			g_assert_cmpint(r.membership[u], >=, 0);
			g_assert_cmpint(r.membership[u], <, r.n_communities);
			size[r.membership[u]]++;
		}
		for (int64_t c = 1; c < r.n_communities; c++)
			g_assert_cmpint(size[c - 1], >=, size[c]);
	}
	/* Same seed, same result. */
	g_assert_true(kith_communities_detect(&r2, &g, KITH_COMM_LEIDEN, 1.0, 7,
	                                      &err));
	g_assert_cmpmem(r.membership, 3000 * 4, r2.membership, 3000 * 4);
	/* A high resolution gives more, smaller communities. */
	kith_comm_result_clear(&r2);
	g_assert_true(kith_communities_detect(&r2, &g, KITH_COMM_LEIDEN, 8.0, 7,
	                                      &err));
	g_assert_cmpint(r2.n_communities, >, r.n_communities);
	g_assert_cmpfloat(fabs(naive_modularity(&g, r2.membership, 8.0) -
	                       r2.modularity_at_resolution), <, 1e-9);
	kith_comm_result_clear(&r);
	kith_comm_result_clear(&r2);
	kith_comm_result_clear(&lv);
	kith_csr_clear(&g);
}

static void
test_labelprop_and_isolated(void)
{
	/* Two 4-cliques joined by one edge, plus user 8 without links. */
	static const int32_t pairs[] = {
		0, 1, 0, 2, 0, 3, 1, 2, 1, 3, 2, 3,
		4, 5, 4, 6, 4, 7, 5, 6, 5, 7, 6, 7,
		3, 4
	};
	static const int32_t ui[] = {
		0, 0, 1, 0, 2, 0, 3, 1, 4, 2, 5, 2, 6, 2, 7, 3, 0, 1
	};
	g_autoptr(kith_store) s = make_store(9, pairs, 13, 4, ui, 9);
	struct kith_csr g = { 0 };
	struct kith_comm_result r;
	struct kith_comm_summary *cs;
	GError *err = NULL;

	s->n_categories = 2;
	{
		static const int32_t ir[] = { 0, 1, 2, 2, 3 };
		static const int32_t ic[] = { 0, 0, 1, 0, 1 };
		g_assert_true(kith_csr_from_coo(&s->item_cat, 4, 2, 5, ir, ic,
		                                NULL, &err));
	}
	g_assert_true(kith_social_undirected(&g, s, &err));
	for (int m = 0; m < 3; m++) {
		g_assert_true(kith_communities_detect(&r, &g, m, 1.0, 3, &err));
		g_assert_no_error(err);
		g_assert_cmpint(r.membership[8], ==, -1);
		g_assert_cmpint(r.n_in_graph, ==, 8);
		g_assert_cmpint(r.n_communities, ==, 2);
		for (int u = 1; u < 4; u++)
			g_assert_cmpint(r.membership[u], ==, r.membership[0]);
		for (int u = 5; u < 8; u++)
			g_assert_cmpint(r.membership[u], ==, r.membership[4]);
		g_assert_cmpint(r.membership[0], !=, r.membership[4]);
		/* Two equal halves: size tie, the one holding user 0 first. */
		g_assert_cmpint(r.membership[0], ==, 0);
		g_assert_cmpfloat(fabs(r.modularity - (2 * (12.0 / 26 -
		                  0.25))), <, 1e-12);
		kith_comm_result_clear(&r);
	}
	g_assert_true(kith_communities_detect(&r, &g, KITH_COMM_LEIDEN, 1.0, 3,
	                                      &err));
	cs = kith_communities_summarise(&r, &g, s, NULL, &err);
	g_assert_no_error(err);
	g_assert_cmpint(cs[0].size, ==, 4);
	g_assert_cmpint(cs[0].internal_edges, ==, 6);
	g_assert_cmpfloat(cs[0].internal_density, ==, 1.0);
	/* vol = 13, cut = 1, 2m = 26: conductance 1/13. */
	g_assert_cmpfloat(fabs(cs[0].volume - 13), <, 1e-12);
	g_assert_cmpfloat(fabs(cs[0].conductance - 1.0 / 13), <, 1e-12);
	/* Member 3 has internal strength 3 like the others: lowest id wins,
	 * all four are listed. */
	g_assert_cmpint(cs[0].n_central, ==, 4);
	g_assert_cmpint(cs[0].central[0], ==, 0);
	/* Users 0..3 touched items 0 (x3), 1 (x2 with user 0): top item 0. */
	g_assert_cmpint(cs[0].top_items[0], ==, 0);
	g_assert_cmpint(cs[0].top_items[1], ==, 1);
	/* Categories: item 0 -> 0, item 1 -> 0: category 0 only. */
	g_assert_cmpint(cs[0].n_top_categories, ==, 1);
	g_assert_cmpint(cs[0].top_categories[0], ==, 0);
	/* Second community: items 2 (x3, categories 1 and 0) and 3 (cat 1). */
	g_assert_cmpint(cs[1].top_items[0], ==, 2);
	g_assert_cmpint(cs[1].top_categories[0], ==, 1);
	g_assert_cmpint(cs[1].top_categories[1], ==, 0);
	g_assert_false(cs[0].has_rfm);
	g_free(cs);
	{
		float rfm[27];
		for (int i = 0; i < 27; i++)
			rfm[i] = (float)(i / 3 + 1);
		rfm[0] = NAN;
		cs = kith_communities_summarise(&r, &g, s, rfm, &err);
		g_assert_true(cs[0].has_rfm);
		/* users 1..3 count: r = 2, 3, 4. */
		g_assert_cmpfloat(fabs(cs[0].mean_rfm[0] - 3.0), <, 1e-12);
		g_free(cs);
	}
	kith_comm_result_clear(&r);
	kith_csr_clear(&g);
}

static void
test_compare(void)
{
	static const int32_t a[] = { 0, 0, 0, 1, 1, 1, 2, 2, 2, 2 };
	static const int32_t b[] = { 5, 5, 1, 1, 1, 0, 0, 0, 2, 2 };
	static const int32_t perm[] = { 3, 3, 3, 9, 9, 9, 4, 4, 4, 4 };
	int32_t found[10], truth[10];
	double nmi, ari, nn, na;
	int64_t nc;
	GError *err = NULL;

	g_assert_true(kith_partition_compare(&nmi, &ari, &nc, perm, a, 10,
	                                     &err));
	g_assert_cmpfloat(fabs(nmi - 1), <, 1e-12);
	g_assert_cmpfloat(fabs(ari - 1), <, 1e-12);
	g_assert_true(kith_partition_compare(&nmi, &ari, &nc, b, a, 10, &err));
	{
		int32_t bb[10];
		/* relabel b densely for the naive reference */
		static const int32_t map[6] = { 0, 1, 2, -1, -1, 3 };
		for (int i = 0; i < 10; i++)
			bb[i] = map[b[i]];
		naive_compare(bb, a, 10, &nn, &na);
	}
	g_assert_cmpfloat(fabs(nmi - nn), <, 1e-12);
	g_assert_cmpfloat(fabs(ari - na), <, 1e-12);
	g_assert_cmpfloat(nmi, <, 0.9);
	/* Unlisted users are left out; unassigned ones become singletons. */
	memcpy(found, a, sizeof(found));
	memcpy(truth, a, sizeof(truth));
	truth[9] = -1;
	found[0] = -1;
	g_assert_true(kith_partition_compare(&nmi, &ari, &nc, found, truth, 10,
	                                     &err));
	g_assert_cmpint(nc, ==, 9);
	g_assert_cmpfloat(nmi, <, 1.0);
	g_assert_cmpfloat(nmi, >, 0.7);
	for (int i = 0; i < 10; i++)
		truth[i] = -1;
	g_assert_false(kith_partition_compare(&nmi, &ari, &nc, found, truth, 10,
	                                      &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_DATA);
	g_clear_error(&err);
}

static void
test_read_partition(void)
{
	static const int32_t pairs[] = { 0, 1 };
	g_autoptr(kith_store) s = make_store(4, pairs, 1, 0, NULL, 0);
	g_autofree char *dir = g_dir_make_tmp("kith-comm-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "truth.tsv", NULL);
	g_autofree int32_t *t = NULL;
	int64_t listed, unknown;
	GError *err = NULL;

	g_assert_true(g_file_set_contents(path, "user\tcommunity\nu2\tred\n"
	                                  "u0\tblue\nzz\tred\nu1\tred\n", -1,
	                                  NULL));
	g_assert_true(kith_read_partition(&t, &listed, &unknown, s, path, &err));
	g_assert_no_error(err);
	g_assert_cmpint(listed, ==, 3);
	g_assert_cmpint(unknown, ==, 1);
	g_assert_cmpint(t[0], ==, 1);
	g_assert_cmpint(t[1], ==, 0);
	g_assert_cmpint(t[2], ==, 0);
	g_assert_cmpint(t[3], ==, -1);
	g_assert_true(g_file_set_contents(path, "community\tuser\nA\tu3\n", -1,
	                                  NULL));
	g_clear_pointer(&t, g_free);
	g_assert_true(kith_read_partition(&t, &listed, &unknown, s, path, &err));
	g_assert_cmpint(t[3], ==, 0);
	g_assert_cmpint(t[0], ==, -1);
	g_assert_true(g_file_set_contents(path, "user\tcommunity\nq\t1\n", -1,
	                                  NULL));
	g_clear_pointer(&t, g_free);
	g_assert_false(kith_read_partition(&t, &listed, &unknown, s, path,
	                                   &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_DATA);
	g_clear_error(&err);
	g_unlink(path);
	g_rmdir(dir);
}

/* s(u,v) by the definition, dense. */
static double
naive_cosim(const struct kith_store *s, int64_t u, int64_t v)
{
	double acc = 0;
	for (int64_t e = s->ui.indptr[u]; e < s->ui.indptr[u + 1]; e++)
		for (int64_t f = s->ui.indptr[v]; f < s->ui.indptr[v + 1]; f++)
			if (s->ui.indices[e] == s->ui.indices[f]) {
				int32_t i = s->ui.indices[e];
				int64_t d = s->iu.indptr[i + 1] - s->iu.indptr[i];
				acc += 1.0 / log(1.0 + d);
			}
	double nu = s->ui.indptr[u + 1] - s->ui.indptr[u];
	double nv = s->ui.indptr[v + 1] - s->ui.indptr[v];
	return nu > 0 && nv > 0 ? acc / sqrt(nu * nv) : 0;
}

static void
test_cointeraction(void)
{
	struct kith_rng rng;
	int64_t n = 300, m = 60, k = 0;
	g_autofree int32_t *ui = g_new(int32_t, 2 * n * 8);
	struct kith_csr g = { 0 }, g2 = { 0 }, g3 = { 0 };
	GError *err = NULL;

	kith_rng_seed(&rng, 11, 0);
	for (int64_t u = 0; u < n; u++) {
		int cnt = 1 + (int)kith_rng_below(&rng, 8);
		g_autofree uint8_t *seen = g_new0(uint8_t, m);
		for (int j = 0; j < cnt; j++) {
			int32_t it = (int32_t)kith_rng_below(&rng, m);
			if (seen[it])
				continue;
			seen[it] = 1;
			ui[2 * k] = (int32_t)u;
			ui[2 * k + 1] = it;
			k++;
		}
	}
	g_autoptr(kith_store) s = make_store(n, NULL, 0, m, ui, k);
	/* k = n keeps every positive pair: weight = 2 s(u,v). */
	g_assert_true(kith_cointeraction_graph(&g, s, (int)n, 0, &err));
	g_assert_no_error(err);
	for (int64_t u = 0; u < n; u++) {
		int64_t e = g.indptr[u];
		for (int64_t v = 0; v < n; v++) {
			double want = v == u ? 0 : 2 * naive_cosim(s, u, v);
			double got = 0;
			if (e < g.indptr[u + 1] && g.indices[e] == v)
				got = g.values[e++];
			g_assert_cmpfloat(fabs(got - want), <, 1e-5 * (1 + want));
		}
	}
	/* k = 3: every user keeps its 3 best; the union is symmetric and
	 * each user has at least min(3, positive pairs) neighbours. */
	g_assert_true(kith_cointeraction_graph(&g2, s, 3, 0, &err));
	for (int64_t u = 0; u < n; u++) {
		int64_t pos = g.indptr[u + 1] - g.indptr[u];
		g_assert_cmpint(g2.indptr[u + 1] - g2.indptr[u], >=, MIN(3, pos));
		for (int64_t e = g2.indptr[u]; e < g2.indptr[u + 1]; e++) {
			int32_t v = g2.indices[e];
			gboolean back = FALSE;
			for (int64_t f = g2.indptr[v]; f < g2.indptr[v + 1]; f++)
				if (g2.indices[f] == u && g2.values[f] == g2.values[e])
					back = TRUE;
			g_assert_true(back);
		}
	}
	/* A capped run is the same for 1 and 2 threads. */
	kith_set_threads(1);
	g_assert_true(kith_cointeraction_graph(&g3, s, 5, 4, &err));
	kith_csr_clear(&g2);
	kith_set_threads(2);
	g_assert_true(kith_cointeraction_graph(&g2, s, 5, 4, &err));
	g_assert_cmpint(g2.nnz, ==, g3.nnz);
	g_assert_cmpmem(g2.indices, g2.nnz * 4, g3.indices, g3.nnz * 4);
	g_assert_cmpmem(g2.values, g2.nnz * 4, g3.values, g3.nnz * 4);
	kith_csr_clear(&g);
	kith_csr_clear(&g2);
	kith_csr_clear(&g3);
	g_assert_false(kith_cointeraction_graph(&g, s, 0, 0, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
}

/* The synthetic shop without its social file: communities from what
 * users bought. */
static void
test_synth_cointeraction(void)
{
	struct kith_synth_params p;
	GError *err = NULL;
	int64_t n = 4000, k = 0, cap = 0;
	struct kith_csr g = { 0 };
	struct kith_comm_result r;
	double nmi, ari;
	int64_t nc;

	kith_synth_params_init(&p);
	p.users = n;
	p.items = 500;
	p.categories = 20;
	p.communities = 10;
	p.mixing = 0.3;
	p.seed = 7;
	g_autoptr(kith_synth) sy = kith_synth_new(&p, &err);
	g_assert_no_error(err);
	for (int64_t u = 0; u < n; u++)
		cap += kith_synth_user_events(sy, u);
	g_autofree int32_t *ui = g_new(int32_t, 2 * cap);
	g_autofree int32_t *truth = g_new(int32_t, n);
	g_autofree struct kith_synth_event *ev =
		g_new(struct kith_synth_event, kith_synth_max_user_events(sy));
	g_autofree uint8_t *seen = g_new0(uint8_t, p.items);
	for (int64_t u = 0; u < n; u++) {
		int64_t ne = kith_synth_user_events(sy, u);
		kith_synth_generate_user(sy, u, ev);
		for (int64_t j = 0; j < ne; j++) {
			if (seen[ev[j].item])
				continue;
			seen[ev[j].item] = 1;
			ui[2 * k] = (int32_t)u;
			ui[2 * k + 1] = ev[j].item;
			k++;
		}
		for (int64_t j = 0; j < ne; j++)
			seen[ev[j].item] = 0;
		truth[u] = kith_synth_community(sy, u);
	}
	g_autoptr(kith_store) s = make_store(n, NULL, 0, p.items, ui, k);
	g_assert_true(kith_cointeraction_graph(&g, s, 30, 1000, &err));
	g_assert_true(kith_communities_detect(&r, &g, KITH_COMM_LEIDEN, 1.0, 1,
	                                      &err));
	g_assert_no_error(err);
	g_assert_true(kith_partition_compare(&nmi, &ari, &nc, r.membership,
	                                     truth, n, &err));
	g_test_message("synth co-interaction: %" G_GINT64_FORMAT
	               " communities, Q %.4f, NMI %.4f, ARI %.4f",
	               r.n_communities, r.modularity, nmi, ari);
	g_assert_cmpfloat(nmi, >=, 0.80);
	kith_comm_result_clear(&r);
	kith_csr_clear(&g);
}

/* Diffusion denoising: on a sparse SBM with few large communities it
 * recovers the planted partition, the reported modularity is that of the
 * original graph, and auto leaves small graphs alone. */
static void
test_denoise(void)
{
	g_autofree int32_t *truth = NULL;
	g_autoptr(kith_store) s = make_sbm(6000, 4, 12, 0.3, 9, &truth);
	struct kith_csr g = { 0 };
	struct kith_comm_result r, r2, raw;
	GError *err = NULL;
	double nmi, ari;
	int64_t nc;

	g_assert_true(kith_social_undirected(&g, s, &err));
	g_assert_true(kith_communities_detect_full(&r, &g, KITH_COMM_LEIDEN,
	                                           1.0, 3, 1, &err));
	g_assert_no_error(err);
	g_assert_true(r.denoised);
	g_assert_true(kith_partition_compare(&nmi, &ari, &nc, r.membership,
	                                     truth, 6000, &err));
	g_test_message("denoised leiden: %" G_GINT64_FORMAT " communities, Q "
	               "%.4f, NMI %.4f", r.n_communities, r.modularity, nmi);
	g_assert_cmpfloat(nmi, >=, 0.90);
	g_assert_cmpfloat(fabs(naive_modularity(&g, r.membership, 1.0) -
	                       r.modularity), <, 1e-9);
	/* deterministic for any thread count */
	kith_set_threads(1);
	g_assert_true(kith_communities_detect_full(&r2, &g, KITH_COMM_LEIDEN,
	                                           1.0, 3, 1, &err));
	kith_set_threads(2);
	g_assert_cmpmem(r.membership, 6000 * 4, r2.membership, 6000 * 4);
	kith_comm_result_clear(&r2);
	/* Louvain too */
	g_assert_true(kith_communities_detect_full(&r2, &g, KITH_COMM_LOUVAIN,
	                                           1.0, 3, 1, &err));
	g_assert_true(kith_partition_compare(&nmi, &ari, &nc, r2.membership,
	                                     truth, 6000, &err));
	g_assert_cmpfloat(nmi, >=, 0.90);
	/* auto: off below KITH_COMM_DENOISE_MIN users */
	g_assert_true(kith_communities_detect(&raw, &g, KITH_COMM_LEIDEN, 1.0, 3,
	                                      &err));
	g_assert_false(raw.denoised);
	g_assert_false(kith_comm_denoise_auto(KITH_COMM_DENOISE_MIN - 1));
	g_assert_true(kith_comm_denoise_auto(KITH_COMM_DENOISE_MIN));
	kith_comm_result_clear(&r);
	kith_comm_result_clear(&r2);
	kith_comm_result_clear(&raw);
	kith_csr_clear(&g);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	igraph_set_error_handler(quiet_igraph);
	igraph_set_warning_handler(igraph_warning_handler_ignore);
	g_test_add_func("/communities/leiden-sbm", test_leiden_sbm);
	g_test_add_func("/communities/denoise", test_denoise);
	g_test_add_func("/communities/labelprop-isolated",
	                test_labelprop_and_isolated);
	g_test_add_func("/communities/compare", test_compare);
	g_test_add_func("/communities/read-partition", test_read_partition);
	g_test_add_func("/communities/cointeraction", test_cointeraction);
	g_test_add_func("/communities/synth-cointeraction",
	                test_synth_cointeraction);
	return g_test_run();
}
