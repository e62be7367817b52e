/* kith propagate STORE [--emb EMB] -o PREFS [--eval-holdout F] */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kith/dist.h"
#include "kith/emb.h"
#include "kith/profile.h"
#include "kith/store.h"

static void
put_json_num(const char *name, double v, gboolean comma)
{
	if (isfinite(v))
		printf("  \"%s\": %.6f%s\n", name, v, comma ? "," : "");
	else
		printf("  \"%s\": null%s\n", name, comma ? "," : "");
}

int
cmd_propagate(int argc, char **argv, struct kith_cli *cli)
{
	g_autofree char *out = NULL, *emb_path = NULL, *graph = NULL;
	struct kith_propagate_params p;
	double holdout = 0, keep = 0.2;
	g_autofree char *relname = NULL;
	enum kith_relevance relevance = KITH_REL_SHARE;
	gboolean json = FALSE;

	kith_propagate_params_init(&p);
	GOptionEntry entries[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
		  "preferences folder to write", "PREFS" },
		{ "emb", 0, 0, G_OPTION_ARG_FILENAME, &emb_path,
		  "user embeddings for the knn graph", "EMB" },
		{ "graph", 0, 0, G_OPTION_ARG_STRING, &graph,
		  "social, knn, cointeraction or a mix such as social:2,knn:1 "
		  "(default: social and knn when available, else "
		  "cointeraction)", "LIST" },
		{ "alpha", 0, 0, G_OPTION_ARG_DOUBLE, &p.alpha,
		  "neighbour weight in [0, 1) (0.85)", "A" },
		{ "iterations", 0, 0, G_OPTION_ARG_INT, &p.iterations,
		  "at most N iterations (50)", "N" },
		{ "tol", 0, 0, G_OPTION_ARG_DOUBLE, &p.tol,
		  "stop when no entry moves by TOL or more (1e-6)", "TOL" },
		{ "kappa", 0, 0, G_OPTION_ARG_DOUBLE, &p.kappa,
		  "evidence scale: restart weight 1 - A*K/(K + events) (10)",
		  "K" },
		{ "half-life", 0, 0, G_OPTION_ARG_DOUBLE, &p.half_life_days,
		  "time decay of own preferences in days; 0: none (90)", "DAYS" },
		{ "knn", 0, 0, G_OPTION_ARG_INT, &p.knn,
		  "neighbours per user of the knn graph (20)", "K" },
		{ "co-k", 0, 0, G_OPTION_ARG_INT, &p.co_k,
		  "neighbours per user of the cointeraction graph (20)", "K" },
		{ "co-cap", 0, 0, G_OPTION_ARG_INT, &p.co_cap,
		  "users scanned per popular item in the cointeraction graph "
		  "(200)", "N" },
		{ "eval-holdout", 0, 0, G_OPTION_ARG_DOUBLE, &holdout,
		  "hide the history of this share of users and score the "
		  "predictions", "F" },
		{ "eval-keep", 0, 0, G_OPTION_ARG_DOUBLE, &keep,
		  "share of a held-out user's earliest events kept (0.2)", "F" },
		{ "eval-relevance", 0, 0, G_OPTION_ARG_STRING, &relname,
		  "relevance of a category: share (default) or lift (share "
		  "above the popularity share)", "R" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json,
		  "print the evaluation (or summary) as JSON", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = kith_cli_context(
		"propagate", "STORE", "diffuse category preferences over a "
		"user graph",
		"Writes prefs.npy, prefs.tsv and manifest.json.\n"
		"See kith-propagate(1).", entries, cli);
	GError *err = NULL;
	int rc = kith_cli_parse(ctx, &argc, &argv, cli);

	if (rc)
		return rc;
	if (argc != 2)
		return kith_cli_usage("propagate", "expected one STORE");
	if (!out)
		return kith_cli_usage("propagate", "-o PREFS is required");
	if (!(p.alpha >= 0 && p.alpha < 1))
		return kith_cli_usage("propagate", "--alpha must be in [0, 1)");
	if (p.iterations < 0 || !(p.tol >= 0) || !(p.kappa > 0) ||
	    p.half_life_days < 0)
		return kith_cli_usage("propagate", "--iterations, --tol and "
		                      "--half-life must not be negative, "
		                      "--kappa must be positive");
	if (p.knn < 1 || p.co_k < 1 || p.co_cap < 0)
		return kith_cli_usage("propagate", "--knn and --co-k must be "
		                      "positive");
	if (holdout != 0 && !(holdout > 0 && holdout < 1))
		return kith_cli_usage("propagate", "--eval-holdout must be in "
		                      "(0, 1)");
	if (relname && !kith_relevance_parse(&relevance, relname))
		return kith_cli_usage("propagate", "unknown --eval-relevance "
		                      "'%s' (share or lift)", relname);
	if (!(keep >= 0 && keep < 1))
		return kith_cli_usage("propagate", "--eval-keep must be in "
		                      "[0, 1)");
	if (holdout > 0 && kith_dist_size() > 1)
		return kith_cli_usage("propagate", "--eval-holdout runs on one "
		                      "machine, not under mpirun with %d ranks",
		                      kith_dist_size());
	gboolean dist = kith_dist_active();

	double t0 = kith_now();
	g_autoptr(kith_store) s = NULL;
	g_autoptr(kith_emb) e = NULL;
	if (!kith_cli_open_store_emb(argv[1], emb_path, &s, &e, &err))
		return kith_cli_fail("propagate", err);
	if (s->n_categories == 0)
		return kith_cli_fail("propagate", g_error_new(KITH_ERROR,
		        KITH_ERROR_DATA, "store '%s' has no item categories",
		        argv[1]));
	if (!graph) {
		if (s->uu.nnz > 0 && e)
			graph = g_strdup("social,knn");
		else if (s->uu.nnz > 0)
			graph = g_strdup("social");
		else if (e)
			graph = g_strdup("knn");
		else
			graph = g_strdup("cointeraction");
	}

	if (strstr(graph, "knn") && s->n_users > 200000)
		kith_cli_info(cli, "propagate", "the exact knn graph of %"
		              G_GINT64_FORMAT " users costs n^2 d flops and may "
		              "take long", s->n_users);
	struct kith_csr W;
	g_autofree char *canon = NULL;
	g_autofree int64_t *bounds = g_new(int64_t, kith_dist_size() + 1);
	if (dist ? !kith_propagate_graph_rows(&W, bounds, &canon, s, e, graph,
	                                      &p, &err)
	         : !kith_propagate_graph(&W, &canon, s, e, graph, &p, &err))
		return kith_cli_fail("propagate", err);
	int64_t nnz = W.nnz;
	if (dist && !kith_dist_allreduce_i64(&nnz, 1, KITH_DIST_SUM, &err)) {
		kith_csr_clear(&W);
		return kith_cli_fail("propagate", err);
	}
	if (nnz == 0)
		kith_cli_info(cli, "propagate", "graph '%s' has no edges: every "
		              "user keeps its own history", canon);
	double t_graph = kith_now() - t0;

	g_autofree float *P0 = g_try_new(float, MAX(s->n_users *
	                                            s->n_categories, 1));
	g_autofree double *ev = g_try_new(double, MAX(s->n_users, 1));
	if (!P0 || !ev) {
		kith_csr_clear(&W);
		return kith_cli_fail("propagate", g_error_new(KITH_ERROR,
		        KITH_ERROR_NOMEM, "out of memory"));
	}
	struct kith_prefs r;
	struct kith_propagate_dist_info di = { 0 };
	if (!kith_catpref(P0, ev, s, p.half_life_days, NULL, &err) ||
	    !(dist ? kith_propagate_run_dist(&r, &di, &W, bounds, P0, ev,
	                                     s->n_users, s->n_categories, &p,
	                                     &err)
	           : kith_propagate_run(&r, &W, P0, ev, s->n_users,
	                                s->n_categories, &p, &err))) {
		kith_csr_clear(&W);
		kith_propagate_dist_info_clear(&di);
		return kith_cli_fail("propagate", err);
	}
	g_clear_pointer(&P0, g_free);
	g_clear_pointer(&ev, g_free);
	if (kith_dist_rank() != 0) {
		kith_csr_clear(&W);
		kith_prefs_clear(&r);
		kith_propagate_dist_info_clear(&di);
		return 0;
	}
	struct kith_propagate_eval evr;
	gboolean have_eval = holdout > 0;
	if (have_eval && !kith_propagate_evaluate(&evr, s, &W, &p, holdout,
	                                          keep, (uint64_t)cli->seed,
	                                          relevance, &err)) {
		kith_prefs_clear(&r);
		kith_csr_clear(&W);
		return kith_cli_fail("propagate", err);
	}
	kith_csr_clear(&W);

	g_autoptr(JsonBuilder) ob = json_builder_new();
	json_builder_begin_object(ob);
	kith_json_put_double(ob, "tol", p.tol);
	kith_json_put_int(ob, "max_iterations", p.iterations);
	kith_json_put_double(ob, "kappa", p.kappa);
	kith_json_put_double(ob, "half_life_days", p.half_life_days);
	kith_json_put_int(ob, "knn", p.knn);
	kith_json_put_int(ob, "co_k", p.co_k);
	kith_json_put_int(ob, "co_cap", p.co_cap);
	kith_json_put_int(ob, "graph_entries", nnz);
	kith_json_put_string(ob, "emb", emb_path);
	if (dist) {
		json_builder_set_member_name(ob, "mpi");
		json_builder_begin_object(ob);
		kith_json_put_int(ob, "ranks", di.ranks);
		json_builder_set_member_name(ob, "row_bounds");
		json_builder_begin_array(ob);
		for (int q = 0; q <= di.ranks; q++)
			json_builder_add_int_value(ob, di.bounds[q]);
		json_builder_end_array(ob);
		kith_json_put_int(ob, "halo_users", di.halo);
		kith_json_put_int(ob, "bytes_per_iteration",
		                  (int64_t)di.bytes_per_iteration);
		kith_json_put_int(ob, "bytes_per_iteration_formula",
		                  kith_propagate_dist_bytes_formula(&di,
		                                                    s->n_categories));
		kith_json_put_string(ob, "formula", "4 (categories + 1) "
		                     "halo_users + 8 ranks (0 on one rank)");
		json_builder_end_object(ob);
	}
	json_builder_end_object(ob);
	g_autoptr(JsonNode) opts = json_builder_get_root(ob);
	gboolean ok = kith_prefs_write(out, &r, s, argv[1], canon, p.alpha,
	                               have_eval ? &evr : NULL,
	                               json_node_get_object(opts), &err);
	int iters = r.iterations;
	gboolean conv = r.converged;
	kith_prefs_clear(&r);
	if (!ok) {
		kith_propagate_dist_info_clear(&di);
		return kith_cli_fail("propagate", err);
	}
	double secs = kith_now() - t0;

	if (json && have_eval) {
		printf("{\n");
		put_json_num("ndcg@3", evr.ndcg3, TRUE);
		put_json_num("accuracy@1", evr.acc1, TRUE);
		put_json_num("baseline_popularity_ndcg@3", evr.pop_ndcg3, TRUE);
		put_json_num("baseline_popularity_accuracy@1", evr.pop_acc1,
		             TRUE);
		put_json_num("baseline_own_ndcg@3", evr.own_ndcg3, TRUE);
		printf("  \"users_held_out\": %" G_GINT64_FORMAT "\n}\n",
		       evr.users_held_out);
	} else if (json) {
		printf("{\n  \"graph\": \"%s\",\n  \"graph_entries\": %"
		       G_GINT64_FORMAT ",\n  \"iterations\": %d,\n"
		       "  \"converged\": %s,\n  \"seconds\": %.3f\n}\n", canon,
		       nnz, iters, conv ? "true" : "false", secs);
	} else {
		printf("graph %s (%" G_GINT64_FORMAT " entries, %.2f s)\n",
		       canon, nnz, t_graph);
		printf("iterations %d (%s)\n", iters,
		       conv ? "converged" : "not converged");
		if (dist)
			printf("mpi ranks %d  halo users %" G_GINT64_FORMAT "  bytes "
			       "per iteration %" G_GUINT64_FORMAT " (formula 4 (c + 1)"
			       " H + 8 P: %" G_GINT64_FORMAT ")\n", di.ranks, di.halo,
			       di.bytes_per_iteration,
			       kith_propagate_dist_bytes_formula(&di,
			                                         s->n_categories));
		if (have_eval) {
			printf("held-out users %" G_GINT64_FORMAT
			       " (%" G_GINT64_FORMAT " with partial history)\n",
			       evr.users_held_out, evr.users_partial);
			printf("ndcg@3      kith %.4f  popularity %.4f  own %.4f\n",
			       evr.ndcg3, evr.pop_ndcg3, evr.own_ndcg3);
			printf("accuracy@1  kith %.4f  popularity %.4f  own %.4f\n",
			       evr.acc1, evr.pop_acc1, evr.own_acc1);
		}
		printf("seconds %.2f\n", secs);
	}
	kith_propagate_dist_info_clear(&di);
	return 0;
}
