/* The command table: KITH_COMMAND(name, one-line summary), one per
 * src/cli/cmd-NAME.c, in the order `kith help` lists them. */
KITH_COMMAND(info, "print counts and statistics of a store; verify checksums")
KITH_COMMAND(synth, "generate a synthetic shop with planted communities")
KITH_COMMAND(eval, "evaluate embeddings: ranking, link prediction, classification")
