/* kith export EMB --format F -o PATH [--store STORE] [--what W]
 * kith export STORE --format graphml|gexf|edgelist -o FILE [--graph G]
 *   [--communities C] [--influence I] [--profiles P]
 * kith run's [export] stage sets the same options from its keys. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kith/analytics.h"
#include "kith/community.h"
#include "kith/emb.h"
#include "kith/store.h"

struct export_args {
	char *out, *format, *store, *what;
	char *graph, *emb, *communities, *influence, *profiles;
	int neighbours, item_cap;
};

static int
export_graph(const char *store_path, struct export_args *a,
             enum kith_graph_format f, struct kith_cli *cli)
{
	struct kith_graph_export_opts o;
	struct kith_graph_export_info info;
	GError *err = NULL;

	if (a->store || a->what)
		return kith_cli_usage("export", "--store and --what are for "
		                      "embedding formats; a graph format takes "
		                      "a STORE");
	if (a->neighbours < 0 || a->item_cap < -1)
		return kith_cli_usage("export", "--neighbours and --item-cap "
		                      "must not be negative");
	kith_graph_export_opts_init(&o);
	o.format = f;
	o.graph = a->graph;
	o.neighbours = a->neighbours;
	o.item_cap = a->item_cap;
	o.emb_path = a->emb;
	o.communities = a->communities;
	o.influence = a->influence;
	o.profiles = a->profiles;
	o.store_path = store_path;
	g_autoptr(kith_store) s = kith_store_open(store_path, &err);
	if (!s)
		return kith_cli_fail("export", err);
	if (!kith_graph_export(a->out, s, &o, &info, &err))
		return kith_cli_fail("export", err);
	kith_cli_info(cli, "export", "%s graph (%s): %" G_GINT64_FORMAT
	              " nodes, %" G_GINT64_FORMAT " edges written to '%s' "
	              "(%.2f s building, %.2f s writing)", info.graph,
	              info.directed ? "directed" : "undirected", info.nodes,
	              info.edges, a->out, info.seconds_graph,
	              info.seconds_write);
	return 0;
}

static int
export_vectors(const char *emb_path, struct export_args *a,
               enum kith_export_format f, struct kith_cli *cli)
{
	GError *err = NULL;
	const char *what = a->what;

	if (a->graph || a->emb || a->communities || a->influence ||
	    a->profiles || a->neighbours || a->item_cap != -1)
		return kith_cli_usage("export", "--graph, --emb, --neighbours, "
		                      "--item-cap, --communities, --influence "
		                      "and --profiles are for the graph formats");
	if (what && strcmp(what, "users") != 0 && strcmp(what, "items") != 0 &&
	    strcmp(what, "both") != 0)
		return kith_cli_usage("export", "--what must be users, items "
		                      "or both");
	if (f == KITH_EXPORT_SERVING && what && strcmp(what, "both") != 0)
		return kith_cli_usage("export", "the serving format holds users "
		                      "and items: no --what");
	gboolean want_u = !what || strcmp(what, "items") != 0;
	gboolean want_i = what && strcmp(what, "users") != 0;

	g_autoptr(kith_emb) e = kith_emb_open(emb_path, &err);
	if (!e)
		return kith_cli_fail("export", err);
	g_autofree char *store = g_strdup(a->store);
	if (!store) {
		JsonObject *m = json_node_get_object(e->manifest);
		store = g_strdup(kith_json_str(m, "store"));
	}
	g_autoptr(kith_store) s = NULL;
	if (store) {
		s = kith_store_open(store, &err);
		if (!s)
			return kith_cli_fail("export", err);
		if (s->n_users != e->n_users ||
		    (e->n_items > 0 && s->n_items != e->n_items))
			return kith_cli_fail("export", g_error_new(KITH_ERROR,
				KITH_ERROR_DATA, "store '%s' does not match "
				"embedding folder '%s'", store, emb_path));
	} else if (f == KITH_EXPORT_SERVING) {
		return kith_cli_fail("export", g_error_new(KITH_ERROR,
			KITH_ERROR_DATA, "no store known for '%s': the serving "
			"format needs its seen items (--store)", emb_path));
	} else {
		kith_cli_info(cli, "export", "no store known for '%s': rows "
		              "are named by index", emb_path);
	}
	struct kith_export_rows x = {
		.users = e->users,
		.n_users = want_u ? e->n_users : 0,
		.items = e->items,
		.n_items = want_i ? e->n_items : 0,
		.dim = e->dim,
		.user_ids = s ? s->user_ids : NULL,
		.item_ids = s ? s->item_ids : NULL,
		.prefix = want_u && want_i,
	};
	if (f == KITH_EXPORT_SERVING) {
		x.n_items = e->n_items;
		x.prefix = FALSE;
		if (!kith_export_serving(a->out, &x, &s->ui, emb_path, store,
		                         &err))
			return kith_cli_fail("export", err);
	} else if (!kith_export(a->out, f, &x, &err)) {
		return kith_cli_fail("export", err);
	}
	kith_cli_info(cli, "export", "%" G_GINT64_FORMAT " vectors of "
	              "dimension %d written to '%s'", x.n_users + x.n_items,
	              x.dim, a->out);
	return 0;
}

#define EA(f) offsetof(struct export_args, f)
static const struct kith_cli_option export_options[] = {
	{ "format", 'f', G_OPTION_ARG_STRING, EA(format),
	  "npy, w2v, w2v-bin, fvecs, projector, serving (of EMB); graphml, "
	  "gexf, edgelist (of STORE)", "F", 0 },
	{ "output", 'o', G_OPTION_ARG_FILENAME, EA(out),
	  "output file or folder ('-': standard output, single-file "
	  "formats)", "PATH", 0 },
	{ "store", 0, G_OPTION_ARG_FILENAME, EA(store),
	  "store for the ids (default: the one named in EMB)", "STORE", 0 },
	{ "what", 0, G_OPTION_ARG_STRING, EA(what),
	  "users, items or both (default: users)", "W", 0 },
	{ "graph", 0, G_OPTION_ARG_STRING, EA(graph),
	  "social, cointeraction, knn or user-item (default: the one of "
	  "--communities / --influence, else social when the store has "
	  "links, else cointeraction)", "G", 0 },
	{ "emb", 0, G_OPTION_ARG_FILENAME, EA(emb),
	  "user embeddings of the knn graph", "EMB", 0 },
	{ "neighbours", 'k', G_OPTION_ARG_INT, EA(neighbours),
	  "neighbours per user of the cointeraction (30) or knn (20) graph",
	  "K", 0 },
	{ "item-cap", 0, G_OPTION_ARG_INT, EA(item_cap),
	  "cointeraction: users of one item visited per user", "N", 0 },
	{ "communities", 0, G_OPTION_ARG_FILENAME, EA(communities),
	  "communities folder: node attribute community, and its graph",
	  "COMM", 0 },
	{ "influence", 0, G_OPTION_ARG_FILENAME, EA(influence),
	  "influence folder: node attribute pagerank, and its graph", "INFL", 0 },
	{ "profiles", 0, G_OPTION_ARG_FILENAME, EA(profiles),
	  "profiles folder: node attribute segment", "PROFILES", 0 },
};

static void
export_init(void *p)
{
	*(struct export_args *)p = (struct export_args){ .item_cap = -1 };
}

static void
export_clear(void *p)
{
	struct export_args *a = p;
	char *own[] = { a->out, a->format, a->store, a->what, a->graph,
	                a->emb, a->communities, a->influence, a->profiles };

	for (size_t i = 0; i < G_N_ELEMENTS(own); i++)
		g_free(own[i]);
	export_init(a);
}

static int
export_check(void *p, int argc, char **argv)
{
	struct export_args *a = p;

	if (argc != 2)
		return kith_cli_usage("export", "expected one EMB or STORE "
		                      "folder");
	if (!a->format || !a->out)
		return kith_cli_usage("export", "--format and -o are required");
	return 0;
}

static int
export_exec(void *p, const char *folder, struct kith_cli *cli)
{
	struct export_args *a = p;
	enum kith_export_format f;
	enum kith_graph_format gf;

	if (kith_graph_format_parse(&gf, a->format))
		return export_graph(folder, a, gf, cli);
	if (kith_export_format_parse(&f, a->format))
		return export_vectors(folder, a, f, cli);
	return kith_cli_usage("export", "unknown format '%s'", a->format);
}

const struct kith_cli_stage kith_cli_stage_export = {
	"export", "EMB|STORE", "write embeddings or graphs for other tools",
	"See kith-export(1).",
	export_options, G_N_ELEMENTS(export_options),
	sizeof(struct export_args), export_init, export_clear, export_check,
	export_exec,
	NULL, 0, 0, FALSE
};

int
cmd_export(int argc, char **argv, struct kith_cli *cli)
{
	return kith_cli_stage_main(&kith_cli_stage_export, argc, argv, cli);
}
