/* Unit tests of src/graph/update.c: incremental ingest and ledger. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "kith/core.h"
#include "kith/ingest.h"
#include "kith/update.h"

#include "unit-util.h"

static char *
write_tmp(const char *dir, const char *name, const char *text)
{
	char *p = g_build_filename(dir, name, NULL);
	g_assert_true(g_file_set_contents(p, text, -1, NULL));
	return p;
}

static void
ingest_to(const char *events, const char *social, const char *store)
{
	struct kith_ingest_options o = { 0 };
	struct kith_ingest_result r;
	GError *err = NULL;
	o.events = events;
	o.social = social;
	o.max_rejects = -1;
	o.max_rejects_pct = -1;
	o.chunk_bytes = -1;
	g_assert_true(kith_ingest_run(&o, &r, &err));
	g_assert_no_error(err);
	g_assert_true(kith_store_write(r.store, store, r.extra, FALSE, &err));
	g_assert_no_error(err);
	kith_ingest_result_clear(&r);
}

/* Headerless base: the update reuses the original column mapping; ids
 * keep their indices, new ones are appended, untouched rows are equal,
 * the ledger adds up, the same batch again is a no-op. */
static void
test_update_basic(void)
{
	g_autofree char *dir = g_dir_make_tmp("kith-update-XXXXXX", NULL);
	g_autofree char *base = write_tmp(dir, "base.tsv",
		"10\t100\t5\n11\t101\t3\n10\t102\t1\n12\t100\t2\n");
	g_autofree char *soc = write_tmp(dir, "soc.tsv", "10\t11\n");
	g_autofree char *b1 = write_tmp(dir, "b1.tsv",
		"13\t100\t1\n11\t103\t1\n11\t101\t4\n");
	g_autofree char *store = g_build_filename(dir, "s", NULL);
	GError *err = NULL;
	ingest_to(base, soc, store);
	g_autoptr(kith_store) old = kith_store_open(store, &err);
	g_assert_no_error(err);

	struct kith_ingest_options o = { 0 };
	struct kith_update_result u;
	o.events = b1;
	o.max_rejects = -1;
	o.max_rejects_pct = -1;
	g_assert_true(kith_update_store(store, &o, &u, &err));
	g_assert_no_error(err);
	g_assert_false(u.noop);
	g_assert_cmpint(u.index, ==, 1);
	g_assert_cmpint(u.old_users, ==, 3);
	const struct kith_ingest_file *f = &u.batch.files[0];
	g_assert_cmpint(f->accepted, ==, 3);
	g_assert_cmpint(f->unique, ==, 2);      /* (13,100), (11,103) */
	g_assert_cmpint(f->merged, ==, 1);      /* (11,101) existed */
	kith_update_result_clear(&u);

	g_autoptr(kith_store) s = kith_store_open(store, &err);
	g_assert_no_error(err);
	g_assert_cmpint(s->n_users, ==, 4);
	g_assert_cmpint(s->n_items, ==, 4);
	for (int64_t k = 0; k < old->n_users; k++)
		g_assert_cmpstr(s->user_ids[k], ==, old->user_ids[k]);
	g_assert_cmpstr(s->user_ids[3], ==, "13");
	g_assert_cmpstr(s->item_ids[3], ==, "103");
	/* users 10 (index 0) and 12 (index 2) are untouched */
	for (int64_t uu = 0; uu < 3; uu += 2) {
		int64_t a0 = old->ui.indptr[uu], a1 = old->ui.indptr[uu + 1];
		int64_t b0 = s->ui.indptr[uu];
		g_assert_cmpint(a1 - a0, ==, s->ui.indptr[uu + 1] - b0);
		for (int64_t k = 0; k < a1 - a0; k++) {
			g_assert_cmpint(old->ui.indices[a0 + k], ==,
			                s->ui.indices[b0 + k]);
			g_assert_cmpfloat(old->ui.values[a0 + k], ==,
			                  s->ui.values[b0 + k]);
		}
	}
	/* the old log rows of user 10 are the first rows of the new log */
	g_assert_cmpint(s->n_log, ==, 7);
	g_assert_cmpint(s->ev_user[0], ==, 0);
	g_assert_cmpint(s->ev_item[0], ==, old->ev_item[0]);
	g_assert_cmpint(s->ev_item[1], ==, old->ev_item[1]);
	/* user 11: (101) count 2 after the merge */
	for (int64_t k = s->ui.indptr[1]; k < s->ui.indptr[2]; k++)
		if (s->ui.indices[k] == 1)
			g_assert_cmpint(s->ui_count[k], ==, 2);
	g_assert_cmpint(s->uu.nnz, ==, 2);

	JsonObject *m = json_node_get_object(s->manifest);
	g_autoptr(JsonNode) l = kith_update_ledger(m, &err);
	g_assert_no_error(err);
	g_assert_cmpint(json_array_get_length(json_node_get_array(l)), ==, 2);
	g_assert_true(kith_update_ledger_check(l, &err));
	g_assert_no_error(err);
	/* a broken identity is found */
	JsonObject *e1 = json_array_get_object_element(json_node_get_array(l), 1);
	JsonObject *f1 = json_array_get_object_element(
	    json_object_get_array_member(e1, "files"), 0);
	json_object_set_int_member(f1, "accepted", 4);
	g_assert_false(kith_update_ledger_check(l, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_CORRUPT);
	g_clear_error(&err);

	/* the same batch again: no-op, store untouched */
	g_autofree char *mp = g_build_filename(store, "manifest.json", NULL);
	g_autofree char *before = NULL, *after = NULL;
	g_assert_true(g_file_get_contents(mp, &before, NULL, NULL));
	g_assert_true(kith_update_store(store, &o, &u, &err));
	g_assert_no_error(err);
	g_assert_true(u.noop);
	g_assert_cmpint(u.skipped->len, ==, 1);
	kith_update_result_clear(&u);
	g_assert_true(g_file_get_contents(mp, &after, NULL, NULL));
	g_assert_cmpstr(before, ==, after);

	/* the original file is in the ledger too */
	o.events = base;
	g_assert_true(kith_update_store(store, &o, &u, &err));
	g_assert_true(u.noop);
	kith_update_result_clear(&u);
	g_assert_true(test_remove_tree(dir));
}

/* A bad row stops the update and the store stays as it was. */
static void
test_update_error(void)
{
	g_autofree char *dir = g_dir_make_tmp("kith-update-XXXXXX", NULL);
	g_autofree char *base = write_tmp(dir, "base.csv",
		"user,item\na,x\nb,y\n");
	g_autofree char *bad = write_tmp(dir, "bad.csv", "user,item\nc,\n");
	g_autofree char *store = g_build_filename(dir, "s", NULL);
	GError *err = NULL;
	ingest_to(base, NULL, store);
	struct kith_ingest_options o = { 0 };
	struct kith_update_result u;
	o.events = bad;
	o.max_rejects = -1;
	o.max_rejects_pct = -1;
	g_assert_false(kith_update_store(store, &o, &u, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_DATA);
	g_clear_error(&err);
	g_autoptr(kith_store) s = kith_store_open(store, &err);
	g_assert_no_error(err);
	g_assert_cmpint(s->n_users, ==, 2);
	g_assert_false(json_object_has_member(
	    json_node_get_object(s->manifest), "ledger"));
	o.events = NULL;
	g_assert_false(kith_update_store(store, &o, &u, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	g_assert_true(test_remove_tree(dir));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/update/basic", test_update_basic);
	g_test_add_func("/update/error", test_update_error);
	return g_test_run();
}
