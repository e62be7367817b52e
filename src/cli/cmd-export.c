/* kith export EMB --format F -o PATH [--store STORE] [--what W] */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kith/analytics.h"
#include "kith/emb.h"
#include "kith/store.h"

int
cmd_export(int argc, char **argv, struct kith_cli *cli)
{
	g_autofree char *out = NULL, *format = NULL, *store = NULL;
	g_autofree char *what = NULL;
	GOptionEntry entries[] = {
		{ "format", 'f', 0, G_OPTION_ARG_STRING, &format,
		  "npy, w2v, w2v-bin, fvecs or projector", "F" },
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
		  "output file (folder for projector)", "PATH" },
		{ "store", 0, 0, G_OPTION_ARG_FILENAME, &store,
		  "store for the ids (default: the one named in EMB)",
		  "STORE" },
		{ "what", 0, 0, G_OPTION_ARG_STRING, &what,
		  "users, items or both (default: users)", "W" },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = kith_cli_context(
		"export", "EMB", "write embeddings for other tools", NULL,
		entries, cli);
	GError *err = NULL;
	enum kith_export_format f;
	int rc = kith_cli_parse(ctx, &argc, &argv, cli);

	if (rc)
		return rc;
	if (argc != 2)
		return kith_cli_usage("export", "expected one EMB folder");
	if (!format || !out)
		return kith_cli_usage("export", "--format and -o are required");
	if (!kith_export_format_parse(&f, format))
		return kith_cli_usage("export", "unknown format '%s'", format);
	if (what && strcmp(what, "users") != 0 && strcmp(what, "items") != 0 &&
	    strcmp(what, "both") != 0)
		return kith_cli_usage("export", "--what must be users, items "
		                      "or both");
	gboolean want_u = !what || strcmp(what, "items") != 0;
	gboolean want_i = what && strcmp(what, "users") != 0;

	g_autoptr(kith_emb) e = kith_emb_open(argv[1], &err);
	if (!e)
		return kith_cli_fail("export", err);
	if (!store) {
		JsonObject *m = json_node_get_object(e->manifest);
		const char *sp = json_object_get_string_member_with_default(
			m, "store", NULL);
		if (sp)
			store = g_strdup(sp);
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
				"embedding folder '%s'", store, argv[1]));
	} else {
		kith_cli_info(cli, "export", "no store known for '%s': rows "
		              "are named by index", argv[1]);
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
	if (!kith_export(out, f, &x, &err))
		return kith_cli_fail("export", err);
	kith_cli_info(cli, "export", "%" G_GINT64_FORMAT " vectors of "
	              "dimension %d written to '%s'", x.n_users + x.n_items,
	              x.dim, out);
	return 0;
}
