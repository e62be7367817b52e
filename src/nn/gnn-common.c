/*
 * Pieces shared by the GCN and GraphSAGE trainers (see gnn-internal.h):
 * the training report, OpenBLAS thread choice, GEMM and bias helpers,
 * Glorot init (U(-a, a), a = sqrt(6 / (fan_in + fan_out))), the held-out
 * edge split (O(nnz)), the per-epoch bookkeeping (O(1)) and the
 * checkpoints of both trainers: write O(size of the state), config hash
 * O(nnz(A) + nnz(X)), read O(size of the state) with an xxh64 check of
 * every array.
 */
#include "config.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kith/core.h"
#include "kith/io.h"
#include "nn/gnn-internal.h"

/* The GEMMs of a GNN are skinny (n x h x c with h, c <= a few hundred):
 * below this many flops one BLAS thread is faster than waking a pool
 * that would compete with the OpenMP team for the same cores. */
#define BLAS_PARALLEL_MIN (1 << 26)

void
gnn_blas_threads(int64_t n, int h, int c)
{
	openblas_set_num_threads((double)n * h * c < BLAS_PARALLEL_MIN ? 1 :
	                         kith_get_threads());
}

void
gnn_gemm(gboolean ta, gboolean tb, int64_t m, int64_t n, int64_t k,
         const float *A, const float *B, float *C, float beta)
{
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
	            tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
	            1.0f, A, ta ? (int)m : (int)k, B, tb ? (int)k : (int)n,
	            beta, C, (int)n);
}

void
gnn_add_bias(float *Y, const float *b, int64_t n, int c)
{
#pragma omp parallel for schedule(static) if (n * c > PAR_MIN)
	for (int64_t i = 0; i < n; i++)
		for (int j = 0; j < c; j++)
			Y[i * c + j] += b[j];
}

void
gnn_glorot(float *w, int64_t fan_in, int64_t fan_out, struct kith_rng *r)
{
	double a = sqrt(6.0 / (double)(fan_in + fan_out));
	for (int64_t i = 0; i < fan_in * fan_out; i++)
		w[i] = (float)((2 * kith_rng_uniform(r) - 1) * a);
}

gboolean
gnn_split_edges(struct kith_csr *train, int32_t **va, int32_t **vb,
                int64_t *nv, const struct kith_csr *A, double ratio,
                uint64_t seed, uint64_t stream, GError **error)
{
	GArray *keep_r = g_array_new(FALSE, FALSE, sizeof(int32_t));
	GArray *keep_c = g_array_new(FALSE, FALSE, sizeof(int32_t));
	GArray *ha = g_array_new(FALSE, FALSE, sizeof(int32_t));
	GArray *hb = g_array_new(FALSE, FALSE, sizeof(int32_t));
	struct kith_rng rng;
	int64_t n = A->n_rows;

	kith_rng_seed(&rng, seed, stream);
	for (int64_t i = 0; i < n; i++)
		for (int64_t k = A->indptr[i]; k < A->indptr[i + 1]; k++) {
			int32_t a = (int32_t)i, b = A->indices[k];
			if (a >= b)
				continue;
			if (kith_rng_uniform(&rng) < ratio) {
				g_array_append_val(ha, a);
				g_array_append_val(hb, b);
			} else {
				g_array_append_val(keep_r, a);
				g_array_append_val(keep_c, b);
				g_array_append_val(keep_r, b);
				g_array_append_val(keep_c, a);
			}
		}
	gboolean built = kith_csr_from_coo(train, n, n, keep_r->len,
	                                   (int32_t *)keep_r->data,
	                                   (int32_t *)keep_c->data, NULL,
	                                   error);
	g_array_free(keep_r, TRUE);
	g_array_free(keep_c, TRUE);
	*nv = ha->len;
	*va = (int32_t *)g_array_free(ha, FALSE);
	*vb = (int32_t *)g_array_free(hb, FALSE);
	return built;
}

void
gnn_record_epoch(struct kith_train_report *r, kith_epoch_fn on_epoch,
                 void *on_epoch_data, int epoch, double loss, double score,
                 double t0)
{
	struct kith_train_point pt = { epoch, 0, loss, score, -1,
	                               kith_now() - t0 };
	g_array_append_val(r->curve, pt);
	if (on_epoch)
		on_epoch(&pt, on_epoch_data);
	r->epochs_run = epoch;
}

gboolean
gnn_out_of_time(struct kith_train_report *r, double time_limit, double t0)
{
	if (time_limit > 0 && kith_now() - t0 > time_limit) {
		r->stop_reason = "time-limit";
		return TRUE;
	}
	return FALSE;
}

gboolean
gnn_stop_interrupted(struct kith_train_report *r)
{
	if (kith_interrupted()) {
		r->stop_reason = "interrupted";
		return TRUE;
	}
	return FALSE;
}

int
gnn_ckpt_resume(const struct gnn_ckpt_state *st, int gen, int patience,
                int max_epochs, struct kith_train_report *report)
{
	report->best_epoch = st->best_epoch;
	report->epochs_run = st->epoch;
	report->resumed_epoch = st->epoch;
	report->resumed_generation = gen;
	if (st->since_best >= patience) {
		report->stop_reason = "early-stop";
		return max_epochs + 1;
	}
	return st->epoch + 1;
}

gboolean
gnn_checkpoint_due(int every, double seconds, int epoch, int max_epochs,
                   gboolean stop, double *last)
{
	double now = kith_now();

	if (every <= 0 && seconds <= 0)
		return FALSE;
	if ((every > 0 && epoch % every == 0) ||
	    (seconds > 0 && now - *last >= seconds) || stop ||
	    epoch == max_epochs) {
		*last = now;
		return TRUE;
	}
	return FALSE;
}

gboolean
gnn_check_interrupted(int epoch, const char *checkpoint_dir, GError **error)
{
	if (!kith_interrupted())
		return TRUE;
	if (checkpoint_dir)
		g_set_error(error, KITH_ERROR, KITH_ERROR_INTERRUPTED,
		            "training interrupted after epoch %d; checkpoint "
		            "in '%s' (continue with --resume)", epoch,
		            checkpoint_dir);
	else
		g_set_error(error, KITH_ERROR, KITH_ERROR_INTERRUPTED,
		            "training interrupted after epoch %d", epoch);
	return FALSE;
}

/* ---- checkpoints ------------------------------------------------------- */

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
gnn_config_hash(const char *params, const struct kith_csr *A,
                const struct kith_csr *X, const int32_t *label,
                const uint8_t *split, int64_t n_label)
{
	GChecksum *h = g_checksum_new(G_CHECKSUM_SHA256);
	hash_bytes(h, params, strlen(params) + 1);
	hash_csr(h, A);
	hash_csr(h, X);
	hash_bytes(h, &n_label, sizeof n_label);
	if (label)
		hash_bytes(h, label, (size_t)n_label * sizeof(int32_t));
	if (split)
		hash_bytes(h, split, (size_t)n_label);
	char *hex = g_strdup(g_checksum_get_string(h));
	g_checksum_free(h);
	return hex;
}

/* Doubles go into state.json as the 16 hex digits of their IEEE bits, so
 * that a resumed comparison (score > best) sees exactly the same value. */
static void
add_bits(JsonBuilder *b, const char *key, double v)
{
	guint64 u;
	char buf[17];
	memcpy(&u, &v, sizeof u);
	g_snprintf(buf, sizeof buf, "%016" G_GINT64_MODIFIER "x", u);
	json_builder_set_member_name(b, key);
	json_builder_add_string_value(b, buf);
}

static gboolean
get_bits(JsonObject *o, const char *key, double *out)
{
	const char *s = kith_json_str(o, key);
	char *end;
	guint64 u;
	if (s == NULL || strlen(s) != 16 || !g_ascii_isxdigit(s[0]))
		return FALSE;
	u = g_ascii_strtoull(s, &end, 16);
	if (*end != '\0')
		return FALSE;
	memcpy(out, &u, sizeof u);
	return TRUE;
}

/* Removes the files of a checkpoint generation folder and the folder. */
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

static gboolean
io_fail(GError **error, const char *what, const char *path)
{
	g_set_error(error, KITH_ERROR, KITH_ERROR_IO, "cannot %s '%s': %s",
	            what, path, g_strerror(errno));
	return FALSE;
}

gboolean
gnn_ckpt_write(const char *dir, const char *format, const char *config_hash,
               const struct gnn_ckpt_state *st,
               const struct kith_train_report *rep,
               const struct gnn_ckpt_array *arr, int n_arr, GError **error)
{
	g_autofree char *tmp = g_strconcat(dir, ".tmp", NULL);
	g_autofree char *old = g_strconcat(dir, ".old", NULL);
	g_autofree uint64_t *xx = g_new0(uint64_t, MAX(n_arr, 1));

	remove_generation(tmp);         /* left by a killed run */
	if (g_mkdir_with_parents(tmp, 0755) != 0)
		return io_fail(error, "create", tmp);
	for (int i = 0; i < n_arr; i++) {
		g_autofree char *path = g_build_filename(tmp, arr[i].name, NULL);
		if (!kith_npy_write(path, KITH_DT_F32, arr[i].n, 0, arr[i].data,
		                    0644, &xx[i], error)) {
			remove_generation(tmp);
			return FALSE;
		}
	}
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "format");
	json_builder_add_string_value(b, format);
	json_builder_set_member_name(b, "format_version");
	json_builder_add_int_value(b, 1);
	json_builder_set_member_name(b, "config_hash");
	json_builder_add_string_value(b, config_hash);
	json_builder_set_member_name(b, "epoch");
	json_builder_add_int_value(b, st->epoch);
	json_builder_set_member_name(b, "best_epoch");
	json_builder_add_int_value(b, st->best_epoch);
	json_builder_set_member_name(b, "since_best");
	json_builder_add_int_value(b, st->since_best);
	json_builder_set_member_name(b, "adam_t");
	json_builder_add_int_value(b, st->adam_t);
	add_bits(b, "best", st->best);
	add_bits(b, "best_loss", st->best_loss);
	json_builder_set_member_name(b, "elapsed");
	json_builder_add_double_value(b, st->elapsed);
	json_builder_set_member_name(b, "arrays");
	json_builder_begin_object(b);
	for (int i = 0; i < n_arr; i++) {
		char hx[17];
		g_snprintf(hx, sizeof hx, "%016" G_GINT64_MODIFIER "x",
		           (guint64)xx[i]);
		json_builder_set_member_name(b, arr[i].name);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "n");
		json_builder_add_int_value(b, arr[i].n);
		json_builder_set_member_name(b, "xxh64");
		json_builder_add_string_value(b, hx);
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
	json_builder_set_member_name(b, "curve");
	json_builder_begin_array(b);
	for (guint i = 0; rep && i < rep->curve->len; i++) {
		const struct kith_train_point *pt =
		    &g_array_index(rep->curve, struct kith_train_point, i);
		json_builder_begin_array(b);
		json_builder_add_int_value(b, pt->epoch);
		json_builder_add_double_value(b, pt->loss);
		json_builder_add_double_value(b, pt->val);
		json_builder_add_double_value(b, pt->seconds);
		json_builder_end_array(b);
	}
	json_builder_end_array(b);
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

static gboolean
corrupt(GError **error, const char *dir, const char *what)
{
	g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
	            "checkpoint '%s' %s", dir, what);
	return FALSE;
}

/* Restores one generation folder; FALSE with error when it is invalid. */
static gboolean
read_generation(const char *dir, const char *format, const char *config_hash,
                struct gnn_ckpt_state *st, struct kith_train_report *rep,
                const struct gnn_ckpt_array *arr, int n_arr, GError **error)
{
	g_autofree char *spath = g_build_filename(dir, "state.json", NULL);
	g_autoptr(JsonNode) root = kith_json_read(spath, error);
	if (!root)
		return FALSE;
	JsonObject *o = json_node_get_object(root);
	if (g_strcmp0(kith_json_str(o, "format"), format) != 0 ||
	    kith_json_int_or(o, "format_version", -1) != 1)
		return corrupt(error, dir, "is not a checkpoint of this model");
	if (g_strcmp0(kith_json_str(o, "config_hash"), config_hash) != 0)
		return corrupt(error, dir, "was written for another store or "
		               "other parameters");
	int64_t ep = kith_json_int_or(o, "epoch", -1);
	int64_t be = kith_json_int_or(o, "best_epoch", -1);
	int64_t sb = kith_json_int_or(o, "since_best", -1);
	int64_t at = kith_json_int_or(o, "adam_t", -1);
	double el = kith_json_num_or(o, "elapsed", NAN);
	if (ep < 0 || ep > 100000000 || be < 0 || be > ep || sb < 0 ||
	    sb > ep || at < 0 || at > ep || !(el >= 0) ||
	    !get_bits(o, "best", &st->best) ||
	    !get_bits(o, "best_loss", &st->best_loss))
		return corrupt(error, dir, "has an invalid state");
	st->epoch = (int)ep;
	st->best_epoch = (int)be;
	st->since_best = (int)sb;
	st->adam_t = at;
	st->elapsed = el;

	JsonObject *ao = kith_json_obj(o, "arrays");
	if (ao == NULL || (int)json_object_get_size(ao) != n_arr)
		return corrupt(error, dir, "has an invalid array list");
	for (int i = 0; i < n_arr; i++) {
		JsonObject *e = kith_json_obj(ao, arr[i].name);
		const char *hx = kith_json_str(e, "xxh64");
		g_autofree char *path = g_build_filename(dir, arr[i].name, NULL);
		uint64_t want, got;
		char *end;
		struct kith_npy a;
		if (e == NULL || kith_json_int_or(e, "n", -1) != arr[i].n ||
		    hx == NULL || strlen(hx) != 16 || !g_ascii_isxdigit(hx[0]))
			return corrupt(error, dir, "has an invalid array list");
		want = g_ascii_strtoull(hx, &end, 16);
		if (*end != '\0')
			return corrupt(error, dir, "has an invalid array list");
		if (!kith_file_xxh64(path, &got, error))
			return FALSE;
		if (got != want) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
			            "checkpoint array '%s' is damaged (checksum "
			            "mismatch)", path);
			return FALSE;
		}
		if (!kith_npy_map(&a, path, error))
			return FALSE;
		if (a.dtype != KITH_DT_F32 || a.shape[0] * a.shape[1] != arr[i].n) {
			kith_npy_unmap(&a);
			g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
			            "checkpoint array '%s' has the wrong shape",
			            path);
			return FALSE;
		}
		memcpy(arr[i].data, a.data, (size_t)arr[i].n * sizeof(float));
		kith_npy_unmap(&a);
	}

	JsonArray *c = kith_json_arr(o, "curve");
	if (c == NULL || json_array_get_length(c) > (guint)ep)
		return corrupt(error, dir, "has an invalid curve");
	GArray *curve = g_array_new(FALSE, TRUE,
	                            sizeof(struct kith_train_point));
	for (guint i = 0; i < json_array_get_length(c); i++) {
		JsonNode *en = json_array_get_element(c, i);
		JsonArray *e = JSON_NODE_HOLDS_ARRAY(en) ? json_node_get_array(en)
		                                         : NULL;
		double v[4];
		gboolean good = e != NULL && json_array_get_length(e) == 4;
		for (guint j = 0; good && j < 4; j++) {
			JsonNode *x = json_array_get_element(e, j);
			GType t = JSON_NODE_HOLDS_VALUE(x) ?
			    json_node_get_value_type(x) : G_TYPE_INVALID;
			if (t == G_TYPE_INT64)
				v[j] = (double)json_node_get_int(x);
			else if (t == G_TYPE_DOUBLE)
				v[j] = json_node_get_double(x);
			else
				good = FALSE;
		}
		if (!good || !(v[0] >= 1 && v[0] <= (double)ep)) {
			g_array_free(curve, TRUE);
			return corrupt(error, dir, "has an invalid curve");
		}
		struct kith_train_point pt = { (int)v[0], 0, v[1], v[2], -1,
		                               v[3] };
		g_array_append_val(curve, pt);
	}
	g_array_set_size(rep->curve, 0);
	g_array_append_vals(rep->curve, curve->data, curve->len);
	g_array_free(curve, TRUE);
	return TRUE;
}

int
gnn_ckpt_read(const char *dir, const char *format, const char *config_hash,
              struct gnn_ckpt_state *st, struct kith_train_report *rep,
              const struct gnn_ckpt_array *arr, int n_arr, int *generation,
              GError **error)
{
	g_autofree char *old = g_strconcat(dir, ".old", NULL);
	const char *gens[2] = { dir, old };
	GError *first = NULL;

	for (int g = 0; g < 2; g++) {
		g_autofree char *sp = g_build_filename(gens[g], "state.json",
		                                       NULL);
		GError *e = NULL;
		if (!g_file_test(gens[g], G_FILE_TEST_IS_DIR))
			continue;
		if (!g_file_test(sp, G_FILE_TEST_EXISTS))
			e = g_error_new(KITH_ERROR, KITH_ERROR_CORRUPT,
			                "checkpoint '%s' has no state.json",
			                gens[g]);
		else if (read_generation(gens[g], format, config_hash, st, rep,
		                         arr, n_arr, &e)) {
			g_clear_error(&first);
			*generation = g;
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
