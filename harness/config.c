/*
 * config.c - reading leakbench.ini with inih.
 *
 * inih calls us once per key; a key we do not know, or a value we cannot use, makes the
 * handler fail, inih reports that line, and we keep the first message.  Checks that need a
 * whole section (a target without a build command) run after the parse and name the
 * section's line.  The result is all or nothing.
 */
#include "harness/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/text.h"
#include "harness/cli.h"
#include "scenarios/scenario.h"

struct parse {
	struct cfg *c;
	char *dir;        /* the config file's folder */
	int line;         /* counted by our reader: inih gives the handler no line number */
	int header_line;  /* of the last [section] line read */
	int opened_line;  /* of the section the keys now go to */
	char msg[400];    /* the first mistake, without FILE:LINE */
	int msg_line;
	int oom;
	char *section;    /* the current section as written, to notice a new one */
};

static char *resolve(const struct parse *ps, const char *value)
{
	char *p;
	if (value[0] == '/' || strstr(value, "://") || value[0] == '~')
		return strdup(value);
	return asprintf(&p, "%s/%s", ps->dir, value) < 0 ? NULL : p;
}

static int complain(struct parse *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int complain(struct parse *ps, const char *fmt, ...)
{
	if (!ps->msg[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ps->msg, sizeof(ps->msg), fmt, ap);
		va_end(ap);
		ps->msg_line = ps->line;
	}
	return 0;
}

static int set_string(struct parse *ps, char **dst, const char *value, int path)
{
	free(*dst);
	*dst = path ? resolve(ps, value) : strdup(value);
	if (!*dst)
		ps->oom = 1;
	return *dst != NULL;
}

static int push_word(struct parse *ps, char ***arr, size_t *n, const char *w)
{
	char **p = realloc(*arr, (*n + 2) * sizeof(char *));
	if (!p || !(p[*n] = strdup(w))) {
		if (p)
			*arr = p;
		ps->oom = 1;
		return 0;
	}
	*arr = p;
	p[++*n] = NULL;
	return 1;
}

static int unknown_key(struct parse *ps, const char *section, const char *name, const char *const *known, size_t n)
{
	const char *near = cli_nearest(name, known, n);
	char list[300] = "";
	for (size_t i = 0, k = 0; i < n && k < sizeof(list); i++)
		k += (size_t)snprintf(list + k, sizeof(list) - k, "%s%s", i ? ", " : "", known[i]);
	if (near)
		return complain(ps, "unknown key '%s' in [%s] (did you mean '%s'?)", name, section, near);
	return complain(ps, "unknown key '%s' in [%s] (expected one of: %s)", name, section, list);
}

static int parse_duration(const char *v, double *out)
{
	char *end;
	double x = strtod(v, &end);
	double scale = !*end ? 1 : !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60 : !strcmp(end, "h") ? 3600 : -1;
	if (end == v || scale < 0 || x <= 0 || !isfinite(x))
		return -1;
	*out = x * scale;
	return 0;
}

static int target_key(struct parse *ps, struct cfg_target *t, const char *name, const char *value)
{
	static const char *const known[] = {"repo", "build", "program", "args", "runner", "rts", "env",
					    "toolchain", "build-timeout", "baseline", "branch", "commit-url"};
	if (!strcmp(name, "repo"))
		return set_string(ps, &t->repo, value, 1);
	if (!strcmp(name, "build"))
		return set_string(ps, &t->build, value, 0);
	if (!strcmp(name, "program")) {
		if (value[0] == '/' || strstr(value, ".."))
			return complain(ps, "program '%s' must be a path inside the build's output folder {out}", value);
		return set_string(ps, &t->program, value, 0);
	}
	if (!strcmp(name, "args"))
		return set_string(ps, &t->args, value, 0);
	if (!strcmp(name, "runner")) {
		if (strcmp(value, "lsp") && strcmp(value, "ghci") && strcmp(value, "exec"))
			return complain(ps, "runner '%s': expected lsp, ghci or exec", value);
		return set_string(ps, &t->runner, value, 0);
	}
	if (!strcmp(name, "rts"))
		return set_string(ps, &t->rts, value, 0);
	if (!strcmp(name, "env")) {
		char *copy = strdup(value);
		if (!copy)
			return ps->oom = 1, 0;
		int ok = 1;
		for (char *cur = copy, *w; ok && (w = text_word(&cur, " \t"));)
			ok = strchr(w, '=') && w[0] != '='
				     ? push_word(ps, &t->env, &t->n_env, w)
				     : complain(ps, "env: expected KEY=VALUE words, found '%s'", w);
		free(copy);
		return ok;
	}
	if (!strcmp(name, "toolchain"))
		return set_string(ps, &t->toolchain, value, 0);
	if (!strcmp(name, "build-timeout"))
		return parse_duration(value, &t->build_timeout) == 0 ||
		       complain(ps, "build-timeout '%s': expected a duration such as 90m or 2h", value);
	if (!strcmp(name, "baseline"))
		return set_string(ps, &t->baseline, value, 0);
	if (!strcmp(name, "branch"))
		return set_string(ps, &t->branch, value, 0);
	if (!strcmp(name, "commit-url")) {
		if (!strstr(value, "{sha}"))
			return complain(ps, "commit-url '%s' must contain {sha} (where the commit goes)", value);
		/* it becomes a link on every trend page: javascript: or data: would run there */
		if (strncasecmp(value, "https://", 8) && strncasecmp(value, "http://", 7))
			return complain(ps, "commit-url '%s': expected an http:// or https:// URL", value);
		return set_string(ps, &t->commit_url, value, 0);
	}
	char sec[200];
	snprintf(sec, sizeof(sec), "target %s", t->name);
	return unknown_key(ps, sec, name, known, sizeof(known) / sizeof(*known));
}

static int scenario_key(struct parse *ps, struct cfg_scenario *s, const char *name, const char *value)
{
	static const char *const known[] = {"file", "targets", "repeat"};
	if (!strcmp(name, "file"))
		return set_string(ps, &s->file, value, 1);
	if (!strcmp(name, "targets")) {
		char *copy = strdup(value);
		int ok = copy != NULL;
		for (char *cur = copy, *w; ok && (w = text_word(&cur, " \t,"));)
			ok = push_word(ps, &s->targets, &s->n_targets, w);
		free(copy);
		return ok || (ps->oom = 1, 0);
	}
	if (!strcmp(name, "repeat")) {
		char *end;
		long n = strtol(value, &end, 10);
		if (end == value || *end || n < 1 || n > 64)
			return complain(ps, "repeat '%s': expected a whole number from 1 to 64", value);
		s->repeat = (int)n;
		return 1;
	}
	char sec[200];
	snprintf(sec, sizeof(sec), "scenario %s", s->name);
	return unknown_key(ps, sec, name, known, sizeof(known) / sizeof(*known));
}

/* A new section: "leakbench", "thresholds", "target NAME" or "scenario NAME". */
static int open_section(struct parse *ps, const char *section)
{
	struct cfg *c = ps->c;
	free(ps->section);
	if (!(ps->section = strdup(section)))
		return ps->oom = 1, 0;
	ps->opened_line = ps->header_line;
	const char *sp = strchr(section, ' ');
	const char *name = sp ? sp + 1 : NULL;
	if (!strcmp(section, "leakbench") || !strcmp(section, "thresholds") || !strcmp(section, "notify"))
		return 1;
	if (name && *name && !strchr(name, ' ') && !strncmp(section, "target ", 7)) {
		for (size_t i = 0; i < c->n_targets; i++)
			if (!strcmp(c->targets[i].name, name))
				return complain(ps, "a second [target %s] (first at line %d)", name, c->targets[i].line);
		struct cfg_target *t = realloc(c->targets, (c->n_targets + 1) * sizeof(*t));
		if (!t)
			return ps->oom = 1, 0;
		c->targets = t;
		t[c->n_targets] = (struct cfg_target){.name = strdup(name), .line = ps->header_line, .build_timeout = 3600};
		return c->targets[c->n_targets++].name ? 1 : (ps->oom = 1, 0);
	}
	if (name && *name && !strchr(name, ' ') && !strncmp(section, "scenario ", 9)) {
		for (size_t i = 0; i < c->n_scenarios; i++)
			if (!strcmp(c->scenarios[i].name, name))
				return complain(ps, "a second [scenario %s] (first at line %d)", name, c->scenarios[i].line);
		struct cfg_scenario *s = realloc(c->scenarios, (c->n_scenarios + 1) * sizeof(*s));
		if (!s)
			return ps->oom = 1, 0;
		c->scenarios = s;
		s[c->n_scenarios] = (struct cfg_scenario){.name = strdup(name), .line = ps->header_line, .repeat = 1};
		return c->scenarios[c->n_scenarios++].name ? 1 : (ps->oom = 1, 0);
	}
	return complain(ps, "unknown section [%s] (expected [leakbench], [thresholds], [notify], [target NAME] or "
			    "[scenario NAME])", section);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	struct cfg *c = ps->c;
	if (ps->msg[0] || ps->oom)
		return 0;
	if ((!ps->section || strcmp(ps->section, section) || ps->opened_line != ps->header_line) &&
	    !open_section(ps, section))
		return 0;
	if (!*section)
		return complain(ps, "'%s' is outside any section (start with [leakbench] or [target NAME])", name);
	if (!*value)
		return complain(ps, "%s has no value", name);
	if (!strcmp(section, "leakbench")) {
		static const char *const known[] = {"database", "cache", "site", "bisect", "publish-database",
						    "history-from"};
		if (!strcmp(name, "database"))
			return set_string(ps, &c->database, value, 1);
		if (!strcmp(name, "cache"))
			return set_string(ps, &c->cache, value, 1);
		if (!strcmp(name, "site"))
			return set_string(ps, &c->site, value, 1);
		if (!strcmp(name, "bisect")) {
			if (strcmp(value, "yes") && strcmp(value, "no"))
				return complain(ps, "bisect '%s': expected yes or no", value);
			c->bisect = !strcmp(value, "yes");
			return 1;
		}
		if (!strcmp(name, "publish-database")) {
			if (strcmp(value, "yes") && strcmp(value, "no"))
				return complain(ps, "publish-database '%s': expected yes or no", value);
			c->publish_database = !strcmp(value, "yes");
			return 1;
		}
		if (!strcmp(name, "history-from")) /* a URL as it is; a path beside the config */
			return set_string(ps, &c->history_from, value, strstr(value, "://") == NULL);
		return unknown_key(ps, "leakbench", name, known, 6);
	}
	if (!strcmp(section, "notify")) {
		static const char *const known[] = {"webhook", "webhook-env", "retries", "command"};
		if (!strcmp(name, "webhook"))
			return set_string(ps, &c->notify.webhook, value, 0);
		if (!strcmp(name, "webhook-env")) {
			for (const char *p = value; *p; p++)
				if (!isalnum((unsigned char)*p) && *p != '_')
					return complain(ps, "webhook-env '%s': expected the name of an environment variable", value);
			return set_string(ps, &c->notify.webhook_env, value, 0);
		}
		if (!strcmp(name, "retries")) {
			char *end;
			long v = strtol(value, &end, 10);
			if (*end || v < 0 || v > 10)
				return complain(ps, "retries '%s': expected 0 to 10", value);
			c->notify.retries = (int)v;
			return 1;
		}
		if (!strcmp(name, "command"))
			return set_string(ps, &c->notify.command, value, 0);
		return unknown_key(ps, "notify", name, known, 4);
	}
	if (!strcmp(section, "thresholds")) {
		const char *nearest;
		if (!scn_metric_known(name, 0, &nearest))
			return complain(ps, "[thresholds] %s: no run stores such a metric%s%s%s", name,
					nearest ? " (did you mean '" : "", nearest ? nearest : "", nearest ? "'?)" : "");
		char *end;
		double v = strtod(value, &end);
		if (end == value || strcmp(end, "%") || v <= 0 || v >= 1000)
			return complain(ps, "threshold for %s: expected a percentage such as 5%%, found '%s'", name, value);
		struct judge_threshold *t = realloc(c->thresholds, (c->n_thresholds + 1) * sizeof(*t));
		if (!t)
			return ps->oom = 1, 0;
		c->thresholds = t;
		t[c->n_thresholds] = (struct judge_threshold){strdup(name), v / 100};
		return c->thresholds[c->n_thresholds++].metric ? 1 : (ps->oom = 1, 0);
	}
	if (!strncmp(section, "target ", 7))
		return target_key(ps, &c->targets[c->n_targets - 1], name, value);
	return scenario_key(ps, &c->scenarios[c->n_scenarios - 1], name, value);
}

/* inih's reader, counting lines for our messages. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *ps = *(struct parse **)stream;
	FILE *f = ((FILE **)stream)[1];
	char *r = fgets(str, num, f);
	if (r && strchr(r, '\n'))
		ps->line++;
	if (r && r[strspn(r, " \t")] == '[')
		ps->header_line = ps->line + !strchr(r, '\n');
	return r;
}

void cfg_free(struct cfg *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_targets; i++) {
		struct cfg_target *t = &c->targets[i];
		free(t->name), free(t->repo), free(t->build), free(t->program), free(t->args);
		free(t->runner), free(t->rts), free(t->toolchain), free(t->baseline), free(t->branch), free(t->commit_url);
		for (size_t k = 0; k < t->n_env; k++)
			free(t->env[k]);
		free(t->env);
	}
	free(c->targets);
	for (size_t i = 0; i < c->n_scenarios; i++) {
		free(c->scenarios[i].name);
		free(c->scenarios[i].file);
		for (size_t k = 0; k < c->scenarios[i].n_targets; k++)
			free(c->scenarios[i].targets[k]);
		free(c->scenarios[i].targets);
	}
	free(c->scenarios);
	for (size_t i = 0; i < c->n_thresholds; i++)
		free(c->thresholds[i].metric);
	free(c->thresholds);
	free(c->path), free(c->database), free(c->cache), free(c->site), free(c->history_from);
	if (c->notify.webhook_secret)
		explicit_bzero(c->notify.webhook_secret, strlen(c->notify.webhook_secret));
	free(c->notify.webhook), free(c->notify.webhook_env), free(c->notify.webhook_secret), free(c->notify.command);
	free(c);
}

/* Checks that need a whole section. */
static int check(struct cfg *c, struct lb_error *err)
{
	for (size_t i = 0; i < c->n_targets; i++) {
		const struct cfg_target *t = &c->targets[i];
		const char *missing = !t->repo ? "repo (a URL or a path)" : !t->build ? "build (the command that builds it)"
				      : !t->program				? "program (the binary, inside {out})"
										: NULL;
		if (missing)
			return lb_error_set(err, LB_EINVAL, "%s:%d: [target %s] has no %s", c->path, t->line, t->name,
					    missing);
		if (!strstr(t->build, "{out}"))
			return lb_error_set(err, LB_EINVAL, "%s:%d: [target %s]: the build command never names {out}, the "
					    "folder where %s must end up", c->path, t->line, t->name, t->program);
	}
	for (size_t i = 0; i < c->n_scenarios; i++) {
		const struct cfg_scenario *s = &c->scenarios[i];
		if (!s->file)
			return lb_error_set(err, LB_EINVAL, "%s:%d: [scenario %s] has no file (the .scn to run)", c->path,
					    s->line, s->name);
		if (access(s->file, R_OK) != 0)
			return lb_error_set(err, LB_EINVAL, "%s:%d: [scenario %s]: cannot read %s: %s", c->path, s->line,
					    s->name, s->file, strerror(errno));
		for (size_t k = 0; k < s->n_targets; k++) {
			size_t j = 0;
			while (j < c->n_targets && strcmp(c->targets[j].name, s->targets[k]))
				j++;
			if (j == c->n_targets)
				return lb_error_set(err, LB_EINVAL, "%s:%d: [scenario %s]: no [target %s] in this file",
						    c->path, s->line, s->name, s->targets[k]);
		}
	}
	return 0;
}

/* The webhook URL is a secret (a token in it posts to the team's chat), and code from any
 * swept commit runs as leakbench's children: its value moves into the config, its bytes in
 * the environment block are overwritten (the kernel serves /proc/PID/environ from that
 * block, so unsetenv alone would leave it readable there) and the variable is removed. */
static int take_secret(struct cfg *c, struct lb_error *err)
{
	char *v = c->notify.webhook_env ? getenv(c->notify.webhook_env) : NULL;
	if (!v)
		return 0;
	if (!(c->notify.webhook_secret = strdup(v)))
		return lb_error_oom(err);
	explicit_bzero(v, strlen(v));
	unsetenv(c->notify.webhook_env);
	return 0;
}

int cfg_load(struct cfg **out, const char *path, struct lb_error *err)
{
	*out = NULL;
	FILE *f = fopen(path, "r");
	if (!f)
		return lb_error_set(err, errno == ENOENT ? LB_ENOTFOUND : LB_EIO, "%s: cannot read the config: %s%s", path,
				    strerror(errno), errno == ENOENT ? " (`leakbench init` writes one)" : "");
	/* build commands are long: let inih grow its line buffer instead of cutting at 200 */
	ini_use_stack = 0;
	ini_allow_realloc = 1;
	ini_max_line = 1 << 20;
	struct cfg *c = calloc(1, sizeof(*c));
	char abs[PATH_MAX];
	struct parse ps = {.c = c};
	if (c) {
		c->notify.retries = 3;
		c->publish_database = 1;
	}
	if (!c || !(c->path = strdup(path)) || !realpath(path, abs) || !(ps.dir = strdup(abs))) {
		fclose(f);
		cfg_free(c);
		return lb_error_oom(err);
	}
	*strrchr(ps.dir, '/') = '\0';
	void *stream[2] = {&ps, f};
	int line = ini_parse_stream(reader, stream, handler, &ps);
	fclose(f);
	int rc = 0;
	if (ps.oom)
		rc = lb_error_oom(err);
	else if (ps.msg[0])
		rc = lb_error_set(err, LB_EINVAL, "%s:%d: %s", path, ps.msg_line, ps.msg);
	else if (line)
		rc = lb_error_set(err, LB_EINVAL, "%s:%d: expected [section], KEY = VALUE, or a comment (# or ;)", path,
				  line);
	/* defaults, beside the config file */
	if (!rc && ((!c->database && !set_string(&ps, &c->database, "leakbench.db", 1)) ||
		    (!c->cache && !set_string(&ps, &c->cache, ".leakbench-cache", 1)) ||
		    (!c->site && !set_string(&ps, &c->site, "site", 1))))
		rc = lb_error_oom(err);
	if (!rc)
		rc = check(c, err);
	if (!rc)
		rc = take_secret(c, err);
	free(ps.dir);
	free(ps.section);
	if (rc) {
		cfg_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* No such NAME among `names`: say so, with the nearest one. */
static void no_such(const struct cfg *c, const char *kind, const char *name, const char *const *names, size_t n,
		    struct lb_error *err)
{
	const char *near = cli_nearest(name, names, n);
	if (near) {
		lb_error_set(err, LB_EINVAL, "%s: no [%s %s] (did you mean '%s'?)", c->path, kind, name, near);
		return;
	}
	char known[600] = "";
	for (size_t i = 0, used = 0; i < n && used < sizeof(known); i++)
		used += (size_t)snprintf(known + used, sizeof(known) - used, "%s%s", i ? ", " : "", names[i]);
	lb_error_set(err, LB_EINVAL, "%s: no [%s %s] (%s%s)", c->path, kind, name, n ? "the config has: " : "the config has none",
		     known);
}

const struct cfg_target *cfg_target(const struct cfg *c, const char *name, struct lb_error *err)
{
	const char *names[64];
	for (size_t i = 0; i < c->n_targets; i++) {
		if (!strcmp(c->targets[i].name, name))
			return &c->targets[i];
		if (i < 64)
			names[i] = c->targets[i].name;
	}
	no_such(c, "target", name, names, c->n_targets < 64 ? c->n_targets : 64, err);
	return NULL;
}

const struct cfg_scenario *cfg_scenario(const struct cfg *c, const char *name, struct lb_error *err)
{
	const char *names[64];
	for (size_t i = 0; i < c->n_scenarios; i++) {
		if (!strcmp(c->scenarios[i].name, name))
			return &c->scenarios[i];
		if (i < 64)
			names[i] = c->scenarios[i].name;
	}
	no_such(c, "scenario", name, names, c->n_scenarios < 64 ? c->n_scenarios : 64, err);
	return NULL;
}

int cfg_find_scenario(const char *name, const struct cfg *c, struct scn_scenario **sc, int *repeat,
		      struct lb_error *err)
{
	const struct cfg_scenario *cs = NULL;
	if (access(name, F_OK) != 0 && c && (cs = cfg_scenario(c, name, err)) == NULL)
		return err->code;
	if (cs && repeat && *repeat <= 0)
		*repeat = cs->repeat;
	return scn_parse_file(sc, cs ? cs->file : name, err);
}
