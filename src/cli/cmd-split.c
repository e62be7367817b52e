/* kith split STORE --test-ratio R --by random|time -o TRAIN --test TEST.tsv */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "kith/analytics.h"
#include "kith/store.h"

int
cmd_split(int argc, char **argv, struct kith_cli *cli)
{
	g_autofree char *out = NULL, *test = NULL, *val = NULL, *by = NULL;
	double test_ratio = 0.2, val_ratio = 0.0;
	GOptionEntry entries[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
		  "training store to write", "TRAIN" },
		{ "test", 0, 0, G_OPTION_ARG_FILENAME, &test,
		  "held-out interactions (user<TAB>item, original ids)",
		  "FILE" },
		{ "test-ratio", 0, 0, G_OPTION_ARG_DOUBLE, &test_ratio,
		  "share of each user's interactions held out (0.2)", "R" },
		{ "val-ratio", 0, 0, G_OPTION_ARG_DOUBLE, &val_ratio,
		  "share held out for validation (0)", "R" },
		{ "val", 0, 0, G_OPTION_ARG_FILENAME, &val,
		  "validation interactions file (with --val-ratio)", "FILE" },
		{ "by", 0, 0, G_OPTION_ARG_STRING, &by,
		  "random (default) or time (latest interactions held out)",
		  "HOW" },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = kith_cli_context(
		"split", "STORE", "split a store's interactions per user into "
		"train and test", NULL, entries, cli);
	GError *err = NULL;
	int rc = kith_cli_parse(ctx, &argc, &argv, cli);

	if (rc)
		return rc;
	if (argc != 2)
		return kith_cli_usage("split", "expected one STORE");
	if (!out || !test)
		return kith_cli_usage("split", "-o TRAIN and --test FILE are "
		                      "required");
	if (by && strcmp(by, "random") != 0 && strcmp(by, "time") != 0)
		return kith_cli_usage("split", "--by must be random or time");
	if (!(test_ratio > 0 && test_ratio < 1))
		return kith_cli_usage("split", "--test-ratio must be in (0, 1)");
	if (val_ratio < 0 || val_ratio >= 1 || test_ratio + val_ratio >= 1)
		return kith_cli_usage("split", "--val-ratio must be in [0, 1) "
		                      "and below 1 - --test-ratio");
	if ((val_ratio > 0) != (val != NULL))
		return kith_cli_usage("split", "--val-ratio and --val go "
		                      "together");
	gboolean by_time = by && strcmp(by, "time") == 0;

	g_autoptr(kith_store) s = kith_store_open(argv[1], &err);
	if (!s)
		return kith_cli_fail("split", err);
	g_autofree uint8_t *held = g_try_malloc(MAX(s->ui.nnz, 1));
	if (!held)
		return kith_cli_fail("split", g_error_new(KITH_ERROR,
			KITH_ERROR_NOMEM, "out of memory"));
	if (!kith_split_store_mask(held, s, by_time, test_ratio, val_ratio,
	                           (uint64_t)cli->seed, &err))
		return kith_cli_fail("split", err);
	g_autoptr(kith_store) t = kith_store_split(s, held, &err);
	if (!t)
		return kith_cli_fail("split", err);

	/* private stores stay private */
	g_autofree char *up = g_build_filename(argv[1], "users.tsv", NULL);
	struct stat st;
	gboolean private_mode = stat(up, &st) == 0 && !(st.st_mode & 077);

	JsonObject *extra = json_object_new();
	JsonObject *root = json_node_get_object(s->manifest);
	g_autoptr(GList) names = json_object_get_members(root);
	for (GList *l = names; l; l = l->next)
		json_object_set_member(extra, l->data, json_node_copy(
			json_object_get_member(root, l->data)));
	JsonObject *sp = json_object_new();
	json_object_set_string_member(sp, "from", argv[1]);
	json_object_set_string_member(sp, "by", by_time ? "time" : "random");
	json_object_set_double_member(sp, "test_ratio", test_ratio);
	json_object_set_double_member(sp, "val_ratio", val_ratio);
	json_object_set_int_member(sp, "seed", cli->seed);
	json_object_set_string_member(sp, "test_file", test);
	if (val)
		json_object_set_string_member(sp, "val_file", val);
	int64_t n_test = 0, n_val = 0;
	for (int64_t e = 0; e < s->ui.nnz; e++) {
		n_test += held[e] == 1;
		n_val += held[e] == 2;
	}
	json_object_set_int_member(sp, "test_interactions", n_test);
	json_object_set_int_member(sp, "val_interactions", n_val);
	json_object_set_int_member(sp, "train_interactions",
	                           s->ui.nnz - n_test - n_val);
	json_object_set_object_member(extra, "split", sp);

	gboolean ok = kith_write_pairs_tsv(test, s, held, 1, NULL, &err) &&
	              (!val || kith_write_pairs_tsv(val, s, held, 2, NULL,
	                                            &err)) &&
	              kith_store_write(t, out, extra, private_mode, &err);
	json_object_unref(extra);
	if (!ok)
		return kith_cli_fail("split", err);
	kith_cli_info(cli, "split", "%" G_GINT64_FORMAT " train, %"
	              G_GINT64_FORMAT " test, %" G_GINT64_FORMAT
	              " validation interactions", s->ui.nnz - n_test - n_val,
	              n_test, n_val);
	return 0;
}
