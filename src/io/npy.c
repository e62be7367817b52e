/*
 * NumPy .npy files, format v1.0 (and v2.0 on read): magic "\x93NUMPY",
 * version, little-endian header length, a Python dict literal
 * {'descr': '<f4', 'fortran_order': False, 'shape': (n, d), } padded with
 * spaces to a multiple of 64 bytes, then the C-order data.  Reading maps
 * the file and checks every field against the file size; writing streams
 * the data, hashing it with xxh64 on the way, and fsyncs (or leaves that
 * to the caller: kith_npy_write_ex(), for files of an output folder).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "kith/core.h"
#include "kith/io.h"

static const struct {
	enum kith_dtype t;
	const char *descr;
	size_t size;
} dtypes[] = {
	{ KITH_DT_I8, "|i1", 1 },  { KITH_DT_U8, "|u1", 1 },
	{ KITH_DT_I32, "<i4", 4 }, { KITH_DT_U32, "<u4", 4 },
	{ KITH_DT_I64, "<i8", 8 }, { KITH_DT_F32, "<f4", 4 },
	{ KITH_DT_F64, "<f8", 8 },
};

size_t
kith_dtype_size(enum kith_dtype t)
{
	return dtypes[t].size;
}

const char *
kith_dtype_descr(enum kith_dtype t)
{
	return dtypes[t].descr;
}

static gboolean
corrupt(GError **error, const char *path, const char *what)
{
	g_set_error(error, KITH_ERROR, KITH_ERROR_CORRUPT,
	            "'%s': not a valid .npy file: %s", path, what);
	return FALSE;
}

/* Parses the header dict; TRUE on success. */
static gboolean
parse_header(const char *h, size_t len, enum kith_dtype *dt, int *ndim,
             int64_t shape[2])
{
	g_autofree char *s = g_strndup(h, len);
	const char *p, *q;
	size_t i;
	int n = 0;

	if (strlen(s) != len)
		return FALSE;
	p = strstr(s, "'descr':");
	if (p == NULL)
		return FALSE;
	p += 8;
	while (*p == ' ')
		p++;
	if (*p != '\'')
		return FALSE;
	p++;
	q = strchr(p, '\'');
	if (q == NULL)
		return FALSE;
	for (i = 0; i < G_N_ELEMENTS(dtypes); i++) {
		size_t l = strlen(dtypes[i].descr);
		if ((size_t)(q - p) == l && memcmp(p, dtypes[i].descr, l) == 0)
			break;
		/* single-byte types may be written with '<' or '|' */
		if (dtypes[i].size == 1 && q - p == 3 && p[0] == '<' &&
		    memcmp(p + 1, dtypes[i].descr + 1, 2) == 0)
			break;
	}
	if (i == G_N_ELEMENTS(dtypes))
		return FALSE;
	*dt = dtypes[i].t;
	p = strstr(s, "'fortran_order':");
	if (p == NULL)
		return FALSE;
	p += 16;
	while (*p == ' ')
		p++;
	if (strncmp(p, "False", 5) != 0)
		return FALSE;
	p = strstr(s, "'shape':");
	if (p == NULL)
		return FALSE;
	p += 8;
	while (*p == ' ')
		p++;
	if (*p != '(')
		return FALSE;
	p++;
	shape[0] = 1;
	shape[1] = 1;
	for (;;) {
		char *end;
		gint64 v;
		while (*p == ' ')
			p++;
		if (*p == ')')
			break;
		if (!g_ascii_isdigit(*p) || n == 2)
			return FALSE;
		errno = 0;
		v = g_ascii_strtoll(p, &end, 10);
		if (errno != 0 || v < 0)
			return FALSE;
		shape[n++] = v;
		p = end;
		while (*p == ' ')
			p++;
		if (*p == ',')
			p++;
		else if (*p != ')')
			return FALSE;
	}
	if (n == 0)
		return FALSE;   /* 0-d arrays are not used by kith */
	*ndim = n;
	return TRUE;
}

gboolean
kith_npy_map(struct kith_npy *out, const char *path, GError **error)
{
	struct stat st;
	unsigned char *base;
	size_t hlen, off, esz, count, need;
	int fd;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO, "cannot open '%s': %s",
		            path, g_strerror(e));
		return FALSE;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return corrupt(error, path, "not a regular file");
	}
	if (st.st_size < 10) {
		close(fd);
		return corrupt(error, path, "truncated header");
	}
	base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (base == MAP_FAILED) {
		int e = errno;
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO, "cannot map '%s': %s",
		            path, g_strerror(e));
		return FALSE;
	}
	out->map = base;
	out->map_len = (size_t)st.st_size;
	if (memcmp(base, "\x93NUMPY", 6) != 0) {
		kith_npy_unmap(out);
		return corrupt(error, path, "bad magic");
	}
	if (base[6] == 1) {
		hlen = base[8] | ((size_t)base[9] << 8);
		off = 10;
	} else if (base[6] == 2 || base[6] == 3) {
		if (st.st_size < 12) {
			kith_npy_unmap(out);
			return corrupt(error, path, "truncated header");
		}
		hlen = base[8] | ((size_t)base[9] << 8) | ((size_t)base[10] << 16) |
		       ((size_t)base[11] << 24);
		off = 12;
	} else {
		kith_npy_unmap(out);
		return corrupt(error, path, "unsupported version");
	}
	if (hlen > out->map_len - off) {
		kith_npy_unmap(out);
		return corrupt(error, path, "truncated header");
	}
	if (!parse_header((const char *)base + off, hlen, &out->dtype,
	                  &out->ndim, out->shape)) {
		kith_npy_unmap(out);
		return corrupt(error, path, "unreadable header");
	}
	off += hlen;
	esz = kith_dtype_size(out->dtype);
	if (!g_size_checked_mul(&count, (size_t)out->shape[0],
	                        (size_t)out->shape[1]) ||
	    !g_size_checked_mul(&need, count, esz)) {
		kith_npy_unmap(out);
		return corrupt(error, path, "shape overflows");
	}
	if (need != out->map_len - off) {
		kith_npy_unmap(out);
		return corrupt(error, path,
		               need > out->map_len - off ? "data truncated"
		                                        : "trailing bytes");
	}
	out->data = base + off;
	out->nbytes = need;
	return TRUE;
}

gboolean
kith_npy_map_rows(struct kith_npy *a, const char *dir, const char *name,
                  enum kith_dtype dtype, int64_t rows, int64_t cols,
                  GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);

	if (!kith_npy_map(a, path, error))
		return FALSE;
	if (a->dtype != dtype || a->shape[0] != rows ||
	    (cols > 0 && (a->ndim != 2 || a->shape[1] != cols))) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_DATA,
		            "'%s' has shape %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
		            " %s; expected %" G_GINT64_FORMAT " rows%s of %s "
		            "(one per store user)", path, a->shape[0], a->shape[1],
		            kith_dtype_descr(a->dtype), rows,
		            cols > 0 ? " x columns" : "", kith_dtype_descr(dtype));
		kith_npy_unmap(a);
		return FALSE;
	}
	return TRUE;
}

void
kith_npy_unmap(struct kith_npy *a)
{
	if (a->map != NULL)
		munmap(a->map, a->map_len);
	memset(a, 0, sizeof(*a));
}

static gboolean
write_all(int fd, const void *buf, size_t len, XXH64_state_t *h,
          const char *path, GError **error)
{
	const char *p = buf;

	if (h != NULL)
		XXH64_update(h, buf, len);
	while (len > 0) {
		size_t chunk = len > (1u << 26) ? (1u << 26) : len;
		ssize_t w = write(fd, p, chunk);
		if (w < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
			            "cannot write '%s': %s", path, g_strerror(e));
			return FALSE;
		}
		p += w;
		len -= (size_t)w;
	}
	return TRUE;
}

/* Large arrays bypass the page cache (O_DIRECT): copying 500 MB into
 * the page cache costs more than a second of system time on some
 * machines, O_DIRECT a tenth of that.  Data go through an aligned bounce
 * buffer; the last partial block is written after clearing O_DIRECT. */
#define DIRECT_MIN ((size_t)1 << 20)
#define DIRECT_BUF ((size_t)1 << 20)
#define DIRECT_ALIGN ((size_t)4096)

/* Bounce buffers are cut two by two from 2 MiB blocks on huge pages and
 * kept for reuse once their file is closed: a store writes a dozen big
 * arrays at once, and a fresh 1 MiB buffer costs 256 page faults on its
 * first fill.  The free ones are chained through their first bytes; the
 * pool lives as long as the process. */
static GMutex bounce_mu;
static char *bounce_free;

static char *
bounce_get(void)
{
	g_mutex_lock(&bounce_mu);
	char *b = bounce_free;
	if (b) {
		memcpy(&bounce_free, b, sizeof bounce_free);
	} else {
		G_STATIC_ASSERT(2 * DIRECT_BUF == KITH_HUGE_PAGE);
		b = kith_alloc_huge_n(2, DIRECT_BUF, NULL);
		if (b) {
			memcpy(b + DIRECT_BUF, &bounce_free, sizeof bounce_free);
			bounce_free = b + DIRECT_BUF;
		}
	}
	g_mutex_unlock(&bounce_mu);
	return b;
}

static void
bounce_put(char *b)
{
	if (b == NULL)
		return;
	g_mutex_lock(&bounce_mu);
	memcpy(b, &bounce_free, sizeof bounce_free);
	bounce_free = b;
	g_mutex_unlock(&bounce_mu);
}

struct kith_npy_out {
	char *path;
	int fd;
	char *buf;                  /* O_DIRECT bounce buffer, or NULL */
	size_t fill;                /* bytes waiting in buf */
	size_t left;                /* data bytes still to come */
	int64_t bytes;              /* file size when complete */
	XXH64_state_t *h;
};

static gboolean
sync_close(int fd, const char *path, GError **error)
{
	if (fsync(fd) != 0) {
		int e = errno;
		close(fd);
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot sync '%s': %s", path, g_strerror(e));
		return FALSE;
	}
	if (close(fd) != 0) {
		int e = errno;
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot close '%s': %s", path, g_strerror(e));
		return FALSE;
	}
	return TRUE;
}

static gboolean
plain_close(int fd, const char *path, GError **error)
{
	if (close(fd) != 0) {
		int e = errno;
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot close '%s': %s", path, g_strerror(e));
		return FALSE;
	}
	return TRUE;
}

/* Closes and removes the file; frees o. */
void
kith_npy_out_abort(struct kith_npy_out *o)
{
	if (o == NULL)
		return;
	if (o->fd >= 0) {
		close(o->fd);
		unlink(o->path);
	}
	bounce_put(o->buf);
	XXH64_freeState(o->h);
	g_free(o->path);
	g_free(o);
}

/* The .npy v1.0 header of an array into header (>= 256 bytes); its
 * length, a multiple of 64. */
static size_t
npy_header(char *header, enum kith_dtype dtype, int64_t nrows, int64_t ncols)
{
	int n, pad;

	if (ncols == 0)
		n = g_snprintf(header + 10, 256 - 10,
		               "{'descr': '%s', 'fortran_order': False, "
		               "'shape': (%" G_GINT64_FORMAT ",), }",
		               kith_dtype_descr(dtype), nrows);
	else
		n = g_snprintf(header + 10, 256 - 10,
		               "{'descr': '%s', 'fortran_order': False, "
		               "'shape': (%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
		               "), }",
		               kith_dtype_descr(dtype), nrows, ncols);
	pad = 64 - (10 + n + 1) % 64;
	if (pad == 64)
		pad = 0;
	memset(header + 10 + n, ' ', (size_t)pad);
	header[10 + n + pad] = '\n';
	memcpy(header, "\x93NUMPY\x01\x00", 8);
	header[8] = (char)((n + pad + 1) & 0xff);
	header[9] = (char)((n + pad + 1) >> 8);
	return (size_t)(10 + n + pad + 1);
}

struct kith_npy_out *
kith_npy_out_open(const char *path, enum kith_dtype dtype, int64_t nrows,
                  int64_t ncols, int mode, GError **error)
{
	char header[256];
	size_t count, nbytes, hlen;

	if (nrows < 0 || ncols < 0 ||
	    !g_size_checked_mul(&count, (size_t)nrows,
	                        (size_t)(ncols ? ncols : 1)) ||
	    !g_size_checked_mul(&nbytes, count, kith_dtype_size(dtype)) ||
	    nbytes > (size_t)INT64_MAX - 256) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_NOMEM,
		            "array too large for '%s'", path);
		return NULL;
	}
	hlen = npy_header(header, dtype, nrows, ncols);

	struct kith_npy_out *o = g_new0(struct kith_npy_out, 1);
	o->fd = -1;
	o->left = nbytes;
	o->bytes = (int64_t)(hlen + nbytes);
	if (nbytes >= DIRECT_MIN) {
		o->buf = bounce_get();
		if (o->buf != NULL)
			o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
			             O_DIRECT, mode);
		if (o->fd < 0) {
			bounce_put(o->buf);
			o->buf = NULL;
		}
	}
	if (o->fd < 0)
		o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (o->fd < 0) {
		int e = errno;
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot create '%s': %s", path, g_strerror(e));
		g_free(o);
		return NULL;
	}
	o->path = g_strdup(path);
	o->h = XXH64_createState();
	XXH64_reset(o->h, 0);
	if (o->buf != NULL) {
		XXH64_update(o->h, header, hlen);
		memcpy(o->buf, header, hlen);
		o->fill = hlen;
	} else if (!write_all(o->fd, header, hlen, o->h, path, error)) {
		kith_npy_out_abort(o);
		return NULL;
	}
	return o;
}

gboolean
kith_npy_out_append(struct kith_npy_out *o, const void *data, size_t len,
                    GError **error)
{
	const char *p = data;

	if (len > o->left) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot write '%s': more data than its shape holds",
		            o->path);
		return FALSE;
	}
	o->left -= len;
	if (o->buf == NULL)
		return write_all(o->fd, data, len, o->h, o->path, error);
	XXH64_update(o->h, data, len);
	while (len > 0) {
		size_t take = DIRECT_BUF - o->fill < len ? DIRECT_BUF - o->fill
		                                         : len;
		memcpy(o->buf + o->fill, p, take);
		p += take;
		len -= take;
		o->fill += take;
		if (o->fill == DIRECT_BUF) {
			if (!write_all(o->fd, o->buf, DIRECT_BUF, NULL, o->path,
			               error))
				return FALSE;
			o->fill = 0;
		}
	}
	return TRUE;
}

gboolean
kith_npy_out_close(struct kith_npy_out *o, gboolean sync, uint64_t *xxh64_out,
                   int64_t *bytes_out, GError **error)
{
	gboolean ok = TRUE;

	if (o->left > 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot write '%s': %zu bytes of data missing",
		            o->path, o->left);
		kith_npy_out_abort(o);
		return FALSE;
	}
	if (o->buf != NULL && o->fill > 0) {
		/* tail: aligned part direct, the rest buffered */
		size_t whole = o->fill / DIRECT_ALIGN * DIRECT_ALIGN;
		ok = whole == 0 || write_all(o->fd, o->buf, whole, NULL, o->path,
		                             error);
		if (ok && whole < o->fill) {
			int fl = fcntl(o->fd, F_GETFL);
			if (fl < 0 || fcntl(o->fd, F_SETFL, fl & ~O_DIRECT) < 0) {
				g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
				            "cannot write '%s': %s", o->path,
				            g_strerror(errno));
				ok = FALSE;
			}
			ok = ok && write_all(o->fd, o->buf + whole, o->fill - whole,
			                     NULL, o->path, error);
		}
	}
	if (!ok) {
		kith_npy_out_abort(o);
		return FALSE;
	}
	int fd = o->fd;
	o->fd = -1;
	if (!(sync ? sync_close(fd, o->path, error)
	           : plain_close(fd, o->path, error))) {
		unlink(o->path);
		kith_npy_out_abort(o);
		return FALSE;
	}
	if (xxh64_out != NULL)
		*xxh64_out = XXH64_digest(o->h);
	if (bytes_out != NULL)
		*bytes_out = o->bytes;
	kith_npy_out_abort(o);          /* fd closed: frees only */
	return TRUE;
}

gboolean
kith_npy_write(const char *path, enum kith_dtype dtype, int64_t nrows,
               int64_t ncols, const void *data, int mode, uint64_t *xxh64_out,
               GError **error)
{
	return kith_npy_write_ex(path, dtype, nrows, ncols, data, mode, TRUE,
	                         xxh64_out, NULL, error);
}

gboolean
kith_npy_write_ex(const char *path, enum kith_dtype dtype, int64_t nrows,
                  int64_t ncols, const void *data, int mode, gboolean sync,
                  uint64_t *xxh64_out, int64_t *bytes_out, GError **error)
{
	struct kith_npy_out *o = kith_npy_out_open(path, dtype, nrows, ncols,
	                                           mode, error);
	if (o == NULL)
		return FALSE;
	if (o->left > 0 && !kith_npy_out_append(o, data, o->left, error)) {
		kith_npy_out_abort(o);
		return FALSE;
	}
	return kith_npy_out_close(o, sync, xxh64_out, bytes_out, error);
}

/* Creates PATH with DATA; fsyncs before closing when SYNC; the xxh64 of
 * the bytes into *xxh64_out when not NULL.  The file is removed on error. */
static gboolean
write_file(const char *path, const void *data, size_t len, int mode,
           gboolean sync, uint64_t *xxh64_out, GError **error)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0) {
		int e = errno;
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot create '%s': %s", path, g_strerror(e));
		return FALSE;
	}
	if (!write_all(fd, data, len, NULL, path, error)) {
		close(fd);
		unlink(path);
		return FALSE;
	}
	if (!(sync ? sync_close(fd, path, error)
	           : plain_close(fd, path, error))) {
		unlink(path);
		return FALSE;
	}
	if (xxh64_out != NULL)
		*xxh64_out = XXH64(data, len, 0);
	return TRUE;
}

gboolean
kith_write_file_nosync(const char *path, const void *data, size_t len,
                       int mode, uint64_t *xxh64_out, GError **error)
{
	return write_file(path, data, len, mode, FALSE, xxh64_out, error);
}

gboolean
kith_write_file(const char *path, const void *data, size_t len, int mode,
                GError **error)
{
	return write_file(path, data, len, mode, TRUE, NULL, error);
}

/* Feeds the bytes of the file at path to update(ctx, buf, n) in 1 MiB
 * reads; FALSE with KITH_ERROR_IO when it cannot be opened or read. */
static gboolean
stream_file(const char *path, void (*update)(void *ctx, const char *buf,
                                             size_t n),
            void *ctx, GError **error)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;
	ssize_t r;

	if (fd < 0) {
		int e = errno;
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO, "cannot open '%s': %s",
		            path, g_strerror(e));
		return FALSE;
	}
	buf = g_malloc(1 << 20);
	while ((r = read(fd, buf, 1 << 20)) != 0) {
		if (r < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
			            "cannot read '%s': %s", path, g_strerror(e));
			g_free(buf);
			close(fd);
			return FALSE;
		}
		update(ctx, buf, (size_t)r);
	}
	g_free(buf);
	close(fd);
	return TRUE;
}

static void
xxh64_update(void *ctx, const char *buf, size_t n)
{
	XXH64_update(ctx, buf, n);
}

gboolean
kith_file_xxh64(const char *path, uint64_t *out, GError **error)
{
	XXH64_state_t *h = XXH64_createState();
	gboolean ok;

	XXH64_reset(h, 0);
	ok = stream_file(path, xxh64_update, h, error);
	if (ok)
		*out = XXH64_digest(h);
	XXH64_freeState(h);
	return ok;
}

struct sha256_ctx {
	GChecksum *c;
	int64_t size;
};

static void
sha256_update(void *ctx, const char *buf, size_t n)
{
	struct sha256_ctx *x = ctx;
	g_checksum_update(x->c, (const guchar *)buf, (gssize)n);
	x->size += (int64_t)n;
}

char *
kith_file_sha256(const char *path, int64_t *size_out, GError **error)
{
	struct sha256_ctx x = { g_checksum_new(G_CHECKSUM_SHA256), 0 };
	char *hex = NULL;

	if (stream_file(path, sha256_update, &x, error)) {
		hex = g_strdup(g_checksum_get_string(x.c));
		if (size_out != NULL)
			*size_out = x.size;
	}
	g_checksum_free(x.c);
	return hex;
}
