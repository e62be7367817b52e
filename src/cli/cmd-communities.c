/* kith communities STORE -o COMM [--method M] [--graph G] [--truth FILE]
 *   [--warm-start PREV] */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kith/analytics.h"
#include "kith/community.h"
#include "kith/emb.h"
#include "kith/memest.h"
#include "kith/store.h"

/* --warm-start PREV: the options PREV's manifest names (taken when not
 * given, an error when given otherwise). */
static int
warm_options(JsonObject *m, const char *prev, char **method, char **graph,
             double *resolution, gboolean res_given, int *neighbours,
             int *item_cap, char **denoise_s)
{
	const char *pm = kith_json_str(m, "method");
	const char *pg = kith_json_str(m, "graph");
	double pr = kith_json_num_or(m, "resolution", NAN);
	int64_t pk = kith_json_int_or(m, "neighbours", 0);
	int64_t pc = kith_json_int_or(m, "item_cap", -1);
	enum kith_comm_method em, gm;
	enum kith_ugraph eg, gg;
	GError *err = NULL;

	if (g_strcmp0(kith_json_str(m, "format"), "kith-communities") != 0) {
		g_set_error(&err, KITH_ERROR, KITH_ERROR_DATA, "'%s' is not a "
		            "communities folder (kith communities -o)", prev);
		return kith_cli_fail("communities", err);
	}
	if (!pm || !kith_comm_method_parse(&em, pm) || !pg ||
	    !kith_ugraph_parse(&eg, pg) || !(pr > 0) || !isfinite(pr)) {
		g_set_error(&err, KITH_ERROR, KITH_ERROR_CORRUPT, "'%s': the "
		            "manifest lacks a valid method, graph or resolution",
		            prev);
		return kith_cli_fail("communities", err);
	}
	if (!*method)
		*method = g_strdup(pm);
	if (!*graph)
		*graph = g_strdup(pg);
	if (!res_given)
		*resolution = pr;
	if (*neighbours == 0 && pk > 0)
		*neighbours = (int)pk;
	if (*item_cap == -1 && pc >= 0)
		*item_cap = (int)pc;
	if (!*denoise_s)
		*denoise_s = g_strdup(kith_json_bool_or(m, "denoised", FALSE)
		                      ? "on" : "off");
	if (!kith_comm_method_parse(&gm, *method) || !kith_ugraph_parse(&gg,
	                                                                *graph))
		return 0;   /* reported as usage errors by the caller */
	if (gm == KITH_COMM_LOUVAIN)
		return kith_cli_usage("communities", "--warm-start needs leiden or "
		                      "labelprop: louvain cannot start from a "
		                      "partition");
	if (gm != em || gg != eg ||
	    fabs(*resolution - pr) > 1e-12 * MAX(1.0, fabs(pr)) ||
	    (pk > 0 && *neighbours != pk) ||
	    (eg == KITH_UGRAPH_COINTERACTION && pc >= 0 && *item_cap != pc)) {
		g_set_error(&err, KITH_ERROR, KITH_ERROR_DATA, "'%s' was made "
		            "with --method %s --graph %s --resolution %g%s: "
		            "--warm-start needs the same options", prev, pm, pg,
		            pr, pk > 0 ? " and its --neighbours/--item-cap" : "");
		return kith_cli_fail("communities", err);
	}
	return 0;
}

/* Maps PREV/membership.npy (checksum, dtype, length, labels) and checks
 * that PREV/membership.tsv names the store's first users in order. */
static gboolean
warm_membership(struct kith_npy *a, const char *prev, JsonObject *m,
                const struct kith_store *s, GError **error)
{
	g_autofree char *np = g_build_filename(prev, "membership.npy", NULL);
	g_autofree char *tp = g_build_filename(prev, "membership.tsv", NULL);
	g_autofree char *text = NULL;
	const int32_t *c;
	char *line, *next;
	int64_t n, u;

	if (!kith_manifest_verify(prev, error) || !kith_npy_map(a, np, error))
		return FALSE;
	n = a->shape[0];
	c = a->data;
	if (a->dtype != KITH_DT_I32 || a->ndim != 1 ||
	    kith_json_int_or(m, "users", -1) != n) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT, "'%s' is not "
		            "an int32 vector of the %" G_GINT64_FORMAT " users "
		            "its manifest names", np, kith_json_int_or(m, "users",
		                                                       -1));
		goto fail;
	}
	if (n > s->n_users) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "'%s' has %"
		            G_GINT64_FORMAT " users, the store only %"
		            G_GINT64_FORMAT ": not an earlier partition of this "
		            "store", prev, n, s->n_users);
		goto fail;
	}
	for (u = 0; u < n; u++) {
		if (c[u] < -1 || c[u] >= n) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT, "'%s': "
			            "user %" G_GINT64_FORMAT " has community %d, "
			            "outside -1..%" G_GINT64_FORMAT, np, u, (int)c[u],
			            n - 1);
			goto fail;
		}
	}
	if (!g_file_get_contents(tp, &text, NULL, error))
		goto fail;
	line = strchr(text, '\n');   /* skips the header */
	for (u = 0; u < n; u++) {
		char *tab;
		if (line == NULL || (tab = strchr(++line, '\t')) == NULL)
			break;
		next = strchr(tab, '\n');
		*tab = '\0';
		if (strcmp(line, s->user_ids[u]) != 0 ||
		    strtol(tab + 1, NULL, 10) != c[u]) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "'%s' row %"
			            G_GINT64_FORMAT " is user '%s' where the store "
			            "has '%s': not an earlier partition of this store",
			            tp, u + 1, line, s->user_ids[u]);
			goto fail;
		}
		line = next;
	}
	if (u < n) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT, "'%s' is "
		            "truncated at row %" G_GINT64_FORMAT, tp, u + 1);
		goto fail;
	}
	return TRUE;
fail:
	kith_npy_unmap(a);
	return FALSE;
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

int
cmd_communities(int argc, char **argv, struct kith_cli *cli)
{
	g_autofree char *out = NULL, *emb_path = NULL, *truth = NULL;
	g_autofree char *profiles = NULL, *method = NULL, *graph = NULL;
	g_autofree char *denoise_s = NULL, *warm = NULL, *resolution_s = NULL;
	int denoise = -1;
	double resolution = 1.0;
	int neighbours = 0, item_cap = -1;
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
		  "communities folder to write", "COMM" },
		{ "method", 0, 0, G_OPTION_ARG_STRING, &method,
		  "leiden, louvain or labelprop (leiden)", "M" },
		{ "resolution", 0, 0, G_OPTION_ARG_STRING, &resolution_s,
		  "modularity resolution; larger gives smaller communities (1)",
		  "R" },
		{ "graph", 0, 0, G_OPTION_ARG_STRING, &graph,
		  "social, cointeraction or knn (social when the store has "
		  "links, else cointeraction)", "G" },
		{ "emb", 0, 0, G_OPTION_ARG_FILENAME, &emb_path,
		  "user embeddings for --graph knn", "EMB" },
		{ "neighbours", 'k', 0, G_OPTION_ARG_INT, &neighbours,
		  "neighbours per user of the cointeraction (30) or knn (20) "
		  "graph", "K" },
		{ "item-cap", 0, 0, G_OPTION_ARG_INT, &item_cap,
		  "cointeraction: users of one item visited per user; 0: all "
		  "(1000, lowered on large stores)", "N" },
		{ "denoise", 0, 0, G_OPTION_ARG_STRING, &denoise_s,
		  "auto, on or off: detect on diffusion-reweighted links (auto: "
		  "leiden and louvain on graphs of 50000 users or more)", "WHEN" },
		{ "truth", 0, 0, G_OPTION_ARG_FILENAME, &truth,
		  "reference partition (user, community) for NMI and ARI",
		  "FILE" },
		{ "profiles", 0, 0, G_OPTION_ARG_FILENAME, &profiles,
		  "profile folder whose RFM scores are averaged per community",
		  "PROFILES" },
		{ "warm-start", 0, 0, G_OPTION_ARG_FILENAME, &warm,
		  "start from the partition of this earlier communities folder "
		  "of the store (leiden, labelprop); its options are the "
		  "defaults", "PREV" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json,
		  "print the summary as JSON", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = kith_cli_context(
		"communities", "STORE", "find communities of users",
		"Writes membership.tsv, membership.npy, communities.tsv and "
		"manifest.json.\nSee kith-communities(1).", entries, cli);
	struct kith_comm_info info = { 0 };
	struct kith_comm_result r;
	struct kith_comm_summary *cs;
	struct kith_csr g = { 0 };
	g_autofree float *rfm = NULL;
	g_autofree int32_t *truth_memb = NULL, *prev_memb = NULL;
	g_autoptr(JsonNode) warm_keep = NULL;
	struct kith_comm_params par;
	GError *err = NULL;
	gboolean have_graph;
	double t0;
	int rc = kith_cli_parse(ctx, &argc, &argv, cli);

	if (rc)
		return rc;
	if (argc != 2)
		return kith_cli_usage("communities", "expected one STORE");
	if (!out)
		return kith_cli_usage("communities", "-o COMM is required");
	if (resolution_s) {
		char *end = NULL;
		resolution = g_ascii_strtod(resolution_s, &end);
		if (end == resolution_s || *end != '\0')
			return kith_cli_usage("communities", "--resolution must be "
			                      "a number, not '%s'", resolution_s);
	}
	if (warm) {
		g_autofree char *mp = g_build_filename(warm, "manifest.json", NULL);
		if (!(warm_keep = kith_json_read(mp, &err)))
			return kith_cli_fail("communities", err);
		rc = warm_options(json_node_get_object(warm_keep), warm, &method,
		                  &graph, &resolution, resolution_s != NULL,
		                  &neighbours, &item_cap, &denoise_s);
		if (rc)
			return rc;
	}
	info.method = KITH_COMM_LEIDEN;
	if (method && !kith_comm_method_parse(&info.method, method))
		return kith_cli_usage("communities", "unknown method '%s' (leiden, "
		                      "louvain, labelprop)", method);
	if (graph && !kith_ugraph_parse(&info.graph, graph))
		return kith_cli_usage("communities", "unknown graph '%s' (social, "
		                      "cointeraction, knn)", graph);
	if (denoise_s) {
		if (g_strcmp0(denoise_s, "auto") == 0)
			denoise = -1;
		else if (g_strcmp0(denoise_s, "on") == 0)
			denoise = 1;
		else if (g_strcmp0(denoise_s, "off") == 0)
			denoise = 0;
		else
			return kith_cli_usage("communities", "--denoise must be "
			                      "auto, on or off, not '%s'", denoise_s);
	}
	if (!(resolution > 0) || !isfinite(resolution))
		return kith_cli_usage("communities", "--resolution must be "
		                      "positive");
	if (neighbours < 0 || item_cap < -1)
		return kith_cli_usage("communities", "--neighbours and --item-cap "
		                      "must not be negative");
	if (graph && info.graph == KITH_UGRAPH_KNN && !emb_path)
		return kith_cli_usage("communities", "--graph knn needs --emb EMB");
	if (warm && info.method == KITH_COMM_LOUVAIN)
		return kith_cli_usage("communities", "--warm-start needs leiden or "
		                      "labelprop: louvain cannot start from a "
		                      "partition");

	t0 = kith_now();
	g_autoptr(kith_store) s = kith_store_open(argv[1], &err);
	if (!s)
		return kith_cli_fail("communities", err);
	have_graph = s->uu.nnz > 0;
	if (!graph)
		info.graph = have_graph ? KITH_UGRAPH_SOCIAL
		                        : KITH_UGRAPH_COINTERACTION;
	info.store_path = argv[1];
	info.resolution = resolution;
	info.seed = (uint64_t)cli->seed;
	info.emb_path = emb_path;
	info.profiles_path = profiles;
	{
		/* memory gate (memest.h): entries of the user graph */
		int64_t k = neighbours ? neighbours
		                       : KITH_COINTERACTION_NEIGHBOURS;
		int64_t edges = info.graph == KITH_UGRAPH_SOCIAL ?
		    s->uu.nnz * (s->directed_social ? 2 : 1) :
		    2 * k * s->n_users;
		g_autofree char *what = g_strdup_printf("communities of %"
		    G_GINT64_FORMAT " users (%s graph)", s->n_users,
		    kith_ugraph_name(info.graph));
		if (kith_cli_memory_gate(cli, "communities", what,
		                         kith_memest_communities(s, edges)))
			return 1;
	}
	switch (info.graph) {
	case KITH_UGRAPH_SOCIAL:
		if (!have_graph) {
			g_set_error(&err, KITH_ERROR, KITH_ERROR_DATA, "'%s' has no "
			            "social links; use --graph cointeraction or knn",
			            argv[1]);
			return kith_cli_fail("communities", err);
		}
		if (!kith_social_undirected(&g, s, &err))
			return kith_cli_fail("communities", err);
		break;
	case KITH_UGRAPH_COINTERACTION:
		info.neighbours = neighbours ? neighbours
		                             : KITH_COINTERACTION_NEIGHBOURS;
		if (item_cap < 0)
			item_cap = kith_cointeraction_default_cap(s);
		info.item_cap = item_cap;
		kith_cli_info(cli, "communities", "building the co-interaction "
		              "graph (k %d)", info.neighbours);
		if (!kith_cointeraction_graph(&g, s, info.neighbours, item_cap,
		                              &err))
			return kith_cli_fail("communities", err);
		break;
	case KITH_UGRAPH_KNN: {
		g_autoptr(kith_emb) e = NULL;
		if (!emb_path)
			return kith_cli_usage("communities", "--graph knn needs "
			                      "--emb EMB");
		if (!(e = kith_emb_open(emb_path, &err)))
			return kith_cli_fail("communities", err);
		if (e->n_users != s->n_users) {
			g_set_error(&err, KITH_ERROR, KITH_ERROR_DATA,
			            "'%s' has %" G_GINT64_FORMAT " users, the store %"
			            G_GINT64_FORMAT, emb_path, e->n_users,
			            s->n_users);
			return kith_cli_fail("communities", err);
		}
		info.neighbours = neighbours ? neighbours : KITH_KNN_NEIGHBOURS;
		kith_cli_info(cli, "communities", "building the kNN graph (k %d)",
		              info.neighbours);
		if (!kith_knn_graph(&g, e->users, e->n_users, e->dim,
		                    info.neighbours, 0.0, TRUE, &err))
			return kith_cli_fail("communities", err);
		break;
	}
	}
	if (profiles && !(rfm = kith_read_profile_rfm(s, profiles, &err))) {
		kith_csr_clear(&g);
		return kith_cli_fail("communities", err);
	}
	kith_comm_params_init(&par);
	par.method = info.method;
	par.resolution = resolution;
	par.seed = info.seed;
	par.denoise = denoise;
	if (warm) {
		struct kith_npy a;
		if (!warm_membership(&a, warm, json_node_get_object(warm_keep), s,
		                     &err)) {
			kith_csr_clear(&g);
			return kith_cli_fail("communities", err);
		}
		/* a copy, so that PREV may be the output folder */
		prev_memb = g_new(int32_t, MAX(s->n_users, 1));
		memcpy(prev_memb, a.data, (size_t)a.shape[0] * sizeof(int32_t));
		for (int64_t u = a.shape[0]; u < s->n_users; u++)
			prev_memb[u] = -1;
		par.init_membership = prev_memb;
		par.n_init = a.shape[0];
		info.warm_from = warm;
		info.warm_users = a.shape[0];
		kith_npy_unmap(&a);
	}
	if (!kith_communities_detect_params(&r, &g, &par, &err)) {
		kith_csr_clear(&g);
		return kith_cli_fail("communities", err);
	}
	if (warm) {
		int64_t nc;
		double ari;
		if (r.warm_previous > 0 &&
		    !kith_partition_compare(&info.warm_nmi, &ari, &nc, r.membership,
		                            prev_memb, s->n_users, &err)) {
			kith_csr_clear(&g);
			kith_comm_result_clear(&r);
			return kith_cli_fail("communities", err);
		}
		kith_cli_info(cli, "communities", "warm start from '%s': %"
		              G_GINT64_FORMAT " of %" G_GINT64_FORMAT " users "
		              "changed community, %" G_GINT64_FORMAT " new",
		              warm, r.warm_changed, r.warm_previous, r.warm_new);
	}
	if (truth) {
		int64_t listed, unknown;
		info.truth_path = truth;
		if (!kith_read_partition(&truth_memb, &listed, &unknown, s, truth,
		                         &err) ||
		    !kith_partition_compare(&info.nmi, &info.ari, &info.n_compared,
		                            r.membership, truth_memb, s->n_users,
		                            &err)) {
			kith_csr_clear(&g);
			kith_comm_result_clear(&r);
			return kith_cli_fail("communities", err);
		}
		if (unknown > 0)
			kith_cli_info(cli, "communities", "%" G_GINT64_FORMAT " users "
			              "of '%s' are not in the store", unknown, truth);
	}
	cs = kith_communities_summarise(&r, &g, s, rfm, &err);
	kith_csr_clear(&g);
	if (cs == NULL) {
		kith_comm_result_clear(&r);
		return kith_cli_fail("communities", err);
	}
	info.seconds = kith_now() - t0;
	if (!kith_communities_write(out, s, &r, cs, &info, &err)) {
		g_free(cs);
		kith_comm_result_clear(&r);
		return kith_cli_fail("communities", err);
	}
	if (json)
		print_json(&r, &info, out);
	else
		print_text(s, &r, cs, &info);
	g_free(cs);
	kith_comm_result_clear(&r);
	return 0;
}
