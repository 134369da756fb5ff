/*
 * cmd_init.c - `leakbench init`: write a commented leakbench.ini (targets for HLS, for GHC
 * and for the bundled fixture server) and an example scenario, never over existing files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/cmd.h"

static const char example_ini[] =
	"# leakbench.ini: what leakbench measures, how it builds it, and where results go.\n"
	"# Paths are relative to this file.  `leakbench COMMAND --config FILE` reads another one.\n"
	"\n"
	"[leakbench]\n"
	"database = leakbench.db          ; every run, build and revision\n"
	"cache = .leakbench-cache         ; git mirrors, checkouts, cached builds\n"
	"site = site                      ; where `leakbench report` writes the dashboard\n"
	"bisect = yes                     ; `leakbench nightly` bisects what it newly flags\n"
	"\n"
	"# A target: a repository, and the command that builds one revision of it.  In `build`,\n"
	"# {src} is the revision's checkout (the command runs there), {out} the folder the\n"
	"# program must end up in, {jobs} the number of cores.  The binary is cached by target,\n"
	"# tree, toolchain and this command; a failed build is recorded and skipped.\n"
	"[target hls]\n"
	"repo = https://github.com/haskell/haskell-language-server\n"
	"build = cabal build -j{jobs} exe:haskell-language-server && cp \"$(cabal list-bin exe:haskell-language-server)\" {out}/\n"
	"program = haskell-language-server\n"
	"args = --lsp --test\n"
	"runner = lsp\n"
	"rts = -A4m\n"
	"toolchain = ghc-9.6.4 cabal-3.10\n"
	"build-timeout = 2h\n"
	"baseline = 2.10.0.0\n"
	"commit-url = https://github.com/haskell/haskell-language-server/commit/{sha}   ; the dashboard's links\n"
	"\n"
	"# GHC itself: GHCi scenarios against a freshly built compiler.\n"
	"[target ghc]\n"
	"repo = https://gitlab.haskell.org/ghc/ghc.git\n"
	"build = ./boot && ./configure && hadrian/build -j{jobs} --flavour=default+no_profiled_libs && cp -r _build/stage1/bin/. {out}/\n"
	"program = ghc\n"
	"runner = ghci\n"
	"toolchain = ghc-9.6.4\n"
	"build-timeout = 4h\n"
	"commit-url = https://gitlab.haskell.org/ghc/ghc/-/commit/{sha}\n"
	"\n"
	"# The bundled fixture server (HLS-like, with a switchable leak); `make demo` makes its\n"
	"# repository.\n"
	"[target fixture]\n"
	"repo = demo-repo\n"
	"build = ghc -v0 -O0 -threaded -rtsopts -eventlog -outputdir {out}/o -o {out}/lspfix lspfix.hs\n"
	"program = lspfix\n"
	"args = --test\n"
	"runner = lsp\n"
	"toolchain = ghc-9.0.2\n"
	"build-timeout = 10m\n"
	"\n"
	"# A scenario: a .scn file, the targets it runs on (default: all), repeats per revision.\n"
	"[scenario example]\n"
	"file = example.scn\n"
	"targets = hls fixture\n"
	"repeat = 3\n"
	"\n"
	"# Per-metric noise floor: a change smaller than this is never a regression.\n"
	"[thresholds]\n"
	"max_live_bytes = 3%\n"
	"allocated_bytes = 1%\n"
	"\n"
	"# Where `leakbench nightly` sends what it newly flags: a webhook (Slack, Matrix ...) whose URL\n"
	"# comes from an environment variable (a CI secret), and/or a command given the JSON on stdin.\n"
	"[notify]\n"
	"webhook-env = LEAKBENCH_WEBHOOK\n"
	"retries = 3\n"
	"# command = mail -s leakbench team@example.org\n";

static const char example_scn[] =
	"# Edit a leaf module 20 times; the server must not keep what it built for older versions.\n"
	"scenario example\n"
	"runner lsp\n"
	"codebase generate modules=40 layers=4\n"
	"rts -I0.2\n"
	"timeout 2m\n"
	"\n"
	"open L3/M0.hs\n"
	"open L0/M0.hs\n"
	"wait idle\n"
	"mark warm\n"
	"repeat 20\n"
	"  edit L0/M0.hs append \"-- edit {i}\\n\"\n"
	"  wait notification kick/done    # HLS and the fixture in --test mode; else `wait idle`\n"
	"  settle 500ms\n"
	"  hover L3/M0.hs 1:8\n"
	"  mark edit\n"
	"end\n"
	"\n"
	"expect slope live_bytes < 64KiB per edit after warm\n"
	"expect max_live_bytes < 2GiB\n";

/* Create `path` with `text`; refuse to replace what is there. */
static int write_new(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		fprintf(stderr, "leakbench init: %s: %s\n", path,
			errno == EEXIST ? "already exists; leaving it as it is" : strerror(errno));
		return -1;
	}
	size_t len = strlen(text);
	int ok = write(fd, text, len) == (ssize_t)len;
	if (close(fd) < 0 || !ok) {
		fprintf(stderr, "leakbench init: writing %s: %s\n", path, strerror(errno));
		unlink(path);
		return -1;
	}
	printf("wrote %s\n", path);
	return 0;
}

int cmd_init(int argc, char **argv)
{
	const char *dir = ".";
	const struct cli_option options[] = {
		{"dir", CLI_STRING, &dir, "DIR", "where to write them (default: here)"},
		OPT_END,
	};
	const struct cli_command cmd = {
		"init", "init [--dir DIR]", "write a commented leakbench.ini and an example scenario",
		"Writes leakbench.ini (targets for HLS, GHC and the bundled fixture server, a scenario,\n"
		"thresholds) and example.scn.  Existing files are never replaced.",
		options, 0};
	int first, nargs, parsed = cli_parse(&cmd, argc, argv, &first, &nargs);
	if (parsed != CLI_GO_ON)
		return parsed;
	if (nargs) {
		fprintf(stderr, "leakbench init: unexpected argument '%s' (usage: %s)\n", argv[first], cmd.usage);
		return LB_EXIT_USAGE;
	}
	char ini[4096], scn[4096];
	snprintf(ini, sizeof(ini), "%s/leakbench.ini", dir);
	snprintf(scn, sizeof(scn), "%s/example.scn", dir);
	if (access(ini, F_OK) == 0 || access(scn, F_OK) == 0) {
		fprintf(stderr, "leakbench init: %s already exists; leaving everything as it is\n",
			access(ini, F_OK) == 0 ? ini : scn);
		return LB_EXIT_USAGE;
	}
	if (write_new(ini, example_ini) || write_new(scn, example_scn))
		return LB_EXIT_ERROR;
	printf("next: edit the targets, then `leakbench run --target fixture --rev HEAD --scenario example`\n");
	return LB_EXIT_OK;
}
