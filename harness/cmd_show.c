/*
 * cmd_show.c - `leakbench show RUN-ID`: everything stored about one run.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/text.h"
#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/context.h"
#include "results/store.h"

static json_t *run_json(const struct lb_run *r)
{
	json_t *metrics = json_object(), *artifacts = json_array();
	for (size_t i = 0; i < r->n_metrics; i++)
		json_object_set_new(metrics, r->metrics[i].name,
				    json_pack("{s:f, s:s}", "value", r->metrics[i].value, "unit",
					      r->metrics[i].unit));
	for (size_t i = 0; i < r->n_artifacts; i++)
		json_array_append_new(artifacts,
				      json_pack("{s:s, s:s, s:s?, s:I}", "kind", r->artifacts[i].kind,
						"path", r->artifacts[i].path, "sha256",
						r->artifacts[i].sha256[0] ? r->artifacts[i].sha256 : NULL,
						"bytes", (json_int_t)r->artifacts[i].bytes));
	json_t *series = json_object(), *census = json_array(), *marks = json_array();
	for (size_t i = 0; i < r->n_series; i++) {
		json_t *pts = json_array();
		for (size_t k = 0; k < r->series[i].n; k++)
			json_array_append_new(pts, json_pack("[f, f]", r->series[i].p[k].t, r->series[i].p[k].v));
		json_object_set_new(series, r->series[i].name, pts);
	}
	for (size_t i = 0; i < r->n_census; i++)
		json_array_append_new(census, json_pack("{s:i, s:f, s:s, s:I}", "sample", r->census[i].sample,
							"t", r->census[i].t, "label",
							r->census_labels[r->census[i].label], "bytes",
							(json_int_t)r->census[i].bytes));
	for (size_t i = 0; i < r->n_marks; i++)
		json_array_append_new(marks, json_pack("{s:f, s:s, s:s}", "t", r->marks[i].t, "kind",
						       r->marks[i].is_message ? "message" : "marker",
						       "text", r->marks[i].text));
	json_t *steps = json_array(), *verdicts = json_array();
	for (size_t i = 0; i < r->n_steps; i++) {
		const struct lb_step *st = &r->steps[i];
		json_t *m = json_object();
		for (size_t k = 0; k < r->n_step_metrics; k++)
			if (r->step_metrics[k].step == (int)i)
				json_object_set_new(m, r->step_metrics[k].name, json_real(r->step_metrics[k].value));
		json_array_append_new(steps, json_pack("{s:i, s:i, s:s, s:s, s:f, s:f, s:b, s:s?, s:o}", "line",
						       st->line, "iteration", st->iteration, "kind", st->kind,
						       "detail", st->detail, "start", st->start, "end", st->end,
						       "failed", st->failed, "note", st->note, "metrics", m));
	}
	for (size_t i = 0; i < r->n_verdicts; i++)
		json_array_append_new(verdicts, json_pack("{s:i, s:s, s:b, s:s, s:o, s:s}", "line", r->verdicts[i].line,
							  "expectation", r->verdicts[i].source, "holds",
							  r->verdicts[i].holds == LB_VERDICT_HOLDS, "verdict",
							  record_verdict_name(r->verdicts[i].holds), "value",
							  isnan(r->verdicts[i].value) ? json_null()
										     : json_real(r->verdicts[i].value),
							  "message", r->verdicts[i].message));
	json_t *command = r->command ? json_loads(r->command, 0, NULL) : NULL;
	const struct lb_environment *e = &r->env;
	return json_pack(
		"{s:s, s:s?, s:o, s:s?, s:s?, s:i, s:s, s:i, s:i, s:s?, s:f, s:f, s:b, s:s?,"
		" s:{s:s, s:s?, s:s?, s:s?, s:i, s:I, s:s?, s:s?, s:s?}, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"id", r->id, "program", r->program, "command", command ? command : json_null(),
		"rts_flags", r->rts_flags, "scenario", r->scenario, "repeat_index", r->repeat_index,
		"status", record_status_name(r->status), "exit_code", r->exit_code, "signal",
		r->signal, "reason", r->reason, "started_at", r->started_at, "wall_seconds",
		r->wall_seconds, "partial", r->partial, "artifact_dir", r->artifact_dir,
		"environment", "fingerprint", e->fingerprint, "host", e->host, "kernel", e->kernel,
		"cpu_model", e->cpu_model, "cores", e->cores, "mem_bytes", (json_int_t)e->mem_bytes,
		"ghc_version", e->ghc_version, "rts_way", e->rts_way, "leakbench_version",
		e->leakbench_version, "metrics", metrics, "artifacts", artifacts, "series", series,
		"census", census, "markers", marks, "steps", steps, "expectations", verdicts);
}

static void print_metric(const struct lb_metric *m)
{
	char buf[64];
	if (strcmp(m->unit, "bytes") == 0)
		printf("  %-44s %16.0f bytes  (%s)\n", m->name, m->value, text_bytes(m->value, buf, sizeof(buf)));
	else
		printf("  %-44s %16.6g %s\n", m->name, m->value, m->unit);
}

static void print_run(const struct lb_run *r)
{
	char when[64];
	time_t t = (time_t)r->started_at;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", localtime(&t));
	printf("run        %s\n", r->id);
	printf("program    %s\n", r->program ? r->program : "");
	printf("command    %s\n", r->command ? r->command : "");
	printf("rts flags  %s\n", r->rts_flags && *r->rts_flags ? r->rts_flags : "(none)");
	if (r->scenario)
		printf("scenario   %s\n", r->scenario);
	printf("status     %s%s%s%s\n", record_status_name(r->status), r->reason ? " (" : "",
	       r->reason ? r->reason : "", r->reason ? ")" : "");
	if (r->partial)
		printf("data       partial (the run did not end normally; what was written is kept)\n");
	printf("started    %s, repeat %d, %.3f s\n", when, r->repeat_index, r->wall_seconds);
	const struct lb_environment *e = &r->env;
	printf("\nenvironment %s\n  host %s, %s, %d cores, %.1f GiB, kernel %s\n", e->fingerprint,
	       e->host ? e->host : "?", e->cpu_model ? e->cpu_model : "?", e->cores,
	       (double)e->mem_bytes / (1024.0 * 1024 * 1024), e->kernel ? e->kernel : "?");
	printf("  GHC %s, RTS way %s, leakbench %s\n", e->ghc_version ? e->ghc_version : "-",
	       e->rts_way ? e->rts_way : "-", e->leakbench_version ? e->leakbench_version : "?");
	printf("\nmetrics\n");
	for (size_t i = 0; i < r->n_metrics; i++) /* headline first, then the raw RTS keys */
		if (strncmp(r->metrics[i].name, "rts.", 4) != 0)
			print_metric(&r->metrics[i]);
	for (size_t i = 0; i < r->n_metrics; i++)
		if (strncmp(r->metrics[i].name, "rts.", 4) == 0)
			print_metric(&r->metrics[i]);
	if (r->n_series || r->n_census || r->n_marks) {
		char b[32];
		printf("\neventlog\n");
		for (size_t i = 0; i < r->n_series; i++) {
			const struct lb_series *se = &r->series[i];
			printf("  %-16s %zu points, last %s\n", se->name, se->n,
			       se->n ? text_bytes(se->p[se->n - 1].v, b, sizeof(b)) : "-");
		}
		int samples = r->n_census ? r->census[r->n_census - 1].sample + 1 : 0;
		printf("  %-16s %d samples, %zu labels\n", "census", samples, r->n_census_labels);
		printf("  %-16s %zu", "markers", r->n_marks);
		for (size_t i = 0, shown = 0; i < r->n_marks && shown < 8; i++)
			if (!r->marks[i].is_message)
				printf("%s%s@%.3fs", shown++ ? ", " : ": ", r->marks[i].text, r->marks[i].t);
		printf("\n");
	}
	if (r->n_steps) {
		char b[32];
		printf("\nsteps\n");
		for (size_t i = 0; i < r->n_steps; i++) {
			const struct lb_step *st = &r->steps[i];
			double live = record_step_metric(r, (int)i, "live_bytes");
			printf("  %4zu  line %-4d %-10s %-30.30s %8.3f s  %10s%s%s\n", i + 1, st->line, st->kind,
			       st->detail, st->end - st->start, isnan(live) ? "" : text_bytes(live, b, sizeof(b)),
			       st->failed ? "  FAILED: " : "", st->failed && st->note ? st->note : "");
		}
	}
	if (r->n_verdicts) {
		printf("\nexpectations\n");
		for (size_t i = 0; i < r->n_verdicts; i++)
			printf("  %-4s line %d: %s\n        %s\n", record_verdict_name(r->verdicts[i].holds),
			       r->verdicts[i].line, r->verdicts[i].source, r->verdicts[i].message);
	}
	printf("\nartifacts\n");
	for (size_t i = 0; i < r->n_artifacts; i++) {
		char b[32];
		const struct lb_artifact *a = &r->artifacts[i];
		printf("  %-12s %-10s %.12s  %s\n", a->kind,
		       a->bytes >= 0 ? text_bytes((double)a->bytes, b, sizeof(b)) : "missing",
		       a->sha256[0] ? a->sha256 : "-", a->path);
	}
}

int cmd_show(int argc, char **argv)
{
	const char *db = LB_DEFAULT_DB;
	int json = 0;
	const struct cli_option options[] = {
		OPT_DB(db),
		{"json", CLI_FLAG, &json, NULL, "print the run as one JSON object"},
		OPT_END,
	};
	const struct cli_command cmd = {
		"show", "show [options] RUN-ID",
		"Everything stored about one run: status, metrics with units, artifacts, environment.",
		"RUN-ID may be any unique prefix of the id (as `leakbench runs` prints it).", options,
		0};
	int first, nargs, parsed = cli_parse(&cmd, argc, argv, &first, &nargs);
	if (parsed != CLI_GO_ON)
		return parsed;
	if (nargs != 1) {
		fprintf(stderr, "leakbench show: %s (usage: leakbench show [--db FILE] RUN-ID)\n",
			nargs ? "one run id, please" : "which run? give its id");
		return LB_EXIT_USAGE;
	}
	struct store *st = cmd_context_store("show", db);
	if (!st)
		return LB_EXIT_ERROR;
	struct lb_run run;
	struct lb_error err = {0};
	int code = LB_EXIT_OK;
	if (store_get_run(st, argv[first], &run, &err)) {
		cli_error("show", &err);
		code = err.code == LB_ENOTFOUND || err.code == LB_EINVAL ? LB_EXIT_USAGE : LB_EXIT_ERROR;
	} else {
		if (json) {
			json_t *j = run_json(&run);
			json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
			putchar('\n');
			json_decref(j);
		} else {
			print_run(&run);
		}
		record_free(&run);
	}
	store_close(st);
	return code;
}
