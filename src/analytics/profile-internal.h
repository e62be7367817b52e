/*
 * Helpers shared by profile.c and propagate.c (not public API).
 */
#ifndef KITH_PROFILE_INTERNAL_H
#define KITH_PROFILE_INTERNAL_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "kith/io.h"
#include "kith/store.h"

/* Opens NAME in the temporary folder of od for writing, mode 0600
 * (per-user data), fully buffered.  Close with kith_i_tsv_close(). */
FILE *kith_i_tsv_open(const struct kith_outdir *od, const char *name,
                      GError **error);
/* Flushes and closes f; KITH_ERROR_IO naming NAME on failure. */
gboolean kith_i_tsv_close(FILE *f, const char *name, GError **error);

/* Appends v as %.6g in the C locale; NaN appends nothing. */
void kith_i_put_num(GString *g, double v);

/* Adds "store" (as given) and "store_created" (the store manifest's
 * "created", or null) to an open manifest object. */
void kith_i_manifest_store(JsonBuilder *b, const struct kith_store *s,
                           const char *store_path);

/* Copies the members of src (may be NULL) that dst lacks. */
void kith_i_copy_members(JsonObject *dst, JsonObject *src);

/* Ends the manifest object open in b, adds the members of options that
 * it lacks, writes it as od's manifest.json and commits od.  FALSE with
 * error from kith_json_write() / kith_outdir_commit(). */
gboolean kith_i_manifest_finish(struct kith_outdir *od, JsonBuilder *b,
                                JsonObject *options, GError **error);

#endif
