/*
 * Internals of the report: the chart primitives (svg.c), the report model
 * that report.c fills and json.c, markdown.c and html.c render.
 */
#ifndef KITH_REPORT_INTERNAL_H
#define KITH_REPORT_INTERNAL_H

#include <glib.h>
#include <stdint.h>

#include <json-glib/json-glib.h>

#include "kith/core.h"
#include "kith/report.h"

/* ------------------------------------------------------------ svg.c */

/* Fixed qualitative palette (Tableau 10 plus two), in order of community
 * size; index < 0 or >= RP_PALETTE_N gives RP_GREY. */
#define RP_PALETTE_N 12
#define RP_GREY "#b5b5b5"
const char *rp_colour(int idx);

/* ------------------------------------------------------------ format.c */

/* Number formatting, C locale whatever the process locale is. */
void rp_num(GString *out, double v);                 /* "%.1f" */
void rp_fmt_count(char *buf, size_t n, double v);    /* "1,234,567" */
void rp_fmt_short(char *buf, size_t n, double v);    /* "1.2k" "3.4M" */
void rp_fmt_g(char *buf, size_t n, double v, int digits); /* "%.*g" */
/* Label cut to at most max characters (UTF-8 aware, "…" appended);
 * caller frees. */
char *rp_trim_label(const char *s, int max);
/* "2024-01-01" from unix seconds into buf; "unknown" for INT64_MIN. */
void rp_fmt_date(char *buf, size_t n, int64_t t);
/* Appenders for the HTML and Markdown renderers: rp_fmt_count,
 * rp_fmt_g, a share v in [0, 1] as "12.3<space>%" ("–" when not
 * finite), and the first max non-empty fields of a '|'-joined list v
 * passed through esc and joined with ", " (none when there is none). */
void rp_put_count(GString *o, double v);
void rp_put_g(GString *o, double v, int digits);
void rp_put_pct(GString *o, double v, const char *space);
void rp_put_list(GString *o, const char *v, int max,
                 void (*esc)(GString *, const char *), const char *none);

/* ------------------------------------------------------------ svg.c */

struct rp_series {
	const char *name;
	const double *x;
	const double *y;
	int64_t n;
	int colour;          /* palette index */
	gboolean dots;       /* draw points (else a line) */
};

struct rp_bar {
	const char *label;
	double value;
	int colour;          /* palette index; -1 grey */
	const char *value_text;  /* NULL: formatted value */
};

/* Each chart is an <svg> element with the given id and class "chart"
 * plus the chart kind ("chart loglog", "chart bars", ...), a <title>,
 * axis labels and ticks.  Strings are escaped. */
void rp_chart_loglog(GString *o, const char *id, const char *title, int w,
                     int h, const struct rp_series *s, int ns,
                     const char *xlabel, const char *ylabel);
void rp_chart_lines(GString *o, const char *id, const char *title, int w,
                    int h, const struct rp_series *s, int ns,
                    const char *xlabel, const char *ylabel);
void rp_chart_hbars(GString *o, const char *id, const char *title, int w,
                    const struct rp_bar *b, int n, const char *xlabel);
/* v is nrows x ncols in [0, 1] (shares); cells are labelled in percent. */
void rp_chart_heatmap(GString *o, const char *id, const char *title, int w,
                      const char *const *rows, const int *row_colour,
                      int nrows, const char *const *cols, int ncols,
                      const double *v);
void rp_chart_scatter(GString *o, const char *id, const char *title, int w,
                      int h, const double *x, const double *y,
                      const int *colour, int64_t n, const char *xlabel,
                      const char *ylabel);

/* ------------------------------------------------------------ model */

/* One row of a grouped figure: a community, a segment, a reject reason,
 * a legend entry.  Numbers are NAN when unknown. */
struct rp_group {
	char *label;
	int64_t id;              /* community id; -1 for merged rows */
	int64_t size;
	int colour;              /* palette index, -1 grey */
	gboolean merged;         /* an "other ..." row */
	double density, conductance, mean_rfm;
	char *top_categories, *top_items, *central;  /* '|'-joined or NULL */
	double recency, frequency, monetary;
};

struct rp_series_data {
	char *name;
	GArray *x;               /* double */
	GArray *y;
};

struct rp_influencer {
	char *user;
	double v[10];            /* the influence.npy columns */
	int64_t community;       /* -1 none or suppressed */
	int colour;
};

enum { RP_DEG_USERS, RP_DEG_ITEMS, RP_DEG_SOCIAL, RP_DEG_N };

struct rp_model {
	char *title, *created, *store_path, *store_created;
	gboolean pseudonymized;
	int64_t min_group;

	int64_t users, items, events, interactions, social_pairs, categories;
	int64_t event_types;
	gboolean directed;
	int64_t ts_min, ts_max;          /* INT64_MIN when unknown */

	struct rp_series_data deg[RP_DEG_N];
	gboolean deg_binned[RP_DEG_N];
	int64_t deg_zero[RP_DEG_N];
	int64_t deg_max[RP_DEG_N];
	double deg_mean[RP_DEG_N];

	gboolean has_comm;
	char *comm_path, *comm_method, *comm_graph;
	double modularity, resolution, nmi, ari;
	int64_t n_comm, n_assigned, n_unassigned;
	GPtrArray *comms;                /* struct rp_group *, as shown */
	int64_t comm_supp_groups, comm_supp_users;
	gboolean comm_supp_shown;        /* merged row big enough to show */
	int64_t comm_rest_groups, comm_rest_users;
	int mix_rows, mix_cols;
	char **mix_row_labels, **mix_col_labels;
	int *mix_row_colour;
	double *mix;                     /* mix_rows x mix_cols shares */

	gboolean has_prof;
	char *prof_path, *segment_rules;
	int64_t prof_users, cold_users;
	GPtrArray *segs;                 /* struct rp_group * */
	int64_t seg_supp_groups, seg_supp_users;
	gboolean seg_supp_shown;

	gboolean has_infl;
	char *infl_path, *betweenness;
	double damping;
	GPtrArray *top;                  /* struct rp_influencer * */
	double pr_top1, pr_top10;        /* share of PageRank held by top 1 %/10 % */

	gboolean has_prefs;
	char *prefs_path, *prefs_graph;
	double alpha;
	int64_t iterations;
	gboolean converged, has_eval;
	double ndcg, acc, pop_ndcg, pop_acc, own_ndcg;
	int64_t held_out;

	gboolean has_emb;
	char *emb_path, *emb_model;
	int dim;
	int64_t cov_rows;
	double explained[2];
	GArray *px, *py;                 /* double */
	GArray *pc;                      /* int palette index */
	GPtrArray *legend;               /* struct rp_group * */
	GPtrArray *curve;                /* struct rp_series_data * */

	gboolean has_dq;
	char *dq_source;
	int64_t dq_lines, dq_accepted, dq_rejected;
	GPtrArray *reasons;              /* struct rp_group * */
	GPtrArray *dq_files;             /* struct rp_group *: label kind,
	                                    size accepted, id rejected,
	                                    recency = lines */
	GPtrArray *unknown_types;        /* char * */

	GPtrArray *notes;                /* omitted sections: char * */
	GPtrArray *warnings;             /* char * */
};

void rp_model_free(struct rp_model *m);
/* Fills m from the store and the folders of opt. */
gboolean rp_model_build(struct rp_model *m, struct kith_store *s,
                        const struct kith_report_options *opt,
                        GError **error);
/* Renderers (caller frees the strings / node). */
/* The sections of a report, in the order every renderer writes them.
 * Each renderer (HTML, Markdown, JSON) has one function per section in a
 * table indexed by this enum; a section absent from the model is skipped
 * (HTML, Markdown) or written as null (JSON) by its own function.  A new
 * section is a new entry here plus one function in each renderer. */
enum rp_section {
	RP_SEC_SUMMARY,
	RP_SEC_DEGREE,
	RP_SEC_COMMUNITIES,
	RP_SEC_SEGMENTS,
	RP_SEC_INFLUENCE,
	RP_SEC_PROPAGATION,
	RP_SEC_EMBEDDING,
	RP_SEC_DATA_QUALITY,
	RP_SEC_OMITTED,
	RP_SEC_N
};

/* Anchor id and table-of-contents title of each section. */
struct rp_section_info {
	const char *id;
	const char *title;
};
extern const struct rp_section_info rp_sections[RP_SEC_N];

/* TRUE when the model holds the data of section s. */
gboolean rp_section_present(const struct rp_model *m, enum rp_section s);

JsonNode *rp_render_json(const struct rp_model *m);
char *rp_render_markdown(const struct rp_model *m);
char *rp_render_html(const struct rp_model *m);

#endif
