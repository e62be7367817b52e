/* kith communities STORE -o COMM [--method M] [--graph G] [--truth FILE]
 *   [--warm-start PREV]: options → one library call
 *   (kith_communities_job_run()) → the summary.  kith run's [communities]
 *   stage sets the same options from its keys. */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "cli.h"
#include "kith/community.h"
#include "kith/store.h"

struct communities_opts {
	struct kith_communities_job job;
	char *resolution, *denoise;
	gboolean json;
};

#define CO(f) offsetof(struct communities_opts, f)
static const struct kith_cli_option communities_options[] = {
	{ "output", 'o', G_OPTION_ARG_FILENAME, CO(job.output),
	  "communities folder to write", "COMM", 0 },
	{ "method", 0, G_OPTION_ARG_STRING, CO(job.method),
	  "leiden, louvain or labelprop (leiden)", "M", 0 },
	{ "resolution", 0, G_OPTION_ARG_STRING, CO(resolution),
	  "modularity resolution; larger gives smaller communities (1)", "R", 0 },
	{ "graph", 0, G_OPTION_ARG_STRING, CO(job.graph),
	  "social, cointeraction or knn (social when the store has links, "
	  "else cointeraction)", "G", 0 },
	{ "emb", 0, G_OPTION_ARG_FILENAME, CO(job.emb),
	  "user embeddings for --graph knn", "EMB", 0 },
	{ "neighbours", 'k', G_OPTION_ARG_INT, CO(job.neighbours),
	  "neighbours per user of the cointeraction (30) or knn (20) graph",
	  "K", 0 },
	{ "item-cap", 0, G_OPTION_ARG_INT, CO(job.item_cap),
	  "cointeraction: users of one item visited per user; 0: all (1000, "
	  "lowered on large stores)", "N", 0 },
	{ "denoise", 0, G_OPTION_ARG_STRING, CO(denoise),
	  "auto, on or off: detect on diffusion-reweighted links (auto: "
	  "leiden and louvain on graphs of 50000 users or more)", "WHEN", 0 },
	{ "truth", 0, G_OPTION_ARG_FILENAME, CO(job.truth),
	  "reference partition (user, community) for NMI and ARI", "FILE", 0 },
	{ "profiles", 0, G_OPTION_ARG_FILENAME, CO(job.profiles),
	  "profile folder whose RFM scores are averaged per community",
	  "PROFILES", 0 },
	{ "warm-start", 0, G_OPTION_ARG_FILENAME, CO(job.warm),
	  "start from the partition of this earlier communities folder of "
	  "the store (leiden, labelprop); its options are the defaults",
	  "PREV", 0 },
	{ "json", 0, G_OPTION_ARG_NONE, CO(json),
	  "print the summary as JSON", NULL, 0 },
};

static void
communities_init(void *p)
{
	struct communities_opts *o = p;
	kith_communities_job_init(&o->job);
	o->resolution = o->denoise = NULL;
	o->json = FALSE;
}

static void
communities_clear(void *p)
{
	struct communities_opts *o = p;
	kith_communities_job_clear(&o->job);
	g_clear_pointer(&o->resolution, g_free);
	g_clear_pointer(&o->denoise, g_free);
}

static int
communities_check(void *p, int argc, char **argv)
{
	struct communities_opts *o = p;
	struct kith_communities_job *j = &o->job;
	enum kith_comm_method method = KITH_COMM_LEIDEN;
	enum kith_ugraph graph;

	if (argc != 2)
		return kith_cli_usage("communities", "expected one STORE");
	if (!j->output)
		return kith_cli_usage("communities", "-o COMM is required");
	if (o->resolution) {
		char *end = NULL;
		j->resolution = g_ascii_strtod(o->resolution, &end);
		j->resolution_given = TRUE;
		if (end == o->resolution || *end != '\0')
			return kith_cli_usage("communities", "--resolution must be "
			                      "a number, not '%s'", o->resolution);
	}
	if (j->method && !kith_comm_method_parse(&method, j->method))
		return kith_cli_usage("communities", "unknown method '%s' (leiden, "
		                      "louvain, labelprop)", j->method);
	if (j->graph && !kith_ugraph_parse(&graph, j->graph))
		return kith_cli_usage("communities", "unknown graph '%s' (social, "
		                      "cointeraction, knn)", j->graph);
	if (o->denoise) {
		j->denoise_given = TRUE;
		if (g_strcmp0(o->denoise, "auto") == 0)
			j->denoise = -1;
		else if (g_strcmp0(o->denoise, "on") == 0)
			j->denoise = 1;
		else if (g_strcmp0(o->denoise, "off") == 0)
			j->denoise = 0;
		else
			return kith_cli_usage("communities", "--denoise must be "
			                      "auto, on or off, not '%s'", o->denoise);
	}
	if (!(j->resolution > 0) || !isfinite(j->resolution))
		return kith_cli_usage("communities", "--resolution must be "
		                      "positive");
	if (j->neighbours < 0 || j->item_cap < -1)
		return kith_cli_usage("communities", "--neighbours and --item-cap "
		                      "must not be negative");
	if (j->graph && graph == KITH_UGRAPH_KNN && !j->emb)
		return kith_cli_usage("communities", "--graph knn needs --emb EMB");
	if (j->warm && method == KITH_COMM_LOUVAIN)
		return kith_cli_usage("communities", "--warm-start needs leiden or "
		                      "labelprop: louvain cannot start from a "
		                      "partition");
	return 0;
}

static void
print_json(const struct kith_comm_result *r, const struct kith_comm_info *in,
           const char *out)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "nmi");
	if (in->truth_path)
		json_builder_add_double_value(b, in->nmi);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "ari");
	if (in->truth_path)
		json_builder_add_double_value(b, in->ari);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "modularity");
	json_builder_add_double_value(b, r->modularity);
	json_builder_set_member_name(b, "communities");
	json_builder_add_int_value(b, r->n_communities);
	json_builder_set_member_name(b, "method");
	json_builder_add_string_value(b, kith_comm_method_name(in->method));
	json_builder_set_member_name(b, "graph");
	json_builder_add_string_value(b, kith_ugraph_name(in->graph));
	json_builder_set_member_name(b, "resolution");
	json_builder_add_double_value(b, in->resolution);
	json_builder_set_member_name(b, "denoised");
	json_builder_add_boolean_value(b, r->denoised);
	json_builder_set_member_name(b, "users");
	json_builder_add_int_value(b, r->n_users);
	json_builder_set_member_name(b, "users_in_graph");
	json_builder_add_int_value(b, r->n_in_graph);
	json_builder_set_member_name(b, "edges");
	json_builder_add_int_value(b, r->n_edges);
	if (in->truth_path) {
		json_builder_set_member_name(b, "users_compared");
		json_builder_add_int_value(b, in->n_compared);
	}
	if (in->warm_from) {
		json_builder_set_member_name(b, "warm_start");
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "from");
		json_builder_add_string_value(b, in->warm_from);
		json_builder_set_member_name(b, "kept");
		json_builder_add_int_value(b, r->warm_kept);
		json_builder_set_member_name(b, "changed");
		json_builder_add_int_value(b, r->warm_changed);
		json_builder_set_member_name(b, "new_users");
		json_builder_add_int_value(b, r->warm_new);
		json_builder_set_member_name(b, "start_modularity");
		json_builder_add_double_value(b, r->warm_start_modularity);
		json_builder_set_member_name(b, "nmi_previous");
		json_builder_add_double_value(b, in->warm_nmi);
		json_builder_end_object(b);
	}
	json_builder_set_member_name(b, "output");
	json_builder_add_string_value(b, out);
	json_builder_set_member_name(b, "seconds");
	json_builder_add_double_value(b, in->seconds);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_pretty(gen, TRUE);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, NULL);
	printf("%s\n", text);
}

static void
print_text(const struct kith_store *s, const struct kith_comm_result *r,
           const struct kith_comm_summary *cs,
           const struct kith_comm_info *in)
{
	printf("method %s  graph %s%s  resolution %g\n",
	       kith_comm_method_name(in->method), kith_ugraph_name(in->graph),
	       r->denoised ? " (denoised)" : "", in->resolution);
	printf("communities %" G_GINT64_FORMAT "  users in graph %"
	       G_GINT64_FORMAT " of %" G_GINT64_FORMAT "  edges %"
	       G_GINT64_FORMAT "\n", r->n_communities, r->n_in_graph,
	       r->n_users, r->n_edges);
	printf("modularity %.4f\n", r->modularity);
	if (in->truth_path)
		printf("nmi %.4f  ari %.4f  (%" G_GINT64_FORMAT " users)\n",
		       in->nmi, in->ari, in->n_compared);
	if (in->warm_from)
		printf("warm start from %s: %" G_GINT64_FORMAT " users kept "
		       "their community, %" G_GINT64_FORMAT " changed, %"
		       G_GINT64_FORMAT " new (%" G_GINT64_FORMAT " joined a "
		       "neighbour's)  start modularity %.4f  nmi with previous "
		       "%.4f\n", in->warm_from, r->warm_kept, r->warm_changed,
		       r->warm_new, r->warm_new_joined, r->warm_start_modularity,
		       in->warm_nmi);
	printf("\n%9s %8s %8s %11s  %s\n", "community", "size", "density",
	       "conductance", "top categories");
	for (int64_t c = 0; c < r->n_communities && c < 15; c++) {
		printf("%9" G_GINT64_FORMAT " %8" G_GINT64_FORMAT " %8.4f %11.4f  ",
		       c, cs[c].size, cs[c].internal_density, cs[c].conductance);
		for (int j = 0; s->category_names && j < cs[c].n_top_categories;
		     j++)
			printf("%s%s", j ? ", " : "",
			       s->category_names[cs[c].top_categories[j]]);
		printf("\n");
	}
	if (r->n_communities > 15)
		printf("%9s (%" G_GINT64_FORMAT " more in communities.tsv)\n", "...",
		       r->n_communities - 15);
	printf("seconds %.2f\n", in->seconds);
}

static int
communities_exec(void *p, const char *store, struct kith_cli *cli)
{
	struct communities_opts *o = p;
	struct kith_cli_note note = { cli, "communities" };
	struct kith_communities_summary r;
	GError *err = NULL;
	int rc = 0;

	g_free(o->job.store);
	o->job.store = g_strdup(store);
	o->job.seed = (uint64_t)cli->seed;
	o->job.max_memory = cli->max_memory;
	o->job.note = kith_cli_note;
	o->job.note_data = &note;
	if (!kith_communities_job_run(&o->job, &r, &err))
		rc = kith_cli_fail("communities", err);
	else if (o->json)
		print_json(&r.result, &r.info, o->job.output);
	else
		print_text(r.store, &r.result, r.comms, &r.info);
	kith_communities_summary_clear(&r);
	return rc;
}

const struct kith_cli_stage kith_cli_stage_communities = {
	"communities", "STORE", "find communities of users",
	"Writes membership.tsv, membership.npy, communities.tsv and "
	"manifest.json.\nSee kith-communities(1).",
	communities_options, G_N_ELEMENTS(communities_options),
	sizeof(struct communities_opts), communities_init, communities_clear,
	communities_check, communities_exec,
	NULL, 0, 0, FALSE
};

int
cmd_communities(int argc, char **argv, struct kith_cli *cli)
{
	return kith_cli_stage_main(&kith_cli_stage_communities, argc, argv,
	                           cli);
}
