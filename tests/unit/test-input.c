/* Unit tests of the input layer (input.h): the same text out of a plain
 * file, gzip (several members), xz (concatenated streams), zstd (several
 * frames), UTF-16LE/BE with a BOM, a pipe fed in uneven chunks and a
 * FIFO, read in steps from 1 byte to 1 MiB (so that records, compressed
 * blocks and UTF-16 characters straddle every buffer boundary); every
 * truncation of a compressed file fails with the line where its text
 * breaks, after handing out only a prefix of the text; corrupt and
 * trailing data fail; random damage never crashes; bzip2 and zip are
 * refused; the SHA-256 is that of
 * the file's bytes; a wait on a FIFO without a writer ends on an
 * interrupt. */
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "kith/core.h"
#include "kith/csv.h"
#include "kith/input.h"
#include "kith/memest.h"
#include "unit-util.h"

/* the shortest file with a codec's magic (xz's is 6 bytes) */
#define SNIFF_MIN 6

static char *tmpdir;

/* N lines of varying length (ids, UTF-8 names, a long line past every
 * buffer of the layer when LONG), each ending with LF. */
static GString *
make_text(int n, gboolean long_line)
{
	GString *s = g_string_new("user,item,name\n");
	struct kith_rng rng;
	kith_rng_seed(&rng, 11, 0);
	for (int i = 0; i < n; i++) {
		g_string_append_printf(s, "u%" G_GUINT64_FORMAT ",i%d,",
		                       kith_rng_below(&rng, 100000), i % 977);
		int k = (int)kith_rng_below(&rng, 40);
		if (long_line && i == n / 2) {
			/* a quoted field with a line feed, past every buffer */
			g_string_append(s, "\"\n");
			for (int j = 1; j < 600000; j++)
				g_string_append_c(s, (char)('a' + j % 26));
			g_string_append_c(s, '"');
			k = 0;
		}
		for (int j = 0; j < k; j++)
			g_string_append(s, j % 7 == 3 ? "\xc3\xa9" : j % 11 == 5
			                ? "\xf0\x9f\x98\x80" : "x");
		g_string_append_c(s, '\n');
	}
	return s;
}

static char *
put_file(const char *name, const void *data, size_t len)
{
	char *p = g_build_filename(tmpdir, name, NULL);
	GError *err = NULL;
	g_file_set_contents_full(p, data, (gssize)len,
	                         G_FILE_SET_CONTENTS_NONE, 0600, &err);
	g_assert_no_error(err);
	return p;
}

static GBytes *
gzip_of(const void *data, size_t len)
{
	z_stream z = { 0 };
	g_assert_cmpint(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
	                             Z_DEFAULT_STRATEGY), ==, Z_OK);
	size_t cap = deflateBound(&z, len) + 64;
	unsigned char *out = g_malloc(cap);
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	g_assert_cmpint(deflate(&z, Z_FINISH), ==, Z_STREAM_END);
	size_t n = cap - z.avail_out;
	deflateEnd(&z);
	return g_bytes_new_take(out, n);
}

static GBytes *
xz_of(const void *data, size_t len)
{
	size_t cap = lzma_stream_buffer_bound(len), n = 0;
	uint8_t *out = g_malloc(cap);
	g_assert_cmpint(lzma_easy_buffer_encode(3, LZMA_CHECK_CRC64, NULL,
	                                        data, len, out, &n, cap), ==,
	                LZMA_OK);
	return g_bytes_new_take(out, n);
}

static GBytes *
zstd_of(const void *data, size_t len)
{
	size_t cap = ZSTD_compressBound(len);
	void *out = g_malloc(cap);
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	size_t n = ZSTD_compress2(c, out, cap, data, len);
	g_assert_false(ZSTD_isError(n));
	ZSTD_freeCCtx(c);
	return g_bytes_new_take(out, n);
}

typedef GBytes *(*compress_fn)(const void *, size_t);

/* Reads IN to its end or first error, STEP bytes at a time (0: steps
 * cycling 1, 2, 3, 5, 7, 4096, 65536, 1 MiB). */
static GString *
drain(struct kith_input *in, size_t step, GError **error)
{
	static const size_t cyc[] = { 1, 2, 3, 5, 7, 4096, 65536, 1 << 20 };
	GString *s = g_string_new(NULL);
	char *buf = g_malloc(1 << 20);
	for (unsigned k = 0;; k++) {
		size_t n = step ? step : cyc[k % G_N_ELEMENTS(cyc)];
		ssize_t r = kith_input_read(in, buf, n, error);
		if (r <= 0)
			break;
		g_assert_cmpint(r, <=, (ssize_t)n);
		g_string_append_len(s, buf, r);
	}
	g_free(buf);
	return s;
}

static void
assert_reads_as(const char *path, const GString *text, size_t step)
{
	GError *err = NULL;
	struct kith_input *in = kith_input_open(path, 0, &err);
	g_assert_no_error(err);
	GString *got = drain(in, step, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(got->len, ==, text->len);
	g_assert_true(memcmp(got->str, text->str, text->len) == 0);
	g_string_free(got, TRUE);
	kith_input_close(in);
}

/* Opens and reads PATH, which must fail with KITH_ERROR_DATA (at the open
 * or on a read): the text handed out before, and the message in *msg
 * (caller frees both). */
static GString *
read_to_error(const char *path, char **msg)
{
	GError *err = NULL;
	struct kith_input *in = kith_input_open(path, 0, &err);
	GString *got = in ? drain(in, 0, &err) : g_string_new(NULL);
	g_assert_error(err, KITH_ERROR, KITH_ERROR_DATA);
	*msg = g_strdup(err->message);
	g_error_free(err);
	kith_input_close(in);
	return got;
}

static void
test_plain(void)
{
	GString *t = make_text(20000, TRUE);
	g_autofree char *p = put_file("plain.csv", t->str, t->len);
	assert_reads_as(p, t, 0);
	assert_reads_as(p, t, 1 << 20);
	GError *err = NULL;
	struct kith_input *in = kith_input_open(p, 0, &err);
	g_assert_no_error(err);
	int64_t size = 0;
	g_assert_cmpint(kith_input_map_fd(in, &size), >=, 0);
	g_assert_cmpint(size, ==, (int64_t)t->len);
	g_assert_null(kith_input_compression(in));
	g_assert_false(kith_input_is_stream(in));
	/* a second reader from an offset, on its own descriptor */
	struct kith_input *at = kith_input_open_at(in, 12345, -1, &err);
	g_assert_no_error(err);
	GString *rest = drain(at, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(rest->len, ==, t->len - 12345);
	g_assert_true(memcmp(rest->str, t->str + 12345, rest->len) == 0);
	g_string_free(rest, TRUE);
	kith_input_close(at);
	/* and one that stops at an end byte (a rank's part) */
	at = kith_input_open_at(in, 1000, 71000, &err);
	g_assert_no_error(err);
	rest = drain(at, 7, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(rest->len, ==, 70000);
	g_assert_true(memcmp(rest->str, t->str + 1000, rest->len) == 0);
	g_string_free(rest, TRUE);
	kith_input_close(at);
	g_assert_null(kith_input_open_at(in, 500, 499, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_IO);
	g_clear_error(&err);
	kith_input_close(in);
	g_string_free(t, TRUE);
}

/* The text through a codec: single, then twice concatenated (two gzip
 * members, two xz streams, two zstd frames) read as the text twice;
 * every step size; the codec's name. */
static void
check_codec(compress_fn fn, const char *name)
{
	GString *t = make_text(20000, TRUE);
	GBytes *z = fn(t->str, t->len);
	g_autofree char *f1 = g_strdup_printf("one.%s", name);
	g_autofree char *p = put_file(f1, g_bytes_get_data(z, NULL),
	                              g_bytes_get_size(z));
	assert_reads_as(p, t, 0);
	assert_reads_as(p, t, 65536);
	GError *err = NULL;
	struct kith_input *in = kith_input_open(p, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(kith_input_compression(in), ==, name);
	g_assert_cmpint(kith_input_map_fd(in, NULL), ==, -1);
	kith_input_close(in);

	GByteArray *two = g_byte_array_new();
	g_byte_array_append(two, g_bytes_get_data(z, NULL), g_bytes_get_size(z));
	g_byte_array_append(two, g_bytes_get_data(z, NULL), g_bytes_get_size(z));
	g_autofree char *f2 = g_strdup_printf("two.%s", name);
	g_autofree char *p2 = put_file(f2, two->data, two->len);
	GString *tt = g_string_new_len(t->str, t->len);
	g_string_append_len(tt, t->str, t->len);
	assert_reads_as(p2, tt, 0);

	/* a small text read one byte at a time */
	GString *small = make_text(300, FALSE);
	GBytes *zs = fn(small->str, small->len);
	g_autofree char *f3 = g_strdup_printf("small.%s", name);
	g_autofree char *p3 = put_file(f3, g_bytes_get_data(zs, NULL),
	                               g_bytes_get_size(zs));
	assert_reads_as(p3, small, 1);

	g_bytes_unref(zs);
	g_string_free(small, TRUE);
	g_string_free(tt, TRUE);
	g_byte_array_unref(two);
	g_bytes_unref(z);
	g_string_free(t, TRUE);
}

static void test_gzip(void) { check_codec(gzip_of, "gzip"); }
static void test_xz(void) { check_codec(xz_of, "xz"); }
static void test_zstd(void) { check_codec(zstd_of, "zstd"); }

static int64_t
count_lf(const char *s, size_t n)
{
	int64_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

/* Every truncation (40 cuts and the last 12 bytes) fails with
 * KITH_ERROR_DATA "NAME:LINE: ..." after a prefix of the text, LINE being
 * the line where the prefix breaks; never a clean end. */
static void
check_truncated(compress_fn fn, const char *name)
{
	GString *t = make_text(3000, FALSE);
	GBytes *z = fn(t->str, t->len);
	size_t zn;
	const char *zd = g_bytes_get_data(z, &zn);
	g_autofree char *f = g_strdup_printf("cut.%s", name);
	for (size_t k = 0; k < 52; k++) {
		size_t cut = k < 40 ? SNIFF_MIN + (zn - SNIFF_MIN) * k / 40
		                    : zn - (52 - k);
		g_autofree char *p = put_file(f, zd, cut);
		g_autofree char *msg = NULL;
		GString *got = read_to_error(p, &msg);
		g_assert_cmpuint(got->len, <=, t->len);
		g_assert_true(memcmp(got->str, t->str, got->len) == 0);
		g_autofree char *want = g_strdup_printf(
		    "%s:%" G_GINT64_FORMAT ": ", p,
		    count_lf(got->str, got->len) + 1);
		if (!g_str_has_prefix(msg, want))
			g_error("cut %zu of %zu: '%s', wanted '%s...'", cut, zn,
			        msg, want);
		g_string_free(got, TRUE);
	}
	/* a flipped byte in the middle: an error, whatever comes before */
	GByteArray *bad = g_byte_array_new();
	g_byte_array_append(bad, (const guint8 *)zd, zn);
	bad->data[zn / 2] ^= 0x55;
	g_autofree char *pb = put_file(f, bad->data, bad->len);
	g_autofree char *m1 = NULL, *m2 = NULL;
	g_string_free(read_to_error(pb, &m1), TRUE);
	/* bytes after the end: the whole text, then the error */
	g_byte_array_set_size(bad, 0);
	g_byte_array_append(bad, (const guint8 *)zd, zn);
	g_byte_array_append(bad, (const guint8 *)"garbage\n", 8);
	g_autofree char *pt = put_file(f, bad->data, bad->len);
	GString *got = read_to_error(pt, &m2);
	g_assert_cmpuint(got->len, ==, t->len);
	g_string_free(got, TRUE);
	g_byte_array_unref(bad);
	g_bytes_unref(z);
	g_string_free(t, TRUE);
}

static void test_gzip_truncated(void) { check_truncated(gzip_of, "gz"); }
static void test_xz_truncated(void) { check_truncated(xz_of, "xz"); }
static void test_zstd_truncated(void) { check_truncated(zstd_of, "zst"); }

/* Random damage (a few flipped, dropped or inserted bytes, or a cut) to
 * each codec's file: every read ends, with the text or a prefix of it
 * and an error, never a crash or a hang (and nothing the sanitizers
 * object to in the ASan build). */
static void
test_mutations(void)
{
	static const compress_fn fns[] = { gzip_of, xz_of, zstd_of };
	GString *t = make_text(400, FALSE);
	struct kith_rng rng;
	kith_rng_seed(&rng, 23, 0);
	for (size_t c = 0; c < G_N_ELEMENTS(fns); c++) {
		GBytes *z = fns[c](t->str, t->len);
		size_t zn;
		const guint8 *zd = g_bytes_get_data(z, &zn);
		for (int k = 0; k < 300; k++) {
			GByteArray *m = g_byte_array_new();
			g_byte_array_append(m, zd, (guint)zn);
			int edits = 1 + (int)kith_rng_below(&rng, 4);
			for (int e = 0; e < edits && m->len > 8; e++) {
				guint at = 6 + (guint)kith_rng_below(&rng,
				                                      m->len - 6);
				switch (kith_rng_below(&rng, 4)) {
				case 0:
					m->data[at] ^= (guint8)(1 + kith_rng_below(
					    &rng, 255));
					break;
				case 1:
					g_byte_array_remove_index(m, at);
					break;
				case 2:
					g_byte_array_append(m, (const guint8 *)"", 1);
					memmove(m->data + at + 1, m->data + at,
					        m->len - 1 - at);
					m->data[at] = (guint8)kith_rng_below(&rng, 256);
					break;
				default:
					g_byte_array_set_size(m, at);
				}
			}
			g_autofree char *p = put_file("mut", m->data, m->len);
			GError *err = NULL;
			struct kith_input *in = kith_input_open(p, 0, &err);
			GString *got = in ? drain(in, 0, &err) : g_string_new(NULL);
			if (err) {
				g_assert_true(err->domain == KITH_ERROR);
				g_assert_true(err->code == KITH_ERROR_DATA ||
				              err->code == KITH_ERROR_NOMEM);
			}
			g_clear_error(&err);
			g_string_free(got, TRUE);
			kith_input_close(in);
			g_byte_array_unref(m);
		}
		g_bytes_unref(z);
	}
	g_string_free(t, TRUE);
}

static void
test_utf16(void)
{
	GString *t = make_text(5000, TRUE);
	for (int be = 0; be < 2; be++) {
		gsize n = 0;
		GError *err = NULL;
		g_autofree char *u = g_convert(t->str, (gssize)t->len,
		                               be ? "UTF-16BE" : "UTF-16LE",
		                               "UTF-8", NULL, &n, &err);
		g_assert_no_error(err);
		GByteArray *b = g_byte_array_new();
		g_byte_array_append(b, (const guint8 *)(be ? "\xfe\xff"
		                                            : "\xff\xfe"), 2);
		g_byte_array_append(b, (const guint8 *)u, (guint)n);
		g_autofree char *p = put_file("u16.csv", b->data, b->len);
		assert_reads_as(p, t, 0);
		assert_reads_as(p, t, 3);
		struct kith_input *in = kith_input_open(p, 0, &err);
		g_assert_no_error(err);
		g_assert_cmpstr(kith_input_transcoded(in), ==,
		                be ? "UTF-16BE" : "UTF-16LE");
		kith_input_close(in);
		/* compressed UTF-16 */
		GBytes *z = gzip_of(b->data, b->len);
		g_autofree char *pz = put_file("u16.gz", g_bytes_get_data(z, NULL),
		                               g_bytes_get_size(z));
		assert_reads_as(pz, t, 0);
		g_bytes_unref(z);
		/* no byte order mark: told by the NUL beside each ASCII byte */
		g_autofree char *pn = put_file("u16nobom.csv", u, n);
		assert_reads_as(pn, t, 0);
		g_byte_array_unref(b);
	}
	/* an unpaired surrogate on line 3, an odd last byte */
	static const char bad[] = "\xff\xfe" "a\0\n\0b\0\n\0c\0\x00\xd8" "d\0";
	g_autofree char *p = put_file("bad16.csv", bad, sizeof bad - 1);
	g_autofree char *m1 = NULL, *m2 = NULL;
	GString *got = read_to_error(p, &m1);
	g_assert_cmpstr(got->str, ==, "a\nb\nc");
	g_assert_nonnull(strstr(m1, ":3: invalid UTF-16"));
	g_string_free(got, TRUE);
	static const char odd[] = "\xfe\xff" "\0a\0\n\0";
	g_autofree char *po = put_file("odd16.csv", odd, sizeof odd - 1);
	g_string_free(read_to_error(po, &m2), TRUE);
	g_assert_nonnull(strstr(m2, ":2: truncated UTF-16"));
	g_string_free(t, TRUE);
}

static void
test_refused(void)
{
	static const struct {
		const char *data;
		size_t len;
		const char *word;
	} cases[] = {
		{ "BZh91AY&SY\x01\x02", 12, "bzip2" },
		{ "PK\x03\x04\x14\0\0\0", 8, "zip" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *p = put_file("refused", cases[i].data,
		                              cases[i].len);
		GError *err = NULL;
		g_assert_null(kith_input_open(p, 0, &err));
		g_assert_error(err, KITH_ERROR, KITH_ERROR_DATA);
		g_assert_nonnull(strstr(err->message, cases[i].word));
		g_clear_error(&err);
	}
	GError *err = NULL;
	g_assert_null(kith_input_open(tmpdir, 0, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_IO);
	g_clear_error(&err);
	g_autofree char *nope = g_build_filename(tmpdir, "nope", NULL);
	g_assert_null(kith_input_open(nope, 0, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_IO);
	g_clear_error(&err);
}

/* A writer thread: the bytes in chunks of 1 byte to 200 KiB, with short
 * pauses, into fd (or into the FIFO at path, opened after a pause). */
struct writer {
	const char *path;
	int fd;
	const char *data;
	size_t len;
	int pause_us;
};

static gpointer
writer_main(gpointer p)
{
	struct writer *w = p;
	if (w->path) {
		g_usleep(200000);
		w->fd = open(w->path, O_WRONLY);
		g_assert_cmpint(w->fd, >=, 0);
	}
	struct kith_rng rng;
	kith_rng_seed(&rng, 5, 0);
	size_t o = 0;
	while (o < w->len) {
		size_t k = MIN(w->len - o, 1 + kith_rng_below(&rng, 200000));
		ssize_t r = write(w->fd, w->data + o, k);
		if (r < 0 && errno == EINTR)
			continue;
		g_assert_cmpint(r, >, 0);
		o += (size_t)r;
		if (w->pause_us)
			g_usleep((gulong)kith_rng_below(&rng, (uint64_t)w->pause_us));
	}
	close(w->fd);
	return NULL;
}

static void
test_pipe(void)
{
	GString *t = make_text(40000, TRUE);
	int fds[2];
	g_assert_cmpint(pipe(fds), ==, 0);
	struct writer w = { NULL, fds[1], t->str, t->len, 2000 };
	GThread *th = g_thread_new("writer", writer_main, &w);
	GError *err = NULL;
	struct kith_input *in = kith_input_open_fd(fds[0], "pipe", TRUE,
	                                           KITH_INPUT_SHA256, &err);
	g_assert_no_error(err);
	g_assert_true(kith_input_is_stream(in));
	g_assert_cmpint(kith_input_map_fd(in, NULL), ==, -1);
	g_assert_cmpint(kith_input_file_size(in), ==, -1);
	GString *got = drain(in, 0, &err);
	g_assert_no_error(err);
	g_thread_join(th);
	g_assert_cmpuint(got->len, ==, t->len);
	g_assert_true(memcmp(got->str, t->str, t->len) == 0);
	int64_t bytes = 0;
	g_autofree char *sha = kith_input_sha256(in, &bytes, &err);
	g_assert_no_error(err);
	g_autofree char *want = g_compute_checksum_for_data(
	    G_CHECKSUM_SHA256, (const guchar *)t->str, t->len);
	g_assert_cmpstr(sha, ==, want);
	g_assert_cmpint(bytes, ==, (int64_t)t->len);
	kith_input_close(in);
	g_string_free(got, TRUE);
	g_string_free(t, TRUE);
}

/* The CSV reader over a gzip stream in a pipe: the same records, lines
 * and offsets as over the plain text, the 600 KB field whole. */
static void
test_csv_stream(void)
{
	GString *t = make_text(30000, TRUE);
	GBytes *z = gzip_of(t->str, t->len);
	int fds[2];
	g_assert_cmpint(pipe(fds), ==, 0);
	size_t zn;
	struct writer w = { NULL, fds[1], g_bytes_get_data(z, &zn), 0, 500 };
	w.len = zn;
	GThread *th = g_thread_new("writer", writer_main, &w);
	GError *err = NULL;
	struct kith_csv_options o = KITH_CSV_OPTIONS_INIT;
	struct kith_csv *a = kith_csv_open_memory("plain", t->str, t->len, &o,
	                                          &err);
	g_assert_no_error(err);
	struct kith_input *in = kith_input_open_fd(fds[0], "pipe.gz", TRUE, 0,
	                                           &err);
	g_assert_no_error(err);
	struct kith_csv *b = kith_csv_open_input(in, &o, &err);
	g_assert_no_error(err);
	struct kith_csv_record ra, rb;
	int ka, kb;
	int64_t n = 0;
	size_t longest = 0;
	for (;;) {
		ka = kith_csv_next(a, &ra, &err);
		g_assert_no_error(err);
		kb = kith_csv_next(b, &rb, &err);
		g_assert_no_error(err);
		g_assert_cmpint(ka, ==, kb);
		if (ka <= 0)
			break;
		n++;
		g_assert_cmpint(ra.line, ==, rb.line);
		g_assert_cmpint(ra.offset, ==, rb.offset);
		g_assert_cmpint(ra.reason, ==, rb.reason);
		g_assert_cmpint(ra.n_fields, ==, rb.n_fields);
		for (int i = 0; i < ra.n_fields; i++) {
			g_assert_cmpuint(ra.len[i], ==, rb.len[i]);
			g_assert_true(memcmp(ra.field[i], rb.field[i],
			                     ra.len[i]) == 0);
			longest = MAX(longest, rb.len[i]);
		}
	}
	g_thread_join(th);
	g_assert_cmpint(n, ==, 30000);
	g_assert_cmpuint(longest, ==, 600000);
	g_assert_cmpint(kith_csv_stats(b)->lines, ==, 30001);
	g_assert_cmpint(kith_csv_stats(b)->physical_lines, ==, 30002);
	kith_csv_close(a);
	kith_csv_close(b);
	g_bytes_unref(z);
	g_string_free(t, TRUE);
}

static void
test_fifo(void)
{
	GString *t = make_text(20000, FALSE);
	g_autofree char *p = g_build_filename(tmpdir, "fifo", NULL);
	g_assert_cmpint(mkfifo(p, 0600), ==, 0);
	struct writer w = { p, -1, t->str, t->len, 1000 };
	GThread *th = g_thread_new("writer", writer_main, &w);
	GError *err = NULL;
	struct kith_input *in = kith_input_open(p, KITH_INPUT_SHA256, &err);
	g_assert_no_error(err);
	GString *got = drain(in, 0, &err);
	g_assert_no_error(err);
	g_thread_join(th);
	g_assert_cmpuint(got->len, ==, t->len);
	g_assert_true(memcmp(got->str, t->str, t->len) == 0);
	kith_input_close(in);
	g_string_free(got, TRUE);
	g_string_free(t, TRUE);
	g_remove(p);
}

/* The SHA-256 of a regular file (side thread), of a compressed one (its
 * compressed bytes), and of a stream read only in part (the rest is read
 * for the digest). */
static void
test_sha256(void)
{
	GString *t = make_text(20000, FALSE);
	GBytes *z = xz_of(t->str, t->len);
	size_t zn;
	const char *zd = g_bytes_get_data(z, &zn);
	g_autofree char *p = put_file("h.csv", t->str, t->len);
	g_autofree char *pz = put_file("h.csv.xz", zd, zn);
	const char *paths[2] = { p, pz };
	const char *datas[2] = { t->str, zd };
	size_t lens[2] = { t->len, zn };
	for (int k = 0; k < 2; k++) {
		GError *err = NULL;
		struct kith_input *in = kith_input_open(paths[k],
		                                        KITH_INPUT_SHA256, &err);
		g_assert_no_error(err);
		GString *got = drain(in, 0, &err);
		g_assert_no_error(err);
		int64_t bytes = 0;
		g_autofree char *sha = kith_input_sha256(in, &bytes, &err);
		g_assert_no_error(err);
		g_autofree char *want = g_compute_checksum_for_data(
		    G_CHECKSUM_SHA256, (const guchar *)datas[k], lens[k]);
		g_assert_cmpstr(sha, ==, want);
		g_assert_cmpint(bytes, ==, (int64_t)lens[k]);
		g_string_free(got, TRUE);
		kith_input_close(in);
	}
	int fds[2];
	g_assert_cmpint(pipe(fds), ==, 0);
	struct writer w = { NULL, fds[1], t->str, t->len, 0 };
	GThread *th = g_thread_new("writer", writer_main, &w);
	GError *err = NULL;
	struct kith_input *in = kith_input_open_fd(fds[0], "pipe", TRUE,
	                                           KITH_INPUT_SHA256, &err);
	char buf[1000];
	g_assert_cmpint(kith_input_read(in, buf, sizeof buf, &err), >, 0);
	g_autofree char *sha = kith_input_sha256(in, NULL, &err);
	g_assert_no_error(err);
	g_autofree char *want = g_compute_checksum_for_data(
	    G_CHECKSUM_SHA256, (const guchar *)t->str, t->len);
	g_assert_cmpstr(sha, ==, want);
	g_thread_join(th);
	kith_input_close(in);
	/* no flag, no digest */
	in = kith_input_open(p, 0, &err);
	g_assert_null(kith_input_sha256(in, NULL, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	kith_input_close(in);
	g_bytes_unref(z);
	g_string_free(t, TRUE);
}

static void
test_read_all(void)
{
	static const char text[] = "\xef\xbb\xbf" "alice\nbob\n";
	GBytes *z = zstd_of(text, sizeof text - 1);
	g_autofree char *p = put_file("ids.zst", g_bytes_get_data(z, NULL),
	                              g_bytes_get_size(z));
	GError *err = NULL;
	size_t n = 0;
	g_autofree char *s = kith_input_read_all(p, 0, &n, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(s, ==, "alice\nbob\n");
	g_assert_cmpuint(n, ==, 10);
	g_assert_null(kith_input_read_all(p, 5, NULL, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_LIMIT);
	g_clear_error(&err);
	g_bytes_unref(z);
}

/* The row estimate of a compressed file from its first MiB of text. */
static void
test_count_rows(void)
{
	GString *t = make_text(100000, FALSE);
	GBytes *z = gzip_of(t->str, t->len);
	g_autofree char *p = put_file("rows.gz", g_bytes_get_data(z, NULL),
	                              g_bytes_get_size(z));
	int64_t size = 0;
	GError *err = NULL;
	int64_t rows = kith_memest_count_rows(p, 1 << 20, &size, &err);
	g_assert_no_error(err);
	g_assert_cmpint(size, ==, (int64_t)g_bytes_get_size(z));
	g_assert_cmpint(rows, >, 100001 * 8 / 10);
	g_assert_cmpint(rows, <, 100001 * 12 / 10);
	g_bytes_unref(z);
	g_string_free(t, TRUE);
}

/* A FIFO without a writer: the open waits, an interrupt ends it (in a
 * subprocess: the interrupt flag stays set). */
static gpointer
interrupt_later(gpointer p)
{
	(void)p;
	g_usleep(300000);
	kith_interrupt_request();
	return NULL;
}

static void
test_interrupt(void)
{
	if (g_test_subprocess()) {
		g_autofree char *p = g_build_filename(tmpdir, "lonely", NULL);
		g_assert_cmpint(mkfifo(p, 0600), ==, 0);
		GThread *th = g_thread_new("interrupt", interrupt_later, NULL);
		double t0 = kith_now();
		GError *err = NULL;
		g_assert_null(kith_input_open(p, 0, &err));
		g_assert_error(err, KITH_ERROR, KITH_ERROR_INTERRUPTED);
		g_assert_cmpfloat(kith_now() - t0, <, 1.5);
		g_thread_join(th);
		g_clear_error(&err);
		g_remove(p);
		return;
	}
	g_test_trap_subprocess(NULL, 10 * G_USEC_PER_SEC, 0);
	g_test_trap_assert_passed();
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("kith-test-input-XXXXXX", NULL);
	g_test_add_func("/input/plain", test_plain);
	g_test_add_func("/input/gzip", test_gzip);
	g_test_add_func("/input/xz", test_xz);
	g_test_add_func("/input/zstd", test_zstd);
	g_test_add_func("/input/gzip-truncated", test_gzip_truncated);
	g_test_add_func("/input/xz-truncated", test_xz_truncated);
	g_test_add_func("/input/zstd-truncated", test_zstd_truncated);
	g_test_add_func("/input/mutations", test_mutations);
	g_test_add_func("/input/utf16", test_utf16);
	g_test_add_func("/input/refused", test_refused);
	g_test_add_func("/input/pipe", test_pipe);
	g_test_add_func("/input/csv-stream", test_csv_stream);
	g_test_add_func("/input/fifo", test_fifo);
	g_test_add_func("/input/sha256", test_sha256);
	g_test_add_func("/input/read-all", test_read_all);
	g_test_add_func("/input/count-rows", test_count_rows);
	g_test_add_func("/input/interrupt", test_interrupt);
	return test_run_and_remove(tmpdir);
}
