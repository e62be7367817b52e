/*
 * The one checkpoint format of every model's training (see
 * train-internal.h): state.json plus one float32 .npy per array, written
 * as a new generation folder and rotated in (DIR.tmp -> DIR, the previous
 * DIR kept as DIR.old).  Write: O(size of the state); config hash:
 * O(nnz of the inputs); pick: one xxh64 pass over every array of a
 * generation; load: one more pass.  Every member of state.json is type-
 * and range-checked: a damaged, truncated, foreign or older checkpoint is
 * an error, never a crash (tests/fuzz/fuzz-checkpoint.c).
 * A state split over the ranks of an MPI job (ckpt_split()) is gathered
 * array by array on rank 0, which alone writes the generation; the files
 * are those of one process, so a run may resume with any rank count.  A
 * state the ranks hold alike (replicated) is written by rank 0 alone.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kith/core.h"
#include "kith/dist.h"
#include "kith/io.h"
#include "nn/train-internal.h"

/* bounds of the counts read back (a damaged file must not make a
 * resumed run loop for ever or index out of bounds) */
#define CKPT_MAX_EPOCHS 100000000
#define CURVE_FIELDS 6

void
ckpt_add_array(struct ckpt_items *it, const char *name, float *data,
               int64_t rows, int64_t cols)
{
	g_assert(it->n_arr < CKPT_MAX_ARRAYS);
	struct ckpt_array *a = &it->arr[it->n_arr++];
	g_strlcpy(a->name, name, sizeof a->name);
	a->data = data;
	a->rows = rows;
	a->cols = cols;
	a->split = FALSE;
}

void
ckpt_add_counter(struct ckpt_items *it, const char *name, int64_t *value)
{
	g_assert(it->n_cnt < CKPT_MAX_COUNTERS);
	struct ckpt_counter *c = &it->cnt[it->n_cnt++];
	g_strlcpy(c->name, name, sizeof c->name);
	c->value = value;
}

void
ckpt_add_adam(struct ckpt_items *it, const char *suffix, struct kith_adam *a)
{
	char name[40];
	g_snprintf(name, sizeof name, "adam_m%s.npy", suffix);
	ckpt_add_array(it, name, a->m, (int64_t)a->n, 0);
	g_snprintf(name, sizeof name, "adam_v%s.npy", suffix);
	ckpt_add_array(it, name, a->v, (int64_t)a->n, 0);
	g_snprintf(name, sizeof name, "adam_t%s", suffix);
	ckpt_add_counter(it, name, &a->t);
}

void
ckpt_split(struct ckpt_items *it, const int64_t *bounds, int width)
{
	it->bounds = bounds;
	it->width = width;
	for (int i = 0; i < it->n_arr; i++)
		it->arr[i].split = TRUE;
}

/* The shape of array a in the files: a split array has all the rows. */
static void
file_shape(const struct ckpt_items *it, const struct ckpt_array *a,
           int64_t *rows, int64_t *cols)
{
	int64_t total = a->split ? it->bounds[kith_dist_size()] : 0;

	*rows = !a->split ? a->rows : a->cols > 0 ? total : total * it->width;
	*cols = a->cols;
}

/* ---- config hash --------------------------------------------------------- */

static void
hash_bytes(GChecksum *h, const void *p, size_t n)
{
	/* GChecksum takes gssize lengths: feed in bounded chunks */
	const guchar *c = p;
	while (n > 0) {
		size_t k = MIN(n, (size_t)1 << 30);
		g_checksum_update(h, c, (gssize)k);
		c += k;
		n -= k;
	}
}

static void
hash_csr(GChecksum *h, const struct kith_csr *M)
{
	int64_t dims[3] = { 0, 0, 0 };
	if (M == NULL) {
		hash_bytes(h, dims, sizeof dims);
		return;
	}
	dims[0] = M->n_rows;
	dims[1] = M->n_cols;
	dims[2] = M->nnz;
	hash_bytes(h, dims, sizeof dims);
	hash_bytes(h, M->indptr, (size_t)(M->n_rows + 1) * sizeof(int64_t));
	hash_bytes(h, M->indices, (size_t)M->nnz * sizeof(int32_t));
	if (M->values)
		hash_bytes(h, M->values, (size_t)M->nnz * sizeof(float));
}

char *
ckpt_config_hash(const char *params, const struct kith_csr *const *mats,
                 int n_mats, const int32_t *label, const uint8_t *split,
                 int64_t n_label)
{
	GChecksum *h = g_checksum_new(G_CHECKSUM_SHA256);
	hash_bytes(h, params, strlen(params) + 1);
	for (int i = 0; i < n_mats; i++)
		hash_csr(h, mats[i]);
	hash_bytes(h, &n_label, sizeof n_label);
	if (label)
		hash_bytes(h, label, (size_t)n_label * sizeof(int32_t));
	if (split)
		hash_bytes(h, split, (size_t)n_label);
	char *hex = g_strdup(g_checksum_get_string(h));
	g_checksum_free(h);
	return hex;
}

/* ---- state.json members ---------------------------------------------------- */

/* Doubles that decide the trajectory go in as the 16 hex digits of their
 * IEEE bits (exact, and infinities allowed). */
static void
put_bits(JsonBuilder *b, const char *key, double v)
{
	guint64 u;
	char buf[17];
	memcpy(&u, &v, sizeof u);
	g_snprintf(buf, sizeof buf, "%016" G_GINT64_MODIFIER "x", u);
	kith_json_put_string(b, key, buf);
}

static gboolean
get_hex(const char *s, guint64 *out)
{
	char *end;
	if (s == NULL || strlen(s) != 16 || !g_ascii_isxdigit(s[0]))
		return FALSE;
	*out = g_ascii_strtoull(s, &end, 16);
	return *end == '\0';
}

static gboolean
get_bits(JsonObject *o, const char *key, double *out)
{
	guint64 u;
	if (!get_hex(kith_json_str(o, key), &u))
		return FALSE;
	memcpy(out, &u, sizeof u);
	return TRUE;
}

static void
put_state(JsonBuilder *b, const struct train_state *st)
{
	kith_json_put_int(b, "phase", st->phase);
	kith_json_put_int(b, "epoch", st->epoch);
	kith_json_put_int(b, "step", st->step);
	put_bits(b, "step_loss", st->step_loss);
	kith_json_put_int(b, "step_weight", st->step_weight);
	kith_json_put_int(b, "best_epoch", st->best_epoch);
	put_bits(b, "best", st->best);
	put_bits(b, "best2", st->best2);
	put_bits(b, "best_loss", st->best_loss);
	kith_json_put_int(b, "bad_evals", st->bad_evals);
	json_builder_set_member_name(b, "lr_cuts");
	json_builder_begin_array(b);
	for (int i = 0; i < st->n_cuts; i++)
		json_builder_add_int_value(b, st->cut_epoch[i]);
	json_builder_end_array(b);
	kith_json_put_double(b, "elapsed", st->elapsed);
}

/* TRUE when every member is present, of its type and in range. */
static gboolean
get_state(JsonObject *o, struct train_state *st)
{
	int64_t v[6] = {
		kith_json_int_or(o, "phase", -1),
		kith_json_int_or(o, "epoch", -1),
		kith_json_int_or(o, "step", -1),
		kith_json_int_or(o, "step_weight", -1),
		kith_json_int_or(o, "best_epoch", -1),
		kith_json_int_or(o, "bad_evals", -1),
	};
	JsonArray *cuts = kith_json_arr(o, "lr_cuts");

	memset(st, 0, sizeof *st);
	if (v[0] < 0 || v[0] > 1 || v[1] < 0 || v[1] > CKPT_MAX_EPOCHS ||
	    v[2] < 0 || v[2] > G_MAXINT || v[3] < 0 || v[4] < 0 ||
	    v[4] > CKPT_MAX_EPOCHS || v[5] < 0 || v[5] > CKPT_MAX_EPOCHS ||
	    (v[0] == 0 && v[4] > v[1]) || cuts == NULL ||
	    json_array_get_length(cuts) > TRAIN_MAX_CUTS ||
	    !get_bits(o, "step_loss", &st->step_loss) ||
	    !get_bits(o, "best", &st->best) ||
	    !get_bits(o, "best2", &st->best2) ||
	    !get_bits(o, "best_loss", &st->best_loss) ||
	    isnan(st->step_loss) || isnan(st->best))
		return FALSE;
	st->phase = (int)v[0];
	st->epoch = (int)v[1];
	st->step = (int)v[2];
	st->step_weight = v[3];
	st->best_epoch = (int)v[4];
	st->bad_evals = (int)v[5];
	st->elapsed = kith_json_num_or(o, "elapsed", NAN);
	for (guint i = 0; i < json_array_get_length(cuts); i++) {
		JsonNode *e = json_array_get_element(cuts, i);
		if (!JSON_NODE_HOLDS_VALUE(e) ||
		    json_node_get_value_type(e) != G_TYPE_INT64)
			return FALSE;
		st->cut_epoch[st->n_cuts++] = (int)json_node_get_int(e);
	}
	return st->elapsed >= 0;
}

static void
put_curve(JsonBuilder *b, const GArray *curve)
{
	json_builder_set_member_name(b, "curve");
	json_builder_begin_array(b);
	for (guint i = 0; curve && i < curve->len; i++) {
		const struct kith_train_point *pt =
		    &g_array_index(curve, struct kith_train_point, i);
		json_builder_begin_array(b);
		json_builder_add_int_value(b, pt->epoch);
		json_builder_add_int_value(b, pt->phase);
		json_builder_add_double_value(b, pt->loss);
		json_builder_add_double_value(b, pt->val);
		json_builder_add_double_value(b, pt->val2);
		json_builder_add_double_value(b, pt->seconds);
		json_builder_end_array(b);
	}
	json_builder_end_array(b);
}

/* One curve entry: [epoch, phase, loss, val, val2, seconds]. */
static gboolean
get_point(JsonNode *en, struct kith_train_point *pt)
{
	JsonArray *e = JSON_NODE_HOLDS_ARRAY(en) ? json_node_get_array(en)
	                                         : NULL;
	double v[CURVE_FIELDS];
	if (e == NULL || json_array_get_length(e) != CURVE_FIELDS)
		return FALSE;
	for (guint j = 0; j < CURVE_FIELDS; j++) {
		JsonNode *x = json_array_get_element(e, j);
		GType t = JSON_NODE_HOLDS_VALUE(x) ? json_node_get_value_type(x)
		                                   : G_TYPE_INVALID;
		if (t == G_TYPE_INT64)
			v[j] = (double)json_node_get_int(x);
		else if (t == G_TYPE_DOUBLE)
			v[j] = json_node_get_double(x);
		else
			return FALSE;
	}
	if (!(v[0] >= 1 && v[0] <= CKPT_MAX_EPOCHS) || (v[1] != 0 && v[1] != 1))
		return FALSE;
	*pt = (struct kith_train_point){ (int)v[0], (int)v[1], v[2], v[3],
	                                 v[4], v[5] };
	return TRUE;
}

static gboolean
get_curve(JsonObject *o, GArray *curve)
{
	JsonArray *c = kith_json_arr(o, "curve");
	if (c == NULL || json_array_get_length(c) > 2 * CKPT_MAX_EPOCHS)
		return FALSE;
	g_array_set_size(curve, 0);
	for (guint i = 0; i < json_array_get_length(c); i++) {
		struct kith_train_point pt;
		if (!get_point(json_array_get_element(c, i), &pt))
			return FALSE;
		g_array_append_val(curve, pt);
	}
	return TRUE;
}

static void
put_items(JsonBuilder *b, const struct ckpt_items *it, const uint64_t *xx)
{
	json_builder_set_member_name(b, "counters");
	json_builder_begin_object(b);
	for (int i = 0; i < it->n_cnt; i++)
		kith_json_put_int(b, it->cnt[i].name, *it->cnt[i].value);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "arrays");
	json_builder_begin_object(b);
	for (int i = 0; i < it->n_arr; i++) {
		char hx[17];
		g_snprintf(hx, sizeof hx, "%016" G_GINT64_MODIFIER "x",
		           (guint64)xx[i]);
		int64_t rows, cols;
		file_shape(it, &it->arr[i], &rows, &cols);
		json_builder_set_member_name(b, it->arr[i].name);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "shape");
		json_builder_begin_array(b);
		json_builder_add_int_value(b, rows);
		json_builder_add_int_value(b, cols);
		json_builder_end_array(b);
		kith_json_put_string(b, "xxh64", hx);
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
}

/* ---- generation folders ---------------------------------------------------- */

/* Removes the files of a generation folder and the folder. */
static void
remove_generation(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *n;
	if (d == NULL)
		return;
	while ((n = g_dir_read_name(d)) != NULL) {
		if (strcmp(n, "state.json") != 0 && strcmp(n, "state.json.tmp")
		    != 0 && !g_str_has_suffix(n, ".npy"))
			continue;
		g_autofree char *f = g_build_filename(dir, n, NULL);
		unlink(f);
	}
	g_dir_close(d);
	rmdir(dir);
}

void
kith_checkpoint_remove(const char *dir)
{
	g_autofree char *old = g_strconcat(dir, ".old", NULL);
	g_autofree char *tmp = g_strconcat(dir, ".tmp", NULL);
	remove_generation(tmp);
	remove_generation(dir);
	remove_generation(old);
}

static gboolean
io_fail(GError **error, const char *what, const char *path)
{
	g_set_error(error, KITH_ERROR, KITH_ERROR_IO, "cannot %s '%s': %s",
	            what, path, g_strerror(errno));
	return FALSE;
}

/* Writes the arrays into tmp, their xxh64 into xx.  Split arrays are
 * gathered on rank 0 first (every rank takes part in every gather, also
 * after a failure of rank 0; only rank 0 writes, while ok). */
static gboolean
write_arrays(const char *tmp, const struct ckpt_items *it, uint64_t *xx,
             gboolean ok, GError **error)
{
	int P = kith_dist_size(), me = kith_dist_rank();
	g_autofree int64_t *count = it->bounds ? g_new(int64_t, P) : NULL;
	g_autofree float *whole = NULL;
	size_t n_whole = 0;

	for (int r = 0; it->bounds && r < P; r++)
		count[r] = (it->bounds[r + 1] - it->bounds[r]) * it->width;
	if (it->bounds && me == 0 && ok) {
		n_whole = (size_t)(it->bounds[P] * it->width);
		whole = kith_alloc_n(n_whole + 1, sizeof(float), error);
		ok = whole != NULL;
	}
	for (int i = 0; i < it->n_arr; i++) {
		const struct ckpt_array *a = &it->arr[i];
		const float *data = a->data;
		int64_t rows, cols;
		file_shape(it, a, &rows, &cols);
		if (a->split) {
			GError *e = NULL;
			if (!kith_dist_gatherv(a->data, count[me], whole, count,
			                       sizeof(float), ok ? &e : NULL))
				ok = FALSE;
			if (e)
				g_propagate_error(error, e);
			data = whole;
		}
		if (!ok || ((it->bounds || it->replicated) && me != 0))
			continue;
		g_autofree char *path = g_build_filename(tmp, a->name, NULL);
		ok = kith_npy_write(path, KITH_DT_F32, rows, cols, data, 0644,
		                    &xx[i], error);
	}
	return ok;
}

/* state.json into tmp, then the rotation. */
static gboolean
write_generation(const char *dir, const char *tmp, const char *model,
                 const char *config_hash, const struct train_state *st,
                 const GArray *curve, const struct ckpt_items *it,
                 const uint64_t *xx, GError **error)
{
	g_autofree char *old = g_strconcat(dir, ".old", NULL);
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	kith_json_put_string(b, "format", CKPT_FORMAT);
	kith_json_put_int(b, "version", CKPT_VERSION);
	kith_json_put_string(b, "model", model);
	kith_json_put_string(b, "config_hash", config_hash);
	put_state(b, st);
	put_items(b, it, xx);
	put_curve(b, curve);
	json_builder_end_object(b);
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_autofree char *spath = g_build_filename(tmp, "state.json", NULL);
	if (!kith_json_write(spath, root, error)) {
		remove_generation(tmp);
		return FALSE;
	}
	/* rotate: DIR -> DIR.old (the previous generation, kept), TMP -> DIR */
	if (g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		remove_generation(old);
		if (rename(dir, old) != 0)
			return io_fail(error, "rename", dir);
	}
	if (rename(tmp, dir) != 0)
		return io_fail(error, "rename", tmp);
	return TRUE;
}

gboolean
ckpt_write(const char *dir, const char *model, const char *config_hash,
           const struct train_state *st, const GArray *curve,
           const struct ckpt_items *it, GError **error)
{
	g_autofree char *tmp = g_strconcat(dir, ".tmp", NULL);
	uint64_t xx[CKPT_MAX_ARRAYS];
	/* a split or replicated state is written by rank 0 alone */
	gboolean shared = it->bounds || it->replicated;
	gboolean lead = !shared || kith_dist_rank() == 0, ok = TRUE;

	if (lead) {
		remove_generation(tmp);         /* left by a killed run */
		if (g_mkdir_with_parents(tmp, 0755) != 0)
			ok = io_fail(error, "create", tmp);
	}
	ok = write_arrays(tmp, it, xx, ok, error);
	if (ok && lead)
		ok = write_generation(dir, tmp, model, config_hash, st, curve, it,
		                      xx, error);
	else if (lead)
		remove_generation(tmp);
	return shared ? kith_dist_all_ok(ok, error) : ok;
}


/* ---- reading --------------------------------------------------------------- */

static gboolean
corrupt(GError **error, const char *dir, const char *what)
{
	g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
	            "checkpoint '%s' %s", dir, what);
	return FALSE;
}

/* The format, version, model and config hash of a state.json. */
static gboolean
check_header(JsonObject *o, const char *dir, const char *model,
             const char *config_hash, GError **error)
{
	const char *fmt = kith_json_str(o, "format");
	int64_t version = kith_json_int_or(o, "version", -1);

	if (fmt != NULL && g_str_has_prefix(fmt, "kith-") &&
	    g_str_has_suffix(fmt, "-checkpoint") && strcmp(fmt, CKPT_FORMAT)) {
		/* the formats of kith before version 2, one per model */
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "checkpoint '%s' is in the older format %s version "
		            "%" G_GINT64_FORMAT "; this kith reads %s version %d: "
		            "remove it and train again, or finish the run with "
		            "the kith that wrote it", dir, fmt,
		            kith_json_int_or(o, "format_version", 1), CKPT_FORMAT,
		            CKPT_VERSION);
		return FALSE;
	}
	if (g_strcmp0(fmt, CKPT_FORMAT) != 0)
		return corrupt(error, dir, "is not a kith checkpoint");
	if (version != CKPT_VERSION) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "checkpoint '%s' has version %" G_GINT64_FORMAT "; "
		            "this kith reads %s version %d", dir, version,
		            CKPT_FORMAT, CKPT_VERSION);
		return FALSE;
	}
	if (g_strcmp0(kith_json_str(o, "model"), model) != 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "checkpoint '%s' is not a checkpoint of this model "
		            "(%s, not %s)", dir, kith_json_str(o, "model") ?
		            kith_json_str(o, "model") : "none", model);
		return FALSE;
	}
	if (g_strcmp0(kith_json_str(o, "config_hash"), config_hash) != 0)
		return corrupt(error, dir, "was written for another store or "
		               "other parameters");
	return TRUE;
}

/* Shape [rows, cols] and xxh64 of the array entry e; FALSE when invalid. */
static gboolean
get_array_entry(JsonObject *e, int64_t *rows, int64_t *cols, uint64_t *xx)
{
	JsonArray *sh = kith_json_arr(e, "shape");
	guint64 u;
	if (sh == NULL || json_array_get_length(sh) != 2 ||
	    !get_hex(kith_json_str(e, "xxh64"), &u))
		return FALSE;
	for (guint j = 0; j < 2; j++) {
		JsonNode *x = json_array_get_element(sh, j);
		if (!JSON_NODE_HOLDS_VALUE(x) ||
		    json_node_get_value_type(x) != G_TYPE_INT64 ||
		    json_node_get_int(x) < 0)
			return FALSE;
	}
	*rows = json_array_get_int_element(sh, 0);
	*cols = json_array_get_int_element(sh, 1);
	*xx = u;
	return TRUE;
}

/* Maps DIR/NAME, a float32 array of the given shape. */
static gboolean
map_array(struct kith_npy *a, const char *dir, const char *name, int64_t rows,
          int64_t cols, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	if (!kith_npy_map(a, path, error))
		return FALSE;
	if (a->dtype != KITH_DT_F32 || a->shape[0] != rows ||
	    (cols > 0 ? a->ndim != 2 || a->shape[1] != cols : a->ndim != 1)) {
		kith_npy_unmap(a);
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "checkpoint array '%s' has the wrong shape", path);
		return FALSE;
	}
	return TRUE;
}

/* Every array listed: its checksum and shape. */
static gboolean
verify_arrays(JsonObject *o, const char *dir, GError **error)
{
	JsonObject *ao = kith_json_obj(o, "arrays");
	JsonObject *co = kith_json_obj(o, "counters");
	if (ao == NULL || co == NULL ||
	    json_object_get_size(ao) > CKPT_MAX_ARRAYS ||
	    json_object_get_size(co) > CKPT_MAX_COUNTERS)
		return corrupt(error, dir, "has an invalid array list");
	g_autoptr(GList) names = json_object_get_members(ao);
	for (GList *l = names; l; l = l->next) {
		const char *name = l->data;
		int64_t rows, cols;
		uint64_t want, got;
		struct kith_npy a;
		g_autofree char *path = g_build_filename(dir, name, NULL);
		if (strchr(name, '/') || !g_str_has_suffix(name, ".npy") ||
		    !get_array_entry(kith_json_obj(ao, name), &rows, &cols,
		                     &want))
			return corrupt(error, dir, "has an invalid array list");
		if (!kith_file_xxh64(path, &got, error))
			return FALSE;
		if (got != want) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
			            "checkpoint array '%s' is damaged (checksum "
			            "mismatch)", path);
			return FALSE;
		}
		if (!map_array(&a, dir, name, rows, cols, error))
			return FALSE;
		kith_npy_unmap(&a);
	}
	return TRUE;
}

/* One generation folder: TRUE when it can be resumed from. */
static gboolean
read_generation(const char *dir, const char *model, const char *config_hash,
                JsonNode **root, struct train_state *st, GArray *curve,
                GError **error)
{
	g_autofree char *spath = g_build_filename(dir, "state.json", NULL);
	if (!g_file_test(spath, G_FILE_TEST_EXISTS))
		return corrupt(error, dir, "has no state.json");
	g_autoptr(JsonNode) r = kith_json_read(spath, error);
	if (!r)
		return FALSE;
	JsonObject *o = json_node_get_object(r);
	if (!check_header(o, dir, model, config_hash, error))
		return FALSE;
	if (!get_state(o, st))
		return corrupt(error, dir, "has an invalid state");
	if (!get_curve(o, curve))
		return corrupt(error, dir, "has an invalid curve");
	if (!verify_arrays(o, dir, error))
		return FALSE;
	*root = g_steal_pointer(&r);
	return TRUE;
}

void
ckpt_gen_clear(struct ckpt_gen *g)
{
	g_free(g->dir);
	if (g->root)
		json_node_unref(g->root);
	memset(g, 0, sizeof *g);
}

int
ckpt_pick(struct ckpt_gen *g, struct train_state *st, GArray *curve,
          const char *dir, const char *model, const char *config_hash,
          GError **error)
{
	g_autofree char *old = g_strconcat(dir, ".old", NULL);
	const char *gens[2] = { dir, old };
	GError *first = NULL;

	memset(g, 0, sizeof *g);
	for (int k = 0; k < 2; k++) {
		GError *e = NULL;
		if (!g_file_test(gens[k], G_FILE_TEST_IS_DIR))
			continue;
		if (read_generation(gens[k], model, config_hash, &g->root, st,
		                    curve, &e)) {
			g_clear_error(&first);
			g->dir = g_strdup(gens[k]);
			g->generation = k;
			return 1;
		}
		if (first == NULL)
			first = e;
		else
			g_error_free(e);
	}
	if (first == NULL)
		return 0;
	g_propagate_error(error, first);
	return -1;
}

gboolean
ckpt_load(const struct ckpt_gen *g, const struct ckpt_items *it,
          GError **error)
{
	JsonObject *o = json_node_get_object(g->root);
	JsonObject *ao = kith_json_obj(o, "arrays");
	JsonObject *co = kith_json_obj(o, "counters");

	if ((int)json_object_get_size(ao) != it->n_arr ||
	    (int)json_object_get_size(co) != it->n_cnt)
		return corrupt(error, g->dir, "does not hold this model's "
		               "state");
	for (int i = 0; i < it->n_cnt; i++) {
		int64_t v = kith_json_int_or(co, it->cnt[i].name, -1);
		if (v < 0)
			return corrupt(error, g->dir, "does not hold this "
			               "model's state");
		*it->cnt[i].value = v;
	}
	for (int i = 0; i < it->n_arr; i++) {
		const struct ckpt_array *a = &it->arr[i];
		struct kith_npy m;
		int64_t rows, cols;
		/* a split array: this rank's rows */
		size_t skip = a->split ? (size_t)(it->bounds[kith_dist_rank()] *
		                                  it->width) : 0;
		file_shape(it, a, &rows, &cols);
		if (kith_json_obj(ao, a->name) == NULL)
			return corrupt(error, g->dir, "does not hold this "
			               "model's state");
		if (!map_array(&m, g->dir, a->name, rows, cols, error))
			return FALSE;
		memcpy(a->data, (const float *)m.data + skip, (size_t)a->rows *
		       MAX(a->cols, 1) * sizeof(float));
		kith_npy_unmap(&m);
	}
	return TRUE;
}
