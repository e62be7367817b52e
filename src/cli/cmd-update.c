/* kith update STORE --events NEW.csv [--social NEW.csv] [--emb EMB]
 *   [--profiles P] [--prefs R] [--communities C] [ingest options] */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "kith/community.h"
#include "kith/core.h"
#include "kith/emb.h"
#include "kith/io.h"
#include "kith/models.h"
#include "kith/profile.h"
#include "kith/update.h"

static void
note_cb(void *data, const char *msg)
{
	kith_cli_info(data, "update", "%s", msg);
}

static JsonObject *
read_manifest(const char *dir, JsonNode **keep, GError **error)
{
	g_autofree char *p = g_build_filename(dir, "manifest.json", NULL);
	*keep = kith_json_read(p, error);
	return *keep ? json_node_get_object(*keep) : NULL;
}

/* ---- embeddings --------------------------------------------------------- */

/* Refreshes the embedding folder EMB on the updated store: lightgcn by a
 * warm-started fine-tuning, the filter by a warm-started refit, sage and
 * gcn by applying their trained weights (kith_embed() with from = EMB). */
static int
refresh_emb(const char *store_path, const char *emb_path,
            const struct kith_update_result *u,
            const struct kith_refresh_options *ro, struct kith_cli *cli)
{
	GError *err = NULL;
	g_autoptr(JsonNode) keep = NULL;
	double t0 = kith_now();
	JsonObject *m = read_manifest(emb_path, &keep, &err);
	if (!m)
		return kith_cli_fail("update", err);
	const char *model = kith_json_str(m, "model");
	gboolean ok;
	if (g_strcmp0(model, "lightgcn") == 0) {
		ok = kith_lightgcn_refresh(emb_path, store_path, u, ro, &err);
	} else if (g_strcmp0(model, "filter") == 0) {
		ok = kith_filter_refresh(emb_path, store_path, &err);
	} else if (g_strcmp0(model, "sage") == 0 ||
	           g_strcmp0(model, "gcn") == 0) {
		struct kith_embed_request r;
		struct kith_train_report rep;
		kith_embed_request_init(&r);
		r.model = model;
		r.output = r.from = emb_path;
		r.seed = cli->seed;
		g_autoptr(kith_store) s = kith_store_open(store_path, &err);
		if (!s)
			return kith_cli_fail("update", err);
		g_autofree char *what = g_strdup_printf("%s on %" G_GINT64_FORMAT
		    " users, %" G_GINT64_FORMAT " items", model, s->n_users,
		    s->n_items);
		if (kith_cli_memory_gate(cli, "update", what,
		                         kith_embed_memest(&r, s)))
			return 1;
		kith_train_report_init(&rep);
		ok = kith_embed(&r, store_path, s, &rep, &err);
		kith_train_report_clear(&rep);
	} else {
		return kith_cli_fail("update", g_error_new(KITH_ERROR,
		    KITH_ERROR_DATA, "'%s' holds an unknown model '%s'",
		    emb_path, model ? model : ""));
	}
	if (!ok)
		return kith_cli_fail("update", err);
	kith_cli_info(cli, "update", "refreshed '%s' (%s) in %.2f s", emb_path,
	              model, kith_now() - t0);
	return 0;
}

/* ---- the command -------------------------------------------------------- */

static void
print_entry(JsonNode *entry, gboolean json)
{
	if (json) {
		g_autoptr(JsonGenerator) gen = json_generator_new();
		json_generator_set_pretty(gen, TRUE);
		json_generator_set_root(gen, entry);
		g_autofree char *t = json_generator_to_data(gen, NULL);
		printf("%s\n", t);
	}
}

int
cmd_update(int argc, char **argv, struct kith_cli *cli)
{
	g_autofree char *events = NULL, *social = NULL, *users = NULL;
	g_autofree char *items = NULL, *features = NULL, *columns = NULL;
	g_autofree char *weights = NULL, *emb = NULL, *profiles = NULL;
	g_autofree char *prefs = NULL, *comm = NULL;
	g_auto(kith_cli_reader_args) ra = { 0 };
	struct kith_refresh_options ro;
	kith_refresh_options_init(&ro);
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "events", 0, 0, G_OPTION_ARG_FILENAME, &events,
		  "new user-item events", "FILE" },
		{ "social", 0, 0, G_OPTION_ARG_FILENAME, &social,
		  "new user-user links", "FILE" },
		{ "users", 0, 0, G_OPTION_ARG_FILENAME, &users,
		  "user attributes (new or changed users)", "FILE" },
		{ "items", 0, 0, G_OPTION_ARG_FILENAME, &items,
		  "item categories", "FILE" },
		{ "user-features", 0, 0, G_OPTION_ARG_FILENAME, &features,
		  "sparse user features", "FILE" },
		{ "emb", 0, 0, G_OPTION_ARG_FILENAME, &emb,
		  "refresh this embedding folder (lightgcn: warm-started "
		  "fine-tuning; sage, gcn: the trained weights)", "EMB" },
		{ "profiles", 0, 0, G_OPTION_ARG_FILENAME, &profiles,
		  "recompute this profile folder", "P" },
		{ "prefs", 0, 0, G_OPTION_ARG_FILENAME, &prefs,
		  "recompute this propagated-preference folder", "R" },
		{ "communities", 0, 0, G_OPTION_ARG_FILENAME, &comm,
		  "refresh this community folder, warm-started from its "
		  "partition (louvain: recomputed)", "C" },
		{ "steps", 0, 0, G_OPTION_ARG_INT, &ro.steps,
		  "lightgcn fine-tuning steps (8)", "N" },
		{ "focus", 0, 0, G_OPTION_ARG_DOUBLE, &ro.focus,
		  "share of the fine-tuning drawn among new pairs (0.25)",
		  "SHARE" },
		{ "columns", 0, 0, G_OPTION_ARG_STRING, &columns,
		  "roles of the event columns (default: the store's)", "LIST" },
		{ "event-weight", 0, 0, G_OPTION_ARG_STRING, &weights,
		  "weights of event types (default: the store's)", "T=W,..." },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json,
		  "print the ledger entry of the batch as JSON", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = kith_cli_context("update",
		"STORE --events FILE [--social FILE] [--emb EMB] [OPTIONS]",
		"add a batch of new files to a store and refresh its outputs",
		"Files already in the store's ledger (same SHA-256) are skipped; "
		"a batch\nof nothing new is a no-op. See kith-update(1).",
		entries, cli);
	kith_cli_reader_entries(ctx, &ra);
	int rc = kith_cli_parse(ctx, &argc, &argv, cli);
	if (rc)
		return rc;
	if (argc != 2)
		return kith_cli_usage("update", "expected one STORE");
	if (ro.steps < 1 || ro.steps > 100000)
		return kith_cli_usage("update", "--steps must be in 1..100000");
	if (!(ro.focus >= 0 && ro.focus <= 1))
		return kith_cli_usage("update", "--focus must be in [0, 1]");

	struct kith_ingest_options o = { 0 };
	o.events = events;
	o.social = social;
	o.users = users;
	o.items = items;
	o.user_features = features;
	o.columns = columns;
	o.event_weights = weights;
	o.note = note_cb;
	o.note_data = cli;
	rc = kith_cli_reader_options("update", &o, &ra);
	if (rc != 0)
		return rc;

	const char *store = argv[1];
	struct kith_update_result u;
	GError *err = NULL;
	double t0 = kith_now();
	if (!kith_update_store(store, &o, &u, &err))
		return kith_cli_fail("update", err);
	for (guint i = 0; i < u.skipped->len; i++)
		kith_cli_info(cli, "update", "%s is already in the ledger: "
		              "skipped", (char *)u.skipped->pdata[i]);
	if (u.noop) {
		kith_cli_info(cli, "update", "nothing new: '%s' is unchanged",
		              store);
		if (json)
			printf("{ \"noop\": true }\n");
		kith_update_result_clear(&u);
		return 0;
	}
	if (!cli->quiet) {
		g_autofree char *text = kith_ingest_summary_text(&u.batch);
		fputs(text, stderr);
	}
	kith_cli_info(cli, "update", "batch %" G_GINT64_FORMAT ": %"
	              G_GINT64_FORMAT " new users, %" G_GINT64_FORMAT
	              " new items, %" G_GINT64_FORMAT " new pairs; store "
	              "written in %.2f s", u.index,
	              u.batch.store->n_users - u.old_users,
	              u.batch.store->n_items - u.old_items,
	              u.batch.store->ui.nnz - u.old_interactions,
	              kith_now() - t0);
	/* the derived folders read the store from disk */
	g_clear_pointer(&u.batch.store, kith_store_free);
	double secs = 0;
	rc = 0;
	ro.seed = (uint64_t)cli->seed;
	if (emb && (rc = refresh_emb(store, emb, &u, &ro, cli)) != 0)
		goto out;
	if (profiles) {
		struct kith_profile_job j;
		struct kith_profile_summary ps;
		kith_profile_job_init(&j);
		j.store = g_strdup(store);
		j.max_memory = cli->max_memory;
		if (!kith_profile_job_from_folder(&j, profiles, &err) ||
		    !kith_profile_job_run(&j, &ps, &err)) {
			kith_profile_job_clear(&j);
			rc = kith_cli_fail("update", err);
			goto out;
		}
		kith_profile_job_clear(&j);
		kith_cli_info(cli, "update", "refreshed '%s' in %.2f s",
		              profiles, ps.seconds);
	}
	if (prefs) {
		struct kith_propagate_job j;
		struct kith_propagate_summary ps = { 0 };
		kith_propagate_job_init(&j);
		j.store = g_strdup(store);
		j.seed = (uint64_t)cli->seed;
		gboolean ok = kith_propagate_job_from_folder(&j, prefs, &err) &&
		              kith_propagate_job_run(&j, &ps, &err);
		kith_propagate_job_clear(&j);
		secs = ps.seconds;
		kith_propagate_summary_clear(&ps);
		if (!ok) {
			rc = kith_cli_fail("update", err);
			goto out;
		}
		kith_cli_info(cli, "update", "refreshed '%s' in %.2f s", prefs,
		              secs);
	}
	if (comm) {
		/* leiden and labelprop start from the folder's own partition
		 * (read before the new folder replaces it atomically); louvain
		 * cannot start from a partition and is recomputed from scratch */
		struct kith_communities_job j;
		struct kith_communities_summary cs = { 0 };
		kith_communities_job_init(&j);
		j.store = g_strdup(store);
		j.seed = (uint64_t)cli->seed;
		j.max_memory = cli->max_memory;
		gboolean ok = kith_communities_job_from_folder(&j, comm, &err) &&
		              kith_communities_job_run(&j, &cs, &err);
		if (ok && j.warm)
			kith_cli_info(cli, "update", "refreshed '%s' in %.2f s (warm "
			              "start: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
			              " users changed community, %" G_GINT64_FORMAT
			              " new users)", comm, cs.info.seconds,
			              cs.result.warm_changed, cs.result.warm_previous,
			              cs.result.warm_new);
		else if (ok)
			kith_cli_info(cli, "update", "refreshed '%s' (louvain, from "
			              "scratch) in %.2f s", comm, cs.info.seconds);
		kith_communities_summary_clear(&cs);
		kith_communities_job_clear(&j);
		if (!ok) {
			rc = kith_cli_fail("update", err);
			goto out;
		}
	}
	print_entry(u.entry, json);
out:
	kith_update_result_clear(&u);
	return rc;
}
