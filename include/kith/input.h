/*
 * kith input files: the one way every reader of kith opens a file it takes
 * as input (events, links, attributes, categories, features, labels, test
 * pairs, partitions, id lists, update batches).
 *
 * Rules of this layer:
 *  - Any readable file is accepted: a regular file, a pipe, a FIFO, a
 *    process substitution (/dev/fd/N), /dev/stdin, a terminal, or "-" for
 *    standard input.  What it is is decided by fstat() after the open,
 *    never by the name; the file is opened once and never reopened by
 *    name.  Anything that is not a regular file is read as a stream, front
 *    to back, exactly once.
 *  - Compression is detected by magic bytes, whatever the name: gzip
 *    (1f 8b; several members are read in turn), xz (fd 37 7a 58 5a 00;
 *    concatenated streams too) and zstd (28 b5 2f fd; several frames) are
 *    decompressed while read (zlib, liblzma, libzstd).  A stream that
 *    ends early, fails its check or has other bytes after its end is an
 *    error, never a short read.  bzip2 and zip are refused by name.
 *  - Text starting with a UTF-16 byte order mark (ff fe or fe ff, after
 *    decompression), or without one with two ASCII characters in UTF-16
 *    (a NUL byte beside each: never UTF-8 text), is transcoded to UTF-8
 *    while read; an unpaired surrogate or an odd final byte is an error.  A UTF-8 byte order mark
 *    is left to the caller (the CSV reader skips it and counts its bytes
 *    in offsets).
 *  - Errors in decoded data read "NAME:LINE: reason", LINE being the line
 *    of the decoded text where the problem lies.
 *  - Waiting is interruptible: opening a FIFO never blocks, and every
 *    wait for data on a stream polls (at most 100 ms at a time) and
 *    checks kith_interrupted(); every read checks it too.  An interrupted
 *    read fails with KITH_ERROR_INTERRUPTED.
 *  - With KITH_INPUT_SHA256 the SHA-256 of the file's own bytes (the
 *    compressed bytes of a compressed file) is computed: by a side thread
 *    that reads a regular file with pread() (a 256 KiB buffer), else over
 *    the bytes as they are read.
 *
 * Cost: O(bytes) time; O(256 KiB) memory plus the decoder's (xz: its
 * dictionary, 64 MiB at xz -9, refused beyond 1 GiB; zstd: its window,
 * refused beyond 128 MiB, libzstd's default).  An input is used by one
 * thread at a time.
 */
#ifndef KITH_INPUT_H
#define KITH_INPUT_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

G_BEGIN_DECLS

enum kith_input_flags {
	KITH_INPUT_SHA256 = 1 << 0   /* compute the SHA-256 of the file */
};

struct kith_input;
typedef struct kith_input kith_input;

/* Opens PATH ("-": standard input, shown as "stdin" in messages) and reads
 * its first bytes to detect compression and encoding; for a FIFO or a pipe
 * that means waiting (interruptibly) for the writer.  FLAGS: a set of
 * enum kith_input_flags.  KITH_ERROR_IO when it cannot be opened or read
 * or is a folder; KITH_ERROR_DATA for a refused format (bzip2, zip) or
 * a stream broken in its first bytes; KITH_ERROR_INTERRUPTED.  Close with
 * kith_input_close(). */
struct kith_input *kith_input_open(const char *path, unsigned flags,
                                   GError **error);

/* The same over an open descriptor (closed by kith_input_close() when
 * OWN); NAME is used in messages. */
struct kith_input *kith_input_open_fd(int fd, const char *name, gboolean own,
                                      unsigned flags, GError **error);

/* A second input over the same mappable file (see kith_input_map_fd())
 * that reads bytes [OFFSET, END) (END < 0: to the end of the file),
 * independently of IN (its own descriptor, no hashing).  KITH_ERROR_IO
 * when IN is not mappable. */
struct kith_input *kith_input_open_at(const struct kith_input *in,
                                      int64_t offset, int64_t end,
                                      GError **error);

void kith_input_close(struct kith_input *in);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(kith_input, kith_input_close)

/* Reads up to LEN bytes of text (decompressed, in UTF-8 when transcoded)
 * into BUF.  Returns the count (> 0), 0 at the end, -1 with error set
 * (KITH_ERROR_IO, KITH_ERROR_DATA "NAME:LINE: reason" for corrupt,
 * truncated or badly encoded data, KITH_ERROR_INTERRUPTED).  A short count
 * does not mean the end.  After an error every call fails again. */
ssize_t kith_input_read(struct kith_input *in, void *buf, size_t len,
                        GError **error);

/* Borrowed display name (the path, or "stdin"). */
const char *kith_input_name(const struct kith_input *in);

/* "gzip", "xz", "zstd", or NULL for an uncompressed file. */
const char *kith_input_compression(const struct kith_input *in);

/* "UTF-16LE" or "UTF-16BE" when transcoded, else NULL. */
const char *kith_input_transcoded(const struct kith_input *in);

/* TRUE when the file is not a regular file (read as a stream). */
gboolean kith_input_is_stream(const struct kith_input *in);

/* For a regular, uncompressed, untranscoded file read from its first
 * byte: its descriptor (borrowed: valid until close) and, in *size, its
 * size; text offsets are then file offsets and the file may be mapped.
 * -1 otherwise. */
int kith_input_map_fd(const struct kith_input *in, int64_t *size);

/* Bytes of the file taken so far: read and passed to the decoder (for a
 * compressed file, the compressed bytes its text so far came from, give
 * or take the decoder's own buffers); not what the hashing thread reads. */
int64_t kith_input_raw_offset(const struct kith_input *in);

/* Size of a regular file, -1 for a stream. */
int64_t kith_input_file_size(const struct kith_input *in);

/* The SHA-256 (64 lowercase hex digits, caller frees) of the file's bytes
 * and their count in *bytes (may be NULL), for an input opened with
 * KITH_INPUT_SHA256: the whole file from where it was opened for a
 * regular file; for a stream the bytes read, after reading what is left
 * to its end when the text was not read to the end.  NULL with error set
 * on a read failure, KITH_ERROR_INTERRUPTED, or without the flag
 * (KITH_ERROR_USAGE). */
char *kith_input_sha256(struct kith_input *in, int64_t *bytes,
                        GError **error);

/* Reads the whole text of PATH (as kith_input_open(), a UTF-8 byte order
 * mark dropped) into a NUL-terminated buffer (caller frees) of *len bytes
 * (len may be NULL).  KITH_ERROR_LIMIT beyond MAX bytes of text (0: 1 GiB);
 * errors as kith_input_read(). */
char *kith_input_read_all(const char *path, size_t max, size_t *len,
                          GError **error);

G_END_DECLS

#endif
