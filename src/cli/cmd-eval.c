/* kith eval STORE EMB --test FILE [-k K]... [--task rank|link|classify] */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kith/analytics.h"
#include "kith/emb.h"
#include "kith/io.h"
#include "kith/store.h"

#define MAX_K 32

static void
add_string(JsonBuilder *b, const char *name, const char *v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, v);
}

/* Text form of the result object: "key value" lines, nested objects as
 * "parent.key", arrays of arrays (the confusion matrix) as rows. */
static void
print_text(JsonObject *o, const char *prefix)
{
	g_autoptr(GList) names = json_object_get_members(o);
	for (GList *l = names; l; l = l->next) {
		const char *name = l->data;
		JsonNode *n = json_object_get_member(o, name);
		g_autofree char *key = prefix ? g_strdup_printf("%s.%s", prefix,
		                                                name)
		                              : g_strdup(name);
		if (JSON_NODE_HOLDS_OBJECT(n)) {
			print_text(json_node_get_object(n), key);
		} else if (JSON_NODE_HOLDS_ARRAY(n)) {
			JsonArray *a = json_node_get_array(n);
			printf("%s\n", key);
			for (guint i = 0; i < json_array_get_length(a); i++) {
				JsonNode *e = json_array_get_element(a, i);
				if (JSON_NODE_HOLDS_ARRAY(e)) {
					JsonArray *r = json_node_get_array(e);
					for (guint j = 0;
					     j < json_array_get_length(r); j++)
						printf("%s%" G_GINT64_FORMAT,
						       j ? "\t" : "  ",
						       json_array_get_int_element(
							       r, j));
					putchar('\n');
				} else {
					printf("  %s\n", json_node_get_string(e));
				}
			}
		} else if (json_node_get_value_type(n) == G_TYPE_DOUBLE) {
			printf("%-24s %.6f\n", key, json_node_get_double(n));
		} else if (json_node_get_value_type(n) == G_TYPE_INT64) {
			printf("%-24s %" G_GINT64_FORMAT "\n", key,
			       json_node_get_int(n));
		} else if (json_node_get_value_type(n) == G_TYPE_STRING) {
			printf("%-24s %s\n", key, json_node_get_string(n));
		}
	}
}

static void
emit(JsonBuilder *b, gboolean json)
{
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	if (json) {
		g_autoptr(JsonGenerator) gen = json_generator_new();
		json_generator_set_pretty(gen, TRUE);
		json_generator_set_root(gen, root);
		g_autofree char *text = json_generator_to_data(gen, NULL);
		printf("%s\n", text);
	} else {
		print_text(json_node_get_object(root), NULL);
	}
}

static gboolean
parse_ks(int *ks, int *n_k, char **args, GError **error)
{
	*n_k = 0;
	for (int a = 0; args && args[a]; a++) {
		g_auto(GStrv) parts = g_strsplit(args[a], ",", -1);
		for (int p = 0; parts[p]; p++) {
			char *end;
			long v = strtol(parts[p], &end, 10);
			if (*parts[p] == '\0' || *end != '\0' || v < 1 ||
			    v > 100000) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
				            "invalid -k value '%s'", parts[p]);
				return FALSE;
			}
			if (*n_k == MAX_K) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
				            "at most %d cut-offs", MAX_K);
				return FALSE;
			}
			ks[(*n_k)++] = (int)v;
		}
	}
	if (*n_k == 0)
		ks[(*n_k)++] = 20;
	return TRUE;
}

static void
add_skipped(JsonBuilder *b, const struct kith_testset *t)
{
	kith_json_put_int(b, "test_rows", t->rows);
	kith_json_put_int(b, "test_rows_used", t->used);
	kith_json_put_int(b, "test_rows_skipped",
	        t->unknown_user + t->bad + t->duplicate + t->self_pair);
	json_builder_set_member_name(b, "test_rows_skipped_by_reason");
	json_builder_begin_object(b);
	kith_json_put_int(b, "unknown_user", t->unknown_user);
	kith_json_put_int(b, "bad_row", t->bad);
	kith_json_put_int(b, "duplicate", t->duplicate);
	if (t->self_pair)
		kith_json_put_int(b, "self_pair", t->self_pair);
	json_builder_end_object(b);
}

static int
eval_rank(struct kith_store *s, struct kith_emb *e, const char *test,
          const char *columns, const int *ks, int n_k, gboolean json)
{
	GError *err = NULL;
	struct kith_testset t;
	struct kith_rank_metrics m[MAX_K];

	if (e->n_items != s->n_items || e->n_items == 0)
		return kith_cli_fail("eval", g_error_new(KITH_ERROR,
			KITH_ERROR_DATA, "embedding folder '%s' has %"
			G_GINT64_FORMAT " items, store '%s' %" G_GINT64_FORMAT,
			e->path, e->n_items, s->path, s->n_items));
	if (!kith_read_test_pairs(&t, s, test, columns, FALSE, &err))
		return kith_cli_fail("eval", err);
	if (!kith_rank_eval_multi(m, ks, n_k, e->users, e->items, s->n_users,
	                          s->n_items, e->dim, &s->ui, &t.test,
	                          t.extra_misses, &err)) {
		kith_testset_clear(&t);
		return kith_cli_fail("eval", err);
	}
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	add_string(b, "task", "rank");
	for (int q = 0; q < n_k; q++) {
		char key[48];
		g_snprintf(key, sizeof(key), "recall@%d", ks[q]);
		kith_json_put_double(b, key, m[q].recall);
		g_snprintf(key, sizeof(key), "ndcg@%d", ks[q]);
		kith_json_put_double(b, key, m[q].ndcg);
		g_snprintf(key, sizeof(key), "precision@%d", ks[q]);
		kith_json_put_double(b, key, m[q].precision);
		g_snprintf(key, sizeof(key), "hit@%d", ks[q]);
		kith_json_put_double(b, key, m[q].hit);
		g_snprintf(key, sizeof(key), "coverage@%d", ks[q]);
		kith_json_put_double(b, key, m[q].coverage);
	}
	kith_json_put_int(b, "users_evaluated", m[0].users_evaluated);
	add_skipped(b, &t);
	kith_json_put_int(b, "test_items_unknown", t.unknown_item);
	json_builder_end_object(b);
	emit(b, json);
	kith_testset_clear(&t);
	return 0;
}

static int
eval_link(struct kith_store *s, struct kith_emb *e, const char *test,
          const char *columns, uint64_t seed, gboolean json)
{
	GError *err = NULL;
	struct kith_testset t;
	struct kith_link_result r;

	if (!kith_read_test_pairs(&t, s, test, columns, TRUE, &err))
		return kith_cli_fail("eval", err);
	if (!kith_eval_link(&r, e->users, s->n_users, e->dim, &t.test, &s->uu,
	                    seed, &err)) {
		kith_testset_clear(&t);
		return kith_cli_fail("eval", err);
	}
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	add_string(b, "task", "link");
	kith_json_put_double(b, "auc", r.auc);
	kith_json_put_int(b, "test_pairs", r.n_pos);
	kith_json_put_int(b, "negatives", r.n_neg);
	kith_json_put_int(b, "test_pairs_in_store", r.in_train);
	add_skipped(b, &t);
	json_builder_end_object(b);
	emit(b, json);
	kith_testset_clear(&t);
	return 0;
}

/* The model's own predictions (gcn.pred.npy) mapped to our class numbers
 * through the manifest's "classes" names when present (else the model
 * numbers classes by sorted name, as kith_read_labels() does). */
static int32_t *
model_predictions(struct kith_emb *e, const struct kith_labels *lab,
                  GError **error)
{
	JsonObject *root = json_node_get_object(e->manifest);
	const char *model = json_object_get_string_member_with_default(
		root, "model", "");
	g_autofree char *p = g_build_filename(e->path, "gcn.pred.npy", NULL);
	if (strcmp(model, "gcn") != 0 || !g_file_test(p, G_FILE_TEST_EXISTS))
		return NULL;
	struct kith_npy a;
	if (!kith_emb_array(e, "gcn.pred.npy", &a, error))
		return NULL;
	if (a.dtype != KITH_DT_I32 || a.shape[0] * a.shape[1] != lab->n_nodes) {
		kith_npy_unmap(&a);
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "'%s' is not an int32 array of %" G_GINT64_FORMAT
		            " classes", p, lab->n_nodes);
		return NULL;
	}
	int32_t *pred = g_new(int32_t, MAX(lab->n_nodes, 1));
	const int32_t *src = a.data;
	JsonArray *classes = json_object_has_member(root, "classes") ?
		json_object_get_array_member(root, "classes") : NULL;
	for (int64_t u = 0; u < lab->n_nodes; u++) {
		int32_t c = src[u];
		if (classes) {
			const char *name = c >= 0 &&
				(guint)c < json_array_get_length(classes) ?
				json_array_get_string_element(classes, c) :
				NULL;
			c = -1;
			for (int k = 0; name && k < lab->n_classes; k++)
				if (strcmp(lab->class_names[k], name) == 0)
					c = k;
		}
		pred[u] = c;
	}
	kith_npy_unmap(&a);
	return pred;
}

static int
eval_classify(struct kith_store *s, struct kith_emb *e, const char *labels,
              gboolean json)
{
	GError *err = NULL;
	struct kith_labels lab;
	struct kith_classify_result r;

	if (!kith_read_labels(&lab, s, labels, &err))
		return kith_cli_fail("eval", err);
	g_autofree int32_t *pred = model_predictions(e, &lab, &err);
	if (err) {
		kith_labels_clear(&lab);
		return kith_cli_fail("eval", err);
	}
	if (!kith_eval_classify(&r, e->users, e->dim, &lab, pred, &err)) {
		kith_labels_clear(&lab);
		return kith_cli_fail("eval", err);
	}
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	add_string(b, "task", "classify");
	add_string(b, "classifier", pred ? "model" : "logreg");
	kith_json_put_double(b, "accuracy", r.test.accuracy);
	kith_json_put_double(b, "macro_f1", r.test.macro_f1);
	kith_json_put_int(b, "n_train", r.n_train);
	kith_json_put_int(b, "n_val", r.n_val);
	kith_json_put_int(b, "n_test", r.n_test);
	if (!pred) {
		kith_json_put_double(b, "lambda", r.lambda);
		if (r.val_accuracy >= 0)
			kith_json_put_double(b, "val_accuracy", r.val_accuracy);
	}
	kith_json_put_int(b, "label_rows", lab.rows);
	kith_json_put_int(b, "label_rows_skipped",
	        lab.unknown_node + lab.bad + lab.duplicate);
	json_builder_set_member_name(b, "label_rows_skipped_by_reason");
	json_builder_begin_object(b);
	kith_json_put_int(b, "unknown_node", lab.unknown_node);
	kith_json_put_int(b, "bad_row", lab.bad);
	kith_json_put_int(b, "duplicate", lab.duplicate);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "classes");
	json_builder_begin_array(b);
	for (int c = 0; c < lab.n_classes; c++)
		json_builder_add_string_value(b, lab.class_names[c]);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "confusion");
	json_builder_begin_array(b);
	for (int i = 0; i < lab.n_classes; i++) {
		json_builder_begin_array(b);
		for (int j = 0; j < lab.n_classes; j++)
			json_builder_add_int_value(
				b, r.confusion[(int64_t)i * lab.n_classes + j]);
		json_builder_end_array(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	emit(b, json);
	kith_classify_result_clear(&r);
	kith_labels_clear(&lab);
	return 0;
}

int
cmd_eval(int argc, char **argv, struct kith_cli *cli)
{
	g_autofree char *test = NULL, *columns = NULL, *task = NULL;
	g_autofree char *labels = NULL;
	g_auto(GStrv) kargs = NULL;
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "test", 0, 0, G_OPTION_ARG_FILENAME, &test,
		  "held-out rows: user,item (rank) or user,user (link)",
		  "FILE" },
		{ "columns", 0, 0, G_OPTION_ARG_STRING, &columns,
		  "column roles of the test file, e.g. user,item,_", "SPEC" },
		{ "k", 'k', 0, G_OPTION_ARG_STRING_ARRAY, &kargs,
		  "cut-off(s), repeatable or a list (default 20)", "K" },
		{ "task", 0, 0, G_OPTION_ARG_STRING, &task,
		  "rank (default), link or classify", "TASK" },
		{ "labels", 0, 0, G_OPTION_ARG_FILENAME, &labels,
		  "node label split file (classify)", "FILE" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json,
		  "print the result as JSON", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = kith_cli_context(
		"eval", "STORE EMB", "evaluate embeddings on held-out data",
		"Tasks: rank (recall, ndcg, precision, hit, coverage @K),\n"
		"link (ROC-AUC of held-out user pairs), classify (accuracy,\n"
		"macro-F1 on the test split of --labels).", entries, cli);
	GError *err = NULL;
	int ks[MAX_K], n_k;
	int rc = kith_cli_parse(ctx, &argc, &argv, cli);

	if (rc)
		return rc;
	if (argc != 3)
		return kith_cli_usage("eval", "expected STORE and EMB");
	if (task && strcmp(task, "rank") != 0 && strcmp(task, "link") != 0 &&
	    strcmp(task, "classify") != 0)
		return kith_cli_usage("eval", "unknown task '%s'", task);
	gboolean classify = task && strcmp(task, "classify") == 0;
	if (classify && !labels)
		return kith_cli_usage("eval", "--task classify needs --labels");
	if (!classify && !test)
		return kith_cli_usage("eval", "--test is required");
	if (!parse_ks(ks, &n_k, kargs, &err))
		return kith_cli_fail("eval", err);

	g_autoptr(kith_store) s = kith_store_open(argv[1], &err);
	if (!s)
		return kith_cli_fail("eval", err);
	g_autoptr(kith_emb) e = kith_emb_open(argv[2], &err);
	if (!e)
		return kith_cli_fail("eval", err);
	if (e->n_users != s->n_users)
		return kith_cli_fail("eval", g_error_new(KITH_ERROR,
			KITH_ERROR_DATA, "embedding folder '%s' has %"
			G_GINT64_FORMAT " users, store '%s' %" G_GINT64_FORMAT,
			argv[2], e->n_users, argv[1], s->n_users));
	if (classify)
		return eval_classify(s, e, labels, json);
	if (task && strcmp(task, "link") == 0)
		return eval_link(s, e, test, columns, (uint64_t)cli->seed,
		                 json);
	return eval_rank(s, e, test, columns, ks, n_k, json);
}
