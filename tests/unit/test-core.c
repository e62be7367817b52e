/* Unit tests: RNG, allocation checks, .npy round trip and corruption,
 * atomic output folders, manifest verification, CSR transpose/COO build
 * against naive references. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kith/core.h"
#include "kith/csr.h"
#include "kith/io.h"

#include "unit-util.h"

static char *tmpdir;

static void
test_rng(void)
{
	struct kith_rng a, b, c;
	int i, hist[10] = { 0 };

	kith_rng_seed(&a, 7, 0);
	kith_rng_seed(&b, 7, 0);
	kith_rng_seed(&c, 7, 1);
	for (i = 0; i < 1000; i++) {
		uint64_t x = kith_rng_next(&a);
		g_assert_cmpuint(x, ==, kith_rng_next(&b));
		g_assert_cmpuint(x, !=, kith_rng_next(&c));
	}
	for (i = 0; i < 100000; i++) {
		uint64_t v = kith_rng_below(&a, 10);
		double u = kith_rng_uniform(&a);
		g_assert_cmpuint(v, <, 10);
		g_assert_cmpfloat(u, >=, 0.0);
		g_assert_cmpfloat(u, <, 1.0);
		hist[v]++;
	}
	for (i = 0; i < 10; i++) {
		g_assert_cmpint(hist[i], >, 9500);
		g_assert_cmpint(hist[i], <, 10500);
	}
}

static void
test_alloc_overflow(void)
{
	GError *err = NULL;
	void *p = kith_alloc_n(SIZE_MAX / 2, 4, &err);

	g_assert_null(p);
	g_assert_error(err, KITH_ERROR, KITH_ERROR_NOMEM);
	g_error_free(err);
}

static void
test_npy_roundtrip(void)
{
	g_autofree char *path = g_build_filename(tmpdir, "a.npy", NULL);
	float data[12];
	struct kith_npy a;
	GError *err = NULL;
	uint64_t h, h2;
	int i;

	for (i = 0; i < 12; i++)
		data[i] = (float)i * 0.5f;
	g_assert_true(kith_npy_write(path, KITH_DT_F32, 3, 4, data, 0644, &h,
	                             &err));
	g_assert_no_error(err);
	g_assert_true(kith_file_xxh64(path, &h2, &err));
	g_assert_cmpuint(h, ==, h2);
	g_assert_true(kith_npy_map(&a, path, &err));
	g_assert_no_error(err);
	g_assert_cmpint(a.ndim, ==, 2);
	g_assert_cmpint(a.shape[0], ==, 3);
	g_assert_cmpint(a.shape[1], ==, 4);
	g_assert_cmpint(a.dtype, ==, KITH_DT_F32);
	g_assert_cmpmem(a.data, a.nbytes, data, sizeof(data));
	/* header is a multiple of 64 bytes */
	g_assert_cmpint(((const char *)a.data - (const char *)a.map) % 64, ==, 0);
	kith_npy_unmap(&a);

	/* 1-D int64, and an empty array */
	{
		int64_t v[3] = { -1, 0, 1LL << 40 };
		g_assert_true(kith_npy_write(path, KITH_DT_I64, 3, 0, v, 0644,
		                             NULL, &err));
		g_assert_true(kith_npy_map(&a, path, &err));
		g_assert_cmpint(a.ndim, ==, 1);
		g_assert_cmpint(a.shape[0], ==, 3);
		g_assert_cmpmem(a.data, a.nbytes, v, sizeof(v));
		kith_npy_unmap(&a);
		g_assert_true(kith_npy_write(path, KITH_DT_I32, 0, 0, NULL, 0644,
		                             NULL, &err));
		g_assert_true(kith_npy_map(&a, path, &err));
		g_assert_cmpint(a.shape[0], ==, 0);
		kith_npy_unmap(&a);
	}
}

/* Every truncation of a valid file must be rejected without a crash. */
static void
test_npy_truncated(void)
{
	g_autofree char *path = g_build_filename(tmpdir, "t.npy", NULL);
	g_autofree char *cut = g_build_filename(tmpdir, "cut.npy", NULL);
	g_autofree char *content = NULL;
	int32_t data[40];
	gsize len, i;
	struct kith_npy a;

	for (i = 0; i < 40; i++)
		data[i] = (int32_t)i;
	g_assert_true(kith_npy_write(path, KITH_DT_I32, 10, 4, data, 0644, NULL,
	                             NULL));
	g_assert_true(g_file_get_contents(path, &content, &len, NULL));
	for (i = 0; i < len; i++) {
		GError *err = NULL;
		g_assert_true(g_file_set_contents(cut, content, (gssize)i, NULL));
		g_assert_false(kith_npy_map(&a, cut, &err));
		g_assert_nonnull(err);
		g_error_free(err);
	}
	/* trailing garbage and a damaged header are rejected too */
	{
		GError *err = NULL;
		g_autofree char *longer = g_malloc(len + 1);
		memcpy(longer, content, len);
		longer[len] = 'x';
		g_assert_true(g_file_set_contents(cut, longer, (gssize)len + 1, NULL));
		g_assert_false(kith_npy_map(&a, cut, &err));
		g_clear_error(&err);
		memcpy(longer, content, len);
		longer[20] = '#';   /* inside the header dict */
		g_assert_true(g_file_set_contents(cut, longer, (gssize)len, NULL));
		g_assert_false(kith_npy_map(&a, cut, &err));
		g_clear_error(&err);
	}
}

static void
test_outdir_atomic(void)
{
	g_autofree char *final = g_build_filename(tmpdir, "out", NULL);
	g_autofree char *f1 = g_build_filename(final, "x.txt", NULL);
	g_autofree char *text = NULL;
	struct kith_outdir *od;
	GError *err = NULL;
	char *p;

	od = kith_outdir_begin(final, &err);
	g_assert_no_error(err);
	p = kith_outdir_path(od, "x.txt");
	g_assert_true(kith_write_file(p, "old", 3, 0644, &err));
	g_free(p);
	g_assert_true(kith_outdir_commit(od, &err));
	kith_outdir_free(od);
	g_assert_true(g_file_get_contents(f1, &text, NULL, NULL));
	g_assert_cmpstr(text, ==, "old");
	g_clear_pointer(&text, g_free);

	/* an aborted rewrite leaves the old folder and no temporary folder */
	od = kith_outdir_begin(final, &err);
	p = kith_outdir_path(od, "x.txt");
	g_assert_true(kith_write_file(p, "new", 3, 0644, &err));
	g_free(p);
	kith_outdir_free(od);
	g_assert_true(g_file_get_contents(f1, &text, NULL, NULL));
	g_assert_cmpstr(text, ==, "old");
	g_clear_pointer(&text, g_free);
	{
		GDir *d = g_dir_open(tmpdir, 0, NULL);
		const char *n;
		while ((n = g_dir_read_name(d)) != NULL)
			g_assert_null(strstr(n, ".tmp-"));
		g_dir_close(d);
	}

	/* a committed rewrite replaces it */
	od = kith_outdir_begin(final, &err);
	p = kith_outdir_path(od, "x.txt");
	g_assert_true(kith_write_file(p, "new", 3, 0644, &err));
	g_free(p);
	g_assert_true(kith_outdir_commit(od, &err));
	kith_outdir_free(od);
	g_assert_true(g_file_get_contents(f1, &text, NULL, NULL));
	g_assert_cmpstr(text, ==, "new");
}

/* A folder NAME in dir, with one file, dated `age` seconds ago. */
static char *
aged_folder(const char *dir, const char *name, int age)
{
	char *p = g_build_filename(dir, name, NULL);
	g_autofree char *f = g_build_filename(p, "part.npy", NULL);
	struct timespec t[2];

	g_assert_cmpint(g_mkdir_with_parents(p, 0755), ==, 0);
	g_assert_true(g_file_set_contents(f, "x", 1, NULL));
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= age;
	t[1] = t[0];
	g_assert_cmpint(utimensat(AT_FDCWD, p, t, 0), ==, 0);
	return p;
}

/* begin removes the temporary folders a killed writer left (old and
 * unlocked), and nothing else. */
static void
test_outdir_stale(void)
{
	g_autofree char *dir = g_build_filename(tmpdir, "stale", NULL);
	g_autofree char *final = g_build_filename(dir, "x", NULL);
	g_autofree char *dead = aged_folder(dir, "x.tmp-AAAAAA", 60);
	g_autofree char *held = aged_folder(dir, "x.tmp-BBBBBB", 60);
	g_autofree char *young = aged_folder(dir, "x.tmp-CCCCCC", 0);
	g_autofree char *other = aged_folder(dir, "y.tmp-DDDDDD", 60);
	g_autofree char *longer = aged_folder(dir, "x.tmp-EEEEEEE", 60);
	g_autofree char *file = g_build_filename(dir, "x.tmp-FFFFFF", NULL);
	GError *err = NULL;

	g_assert_true(g_file_set_contents(file, "x", 1, NULL));
	/* a live writer's lock (another open file description) */
	int fd = open(held, O_RDONLY | O_DIRECTORY);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(flock(fd, LOCK_EX | LOCK_NB), ==, 0);

	struct kith_outdir *od = kith_outdir_begin(final, &err);
	g_assert_no_error(err);
	g_assert_false(g_file_test(dead, G_FILE_TEST_EXISTS));
	g_assert_true(g_file_test(held, G_FILE_TEST_IS_DIR));
	g_assert_true(g_file_test(young, G_FILE_TEST_IS_DIR));
	g_assert_true(g_file_test(other, G_FILE_TEST_IS_DIR));
	g_assert_true(g_file_test(longer, G_FILE_TEST_IS_DIR));
	g_assert_true(g_file_test(file, G_FILE_TEST_IS_REGULAR));
	/* the new writer holds its own folder: a second begin (after it
	 * ages) leaves it alone */
	struct timespec t[2];
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= 60;
	t[1] = t[0];
	g_assert_cmpint(utimensat(AT_FDCWD, od->tmp, t, 0), ==, 0);
	struct kith_outdir *od2 = kith_outdir_begin(final, &err);
	g_assert_no_error(err);
	g_assert_true(g_file_test(od->tmp, G_FILE_TEST_IS_DIR));
	kith_outdir_free(od2);
	kith_outdir_free(od);
	/* once the holder is gone, the held folder is stale too */
	close(fd);
	od = kith_outdir_begin(final, &err);
	g_assert_false(g_file_test(held, G_FILE_TEST_EXISTS));
	kith_outdir_free(od);
}

static void
test_manifest_verify(void)
{
	g_autofree char *final = g_build_filename(tmpdir, "m", NULL);
	g_autofree char *arr = g_build_filename(final, "a.npy", NULL);
	g_autoptr(JsonBuilder) b = kith_manifest_begin("test", 1);
	g_autoptr(JsonNode) root = NULL;
	struct kith_outdir *od;
	GError *err = NULL;
	float v[100];
	char *mp;
	int i;
	FILE *f;

	for (i = 0; i < 100; i++)
		v[i] = (float)i;
	od = kith_outdir_begin(final, &err);
	json_builder_set_member_name(b, "arrays");
	json_builder_begin_object(b);
	g_assert_true(kith_outdir_npy(od, b, "a.npy", KITH_DT_F32, 100, 0, v,
	                              0644, &err));
	json_builder_end_object(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	mp = kith_outdir_path(od, "manifest.json");
	g_assert_true(kith_json_write(mp, root, &err));
	g_free(mp);
	g_assert_true(kith_outdir_commit(od, &err));
	kith_outdir_free(od);
	g_assert_true(kith_manifest_verify(final, &err));
	g_assert_no_error(err);

	/* flip one byte of the data */
	f = fopen(arr, "r+b");
	fseek(f, 200, SEEK_SET);
	fputc(0x55, f);
	fclose(f);
	g_assert_false(kith_manifest_verify(final, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_CORRUPT);
	g_assert_nonnull(strstr(err->message, "a.npy"));
	g_error_free(err);
}

/* naive dense reference for CSR helpers */
static void
test_csr_coo_transpose(void)
{
	enum { R = 37, C = 23, N = 400 };
	int32_t rows[N], cols[N];
	float vals[N];
	float dense[R][C], back[R][C];
	struct kith_csr m, t;
	struct kith_rng rng;
	GError *err = NULL;
	int i, j;
	int64_t k;

	memset(dense, 0, sizeof(dense));
	kith_rng_seed(&rng, 3, 0);
	for (i = 0; i < N; i++) {
		rows[i] = (int32_t)kith_rng_below(&rng, R);
		cols[i] = (int32_t)kith_rng_below(&rng, C);
		vals[i] = (float)(1 + kith_rng_below(&rng, 5));
		dense[rows[i]][cols[i]] += vals[i];
	}
	g_assert_true(kith_csr_from_coo(&m, R, C, N, rows, cols, vals, &err));
	memset(back, 0, sizeof(back));
	for (i = 0; i < R; i++)
		for (k = m.indptr[i]; k < m.indptr[i + 1]; k++) {
			if (k > m.indptr[i])
				g_assert_cmpint(m.indices[k], >, m.indices[k - 1]);
			back[i][m.indices[k]] = m.values[k];
		}
	g_assert_cmpmem(back, sizeof(back), dense, sizeof(dense));
	g_assert_true(kith_csr_transpose(&t, &m, &err));
	g_assert_cmpint(t.n_rows, ==, C);
	g_assert_cmpint(t.nnz, ==, m.nnz);
	for (j = 0; j < C; j++)
		for (k = t.indptr[j]; k < t.indptr[j + 1]; k++) {
			if (k > t.indptr[j])
				g_assert_cmpint(t.indices[k], >, t.indices[k - 1]);
			g_assert_cmpfloat(t.values[k], ==, dense[t.indices[k]][j]);
		}
	kith_csr_clear(&m);
	kith_csr_clear(&t);
	/* out of range coordinates are an error */
	rows[0] = R;
	g_assert_false(kith_csr_from_coo(&m, R, C, N, rows, cols, vals, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_DATA);
	g_error_free(err);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("kith-test-core-XXXXXX", NULL);
	g_test_add_func("/core/rng", test_rng);
	g_test_add_func("/core/alloc-overflow", test_alloc_overflow);
	g_test_add_func("/npy/roundtrip", test_npy_roundtrip);
	g_test_add_func("/npy/truncated", test_npy_truncated);
	g_test_add_func("/outdir/atomic", test_outdir_atomic);
	g_test_add_func("/outdir/stale", test_outdir_stale);
	g_test_add_func("/manifest/verify", test_manifest_verify);
	g_test_add_func("/csr/coo-transpose", test_csr_coo_transpose);
	return test_run_and_remove(tmpdir);
}
