/*
 * codegen.c - writes a generated Haskell codebase.
 *
 * Every choice the seed makes goes through one xorshift generator consumed in a fixed
 * order, and nothing else (time, directory order, addresses) reaches the output, so the
 * same parameters always give byte-identical files.  The code is deliberately plain
 * Haskell 2010 (plus TemplateHaskell where asked): the point is the module graph and a
 * realistic amount of typechecking per module, not clever code.
 */
#include "scenarios/codegen.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/file.h"

void gen_defaults(struct gen_params *p)
{
	memset(p, 0, sizeof(*p));
	p->shape = GEN_LAYERED;
	p->modules = 40;
	p->layers = 4;
	p->breadth = 4;
	p->depth = 4;
	p->include_paths = 1;
	p->seed = 1;
	p->components = 1;
}

static int parse_uint(const char *v, long max, long *out)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (end == v || *end || errno || n < 0 || n > max)
		return -1;
	*out = n;
	return 0;
}

static int parse_bool(const char *v, int *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on"))
		*out = 1;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off"))
		*out = 0;
	else
		return -1;
	return 0;
}

int gen_param_set(struct gen_params *p, const char *key, const char *value, const char *where,
		  struct lb_error *err)
{
	static const struct {
		const char *key;
		size_t off;
		long max;
	} ints[] = {
		{"modules", offsetof(struct gen_params, modules), 100000},
		{"layers", offsetof(struct gen_params, layers), 10000},
		{"breadth", offsetof(struct gen_params, breadth), 10000},
		{"depth", offsetof(struct gen_params, depth), 10000},
		{"include-paths", offsetof(struct gen_params, include_paths), 10000},
		{"components", offsetof(struct gen_params, components), 1000},
	};
	long n;
	for (size_t i = 0; i < sizeof(ints) / sizeof(*ints); i++)
		if (!strcmp(key, ints[i].key)) {
			if (parse_uint(value, ints[i].max, &n) || n < 1)
				return lb_error_set(err, LB_EINVAL, "%s%s=%s: expected a whole number from 1 to %ld",
						    where, key, value, ints[i].max);
			*(int *)((char *)p + ints[i].off) = (int)n;
			return 0;
		}
	if (!strcmp(key, "seed")) {
		if (parse_uint(value, 2147483647L, &n))
			return lb_error_set(err, LB_EINVAL, "%sseed=%s: expected a whole number", where, value);
		p->seed = (unsigned long)n;
		return 0;
	}
	if (!strcmp(key, "shape")) {
		if (!strcmp(value, "layered"))
			p->shape = GEN_LAYERED;
		else if (!strcmp(value, "breadth-depth"))
			p->shape = GEN_BREADTH_DEPTH;
		else
			return lb_error_set(err, LB_EINVAL, "%sshape=%s: expected layered or breadth-depth",
					    where, value);
		return 0;
	}
	if (!strcmp(key, "cradle")) {
		if (strcmp(value, "direct") && strcmp(value, "cabal"))
			return lb_error_set(err, LB_EINVAL, "%scradle=%s: expected direct or cabal", where, value);
		p->cabal_cradle = !strcmp(value, "cabal");
		return 0;
	}
	int *flag = !strcmp(key, "th") ? &p->th : !strcmp(key, "records") ? &p->records
					: !strcmp(key, "classes") ? &p->classes : NULL;
	if (flag) {
		if (parse_bool(value, flag))
			return lb_error_set(err, LB_EINVAL, "%s%s=%s: expected yes or no", where, key, value);
		return 0;
	}
	return lb_error_set(err, LB_EINVAL,
			    "%sunknown generator parameter '%s' (expected modules, layers, include-paths, "
			    "shape, breadth, depth, seed, th, records, classes, components, cradle)",
			    where, key);
}

int gen_params_check(const struct gen_params *p, struct lb_error *err)
{
	if (p->shape == GEN_LAYERED && p->modules < p->layers)
		return lb_error_set(err, LB_EINVAL,
				    "modules=%d is fewer than layers=%d: each layer needs a module",
				    p->modules, p->layers);
	long total = p->shape == GEN_LAYERED ? p->modules : (long)p->breadth * p->depth;
	if (total > 100000)
		return lb_error_set(err, LB_EINVAL, "%ld modules is more than the generator's 100000", total);
	if (p->include_paths > total)
		return lb_error_set(err, LB_EINVAL, "include-paths=%d is more than the %ld modules",
				    p->include_paths, total);
	long groups = p->shape == GEN_LAYERED ? p->layers : p->depth;
	if (p->components > groups)
		return lb_error_set(err, LB_EINVAL, "components=%d is more than the %ld %s: each component needs one",
				    p->components, groups, p->shape == GEN_LAYERED ? "layers" : "levels");
	return 0;
}

/* --- writing ------------------------------------------------------------------------ */

struct gen {
	const struct gen_params *p;
	const char *dir;
	unsigned long long rng;
	int groups, per; /* layers x modules per layer, or depth x breadth */
	const char *gpfx, *mpfx; /* "L"/"M" or "D"/"N" */
	int *home;       /* include path of module (g, m): home[g * per + m] */
	struct lb_error *err;
};

static unsigned long long next_rand(struct gen *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 2685821657736338717ull;
}

/* The include path directory of path index k: "" for the root, "src<k>/" otherwise. */
static void path_prefix(int k, char *buf, size_t size)
{
	if (k == 0)
		buf[0] = '\0';
	else
		snprintf(buf, size, "src%d/", k);
}

/* The component (1 .. components) of group `grp`: the first layers (the deepest levels,
 * which the others import) in c1, so component k imports only from components before it. */
static int component_of(const struct gen *g, int grp)
{
	int n = g->p->components, rank = g->p->shape == GEN_LAYERED ? grp : g->groups - 1 - grp;
	return 1 + (int)((long)rank * n / g->groups);
}

/* "cK/" for a module of group `grp` when there are components, else "". */
static void component_prefix(const struct gen *g, int grp, char *buf, size_t size)
{
	if (g->p->components > 1)
		snprintf(buf, size, "c%d/", component_of(g, grp));
	else
		buf[0] = '\0';
}

static FILE *open_module(struct gen *g, int grp, int m)
{
	char pre[32], comp[32], path[4300], dir[4200];
	path_prefix(g->home[grp * g->per + m], pre, sizeof(pre));
	component_prefix(g, grp, comp, sizeof(comp));
	snprintf(dir, sizeof(dir), "%s/%s%s%s%d", g->dir, comp, pre, g->gpfx, grp);
	if (file_mkdirs(dir, g->err))
		return NULL;
	snprintf(path, sizeof(path), "%s/%s%d.hs", dir, g->mpfx, m);
	FILE *f = fopen(path, "w");
	if (!f)
		lb_error_set(g->err, LB_EIO, "cannot create %s: %s", path, strerror(errno));
	return f;
}

/* Module (grp, m): imports every module of group `dep` (-1: none). */
static int write_module(struct gen *g, int grp, int m, int dep)
{
	const struct gen_params *p = g->p;
	FILE *f = open_module(g, grp, m);
	if (!f)
		return g->err->code;
	int th = p->th && m == 0 && grp != (p->shape == GEN_LAYERED ? 0 : g->groups - 1);
	int th_lib = p->th && m == 0 && grp == (p->shape == GEN_LAYERED ? 0 : g->groups - 1);
	if (th || th_lib)
		fprintf(f, "{-# LANGUAGE TemplateHaskell #-}\n");
	fprintf(f, "-- generated by leakbench (seed %lu); do not edit\n", p->seed);
	fprintf(f, "module %s%d.%s%d where\n\n", g->gpfx, grp, g->mpfx, m);
	if (dep >= 0)
		for (int j = 0; j < g->per; j++)
			fprintf(f, "import qualified %s%d.%s%d\n", g->gpfx, dep, g->mpfx, j);
	if (th_lib)
		fprintf(f, "import Language.Haskell.TH\n");
	if (th)
		fprintf(f, "import qualified %s%d.%s0 as TH\n", g->gpfx,
			p->shape == GEN_LAYERED ? 0 : g->groups - 1, g->mpfx);
	fprintf(f, "\n");
	/* a little bulk for the typechecker, varied by the seed */
	int helpers = 2 + (int)(next_rand(g) % 4);
	for (int h = 0; h < helpers; h++)
		fprintf(f, "helper%d_%d_%d :: [Int] -> Int\nhelper%d_%d_%d xs = sum (map (* %d) xs) + length xs\n\n",
			h, grp, m, h, grp, m, h + 1 + (int)(next_rand(g) % 7));
	fprintf(f, "value%d_%d :: Int -> Int\nvalue%d_%d x =\n  helper0_%d_%d [x, %d]", grp, m, grp, m, grp,
		m, m + 1);
	if (dep >= 0)
		for (int j = 0; j < g->per; j++)
			fprintf(f, "\n    + %s%d.%s%d.value%d_%d (x `div` %d)", g->gpfx, dep, g->mpfx, j, dep, j,
				g->per + 1);
	fprintf(f, "\n\n");
	if (p->records)
		fprintf(f,
			"data Rec%d_%d = Rec%d_%d\n  { rec%d_%dName :: String\n  , rec%d_%dCount :: !Int\n"
			"  , rec%d_%dItems :: [Maybe Int]\n  } deriving (Show, Eq)\n\n"
			"mkRec%d_%d :: Int -> Rec%d_%d\nmkRec%d_%d n = Rec%d_%d (show n) n [Just n, Nothing]\n\n",
			grp, m, grp, m, grp, m, grp, m, grp, m, grp, m, grp, m, grp, m, grp, m);
	if (p->classes)
		fprintf(f,
			"class Measure%d_%d a where\n  measure%d_%d :: a -> Int\n\n"
			"instance Measure%d_%d Int where\n  measure%d_%d = value%d_%d\n\n"
			"instance Measure%d_%d a => Measure%d_%d [a] where\n  measure%d_%d = sum . map measure%d_%d\n\n",
			grp, m, grp, m, grp, m, grp, m, grp, m, grp, m, grp, m, grp, m, grp, m);
	if (th_lib)
		fprintf(f, "-- | Template Haskell used by the splices of the other layers.\n"
			   "mkConst :: String -> Integer -> Q [Dec]\n"
			   "mkConst name v = do\n"
			   "  let n = mkName name\n"
			   "  sig <- sigD n [t| Integer |]\n"
			   "  def <- valD (varP n) (normalB (litE (integerL v))) []\n"
			   "  return [sig, def]\n\n");
	if (th)
		fprintf(f, "$(TH.mkConst \"thConst%d\" %d)\n", grp, grp);
	if (fclose(f) != 0)
		return lb_error_set(g->err, LB_EIO, "writing a module in %s failed", g->dir);
	return 0;
}

static int write_file(struct gen *g, const char *name, const char *text)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", g->dir, name);
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		return lb_error_set(g->err, LB_EIO, "cannot write %s: %s", path, strerror(errno));
	return 0;
}

/* A growing string for the small files. */
struct sb {
	char *s;
	size_t n, cap;
	int oom;
};

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if (b->s && b->n + (size_t)n < b->cap) {
			b->n += (size_t)n;
			return;
		}
		size_t ncap = (b->cap + (size_t)n + 1) * 2;
		char *p = realloc(b->s, ncap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->s = p;
		b->cap = ncap;
	}
}

/* Main.hs: imports the top group and prints a number. */
static void main_module(struct gen *g, int top, struct sb *b)
{
	sb_printf(b, "-- generated by leakbench (seed %lu); do not edit\nmodule Main (main) where\n\n", g->p->seed);
	for (int j = 0; j < g->per; j++)
		sb_printf(b, "import qualified %s%d.%s%d\n", g->gpfx, top, g->mpfx, j);
	sb_printf(b, "\nmain :: IO ()\nmain = print (0");
	for (int j = 0; j < g->per; j++)
		sb_printf(b, " + %s%d.%s%d.value%d_%d %d", g->gpfx, top, g->mpfx, j, top, j, j + 1);
	sb_printf(b, ")\n");
}

/* hs-source-dirs of component `k` (0: the whole codebase): the include paths it uses. */
static void source_dirs(struct gen *g, int k, struct sb *b)
{
	for (int path = 0; path < g->p->include_paths; path++) {
		int used = 0;
		for (int grp = 0; grp < g->groups && !used; grp++)
			for (int m = 0; m < g->per && !used; m++)
				used = g->home[grp * g->per + m] == path && (!k || component_of(g, grp) == k);
		if (used || path == 0)
			sb_printf(b, path ? " src%d" : " .", path);
	}
}

/* The modules of component `k` (0: all), one per line with `indent`. */
static void module_list(struct gen *g, int k, const char *indent, const char *quote, struct sb *b)
{
	for (int grp = 0; grp < g->groups; grp++)
		for (int m = 0; m < g->per && (!k || component_of(g, grp) == k); m++)
			sb_printf(b, "%s%s%s%d.%s%d%s\n", indent, quote, g->gpfx, grp, g->mpfx, m, quote);
}

static int write_text(struct gen *g, const char *name, struct sb *b)
{
	return b->oom ? lb_error_oom(g->err) : write_file(g, name, b->s);
}

/* One package, generated.cabal and Main.hs at the root; a direct cradle naming every module
 * (ghcide and HLS load only the targets a direct cradle names: with the include paths
 * alone every import of another module fails, "not a module in the current program"), or
 * with cradle=cabal a cabal cradle and a cabal.project. */
static int write_one_package(struct gen *g, int top)
{
	const struct gen_params *p = g->p;
	struct sb main_hs = {0}, hie = {0}, cabal = {0}, project = {0};
	main_module(g, top, &main_hs);
	if (p->cabal_cradle) {
		sb_printf(&hie, "# generated by leakbench: a cabal cradle\ncradle:\n  cabal:\n    component: \"exe:generated\"\n");
		sb_printf(&project, "-- generated by leakbench\npackages: .\n");
	} else {
		sb_printf(&hie, "# generated by leakbench: a direct cradle with every include path and every\n"
				"# module as a target\ncradle:\n  direct:\n    arguments:\n");
		for (int k = 0; k < p->include_paths; k++)
			sb_printf(&hie, k ? "      - \"-isrc%d\"\n" : "      - \"-i.\"\n", k);
		if (p->th)
			sb_printf(&hie, "      - \"-XTemplateHaskell\"\n");
		module_list(g, 0, "      - ", "\"", &hie);
	}
	sb_printf(&cabal, "cabal-version: 2.4\n-- generated by leakbench (seed %lu); do not edit\n"
			  "name:          generated\nversion:       0.1.0.0\nbuild-type:    Simple\n\n"
			  "executable generated\n  main-is:          Main.hs\n  hs-source-dirs:  ",
		  p->seed);
	source_dirs(g, 0, &cabal);
	sb_printf(&cabal, "\n  default-language: Haskell2010\n  build-depends:    base%s\n  other-modules:\n",
		  p->th ? ", template-haskell" : "");
	module_list(g, 0, "    ", "", &cabal);
	int rc = write_text(g, "Main.hs", &main_hs) || write_text(g, "hie.yaml", &hie) ||
			 write_text(g, "generated.cabal", &cabal) || (p->cabal_cradle && write_text(g, "cabal.project", &project))
		 ? g->err->code
		 : 0;
	free(main_hs.s), free(hie.s), free(cabal.s), free(project.s);
	return rc;
}

/* Component packages c1 .. cN (see codegen.h), the executable in cN/app. */
static int write_components(struct gen *g, int top)
{
	const struct gen_params *p = g->p;
	int n = p->components, rc = 0;
	struct sb hie = {0}, project = {0}, main_hs = {0};
	sb_printf(&hie, "# generated by leakbench: a cabal cradle per component\ncradle:\n  cabal:\n"
			"    - path: \"c%d/app\"\n      component: \"exe:generated\"\n", n);
	sb_printf(&project, "-- generated by leakbench\npackages:");
	for (int k = n; k >= 1; k--)
		sb_printf(&hie, "    - path: \"c%d\"\n      component: \"lib:c%d\"\n", k, k);
	for (int k = 1; k <= n; k++)
		sb_printf(&project, " c%d", k);
	sb_printf(&project, "\n");
	for (int k = 1; !rc && k <= n; k++) {
		struct sb cabal = {0};
		char name[64];
		sb_printf(&cabal, "cabal-version: 2.4\n-- generated by leakbench (seed %lu); do not edit\n"
				  "name:          c%d\nversion:       0.1\nbuild-type:    Simple\n\n"
				  "library\n  hs-source-dirs:  ",
			  p->seed, k);
		source_dirs(g, k, &cabal);
		sb_printf(&cabal, "\n  default-language: Haskell2010\n  build-depends:    base%s",
			  p->th ? ", template-haskell" : "");
		for (int d = 1; d < k; d++) /* every earlier one: the Template Haskell library is in c1 */
			sb_printf(&cabal, ", c%d", d);
		sb_printf(&cabal, "\n  exposed-modules:\n");
		module_list(g, k, "    ", "", &cabal);
		if (k == n)
			sb_printf(&cabal, "\nexecutable generated\n  main-is:          Main.hs\n  hs-source-dirs:   app\n"
					  "  default-language: Haskell2010\n  build-depends:    base, c%d\n",
				  n);
		snprintf(name, sizeof(name), "c%d/c%d.cabal", k, k);
		rc = write_text(g, name, &cabal);
		free(cabal.s);
	}
	char app[4200];
	snprintf(app, sizeof(app), "%s/c%d/app", g->dir, n);
	main_module(g, top, &main_hs);
	if (!rc && (file_mkdirs(app, g->err) || write_text(g, "hie.yaml", &hie) || write_text(g, "cabal.project", &project)))
		rc = g->err->code;
	snprintf(app, sizeof(app), "c%d/app/Main.hs", n);
	if (!rc && write_text(g, app, &main_hs))
		rc = g->err->code;
	free(hie.s), free(project.s), free(main_hs.s);
	return rc;
}

static int write_project_files(struct gen *g, int top)
{
	return g->p->components > 1 ? write_components(g, top) : write_one_package(g, top);
}

static int dir_usable(const char *dir, struct lb_error *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : lb_error_set(err, LB_EIO, "%s: %s", dir, strerror(errno));
	struct dirent *de;
	int empty = 1;
	while (empty && (de = readdir(d)))
		empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	closedir(d);
	if (!empty)
		return lb_error_set(err, LB_EINVAL, "%s exists and is not empty: choose a new directory", dir);
	return 0;
}

int gen_codebase(const struct gen_params *p, const char *dir, int *n_modules, struct lb_error *err)
{
	if (gen_params_check(p, err) || dir_usable(dir, err) || file_mkdirs(dir, err))
		return err->code;
	struct gen g = {.p = p, .dir = dir, .rng = 0x9E3779B97F4A7C15ull ^ (p->seed * 0xBF58476D1CE4E5B9ull),
			.err = err};
	if (!g.rng)
		g.rng = 1;
	if (p->shape == GEN_LAYERED) {
		g.groups = p->layers;
		g.per = p->modules / p->layers;
		g.gpfx = "L";
		g.mpfx = "M";
	} else {
		g.groups = p->depth;
		g.per = p->breadth;
		g.gpfx = "D";
		g.mpfx = "N";
	}
	g.home = calloc((size_t)g.groups * (size_t)g.per, sizeof(int));
	if (!g.home)
		return lb_error_oom(err);
	for (int grp = 0; grp < g.groups; grp++)
		for (int m = 1; m < g.per; m++) /* module 0 stays at the root */
			g.home[grp * g.per + m] = (int)(next_rand(&g) % (unsigned long long)p->include_paths);
	int rc = 0;
	/* layered: layer l imports layer l-1, the top layer is the last; breadth-depth: level d
	 * imports level d+1, the top is level 0 */
	for (int grp = 0; !rc && grp < g.groups; grp++) {
		int dep = p->shape == GEN_LAYERED ? grp - 1 : (grp + 1 < g.groups ? grp + 1 : -1);
		for (int m = 0; !rc && m < g.per; m++)
			rc = write_module(&g, grp, m, dep);
	}
	if (!rc)
		rc = write_project_files(&g, p->shape == GEN_LAYERED ? g.groups - 1 : 0);
	if (!rc && n_modules)
		*n_modules = g.groups * g.per;
	free(g.home);
	return rc;
}
