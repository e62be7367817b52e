/*
 * Embedding folders of every model: kith embed, and the embedding stages
 * of kith update and kith run, as library calls.  kith_embed() trains a
 * model on a store (or, with --from, applies the trained weights of an
 * earlier folder to it) and writes the folder: users.npy, items.npy, the
 * model's arrays (LightGCN's ego embeddings for warm starts, GCN and SAGE
 * weights for --from) and manifest.json — the store it came from, the
 * seed, the model's parameters with the effective values of their auto
 * fields, the description of its weights and feature schema, and the
 * training report (curve, stop reason, validation, timings).  The same
 * module reads a folder back: the weights and schema for --from, the
 * parameters and ego embeddings for kith update's warm start
 * (kith_lightgcn_refresh()).
 * Cost: the model's (see its banner) plus O(n·d) to write the folder.
 */
#include "config.h"

#include <string.h>

#include "kith/eval.h"
#include "kith/core.h"
#include "kith/dist.h"
#include "kith/emb.h"
#include "kith/io.h"
#include "kith/memest.h"
#include "kith/models.h"
#include "kith/store.h"
#include "kith/update.h"
#include "nn/train-internal.h"

static const char *const model_names[] = { "auto", "filter", "lightgcn",
                                           "sage", "gcn" };

gboolean
kith_embed_model_known(const char *model)
{
	for (size_t i = 0; i < G_N_ELEMENTS(model_names); i++)
		if (strcmp(model, model_names[i]) == 0)
			return TRUE;
	return FALSE;
}

void
kith_embed_request_init(struct kith_embed_request *r)
{
	memset(r, 0, sizeof *r);
	r->model = "auto";
	r->seed = 42;
	kith_lightgcn_params_init(&r->lightgcn);
	kith_gcn_params_init(&r->gcn);
	kith_sage_params_init(&r->sage);
	kith_filter_params_init(&r->filter);
	r->auto_lightgcn_max_pairs = 250000;
}

/* auto: does LightGCN compete on s? */
static gboolean
auto_tries_lightgcn(const struct kith_embed_request *r,
                    const struct kith_store *s)
{
	return s->ui.nnz <= r->auto_lightgcn_max_pairs;
}

/* The filter's estimate on s: of one process, or (out not NULL) of each
 * of `ranks` ranks into out. */
static guint64
filter_memest(const struct kith_filter_params *p, const struct kith_store *s,
              struct kith_memest_rank *out, int ranks)
{
	gboolean lp_auto = p->lowpass < 0 && p->val_ratio > 0;
	int k = lp_auto || p->lowpass > 0 ? p->lowpass_dim : 0;

	if (out) {
		kith_memest_filter_ranks(out, s, p->dim, p->oversample,
		                         p->val_ratio, k, lp_auto, ranks);
		return 0;
	}
	return kith_memest_filter(s, p->dim, p->oversample, p->val_ratio, k,
	                          lp_auto);
}

guint64
kith_embed_memest(const struct kith_embed_request *r,
                  const struct kith_store *s)
{
	const struct kith_lightgcn_params *l = &r->lightgcn;

	if (strcmp(r->model, "filter") == 0 ||
	    (strcmp(r->model, "auto") == 0 && !auto_tries_lightgcn(r, s)))
		return filter_memest(&r->filter, s, NULL, 1);
	if (strcmp(r->model, "auto") == 0)  /* both outputs are kept */
		return filter_memest(&r->filter, s, NULL, 1) +
		       kith_memest_lightgcn(s, l->dim, l->layers, l->neg,
		                            l->batch, l->val_ratio, l->refit,
		                            l->spectral_init, l->social_weight);
	if (strcmp(r->model, "gcn") == 0)
		return kith_memest_gcn(s, r->gcn.hidden, r->gcn.dim);
	if (strcmp(r->model, "sage") == 0)
		return kith_memest_sage(s, r->sage.dim, r->sage.fanout[0],
		                        r->sage.fanout[1], r->sage.pool);
	return kith_memest_lightgcn(s, l->dim, l->layers, l->neg, l->batch,
	                            l->val_ratio, l->refit, l->spectral_init,
	                            l->social_weight);
}

gboolean
kith_embed_memest_ranks(const struct kith_embed_request *r,
                        const struct kith_store *s,
                        struct kith_memest_rank *out)
{
	const struct kith_lightgcn_params *l = &r->lightgcn;
	int P = kith_dist_size();
	gboolean lightgcn = strcmp(r->model, "lightgcn") == 0 ||
	                    (strcmp(r->model, "auto") == 0 &&
	                     auto_tries_lightgcn(r, s));

	if (kith_dist_active() && strcmp(r->model, "gcn") == 0) {
		kith_memest_gcn_ranks(out, s, r->gcn.hidden, r->gcn.dim, P);
		return TRUE;
	}
	if (kith_dist_active() && strcmp(r->model, "sage") == 0) {
		kith_memest_sage_ranks(out, s, r->sage.dim, r->sage.fanout[0],
		                       r->sage.fanout[1], r->sage.pool, P);
		return TRUE;
	}
	if (!kith_dist_active() || (strcmp(r->model, "lightgcn") != 0 &&
	                            strcmp(r->model, "filter") != 0 &&
	                            strcmp(r->model, "auto") != 0))
		return FALSE;
	if (lightgcn)
		kith_memest_lightgcn_ranks(out, s, l->dim, l->neg, l->batch,
		                           l->val_ratio, l->refit,
		                           l->spectral_init, l->social_weight, P);
	if (strcmp(r->model, "lightgcn") == 0)
		return TRUE;
	g_autofree struct kith_memest_rank *f = g_new(struct kith_memest_rank,
	                                               P);
	filter_memest(&r->filter, s, f, P);
	/* auto with LightGCN: both outputs are kept, its rows named */
	for (int q = 0; q < P; q++) {
		if (lightgcn)
			out[q].bytes += f[q].bytes;
		else
			out[q] = f[q];
	}
	return TRUE;
}

/* ---- the folder ------------------------------------------------------------ */

/* A folder being made: the manifest's members so far (an open object). */
struct folder {
	const struct kith_embed_request *r;
	const struct kith_store *s;   /* its ids name the rows */
	JsonBuilder *b;
	double t0;
	char *ckpt;             /* EMB.ckpt when training checkpoints */
};

/* The members every model's manifest starts with. */
static void
folder_begin(struct folder *f, const struct kith_embed_request *r,
             const char *model, const char *store_path,
             const struct kith_store *s)
{
	g_autofree char *abs_store = g_canonicalize_filename(store_path, NULL);
	g_autofree char *mpath = g_build_filename(store_path, "manifest.json",
	                                          NULL);
	g_autofree char *msha = kith_file_sha256(mpath, NULL, NULL);
	JsonObject *sm = s->manifest ? json_node_get_object(s->manifest)
	                             : NULL;

	f->r = r;
	f->s = s;
	f->t0 = kith_now();
	f->b = json_builder_new();
	json_builder_begin_object(f->b);
	kith_json_put_string(f->b, "model", model);
	kith_json_put_string(f->b, "store", abs_store);
	kith_json_put_string(f->b, "store_manifest_sha256", msha);
	kith_json_put_string(f->b, "store_created", kith_json_str(sm, "created"));
	kith_json_put_int(f->b, "store_users", s->n_users);
	kith_json_put_int(f->b, "store_items", s->n_items);
	kith_json_put_int(f->b, "store_pairs", s->ui.nnz);
	kith_json_put_int(f->b, "seed", r->seed);
	kith_json_put_int(f->b, "threads", kith_get_threads());
}

/* The checkpoint folder of a training run that checkpoints (t's
 * checkpoint options), else NULL. */
static void
folder_checkpoints(struct folder *f, struct kith_train_options *t)
{
	if (f->r->from || (t->checkpoint_every <= 0 &&
	                   t->checkpoint_seconds <= 0 && !t->resume))
		return;
	f->ckpt = g_strconcat(f->r->output, ".ckpt", NULL);
	t->checkpoint_dir = f->ckpt;
}

/* Ends the manifest and writes the folder atomically. */
static gboolean
folder_write(struct folder *f, const float *users, int64_t n_users,
             const float *items, int64_t n_items, int dim,
             const struct kith_emb_array *extra, int n_extra, GError **error)
{
	kith_json_put_double(f->b, "seconds_total", kith_now() - f->t0);
	json_builder_end_object(f->b);
	g_autoptr(JsonNode) root = json_builder_get_root(f->b);
	/* the ids files name the rows: the store's users and items when the
	 * arrays have one row each (a sage/gcn model over all nodes does not) */
	const struct kith_store *s = f->s;
	return kith_emb_write(f->r->output, users, n_users, items, n_items, dim,
	                      n_users == s->n_users ? s->user_ids : NULL,
	                      n_items == s->n_items ? s->item_ids : NULL,
	                      json_node_get_object(root), extra, n_extra,
	                      error);
}

/* After the folder is written: a finished run needs no checkpoint (either
 * generation), one stopped by its time limit keeps them for --resume. */
static void
folder_end(struct folder *f, const struct kith_train_report *rep,
           gboolean written)
{
	if (written && f->ckpt && strcmp(rep->stop_reason, "time-limit") != 0 &&
	    kith_dist_rank() == 0)
		kith_checkpoint_remove(f->ckpt);
	g_clear_object(&f->b);
	g_free(f->ckpt);
}

/* ---- lightgcn ----------------------------------------------------------------- */

static void
lightgcn_validation(JsonBuilder *b, const struct kith_train_report *rep)
{
	json_builder_set_member_name(b, "validation");
	json_builder_begin_object(b);
	if (rep->val >= 0) {
		g_autofree char *kr = g_strdup_printf("recall@%d", rep->k);
		g_autofree char *kn = g_strdup_printf("ndcg@%d", rep->k);
		kith_json_put_double(b, kr, rep->val);
		kith_json_put_double(b, kn, rep->val2);
	}
	json_builder_end_object(b);
}

/* Output buffers of a LightGCN run on s: users, items, ego (E⁰). */
static gboolean
lightgcn_buffers(float **U, float **V, float **E, const struct kith_store *s,
                 int dim, GError **error)
{
	size_t nu, ni;

	if (!kith_mul_size((size_t)s->n_users, (size_t)dim, &nu) ||
	    !kith_mul_size((size_t)s->n_items, (size_t)dim, &ni)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "embedding size overflows");
		return FALSE;
	}
	*U = kith_alloc_n(MAX(nu, 1), sizeof(float), error);
	*V = *U ? kith_alloc_n(MAX(ni, 1), sizeof(float), error) : NULL;
	*E = *V ? kith_alloc_n(MAX(nu + ni, 1), sizeof(float), error) : NULL;
	return *E != NULL;
}

/* A LightGCN run on s: U, V, E (owned by the caller) and its
 * parameters p (the request's, with the seed and checkpoints). */
static gboolean
lightgcn_run(struct folder *f, struct kith_store *s,
             struct kith_lightgcn_params *p, float **U, float **V, float **E,
             struct kith_train_report *rep, GError **error)
{
	p->seed = (uint64_t)f->r->seed;
	folder_checkpoints(f, &p->train);
	/* under mpirun the ranks train together, rank 0 gathers and writes */
	if (kith_dist_rank() == 0 &&
	    !lightgcn_buffers(U, V, E, s, p->dim, error))
		return FALSE;
	/* the ego embeddings E⁰ beside the output, for kith update */
	p->ego_out = *E;
	rep->model = "lightgcn";
	return kith_lightgcn_train(*U, *V, rep, &s->ui,
	                           s->uu.nnz ? &s->uu : NULL, p, error);
}

/* The manifest members and arrays of a LightGCN run; writes the folder. */
static gboolean
lightgcn_write(struct folder *f, struct kith_store *s,
               const struct kith_lightgcn_params *p, const float *U,
               const float *V, float *E, const struct kith_train_report *rep,
               GError **error)
{
	kith_lightgcn_params_to_json(f->b, p, rep);
	train_report_to_json(f->b, rep, "val_recall", "val_ndcg", TRUE);
	lightgcn_validation(f->b, rep);
	struct kith_emb_array ego = { KITH_LIGHTGCN_EGO, KITH_DT_F32,
	                              s->n_users + s->n_items, p->dim, E };
	return folder_write(f, U, s->n_users, V, s->n_items, p->dim, &ego,
	                    rep->has_ego ? 1 : 0, error);
}

static gboolean
embed_lightgcn(struct folder *f, struct kith_store *s,
               struct kith_train_report *rep, GError **error)
{
	struct kith_lightgcn_params p = f->r->lightgcn;
	g_autofree float *U = NULL, *V = NULL, *E = NULL;

	return lightgcn_run(f, s, &p, &U, &V, &E, rep, error) &&
	       (kith_dist_rank() != 0 ||
	        lightgcn_write(f, s, &p, U, V, E, rep, error));
}

/* ---- filter and auto ------------------------------------------------------------ */

/* The filter on s: U (n_users x *dim), V (n_items x *dim), owned. */
static gboolean
filter_run(const struct kith_embed_request *r, struct kith_store *s,
           struct kith_filter_params *p, int *dim, float **U, float **V,
           struct kith_train_report *rep, GError **error)
{
	p->seed = (uint64_t)r->seed;
	*dim = kith_filter_dim(p, &s->ui);
	/* under mpirun the item rows on every rank, the user rows gathered
	 * on rank 0, which writes */
	*V = kith_alloc_n((size_t)MAX(s->n_items, 1) * MAX(*dim, 1),
	                  sizeof(float), error);
	*U = *V && kith_dist_rank() == 0 ?
	    kith_alloc_n((size_t)MAX(s->n_users, 1) * MAX(*dim, 1),
	                 sizeof(float), error) : NULL;
	rep->model = "filter";
	if (!kith_dist_all_ok(*V && (*U || kith_dist_rank() != 0), error) ||
	    !kith_filter_train(*U, *V, rep, &s->ui, p, error))
		return FALSE;
	p->lowpass = rep->lowpass;      /* the weight used, in the manifest */
	return TRUE;
}

static gboolean
filter_write(struct folder *f, struct kith_store *s,
             const struct kith_filter_params *p, int dim, const float *U,
             const float *V, const struct kith_train_report *rep,
             GError **error)
{
	kith_filter_params_to_json(f->b, p, dim);
	if (rep->lowpass_val[0] >= 0) {
		json_builder_set_member_name(f->b, "lowpass_selection");
		json_builder_begin_object(f->b);
		kith_json_put_string(f->b, "metric", "val_recall");
		kith_json_put_double(f->b, "selected", rep->lowpass);
		json_builder_set_member_name(f->b, "candidates");
		json_builder_begin_array(f->b);
		for (int c = 0; c < 2; c++) {
			json_builder_begin_object(f->b);
			kith_json_put_double(f->b, "lowpass",
			                     c ? KITH_FILTER_LOWPASS : 0.0);
			kith_json_put_double(f->b, "val_recall",
			                     rep->lowpass_val[c]);
			json_builder_end_object(f->b);
		}
		json_builder_end_array(f->b);
		json_builder_end_object(f->b);
	}
	train_report_to_json(f->b, rep, "val_recall", "val_ndcg", FALSE);
	lightgcn_validation(f->b, rep);
	return folder_write(f, U, s->n_users, V, s->n_items, dim, NULL, 0,
	                    error);
}

static gboolean
embed_filter(struct folder *f, struct kith_store *s,
             struct kith_train_report *rep, GError **error)
{
	struct kith_filter_params p = f->r->filter;
	g_autofree float *U = NULL, *V = NULL;
	int dim;

	return filter_run(f->r, s, &p, &dim, &U, &V, rep, error) &&
	       (kith_dist_rank() != 0 ||
	        filter_write(f, s, &p, dim, U, V, rep, error));
}

/* One candidate of auto in the manifest's "selection". */
static void
auto_candidate(JsonBuilder *b, const char *model,
               const struct kith_train_report *rep, const char *skipped)
{
	json_builder_begin_object(b);
	kith_json_put_string(b, "model", model);
	if (skipped) {
		kith_json_put_string(b, "skipped", skipped);
	} else {
		kith_json_put_double(b, "val_recall", rep->val);
		kith_json_put_double(b, "val_ndcg", rep->val2);
		kith_json_put_double(b, "seconds", rep->seconds_total);
	}
	json_builder_end_object(b);
}

/* auto: the filter, and LightGCN on small stores (validated on the
 * filter's split), the better validation recall@k written. */
static gboolean
embed_auto(struct folder *f, const char *store_path, struct kith_store *s,
           struct kith_train_report *rep, GError **error)
{
	const struct kith_embed_request *r = f->r;
	struct kith_filter_params fp = r->filter;
	struct kith_lightgcn_params lp = r->lightgcn;
	struct kith_train_report lrep;
	g_autofree float *fu = NULL, *fv = NULL, *lu = NULL, *lv = NULL,
	                 *le = NULL;
	g_autofree char *skipped = NULL, *line = NULL;
	double t0 = kith_now();
	int dim;
	gboolean ok = FALSE, lightgcn = FALSE;

	kith_train_report_init(&lrep);
	if (!(fp.val_ratio > 0)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE, "model auto "
		            "chooses on validation: give --val-ratio > 0 or "
		            "name a model");
		goto out;
	}
	if (!filter_run(r, s, &fp, &dim, &fu, &fv, rep, error))
		goto out;
	if (auto_tries_lightgcn(r, s)) {
		/* the same validation split as the filter's */
		lp.val_ratio = fp.val_ratio;
		lp.val_max_users = fp.val_max_users;
		lp.k = fp.k;
		if (!lightgcn_run(f, s, &lp, &lu, &lv, &le, &lrep, error))
			goto out;
		lightgcn = lrep.val > rep->val;
	} else {
		skipped = g_strdup_printf("%" G_GINT64_FORMAT " training pairs "
		                          "> %" G_GINT64_FORMAT " (auto tries "
		                          "LightGCN on smaller stores)",
		                          s->ui.nnz, r->auto_lightgcn_max_pairs);
	}
	const char *chosen = lightgcn ? "lightgcn" : "filter";
	line = skipped ?
	    g_strdup_printf("auto: filter (lightgcn not tried: %s)", skipped) :
	    g_strdup_printf("auto: %s (validation recall@%d filter %.4f, "
	                    "lightgcn %.4f)", chosen, fp.k, rep->val, lrep.val);
	folder_begin(f, r, chosen, store_path, s);
	f->t0 = t0;
	kith_json_put_string(f->b, "model_requested", "auto");
	json_builder_set_member_name(f->b, "selection");
	json_builder_begin_object(f->b);
	kith_json_put_string(f->b, "metric", "val_recall");
	kith_json_put_string(f->b, "selected", chosen);
	kith_json_put_string(f->b, "reason", skipped ? "the only candidate" :
	                     "highest validation recall on the same split");
	json_builder_set_member_name(f->b, "candidates");
	json_builder_begin_array(f->b);
	auto_candidate(f->b, "filter", rep, NULL);
	auto_candidate(f->b, "lightgcn", &lrep, skipped);
	json_builder_end_array(f->b);
	json_builder_end_object(f->b);
	if (lightgcn) {
		/* the report is LightGCN's (the filter's is cleared) */
		struct kith_train_report tmp = *rep;
		*rep = lrep;
		lrep = tmp;
		ok = kith_dist_rank() != 0 ||
		     lightgcn_write(f, s, &lp, lu, lv, le, rep, error);
	} else {
		ok = kith_dist_rank() != 0 ||
		     filter_write(f, s, &fp, dim, fu, fv, rep, error);
	}
	rep->selection = g_steal_pointer(&line);
out:
	kith_train_report_clear(&lrep);
	return ok;
}

/* ---- gcn and sage: --from and features ---------------------------------------- */

/* The model's member object ("gcn" / "sage") of the folder FROM, checked
 * to hold model `name`; *e is opened (caller frees). */
static JsonObject *
from_open(const char *from, const char *name, struct kith_emb **e,
          GError **error)
{
	*e = kith_emb_open(from, error);
	if (!*e)
		return NULL;
	JsonObject *root = json_node_get_object((*e)->manifest);
	const char *model = kith_json_str(root, "model");
	JsonObject *m = kith_json_obj(root, name);
	if (g_strcmp0(model, name) != 0 || m == NULL) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "'%s' holds no %s model (model '%s')", from, name,
		            model ? model : "");
		return NULL;
	}
	return m;
}

/* Copies the float32 array NAME of e (n elements) into dst. */
static gboolean
load_array(const struct kith_emb *e, const char *name, float *dst, size_t n,
           GError **error)
{
	struct kith_npy a;
	if (!kith_emb_array(e, name, &a, error))
		return FALSE;
	if (a.dtype != KITH_DT_F32 || (size_t)(a.shape[0] * a.shape[1]) != n) {
		kith_npy_unmap(&a);
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "'%s' in '%s' has the wrong shape", name, e->path);
		return FALSE;
	}
	memcpy(dst, a.data, n * sizeof(float));
	kith_npy_unmap(&a);
	return TRUE;
}

/* Keeps only the uf block (columns 0..n_uf-1) of X. */
static void
keep_uf_block(struct kith_csr *X, int64_t n_uf)
{
	int64_t p = 0;
	for (int64_t i = 0; i < X->n_rows; i++) {
		int64_t k0 = X->indptr[i], k1 = X->indptr[i + 1];
		X->indptr[i] = p;
		for (int64_t k = k0; k < k1; k++)
			if (X->indices[k] < n_uf) {
				X->indices[p] = X->indices[k];
				X->values[p++] = X->values[k];
			}
	}
	X->indptr[X->n_rows] = p;
	X->nnz = p;
	X->n_cols = n_uf;
}

/* The rows [bounds[me], bounds[me + 1]) of the features of the store
 * (this rank's of the model's partition: every row on one process):
 * fitted on every row, or through the schema of the model object fm of a
 * --from folder. */
static gboolean
features(struct kith_csr *X, struct kith_feature_schema *sc,
         const struct kith_store *s, gboolean with_items, JsonObject *fm,
         gboolean uf_only, const int64_t *bounds, GError **error)
{
	int me = kith_dist_rank();

	if (fm && !kith_feature_schema_from_json(
	        sc, json_object_get_member(fm, "features"), error))
		return FALSE;
	/* this rank's rows only (the schema is fitted on all) */
	if (!kith_features_build_rows(X, sc, s, with_items, fm == NULL,
	                              bounds[me], bounds[me + 1], error))
		return FALSE;
	if (uf_only && sc->n_uf > 0)
		keep_uf_block(X, sc->n_uf);
	return TRUE;
}

static gboolean
model_mismatch(const char *name, const char *from, GError **error)
{
	g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT, "%s model in '%s' "
	            "does not match the store's features", name, from);
	return FALSE;
}

/* ---- gcn ------------------------------------------------------------------------ */

/* The weights of a --from folder (its model object fm). */
static gboolean
gcn_model_read(struct kith_gcn_model *m, const struct kith_emb *e,
               JsonObject *fm, int64_t n_cols, GError **error)
{
	m->n_in = kith_json_int_or(fm, "n_in", -1);
	m->hidden = (int)kith_json_int_or(fm, "hidden", 0);
	m->n_out = (int)kith_json_int_or(fm, "n_out", 0);
	m->supervised = kith_json_bool_or(fm, "supervised", FALSE);
	if (m->n_in != n_cols || m->hidden < 1 || m->n_out < 1)
		return model_mismatch("gcn", e->path, error);
	m->w1 = g_new(float, MAX(m->n_in * m->hidden, 1));
	m->b1 = g_new(float, m->hidden);
	m->w2 = g_new(float, (size_t)m->hidden * m->n_out);
	m->b2 = g_new(float, m->n_out);
	return load_array(e, "gcn.w1.npy", m->w1, m->n_in * m->hidden, error) &&
	       load_array(e, "gcn.b1.npy", m->b1, m->hidden, error) &&
	       load_array(e, "gcn.w2.npy", m->w2, (size_t)m->hidden * m->n_out,
	                  error) &&
	       load_array(e, "gcn.b2.npy", m->b2, m->n_out, error);
}

/* The class names of a supervised model: the labels', or the --from
 * folder's (NULL-terminated, caller frees). */
static char **
gcn_class_names(const struct kith_gcn_model *m, const struct kith_labels *lab,
                const struct kith_emb *from)
{
	char **names = g_new0(char *, m->n_out + 1);
	JsonArray *a = from ? kith_json_arr(json_node_get_object(
	                                        from->manifest), "classes")
	                    : NULL;
	for (int c = 0; c < m->n_out; c++)
		names[c] = g_strdup(!from ? lab->class_names[c] :
		                    a && (guint)c < json_array_get_length(a) ?
		                    json_array_get_string_element(a, c) : "");
	return names;
}

static void
gcn_model_to_json(JsonBuilder *b, const struct kith_gcn_model *m,
                  const struct kith_feature_schema *sc, char **classes)
{
	json_builder_set_member_name(b, "gcn");
	json_builder_begin_object(b);
	kith_json_put_int(b, "n_in", m->n_in);
	kith_json_put_int(b, "hidden", m->hidden);
	kith_json_put_int(b, "n_out", m->n_out);
	kith_json_put_bool(b, "supervised", m->supervised);
	kith_json_put_bool(b, "uf_only", sc->n_uf > 0);
	json_builder_set_member_name(b, "features");
	json_builder_add_value(b, kith_feature_schema_to_json(sc));
	json_builder_end_object(b);
	if (!classes)
		return;
	json_builder_set_member_name(b, "classes");
	json_builder_begin_array(b);
	for (int c = 0; classes[c]; c++)
		json_builder_add_string_value(b, classes[c]);
	json_builder_end_array(b);
}

static void
gcn_validation(JsonBuilder *b, const struct kith_train_report *rep,
               gboolean sup)
{
	json_builder_set_member_name(b, "validation");
	json_builder_begin_object(b);
	if (sup) {
		kith_json_put_double(b, "train_accuracy", rep->train_acc);
		kith_json_put_double(b, "val_accuracy", rep->val_acc);
		kith_json_put_double(b, "test_accuracy", rep->test_acc);
	} else {
		kith_json_put_double(b, "val_auc", rep->val);
	}
	json_builder_end_object(b);
}

/* gcn.classes.tsv: "class name" per class. */
static gboolean
gcn_classes_write(const char *dir, char **classes, GError **error)
{
	g_autoptr(GString) t = g_string_new("class\tname\n");
	for (guint c = 0; classes[c]; c++)
		g_string_append_printf(t, "%u\t%s\n", c, classes[c]);
	g_autofree char *path = g_build_filename(dir, "gcn.classes.tsv", NULL);
	return kith_write_file(path, t->str, t->len, 0644, error);
}

/* The weights of gcn: trained on s (with labels when given), or read
 * from --from; the embeddings U (n x width) and predictions. */
static gboolean
gcn_run(struct folder *f, struct kith_gcn_params *p, struct kith_gcn_model *m,
        const struct kith_csr *X, const struct kith_labels *lab,
        const struct kith_emb *from, JsonObject *fm, struct kith_store *s,
        float **U, int32_t **pred, struct kith_train_report *rep,
        GError **error)
{
	int64_t n = s->n_users;
	int width;

	/* under mpirun the ranks train together, rank 0 gathers and writes */
	gboolean lead = kith_dist_rank() == 0;
	if (fm) {
		if (!gcn_model_read(m, from, fm, X->n_cols, error))
			return FALSE;
		width = m->supervised ? m->hidden : m->n_out;
		*U = lead ? g_new(float, MAX(n * width, 1)) : NULL;
		*pred = m->supervised && lead ? g_new(int32_t, MAX(n, 1)) : NULL;
		return kith_gcn_apply(*U, *pred, m, &s->uu, X, p->mapped, error);
	}
	width = lab->label ? p->hidden : p->dim;
	*U = lead ? kith_alloc_n(MAX(n * width, 1), sizeof(float), error)
	          : NULL;
	if (!kith_dist_all_ok(*U || !lead, error))
		return FALSE;
	*pred = lab->label && lead ? g_new(int32_t, MAX(n, 1)) : NULL;
	return kith_gcn_train(*U, *pred, m, rep, &s->uu, X, lab->label,
	                      lab->split, lab->n_classes, p, error);
}

static gboolean
embed_gcn(struct folder *f, struct kith_store *s,
          struct kith_train_report *rep, GError **error)
{
	const struct kith_embed_request *r = f->r;
	struct kith_gcn_params p = r->gcn;
	struct kith_gcn_model m = { 0 };
	struct kith_labels lab = { 0 };
	struct kith_feature_schema sc = { 0 };
	struct kith_csr X = { 0 };
	g_autoptr(kith_emb) from = NULL;
	g_autofree float *U = NULL;
	g_autofree int32_t *pred = NULL;
	g_auto(GStrv) classes = NULL;
	JsonObject *fm = NULL;
	gboolean ok = FALSE;
	int64_t n = s->n_users;

	p.seed = (uint64_t)r->seed;
	folder_checkpoints(f, &p.train);
	g_autofree int64_t *b = g_new(int64_t, kith_dist_size() + 1);
	kith_gcn_bounds(b, &s->uu, kith_dist_size());
	if ((r->from && !(fm = from_open(r->from, "gcn", &from, error))) ||
	    !features(&X, &sc, s, FALSE, fm,
	              fm ? kith_json_bool_or(fm, "uf_only", FALSE) : TRUE, b,
	              error) ||
	    (r->labels && !kith_read_labels(&lab, s, r->labels, error)))
		goto out;
	/* a rank has its rows of X: the pages the fit read go back, and
	 * those of the social graph once its rows of Â are built */
	if (kith_dist_active()) {
		kith_store_release_all(s);
		p.mapped = s;
	}
	if (!gcn_run(f, &p, &m, &X, &lab, from, fm, s, &U, &pred, rep, error))
		goto out;
	if (m.supervised)
		classes = gcn_class_names(&m, &lab, from);
	kith_gcn_params_to_json(f->b, &p, &m, r->labels, r->from);
	gcn_model_to_json(f->b, &m, &sc, classes);
	if (!fm) {
		train_report_to_json(f->b, rep, m.supervised ? "val_accuracy"
		                                             : "val_auc",
		                     NULL, FALSE);
		gcn_validation(f->b, rep, m.supervised);
	}
	struct kith_emb_array ex[] = {
		{ "gcn.w1.npy", KITH_DT_F32, m.n_in, m.hidden, m.w1 },
		{ "gcn.b1.npy", KITH_DT_F32, m.hidden, 0, m.b1 },
		{ "gcn.w2.npy", KITH_DT_F32, m.hidden, m.n_out, m.w2 },
		{ "gcn.b2.npy", KITH_DT_F32, m.n_out, 0, m.b2 },
		{ "gcn.pred.npy", KITH_DT_I32, n, 0, pred },
	};
	ok = kith_dist_rank() != 0 ||
	     (folder_write(f, U, n, NULL, 0, m.supervised ? m.hidden : m.n_out,
	                   ex, pred ? 5 : 4, error) &&
	      (!classes || gcn_classes_write(r->output, classes, error)));
out:
	kith_gcn_model_clear(&m);
	kith_labels_clear(&lab);
	kith_feature_schema_clear(&sc);
	kith_csr_clear(&X);
	return ok;
}

/* ---- sage ----------------------------------------------------------------------- */

/* The "u:ID" / "i:ID" key of node i of the joint graph of s. */
static char *
sage_node_key(const struct kith_store *s, int64_t i)
{
	int64_t n = s->n_users;
	return g_strdup_printf("%c:%s", i < n ? 'u' : 'i',
	                       i < n ? s->user_ids[i] : s->item_ids[i - n]);
}

/* For every node of s its row in the id embeddings of a --from folder
 * (sage.nodes.tsv lists the nodes of the rows), -1 for a new node. */
static int64_t *
sage_id_map(const struct kith_emb *e, int64_t n_id,
            const struct kith_store *s, GError **error)
{
	int64_t N = s->n_users + s->n_items;
	g_autofree char *path = g_build_filename(e->path, "sage.nodes.tsv",
	                                         NULL);
	g_autofree char *txt = NULL;

	if (!g_file_get_contents(path, &txt, NULL, error))
		return NULL;
	g_auto(GStrv) lines = g_strsplit(txt, "\n", -1);
	if ((int64_t)g_strv_length(lines) < n_id) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "'%s' lists too few nodes", path);
		return NULL;
	}
	g_autoptr(GHashTable) h = g_hash_table_new(g_str_hash, g_str_equal);
	for (int64_t k = 0; k < n_id; k++)
		g_hash_table_insert(h, lines[k], GINT_TO_POINTER(k + 1));
	int64_t *map = g_new(int64_t, MAX(N, 1));
	for (int64_t i = 0; i < N; i++) {
		g_autofree char *key = sage_node_key(s, i);
		gpointer v = g_hash_table_lookup(h, key);
		map[i] = v ? GPOINTER_TO_INT(v) - 1 : -1;
	}
	return map;
}

/* The weights and id embeddings of a --from folder (its model object
 * fm); *id_map as sage_id_map() when it has id embeddings. */
static gboolean
sage_model_read(struct kith_sage_model *m, int64_t **id_map,
                const struct kith_emb *e, JsonObject *fm,
                const struct kith_store *s, int64_t n_cols, GError **error)
{
	size_t off = 0, sz = 0;

	m->n_in = kith_json_int_or(fm, "n_in", -1);
	m->dim = (int)kith_json_int_or(fm, "dim", 0);
	m->pool = kith_json_bool_or(fm, "pool", FALSE);
	if (m->n_in != n_cols || m->dim < 1 ||
	    !kith_sage_block(m, m->pool ? "bp2" : "b2", &off, &sz))
		return model_mismatch("sage", e->path, error);
	m->n_params = off + sz;
	m->params = g_new(float, m->n_params);
	if (!load_array(e, "sage.params.npy", m->params, m->n_params, error))
		return FALSE;
	m->n_id = kith_json_int_or(fm, "n_id", 0);
	if (m->n_id <= 0)
		return TRUE;
	*id_map = sage_id_map(e, m->n_id, s, error);
	m->id_emb = *id_map ? g_new(float, MAX(m->n_id * m->dim, 1)) : NULL;
	return m->id_emb && load_array(e, "sage.id_emb.npy", m->id_emb,
	                               m->n_id * m->dim, error);
}

static void
sage_model_to_json(JsonBuilder *b, const struct kith_sage_model *m,
                   const struct kith_feature_schema *sc)
{
	json_builder_set_member_name(b, "sage");
	json_builder_begin_object(b);
	kith_json_put_int(b, "n_in", m->n_in);
	kith_json_put_int(b, "dim", m->dim);
	kith_json_put_bool(b, "pool", m->pool);
	kith_json_put_int(b, "n_params", (gint64)m->n_params);
	kith_json_put_int(b, "n_id", m->id_emb ? m->n_id : 0);
	json_builder_set_member_name(b, "features");
	json_builder_add_value(b, kith_feature_schema_to_json(sc));
	json_builder_end_object(b);
}

/* sage.nodes.tsv: the node of every id-embedding row, for --from. */
static gboolean
sage_nodes_write(const char *dir, const struct kith_store *s, GError **error)
{
	g_autoptr(GString) t = g_string_new(NULL);
	for (int64_t i = 0; i < s->n_users + s->n_items; i++) {
		g_autofree char *key = sage_node_key(s, i);
		g_string_append_printf(t, "%s\n", key);
	}
	g_autofree char *path = g_build_filename(dir, "sage.nodes.tsv", NULL);
	return kith_write_file(path, t->str, t->len, 0600, error);
}

/* The embeddings E (N x dim) of the sage weights: trained on G, X, or
 * read from --from and applied. */
static gboolean
sage_run(struct kith_sage_params *p, struct kith_sage_model *m,
         const struct kith_csr *G, const struct kith_csr *X,
         const struct kith_emb *from, JsonObject *fm,
         const struct kith_store *s, float **E,
         struct kith_train_report *rep, GError **error)
{
	int64_t N = G->n_cols;
	g_autofree int64_t *id_map = NULL;
	/* under mpirun the ranks train together, rank 0 gathers and writes */
	gboolean lead = kith_dist_rank() == 0;

	if (!fm) {
		*E = lead ? kith_alloc_n(MAX(N * p->dim, 1), sizeof(float), error)
		          : NULL;
		return kith_dist_all_ok(*E || !lead, error) &&
		       kith_sage_train(*E, m, rep, G, X, p, error);
	}
	if (!sage_model_read(m, &id_map, from, fm, s, X->n_cols, error))
		return FALSE;
	*E = lead ? g_new(float, MAX(N * m->dim, 1)) : NULL;
	return kith_sage_apply_rows(*E, m, G, X, id_map, p->bounds, error);
}

static gboolean
embed_sage(struct folder *f, struct kith_store *s,
           struct kith_train_report *rep, GError **error)
{
	const struct kith_embed_request *r = f->r;
	struct kith_sage_params p = r->sage;
	struct kith_sage_model m = { 0 };
	struct kith_feature_schema sc = { 0 };
	struct kith_csr X = { 0 }, G = { 0 };
	struct kith_labels lab = { 0 };
	g_autoptr(kith_emb) from = NULL;
	g_autofree float *E = NULL;
	g_autofree int64_t *b = g_new(int64_t, kith_dist_size() + 1);
	JsonObject *fm = NULL;
	gboolean ok = FALSE;
	int64_t n = s->n_users;

	p.seed = (uint64_t)r->seed;
	folder_checkpoints(f, &p.train);
	if (r->labels) {
		if (!kith_read_labels(&lab, s, r->labels, error))
			goto out;
		p.label = lab.label;
		p.split = lab.split;
		p.n_label = lab.n_nodes;
		p.n_classes = lab.n_classes;
	}
	if (r->from && !(fm = from_open(r->from, "sage", &from, error)))
		goto out;
	/* this rank's rows of the graph and the features, at the width the
	 * run partitions at (the trained model's with --from) */
	kith_sage_bounds_store(b, s, fm ? MAX((int)kith_json_int_or(fm, "dim",
	                                                            1), 1) :
	                       p.dim, kith_dist_size());
	p.bounds = b;
	if (!kith_sage_graph_rows(&G, s, b[kith_dist_rank()],
	                          b[kith_dist_rank() + 1], error) ||
	    !features(&X, &sc, s, TRUE, fm, FALSE, b, error))
		goto out;
	/* a rank has copied its rows: the pages it read go back */
	if (kith_dist_active())
		kith_store_release_all(s);
	if (X.n_cols < KITH_SAGE_ID_EMB_BELOW)
		p.id_emb = TRUE;
	if (!sage_run(&p, &m, &G, &X, from, fm, s, &E, rep, error))
		goto out;
	kith_sage_params_to_json(f->b, &p, &m, r->labels, r->from);
	sage_model_to_json(f->b, &m, &sc);
	if (!fm) {
		const char *key = p.label ? "val_accuracy" : "val_auc";
		train_report_to_json(f->b, rep, key, NULL, FALSE);
		json_builder_set_member_name(f->b, "validation");
		json_builder_begin_object(f->b);
		kith_json_put_double(f->b, key, rep->val);
		json_builder_end_object(f->b);
	}
	struct kith_emb_array ex[] = {
		{ "sage.params.npy", KITH_DT_F32, (int64_t)m.n_params, 0,
		  m.params },
		{ "sage.id_emb.npy", KITH_DT_F32, m.n_id, m.dim, m.id_emb },
	};
	ok = kith_dist_rank() != 0 ||
	     (folder_write(f, E, n, E + n * m.dim, s->n_items, m.dim, ex,
	                   m.id_emb ? 2 : 1, error) &&
	      (!m.id_emb || fm || sage_nodes_write(r->output, s, error)));
out:
	kith_sage_model_clear(&m);
	kith_labels_clear(&lab);
	kith_feature_schema_clear(&sc);
	kith_csr_clear(&X);
	kith_csr_clear(&G);
	return ok;
}

/* ---- entry points ------------------------------------------------------------ */

gboolean
kith_embed(const struct kith_embed_request *r, const char *store_path,
           struct kith_store *s, struct kith_train_report *rep,
           GError **error)
{
	struct folder f = { 0 };
	gboolean ok;

	if (!kith_embed_model_known(r->model)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "unknown model '%s'", r->model);
		return FALSE;
	}
	if (strcmp(r->model, "auto") == 0) {
		f.r = r;
		ok = embed_auto(&f, store_path, s, rep, error);
		folder_end(&f, rep, ok);
		return ok;
	}
	folder_begin(&f, r, r->model, store_path, s);
	if (strcmp(r->model, "gcn") == 0)
		ok = embed_gcn(&f, s, rep, error);
	else if (strcmp(r->model, "sage") == 0)
		ok = embed_sage(&f, s, rep, error);
	else if (strcmp(r->model, "filter") == 0)
		ok = embed_filter(&f, s, rep, error);
	else
		ok = embed_lightgcn(&f, s, rep, error);
	folder_end(&f, rep, ok);
	return ok;
}

/* ---- kith update: the warm-started refresh of a LightGCN folder ----------- */

void
kith_refresh_options_init(struct kith_refresh_options *o)
{
	/* tools/bench-update: 8 steps of the usual batch, a quarter of
	 * them on the new pairs */
	o->steps = 8;
	o->focus = 0.25;
	o->seed = 42;
}

/* The ego start of a refresh: the folder's own E⁰ when it keeps it (kith
 * embed writes it), else its propagated rows (recovered by Richardson
 * iterations in the trainer).  *ego is mapped when found. */
static gboolean
refresh_start(struct kith_lightgcn_params *p, struct kith_npy *ego,
              gboolean *have_ego, const struct kith_emb *e, GError **error)
{
	g_autofree char *path = g_build_filename(e->path, KITH_LIGHTGCN_EGO,
	                                         NULL);
	*have_ego = g_file_test(path, G_FILE_TEST_EXISTS);
	if (*have_ego) {
		if (!kith_npy_map(ego, path, error))
			return FALSE;
		if (ego->dtype != KITH_DT_F32 || ego->ndim != 2 ||
		    ego->shape[0] != e->n_users + e->n_items ||
		    ego->shape[1] != e->dim) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
			            "'%s' is not a float32 %" G_GINT64_FORMAT
			            " x %d array", path, e->n_users + e->n_items,
			            e->dim);
			return FALSE;
		}
		p->init_user = ego->data;
		p->init_item = (const float *)ego->data +
		               (size_t)e->n_users * e->dim;
		p->init_ego = TRUE;
	} else {
		p->init_user = e->users;
		p->init_item = e->items;
	}
	p->init_users = e->n_users;
	p->init_items = e->n_items;
	return TRUE;
}

/* The fine-tuning schedule of a refresh: `steps` batches of the usual
 * size in one epoch, a share `focus` of the triples on the batch's new
 * pairs (or, when it created none, on the users whose items changed), no
 * validation split (so no refit), Adam afresh; the model's definition is
 * the folder's. */
static void
refresh_params(struct kith_lightgcn_params *p, const struct kith_emb *e,
               const struct kith_update_result *u,
               const struct kith_refresh_options *o)
{
	JsonObject *m = json_node_get_object(e->manifest);

	kith_lightgcn_params_init(p);
	kith_lightgcn_params_from_json(p, kith_json_obj(m, "params"));
	p->dim = e->dim;
	p->train.max_epochs = 1;
	p->epoch_steps = o->steps;
	p->val_ratio = 0;
	p->refit = FALSE;
	p->seed = o->seed + (uint64_t)u->index;
	p->focus_users = u->touched;
	p->n_focus = u->n_touched;
	p->focus_u = u->new_u;
	p->focus_i = u->new_i;
	p->n_focus_pairs = u->n_new;
	p->focus_share = o->focus;
}

/* The manifest of a refreshed folder: the old members, the new store,
 * one more entry in "updates". */
static JsonObject *
refresh_manifest(const struct kith_emb *e, const char *store_path,
                 const struct kith_store *s,
                 const struct kith_update_result *u,
                 const struct kith_refresh_options *o, gboolean have_ego,
                 double t0)
{
	JsonObject *m = json_node_get_object(e->manifest);
	JsonObject *f = json_object_new();
	g_autoptr(GList) ks = json_object_get_members(m);
	for (GList *l = ks; l; l = l->next)
		json_object_set_member(f, l->data, json_node_copy(
		    json_object_get_member(m, l->data)));
	g_autofree char *mp = g_build_filename(store_path, "manifest.json", NULL);
	g_autofree char *msha = kith_file_sha256(mp, NULL, NULL);
	if (msha)
		json_object_set_string_member(f, "store_manifest_sha256", msha);
	if (u->store_created)
		json_object_set_string_member(f, "store_created",
		                              u->store_created);
	json_object_set_int_member(f, "store_users", s->n_users);
	json_object_set_int_member(f, "store_items", s->n_items);
	json_object_set_int_member(f, "store_pairs", s->ui.nnz);
	JsonArray *ups = kith_json_arr(f, "updates");
	ups = ups ? json_array_ref(ups) : json_array_new();
	JsonObject *ue = json_object_new();
	json_object_set_int_member(ue, "ledger_index", u->index);
	json_object_set_string_member(ue, "method", "lightgcn-warm-start");
	json_object_set_int_member(ue, "steps", o->steps);
	json_object_set_double_member(ue, "focus", o->focus);
	json_object_set_int_member(ue, "touched_users", u->n_touched);
	json_object_set_int_member(ue, "new_pairs", u->n_new);
	json_object_set_boolean_member(ue, "ego_start", have_ego);
	json_object_set_int_member(ue, "users_added", s->n_users - u->old_users);
	json_object_set_int_member(ue, "items_added", s->n_items - u->old_items);
	json_object_set_double_member(ue, "seconds", kith_now() - t0);
	json_array_add_object_element(ups, ue);
	json_object_set_array_member(f, "updates", ups);
	return f;
}

gboolean
kith_lightgcn_refresh(const char *emb_path, const char *store_path,
                      const struct kith_update_result *u,
                      const struct kith_refresh_options *o, GError **error)
{
	double t0 = kith_now();
	struct kith_lightgcn_params p;
	struct kith_npy ego = { 0 };
	struct kith_train_report rep;
	g_autofree float *U = NULL, *V = NULL, *E = NULL;
	gboolean have_ego = FALSE, ok = FALSE;

	g_autoptr(kith_emb) e = kith_emb_open(emb_path, error);
	if (!e)
		return FALSE;
	g_autoptr(kith_store) s = kith_store_open(store_path, error);
	if (!s)
		return FALSE;
	if (e->n_users != u->old_users || e->n_items != u->old_items) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "'%s' has %" G_GINT64_FORMAT " users and %"
		            G_GINT64_FORMAT " items, the store had %"
		            G_GINT64_FORMAT " and %" G_GINT64_FORMAT " before "
		            "this batch", emb_path, e->n_users, e->n_items,
		            u->old_users, u->old_items);
		return FALSE;
	}
	refresh_params(&p, e, u, o);
	kith_train_report_init(&rep);
	if (refresh_start(&p, &ego, &have_ego, e, error) &&
	    lightgcn_buffers(&U, &V, &E, s, p.dim, error)) {
		p.ego_out = E;
		ok = kith_lightgcn_train(U, V, &rep, &s->ui,
		                         s->uu.nnz ? &s->uu : NULL, &p, error);
	}
	if (ego.map || ego.data)
		kith_npy_unmap(&ego);
	if (ok) {
		g_autoptr(JsonObject) f = refresh_manifest(e, store_path, s, u, o,
		                                           have_ego, t0);
		struct kith_emb_array ego_arr = { KITH_LIGHTGCN_EGO, KITH_DT_F32,
		                                  s->n_users + s->n_items, p.dim,
		                                  E };
		ok = kith_emb_write(emb_path, U, s->n_users, V, s->n_items,
		                    p.dim, s->user_ids, s->item_ids, f,
		                    rep.has_ego ? &ego_arr : NULL,
		                    rep.has_ego ? 1 : 0, error);
	}
	kith_train_report_clear(&rep);
	return ok;
}

/* ---- kith update: the refit of a filter folder ------------------------------ */

gboolean
kith_filter_refresh(const char *emb_path, const char *store_path,
                    GError **error)
{
	struct kith_embed_request r;
	struct kith_train_report rep;
	struct kith_npy items = { 0 };
	gboolean ok;

	g_autoptr(kith_emb) e = kith_emb_open(emb_path, error);
	if (!e)
		return FALSE;
	JsonObject *root = json_node_get_object(e->manifest);
	if (g_strcmp0(kith_json_str(root, "model"), "filter") != 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "'%s' holds no "
		            "filter model", emb_path);
		return FALSE;
	}
	g_autoptr(kith_store) s = kith_store_open(store_path, error);
	if (!s)
		return FALSE;
	kith_embed_request_init(&r);
	r.model = "filter";
	r.output = emb_path;
	r.seed = kith_json_int_or(root, "seed", r.seed);
	kith_filter_params_from_json(&r.filter, kith_json_obj(root, "params"));
	r.filter.val_ratio = 0;
	/* the earlier item rows start the fit when the width is the same */
	if (kith_emb_array(e, "items.npy", &items, NULL) &&
	    items.dtype == KITH_DT_F32 &&
	    items.shape[1] == kith_filter_dim(&r.filter, &s->ui)) {
		r.filter.start = items.data;
		r.filter.start_rows = items.shape[0];
	}
	kith_train_report_init(&rep);
	ok = kith_embed(&r, store_path, s, &rep, error);
	kith_train_report_clear(&rep);
	if (items.map || items.data)
		kith_npy_unmap(&items);
	return ok;
}
