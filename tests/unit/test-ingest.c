/* Unit tests of the id map and of kith_ingest_run() against a naive
 * reference on random events. */
#include <glib/gstdio.h>
#include <string.h>

#include "kith/core.h"
#include "kith/ingest.h"

/* Adds key to m and checks the index against the reference ref (key ->
 * index + 1), which learns new keys. */
static void
check_add(kith_idmap *m, GHashTable *ref, const char *key, int len)
{
	gboolean added;
	int64_t idx = kith_idmap_add(m, key, (size_t)len, &added);
	gpointer old;
	if (g_hash_table_lookup_extended(ref, key, NULL, &old)) {
		g_assert_false(added);
		g_assert_cmpint(idx, ==, GPOINTER_TO_INT(old) - 1);
	} else {
		g_assert_true(added);
		g_assert_cmpint(idx, ==, g_hash_table_size(ref));
		g_hash_table_insert(ref, g_strdup(key),
		                    GINT_TO_POINTER((int)idx + 1));
	}
}

/* m holds the keys of ref, each found again at its own index. */
static void
check_keys(kith_idmap *m, GHashTable *ref)
{
	g_assert_cmpint(kith_idmap_size(m), ==, g_hash_table_size(ref));
	for (int64_t i = 0; i < kith_idmap_size(m); i++) {
		const char *k = kith_idmap_key(m, i);
		g_assert_cmpuint(kith_idmap_key_len(m, i), ==, strlen(k));
		g_assert_cmpint(kith_idmap_find(m, k, strlen(k)), ==, i);
	}
}

/* Runs the ingest of o accepting every reject; the store is res->store. */
static struct kith_store *
ingest_ok(struct kith_ingest_options *o, struct kith_ingest_result *res)
{
	GError *err = NULL;
	o->max_rejects = -1;
	o->max_rejects_pct = -1;
	g_assert_true(kith_ingest_run(o, res, &err));
	g_assert_no_error(err);
	return res->store;
}

static void
test_idmap(void)
{
	g_autoptr(kith_idmap) m = kith_idmap_new();
	GHashTable *ref = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                        NULL);
	struct kith_rng rng;
	kith_rng_seed(&rng, 7, 0);
	for (int k = 0; k < 200000; k++) {
		char key[32];
		int len = g_snprintf(key, sizeof key, "id%" G_GUINT64_FORMAT,
		                     kith_rng_below(&rng, 50000));
		check_add(m, ref, key, len);
	}
	check_keys(m, ref);
	g_assert_cmpint(kith_idmap_find(m, "nope", 4), ==, -1);
	/* keys with embedded differences only in length */
	g_assert_cmpint(kith_idmap_add(m, "ab", 1, NULL), ==,
	                kith_idmap_add(m, "a", 1, NULL));
	/* giving the keys to a store keeps them alive */
	struct kith_store *s = kith_store_new();
	int64_t n = kith_idmap_size(m);
	char **keys = kith_idmap_give(m, s);
	g_assert_cmpint(kith_idmap_size(m), ==, 0);
	g_assert_nonnull(g_hash_table_lookup(ref, keys[0]));
	g_assert_null(keys[n]);
	kith_store_free(s);
	g_hash_table_destroy(ref);
}

/* Numeric ids (direct table, integer hash, growth and migration between
 * them) mixed with non-canonical numerals ("007", "+5", "-3") and
 * strings: one index space, order of insertion, and reuse after give. */
static void
test_idmap_numeric(void)
{
	g_autoptr(kith_idmap) m = kith_idmap_new();
	GHashTable *ref = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                        NULL);
	struct kith_rng rng;
	kith_rng_seed(&rng, 11, 0);
	for (int round = 0; round < 2; round++) {
		for (int k = 0; k < 300000; k++) {
			char key[40];
			uint64_t r = kith_rng_below(&rng, 100);
			uint64_t v = r < 60 ? kith_rng_below(&rng, 70000)
			           : r < 80 ? kith_rng_below(&rng, 1u << 30)
			           : r < 85 ? UINT64_C(18446744073709551615) -
			                      kith_rng_below(&rng, 1000)
			           : kith_rng_below(&rng, 5000);
			int len;
			if (r < 85)
				len = g_snprintf(key, sizeof key, "%" G_GUINT64_FORMAT,
				                 v);
			else if (r < 90)
				len = g_snprintf(key, sizeof key, "0%" G_GUINT64_FORMAT,
				                 v);
			else if (r < 95)
				len = g_snprintf(key, sizeof key, "+%" G_GUINT64_FORMAT,
				                 v);
			else
				len = g_snprintf(key, sizeof key, "-%" G_GUINT64_FORMAT,
				                 v);
			check_add(m, ref, key, len);
		}
		check_keys(m, ref);
		g_assert_cmpint(kith_idmap_find(m, "123456789012", 12), ==,
		                GPOINTER_TO_INT(g_hash_table_lookup(ref,
		                                "123456789012")) - 1);
		/* 20 digits overflow 64 bits: a string id, not a number */
		int64_t big = kith_idmap_add(m, "99999999999999999999", 20, NULL);
		g_assert_cmpint(kith_idmap_find(m, "99999999999999999999", 20),
		                ==, big);
		g_hash_table_insert(ref, g_strdup("99999999999999999999"),
		                    GINT_TO_POINTER((int)big + 1));
		if (round == 0) {
			struct kith_store *s = kith_store_new();
			kith_idmap_give(m, s);
			kith_store_free(s);
			g_hash_table_remove_all(ref);
			g_assert_cmpint(kith_idmap_find(m, "1", 1), ==, -1);
		}
	}
	g_hash_table_destroy(ref);
}

/* String keys of every length from 0 to 47 (kept in the slots up to 20
 * bytes, outside beyond), each with variants that differ from it in one
 * byte at every position, added through kith_idmap_add() and through a
 * prepared key (kith_idmap_prepare() + kith_idmap_add_key()) in turn,
 * before and after the map gave its keys away. */
static void
test_idmap_lengths(void)
{
	g_autoptr(kith_idmap) m = kith_idmap_new();
	for (int round = 0; round < 2; round++) {
		GHashTable *ref = g_hash_table_new_full(g_str_hash, g_str_equal,
		                                        g_free, NULL);
		for (int pass = 0; pass < 2; pass++) {
			for (int len = 0; len < 48; len++) {
				for (int pos = -1; pos < len; pos++) {
					char key[48];
					for (int b = 0; b < len; b++)
						key[b] = (char)('a' + (b * 7 + round) % 26);
					if (pos >= 0)
						key[pos] = 'Z';
					key[len] = '\0';
					if ((pos + pass) % 2 == 0) {
						check_add(m, ref, key, len);
						continue;
					}
					struct kith_idkey k;
					gboolean added;
					kith_idmap_prepare(m, key, (size_t)len, &k);
					int64_t idx = kith_idmap_add_key(m, &k, &added);
					gpointer old;
					g_assert_cmpint(added, ==,
					                !g_hash_table_lookup_extended(
					                        ref, key, NULL, &old));
					if (added)
						g_hash_table_insert(ref, g_strdup(key),
						                    GINT_TO_POINTER(
						                            (int)idx + 1));
					else
						g_assert_cmpint(idx, ==,
						                GPOINTER_TO_INT(old) - 1);
				}
			}
		}
		check_keys(m, ref);
		g_assert_cmpint(kith_idmap_find(m, "abc", 2), ==,
		                kith_idmap_find(m, "ab", 2));
		struct kith_store *s = kith_store_new();
		kith_idmap_give(m, s);
		kith_store_free(s);
		g_assert_cmpint(kith_idmap_find(m, "", 0), ==, -1);
		g_hash_table_destroy(ref);
	}
}

/* RFC 4231 test case 2, truncated to 16 bytes. */
static void
test_pseudonym(void)
{
	char out[33];
	kith_ingest_pseudonym((const guint8 *)"Jefe", 4,
	                      "what do ya want for nothing?", 28, out);
	g_assert_cmpstr(out, ==, "5bdcc146bf60754e6a042426089575c7");
	char out2[33];
	kith_ingest_pseudonym((const guint8 *)"Jefe", 4, "u1", 2, out2);
	g_assert_cmpstr(out, !=, out2);
}

struct pair {
	double w;
	int count;
	int64_t t0, t1;
	uint32_t mask;
	double value;
};

/* Random events with duplicates; ingest must merge them exactly like a
 * GHashTable keyed by "user item" does. */
static void
test_merge(void)
{
	g_autofree char *dir = g_dir_make_tmp("kith-ingest-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "events.csv", NULL);
	static const char *types[] = { "view", "cart", "purchase", "like" };
	static const double tw[] = { 1, 3, 5, 1 };
	GString *csv = g_string_new("user_id,product_id,event_type,timestamp,"
	                            "price\n");
	GHashTable *ref = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                        g_free);
	struct kith_rng rng;
	kith_rng_seed(&rng, 11, 0);
	int n = 20000;
	for (int k = 0; k < n; k++) {
		int u = (int)kith_rng_below(&rng, 300);
		int i = (int)kith_rng_below(&rng, 40);
		int t = (int)kith_rng_below(&rng, 4);
		int64_t ts = 1600000000 + (int64_t)kith_rng_below(&rng, 1000000);
		int cents = (int)kith_rng_below(&rng, 10000);
		g_string_append_printf(csv, "u%d,i%d,%s,%" G_GINT64_FORMAT
		                       ",%d.%02d\n", u, i, types[t], ts,
		                       cents / 100, cents % 100);
		char *key = g_strdup_printf("u%d i%d", u, i);
		struct pair *p = g_hash_table_lookup(ref, key);
		if (!p) {
			p = g_new0(struct pair, 1);
			p->t0 = INT64_MAX;
			p->t1 = INT64_MIN;
			g_hash_table_insert(ref, key, p);
		} else {
			g_free(key);
		}
		p->w += tw[t];
		p->count++;
		p->t0 = MIN(p->t0, ts);
		p->t1 = MAX(p->t1, ts);
		p->mask |= 1u << t;  /* types appear in order view,cart,... */
		p->value += cents / 100.0;
	}
	g_assert_true(g_file_set_contents(path, csv->str, (gssize)csv->len,
	                                  NULL));
	struct kith_ingest_options o = { 0 };
	o.events = path;
	o.event_weights = "view=1,cart=3,purchase=5";
	struct kith_ingest_result res;
	GError *err = NULL;
	struct kith_store *s = ingest_ok(&o, &res);
	g_assert_cmpint(s->n_events, ==, n);
	g_assert_cmpint(s->ui.nnz, ==, g_hash_table_size(ref));
	g_assert_cmpint(s->n_event_types, ==, 4);
	g_assert_cmpint(s->n_log, ==, n);
	for (int64_t k = 1; k < s->n_log; k++)
		g_assert_true(s->ev_user[k] > s->ev_user[k - 1] ||
		              (s->ev_user[k] == s->ev_user[k - 1] &&
		               s->ev_ts[k] >= s->ev_ts[k - 1]));
	/* type order = first appearance; map names to our indices */
	int remap[4];
	for (int t = 0; t < 4; t++)
		for (int k = 0; k < 4; k++)
			if (strcmp(s->event_type_names[t], types[k]) == 0)
				remap[k] = t;
	int64_t total_count = 0;
	for (int64_t u = 0; u < s->n_users; u++) {
		for (int64_t j = s->ui.indptr[u]; j < s->ui.indptr[u + 1]; j++) {
			if (j > s->ui.indptr[u])
				g_assert_cmpint(s->ui.indices[j], >,
				                s->ui.indices[j - 1]);
			g_autofree char *key = g_strdup_printf("%s %s",
				s->user_ids[u], s->item_ids[s->ui.indices[j]]);
			struct pair *p = g_hash_table_lookup(ref, key);
			g_assert_nonnull(p);
			g_assert_cmpfloat_with_epsilon(s->ui.values[j], p->w, 1e-3);
			g_assert_cmpint(s->ui_count[j], ==, p->count);
			g_assert_cmpint(s->ui_ts_first[j], ==, p->t0);
			g_assert_cmpint(s->ui_ts_last[j], ==, p->t1);
			uint32_t mask = 0;
			for (int k = 0; k < 4; k++)
				if (p->mask & (1u << k))
					mask |= 1u << remap[k];
			g_assert_cmpuint(s->ui_types[j], ==, mask);
			g_assert_cmpfloat_with_epsilon(s->ui_value[j], p->value,
			                               1e-2 * p->count);
			total_count += s->ui_count[j];
		}
	}
	g_assert_cmpint(total_count, ==, n);
	/* the transpose agrees */
	g_assert_cmpint(s->iu.nnz, ==, s->ui.nnz);
	g_assert_cmpint(s->iu.n_rows, ==, s->n_items);
	/* user_type_count sums to the events */
	int64_t sum = 0;
	for (int64_t k = 0; k < s->n_users * s->n_event_types; k++)
		sum += s->user_type_count[k];
	g_assert_cmpint(sum, ==, n);
	/* "like" has no weight: listed */
	g_assert_cmpint(res.unknown_types->len, ==, 1);
	g_assert_cmpstr(res.unknown_types->pdata[0], ==, "like");
	g_assert_cmpint(res.files[0].unique + res.files[0].merged, ==, n);
	g_assert_cmpint(res.files[0].accepted, ==, n);
	g_assert_true(kith_store_check(s, &err));
	g_assert_no_error(err);
	kith_ingest_result_clear(&res);
	g_hash_table_destroy(ref);
	g_string_free(csv, TRUE);
	g_unlink(path);
	g_rmdir(dir);
}

/* Social: self-loops dropped, symmetrised, both directions merged;
 * users of the social file and of the features file become users. */
static void
test_social(void)
{
	g_autofree char *dir = g_dir_make_tmp("kith-ingest-XXXXXX", NULL);
	g_autofree char *ev = g_build_filename(dir, "ev.tsv", NULL);
	g_autofree char *so = g_build_filename(dir, "so.tsv", NULL);
	g_autofree char *fe = g_build_filename(dir, "fe.tsv", NULL);
	g_assert_true(g_file_set_contents(ev, "a\tx\na\ty\nb\tx\n", -1, NULL));
	g_assert_true(g_file_set_contents(so, "a\tb\nb\ta\nc\tc\nc\td\n"
	                                  "a\tb\n", -1, NULL));
	g_assert_true(g_file_set_contents(fe, "node\tfeature\tvalue\n"
	                                  "e\tf1\t1\na\tf2\t0.5\ne\tf1\t2\n",
	                                  -1, NULL));
	struct kith_ingest_options o = { 0 };
	o.events = ev;
	o.social = so;
	o.user_features = fe;
	struct kith_ingest_result res;
	GError *err = NULL;
	struct kith_store *s = ingest_ok(&o, &res);
	g_assert_cmpint(s->n_users, ==, 5);     /* a b c d e */
	g_assert_cmpstr(s->user_ids[0], ==, "a");
	g_assert_cmpstr(s->user_ids[2], ==, "c");
	g_assert_cmpstr(s->user_ids[4], ==, "e");
	g_assert_cmpint(s->uu.nnz, ==, 4);      /* a-b, c-d both ways */
	g_assert_cmpint(res.files[1].self_loops, ==, 1);
	g_assert_cmpint(res.files[1].unique, ==, 2);
	g_assert_cmpint(res.files[1].merged, ==, 2);
	g_assert_cmpint(res.files[1].accepted, ==, 5);
	g_assert_cmpint(s->n_user_feats, ==, 2);
	g_assert_cmpint(s->uf.nnz, ==, 2);
	g_assert_cmpint(res.files[2].merged, ==, 1);
	/* e's f1 = 1 + 2 */
	g_assert_cmpint(s->uf.indptr[5] - s->uf.indptr[4], ==, 1);
	g_assert_cmpfloat(s->uf.values[s->uf.indptr[4]], ==, 3.0f);
	kith_ingest_result_clear(&res);

	/* directed keeps a->b and b->a apart */
	o.directed = TRUE;
	g_assert_true(kith_ingest_run(&o, &res, &err));
	g_assert_cmpint(res.store->uu.nnz, ==, 3);
	kith_ingest_result_clear(&res);
	g_unlink(ev);
	g_unlink(so);
	g_unlink(fe);
	g_rmdir(dir);
}

/* Stop on the first bad row with FILE:LINE; skip writes rejects. */
static void
test_rejects(void)
{
	g_autofree char *dir = g_dir_make_tmp("kith-ingest-XXXXXX", NULL);
	g_autofree char *ev = g_build_filename(dir, "ev.csv", NULL);
	g_assert_true(g_file_set_contents(ev, "user,item,ts,value\n"
	                                  "a,x,1700000000,1\n"
	                                  "b,y,yesterday,1\n"
	                                  "c,z,1700000000,-2\n"
	                                  "d,z,1700000000,nan\n"
	                                  ",z,1700000000,1\n"
	                                  "e,z,1700000000\n", -1, NULL));
	struct kith_ingest_options o = { 0 };
	o.events = ev;
	o.max_rejects = -1;
	o.max_rejects_pct = -1;
	struct kith_ingest_result res;
	GError *err = NULL;
	g_assert_false(kith_ingest_run(&o, &res, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_DATA);
	g_autofree char *want = g_strdup_printf("%s:3: unparseable timestamp",
	                                        ev);
	g_assert_true(g_str_has_prefix(err->message, want));
	g_clear_error(&err);

	o.skip_errors = TRUE;
	g_assert_true(kith_ingest_run(&o, &res, &err));
	g_assert_no_error(err);
	g_assert_cmpint(res.n_rejected, ==, 5);
	g_assert_cmpint(res.store->n_users, ==, 1);  /* rejected rows add none */
	const struct kith_ingest_file *f = &res.files[0];
	g_assert_cmpint(f->rejected[KITH_CSV_BAD_TIMESTAMP], ==, 1);
	g_assert_cmpint(f->rejected[KITH_CSV_NEGATIVE], ==, 1);
	g_assert_cmpint(f->rejected[KITH_CSV_NAN_INF], ==, 1);
	g_assert_cmpint(f->rejected[KITH_CSV_EMPTY_FIELD], ==, 1);
	g_assert_cmpint(f->rejected[KITH_CSV_COLUMNS], ==, 1);
	g_assert_cmpint(f->st.lines, ==, 7);
	g_assert_cmpint(f->accepted, ==, 1);
	g_assert_nonnull(strstr(res.store->rejects_tsv,
	                        "\t3\t36\tbad_timestamp\tb,y,yesterday,1\n"));
	kith_ingest_result_clear(&res);

	o.max_rejects = 2;
	g_assert_false(kith_ingest_run(&o, &res, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_LIMIT);
	g_clear_error(&err);
	o.max_rejects = -1;
	o.max_rejects_pct = 50;
	g_assert_false(kith_ingest_run(&o, &res, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_LIMIT);
	g_clear_error(&err);
	o.max_rejects_pct = 90;
	g_assert_true(kith_ingest_run(&o, &res, &err));
	kith_ingest_result_clear(&res);

	o.allow_negative = TRUE;
	o.max_rejects_pct = -1;
	g_assert_true(kith_ingest_run(&o, &res, &err));
	g_assert_cmpint(res.n_rejected, ==, 4);
	kith_ingest_result_clear(&res);
	g_unlink(ev);
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ingest/idmap", test_idmap);
	g_test_add_func("/ingest/idmap-numeric", test_idmap_numeric);
	g_test_add_func("/ingest/idmap-lengths", test_idmap_lengths);
	g_test_add_func("/ingest/pseudonym", test_pseudonym);
	g_test_add_func("/ingest/merge", test_merge);
	g_test_add_func("/ingest/social", test_social);
	g_test_add_func("/ingest/rejects", test_rejects);
	return g_test_run();
}
