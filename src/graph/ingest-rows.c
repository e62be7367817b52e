/*
 * kith ingest, the row accounting every reader service shares (events:
 * ingest-events.c, the other files: ingest-files.c): opening a file and
 * its accounting slot, the next record that the tokenizer accepted, a
 * rejected row (FILE:LINE: reason, or a line of rejects.tsv under
 * --on-error skip, and the --max-rejects limits), and closing a file
 * (its statistics and the SHA-256 of the bytes read).  Per file:
 * lines = header + comments + blank + accepted + rejected.  Nothing
 * here calls the driver (ingest.c) or another service.  Cost: O(1) per
 * record beside the reader's own.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#define KITH_SSE2 1
#endif

#include "kith/core.h"
#include "kith/input.h"
#include "kith/ingest.h"
#include "ingest-internal.h"

#define EXCERPT_BYTES 120

gboolean
ingest_check_limit(struct ingest_ctx *c, GError **error)
{
	const struct kith_ingest_options *o = c->opt;
	if (o->max_rejects >= 0 && c->res->n_rejected > o->max_rejects) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_LIMIT,
		            "more than %" G_GINT64_FORMAT " rejected rows "
		            "(--max-rejects)", o->max_rejects);
		return FALSE;
	}
	return TRUE;
}

gboolean
ingest_check_pct(struct ingest_ctx *c, GError **error)
{
	const struct kith_ingest_options *o = c->opt;
	if (o->max_rejects_pct < 0 || c->n_records == 0)
		return TRUE;
	double pct = 100.0 * (double)c->res->n_rejected / (double)c->n_records;
	if (pct > o->max_rejects_pct) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_LIMIT,
		            "%.2f%% of rows rejected, more than %g%% "
		            "(--max-rejects)", pct, o->max_rejects_pct);
		return FALSE;
	}
	return TRUE;
}

gboolean
ingest_reject(struct ingest_ctx *c, struct kith_ingest_file *f,
              const struct kith_csv_record *rec, enum kith_csv_reason why,
              const char *column, GError **error)
{
	f->rejected[why]++;
	c->res->n_rejected++;
	if (!c->opt->skip_errors) {
		GString *ex = g_string_new(NULL);
		kith_csv_escape(ex, rec->raw, rec->raw_len, EXCERPT_BYTES);
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "%s:%" G_GINT64_FORMAT ": %s%s%s%s ('%s')", f->path,
		            rec->line, kith_csv_reason_text(why),
		            column ? " in column '" : "", column ? column : "",
		            column ? "'" : "", ex->str);
		g_string_free(ex, TRUE);
		return FALSE;
	}
	GString *r = c->res->rejects;
	kith_csv_escape(r, f->path, strlen(f->path), 4096);
	g_string_append_printf(r, "\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT
	                       "\t%s\t", rec->line, rec->offset,
	                       kith_csv_reason_name(why));
	if (c->opt->pseudonym_key)
		g_string_append(r, "(redacted)");  /* it may hold user ids */
	else
		kith_csv_escape(r, rec->raw, rec->raw_len, EXCERPT_BYTES);
	g_string_append_c(r, '\n');
	return ingest_check_limit(c, error);
}

/* Opens a file of the ingest and registers its accounting slot. */
struct kith_csv *
ingest_open(struct ingest_ctx *c, const char *kind, const char *path,
            const struct kith_csv_options *copt,
            struct kith_ingest_file **fout, GError **error)
{
	struct kith_ingest_file *f = &c->res->files[c->res->n_files++];
	memset(f, 0, sizeof *f);
	f->kind = kind;
	f->path = g_strdup(path);
	*fout = f;
	/* hashed while read: the manifest gets the bytes this read */
	struct kith_input *in = kith_input_open(path, c->no_hash ? 0
	                                                         : KITH_INPUT_SHA256,
	                                        error);
	if (!in)
		return NULL;
	struct kith_csv *r = kith_csv_open_input(in, copt, error);
	if (!r)
		return NULL;
	f->sep = kith_csv_sep(r);
	f->header = kith_csv_has_header(r);
	return r;
}

/* Next record without a tokenizer-level problem: 1, 0 at EOF, -1 on
 * error (I/O, stop on first error, limit). */
int
ingest_next(struct ingest_ctx *c, struct kith_ingest_file *f,
            struct kith_csv *r, struct kith_csv_record *rec, GError **error)
{
	for (;;) {
		const struct ingest_source *so = c->source;
		int rc = so ? so->next(so->data, r, rec, error)
		            : kith_csv_next(r, rec, error);
		if (rc <= 0)
			return rc;
		c->n_records++;
		c->last_reason = rec->reason;
		c->last_line = rec->line;
		if (rec->reason == KITH_CSV_OK)
			return 1;
		if (!ingest_reject(c, f, rec, rec->reason, NULL, error))
			return -1;
	}
}

/* Ends a file with the given statistics: fails on an empty or header-
 * only file, takes the SHA-256 and size of R's file, checks the
 * percentage limit. */
gboolean
ingest_close_stats(struct ingest_ctx *c, struct kith_ingest_file *f,
                   struct kith_csv *r, const struct kith_csv_stats *st,
                   GError **error)
{
	int i = (int)(f - c->res->files);
	f->st = *st;
	if (st->records_ok + st->records_bad == 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "%s: %s",
		            f->path, kith_csv_reason_text(st->header
		                                          ? KITH_CSV_HEADER_ONLY
		                                          : KITH_CSV_EMPTY_FILE));
		return FALSE;
	}
	int64_t rej = 0;
	for (int k = 0; k < KITH_CSV_N_REASONS; k++)
		rej += f->rejected[k];
	f->accepted = f->st.records_ok + f->st.records_bad - rej;
	g_free(c->sha[i]);
	c->sha[i] = kith_input_sha256(kith_csv_input(r), &c->size[i], error);
	if (!c->sha[i])
		return FALSE;
	return ingest_check_pct(c, error);
}

/* Ends a file read by one reader. */
gboolean
ingest_close(struct ingest_ctx *c, struct kith_ingest_file *f,
             struct kith_csv *r, GError **error)
{
	struct kith_csv_stats st;
	if (!c->source)
		return ingest_close_stats(c, f, r, kith_csv_stats(r), error);
	c->source->stats(c->source->data, r, &st);
	return ingest_close_stats(c, f, r, &st, error);
}

/* ---- a file in parts (the distributed ingest, ingest-dist.c) ---- */

/* Line feeds in [s, e): with SSE2, 64 bytes per step as four 16-byte
 * compares whose byte lanes count matches (at most 4 per step, so 63
 * steps fit a byte) and are summed by psadbw; the tail byte by byte. */
int64_t
ingest_count_lf(const char *s, const char *e)
{
	int64_t n = 0;
#ifdef KITH_SSE2
	const __m128i lf = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
	while (e - s >= 64) {
		int64_t blocks = (e - s) / 64;
		if (blocks > 63)
			blocks = 63;
		__m128i acc = zero;
		for (int64_t b = 0; b < blocks; b++, s += 64) {
			__m128i x0 = _mm_loadu_si128((const __m128i *)s);
			__m128i x1 = _mm_loadu_si128((const __m128i *)(s + 16));
			__m128i x2 = _mm_loadu_si128((const __m128i *)(s + 32));
			__m128i x3 = _mm_loadu_si128((const __m128i *)(s + 48));
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(x0, lf));
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(x1, lf));
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(x2, lf));
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(x3, lf));
		}
		__m128i sad = _mm_sad_epu8(acc, zero);
		n += _mm_cvtsi128_si64(sad) +
		     _mm_cvtsi128_si64(_mm_unpackhi_epi64(sad, sad));
	}
#endif
	for (; s < e; s++)
		n += *s == '\n';
	return n;
}

void
ingest_add_stats(struct kith_csv_stats *a, const struct kith_csv_stats *b)
{
	a->lines += b->lines;
	a->header += b->header;
	a->comments += b->comments;
	a->blank += b->blank;
	a->records_ok += b->records_ok;
	a->records_bad += b->records_bad;
	a->physical_lines += b->physical_lines;
	a->bytes += b->bytes;
}

void
ingest_file_read_stats(const struct ingest_file_read *fr,
                       struct kith_csv_stats *st)
{
	*st = fr->st;
	if (fr->prefixed)
		ingest_add_stats(st, kith_csv_stats(fr->r));
	if (fr->split)
		st->bytes = ingest_file_size(fr->r);
}

gboolean
ingest_file_read_close(struct ingest_file_read *fr,
                       const struct kith_csv_stats *st, GError **error)
{
	struct kith_csv_stats all;
	if (!st && !fr->split)
		return ingest_close(fr->c, fr->f, fr->r, error);
	if (!st) {
		ingest_file_read_stats(fr, &all);
		st = &all;
	}
	return ingest_close_stats(fr->c, fr->f, fr->r, st, error);
}

int64_t
ingest_file_size(struct kith_csv *r)
{
	int64_t size = 0;
	if (kith_input_map_fd(kith_csv_input(r), &size) < 0 || size <= 0)
		return -1;
	return size;
}

/* Maps R's file (mappable, SIZE bytes); NULL with error. */
static char *
map_file(struct kith_csv *r, int64_t size, GError **error)
{
	int64_t sz;
	int fd = kith_input_map_fd(kith_csv_input(r), &sz);
	char *map = fd < 0 ? MAP_FAILED
	          : mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map != MAP_FAILED)
		return map;
	g_set_error(error, KITH_ERROR, KITH_ERROR_IO, "cannot map '%s': %s",
	            kith_input_name(kith_csv_input(r)),
	            fd < 0 ? "not a regular file" : g_strerror(errno));
	return NULL;
}

int64_t
ingest_file_lines(struct kith_csv *r, int64_t lo, int64_t hi, GError **error)
{
	int64_t size = ingest_file_size(r);
	if (hi <= lo)
		return 0;
	char *map = map_file(r, size, error);
	if (!map)
		return -1;
	int64_t n = ingest_count_lf(map + lo, map + hi);
	munmap(map, (size_t)size);
	return n;
}

int64_t
ingest_file_cut(struct kith_csv *r, int64_t pos, GError **error)
{
	int64_t size = ingest_file_size(r);
	if (pos <= 0 || pos >= size)
		return pos <= 0 ? 0 : size;
	char *map = map_file(r, size, error);
	if (!map)
		return -1;
	const char *q = memchr(map + pos - 1, '\n', (size_t)(size - pos + 1));
	int64_t cut = q ? q + 1 - map : size;
	munmap(map, (size_t)size);
	return cut;
}

void
ingest_stats_pack(int64_t *v, const struct kith_csv_stats *st)
{
	v[0] = st->lines;
	v[1] = st->header;
	v[2] = st->comments;
	v[3] = st->blank;
	v[4] = st->records_ok;
	v[5] = st->records_bad;
	v[6] = st->physical_lines;
}

void
ingest_stats_unpack(struct kith_csv_stats *st, const int64_t *v)
{
	st->lines = v[0];
	st->header = v[1];
	st->comments = v[2];
	st->blank = v[3];
	st->records_ok = v[4];
	st->records_bad = v[5];
	st->physical_lines = v[6];
}

int
ingest_read_prefix(struct ingest_file_read *fr, gboolean split,
                   ingest_record_fn fn, void *data, int64_t *off,
                   int64_t *line, GError **error)
{
	struct kith_csv_record rec;
	int64_t size = ingest_file_size(fr->r);
	int rc;
	fr->prefixed = TRUE;
	while ((rc = ingest_next(fr->c, fr->f, fr->r, &rec, error)) > 0) {
		if (!fn(data, &rec, error))
			return -1;
		if (!split || size < 0)
			continue;
		*off = kith_csv_tell(fr->r, line);
		if (*off < size) {
			fr->split = TRUE;
			return 1;
		}
	}
	return rc < 0 ? -1 : 0;
}

void
ingest_past_cut(GError **error, const char *path, int64_t line, int64_t cut)
{
	g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
	            "%s:%" G_GINT64_FORMAT ": a quoted field runs past byte %"
	            G_GINT64_FORMAT ", where the file was cut between ranks; "
	            "ingest it with fewer ranks or in one process", path, line,
	            cut);
}

gboolean
ingest_read_range(struct ingest_ctx *c, struct kith_ingest_file *f,
                  struct kith_csv *from, int64_t lo, int64_t line,
                  int64_t hi, ingest_record_fn fn, void *data,
                  struct kith_csv_stats *st, GError **error)
{
	int64_t size = ingest_file_size(from);
	if (lo >= hi)
		return TRUE;
	g_autoptr(kith_csv) r = kith_csv_open_at(from, lo, line,
	                                         hi < size ? hi : -1, error);
	if (!r)
		return FALSE;
	struct kith_csv_record rec;
	int rc;
	c->last_reason = KITH_CSV_OK;
	while ((rc = ingest_next(c, f, r, &rec, error)) > 0)
		if (!fn(data, &rec, error))
			return FALSE;
	ingest_add_stats(st, kith_csv_stats(r));
	if (hi < size && c->last_reason == KITH_CSV_UNTERMINATED_QUOTE) {
		/* a quoted field runs past the cut: the next part started
		 * inside it */
		g_clear_error(error);
		ingest_past_cut(error, f->path, c->last_line, hi);
		return FALSE;
	}
	return rc == 0;
}
