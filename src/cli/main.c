/* kith: the dispatch table of git-style subcommands. */
#include "config.h"

#include <igraph.h>
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

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
	int rc;

	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");
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
	rc = c->exec(argc - 1, argv + 1, &cli);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "kith %s: cannot write standard output: %s\n", name,
		        g_strerror(errno));
		return rc ? rc : 1;
	}
	return rc;
}
