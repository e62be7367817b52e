/*
 * The users and items files of a distributed ingest (mpirun -np P kith
 * ingest), a service of the driver (ingest.c) beside the events, social
 * and features reader (ingest-dist.c).
 *
 * These files decide row by row against the rows before them (a user
 * listed twice is a reject, and before the age of a MovieLens row is
 * checked; an item listed twice is merged) and their rows end on rank
 * 0, which writes them into the store.  So
 * the ranks tokenize and rank 0 decides: the file is cut as the events
 * file is (ingest_dist_cut(), after rank 0's header), each rank but 0
 * reads its part into packed records (line, byte offset, the
 * tokenizer's verdict, the raw bytes and the fields), and rank 0 runs
 * the single-process reader (ingest-files.c) over its own part, then
 * over the other ranks' records in rank order, which ingest_next() takes
 * from here (struct ingest_source).  Every verdict, reject, FILE:LINE,
 * count and id number is the single process's.  Rank q sends its
 * records when rank 0 asks for them, so a job stopped by a bad row does
 * not send the rest; a rank that could not read its part sends the
 * records before the failure and the failure, which rank 0 reports when
 * it gets there.  A quoted field over a cut fails the job, as in the
 * events file.  A file that cannot be mapped (a stream, compressed) is
 * read whole by rank 0.
 *
 * Cost: each rank tokenizes about 1/P of the bytes; rank 0 receives the
 * other parts once as packed records (the raw lines and about 8 bytes
 * each, one rank's part at a time) and makes the id lookups of the whole
 * file, as one process does: these files have a row per user or item,
 * and rank 0 holds the ids anyway.
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
	int64_t st[INGEST_STATS];   /* its line counts
	                             * (ingest_stats_pack()) */
};

/* A packed record, in unsigned LEB128 numbers: its physical line and
 * byte offset (as steps from the record before), the lines it spans,
 * the tokenizer's verdict, the raw bytes (their length, then them) and
 * the fields (their count, then each as 2 x its start in the raw bytes
 * and its length, or, when the tokenizer rewrote it (quotes), 2 x its
 * length + 1 and its bytes).  About 8 bytes beside the raw line. */
struct packer {
	guint8 *p;
	size_t len, cap;
	int64_t line, offset;   /* of the record before */
};

struct ingest_feed {
	struct ingest_source src;
	int64_t stop;           /* rank 0's part ends at this byte */
	int64_t size;
	gboolean remote;        /* rank 0's part is done */
	int next;               /* the next rank to ask */
	char *buf;              /* the records of rank next - 1 */
	size_t len, pos;
	int64_t line, offset;   /* of the record before */
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
	return k == INGEST_PART_USERS ? o->users : o->items;
}

static gboolean
side_read(struct ingest_ctx *c, int k, GError **error)
{
	return k == INGEST_PART_USERS ? ingest_read_users(c, error)
	                              : ingest_read_items(c, error);
}

static void
put_room(struct packer *k, size_t n)
{
	if (k->len + n <= k->cap)
		return;
	k->cap = MAX(2 * k->cap, k->len + n + 4096);
	k->p = g_realloc(k->p, k->cap);
}

static void
put_num(struct packer *k, uint64_t v)
{
	put_room(k, 10);
	while (v >= 0x80) {
		k->p[k->len++] = (guint8)(v | 0x80);
		v >>= 7;
	}
	k->p[k->len++] = (guint8)v;
}

static void
put_bytes(struct packer *k, const void *s, size_t n)
{
	put_room(k, n);
	memcpy(k->p + k->len, s, n);
	k->len += n;
}

static void
pack_record(struct packer *k, const struct kith_csv_record *rec)
{
	put_num(k, (uint64_t)(rec->line - k->line));
	put_num(k, (uint64_t)(rec->offset - k->offset));
	k->line = rec->line;
	k->offset = rec->offset;
	put_num(k, (uint64_t)rec->n_lines);
	put_num(k, (uint64_t)rec->reason);
	put_num(k, rec->raw_len);
	put_bytes(k, rec->raw, rec->raw_len);
	int nf = rec->reason == KITH_CSV_OK ? rec->n_fields : 0;
	put_num(k, (uint64_t)nf);
	for (int j = 0; j < nf; j++) {
		const char *f = rec->field[j];
		size_t l = rec->len[j];
		if (f >= rec->raw && f + l <= rec->raw + rec->raw_len) {
			put_num(k, 2 * (uint64_t)(f - rec->raw));
			put_num(k, l);
		} else {
			put_num(k, 2 * (uint64_t)l + 1);
			put_bytes(k, f, l);
		}
	}
}

/* Rank q > 0: the records of bytes [lo, hi) of the file R reads into B;
 * ST its line counts.  FALSE with error when the part could not be read
 * (B holds the records before). */
static gboolean
read_part(struct kith_csv *from, int64_t size, int64_t lo, int64_t line,
          int64_t hi, struct packer *b, struct kith_csv_stats *st,
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
send_part(const struct packer *b, const struct kith_csv_stats *st,
          const GError *err, GError **error)
{
	int64_t go = 0;
	if (!kith_dist_recv(&go, sizeof go, 0, error))
		return FALSE;
	if (!go)
		return TRUE;
	struct part_head h;
	memset(&h, 0, sizeof h);
	h.bytes = (int64_t)b->len;
	h.code = err ? (err->code ? err->code : KITH_ERROR_IO) : 0;
	h.msg = err ? (int64_t)strlen(err->message) : 0;
	ingest_stats_pack(h.st, st);
	return kith_dist_send(&h, sizeof h, 0, error) &&
	       kith_dist_send(b->p, b->len, 0, error) &&
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
	fd->line = fd->offset = 0;
	if (!kith_dist_send(&go, sizeof go, q, error) ||
	    !kith_dist_recv(&h, sizeof h, q, error))
		return FALSE;
	fd->buf = g_malloc((size_t)h.bytes + 1);
	if (!kith_dist_recv(fd->buf, (size_t)h.bytes, q, error))
		return FALSE;
	fd->len = (size_t)h.bytes;
	struct kith_csv_stats st;
	memset(&st, 0, sizeof st);
	ingest_stats_unpack(&st, h.st);
	ingest_add_stats(&fd->st, &st);
	if (h.code) {
		g_autofree char *msg = g_malloc0((size_t)h.msg + 1);
		if (!kith_dist_recv(msg, (size_t)h.msg, q, error))
			return FALSE;
		g_set_error(&fd->pending, KITH_ERROR, (int)h.code, "%s", msg);
	}
	return TRUE;
}

static uint64_t
get_num(const guint8 **p)
{
	uint64_t v = 0;
	for (int sh = 0;; sh += 7) {
		guint8 b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << sh;
		if (!(b & 0x80))
			return v;
	}
}

/* The next packed record of the feed into REC. */
static void
unpack_record(struct ingest_feed *fd, struct kith_csv_record *rec)
{
	const guint8 *p = (const guint8 *)fd->buf + fd->pos;
	memset(rec, 0, sizeof *rec);
	fd->line += (int64_t)get_num(&p);
	fd->offset += (int64_t)get_num(&p);
	rec->line = fd->line;
	rec->offset = fd->offset;
	rec->n_lines = (int64_t)get_num(&p);
	rec->reason = (enum kith_csv_reason)get_num(&p);
	rec->raw_len = (size_t)get_num(&p);
	rec->raw = (const char *)p;
	p += rec->raw_len;
	int nf = (int)get_num(&p);
	if (nf > fd->cap) {
		fd->cap = nf;
		fd->field = g_renew(const char *, fd->field, fd->cap);
		fd->flen = g_renew(size_t, fd->flen, fd->cap);
	}
	for (int j = 0; j < nf; j++) {
		uint64_t t = get_num(&p);
		if (t & 1) {
			fd->flen[j] = (size_t)(t >> 1);
			fd->field[j] = (const char *)p;
			p += fd->flen[j];
		} else {
			fd->field[j] = rec->raw + (t >> 1);
			fd->flen[j] = (size_t)get_num(&p);
		}
	}
	rec->n_fields = nf;
	rec->field = fd->field;
	rec->len = fd->flen;
	fd->pos = (size_t)((const char *)p - fd->buf);
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
		struct packer b = { 0 };
		struct kith_csv_stats st;
		GError *err = NULL;
		read_part(r, h.size, c->dist_bytes[k][me], c->dist_lines[k][me],
		          c->dist_bytes[k][me + 1], &b, &st, &err);
		g_clear_pointer(&r, kith_csv_close);
		ok = send_part(&b, &st, err, error);
		g_free(b.p);
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
