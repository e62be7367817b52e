/*
 * The CLI frame shared by every src/cli/cmd-*.c file.  A command is
 * int cmd_NAME(int argc, char **argv, struct kith_cli *cli): argv[0] is the
 * command name; it parses its own options with kith_cli_context() /
 * kith_cli_parse() (which add --threads, --seed, --quiet), calls the
 * library, prints, and returns the exit status: 0 ok, 1 data or runtime
 * error, 2 usage error.
 */
#ifndef KITH_CLI_H
#define KITH_CLI_H

#include <glib.h>

#include <json-glib/json-glib.h>

#include "kith/core.h"

struct kith_store;
struct kith_emb;

struct kith_cli {
	int threads;       /* --threads, 0 = all cores */
	gint64 seed;       /* --seed, default 42 */
	gboolean quiet;    /* --quiet */
	gboolean tty;      /* stderr is a terminal and not --quiet */
	char *max_memory_text; /* --max-memory as given (owned by GOption) */
	guint64 max_memory;    /* --max-memory in bytes, 0 = no limit */
};

/* Runs the pipeline file INI into folder OUT (kith run / kith demo); FORCE
 * reruns every stage.  Returns the exit status. */
int kith_cli_run_pipeline(const char *ini, const char *out, gboolean force,
                          struct kith_cli *cli);

/* kith run's [embed] stage without a command line (cmd-embed.c): the n
 * keys (kith embed's long options) with their values (paths resolved)
 * set the options of kith embed, which trains on STORE into OUTPUT.
 * Returns the exit status. */
int kith_cli_embed_stage(const char *const *keys, const char *const *values,
                         int n, const char *store, const char *output,
                         struct kith_cli *cli);

/* Whether KEY = VALUE is an option of kith embed that parses; else FALSE
 * with *why (caller frees). */
gboolean kith_cli_embed_key(const char *key, const char *value, char **why);

/* An option of a command, declared once for its command line and for the
 * keys of its stage in kith run: the long name, the short one (or 0),
 * the type, the offset of its field in the command's options struct, the
 * help text and the name of its argument. */
struct kith_cli_option {
	const char *name;
	char short_name;
	GOptionArg arg;       /* NONE, INT, INT64, DOUBLE, STRING, FILENAME */
	size_t offset;
	const char *help;
	const char *arg_desc;
	int flags;            /* GOptionFlags (G_OPTION_FLAG_HIDDEN) */
};

/* The GOption entries (n + 1 slots, the last zeroed) of the n options
 * bound to the options struct at base. */
void kith_cli_option_entries(GOptionEntry *entries,
                             const struct kith_cli_option *opts, size_t n,
                             void *base);

/* Sets the option called KEY of the struct at base from the text VALUE
 * (a pipeline value: numbers in C notation, true/yes/1 or false/no/0 for
 * flags; strings are copied, replacing what the field held); FALSE with
 * *why (caller frees) when KEY is not an option or VALUE does not
 * parse. */
gboolean kith_cli_option_set(const struct kith_cli_option *opts, size_t n,
                             void *base, const char *key, const char *value,
                             char **why);

/* A command that kith run calls as a stage without a command line: its
 * options struct (size bytes; init / clear), its option table (and a
 * second one, `more`, whose offsets are relative to more_offset in the
 * struct: options shared with another command), the checks of the parsed
 * options (usage errors: returns 0 or 2; argc / argv: the command name
 * and the positional arguments, argv NULL in kith run), and exec, which makes the library call on its
 * positional argument (STORE; NULL when no_args) and prints the summary.
 * kith_cli_stage_main() is the command itself. */
struct kith_cli_stage {
	const char *name;
	const char *params;          /* "STORE" */
	const char *summary;
	const char *description;
	const struct kith_cli_option *options;
	size_t n_options;
	size_t size;
	void (*init)(void *opts);
	void (*clear)(void *opts);
	int (*check)(void *opts, int argc, char **argv);
	int (*exec)(void *opts, const char *store, struct kith_cli *cli);
	const struct kith_cli_option *more;
	size_t n_more;
	size_t more_offset;
	gboolean no_args;            /* takes no positional argument */
};

/* The command: parses argv with the stage's table, checks, executes on
 * argv[1] (STORE, or EMB for export).  Returns the exit status. */
int kith_cli_stage_main(const struct kith_cli_stage *st, int argc,
                        char **argv, struct kith_cli *cli);

/* The stage in kith run: the n keys (option names) with their values
 * (paths resolved) set the options, OUTPUT is the --output, then as
 * kith_cli_stage_main() on STORE.  Returns the exit status. */
int kith_cli_stage_run(const struct kith_cli_stage *st,
                       const char *const *keys, const char *const *values,
                       int n, const char *store, const char *output,
                       struct kith_cli *cli);

/* Whether KEY = VALUE sets an option of the stage; else FALSE with *why
 * (caller frees). */
gboolean kith_cli_stage_key(const struct kith_cli_stage *st, const char *key,
                            const char *value, char **why);

extern const struct kith_cli_stage kith_cli_stage_ingest;
extern const struct kith_cli_stage kith_cli_stage_profile;
extern const struct kith_cli_stage kith_cli_stage_propagate;
extern const struct kith_cli_stage kith_cli_stage_communities;
extern const struct kith_cli_stage kith_cli_stage_influence;
extern const struct kith_cli_stage kith_cli_stage_report;
extern const struct kith_cli_stage kith_cli_stage_export;

/* A GOptionContext for "kith CMD PARAMS" with ENTRIES plus the global
 * options bound to cli.  SUMMARY is the one-line description; DESCRIPTION
 * (may be NULL) is printed after the options in --help. */
GOptionContext *kith_cli_context(const char *cmd, const char *params,
                                 const char *summary,
                                 const char *description,
                                 const GOptionEntry *entries,
                                 struct kith_cli *cli);

/* Parses; on error prints "kith CMD: message" and a usage hint to stderr
 * and returns 2; on success applies --threads and returns 0. */
int kith_cli_parse(GOptionContext *ctx, int *argc, char ***argv,
                   struct kith_cli *cli);

/* Prints "kith CMD: message" for err, frees it, returns 2 for
 * KITH_ERROR_USAGE and 1 otherwise. */
int kith_cli_fail(const char *cmd, GError *err);

/* Prints "kith CMD: message" (printf-style) and returns 2. */
int kith_cli_usage(const char *cmd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Message on stderr unless --quiet ("kith CMD: ..."). */
void kith_cli_info(const struct kith_cli *cli, const char *cmd,
                   const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Opens the store STORE_PATH into *s and, when EMB_PATH is not NULL, the
 * embeddings EMB_PATH into *e (else *e stays NULL); the caller frees
 * both, also after a failure (whatever was opened is set).  FALSE with
 * error from kith_store_open() / kith_emb_open(). */
gboolean kith_cli_open_store_emb(const char *store_path, const char *emb_path,
                                 struct kith_store **s, struct kith_emb **e,
                                 GError **error);

/* The reader options that `kith ingest` and `kith update` share, as
 * parsed (NULL / 0 when not given; free with
 * kith_cli_reader_args_clear()). */
struct kith_cli_reader_args {
	char *sep;
	char *header;
	char *comment;
	gint64 max_line;
	char *on_error;
	char *max_rejects;
	gboolean allow_negative;
	char *preset;
	int max_levels;
};

/* The options --sep, --header, --comment, --on-error, --max-rejects,
 * --max-line-bytes, --allow-negative, --preset and --max-levels, with
 * offsets in struct kith_cli_reader_args. */
enum { KITH_CLI_READER_N = 9 };
extern const struct kith_cli_option kith_cli_reader_table[KITH_CLI_READER_N];

/* Adds those options to the command's, parsed into a. */
void kith_cli_reader_entries(GOptionContext *ctx,
                             struct kith_cli_reader_args *a);
void kith_cli_reader_args_clear(struct kith_cli_reader_args *a);
typedef struct kith_cli_reader_args kith_cli_reader_args; /* for g_auto() */
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(kith_cli_reader_args,
                                 kith_cli_reader_args_clear)

struct kith_ingest_options;
/* Validates a into o (sep, header, comment, max line bytes, skip_errors,
 * max_rejects / max_rejects_pct, allow_negative, preset, max_levels);
 * returns 0, or prints a usage error for command CMD and returns 2.  o
 * borrows a's preset. */
int kith_cli_reader_options(const char *cmd, struct kith_ingest_options *o,
                            const struct kith_cli_reader_args *a);

/* A note callback of the library (kith_ingest_note_fn and the like) that
 * prints "kith CMD: message" unless --quiet; data is a struct
 * kith_cli_note. */
struct kith_cli_note {
	const struct kith_cli *cli;
	const char *cmd;
};
void kith_cli_note(void *data, const char *msg);

/* The memory gate of a command about to allocate: prints "kith CMD:
 * memory estimate SIZE for WHAT" (unless --quiet) and, when --max-memory
 * is set and BYTES exceeds it, prints why the job is refused and returns
 * 1 (nothing has been allocated yet); else returns 0. */
int kith_cli_memory_gate(const struct kith_cli *cli, const char *cmd,
                         const char *what, guint64 bytes);

/* Parses a size "123", "64K", "1.5M", "8G", "1T" (powers of 1024, an
 * optional trailing 'B' or 'iB') into *bytes; FALSE when malformed. */
gboolean kith_cli_parse_size(const char *text, guint64 *bytes);

/* Declared for every command listed in commands.h. */
#define KITH_COMMAND(name, summary) \
	int cmd_##name(int argc, char **argv, struct kith_cli *cli);
#include "commands.h"
#undef KITH_COMMAND

#endif
