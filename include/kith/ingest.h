/*
 * kith ingest: reads event, social, user-attribute, item-category and
 * user-feature files (CSV/TSV, see csv.h), validates every row, maps
 * string ids to dense indices (order of first appearance: events, then
 * social, then the users file, then the features file; items: events,
 * then the items file), merges duplicates and builds an in-memory
 * struct kith_store ready for kith_store_write().
 *
 * Also the string-to-index map used by ingest (and by readers of test and
 * label files that need the same kind of map).
 */
#ifndef KITH_INGEST_H
#define KITH_INGEST_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

#include "kith/csv.h"
#include "kith/store.h"

G_BEGIN_DECLS

/*
 * Id map: strings to dense indices 0..n-1 in order of insertion.
 * Canonical decimal ids are looked up by value (direct table or integer
 * hash), other ids by open addressing on an xxh3 hash with the short keys
 * in the slots; keys are copied into arena blocks.  Lookup and insertion
 * O(len) expected.  A map is not thread-safe, but distinct maps may be
 * used by distinct threads.
 */
struct kith_idmap;
typedef struct kith_idmap kith_idmap;

/* A key classified and hashed once (kith_idmap_prepare()): the value of
 * a canonical decimal id, or the xxh3 hash of another.  The key bytes are
 * borrowed. */
struct kith_idkey {
	const char *key;
	size_t len;
	uint64_t v;
	gboolean num;
};

struct kith_idmap *kith_idmap_new(void);
void kith_idmap_free(struct kith_idmap *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(kith_idmap, kith_idmap_free)

/* Makes room for N keys in all, string and numeric ones in the
 * proportion LIKE holds (LIKE may be m; nothing when LIKE is empty), so
 * that a map whose size is known roughly in advance skips the rehashes
 * and the fresh pages of its smaller tables.  The map still grows past
 * N. */
void kith_idmap_reserve(struct kith_idmap *m, int64_t n,
                        const struct kith_idmap *like);
/* Index of KEY (len bytes), inserting it if absent (*added TRUE then;
 * added may be NULL).  Returns -1 when the map already holds INT32_MAX
 * keys (the key is not inserted). */
int64_t kith_idmap_add(struct kith_idmap *m, const char *key, size_t len,
                       gboolean *added);
/* Fills *k for KEY (len bytes, borrowed until *k is no longer used) and,
 * when m is not NULL, prefetches the slot of m where the key lies, so
 * that a kith_idmap_add_key() a little later finds it in cache (the
 * prefetch is only a hint: m may change in between).  The result does not
 * depend on m. */
void kith_idmap_prepare(const struct kith_idmap *m, const char *key,
                        size_t len, struct kith_idkey *k);
/* kith_idmap_add() of a prepared key. */
int64_t kith_idmap_add_key(struct kith_idmap *m, const struct kith_idkey *k,
                           gboolean *added);
/* Index of KEY or -1. */
int64_t kith_idmap_find(const struct kith_idmap *m, const char *key,
                        size_t len);
int64_t kith_idmap_size(const struct kith_idmap *m);
/* Key of index i (NUL-terminated, borrowed from the map). */
const char *kith_idmap_key(const struct kith_idmap *m, int64_t i);
/* Length in bytes of key i. */
size_t kith_idmap_key_len(const struct kith_idmap *m, int64_t i);
/* Moves the key storage into the store (freed with it) and returns the
 * array of n keys, owned by the store.  The map is emptied. */
char **kith_idmap_give(struct kith_idmap *m, struct kith_store *s);

/* Called with one-line notes (memory estimate, per-step timings) that the
 * CLI prints unless --quiet. */
typedef void (*kith_ingest_note_fn)(void *data, const char *msg);

struct kith_ingest_options {
	const char *events;         /* files; NULL when not given */
	const char *social;
	const char *users;
	const char *items;
	const char *user_features;
	struct kith_csv_options csv; /* sep, header, comment, max_line_bytes
	                                for every file (a preset overrides) */
	const char *columns;        /* --columns for the events file */
	const char *event_weights;  /* "view=1,cart=3"; NULL: defaults */
	gboolean directed;          /* keep social links directed */
	gboolean skip_errors;       /* --on-error skip */
	int64_t max_rejects;        /* < 0: no limit */
	double max_rejects_pct;     /* < 0: no limit; else percent of records */
	gboolean allow_negative;
	const char *preset;         /* NULL or "movielens" */
	int max_levels;             /* one-hot levels per categorical column
	                               of --users (0: 32) */
	const guint8 *pseudonym_key; /* non-NULL: write user ids as
	                               pseudonyms (see kith_ingest_pseudonym())
	                               and redact rejects.tsv excerpts */
	size_t pseudonym_key_len;
	int64_t chunk_bytes;        /* parallel reader of a regular events
	                               file: bytes per chunk (0: 8 MiB);
	                               < 0: read it serially */
	kith_ingest_note_fn note;
	void *note_data;
	/* Non-NULL: an incremental ingest (kith update).  The store's ids,
	 * event log, social pairs, item categories, user features and user
	 * attributes seed the ingest, so its users, items, categories, event
	 * types and features keep their indices and new ones are appended in
	 * order of first appearance; the files' rows are added to its data.
	 * The batch's accounting (files[]) covers the files only: unique =
	 * pairs (rows) the batch created, merged = its rows merged into a
	 * pair that already existed or that an earlier row created.  The
	 * events file must have a ts column and an event column iff the
	 * store's events have them (KITH_ERROR_USAGE otherwise); `directed`
	 * must match the store.  A users file sets the attributes of the
	 * users it lists through the store's attribute columns (numeric
	 * columns by name, one-hot columns "name=value", else "name=_other";
	 * columns the store lacks are ignored); when the store has no
	 * attributes they are built from the file as by a plain ingest.
	 * Borrowed; the store must stay open during kith_ingest_run(). */
	const struct kith_store *base;
	/* Non-NULL: the store being written (kith_store_writer_begin()).
	 * The event log and the user->item pair arrays are streamed to it
	 * while they are built; the caller then finishes it with the
	 * result's store and extra.  On failure the streams are cancelled. */
	struct kith_store_writer *writer;
};

/* Per-file accounting (see kith_ingest_summary_json() for the keys). */
struct kith_ingest_file {
	const char *kind;           /* "events", "social", "users", ... */
	char *path;
	struct kith_csv_stats st;
	int64_t rejected[KITH_CSV_N_REASONS];
	int64_t accepted;
	int64_t unique;             /* distinct pairs / rows kept */
	int64_t merged;             /* accepted rows merged into another */
	int64_t self_loops;         /* social only (dropped, counted as
	                               accepted) */
	char *mapping;              /* "user=0,item=1" */
	char sep;
	gboolean header;
};

struct kith_ingest_result {
	struct kith_store *store;   /* owned by the result */
	JsonObject *extra;          /* manifest members for kith_store_write */
	struct kith_ingest_file files[5];
	int n_files;
	int64_t n_rejected;
	GString *rejects;           /* rejects.tsv content (header + rows) */
	GPtrArray *unknown_types;   /* event types without a weight (char *) */
	GHashTable *weights;        /* event type -> double weight */
	double seconds;
};

/* Runs the ingest.  On success fills *out (release with
 * kith_ingest_result_clear()); the store holds rejects.tsv content when
 * skip_errors.  Errors: KITH_ERROR_DATA "FILE:LINE: reason (excerpt)" on
 * the first bad row unless skip_errors, or for an empty or header-only
 * file; KITH_ERROR_LIMIT past max_rejects; KITH_ERROR_USAGE for bad
 * options (unknown role, missing user/item column, bad --event-weight);
 * KITH_ERROR_IO; KITH_ERROR_NOMEM.
 * Under an MPI job (kith_dist_active(), any number of ranks) without
 * `base`, every rank must call it: the ranks read the events and
 * social files in parts and rank 0 ends with the result one process
 * would have (the users, items and features files are rank 0's alone),
 * plus the member "partition" of extra (ranks; events_bytes,
 * events_lines, social_bytes, social_lines: the parts' first bytes and
 * lines; row_bounds: kith_dist_partition() of the users over ui;
 * event_log_bounds: their rows of the event log).  The other ranks
 * return TRUE with out->store NULL, or FALSE with an error that rank 0
 * holds too (the first in the file; theirs may only say that a rank
 * failed). */
gboolean kith_ingest_run(const struct kith_ingest_options *opt,
                         struct kith_ingest_result *out, GError **error);
void kith_ingest_result_clear(struct kith_ingest_result *r);

/* The summary as a JSON object (caller unrefs): per file lines, header,
 * comments, blank, accepted, rejected, rejected_by_reason, unique,
 * merged, self_loops; totals; unknown_event_types; counts of the store. */
JsonNode *kith_ingest_summary_json(const struct kith_ingest_result *r);
/* The same as human-readable lines; caller frees. */
char *kith_ingest_summary_text(const struct kith_ingest_result *r);

/* Pseudonyms: HMAC-SHA256 of the id with the key, the first 16 bytes of
 * the digest as 32 lowercase hex digits (KITH_PSEUDONYM_ALGORITHM). */
#define KITH_PSEUDONYM_ALGORITHM "hmac-sha256-128-hex"

/* Reads a pseudonymisation key file: a regular file, readable, with no
 * permission for group or others (e.g. mode 0600), at least one byte.
 * Returns the bytes (caller frees, after wiping, with
 * kith_ingest_key_free()) and their count in *len.  KITH_ERROR_IO when it
 * cannot be read, KITH_ERROR_USAGE when it is not a regular file, is
 * empty, or group/world accessible. */
guint8 *kith_ingest_load_key(const char *path, size_t *len, GError **error);
void kith_ingest_key_free(guint8 *key, size_t len);

/* The pseudonym of id (len bytes) into out[33] (NUL-terminated). */
void kith_ingest_pseudonym(const guint8 *key, size_t key_len,
                           const char *id, size_t len, char out[33]);

/* Parses "view=1,click=1,cart=3" into a table (type -> double in a
 * g_malloc'd slot); KITH_ERROR_USAGE on a bad entry.  NULL spec: the
 * defaults view=1,click=1,cart=3,purchase=5. */
GHashTable *kith_ingest_parse_weights(const char *spec, GError **error);

G_END_DECLS

#endif
