/*
 * User–user graphs, communities and influence (src/analytics/graphs.c,
 * communities.c, influence.c).
 *
 * Graphs are struct kith_csr over the store's users (n_users x n_users).
 * An undirected graph holds each edge in both directions with the same
 * weight and no self-loop.  igraph is called only from these files, never
 * inside an OpenMP region; its errors become KITH_ERROR GErrors here.
 */
#ifndef KITH_COMMUNITY_H
#define KITH_COMMUNITY_H

#include <glib.h>
#include <igraph.h>
#include <stdint.h>

#include "kith/csr.h"

struct kith_store;

G_BEGIN_DECLS

/* ---- graphs.c: building user–user graphs ---------------------------- */

enum kith_ugraph {
	KITH_UGRAPH_SOCIAL,
	KITH_UGRAPH_COINTERACTION,
	KITH_UGRAPH_KNN
};

/* "social", "cointeraction", "knn"; FALSE if unknown. */
gboolean kith_ugraph_parse(enum kith_ugraph *out, const char *name);
const char *kith_ugraph_name(enum kith_ugraph g);

/* The store's social graph made undirected: for an undirected store the
 * uu arrays (copied, self-loops dropped, a link listed in one direction
 * only is added in the other); for a directed store w(u,v) = w_uv + w_vu.
 * Owned result; caller clears with kith_csr_clear().  O(nnz log deg). */
gboolean kith_social_undirected(struct kith_csr *out,
                                const struct kith_store *s, GError **error);

/* Co-interaction graph (see graphs.c for the formula): users u, v are
 * scored by s(u,v) = Σ_{i ∈ N(u) ∩ N(v)} 1/ln(1 + deg i) / sqrt(|N(u)|
 * |N(v)|), each user keeps its k best-scored users, and the union is
 * symmetrised (weight = sum of the two directed scores).  Items with more
 * than item_cap users (0: no cap) contribute through a window of item_cap
 * of them per user.  OpenMP over users; deterministic for any thread
 * count.  Owned result; caller clears with kith_csr_clear(). */
gboolean kith_cointeraction_graph(struct kith_csr *out,
                                  const struct kith_store *s, int k,
                                  int item_cap, GError **error);

/* Defaults of the user graphs, shared by communities, influence and
 * export: neighbours per user of the co-interaction and kNN graphs, and
 * the item cap of the co-interaction graph, 3e9 / interactions (about
 * 3e9 accumulator visits at most) clamped to [100, 1000]. */
#define KITH_COINTERACTION_NEIGHBOURS 30
#define KITH_KNN_NEIGHBOURS 20
int kith_cointeraction_default_cap(const struct kith_store *s);

/* Symmetrises a directed neighbour list graph (e.g. a kNN graph): out has
 * (u,v) and (v,u) for every entry of a, weight = sum of both directions,
 * self-loops dropped.  Negative weights are clamped to 0 and entries
 * with weight 0 are dropped. */
gboolean kith_csr_symmetrise(struct kith_csr *out, const struct kith_csr *a,
                             GError **error);

/* ---- igraph bridge (graphs.c) ---------------------------------------- */

/* Converts an igraph status to a GError (KITH_ERROR_NOMEM or
 * KITH_ERROR_DATA) naming `what`; TRUE when rc is IGRAPH_SUCCESS. */
gboolean kith_igraph_ok(igraph_error_t rc, const char *what, GError **error);

/* Builds an igraph graph from a CSR.  directed: one igraph edge per
 * entry; undirected: one edge per unordered pair {u,v} (entries with
 * v > u, plus v < u when the reverse entry is missing), self-loops
 * dropped.  vmap (may be NULL: identity over a->n_rows vertices) maps a
 * row to its vertex or -1 (entries touching -1 are dropped) and
 * n_vertices is the vertex count.  weights (may be NULL) is initialised
 * to the edge weights (1 when a has no values).  On success the caller
 * destroys g (and weights); on failure nothing is left to free. */
gboolean kith_igraph_from_csr(igraph_t *g, igraph_vector_t *weights,
                              const struct kith_csr *a, gboolean directed,
                              const int64_t *vmap, int64_t n_vertices,
                              GError **error);

/* ---- communities.c --------------------------------------------------- */

enum kith_comm_method {
	KITH_COMM_LEIDEN,
	KITH_COMM_LOUVAIN,
	KITH_COMM_LABELPROP
};

gboolean kith_comm_method_parse(enum kith_comm_method *out,
                                const char *name);
const char *kith_comm_method_name(enum kith_comm_method m);

struct kith_comm_result {
	int64_t n_users;
	int32_t *membership;   /* n_users; -1: user without an edge; the
	                          communities are numbered 0.. by decreasing
	                          size (ties: smallest member first) */
	int64_t n_communities;
	int64_t n_in_graph;    /* users with at least one edge */
	double modularity;     /* igraph_modularity(), resolution 1 */
	double modularity_at_resolution; /* with the resolution used */
	double total_weight;   /* sum of edge weights (each edge once) */
	int64_t n_edges;
	gboolean denoised;     /* detection ran on the diffusion-reweighted
	                          graph (kith_communities_detect_full()) */
	/* warm start (kith_comm_params.init_membership set); see
	 * kith_communities_detect_params() for the definitions */
	gboolean warm;
	int64_t warm_previous;   /* users with an edge and an initial community */
	int64_t warm_kept;       /* of those, still in their community */
	int64_t warm_changed;    /* warm_previous - warm_kept */
	int64_t warm_new;        /* users with an edge and no initial community */
	int64_t warm_new_joined; /* of those, started in a neighbour's */
	int64_t warm_new_singleton; /* of those, started alone */
	double warm_start_modularity; /* igraph_modularity() (resolution 1)
	                                 of the start partition */
};

/* Detects communities of the undirected graph g (n_users x n_users,
 * symmetric) over its users with at least one edge.  Leiden optimises
 * modularity with resolution γ: igraph's Leiden is given node weights =
 * strength and resolution γ / (2m) (2m = total strength).  Louvain uses
 * igraph's multilevel with resolution γ; labelprop ignores γ.  igraph's
 * default RNG is seeded with `seed`.  Caller frees with
 * kith_comm_result_clear(). */
gboolean kith_communities_detect(struct kith_comm_result *out,
                                 const struct kith_csr *g,
                                 enum kith_comm_method method,
                                 double resolution, uint64_t seed,
                                 GError **error);
void kith_comm_result_clear(struct kith_comm_result *r);

/* Diffusion denoising of large graphs.  Greedy modularity (Leiden,
 * Louvain) on a big sparse graph whose communities are large and hold few
 * triangles gets stuck: the node-level moves stop at tiny clusters whose
 * aggregates then snowball into a few mixed giants (1M users, 8 planted
 * communities: NMI 0.50).  Denoising first smooths dims random vectors
 * `steps` times with the random-walk matrix D^-1 A (the community
 * eigenvectors survive, the bulk shrinks), then detects on the weights
 * w'(u,v) = w(u,v) (max(0, cos(x_u, x_v)) + 0.001), which nearly remove
 * the links between communities.  The modularity reported stays that of
 * the original graph.  Cost O(steps nnz dims), OpenMP. */
#define KITH_COMM_DENOISE_MIN 50000   /* auto: vertices with an edge */
#define KITH_COMM_DENOISE_DIMS 16
#define KITH_COMM_DENOISE_STEPS 10
gboolean kith_comm_denoise_auto(int64_t n_vertices);

/* kith_communities_detect() with denoise 1 (on), 0 (off) or -1 (auto:
 * Leiden and Louvain on graphs of at least KITH_COMM_DENOISE_MIN users
 * with an edge). */
gboolean kith_communities_detect_full(struct kith_comm_result *out,
                                      const struct kith_csr *g,
                                      enum kith_comm_method method,
                                      double resolution, uint64_t seed,
                                      int denoise, GError **error);

/* Leiden iterations of a warm start at most; it stops earlier after an
 * iteration that raises the quality by at most KITH_COMM_WARM_TOL
 * (relative). */
#define KITH_COMM_WARM_MAX_ITER 50
#define KITH_COMM_WARM_TOL 1e-3

/* Detection parameters.  kith_comm_params_init() sets leiden,
 * resolution 1, seed 0, denoise -1 (auto) and no warm start. */
struct kith_comm_params {
	enum kith_comm_method method;
	double resolution;
	uint64_t seed;
	int denoise;                     /* 1 on, 0 off, -1 auto */
	const int32_t *init_membership;  /* warm start: community of users
	                                    0..n_init-1 (-1: none); borrowed;
	                                    NULL: from scratch */
	int64_t n_init;                  /* <= the graph's users */
};

void kith_comm_params_init(struct kith_comm_params *p);

/* kith_communities_detect_full() with the parameters of p.  With
 * p->init_membership the method starts from that partition instead of
 * singletons: each user u < n_init with an edge and init[u] >= 0 starts
 * in community init[u]; every other user with an edge (new, or without
 * a community before) starts in the community of largest total link
 * weight among its neighbours that already have one (ties: smaller
 * label), in rounds until no such user is left (a round reads the labels
 * of the previous round only), and the rest start as singletons.  Leiden
 * is then run from that partition (igraph start = true, one iteration
 * at a time while the quality rises, see KITH_COMM_WARM_TOL),
 * labelprop from
 * that labelling (igraph initial); Louvain has no warm start
 * (KITH_ERROR_USAGE).  The denoise step is applied as without warm
 * start.  out->warm_* report the outcome: a user of warm_previous kept
 * its community when its final community is the one that holds most of
 * its initial community's users (ties: smaller final label).  Errors:
 * KITH_ERROR_USAGE (n_init larger than the graph, louvain warm start),
 * KITH_ERROR_DATA, KITH_ERROR_NOMEM. */
gboolean kith_communities_detect_params(struct kith_comm_result *out,
                                        const struct kith_csr *g,
                                        const struct kith_comm_params *p,
                                        GError **error);

/* Modularity of a membership (n_rows entries, -1 ignored: those users
 * must have no edge) on the undirected graph g through igraph. */
gboolean kith_modularity(double *out, const struct kith_csr *g,
                         const int32_t *membership, double resolution,
                         GError **error);

#define KITH_COMM_TOP 5

/* Per-community summary (see communities.c for the definitions). */
struct kith_comm_summary {
	int64_t size;
	int64_t internal_edges;   /* unordered pairs inside */
	double internal_weight;
	double volume;            /* sum of members' strengths */
	double internal_density;  /* internal_edges / (size (size-1) / 2) */
	double conductance;       /* cut / min(vol, 2m - vol); 0 if 0/0 */
	int n_top_categories;
	int32_t top_categories[3];
	int n_top_items;
	int32_t top_items[KITH_COMM_TOP];
	gboolean has_rfm;
	double mean_rfm[3];       /* mean r, f, m score of members with one */
	int n_central;
	int32_t central[KITH_COMM_TOP];
};

/* Summaries of the n_communities communities of r (array owned by the
 * caller, g_free()).  g is the graph the communities came from; s gives
 * items and categories; rfm (may be NULL) is n_users x 3 (NaN: unknown).
 * O(nnz(g) + nnz(ui) + nnz(item_cat)); OpenMP over communities. */
struct kith_comm_summary *kith_communities_summarise(
	const struct kith_comm_result *r, const struct kith_csr *g,
	const struct kith_store *s, const float *rfm, GError **error);

/* Reads a reference partition "user<TAB>community" (header optional,
 * separator sniffed) into truth[n_users] (-1: not listed).  Labels are
 * arbitrary strings.  n_unknown counts rows whose user is not in the
 * store.  Caller g_free()s *truth. */
gboolean kith_read_partition(int32_t **truth, int64_t *n_listed,
                             int64_t *n_unknown, struct kith_store *s,
                             const char *path, GError **error);

/* NMI (igraph, arithmetic-mean normalisation) and adjusted Rand index of
 * `found` against `truth` over the users listed in truth (truth >= 0);
 * users with found < 0 count as singletons.  *n_compared gets their
 * number.  KITH_ERROR_DATA when none is listed. */
gboolean kith_partition_compare(double *nmi, double *ari,
                                int64_t *n_compared, const int32_t *found,
                                const int32_t *truth, int64_t n,
                                GError **error);

/* Reads the rfm_r, rfm_f, rfm_m columns of PROFILES/profiles.tsv into an
 * n_users x 3 float array (NaN for users absent or empty).  Caller
 * g_free()s it. */
float *kith_read_profile_rfm(struct kith_store *s, const char *profiles_dir,
                             GError **error);

/* What kith_communities_write() records besides the results. */
struct kith_comm_info {
	const char *store_path;       /* as given on the command line */
	enum kith_comm_method method;
	enum kith_ugraph graph;
	double resolution;
	uint64_t seed;
	int neighbours;               /* cointeraction / knn k, 0: n/a */
	int item_cap;                 /* cointeraction, 0: n/a */
	const char *emb_path;         /* may be NULL */
	const char *profiles_path;    /* may be NULL */
	const char *truth_path;       /* NULL: no comparison */
	double nmi, ari;
	int64_t n_compared;
	double seconds;
	const char *warm_from;        /* --warm-start folder, NULL: none */
	int64_t warm_users;           /* users of its partition */
	double warm_nmi;              /* NMI of the new partition against it
	                                 over its users with a community */
};

/* Writes the COMM folder atomically at PATH: membership.tsv (user,
 * community; -1 for users without an edge), membership.npy (int32),
 * users.tsv (the ids of its rows, see io.h), communities.tsv (community, size, internal_density, conductance,
 * top_categories, top_items, mean_rfm, central_members; lists
 * '|'-joined, mean_rfm "r|f|m" or empty), manifest.json (format
 * "kith-communities"; with a warm start its member "warm_start": from,
 * previous_users, users_compared, kept, changed, new_users, new_joined,
 * new_singletons, start_modularity, nmi_previous).  Files with per-user
 * data are mode 0600. */
gboolean kith_communities_write(const char *path,
                                const struct kith_store *s,
                                const struct kith_comm_result *r,
                                const struct kith_comm_summary *cs,
                                const struct kith_comm_info *info,
                                GError **error);

/* ---- influence.c ----------------------------------------------------- */

enum {
	KITH_INFL_PAGERANK,
	KITH_INFL_PPR,
	KITH_INFL_IN_DEGREE,
	KITH_INFL_OUT_DEGREE,
	KITH_INFL_WEIGHTED_IN,
	KITH_INFL_WEIGHTED_OUT,
	KITH_INFL_KCORE,
	KITH_INFL_BETWEENNESS,
	KITH_INFL_TWO_HOP,
	KITH_INFL_BEHAVIOURAL,
	KITH_INFL_BEHAVIOURAL_EVENTS,
	KITH_INFL_N_COLS
};

/* Column names in the order above (influence.tsv after "user"). */
extern const char *const kith_influence_columns[KITH_INFL_N_COLS];

/* What a distributed PageRank did (pagerank-dist.c). */
struct kith_pagerank_dist_info {
	int ranks;
	int64_t *bounds;           /* ranks + 1: rank r owned users
	                              [bounds[r], bounds[r+1]); owned */
	gboolean weighted;         /* link weights used (not all equal) */
	int64_t n_links;           /* links used, all ranks */
	int64_t halo;              /* H = Σ_r remote users of rank r's rows */
	uint64_t setup_bytes;      /* this rank's, before the iterations */
	uint64_t bytes_per_iteration; /* all ranks: 8 H + 16 P (P > 1) */
	int iterations;
	gboolean converged;
	double delta;              /* last Σ |x' - x| */
};

/* PageRank of graph a by power iteration over the ranks of the MPI job
 * (one rank without MPI), each rank reading only its rows of a
 * (pagerank-dist.c has the formula).  Same graph semantics as
 * kith_pagerank() with weights used when they differ; undirected graphs
 * must be stored symmetric.  reset/n_reset: the seed users of
 * personalised PageRank (global numbers, distinct; every rank passes the
 * same list), NULL for global.  Stops when the L1 change of an iteration
 * is below tol or after max_iterations.  out (n doubles, summing to 1)
 * is written on rank 0 only (may be NULL elsewhere).  mapped: the store
 * whose mapped arrays a is (its pages of the owned rows are handed back
 * once they are copied, kith_store_release()), or NULL.  Collective.
 * info is filled on every rank; free with
 * kith_pagerank_dist_info_clear(). */
gboolean kith_pagerank_dist(double *out, struct kith_pagerank_dist_info *info,
                            const struct kith_csr *a,
                            const struct kith_store *mapped,
                            gboolean directed,
                            double damping, const int32_t *reset,
                            int64_t n_reset, double tol, int max_iterations,
                            GError **error);
void kith_pagerank_dist_info_clear(struct kith_pagerank_dist_info *info);
/* The bytes per iteration the formula gives: 8 H + 16 P when P > 1
 * (H halo users, P ranks), 0 on one rank. */
int64_t kith_pagerank_dist_bytes_formula(
	const struct kith_pagerank_dist_info *info);

/* Stopping rule of the distributed PageRank of kith influence: L1 change
 * below 1e-12 (error below 6e-12 at d = 0.85), at most 10000 steps. */
#define KITH_PAGERANK_TOL 1e-12
#define KITH_PAGERANK_MAX_ITER 10000

struct kith_influence_opts {
	double damping;            /* 0.85 */
	const int32_t *seeds;      /* personalisation users (may be NULL) */
	int64_t n_seeds;
	int64_t exact_limit;       /* exact betweenness up to this many
	                              users with an edge (5000) */
	int64_t samples;           /* sampled betweenness sources (0:
	                              kith_betweenness_default_samples()) */
	double window_days;        /* behavioural window (30) */
	uint64_t seed;
	enum kith_ugraph graph;    /* KITH_UGRAPH_SOCIAL (default): the
	                              store's links; otherwise user_graph */
	const struct kith_csr *user_graph; /* symmetric n_users x n_users
	                              graph (e.g. kith_cointeraction_graph())
	                              used when graph is not social; not
	                              owned */
	int neighbours;            /* k and item cap user_graph was built */
	int item_cap;              /* with, recorded in the manifest (0: n/a) */
	gboolean pagerank_only;    /* only (personalised) PageRank; the other
	                              columns stay NULL */
};

/* Default source count of sampled betweenness on a graph of n_entries
 * CSR entries: KITH_BETWEENNESS_BUDGET / n_entries (a Brandes pass from
 * one source visits every entry twice) clamped to [MIN, MAX]; 200 up to
 * 1.5M entries, 15 at 20M (1M users of mean degree 20). */
#define KITH_BETWEENNESS_BUDGET 300000000LL
#define KITH_BETWEENNESS_MIN_SAMPLES 10
#define KITH_BETWEENNESS_MAX_SAMPLES 200
int64_t kith_betweenness_default_samples(int64_t n_entries);

void kith_influence_opts_init(struct kith_influence_opts *o);

struct kith_influence {
	int64_t n_users;
	double *col[KITH_INFL_N_COLS];   /* n_users each; PPR NULL without
	                                    seeds */
	gboolean directed;
	gboolean weighted;         /* PageRank used the link weights */
	int64_t n_edges;           /* igraph edges */
	gboolean betweenness_sampled;
	int64_t samples;
	double betweenness_rse;    /* relative standard error estimate of
	                              the sampled betweenness (0 exact) */
	gboolean has_timestamps;   /* behavioural influence was computable */
	/* Under MPI (kith_dist_active()) PageRank runs over the ranks by
	 * kith_pagerank_dist(): distributed is TRUE, dist (and dist_ppr with
	 * seeds) say how; the PageRank columns are only on rank 0. */
	gboolean distributed;
	struct kith_pagerank_dist_info dist;
	struct kith_pagerank_dist_info dist_ppr;
};

/* Every influence measure of the store's social graph, or of
 * o->user_graph when o->graph is not social (see influence.c for the
 * definitions); only PageRank with o->pagerank_only.  Under MPI
 * (kith_dist_active()) PageRank is kith_pagerank_dist() (collective:
 * every rank calls this) and the other measures need one rank.  Caller
 * frees with kith_influence_clear(). */
gboolean kith_influence_compute(struct kith_influence *out,
                                const struct kith_store *s,
                                const struct kith_influence_opts *o,
                                GError **error);
void kith_influence_clear(struct kith_influence *r);

/* PageRank (igraph PRPACK) of graph a (directed: one edge per entry;
 * undirected: as kith_igraph_from_csr()).  weighted: use a's values.
 * reset/n_reset: personalised on these vertices (uniform), NULL: global.
 * out: a->n_rows doubles summing to 1. */
gboolean kith_pagerank(double *out, const struct kith_csr *a,
                       gboolean directed, gboolean weighted, double damping,
                       const int32_t *reset, int64_t n_reset,
                       GError **error);

/* Distinct vertices w != u reachable from u by one or two out-edges of a.
 * OpenMP with a per-thread visited bitmap, cleared through the list of
 * its touched words; O(Σ_u Σ_{v∈N(u)} deg v). */
gboolean kith_two_hop_reach(double *out, const struct kith_csr *a,
                            GError **error);

/* k-core number of every vertex of the symmetric graph a (each edge in
 * both directions; self-loops ignored) by the Batagelj–Zaversnik bucket
 * peeling, equal to igraph_coreness(IGRAPH_ALL) of the same graph.
 * O(n + nnz), serial. */
gboolean kith_kcore(double *out, const struct kith_csr *a, GError **error);

/* Betweenness (hop distances) by Brandes' algorithm over the out-edges of
 * a (symmetric when !directed; undirected pairs are then counted once, as
 * igraph does).  samples == 0 (or >= the users with a link): exact; else
 * `samples` source vertices drawn uniformly without replacement (seed)
 * from the users with a link, in 10 batches, each batch's sum scaled by
 * n_linked / batch size; the estimate is the batch mean and *rse (may be
 * NULL) the relative standard error Σ_v se(v) / Σ_v b(v) from the spread
 * of the batch estimates.  OpenMP over sources. */
gboolean kith_betweenness(double *out, double *rse, const struct kith_csr *a,
                          gboolean directed, int64_t samples, uint64_t seed,
                          GError **error);

/* Behavioural influence over social graph a and the store's timed
 * interactions (ui_ts_first): events[u] = number of pairs (v, i) with v a
 * neighbour of u (row u of a) and i an item both touched, v first at a
 * time t_v with 0 < t_v - t_u <= window seconds; score[u] = events[u] /
 * (deg_a(u) * timed items of u), 0 when the denominator is 0.  OpenMP
 * over users with a per-thread n_items array of u's first times;
 * O(Σ_u (|N(u)| + Σ_{v ∈ a(u)} |N(v)|)). */
gboolean kith_behavioural_influence(double *score, double *events,
                                    const struct kith_csr *a,
                                    const struct kith_store *s,
                                    int64_t window, GError **error);

/* Reads user ids, one per line (blank lines and lines starting with '#'
 * skipped; a header line "user" is skipped too; any input file, see
 * input.h, and its errors) into store indices
 * (sorted, distinct).  n_unknown counts ids not in the store.
 * KITH_ERROR_DATA when no id is known.  Caller g_free()s *users. */
gboolean kith_read_user_list(int32_t **users, int64_t *n, int64_t *n_unknown,
                             struct kith_store *s, const char *path,
                             GError **error);

/* Indices of the (up to) k users of highest PageRank, best first (ties:
 * lower index), into top (room for k); returns their number. */
int64_t kith_influence_top(int64_t *top, const struct kith_influence *r,
                           int64_t k);

/* Writes the INFL folder atomically at PATH: influence.tsv (user, then
 * kith_influence_columns; NaN and absent columns empty), influence.npy
 * (n_users x 10 float64: the columns up to behavioural, NaN where
 * absent), users.tsv (the ids of its rows, see io.h), manifest.json (format "kith-influence": damping, betweenness
 * "exact" or "sampled" with samples and betweenness_rse, window_days,
 * top: the top_n users by PageRank).  Per-user files are mode 0600. */
gboolean kith_influence_write(const char *path, const struct kith_store *s,
                              const struct kith_influence *r,
                              const struct kith_influence_opts *o,
                              const char *store_path,
                              const char *seeds_path, int64_t top_n,
                              double seconds, GError **error);

/* ---- graph-export.c -------------------------------------------------- */

enum kith_graph_format {
	KITH_GRAPH_GRAPHML,
	KITH_GRAPH_GEXF,
	KITH_GRAPH_EDGELIST
};

/* "graphml", "gexf", "edgelist"; FALSE if unknown. */
gboolean kith_graph_format_parse(enum kith_graph_format *out,
                                 const char *name);

struct kith_graph_export_opts {
	enum kith_graph_format format;
	const char *graph;         /* "social", "cointeraction", "knn",
	                              "user-item"; NULL: the one the
	                              communities or influence folder
	                              records, else social when the store has
	                              links, else cointeraction */
	int neighbours;            /* co-interaction / kNN k; 0: recorded by
	                              the folder of that graph, else the
	                              default of kith communities */
	int item_cap;              /* co-interaction; -1: recorded, else
	                              kith_cointeraction_default_cap() */
	const char *emb_path;      /* kNN embeddings; NULL: recorded */
	const char *communities;   /* folders for the node attributes */
	const char *influence;     /* (each may be NULL) */
	const char *profiles;
	const char *store_path;    /* named in the file (NULL: s->path) */
};

void kith_graph_export_opts_init(struct kith_graph_export_opts *o);

struct kith_graph_export_info {
	const char *graph;         /* static name of the graph written */
	gboolean directed;
	int neighbours;            /* used; 0: n/a */
	int item_cap;              /* used; -1: n/a */
	int64_t nodes;
	int64_t edges;
	double seconds_graph;      /* checking folders, building the graph */
	double seconds_write;
};

/* Writes the graph that o selects (see graph-export.c) at PATH ("-":
 * standard output), atomically, streamed: memory is the graph's CSR plus
 * O(users) names.  Every folder is verified (checksums) and matched to
 * the store's users first.  KITH_ERROR_USAGE for an unknown graph, a kNN
 * graph without embeddings or folders recording different graphs;
 * KITH_ERROR_DATA for a folder of another store or a social graph of a
 * store without links; KITH_ERROR_IO, KITH_ERROR_NOMEM. */
gboolean kith_graph_export(const char *path, struct kith_store *s,
                           const struct kith_graph_export_opts *o,
                           struct kith_graph_export_info *info,
                           GError **error);

/* ---- stage.c: kith communities as one library call ------------------- */

/* Communities of a store's users, written to a folder: the command kith
 * communities and the communities stages of kith run and kith update.
 * Strings are owned; clear with kith_communities_job_clear(). */
struct kith_communities_job {
	char *store;            /* STORE */
	char *output;           /* COMM */
	char *method;           /* leiden (NULL), louvain, labelprop */
	char *graph;            /* social, cointeraction, knn; NULL: social
	                           when the store has links, else
	                           cointeraction */
	double resolution;      /* 1 */
	gboolean resolution_given; /* FALSE: a warm start takes PREV's */
	int neighbours;         /* cointeraction / knn k; 0: the default */
	int item_cap;           /* cointeraction; -1: the default */
	int denoise;            /* -1 auto, 0 off, 1 on */
	gboolean denoise_given; /* FALSE: a warm start takes PREV's */
	char *emb;              /* EMB for --graph knn, or NULL */
	char *truth;            /* reference partition for NMI/ARI, or NULL */
	char *profiles;         /* PROFILES whose RFM is averaged, or NULL */
	char *warm;             /* PREV: start from its partition, or NULL */
	uint64_t seed;          /* 42 */
	uint64_t max_memory;    /* refuse above this estimate; 0: no limit */
	void (*note)(void *data, const char *msg);   /* may be NULL */
	void *note_data;
};

/* What a communities job did; info's strings are borrowed from the job.
 * Clear with kith_communities_summary_clear(). */
struct kith_communities_summary {
	struct kith_store *store;          /* the store, open (owned) */
	struct kith_comm_result result;
	struct kith_comm_summary *comms;   /* result.n_communities */
	struct kith_comm_info info;
};

void kith_communities_job_init(struct kith_communities_job *j);
void kith_communities_job_clear(struct kith_communities_job *j);
void kith_communities_summary_clear(struct kith_communities_summary *r);

/* The options the communities folder DIR was made with, from its
 * manifest, into j (output = DIR); a leiden or labelprop folder also
 * becomes j->warm (kith update refreshes it from its own partition; a
 * louvain one is recomputed).  KITH_ERROR_DATA when DIR is not a
 * communities folder. */
gboolean kith_communities_job_from_folder(struct kith_communities_job *j,
                                          const char *dir, GError **error);

/* Opens j->store; with j->warm, takes the options PREV's manifest names
 * where j gives none (KITH_ERROR_DATA when j gives others,
 * KITH_ERROR_USAGE for louvain) and starts from its partition (checked
 * against the store: KITH_ERROR_DATA / KITH_ERROR_CORRUPT); checks the
 * memory estimate (KITH_ERROR_LIMIT); builds the user graph, detects,
 * compares with j->truth, summarises and writes j->output.  Fills out
 * (clear it also after a failure).  KITH_ERROR_USAGE for unknown
 * methods, graphs or values out of range. */
gboolean kith_communities_job_run(struct kith_communities_job *j,
                                  struct kith_communities_summary *out,
                                  GError **error);

/* ---- stage.c: kith influence as one library call --------------------- */

/* Influence measures of a store's users, written to a folder: the
 * command kith influence and the influence stage of kith run.  Strings
 * are owned; clear with kith_influence_job_clear(). */
struct kith_influence_job {
	char *store;            /* STORE */
	char *output;           /* INFL */
	char *graph;            /* social or cointeraction; NULL: social when
	                           the store has links, else cointeraction
	                           (with a warning) */
	char *seeds;            /* user ids for personalised PageRank, or
	                           NULL */
	int neighbours;         /* of the cointeraction graph (30) */
	int top;                /* users listed in the manifest (20) */
	struct kith_influence_opts opts;  /* damping, samples, exact_limit,
	                           window_days, pagerank_only, seed; graph,
	                           seeds and user_graph are the job's */
	uint64_t max_memory;    /* under mpirun: refuse when a rank's
	                           estimate is above; 0: no limit */
	void (*note)(void *data, const char *msg);   /* may be NULL */
	void (*warn)(void *data, const char *msg);   /* shown even when
	                           notes are not; may be NULL */
	void *note_data;
};

/* What an influence job did.  Clear with
 * kith_influence_summary_clear(). */
struct kith_influence_summary {
	struct kith_store *store;          /* the store, open (owned) */
	struct kith_influence result;
	enum kith_ugraph graph;            /* the graph measured */
	gboolean written;                  /* FALSE on ranks other than 0 */
	double seconds;
};

void kith_influence_job_init(struct kith_influence_job *j);
void kith_influence_job_clear(struct kith_influence_job *j);
void kith_influence_summary_clear(struct kith_influence_summary *r);

/* Opens j->store; under mpirun checks the largest per-rank memory
 * estimate of PageRank (kith_memest_pagerank_ranks()) against
 * j->max_memory (KITH_ERROR_LIMIT on every rank); builds the
 * cointeraction graph when it is the one measured, reads j->seeds,
 * computes (PageRank over the ranks under mpirun) and writes j->output
 * on rank 0.  Fills out (clear it also
 * after a failure).  KITH_ERROR_USAGE for an unknown graph,
 * KITH_ERROR_DATA for a social graph the store lacks; errors of the
 * steps.  Collective under mpirun. */
gboolean kith_influence_job_run(const struct kith_influence_job *j,
                                struct kith_influence_summary *out,
                                GError **error);

G_END_DECLS

#endif
