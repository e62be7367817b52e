/*
 * Memory estimates: the peak resident memory (RSS, bytes) of the whole
 * kith process for the big commands, computed before they allocate, so
 * that --max-memory can refuse a job that would not fit (see kith(1)).
 *
 * Each estimate is the process baseline (binary, libraries, OpenBLAS and
 * OpenMP buffers) plus the arrays the command holds at its peak, modelled
 * on the allocations of the code (ingest*.c, lightgcn.c, gcn.c, sage.c,
 * profile.c, communities.c) and calibrated against /usr/bin/time peaks on
 * kith synth stores of 20k, 100k and 1M users (tools/bench-scale checks
 * them: within ±15 %).
 */
#ifndef KITH_MEMEST_H
#define KITH_MEMEST_H

#include <glib.h>
#include <stdint.h>

#include "kith/store.h"

G_BEGIN_DECLS

/* Resident memory of a kith process that has not touched data yet. */
uint64_t kith_memest_baseline(void);

/* What an ingest reads (row counts of the input files, or estimates). */
struct kith_memest_ingest {
	int64_t events;       /* rows of the events file */
	int64_t social;       /* rows of the social file */
	int64_t users;        /* distinct users (rows of the users file) */
	int64_t items;        /* distinct items */
	int64_t user_rows;    /* rows of the users file (attributes) */
	int64_t item_rows;    /* rows of the items file (categories) */
	int64_t feature_rows; /* rows of the user features file */
	int64_t event_types;  /* distinct event types (<= 32) */
	int64_t events_bytes; /* size of the events file (mapped) */
	int64_t part_rows;    /* under MPI: rows and bytes of the users */
	int64_t part_bytes;   /* and items files a rank holds as packed
	                       * records (its part, or on rank 0 another
	                       * rank's) */
};

/* Estimates the rows of a CSV/TSV file at PATH from the first `sample`
 * bytes of its text (mean line length; for a compressed or UTF-16 file
 * scaled by the ratio of text to file bytes so far), without reading it
 * all: the exact count when the sample covers the text.  *size receives
 * the file's size.  A stream ("-", a pipe, a FIFO: told by stat(), never
 * opened) gives 0 rows and size 0.  Returns -1 and sets error
 * (KITH_ERROR_IO) when the file cannot be read. */
int64_t kith_memest_count_rows(const char *path, int64_t sample,
                               int64_t *size, GError **error);

/* Peak RSS of kith ingest with the given inputs (a plain ingest, not an
 * update). */
uint64_t kith_memest_ingest(const struct kith_memest_ingest *in);

/* Peak RSS of kith embed --model lightgcn on store S: dim, layers, neg,
 * batch (0: the default pairs/16), val_ratio (> 0: validation split and
 * best state), refit, spectral start, social weight (> 0 adds the social
 * links to the graph), and the two N x dim ego arrays of the output. */
/* kith embed --model filter (src/nn/filter.c) of width dim, with a
 * low-pass term of width lowpass_dim (0: none) whose weight is chosen on
 * validation when lowpass_auto. */
uint64_t kith_memest_filter(const struct kith_store *s, int dim,
                            int oversample, double val_ratio,
                            int lowpass_dim, gboolean lowpass_auto);
uint64_t kith_memest_lightgcn(const struct kith_store *s, int dim,
                              int layers, int neg, int64_t batch,
                              double val_ratio, gboolean refit,
                              gboolean spectral, double social_weight);

/* Peak RSS of kith embed --model gcn (graph auto-encoder over the users'
 * social graph with their feature columns; hidden and dim widths). */
uint64_t kith_memest_gcn(const struct kith_store *s, int hidden, int dim);

/* Peak RSS of kith embed --model sage (users and items, dim wide,
 * fanouts f1, f2, the pool aggregator or the mean) in one process. */
uint64_t kith_memest_sage(const struct kith_store *s, int dim, int f1,
                          int f2, gboolean pool);

/* Peak RSS of kith profile on S. */
uint64_t kith_memest_profile(const struct kith_store *s);

/* Peak RSS of kith communities on S over an undirected user graph of
 * about `edges` stored entries (both directions; the social graph:
 * s->uu.nnz, or twice for a directed store). */
uint64_t kith_memest_communities(const struct kith_store *s, int64_t edges);

/*
 * Per-rank estimates of the commands that run over MPI ranks (kith
 * influence --pagerank-only, kith propagate): the peak RSS of each rank
 * with its share of the rows.  The share of rank r is its rows of the
 * partition kith_dist_partition() makes of `indptr` (the graph's row
 * pointers, when the graph exists before the job: the store's social
 * links), else n/P rows and entries/P entries (a graph every rank builds
 * whole, then cuts).  Its halo (the remote users its rows touch) is
 * bounded by min(n - rows, entries) of the rank.
 */
struct kith_memest_rank {
	int64_t rows;        /* users the rank owns */
	int64_t entries;     /* entries of its rows of the graph */
	int64_t halo;        /* bound of its halo users */
	uint64_t bytes;      /* peak RSS of the rank */
};

/* PageRank over `ranks` ranks (pagerank-dist.c) on a user graph of
 * `entries` stored entries: the store's social links (indptr =
 * s->uu.indptr, directed ones transposed: 16 B a link), or a
 * co-interaction graph built whole on every rank (indptr NULL).  Every
 * rank: the baseline and Open MPI's share, the ids (rank 0 only, unless
 * ids_everywhere: the seeds are read by every rank), the larger of the
 * block the store's checks keep resident and its share: its in-rows (8 B
 * an entry and a row, renumbered in place), 4 vectors of its rows and
 * one of rows + halo (8 B each), the halo lists and send buffer; rank 0
 * the writer's (110 B a user); a whole graph: the larger of its build
 * (32 B an entry) and the share beside it (12 B an entry, kept).  tools/bench-mpi prints the estimate beside
 * every rank's measured peak.  out has `ranks` elements. */
void kith_memest_pagerank_ranks(struct kith_memest_rank *out,
                                const struct kith_store *s,
                                const int64_t *indptr, int64_t entries,
                                gboolean directed, gboolean ids_everywhere,
                                int ranks);

/* Propagation over `ranks` ranks (propagate.c) with c categories on a
 * graph of `entries` entries (indptr as above: the social graph built
 * from the rank's rows, or NULL: knn / co-interaction / mixed graphs
 * built whole on every rank, then cut).  Every rank: the baseline and
 * Open MPI's share, the ids (rank 0), the larger of the block the
 * store's checks keep resident and its share: its rows of the graph (8 B
 * an entry and a row, renumbered in place), the preferences and evidence
 * of its users (4 c + 8 B a user) and the larger of their events' pages
 * (17 B an event), the iteration's blocks ((c + 1) floats a row: X with
 * its halo, Y, B, the send buffer) and rank 0's gather of the result (4 c
 * + 20 B a user); a whole graph: the larger of its build (26 B an entry)
 * and the share (the graph is freed once cut).  knn graphs are
 * modelled as co-interaction ones (not measured). */
void kith_memest_propagate_ranks(struct kith_memest_rank *out,
                                 const struct kith_store *s,
                                 const int64_t *indptr, int64_t entries,
                                 int64_t categories, int ranks);

/* The weight of a row of LightGCN's Â with `entries` entries when
 * kith_dist_partition() cuts the rows over the ranks of an MPI job: its
 * bytes on a rank over 4 (an entry 8 B, a row 7 arrays of d floats), so
 * that the ranks hold about equal memory.  lightgcn.c (the partition)
 * and memest.c (its estimate). */
static inline int64_t
kith_lightgcn_row_weight(int64_t entries, int d)
{
	return 2 * entries + 7 * (int64_t)d;
}

/* The weight of a node of GraphSAGE's joint graph with `entries`
 * neighbours when kith_dist_partition() cuts the nodes over the ranks of
 * an MPI job: a node's d-wide arrays (about 12 d floats: activations,
 * gradients, id embeddings) weigh as much as 3 d of its entries (the
 * training graph, its full neighbourhood and the link pairs, about 16 B
 * an entry), and its dense products as much as the link loss of about
 * 3 d entries, so that the ranks hold about equal memory and work.
 * sage.c (the partition) and memest.c (its estimate). */
static inline int64_t
kith_sage_row_weight(int64_t entries, int d)
{
	return entries + 3 * (int64_t)d;
}

/* A partition of GraphSAGE's joint graph (users, then items) over
 * `ranks` ranks at width d from the store alone (nodes weighed by
 * kith_sage_row_weight() of their stored degrees), for
 * kith_sage_params.bounds: what a rank needs to build only its rows of
 * the graph and the features; the estimate uses the same.  O(N). */
void kith_sage_bounds_store(int64_t *bounds, const struct kith_store *s,
                            int d, int ranks);
/* The same partition of N nodes of row lengths indptr (a prefix: N + 1
 * entries): the one kith_sage_bounds() makes of a whole graph. */
void kith_sage_partition(int64_t *bounds, const int64_t *indptr, int64_t N,
                         int d, int ranks);

/* GraphSAGE over `ranks` ranks of an MPI job (sage.c), the parameters as
 * kith_memest_sage()'s: rows are the nodes (users, then items) of the
 * partition the run makes of the joint graph, entries their neighbours,
 * halo a bound of the remote nodes they touch (all others: the link
 * loss's negatives are uniform); every rank builds the whole feature
 * matrix and joint graph; rank 0 also holds the gathered output.
 * O(N + P log N). */
void kith_memest_sage_ranks(struct kith_memest_rank *out,
                            const struct kith_store *s, int dim, int f1,
                            int f2, gboolean pool, int ranks);

/* GraphSAGE adds a learned id embedding to the features of a graph with
 * fewer feature columns than this (embed.c; memest.c counts them). */
#define KITH_SAGE_ID_EMB_BELOW 32

/* GCN over `ranks` ranks of an MPI job (gcn.c), the widths as
 * kith_memest_gcn()'s: rows are the users of the partition the run makes
 * of the social graph's row lengths, entries their links, halo a bound of
 * the remote users they touch; every rank builds the whole feature
 * matrix; rank 0 also holds the gathered output.  O(P log n). */
void kith_memest_gcn_ranks(struct kith_memest_rank *out,
                           const struct kith_store *s, int hidden, int dim,
                           int ranks);

/* LightGCN over `ranks` ranks (lightgcn.c), the parameters as
 * kith_memest_lightgcn()'s: rows are the rows of Â (users, then items)
 * of the partition the run makes of Â's row lengths, entries its
 * entries; rank 0 also holds the gathered output (2 N·d floats: users,
 * items and ego rows).  Every rank: the baseline and Open MPI's share,
 * the store pages, its rows of Â and (6 + best + 2 halo / rows) x rows x
 * d floats of training arrays, the whole batch of triples, the spectral
 * start whole, the validation split and the m x d item rows it gathers
 * (see memest.c).  Cost O(pairs + links), the same on every rank. */
void kith_memest_lightgcn_ranks(struct kith_memest_rank *out,
                                const struct kith_store *s, int dim, int neg,
                                int64_t batch, double val_ratio,
                                gboolean refit, gboolean spectral,
                                double social_weight, int ranks);

/* The filter over `ranks` ranks (filter.c), the parameters as
 * kith_memest_filter()'s: rows are the users of the partition the run
 * makes of the pairs, entries their pairs, no halo.  Every rank: the
 * baseline and Open MPI's share, the store pages, the validation split
 * made whole, its users' rows of the user-side blocks and the item-side
 * blocks whole; rank 0 also the gathered user rows (n·d floats). */
void kith_memest_filter_ranks(struct kith_memest_rank *out,
                              const struct kith_store *s, int dim,
                              int oversample, double val_ratio,
                              int lowpass_dim, gboolean lowpass_auto,
                              int ranks);

/* The rank whose estimate is largest (the lowest such rank). */
int kith_memest_rank_max(const struct kith_memest_rank *r, int ranks);

/* The memory gate of a job about to allocate about `bytes` for WHAT
 * ("profiles of 500 users"): note (may be NULL) is told "memory estimate
 * SIZE for WHAT"; when limit > 0 and bytes exceed it, KITH_ERROR_LIMIT
 * ("WHAT needs an estimated SIZE, more than --max-memory LIMIT: refused
 * before allocating") and FALSE. */
gboolean kith_memest_gate(uint64_t bytes, uint64_t limit, const char *what,
                          void (*note)(void *data, const char *msg),
                          void *note_data, GError **error);

G_END_DECLS

#endif
