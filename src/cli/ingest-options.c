/* Reader options shared by `kith ingest` and `kith update`: their
 * entries, and their text (--sep, --header, --comment, --max-line-bytes,
 * --on-error, --max-rejects, --allow-negative, --preset, --max-levels)
 * turned into struct kith_ingest_options fields. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "cli.h"
#include "kith/csv.h"
#include "kith/ingest.h"

static gboolean
parse_sep(const char *s, char *out)
{
	if (!s || strcmp(s, "auto") == 0)
		*out = 0;
	else if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0 ||
	         strcmp(s, "\t") == 0)
		*out = '\t';
	else if (strcmp(s, "comma") == 0)
		*out = ',';
	else if (strcmp(s, "pipe") == 0)
		*out = '|';
	else if (strcmp(s, "semicolon") == 0)
		*out = ';';
	else if (strlen(s) == 1 && strchr(",|;", s[0]))
		*out = s[0];
	else
		return FALSE;
	return TRUE;
}

#define RA(f) offsetof(struct kith_cli_reader_args, f)
const struct kith_cli_option kith_cli_reader_table[KITH_CLI_READER_N] = {
	{ "sep", 0, G_OPTION_ARG_STRING, RA(sep),
	  "field separator: , tab | ; or auto (default)", "SEP", 0 },
	{ "header", 0, G_OPTION_ARG_STRING, RA(header),
	  "first line is a header: yes, no or auto (default)", "WHEN", 0 },
	{ "comment", 0, G_OPTION_ARG_STRING, RA(comment),
	  "skip lines starting with this character", "CHAR", 0 },
	{ "on-error", 0, G_OPTION_ARG_STRING, RA(on_error),
	  "stop (default) or skip bad rows into STORE/rejects.tsv",
	  "stop|skip", 0 },
	{ "max-rejects", 0, G_OPTION_ARG_STRING, RA(max_rejects),
	  "abort past N rejected rows or P% of rows", "N|P%", 0 },
	{ "max-line-bytes", 0, G_OPTION_ARG_INT64, RA(max_line),
	  "longest accepted line (default 1048576)", "N", 0 },
	{ "allow-negative", 0, G_OPTION_ARG_NONE, RA(allow_negative),
	  "accept negative values and weights", NULL, 0 },
	{ "preset", 0, G_OPTION_ARG_STRING, RA(preset),
	  "file layouts of a known data set: movielens", "NAME", 0 },
	{ "max-levels", 0, G_OPTION_ARG_INT, RA(max_levels),
	  "one-hot columns per categorical user attribute (default 32)", "N",
	  0 },
};

void
kith_cli_reader_entries(GOptionContext *ctx, struct kith_cli_reader_args *a)
{
	GOptionEntry entries[KITH_CLI_READER_N + 1];

	/* copied by GLib; the values go to a */
	kith_cli_option_entries(entries, kith_cli_reader_table,
	                        KITH_CLI_READER_N, a);
	g_option_context_add_main_entries(ctx, entries, NULL);
}

void
kith_cli_reader_args_clear(struct kith_cli_reader_args *a)
{
	g_free(a->sep);
	g_free(a->header);
	g_free(a->comment);
	g_free(a->on_error);
	g_free(a->max_rejects);
	g_free(a->preset);
	memset(a, 0, sizeof *a);
}

int
kith_cli_reader_options(const char *cmd, struct kith_ingest_options *o,
                        const struct kith_cli_reader_args *t)
{
	o->allow_negative = t->allow_negative;
	o->preset = t->preset;
	o->max_levels = t->max_levels;
	o->max_rejects = -1;
	o->max_rejects_pct = -1;
	if (!parse_sep(t->sep, &o->csv.sep))
		return kith_cli_usage(cmd, "bad --sep '%s' (, tab | ; auto)",
		                      t->sep);
	if (!t->header || strcmp(t->header, "auto") == 0)
		o->csv.header = KITH_CSV_HEADER_AUTO;
	else if (strcmp(t->header, "yes") == 0)
		o->csv.header = KITH_CSV_HEADER_YES;
	else if (strcmp(t->header, "no") == 0)
		o->csv.header = KITH_CSV_HEADER_NO;
	else
		return kith_cli_usage(cmd, "bad --header '%s' (yes, no, auto)",
		                      t->header);
	if (t->comment) {
		if (strlen(t->comment) != 1)
			return kith_cli_usage(cmd, "--comment takes one character, "
			                      "not '%s'", t->comment);
		o->csv.comment = t->comment[0];
	}
	if (t->max_line < 0 || t->max_line > ((gint64)1 << 30))
		return kith_cli_usage(cmd, "bad --max-line-bytes");
	o->csv.max_line_bytes = (size_t)t->max_line;
	if (!t->on_error || strcmp(t->on_error, "stop") == 0)
		o->skip_errors = FALSE;
	else if (strcmp(t->on_error, "skip") == 0)
		o->skip_errors = TRUE;
	else
		return kith_cli_usage(cmd, "bad --on-error '%s' (stop, skip)",
		                      t->on_error);
	if (t->max_rejects) {
		size_t n = strlen(t->max_rejects);
		double d;
		int64_t k;
		if (n > 1 && t->max_rejects[n - 1] == '%' &&
		    kith_parse_double(t->max_rejects, n - 1, &d) == KITH_CSV_OK &&
		    d >= 0 && d <= 100)
			o->max_rejects_pct = d;
		else if (kith_parse_int64(t->max_rejects, n, &k) == KITH_CSV_OK &&
		         k >= 0)
			o->max_rejects = k;
		else
			return kith_cli_usage(cmd, "bad --max-rejects '%s' "
			                      "(N or P%%)", t->max_rejects);
	}
	if (t->max_levels < 0)
		return kith_cli_usage(cmd, "bad --max-levels");
	return 0;
}
