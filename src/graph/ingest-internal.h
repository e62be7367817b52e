/*
 * Internals of kith ingest.  Direction of calls: the driver (ingest.c)
 * calls the services (ingest-events.c, ingest-files.c, ingest-build.c);
 * the services call the shared helpers (ingest-rows.c, and
 * kith_ingest_pseudonym() of ingest-key.c); nothing calls the driver
 * back, and the only services that call others are the distributed
 * readers: ingest-dist.c runs the steps of the events, social and
 * features readers (struct ingest_part_ops) over the ranks,
 * ingest-dist-feed.c the users and items readers over the records of
 * every rank's part (struct ingest_source, which ingest_next() reads).
 */
#ifndef KITH_INGEST_INTERNAL_H
#define KITH_INGEST_INTERNAL_H

#include "kith/csv.h"
#include "kith/ingest.h"

enum {
	INGEST_PART_EVENTS, INGEST_PART_SOCIAL, INGEST_PART_USERS,
	INGEST_PART_ITEMS, INGEST_PART_FEATURES, INGEST_PART_FILES
};

struct ingest_ctx {
	const struct kith_ingest_options *opt;
	struct kith_ingest_result *res;
	gboolean preset_movielens;
	int64_t n_records;       /* records of all files so far */

	struct kith_idmap *users, *items, *types, *cats, *feats;

	/* events, parallel arrays */
	int32_t *ev_u, *ev_i;
	uint8_t *ev_t;
	int64_t *ev_ts;          /* NULL without a ts column */
	float *ev_val;           /* NULL without a value column */
	int64_t n_ev, ev_cap;
	gboolean has_ts, has_value, has_event;
	double type_weight[32];
	int last_type;
	const char *last_type_name;
	size_t last_type_len;

	/* social rows: (a << 32 | b), a < b unless directed */
	uint64_t *so_key;
	float *so_w;
	int64_t n_so, so_cap;

	/* item -> category pairs */
	int32_t *ic_item, *ic_cat;
	int64_t n_ic, ic_cap;

	/* user features */
	int32_t *uf_u, *uf_f;
	float *uf_v;
	int64_t n_uf, uf_cap;

	/* users file: rows of [index, field 0, field 1, ...] */
	GPtrArray *ua_rows;
	char **ua_names;
	int ua_ncol, ua_cid;

	/* incremental ingest: what the base store seeded */
	int64_t base_ev;         /* events of its log */
	int64_t base_so;         /* social rows (= its pairs) */

	/* sources: sha256 and size of the bytes read per file (index =
	 * res->files order), set by ingest_close() */
	char *sha[5];
	int64_t size[5];
	gboolean no_hash;        /* ingest_open() does not hash (the ranks
	                          * but 0 of a distributed ingest) */

	gboolean raw_pairs;      /* social keys (a << 32 | b) as read, put
	                          * in order a < b later (ingest-dist.c) */

	/* the last record ingest_next() took from the tokenizer */
	enum kith_csv_reason last_reason;
	int64_t last_line;

	/* a distributed ingest (ingest-dist.c): the events and social files
	 * cut into dist_size parts, part r of file k = bytes
	 * [dist_bytes[k][r], dist_bytes[k][r+1]) from physical line
	 * dist_lines[k][r] (NULL: file k was not read); dist_size 0 when not
	 * distributed; the users numbered so far (opaque) */
	int dist_size;
	int64_t *dist_bytes[INGEST_PART_FILES], *dist_lines[INGEST_PART_FILES];
	struct ingest_owners *dist_users;
	/* the events and social rows a rank of a distributed ingest holds
	 * in the arrays above (rank 0: n_ev and n_so count all ranks');
	 * rank 0's partition member (rows by kith_dist_partition() of the
	 * user->item row pointers, where they start in the log) */
	int64_t dist_own_ev, dist_own_so;
	int64_t *dist_rows, *dist_log;
	/* where ingest_next() takes its records instead of the tokenizer
	 * (NULL: the tokenizer); rank 0 of a distributed ingest sets it
	 * while it reads the users, items or features file in parts
	 * (ingest-dist-feed.c) */
	const struct ingest_source *source;
};

/* A source of records standing in for the file's tokenizer R: the next
 * record (as kith_csv_next()) and the line counts and size of the whole
 * file (as kith_csv_stats()). */
struct ingest_source {
	int (*next)(void *data, struct kith_csv *r, struct kith_csv_record *rec,
	            GError **error);
	void (*stats)(void *data, struct kith_csv *r, struct kith_csv_stats *st);
	void *data;
};

/* ---- shared by the services (ingest-rows.c) ---- */

/* Counts REC as rejected for WHY (in COLUMN, may be NULL): FALSE with
 * "FILE:LINE: reason" unless --on-error skip, else a rejects.tsv line
 * and FALSE past the --max-rejects count. */
gboolean ingest_reject(struct ingest_ctx *c, struct kith_ingest_file *f,
                       const struct kith_csv_record *rec,
                       enum kith_csv_reason why, const char *column,
                       GError **error);

/* Opens a file of the ingest and registers its accounting slot. */
struct kith_csv *ingest_open(struct ingest_ctx *c, const char *kind,
                             const char *path,
                             const struct kith_csv_options *copt,
                             struct kith_ingest_file **fout, GError **error);
/* Next record without a tokenizer-level problem: 1, 0 at EOF, -1 on
 * error (I/O, stop on first error, limit). */
int ingest_next(struct ingest_ctx *c, struct kith_ingest_file *f,
                struct kith_csv *r, struct kith_csv_record *rec,
                GError **error);
/* Ends a file: its statistics (of reader R, or given), and the SHA-256
 * and size of R's file (the bytes read, see input.h). */
gboolean ingest_close(struct ingest_ctx *c, struct kith_ingest_file *f,
                      struct kith_csv *r, GError **error);
gboolean ingest_close_stats(struct ingest_ctx *c, struct kith_ingest_file *f,
                            struct kith_csv *r,
                            const struct kith_csv_stats *st, GError **error);
/* Sums line statistics: a += b. */
void ingest_add_stats(struct kith_csv_stats *a, const struct kith_csv_stats *b);
/* The line counts of ST (all but bytes) as INGEST_STATS numbers, to
 * send to or sum over the ranks, and back (bytes left as they are). */
#define INGEST_STATS 7
void ingest_stats_pack(int64_t *v, const struct kith_csv_stats *st);
void ingest_stats_unpack(struct kith_csv_stats *st, const int64_t *v);

/* A file read by a first reader (the header, the first records), then
 * maybe in parts by readers of byte ranges. */
struct ingest_file_read {
	struct ingest_ctx *c;
	struct kith_ingest_file *f;
	struct kith_csv *r;          /* the first reader (owned) */
	struct kith_csv_stats st;    /* the line counts of the parts' readers */
	gboolean prefixed;           /* r read records */
	gboolean split;              /* parts were read */
};
/* Its line counts: the parts', r's when it read records (the bytes: the
 * file's size once parts were read). */
void ingest_file_read_stats(const struct ingest_file_read *fr,
                            struct kith_csv_stats *st);
/* Ends the file (ingest_close_stats()) with ST, or NULL: its own
 * counts. */
gboolean ingest_file_read_close(struct ingest_file_read *fr,
                                const struct kith_csv_stats *st,
                                GError **error);

/* A file read in parts (the distributed ingest): the size of R's file
 * when it can be mapped, else -1; line feeds in [s, e) (SSE2); line
 * feeds in bytes [lo, hi) of R's file; the first line start at or after
 * byte POS (0 for POS <= 0, the size past the last line end).  -1 with
 * error when the file cannot be mapped. */
int64_t ingest_file_size(struct kith_csv *r);
int64_t ingest_count_lf(const char *s, const char *e);
int64_t ingest_file_lines(struct kith_csv *r, int64_t lo, int64_t hi,
                          GError **error);
int64_t ingest_file_cut(struct kith_csv *r, int64_t pos, GError **error);
/* "PATH:LINE: a quoted field runs past byte CUT ..." (KITH_ERROR_DATA):
 * a record of a part ran over the part's end. */
void ingest_past_cut(GError **error, const char *path, int64_t line,
                     int64_t cut);
/* Reads the records of bytes [lo, hi) of FROM's mappable file (LINE the
 * physical line at lo) with a new reader, handing each record the
 * tokenizer accepted to FN; its line statistics are added to *st.
 * KITH_ERROR_DATA when hi is not the end of the file and a quoted field
 * runs past it (the next part would start inside it). */
typedef gboolean (*ingest_record_fn)(void *data,
                                     const struct kith_csv_record *rec,
                                     GError **error);
gboolean ingest_read_range(struct ingest_ctx *c, struct kith_ingest_file *f,
                           struct kith_csv *from, int64_t lo, int64_t line,
                           int64_t hi, ingest_record_fn fn, void *data,
                           struct kith_csv_stats *st, GError **error);
/* The first records of FR's file, each handed to FN: with SPLIT, until
 * the first one in a mappable file (1 with *off and *line where the rest
 * starts), else all of them (0); -1 on error.  The prefix step of the
 * readers whose columns the first record fixes (struct
 * ingest_part_ops). */
int ingest_read_prefix(struct ingest_file_read *fr, gboolean split,
                       ingest_record_fn fn, void *data, int64_t *off,
                       int64_t *line, GError **error);

/* FALSE past the --max-rejects count, or percentage of all records so
 * far. */
gboolean ingest_check_limit(struct ingest_ctx *c, GError **error);
gboolean ingest_check_pct(struct ingest_ctx *c, GError **error);

/* Rejects REC (or fails on it unless skip_errors) when column COL is
 * empty; *bad tells which. */
static inline gboolean
id_ok(struct ingest_ctx *c, struct kith_ingest_file *f,
      const struct kith_csv_record *rec, int col, const char *name,
      GError **error, gboolean *bad)
{
	if (rec->len[col] == 0) {
		*bad = TRUE;
		return ingest_reject(c, f, rec, KITH_CSV_EMPTY_FIELD, name, error);
	}
	return TRUE;
}

/* ---- files that may be read in parts over the ranks of an MPI job
 * (ingest-dist.c drives them; the services give their steps) ---- */

#define INGEST_ROLES 12

/* The steps of a reader service; READER is the service's own state. */
struct ingest_part_ops {
	/* Opens the file (ingest_open()) with the column roles the options
	 * and the header give; free with free(). */
	void *(*open)(struct ingest_ctx *c, GError **error);
	void (*free)(void *reader);
	/* Reads records one by one: when SPLIT until the roles are fixed in
	 * a mappable file, else until the service's reader of the rest can
	 * take over.  1 with *off and *line (byte and physical line where the
	 * rest starts), 0 when it read the whole file, -1 on error. */
	int (*prefix)(void *reader, gboolean split, int64_t *off,
	              int64_t *line, GError **error);
	/* Reads the records of bytes [lo, hi) of the mappable file, LINE the
	 * physical line at lo (a record boundary); KITH_ERROR_DATA when a
	 * quoted field runs past hi < the file's size. */
	gboolean (*range)(void *reader, int64_t lo, int64_t line, int64_t hi,
	                  GError **error);
	/* The file as read so far (borrowed). */
	struct ingest_file_read *(*read)(void *reader);
	/* The roles the first records fixed, copied from rank 0 to the
	 * others (INGEST_ROLES entries). */
	void (*roles)(void *reader, int32_t *roles);
	void (*set_roles)(void *reader, const int32_t *roles);
	/* Ends the file with the line counts ST (NULL: its own). */
	gboolean (*close)(void *reader, const struct kith_csv_stats *st,
	                  GError **error);
};

extern const struct ingest_part_ops ingest_events_parts;  /* ingest-events.c */
extern const struct ingest_part_ops ingest_social_parts;  /* ingest-files.c */
extern const struct ingest_part_ops ingest_features_parts; /* ingest-files.c */

/* The index of event type NAME for the events READER (added in order,
 * its weight looked up); -1 past 32 types. */
int ingest_events_type(void *reader, const char *name, size_t len,
                       GError **error);
/* Room for N events in the context's arrays. */
gboolean ingest_events_room(struct ingest_ctx *c, int64_t n, GError **error);

/* ---- the services, called by the driver (ingest.c) ---- */

/* Reads the events file (ingest-events.c). */
gboolean ingest_read_events(struct ingest_ctx *c, GError **error);

/* Read the events and the social file over the ranks of an MPI job
 * (ingest-dist.c): every rank its part; on return rank 0 holds the maps,
 * events and social rows a single process would have read, the other
 * ranks nothing to build.  Collective. */
gboolean ingest_read_events_dist(struct ingest_ctx *c, GError **error);
gboolean ingest_read_social_dist(struct ingest_ctx *c, GError **error);
/* The same for the user features file: the rows end on rank 0. */
gboolean ingest_read_features_dist(struct ingest_ctx *c, GError **error);
/* The steps ingest-dist.c shares with ingest-dist-feed.c: makes a step's
 * outcome common (TRUE when every rank passed ok; else FALSE everywhere,
 * rank 0 holding the error of the lowest failing rank, the others an
 * error that only says so); the parts of file K, not cut yet; cuts file
 * K of SIZE bytes (R: this rank's reader of it) into parts after byte
 * OFF, physical line LINE, with the first line of every part
 * (collective, common outcome); the one part of file K when rank 0 read
 * F whole. */
gboolean ingest_dist_settle(gboolean ok, GError **error);
void ingest_dist_parts_new(struct ingest_ctx *c, int k);
gboolean ingest_dist_cut(struct ingest_ctx *c, int k, struct kith_csv *r,
                         int64_t size, int64_t off, int64_t line,
                         GError **error);
void ingest_dist_whole(struct ingest_ctx *c, int k,
                       const struct kith_ingest_file *f);

/* Reads the users or items file (K: INGEST_PART_USERS, _ITEMS) over
 * the ranks of an MPI job (ingest-dist-feed.c):
 * every rank tokenizes its part, rank 0 applies the records in file
 * order with the single-process reader.  Collective; the outcome is
 * common. */
gboolean ingest_read_side_dist(struct ingest_ctx *c, int k, GError **error);

/* Adds the partition of a distributed ingest to c->res->extra (rank 0). */
void ingest_dist_extra(struct ingest_ctx *c);
/* Frees what the distributed reading kept in c. */
void ingest_dist_clear(struct ingest_ctx *c);

/* Reads the social, users, items and user features files
 * (ingest-files.c). */
gboolean ingest_read_social(struct ingest_ctx *c, GError **error);
gboolean ingest_read_users(struct ingest_ctx *c, GError **error);
gboolean ingest_read_items(struct ingest_ctx *c, GError **error);
gboolean ingest_read_features(struct ingest_ctx *c, GError **error);
/* The reader options of side file K (INGEST_PART_USERS, _ITEMS,
 * _FEATURES): the users and items files of the MovieLens preset have
 * their own. */
struct kith_csv_options ingest_side_csv(const struct ingest_ctx *c, int k);

/* Seeds the maps and row arrays from opt->base (kith update,
 * ingest-events.c). */
gboolean ingest_seed(struct ingest_ctx *c, GError **error);

/* Builds c->res->store from the collected rows (ingest-build.c). */
gboolean ingest_build(struct ingest_ctx *c, GError **error);
/* The user->item arrays and the event log of S (n_users, n_items and
 * n_event_types set) from c's events; its item->user transpose
 * (ingest-build.c). */
gboolean ingest_build_ui(struct ingest_ctx *c, struct kith_store *s,
                         GError **error);
/* The user->item, item->user, event-log and user->user arrays of a
 * distributed ingest, built over the ranks and written by rank 0
 * through c->opt->writer (ingest-dist-build.c).  Collective: rank 0
 * passes its store (counts set; the counts of the arrays written are
 * set on return), the others NULL.  *pairs: the distinct social pairs. */
gboolean ingest_dist_build(struct ingest_ctx *c, struct kith_store *s,
                           int64_t *pairs, GError **error);

/* Fills c->res->extra (sources, event_weights, ingest summary). */
void ingest_extra(struct ingest_ctx *c);

#endif
