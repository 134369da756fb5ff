/*
 * test_rts.c - the RTS statistics parsers on every format GHC writes, the flags leakbench
 * adds, and how a refusal is explained.  The texts in tests/data follow the formats in
 * shared/reference/eventlog-and-rts-stats.md section 3.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "runners/rts.h"
#include "tests/helpers.h"

static void parse(const char *name, struct rts_stats *st)
{
	char path[512];
	struct lb_error err = {0};
	cr_assert_eq(rts_stats_parse_file(st, testdata(name, path, sizeof(path)), &err), 0, "%s: %s",
		     name, err.msg);
}

static double num(const struct rts_stats *st, const char *key)
{
	double v = -1;
	cr_assert_eq(rts_stats_number(st, key, &v), 0, "no number for %s", key);
	return v;
}

Test(rts, machine_readable_nonthreaded_keeps_every_key)
{
	struct rts_stats st;
	parse("mr-nonthreaded.txt", &st);
	cr_assert_eq(st.format, RTS_FMT_MACHINE);
	cr_assert_eq(st.n_kv, 46, "every key is kept (got %zu)", st.n_kv);
	cr_assert_eq(num(&st, "allocated_bytes"), 795775600.0);
	cr_assert_eq(num(&st, "max_live_bytes"), 199275976.0);
	cr_assert_eq(num(&st, "max_mem_in_use_bytes"), 533725184.0);
	cr_assert_float_eq(num(&st, "GC_cpu_seconds"), 1.999, 1e-9);
	cr_assert_str_eq(rts_stats_get(&st, "gc_cpu_percent"), "0.000000");
	cr_assert_str_eq(rts_key_unit("gc_cpu_percent"), "ratio");
	cr_assert_str_eq(rts_key_unit("max_live_bytes"), "bytes");
	cr_assert_str_eq(rts_key_unit("gen_1_max_pause_seconds"), "s");
	cr_assert_str_eq(rts_key_unit("gen_0_collections"), "count");
	rts_stats_free(&st);
}

Test(rts, machine_readable_threaded_trailing_space_and_repeated_key)
{
	struct rts_stats st;
	parse("mr-threaded.txt", &st);
	cr_assert_eq(st.format, RTS_FMT_MACHINE);
	cr_assert_str_eq(rts_stats_get(&st, "sparks_dud"), "0", "\"sparks_dud \" is found trimmed");
	cr_assert_eq(num(&st, "n_capabilities"), 2.0);
	cr_assert_eq(num(&st, "work_balance"), 0.41);
	cr_assert_eq(num(&st, "gen_1_collections"), 5.0, "the last of a repeated key wins");
	cr_assert_eq(num(&st, "allocated_bytes"), 1234567890.0);
	rts_stats_free(&st);
}

Test(rts, old_twelve_key_form_maps_to_current_names)
{
	struct rts_stats st;
	parse("mr-old12.txt", &st);
	cr_assert_eq(st.format, RTS_FMT_OLD12);
	cr_assert_eq(st.n_kv, 12);
	cr_assert_eq(num(&st, "allocated_bytes"), 51344.0);
	cr_assert_eq(num(&st, "max_mem_in_use_bytes"), 1048576.0);
	cr_assert_eq(num(&st, "mut_cpu_seconds"), 0.0);
	rts_stats_free(&st);
}

Test(rts, plain_t_one_line)
{
	struct rts_stats st;
	parse("oneline.txt", &st);
	cr_assert_eq(st.format, RTS_FMT_ONELINE);
	cr_assert_eq(num(&st, "allocated_bytes"), 60832.0);
	cr_assert_eq(num(&st, "max_live_bytes"), 44376.0);
	cr_assert_eq(num(&st, "max_mem_in_use_bytes"), 2.0 * 1048576);
	cr_assert_float_eq(num(&st, "mut_wall_seconds"), 0.001, 1e-9);
	rts_stats_free(&st);
}

Test(rts, s_summary_with_mixed_units)
{
	struct rts_stats st;
	parse("s-summary.txt", &st);
	cr_assert_eq(st.format, RTS_FMT_SUMMARY);
	cr_assert_eq(num(&st, "allocated_bytes"), 795775600.0);
	cr_assert_eq(num(&st, "copied_bytes"), 1140053256.0);
	cr_assert_eq(num(&st, "max_live_bytes"), 199275976.0);
	cr_assert_eq(num(&st, "num_byte_usage_samples"), 10.0);
	cr_assert_eq(num(&st, "max_slop_bytes"), 2382392.0);
	cr_assert_eq(num(&st, "max_mem_in_use_bytes"), 509.0 * 1048576);
	cr_assert_eq(num(&st, "gen_0_collections"), 753.0);
	cr_assert_eq(num(&st, "gen_1_collections"), 10.0);
	cr_assert_eq(num(&st, "num_GCs"), 763.0);
	cr_assert_eq(num(&st, "major_gcs"), 10.0);
	cr_assert_float_eq(num(&st, "gen_1_max_pause_seconds"), 0.5709, 1e-9);
	cr_assert_float_eq(num(&st, "GC_cpu_seconds"), 1.999, 1e-9);
	cr_assert_float_eq(num(&st, "total_wall_seconds"), 2.135, 1e-9);
	cr_assert_eq(num(&st, "alloc_rate"), 5867287645.0);
	cr_assert_float_eq(num(&st, "productivity_cpu_percent"), 0.064, 1e-9);
	rts_stats_free(&st);
}

Test(rts, s_summary_threaded_tasks_and_sparks)
{
	struct rts_stats st;
	parse("s-threaded.txt", &st);
	cr_assert_eq(num(&st, "n_capabilities"), 2.0);
	cr_assert_eq(num(&st, "task_count"), 5.0);
	cr_assert_eq(num(&st, "gen_0_par_collections"), 116.0);
	cr_assert_eq(num(&st, "fragmentation_bytes"), 1048576.0);
	cr_assert_eq(num(&st, "sparks_fizzled"), 0.0);
	rts_stats_free(&st);
}

Test(rts, S_per_gc_lines_and_summary)
{
	struct rts_stats st;
	parse("S-verbose.txt", &st);
	cr_assert_eq(st.format, RTS_FMT_VERBOSE);
	cr_assert_eq(st.n_gcs, 4, "four GC lines, the final partial line is not a GC");
	cr_assert_eq(st.gcs[0].alloc, 1041016ULL);
	cr_assert_eq(st.gcs[2].live, 1500000ULL);
	cr_assert_eq(st.gcs[2].gen, 1);
	cr_assert_eq(st.gcs[2].faults, 3UL);
	cr_assert_float_eq(st.gcs[3].total_wall, 0.017, 1e-9);
	cr_assert_eq(num(&st, "allocated_bytes"), 3662456.0);
	cr_assert_eq(num(&st, "major_gcs"), 1.0);
	rts_stats_free(&st);
}

Test(rts, malformed_list_names_file_and_line)
{
	struct rts_stats st;
	char path[512];
	struct lb_error err = {0};
	testdata("mr-bad.txt", path, sizeof(path));
	cr_assert_eq(rts_stats_parse_file(&st, path, &err), LB_EINVAL);
	cr_assert(strstr(err.msg, "mr-bad.txt line 2"), "message: %s", err.msg);
	cr_assert(strstr(err.msg, "expected"), "message: %s", err.msg);
	testdata("mr-cut.txt", path, sizeof(path));
	cr_assert_eq(rts_stats_parse_file(&st, path, &err), LB_EINVAL);
	cr_assert(strstr(err.msg, "without ']'"), "message: %s", err.msg);
	cr_assert_eq(rts_stats_parse(&st, "hello world\n", "x.txt", &err), LB_EINVAL);
	cr_assert(strstr(err.msg, "x.txt: no RTS statistics"), "message: %s", err.msg);
}

Test(rts, info_answer_is_recognised)
{
	const char *info = " [(\"GHC RTS\", \"YES\")\n ,(\"GHC version\", \"9.0.2\")\n"
			   " ,(\"RTS way\", \"rts_thr_l\")\n ]\n";
	struct rts_stats st;
	struct lb_error err = {0};
	cr_assert_eq(rts_stats_parse(&st, info, "info", &err), 0, "%s", err.msg);
	cr_assert_eq(st.format, RTS_FMT_INFO);
	cr_assert_str_eq(rts_stats_get(&st, "RTS way"), "rts_thr_l");
	rts_stats_free(&st);
}

Test(rts, measurement_flags_come_in_one_block)
{
	struct rts_measure m = {"/a/stats.txt", "/a/ev.eventlog", 1, 0.05, "-A64m  -N2"};
	char **argv;
	size_t n;
	struct lb_error err = {0};
	cr_assert_eq(rts_build_args(&m, 0, &argv, &n, &err), 0);
	const char *want[] = {"+RTS", "-t/a/stats.txt", "--machine-readable", "-l-agu",
			      "-ol/a/ev.eventlog", "-hT", "-i0.05", "-A64m", "-N2", "-RTS"};
	cr_assert_eq(n, sizeof(want) / sizeof(*want));
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(argv[i], want[i]);
	cr_assert_null(argv[n]);
	char *s = rts_args_string(argv, n);
	cr_assert_str_eq(s, "-t/a/stats.txt --machine-readable -l-agu -ol/a/ev.eventlog -hT -i0.05 "
			    "-A64m -N2");
	free(s);
	rts_argv_free(argv);
}

Test(rts, refusals_say_cause_and_fix)
{
	struct lb_error err = {0};
	/* -rtsopts=some: its safe options still work (measured with -S); =none: nothing does */
	cr_assert_eq(rts_check_refusal("prog: Most RTS options are disabled. Link with -rtsopts to "
				       "enable them.\n",
				       "./prog", &err),
		     LB_ERTSLIMITED);
	cr_assert(strstr(err.msg, "-rtsopts") && strstr(err.msg, "--no-rts"), "%s", err.msg);
	cr_assert_eq(rts_check_refusal("prog: RTS options are disabled. Link with -rtsopts to enable them.\n",
				       "./prog", &err),
		     LB_ERTS);
	cr_assert_eq(rts_check_refusal("prog: the flag -l requires the program to be built with "
				       "-eventlog, -prof or -debug\n",
				       "./prog", &err),
		     LB_ENOEVENTLOG);
	cr_assert(strstr(err.msg, "-eventlog") && strstr(err.msg, "--no-eventlog"), "%s", err.msg);
	cr_assert_eq(rts_check_refusal("prog: unknown RTS option: -Qx\n", "./prog", &err), LB_ERTS);
	cr_assert(strstr(err.msg, "-Qx"), "%s", err.msg);
	cr_assert_eq(rts_check_refusal("just some output\n", "./prog", &err), 0);
}
