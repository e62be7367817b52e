/*
 * Core services: error domain, threads, RNG seeding, clocks, progress and
 * interruption hooks.
 */
#include "config.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "kith/core.h"

/* OpenBLAS's own prototype; cblas.h of some builds lacks it. */
void openblas_set_num_threads(int num_threads);
/* The pthread build's thread server: shutdown is what it does before a
 * fork (the next parallel call starts it again), init starts it.  Weak:
 * other BLAS builds do not have them. */
int blas_thread_shutdown_(void) __attribute__((weak));
int blas_thread_init(void) __attribute__((weak));

static int blas_released;

G_DEFINE_QUARK(kith-error-quark, kith_error)

static int kith_threads;

int
kith_set_threads(int n)
{
	if (n <= 0)
		n = omp_get_num_procs();
	if (n < 1)
		n = 1;
	omp_set_num_threads(n);
	/* resized only while its server runs (it would start workers twice
	 * otherwise) */
	if (blas_released && blas_thread_init)
		blas_thread_init();
	openblas_set_num_threads(n);
	kith_threads = n;
	return n;
}

void
kith_blas_release(void)
{
	if (blas_thread_shutdown_) {
		blas_thread_shutdown_();
		blas_released = 1;
	}
}

int
kith_get_threads(void)
{
	if (kith_threads == 0)
		return omp_get_max_threads();
	return kith_threads;
}

/* kith_alloc_n() and, with zero, kith_alloc0_n(). */
static void *
alloc_checked(size_t n, size_t size, gboolean zero, GError **error)
{
	size_t total;
	void *p;

	if (!g_size_checked_mul(&total, n, size)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "size overflow allocating %zu x %zu bytes", n, size);
		return NULL;
	}
	if (zero && total >= KITH_HUGE_PAGE / 2) {
		/* big zeroed arrays are written soon: on huge pages */
		p = kith_alloc_huge_n(total, 1, NULL);
		if (p)
			memset(p, 0, total);
	} else {
		p = zero ? g_try_malloc0(total ? total : 1)
		         : g_try_malloc(total ? total : 1);
	}
	if (p == NULL)
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "out of memory allocating %zu bytes", total);
	return p;
}

void *
kith_alloc_n(size_t n, size_t size, GError **error)
{
	return alloc_checked(n, size, FALSE, error);
}

void *
kith_alloc0_n(size_t n, size_t size, GError **error)
{
	return alloc_checked(n, size, TRUE, error);
}

void
kith_advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
	uintptr_t a = ((uintptr_t)p + KITH_HUGE_PAGE - 1) &
	              ~(uintptr_t)(KITH_HUGE_PAGE - 1);
	uintptr_t e = ((uintptr_t)p + bytes) & ~(uintptr_t)(KITH_HUGE_PAGE - 1);
	if (p && e > a)
		(void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
	(void)p;
	(void)bytes;
#endif
}

void *
kith_alloc_huge_n(size_t n, size_t size, GError **error)
{
	size_t total;
	if (!g_size_checked_mul(&total, n, size)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "size overflow allocating %zu x %zu bytes", n, size);
		return NULL;
	}
	if (total < KITH_HUGE_PAGE / 2)
		return kith_alloc_n(total, 1, error);
	size_t whole = (total + KITH_HUGE_PAGE - 1) & ~(KITH_HUGE_PAGE - 1);
	void *p = NULL;
	if (whole < total || posix_memalign(&p, KITH_HUGE_PAGE, whole) != 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "out of memory allocating %zu bytes", total);
		return NULL;
	}
	kith_advise_huge(p, whole);
	return p;
}

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
kith_rng_seed(struct kith_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL + 0x632be59bd9b4e019ULL);
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
	if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
		r->s[0] = 1;
}

double
kith_rng_normal(struct kith_rng *r)
{
	double u1, u2;

	do
		u1 = kith_rng_uniform(r);
	while (u1 <= 0.0);
	u2 = kith_rng_uniform(r);
	return sqrt(-2.0 * log(u1)) * cos(2.0 * G_PI * u2);
}

double
kith_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static kith_progress_fn progress_fn;

void
kith_progress_set(kith_progress_fn fn)
{
	progress_fn = fn;
}

void
kith_progress(const char *label, double done, double total)
{
	if (progress_fn != NULL)
		progress_fn(label, done, total);
}

static volatile gint interrupt_flag;

void
kith_interrupt_request(void)
{
	g_atomic_int_set(&interrupt_flag, 1);
}

gboolean
kith_interrupted(void)
{
	return g_atomic_int_get(&interrupt_flag) != 0;
}

const char *
kith_version(void)
{
	return PACKAGE_VERSION;
}
