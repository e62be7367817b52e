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

#include <string.h>

#include "kith/core.h"
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
