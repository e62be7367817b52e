/* Unit tests of the user profiles (src/analytics/profile.c): features,
 * category preferences with type weights and time decay, RFM quintiles
 * and segments, on small stores ingested from hand-written CSV files,
 * from the event log and from the pair-level fallback. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "kith/core.h"
#include "kith/emb.h"
#include "kith/ingest.h"
#include "kith/io.h"
#include "kith/profile.h"
#include "kith/store.h"

#include "unit-util.h"

static char *tmpdir;

#define D0 1699833600LL   /* Monday 2023-11-13 00:00:00 UTC */
#define H 3600LL
#define DY 86400LL

static void
put(const char *name, const char *text)
{
	g_autofree char *p = g_build_filename(tmpdir, name, NULL);
	g_assert_true(g_file_set_contents(p, text, -1, NULL));
}

/* ingests events (and items/users when given) into tmpdir/NAME, opens it */
static struct kith_store *
make_store(const char *name, const char *events, const char *items,
           const char *users)
{
	GError *err = NULL;
	struct kith_ingest_options o;
	struct kith_ingest_result r;
	g_autofree char *ev = g_build_filename(tmpdir, "ev.csv", NULL);
	g_autofree char *it = g_build_filename(tmpdir, "it.csv", NULL);
	g_autofree char *us = g_build_filename(tmpdir, "us.csv", NULL);
	g_autofree char *path = g_build_filename(tmpdir, name, NULL);

	memset(&o, 0, sizeof(o));
	o.csv = (struct kith_csv_options)KITH_CSV_OPTIONS_INIT;
	o.max_rejects = -1;
	o.max_rejects_pct = -1;
	o.event_weights = "view=1,cart=3,purchase=5";
	put("ev.csv", events);
	o.events = ev;
	if (items) {
		put("it.csv", items);
		o.items = it;
	}
	if (users) {
		put("us.csv", users);
		o.users = us;
	}
	g_assert_true(kith_ingest_run(&o, &r, &err));
	g_assert_no_error(err);
	g_assert_true(kith_store_write(r.store, path, r.extra, FALSE, &err));
	g_assert_no_error(err);
	kith_ingest_result_clear(&r);
	struct kith_store *s = kith_store_open(path, &err);
	g_assert_no_error(err);
	return s;
}

static char *
small_events(void)
{
	GString *g = g_string_new("user,item,event,timestamp,value\n");
	g_string_append_printf(g, "a,i1,view,%lld,0\n", D0 + 10 * H);
	g_string_append_printf(g, "a,i1,purchase,%lld,20\n", D0 + 10 * H + 60);
	g_string_append_printf(g, "a,i2,view,%lld,0\n", D0 + DY + 20 * H);
	g_string_append_printf(g, "a,i3,cart,%lld,7\n", D0 + 5 * DY + 3 * H);
	g_string_append_printf(g, "b,i2,view,%lld,0\n", D0 + 2 * DY + 13 * H);
	return g_string_free(g, FALSE);
}

static const char *small_items = "item,category\ni1,x\ni2,x|y\ni3,z\n";
static const char *small_users = "user,age\na,30\nb,40\nc,50\n";

static int
cat_index(const struct kith_store *s, const char *name)
{
	for (int64_t k = 0; k < s->n_categories; k++)
		if (strcmp(s->category_names[k], name) == 0)
			return (int)k;
	g_assert_not_reached();
	return -1;
}

/* expected category preference of user a with half-life h days */
static void
expected_pref_a(double out[3], double h)
{
	int64_t T = D0 + 5 * DY + 3 * H;
	double hs = h * DY;
	double d1 = exp2(-(double)(T - (D0 + 10 * H)) / hs);
	double d2 = exp2(-(double)(T - (D0 + 10 * H + 60)) / hs);
	double d3 = exp2(-(double)(T - (D0 + DY + 20 * H)) / hs);
	double x = 1 * d1 + 5 * d2 + 0.5 * d3, y = 0.5 * d3, z = 3;
	double t = x + y + z;
	out[0] = x / t;
	out[1] = y / t;
	out[2] = z / t;
}

static void
check_small(struct kith_store *s, gboolean from_log)
{
	struct kith_profile_params p;
	struct kith_profiles pr;
	GError *err = NULL;
	kith_profile_params_init(&p);
	p.half_life_days = 2;

	g_assert_true(kith_profile_compute(&pr, s, &p, &err));
	g_assert_no_error(err);
	g_assert_true(pr.from_log == from_log);
	int64_t a = kith_store_user_index(s, "a");
	int64_t b = kith_store_user_index(s, "b");
	int64_t c = kith_store_user_index(s, "c");
	g_assert_cmpint(a, >=, 0);
	g_assert_cmpint(c, >=, 0);
	const double *f = pr.feat + a * KITH_P_COUNT;
	g_assert_cmpfloat(f[KITH_P_EVENTS], ==, 4);
	g_assert_cmpfloat(f[KITH_P_DISTINCT_ITEMS], ==, 3);
	g_assert_cmpfloat_with_epsilon(f[KITH_P_RECENCY_DAYS], 0, 1e-9);
	g_assert_cmpfloat_with_epsilon(f[KITH_P_TENURE_DAYS],
	                               (5 * DY + 3 * H - 10 * H) / 86400.0,
	                               1e-9);
	g_assert_cmpfloat(f[KITH_P_ACTIVE_DAYS], ==, 3);
	g_assert_cmpfloat_with_epsilon(f[KITH_P_FREQUENCY], 4.0 / 3, 1e-12);
	/* only the purchase counts as money, not the cart value */
	g_assert_cmpfloat_with_epsilon(f[KITH_P_MONETARY], 20, 1e-9);
	g_assert_cmpfloat_with_epsilon(f[KITH_P_REPEAT_RATE], 1.0 / 3, 1e-12);
	/* hours 10, 10, 20, 3: morning 2, evening 1, night 1; Saturday 1 */
	g_assert_cmpfloat_with_epsilon(f[KITH_P_NIGHT], 0.25, 1e-12);
	g_assert_cmpfloat_with_epsilon(f[KITH_P_MORNING], 0.5, 1e-12);
	g_assert_cmpfloat_with_epsilon(f[KITH_P_AFTERNOON], 0, 1e-12);
	g_assert_cmpfloat_with_epsilon(f[KITH_P_EVENING], 0.25, 1e-12);
	g_assert_cmpfloat_with_epsilon(f[KITH_P_WEEKEND], 0.25, 1e-12);
	g_assert_cmpfloat(f[KITH_P_SOCIAL_DEGREE], ==, 0);

	double want[3];
	expected_pref_a(want, 2);
	int kx = cat_index(s, "x"), ky = cat_index(s, "y"),
	    kz = cat_index(s, "z");
	const float *cp = pr.catprefs + a * s->n_categories;
	g_assert_cmpfloat_with_epsilon(cp[kx], want[0], 1e-4);
	g_assert_cmpfloat_with_epsilon(cp[ky], want[1], 1e-4);
	g_assert_cmpfloat_with_epsilon(cp[kz], want[2], 1e-4);
	double ent = 0, gini = 1;
	for (int k = 0; k < 3; k++) {
		ent -= want[k] * log2(want[k]);
		gini -= want[k] * want[k];
	}
	g_assert_cmpfloat_with_epsilon(f[KITH_P_ENTROPY], ent, 1e-4);
	g_assert_cmpfloat_with_epsilon(f[KITH_P_GINI], gini, 1e-4);
	/* z (recent cart, weight 3) beats x (decayed) beats y */
	g_assert_cmpint(pr.top[a * 3], ==, kz);
	g_assert_cmpint(pr.top[a * 3 + 1], ==, kx);
	g_assert_cmpint(pr.top[a * 3 + 2], ==, ky);

	/* b: one view of i2 (x|y): an even split, ties to the lower index */
	const float *cb = pr.catprefs + b * s->n_categories;
	g_assert_cmpfloat_with_epsilon(cb[kx], 0.5, 1e-6);
	g_assert_cmpfloat_with_epsilon(cb[ky], 0.5, 1e-6);
	g_assert_cmpint(pr.top[b * 3], ==, MIN(kx, ky));
	g_assert_cmpint(pr.top[b * 3 + 2], ==, -1);
	g_assert_cmpfloat_with_epsilon(pr.feat[b * KITH_P_COUNT +
	                                       KITH_P_RECENCY_DAYS],
	                               (3 * DY + 3 * H - 13 * H) / 86400.0,
	                               1e-9);
	/* type shares of a: view 2, cart 1, purchase 1 */
	double tsum = 0;
	for (int64_t t = 0; t < pr.n_types; t++)
		tsum += pr.type_share[a * pr.n_types + t];
	g_assert_cmpfloat_with_epsilon(tsum, 1, 1e-12);

	/* c: no events at all */
	g_assert_cmpint(pr.segment[c], ==, KITH_SEG_INACTIVE);
	g_assert_cmpfloat(pr.feat[c * KITH_P_COUNT + KITH_P_EVENTS], ==, 0);
	g_assert_true(isnan(pr.feat[c * KITH_P_COUNT + KITH_P_RECENCY_DAYS]));
	g_assert_cmpint(pr.top[c * 3], ==, -1);
	g_assert_cmpint(pr.cold[c], ==, 1);
	/* cold: confidence 1 - exp(-4/10) = 0.33 < 0.5 */
	g_assert_cmpfloat_with_epsilon(pr.confidence[a], 1 - exp(-0.4), 1e-6);
	g_assert_cmpint(pr.cold[a], ==, 1);
	/* RFM among the two active users: a is more recent, has more events
	 * and more money: midranks 1 of 2 -> 1 + floor(5 * 1.5 / 2) = 4 */
	g_assert_cmpint(pr.rfm[a * 3], ==, 4);
	g_assert_cmpint(pr.rfm[a * 3 + 1], ==, 4);
	g_assert_cmpint(pr.rfm[a * 3 + 2], ==, 4);
	g_assert_cmpint(pr.rfm[b * 3], ==, 2);
	g_assert_cmpint(pr.segment[a], ==, KITH_SEG_CHAMPIONS);
	g_assert_cmpint(pr.segment[b], ==, KITH_SEG_HIBERNATING);
	kith_profiles_clear(&pr);
}

static void
test_small_log(void)
{
	g_autofree char *ev = small_events();
	g_autoptr(kith_store) s = make_store("small", ev, small_items,
	                                     small_users);
	g_assert_cmpint(s->n_log, ==, 5);
	check_small(s, TRUE);
}

static void
test_small_pairs(void)
{
	g_autofree char *ev = small_events();
	g_autoptr(kith_store) s = make_store("small2", ev, small_items,
	                                     small_users);
	s->n_log = 0;   /* the pair-level fallback must agree here */
	check_small(s, FALSE);
}

static void
test_catpref_limit(void)
{
	g_autofree char *ev = small_events();
	g_autoptr(kith_store) s = make_store("small3", ev, small_items,
	                                     small_users);
	GError *err = NULL;
	int64_t c = s->n_categories;
	g_autofree float *P = g_new(float, s->n_users * c);
	g_autofree double *evd = g_new(double, s->n_users);
	g_autofree int64_t *lim = g_new(int64_t, s->n_users);
	int64_t a = kith_store_user_index(s, "a");
	int kx = cat_index(s, "x");

	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			s->n_log = 0;
		for (int64_t u = 0; u < s->n_users; u++)
			lim[u] = -1;
		/* log: a's first two events (both on i1); pairs: first pair */
		lim[a] = pass == 0 ? 2 : 1;
		g_assert_true(kith_catpref(P, evd, s, 0, lim, &err));
		g_assert_cmpfloat_with_epsilon(P[a * c + kx], 1, 1e-6);
		g_assert_cmpfloat(evd[a], ==, 2);
		lim[a] = 0;
		g_assert_true(kith_catpref(P, evd, s, 0, lim, &err));
		g_assert_cmpfloat(evd[a], ==, 0);
		g_assert_cmpfloat(P[a * c + kx], ==, 0);
	}
}

static void
test_rfm_quintiles(void)
{
	/* user k has k + 1 views, all on day k: R and F rank alike */
	GString *g = g_string_new("user,item,event,timestamp,value\n");
	for (int k = 0; k < 10; k++)
		for (int e = 0; e <= k; e++)
			g_string_append_printf(g, "u%d,i1,view,%lld,0\n", k,
			                       D0 + k * DY + e * 60);
	g_autofree char *ev = g_string_free(g, FALSE);
	g_autoptr(kith_store) s = make_store("rfm", ev, "item,category\ni1,x\n",
	                                     NULL);
	struct kith_profile_params p;
	struct kith_profiles pr;
	GError *err = NULL;
	kith_profile_params_init(&p);
	p.new_days = 0;
	g_assert_true(kith_profile_compute(&pr, s, &p, &err));
	static const int want[10] = { 1, 1, 2, 2, 3, 3, 4, 4, 5, 5 };
	static const enum kith_segment seg[10] = {
		KITH_SEG_LOST, KITH_SEG_LOST, KITH_SEG_HIBERNATING,
		KITH_SEG_HIBERNATING, KITH_SEG_POTENTIAL, KITH_SEG_POTENTIAL,
		KITH_SEG_LOYAL, KITH_SEG_LOYAL, KITH_SEG_LOYAL, KITH_SEG_LOYAL
	};
	for (int k = 0; k < 10; k++) {
		char id[8];
		g_snprintf(id, sizeof(id), "u%d", k);
		int64_t u = kith_store_user_index(s, id);
		g_assert_cmpint(pr.rfm[u * 3], ==, want[k]);
		g_assert_cmpint(pr.rfm[u * 3 + 1], ==, want[k]);
		/* monetary all zero: one tie group, midrank 4.5 -> 3 */
		g_assert_cmpint(pr.rfm[u * 3 + 2], ==, 3);
		g_assert_cmpint(pr.segment[u], ==, seg[k]);
		/* repeat: the only item has k + 1 events */
		g_assert_cmpfloat(pr.feat[u * KITH_P_COUNT + KITH_P_REPEAT_RATE],
		                  ==, k > 0 ? 1.0 : 0.0);
	}
	g_assert_cmpint(pr.segment_count[KITH_SEG_LOYAL], ==, 4);
	kith_profiles_clear(&pr);
}

static void
test_write(void)
{
	g_autofree char *ev = small_events();
	g_autoptr(kith_store) s = make_store("small4", ev, small_items,
	                                     small_users);
	g_autofree char *out = g_build_filename(tmpdir, "prof", NULL);
	struct kith_profile_params p;
	struct kith_profiles pr;
	GError *err = NULL;
	kith_profile_params_init(&p);
	g_assert_true(kith_profile_compute(&pr, s, &p, &err));

	/* an embedding of the wrong height is refused */
	float eu[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct kith_emb e = { 0 };
	e.n_users = 4;
	e.dim = 2;
	e.users = eu;
	g_assert_false(kith_profile_write(out, &pr, s, &e, "S", NULL, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_DATA);
	g_clear_error(&err);
	e.n_users = 3;
	g_assert_true(kith_profile_write(out, &pr, s, &e, "S", NULL, &err));
	g_assert_no_error(err);
	g_assert_true(kith_manifest_verify(out, &err));

	struct kith_npy X, C;
	g_autofree char *xp = g_build_filename(out, "profiles.npy", NULL);
	g_autofree char *cpath = g_build_filename(out, "catprefs.npy", NULL);
	g_assert_true(kith_npy_map(&X, xp, &err));
	g_assert_true(kith_npy_map(&C, cpath, &err));
	int nnum = KITH_P_COUNT + 4 + (int)pr.n_types;
	g_assert_cmpint(X.shape[0], ==, 3);
	g_assert_cmpint(X.shape[1], ==, nnum + 2);
	const float *x = X.data;
	/* standardised columns: mean 0; embedding copied verbatim */
	for (int col = 0; col < nnum; col++) {
		double m = 0;
		for (int u = 0; u < 3; u++)
			m += x[u * (nnum + 2) + col];
		g_assert_cmpfloat(fabs(m), <, 1e-5);
	}
	for (int u = 0; u < 3; u++) {
		g_assert_cmpfloat(x[u * (nnum + 2) + nnum], ==, eu[u * 2]);
		g_assert_cmpfloat(x[u * (nnum + 2) + nnum + 1], ==, eu[u * 2 + 1]);
	}
	const float *cp = C.data;
	for (int u = 0; u < 3; u++) {
		double t = 0;
		for (int k = 0; k < C.shape[1]; k++)
			t += cp[u * C.shape[1] + k];
		g_assert_true(fabs(t - 1) < 1e-5 || t == 0);
	}
	kith_npy_unmap(&X);
	kith_npy_unmap(&C);

	g_autofree char *tp = g_build_filename(out, "profiles.tsv", NULL);
	g_autofree char *text = NULL;
	g_assert_true(g_file_get_contents(tp, &text, NULL, NULL));
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 5);   /* header, 3, "" */
	g_assert_true(g_str_has_prefix(lines[0], "user\tevents\t"));
	g_auto(GStrv) head = g_strsplit(lines[0], "\t", -1);
	g_assert_cmpuint(g_strv_length(head), ==, 26);
	GStatBuf st;
	g_assert_cmpint(g_stat(tp, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_autofree char *mp = g_build_filename(out, "manifest.json", NULL);
	g_autoptr(JsonNode) m = kith_json_read(mp, &err);
	JsonObject *o = json_node_get_object(m);
	g_assert_cmpstr(json_object_get_string_member(o, "format"), ==,
	                "kith-profiles");
	JsonObject *sg = json_object_get_object_member(o, "segments");
	g_assert_cmpint(json_object_get_int_member(sg, "inactive"), ==, 1);
	g_assert_true(json_object_has_member(o, "segment_rules"));
	g_assert_true(json_object_has_member(o, "store_created"));
	kith_profiles_clear(&pr);
}

/* The stage jobs (src/analytics/stage.c): a profile job writes what
 * kith_profile_compute() computes, a folder gives back its options, the
 * memory gate refuses before writing; a propagate job likewise. */
static void
test_jobs(void)
{
	g_autofree char *ev = small_events();
	g_autoptr(kith_store) s = make_store("small5", ev, small_items,
	                                     small_users);
	struct kith_profile_job j, k;
	struct kith_profile_summary sum;
	struct kith_propagate_job pj, pk;
	struct kith_propagate_summary ps;
	GError *err = NULL;

	kith_profile_job_init(&j);
	j.store = g_build_filename(tmpdir, "small5", NULL);
	j.output = g_build_filename(tmpdir, "prof5", NULL);
	j.params.half_life_days = 12.5;
	j.params.cold_k = 3;
	g_assert_true(kith_profile_job_run(&j, &sum, &err));
	g_assert_no_error(err);
	g_assert_cmpint(sum.n_users, ==, 3);
	g_assert_cmpint(sum.segment_count[KITH_SEG_INACTIVE], ==, 1);

	kith_profile_job_init(&k);
	g_assert_true(kith_profile_job_from_folder(&k, j.output, &err));
	g_assert_cmpfloat(k.params.half_life_days, ==, 12.5);
	g_assert_cmpfloat(k.params.cold_k, ==, 3);
	g_assert_cmpfloat(k.params.new_days, ==, 30);
	g_assert_null(k.emb);
	g_assert_cmpstr(k.output, ==, j.output);
	kith_profile_job_clear(&k);

	/* not a profiles folder; a refused estimate writes nothing */
	kith_profile_job_init(&k);
	g_assert_false(kith_profile_job_from_folder(&k, j.store, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_DATA);
	g_clear_error(&err);
	kith_profile_job_clear(&k);
	g_free(j.output);
	j.output = g_build_filename(tmpdir, "prof6", NULL);
	j.max_memory = 1024;
	g_assert_false(kith_profile_job_run(&j, &sum, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_LIMIT);
	g_clear_error(&err);
	g_assert_false(g_file_test(j.output, G_FILE_TEST_EXISTS));

	kith_propagate_job_init(&pj);
	pj.store = g_strdup(j.store);
	pj.output = g_build_filename(tmpdir, "prefs5", NULL);
	pj.params.alpha = 0.3;
	pj.params.iterations = 7;
	g_assert_true(kith_propagate_job_run(&pj, &ps, &err));
	g_assert_no_error(err);
	g_assert_true(ps.written);
	g_assert_cmpstr(ps.graph, ==, "cointeraction");
	g_assert_cmpint(ps.n_categories, ==, 3);
	kith_propagate_summary_clear(&ps);
	kith_propagate_job_init(&pk);
	g_assert_true(kith_propagate_job_from_folder(&pk, pj.output, &err));
	g_assert_cmpstr(pk.graph, ==, "cointeraction");
	g_assert_cmpfloat(pk.params.alpha, ==, 0.3);
	g_assert_cmpint(pk.params.iterations, ==, 7);
	g_assert_cmpfloat(pk.holdout, ==, 0);
	kith_propagate_job_clear(&pk);
	kith_propagate_job_clear(&pj);
	kith_profile_job_clear(&j);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("kith-test-profile-XXXXXX", NULL);
	g_test_add_func("/profile/small-log", test_small_log);
	g_test_add_func("/profile/small-pairs", test_small_pairs);
	g_test_add_func("/profile/catpref-limit", test_catpref_limit);
	g_test_add_func("/profile/rfm-quintiles", test_rfm_quintiles);
	g_test_add_func("/profile/write", test_write);
	g_test_add_func("/profile/jobs", test_jobs);
	return test_run_and_remove(tmpdir);
}
