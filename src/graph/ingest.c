/*
 * kith ingest, the driver: files -> validated rows -> id maps -> merged
 * CSR store.  It owns the context (struct ingest_ctx) and calls the
 * services in order; no service calls back into it:
 *
 *   ingest.c (driver: kith_ingest_run)
 *     -> ingest-events.c   the events file (serial and parallel readers),
 *                          seeding from a base store (kith update)
 *     -> ingest-dist.c     the events, social and features files in
 *                          parts over the ranks of an MPI job (it runs
 *                          the steps that
 *                          ingest-events.c and ingest-files.c give)
 *     -> ingest-dist-feed.c  the users and items files in parts: the
 *                          ranks tokenize, rank 0 runs the
 *                          readers of ingest-files.c over the records
 *                          (with ingest-dist.c, the services that use
 *                          others)
 *     -> ingest-files.c    social, users, items, user features
 *     -> ingest-build.c    rows -> struct kith_store, manifest members
 *     -> ingest-dist-build.c  the same rows over the ranks of an MPI job
 *                          (the build's service, which writes through
 *                          rank 0)
 *   shared by the services, below them:
 *        ingest-rows.c     row accounting: open, next, reject, close
 *        ingest-key.c      pseudonyms (also the CLI's key)
 *   ingest-internal.h declares the context and both groups.
 *
 * Every file is streamed once through the CSV reader (csv.h); a regular
 * events file is read in parallel.  A row is fully validated before any
 * of its ids is inserted, so a rejected row never creates a node.
 * Events are kept as parallel arrays (user, item, type, ts, value: 21
 * bytes per event); the build counting-sorts them by user, sorts each
 * row by (item, arrival) and merges duplicates: weight = sum of
 * event-type weights (1 per event without an event column), count,
 * first/last ts, type mask, value sum.
 * Cost: O(bytes) to read, O(E log d) to build (d = user degree).
 *
 * Accounting per file: lines = header + comments + blank + accepted +
 * rejected, accepted = unique + merged (+ self_loops for social files).
 */
#include <string.h>

#include "kith/core.h"
#include "kith/dist.h"
#include "kith/ingest.h"
#include "ingest-internal.h"

GHashTable *
kith_ingest_parse_weights(const char *spec, GError **error)
{
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                      g_free);
	if (!spec)
		spec = "view=1,click=1,cart=3,purchase=5";
	g_auto(GStrv) parts = g_strsplit(spec, ",", -1);
	for (int i = 0; parts[i]; i++) {
		char *p = g_strstrip(parts[i]);
		if (!*p)
			continue;
		char *eq = strchr(p, '=');
		double w;
		if (!eq || eq == p ||
		    kith_parse_double(eq + 1, strlen(eq + 1), &w) != KITH_CSV_OK) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "bad --event-weight entry '%s' (want TYPE=NUMBER)",
			            p);
			g_hash_table_destroy(h);
			return NULL;
		}
		double *slot = g_new(double, 1);
		*slot = w;
		g_hash_table_replace(h, g_strndup(p, (gsize)(eq - p)), slot);
	}
	return h;
}

/* ------------------------------------------------------------------- run */

static void
note(struct ingest_ctx *c, const char *fmt, ...)
{
	if (!c->opt->note)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	c->opt->note(c->opt->note_data, s);
	g_free(s);
}

static void
ctx_clear(struct ingest_ctx *c)
{
	kith_idmap_free(c->users);
	kith_idmap_free(c->items);
	kith_idmap_free(c->types);
	kith_idmap_free(c->cats);
	kith_idmap_free(c->feats);
	g_free(c->ev_u);
	g_free(c->ev_i);
	g_free(c->ev_t);
	g_free(c->ev_ts);
	g_free(c->ev_val);
	g_free(c->so_key);
	g_free(c->so_w);
	g_free(c->ic_item);
	g_free(c->ic_cat);
	g_free(c->uf_u);
	g_free(c->uf_f);
	g_free(c->uf_v);
	g_strfreev(c->ua_names);
	ingest_dist_clear(c);
	for (int i = 0; i < 5; i++)
		g_free(c->sha[i]);
	if (c->ua_rows)
		g_ptr_array_unref(c->ua_rows);
}

void
kith_ingest_result_clear(struct kith_ingest_result *r)
{
	if (r->store)
		kith_store_free(r->store);
	if (r->extra)
		json_object_unref(r->extra);
	for (int i = 0; i < r->n_files; i++) {
		g_free(r->files[i].path);
		g_free(r->files[i].mapping);
	}
	if (r->rejects)
		g_string_free(r->rejects, TRUE);
	if (r->unknown_types)
		g_ptr_array_unref(r->unknown_types);
	if (r->weights)
		g_hash_table_destroy(r->weights);
	memset(r, 0, sizeof *r);
}

gboolean
kith_ingest_run(const struct kith_ingest_options *opt,
                struct kith_ingest_result *out, GError **error)
{
	memset(out, 0, sizeof *out);
	if (!opt->events && !opt->social) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "give --events FILE, --social FILE or both");
		return FALSE;
	}
	/* under MPI, the ranks but 0 only read their parts of the events
	 * and social files */
	gboolean dist = (opt->events || opt->social) && !opt->base &&
	                kith_dist_active();
	if (kith_dist_active() && kith_dist_rank() != 0 && !dist)
		return TRUE;
	struct ingest_ctx c = { 0 };
	c.opt = opt;
	c.res = out;
	if (opt->preset) {
		if (strcmp(opt->preset, "movielens") != 0) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "unknown preset '%s' (known: movielens)",
			            opt->preset);
			return FALSE;
		}
		c.preset_movielens = TRUE;
	}
	out->weights = kith_ingest_parse_weights(opt->event_weights, error);
	if (!out->weights)
		return FALSE;
	out->unknown_types = g_ptr_array_new_with_free_func(g_free);
	out->rejects = g_string_new("file\tline\tbyte_offset\treason\texcerpt\n");
	c.users = kith_idmap_new();
	c.items = kith_idmap_new();
	c.types = kith_idmap_new();
	c.cats = kith_idmap_new();
	c.feats = kith_idmap_new();
	double t0 = kith_now();
	if (opt->base && !ingest_seed(&c, error)) {
		ctx_clear(&c);
		kith_ingest_result_clear(out);
		return FALSE;
	}
	gboolean ok = (!opt->events ||
	               (dist ? ingest_read_events_dist(&c, error)
	                     : ingest_read_events(&c, error))) &&
	              (!opt->social ||
	               (dist ? ingest_read_social_dist(&c, error)
	                     : ingest_read_social(&c, error)));
	/* the users and items files: tokenized in parts, their rows
	 * applied on rank 0 (ingest-dist-feed.c); the features file as
	 * the social file, its rows gathered on rank 0 */
	ok = ok && (!opt->users ||
	            (dist ? ingest_read_side_dist(&c, INGEST_PART_USERS, error)
	                  : ingest_read_users(&c, error))) &&
	     (!opt->items ||
	      (dist ? ingest_read_side_dist(&c, INGEST_PART_ITEMS, error)
	            : ingest_read_items(&c, error))) &&
	     (!opt->user_features ||
	      (dist ? ingest_read_features_dist(&c, error)
	            : ingest_read_features(&c, error)));
	if (dist && kith_dist_rank() != 0) {
		/* the store is built over the ranks once rank 0 has checked
		 * the reject limits (ingest-dist-build.c) */
		int64_t pairs;
		ok = kith_dist_all_ok(ok, error) &&
		     ingest_dist_build(&c, NULL, &pairs, error);
		ctx_clear(&c);
		kith_ingest_result_clear(out);
		return ok;
	}
	ok = ok && ingest_check_pct(&c, error);
	if (dist)
		ok = kith_dist_all_ok(ok, error);
	if (ok)
		note(&c, "read %" G_GINT64_FORMAT " events, %" G_GINT64_FORMAT
		     " social rows in %.2f s", c.n_ev, c.n_so, kith_now() - t0);
	double t1 = kith_now();
	if (ok)
		ok = ingest_build(&c, error);
	if (ok)
		note(&c, "built the arrays in %.2f s", kith_now() - t1);
	if (ok) {
		out->seconds = kith_now() - t0;
		ingest_extra(&c);
		if (c.dist_size > 0)
			ingest_dist_extra(&c);
	}
	ctx_clear(&c);
	if (!ok && opt->writer)
		kith_store_writer_cancel(opt->writer);   /* before the arrays go */
	if (!ok)
		kith_ingest_result_clear(out);
	return ok;
}

