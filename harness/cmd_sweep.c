/*
 * cmd_sweep.c - `leakbench sweep --target NAME RANGE|--new|--list FILE`: build and measure
 * a target over many revisions, storing every run with its revision.
 *
 * The list of revisions is fixed before anything is built (first-parent commits of the
 * range, oldest first; then every k-th, then this shard's share), so a sweep split over n
 * CI jobs covers the range exactly once and the same command always means the same
 * revisions.  A failed build is a result (stored, reported, skipped), not a reason to stop;
 * a harness error on one revision is reported and the sweep goes on, since the next
 * revision may well work and a nightly job should get as far as it can.  Only an interrupt
 * stops it.  --resume leaves alone what is stored already: a revision with its repeats of
 * each scenario is not built or run again, one with fewer gets only the missing ones.
 * The sweep itself is harness/sweep.c's sweep_target, which nightly calls too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/config.h"
#include "harness/sweep.h"
#include "scenarios/scenario.h"

int cmd_sweep(int argc, char **argv)
{
	const char *target = NULL, *config = NULL, *scenario = NULL, *list_file = NULL, *shard = NULL;
	const char *db = NULL, *artifacts = NULL;
	int new = 0, every = 1, resume = 0, repeat = 0;
	struct measure_cli mc;
	measure_defaults(&mc);
	const struct cli_option options[] = {
		{"target", CLI_STRING, &target, "NAME", "the [target NAME] of the config to sweep (required)"},
		{"new", CLI_FLAG, &new, NULL, "instead of RANGE: from the newest stored revision to the target's branch"},
		{"list", CLI_STRING, &list_file, "FILE", "instead of RANGE: the revisions in FILE, one per line"},
		{"scenario", CLI_STRING, &scenario, "FILE|NAME",
		 "the scenario (default: every [scenario] meant for the target)"},
		{"every", CLI_INT, &every, "K", "every K-th revision, counted back from the newest (default 1)"},
		{"shard", CLI_STRING, &shard, "K/N", "only this CI job's share: the i-th revision when i % N = K-1"},
		{"resume", CLI_FLAG, &resume, NULL, "skip the runs already stored (per revision, scenario and repeat)"},
		{"repeat", CLI_INT, &repeat, "N", "runs per revision and scenario (default: the scenario's, else 1)"},
		OPT_CONFIG(config),
		OPT_DB_OF_CONFIG(db),
		OPT_ARTIFACTS(artifacts),
		MEASURE_OPTIONS(mc),
		OPT_END,
	};
	const struct cli_command cmd = {
		"sweep", "sweep --target NAME (RANGE | --new | --list FILE) [--scenario NAME] [options]",
		"Build and measure a target over many revisions.",
		"RANGE is A..B (the first-parent commits after A up to B, oldest first) or one\n"
		"revision.  Each revision is built (or its cached build taken), then every scenario\n"
		"is run --repeat times and stored with the revision.  A revision that does not build\n"
		"is stored as a failed build and skipped.  Two revisions whose binaries are\n"
		"byte-identical are said to be; both are measured (their spread is noise).\n"
		"--shard K/N splits the list the same way on every machine: run N jobs with K = 1..N,\n"
		"then `leakbench merge` their databases.\n"
		"Exit status: 0 every revision built or stored as failing, every run ok; 1 some run\n"
		"failed (crashed, timed out, an expectation did not hold); 2 usage or config error;\n"
		"3 leakbench could not do its part on some revision; 130 interrupted.",
		options, 0};
	int first, nargs, parsed = cli_parse(&cmd, argc, argv, &first, &nargs);
	if (parsed != CLI_GO_ON)
		return parsed;
	if (measure_check(&mc, "sweep")) {
		cli_free(&cmd);
		return LB_EXIT_USAGE;
	}
	const char *range = nargs == 1 ? argv[first] : NULL;
	int shard_k = 0, shard_n = 0, code = LB_EXIT_USAGE;
	const char *why = !target				      ? "--target NAME is required"
			  : nargs > 1				      ? "one RANGE at most"
			  : (range != NULL) + new + (list_file != NULL) != 1 ? "give one of RANGE, --new or --list FILE"
			  : every < 1					      ? "--every is at least 1"
			  : sweep_parse_shard(shard, &shard_k, &shard_n)	      ? "--shard is K/N with 1 <= K <= N"
			  : repeat > 64					      ? "--repeat is at most 64"
									      : NULL;
	struct cfg *cfg = NULL;
	struct lb_error err = {0};
	struct sweep_scenario *scs = NULL;
	size_t n_sc = 0;
	if (why) {
		fprintf(stderr, "leakbench sweep: %s (usage: %s)\n", why, cmd.usage);
		goto out;
	}
	const struct cfg_target *t = NULL;
	if (cfg_load(&cfg, config ? config : "leakbench.ini", &err) || !(t = cfg_target(cfg, target, &err)) ||
	    sweep_pick_scenarios(scenario, cfg, t, repeat, &scs, &n_sc, &err)) {
		cli_error("sweep", &err);
		code = err.code == LB_ENOMEM ? LB_EXIT_ERROR : LB_EXIT_USAGE;
		goto out;
	}
	struct sweep_req q = {.cfg = cfg, .t = t, .scs = scs, .n_sc = n_sc, .range = range, .new = new,
			      .list_file = list_file, .every = every, .shard_k = shard_k, .shard_n = shard_n,
			      .resume = resume, .db = db ? db : cfg->database, .artifacts = artifacts, .mc = mc};
	struct sweep_totals tot;
	if (sweep_target(&q, &tot, &err)) {
		cli_error("sweep", &err);
		code = err.code == LB_EINVAL ? LB_EXIT_USAGE : LB_EXIT_ERROR;
		goto out;
	}
	code = sweep_exit_code(&tot);
out:
	for (size_t i = 0; i < n_sc; i++)
		scn_free(scs[i].sc);
	free(scs);
	cfg_free(cfg);
	cli_free(&cmd);
	return code;
}
