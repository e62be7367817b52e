/*
 * Adam (Kingma & Ba 2015) for one parameter block of n floats, with
 * optional decoupled weight decay (AdamW, Loshchilov & Hutter 2019):
 *
 *   t += 1;  m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²
 *   w -= lr·wd·w                                   (when wd > 0)
 *   w -= lr·(m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + ε)
 *
 * Cost: O(n) per step, OpenMP over n for large blocks; element-wise, so
 * results do not depend on the thread count.  Coupled L2 regularisation
 * (as in the GCN paper) is obtained by adding λ·w to g before the step.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "kith/core.h"
#include "kith/nn.h"

gboolean
kith_adam_init(struct kith_adam *a, size_t n, float lr, GError **error)
{
	memset(a, 0, sizeof *a);
	a->m = kith_alloc0_n(n ? n : 1, sizeof(float), error);
	if (!a->m)
		return FALSE;
	a->v = kith_alloc0_n(n ? n : 1, sizeof(float), error);
	if (!a->v) {
		g_free(a->m);
		a->m = NULL;
		return FALSE;
	}
	a->n = n;
	a->t = 0;
	a->lr = lr;
	a->beta1 = 0.9f;
	a->beta2 = 0.999f;
	a->eps = 1e-8f;
	a->weight_decay = 0.0f;
	return TRUE;
}

void
kith_adam_clear(struct kith_adam *a)
{
	g_free(a->m);
	g_free(a->v);
	memset(a, 0, sizeof *a);
}

void
kith_adam_step(struct kith_adam *a, float *w, const float *g)
{
	int64_t n = (int64_t)a->n;
	float *restrict m = a->m, *restrict v = a->v;
	float b1 = a->beta1, b2 = a->beta2, eps = a->eps;
	float decay;
	double c1, c2;
	float step, vscale;

	a->t++;
	c1 = 1.0 - pow(b1, (double)a->t);
	c2 = 1.0 - pow(b2, (double)a->t);
	step = (float)(a->lr / c1);
	vscale = (float)(1.0 / c2);
	decay = a->weight_decay > 0 ? 1.0f - a->lr * a->weight_decay : 1.0f;

#pragma omp parallel for simd schedule(static) if (n > (1 << 18))
	for (int64_t i = 0; i < n; i++) {
		float gi = g[i];
		float mi = b1 * m[i] + (1.0f - b1) * gi;
		float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
		m[i] = mi;
		v[i] = vi;
		w[i] = w[i] * decay - step * mi / (sqrtf(vi * vscale) + eps);
	}
}
