/* Unit tests: store write/open round trip, id lookup, statistics, damage
 * detection. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kith/core.h"
#include "kith/io.h"
#include "kith/store.h"

#include "unit-util.h"

static char *tmpdir;

/* users u0..u3, items a,b,c; u3 has no items but a friend. */
static struct kith_store *
small_store(void)
{
	struct kith_store *s = kith_store_new();
	static const int32_t r[] = { 0, 0, 1, 2, 2, 2 };
	static const int32_t c[] = { 0, 2, 1, 0, 1, 2 };
	static const float w[] = { 1, 5, 3, 1, 1, 2 };
	static const int32_t ur[] = { 0, 3, 1, 2 };
	static const int32_t uc[] = { 3, 0, 2, 1 };
	static const char *uid[] = { "u0", "u\t1", "u2", "u3" };
	static const char *iid[] = { "a", "b", "c" };
	GError *err = NULL;
	int i;

	s->n_users = 4;
	s->n_items = 3;
	s->n_events = 7;
	g_assert_true(kith_csr_from_coo(&s->ui, 4, 3, 6, r, c, w, &err));
	g_assert_true(kith_csr_transpose(&s->iu, &s->ui, &err));
	g_assert_true(kith_csr_from_coo(&s->uu, 4, 4, 4, ur, uc, NULL, &err));
	s->user_ids = kith_store_own(s, g_new0(char *, 4));
	s->item_ids = kith_store_own(s, g_new0(char *, 3));
	for (i = 0; i < 4; i++)
		s->user_ids[i] = kith_store_intern(s, uid[i]);
	for (i = 0; i < 3; i++)
		s->item_ids[i] = kith_store_intern(s, iid[i]);
	return s;
}

static void
test_roundtrip(void)
{
	g_autofree char *path = g_build_filename(tmpdir, "s1", NULL);
	struct kith_store *s = small_store(), *o;
	struct kith_store_stats st;
	GError *err = NULL;

	g_assert_true(kith_store_write(s, path, NULL, FALSE, &err));
	g_assert_no_error(err);
	o = kith_store_open(path, &err);
	g_assert_no_error(err);
	g_assert_cmpint(o->n_users, ==, 4);
	g_assert_cmpint(o->n_items, ==, 3);
	g_assert_cmpint(o->n_events, ==, 7);
	g_assert_cmpint(o->ui.nnz, ==, 6);
	g_assert_cmpint(o->uu.nnz, ==, 4);
	g_assert_cmpmem(o->ui.indptr, 5 * sizeof(int64_t), s->ui.indptr,
	                5 * sizeof(int64_t));
	g_assert_cmpmem(o->ui.indices, 6 * sizeof(int32_t), s->ui.indices,
	                6 * sizeof(int32_t));
	g_assert_cmpmem(o->ui.values, 6 * sizeof(float), s->ui.values,
	                6 * sizeof(float));
	g_assert_cmpint(o->ui_count[0], ==, 1);
	g_assert_cmpstr(o->user_ids[1], ==, "u\t1");
	g_assert_cmpint(kith_store_user_index(o, "u\t1"), ==, 1);
	g_assert_cmpint(kith_store_user_index(o, "u3"), ==, 3);
	g_assert_cmpint(kith_store_user_index(o, "nobody"), ==, -1);
	g_assert_cmpint(kith_store_item_index(o, "c"), ==, 2);
	g_assert_true(kith_store_stats(&st, o, &err));
	g_assert_cmpint(st.user_items.max, ==, 3);
	g_assert_cmpint(st.user_items.zero, ==, 1);
	/* u0-a-u2-b-u1(?) : u1 has b, u2 has a,b,c, u0 has a,c: one component */
	g_assert_cmpint(st.ui_components, ==, 1);
	g_assert_cmpint(st.ui_largest, ==, 6);
	g_assert_cmpint(st.uu_components, ==, 2);
	g_assert_true(kith_manifest_verify(path, &err));
	kith_store_free(o);
	kith_store_free(s);
}

static void
test_damage(void)
{
	g_autofree char *path = g_build_filename(tmpdir, "s2", NULL);
	g_autofree char *idx = g_build_filename(path, "ui.indices.npy", NULL);
	struct kith_store *s = small_store(), *o;
	GError *err = NULL;
	g_autofree char *content = NULL;
	gsize len;

	g_assert_true(kith_store_write(s, path, NULL, FALSE, &err));
	kith_store_free(s);
	/* an index out of range: open refuses, verify names the array */
	g_assert_true(g_file_get_contents(idx, &content, &len, NULL));
	content[len - 1] = 0x7f;
	g_assert_true(g_file_set_contents(idx, content, (gssize)len, NULL));
	o = kith_store_open(path, &err);
	g_assert_null(o);
	g_assert_error(err, KITH_ERROR, KITH_ERROR_CORRUPT);
	g_clear_error(&err);
	g_assert_false(kith_manifest_verify(path, &err));
	g_assert_nonnull(strstr(err->message, "ui.indices.npy"));
	g_clear_error(&err);
	/* a missing array */
	unlink(idx);
	g_assert_null(kith_store_open(path, &err));
	g_clear_error(&err);
}

int
main(int argc, char **argv)
{
	int rc;
	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("kith-test-store-XXXXXX", NULL);
	g_test_add_func("/store/roundtrip", test_roundtrip);
	g_test_add_func("/store/damage", test_damage);
	rc = g_test_run();
	if (!test_remove_tree(tmpdir))
		rc = rc ? rc : 1;
	g_free(tmpdir);
	return rc;
}
