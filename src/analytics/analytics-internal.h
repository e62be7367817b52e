/*
 * Internals shared by the files of src/analytics/ (not part of libkith's
 * public API).
 */
#ifndef KITH_ANALYTICS_INTERNAL_H
#define KITH_ANALYTICS_INTERNAL_H

#include <glib.h>
#include <stdint.h>

#include "kith/csr.h"

#include <stdio.h>
struct kith_i_atomic {
	FILE *fp;
	char *tmp;
	char *path;
};
gboolean kith_i_atomic_open(struct kith_i_atomic *af, const char *path,
                            GError **error);
gboolean kith_i_atomic_commit(struct kith_i_atomic *af, GError **error);
void kith_i_atomic_abort(struct kith_i_atomic *af);

#endif
