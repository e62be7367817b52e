/*
 * Dense helpers of the nn kernels: large float buffers backed by
 * transparent huge pages, and small row-wise operations used by the
 * models (ReLU, dropout masks, row normalisation, softmax cross-entropy).
 *
 * Huge pages matter for SpMM: every nonzero gathers a random row of X, and
 * with 4 KiB pages nearly every gather of a large X misses the TLB; with
 * 2 MiB pages (madvise(MADV_HUGEPAGE)) the page walks mostly disappear.
 * All row-wise operations are O(n·d), OpenMP over rows, and independent of
 * the thread count.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kith/core.h"
#include "kith/nn.h"

#define HUGE_PAGE ((size_t)2 << 20)

float *
kith_floats_new(size_t n, gboolean zero, GError **error)
{
	size_t bytes;
	void *p = NULL;

	if (!kith_mul_size(n ? n : 1, sizeof(float), &bytes)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "array of %zu floats is too large", n);
		return NULL;
	}
	if (bytes >= 2 * HUGE_PAGE) {
		size_t rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
		if (posix_memalign(&p, HUGE_PAGE, rounded) != 0)
			p = NULL;
		else
			(void)madvise(p, rounded, MADV_HUGEPAGE);
	} else {
		p = malloc(bytes);
	}
	if (!p) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "cannot allocate %zu bytes", bytes);
		return NULL;
	}
	if (zero)
		memset(p, 0, bytes);
	return p;
}

void
kith_floats_free(float *p)
{
	free(p);
}
