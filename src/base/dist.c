/*
 * The ranks of an MPI job (see include/kith/dist.h): launcher detection,
 * initialisation, collectives with byte accounting, the row partition
 * and the halo of a row block of a sparse matrix.
 *
 * Partition: with t_r = indptr[r] + r (nonzeros plus rows before row r),
 * rank p starts at the first row whose t_r reaches p (nnz + n) / P, found
 * by binary search: O(P log n), the same rule as the thread split of the
 * SpMM kernel.
 *
 * Halo: the owned rows' entries are scanned once (O(nnz_local)); remote
 * columns are sorted and deduplicated (O(nnz_local log nnz_local)), and
 * because partitions are contiguous, the sorted list is grouped by owner
 * rank, so the received rows land in the halo part of X in place.  Setup
 * costs one Alltoall of P int64 and one Alltoallv of the halo's column
 * numbers (4 H bytes); each exchange then moves H rows.  The reverse
 * (kith_halo_reduce_f32(), the gradient of an exchange) sends the halo
 * rows back and adds them in the order they arrive: H rows too.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_MPI
#include <mpi.h>
#endif

#include "kith/core.h"
#include "kith/dist.h"

static gboolean dist_active;
static int dist_rank, dist_size = 1, launched_size = 1;
static const char *launcher;
static uint64_t bytes_sent;

static int
env_int(const char *name, int fallback)
{
	const char *v = g_getenv(name);
	char *end;
	long x;

	if (v == NULL || *v == '\0')
		return fallback;
	x = strtol(v, &end, 10);
	if (*end != '\0' || x < 0 || x > INT_MAX)
		return fallback;
	return (int)x;
}

/* The variable showing a launcher, or NULL; sets launched_size. */
static const char *
detect_launcher(void)
{
	static const char *const vars[] = {
		"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"
	};
	const char *force = g_getenv("KITH_MPI");

	if (force && strcmp(force, "0") == 0)
		return NULL;
	launched_size = env_int("OMPI_COMM_WORLD_SIZE",
	                env_int("PMI_SIZE", env_int("SLURM_NTASKS", 1)));
	if (launched_size < 1)
		launched_size = 1;
	for (size_t i = 0; i < G_N_ELEMENTS(vars); i++)
		if (g_getenv(vars[i]))
			return vars[i];
	if (g_getenv("SLURM_PROCID") && g_getenv("SLURM_STEP_ID"))
		return "SLURM_PROCID";
	if (force && strcmp(force, "1") == 0)
		return "KITH_MPI";
	launched_size = 1;
	return NULL;
}

gboolean
kith_dist_built(void)
{
#ifdef HAVE_MPI
	return TRUE;
#else
	return FALSE;
#endif
}

gboolean
kith_dist_init(GError **error)
{
	launcher = detect_launcher();
	if (launcher == NULL)
		return TRUE;
#ifdef HAVE_MPI
	int provided = 0, flag = 0;

	MPI_Initialized(&flag);
	if (!flag &&
	    MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) !=
	    MPI_SUCCESS) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "MPI_Init failed (launched by %s)", launcher);
		return FALSE;
	}
	/* errors come back as codes, turned into GErrors */
	MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
	MPI_Comm_rank(MPI_COMM_WORLD, &dist_rank);
	MPI_Comm_size(MPI_COMM_WORLD, &dist_size);
	dist_active = TRUE;
	return TRUE;
#else
	if (launched_size > 1) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "started by an MPI launcher (%s, %d processes) but "
		            "this kith was built without MPI: every process "
		            "would do the whole job; rebuild with Open MPI "
		            "(libopenmpi-dev) or run kith without mpirun",
		            launcher, launched_size);
		return FALSE;
	}
	return TRUE;
#endif
}

void
kith_dist_finalize(void)
{
#ifdef HAVE_MPI
	if (dist_active) {
		MPI_Finalize();
		dist_active = FALSE;
	}
#endif
}

void
kith_dist_abort(int status)
{
#ifdef HAVE_MPI
	if (dist_active) {
		/* the ranks' last lines (the error that ends the job) travel
		 * through the launcher's output forwarding, which MPI_Abort
		 * cuts short: under load one in fifty such lines was lost
		 * (t7020); a quarter second lets them arrive */
		fflush(stdout);
		fflush(stderr);
		g_usleep(250000);
		MPI_Abort(MPI_COMM_WORLD, status);
	}
#endif
	(void)status;
}

gboolean
kith_dist_active(void)
{
	return dist_active;
}

int
kith_dist_rank(void)
{
	return dist_rank;
}

int
kith_dist_size(void)
{
	return dist_size;
}

const char *
kith_dist_launcher(void)
{
	return launcher;
}

int
kith_dist_launched_size(void)
{
	return launched_size;
}

uint64_t
kith_dist_bytes(void)
{
	return bytes_sent;
}

void
kith_dist_bytes_reset(void)
{
	bytes_sent = 0;
}

#ifdef HAVE_MPI
static gboolean
mpi_ok(int rc, const char *what, GError **error)
{
	char msg[MPI_MAX_ERROR_STRING];
	int len = 0;

	if (rc == MPI_SUCCESS)
		return TRUE;
	if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS)
		g_strlcpy(msg, "unknown error", sizeof(msg));
	g_set_error(error, KITH_ERROR, KITH_ERROR_IO, "%s failed on rank %d: %s",
	            what, dist_rank, msg);
	return FALSE;
}

static MPI_Op
mpi_op(enum kith_dist_op op)
{
	return op == KITH_DIST_MAX ? MPI_MAX
	     : op == KITH_DIST_MIN ? MPI_MIN : MPI_SUM;
}

/* A contiguous type of elem bytes (committed; free with MPI_Type_free). */
static gboolean
byte_type(MPI_Datatype *t, size_t elem, GError **error)
{
	if (elem == 0 || elem > INT_MAX) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_LIMIT,
		            "MPI element of %zu bytes", elem);
		return FALSE;
	}
	return mpi_ok(MPI_Type_contiguous((int)elem, MPI_BYTE, t),
	              "MPI_Type_contiguous", error) &&
	       mpi_ok(MPI_Type_commit(t), "MPI_Type_commit", error);
}

/* int counts and displacements from int64 counts; FALSE when they do not
 * fit. */
static gboolean
int_counts(int *cnt, int *disp, const int64_t *c, int n, GError **error)
{
	int64_t off = 0;

	for (int r = 0; r < n; r++) {
		if (c[r] < 0 || c[r] > INT_MAX || off > INT_MAX) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_LIMIT,
			            "an MPI message of %" G_GINT64_FORMAT
			            " elements (at offset %" G_GINT64_FORMAT ") "
			            "exceeds the int counts of MPI", c[r], off);
			return FALSE;
		}
		cnt[r] = (int)c[r];
		disp[r] = (int)off;
		off += c[r];
	}
	return TRUE;
}
#endif

#ifdef HAVE_MPI
static gboolean
allreduce(void *buf, int n, MPI_Datatype t, size_t elem,
          enum kith_dist_op op, GError **error)
{
	if (!dist_active)
		return TRUE;
	if (dist_size > 1)
		bytes_sent += (uint64_t)n * elem;
	return mpi_ok(MPI_Allreduce(MPI_IN_PLACE, buf, n, t, mpi_op(op),
	                            MPI_COMM_WORLD), "MPI_Allreduce", error);
}
#endif

gboolean
kith_dist_allreduce_f64(double *buf, int n, enum kith_dist_op op,
                        GError **error)
{
#ifdef HAVE_MPI
	return allreduce(buf, n, MPI_DOUBLE, sizeof(double), op, error);
#else
	return TRUE;
#endif
}

gboolean
kith_dist_allreduce_f32(float *buf, size_t n, GError **error)
{
#ifdef HAVE_MPI
	/* in pieces of 2^20 elements: MPI's reduction takes a scratch
	 * buffer of the message (4 MiB, not another copy of buf) */
	for (size_t off = 0; off < n; off += (size_t)1 << 20) {
		int c = (int)MIN(n - off, (size_t)1 << 20);
		if (!allreduce(buf + off, c, MPI_FLOAT, sizeof(float),
		               KITH_DIST_SUM, error))
			return FALSE;
	}
	return TRUE;
#else
	(void)buf;
	(void)n;
	return TRUE;
#endif
}

gboolean
kith_dist_allreduce_i64(int64_t *buf, int n, enum kith_dist_op op,
                        GError **error)
{
#ifdef HAVE_MPI
	return allreduce(buf, n, MPI_INT64_T, sizeof(int64_t), op, error);
#else
	return TRUE;
#endif
}

gboolean
kith_dist_all_ok(gboolean ok, GError **error)
{
	int64_t first = ok ? INT64_MAX : dist_rank;
	GError *e = NULL;

	if (!kith_dist_allreduce_i64(&first, 1, KITH_DIST_MIN, &e)) {
		if (ok)
			g_propagate_error(error, e);
		else
			g_error_free(e);
		return FALSE;
	}
	if (first == INT64_MAX)
		return TRUE;
	if (ok)
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "rank %" G_GINT64_FORMAT " failed", first);
	return FALSE;
}

gboolean
kith_dist_alltoallv(const void *send, const int64_t *send_count, void *recv,
                    const int64_t *recv_count, size_t elem, GError **error)
{
#ifdef HAVE_MPI
	if (dist_active) {
		int P = dist_size;
		g_autofree int *sc = g_new(int, P), *sd = g_new(int, P);
		g_autofree int *rc = g_new(int, P), *rd = g_new(int, P);
		MPI_Datatype t;
		gboolean ok;

		if (!int_counts(sc, sd, send_count, P, error) ||
		    !int_counts(rc, rd, recv_count, P, error) ||
		    !byte_type(&t, elem, error))
			return FALSE;
		for (int r = 0; r < P; r++)
			if (r != dist_rank)
				bytes_sent += (uint64_t)send_count[r] * elem;
		/* MPI wants non-NULL buffers even for zero counts */
		static char dummy[8];
		ok = mpi_ok(MPI_Alltoallv(send ? send : dummy, sc, sd, t,
		                          recv ? recv : dummy, rc, rd, t,
		                          MPI_COMM_WORLD),
		            "MPI_Alltoallv", error);
		MPI_Type_free(&t);
		return ok;
	}
#endif
	if (send_count[0] != recv_count[0]) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "alltoallv: one rank sends %" G_GINT64_FORMAT
		            " elements to itself but expects %" G_GINT64_FORMAT,
		            send_count[0], recv_count[0]);
		return FALSE;
	}
	if (send_count[0] > 0)
		memmove(recv, send, (size_t)send_count[0] * elem);
	return TRUE;
}

gboolean
kith_dist_alltoall_i64(const int64_t *send, int64_t *recv, GError **error)
{
#ifdef HAVE_MPI
	if (dist_active) {
		bytes_sent += (uint64_t)(dist_size - 1) * sizeof(int64_t);
		return mpi_ok(MPI_Alltoall(send, 1, MPI_INT64_T, recv, 1,
		                           MPI_INT64_T, MPI_COMM_WORLD),
		              "MPI_Alltoall", error);
	}
#endif
	recv[0] = send[0];
	return TRUE;
}

/* Gatherv to rank 0 or, with all, Allgatherv (see dist.h). */
static gboolean
gather(const void *send, int64_t my_count, void *recv, const int64_t *count,
       size_t elem, gboolean all, GError **error)
{
#ifdef HAVE_MPI
	if (dist_active) {
		int P = dist_size;
		g_autofree int *rc = g_new0(int, P), *rd = g_new0(int, P);
		MPI_Datatype t;
		int rv;
		static char dummy[8];

		if (my_count < 0 || my_count > INT_MAX) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_LIMIT,
			            "an MPI message of %" G_GINT64_FORMAT
			            " elements exceeds the int counts of MPI",
			            my_count);
			return FALSE;
		}
		if ((all || dist_rank == 0) &&
		    !int_counts(rc, rd, count, P, error))
			return FALSE;
		if (!byte_type(&t, elem, error))
			return FALSE;
		if (all)
			bytes_sent += (uint64_t)my_count * elem * (uint64_t)(P - 1);
		else if (dist_rank != 0)
			bytes_sent += (uint64_t)my_count * elem;
		send = send ? send : dummy;
		recv = recv ? recv : dummy;
		rv = all ? MPI_Allgatherv(send, (int)my_count, t, recv, rc, rd, t,
		                          MPI_COMM_WORLD)
		         : MPI_Gatherv(send, (int)my_count, t, recv, rc, rd, t, 0,
		                       MPI_COMM_WORLD);
		MPI_Type_free(&t);
		return mpi_ok(rv, all ? "MPI_Allgatherv" : "MPI_Gatherv", error);
	}
#endif
	(void)count;
	(void)all;
	if (my_count > 0 && recv != send)
		memmove(recv, send, (size_t)my_count * elem);
	return TRUE;
}

gboolean
kith_dist_gatherv(const void *send, int64_t my_count, void *recv,
                  const int64_t *count, size_t elem, GError **error)
{
	return gather(send, my_count, recv, count, elem, FALSE, error);
}

gboolean
kith_dist_allgatherv(const void *send, int64_t my_count, void *recv,
                     const int64_t *count, size_t elem, GError **error)
{
	return gather(send, my_count, recv, count, elem, TRUE, error);
}

gboolean
kith_dist_gather_rows(void *dst, const void *X, const int64_t *bounds,
                      int64_t r0, int64_t r1, size_t row_bytes, gboolean all,
                      GError **error)
{
	int P = dist_size, me = dist_rank;
	g_autofree int64_t *count = g_new(int64_t, P);
	int64_t lo = bounds[me], hi = bounds[me + 1];

	for (int r = 0; r < P; r++)
		count[r] = MAX((int64_t)0, MIN(r1, bounds[r + 1]) -
		               MAX(r0, bounds[r]));
	const char *src = (const char *)X +
	                  (size_t)(MIN(MAX(r0, lo), hi) - lo) * row_bytes;
	return gather(src, count[me], dst, count, row_bytes, all, error);
}

#define P2P_PIECE ((size_t)1 << 30)
#define P2P_TAG 17

gboolean
kith_dist_send(const void *buf, size_t n, int to, GError **error)
{
#ifdef HAVE_MPI
	if (dist_active) {
		const char *p = buf;
		bytes_sent += (uint64_t)n;
		for (size_t off = 0; off < n; off += P2P_PIECE) {
			int c = (int)MIN(n - off, P2P_PIECE);
			if (!mpi_ok(MPI_Send(p + off, c, MPI_BYTE, to, P2P_TAG,
			                     MPI_COMM_WORLD), "MPI_Send", error))
				return FALSE;
		}
		return TRUE;
	}
#endif
	(void)buf;
	(void)n;
	(void)to;
	(void)error;
	return TRUE;
}

gboolean
kith_dist_recv(void *buf, size_t n, int from, GError **error)
{
#ifdef HAVE_MPI
	if (dist_active) {
		char *p = buf;
		for (size_t off = 0; off < n; off += P2P_PIECE) {
			int c = (int)MIN(n - off, P2P_PIECE);
			if (!mpi_ok(MPI_Recv(p + off, c, MPI_BYTE, from, P2P_TAG,
			                     MPI_COMM_WORLD, MPI_STATUS_IGNORE),
			            "MPI_Recv", error))
				return FALSE;
		}
		return TRUE;
	}
#endif
	(void)buf;
	(void)n;
	(void)from;
	(void)error;
	return TRUE;
}

gboolean
kith_dist_bcast(void *buf, size_t n, GError **error)
{
#ifdef HAVE_MPI
	if (dist_active) {
		if (n > INT_MAX) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_LIMIT,
			            "broadcast of %zu bytes", n);
			return FALSE;
		}
		if (dist_rank == 0)
			bytes_sent += (uint64_t)n * (uint64_t)(dist_size - 1);
		return mpi_ok(MPI_Bcast(buf, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD),
		              "MPI_Bcast", error);
	}
#endif
	return TRUE;
}

gboolean
kith_dist_barrier(GError **error)
{
#ifdef HAVE_MPI
	if (dist_active)
		return mpi_ok(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier", error);
#endif
	return TRUE;
}

/* ----------------------------------------------------------- partition */

void
kith_dist_partition(int64_t *bounds, const int64_t *indptr, int64_t n_rows,
                    int size)
{
	int64_t total = n_rows > 0 ? indptr[n_rows] - indptr[0] + n_rows : 0;

	bounds[0] = 0;
	for (int p = 1; p < size; p++) {
		int64_t b = n_rows > 0
			? kith_csr_row_split(indptr, n_rows, indptr[0] +
			            (int64_t)((__int128)total * p / size))
			: 0;
		bounds[p] = MAX(b, bounds[p - 1]);
	}
	bounds[size] = n_rows;
}

int
kith_dist_owner(const int64_t *bounds, int size, int64_t row)
{
	int lo = 0, hi = size - 1;

	while (lo < hi) {
		int mid = lo + (hi - lo + 1) / 2;
		if (bounds[mid] <= row)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* ---------------------------------------------------------------- halo */

void
kith_halo_clear(struct kith_halo *h)
{
	g_free(h->bounds);
	g_free(h->halo_cols);
	g_free(h->recv_count);
	g_free(h->send_count);
	g_free(h->send_rows);
	memset(h, 0, sizeof(*h));
}

/* Position of c in the ascending list v[0..n), which holds it. */
static int64_t
find_i32(const int32_t *v, int64_t n, int32_t c)
{
	int64_t lo = 0, hi = n - 1;

	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if (v[mid] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* kith_halo_build(); with local == a (a holds exactly the owned rows),
 * a's columns are renumbered in place. */
static gboolean
halo_build(struct kith_halo *h, struct kith_csr *local,
           const struct kith_csr *a, int64_t a_row0, int64_t n,
           const int64_t *bounds, GError **error)
{
	gboolean in_place = local == a;
	int P = dist_size, me = dist_rank;
	int64_t lo = bounds[me], hi = bounds[me + 1], nl = hi - lo;
	int64_t e0, e1, nnz, nh = 0;
	g_autofree uint64_t *mark = NULL;
	gboolean ok = TRUE;

	memset(h, 0, sizeof(*h));
	if (!in_place)
		memset(local, 0, sizeof(*local));
	h->size = P;
	h->rank = me;
	h->lo = lo;
	h->hi = hi;
	h->n_local = nl;
	h->bounds = g_memdup2(bounds, sizeof(int64_t) * (size_t)(P + 1));
	h->recv_count = g_new0(int64_t, P);
	h->send_count = g_new0(int64_t, P);
	if (lo < a_row0 || hi - a_row0 > a->n_rows || n > INT32_MAX ||
	    (in_place && (lo != a_row0 || a->n_rows != nl))) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "halo: rows %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT
		            " are not in the matrix given", lo, hi);
		ok = FALSE;
	}
	e0 = ok ? a->indptr[lo - a_row0] : 0;
	e1 = ok ? a->indptr[hi - a_row0] : 0;
	nnz = e1 - e0;
	/* the remote columns as a bitmap of n bits (not a list of the
	 * entries: n / 8 bytes, and the halo comes out ascending) */
	if (ok && !(mark = kith_alloc0_n((size_t)n / 64 + 1, sizeof(uint64_t),
	                                 error)))
		ok = FALSE;
	for (int64_t e = e0; ok && e < e1; e++) {
		int32_t c = a->indices[e];
		if (c < 0 || c >= n) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
			            "halo: column %d out of range", c);
			ok = FALSE;
		} else if (c < lo || c >= hi) {
			mark[c >> 6] |= (uint64_t)1 << (c & 63);
		}
	}
	if (ok) {
		for (int64_t w = 0; w <= n / 64; w++)
			nh += __builtin_popcountll(mark[w]);
		h->n_halo = nh;
		h->halo_cols = g_new(int32_t, nh + 1);
		nh = 0;
		for (int64_t w = 0; w <= n / 64; w++)
			for (uint64_t b = mark[w]; b; b &= b - 1)
				h->halo_cols[nh++] =
					(int32_t)(w * 64 + __builtin_ctzll(b));
		for (int64_t i = 0, r = 0; i < nh; i++) {
			while (h->halo_cols[i] >= bounds[r + 1])
				r++;
			h->recv_count[r]++;
		}
		if (in_place)
			local->n_cols = nl + nh;
		else
			ok = kith_csr_alloc(local, nl, nl + nh, nnz,
			                    a->values != NULL, error);
	}
	g_clear_pointer(&mark, g_free);
	if (ok) {
		if (!in_place)
			for (int64_t i = 0; i <= nl; i++)
				local->indptr[i] = a->indptr[lo - a_row0 + i] - e0;
		/* in place: e0 = 0 and entry e is read before it is written */
#pragma omp parallel for schedule(static)
		for (int64_t e = e0; e < e1; e++) {
			int32_t c = a->indices[e];
			local->indices[e - e0] = c >= lo && c < hi
				? (int32_t)(c - lo)
				: (int32_t)(nl + find_i32(h->halo_cols, nh, c));
		}
		if (a->values && !in_place)
			memcpy(local->values, a->values + e0,
			       sizeof(float) * (size_t)nnz);
	}
	if (!kith_dist_all_ok(ok, ok ? error : NULL))
		goto fail;
	/* who needs which of my rows */
	if (!kith_dist_alltoall_i64(h->recv_count, h->send_count, error))
		goto fail;
	for (int r = 0; r < P; r++)
		h->n_send += h->send_count[r];
	h->send_rows = kith_alloc_n((size_t)h->n_send + 1, sizeof(int32_t),
	                            error);
	ok = h->send_rows != NULL;
	if (!kith_dist_all_ok(ok, ok ? error : NULL))
		goto fail;
	if (!kith_dist_alltoallv(h->halo_cols, h->recv_count, h->send_rows,
	                         h->send_count, sizeof(int32_t), error))
		goto fail;
	for (int64_t i = 0; i < h->n_send; i++) {
		if (h->send_rows[i] < lo || h->send_rows[i] >= hi) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
			            "halo: rank %d was asked for row %d, not its own",
			            me, h->send_rows[i]);
			ok = FALSE;
			break;
		}
		h->send_rows[i] -= (int32_t)lo;
	}
	if (!kith_dist_all_ok(ok, ok ? error : NULL))
		goto fail;
	return TRUE;
fail:
	kith_halo_clear(h);
	kith_csr_clear(local);
	return FALSE;
}

gboolean
kith_halo_build(struct kith_halo *h, struct kith_csr *local,
                const struct kith_csr *a, int64_t a_row0, int64_t n,
                const int64_t *bounds, GError **error)
{
	if ((const struct kith_csr *)local == a) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "halo: local and a must differ "
		            "(kith_halo_build_in_place())");
		return FALSE;
	}
	return halo_build(h, local, a, a_row0, n, bounds, error);
}

gboolean
kith_halo_build_in_place(struct kith_halo *h, struct kith_csr *a, int64_t n,
                         const int64_t *bounds, GError **error)
{
	return halo_build(h, a, a, bounds[dist_rank], n, bounds, error);
}

uint64_t
kith_halo_bytes(const struct kith_halo *h, int width, size_t elem)
{
	return (uint64_t)h->n_send * (uint64_t)width * elem;
}

#ifdef HAVE_MPI
#define HALO_TAG 18
/* Rows of a piece of a halo message: 32 MiB of them at most. */
static int64_t
halo_piece_rows(size_t row)
{
	return MAX((int64_t)1, (int64_t)(((size_t)32 << 20) / MAX(row, 1)));
}

/* kith_halo_exchange() over P > 1 ranks: P - 1 rounds (round k: to rank
 * me + k, from rank me - k, mod P); in each the pieces from `from` are
 * received in place (MPI_Irecv posted first), and the rows for `to` are
 * packed and sent a piece of 32 MiB at a time, so the buffer holds one
 * piece, not n_send rows; the rows land where MPI_Alltoallv would put
 * them. */
static gboolean
halo_exchange_pairwise(const struct kith_halo *h, char *X, size_t row,
                       char *scratch, GError **error)
{
	int P = dist_size, me = dist_rank;
	int64_t most = 0, piece = halo_piece_rows(row);
	g_autofree int64_t *soff = g_new(int64_t, P + 1);
	g_autofree int64_t *roff = g_new(int64_t, P + 1);
	g_autofree char *own = NULL;
	char *buf = scratch, *halo = X + (size_t)h->n_local * row;
	MPI_Datatype t;
	gboolean ok = TRUE;

	soff[0] = roff[0] = 0;
	for (int r = 0; r < P; r++) {
		soff[r + 1] = soff[r] + h->send_count[r];
		roff[r + 1] = roff[r] + h->recv_count[r];
		if (r != me)
			most = MAX(most, MIN(h->send_count[r], piece));
	}
	if (buf == NULL) {
		own = kith_alloc_n((size_t)most + 1, row, error);
		if (own == NULL)
			return FALSE;
		buf = own;
	}
	if (!byte_type(&t, row, error))
		return FALSE;
	for (int k = 1; k < P && ok; k++) {
		int to = (me + k) % P, from = (me - k + P) % P;
		int64_t c = h->send_count[to], rc = h->recv_count[from];
		int nr = (int)((rc + piece - 1) / piece);
		g_autofree MPI_Request *req = g_new(MPI_Request, MAX(nr, 1));
		for (int j = 0; j < nr; j++) {
			int64_t a = (int64_t)j * piece;
			MPI_Irecv(halo + (size_t)(roff[from] + a) * row,
			          (int)MIN(piece, rc - a), t, from, HALO_TAG,
			          MPI_COMM_WORLD, &req[j]);
		}
		for (int64_t a = 0; a < c && ok; a += piece) {
			int64_t cn = MIN(piece, c - a);
#pragma omp parallel for schedule(static) if (cn > 65536)
			for (int64_t i = 0; i < cn; i++)
				memcpy(buf + (size_t)i * row,
				       X + (size_t)h->send_rows[soff[to] + a + i] *
				           row, row);
			bytes_sent += (uint64_t)cn * row;
			ok = mpi_ok(MPI_Send(buf, (int)cn, t, to, HALO_TAG,
			                     MPI_COMM_WORLD), "MPI_Send", error);
		}
		if (ok && nr > 0)
			ok = mpi_ok(MPI_Waitall(nr, req, MPI_STATUSES_IGNORE),
			            "MPI_Waitall", error);
	}
	MPI_Type_free(&t);
	return ok;
}
#endif

gboolean
kith_halo_exchange(const struct kith_halo *h, void *X, int width,
                   size_t elem, void *scratch, GError **error)
{
	size_t row = (size_t)width * elem;
	g_autofree char *own = NULL;
	char *buf = scratch;
	const char *x = X;

#ifdef HAVE_MPI
	if (dist_active && dist_size > 1)
		return halo_exchange_pairwise(h, X, row, scratch, error);
#endif
	if (buf == NULL) {
		own = kith_alloc_n((size_t)h->n_send + 1, row, error);
		if (own == NULL)
			return FALSE;
		buf = own;
	}
#pragma omp parallel for schedule(static) if (h->n_send > 65536)
	for (int64_t i = 0; i < h->n_send; i++)
		memcpy(buf + (size_t)i * row, x + (size_t)h->send_rows[i] * row,
		       row);
	return kith_dist_alltoallv(buf, h->send_count,
	                           (char *)X + (size_t)h->n_local * row,
	                           h->recv_count, row, error);
}

gboolean
kith_halo_reduce_f32(const struct kith_halo *h, float *X, int width,
                     float *scratch, GError **error)
{
	size_t row = (size_t)width;
	g_autofree float *own = NULL;
	float *buf = scratch;

	if (buf == NULL) {
		own = kith_alloc_n((size_t)h->n_send * row + 1, sizeof(float),
		                   error);
		if (own == NULL)
			return FALSE;
		buf = own;
	}
	if (!kith_dist_alltoallv(X + (size_t)h->n_local * row, h->recv_count,
	                         buf, h->send_count, row * sizeof(float), error))
		return FALSE;
	/* one column block per thread, rows in the received order */
#pragma omp parallel for schedule(static) if (h->n_send * width > 65536)
	for (int c0 = 0; c0 < width; c0 += 16) {
		int c1 = MIN(width, c0 + 16);
		for (int64_t i = 0; i < h->n_send; i++) {
			float *dst = X + (size_t)h->send_rows[i] * row;
			const float *src = buf + (size_t)i * row;
			for (int c = c0; c < c1; c++)
				dst[c] += src[c];
		}
	}
	return TRUE;
}
