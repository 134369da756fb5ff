/*
 * error.c - filling struct lb_error.  Messages are truncated, never overflowed.
 */
#include "base/error.h"

#include <stdio.h>
#include <string.h>

int lb_error_set(struct lb_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return code;
}

int lb_error_prefix(struct lb_error *err, const char *fmt, ...)
{
	if (!err)
		return LB_EINVAL;
	char head[512], old[sizeof(err->msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	size_t hl = strlen(head), ol = strlen(old);
	if (hl + ol >= sizeof(err->msg))
		ol = sizeof(err->msg) - 1 - hl; /* head < 512, so this stays positive */
	memcpy(err->msg, head, hl);
	memcpy(err->msg + hl, old, ol);
	err->msg[hl + ol] = '\0';
	return err->code;
}

int lb_error_oom(struct lb_error *err)
{
	return lb_error_set(err, LB_ENOMEM, "out of memory");
}
