/*
 * Multinomial logistic regression for node classification on embeddings
 * (kith eval --task classify).
 *
 * Features are standardised with the mean and standard deviation of the
 * training rows (x' = (x - μ) / σ; σ = 1 for constant columns).  The model
 * p(c | x) = softmax(W^T [x'; 1])_c minimises
 *     L(W) = -1/n Σ_i log p(y_i | x_i) + λ/2 ‖W_{1..d}‖²
 * (bias row not penalised) by full-batch accelerated gradient descent
 * (Nesterov / FISTA momentum) with step 1/L, L = ½ λ_max(X'^T X' / n) + λ,
 * λ_max estimated by 30 power iterations.  Everything is serial double
 * arithmetic in a fixed order, so the result is deterministic.
 * Cost: O(iters · n · d · C).
 */
#include <math.h>
#include <string.h>

#include "kith/analytics.h"
#include "kith/core.h"

static void
logits(double *z, const double *W, const double *x, int d, int C)
{
	for (int c = 0; c < C; c++)
		z[c] = W[(int64_t)d * C + c];
	for (int t = 0; t < d; t++) {
		double v = x[t];
		if (v == 0.0)
			continue;
		for (int c = 0; c < C; c++)
			z[c] += v * W[(int64_t)t * C + c];
	}
}

static void
softmax(double *z, int C)
{
	double mx = z[0], s = 0;
	for (int c = 1; c < C; c++)
		mx = MAX(mx, z[c]);
	for (int c = 0; c < C; c++) {
		z[c] = exp(z[c] - mx);
		s += z[c];
	}
	for (int c = 0; c < C; c++)
		z[c] /= s;
}

gboolean
kith_logreg_fit(float *W_out, float *mean, float *scale, const float *X,
                int d, const int64_t *idx, int64_t n, const int32_t *y,
                int n_classes, double lambda, int iters, GError **error)
{
	const int C = n_classes;
	if (n <= 0 || d <= 0 || C < 2 || iters < 1 || lambda < 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "logistic regression needs training rows, classes "
		            "and iterations");
		return FALSE;
	}
	const int64_t nw = (int64_t)(d + 1) * C;
	g_autofree double *Xs = kith_alloc_n((size_t)n, (size_t)d *
	                                     sizeof(double), error);
	g_autofree double *buf = kith_alloc0_n((size_t)nw * 4 + C + d * 2,
	                                       sizeof(double), error);
	if (!Xs || !buf)
		return FALSE;
	double *W = buf, *Wprev = W + nw, *Yv = Wprev + nw, *G = Yv + nw;
	double *z = G + nw, *v = z + C, *w = v + d;

	for (int t = 0; t < d; t++) {
		double s = 0, s2 = 0;
		for (int64_t i = 0; i < n; i++)
			s += X[idx[i] * (int64_t)d + t];
		double mu = s / n;
		for (int64_t i = 0; i < n; i++) {
			double e = X[idx[i] * (int64_t)d + t] - mu;
			s2 += e * e;
		}
		double sd = sqrt(s2 / n);
		mean[t] = (float)mu;
		scale[t] = sd > 1e-12 ? (float)sd : 1.0f;
	}
	for (int64_t i = 0; i < n; i++)
		for (int t = 0; t < d; t++)
			Xs[i * d + t] = ((double)X[idx[i] * (int64_t)d + t] -
			                 mean[t]) / scale[t];

	/* λ_max of X'^T X' / n by power iteration (bias column included in
	 * the bound by adding 1) */
	for (int t = 0; t < d; t++)
		v[t] = 1.0 / sqrt((double)d) * (1 + 0.01 * t);
	double lmax = 1.0;
	for (int it = 0; it < 30; it++) {
		memset(w, 0, sizeof(double) * d);
		for (int64_t i = 0; i < n; i++) {
			double a = 0;
			for (int t = 0; t < d; t++)
				a += Xs[i * d + t] * v[t];
			for (int t = 0; t < d; t++)
				w[t] += a * Xs[i * d + t];
		}
		double nn = 0;
		for (int t = 0; t < d; t++)
			nn += w[t] * w[t];
		nn = sqrt(nn);
		if (nn <= 0)
			break;
		lmax = nn / n;
		for (int t = 0; t < d; t++)
			v[t] = w[t] / nn;
	}
	/* power iteration approaches λ_max from below: pad by 10 % */
	double L = 0.5 * (1.1 * lmax + 1.0) + lambda;
	double step = 1.0 / L, tk = 1.0;

	for (int it = 0; it < iters; it++) {
		/* gradient at the look-ahead point Yv */
		memset(G, 0, sizeof(double) * nw);
		for (int64_t i = 0; i < n; i++) {
			const double *x = Xs + i * d;
			logits(z, Yv, x, d, C);
			softmax(z, C);
			z[y[idx[i]]] -= 1.0;
			for (int t = 0; t < d; t++) {
				double xv = x[t];
				for (int c = 0; c < C; c++)
					G[(int64_t)t * C + c] += xv * z[c];
			}
			for (int c = 0; c < C; c++)
				G[(int64_t)d * C + c] += z[c];
		}
		for (int64_t e = 0; e < nw; e++) {
			G[e] /= n;
			if (e < (int64_t)d * C)
				G[e] += lambda * Yv[e];
		}
		memcpy(Wprev, W, sizeof(double) * nw);
		for (int64_t e = 0; e < nw; e++)
			W[e] = Yv[e] - step * G[e];
		double tn = 0.5 * (1 + sqrt(1 + 4 * tk * tk));
		double beta = (tk - 1) / tn;
		tk = tn;
		for (int64_t e = 0; e < nw; e++)
			Yv[e] = W[e] + beta * (W[e] - Wprev[e]);
	}
	for (int64_t e = 0; e < nw; e++)
		W_out[e] = (float)W[e];
	return TRUE;
}

void
kith_logreg_predict(int32_t *pred, const float *W, const float *mean,
                    const float *scale, const float *X, int d,
                    const int64_t *idx, int64_t n, int n_classes)
{
	for (int64_t i = 0; i < n; i++) {
		const float *x = X + idx[i] * (int64_t)d;
		int best = 0;
		double bs = -INFINITY;
		for (int c = 0; c < n_classes; c++) {
			double s = W[(int64_t)d * n_classes + c];
			for (int t = 0; t < d; t++)
				s += ((double)x[t] - mean[t]) / scale[t] *
				     W[(int64_t)t * n_classes + c];
			if (s > bs) {
				bs = s;
				best = c;
			}
		}
		pred[i] = best;
	}
}
