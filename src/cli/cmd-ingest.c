/* kith ingest -o STORE --events FILE [--social FILE] [...] */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kith/core.h"
#include "kith/dist.h"
#include "kith/ingest.h"
#include "kith/memest.h"
#include "kith/store.h"

/* Rows of an input file for the memory estimate (from its first MiB);
 * 0 for none, stdin or a file the ingest itself will report. */
static int64_t
est_rows(const char *path, int64_t *bytes)
{
	int64_t size = 0, n;

	if (!path || strcmp(path, "-") == 0)
		return 0;
	n = kith_memest_count_rows(path, 1 << 20, &size, NULL);
	if (bytes)
		*bytes = MAX(size, 0);
	return MAX(n, 0);
}

static void
note_cb(void *data, const char *msg)
{
	kith_cli_info(data, "ingest", "%s", msg);
}

int
cmd_ingest(int argc, char **argv, struct kith_cli *cli)
{
	g_autofree char *out = NULL, *events = NULL, *social = NULL;
	g_autofree char *users = NULL, *items = NULL, *features = NULL;
	g_autofree char *columns = NULL, *weights = NULL, *keyfile = NULL;
	g_auto(kith_cli_reader_args) ra = { 0 };
	gint64 chunk_bytes = 0;
	gboolean directed = FALSE, json = FALSE;
	gboolean private_mode = FALSE;
	GOptionEntry entries[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
		  "store folder to write", "STORE" },
		{ "events", 0, 0, G_OPTION_ARG_FILENAME, &events,
		  "user-item events (user,item[,event][,ts][,value]); - = stdin",
		  "FILE" },
		{ "social", 0, 0, G_OPTION_ARG_FILENAME, &social,
		  "user-user links (src,dst[,weight,ts])", "FILE" },
		{ "users", 0, 0, G_OPTION_ARG_FILENAME, &users,
		  "user attributes (user,age,gender,...)", "FILE" },
		{ "items", 0, 0, G_OPTION_ARG_FILENAME, &items,
		  "item categories (item,category; '|' separates several)",
		  "FILE" },
		{ "user-features", 0, 0, G_OPTION_ARG_FILENAME, &features,
		  "sparse user features (node,feature,value)", "FILE" },
		{ "columns", 0, 0, G_OPTION_ARG_STRING, &columns,
		  "roles of the event columns, e.g. user,item,_,ts", "LIST" },
		{ "event-weight", 0, 0, G_OPTION_ARG_STRING, &weights,
		  "weights of event types (view=1,click=1,cart=3,purchase=5)",
		  "T=W,..." },
		{ "directed", 0, 0, G_OPTION_ARG_NONE, &directed,
		  "keep social links directed", NULL },
		{ "pseudonymize", 0, 0, G_OPTION_ARG_FILENAME, &keyfile,
		  "write user ids as HMAC-SHA256 pseudonyms keyed by this file "
		  "(mode 0600); implies --private", "KEYFILE" },
		{ "private", 0, 0, G_OPTION_ARG_NONE, &private_mode,
		  "create the store's files mode 0600", NULL },
		{ "chunk-bytes", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64,
		  &chunk_bytes, "parallel reader chunk size (< 0: serial; "
		  "for tests)", "N" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json,
		  "print the summary as JSON on stdout", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = kith_cli_context("ingest",
		"-o STORE --events FILE [--social FILE] [OPTIONS]",
		"read interaction and social files into a store",
		"Separator and header are detected per file. Bad rows stop the "
		"ingest\n(exit 1, FILE:LINE: reason) unless --on-error skip. "
		"See kith-ingest(1).", entries, cli);
	kith_cli_reader_entries(ctx, &ra);
	int rc = kith_cli_parse(ctx, &argc, &argv, cli);
	if (rc)
		return rc;
	if (argc > 1)
		return kith_cli_usage("ingest", "unexpected argument '%s'", argv[1]);
	if (!out)
		return kith_cli_usage("ingest", "missing -o STORE");

	struct kith_ingest_options o = { 0 };
	o.events = events;
	o.social = social;
	o.users = users;
	o.items = items;
	o.user_features = features;
	o.columns = columns;
	o.event_weights = weights;
	o.directed = directed;
	o.chunk_bytes = chunk_bytes;
	o.note = note_cb;
	o.note_data = cli;
	rc = kith_cli_reader_options("ingest", &o, &ra);
	if (rc != 0)
		return rc;

	{
		/* memory gate (memest.h): before the files are read */
		struct kith_memest_ingest mi = { 0 };
		mi.events = est_rows(events, &mi.events_bytes);
		/* per rank: under MPI the ranks but 0 hold their part of the
		 * events only (rank 0 gathers them and builds the store) */
		int me = kith_dist_rank(), np = kith_dist_size();
		if (me != 0) {
			mi.events /= np;
			mi.events_bytes /= np;
		}
		mi.social = me == 0 ? est_rows(social, NULL) : 0;
		mi.user_rows = me == 0 ? est_rows(users, NULL) : 0;
		mi.item_rows = me == 0 ? est_rows(items, NULL) : 0;
		mi.feature_rows = me == 0 ? est_rows(features, NULL) : 0;
		mi.users = MAX(mi.user_rows, MAX(mi.events, mi.social) / 10);
		mi.items = MAX(mi.item_rows, mi.events / 100);
		mi.event_types = 4;
		g_autofree char *what = g_strdup_printf("ingest of about %"
		    G_GINT64_FORMAT " events, %" G_GINT64_FORMAT " social rows",
		    mi.events, mi.social);
		if (kith_cli_memory_gate(cli, "ingest", what,
		                         kith_memest_ingest(&mi)))
			return 1;
	}
	struct kith_ingest_result res;
	GError *err = NULL;
	guint8 *key = NULL;
	size_t key_len = 0;
	if (keyfile) {
		key = kith_ingest_load_key(keyfile, &key_len, &err);
		if (!key)
			return kith_cli_fail("ingest", err);
		o.pseudonym_key = key;
		o.pseudonym_key_len = key_len;
		private_mode = TRUE;
	}
	if (kith_dist_rank() != 0) {
		/* a rank of an MPI job reads its part of the events; rank 0
		 * writes the store and reports for the job */
		gboolean ran = kith_ingest_run(&o, &res, &err);
		kith_ingest_key_free(key, key_len);
		g_clear_error(&err);
		if (ran)
			kith_ingest_result_clear(&res);
		return 0;
	}
	/* the store is begun first: the build streams its biggest arrays */
	o.writer = kith_store_writer_begin(out, private_mode, &err);
	if (!o.writer) {
		kith_ingest_key_free(key, key_len);
		return kith_cli_fail("ingest", err);
	}
	gboolean ran = kith_ingest_run(&o, &res, &err);
	kith_ingest_key_free(key, key_len);
	o.pseudonym_key = NULL;
	if (!ran) {
		kith_store_writer_free(o.writer);
		return kith_cli_fail("ingest", err);
	}
	double t0 = kith_now();
	if (!kith_store_writer_finish(o.writer, res.store, res.extra, &err)) {
		kith_store_writer_free(o.writer);
		kith_ingest_result_clear(&res);
		return kith_cli_fail("ingest", err);
	}
	kith_store_writer_free(o.writer);
	kith_cli_info(cli, "ingest", "wrote '%s' in %.2f s", out,
	              kith_now() - t0);
	if (!cli->quiet) {
		g_autofree char *text = kith_ingest_summary_text(&res);
		fputs(text, stderr);
		if (res.n_rejected)
			fprintf(stderr, "%" G_GINT64_FORMAT " rejected rows "
			        "listed in '%s/rejects.tsv'\n", res.n_rejected, out);
	}
	if (json) {
		g_autoptr(JsonNode) root = kith_ingest_summary_json(&res);
		g_autoptr(JsonGenerator) gen = json_generator_new();
		json_generator_set_pretty(gen, TRUE);
		json_generator_set_root(gen, root);
		g_autofree char *text = json_generator_to_data(gen, NULL);
		printf("%s\n", text);
	}
	kith_ingest_result_clear(&res);
	return 0;
}
