/* The command table: KITH_COMMAND(name, one-line summary), one per
 * src/cli/cmd-NAME.c, in the order `kith help` lists them. */
KITH_COMMAND(demo, "run the whole pipeline on the bundled sample shop")
KITH_COMMAND(run, "run the stages of a pipeline file, skipping up-to-date ones")
KITH_COMMAND(ingest, "read interaction and social files into a store")
KITH_COMMAND(info, "print counts and statistics of a store; verify checksums")
KITH_COMMAND(synth, "generate a synthetic shop with planted communities")
KITH_COMMAND(eval, "evaluate embeddings: ranking, link prediction, classification")
KITH_COMMAND(split, "split interactions per user into a train store and a test file")
KITH_COMMAND(recommend, "top-K item recommendations or similar users/items")
KITH_COMMAND(export, "export embeddings as npy, word2vec, fvecs or projector files")
KITH_COMMAND(profile, "per-user behavioural profiles, RFM scores and segments")
KITH_COMMAND(propagate, "diffuse category preferences over a user graph")
