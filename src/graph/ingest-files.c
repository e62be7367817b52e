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

/* The social file while it is read: the columns (src, dst, weight, ts;
 * fixed by the first record the tokenizer accepts). */
struct ingest_social {
	struct ingest_file_read fr;
	int32_t cs, cd, cw, ct;
	gboolean fixed;
};

/* One record: the columns on the first, then a validated pair, a
 * rejected row or a self-loop. */
static gboolean
social_record(void *data, const struct kith_csv_record *rec, GError **error)
{
	struct ingest_social *so = data;
	struct ingest_ctx *c = so->fr.c;
	struct kith_ingest_file *f = so->fr.f;
	const struct kith_ingest_options *o = c->opt;
	if (!so->fixed) {
		so->fixed = TRUE;
		if (!kith_csv_has_header(so->fr.r)) {
			if (rec->n_fields >= 3)
				so->cw = 2;
			if (rec->n_fields >= 4)
				so->ct = 3;
		}
		if (rec->n_fields < 2 || so->cs >= rec->n_fields ||
		    so->cd >= rec->n_fields) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "%s: a social file needs src and dst columns",
			            f->path);
			return FALSE;
		}
		struct kith_csv_roles m;
		roles_none(&m);
		m.col[KITH_ROLE_SRC] = so->cs;
		m.col[KITH_ROLE_DST] = so->cd;
		m.col[KITH_ROLE_VALUE] = so->cw;
		m.col[KITH_ROLE_TS] = so->ct;
		f->mapping = kith_csv_roles_describe(&m);
	}
	int cs = so->cs, cd = so->cd, cw = so->cw, ct = so->ct;
	gboolean bad = FALSE;
	if (!id_ok(c, f, rec, cs, "src", error, &bad) ||
	    (!bad && !id_ok(c, f, rec, cd, "dst", error, &bad)))
		return FALSE;
	if (bad)
		return TRUE;
	float w = 1.0f;
	int64_t ts;
	enum kith_csv_reason why;
	if (cw >= 0 && (why = kith_parse_float(rec->field[cw], rec->len[cw],
	                                       &w)) == KITH_CSV_OK &&
	    w < 0 && !o->allow_negative)
		why = KITH_CSV_NEGATIVE;
	if (cw >= 0 && why)
		return ingest_reject(c, f, rec, why, "weight", error);
	if (ct >= 0 && (why = kith_parse_timestamp(rec->field[ct], rec->len[ct],
	                                           &ts)))
		return ingest_reject(c, f, rec, KITH_CSV_BAD_TIMESTAMP, "ts",
		                     error);
	int64_t a = kith_idmap_add(c->users, rec->field[cs], rec->len[cs], NULL);
	int64_t b = kith_idmap_add(c->users, rec->field[cd], rec->len[cd], NULL);
	if (a < 0 || b < 0)
		return ingest_reject(c, f, rec, KITH_CSV_OVERFLOW, "src", error);
	if (a == b) {
		f->self_loops++;
		return TRUE;
	}
	if (!o->directed && a > b && !c->raw_pairs) {
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
	return TRUE;
}

static void
social_free(void *p)
{
	struct ingest_social *so = p;
	if (!so)
		return;
	kith_csv_close(so->fr.r);
	g_free(so);
}

static void *
social_open(struct ingest_ctx *c, GError **error)
{
	const struct kith_ingest_options *o = c->opt;
	struct ingest_social *so = g_new0(struct ingest_social, 1);
	so->fr.c = c;
	so->fr.r = ingest_open(c, "social", o->social, &o->csv, &so->fr.f,
	                       error);
	if (!so->fr.r) {
		social_free(so);
		return NULL;
	}
	struct kith_csv_roles ro;
	header_roles(&ro, so->fr.r);
	so->cs = ro.col[KITH_ROLE_SRC] >= 0 ? ro.col[KITH_ROLE_SRC]
	       : ro.col[KITH_ROLE_USER] >= 0 ? ro.col[KITH_ROLE_USER] : 0;
	so->cd = ro.col[KITH_ROLE_DST] >= 0 ? ro.col[KITH_ROLE_DST]
	       : so->cs == 0 ? 1 : 0;
	so->cw = ro.col[KITH_ROLE_VALUE];
	so->ct = ro.col[KITH_ROLE_TS];
	return so;
}

/* Without SPLIT: the whole file. */
static int
social_prefix(void *p, gboolean split, int64_t *off, int64_t *line,
              GError **error)
{
	struct ingest_social *so = p;
	return ingest_read_prefix(&so->fr, split, social_record, so, off, line,
	                          error);
}

static gboolean
social_range(void *p, int64_t lo, int64_t line, int64_t hi, GError **error)
{
	struct ingest_social *so = p;
	so->fr.split = TRUE;
	return ingest_read_range(so->fr.c, so->fr.f, so->fr.r, lo, line, hi,
	                         social_record, so, &so->fr.st, error);
}

static struct ingest_file_read *
social_read(void *p)
{
	struct ingest_social *so = p;
	return &so->fr;
}

/* roles: the src, dst, weight and ts columns */
static void
social_roles(void *p, int32_t *out)
{
	const struct ingest_social *so = p;
	memset(out, 0, INGEST_ROLES * sizeof *out);
	out[0] = so->cs;
	out[1] = so->cd;
	out[2] = so->cw;
	out[3] = so->ct;
}

static void
social_set_roles(void *p, const int32_t *in)
{
	struct ingest_social *so = p;
	so->cs = in[0];
	so->cd = in[1];
	so->cw = in[2];
	so->ct = in[3];
	so->fixed = TRUE;
}

static gboolean
social_close(void *p, const struct kith_csv_stats *st, GError **error)
{
	struct ingest_social *so = p;
	return ingest_file_read_close(&so->fr, st, error);
}

const struct ingest_part_ops ingest_social_parts = {
	social_open, social_free, social_prefix, social_range, social_read,
	social_roles, social_set_roles, social_close,
};

gboolean
ingest_read_social(struct ingest_ctx *c, GError **error)
{
	struct ingest_social *so = social_open(c, error);
	int64_t off, line;
	gboolean ok = so && social_prefix(so, FALSE, &off, &line, error) == 0 &&
	              social_close(so, NULL, error);
	social_free(so);
	return ok;
}

/* --------------------------------------------------------- user features */

/* The user features file while it is read: the node, feature and value
 * columns (the value fixed by the first record the tokenizer accepts). */
struct ingest_feats {
	struct ingest_file_read fr;
	int32_t cn, cf, cv;
	gboolean fixed;
};

/* One record: the columns on the first, then a validated row or a
 * rejected one. */
static gboolean
feature_record(void *data, const struct kith_csv_record *rec, GError **error)
{
	struct ingest_feats *fe = data;
	struct ingest_ctx *c = fe->fr.c;
	struct kith_ingest_file *f = fe->fr.f;
	if (!fe->fixed) {
		fe->fixed = TRUE;
		if (fe->cv < 0 && rec->n_fields >= 3)
			fe->cv = 2;
		if (fe->cn >= rec->n_fields || fe->cf >= rec->n_fields ||
		    fe->cn == fe->cf) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "%s: a feature file needs node and feature "
			            "columns", f->path);
			return FALSE;
		}
		struct kith_csv_roles m;
		roles_none(&m);
		m.col[KITH_ROLE_NODE] = fe->cn;
		m.col[KITH_ROLE_FEATURE] = fe->cf;
		m.col[KITH_ROLE_VALUE] = fe->cv;
		f->mapping = kith_csv_roles_describe(&m);
	}
	int cn = fe->cn, cf = fe->cf, cv = fe->cv;
	gboolean bad = FALSE;
	if (!id_ok(c, f, rec, cn, "node", error, &bad) ||
	    (!bad && !id_ok(c, f, rec, cf, "feature", error, &bad)))
		return FALSE;
	if (bad)
		return TRUE;
	float v = 1.0f;
	enum kith_csv_reason why;
	if (cv >= 0 && (why = kith_parse_float(rec->field[cv], rec->len[cv],
	                                       &v)))
		return ingest_reject(c, f, rec, why, "value", error);
	int64_t u = kith_idmap_add(c->users, rec->field[cn], rec->len[cn], NULL);
	int64_t ft = kith_idmap_add(c->feats, rec->field[cf], rec->len[cf],
	                            NULL);
	if (u < 0 || ft < 0)
		return ingest_reject(c, f, rec, KITH_CSV_OVERFLOW, "node", error);
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
	return TRUE;
}

static void
feats_free(void *p)
{
	struct ingest_feats *fe = p;
	if (!fe)
		return;
	kith_csv_close(fe->fr.r);
	g_free(fe);
}

static void *
feats_open(struct ingest_ctx *c, GError **error)
{
	const struct kith_ingest_options *o = c->opt;
	struct ingest_feats *fe = g_new0(struct ingest_feats, 1);
	fe->fr.c = c;
	fe->fr.r = ingest_open(c, "user_features", o->user_features, &o->csv,
	                       &fe->fr.f, error);
	if (!fe->fr.r) {
		feats_free(fe);
		return NULL;
	}
	struct kith_csv_roles ro;
	header_roles(&ro, fe->fr.r);
	fe->cn = ro.col[KITH_ROLE_NODE] >= 0 ? ro.col[KITH_ROLE_NODE]
	       : ro.col[KITH_ROLE_USER] >= 0 ? ro.col[KITH_ROLE_USER] : 0;
	fe->cf = ro.col[KITH_ROLE_FEATURE] >= 0 ? ro.col[KITH_ROLE_FEATURE] : 1;
	fe->cv = ro.col[KITH_ROLE_VALUE];
	return fe;
}

/* Without SPLIT: the whole file. */
static int
feats_prefix(void *p, gboolean split, int64_t *off, int64_t *line,
             GError **error)
{
	struct ingest_feats *fe = p;
	return ingest_read_prefix(&fe->fr, split, feature_record, fe, off, line,
	                          error);
}

static gboolean
feats_range(void *p, int64_t lo, int64_t line, int64_t hi, GError **error)
{
	struct ingest_feats *fe = p;
	fe->fr.split = TRUE;
	return ingest_read_range(fe->fr.c, fe->fr.f, fe->fr.r, lo, line, hi,
	                         feature_record, fe, &fe->fr.st, error);
}

static struct ingest_file_read *
feats_read(void *p)
{
	struct ingest_feats *fe = p;
	return &fe->fr;
}

/* roles: the node, feature and value columns */
static void
feats_roles(void *p, int32_t *out)
{
	const struct ingest_feats *fe = p;
	memset(out, 0, INGEST_ROLES * sizeof *out);
	out[0] = fe->cn;
	out[1] = fe->cf;
	out[2] = fe->cv;
}

static void
feats_set_roles(void *p, const int32_t *in)
{
	struct ingest_feats *fe = p;
	fe->cn = in[0];
	fe->cf = in[1];
	fe->cv = in[2];
	fe->fixed = TRUE;
}

static gboolean
feats_close(void *p, const struct kith_csv_stats *st, GError **error)
{
	struct ingest_feats *fe = p;
	return ingest_file_read_close(&fe->fr, st, error);
}

const struct ingest_part_ops ingest_features_parts = {
	feats_open, feats_free, feats_prefix, feats_range, feats_read,
	feats_roles, feats_set_roles, feats_close,
};

gboolean
ingest_read_features(struct ingest_ctx *c, GError **error)
{
	struct ingest_feats *fe = feats_open(c, error);
	int64_t off, line;
	gboolean ok = fe && feats_prefix(fe, FALSE, &off, &line, error) == 0 &&
	              feats_close(fe, NULL, error);
	feats_free(fe);
	return ok;
}

/* ----------------------------------------------------------------- items */

/* MovieLens' u.item and u.user: '|', no header, Latin-1, no quotes */
struct kith_csv_options
ingest_side_csv(const struct ingest_ctx *c, int k)
{
	struct kith_csv_options copt = c->opt->csv;
	if (c->preset_movielens && k != INGEST_PART_FEATURES) {
		copt.sep = '|';
		copt.header = KITH_CSV_HEADER_NO;
		copt.latin1 = TRUE;
		copt.no_quotes = TRUE;
	}
	return copt;
}

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
	struct kith_csv_options copt = ingest_side_csv(c, INGEST_PART_ITEMS);
	if (c->preset_movielens) {
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
	struct kith_csv_options copt = ingest_side_csv(c, INGEST_PART_USERS);
	static const char *const ml_names[] = { "user", "age", "gender",
	                                        "occupation", "zip", NULL };
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
