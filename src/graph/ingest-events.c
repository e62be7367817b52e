/*
 * kith ingest, the events file: rows (user, item[, event][, ts][, value])
 * into the parallel arrays of struct ingest_ctx, ids mapped in order of
 * first appearance.
 *
 * Serial reader: kith_csv_next() record by record, every row validated
 * before any of its ids is inserted (ev_record()).
 *
 * Parallel reader (a regular uncompressed file, kith_input_map_fd(),
 * after the first record has fixed the column roles): the rest of the file is mapped and cut at line ends into
 * chunks of about chunk_bytes.  An OpenMP pass counts the lines of each
 * chunk, which gives every chunk its slice of the event arrays; a second
 * pass hands out chunks in file order to threads, each of which tokenizes
 * and parses its chunks with its own id maps (local ids).  A chunk stops
 * at its first line that is not plain (a quote, NUL, lone CR, blank or
 * comment line, wrong field count, a line too long, invalid UTF-8, or any
 * row the serial reader would reject).  A thread parses 16 rows ahead of
 * their insertion, preparing (hashing, prefetching) their ids, so that
 * the lookups' cache misses overlap.  Then, in chunk order, the ids each
 * chunk saw first (a contiguous range of its thread's local ids, since a
 * thread takes chunks in increasing order) are added to the global maps
 * (the users by one thread, the items by another), which therefore
 * receive every id at its first appearance in the file, exactly as the
 * serial reader would; a parallel pass rewrites the local ids.  If a chunk stopped, the serial reader
 * takes over at that line (a new reader at that byte offset and line
 * number) and reads to the end, so the first bad row in file order is the
 * one reported, with its exact line, and rejects keep their order.
 * Cost: O(bytes / threads) to parse, O(ids seen per chunk) to merge,
 * O(events / threads) to remap; per thread a few id maps, each with room
 * for THREAD_IDS ids from the start (their small tables would cost a page
 * fault per 4 KiB), and the global maps sized for the largest thread's
 * ids before the merge.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#define KITH_SSE2 1
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kith/core.h"
#include "kith/ingest.h"
#include "kith/input.h"
#include "ingest-internal.h"

#define MAX_EVENT_TYPES 32
#define MAX_FAST_COLUMNS 64
#define DEFAULT_CHUNK ((int64_t)8 << 20)
#define THREAD_IDS ((int64_t)1 << 15)  /* ids a thread map has room for */

/* ------------------------------------------------------------ helpers */

/* Column *pp (used elements in use) grown to n elements: a fresh block
 * on huge pages while the used part is small (the parallel reader's
 * slots, first touched when written), else g_try_realloc_n() (no copy,
 * no second block), advised huge.  FALSE, *pp unchanged, when out of
 * memory. */
static gboolean
grow_column(void *pp, size_t used, size_t n, size_t size)
{
	void **p = pp;
	void *q;
	if (used <= n / 8) {
		q = kith_alloc_huge_n(n, size, NULL);
		if (q) {
			if (used)
				memcpy(q, *p, used * size);
			g_free(*p);
		}
	} else {
		q = g_try_realloc_n(*p, n, size);
		if (q)
			kith_advise_huge(q, n * size);
	}
	if (!q)
		return FALSE;
	*p = q;
	return TRUE;
}

static gboolean
grow_events(struct ingest_ctx *c, int64_t want, GError **error)
{
	int64_t ncap = c->ev_cap ? c->ev_cap * 2 : (int64_t)1 << 16;
	if (ncap < want)
		ncap = want;
	if ((uint64_t)ncap > UINT32_MAX) {
		if (c->ev_cap >= (int64_t)UINT32_MAX ||
		    (uint64_t)want > UINT32_MAX) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
			            "more than 2^32-1 events");
			return FALSE;
		}
		ncap = UINT32_MAX;
	}
	size_t n = (size_t)ncap, used = (size_t)c->n_ev;
	if (!grow_column(&c->ev_u, used, n, sizeof(int32_t)) ||
	    !grow_column(&c->ev_i, used, n, sizeof(int32_t)) ||
	    !grow_column(&c->ev_t, used, n, sizeof(uint8_t)) ||
	    (c->has_ts && !grow_column(&c->ev_ts, used, n, sizeof(int64_t))) ||
	    (c->has_value &&
	     !grow_column(&c->ev_val, used, n, sizeof(float)))) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "cannot allocate room for %" G_GINT64_FORMAT
		            " events", ncap);
		return FALSE;
	}
	c->ev_cap = ncap;
	return TRUE;
}

static gboolean
looks_like_ts(const char *s, size_t len)
{
	int64_t v;
	if (kith_parse_int64(s, len, &v) == KITH_CSV_OK)
		return v >= 100000000;      /* after 1973-03-03 in seconds */
	return len >= 10 && s[4] == '-' && kith_parse_timestamp(s, len, &v) ==
	       KITH_CSV_OK;
}

/* Roles of a headerless events file from its first record. */
static void
guess_event_roles(struct kith_csv_roles *ro, const struct kith_csv_record *rec)
{
	for (int k = 0; k < KITH_ROLE_N; k++)
		ro->col[k] = -1;
	ro->col[KITH_ROLE_USER] = 0;
	ro->col[KITH_ROLE_ITEM] = 1;
	for (int j = 2; j < rec->n_fields; j++) {
		double d;
		if (ro->col[KITH_ROLE_TS] < 0 &&
		    looks_like_ts(rec->field[j], rec->len[j]))
			ro->col[KITH_ROLE_TS] = j;
		else if (kith_parse_double(rec->field[j], rec->len[j], &d) ==
		         KITH_CSV_OK) {
			if (ro->col[KITH_ROLE_VALUE] < 0)
				ro->col[KITH_ROLE_VALUE] = j;
		} else if (ro->col[KITH_ROLE_EVENT] < 0) {
			ro->col[KITH_ROLE_EVENT] = j;
		}
	}
}

static int
event_type(struct ingest_ctx *c, struct kith_ingest_file *f,
           const char *s, size_t len, GError **error)
{
	if (c->last_type >= 0 && c->last_type_len == len &&
	    memcmp(c->last_type_name, s, len) == 0)
		return c->last_type;
	gboolean added;
	int64_t t = kith_idmap_add(c->types, s, len, &added);
	if (t >= MAX_EVENT_TYPES) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "%s: more than %d event types (is the event column "
		            "right? see --columns)", f->path, MAX_EVENT_TYPES);
		return -1;
	}
	if (added) {
		const char *name = kith_idmap_key(c->types, t);
		double *w = g_hash_table_lookup(c->res->weights, name);
		c->type_weight[t] = w ? *w : 1.0;
		if (!w)
			g_ptr_array_add(c->res->unknown_types, g_strdup(name));
	}
	c->last_type = (int)t;
	c->last_type_name = kith_idmap_key(c->types, t);
	c->last_type_len = len;
	return (int)t;
}

/* ------------------------------------------------------ serial records */

struct ev_state {
	struct ingest_ctx *c;
	struct kith_ingest_file *f;
	struct kith_csv_roles ro;
	gboolean have_roles;
	const char *spec;
	int cu, ci, ce, ct, cv, need;
};

/* One record the tokenizer accepted: sets the roles on the first one,
 * then validates, rejects or appends the row.  FALSE on error. */
static gboolean
ev_record(struct ev_state *e, const struct kith_csv_record *rec,
          GError **error)
{
	struct ingest_ctx *c = e->c;
	struct kith_ingest_file *f = e->f;
	const struct kith_ingest_options *o = c->opt;
	if (e->cu < 0) {
		if (!e->have_roles)
			guess_event_roles(&e->ro, rec);
		e->cu = e->ro.col[KITH_ROLE_USER];
		e->ci = e->ro.col[KITH_ROLE_ITEM];
		if (e->cu < 0 || e->ci < 0) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "%s: no %s column (header names: user, "
			            "user_id, uid, ...; or use --columns)",
			            f->path, e->cu < 0 ? "user" : "item");
			return FALSE;
		}
		e->ce = e->ro.col[KITH_ROLE_EVENT];
		e->ct = e->ro.col[KITH_ROLE_TS];
		e->cv = e->ro.col[KITH_ROLE_VALUE];
		for (int k = 1; k < KITH_ROLE_N; k++)
			if (e->ro.col[k] >= e->need)
				e->need = e->ro.col[k] + 1;
		if (e->need > rec->n_fields) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "%s: the column roles need %d columns, "
			            "the file has %d", f->path, e->need,
			            rec->n_fields);
			return FALSE;
		}
		if (c->base_ev > 0) {
			/* an update: the columns must fit the store's log */
			if ((e->ct >= 0) != c->has_ts ||
			    (e->ce >= 0) != c->has_event) {
				gboolean ts = (e->ct >= 0) != c->has_ts;
				gboolean has = ts ? c->has_ts : c->has_event;
				g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
				            "%s: the store's events %s %s column "
				            "but this file %s (see --columns)",
				            f->path, has ? "have a" : "have no",
				            ts ? "ts" : "event",
				            has ? "has none" : "has one");
				return FALSE;
			}
		} else {
			c->has_ts = e->ct >= 0;
			c->has_value = e->cv >= 0;
			c->has_event = e->ce >= 0;
		}
		f->mapping = kith_csv_roles_describe(&e->ro);
		if (!c->has_event)
			c->type_weight[0] = 1.0;  /* weight 1 per event */
	}
	int cu = e->cu, ci = e->ci, ce = e->ce, ct = e->ct, cv = e->cv;
	gboolean bad = FALSE;
	if (!id_ok(c, f, rec, cu, "user", error, &bad) ||
	    (!bad && !id_ok(c, f, rec, ci, "item", error, &bad)))
		return FALSE;
	if (bad)
		return TRUE;
	int64_t ts = 0;
	float val = 0;
	enum kith_csv_reason why;
	if (ct >= 0 && (why = kith_parse_timestamp(rec->field[ct],
	                                           rec->len[ct], &ts))) {
		if (why == KITH_CSV_EMPTY_FIELD)
			why = KITH_CSV_BAD_TIMESTAMP;
		return ingest_reject(c, f, rec, why, "ts", error);
	}
	if (cv >= 0) {
		why = kith_parse_float(rec->field[cv], rec->len[cv], &val);
		if (!why && val < 0 && !o->allow_negative)
			why = KITH_CSV_NEGATIVE;
		if (why)
			return ingest_reject(c, f, rec, why, "value", error);
	}
	int t = 0;
	if (ce >= 0) {
		if (rec->len[ce] == 0)
			return ingest_reject(c, f, rec, KITH_CSV_EMPTY_FIELD,
			                     "event", error);
		t = event_type(c, f, rec->field[ce], rec->len[ce], error);
		if (t < 0)
			return FALSE;
	}
	int64_t u = kith_idmap_add(c->users, rec->field[cu], rec->len[cu],
	                           NULL);
	int64_t it = kith_idmap_add(c->items, rec->field[ci], rec->len[ci],
	                            NULL);
	if (u < 0 || it < 0)
		return ingest_reject(c, f, rec, KITH_CSV_OVERFLOW,
		                     u < 0 ? "user" : "item", error);
	if (c->n_ev == c->ev_cap && !grow_events(c, 0, error))
		return FALSE;
	int64_t k = c->n_ev++;
	c->ev_u[k] = (int32_t)u;
	c->ev_i[k] = (int32_t)it;
	c->ev_t[k] = (uint8_t)t;
	if (c->has_ts)
		c->ev_ts[k] = ts;
	if (c->has_value)
		c->ev_val[k] = val;
	if ((k & 0xfffff) == 0 && kith_interrupted()) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_INTERRUPTED,
		            "interrupted");
		return FALSE;
	}
	return TRUE;
}

/* ------------------------------------------------------ parallel reader */

struct chunk {
	const char *s, *e;          /* bytes [s, e), whole lines */
	int64_t lines;              /* line feeds in [s, e) */
	int64_t ev0;                /* first slot in the event arrays */
	int64_t line0;              /* physical line number of s */
	int thread;
	gboolean done;              /* parsed (else skipped) */
	const char *stop;           /* first line not parsed, or NULL */
	int64_t n_ok;               /* rows parsed */
	int64_t u0, u1, i0, i1, t0, t1;   /* local ids first seen here */
};

struct tstate {
	struct kith_idmap *u, *i, *t;
	int32_t *ru, *ri, *rt;      /* local -> global */
	const char *tname[MAX_EVENT_TYPES];  /* local event types */
	size_t tlen[MAX_EVENT_TYPES];
	int n_types;
};

struct fast {
	struct ingest_ctx *c;
	const struct ev_state *e;
	const unsigned char *end;   /* end of the mapping */
	uint64_t rsep, rquote;      /* the separator and '"' in every byte */
	unsigned char cls[256];     /* 1: stops the scan of a field */
	char sep;
	char comment;
	size_t max_line;
	int ncol;
};

/* Seconds of a timestamp field: plain digits below 1e10 directly, else
 * through kith_parse_timestamp(); FALSE when that rejects it. */
static inline gboolean
fast_ts(const char *s, size_t n, int64_t *out)
{
	if (n >= 1 && n <= 10) {
		int64_t v = 0;
		size_t i;
		for (i = 0; i < n; i++) {
			unsigned d = (unsigned char)s[i] - '0';
			if (d > 9)
				break;
			v = v * 10 + d;
		}
		if (i == n) {
			*out = v;
			return TRUE;
		}
	}
	return kith_parse_timestamp(s, n, out) == KITH_CSV_OK;
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
#define HAS_ZERO(v) (((v) - ONES) & ~(v) & HIGHS)

/* First byte at or after p that stops an unquoted field (separator, CR,
 * LF, quote, NUL or >= 0x80).  Every line of the region ends with LF, so
 * this stops.
 *
 * With SSE2 the bytes are classified 64 at a time into a bit mask (bit k:
 * byte B + k stops a field), kept in the scanner *S across calls, so that
 * the next stop is a shift and a count of trailing zeros while p stays in
 * the window; the last bytes of the mapping (less than 64) go through the
 * byte table.  Without SSE2: eight bytes at a time (the lowest flagged
 * byte of HAS_ZERO is exact), then the byte table. */
struct scanner {
	const unsigned char *B;     /* window start, or NULL */
	uint64_t M;                 /* stop bits of B[0..63] */
};

#ifdef KITH_SSE2
static inline uint64_t
stop_mask64(const struct fast *F, const unsigned char *p)
{
	const __m128i sep = _mm_set1_epi8((char)F->sep);
	const __m128i quote = _mm_set1_epi8((char)(F->rquote & 0xff));
	const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
	const __m128i zero = _mm_setzero_si128();
	uint64_t m = 0;
	for (int k = 0; k < 4; k++) {
		__m128i x = _mm_loadu_si128((const __m128i *)(p + 16 * k));
		__m128i e = _mm_or_si128(
		        _mm_or_si128(_mm_cmpeq_epi8(x, sep),
		                     _mm_cmpeq_epi8(x, lf)),
		        _mm_or_si128(_mm_cmpeq_epi8(x, cr),
		                     _mm_or_si128(_mm_cmpeq_epi8(x, quote),
		                                  _mm_cmpeq_epi8(x, zero))));
		/* movemask takes the top bit: set by a match or a byte >= 0x80 */
		e = _mm_or_si128(e, x);
		m |= (uint64_t)(uint16_t)_mm_movemask_epi8(e) << (16 * k);
	}
	return m;
}
#endif

static inline const unsigned char *
scan_field(const struct fast *F, struct scanner *S, const unsigned char *p)
{
#ifdef KITH_SSE2
	for (;;) {
		if (S->B && p >= S->B && p < S->B + 64) {
			uint64_t m = S->M >> (p - S->B);
			if (m)
				return p + __builtin_ctzll(m);
			p = S->B + 64;
		}
		if (p + 64 > F->end)
			break;
		S->B = p;
		S->M = stop_mask64(F, p);
	}
#elif G_BYTE_ORDER == G_LITTLE_ENDIAN
	(void)S;
	while (p + 8 <= F->end) {
		uint64_t w;
		memcpy(&w, p, 8);
		uint64_t m = HAS_ZERO(w ^ F->rsep) | HAS_ZERO(w ^ ('\n' * ONES)) |
		             HAS_ZERO(w ^ ('\r' * ONES)) | HAS_ZERO(w ^ F->rquote) |
		             HAS_ZERO(w) | (w & HIGHS);
		if (m)
			return p + (__builtin_ctzll(m) >> 3);
		p += 8;
	}
#else
	(void)S;
#endif
	while (!F->cls[*p])
		p++;
	return p;
}

/* A value field: [-+]digits[.digits] with at most 15 digits is mantissa /
 * 10^k, exactly what kith_parse_float() computes for it; anything else
 * goes through kith_parse_float().  FALSE when that rejects it. */
static inline gboolean
fast_float(const char *s, size_t n, float *out)
{
	static const double p10[16] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
		1e12, 1e13, 1e14, 1e15,
	};
	size_t i = 0;
	gboolean neg = FALSE;
	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	uint64_t m = 0;
	int nd = 0, frac = -1;
	for (; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d <= 9) {
			m = m * 10 + d;
			nd++;
			if (frac >= 0)
				frac++;
		} else if (s[i] == '.' && frac < 0) {
			frac = 0;
		} else {
			break;
		}
	}
	if (i == n && nd > 0 && nd <= 15) {
		double v = (double)m;
		if (frac > 0)
			v /= p10[frac];
		*out = (float)(neg ? -v : v);
		return TRUE;
	}
	return kith_parse_float(s, n, out) == KITH_CSV_OK;
}

/* A row of a chunk that parse_row() accepted and parse_chunk() has yet to
 * insert: its ids prepared (hashed, their slots prefetched). */
struct pending {
	const unsigned char *ls;    /* line start */
	struct kith_idkey u, i;
	const char *tname;          /* an event type new to the thread */
	size_t tlen;
	int t;                      /* else its local index */
	int64_t ts;
	float val;
};

/* Rows parsed ahead of their insertion: enough to cover the latency of
 * their id lookups' cache misses, few enough to stay in L1. */
#define PIPELINE 16

/* Parses the line at *pp into *r (moving *pp past it) and prepares its
 * ids; FALSE, *pp unchanged, when the line is not plain. */
static inline gboolean
parse_row(const struct fast *F, struct scanner *S, const struct tstate *T,
          const unsigned char **pp, struct pending *r)
{
	const struct ev_state *e = F->e;
	const int cu = e->cu, ci = e->ci, ce = e->ce, ct = e->ct, cv = e->cv;
	const unsigned char *p = *pp, *ls = p, *raw_end;
	const char *fs[MAX_FAST_COLUMNS];
	size_t fl[MAX_FAST_COLUMNS];
	gboolean high = FALSE;
	int j = 0;
	if (*p == '\n' || (*p == '\r' && p[1] == '\n') ||
	    (F->comment && *p == (unsigned char)F->comment))
		return FALSE;
	for (;;) {
		const unsigned char *f0 = p;
scan:
		p = scan_field(F, S, p);
		if (*p >= 0x80) {
			high = TRUE;
			p++;
			goto scan;
		}
		if (j < MAX_FAST_COLUMNS) {
			fs[j] = (const char *)f0;
			fl[j] = (size_t)(p - f0);
		}
		if (*p == (unsigned char)F->sep) {
			j++;
			p++;
			continue;
		}
		if (*p == '\n') {
			raw_end = p;
			p++;
			break;
		}
		if (*p == '\r' && p[1] == '\n') {
			raw_end = p;
			p += 2;
			break;
		}
		return FALSE;       /* quote, NUL, lone CR */
	}
	if (j + 1 != F->ncol || (size_t)(raw_end - ls) > F->max_line ||
	    (high && !g_utf8_validate_len((const char *)ls,
	                                  (gsize)(raw_end - ls), NULL)))
		return FALSE;
	if (fl[cu] == 0 || fl[ci] == 0)
		return FALSE;
	r->ts = 0;
	r->val = 0;
	if (ct >= 0 && !fast_ts(fs[ct], fl[ct], &r->ts))
		return FALSE;
	if (cv >= 0 && (!fast_float(fs[cv], fl[cv], &r->val) ||
	                (r->val < 0 && !F->c->opt->allow_negative)))
		return FALSE;
	r->t = 0;
	r->tname = NULL;
	if (ce >= 0) {
		size_t n = fl[ce];
		if (n == 0)
			return FALSE;
		/* the few types seen so far, compared in place */
		r->t = -1;
		for (int x = 0; x < T->n_types && r->t < 0; x++) {
			if (T->tlen[x] != n)
				continue;
			size_t b = 0;
			while (b < n && T->tname[x][b] == fs[ce][b])
				b++;
			if (b == n)
				r->t = x;
		}
		if (r->t < 0) {
			r->tname = fs[ce];
			r->tlen = n;
		}
	}
	kith_idmap_prepare(T->u, fs[cu], fl[cu], &r->u);
	kith_idmap_prepare(T->i, fs[ci], fl[ci], &r->i);
	r->ls = ls;
	*pp = p;
	return TRUE;
}

/* Local index of the event type of r: the index it has, or will have
 * when parse_chunk() adds it (n_types), or -1 when the thread has
 * MAX_EVENT_TYPES types already. */
static int
find_type(const struct tstate *T, const struct pending *r)
{
	if (!r->tname)
		return r->t;
	for (int x = 0; x < T->n_types; x++)
		if (T->tlen[x] == r->tlen &&
		    memcmp(T->tname[x], r->tname, r->tlen) == 0)
			return x;
	return T->n_types < MAX_EVENT_TYPES ? T->n_types : -1;
}

/*
 * Parses one chunk with the thread's maps into its event slots; stops at
 * the first line that is not plain.  Rows are parsed PIPELINE at a time
 * (their ids hashed and the slots prefetched), then inserted in order, so
 * that the maps receive the ids in file order as a row-by-row loop would.
 */
static void
parse_chunk(const struct fast *F, struct chunk *ch, struct tstate *T)
{
	struct ingest_ctx *c = F->c;
	const unsigned char *p = (const unsigned char *)ch->s;
	const unsigned char *end = (const unsigned char *)ch->e;
	int32_t *ev_u = c->ev_u + ch->ev0, *ev_i = c->ev_i + ch->ev0;
	uint8_t *ev_t = c->ev_t + ch->ev0;
	int64_t *ev_ts = c->ev_ts ? c->ev_ts + ch->ev0 : NULL;
	float *ev_val = c->ev_val ? c->ev_val + ch->ev0 : NULL;
	int64_t k = 0, u_trim = -1;
	struct scanner S = { NULL, 0 };
	struct pending pend[PIPELINE];

	ch->u0 = kith_idmap_size(T->u);
	ch->i0 = kith_idmap_size(T->i);
	ch->t0 = kith_idmap_size(T->t);
	ch->stop = NULL;
	while (p < end && !ch->stop) {
		int np = 0;
		while (np < PIPELINE && p < end) {
			if (!parse_row(F, &S, T, &p, &pend[np])) {
				ch->stop = (const char *)p;
				break;
			}
			np++;
		}
		/* inserts last, so that a stopped row leaves no id behind */
		for (int x = 0; x < np; x++) {
			const struct pending *r = &pend[x];
			int t = find_type(T, r);
			if (t < 0) {
				ch->stop = (const char *)r->ls;
				break;
			}
			int64_t nu = kith_idmap_size(T->u);
			int64_t u = kith_idmap_add_key(T->u, &r->u, NULL);
			if (u < 0) {
				ch->stop = (const char *)r->ls;
				break;
			}
			int64_t it = kith_idmap_add_key(T->i, &r->i, NULL);
			if (it < 0) {
				u_trim = nu;
				ch->stop = (const char *)r->ls;
				break;
			}
			if (r->tname && t == T->n_types) {
				t = (int)kith_idmap_add(T->t, r->tname, r->tlen,
				                        NULL);
				T->tname[t] = kith_idmap_key(T->t, t);
				T->tlen[t] = r->tlen;
				T->n_types = t + 1;
			}
			ev_u[k] = (int32_t)u;
			ev_i[k] = (int32_t)it;
			ev_t[k] = (uint8_t)t;
			if (ev_ts)
				ev_ts[k] = r->ts;
			if (ev_val)
				ev_val[k] = r->val;
			k++;
		}
	}
	ch->n_ok = k;
	ch->u1 = kith_idmap_size(T->u);
	ch->i1 = kith_idmap_size(T->i);
	ch->t1 = kith_idmap_size(T->t);
	if (u_trim >= 0)
		ch->u1 = u_trim;    /* the stopped row's user is not in */
}

/* Maps local ids [a, b) of map L into G, PIPELINE keys at a time
 * (prepared, then added in order); FALSE when G is full. */
static gboolean
merge_ids(struct kith_idmap *G, const struct kith_idmap *L, int32_t *remap,
          int64_t a, int64_t b)
{
	struct kith_idkey key[PIPELINE];
	for (int64_t x = a; x < b; x += PIPELINE) {
		int n = b - x < PIPELINE ? (int)(b - x) : PIPELINE;
		for (int j = 0; j < n; j++)
			kith_idmap_prepare(G, kith_idmap_key(L, x + j),
			                   kith_idmap_key_len(L, x + j), &key[j]);
		for (int j = 0; j < n; j++) {
			int64_t g = kith_idmap_add_key(G, &key[j], NULL);
			if (g < 0)
				return FALSE;
			remap[x + j] = (int32_t)g;
		}
	}
	return TRUE;
}

static int32_t *
remap_room(int32_t *r, int64_t n)
{
	return g_renew(int32_t, r, (gsize)(n > 0 ? n : 1));
}

/*
 * Reads the events file from byte OFFSET (line LINE; the reader R has
 * returned the records before it, or OFFSET starts the part of a rank)
 * to byte END with the parallel reader.  On return *cut is the offset
 * where the serial reader must resume (== END when everything was
 * read) and *cut_line its line; *st receives the counts of the lines
 * read here.
 */
static gboolean
fast_events(struct ev_state *e, struct kith_csv *r, int fd, int64_t size,
            int64_t offset, int64_t line, int64_t end, int64_t *cut,
            int64_t *cut_line, struct kith_csv_stats *st, GError **error)
{
	struct ingest_ctx *c = e->c;
	const struct kith_csv_options *co = kith_csv_options(r);
	struct fast F = { 0 };
	gboolean ok = FALSE;

	*cut = offset;
	*cut_line = line;
	memset(st, 0, sizeof *st);
	char *map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return TRUE;            /* the serial reader will do */
	madvise(map, (size_t)size, MADV_WILLNEED);
	/* only whole lines: a last line without a line end stays serial */
	const char *lo = map + offset, *hi = map + end;
	while (hi > lo && hi[-1] != '\n')
		hi--;
	if (hi == lo) {
		munmap(map, (size_t)size);
		return TRUE;
	}

	F.c = c;
	F.e = e;
	F.sep = co->sep;
	F.comment = co->comment;
	F.max_line = co->max_line_bytes;
	F.ncol = kith_csv_n_columns(r);
	F.end = (const unsigned char *)map + size;
	F.rsep = (unsigned char)F.sep * ONES;
	F.rquote = (co->no_quotes ? '\n' : '"') * ONES;
	F.cls['\n'] = F.cls['\r'] = F.cls[0] = 1;
	F.cls[(unsigned char)F.sep] = 1;
	if (!co->no_quotes)
		F.cls['"'] = 1;
	for (int b = 0x80; b < 256; b++)
		F.cls[b] = 1;

	int64_t want = c->opt->chunk_bytes > 0 ? c->opt->chunk_bytes
	                                       : DEFAULT_CHUNK;
	int64_t span = hi - lo;
	int64_t nch = (span + want - 1) / want;
	struct chunk *ch = g_new0(struct chunk, nch);
	int64_t n = 0;
	for (const char *s = lo; s < hi; n++) {
		const char *t = span - (s - lo) > want ? s + want : hi;
		if (t < hi) {
			const char *q = memchr(t - 1, '\n', (size_t)(hi - t + 1));
			t = q ? q + 1 : hi;
		}
		ch[n].s = s;
		ch[n].e = t;
		s = t;
	}
	nch = n;
	#pragma omp parallel for schedule(dynamic, 1)
	for (int64_t k = 0; k < nch; k++)
		ch[k].lines = ingest_count_lf(ch[k].s, ch[k].e);
	int64_t total = 0;
	for (int64_t k = 0; k < nch; k++) {
		ch[k].ev0 = c->n_ev + total;
		ch[k].line0 = line + total;
		total += ch[k].lines;
	}
	if (c->n_ev + total > (int64_t)UINT32_MAX ||
	    !grow_events(c, c->n_ev + total, error)) {
		/* too many events: let the serial reader say so */
		g_clear_error(error);
		g_free(ch);
		munmap(map, (size_t)size);
		return TRUE;
	}

	int nth = kith_get_threads();
	if (nth < 1)
		nth = 1;
	struct tstate *T = g_new0(struct tstate, nth);
	/* ids of the kind the first rows had: room for a share of the
	 * lines, so that the maps skip their small tables */
	int64_t guess = MIN(total / 8, THREAD_IDS);
	for (int t = 0; t < nth; t++) {
		T[t].u = kith_idmap_new();
		T[t].i = kith_idmap_new();
		T[t].t = kith_idmap_new();
		kith_idmap_reserve(T[t].u, guess, c->users);
		kith_idmap_reserve(T[t].i, guess, c->items);
	}
	int64_t next = 0, first_stop = nch;
	gboolean interrupted = FALSE;
	#pragma omp parallel num_threads(nth)
	{
		int tid = 0;
#ifdef _OPENMP
		tid = omp_get_thread_num();
#endif
		for (;;) {
			int64_t k, fs;
			#pragma omp atomic capture
			k = next++;
			#pragma omp atomic read
			fs = first_stop;
			if (k >= nch || k > fs)
				break;
			if (kith_interrupted()) {
				#pragma omp atomic write
				interrupted = TRUE;
				break;
			}
			ch[k].thread = tid;
			parse_chunk(&F, &ch[k], &T[tid]);
			ch[k].done = TRUE;
			if (ch[k].stop) {
				#pragma omp critical(kith_ingest_stop)
				{
					if (k < first_stop) {
						#pragma omp atomic write
						first_stop = k;
					}
				}
			}
		}
	}
	if (interrupted) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_INTERRUPTED,
		            "interrupted");
		goto out;
	}

	/* merge the ids in chunk order, up to the first stop */
	for (int t = 0; t < nth; t++) {
		T[t].ru = remap_room(NULL, kith_idmap_size(T[t].u));
		T[t].ri = remap_room(NULL, kith_idmap_size(T[t].i));
		T[t].rt = remap_room(NULL, kith_idmap_size(T[t].t));
	}
	int64_t last = first_stop < nch ? first_stop : nch - 1;
	for (int64_t k = 0; k <= last; k++) {
		struct tstate *S = &T[ch[k].thread];
		g_assert(ch[k].done);
		for (int64_t x = ch[k].t0; x < ch[k].t1; x++) {
			int g = event_type(c, e->f, kith_idmap_key(S->t, x),
			                   kith_idmap_key_len(S->t, x), error);
			if (g < 0)
				goto out;
			S->rt[x] = g;
		}
	}
	/* users and items: two maps, each filled in chunk order by a thread,
	 * sized for the largest thread's ids */
	int mu = 0, mi = 0;
	for (int t = 1; t < nth; t++) {
		if (kith_idmap_size(T[t].u) > kith_idmap_size(T[mu].u))
			mu = t;
		if (kith_idmap_size(T[t].i) > kith_idmap_size(T[mi].i))
			mi = t;
	}
	kith_idmap_reserve(c->users, kith_idmap_size(c->users) +
	                   kith_idmap_size(T[mu].u), T[mu].u);
	kith_idmap_reserve(c->items, kith_idmap_size(c->items) +
	                   kith_idmap_size(T[mi].i), T[mi].i);
	gboolean full_u = FALSE, full_i = FALSE;
	#pragma omp parallel sections num_threads(nth > 1 ? 2 : 1)
	{
		#pragma omp section
		for (int64_t k = 0; k <= last && !full_u; k++) {
			struct tstate *S = &T[ch[k].thread];
			full_u = !merge_ids(c->users, S->u, S->ru, ch[k].u0,
			                    ch[k].u1);
		}
		#pragma omp section
		for (int64_t k = 0; k <= last && !full_i; k++) {
			struct tstate *S = &T[ch[k].thread];
			full_i = !merge_ids(c->items, S->i, S->ri, ch[k].i0,
			                    ch[k].i1);
		}
	}
	if (full_u || full_i) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "%s: more than 2^31-1 %s", e->f->path,
		            full_u ? "users" : "items");
		goto out;
	}
	gboolean has_event = c->has_event;
	#pragma omp parallel for schedule(dynamic, 1)
	for (int64_t k = 0; k <= last; k++) {
		const struct chunk *h = &ch[k];
		const struct tstate *S = &T[h->thread];
		int32_t *u = c->ev_u + h->ev0, *it = c->ev_i + h->ev0;
		uint8_t *ty = c->ev_t + h->ev0;
		for (int64_t j = 0; j < h->n_ok; j++) {
			u[j] = S->ru[u[j]];
			it[j] = S->ri[it[j]];
			if (has_event)
				ty[j] = (uint8_t)S->rt[ty[j]];
		}
	}
	for (int64_t k = 0; k <= last; k++) {
		c->n_ev += ch[k].n_ok;
		c->n_records += ch[k].n_ok;
		st->records_ok += ch[k].n_ok;
		st->lines += ch[k].n_ok;
		st->physical_lines += ch[k].n_ok;
	}
	const struct chunk *h = &ch[last];
	*cut = h->stop ? h->stop - map : h->e - map;
	*cut_line = h->line0 + h->n_ok;
	ok = TRUE;
out:
	for (int t = 0; t < nth; t++) {
		kith_idmap_free(T[t].u);
		kith_idmap_free(T[t].i);
		kith_idmap_free(T[t].t);
		g_free(T[t].ru);
		g_free(T[t].ri);
		g_free(T[t].rt);
	}
	g_free(T);
	g_free(ch);
	munmap(map, (size_t)size);
	return ok;
}

/* ------------------------------------------------------------ the file */


/* The events file while it is read: the first reader (the header, the
 * records before the parallel reader), the statistics of the readers
 * done with, and the file's descriptor when it can be mapped. */
struct ingest_events {
	struct ingest_ctx *c;
	struct ev_state e;
	struct ingest_file_read fr;
	int fd;                 /* kith_input_map_fd(), or -1 */
	int64_t size;
};

static void events_free(void *p);

static void *
events_open(struct ingest_ctx *c, GError **error)
{
	const struct kith_ingest_options *o = c->opt;
	struct kith_csv_options copt = o->csv;
	struct ingest_events *ev = g_new0(struct ingest_events, 1);
	struct ev_state *e = &ev->e;
	ev->c = c;
	ev->fd = -1;
	e->c = c;
	e->spec = o->columns;
	e->cu = e->ci = e->ce = e->ct = e->cv = -1;
	if (c->preset_movielens) {
		copt.sep = '\t';
		copt.header = KITH_CSV_HEADER_NO;
		if (!e->spec)
			e->spec = "user,item,value,ts";
	}
	ev->fr.c = c;
	ev->fr.r = ingest_open(c, "events", o->events, &copt, &e->f, error);
	ev->fr.f = e->f;
	if (!ev->fr.r)
		goto fail;
	if (e->spec) {
		if (!kith_csv_roles_from_spec(&e->ro, e->spec,
		                              kith_csv_n_columns(ev->fr.r), error))
			goto fail;
		e->have_roles = TRUE;
	} else if (kith_csv_has_header(ev->fr.r)) {
		const char *const *h = kith_csv_header_names(ev->fr.r);
		kith_csv_roles_from_header(&e->ro, h,
		                           (int)g_strv_length((char **)h));
		e->have_roles = TRUE;
	}
	c->last_type = -1;
	ev->fd = kith_input_map_fd(kith_csv_input(ev->fr.r), &ev->size);
	if (ev->size <= 0)
		ev->fd = -1;
	return ev;
fail:
	events_free(ev);
	return NULL;
}

static void
events_free(void *p)
{
	struct ingest_events *ev = p;
	if (!ev)
		return;
	kith_csv_close(ev->fr.r);
	g_free(ev);
}

/* TRUE when the parallel reader may read the rest: an uncompressed,
 * untranscoded regular file, the roles fixed, few enough columns. */
static gboolean
fast_ok(const struct ingest_events *ev)
{
	const struct ev_state *e = &ev->e;
	return ev->fd >= 0 && ev->c->opt->chunk_bytes >= 0 &&
	       !kith_csv_options(ev->fr.r)->latin1 && e->cu >= 0 &&
	       kith_csv_n_columns(ev->fr.r) <= MAX_FAST_COLUMNS &&
	       e->need <= kith_csv_n_columns(ev->fr.r);
}

/* Without SPLIT: until the parallel reader can take over. */
static int
events_prefix(void *p, gboolean split, int64_t *off, int64_t *line,
              GError **error)
{
	struct ingest_events *ev = p;
	struct ingest_ctx *c = ev->c;
	struct kith_csv_record rec;
	int rc;
	ev->fr.prefixed = TRUE;
	while ((rc = ingest_next(c, ev->e.f, ev->fr.r, &rec, error)) > 0) {
		if (!ev_record(&ev->e, &rec, error))
			return -1;
		if (split ? ev->fd < 0 || ev->e.cu < 0 : !fast_ok(ev))
			continue;
		*off = kith_csv_tell(ev->fr.r, line);
		if (*off < ev->size) {
			ev->fr.split = TRUE;
			return 1;
		}
	}
	return rc < 0 ? -1 : 0;
}

static gboolean
ev_record_fn(void *data, const struct kith_csv_record *rec, GError **error)
{
	return ev_record(data, rec, error);
}

/* In parallel, then serially from the first line the parallel reader
 * left. */
static gboolean
events_range(void *p, int64_t lo, int64_t line, int64_t hi, GError **error)
{
	struct ingest_events *ev = p;
	struct ingest_ctx *c = ev->c;
	struct kith_csv_stats fst = { 0 };
	int64_t cut = lo, cut_line = line;
	if (fast_ok(ev) &&
	    !fast_events(&ev->e, ev->fr.r, ev->fd, ev->size, lo, line, hi, &cut,
	                 &cut_line, &fst, error))
		return FALSE;
	ingest_add_stats(&ev->fr.st, &fst);
	ev->fr.split = TRUE;
	if (cut >= hi)
		return TRUE;
	return ingest_read_range(c, ev->e.f, ev->fr.r, cut, cut_line, hi,
	                         ev_record_fn, &ev->e, &ev->fr.st, error);
}

static struct ingest_file_read *
events_read(void *p)
{
	struct ingest_events *ev = p;
	return &ev->fr;
}

/* roles: the columns (user, item, event, ts, value), the columns
 * needed, and which of ts, value, event the file has */
static void
events_roles(void *p, int32_t *out)
{
	const struct ingest_events *ev = p;
	const struct ev_state *e = &ev->e;
	memset(out, 0, INGEST_ROLES * sizeof *out);
	out[0] = e->cu;
	out[1] = e->ci;
	out[2] = e->ce;
	out[3] = e->ct;
	out[4] = e->cv;
	out[5] = e->need;
	out[6] = ev->c->has_ts;
	out[7] = ev->c->has_value;
	out[8] = ev->c->has_event;
}

static void
events_set_roles(void *p, const int32_t *in)
{
	struct ingest_events *ev = p;
	struct ev_state *e = &ev->e;
	struct ingest_ctx *c = ev->c;
	e->cu = in[0];
	e->ci = in[1];
	e->ce = in[2];
	e->ct = in[3];
	e->cv = in[4];
	e->need = in[5];
	c->has_ts = in[6];
	c->has_value = in[7];
	c->has_event = in[8];
	if (!c->has_event)
		c->type_weight[0] = 1.0;
}

int
ingest_events_type(void *p, const char *name, size_t len, GError **error)
{
	struct ingest_events *ev = p;
	return event_type(ev->c, ev->e.f, name, len, error);
}

gboolean
ingest_events_room(struct ingest_ctx *c, int64_t n, GError **error)
{
	return n <= c->ev_cap || grow_events(c, n, error);
}

static gboolean
events_close(void *p, const struct kith_csv_stats *st, GError **error)
{
	struct ingest_events *ev = p;
	const struct ev_state *e = &ev->e;
	if (!e->f->mapping)
		e->f->mapping = e->spec || e->have_roles
		                ? kith_csv_roles_describe(&e->ro) : g_strdup("");
	return ingest_file_read_close(&ev->fr, st, error);
}

const struct ingest_part_ops ingest_events_parts = {
	events_open, events_free, events_prefix, events_range, events_read,
	events_roles, events_set_roles, events_close,
};

gboolean
ingest_read_events(struct ingest_ctx *c, GError **error)
{
	struct ingest_events *ev = events_open(c, error);
	if (!ev)
		return FALSE;
	int64_t off = 0, line = 0;
	int rc = events_prefix(ev, FALSE, &off, &line, error);
	gboolean ok = rc >= 0 &&
	              (rc == 0 || events_range(ev, off, line, ev->size, error)) &&
	              events_close(ev, NULL, error);
	events_free(ev);
	return ok;
}

/* ------------------------------------------------------------ seeding */

static gboolean
seed_names(struct kith_idmap *m, char *const *names, int64_t n,
           const char *what, GError **error)
{
	for (int64_t k = 0; k < n; k++) {
		gboolean added = FALSE;
		int64_t x = kith_idmap_add(m, names[k], strlen(names[k]), &added);
		if (x != k || !added) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
			            "the store's %s ids are not distinct (row %"
			            G_GINT64_FORMAT ")", what, k);
			return FALSE;
		}
	}
	return TRUE;
}

/* Seeds the maps and row arrays from opt->base: ids in index order, the
 * event log in its order (so that the stable sort by user of the build
 * keeps every old row where it was), social pairs once each, item
 * categories and user features as COO rows.  O(E + nnz). */
gboolean
ingest_seed(struct ingest_ctx *c, GError **error)
{
	const struct kith_store *b = c->opt->base;
	if (b->n_events > 0 && b->n_log != b->n_events) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "the store has no event log; ingest it again to "
		            "update it");
		return FALSE;
	}
	if (!seed_names(c->users, b->user_ids, b->n_users, "user", error) ||
	    !seed_names(c->items, b->item_ids, b->n_items, "item", error) ||
	    !seed_names(c->types, b->event_type_names, b->n_event_types,
	                "event type", error) ||
	    !seed_names(c->cats, b->category_names, b->n_categories,
	                "category", error) ||
	    !seed_names(c->feats, b->user_feat_names, b->n_user_feats,
	                "feature", error))
		return FALSE;
	if (b->n_event_types > MAX_EVENT_TYPES) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
		            "the store has more than %d event types",
		            MAX_EVENT_TYPES);
		return FALSE;
	}
	for (int64_t t = 0; t < b->n_event_types; t++) {
		double *w = g_hash_table_lookup(c->res->weights,
		                                b->event_type_names[t]);
		c->type_weight[t] = w ? *w : 1.0;
	}
	int64_t n = b->n_log;
	if (n > 0) {
		c->has_event = b->n_event_types > 0;
		c->has_ts = b->ev_ts[0] != INT64_MIN;
		c->has_value = TRUE;
		if (!c->has_event)
			c->type_weight[0] = 1.0;
		if (!grow_events(c, n, error))
			return FALSE;
		for (int64_t k = 0; k < n; k++) {
			c->ev_u[k] = b->ev_user[k];
			c->ev_i[k] = b->ev_item[k];
			c->ev_t[k] = c->has_event ? b->ev_type[k] : 0;
			if (c->has_ts)
				c->ev_ts[k] = b->ev_ts[k];
			c->ev_val[k] = b->ev_value[k];
		}
		c->n_ev = n;
	}
	c->base_ev = n;

	/* social pairs: (a, b) with a < b unless directed */
	for (int64_t a = 0; a < b->uu.n_rows && b->uu.nnz > 0; a++) {
		for (int64_t k = b->uu.indptr[a]; k < b->uu.indptr[a + 1]; k++) {
			int64_t d = b->uu.indices[k];
			if (!b->directed_social && d <= a)
				continue;
			if (c->n_so == c->so_cap) {
				c->so_cap = c->so_cap ? 2 * c->so_cap : 4096;
				c->so_key = g_renew(uint64_t, c->so_key, c->so_cap);
				c->so_w = g_renew(float, c->so_w, c->so_cap);
			}
			c->so_key[c->n_so] = ((uint64_t)a << 32) | (uint64_t)d;
			c->so_w[c->n_so] = b->uu.values ? b->uu.values[k] : 1.0f;
			c->n_so++;
		}
	}
	c->base_so = c->n_so;

	if (b->item_cat.nnz > 0) {
		c->ic_cap = b->item_cat.nnz;
		c->ic_item = g_new(int32_t, c->ic_cap);
		c->ic_cat = g_new(int32_t, c->ic_cap);
		for (int64_t i = 0; i < b->item_cat.n_rows; i++)
			for (int64_t k = b->item_cat.indptr[i];
			     k < b->item_cat.indptr[i + 1]; k++) {
				c->ic_item[c->n_ic] = (int32_t)i;
				c->ic_cat[c->n_ic++] = b->item_cat.indices[k];
			}
	}
	if (b->uf.nnz > 0) {
		c->uf_cap = b->uf.nnz;
		c->uf_u = g_new(int32_t, c->uf_cap);
		c->uf_f = g_new(int32_t, c->uf_cap);
		c->uf_v = g_new(float, c->uf_cap);
		for (int64_t u = 0; u < b->uf.n_rows; u++)
			for (int64_t k = b->uf.indptr[u]; k < b->uf.indptr[u + 1];
			     k++) {
				c->uf_u[c->n_uf] = (int32_t)u;
				c->uf_f[c->n_uf] = b->uf.indices[k];
				c->uf_v[c->n_uf++] = b->uf.values ? b->uf.values[k]
				                                  : 1.0f;
			}
	}
	return TRUE;
}
