/*
 * kith ingest, the files beside the events (a reader service of the
 * driver, ingest.c): social links (src, dst[, weight]) into (a << 32 |
 * b) keys, a < b unless --directed; user features (node, feature[,
 * value]) as COO rows; items (item, category; '|' separates several, or
 * MovieLens genre flags) as item -> category pairs; users (user, then
 * attributes) as rows kept for the build's one-hot / numeric columns.
 * Every row is validated before any of its ids is inserted; rejects go
 * through the row accounting (ingest-rows.c).  Cost: O(bytes) each.
 */
#include <math.h>
#include <string.h>

#include "kith/core.h"
#include "kith/io.h"
#include "kith/ingest.h"
#include "ingest-internal.h"

static const char *const movielens_genres[19] = {
	"unknown", "Action", "Adventure", "Animation", "Children's", "Comedy",
	"Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror",
	"Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
};

/* No column has a role yet. */
static void
roles_none(struct kith_csv_roles *ro)
{
	for (int k = 0; k < KITH_ROLE_N; k++)
		ro->col[k] = -1;
}

/* The roles the header of R names (none without a header). */
static void
header_roles(struct kith_csv_roles *ro, struct kith_csv *r)
{
	roles_none(ro);
	if (kith_csv_has_header(r)) {
		const char *const *h = kith_csv_header_names(r);
		kith_csv_roles_from_header(ro, h, (int)g_strv_length((char **)h));
	}
}

/* ---------------------------------------------------------------- social */

gboolean
ingest_read_social(struct ingest_ctx *c, GError **error)
{
	const struct kith_ingest_options *o = c->opt;
	struct kith_ingest_file *f;
	g_autoptr(kith_csv) r = ingest_open(c, "social", o->social, &o->csv, &f,
	                                    error);
	if (!r)
		return FALSE;
	struct kith_csv_roles ro;
	header_roles(&ro, r);
	int cs = ro.col[KITH_ROLE_SRC] >= 0 ? ro.col[KITH_ROLE_SRC]
	       : ro.col[KITH_ROLE_USER] >= 0 ? ro.col[KITH_ROLE_USER] : 0;
	int cd = ro.col[KITH_ROLE_DST] >= 0 ? ro.col[KITH_ROLE_DST]
	       : cs == 0 ? 1 : 0;
	int cw = ro.col[KITH_ROLE_VALUE], ct = ro.col[KITH_ROLE_TS];
	struct kith_csv_record rec;
	int rc;
	gboolean first = TRUE;
	while ((rc = ingest_next(c, f, r, &rec, error)) > 0) {
		if (first) {
			first = FALSE;
			if (!kith_csv_has_header(r)) {
				if (rec.n_fields >= 3)
					cw = 2;
				if (rec.n_fields >= 4)
					ct = 3;
			}
			if (rec.n_fields < 2 || cs >= rec.n_fields ||
			    cd >= rec.n_fields) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
				            "%s: a social file needs src and dst "
				            "columns", f->path);
				return FALSE;
			}
			struct kith_csv_roles m;
			roles_none(&m);
			m.col[KITH_ROLE_SRC] = cs;
			m.col[KITH_ROLE_DST] = cd;
			m.col[KITH_ROLE_VALUE] = cw;
			m.col[KITH_ROLE_TS] = ct;
			f->mapping = kith_csv_roles_describe(&m);
		}
		gboolean bad = FALSE;
		if (!id_ok(c, f, &rec, cs, "src", error, &bad) ||
		    (!bad && !id_ok(c, f, &rec, cd, "dst", error, &bad)))
			return FALSE;
		if (bad)
			continue;
		float w = 1.0f;
		int64_t ts;
		enum kith_csv_reason why;
		if (cw >= 0 && (why = kith_parse_float(rec.field[cw], rec.len[cw],
		                                       &w)) == KITH_CSV_OK &&
		    w < 0 && !o->allow_negative)
			why = KITH_CSV_NEGATIVE;
		if (cw >= 0 && why) {
			if (!ingest_reject(c, f, &rec, why, "weight", error))
				return FALSE;
			continue;
		}
		if (ct >= 0 && (why = kith_parse_timestamp(rec.field[ct],
		                                           rec.len[ct], &ts))) {
			if (!ingest_reject(c, f, &rec, KITH_CSV_BAD_TIMESTAMP, "ts",
			                   error))
				return FALSE;
			continue;
		}
		int64_t a = kith_idmap_add(c->users, rec.field[cs], rec.len[cs],
		                           NULL);
		int64_t b = kith_idmap_add(c->users, rec.field[cd], rec.len[cd],
		                           NULL);
		if (a < 0 || b < 0) {
			if (!ingest_reject(c, f, &rec, KITH_CSV_OVERFLOW, "src",
			                   error))
				return FALSE;
			continue;
		}
		if (a == b) {
			f->self_loops++;
			continue;
		}
		if (!o->directed && a > b) {
			int64_t t = a;
			a = b;
			b = t;
		}
		if (c->n_so == c->so_cap) {
			c->so_cap = c->so_cap ? 2 * c->so_cap : 4096;
			c->so_key = g_renew(uint64_t, c->so_key, c->so_cap);
			c->so_w = g_renew(float, c->so_w, c->so_cap);
		}
		c->so_key[c->n_so] = ((uint64_t)a << 32) | (uint64_t)b;
		c->so_w[c->n_so] = w;
		c->n_so++;
	}
	if (rc < 0)
		return FALSE;
	return ingest_close(c, f, r, error);
}

/* --------------------------------------------------------- user features */

gboolean
ingest_read_features(struct ingest_ctx *c, GError **error)
{
	const struct kith_ingest_options *o = c->opt;
	struct kith_ingest_file *f;
	g_autoptr(kith_csv) r = ingest_open(c, "user_features", o->user_features,
	                                    &o->csv, &f, error);
	if (!r)
		return FALSE;
	struct kith_csv_roles ro;
	header_roles(&ro, r);
	int cn = ro.col[KITH_ROLE_NODE] >= 0 ? ro.col[KITH_ROLE_NODE]
	       : ro.col[KITH_ROLE_USER] >= 0 ? ro.col[KITH_ROLE_USER] : 0;
	int cf = ro.col[KITH_ROLE_FEATURE] >= 0 ? ro.col[KITH_ROLE_FEATURE] : 1;
	int cv = ro.col[KITH_ROLE_VALUE];
	struct kith_csv_record rec;
	int rc;
	gboolean first = TRUE;
	while ((rc = ingest_next(c, f, r, &rec, error)) > 0) {
		if (first) {
			first = FALSE;
			if (cv < 0 && rec.n_fields >= 3)
				cv = 2;
			if (cn >= rec.n_fields || cf >= rec.n_fields ||
			    cn == cf) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
				            "%s: a feature file needs node and "
				            "feature columns", f->path);
				return FALSE;
			}
			struct kith_csv_roles m;
			roles_none(&m);
			m.col[KITH_ROLE_NODE] = cn;
			m.col[KITH_ROLE_FEATURE] = cf;
			m.col[KITH_ROLE_VALUE] = cv;
			f->mapping = kith_csv_roles_describe(&m);
		}
		gboolean bad = FALSE;
		if (!id_ok(c, f, &rec, cn, "node", error, &bad) ||
		    (!bad && !id_ok(c, f, &rec, cf, "feature", error, &bad)))
			return FALSE;
		if (bad)
			continue;
		float v = 1.0f;
		enum kith_csv_reason why;
		if (cv >= 0 && (why = kith_parse_float(rec.field[cv], rec.len[cv],
		                                       &v))) {
			if (!ingest_reject(c, f, &rec, why, "value", error))
				return FALSE;
			continue;
		}
		int64_t u = kith_idmap_add(c->users, rec.field[cn], rec.len[cn],
		                           NULL);
		int64_t ft = kith_idmap_add(c->feats, rec.field[cf], rec.len[cf],
		                            NULL);
		if (u < 0 || ft < 0) {
			if (!ingest_reject(c, f, &rec, KITH_CSV_OVERFLOW, "node",
			                   error))
				return FALSE;
			continue;
		}
		if (c->n_uf == c->uf_cap) {
			c->uf_cap = c->uf_cap ? 2 * c->uf_cap : 4096;
			c->uf_u = g_renew(int32_t, c->uf_u, c->uf_cap);
			c->uf_f = g_renew(int32_t, c->uf_f, c->uf_cap);
			c->uf_v = g_renew(float, c->uf_v, c->uf_cap);
		}
		c->uf_u[c->n_uf] = (int32_t)u;
		c->uf_f[c->n_uf] = (int32_t)ft;
		c->uf_v[c->n_uf] = v;
		c->n_uf++;
	}
	if (rc < 0)
		return FALSE;
	return ingest_close(c, f, r, error);
}

/* ----------------------------------------------------------------- items */

static void
add_item_cat(struct ingest_ctx *c, int32_t item, const char *name,
             size_t len)
{
	while (len && name[0] == ' ') {
		name++;
		len--;
	}
	while (len && name[len - 1] == ' ')
		len--;
	if (!len)
		return;
	int64_t k = kith_idmap_add(c->cats, name, len, NULL);
	if (k < 0)
		return;
	if (c->n_ic == c->ic_cap) {
		c->ic_cap = c->ic_cap ? 2 * c->ic_cap : 4096;
		c->ic_item = g_renew(int32_t, c->ic_item, c->ic_cap);
		c->ic_cat = g_renew(int32_t, c->ic_cat, c->ic_cap);
	}
	c->ic_item[c->n_ic] = item;
	c->ic_cat[c->n_ic] = (int32_t)k;
	c->n_ic++;
}

gboolean
ingest_read_items(struct ingest_ctx *c, GError **error)
{
	const struct kith_ingest_options *o = c->opt;
	struct kith_csv_options copt = o->csv;
	if (c->preset_movielens) {
		copt.sep = '|';
		copt.header = KITH_CSV_HEADER_NO;
		copt.latin1 = TRUE;
		copt.no_quotes = TRUE;
		/* genre names in u.genre order, so that category k is genre k
		 * even when no item has it */
		for (int g = 0; g < 19; g++)
			kith_idmap_add(c->cats, movielens_genres[g],
			               strlen(movielens_genres[g]), NULL);
	}
	struct kith_ingest_file *f;
	g_autoptr(kith_csv) r = ingest_open(c, "items", o->items, &copt, &f,
	                                    error);
	if (!r)
		return FALSE;
	struct kith_csv_roles ro;
	header_roles(&ro, r);
	int cid = ro.col[KITH_ROLE_ITEM] >= 0 ? ro.col[KITH_ROLE_ITEM]
	        : ro.col[KITH_ROLE_NODE] >= 0 ? ro.col[KITH_ROLE_NODE] : 0;
	int ccat = ro.col[KITH_ROLE_CATEGORY];
	g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash,
	                                               g_direct_equal);
	struct kith_csv_record rec;
	int rc;
	gboolean first = TRUE;
	while ((rc = ingest_next(c, f, r, &rec, error)) > 0) {
		if (first) {
			first = FALSE;
			if (c->preset_movielens) {
				if (rec.n_fields != 24) {
					g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
					            "%s:%" G_GINT64_FORMAT ": u.item "
					            "rows have 24 fields, not %d",
					            f->path, rec.line, rec.n_fields);
					return FALSE;
				}
				f->mapping = g_strdup("item=0,genre_flags=5..23");
			} else {
				if (ccat < 0 && rec.n_fields == 2)
					ccat = 1 - cid;
				if (ccat < 0 || cid >= rec.n_fields) {
					g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
					            "%s: no category column (header "
					            "names: category, genre, "
					            "categories)", f->path);
					return FALSE;
				}
				struct kith_csv_roles m;
				for (int k = 0; k < KITH_ROLE_N; k++)
					m.col[k] = -1;
				m.col[KITH_ROLE_ITEM] = cid;
				m.col[KITH_ROLE_CATEGORY] = ccat;
				f->mapping = kith_csv_roles_describe(&m);
			}
		}
		gboolean bad = FALSE;
		if (!id_ok(c, f, &rec, cid, "item", error, &bad))
			return FALSE;
		if (bad)
			continue;
		if (c->preset_movielens) {
			int g;
			for (g = 0; g < 19; g++) {
				const char *v = rec.field[5 + g];
				if (rec.len[5 + g] != 1 || (v[0] != '0' && v[0] != '1'))
					break;
			}
			if (g < 19) {
				if (!ingest_reject(c, f, &rec, KITH_CSV_NOT_NUMBER,
				                   movielens_genres[g], error))
					return FALSE;
				continue;
			}
		}
		int64_t it = kith_idmap_add(c->items, rec.field[cid],
		                            rec.len[cid], NULL);
		if (it < 0) {
			if (!ingest_reject(c, f, &rec, KITH_CSV_OVERFLOW, "item",
			                   error))
				return FALSE;
			continue;
		}
		if (g_hash_table_contains(seen, GINT_TO_POINTER(it + 1)))
			f->merged++;
		else
			g_hash_table_add(seen, GINT_TO_POINTER(it + 1));
		if (c->preset_movielens) {
			for (int g = 0; g < 19; g++)
				if (rec.field[5 + g][0] == '1')
					add_item_cat(c, (int32_t)it,
					             movielens_genres[g],
					             strlen(movielens_genres[g]));
			continue;
		}
		const char *s = rec.field[ccat];
		size_t n = rec.len[ccat];
		size_t a = 0;
		for (size_t k = 0; k <= n; k++) {
			if (k == n || s[k] == '|') {
				add_item_cat(c, (int32_t)it, s + a, k - a);
				a = k + 1;
			}
		}
	}
	if (rc < 0)
		return FALSE;
	f->unique = g_hash_table_size(seen);
	return ingest_close(c, f, r, error);
}

/* ------------------------------------------------------------------ users */

gboolean
ingest_read_users(struct ingest_ctx *c, GError **error)
{
	const struct kith_ingest_options *o = c->opt;
	struct kith_csv_options copt = o->csv;
	static const char *const ml_names[] = { "user", "age", "gender",
	                                        "occupation", "zip", NULL };
	if (c->preset_movielens) {
		copt.sep = '|';
		copt.header = KITH_CSV_HEADER_NO;
		copt.no_quotes = TRUE;
		copt.latin1 = TRUE;
	}
	struct kith_ingest_file *f;
	g_autoptr(kith_csv) r = ingest_open(c, "users", o->users, &copt, &f,
	                                    error);
	if (!r)
		return FALSE;
	const char *const *hdr = c->preset_movielens ? ml_names
	                                             : kith_csv_header_names(r);
	int cid = 0;
	if (hdr) {
		struct kith_csv_roles ro;
		kith_csv_roles_from_header(&ro, hdr, (int)g_strv_length((char **)hdr));
		cid = ro.col[KITH_ROLE_USER] >= 0 ? ro.col[KITH_ROLE_USER]
		    : ro.col[KITH_ROLE_NODE] >= 0 ? ro.col[KITH_ROLE_NODE] : 0;
	}
	g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash,
	                                               g_direct_equal);
	struct kith_csv_record rec;
	int rc, ncol = 0;
	while ((rc = ingest_next(c, f, r, &rec, error)) > 0) {
		if (ncol == 0) {
			ncol = rec.n_fields;
			if (c->preset_movielens && ncol != 5) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
				            "%s:%" G_GINT64_FORMAT ": u.user rows "
				            "have 5 fields, not %d", f->path,
				            rec.line, ncol);
				return FALSE;
			}
			c->ua_ncol = ncol;
			c->ua_cid = cid;
			c->ua_names = g_new0(char *, ncol + 1);
			for (int j = 0; j < ncol; j++)
				c->ua_names[j] = hdr && hdr[j] ? g_strdup(hdr[j])
				                 : g_strdup_printf("col%d", j + 1);
			c->ua_rows = g_ptr_array_new_with_free_func(
				(GDestroyNotify)g_strfreev);
			f->mapping = g_strdup_printf("user=%d", cid);
		}
		gboolean bad = FALSE;
		if (!id_ok(c, f, &rec, cid, "user", error, &bad))
			return FALSE;
		if (bad)
			continue;
		int64_t u = kith_idmap_find(c->users, rec.field[cid],
		                            rec.len[cid]);
		if (u >= 0 && g_hash_table_contains(seen, GINT_TO_POINTER(u + 1))) {
			if (!ingest_reject(c, f, &rec, KITH_CSV_DUPLICATE_ID, "user",
			                   error))
				return FALSE;
			continue;
		}
		if (c->preset_movielens) {
			double age;
			enum kith_csv_reason why = kith_parse_double(rec.field[1],
			                                             rec.len[1], &age);
			if (why) {
				if (!ingest_reject(c, f, &rec, why, "age", error))
					return FALSE;
				continue;
			}
		}
		u = kith_idmap_add(c->users, rec.field[cid], rec.len[cid], NULL);
		if (u < 0) {
			if (!ingest_reject(c, f, &rec, KITH_CSV_OVERFLOW, "user",
			                   error))
				return FALSE;
			continue;
		}
		g_hash_table_add(seen, GINT_TO_POINTER(u + 1));
		char **row = g_new0(char *, ncol + 2);
		row[0] = g_strdup_printf("%" G_GINT64_FORMAT, u);
		for (int j = 0; j < ncol; j++)
			row[j + 1] = g_strndup(rec.field[j], rec.len[j]);
		g_ptr_array_add(c->ua_rows, row);
	}
	if (rc < 0)
		return FALSE;
	f->unique = g_hash_table_size(seen);
	return ingest_close(c, f, r, error);
}
