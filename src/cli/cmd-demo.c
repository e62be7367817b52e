/* kith demo [-o OUT]: the bundled sample pipeline, end to end. */
#include "config.h"

#include <stdio.h>

#include "cli.h"

/* The sample's folder: $KITH_DATADIR, the installed copy, or the source
 * tree this binary was built from. */
static char *
find_pipeline(void)
{
	const char *env = g_getenv("KITH_DATADIR");
	const char *dirs[] = { env, KITH_PKGDATADIR, KITH_SRCDATADIR };
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(dirs); i++) {
		char *p;
		if (dirs[i] == NULL)
			continue;
		p = g_build_filename(dirs[i], "shop-small", "pipeline.ini", NULL);
		if (g_file_test(p, G_FILE_TEST_IS_REGULAR))
			return p;
		g_free(p);
	}
	return NULL;
}

int
cmd_demo(int argc, char **argv, struct kith_cli *cli)
{
	g_autofree char *out = NULL;
	g_autofree char *ini = NULL;
	g_autofree char *report = NULL;
	gboolean force = FALSE;
	GOptionEntry entries[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
		  "run folder (default: kith-demo)", "OUT" },
		{ "force", 0, 0, G_OPTION_ARG_NONE, &force,
		  "rerun every stage even if up to date", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = kith_cli_context(
	        "demo", NULL, "run the whole pipeline on the bundled sample shop",
	        "Runs datasets/shop-small/pipeline.ini (found through "
	        "$KITH_DATADIR, the installed data or the source tree).",
	        entries, cli);
	int rc;

	if ((rc = kith_cli_parse(ctx, &argc, &argv, cli)) != 0)
		return rc;
	if (argc != 1)
		return kith_cli_usage("demo", "unexpected argument '%s'", argv[1]);
	ini = find_pipeline();
	if (ini == NULL) {
		fprintf(stderr, "kith demo: cannot find shop-small/pipeline.ini "
		        "(set KITH_DATADIR)\n");
		return 1;
	}
	if (out == NULL)
		out = g_strdup("kith-demo");
	kith_cli_info(cli, "demo", "running '%s' into '%s'", ini, out);
	rc = kith_cli_run_pipeline(ini, out, force, cli);
	if (rc != 0)
		return rc;
	report = g_build_filename(out, "report", "report.html", NULL);
	if (g_file_test(report, G_FILE_TEST_IS_REGULAR)) {
		g_autofree char *abs = g_canonicalize_filename(report, NULL);
		printf("report: %s\n", abs);
	}
	return 0;
}
