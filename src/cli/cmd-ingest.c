/* kith ingest -o STORE --events FILE [--social FILE] [...]: options →
 * the ingest (kith_ingest_run() between the store writer's begin and
 * finish) → the summary.  kith run's [ingest] stage sets the same
 * options from its keys; the reader options are shared with kith update
 * (ingest-options.c). */
#include "config.h"

#include <stddef.h>
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

struct ingest_opts {
	char *out, *events, *social, *users, *items, *features, *columns;
	char *weights, *keyfile;
	gint64 chunk_bytes;
	gboolean directed, json, private_mode;
	struct kith_cli_reader_args ra;
};

#define IO(f) offsetof(struct ingest_opts, f)
static const struct kith_cli_option ingest_options[] = {
	{ "output", 'o', G_OPTION_ARG_FILENAME, IO(out),
	  "store folder to write", "STORE", 0 },
	{ "events", 0, G_OPTION_ARG_FILENAME, IO(events),
	  "user-item events (user,item[,event][,ts][,value]); - = stdin",
	  "FILE", 0 },
	{ "social", 0, G_OPTION_ARG_FILENAME, IO(social),
	  "user-user links (src,dst[,weight,ts])", "FILE", 0 },
	{ "users", 0, G_OPTION_ARG_FILENAME, IO(users),
	  "user attributes (user,age,gender,...)", "FILE", 0 },
	{ "items", 0, G_OPTION_ARG_FILENAME, IO(items),
	  "item categories (item,category; '|' separates several)", "FILE",
	  0 },
	{ "user-features", 0, G_OPTION_ARG_FILENAME, IO(features),
	  "sparse user features (node,feature,value)", "FILE", 0 },
	{ "columns", 0, G_OPTION_ARG_STRING, IO(columns),
	  "roles of the event columns, e.g. user,item,_,ts", "LIST", 0 },
	{ "event-weight", 0, G_OPTION_ARG_STRING, IO(weights),
	  "weights of event types (view=1,click=1,cart=3,purchase=5)",
	  "T=W,...", 0 },
	{ "directed", 0, G_OPTION_ARG_NONE, IO(directed),
	  "keep social links directed", NULL, 0 },
	{ "pseudonymize", 0, G_OPTION_ARG_FILENAME, IO(keyfile),
	  "write user ids as HMAC-SHA256 pseudonyms keyed by this file "
	  "(mode 0600); implies --private", "KEYFILE", 0 },
	{ "private", 0, G_OPTION_ARG_NONE, IO(private_mode),
	  "create the store's files mode 0600", NULL, 0 },
	{ "chunk-bytes", 0, G_OPTION_ARG_INT64, IO(chunk_bytes),
	  "parallel reader chunk size (< 0: serial; for tests)", "N",
	  G_OPTION_FLAG_HIDDEN },
	{ "json", 0, G_OPTION_ARG_NONE, IO(json),
	  "print the summary as JSON on stdout", NULL, 0 },
};

static void
ingest_init(void *p)
{
	memset(p, 0, sizeof(struct ingest_opts));
}

static void
ingest_clear(void *p)
{
	struct ingest_opts *o = p;
	char *own[] = { o->out, o->events, o->social, o->users, o->items,
	                o->features, o->columns, o->weights, o->keyfile };

	for (size_t i = 0; i < G_N_ELEMENTS(own); i++)
		g_free(own[i]);
	kith_cli_reader_args_clear(&o->ra);
	ingest_init(o);
}

static int
ingest_check(void *p, int argc, char **argv)
{
	struct ingest_opts *o = p;

	if (argc > 1)
		return kith_cli_usage("ingest", "unexpected argument '%s'",
		                      argv[1]);
	if (!o->out)
		return kith_cli_usage("ingest", "missing -o STORE");
	return 0;
}

/* The memory gate (memest.h): before the files are read. */
static int
ingest_gate(const struct ingest_opts *a, struct kith_cli *cli)
{
	struct kith_memest_ingest mi = { 0 };

	mi.events = est_rows(a->events, &mi.events_bytes);
	mi.social = est_rows(a->social, NULL);
	/* per rank: under MPI each rank reads its part of the events and
	 * social files and builds its users' rows of the store; each reads
	 * its part of the features file and tokenizes its part of the users
	 * and items files, whose rows rank 0 alone keeps, with the ids */
	int me = kith_dist_rank(), np = kith_dist_size();
	int64_t side[3], bytes[2] = { 0, 0 };
	side[0] = est_rows(a->users, &bytes[0]);
	side[1] = est_rows(a->items, &bytes[1]);
	side[2] = est_rows(a->features, NULL);
	mi.user_rows = me == 0 ? side[0] : 0;
	mi.item_rows = me == 0 ? side[1] : 0;
	mi.feature_rows = me == 0 ? side[2] : side[2] / np;
	if (np > 1) {
		mi.part_rows = (side[0] + side[1]) / np;
		mi.part_bytes = (bytes[0] + bytes[1]) / np;
	}
	mi.users = MAX(mi.user_rows, MAX(mi.events, mi.social) / 10);
	mi.items = MAX(mi.item_rows, mi.events / 100);
	if (np > 1) {
		mi.events /= np;
		mi.events_bytes /= np;
		mi.social /= np;
		if (me != 0) {
			mi.users /= np;
			mi.items /= np;
		}
	}
	mi.event_types = 4;
	g_autofree char *what = g_strdup_printf("ingest of about %"
	    G_GINT64_FORMAT " events, %" G_GINT64_FORMAT " social rows",
	    mi.events, mi.social);
	return kith_cli_memory_gate(cli, "ingest", what,
	                            kith_memest_ingest(&mi));
}

static void
print_summary(const struct kith_ingest_result *res, const char *out,
              gboolean json, const struct kith_cli *cli)
{
	if (!cli->quiet) {
		g_autofree char *text = kith_ingest_summary_text(res);
		fputs(text, stderr);
		if (res->n_rejected)
			fprintf(stderr, "%" G_GINT64_FORMAT " rejected rows "
			        "listed in '%s/rejects.tsv'\n", res->n_rejected, out);
	}
	if (json) {
		g_autoptr(JsonNode) root = kith_ingest_summary_json(res);
		g_autoptr(JsonGenerator) gen = json_generator_new();
		json_generator_set_pretty(gen, TRUE);
		json_generator_set_root(gen, root);
		g_autofree char *text = json_generator_to_data(gen, NULL);
		printf("%s\n", text);
	}
}

static int
ingest_exec(void *p, const char *no_store, struct kith_cli *cli)
{
	struct ingest_opts *a = p;
	struct kith_cli_note note = { cli, "ingest" };
	struct kith_ingest_options o = { 0 };
	struct kith_ingest_result res;
	gboolean private_mode = a->private_mode;
	GError *err = NULL;
	guint8 *key = NULL;
	size_t key_len = 0;
	int rc;

	o.events = a->events;
	o.social = a->social;
	o.users = a->users;
	o.items = a->items;
	o.user_features = a->features;
	o.columns = a->columns;
	o.event_weights = a->weights;
	o.directed = a->directed;
	o.chunk_bytes = a->chunk_bytes;
	o.note = kith_cli_note;
	o.note_data = &note;
	if ((rc = kith_cli_reader_options("ingest", &o, &a->ra)) != 0 ||
	    (rc = ingest_gate(a, cli)) != 0)
		return rc;
	if (a->keyfile) {
		key = kith_ingest_load_key(a->keyfile, &key_len, &err);
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
	o.writer = kith_store_writer_begin(a->out, private_mode, &err);
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
	kith_cli_info(cli, "ingest", "wrote '%s' in %.2f s", a->out,
	              kith_now() - t0);
	print_summary(&res, a->out, a->json, cli);
	kith_ingest_result_clear(&res);
	return 0;
}

const struct kith_cli_stage kith_cli_stage_ingest = {
	"ingest", "-o STORE --events FILE [--social FILE] [OPTIONS]",
	"read interaction and social files into a store",
	"Separator and header are detected per file. Bad rows stop the "
	"ingest\n(exit 1, FILE:LINE: reason) unless --on-error skip. "
	"See kith-ingest(1).",
	ingest_options, G_N_ELEMENTS(ingest_options),
	sizeof(struct ingest_opts), ingest_init, ingest_clear, ingest_check,
	ingest_exec, kith_cli_reader_table, KITH_CLI_READER_N,
	offsetof(struct ingest_opts, ra), TRUE
};

int
cmd_ingest(int argc, char **argv, struct kith_cli *cli)
{
	return kith_cli_stage_main(&kith_cli_stage_ingest, argc, argv, cli);
}
