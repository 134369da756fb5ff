/*
 * test_config.c - leakbench.ini: what `init` writes loads; each kind of mistake is one
 * clear error naming the file and line; and revisions come from a real git repository made
 * here with libgit2 (ranges are first-parent, oldest first; checkouts are the commit's tree).
 */
#include <criterion/criterion.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/config.h"
#include "harness/rev.h"
#include "tests/helpers.h"

static char *write_in(const char *dir, const char *name, const char *text)
{
	char *path;
	cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void load_err(const char *text, const char *want)
{
	char *dir = scratch_dir(), *path = write_in(dir, "leakbench.ini", text);
	free(write_in(dir, "x.scn", "runner exec\nrun\n"));
	struct cfg *c = NULL;
	struct lb_error err = {0};
	cr_assert_eq(cfg_load(&c, path, &err), LB_EINVAL, "should fail: %s", text);
	cr_assert_null(c);
	cr_assert(strstr(err.msg, want), "want '%s' in: %s", want, err.msg);
	cr_assert(strstr(err.msg, "leakbench.ini:"), "names the file: %s", err.msg);
	free(path);
	rm_rf(dir);
	free(dir);
}

Test(config, what_init_writes_loads)
{
	char *dir = scratch_dir();
	struct lb_out o;
	cr_assert_eq(run_lb(&o, NULL, "init", "--dir", dir, NULL), 0, "%s", o.err);
	lb_out_free(&o);
	cr_assert_eq(run_lb(&o, NULL, "init", "--dir", dir, NULL), 2, "never over existing files");
	cr_assert(strstr(o.err, "already exists"), "%s", o.err);
	lb_out_free(&o);
	char path[600];
	snprintf(path, sizeof(path), "%s/leakbench.ini", dir);
	struct cfg *c;
	struct lb_error err = {0};
	cr_assert_eq(cfg_load(&c, path, &err), 0, "%s", err.msg);
	cr_assert_eq(c->n_targets, 3);
	struct lb_error e2 = {0};
	const struct cfg_target *t = cfg_target(c, "fixture", &e2);
	cr_assert_not_null(t);
	cr_assert(strstr(t->repo, "/demo-repo") && t->repo[0] == '/', "relative to the file: %s", t->repo);
	cr_assert_str_eq(t->program, "lspfix");
	cr_assert_eq(t->build_timeout, 600);
	cr_assert(strlen(cfg_target(c, "ghc", &e2)->build) > 100, "long lines are read whole");
	const struct cfg_scenario *s = cfg_scenario(c, "example", &e2);
	cr_assert_eq(s->repeat, 3);
	cr_assert_eq(s->n_targets, 2);
	cr_assert_eq(c->n_thresholds, 2);
	cr_assert_float_eq(c->thresholds[0].ratio, 0.03, 1e-9);
	cr_assert_null(cfg_target(c, "fixtur", &e2));
	cr_assert(strstr(e2.msg, "did you mean 'fixture'"), "%s", e2.msg);
	cfg_free(c);
	rm_rf(dir);
	free(dir);
}

Test(config, mistakes_name_file_and_line)
{
	load_err("[leakbench]\ndatabase = x.db\n[target a]\nrepo = r\nbiuld = make\n", "leakbench.ini:5: unknown key 'biuld' in [target a] (did you mean 'build'?)");
	load_err("[target a]\nrepo = r\nprogram = p\n", "leakbench.ini:1: [target a] has no build");
	load_err("[target a]\nrepo = r\nbuild = make\nprogram = p\n", "never names {out}");
	load_err("[target a]\nrepo = r\nbuild = make {out}\n", "has no program");
	load_err("[target a]\nprogram = /usr/bin/x\n", "leakbench.ini:2: program '/usr/bin/x' must be a path inside");
	load_err("[scenario s]\nfile = x.scn\nrepeat = lots\n", "leakbench.ini:3: repeat 'lots'");
	load_err("[scenario s]\nfile = missing.scn\n", "leakbench.ini:1: [scenario s]: cannot read");
	load_err("[scenario s]\nfile = x.scn\ntargets = nobody\n", "no [target nobody]");
	load_err("[thresholds]\nmax_live_bytes = 3\n", "leakbench.ini:2: threshold for max_live_bytes: expected a percentage");
	load_err("[thresholds]\nmax_live_bytez = 3%\n",
		 "leakbench.ini:2: [thresholds] max_live_bytez: no run stores such a metric (did you mean 'max_live_bytes'?)");
	load_err("[targets a]\nrepo = r\n", "leakbench.ini:2: unknown section [targets a]");
	load_err("[target a]\nrepo = r\n[target a]\nrepo = s\n", "leakbench.ini:4: a second [target a] (first at line 1)");
	load_err("[leakbench]\nthis line has no equals sign\n", "leakbench.ini:2: expected [section], KEY = VALUE");
	load_err("[target a]\nrunner = vim\n", "runner 'vim': expected lsp, ghci or exec");
	load_err("[target a]\ncommit-url = javascript:alert(document.cookie)//{sha}\n",
		 "leakbench.ini:2: commit-url 'javascript:alert(document.cookie)//{sha}': expected an http:// or https:// URL");
	load_err("[target a]\ncommit-url = data:text/html,{sha}\n", "expected an http:// or https:// URL");
	struct cfg *c;
	struct lb_error err = {0};
	cr_assert_eq(cfg_load(&c, "/no/such/leakbench.ini", &err), LB_ENOTFOUND);
	cr_assert(strstr(err.msg, "leakbench init"), "%s", err.msg);
}

Test(config, revisions_from_a_real_repository)
{
	char *dir = scratch_dir(), src[600], cache[600], out[700];
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	git_libgit2_init();
	git_repository *repo;
	cr_assert_eq(git_repository_init(&repo, src, 0), 0);
	git_commit_file(repo, "one", "a.txt", "1\n", NULL);
	git_commit_file(repo, "two", "a.txt", "2\n", NULL);
	git_commit_file(repo, "three\n\nMetric-Increase: max_live_bytes\n", "b.txt", "b\n", NULL);
	git_commit_file(repo, "four", "a.txt", "4\n", NULL);
	struct rev_repo *r;
	struct lb_error err = {0};
	cr_assert_eq(rev_open(&r, cache, "t", src, 0, &err), 0, "%s", err.msg);
	struct rev_commit *list;
	size_t n;
	cr_assert_eq(rev_list(r, "HEAD~3..HEAD", &list, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(list[0].subject, "two");
	cr_assert_str_eq(list[2].subject, "four");
	cr_assert(strstr(list[1].message, "Metric-Increase: max_live_bytes"));
	cr_assert_str_eq(list[1].author, "Test Author <t@example.org>");
	cr_assert_eq(strlen(list[2].parents), 40);
	cr_assert_str_eq(list[2].parents, list[1].sha);
	snprintf(out, sizeof(out), "%s/co", dir);
	cr_assert_eq(rev_checkout(r, &list[1], out, &err), 0, "%s", err.msg);
	char path[800];
	snprintf(path, sizeof(path), "%s/a.txt", out);
	char *a = slurp_file(path);
	cr_assert_str_eq(a, "2\n", "the tree of commit three has a.txt of commit two");
	free(a);
	struct rev_commit c;
	char shortid[9];
	snprintf(shortid, sizeof(shortid), "%.8s", list[0].sha);
	cr_assert_eq(rev_resolve(r, shortid, &c, &err), 0, "%s", err.msg);
	cr_assert_str_eq(c.sha, list[0].sha);
	rev_commit_free(&c);
	for (size_t i = 0; i < n; i++)
		rev_commit_free(&list[i]);
	free(list);
	cr_assert_eq(rev_resolve(r, "no-such-branch", &c, &err), LB_EINVAL);
	cr_assert(strstr(err.msg, "unknown revision 'no-such-branch'"), "%s", err.msg);
	cr_assert_eq(rev_list(r, "HEAD..HEAD~2", &list, &n, &err), LB_EINVAL);
	cr_assert(strstr(err.msg, "is not an ancestor"), "%s", err.msg);
	/* new commits reach the mirror by fetching */
	git_commit_file(repo, "five", "a.txt", "5\n", NULL);
	rev_close(r);
	cr_assert_eq(rev_open(&r, cache, "t", src, 1, &err), 0, "%s", err.msg);
	cr_assert_eq(rev_resolve(r, "HEAD", &c, &err), 0, "%s", err.msg);
	cr_assert_str_eq(c.subject, "five");
	rev_commit_free(&c);
	rev_close(r);
	cr_assert_eq(rev_open(&r, cache, "u", "/no/such/repo", 0, &err), LB_EINVAL);
	cr_assert(strstr(err.msg, "cloning /no/such/repo"), "%s", err.msg);
	git_repository_free(repo);
	git_libgit2_shutdown();
	rm_rf(dir);
	free(dir);
}

Test(config, submodules_are_checked_out_with_their_revision)
{
	char *dir = scratch_dir(), lib_dir[600], src[600], cache[600], out[700], path[800];
	snprintf(lib_dir, sizeof(lib_dir), "%s/lib", dir);
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	git_libgit2_init();
	git_repository *lib, *repo;
	cr_assert_eq(git_repository_init(&lib, lib_dir, 0), 0);
	git_commit_file(lib, "lib one", "lib.txt", "the submodule's first\n", NULL);
	git_oid pinned;
	cr_assert_eq(git_reference_name_to_id(&pinned, lib, "HEAD"), 0);
	git_commit_file(lib, "lib two", "lib.txt", "the submodule's second\n", NULL);
	/* the parent pins the first commit at vendor/lib, with a URL relative to its own */
	cr_assert_eq(git_repository_init(&repo, src, 0), 0);
	const char *modules = "[submodule \"lib\"]\n\tpath = vendor/lib\n\turl = ../lib\n";
	git_oid blob, vendor, root, id;
	git_treebuilder *tb;
	cr_assert_eq(git_treebuilder_new(&tb, repo, NULL), 0);
	cr_assert_eq(git_treebuilder_insert(NULL, tb, "lib", &pinned, GIT_FILEMODE_COMMIT), 0);
	cr_assert_eq(git_treebuilder_write(&vendor, tb), 0);
	git_treebuilder_free(tb);
	cr_assert_eq(git_blob_create_from_buffer(&blob, repo, modules, strlen(modules)), 0);
	cr_assert_eq(git_treebuilder_new(&tb, repo, NULL), 0);
	cr_assert_eq(git_treebuilder_insert(NULL, tb, ".gitmodules", &blob, GIT_FILEMODE_BLOB), 0);
	cr_assert_eq(git_treebuilder_insert(NULL, tb, "vendor", &vendor, GIT_FILEMODE_TREE), 0);
	cr_assert_eq(git_treebuilder_write(&root, tb), 0);
	git_treebuilder_free(tb);
	git_tree *tree;
	git_signature *sig;
	cr_assert_eq(git_tree_lookup(&tree, repo, &root), 0);
	cr_assert_eq(git_signature_new(&sig, "Test Author", "t@example.org", 1700000000, 0), 0);
	cr_assert_eq(git_commit_create(&id, repo, "HEAD", sig, sig, NULL, "with a submodule", tree, 0, NULL), 0);
	git_signature_free(sig);
	git_tree_free(tree);

	struct rev_repo *r;
	struct rev_commit c;
	struct lb_error err = {0};
	cr_assert_eq(rev_open(&r, cache, "parent", src, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(rev_resolve(r, "HEAD", &c, &err), 0, "%s", err.msg);
	snprintf(out, sizeof(out), "%s/co", dir);
	cr_assert_eq(rev_checkout(r, &c, out, &err), 0, "%s", err.msg);
	snprintf(path, sizeof(path), "%s/vendor/lib/lib.txt", out);
	char *text = slurp_file(path);
	cr_assert(text, "%s was not checked out", path);
	cr_assert_str_eq(text, "the submodule's first\n", "the pinned commit, not the submodule's newest");
	free(text);
	rev_commit_free(&c);
	rev_close(r);
	git_repository_free(repo);
	git_repository_free(lib);
	git_libgit2_shutdown();
	rm_rf(dir);
	free(dir);
}
