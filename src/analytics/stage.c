/*
 * The analytics commands as library calls: kith profile (and, below,
 * kith propagate and kith communities) open the store and the
 * embeddings they read, check the memory estimate, compute, and write
 * their folder, in one call that the commands, the stages of kith run and
 * the refreshes of kith update share.  Each job can also be read back
 * from the folder it wrote (its manifest records the options), which is
 * how kith update recomputes a folder with its own options.
 * Cost: the computation's (see profile.c, propagate.c, communities.c).
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "kith/core.h"
#include "kith/dist.h"
#include "kith/emb.h"
#include "kith/io.h"
#include "kith/memest.h"
#include "kith/profile.h"
#include "kith/store.h"

/* The manifest of the folder DIR of FORMAT; caller unrefs *keep. */
static JsonObject *
folder_manifest(JsonNode **keep, const char *dir, const char *format,
                GError **error)
{
	g_autofree char *p = g_build_filename(dir, "manifest.json", NULL);
	JsonObject *m;

	*keep = kith_json_read(p, error);
	if (*keep == NULL)
		return NULL;
	m = json_node_get_object(*keep);
	if (g_strcmp0(kith_json_str(m, "format"), format) != 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "'%s' is not a %s folder", dir, format);
		return NULL;
	}
	return m;
}

/* ---- profile ------------------------------------------------------------ */

void
kith_profile_job_init(struct kith_profile_job *j)
{
	memset(j, 0, sizeof *j);
	kith_profile_params_init(&j->params);
}

void
kith_profile_job_clear(struct kith_profile_job *j)
{
	g_free(j->store);
	g_free(j->output);
	g_free(j->emb);
	kith_profile_job_init(j);
}

gboolean
kith_profile_job_from_folder(struct kith_profile_job *j, const char *dir,
                             GError **error)
{
	g_autoptr(JsonNode) keep = NULL;
	JsonObject *m = folder_manifest(&keep, dir, "kith-profiles", error);

	if (m == NULL)
		return FALSE;
	j->params.half_life_days = kith_json_num_or(m, "half_life_days",
	                                            j->params.half_life_days);
	j->params.cold_k = kith_json_num_or(m, "cold_k", j->params.cold_k);
	j->params.new_days = kith_json_num_or(m, "new_days",
	                                      j->params.new_days);
	g_free(j->emb);
	j->emb = g_strdup(kith_json_str(m, "emb"));
	g_free(j->output);
	j->output = g_strdup(dir);
	return TRUE;
}

gboolean
kith_profile_job_run(const struct kith_profile_job *j,
                     struct kith_profile_summary *out, GError **error)
{
	double t0 = kith_now();
	g_autoptr(kith_store) s = kith_store_open(j->store, error);
	g_autoptr(kith_emb) e = NULL;
	struct kith_profiles pr;
	gboolean ok;

	if (s == NULL || (j->emb && !(e = kith_emb_open(j->emb, error))))
		return FALSE;
	{
		g_autofree char *what = g_strdup_printf("profiles of %"
		    G_GINT64_FORMAT " users", s->n_users);
		if (!kith_memest_gate(kith_memest_profile(s), j->max_memory, what,
		                      j->note, j->note_data, error))
			return FALSE;
	}
	if (!kith_profile_compute(&pr, s, &j->params, error))
		return FALSE;
	g_autoptr(JsonBuilder) ob = json_builder_new();
	json_builder_begin_object(ob);
	kith_json_put_double(ob, "half_life_days", j->params.half_life_days);
	kith_json_put_double(ob, "cold_k", j->params.cold_k);
	kith_json_put_double(ob, "new_days", j->params.new_days);
	kith_json_put_string(ob, "emb", j->emb);
	json_builder_end_object(ob);
	g_autoptr(JsonNode) opts = json_builder_get_root(ob);
	ok = kith_profile_write(j->output, &pr, s, e, j->store,
	                        json_node_get_object(opts), error);
	out->n_users = pr.n_users;
	out->n_cold = pr.n_cold;
	out->from_log = pr.from_log;
	memcpy(out->segment_count, pr.segment_count,
	       sizeof out->segment_count);
	out->seconds = kith_now() - t0;
	kith_profiles_clear(&pr);
	return ok;
}

/* ---- propagate ---------------------------------------------------------- */

void
kith_propagate_job_init(struct kith_propagate_job *j)
{
	memset(j, 0, sizeof *j);
	kith_propagate_params_init(&j->params);
	j->keep = 0.2;
	j->relevance = KITH_REL_SHARE;
	j->seed = 42;
}

void
kith_propagate_job_clear(struct kith_propagate_job *j)
{
	g_free(j->store);
	g_free(j->output);
	g_free(j->emb);
	g_free(j->graph);
	kith_propagate_job_init(j);
}

void
kith_propagate_summary_clear(struct kith_propagate_summary *r)
{
	g_free(r->graph);
	kith_propagate_dist_info_clear(&r->dist);
	memset(r, 0, sizeof *r);
}

gboolean
kith_propagate_job_from_folder(struct kith_propagate_job *j, const char *dir,
                               GError **error)
{
	g_autoptr(JsonNode) keep = NULL;
	JsonObject *m = folder_manifest(&keep, dir, "kith-prefs", error);
	struct kith_propagate_params *p = &j->params;

	if (m == NULL)
		return FALSE;
	if (kith_json_str(m, "graph")) {
		g_free(j->graph);
		j->graph = g_strdup(kith_json_str(m, "graph"));
	}
	p->alpha = kith_json_num_or(m, "alpha", p->alpha);
	p->iterations = (int)kith_json_int_or(m, "max_iterations",
	                                      p->iterations);
	p->tol = kith_json_num_or(m, "tol", p->tol);
	p->kappa = kith_json_num_or(m, "kappa", p->kappa);
	p->half_life_days = kith_json_num_or(m, "half_life_days",
	                                     p->half_life_days);
	p->knn = (int)kith_json_int_or(m, "knn", p->knn);
	p->co_k = (int)kith_json_int_or(m, "co_k", p->co_k);
	p->co_cap = (int)kith_json_int_or(m, "co_cap", p->co_cap);
	j->seed = (uint64_t)kith_json_int_or(m, "seed", (int64_t)j->seed);
	j->holdout = 0;
	g_free(j->emb);
	j->emb = g_strdup(kith_json_str(m, "emb"));
	g_free(j->output);
	j->output = g_strdup(dir);
	return TRUE;
}

static void
note(const struct kith_propagate_job *j, const char *fmt, ...)
	G_GNUC_PRINTF(2, 3);

static void
note(const struct kith_propagate_job *j, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	if (j->note == NULL)
		return;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	j->note(j->note_data, msg);
}

/* The options a preferences manifest records beside the result. */
static JsonNode *
prefs_options(const struct kith_propagate_job *j,
              const struct kith_propagate_summary *r, int64_t c)
{
	const struct kith_propagate_params *p = &j->params;
	const struct kith_propagate_dist_info *di = &r->dist;
	g_autoptr(JsonBuilder) ob = json_builder_new();

	json_builder_begin_object(ob);
	kith_json_put_double(ob, "tol", p->tol);
	kith_json_put_int(ob, "max_iterations", p->iterations);
	kith_json_put_double(ob, "kappa", p->kappa);
	kith_json_put_double(ob, "half_life_days", p->half_life_days);
	kith_json_put_int(ob, "knn", p->knn);
	kith_json_put_int(ob, "co_k", p->co_k);
	kith_json_put_int(ob, "co_cap", p->co_cap);
	kith_json_put_int(ob, "graph_entries", r->graph_entries);
	kith_json_put_string(ob, "emb", j->emb);
	if (r->distributed) {
		json_builder_set_member_name(ob, "mpi");
		json_builder_begin_object(ob);
		kith_json_put_int(ob, "ranks", di->ranks);
		json_builder_set_member_name(ob, "row_bounds");
		json_builder_begin_array(ob);
		for (int q = 0; q <= di->ranks; q++)
			json_builder_add_int_value(ob, di->bounds[q]);
		json_builder_end_array(ob);
		kith_json_put_int(ob, "halo_users", di->halo);
		kith_json_put_int(ob, "bytes_per_iteration",
		                  (int64_t)di->bytes_per_iteration);
		kith_json_put_int(ob, "bytes_per_iteration_formula",
		                  kith_propagate_dist_bytes_formula(di, c));
		kith_json_put_string(ob, "formula", "4 (categories + 1) "
		                     "halo_users + 8 ranks (0 on one rank)");
		json_builder_end_object(ob);
	}
	json_builder_end_object(ob);
	return json_builder_get_root(ob);
}

/* The graph of the job (this rank's rows under mpirun) into W. */
static gboolean
prefs_graph(struct kith_csr *W, int64_t *bounds,
            const struct kith_propagate_job *j,
            struct kith_propagate_summary *r, const struct kith_store *s,
            const struct kith_emb *e, GError **error)
{
	const char *spec = j->graph;
	int64_t nnz;

	if (!spec)
		spec = s->uu.nnz > 0 && e ? "social,knn"
		     : s->uu.nnz > 0      ? "social"
		     : e                  ? "knn" : "cointeraction";
	if (strstr(spec, "knn") && s->n_users > 200000)
		note(j, "the exact knn graph of %" G_GINT64_FORMAT " users costs "
		     "n^2 d flops and may take long", s->n_users);
	if (r->distributed ? !kith_propagate_graph_rows(W, bounds, &r->graph, s,
	                                                e, spec, &j->params,
	                                                error)
	                   : !kith_propagate_graph(W, &r->graph, s, e, spec,
	                                           &j->params, error))
		return FALSE;
	nnz = W->nnz;
	if (r->distributed && !kith_dist_allreduce_i64(&nnz, 1, KITH_DIST_SUM,
	                                               error)) {
		kith_csr_clear(W);
		return FALSE;
	}
	if (nnz == 0)
		note(j, "graph '%s' has no edges: every user keeps its own "
		     "history", r->graph);
	r->graph_entries = nnz;
	return TRUE;
}

gboolean
kith_propagate_job_run(const struct kith_propagate_job *j,
                       struct kith_propagate_summary *out, GError **error)
{
	double t0 = kith_now();
	g_autoptr(kith_store) s = NULL;
	g_autoptr(kith_emb) e = NULL;
	g_autofree int64_t *bounds = g_new(int64_t, kith_dist_size() + 1);
	g_autofree float *P0 = NULL;
	g_autofree double *ev = NULL;
	struct kith_csr W = { 0 };
	struct kith_prefs r = { 0 };
	gboolean ok = FALSE;

	memset(out, 0, sizeof *out);
	out->distributed = kith_dist_active();
	if (!(s = kith_store_open(j->store, error)) ||
	    (j->emb && !(e = kith_emb_open(j->emb, error))))
		return FALSE;
	if (s->n_categories == 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "store '%s' has "
		            "no item categories", j->store);
		return FALSE;
	}
	out->n_categories = s->n_categories;
	if (!prefs_graph(&W, bounds, j, out, s, e, error))
		return FALSE;
	out->seconds_graph = kith_now() - t0;
	P0 = g_try_new(float, MAX(s->n_users * s->n_categories, 1));
	ev = g_try_new(double, MAX(s->n_users, 1));
	if (!P0 || !ev) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM, "out of memory");
		goto out;
	}
	if (!kith_catpref(P0, ev, s, j->params.half_life_days, NULL, error) ||
	    !(out->distributed
	      ? kith_propagate_run_dist(&r, &out->dist, &W, bounds, P0, ev,
	                                s->n_users, s->n_categories,
	                                &j->params, error)
	      : kith_propagate_run(&r, &W, P0, ev, s->n_users, s->n_categories,
	                           &j->params, error)))
		goto out;
	g_clear_pointer(&P0, g_free);
	g_clear_pointer(&ev, g_free);
	out->iterations = r.iterations;
	out->converged = r.converged;
	if (kith_dist_rank() != 0) {
		ok = TRUE;
		goto out;
	}
	out->has_eval = j->holdout > 0;
	if (out->has_eval &&
	    !kith_propagate_evaluate(&out->eval, s, &W, &j->params, j->holdout,
	                             j->keep, j->seed, j->relevance, error))
		goto out;
	kith_csr_clear(&W);
	{
		g_autoptr(JsonNode) opts = prefs_options(j, out, s->n_categories);
		ok = kith_prefs_write(j->output, &r, s, j->store, out->graph,
		                      j->params.alpha,
		                      out->has_eval ? &out->eval : NULL,
		                      json_node_get_object(opts), error);
	}
	out->written = ok;
	out->seconds = kith_now() - t0;
out:
	kith_csr_clear(&W);
	kith_prefs_clear(&r);
	return ok;
}
