/* Unit tests of the report helpers (src/report/): nice ticks, HTML
 * escaping, number formatting, PCA by power iteration against a Jacobi
 * eigen-decomposition, and the SVG charts' escaping and element counts. */
#include <math.h>
#include <string.h>

#include "kith/core.h"
#include "kith/emb.h"
#include "kith/report.h"
#include "report/report-internal.h"

static void
test_ticks(void)
{
	double t[16], step;
	int n = kith_nice_ticks(0, 1, 6, t, &step);
	g_assert_cmpint(n, ==, 6);
	g_assert_cmpfloat_with_epsilon(step, 0.2, 1e-12);
	g_assert_cmpfloat(t[0], ==, 0);
	g_assert_cmpfloat_with_epsilon(t[5], 1.0, 1e-12);
	n = kith_nice_ticks(0, 468, 6, t, &step);
	g_assert_cmpfloat(step, ==, 100);
	g_assert_cmpint(n, ==, 6);
	g_assert_cmpfloat(t[5], ==, 500);
	n = kith_nice_ticks(5, 5, 6, t, &step);   /* degenerate range widens */
	g_assert_cmpint(n, >=, 2);
	g_assert_cmpfloat(t[0], <=, 5);
	g_assert_cmpfloat(t[n - 1], >=, 5);
	/* properties on random ranges */
	struct kith_rng r;
	kith_rng_seed(&r, 3, 0);
	for (int k = 0; k < 2000; k++) {
		double a = (kith_rng_uniform(&r) - 0.5) * pow(10, (int)kith_rng_below(&r, 12) - 4);
		double b = a + kith_rng_uniform(&r) * pow(10, (int)kith_rng_below(&r, 12) - 4);
		int max = 2 + (int)kith_rng_below(&r, 10);
		double m;
		n = kith_nice_ticks(a, b, max, t, &step);
		g_assert_cmpint(n, >=, 2);
		g_assert_cmpint(n, <=, max);
		g_assert_cmpfloat(t[0], <=, a + 1e-9 * fabs(step));
		g_assert_cmpfloat(t[n - 1], >=, b - 1e-9 * fabs(step));
		m = step / pow(10, floor(log10(step) + 1e-12));
		g_assert_true(fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 ||
		              fabs(m - 2.5) < 1e-9 || fabs(m - 5) < 1e-9);
		for (int i = 1; i < n; i++)
			g_assert_cmpfloat(fabs(t[i] - t[i - 1] - step), <,
			                  1e-9 * (step + fabs(t[i])));
	}
}

static void
test_escape(void)
{
	GString *o = g_string_new(NULL);
	kith_html_escape(o, "<a href='x'>&\"\x01");
	g_assert_cmpstr(o->str, ==,
	                "&lt;a href=&#39;x&#39;&gt;&amp;&quot;\xef\xbf\xbd");
	g_string_free(o, TRUE);
}

static void
test_format(void)
{
	char b[64];
	rp_fmt_count(b, sizeof(b), 1234567);
	g_assert_cmpstr(b, ==, "1,234,567");
	rp_fmt_count(b, sizeof(b), -1000);
	g_assert_cmpstr(b, ==, "-1,000");
	rp_fmt_count(b, sizeof(b), 999);
	g_assert_cmpstr(b, ==, "999");
	rp_fmt_short(b, sizeof(b), 1000);
	g_assert_cmpstr(b, ==, "1000");
	rp_fmt_short(b, sizeof(b), 20000000);
	g_assert_cmpstr(b, ==, "20M");
	rp_fmt_short(b, sizeof(b), 12500);
	g_assert_cmpstr(b, ==, "12.5k");
	g_autofree char *t = rp_trim_label("ééééééééééé", 5);
	g_assert_cmpstr(t, ==, "éééé…");
}

/* Cyclic Jacobi eigenvalues/vectors of a symmetric d x d matrix (naive
 * reference): A is destroyed, V gets the eigenvectors as columns. */
static void
jacobi(double *A, double *V, int d)
{
	for (int i = 0; i < d; i++)
		for (int j = 0; j < d; j++)
			V[i * d + j] = i == j;
	for (int sweep = 0; sweep < 100; sweep++) {
		double off = 0;
		for (int p = 0; p < d; p++)
			for (int q = p + 1; q < d; q++)
				off += A[p * d + q] * A[p * d + q];
		if (off < 1e-30)
			break;
		for (int p = 0; p < d; p++)
			for (int q = p + 1; q < d; q++) {
				double apq = A[p * d + q], th, t, c, s;
				if (fabs(apq) < 1e-300)
					continue;
				th = (A[q * d + q] - A[p * d + p]) / (2 * apq);
				t = (th >= 0 ? 1 : -1) / (fabs(th) + sqrt(th * th + 1));
				c = 1 / sqrt(t * t + 1);
				s = t * c;
				for (int k = 0; k < d; k++) {
					double akp = A[k * d + p], akq = A[k * d + q];
					A[k * d + p] = c * akp - s * akq;
					A[k * d + q] = s * akp + c * akq;
				}
				for (int k = 0; k < d; k++) {
					double apk = A[p * d + k], aqk = A[q * d + k];
					A[p * d + k] = c * apk - s * aqk;
					A[q * d + k] = s * apk + c * aqk;
				}
				for (int k = 0; k < d; k++) {
					double vkp = V[k * d + p], vkq = V[k * d + q];
					V[k * d + p] = c * vkp - s * vkq;
					V[k * d + q] = s * vkp + c * vkq;
				}
			}
	}
}

static void
test_pca(void)
{
	const int n = 3000, d = 12;
	float *X = g_new(float, n * d);
	double mean[12], axes[24], eig[2], total, C[144], V[144], m[12] = { 0 };
	int64_t rows[1500];
	struct kith_rng r;
	GError *err = NULL;

	kith_rng_seed(&r, 11, 0);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < d; j++) {
			/* anisotropic: scales 5, 3, then 1; correlated pair 0/4 */
			double z = kith_rng_normal(&r) * (j == 0 ? 5 : j == 1 ? 3 : 1);
			X[i * d + j] = (float)(z + 2.0 * j);
		}
	for (int i = 0; i < n; i++)
		X[i * d + 4] += 0.5f * (X[i * d + 0] - 0.0f);
	for (int k = 0; k < 1500; k++)
		rows[k] = 2 * k + 1;
	g_assert_true(kith_pca2(X, n, d, rows, 1500, mean, axes, eig, &total,
	                        &err));
	g_assert_no_error(err);
	/* naive covariance of the same rows */
	for (int k = 0; k < 1500; k++)
		for (int j = 0; j < d; j++)
			m[j] += X[rows[k] * d + j] / 1500.0;
	for (int j = 0; j < d; j++)
		g_assert_cmpfloat(fabs(m[j] - mean[j]), <, 1e-9);
	memset(C, 0, sizeof(C));
	for (int k = 0; k < 1500; k++)
		for (int a = 0; a < d; a++)
			for (int b = 0; b < d; b++)
				C[a * d + b] += (X[rows[k] * d + a] - m[a]) *
				                (X[rows[k] * d + b] - m[b]) / 1499.0;
	double tr = 0;
	for (int a = 0; a < d; a++)
		tr += C[a * d + a];
	g_assert_cmpfloat(fabs(tr - total), <, 1e-9 * tr);
	jacobi(C, V, d);
	int i1 = 0, i2 = -1;
	for (int a = 1; a < d; a++)
		if (C[a * d + a] > C[i1 * d + i1])
			i1 = a;
	for (int a = 0; a < d; a++)
		if (a != i1 && (i2 < 0 || C[a * d + a] > C[i2 * d + i2]))
			i2 = a;
	g_assert_cmpfloat(fabs(eig[0] - C[i1 * d + i1]), <, 1e-8 * eig[0]);
	g_assert_cmpfloat(fabs(eig[1] - C[i2 * d + i2]), <, 1e-8 * eig[0]);
	double d1 = 0, d2 = 0, n1 = 0, n2 = 0, o12 = 0;
	for (int a = 0; a < d; a++) {
		d1 += axes[a] * V[a * d + i1];
		d2 += axes[d + a] * V[a * d + i2];
		n1 += axes[a] * axes[a];
		n2 += axes[d + a] * axes[d + a];
		o12 += axes[a] * axes[d + a];
	}
	g_assert_cmpfloat(fabs(fabs(d1) - 1), <, 1e-8);
	g_assert_cmpfloat(fabs(fabs(d2) - 1), <, 1e-8);
	g_assert_cmpfloat(fabs(n1 - 1), <, 1e-12);
	g_assert_cmpfloat(fabs(n2 - 1), <, 1e-12);
	g_assert_cmpfloat(fabs(o12), <, 1e-8);
	/* too few rows */
	g_assert_false(kith_pca2(X, n, d, rows, 1, mean, axes, eig, &total, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_DATA);
	g_clear_error(&err);
	g_free(X);
}

static int
count(const char *hay, const char *needle)
{
	int c = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		c++;
	return c;
}

static void
test_charts(void)
{
	GString *o = g_string_new(NULL);
	struct rp_bar bars[3] = { { "<script>x</script>", 10, 0, NULL },
	                          { "b & c", 5, 1, NULL },
	                          { "\"q\"", 0, -1, "none" } };
	rp_chart_hbars(o, "chart-x", "t<1>", 800, bars, 3, "users");
	g_assert_cmpint(count(o->str, "<rect class=\"bar\""), ==, 3);
	g_assert_null(strstr(o->str, "<script>"));
	g_assert_nonnull(strstr(o->str, "&lt;script&gt;"));
	g_assert_nonnull(strstr(o->str, "b &amp; c"));
	g_assert_nonnull(strstr(o->str, ">none<"));
	g_assert_nonnull(strstr(o->str, "id=\"chart-x\""));
	g_assert_nonnull(strstr(o->str, "<title>t&lt;1&gt;</title>"));
	g_assert_cmpint(count(o->str, "<svg"), ==, 1);
	g_assert_cmpint(count(o->str, "</svg>"), ==, 1);
	g_string_truncate(o, 0);

	double x[5] = { 1, 2, 10, 100, 0 }, y[5] = { 500, 100, 5, 1, 3 };
	struct rp_series s = { "users", x, y, 5, 0, TRUE };
	rp_chart_loglog(o, "chart-deg", "deg", 900, 400, &s, 1, "degree", "n");
	/* the point at x = 0 cannot be drawn on a log axis */
	g_assert_cmpint(count(o->str, "<circle"), ==, 4);
	/* decade ticks 1, 10, 100 on x (range 1..100) */
	g_assert_nonnull(strstr(o->str, ">100</text>"));
	g_assert_nonnull(strstr(o->str, ">1</text>"));
	g_string_truncate(o, 0);

	const char *rows[2] = { "c<0>", "c1" }, *cols[3] = { "a", "b", "c&d" };
	double v[6] = { 0.5, 0.25, 0.25, 0, 1, 0 };
	int rc[2] = { 0, 1 };
	rp_chart_heatmap(o, "chart-h", "mix", 900, rows, rc, 2, cols, 3, v);
	g_assert_cmpint(count(o->str, "<rect class=\"cell\""), ==, 6);
	g_assert_nonnull(strstr(o->str, "c&amp;d"));
	g_assert_nonnull(strstr(o->str, "c&lt;0&gt;"));
	g_assert_null(strstr(o->str, "c<0>"));
	g_string_truncate(o, 0);

	double px[4] = { -1, 0, 1, NAN }, py[4] = { 1, 0, -1, 2 };
	int pc[4] = { 0, -1, 20, 1 };
	rp_chart_scatter(o, "chart-p", "p", 600, 400, px, py, pc, 4, "PC1", "PC2");
	g_assert_cmpint(count(o->str, "<circle"), ==, 3);
	g_string_free(o, TRUE);
}

/* kith_emb_summary_read(): the model, the store, and the curve in every
 * shape the report accepts, series in order of first appearance. */
static void
test_emb_summary(void)
{
	static const char *text =
		"{\"model\": \"lightgcn\", \"store_created\": \"2026-01-02\","
		" \"curve\": [{\"epoch\": 2, \"phase\": \"select\", \"loss\": 0.5,"
		" \"recall@20\": 0.1}, {\"loss\": 0.25, \"val\": {\"auc\": 0.75}},"
		" {\"epoch\": 7, \"loss\": 0.125, \"recall@20\": 0.2}]}";
	struct kith_emb e = { 0 };
	struct kith_emb_summary sum;
	const struct kith_emb_series *c;

	e.manifest = json_from_string(text, NULL);
	g_assert_nonnull(e.manifest);
	kith_emb_summary_read(&sum, &e);
	g_assert_cmpstr(sum.model, ==, "lightgcn");
	g_assert_cmpstr(sum.store_created, ==, "2026-01-02");
	g_assert_cmpuint(sum.curve->len, ==, 3);
	c = sum.curve->pdata[0];
	g_assert_cmpstr(c->name, ==, "loss");
	g_assert_cmpuint(c->epoch->len, ==, 3);
	g_assert_cmpfloat(g_array_index(c->epoch, double, 0), ==, 2);
	g_assert_cmpfloat(g_array_index(c->epoch, double, 1), ==, 2);
	g_assert_cmpfloat(g_array_index(c->epoch, double, 2), ==, 7);
	g_assert_cmpfloat(g_array_index(c->value, double, 2), ==, 0.125);
	c = sum.curve->pdata[1];
	g_assert_cmpstr(c->name, ==, "recall@20");
	g_assert_cmpuint(c->value->len, ==, 2);
	c = sum.curve->pdata[2];
	g_assert_cmpstr(c->name, ==, "auc");
	g_assert_cmpfloat(g_array_index(c->value, double, 0), ==, 0.75);
	kith_emb_summary_clear(&sum);
	json_node_unref(e.manifest);

	/* a bare array of losses inside {"epochs": [...]}; no model */
	e.manifest = json_from_string("{\"curve\": {\"epochs\": [3, 2.5]}}",
	                              NULL);
	kith_emb_summary_read(&sum, &e);
	g_assert_null(sum.model);
	g_assert_cmpuint(sum.curve->len, ==, 1);
	c = sum.curve->pdata[0];
	g_assert_cmpfloat(g_array_index(c->epoch, double, 1), ==, 2);
	g_assert_cmpfloat(g_array_index(c->value, double, 1), ==, 2.5);
	kith_emb_summary_clear(&sum);
	json_node_unref(e.manifest);

	/* no manifest at all */
	e.manifest = NULL;
	kith_emb_summary_read(&sum, &e);
	g_assert_cmpuint(sum.curve->len, ==, 0);
	kith_emb_summary_clear(&sum);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/report/ticks", test_ticks);
	g_test_add_func("/report/escape", test_escape);
	g_test_add_func("/report/format", test_format);
	g_test_add_func("/report/pca", test_pca);
	g_test_add_func("/report/charts", test_charts);
	g_test_add_func("/report/emb-summary", test_emb_summary);
	return g_test_run();
}
