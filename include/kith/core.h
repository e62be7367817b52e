/*
 * kith core (layer base): error domain, thread control, deterministic
 * random numbers, overflow-checked sizes, and a progress hook the CLI may
 * install.
 *
 * Library functions never print and never exit: they report failure through
 * a trailing GError ** (domain KITH_ERROR) and a gboolean or pointer return.
 *
 * The layers of libkith, lowest first; a file includes headers of its own
 * layer and of the layers below, never above, and no part includes
 * another part's *-internal.h (tools/check-layers, run by make check):
 *   base       core.h, csr.h, dense.h,      src/base   errors, memory, RNG,
 *              dist.h                                  threads, CSR, dense
 *                                                      products, MPI ranks
 *   io         io.h, csv.h, input.h,        src/io     files only
 *              pipeline.h
 *   graph      store.h, ingest.h, update.h, src/graph  the store and how it
 *              memest.h                                is built
 *   eval       eval.h                       src/eval   top-K, metrics,
 *                                                      split masks
 *   nn         nn.h, models.h, emb.h        src/nn     kernels, models,
 *                                                      embedding folders
 *   analytics  analytics.h, community.h,    src/analytics
 *              profile.h, synth.h
 *   report     report.h                     src/report
 *   cli        (src/cli/cli.h)              src/cli    options and printing
 */
#ifndef KITH_CORE_H
#define KITH_CORE_H

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define KITH_ERROR (kith_error_quark())
GQuark kith_error_quark(void);

/* Error codes of the KITH_ERROR domain.  The CLI maps KITH_ERROR_USAGE to
 * exit status 2 and every other code to exit status 1. */
enum kith_error_code {
	KITH_ERROR_DATA = 1,   /* bad input data (file:line in the message) */
	KITH_ERROR_IO,         /* open/read/write/fsync/rename failed */
	KITH_ERROR_CORRUPT,    /* a store or model file fails its checks */
	KITH_ERROR_NOMEM,      /* allocation failed or size overflow */
	KITH_ERROR_USAGE,      /* invalid option value or combination */
	KITH_ERROR_LIMIT,      /* a user limit (--max-rejects, --max-memory) */
	KITH_ERROR_INTERRUPTED /* SIGINT/SIGTERM */
};

/* Sets the OpenMP thread count and OpenBLAS's to n (n <= 0: all cores).
 * Returns the count in force. */
int kith_set_threads(int n);
/* Stops OpenBLAS's worker threads (pthread build; no-op otherwise)
 * until the next parallel BLAS call starts them again.  Its idle workers
 * spin with sched_yield for about 2^28 cycles after they start and after
 * every call, which on a machine with few cores takes a core from the
 * OpenMP threads: commands call this once their threads are set. */
void kith_blas_release(void);
int kith_get_threads(void);

/* Overflow-checked a*b; FALSE (and *out untouched) on overflow. */
static inline gboolean
kith_mul_size(size_t a, size_t b, size_t *out)
{
	return g_size_checked_mul(out, a, b);
}

/* g_try_malloc of n*size with overflow check; NULL and a KITH_ERROR_NOMEM
 * error on failure. Caller frees with g_free(). */
void *kith_alloc_n(size_t n, size_t size, GError **error);
/* Same, zero-filled; from 1 MiB on placed as kith_alloc_huge_n() places
 * it (on huge pages). */
void *kith_alloc0_n(size_t n, size_t size, GError **error);

/* Asks for transparent huge pages (madvise(MADV_HUGEPAGE)) on the whole
 * 2 MiB pages inside [p, p + bytes), for a big array that is written in
 * full or read at random: 4 KiB pages cost a page fault each on first
 * touch, and a TLB miss on most random reads.  Best effort (nothing when
 * the range holds no whole 2 MiB page or the kernel refuses); call it
 * before the pages are touched. */
#define KITH_HUGE_PAGE ((size_t)2 << 20)
void kith_advise_huge(void *p, size_t bytes);
/* kith_alloc_n() of a big array that is written in full: from 1 MiB on
 * aligned to 2 MiB, rounded up to whole 2 MiB pages and advised huge, so
 * that all of it can be huge pages (an unaligned block keeps up to 4 MiB
 * of 4 KiB pages at its ends, a fault each on first touch).  Not
 * zero-filled.  Caller frees with g_free() (it may g_realloc() it too). */
void *kith_alloc_huge_n(size_t n, size_t size, GError **error);

/* Deterministic RNG: xoshiro256** seeded through splitmix64.  A stream is
 * derived per (seed, stream) so that per-thread streams do not depend on
 * the thread count when work is split by item, not by thread. */
struct kith_rng {
	uint64_t s[4];
};

void kith_rng_seed(struct kith_rng *r, uint64_t seed, uint64_t stream);

static inline uint64_t
kith_rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t
kith_rng_next(struct kith_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = kith_rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = kith_rng_rotl(s[3], 45);
	return result;
}

/* Uniform integer in [0, n), n > 0 (Lemire's multiply-shift, unbiased). */
static inline uint64_t
kith_rng_below(struct kith_rng *r, uint64_t n)
{
	uint64_t x = kith_rng_next(r);
	__uint128_t m = (__uint128_t)x * n;
	uint64_t l = (uint64_t)m;
	if (l < n) {
		uint64_t t = -n % n;
		while (l < t) {
			x = kith_rng_next(r);
			m = (__uint128_t)x * n;
			l = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

/* Uniform double in [0, 1). */
static inline double
kith_rng_uniform(struct kith_rng *r)
{
	return (double)(kith_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Standard normal (Box–Muller, one value per call). */
double kith_rng_normal(struct kith_rng *r);

/* Monotonic wall clock in seconds. */
double kith_now(void);

/* Progress hook.  Library code calls kith_progress(label, done, total) on
 * long steps; it is a no-op unless the CLI installed a callback.  Never
 * call it from inside an OpenMP parallel region. */
typedef void (*kith_progress_fn)(const char *label, double done, double total);
void kith_progress_set(kith_progress_fn fn);
void kith_progress(const char *label, double done, double total);

/* Cooperative interruption: the CLI's SIGINT/SIGTERM handler sets it; long
 * loops poll it between steps. */
void kith_interrupt_request(void);
gboolean kith_interrupted(void);

/* Version string of the library ("0.1.0"). */
const char *kith_version(void);

G_END_DECLS

#endif
