/*
 * Reading evaluation files against a store: held-out (user, item) rows,
 * held-out (user, user) pairs and node labels.  Original ids are mapped to
 * store indices; every row that cannot be used is counted by reason, none
 * is dropped silently.  Cost: O(rows) hash look-ups plus one COO -> CSR
 * build, O(rows log deg).
 */
#include <stdlib.h>
#include <string.h>

#include "kith/eval.h"
#include "kith/core.h"
#include "kith/csv.h"
#include "kith/store.h"

/* Column of each of the two ids: --columns spec, else header names
 * (user/src/node and item/dst), else the first two columns. */
static gboolean
pair_columns(int *c0, int *c1, struct kith_csv *r, const char *columns,
             gboolean user_user, GError **error)
{
	struct kith_csv_roles roles;
	int nc = kith_csv_n_columns(r);
	if (columns) {
		if (!kith_csv_roles_from_spec(&roles, columns, nc, error))
			return FALSE;
	} else if (kith_csv_has_header(r)) {
		const char *const *names = kith_csv_header_names(r);
		int n = 0;
		while (names && names[n])
			n++;
		kith_csv_roles_from_header(&roles, names, n);
	} else {
		for (int i = 0; i < KITH_ROLE_N; i++)
			roles.col[i] = -1;
	}
	int a = roles.col[KITH_ROLE_USER], b;
	if (a < 0)
		a = roles.col[KITH_ROLE_SRC];
	if (a < 0 && user_user)
		a = roles.col[KITH_ROLE_NODE];
	if (user_user) {
		b = roles.col[KITH_ROLE_DST];
	} else {
		b = roles.col[KITH_ROLE_ITEM];
	}
	if (columns && (a < 0 || b < 0)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "--columns '%s' must name the %s columns", columns,
		            user_user ? "src and dst" : "user and item");
		return FALSE;
	}
	if (a < 0 || b < 0) {
		a = 0;
		b = 1;
	}
	*c0 = a;
	*c1 = b;
	return TRUE;
}

gboolean
kith_read_test_pairs(struct kith_testset *out, struct kith_store *s,
                     const char *path, const char *columns,
                     gboolean user_user, GError **error)
{
	memset(out, 0, sizeof(*out));
	struct kith_csv_options o = KITH_CSV_OPTIONS_INIT;
	g_autoptr(kith_csv) r = kith_csv_open(path, &o, error);
	if (!r)
		return FALSE;
	int c0, c1;
	if (!pair_columns(&c0, &c1, r, columns, user_user, error))
		return FALSE;
	int64_t n_cols = user_user ? s->n_users : s->n_items;
	g_autoptr(GArray) rows = g_array_new(FALSE, FALSE, sizeof(int32_t));
	g_autoptr(GArray) cols = g_array_new(FALSE, FALSE, sizeof(int32_t));
	/* (user, unknown item id) rows, deduplicated */
	g_autoptr(GHashTable) unknown = g_hash_table_new_full(
		g_str_hash, g_str_equal, g_free, NULL);
	g_autofree int32_t *extra = kith_alloc0_n(MAX(s->n_users, 1),
	                                          sizeof(int32_t), error);
	if (!extra)
		return FALSE;
	struct kith_csv_record rec;
	int rc;
	while ((rc = kith_csv_next(r, &rec, error)) > 0) {
		out->rows++;
		if (rec.reason != KITH_CSV_OK || rec.n_fields <= MAX(c0, c1) ||
		    rec.len[c0] == 0 || rec.len[c1] == 0) {
			out->bad++;
			continue;
		}
		int64_t u = kith_store_user_index(s, rec.field[c0]);
		if (u < 0) {
			out->unknown_user++;
			continue;
		}
		int64_t j = user_user ? kith_store_user_index(s, rec.field[c1])
		                      : kith_store_item_index(s, rec.field[c1]);
		if (j < 0) {
			if (user_user) {
				out->unknown_user++;
				continue;
			}
			char *key = g_strdup_printf("%" G_GINT64_FORMAT "\t%s",
			                            u, rec.field[c1]);
			if (g_hash_table_contains(unknown, key)) {
				g_free(key);
				out->duplicate++;
				continue;
			}
			g_hash_table_add(unknown, key);
			out->unknown_item++;
			extra[u]++;
			continue;
		}
		if (user_user && u == j) {
			out->self_pair++;
			continue;
		}
		int32_t ru = (int32_t)u, rj = (int32_t)j;
		g_array_append_val(rows, ru);
		g_array_append_val(cols, rj);
	}
	if (rc < 0)
		return FALSE;
	if (!kith_csr_from_coo(&out->test, s->n_users, n_cols, rows->len,
	                       (int32_t *)rows->data, (int32_t *)cols->data,
	                       NULL, error))
		return FALSE;
	out->duplicate += (int64_t)rows->len - out->test.nnz;
	out->used = out->test.nnz + out->unknown_item;
	out->extra_misses = g_steal_pointer(&extra);
	return TRUE;
}

void
kith_testset_clear(struct kith_testset *t)
{
	kith_csr_clear(&t->test);
	g_free(t->extra_misses);
	memset(t, 0, sizeof(*t));
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

gboolean
kith_read_labels(struct kith_labels *out, struct kith_store *s,
                 const char *path, GError **error)
{
	memset(out, 0, sizeof(*out));
	struct kith_csv_options o = KITH_CSV_OPTIONS_INIT;
	g_autoptr(kith_csv) r = kith_csv_open(path, &o, error);
	if (!r)
		return FALSE;
	struct kith_csv_roles roles;
	int cn, cl, cs;
	if (kith_csv_has_header(r)) {
		const char *const *names = kith_csv_header_names(r);
		int n = 0;
		while (names && names[n])
			n++;
		kith_csv_roles_from_header(&roles, names, n);
		cn = roles.col[KITH_ROLE_NODE];
		if (cn < 0)
			cn = roles.col[KITH_ROLE_USER];
		cl = roles.col[KITH_ROLE_LABEL];
		cs = roles.col[KITH_ROLE_SPLIT];
		if (cn < 0 || cl < 0) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
			            "'%s' needs 'node' and 'label' columns", path);
			return FALSE;
		}
	} else {
		cn = 0;
		cl = 1;
		cs = kith_csv_n_columns(r) > 2 ? 2 : -1;
	}
	int64_t n = s->n_users;
	out->label = kith_alloc_n(MAX(n, 1), sizeof(int32_t), error);
	out->split = kith_alloc0_n(MAX(n, 1), 1, error);
	if (!out->label || !out->split) {
		kith_labels_clear(out);
		return FALSE;
	}
	for (int64_t i = 0; i < n; i++)
		out->label[i] = -1;
	/* labels are numbered by their sorted names after reading */
	g_autoptr(GHashTable) names = g_hash_table_new_full(g_str_hash,
	                                                    g_str_equal,
	                                                    g_free, NULL);
	struct kith_csv_record rec;
	int rc;
	g_autofree char **lab = kith_alloc0_n(MAX(n, 1), sizeof(char *), error);
	if (!lab) {
		kith_labels_clear(out);
		return FALSE;
	}
	while ((rc = kith_csv_next(r, &rec, error)) > 0) {
		out->rows++;
		if (rec.reason != KITH_CSV_OK || rec.n_fields <= MAX(cn, cl) ||
		    rec.len[cl] == 0) {
			out->bad++;
			continue;
		}
		int64_t u = kith_store_user_index(s, rec.field[cn]);
		if (u < 0) {
			out->unknown_node++;
			continue;
		}
		if (lab[u]) {
			out->duplicate++;
			continue;
		}
		char *key = g_hash_table_lookup(names, rec.field[cl]);
		if (!key) {
			key = g_strdup(rec.field[cl]);
			g_hash_table_add(names, key);
		}
		lab[u] = key;
		uint8_t sp = KITH_SPLIT_NONE;
		if (cs >= 0 && rec.n_fields > cs) {
			const char *f = rec.field[cs];
			if (strcmp(f, "train") == 0)
				sp = KITH_SPLIT_TRAIN;
			else if (strcmp(f, "val") == 0 ||
			         strcmp(f, "valid") == 0)
				sp = KITH_SPLIT_VAL;
			else if (strcmp(f, "test") == 0)
				sp = KITH_SPLIT_TEST;
		}
		out->split[u] = sp;
	}
	if (rc < 0) {
		kith_labels_clear(out);
		return FALSE;
	}
	guint nl = 0;
	g_autofree char **sorted = (char **)g_hash_table_get_keys_as_array(
		names, &nl);
	qsort(sorted, nl, sizeof(char *), cmp_str);
	out->n_classes = (int)nl;
	out->class_names = g_new0(char *, nl + 1);
	for (guint c = 0; c < nl; c++)
		out->class_names[c] = g_strdup(sorted[c]);
	for (int64_t u = 0; u < n; u++) {
		if (!lab[u])
			continue;
		/* binary search of the interned name */
		guint lo = 0, hi = nl;
		while (lo < hi) {
			guint mid = (lo + hi) / 2;
			int c = strcmp(sorted[mid], lab[u]);
			if (c == 0) {
				lo = mid;
				break;
			}
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		out->label[u] = (int32_t)lo;
		out->labelled++;
	}
	out->n_nodes = n;
	return TRUE;
}

void
kith_labels_clear(struct kith_labels *l)
{
	g_free(l->label);
	g_free(l->split);
	g_strfreev(l->class_names);
	memset(l, 0, sizeof(*l));
}
