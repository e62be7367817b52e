/*
 * Number and text formatting shared by the report renderers (svg.c,
 * html.c, render-md.c, render-json.c): numbers in the C locale whatever
 * the process locale is, thousands separators, short "1.2k" forms, dates,
 * and the GString appenders the HTML and Markdown tables use.
 * Cost: O(length of the text) per call.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "report/report-internal.h"

void
rp_num(GString *out, double v)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];
	if (!isfinite(v))
		v = 0;
	g_ascii_formatd(buf, sizeof(buf), "%.1f", v);
	if (strcmp(buf, "-0.0") == 0)
		g_strlcpy(buf, "0.0", sizeof(buf));
	g_string_append(out, buf);
}

void
rp_fmt_g(char *buf, size_t n, double v, int digits)
{
	char fmt[16];
	if (!isfinite(v)) {
		g_strlcpy(buf, isnan(v) ? "–" : (v > 0 ? "∞" : "-∞"), n);
		return;
	}
	g_snprintf(fmt, sizeof(fmt), "%%.%dg", digits);
	g_ascii_formatd(buf, n, fmt, v);
}

void
rp_fmt_count(char *buf, size_t n, double v)
{
	char digits[64];
	char tmp[96];
	size_t len, k = 0;
	int neg = v < 0;

	if (!isfinite(v)) {
		rp_fmt_g(buf, n, v, 3);
		return;
	}
	g_snprintf(digits, sizeof(digits), "%.0f", fabs(v));
	len = strlen(digits);
	if (neg)
		tmp[k++] = '-';
	for (size_t i = 0; i < len && k + 2 < sizeof(tmp); i++) {
		if (i > 0 && (len - i) % 3 == 0)
			tmp[k++] = ',';
		tmp[k++] = digits[i];
	}
	tmp[k] = '\0';
	g_strlcpy(buf, tmp, n);
}

void
rp_fmt_short(char *buf, size_t n, double v)
{
	double a = fabs(v);
	char num[G_ASCII_DTOSTR_BUF_SIZE];
	const char *suffix = "";

	if (a >= 1e9) {
		v /= 1e9;
		suffix = "G";
	} else if (a >= 1e6) {
		v /= 1e6;
		suffix = "M";
	} else if (a >= 1e4) {
		v /= 1e3;
		suffix = "k";
	}
	if (*suffix == '\0' && v == floor(v) && fabs(v) < 1e4)
		g_ascii_formatd(num, sizeof(num), "%.0f", v);
	else
		g_ascii_formatd(num, sizeof(num), "%.3g", v);
	g_snprintf(buf, n, "%s%s", num, suffix);
}

char *
rp_trim_label(const char *s, int max)
{
	if (s == NULL)
		return g_strdup("");
	if (!g_utf8_validate(s, -1, NULL))
		return g_utf8_make_valid(s, -1);
	if (g_utf8_strlen(s, -1) <= max)
		return g_strdup(s);
	g_autofree char *head = g_utf8_substring(s, 0, max - 1);
	return g_strconcat(head, "…", NULL);
}

void
rp_fmt_date(char *buf, size_t n, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t == INT64_MIN || gmtime_r(&tt, &tm) == NULL)
		g_strlcpy(buf, "unknown", n);
	else
		strftime(buf, n, "%Y-%m-%d", &tm);
}

void
rp_put_count(GString *o, double v)
{
	char b[64];
	rp_fmt_count(b, sizeof(b), v);
	g_string_append(o, b);
}

void
rp_put_g(GString *o, double v, int digits)
{
	char b[64];
	rp_fmt_g(b, sizeof(b), v, digits);
	g_string_append(o, b);
}

void
rp_put_pct(GString *o, double v, const char *space)
{
	char b[64];
	if (!isfinite(v)) {
		g_string_append(o, "–");
		return;
	}
	g_ascii_formatd(b, sizeof(b), "%.1f", 100 * v);
	g_string_append_printf(o, "%s%s%%", b, space);
}

void
rp_put_list(GString *o, const char *v, int max,
            void (*esc)(GString *, const char *), const char *none)
{
	g_auto(GStrv) parts = g_strsplit(v ? v : "", "|", -1);
	int k = 0;
	for (int i = 0; parts[i] && k < max; i++) {
		if (!*parts[i])
			continue;
		if (k++)
			g_string_append(o, ", ");
		esc(o, parts[i]);
	}
	if (k == 0)
		g_string_append(o, none);
}

const struct rp_section_info rp_sections[RP_SEC_N] = {
	[RP_SEC_SUMMARY] = { "cards", "Summary" },
	[RP_SEC_DEGREE] = { "degree", "Degrees" },
	[RP_SEC_COMMUNITIES] = { "communities", "Communities" },
	[RP_SEC_SEGMENTS] = { "segments", "Segments" },
	[RP_SEC_INFLUENCE] = { "influencers", "Influencers" },
	[RP_SEC_PROPAGATION] = { "propagation", "Propagation" },
	[RP_SEC_EMBEDDING] = { "embedding", "Embedding" },
	[RP_SEC_DATA_QUALITY] = { "data-quality", "Data quality" },
	[RP_SEC_OMITTED] = { "omitted", "Not included" },
};

gboolean
rp_section_present(const struct rp_model *m, enum rp_section s)
{
	switch (s) {
	case RP_SEC_COMMUNITIES: return m->has_comm;
	case RP_SEC_SEGMENTS: return m->has_prof;
	case RP_SEC_INFLUENCE: return m->has_infl;
	case RP_SEC_PROPAGATION: return m->has_prefs;
	case RP_SEC_EMBEDDING: return m->has_emb;
	case RP_SEC_OMITTED: return m->notes->len > 0;
	default: return TRUE;
	}
}
