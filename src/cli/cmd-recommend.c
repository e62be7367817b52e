/* kith recommend STORE EMB [-k K] [--users FILE] -o recs.tsv */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kith/analytics.h"
#include "kith/csv.h"
#include "kith/emb.h"
#include "kith/store.h"

/* Store rows of the ids listed in the first column of FILE (a header
 * line "user"/"item"/"id" is skipped); unknown ids are counted. */
static int64_t *
read_ids(struct kith_store *s, const char *path, gboolean items,
         int64_t *n_out, int64_t *unknown, GError **error)
{
	struct kith_csv_options o = KITH_CSV_OPTIONS_INIT;
	g_autoptr(kith_csv) r = kith_csv_open(path, &o, error);
	if (!r)
		return NULL;
	g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(int64_t));
	struct kith_csv_record rec;
	int rc;
	*unknown = 0;
	while ((rc = kith_csv_next(r, &rec, error)) > 0) {
		if (rec.reason != KITH_CSV_OK || rec.n_fields < 1) {
			(*unknown)++;
			continue;
		}
		int64_t i = items ? kith_store_item_index(s, rec.field[0])
		                  : kith_store_user_index(s, rec.field[0]);
		if (i < 0)
			(*unknown)++;
		else
			g_array_append_val(a, i);
	}
	if (rc < 0)
		return NULL;
	*n_out = a->len;
	return (int64_t *)g_array_free(g_steal_pointer(&a), FALSE);
}

int
cmd_recommend(int argc, char **argv, struct kith_cli *cli)
{
	g_autofree char *out = NULL, *users = NULL;
	gboolean sim_users = FALSE, sim_items = FALSE;
	int k = 20;
	GOptionEntry entries[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
		  "output TSV ('-': standard output)", "FILE" },
		{ "k", 'k', 0, G_OPTION_ARG_INT, &k,
		  "list length (20)", "K" },
		{ "users", 0, 0, G_OPTION_ARG_FILENAME, &users,
		  "only these users (items with --similar-items), one id a "
		  "line", "FILE" },
		{ "similar-users", 0, 0, G_OPTION_ARG_NONE, &sim_users,
		  "most similar users (cosine) instead of items", NULL },
		{ "similar-items", 0, 0, G_OPTION_ARG_NONE, &sim_items,
		  "most similar items (cosine) per item", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = kith_cli_context(
		"recommend", "STORE EMB", "top-K recommendations per user",
		NULL, entries, cli);
	GError *err = NULL;
	int rc = kith_cli_parse(ctx, &argc, &argv, cli);

	if (rc)
		return rc;
	if (argc != 3)
		return kith_cli_usage("recommend", "expected STORE and EMB");
	if (!out)
		return kith_cli_usage("recommend", "-o FILE is required");
	if (k < 1)
		return kith_cli_usage("recommend", "-k must be positive");
	if (sim_users && sim_items)
		return kith_cli_usage("recommend", "--similar-users and "
		                      "--similar-items exclude each other");
	enum kith_rec_mode mode = sim_users ? KITH_REC_SIMILAR_USERS :
	                          sim_items ? KITH_REC_SIMILAR_ITEMS :
	                          KITH_REC_ITEMS;

	g_autoptr(kith_store) s = kith_store_open(argv[1], &err);
	if (!s)
		return kith_cli_fail("recommend", err);
	g_autoptr(kith_emb) e = kith_emb_open(argv[2], &err);
	if (!e)
		return kith_cli_fail("recommend", err);
	if (e->n_users != s->n_users ||
	    (mode != KITH_REC_SIMILAR_USERS && e->n_items != s->n_items))
		return kith_cli_fail("recommend", g_error_new(KITH_ERROR,
			KITH_ERROR_DATA, "embedding folder '%s' (%" G_GINT64_FORMAT
			" users, %" G_GINT64_FORMAT " items) does not match "
			"store '%s' (%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ")",
			argv[2], e->n_users, e->n_items, argv[1], s->n_users,
			s->n_items));
	g_autofree int64_t *query = NULL;
	int64_t n_query = 0, unknown = 0, rows = 0;
	if (users) {
		query = read_ids(s, users, mode == KITH_REC_SIMILAR_ITEMS,
		                 &n_query, &unknown, &err);
		if (!query)
			return kith_cli_fail("recommend", err);
		if (unknown)
			kith_cli_info(cli, "recommend", "%" G_GINT64_FORMAT
			              " ids of '%s' are not in the store "
			              "(skipped)", unknown, users);
	}
	if (!kith_recommend_write(out, s, mode, e->users, e->items, e->dim,
	                          query, n_query, k, &rows, &err))
		return kith_cli_fail("recommend", err);
	kith_cli_info(cli, "recommend", "%" G_GINT64_FORMAT " rows written to "
	              "'%s'", rows, out);
	return 0;
}
