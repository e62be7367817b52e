/*
 * Embedding export to the formats other tools read, and the atomic text
 * files the analytics commands write.
 *
 * Rows are the users, the items, or the users followed by the items; a
 * row's name is its store id (prefixed "u:" / "i:" when both kinds are
 * exported, so that a user and an item with the same id stay apart), or
 * its index when no ids are given.  Whitespace inside ids is replaced by
 * '_' in the word2vec formats, whose records are space-separated.
 *  - npy: one float32 (rows x d) .npy at PATH, plus PATH.ids (one name per
 *    line, row order);
 *  - w2v: word2vec text, "rows d" then "name v1 ... vd" (%.9g, exact
 *    float round trip);
 *  - w2v-bin: word2vec binary as gensim's load_word2vec_format(binary=True)
 *    reads it: "rows d\n", then per row "name " + d little-endian float32
 *    + "\n";
 *  - fvecs: per row int32 d then d float32 (faiss / INRIA TEXMEX);
 *  - projector: folder PATH with vectors.tsv (tab-separated) and
 *    metadata.tsv (header "id\ttype", type user or item) for the
 *    TensorBoard embedding projector.
 * Every output is written to a temporary name and renamed into place.
 * Cost O(rows · d).
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
	                                     "projector" };
	for (int i = 0; i < (int)G_N_ELEMENTS(names); i++)
		if (strcmp(name, names[i]) == 0) {
			*out = (enum kith_export_format)i;
			return TRUE;
		}
	return FALSE;
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

static gboolean
write_names(const char *path, const struct kith_export_rows *x,
            gboolean header, GError **error)
{
	struct kith_i_atomic af;
	g_autoptr(GString) name = g_string_new(NULL);
	int64_t n = x->n_users + x->n_items;
	if (!kith_i_atomic_open(&af, path, error))
		return FALSE;
	if (header)
		fputs("id\ttype\n", af.fp);
	for (int64_t r = 0; r < n; r++) {
		row_name(name, x, r, FALSE);
		/* one name per line: tabs and line ends would break it */
		for (gsize c = 0; c < name->len; c++)
			if (name->str[c] == '\t' || name->str[c] == '\n' ||
			    name->str[c] == '\r')
				name->str[c] = ' ';
		if (header)
			fprintf(af.fp, "%s\t%s\n", name->str,
			        r < x->n_users ? "user" : "item");
		else
			fprintf(af.fp, "%s\n", name->str);
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
	if (f == KITH_EXPORT_NPY) {
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
			memcpy(all, x->users,
			       sizeof(float) * x->n_users * x->dim);
			memcpy(all + x->n_users * x->dim, x->items,
			       sizeof(float) * x->n_items * x->dim);
			data = all;
		}
		g_autofree char *tmp = g_strdup_printf("%s.tmp-npy", path);
		g_autofree char *ids = g_strdup_printf("%s.ids", path);
		if (!kith_npy_write(tmp, KITH_DT_F32, n, x->dim, data, 0644,
		                    NULL, error))
			return FALSE;
		if (rename(tmp, path) != 0) {
			int e = errno;
			unlink(tmp);
			g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
			            "cannot write '%s': %s", path, g_strerror(e));
			return FALSE;
		}
		return write_names(ids, x, FALSE, error);
	}
	if (f == KITH_EXPORT_PROJECTOR) {
		g_autoptr(kith_outdir) od = kith_outdir_begin(path, error);
		if (!od)
			return FALSE;
		g_autofree char *vp = kith_outdir_path(od, "vectors.tsv");
		g_autofree char *mp = kith_outdir_path(od, "metadata.tsv");
		if (!write_vectors(vp, f, x, error) ||
		    !write_names(mp, x, TRUE, error))
			return FALSE;
		return kith_outdir_commit(od, error);
	}
	return write_vectors(path, f, x, error);
}
