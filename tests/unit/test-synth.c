/* Unit tests of the synthetic shop model (src/analytics/synth.c). */
#include "config.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#include "kith/core.h"
#include "kith/synth.h"

static struct kith_synth *
model(int64_t users, int64_t items, int cats, int comms, double mu,
      int64_t events, uint64_t seed)
{
	struct kith_synth_params p;
	GError *err = NULL;
	struct kith_synth *s;

	kith_synth_params_init(&p);
	p.users = users;
	p.items = items;
	p.categories = cats;
	p.communities = comms;
	p.mixing = mu;
	p.events = events;
	p.seed = seed;
	s = kith_synth_new(&p, &err);
	g_assert_no_error(err);
	g_assert_nonnull(s);
	return s;
}

static void
test_params(void)
{
	struct kith_synth_params p;
	GError *err = NULL;

	kith_synth_params_init(&p);
	g_assert_true(kith_synth_params_check(&p, &err));
	g_assert_no_error(err);
#define BAD(stmt)                                                       \
	do {                                                            \
		kith_synth_params_init(&p);                             \
		stmt;                                                   \
		g_assert_false(kith_synth_params_check(&p, &err));      \
		g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);      \
		g_clear_error(&err);                                    \
		g_assert_null(kith_synth_new(&p, &err));                \
		g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);      \
		g_clear_error(&err);                                    \
	} while (0)
	BAD(p.users = 0);
	BAD(p.items = 5; p.categories = 6);
	BAD(p.categories = 0);
	BAD(p.communities = 0);
	BAD(p.users = 10; p.communities = 11);
	BAD(p.mixing = 1.5);
	BAD(p.mixing = -0.1);
	BAD(p.days = 0);
	BAD(p.events = 999);          /* fewer than users (1000) */
	BAD(p.events_per_user = 0.5);
	BAD(p.social_degree = -1);
#undef BAD
}

static void
test_parse_start(void)
{
	int64_t t = 0;
	GError *err = NULL;

	g_assert_true(kith_synth_parse_start("2024-01-01", &t, &err));
	g_assert_cmpint(t, ==, 1704067200);
	g_assert_true(kith_synth_parse_start("2024-03-10T12:00:00Z", &t, &err));
	g_assert_cmpint(t, ==, 1710072000);
	g_assert_true(kith_synth_parse_start("1700000000", &t, &err));
	g_assert_cmpint(t, ==, 1700000000);
	g_assert_no_error(err);
	g_assert_false(kith_synth_parse_start("yesterday", &t, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
}

static void
test_counts(void)
{
	g_autoptr(kith_synth) s = model(3000, 400, 9, 7, 0.2, 61234, 5);
	g_autofree int64_t *size = g_new0(int64_t, 7);
	int64_t tot = 0, mx = 0;

	for (int64_t u = 0; u < 3000; u++) {
		int64_t e = kith_synth_user_events(s, u);
		g_assert_cmpint(e, >=, 1);
		tot += e;
		mx = MAX(mx, e);
		size[kith_synth_community(s, u)]++;
	}
	g_assert_cmpint(tot, ==, 61234);
	g_assert_cmpint(mx, ==, kith_synth_max_user_events(s));
	/* heavy tail: the busiest user has far more than the mean */
	g_assert_cmpint(mx, >, 10 * 61234 / 3000);
	/* community sizes vary moderately: within 0.3x..3x of the mean */
	for (int c = 0; c < 7; c++) {
		g_assert_cmpint(size[c], >, 3000 / 7 * 3 / 10);
		g_assert_cmpint(size[c], <, 3000 / 7 * 3);
	}
	for (int64_t i = 0; i < 400; i++) {
		int cats[2];
		int n = kith_synth_item_categories(s, i, cats);
		g_assert_true(n == 1 || n == 2);
		g_assert_cmpint(cats[0], >=, 0);
		g_assert_cmpint(cats[0], <, 9);
		if (n == 2)
			g_assert_cmpint(cats[1], !=, cats[0]);
		g_assert_cmpint(kith_synth_item_cents(s, i), >=, 50);
	}
	for (int c = 0; c < 7; c++) {
		double sum = 0;
		for (int k = 0; k < 9; k++) {
			g_assert_cmpfloat(kith_synth_preference(s, c, k), >, 0);
			sum += kith_synth_preference(s, c, k);
		}
		g_assert_cmpfloat(fabs(sum - 1), <, 1e-9);
	}
}

/* Funnel: every cart has an earlier view of the same item by the same
 * user, every purchase an earlier cart; timestamps sorted and in span;
 * values are the item price on cart/purchase and 0 on view. */
static void
test_funnel(void)
{
	g_autoptr(kith_synth) s = model(800, 200, 6, 4, 0.2, 40000, 9);
	const struct kith_synth_params *p = kith_synth_params(s);
	int64_t span_end = p->start + (int64_t)p->days * 86400;
	g_autofree struct kith_synth_event *e =
		g_new(struct kith_synth_event, kith_synth_max_user_events(s));
	g_autofree struct kith_synth_event *e2 =
		g_new(struct kith_synth_event, kith_synth_max_user_events(s));
	int64_t cnt[3] = { 0, 0, 0 };

	for (int64_t u = 0; u < 800; u++) {
		int64_t n = kith_synth_user_events(s, u);
		g_autoptr(GHashTable) viewed = g_hash_table_new(NULL, NULL);
		g_autoptr(GHashTable) carted = g_hash_table_new(NULL, NULL);

		kith_synth_generate_user(s, u, e);
		kith_synth_generate_user(s, u, e2);
		g_assert_cmpmem(e, n * sizeof(*e), e2, n * sizeof(*e2));
		for (int64_t j = 0; j < n; j++) {
			gpointer key = GINT_TO_POINTER(e[j].item + 1);
			g_assert_cmpint(e[j].ts, >=, p->start);
			g_assert_cmpint(e[j].ts, <, span_end);
			if (j > 0)
				g_assert_cmpint(e[j].ts, >=, e[j - 1].ts);
			g_assert_cmpint(e[j].item, >=, 0);
			g_assert_cmpint(e[j].item, <, 200);
			cnt[e[j].type]++;
			switch (e[j].type) {
			case KITH_SYNTH_VIEW:
				g_assert_cmpint(e[j].cents, ==, 0);
				g_hash_table_add(viewed, key);
				break;
			case KITH_SYNTH_CART:
				g_assert_true(g_hash_table_contains(viewed, key));
				g_assert_cmpint(e[j].cents, ==,
				                kith_synth_item_cents(s, e[j].item));
				g_hash_table_add(carted, key);
				break;
			case KITH_SYNTH_PURCHASE:
				g_assert_true(g_hash_table_contains(carted, key));
				g_assert_cmpint(e[j].cents, ==,
				                kith_synth_item_cents(s, e[j].item));
				break;
			default:
				g_assert_not_reached();
			}
		}
	}
	g_assert_cmpint(cnt[0] + cnt[1] + cnt[2], ==, 40000);
	/* cart after a view with p 0.25, purchase after a cart with p 0.5 */
	g_assert_cmpfloat(fabs((double)cnt[1] / cnt[0] - 0.25), <, 0.02);
	g_assert_cmpfloat(fabs((double)cnt[2] / cnt[1] - 0.5), <, 0.05);
}

/* The planted preferences show in the events: for every community the
 * category mix of its events correlates with its preference vector
 * (Pearson r > 0.8) and its most viewed category is one of its two most
 * preferred ones. */
static void
test_preferences_visible(void)
{
	g_autoptr(kith_synth) s = model(2000, 600, 10, 5, 0.2, 60000, 3);
	g_autofree double *hist = g_new0(double, 5 * 10);
	g_autofree struct kith_synth_event *e =
		g_new(struct kith_synth_event, kith_synth_max_user_events(s));

	for (int64_t u = 0; u < 2000; u++) {
		int c = kith_synth_community(s, u);
		int64_t n = kith_synth_user_events(s, u);
		kith_synth_generate_user(s, u, e);
		for (int64_t j = 0; j < n; j++) {
			int cats[2];
			int m = kith_synth_item_categories(s, e[j].item, cats);
			for (int q = 0; q < m; q++)
				hist[c * 10 + cats[q]] += 1.0 / m;
		}
	}
	for (int c = 0; c < 5; c++) {
		int best = 0, top1 = -1, top2 = -1;
		double mh = 0, mp = 0, sxy = 0, sxx = 0, syy = 0;
		for (int k = 0; k < 10; k++) {
			double pk = kith_synth_preference(s, c, k);
			if (hist[c * 10 + k] > hist[c * 10 + best])
				best = k;
			if (top1 < 0 || pk > kith_synth_preference(s, c, top1)) {
				top2 = top1;
				top1 = k;
			} else if (top2 < 0 ||
			           pk > kith_synth_preference(s, c, top2)) {
				top2 = k;
			}
			mh += hist[c * 10 + k] / 10;
			mp += pk / 10;
		}
		for (int k = 0; k < 10; k++) {
			double x = hist[c * 10 + k] - mh;
			double y = kith_synth_preference(s, c, k) - mp;
			sxy += x * y;
			sxx += x * x;
			syy += y * y;
		}
		g_assert_true(best == top1 || best == top2);
		g_assert_cmpfloat(sxy / sqrt(sxx * syy), >, 0.8);
	}
}

static void
test_social(void)
{
	const double mus[] = { 0.0, 0.1, 0.3, 0.6 };

	for (size_t t = 0; t < G_N_ELEMENTS(mus); t++) {
		g_autoptr(kith_synth) s = model(5000, 300, 6, 8, mus[t], 50000,
		                                11 + t);
		g_autofree int64_t *pairs = NULL;
		int64_t n = 0, mixed = 0;
		g_autofree int64_t *deg = g_new0(int64_t, 5000);
		GError *err = NULL;
		double mean;

		g_assert_true(kith_synth_social(s, &pairs, &n, &err));
		g_assert_no_error(err);
		for (int64_t j = 0; j < n; j++) {
			int64_t a = pairs[2 * j], b = pairs[2 * j + 1];
			g_assert_cmpint(a, <, b); /* no self-loops */
			g_assert_cmpint(a, >=, 0);
			g_assert_cmpint(b, <, 5000);
			if (j > 0) /* strictly sorted: no duplicates */
				g_assert_true(pairs[2 * j - 2] < a ||
				              (pairs[2 * j - 2] == a &&
				               pairs[2 * j - 1] < b));
			mixed += kith_synth_community(s, a) !=
			         kith_synth_community(s, b);
			deg[a]++;
			deg[b]++;
		}
		g_assert_cmpfloat(fabs((double)mixed / n - mus[t]), <, 0.03);
		mean = 2.0 * n / 5000;
		g_assert_cmpfloat(fabs(mean - 20), <, 2); /* default degree */
	}
}

static char *
events_text(const struct kith_synth *s, int threads, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	struct kith_synth_stats st = { 0 };
	GError *err = NULL;

	omp_set_num_threads(threads);
	g_assert_true(kith_synth_write_events(s, f, "mem", &st, &err));
	g_assert_no_error(err);
	fclose(f);
	g_assert_cmpint(st.events, ==, kith_synth_params(s)->events);
	g_assert_cmpint(st.bytes, ==, (int64_t)*len);
	return buf;
}

static void
test_threads(void)
{
	g_autoptr(kith_synth) s = model(30000, 500, 8, 6, 0.2, 300000, 21);
	g_autoptr(kith_synth) s2 = model(30000, 500, 8, 6, 0.2, 300000, 22);
	size_t l1, l2, l3;
	g_autofree char *a = events_text(s, 1, &l1);
	g_autofree char *b = events_text(s, 2, &l2);
	g_autofree char *c = events_text(s2, 2, &l3);
	int64_t lines = 0;

	g_assert_cmpmem(a, l1, b, l2);
	g_assert_false(l1 == l3 && memcmp(a, c, l1) == 0);
	g_assert_true(g_str_has_prefix(a, "user_id,item_id,event,timestamp,"
	                                  "value\nu000000,i"));
	for (size_t j = 0; j < l1; j++)
		lines += a[j] == '\n';
	g_assert_cmpint(lines, ==, 300000 + 1);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/synth/params", test_params);
	g_test_add_func("/synth/parse-start", test_parse_start);
	g_test_add_func("/synth/counts", test_counts);
	g_test_add_func("/synth/funnel", test_funnel);
	g_test_add_func("/synth/preferences-visible", test_preferences_visible);
	g_test_add_func("/synth/social", test_social);
	g_test_add_func("/synth/threads", test_threads);
	return g_test_run();
}
