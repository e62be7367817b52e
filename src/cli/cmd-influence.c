/* kith influence STORE -o INFL [--graph G] [--seeds FILE] [--samples N]
 * [--top N]: options → one library call (kith_influence_job_run()) → the
 * summary.  kith run's [influence] stage sets the same options from its
 * keys. */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kith/community.h"
#include "kith/dist.h"
#include "kith/store.h"

/* Column j of user u with fmt, "-" in width w when absent or not finite. */
static void
print_col(const struct kith_influence *r, int j, int64_t u, const char *fmt,
          int w)
{
	if (r->col[j] && isfinite(r->col[j][u]))
		printf(fmt, r->col[j][u]);
	else
		printf("%*s", w, "-");
}

struct influence_opts {
	struct kith_influence_job job;
	gboolean json;
};

#define IO(f) offsetof(struct influence_opts, f)
static const struct kith_cli_option influence_options[] = {
	{ "output", 'o', G_OPTION_ARG_FILENAME, IO(job.output),
	  "influence folder to write", "INFL", 0 },
	{ "graph", 0, G_OPTION_ARG_STRING, IO(job.graph),
	  "social or cointeraction (social when the store has links, else "
	  "cointeraction)", "G", 0 },
	{ "neighbours", 'k', G_OPTION_ARG_INT, IO(job.neighbours),
	  "neighbours per user of the cointeraction graph (30)", "K", 0 },
	{ "seeds", 0, G_OPTION_ARG_FILENAME, IO(job.seeds),
	  "user ids, one per line, for personalised PageRank", "FILE", 0 },
	{ "damping", 0, G_OPTION_ARG_DOUBLE, IO(job.opts.damping),
	  "PageRank damping factor (0.85)", "D", 0 },
	{ "samples", 0, G_OPTION_ARG_INT64, IO(job.opts.samples),
	  "betweenness source samples on large graphs (200, fewer above "
	  "1.5M links)", "N", 0 },
	{ "exact-limit", 0, G_OPTION_ARG_INT64, IO(job.opts.exact_limit),
	  "exact betweenness up to this many linked users (5000)", "N", 0 },
	{ "window-days", 0, G_OPTION_ARG_DOUBLE, IO(job.opts.window_days),
	  "behavioural influence window in days (30)", "DAYS", 0 },
	{ "top", 0, G_OPTION_ARG_INT, IO(job.top),
	  "users listed in the summary and the manifest (20)", "N", 0 },
	{ "json", 0, G_OPTION_ARG_NONE, IO(json),
	  "print the summary as JSON", NULL, 0 },
	{ "pagerank-only", 0, G_OPTION_ARG_NONE, IO(job.opts.pagerank_only),
	  "only PageRank (and personalised PageRank): what runs under "
	  "mpirun with several ranks", NULL, 0 },
};

static void
influence_init(void *p)
{
	struct influence_opts *o = p;
	kith_influence_job_init(&o->job);
	o->json = FALSE;
}

static void
influence_clear(void *p)
{
	kith_influence_job_clear(&((struct influence_opts *)p)->job);
}

static int
influence_check(void *p, int argc, char **argv)
{
	const struct kith_influence_job *j = &((struct influence_opts *)p)->job;
	const struct kith_influence_opts *o = &j->opts;
	enum kith_ugraph g;

	if (argc != 2)
		return kith_cli_usage("influence", "expected one STORE");
	if (!j->output)
		return kith_cli_usage("influence", "-o INFL is required");
	if (!(o->damping >= 0 && o->damping < 1))
		return kith_cli_usage("influence", "--damping must be in [0, 1)");
	if (j->graph && (!kith_ugraph_parse(&g, j->graph) ||
	                 g == KITH_UGRAPH_KNN))
		return kith_cli_usage("influence", "unknown graph '%s' (social, "
		                      "cointeraction)", j->graph);
	if (j->neighbours < 1)
		return kith_cli_usage("influence", "--neighbours must be at "
		                      "least 1");
	if (o->samples < 0 || o->exact_limit < 0 || j->top < 0)
		return kith_cli_usage("influence", "--samples, --exact-limit and "
		                      "--top must not be negative");
	if (!(o->window_days >= 0) || !isfinite(o->window_days))
		return kith_cli_usage("influence", "--window-days must not be "
		                      "negative");
	if (kith_dist_size() > 1 && !o->pagerank_only)
		return kith_cli_usage("influence", "under mpirun with %d ranks "
		                      "only PageRank is distributed: add "
		                      "--pagerank-only (k-core, betweenness, "
		                      "two-hop reach and behavioural influence "
		                      "run on one machine)", kith_dist_size());
	return 0;
}

/* "kith influence: MSG", even with --quiet. */
static void
warn(void *data, const char *msg)
{
	(void)data;
	fprintf(stderr, "kith influence: %s\n", msg);
}

static int
print_json(const char *out)
{
	g_autofree char *mpath = g_build_filename(out, "manifest.json", NULL);
	g_autofree char *text = NULL;

	if (!g_file_get_contents(mpath, &text, NULL, NULL))
		return kith_cli_fail("influence", g_error_new(KITH_ERROR,
		                     KITH_ERROR_IO, "cannot read '%s'", mpath));
	fputs(text, stdout);
	if (text[0] && text[strlen(text) - 1] != '\n')
		putchar('\n');
	return 0;
}

static void
print_text(const struct kith_influence_summary *sum, int top_n,
           gboolean pagerank_only)
{
	const struct kith_influence *r = &sum->result;
	g_autofree int64_t *top = g_new(int64_t, MAX(top_n, 1));
	int64_t nt = kith_influence_top(top, r, top_n);

	printf("users %" G_GINT64_FORMAT "  links %" G_GINT64_FORMAT
	       " (%s%s%s)  betweenness %s", r->n_users, r->n_edges,
	       sum->graph == KITH_UGRAPH_SOCIAL ? "" : "cointeraction, ",
	       r->directed ? "directed" : "undirected",
	       r->weighted ? ", weighted" : "",
	       pagerank_only ? "not computed"
	       : r->betweenness_sampled ? "sampled" : "exact");
	if (r->betweenness_sampled)
		printf(" (%" G_GINT64_FORMAT " sources, relative error %.3f)",
		       r->samples, r->betweenness_rse);
	if (r->distributed)
		printf("\nmpi ranks %d  pagerank iterations %d (%s)  halo "
		       "users %" G_GINT64_FORMAT "  bytes per iteration %"
		       G_GUINT64_FORMAT " (formula 8 H + 16 P: %"
		       G_GINT64_FORMAT ")", r->dist.ranks, r->dist.iterations,
		       r->dist.converged ? "converged" : "not converged",
		       r->dist.halo, r->dist.bytes_per_iteration,
		       kith_pagerank_dist_bytes_formula(&r->dist));
	printf("\n\n%4s %-20s %12s %8s %6s %12s %9s %12s\n", "rank",
	       "user", "pagerank", "degree", "kcore", "betweenness",
	       "two_hop", "behavioural");
	for (int64_t j = 0; j < nt; j++) {
		int64_t u = top[j];
		printf("%4" G_GINT64_FORMAT " %-20s", j + 1,
		       sum->store->user_ids[u]);
		print_col(r, KITH_INFL_PAGERANK, u, " %12.6g", 12);
		print_col(r, KITH_INFL_IN_DEGREE, u, " %8.0f", 8);
		print_col(r, KITH_INFL_KCORE, u, " %6.0f", 6);
		print_col(r, KITH_INFL_BETWEENNESS, u, " %12.6g", 12);
		print_col(r, KITH_INFL_TWO_HOP, u, " %9.0f", 9);
		print_col(r, KITH_INFL_BEHAVIOURAL, u, " %12.4g", 12);
		printf("\n");
	}
	printf("seconds %.2f\n", sum->seconds);
}

static int
influence_exec(void *p, const char *store, struct kith_cli *cli)
{
	struct influence_opts *o = p;
	struct kith_cli_note note = { cli, "influence" };
	struct kith_influence_summary r;
	GError *err = NULL;
	int rc = 0;

	g_free(o->job.store);
	o->job.store = g_strdup(store);
	o->job.opts.seed = (uint64_t)cli->seed;
	o->job.max_memory = cli->max_memory;
	o->job.note = kith_cli_note;
	o->job.warn = warn;
	o->job.note_data = &note;
	if (!kith_influence_job_run(&o->job, &r, &err))
		rc = kith_cli_fail("influence", err);
	else if (r.written && o->json)
		rc = print_json(o->job.output);
	else if (r.written)
		print_text(&r, o->job.top, o->job.opts.pagerank_only);
	kith_influence_summary_clear(&r);
	return rc;
}

const struct kith_cli_stage kith_cli_stage_influence = {
	"influence", "STORE", "rank users by influence",
	"Writes influence.tsv, influence.npy and manifest.json.\n"
	"See kith-influence(1).",
	influence_options, G_N_ELEMENTS(influence_options),
	sizeof(struct influence_opts), influence_init, influence_clear,
	influence_check, influence_exec,
	NULL, 0, 0, FALSE
};

int
cmd_influence(int argc, char **argv, struct kith_cli *cli)
{
	return kith_cli_stage_main(&kith_cli_stage_influence, argc, argv, cli);
}
