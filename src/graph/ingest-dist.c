/*
 * kith ingest over the ranks of an MPI job (mpirun -np P kith ingest), a
 * service of the driver (ingest.c): the events file, then the social
 * file, each read in P parts, one per rank; ids and accounting are
 * merged on rank 0; the rows stay on the rank that read them, numbered
 * as one process numbers them, until the build distributes them
 * (ingest-dist-build.c).  The user features file is read the same way
 * (after the users and items files, ingest-dist-feed.c) and its rows,
 * renumbered, are gathered on rank 0 in rank order, where the build
 * makes their CSR.  The reader services
 * (ingest-events.c, ingest-files.c) give the steps (struct
 * ingest_part_ops); this file runs them over the ranks.
 *
 * Parts.  Rank 0 reads the header and the records up to the first one
 * that fixes the columns (ops->prefix) and broadcasts the columns and
 * the offset off0 where that stops.  Cut r is the first line start at or
 * after max(off0, r size / P) (cut 0 = 0, cut P = size); rank r reads
 * bytes [cut r, cut r+1) (rank 0 from off0) as one process reads a file
 * (ops->range: the events in parallel chunks, then serially).  Line
 * numbers stay those of the file: each rank counts the line feeds of its
 * part and a sum over the ranks gives each part its first line.  A file
 * that cannot be mapped (stdin, a pipe, compressed, UTF-16) is read
 * whole by rank 0.  A quoted field that runs over a cut fails the job
 * (it cannot be told from an unterminated quote without reading the
 * file in order).
 *
 * Ids.  One process numbers ids in order of first appearance, file after
 * file.  Each rank numbers the ids of its part in its own order of first
 * appearance.  The owner of an id (hash mod P) receives it from every
 * rank that saw it, in rank order, so the first to send it is the rank
 * whose part holds its first appearance; owners remember the ids of
 * earlier files (the users of the events when the social file is
 * merged) and answer "new or not"; rank r's new ids get numbers T + O_r
 * + k (T ids numbered before, O_r the new ids of the ranks before r, k
 * their order on rank r); senders hand those to the owners, which answer
 * every sender with the numbers of all its ids.  Rank 0 receives the new
 * ids' names in rank order, so its maps become the single process's.
 * Event types (at most 32) are merged by rank 0 in rank order and the
 * map broadcast.  Social pairs are kept as read and put in order (a < b
 * unless --directed) once renumbered.
 *
 * Accounting.  Records, rejects per reason, self-loops and line counts
 * are summed; the rejects.tsv lines are concatenated in rank order (file
 * order); a failure is the job's first in rank order (the first in the
 * file), and rank 0 holds it; the --max-rejects limits are checked on
 * the sums.
 *
 * Cost per rank: O(bytes / P) to read (plus one pass counting its line
 * feeds) and O(ids seen) to exchange: per id map and file two
 * all-to-alls of counts, four of data (names, new flags, numbers both
 * ways), one sum and a gather of the new ids' names; rank 0 receives the
 * distinct ids and the rejects.
 */
#include <stdlib.h>
#include <string.h>

#include "kith/core.h"
#include "kith/dist.h"
#include "kith/ingest.h"
#include "ingest-internal.h"

/* Rank 0's decisions about a file, broadcast to the others. */
struct head {
	int64_t split;          /* 1: read in parts; 0: rank 0 read it all */
	int64_t size;           /* bytes of the file */
	int64_t off, line;      /* where the parts start after rank 0's
	                         * first records */
	int32_t roles[INGEST_ROLES];
};

/* The ids of one kind (users, items) over the files read in parts: the
 * owner's side (the ids this rank owns and their global numbers) and the
 * sender's (this rank's ids numbered so far). */
struct ingest_owners {
	struct kith_idmap *own;
	int64_t *num;           /* global number of own's key k */
	int64_t n_num;
	int64_t total;          /* ids numbered over all ranks */
	int32_t *remap;         /* this rank's map: key k -> global number */
	int64_t n_remap;
};

static struct ingest_owners *
owners_new(void)
{
	struct ingest_owners *om = g_new0(struct ingest_owners, 1);
	om->own = kith_idmap_new();
	return om;
}

static void
owners_free(struct ingest_owners *om)
{
	if (!om)
		return;
	kith_idmap_free(om->own);
	g_free(om->num);
	g_free(om->remap);
	g_free(om);
}

gboolean
ingest_dist_settle(gboolean ok, GError **error)
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
 * Numbers the ids of L that this rank has not numbered yet (keys
 * [om->n_remap, size), in its order of first appearance) as one process
 * reading the files in order would: om->remap[k] = the global index of
 * L's key k.  An id numbered before (an earlier file, any rank) keeps its
 * number; the others are numbered after them, in rank order.  On rank 0,
 * L is the map kept: it receives the other ranks' new ids in rank order
 * (rank 0's own keys are their global numbers).  WHAT names the ids in
 * messages.  Collective.
 */
static gboolean
merge_map(struct ingest_owners *om, struct kith_idmap *L, const char *what,
          GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	int64_t from = om->n_remap, n = kith_idmap_size(L) - from;
	gboolean ok = FALSE, full = FALSE;
	int64_t in_bytes = 0, in_n = 0, next = 0, total = 0, m = 0;
	const char *p;
	g_autofree int64_t *nsend = g_new0(int64_t, P), *nrecv = g_new0(int64_t, P);
	g_autofree int64_t *bsend = g_new0(int64_t, P), *brecv = g_new0(int64_t, P);
	g_autofree int64_t *order = g_new(int64_t, n + 1);
	g_autofree int *owner = g_new(int, n + 1);
	g_autofree int64_t *pos = g_new0(int64_t, P + 1);
	g_autofree guint8 *first = g_new0(guint8, n + 1);
	g_autofree int64_t *firsts = g_new0(int64_t, P);
	g_autofree int64_t *mine = g_new(int64_t, n + 1);
	g_autofree int64_t *lens = g_new0(int64_t, P);
	g_autofree char *names = NULL, *in = NULL;
	g_autofree guint8 *flags_in = NULL, *flags_out = NULL;
	g_autofree int64_t *gsend = NULL, *grecv = NULL, *oidx = NULL;
	GByteArray *out = g_byte_array_new();

	/* 1. every new id to its owner, grouped by owner, in local order */
	for (int64_t k = 0; k < n; k++) {
		struct kith_idkey key;
		kith_idmap_prepare(NULL, kith_idmap_key(L, from + k),
		                   kith_idmap_key_len(L, from + k), &key);
		owner[k] = (int)(key.v % (uint64_t)P);
		nsend[owner[k]]++;
		bsend[owner[k]] += 4 + (int64_t)kith_idmap_key_len(L, from + k);
	}
	for (int q = 0; q < P; q++)
		pos[q + 1] = pos[q] + nsend[q];
	for (int64_t k = 0; k < n; k++)
		order[pos[owner[k]]++] = from + k;
	pack_keys(out, L, order, n);
	for (int64_t j = 0; j < n; j++)
		order[j] -= from;
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

	/* 2. the owner: new to every file so far or not, in rank order */
	oidx = g_new(int64_t, in_n + 1);
	flags_in = g_new(guint8, in_n + 1);
	p = in;
	for (int64_t j = 0; j < in_n; j++) {
		size_t len;
		const char *s = unpack_key(&p, &len);
		gboolean added = FALSE;
		oidx[j] = kith_idmap_add(om->own, s, len, &added);
		if (oidx[j] < 0) {
			full = TRUE;
			oidx[j] = 0;
		}
		flags_in[j] = (guint8)added;
	}
	int64_t n_own = kith_idmap_size(om->own);
	if (n_own > om->n_num) {
		om->num = g_renew(int64_t, om->num, n_own);
		for (int64_t x = om->n_num; x < n_own; x++)
			om->num[x] = -1;
		om->n_num = n_own;
	}
	if (full)
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "more than 2^31-1 %s", what);
	if (!ingest_dist_settle(!full, error))
		goto done;
	flags_out = g_new(guint8, n + 1);
	if (!kith_dist_alltoallv(flags_in, nrecv, flags_out, nsend, 1, error))
		goto done;

	/* 3. numbers of this rank's first ids, after those of the ranks
	 * before it */
	for (int64_t j = 0; j < n; j++)
		first[order[j]] = flags_out[j];
	for (int64_t k = 0; k < n; k++)
		firsts[me] += first[k];
	if (!kith_dist_allreduce_i64(firsts, P, KITH_DIST_SUM, error))
		goto done;
	next = om->total;
	total = om->total;
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
	om->remap = g_renew(int32_t, om->remap, from + n + 1);
	for (int64_t k = 0; k < n; k++)
		om->remap[from + k] = first[k] ? (int32_t)next++ : -1;

	/* 4. the numbers to the owners, which answer every sender */
	gsend = g_new(int64_t, n + 1);
	for (int64_t j = 0; j < n; j++)
		gsend[j] = om->remap[from + order[j]];
	grecv = g_new(int64_t, in_n + 1);
	if (!kith_dist_alltoallv(gsend, nsend, grecv, nrecv, sizeof(int64_t),
	                         error))
		goto done;
	for (int64_t j = 0; j < in_n; j++)
		if (grecv[j] >= 0)
			om->num[oidx[j]] = grecv[j];
	for (int64_t j = 0; j < in_n; j++)
		grecv[j] = om->num[oidx[j]];
	if (!kith_dist_alltoallv(grecv, nrecv, gsend, nsend, sizeof(int64_t),
	                         error))
		goto done;
	for (int64_t j = 0; j < n; j++)
		om->remap[from + order[j]] = (int32_t)gsend[j];
	om->n_remap = from + n;
	om->total = total;

	/* 5. the first ids' names to rank 0, in rank order */
	g_byte_array_set_size(out, 0);
	for (int64_t k = 0; k < n; k++)
		if (first[k])
			mine[m++] = from + k;
	pack_keys(out, L, mine, me == 0 ? 0 : m);
	if (!gather_bytes(out->data, out->len, &names, lens, error))
		goto done;
	if (me == 0) {
		const char *end = names;
		for (int q = 0; q < P; q++)
			end += lens[q];
		for (p = names; p < end;) {
			size_t len;
			const char *s = unpack_key(&p, &len);
			gboolean added = FALSE;
			if (kith_idmap_add(L, s, len, &added) < 0 || !added)
				break;
		}
		if (p < end || kith_idmap_size(L) != total) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
			            "internal: %s ids of the ranks disagree", what);
			goto done;
		}
		/* rank 0's map is the global one: its keys are their numbers */
		om->remap = g_renew(int32_t, om->remap, total + 1);
		for (int64_t k = from + n; k < total; k++)
			om->remap[k] = (int32_t)k;
		om->n_remap = total;
	}
	ok = TRUE;
done:
	g_byte_array_unref(out);
	return ok;
}

/* Rank 0 receives every rank's count N: counts[q] (rank 0 only); their
 * sum into *total (rank 0 only). */
static gboolean
gather_counts(int64_t n, int64_t *counts, int64_t *total, GError **error)
{
	int P = kith_dist_size();
	g_autofree int64_t *ones = g_new(int64_t, P);
	for (int q = 0; q < P; q++)
		ones[q] = 1;
	if (!kith_dist_gatherv(&n, 1, counts, ones, sizeof(int64_t), error))
		return FALSE;
	*total = 0;
	for (int q = 0; q < P; q++)
		*total += counts[q];
	return TRUE;
}

/* The event types of every rank to rank 0, which numbers them in rank
 * order: tmap[q * 32 + x] = the global type of rank q's local type x. */
static gboolean
merge_types(void *ev, struct ingest_ctx *c, int32_t *tmap, GError **error)
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

/* Sums the accounting of a file read in parts over the ranks into rank
 * 0's context, F and ST; rank 0 also receives the rejects.tsv lines.
 * The other ranks start the next file from zero. */
static gboolean
merge_accounting(struct ingest_ctx *c, struct kith_ingest_file *f,
                 struct kith_csv_stats *st, GError **error)
{
	enum { NS = INGEST_STATS + 1 };
	int64_t v[2 + KITH_CSV_N_REASONS + NS];
	v[0] = c->n_records;
	v[1] = c->res->n_rejected;
	for (int k = 0; k < KITH_CSV_N_REASONS; k++)
		v[2 + k] = f->rejected[k];
	int64_t *w = v + 2 + KITH_CSV_N_REASONS;
	ingest_stats_pack(w, st);
	w[INGEST_STATS] = f->self_loops;
	if (!kith_dist_allreduce_i64(v, (int)G_N_ELEMENTS(v), KITH_DIST_SUM,
	                             error))
		return FALSE;
	c->n_records = v[0];
	c->res->n_rejected = v[1];
	for (int k = 0; k < KITH_CSV_N_REASONS; k++)
		f->rejected[k] = v[2 + k];
	ingest_stats_unpack(st, w);
	f->self_loops = w[INGEST_STATS];

	/* rejects.tsv lines, without each rank's header line */
	GString *r = c->res->rejects;
	const char *nl = strchr(r->str, '\n');
	size_t head = nl ? (size_t)(nl + 1 - r->str) : r->len;
	size_t skip = kith_dist_rank() == 0 ? r->len : head;
	int P = kith_dist_size();
	g_autofree int64_t *lens = g_new0(int64_t, P);
	g_autofree char *all = NULL;
	if (!gather_bytes(r->str + skip, (int64_t)(r->len - skip), &all, lens,
	                  error))
		return FALSE;
	if (all)
		g_string_append(r, all);
	if (kith_dist_rank() != 0) {
		c->n_records = 0;
		c->res->n_rejected = 0;
		g_string_truncate(r, head);
	}
	return TRUE;
}

/* The parts of file K: cut r = the first line start at or after max(OFF,
 * r SIZE / P) into c->dist_bytes[K]; the line feeds of this rank's part
 * into lf[me] (local). */
static gboolean
cut_parts(struct ingest_ctx *c, int k, struct kith_csv *r, int64_t size,
          int64_t off, int64_t *lf, GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	int64_t *b = c->dist_bytes[k];
	b[0] = 0;
	b[P] = size;
	for (int q = 1; q < P; q++) {
		int64_t at = (int64_t)((__int128)size * q / P);
		b[q] = ingest_file_cut(r, at > off ? at : off, error);
		if (b[q] < 0)
			return FALSE;
	}
	lf[me] = ingest_file_lines(r, me == 0 ? off : b[me], b[me + 1], error);
	return lf[me] >= 0;
}

void
ingest_dist_parts_new(struct ingest_ctx *c, int k)
{
	int P = kith_dist_size();
	c->dist_bytes[k] = g_new0(int64_t, P + 1);
	c->dist_lines[k] = g_new0(int64_t, P + 1);
	c->dist_lines[k][0] = 1;
}

gboolean
ingest_dist_cut(struct ingest_ctx *c, int k, struct kith_csv *r, int64_t size,
                int64_t off, int64_t line, GError **error)
{
	int P = kith_dist_size();
	g_autofree int64_t *lf = g_new0(int64_t, P);
	if (!ingest_dist_settle(cut_parts(c, k, r, size, off, lf, error),
	                        error) ||
	    !kith_dist_allreduce_i64(lf, P, KITH_DIST_SUM, error))
		return FALSE;
	/* first lines: rank 0's part from line 1, the others' from the sums */
	int64_t *l = c->dist_lines[k];
	l[1] = line + lf[0];
	for (int q = 2; q <= P; q++)
		l[q] = l[q - 1] + lf[q - 1];
	return TRUE;
}

void
ingest_dist_whole(struct ingest_ctx *c, int k, const struct kith_ingest_file *f)
{
	for (int q = 1; q <= kith_dist_size(); q++) {
		c->dist_bytes[k][q] = c->size[f - c->res->files];
		c->dist_lines[k][q] = f->st.physical_lines + 1;
	}
}

/*
 * Reads file K (OPS: its reader service) over the ranks: rank 0 its
 * first records, then every rank its part; *rd the reader (every rank;
 * free with ops->free), *split FALSE when rank 0 read the whole file (a
 * stream, compressed, or no records after the first).  Collective; the
 * outcome is common.
 */
static gboolean
read_parts(struct ingest_ctx *c, int k, const struct ingest_part_ops *ops,
           void **rd, gboolean *split, GError **error)
{
	int me = kith_dist_rank();
	struct head h;
	gboolean ok = TRUE;

	memset(&h, 0, sizeof h);
	*rd = NULL;
	ingest_dist_parts_new(c, k);
	if (me == 0) {
		*rd = ops->open(c, error);
		int rc = *rd ? ops->prefix(*rd, TRUE, &h.off, &h.line, error) : -1;
		ok = rc >= 0;
		h.split = rc == 1;
		h.size = *rd ? ingest_file_size(ops->read(*rd)->r) : 0;
		if (ok && h.split)
			ops->roles(*rd, h.roles);
	}
	if (!ingest_dist_settle(ok, error) ||
	    !kith_dist_bcast(&h, sizeof h, error))
		return FALSE;
	*split = h.split;
	if (!h.split)
		return TRUE;
	if (me != 0) {
		*rd = ops->open(c, error);
		ok = *rd != NULL;
		if (ok && ingest_file_size(ops->read(*rd)->r) != h.size) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
			            "%s: rank %d sees %" G_GINT64_FORMAT " bytes, "
			            "rank 0 %" G_GINT64_FORMAT,
			            ops->read(*rd)->f->path, me,
			            ingest_file_size(ops->read(*rd)->r), h.size);
			ok = FALSE;
		}
		if (ok)
			ops->set_roles(*rd, h.roles);
	}
	if (!ingest_dist_settle(ok, error) ||
	    !ingest_dist_cut(c, k, ops->read(*rd)->r, h.size, h.off, h.line,
	                     error))
		return FALSE;
	int64_t lo = me == 0 ? h.off : c->dist_bytes[k][me];
	int64_t line = me == 0 ? h.line : c->dist_lines[k][me];
	int64_t hi = c->dist_bytes[k][me + 1];
	return ingest_dist_settle(lo >= hi ||
	                          ops->range(*rd, lo, line, hi, error), error);
}

/* Ends file K on rank 0 when it read the whole file: the manifest shows
 * one part. */
static gboolean
close_whole(struct ingest_ctx *c, int k, const struct ingest_part_ops *ops,
            void *rd, GError **error)
{
	if (kith_dist_rank() != 0)
		return TRUE;
	if (!ops->close(rd, NULL, error))
		return FALSE;
	ingest_dist_whole(c, k, ops->read(rd)->f);
	return TRUE;
}

/* The accounting of file K over the ranks; rank 0 ends the file. */
static gboolean
close_parts(struct ingest_ctx *c, const struct ingest_part_ops *ops,
            void *rd, GError **error)
{
	struct kith_csv_stats st;
	struct ingest_file_read *fr = ops->read(rd);
	ingest_file_read_stats(fr, &st);
	if (!merge_accounting(c, fr->f, &st, error))
		return FALSE;
	if (kith_dist_rank() != 0)
		return TRUE;
	st.bytes = ingest_file_size(fr->r);
	return ops->close(rd, &st, error) && ingest_check_limit(c, error);
}

static void
dist_start(struct ingest_ctx *c)
{
	if (c->dist_size > 0)
		return;
	c->dist_size = kith_dist_size();
	c->no_hash = kith_dist_rank() != 0;
	c->dist_users = owners_new();
}

/* Event types, users and items numbered as one process would, on every
 * rank; the events stay where they were read (the store is built over
 * the ranks, ingest-dist-build.c); rank 0's n_ev counts all ranks'.
 * Collective; the outcome is common. */
static gboolean
merge_events(struct ingest_ctx *c, void *ev, gboolean split, GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	c->dist_own_ev = c->n_ev;
	if (!split)
		return TRUE;
	g_autofree int32_t *tm = g_new0(int32_t, 32 * (size_t)P);
	g_autofree int64_t *counts = g_new0(int64_t, P);
	struct ingest_owners *items = owners_new();
	struct ingest_owners *users = c->dist_users;
	int64_t total = 0;
	gboolean ok =
		ingest_dist_settle(merge_types(ev, c, tm, error), error) &&
		kith_dist_bcast(tm, sizeof(int32_t) * 32 * (size_t)P, error) &&
		ingest_dist_settle(merge_map(users, c->users, "users", error),
		                   error) &&
		ingest_dist_settle(merge_map(items, c->items, "items", error),
		                   error);
	for (int64_t e = 0; ok && me != 0 && e < c->n_ev; e++) {
		c->ev_u[e] = users->remap[c->ev_u[e]];
		c->ev_i[e] = items->remap[c->ev_i[e]];
	}
	for (int64_t e = 0; ok && me != 0 && c->has_event && e < c->n_ev; e++)
		c->ev_t[e] = (uint8_t)tm[me * 32 + c->ev_t[e]];
	owners_free(items);
	if (!ok || !gather_counts(c->n_ev, counts, &total, error))
		return FALSE;
	if (me == 0)
		c->n_ev = total;
	return TRUE;
}

/* The social keys as read (a << 32 | b, this rank's user numbers) to
 * global numbers through REMAP (NULL: they are), a < b unless
 * directed. */
static void
order_pairs(struct ingest_ctx *c, const int32_t *remap)
{
	for (int64_t j = 0; j < c->n_so; j++) {
		uint64_t a = c->so_key[j] >> 32, b = c->so_key[j] & 0xffffffffu;
		if (remap) {
			a = (uint64_t)remap[a];
			b = (uint64_t)remap[b];
		}
		if (!c->opt->directed && a > b) {
			uint64_t t = a;
			a = b;
			b = t;
		}
		c->so_key[j] = a << 32 | b;
	}
}

/* Users numbered as one process would (after the events' users), on
 * every rank; the pairs, in order a < b unless directed, stay where
 * they were read (rank 0's n_so counts all ranks').  Collective; the
 * outcome is common. */
static gboolean
merge_social(struct ingest_ctx *c, void *so, gboolean split, GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	(void)so;
	c->dist_own_so = c->n_so;
	if (!split) {
		order_pairs(c, NULL);   /* rank 0's, of its global map */
		return TRUE;
	}
	struct ingest_owners *users = c->dist_users;
	g_autofree int64_t *counts = g_new0(int64_t, P);
	int64_t total = 0;
	if (!ingest_dist_settle(merge_map(users, c->users, "users", error),
	                        error))
		return FALSE;
	order_pairs(c, users->remap);
	if (!gather_counts(c->n_so, counts, &total, error))
		return FALSE;
	if (me == 0)
		c->n_so = total;
	return TRUE;
}

/* Rank 0 receives every rank's N elements of ELEM bytes of *A, in rank
 * order, into a new array (its own first) that replaces *A; the other
 * ranks keep theirs.  COUNTS: every rank's N (rank 0). */
static gboolean
gather_rows(void **a, int64_t n, const int64_t *counts, int64_t total,
            size_t elem, GError **error)
{
	void *all = kith_dist_rank() == 0 ? g_malloc(elem * (size_t)total + 1)
	                                  : NULL;
	if (!kith_dist_gatherv(*a, n, all, counts, elem, error)) {
		g_free(all);
		return FALSE;
	}
	if (all) {
		g_free(*a);
		*a = all;
	}
	return TRUE;
}

/* Users and features numbered as one process would, the rows renumbered
 * and gathered on rank 0 in rank order (file order): rank 0 holds the
 * single process's rows, the others none.  Collective; the outcome is
 * common. */
static gboolean
merge_features(struct ingest_ctx *c, void *fe, gboolean split,
               GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	(void)fe;
	if (!split)
		return TRUE;
	struct ingest_owners *users = c->dist_users;
	struct ingest_owners *feats = owners_new();
	g_autofree int64_t *counts = g_new0(int64_t, P);
	int64_t total = 0;
	gboolean ok =
		ingest_dist_settle(merge_map(users, c->users, "users", error),
		                   error) &&
		ingest_dist_settle(merge_map(feats, c->feats, "features", error),
		                   error);
	for (int64_t j = 0; ok && me != 0 && j < c->n_uf; j++) {
		c->uf_u[j] = users->remap[c->uf_u[j]];
		c->uf_f[j] = feats->remap[c->uf_f[j]];
	}
	owners_free(feats);
	ok = ok && gather_counts(c->n_uf, counts, &total, error) &&
	     gather_rows((void **)&c->uf_u, c->n_uf, counts, total,
	                 sizeof(int32_t), error) &&
	     gather_rows((void **)&c->uf_f, c->n_uf, counts, total,
	                 sizeof(int32_t), error) &&
	     gather_rows((void **)&c->uf_v, c->n_uf, counts, total,
	                 sizeof(float), error);
	if (!ok)
		return FALSE;
	c->n_uf = me == 0 ? total : 0;
	c->uf_cap = c->n_uf;
	return TRUE;
}

/* Reads file K over the ranks with the reader service OPS, then MERGE
 * (given whether the file was read in parts) and the accounting. */
static gboolean
read_dist(struct ingest_ctx *c, int k, const struct ingest_part_ops *ops,
          gboolean (*merge)(struct ingest_ctx *c, void *rd, gboolean split,
                            GError **error),
          GError **error)
{
	void *rd = NULL;
	gboolean split = FALSE;
	dist_start(c);
	gboolean ok = read_parts(c, k, ops, &rd, &split, error) &&
	              merge(c, rd, split, error) &&
	              (split ? close_parts(c, ops, rd, error)
	                     : close_whole(c, k, ops, rd, error));
	if (rd)
		ops->free(rd);
	return ok;
}

gboolean
ingest_read_events_dist(struct ingest_ctx *c, GError **error)
{
	return read_dist(c, INGEST_PART_EVENTS, &ingest_events_parts,
	                 merge_events, error);
}

gboolean
ingest_read_social_dist(struct ingest_ctx *c, GError **error)
{
	c->raw_pairs = TRUE;
	return read_dist(c, INGEST_PART_SOCIAL, &ingest_social_parts,
	                 merge_social, error);
}

gboolean
ingest_read_features_dist(struct ingest_ctx *c, GError **error)
{
	return read_dist(c, INGEST_PART_FEATURES, &ingest_features_parts,
	                 merge_features, error);
}

void
ingest_dist_clear(struct ingest_ctx *c)
{
	owners_free(c->dist_users);
	c->dist_users = NULL;
	g_clear_pointer(&c->dist_rows, g_free);
	g_clear_pointer(&c->dist_log, g_free);
	for (int k = 0; k < INGEST_PART_FILES; k++) {
		g_free(c->dist_bytes[k]);
		g_free(c->dist_lines[k]);
	}
}

void
ingest_dist_extra(struct ingest_ctx *c)
{
	static const char *const names[INGEST_PART_FILES][2] = {
		{ "events_bytes", "events_lines" },
		{ "social_bytes", "social_lines" },
		{ "users_bytes", "users_lines" },
		{ "items_bytes", "items_lines" },
		{ "user_features_bytes", "user_features_lines" },
	};
	int P = c->dist_size;
	JsonObject *o = json_object_new();
	json_object_set_int_member(o, "ranks", P);
	for (int k = 0; k < INGEST_PART_FILES; k++) {
		if (!c->dist_bytes[k])
			continue;
		JsonArray *ab = json_array_new(), *al = json_array_new();
		for (int q = 0; q <= P; q++) {
			json_array_add_int_element(ab, c->dist_bytes[k][q]);
			json_array_add_int_element(al, c->dist_lines[k][q]);
		}
		json_object_set_array_member(o, names[k][0], ab);
		json_object_set_array_member(o, names[k][1], al);
	}
	/* the rows of the build (ingest-dist-build.c) */
	JsonArray *ar = json_array_new(), *ae = json_array_new();
	for (int q = 0; q <= P; q++) {
		json_array_add_int_element(ar, c->dist_rows[q]);
		json_array_add_int_element(ae, c->dist_log[q]);
	}
	json_object_set_array_member(o, "row_bounds", ar);
	json_object_set_array_member(o, "event_log_bounds", ae);
	json_object_set_object_member(c->res->extra, "partition", o);
}
