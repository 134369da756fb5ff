/*
 * text.c - placeholder replacement (count, allocate once, copy), figures for people, and
 * splitting words in place.
 */
#include "base/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *text_replace(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	for (const char *p = s; (p = strstr(p, from)); p += fl)
		n++;
	char *out = malloc(strlen(s) + n * tl + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = s; *p;) {
		if (!strncmp(p, from, fl)) {
			memcpy(o, to, tl);
			o += tl;
			p += fl;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

int text_exit_codes(const char *list, unsigned char ok[256])
{
	memset(ok, 0, 256);
	const char *p = list;
	do {
		while (*p == ' ')
			p++;
		if (*p < '0' || *p > '9')
			return -1;
		long v = 0;
		while (*p >= '0' && *p <= '9' && v <= 255)
			v = v * 10 + (*p++ - '0');
		if (v > 255)
			return -1;
		ok[v] = 1;
		while (*p == ' ')
			p++;
	} while (*p++ == ',');
	return p[-1] == '\0' ? 0 : -1;
}

char *text_shell_quote(const char *s)
{
	size_t n = 3;
	for (const char *p = s; *p; p++)
		n += *p == '\'' ? 4 : 1;
	char *out = malloc(n), *o = out;
	if (!out)
		return NULL;
	*o++ = '\'';
	for (const char *p = s; *p; p++)
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *p;
		}
	*o++ = '\'';
	*o = '\0';
	return out;
}

char *text_visible(const char *s)
{
	char *out = malloc(4 * strlen(s) + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) /* a C1 control, such as CSI */
			o += sprintf(o, "\\x%02x", *++p);
		else if (*p < 0x20 || *p == 0x7f)
			o += sprintf(o, "\\x%02x", *p);
		else
			*o++ = (char)*p;
	}
	*o = '\0';
	return out;
}

const char *text_bytes(double b, char *buf, size_t size)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	if (isnan(b)) {
		snprintf(buf, size, "-");
		return buf;
	}
	int u = 0;
	double v = b;
	while (fabs(v) >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%.0f %s", v, units[u]);
	else
		snprintf(buf, size, "%.*f %s", fabs(v) < 10 ? 2 : fabs(v) < 100 ? 1 : 0, v, units[u]);
	return buf;
}

enum text_kind text_metric_kind(const char *metric, const char **per)
{
	*per = NULL;
	if (!metric)
		return TEXT_PLAIN;
	if (!strncmp(metric, "exponent:", 9))
		return TEXT_POWER; /* a power of the size */
	if (!strncmp(metric, "peak:", 5))
		return TEXT_RATIO; /* of the checkpoint before */
	if (!strncmp(metric, "slope:", 6) && strrchr(metric, ':') > metric + 5) {
		*per = strrchr(metric, ':') + 1; /* slope:METRIC:UNIT, over time */
		return TEXT_BYTES;
	}
	if (strstr(metric, "slope")) {
		*per = "step";
		return TEXT_BYTES;
	}
	return strstr(metric, "bytes") ? TEXT_BYTES : strstr(metric, "seconds") ? TEXT_SECONDS : TEXT_PLAIN;
}

const char *text_metric(const char *metric, double v, char *buf, size_t size)
{
	const char *per;
	enum text_kind k = text_metric_kind(metric, &per);
	char b[32];
	if (isnan(v))
		snprintf(buf, size, "-");
	else if (k == TEXT_BYTES && per)
		snprintf(buf, size, "%s%s/%s", v < 0 ? "-" : "", text_bytes(fabs(v), b, sizeof(b)), per);
	else if (k == TEXT_BYTES)
		text_bytes(v, buf, size);
	else if (k == TEXT_SECONDS)
		snprintf(buf, size, "%.3f s", v);
	else if (k == TEXT_RATIO)
		snprintf(buf, size, "%.2fx", v);
	else
		snprintf(buf, size, k == TEXT_POWER ? "%.3g" : "%.4g", v);
	return buf;
}

const char *text_metric_change(const char *metric, double v, char *buf, size_t size)
{
	char b[32];
	snprintf(buf, size, "%s%s", v < 0 ? "-" : "+", text_metric(metric, fabs(v), b, sizeof(b)));
	return buf;
}

char *text_word(char **cursor, const char *seps)
{
	char *p = *cursor;
	if (!p)
		return NULL;
	p += strspn(p, seps);
	if (!*p) {
		*cursor = p;
		return NULL;
	}
	char *end = p + strcspn(p, seps);
	if (*end)
		*end++ = '\0';
	*cursor = end;
	return p;
}

char **text_split_words(char *text)
{
	/* at most one word per two characters, plus the NULL */
	char **w = calloc(strlen(text) / 2 + 2, sizeof(char *));
	size_t n = 0;
	for (char *cur = text, *word; w && (word = text_word(&cur, " \t"));)
		w[n++] = word;
	return w;
}

size_t text_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 255 || lb > 255)
		return (size_t)-1;
	size_t row[256];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = diag + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}
