/*
 * kith update: a batch of new files folded into an existing store.
 *
 * The store seeds an ingest (kith_ingest_options.base, see ingest.h): its
 * ids keep their indices, new users and items are appended in order of
 * first appearance, its event log, social pairs, item categories and user
 * features are the first rows, and the build merges the batch into them
 * exactly as a single ingest of all the files would (the stable sort by
 * user keeps each old row of the log in place; a user without new events
 * gets the same log rows and CSR row as before).  The new version is
 * written atomically over the old (a kith_store_writer: built aside, the
 * event log and pair arrays streamed while they are made, fsync,
 * exchange), so a failure or a kill leaves the old store.
 *
 * Ledger: manifest member "ledger", one entry per batch, the first one
 * describing the original ingest; each file with its SHA-256, size and
 * the ingest's line accounting (lines = header + comments + blank +
 * accepted + rejected, accepted = unique + merged + self_loops).  A file
 * whose SHA-256 the ledger already lists under the same kind is skipped,
 * so applying a batch twice is a no-op.
 *
 * Cost: one ingest of the whole store, O(E_store + bytes of the batch),
 * plus the store write; memory as an ingest of all the events.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "kith/core.h"
#include "kith/io.h"
#include "kith/update.h"

void
kith_update_result_clear(struct kith_update_result *r)
{
	kith_ingest_result_clear(&r->batch);
	if (r->skipped)
		g_ptr_array_unref(r->skipped);
	if (r->entry)
		json_node_unref(r->entry);
	g_free(r->store_created);
	g_free(r->touched);
	g_free(r->new_u);
	g_free(r->new_i);
	memset(r, 0, sizeof *r);
}

static char *
now_iso(void)
{
	g_autoptr(GDateTime) t = g_date_time_new_now_utc();
	return g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
}

static JsonObject *
member_object(JsonObject *o, const char *name)
{
	JsonNode *n = o ? json_object_get_member(o, name) : NULL;
	return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static JsonArray *
member_array(JsonObject *o, const char *name)
{
	JsonNode *n = o ? json_object_get_member(o, name) : NULL;
	return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

/* A ledger file object: the summary's counts plus size and sha256 of the
 * matching source (same index and kind), when there is one. */
static JsonNode *
ledger_file(JsonObject *sum, JsonObject *src)
{
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);
	JsonObject *o = json_object_new();
	static const char *const keys[] = {
		"kind", "path", "lines", "header", "comments", "blank",
		"accepted", "rejected", "rejected_by_reason", "unique",
		"merged", "self_loops", "bytes",
	};
	for (size_t k = 0; k < G_N_ELEMENTS(keys); k++) {
		JsonNode *v = json_object_get_member(sum, keys[k]);
		if (v)
			json_object_set_member(o, keys[k], json_node_copy(v));
	}
	if (src) {
		JsonNode *v = json_object_get_member(src, "size");
		json_object_set_member(o, "size", v ? json_node_copy(v)
		                                     : json_node_new(JSON_NODE_NULL));
		v = json_object_get_member(src, "sha256");
		json_object_set_member(o, "sha256", v ? json_node_copy(v)
		                                       : json_node_new(JSON_NODE_NULL));
	}
	json_node_take_object(n, o);
	return n;
}

static JsonArray *
ledger_files(JsonObject *summary, JsonArray *sources)
{
	JsonArray *out = json_array_new();
	JsonArray *files = member_array(summary, "files");
	for (guint i = 0; files && i < json_array_get_length(files); i++) {
		JsonObject *f = json_array_get_object_element(files, i);
		JsonObject *src = NULL;
		if (sources && i < json_array_get_length(sources)) {
			src = json_array_get_object_element(sources, i);
			if (g_strcmp0(json_object_get_string_member_with_default(
			                  src, "kind", ""),
			              json_object_get_string_member_with_default(
			                  f, "kind", "")) != 0)
				src = NULL;
		}
		json_array_add_element(out, ledger_file(f, src));
	}
	return out;
}

static void
set_int(JsonObject *o, const char *k, int64_t v)
{
	json_object_set_int_member(o, k, v);
}

static JsonObject *
counts_object(int64_t users, int64_t items, int64_t events,
              int64_t interactions, int64_t social_pairs)
{
	JsonObject *c = json_object_new();
	set_int(c, "users", users);
	set_int(c, "items", items);
	set_int(c, "events", events);
	set_int(c, "interactions", interactions);
	set_int(c, "social_pairs", social_pairs);
	return c;
}

JsonNode *
kith_update_ledger(JsonObject *m, GError **error)
{
	JsonArray *old = member_array(m, "ledger");
	if (old) {
		JsonNode *n = json_node_new(JSON_NODE_ARRAY);
		json_node_set_array(n, old);
		JsonNode *copy = json_node_copy(n);
		json_node_unref(n);
		return copy;
	}
	JsonObject *ing = member_object(m, "ingest");
	if (!ing) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "the store manifest has neither a ledger nor an "
		            "ingest summary");
		return NULL;
	}
	JsonObject *e = json_object_new();
	set_int(e, "index", 0);
	json_object_set_string_member(e, "kind", "ingest");
	json_object_set_string_member(e, "time",
		json_object_get_string_member_with_default(m, "created", ""));
	json_object_set_array_member(e, "files",
		ledger_files(ing, member_array(m, "sources")));
	int64_t users = json_object_get_int_member_with_default(ing, "users", 0);
	int64_t items = json_object_get_int_member_with_default(ing, "items", 0);
	set_int(e, "users_added", users);
	set_int(e, "items_added", items);
	json_object_set_object_member(e, "counts", counts_object(users, items,
		json_object_get_int_member_with_default(ing, "events", 0),
		json_object_get_int_member_with_default(ing, "interactions", 0),
		json_object_get_int_member_with_default(ing, "social_pairs", 0)));
	JsonArray *a = json_array_new();
	json_array_add_object_element(a, e);
	JsonNode *n = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(n, a);
	return n;
}

gboolean
kith_update_ledger_check(JsonNode *ledger, GError **error)
{
	if (!ledger || !JSON_NODE_HOLDS_ARRAY(ledger))
		goto bad;
	JsonArray *a = json_node_get_array(ledger);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonNode *en = json_array_get_element(a, i);
		if (!JSON_NODE_HOLDS_OBJECT(en))
			goto bad;
		JsonArray *files = member_array(json_node_get_object(en),
		                                "files");
		for (guint j = 0; files && j < json_array_get_length(files); j++) {
			JsonObject *f = json_array_get_object_element(files, j);
#define G(k) json_object_get_int_member_with_default(f, k, -1)
			int64_t byr = 0;
			JsonObject *r = member_object(f, "rejected_by_reason");
			g_autoptr(GList) ks = r ? json_object_get_members(r) : NULL;
			for (GList *l = ks; l; l = l->next)
				byr += json_object_get_int_member(r, l->data);
			if (G("lines") != G("header") + G("comments") + G("blank") +
			                  G("accepted") + G("rejected") ||
			    G("accepted") != G("unique") + G("merged") +
			                     G("self_loops") ||
			    G("rejected") != byr || G("lines") < 0) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
				            "ledger entry %u, file %u ('%s'): the "
				            "line counts do not add up", i, j,
				            json_object_get_string_member_with_default(
				                f, "path", "?"));
				return FALSE;
			}
#undef G
		}
	}
	return TRUE;
bad:
	g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
	            "the ledger is not an array of objects");
	return FALSE;
}

/* TRUE when some entry of the ledger lists a file of KIND with SHA. */
static gboolean
ledger_has(JsonArray *ledger, const char *kind, const char *sha)
{
	for (guint i = 0; i < json_array_get_length(ledger); i++) {
		JsonObject *e = json_array_get_object_element(ledger, i);
		JsonArray *files = member_array(e, "files");
		for (guint j = 0; files && j < json_array_get_length(files); j++) {
			JsonObject *f = json_array_get_object_element(files, j);
			const char *s = json_object_get_string_member_with_default(
			    f, "sha256", NULL);
			const char *k = json_object_get_string_member_with_default(
			    f, "kind", NULL);
			if (s && k && strcmp(s, sha) == 0 && strcmp(k, kind) == 0)
				return TRUE;
		}
	}
	return FALSE;
}

/* "user=0,item=1,value=2" -> "user,item,value" ("_" for gaps). */
static char *
mapping_to_spec(const char *mapping)
{
	g_auto(GStrv) parts = g_strsplit(mapping, ",", -1);
	GPtrArray *cols = g_ptr_array_new();
	for (int i = 0; parts[i]; i++) {
		char *eq = strchr(parts[i], '=');
		if (!eq)
			continue;
		int64_t c = g_ascii_strtoll(eq + 1, NULL, 10);
		if (c < 0 || c > 1024)
			continue;
		*eq = '\0';
		while (cols->len <= (guint)c)
			g_ptr_array_add(cols, (gpointer)"_");
		cols->pdata[c] = parts[i];
	}
	g_ptr_array_add(cols, NULL);
	char *spec = cols->len > 1 ? g_strjoinv(",", (char **)cols->pdata)
	                           : NULL;
	g_ptr_array_free(cols, TRUE);
	return spec;
}

/* The original events mapping as a --columns spec, when the original
 * events file had no header. */
static char *
original_columns(JsonObject *m)
{
	JsonArray *src = member_array(m, "sources");
	for (guint i = 0; src && i < json_array_get_length(src); i++) {
		JsonObject *s = json_array_get_object_element(src, i);
		if (g_strcmp0(json_object_get_string_member_with_default(s, "kind",
		                                                         ""),
		              "events") != 0)
			continue;
		if (json_object_get_boolean_member_with_default(s, "header",
		                                                FALSE))
			return NULL;
		const char *map = json_object_get_string_member_with_default(
		    s, "columns", "");
		return *map ? mapping_to_spec(map) : NULL;
	}
	return NULL;
}

static char *
original_weights(JsonObject *m)
{
	JsonObject *w = member_object(m, "event_weights");
	if (!w)
		return NULL;
	GString *s = g_string_new(NULL);
	g_autoptr(GList) ks = json_object_get_members(w);
	for (GList *l = ks; l; l = l->next) {
		char buf[G_ASCII_DTOSTR_BUF_SIZE];
		g_ascii_dtostr(buf, sizeof buf,
		               json_object_get_double_member(w, l->data));
		g_string_append_printf(s, "%s%s=%s", s->len ? "," : "",
		                       (const char *)l->data, buf);
	}
	if (s->len == 0) {
		g_string_free(s, TRUE);
		return NULL;
	}
	return g_string_free(s, FALSE);
}

static gboolean
store_is_private(const char *path)
{
	g_autofree char *p = g_build_filename(path, "users.tsv", NULL);
	struct stat sb;
	return stat(p, &sb) == 0 && (sb.st_mode & 077) == 0;
}

/* After the ingest of a batch: the streamed files (stream[k]) whose
 * SHA-256, computed while they were read, the ledger already lists.
 * Returns 1 when every file of the batch (LEFT, after the skipped ones)
 * is such a stream: the batch is a no-op (they go to out->skipped); 0
 * when none is; -1 with KITH_ERROR_DATA when some but not all are, since
 * a stream cannot be read again without it. */
static int
stream_applied(struct kith_update_result *out, JsonArray *la,
               const gboolean stream[5], const char *const kinds[5],
               const char **const slot[5], int left, GError **error)
{
	JsonArray *src = member_array(out->batch.extra, "sources");
	int dup = 0, first = -1;
	for (int k = 0; k < 5; k++) {
		if (!stream[k] || !*slot[k])
			continue;
		for (guint i = 0; src && i < json_array_get_length(src); i++) {
			JsonObject *f = json_array_get_object_element(src, i);
			const char *sha = kith_json_str(f, "sha256");
			if (g_strcmp0(kith_json_str(f, "kind"), kinds[k]) != 0 ||
			    !sha || !ledger_has(la, kinds[k], sha))
				continue;
			dup++;
			if (first < 0)
				first = k;
		}
	}
	if (dup == 0)
		return 0;
	if (dup < left) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "%s '%s' is already in the ledger (same SHA-256) and, "
		            "read from a stream, cannot be left out of the batch: "
		            "run the update again without it", kinds[first],
		            *slot[first]);
		return -1;
	}
	for (int k = 0; k < 5; k++)
		if (stream[k] && *slot[k])
			g_ptr_array_add(out->skipped, g_strdup_printf("%s '%s'",
			                kinds[k], *slot[k]));
	return 1;
}

gboolean
kith_update_store(const char *path, const struct kith_ingest_options *opt,
                  struct kith_update_result *out, GError **error)
{
	memset(out, 0, sizeof *out);
	out->skipped = g_ptr_array_new_with_free_func(g_free);
	struct kith_ingest_options o = *opt;
	const char **slot[5] = { &o.events, &o.social, &o.users, &o.items,
	                         &o.user_features };
	static const char *const kinds[5] = { "events", "social", "users",
	                                      "items", "user_features" };
	g_autofree char *spec = NULL, *weights = NULL;
	g_autoptr(JsonNode) ledger = NULL;
	g_autoptr(GString) rejects = NULL;
	g_autoptr(JsonObject) extra = NULL;
	g_autofree char *rp = NULL, *old_rej = NULL, *now = NULL, *mp = NULL;
	g_autoptr(JsonNode) sum = NULL;
	g_autoptr(JsonNode) nm = NULL;
	struct kith_store *base = NULL;
	struct kith_store_writer *w = NULL;
	gboolean ok = FALSE;
	int given = 0;

	for (int k = 0; k < 5; k++)
		if (*slot[k])
			given++;
	if (given == 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "give at least one of --events, --social, --users, "
		            "--items, --user-features");
		return FALSE;
	}
	base = kith_store_open(path, error);
	if (!base)
		return FALSE;
	JsonObject *m = base->manifest ? json_node_get_object(base->manifest)
	                               : NULL;
	if (m && json_object_get_boolean_member_with_default(m, "pseudonymized",
	                                                     FALSE)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "'%s' holds pseudonymized user ids; kith update "
		            "cannot add to it (ingest all the files again)", path);
		goto out;
	}
	ledger = kith_update_ledger(m, error);
	if (!ledger)
		goto out;
	JsonArray *la = json_node_get_array(ledger);
	out->index = json_array_get_length(la);
	out->old_users = base->n_users;
	out->old_items = base->n_items;
	out->old_interactions = base->ui.nnz;

	/* regular files already applied are skipped; a stream (told by
	 * stat(), not opened here) is hashed while the ingest reads it and
	 * checked after (see stream_applied()) */
	int left = 0;
	gboolean stream[5] = { FALSE };
	for (int k = 0; k < 5; k++) {
		if (!*slot[k])
			continue;
		struct stat sb;
		if (strcmp(*slot[k], "-") == 0 || (stat(*slot[k], &sb) == 0 &&
		                                   !S_ISREG(sb.st_mode))) {
			stream[k] = TRUE;
			left++;
			continue;
		}
		g_autofree char *sha = kith_file_sha256(*slot[k], NULL, error);
		if (!sha)
			goto out;
		if (ledger_has(la, kinds[k], sha)) {
			g_ptr_array_add(out->skipped, g_strdup_printf("%s '%s'",
			                kinds[k], *slot[k]));
			*slot[k] = NULL;
		} else {
			left++;
		}
	}
	if (left == 0) {
		out->noop = TRUE;
		ok = TRUE;
		goto out;
	}

	o.base = base;
	o.directed = base->directed_social;
	if (!o.columns && o.events && !o.preset && m)
		o.columns = spec = original_columns(m);
	if (!o.event_weights && m)
		o.event_weights = weights = original_weights(m);
	/* the new store is begun first: the build streams its biggest
	 * arrays into it (the old one stays in place until the commit) */
	gboolean priv = store_is_private(path);
	w = kith_store_writer_begin(path, priv, error);
	if (!w)
		goto out;
	o.writer = w;
	if (!kith_ingest_run(&o, &out->batch, error))
		goto out;
	int dup = stream_applied(out, la, stream, kinds, slot, left, error);
	if (dup < 0)
		goto out;
	if (dup > 0) {
		out->noop = TRUE;
		ok = TRUE;
		goto out;
	}
	struct kith_store *s = out->batch.store;

	/* rejects.tsv: the old rows, then the batch's */
	rp = g_build_filename(path, "rejects.tsv", NULL);
	gsize old_len = 0;
	if (g_file_test(rp, G_FILE_TEST_EXISTS) &&
	    !g_file_get_contents(rp, &old_rej, &old_len, NULL))
		old_rej = NULL;
	if (old_rej || out->batch.n_rejected > 0) {
		rejects = g_string_new(old_rej ? old_rej
		                       : "file\tline\tbyte_offset\treason\t"
		                         "excerpt\n");
		const char *b = out->batch.rejects->str;
		const char *nl = strchr(b, '\n');
		if (nl && out->batch.n_rejected > 0)
			g_string_append(rejects, nl + 1);
		s->rejects_tsv = rejects->str;
		s->rejects_len = rejects->len;
	}

	/* the ledger entry of the batch */
	sum = kith_ingest_summary_json(&out->batch);
	JsonObject *e = json_object_new();
	set_int(e, "index", out->index);
	json_object_set_string_member(e, "kind", "update");
	now = now_iso();
	json_object_set_string_member(e, "time", now);
	json_object_set_array_member(e, "files",
		ledger_files(json_node_get_object(sum),
		             member_array(out->batch.extra, "sources")));
	set_int(e, "users_added", s->n_users - base->n_users);
	set_int(e, "items_added", s->n_items - base->n_items);
	json_object_set_object_member(e, "counts", counts_object(s->n_users,
		s->n_items, s->n_events, s->ui.nnz,
		s->directed_social ? s->uu.nnz : s->uu.nnz / 2));
	json_object_set_double_member(e, "seconds", out->batch.seconds);
	json_array_add_object_element(la, json_object_ref(e));
	out->entry = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(out->entry, e);

	/* manifest: the old members, the new ledger and event weights */
	extra = json_object_new();
	if (m) {
		g_autoptr(GList) ks = json_object_get_members(m);
		for (GList *l = ks; l; l = l->next)
			if (strcmp(l->data, "ledger") != 0 &&
			    strcmp(l->data, "event_weights") != 0)
				json_object_set_member(extra, l->data,
					json_node_copy(json_object_get_member(m,
					                                      l->data)));
	}
	JsonNode *ew = json_object_get_member(out->batch.extra,
	                                      "event_weights");
	if (ew)
		json_object_set_member(extra, "event_weights",
		                       json_node_copy(ew));
	json_object_set_member(extra, "ledger", json_node_copy(ledger));
	/* users whose set of items changed: a longer row (pairs only ever
	 * get added) or a user new in this batch */
	out->touched = g_new(int64_t, MAX(s->n_users, 1));
	for (int64_t u = 0; u < s->n_users; u++) {
		int64_t nd = s->ui.indptr[u + 1] - s->ui.indptr[u];
		int64_t od = u < base->n_users
		             ? base->ui.indptr[u + 1] - base->ui.indptr[u] : -1;
		if (nd != od)
			out->touched[out->n_touched++] = u;
	}
	/* the new pairs: row by row, the items of the new row missing from
	 * the old one (both sorted) */
	int64_t n_new = MAX(s->ui.nnz - base->ui.nnz, 0);
	out->new_u = g_new(int64_t, MAX(n_new, 1));
	out->new_i = g_new(int32_t, MAX(n_new, 1));
	for (int64_t t = 0; t < out->n_touched; t++) {
		int64_t u = out->touched[t];
		int64_t a = s->ui.indptr[u], b = s->ui.indptr[u + 1];
		int64_t oa = 0, ob = 0;
		if (u < base->n_users) {
			oa = base->ui.indptr[u];
			ob = base->ui.indptr[u + 1];
		}
		for (int64_t k = a; k < b && out->n_new < n_new; k++) {
			int32_t i = s->ui.indices[k];
			while (oa < ob && base->ui.indices[oa] < i)
				oa++;
			if (oa < ob && base->ui.indices[oa] == i)
				continue;
			out->new_u[out->n_new] = u;
			out->new_i[out->n_new++] = i;
		}
	}
	kith_store_free(base);
	base = NULL;
	if (!kith_store_writer_finish(w, s, extra, error))
		goto out;
	mp = g_build_filename(path, "manifest.json", NULL);
	nm = kith_json_read(mp, NULL);
	if (nm && JSON_NODE_HOLDS_OBJECT(nm))
		out->store_created = g_strdup(
		    json_object_get_string_member_with_default(
		        json_node_get_object(nm), "created", ""));
	ok = TRUE;
out:
	/* the streams read the batch's arrays: stopped before they go */
	kith_store_writer_free(w);
	if (base)
		kith_store_free(base);
	if (!ok)
		kith_update_result_clear(out);
	else if (out->noop)
		kith_ingest_result_clear(&out->batch);
	return ok;
}
