/*
 * hostenv.c - reads the machine's description from uname, /proc/cpuinfo and sysconf.
 */
#include "runners/hostenv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/digest.h"

static char *cpu_model(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];
	char *model = NULL;
	while (f && !model && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10) != 0)
			continue;
		char *v = strchr(line, ':');
		if (!v)
			continue;
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
		v[strcspn(v, "\n")] = '\0';
		model = strdup(v);
	}
	if (f)
		fclose(f);
	return model ? model : strdup("unknown");
}

int hostenv_capture(struct lb_environment *env, const struct rts_stats *info,
		    const char *leakbench_version, struct lb_error *err)
{
	struct utsname u;
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	env->host = strdup(u.nodename);
	env->kernel = strdup(u.release);
	env->cpu_model = cpu_model();
	env->cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
	env->mem_bytes = (int64_t)sysconf(_SC_PHYS_PAGES) * (int64_t)sysconf(_SC_PAGESIZE);
	env->leakbench_version = strdup(leakbench_version);
	const char *ghc = info ? rts_stats_get(info, "GHC version") : NULL;
	const char *way = info ? rts_stats_get(info, "RTS way") : NULL;
	env->ghc_version = ghc ? strdup(ghc) : NULL;
	env->rts_way = way ? strdup(way) : NULL;
	if (!env->host || !env->kernel || !env->cpu_model || !env->leakbench_version ||
	    (ghc && !env->ghc_version) || (way && !env->rts_way)) {
		record_env_free(env);
		return lb_error_oom(err);
	}
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "host=%s\ncpu=%s\ncores=%d\nmem=%lld\nghc=%s\nway=%s\n",
			 env->host, env->cpu_model, env->cores, (long long)env->mem_bytes,
			 ghc ? ghc : "-", way ? way : "-");
	char hex[LB_DIGEST_HEX + 1];
	if (digest_buffer(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1, hex, err)) {
		record_env_free(env);
		return err->code;
	}
	memcpy(env->fingerprint, hex, 16);
	env->fingerprint[16] = '\0';
	return 0;
}
