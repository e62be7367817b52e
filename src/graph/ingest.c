/*
 * kith ingest: files -> validated rows -> id maps -> merged CSR store.
 *
 * Every file is streamed once through the CSV reader (csv.h); a regular
 * events file is read in parallel (ingest-events.c).  A row is fully
 * validated before any of its ids is inserted, so a rejected row never
 * creates a node.  Events are kept as parallel arrays (user, item,
 * type, ts, value: 21 bytes per event); the CSR build (ingest-build.c)
 * counting-sorts them by user, sorts each row by (item, arrival) and
 * merges duplicates: weight = sum of event-type weights (1 per event
 * without an event column), count, first/last ts, type mask, value sum.
 * Cost: O(bytes) to read, O(E log d) to build (d = user degree).
 *
 * Accounting per file: lines = header + comments + blank + accepted +
 * rejected, accepted = unique + merged (+ self_loops for social files).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kith/core.h"
#include "kith/input.h"
#include "kith/io.h"
#include "kith/ingest.h"
#include "ingest-internal.h"

#define MAX_EVENT_TYPES 32
#define EXCERPT_BYTES 120

static const char *const movielens_genres[19] = {
	"unknown", "Action", "Adventure", "Animation", "Children's", "Comedy",
	"Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror",
	"Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
};

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

/* ------------------------------------------------------------ pseudonyms */

guint8 *
kith_ingest_load_key(const char *path, size_t *len, GError **error)
{
	/* O_NONBLOCK: a FIFO is refused below instead of waited for */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat sb;
	if (fd < 0 && errno == ELOOP) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "pseudonymisation key '%s' is a symbolic link; give "
		            "the file itself", path);
		return NULL;
	}
	if (fd < 0 || fstat(fd, &sb) != 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot read pseudonymisation key '%s': %s", path,
		            g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077) != 0 ||
	    sb.st_size <= 0 || sb.st_size > (1 << 20)) {
		if (!S_ISREG(sb.st_mode))
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "pseudonymisation key '%s' is not a regular "
			            "file", path);
		else if ((sb.st_mode & 077) != 0)
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "pseudonymisation key '%s' has mode %04o: it "
			            "must not be readable by group or others "
			            "(chmod 600 '%s')", path,
			            (unsigned)(sb.st_mode & 07777), path);
		else
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "pseudonymisation key '%s' must hold 1 byte to "
			            "1 MiB", path);
		close(fd);
		return NULL;
	}
	size_t n = (size_t)sb.st_size, got = 0;
	guint8 *key = g_malloc(n);
	while (got < n) {
		ssize_t r = read(fd, key + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
			            "cannot read pseudonymisation key '%s': %s",
			            path, r < 0 ? g_strerror(errno)
			                        : "file shrank while read");
			kith_ingest_key_free(key, n);
			close(fd);
			return NULL;
		}
		got += (size_t)r;
	}
	close(fd);
	*len = n;
	return key;
}

void
kith_ingest_key_free(guint8 *key, size_t len)
{
	if (!key)
		return;
	volatile guint8 *p = key;
	for (size_t i = 0; i < len; i++)
		p[i] = 0;
	g_free(key);
}

void
kith_ingest_pseudonym(const guint8 *key, size_t key_len, const char *id,
                      size_t len, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, key, key_len);
	guint8 d[32];
	gsize dl = sizeof d;
	g_hmac_update(h, (const guchar *)id, (gssize)len);
	g_hmac_get_digest(h, d, &dl);
	g_hmac_unref(h);
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[32] = '\0';
}

/* ------------------------------------------------------------ rejections */

static gboolean
check_limit(struct ingest_ctx *c, GError **error)
{
	const struct kith_ingest_options *o = c->opt;
	if (o->max_rejects >= 0 && c->res->n_rejected > o->max_rejects) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_LIMIT,
		            "more than %" G_GINT64_FORMAT " rejected rows "
		            "(--max-rejects)", o->max_rejects);
		return FALSE;
	}
	return TRUE;
}

gboolean
ingest_check_pct(struct ingest_ctx *c, GError **error)
{
	const struct kith_ingest_options *o = c->opt;
	if (o->max_rejects_pct < 0 || c->n_records == 0)
		return TRUE;
	double pct = 100.0 * (double)c->res->n_rejected / (double)c->n_records;
	if (pct > o->max_rejects_pct) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_LIMIT,
		            "%.2f%% of rows rejected, more than %g%% "
		            "(--max-rejects)", pct, o->max_rejects_pct);
		return FALSE;
	}
	return TRUE;
}

gboolean
ingest_reject(struct ingest_ctx *c, struct kith_ingest_file *f,
              const struct kith_csv_record *rec, enum kith_csv_reason why,
              const char *column, GError **error)
{
	f->rejected[why]++;
	c->res->n_rejected++;
	if (!c->opt->skip_errors) {
		GString *ex = g_string_new(NULL);
		kith_csv_escape(ex, rec->raw, rec->raw_len, EXCERPT_BYTES);
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "%s:%" G_GINT64_FORMAT ": %s%s%s%s ('%s')", f->path,
		            rec->line, kith_csv_reason_text(why),
		            column ? " in column '" : "", column ? column : "",
		            column ? "'" : "", ex->str);
		g_string_free(ex, TRUE);
		return FALSE;
	}
	GString *r = c->res->rejects;
	kith_csv_escape(r, f->path, strlen(f->path), 4096);
	g_string_append_printf(r, "\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT
	                       "\t%s\t", rec->line, rec->offset,
	                       kith_csv_reason_name(why));
	if (c->opt->pseudonym_key)
		g_string_append(r, "(redacted)");  /* it may hold user ids */
	else
		kith_csv_escape(r, rec->raw, rec->raw_len, EXCERPT_BYTES);
	g_string_append_c(r, '\n');
	return check_limit(c, error);
}

/* Opens a file of the ingest and registers its accounting slot. */
struct kith_csv *
ingest_open(struct ingest_ctx *c, const char *kind, const char *path,
            const struct kith_csv_options *copt,
            struct kith_ingest_file **fout, GError **error)
{
	struct kith_ingest_file *f = &c->res->files[c->res->n_files++];
	memset(f, 0, sizeof *f);
	f->kind = kind;
	f->path = g_strdup(path);
	*fout = f;
	/* hashed while read: the manifest gets the bytes this read */
	struct kith_input *in = kith_input_open(path, KITH_INPUT_SHA256, error);
	if (!in)
		return NULL;
	struct kith_csv *r = kith_csv_open_input(in, copt, error);
	if (!r)
		return NULL;
	f->sep = kith_csv_sep(r);
	f->header = kith_csv_has_header(r);
	return r;
}

/* Next record without a tokenizer-level problem: 1, 0 at EOF, -1 on
 * error (I/O, stop on first error, limit). */
int
ingest_next(struct ingest_ctx *c, struct kith_ingest_file *f,
            struct kith_csv *r, struct kith_csv_record *rec, GError **error)
{
	for (;;) {
		int rc = kith_csv_next(r, rec, error);
		if (rc <= 0)
			return rc;
		c->n_records++;
		if (rec->reason == KITH_CSV_OK)
			return 1;
		if (!ingest_reject(c, f, rec, rec->reason, NULL, error))
			return -1;
	}
}

/* Ends a file with the given statistics: fails on an empty or header-
 * only file, takes the SHA-256 and size of R's file, checks the
 * percentage limit. */
gboolean
ingest_close_stats(struct ingest_ctx *c, struct kith_ingest_file *f,
                   struct kith_csv *r, const struct kith_csv_stats *st,
                   GError **error)
{
	int i = (int)(f - c->res->files);
	f->st = *st;
	if (st->records_ok + st->records_bad == 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA, "%s: %s",
		            f->path, kith_csv_reason_text(st->header
		                                          ? KITH_CSV_HEADER_ONLY
		                                          : KITH_CSV_EMPTY_FILE));
		return FALSE;
	}
	int64_t rej = 0;
	for (int k = 0; k < KITH_CSV_N_REASONS; k++)
		rej += f->rejected[k];
	f->accepted = f->st.records_ok + f->st.records_bad - rej;
	g_free(c->sha[i]);
	c->sha[i] = kith_input_sha256(kith_csv_input(r), &c->size[i], error);
	if (!c->sha[i])
		return FALSE;
	return ingest_check_pct(c, error);
}

/* Ends a file read by one reader. */
gboolean
ingest_close(struct ingest_ctx *c, struct kith_ingest_file *f,
             struct kith_csv *r, GError **error)
{
	return ingest_close_stats(c, f, r, kith_csv_stats(r), error);
}


/* events: see ingest-events.c */

/* ---------------------------------------------------------------- social */

static gboolean
read_social(struct ingest_ctx *c, GError **error)
{
	const struct kith_ingest_options *o = c->opt;
	struct kith_ingest_file *f;
	g_autoptr(kith_csv) r = ingest_open(c, "social", o->social, &o->csv, &f,
	                                    error);
	if (!r)
		return FALSE;
	struct kith_csv_roles ro;
	for (int k = 0; k < KITH_ROLE_N; k++)
		ro.col[k] = -1;
	if (kith_csv_has_header(r)) {
		const char *const *h = kith_csv_header_names(r);
		kith_csv_roles_from_header(&ro, h, (int)g_strv_length((char **)h));
	}
	int cs = ro.col[KITH_ROLE_SRC] >= 0 ? ro.col[KITH_ROLE_SRC]
	       : ro.col[KITH_ROLE_USER] >= 0 ? ro.col[KITH_ROLE_USER] : 0;
	int cd = ro.col[KITH_ROLE_DST] >= 0 ? ro.col[KITH_ROLE_DST]
	       : cs == 0 ? 1 : 0;
	int cw = ro.col[KITH_ROLE_VALUE], ct = ro.col[KITH_ROLE_TS];
	if (!kith_csv_has_header(r)) {
		int n = kith_csv_n_columns(r);
		(void)n;
	}
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
			for (int k = 0; k < KITH_ROLE_N; k++)
				m.col[k] = -1;
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

static gboolean
read_features(struct ingest_ctx *c, GError **error)
{
	const struct kith_ingest_options *o = c->opt;
	struct kith_ingest_file *f;
	g_autoptr(kith_csv) r = ingest_open(c, "user_features", o->user_features,
	                                    &o->csv, &f, error);
	if (!r)
		return FALSE;
	struct kith_csv_roles ro;
	for (int k = 0; k < KITH_ROLE_N; k++)
		ro.col[k] = -1;
	if (kith_csv_has_header(r)) {
		const char *const *h = kith_csv_header_names(r);
		kith_csv_roles_from_header(&ro, h, (int)g_strv_length((char **)h));
	}
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
			for (int k = 0; k < KITH_ROLE_N; k++)
				m.col[k] = -1;
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

static gboolean
read_items(struct ingest_ctx *c, GError **error)
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
	for (int k = 0; k < KITH_ROLE_N; k++)
		ro.col[k] = -1;
	if (kith_csv_has_header(r)) {
		const char *const *h = kith_csv_header_names(r);
		kith_csv_roles_from_header(&ro, h, (int)g_strv_length((char **)h));
	}
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

static gboolean
read_users(struct ingest_ctx *c, GError **error)
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
	gboolean ok = (!opt->events || ingest_read_events(&c, error)) &&
	              (!opt->social || read_social(&c, error)) &&
	              (!opt->users || read_users(&c, error)) &&
	              (!opt->items || read_items(&c, error)) &&
	              (!opt->user_features || read_features(&c, error)) &&
	              ingest_check_pct(&c, error);
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
	}
	ctx_clear(&c);
	if (!ok && opt->writer)
		kith_store_writer_cancel(opt->writer);   /* before the arrays go */
	if (!ok)
		kith_ingest_result_clear(out);
	return ok;
}
