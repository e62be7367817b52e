/*
 * Second half of kith ingest: collected rows -> struct kith_store, the
 * manifest's "extra" members and the summaries.
 *
 * user->item CSR and event log (ingest_build_ui()): a parallel stable counting
 * sort by user moves every event column into the log arrays; then each
 * row, where it lies, is sorted by (item, arrival) (LSD radix on the item
 * bytes for long rows, quicksort for short ones) and merged: weight = sum
 * of type weights, count, min/max ts, type mask, value sum; and reordered
 * by (ts, arrival) into the log.  The item->user CSR is its transpose.
 * Social rows are sorted by (a, b) key and deduplicated (largest weight
 * kept), then mirrored unless directed.  (The SHA-256 of the inputs comes
 * from the input layer, input.h.)
 * The counting sort writes straight into the log's arrays (no staging
 * copy of the events: 16 E bytes fewer to fault in and write), and each
 * row is reordered in place through a per-thread copy of it.  The input
 * columns' blocks, faulted in by the reader, are reused once the sort is
 * done: ts -> sort keys, users -> the log's users, items and values ->
 * pair counts and value sums, and the sort keys' block becomes the
 * item->user indices (kith_csr_transpose_in()); fresh pages cost a fault
 * and a clearing each, the dearest part of the build on a loaded host.
 * Cost: O(E + sum d log d + n + m) time, about 8 E + 4 n threads + 40
 * d_max threads bytes of scratch beside the store's own arrays.
 */
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kith/core.h"
#include "kith/csr.h"
#include "kith/io.h"
#include "kith/ingest.h"
#include "kith/memest.h"
#include "ingest-internal.h"

/* ------------------------------------------------------------- sorting */

static void
sort_u64(uint64_t *a, int64_t n)
{
	while (n > 24) {
		uint64_t x = a[0], y = a[n / 2], z = a[n - 1];
		uint64_t piv = x < y ? (y < z ? y : (x < z ? z : x))
		                     : (x < z ? x : (y < z ? z : y));
		int64_t i = 0, j = n - 1;
		for (;;) {
			while (a[i] < piv)
				i++;
			while (a[j] > piv)
				j--;
			if (i >= j)
				break;
			uint64_t t = a[i];
			a[i] = a[j];
			a[j] = t;
			i++;
			j--;
		}
		/* recurse on the smaller part, loop on the larger */
		int64_t left = j + 1;
		if (left < n - left) {
			sort_u64(a, left);
			a += left;
			n -= left;
		} else {
			sort_u64(a + left, n - left);
			n = left;
		}
	}
	for (int64_t i = 1; i < n; i++) {
		uint64_t v = a[i];
		int64_t j = i - 1;
		while (j >= 0 && a[j] > v) {
			a[j + 1] = a[j];
			j--;
		}
		a[j + 1] = v;
	}
}

/* Sorts keys whose low 32 bits are already ascending (a position) by
 * their high 32 bits, stably: LSD radix, one byte per pass, only the
 * bytes that vary.  tmp holds n entries.  Small rows use sort_u64(). */
static void
sort_row(uint64_t *a, int64_t n, uint64_t *tmp)
{
	if (n < 128) {
		sort_u64(a, n);
		return;
	}
	uint32_t any = 0, all = UINT32_MAX;
	for (int64_t j = 0; j < n; j++) {
		any |= (uint32_t)(a[j] >> 32);
		all &= (uint32_t)(a[j] >> 32);
	}
	uint64_t *src = a, *dst = tmp;
	for (int shift = 32; shift < 64; shift += 8) {
		if ((((any ^ all) >> (shift - 32)) & 0xff) == 0)
			continue;       /* this byte is the same everywhere */
		int64_t pos[256] = { 0 };
		for (int64_t j = 0; j < n; j++)
			pos[(src[j] >> shift) & 0xff]++;
		int64_t o = 0;
		for (int d = 0; d < 256; d++) {
			int64_t c = pos[d];
			pos[d] = o;
			o += c;
		}
		for (int64_t j = 0; j < n; j++)
			dst[pos[(src[j] >> shift) & 0xff]++] = src[j];
		uint64_t *t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, (size_t)n * sizeof *a);
}

struct kw {
	uint64_t key;
	float w;
};

static int
kw_cmp(const void *pa, const void *pb)
{
	const struct kw *a = pa, *b = pb;
	return (a->key > b->key) - (a->key < b->key);
}

/* ------------------------------------------------------------ ui build */

struct log_ref {
	int64_t ts;
	uint32_t e;
};

static int
log_ref_cmp(const void *pa, const void *pb)
{
	const struct log_ref *a = pa, *b = pb;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return (a->e > b->e) - (a->e < b->e);
}

/* A block of n * size bytes made from *old (taken, shrunk in place when
 * it is big enough) or newly allocated; NULL and error on failure. */
static void *
reuse(void *old_p, size_t n, size_t size, GError **error)
{
	void **old = old_p;
	void *p = *old;
	*old = NULL;
	if (p && n <= G_MAXSIZE / size) {
		void *q = g_try_realloc(p, n * size);
		if (q)
			return q;
	}
	g_free(p);
	return kith_alloc_n(n, size, error);
}

/* reuse() of *old, or kith_alloc_huge_n() when there is none. */
static void *
reuse_big(void *old_p, size_t n, size_t size, GError **error)
{
	void **old = old_p;
	return *old ? reuse(old, n, size, error) : kith_alloc_huge_n(n, size, error);
}

/* Puts row r0..r0+n of the log, where it lies, in the order perm (log
 * entry x is the row's event perm(x)): the row's columns are copied to
 * the scratch cts, cit, cva first, the event types go through tmpcol. */
#define LOG_ROW(perm) do { \
		uint8_t *t_ = (uint8_t *)tmpcol; \
		memcpy(cts, s->ev_ts + r0, (size_t)n * sizeof *cts); \
		memcpy(cit, s->ev_item + r0, (size_t)n * sizeof *cit); \
		memcpy(cva, s->ev_value + r0, (size_t)n * sizeof *cva); \
		for (int64_t x_ = 0; x_ < n; x_++) { \
			int64_t e_ = perm(x_); \
			s->ev_item[r0 + x_] = cit[e_]; \
			s->ev_ts[r0 + x_] = cts[e_]; \
			s->ev_value[r0 + x_] = cva[e_]; \
			t_[x_] = rt[e_]; \
		} \
		memcpy(s->ev_type + r0, t_, (size_t)n); \
	} while (0)

/* Rows of stage 3 are handed out in blocks, in order; the frontier is
 * the number of leading blocks done, published to the store writer's
 * stream (lane 0: log entries, lane 1: pairs) every STREAM_STEP log
 * entries or so. */
#define ROW_BLOCK 256
#define STREAM_STEP ((int64_t)1 << 19)

struct frontier {
	struct kith_store_stream *st;
	uint8_t *done;              /* per block */
	int64_t nb, next, nu;
	const int64_t *rp, *pp;     /* log and pair row pointers */
	int64_t published;          /* log entries at the last advance */
};

static void
frontier_done(struct frontier *f, int64_t b)
{
	#pragma omp critical(kith_ingest_frontier)
	{
		f->done[b] = 1;
		while (f->next < f->nb && f->done[f->next])
			f->next++;
		int64_t u = f->next * ROW_BLOCK < f->nu ? f->next * ROW_BLOCK
		                                        : f->nu;
		if (f->rp[u] - f->published >= STREAM_STEP) {
			int64_t avail[KITH_STORE_LANES] = { f->rp[u], f->pp[u] };
			f->published = f->rp[u];
			kith_store_stream_advance(f->st, avail);
		}
	}
}

/*
 * Events -> the event log and the user->item CSR.
 *
 * 1. A parallel stable counting sort by user scatters the event columns
 *    into the log arrays (each user's events contiguous, in input order).
 * 2. Per user (OpenMP over rows): keys (item << 32 | position) are sorted
 *    so that equal items are adjacent and in arrival order; distinct
 *    items are counted.
 * 3. Per user: the pairs are merged (weight = sum of type weights in
 *    arrival order, count, first/last ts, type mask, value sum, events per
 *    type); then the row is reordered by (ts, arrival) into its log order.
 * Every row is worked on where it lies, so the gathers stay in cache.
 * Cost: O(E) scatter, O(E log d) row sorts; extra memory 8 E (keys) +
 * 4 n threads (counts) + 40 d_max threads (row scratch).
 */
gboolean
ingest_build_ui(struct ingest_ctx *c, struct kith_store *s, GError **error)
{
	int64_t nu = s->n_users, ne = c->n_ev;
	int nt = (int)s->n_event_types;
	int nth = kith_get_threads() > 0 ? kith_get_threads() : 1;
	size_t z = (size_t)ne + 1;
	gboolean ok = FALSE;
	size_t hn;
	uint64_t *scratch = NULL;
	int64_t *rp = kith_alloc0_n((size_t)nu + 1, sizeof(int64_t), error);
	int64_t *cnt = rp ? kith_alloc0_n((size_t)nu + 1, sizeof(int64_t), error)
	                  : NULL;
	uint32_t *hist = NULL;
	uint64_t *keys = NULL;
	if (!cnt)
		goto out;
	if (!kith_mul_size((size_t)nth, (size_t)nu + 1, &hn)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "too many users");
		goto out;
	}
	hist = kith_alloc0_n(hn, sizeof(uint32_t), error);
	if (!hist)
		goto out;
	s->n_log = ne;
	s->ev_item = kith_store_own(s, kith_alloc_huge_n(z, sizeof(int32_t), error));
	s->ev_ts = kith_store_own(s, kith_alloc_huge_n(z, sizeof(int64_t), error));
	s->ev_type = kith_store_own(s, kith_alloc_huge_n(z, sizeof(uint8_t), error));
	s->ev_value = kith_store_own(s, kith_alloc_huge_n(z, sizeof(float), error));
	if (!s->ev_item || !s->ev_ts || !s->ev_type || !s->ev_value)
		goto out;


	/* 1. stable counting sort by user */
	const int32_t *in_u = c->ev_u, *in_i = c->ev_i;
	const uint8_t *in_t = c->ev_t;
	const int64_t *in_ts = c->ev_ts;
	const float *in_v = c->ev_val;
	gboolean has_event = c->has_event;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	#pragma omp parallel num_threads(nth) reduction(min:lo) reduction(max:hi)
	{
		int tid = 0, team = 1;
#ifdef _OPENMP
		tid = omp_get_thread_num();
		team = omp_get_num_threads();
#endif
		int64_t a = ne * tid / team, b = ne * (tid + 1) / team;
		uint32_t *h = hist + (size_t)tid * (size_t)nu;
		for (int64_t e = a; e < b; e++)
			h[in_u[e]]++;
		#pragma omp barrier
		#pragma omp for schedule(static)
		for (int64_t u = 0; u < nu; u++) {
			int64_t t = 0;
			for (int k = 0; k < team; k++)
				t += hist[(size_t)k * (size_t)nu + (size_t)u];
			rp[u + 1] = t;
		}
		#pragma omp single
		for (int64_t u = 0; u < nu; u++)
			rp[u + 1] += rp[u];
		#pragma omp for schedule(static)
		for (int64_t u = 0; u < nu; u++) {
			int64_t o = rp[u];
			for (int k = 0; k < team; k++) {
				uint32_t *x = &hist[(size_t)k * (size_t)nu + (size_t)u];
				uint32_t n = *x;
				*x = (uint32_t)o;
				o += n;
			}
		}
		for (int64_t e = a; e < b; e++) {
			uint32_t p = h[in_u[e]]++;
			s->ev_item[p] = in_i[e];
			s->ev_type[p] = has_event ? in_t[e] : 255;
			if (in_ts) {
				int64_t t = in_ts[e];
				s->ev_ts[p] = t;
				lo = t < lo ? t : lo;
				hi = t > hi ? t : hi;
			} else {
				s->ev_ts[p] = INT64_MIN;
			}
			s->ev_value[p] = in_v ? in_v[e] : 0.0f;
		}
	}
	g_free(hist);
	hist = NULL;
	gboolean has_ts = c->ev_ts != NULL, has_value = c->ev_val != NULL;
	/* the input columns are done with; their blocks, already faulted in,
	 * become the sort keys (the ts column: 8 E bytes), the log's users
	 * (the users column) and pair arrays below (shrunk in place) */
	g_clear_pointer(&c->ev_t, g_free);
	keys = reuse_big(&c->ev_ts, z, sizeof(uint64_t), error);
	s->ev_user = kith_store_own(s, keys ? reuse_big(&c->ev_u, z,
	                                                sizeof(int32_t), error)
	                                    : NULL);
	if (!s->ev_user)
		goto out;

	/* row scratch: 16 bytes (sort keys) + 8 bytes (a column) + 16 bytes
	 * (a copy of the row's ts, item and value) per entry */
	int64_t dmax = 0;
	for (int64_t u = 0; u < nu; u++)
		if (rp[u + 1] - rp[u] > dmax)
			dmax = rp[u + 1] - rp[u];
	size_t per;
	if (!kith_mul_size((size_t)dmax + 1, 5, &per) ||
	    !kith_mul_size(per, (size_t)nth, &per)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "user with too many events");
		goto out;
	}
	scratch = kith_alloc_n(per, sizeof(uint64_t), error);
	if (!scratch)
		goto out;

	/* 2. per row: sort by (item, arrival), count pairs */
	#pragma omp parallel num_threads(nth)
	{
		int tid = 0;
#ifdef _OPENMP
		tid = omp_get_thread_num();
#endif
		uint64_t *tmp = scratch + (size_t)tid * 5 * ((size_t)dmax + 1);
		#pragma omp for schedule(dynamic, 256)
		for (int64_t u = 0; u < nu; u++) {
			int64_t r0 = rp[u], n = rp[u + 1] - rp[u], k = 0;
			uint64_t *a = keys + r0;
			for (int64_t j = 0; j < n; j++)
				a[j] = ((uint64_t)(uint32_t)s->ev_item[r0 + j] << 32) |
				       (uint64_t)j;
			sort_row(a, n, tmp);
			for (int64_t j = 0; j < n; j++)
				if (j == 0 || (a[j] >> 32) != (a[j - 1] >> 32))
					k++;
			cnt[u + 1] = k;
		}
	}
	for (int64_t u = 0; u < nu; u++)
		cnt[u + 1] += cnt[u];
	int64_t nnz = cnt[nu];
	if (!kith_csr_alloc(&s->ui, nu, s->n_items, nnz, TRUE, error))
		goto out;
	size_t zz = (size_t)nnz;
	s->ui_count = kith_store_own(s, reuse_big(&c->ev_i, zz + 1, sizeof(int32_t), error));
	s->ui_ts_first = kith_store_own(s, kith_alloc_huge_n(zz + 1, sizeof(int64_t), error));
	s->ui_ts_last = kith_store_own(s, kith_alloc_huge_n(zz + 1, sizeof(int64_t), error));
	s->ui_types = kith_store_own(s, kith_alloc_huge_n(zz + 1, sizeof(uint32_t), error));
	s->ui_value = kith_store_own(s, reuse_big(&c->ev_val, zz + 1, sizeof(float), error));
	c->ev_cap = 0;
	if (nt > 0)
		s->user_type_count = kith_store_own(s,
			kith_alloc0_n((size_t)nu * (size_t)nt + 1, sizeof(int32_t),
			              error));
	if (!s->ui_count || !s->ui_ts_first || !s->ui_ts_last || !s->ui_types ||
	    !s->ui_value || (nt > 0 && !s->user_type_count))
		goto out;
	memcpy(s->ui.indptr, cnt, (size_t)(nu + 1) * sizeof(int64_t));
	struct frontier fr = { 0 };
	fr.nb = (nu + ROW_BLOCK - 1) / ROW_BLOCK;
	if (c->opt->writer) {
		struct kith_store_stream_array arr[KITH_STORE_MAX_STREAMED];
		int narr = kith_store_streamed_arrays(s, arr);
		fr.done = kith_alloc0_n((size_t)fr.nb + 1, 1, error);
		if (!fr.done)
			goto out;
		fr.st = kith_store_writer_stream(c->opt->writer, narr, arr,
		                                 error);
		if (!fr.st)
			goto out;
		fr.nu = nu;
		fr.rp = rp;
		fr.pp = s->ui.indptr;
	}
	/* 3. per row: merge the pairs, then put the row in log order */
	const double *tw = c->type_weight;
	gboolean packed = !has_ts || ne == 0 ||
	                  (uint64_t)hi - (uint64_t)lo < ((uint64_t)1 << 32);
	#pragma omp parallel num_threads(nth)
	{
		int tid = 0;
#ifdef _OPENMP
		tid = omp_get_thread_num();
#endif
		uint64_t *lk = scratch + (size_t)tid * 5 * ((size_t)dmax + 1);
		uint64_t *tmpcol = lk + 2 * ((size_t)dmax + 1);
		int64_t *cts = (int64_t *)(lk + 3 * ((size_t)dmax + 1));
		int32_t *cit = (int32_t *)(lk + 4 * ((size_t)dmax + 1));
		float *cva = (float *)(cit + ((size_t)dmax + 1));
		struct log_ref *ref = (struct log_ref *)lk;
		#pragma omp for schedule(dynamic, 1)
		for (int64_t b = 0; b < fr.nb; b++) {
			const int64_t uend = (b + 1) * ROW_BLOCK < nu ? (b + 1) * ROW_BLOCK
			                                            : nu;
			for (int64_t u = b * ROW_BLOCK; u < uend; u++) {
				int64_t r0 = rp[u], n = rp[u + 1] - rp[u];
				const uint64_t *a = keys + r0;
				int64_t w = s->ui.indptr[u] - 1;
				int32_t *utc = nt > 0 ? s->user_type_count + u * nt : NULL;
				const int32_t *rit = s->ev_item + r0;
				const int64_t *rts = s->ev_ts + r0;
				const float *rva = s->ev_value + r0;
				const uint8_t *rt = s->ev_type + r0;
				double wsum = 0, vsum = 0;
				for (int64_t j = 0; j < n; j++)
					s->ev_user[r0 + j] = (int32_t)u;
				for (int64_t j = 0; j < n; j++) {
					uint32_t e = (uint32_t)a[j];
					int t = has_event ? rt[e] : 0;
					int64_t ts = rts[e];
					if (j == 0 || (a[j] >> 32) != (a[j - 1] >> 32)) {
						if (w >= s->ui.indptr[u]) {
							s->ui.values[w] = (float)wsum;
							s->ui_value[w] = (float)vsum;
						}
						w++;
						s->ui.indices[w] = rit[e];
						s->ui_count[w] = 0;
						s->ui_ts_first[w] = ts;
						s->ui_ts_last[w] = ts;
						s->ui_types[w] = 0;
						wsum = vsum = 0;
					}
					s->ui_count[w]++;
					if (ts < s->ui_ts_first[w])
						s->ui_ts_first[w] = ts;
					if (ts > s->ui_ts_last[w])
						s->ui_ts_last[w] = ts;
					if (has_event)
						s->ui_types[w] |= 1u << t;
					wsum += tw[t];
					if (has_value)
						vsum += rva[e];
					if (utc)
						utc[t]++;
				}
				if (n > 0) {
					s->ui.values[w] = (float)wsum;
					s->ui_value[w] = (float)vsum;
				}
				/* log order: by (ts, arrival); the row is in
				 * arrival order already */
				if (!has_ts || n < 2)
					continue;
				if (packed) {
					for (int64_t j = 0; j < n; j++)
						lk[j] = ((uint64_t)rts[j] - (uint64_t)lo) << 32 |
						        (uint64_t)j;
					sort_row(lk, n, tmpcol);
#define P(x) ((int64_t)(uint32_t)lk[x])
					LOG_ROW(P);
#undef P
				} else {
					for (int64_t j = 0; j < n; j++) {
						ref[j].ts = rts[j];
						ref[j].e = (uint32_t)j;
					}
					qsort(ref, (size_t)n, sizeof *ref, log_ref_cmp);
#define P(x) ((int64_t)ref[x].e)
					LOG_ROW(P);
#undef P
				}
			}
			if (fr.st)
				frontier_done(&fr, b);
		}
	}
	if (fr.st) {
		const int64_t total[KITH_STORE_LANES] = { ne, nnz };
		kith_store_stream_end(fr.st, total);
	}
	/* the item->user indices go into the sort keys' block (8 E >= 4 nnz
	 * bytes, faulted in already) */
	if (!kith_csr_transpose_in(&s->iu, &s->ui, (void **)&keys, error))
		goto out;
	ok = TRUE;
out:
	g_free(fr.done);
	g_free(rp);
	g_free(cnt);
	g_free(hist);
	g_free(keys);
	g_free(scratch);
	return ok;
}

/* ------------------------------------------------------------ uu build */

static gboolean
build_uu(struct ingest_ctx *c, struct kith_store *s, int64_t *unique,
         GError **error)
{
	int64_t n = c->n_so;
	struct kw *kv = kith_alloc_n((size_t)n + 1, sizeof *kv, error);
	if (!kv)
		return FALSE;
	for (int64_t j = 0; j < n; j++) {
		kv[j].key = c->so_key[j];
		kv[j].w = c->so_w[j];
	}
	qsort(kv, (size_t)n, sizeof *kv, kw_cmp);
	int64_t m = 0;
	for (int64_t j = 0; j < n; j++) {
		if (m > 0 && kv[m - 1].key == kv[j].key) {
			if (kv[j].w > kv[m - 1].w)
				kv[m - 1].w = kv[j].w;
			continue;
		}
		kv[m++] = kv[j];
	}
	*unique = m;
	int64_t nnz = c->opt->directed ? m : 2 * m;
	int32_t *rows = kith_alloc_n((size_t)nnz + 1, sizeof(int32_t), error);
	int32_t *cols = kith_alloc_n((size_t)nnz + 1, sizeof(int32_t), error);
	float *vals = kith_alloc_n((size_t)nnz + 1, sizeof(float), error);
	gboolean ok = rows && cols && vals;
	if (ok) {
		int64_t k = 0;
		for (int64_t j = 0; j < m; j++) {
			int32_t a = (int32_t)(kv[j].key >> 32);
			int32_t b = (int32_t)(kv[j].key & 0xffffffffu);
			rows[k] = a;
			cols[k] = b;
			vals[k++] = kv[j].w;
			if (!c->opt->directed) {
				rows[k] = b;
				cols[k] = a;
				vals[k++] = kv[j].w;
			}
		}
		ok = kith_csr_from_coo(&s->uu, s->n_users, s->n_users, nnz, rows,
		                       cols, vals, error);
	}
	g_free(kv);
	g_free(rows);
	g_free(cols);
	g_free(vals);
	return ok;
}

/* ------------------------------------------------------ user attributes */

static gboolean
build_user_attr(struct ingest_ctx *c, struct kith_store *s, GError **error)
{
	GPtrArray *rows = c->ua_rows;
	int ncol = c->ua_ncol;
	int max_levels = c->opt->max_levels > 0 ? c->opt->max_levels : 32;
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	/* per source column: first attr index, numeric?, levels */
	int *first = g_new0(int, ncol);
	gboolean *numeric = g_new0(gboolean, ncol);
	GHashTable **levels = g_new0(GHashTable *, ncol);
	for (int j = 0; j < ncol; j++) {
		first[j] = (int)names->len;
		if (j == c->ua_cid || (c->preset_movielens && j == 4)) {
			first[j] = -1;
			continue;
		}
		gboolean num = TRUE;
		for (guint r = 0; r < rows->len && num; r++) {
			const char *v = ((char **)rows->pdata[r])[j + 1];
			double d;
			if (*v && kith_parse_double(v, strlen(v), &d) != KITH_CSV_OK)
				num = FALSE;
		}
		numeric[j] = num;
		if (num) {
			g_ptr_array_add(names, g_strdup(c->ua_names[j]));
			continue;
		}
		/* one-hot: levels in order of first appearance; past
		 * max_levels - 1 distinct values the rest share "_other" */
		levels[j] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		                                  NULL);
		int nl = 0;
		int distinct = 0;
		GHashTable *all = g_hash_table_new(g_str_hash, g_str_equal);
		for (guint r = 0; r < rows->len; r++) {
			const char *v = ((char **)rows->pdata[r])[j + 1];
			if (*v && !g_hash_table_contains(all, v)) {
				g_hash_table_add(all, (gpointer)v);
				distinct++;
			}
		}
		g_hash_table_destroy(all);
		int own = distinct > max_levels ? max_levels - 1 : distinct;
		for (guint r = 0; r < rows->len; r++) {
			const char *v = ((char **)rows->pdata[r])[j + 1];
			if (!*v || g_hash_table_contains(levels[j], v) || nl >= own)
				continue;
			g_hash_table_insert(levels[j], g_strdup(v),
			                    GINT_TO_POINTER(nl + 1));
			g_ptr_array_add(names, g_strdup_printf("%s=%s",
			                                       c->ua_names[j], v));
			nl++;
		}
		if (distinct > own)
			g_ptr_array_add(names, g_strdup_printf("%s=_other",
			                                       c->ua_names[j]));
	}
	int na = (int)names->len;
	gboolean ok = TRUE;
	s->n_user_attrs = na;
	if (na > 0) {
		size_t cells;
		if (!kith_mul_size((size_t)s->n_users, (size_t)na, &cells)) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
			            "user attribute matrix too large");
			ok = FALSE;
		} else {
			s->user_attr = kith_store_own(s, kith_alloc0_n(cells + 1,
			                              sizeof(float), error));
			ok = s->user_attr != NULL;
		}
	}
	for (guint r = 0; ok && r < rows->len; r++) {
		char **row = rows->pdata[r];
		int64_t u = g_ascii_strtoll(row[0], NULL, 10);
		float *out = s->user_attr + u * na;
		for (int j = 0; j < ncol; j++) {
			const char *v = row[j + 1];
			if (first[j] < 0 || !*v)
				continue;
			if (numeric[j]) {
				double d = 0;
				kith_parse_double(v, strlen(v), &d);
				out[first[j]] = (float)d;
			} else {
				int lv = GPOINTER_TO_INT(g_hash_table_lookup(levels[j],
				                                             v));
				int nlev = (int)g_hash_table_size(levels[j]);
				out[first[j] + (lv ? lv - 1 : nlev)] = 1.0f;
			}
		}
	}
	s->user_attr_names = kith_store_own(s, g_new0(char *, na + 1));
	for (int k = 0; k < na; k++)
		s->user_attr_names[k] = kith_store_intern(s, names->pdata[k]);
	for (int j = 0; j < ncol; j++)
		if (levels[j])
			g_hash_table_destroy(levels[j]);
	g_free(levels);
	g_free(first);
	g_free(numeric);
	g_ptr_array_unref(names);
	return ok;
}

/* Attributes of an update whose store has some: the store's rows, then
 * the batch's users file through the store's columns (by name). */
static gboolean
build_user_attr_base(struct ingest_ctx *c, struct kith_store *s,
                     GError **error)
{
	const struct kith_store *b = c->opt->base;
	int64_t na = b->n_user_attrs;
	size_t cells;
	if (!kith_mul_size((size_t)s->n_users, (size_t)na, &cells)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "user attribute matrix too large");
		return FALSE;
	}
	s->user_attr = kith_store_own(s, kith_alloc0_n(cells + 1, sizeof(float),
	                                               error));
	if (!s->user_attr)
		return FALSE;
	s->n_user_attrs = na;
	memcpy(s->user_attr, b->user_attr,
	       (size_t)b->n_users * (size_t)na * sizeof(float));
	s->user_attr_names = kith_store_own(s, g_new0(char *, na + 1));
	g_autoptr(GHashTable) col = g_hash_table_new(g_str_hash, g_str_equal);
	for (int64_t k = 0; k < na; k++) {
		s->user_attr_names[k] = kith_store_intern(s,
		                                          b->user_attr_names[k]);
		g_hash_table_insert(col, s->user_attr_names[k],
		                    GINT_TO_POINTER((int)k + 1));
	}
	for (guint r = 0; c->ua_rows && r < c->ua_rows->len; r++) {
		char **row = c->ua_rows->pdata[r];
		int64_t u = g_ascii_strtoll(row[0], NULL, 10);
		float *out = s->user_attr + u * na;
		for (int j = 0; j < c->ua_ncol; j++) {
			const char *v = row[j + 1];
			const char *name = c->ua_names[j];
			if (j == c->ua_cid || !*v)
				continue;
			int k = GPOINTER_TO_INT(g_hash_table_lookup(col, name));
			double d;
			if (k > 0) {
				if (kith_parse_double(v, strlen(v), &d) ==
				    KITH_CSV_OK)
					out[k - 1] = (float)d;
				continue;
			}
			g_autofree char *lv = g_strdup_printf("%s=%s", name, v);
			g_autofree char *other = g_strdup_printf("%s=_other", name);
			k = GPOINTER_TO_INT(g_hash_table_lookup(col, lv));
			if (k <= 0)
				k = GPOINTER_TO_INT(g_hash_table_lookup(col, other));
			if (k <= 0)
				continue;
			/* one-hot: clear the column's other levels */
			size_t pl = strlen(name);
			for (int64_t x = 0; x < na; x++)
				if (strncmp(s->user_attr_names[x], name, pl) == 0 &&
				    s->user_attr_names[x][pl] == '=')
					out[x] = 0.0f;
			out[k - 1] = 1.0f;
		}
	}
	return TRUE;
}

static struct kith_ingest_file *
file_of(struct ingest_ctx *c, const char *kind)
{
	for (int i = 0; i < c->res->n_files; i++)
		if (strcmp(c->res->files[i].kind, kind) == 0)
			return &c->res->files[i];
	return NULL;
}

gboolean
ingest_build(struct ingest_ctx *c, GError **error)
{
	struct kith_store *s = kith_store_new();
	c->res->store = s;
	s->n_users = kith_idmap_size(c->users);
	s->n_items = kith_idmap_size(c->items);
	s->n_events = c->n_ev;
	s->n_event_types = kith_idmap_size(c->types);
	s->directed_social = c->opt->directed;

	/* whole-process peak from the counts now known (memest.h) */
	const struct kith_memest_ingest mi = {
		.events = c->n_ev, .social = c->n_so, .users = s->n_users,
		.items = s->n_items,
		.user_rows = c->ua_rows ? (int64_t)c->ua_rows->len : 0,
		.item_rows = c->n_ic, .feature_rows = c->n_uf,
		.event_types = s->n_event_types,
	};
	double mib = (double)kith_memest_ingest(&mi);
	if (c->opt->note) {
		char *msg = g_strdup_printf("building the CSR arrays: %" G_GINT64_FORMAT
		                            " users, %" G_GINT64_FORMAT " items, "
		                            "memory estimate %.1f MiB",
		                            s->n_users, s->n_items,
		                            mib / 1048576.0);
		c->opt->note(c->opt->note_data, msg);
		g_free(msg);
	}
	int64_t pairs = 0;
	if (c->dist_size > 0 ? !ingest_dist_build(c, s, &pairs, error)
	                     : !ingest_build_ui(c, s, error))
		return FALSE;
	struct kith_ingest_file *f = file_of(c, "events");
	if (f) {
		int64_t before = c->opt->base ? c->opt->base->ui.nnz : 0;
		f->unique = s->ui.nnz - before;
		f->merged = (c->n_ev - c->base_ev) - f->unique;
	}
	if (c->dist_size == 0 && !build_uu(c, s, &pairs, error))
		return FALSE;
	if ((f = file_of(c, "social"))) {
		f->unique = pairs - c->base_so;
		f->merged = (c->n_so - c->base_so) - f->unique;
	}
	s->n_categories = kith_idmap_size(c->cats);
	if (!kith_csr_from_coo(&s->item_cat, s->n_items, s->n_categories,
	                       c->n_ic, c->ic_item, c->ic_cat, NULL, error))
		return FALSE;
	s->n_user_feats = kith_idmap_size(c->feats);
	if (!kith_csr_from_coo(&s->uf, s->n_users, s->n_user_feats, c->n_uf,
	                       c->uf_u, c->uf_f, c->uf_v, error))
		return FALSE;
	if ((f = file_of(c, "user_features"))) {
		int64_t before = c->opt->base ? c->opt->base->uf.nnz : 0;
		f->unique = s->uf.nnz - before;
		f->merged = (c->n_uf - before) - f->unique;
	}
	if (c->opt->base && c->opt->base->n_user_attrs > 0) {
		if (!build_user_attr_base(c, s, error))
			return FALSE;
	} else if (c->ua_rows) {
		if (!build_user_attr(c, s, error))
			return FALSE;
	} else {
		s->user_attr_names = kith_store_own(s, g_new0(char *, 1));
	}
	s->user_ids = kith_idmap_give(c->users, s);
	if (c->opt->pseudonym_key) {
		/* one block of n pseudonyms, owned by the store; the raw ids
		 * stay in the map's arena, which nothing writes */
		char *block = kith_alloc_n((size_t)s->n_users + 1, 33, error);
		if (!block)
			return FALSE;
		kith_store_own(s, block);
		for (int64_t u = 0; u < s->n_users; u++) {
			char *p = block + (size_t)u * 33;
			kith_ingest_pseudonym(c->opt->pseudonym_key,
			                      c->opt->pseudonym_key_len,
			                      s->user_ids[u], strlen(s->user_ids[u]),
			                      p);
			s->user_ids[u] = p;
		}
	}
	s->item_ids = kith_idmap_give(c->items, s);
	s->category_names = kith_idmap_give(c->cats, s);
	s->event_type_names = kith_idmap_give(c->types, s);
	s->user_feat_names = kith_idmap_give(c->feats, s);
	if (c->opt->skip_errors) {
		s->rejects_tsv = c->res->rejects->str;
		s->rejects_len = c->res->rejects->len;
	}
	return TRUE;
}

/* ------------------------------------------------------------ summaries */

static int64_t
file_rejected(const struct kith_ingest_file *f)
{
	int64_t n = 0;
	for (int k = 0; k < KITH_CSV_N_REASONS; k++)
		n += f->rejected[k];
	return n;
}

static void
add_counts(JsonBuilder *b, const struct kith_store *s)
{
	kith_json_put_int(b, "users", s->n_users);
	kith_json_put_int(b, "items", s->n_items);
	kith_json_put_int(b, "events", s->n_events);
	kith_json_put_int(b, "interactions", s->ui.nnz);
	kith_json_put_int(b, "social_pairs", s->directed_social ? s->uu.nnz
	                                                       : s->uu.nnz / 2);
	kith_json_put_int(b, "categories", s->n_categories);
	kith_json_put_int(b, "event_types", s->n_event_types);
	kith_json_put_int(b, "user_attrs", s->n_user_attrs);
	kith_json_put_int(b, "user_features", s->n_user_feats);
}

static void
build_summary(JsonBuilder *b, const struct kith_ingest_result *r)
{
	int64_t lines = 0, acc = 0, rej = 0;
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "files");
	json_builder_begin_array(b);
	for (int i = 0; i < r->n_files; i++) {
		const struct kith_ingest_file *f = &r->files[i];
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "kind");
		json_builder_add_string_value(b, f->kind);
		json_builder_set_member_name(b, "path");
		json_builder_add_string_value(b, f->path);
		kith_json_put_int(b, "lines", f->st.lines);
		kith_json_put_int(b, "header", f->st.header);
		kith_json_put_int(b, "comments", f->st.comments);
		kith_json_put_int(b, "blank", f->st.blank);
		kith_json_put_int(b, "accepted", f->accepted);
		kith_json_put_int(b, "rejected", file_rejected(f));
		kith_json_put_int(b, "unique", f->unique);
		kith_json_put_int(b, "merged", f->merged);
		kith_json_put_int(b, "self_loops", f->self_loops);
		kith_json_put_int(b, "physical_lines", f->st.physical_lines);
		kith_json_put_int(b, "bytes", f->st.bytes);
		json_builder_set_member_name(b, "rejected_by_reason");
		json_builder_begin_object(b);
		for (int k = 1; k < KITH_CSV_N_REASONS; k++)
			if (f->rejected[k])
				kith_json_put_int(b, kith_csv_reason_name(k),
				                  f->rejected[k]);
		json_builder_end_object(b);
		json_builder_end_object(b);
		lines += f->st.lines;
		acc += f->accepted;
		rej += file_rejected(f);
	}
	json_builder_end_array(b);
	kith_json_put_int(b, "lines", lines);
	kith_json_put_int(b, "accepted", acc);
	kith_json_put_int(b, "rejected", rej);
	if (r->store)
		add_counts(b, r->store);
	json_builder_set_member_name(b, "unknown_event_types");
	json_builder_begin_array(b);
	for (guint k = 0; r->unknown_types && k < r->unknown_types->len; k++)
		json_builder_add_string_value(b, r->unknown_types->pdata[k]);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "seconds");
	json_builder_add_double_value(b, r->seconds);
	json_builder_end_object(b);
}

JsonNode *
kith_ingest_summary_json(const struct kith_ingest_result *r)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	build_summary(b, r);
	return json_builder_get_root(b);
}

char *
kith_ingest_summary_text(const struct kith_ingest_result *r)
{
	GString *s = g_string_new(NULL);
	for (int i = 0; i < r->n_files; i++) {
		const struct kith_ingest_file *f = &r->files[i];
		g_string_append_printf(s, "%s '%s': %" G_GINT64_FORMAT " lines = %"
		                       G_GINT64_FORMAT " header + %" G_GINT64_FORMAT
		                       " comment/blank + %" G_GINT64_FORMAT
		                       " accepted + %" G_GINT64_FORMAT " rejected\n",
		                       f->kind, f->path, f->st.lines, f->st.header,
		                       f->st.comments + f->st.blank, f->accepted,
		                       file_rejected(f));
		g_string_append_printf(s, "  accepted = %" G_GINT64_FORMAT
		                       " unique + %" G_GINT64_FORMAT " merged",
		                       f->unique, f->merged);
		if (strcmp(f->kind, "social") == 0)
			g_string_append_printf(s, " + %" G_GINT64_FORMAT
			                       " self-loops (dropped)", f->self_loops);
		g_string_append_printf(s, "; columns %s\n",
		                       f->mapping ? f->mapping : "");
		if (file_rejected(f)) {
			g_string_append(s, "  rejected:");
			for (int k = 1; k < KITH_CSV_N_REASONS; k++)
				if (f->rejected[k])
					g_string_append_printf(s, " %s %" G_GINT64_FORMAT,
					                       kith_csv_reason_name(k),
					                       f->rejected[k]);
			g_string_append_c(s, '\n');
		}
	}
	if (r->unknown_types && r->unknown_types->len) {
		g_string_append(s, "event types without a weight (weight 1):");
		for (guint k = 0; k < r->unknown_types->len; k++)
			g_string_append_printf(s, " %s",
			                       (char *)r->unknown_types->pdata[k]);
		g_string_append_c(s, '\n');
	}
	if (r->store) {
		const struct kith_store *st = r->store;
		g_string_append_printf(s, "%" G_GINT64_FORMAT " users, %"
		                       G_GINT64_FORMAT " items, %" G_GINT64_FORMAT
		                       " events, %" G_GINT64_FORMAT " interactions, %"
		                       G_GINT64_FORMAT " social pairs, %"
		                       G_GINT64_FORMAT " categories in %.2f s\n",
		                       st->n_users, st->n_items, st->n_events,
		                       st->ui.nnz,
		                       st->directed_social ? st->uu.nnz
		                                           : st->uu.nnz / 2,
		                       st->n_categories, r->seconds);
	}
	return g_string_free(s, FALSE);
}

void
ingest_extra(struct ingest_ctx *c)
{
	struct kith_ingest_result *r = c->res;
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "sources");
	json_builder_begin_array(b);
	for (int i = 0; i < r->n_files; i++) {
		const struct kith_ingest_file *f = &r->files[i];
		char sep[2] = { f->sep, 0 };
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "kind");
		json_builder_add_string_value(b, f->kind);
		json_builder_set_member_name(b, "path");
		json_builder_add_string_value(b, f->path);
		kith_json_put_int(b, "size",
		                  c->sha[i] ? c->size[i] : f->st.bytes);
		json_builder_set_member_name(b, "sha256");
		if (c->sha[i])
			json_builder_add_string_value(b, c->sha[i]);
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "separator");
		json_builder_add_string_value(b, sep);
		json_builder_set_member_name(b, "header");
		json_builder_add_boolean_value(b, f->header);
		json_builder_set_member_name(b, "columns");
		json_builder_add_string_value(b, f->mapping ? f->mapping : "");
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "column_mapping");
	json_builder_begin_object(b);
	for (int i = 0; i < r->n_files; i++) {
		json_builder_set_member_name(b, r->files[i].kind);
		json_builder_add_string_value(b, r->files[i].mapping
		                              ? r->files[i].mapping : "");
	}
	json_builder_end_object(b);
	json_builder_set_member_name(b, "event_weights");
	json_builder_begin_object(b);
	const struct kith_store *s = r->store;
	for (int64_t t = 0; t < s->n_event_types; t++) {
		json_builder_set_member_name(b, s->event_type_names[t]);
		json_builder_add_double_value(b, c->type_weight[t]);
	}
	json_builder_end_object(b);
	json_builder_set_member_name(b, "pseudonymized");
	json_builder_add_boolean_value(b, c->opt->pseudonym_key != NULL);
	if (c->opt->pseudonym_key) {
		json_builder_set_member_name(b, "pseudonym_algorithm");
		json_builder_add_string_value(b, KITH_PSEUDONYM_ALGORITHM);
	}
	json_builder_set_member_name(b, "ingest");
	build_summary(b, r);
	json_builder_end_object(b);
	JsonNode *root = json_builder_get_root(b);
	r->extra = json_object_ref(json_node_get_object(root));
	json_node_unref(root);
	for (int i = 0; i < 5; i++)
		g_clear_pointer(&c->sha[i], g_free);
}
