/*
 * JSON files and manifests (json-glib).  A manifest lists every array of
 * its folder with dtype, shape, size in bytes and the xxh64 of the whole
 * file, so that kith_manifest_verify() can name the first damaged array.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kith/core.h"
#include "kith/io.h"

gboolean
kith_json_write(const char *path, JsonNode *root, GError **error)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autofree char *text = NULL;
	g_autofree char *tmp = g_strdup_printf("%s.tmp", path);
	gsize len;

	json_generator_set_pretty(gen, TRUE);
	json_generator_set_indent(gen, 2);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, &len);
	if (!kith_write_file(tmp, text, len, 0644, error))
		return FALSE;
	if (rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot rename to '%s': %s", path, g_strerror(e));
		return FALSE;
	}
	return TRUE;
}

JsonNode *
kith_json_read(const char *path, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) err = NULL;
	g_autofree char *text = NULL;
	gsize len;
	JsonNode *root;

	if (!g_file_get_contents(path, &text, &len, &err)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO, "cannot read '%s': %s",
		            path, err->message);
		return NULL;
	}
	if (!json_parser_load_from_data(parser, text, (gssize)len, &err)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "'%s': invalid JSON: %s", path, err->message);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "'%s': not a JSON object", path);
		return NULL;
	}
	return json_node_copy(root);
}

static JsonNode *
member(JsonObject *o, const char *name)
{
	return o != NULL && name != NULL ? json_object_get_member(o, name) : NULL;
}

void
kith_json_put_int(JsonBuilder *b, const char *key, int64_t v)
{
	json_builder_set_member_name(b, key);
	json_builder_add_int_value(b, v);
}

void
kith_json_put_double(JsonBuilder *b, const char *key, double v)
{
	json_builder_set_member_name(b, key);
	if (isfinite(v))
		json_builder_add_double_value(b, v);
	else
		json_builder_add_null_value(b);
}

void
kith_json_put_string(JsonBuilder *b, const char *key, const char *v)
{
	json_builder_set_member_name(b, key);
	if (v != NULL)
		json_builder_add_string_value(b, v);
	else
		json_builder_add_null_value(b);
}

void
kith_json_put_bool(JsonBuilder *b, const char *key, gboolean v)
{
	json_builder_set_member_name(b, key);
	json_builder_add_boolean_value(b, v);
}

const char *
kith_json_str(JsonObject *o, const char *name)
{
	JsonNode *n = member(o, name);

	return n != NULL && JSON_NODE_HOLDS_VALUE(n) &&
	               json_node_get_value_type(n) == G_TYPE_STRING
	               ? json_node_get_string(n) : NULL;
}

JsonObject *
kith_json_obj(JsonObject *o, const char *name)
{
	JsonNode *n = member(o, name);

	return n != NULL && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n)
	                                              : NULL;
}

JsonArray *
kith_json_arr(JsonObject *o, const char *name)
{
	JsonNode *n = member(o, name);

	return n != NULL && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n)
	                                             : NULL;
}

int64_t
kith_json_int_or(JsonObject *o, const char *name, int64_t def)
{
	JsonNode *n = member(o, name);

	return n != NULL && JSON_NODE_HOLDS_VALUE(n) &&
	               json_node_get_value_type(n) == G_TYPE_INT64
	               ? json_node_get_int(n) : def;
}

gboolean
kith_json_node_num(JsonNode *n, double *out)
{
	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n))
		return FALSE;
	if (json_node_get_value_type(n) == G_TYPE_INT64)
		*out = (double)json_node_get_int(n);
	else if (json_node_get_value_type(n) == G_TYPE_DOUBLE)
		*out = json_node_get_double(n);
	else
		return FALSE;
	return TRUE;
}

double
kith_json_num_or(JsonObject *o, const char *name, double def)
{
	double v;

	return kith_json_node_num(member(o, name), &v) ? v : def;
}

gboolean
kith_json_bool_or(JsonObject *o, const char *name, gboolean def)
{
	JsonNode *n = member(o, name);

	return n != NULL && JSON_NODE_HOLDS_VALUE(n) &&
	               json_node_get_value_type(n) == G_TYPE_BOOLEAN
	               ? json_node_get_boolean(n) : def;
}

JsonBuilder *
kith_manifest_begin(const char *format, int version)
{
	JsonBuilder *b = json_builder_new();
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *created = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "format");
	json_builder_add_string_value(b, format);
	json_builder_set_member_name(b, "format_version");
	json_builder_add_int_value(b, version);
	json_builder_set_member_name(b, "kith_version");
	json_builder_add_string_value(b, kith_version());
	json_builder_set_member_name(b, "created");
	json_builder_add_string_value(b, created);
	return b;
}

/* One entry of "arrays": dtype descr, shape [nrows(, ncols)], bytes and
 * xxh64 (16 hex digits). */
static void
add_entry(JsonBuilder *b, const char *name, const char *descr,
          int64_t nrows, int64_t ncols, uint64_t xxh64, int64_t bytes)
{
	char hex[17];

	g_snprintf(hex, sizeof(hex), "%016" G_GINT64_MODIFIER "x", xxh64);
	json_builder_set_member_name(b, name);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "dtype");
	json_builder_add_string_value(b, descr);
	json_builder_set_member_name(b, "shape");
	json_builder_begin_array(b);
	json_builder_add_int_value(b, nrows);
	if (ncols > 0)
		json_builder_add_int_value(b, ncols);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "bytes");
	json_builder_add_int_value(b, bytes);
	json_builder_set_member_name(b, "xxh64");
	json_builder_add_string_value(b, hex);
	json_builder_end_object(b);
}

void
kith_manifest_add_array(JsonBuilder *b, const char *name,
                        enum kith_dtype dtype, int64_t nrows, int64_t ncols,
                        uint64_t xxh64, int64_t bytes)
{
	add_entry(b, name, kith_dtype_descr(dtype), nrows, ncols, xxh64, bytes);
}

void
kith_manifest_add_text(JsonBuilder *b, const char *name, int64_t nrows,
                       uint64_t xxh64, int64_t bytes)
{
	add_entry(b, name, "text", nrows, 0, xxh64, bytes);
}

gboolean
kith_manifest_verify(const char *dir, GError **error)
{
	g_autofree char *mpath = g_build_filename(dir, "manifest.json", NULL);
	g_autoptr(JsonNode) root = kith_json_read(mpath, error);
	JsonObject *arrays;
	g_autoptr(GList) names = NULL;
	GList *l;

	if (root == NULL)
		return FALSE;
	arrays = kith_json_obj(json_node_get_object(root), "arrays");
	if (arrays == NULL) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "'%s': no \"arrays\" member", mpath);
		return FALSE;
	}
	names = json_object_get_members(arrays);
	for (l = names; l != NULL; l = l->next) {
		const char *name = l->data;
		g_autofree char *path = g_build_filename(dir, name, NULL);
		JsonObject *a = kith_json_obj(arrays, name);
		const char *want;
		char hex[17];
		uint64_t h;
		struct stat st;

		if (a == NULL || kith_json_str(a, "xxh64") == NULL) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
			            "'%s': entry of '%s' has no checksum", mpath, name);
			return FALSE;
		}
		want = kith_json_str(a, "xxh64");
		if (stat(path, &st) != 0) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
			            "array '%s' is missing", name);
			return FALSE;
		}
		if (kith_json_int_or(a, "bytes", -1) >= 0 &&
		    kith_json_int_or(a, "bytes", -1) != (gint64)st.st_size) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
			            "array '%s' is damaged: size %" G_GINT64_FORMAT
			            " bytes, manifest says %" G_GINT64_FORMAT, name,
			            (gint64)st.st_size,
			            kith_json_int_or(a, "bytes", -1));
			return FALSE;
		}
		if (!kith_file_xxh64(path, &h, error))
			return FALSE;
		g_snprintf(hex, sizeof(hex), "%016" G_GINT64_MODIFIER "x", h);
		if (want == NULL || strcmp(want, hex) != 0) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
			            "array '%s' is damaged: checksum %s, manifest says %s",
			            name, hex, want ? want : "(none)");
			return FALSE;
		}
	}
	return TRUE;
}
