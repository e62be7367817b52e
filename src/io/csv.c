/*
 * CSV/TSV tokenizer (see include/kith/csv.h for the contract).
 *
 * The text comes from the input layer (input.h: plain, decompressed or
 * transcoded, from a file or a stream), in blocks of KITH_CSV_BLOCK
 * bytes, into one buffer of max_line_bytes + 2 blocks; a record is
 * tokenized where it lies and its fields copied, unquoted and
 * NUL-terminated, into a record buffer of 2 * max_line_bytes bytes
 * (Latin-1 may double a byte).  When a record runs past the end of the
 * buffered data the remainder is moved to the front, the buffer refilled
 * and the record tokenized again, so each byte is scanned about once.
 * Unquoted fields are scanned with a 256-entry byte-class table.  Cost:
 * O(bytes) time, O(max_line_bytes + block) memory.
 *
 * Recovery: a bad record ends at its line end (outside quotes); an
 * unterminated quote, or a record longer than max_line_bytes, ends at the
 * first physical line end after the record start, and reading resumes on
 * the next physical line.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kith/core.h"
#include "kith/csv.h"
#include "kith/input.h"

#define KITH_CSV_BLOCK ((size_t)4 << 20)
#define EXCERPT_MAX 256

struct kith_csv {
	char *name;
	struct kith_input *in;   /* owned */
	gboolean eof;
	struct kith_csv_options opt;
	size_t max_line;

	char *buf;           /* [0, cap) */
	size_t cap;
	size_t pos;          /* next unread byte */
	size_t end;          /* filled up to */
	int64_t base;        /* file offset of buf[0] */
	int64_t line;        /* physical line number of buf[pos] */

	unsigned char cls[256];

	char *obuf;          /* record fields, NUL-terminated */
	size_t ocap;
	const char **field;
	size_t *flen;
	int fcap;

	char excerpt[EXCERPT_MAX];

	gboolean has_header;
	gboolean header_pending;
	gboolean header_only;     /* next() stops after the header */
	char **header;       /* NULL-terminated */
	int n_columns;
	struct kith_csv_stats st;
};

/* byte classes of the unquoted scan */
enum { C_DATA = 0, C_SEP, C_LF, C_CR, C_QUOTE, C_NUL, C_HIGH };

static const char *const reason_names[KITH_CSV_N_REASONS] = {
	"ok", "wrong_column_count", "unterminated_quote", "stray_quote",
	"invalid_utf8", "embedded_nul", "line_too_long", "empty_field",
	"not_a_number", "overflow", "nan_or_inf", "negative_weight",
	"bad_timestamp", "duplicate_id", "empty_file", "header_only",
};

static const char *const reason_texts[KITH_CSV_N_REASONS] = {
	"ok", "wrong column count", "unterminated quote", "stray quote",
	"invalid UTF-8", "embedded NUL byte", "line too long", "empty field",
	"not a number", "number or id out of range", "NaN or infinity",
	"negative weight", "unparseable timestamp", "duplicate id",
	"empty file", "header but no data",
};

const char *
kith_csv_reason_name(enum kith_csv_reason r)
{
	return (unsigned)r < KITH_CSV_N_REASONS ? reason_names[r] : "unknown";
}

const char *
kith_csv_reason_text(enum kith_csv_reason r)
{
	return (unsigned)r < KITH_CSV_N_REASONS ? reason_texts[r] : "unknown";
}

/* ---------------------------------------------------------------- buffer */

/* Reads more bytes after buf[end]; moves the unread part to the front
 * first.  Returns bytes read (0 at EOF) or -1 with error set. */
static ssize_t
refill(struct kith_csv *r, GError **error)
{
	if (r->eof)
		return 0;
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->end - r->pos);
		r->base += (int64_t)r->pos;
		r->end -= r->pos;
		r->pos = 0;
	}
	size_t room = r->cap - r->end - 1;
	if (room > KITH_CSV_BLOCK)
		room = KITH_CSV_BLOCK;
	size_t got = 0;
	/* a whole block even from a slow stream, so that sniffing and line
	 * limits see the same bytes whatever the kind of file */
	while (got < room) {
		ssize_t n = kith_input_read(r->in, r->buf + r->end + got,
		                            room - got, error);
		if (n < 0)
			return -1;
		if (n == 0) {
			r->eof = TRUE;
			break;
		}
		got += (size_t)n;
	}
	r->end += got;
	r->buf[r->end] = '\0';
	r->st.bytes += (int64_t)got;
	return (ssize_t)got;
}

static void
set_classes(struct kith_csv *r)
{
	memset(r->cls, C_DATA, sizeof r->cls);
	for (int b = 0x80; b < 256; b++)
		r->cls[b] = C_HIGH;
	r->cls['\n'] = C_LF;
	r->cls['\r'] = C_CR;
	r->cls[0] = C_NUL;
	if (!r->opt.no_quotes)
		r->cls['"'] = C_QUOTE;
	r->cls[(unsigned char)r->opt.sep] = C_SEP;
}

static gboolean
grow_fields(struct kith_csv *r, int need)
{
	if (need <= r->fcap)
		return TRUE;
	int n = r->fcap ? r->fcap : 16;
	while (n < need)
		n *= 2;
	r->field = g_renew(const char *, r->field, n);
	r->flen = g_renew(size_t, r->flen, n);
	r->fcap = n;
	return TRUE;
}

/* ------------------------------------------------------------- tokenize */

enum scan_status { SCAN_DONE, SCAN_MORE };

struct scan {
	size_t next;          /* buffer index after the record's line end */
	size_t raw_end;       /* end of the record's bytes (before CR LF) */
	int64_t lf;           /* line feeds consumed */
	enum kith_csv_reason reason;
	gboolean in_quote;    /* ran out of data inside quotes */
	gboolean high;
};

/* Appends a Latin-1 or UTF-8 field segment to the record buffer. */
static inline char *
put_bytes(const struct kith_csv *r, char *o, const char *s, size_t n,
          gboolean high)
{
	if (!(high && r->opt.latin1)) {
		memcpy(o, s, n);
		return o + n;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			*o++ = (char)c;
		} else {
			*o++ = (char)(0xc0 | (c >> 6));
			*o++ = (char)(0x80 | (c & 0x3f));
		}
	}
	return o;
}

/* Tokenizes the record at buf[pos].  SCAN_MORE when the data ends before
 * the record does and the file has more. */
static enum scan_status
scan_record(struct kith_csv *r, struct scan *sc, int *n_fields)
{
	const unsigned char *b = (const unsigned char *)r->buf;
	const unsigned char *cls = r->cls;
	size_t p = r->pos, e = r->end;
	char *o = r->obuf;
	int nf = 0;
	char sep = r->opt.sep;

	memset(sc, 0, sizeof *sc);
	for (;;) {
		/* one field at b[p] */
		size_t fstart;
		char *ostart = o;
		gboolean fhigh = FALSE;
		if (p < e && b[p] == '"' && !r->opt.no_quotes) {
			p++;
			for (;;) {
				const unsigned char *q = memchr(b + p, '"', e - p);
				size_t stop = q ? (size_t)(q - b) : e;
				for (size_t i = p; i < stop; i++) {
					unsigned char c = b[i];
					if (c == '\n')
						sc->lf++;
					else if (c == 0)
						sc->reason = sc->reason ? sc->reason
						                        : KITH_CSV_NUL;
					else if (c >= 0x80)
						fhigh = TRUE;
				}
				o = put_bytes(r, o, (const char *)b + p, stop - p,
				              fhigh);
				if (!q) {
					if (!r->eof)
						return SCAN_MORE;
					sc->in_quote = TRUE;
					sc->reason = KITH_CSV_UNTERMINATED_QUOTE;
					return SCAN_DONE;
				}
				p = stop + 1;
				if (p >= e && !r->eof)
					return SCAN_MORE;
				if (p < e && b[p] == '"') {
					*o++ = '"';
					p++;
					continue;
				}
				break;
			}
			/* after the closing quote: sep, line end or EOF */
			if (p < e && b[p] != (unsigned char)sep && b[p] != '\n' &&
			    !(b[p] == '\r' && (p + 1 >= e || b[p + 1] == '\n'))) {
				if (!sc->reason)
					sc->reason = KITH_CSV_STRAY_QUOTE;
				goto unquoted;
			}
			goto field_end;
		}
unquoted:
		fstart = p;
		for (;;) {
			while (p < e && !cls[b[p]])
				p++;
			if (p >= e)
				break;
			unsigned char k = cls[b[p]];
			if (k == C_SEP || k == C_LF)
				break;
			if (k == C_CR) {
				if (p + 1 >= e && !r->eof)
					return SCAN_MORE;
				if (p + 1 >= e || b[p + 1] == '\n')
					break;
			} else if (k == C_QUOTE) {
				if (!sc->reason)
					sc->reason = KITH_CSV_STRAY_QUOTE;
			} else if (k == C_NUL) {
				if (!sc->reason)
					sc->reason = KITH_CSV_NUL;
			} else if (k == C_HIGH) {
				fhigh = TRUE;
			}
			p++;
		}
		if (p >= e && !r->eof)
			return SCAN_MORE;
		o = put_bytes(r, o, (const char *)b + fstart, p - fstart, fhigh);
field_end:
		if (fhigh)
			sc->high = TRUE;
		*o++ = '\0';
		if (nf >= r->fcap)
			grow_fields(r, nf + 1);
		r->field[nf] = ostart;
		r->flen[nf] = (size_t)(o - ostart - 1);
		nf++;
		if (p >= e) {           /* EOF without a line end */
			sc->raw_end = p;
			sc->next = p;
			break;
		}
		if (b[p] == (unsigned char)sep) {
			p++;
			continue;
		}
		/* line end: "\n" or "\r\n" (a CR alone at EOF ends too) */
		sc->raw_end = p;
		if (b[p] == '\r') {
			if (p + 1 >= e) {
				if (!r->eof)
					return SCAN_MORE;
				sc->next = p + 1;
				break;
			}
			p++;
		}
		p++;
		sc->lf++;
		sc->next = p;
		break;
	}
	*n_fields = nf;
	return SCAN_DONE;
}

/* Index just after the first line feed at or after `from`, or `end`. */
static size_t
after_line(const struct kith_csv *r, size_t from, gboolean *found)
{
	const char *q = memchr(r->buf + from, '\n', r->end - from);
	*found = q != NULL;
	return q ? (size_t)(q - r->buf) + 1 : r->end;
}

static void
fill_excerpt(struct kith_csv *r, struct kith_csv_record *rec, size_t from,
             size_t to)
{
	size_t n = to - from;
	if (n > EXCERPT_MAX)
		n = EXCERPT_MAX;
	memcpy(r->excerpt, r->buf + from, n);
	rec->raw = r->excerpt;
	rec->raw_len = n;
}

/* Ends a record that is too long or unterminated at the first line end
 * after its start, refilling as needed. */
static gboolean
skip_physical_line(struct kith_csv *r, struct kith_csv_record *rec,
                   enum kith_csv_reason reason, GError **error)
{
	gboolean found;
	size_t stop = after_line(r, r->pos, &found);
	size_t raw_stop = found ? stop - 1 : stop;
	if (raw_stop > r->pos && r->buf[raw_stop - 1] == '\r' && found)
		raw_stop--;
	fill_excerpt(r, rec, r->pos, raw_stop);
	rec->reason = reason;
	rec->n_fields = 0;
	rec->n_lines = 1;
	while (!found) {
		r->pos = r->end;
		ssize_t n = refill(r, error);
		if (n < 0)
			return FALSE;
		if (n == 0) {
			stop = r->end;
			break;
		}
		stop = after_line(r, 0, &found);
	}
	r->pos = stop;
	r->line++;
	return TRUE;
}

/* Splits a header record into owned names. */
static void
take_header(struct kith_csv *r, int nf)
{
	r->header = g_new0(char *, nf + 1);
	for (int i = 0; i < nf; i++)
		r->header[i] = g_strndup(r->field[i], r->flen[i]);
	if (r->n_columns == 0)
		r->n_columns = nf;
}

int
kith_csv_next(struct kith_csv *r, struct kith_csv_record *rec,
              GError **error)
{
	for (;;) {
		if (r->pos >= r->end) {
			ssize_t n = refill(r, error);
			if (n < 0)
				return -1;
			if (r->pos >= r->end)
				return 0;
		}
		const char *b = r->buf;
		size_t pos = r->pos;

		rec->line = r->line;
		rec->offset = r->base + (int64_t)pos;
		rec->field = r->field;
		rec->len = r->flen;

		/* blank line or comment */
		if (b[pos] == '\n' ||
		    (b[pos] == '\r' && pos + 1 < r->end && b[pos + 1] == '\n')) {
			r->pos = pos + (b[pos] == '\r' ? 2 : 1);
			r->line++;
			r->st.blank++;
			r->st.lines++;
			r->st.physical_lines++;
			continue;
		}
		if (b[pos] == '\r' && pos + 1 >= r->end && !r->eof) {
			if (refill(r, error) < 0)
				return -1;
			continue;
		}
		if (r->opt.comment && b[pos] == r->opt.comment) {
			gboolean found;
			size_t stop = after_line(r, pos, &found);
			while (!found && !r->eof) {
				r->pos = stop;
				if (refill(r, error) < 0)
					return -1;
				stop = after_line(r, 0, &found);
			}
			r->pos = stop;
			r->line++;
			r->st.comments++;
			r->st.lines++;
			r->st.physical_lines++;
			continue;
		}

		struct scan sc;
		int nf = 0;
		enum scan_status s;
		for (;;) {
			s = scan_record(r, &sc, &nf);
			if (s == SCAN_DONE)
				break;
			if (r->end - r->pos > r->max_line)
				break;
			if (refill(r, error) < 0)
				return -1;
		}
		rec->line = r->line;
		rec->offset = r->base + (int64_t)r->pos;

		if (s == SCAN_MORE || sc.in_quote ||
		    sc.raw_end - r->pos > r->max_line) {
			enum kith_csv_reason why = KITH_CSV_LINE_TOO_LONG;
			if (sc.in_quote)
				why = KITH_CSV_UNTERMINATED_QUOTE;
			else if (s == SCAN_MORE) {
				/* out of room: too long unless the first
				 * physical line is short (open quote) */
				gboolean found;
				size_t stop = after_line(r, r->pos, &found);
				if (found && stop - r->pos <= r->max_line)
					why = KITH_CSV_UNTERMINATED_QUOTE;
			}
			if (!skip_physical_line(r, rec, why, error))
				return -1;
			r->st.records_bad++;
			r->st.lines++;
			r->st.physical_lines++;
			return 1;
		}

		rec->field = r->field;   /* may have grown during the scan */
		rec->len = r->flen;
		rec->raw = r->buf + r->pos;
		rec->raw_len = sc.raw_end - r->pos;
		rec->n_lines = sc.lf ? sc.lf : 1;
		rec->n_fields = nf;
		rec->reason = sc.reason;
		if (!rec->reason && sc.high && !r->opt.latin1 &&
		    !g_utf8_validate_len(rec->raw, rec->raw_len, NULL))
			rec->reason = KITH_CSV_BAD_UTF8;
		/* the excerpt must survive the next refill only until the
		 * next call, which is all the contract promises */
		r->pos = sc.next;
		r->line += rec->n_lines;
		r->st.physical_lines += rec->n_lines;
		r->st.lines++;

		if (r->header_pending) {
			r->header_pending = FALSE;
			r->st.header = 1;
			take_header(r, nf);
			if (r->header_only)
				return 2;
			continue;
		}
		if (!rec->reason) {
			if (r->n_columns == 0)
				r->n_columns = nf;
			else if (nf != r->n_columns)
				rec->reason = KITH_CSV_COLUMNS;
		}
		if (rec->reason) {
			rec->n_fields = rec->reason == KITH_CSV_COLUMNS ? nf : 0;
			r->st.records_bad++;
		} else {
			r->st.records_ok++;
		}
		return 1;
	}
}

/* --------------------------------------------------------------- sniffing */

/* Naive quote-aware split of one line (for sniffing only). */
static GPtrArray *
split_line(const char *s, size_t n, char sep)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	GString *f = g_string_new(NULL);
	gboolean q = FALSE;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '"') {
			if (q && i + 1 < n && s[i + 1] == '"') {
				g_string_append_c(f, '"');
				i++;
			} else {
				q = !q;
			}
		} else if (c == sep && !q) {
			g_ptr_array_add(a, g_string_free(f, FALSE));
			f = g_string_new(NULL);
		} else if (c != '\r' || i + 1 < n) {
			g_string_append_c(f, c);
		}
	}
	g_ptr_array_add(a, g_string_free(f, FALSE));
	return a;
}

static int
count_sep(const char *s, size_t n, char sep)
{
	int k = 0;
	gboolean q = FALSE;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			q = !q;
		else if (s[i] == sep && !q)
			k++;
	}
	return k;
}

static gboolean
is_numeric(const char *s)
{
	double d;
	return kith_parse_double(s, strlen(s), &d) == KITH_CSV_OK;
}

#define SNIFF_LINES 100

static void
sniff(struct kith_csv *r)
{
	const char *lines[SNIFF_LINES];
	size_t lens[SNIFF_LINES];
	int nl = 0;
	size_t p = r->pos;
	while (nl < SNIFF_LINES && p < r->end) {
		const char *q = memchr(r->buf + p, '\n', r->end - p);
		size_t stop = q ? (size_t)(q - r->buf) : r->end;
		if (!q && !r->eof && nl > 0)
			break;          /* partial last line */
		size_t n = stop - p;
		if (n && r->buf[p + n - 1] == '\r')
			n--;
		if (n > 0 && !(r->opt.comment && r->buf[p] == r->opt.comment)) {
			lines[nl] = r->buf + p;
			lens[nl] = n;
			nl++;
		}
		p = q ? stop + 1 : r->end;
	}
	if (!r->opt.sep) {
		static const char cand[] = { '\t', ',', '|', ';' };
		char best = 0;
		int best_k = 0;
		for (int c = 0; c < 4; c++) {
			int k0 = nl ? count_sep(lines[0], lens[0], cand[c]) : 0;
			gboolean same = k0 > 0;
			for (int i = 1; i < nl && same; i++)
				same = count_sep(lines[i], lens[i], cand[c]) == k0;
			if (same && k0 > best_k) {
				best = cand[c];
				best_k = k0;
			}
		}
		if (!best) {
			int64_t best_total = 0;
			for (int c = 0; c < 4; c++) {
				int64_t t = 0;
				for (int i = 0; i < nl; i++)
					t += count_sep(lines[i], lens[i], cand[c]);
				if (t > best_total) {
					best = cand[c];
					best_total = t;
				}
			}
		}
		r->opt.sep = best ? best : ',';
	}
	if (r->opt.header == KITH_CSV_HEADER_AUTO) {
		gboolean hdr = FALSE;
		if (nl > 0) {
			GPtrArray *first = split_line(lines[0], lens[0], r->opt.sep);
			for (guint j = 0; j < first->len && !hdr; j++)
				if (kith_csv_role_from_name(first->pdata[j]) !=
				    KITH_ROLE_SKIP)
					hdr = TRUE;
			if (!hdr && nl > 1) {
				int ncol = (int)first->len;
				gboolean *num = g_new(gboolean, ncol);
				for (int j = 0; j < ncol; j++)
					num[j] = !is_numeric(first->pdata[j]);
				for (int i = 1; i < nl; i++) {
					GPtrArray *f = split_line(lines[i], lens[i],
					                          r->opt.sep);
					for (int j = 0; j < ncol; j++)
						if (j >= (int)f->len ||
						    !is_numeric(f->pdata[j]))
							num[j] = FALSE;
					g_ptr_array_unref(f);
				}
				for (int j = 0; j < ncol; j++)
					hdr = hdr || num[j];
				g_free(num);
			}
			g_ptr_array_unref(first);
		}
		r->opt.header = hdr ? KITH_CSV_HEADER_YES : KITH_CSV_HEADER_NO;
	}
	r->has_header = r->opt.header == KITH_CSV_HEADER_YES;
	r->header_pending = r->has_header;
}

static struct kith_csv *
reader_new(const char *name, const struct kith_csv_options *opt)
{
	struct kith_csv *r = g_new0(struct kith_csv, 1);
	struct kith_csv_options def = KITH_CSV_OPTIONS_INIT;
	r->opt = opt ? *opt : def;
	r->name = g_strdup(name);
	r->max_line = r->opt.max_line_bytes ? r->opt.max_line_bytes
	                                    : KITH_CSV_MAX_LINE_DEFAULT;
	r->opt.max_line_bytes = r->max_line;
	r->n_columns = r->opt.n_columns > 0 ? r->opt.n_columns : 0;
	r->line = 1;
	return r;
}

static gboolean
reader_alloc(struct kith_csv *r, GError **error)
{
	r->cap = r->max_line + 2 * KITH_CSV_BLOCK + 1;
	/* a stream or a big file fills whole blocks of it: on huge pages
	 * (a fault per 2 MiB, not per 4 KiB) */
	int64_t size = kith_input_file_size(r->in);
	r->buf = size < 0 || size >= (int64_t)KITH_CSV_BLOCK
	         ? kith_alloc_huge_n(r->cap, 1, NULL) : g_try_malloc(r->cap);
	r->ocap = 2 * r->max_line + 2 * KITH_CSV_BLOCK + 16;
	r->obuf = g_try_malloc(r->ocap);
	if (!r->buf || !r->obuf) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "cannot allocate the read buffer of '%s'", r->name);
		return FALSE;
	}
	grow_fields(r, 16);
	return TRUE;
}

static gboolean
reader_start(struct kith_csv *r, GError **error)
{
	if (!reader_alloc(r, error))
		return FALSE;
	if (refill(r, error) < 0)
		return FALSE;
	if (r->end >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0)
		r->pos = 3;
	sniff(r);
	set_classes(r);
	if (r->header_pending) {
		/* read the header now so that its names are known at open */
		struct kith_csv_record rec;
		r->header_only = TRUE;
		int rc = kith_csv_next(r, &rec, error);
		r->header_only = FALSE;
		if (rc < 0)
			return FALSE;
	}
	return TRUE;
}

struct kith_csv *
kith_csv_open_input(struct kith_input *in, const struct kith_csv_options *opt,
                    GError **error)
{
	struct kith_csv *r = reader_new(kith_input_name(in), opt);
	r->in = in;
	if (!reader_start(r, error)) {
		kith_csv_close(r);
		return NULL;
	}
	return r;
}

struct kith_csv *
kith_csv_open(const char *path, const struct kith_csv_options *opt,
              GError **error)
{
	struct kith_input *in = kith_input_open(path, 0, error);
	return in ? kith_csv_open_input(in, opt, error) : NULL;
}

struct kith_csv *
kith_csv_open_memory(const char *name, const void *data, size_t len,
                     const struct kith_csv_options *opt, GError **error)
{
	/* a pipe would block for large buffers; use a memfd instead */
	int fd = memfd_create("kith-csv", MFD_CLOEXEC);
	if (fd < 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "memfd_create: %s", g_strerror(errno));
		return NULL;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, (const char *)data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
			            "memfd write: %s", g_strerror(errno));
			close(fd);
			return NULL;
		}
		done += (size_t)n;
	}
	lseek(fd, 0, SEEK_SET);
	struct kith_input *in = kith_input_open_fd(fd, name, TRUE, 0, error);
	return in ? kith_csv_open_input(in, opt, error) : NULL;
}

struct kith_csv *
kith_csv_open_at(const struct kith_csv *from, int64_t offset, int64_t line,
                 int64_t end, GError **error)
{
	struct kith_input *in = kith_input_open_at(from->in, offset, end, error);
	if (!in)
		return NULL;
	struct kith_csv *r = reader_new(from->name, &from->opt);
	r->in = in;
	r->max_line = from->max_line;
	r->opt.max_line_bytes = from->max_line;
	r->n_columns = from->n_columns;
	r->has_header = from->has_header;
	r->header = g_strdupv(from->header);
	r->base = offset;
	r->line = line;
	if (!reader_alloc(r, error)) {
		kith_csv_close(r);
		return NULL;
	}
	set_classes(r);
	return r;
}

struct kith_input *
kith_csv_input(const struct kith_csv *r)
{
	return r->in;
}

int64_t
kith_csv_tell(const struct kith_csv *r, int64_t *line)
{
	if (line)
		*line = r->line;
	return r->base + (int64_t)r->pos;
}

const struct kith_csv_options *
kith_csv_options(const struct kith_csv *r)
{
	return &r->opt;
}

void
kith_csv_close(struct kith_csv *r)
{
	if (!r)
		return;
	kith_input_close(r->in);
	g_free(r->buf);
	g_free(r->obuf);
	g_free(r->field);
	g_free(r->flen);
	g_strfreev(r->header);
	g_free(r->name);
	g_free(r);
}

char
kith_csv_sep(const struct kith_csv *r)
{
	return r->opt.sep;
}

gboolean
kith_csv_has_header(const struct kith_csv *r)
{
	return r->has_header;
}

const char *const *
kith_csv_header_names(const struct kith_csv *r)
{
	return (const char *const *)r->header;
}

int
kith_csv_column(const struct kith_csv *r, const char *name)
{
	for (int i = 0; r->header && r->header[i]; i++)
		if (strcmp(r->header[i], name) == 0)
			return i;
	return -1;
}

int
kith_csv_n_columns(const struct kith_csv *r)
{
	return r->n_columns;
}

const char *
kith_csv_name(const struct kith_csv *r)
{
	return r->name;
}

const struct kith_csv_stats *
kith_csv_stats(const struct kith_csv *r)
{
	return &r->st;
}

enum kith_csv_reason
kith_csv_end_reason(const struct kith_csv *r)
{
	if (r->st.records_ok + r->st.records_bad > 0)
		return KITH_CSV_OK;
	return r->st.header ? KITH_CSV_HEADER_ONLY : KITH_CSV_EMPTY_FILE;
}

void
kith_csv_escape(GString *out, const char *raw, size_t len, size_t max)
{
	size_t n = len < max ? len : max;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)raw[i];
		switch (c) {
		case '\t': g_string_append(out, "\\t"); break;
		case '\n': g_string_append(out, "\\n"); break;
		case '\r': g_string_append(out, "\\r"); break;
		case '\\': g_string_append(out, "\\\\"); break;
		default:
			if (c < 0x20 || c >= 0x7f)
				g_string_append_printf(out, "\\x%02x", c);
			else
				g_string_append_c(out, (char)c);
		}
	}
	if (len > max)
		g_string_append(out, "...");
}

/* ------------------------------------------------------------------ roles */

static const char *const role_names[KITH_ROLE_N] = {
	"_", "user", "item", "event", "ts", "value", "src", "dst", "node",
	"feature", "label", "split", "category",
};

static const struct {
	const char *name;
	enum kith_role role;
} aliases[] = {
	{ "user", KITH_ROLE_USER }, { "user_id", KITH_ROLE_USER },
	{ "userid", KITH_ROLE_USER }, { "uid", KITH_ROLE_USER },
	{ "customer_id", KITH_ROLE_USER }, { "customer", KITH_ROLE_USER },
	{ "visitorid", KITH_ROLE_USER },
	{ "item", KITH_ROLE_ITEM }, { "item_id", KITH_ROLE_ITEM },
	{ "itemid", KITH_ROLE_ITEM }, { "movieid", KITH_ROLE_ITEM },
	{ "movie_id", KITH_ROLE_ITEM }, { "product_id", KITH_ROLE_ITEM },
	{ "product", KITH_ROLE_ITEM }, { "artist", KITH_ROLE_ITEM },
	{ "artist_id", KITH_ROLE_ITEM },
	{ "event", KITH_ROLE_EVENT }, { "event_type", KITH_ROLE_EVENT },
	{ "action", KITH_ROLE_EVENT }, { "behavior", KITH_ROLE_EVENT },
	{ "behaviour", KITH_ROLE_EVENT }, { "type", KITH_ROLE_EVENT },
	{ "ts", KITH_ROLE_TS }, { "timestamp", KITH_ROLE_TS },
	{ "time", KITH_ROLE_TS }, { "datetime", KITH_ROLE_TS },
	{ "date", KITH_ROLE_TS },
	{ "value", KITH_ROLE_VALUE }, { "rating", KITH_ROLE_VALUE },
	{ "amount", KITH_ROLE_VALUE }, { "price", KITH_ROLE_VALUE },
	{ "weight", KITH_ROLE_VALUE }, { "count", KITH_ROLE_VALUE },
	{ "src", KITH_ROLE_SRC }, { "source", KITH_ROLE_SRC },
	{ "from", KITH_ROLE_SRC },
	{ "dst", KITH_ROLE_DST }, { "target", KITH_ROLE_DST },
	{ "to", KITH_ROLE_DST }, { "friend", KITH_ROLE_DST },
	{ "node", KITH_ROLE_NODE }, { "node_id", KITH_ROLE_NODE },
	{ "id", KITH_ROLE_NODE },
	{ "feature", KITH_ROLE_FEATURE }, { "feature_id", KITH_ROLE_FEATURE },
	{ "feat", KITH_ROLE_FEATURE },
	{ "label", KITH_ROLE_LABEL }, { "class", KITH_ROLE_LABEL },
	{ "split", KITH_ROLE_SPLIT },
	{ "category", KITH_ROLE_CATEGORY }, { "categories", KITH_ROLE_CATEGORY },
	{ "genre", KITH_ROLE_CATEGORY }, { "genres", KITH_ROLE_CATEGORY },
};

const char *
kith_role_name(enum kith_role role)
{
	return (unsigned)role < KITH_ROLE_N ? role_names[role] : "?";
}

enum kith_role
kith_csv_role_from_name(const char *name)
{
	g_autofree char *t = g_strstrip(g_strdup(name));
	for (size_t i = 0; i < G_N_ELEMENTS(aliases); i++)
		if (g_ascii_strcasecmp(t, aliases[i].name) == 0)
			return aliases[i].role;
	return KITH_ROLE_SKIP;
}

static void
roles_clear(struct kith_csv_roles *out)
{
	for (int i = 0; i < KITH_ROLE_N; i++)
		out->col[i] = -1;
}

gboolean
kith_csv_roles_from_spec(struct kith_csv_roles *out, const char *spec,
                         int n_columns, GError **error)
{
	roles_clear(out);
	g_auto(GStrv) parts = g_strsplit(spec, ",", -1);
	int n = (int)g_strv_length(parts);
	if (n_columns > 0 && n > n_columns) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "--columns '%s' names %d columns but the file has %d",
		            spec, n, n_columns);
		return FALSE;
	}
	for (int i = 0; i < n; i++) {
		char *name = g_strstrip(parts[i]);
		if (strcmp(name, "_") == 0 || strcmp(name, "") == 0)
			continue;
		enum kith_role role = KITH_ROLE_SKIP;
		for (int k = 1; k < KITH_ROLE_N; k++)
			if (g_ascii_strcasecmp(name, role_names[k]) == 0)
				role = (enum kith_role)k;
		if (role == KITH_ROLE_SKIP)
			role = kith_csv_role_from_name(name);
		if (role == KITH_ROLE_SKIP) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "unknown column role '%s' in '%s'", name, spec);
			return FALSE;
		}
		if (out->col[role] >= 0) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
			            "column role '%s' given twice in '%s'",
			            role_names[role], spec);
			return FALSE;
		}
		out->col[role] = i;
	}
	return TRUE;
}

void
kith_csv_roles_from_header(struct kith_csv_roles *out,
                           const char *const *names, int n_names)
{
	roles_clear(out);
	for (int i = 0; i < n_names; i++) {
		enum kith_role role = kith_csv_role_from_name(names[i]);
		if (role != KITH_ROLE_SKIP && out->col[role] < 0)
			out->col[role] = i;
	}
}

char *
kith_csv_roles_describe(const struct kith_csv_roles *roles)
{
	GString *s = g_string_new(NULL);
	for (int k = 1; k < KITH_ROLE_N; k++) {
		if (roles->col[k] < 0)
			continue;
		if (s->len)
			g_string_append_c(s, ',');
		g_string_append_printf(s, "%s=%d", role_names[k], roles->col[k]);
	}
	return g_string_free(s, FALSE);
}

/* ---------------------------------------------------------------- numbers */

static inline void
trim(const char **s, size_t *len)
{
	while (*len && (**s == ' ')) {
		(*s)++;
		(*len)--;
	}
	while (*len && ((*s)[*len - 1] == ' '))
		(*len)--;
}

enum kith_csv_reason
kith_parse_int64(const char *s, size_t len, int64_t *out)
{
	trim(&s, &len);
	if (!len)
		return KITH_CSV_EMPTY_FIELD;
	size_t i = 0;
	gboolean neg = FALSE;
	if (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == len)
		return KITH_CSV_NOT_NUMBER;
	uint64_t v = 0;
	gboolean over = FALSE;
	for (; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9)
			return KITH_CSV_NOT_NUMBER;
		if (v > (UINT64_MAX - d) / 10)
			over = TRUE;
		else
			v = v * 10 + d;
	}
	if (over || v > (uint64_t)INT64_MAX + (neg ? 1 : 0))
		return KITH_CSV_OVERFLOW;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return KITH_CSV_OK;
}

static const double pow10_tab[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

enum kith_csv_reason
kith_parse_double(const char *s, size_t len, double *out)
{
	trim(&s, &len);
	if (!len)
		return KITH_CSV_EMPTY_FIELD;
	/* fast path: [-+]digits[.digits] with <= 15 significant digits is
	 * exact as mantissa / 10^k, which is what strtod returns */
	{
		size_t i = 0;
		gboolean neg = FALSE;
		if (s[0] == '-' || s[0] == '+') {
			neg = s[0] == '-';
			i = 1;
		}
		uint64_t m = 0;
		int nd = 0, frac = -1;
		for (; i < len; i++) {
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
		if (i == len && nd > 0 && nd <= 15) {
			double v = (double)m;
			if (frac > 0)
				v /= pow10_tab[frac];
			*out = neg ? -v : v;
			return KITH_CSV_OK;
		}
	}
	char tmp[128];
	g_autofree char *big = NULL;
	char *z = tmp;
	if (len >= sizeof tmp)
		z = big = g_malloc(len + 1);
	memcpy(z, s, len);
	z[len] = '\0';
	const char *t = z + (z[0] == '-' || z[0] == '+');
	if (g_ascii_strncasecmp(t, "nan", 3) == 0 ||
	    g_ascii_strncasecmp(t, "inf", 3) == 0)
		return KITH_CSV_NAN_INF;
	/* only plain decimal syntax: no hex floats, no spaces inside */
	for (const char *c = z; *c; c++)
		if (!g_ascii_isdigit(*c) && !strchr("+-.eE", *c))
			return KITH_CSV_NOT_NUMBER;
	char *endp;
	errno = 0;
	double v = g_ascii_strtod(z, &endp);
	if (endp == z || *endp)
		return KITH_CSV_NOT_NUMBER;
	if (errno == ERANGE && isinf(v))
		return KITH_CSV_OVERFLOW;
	if (!isfinite(v))
		return KITH_CSV_NAN_INF;
	*out = v;
	return KITH_CSV_OK;
}

enum kith_csv_reason
kith_parse_float(const char *s, size_t len, float *out)
{
	double d;
	enum kith_csv_reason why = kith_parse_double(s, len, &d);
	if (why)
		return why;
	if (fabs(d) > 3.4028234663852886e38)
		return KITH_CSV_OVERFLOW;
	*out = (float)d;
	return KITH_CSV_OK;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static gboolean
digits(const char *s, size_t len, size_t at, int n, int *out)
{
	if (at + (size_t)n > len)
		return FALSE;
	int v = 0;
	for (int i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[at + i] - '0';
		if (d > 9)
			return FALSE;
		v = v * 10 + (int)d;
	}
	*out = v;
	return TRUE;
}

static enum kith_csv_reason
parse_iso(const char *s, size_t len, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0;
	if (!digits(s, len, 0, 4, &y) || len < 10 || s[4] != '-' ||
	    !digits(s, len, 5, 2, &mo) || s[7] != '-' ||
	    !digits(s, len, 8, 2, &d))
		return KITH_CSV_BAD_TIMESTAMP;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	                             30, 31 };
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return KITH_CSV_BAD_TIMESTAMP;
	gboolean leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo == 2 && d == 29 && !leap)
		return KITH_CSV_BAD_TIMESTAMP;
	size_t i = 10;
	int64_t zone = 0;
	if (i < len) {
		if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
			return KITH_CSV_BAD_TIMESTAMP;
		i++;
		if (!digits(s, len, i, 2, &h) || i + 2 >= len ||
		    s[i + 2] != ':' || !digits(s, len, i + 3, 2, &mi))
			return KITH_CSV_BAD_TIMESTAMP;
		i += 5;
		if (i < len && s[i] == ':') {
			if (!digits(s, len, i + 1, 2, &sec))
				return KITH_CSV_BAD_TIMESTAMP;
			i += 3;
			if (i < len && (s[i] == '.' || s[i] == ',')) {
				i++;
				size_t f0 = i;
				while (i < len && g_ascii_isdigit(s[i]))
					i++;
				if (i == f0)
					return KITH_CSV_BAD_TIMESTAMP;
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return KITH_CSV_BAD_TIMESTAMP;
		if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
			i++;
		} else if (i < len && (s[i] == '+' || s[i] == '-')) {
			int zh, zm = 0;
			int sign = s[i] == '-' ? -1 : 1;
			if (!digits(s, len, i + 1, 2, &zh))
				return KITH_CSV_BAD_TIMESTAMP;
			i += 3;
			if (i < len && s[i] == ':')
				i++;
			if (i < len) {
				if (!digits(s, len, i, 2, &zm))
					return KITH_CSV_BAD_TIMESTAMP;
				i += 2;
			}
			if (zh > 23 || zm > 59)
				return KITH_CSV_BAD_TIMESTAMP;
			zone = sign * (zh * 3600 + zm * 60);
		}
		if (i != len)
			return KITH_CSV_BAD_TIMESTAMP;
	}
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	       h * 3600 + mi * 60 + sec - zone;
	return KITH_CSV_OK;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

enum kith_csv_reason
kith_parse_timestamp(const char *s, size_t len, int64_t *out)
{
	trim(&s, &len);
	if (!len)
		return KITH_CSV_EMPTY_FIELD;
	int64_t v;
	enum kith_csv_reason why = kith_parse_int64(s, len, &v);
	if (why == KITH_CSV_OK) {
		uint64_t a = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
		if (a >= 100000000000000000ull)
			v = floor_div(v, 1000000000);
		else if (a >= 100000000000000ull)
			v = floor_div(v, 1000000);
		else if (a >= 100000000000ull)
			v = floor_div(v, 1000);
		*out = v;
		return KITH_CSV_OK;
	}
	if (why == KITH_CSV_OVERFLOW)
		return KITH_CSV_BAD_TIMESTAMP;
	if (len >= 10 && s[4] == '-')
		return parse_iso(s, len, out);
	double d;
	if (kith_parse_double(s, len, &d) == KITH_CSV_OK && fabs(d) < 1e11) {
		*out = (int64_t)floor(d);
		return KITH_CSV_OK;
	}
	return KITH_CSV_BAD_TIMESTAMP;
}
