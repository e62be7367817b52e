/*
 * Ids files: the names of the rows of a folder's per-user and per-item
 * arrays.  A store, and every folder kith writes with one row per user or
 * item, holds users.tsv (and items.tsv when it has item rows): a header
 * line ("user" / "item"), then one id per line, line i + 2 naming row i.
 * Backslash, tab, line feed and carriage return inside an id are written
 * \\ \t \n \r, so that every id stays on one line.  The manifest lists
 * the file with dtype "text", shape [rows], bytes and xxh64, as it lists
 * arrays, so that kith info --verify checks it.  Cost O(total id length).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kith/core.h"
#include "kith/io.h"

void
kith_ids_escape(GString *out, const char *id)
{
	for (; *id; id++) {
		switch (*id) {
		case '\\': g_string_append(out, "\\\\"); break;
		case '\t': g_string_append(out, "\\t"); break;
		case '\n': g_string_append(out, "\\n"); break;
		case '\r': g_string_append(out, "\\r"); break;
		default: g_string_append_c(out, *id);
		}
	}
}

void
kith_ids_unescape(GString *out, const char *line)
{
	g_string_truncate(out, 0);
	for (; *line; line++) {
		if (*line == '\\' && line[1]) {
			line++;
			switch (*line) {
			case 't': g_string_append_c(out, '\t'); break;
			case 'n': g_string_append_c(out, '\n'); break;
			case 'r': g_string_append_c(out, '\r'); break;
			default: g_string_append_c(out, *line);
			}
		} else {
			g_string_append_c(out, *line);
		}
	}
}

GString *
kith_ids_text(const char *header, char *const *ids, int64_t n)
{
	GString *buf = g_string_sized_new(64 + (gsize)n * 8);

	g_string_append(buf, header);
	g_string_append_c(buf, '\n');
	for (int64_t i = 0; i < n; i++) {
		kith_ids_escape(buf, ids[i] ? ids[i] : "");
		g_string_append_c(buf, '\n');
	}
	return buf;
}

gboolean
kith_outdir_ids(struct kith_outdir *od, JsonBuilder *b, const char *name,
                const char *header, char *const *ids, int64_t n, int mode,
                GError **error)
{
	g_autofree char *path = kith_outdir_path(od, name);
	GString *text = kith_ids_text(header, ids, n);
	uint64_t h;
	gboolean ok;

	/* no fsync here: kith_outdir_commit() syncs every file */
	ok = kith_write_file_nosync(path, text->str, text->len, mode, &h,
	                            error);
	if (ok && b != NULL)
		kith_manifest_add_text(b, name, n, h, (int64_t)text->len);
	g_string_free(text, TRUE);
	return ok;
}

gboolean
kith_ids_check(const char *path, char *const *ids, int64_t n, GError **error)
{
	FILE *f = fopen(path, "re");
	g_autoptr(GString) id = g_string_new(NULL);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int64_t row = -1;
	gboolean ok = TRUE;

	if (f == NULL) {
		int e = errno;
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO, "cannot open '%s': %s",
		            path, g_strerror(e));
		return FALSE;
	}
	while (ok && (len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] != '\n')
			break;       /* a truncated last line: counted below */
		line[len - 1] = '\0';
		if (row >= 0 && row < n) {
			kith_ids_unescape(id, line);
			if (strcmp(id->str, ids[row] ? ids[row] : "") != 0) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
				            "'%s' line %" G_GINT64_FORMAT " names '%s' "
				            "where the store has '%s' in that row",
				            path, row + 2, id->str, ids[row]);
				ok = FALSE;
			}
		}
		row++;
	}
	if (ok && ferror(f)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO, "cannot read '%s'",
		            path);
		ok = FALSE;
	} else if (ok && row != n) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "'%s' names %"
		            G_GINT64_FORMAT " rows where the store has %"
		            G_GINT64_FORMAT, path, row < 0 ? 0 : row, n);
		ok = FALSE;
	}
	free(line);
	fclose(f);
	return ok;
}
