/*
 * The pseudonymisation key of kith ingest --pseudonymize and the
 * pseudonyms it gives: HMAC-SHA256(key, id), the first 16 bytes as 32
 * hex digits.  Used by the CLI (the key) and by the build service
 * (ingest-build.c, the ids files).  Cost: O(|id|) per pseudonym.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kith/core.h"
#include "kith/ingest.h"

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
