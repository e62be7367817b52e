/*
 * kith dist (layer base): the ranks of an MPI job, for the commands that
 * run over several machines (`mpirun -np P kith COMMAND ...`).
 *
 * One kith binary runs alone or under a launcher.  MPI is initialised
 * only when the environment shows that a launcher started the process
 * (kith_dist_init()); a plain `kith COMMAND` never touches MPI, so single
 * machine users see no change.  With P = 1 under a launcher the
 * distributed code paths run on one rank (what the tests compare with
 * the single-process results).
 *
 * Rows of a sparse matrix are split into P contiguous ranges balanced by
 * nonzeros plus rows (kith_dist_partition()); rank r owns rows
 * [bounds[r], bounds[r+1]) and the matching entries of every vector.  A
 * halo (struct kith_halo) lists the remote columns that the owned rows
 * touch; kith_halo_exchange() fetches exactly those rows of a dense
 * matrix from their owners (P - 1 rounds of MPI_Sendrecv, one peer a
 * round, so that a rank packs only one peer's rows at a time), so a
 * distributed Y = A X is a halo exchange followed by a local SpMM.
 *
 * Every collective counts the bytes this rank hands to MPI for other
 * ranks (kith_dist_bytes()): point-to-point payload of Alltoallv and
 * Gatherv to other ranks, and the payload of each Allreduce (elements x
 * size, once per call, when P > 1).  Library functions fail through GError as
 * everywhere; a failure that only some ranks see is turned into a common
 * one with kith_dist_all_ok().
 *
 * Built without MPI (configure found no Open MPI), the functions work
 * for one rank and kith_dist_init() refuses a launch with P > 1.
 */
#ifndef KITH_DIST_H
#define KITH_DIST_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "kith/csr.h"

G_BEGIN_DECLS

/* Decides whether a launcher started this process and, if so,
 * initialises MPI (MPI_THREAD_FUNNELED: only the main thread calls MPI).
 * The launcher is recognised by its environment: OMPI_COMM_WORLD_SIZE
 * (Open MPI's mpirun), PMIX_RANK (PMIx: mpirun, srun --mpi=pmix),
 * PMI_RANK or PMI_SIZE (MPICH's hydra, srun --mpi=pmi2), SLURM_PROCID
 * together with SLURM_STEP_ID (a task of srun, not the batch script).
 * KITH_MPI=0 forces a plain run, KITH_MPI=1 initialises MPI in any case.
 * FALSE with KITH_ERROR_USAGE when a launcher started P > 1 processes
 * and kith was built without MPI, KITH_ERROR_IO when MPI_Init fails. */
gboolean kith_dist_init(GError **error);
/* MPI_Finalize when MPI was initialised; a no-op otherwise. */
void kith_dist_finalize(void);
/* Ends the whole job with exit status `status` (MPI_Abort); returns only
 * when MPI is not active. */
void kith_dist_abort(int status);

/* TRUE when MPI was initialised (launched, any P >= 1). */
gboolean kith_dist_active(void);
/* This process's rank (0 without MPI) and the number of ranks (1). */
int kith_dist_rank(void);
int kith_dist_size(void);
/* The environment variable that showed the launcher ("OMPI_COMM_WORLD_SIZE"
 * ...), or NULL; set also when kith was built without MPI. */
const char *kith_dist_launcher(void);
/* The number of processes the launcher started (from its environment;
 * 1 when not launched). */
int kith_dist_launched_size(void);
/* TRUE when this kith was built with MPI. */
gboolean kith_dist_built(void);

/* Bytes this rank has handed to MPI for other ranks since the last
 * kith_dist_bytes_reset(): Alltoallv and Gatherv payload to other ranks
 * plus, per Allreduce with P > 1, its elements x element size. */
uint64_t kith_dist_bytes(void);
void kith_dist_bytes_reset(void);

enum kith_dist_op { KITH_DIST_SUM, KITH_DIST_MAX, KITH_DIST_MIN };

/* In-place Allreduce of n doubles / int64s.  Without MPI: nothing to do.
 * FALSE with KITH_ERROR_IO when MPI reports an error. */
gboolean kith_dist_allreduce_f64(double *buf, int n, enum kith_dist_op op,
                                 GError **error);
/* In-place sum over the ranks of n floats, in Allreduces of at most 2^20
 * elements (MPI's scratch buffer stays 4 MiB); bytes counted as n x 4. */
gboolean kith_dist_allreduce_f32(float *buf, size_t n, GError **error);
gboolean kith_dist_allreduce_i64(int64_t *buf, int n, enum kith_dist_op op,
                                 GError **error);

/* TRUE on every rank when ok is TRUE on every rank.  When some rank
 * passed FALSE, every rank whose own ok was TRUE gets KITH_ERROR_DATA
 * "rank R failed" (R the lowest failing rank); a failing rank keeps the
 * error it already holds (error is not touched when ok is FALSE). */
gboolean kith_dist_all_ok(gboolean ok, GError **error);

/* MPI_Alltoallv of elements of `elem` bytes: send_count[r] elements go to
 * rank r from send (blocks in rank order), recv_count[r] come from rank r
 * into recv (blocks in rank order).  Counts per rank must fit an int
 * once divided into elements.  Bytes to other ranks are counted. */
gboolean kith_dist_alltoallv(const void *send, const int64_t *send_count,
                             void *recv, const int64_t *recv_count,
                             size_t elem, GError **error);
/* Every rank sends one int64 to each rank: recv[r] = what rank r put in
 * send[me].  (The counts before an Alltoallv.) */
gboolean kith_dist_alltoall_i64(const int64_t *send, int64_t *recv,
                                GError **error);
/* Rank 0 receives count[r] elements of `elem` bytes from every rank r
 * into recv, blocks in rank order (recv and count only read on rank 0;
 * count must be the same array on rank 0 as every rank's own count). */
gboolean kith_dist_gatherv(const void *send, int64_t my_count, void *recv,
                           const int64_t *count, size_t elem,
                           GError **error);
/* Every rank receives count[r] elements of `elem` bytes from every rank
 * r into recv, blocks in rank order (count the same array on every
 * rank, my_count = count[me]).  Bytes counted: my_count x elem to each
 * other rank. */
gboolean kith_dist_allgatherv(const void *send, int64_t my_count,
                              void *recv, const int64_t *count, size_t elem,
                              GError **error);
/* Global rows [r0, r1) of an array of rows of row_bytes bytes split by
 * bounds (P + 1 entries, as kith_dist_partition()'s), this rank holding
 * its rows [bounds[me], bounds[me+1]) as X: into dst (r1 - r0 rows) on
 * rank 0 or, with all, on every rank (dst may be NULL on the other ranks
 * without all).  One Gatherv / Allgatherv; without MPI a copy. */
gboolean kith_dist_gather_rows(void *dst, const void *X,
                               const int64_t *bounds, int64_t r0, int64_t r1,
                               size_t row_bytes, gboolean all,
                               GError **error);
/* Point to point: n bytes of buf to rank `to` (MPI_Send, in messages of
 * at most 1 GiB; counted), and the matching receive from rank `from`.
 * Without MPI: nothing to do. */
gboolean kith_dist_send(const void *buf, size_t n, int to, GError **error);
gboolean kith_dist_recv(void *buf, size_t n, int from, GError **error);
/* Rank 0's n bytes of buf are copied to every rank. */
gboolean kith_dist_bcast(void *buf, size_t n, GError **error);
/* Waits for every rank. */
gboolean kith_dist_barrier(GError **error);

/* Splits rows 0..n_rows of a CSR with row pointer indptr into P = size
 * contiguous ranges with about equal nonzeros + rows: bounds[0] = 0,
 * bounds[P] = n_rows, rank r owns [bounds[r], bounds[r+1]).  bounds has
 * P + 1 entries.  The same on every rank (a function of indptr only);
 * O(P log n). */
void kith_dist_partition(int64_t *bounds, const int64_t *indptr,
                         int64_t n_rows, int size);

/* The rank owning global row `row` under bounds. */
int kith_dist_owner(const int64_t *bounds, int size, int64_t row);

/* The halo of this rank's rows: the remote columns they touch, where to
 * put them, and which owned rows each other rank needs. */
struct kith_halo {
	int size, rank;
	int64_t *bounds;        /* size + 1 entries, owned */
	int64_t lo, hi;         /* owned rows [lo, hi) */
	int64_t n_local;        /* hi - lo */
	int64_t n_halo;         /* remote columns touched */
	int32_t *halo_cols;     /* their global numbers, ascending */
	int64_t *recv_count;    /* halo entries from each rank */
	int64_t *send_count;    /* owned rows sent to each rank */
	int64_t n_send;         /* sum of send_count */
	int32_t *send_rows;     /* local row numbers sent, by rank */
};

/* Builds the halo of rows [bounds[me], bounds[me+1]) of the n x n matrix
 * `a` and `local`, those rows as an owned CSR whose columns are local
 * numbers: an owned column c is c - lo, a remote one n_local + its
 * position in halo_cols (row entries stay in a's order, so they are not
 * sorted by local column).  `a` is only read in the owned rows, and
 * may be the local part already (a_row0 = lo: a's row i is global row
 * a_row0 + i).  Collective.  Free with kith_halo_clear() and
 * kith_csr_clear(). */
gboolean kith_halo_build(struct kith_halo *h, struct kith_csr *local,
                         const struct kith_csr *a, int64_t a_row0,
                         int64_t n, const int64_t *bounds,
                         GError **error);
/* kith_halo_build() without the copy: a holds exactly the owned rows
 * [bounds[me], bounds[me+1]) with global columns (owned arrays), and its
 * column numbers become the local ones in place (n_cols = n_local +
 * n_halo; entries and values as they were).  Collective.  On failure a
 * is cleared.  Free with kith_halo_clear() and kith_csr_clear(). */
gboolean kith_halo_build_in_place(struct kith_halo *h, struct kith_csr *a,
                                  int64_t n, const int64_t *bounds,
                                  GError **error);
void kith_halo_clear(struct kith_halo *h);

/* X holds n_local + n_halo rows of `width` elements of `elem` bytes: the
 * owned rows, then the halo.  Fills the halo rows from their owners.
 * scratch (n_send x width x elem bytes, may be NULL: allocated per call,
 * under MPI only the largest send_count rows) holds the rows sent.
 * Collective. */
gboolean kith_halo_exchange(const struct kith_halo *h, void *X, int width,
                            size_t elem, void *scratch, GError **error);

/* The reverse of kith_halo_exchange() for float rows: the halo rows of X
 * (n_local + n_halo rows of `width` floats) go back to their owners,
 * which add them into the owned rows they stand for: received blocks in
 * rank order, each in ascending row, one row after the other, so the sum
 * has a fixed order for a given partition.  The halo rows of X are left
 * as they were.  scratch (n_send x width floats, may be NULL) receives
 * the rows.  Collective; bytes n_halo x width x 4. */
gboolean kith_halo_reduce_f32(const struct kith_halo *h, float *X, int width,
                              float *scratch, GError **error);

/* Bytes of one kith_halo_exchange() of this rank: n_send x width x elem
 * minus what it sends itself (nothing: a rank never sends to itself). */
uint64_t kith_halo_bytes(const struct kith_halo *h, int width, size_t elem);

G_END_DECLS

#endif
