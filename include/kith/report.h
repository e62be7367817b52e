/*
 * kith report: gathers a store and the analytics folders made from it
 * (PROFILES/, COMM/, INFL/, PREFS/, EMB/) into one report folder holding
 * report.json (machine readable, "schema_version" 1, every figure the page
 * shows), report.md and report.html (one self-contained page, no scripts,
 * no external resources, inline SVG charts), plus manifest.json.
 *
 * Also the two numerical helpers the report uses and tests check: the
 * top-2 principal axes of a row sample (power iteration with deflation on
 * the d x d covariance) and "nice" axis ticks.
 */
#ifndef KITH_REPORT_H
#define KITH_REPORT_H

#include <glib.h>
#include <stdint.h>

#include "kith/store.h"

G_BEGIN_DECLS

#define KITH_REPORT_FORMAT "kith-report"
#define KITH_REPORT_SCHEMA 1

struct kith_report_options {
	const char *profiles;      /* folders; NULL when not given */
	const char *communities;
	const char *influence;
	const char *prefs;
	const char *emb;
	const char *title;         /* NULL: "kith report: <store name>" */
	int64_t min_group;         /* groups smaller than this are merged
	                              into "other (suppressed)"; default 10 */
	int top;                   /* rows of the influencer table (20) */
	int max_points;            /* points of the projection plot (3000) */
	uint64_t seed;             /* sampling of the projection */
};

/* Fills *o with the defaults. */
void kith_report_options_init(struct kith_report_options *o);

/* Writes the report folder OUT atomically from the opened store s and the
 * folders named in opt.  Each input folder must be the format it is given
 * as (KITH_ERROR_USAGE otherwise) and have as many users as the store
 * (KITH_ERROR_DATA otherwise).  Sections whose input is missing are
 * omitted with a note.  Never reads anything beside the named folders.
 * Errors: KITH_ERROR_IO, KITH_ERROR_CORRUPT, KITH_ERROR_DATA,
 * KITH_ERROR_USAGE, KITH_ERROR_NOMEM. */
gboolean kith_report_write(const char *out, struct kith_store *s,
                           const struct kith_report_options *opt,
                           GError **error);

/* kith report as one library call: opens the store STORE_PATH and writes
 * the report folder OUT as kith_report_write().  Errors of
 * kith_store_open() too. */
gboolean kith_report_make(const char *out, const char *store_path,
                          const struct kith_report_options *opt,
                          GError **error);

/* Top-2 principal axes of the n x d row-major float matrix X restricted to
 * the rows in `rows` (n_rows of them; NULL: all n rows).  Writes the mean
 * (d doubles), the axes (2 x d, unit length, sign fixed so that the
 * largest |component| is positive) and the two eigenvalues of the sample
 * covariance into mean, axes, eig; *total gets its trace.  O(n_rows d^2 +
 * iters d^2).  Deterministic.  FALSE with KITH_ERROR_NOMEM on allocation
 * failure, KITH_ERROR_DATA when d < 1 or n_rows < 2. */
gboolean kith_pca2(const float *X, int64_t n, int d, const int64_t *rows,
                   int64_t n_rows, double *mean, double *axes, double *eig,
                   double *total, GError **error);

/* "Nice" ticks covering [lo, hi] (1, 2, 2.5 or 5 times a power of ten):
 * writes at most max_ticks values (max_ticks >= 2) into ticks and returns
 * their count; *step gets the spacing.  lo == hi widens the range. */
int kith_nice_ticks(double lo, double hi, int max_ticks, double *ticks,
                    double *step);

/* Appends s to out with & < > " ' escaped for HTML text and attributes. */
void kith_html_escape(GString *out, const char *s);

G_END_DECLS

#endif
