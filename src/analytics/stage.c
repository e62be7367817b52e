/*
 * The analytics commands as library calls: kith profile, kith propagate
 * and kith communities (with its warm start) open the store and the
 * embeddings they read, check the memory estimate, compute, and write
 * their folder, in one call that the commands, the stages of kith run and
 * the refreshes of kith update share.  Each job can also be read back
 * from the folder it wrote (its manifest records the options), which is
 * how kith update recomputes a folder with its own options.
 * Cost: the computation's (see profile.c, propagate.c, communities.c).
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kith/analytics.h"
#include "kith/community.h"
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

/* The memory gate of a job over the ranks of an MPI job: the largest of
 * the ranks' estimates r (every rank computes them all, so every rank
 * decides alike). */
static gboolean
rank_gate(const struct kith_memest_rank *r, const char *job, uint64_t limit,
          kith_stage_note_fn note, void *note_data, GError **error)
{
	int P = kith_dist_size(), q = kith_memest_rank_max(r, P);
	g_autofree char *what = g_strdup_printf("%s on rank %d of %d (%"
	    G_GINT64_FORMAT " users, %" G_GINT64_FORMAT " graph entries, a "
	    "halo of at most %" G_GINT64_FORMAT " users: the largest share)",
	    job, q, P, r[q].rows, r[q].entries, r[q].halo);

	return kith_memest_gate(r[q].bytes, limit, what, note, note_data,
	                        error);
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

/* The graph spec of the job: its own, else social and knn when
 * available, else cointeraction. */
static const char *
prefs_spec(const struct kith_propagate_job *j, const struct kith_store *s,
           const struct kith_emb *e)
{
	if (j->graph)
		return j->graph;
	return s->uu.nnz > 0 && e ? "social,knn"
	     : s->uu.nnz > 0      ? "social"
	     : e                  ? "knn" : "cointeraction";
}

/* Under mpirun: the per-rank estimates of the graph SPEC, checked. */
static gboolean
prefs_rank_gate(const struct kith_propagate_job *j, const char *spec,
                const struct kith_store *s, GError **error)
{
	int P = kith_dist_size();
	g_autofree struct kith_memest_rank *r = g_new0(struct kith_memest_rank,
	                                               P);
	g_autofree char *tok = g_strstrip(g_strdup(spec));
	int64_t n = s->n_users, e = 0;

	if (strcmp(tok, "social") == 0 && s->uu.n_rows == n) {
		kith_memest_propagate_ranks(r, s, s->uu.indptr, s->uu.nnz,
		                            s->n_categories, P);
	} else {
		if (strstr(tok, "social"))
			e += s->uu.nnz;
		if (strstr(tok, "knn"))
			e += 2 * (int64_t)j->params.knn * n;
		if (strstr(tok, "cointeraction"))
			e += 2 * (int64_t)j->params.co_k * n;
		kith_memest_propagate_ranks(r, s, NULL, e, s->n_categories, P);
	}
	return rank_gate(r, "propagation", j->max_memory, j->note, j->note_data,
	                 error);
}

/* The graph of the job (this rank's rows under mpirun) into W. */
static gboolean
prefs_graph(struct kith_csr *W, int64_t *bounds,
            const struct kith_propagate_job *j,
            struct kith_propagate_summary *r, const struct kith_store *s,
            const struct kith_emb *e, GError **error)
{
	const char *spec = prefs_spec(j, s, e);
	int64_t nnz;

	if (r->distributed && !prefs_rank_gate(j, spec, s, error))
		return FALSE;
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
	/* under mpirun only rank 0 writes, and names users */
	if (!(s = kith_dist_rank() != 0 ? kith_store_open_no_ids(j->store, error)
	                                : kith_store_open(j->store, error)) ||
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
	/* under mpirun the own preferences of the owned rows only */
	int64_t lo = 0, hi = s->n_users, T;
	if (out->distributed) {
		lo = bounds[kith_dist_rank()];
		hi = bounds[kith_dist_rank() + 1];
	}
	P0 = g_try_new(float, MAX((hi - lo) * s->n_categories, 1));
	ev = g_try_new(double, MAX(hi - lo, 1));
	if (!P0 || !ev) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM, "out of memory");
		goto out;
	}
	T = kith_store_last_ts_rows(s, lo, hi);
	if ((out->distributed &&
	     !kith_dist_allreduce_i64(&T, 1, KITH_DIST_MAX, error)) ||
	    !kith_catpref_rows(P0, ev, s, j->params.half_life_days, NULL, lo,
	                       hi, T, error))
		goto out;
	if (out->distributed)
		kith_store_release_log(s, lo, hi);   /* read: pages go back */
	if (!(out->distributed
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

/* ---- communities -------------------------------------------------------- */

void
kith_communities_job_init(struct kith_communities_job *j)
{
	memset(j, 0, sizeof *j);
	j->resolution = 1.0;
	j->item_cap = -1;
	j->denoise = -1;
	j->seed = 42;
}

void
kith_communities_job_clear(struct kith_communities_job *j)
{
	char *own[] = { j->store, j->output, j->method, j->graph, j->emb,
	                j->truth, j->profiles, j->warm };
	for (size_t i = 0; i < G_N_ELEMENTS(own); i++)
		g_free(own[i]);
	kith_communities_job_init(j);
}

void
kith_communities_summary_clear(struct kith_communities_summary *r)
{
	if (r->store)
		kith_store_free(r->store);
	if (r->result.membership)
		kith_comm_result_clear(&r->result);
	g_free(r->comms);
	memset(r, 0, sizeof *r);
}

static void
set_str(char **dst, const char *v)
{
	g_free(*dst);
	*dst = g_strdup(v);
}

gboolean
kith_communities_job_from_folder(struct kith_communities_job *j,
                                 const char *dir, GError **error)
{
	g_autoptr(JsonNode) keep = NULL;
	JsonObject *m = folder_manifest(&keep, dir, "kith-communities", error);
	double r;

	if (m == NULL)
		return FALSE;
	if (kith_json_str(m, "method"))
		set_str(&j->method, kith_json_str(m, "method"));
	if (kith_json_str(m, "graph"))
		set_str(&j->graph, kith_json_str(m, "graph"));
	r = kith_json_num_or(m, "resolution", NAN);
	if (!isnan(r)) {
		j->resolution = r;
		j->resolution_given = TRUE;
	}
	j->neighbours = (int)kith_json_int_or(m, "neighbours", j->neighbours);
	j->item_cap = (int)kith_json_int_or(m, "item_cap", j->item_cap);
	j->seed = (uint64_t)kith_json_int_or(m, "seed", (int64_t)j->seed);
	if (kith_json_str(m, "emb"))
		set_str(&j->emb, kith_json_str(m, "emb"));
	if (kith_json_str(m, "profiles"))
		set_str(&j->profiles, kith_json_str(m, "profiles"));
	set_str(&j->output, dir);
	set_str(&j->warm, g_strcmp0(j->method, "louvain") == 0 ? NULL : dir);
	return TRUE;
}

/* The options PREV's manifest m names, taken where j gives none; an
 * error where j gives others. */
static gboolean
warm_options(struct kith_communities_job *j, JsonObject *m, GError **error)
{
	const char *prev = j->warm;
	const char *pm = kith_json_str(m, "method");
	const char *pg = kith_json_str(m, "graph");
	double pr = kith_json_num_or(m, "resolution", NAN);
	int64_t pk = kith_json_int_or(m, "neighbours", 0);
	int64_t pc = kith_json_int_or(m, "item_cap", -1);
	enum kith_comm_method em, gm;
	enum kith_ugraph eg, gg;

	if (g_strcmp0(kith_json_str(m, "format"), "kith-communities") != 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "'%s' is not a "
		            "communities folder (kith communities -o)", prev);
		return FALSE;
	}
	if (!pm || !kith_comm_method_parse(&em, pm) || !pg ||
	    !kith_ugraph_parse(&eg, pg) || !(pr > 0) || !isfinite(pr)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT, "'%s': the "
		            "manifest lacks a valid method, graph or resolution",
		            prev);
		return FALSE;
	}
	if (!j->method)
		j->method = g_strdup(pm);
	if (!j->graph)
		j->graph = g_strdup(pg);
	if (!j->resolution_given)
		j->resolution = pr;
	if (j->neighbours == 0 && pk > 0)
		j->neighbours = (int)pk;
	if (j->item_cap == -1 && pc >= 0)
		j->item_cap = (int)pc;
	if (!j->denoise_given)
		j->denoise = kith_json_bool_or(m, "denoised", FALSE) ? 1 : 0;
	if (!kith_comm_method_parse(&gm, j->method) ||
	    !kith_ugraph_parse(&gg, j->graph))
		return TRUE;   /* reported with the other options */
	if (gm == KITH_COMM_LOUVAIN) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE, "--warm-start "
		            "needs leiden or labelprop: louvain cannot start from "
		            "a partition");
		return FALSE;
	}
	if (gm != em || gg != eg ||
	    fabs(j->resolution - pr) > 1e-12 * MAX(1.0, fabs(pr)) ||
	    (pk > 0 && j->neighbours != pk) ||
	    (eg == KITH_UGRAPH_COINTERACTION && pc >= 0 && j->item_cap != pc)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "'%s' was made "
		            "with --method %s --graph %s --resolution %g%s: "
		            "--warm-start needs the same options", prev, pm, pg,
		            pr, pk > 0 ? " and its --neighbours/--item-cap" : "");
		return FALSE;
	}
	return TRUE;
}

/* Maps PREV/membership.npy (checksum, dtype, length, labels) and checks
 * that PREV/membership.tsv names the store's first users in order. */
static gboolean
warm_membership(struct kith_npy *a, const char *prev, JsonObject *m,
                const struct kith_store *s, GError **error)
{
	g_autofree char *np = g_build_filename(prev, "membership.npy", NULL);
	g_autofree char *tp = g_build_filename(prev, "membership.tsv", NULL);
	g_autofree char *text = NULL;
	const int32_t *c;
	char *line, *next;
	int64_t n, u;

	if (!kith_manifest_verify(prev, error) || !kith_npy_map(a, np, error))
		return FALSE;
	n = a->shape[0];
	c = a->data;
	if (a->dtype != KITH_DT_I32 || a->ndim != 1 ||
	    kith_json_int_or(m, "users", -1) != n) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT, "'%s' is not "
		            "an int32 vector of the %" G_GINT64_FORMAT " users "
		            "its manifest names", np, kith_json_int_or(m, "users",
		                                                       -1));
		goto fail;
	}
	if (n > s->n_users) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "'%s' has %"
		            G_GINT64_FORMAT " users, the store only %"
		            G_GINT64_FORMAT ": not an earlier partition of this "
		            "store", prev, n, s->n_users);
		goto fail;
	}
	for (u = 0; u < n; u++) {
		if (c[u] < -1 || c[u] >= n) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT, "'%s': "
			            "user %" G_GINT64_FORMAT " has community %d, "
			            "outside -1..%" G_GINT64_FORMAT, np, u, (int)c[u],
			            n - 1);
			goto fail;
		}
	}
	if (!g_file_get_contents(tp, &text, NULL, error))
		goto fail;
	line = strchr(text, '\n');   /* skips the header */
	for (u = 0; u < n; u++) {
		char *tab;
		if (line == NULL || (tab = strchr(++line, '\t')) == NULL)
			break;
		next = strchr(tab, '\n');
		*tab = '\0';
		if (strcmp(line, s->user_ids[u]) != 0 ||
		    strtol(tab + 1, NULL, 10) != c[u]) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "'%s' row %"
			            G_GINT64_FORMAT " is user '%s' where the store "
			            "has '%s': not an earlier partition of this store",
			            tp, u + 1, line, s->user_ids[u]);
			goto fail;
		}
		line = next;
	}
	if (u < n) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT, "'%s' is "
		            "truncated at row %" G_GINT64_FORMAT, tp, u + 1);
		goto fail;
	}
	return TRUE;
fail:
	kith_npy_unmap(a);
	return FALSE;
}

static gboolean
usage(GError **error, const char *msg)
{
	g_set_error_literal(error, KITH_ERROR, KITH_ERROR_USAGE, msg);
	return FALSE;
}

/* The options of j checked into info (method, graph) and *denoise. */
static gboolean
comm_options(struct kith_comm_info *info, struct kith_communities_job *j,
             GError **error)
{
	info->method = KITH_COMM_LEIDEN;
	if (j->method && !kith_comm_method_parse(&info->method, j->method))
		return usage(error, "unknown method (leiden, louvain, labelprop)");
	if (j->graph && !kith_ugraph_parse(&info->graph, j->graph))
		return usage(error, "unknown graph (social, cointeraction, knn)");
	if (!(j->resolution > 0) || !isfinite(j->resolution))
		return usage(error, "--resolution must be positive");
	if (j->neighbours < 0 || j->item_cap < -1)
		return usage(error, "--neighbours and --item-cap must not be "
		             "negative");
	if (j->graph && info->graph == KITH_UGRAPH_KNN && !j->emb)
		return usage(error, "--graph knn needs --emb EMB");
	if (j->warm && info->method == KITH_COMM_LOUVAIN)
		return usage(error, "--warm-start needs leiden or labelprop: "
		             "louvain cannot start from a partition");
	return TRUE;
}

/* The user graph of info->graph into g. */
static gboolean
comm_graph(struct kith_csr *g, struct kith_comm_info *info,
           const struct kith_communities_job *j, const struct kith_store *s,
           GError **error)
{
	int item_cap = j->item_cap;

	switch (info->graph) {
	case KITH_UGRAPH_SOCIAL:
		if (s->uu.nnz == 0) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "'%s' has no "
			            "social links; use --graph cointeraction or knn",
			            j->store);
			return FALSE;
		}
		return kith_social_undirected(g, s, error);
	case KITH_UGRAPH_COINTERACTION:
		info->neighbours = j->neighbours ? j->neighbours
		                                 : KITH_COINTERACTION_NEIGHBOURS;
		if (item_cap < 0)
			item_cap = kith_cointeraction_default_cap(s);
		info->item_cap = item_cap;
		if (j->note) {
			g_autofree char *msg = g_strdup_printf("building the "
			    "co-interaction graph (k %d)", info->neighbours);
			j->note(j->note_data, msg);
		}
		return kith_cointeraction_graph(g, s, info->neighbours, item_cap,
		                                error);
	case KITH_UGRAPH_KNN: {
		g_autoptr(kith_emb) e = NULL;
		if (!j->emb)
			return usage(error, "--graph knn needs --emb EMB");
		if (!(e = kith_emb_open(j->emb, error)))
			return FALSE;
		if (e->n_users != s->n_users) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
			            "'%s' has %" G_GINT64_FORMAT " users, the store %"
			            G_GINT64_FORMAT, j->emb, e->n_users, s->n_users);
			return FALSE;
		}
		info->neighbours = j->neighbours ? j->neighbours
		                                 : KITH_KNN_NEIGHBOURS;
		if (j->note) {
			g_autofree char *msg = g_strdup_printf("building the kNN "
			    "graph (k %d)", info->neighbours);
			j->note(j->note_data, msg);
		}
		return kith_knn_graph(g, e->users, e->n_users, e->dim,
		                      info->neighbours, 0.0, TRUE, error);
	}
	}
	return FALSE;
}

/* The start partition of a warm start: PREV's, -1 for the new users
 * (a copy, so that PREV may be the output folder). */
static int32_t *
warm_partition(struct kith_comm_info *info, JsonObject *pm,
               const struct kith_communities_job *j,
               const struct kith_store *s, GError **error)
{
	struct kith_npy a;
	int32_t *prev;

	if (!warm_membership(&a, j->warm, pm, s, error))
		return NULL;
	prev = g_new(int32_t, MAX(s->n_users, 1));
	memcpy(prev, a.data, (size_t)a.shape[0] * sizeof(int32_t));
	for (int64_t u = a.shape[0]; u < s->n_users; u++)
		prev[u] = -1;
	info->warm_from = j->warm;
	info->warm_users = a.shape[0];
	kith_npy_unmap(&a);
	return prev;
}

gboolean
kith_communities_job_run(struct kith_communities_job *j,
                         struct kith_communities_summary *out,
                         GError **error)
{
	struct kith_comm_info *info = &out->info;
	struct kith_comm_result *r = &out->result;
	g_autoptr(JsonNode) warm_keep = NULL;
	g_autofree float *rfm = NULL;
	g_autofree int32_t *truth_memb = NULL, *prev_memb = NULL;
	struct kith_comm_params par;
	struct kith_csr g = { 0 };
	double t0;
	gboolean ok = FALSE;

	memset(out, 0, sizeof *out);
	if (j->warm) {
		g_autofree char *mp = g_build_filename(j->warm, "manifest.json",
		                                       NULL);
		if (!(warm_keep = kith_json_read(mp, error)) ||
		    !warm_options(j, json_node_get_object(warm_keep), error))
			return FALSE;
	}
	if (!comm_options(info, j, error))
		return FALSE;
	t0 = kith_now();
	if (!(out->store = kith_store_open(j->store, error)))
		return FALSE;
	const struct kith_store *s = out->store;
	if (!j->graph)
		info->graph = s->uu.nnz > 0 ? KITH_UGRAPH_SOCIAL
		                            : KITH_UGRAPH_COINTERACTION;
	info->store_path = j->store;
	info->resolution = j->resolution;
	info->seed = j->seed;
	info->emb_path = j->emb;
	info->profiles_path = j->profiles;
	{
		/* memory gate (memest.h): entries of the user graph */
		int64_t k = j->neighbours ? j->neighbours
		                          : KITH_COINTERACTION_NEIGHBOURS;
		int64_t edges = info->graph == KITH_UGRAPH_SOCIAL ?
		    s->uu.nnz * (s->directed_social ? 2 : 1) :
		    2 * k * s->n_users;
		g_autofree char *what = g_strdup_printf("communities of %"
		    G_GINT64_FORMAT " users (%s graph)", s->n_users,
		    kith_ugraph_name(info->graph));
		if (!kith_memest_gate(kith_memest_communities(s, edges),
		                      j->max_memory, what, j->note, j->note_data,
		                      error))
			return FALSE;
	}
	if (!comm_graph(&g, info, j, s, error))
		return FALSE;
	if (j->profiles && !(rfm = kith_read_profile_rfm(out->store,
	                                                 j->profiles, error)))
		goto out;
	kith_comm_params_init(&par);
	par.method = info->method;
	par.resolution = j->resolution;
	par.seed = info->seed;
	par.denoise = j->denoise;
	if (j->warm) {
		if (!(prev_memb = warm_partition(info, json_node_get_object(
		                                     warm_keep), j, s, error)))
			goto out;
		par.init_membership = prev_memb;
		par.n_init = info->warm_users;
	}
	if (!kith_communities_detect_params(r, &g, &par, error))
		goto out;
	if (j->warm) {
		int64_t nc;
		double ari;
		if (r->warm_previous > 0 &&
		    !kith_partition_compare(&info->warm_nmi, &ari, &nc,
		                            r->membership, prev_memb, s->n_users,
		                            error))
			goto out;
		if (j->note) {
			g_autofree char *msg = g_strdup_printf("warm start from '%s': "
			    "%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " users "
			    "changed community, %" G_GINT64_FORMAT " new", j->warm,
			    r->warm_changed, r->warm_previous, r->warm_new);
			j->note(j->note_data, msg);
		}
	}
	if (j->truth) {
		int64_t listed, unknown;
		info->truth_path = j->truth;
		if (!kith_read_partition(&truth_memb, &listed, &unknown,
		                         out->store, j->truth, error) ||
		    !kith_partition_compare(&info->nmi, &info->ari,
		                            &info->n_compared, r->membership,
		                            truth_memb, s->n_users, error))
			goto out;
		if (unknown > 0 && j->note) {
			g_autofree char *msg = g_strdup_printf("%" G_GINT64_FORMAT
			    " users of '%s' are not in the store", unknown, j->truth);
			j->note(j->note_data, msg);
		}
	}
	out->comms = kith_communities_summarise(r, &g, out->store, rfm, error);
	kith_csr_clear(&g);
	if (out->comms == NULL)
		goto out;
	info->seconds = kith_now() - t0;
	ok = kith_communities_write(j->output, s, r, out->comms, info, error);
out:
	kith_csr_clear(&g);
	return ok;
}

/* ---- influence ---------------------------------------------------------- */

void
kith_influence_job_init(struct kith_influence_job *j)
{
	memset(j, 0, sizeof *j);
	j->neighbours = KITH_COINTERACTION_NEIGHBOURS;
	j->top = 20;
	kith_influence_opts_init(&j->opts);
}

void
kith_influence_job_clear(struct kith_influence_job *j)
{
	g_free(j->store);
	g_free(j->output);
	g_free(j->graph);
	g_free(j->seeds);
	kith_influence_job_init(j);
}

void
kith_influence_summary_clear(struct kith_influence_summary *r)
{
	if (r->store)
		kith_store_free(r->store);
	kith_influence_clear(&r->result);
	memset(r, 0, sizeof *r);
}

gboolean
kith_influence_job_run(const struct kith_influence_job *j,
                       struct kith_influence_summary *out, GError **error)
{
	struct kith_influence_opts o = j->opts;
	g_autofree int32_t *seeds = NULL;
	struct kith_csr ug = { 0 };
	double t0 = kith_now();
	gboolean ok;

	memset(out, 0, sizeof *out);
	if (j->graph && (!kith_ugraph_parse(&o.graph, j->graph) ||
	                 o.graph == KITH_UGRAPH_KNN)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE, "unknown graph "
		            "'%s' (social, cointeraction)", j->graph);
		return FALSE;
	}
	/* under mpirun only rank 0 writes; the others name no user unless
	 * they read the seeds */
	if (!(out->store = kith_dist_rank() != 0 && !j->seeds
	                   ? kith_store_open_no_ids(j->store, error)
	                   : kith_store_open(j->store, error)))
		return FALSE;
	struct kith_store *s = out->store;
	if (!j->graph && s->uu.nnz == 0) {
		o.graph = KITH_UGRAPH_COINTERACTION;
		if (j->warn && kith_dist_rank() == 0) {
			g_autofree char *msg = g_strdup_printf("'%s' has no social "
			    "links: measuring influence on the co-interaction graph "
			    "(k %d) instead", j->store, j->neighbours);
			j->warn(j->note_data, msg);
		}
	}
	if (o.graph == KITH_UGRAPH_SOCIAL && s->uu.nnz == 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "'%s' has no "
		            "social links (ingest with --social)", j->store);
		return FALSE;
	}
	out->graph = o.graph;
	if (kith_dist_active()) {
		int P = kith_dist_size();
		g_autofree struct kith_memest_rank *mr =
			g_new0(struct kith_memest_rank, P);
		if (o.graph == KITH_UGRAPH_SOCIAL)
			kith_memest_pagerank_ranks(mr, s, s->uu.indptr, s->uu.nnz,
			                           s->directed_social,
			                           j->seeds != NULL, P);
		else
			kith_memest_pagerank_ranks(mr, s, NULL, 2 * (int64_t)
			                           j->neighbours * s->n_users,
			                           FALSE, j->seeds != NULL, P);
		if (!rank_gate(mr, "pagerank", j->max_memory, j->note,
		               j->note_data, error))
			return FALSE;
	}
	if (o.graph == KITH_UGRAPH_COINTERACTION) {
		o.neighbours = j->neighbours;
		o.item_cap = kith_cointeraction_default_cap(s);
		if (!kith_cointeraction_graph(&ug, s, o.neighbours, o.item_cap,
		                              error))
			return FALSE;
		o.user_graph = &ug;
	}
	if (j->seeds) {
		int64_t unknown;
		if (!kith_read_user_list(&seeds, &o.n_seeds, &unknown, s, j->seeds,
		                         error)) {
			kith_csr_clear(&ug);
			return FALSE;
		}
		o.seeds = seeds;
		if (unknown > 0 && j->note) {
			g_autofree char *msg = g_strdup_printf("%" G_GINT64_FORMAT
			    " seed users are not in the store", unknown);
			j->note(j->note_data, msg);
		}
	}
	ok = kith_influence_compute(&out->result, s, &o, error);
	kith_csr_clear(&ug);
	if (!ok)
		return FALSE;
	out->seconds = kith_now() - t0;
	if (kith_dist_rank() != 0)
		return TRUE;
	out->written = kith_influence_write(j->output, s, &out->result, &o,
	                                    j->store, j->seeds, j->top,
	                                    out->seconds, error);
	return out->written;
}
