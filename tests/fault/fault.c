/*
 * LD_PRELOAD fault injector for the tests: makes the Nth write(), fsync()
 * or rename()/renameat2() on a path under $FAULT_PATH fail.
 *   FAULT_OP     write | fsync | rename
 *   FAULT_AFTER  fail the call with this 1-based number (default 1) and
 *                every later one
 *   FAULT_ERRNO  ENOSPC (default) or EIO
 *   FAULT_PATH   only files whose path starts with this prefix
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int calls;

static int
fault_errno(void)
{
	const char *e = getenv("FAULT_ERRNO");

	return e != NULL && strcmp(e, "EIO") == 0 ? EIO : ENOSPC;
}

static int
path_matches(const char *path)
{
	const char *prefix = getenv("FAULT_PATH");

	return prefix != NULL && path != NULL &&
	       strncmp(path, prefix, strlen(prefix)) == 0;
}

static int
fd_matches(int fd)
{
	char link[64], target[4096];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	return path_matches(target);
}

static int
should_fail(const char *op)
{
	const char *want = getenv("FAULT_OP");
	const char *after = getenv("FAULT_AFTER");

	if (want == NULL || strcmp(want, op) != 0)
		return 0;
	calls++;
	return calls >= (after ? atoi(after) : 1);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT,
		                                                     "write");
	if (fd > 2 && fd_matches(fd) && should_fail("write")) {
		errno = fault_errno();
		return -1;
	}
	return real(fd, buf, n);
}

int
fsync(int fd)
{
	static int (*real)(int);

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	if (fd_matches(fd) && should_fail("fsync")) {
		errno = fault_errno();
		return -1;
	}
	return real(fd);
}

int
rename(const char *a, const char *b)
{
	static int (*real)(const char *, const char *);

	if (real == NULL)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT,
		                                                  "rename");
	if (path_matches(b) && should_fail("rename")) {
		errno = fault_errno();
		return -1;
	}
	return real(a, b);
}

int
renameat2(int da, const char *a, int db, const char *b, unsigned int flags)
{
	static int (*real)(int, const char *, int, const char *, unsigned int);

	if (real == NULL)
		real = (int (*)(int, const char *, int, const char *,
		                unsigned int))dlsym(RTLD_NEXT, "renameat2");
	if (path_matches(b) && should_fail("rename")) {
		errno = fault_errno();
		return -1;
	}
	return real(da, a, db, b, flags);
}
