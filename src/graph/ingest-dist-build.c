/*
 * The store of a distributed ingest (mpirun -np P kith ingest), built
 * over the ranks: a service of the build (ingest-build.c), after the
 * distributed reader (ingest-dist.c) left each rank its own events and
 * social rows, numbered as one process numbers them.
 *
 * Rows.  Users are cut into P contiguous ranges [u_r, u_r+1) with about
 * equal events + social entries + users (counted per block of at most
 * 65,536 blocks of users, one Allreduce; the cuts fall on block bounds).
 * Each event goes to the owner of its user and each social row to the
 * owner of its first user (one Alltoallv per column); the blocks arrive
 * in rank order, so a rank's events are in file order, as one process
 * holds them.
 *
 * Build.  Each rank runs the single-process build of the user->item
 * arrays (ingest_build_ui()) on its users, renumbered from 0: a row's
 * pairs, merge and log order depend on that row's events alone, so its
 * rows are the single process's rows.  The social rows are sorted and
 * deduplicated per owner (every copy of a pair has the same owner), and
 * unless --directed each pair's mirror goes to the owner of its second
 * user (a second Alltoallv); the rows are put in CSR order locally.
 *
 * Writing.  Only rank 0 writes (the output need not be on a shared file
 * system): it opens each array in the store writer
 * (kith_store_writer_open()) and appends its own piece, then each other
 * rank's in rank order, received in messages of at most PIECE bytes
 * (MPI_Send / MPI_Recv); the user->item row pointers and the log's users
 * are shifted to global numbers by their sender.  The item->user arrays
 * interleave the ranks (an item's users are in user order, so rank
 * order): items go in blocks of about BLOCK entries, each rank's entries
 * of a block are gathered to rank 0 (MPI_Gatherv) with their per-item
 * counts, and rank 0 lays them out item by item.  The arrays are the
 * single process's, byte for byte; the manifest hashes them as written.
 *
 * Memory per rank: its events and social rows (a received copy of one
 * column at a time beside the rest), its rows of the store's arrays, the
 * item->user counts (8 m bytes, twice) and, on rank 0, a piece (PIECE)
 * or a block (about 6 BLOCK x 8 bytes) in flight, the users' row
 * pointers (8 n bytes, for the partition member) beside what only rank
 * 0 holds anyway (the id maps, the users, items and features files).
 * Bytes moved: the events (21 bytes each at most) and social rows
 * (12 bytes, twice unless directed) once between ranks, then every
 * array once to rank 0.
 */
#include <string.h>

#include "kith/core.h"
#include "kith/csr.h"
#include "kith/dist.h"
#include "kith/io.h"
#include "kith/ingest.h"
#include "kith/store.h"
#include "ingest-internal.h"

#define PIECE ((size_t)8 << 20)          /* bytes per message to rank 0 */
#define BLOCK ((int64_t)1 << 20)         /* item->user entries per block */
#define MAX_BLOCKS ((int64_t)1 << 16)    /* user blocks of the cut */

/* What rank 0 knows and the others need. */
struct head {
	int64_t n, m, nt;
	int64_t has_ts, has_value, has_event, directed;
	double type_weight[32];
};

/* The cut: rank r owns users [bounds[r], bounds[r+1]); owner of user u
 * is owner[u / bs]. */
struct cut {
	int64_t *bounds;
	int32_t *owner;
	int64_t bs, nb;
};

static void
cut_clear(struct cut *k)
{
	g_free(k->bounds);
	g_free(k->owner);
}

static inline int
owner_of(const struct cut *k, int64_t u)
{
	return k->owner[u / k->bs];
}

/* ok on every rank, errors kept (kith_dist_all_ok()). */
static gboolean
settle(gboolean ok, GError **error)
{
	return kith_dist_all_ok(ok, error);
}

/* The cut from every rank's events and social rows. */
static gboolean
make_cut(struct ingest_ctx *c, const struct head *h, struct cut *k,
         GError **error)
{
	int P = kith_dist_size();
	int64_t n = h->n;
	k->bs = n / MAX_BLOCKS + 1;
	k->nb = n / k->bs + 1;
	k->bounds = g_new0(int64_t, P + 1);
	k->owner = g_new0(int32_t, k->nb);
	g_autofree int64_t *w = g_new0(int64_t, k->nb);
	for (int64_t e = 0; e < c->dist_own_ev; e++)
		w[c->ev_u[e] / k->bs]++;
	for (int64_t j = 0; j < c->dist_own_so; j++) {
		w[(int64_t)(c->so_key[j] >> 32) / k->bs]++;
		if (!h->directed)
			w[(int64_t)(c->so_key[j] & 0xffffffffu) / k->bs]++;
	}
	if (!kith_dist_allreduce_i64(w, (int)k->nb, KITH_DIST_SUM, error))
		return FALSE;
	int64_t total = 0;
	for (int64_t b = 0; b < k->nb; b++) {
		int64_t lo = b * k->bs, hi = MIN(n, lo + k->bs);
		w[b] += MAX((int64_t)0, hi - lo);
		total += w[b];
	}
	int r = 0;
	int64_t acc = 0;
	for (int64_t b = 0; b < k->nb; b++) {
		/* block b goes to rank r; the next rank starts once r's share
		 * is reached */
		k->owner[b] = r;
		acc += w[b];
		while (r < P - 1 && acc * P >= total * (r + 1)) {
			r++;
			k->bounds[r] = MIN(n, (b + 1) * k->bs);
		}
	}
	for (int q = r + 1; q <= P; q++)
		k->bounds[q] = n;
	return TRUE;
}

/* Sends column COL (n elements of ELEM bytes, ranks' blocks in owner
 * order given by OWN[e]) to the owners; the received blocks (rank
 * order) into a new *out of rn elements.  COL is freed. */
static gboolean
route(void *col_p, int64_t n, size_t elem, const int32_t *own,
       const int64_t *sc, const int64_t *rc, int64_t rn, void **out,
       GError **error)
{
	int P = kith_dist_size();
	void **colp = col_p;
	const char *col = *colp;
	g_autofree int64_t *pos = g_new0(int64_t, P + 1);
	for (int q = 0; q < P; q++)
		pos[q + 1] = pos[q] + sc[q];
	char *send = kith_alloc_huge_n((size_t)n + 1, elem, error);
	char *recv = send ? kith_alloc_huge_n((size_t)rn + 1, elem, error)
	                  : NULL;
	gboolean ok = recv != NULL;
	if (ok) {
		for (int64_t e = 0; e < n; e++)
			memcpy(send + (size_t)pos[own[e]]++ * elem,
			       col + (size_t)e * elem, elem);
		g_clear_pointer(colp, g_free);
		ok = kith_dist_alltoallv(send, sc, recv, rc, elem, error);
	}
	g_free(send);
	if (!ok) {
		g_free(recv);
		return FALSE;
	}
	*out = recv;
	return TRUE;
}

/* The owner of each of the N rows whose first user is USER(j); counts
 * per destination into sc, per source into rc (an all-to-all). */
static gboolean
route_counts(const int32_t *own, int64_t n, int64_t *sc, int64_t *rc,
             int64_t *rn, GError **error)
{
	int P = kith_dist_size();
	memset(sc, 0, sizeof(int64_t) * P);
	for (int64_t j = 0; j < n; j++)
		sc[own[j]]++;
	if (!kith_dist_alltoall_i64(sc, rc, error))
		return FALSE;
	*rn = 0;
	for (int q = 0; q < P; q++)
		*rn += rc[q];
	return TRUE;
}

/* ---- writing through rank 0 ---- */

/* Array NAME of the store (dtype DT, ROWS x COLS, COLS 0: 1-D) from
 * every rank's piece MINE of LEN bytes, in rank order, written by rank
 * 0 into the store writer W.  Collective. */
static gboolean
pull(struct kith_store_writer *w, const char *name, enum kith_dtype dt,
     int64_t rows, int64_t cols, const void *mine, size_t len,
     GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	int64_t my = (int64_t)len;
	g_autofree int64_t *lens = g_new0(int64_t, P);
	g_autofree int64_t *ones = g_new(int64_t, P);
	for (int q = 0; q < P; q++)
		ones[q] = 1;
	if (!kith_dist_gatherv(&my, 1, lens, ones, sizeof(int64_t), error))
		return FALSE;
	if (me != 0) {
		const char *p = mine;
		for (size_t off = 0; off < len; off += PIECE)
			if (!kith_dist_send(p + off, MIN(PIECE, len - off), 0,
			                    error))
				return FALSE;
		return settle(TRUE, error);
	}
	GError *err = NULL;
	struct kith_npy_out *o = kith_store_writer_open(w, name, dt, rows, cols,
	                                                &err);
	gboolean ok = o != NULL && (len == 0 ||
	              kith_npy_out_append(o, mine, len, &err));
	char *buf = g_malloc(PIECE);
	for (int q = 1; q < P; q++)
		for (int64_t off = 0; off < lens[q]; off += (int64_t)PIECE) {
			size_t l = MIN(PIECE, (size_t)(lens[q] - off));
			if (!kith_dist_recv(buf, l, q, error)) {
				g_free(buf);
				g_clear_error(&err);
				return FALSE;
			}
			/* after a failure, the rest is received and dropped */
			ok = ok && kith_npy_out_append(o, buf, l, &err);
		}
	g_free(buf);
	ok = ok && kith_store_writer_close(w, name, &err);
	if (!ok)
		g_propagate_error(error, err);
	return settle(ok, error);
}

/* The item->user arrays: indices and weights of every rank's transpose
 * LT (m rows, its users shifted to global numbers), interleaved item by
 * item in rank order; the row pointers from the summed counts. */
static gboolean
pull_iu(struct kith_store_writer *w, const struct kith_csr *lt, int64_t m,
        GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	int64_t *gc = kith_alloc0_n((size_t)m + 1, sizeof(int64_t), error);
	if (!settle(gc != NULL, error)) {
		g_free(gc);
		return FALSE;
	}
	for (int64_t i = 0; i < m; i++)
		gc[i + 1] = lt->indptr[i + 1] - lt->indptr[i];
	/* in Allreduces of at most 2^24 counts */
	for (int64_t off = 0; off < m; off += (int64_t)1 << 24)
		if (!kith_dist_allreduce_i64(gc + 1 + off,
		                             (int)MIN(m - off, (int64_t)1 << 24),
		                             KITH_DIST_SUM, error)) {
			g_free(gc);
			return FALSE;
		}
	for (int64_t i = 0; i < m; i++)
		gc[i + 1] += gc[i];
	int64_t z = gc[m];
	GError *err = NULL;
	gboolean ok = TRUE;
	struct kith_npy_out *oi = NULL, *ov = NULL;
	if (me == 0) {
		struct kith_npy_out *op = kith_store_writer_open(
			w, "iu.indptr.npy", KITH_DT_I64, m + 1, 0, &err);
		ok = op != NULL &&
		     kith_npy_out_append(op, gc, (size_t)(m + 1) * 8, &err) &&
		     kith_store_writer_close(w, "iu.indptr.npy", &err) &&
		     (oi = kith_store_writer_open(w, "iu.indices.npy", KITH_DT_I32,
		                                  z, 0, &err)) != NULL &&
		     (ov = kith_store_writer_open(w, "iu.weight.npy", KITH_DT_F32,
		                                  z, 0, &err)) != NULL;
	}
	g_autofree int64_t *cnt = g_new0(int64_t, P);
	g_autofree int64_t *ones = g_new(int64_t, P);
	for (int q = 0; q < P; q++)
		ones[q] = 1;
	int64_t *pc = NULL;         /* per rank, per item of the block */
	int32_t *ri = NULL, *oix = NULL;
	float *rv = NULL, *ovx = NULL;
	for (int64_t i0 = 0; i0 < m;) {
		int64_t i1 = i0 + 1;
		while (i1 < m && gc[i1 + 1] - gc[i0] <= BLOCK)
			i1++;
		int64_t nb = i1 - i0, bz = gc[i1] - gc[i0];
		int64_t lo = lt->indptr[i0], my = lt->indptr[i1] - lo;
		/* per-item counts of every rank (rank 0: P x nb) */
		g_autofree int64_t *mc = g_new(int64_t, nb + 1);
		for (int64_t i = i0; i < i1; i++)
			mc[i - i0] = lt->indptr[i + 1] - lt->indptr[i];
		g_autofree int64_t *nbs = g_new(int64_t, P);
		for (int q = 0; q < P; q++)
			nbs[q] = nb;
		if (me == 0) {
			pc = g_renew(int64_t, pc, (size_t)P * (size_t)nb + 1);
			ri = g_renew(int32_t, ri, (size_t)bz + 1);
			rv = g_renew(float, rv, (size_t)bz + 1);
			oix = g_renew(int32_t, oix, (size_t)bz + 1);
			ovx = g_renew(float, ovx, (size_t)bz + 1);
		}
		if (!kith_dist_gatherv(mc, nb, pc, nbs, sizeof(int64_t), error) ||
		    !kith_dist_gatherv(&my, 1, cnt, ones, sizeof(int64_t), error) ||
		    !kith_dist_gatherv(lt->indices + lo, my, ri, cnt,
		                       sizeof(int32_t), error) ||
		    !kith_dist_gatherv(lt->values + lo, my, rv, cnt,
		                       sizeof(float), error)) {
			ok = FALSE;
			break;
		}
		if (me == 0) {
			/* rank q's block starts at start[q]; lay out by item */
			g_autofree int64_t *at = g_new0(int64_t, P);
			for (int q = 1; q < P; q++)
				at[q] = at[q - 1] + cnt[q - 1];
			int64_t x = 0;
			for (int64_t i = 0; i < nb; i++)
				for (int q = 0; q < P; q++) {
					int64_t k = pc[(size_t)q * (size_t)nb + (size_t)i];
					memcpy(oix + x, ri + at[q], (size_t)k * 4);
					memcpy(ovx + x, rv + at[q], (size_t)k * 4);
					at[q] += k;
					x += k;
				}
			ok = ok && kith_npy_out_append(oi, oix, (size_t)x * 4, &err) &&
			     kith_npy_out_append(ov, ovx, (size_t)x * 4, &err);
		}
		i0 = i1;
	}
	g_free(pc);
	g_free(ri);
	g_free(rv);
	g_free(oix);
	g_free(ovx);
	g_free(gc);
	if (me == 0 && ok)
		ok = kith_store_writer_close(w, "iu.indices.npy", &err) &&
		     kith_store_writer_close(w, "iu.weight.npy", &err);
	if (err)
		g_propagate_error(error, err);
	return settle(ok, error);
}

/* ---- the events ---- */

/* Every rank's events to the owners of their users, in rank order;
 * c's event columns become this rank's users' events (users from 0). */
static gboolean
route_events(struct ingest_ctx *c, const struct head *h,
             const struct cut *k, GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	int64_t n = c->dist_own_ev, rn = 0;
	g_autofree int64_t *sc = g_new0(int64_t, P);
	g_autofree int64_t *rc = g_new0(int64_t, P);
	int32_t *own = kith_alloc_n((size_t)n + 1, sizeof(int32_t), error);
	if (!settle(own != NULL, error)) {
		g_free(own);
		return FALSE;
	}
	for (int64_t e = 0; e < n; e++)
		own[e] = owner_of(k, c->ev_u[e]);
	void *ni = NULL, *nt = NULL, *nts = NULL, *nv = NULL, *nu = NULL;
	gboolean ok = route_counts(own, n, sc, rc, &rn, error) &&
	              route(&c->ev_i, n, 4, own, sc, rc, rn, &ni, error) &&
	              (!h->has_event ||
	               route(&c->ev_t, n, 1, own, sc, rc, rn, &nt, error)) &&
	              (!h->has_ts ||
	               route(&c->ev_ts, n, 8, own, sc, rc, rn, &nts, error)) &&
	              (!h->has_value ||
	               route(&c->ev_val, n, 4, own, sc, rc, rn, &nv, error)) &&
	              route(&c->ev_u, n, 4, own, sc, rc, rn, &nu, error);
	g_free(own);
	g_clear_pointer(&c->ev_i, g_free);
	g_clear_pointer(&c->ev_t, g_free);
	g_clear_pointer(&c->ev_ts, g_free);
	g_clear_pointer(&c->ev_val, g_free);
	g_clear_pointer(&c->ev_u, g_free);
	c->ev_i = ni;
	c->ev_t = nt;
	c->ev_ts = nts;
	c->ev_val = nv;
	c->ev_u = nu;
	if (!ok)
		return FALSE;
	int64_t u0 = k->bounds[me];
	for (int64_t e = 0; e < rn; e++)
		c->ev_u[e] -= (int32_t)u0;
	c->dist_own_ev = rn;
	c->ev_cap = rn;
	return TRUE;
}

/* Prefix over the ranks before this one of X (an Allgather of int64). */
static gboolean
exscan(int64_t x, int64_t *before, int64_t *total, GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	g_autofree int64_t *all = g_new0(int64_t, P);
	g_autofree int64_t *ones = g_new(int64_t, P);
	for (int q = 0; q < P; q++)
		ones[q] = 1;
	if (!kith_dist_allgatherv(&x, 1, all, ones, sizeof(int64_t), error))
		return FALSE;
	*before = *total = 0;
	for (int q = 0; q < P; q++) {
		if (q < me)
			*before += all[q];
		*total += all[q];
	}
	return TRUE;
}

/* The user->item arrays, the event log and the item->user arrays. */
static gboolean
build_events(struct ingest_ctx *c, const struct head *h, const struct cut *k,
             struct kith_store *s, GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	struct kith_store_writer *w = c->opt->writer;
	int64_t u0 = k->bounds[me], nr = k->bounds[me + 1] - u0;
	if (!route_events(c, h, k, error))
		return FALSE;
	/* this rank's rows, as one process builds them */
	struct kith_ingest_options lo = *c->opt;
	lo.writer = NULL;
	struct ingest_ctx lc = { 0 };
	lc.opt = &lo;
	lc.res = c->res;
	lc.n_ev = c->dist_own_ev;
	lc.ev_cap = c->ev_cap;
	lc.ev_u = g_steal_pointer(&c->ev_u);
	lc.ev_i = g_steal_pointer(&c->ev_i);
	lc.ev_t = g_steal_pointer(&c->ev_t);
	lc.ev_ts = g_steal_pointer(&c->ev_ts);
	lc.ev_val = g_steal_pointer(&c->ev_val);
	lc.has_event = h->has_event != 0;
	lc.has_ts = h->has_ts != 0;
	lc.has_value = h->has_value != 0;
	memcpy(lc.type_weight, h->type_weight, sizeof lc.type_weight);
	c->ev_cap = 0;
	g_autoptr(kith_store) ls = kith_store_new();
	ls->n_users = nr;
	ls->n_items = h->m;
	ls->n_event_types = h->nt;
	gboolean ok = ingest_build_ui(&lc, ls, error) &&
	              kith_store_check(ls, error);
	g_free(lc.ev_u);
	g_free(lc.ev_i);
	g_free(lc.ev_t);
	g_free(lc.ev_ts);
	g_free(lc.ev_val);
	if (!settle(ok, error))
		return FALSE;

	int64_t z0, zt, e0, et;
	if (!exscan(ls->ui.nnz, &z0, &zt, error) ||
	    !exscan(ls->n_log, &e0, &et, error))
		return FALSE;
	for (int64_t u = 0; u <= nr; u++)
		ls->ui.indptr[u] += z0;
	for (int64_t e = 0; e < ls->n_log; e++)
		ls->ev_user[e] += (int32_t)u0;
	for (int64_t x = 0; x < ls->iu.nnz; x++)
		ls->iu.indices[x] += (int32_t)u0;
	int64_t n = h->n, nt = h->nt;
	size_t zb = (size_t)ls->ui.nnz, eb = (size_t)ls->n_log;
	/* the last rank sends the closing row pointer too */
	size_t pr = (size_t)nr + (me == P - 1 ? 1 : 0);
	ok = pull(w, "ui.indptr.npy", KITH_DT_I64, n + 1, 0, ls->ui.indptr,
	          pr * 8, error) &&
	     pull(w, "ui.indices.npy", KITH_DT_I32, zt, 0, ls->ui.indices,
	          zb * 4, error) &&
	     pull(w, "ui.weight.npy", KITH_DT_F32, zt, 0, ls->ui.values,
	          zb * 4, error) &&
	     pull(w, "ui.count.npy", KITH_DT_I32, zt, 0, ls->ui_count, zb * 4,
	          error) &&
	     pull(w, "ui.ts_first.npy", KITH_DT_I64, zt, 0, ls->ui_ts_first,
	          zb * 8, error) &&
	     pull(w, "ui.ts_last.npy", KITH_DT_I64, zt, 0, ls->ui_ts_last,
	          zb * 8, error) &&
	     pull(w, "ui.types.npy", KITH_DT_U32, zt, 0, ls->ui_types, zb * 4,
	          error) &&
	     pull(w, "ui.value.npy", KITH_DT_F32, zt, 0, ls->ui_value, zb * 4,
	          error) &&
	     (nt == 0 ||
	      pull(w, "user_type_count.npy", KITH_DT_I32, n, nt,
	           ls->user_type_count, (size_t)nr * (size_t)nt * 4, error)) &&
	     pull(w, "ev.user.npy", KITH_DT_I32, et, 0, ls->ev_user, eb * 4,
	          error) &&
	     pull(w, "ev.item.npy", KITH_DT_I32, et, 0, ls->ev_item, eb * 4,
	          error) &&
	     pull(w, "ev.ts.npy", KITH_DT_I64, et, 0, ls->ev_ts, eb * 8,
	          error) &&
	     pull(w, "ev.type.npy", KITH_DT_U8, et, 0, ls->ev_type, eb, error) &&
	     pull(w, "ev.value.npy", KITH_DT_F32, et, 0, ls->ev_value, eb * 4,
	          error) &&
	     pull_iu(w, &ls->iu, h->m, error);
	if (!ok)
		return FALSE;

	/* the partition member: rows cut by the store's row pointers (rank
	 * 0 gathers them, 8 n bytes), and where each range starts in the
	 * log */
	int64_t *rows = g_new0(int64_t, P + 1);
	int64_t *gp = NULL;
	g_autofree int64_t *counts = g_new(int64_t, P);
	for (int q = 0; q < P; q++)
		counts[q] = k->bounds[q + 1] - k->bounds[q];
	if (me == 0) {
		gp = kith_alloc_n((size_t)n + 1, sizeof(int64_t), error);
		ok = gp != NULL;
	}
	ok = settle(ok, error) &&
	     kith_dist_gatherv(ls->ui.indptr, nr, gp, counts, sizeof(int64_t),
	                       error);
	if (ok && me == 0) {
		gp[n] = zt;
		kith_dist_partition(rows, gp, n, P);
	}
	g_free(gp);
	ok = ok && kith_dist_bcast(rows, sizeof(int64_t) * (P + 1), error);
	int64_t *logb = g_new0(int64_t, P + 1);
	for (int q = 0; ok && q <= P; q++) {
		int64_t x = rows[q];
		if (x >= n) {
			logb[q] = me == 0 ? et : 0;
		} else if (x >= u0 && x < u0 + nr) {
			/* first log entry of a user >= x */
			int64_t a = 0, b = ls->n_log;
			while (a < b) {
				int64_t mid = a + (b - a) / 2;
				if (ls->ev_user[mid] < x)
					a = mid + 1;
				else
					b = mid;
			}
			logb[q] = e0 + a;
		}
	}
	ok = ok && kith_dist_allreduce_i64(logb, P + 1, KITH_DIST_SUM, error);
	if (ok && me == 0) {
		c->dist_rows = rows;
		c->dist_log = logb;
	} else {
		g_free(rows);
		g_free(logb);
	}
	if (ok && s) {
		s->ui.n_rows = n;
		s->ui.n_cols = h->m;
		s->ui.nnz = zt;
		s->iu.n_rows = h->m;
		s->iu.n_cols = n;
		s->iu.nnz = zt;
		s->n_log = et;
	}
	return ok;
}

/* ---- the social rows ---- */

/* Rows (a << 32 | b) with weights W, N of them, to the owners of a;
 * the received ones replace them. */
static gboolean
route_pairs(const struct cut *k, uint64_t **key, float **w, int64_t *n,
            GError **error)
{
	int P = kith_dist_size();
	int64_t rn = 0;
	g_autofree int64_t *sc = g_new0(int64_t, P);
	g_autofree int64_t *rc = g_new0(int64_t, P);
	int32_t *own = kith_alloc_n((size_t)*n + 1, sizeof(int32_t), error);
	if (!settle(own != NULL, error)) {
		g_free(own);
		return FALSE;
	}
	for (int64_t j = 0; j < *n; j++)
		own[j] = owner_of(k, (int64_t)((*key)[j] >> 32));
	void *nk = NULL, *nw = NULL;
	gboolean ok = route_counts(own, *n, sc, rc, &rn, error) &&
	              route(w, *n, 4, own, sc, rc, rn, &nw, error) &&
	              route(key, *n, 8, own, sc, rc, rn, &nk, error);
	g_free(own);
	g_clear_pointer(key, g_free);
	g_clear_pointer(w, g_free);
	*key = nk;
	*w = nw;
	*n = ok ? rn : 0;
	return ok;
}

struct kwp {
	uint64_t key;
	float w;
};

static int
kwp_cmp(const void *pa, const void *pb)
{
	const struct kwp *a = pa, *b = pb;
	return (a->key > b->key) - (a->key < b->key);
}

/* The user->user arrays; *pairs: the distinct pairs over all ranks. */
static gboolean
build_social(struct ingest_ctx *c, const struct head *h, const struct cut *k,
             struct kith_store *s, int64_t *pairs, GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	struct kith_store_writer *w = c->opt->writer;
	int64_t u0 = k->bounds[me], nr = k->bounds[me + 1] - u0, n = h->n;
	int64_t ns = c->dist_own_so;
	if (!route_pairs(k, &c->so_key, &c->so_w, &ns, error))
		return FALSE;
	c->so_cap = ns;
	/* sorted by (a, b), one row per pair, the largest weight */
	struct kwp *kv = kith_alloc_n((size_t)ns + 1, sizeof *kv, error);
	if (!settle(kv != NULL, error)) {
		g_free(kv);
		return FALSE;
	}
	for (int64_t j = 0; j < ns; j++) {
		kv[j].key = c->so_key[j];
		kv[j].w = c->so_w[j];
	}
	qsort(kv, (size_t)ns, sizeof *kv, kwp_cmp);
	int64_t mu = 0;
	for (int64_t j = 0; j < ns; j++) {
		if (mu > 0 && kv[mu - 1].key == kv[j].key) {
			if (kv[j].w > kv[mu - 1].w)
				kv[mu - 1].w = kv[j].w;
			continue;
		}
		kv[mu++] = kv[j];
	}
	/* the pairs, then (undirected) their mirrors to the owners of b */
	int64_t nm = h->directed ? 0 : mu;
	uint64_t *mk = g_try_new(uint64_t, nm + 1);
	float *mw = g_try_new(float, nm + 1);
	gboolean ok = mk && mw;
	for (int64_t j = 0; ok && j < nm; j++) {
		mk[j] = (kv[j].key & 0xffffffffu) << 32 | kv[j].key >> 32;
		mw[j] = kv[j].w;
	}
	ok = settle(ok, error) &&
	     (h->directed || route_pairs(k, &mk, &mw, &nm, error));
	int64_t before = 0, total = 0;
	ok = ok && exscan(mu, &before, &total, error);
	*pairs = total;
	int64_t nnz = mu + (h->directed ? 0 : nm);
	int32_t *rows = ok ? g_try_new(int32_t, nnz + 1) : NULL;
	int32_t *cols = ok ? g_try_new(int32_t, nnz + 1) : NULL;
	float *vals = ok ? g_try_new(float, nnz + 1) : NULL;
	ok = settle(rows && cols && vals, error);
	struct kith_csr lu = { 0 };
	if (ok) {
		int64_t x = 0;
		for (int64_t j = 0; j < mu; j++, x++) {
			rows[x] = (int32_t)((int64_t)(kv[j].key >> 32) - u0);
			cols[x] = (int32_t)(kv[j].key & 0xffffffffu);
			vals[x] = kv[j].w;
		}
		for (int64_t j = 0; !h->directed && j < nm; j++, x++) {
			rows[x] = (int32_t)((int64_t)(mk[j] >> 32) - u0);
			cols[x] = (int32_t)(mk[j] & 0xffffffffu);
			vals[x] = mw[j];
		}
		ok = settle(kith_csr_from_coo(&lu, nr, n, nnz, rows, cols, vals,
		                              error), error);
	}
	g_free(kv);
	g_free(mk);
	g_free(mw);
	g_free(rows);
	g_free(cols);
	g_free(vals);
	int64_t z0 = 0, zt = 0;
	ok = ok && exscan(lu.nnz, &z0, &zt, error);
	if (ok) {
		for (int64_t u = 0; u <= nr; u++)
			lu.indptr[u] += z0;
		size_t pr = (size_t)nr + (me == P - 1 ? 1 : 0);
		size_t zb = (size_t)lu.nnz;
		ok = pull(w, "uu.indptr.npy", KITH_DT_I64, n + 1, 0, lu.indptr,
		          pr * 8, error) &&
		     pull(w, "uu.indices.npy", KITH_DT_I32, zt, 0, lu.indices,
		          zb * 4, error) &&
		     pull(w, "uu.weight.npy", KITH_DT_F32, zt, 0, lu.values,
		          zb * 4, error);
	}
	kith_csr_clear(&lu);
	if (ok && s) {
		s->uu.n_rows = n;
		s->uu.n_cols = n;
		s->uu.nnz = zt;
	}
	return ok;
}

gboolean
ingest_dist_build(struct ingest_ctx *c, struct kith_store *s,
                  int64_t *pairs, GError **error)
{
	struct head h = { 0 };
	if (kith_dist_rank() == 0) {
		h.n = s->n_users;
		h.m = s->n_items;
		h.nt = s->n_event_types;
		h.has_ts = c->has_ts;
		h.has_value = c->has_value;
		h.has_event = c->has_event;
		h.directed = c->opt->directed;
		memcpy(h.type_weight, c->type_weight, sizeof h.type_weight);
	}
	if (!kith_dist_bcast(&h, sizeof h, error))
		return FALSE;
	struct cut k = { 0 };
	gboolean ok = make_cut(c, &h, &k, error) &&
	              build_events(c, &h, &k, s, error) &&
	              build_social(c, &h, &k, s, pairs, error);
	cut_clear(&k);
	return ok;
}
