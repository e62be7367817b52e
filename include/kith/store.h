/*
 * The kith store: a folder of .npy arrays plus manifest.json, users.tsv,
 * items.tsv (see DESIGN.md).  Opened stores map their arrays read-only;
 * stores built in memory (by ingest, split, update) own theirs.
 *
 * Files of a store (n = users, m = items):
 *   ui.indptr <i8 (n+1)  ui.indices <i4  ui.weight <f4  ui.count <i4
 *   ui.ts_first <i8  ui.ts_last <i8  ui.types <u4 (bit t = event type t)
 *   ui.value <f4 (sum of the value column)          user -> item CSR
 *   iu.indptr iu.indices iu.weight                   item -> user CSR
 *   uu.indptr uu.indices uu.weight                   user -> user CSR
 *   item_cat.indptr item_cat.indices                 item -> category CSR
 *   uf.indptr uf.indices uf.value                    user sparse features
 *   user_attr <f4 (n x a)                            dense user attributes
 *   user_type_count <i4 (n x t)                      events per user, type
 *   ev.user <i4  ev.item <i4  ev.ts <i8  ev.type |u1  ev.value <f4
 *                                                    the event log
 *   users.tsv items.tsv categories.tsv event_types.tsv user_attr.tsv
 *   user_features.tsv: a header line, then one name per line (row i =
 *   index i), escaped as ids files are (io.h); the header is "user" in
 *   users.tsv, "item" in items.tsv, "id" elsewhere (stores written before
 *   this convention have "id" everywhere: the header line is never read)
 * Arrays that a store lacks (no social file, no categories) are written
 * with zero entries (indptr all zeros) so readers need no special case.
 */
#ifndef KITH_STORE_H
#define KITH_STORE_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

#include "kith/csr.h"
#include "kith/io.h"

G_BEGIN_DECLS

#define KITH_STORE_FORMAT "kith-store"
#define KITH_STORE_VERSION 1

struct kith_store {
	char *path;             /* NULL for an unsaved store */
	JsonNode *manifest;     /* owned; NULL for an unsaved store */

	int64_t n_users;
	int64_t n_items;
	int64_t n_events;       /* accepted event rows (before merging) */
	int64_t n_categories;
	int64_t n_event_types;
	int64_t n_user_attrs;   /* columns of user_attr */
	int64_t n_user_feats;   /* columns of uf */
	gboolean directed_social;

	struct kith_csr ui;     /* values = merged weight */
	struct kith_csr iu;     /* values = merged weight */
	struct kith_csr uu;     /* values = link weight */
	struct kith_csr item_cat;  /* values NULL */
	struct kith_csr uf;     /* values = feature value */

	int32_t *ui_count;      /* events merged into each pair */
	int64_t *ui_ts_first;   /* unix seconds; INT64_MIN when unknown */
	int64_t *ui_ts_last;
	uint32_t *ui_types;     /* bit mask of event types seen */
	float *ui_value;        /* summed value column (0 when absent) */
	float *user_attr;       /* n_users x n_user_attrs, may be NULL */
	int32_t *user_type_count; /* n_users x n_event_types, may be NULL */

	/* The event log: one row per accepted event row (n_log == n_events
	 * when the ingest kept it, else 0), sorted by user, then time, then
	 * input order.  ev_type is the event-type index, or 255 when the file
	 * has no event column; ev_ts is INT64_MIN when unknown. */
	int64_t n_log;
	int32_t *ev_user;
	int32_t *ev_item;
	int64_t *ev_ts;
	uint8_t *ev_type;
	float *ev_value;

	char **user_ids;        /* n_users strings */
	char **item_ids;
	char **category_names;  /* n_categories */
	char **event_type_names;/* n_event_types */
	char **user_attr_names; /* n_user_attrs */
	char **user_feat_names; /* n_user_feats */

	/* Written as STORE/rejects.tsv (mode 0600) by kith_store_write() when
	 * not NULL; borrowed. */
	const char *rejects_tsv;
	size_t rejects_len;

	/* private */
	GPtrArray *owned;       /* blocks freed with the store */
	GPtrArray *maps;        /* struct kith_npy * mappings */
	GStringChunk *strings;
	GHashTable *user_index; /* built on first lookup */
	GHashTable *item_index;
};

/* An empty in-memory store (all counts zero).  Free with kith_store_free(). */
struct kith_store *kith_store_new(void);

/* Registers a g_malloc'd block to be freed with the store; returns it. */
void *kith_store_own(struct kith_store *s, void *block);
/* Copies a string into the store's string chunk; returns the copy. */
char *kith_store_intern(struct kith_store *s, const char *str);

/* Opens the store at PATH, mapping every array and checking shapes and
 * cross-references (indptr monotone, indices in range).  Checksums are not
 * recomputed (see kith_manifest_verify()).  Under mpirun
 * (kith_dist_active()) the pages the checks touch are handed back as they
 * are checked (kith_store_release()), so a rank's resident memory holds
 * only what it reads afterwards.  KITH_ERROR_CORRUPT or KITH_ERROR_IO on
 * failure.  Caller frees with kith_store_free(). */
struct kith_store *kith_store_open(const char *path, GError **error);
/* kith_store_open() without reading users.tsv and items.tsv: user_ids
 * and item_ids stay NULL (and users cannot be looked up by id).  For the
 * ranks of an MPI job that never name a user or an item (all but the
 * writer, rank 0): their ids cost about 26 bytes each. */
struct kith_store *kith_store_open_no_ids(const char *path, GError **error);
void kith_store_free(struct kith_store *s);
/* Drops the pages of bytes at p from this process's resident memory when
 * they lie in one of the arrays S mapped (madvise MADV_DONTNEED on the
 * whole pages covering them; the data stays in the file and is paged in
 * again when read).  Anything else (an in-memory store, owned blocks) is
 * left alone.  Whole pages: neighbouring bytes of the same array go
 * too, which costs nothing but a later re-read. */
void kith_store_release(const struct kith_store *s, const void *p,
                        size_t bytes);
/* kith_store_release() of rows [r0, r1) of the CSR m of S (row
 * pointers, columns, values).  NULL S: nothing. */
void kith_store_release_rows(const struct kith_store *s,
                             const struct kith_csr *m, int64_t r0,
                             int64_t r1);
/* kith_store_release() of every array S mapped: for a rank of an MPI
 * job once it has copied what it needs (its rows of a graph, of the
 * features) and before it trains; what is read later is paged in again.
 * An in-memory store: nothing. */
void kith_store_release_all(const struct kith_store *s);
/* The first row of the event log (sorted by user) whose user is >= u
 * (n_log when none): O(log n_log), by bisection. */
int64_t kith_store_log_lower(const struct kith_store *s, int64_t u);
/* kith_store_release() of the event log's rows of the users [lo, hi). */
void kith_store_release_log(const struct kith_store *s, int64_t lo,
                            int64_t hi);
/* Rows or entries a reader of a mapped CSR copies between two releases. */
#define KITH_STORE_RELEASE_BLOCK ((int64_t)1 << 20)
typedef struct kith_store kith_store;   /* for g_autoptr() */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(kith_store, kith_store_free)

/* Index of a user/item by original id, or -1. */
int64_t kith_store_user_index(struct kith_store *s, const char *id);
int64_t kith_store_item_index(struct kith_store *s, const char *id);

/* Writes s atomically as a store folder at PATH.  `extra` (may be NULL) is
 * a JSON object whose members are copied into manifest.json (sources,
 * column mapping, ingest summary, ...).  Files holding user data are
 * created 0600 when `private_mode`, else 0644. */
gboolean kith_store_write(const struct kith_store *s, const char *path,
                          JsonObject *extra, gboolean private_mode,
                          GError **error);

/*
 * Writing a store in steps, so that arrays final before the whole store
 * is built go to disk while the rest is computed (kith ingest streams the
 * event log and the user->item arrays while it builds them):
 *
 *   w = kith_store_writer_begin(path, private_mode, &err);
 *   st = kith_store_writer_stream(w, n, arrays, &err);    (any number)
 *   ... fill the arrays front to back, kith_store_stream_advance(st,
 *       avail) now and then (avail[lane] = elements final so far in the
 *       arrays of that lane), then kith_store_stream_end(st, totals);
 *   kith_store_writer_finish(w, s, extra, &err);   writes the rest
 *   kith_store_writer_free(w);
 *
 * A streamed array must be the store's own (same name as
 * kith_store_write() gives it, same data pointer, dtype and length,
 * 1-D), else finish fails.  Streamed data must stay allocated and
 * unchanged once published, until finish or free returns: free (or
 * cancel) stops and joins the streams, so call it before freeing the
 * arrays on a failure.  Without finish the folder is never committed.
 */
#define KITH_STORE_LANES 4

struct kith_store_writer;
struct kith_store_stream;

struct kith_store_stream_array {
	const char *name;           /* "ev.user.npy" */
	enum kith_dtype dtype;
	int64_t n;                  /* elements */
	const void *data;
	int lane;                   /* 0 .. KITH_STORE_LANES - 1 */
};

/* The arrays kith ingest streams (the event log on lane 0, the
 * user->item arrays but the row pointers on lane 1), with S's data
 * pointers and lengths, into OUT (room for KITH_STORE_MAX_STREAMED);
 * returns how many. */
#define KITH_STORE_MAX_STREAMED 16
int kith_store_streamed_arrays(const struct kith_store *s,
                               struct kith_store_stream_array *out);

struct kith_store_writer *kith_store_writer_begin(const char *path,
                                                  gboolean private_mode,
                                                  GError **error);
/* Creates the files and starts the stream's writer threads. */
struct kith_store_stream *kith_store_writer_stream(
	struct kith_store_writer *w, int n,
	const struct kith_store_stream_array *arrays, GError **error);
void kith_store_stream_advance(struct kith_store_stream *st,
                               const int64_t avail[KITH_STORE_LANES]);
void kith_store_stream_end(struct kith_store_stream *st,
                           const int64_t avail[KITH_STORE_LANES]);
/* Writes what was not streamed, the manifest (with `extra`), and commits
 * (see kith_store_write()).  On failure the streams are stopped. */
gboolean kith_store_writer_finish(struct kith_store_writer *w,
                                  const struct kith_store *s,
                                  JsonObject *extra, GError **error);
/* An array of the store that the caller writes itself, front to back
 * (a distributed ingest assembles there the pieces its ranks built):
 * open it with its shape (cols 0: 1-D), append with
 * kith_npy_out_append(), close.  Finish takes it as written once its
 * dtype and shape are those S's counts give; S need not hold its data,
 * and the in-memory checks of its matrix (ui and iu, or uu) are the
 * caller's. */
struct kith_npy_out *kith_store_writer_open(struct kith_store_writer *w,
                                            const char *name,
                                            enum kith_dtype dtype,
                                            int64_t rows, int64_t cols,
                                            GError **error);
gboolean kith_store_writer_close(struct kith_store_writer *w,
                                 const char *name, GError **error);
/* Stops and joins the streams; their files are removed. */
void kith_store_writer_cancel(struct kith_store_writer *w);
/* Cancels, removes the folder unless committed, frees. */
void kith_store_writer_free(struct kith_store_writer *w);

/* Checks internal consistency of an in-memory or opened store (CSR shapes,
 * sortedness, index ranges, transpose agreement of ui/iu).  O(nnz). */
gboolean kith_store_check(const struct kith_store *s, GError **error);

/* Degree summary of one side of a graph. */
struct kith_degree_stats {
	int64_t min;
	int64_t median;
	int64_t p99;
	int64_t max;
	double mean;
	int64_t zero;          /* nodes of degree 0 */
};

/* Statistics printed by `kith info`. */
struct kith_store_stats {
	struct kith_degree_stats user_items;   /* items per user */
	struct kith_degree_stats item_users;   /* users per item */
	struct kith_degree_stats user_social;  /* social neighbours per user */
	int64_t ui_components;       /* components of the bipartite graph,
	                              * over nodes with >= 1 interaction */
	int64_t ui_largest;          /* nodes in its largest component */
	int64_t uu_components;       /* components of the social graph over
	                              * users with >= 1 link */
	int64_t uu_largest;
	double density;              /* interactions / (users * items) */
	int64_t ts_min;              /* INT64_MIN when no timestamps */
	int64_t ts_max;
	int64_t bytes_on_disk;       /* 0 for an unsaved store */
};

/* Computes the statistics (components through igraph, weakly connected for
 * a directed social graph).  O(n + nnz log nnz). */
gboolean kith_store_stats(struct kith_store_stats *out,
                          const struct kith_store *s, GError **error);

G_END_DECLS

#endif
