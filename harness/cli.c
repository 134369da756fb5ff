/*
 * cli.c - option parsing, generated usage, nearest-name suggestions.
 *
 * Suggestions use the Damerau-free Levenshtein distance and accept a candidate within a
 * third of the word's length (at least 2), the threshold git uses in spirit: close enough
 * to be a typo, not a different word.
 */
#include "harness/cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"

const char *cli_nearest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		size_t d = text_distance(word, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	size_t limit = strlen(word) / 3;
	if (limit < 2)
		limit = 2;
	return best_d <= limit ? best : NULL;
}

static int parse_duration(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		return -1;
	double scale = 1;
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		scale = 1;
	else if (strcmp(end, "ms") == 0)
		scale = 1e-3;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		scale = 60;
	else if (strcmp(end, "h") == 0)
		scale = 3600;
	else
		return -1;
	*out = v * scale;
	return 0;
}

static int set_value(const struct cli_command *cmd, const struct cli_option *o, const char *v)
{
	switch (o->kind) {
	case CLI_STRING:
		*(const char **)o->dest = v;
		return 0;
	case CLI_INT: {
		char *end;
		errno = 0;
		long n = strtol(v, &end, 10);
		if (end == v || *end || errno || n < 0 || n > 1000000000) {
			fprintf(stderr, "leakbench %s: --%s expects a whole number >= 0, not '%s'\n",
				cmd->name, o->name, v);
			return -1;
		}
		*(int *)o->dest = (int)n;
		return 0;
	}
	case CLI_DURATION:
		if (parse_duration(v, (double *)o->dest)) {
			fprintf(stderr,
				"leakbench %s: --%s expects a duration such as 30, 30s, 500ms or 2m, "
				"not '%s'\n",
				cmd->name, o->name, v);
			return -1;
		}
		return 0;
	case CLI_APPEND:
	case CLI_LIST: {
		char **dst = o->dest, *old = *dst, *n;
		if (o->kind == CLI_LIST && strchr(v, '\n')) {
			fprintf(stderr, "leakbench %s: --%s: a value on one line, please\n", cmd->name, o->name);
			return -1;
		}
		if (asprintf(&n, "%s%s%s", old ? old : "", old ? (o->kind == CLI_LIST ? "\n" : " ") : "", v) < 0)
			return -1;
		free(old);
		*dst = n;
		return 0;
	}
	case CLI_FLAG:
		break;
	}
	return -1;
}

static void unknown_option(const struct cli_command *cmd, const char *name)
{
	const char *names[64];
	size_t n = 0;
	for (const struct cli_option *o = cmd->options; o && o->name && n < 63; o++)
		names[n++] = o->name;
	names[n++] = "help";
	const char *near = cli_nearest(name, names, n);
	if (near)
		fprintf(stderr, "leakbench %s: unknown option '--%s' (did you mean '--%s'?)\n",
			cmd->name, name, near);
	else
		fprintf(stderr, "leakbench %s: unknown option '--%s' (see 'leakbench %s --help')\n",
			cmd->name, name, cmd->name);
}

static int parse(const struct cli_command *cmd, int argc, char **argv, int *nargs)
{
	int npos = 0, i = 1;
	char **pos = argv + 1; /* positionals are moved down in place */
	for (; i < argc; i++) {
		char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			if (cmd->stop_at_positional)
				break;
			pos[npos++] = a;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			cli_usage(stdout, cmd);
			return -1;
		}
		if (a[1] != '-') {
			fprintf(stderr, "leakbench %s: unknown option '%s' (options are spelled --name; see "
					"'leakbench %s --help')\n",
				cmd->name, a, cmd->name);
			return -LB_EXIT_USAGE;
		}
		char name[128];
		const char *eq = strchr(a + 2, '=');
		size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		snprintf(name, sizeof(name), "%.*s", (int)len, a + 2);
		const struct cli_option *o = cmd->options;
		while (o && o->name && strcmp(o->name, name) != 0)
			o++;
		if (!o || !o->name) {
			unknown_option(cmd, name);
			return -LB_EXIT_USAGE;
		}
		if (o->kind == CLI_FLAG) {
			if (eq) {
				fprintf(stderr, "leakbench %s: --%s takes no value\n", cmd->name, name);
				return -LB_EXIT_USAGE;
			}
			*(int *)o->dest = 1;
			continue;
		}
		const char *v = eq ? eq + 1 : NULL;
		if (!v) {
			if (i + 1 >= argc) {
				fprintf(stderr, "leakbench %s: --%s needs a value (%s)\n", cmd->name, name,
					o->arg ? o->arg : "VALUE");
				return -LB_EXIT_USAGE;
			}
			v = argv[++i];
		}
		if (set_value(cmd, o, v))
			return -LB_EXIT_USAGE;
	}
	for (; i < argc; i++)
		pos[npos++] = argv[i];
	*nargs = npos;
	return 1;
}

int cli_parse(const struct cli_command *cmd, int argc, char **argv, int *first, int *nargs)
{
	*first = parse(cmd, argc, argv, nargs);
	if (*first >= 0)
		return CLI_GO_ON;
	cli_free(cmd); /* the command returns at once: what --x A --x B gathered goes now */
	return *first == -1 ? LB_EXIT_OK : cmd->usage_exit ? cmd->usage_exit : LB_EXIT_USAGE;
}

void cli_error(const char *cmd, const struct lb_error *err)
{
	fprintf(stderr, "leakbench %s: %s\n", cmd, err && err->msg[0] ? err->msg : "out of memory");
}

void cli_usage(FILE *out, const struct cli_command *cmd)
{
	fprintf(out, "usage: leakbench %s\n\n%s\n", cmd->usage, cmd->summary);
	if (cmd->description)
		fprintf(out, "\n%s\n", cmd->description);
	fprintf(out, "\noptions:\n");
	for (const struct cli_option *o = cmd->options; o && o->name; o++) {
		char left[64];
		snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(out, "  %-24s %s\n", left, o->help);
	}
	fprintf(out, "  %-24s %s\n", "--help", "show this help");
}

void cli_free(const struct cli_command *cmd)
{
	for (const struct cli_option *o = cmd->options; o && o->name; o++)
		if (o->kind == CLI_APPEND || o->kind == CLI_LIST) {
			free(*(char **)o->dest);
			*(char **)o->dest = NULL;
		}
}

const char *cli_sparkline(const double *v, size_t n, size_t width, char *buf, size_t size)
{
	static const char *const bars[] = {"\u2581", "\u2582", "\u2583", "\u2584",
					   "\u2585", "\u2586", "\u2587", "\u2588"};
	size_t cells = n < width ? n : width, k = 0;
	buf[0] = '\0';
	if (!n || size < 4)
		return buf;
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		lo = fmin(lo, v[i]);
		hi = fmax(hi, v[i]);
	}
	for (size_t c = 0; c < cells && k + 4 <= size; c++) {
		size_t a = c * n / cells, b = (c + 1) * n / cells;
		double m = v[a];
		for (size_t i = a; i < b; i++)
			m = fmax(m, v[i]);
		int level = hi > lo ? (int)((m - lo) / (hi - lo) * 7.0 + 0.5) : 0;
		memcpy(buf + k, bars[level], 3);
		k += 3;
	}
	buf[k] = '\0';
	return buf;
}
