/*
 * Evaluation metrics, one implementation each, shared by kith eval, model
 * selection during training and the tests.
 *
 * Ranking (per user, as in the LightGCN reference code), with T the truth
 * set, |T| its size including items that cannot be hit (n_truth_total),
 * hits = |top-K ∩ T|:
 *   recall@K    = hits / |T|
 *   precision@K = hits / K
 *   hit@K       = [hits > 0]
 *   ndcg@K      = DCG / IDCG, DCG = Σ_{i<K, topk[i] ∈ T} 1 / log2(i + 2),
 *                 IDCG = Σ_{i < min(K, |T|)} 1 / log2(i + 2)
 * Membership is a binary search in the sorted truth list: O(K log |T|).
 *
 * AUC (Mann–Whitney): P(score(pos) > score(neg)) + ½ P(equal), from one
 * sort of the pooled scores: O((P + N) log(P + N)).
 *
 * Classification: accuracy, macro-F1 (mean over classes of
 * 2·TP / (2·TP + FP + FN); a class absent from both truth and predictions
 * is left out of the mean) and the confusion matrix: O(n·C + C²).
 */
#include <math.h>
#include <stdlib.h>

#include "kith/eval.h"

static gboolean
in_sorted(const int32_t *a, int64_t n, int32_t x)
{
	int64_t lo = 0, hi = n;
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if (a[mid] < x)
			lo = mid + 1;
		else if (a[mid] > x)
			hi = mid;
		else
			return TRUE;
	}
	return FALSE;
}

static int64_t
count_hits(const int32_t *topk, int k, const int32_t *truth, int64_t n_truth)
{
	int64_t hits = 0;
	for (int i = 0; i < k; i++)
		if (topk[i] >= 0 && in_sorted(truth, n_truth, topk[i]))
			hits++;
	return hits;
}

double
kith_metric_recall(const int32_t *topk, int k, const int32_t *truth,
                   int64_t n_truth, int64_t n_truth_total)
{
	if (n_truth_total < n_truth)
		n_truth_total = n_truth;
	if (n_truth_total <= 0)
		return 0.0;
	return (double)count_hits(topk, k, truth, n_truth) / n_truth_total;
}

double
kith_metric_precision(const int32_t *topk, int k, const int32_t *truth,
                      int64_t n_truth)
{
	if (k <= 0)
		return 0.0;
	return (double)count_hits(topk, k, truth, n_truth) / k;
}

double
kith_metric_hit(const int32_t *topk, int k, const int32_t *truth,
                int64_t n_truth)
{
	for (int i = 0; i < k; i++)
		if (topk[i] >= 0 && in_sorted(truth, n_truth, topk[i]))
			return 1.0;
	return 0.0;
}

double
kith_metric_ndcg(const int32_t *topk, int k, const int32_t *truth,
                 int64_t n_truth, int64_t n_truth_total)
{
	if (n_truth_total < n_truth)
		n_truth_total = n_truth;
	double dcg = 0.0, idcg = 0.0;
	for (int i = 0; i < k; i++)
		if (topk[i] >= 0 && in_sorted(truth, n_truth, topk[i]))
			dcg += 1.0 / log2(i + 2.0);
	int64_t ideal = MIN((int64_t)k, n_truth_total);
	for (int64_t i = 0; i < ideal; i++)
		idcg += 1.0 / log2(i + 2.0);
	return idcg > 0.0 ? dcg / idcg : 0.0;
}

struct scored {
	float s;
	int pos;
};

static int
cmp_scored(const void *a, const void *b)
{
	float x = ((const struct scored *)a)->s;
	float y = ((const struct scored *)b)->s;
	return (x > y) - (x < y);
}

double
kith_metric_auc(const float *pos, int64_t n_pos, const float *neg,
                int64_t n_neg)
{
	if (n_pos <= 0 || n_neg <= 0)
		return NAN;
	int64_t n = n_pos + n_neg;
	struct scored *a = g_new(struct scored, n);
	/* NaN ranks below every number */
	for (int64_t i = 0; i < n_pos; i++) {
		a[i].s = isnan(pos[i]) ? -INFINITY : pos[i];
		a[i].pos = 1;
	}
	for (int64_t i = 0; i < n_neg; i++) {
		a[n_pos + i].s = isnan(neg[i]) ? -INFINITY : neg[i];
		a[n_pos + i].pos = 0;
	}
	qsort(a, n, sizeof(*a), cmp_scored);
	double sum = 0.0;
	int64_t neg_below = 0;
	for (int64_t i = 0; i < n;) {
		int64_t j = i, p = 0, q = 0;
		while (j < n && a[j].s == a[i].s) {
			if (a[j].pos)
				p++;
			else
				q++;
			j++;
		}
		sum += (double)p * neg_below + 0.5 * (double)p * q;
		neg_below += q;
		i = j;
	}
	g_free(a);
	return sum / ((double)n_pos * (double)n_neg);
}

void
kith_metric_classify(struct kith_class_metrics *out, const int32_t *truth,
                     const int32_t *pred, int64_t n, int n_classes,
                     int64_t *confusion)
{
	int64_t correct = 0;
	for (int64_t c = 0; c < (int64_t)n_classes * n_classes; c++)
		confusion[c] = 0;
	out->n = 0;
	for (int64_t i = 0; i < n; i++) {
		if (truth[i] < 0 || truth[i] >= n_classes)
			continue;
		int32_t p = pred[i];
		out->n++;
		if (p == truth[i])
			correct++;
		if (p >= 0 && p < n_classes)
			confusion[(int64_t)truth[i] * n_classes + p]++;
	}
	out->accuracy = out->n ? (double)correct / out->n : 0.0;
	double f1 = 0.0;
	int present = 0;
	for (int c = 0; c < n_classes; c++) {
		int64_t tp = confusion[(int64_t)c * n_classes + c];
		int64_t col = 0, truth_c = 0;
		for (int e = 0; e < n_classes; e++)
			col += confusion[(int64_t)e * n_classes + c];
		for (int64_t i = 0; i < n; i++)
			truth_c += truth[i] == c;
		/* a prediction outside the class range is a false negative */
		int64_t fn = truth_c - tp, fp = col - tp;
		if (truth_c == 0 && col == 0)
			continue;
		present++;
		f1 += 2.0 * tp / (2.0 * tp + fp + fn);
	}
	out->macro_f1 = present ? f1 / present : 0.0;
}
