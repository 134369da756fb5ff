/*
 * rts.c - RTS measurement flags, refusal detection, and the statistics parsers.
 *
 * The parsers are line-driven and never trust the text: every number is read with a
 * bounded conversion and a malformed line of the strict formats (the machine-readable list)
 * is an error naming the source and line.  The free-text formats (-s, -S) change between
 * GHC versions, so unknown lines there are skipped rather than refused.
 */
#include "base/mem.h"
#include "runners/rts.h"

#include "base/file.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_kv(struct rts_stats *st, const char *key, size_t klen, const char *value,
		  size_t vlen, struct lb_error *err)
{
	while (klen > 0 && isspace((unsigned char)key[klen - 1]))
		klen--; /* "sparks_dud " */
	if (LB_GROW(st->kv, st->n_kv + 1, st->cap_kv, err))
		return err->code;
	char *k = strndup(key, klen), *v = strndup(value, vlen);
	if (!k || !v) {
		free(k);
		free(v);
		return lb_error_oom(err);
	}
	st->kv[st->n_kv++] = (struct rts_kv){k, v};
	return 0;
}

static int add_num(struct rts_stats *st, const char *key, double v, struct lb_error *err)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%.17g", v);
	return add_kv(st, key, strlen(key), buf, (size_t)n, err);
}

void rts_stats_free(struct rts_stats *st)
{
	for (size_t i = 0; i < st->n_kv; i++) {
		free(st->kv[i].key);
		free(st->kv[i].value);
	}
	free(st->kv);
	free(st->gcs);
	memset(st, 0, sizeof(*st));
}

const char *rts_stats_get(const struct rts_stats *st, const char *key)
{
	/* the last one wins, as it does when leakbench stores them */
	for (size_t i = st->n_kv; i-- > 0;)
		if (strcmp(st->kv[i].key, key) == 0)
			return st->kv[i].value;
	return NULL;
}

static int to_double(const char *s, double *out)
{
	if (!s || !*s)
		return LB_EINVAL;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno == ERANGE)
		return LB_EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return LB_EINVAL;
	*out = v;
	return 0;
}

int rts_stats_number(const struct rts_stats *st, const char *key, double *out)
{
	if (to_double(rts_stats_get(st, key), out) == 0)
		return 0;
	static const struct {
		const char *key, *old;
		double scale;
	} fallback[] = {
		{"allocated_bytes", "bytes allocated", 1},
		{"max_live_bytes", "max_bytes_used", 1},
		{"max_mem_in_use_bytes", "peak_megabytes_allocated", 1048576.0},
		{"mut_cpu_seconds", "mutator_cpu_seconds", 1},
		{"mut_wall_seconds", "mutator_wall_seconds", 1},
		{"num_GCs", "num_GCs", 1},
	};
	for (size_t i = 0; i < sizeof(fallback) / sizeof(*fallback); i++)
		if (strcmp(fallback[i].key, key) == 0 &&
		    to_double(rts_stats_get(st, fallback[i].old), out) == 0) {
			*out *= fallback[i].scale;
			return 0;
		}
	return LB_ENOTFOUND;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

const char *rts_key_unit(const char *key)
{
	if (ends_with(key, "_bytes") || strcmp(key, "bytes allocated") == 0 ||
	    strcmp(key, "average_bytes_used") == 0 || strcmp(key, "max_bytes_used") == 0)
		return "bytes";
	if (ends_with(key, "_seconds"))
		return "s";
	if (ends_with(key, "_percent") || strcmp(key, "work_balance") == 0)
		return "ratio";
	if (strcmp(key, "peak_megabytes_allocated") == 0)
		return "MiB";
	if (strcmp(key, "alloc_rate") == 0)
		return "bytes/s";
	if (strcmp(key, "num_GCs") == 0 || strcmp(key, "major_gcs") == 0 ||
	    ends_with(key, "_collections") || ends_with(key, "_count") ||
	    strcmp(key, "num_byte_usage_samples") == 0 || strncmp(key, "sparks_", 7) == 0 ||
	    strcmp(key, "n_capabilities") == 0 || ends_with(key, "_worker_count"))
		return "count";
	return "";
}

const char *rts_format_name(enum rts_format f)
{
	static const char *const names[] = {"unknown", "machine-readable", "machine-readable (old)",
					    "one-line -t", "-s summary", "-S per-GC", "--info"};
	return (unsigned)f < sizeof(names) / sizeof(*names) ? names[f] : "unknown";
}

/* --- line iteration ------------------------------------------------------------------ */

struct lines {
	const char *p;
	int lineno;
};

/* The next line (without its newline) in *line and *len; 0 at the end. */
static int next_line(struct lines *it, const char **line, size_t *len)
{
	if (!*it->p)
		return 0;
	const char *nl = strchr(it->p, '\n');
	*line = it->p;
	*len = nl ? (size_t)(nl - it->p) : strlen(it->p);
	it->p = nl ? nl + 1 : it->p + *len;
	it->lineno++;
	return 1;
}

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

/* Read a "..." string; *s and *n point into the line.  Returns the position after it or NULL. */
static const char *quoted(const char *p, const char *end, const char **s, size_t *n)
{
	if (p >= end || *p != '"')
		return NULL;
	const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
	if (!q)
		return NULL;
	*s = p + 1;
	*n = (size_t)(q - p - 1);
	return q + 1;
}

/* The [("key", "value") ,("key", "value") ] list of -t --machine-readable and --info. */
static int parse_list(struct rts_stats *st, struct lines *it, const char *source,
		      struct lb_error *err)
{
	const char *line;
	size_t len;
	int opened = 0;
	while (next_line(it, &line, &len)) {
		const char *end = line + len, *p = skip_space(line, end);
		if (p == end)
			continue;
		if (!opened) {
			if (*p != '[')
				continue; /* the quoted command line before the list */
			opened = 1;
			p = skip_space(p + 1, end);
			if (p < end && *p == ']')
				return 0;
		} else if (*p == ']') {
			return 0;
		} else if (*p == ',') {
			p = skip_space(p + 1, end);
		} else {
			goto bad;
		}
		const char *k, *v;
		size_t kn, vn;
		if (p >= end || *p != '(')
			goto bad;
		p = quoted(skip_space(p + 1, end), end, &k, &kn);
		if (!p)
			goto bad;
		p = skip_space(p, end);
		if (p >= end || *p != ',')
			goto bad;
		p = quoted(skip_space(p + 1, end), end, &v, &vn);
		if (!p)
			goto bad;
		p = skip_space(p, end);
		if (p >= end || *p != ')')
			goto bad;
		if (add_kv(st, k, kn, v, vn, err))
			return err->code;
		/* the last entry may carry the closing bracket on its own line or this one */
		p = skip_space(p + 1, end);
		if (p < end && *p == ']')
			return 0;
		continue;
	bad:
		return lb_error_set(err, LB_EINVAL,
				    "%s line %d: expected (\"key\", \"value\") in the RTS statistics list, "
				    "found '%.*s'",
				    source, it->lineno, (int)(len > 80 ? 80 : len), line);
	}
	if (!opened)
		return lb_error_set(err, LB_EINVAL, "%s: no RTS statistics list found", source);
	return lb_error_set(err, LB_EINVAL,
			    "%s line %d: the RTS statistics list ends without ']' (file cut short?)",
			    source, it->lineno);
}

/* "75,507,744" -> 75507744 */
static int comma_number(const char *s, size_t n, double *out)
{
	char buf[64];
	size_t j = 0;
	for (size_t i = 0; i < n && j + 1 < sizeof(buf); i++)
		if (s[i] != ',')
			buf[j++] = s[i];
	buf[j] = '\0';
	return to_double(buf, out);
}

/* <<ghc: N bytes, N GCs, N/N avg/max bytes residency (N samples), NM in use, ... :ghc>> */
static int parse_oneline(struct rts_stats *st, const char *text, const char *source,
			 struct lb_error *err)
{
	const char *p = strstr(text, "<<ghc:");
	unsigned long long alloc, avg, max, inuse;
	unsigned gcs, samples;
	double ic, iw, mc, mw, gc, gw;
	if (sscanf(p, "<<ghc: %llu bytes, %u GCs, %llu/%llu avg/max bytes residency (%u samples), "
		      "%lluM in use, %lf INIT (%lf elapsed), %lf MUT (%lf elapsed), %lf GC (%lf "
		      "elapsed)",
		   &alloc, &gcs, &avg, &max, &samples, &inuse, &ic, &iw, &mc, &mw, &gc, &gw) != 12)
		return lb_error_set(err, LB_EINVAL, "%s: cannot read the one-line -t statistics '%.60s'",
				    source, p);
	st->format = RTS_FMT_ONELINE;
	const struct {
		const char *k;
		double v;
	} f[] = {{"allocated_bytes", (double)alloc}, {"num_GCs", gcs},
		 {"average_bytes_used", (double)avg}, {"max_live_bytes", (double)max},
		 {"num_byte_usage_samples", samples}, {"max_mem_in_use_bytes", (double)inuse * 1048576.0},
		 {"init_cpu_seconds", ic}, {"init_wall_seconds", iw}, {"mut_cpu_seconds", mc},
		 {"mut_wall_seconds", mw}, {"GC_cpu_seconds", gc}, {"GC_wall_seconds", gw}};
	for (size_t i = 0; i < sizeof(f) / sizeof(*f); i++)
		if (add_num(st, f[i].k, f[i].v, err))
			return err->code;
	return 0;
}

/* One line of the -s summary (also the tail of -S).  Unknown lines are ignored. */
static int summary_line(struct rts_stats *st, const char *line, size_t len, int *max_gen,
			struct lb_error *err)
{
	char buf[512];
	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, line, len);
	buf[len] = '\0';
	const char *p = buf;
	while (*p == ' ')
		p++;
	static const struct {
		const char *suffix, *key;
	} bytes_lines[] = {
		{" bytes allocated in the heap", "allocated_bytes"},
		{" bytes copied during GC", "copied_bytes"},
		{" bytes maximum residency", "max_live_bytes"},
		{" bytes maximum slop", "max_slop_bytes"},
	};
	for (size_t i = 0; i < sizeof(bytes_lines) / sizeof(*bytes_lines); i++) {
		const char *at = strstr(p, bytes_lines[i].suffix);
		double v;
		if (at && comma_number(p, (size_t)(at - p), &v) == 0) {
			if (add_num(st, bytes_lines[i].key, v, err))
				return err->code;
			unsigned samples;
			if (i == 2 && sscanf(at, " bytes maximum residency (%u sample", &samples) == 1 &&
			    add_num(st, "num_byte_usage_samples", samples, err))
				return err->code;
			return 0;
		}
	}
	unsigned long long inuse, lost;
	char u1[4], u2[4];
	if (sscanf(p, "%llu %3[MiB] total memory in use (%llu %3[MiB] lost", &inuse, u1, &lost, u2) ==
	    4)
		return add_num(st, "max_mem_in_use_bytes", (double)inuse * 1048576.0, err) ||
		       add_num(st, "fragmentation_bytes", (double)lost * 1048576.0, err);
	int gen;
	unsigned colls, par;
	double cpu, wall, avg, maxp;
	if (sscanf(p, "Gen %d %u colls, %u par %lfs %lfs %lfs %lfs", &gen, &colls, &par, &cpu, &wall,
		   &avg, &maxp) == 7) {
		char k[64];
		const struct {
			const char *name;
			double v;
		} f[] = {{"collections", colls}, {"par_collections", par}, {"cpu_seconds", cpu},
			 {"wall_seconds", wall}, {"avg_pause_seconds", avg}, {"max_pause_seconds", maxp}};
		for (size_t i = 0; i < sizeof(f) / sizeof(*f); i++) {
			snprintf(k, sizeof(k), "gen_%d_%s", gen, f[i].name);
			if (add_num(st, k, f[i].v, err))
				return err->code;
		}
		if (gen > *max_gen)
			*max_gen = gen;
		return 0;
	}
	static const struct {
		const char *word, *key;
	} times[] = {{"INIT", "init"}, {"MUT", "mut"},   {"GC", "GC"},     {"EXIT", "exit"},
		     {"Total", "total"}, {"RP", "rp"},   {"PROF", "hc"}};
	for (size_t i = 0; i < sizeof(times) / sizeof(*times); i++) {
		size_t wl = strlen(times[i].word);
		double c, w;
		if (strncmp(p, times[i].word, wl) == 0 && p[wl] == ' ' &&
		    sscanf(p + wl, " time %lfs ( %lfs elapsed)", &c, &w) == 2) {
			char k[64];
			snprintf(k, sizeof(k), "%s_cpu_seconds", times[i].key);
			if (add_num(st, k, c, err))
				return err->code;
			snprintf(k, sizeof(k), "%s_wall_seconds", times[i].key);
			return add_num(st, k, w, err);
		}
	}
	double pc, pw;
	if (sscanf(p, "Productivity %lf%% of total user, %lf%% of total elapsed", &pc, &pw) == 2)
		return add_num(st, "productivity_cpu_percent", pc / 100.0, err) ||
		       add_num(st, "productivity_wall_percent", pw / 100.0, err);
	if (strncmp(p, "Alloc rate", 10) == 0) {
		const char *q = p + 10, *e;
		while (*q == ' ')
			q++;
		double v;
		if ((e = strstr(q, " bytes per MUT second")) && comma_number(q, (size_t)(e - q), &v) == 0)
			return add_num(st, "alloc_rate", v, err);
		return 0;
	}
	int tasks, bound, peak, total, n;
	if (sscanf(p, "TASKS: %d (%d bound, %d peak workers (%d total), using -N%d)", &tasks, &bound,
		   &peak, &total, &n) == 5)
		return add_num(st, "task_count", tasks, err) || add_num(st, "bound_task_count", bound, err) ||
		       add_num(st, "peak_worker_count", peak, err) ||
		       add_num(st, "worker_count", total, err) || add_num(st, "n_capabilities", n, err);
	unsigned long long sparks;
	unsigned conv, ovf, dud, gcd, fizz;
	if (sscanf(p, "SPARKS: %llu (%u converted, %u overflowed, %u dud, %u GC'd, %u fizzled)",
		   &sparks, &conv, &ovf, &dud, &gcd, &fizz) == 6)
		return add_num(st, "sparks_count", (double)sparks, err) ||
		       add_num(st, "sparks_converted", conv, err) ||
		       add_num(st, "sparks_overflowed", ovf, err) || add_num(st, "sparks_dud", dud, err) ||
		       add_num(st, "sparks_gcd", gcd, err) || add_num(st, "sparks_fizzled", fizz, err);
	return 0;
}

/* -s, or -S (per-GC lines, then the -s summary). */
static int parse_text(struct rts_stats *st, struct lines *it, struct lb_error *err)
{
	const char *line;
	size_t len;
	int max_gen = -1;
	while (next_line(it, &line, &len)) {
		struct rts_gc g;
		char buf[256];
		if (len < sizeof(buf) && memchr(line, '(', len)) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			if (sscanf(buf, "%llu %llu %llu %lf %lf %lf %lf %lu %lu (Gen: %d)", &g.alloc,
				   &g.copied, &g.live, &g.gc_cpu, &g.gc_wall, &g.total_cpu, &g.total_wall,
				   &g.faults, &g.faults_between, &g.gen) == 10) {
				if (LB_GROW(st->gcs, st->n_gcs + 1, st->cap_gcs, err))
					return err->code;
				st->gcs[st->n_gcs++] = g;
				st->format = RTS_FMT_VERBOSE;
				continue;
			}
		}
		if (summary_line(st, line, len, &max_gen, err))
			return err->code;
	}
	/* the machine-readable names for what -s shows per generation */
	if (max_gen >= 0) {
		double total = 0, v;
		char k[64];
		for (int g = 0; g <= max_gen; g++) {
			snprintf(k, sizeof(k), "gen_%d_collections", g);
			if (rts_stats_number(st, k, &v) == 0)
				total += v;
		}
		snprintf(k, sizeof(k), "gen_%d_collections", max_gen);
		if (add_num(st, "num_GCs", total, err) ||
		    (rts_stats_number(st, k, &v) == 0 && add_num(st, "major_gcs", v, err)))
			return err->code;
	}
	return 0;
}

static int has_list_start(const char *text)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (p[0] == '[' && (p[1] == '(' || p[1] == ' ' || p[1] == ']'))
			return 1;
	}
	return 0;
}

int rts_stats_parse(struct rts_stats *out, const char *text, const char *source,
		    struct lb_error *err)
{
	memset(out, 0, sizeof(*out));
	struct lines it = {text, 0};
	int rc;
	if (strstr(text, "<<ghc:")) {
		rc = parse_oneline(out, text, source, err);
	} else if (has_list_start(text)) {
		rc = parse_list(out, &it, source, err);
		if (!rc)
			out->format = rts_stats_get(out, "GHC RTS")         ? RTS_FMT_INFO
				      : rts_stats_get(out, "allocated_bytes") ? RTS_FMT_MACHINE
				      : rts_stats_get(out, "bytes allocated") ? RTS_FMT_OLD12
									      : RTS_FMT_UNKNOWN;
	} else if (strstr(text, "bytes allocated in the heap") || strstr(text, "(Gen:")) {
		out->format = RTS_FMT_SUMMARY;
		rc = parse_text(out, &it, err);
	} else {
		rc = lb_error_set(err, LB_EINVAL,
				  "%s: no RTS statistics found (expected the output of +RTS -t "
				  "--machine-readable, -t, -s or -S)",
				  source);
	}
	if (!rc && out->format == RTS_FMT_UNKNOWN)
		rc = lb_error_set(err, LB_EINVAL, "%s: an RTS list without allocation figures", source);
	if (rc)
		rts_stats_free(out);
	return rc;
}

int rts_stats_parse_file(struct rts_stats *out, const char *path, struct lb_error *err)
{
	memset(out, 0, sizeof(*out));
	size_t len;
	char *buf = file_read(path, 0, &len, err);
	if (!buf)
		return err->code;
	int rc = memchr(buf, '\0', len)
			 ? lb_error_set(err, LB_EINVAL, "%s: binary data where RTS statistics were expected", path)
			 : rts_stats_parse(out, buf, path, err);
	free(buf);
	return rc;
}

/* --- flags ----------------------------------------------------------------------------- */

void rts_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

int rts_build_args(const struct rts_measure *m, int info, char ***out, size_t *n,
		   struct lb_error *err)
{
	*out = NULL;
	*n = 0;
	size_t extra_words = 0;
	for (const char *p = m->extra; p && *p;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		extra_words++;
		while (*p && *p != ' ')
			p++;
	}
	size_t cap = 10 + extra_words, k = 0;
	char **argv = calloc(cap + 1, sizeof(*argv));
	if (!argv)
		return lb_error_oom(err);
#define PUSH(...)                                                                            \
	do {                                                                                 \
		if (asprintf(&argv[k], __VA_ARGS__) < 0) {                                   \
			argv[k] = NULL;                                                      \
			goto oom;                                                            \
		}                                                                            \
		k++;                                                                         \
	} while (0)
	PUSH("+RTS");
	if (m->stderr_only) {
		PUSH("-S"); /* all a -rtsopts=some RTS takes: per-GC lines and the summary */
	} else if (m->stats_path && m->per_gc) {
		PUSH("-S%s", m->stats_path);
	} else if (m->stats_path) {
		PUSH("-t%s", m->stats_path);
		PUSH("--machine-readable");
	}
	if (m->eventlog_path) {
		/* g: GC and heap events, u: user markers and messages; no scheduler events,
		 * which would make the file many times larger and are not memory figures. */
		PUSH("-l-agu");
		PUSH("-ol%s", m->eventlog_path);
	}
	if (m->heap_profile)
		PUSH("-hT");
	if (m->heap_profile && m->heap_interval_s > 0)
		PUSH("-i%g", m->heap_interval_s);
	for (const char *p = m->extra; p && *p;) {
		while (*p == ' ')
			p++;
		const char *s = p;
		while (*p && *p != ' ')
			p++;
		if (p > s)
			PUSH("%.*s", (int)(p - s), s);
	}
	if (info)
		PUSH("--info");
	PUSH("-RTS");
#undef PUSH
	*out = argv;
	*n = k;
	return 0;
oom:
	rts_argv_free(argv);
	return lb_error_oom(err);
}

char *rts_args_string(char *const *argv, size_t n)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(argv[i]) + 1;
	char *s = malloc(len), *p = s;
	if (!s)
		return NULL;
	*p = '\0';
	for (size_t i = 0; i < n; i++) {
		if (strcmp(argv[i], "+RTS") == 0 || strcmp(argv[i], "-RTS") == 0 ||
		    strcmp(argv[i], "--info") == 0)
			continue;
		p += sprintf(p, "%s%s", p == s ? "" : " ", argv[i]);
	}
	return s;
}

int rts_check_refusal(const char *text, const char *program, struct lb_error *err)
{
	if (!text)
		return 0;
	if (strstr(text, "RTS options are disabled"))
		return lb_error_set(
			err, strstr(text, "Most RTS options are disabled") ? LB_ERTSLIMITED : LB_ERTS,
			"%s refuses the RTS options leakbench measures with (it was linked with "
			"-rtsopts=some, GHC's default, or -rtsopts=none): relink it with -rtsopts "
			"(ghc -rtsopts, or `ghc-options: -rtsopts` in its .cabal file), or measure "
			"OS figures only with --no-rts",
			program);
	if (strstr(text, "requires the program to be built with -eventlog"))
		return lb_error_set(err, LB_ENOEVENTLOG,
				    "%s was linked without eventlog support (before GHC 9.4 `-l` needs "
				    "-eventlog at link time): relink it with -eventlog, or measure "
				    "without an eventlog with --no-eventlog",
				    program);
	if (strstr(text, "is not allowed by default"))
		return lb_error_set(err, LB_ERTS,
				    "%s refuses an RTS option unless linked with -rtsopts: relink it "
				    "with -rtsopts",
				    program);
	const char *bad = strstr(text, "unknown RTS option");
	if (!bad)
		bad = strstr(text, "bad RTS option");
	if (!bad)
		bad = strstr(text, "requires -prof");
	if (bad) {
		const char *eol = strchr(bad, '\n');
		return lb_error_set(err, LB_ERTS,
				    "%s's runtime rejected an RTS option: %.*s (check --rts)", program,
				    (int)(eol ? eol - bad : (long)strlen(bad)), bad);
	}
	return 0;
}
