/* kith: the dispatch table of git-style subcommands. */
#include "config.h"

#include <igraph.h>
#include <errno.h>
#include <locale.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kith/dist.h"

struct kith_command {
	const char *name;
	const char *summary;
	int (*exec)(int argc, char **argv, struct kith_cli *cli);
};

static const struct kith_command commands[] = {
#define KITH_COMMAND(n, s) { #n, s, cmd_##n },
#include "commands.h"
#undef KITH_COMMAND
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: kith [--version] [--help] COMMAND [ARGS]\n\n"
	           "Models the relationships between users: ingest interaction\n"
	           "logs into a graph store, learn embeddings, profile users,\n"
	           "find communities and influencers, recommend.\n\n"
	           "Commands:\n");
	for (i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'kith help COMMAND' or 'kith COMMAND --help' describes a "
	           "command; 'man kith-COMMAND' in full.\n"
	           "Exit status: 0 ok, 1 data or runtime error, 2 usage error.\n");
}

/* The commands that run over the ranks of an MPI job; every other one
 * refuses to start under a launcher with more than one rank
 * (single-node: Leiden, betweenness, reports, ...). */
static const char *const distributed[] = { "embed", "influence", "ingest",
                                            "propagate" };

static gboolean
is_distributed(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(distributed); i++)
		if (strcmp(distributed[i], name) == 0)
			return TRUE;
	return FALSE;
}

static gboolean
asks_help(int argc, char **argv)
{
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
		    strncmp(argv[i], "--help-", 7) == 0)
			return TRUE;
	return FALSE;
}

/* Runs command c under MPI when a launcher started kith: only rank 0
 * keeps standard output; a command that fails with a runtime error on a
 * rank ends the whole job (other ranks may wait in a collective). */
static int
run_command(const struct kith_command *c, int argc, char **argv,
            struct kith_cli *cli)
{
	GError *err = NULL;
	int rc, size;

	if (!kith_dist_init(&err)) {
		fprintf(stderr, "kith %s: %s\n", c->name, err->message);
		rc = err->code == KITH_ERROR_USAGE ? 2 : 1;
		g_error_free(err);
		return rc;
	}
	/* GOption's --help exits from inside the parser */
	atexit(kith_dist_finalize);
	size = kith_dist_size();
	if (kith_dist_rank() != 0 && freopen("/dev/null", "w", stdout) == NULL)
		fclose(stdout);
	if (size > 1 && !is_distributed(c->name) && !asks_help(argc, argv)) {
		if (kith_dist_rank() == 0) {
			fprintf(stderr, "kith %s: runs on one machine only, not "
			        "under an MPI launcher with %d ranks; the commands "
			        "that run over several ranks are:", c->name, size);
			for (size_t i = 0; i < G_N_ELEMENTS(distributed); i++)
				fprintf(stderr, " %s", distributed[i]);
			fprintf(stderr, " (see kith(1), BEYOND ONE MACHINE); run "
			        "'kith %s' without mpirun or with -np 1\n", c->name);
		}
		kith_dist_finalize();
		return 2;
	}
	rc = c->exec(argc - 1, argv + 1, cli);
	if (size > 1 && rc != 0 && rc != 2) {
		fflush(stdout);
		fflush(stderr);
		kith_dist_abort(rc);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "kith %s: cannot write standard output: %s\n",
		        c->name, g_strerror(errno));
		if (rc == 0)
			rc = 1;
	}
	kith_dist_finalize();
	return rc;
}

static const struct kith_command *
find(const char *name)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void
on_signal(int sig)
{
	kith_interrupt_request();
	signal(sig, SIG_DFL);
}

static void
igraph_quiet_error(const char *reason, const char *file, int line,
                   igraph_error_t err)
{
	(void)reason;
	(void)file;
	(void)line;
	(void)err;
	IGRAPH_FINALLY_FREE();
}

int
main(int argc, char **argv)
{
	const struct kith_command *c;
	struct kith_cli cli = { .threads = 0, .seed = 42 };
	const char *name;

	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");
	/* A fixed mmap threshold: glibc otherwise raises it to the size of
	 * each mmapped block freed (up to 32 MiB), so that later blocks of
	 * that size come from the heap, which keeps their pages after free.
	 * LightGCN's per-step buffers then held ~25 % of a rank's peak (and
	 * ~9 % of one process's) after the training buffers were freed. */
	if (!getenv("MALLOC_MMAP_THRESHOLD_"))
		mallopt(M_MMAP_THRESHOLD, 1 << 20);
	igraph_set_error_handler(igraph_quiet_error);
	igraph_set_warning_handler(igraph_warning_handler_ignore);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	name = argv[1];
	if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
		printf("kith %s\n", kith_version());
		return 0;
	}
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(name, "help") == 0) {
		char *hargv[3];
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		c = find(argv[2]);
		if (c == NULL) {
			fprintf(stderr, "kith: '%s' is not a kith command\n", argv[2]);
			return 2;
		}
		hargv[0] = argv[2];
		hargv[1] = (char *)"--help";
		hargv[2] = NULL;
		return c->exec(2, hargv, &cli);
	}
	c = find(name);
	if (c == NULL) {
		fprintf(stderr, "kith: '%s' is not a kith command. See 'kith --help'.\n",
		        name);
		return 2;
	}
	kith_set_threads(0);
	return run_command(c, argc, argv, &cli);
}
