/* kith info STORE [--json] [--verify] [--ledger] */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "kith/io.h"
#include "kith/store.h"
#include "kith/update.h"

static void
iso_time(char *buf, size_t n, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == INT64_MIN || gmtime_r(&tt, &tm) == NULL)
		g_strlcpy(buf, "-", n);
	else
		strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
json_degree(JsonBuilder *b, const char *name, const struct kith_degree_stats *d)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "min");
	json_builder_add_int_value(b, d->min);
	json_builder_set_member_name(b, "median");
	json_builder_add_int_value(b, d->median);
	json_builder_set_member_name(b, "p99");
	json_builder_add_int_value(b, d->p99);
	json_builder_set_member_name(b, "max");
	json_builder_add_int_value(b, d->max);
	json_builder_set_member_name(b, "mean");
	json_builder_add_double_value(b, d->mean);
	json_builder_set_member_name(b, "zero");
	json_builder_add_int_value(b, d->zero);
	json_builder_end_object(b);
}

static void
print_json(const struct kith_store *s, const struct kith_store_stats *st)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;
	char t0[32], t1[32];

	json_builder_begin_object(b);
	kith_json_put_int(b, "users", s->n_users);
	kith_json_put_int(b, "items", s->n_items);
	kith_json_put_int(b, "events", s->n_events);
	kith_json_put_int(b, "interactions", s->ui.nnz);
	kith_json_put_int(b, "social_pairs", s->directed_social ? s->uu.nnz : s->uu.nnz / 2);
	json_builder_set_member_name(b, "directed_social");
	json_builder_add_boolean_value(b, s->directed_social);
	kith_json_put_int(b, "categories", s->n_categories);
	kith_json_put_int(b, "event_types", s->n_event_types);
	kith_json_put_int(b, "user_attrs", s->n_user_attrs);
	kith_json_put_int(b, "user_features", s->n_user_feats);
	json_degree(b, "user_degree", &st->user_items);
	json_degree(b, "item_degree", &st->item_users);
	json_degree(b, "social_degree", &st->user_social);
	kith_json_put_int(b, "ui_components", st->ui_components);
	kith_json_put_int(b, "ui_largest_component", st->ui_largest);
	kith_json_put_int(b, "uu_components", st->uu_components);
	kith_json_put_int(b, "uu_largest_component", st->uu_largest);
	json_builder_set_member_name(b, "density");
	json_builder_add_double_value(b, st->density);
	iso_time(t0, sizeof(t0), st->ts_min);
	iso_time(t1, sizeof(t1), st->ts_max);
	json_builder_set_member_name(b, "time_min");
	if (st->ts_min == INT64_MIN)
		json_builder_add_null_value(b);
	else
		json_builder_add_string_value(b, t0);
	json_builder_set_member_name(b, "time_max");
	if (st->ts_max == INT64_MIN)
		json_builder_add_null_value(b);
	else
		json_builder_add_string_value(b, t1);
	kith_json_put_int(b, "bytes_on_disk", st->bytes_on_disk);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_pretty(gen, TRUE);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, NULL);
	printf("%s\n", text);
}

static void
print_degree(const char *what, const struct kith_degree_stats *d)
{
	printf("%-22s min %" G_GINT64_FORMAT "  median %" G_GINT64_FORMAT
	       "  p99 %" G_GINT64_FORMAT "  max %" G_GINT64_FORMAT
	       "  mean %.2f\n", what, d->min, d->median, d->p99, d->max, d->mean);
}

static void
print_text(const struct kith_store *s, const struct kith_store_stats *st)
{
	char t0[32], t1[32];

	iso_time(t0, sizeof(t0), st->ts_min);
	iso_time(t1, sizeof(t1), st->ts_max);
	printf("store                  %s\n", s->path);
	printf("users                  %" G_GINT64_FORMAT "\n", s->n_users);
	printf("items                  %" G_GINT64_FORMAT "\n", s->n_items);
	printf("events                 %" G_GINT64_FORMAT "\n", s->n_events);
	printf("interactions           %" G_GINT64_FORMAT "\n", s->ui.nnz);
	printf("social pairs           %" G_GINT64_FORMAT " (%s)\n",
	       s->directed_social ? s->uu.nnz : s->uu.nnz / 2,
	       s->directed_social ? "directed" : "undirected");
	printf("categories             %" G_GINT64_FORMAT "\n", s->n_categories);
	printf("event types            %" G_GINT64_FORMAT "\n", s->n_event_types);
	printf("user attributes        %" G_GINT64_FORMAT "\n", s->n_user_attrs);
	printf("user features          %" G_GINT64_FORMAT "\n", s->n_user_feats);
	print_degree("items per user", &st->user_items);
	print_degree("users per item", &st->item_users);
	print_degree("friends per user", &st->user_social);
	printf("user-item components   %" G_GINT64_FORMAT " (largest %"
	       G_GINT64_FORMAT " nodes)\n", st->ui_components, st->ui_largest);
	printf("user-user components   %" G_GINT64_FORMAT " (largest %"
	       G_GINT64_FORMAT " nodes)\n", st->uu_components, st->uu_largest);
	printf("density                %.6g\n", st->density);
	printf("time span              %s .. %s\n", t0, t1);
	printf("bytes on disk          %" G_GINT64_FORMAT "\n", st->bytes_on_disk);
}

static int64_t
jint(JsonObject *o, const char *k)
{
	return json_object_get_int_member_with_default(o, k, 0);
}

/* The ledger: one block per batch, the identity of every file. */
static int
print_ledger(const struct kith_store *s, gboolean json)
{
	GError *err = NULL;
	JsonObject *m = s->manifest ? json_node_get_object(s->manifest) : NULL;
	g_autoptr(JsonNode) l = kith_update_ledger(m, &err);
	if (l == NULL)
		return kith_cli_fail("info", err);
	if (json) {
		g_autoptr(JsonGenerator) gen = json_generator_new();
		json_generator_set_pretty(gen, TRUE);
		json_generator_set_root(gen, l);
		g_autofree char *t = json_generator_to_data(gen, NULL);
		printf("%s\n", t);
	} else {
		JsonArray *a = json_node_get_array(l);
		for (guint i = 0; i < json_array_get_length(a); i++) {
			JsonObject *e = json_array_get_object_element(a, i);
			JsonNode *cn = json_object_get_member(e, "counts");
			JsonObject *c = cn && JSON_NODE_HOLDS_OBJECT(cn)
			                ? json_node_get_object(cn) : NULL;
			printf("batch %" G_GINT64_FORMAT " %s %s: +%" G_GINT64_FORMAT
			       " users, +%" G_GINT64_FORMAT " items",
			       jint(e, "index"),
			       json_object_get_string_member_with_default(e, "kind",
			                                                  "?"),
			       json_object_get_string_member_with_default(e, "time",
			                                                  "?"),
			       jint(e, "users_added"), jint(e, "items_added"));
			if (c)
				printf("; then %" G_GINT64_FORMAT " users, %"
				       G_GINT64_FORMAT " items, %" G_GINT64_FORMAT
				       " events, %" G_GINT64_FORMAT " interactions",
				       jint(c, "users"), jint(c, "items"),
				       jint(c, "events"), jint(c, "interactions"));
			printf("\n");
			JsonNode *fn = json_object_get_member(e, "files");
			JsonArray *fa = fn && JSON_NODE_HOLDS_ARRAY(fn)
			                ? json_node_get_array(fn) : NULL;
			for (guint j = 0; fa && j < json_array_get_length(fa); j++) {
				JsonObject *f = json_array_get_object_element(fa, j);
				printf("  %s '%s' sha256 %s size %" G_GINT64_FORMAT
				       "\n    %" G_GINT64_FORMAT " lines = %"
				       G_GINT64_FORMAT " header + %" G_GINT64_FORMAT
				       " comment/blank + %" G_GINT64_FORMAT
				       " accepted + %" G_GINT64_FORMAT " rejected; "
				       "accepted = %" G_GINT64_FORMAT " unique + %"
				       G_GINT64_FORMAT " merged + %" G_GINT64_FORMAT
				       " self-loops\n",
				       json_object_get_string_member_with_default(
				           f, "kind", "?"),
				       json_object_get_string_member_with_default(
				           f, "path", "?"),
				       json_object_get_string_member_with_default(
				           f, "sha256", "-"),
				       jint(f, "size"), jint(f, "lines"),
				       jint(f, "header"),
				       jint(f, "comments") + jint(f, "blank"),
				       jint(f, "accepted"), jint(f, "rejected"),
				       jint(f, "unique"), jint(f, "merged"),
				       jint(f, "self_loops"));
			}
		}
	}
	if (!kith_update_ledger_check(l, &err))
		return kith_cli_fail("info", err);
	return 0;
}

int
cmd_info(int argc, char **argv, struct kith_cli *cli)
{
	gboolean json = FALSE, verify = FALSE, ledger = FALSE;
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json,
		  "print a JSON object (keys in kith-info(1))", NULL },
		{ "verify", 0, 0, G_OPTION_ARG_NONE, &verify,
		  "recompute every checksum; exit 1 naming the first damaged file",
		  NULL },
		{ "ledger", 0, 0, G_OPTION_ARG_NONE, &ledger,
		  "print the ledger of ingested batches (kith-update(1))", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx =
	        kith_cli_context("info", "STORE", "print counts and statistics "
	                         "of a store", NULL, entries, cli);
	g_autoptr(kith_store) s = NULL;
	struct kith_store_stats st;
	GError *err = NULL;
	int rc;

	if ((rc = kith_cli_parse(ctx, &argc, &argv, cli)) != 0)
		return rc;
	if (argc != 2)
		return kith_cli_usage("info", "expected one STORE argument");
	if (verify && !kith_manifest_verify(argv[1], &err))
		return kith_cli_fail("info", err);
	if (verify && !ledger) {
		/* any kith folder (embeddings, profiles, ...) can be verified */
		g_autofree char *mp = g_build_filename(argv[1], "manifest.json",
		                                       NULL);
		g_autoptr(JsonNode) m = kith_json_read(mp, &err);
		if (m == NULL)
			return kith_cli_fail("info", err);
		if (g_strcmp0(kith_json_str(json_node_get_object(m), "format"),
		              KITH_STORE_FORMAT) != 0) {
			printf("%s: all checksums match\n", argv[1]);
			return 0;
		}
	}
	s = kith_store_open(argv[1], &err);
	if (s == NULL)
		return kith_cli_fail("info", err);
	if (ledger)
		return print_ledger(s, json);
	if (!kith_store_stats(&st, s, &err))
		return kith_cli_fail("info", err);
	if (json)
		print_json(s, &st);
	else if (verify)
		printf("%s: all checksums match\n", argv[1]);
	else
		print_text(s, &st);
	return 0;
}
