/*
 * session.c - the step loop.
 *
 * Every step records its wall-clock start and end; `wait DURATION` and `settle` sleep (a
 * settle gives an idle-GC target its quiet period); marks cost nothing and are the step
 * boundaries expectations count.  A `run` step is one `leakbench exec` run in the step's own
 * folder (step-NNN/), with the codebase as its working directory.
 */
#include "base/mem.h"
#include "runners/session.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/file.h"
#include "base/text.h"
#include "results/detect.h"
#include "runners/edit.h"
#include "runners/lsp.h"
#include "runners/proc.h"

static double now_unix(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_for(double seconds)
{
	struct timespec ts = {(time_t)seconds, (long)((seconds - floor(seconds)) * 1e9)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* One-line description of a step for the table. */
static void describe(const struct scn_step *s, char *buf, size_t size)
{
	size_t k = 0;
	buf[0] = '\0';
	if (s->file)
		k += (size_t)snprintf(buf + k, size - k, "%s", s->file);
	if (s->name && k < size)
		k += (size_t)snprintf(buf + k, size - k, "%s%s", k ? " " : "", s->name);
	for (size_t i = 0; i < s->n_args && k < size; i++)
		k += (size_t)snprintf(buf + k, size - k, "%s%s", k ? " " : "", s->args[i]);
	if (s->kind == SCN_WAIT && s->wait == SCN_WAIT_DURATION && k < size)
		snprintf(buf + k, size - k, "%gs", s->seconds);
	if (s->kind == SCN_SETTLE && k < size)
		snprintf(buf + k, size - k, "%gs", s->seconds);
	if (s->kind == SCN_EVAL && k < size)
		snprintf(buf + k, size - k, "%s", s->text);
	if (s->kind == SCN_WAIT && s->count && k < size)
		snprintf(buf + k, size - k, " count %ld", s->count);
	if (s->kind == SCN_SEND) { /* the method and the file it is about say what it is */
		json_t *j = json_loads(s->text, 0, NULL);
		const char *uri = json_string_value(
			json_object_get(json_object_get(json_object_get(j, "params"), "textDocument"), "uri"));
		snprintf(buf, size, "%s%s%s%s%s", json_string_value(json_object_get(j, "method")),
			 uri ? " " : "", uri ? (strncmp(uri, "{root}/", 7) ? uri : uri + 7) : "",
			 s->name ? " id " : "", s->name ? s->name : "");
		json_decref(j);
	}
}

/* A step's own process took heap censuses: keep them as that step's, with sample numbers
 * continuing the run's (times stay those of the step's process). */
static int adopt_census(struct lb_run *run, const struct lb_run *sub, int step, struct lb_error *err)
{
	if (!sub->n_census)
		return 0;
	int base = run->n_census ? run->census[run->n_census - 1].sample + 1 : 0;
	struct lb_census_row *rows = realloc(run->census, (run->n_census + sub->n_census) * sizeof(*rows));
	if (!rows)
		return lb_error_oom(err);
	run->census = rows;
	for (size_t i = 0; i < sub->n_census; i++) {
		const char *label = sub->census_labels[sub->census[i].label];
		size_t li = 0;
		while (li < run->n_census_labels && strcmp(run->census_labels[li], label) != 0)
			li++;
		if (li == run->n_census_labels) {
			char **nl = realloc(run->census_labels, (li + 1) * sizeof(*nl));
			if (!nl)
				return lb_error_oom(err);
			run->census_labels = nl;
			if (!(nl[li] = strdup(label)))
				return lb_error_oom(err);
			run->n_census_labels++;
		}
		struct lb_census_row r = sub->census[i];
		r.sample += base;
		r.step = step;
		r.label = (uint32_t)li;
		run->census[run->n_census++] = r;
	}
	return 0;
}

/* The step's program run: argv = program, fixed args, step args. */
static int run_step(const struct session_opts *o, const struct scn_step *s, size_t index,
		    struct lb_run *run, struct lb_error *err)
{
	size_t nfixed = 0;
	while (o->args && o->args[nfixed])
		nfixed++;
	char **argv = calloc(1 + nfixed + s->n_args + 1, sizeof(char *));
	char *dir = NULL;
	if (!argv || asprintf(&dir, "%s/step-%03zu", o->run_dir, index) < 0) {
		free(argv);
		return lb_error_oom(err);
	}
	size_t k = 0;
	argv[k++] = (char *)o->program;
	for (size_t i = 0; i < nfixed; i++)
		argv[k++] = o->args[i];
	for (size_t i = 0; i < s->n_args; i++)
		argv[k++] = s->args[i];
	struct exec_opts eo = o->measure;
	eo.argv = argv;
	eo.cwd = o->codebase;
	struct lb_run sub;
	int rc = record_init(&sub, err);
	if (!rc)
		rc = exec_run(&eo, dir, &sub, err);
	if (!rc) {
		static const char *const copied[] = {"allocated_bytes", "max_live_bytes",
						     "max_mem_in_use_bytes", "peak_rss_bytes",
						     "gc_cpu_seconds"};
		for (size_t i = 0; !rc && i < sizeof(copied) / sizeof(*copied); i++) {
			const struct lb_metric *m = record_metric(&sub, copied[i]);
			if (m)
				rc = record_add_step_metric(run, (int)index, copied[i], m->value, m->unit, err);
		}
		const struct lb_metric *live = record_metric(&sub, "max_live_bytes");
		if (!rc && live)
			rc = record_add_step_metric(run, (int)index, "live_bytes", live->value, "bytes", err);
		for (size_t i = 0; !rc && i < sub.n_artifacts; i++) {
			char kind[64];
			snprintf(kind, sizeof(kind), "step-%03zu-%s", index, sub.artifacts[i].kind);
			rc = record_add_artifact(run, kind, sub.artifacts[i].path, err);
		}
		if (!rc && sub.status != LB_RUN_OK) {
			char note[600];
			snprintf(note, sizeof(note), "%s", sub.reason ? sub.reason : record_status_name(sub.status));
			rc = record_step_failed(run, index, note, err);
		}
		if (!rc && !run->rts_flags)
			run->rts_flags = lb_strdup(sub.rts_flags, err);
		if (!rc)
			rc = adopt_census(run, &sub, (int)index, err);
	}
	record_free(&sub);
	free(dir);
	free(argv);
	return rc;
}

/* Whole-run figures from the steps: peaks are maxima, totals are sums. */
static int summarise_steps(struct lb_run *run, struct lb_error *err)
{
	static const struct {
		const char *name, *unit;
		int sum;
	} agg[] = {
		{"max_live_bytes", "bytes", 0}, {"max_mem_in_use_bytes", "bytes", 0},
		{"peak_rss_bytes", "bytes", 0}, {"allocated_bytes", "bytes", 1},
		{"gc_cpu_seconds", "s", 1},
	};
	for (size_t a = 0; a < sizeof(agg) / sizeof(*agg); a++) {
		double v = NAN;
		for (size_t i = 0; i < run->n_steps; i++) {
			double x = record_step_metric(run, (int)i, agg[a].name);
			if (isnan(x))
				continue;
			v = isnan(v) ? x : agg[a].sum ? v + x : fmax(v, x);
		}
		/* a single-process runner already has the process's own figure: keep it */
		if (!isnan(v) && !record_metric(run, agg[a].name) &&
		    record_add_metric(run, agg[a].name, v, agg[a].unit, err))
			return err->code;
	}
	/* the run's live-bytes slope per measured step, with its interval */
	size_t n = 0;
	double *x = malloc((run->n_steps + 1) * sizeof(*x)), *y = malloc((run->n_steps + 1) * sizeof(*y));
	if (!x || !y) {
		free(x);
		free(y);
		return lb_error_oom(err);
	}
	for (size_t i = 0; i < run->n_steps; i++) {
		double v = record_step_metric(run, (int)i, "live_bytes");
		if (!isnan(v)) {
			x[n] = (double)n;
			y[n++] = v;
		}
	}
	struct detect_slope sl;
	int rc = 0;
	if (n >= 3 && detect_theil_sen(x, y, n, &sl) == 0)
		rc = record_add_metric(run, "live_bytes_slope_per_step", sl.slope, "bytes", err) ||
			     record_add_metric(run, "live_bytes_slope_per_step_lo", sl.lo, "bytes", err) ||
			     record_add_metric(run, "live_bytes_slope_per_step_hi", sl.hi, "bytes", err)
		     ? err->code
		     : 0;
	free(x);
	free(y);
	return rc;
}

#define GHCI_PROMPT "<<leakbench-ghci-prompt>>"

/* The first line of GHCi's answer that names an error, for the step's note. */
static void first_error(const char *out, char *buf, size_t size)
{
	buf[0] = '\0';
	for (const char *p = out; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		if (memmem(p, n, "error", 5)) {
			snprintf(buf, size, "%.*s", (int)n, p);
			return;
		}
		p = eol ? eol + 1 : NULL;
	}
}

/* One GHCi command: send it, wait for the prompt, judge the answer.  Command and answer go
 * to `transcript` (the session's record of what GHCi said). */
static int ghci_command(struct proc *p, const struct scn_scenario *sc, const char *cmd, size_t step,
			FILE *transcript, struct lb_run *run, struct lb_error *err)
{
	char *answer = NULL;
	int rc = proc_send(p, cmd, sc->timeout, err);
	if (!rc)
		rc = proc_expect(p, GHCI_PROMPT, sc->timeout, &answer, err);
	if (transcript) {
		fprintf(transcript, "ghci> %s%s", cmd, answer ? answer : "");
		fflush(transcript);
	}
	if (!rc && answer && strstr(answer, "Failed, ")) {
		char line[300], note[400];
		first_error(answer, line, sizeof(line));
		snprintf(note, sizeof(note), "compilation failed%s%s", line[0] ? ": " : "", line);
		/* recorded, not fatal unless the scenario says so: an edit may break the code
		 * on purpose */
		rc = sc->compile_errors_fail ? record_step_failed(run, step, note, err)
					     : record_step_note(run, step, note, err);
	} else if (!rc && answer && strstr(answer, "<interactive>") && strstr(answer, "error")) {
		rc = record_step_note(run, step, "the expression did not compile", err);
	}
	free(answer);
	return rc;
}

/* Per-step figures of a single long-lived process, from its series: the live bytes of the
 * last major GC inside each step's window, the peak inside it, the allocation during it,
 * and each census row's step.  Series times are seconds since the RTS started; steps are
 * unix seconds: `t0` (the eventlog's first event, by its wall clock) ties them. */
static int align_steps(struct lb_run *run, double t0, struct lb_error *err)
{
	const struct lb_series *live = record_series(run, "live_bytes");
	const struct lb_series *alloc = record_series(run, "allocated_bytes");
	for (size_t i = 0; i < run->n_steps; i++) {
		double a = run->steps[i].start - t0, b = run->steps[i].end - t0;
		double last = NAN, peak = NAN, before = 0, upto = 0;
		for (size_t k = 0; live && k < live->n; k++)
			if (live->p[k].t >= a && live->p[k].t <= b) {
				last = live->p[k].v;
				peak = isnan(peak) ? last : fmax(peak, last);
			}
		for (size_t k = 0; alloc && k < alloc->n; k++) {
			if (alloc->p[k].t <= a)
				before = alloc->p[k].v;
			if (alloc->p[k].t <= b)
				upto = alloc->p[k].v;
		}
		if ((!isnan(last) && (record_add_step_metric(run, (int)i, "live_bytes", last, "bytes", err) ||
				      record_add_step_metric(run, (int)i, "peak_live_bytes", peak, "bytes", err))) ||
		    (alloc && record_add_step_metric(run, (int)i, "allocated_bytes", upto - before, "bytes", err)))
			return err->code;
	}
	for (size_t c = 0; c < run->n_census; c++) {
		double t = run->census[c].t + t0;
		for (size_t i = 0; i < run->n_steps; i++)
			if (t >= run->steps[i].start && t <= run->steps[i].end)
				run->census[c].step = (int)i;
	}
	return 0;
}

/* Move what the one process measured (metrics, artifacts, series, census, marks) into the
 * scenario's run. */
static int adopt(struct lb_run *run, struct lb_run *sub, struct lb_error *err)
{
	for (size_t i = 0; i < sub->n_metrics; i++)
		if (record_add_metric(run, sub->metrics[i].name, sub->metrics[i].value, sub->metrics[i].unit, err))
			return err->code;
	for (size_t i = 0; i < sub->n_artifacts; i++)
		if (record_add_artifact(run, sub->artifacts[i].kind, sub->artifacts[i].path, err))
			return err->code;
#define MOVE(field, count)               \
	do {                             \
		run->field = sub->field; \
		run->count = sub->count; \
		sub->field = NULL;       \
		sub->count = 0;          \
	} while (0)
	MOVE(series, n_series);
	MOVE(census, n_census);
	MOVE(census_labels, n_census_labels);
	MOVE(marks, n_marks);
#undef MOVE
	if (!run->rts_flags)
		run->rts_flags = sub->rts_flags, sub->rts_flags = NULL;
	run->partial |= sub->partial;
	if (sub->status != LB_RUN_OK) {
		run->status = sub->status;
		run->signal = sub->signal;
		run->exit_code = sub->exit_code;
		free(run->reason);
		run->reason = sub->reason;
		sub->reason = NULL;
	}
	return 0;
}

/* An open LSP document. */
struct doc {
	char *file; /* relative to the codebase */
	char *uri;
	int version;
	long edit_seq; /* messages received when its last change was sent */
};

/* The step loop, shared by the runners: `act` carries out one step. */
struct runner {
	const struct scn_scenario *sc;
	const struct session_opts *o;
	struct edit_book *book;
	struct proc *p; /* ghci: the REPL; lsp: the server */
	FILE *transcript; /* ghci: every command and answer */
	struct lsp *lsp;  /* lsp: the client */
	struct doc *docs; /* lsp: open documents */
	size_t n_docs;
	long last_request; /* lsp: id of the last request (wait response) */
	char *root_uri;    /* lsp: the codebase's URI, for {root} in a send */
	char **sent_keys;  /* lsp: the ids `send` steps had (compact JSON) ... */
	long *sent_ids;    /* ... and the ids the client gave those requests */
	size_t n_sent;
	long edit_seq;     /* lsp: messages received when the last edit was sent */
	double edit_time;  /* lsp: when it was sent (unix) */
	int broken;        /* the long-lived target died, hung or broke the protocol */
	char why[sizeof(((struct lb_error *)0)->msg)];
};

static struct doc *doc_of(struct runner *r, const char *file)
{
	for (size_t i = 0; i < r->n_docs; i++)
		if (!strcmp(r->docs[i].file, file))
			return &r->docs[i];
	return NULL;
}

static const char *language_of(const char *file)
{
	const char *dot = strrchr(file, '.');
	if (!dot)
		return "plaintext";
	static const char *const map[][2] = {{".hs", "haskell"}, {".lhs", "haskell"}, {".c", "c"},
					     {".h", "c"}, {".cpp", "cpp"}, {".py", "python"},
					     {".go", "go"}, {".rs", "rust"}, {".cabal", "cabal"}};
	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
		if (!strcmp(dot, map[i][0]))
			return map[i][1];
	return "plaintext";
}

static char *codebase_path(const struct session_opts *o, const char *file)
{
	char *p;
	return asprintf(&p, "%s/%s", o->codebase ? o->codebase : ".", file) < 0 ? NULL : p;
}

/* A document-position request; the scenario's LINE:COL are 1-based, LSP's 0-based. */
static json_t *position_params(const char *uri, const struct scn_step *s)
{
	json_t *pos = json_pack("{s:i, s:i}", "line", s->pos_line - 1, "character", s->pos_col - 1);
	if (s->kind == SCN_CODEACTION)
		return json_pack("{s:{s:s}, s:{s:O, s:o}, s:{s:[]}}", "textDocument", "uri", uri, "range", "start",
				 pos, "end", pos, "context", "diagnostics");
	json_t *p = json_pack("{s:{s:s}, s:o}", "textDocument", "uri", uri, "position", pos);
	return p;
}

/* The id the client gave the request a `send` step had as `key`; 0 if none. */
static long sent_id(const struct runner *r, const char *key)
{
	for (size_t k = r->n_sent; k-- > 0;)
		if (!strcmp(r->sent_keys[k], key))
			return r->sent_ids[k];
	return 0;
}

/* A `send` step: a message written by hand or replayed from a recording.  A request gets
 * the client's next id (the original is remembered for `wait response ID` and for a later
 * $/cancelRequest naming it); a document change counts as an edit for the waits after it. */
static int send_step(struct runner *r, const struct scn_step *s, struct lb_error *err)
{
	char *text = text_replace(s->text, "{root}", r->root_uri);
	json_t *msg = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	if (!msg)
		return text ? lb_error_set(err, LB_EINVAL, "the message is not JSON once {root} is put in")
			    : lb_error_oom(err);
	const char *method = json_string_value(json_object_get(msg, "method"));
	json_t *params = json_incref(json_object_get(msg, "params"));
	int rc;
	if (!strcmp(method, "$/cancelRequest") && params) {
		char *key = json_dumps(json_object_get(params, "id"), JSON_ENCODE_ANY | JSON_COMPACT);
		long id = key ? sent_id(r, key) : 0;
		free(key);
		if (id)
			json_object_set_new(params, "id", json_integer(id));
	}
	if (!strncmp(method, "textDocument/did", 16)) {
		r->edit_seq = lsp_received_count(r->lsp);
		r->edit_time = now_unix();
	}
	if (s->name) {
		char **keys = realloc(r->sent_keys, (r->n_sent + 1) * sizeof(*keys));
		long *ids = keys ? realloc(r->sent_ids, (r->n_sent + 1) * sizeof(*ids)) : NULL;
		if (keys)
			r->sent_keys = keys;
		if (ids)
			r->sent_ids = ids;
		if (!keys || !ids || !(keys[r->n_sent] = strdup(s->name))) {
			json_decref(params);
			json_decref(msg);
			return lb_error_oom(err);
		}
		rc = lsp_request(r->lsp, method, params, &r->last_request, err);
		ids[r->n_sent++] = r->last_request;
	} else {
		rc = lsp_notify(r->lsp, method, params, err);
	}
	json_decref(msg);
	return rc;
}

static int lsp_act(struct runner *r, const struct scn_step *s, size_t i, struct lb_run *run,
		   struct lb_error *err)
{
	const struct scn_scenario *sc = r->sc;
	struct lsp *l = r->lsp;
	struct doc *d = s->file ? doc_of(r, s->file) : NULL;
	char *path = s->file ? codebase_path(r->o, s->file) : NULL;
	char *uri = path ? lsp_uri(path) : NULL;
	int rc = 0;
	if (s->file && (!path || !uri)) {
		rc = lb_error_oom(err);
		goto done;
	}
	switch (s->kind) {
	case SCN_OPEN: {
		if (d)
			break; /* already open */
		char *text = file_read(path, 0, NULL, err);
		if (!text) {
			rc = err->code;
			break;
		}
		struct doc *nd = realloc(r->docs, (r->n_docs + 1) * sizeof(*nd));
		if (!nd) {
			free(text);
			rc = lb_error_oom(err);
			break;
		}
		r->docs = nd;
		nd[r->n_docs] = (struct doc){strdup(s->file), strdup(uri), 1, lsp_received_count(l)};
		r->n_docs++;
		r->edit_seq = lsp_received_count(l);
		r->edit_time = now_unix();
		rc = lsp_notify(l, "textDocument/didOpen",
				json_pack("{s:{s:s, s:s, s:i, s:s}}", "textDocument", "uri", uri, "languageId",
					  language_of(s->file), "version", 1, "text", text),
				err);
		free(text);
		break;
	}
	case SCN_CLOSE:
		if (!d)
			break;
		rc = lsp_notify(l, "textDocument/didClose", json_pack("{s:{s:s}}", "textDocument", "uri", uri), err);
		free(d->file);
		free(d->uri);
		*d = r->docs[--r->n_docs];
		break;
	case SCN_EDIT:
		if (edit_apply(&r->book, r->o->codebase, s, err)) {
			rc = lb_error_prefix(err, "%s:%d: ", sc->path, s->line);
			break;
		}
		r->edit_seq = lsp_received_count(l);
		r->edit_time = now_unix();
		if (d) { /* the editor sends the whole new text */
			char *text = file_read(path, 0, NULL, err);
			if (!text) {
				rc = err->code;
				break;
			}
			d->version++;
			d->edit_seq = r->edit_seq;
			rc = lsp_notify(l, "textDocument/didChange",
					json_pack("{s:{s:s, s:i}, s:[{s:s}]}", "textDocument", "uri", uri, "version",
						  d->version, "contentChanges", "text", text),
					err);
			free(text);
		}
		break;
	case SCN_WAIT:
		switch (s->wait) {
		case SCN_WAIT_IDLE:
			rc = lsp_wait_idle(l, 0.25, sc->timeout, err);
			break;
		case SCN_WAIT_DIAGNOSTICS:
			rc = s->count ? lsp_wait_count(l, NULL, uri, s->count, sc->timeout, err)
				      : lsp_wait_diagnostics(l, uri, d ? d->edit_seq : r->edit_seq,
							     d ? d->version : -1, sc->timeout, err);
			break;
		case SCN_WAIT_TYPECHECK:
		case SCN_WAIT_QUEUE: {
			json_t *params = s->wait == SCN_WAIT_QUEUE
						 ? json_pack("{s:s}", "tag", "WaitForShakeQueue")
						 : json_pack("{s:s, s:[s,s]}", "tag", "WaitForIdeRule", "contents",
							     "typecheck", uri);
			long id;
			rc = lsp_request(l, "test", params, &id, err);
			if (!rc)
				rc = lsp_wait_response(l, id, NULL, sc->timeout, err);
			break;
		}
		case SCN_WAIT_NOTIFICATION:
			rc = s->count ? lsp_wait_count(l, s->name, NULL, s->count, sc->timeout, err)
				      : lsp_wait_notification(l, s->name, r->edit_seq, sc->timeout, err);
			break;
		case SCN_WAIT_RESPONSE: {
			long id = s->name ? sent_id(r, s->name) : r->last_request;
			if (id)
				rc = lsp_wait_response(l, id, NULL, sc->timeout, err);
			r->last_request = 0;
			if (rc == LB_EINVAL && s->name) /* an error answer (a cancelled request, say) */
				rc = record_step_note(run, i, err->msg, err);
			break;
		}
		case SCN_WAIT_DURATION:
			rc = lsp_serve(l, s->seconds, err);
			break;
		case SCN_WAIT_PROMPT:
			break;
		}
		if (rc == LB_ETIMEOUT && s->count) {
			/* a count taken from another session (a recording): a server that publishes
			 * fewer times this time is not broken; a hung one fails at shutdown */
			rc = record_step_note(run, i, err->msg, err);
			break;
		}
		if (!rc && s->wait != SCN_WAIT_DURATION) {
			/* which condition ended the wait, and how long after the edit it was */
			rc = record_step_note(run, i, lsp_last_wait(l), err);
			if (!rc && r->edit_time > 0)
				rc = record_add_step_metric(run, (int)i, "done_seconds", now_unix() - r->edit_time, "s",
							    err);
		}
		break;
	case SCN_SETTLE:
		rc = lsp_serve(l, s->seconds, err);
		break;
	case SCN_SEND:
		rc = send_step(r, s, err);
		break;
	case SCN_HOVER:
	case SCN_COMPLETION:
	case SCN_DEFINITION:
	case SCN_CODEACTION:
	case SCN_SYMBOLS: {
		static const char *const methods[] = {
			[SCN_HOVER] = "textDocument/hover", [SCN_COMPLETION] = "textDocument/completion",
			[SCN_DEFINITION] = "textDocument/definition", [SCN_CODEACTION] = "textDocument/codeAction",
			[SCN_SYMBOLS] = "textDocument/documentSymbol"};
		json_t *params = s->kind == SCN_SYMBOLS ? json_pack("{s:{s:s}}", "textDocument", "uri", uri)
							: position_params(uri, s);
		rc = lsp_request(l, methods[s->kind], params, &r->last_request, err);
		if (!rc)
			rc = lsp_wait_response(l, r->last_request, NULL, sc->timeout, err);
		r->last_request = 0;
		break;
	}
	default:
		break;
	}
done:
	free(path);
	free(uri);
	if (rc && rc != LB_EINTR && rc != LB_ENOMEM && !strstr(err->msg, sc->path))
		lb_error_prefix(err, "%s:%d: %s: ", sc->path, s->line, scn_step_name(s->kind));
	return rc;
}

static int act(struct runner *r, const struct scn_step *s, size_t i, struct lb_run *run,
	       struct lb_error *err)
{
	if (r->lsp)
		return lsp_act(r, s, i, run, err);
	const struct scn_scenario *sc = r->sc;
	switch (s->kind) {
	case SCN_RUN:
		return run_step(r->o, s, i, run, err);
	case SCN_EDIT:
		if (!r->o->codebase)
			return lb_error_set(err, LB_EINVAL, "%s:%d: an edit needs a codebase (add a codebase line)",
					    sc->path, s->line);
		if (edit_apply(&r->book, r->o->codebase, s, err))
			return lb_error_prefix(err, "%s:%d: ", sc->path, s->line);
		return 0;
	case SCN_WAIT:
	case SCN_SETTLE:
		if (s->kind == SCN_WAIT && s->wait == SCN_WAIT_PROMPT)
			return 0; /* every GHCi command already waits for its prompt */
		if (r->p)
			return proc_idle(r->p, s->seconds, err);
		sleep_for(s->seconds);
		return 0;
	case SCN_LOAD:
	case SCN_RELOAD:
	case SCN_EVAL: {
		char *cmd;
		int n = s->kind == SCN_LOAD	? asprintf(&cmd, ":load %s\n", s->name)
			: s->kind == SCN_RELOAD ? asprintf(&cmd, ":reload\n")
						: asprintf(&cmd, "%s\n", s->text);
		if (n < 0)
			return lb_error_oom(err);
		int rc = ghci_command(r->p, sc, cmd, i, r->transcript, run, err);
		free(cmd);
		return rc ? lb_error_prefix(err, "%s:%d: ", sc->path, s->line) : 0;
	}
	default:
		return 0; /* mark: a point in time */
	}
}

static int step_loop(struct runner *r, struct lb_run *run, int *failed, struct lb_error *err)
{
	const struct scn_scenario *sc = r->sc;
	int rc = 0;
	for (size_t i = 0; !rc && i < sc->n_steps; i++) {
		const struct scn_step *s = &sc->steps[i];
		char detail[512];
		describe(s, detail, sizeof(detail));
		double start = now_unix();
		if (r->o->verbose) {
			printf("step %zu/%zu  line %d  %s %s\n", i + 1, sc->n_steps, s->line, scn_step_name(s->kind),
			       detail);
			fflush(stdout);
		}
		if ((rc = record_add_step(run, s->line, s->iteration, scn_step_name(s->kind), detail, start,
					  start, err)))
			break;
		rc = act(r, s, i, run, err);
		if (r->p && (rc == LB_EIO || rc == LB_ETIMEOUT)) {
			/* the long-lived target broke: this step failed, the run ends here */
			snprintf(r->why, sizeof(r->why), "%s", err->msg);
			r->broken = 1;
			rc = record_step_failed(run, i, err->msg, err);
			run->steps[i].end = now_unix();
			*failed += 1;
			break;
		}
		run->steps[i].end = now_unix();
		*failed += run->steps[i].failed;
		if (!rc)
			rc = record_add_step_metric(run, (int)i, "latency_seconds", run->steps[i].end - start, "s",
						    err);
	}
	return rc;
}

/* One long-lived process for the whole session: GHCi (a prompt of our own) or an LSP
 * server (initialize ... shutdown, exit).  Its measurement is adopted by the run and
 * aligned to the steps afterwards. */
static int process_session(struct runner *r, struct lb_run *run, int *failed, struct lb_error *err)
{
	const struct session_opts *o = r->o;
	int ghci = r->sc->runner == SCN_RUNNER_GHCI;
	static char *const ghci_args[] = {"--interactive", "-ignore-dot-ghci", NULL};
	static char *const no_args[] = {NULL};
	char *const *fixed = o->args && o->args[0] ? o->args : ghci ? ghci_args : no_args;
	size_t nfixed = 0;
	while (fixed[nfixed])
		nfixed++;
	char **argv = calloc(nfixed + 2, sizeof(char *));
	char *dir = NULL, *tpath = NULL;
	if (!argv || asprintf(&dir, "%s/%s", o->run_dir, ghci ? "ghci" : "server") < 0) {
		free(argv);
		return lb_error_oom(err);
	}
	argv[0] = (char *)o->program;
	for (size_t i = 0; i < nfixed; i++)
		argv[i + 1] = fixed[i];
	struct exec_opts eo = o->measure;
	eo.argv = argv;
	eo.cwd = o->codebase;
	eo.per_gc = !eo.eventlog && !eo.no_rts; /* per-GC lines stand in for the eventlog */
	struct lb_run sub;
	struct exec_live *live = NULL;
	int rc = record_init(&sub, err);
	if (!rc)
		rc = exec_start(&eo, dir, &sub, 1, &live, err);
	if (!rc) {
		r->p = exec_proc(live);
		if (ghci) {
			if (asprintf(&tpath, "%s/transcript.txt", dir) > 0)
				r->transcript = fopen(tpath, "w");
			rc = proc_send(r->p, ":set prompt \"" GHCI_PROMPT "\"\n", r->sc->timeout, err);
			if (!rc)
				rc = proc_expect(r->p, GHCI_PROMPT, r->sc->timeout, NULL, err);
			if (!rc)
				rc = proc_send(r->p, ":set prompt-cont \"\"\n", r->sc->timeout, err);
			if (!rc)
				rc = proc_expect(r->p, GHCI_PROMPT, r->sc->timeout, NULL, err);
			if (rc)
				lb_error_prefix(err, "starting GHCi: ");
		} else {
			json_t *settings = r->sc->settings ? json_loads(r->sc->settings, 0, NULL) : NULL;
			json_t *init = r->sc->init_options ? json_loads(r->sc->init_options, 0, NULL) : NULL;
			r->root_uri = lsp_uri(o->codebase ? o->codebase : ".");
			rc = r->root_uri ? lsp_new(&r->lsp, r->p, settings, err) : lb_error_oom(err);
			if (!rc)
				rc = lsp_initialize(r->lsp, r->root_uri, init, r->sc->timeout, err);
			json_decref(settings);
			json_decref(init);
		}
		if (rc && (rc == LB_EIO || rc == LB_ETIMEOUT)) {
			r->broken = 1; /* it did not even start properly */
			snprintf(r->why, sizeof(r->why), "%s", err->msg);
			rc = 0;
		} else if (!rc) {
			rc = step_loop(r, run, failed, err);
		}
		if (r->broken)
			proc_stop(r->p); /* it died, hung or talks garbage: no goodbye */
		else if (!rc)
			rc = ghci ? proc_send(r->p, ":quit\n", r->sc->timeout, err)
				  : lsp_shutdown(r->lsp, r->sc->timeout, err);
		struct lb_error ferr = {0};
		int frc = exec_finish(live, &sub, &ferr); /* always: reaps the process */
		r->p = NULL;
		if (!rc && frc) {
			*err = ferr;
			rc = frc;
		}
	}
	lsp_free(r->lsp);
	r->lsp = NULL;
	for (size_t i = 0; i < r->n_docs; i++) {
		free(r->docs[i].file);
		free(r->docs[i].uri);
	}
	free(r->docs);
	r->docs = NULL;
	r->n_docs = 0;
	for (size_t i = 0; i < r->n_sent; i++)
		free(r->sent_keys[i]);
	free(r->sent_keys);
	free(r->sent_ids);
	free(r->root_uri);
	if (r->transcript) {
		fclose(r->transcript);
		r->transcript = NULL;
		if (!rc)
			rc = record_add_artifact(&sub, "ghci-transcript", tpath, err);
	}
	free(tpath);
	if (!rc)
		rc = adopt(run, &sub, err);
	const struct lb_metric *delay = rc ? NULL : record_metric(run, "eventlog.start_delay_seconds");
	if (!rc)
		rc = align_steps(run, sub.started_at + (delay ? delay->value : 0), err);
	if (!rc && r->broken) {
		/* the run is kept, marked with why, and the last words of the target */
		char *path = NULL, why[sizeof(r->why) + 500];
		char *text = asprintf(&path, "%s/stderr", dir) > 0 ? file_read(path, 0, NULL, NULL) : NULL;
		const char *tail = text ? text + strlen(text) : "";
		for (int lines = 0; text && tail > text && lines < 4; tail--)
			lines += tail[-1] == '\n';
		snprintf(why, sizeof(why), "%s%s%.400s", r->why, text && *tail ? "; its stderr ends: " : "",
			 text ? tail : "");
		for (char *c = why; *c; c++)
			if (*c == '\n')
				*c = ' ';
		run->status = LB_RUN_CRASHED;
		run->partial = 1;
		free(run->reason);
		run->reason = lb_strdup(why, err);
		free(text);
		free(path);
	}
	record_free(&sub);
	free(dir);
	free(argv);
	return rc;
}

int session_run(const struct scn_scenario *sc, const struct session_opts *o, struct lb_run *run,
		struct lb_error *err)
{
	struct runner r = {.sc = sc, .o = o};
	int rc, failed = 0;
	double t_start = now_unix();
	rc = sc->runner == SCN_RUNNER_EXEC ? step_loop(&r, run, &failed, err)
					   : process_session(&r, run, &failed, err);
	edit_book_free(r.book);
	if (rc)
		return rc;
	run->started_at = t_start;
	run->wall_seconds = now_unix() - t_start;
	if ((rc = record_add_metric(run, "wall_seconds", run->wall_seconds, "s", err)) ||
	    (rc = summarise_steps(run, err)))
		return rc;
	if (failed && run->status == LB_RUN_OK) {
		run->status = LB_RUN_CRASHED;
		free(run->reason);
		char why[700];
		size_t first = 0;
		while (!run->steps[first].failed)
			first++;
		snprintf(why, sizeof(why), "%d step%s failed; the first, line %d (%s %s): %s", failed,
			 failed == 1 ? "" : "s", run->steps[first].line, run->steps[first].kind,
			 run->steps[first].detail, run->steps[first].note ? run->steps[first].note : "");
		run->reason = lb_strdup(why, err);
	}
	return 0;
}
