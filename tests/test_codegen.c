/*
 * test_codegen.c - generated codebases compile and run with the installed GHC, are the same
 * for the same seed, and bad parameters are refused with a clear message.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runners/proc.h"
#include "scenarios/codegen.h"
#include "tests/helpers.h"

/* ghc --make the codebase in `cb` (include paths src1..), run Main, return its stdout. */
static char *compile_and_run(const char *cb, int include_paths)
{
	char out[600], exe[620], errp[620], incs[8][600];
	snprintf(out, sizeof(out), "%s.build", cb);
	snprintf(exe, sizeof(exe), "%s/main", out);
	snprintf(errp, sizeof(errp), "%s/ghc.err", out);
	char *argv[32];
	size_t n = 0;
	char mainp[620], odir[620];
	snprintf(mainp, sizeof(mainp), "%s/Main.hs", cb);
	snprintf(odir, sizeof(odir), "%s", out);
	char *base[] = {"ghc", "-v0", "--make", "-O0", "-outputdir", odir, "-o", exe};
	for (size_t i = 0; i < sizeof(base) / sizeof(*base); i++)
		argv[n++] = base[i];
	for (int k = 0; k < include_paths && k < 8; k++) {
		if (k == 0)
			snprintf(incs[k], sizeof(incs[k]), "-i%s", cb);
		else
			snprintf(incs[k], sizeof(incs[k]), "-i%s/src%d", cb, k);
		argv[n++] = incs[k];
	}
	argv[n++] = mainp;
	argv[n] = NULL;
	char mk[700];
	snprintf(mk, sizeof(mk), "mkdir -p %s", out);
	cr_assert_eq(system(mk), 0);
	struct proc_spec spec = {.argv = argv, .stderr_path = errp, .timeout_s = 300};
	struct proc_result res;
	struct lb_error err = {0};
	cr_assert_eq(proc_run(&spec, &res, &err), 0, "%s", err.msg);
	char *ghc_err = slurp_file(errp);
	cr_assert(res.end == PROC_EXITED && res.exit_code == 0, "ghc failed: %s", ghc_err ? ghc_err : "");
	free(ghc_err);
	proc_result_free(&res);
	char *rargv[] = {exe, NULL}, stdout_path[640];
	snprintf(stdout_path, sizeof(stdout_path), "%s/run.out", out);
	struct proc_spec rspec = {.argv = rargv, .stdout_path = stdout_path, .timeout_s = 60};
	cr_assert_eq(proc_run(&rspec, &res, &err), 0, "%s", err.msg);
	cr_assert(res.end == PROC_EXITED && res.exit_code == 0);
	proc_result_free(&res);
	return slurp_file(stdout_path);
}

Test(codegen, layered_with_include_paths_th_records_classes_compiles, .timeout = 300)
{
	char *dir = scratch_dir(), cb[600];
	snprintf(cb, sizeof(cb), "%s/cb", dir);
	struct gen_params p;
	gen_defaults(&p);
	p.modules = 12;
	p.layers = 3;
	p.include_paths = 3;
	p.th = p.records = p.classes = 1;
	struct lb_error err = {0};
	int n = 0;
	cr_assert_eq(gen_codebase(&p, cb, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 12);
	char path[700];
	snprintf(path, sizeof(path), "%s/L0/M0.hs", cb);
	cr_assert_eq(access(path, F_OK), 0, "module 0 of a layer is at the root");
	snprintf(path, sizeof(path), "%s/hie.yaml", cb);
	char *hie = slurp_file(path);
	cr_assert(hie && strstr(hie, "direct:") && strstr(hie, "\"-isrc2\""), "%s", hie);
	cr_assert(strstr(hie, "- \"L0.M0\"") && strstr(hie, "- \"L2.M3\""), "every module is a target: %s", hie);
	free(hie);
	snprintf(path, sizeof(path), "%s/generated.cabal", cb);
	char *cabal = slurp_file(path);
	cr_assert(cabal && strstr(cabal, "hs-source-dirs:   . src1 src2") && strstr(cabal, "L2.M3"),
		  "%s", cabal);
	free(cabal);
	char *out = compile_and_run(cb, 3);
	cr_assert(out && atol(out) > 0, "Main printed a number: %s", out);
	free(out);
	rm_rf(dir);
	free(dir);
}

Test(codegen, breadth_depth_compiles, .timeout = 300)
{
	char *dir = scratch_dir(), cb[600];
	snprintf(cb, sizeof(cb), "%s/cb", dir);
	struct gen_params p;
	gen_defaults(&p);
	p.shape = GEN_BREADTH_DEPTH;
	p.breadth = 3;
	p.depth = 3;
	p.include_paths = 2;
	p.th = 1;
	struct lb_error err = {0};
	int n;
	cr_assert_eq(gen_codebase(&p, cb, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 9);
	char path[700];
	snprintf(path, sizeof(path), "%s/D0/N0.hs", cb);
	char *top = slurp_file(path);
	cr_assert(top && strstr(top, "import qualified D1.N2") && !strstr(top, "import qualified D2.N1"),
		  "level 0 imports every module of level 1 and no other level (but the TH module): %s", top);
	free(top);
	char *out = compile_and_run(cb, 2);
	cr_assert(out && atol(out) > 0, "%s", out);
	free(out);
	rm_rf(dir);
	free(dir);
}

static char *tree_text(const char *root)
{
	/* every file's path and contents, in sorted order, as one string */
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "cd %s && find . -type f | LC_ALL=C sort | xargs -I{} sh -c 'echo \"== {}\"; cat {}'",
		 root);
	FILE *f = popen(cmd, "r");
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (cap - n < 2)
			buf = realloc(buf, cap *= 2);
	}
	pclose(f);
	buf[n] = '\0';
	return buf;
}

/* The shape of the report that motivated leakbench: a project of cabal components, each
 * depending on the one before, loaded by a multi-component cabal cradle.  cabal builds it
 * offline (a CABAL_DIR whose config names no package repository, as for a real server
 * here), and the program it builds runs. */
Test(codegen, components_build_with_cabal_offline, .timeout = 300)
{
	if (access("/usr/bin/cabal", X_OK) != 0)
		cr_skip_test("cabal-install is not installed (make deps installs it)");
	char *dir = scratch_dir(), cb[600], cmd[2400];
	snprintf(cb, sizeof(cb), "%s/cb", dir);
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "gen", "codebase", "--out", cb, "--modules", "24", "--layers", "6", "--components",
			    "3", "--include-paths", "2", "--th", NULL),
		     0, "%s", o.err);
	cr_assert(strstr(o.out, "in 3 cabal packages") && strstr(o.out, "cabal build all"), "%s", o.out);
	lb_out_free(&o);
	char path[700];
	snprintf(path, sizeof(path), "%s/hie.yaml", cb);
	char *hie = slurp_file(path);
	cr_assert(hie && strstr(hie, "cabal:") && strstr(hie, "path: \"c3/app\"") && strstr(hie, "component: \"lib:c1\""),
		  "%s", hie);
	free(hie);
	snprintf(path, sizeof(path), "%s/c3/c3.cabal", cb);
	char *cabal = slurp_file(path);
	cr_assert(cabal && strstr(cabal, "build-depends:    base, template-haskell, c1, c2") &&
			  strstr(cabal, "L5.M3") && !strstr(cabal, "L0.M0") && strstr(cabal, "executable generated"),
		  "%s", cabal);
	free(cabal);
	snprintf(path, sizeof(path), "%s/c1/L0/M0.hs", cb);
	cr_assert_eq(access(path, F_OK), 0, "module 0 of the first layer is in c1");
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/cabal-dir && printf 'jobs: 2\\n' > %s/cabal-dir/config && cd %s && "
		 "CABAL_DIR=%s/cabal-dir cabal build all --offline > %s/build.log 2>&1 && "
		 "CABAL_DIR=%s/cabal-dir $(CABAL_DIR=%s/cabal-dir cabal list-bin exe:generated) > %s/out.txt",
		 dir, dir, cb, dir, dir, dir, dir, dir);
	int rc = system(cmd);
	snprintf(path, sizeof(path), "%s/build.log", dir);
	char *log = slurp_file(path);
	cr_assert_eq(rc, 0, "cabal build all: %s", log ? log : "(no log)");
	free(log);
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	char *out = slurp_file(path);
	cr_assert(out && atol(out) > 0, "the program printed a number: %s", out ? out : "");
	free(out);
	rm_rf(dir);
	free(dir);
}

Test(codegen, same_seed_same_files)
{
	char *dir = scratch_dir(), a[600], b[600], c[600];
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(c, sizeof(c), "%s/c", dir);
	struct gen_params p;
	gen_defaults(&p);
	p.modules = 60;
	p.layers = 5;
	p.include_paths = 6;
	p.seed = 7;
	struct lb_error err = {0};
	cr_assert_eq(gen_codebase(&p, a, NULL, &err), 0, "%s", err.msg);
	cr_assert_eq(gen_codebase(&p, b, NULL, &err), 0, "%s", err.msg);
	p.seed = 8;
	cr_assert_eq(gen_codebase(&p, c, NULL, &err), 0, "%s", err.msg);
	char *ta = tree_text(a), *tb = tree_text(b), *tc = tree_text(c);
	cr_assert_gt(strlen(ta), 10000);
	cr_assert_str_eq(ta, tb, "the same seed gives identical files");
	cr_assert_str_neq(ta, tc, "another seed gives another codebase");
	free(ta);
	free(tb);
	free(tc);
	rm_rf(dir);
	free(dir);
}

Test(codegen, bad_parameters_are_refused)
{
	struct gen_params p;
	gen_defaults(&p);
	struct lb_error err = {0};
	cr_assert_eq(gen_param_set(&p, "modules", "lots", "x.scn:3: ", &err), LB_EINVAL);
	cr_assert(strstr(err.msg, "x.scn:3: modules=lots: expected a whole number"), "%s", err.msg);
	cr_assert_eq(gen_param_set(&p, "shape", "star", "", &err), LB_EINVAL);
	cr_assert(strstr(err.msg, "expected layered or breadth-depth"), "%s", err.msg);
	cr_assert_eq(gen_param_set(&p, "th", "maybe", "", &err), LB_EINVAL);
	cr_assert_eq(gen_param_set(&p, "colour", "red", "", &err), LB_EINVAL);
	cr_assert_eq(gen_param_set(&p, "cradle", "stack", "", &err), LB_EINVAL);
	cr_assert(strstr(err.msg, "cradle=stack: expected direct or cabal"), "%s", err.msg);
	p.modules = 3;
	p.layers = 5;
	cr_assert_eq(gen_params_check(&p, &err), LB_EINVAL);
	cr_assert(strstr(err.msg, "fewer than layers"), "%s", err.msg);
	gen_defaults(&p);
	p.components = 5; /* 4 layers */
	cr_assert_eq(gen_params_check(&p, &err), LB_EINVAL);
	cr_assert(strstr(err.msg, "components=5 is more than the 4 layers"), "%s", err.msg);

	char *dir = scratch_dir();
	gen_defaults(&p);
	char marker[600];
	snprintf(marker, sizeof(marker), "%s/keep.txt", dir);
	FILE *f = fopen(marker, "w");
	fclose(f);
	cr_assert_eq(gen_codebase(&p, dir, NULL, &err), LB_EINVAL);
	cr_assert(strstr(err.msg, "is not empty"), "%s", err.msg);

	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "gen", "codebase", "--modules", "x", "--out", "/tmp/never", NULL), 2);
	cr_assert(strstr(o.err, "modules=x: expected a whole number"), "%s", o.err);
	lb_out_free(&o);
	rm_rf(dir);
	free(dir);
}
