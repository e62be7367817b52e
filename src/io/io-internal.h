/* Internals of the writers in src/io and src/graph/store.c: writing
 * without the per-file fsync, for files inside a struct kith_outdir whose
 * commit fsyncs every file of the folder anyway. */
#ifndef KITH_IO_INTERNAL_H
#define KITH_IO_INTERNAL_H

#include "kith/io.h"

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

#endif
