/* Option parsing, messages and progress shared by the commands. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kith/dist.h"
#include "kith/emb.h"
#include "kith/memest.h"
#include "kith/store.h"

static const struct kith_cli *progress_cli;

/* Under MPI with several ranks, messages that every rank would print
 * alike (usage, information) come from rank 0 only; errors come from the
 * rank that met them, tagged with its number. */
static gboolean
quiet_rank(void)
{
	return kith_dist_rank() != 0;
}

static void
print_prefix(const char *cmd)
{
	if (kith_dist_size() > 1)
		fprintf(stderr, "kith %s [rank %d of %d]: ", cmd, kith_dist_rank(),
		        kith_dist_size());
	else
		fprintf(stderr, "kith %s: ", cmd);
}

GOptionContext *
kith_cli_context(const char *cmd, const char *params, const char *summary,
                 const char *description, const GOptionEntry *entries,
                 struct kith_cli *cli)
{
	g_autofree char *p = params && *params
	                             ? g_strdup_printf("%s - %s", params, summary)
	                             : g_strdup_printf("- %s", summary);
	GOptionContext *ctx = g_option_context_new(p);
	GOptionGroup *g;
	GOptionEntry global[] = {
		{ "threads", 0, 0, G_OPTION_ARG_INT, &cli->threads,
		  "worker threads (default: all cores)", "N" },
		{ "seed", 0, 0, G_OPTION_ARG_INT64, &cli->seed,
		  "random seed (default 42)", "S" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &cli->quiet,
		  "no messages or progress on stderr", NULL },
		{ "max-memory", 0, 0, G_OPTION_ARG_STRING,
		  &cli->max_memory_text,
		  "refuse a job whose memory estimate exceeds SIZE "
		  "(e.g. 8G)", "SIZE" },
		{ NULL }
	};
	g_autofree char *prg = g_strdup_printf("kith %s", cmd);

	g_set_prgname(prg);
	if (entries != NULL)
		g_option_context_add_main_entries(ctx, entries, NULL);
	g = g_option_group_new("global", "Options of every command:",
	                       "Show options of every command", NULL, NULL);
	g_option_group_add_entries(g, global);
	g_option_context_add_group(ctx, g);
	if (description != NULL)
		g_option_context_set_description(ctx, description);
	return ctx;
}

/* One progress line on a terminal: "label: 45% (1.2M/s, ETA 12 s)".  The
 * rate and ETA are measured from the first call with this label. */
static void
progress_print(const char *label, double done, double total)
{
	static double last, start;
	static char current[64];
	double now = kith_now();
	double rate, eta;

	if (progress_cli == NULL || !progress_cli->tty)
		return;
	if (strncmp(current, label, sizeof(current) - 1) != 0) {
		g_strlcpy(current, label, sizeof(current));
		start = now;
		last = 0;
	}
	if (done < total && now - last < 0.2)
		return;
	last = now;
	rate = now > start ? done / (now - start) : 0;
	if (total > 0 && done >= total) {
		fprintf(stderr, "\r\033[K");
	} else if (total > 0) {
		eta = rate > 0 ? (total - done) / rate : 0;
		fprintf(stderr, "\r\033[K%s: %.0f%% (%.3g/s, ETA %.0f s)", label,
		        100.0 * done / total, rate, eta);
	} else {
		fprintf(stderr, "\r\033[K%s: %.0f (%.3g/s)", label, done, rate);
	}
	fflush(stderr);
}

int
kith_cli_parse(GOptionContext *ctx, int *argc, char ***argv,
               struct kith_cli *cli)
{
	g_autoptr(GError) err = NULL;

	if (!g_option_context_parse(ctx, argc, argv, &err)) {
		if (!quiet_rank())
			fprintf(stderr, "%s: %s\nTry '%s --help'.\n",
			        g_get_prgname(), err->message, g_get_prgname());
		return 2;
	}
	if (cli->threads < 0) {
		if (!quiet_rank())
			fprintf(stderr, "%s: --threads must be >= 0\n",
			        g_get_prgname());
		return 2;
	}
	cli->max_memory = 0;
	if (cli->max_memory_text &&
	    !kith_cli_parse_size(cli->max_memory_text, &cli->max_memory)) {
		g_autofree char *msg = g_strdup_printf(
		    "--max-memory: cannot read '%s' as a size (e.g. 512M, 8G)",
		    cli->max_memory_text);
		if (!quiet_rank())
			fprintf(stderr, "%s: %s\n", g_get_prgname(), msg);
		return 2;
	}
	kith_set_threads(cli->threads);
	kith_blas_release();
	cli->tty = !cli->quiet && !quiet_rank() && isatty(STDERR_FILENO);
	progress_cli = cli;
	kith_progress_set(progress_print);
	return 0;
}

int
kith_cli_fail(const char *cmd, GError *err)
{
	int status = err->domain == KITH_ERROR &&
	                     err->code == KITH_ERROR_USAGE ? 2 : 1;

	if (err->domain == KITH_ERROR && err->code == KITH_ERROR_INTERRUPTED)
		status = 130;
	if (status != 2 || !quiet_rank()) {
		print_prefix(cmd);
		fprintf(stderr, "%s\n", err->message);
	}
	g_error_free(err);
	return status;
}

int
kith_cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	if (quiet_rank())
		return 2;
	fprintf(stderr, "kith %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'kith %s --help'.\n", cmd);
	return 2;
}

void
kith_cli_info(const struct kith_cli *cli, const char *cmd, const char *fmt,
              ...)
{
	va_list ap;

	if (cli->quiet || quiet_rank())
		return;
	fprintf(stderr, "kith %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

gboolean
kith_cli_open_store_emb(const char *store_path, const char *emb_path,
                        struct kith_store **s, struct kith_emb **e,
                        GError **error)
{
	*e = NULL;
	if (!(*s = kith_store_open(store_path, error)))
		return FALSE;
	return !emb_path || (*e = kith_emb_open(emb_path, error)) != NULL;
}

gboolean
kith_cli_parse_size(const char *text, guint64 *bytes)
{
	char *end = NULL;
	double v, mult = 1;

	if (!text || !g_ascii_isdigit(text[0]))
		return FALSE;
	v = g_ascii_strtod(text, &end);
	switch (g_ascii_toupper(*end)) {
	case 'K': mult = 1024.0; end++; break;
	case 'M': mult = 1024.0 * 1024; end++; break;
	case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
	case 'T': mult = 1024.0 * 1024 * 1024 * 1024; end++; break;
	default: break;
	}
	if (mult > 1 && (*end == 'i' || *end == 'I'))
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || !(v * mult >= 1) || v * mult > 1e19)
		return FALSE;
	*bytes = (guint64)(v * mult);
	return TRUE;
}

void
kith_cli_note(void *data, const char *msg)
{
	const struct kith_cli_note *n = data;

	kith_cli_info(n->cli, n->cmd, "%s", msg);
}

int
kith_cli_memory_gate(const struct kith_cli *cli, const char *cmd,
                     const char *what, guint64 bytes)
{
	struct kith_cli_note n = { cli, cmd };
	GError *err = NULL;

	if (kith_memest_gate(bytes, cli->max_memory, what, kith_cli_note, &n,
	                     &err))
		return 0;
	return kith_cli_fail(cmd, err);
}

void
kith_cli_option_entries(GOptionEntry *entries,
                        const struct kith_cli_option *opts, size_t n,
                        void *base)
{
	for (size_t i = 0; i < n; i++)
		entries[i] = (GOptionEntry){ opts[i].name, opts[i].short_name,
		                             opts[i].flags, opts[i].arg,
		                             (char *)base + opts[i].offset,
		                             opts[i].help, opts[i].arg_desc };
	memset(&entries[n], 0, sizeof entries[n]);
}

static gboolean
is_word(const char *v, const char *const *words)
{
	for (; *words; words++)
		if (g_ascii_strcasecmp(v, *words) == 0)
			return TRUE;
	return FALSE;
}

gboolean
kith_cli_option_set(const struct kith_cli_option *opts, size_t n, void *base,
                    const char *key, const char *value, char **why)
{
	static const char *const yes[] = { "true", "yes", "1", NULL };
	static const char *const no[] = { "false", "no", "0", NULL };
	const struct kith_cli_option *e = NULL;
	char *end = NULL;

	for (size_t i = 0; i < n && !e; i++)
		if (strcmp(opts[i].name, key) == 0)
			e = &opts[i];
	if (!e) {
		*why = g_strdup_printf("unknown option --%s", key);
		return FALSE;
	}
	void *dst = (char *)base + e->offset;
	switch (e->arg) {
	case G_OPTION_ARG_INT:
	case G_OPTION_ARG_INT64: {
		gint64 v = g_ascii_strtoll(value, &end, 10);
		if (*value == '\0' || *end != '\0' ||
		    (e->arg == G_OPTION_ARG_INT && (v < G_MININT || v > G_MAXINT)))
			break;
		if (e->arg == G_OPTION_ARG_INT)
			*(int *)dst = (int)v;
		else
			*(gint64 *)dst = v;
		return TRUE;
	}
	case G_OPTION_ARG_DOUBLE: {
		double v = g_ascii_strtod(value, &end);
		if (*value == '\0' || *end != '\0')
			break;
		*(double *)dst = v;
		return TRUE;
	}
	case G_OPTION_ARG_NONE:
		if (!is_word(value, yes) && !is_word(value, no))
			break;
		*(gboolean *)dst = is_word(value, yes);
		return TRUE;
	default:
		g_free(*(char **)dst);
		*(char **)dst = g_strdup(value);
		return TRUE;
	}
	*why = g_strdup_printf("cannot parse '%s' for --%s", value, key);
	return FALSE;
}

/* The entries of both tables of a stage, bound to the options struct o;
 * caller frees. */
static GOptionEntry *
stage_entries(const struct kith_cli_stage *st, void *o)
{
	GOptionEntry *e = g_new0(GOptionEntry, st->n_options + st->n_more + 1);

	kith_cli_option_entries(e, st->options, st->n_options, o);
	if (st->n_more)
		kith_cli_option_entries(e + st->n_options, st->more, st->n_more,
		                        (char *)o + st->more_offset);
	return e;
}

/* Sets KEY in either table of the stage. */
static gboolean
stage_set(const struct kith_cli_stage *st, void *o, const char *key,
          const char *value, char **why)
{
	for (size_t i = 0; i < st->n_more; i++)
		if (strcmp(st->more[i].name, key) == 0)
			return kith_cli_option_set(st->more, st->n_more,
			                           (char *)o + st->more_offset, key,
			                           value, why);
	return kith_cli_option_set(st->options, st->n_options, o, key, value,
	                           why);
}

int
kith_cli_stage_main(const struct kith_cli_stage *st, int argc, char **argv,
                    struct kith_cli *cli)
{
	g_autofree void *o = g_malloc0(st->size);
	g_autofree GOptionEntry *entries = NULL;
	int rc;

	st->init(o);
	entries = stage_entries(st, o);
	{
		g_autoptr(GOptionContext) ctx = kith_cli_context(st->name,
		    st->params, st->summary, st->description, entries, cli);
		rc = kith_cli_parse(ctx, &argc, &argv, cli);
	}
	if (rc == 0)
		rc = st->check(o, argc, argv);
	if (rc == 0)
		rc = st->exec(o, argc > 1 ? argv[1] : NULL, cli);
	st->clear(o);
	return rc;
}

gboolean
kith_cli_stage_key(const struct kith_cli_stage *st, const char *key,
                   const char *value, char **why)
{
	g_autofree void *o = g_malloc0(st->size);
	gboolean ok;

	st->init(o);
	ok = stage_set(st, o, key, value, why);
	st->clear(o);
	return ok;
}

int
kith_cli_stage_run(const struct kith_cli_stage *st, const char *const *keys,
                   const char *const *values, int n, const char *store,
                   const char *output, struct kith_cli *cli)
{
	g_autofree void *o = g_malloc0(st->size);
	const struct kith_cli *progress_was = progress_cli;
	char *why = NULL;
	int rc = 0;

	st->init(o);
	for (int i = 0; i < n && rc == 0; i++)
		if (!stage_set(st, o, keys[i], values[i], &why)) {
			rc = kith_cli_usage(st->name, "%s", why);
			g_free(why);
		}
	if (rc == 0 && !stage_set(st, o, "output", output, &why)) {
		rc = kith_cli_usage(st->name, "%s", why);
		g_free(why);
	}
	if (rc == 0)
		rc = st->check(o, st->no_args ? 1 : 2, NULL);
	if (rc == 0) {
		kith_blas_release();
		progress_cli = cli;
		rc = st->exec(o, st->no_args ? NULL : store, cli);
		progress_cli = progress_was;
	}
	st->clear(o);
	return rc;
}
