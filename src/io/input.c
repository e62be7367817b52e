/*
 * Input files (see include/kith/input.h for the rules and the contract).
 *
 * Three stages, each pulling from the one below:
 *   raw     the file's bytes: read() (pread() for kith_input_open_at(),
 *           up to its end byte),
 *           preceded on a stream by poll() with a 100 ms timeout so that
 *           an interrupt is seen while waiting for a writer; hashed here
 *           when a stream is hashed;
 *   codec   gzip (zlib, members in turn), xz (liblzma, concatenated
 *           streams) or zstd (frames in turn) into the caller's buffer,
 *           or the raw bytes as they are;
 *   text    UTF-16LE/BE to UTF-8 from a buffer of decoded bytes, or those
 *           bytes as they are.
 * The first bytes are read at open: six raw bytes decide the codec, four
 * decoded ones the encoding; what was read ahead is handed out first.
 * Data errors are held until the bytes decoded before them have been
 * handed out, so that their line (line feeds handed out + 1) is the line
 * where the decoded text breaks.  Cost: O(bytes); memory two 256 KiB
 * buffers and the decoder's state.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lzma.h>
#include <nettle/sha2.h>
#include <zlib.h>
#include <zstd.h>

#include "kith/core.h"
#include "kith/input.h"

#define RAW_BUF ((size_t)256 << 10)
#define MID_BUF ((size_t)256 << 10)
#define POLL_MS 100
#define SNIFF_BYTES 6
#define HASH_STEP ((size_t)256 << 10)
/* xz -9 needs 65 MiB to decompress; a header that asks for more than
 * this is refused rather than allocated */
#define XZ_MEMLIMIT ((uint64_t)1 << 30)

enum codec { CODEC_NONE, CODEC_GZIP, CODEC_XZ, CODEC_ZSTD };
enum enc { ENC_UTF8, ENC_UTF16LE, ENC_UTF16BE };

static const char *const codec_names[] = { NULL, "gzip", "xz", "zstd" };

/* SHA-256 of a regular file, by a side thread that reads it. */
struct sha_side {
	GThread *thread;
	const char *name;      /* borrowed from the input */
	int fd;
	int64_t start, size;
	gint cancel;
	char *hex;
	GError *error;
};

struct kith_input {
	char *name;
	int fd;
	gboolean own_fd;
	gboolean regular;
	int64_t size;          /* regular file: st_size; stream: -1 */
	int64_t start;         /* regular file: offset at open */
	gboolean use_pread;
	int64_t ppos;          /* next pread() offset */
	int64_t pend;          /* pread() stops here (-1: end of file) */
	int64_t raw_total;     /* bytes read from the file */
	gboolean raw_eof;

	unsigned char *raw;    /* unread file bytes [raw_pos, raw_end) */
	size_t raw_pos, raw_end;

	enum codec codec;
	gboolean member_end;   /* gzip member / zstd frame complete */
	gboolean dec_eof;      /* the codec has nothing more */
	z_stream z;
	gboolean z_init;
	lzma_stream lz;
	gboolean lz_init;
	ZSTD_DStream *zs;

	enum enc enc;
	unsigned char *mid;    /* decoded bytes not handed out */
	size_t mid_pos, mid_end;
	gboolean mid_eof;
	unsigned char stash[4];   /* a UTF-8 sequence cut by a tiny read */
	size_t stash_pos, stash_len;

	int64_t lines;         /* line feeds handed out */
	char *bad;             /* pending data error (reason) */
	GError *failed;        /* sticky error */

	gboolean want_sha, sha_inline;
	struct sha256_ctx sha;
	char *sha_hex;
	struct sha_side *side;
};

/* --------------------------------------------------------------- errors */

static gboolean
interrupted(GError **error)
{
	if (!kith_interrupted())
		return FALSE;
	g_set_error(error, KITH_ERROR, KITH_ERROR_INTERRUPTED, "interrupted");
	return TRUE;
}

/* Records a data error of the decoded text; reported by the next read
 * with the line it is on. */
static void G_GNUC_PRINTF(2, 3)
set_bad(struct kith_input *in, const char *fmt, ...)
{
	if (in->bad)
		return;
	va_list ap;
	va_start(ap, fmt);
	in->bad = g_strdup_vprintf(fmt, ap);
	va_end(ap);
}

static void
io_error(const struct kith_input *in, int err, GError **error)
{
	g_set_error(error, KITH_ERROR, KITH_ERROR_IO, "cannot read '%s': %s",
	            in->name, g_strerror(err));
}

/* ------------------------------------------------------------------ raw */

/* Up to n file bytes into buf: the count, 0 at the end, -1 on error. */
static ssize_t
raw_read(struct kith_input *in, void *buf, size_t n, GError **error)
{
	for (;;) {
		if (interrupted(error))
			return -1;
		if (!in->regular) {
			struct pollfd p = { .fd = in->fd, .events = POLLIN };
			int r = poll(&p, 1, POLL_MS);
			if (r < 0 && errno != EINTR && errno != EAGAIN) {
				io_error(in, errno, error);
				return -1;
			}
			if (r <= 0)
				continue;
			if (p.revents & POLLNVAL) {
				io_error(in, EBADF, error);
				return -1;
			}
		}
		if (in->pend >= 0 && (int64_t)n > in->pend - in->ppos)
			n = (size_t)(in->pend - in->ppos);
		ssize_t k = n == 0 ? 0
		          : in->use_pread ? pread(in->fd, buf, n, (off_t)in->ppos)
		                          : read(in->fd, buf, n);
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			io_error(in, errno, error);
			return -1;
		}
		if (k == 0) {
			in->raw_eof = TRUE;
			return 0;
		}
		in->ppos += k;
		in->raw_total += k;
		if (in->sha_inline)
			sha256_update(&in->sha, (size_t)k, buf);
		return k;
	}
}

/* Appends file bytes to the raw buffer (moving the unread ones to its
 * front first): > 0 when there is more to decode, 0 at the end, -1 on
 * error. */
static ssize_t
raw_fill(struct kith_input *in, GError **error)
{
	if (in->raw_eof)
		return 0;
	if (in->raw_pos > 0) {
		memmove(in->raw, in->raw + in->raw_pos, in->raw_end - in->raw_pos);
		in->raw_end -= in->raw_pos;
		in->raw_pos = 0;
	}
	if (in->raw_end == RAW_BUF)
		return 1;       /* full: the decoder has to take some first */
	ssize_t k = raw_read(in, in->raw + in->raw_end, RAW_BUF - in->raw_end,
	                     error);
	if (k > 0)
		in->raw_end += (size_t)k;
	return k;
}

/* ---------------------------------------------------------------- codecs */

/* One decoding step of the gzip stream into dst: > 0 bytes, 0 nothing
 * yet (call again), -1 at the end or on a data error (in->bad set). */
static ssize_t
gzip_step(struct kith_input *in, unsigned char *dst, size_t n)
{
	size_t avail = in->raw_end - in->raw_pos;
	if (in->member_end) {
		/* another member, or the end */
		if (avail == 0 && in->raw_eof) {
			in->dec_eof = TRUE;
			return -1;
		}
		if (avail < 2 && !in->raw_eof)
			return 0;
		if (avail < 2 || in->raw[in->raw_pos] != 0x1f ||
		    in->raw[in->raw_pos + 1] != 0x8b) {
			set_bad(in, "unexpected bytes after the end of the gzip "
			        "data");
			return -1;
		}
		inflateReset(&in->z);
		in->member_end = FALSE;
	}
	in->z.next_in = in->raw + in->raw_pos;
	in->z.avail_in = (uInt)MIN(avail, (size_t)UINT32_MAX);
	in->z.next_out = dst;
	in->z.avail_out = (uInt)MIN(n, (size_t)UINT32_MAX);
	int r = inflate(&in->z, Z_NO_FLUSH);
	size_t used = MIN(avail, (size_t)UINT32_MAX) - in->z.avail_in;
	size_t made = MIN(n, (size_t)UINT32_MAX) - in->z.avail_out;
	in->raw_pos += used;
	if (r == Z_STREAM_END) {
		in->member_end = TRUE;
	} else if (r == Z_NEED_DICT || r == Z_DATA_ERROR || r == Z_MEM_ERROR ||
	           r == Z_STREAM_ERROR) {
		set_bad(in, "corrupt gzip data (%s)",
		        in->z.msg ? in->z.msg : zError(r));
		return made ? (ssize_t)made : -1;
	}
	if (made)
		return (ssize_t)made;
	if (!in->member_end && used == 0 && in->raw_eof &&
	    in->raw_pos == in->raw_end) {
		set_bad(in, "truncated gzip data: the file ends inside the "
		        "compressed stream");
		return -1;
	}
	return 0;
}

static const char *
lzma_reason(lzma_ret r)
{
	switch (r) {
	case LZMA_FORMAT_ERROR:
		return "not xz data where a stream should start";
	case LZMA_OPTIONS_ERROR:
		return "unsupported xz options";
	case LZMA_DATA_ERROR:
		return "corrupt data";
	case LZMA_MEM_ERROR:
		return "out of memory";
	case LZMA_MEMLIMIT_ERROR:
		return "it needs more than 1 GiB of memory to decompress";
	default:
		return "decoder error";
	}
}

static ssize_t
xz_step(struct kith_input *in, unsigned char *dst, size_t n)
{
	size_t avail = in->raw_end - in->raw_pos;
	if (avail == 0 && !in->raw_eof)
		return 0;
	in->lz.next_in = in->raw + in->raw_pos;
	in->lz.avail_in = avail;
	in->lz.next_out = dst;
	in->lz.avail_out = n;
	lzma_ret r = lzma_code(&in->lz, in->raw_eof ? LZMA_FINISH : LZMA_RUN);
	size_t used = avail - in->lz.avail_in;
	size_t made = n - in->lz.avail_out;
	in->raw_pos += used;
	if (r == LZMA_STREAM_END) {
		in->dec_eof = TRUE;
		return made ? (ssize_t)made : -1;
	}
	if (r == LZMA_BUF_ERROR) {
		if (made)
			return (ssize_t)made;
		if (in->raw_eof) {
			set_bad(in, "truncated xz data: the file ends inside the "
			        "compressed stream");
			return -1;
		}
		return 0;
	}
	if (r != LZMA_OK) {
		set_bad(in, "corrupt xz data (%s)", lzma_reason(r));
		return made ? (ssize_t)made : -1;
	}
	return (ssize_t)made;
}

static ssize_t
zstd_step(struct kith_input *in, unsigned char *dst, size_t n)
{
	size_t avail = in->raw_end - in->raw_pos;
	if (avail == 0 && !in->raw_eof)
		return 0;
	if (avail == 0 && in->member_end) {
		in->dec_eof = TRUE;
		return -1;
	}
	ZSTD_inBuffer ib = { in->raw + in->raw_pos, avail, 0 };
	ZSTD_outBuffer ob = { dst, n, 0 };
	size_t r = ZSTD_decompressStream(in->zs, &ob, &ib);
	in->raw_pos += ib.pos;
	if (ZSTD_isError(r)) {
		set_bad(in, "corrupt zstd data (%s)", ZSTD_getErrorName(r));
		return ob.pos ? (ssize_t)ob.pos : -1;
	}
	in->member_end = r == 0;
	if (ob.pos)
		return (ssize_t)ob.pos;
	if (avail == 0 && !in->member_end) {
		set_bad(in, "truncated zstd data: the file ends inside a "
		        "compressed frame");
		return -1;
	}
	return 0;
}

/* Decoded bytes into dst (n > 0): the count, 0 at the end, -1 on error
 * (error set, or in->bad with no GError). */
static ssize_t
codec_read(struct kith_input *in, unsigned char *dst, size_t n,
           GError **error)
{
	if (in->codec == CODEC_NONE) {
		size_t avail = in->raw_end - in->raw_pos;
		if (avail) {
			size_t k = MIN(avail, n);
			memcpy(dst, in->raw + in->raw_pos, k);
			in->raw_pos += k;
			return (ssize_t)k;
		}
		return in->raw_eof ? 0 : raw_read(in, dst, n, error);
	}
	for (;;) {
		if (in->dec_eof)
			return 0;
		if (in->bad)
			return -1;
		size_t avail = in->raw_end - in->raw_pos;
		if (!in->raw_eof && (avail == 0 ||
		                     (in->member_end && avail < 2))) {
			if (raw_fill(in, error) < 0)
				return -1;
			continue;
		}
		ssize_t k = in->codec == CODEC_GZIP ? gzip_step(in, dst, n)
		          : in->codec == CODEC_XZ ? xz_step(in, dst, n)
		          : zstd_step(in, dst, n);
		if (k > 0)
			return k;
		if (k < 0)
			return in->dec_eof && !in->bad ? 0 : -1;
		if (!in->raw_eof && raw_fill(in, error) < 0)
			return -1;
		if (interrupted(error))
			return -1;
	}
}

/* ------------------------------------------------------------------ text */

/* Fills the decoded buffer (unread bytes moved to the front). */
static gboolean
mid_fill(struct kith_input *in, GError **error)
{
	if (in->mid_pos > 0) {
		memmove(in->mid, in->mid + in->mid_pos, in->mid_end - in->mid_pos);
		in->mid_end -= in->mid_pos;
		in->mid_pos = 0;
	}
	ssize_t k = codec_read(in, in->mid + in->mid_end, MID_BUF - in->mid_end,
	                       error);
	if (k < 0)
		return FALSE;
	if (k == 0)
		in->mid_eof = TRUE;
	in->mid_end += (size_t)k;
	return TRUE;
}

static inline size_t
put_utf8(unsigned char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* UTF-16 code units of the decoded buffer to UTF-8 in out (n >= 4):
 * the count, 0 at the end, -1 on error. */
static ssize_t
utf16_convert(struct kith_input *in, unsigned char *out, size_t n,
              GError **error)
{
	const int hi = in->enc == ENC_UTF16BE ? 0 : 1;
	for (;;) {
		const unsigned char *b = in->mid;
		size_t p = in->mid_pos, e = in->mid_end, o = 0;
		while (p + 2 <= e && o + 4 <= n) {
			uint32_t u = (uint32_t)b[p + hi] << 8 | b[p + 1 - hi];
			if (u >= 0xd800 && u <= 0xdbff) {
				if (p + 4 > e)
					break;
				uint32_t v = (uint32_t)b[p + 2 + hi] << 8 |
				             b[p + 3 - hi];
				if (v < 0xdc00 || v > 0xdfff) {
					set_bad(in, "invalid UTF-16: unpaired "
					        "surrogate 0x%04x", u);
					break;
				}
				u = 0x10000 + ((u - 0xd800) << 10) + (v - 0xdc00);
				p += 4;
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				set_bad(in, "invalid UTF-16: unpaired surrogate "
				        "0x%04x", u);
				break;
			} else {
				p += 2;
			}
			o += put_utf8(out + o, u);
		}
		in->mid_pos = p;
		if (o > 0)
			return (ssize_t)o;
		if (in->bad)
			return -1;
		if (in->mid_eof) {
			if (p < e) {
				set_bad(in, "truncated UTF-16: the text ends "
				        "inside a character");
				return -1;
			}
			return 0;
		}
		if (!mid_fill(in, error))
			return -1;
	}
}

static ssize_t
utf16_read(struct kith_input *in, unsigned char *out, size_t n,
           GError **error)
{
	if (in->stash_pos < in->stash_len) {
		size_t k = MIN(n, in->stash_len - in->stash_pos);
		memcpy(out, in->stash + in->stash_pos, k);
		in->stash_pos += k;
		return (ssize_t)k;
	}
	if (n >= 4)
		return utf16_convert(in, out, n, error);
	/* one character at most 4 bytes; the rest waits in the stash */
	ssize_t k = utf16_convert(in, in->stash, 4, error);
	if (k <= 0)
		return k;
	in->stash_len = (size_t)k;
	in->stash_pos = MIN(n, (size_t)k);
	memcpy(out, in->stash, in->stash_pos);
	return (ssize_t)in->stash_pos;
}

static int64_t
count_lf(const unsigned char *s, size_t n)
{
	int64_t k = 0;
	const unsigned char *e = s + n;
	while ((s = memchr(s, '\n', (size_t)(e - s))) != NULL) {
		k++;
		s++;
	}
	return k;
}

/* The sticky error of a held data error, at its line. */
static void
fail_bad(struct kith_input *in)
{
	in->failed = g_error_new(KITH_ERROR, KITH_ERROR_DATA,
	                         "%s:%" G_GINT64_FORMAT ": %s", in->name,
	                         in->lines + 1, in->bad);
}

ssize_t
kith_input_read(struct kith_input *in, void *buf, size_t len,
                GError **error)
{
	if (!in->failed && in->bad && in->mid_pos == in->mid_end &&
	    in->stash_pos == in->stash_len)
		fail_bad(in);
	if (in->failed) {
		g_propagate_error(error, g_error_copy(in->failed));
		return -1;
	}
	if (len == 0)
		return 0;
	GError *e = NULL;
	ssize_t n;
	if (interrupted(&e)) {
		n = -1;
	} else if (in->enc != ENC_UTF8) {
		n = utf16_read(in, buf, len, &e);
	} else if (in->mid_pos < in->mid_end) {
		n = (ssize_t)MIN(len, in->mid_end - in->mid_pos);
		memcpy(buf, in->mid + in->mid_pos, (size_t)n);
		in->mid_pos += (size_t)n;
	} else {
		n = codec_read(in, buf, len, &e);
	}
	if (n < 0) {
		if (!e && in->bad)
			fail_bad(in);
		else
			in->failed = e ? e : g_error_new(KITH_ERROR, KITH_ERROR_IO,
			                                 "cannot read '%s'",
			                                 in->name);
		g_propagate_error(error, g_error_copy(in->failed));
		return -1;
	}
	if (in->codec != CODEC_NONE || in->enc != ENC_UTF8)
		in->lines += count_lf(buf, (size_t)n);
	return n;
}

/* -------------------------------------------------------------- hashing */

static char *
hex_digest(struct sha256_ctx *ctx)
{
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_digest(ctx, sizeof d, d);
	char *hex = g_malloc(2 * sizeof d + 1);
	for (size_t i = 0; i < sizeof d; i++)
		g_snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return hex;
}

/* The side thread: the file read with pread() into one small buffer,
 * stopping early when cancelled or interrupted.  Not through a mapping:
 * mapping the file's pages costs more than copying them (a fault per 16
 * pages and a TLB miss per page, dear on virtual machines). */
static gpointer
sha_main(gpointer data)
{
	struct sha_side *s = data;
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	uint8_t *buf = g_malloc(HASH_STEP);
	for (int64_t o = s->start; o < s->size;) {
		if (g_atomic_int_get(&s->cancel) || kith_interrupted()) {
			g_set_error(&s->error, KITH_ERROR, KITH_ERROR_INTERRUPTED,
			            "interrupted");
			break;
		}
		size_t k = (size_t)MIN((int64_t)HASH_STEP, s->size - o);
		ssize_t r = pread(s->fd, buf, k, (off_t)o);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			g_set_error(&s->error, KITH_ERROR, KITH_ERROR_IO,
			            "cannot read '%s': %s", s->name, r < 0
			            ? g_strerror(errno) : "the file shrank");
			break;
		}
		sha256_update(&ctx, (size_t)r, buf);
		o += r;
	}
	g_free(buf);
	if (!s->error)
		s->hex = hex_digest(&ctx);
	return NULL;
}

char *
kith_input_sha256(struct kith_input *in, int64_t *bytes, GError **error)
{
	if (!in->want_sha) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "'%s' was opened without hashing", in->name);
		return NULL;
	}
	if (in->side) {
		struct sha_side *s = in->side;
		if (s->thread) {
			g_thread_join(s->thread);
			s->thread = NULL;
		}
		if (s->error) {
			g_propagate_error(error, g_error_copy(s->error));
			return NULL;
		}
		if (bytes)
			*bytes = s->size - s->start;
		return g_strdup(s->hex);
	}
	if (!in->sha_hex) {
		/* the bytes the text did not need (none after a full read) */
		unsigned char tmp[16384];
		ssize_t k;
		while ((k = raw_read(in, tmp, sizeof tmp, error)) > 0)
			;
		if (k < 0)
			return NULL;
		in->sha_hex = hex_digest(&in->sha);
	}
	if (bytes)
		*bytes = in->raw_total;
	return g_strdup(in->sha_hex);
}

/* ---------------------------------------------------------------- opening */

void
kith_input_close(struct kith_input *in)
{
	if (!in)
		return;
	if (in->side) {
		if (in->side->thread) {
			g_atomic_int_set(&in->side->cancel, 1);
			g_thread_join(in->side->thread);
		}
		g_free(in->side->hex);
		if (in->side->error)
			g_error_free(in->side->error);
		g_free(in->side);
	}
	if (in->z_init)
		inflateEnd(&in->z);
	if (in->lz_init)
		lzma_end(&in->lz);
	if (in->zs)
		ZSTD_freeDStream(in->zs);
	if (in->own_fd && in->fd >= 0)
		close(in->fd);
	if (in->failed)
		g_error_free(in->failed);
	g_free(in->bad);
	g_free(in->sha_hex);
	g_free(in->raw);
	g_free(in->mid);
	g_free(in->name);
	g_free(in);
}

static gboolean
codec_init(struct kith_input *in, GError **error)
{
	const unsigned char *b = in->raw;
	size_t n = in->raw_end;
	if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
		in->codec = CODEC_GZIP;
		if (inflateInit2(&in->z, 15 + 16) != Z_OK)
			goto nomem;
		in->z_init = TRUE;
	} else if (n >= 6 && memcmp(b, "\xfd" "7zXZ\0", 6) == 0) {
		in->codec = CODEC_XZ;
		lzma_stream init = LZMA_STREAM_INIT;
		in->lz = init;
		if (lzma_stream_decoder(&in->lz, XZ_MEMLIMIT,
		                        LZMA_CONCATENATED) != LZMA_OK)
			goto nomem;
		in->lz_init = TRUE;
	} else if (n >= 4 && memcmp(b, "\x28\xb5\x2f\xfd", 4) == 0) {
		in->codec = CODEC_ZSTD;
		in->zs = ZSTD_createDStream();
		if (!in->zs || ZSTD_isError(ZSTD_initDStream(in->zs)))
			goto nomem;
	} else if (n >= 6 && memcmp(b, "BZh", 3) == 0 && b[3] >= '1' &&
	           b[3] <= '9' && ((b[4] == 0x31 && b[5] == 0x41) ||
	                           (b[4] == 0x17 && b[5] == 0x72))) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "'%s' is bzip2-compressed, which kith does not read "
		            "(it reads gzip, xz and zstd): convert it, e.g. "
		            "bzip2 -dc FILE | gzip >FILE.gz", in->name);
		return FALSE;
	} else if (n >= 4 && memcmp(b, "PK\x03\x04", 4) == 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "'%s' is a zip archive, which kith does not read "
		            "(it reads gzip, xz and zstd files): extract the "
		            "file first, e.g. unzip -p FILE.zip NAME", in->name);
		return FALSE;
	}
	return TRUE;
nomem:
	g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
	            "cannot start the %s decoder of '%s'",
	            codec_names[in->codec], in->name);
	return FALSE;
}

/* A printable ASCII byte, tab or line end. */
static gboolean
ascii_text(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r';
}

static struct kith_input *
input_start(struct kith_input *in, unsigned flags, GError **error)
{
	struct stat sb;
	if (fstat(in->fd, &sb) != 0) {
		io_error(in, errno, error);
		goto fail;
	}
	if (S_ISDIR(sb.st_mode)) {
		io_error(in, EISDIR, error);
		goto fail;
	}
	in->regular = S_ISREG(sb.st_mode);
	in->size = -1;
	if (in->regular) {
		off_t at = lseek(in->fd, 0, SEEK_CUR);
		in->size = (int64_t)sb.st_size;
		in->start = at > 0 ? (int64_t)at : 0;
		in->ppos = in->start;
		posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	}
	in->want_sha = (flags & KITH_INPUT_SHA256) != 0;
	if (in->want_sha && in->regular) {
		struct sha_side *s = g_new0(struct sha_side, 1);
		s->name = in->name;
		s->fd = in->fd;
		s->start = in->start;
		s->size = MAX(in->size, in->start);
		in->side = s;
		s->thread = g_thread_new("kith-sha256", sha_main, s);
	} else if (in->want_sha) {
		in->sha_inline = TRUE;
		sha256_init(&in->sha);
	}
	in->raw = g_malloc(RAW_BUF);
	in->mid = g_malloc(MID_BUF);
	while (in->raw_end < SNIFF_BYTES && !in->raw_eof)
		if (raw_fill(in, error) < 0)
			goto fail;
	if (!codec_init(in, error))
		goto fail;
	/* the encoding, from the first bytes of the text */
	GError *e = NULL;
	while (in->mid_end < 4 && !in->mid_eof) {
		if (!mid_fill(in, &e)) {
			if (!e && in->bad) {
				fail_bad(in);
				e = g_error_copy(in->failed);
			}
			g_propagate_error(error, e);
			goto fail;
		}
	}
	const unsigned char *m = in->mid;
	if (in->mid_end >= 2 && m[0] == 0xff && m[1] == 0xfe) {
		in->enc = ENC_UTF16LE;
		in->mid_pos = 2;
	} else if (in->mid_end >= 2 && m[0] == 0xfe && m[1] == 0xff) {
		in->enc = ENC_UTF16BE;
		in->mid_pos = 2;
	} else if (in->mid_end >= 4 && ascii_text(m[0]) && !m[1] &&
	           ascii_text(m[2]) && !m[3]) {
		/* no BOM, but two ASCII characters in UTF-16LE: text
		 * holds no NUL byte, so this cannot be UTF-8 text */
		in->enc = ENC_UTF16LE;
	} else if (in->mid_end >= 4 && !m[0] && ascii_text(m[1]) && !m[2] &&
	           ascii_text(m[3])) {
		in->enc = ENC_UTF16BE;
	}
	return in;
fail:
	kith_input_close(in);
	return NULL;
}

struct kith_input *
kith_input_open_fd(int fd, const char *name, gboolean own, unsigned flags,
                   GError **error)
{
	struct kith_input *in = g_new0(struct kith_input, 1);
	in->name = g_strdup(name);
	in->fd = fd;
	in->own_fd = own;
	in->pend = -1;
	return input_start(in, flags, error);
}

struct kith_input *
kith_input_open(const char *path, unsigned flags, GError **error)
{
	if (strcmp(path, "-") == 0)
		return kith_input_open_fd(0, "stdin", FALSE, flags, error);
	/* O_NONBLOCK: opening a FIFO does not wait for its writer (the
	 * reads poll for it); no effect on a regular file */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot open '%s': %s", path, g_strerror(errno));
		return NULL;
	}
	return kith_input_open_fd(fd, path, TRUE, flags, error);
}

struct kith_input *
kith_input_open_at(const struct kith_input *from, int64_t offset,
                   int64_t end, GError **error)
{
	int64_t size;
	if (kith_input_map_fd(from, &size) < 0 || offset < 0 || offset > size ||
	    end > size || (end >= 0 && end < offset)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot read '%s' from byte %" G_GINT64_FORMAT,
		            from->name, offset);
		return NULL;
	}
	int fd = fcntl(from->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		io_error(from, errno, error);
		return NULL;
	}
	struct kith_input *in = g_new0(struct kith_input, 1);
	in->name = g_strdup(from->name);
	in->fd = fd;
	in->own_fd = TRUE;
	in->regular = TRUE;
	in->size = size;
	in->start = offset;
	in->use_pread = TRUE;
	in->ppos = offset;
	in->pend = end;
	return in;
}

/* ------------------------------------------------------------ accessors */

const char *
kith_input_name(const struct kith_input *in)
{
	return in->name;
}

const char *
kith_input_compression(const struct kith_input *in)
{
	return codec_names[in->codec];
}

const char *
kith_input_transcoded(const struct kith_input *in)
{
	return in->enc == ENC_UTF16LE ? "UTF-16LE"
	     : in->enc == ENC_UTF16BE ? "UTF-16BE" : NULL;
}

gboolean
kith_input_is_stream(const struct kith_input *in)
{
	return !in->regular;
}

int
kith_input_map_fd(const struct kith_input *in, int64_t *size)
{
	if (!in->regular || in->start != 0 || in->use_pread ||
	    in->codec != CODEC_NONE || in->enc != ENC_UTF8)
		return -1;
	if (size)
		*size = in->size;
	return in->fd;
}

int64_t
kith_input_raw_offset(const struct kith_input *in)
{
	return in->raw_total - (int64_t)(in->raw_end - in->raw_pos);
}

int64_t
kith_input_file_size(const struct kith_input *in)
{
	return in->size;
}

char *
kith_input_read_all(const char *path, size_t max, size_t *len,
                    GError **error)
{
	if (max == 0)
		max = (size_t)1 << 30;
	g_autoptr(kith_input) in = kith_input_open(path, 0, error);
	if (!in)
		return NULL;
	size_t cap = 65536, n = 0;
	char *buf = g_malloc(cap);
	for (;;) {
		if (cap - n < 65536) {
			cap *= 2;
			buf = g_realloc(buf, cap);
		}
		ssize_t k = kith_input_read(in, buf + n, cap - n - 1, error);
		if (k < 0) {
			g_free(buf);
			return NULL;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > max) {
			g_set_error(error, KITH_ERROR, KITH_ERROR_LIMIT,
			            "'%s' is larger than %zu bytes", path, max);
			g_free(buf);
			return NULL;
		}
	}
	buf[n] = '\0';
	if (n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		memmove(buf, buf + 3, n - 2);
		n -= 3;
	}
	if (len)
		*len = n;
	return buf;
}
