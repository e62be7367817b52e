/*
 * User profiles and preference propagation (src/analytics/profile.c,
 * src/analytics/propagate.c): behavioural features, category preferences,
 * RFM segments, and category distributions diffused over user–user graphs.
 *
 * Both read the store's event log when it has one (n_log > 0) and fall
 * back to the merged user–item pairs otherwise (each pair then counts as
 * ui_count events at its last timestamp; see the banner of profile.c for
 * what is approximate in that mode).
 */
#ifndef KITH_PROFILE_H
#define KITH_PROFILE_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

#include "kith/csr.h"

struct kith_store;
struct kith_emb;

G_BEGIN_DECLS

/* ---- profile.c ------------------------------------------------------ */

struct kith_profile_params {
	double half_life_days;  /* time decay of category preferences; <= 0:
	                         * none (default 90) */
	double cold_k;          /* confidence = 1 - exp(-events / cold_k);
	                         * cold when confidence < 0.5 (default 10) */
	double new_days;        /* "new": first event at most this many days
	                         * before the store's end (default 30) */
};

void kith_profile_params_init(struct kith_profile_params *p);

/* The weight of each event type (n_event_types doubles, caller frees with
 * g_free()): the store manifest's "event_weights" member when it names
 * the type, else 1.  NULL only on allocation failure. */
double *kith_store_type_weights(const struct kith_store *s, GError **error);

/* Last timestamp of the store (max over the event log or ui_ts_last), or
 * INT64_MIN when it has none. */
int64_t kith_store_last_ts(const struct kith_store *s);
/* The same over the events (or pairs) of the users [lo, hi) only. */
int64_t kith_store_last_ts_rows(const struct kith_store *s, int64_t lo,
                                int64_t hi);

/*
 * Category preferences: for user u,
 *   pref[u][c] ∝ Σ_e w(type e) · 2^(-(T - ts e) / half_life) / |C(item e)|
 * over u's events e whose item has c among its categories C(item e), T
 * the store's last timestamp (no decay for unknown times), each row
 * normalised to sum 1 (all zero without categorised events).
 *   out:      n_users x n_categories float32 (caller allocates);
 *   limit:    NULL, or per user the number of earliest events (by time,
 *             then log order; pairs: by first time, then item) to use,
 *             negative meaning all;
 *   evidence: NULL, or per user the number of categorised events used
 *             (doubles, caller allocates).
 * OpenMP over users.  KITH_ERROR_NOMEM. */
gboolean kith_catpref(float *out, double *evidence,
                      const struct kith_store *s, double half_life_days,
                      const int64_t *limit, GError **error);
/* kith_catpref() for the users [lo, hi) only (out: (hi - lo) x
 * n_categories, evidence: hi - lo; limit still indexed by user), with T
 * the store's last timestamp given (kith_store_last_ts(), or the maximum
 * of kith_store_last_ts_rows() over ranks that cover all users): rows
 * identical to kith_catpref()'s.  Reads only those users' events (the
 * log's rows of lo and hi found by bisection). */
gboolean kith_catpref_rows(float *out, double *evidence,
                           const struct kith_store *s, double half_life_days,
                           const int64_t *limit, int64_t lo, int64_t hi,
                           int64_t T, GError **error);

/* Number of events of every user (the log, or Σ ui_count). */
gboolean kith_user_events(int64_t *out, const struct kith_store *s,
                          GError **error);

/* Segment names, in the order the rules are tried (see profile.c). */
enum kith_segment {
	KITH_SEG_CHAMPIONS,
	KITH_SEG_LOYAL,
	KITH_SEG_NEW,
	KITH_SEG_POTENTIAL,
	KITH_SEG_AT_RISK,
	KITH_SEG_HIBERNATING,
	KITH_SEG_LOST,
	KITH_SEG_INACTIVE,      /* no event at all */
	KITH_SEG_COUNT
};

const char *kith_segment_name(enum kith_segment s);

/* The rules as one line of text each (for man page and manifest). */
const char *kith_segment_rules(void);

/* Numeric per-user features, in the column order of profiles.tsv. */
enum kith_pcol {
	KITH_P_EVENTS,
	KITH_P_DISTINCT_ITEMS,
	KITH_P_RECENCY_DAYS,
	KITH_P_FREQUENCY,
	KITH_P_MONETARY,
	KITH_P_TENURE_DAYS,
	KITH_P_ACTIVE_DAYS,
	KITH_P_REPEAT_RATE,
	KITH_P_ENTROPY,
	KITH_P_GINI,
	KITH_P_NIGHT,
	KITH_P_MORNING,
	KITH_P_AFTERNOON,
	KITH_P_EVENING,
	KITH_P_WEEKEND,
	KITH_P_SOCIAL_DEGREE,
	KITH_P_COUNT
};

/* Column name of a feature ("events", "recency_days", ...). */
const char *kith_pcol_name(enum kith_pcol c);

struct kith_profiles {
	int64_t n_users;
	int64_t n_categories;
	int64_t n_types;
	double *feat;          /* n_users x KITH_P_COUNT; NaN = unknown
	                        * (recency/tenure without timestamps) */
	float *catprefs;       /* n_users x n_categories */
	double *type_share;    /* n_users x n_types: share of events by type */
	int32_t *top;          /* n_users x 3 category indices, -1 = none */
	uint8_t *rfm;          /* n_users x 3: R, F, M scores 1..5 */
	uint8_t *segment;      /* enum kith_segment */
	uint8_t *cold;
	float *confidence;
	int64_t segment_count[KITH_SEG_COUNT];
	int64_t n_cold;
	gboolean from_log;     /* TRUE: computed from the event log */
	int64_t last_ts;       /* INT64_MIN when unknown */
};

/* Computes every profile of s.  Owned arrays; clear with
 * kith_profiles_clear().  Cost O(E + nnz + n log n) (E events: the log
 * or the pairs); OpenMP over users.  KITH_ERROR_NOMEM. */
gboolean kith_profile_compute(struct kith_profiles *out,
                              const struct kith_store *s,
                              const struct kith_profile_params *p,
                              GError **error);
void kith_profiles_clear(struct kith_profiles *pr);

/* Writes the PROFILES folder at PATH atomically (see kith-profile(1)):
 * profiles.tsv, profiles.npy, columns.tsv, catprefs.npy, users.tsv (the
 * ids of the rows of the two arrays, see io.h), manifest.json.
 * emb (may be NULL) appends its user columns (n_users must match the
 * store: KITH_ERROR_DATA otherwise).  store_path is recorded as given;
 * options (may be NULL) are copied into the manifest.  Files holding
 * per-user data are mode 0600. */
gboolean kith_profile_write(const char *path, const struct kith_profiles *pr,
                            const struct kith_store *s,
                            const struct kith_emb *emb,
                            const char *store_path, JsonObject *options,
                            GError **error);

/* ---- stage.c: kith profile as one library call ----------------------- */

/* Called with one-line notes (the memory estimate); may be NULL. */
typedef void (*kith_stage_note_fn)(void *data, const char *msg);

/* The profiles of a store, written to a folder: the command kith profile
 * and the profile stages of kith run and kith update.  Strings are owned
 * (g_strdup()); clear with kith_profile_job_clear(). */
struct kith_profile_job {
	char *store;            /* STORE */
	char *output;           /* PROFILES */
	char *emb;              /* EMB whose user rows profiles.npy appends,
	                           or NULL */
	struct kith_profile_params params;
	uint64_t max_memory;    /* refuse above this estimate; 0: no limit */
	kith_stage_note_fn note;
	void *note_data;
};

/* What a profile job did (its summary). */
struct kith_profile_summary {
	int64_t n_users;
	int64_t n_cold;
	gboolean from_log;
	int64_t segment_count[KITH_SEG_COUNT];
	double seconds;
};

/* Zeroes j and sets the default parameters. */
void kith_profile_job_init(struct kith_profile_job *j);
void kith_profile_job_clear(struct kith_profile_job *j);

/* The parameters and embeddings the profiles folder DIR was made with,
 * from its manifest, into j (output = DIR): what kith update recomputes.
 * KITH_ERROR_DATA when DIR is not a profiles folder; errors of
 * kith_json_read(). */
gboolean kith_profile_job_from_folder(struct kith_profile_job *j,
                                      const char *dir, GError **error);

/* Opens j->store (and j->emb), checks the memory estimate against
 * j->max_memory (KITH_ERROR_LIMIT), computes the profiles and writes
 * j->output (its manifest records the parameters and emb); fills out.
 * Errors of kith_store_open(), kith_emb_open(), kith_profile_compute()
 * and kith_profile_write(). */
gboolean kith_profile_job_run(const struct kith_profile_job *j,
                              struct kith_profile_summary *out,
                              GError **error);

/* ---- propagate.c ---------------------------------------------------- */

struct kith_propagate_params {
	double alpha;           /* neighbour weight (default 0.85) */
	int iterations;         /* at most (default 50) */
	double tol;             /* stop when max |ΔP| < tol (default 1e-6) */
	double kappa;           /* evidence scale of the restart weight
	                         * (default 10 events) */
	double half_life_days;  /* of the category preferences (default 90) */
	int knn;                /* neighbours of the knn graph (default 20) */
	int co_k;               /* neighbours of the co-interaction graph
	                         * (default 20) */
	int co_cap;             /* item cap of the co-interaction graph
	                         * (default 200) */
};

void kith_propagate_params_init(struct kith_propagate_params *p);

/* Builds the row-normalised propagation graph Ŵ (n_users x n_users) from
 * SPEC, a comma-separated list of graph[:weight] with graph one of
 * social, knn, cointeraction (e.g. "social,knn" or "social:2,knn:1").
 * Each graph is row-normalised, scaled by its weight, summed, and the sum
 * row-normalised again.  knn needs emb (KITH_ERROR_USAGE without).  The
 * parsed names (comma-joined, canonical) go to *canon (may be NULL,
 * caller frees).  Owned result; caller clears with kith_csr_clear(). */
gboolean kith_propagate_graph(struct kith_csr *out, char **canon,
                              const struct kith_store *s,
                              const struct kith_emb *emb, const char *spec,
                              const struct kith_propagate_params *p,
                              GError **error);

/* Result of a propagation over n users and c categories. */
struct kith_prefs {
	int64_t n_users;
	int64_t n_categories;
	float *P;              /* n x c, rows sum to 1 or are zero */
	float *confidence;     /* n: propagated evidence confidence */
	float *own_share;      /* n: share of the mass from the user's own
	                        * history (neighbour share = 1 - own) */
	int32_t *top;          /* n x 3 */
	int iterations;        /* done */
	gboolean converged;
	double delta;          /* last max |ΔP| */
};

/*
 * P ← diag(a) Ŵ P + diag(1 - a) P0 with a_u = α κ / (κ + n_u), n_u the
 * user's categorised events (evidence), started at P = P0, until max |ΔP|
 * < tol or `iterations` steps (see propagate.c).  P0: n x c rows summing
 * to 1 or zero; evidence: n doubles.  Owned arrays in out; clear with
 * kith_prefs_clear().
 */
gboolean kith_propagate_run(struct kith_prefs *out, const struct kith_csr *W,
                            const float *P0, const double *evidence,
                            int64_t n, int64_t c,
                            const struct kith_propagate_params *p,
                            GError **error);
void kith_prefs_clear(struct kith_prefs *r);

/* Propagation over the ranks of an MPI job (one rank without MPI): what
 * kith_propagate_run_dist() did. */
struct kith_propagate_dist_info {
	int ranks;
	int64_t *bounds;            /* ranks + 1 row bounds; owned */
	int64_t halo;               /* H = Σ_r remote users of rank r's rows */
	uint64_t setup_bytes;       /* this rank's, for the halo lists */
	uint64_t bytes_per_iteration; /* all ranks: 4 (c + 1) H + 8 P */
};
void kith_propagate_dist_info_clear(struct kith_propagate_dist_info *info);

/* This rank's rows of the graph kith_propagate_graph() builds from SPEC:
 * out holds rows [bounds[me], bounds[me+1]) (global column numbers,
 * owned), bounds (kith_dist_size() + 1 entries, caller's) the partition
 * by nonzeros + rows, the same on every rank.  "social" alone is built
 * from the owned rows of the store only; any other SPEC is built whole
 * on every rank, then cut. */
gboolean kith_propagate_graph_rows(struct kith_csr *out, int64_t *bounds,
                                   char **canon, const struct kith_store *s,
                                   const struct kith_emb *emb,
                                   const char *spec,
                                   const struct kith_propagate_params *p,
                                   GError **error);

/* kith_propagate_run() over the ranks: W is this rank's row block (from
 * kith_propagate_graph_rows(); its columns become local numbers in place,
 * kith_halo_build_in_place(), and it is cleared on failure), P0 / evidence this rank's rows of the n
 * x c / n arrays (kith_catpref_rows() of [bounds[me], bounds[me+1])).
 * Each step fetches the rows of P of the
 * remote users the owned rows touch (one Alltoallv, 4 (c + 1) bytes a
 * row) and takes the global max of the change (one Allreduce); every row
 * is computed as kith_propagate_run() computes it, so the result is
 * byte-identical for any number of ranks.  out (whole arrays) on rank 0
 * only; iterations, converged and delta on every rank.  Collective. */
gboolean kith_propagate_run_dist(struct kith_prefs *out,
                                 struct kith_propagate_dist_info *info,
                                 struct kith_csr *W,
                                 const int64_t *bounds, const float *P0,
                                 const double *evidence, int64_t n,
                                 int64_t c,
                                 const struct kith_propagate_params *p,
                                 GError **error);
/* 4 (c + 1) H + 8 P when P > 1, else 0. */
int64_t kith_propagate_dist_bytes_formula(
	const struct kith_propagate_dist_info *info, int64_t c);

/* Relevance of a category for a held-out user (see propagate.c). */
enum kith_relevance {
	KITH_REL_SHARE,         /* its share of the user's full history */
	KITH_REL_LIFT           /* max(0, share - popularity share) */
};

/* "share", "lift"; FALSE if unknown. */
gboolean kith_relevance_parse(enum kith_relevance *out, const char *name);
const char *kith_relevance_name(enum kith_relevance r);

/* Hold-out evaluation (see propagate.c for the protocol). */
struct kith_propagate_eval {
	double ndcg3;
	double acc1;
	double pop_ndcg3;
	double pop_acc1;
	double own_ndcg3;       /* over held-out users with partial history */
	double own_acc1;
	double kith_ndcg3_partial; /* kith on those same users */
	int64_t users_held_out;
	int64_t users_partial;  /* held-out users with partial history */
	double holdout;
	double keep;            /* share of the earliest events kept */
	uint64_t seed;
	enum kith_relevance relevance;
};

gboolean kith_propagate_evaluate(struct kith_propagate_eval *out,
                                 const struct kith_store *s,
                                 const struct kith_csr *W,
                                 const struct kith_propagate_params *p,
                                 double holdout, double keep, uint64_t seed,
                                 enum kith_relevance relevance,
                                 GError **error);

/* Writes the PREFS folder at PATH atomically (see kith-propagate(1)):
 * prefs.npy, prefs.tsv, users.tsv (the ids of the rows of prefs.npy, see
 * io.h), manifest.json.  ev (may be NULL) adds the "eval" member; options (may be NULL) are
 * copied into the manifest. */
gboolean kith_prefs_write(const char *path, const struct kith_prefs *r,
                          const struct kith_store *s, const char *store_path,
                          const char *graph, double alpha,
                          const struct kith_propagate_eval *ev,
                          JsonObject *options, GError **error);

/* Top-3 of a distribution row (indices of the largest entries > 0, ties
 * to the lower index, -1 pads). */
void kith_top3(int32_t *out, const float *row, int64_t c);

/* NDCG@3 of a predicted ranking pred (3 indices, -1 pads) against the
 * graded relevance truth (c shares): DCG = Σ_r truth[pred r]/log2(r + 1),
 * divided by the DCG of truth's own best 3. 0 when truth is all zero. */
double kith_ndcg3(const int32_t *pred, const float *truth, int64_t c);

/* ---- stage.c: kith propagate as one library call --------------------- */

/* Preferences diffused over a user graph, written to a folder: the
 * command kith propagate and the propagate stages of kith run and kith
 * update.  Strings are owned; clear with kith_propagate_job_clear(). */
struct kith_propagate_job {
	char *store;            /* STORE */
	char *output;           /* PREFS */
	char *emb;              /* EMB for the knn graph, or NULL */
	char *graph;            /* graph spec; NULL: social and knn when
	                           available, else cointeraction */
	struct kith_propagate_params params;
	double holdout;         /* share of users held out and scored; 0:
	                           no evaluation (one rank only) */
	double keep;            /* share of their earliest events kept (0.2) */
	enum kith_relevance relevance;
	uint64_t seed;          /* of the evaluation's draw (42) */
	uint64_t max_memory;    /* under mpirun: refuse when a rank's
	                           estimate is above; 0: no limit */
	kith_stage_note_fn note;
	void *note_data;
};

/* What a propagate job did.  Clear with kith_propagate_summary_clear(). */
struct kith_propagate_summary {
	char *graph;            /* the canonical graph spec */
	int64_t graph_entries;  /* all ranks' */
	int64_t n_categories;   /* the store's */
	double seconds_graph;
	int iterations;
	gboolean converged;
	gboolean distributed;   /* under mpirun: dist is filled */
	struct kith_propagate_dist_info dist;
	gboolean has_eval;
	struct kith_propagate_eval eval;
	gboolean written;       /* FALSE on ranks other than 0 */
	double seconds;
};

void kith_propagate_job_init(struct kith_propagate_job *j);
void kith_propagate_job_clear(struct kith_propagate_job *j);
void kith_propagate_summary_clear(struct kith_propagate_summary *r);

/* The graph, parameters, embeddings and seed the preferences folder DIR
 * was made with, from its manifest, into j (output = DIR; no
 * evaluation).  KITH_ERROR_DATA when DIR is not a preferences folder. */
gboolean kith_propagate_job_from_folder(struct kith_propagate_job *j,
                                        const char *dir, GError **error);

/* Opens j->store (and j->emb); under mpirun checks the largest per-rank
 * memory estimate (kith_memest_propagate_ranks()) against j->max_memory
 * (KITH_ERROR_LIMIT on every rank); builds the graph (this rank's rows
 * under mpirun), propagates, evaluates when j->holdout > 0, and writes
 * j->output on rank 0 (the manifest records the options and, under
 * mpirun, the ranks, row bounds and halo traffic); fills out (clear it
 * also after a failure).  KITH_ERROR_DATA when the store has no item
 * categories; errors of the steps.  Collective under mpirun. */
gboolean kith_propagate_job_run(const struct kith_propagate_job *j,
                                struct kith_propagate_summary *out,
                                GError **error);

G_END_DECLS

#endif
