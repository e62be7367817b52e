/* Unit tests of the fast paths behind kith ingest's build and write: the
 * parallel CSR transpose against a naive serial one, for several thread
 * counts; the parallel store writer (every array and names file on disk
 * equals the in-memory data, the manifest lists them in a fixed order
 * with their true xxh64 and size, and two writes give the same manifest
 * arrays whatever order the threads finished in). */
#include <glib/gstdio.h>
#include <string.h>
#include <xxhash.h>

#include "kith/core.h"
#include "kith/csr.h"
#include "kith/ingest.h"
#include "kith/io.h"
#include "kith/store.h"

static char *tmpdir;

/* A random n_rows x n_cols CSR with skewed row lengths (a few long rows,
 * many short or empty ones), sorted distinct columns, values. */
static void
random_csr(struct kith_csr *m, int64_t n_rows, int64_t n_cols,
           int64_t avg, uint64_t seed)
{
	struct kith_rng rng;
	kith_rng_seed(&rng, seed, 0);
	int64_t *len = g_new(int64_t, n_rows);
	int64_t nnz = 0;
	for (int64_t r = 0; r < n_rows; r++) {
		uint64_t x = kith_rng_below(&rng, 100);
		len[r] = x < 20 ? 0 : x < 95 ? (int64_t)kith_rng_below(&rng,
		         (uint64_t)avg) : (int64_t)kith_rng_below(&rng,
		         (uint64_t)(40 * avg));
		if (len[r] > n_cols)
			len[r] = n_cols;
		nnz += len[r];
	}
	g_assert_true(kith_csr_alloc(m, n_rows, n_cols, nnz, TRUE, NULL));
	uint8_t *seen = g_new0(uint8_t, n_cols);
	int64_t w = 0;
	for (int64_t r = 0; r < n_rows; r++) {
		int64_t start = w;
		/* distinct random columns, then sorted by a pass over seen */
		int64_t got = 0;
		while (got < len[r]) {
			int64_t c = (int64_t)kith_rng_below(&rng, (uint64_t)n_cols);
			if (!seen[c]) {
				seen[c] = 1;
				got++;
			}
		}
		for (int64_t c = 0; c < n_cols && w - start < len[r]; c++)
			if (seen[c]) {
				seen[c] = 0;
				m->indices[w] = (int32_t)c;
				m->values[w] = (float)kith_rng_below(&rng, 1000) / 8;
				w++;
			}
		m->indptr[r + 1] = w;
	}
	g_assert_cmpint(w, ==, nnz);
	g_free(seen);
	g_free(len);
}

/* The plain serial transpose, as reference. */
static void
naive_transpose(struct kith_csr *t, const struct kith_csr *a)
{
	g_assert_true(kith_csr_alloc(t, a->n_cols, a->n_rows, a->nnz, TRUE,
	                             NULL));
	for (int64_t k = 0; k < a->nnz; k++)
		t->indptr[a->indices[k] + 1]++;
	for (int64_t c = 0; c < a->n_cols; c++)
		t->indptr[c + 1] += t->indptr[c];
	int64_t *next = g_new(int64_t, a->n_cols + 1);
	memcpy(next, t->indptr, (size_t)(a->n_cols + 1) * sizeof *next);
	for (int64_t r = 0; r < a->n_rows; r++)
		for (int64_t k = a->indptr[r]; k < a->indptr[r + 1]; k++) {
			int64_t p = next[a->indices[k]]++;
			t->indices[p] = (int32_t)r;
			t->values[p] = a->values[k];
		}
	g_free(next);
}

static void
assert_same_csr(const struct kith_csr *x, const struct kith_csr *y)
{
	g_assert_cmpint(x->n_rows, ==, y->n_rows);
	g_assert_cmpint(x->n_cols, ==, y->n_cols);
	g_assert_cmpint(x->nnz, ==, y->nnz);
	g_assert_cmpmem(x->indptr, (size_t)(x->n_rows + 1) * sizeof(int64_t),
	                y->indptr, (size_t)(y->n_rows + 1) * sizeof(int64_t));
	g_assert_cmpmem(x->indices, (size_t)x->nnz * sizeof(int32_t),
	                y->indices, (size_t)y->nnz * sizeof(int32_t));
	g_assert_cmpmem(x->values, (size_t)x->nnz * sizeof(float),
	                y->values, (size_t)y->nnz * sizeof(float));
}

static void
test_transpose_parallel(void)
{
	/* sizes above and below the parallel threshold (2^18 entries), and
	 * fewer rows than threads */
	static const int64_t shapes[][3] = {
		{ 20000, 3000, 40 }, { 5000, 70000, 90 }, { 300, 40, 10 },
		{ 2, 300000, 200000 }, { 1, 5, 5 },
	};
	int before = kith_get_threads();
	for (size_t s = 0; s < G_N_ELEMENTS(shapes); s++) {
		struct kith_csr a, ref;
		random_csr(&a, shapes[s][0], shapes[s][1], shapes[s][2], 11 + s);
		naive_transpose(&ref, &a);
		for (int th = 1; th <= 3; th++) {
			struct kith_csr t;
			GError *err = NULL;
			kith_set_threads(th);
			g_assert_true(kith_csr_transpose(&t, &a, &err));
			g_assert_no_error(err);
			assert_same_csr(&t, &ref);
			kith_csr_clear(&t);
		}
		kith_csr_clear(&a);
		kith_csr_clear(&ref);
	}
	kith_set_threads(before);
}

/* xxh64 of a whole file. */
static uint64_t
file_hash(const char *path, gsize *len)
{
	g_autofree char *buf = NULL;
	g_assert_true(g_file_get_contents(path, &buf, len, NULL));
	return XXH64(buf, *len, 0);
}

static void
check_written(const char *dir, const struct kith_store *s)
{
	GError *err = NULL;
	g_autofree char *mp = g_build_filename(dir, "manifest.json", NULL);
	g_autoptr(JsonNode) root = kith_json_read(mp, &err);
	g_assert_no_error(err);
	JsonObject *arrays = kith_json_obj(json_node_get_object(root),
	                                   "arrays");
	g_assert_nonnull(arrays);
	/* every entry: the file's true size and xxh64 */
	g_autoptr(GList) names = json_object_get_members(arrays);
	guint n = 0;
	for (GList *l = names; l; l = l->next, n++) {
		JsonObject *e = kith_json_obj(arrays, l->data);
		g_autofree char *p = g_build_filename(dir, l->data, NULL);
		gsize len;
		uint64_t h = file_hash(p, &len);
		char hex[17];
		g_snprintf(hex, sizeof hex, "%016" G_GINT64_MODIFIER "x", h);
		g_assert_cmpstr(kith_json_str(e, "xxh64"), ==, hex);
		g_assert_cmpint(kith_json_int_or(e, "bytes", -1), ==,
		                (int64_t)len);
	}
	/* the fixed order: arrays, then the names files */
	g_assert_cmpuint(n, ==, 32);
	g_assert_cmpstr(g_list_nth_data(names, 0), ==, "ui.indptr.npy");
	g_assert_cmpstr(g_list_nth_data(names, 3), ==, "ui.count.npy");
	g_assert_cmpstr(g_list_nth_data(names, 19), ==, "user_attr.npy");
	g_assert_cmpstr(g_list_nth_data(names, 21), ==, "ev.user.npy");
	g_assert_cmpstr(g_list_nth_data(names, 24), ==, "ev.type.npy");
	g_assert_cmpstr(g_list_nth_data(names, 26), ==, "users.tsv");
	g_assert_cmpstr(g_list_nth_data(names, 31), ==, "user_features.tsv");
	g_assert_true(kith_manifest_verify(dir, &err));
	g_assert_no_error(err);

	/* the arrays read back equal the store's */
	struct { const char *name; const void *data; size_t bytes; } a[] = {
		{ "ui.indptr.npy", s->ui.indptr,
		  (size_t)(s->n_users + 1) * 8 },
		{ "ui.indices.npy", s->ui.indices, (size_t)s->ui.nnz * 4 },
		{ "ui.weight.npy", s->ui.values, (size_t)s->ui.nnz * 4 },
		{ "ui.ts_last.npy", s->ui_ts_last, (size_t)s->ui.nnz * 8 },
		{ "iu.indices.npy", s->iu.indices, (size_t)s->iu.nnz * 4 },
		{ "ev.user.npy", s->ev_user, (size_t)s->n_log * 4 },
		{ "ev.ts.npy", s->ev_ts, (size_t)s->n_log * 8 },
		{ "ev.type.npy", s->ev_type, (size_t)s->n_log },
		{ "ev.value.npy", s->ev_value, (size_t)s->n_log * 4 },
	};
	for (size_t k = 0; k < G_N_ELEMENTS(a); k++) {
		struct kith_npy npy;
		g_autofree char *p = g_build_filename(dir, a[k].name, NULL);
		g_assert_true(kith_npy_map(&npy, p, &err));
		g_assert_no_error(err);
		g_assert_cmpmem(npy.data, a[k].bytes, a[k].data, a[k].bytes);
		kith_npy_unmap(&npy);
	}
	/* users.tsv: header, then the ids in index order */
	g_autofree char *up = g_build_filename(dir, "users.tsv", NULL);
	g_autofree char *text = NULL;
	g_assert_true(g_file_get_contents(up, &text, NULL, NULL));
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_assert_cmpstr(lines[0], ==, "user");
	for (int64_t u = 0; u < s->n_users; u++)
		g_assert_cmpstr(lines[u + 1], ==, s->user_ids[u]);
}

static void
test_store_write_parallel(void)
{
	/* events big enough for O_DIRECT arrays (>= 1 MiB) */
	GString *csv = g_string_new("user,item,event,ts,value\n");
	struct kith_rng rng;
	kith_rng_seed(&rng, 5, 0);
	for (int k = 0; k < 150000; k++)
		g_string_append_printf(csv, "u%u,%u,%s,%u,%u.%02u\n",
		                       (unsigned)kith_rng_below(&rng, 3000),
		                       (unsigned)kith_rng_below(&rng, 900),
		                       kith_rng_below(&rng, 4) ? "view" : "cart",
		                       1600000000u + (unsigned)kith_rng_below(&rng,
		                       100000), (unsigned)kith_rng_below(&rng, 99),
		                       (unsigned)kith_rng_below(&rng, 100));
	g_autofree char *ev = g_build_filename(tmpdir, "ev.csv", NULL);
	g_assert_true(g_file_set_contents(ev, csv->str, (gssize)csv->len, NULL));
	g_string_free(csv, TRUE);

	struct kith_ingest_options o = { 0 };
	struct kith_ingest_result res;
	GError *err = NULL;
	o.events = ev;
	o.csv = (struct kith_csv_options)KITH_CSV_OPTIONS_INIT;
	o.max_rejects = -1;
	o.max_rejects_pct = -1;
	g_assert_true(kith_ingest_run(&o, &res, &err));
	g_assert_no_error(err);
	g_assert_cmpint(res.store->n_log, ==, 150000);

	g_autofree char *d1 = g_build_filename(tmpdir, "s1", NULL);
	g_autofree char *d2 = g_build_filename(tmpdir, "s2", NULL);
	g_assert_true(kith_store_write(res.store, d1, res.extra, FALSE, &err));
	g_assert_no_error(err);
	check_written(d1, res.store);
	/* again over the first (exchange) and beside it: same arrays */
	g_assert_true(kith_store_write(res.store, d1, res.extra, FALSE, &err));
	g_assert_true(kith_store_write(res.store, d2, res.extra, FALSE, &err));
	g_assert_no_error(err);
	check_written(d1, res.store);
	check_written(d2, res.store);
	g_autofree char *m1 = g_build_filename(d1, "manifest.json", NULL);
	g_autofree char *m2 = g_build_filename(d2, "manifest.json", NULL);
	g_autoptr(JsonNode) r1 = kith_json_read(m1, NULL);
	g_autoptr(JsonNode) r2 = kith_json_read(m2, NULL);
	JsonNode *a1 = json_object_get_member(json_node_get_object(r1),
	                                      "arrays");
	JsonNode *a2 = json_object_get_member(json_node_get_object(r2),
	                                      "arrays");
	g_autofree char *t1 = json_to_string(a1, FALSE);
	g_autofree char *t2 = json_to_string(a2, FALSE);
	g_assert_cmpstr(t1, ==, t2);
	/* the opened store agrees with the one in memory */
	g_autoptr(kith_store) back = kith_store_open(d2, &err);
	g_assert_no_error(err);
	g_assert_cmpint(back->ui.nnz, ==, res.store->ui.nnz);
	g_assert_cmpmem(back->iu.values, (size_t)back->iu.nnz * 4,
	                res.store->iu.values, (size_t)res.store->iu.nnz * 4);
	kith_ingest_result_clear(&res);
	/* no temporary folder left beside the stores */
	g_autoptr(GDir) dir = g_dir_open(tmpdir, 0, NULL);
	const char *name;
	while ((name = g_dir_read_name(dir)) != NULL)
		g_assert_null(strstr(name, ".tmp-"));
}

static void
rm_tree(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	if (d) {
		const char *n;
		while ((n = g_dir_read_name(d)) != NULL) {
			g_autofree char *p = g_build_filename(path, n, NULL);
			if (g_file_test(p, G_FILE_TEST_IS_DIR))
				rm_tree(p);
			else
				g_unlink(p);
		}
		g_dir_close(d);
	}
	g_rmdir(path);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("kith-test-ingest-io-XXXXXX", NULL);
	g_test_add_func("/csr/transpose-parallel", test_transpose_parallel);
	g_test_add_func("/store/write-parallel", test_store_write_parallel);
	int rc = g_test_run();
	rm_tree(tmpdir);
	g_free(tmpdir);
	return rc;
}
