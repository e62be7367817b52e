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
uint64_t kith_memest_lightgcn(const struct kith_store *s, int dim,
                              int layers, int neg, int64_t batch,
                              double val_ratio, gboolean refit,
                              gboolean spectral, double social_weight);

/* Peak RSS of kith embed --model gcn (graph auto-encoder over the users'
 * social graph with their feature columns; hidden and dim widths). */
uint64_t kith_memest_gcn(const struct kith_store *s, int hidden, int dim);

/* Peak RSS of kith embed --model sage (users and items, dim wide,
 * fanouts f1 x f2, id embeddings). */
uint64_t kith_memest_sage(const struct kith_store *s, int dim, int f1,
                          int f2);

/* Peak RSS of kith profile on S. */
uint64_t kith_memest_profile(const struct kith_store *s);

/* Peak RSS of kith communities on S over an undirected user graph of
 * about `edges` stored entries (both directions; the social graph:
 * s->uu.nnz, or twice for a directed store). */
uint64_t kith_memest_communities(const struct kith_store *s, int64_t edges);

/* The memory gate of a job about to allocate about `bytes` for WHAT
 * ("profiles of 500 users"): note (may be NULL) is told "memory estimate
 * SIZE for WHAT"; when limit > 0 and bytes exceed it, KITH_ERROR_LIMIT
 * ("WHAT needs an estimated SIZE, more than --max-memory LIMIT: refused
 * before allocating"; "on this rank" under mpirun) and FALSE. */
gboolean kith_memest_gate(uint64_t bytes, uint64_t limit, const char *what,
                          void (*note)(void *data, const char *msg),
                          void *note_data, GError **error);

G_END_DECLS

#endif
