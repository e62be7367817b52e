/* kith embed STORE -o EMB [--model lightgcn|sage|gcn] [options] */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kith/analytics.h"
#include "kith/emb.h"
#include "kith/io.h"
#include "kith/memest.h"
#include "kith/models.h"
#include "kith/store.h"

/* Options common to every model; -1 / 0 / NULL mean "model default". */
struct embed_opts {
	char *model;
	char *output;
	int dim;
	int layers;
	int epochs;
	int batch;
	double lr;
	double l2;
	int neg;
	double val_ratio;
	double time_limit;
	int checkpoint_every;
	double checkpoint_seconds;
	gboolean resume;
	double social_weight;
	/* lightgcn */
	int eval_every;
	int patience;
	gboolean no_spectral;
	gboolean no_refit;
	gboolean no_hard_neg;
};

/* What a model branch gets: the parsed options, the opened store and the
 * manifest builder already holding the common members (an object is open:
 * the branch adds its members and calls embed_write()). */
struct embed_run {
	struct kith_cli *cli;
	const struct embed_opts *o;
	const char *store_path;
	struct kith_store *store;
	JsonBuilder *fields;
	double t_start;
	const char *val_names[2];  /* of a curve point's val and val2 */
};

/* Ends the manifest object and writes EMB (extra arrays may be NULL/0). */
static int
embed_write(struct embed_run *r, const float *users, int64_t n_users,
            const float *items, int64_t n_items, int dim,
            const struct kith_emb_array *extra, int n_extra)
{
	GError *err = NULL;

	json_builder_set_member_name(r->fields, "seconds_total");
	json_builder_add_double_value(r->fields, kith_now() - r->t_start);
	json_builder_end_object(r->fields);
	g_autoptr(JsonNode) root = json_builder_get_root(r->fields);
	if (!kith_emb_write(r->o->output, users, n_users, items, n_items, dim,
	                    json_node_get_object(root), extra, n_extra, &err))
		return kith_cli_fail("embed", err);
	return 0;
}

/* The per-epoch line on a terminal: r->val_names names val and val2. */
static void
embed_epoch(const struct kith_train_point *pt, void *data)
{
	const struct embed_run *r = data;

	if (!r->cli->tty)
		return;
	fprintf(stderr, "\r\033[K%s %4d  loss %.4f", pt->phase ? "refit" :
	        "epoch", pt->epoch, pt->loss);
	if (pt->val >= 0)
		fprintf(stderr, "  val %s %.4f", r->val_names[0], pt->val);
	if (pt->val2 >= 0)
		fprintf(stderr, "  %s %.4f", r->val_names[1], pt->val2);
	fprintf(stderr, "  %6.1f s\n", pt->seconds);
}

/* The training options every model shares; CKPT is the checkpoint
 * folder (may be NULL). */
static void
embed_train_options(struct kith_train_options *t, const struct embed_opts *o,
                    struct embed_run *r, const char *ckpt)
{
	if (o->epochs > 0)
		t->max_epochs = o->epochs;
	if (o->patience > 0)
		t->patience = o->patience;
	t->time_limit = o->time_limit;
	t->on_epoch = embed_epoch;
	t->on_epoch_data = r;
	if (ckpt) {
		t->checkpoint_dir = ckpt;
		t->checkpoint_every = o->checkpoint_every;
		t->checkpoint_seconds = o->checkpoint_seconds;
		t->resume = o->resume;
	}
}

/* ---- lightgcn ----------------------------------------------------------- */

static int
run_lightgcn(struct embed_run *r)
{
	const struct embed_opts *o = r->o;
	struct kith_store *s = r->store;
	struct kith_lightgcn_params p;
	struct kith_train_report rep;
	GError *err = NULL;
	size_t nu, ni;

	kith_lightgcn_params_init(&p);
	if (o->dim > 0)
		p.dim = o->dim;
	if (o->layers >= 0)
		p.layers = o->layers;
	if (o->batch > 0)
		p.batch = o->batch;
	if (o->lr > 0)
		p.lr = o->lr;
	if (o->l2 >= 0)
		p.l2 = o->l2;
	if (o->neg > 0)
		p.neg = o->neg;
	if (o->val_ratio >= 0)
		p.val_ratio = o->val_ratio;
	if (o->eval_every > 0)
		p.eval_every = o->eval_every;
	p.social_weight = o->social_weight;
	p.spectral_init = !o->no_spectral;
	p.refit = !o->no_refit;
	if (o->no_hard_neg)
		p.hard_neg = FALSE;
	p.seed = (uint64_t)r->cli->seed;
	g_autofree char *ckpt = NULL;
	if (o->checkpoint_every > 0 || o->checkpoint_seconds > 0 ||
	    o->resume)
		ckpt = g_strconcat(o->output, ".ckpt", NULL);
	embed_train_options(&p.train, o, r, ckpt);
	r->val_names[0] = "recall@20";
	r->val_names[1] = "ndcg@20";

	if (!kith_mul_size((size_t)s->n_users, (size_t)p.dim, &nu) ||
	    !kith_mul_size((size_t)s->n_items, (size_t)p.dim, &ni))
		return kith_cli_fail("embed", g_error_new(KITH_ERROR,
			KITH_ERROR_NOMEM, "embedding size overflows"));
	g_autofree float *U = kith_alloc_n(MAX(nu, 1), sizeof(float), &err);
	if (!U)
		return kith_cli_fail("embed", err);
	g_autofree float *V = kith_alloc_n(MAX(ni, 1), sizeof(float), &err);
	if (!V)
		return kith_cli_fail("embed", err);
	/* the ego embeddings E⁰ beside the output, for kith update */
	g_autofree float *ego = kith_alloc_n(MAX(nu + ni, 1), sizeof(float),
	                                     &err);
	if (!ego)
		return kith_cli_fail("embed", err);
	p.ego_out = ego;

	kith_train_report_init(&rep);
	gboolean ok = kith_lightgcn_train(U, V, &rep, &s->ui,
	                                  s->uu.nnz ? &s->uu : NULL, &p, &err);
	if (r->cli->tty)
		fprintf(stderr, "\r\033[K");
	if (!ok) {
		kith_train_report_clear(&rep);
		return kith_cli_fail("embed", err);
	}

	JsonBuilder *b = r->fields;
	json_builder_set_member_name(b, "params");
	json_builder_begin_object(b);
	kith_json_put_int(b, "dim", p.dim);
	kith_json_put_int(b, "layers", p.layers);
	kith_json_put_int(b, "max_epochs", rep.max_epochs);
	kith_json_put_int(b, "batch", rep.batch);
	kith_json_put_double(b, "lr", rep.lr);
	kith_json_put_double(b, "l2", p.l2);
	kith_json_put_int(b, "neg", p.neg);
	json_builder_set_member_name(b, "hard_neg");
	json_builder_add_boolean_value(b, p.hard_neg);
	kith_json_put_double(b, "val_ratio", p.val_ratio);
	kith_json_put_int(b, "eval_every", rep.eval_every);
	kith_json_put_int(b, "patience", p.train.patience > 0 ? p.train.patience : 5);
	kith_json_put_int(b, "k", p.k);
	kith_json_put_double(b, "time_limit", p.train.time_limit);
	kith_json_put_double(b, "social_weight", p.social_weight);
	json_builder_set_member_name(b, "spectral_init");
	json_builder_add_boolean_value(b, p.spectral_init);
	json_builder_set_member_name(b, "refit");
	json_builder_add_boolean_value(b, p.refit);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "curve");
	json_builder_begin_array(b);
	for (guint i = 0; i < rep.curve->len; i++) {
		const struct kith_train_point *pt =
		    &g_array_index(rep.curve, struct kith_train_point, i);
		json_builder_begin_object(b);
		kith_json_put_int(b, "epoch", pt->epoch);
		kith_json_put_string(b, "phase",
				     pt->phase ? "refit" : "select");
		kith_json_put_double(b, "loss", pt->loss);
		if (pt->val >= 0) {
			kith_json_put_double(b, "val_recall", pt->val);
			kith_json_put_double(b, "val_ndcg", pt->val2);
		}
		kith_json_put_double(b, "seconds", pt->seconds);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);

	json_builder_set_member_name(b, "training");
	json_builder_begin_object(b);
	kith_json_put_int(b, "epochs_run", rep.epochs_run);
	kith_json_put_int(b, "best_epoch", rep.best_epoch);
	kith_json_put_int(b, "refit_epochs", rep.refit_epochs);
	kith_json_put_string(b, "stop_reason", rep.stop_reason);
	kith_json_put_int(b, "val_users", rep.val_users);
	kith_json_put_int(b, "val_pairs", rep.val_pairs);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "validation");
	json_builder_begin_object(b);
	if (rep.val >= 0) {
		g_autofree char *kr = g_strdup_printf("recall@%d", rep.k);
		g_autofree char *kn = g_strdup_printf("ndcg@%d", rep.k);
		kith_json_put_double(b, kr, rep.val);
		kith_json_put_double(b, kn, rep.val2);
	}
	json_builder_end_object(b);

	json_builder_set_member_name(b, "timings");
	json_builder_begin_object(b);
	kith_json_put_double(b, "init", rep.seconds_init);
	kith_json_put_double(b, "train", rep.seconds_train);
	kith_json_put_double(b, "eval", rep.seconds_eval);
	kith_json_put_double(b, "model", rep.seconds_total);
	json_builder_end_object(b);

	kith_cli_info(r->cli, "embed", "lightgcn d=%d: %d epochs, best %d, "
	              "refit %d (%s); val recall@%d %.4f ndcg@%d %.4f; "
	              "%.1f s", p.dim, rep.epochs_run, rep.best_epoch,
	              rep.refit_epochs, rep.stop_reason, rep.k,
	              rep.val, rep.k, rep.val2,
	              rep.seconds_total);
	gboolean finished = strcmp(rep.stop_reason, "time-limit") != 0;
	struct kith_emb_array ego_arr = { KITH_LIGHTGCN_EGO, KITH_DT_F32,
	                                  s->n_users + s->n_items, p.dim, ego };
	gboolean has_ego = rep.has_ego;
	kith_train_report_clear(&rep);
	int rc = embed_write(r, U, s->n_users, V, s->n_items, p.dim,
	                     has_ego ? &ego_arr : NULL, has_ego ? 1 : 0);
	if (rc == 0 && ckpt && finished) {
		/* a finished run needs no checkpoint (either generation);
		 * one cut by the time limit keeps them for --resume */
		kith_checkpoint_remove(ckpt);
	}
	return rc;
}

/* ---- gcn and sage ------------------------------------------------------- */

/* Options of the gcn and sage branches. */
static char *gnn_labels;
static char *gnn_from;
static char *gnn_aggregator;
static char *gnn_fanout;
static gboolean gnn_id_emb;

static void
gnn_curve(JsonBuilder *b, const struct kith_train_report *rep,
          const char *val_key)
{
	json_builder_set_member_name(b, "curve");
	json_builder_begin_array(b);
	for (guint i = 0; i < rep->curve->len; i++) {
		const struct kith_train_point *pt =
		    &g_array_index(rep->curve, struct kith_train_point, i);
		json_builder_begin_object(b);
		kith_json_put_int(b, "epoch", pt->epoch);
		kith_json_put_double(b, "loss", pt->loss);
		if (pt->val >= 0)
			kith_json_put_double(b, val_key, pt->val);
		kith_json_put_double(b, "seconds", pt->seconds);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "training");
	json_builder_begin_object(b);
	kith_json_put_int(b, "epochs_run", rep->epochs_run);
	kith_json_put_int(b, "best_epoch", rep->best_epoch);
	kith_json_put_string(b, "stop_reason", rep->stop_reason);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "timings");
	json_builder_begin_object(b);
	kith_json_put_double(b, "init", rep->seconds_init);
	kith_json_put_double(b, "train", rep->seconds_train);
	kith_json_put_double(b, "model", rep->seconds_total);
	json_builder_end_object(b);
}

/* The model's member object ("gcn" / "sage") of an EMB given by --from,
 * checked to be of model `name`.  *emb_out is opened (caller frees). */
static JsonObject *
gnn_from_open(const char *name, struct kith_emb **emb_out, GError **error)
{
	struct kith_emb *e = kith_emb_open(gnn_from, error);
	if (!e)
		return NULL;
	JsonObject *root = json_node_get_object(e->manifest);
	const char *model = json_object_get_string_member_with_default(
		root, "model", "");
	if (strcmp(model, name) != 0 || !json_object_has_member(root, name)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "'%s' holds no %s model (model '%s')", gnn_from,
		            name, model);
		kith_emb_free(e);
		return NULL;
	}
	*emb_out = e;
	return json_object_get_object_member(root, name);
}

/* Copies the float32 array NAME of e (expected elements n) into dst. */
static gboolean
gnn_load(struct kith_emb *e, const char *name, float *dst, size_t n,
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

/* The checkpoint folder EMB.ckpt of a gcn/sage training run with
 * --checkpoint-every or --resume, else NULL (caller frees). */
static char *
gnn_ckpt_dir(const struct embed_opts *o)
{
	if (gnn_from || (o->checkpoint_every <= 0 &&
	                 o->checkpoint_seconds <= 0 && !o->resume))
		return NULL;
	return g_strconcat(o->output, ".ckpt", NULL);
}

/* After the output is written: a finished run needs no checkpoint, one
 * cut by the time limit keeps it for --resume. */
static void
gnn_ckpt_done(struct embed_run *r, const char *ckpt,
              const struct kith_train_report *rep, int rc)
{
	if (ckpt && rep->resumed_epoch > 0)
		kith_cli_info(r->cli, "embed", "resumed after epoch %d from "
		              "'%s%s'", rep->resumed_epoch, ckpt,
		              rep->resumed_generation ? ".old" : "");
	if (rc == 0 && ckpt && strcmp(rep->stop_reason, "time-limit") != 0)
		kith_checkpoint_remove(ckpt);
}

/* Features of the store: fitted, or through the schema of --from. */
static gboolean
gnn_features(struct kith_csr *X, struct kith_feature_schema *sc,
             struct kith_store *s, gboolean with_items, JsonObject *from,
             gboolean uf_only, GError **error)
{
	if (from) {
		if (!kith_feature_schema_from_json(
		        sc, json_object_get_member(from, "features"), error))
			return FALSE;
		if (!kith_features_build(X, sc, s, with_items, FALSE, error))
			return FALSE;
	} else if (!kith_features_build(X, sc, s, with_items, TRUE, error)) {
		return FALSE;
	}
	if (uf_only && sc->n_uf > 0) {
		/* keep only the uf block (columns 0..n_uf-1) */
		int64_t p = 0;
		for (int64_t i = 0; i < X->n_rows; i++) {
			int64_t k0 = X->indptr[i], k1 = X->indptr[i + 1];
			X->indptr[i] = p;
			for (int64_t k = k0; k < k1; k++)
				if (X->indices[k] < sc->n_uf) {
					X->indices[p] = X->indices[k];
					X->values[p++] = X->values[k];
				}
		}
		X->indptr[X->n_rows] = p;
		X->nnz = p;
		X->n_cols = sc->n_uf;
	}
	return TRUE;
}

static int
run_gcn(struct embed_run *r)
{
	const struct embed_opts *o = r->o;
	struct kith_store *s = r->store;
	struct kith_gcn_params p;
	struct kith_gcn_model m = { 0 };
	struct kith_train_report rep;
	struct kith_labels lab = { 0 };
	struct kith_feature_schema sc = { 0 };
	struct kith_csr X = { 0 };
	g_autoptr(kith_emb) from = NULL;
	JsonObject *fm = NULL;
	GError *err = NULL;
	int64_t n = s->n_users;
	int rc = 1, width = 0;
	g_autofree float *U = NULL;
	g_autofree int32_t *pred = NULL;

	kith_gcn_params_init(&p);
	p.hidden = o->dim;
	p.dim = o->dim;
	if (o->l2 >= 0)
		p.weight_decay = o->l2;
	if (o->lr > 0)
		p.lr = o->lr;
	if (o->neg > 0)
		p.neg = o->neg;
	p.seed = (uint64_t)r->cli->seed;
	g_autofree char *ckpt = gnn_ckpt_dir(o);
	embed_train_options(&p.train, o, r, ckpt);
	kith_train_report_init(&rep);
	r->val_names[0] = gnn_labels ? "accuracy" : "link auc";

	if (gnn_from) {
		fm = gnn_from_open("gcn", &from, &err);
		if (!fm)
			goto fail;
	}
	if (!gnn_features(&X, &sc, s, FALSE, fm,
	                  fm ? json_object_get_boolean_member_with_default(
	                           fm, "uf_only", FALSE) : TRUE, &err))
		goto fail;
	if (gnn_labels && !kith_read_labels(&lab, s, gnn_labels, &err))
		goto fail;
	if (fm) {
		m.n_in = json_object_get_int_member_with_default(fm, "n_in", -1);
		m.hidden = (int)json_object_get_int_member_with_default(
			fm, "hidden", 0);
		m.n_out = (int)json_object_get_int_member_with_default(
			fm, "n_out", 0);
		m.supervised = json_object_get_boolean_member_with_default(
			fm, "supervised", FALSE);
		if (m.n_in != X.n_cols || m.hidden < 1 || m.n_out < 1) {
			err = g_error_new(KITH_ERROR, KITH_ERROR_CORRUPT,
			                  "gcn model in '%s' does not match the "
			                  "store's features", gnn_from);
			goto fail;
		}
		m.w1 = g_new(float, MAX(m.n_in * m.hidden, 1));
		m.b1 = g_new(float, m.hidden);
		m.w2 = g_new(float, (size_t)m.hidden * m.n_out);
		m.b2 = g_new(float, m.n_out);
		if (!gnn_load(from, "gcn.w1.npy", m.w1, m.n_in * m.hidden, &err) ||
		    !gnn_load(from, "gcn.b1.npy", m.b1, m.hidden, &err) ||
		    !gnn_load(from, "gcn.w2.npy", m.w2,
		              (size_t)m.hidden * m.n_out, &err) ||
		    !gnn_load(from, "gcn.b2.npy", m.b2, m.n_out, &err))
			goto fail;
		width = m.supervised ? m.hidden : m.n_out;
		U = g_new(float, MAX(n * width, 1));
		pred = m.supervised ? g_new(int32_t, MAX(n, 1)) : NULL;
		if (!kith_gcn_apply(U, pred, &m, &s->uu, &X, &err))
			goto fail;
	} else {
		width = lab.label ? p.hidden : p.dim;
		U = kith_alloc_n(MAX(n * width, 1), sizeof(float), &err);
		if (!U)
			goto fail;
		pred = lab.label ? g_new(int32_t, MAX(n, 1)) : NULL;
		gboolean ok = kith_gcn_train(U, pred, &m, &rep, &s->uu, &X,
		                             lab.label, lab.split, lab.n_classes,
		                             &p, &err);
		if (r->cli->tty)
			fprintf(stderr, "\r\033[K");
		if (!ok)
			goto fail;
	}

	JsonBuilder *b = r->fields;
	json_builder_set_member_name(b, "params");
	json_builder_begin_object(b);
	kith_json_put_int(b, "hidden", m.hidden);
	kith_json_put_int(b, "dim", width);
	kith_json_put_int(b, "max_epochs", p.train.max_epochs > 0 ? p.train.max_epochs :
	     (m.supervised ? 200 : 300));
	kith_json_put_double(b, "lr", p.lr);
	kith_json_put_double(b, "weight_decay", p.weight_decay);
	kith_json_put_double(b, "dropout", m.supervised ? p.dropout : 0.0);
	kith_json_put_int(b, "patience", p.train.patience > 0 ? p.train.patience : 100);
	kith_json_put_int(b, "neg", p.neg);
	kith_json_put_string(b, "mode",
			     m.supervised ? "semi-supervised" : "auto-encoder");
	kith_json_put_string(b, "labels", gnn_labels);
	kith_json_put_string(b, "from", gnn_from);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "gcn");
	json_builder_begin_object(b);
	kith_json_put_int(b, "n_in", m.n_in);
	kith_json_put_int(b, "hidden", m.hidden);
	kith_json_put_int(b, "n_out", m.n_out);
	json_builder_set_member_name(b, "supervised");
	json_builder_add_boolean_value(b, m.supervised);
	json_builder_set_member_name(b, "uf_only");
	json_builder_add_boolean_value(b, sc.n_uf > 0);
	json_builder_set_member_name(b, "features");
	json_builder_add_value(b, kith_feature_schema_to_json(&sc));
	json_builder_end_object(b);
	if (m.supervised) {
		char **names = fm ? NULL : lab.class_names;
		g_auto(GStrv) fnames = NULL;
		if (fm) {
			JsonObject *root = json_node_get_object(from->manifest);
			JsonArray *a = json_object_get_array_member(root, "classes");
			fnames = g_new0(char *, m.n_out + 1);
			for (int c = 0; c < m.n_out; c++)
				fnames[c] = g_strdup(a && (guint)c <
				    json_array_get_length(a) ?
				    json_array_get_string_element(a, c) : "");
			names = fnames;
		}
		json_builder_set_member_name(b, "classes");
		json_builder_begin_array(b);
		for (int c = 0; c < m.n_out; c++)
			json_builder_add_string_value(b, names[c]);
		json_builder_end_array(b);
	}
	if (!fm) {
		gnn_curve(b, &rep, m.supervised ? "val_accuracy" : "val_auc");
		json_builder_set_member_name(b, "validation");
		json_builder_begin_object(b);
		if (m.supervised) {
			kith_json_put_double(b, "train_accuracy",
					     rep.train_acc);
			kith_json_put_double(b, "val_accuracy", rep.val_acc);
			kith_json_put_double(b, "test_accuracy", rep.test_acc);
		} else {
			kith_json_put_double(b, "val_auc", rep.val);
		}
		json_builder_end_object(b);
		if (m.supervised)
			kith_cli_info(r->cli, "embed", "gcn h=%d: %d epochs, "
			              "best %d (%s); accuracy train %.4f val %.4f "
			              "test %.4f; %.2f s", m.hidden,
			              rep.epochs_run, rep.best_epoch,
			              rep.stop_reason, rep.train_acc, rep.val_acc,
			              rep.test_acc, rep.seconds_total);
		else
			kith_cli_info(r->cli, "embed", "gcn auto-encoder d=%d: %d "
			              "epochs, best %d (%s); val auc %.4f; %.2f s",
			              width, rep.epochs_run, rep.best_epoch,
			              rep.stop_reason, rep.val,
			              rep.seconds_total);
	}
	struct kith_emb_array ex[] = {
		{ "gcn.w1.npy", KITH_DT_F32, m.n_in, m.hidden, m.w1 },
		{ "gcn.b1.npy", KITH_DT_F32, m.hidden, 0, m.b1 },
		{ "gcn.w2.npy", KITH_DT_F32, m.hidden, m.n_out, m.w2 },
		{ "gcn.b2.npy", KITH_DT_F32, m.n_out, 0, m.b2 },
		{ "gcn.pred.npy", KITH_DT_I32, n, 0, pred },
	};
	rc = embed_write(r, U, n, NULL, 0, width, ex, pred ? 5 : 4);
	if (rc == 0 && m.supervised) {
		JsonObject *root = NULL;
		GString *t = g_string_new("class\tname\n");
		g_autoptr(kith_emb) e = kith_emb_open(o->output, NULL);
		if (e)
			root = json_node_get_object(e->manifest);
		JsonArray *a = root ? json_object_get_array_member(root,
		                                                    "classes")
		                    : NULL;
		for (guint c = 0; a && c < json_array_get_length(a); c++)
			g_string_append_printf(t, "%u\t%s\n", c,
			    json_array_get_string_element(a, c));
		g_autofree char *cp = g_build_filename(o->output,
		                                       "gcn.classes.tsv", NULL);
		if (!kith_write_file(cp, t->str, t->len, 0644, &err))
			rc = kith_cli_fail("embed", err);
		g_string_free(t, TRUE);
	}
	gnn_ckpt_done(r, ckpt, &rep, rc);
	goto done;
fail:
	if (r->cli->tty)
		fprintf(stderr, "\r\033[K");
	rc = kith_cli_fail("embed", err);
done:
	kith_gcn_model_clear(&m);
	kith_train_report_clear(&rep);
	kith_labels_clear(&lab);
	kith_feature_schema_clear(&sc);
	kith_csr_clear(&X);
	return rc;
}

static int
run_sage(struct embed_run *r)
{
	const struct embed_opts *o = r->o;
	struct kith_store *s = r->store;
	struct kith_sage_params p;
	struct kith_sage_model m = { 0 };
	struct kith_train_report rep;
	struct kith_feature_schema sc = { 0 };
	struct kith_csr X = { 0 }, G = { 0 };
	struct kith_labels lab = { 0 };
	g_autoptr(kith_emb) from = NULL;
	JsonObject *fm = NULL;
	GError *err = NULL;
	int64_t n = s->n_users, N = s->n_users + s->n_items;
	int rc = 1;
	g_autofree float *E = NULL;

	kith_sage_params_init(&p);
	p.dim = o->dim;
	if (o->l2 >= 0)
		p.l2 = o->l2;
	if (o->val_ratio >= 0)
		p.val_ratio = o->val_ratio;
	p.id_emb = gnn_id_emb;
	if (o->lr > 0)
		p.lr = o->lr;
	if (o->neg > 0)
		p.neg = o->neg;
	p.seed = (uint64_t)r->cli->seed;
	g_autofree char *ckpt = gnn_ckpt_dir(o);
	embed_train_options(&p.train, o, r, ckpt);
	kith_train_report_init(&rep);
	r->val_names[0] = gnn_labels ? "accuracy" : "link auc";
	if (gnn_aggregator && strcmp(gnn_aggregator, "mean") != 0 &&
	    strcmp(gnn_aggregator, "pool") != 0) {
		kith_train_report_clear(&rep);
		return kith_cli_usage("embed", "--aggregator must be mean or "
		                      "pool");
	}
	p.pool = gnn_aggregator && strcmp(gnn_aggregator, "pool") == 0;
	if (gnn_fanout) {
		char *end;
		long a = strtol(gnn_fanout, &end, 10), b2 = -1;
		if (*end == ',')
			b2 = strtol(end + 1, &end, 10);
		if (*end || a < 1 || b2 < 1 || a > 10000 || b2 > 10000) {
			kith_train_report_clear(&rep);
			return kith_cli_usage("embed", "--fanout must be two "
			                      "positive counts, e.g. 25,10");
		}
		p.fanout[0] = (int)a;
		p.fanout[1] = (int)b2;
	}
	if (gnn_labels) {
		if (!kith_read_labels(&lab, s, gnn_labels, &err))
			goto fail;
		p.label = lab.label;
		p.split = lab.split;
		p.n_label = lab.n_nodes;
		p.n_classes = lab.n_classes;
		/* supervised defaults: see kith-embed(1) */
		p.link_weight = 0.3;
		if (o->l2 < 0)
			p.l2 = 5e-4;
		if (o->patience <= 0)
			p.train.patience = 100;
	}
	if (gnn_from) {
		fm = gnn_from_open("sage", &from, &err);
		if (!fm)
			goto fail;
	}
	if (!kith_sage_graph(&G, s, &err) ||
	    !gnn_features(&X, &sc, s, TRUE, fm, FALSE, &err))
		goto fail;
	/* Stores with few features (no user features, attributes or
	 * categories) get learned id embeddings by default. */
	if (X.n_cols < 32)
		p.id_emb = TRUE;
	E = kith_alloc_n(MAX(N * p.dim, 1), sizeof(float), &err);
	if (fm) {
		m.n_in = json_object_get_int_member_with_default(fm, "n_in", -1);
		m.dim = (int)json_object_get_int_member_with_default(fm, "dim", 0);
		m.pool = json_object_get_boolean_member_with_default(fm, "pool",
		                                                      FALSE);
		size_t off = 0, sz = 0;
		if (m.n_in != X.n_cols || m.dim < 1 ||
		    !kith_sage_block(&m, m.pool ? "bp2" : "b2", &off, &sz)) {
			err = g_error_new(KITH_ERROR, KITH_ERROR_CORRUPT,
			                  "sage model in '%s' does not match the "
			                  "store's features", gnn_from);
			goto fail;
		}
		m.n_params = off + sz;
		m.params = g_new(float, m.n_params);
		if (!gnn_load(from, "sage.params.npy", m.params, m.n_params, &err))
			goto fail;
		g_autofree int64_t *id_map = NULL;
		m.n_id = json_object_get_int_member_with_default(fm, "n_id", 0);
		if (m.n_id > 0) {
			/* rows of the id embeddings by node id (sage.nodes.tsv) */
			g_autofree char *np = g_build_filename(gnn_from,
			                                       "sage.nodes.tsv",
			                                       NULL);
			g_autofree char *txt = NULL;
			if (!g_file_get_contents(np, &txt, NULL, &err))
				goto fail;
			g_auto(GStrv) lines = g_strsplit(txt, "\n", -1);
			if ((int64_t)g_strv_length(lines) < m.n_id) {
				err = g_error_new(KITH_ERROR, KITH_ERROR_CORRUPT,
				                  "'%s' lists too few nodes", np);
				goto fail;
			}
			GHashTable *h = g_hash_table_new(g_str_hash, g_str_equal);
			for (int64_t k = 0; k < m.n_id; k++)
				g_hash_table_insert(h, lines[k],
				                    GINT_TO_POINTER(k + 1));
			id_map = g_new(int64_t, MAX(N, 1));
			for (int64_t i = 0; i < N; i++) {
				g_autofree char *key = g_strdup_printf("%c:%s",
				    i < n ? 'u' : 'i',
				    i < n ? s->user_ids[i] : s->item_ids[i - n]);
				gpointer v = g_hash_table_lookup(h, key);
				id_map[i] = v ? GPOINTER_TO_INT(v) - 1 : -1;
			}
			g_hash_table_destroy(h);
			m.id_emb = g_new(float, MAX(m.n_id * m.dim, 1));
			if (!gnn_load(from, "sage.id_emb.npy", m.id_emb,
			              m.n_id * m.dim, &err))
				goto fail;
		}
		g_free(E);
		E = g_new(float, MAX(N * m.dim, 1));
		if (!kith_sage_apply(E, &m, &G, &X, id_map, &err))
			goto fail;
	} else {
		if (!E)
			goto fail;
		gboolean ok = kith_sage_train(E, &m, &rep, &G, &X, &p, &err);
		if (r->cli->tty)
			fprintf(stderr, "\r\033[K");
		if (!ok)
			goto fail;
	}

	JsonBuilder *b = r->fields;
	json_builder_set_member_name(b, "params");
	json_builder_begin_object(b);
	kith_json_put_int(b, "dim", m.dim);
	kith_json_put_string(b, "aggregator", m.pool ? "pool" : "mean");
	kith_json_put_int(b, "fanout_1", p.fanout[0]);
	kith_json_put_int(b, "fanout_2", p.fanout[1]);
	kith_json_put_int(b, "max_epochs",
			  p.train.max_epochs > 0 ? p.train.max_epochs : 400);
	kith_json_put_double(b, "lr", p.lr);
	kith_json_put_double(b, "l2", p.l2);
	kith_json_put_int(b, "neg", p.neg);
	kith_json_put_double(b, "val_ratio", p.val_ratio);
	kith_json_put_int(b, "patience", p.train.patience > 0 ? p.train.patience : 50);
	kith_json_put_string(b, "labels", gnn_labels);
	kith_json_put_double(b, "link_weight", p.label ? p.link_weight : 1.0);
	kith_json_put_double(b, "dropout", p.label ? p.dropout : 0.0);
	json_builder_set_member_name(b, "id_emb");
	json_builder_add_boolean_value(b, m.id_emb != NULL);
	kith_json_put_string(b, "from", gnn_from);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "sage");
	json_builder_begin_object(b);
	kith_json_put_int(b, "n_in", m.n_in);
	kith_json_put_int(b, "dim", m.dim);
	json_builder_set_member_name(b, "pool");
	json_builder_add_boolean_value(b, m.pool);
	kith_json_put_int(b, "n_params", (gint64)m.n_params);
	kith_json_put_int(b, "n_id", m.id_emb ? m.n_id : 0);
	json_builder_set_member_name(b, "features");
	json_builder_add_value(b, kith_feature_schema_to_json(&sc));
	json_builder_end_object(b);
	if (!fm) {
		gnn_curve(b, &rep, p.label ? "val_accuracy" : "val_auc");
		json_builder_set_member_name(b, "validation");
		json_builder_begin_object(b);
		kith_json_put_double(b, p.label ? "val_accuracy" : "val_auc",
		                     rep.val);
		json_builder_end_object(b);
		kith_cli_info(r->cli, "embed", "sage-%s d=%d: %d epochs, best %d "
		              "(%s); val %s %.4f; %.2f s",
		              m.pool ? "pool" : "mean", m.dim, rep.epochs_run,
		              rep.best_epoch, rep.stop_reason,
		              p.label ? "accuracy" : "link auc",
		              rep.val,
		              rep.seconds_total);
	}
	struct kith_emb_array ex[] = {
		{ "sage.params.npy", KITH_DT_F32, (int64_t)m.n_params, 0,
		  m.params },
		{ "sage.id_emb.npy", KITH_DT_F32, m.n_id, m.dim, m.id_emb },
	};
	rc = embed_write(r, E, n, E + n * m.dim, s->n_items, m.dim, ex,
	                 m.id_emb ? 2 : 1);
	if (rc == 0 && m.id_emb && !fm) {
		/* node ids of the id-embedding rows, for --from */
		GString *t = g_string_new(NULL);
		for (int64_t i = 0; i < N; i++)
			g_string_append_printf(t, "%c:%s\n", i < n ? 'u' : 'i',
			                       i < n ? s->user_ids[i]
			                             : s->item_ids[i - n]);
		g_autofree char *np = g_build_filename(o->output,
		                                       "sage.nodes.tsv", NULL);
		if (!kith_write_file(np, t->str, t->len, 0600, &err))
			rc = kith_cli_fail("embed", err);
		g_string_free(t, TRUE);
	}
	gnn_ckpt_done(r, ckpt, &rep, rc);
	goto done;
fail:
	if (r->cli->tty)
		fprintf(stderr, "\r\033[K");
	rc = kith_cli_fail("embed", err);
done:
	kith_sage_model_clear(&m);
	kith_train_report_clear(&rep);
	kith_labels_clear(&lab);
	kith_feature_schema_clear(&sc);
	kith_csr_clear(&X);
	kith_csr_clear(&G);
	return rc;
}

/* ---- model table -------------------------------------------------------
 * One entry per model; a branch reads r->o (common options) plus its own
 * option variables, trains, appends its manifest members to r->fields and
 * ends with embed_write(). */

static const struct embed_model {
	const char *name;
	int (*run)(struct embed_run *r);
} embed_models[] = {
	{ "lightgcn", run_lightgcn },
	{ "sage", run_sage },
	{ "gcn", run_gcn },
};

static const struct embed_model *
find_model(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(embed_models); i++)
		if (strcmp(embed_models[i].name, name) == 0)
			return &embed_models[i];
	return NULL;
}

/* --checkpoint-every: "N" epochs, or "N" followed by s, m or h (a wall
 * time between checkpoints; N may have a fraction). */
static gboolean
parse_checkpoint_every(const char *text, struct embed_opts *o)
{
	char *end = NULL;
	double v;

	if (!g_ascii_isdigit(text[0]))
		return FALSE;
	v = g_ascii_strtod(text, &end);
	if (!(v >= 0) || v > 1e9)
		return FALSE;
	if (*end == '\0') {
		if (v != floor(v) || v > G_MAXINT)
			return FALSE;
		o->checkpoint_every = (int)v;
		return TRUE;
	}
	double unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600
	                                                                : 0;
	if (unit == 0 || end[1] != '\0')
		return FALSE;
	o->checkpoint_seconds = v * unit;
	return TRUE;
}

int
cmd_embed(int argc, char **argv, struct kith_cli *cli)
{
	struct embed_opts o = {
		.dim = 64, .layers = -1, .epochs = 0, .batch = 0, .lr = -1,
		.l2 = -1, .neg = 0, .val_ratio = -1, .time_limit = 0,
		.social_weight = 0,
	};
	g_autofree char *ckpt_every = NULL;
	GOptionEntry entries[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &o.output,
		  "embedding folder to write", "EMB" },
		{ "model", 'm', 0, G_OPTION_ARG_STRING, &o.model,
		  "lightgcn (default), sage or gcn", "MODEL" },
		{ "dim", 'd', 0, G_OPTION_ARG_INT, &o.dim,
		  "embedding width (64)", "D" },
		{ "layers", 0, 0, G_OPTION_ARG_INT, &o.layers,
		  "propagation layers (lightgcn: 3)", "L" },
		{ "epochs", 0, 0, G_OPTION_ARG_INT, &o.epochs,
		  "maximum epochs (lightgcn: 300, early stopping)", "N" },
		{ "batch", 0, 0, G_OPTION_ARG_INT, &o.batch,
		  "users per step (lightgcn: pairs/16, >= 1024)", "B" },
		{ "lr", 0, 0, G_OPTION_ARG_DOUBLE, &o.lr,
		  "Adam learning rate (lightgcn: 0.01)", "LR" },
		{ "l2", 0, 0, G_OPTION_ARG_DOUBLE, &o.l2,
		  "L2 penalty (lightgcn: 1e-4 on the batch's ego embeddings)",
		  "W" },
		{ "neg", 0, 0, G_OPTION_ARG_INT, &o.neg,
		  "negatives per positive (lightgcn: 8)", "N" },
		{ "val-ratio", 0, 0, G_OPTION_ARG_DOUBLE, &o.val_ratio,
		  "share of each user's pairs held out for model selection "
		  "(0.1; 0 = none)", "R" },
		{ "time-limit", 0, 0, G_OPTION_ARG_DOUBLE, &o.time_limit,
		  "stop training after this many seconds (0 = none)", "S" },
		{ "checkpoint-every", 0, 0, G_OPTION_ARG_STRING,
		  &ckpt_every,
		  "write EMB.ckpt every N epochs, or every N minutes with "
		  "Nm (also Ns, Nh; 0 = never)", "N" },
		{ "resume", 0, 0, G_OPTION_ARG_NONE, &o.resume,
		  "continue from EMB.ckpt", NULL },
		{ "social-weight", 0, 0, G_OPTION_ARG_DOUBLE, &o.social_weight,
		  "weight of user-user links in the graph (0)", "W" },
		{ "eval-every", 0, 0, G_OPTION_ARG_INT, &o.eval_every,
		  "lightgcn: epochs between validations (2)", "N" },
		{ "patience", 0, 0, G_OPTION_ARG_INT, &o.patience,
		  "lightgcn: validations without gain before stopping (5)",
		  "N" },
		{ "no-spectral", 0, 0, G_OPTION_ARG_NONE, &o.no_spectral,
		  "lightgcn: random N(0, 0.1²) start instead of truncated SVD",
		  NULL },
		{ "no-hard-neg", 0, 0, G_OPTION_ARG_NONE, &o.no_hard_neg,
		  "lightgcn: every sampled negative counts, not only the "
		  "best-scored", NULL },
		{ "no-refit", 0, 0, G_OPTION_ARG_NONE, &o.no_refit,
		  "lightgcn: keep the best validation model, no refit on all "
		  "pairs", NULL },
		{ "labels", 0, 0, G_OPTION_ARG_FILENAME, &gnn_labels,
		  "gcn: node labels (node label split) for semi-supervised "
		  "training", "FILE" },
		{ "from", 0, 0, G_OPTION_ARG_FILENAME, &gnn_from,
		  "sage, gcn: embed with the trained weights of EMB0 (no "
		  "training)", "EMB0" },
		{ "aggregator", 0, 0, G_OPTION_ARG_STRING, &gnn_aggregator,
		  "sage: mean (default) or pool", "AGG" },
		{ "fanout", 0, 0, G_OPTION_ARG_STRING, &gnn_fanout,
		  "sage: neighbours sampled at hop 1,2 (25,10)", "F1,F2" },
		{ "id-emb", 0, 0, G_OPTION_ARG_NONE, &gnn_id_emb,
		  "sage: add learned per-node id embeddings (default when "
		  "the store has fewer than 32 feature columns)", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = kith_cli_context(
		"embed", "STORE", "learn user and item embeddings",
		"Models: lightgcn (default; BPR over the user-item graph),\n"
		"sage, gcn.  See kith-embed(1).", entries, cli);
	GError *err = NULL;
	int rc = kith_cli_parse(ctx, &argc, &argv, cli);

	if (rc)
		return rc;
	g_autofree char *model_name = o.model;
	g_autofree char *output = o.output;
	if (argc != 2)
		return kith_cli_usage("embed", "expected one STORE");
	if (!o.output)
		return kith_cli_usage("embed", "-o EMB is required");
	const struct embed_model *model = find_model(o.model ? o.model
	                                                     : "lightgcn");
	if (!model)
		return kith_cli_usage("embed", "unknown model '%s'", o.model);
	if (o.dim < 1 || o.dim > 4096)
		return kith_cli_usage("embed", "--dim must be in 1..4096");
	if (ckpt_every && !parse_checkpoint_every(ckpt_every, &o))
		return kith_cli_usage("embed", "--checkpoint-every: '%s' is "
		                      "not a number of epochs or a time such "
		                      "as 10m", ckpt_every);
	if (o.epochs < 0 || o.batch < 0 || o.neg < 0 ||
	    o.checkpoint_every < 0 || o.eval_every < 0 || o.patience < 0)
		return kith_cli_usage("embed", "--epochs, --batch, --neg, "
		                      "--checkpoint-every, --eval-every and "
		                      "--patience must be >= 0");
	if (o.layers < -1 || o.layers > 16)
		return kith_cli_usage("embed", "--layers must be in 0..16");
	if (o.val_ratio != -1 && !(o.val_ratio >= 0 && o.val_ratio < 1))
		return kith_cli_usage("embed", "--val-ratio must be in [0, 1)");
	if (o.lr != -1 && !(o.lr > 0))
		return kith_cli_usage("embed", "--lr must be positive");
	if (o.l2 != -1 && !(o.l2 >= 0))
		return kith_cli_usage("embed", "--l2 must be >= 0");
	if (!(o.time_limit >= 0) || !(o.social_weight >= 0))
		return kith_cli_usage("embed", "--time-limit and "
		                      "--social-weight must be >= 0");

	struct embed_run r = { .cli = cli, .o = &o, .store_path = argv[1],
	                       .t_start = kith_now() };
	g_autoptr(kith_store) s = kith_store_open(argv[1], &err);
	if (!s)
		return kith_cli_fail("embed", err);
	r.store = s;

	/* memory gate (memest.h): before any model allocates */
	{
		int f1 = 25, f2 = 10;
		if (gnn_fanout && sscanf(gnn_fanout, "%d,%d", &f1, &f2) != 2)
			f1 = 25, f2 = 10;
		guint64 need = strcmp(model->name, "gcn") == 0 ?
		    kith_memest_gcn(s, 64, o.dim) :
		    strcmp(model->name, "sage") == 0 ?
		    kith_memest_sage(s, o.dim, f1, f2) :
		    kith_memest_lightgcn(s, o.dim, o.layers >= 0 ? o.layers : 3,
		                         o.neg > 0 ? o.neg : 8, o.batch,
		                         o.val_ratio >= 0 ? o.val_ratio : 0.1,
		                         !o.no_refit, !o.no_spectral,
		                         o.social_weight);
		g_autofree char *what = g_strdup_printf("%s on %" G_GINT64_FORMAT
		    " users, %" G_GINT64_FORMAT " items", model->name, s->n_users,
		    s->n_items);
		if (kith_cli_memory_gate(cli, "embed", what, need))
			return 1;
	}

	/* members common to every model */
	g_autofree char *abs_store = g_canonicalize_filename(argv[1], NULL);
	g_autofree char *mpath = g_build_filename(argv[1], "manifest.json",
	                                          NULL);
	g_autofree char *msha = kith_file_sha256(mpath, NULL, NULL);
	JsonObject *sm = s->manifest ? json_node_get_object(s->manifest)
	                             : NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	r.fields = b;
	json_builder_begin_object(b);
	kith_json_put_string(b, "model", model->name);
	kith_json_put_string(b, "store", abs_store);
	kith_json_put_string(b, "store_manifest_sha256", msha);
	kith_json_put_string(b, "store_created",
			     sm ? json_object_get_string_member_with_default(
	                                  sm, "created", NULL) : NULL);
	kith_json_put_int(b, "store_users", s->n_users);
	kith_json_put_int(b, "store_items", s->n_items);
	kith_json_put_int(b, "store_pairs", s->ui.nnz);
	kith_json_put_int(b, "seed", cli->seed);
	kith_json_put_int(b, "threads", kith_get_threads());
	return model->run(&r);
}
