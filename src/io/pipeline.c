/*
 * Pipeline files: GLib key-file syntax, read line by line so that every
 * group and key keeps its line number for messages (GKeyFile itself does
 * not report lines).  Syntax: "[group]" lines, "key = value" lines, blank
 * lines and lines starting with '#' or ';'.  Values run to the end of the
 * line with surrounding blanks removed.
 */
#include "config.h"

#include <string.h>

#include "kith/core.h"
#include "kith/input.h"
#include "kith/io.h"
#include "kith/pipeline.h"

static const char *const stage_names[] = {
	"ingest", "embed", "profile", "propagate", "communities", "influence",
	"report", "export", NULL
};

const char *const *
kith_pipeline_stage_names(void)
{
	return stage_names;
}

static void
key_free(gpointer p)
{
	struct kith_pipeline_key *k = p;

	g_free(k->key);
	g_free(k->value);
	g_free(k);
}

static void
stage_free(gpointer p)
{
	struct kith_pipeline_stage *s = p;

	g_free(s->name);
	g_ptr_array_free(s->keys, TRUE);
	g_free(s);
}

void
kith_pipeline_free(struct kith_pipeline *p)
{
	if (p == NULL)
		return;
	g_free(p->path);
	g_free(p->dir);
	if (p->stages)
		g_ptr_array_free(p->stages, TRUE);
	g_free(p);
}

static int
stage_rank(const char *name)
{
	int i;

	for (i = 0; stage_names[i] != NULL; i++)
		if (strcmp(stage_names[i], name) == 0)
			return i;
	return -1;
}

static gint
cmp_stage(gconstpointer a, gconstpointer b)
{
	const struct kith_pipeline_stage *x = *(void *const *)a;
	const struct kith_pipeline_stage *y = *(void *const *)b;

	return stage_rank(x->name) - stage_rank(y->name);
}

struct kith_pipeline *
kith_pipeline_load(const char *path, GError **error)
{
	g_autoptr(kith_pipeline) p = g_new0(struct kith_pipeline, 1);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	struct kith_pipeline_stage *cur = NULL;
	gsize len;
	int i;

	text = kith_input_read_all(path, 0, &len, error);
	if (!text)
		return NULL;
	if (!g_utf8_validate(text, (gssize)len, NULL) || strlen(text) != len) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "%s: not a UTF-8 text file", path);
		return NULL;
	}
	p->path = g_strdup(path);
	{
		g_autofree char *d = g_path_get_dirname(path);
		p->dir = g_canonicalize_filename(d, NULL);
	}
	p->stages = g_ptr_array_new_with_free_func(stage_free);
	lines = g_strsplit(text, "\n", -1);
	for (i = 0; lines[i] != NULL; i++) {
		char *l = g_strstrip(lines[i]);
		int lineno = i + 1;

		if (*l == '\0' || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			char *end = strchr(l, ']');
			guint j;
			if (end == NULL || end[1] != '\0') {
				g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
				            "%s:%d: malformed group header", path, lineno);
				return NULL;
			}
			*end = '\0';
			l = g_strstrip(l + 1);
			if (stage_rank(l) < 0) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
				            "%s:%d: unknown stage '[%s]' (stages: ingest, "
				            "embed, profile, propagate, communities, "
				            "influence, report, export)", path, lineno, l);
				return NULL;
			}
			for (j = 0; j < p->stages->len; j++) {
				struct kith_pipeline_stage *s =
				        g_ptr_array_index(p->stages, j);
				if (strcmp(s->name, l) == 0) {
					g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
					            "%s:%d: stage '[%s]' given twice (first "
					            "at line %d)", path, lineno, l, s->line);
					return NULL;
				}
			}
			cur = g_new0(struct kith_pipeline_stage, 1);
			cur->name = g_strdup(l);
			cur->line = lineno;
			cur->keys = g_ptr_array_new_with_free_func(key_free);
			g_ptr_array_add(p->stages, cur);
			continue;
		}
		{
			char *eq = strchr(l, '=');
			struct kith_pipeline_key *k;
			char *key;
			guint j;

			if (eq == NULL) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
				            "%s:%d: expected 'key = value'", path, lineno);
				return NULL;
			}
			if (cur == NULL) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
				            "%s:%d: key outside any [stage]", path, lineno);
				return NULL;
			}
			*eq = '\0';
			key = g_strstrip(l);
			if (*key == '\0' || strspn(key, "abcdefghijklmnopqrstuvwxyz"
			                                "0123456789-_") != strlen(key)) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
				            "%s:%d: invalid key '%s'", path, lineno, key);
				return NULL;
			}
			for (j = 0; j < cur->keys->len; j++) {
				struct kith_pipeline_key *o = g_ptr_array_index(cur->keys, j);
				if (strcmp(o->key, key) == 0) {
					g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
					            "%s:%d: key '%s' given twice in [%s]",
					            path, lineno, key, cur->name);
					return NULL;
				}
			}
			k = g_new0(struct kith_pipeline_key, 1);
			k->key = g_strdup(key);
			k->value = g_strdup(g_strstrip(eq + 1));
			k->line = lineno;
			g_ptr_array_add(cur->keys, k);
		}
	}
	g_ptr_array_sort(p->stages, cmp_stage);
	return g_steal_pointer(&p);
}

const struct kith_pipeline_stage *
kith_pipeline_stage(const struct kith_pipeline *p, const char *name)
{
	guint i;

	for (i = 0; i < p->stages->len; i++) {
		struct kith_pipeline_stage *s = g_ptr_array_index(p->stages, i);
		if (strcmp(s->name, name) == 0)
			return s;
	}
	return NULL;
}

const char *
kith_pipeline_get(const struct kith_pipeline_stage *s, const char *key)
{
	guint i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < s->keys->len; i++) {
		struct kith_pipeline_key *k = g_ptr_array_index(s->keys, i);
		if (strcmp(k->key, key) == 0)
			return k->value;
	}
	return NULL;
}

char *
kith_pipeline_path(const struct kith_pipeline *p, const char *value)
{
	return g_canonicalize_filename(value, p->dir);
}

char *
kith_pipeline_fingerprint(char *const *argv, int argc, char *const *inputs,
                          int n_inputs, GError **error)
{
	GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
	char *hex;
	int i;

	for (i = 0; i < argc; i++) {
		g_checksum_update(c, (const guchar *)argv[i], -1);
		g_checksum_update(c, (const guchar *)"\0", 1);
	}
	for (i = 0; i < n_inputs; i++) {
		g_checksum_update(c, (const guchar *)"\1", 1);
		if (g_file_test(inputs[i], G_FILE_TEST_IS_DIR)) {
			g_autofree char *m = g_build_filename(inputs[i], "manifest.json",
			                                      NULL);
			g_autofree char *text = NULL;
			gsize len;
			if (!g_file_get_contents(m, &text, &len, NULL)) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
				            "cannot read '%s'", m);
				g_checksum_free(c);
				return NULL;
			}
			g_checksum_update(c, (const guchar *)text, (gssize)len);
		} else {
			g_autofree char *h = kith_file_sha256(inputs[i], NULL, error);
			if (h == NULL) {
				g_checksum_free(c);
				return NULL;
			}
			g_checksum_update(c, (const guchar *)h, -1);
		}
	}
	hex = g_strdup(g_checksum_get_string(c));
	g_checksum_free(c);
	return hex;
}
