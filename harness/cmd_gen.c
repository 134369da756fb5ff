/*
 * cmd_gen.c - `leakbench gen codebase`: write a generated Haskell codebase.
 *
 * The options are handed to the generator as KEY=VALUE text, the same path a scenario's
 * `codebase generate` line takes, so both are validated by one piece of code.
 */
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/cmd.h"
#include "scenarios/codegen.h"

int cmd_gen(int argc, char **argv)
{
	const char *modules = NULL, *layers = NULL, *paths = NULL, *seed = NULL, *shape = NULL,
		   *breadth = NULL, *depth = NULL, *out = NULL, *components = NULL, *cradle = NULL;
	int th = 0, records = 0, classes = 0;
	const struct cli_option options[] = {
		{"out", CLI_STRING, &out, "DIR", "where to write it (a new or empty directory)"},
		{"shape", CLI_STRING, &shape, "SHAPE", "layered (default) or breadth-depth"},
		{"modules", CLI_STRING, &modules, "N", "layered: how many modules (default 40)"},
		{"layers", CLI_STRING, &layers, "N", "layered: how many layers (default 4)"},
		{"breadth", CLI_STRING, &breadth, "N", "breadth-depth: modules per level (default 4)"},
		{"depth", CLI_STRING, &depth, "N", "breadth-depth: levels (default 4)"},
		{"include-paths", CLI_STRING, &paths, "N", "source directories to spread modules over (default 1)"},
		{"seed", CLI_STRING, &seed, "N", "the seed; the same seed gives the same files (default 1)"},
		{"th", CLI_FLAG, &th, NULL, "add Template Haskell splices"},
		{"records", CLI_FLAG, &records, NULL, "add a record type to every module"},
		{"classes", CLI_FLAG, &classes, NULL, "add a type class and instances to every module"},
		{"components", CLI_STRING, &components, "N", "N cabal packages c1..cN, each depending on the one before"},
		{"cradle", CLI_STRING, &cradle, "KIND", "hie.yaml: direct (default; every module a target) or cabal"},
		OPT_END,
	};
	const struct cli_command cmd = {
		"gen", "gen codebase [options] --out DIR",
		"Write a generated Haskell codebase that `ghc --make` compiles.",
		"layered: L layers, every module importing every module of the layer below (HLS's\n"
		"MultiLayerModules).  breadth-depth: every module at level n imports every module at\n"
		"level n+1 (Shake's benchmark).  Module 0 of each layer stays at the root (L0/M0.hs);\n"
		"with --include-paths the others are spread over src1..srcN by the seed.  Also writes\n"
		"Main.hs, hie.yaml (a direct cradle naming every module, or --cradle cabal with a\n"
		"cabal.project) and generated.cabal.  --components N writes N cabal packages (c1/..cN/,\n"
		"the executable in cN/app), a cabal.project and a multi-component cabal cradle;\n"
		"`cabal build all` compiles it with base alone.",
		options, 0};
	int first, nargs, parsed = cli_parse(&cmd, argc, argv, &first, &nargs);
	if (parsed != CLI_GO_ON)
		return parsed;
	if (nargs != 1 || strcmp(argv[first], "codebase") != 0) {
		fprintf(stderr, "leakbench gen: %s (usage: leakbench gen codebase [options] --out DIR)\n",
			nargs ? "the only thing it generates is 'codebase'" : "generate what? 'codebase'");
		return LB_EXIT_USAGE;
	}
	if (!out) {
		fprintf(stderr, "leakbench gen: --out DIR is required\n");
		return LB_EXIT_USAGE;
	}
	struct gen_params p;
	gen_defaults(&p);
	struct lb_error err = {0};
	const struct {
		const char *key, *value;
	} kv[] = {{"shape", shape}, {"modules", modules}, {"layers", layers}, {"breadth", breadth},
		  {"depth", depth}, {"include-paths", paths}, {"seed", seed},
		  {"th", th ? "yes" : NULL}, {"records", records ? "yes" : NULL},
		  {"classes", classes ? "yes" : NULL}, {"components", components}, {"cradle", cradle}};
	for (size_t i = 0; i < sizeof(kv) / sizeof(*kv); i++)
		if (kv[i].value && gen_param_set(&p, kv[i].key, kv[i].value, "--", &err)) {
			cli_error("gen", &err);
			return LB_EXIT_USAGE;
		}
	int n;
	if (gen_codebase(&p, out, &n, &err)) {
		cli_error("gen", &err);
		return err.code == LB_EINVAL ? LB_EXIT_USAGE : LB_EXIT_ERROR;
	}
	if (p.components > 1 || p.cabal_cradle) {
		printf("wrote %d modules (%s) in %d cabal package%s to %s: build with\n  cd %s && cabal build all\n", n,
		       p.shape == GEN_LAYERED ? "layered" : "breadth-depth", p.components, p.components == 1 ? "" : "s",
		       out, out);
		return LB_EXIT_OK;
	}
	printf("wrote %d modules (%s) to %s: compile with\n  ghc --make -O0 -i%s", n,
	       p.shape == GEN_LAYERED ? "layered" : "breadth-depth", out, out);
	for (int k = 1; k < p.include_paths; k++)
		printf(" -i%s/src%d", out, k);
	printf(" %s/Main.hs\n", out);
	return LB_EXIT_OK;
}
