/*
 * Memory estimates (memest.h): peak resident bytes of the whole process
 * for ingest, embed (lightgcn, gcn, sage), profile and communities,
 * computed from counts known before the command allocates.
 *
 * Every estimate is
 *     peak = baseline + Σ_k c_k · size_k
 * where the sizes are the arrays live at the command's peak as the code
 * allocates them (listed at each function) and c_k their bytes per
 * element, plus a constant for fixed-size working buffers (reader
 * threads, OpenBLAS); one calibration factor per command corrects for
 * what the model leaves out (allocator slack, pages of the mapped store
 * that are never touched, transient buffers).  Factors were fitted to the
 * /usr/bin/time peaks of kith synth stores (20k, 100k, 1M users; 20
 * events per user) on Linux x86-64 with glibc malloc, where the model is
 * within ±15 % (tools/bench-scale measures it).  Cost O(1), except
 * kith_memest_count_rows(), which reads at most `sample` bytes.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "kith/core.h"
#include "kith/dist.h"
#include "kith/input.h"
#include "kith/memest.h"
#include "kith/store.h"

#define MiB (1024.0 * 1024.0)

/* RSS of `kith info` / `kith profile` on the bundled 1,000-user shop:
 * 12-14 MiB (binary, glib, igraph, OpenBLAS and OpenMP runtimes). */
#define BASELINE (13.0 * MiB)

/* The resident memory of an MPI process beside kith's (Open MPI's
 * libraries and shared-memory segments): measured 20 MiB for `mpirun
 * kith influence --help`, against 13 MiB for kith alone. */
#define MPI_EXTRA (7.0 * MiB)

uint64_t
kith_memest_baseline(void)
{
	return (uint64_t)BASELINE;
}

static uint64_t
total(double bytes, double factor)
{
	double t = BASELINE + (bytes > 0 ? bytes * factor : 0);
	return t >= 1.8e19 ? UINT64_MAX : (uint64_t)t;
}

int64_t
kith_memest_count_rows(const char *path, int64_t sample, int64_t *size,
                       GError **error)
{
	struct stat st;

	*size = 0;
	/* by name, before any open: a stream cannot be sampled without
	 * taking its bytes, and opening a FIFO and closing it again would
	 * kill its writer (SIGPIPE) */
	if (strcmp(path, "-") == 0)
		return 0;
	if (stat(path, &st) != 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot open '%s': %s", path, g_strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode))
		return 0;
	g_autoptr(kith_input) in = kith_input_open(path, 0, error);
	if (!in)
		return -1;
	if (kith_input_is_stream(in))
		return 0;
	*size = kith_input_file_size(in);
	if (sample < 4096)
		sample = 4096;
	char *buf = g_malloc(sample + 1);
	int64_t got = 0;
	gboolean end = FALSE;
	while (got < sample) {
		ssize_t r = kith_input_read(in, buf + got, (size_t)(sample - got),
		                            NULL);
		if (r <= 0) {
			end = r == 0;
			break;
		}
		got += r;
	}
	int64_t lines = 0;
	int64_t last = -1;
	for (const char *p = buf; (p = memchr(p, '\n', buf + got - p));
	     p++) {
		lines++;
		last = p - buf;
	}
	g_free(buf);
	if (end)
		return lines + (got > 0 && last != got - 1);
	if (lines == 0)
		return 1;
	/* the text's size: the file's, or for compressed or transcoded text
	 * the file's times the ratio of text to file bytes so far */
	double text = (double)*size;
	int64_t used = kith_input_raw_offset(in);
	if (kith_input_map_fd(in, NULL) < 0 && used > 0)
		text = (double)*size * (double)got / (double)used;
	/* mean length of the complete lines of the sample */
	double per = (double)(last + 1) / (double)lines;
	return (int64_t)(text / per + 0.5);
}

/*
 * Ingest (ingest-events.c, ingest-build.c, idmap.c, store write):
 *   rows       events as parallel arrays u, i, type, ts, value (21 B,
 *              grown geometrically) and the sort keys and scratch of the
 *              pair merge (8 + 8 + 32 B), the event log of the store
 *              (21 B) and its CSR (4 + 4 + 8 + 8 + 4 + 4 B per pair);
 *   social     key and weight (12 B), pair sort and both CSR directions
 *              (28 B per row);
 *   users      id map (slots, keys, index: about 40 B), indptr and
 *              counters (24 B), per-type counts (4 B per type), ids in
 *              the store (8 B), attribute rows of the users file (one
 *              string array each: about 64 B + 4 B per one-hot column);
 *   items      id map (40 B) and two CSR index arrays (16 B).
 * The events file is mapped while it is parsed (its pages count once).
 * Summed, these overstate the events (93 B per row) and understate the
 * social rows (40 B): the peak is reached while the social links are
 * symmetrised and sorted, after part of the event buffers is gone.  The
 * coefficients used, 57 B per event and 109 B per social row, solve for
 * the measured peaks of synth shops with 200k and 500k users and
 * predict those with 1M and 5M users (tools/bench-scale) to within 3 %.
 */
uint64_t
kith_memest_ingest(const struct kith_memest_ingest *in)
{
	double ev = (double)MAX(in->events, 0);
	double so = (double)MAX(in->social, 0);
	double nu = (double)MAX(in->users, 0);
	double ni = (double)MAX(in->items, 0);
	double nt = (double)CLAMP(in->event_types, 1, 32);
	/* calibrated on synth shops of 200k to 5M users (tools/bench-scale):
	 * the event arrays are partly released before the social rows are
	 * sorted and symmetrised, which cost more than their own arrays */
	double b = ev * 57 +
	           so * 109 +
	           nu * (40 + 24 + 4 * nt + 8) +
	           (double)MAX(in->user_rows, 0) * 96 +
	           ni * (40 + 16) +
	           (double)MAX(in->item_rows, 0) * 24 +
	           (double)MAX(in->feature_rows, 0) * 24 +
	           /* a part: its mapped pages, and its packed records
	            * (the raw lines and about 8 B each) */
	           (double)MAX(in->part_rows, 0) * 8 +
	           (double)MAX(in->part_bytes, 0) * 2;
	/* + the parallel reader's chunk table and per-thread id maps, the
	 * SHA-256 thread's buffer: about 6 MiB once the events file spans
	 * a few 8 MiB chunks (about 45 B per row when its size is unknown) */
	double fb = in->events_bytes > 0 ? (double)in->events_bytes : 45 * ev;
	return total(b + MIN(6 * MiB, fb / 2) / 0.87, 0.87);
}

/*
 * LightGCN (lightgcn.c, cmd-embed.c), N = users + items, nd = N·dim
 * floats, a = 2·(pairs + social entries when the social weight > 0):
 *   training: E⁰, F, G, T, Adam m and v (6 nd), with validation the
 *   best state (1 nd; +1, its E⁰, without refit);
 *   Â: CSR 8 B per entry + 8 B per node (12 B more per entry of COO
 *   while it is built); batch of B·neg triples (24 B each, B = pairs/16);
 *   the output U, V and the ego copy (2 nd) are written after Â, G, T,
 *   Adam's moments and the triples are freed, so they stay below the
 *   training peak;
 *   spectral start: R̃ and R̃ᵀ (16 B per pair) and Y, Z (N·(dim +
 *   min(dim, 16)) floats), live with E⁰ (the other training arrays are
 *   allocated but not yet touched);
 *   validation split: training and held-out CSR copies and the mask
 *   (19 B per pair), ranking buffers of the validation (about 12 MiB,
 *   at most 2 nd);
 *   mapped store, the pages that opening it checks or training reads:
 *   ui (indptr, indices, weights), iu and uu (indptr, indices), the
 *   event log's users and items (8 B per event), ids (24 B per node);
 *   OpenBLAS's per-thread buffers, touched by the spectral start's
 *   tall-skinny products and kept: about 3/4 of the n·l floats of Y,
 *   at most 50 MiB per thread.
 * Measured peaks (synth shops with 20 events per user, 2 threads, 1
 * epoch, no validation): 200k users 567 MiB, without the spectral start
 * 475 MiB; 500k users 1276 / 1175 MiB; the model gives them within 2 %
 * before rounding.
 */
uint64_t
kith_memest_lightgcn(const struct kith_store *s, int dim, int layers,
                     int neg, int64_t batch, double val_ratio,
                     gboolean refit, gboolean spectral, double social_weight)
{
	double n = (double)s->n_users, m = (double)s->n_items, N = n + m;
	double nnz = (double)s->ui.nnz;
	double nd = N * (double)dim * 4;
	double a = 2 * nnz + (social_weight > 0 ? 2 * (double)s->uu.nnz : 0);
	double B = batch > 0 ? (double)batch : CLAMP(nnz / 16, 1024,
	                                              (double)(1 << 22));
	double store = 16 * n + 8 * m + 12 * nnz + 4 * (double)s->uu.nnz +
	               8 * (double)s->n_log + 24 * N;
	double adj = 8 * a + 8 * N;
	double trip = 24 * B * MAX(neg, 1);
	double val = val_ratio > 0 ?
	    MIN(12 * MiB, 2 * nd) + 19 * nnz + 16 * n : 0;
	double best = val_ratio > 0 ? (refit ? nd : 2 * nd) : 0;
	double train = 6 * nd + best;
	double spec = 0;
	if (spectral) {
		double l = dim + MIN(dim, 16);
		spec = nd + 16 * nnz + 16 * N + N * l * 4;
	}
	double build = 2 * nd + adj + 12 * a;
	double peak = MAX(MAX(train, spec) + adj + trip, build);
	double blas = 0;
	(void)layers;
	if (spectral) {
		double l = dim + MIN(dim, 16);
		blas = MAX(kith_get_threads(), 1) * MIN(50 * MiB, 0.75 * n * l * 4);
	}
	return total(store + val + peak + blas, 1.0);
}

/*
 * Spectral filter (filter.c).  A block is (n + m)·l floats (l = d +
 * oversample): the operator's scratch (n x l and m x l) is one, the
 * SVD's pair of bases another.  They are live together, then the user
 * rows of the output (touched only once the SVD has freed its bases)
 * with the operator's block; the item rows of the validation fit (m·d)
 * start the final fit.  Measured at 1M users / 100k items: 2 blocks
 * plus the item rows.  Below glibc's mmap threshold (blocks under 32
 * MiB) freed blocks stay in the heap and the peak is nearer the sum of
 * every block the run allocates: 4 blocks and the outputs (a 20k-user
 * shop).  Plus the pattern's transpose (4 B per pair) and, with
 * validation, the split (two CSRs with values, 12 B per pair, and a
 * transpose).  The low-pass term (width k = lowpass_dim, 0: none) holds
 * two m x k arrays and 64·k·l doubles of sums; choosing its weight on
 * validation (two candidates) keeps one more m x d of item rows.
 */
/* The filter's peak, base (the store's pages) and the run's on nl of the
 * n users holding e of the pairs (one process: all of them), plus
 * `gathered` bytes held at the end (rank 0: the gathered user rows). */
static double
filter_bytes(const struct kith_store *s, double base, double nl, double e,
             double gathered, int dim, int oversample, double val_ratio,
             int lowpass_dim, gboolean lowpass_auto)
{
	double n = (double)s->n_users, m = (double)s->n_items, N = n + m;
	double nnz = (double)s->ui.nnz, Nl = nl + m;
	double d = MIN((double)dim, MIN(n, m));
	double l = MIN(d + MAX(oversample, 0), MIN(n, m));
	double k = MIN((double)MAX(lowpass_dim, 0), MIN(n, m));
	double block = Nl * l * 4;
	double items = m * d * 4 *
	    (val_ratio > 0 ? (lowpass_auto && k > 0 ? 3 : 2) : 1) +
	    (k > 0 ? 2 * m * k * 4 + 64 * k * MAX(l, d) * 8 + 4 * nl : 0);
	double end = Nl * d * 4 + gathered;
	double peak = block < 32 * MiB ?
	    MAX(4 * block + items, 2 * block + end + items) :
	    MAX(2 * block + items, block + end + items);
	/* the pattern's transpose; the validation split is made whole */
	double csr = 4 * e + 16 * Nl + (val_ratio > 0 ? 16 * nnz + 16 * N : 0);
	return base + peak + csr;
}

uint64_t
kith_memest_filter(const struct kith_store *s, int dim, int oversample,
                   double val_ratio, int lowpass_dim, gboolean lowpass_auto)
{
	double n = (double)s->n_users, m = (double)s->n_items, N = n + m;
	double nnz = (double)s->ui.nnz;
	double store = 16 * n + 8 * m + 12 * nnz + 4 * (double)s->uu.nnz +
	               8 * (double)s->n_log + 24 * N;
	return total(filter_bytes(s, store, n, nnz, 0, dim, oversample,
	                          val_ratio, lowpass_dim, lowpass_auto), 1.0);
}

/*
 * GCN (gcn.c, features.c) over the n users, on `ranks` ranks (1: one
 * process) holding nl users (the partition of uu's row lengths) and e of
 * its entries each.  Whole on every rank: the pages of the social graph
 * read (4 B an entry) and of the arrays the features' fit streams over
 * (32 B a user, 8 B a user and event type, 4 B a pair of the counts);
 * under mpirun a rank hands them back once its rows of X and of Â are
 * built, so they meet those rows and not the training arrays (the peak
 * is the larger of the two phases).
 * The rank's share: its rows of the feature matrix as they are built
 * (its f dense columns, attributes, statistics and category shares, and
 * the sparse feature file's entries: 16 B an entry with the build's
 * scratch), 10 arrays of activations, masks and gradients of max(h, d)
 * floats a row, its rows of X with their transpose, masks and values (24
 * B an entry of the kept block: the sparse file's if any, else the dense
 * columns), the training graph, Â and the epoch's pairs (20 B an entry,
 * one negative), 24 B a row of row pointers, and one workspace of a
 * product's input with its halo rows (at most min(e, n - nl) for Â, all
 * n - nl for the negatives on a large graph); OpenBLAS's buffers.  Rank
 * 0's gather of the output (n·w floats) comes once the training arrays
 * are freed and stays below the peak.  Measured against peak RSS on
 * 20k- and 200k-user shops and Cora, 1 to 4 ranks: 0.89 to 1.00 of the
 * peak before the margin of 5 %.
 */
static uint64_t
gcn_rank_bytes(const struct kith_store *s, int hidden, int dim, int ranks,
               gboolean mpi, int64_t rows, int64_t entries, int64_t halo)
{
	double n = (double)s->n_users, nl = (double)rows, e = (double)entries;
	double fd = (double)(s->n_user_attrs + 4 + s->n_event_types +
	                     s->n_categories);
	double w = (double)MAX(hidden, dim);
	double kept = s->n_user_feats > 0 ? (double)s->uf.nnz : n * fd;
	double fit = 4 * (double)s->ui.nnz + 8 * (double)s->n_event_types * n;
	double whole = 4 * (double)s->uu.nnz + 32 * n + fit;
	double ws = ranks > 1 ? MAX((double)halo, n - nl) : 0;
	double share = 40 * w * nl + 24 * kept * nl / MAX(n, 1) + 20 * e +
	               24 * nl + ws * (w * 4 + 16) +
	               16 * (nl * fd + (double)s->uf.nnz * nl / MAX(n, 1));
	double blas = MIN(9 * MiB, 2 * nl * w * 4);
	if (!mpi)
		return total(whole + share + blas, 1.05);
	/* a rank hands the pages back once its rows of X and Â are built:
	 * they meet those rows, not the training arrays */
	double built = 24 * kept * nl / MAX(n, 1) + 20 * e + 24 * nl +
	              16 * (nl * fd + (double)s->uf.nnz * nl / MAX(n, 1));
	return total(MPI_EXTRA + MAX(whole + built, share + blas), 1.05);
}

uint64_t
kith_memest_gcn(const struct kith_store *s, int hidden, int dim)
{
	return gcn_rank_bytes(s, hidden, dim, 1, FALSE, s->n_users, s->uu.nnz,
	                      0);
}

void
kith_memest_gcn_ranks(struct kith_memest_rank *out,
                      const struct kith_store *s, int hidden, int dim,
                      int ranks)
{
	g_autofree int64_t *b = g_new(int64_t, ranks + 1);

	kith_dist_partition(b, s->uu.indptr, s->n_users, ranks);
	for (int q = 0; q < ranks; q++) {
		struct kith_memest_rank *r = &out[q];
		r->rows = b[q + 1] - b[q];
		r->entries = s->uu.indptr[b[q + 1]] - s->uu.indptr[b[q]];
		r->halo = ranks > 1 ? MIN(r->entries, s->n_users - r->rows) : 0;
		r->bytes = gcn_rank_bytes(s, hidden, dim, ranks, TRUE, r->rows,
		                          r->entries, r->halo);
	}
}

/*
 * GraphSAGE (sage.c, features.c) over N = users + items, on `ranks` ranks
 * (1: one process) holding nl nodes (the partition of the joint graph by
 * kith_sage_row_weight()) and e of its entries each.  Whole on every
 * rank: the joint graph (4 B an entry, 8 B a node) and the store's pages
 * it is built from and the features' fit streams over (4 B a pair each
 * way and 4 B of its count, 4 B a link, 32 B a user, 8 B a user and
 * event type); under mpirun a rank hands the pages back once its rows
 * of the graph and of X are built (the peak is the larger of the two
 * phases).  The rank's share: its rows of the
 * feature matrix as they are built (16 B a column and an entry of the
 * sparse file), 11 arrays of activations and
 * gradients of d floats a node (pool: 4 more), 5 of the id embeddings
 * with their optimiser and kept copy (when the features are fewer than
 * KITH_SAGE_ID_EMB_BELOW columns), its rows of X with their transpose,
 * masks and values (20 B an entry), the training graph, its full
 * neighbourhoods and the epoch's link pairs (20 B an entry), the two
 * sampled hops with their transposes (16 B an entry: min(degree,
 * fanout) a node), and one workspace of the owned rows with the largest
 * halo (at most all other nodes: the negatives are uniform); rank 0
 * holds the output (N·d floats) from the start.  Measured against peak
 * RSS on a 200k-user shop (1, 2, 4 ranks), LastFM and a 20k-user shop:
 * see kith_memest_sage_ranks().
 */
static uint64_t
sage_rank_bytes(const struct kith_store *s, int dim, int f1, int f2,
                gboolean pool, int ranks, gboolean mpi, int64_t rows,
                int64_t entries, int64_t halo, gboolean lead)
{
	double n = (double)s->n_users, m = (double)s->n_items, N = n + m;
	double nl = (double)rows, e = (double)entries, d = (double)dim;
	double fd = (double)(s->n_user_attrs + 4 + s->n_event_types +
	                     s->n_categories);
	double eg = 2 * (double)s->ui.nnz + (double)s->uu.nnz;
	double deg = N > 0 ? eg / N : 0;
	gboolean id = fd + (double)s->n_user_feats < KITH_SAGE_ID_EMB_BELOW;
	double fit = 4 * (double)s->ui.nnz + 8 * (double)s->n_event_types * n;
	double whole = 8 * N + 4 * (double)s->uu.nnz + 32 * n + fit;
	double arrays = (11 + (pool ? 4 : 0) + (id ? 5 : 0)) * d * 4;
	double hops = MIN(deg, (double)f1) + MIN(deg, (double)f2);
	double xe = s->n_user_feats > 0 ? (double)s->uf.nnz / MAX(n, 1) : fd;
	double ws = nl + (ranks > 1 ? MAX((double)halo, N - nl) : 0);
	double share = nl * (arrays + 20 * xe + 16 * hops + 32 + 16 * fd) +
	               16 * (double)s->uf.nnz * nl / MAX(n, 1) + 28 * e +
	               ws * d * 4 + (lead ? N * d * 4 : 0);
	double blas = MIN(9 * MiB, 2 * nl * d * 4);
	if (!mpi)
		return total(whole + share + blas, 1.0);
	/* a rank hands the pages back once its rows of the graph and of X
	 * are built: they meet those rows, not the training arrays */
	double built = nl * (20 * xe + 16 * fd) + 28 * e +
	              16 * (double)s->uf.nnz * nl / MAX(n, 1);
	return total(MPI_EXTRA + MAX(whole + built, share + blas), 1.0);
}

/* Row r's entries of the joint graph of s (users, then items). */
static int64_t
sage_row_entries(const struct kith_store *s, int64_t r)
{
	int64_t n = s->n_users;

	if (r >= n)
		return s->iu.indptr[r - n + 1] - s->iu.indptr[r - n];
	return s->ui.indptr[r + 1] - s->ui.indptr[r] +
	       (s->uu.indptr ? s->uu.indptr[r + 1] - s->uu.indptr[r] : 0);
}

void
kith_sage_partition(int64_t *bounds, const int64_t *indptr, int64_t N, int d,
                    int ranks)
{
	if (ranks == 1) {
		bounds[0] = 0;
		bounds[1] = N;
		return;
	}
	/* by bytes and work, not by entries: kith_sage_row_weight() */
	g_autofree int64_t *ip = g_new(int64_t, N + 1);
	ip[0] = 0;
	for (int64_t i = 0; i < N; i++)
		ip[i + 1] = ip[i] + kith_sage_row_weight(indptr[i + 1] -
		                                         indptr[i], d);
	kith_dist_partition(bounds, ip, N, ranks);
}

void
kith_sage_bounds_store(int64_t *bounds, const struct kith_store *s, int d,
                       int ranks)
{
	int64_t N = s->n_users + s->n_items;
	/* the stored degrees (a directed graph's in-links aside) */
	g_autofree int64_t *len = g_new(int64_t, N + 1);

	len[0] = 0;
	for (int64_t r = 0; r < N; r++)
		len[r + 1] = len[r] + sage_row_entries(s, r);
	kith_sage_partition(bounds, len, N, d, ranks);
}

uint64_t
kith_memest_sage(const struct kith_store *s, int dim, int f1, int f2,
                 gboolean pool)
{
	int64_t N = s->n_users + s->n_items;

	return sage_rank_bytes(s, dim, f1, f2, pool, 1, FALSE, N,
	                       2 * s->ui.nnz + s->uu.nnz, 0, TRUE);
}

void
kith_memest_sage_ranks(struct kith_memest_rank *out,
                       const struct kith_store *s, int dim, int f1, int f2,
                       gboolean pool, int ranks)
{
	int64_t N = s->n_users + s->n_items;
	g_autofree int64_t *b = g_new(int64_t, ranks + 1);
	g_autofree int64_t *len = NULL;

	/* the run's partition; its entries (a directed graph's in-links
	 * aside) */
	len = g_new(int64_t, N + 1);
	len[0] = 0;
	for (int64_t r = 0; r < N; r++)
		len[r + 1] = len[r] + sage_row_entries(s, r);
	kith_sage_partition(b, len, N, dim, ranks);
	for (int q = 0; q < ranks; q++) {
		struct kith_memest_rank *r = &out[q];
		r->rows = b[q + 1] - b[q];
		r->entries = len[b[q + 1]] - len[b[q]];
		r->halo = ranks > 1 ? N - r->rows : 0;
		r->bytes = sage_rank_bytes(s, dim, f1, f2, pool, ranks, TRUE,
		                           r->rows, r->entries, r->halo, q == 0);
	}
}

/*
 * Profile (profile.c): the mapped store it reads (event log 21 B per
 * event, ui arrays 36 B per pair, uu indptr), the per-pair order (8 B),
 * per-user features (about 24 doubles), category preferences (c floats
 * plus c·t doubles of accumulators per thread row), RFM, top
 * categories, first/last times (about 40 B), the sort of the RFM keys
 * (16 B) and the output matrix written (24 floats).
 */
uint64_t
kith_memest_profile(const struct kith_store *s)
{
	double n = (double)s->n_users;
	double c = (double)MAX(s->n_categories, 1);
	double t = (double)MAX(s->n_event_types, 1);
	double b = (double)s->n_log * 21 + (double)s->ui.nnz * (36 + 8) +
	           8 * n + n * (24 * 8 + c * 4 + t * 8 + 40 + 16 + 24 * 4 +
	                        c * 4);
	return total(b, 0.72);
}

/*
 * Communities (communities.c): the undirected user graph as a CSR (12 B
 * per entry), igraph's graph (from/to plus the four index vectors:
 * 8 B each, about 32 B per edge = 16 B per entry, with the edge list
 * built for it, 16 B per edge) and weights (8 B per edge, twice with the
 * reweighted copy), the diffusion vectors of the denoising step (2·16
 * floats per user), Leiden's membership, strengths and work vectors
 * (about 64 B per user) and the summary's per-community item counters;
 * the mapped store (ids, ui for the summary: 8 B per pair).
 */
uint64_t
kith_memest_communities(const struct kith_store *s, int64_t edges)
{
	double n = (double)s->n_users;
	double e = (double)MAX(edges, 0);
	double b = e * 12 + (e / 2) * (32 + 16 + 16) + n * (2 * 16 * 4 + 64) +
	           (double)s->ui.nnz * 8 + 24 * n;
	return total(b, 1.7);
}

/* The rows and entries of each rank (see memest.h). */
static void
rank_shares(struct kith_memest_rank *out, const int64_t *indptr, int64_t n,
            int64_t entries, int ranks)
{
	g_autofree int64_t *b = g_new(int64_t, ranks + 1);

	if (indptr)
		kith_dist_partition(b, indptr, n, ranks);
	for (int q = 0; q < ranks; q++) {
		struct kith_memest_rank *r = &out[q];
		if (indptr) {
			r->rows = b[q + 1] - b[q];
			r->entries = indptr[b[q + 1]] - indptr[b[q]];
		} else {
			r->rows = n / ranks + (q < n % ranks);
			r->entries = entries / ranks + (q < entries % ranks);
		}
		r->halo = ranks > 1 ? MIN(n - r->rows, r->entries) : 0;
	}
}

/* The ids kith_store_open() reads (store.c; 26 B an id measured: text,
 * pointer and chunk); under mpirun only rank 0 reads them
 * (kith_store_open_no_ids() elsewhere). */
static double
store_names_bytes(const struct kith_store *s)
{
	return 26 * ((double)s->n_users + (double)s->n_items);
}

/* The pages kith_store_open()'s checks touch (the row pointers and
 * column indices of every CSR, the user and item columns of the event
 * log) go back under mpirun every KITH_STORE_RELEASE_BLOCK rows or
 * entries: while it checks, at most a block of them is resident (12 B a
 * row or entry, 9 B an event).  A transient peak, before the rank's
 * share is allocated. */
static double
store_open_block(const struct kith_store *s)
{
	double n = (double)s->n_users, m = (double)s->n_items;
	double csr = 8 * (2 * n + 2 * m) +
	             4 * (2 * (double)s->ui.nnz + (double)s->uu.nnz +
	                  (double)s->item_cat.nnz + (double)s->uf.nnz);

	return MIN(MAX(csr, 9 * (double)s->n_log),
	           12.0 * (double)KITH_STORE_RELEASE_BLOCK);
}


/* A rank's share, or, when every rank builds the graph of `entries`
 * entries whole (entries > 0), the larger of the build (`build` bytes
 * an entry: the graph and its temporaries; measured 33 B for the
 * co-interaction graph of kith influence, 26 B for kith propagate's,
 * whose item cap is lower) and the share, beside the whole graph (12 B
 * an entry) when it is kept (PageRank keeps it; propagate frees it once
 * its rows are cut). */
static double
whole_graph(double share, int64_t entries, double build, gboolean kept)
{
	double e = (double)entries;

	if (entries <= 0)
		return share;
	return MAX(build * e, (kept ? 12 * e : 0) + share);
}

/* Rank 0 writes influence.tsv, then its columns, once the iteration's
 * arrays are freed: measured 20.5 MiB above the ids at 200k users, 110 B
 * a user. */
#define PAGERANK_WRITER_PER_USER 110.0

void
kith_memest_pagerank_ranks(struct kith_memest_rank *out,
                           const struct kith_store *s, const int64_t *indptr,
                           int64_t entries, gboolean directed,
                           gboolean ids_everywhere, int ranks)
{
	double n = (double)s->n_users;

	rank_shares(out, indptr, s->n_users, entries, ranks);
	for (int q = 0; q < ranks; q++) {
		struct kith_memest_rank *r = &out[q];
		double nl = (double)r->rows, e = (double)r->entries;
		double h = (double)r->halo;
		/* the in-rows, their columns renumbered in place (the
		 * store's pages of them go back as they are copied, a block
		 * at a time), the bitmap of the halo, o, x, y, r, then z
		 * with the halo, the send buffer and the lists */
		double share = 8 * e + 8 * nl + n / 8
		             + (directed ? 24 * e : 0)   /* transposition */
		             + 4 * 8 * nl + 8 * (nl + h)
		             + 8 * h + 2 * 4 * h;
		double peak = MAX(store_open_block(s),
		                  whole_graph(share, indptr ? 0 : entries, 32,
		                              TRUE));
		if (q == 0)
			peak = MAX(peak, PAGERANK_WRITER_PER_USER * n);
		r->bytes = total(MPI_EXTRA + peak +
		                 (q == 0 || ids_everywhere ? store_names_bytes(s)
		                                           : 0), 1.0);
	}
}

void
kith_memest_propagate_ranks(struct kith_memest_rank *out,
                            const struct kith_store *s, const int64_t *indptr,
                            int64_t entries, int64_t categories, int ranks)
{
	double n = (double)s->n_users, c = (double)MAX(categories, 1);

	rank_shares(out, indptr, s->n_users, entries, ranks);
	for (int q = 0; q < ranks; q++) {
		struct kith_memest_rank *r = &out[q];
		double nl = (double)r->rows, e = (double)r->entries;
		double h = (double)r->halo;
		double own = n > 0 ? nl / n : 0;
		/* its rows of the graph (renumbered in place), the own
		 * preferences and evidence of its users, with the row
		 * pointers of their events */
		double base = 8 * e + 8 * nl + (4 * c + 8) * nl;
		/* the preferences read its users' events (17 B each: user,
		 * item, time, type; the pages go back afterwards) or pairs
		 * (28 B) */
		double prefs = (s->n_log > 0 ? 17 * (double)s->n_log
		                             : 28 * (double)s->ui.nnz) * own +
		               8 * nl;
		/* X with the halo, Y, B, a, the send buffer and the lists,
		 * the outputs of its rows */
		double iter = 4 * (c + 1) * (nl + h) + 8 * (c + 1) * nl + 4 * nl
		            + 4 * (c + 1) * h + 8 * h + (4 * c + 20) * nl;
		/* rank 0 gathers the outputs of all users */
		double gather = q == 0 ? (4 * c + 20) * (n + nl) : 0;
		double share = base + MAX(MAX(prefs, iter), gather);
		/* a graph built whole reads the pairs (ui and iu: 16 B a
		 * pair) and keeps their pages, beside the preferences'
		 * events: measured 33 B a pair on the 100k-user shop */
		double pages = indptr ? 0 : 16 * (double)s->ui.nnz +
		                            10 * (double)s->n_log;
		r->bytes = total(MPI_EXTRA + pages +
		                 (q == 0 ? store_names_bytes(s) : 0) +
		                 MAX(store_open_block(s),
		                     whole_graph(share, indptr ? 0 : entries, 26,
		                                 FALSE)), 1.0);
	}
}

/* The row pointers (N + 1) of LightGCN's Â, users then items, as the
 * run partitions them (kith_csr_bipartite_rows()). */
static int64_t *
lightgcn_indptr(const struct kith_store *s, double social_weight)
{
	int64_t N = s->n_users + s->n_items;
	int64_t *ip = g_new0(int64_t, N + 1);

	kith_csr_bipartite_rows(ip + 1, NULL, &s->ui,
	                        s->uu.nnz ? &s->uu : NULL, social_weight);
	for (int64_t r = 0; r < N; r++)
		ip[r + 1] += ip[r];
	return ip;
}

/*
 * LightGCN over the ranks (lightgcn.c, "over the ranks of an MPI job"):
 * with nl = the rank's rows, e = its entries of Â, h = its halo, ndl =
 * nl·d floats, every rank holds
 *   its rows of Â (8 B an entry and a row; twice, with the row lengths
 *   and degrees of all N rows, 16 B each, while they are built);
 *   E⁰, T, Adam m and v (4 ndl), F and G with room for the batch's
 *   halo rows (hb: the remote items of its users' triples), W with
 *   room for the halo ((nl + h) d floats), the best state (1 ndl; 2
 *   without refit), the rows it sends to a peer, packed 32 MiB at a
 *   time (dist.c);
 *   the triples of its users' draws (24 B·B·neg·nu/n: every rank draws
 *   the whole batch and keeps its users');
 *   the spectral start beside its E⁰: its users' rows and the items'
 *   (nu + m rows: U and V, d floats each, Y and Z, l floats each, the
 *   row pointers of R̃ and R̃ᵀ) and its users' pairs (eu: R̃ and R̃ᵀ, 16
 *   B each), as one process on one rank;
 *   with validation the split (as one process) and the item rows every
 *   rank gathers (m·d floats);
 * rank 0 also gathers the output: users, items and the ego rows (2 N·d
 * floats) after the training buffers but E⁰ and F (with its halo rows)
 * and the best state are gone (lightgcn.c, dist_finish()).
 */
void
kith_memest_lightgcn_ranks(struct kith_memest_rank *out,
                           const struct kith_store *s, int dim, int neg,
                           int64_t batch, double val_ratio, gboolean refit,
                           gboolean spectral, double social_weight,
                           int ranks)
{
	double n = (double)s->n_users, m = (double)s->n_items, N = n + m;
	double nnz = (double)s->ui.nnz, d = dim;
	double nd = N * d * 4;
	double B = batch > 0 ? (double)batch : CLAMP(nnz / 16, 1024,
	                                              (double)(1 << 22));
	double store = 16 * n + 8 * m + 12 * nnz + 4 * (double)s->uu.nnz +
	               8 * (double)s->n_log + 24 * N;
	/* the triples of its users' draws (the others are drawn and
	 * written over) */
	double trip_all = 24 * B * MAX(neg, 1);
	double val = val_ratio > 0 ? 19 * nnz + 16 * n + 4 * m * d : 0;
	/* the score block of the distributed validation (lightgcn.c,
	 * DIST_TOPK_FLOATS: 2 Mi floats a thread) */
	double topk = MIN(1024, MAX(1, (double)(2 << 20) / (m + d)));
	int64_t lo = 0;
	double spec = 0, blas = 0;
	g_autofree int64_t *ip = lightgcn_indptr(s, social_weight);

	double l = dim + MIN(dim, 16);
	{
		/* the run's partition (lightgcn.c, dist_rows()): by the
		 * rows' weights, kith_lightgcn_row_weight() */
		int64_t rN = s->n_users + s->n_items;
		g_autofree int64_t *wp = g_new(int64_t, rN + 1);
		g_autofree int64_t *b = g_new(int64_t, ranks + 1);
		wp[0] = 0;
		for (int64_t x = 0; x < rN; x++)
			wp[x + 1] = wp[x] + kith_lightgcn_row_weight(
			                ip[x + 1] - ip[x], dim);
		kith_dist_partition(b, wp, rN, ranks);
		for (int q = 0; q < ranks; q++) {
			out[q].rows = b[q + 1] - b[q];
			out[q].entries = ip[b[q + 1]] - ip[b[q]];
			/* user rows touch items (and users with social
			 * links), item rows users */
			int64_t us = MIN(b[q + 1], s->n_users) -
			             MIN(b[q], s->n_users);
			int64_t is = out[q].rows - us;
			int64_t hb = (us > 0 ? s->n_items - is : 0) +
			             (is > 0 || (s->uu.nnz && social_weight > 0) ?
			              s->n_users - us : 0);
			out[q].halo = ranks > 1 ? MIN(hb, out[q].entries) : 0;
		}
	}
	for (int q = 0; q < ranks; q++) {
		struct kith_memest_rank *r = &out[q];
		double nl = (double)r->rows, e = (double)r->entries;
		double h = (double)r->halo;
		int64_t u0 = MIN(lo, s->n_users);
		int64_t u1 = MIN(lo + r->rows, s->n_users);
		double nu = (double)(u1 - u0);
		double eu = (double)(s->ui.indptr[u1] - s->ui.indptr[u0]);
		if (spectral) {
			spec = (nu + m) * (4 * d + 4 * l + 16) + 16 * eu;
			blas = MAX(kith_get_threads(), 1) *
			       MIN(50 * MiB, 0.75 * nu * l * 4);
		}
		double ndl = nl * d * 4;
		double adj = 8 * e + 8 * nl + 16 * h;
		double best = val_ratio > 0 ? (refit ? ndl : 2 * ndl) : 0;
		/* the batch's halo: the remote items of its users' triples */
		double own_items = (double)(MAX(lo + r->rows, s->n_users) -
		                            MAX(lo, s->n_users));
		double hb = MIN(m - own_items, (1 + MAX(neg, 1)) * B *
		                               nu / MAX(n, 1));
		/* the rows the other ranks need from it, packed for each
		 * exchange (dist.c, kith_halo_exchange()) */
		double send = ranks > 1 ? MIN(MIN(nl, e) * d * 4,
		                              32 * MiB) : 0;
		double train = 4 * ndl + 2 * (nl + hb) * d * 4 +
		               (nl + h) * d * 4 + send + best;
		double build = 2 * adj + 16 * N;
		double trip = trip_all * nu / MAX(n, 1);
		/* rank 0's gather: E⁰ and F (with the batch's halo rows) are
		 * still live, the rest of the training buffers gone */
		double gather = q == 0 ? ndl + (nl + hb) * d * 4 + best + 2 * nd
		                       : 0;
		double peak = MAX(MAX(MAX(train, spec + ndl) + adj + trip,
		                      build), gather);
		/* the ranking of its users (topk.c): per thread a block of
		 * B users x (m + d + 20) floats, B = min(1024, 2 Mi / (m +
		 * d)), on the threads set_threads() leaves, and the items'
		 * columns (m·d floats) */
		double users = (double)CLAMP(s->n_users - lo, 0, r->rows);
		double th = MIN(MAX(1.0, floor((e + nl) * d / (1 << 23))),
		                (double)MAX(kith_get_threads(), 1));
		double eval = 0;
		if (val_ratio > 0 && users > 0)
			eval = MIN(th, ceil(users / topk)) * MIN(topk, users) *
			       (m + d + 20) * 4 + 4 * m * d;
		lo += r->rows;
		r->bytes = total(MPI_EXTRA + store + val + eval + peak + blas,
		                 1.0);
	}
}

/*
 * The filter over the ranks (filter.c): a rank holds its users' rows of
 * the pattern and of every user-side block (nl x l) and the item-side
 * blocks whole (m x l), so its share is kith_memest_filter()'s with nl
 * users for n, e of its pairs for the transpose; the store pages and the
 * validation split (made whole on every rank) as one process; rank 0
 * also gathers the user rows (n·d floats).
 */
void
kith_memest_filter_ranks(struct kith_memest_rank *out,
                         const struct kith_store *s, int dim, int oversample,
                         double val_ratio, int lowpass_dim,
                         gboolean lowpass_auto, int ranks)
{
	double n = (double)s->n_users, m = (double)s->n_items, N = n + m;
	double nnz = (double)s->ui.nnz;
	double d = MIN((double)dim, MIN(n, m));
	double store = 16 * n + 8 * m + 12 * nnz + 4 * (double)s->uu.nnz +
	               8 * (double)s->n_log + 24 * N;

	rank_shares(out, s->ui.indptr, s->n_users, 0, ranks);
	for (int q = 0; q < ranks; q++) {
		struct kith_memest_rank *r = &out[q];
		r->halo = 0;
		r->bytes = total(filter_bytes(s, MPI_EXTRA + store,
		                              (double)r->rows,
		                              (double)r->entries,
		                              q == 0 && ranks > 1 ? n * d * 4
		                                                  : 0,
		                              dim, oversample, val_ratio,
		                              lowpass_dim, lowpass_auto), 1.0);
	}
}

int
kith_memest_rank_max(const struct kith_memest_rank *r, int ranks)
{
	int best = 0;

	for (int q = 1; q < ranks; q++)
		if (r[q].bytes > r[best].bytes)
			best = q;
	return best;
}

gboolean
kith_memest_gate(uint64_t bytes, uint64_t limit, const char *what,
                 void (*note)(void *data, const char *msg), void *note_data,
                 GError **error)
{
	g_autofree char *sz = g_format_size_full(bytes, G_FORMAT_SIZE_IEC_UNITS);

	if (note) {
		g_autofree char *msg = g_strdup_printf("memory estimate %s for %s",
		                                       sz, what);
		note(note_data, msg);
	}
	if (limit > 0 && bytes > limit) {
		g_autofree char *lim = g_format_size_full(limit,
		                                          G_FORMAT_SIZE_IEC_UNITS);
		g_set_error(error, KITH_ERROR, KITH_ERROR_LIMIT, "%s needs an "
		            "estimated %s, more than --max-memory %s: refused "
		            "before allocating", what, sz, lim);
		return FALSE;
	}
	return TRUE;
}
