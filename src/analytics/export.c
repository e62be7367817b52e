/*
 * Embedding export to the formats other tools read, and the atomic text
 * files the analytics commands write.
 *
 * Rows are the users, the items, or the users followed by the items; a
 * row's name is its store id (prefixed "u:" / "i:" when both kinds are
 * exported, so that a user and an item with the same id stay apart), or
 * its index when no ids are given.  Whitespace inside ids is replaced by
 * '_' in the word2vec formats, whose records are space-separated.
 *  - npy: one float32 (rows x d) .npy at PATH;
 *  - w2v: word2vec text, "rows d" then "name v1 ... vd" (%.9g, exact
 *    float round trip);
 *  - w2v-bin: word2vec binary as gensim's load_word2vec_format(binary=True)
 *    reads it: "rows d\n", then per row "name " + d little-endian float32
 *    + "\n";
 *  - fvecs: per row int32 d then d float32 (faiss / INRIA TEXMEX);
 *  - projector: folder PATH with vectors.tsv (tab-separated) and
 *    metadata.tsv (header "id\ttype", type user or item) for the
 *    TensorBoard embedding projector;
 *  - serving: folder PATH for a nearest-neighbour server: users.npy,
 *    items.npy, their ids files, the seen items of each user as a CSR
 *    (seen.indptr.npy int64, seen.indices.npy int32 item rows) and a
 *    README, listed with checksums in manifest.json.
 * npy and fvecs, whose files hold no names, get an ids file beside them
 * (kith_export_ids_path()): header "user" or "item" (users and items:
 * "id\ttype", names prefixed), then one name per line, escaped as ids
 * files are (io.h).  The word2vec formats can stream to standard output
 * ("-"); the others are several files and refuse it.  Every output is
 * written to a temporary name and renamed into place.  Cost O(rows · d)
 * (serving: plus O(nnz) for the seen items).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kith/analytics.h"
#include "kith/core.h"
#include "kith/io.h"
#include "analytics/analytics-internal.h"

gboolean
kith_i_atomic_open(struct kith_i_atomic *af, const char *path, GError **error)
{
	memset(af, 0, sizeof(*af));
	if (strcmp(path, "-") == 0) {
		af->fp = stdout;
		return TRUE;
	}
	af->path = g_strdup(path);
	af->tmp = g_strdup_printf("%s.tmp-XXXXXX", path);
	int fd = g_mkstemp_full(af->tmp, O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot create '%s': %s", path, g_strerror(e));
		g_clear_pointer(&af->tmp, g_free);
		g_clear_pointer(&af->path, g_free);
		return FALSE;
	}
	/* mkstemp makes 0600; outputs are ordinary files */
	(void)fchmod(fd, 0644);
	af->fp = fdopen(fd, "w");
	if (!af->fp) {
		close(fd);
		unlink(af->tmp);
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot create '%s'", path);
		g_clear_pointer(&af->tmp, g_free);
		g_clear_pointer(&af->path, g_free);
		return FALSE;
	}
	return TRUE;
}

void
kith_i_atomic_abort(struct kith_i_atomic *af)
{
	if (af->fp && af->fp != stdout)
		fclose(af->fp);
	if (af->tmp)
		unlink(af->tmp);
	g_free(af->tmp);
	g_free(af->path);
	memset(af, 0, sizeof(*af));
}

gboolean
kith_i_atomic_commit(struct kith_i_atomic *af, GError **error)
{
	if (af->fp == stdout) {
		gboolean ok = fflush(stdout) == 0 && !ferror(stdout);
		af->fp = NULL;
		if (!ok)
			g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
			            "cannot write to standard output");
		return ok;
	}
	int e = 0;
	if (fflush(af->fp) != 0 || ferror(af->fp))
		e = errno ? errno : EIO;
	else if (fsync(fileno(af->fp)) != 0)
		e = errno;
	if (fclose(af->fp) != 0 && !e)
		e = errno;
	af->fp = NULL;
	if (!e && rename(af->tmp, af->path) != 0)
		e = errno;
	if (e) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot write '%s': %s", af->path, g_strerror(e));
		kith_i_atomic_abort(af);
		return FALSE;
	}
	g_free(af->tmp);
	g_free(af->path);
	memset(af, 0, sizeof(*af));
	return TRUE;
}

gboolean
kith_export_format_parse(enum kith_export_format *out, const char *name)
{
	static const char *const names[] = { "npy", "w2v", "w2v-bin", "fvecs",
	                                     "projector", "serving" };
	for (int i = 0; i < (int)G_N_ELEMENTS(names); i++)
		if (strcmp(name, names[i]) == 0) {
			*out = (enum kith_export_format)i;
			return TRUE;
		}
	return FALSE;
}

char *
kith_export_ids_path(const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');

	if (dot && dot != path && (!slash || dot > slash + 1) &&
	    (strcmp(dot, ".npy") == 0 || strcmp(dot, ".fvecs") == 0))
		return g_strdup_printf("%.*s.ids.tsv", (int)(dot - path), path);
	return g_strdup_printf("%s.ids.tsv", path);
}

/* Name of row r into buf: prefix + id (or index), whitespace -> '_' when
 * `words`. */
static void
row_name(GString *buf, const struct kith_export_rows *x, int64_t r,
         gboolean words)
{
	gboolean user = r < x->n_users;
	int64_t i = user ? r : r - x->n_users;
	char *const *ids = user ? x->user_ids : x->item_ids;
	g_string_truncate(buf, 0);
	if (x->prefix)
		g_string_append(buf, user ? "u:" : "i:");
	if (ids)
		g_string_append(buf, ids[i]);
	else
		g_string_append_printf(buf, "%" G_GINT64_FORMAT, i);
	if (words)
		for (gsize c = 0; c < buf->len; c++)
			if (g_ascii_isspace(buf->str[c]))
				buf->str[c] = '_';
}

static const float *
row_vec(const struct kith_export_rows *x, int64_t r)
{
	return r < x->n_users ? x->users + r * (int64_t)x->dim
	                      : x->items + (r - x->n_users) * (int64_t)x->dim;
}

/* projector metadata.tsv: "id\ttype", then name and user/item per row;
 * tabs and line ends inside names become spaces (one row per line). */
static gboolean
write_metadata(const char *path, const struct kith_export_rows *x,
               GError **error)
{
	struct kith_i_atomic af;
	g_autoptr(GString) name = g_string_new(NULL);
	int64_t n = x->n_users + x->n_items;
	if (!kith_i_atomic_open(&af, path, error))
		return FALSE;
	fputs("id\ttype\n", af.fp);
	for (int64_t r = 0; r < n; r++) {
		row_name(name, x, r, FALSE);
		for (gsize c = 0; c < name->len; c++)
			if (name->str[c] == '\t' || name->str[c] == '\n' ||
			    name->str[c] == '\r')
				name->str[c] = ' ';
		fprintf(af.fp, "%s\t%s\n", name->str,
		        r < x->n_users ? "user" : "item");
	}
	return kith_i_atomic_commit(&af, error);
}

/* The ids file beside an npy or fvecs export (see the banner). */
static gboolean
write_ids(const char *path, const struct kith_export_rows *x,
          GError **error)
{
	struct kith_i_atomic af;
	g_autoptr(GString) name = g_string_new(NULL);
	g_autoptr(GString) line = g_string_new(NULL);
	int64_t n = x->n_users + x->n_items;
	gboolean both = x->n_users > 0 && x->n_items > 0;
	if (!kith_i_atomic_open(&af, path, error))
		return FALSE;
	fputs(both ? "id\ttype\n" : x->n_users > 0 ? "user\n" : "item\n",
	      af.fp);
	for (int64_t r = 0; r < n; r++) {
		row_name(name, x, r, FALSE);
		g_string_truncate(line, 0);
		kith_ids_escape(line, name->str);
		if (both)
			g_string_append(line, r < x->n_users ? "\tuser" : "\titem");
		g_string_append_c(line, '\n');
		fwrite(line->str, 1, line->len, af.fp);
	}
	return kith_i_atomic_commit(&af, error);
}

static gboolean
write_vectors(const char *path, enum kith_export_format f,
              const struct kith_export_rows *x, GError **error)
{
	struct kith_i_atomic af;
	g_autoptr(GString) name = g_string_new(NULL);
	int64_t n = x->n_users + x->n_items;
	int d = x->dim;
	if (!kith_i_atomic_open(&af, path, error))
		return FALSE;
	if (f == KITH_EXPORT_W2V || f == KITH_EXPORT_W2V_BIN)
		fprintf(af.fp, "%" G_GINT64_FORMAT " %d\n", n, d);
	for (int64_t r = 0; r < n; r++) {
		const float *v = row_vec(x, r);
		switch (f) {
		case KITH_EXPORT_W2V:
			row_name(name, x, r, TRUE);
			fputs(name->str, af.fp);
			for (int c = 0; c < d; c++)
				fprintf(af.fp, " %.9g", v[c]);
			fputc('\n', af.fp);
			break;
		case KITH_EXPORT_W2V_BIN:
			row_name(name, x, r, TRUE);
			fputs(name->str, af.fp);
			fputc(' ', af.fp);
			fwrite(v, sizeof(float), (size_t)d, af.fp);
			fputc('\n', af.fp);
			break;
		case KITH_EXPORT_FVECS: {
			int32_t dd = d;
			fwrite(&dd, sizeof(dd), 1, af.fp);
			fwrite(v, sizeof(float), (size_t)d, af.fp);
			break;
		}
		default:
			for (int c = 0; c < d; c++)
				fprintf(af.fp, "%s%.9g", c ? "\t" : "", v[c]);
			fputc('\n', af.fp);
			break;
		}
	}
	return kith_i_atomic_commit(&af, error);
}

/* Renames the written file tmp to path; on failure removes tmp. */
static gboolean
rename_into_place(const char *tmp, const char *path, GError **error)
{
	if (rename(tmp, path) == 0)
		return TRUE;
	int e = errno;
	unlink(tmp);
	g_set_error(error, KITH_ERROR, KITH_ERROR_IO, "cannot write '%s': %s",
	            path, g_strerror(e));
	return FALSE;
}

static gboolean
write_npy(const char *path, const struct kith_export_rows *x, GError **error)
{
	int64_t n = x->n_users + x->n_items;
	size_t nd;
	if (!kith_mul_size((size_t)n, (size_t)x->dim, &nd)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "export too large");
		return FALSE;
	}
	g_autofree float *all = NULL;
	const float *data = x->n_items == 0 ? x->users
	                    : x->n_users == 0 ? x->items : NULL;
	if (!data) {
		all = kith_alloc_n(nd, sizeof(float), error);
		if (!all)
			return FALSE;
		memcpy(all, x->users, sizeof(float) * x->n_users * x->dim);
		memcpy(all + x->n_users * x->dim, x->items,
		       sizeof(float) * x->n_items * x->dim);
		data = all;
	}
	g_autofree char *tmp = g_strdup_printf("%s.tmp-npy", path);
	return kith_npy_write(tmp, KITH_DT_F32, n, x->dim, data, 0644, NULL,
	                      error) &&
	       rename_into_place(tmp, path, error);
}

gboolean
kith_export(const char *path, enum kith_export_format f,
            const struct kith_export_rows *x, GError **error)
{
	int64_t n = x->n_users + x->n_items;
	if (x->dim <= 0 || n <= 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "nothing to export");
		return FALSE;
	}
	if (f == KITH_EXPORT_SERVING) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "the serving format needs the store's seen items "
		            "(kith_export_serving())");
		return FALSE;
	}
	if (strcmp(path, "-") == 0 && f != KITH_EXPORT_W2V &&
	    f != KITH_EXPORT_W2V_BIN) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "this format writes several files: standard output "
		            "('-') takes w2v or w2v-bin only");
		return FALSE;
	}
	if (f == KITH_EXPORT_NPY || f == KITH_EXPORT_FVECS) {
		g_autofree char *ids = kith_export_ids_path(path);
		if (f == KITH_EXPORT_NPY ? !write_npy(path, x, error)
		                         : !write_vectors(path, f, x, error))
			return FALSE;
		return write_ids(ids, x, error);
	}
	if (f == KITH_EXPORT_PROJECTOR) {
		g_autoptr(kith_outdir) od = kith_outdir_begin(path, error);
		if (!od)
			return FALSE;
		g_autofree char *vp = kith_outdir_path(od, "vectors.tsv");
		g_autofree char *mp = kith_outdir_path(od, "metadata.tsv");
		if (!write_vectors(vp, f, x, error) ||
		    !write_metadata(mp, x, error))
			return FALSE;
		return kith_outdir_commit(od, error);
	}
	return write_vectors(path, f, x, error);
}

static const char serving_readme[] =
"kith serving export: what a nearest-neighbour server needs to reproduce\n"
"kith recommend (the top items by dot product that the user has not seen).\n"
"\n"
"users.npy         float32, users x d: the query vectors\n"
"items.npy         float32, items x d: the vectors to index\n"
"users.tsv         the id of each row of users.npy (header \"user\")\n"
"items.tsv         the id of each row of items.npy (header \"item\")\n"
"seen.indptr.npy   int64, users + 1  } the items each user has seen, as\n"
"seen.indices.npy  int32, pairs      } CSR: user u's item rows are\n"
"                  indices[indptr[u]:indptr[u + 1]], ascending\n"
"manifest.json     counts, the embedding and store folders, checksums\n"
"                  (kith info --verify DIR)\n"
"\n"
"Ids files: line i + 2 names row i; backslash, tab, line feed and\n"
"carriage return inside an id are written \\\\ \\t \\n \\r.\n"
"\n"
"With faiss (exact inner product; over-fetch by the seen count, drop the\n"
"seen items; kith breaks ties by the lower item row):\n"
"\n"
"  import numpy as np, faiss\n"
"  U, V = np.load('users.npy'), np.load('items.npy')\n"
"  ptr, seen = np.load('seen.indptr.npy'), np.load('seen.indices.npy')\n"
"  index = faiss.IndexFlatIP(V.shape[1]); index.add(V)\n"
"  def top(u, k=10):\n"
"      s = set(seen[ptr[u]:ptr[u + 1]].tolist())\n"
"      D, I = index.search(U[u:u + 1], k + len(s))\n"
"      return [j for j in I[0] if j >= 0 and j not in s][:k]\n";

gboolean
kith_export_serving(const char *path, const struct kith_export_rows *x,
                    const struct kith_csr *seen, const char *emb_path,
                    const char *store_path, GError **error)
{
	if (x->dim <= 0 || x->n_users <= 0 || x->n_items <= 0 ||
	    !x->user_ids || !x->item_ids) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "the serving format needs user and item vectors "
		            "and the store's ids");
		return FALSE;
	}
	if (seen->n_rows != x->n_users || seen->n_cols != x->n_items) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "the seen items (%" G_GINT64_FORMAT " x %"
		            G_GINT64_FORMAT ") do not match the vectors (%"
		            G_GINT64_FORMAT " users, %" G_GINT64_FORMAT " items)",
		            seen->n_rows, seen->n_cols, x->n_users, x->n_items);
		return FALSE;
	}
	if (strcmp(path, "-") == 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "the serving format writes a folder, not standard "
		            "output");
		return FALSE;
	}
	g_autoptr(kith_outdir) od = kith_outdir_begin(path, error);
	if (!od)
		return FALSE;
	g_autoptr(JsonBuilder) b = kith_manifest_begin("kith-serving", 1);
	g_autofree char *rp = kith_outdir_path(od, "README");
	uint64_t h;
	json_builder_set_member_name(b, "arrays");
	json_builder_begin_object(b);
	if (!kith_outdir_npy(od, b, "users.npy", KITH_DT_F32, x->n_users,
	                     x->dim, x->users, 0644, error) ||
	    !kith_outdir_npy(od, b, "items.npy", KITH_DT_F32, x->n_items,
	                     x->dim, x->items, 0644, error) ||
	    !kith_outdir_ids(od, b, "users.tsv", "user", x->user_ids,
	                     x->n_users, 0600, error) ||
	    !kith_outdir_ids(od, b, "items.tsv", "item", x->item_ids,
	                     x->n_items, 0644, error) ||
	    !kith_outdir_npy(od, b, "seen.indptr.npy", KITH_DT_I64,
	                     x->n_users + 1, 0, seen->indptr, 0600, error) ||
	    !kith_outdir_npy(od, b, "seen.indices.npy", KITH_DT_I32,
	                     seen->nnz, 0, seen->indices, 0600, error) ||
	    !kith_write_file(rp, serving_readme, sizeof(serving_readme) - 1,
	                     0644, error) ||
	    !kith_file_xxh64(rp, &h, error))
		return FALSE;
	int64_t lines = 0;
	for (const char *c = serving_readme; *c; c++)
		lines += *c == '\n';
	kith_manifest_add_text(b, "README", lines, h,
	                       (int64_t)sizeof(serving_readme) - 1);
	json_builder_end_object(b);
	kith_json_put_int(b, "dim", x->dim);
	kith_json_put_int(b, "users", x->n_users);
	kith_json_put_int(b, "items", x->n_items);
	kith_json_put_int(b, "seen", seen->nnz);
	kith_json_put_string(b, "score", "dot");
	kith_json_put_string(b, "emb", emb_path);
	kith_json_put_string(b, "store", store_path);
	json_builder_end_object(b);
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_autofree char *mp = kith_outdir_path(od, "manifest.json");
	return kith_json_write(mp, root, error) &&
	       kith_outdir_commit(od, error);
}
