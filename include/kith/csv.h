/*
 * kith CSV/TSV reader: a streaming record reader for delimited text files
 * (separators ',' '\t' '|' ';'), RFC 4180 quoting, CRLF or LF line ends,
 * UTF-8 BOM, optional comment lines, blank lines, separator and header
 * sniffing; plus the column-role mapper and the strict field parsers
 * (integers, reals, timestamps) shared by ingest, eval and the label
 * readers.
 *
 * The reader reads the file (through the input layer, input.h: any
 * stream, compressed or UTF-16 text) in large blocks and tokenizes in
 * place: a record's fields point into the reader's buffer and stay valid
 * until the next call to kith_csv_next().  Nothing is ever buffered beyond one block
 * plus the longest record (bounded by max_line_bytes).  Cost: O(bytes).
 *
 * Bad records are not errors: kith_csv_next() returns them with a reason
 * code (record.reason != KITH_CSV_OK) so that callers can stop or skip and
 * log them.  Only I/O failures (and broken compressed or UTF-16 data,
 * and interrupts) are GErrors.
 *
 * Typical use:
 *
 *     struct kith_csv_options o = KITH_CSV_OPTIONS_INIT;
 *     struct kith_csv *r = kith_csv_open("events.csv", &o, &err);
 *     struct kith_csv_record rec;
 *     int rc;
 *     while ((rc = kith_csv_next(r, &rec, &err)) > 0) {
 *             if (rec.reason) { ... rec.line, kith_csv_reason_name(rec.reason) }
 *             ... rec.field[i], rec.len[i], i < rec.n_fields ...
 *     }
 *     kith_csv_close(r);
 */
#ifndef KITH_CSV_H
#define KITH_CSV_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "kith/input.h"

G_BEGIN_DECLS

/* Why a record (or a file, or a field) was rejected.  The names returned
 * by kith_csv_reason_name() are stable: they appear in rejects.tsv, the
 * ingest summary and the JSON output. */
enum kith_csv_reason {
	KITH_CSV_OK = 0,
	KITH_CSV_COLUMNS,          /* "wrong_column_count" */
	KITH_CSV_UNTERMINATED_QUOTE, /* "unterminated_quote" */
	KITH_CSV_STRAY_QUOTE,      /* "stray_quote": '"' inside an unquoted
	                              field or after a closing quote */
	KITH_CSV_BAD_UTF8,         /* "invalid_utf8" */
	KITH_CSV_NUL,              /* "embedded_nul" */
	KITH_CSV_LINE_TOO_LONG,    /* "line_too_long" (> max_line_bytes) */
	KITH_CSV_EMPTY_FIELD,      /* "empty_field": a required id or number
	                              is empty */
	KITH_CSV_NOT_NUMBER,       /* "not_a_number" */
	KITH_CSV_OVERFLOW,         /* "overflow": number or id out of range */
	KITH_CSV_NAN_INF,          /* "nan_or_inf" */
	KITH_CSV_NEGATIVE,         /* "negative_weight" */
	KITH_CSV_BAD_TIMESTAMP,    /* "bad_timestamp" */
	KITH_CSV_DUPLICATE_ID,     /* "duplicate_id": a node listed twice in
	                              an attribute file */
	KITH_CSV_EMPTY_FILE,       /* "empty_file": no record at all */
	KITH_CSV_HEADER_ONLY,      /* "header_only": a header and no record */
	KITH_CSV_N_REASONS
};

/* Stable snake_case name ("wrong_column_count") and a short lowercase
 * phrase for messages ("wrong column count"); never NULL. */
const char *kith_csv_reason_name(enum kith_csv_reason r);
const char *kith_csv_reason_text(enum kith_csv_reason r);

enum kith_csv_header {
	KITH_CSV_HEADER_AUTO = 0,  /* sniff (see kith_csv_open()) */
	KITH_CSV_HEADER_YES,
	KITH_CSV_HEADER_NO
};

struct kith_csv_options {
	char sep;                  /* 0: sniff among '\t' ',' '|' ';' */
	enum kith_csv_header header;
	char comment;              /* 0: no comment lines; else lines whose
	                              first byte is this are comments */
	size_t max_line_bytes;     /* 0: KITH_CSV_MAX_LINE_DEFAULT */
	gboolean latin1;           /* input is ISO-8859-1: fields are
	                              converted to UTF-8, never invalid */
	gboolean no_quotes;        /* '"' is an ordinary byte (u.item) */
	int n_columns;             /* 0: the header's (or first record's)
	                              count; > 0: records must have exactly
	                              this many fields */
};

#define KITH_CSV_MAX_LINE_DEFAULT ((size_t)1 << 20)
#define KITH_CSV_OPTIONS_INIT { 0, KITH_CSV_HEADER_AUTO, 0, 0, FALSE, FALSE, 0 }

/* One record.  field[i] points to len[i] bytes (unquoted, "" unescaped,
 * converted to UTF-8 when latin1) followed by a NUL byte; the pointers
 * are borrowed and valid until the next kith_csv_next() or close.  For a
 * bad record (reason != OK) n_fields may be 0 and fields must not be
 * used; raw/raw_len always hold the record's original bytes (without its
 * line end) for excerpts. */
struct kith_csv_record {
	int n_fields;
	const char **field;
	const size_t *len;
	int64_t line;              /* 1-based physical line of the record's
	                              first byte */
	int64_t n_lines;           /* physical lines spanned (>1 only with
	                              quoted newlines) */
	int64_t offset;            /* byte offset of the record in the file
	                              (counting the BOM) */
	enum kith_csv_reason reason;
	const char *raw;
	size_t raw_len;
};

/* Per-file counts, all in logical lines (a record spanning several
 * physical lines through quoted newlines counts once):
 * lines = header + comments + blank + records_ok + records_bad. */
struct kith_csv_stats {
	int64_t lines;
	int64_t header;            /* 0 or 1 */
	int64_t comments;
	int64_t blank;
	int64_t records_ok;
	int64_t records_bad;
	int64_t physical_lines;
	int64_t bytes;
};

struct kith_csv;
typedef struct kith_csv kith_csv;

/* Opens PATH through the input layer (see input.h: "-" is standard
 * input; pipes, FIFOs and other streams, gzip, xz and zstd compression
 * and UTF-16 with a byte order mark are read too) and reads its first
 * block to strip a UTF-8 BOM and to sniff what the options leave open:
 *  - separator: the candidate (tab, comma, pipe, semicolon, in that order
 *    of preference) that splits the first lines (up to 100, quote-aware)
 *    into the same number > 1 of fields; else the most frequent one; else
 *    ',' (one column).
 *  - header (AUTO): yes if a field of the first line is a known column
 *    name (see kith_csv_role_from_name()), or if some column is numeric in
 *    every sampled later line but not in the first line; no otherwise.
 * Lines and offsets are those of the text (decompressed, transcoded).
 * Errors as kith_input_open() and kith_input_read() (KITH_ERROR_IO,
 * KITH_ERROR_DATA for broken compressed or UTF-16 data,
 * KITH_ERROR_INTERRUPTED).  Close with kith_csv_close(). */
struct kith_csv *kith_csv_open(const char *path,
                               const struct kith_csv_options *opt,
                               GError **error);

/* The same over an open input (input.h), which the reader takes in every
 * case (closed with the reader, or at once on failure). */
struct kith_csv *kith_csv_open_input(struct kith_input *in,
                                     const struct kith_csv_options *opt,
                                     GError **error);

/* The same over a memory buffer (copied); NAME is used in messages. */
struct kith_csv *kith_csv_open_memory(const char *name, const void *data,
                                      size_t len,
                                      const struct kith_csv_options *opt,
                                      GError **error);

void kith_csv_close(struct kith_csv *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(kith_csv, kith_csv_close)

/* Reads the next record (comments, blank lines and the header are skipped
 * and counted).  Returns 1 with *rec filled, 0 at end of file, -1 on a
 * read error (KITH_ERROR_IO).  Bad records come back with rec->reason
 * set; the reader resynchronises at the next line. */
int kith_csv_next(struct kith_csv *r, struct kith_csv_record *rec,
                  GError **error);

/* A second reader of FROM's file from byte OFFSET, the start of physical
 * line LINE (a record boundary), to byte END (the file ends there for
 * this reader; END < 0: the end of the file), with everything FROM decided: the
 * separator, header names, column count and options; no BOM check, no
 * sniffing, the header is not read again.  The statistics start at zero
 * and count from OFFSET.  Only when FROM's input is mappable
 * (kith_input_map_fd(): a regular uncompressed file), KITH_ERROR_IO
 * otherwise.  Close with kith_csv_close(). */
struct kith_csv *kith_csv_open_at(const struct kith_csv *from,
                                  int64_t offset, int64_t line, int64_t end,
                                  GError **error);

/* The reader's input (borrowed). */
struct kith_input *kith_csv_input(const struct kith_csv *r);

/* File offset of the next unread record (just after the line end of the
 * last one returned) and, in *line when not NULL, its physical line. */
int64_t kith_csv_tell(const struct kith_csv *r, int64_t *line);

/* The options in force: the separator and header as decided at open,
 * max_line_bytes never 0. */
const struct kith_csv_options *kith_csv_options(const struct kith_csv *r);

/* What the reader decided or was told (valid right after open). */
char kith_csv_sep(const struct kith_csv *r);
gboolean kith_csv_has_header(const struct kith_csv *r);
/* Header field names (NULL-terminated, borrowed) or NULL without header. */
const char *const *kith_csv_header_names(const struct kith_csv *r);
/* The column whose header name is NAME (exact match; the first when
 * several are), or -1 (also without header). */
int kith_csv_column(const struct kith_csv *r, const char *name);
/* Expected fields per record: the header's, or the first record's, or
 * options.n_columns; 0 until known. */
int kith_csv_n_columns(const struct kith_csv *r);
/* Borrowed display name (the path or "stdin"). */
const char *kith_csv_name(const struct kith_csv *r);
const struct kith_csv_stats *kith_csv_stats(const struct kith_csv *r);

/* Whether the file ended with no record at all: KITH_CSV_EMPTY_FILE (no
 * header either) or KITH_CSV_HEADER_ONLY; KITH_CSV_OK otherwise.  Call
 * after kith_csv_next() returned 0. */
enum kith_csv_reason kith_csv_end_reason(const struct kith_csv *r);

/* Appends raw bytes to out escaped for one TSV field: \t \n \r \\ and
 * bytes < 0x20 or >= 0x7f as \xHH, cut after max bytes with "...". */
void kith_csv_escape(GString *out, const char *raw, size_t len, size_t max);

/*
 * Column roles.  A role is what a column means to a reader; header names
 * map to roles case-insensitively through aliases:
 *   user     user user_id userid uid customer_id customer visitorid
 *   item     item item_id itemid movieid movie_id product_id product artist
 *            artist_id
 *   event    event event_type action behavior behaviour type
 *   ts       ts timestamp time datetime date
 *   value    value rating amount price weight count
 *   src      src source from
 *   dst      dst target to friend
 *   node     node node_id id
 *   feature  feature feature_id feat
 *   label    label class
 *   split    split
 *   category category categories genre genres
 */
enum kith_role {
	KITH_ROLE_SKIP = 0,
	KITH_ROLE_USER,
	KITH_ROLE_ITEM,
	KITH_ROLE_EVENT,
	KITH_ROLE_TS,
	KITH_ROLE_VALUE,
	KITH_ROLE_SRC,
	KITH_ROLE_DST,
	KITH_ROLE_NODE,
	KITH_ROLE_FEATURE,
	KITH_ROLE_LABEL,
	KITH_ROLE_SPLIT,
	KITH_ROLE_CATEGORY,
	KITH_ROLE_N
};

/* Role name ("user", ...; "_" for SKIP). */
const char *kith_role_name(enum kith_role role);
/* Role of a header name through the aliases above; SKIP if none. */
enum kith_role kith_csv_role_from_name(const char *name);

/* Column of each role, -1 when absent. */
struct kith_csv_roles {
	int col[KITH_ROLE_N];
};

/* Parses a positional spec "user,item,_,ts" (role names as in
 * kith_role_name() plus the aliases; "_" skips a column; a role may appear
 * once).  Columns past the spec are skipped.  KITH_ERROR_USAGE on an
 * unknown or repeated name, or when the spec has more names than
 * n_columns (n_columns <= 0: not checked). */
gboolean kith_csv_roles_from_spec(struct kith_csv_roles *out,
                                  const char *spec, int n_columns,
                                  GError **error);

/* Maps header names to roles through the aliases (first column wins when
 * two map to the same role).  Never fails; missing roles are -1. */
void kith_csv_roles_from_header(struct kith_csv_roles *out,
                                const char *const *names, int n_names);

/* "user=0,item=1,ts=3" (roles present, in role order); caller frees. */
char *kith_csv_roles_describe(const struct kith_csv_roles *roles);

/*
 * Strict field parsers.  They take a byte range (not necessarily NUL-
 * terminated), accept surrounding ASCII spaces, and return KITH_CSV_OK or
 * the reason: EMPTY_FIELD, NOT_NUMBER, OVERFLOW, NAN_INF, BAD_TIMESTAMP.
 */
enum kith_csv_reason kith_parse_int64(const char *s, size_t len,
                                      int64_t *out);
/* Decimal or scientific notation; "nan", "inf", "infinity" (any case,
 * signed) give NAN_INF; values beyond double range give OVERFLOW. */
enum kith_csv_reason kith_parse_double(const char *s, size_t len,
                                       double *out);
/* The same, also rejecting values that do not fit a finite float. */
enum kith_csv_reason kith_parse_float(const char *s, size_t len, float *out);

/* Timestamps to unix seconds (UTC):
 *   integers: seconds; |v| >= 1e11 milliseconds, >= 1e14 microseconds,
 *             >= 1e17 nanoseconds (converted, rounded toward -inf);
 *   decimals: "1700000000.25" seconds, fraction dropped;
 *   ISO-8601: YYYY-MM-DD, YYYY-MM-DD[T ]HH:MM[:SS[.frac]][Z|+HH[:MM]|-HH[:MM]]
 *             (no zone: UTC).
 * Anything else, or an impossible date, is BAD_TIMESTAMP. */
enum kith_csv_reason kith_parse_timestamp(const char *s, size_t len,
                                          int64_t *out);

G_END_DECLS

#endif
