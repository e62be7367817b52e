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

static int64_t *
split_nodes(const struct kith_labels *lab, uint8_t which, int64_t *n_out,
            GError **error)
{
	int64_t n = 0;
	for (int64_t u = 0; u < lab->n_nodes; u++)
		n += lab->label[u] >= 0 && lab->split[u] == which;
	int64_t *idx = kith_alloc_n(MAX(n, 1), sizeof(int64_t), error);
	if (!idx)
		return NULL;
	n = 0;
	for (int64_t u = 0; u < lab->n_nodes; u++)
		if (lab->label[u] >= 0 && lab->split[u] == which)
			idx[n++] = u;
	*n_out = n;
	return idx;
}

#define LOGREG_ITERS 300

gboolean
kith_eval_classify(struct kith_classify_result *out, const float *X, int d,
                   const struct kith_labels *lab, const int32_t *pred,
                   GError **error)
{
	static const double grid[] = { 1.0, 0.1, 0.01, 0.001, 0.0001 };
	const int C = lab->n_classes;
	memset(out, 0, sizeof(*out));
	out->val_accuracy = -1;
	g_autofree int64_t *tr = split_nodes(lab, KITH_SPLIT_TRAIN,
	                                     &out->n_train, error);
	g_autofree int64_t *va = split_nodes(lab, KITH_SPLIT_VAL, &out->n_val,
	                                     error);
	g_autofree int64_t *te = split_nodes(lab, KITH_SPLIT_TEST, &out->n_test,
	                                     error);
	if (!tr || !va || !te)
		return FALSE;
	if (out->n_test == 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "no labelled node in the test split");
		return FALSE;
	}
	g_autofree int32_t *truth = kith_alloc_n((size_t)out->n_test,
	                                         sizeof(int32_t), error);
	g_autofree int32_t *p = kith_alloc_n((size_t)MAX(out->n_test,
	                                                 out->n_val),
	                                     sizeof(int32_t), error);
	out->confusion = kith_alloc0_n((size_t)MAX(C, 1) * MAX(C, 1),
	                               sizeof(int64_t), error);
	if (!truth || !p || !out->confusion)
		return FALSE;
	for (int64_t i = 0; i < out->n_test; i++)
		truth[i] = lab->label[te[i]];

	if (pred) {
		for (int64_t i = 0; i < out->n_test; i++)
			p[i] = pred[te[i]];
		kith_metric_classify(&out->test, truth, p, out->n_test, C,
		                     out->confusion);
		return TRUE;
	}
	if (out->n_train == 0 || C < 2) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "the classifier needs labelled train nodes of at "
		            "least two classes");
		return FALSE;
	}
	size_t nw = (size_t)(d + 1) * C;
	g_autofree float *W = kith_alloc_n(nw, sizeof(float), error);
	g_autofree float *mean = kith_alloc_n((size_t)d, sizeof(float), error);
	g_autofree float *scale = kith_alloc_n((size_t)d, sizeof(float),
	                                       error);
	if (!W || !mean || !scale)
		return FALSE;
	double best_lambda = 0.01, best_acc = -1;
	if (out->n_val > 0) {
		for (size_t g = 0; g < G_N_ELEMENTS(grid); g++) {
			if (!kith_logreg_fit(W, mean, scale, X, d, tr,
			                     out->n_train, lab->label, C, grid[g],
			                     LOGREG_ITERS, error))
				return FALSE;
			kith_logreg_predict(p, W, mean, scale, X, d, va,
			                    out->n_val, C);
			int64_t ok = 0;
			for (int64_t i = 0; i < out->n_val; i++)
				ok += p[i] == lab->label[va[i]];
			double acc = (double)ok / out->n_val;
			if (acc > best_acc) {
				best_acc = acc;
				best_lambda = grid[g];
			}
		}
		out->val_accuracy = best_acc;
	}
	out->lambda = best_lambda;
	if (!kith_logreg_fit(W, mean, scale, X, d, tr, out->n_train,
	                     lab->label, C, best_lambda, LOGREG_ITERS, error))
		return FALSE;
	kith_logreg_predict(p, W, mean, scale, X, d, te, out->n_test, C);
	kith_metric_classify(&out->test, truth, p, out->n_test, C,
	                     out->confusion);
	return TRUE;
}

void
kith_classify_result_clear(struct kith_classify_result *r)
{
	g_free(r->confusion);
	memset(r, 0, sizeof(*r));
}
