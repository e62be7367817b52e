/*
 * Atomic output folders: build in FINAL.tmp-XXXXXX beside FINAL, fsync
 * every file and the folder, then swap it into place.  When FINAL already
 * exists, renameat2(RENAME_EXCHANGE) swaps the two folders in one step and
 * the old one (now at the temporary name) is removed; a crash between the
 * two leaves the new folder at FINAL and a stale temporary folder beside it.
 * Stale temporary folders (a killed writer's) are removed by the next
 * writer of the same FINAL: a live writer holds an flock on its own.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kith/core.h"
#include "kith/io.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static void remove_tree(const char *dir);

/* Removes the temporary folders of FINAL that no writer holds: named
 * FINAL.tmp-XXXXXX, a real folder, unchanged for
 * KITH_OUTDIR_STALE_SECONDS (a writer takes its lock just after making
 * the folder) and not flocked.  Errors only leave a folder in place. */
static void
remove_stale(const char *final)
{
	g_autofree char *parent = g_path_get_dirname(final);
	g_autofree char *base = g_path_get_basename(final);
	g_autofree char *prefix = g_strdup_printf("%s.tmp-", base);
	size_t plen = strlen(prefix);
	GDir *d = g_dir_open(parent, 0, NULL);
	const char *name;
	time_t now = time(NULL);

	if (d == NULL)
		return;
	while ((name = g_dir_read_name(d)) != NULL) {
		struct stat st;
		if (strlen(name) != plen + 6 || strncmp(name, prefix, plen) != 0)
			continue;
		g_autofree char *p = g_build_filename(parent, name, NULL);
		if (lstat(p, &st) != 0 || !S_ISDIR(st.st_mode) ||
		    now - st.st_mtime < KITH_OUTDIR_STALE_SECONDS)
			continue;
		int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			remove_tree(p);
		close(fd);
	}
	g_dir_close(d);
}

struct kith_outdir *
kith_outdir_begin(const char *final, GError **error)
{
	struct kith_outdir *od;
	struct stat st;
	g_autofree char *trimmed = g_strdup(final);
	size_t len = strlen(trimmed);

	while (len > 1 && trimmed[len - 1] == '/')
		trimmed[--len] = '\0';
	if (len == 0) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_USAGE,
		            "empty output path");
		return NULL;
	}
	if (stat(trimmed, &st) == 0 && !S_ISDIR(st.st_mode)) {
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "'%s' exists and is not a folder", trimmed);
		return NULL;
	}
	remove_stale(trimmed);
	od = g_new0(struct kith_outdir, 1);
	od->lock_fd = -1;
	od->final = g_strdup(trimmed);
	od->tmp = g_strdup_printf("%s.tmp-XXXXXX", trimmed);
	if (g_mkdtemp_full(od->tmp, 0755) == NULL) {
		int e = errno;
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot create a folder beside '%s': %s", trimmed,
		            g_strerror(e));
		g_free(od->final);
		g_free(od->tmp);
		g_free(od);
		return NULL;
	}
	/* held until commit or abort: marks the folder as in use */
	od->lock_fd = open(od->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (od->lock_fd >= 0 && flock(od->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		close(od->lock_fd);
		od->lock_fd = -1;
	}
	return od;
}

char *
kith_outdir_path(const struct kith_outdir *od, const char *name)
{
	return g_build_filename(od->tmp, name, NULL);
}

static gboolean
fsync_path(const char *path, gboolean dir, GError **error)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);

	if (fd < 0 || fsync(fd) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
		            "cannot sync '%s': %s", path, g_strerror(e));
		return FALSE;
	}
	close(fd);
	return TRUE;
}

/* Files of a folder tree synced by a few threads at once: after the
 * first fsync has committed the journal the others mostly wait for their
 * own data, and the device takes several flushes at a time. */
#define SYNC_THREADS 4

struct sync_set {
	GPtrArray *files;           /* paths */
	gint next;
	GError **errs;              /* per file */
};

static gpointer
sync_worker(gpointer data)
{
	struct sync_set *ss = data;

	for (;;) {
		guint k = (guint)g_atomic_int_add(&ss->next, 1);
		if (k >= ss->files->len)
			break;
		fsync_path(ss->files->pdata[k], FALSE, &ss->errs[k]);
	}
	return NULL;
}

/* Lists the regular files of DIR (recursively) into files and its
 * folders, deepest first, into dirs. */
static gboolean
list_tree(const char *dir, GPtrArray *files, GPtrArray *dirs, GError **error)
{
	GDir *d = g_dir_open(dir, 0, error);
	const char *name;

	if (d == NULL)
		return FALSE;
	while ((name = g_dir_read_name(d)) != NULL) {
		char *p = g_build_filename(dir, name, NULL);
		if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
			gboolean ok = list_tree(p, files, dirs, error);
			g_free(p);
			if (!ok) {
				g_dir_close(d);
				return FALSE;
			}
		} else {
			g_ptr_array_add(files, p);
		}
	}
	g_dir_close(d);
	g_ptr_array_add(dirs, g_strdup(dir));
	return TRUE;
}

static gboolean
fsync_tree(const char *dir, GError **error)
{
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func(g_free);
	struct sync_set ss = { files, 0, NULL };
	GThread *th[SYNC_THREADS];
	int nt = 0;
	gboolean ok = TRUE;

	if (!list_tree(dir, files, dirs, error))
		return FALSE;
	ss.errs = g_new0(GError *, files->len + 1);
	while (nt < SYNC_THREADS && (guint)nt < files->len / 2) {
		th[nt] = g_thread_try_new("kith-sync", sync_worker, &ss, NULL);
		if (th[nt] == NULL)
			break;
		nt++;
	}
	sync_worker(&ss);
	for (int t = 0; t < nt; t++)
		g_thread_join(th[t]);
	for (guint k = 0; k < files->len; k++) {
		if (ss.errs[k] != NULL && ok) {
			g_propagate_error(error, ss.errs[k]);
			ok = FALSE;
		} else {
			g_clear_error(&ss.errs[k]);
		}
	}
	g_free(ss.errs);
	for (guint k = 0; ok && k < dirs->len; k++)
		ok = fsync_path(dirs->pdata[k], TRUE, error);
	return ok;
}

static void
remove_tree(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (d != NULL) {
		while ((name = g_dir_read_name(d)) != NULL) {
			g_autofree char *p = g_build_filename(dir, name, NULL);
			if (g_file_test(p, G_FILE_TEST_IS_DIR) &&
			    !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
				remove_tree(p);
			else
				unlink(p);
		}
		g_dir_close(d);
	}
	rmdir(dir);
}

gboolean
kith_outdir_commit(struct kith_outdir *od, GError **error)
{
	g_autofree char *parent = g_path_get_dirname(od->final);

	if (!fsync_tree(od->tmp, error))
		return FALSE;
	if (g_file_test(od->final, G_FILE_TEST_IS_DIR)) {
		if (renameat2(AT_FDCWD, od->tmp, AT_FDCWD, od->final,
		              RENAME_EXCHANGE) != 0) {
			int e = errno;
			g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
			            "cannot replace '%s': %s", od->final,
			            g_strerror(e));
			return FALSE;
		}
		od->done = TRUE;
		if (!fsync_path(parent, TRUE, error))
			return FALSE;
		remove_tree(od->tmp);   /* the old folder, now at tmp */
	} else {
		if (rename(od->tmp, od->final) != 0) {
			int e = errno;
			g_set_error(error, KITH_ERROR, KITH_ERROR_IO,
			            "cannot rename to '%s': %s", od->final,
			            g_strerror(e));
			return FALSE;
		}
		od->done = TRUE;
		if (!fsync_path(parent, TRUE, error))
			return FALSE;
	}
	return TRUE;
}

void
kith_outdir_free(struct kith_outdir *od)
{
	if (od == NULL)
		return;
	if (!od->done)
		remove_tree(od->tmp);
	if (od->lock_fd >= 0)
		close(od->lock_fd);
	g_free(od->final);
	g_free(od->tmp);
	g_free(od);
}

gboolean
kith_outdir_npy(struct kith_outdir *od, JsonBuilder *b, const char *name,
                enum kith_dtype dtype, int64_t nrows, int64_t ncols,
                const void *data, int mode, GError **error)
{
	g_autofree char *path = kith_outdir_path(od, name);
	uint64_t h;
	int64_t bytes;

	/* no fsync here: kith_outdir_commit() syncs every file */
	if (!kith_npy_write_ex(path, dtype, nrows, ncols, data, mode, FALSE, &h,
	                       &bytes, error))
		return FALSE;
	if (b != NULL)
		kith_manifest_add_array(b, name, dtype, nrows, ncols, h, bytes);
	return TRUE;
}
