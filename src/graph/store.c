/*
 * The store folder: writing it atomically from an in-memory struct
 * kith_store, opening it by mapping every array, and checking that the
 * arrays agree with each other.  Opening costs O(n + nnz) for the checks;
 * the data itself is paged in lazily by mmap.  One table of arrays
 * (store_arrays[] below) drives writing, opening and the list of
 * arrays kith ingest streams.  Writing: the arrays go
 * to disk from a few threads at once (each file hashed with xxh64 as it
 * is written) while the names files are written, and everything is
 * synced once, by the folder's commit.
 */
#include "config.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kith/core.h"
#include "kith/dist.h"
#include "kith/io.h"
#include "kith/store.h"

struct kith_store *
kith_store_new(void)
{
	struct kith_store *s = g_new0(struct kith_store, 1);

	s->owned = g_ptr_array_new_with_free_func(g_free);
	s->maps = g_ptr_array_new();
	s->strings = g_string_chunk_new(1 << 16);
	return s;
}

void *
kith_store_own(struct kith_store *s, void *block)
{
	if (block != NULL)
		g_ptr_array_add(s->owned, block);
	return block;
}

char *
kith_store_intern(struct kith_store *s, const char *str)
{
	return g_string_chunk_insert(s->strings, str);
}

void
kith_store_free(struct kith_store *s)
{
	guint i;

	if (s == NULL)
		return;
	kith_csr_clear(&s->ui);
	kith_csr_clear(&s->iu);
	kith_csr_clear(&s->uu);
	kith_csr_clear(&s->item_cat);
	kith_csr_clear(&s->uf);
	for (i = 0; i < s->maps->len; i++) {
		struct kith_npy *a = g_ptr_array_index(s->maps, i);
		kith_npy_unmap(a);
		g_free(a);
	}
	g_ptr_array_free(s->maps, TRUE);
	g_ptr_array_free(s->owned, TRUE);
	g_string_chunk_free(s->strings);
	if (s->user_index)
		g_hash_table_destroy(s->user_index);
	if (s->item_index)
		g_hash_table_destroy(s->item_index);
	if (s->manifest)
		json_node_unref(s->manifest);
	g_free(s->path);
	g_free(s);
}

static GHashTable *
build_index(char **ids, int64_t n)
{
	GHashTable *h = g_hash_table_new(g_str_hash, g_str_equal);
	int64_t i;

	/* ids NULL (kith_store_open_no_ids()): an empty index */
	for (i = n - 1; ids && i >= 0; i--)
		g_hash_table_insert(h, ids[i], GINT_TO_POINTER((gint)(i + 1)));
	return h;
}

int64_t
kith_store_user_index(struct kith_store *s, const char *id)
{
	if (s->user_index == NULL)
		s->user_index = build_index(s->user_ids, s->n_users);
	return (int64_t)GPOINTER_TO_INT(g_hash_table_lookup(s->user_index, id)) - 1;
}

int64_t
kith_store_item_index(struct kith_store *s, const char *id)
{
	if (s->item_index == NULL)
		s->item_index = build_index(s->item_ids, s->n_items);
	return (int64_t)GPOINTER_TO_INT(g_hash_table_lookup(s->item_index, id)) - 1;
}

/* ---- writing ---------------------------------------------------------- */

/*
 * The arrays of a store are written by a few threads at once: with
 * O_DIRECT each write waits for the device, and a single writer leaves
 * both the device queue and the CPU (hashing, copying) half idle.  The
 * files are synced once, by kith_outdir_commit(); the manifest lists
 * them in a fixed order whatever order they were written in.
 */
#define WRITERS 3

struct wjob {
	char *name;
	enum kith_dtype dtype;
	int64_t nrows, ncols;
	const void *data;
	int mode;
	size_t size;                /* bytes of data, to schedule big first */
	uint64_t h;
	int64_t bytes;
	GError *err;
	gboolean streamed;          /* written by a stream already */
};

struct wset {
	GArray *jobs;               /* struct wjob, manifest order */
	GPtrArray *keep;            /* default arrays made for the write */
	guint *order;               /* job indices, biggest first */
	gint next;
	struct kith_outdir *od;
};

static void
add_job(struct wset *w, const char *name, enum kith_dtype dtype,
        int64_t nrows, int64_t ncols, const void *data, int mode)
{
	struct wjob j = { 0 };

	j.name = g_strdup(name);
	j.dtype = dtype;
	j.nrows = nrows;
	j.ncols = ncols;
	j.data = data;
	j.mode = mode;
	j.size = (size_t)nrows * (size_t)(ncols ? ncols : 1) *
	         kith_dtype_size(dtype);
	g_array_append_val(w->jobs, j);
}

static gpointer
writer(gpointer data)
{
	struct wset *w = data;

	for (;;) {
		guint k = (guint)g_atomic_int_add(&w->next, 1);
		if (k >= w->jobs->len)
			break;
		struct wjob *j = &g_array_index(w->jobs, struct wjob,
		                                w->order[k]);
		if (j->streamed)
			continue;
		g_autofree char *path = kith_outdir_path(w->od, j->name);
		kith_npy_write_ex(path, j->dtype, j->nrows, j->ncols, j->data,
		                  j->mode, FALSE, &j->h, &j->bytes, &j->err);
	}
	return NULL;
}

/* Starts the writers (at most WRITERS threads; inline when none can be
 * made); threads[] receives them. */
static int
wset_start(struct wset *w, GThread **threads)
{
	guint n = w->jobs->len, k;
	int nt = 0;

	/* biggest first (stable insertion sort: a few dozen files) */
	const struct wjob *jobs = (const struct wjob *)(void *)w->jobs->data;
	w->order = g_new(guint, n + 1);
	for (k = 0; k < n; k++) {
		guint x = k;
		while (x > 0 && jobs[w->order[x - 1]].size < jobs[k].size) {
			w->order[x] = w->order[x - 1];
			x--;
		}
		w->order[x] = k;
	}
	w->next = 0;
	for (nt = 0; nt < WRITERS && (guint)nt < n; nt++) {
		threads[nt] = g_thread_try_new("kith-write", writer, w, NULL);
		if (threads[nt] == NULL)
			break;
	}
	if (nt == 0)
		writer(w);
	return nt;
}

/* Joins the writers; FALSE with the first error in manifest order. */
static gboolean
wset_finish(struct wset *w, GThread **threads, int nt, GError **error)
{
	guint k;

	for (int t = 0; t < nt; t++)
		g_thread_join(threads[t]);
	for (k = 0; k < w->jobs->len; k++) {
		struct wjob *j = &g_array_index(w->jobs, struct wjob, k);
		if (j->err != NULL) {
			g_propagate_error(error, j->err);
			j->err = NULL;
			return FALSE;
		}
	}
	return TRUE;
}

static void
wset_clear(struct wset *w)
{
	for (guint k = 0; k < w->jobs->len; k++) {
		struct wjob *j = &g_array_index(w->jobs, struct wjob, k);
		g_free(j->name);
		g_clear_error(&j->err);
	}
	g_array_free(w->jobs, TRUE);
	g_ptr_array_free(w->keep, TRUE);
	g_free(w->order);
}

/* ---- the arrays of a store ----------------------------------------------
 *
 * One table drives writing (kith_store_write() and the streams of
 * kith_store_writer_stream(), see kith_store_streamed_arrays()) and
 * opening (kith_store_open()): file name, dtype, where the data pointer
 * lives in struct kith_store, where its length comes from, and what an
 * in-memory store lacking it gets.  The manifest lists the arrays in
 * table order.  Every store holds every array (opening fails on a
 * missing file); "optional" is about in-memory stores only.
 */
enum sa_shape {
	SA_INDPTR,      /* CSR row pointers: *rows + 1 entries */
	SA_INDICES,     /* CSR column indices: csr->nnz (the file's length
	                 * sets csr->nnz on open) */
	SA_PAIRS,       /* CSR values and per-pair arrays: csr->nnz */
	SA_LOG,         /* the event log: n_log */
	SA_DENSE,       /* n_users x *cols (0 x 0 when *cols == 0) */
};

enum sa_fill {
	SA_REQUIRED,    /* NULL with entries: the store is incomplete */
	SA_EMPTY,       /* optional: written with no entries (SA_DENSE) */
	SA_ZERO,        /* optional: all bits zero */
	SA_ONE_F32,     /* optional: 1.0f */
	SA_ONE_I32,     /* optional: 1 */
	SA_MIN_I64,     /* optional: INT64_MIN (unknown time) */
};

struct store_array {
	const char *name;
	enum kith_dtype dtype;
	enum sa_shape shape;
	size_t data;            /* offsetof the data pointer */
	size_t csr;             /* offsetof its struct kith_csr (SA_INDPTR,
	                         * SA_INDICES, SA_PAIRS; pairs: ui) */
	size_t rows;            /* SA_INDPTR: offsetof the row count */
	size_t cols;            /* SA_INDPTR, SA_DENSE: offsetof the column
	                         * count */
	enum sa_fill fill;
	gboolean public_mode;   /* 0644 whatever the privacy mode */
	int lane;               /* kith ingest streams it on this lane, or -1 */
};

#define O(m) offsetof(struct kith_store, m)
static const struct store_array store_arrays[] = {
	{ "ui.indptr.npy", KITH_DT_I64, SA_INDPTR, O(ui.indptr), O(ui),
	  O(n_users), O(n_items), SA_ZERO, FALSE, -1 },
	{ "ui.indices.npy", KITH_DT_I32, SA_INDICES, O(ui.indices), O(ui), 0, 0,
	  SA_REQUIRED, FALSE, 1 },
	{ "ui.weight.npy", KITH_DT_F32, SA_PAIRS, O(ui.values), O(ui), 0, 0,
	  SA_ONE_F32, FALSE, 1 },
	{ "ui.count.npy", KITH_DT_I32, SA_PAIRS, O(ui_count), O(ui), 0, 0,
	  SA_ONE_I32, FALSE, 1 },
	{ "ui.ts_first.npy", KITH_DT_I64, SA_PAIRS, O(ui_ts_first), O(ui), 0, 0,
	  SA_MIN_I64, FALSE, 1 },
	{ "ui.ts_last.npy", KITH_DT_I64, SA_PAIRS, O(ui_ts_last), O(ui), 0, 0,
	  SA_MIN_I64, FALSE, 1 },
	{ "ui.types.npy", KITH_DT_U32, SA_PAIRS, O(ui_types), O(ui), 0, 0,
	  SA_ZERO, FALSE, 1 },
	{ "ui.value.npy", KITH_DT_F32, SA_PAIRS, O(ui_value), O(ui), 0, 0,
	  SA_ZERO, FALSE, 1 },
	{ "iu.indptr.npy", KITH_DT_I64, SA_INDPTR, O(iu.indptr), O(iu),
	  O(n_items), O(n_users), SA_ZERO, FALSE, -1 },
	{ "iu.indices.npy", KITH_DT_I32, SA_INDICES, O(iu.indices), O(iu), 0, 0,
	  SA_REQUIRED, FALSE, -1 },
	{ "iu.weight.npy", KITH_DT_F32, SA_PAIRS, O(iu.values), O(iu), 0, 0,
	  SA_ONE_F32, FALSE, -1 },
	{ "uu.indptr.npy", KITH_DT_I64, SA_INDPTR, O(uu.indptr), O(uu),
	  O(n_users), O(n_users), SA_ZERO, FALSE, -1 },
	{ "uu.indices.npy", KITH_DT_I32, SA_INDICES, O(uu.indices), O(uu), 0, 0,
	  SA_REQUIRED, FALSE, -1 },
	{ "uu.weight.npy", KITH_DT_F32, SA_PAIRS, O(uu.values), O(uu), 0, 0,
	  SA_ONE_F32, FALSE, -1 },
	{ "item_cat.indptr.npy", KITH_DT_I64, SA_INDPTR, O(item_cat.indptr),
	  O(item_cat), O(n_items), O(n_categories), SA_ZERO, TRUE, -1 },
	{ "item_cat.indices.npy", KITH_DT_I32, SA_INDICES, O(item_cat.indices),
	  O(item_cat), 0, 0, SA_REQUIRED, TRUE, -1 },
	{ "uf.indptr.npy", KITH_DT_I64, SA_INDPTR, O(uf.indptr), O(uf),
	  O(n_users), O(n_user_feats), SA_ZERO, FALSE, -1 },
	{ "uf.indices.npy", KITH_DT_I32, SA_INDICES, O(uf.indices), O(uf), 0, 0,
	  SA_REQUIRED, FALSE, -1 },
	{ "uf.value.npy", KITH_DT_F32, SA_PAIRS, O(uf.values), O(uf), 0, 0,
	  SA_ONE_F32, FALSE, -1 },
	{ "user_attr.npy", KITH_DT_F32, SA_DENSE, O(user_attr), 0, 0,
	  O(n_user_attrs), SA_EMPTY, FALSE, -1 },
	{ "user_type_count.npy", KITH_DT_I32, SA_DENSE, O(user_type_count), 0,
	  0, O(n_event_types), SA_EMPTY, FALSE, -1 },
	{ "ev.user.npy", KITH_DT_I32, SA_LOG, O(ev_user), 0, 0, 0, SA_REQUIRED,
	  FALSE, 0 },
	{ "ev.item.npy", KITH_DT_I32, SA_LOG, O(ev_item), 0, 0, 0, SA_REQUIRED,
	  FALSE, 0 },
	{ "ev.ts.npy", KITH_DT_I64, SA_LOG, O(ev_ts), 0, 0, 0, SA_REQUIRED,
	  FALSE, 0 },
	{ "ev.type.npy", KITH_DT_U8, SA_LOG, O(ev_type), 0, 0, 0, SA_REQUIRED,
	  FALSE, 0 },
	{ "ev.value.npy", KITH_DT_F32, SA_LOG, O(ev_value), 0, 0, 0,
	  SA_REQUIRED, FALSE, 0 },
};
#undef O

static int64_t
sa_count(const struct kith_store *s, size_t off)
{
	return *(const int64_t *)(const void *)((const char *)s + off);
}

static const struct kith_csr *
sa_csr(const struct kith_store *s, const struct store_array *a)
{
	return (const struct kith_csr *)(const void *)((const char *)s +
	                                               a->csr);
}

static void *
sa_data(const struct kith_store *s, const struct store_array *a)
{
	return *(void *const *)(const void *)((const char *)s + a->data);
}

/* The shape array A has in store S: rows, and columns (0: 1-D). */
static void
sa_shape(const struct kith_store *s, const struct store_array *a,
         int64_t *rows, int64_t *cols)
{
	*cols = 0;
	switch (a->shape) {
	case SA_INDPTR:
		*rows = sa_count(s, a->rows) + 1;
		break;
	case SA_INDICES:
	case SA_PAIRS:
		*rows = sa_csr(s, a)->nnz;
		break;
	case SA_LOG:
		*rows = s->n_log;
		break;
	case SA_DENSE:
		*cols = sa_data(s, a) != NULL ? sa_count(s, a->cols) : 0;
		*rows = *cols > 0 ? s->n_users : 0;
		break;
	}
}

int
kith_store_streamed_arrays(const struct kith_store *s,
                           struct kith_store_stream_array *out)
{
	int n = 0;
	int64_t cols;

	for (size_t k = 0; k < G_N_ELEMENTS(store_arrays); k++) {
		const struct store_array *a = &store_arrays[k];
		if (a->lane < 0)
			continue;
		out[n].name = a->name;
		out[n].dtype = a->dtype;
		sa_shape(s, a, &out[n].n, &cols);
		out[n].data = sa_data(s, a);
		out[n].lane = a->lane;
		n++;
	}
	return n;
}

/* The data of array A for writing: S's own, or a block made for an
 * optional array S lacks (kept in W->keep); NULL with *error. */
static const void *
sa_write_data(struct wset *w, const struct kith_store *s,
              const struct store_array *a, int64_t rows, GError **error)
{
	const void *d = sa_data(s, a);
	if (d != NULL || a->fill == SA_EMPTY || rows == 0)
		return d;
	if (a->fill == SA_REQUIRED) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "store array '%s' missing", a->name);
		return NULL;
	}
	size_t n = (size_t)rows, es = kith_dtype_size(a->dtype);
	void *block = kith_alloc0_n(n + 1, es, error);
	if (block == NULL)
		return NULL;
	g_ptr_array_add(w->keep, block);
	for (size_t j = 0; j < n && a->fill != SA_ZERO; j++) {
		if (a->fill == SA_ONE_F32)
			((float *)block)[j] = 1.0f;
		else if (a->fill == SA_ONE_I32)
			((int32_t *)block)[j] = 1;
		else
			((int64_t *)block)[j] = INT64_MIN;
	}
	return block;
}

/* ---- writing in steps: streams ------------------------------------------
 *
 * A stream is a group of 1-D arrays that a producer fills front to back
 * (each through one of a few "lanes" of progress: elements final so far).
 * Its threads (at most WRITERS, each owning whole files, balanced by
 * bytes) append what became final to their files, in pieces of at least
 * STREAM_PIECE bytes, and wait for the next advance otherwise.  At the
 * end, kith_store_writer_finish() takes the streamed files as written
 * (after checking that they are the store's arrays) and writes the rest.
 */
#define STREAM_PIECE ((size_t)1 << 20)

struct sfile {
	char *name;
	enum kith_dtype dtype;
	int64_t n;
	const char *data;
	int lane;
	int thread;
	size_t done;                /* bytes appended */
	struct kith_npy_out *out;   /* NULL once closed */
	uint64_t h;
	int64_t bytes;
	gboolean written;           /* closed complete */
	gboolean claimed;
};

struct sthread {
	struct kith_store_stream *st;
	int id;
};

struct kith_store_stream {
	struct kith_store_writer *w;
	GMutex mu;
	GCond cond;
	int64_t avail[KITH_STORE_LANES];
	guint64 seq;                /* advances so far */
	gboolean ended, cancelled;
	GError *err;                /* the first failure */
	struct sfile *f;
	int nf;
	GThread *threads[WRITERS];
	struct sthread targ[WRITERS];
	int nt;
	gboolean joined;
};

static gboolean store_check(const struct kith_store *s, gboolean release,
                            gboolean no_ui, gboolean no_uu, GError **error);

/* An array the caller wrote (kith_store_writer_open()). */
struct wput {
	char *name;
	enum kith_dtype dtype;
	int64_t rows, cols;
	struct kith_npy_out *out;   /* NULL once closed */
	uint64_t h;
	int64_t bytes;
	gboolean written;
};

struct kith_store_writer {
	struct kith_outdir *od;
	int umode;
	GPtrArray *streams;
	GArray *puts;               /* struct wput */
};

/* Appends what is final of the thread's files (all of it once ended);
 * FALSE with *err on a write error. */
static gboolean
stream_pass(struct kith_store_stream *st, int id, const int64_t *avail,
            gboolean ended, gboolean *moved, gboolean *all_closed,
            GError **err)
{
	*all_closed = TRUE;
	for (int k = 0; k < st->nf; k++) {
		struct sfile *f = &st->f[k];
		if (f->thread != id || f->out == NULL)
			continue;
		size_t es = kith_dtype_size(f->dtype);
		int64_t a = avail[f->lane] < f->n ? avail[f->lane] : f->n;
		size_t ready = (size_t)(a > 0 ? a : 0) * es;
		if (ready > f->done && (ended || ready - f->done >= STREAM_PIECE)) {
			if (!kith_npy_out_append(f->out, f->data + f->done,
			                         ready - f->done, err))
				return FALSE;
			f->done = ready;
			*moved = TRUE;
		}
		if (ended) {
			struct kith_npy_out *o = f->out;
			f->out = NULL;
			if (!kith_npy_out_close(o, FALSE, &f->h, &f->bytes, err))
				return FALSE;
			f->written = TRUE;
		} else {
			*all_closed = FALSE;
		}
	}
	return TRUE;
}

static gpointer
stream_main(gpointer data)
{
	struct sthread *a = data;
	struct kith_store_stream *st = a->st;
	int64_t avail[KITH_STORE_LANES];
	guint64 seen = G_MAXUINT64;

	for (;;) {
		g_mutex_lock(&st->mu);
		while (!st->cancelled && !st->ended && st->seq == seen)
			g_cond_wait(&st->cond, &st->mu);
		gboolean cancelled = st->cancelled, ended = st->ended;
		seen = st->seq;
		memcpy(avail, st->avail, sizeof avail);
		g_mutex_unlock(&st->mu);
		if (cancelled)
			break;
		gboolean moved = FALSE, closed = FALSE;
		GError *err = NULL;
		if (!stream_pass(st, a->id, avail, ended, &moved, &closed, &err)) {
			g_mutex_lock(&st->mu);
			if (st->err == NULL)
				st->err = err;
			else
				g_error_free(err);
			st->cancelled = TRUE;
			g_cond_broadcast(&st->cond);
			g_mutex_unlock(&st->mu);
			break;
		}
		if (closed)
			break;
	}
	return NULL;
}

struct kith_store_writer *
kith_store_writer_begin(const char *path, gboolean private_mode,
                        GError **error)
{
	struct kith_outdir *od = kith_outdir_begin(path, error);
	if (od == NULL)
		return NULL;
	struct kith_store_writer *w = g_new0(struct kith_store_writer, 1);
	w->od = od;
	w->umode = private_mode ? 0600 : 0644;
	w->streams = g_ptr_array_new();
	w->puts = g_array_new(FALSE, TRUE, sizeof(struct wput));
	return w;
}

struct kith_npy_out *
kith_store_writer_open(struct kith_store_writer *w, const char *name,
                       enum kith_dtype dtype, int64_t rows, int64_t cols,
                       GError **error)
{
	g_autofree char *path = kith_outdir_path(w->od, name);
	struct kith_npy_out *o = kith_npy_out_open(path, dtype, rows, cols,
	                                           w->umode, error);
	if (o == NULL)
		return NULL;
	struct wput p = { 0 };
	p.name = g_strdup(name);
	p.dtype = dtype;
	p.rows = rows;
	p.cols = cols;
	p.out = o;
	g_array_append_val(w->puts, p);
	return o;
}

gboolean
kith_store_writer_close(struct kith_store_writer *w, const char *name,
                        GError **error)
{
	for (guint k = 0; k < w->puts->len; k++) {
		struct wput *p = &g_array_index(w->puts, struct wput, k);
		if (strcmp(p->name, name) != 0 || p->out == NULL)
			continue;
		struct kith_npy_out *o = p->out;
		p->out = NULL;
		if (!kith_npy_out_close(o, FALSE, &p->h, &p->bytes, error))
			return FALSE;
		p->written = TRUE;
		return TRUE;
	}
	g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
	            "internal: '%s' is not open in the store", name);
	return FALSE;
}

static const struct wput *
put_of(const struct kith_store_writer *w, const char *name)
{
	for (guint k = 0; w && k < w->puts->len; k++) {
		const struct wput *p = &g_array_index(w->puts, struct wput, k);
		if (strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

struct kith_store_stream *
kith_store_writer_stream(struct kith_store_writer *w, int n,
                         const struct kith_store_stream_array *arr,
                         GError **error)
{
	struct kith_store_stream *st = g_new0(struct kith_store_stream, 1);
	int64_t load[WRITERS] = { 0 };
	int nt = n < WRITERS ? n : WRITERS;

	g_mutex_init(&st->mu);
	g_cond_init(&st->cond);
	st->w = w;
	st->f = g_new0(struct sfile, n > 0 ? n : 1);
	st->nf = n;
	g_ptr_array_add(w->streams, st);
	for (int k = 0; k < n; k++) {
		struct sfile *f = &st->f[k];
		g_return_val_if_fail(arr[k].lane >= 0 &&
		                     arr[k].lane < KITH_STORE_LANES, NULL);
		f->name = g_strdup(arr[k].name);
		f->dtype = arr[k].dtype;
		f->n = arr[k].n;
		f->data = arr[k].data;
		f->lane = arr[k].lane;
	}
	/* files to threads, biggest first to the least loaded */
	for (int done = 0; done < n; done++) {
		int best = -1;
		for (int k = 0; k < n; k++)
			if (st->f[k].thread == 0 &&
			    (best < 0 || st->f[k].n * (int64_t)kith_dtype_size(
			                     st->f[k].dtype) >
			                 st->f[best].n * (int64_t)kith_dtype_size(
			                     st->f[best].dtype)))
				best = k;
		int t = 0;
		for (int x = 1; x < nt; x++)
			if (load[x] < load[t])
				t = x;
		st->f[best].thread = t + 1;     /* 0 = not yet placed */
		load[t] += st->f[best].n *
		           (int64_t)kith_dtype_size(st->f[best].dtype);
	}
	for (int k = 0; k < n; k++) {
		struct sfile *f = &st->f[k];
		f->thread--;
		g_autofree char *path = kith_outdir_path(w->od, f->name);
		f->out = kith_npy_out_open(path, f->dtype, f->n, 0, w->umode,
		                           error);
		if (f->out == NULL) {
			kith_store_writer_cancel(w);
			return NULL;
		}
	}
	for (int t = 0; t < nt; t++) {
		st->targ[t].st = st;
		st->targ[t].id = t;
		st->threads[t] = g_thread_try_new("kith-stream", stream_main,
		                                  &st->targ[t], error);
		if (st->threads[t] == NULL) {
			kith_store_writer_cancel(w);
			return NULL;
		}
		st->nt = t + 1;
	}
	return st;
}

static void
stream_publish(struct kith_store_stream *st, const int64_t *avail,
               gboolean end)
{
	g_mutex_lock(&st->mu);
	memcpy(st->avail, avail, sizeof st->avail);
	st->seq++;
	if (end)
		st->ended = TRUE;
	g_cond_broadcast(&st->cond);
	g_mutex_unlock(&st->mu);
}

void
kith_store_stream_advance(struct kith_store_stream *st,
                          const int64_t avail[KITH_STORE_LANES])
{
	stream_publish(st, avail, FALSE);
}

void
kith_store_stream_end(struct kith_store_stream *st,
                      const int64_t avail[KITH_STORE_LANES])
{
	stream_publish(st, avail, TRUE);
}

static void
stream_join(struct kith_store_stream *st)
{
	if (st->joined)
		return;
	for (int t = 0; t < st->nt; t++)
		g_thread_join(st->threads[t]);
	st->joined = TRUE;
	for (int k = 0; k < st->nf; k++)
		if (st->f[k].out != NULL) {
			kith_npy_out_abort(st->f[k].out);
			st->f[k].out = NULL;
		}
}

void
kith_store_writer_cancel(struct kith_store_writer *w)
{
	for (guint k = 0; k < w->streams->len; k++) {
		struct kith_store_stream *st = w->streams->pdata[k];
		g_mutex_lock(&st->mu);
		st->cancelled = TRUE;
		g_cond_broadcast(&st->cond);
		g_mutex_unlock(&st->mu);
		stream_join(st);
	}
	for (guint k = 0; w->puts && k < w->puts->len; k++) {
		struct wput *p = &g_array_index(w->puts, struct wput, k);
		if (p->out != NULL) {
			kith_npy_out_abort(p->out);
			p->out = NULL;
		}
	}
}

void
kith_store_writer_free(struct kith_store_writer *w)
{
	if (w == NULL)
		return;
	kith_store_writer_cancel(w);
	for (guint k = 0; k < w->streams->len; k++) {
		struct kith_store_stream *st = w->streams->pdata[k];
		for (int i = 0; i < st->nf; i++)
			g_free(st->f[i].name);
		g_free(st->f);
		g_clear_error(&st->err);
		g_mutex_clear(&st->mu);
		g_cond_clear(&st->cond);
		g_free(st);
	}
	g_ptr_array_free(w->streams, TRUE);
	for (guint k = 0; k < w->puts->len; k++)
		g_free(g_array_index(w->puts, struct wput, k).name);
	g_array_free(w->puts, TRUE);
	kith_outdir_free(w->od);
	g_free(w);
}

/* Marks the jobs that a stream writes; each streamed file must be one of
 * the store's arrays, with its data, and every stream must have ended. */
static gboolean
claim_streamed(struct kith_store_writer *sw, struct wset *w, GError **error)
{
	for (guint k = 0; k < sw->streams->len; k++) {
		struct kith_store_stream *st = sw->streams->pdata[k];
		if (!st->ended && st->nf > 0) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
			            "internal: the stream of '%s' was not ended",
			            st->f[0].name);
			return FALSE;
		}
		for (int i = 0; i < st->nf; i++) {
			struct sfile *f = &st->f[i];
			for (guint x = 0; x < w->jobs->len; x++) {
				struct wjob *j = &g_array_index(w->jobs, struct wjob,
				                                x);
				if (strcmp(j->name, f->name) != 0)
					continue;
				if (j->dtype == f->dtype && j->nrows == f->n &&
				    j->ncols == 0 && j->data == f->data) {
					j->streamed = TRUE;
					f->claimed = TRUE;
				}
				break;
			}
			if (!f->claimed) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
				            "internal: streamed '%s' is not the store's "
				            "array", f->name);
				return FALSE;
			}
		}
	}
	return TRUE;
}

/* Joins the streams; their checksums into the jobs; FALSE with the first
 * failure. */
static gboolean
streams_finish(struct kith_store_writer *sw, struct wset *w, GError **error)
{
	gboolean ok = TRUE;
	for (guint k = 0; k < sw->streams->len; k++) {
		struct kith_store_stream *st = sw->streams->pdata[k];
		stream_join(st);
		if (st->err != NULL) {
			if (ok)
				g_propagate_error(error, st->err);
			else
				g_error_free(st->err);
			st->err = NULL;
			ok = FALSE;
		}
		for (int i = 0; ok && i < st->nf; i++) {
			if (!st->f[i].written) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
				            "internal: the stream of '%s' was cancelled",
				            st->f[i].name);
				ok = FALSE;
				break;
			}
			for (guint x = 0; x < w->jobs->len; x++) {
				struct wjob *j = &g_array_index(w->jobs, struct wjob,
				                                x);
				if (j->streamed && strcmp(j->name, st->f[i].name) == 0) {
					j->h = st->f[i].h;
					j->bytes = st->f[i].bytes;
				}
			}
		}
	}
	return ok;
}

static gboolean
writer_finish(struct kith_store_writer *sw, const struct kith_store *s,
              JsonObject *extra, GError **error)
{
	struct kith_outdir *od = sw->od;
	g_autoptr(JsonBuilder) b = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *mpath = NULL;
	int umode = sw->umode;
	int64_t social_pairs;

	if (!store_check(s, FALSE, put_of(sw, "ui.indices.npy") != NULL,
	                 put_of(sw, "uu.indices.npy") != NULL, error))
		return FALSE;
	b = kith_manifest_begin(KITH_STORE_FORMAT, KITH_STORE_VERSION);

	struct wset w = { 0 };
	w.jobs = g_array_new(FALSE, TRUE, sizeof(struct wjob));
	w.keep = g_ptr_array_new_with_free_func(g_free);
	w.od = od;
	gboolean ok = TRUE;
	for (size_t k = 0; ok && k < G_N_ELEMENTS(store_arrays); k++) {
		const struct store_array *a = &store_arrays[k];
		int64_t rows, cols;
		sa_shape(s, a, &rows, &cols);
		const struct wput *p = put_of(sw, a->name);
		if (p != NULL) {
			if (a->shape == SA_DENSE) {     /* as if S held it */
				cols = sa_count(s, a->cols);
				rows = cols > 0 ? s->n_users : 0;
			}
			ok = p->written && p->dtype == a->dtype &&
			     p->rows == rows && p->cols == cols;
			if (!ok) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
				            "internal: '%s' written by the caller "
				            "is not the store's array", a->name);
				break;
			}
			add_job(&w, a->name, a->dtype, rows, cols, NULL, 0);
			struct wjob *j = &g_array_index(w.jobs, struct wjob,
			                                w.jobs->len - 1);
			j->streamed = TRUE;
			j->h = p->h;
			j->bytes = p->bytes;
			continue;
		}
		const void *d = sa_write_data(&w, s, a, rows, error);
		ok = d != NULL || rows == 0 || a->fill == SA_EMPTY;
		if (ok)
			add_job(&w, a->name, a->dtype, rows, cols, d,
			        a->public_mode ? 0644 : umode);
	}
	if (ok)
		ok = claim_streamed(sw, &w, error);
	if (!ok) {
		wset_clear(&w);
		return FALSE;
	}

	/* the names files, written here while the writers run */
	static const char *const nnames[6] = {
		"users.tsv", "items.tsv", "categories.tsv", "event_types.tsv",
		"user_attr.tsv", "user_features.tsv",
	};
	char **nlist[6] = {
		s->user_ids, s->item_ids, s->category_names,
		s->event_type_names, s->user_attr_names, s->user_feat_names,
	};
	const int64_t ncount[6] = {
		s->n_users, s->n_items, s->n_categories, s->n_event_types,
		s->n_user_attrs, s->n_user_feats,
	};
	/* ids files are headed by what they name (an older store's "id"
	 * header reads the same: the first line is skipped) */
	static const char *const nheader[6] = {
		"user", "item", "id", "id", "id", "id",
	};
	const int nmode[6] = { umode, 0644, 0644, 0644, 0644, 0644 };
	uint64_t nh[6];
	int64_t nbytes[6];
	GThread *threads[WRITERS];
	int nt = wset_start(&w, threads);
	GError *nerr = NULL;
	for (int k = 0; k < 6 && nerr == NULL; k++) {
		GString *text = kith_ids_text(nheader[k], nlist[k], ncount[k]);
		g_autofree char *path = kith_outdir_path(od, nnames[k]);
		if (kith_write_file_nosync(path, text->str, text->len,
		                           nmode[k], &nh[k], &nerr))
			nbytes[k] = (int64_t)text->len;
		g_string_free(text, TRUE);
	}
	ok = streams_finish(sw, &w, error);
	ok = wset_finish(&w, threads, nt, ok ? error : NULL) && ok;
	if (ok && nerr != NULL) {
		g_propagate_error(error, nerr);
		nerr = NULL;
		ok = FALSE;
	}
	g_clear_error(&nerr);
	if (ok) {
		json_builder_set_member_name(b, "arrays");
		json_builder_begin_object(b);
		for (guint k = 0; k < w.jobs->len; k++) {
			const struct wjob *j = &g_array_index(w.jobs, struct wjob,
			                                      k);
			kith_manifest_add_array(b, j->name, j->dtype, j->nrows,
			                        j->ncols, j->h, j->bytes);
		}
		for (int k = 0; k < 6; k++)
			kith_manifest_add_text(b, nnames[k], ncount[k], nh[k],
			                       nbytes[k]);
	}
	wset_clear(&w);
	if (!ok)
		return FALSE;
	json_builder_end_object(b);

	if (s->rejects_tsv != NULL) {
		g_autofree char *rp = kith_outdir_path(od, "rejects.tsv");
		if (!kith_write_file(rp, s->rejects_tsv, s->rejects_len, 0600,
		                     error))
			return FALSE;
	}

	social_pairs = s->directed_social ? s->uu.nnz : s->uu.nnz / 2;
	json_builder_set_member_name(b, "counts");
	json_builder_begin_object(b);
	kith_json_put_int(b, "users", s->n_users);
	kith_json_put_int(b, "items", s->n_items);
	kith_json_put_int(b, "events", s->n_events);
	kith_json_put_int(b, "interactions", s->ui.nnz);
	kith_json_put_int(b, "social_pairs", social_pairs);
	kith_json_put_int(b, "social_entries", s->uu.nnz);
	kith_json_put_int(b, "categories", s->n_categories);
	kith_json_put_int(b, "item_categories", s->item_cat.nnz);
	kith_json_put_int(b, "event_types", s->n_event_types);
	kith_json_put_int(b, "user_attrs", s->n_user_attrs);
	kith_json_put_int(b, "user_features", s->n_user_feats);
	kith_json_put_int(b, "user_feature_entries", s->uf.nnz);
	kith_json_put_int(b, "event_log", s->n_log);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "directed_social");
	json_builder_add_boolean_value(b, s->directed_social);
	json_builder_end_object(b);

	root = json_builder_get_root(b);
	if (extra != NULL) {
		JsonObject *o = json_node_get_object(root);
		g_autoptr(GList) names = json_object_get_members(extra);
		GList *l;
		for (l = names; l != NULL; l = l->next) {
			if (json_object_has_member(o, l->data))
				continue;
			json_object_set_member(o, l->data,
			                       json_node_copy(json_object_get_member(
			                               extra, l->data)));
		}
	}
	mpath = kith_outdir_path(od, "manifest.json");
	if (!kith_json_write(mpath, root, error))
		return FALSE;
	return kith_outdir_commit(od, error);
}

gboolean
kith_store_writer_finish(struct kith_store_writer *sw,
                         const struct kith_store *s, JsonObject *extra,
                         GError **error)
{
	if (writer_finish(sw, s, extra, error))
		return TRUE;
	kith_store_writer_cancel(sw);
	return FALSE;
}

gboolean
kith_store_write(const struct kith_store *s, const char *path,
                 JsonObject *extra, gboolean private_mode, GError **error)
{
	struct kith_store_writer *w = kith_store_writer_begin(path, private_mode,
	                                                      error);
	if (w == NULL)
		return FALSE;
	gboolean ok = kith_store_writer_finish(w, s, extra, error);
	kith_store_writer_free(w);
	return ok;
}

/* ---- checking ----------------------------------------------------------- */

void
kith_store_release(const struct kith_store *s, const void *p, size_t bytes)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t a = (uintptr_t)p, b = a + bytes;

	if (s == NULL || p == NULL || bytes == 0 || page <= 0)
		return;
	for (guint i = 0; s->maps && i < s->maps->len; i++) {
		const struct kith_npy *m = g_ptr_array_index(s->maps, i);
		uintptr_t m0 = (uintptr_t)m->map, m1 = m0 + m->map_len;
		if (m->map == NULL || a < m0 || b > m1)
			continue;
		/* outward to whole pages: they all belong to this mapping */
		a -= a % (uintptr_t)page;
		b = MIN(b + ((uintptr_t)page - b % (uintptr_t)page) %
		                (uintptr_t)page,
		        m1 + ((uintptr_t)page - m1 % (uintptr_t)page) %
		                 (uintptr_t)page);
		(void)madvise((void *)a, b - a, MADV_DONTNEED);
		return;
	}
}

void
kith_store_release_rows(const struct kith_store *s, const struct kith_csr *m,
                        int64_t r0, int64_t r1)
{
	if (s == NULL || m->indptr == NULL || r1 <= r0)
		return;
	size_t e0 = (size_t)m->indptr[r0], ne = (size_t)m->indptr[r1] - e0;
	kith_store_release(s, m->indptr + r0,
	                   sizeof(int64_t) * (size_t)(r1 - r0 + 1));
	kith_store_release(s, m->indices + e0, sizeof(int32_t) * ne);
	if (m->values)
		kith_store_release(s, m->values + e0, sizeof(float) * ne);
}

void
kith_store_release_all(const struct kith_store *s)
{
	for (guint i = 0; s && s->maps && i < s->maps->len; i++) {
		const struct kith_npy *m = g_ptr_array_index(s->maps, i);
		if (m->map)
			kith_store_release(s, m->map, m->map_len);
	}
}

int64_t
kith_store_log_lower(const struct kith_store *s, int64_t u)
{
	int64_t a = 0, b = s->n_log;

	while (a < b) {
		int64_t m = a + (b - a) / 2;
		if (s->ev_user[m] < u)
			a = m + 1;
		else
			b = m;
	}
	return a;
}

void
kith_store_release_log(const struct kith_store *s, int64_t lo, int64_t hi)
{
	if (s == NULL || s->n_log == 0 || hi <= lo)
		return;
	size_t e0 = (size_t)kith_store_log_lower(s, lo);
	size_t ne = (size_t)kith_store_log_lower(s, hi) - e0;
	kith_store_release(s, s->ev_user + e0, sizeof(int32_t) * ne);
	kith_store_release(s, s->ev_item + e0, sizeof(int32_t) * ne);
	if (s->ev_ts)
		kith_store_release(s, s->ev_ts + e0, sizeof(int64_t) * ne);
	if (s->ev_type)
		kith_store_release(s, s->ev_type + e0, ne);
	if (s->ev_value)
		kith_store_release(s, s->ev_value + e0, sizeof(float) * ne);
}

/* Checks m; with `release` (the store `s` mapped it), hands the pages
 * checked back every KITH_STORE_RELEASE_BLOCK entries (kith_store_release()). */
static gboolean
check_csr(const struct kith_store *s, gboolean release,
          const struct kith_csr *m, const char *name, int64_t n_rows,
          int64_t n_cols, gboolean sorted, GError **error)
{
	int64_t i, j, r0 = 0;

	if (m->indptr == NULL) {
		if (m->nnz == 0)
			return TRUE;
		goto bad;
	}
	if (m->n_rows != n_rows || m->n_cols != n_cols || m->indptr[0] != 0 ||
	    m->indptr[n_rows] != m->nnz)
		goto bad;
	for (i = 0; i < n_rows; i++) {
		int64_t s0 = m->indptr[i], e = m->indptr[i + 1];
		if (e < s0 || e > m->nnz)
			goto bad;
		for (j = s0; j < e; j++) {
			if (m->indices[j] < 0 || m->indices[j] >= n_cols)
				goto bad;
			if (sorted && j > s0 && m->indices[j] <= m->indices[j - 1])
				goto bad;
		}
		if (release && (i + 1 == n_rows ||
		                e - m->indptr[r0] + i - r0 >= KITH_STORE_RELEASE_BLOCK)) {
			kith_store_release_rows(s, m, r0, i + 1);
			r0 = i + 1;
		}
	}
	return TRUE;
bad:
	g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
	            "sparse matrix '%s' is inconsistent", name);
	return FALSE;
}

/* kith_store_check(); with `release`, the pages checked are handed back
 * as the checks go (S mapped them). */
static gboolean
store_check(const struct kith_store *s, gboolean release, gboolean no_ui,
            gboolean no_uu, GError **error)
{
	if ((!no_ui &&
	     !check_csr(s, release, &s->ui, "ui", s->n_users, s->n_items, TRUE,
	                error)) ||
	    (!no_ui &&
	     !check_csr(s, release, &s->iu, "iu", s->n_items, s->n_users, TRUE,
	                error)) ||
	    (!no_uu &&
	     !check_csr(s, release, &s->uu, "uu", s->n_users, s->n_users, TRUE,
	                error)) ||
	    !check_csr(s, release, &s->item_cat, "item_cat", s->n_items,
	               s->n_categories, TRUE, error) ||
	    !check_csr(s, release, &s->uf, "uf", s->n_users, s->n_user_feats,
	               TRUE, error))
		return FALSE;
	if (s->ui.nnz != s->iu.nnz) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "user-item and item-user matrices disagree");
		return FALSE;
	}
	return TRUE;
}

gboolean
kith_store_check(const struct kith_store *s, GError **error)
{
	return store_check(s, FALSE, FALSE, FALSE, error);
}

/* ---- opening ------------------------------------------------------------- */

static const void *
map_array(struct kith_store *s, const char *name, enum kith_dtype dt,
          int64_t rows, int64_t cols, GError **error)
{
	g_autofree char *path = g_build_filename(s->path, name, NULL);
	struct kith_npy *a = g_new0(struct kith_npy, 1);
	int64_t have;

	if (!kith_npy_map(a, path, error)) {
		g_free(a);
		return NULL;
	}
	g_ptr_array_add(s->maps, a);
	have = a->shape[0] * a->shape[1];
	if (a->dtype != dt ||
	    (rows >= 0 && !(have == rows * (cols > 0 ? cols : 1) &&
	                    (cols <= 0 || a->ndim == 2 || have == 0)))) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "'%s' has the wrong type or shape", path);
		return NULL;
	}
	return a->data ? a->data : (const void *)"";
}

/* Maps every array of the table into S, in table order (the counts are
 * set); sets the CSRs' shapes and the data pointers. */
static gboolean
map_arrays(struct kith_store *s, GError **error)
{
	for (size_t k = 0; k < G_N_ELEMENTS(store_arrays); k++) {
		const struct store_array *a = &store_arrays[k];
		struct kith_csr *m = (struct kith_csr *)(void *)((char *)s +
		                                                 a->csr);
		int64_t rows, cols;
		const void *d;
		if (a->shape == SA_DENSE) {
			cols = sa_count(s, a->cols);
			rows = cols > 0 ? s->n_users : 0;
		} else {
			sa_shape(s, a, &rows, &cols);
		}
		if (a->shape == SA_INDICES)
			rows = -1;      /* nnz: the file's length */
		d = map_array(s, a->name, a->dtype, rows, cols, error);
		if (d == NULL)
			return FALSE;
		if (a->shape == SA_INDPTR) {
			m->n_rows = rows - 1;
			m->n_cols = sa_count(s, a->cols);
		} else if (a->shape == SA_INDICES) {
			const struct kith_npy *last =
			        g_ptr_array_index(s->maps, s->maps->len - 1);
			m->nnz = last->shape[0];
			d = last->data;
		} else if (a->shape == SA_DENSE && cols == 0) {
			d = NULL;
		}
		*(const void **)(void *)((char *)s + a->data) = d;
	}
	return TRUE;
}

static char **
read_names(struct kith_store *s, const char *name, int64_t n, GError **error)
{
	g_autofree char *path = g_build_filename(s->path, name, NULL);
	g_autofree char *text = NULL;
	g_autoptr(GString) id = g_string_new(NULL);
	gsize len;
	char **out, *p, *nl;
	int64_t i = -1;

	if (!g_file_get_contents(path, &text, &len, NULL)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "cannot read '%s'", path);
		return NULL;
	}
	out = kith_store_own(s, g_new0(char *, n + 1));
	for (p = text; *p; p = nl + 1) {
		char *tab;
		nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		*nl = '\0';
		tab = strchr(p, '\t');
		if (tab)
			*tab = '\0';
		if (i >= 0) {
			if (i >= n)
				break;
			kith_ids_unescape(id, p);
			out[i] = kith_store_intern(s, id->str);
		}
		i++;
	}
	if (i != n || (size_t)(p - text) != len) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "'%s' has %" G_GINT64_FORMAT " rows, expected %"
		            G_GINT64_FORMAT, path, i < 0 ? 0 : i, n);
		return NULL;
	}
	return out;
}

static gboolean
get_count(JsonObject *counts, const char *name, int64_t *out, GError **error)
{
	JsonNode *n = counts ? json_object_get_member(counts, name) : NULL;

	if (n == NULL || json_node_get_value_type(n) != G_TYPE_INT64 ||
	    json_node_get_int(n) < 0 || json_node_get_int(n) > INT32_MAX) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "manifest: missing or invalid count '%s'", name);
		return FALSE;
	}
	*out = json_node_get_int(n);
	return TRUE;
}

static struct kith_store *store_open(const char *path, gboolean ids,
                                     GError **error);

struct kith_store *
kith_store_open(const char *path, GError **error)
{
	return store_open(path, TRUE, error);
}

struct kith_store *
kith_store_open_no_ids(const char *path, GError **error)
{
	return store_open(path, FALSE, error);
}

static struct kith_store *
store_open(const char *path, gboolean ids, GError **error)
{
	g_autoptr(kith_store) s = kith_store_new();
	g_autofree char *mpath = g_build_filename(path, "manifest.json", NULL);
	JsonObject *root, *counts;
	const char *fmt;
	int64_t events;
	/* under mpirun a rank reads only its rows: the pages the checks
	 * touch go back as they are checked */
	gboolean release = kith_dist_active();

	if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "'%s' is not a store folder", path);
		return NULL;
	}
	s->path = g_strdup(path);
	s->manifest = kith_json_read(mpath, error);
	if (s->manifest == NULL)
		return NULL;
	root = json_node_get_object(s->manifest);
	fmt = kith_json_str(root, "format");
	if (fmt == NULL || strcmp(fmt, KITH_STORE_FORMAT) != 0 ||
	    kith_json_int_or(root, "format_version", 0) !=
	            KITH_STORE_VERSION) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "'%s' is not a kith store (format version %d)", path,
		            KITH_STORE_VERSION);
		return NULL;
	}
	counts = kith_json_obj(root, "counts");
	if (!get_count(counts, "users", &s->n_users, error) ||
	    !get_count(counts, "items", &s->n_items, error) ||
	    !get_count(counts, "categories", &s->n_categories, error) ||
	    !get_count(counts, "event_types", &s->n_event_types, error) ||
	    !get_count(counts, "user_attrs", &s->n_user_attrs, error) ||
	    !get_count(counts, "user_features", &s->n_user_feats, error))
		return NULL;
	events = kith_json_int_or(counts, "events", 0);
	s->n_events = events;
	s->directed_social =
	        kith_json_bool_or(root, "directed_social", FALSE);
	s->n_log = kith_json_int_or(counts, "event_log", 0);
	if (s->n_log < 0 || s->n_log > INT32_MAX * (int64_t)64) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "manifest: invalid count 'event_log'");
		return NULL;
	}
	if (!map_arrays(s, error))
		return NULL;
	for (int64_t j0 = 0; j0 < s->n_log; j0 += KITH_STORE_RELEASE_BLOCK) {
		int64_t j1 = MIN(s->n_log, j0 + KITH_STORE_RELEASE_BLOCK);
		for (int64_t j = j0; j < j1; j++)
			if (s->ev_user[j] < 0 || s->ev_user[j] >= s->n_users ||
			    s->ev_item[j] < 0 || s->ev_item[j] >= s->n_items ||
			    (s->ev_type[j] != 255 &&
			     s->ev_type[j] >= s->n_event_types) ||
			    (j > 0 && s->ev_user[j] < s->ev_user[j - 1])) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
				            "'%s': event log row %" G_GINT64_FORMAT
				            " is inconsistent", path, j);
				return NULL;
			}
		if (release) {
			size_t k = (size_t)(j1 - j0);
			kith_store_release(s, s->ev_user + j0, 4 * k);
			kith_store_release(s, s->ev_item + j0, 4 * k);
			kith_store_release(s, s->ev_type + j0, k);
		}
	}
	if ((ids && (s->user_ids = read_names(s, "users.tsv", s->n_users,
	                                      error)) == NULL) ||
	    (ids && (s->item_ids = read_names(s, "items.tsv", s->n_items,
	                                      error)) == NULL) ||
	    (s->category_names = read_names(s, "categories.tsv",
	                                    s->n_categories, error)) == NULL ||
	    (s->event_type_names = read_names(s, "event_types.tsv",
	                                      s->n_event_types, error)) == NULL ||
	    (s->user_attr_names = read_names(s, "user_attr.tsv",
	                                     s->n_user_attrs, error)) == NULL ||
	    (s->user_feat_names = read_names(s, "user_features.tsv",
	                                     s->n_user_feats, error)) == NULL)
		return NULL;
	if (!store_check(s, release, FALSE, FALSE, error)) {
		g_prefix_error(error, "'%s': ", path);
		return NULL;
	}
	return g_steal_pointer(&s);
}
