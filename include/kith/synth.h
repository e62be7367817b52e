/*
 * kith synth: a synthetic shop with ground truth (planted communities,
 * community category preferences, a view -> cart -> purchase funnel).
 *
 * The model (struct kith_synth) is built once from the parameters and is
 * read-only afterwards; every user's attributes, social stubs and events
 * come from its own random stream kith_rng_seed(seed, PHASE | user), so the
 * output is the same for any thread count.  The writers format the model
 * as CSV/TSV through a FILE *.
 */
#ifndef KITH_SYNTH_H
#define KITH_SYNTH_H

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

G_BEGIN_DECLS

struct kith_synth_params {
	int64_t users;           /* >= 1 */
	int64_t items;           /* >= categories */
	int categories;          /* 1 .. 4096 */
	int communities;         /* 1 .. users */
	double mixing;           /* social mixing MU in [0, 1] */
	int days;                /* time span, 1 .. 36500 */
	uint64_t seed;
	int64_t events;          /* exact total; 0: round(users * events_per_user) */
	double events_per_user;  /* mean, used when events == 0 (default 20) */
	double social_degree;    /* mean social degree (default 20), 0: none */
	int64_t start;           /* unix seconds of the first day (UTC) */
};

/* Fills p with the defaults: 1000 users, 500 items, 12 categories, 8
 * communities, mixing 0.2, 90 days, seed 42, 20 events per user, social
 * degree 20, start 2024-01-01T00:00:00Z. */
void kith_synth_params_init(struct kith_synth_params *p);

/* Parses --start: YYYY-MM-DD (midnight UTC), an ISO-8601 date-time (UTC
 * unless it names a zone) or unix seconds (more than 8 digits).
 * KITH_ERROR_USAGE when it cannot be parsed. */
gboolean kith_synth_parse_start(const char *text, int64_t *out,
                                GError **error);

/* KITH_ERROR_USAGE naming the first invalid parameter. */
gboolean kith_synth_params_check(const struct kith_synth_params *p,
                                 GError **error);

/* Event types of the funnel. */
enum kith_synth_type {
	KITH_SYNTH_VIEW = 0,
	KITH_SYNTH_CART = 1,
	KITH_SYNTH_PURCHASE = 2
};

/* One generated event; ts is unix seconds, cents the price (0 on views). */
struct kith_synth_event {
	int64_t ts;
	int32_t item;
	int32_t type;
	int64_t cents;
};

struct kith_synth;
typedef struct kith_synth kith_synth; /* for g_autoptr() */

/* Builds the model: community sizes and membership, category sizes, items
 * (categories, popularity, price), community preferences and favourite
 * items, user attributes and per-user event counts (summing exactly to the
 * event total).  Cost O(users + items + categories * communities).
 * Returns NULL with KITH_ERROR_USAGE (bad parameters) or KITH_ERROR_NOMEM.
 * Free with kith_synth_free(). */
struct kith_synth *kith_synth_new(const struct kith_synth_params *p,
                                  GError **error);
void kith_synth_free(struct kith_synth *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(kith_synth, kith_synth_free)

/* Borrowed view of the parameters in force (events filled in). */
const struct kith_synth_params *kith_synth_params(const struct kith_synth *s);
/* Planted community of user u (0 .. communities-1). */
int kith_synth_community(const struct kith_synth *s, int64_t u);
/* Number of events of user u (>= 1); they sum to params->events. */
int64_t kith_synth_user_events(const struct kith_synth *s, int64_t u);
/* Largest kith_synth_user_events() over all users. */
int64_t kith_synth_max_user_events(const struct kith_synth *s);
/* Planted preference of community c for category k (each row sums to 1). */
double kith_synth_preference(const struct kith_synth *s, int c, int k);
/* Name of category k (borrowed). */
const char *kith_synth_category_name(const struct kith_synth *s, int k);
/* Categories of item i: returns 1 or 2 and stores them in cats[0..]. */
int kith_synth_item_categories(const struct kith_synth *s, int64_t i,
                               int cats[2]);
/* Price of item i in cents. */
int64_t kith_synth_item_cents(const struct kith_synth *s, int64_t i);

/* Generates the events of user u into out (room for
 * kith_synth_user_events(s, u) entries), sorted by time; events of one
 * session follow the funnel (every cart follows a view of the same item,
 * every purchase a cart, at strictly increasing timestamps).  Pure: no
 * allocation, safe to call from several threads at once. */
void kith_synth_generate_user(const struct kith_synth *s, int64_t u,
                              struct kith_synth_event *out);

/* The undirected social pairs: *pairs_out holds 2 * *n_out user indices
 * (a, b) with a < b, sorted, no duplicates, no self-loops.  Caller frees
 * with g_free().  KITH_ERROR_NOMEM on failure. */
gboolean kith_synth_social(const struct kith_synth *s, int64_t **pairs_out,
                           int64_t *n_out, GError **error);

/* Counts gathered while writing. */
struct kith_synth_stats {
	int64_t events;
	int64_t by_type[3];      /* view, cart, purchase */
	int64_t social_pairs;
	int64_t social_mixed;    /* pairs across communities */
	int64_t bytes;           /* bytes written in all files */
};

/* Writers.  Each writes a header line and one row per record through f
 * (buffered, large writes) and adds to stats (may be NULL).  KITH_ERROR_IO
 * naming `name` when a write fails.  Events are grouped by user (users in
 * id order) and sorted by time within a user; they are generated in blocks
 * of users in parallel, so memory stays O(block) for any event count. */
gboolean kith_synth_write_events(const struct kith_synth *s, FILE *f,
                                 const char *name,
                                 struct kith_synth_stats *stats,
                                 GError **error);
gboolean kith_synth_write_social(const struct kith_synth *s, FILE *f,
                                 const char *name,
                                 struct kith_synth_stats *stats,
                                 GError **error);
gboolean kith_synth_write_users(const struct kith_synth *s, FILE *f,
                                const char *name,
                                struct kith_synth_stats *stats,
                                GError **error);
gboolean kith_synth_write_items(const struct kith_synth *s, FILE *f,
                                const char *name,
                                struct kith_synth_stats *stats,
                                GError **error);
gboolean kith_synth_write_truth_communities(const struct kith_synth *s,
                                            FILE *f, const char *name,
                                            struct kith_synth_stats *stats,
                                            GError **error);
gboolean kith_synth_write_truth_preferences(const struct kith_synth *s,
                                            FILE *f, const char *name,
                                            struct kith_synth_stats *stats,
                                            GError **error);
gboolean kith_synth_write_truth_favourites(const struct kith_synth *s,
                                           FILE *f, const char *name,
                                           struct kith_synth_stats *stats,
                                           GError **error);

/* Writes every file into DIR (created if missing; files of the same names
 * are replaced, each written to NAME.tmp, fsynced and renamed):
 * events.csv, social.csv, users.csv, items.csv, truth/communities.tsv,
 * truth/preferences.tsv, truth/favourites.tsv, synth.json.  stats may be
 * NULL.  KITH_ERROR_IO on failure. */
gboolean kith_synth_write_dir(const struct kith_synth *s, const char *dir,
                              struct kith_synth_stats *stats,
                              GError **error);

G_END_DECLS

#endif
