/*
 * Two principal axes of a sample of embedding rows, for the report's 2-D
 * projection.
 *
 *   mean  m = (1/r) sum_i x_i
 *   cov   C = (1/(r-1)) sum_i (x_i - m)(x_i - m)^T      (d x d, dsyrk on
 *         blocks of 512 centred rows)
 *   axis 1: power iteration v <- C v / |C v| until |v - v_prev| < 1e-12
 *   axis 2: the same on the deflated C - l1 v1 v1^T, re-orthogonalised
 *           against v1 at every step
 *
 * Cost O(r d^2) for the covariance plus O(iters d^2); r = rows used.
 */
#include "config.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "kith/core.h"
#include "kith/report.h"

#define PCA_BLOCK 512
#define PCA_MAX_ITERS 3000

static double
dot(const double *a, const double *b, int d)
{
	double s = 0;
	for (int i = 0; i < d; i++)
		s += a[i] * b[i];
	return s;
}

/* Power iteration on symmetric C (full d x d), v orthogonal to `against`
 * (may be NULL).  Returns the Rayleigh quotient. */
static double
power(const double *C, int d, double *v, const double *against, double *tmp)
{
	double lambda = 0;

	for (int it = 0; it < PCA_MAX_ITERS; it++) {
		double norm, diff = 0;
		cblas_dgemv(CblasRowMajor, CblasNoTrans, d, d, 1.0, C, d, v, 1, 0.0,
		            tmp, 1);
		if (against) {
			double p = dot(tmp, against, d);
			for (int i = 0; i < d; i++)
				tmp[i] -= p * against[i];
		}
		norm = sqrt(dot(tmp, tmp, d));
		if (norm == 0)
			return 0;
		for (int i = 0; i < d; i++) {
			double x = tmp[i] / norm;
			diff += (x - v[i]) * (x - v[i]);
			v[i] = x;
		}
		lambda = norm;
		if (diff < 1e-24)
			break;
	}
	/* Rayleigh quotient (norm above is |C v|, equal at convergence) */
	cblas_dgemv(CblasRowMajor, CblasNoTrans, d, d, 1.0, C, d, v, 1, 0.0, tmp,
	            1);
	lambda = dot(v, tmp, d);
	return lambda;
}

static void
fix_sign(double *v, int d)
{
	int arg = 0;
	for (int i = 1; i < d; i++)
		if (fabs(v[i]) > fabs(v[arg]))
			arg = i;
	if (v[arg] < 0)
		for (int i = 0; i < d; i++)
			v[i] = -v[i];
}

gboolean
kith_pca2(const float *X, int64_t n, int d, const int64_t *rows,
          int64_t n_rows, double *mean, double *axes, double *eig,
          double *total, GError **error)
{
	g_autofree double *C = NULL, *B = NULL, *tmp = NULL;
	struct kith_rng rng;

	if (rows == NULL)
		n_rows = n;
	if (d < 1 || n_rows < 2) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "projection needs at least 2 rows and 1 column");
		return FALSE;
	}
	C = kith_alloc0_n((size_t)d * d, sizeof(double), error);
	B = C ? kith_alloc_n((size_t)PCA_BLOCK * d, sizeof(double), error) : NULL;
	tmp = B ? kith_alloc_n((size_t)d, sizeof(double), error) : NULL;
	if (tmp == NULL)
		return FALSE;
	memset(mean, 0, sizeof(double) * d);
	for (int64_t r = 0; r < n_rows; r++) {
		const float *x = X + (size_t)(rows ? rows[r] : r) * d;
		for (int j = 0; j < d; j++)
			mean[j] += x[j];
	}
	for (int j = 0; j < d; j++)
		mean[j] /= (double)n_rows;
	for (int64_t r0 = 0; r0 < n_rows; r0 += PCA_BLOCK) {
		int nb = (int)MIN((int64_t)PCA_BLOCK, n_rows - r0);
		for (int b = 0; b < nb; b++) {
			const float *x = X + (size_t)(rows ? rows[r0 + b] : r0 + b) * d;
			for (int j = 0; j < d; j++)
				B[(size_t)b * d + j] = x[j] - mean[j];
		}
		cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, nb, 1.0, B, d,
		            1.0, C, d);
	}
	*total = 0;
	for (int i = 0; i < d; i++) {
		for (int j = i; j < d; j++) {
			double c = C[(size_t)i * d + j] / (double)(n_rows - 1);
			C[(size_t)i * d + j] = C[(size_t)j * d + i] = c;
		}
		*total += C[(size_t)i * d + i];
	}
	kith_rng_seed(&rng, 0x9ca2, 0);
	for (int k = 0; k < 2; k++) {
		double *v = axes + (size_t)k * d;
		double norm;
		for (int i = 0; i < d; i++)
			v[i] = kith_rng_uniform(&rng) - 0.5;
		if (k == 1) {
			double p = dot(v, axes, d);
			for (int i = 0; i < d; i++)
				v[i] -= p * axes[i];
		}
		norm = sqrt(dot(v, v, d));
		for (int i = 0; i < d; i++)
			v[i] = norm > 0 ? v[i] / norm : 0;
		if (d == 1 && k == 1) {
			v[0] = 0;
			eig[1] = 0;
			break;
		}
		eig[k] = power(C, d, v, k == 1 ? axes : NULL, tmp);
		fix_sign(v, d);
		if (k == 0)
			for (int i = 0; i < d; i++)
				for (int j = 0; j < d; j++)
					C[(size_t)i * d + j] -= eig[0] * v[i] * v[j];
	}
	return TRUE;
}
