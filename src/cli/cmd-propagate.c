/* kith propagate STORE [--emb EMB] -o PREFS [--eval-holdout F]: options
 * → one library call (kith_propagate_job_run()) → the summary.  kith
 * run's [propagate] stage sets the same options from its keys. */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "cli.h"
#include "kith/dist.h"
#include "kith/profile.h"

struct propagate_opts {
	struct kith_propagate_job job;
	char *relevance;
	gboolean json;
};

#define PO(f) offsetof(struct propagate_opts, f)
static const struct kith_cli_option propagate_options[] = {
	{ "output", 'o', G_OPTION_ARG_FILENAME, PO(job.output),
	  "preferences folder to write", "PREFS", 0 },
	{ "emb", 0, G_OPTION_ARG_FILENAME, PO(job.emb),
	  "user embeddings for the knn graph", "EMB", 0 },
	{ "graph", 0, G_OPTION_ARG_STRING, PO(job.graph),
	  "social, knn, cointeraction or a mix such as social:2,knn:1 "
	  "(default: social and knn when available, else cointeraction)",
	  "LIST", 0 },
	{ "alpha", 0, G_OPTION_ARG_DOUBLE, PO(job.params.alpha),
	  "neighbour weight in [0, 1) (0.85)", "A", 0 },
	{ "iterations", 0, G_OPTION_ARG_INT, PO(job.params.iterations),
	  "at most N iterations (50)", "N", 0 },
	{ "tol", 0, G_OPTION_ARG_DOUBLE, PO(job.params.tol),
	  "stop when no entry moves by TOL or more (1e-6)", "TOL", 0 },
	{ "kappa", 0, G_OPTION_ARG_DOUBLE, PO(job.params.kappa),
	  "evidence scale: restart weight 1 - A*K/(K + events) (10)", "K", 0 },
	{ "half-life", 0, G_OPTION_ARG_DOUBLE, PO(job.params.half_life_days),
	  "time decay of own preferences in days; 0: none (90)", "DAYS", 0 },
	{ "knn", 0, G_OPTION_ARG_INT, PO(job.params.knn),
	  "neighbours per user of the knn graph (20)", "K", 0 },
	{ "co-k", 0, G_OPTION_ARG_INT, PO(job.params.co_k),
	  "neighbours per user of the cointeraction graph (20)", "K", 0 },
	{ "co-cap", 0, G_OPTION_ARG_INT, PO(job.params.co_cap),
	  "users scanned per popular item in the cointeraction graph (200)",
	  "N", 0 },
	{ "eval-holdout", 0, G_OPTION_ARG_DOUBLE, PO(job.holdout),
	  "hide the history of this share of users and score the "
	  "predictions", "F", 0 },
	{ "eval-keep", 0, G_OPTION_ARG_DOUBLE, PO(job.keep),
	  "share of a held-out user's earliest events kept (0.2)", "F", 0 },
	{ "eval-relevance", 0, G_OPTION_ARG_STRING, PO(relevance),
	  "relevance of a category: share (default) or lift (share above "
	  "the popularity share)", "R", 0 },
	{ "json", 0, G_OPTION_ARG_NONE, PO(json),
	  "print the evaluation (or summary) as JSON", NULL, 0 },
};

static void
propagate_init(void *p)
{
	struct propagate_opts *o = p;
	kith_propagate_job_init(&o->job);
	o->relevance = NULL;
	o->json = FALSE;
}

static void
propagate_clear(void *p)
{
	struct propagate_opts *o = p;
	kith_propagate_job_clear(&o->job);
	g_clear_pointer(&o->relevance, g_free);
}

static int
propagate_check(void *op, int argc, char **argv)
{
	struct propagate_opts *o = op;
	struct kith_propagate_job *j = &o->job;
	const struct kith_propagate_params *p = &j->params;

	if (argc != 2)
		return kith_cli_usage("propagate", "expected one STORE");
	if (!j->output)
		return kith_cli_usage("propagate", "-o PREFS is required");
	if (!(p->alpha >= 0 && p->alpha < 1))
		return kith_cli_usage("propagate", "--alpha must be in [0, 1)");
	if (p->iterations < 0 || !(p->tol >= 0) || !(p->kappa > 0) ||
	    p->half_life_days < 0)
		return kith_cli_usage("propagate", "--iterations, --tol and "
		                      "--half-life must not be negative, "
		                      "--kappa must be positive");
	if (p->knn < 1 || p->co_k < 1 || p->co_cap < 0)
		return kith_cli_usage("propagate", "--knn and --co-k must be "
		                      "positive");
	if (j->holdout != 0 && !(j->holdout > 0 && j->holdout < 1))
		return kith_cli_usage("propagate", "--eval-holdout must be in "
		                      "(0, 1)");
	if (o->relevance && !kith_relevance_parse(&j->relevance, o->relevance))
		return kith_cli_usage("propagate", "unknown --eval-relevance "
		                      "'%s' (share or lift)", o->relevance);
	if (!(j->keep >= 0 && j->keep < 1))
		return kith_cli_usage("propagate", "--eval-keep must be in "
		                      "[0, 1)");
	if (j->holdout > 0 && kith_dist_size() > 1)
		return kith_cli_usage("propagate", "--eval-holdout runs on one "
		                      "machine, not under mpirun with %d ranks",
		                      kith_dist_size());
	return 0;
}

static void
put_json_num(const char *name, double v, gboolean comma)
{
	if (isfinite(v))
		printf("  \"%s\": %.6f%s\n", name, v, comma ? "," : "");
	else
		printf("  \"%s\": null%s\n", name, comma ? "," : "");
}

static void
print_summary(const struct kith_propagate_summary *r, gboolean json)
{
	const struct kith_propagate_eval *evr = &r->eval;
	const struct kith_propagate_dist_info *di = &r->dist;

	if (json && r->has_eval) {
		printf("{\n");
		put_json_num("ndcg@3", evr->ndcg3, TRUE);
		put_json_num("accuracy@1", evr->acc1, TRUE);
		put_json_num("baseline_popularity_ndcg@3", evr->pop_ndcg3, TRUE);
		put_json_num("baseline_popularity_accuracy@1", evr->pop_acc1,
		             TRUE);
		put_json_num("baseline_own_ndcg@3", evr->own_ndcg3, TRUE);
		printf("  \"users_held_out\": %" G_GINT64_FORMAT "\n}\n",
		       evr->users_held_out);
		return;
	}
	if (json) {
		printf("{\n  \"graph\": \"%s\",\n  \"graph_entries\": %"
		       G_GINT64_FORMAT ",\n  \"iterations\": %d,\n"
		       "  \"converged\": %s,\n  \"seconds\": %.3f\n}\n", r->graph,
		       r->graph_entries, r->iterations,
		       r->converged ? "true" : "false", r->seconds);
		return;
	}
	printf("graph %s (%" G_GINT64_FORMAT " entries, %.2f s)\n", r->graph,
	       r->graph_entries, r->seconds_graph);
	printf("iterations %d (%s)\n", r->iterations,
	       r->converged ? "converged" : "not converged");
	if (r->distributed)
		printf("mpi ranks %d  halo users %" G_GINT64_FORMAT "  bytes per "
		       "iteration %" G_GUINT64_FORMAT " (formula 4 (c + 1) H + 8 P: "
		       "%" G_GINT64_FORMAT ")\n", di->ranks, di->halo,
		       di->bytes_per_iteration,
		       kith_propagate_dist_bytes_formula(di, r->n_categories));
	if (r->has_eval) {
		printf("held-out users %" G_GINT64_FORMAT " (%" G_GINT64_FORMAT
		       " with partial history)\n", evr->users_held_out,
		       evr->users_partial);
		printf("ndcg@3      kith %.4f  popularity %.4f  own %.4f\n",
		       evr->ndcg3, evr->pop_ndcg3, evr->own_ndcg3);
		printf("accuracy@1  kith %.4f  popularity %.4f  own %.4f\n",
		       evr->acc1, evr->pop_acc1, evr->own_acc1);
	}
	printf("seconds %.2f\n", r->seconds);
}

static int
propagate_exec(void *p, const char *store, struct kith_cli *cli)
{
	struct propagate_opts *o = p;
	struct kith_cli_note note = { cli, "propagate" };
	struct kith_propagate_summary r;
	GError *err = NULL;
	int rc = 0;

	g_free(o->job.store);
	o->job.store = g_strdup(store);
	o->job.seed = (uint64_t)cli->seed;
	o->job.max_memory = cli->max_memory;
	o->job.note = kith_cli_note;
	o->job.note_data = &note;
	if (!kith_propagate_job_run(&o->job, &r, &err))
		rc = kith_cli_fail("propagate", err);
	else if (r.written)
		print_summary(&r, o->json);
	kith_propagate_summary_clear(&r);
	return rc;
}

const struct kith_cli_stage kith_cli_stage_propagate = {
	"propagate", "STORE", "diffuse category preferences over a user graph",
	"Writes prefs.npy, prefs.tsv and manifest.json.\n"
	"See kith-propagate(1).",
	propagate_options, G_N_ELEMENTS(propagate_options),
	sizeof(struct propagate_opts), propagate_init, propagate_clear,
	propagate_check, propagate_exec,
	NULL, 0, 0, FALSE
};

int
cmd_propagate(int argc, char **argv, struct kith_cli *cli)
{
	return kith_cli_stage_main(&kith_cli_stage_propagate, argc, argv, cli);
}
