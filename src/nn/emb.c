/*
 * Embedding folders: users.npy and items.npy (float32, row-major), the
 * ids of their rows (users.tsv, items.tsv) and a manifest with the
 * model's description and the checksums.  Written
 * atomically through kith_outdir; opened by mapping.  What a reader shows
 * of the model (its name, the store, the training curve as series) is
 * read from the manifest here, where the format is kept, not by each
 * reader (kith_emb_summary_read(): O(entries of the curve)).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "kith/core.h"
#include "kith/emb.h"
#include "kith/io.h"

gboolean
kith_emb_write(const char *path, const float *users, int64_t n_users,
               const float *items, int64_t n_items, int dim,
               char *const *user_ids, char *const *item_ids,
               JsonObject *fields, const struct kith_emb_array *extra,
               int n_extra, GError **error)
{
	g_autoptr(kith_outdir) od = NULL;
	g_autoptr(JsonBuilder) b = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *mpath = NULL;
	int i;

	if (dim <= 0 || n_users < 0 || n_items < 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "invalid embedding shape");
		return FALSE;
	}
	od = kith_outdir_begin(path, error);
	if (od == NULL)
		return FALSE;
	b = kith_manifest_begin(KITH_EMB_FORMAT, KITH_EMB_VERSION);
	json_builder_set_member_name(b, "dim");
	json_builder_add_int_value(b, dim);
	json_builder_set_member_name(b, "n_users");
	json_builder_add_int_value(b, n_users);
	json_builder_set_member_name(b, "n_items");
	json_builder_add_int_value(b, n_items);
	json_builder_set_member_name(b, "arrays");
	json_builder_begin_object(b);
	if (!kith_outdir_npy(od, b, "users.npy", KITH_DT_F32, n_users, dim,
	                     users, 0644, error) ||
	    !kith_outdir_npy(od, b, "items.npy", KITH_DT_F32, n_items, dim,
	                     items, 0644, error))
		return FALSE;
	if (user_ids && !kith_outdir_ids(od, b, "users.tsv", "user", user_ids,
	                                 n_users, 0600, error))
		return FALSE;
	if (item_ids && n_items > 0 &&
	    !kith_outdir_ids(od, b, "items.tsv", "item", item_ids, n_items,
	                     0644, error))
		return FALSE;
	for (i = 0; i < n_extra; i++) {
		if (strcmp(extra[i].name, "users.npy") == 0 ||
		    strcmp(extra[i].name, "items.npy") == 0 ||
		    strcmp(extra[i].name, "users.tsv") == 0 ||
		    strcmp(extra[i].name, "items.tsv") == 0 ||
		    strchr(extra[i].name, '/') != NULL) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "invalid extra array name '%s'", extra[i].name);
			return FALSE;
		}
		if (!kith_outdir_npy(od, b, extra[i].name, extra[i].dtype,
		                     extra[i].nrows, extra[i].ncols, extra[i].data,
		                     0644, error))
			return FALSE;
	}
	json_builder_end_object(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	if (fields != NULL) {
		JsonObject *o = json_node_get_object(root);
		g_autoptr(GList) names = json_object_get_members(fields);
		GList *l;
		for (l = names; l != NULL; l = l->next)
			if (!json_object_has_member(o, l->data))
				json_object_set_member(
				        o, l->data,
				        json_node_copy(json_object_get_member(fields,
				                                              l->data)));
	}
	mpath = kith_outdir_path(od, "manifest.json");
	if (!kith_json_write(mpath, root, error))
		return FALSE;
	return kith_outdir_commit(od, error);
}

struct kith_emb *
kith_emb_open(const char *path, GError **error)
{
	g_autoptr(kith_emb) e = g_new0(struct kith_emb, 1);
	g_autofree char *mpath = g_build_filename(path, "manifest.json", NULL);
	g_autofree char *upath = g_build_filename(path, "users.npy", NULL);
	g_autofree char *ipath = g_build_filename(path, "items.npy", NULL);
	JsonObject *root;

	e->path = g_strdup(path);
	e->manifest = kith_json_read(mpath, error);
	if (e->manifest == NULL)
		return NULL;
	root = json_node_get_object(e->manifest);
	if (g_strcmp0(kith_json_str(root, "format"), KITH_EMB_FORMAT) != 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "'%s' is not a kith embedding folder", path);
		return NULL;
	}
	{
		int64_t dim = kith_json_int_or(root, "dim", 0);
		e->dim = dim > 0 && dim <= 65536 ? (int)dim : 0;
	}
	if (!kith_npy_map(&e->map_users, upath, error) ||
	    !kith_npy_map(&e->map_items, ipath, error))
		return NULL;
	if (e->dim <= 0 || e->map_users.dtype != KITH_DT_F32 ||
	    e->map_items.dtype != KITH_DT_F32 ||
	    (e->map_users.shape[0] > 0 && (e->map_users.ndim != 2 ||
	                                   e->map_users.shape[1] != e->dim)) ||
	    (e->map_items.shape[0] > 0 && (e->map_items.ndim != 2 ||
	                                   e->map_items.shape[1] != e->dim))) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "'%s': embedding arrays disagree with the manifest",
		            path);
		return NULL;
	}
	e->n_users = e->map_users.ndim == 2 ? e->map_users.shape[0] : 0;
	e->n_items = e->map_items.ndim == 2 ? e->map_items.shape[0] : 0;
	e->users = e->map_users.data;
	e->items = e->n_items > 0 ? e->map_items.data : NULL;
	return g_steal_pointer(&e);
}

void
kith_emb_free(struct kith_emb *e)
{
	if (e == NULL)
		return;
	kith_npy_unmap(&e->map_users);
	kith_npy_unmap(&e->map_items);
	if (e->manifest)
		json_node_unref(e->manifest);
	g_free(e->path);
	g_free(e);
}

gboolean
kith_emb_array(const struct kith_emb *e, const char *name,
               struct kith_npy *out, GError **error)
{
	g_autofree char *p = NULL;

	if (strchr(name, '/') != NULL) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "invalid array name '%s'", name);
		return FALSE;
	}
	p = g_build_filename(e->path, name, NULL);
	return kith_npy_map(out, p, error);
}

/* ---- what readers show of the model ------------------------------------- */

static void
series_free(gpointer p)
{
	struct kith_emb_series *s = p;

	g_free(s->name);
	g_array_unref(s->epoch);
	g_array_unref(s->value);
	g_free(s);
}

/* Appends (x, y) to the series called name, made when new. */
static void
curve_add(GPtrArray *curve, const char *name, double x, double y)
{
	struct kith_emb_series *s = NULL;

	for (guint i = 0; i < curve->len && !s; i++)
		if (strcmp(((struct kith_emb_series *)curve->pdata[i])->name,
		           name) == 0)
			s = curve->pdata[i];
	if (s == NULL) {
		s = g_new0(struct kith_emb_series, 1);
		s->name = g_strdup(name);
		s->epoch = g_array_new(FALSE, FALSE, sizeof(double));
		s->value = g_array_new(FALSE, FALSE, sizeof(double));
		g_ptr_array_add(curve, s);
	}
	g_array_append_val(s->epoch, x);
	g_array_append_val(s->value, y);
}

/* The points of one curve entry (an object) at epoch x. */
static void
curve_entry(GPtrArray *curve, JsonObject *e, double x)
{
	g_autoptr(GList) names = json_object_get_members(e);
	double y;

	for (GList *l = names; l; l = l->next) {
		JsonNode *v = json_object_get_member(e, l->data);
		if (strcmp(l->data, "epoch") == 0)
			continue;
		if (kith_json_node_num(v, &y)) {
			if (isfinite(y))
				curve_add(curve, l->data, x, y);
		} else if (JSON_NODE_HOLDS_OBJECT(v)) {
			JsonObject *o = json_node_get_object(v);
			g_autoptr(GList) inner = json_object_get_members(o);
			for (GList *q = inner; q; q = q->next)
				if (kith_json_node_num(json_object_get_member(o,
				                       q->data), &y) && isfinite(y))
					curve_add(curve, q->data, x, y);
		}
	}
}

void
kith_emb_summary_read(struct kith_emb_summary *out, const struct kith_emb *e)
{
	JsonObject *m = e->manifest ? json_node_get_object(e->manifest) : NULL;
	JsonNode *cn = m && json_object_has_member(m, "curve")
	                       ? json_object_get_member(m, "curve") : NULL;
	JsonArray *arr = NULL;

	out->model = g_strdup(kith_json_str(m, "model"));
	out->store_created = g_strdup(kith_json_str(m, "store_created"));
	out->curve = g_ptr_array_new_with_free_func(series_free);
	if (cn && JSON_NODE_HOLDS_ARRAY(cn))
		arr = json_node_get_array(cn);
	else if (cn && JSON_NODE_HOLDS_OBJECT(cn))
		arr = kith_json_arr(json_node_get_object(cn), "epochs");
	for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
		JsonNode *en = json_array_get_element(arr, i);
		double x, y;
		if (kith_json_node_num(en, &y)) {   /* a bare array of losses */
			curve_add(out->curve, "loss", i + 1, y);
		} else if (JSON_NODE_HOLDS_OBJECT(en)) {
			JsonObject *o = json_node_get_object(en);
			x = kith_json_num_or(o, "epoch", i + 1);
			curve_entry(out->curve, o, x);
		}
	}
}

void
kith_emb_summary_clear(struct kith_emb_summary *s)
{
	g_free(s->model);
	g_free(s->store_created);
	if (s->curve)
		g_ptr_array_unref(s->curve);
	memset(s, 0, sizeof *s);
}
