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

/* The resident kB of this process's mapping that holds p (/proc/self/
 * smaps), or -1. */
static int64_t
mapping_rss_kb(const void *p)
{
	g_autofree char *text = NULL;
	uintptr_t a = (uintptr_t)p;
	gboolean in = FALSE;

	g_assert_true(g_file_get_contents("/proc/self/smaps", &text, NULL,
	                                  NULL));
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		unsigned long lo, hi;
		long kb;
		if (nl)
			*nl = '\0';
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = a >= lo && a < hi;
		else if (in && sscanf(line, "Rss: %ld kB", &kb) == 1)
			return kb;
		line = nl ? nl + 1 : NULL;
	}
	return -1;
}

/* kith_store_release_all(): the pages of a mapped array leave the
 * process's resident memory and read the same bytes again; an in-memory
 * store is left alone. */
static void
test_release_all(void)
{
	g_autofree char *path = g_build_filename(tmpdir, "s-release", NULL);
	struct kith_store *s = small_store(), *o;
	const int64_t n = 1 << 16, e = 8 * n;
	GError *err = NULL;

	/* a social graph of 2 MiB of columns: many pages */
	kith_csr_clear(&s->uu);
	g_assert_true(kith_csr_alloc(&s->uu, n, n, e, FALSE, &err));
	for (int64_t i = 0; i <= n; i++)
		s->uu.indptr[i] = 8 * i;
	/* row i: i + 1 .. i + 8 (mod n), ascending */
	for (int64_t i = 0; i < n; i++) {
		int32_t *o = s->uu.indices + 8 * i, w = 0;
		for (int64_t j = 1; j <= 8; j++)
			if (i + j >= n)
				o[w++] = (int32_t)(i + j - n);
		for (int64_t j = 1; j <= 8; j++)
			if (i + j < n)
				o[w++] = (int32_t)(i + j);
	}
	s->n_users = n;
	s->user_ids = kith_store_own(s, g_new0(char *, n));
	for (int64_t i = 0; i < n; i++) {
		g_autofree char *id = g_strdup_printf("u%" G_GINT64_FORMAT, i);
		s->user_ids[i] = kith_store_intern(s, id);
	}
	kith_csr_clear(&s->ui);
	kith_csr_clear(&s->iu);
	g_assert_true(kith_csr_alloc(&s->ui, n, 3, 0, TRUE, &err));
	memset(s->ui.indptr, 0, (n + 1) * sizeof(int64_t));
	g_assert_true(kith_csr_transpose(&s->iu, &s->ui, &err));
	s->n_events = 0;
	g_assert_true(kith_store_write(s, path, NULL, FALSE, &err));
	g_assert_no_error(err);
	o = kith_store_open(path, &err);
	g_assert_no_error(err);
	int64_t sum = 0, again = 0;
	for (int64_t k = 0; k < e; k++)
		sum += o->uu.indices[k];
	int64_t before = mapping_rss_kb(o->uu.indices);
	g_assert_cmpint(before, >=, 1024);
	kith_store_release_all(o);
	g_assert_cmpint(mapping_rss_kb(o->uu.indices), ==, 0);
	for (int64_t k = 0; k < e; k++)
		again += o->uu.indices[k];
	g_assert_cmpint(again, ==, sum);
	g_assert_cmpint(mapping_rss_kb(o->uu.indices), >=, before);
	/* in memory: nothing happens */
	int32_t first = s->uu.indices[e - 1];
	kith_store_release_all(s);
	g_assert_cmpint(s->uu.indices[e - 1], ==, first);
	kith_store_free(o);
	kith_store_free(s);
}

/* The table of arrays: an in-memory store without the optional arrays
 * gets their defaults, every array of the manifest opens, the streamed
 * list names the log and the pair arrays, and a log without its arrays
 * is refused. */
static void
test_array_table(void)
{
	g_autofree char *path = g_build_filename(tmpdir, "table", NULL);
	g_autofree char *bad = g_build_filename(tmpdir, "table-bad", NULL);
	struct kith_store *s = small_store(), *o;
	struct kith_store_stream_array arr[KITH_STORE_MAX_STREAMED];
	GError *err = NULL;

	g_assert_true(kith_store_write(s, path, NULL, FALSE, &err));
	g_assert_no_error(err);
	o = kith_store_open(path, &err);
	g_assert_no_error(err);
	JsonObject *arrays = json_object_get_object_member(
	        json_node_get_object(o->manifest), "arrays");
	g_assert_true(json_object_has_member(arrays, "ev.value.npy"));
	g_assert_true(json_object_has_member(arrays, "item_cat.indptr.npy"));
	for (int j = 0; j < 6; j++) {
		g_assert_cmpint(o->ui_count[j], ==, 1);
		g_assert_cmpint(o->ui_ts_first[j], ==, INT64_MIN);
		g_assert_cmpint(o->ui_ts_last[j], ==, INT64_MIN);
		g_assert_cmpint(o->ui_types[j], ==, 0);
		g_assert_cmpfloat(o->ui_value[j], ==, 0.0f);
	}
	g_assert_cmpfloat(o->uu.values[0], ==, 1.0f);
	g_assert_cmpint(o->item_cat.n_rows, ==, 3);
	g_assert_cmpint(o->item_cat.nnz, ==, 0);
	g_assert_null(o->user_attr);
	g_assert_null(o->user_type_count);

	int n = kith_store_streamed_arrays(o, arr);
	g_assert_cmpint(n, ==, 12);
	for (int k = 0; k < n; k++) {
		gboolean log = g_str_has_prefix(arr[k].name, "ev.");
		g_assert_true(log || g_str_has_prefix(arr[k].name, "ui."));
		g_assert_cmpint(arr[k].lane, ==, log ? 0 : 1);
		g_assert_cmpint(arr[k].n, ==, log ? 0 : 6);
	}
	kith_store_free(o);

	s->n_log = 2;           /* a log without its arrays */
	g_assert_false(kith_store_write(s, bad, NULL, FALSE, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_CORRUPT);
	g_assert_nonnull(strstr(err->message, "ev.user.npy"));
	g_clear_error(&err);
	g_assert_false(g_file_test(bad, G_FILE_TEST_EXISTS));
	kith_store_free(s);
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

/* users.tsv / items.tsv are headed "user" / "item"; a store written with
 * the older "id" header opens the same; kith_ids_check() compares an ids
 * file with the store's ids. */
static void
test_ids_files(void)
{
	g_autofree char *path = g_build_filename(tmpdir, "s3", NULL);
	g_autofree char *up = g_build_filename(path, "users.tsv", NULL);
	g_autofree char *ip = g_build_filename(path, "items.tsv", NULL);
	g_autofree char *text = NULL, *old = NULL;
	struct kith_store *s = small_store(), *o;
	GError *err = NULL;

	g_assert_true(kith_store_write(s, path, NULL, FALSE, &err));
	g_assert_true(g_file_get_contents(up, &text, NULL, NULL));
	g_assert_cmpstr(text, ==, "user\nu0\nu\\t1\nu2\nu3\n");
	g_clear_pointer(&text, g_free);
	g_assert_true(g_file_get_contents(ip, &text, NULL, NULL));
	g_assert_cmpstr(text, ==, "item\na\nb\nc\n");
	g_assert_true(kith_ids_check(up, s->user_ids, 4, &err));
	g_assert_no_error(err);
	g_assert_false(kith_ids_check(up, s->user_ids, 3, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_DATA);
	g_clear_error(&err);
	g_assert_false(kith_ids_check(ip, s->user_ids, 3, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_DATA);
	g_assert_nonnull(strstr(err->message, "line 2"));
	g_clear_error(&err);
	/* the old header */
	old = g_strdup("id\nu0\nu\\t1\nu2\nu3\n");
	g_assert_true(g_file_set_contents(up, old, -1, NULL));
	o = kith_store_open(path, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(o->user_ids[1], ==, "u\t1");
	g_assert_cmpint(kith_store_user_index(o, "u3"), ==, 3);
	kith_store_free(o);
	kith_store_free(s);
}

/* ---- writing in steps (kith_store_writer with streams) ---- */

/* A store with nnz pairs over n users (every user its own distinct
 * items), big enough for the O_DIRECT path (arrays over 1 MiB). */
static struct kith_store *
wide_store(int64_t n, int64_t per)
{
	struct kith_store *s = kith_store_new();
	int64_t nnz = n * per;
	int32_t *r = g_new(int32_t, nnz), *c = g_new(int32_t, nnz);
	float *w = g_new(float, nnz);
	GError *err = NULL;

	for (int64_t k = 0; k < nnz; k++) {
		r[k] = (int32_t)(k / per);
		c[k] = (int32_t)((k % per) * 7 + k / per % 5);
		w[k] = (float)(k % 13) + 0.5f;
	}
	s->n_users = n;
	s->n_items = per * 7 + 5;
	s->n_events = nnz;
	g_assert_true(kith_csr_from_coo(&s->ui, n, s->n_items, nnz, r, c, w,
	                                &err));
	g_assert_true(kith_csr_transpose(&s->iu, &s->ui, &err));
	s->ui_count = kith_store_own(s, g_new(int32_t, nnz));
	for (int64_t k = 0; k < nnz; k++)
		s->ui_count[k] = (int32_t)(k % 3 + 1);
	s->user_ids = kith_store_own(s, g_new0(char *, n));
	s->item_ids = kith_store_own(s, g_new0(char *, s->n_items));
	for (int64_t u = 0; u < n; u++) {
		char b[32];
		g_snprintf(b, sizeof b, "u%" G_GINT64_FORMAT, u);
		s->user_ids[u] = kith_store_intern(s, b);
	}
	for (int64_t i = 0; i < s->n_items; i++) {
		char b[32];
		g_snprintf(b, sizeof b, "i%" G_GINT64_FORMAT, i);
		s->item_ids[i] = kith_store_intern(s, b);
	}
	g_free(r);
	g_free(c);
	g_free(w);
	return s;
}

static gboolean
same_file(const char *a, const char *b)
{
	g_autofree char *x = NULL, *y = NULL;
	gsize nx, ny;
	return g_file_get_contents(a, &x, &nx, NULL) &&
	       g_file_get_contents(b, &y, &ny, NULL) && nx == ny &&
	       memcmp(x, y, nx) == 0;
}

/* No "NAME.tmp-*" sibling left in tmpdir. */
static void
assert_no_tmp(const char *name)
{
	GDir *d = g_dir_open(tmpdir, 0, NULL);
	const char *e;
	g_autofree char *prefix = g_strdup_printf("%s.tmp-", name);
	g_assert_nonnull(d);
	while ((e = g_dir_read_name(d)) != NULL)
		g_assert_false(g_str_has_prefix(e, prefix));
	g_dir_close(d);
}

/* Streaming the pair arrays while they are "made" (copied in, front to
 * back, in uneven steps from a hidden copy) gives the same files and
 * manifest checksums as kith_store_write(). */
static void
test_stream_same_bytes(void)
{
	g_autofree char *ref = g_build_filename(tmpdir, "ref", NULL);
	g_autofree char *out = g_build_filename(tmpdir, "streamed", NULL);
	struct kith_store *s = wide_store(40000, 9);
	int64_t nnz = s->ui.nnz;
	GError *err = NULL;

	g_assert_true(kith_store_write(s, ref, NULL, FALSE, &err));
	g_assert_no_error(err);
	/* hide the data, then refill it while streaming */
	int32_t *idx = g_memdup2(s->ui.indices, (gsize)nnz * 4);
	float *val = g_memdup2(s->ui.values, (gsize)nnz * 4);
	int32_t *cnt = g_memdup2(s->ui_count, (gsize)nnz * 4);
	memset(s->ui.indices, 0xff, (size_t)nnz * 4);
	memset(s->ui.values, 0xff, (size_t)nnz * 4);
	memset(s->ui_count, 0xff, (size_t)nnz * 4);

	struct kith_store_writer *w = kith_store_writer_begin(out, FALSE, &err);
	g_assert_no_error(err);
	const struct kith_store_stream_array arr[] = {
		{ "ui.indices.npy", KITH_DT_I32, nnz, s->ui.indices, 0 },
		{ "ui.weight.npy", KITH_DT_F32, nnz, s->ui.values, 0 },
		{ "ui.count.npy", KITH_DT_I32, nnz, s->ui_count, 2 },
	};
	struct kith_store_stream *st = kith_store_writer_stream(w, 3, arr, &err);
	g_assert_no_error(err);
	g_assert_nonnull(st);
	int64_t done = 0, step = 1;
	while (done < nnz) {
		int64_t to = MIN(nnz, done + step);
		memcpy(s->ui.indices + done, idx + done, (size_t)(to - done) * 4);
		memcpy(s->ui.values + done, val + done, (size_t)(to - done) * 4);
		memcpy(s->ui_count + done, cnt + done, (size_t)(to - done) * 4);
		/* lane 2 lags one step behind lane 0 */
		const int64_t avail[KITH_STORE_LANES] = { to, 0, done };
		kith_store_stream_advance(st, avail);
		done = to;
		step = step * 3 + 17;
	}
	const int64_t total[KITH_STORE_LANES] = { nnz, 0, nnz };
	kith_store_stream_end(st, total);
	g_assert_true(kith_store_writer_finish(w, s, NULL, &err));
	g_assert_no_error(err);
	kith_store_writer_free(w);

	static const char *const names[] = {
		"ui.indices.npy", "ui.weight.npy", "ui.count.npy",
		"ui.indptr.npy", "iu.indices.npy", "users.tsv",
	};
	for (size_t k = 0; k < G_N_ELEMENTS(names); k++) {
		g_autofree char *a = g_build_filename(ref, names[k], NULL);
		g_autofree char *b = g_build_filename(out, names[k], NULL);
		g_assert_true(same_file(a, b));
	}
	/* the manifests list the same arrays with the same checksums */
	g_autofree char *ma = g_build_filename(ref, "manifest.json", NULL);
	g_autofree char *mb = g_build_filename(out, "manifest.json", NULL);
	JsonNode *ja = kith_json_read(ma, &err), *jb = kith_json_read(mb, &err);
	g_assert_no_error(err);
	JsonObject *aa = kith_json_obj(json_node_get_object(ja), "arrays");
	JsonObject *ab = kith_json_obj(json_node_get_object(jb), "arrays");
	g_assert_cmpuint(json_object_get_size(aa), ==, json_object_get_size(ab));
	GList *members = json_object_get_members(aa);
	for (GList *l = members; l; l = l->next) {
		JsonObject *x = kith_json_obj(aa, l->data);
		JsonObject *y = kith_json_obj(ab, l->data);
		g_assert_nonnull(y);
		g_assert_cmpstr(kith_json_str(x, "xxh64"), ==,
		                kith_json_str(y, "xxh64"));
	}
	g_list_free(members);
	json_node_unref(ja);
	json_node_unref(jb);
	g_assert_true(kith_manifest_verify(out, &err));
	g_free(idx);
	g_free(val);
	g_free(cnt);
	kith_store_free(s);
}

/* Freed before finish (a failed build): the streams stop, no folder. */
static void
test_stream_cancel(void)
{
	g_autofree char *out = g_build_filename(tmpdir, "cancelled", NULL);
	struct kith_store *s = wide_store(40000, 9);
	GError *err = NULL;
	struct kith_store_writer *w = kith_store_writer_begin(out, FALSE, &err);
	const struct kith_store_stream_array arr[] = {
		{ "ui.indices.npy", KITH_DT_I32, s->ui.nnz, s->ui.indices, 0 },
	};
	struct kith_store_stream *st = kith_store_writer_stream(w, 1, arr, &err);
	g_assert_no_error(err);
	const int64_t half[KITH_STORE_LANES] = { s->ui.nnz / 2 };
	kith_store_stream_advance(st, half);
	kith_store_writer_free(w);
	g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
	assert_no_tmp("cancelled");
	kith_store_free(s);
}

/* A streamed array that is not the store's, or a stream never ended:
 * finish fails and nothing is committed. */
static void
test_stream_mismatch(void)
{
	g_autofree char *out = g_build_filename(tmpdir, "mismatch", NULL);
	struct kith_store *s = wide_store(1000, 4);
	GError *err = NULL;
	int32_t *copy = g_memdup2(s->ui.indices, (gsize)s->ui.nnz * 4);
	const int64_t all[KITH_STORE_LANES] = { s->ui.nnz };

	for (int round = 0; round < 2; round++) {
		struct kith_store_writer *w = kith_store_writer_begin(out, FALSE,
		                                                      &err);
		const struct kith_store_stream_array arr[] = {
			{ "ui.indices.npy", KITH_DT_I32, s->ui.nnz,
			  round == 0 ? (const void *)copy : s->ui.indices, 0 },
		};
		struct kith_store_stream *st = kith_store_writer_stream(w, 1, arr,
		                                                        &err);
		g_assert_no_error(err);
		if (round == 0)
			kith_store_stream_end(st, all);
		else
			kith_store_stream_advance(st, all);     /* never ended */
		g_assert_false(kith_store_writer_finish(w, s, NULL, &err));
		g_assert_error(err, KITH_ERROR, KITH_ERROR_IO);
		g_assert_nonnull(strstr(err->message, "ui.indices.npy"));
		g_clear_error(&err);
		kith_store_writer_free(w);
		g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
		assert_no_tmp("mismatch");
	}
	g_free(copy);
	kith_store_free(s);
}

/* ---- arrays the caller writes (kith_store_writer_open()) ---- */

/* Appends n bytes of d to o in uneven pieces. */
static void
append_pieces(struct kith_npy_out *o, const void *d, size_t n)
{
	GError *err = NULL;
	size_t done = 0, step = 1;
	while (done < n) {
		size_t l = MIN(n - done, step);
		g_assert_true(kith_npy_out_append(o, (const char *)d + done, l,
		                                  &err));
		g_assert_no_error(err);
		done += l;
		step = step * 5 + 3;
	}
}

/* The user->item and item->user arrays written by the caller, the
 * store holding only their counts (as rank 0 of a distributed ingest):
 * the same files and checksums as kith_store_write(); a piece of the
 * wrong shape, or one never closed, fails finish and commits nothing. */
static void
test_put_same_bytes(void)
{
	g_autofree char *ref = g_build_filename(tmpdir, "ref-put", NULL);
	g_autofree char *out = g_build_filename(tmpdir, "put", NULL);
	struct kith_store *s = wide_store(40000, 9);
	int64_t nnz = s->ui.nnz, n = s->n_users, m = s->n_items;
	GError *err = NULL;

	g_assert_true(kith_store_write(s, ref, NULL, FALSE, &err));
	g_assert_no_error(err);
	struct {
		const char *name;
		enum kith_dtype dt;
		int64_t rows;
		void **data;
	} put[] = {
		{ "ui.indptr.npy", KITH_DT_I64, n + 1, (void **)&s->ui.indptr },
		{ "ui.indices.npy", KITH_DT_I32, nnz, (void **)&s->ui.indices },
		{ "ui.weight.npy", KITH_DT_F32, nnz, (void **)&s->ui.values },
		{ "ui.count.npy", KITH_DT_I32, nnz, (void **)&s->ui_count },
		{ "iu.indptr.npy", KITH_DT_I64, m + 1, (void **)&s->iu.indptr },
		{ "iu.indices.npy", KITH_DT_I32, nnz, (void **)&s->iu.indices },
		{ "iu.weight.npy", KITH_DT_F32, nnz, (void **)&s->iu.values },
	};
	void *held[G_N_ELEMENTS(put)];
	for (int round = 0; round < 3; round++) {
		struct kith_store_writer *w = kith_store_writer_begin(out, FALSE,
		                                                      &err);
		g_assert_no_error(err);
		for (size_t k = 0; k < G_N_ELEMENTS(put); k++) {
			/* round 1: ui.count one row short; round 2: iu.weight
			 * left open */
			int64_t rows = put[k].rows - (round == 1 && k == 3);
			struct kith_npy_out *o = kith_store_writer_open(
				w, put[k].name, put[k].dt, rows, 0, &err);
			g_assert_no_error(err);
			append_pieces(o, *put[k].data,
			              (size_t)rows * kith_dtype_size(put[k].dt));
			if (round == 2 && k == 6)
				continue;
			g_assert_true(kith_store_writer_close(w, put[k].name,
			                                      &err));
			g_assert_no_error(err);
		}
		/* the store keeps the counts, not the data */
		for (size_t k = 0; k < G_N_ELEMENTS(put); k++) {
			held[k] = *put[k].data;
			*put[k].data = NULL;
		}
		gboolean ok = kith_store_writer_finish(w, s, NULL, &err);
		for (size_t k = 0; k < G_N_ELEMENTS(put); k++)
			*put[k].data = held[k];
		kith_store_writer_free(w);
		if (round > 0) {
			g_assert_false(ok);
			g_assert_error(err, KITH_ERROR, KITH_ERROR_IO);
			g_assert_nonnull(strstr(err->message, round == 1
			                        ? "ui.count.npy" : "iu.weight.npy"));
			g_clear_error(&err);
			g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
			assert_no_tmp("put");
			continue;
		}
		g_assert_no_error(err);
		g_assert_true(ok);
		for (size_t k = 0; k < G_N_ELEMENTS(put); k++) {
			g_autofree char *a = g_build_filename(ref, put[k].name, NULL);
			g_autofree char *b = g_build_filename(out, put[k].name, NULL);
			g_assert_true(same_file(a, b));
		}
		g_autofree char *ma = g_build_filename(ref, "manifest.json", NULL);
		g_autofree char *mb = g_build_filename(out, "manifest.json", NULL);
		JsonNode *ja = kith_json_read(ma, &err);
		JsonNode *jb = kith_json_read(mb, &err);
		g_assert_no_error(err);
		JsonObject *aa = kith_json_obj(json_node_get_object(ja), "arrays");
		JsonObject *ab = kith_json_obj(json_node_get_object(jb), "arrays");
		for (size_t k = 0; k < G_N_ELEMENTS(put); k++)
			g_assert_cmpstr(
				kith_json_str(kith_json_obj(aa, put[k].name), "xxh64"),
				==,
				kith_json_str(kith_json_obj(ab, put[k].name), "xxh64"));
		json_node_unref(ja);
		json_node_unref(jb);
		g_assert_true(kith_manifest_verify(out, &err));
		g_assert_no_error(err);
		g_autoptr(kith_store) back = kith_store_open(out, &err);
		g_assert_no_error(err);
		g_assert_cmpint(back->ui.nnz, ==, nnz);
		g_assert_true(test_remove_tree(out));
	}
	kith_store_free(s);
}

int
main(int argc, char **argv)
{
	int rc;
	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("kith-test-store-XXXXXX", NULL);
	g_test_add_func("/store/roundtrip", test_roundtrip);
	g_test_add_func("/store/damage", test_damage);
	g_test_add_func("/store/array-table", test_array_table);
	g_test_add_func("/store/ids-files", test_ids_files);
	g_test_add_func("/store/stream-same-bytes", test_stream_same_bytes);
	g_test_add_func("/store/stream-cancel", test_stream_cancel);
	g_test_add_func("/store/stream-mismatch", test_stream_mismatch);
	g_test_add_func("/store/put-same-bytes", test_put_same_bytes);
	g_test_add_func("/store/release-all", test_release_all);
	rc = g_test_run();
	if (!test_remove_tree(tmpdir))
		rc = rc ? rc : 1;
	g_free(tmpdir);
	return rc;
}
