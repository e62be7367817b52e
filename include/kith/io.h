/*
 * kith I/O: NumPy .npy v1.0 arrays, atomic output folders, checksums and
 * JSON manifests.  Readers never trust their input: every size is checked
 * against the file before use.
 */
#ifndef KITH_IO_H
#define KITH_IO_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>
#include <stdio.h>

G_BEGIN_DECLS

/* Element types kith stores (little-endian, as numpy's descr). */
enum kith_dtype {
	KITH_DT_I8,   /* '|i1' */
	KITH_DT_U8,   /* '|u1' */
	KITH_DT_I32,  /* '<i4' */
	KITH_DT_U32,  /* '<u4' */
	KITH_DT_I64,  /* '<i8' */
	KITH_DT_F32,  /* '<f4' */
	KITH_DT_F64   /* '<f8' */
};

size_t kith_dtype_size(enum kith_dtype t);
const char *kith_dtype_descr(enum kith_dtype t);

/* A read-only array mapped from a .npy file (or an empty array). */
struct kith_npy {
	enum kith_dtype dtype;
	int ndim;            /* 1 or 2 */
	int64_t shape[2];    /* shape[1] is 1 when ndim == 1 */
	const void *data;    /* borrowed from the mapping */
	size_t nbytes;
	void *map;           /* mmap base, or NULL */
	size_t map_len;
};

/* Maps PATH read-only and validates its header (magic, version 1.0/2.0,
 * descr, fortran_order False, shape, and that the file holds exactly the
 * data the shape implies).  KITH_ERROR_CORRUPT on any mismatch.  Release
 * with kith_npy_unmap(). */
gboolean kith_npy_map(struct kith_npy *out, const char *path, GError **error);
void kith_npy_unmap(struct kith_npy *a);

/* kith_npy_map() of DIR/NAME, checked to hold `rows` rows (one per store
 * user) of dtype and, when cols > 0, exactly cols columns: otherwise
 * KITH_ERROR_DATA naming the file and both shapes, nothing left mapped. */
gboolean kith_npy_map_rows(struct kith_npy *out, const char *dir,
                           const char *name, enum kith_dtype dtype,
                           int64_t rows, int64_t cols, GError **error);

/* Writes a .npy v1.0 file at PATH (created mode `mode`, e.g. 0644 or
 * 0600), fsynced.  ncols == 0 writes a 1-D array of nrows elements.  On
 * success and if xxh64_out is not NULL, stores the xxh64 of the whole file.
 * On failure the partial file is removed. */
gboolean kith_npy_write(const char *path, enum kith_dtype dtype,
                        int64_t nrows, int64_t ncols, const void *data,
                        int mode, uint64_t *xxh64_out, GError **error);

/* xxh64 (seed 0) of a whole file, streamed. */
gboolean kith_file_xxh64(const char *path, uint64_t *out, GError **error);
/* SHA-256 of a whole file as lowercase hex (caller frees) plus its size. */
char *kith_file_sha256(const char *path, int64_t *size_out, GError **error);

/*
 * Atomic output folders.  kith_outdir_begin() makes a sibling temporary
 * folder "FINAL.tmp-XXXXXX"; the caller writes files into od->tmp; commit
 * fsyncs every file and the folder, then renames it into place (with
 * renameat2(RENAME_EXCHANGE) when FINAL exists, after which the old folder
 * is removed).  A kill at any moment leaves either the old or the new
 * folder at FINAL.  Abort removes the temporary folder.  The writer holds
 * an flock on its temporary folder until commit or abort; begin removes
 * the "FINAL.tmp-*" folders that a killed writer left behind (unlocked
 * and untouched for KITH_OUTDIR_STALE_SECONDS).
 */
#define KITH_OUTDIR_STALE_SECONDS 5

struct kith_outdir {
	char *final;
	char *tmp;
	gboolean done;
	int lock_fd;                /* flock held on tmp; -1 when none */
};

struct kith_outdir *kith_outdir_begin(const char *final, GError **error);
/* Path of NAME inside the temporary folder; caller frees with g_free(). */
char *kith_outdir_path(const struct kith_outdir *od, const char *name);
gboolean kith_outdir_commit(struct kith_outdir *od, GError **error);
/* Removes the temporary folder if not committed, and frees od. */
void kith_outdir_free(struct kith_outdir *od);
typedef struct kith_outdir kith_outdir;   /* for g_autoptr() */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(kith_outdir, kith_outdir_free)

/* Writes a string/bytes to PATH (mode), fsynced; removes it on failure. */
gboolean kith_write_file(const char *path, const void *data, size_t len,
                         int mode, GError **error);

/* Serialises a JSON node (pretty, 2 spaces) to PATH atomically in its
 * folder (write PATH.tmp, fsync, rename).  Mode 0644. */
gboolean kith_json_write(const char *path, JsonNode *root, GError **error);
/* Parses PATH; caller frees with json_node_unref().  KITH_ERROR_CORRUPT
 * when it is not a JSON object. */
JsonNode *kith_json_read(const char *path, GError **error);

/* Type-checked member access for JSON read from disk (never trust a
 * manifest): NULL / the default unless the member exists with that type.
 * o may be NULL. */
const char *kith_json_str(JsonObject *o, const char *name);
JsonObject *kith_json_obj(JsonObject *o, const char *name);
JsonArray *kith_json_arr(JsonObject *o, const char *name);
int64_t kith_json_int_or(JsonObject *o, const char *name, int64_t def);
double kith_json_num_or(JsonObject *o, const char *name, double def);
/* The number n holds (an integer or a real) into *out; FALSE when n is
 * NULL or holds no number. */
gboolean kith_json_node_num(JsonNode *n, double *out);
gboolean kith_json_bool_or(JsonObject *o, const char *name, gboolean def);

/* Members of the JSON object open in b: the key, then the value.  JSON
 * has no NaN or infinity: non-finite numbers, like NULL strings, are
 * written as null. */
void kith_json_put_int(JsonBuilder *b, const char *key, int64_t v);
void kith_json_put_double(JsonBuilder *b, const char *key, double v);
void kith_json_put_string(JsonBuilder *b, const char *key, const char *v);
void kith_json_put_bool(JsonBuilder *b, const char *key, gboolean v);

/*
 * Manifest helpers.  Every kith output folder holds manifest.json with at
 * least: "format" (e.g. "kith-store"), "format_version", "kith_version",
 * "created" (ISO-8601 UTC), and "arrays": { "name.npy": { "dtype", "shape",
 * "xxh64" (16 hex digits), "bytes" } }.
 */
JsonBuilder *kith_manifest_begin(const char *format, int version);
/* Adds one array entry (inside an open "arrays" object). */
void kith_manifest_add_array(JsonBuilder *b, const char *name,
                             enum kith_dtype dtype, int64_t nrows,
                             int64_t ncols, uint64_t xxh64, int64_t bytes);
/* Recomputes the xxh64 of every array listed in DIR/manifest.json.  On the
 * first mismatch returns FALSE with KITH_ERROR_CORRUPT naming the array. */
gboolean kith_manifest_verify(const char *dir, GError **error);

/* Writes NAME.npy into the temporary folder of od (mode) and, if b is not
 * NULL, adds its entry to the open "arrays" object of that manifest
 * builder.  ncols == 0: 1-D. */
gboolean kith_outdir_npy(struct kith_outdir *od, JsonBuilder *b,
                         const char *name, enum kith_dtype dtype,
                         int64_t nrows, int64_t ncols, const void *data,
                         int mode, GError **error);

/* ==== Writers inside an output folder ==================================
 * For files inside a struct kith_outdir (or a store being written),
 * whose commit fsyncs every file of the folder anyway: the same writers
 * without the per-file fsync, and a .npy written in pieces. */

/* kith_npy_write() with a choice: sync FALSE leaves out the fsync (the
 * caller syncs the file later, e.g. kith_outdir_commit()).  On success
 * *bytes_out (if not NULL) receives the file size.  Thread-safe: distinct
 * threads may write distinct files. */
gboolean kith_npy_write_ex(const char *path, enum kith_dtype dtype,
                           int64_t nrows, int64_t ncols, const void *data,
                           int mode, gboolean sync, uint64_t *xxh64_out,
                           int64_t *bytes_out, GError **error);

/* A .npy file written front to back in pieces (the O_DIRECT path of
 * kith_npy_write_ex() for big arrays): open with the shape, append the
 * data bytes in order, close (which fails unless exactly the shape's bytes
 * came) with the xxh64 of the whole file and its size.  Abort (or any
 * failure) removes the file and frees o.  One thread per file. */
struct kith_npy_out;
struct kith_npy_out *kith_npy_out_open(const char *path, enum kith_dtype dtype,
                                       int64_t nrows, int64_t ncols, int mode,
                                       GError **error);
gboolean kith_npy_out_append(struct kith_npy_out *o, const void *data,
                             size_t len, GError **error);
gboolean kith_npy_out_close(struct kith_npy_out *o, gboolean sync,
                            uint64_t *xxh64_out, int64_t *bytes_out,
                            GError **error);
void kith_npy_out_abort(struct kith_npy_out *o);

/* kith_write_file() without the fsync; *xxh64_out (if not NULL) receives
 * the xxh64 (seed 0) of the bytes written. */
gboolean kith_write_file_nosync(const char *path, const void *data,
                                size_t len, int mode, uint64_t *xxh64_out,
                                GError **error);

/*
 * Ids files (src/io/ids.c): users.tsv / items.tsv of a store and of every
 * folder with one row per user or item.  A header line ("user", "item"),
 * then one id per line in row order, with backslash, tab, line feed and
 * carriage return written \\ \t \n \r.  Listed in the manifest's
 * "arrays" with dtype "text" and shape [rows].
 */

/* Appends id escaped as above to out. */
void kith_ids_escape(GString *out, const char *id);
/* Sets out to the id that the escaped line stands for. */
void kith_ids_unescape(GString *out, const char *line);
/* The whole file: header line, then ids[0..n) escaped (NULL ids are
 * empty).  Caller frees with g_string_free(). */
GString *kith_ids_text(const char *header, char *const *ids, int64_t n);
/* Adds the entry of a text file of nrows rows (inside an open "arrays"
 * object). */
void kith_manifest_add_text(JsonBuilder *b, const char *name, int64_t nrows,
                            uint64_t xxh64, int64_t bytes);
/* Writes the ids file NAME into the temporary folder of od (mode) and, if
 * b is not NULL, adds its entry to the open "arrays" object. */
gboolean kith_outdir_ids(struct kith_outdir *od, JsonBuilder *b,
                         const char *name, const char *header,
                         char *const *ids, int64_t n, int mode,
                         GError **error);
/* Checks that the ids file at PATH (any header) names exactly ids[0..n)
 * in order: KITH_ERROR_DATA naming the first line that differs, or the
 * row count; KITH_ERROR_IO when it cannot be read.  Streams the file. */
gboolean kith_ids_check(const char *path, char *const *ids, int64_t n,
                        GError **error);

G_END_DECLS

#endif
