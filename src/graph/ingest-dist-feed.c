/*
 * The users, items and user features files of a distributed ingest
 * (mpirun -np P kith ingest), a service of the driver (ingest.c) beside
 * the events and social reader (ingest-dist.c).
 *
 * These files decide row by row against the rows before them (a user
 * listed twice is a reject, an item listed twice is merged, the first
 * bad row stops the job, ids are numbered in order of first appearance)
 * and their rows end on rank 0, which writes them into the store.  So
 * the ranks tokenize and rank 0 decides: the file is cut as the events
 * file is (ingest_dist_cut(), after rank 0's header), each rank but 0
 * reads its part into packed records (line, byte offset, the
 * tokenizer's verdict, the raw bytes and the fields), and rank 0 runs
 * the single-process reader (ingest-files.c) over its own part, then
 * over the other ranks' records in rank order, which ingest_next() takes
 * from here (struct ingest_source).  Every verdict, reject, FILE:LINE, count and
 * id number is the single process's.  Rank q sends its records when rank
 * 0 asks for them, so a job stopped by a bad row does not send the rest;
 * a rank that could not read its part sends the records before the
 * failure and the failure, which rank 0 reports when it gets there.  A
 * quoted field over a cut fails the job, as in the events file.  A file
 * that cannot be mapped (a stream, compressed) is read whole by rank 0.
 *
 * Cost: each rank tokenizes about 1/P of the bytes; rank 0 receives
 * the other parts once as packed records (about twice their bytes, one
 * rank's part at a time) and makes the id lookups of the whole file, as
 * one process does.
 */
#include <string.h>
#include <sys/stat.h>

#include "kith/core.h"
#include "kith/dist.h"
#include "kith/ingest.h"
#include "ingest-internal.h"

/* Rank 0's view of the file, broadcast to the others. */
struct side_head {
	int64_t split;          /* 1: read in parts; 0: rank 0 reads it */
	int64_t size;           /* bytes of the file */
	int64_t off, line;      /* where the records start (after the
	                         * header) */
};

/* What a rank sends before its records. */
struct part_head {
	int64_t bytes;          /* of the packed records */
	int64_t code;           /* 0, or the error code of its failure */
	int64_t msg;            /* bytes of the error message */
	int64_t st[7];          /* its line counts (struct kith_csv_stats
	                         * without bytes) */
};

/* A packed record: struct rec_head, the raw bytes, then per field a
 * uint32 length and the bytes. */
struct rec_head {
	int64_t line, n_lines, offset;
	int32_t reason, n_fields;
	uint32_t raw_len;
};

struct ingest_feed {
	struct ingest_source src;
	int64_t stop;           /* rank 0's part ends at this byte */
	int64_t size;
	gboolean remote;        /* rank 0's part is done */
	int next;               /* the next rank to ask */
	char *buf;              /* the records of rank next - 1 */
	size_t len, pos;
	GError *pending;        /* that rank's failure, after its records */
	struct kith_csv_stats st;   /* the other ranks' line counts */
	const char **field;
	size_t *flen;
	int cap;
};

static const char *
side_path(const struct ingest_ctx *c, int k)
{
	const struct kith_ingest_options *o = c->opt;
	return k == INGEST_PART_USERS ? o->users
	     : k == INGEST_PART_ITEMS ? o->items : o->user_features;
}

static gboolean
side_read(struct ingest_ctx *c, int k, GError **error)
{
	return k == INGEST_PART_USERS ? ingest_read_users(c, error)
	     : k == INGEST_PART_ITEMS ? ingest_read_items(c, error)
	                              : ingest_read_features(c, error);
}

static void
stats_pack(int64_t *v, const struct kith_csv_stats *st)
{
	v[0] = st->lines;
	v[1] = st->header;
	v[2] = st->comments;
	v[3] = st->blank;
	v[4] = st->records_ok;
	v[5] = st->records_bad;
	v[6] = st->physical_lines;
}

static void
stats_unpack(struct kith_csv_stats *st, const int64_t *v)
{
	memset(st, 0, sizeof *st);
	st->lines = v[0];
	st->header = v[1];
	st->comments = v[2];
	st->blank = v[3];
	st->records_ok = v[4];
	st->records_bad = v[5];
	st->physical_lines = v[6];
}

static void
pack_record(GByteArray *b, const struct kith_csv_record *rec)
{
	struct rec_head h;
	memset(&h, 0, sizeof h);
	h.line = rec->line;
	h.n_lines = rec->n_lines;
	h.offset = rec->offset;
	h.reason = (int32_t)rec->reason;
	h.n_fields = rec->reason == KITH_CSV_OK ? rec->n_fields : 0;
	h.raw_len = (uint32_t)rec->raw_len;
	g_byte_array_append(b, (const guint8 *)&h, sizeof h);
	g_byte_array_append(b, (const guint8 *)rec->raw, (guint)rec->raw_len);
	for (int j = 0; j < h.n_fields; j++) {
		uint32_t l = (uint32_t)rec->len[j];
		g_byte_array_append(b, (const guint8 *)&l, sizeof l);
		g_byte_array_append(b, (const guint8 *)rec->field[j], l);
	}
}

/* Rank q > 0: the records of bytes [lo, hi) of the file R reads into B;
 * ST its line counts.  FALSE with error when the part could not be read
 * (B holds the records before). */
static gboolean
read_part(struct kith_csv *from, int64_t size, int64_t lo, int64_t line,
          int64_t hi, GByteArray *b, struct kith_csv_stats *st,
          GError **error)
{
	memset(st, 0, sizeof *st);
	if (lo >= hi)
		return TRUE;
	g_autoptr(kith_csv) r = kith_csv_open_at(from, lo, line,
	                                         hi < size ? hi : -1, error);
	if (!r)
		return FALSE;
	struct kith_csv_record rec;
	enum kith_csv_reason last = KITH_CSV_OK;
	int64_t last_line = line;
	int rc;
	while ((rc = kith_csv_next(r, &rec, error)) > 0) {
		pack_record(b, &rec);
		last = rec.reason;
		last_line = rec.line;
	}
	*st = *kith_csv_stats(r);
	if (rc == 0 && hi < size && last == KITH_CSV_UNTERMINATED_QUOTE) {
		ingest_past_cut(error, kith_csv_name(from), last_line, hi);
		return FALSE;
	}
	return rc == 0;
}

/* Rank q > 0: waits for rank 0's word, then sends its part (the
 * records in B, its line counts ST and its failure ERR). */
static gboolean
send_part(GByteArray *b, const struct kith_csv_stats *st, const GError *err,
          GError **error)
{
	int64_t go = 0;
	if (!kith_dist_recv(&go, sizeof go, 0, error))
		return FALSE;
	if (!go)
		return TRUE;
	struct part_head h;
	memset(&h, 0, sizeof h);
	h.bytes = b->len;
	h.code = err ? (err->code ? err->code : KITH_ERROR_IO) : 0;
	h.msg = err ? (int64_t)strlen(err->message) : 0;
	stats_pack(h.st, st);
	return kith_dist_send(&h, sizeof h, 0, error) &&
	       kith_dist_send(b->data, b->len, 0, error) &&
	       (!err || kith_dist_send(err->message, (size_t)h.msg, 0, error));
}

/* Rank 0: asks rank q for its part and receives it into the feed. */
static gboolean
fetch_part(struct ingest_feed *fd, int q, GError **error)
{
	int64_t go = 1;
	struct part_head h;
	g_clear_pointer(&fd->buf, g_free);
	fd->len = fd->pos = 0;
	if (!kith_dist_send(&go, sizeof go, q, error) ||
	    !kith_dist_recv(&h, sizeof h, q, error))
		return FALSE;
	fd->buf = g_malloc((size_t)h.bytes + 1);
	if (!kith_dist_recv(fd->buf, (size_t)h.bytes, q, error))
		return FALSE;
	fd->len = (size_t)h.bytes;
	struct kith_csv_stats st;
	stats_unpack(&st, h.st);
	ingest_add_stats(&fd->st, &st);
	if (h.code) {
		g_autofree char *msg = g_malloc0((size_t)h.msg + 1);
		if (!kith_dist_recv(msg, (size_t)h.msg, q, error))
			return FALSE;
		g_set_error(&fd->pending, KITH_ERROR, (int)h.code, "%s", msg);
	}
	return TRUE;
}

/* The next packed record of the feed into REC. */
static void
unpack_record(struct ingest_feed *fd, struct kith_csv_record *rec)
{
	struct rec_head h;
	const char *p = fd->buf + fd->pos;
	memcpy(&h, p, sizeof h);
	p += sizeof h;
	memset(rec, 0, sizeof *rec);
	rec->line = h.line;
	rec->n_lines = h.n_lines;
	rec->offset = h.offset;
	rec->reason = (enum kith_csv_reason)h.reason;
	rec->raw = p;
	rec->raw_len = h.raw_len;
	p += h.raw_len;
	if (h.n_fields > fd->cap) {
		fd->cap = h.n_fields;
		fd->field = g_renew(const char *, fd->field, fd->cap);
		fd->flen = g_renew(size_t, fd->flen, fd->cap);
	}
	for (int j = 0; j < h.n_fields; j++) {
		uint32_t l;
		memcpy(&l, p, sizeof l);
		fd->flen[j] = l;
		fd->field[j] = p + sizeof l;
		p += sizeof l + l;
	}
	rec->n_fields = h.n_fields;
	rec->field = fd->field;
	rec->len = fd->flen;
	fd->pos = (size_t)(p - fd->buf);
}

/* The source's next record: rank 0's up to the first cut, then the
 * other ranks' in rank order. */
static int
feed_next(void *data, struct kith_csv *r, struct kith_csv_record *rec,
          GError **error)
{
	struct ingest_feed *fd = data;
	if (!fd->remote) {
		if (kith_csv_tell(r, NULL) < fd->stop) {
			int rc = kith_csv_next(r, rec, error);
			if (rc > 0 && kith_csv_tell(r, NULL) > fd->stop) {
				ingest_past_cut(error, kith_csv_name(r),
				                rec->line, fd->stop);
				return -1;
			}
			if (rc != 0)
				return rc;
		}
		fd->remote = TRUE;
	}
	while (fd->pos == fd->len) {
		if (fd->pending) {
			g_propagate_error(error, fd->pending);
			fd->pending = NULL;
			return -1;
		}
		if (fd->next >= kith_dist_size())
			return 0;
		if (!fetch_part(fd, fd->next++, error))
			return -1;
	}
	unpack_record(fd, rec);
	return 1;
}

/* The line counts of every rank's part and the file's size. */
static void
feed_stats(void *data, struct kith_csv *r, struct kith_csv_stats *st)
{
	const struct ingest_feed *fd = data;
	*st = *kith_csv_stats(r);
	ingest_add_stats(st, &fd->st);
	st->bytes = fd->size;
}

/* Rank 0 after the file: the ranks it did not ask are told not to send;
 * the feed goes. */
static gboolean
feed_end(struct ingest_ctx *c, struct ingest_feed *fd, GError **error)
{
	gboolean ok = TRUE;
	int64_t go = 0;
	for (int q = fd->next; q < kith_dist_size(); q++)
		ok = ok && kith_dist_send(&go, sizeof go, q, error);
	g_free(fd->buf);
	g_clear_error(&fd->pending);
	g_free(fd->field);
	g_free(fd->flen);
	g_free(fd);
	c->source = NULL;
	return ok;
}

/* Rank 0: whether the file can be read in parts, where its records start
 * (after the header) and its size. */
static void
probe(struct ingest_ctx *c, int k, struct side_head *h, kith_csv **out)
{
	const char *path = side_path(c, k);
	struct stat sb;
	memset(h, 0, sizeof *h);
	*out = NULL;
	if (strcmp(path, "-") == 0 || stat(path, &sb) != 0 ||
	    !S_ISREG(sb.st_mode))
		return;
	struct kith_csv_options copt = ingest_side_csv(c, k);
	kith_csv *r = kith_csv_open(path, &copt, NULL);
	if (!r)
		return;
	h->size = ingest_file_size(r);
	h->off = kith_csv_tell(r, &h->line);
	h->split = h->size > 0 && h->off < h->size;
	if (h->split)
		*out = r;
	else
		kith_csv_close(r);
}

gboolean
ingest_read_side_dist(struct ingest_ctx *c, int k, GError **error)
{
	int me = kith_dist_rank();
	struct side_head h;
	g_autoptr(kith_csv) r = NULL;
	gboolean ok = TRUE;

	memset(&h, 0, sizeof h);
	ingest_dist_parts_new(c, k);
	if (me == 0)
		probe(c, k, &h, &r);
	if (!kith_dist_bcast(&h, sizeof h, error))
		return FALSE;
	if (!h.split) {
		if (me != 0)
			return ingest_dist_settle(TRUE, error);
		int n = c->res->n_files;
		ok = side_read(c, k, error);
		if (ok)
			ingest_dist_whole(c, k, &c->res->files[n]);
		return ingest_dist_settle(ok, error);
	}
	if (me != 0) {
		struct kith_csv_options copt = ingest_side_csv(c, k);
		r = kith_csv_open(side_path(c, k), &copt, error);
		ok = r != NULL;
		if (ok && ingest_file_size(r) != h.size) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
			            "%s: rank %d sees %" G_GINT64_FORMAT " bytes, "
			            "rank 0 %" G_GINT64_FORMAT, side_path(c, k), me,
			            ingest_file_size(r), h.size);
			ok = FALSE;
		}
	}
	if (!ingest_dist_settle(ok, error) ||
	    !ingest_dist_cut(c, k, r, h.size, h.off, h.line, error))
		return FALSE;
	if (me != 0) {
		GByteArray *b = g_byte_array_new();
		struct kith_csv_stats st;
		GError *err = NULL;
		read_part(r, h.size, c->dist_bytes[k][me], c->dist_lines[k][me],
		          c->dist_bytes[k][me + 1], b, &st, &err);
		g_clear_pointer(&r, kith_csv_close);
		ok = send_part(b, &st, err, error);
		g_byte_array_unref(b);
		g_clear_error(&err);
		/* the file's outcome is rank 0's; a failed send is this
		 * rank's */
		return ingest_dist_settle(ok, error);
	}
	g_clear_pointer(&r, kith_csv_close);
	struct ingest_feed *fd = g_new0(struct ingest_feed, 1);
	fd->src.next = feed_next;
	fd->src.stats = feed_stats;
	fd->src.data = fd;
	fd->stop = c->dist_bytes[k][1];
	fd->size = h.size;
	fd->next = 1;
	c->source = &fd->src;
	ok = side_read(c, k, error);
	GError *e = NULL;
	if (!feed_end(c, fd, ok ? error : &e)) {
		ok = FALSE;
		g_clear_error(&e);
	}
	return ingest_dist_settle(ok, error);
}
