/*
 * codegen.h - the codebase generator: valid Haskell in the shapes that have hurt HLS and
 * GHC users, deterministic from a seed, so a memory figure can be tied to a codebase shape.
 *
 * Shapes:
 *  - layered: `layers` layers of modules/layers modules; every module imports every module
 *    of the layer below (HLS's MultiLayerModules benchmark).  Module L<l>.M<i> lives in
 *    L<l>/M<i>.hs.
 *  - breadth-depth: `depth` levels of `breadth` modules; every module at level n imports every
 *    module at level n+1 (Shake's benchmark shape).  Module D<d>.N<j> in D<d>/N<j>.hs.
 * With include-paths=P > 1 the modules are spread over P source directories: the codebase
 * root and src1 .. src<P-1>.  Module 0 of every layer or level stays at the root, so scenarios
 * can name it by a fixed path (L0/M0.hs); the others are placed by the seed.
 * Options: th (a Template Haskell splice in module 0 of every layer above the first),
 * records (a record type per module), classes (a type class and instance per module).
 * Every codebase has Main.hs (importing the top layer and printing a number), hie.yaml (a
 * direct cradle listing every include path and every module as a target, which ghcide and
 * HLS need to load them) and generated.cabal.  cradle=cabal writes a cabal.project and a
 * cabal cradle instead.  components=N (N > 1) writes N cabal packages c1 .. cN in folders of
 * those names, each a library of its share of the layers (or levels), component k depending
 * on component k-1, the executable in cN/app, a cabal.project and a multi-component cabal
 * cradle: the shape of a project whose loaded components stay the same while one is edited.
 * Module L<l>.M<i> then lives in c<k>/L<l>/M<i>.hs.  `cabal build all` compiles it offline
 * (only base, and template-haskell with th, are needed).
 */
#ifndef LB_CODEGEN_H
#define LB_CODEGEN_H

#include <stddef.h>

#include "base/error.h"

enum gen_shape { GEN_LAYERED = 0, GEN_BREADTH_DEPTH = 1 };

struct gen_params {
	enum gen_shape shape;
	int modules;       /* layered: total modules (rounded down to a multiple of layers) */
	int layers;
	int breadth, depth; /* breadth-depth */
	int include_paths;
	unsigned long seed;
	int th, records, classes;
	int components;   /* cabal packages (1: one, as generated.cabal) */
	int cabal_cradle; /* hie.yaml: a cabal cradle (always with components > 1) */
};

void gen_defaults(struct gen_params *p);
/* Set one parameter from text, as in `codebase generate KEY=VALUE` or a --KEY option.
 * `where` prefixes error messages ("scenario.scn:3: "). */
int gen_param_set(struct gen_params *p, const char *key, const char *value, const char *where,
		  struct lb_error *err);
/* Check ranges and combinations. */
int gen_params_check(const struct gen_params *p, struct lb_error *err);

/* Write the codebase into `dir` (created; it must not exist or be empty).  *n_modules gets
 * the number of modules written (Main excluded). */
int gen_codebase(const struct gen_params *p, const char *dir, int *n_modules, struct lb_error *err);

#endif
