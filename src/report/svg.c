/*
 * Hand-written SVG charts for the report: log-log point plots, line
 * charts, horizontal bars, heatmaps and scatter plots, each one <svg>
 * element with axes, ticks, grid lines and labels.  Every string from data
 * goes through kith_html_escape(); numbers are printed in the C locale.
 *
 * Ticks: linear axes use "nice" steps 1, 2, 2.5, 5 x 10^k chosen so that
 * at most N ticks cover the data range (O(1)); log axes tick every decade.
 * Cost: O(points) per chart.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/report-internal.h"

static const char *const palette[RP_PALETTE_N] = {
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
	"#b07aa1", "#ff9da7", "#9c755f", "#17becf", "#8c6d31", "#393b79"
};

const char *
rp_colour(int idx)
{
	return idx >= 0 && idx < RP_PALETTE_N ? palette[idx] : RP_GREY;
}

void
kith_html_escape(GString *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': g_string_append(out, "&amp;"); break;
		case '<': g_string_append(out, "&lt;"); break;
		case '>': g_string_append(out, "&gt;"); break;
		case '"': g_string_append(out, "&quot;"); break;
		case '\'': g_string_append(out, "&#39;"); break;
		default:
			/* control characters other than tab/newline are not
			 * allowed in HTML text: show them as U+FFFD */
			if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n')
				g_string_append(out, "\xef\xbf\xbd");
			else
				g_string_append_c(out, *s);
		}
	}
}

int
kith_nice_ticks(double lo, double hi, int max_ticks, double *ticks,
                double *step)
{
	static const double mult[] = { 1, 2, 2.5, 5, 10 };
	double raw, mag, st = 1;
	int count = 0;

	if (max_ticks < 2)
		max_ticks = 2;
	if (!isfinite(lo) || !isfinite(hi)) {
		lo = 0;
		hi = 1;
	}
	if (hi < lo) {
		double t = lo;
		lo = hi;
		hi = t;
	}
	if (hi == lo) {
		double pad = lo == 0 ? 1 : fabs(lo) * 0.5;
		lo -= pad;
		hi += pad;
	}
	raw = (hi - lo) / (max_ticks - 1);
	mag = pow(10, floor(log10(raw)));
	for (;;) {
		gboolean found = FALSE;
		for (size_t k = 0; k < G_N_ELEMENTS(mult); k++) {
			double a, b;
			st = mult[k] * mag;
			a = floor(lo / st + 1e-9);
			b = ceil(hi / st - 1e-9);
			if (b - a + 1 <= max_ticks) {
				count = (int)(b - a + 1);
				for (int i = 0; i < count; i++) {
					double t = (a + i) * st;
					ticks[i] = fabs(t) < st * 1e-9 ? 0 : t;
				}
				found = TRUE;
				break;
			}
		}
		if (found)
			break;
		mag *= 10;
	}
	if (step)
		*step = st;
	return count;
}

/* ------------------------------------------------------------ frames */

struct frame {
	double l, t, w, h;           /* plot area in px */
	double x0, x1, y0, y1;       /* data range (log10 for log axes) */
	gboolean xlog, ylog;
};

static double
fx(const struct frame *f, double x)
{
	if (f->xlog)
		x = log10(x);
	return f->l + (x - f->x0) / (f->x1 - f->x0) * f->w;
}

static double
fy(const struct frame *f, double y)
{
	if (f->ylog)
		y = log10(y);
	return f->t + f->h - (y - f->y0) / (f->y1 - f->y0) * f->h;
}

static void
svg_begin(GString *o, const char *id, const char *kind, const char *title,
          int w, int h)
{
	g_string_append(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"");
	kith_html_escape(o, id);
	g_string_append_printf(o, "\" class=\"chart %s\" viewBox=\"0 0 %d %d\" "
	                       "width=\"%d\" height=\"%d\" role=\"img\" "
	                       "aria-label=\"", kind, w, h, w, h);
	kith_html_escape(o, title);
	g_string_append(o, "\"><title>");
	kith_html_escape(o, title);
	g_string_append(o, "</title>\n");
}

static void
text_at(GString *o, double x, double y, const char *cls, const char *anchor,
        const char *s)
{
	g_string_append(o, "<text x=\"");
	rp_num(o, x);
	g_string_append(o, "\" y=\"");
	rp_num(o, y);
	g_string_append_printf(o, "\" class=\"%s\" text-anchor=\"%s\">", cls,
	                       anchor);
	kith_html_escape(o, s);
	g_string_append(o, "</text>\n");
}

static void
line(GString *o, const char *cls, double x1, double y1, double x2, double y2)
{
	g_string_append_printf(o, "<line class=\"%s\" x1=\"", cls);
	rp_num(o, x1);
	g_string_append(o, "\" y1=\"");
	rp_num(o, y1);
	g_string_append(o, "\" x2=\"");
	rp_num(o, x2);
	g_string_append(o, "\" y2=\"");
	rp_num(o, y2);
	g_string_append(o, "\"/>\n");
}

static void
tick_label(char *buf, size_t n, double v, double step)
{
	if (fabs(v) >= 1e4) {
		rp_fmt_short(buf, n, v);
	} else {
		/* fewest decimals that show the step exactly */
		int dec = 0;
		char fmt[16];
		while (dec < 8 && fabs(step * pow(10, dec) -
		                       round(step * pow(10, dec))) > 1e-6 * pow(10, dec))
			dec++;
		g_snprintf(fmt, sizeof(fmt), "%%.%df", dec);
		g_ascii_formatd(buf, n, fmt, v);
		if (strspn(buf, "-0.") == strlen(buf))
			g_strlcpy(buf, "0", n);
	}
}

static void
log_label(char *buf, size_t n, int e)
{
	if (e >= 0)
		rp_fmt_short(buf, n, pow(10, e));
	else if (e >= -4)
		g_ascii_formatd(buf, n, e == -1 ? "%.1f" : e == -2 ? "%.2f"
		                        : e == -3 ? "%.3f" : "%.4f", pow(10, e));
	else
		g_snprintf(buf, n, "1e%d", e);
}

/* Sets a linear axis range from data [lo, hi] to nice ticks; returns the
 * tick count. */
static int
lin_axis(double lo, double hi, int max_ticks, double *ticks, double *step,
         double *a, double *b)
{
	int n = kith_nice_ticks(lo, hi, max_ticks, ticks, step);
	*a = ticks[0];
	*b = ticks[n - 1];
	return n;
}

static void
axes_box(GString *o, const struct frame *f, const char *xlabel,
         const char *ylabel)
{
	line(o, "axis", f->l, f->t + f->h, f->l + f->w, f->t + f->h);
	line(o, "axis", f->l, f->t, f->l, f->t + f->h);
	if (xlabel)
		text_at(o, f->l + f->w / 2, f->t + f->h + 38, "axis-label",
		        "middle", xlabel);
	if (ylabel) {
		double x = f->l - 48, y = f->t + f->h / 2;
		g_string_append(o, "<text class=\"axis-label\" "
		                 "text-anchor=\"middle\" transform=\"translate(");
		rp_num(o, x);
		g_string_append_c(o, ',');
		rp_num(o, y);
		g_string_append(o, ") rotate(-90)\">");
		kith_html_escape(o, ylabel);
		g_string_append(o, "</text>\n");
	}
}

static void
x_ticks(GString *o, const struct frame *f, const double *t, int nt,
        double step)
{
	char buf[64];
	for (int i = 0; i < nt; i++) {
		double x = f->l + (t[i] - f->x0) / (f->x1 - f->x0) * f->w;
		line(o, "grid", x, f->t, x, f->t + f->h);
		line(o, "tick", x, f->t + f->h, x, f->t + f->h + 5);
		tick_label(buf, sizeof(buf), t[i], step);
		text_at(o, x, f->t + f->h + 18, "tick-label", "middle", buf);
	}
}

static void
y_ticks(GString *o, const struct frame *f, const double *t, int nt,
        double step)
{
	char buf[64];
	for (int i = 0; i < nt; i++) {
		double y = f->t + f->h - (t[i] - f->y0) / (f->y1 - f->y0) * f->h;
		line(o, "grid", f->l, y, f->l + f->w, y);
		line(o, "tick", f->l - 5, y, f->l, y);
		tick_label(buf, sizeof(buf), t[i], step);
		text_at(o, f->l - 8, y + 4, "tick-label", "end", buf);
	}
}

static void
log_ticks(GString *o, const struct frame *f, gboolean is_x)
{
	char buf[64];
	double a = is_x ? f->x0 : f->y0, b = is_x ? f->x1 : f->y1;
	for (int e = (int)floor(a); e <= (int)ceil(b); e++) {
		for (int m = 1; m < 10; m++) {
			double v = log10(m) + e;
			if (v < a - 1e-9 || v > b + 1e-9)
				continue;
			if (is_x) {
				double x = f->l + (v - a) / (b - a) * f->w;
				line(o, m == 1 ? "grid" : "grid minor", x, f->t, x,
				     f->t + f->h);
				if (m == 1) {
					line(o, "tick", x, f->t + f->h, x, f->t + f->h + 5);
					log_label(buf, sizeof(buf), e);
					text_at(o, x, f->t + f->h + 18, "tick-label",
					        "middle", buf);
				}
			} else {
				double y = f->t + f->h - (v - a) / (b - a) * f->h;
				line(o, m == 1 ? "grid" : "grid minor", f->l, y,
				     f->l + f->w, y);
				if (m == 1) {
					line(o, "tick", f->l - 5, y, f->l, y);
					log_label(buf, sizeof(buf), e);
					text_at(o, f->l - 8, y + 4, "tick-label", "end", buf);
				}
			}
		}
	}
}

static void
legend(GString *o, const struct rp_series *s, int ns, double x, double y)
{
	for (int k = 0; k < ns; k++) {
		g_string_append(o, "<rect x=\"");
		rp_num(o, x);
		g_string_append(o, "\" y=\"");
		rp_num(o, y + 18 * k - 9);
		g_string_append_printf(o, "\" width=\"12\" height=\"12\" rx=\"2\" "
		                       "fill=\"%s\"/>\n", rp_colour(s[k].colour));
		text_at(o, x + 18, y + 18 * k + 1, "legend", "start", s[k].name);
	}
}

/* A point a chart can draw: positive coordinates on log axes, finite
 * ones on linear axes. */
static gboolean
drawable(double x, double y, gboolean log)
{
	return log ? x > 0 && y > 0 : isfinite(x) && isfinite(y);
}

/* Widens box (xmin, xmax, ymin, ymax) to the drawable points of x, y. */
static void
extent(const double *x, const double *y, int64_t n, gboolean log,
       double box[4])
{
	for (int64_t i = 0; i < n; i++) {
		if (!drawable(x[i], y[i], log))
			continue;
		box[0] = MIN(box[0], x[i]);
		box[1] = MAX(box[1], x[i]);
		box[2] = MIN(box[2], y[i]);
		box[3] = MAX(box[3], y[i]);
	}
}

/* <circle cx=".." cy=".." r="TAIL: tail closes the element. */
static void
circle(GString *o, const struct frame *f, double x, double y,
       const char *tail)
{
	g_string_append(o, "<circle cx=\"");
	rp_num(o, fx(f, x));
	g_string_append(o, "\" cy=\"");
	rp_num(o, fy(f, y));
	g_string_append(o, "\" r=\"");
	g_string_append(o, tail);
}

/* ------------------------------------------------------------ charts */

void
rp_chart_loglog(GString *o, const char *id, const char *title, int w, int h,
                const struct rp_series *s, int ns, const char *xlabel,
                const char *ylabel)
{
	struct frame f = { .l = 72, .t = 16, .w = w - 72 - 210, .h = h - 16 - 52,
	                   .xlog = TRUE, .ylog = TRUE };
	double b[4] = { INFINITY, -INFINITY, INFINITY, -INFINITY };

	for (int k = 0; k < ns; k++)
		extent(s[k].x, s[k].y, s[k].n, TRUE, b);
	if (!isfinite(b[0])) {
		b[0] = b[2] = 1;
		b[1] = b[3] = 10;
	}
	f.x0 = floor(log10(b[0]));
	f.x1 = MAX(ceil(log10(b[1])), f.x0 + 1);
	f.y0 = floor(log10(b[2]));
	f.y1 = MAX(ceil(log10(b[3])), f.y0 + 1);
	svg_begin(o, id, "loglog", title, w, h);
	log_ticks(o, &f, TRUE);
	log_ticks(o, &f, FALSE);
	axes_box(o, &f, xlabel, ylabel);
	for (int k = 0; k < ns; k++) {
		g_string_append_printf(o, "<g class=\"series\" fill=\"%s\" "
		                       "fill-opacity=\"0.75\">\n",
		                       rp_colour(s[k].colour));
		for (int64_t i = 0; i < s[k].n; i++)
			if (drawable(s[k].x[i], s[k].y[i], TRUE))
				circle(o, &f, s[k].x[i], s[k].y[i], "2.6\"/>\n");
		g_string_append(o, "</g>\n");
	}
	legend(o, s, ns, f.l + f.w + 24, f.t + 12);
	g_string_append(o, "</svg>\n");
}

void
rp_chart_lines(GString *o, const char *id, const char *title, int w, int h,
               const struct rp_series *s, int ns, const char *xlabel,
               const char *ylabel)
{
	struct frame f = { .l = 64, .t = 14, .w = w - 64 - 18, .h = h - 14 - 52 };
	double b[4] = { INFINITY, -INFINITY, INFINITY, -INFINITY };
	double xt[16], yt[16], xs, ys;
	int nx, ny;

	for (int k = 0; k < ns; k++)
		extent(s[k].x, s[k].y, s[k].n, FALSE, b);
	if (!isfinite(b[0])) {
		b[0] = b[2] = 0;
		b[1] = b[3] = 1;
	}
	nx = lin_axis(b[0], b[1], 7, xt, &xs, &f.x0, &f.x1);
	ny = lin_axis(b[2], b[3], 6, yt, &ys, &f.y0, &f.y1);
	svg_begin(o, id, "lines", title, w, h);
	x_ticks(o, &f, xt, nx, xs);
	y_ticks(o, &f, yt, ny, ys);
	axes_box(o, &f, xlabel, ylabel);
	for (int k = 0; k < ns; k++) {
		gboolean first = TRUE;
		g_string_append_printf(o, "<path class=\"series\" fill=\"none\" "
		                       "stroke=\"%s\" stroke-width=\"2\" d=\"",
		                       rp_colour(s[k].colour));
		for (int64_t i = 0; i < s[k].n; i++) {
			if (!drawable(s[k].x[i], s[k].y[i], FALSE))
				continue;
			g_string_append_c(o, first ? 'M' : 'L');
			rp_num(o, fx(&f, s[k].x[i]));
			g_string_append_c(o, ' ');
			rp_num(o, fy(&f, s[k].y[i]));
			first = FALSE;
		}
		g_string_append(o, "\"/>\n");
		if (s[k].dots || s[k].n <= 40) {
			g_string_append_printf(o, "<g fill=\"%s\">",
			                       rp_colour(s[k].colour));
			for (int64_t i = 0; i < s[k].n; i++)
				if (drawable(s[k].x[i], s[k].y[i], FALSE))
					circle(o, &f, s[k].x[i], s[k].y[i],
					       "2.5\"/>");
			g_string_append(o, "</g>\n");
		}
	}
	g_string_append(o, "</svg>\n");
}

void
rp_chart_hbars(GString *o, const char *id, const char *title, int w,
               const struct rp_bar *b, int n, const char *xlabel)
{
	const int bar_h = 20, gap = 7, top = 8;
	int maxlen = 4;
	double vmax = 0, ticks[16], step;
	struct frame f;
	int nt, h;

	for (int i = 0; i < n; i++) {
		g_autofree char *t = rp_trim_label(b[i].label, 34);
		maxlen = MAX(maxlen, (int)g_utf8_strlen(t, -1));
		vmax = MAX(vmax, b[i].value);
	}
	h = top + n * (bar_h + gap) + 52;
	f.l = MIN(16 + maxlen * 7.2, w * 0.4);
	f.t = top;
	f.w = w - f.l - 90;
	f.h = n * (bar_h + gap);
	f.xlog = f.ylog = FALSE;
	f.y0 = 0;
	f.y1 = 1;
	nt = lin_axis(0, vmax > 0 ? vmax : 1, 6, ticks, &step, &f.x0, &f.x1);
	svg_begin(o, id, "bars", title, w, h);
	x_ticks(o, &f, ticks, nt, step);
	for (int i = 0; i < n; i++) {
		double y = top + i * (bar_h + gap) + gap / 2.0;
		double bw = (b[i].value - f.x0) / (f.x1 - f.x0) * f.w;
		char buf[64];
		g_autofree char *label = rp_trim_label(b[i].label, 34);

		g_string_append(o, "<rect class=\"bar\" x=\"");
		rp_num(o, f.l);
		g_string_append(o, "\" y=\"");
		rp_num(o, y);
		g_string_append(o, "\" width=\"");
		rp_num(o, MAX(bw, 0.5));
		g_string_append_printf(o, "\" height=\"%d\" fill=\"%s\"><title>",
		                       bar_h, rp_colour(b[i].colour));
		kith_html_escape(o, b[i].label);
		g_string_append(o, "</title></rect>\n");
		text_at(o, f.l - 8, y + bar_h / 2.0 + 4, "bar-label", "end", label);
		if (b[i].value_text)
			g_strlcpy(buf, b[i].value_text, sizeof(buf));
		else
			rp_fmt_count(buf, sizeof(buf), b[i].value);
		text_at(o, f.l + MAX(bw, 0.5) + 6, y + bar_h / 2.0 + 4,
		        "bar-value", "start", buf);
	}
	line(o, "axis", f.l, f.t, f.l, f.t + f.h);
	line(o, "axis", f.l, f.t + f.h, f.l + f.w, f.t + f.h);
	if (xlabel)
		text_at(o, f.l + f.w / 2, f.t + f.h + 38, "axis-label", "middle",
		        xlabel);
	g_string_append(o, "</svg>\n");
}

/* Sequential blue scale (ColorBrewer Blues) for t in [0, 1]. */
static void
blues(double t, char *buf, size_t n, gboolean *dark)
{
	static const int stops[][3] = {
		{ 247, 251, 255 }, { 222, 235, 247 }, { 198, 219, 239 },
		{ 158, 202, 225 }, { 107, 174, 214 }, { 66, 146, 198 },
		{ 33, 113, 181 }, { 8, 81, 156 }, { 8, 48, 107 }
	};
	const int ns = G_N_ELEMENTS(stops);
	double p;
	int k;

	t = CLAMP(isfinite(t) ? t : 0, 0, 1);
	p = t * (ns - 1);
	k = MIN((int)p, ns - 2);
	p -= k;
	g_snprintf(buf, n, "#%02x%02x%02x",
	           (int)round(stops[k][0] + p * (stops[k + 1][0] - stops[k][0])),
	           (int)round(stops[k][1] + p * (stops[k + 1][1] - stops[k][1])),
	           (int)round(stops[k][2] + p * (stops[k + 1][2] - stops[k][2])));
	*dark = t > 0.55;
}

void
rp_chart_heatmap(GString *o, const char *id, const char *title, int w,
                 const char *const *rows, const int *row_colour, int nrows,
                 const char *const *cols, int ncols, const double *v)
{
	const int cell_h = 24, legend_h = 46;
	int maxlen = 4, maxcol = 4, top;
	double vmax = 0, left, cell_w;
	int h;

	for (int i = 0; i < nrows; i++) {
		g_autofree char *t = rp_trim_label(rows[i], 30);
		maxlen = MAX(maxlen, (int)g_utf8_strlen(t, -1));
	}
	for (int j = 0; j < ncols; j++) {
		g_autofree char *t = rp_trim_label(cols[j], 18);
		maxcol = MAX(maxcol, (int)g_utf8_strlen(t, -1));
	}
	/* room for the column labels, rotated by 50 degrees */
	top = 22 + (int)(maxcol * 6.6 * 0.77);
	for (int64_t k = 0; k < (int64_t)nrows * ncols; k++)
		vmax = MAX(vmax, v[k]);
	if (vmax <= 0)
		vmax = 1;
	left = MIN(30 + maxlen * 7.2, w * 0.35);
	cell_w = MIN(64.0, (w - left - 70) / MAX(ncols, 1));
	h = top + nrows * cell_h + legend_h;
	svg_begin(o, id, "heatmap", title, w, h);
	for (int j = 0; j < ncols; j++) {
		g_autofree char *lab = rp_trim_label(cols[j], 18);
		double x = left + (j + 0.5) * cell_w + 4, y = top - 8;
		g_string_append(o, "<text class=\"col-label\" text-anchor=\"start\" "
		                 "transform=\"translate(");
		rp_num(o, x);
		g_string_append_c(o, ',');
		rp_num(o, y);
		g_string_append(o, ") rotate(-50)\">");
		kith_html_escape(o, lab);
		g_string_append(o, "<title>");
		kith_html_escape(o, cols[j]);
		g_string_append(o, "</title></text>\n");
	}
	for (int i = 0; i < nrows; i++) {
		g_autofree char *lab = rp_trim_label(rows[i], 30);
		double y = top + i * cell_h;
		g_string_append(o, "<rect x=\"");
		rp_num(o, left - 22);
		g_string_append(o, "\" y=\"");
		rp_num(o, y + 6);
		g_string_append_printf(o, "\" width=\"12\" height=\"12\" rx=\"2\" "
		                       "fill=\"%s\"/>\n",
		                       rp_colour(row_colour ? row_colour[i] : -1));
		text_at(o, left - 28, y + cell_h / 2.0 + 4, "bar-label", "end", lab);
		for (int j = 0; j < ncols; j++) {
			double val = v[(int64_t)i * ncols + j];
			char fill[16], pct[32];
			gboolean dark;
			blues(val / vmax, fill, sizeof(fill), &dark);
			g_string_append(o, "<rect class=\"cell\" x=\"");
			rp_num(o, left + j * cell_w);
			g_string_append(o, "\" y=\"");
			rp_num(o, y);
			g_string_append(o, "\" width=\"");
			rp_num(o, cell_w - 1);
			g_string_append_printf(o, "\" height=\"%d\" fill=\"%s\">"
			                       "<title>", cell_h - 1, fill);
			kith_html_escape(o, rows[i]);
			g_string_append(o, " · ");
			kith_html_escape(o, cols[j]);
			g_ascii_formatd(pct, sizeof(pct), "%.1f", 100 * val);
			g_string_append_printf(o, ": %s%%", pct);
			g_string_append(o, "</title></rect>\n");
			if (cell_w >= 30 && val >= 0.005) {
				g_ascii_formatd(pct, sizeof(pct), "%.0f", 100 * val);
				text_at(o, left + (j + 0.5) * cell_w, y + cell_h / 2.0 + 4,
				        dark ? "cell-label dark" : "cell-label", "middle",
				        pct);
			}
		}
	}
	/* legend: five swatches from 0 to vmax */
	{
		double y = top + nrows * cell_h + 16;
		char fill[16], buf[32];
		gboolean dark;
		text_at(o, left, y + 11, "legend", "start", "share of events:");
		for (int k = 0; k <= 4; k++) {
			double x = left + 150 + k * 70;
			blues(k / 4.0, fill, sizeof(fill), &dark);
			g_string_append(o, "<rect x=\"");
			rp_num(o, x);
			g_string_append(o, "\" y=\"");
			rp_num(o, y);
			g_string_append_printf(o, "\" width=\"16\" height=\"14\" "
			                       "stroke=\"#ccc\" fill=\"%s\"/>\n", fill);
			g_ascii_formatd(buf, sizeof(buf), "%.0f", 100 * vmax * k / 4);
			strcat(buf, "%");
			text_at(o, x + 22, y + 11, "legend", "start", buf);
		}
	}
	g_string_append(o, "</svg>\n");
}

void
rp_chart_scatter(GString *o, const char *id, const char *title, int w, int h,
                 const double *x, const double *y, const int *colour,
                 int64_t n, const char *xlabel, const char *ylabel)
{
	struct frame f = { .l = 72, .t = 14, .w = w - 72 - 20, .h = h - 14 - 52 };
	double b[4] = { INFINITY, -INFINITY, INFINITY, -INFINITY };
	double xt[16], yt[16], xs, ys;
	int nx, ny;

	extent(x, y, n, FALSE, b);
	if (!isfinite(b[0])) {
		b[0] = b[2] = -1;
		b[1] = b[3] = 1;
	}
	nx = lin_axis(b[0], b[1], 8, xt, &xs, &f.x0, &f.x1);
	ny = lin_axis(b[2], b[3], 7, yt, &ys, &f.y0, &f.y1);
	svg_begin(o, id, "scatter", title, w, h);
	x_ticks(o, &f, xt, nx, xs);
	y_ticks(o, &f, yt, ny, ys);
	axes_box(o, &f, xlabel, ylabel);
	/* grey points first so that coloured groups stay visible */
	for (int pass = 0; pass < 2; pass++) {
		for (int c = pass == 0 ? -1 : 0; c < (pass == 0 ? 0 : RP_PALETTE_N);
		     c++) {
			gboolean open = FALSE;
			for (int64_t i = 0; i < n; i++) {
				int ci = colour ? colour[i] : 0;
				if (ci >= RP_PALETTE_N)
					ci = -1;
				if (ci < 0)
					ci = -1;
				if (ci != c || !drawable(x[i], y[i], FALSE))
					continue;
				if (!open) {
					g_string_append_printf(o, "<g class=\"points\" "
					                       "fill=\"%s\" fill-opacity=\"%s\">\n",
					                       rp_colour(c),
					                       c < 0 ? "0.45" : "0.7");
					open = TRUE;
				}
				circle(o, &f, x[i], y[i], "2.4\"/>\n");
			}
			if (open)
				g_string_append(o, "</g>\n");
		}
	}
	g_string_append(o, "</svg>\n");
}
