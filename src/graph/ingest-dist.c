/*
 * kith ingest over the ranks of an MPI job (mpirun -np P kith ingest), a
 * service of the driver (ingest.c): the events file read in P parts, one
 * per rank, then ids, events and accounting gathered on rank 0, which
 * goes on as a single process does (the other files, the build, the
 * store).  The other ranks end here.
 *
 * Parts.  Rank 0 reads the header and the records up to the first one
 * that fixes the column roles (ingest_events_prefix()) and broadcasts the
 * roles and the offset off0 where that stops.  Cut r is the first line
 * start at or after max(off0, r size / P) (cut 0 = 0, cut P = size); rank
 * r reads bytes [cut r, cut r+1) (rank 0 from off0) as one process reads
 * a file, in parallel and then serially (ingest_events_range()).  Line
 * numbers stay those of the file: each rank counts the line feeds of its
 * part and a sum over the ranks gives each part its first line.  A file
 * that cannot be mapped (stdin, a pipe, compressed, UTF-16) is read
 * whole by rank 0.  A quoted field that runs over a cut fails the job
 * (it cannot be told from an unterminated quote without reading the
 * file in order).
 *
 * Ids.  One process numbers ids in order of first appearance.  Each rank
 * numbers the ids of its part in its own order of first appearance.
 * The owner of an id (hash mod P) receives it from every rank that saw
 * it, in rank order, so the first to send it is the rank whose part holds
 * its first appearance; owners answer "first or not"; rank r's first ids
 * get numbers O_r + k (O_r = first ids of the ranks before r, k their
 * order on rank r); senders hand those to the owners, which answer every
 * sender with the numbers of all its ids.  Rank 0 receives the first
 * ids' names in rank order, so its maps become the single process's.
 * Event types (at most 32) are merged by rank 0 in rank order.
 *
 * Accounting.  Records, rejects per reason and line counts are summed;
 * the rejects.tsv lines are concatenated in rank order (file order); a
 * failure is the job's first in rank order (the first in the file), and
 * rank 0 holds it; the --max-rejects limits are checked on the sums.
 *
 * Cost per rank: O(bytes / P) to read (plus one pass counting its line
 * feeds) and O(ids seen) to exchange: per id map two all-to-alls of
 * counts, four of data (names, first flags, numbers both ways), one sum
 * and a gather of the first ids' names; rank 0 receives the events (21
 * bytes each), the distinct ids and the rejects.
 */
#include <stdlib.h>
#include <string.h>

#include "kith/core.h"
#include "kith/dist.h"
#include "kith/ingest.h"
#include "ingest-internal.h"

/* Rank 0's decisions, broadcast to the others. */
struct head {
	int64_t split;          /* 1: read in parts; 0: rank 0 read it all */
	int64_t size;           /* bytes of the file */
	int64_t off, line;      /* where the parts start after rank 0's
	                         * first records */
	struct ingest_events_roles roles;
};

/* Makes a step's outcome common.  TRUE when every rank passed ok.  Else
 * FALSE everywhere: rank 0 holds the error of the lowest failing rank
 * (its code and message), the others an error that only says so (the
 * CLI leaves the report to rank 0). */
static gboolean
settle(gboolean ok, GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	int64_t first = ok ? P : me;
	GError *e = NULL;
	if (!kith_dist_allreduce_i64(&first, 1, KITH_DIST_MIN, &e)) {
		if (ok)
			g_propagate_error(error, e);
		else
			g_error_free(e);
		return FALSE;
	}
	if (first == P)
		return TRUE;
	/* the failing rank's code and message to rank 0 */
	g_autofree int64_t *count = g_new0(int64_t, P);
	g_autofree char *msg = NULL;
	int64_t n = 0;
	if (me == first) {
		msg = g_strdup_printf("%08d%s", error && *error ? (*error)->code
		                                                : KITH_ERROR_IO,
		                      error && *error ? (*error)->message
		                                      : "failed");
		n = (int64_t)strlen(msg);
	}
	int64_t n_first = n;
	if (!kith_dist_allreduce_i64(&n_first, 1, KITH_DIST_MAX, &e)) {
		g_clear_error(error);
		g_propagate_error(error, e);
		return FALSE;
	}
	count[first] = n_first;
	g_autofree char *got = g_malloc0((size_t)n_first + 1);
	if (!kith_dist_gatherv(msg, n, got, count, 1, &e)) {
		g_clear_error(error);
		g_propagate_error(error, e);
		return FALSE;
	}
	if (me == 0 && first != 0 && n_first >= 8) {
		char num[9];
		memcpy(num, got, 8);
		num[8] = '\0';
		g_clear_error(error);
		g_set_error_literal(error, KITH_ERROR, (int)atoi(num), got + 8);
	} else if (me != 0 && me != first) {
		g_clear_error(error);
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "rank %d failed", (int)first);
	}
	return FALSE;
}

/* Rank 0 receives the N bytes of BUF of every rank, in rank order, into
 * *out (g_malloc'd, NUL-terminated) and their lengths into lens (P
 * entries); elsewhere *out is NULL. */
static gboolean
gather_bytes(const void *buf, int64_t n, char **out, int64_t *lens,
             GError **error)
{
	int P = kith_dist_size();
	g_autofree int64_t *ones = g_new(int64_t, P);
	for (int q = 0; q < P; q++)
		ones[q] = 1;
	*out = NULL;
	if (!kith_dist_gatherv(&n, 1, lens, ones, sizeof(int64_t), error))
		return FALSE;
	int64_t total = 0;
	if (kith_dist_rank() == 0)
		for (int q = 0; q < P; q++)
			total += lens[q];
	char *all = kith_dist_rank() == 0 ? g_malloc((size_t)total + 1) : NULL;
	if (!kith_dist_gatherv(buf, n, all, lens, 1, error)) {
		g_free(all);
		return FALSE;
	}
	if (all)
		all[total] = '\0';
	*out = all;
	return TRUE;
}

/* Keys [from, to) of M as records: 4-byte length, then the bytes. */
static void
pack_keys(GByteArray *b, const struct kith_idmap *m, const int64_t *keys,
          int64_t n)
{
	for (int64_t j = 0; j < n; j++) {
		uint32_t len = (uint32_t)kith_idmap_key_len(m, keys[j]);
		g_byte_array_append(b, (const guint8 *)&len, sizeof len);
		g_byte_array_append(b, (const guint8 *)kith_idmap_key(m, keys[j]),
		                    len);
	}
}

/* Next record of a packed block: its bytes and length; advances *p. */
static const char *
unpack_key(const char **p, size_t *len)
{
	uint32_t l;
	memcpy(&l, *p, sizeof l);
	const char *s = *p + sizeof l;
	*p = s + l;
	*len = l;
	return s;
}

/*
 * Numbers the ids of L (this rank's part, in its order of first
 * appearance) as one process would: remap[k] = the global index of L's
 * key k.  On rank 0, L is the map kept: it receives the first ids of the
 * other ranks in rank order.  WHAT names the ids in messages.
 * Collective.
 */
static gboolean
merge_map(struct kith_idmap *L, int32_t *remap, const char *what,
          GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	int64_t n = kith_idmap_size(L);
	gboolean ok = FALSE;
	int64_t in_bytes = 0, in_n = 0, next = 0, total = 0;
	const char *p;
	g_autofree int64_t *nsend = g_new0(int64_t, P), *nrecv = g_new0(int64_t, P);
	g_autofree int64_t *bsend = g_new0(int64_t, P), *brecv = g_new0(int64_t, P);
	g_autofree int64_t *order = g_new(int64_t, n + 1);
	g_autofree int *owner = g_new(int, n + 1);
	g_autofree int64_t *pos = g_new0(int64_t, P + 1);
	g_autofree guint8 *first = g_new0(guint8, n + 1);
	GByteArray *out = g_byte_array_new();
	char *in = NULL;
	guint8 *flags_in = NULL, *flags_out = NULL;
	int64_t *gsend = NULL, *grecv = NULL, *oidx = NULL, *gown = NULL;
	g_autofree int64_t *firsts = g_new0(int64_t, P);
	g_autofree int64_t *mine = g_new(int64_t, n + 1);
	g_autofree int64_t *lens = g_new0(int64_t, P);
	g_autofree char *names = NULL;
	struct kith_idmap *own = kith_idmap_new();

	/* 1. every id to its owner, grouped by owner, in local order */
	for (int64_t k = 0; k < n; k++) {
		struct kith_idkey key;
		kith_idmap_prepare(NULL, kith_idmap_key(L, k),
		                   kith_idmap_key_len(L, k), &key);
		owner[k] = (int)(key.v % (uint64_t)P);
		nsend[owner[k]]++;
		bsend[owner[k]] += 4 + (int64_t)kith_idmap_key_len(L, k);
	}
	for (int q = 0; q < P; q++)
		pos[q + 1] = pos[q] + nsend[q];
	{
		g_autofree int64_t *fill = g_memdup2(pos, sizeof(int64_t) * P);
		for (int64_t k = 0; k < n; k++)
			order[fill[owner[k]]++] = k;
	}
	pack_keys(out, L, order, n);
	if (!kith_dist_alltoall_i64(bsend, brecv, error) ||
	    !kith_dist_alltoall_i64(nsend, nrecv, error))
		goto done;
	for (int q = 0; q < P; q++) {
		in_bytes += brecv[q];
		in_n += nrecv[q];
	}
	in = g_malloc((size_t)in_bytes + 1);
	if (!kith_dist_alltoallv(out->data, bsend, in, brecv, 1, error))
		goto done;

	/* 2. the owner: first or not, in rank order */
	oidx = g_new(int64_t, in_n + 1);
	flags_in = g_new(guint8, in_n + 1);
	p = in;
	gboolean full = FALSE;
	for (int64_t j = 0; j < in_n; j++) {
		size_t len;
		const char *s = unpack_key(&p, &len);
		gboolean added = FALSE;
		oidx[j] = kith_idmap_add(own, s, len, &added);
		if (oidx[j] < 0) {
			full = TRUE;
			oidx[j] = 0;
		}
		flags_in[j] = (guint8)added;
	}
	if (full)
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "more than 2^31-1 %s", what);
	if (!settle(!full, error))
		goto done;
	flags_out = g_new(guint8, n + 1);
	if (!kith_dist_alltoallv(flags_in, nrecv, flags_out, nsend, 1, error))
		goto done;

	/* 3. numbers of this rank's first ids */
	for (int64_t j = 0; j < n; j++)
		first[order[j]] = flags_out[j];
	for (int64_t k = 0; k < n; k++)
		firsts[me] += first[k];
	if (!kith_dist_allreduce_i64(firsts, P, KITH_DIST_SUM, error))
		goto done;
	for (int q = 0; q < P; q++) {
		if (q < me)
			next += firsts[q];
		total += firsts[q];
	}
	if (total > INT32_MAX) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "more than 2^31-1 %s", what);
		goto done;
	}
	for (int64_t k = 0; k < n; k++)
		remap[k] = first[k] ? (int32_t)next++ : -1;

	/* 4. the numbers to the owners, which answer every sender */
	gsend = g_new(int64_t, n + 1);
	for (int64_t j = 0; j < n; j++)
		gsend[j] = remap[order[j]];
	grecv = g_new(int64_t, in_n + 1);
	if (!kith_dist_alltoallv(gsend, nsend, grecv, nrecv, sizeof(int64_t),
	                         error))
		goto done;
	gown = g_new(int64_t, kith_idmap_size(own) + 1);
	for (int64_t j = 0; j < in_n; j++)
		if (grecv[j] >= 0)
			gown[oidx[j]] = grecv[j];
	for (int64_t j = 0; j < in_n; j++)
		grecv[j] = gown[oidx[j]];
	if (!kith_dist_alltoallv(grecv, nrecv, gsend, nsend, sizeof(int64_t),
	                         error))
		goto done;
	for (int64_t j = 0; j < n; j++)
		remap[order[j]] = (int32_t)gsend[j];

	/* 5. the first ids' names to rank 0, in rank order */
	g_byte_array_set_size(out, 0);
	int64_t m = 0;
	for (int64_t k = 0; k < n; k++)
		if (first[k])
			mine[m++] = k;
	pack_keys(out, L, mine, me == 0 ? 0 : m);
	if (!gather_bytes(out->data, out->len, &names, lens, error))
		goto done;
	if (me == 0) {
		p = names + lens[0];
		const char *end = names;
		for (int q = 0; q < P; q++)
			end += lens[q];
		while (p < end) {
			size_t len;
			const char *s = unpack_key(&p, &len);
			gboolean added = FALSE;
			int64_t g = kith_idmap_add(L, s, len, &added);
			if (!added || g < 0) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
				            "internal: %s ids of the ranks disagree",
				            what);
				goto done;
			}
		}
		if (kith_idmap_size(L) != total) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
			            "internal: %s ids of the ranks disagree", what);
			goto done;
		}
	}
	ok = TRUE;
done:
	g_byte_array_unref(out);
	g_free(in);
	g_free(flags_in);
	g_free(flags_out);
	g_free(gsend);
	g_free(grecv);
	g_free(oidx);
	g_free(gown);
	kith_idmap_free(own);
	return ok;
}

/* Rank 0 receives every rank's N elements of ELEM bytes of column COL
 * after its own (rank 0's block stays where it is: elements
 * [0, counts[0])). */
static gboolean
gather_column(void *col, int64_t n, const int64_t *counts, size_t elem,
              GError **error)
{
	int P = kith_dist_size();
	g_autofree int64_t *others = g_memdup2(counts, sizeof(int64_t) * P);
	others[0] = 0;
	int me = kith_dist_rank();
	char *recv = me == 0 ? (char *)col + (size_t)counts[0] * elem : NULL;
	return kith_dist_gatherv(me == 0 ? NULL : col, me == 0 ? 0 : n, recv,
	                         others, elem, error);
}

/* The event types of every rank to rank 0, which numbers them in rank
 * order: tmap[q * 32 + x] = the global type of rank q's local type x. */
static gboolean
merge_types(struct ingest_events *ev, struct ingest_ctx *c, int32_t *tmap,
            GError **error)
{
	int P = kith_dist_size();
	int64_t nt = kith_idmap_size(c->types);
	g_autofree int64_t *keys = g_new(int64_t, nt + 1);
	for (int64_t x = 0; x < nt; x++)
		keys[x] = x;
	GByteArray *b = g_byte_array_new();
	pack_keys(b, c->types, keys, nt);
	g_autofree int64_t *lens = g_new0(int64_t, P);
	g_autofree char *all = NULL;
	gboolean ok = gather_bytes(b->data, b->len, &all, lens, error);
	g_byte_array_unref(b);
	if (!ok || kith_dist_rank() != 0)
		return ok;
	const char *p = all;
	for (int q = 0; q < P; q++) {
		const char *end = p + lens[q];
		for (int x = 0; p < end; x++) {
			size_t len;
			const char *s = unpack_key(&p, &len);
			int g = ingest_events_type(ev, s, len, error);
			if (g < 0)
				return FALSE;
			tmap[q * 32 + x] = g;
		}
	}
	return TRUE;
}

/* Sums the accounting of the events file over the ranks into rank 0's
 * context, F and ST; rank 0 also receives the rejects.tsv lines. */
static gboolean
merge_accounting(struct ingest_ctx *c, struct kith_ingest_file *f,
                 struct kith_csv_stats *st, GError **error)
{
	enum { NS = 7 };
	int64_t v[2 + KITH_CSV_N_REASONS + NS];
	v[0] = c->n_records;
	v[1] = c->res->n_rejected;
	for (int k = 0; k < KITH_CSV_N_REASONS; k++)
		v[2 + k] = f ? f->rejected[k] : 0;
	int64_t *w = v + 2 + KITH_CSV_N_REASONS;
	w[0] = st->lines;
	w[1] = st->header;
	w[2] = st->comments;
	w[3] = st->blank;
	w[4] = st->records_ok;
	w[5] = st->records_bad;
	w[6] = st->physical_lines;
	if (!kith_dist_allreduce_i64(v, (int)G_N_ELEMENTS(v), KITH_DIST_SUM,
	                             error))
		return FALSE;
	c->n_records = v[0];
	c->res->n_rejected = v[1];
	for (int k = 0; k < KITH_CSV_N_REASONS && f; k++)
		f->rejected[k] = v[2 + k];
	st->lines = w[0];
	st->header = w[1];
	st->comments = w[2];
	st->blank = w[3];
	st->records_ok = w[4];
	st->records_bad = w[5];
	st->physical_lines = w[6];

	/* rejects.tsv lines, without each rank's header line */
	GString *r = c->res->rejects;
	const char *nl = strchr(r->str, '\n');
	size_t skip = kith_dist_rank() == 0 || !nl ? r->len
	            : (size_t)(nl + 1 - r->str);
	int P = kith_dist_size();
	g_autofree int64_t *lens = g_new0(int64_t, P);
	g_autofree char *all = NULL;
	if (!gather_bytes(r->str + skip, (int64_t)(r->len - skip), &all, lens,
	                  error))
		return FALSE;
	if (all)
		g_string_append(r, all);
	return TRUE;
}

/* The parts: cut r = the first line start at or after max(off, r size /
 * P) into c->dist_bytes, and the line feeds of this rank's part into
 * lf[me] (local). */
static gboolean
cut_parts(struct ingest_ctx *c, struct ingest_events *ev,
          const struct head *h, int64_t *lf, GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	int64_t *b = c->dist_bytes;
	b[0] = 0;
	b[P] = h->size;
	for (int q = 1; q < P; q++) {
		int64_t at = (int64_t)((__int128)h->size * q / P);
		b[q] = ingest_file_cut(ingest_events_read(ev)->r,
		                       at > h->off ? at : h->off, error);
		if (b[q] < 0)
			return FALSE;
	}
	lf[me] = ingest_file_lines(ingest_events_read(ev)->r,
	                           me == 0 ? h->off : b[me], b[me + 1], error);
	return lf[me] >= 0;
}

/* After the parts are read: event types, users and items numbered as
 * one process would, the events and the accounting on rank 0.
 * Collective; the outcome is common. */
static gboolean
merge_parts(struct ingest_ctx *c, struct ingest_events *ev, int64_t size,
            GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	g_autofree int32_t *tm = g_new0(int32_t, 32 * (size_t)P);
	g_autofree int32_t *ru = g_new(int32_t, kith_idmap_size(c->users) + 1);
	g_autofree int32_t *ri = g_new(int32_t, kith_idmap_size(c->items) + 1);
	g_autofree int64_t *counts = g_new0(int64_t, P);
	g_autofree int64_t *ones = g_new(int64_t, P);
	struct kith_csv_stats st;

	if (!settle(merge_types(ev, c, tm, error), error) ||
	    !settle(merge_map(c->users, ru, "users", error), error) ||
	    !settle(merge_map(c->items, ri, "items", error), error))
		return FALSE;
	for (int64_t e = 0; me != 0 && e < c->n_ev; e++) {
		c->ev_u[e] = ru[c->ev_u[e]];
		c->ev_i[e] = ri[c->ev_i[e]];
	}

	/* the events to rank 0, after its own */
	for (int q = 0; q < P; q++)
		ones[q] = 1;
	if (!kith_dist_gatherv(&c->n_ev, 1, counts, ones, sizeof(int64_t),
	                       error))
		return FALSE;
	int64_t total = 0;
	for (int q = 0; q < P; q++)
		total += counts[q];
	if (!settle(me != 0 || ingest_events_room(c, total, error), error))
		return FALSE;
	if (!gather_column(c->ev_u, c->n_ev, counts, sizeof(int32_t), error) ||
	    !gather_column(c->ev_i, c->n_ev, counts, sizeof(int32_t), error) ||
	    !gather_column(c->ev_t, c->n_ev, counts, 1, error) ||
	    (c->has_ts &&
	     !gather_column(c->ev_ts, c->n_ev, counts, sizeof(int64_t), error)) ||
	    (c->has_value &&
	     !gather_column(c->ev_val, c->n_ev, counts, sizeof(float), error)))
		return FALSE;
	ingest_file_read_stats(ingest_events_read(ev), &st);
	if (!merge_accounting(c, ingest_events_read(ev)->f, &st, error))
		return FALSE;
	if (me != 0)
		return TRUE;
	int64_t e = counts[0];
	for (int q = 1; q < P && c->has_event; q++)
		for (int64_t j = 0; j < counts[q]; j++, e++)
			c->ev_t[e] = (uint8_t)tm[q * 32 + c->ev_t[e]];
	c->n_ev = total;
	st.bytes = size;
	return ingest_events_close(ev, &st, error) &&
	       ingest_check_limit(c, error);
}

/* Opens the file on the ranks but 0, cuts the parts and reads this
 * rank's.  Collective; the outcome is common. */
static gboolean
read_part(struct ingest_ctx *c, struct ingest_events **evp,
          const struct head *h, GError **error)
{
	int me = kith_dist_rank();
	gboolean ok = TRUE;
	if (me != 0) {
		*evp = ingest_events_open(c, error);
		ok = *evp != NULL;
		if (ok && ingest_file_size(ingest_events_read(*evp)->r) != h->size) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
			            "%s: rank %d sees %" G_GINT64_FORMAT " bytes, "
			            "rank 0 %" G_GINT64_FORMAT, c->opt->events, me,
			            ingest_file_size(ingest_events_read(*evp)->r), h->size);
			ok = FALSE;
		}
		if (ok)
			ingest_events_set_roles(*evp, &h->roles);
	}
	g_autofree int64_t *lf = g_new0(int64_t, kith_dist_size());
	if (!settle(ok, error) ||
	    !settle(cut_parts(c, *evp, h, lf, error), error) ||
	    !kith_dist_allreduce_i64(lf, kith_dist_size(), KITH_DIST_SUM, error))
		return FALSE;
	/* first lines: rank 0's part from line 1, the others' from the sums */
	int64_t *l = c->dist_lines;
	l[0] = 1;
	l[1] = h->line + lf[0];
	for (int q = 2; q <= kith_dist_size(); q++)
		l[q] = l[q - 1] + lf[q - 1];
	int64_t lo = me == 0 ? h->off : c->dist_bytes[me];
	int64_t line = me == 0 ? h->line : c->dist_lines[me];
	int64_t hi = c->dist_bytes[me + 1];
	return settle(lo >= hi || ingest_events_range(*evp, lo, line, hi, error),
	              error);
}

gboolean
ingest_read_events_dist(struct ingest_ctx *c, GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	struct ingest_events *ev = NULL;
	struct head h;
	gboolean ok = TRUE;

	memset(&h, 0, sizeof h);
	c->no_hash = me != 0;
	c->dist_size = P;
	c->dist_bytes = g_new0(int64_t, P + 1);
	c->dist_lines = g_new0(int64_t, P + 1);
	if (me == 0) {
		ev = ingest_events_open(c, error);
		int rc = ev ? ingest_events_prefix(ev, TRUE, &h.off, &h.line, error)
		            : -1;
		ok = rc >= 0;
		h.split = rc == 1;
		h.size = ev ? ingest_file_size(ingest_events_read(ev)->r) : 0;
		if (ok && h.split)
			ingest_events_roles(ev, &h.roles);
	}
	ok = settle(ok, error) && kith_dist_bcast(&h, sizeof h, error);
	if (ok && !h.split) {
		/* rank 0 has read the whole file: one part, the others empty */
		c->dist_lines[0] = 1;
		ok = me != 0 || ingest_events_close(ev, NULL, error);
		if (ok && me == 0) {
			const struct kith_ingest_file *f = ingest_events_read(ev)->f;
			for (int q = 1; q <= P; q++) {
				c->dist_bytes[q] = c->size[f - c->res->files];
				c->dist_lines[q] = f->st.physical_lines + 1;
			}
		}
	} else if (ok) {
		ok = read_part(c, &ev, &h, error) &&
		     merge_parts(c, ev, h.size, error);
	}
	ingest_events_free(ev);
	return ok;
}

void
ingest_dist_extra(struct ingest_ctx *c)
{
	const struct kith_store *s = c->res->store;
	int P = c->dist_size;
	g_autofree int64_t *rows = g_new(int64_t, P + 1);
	kith_dist_partition(rows, s->ui.indptr, s->n_users, P);
	JsonArray *ab = json_array_new(), *al = json_array_new();
	JsonArray *ar = json_array_new(), *ae = json_array_new();
	int64_t e = 0;
	for (int q = 0; q <= P; q++) {
		json_array_add_int_element(ab, c->dist_bytes[q]);
		json_array_add_int_element(al, c->dist_lines[q]);
		json_array_add_int_element(ar, rows[q]);
		/* the log is sorted by user: its rows of users [rows[q], ...) */
		while (e < s->n_log && s->ev_user[e] < rows[q])
			e++;
		json_array_add_int_element(ae, q == P ? s->n_log : e);
	}
	JsonObject *o = json_object_new();
	json_object_set_int_member(o, "ranks", P);
	json_object_set_array_member(o, "events_bytes", ab);
	json_object_set_array_member(o, "events_lines", al);
	json_object_set_array_member(o, "row_bounds", ar);
	json_object_set_array_member(o, "event_log_bounds", ae);
	json_object_set_object_member(c->res->extra, "partition", o);
}
