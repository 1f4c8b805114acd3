/* err.c - struct sup_err formatting (see err.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

int sup_err_set(struct sup_err *err, int code, const char *fmt, ...)
{
	if (code > 0)
		code = -code;
	if (!err)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->code = code;
	return code;
}

int sup_err_prefix(struct sup_err *err, const char *fmt, ...)
{
	if (!err)
		return -EINVAL;
	char ctx[256], old[sizeof(err->msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Truncation keeps the context and the start of the cause: fine. */
	int n = snprintf(err->msg, sizeof(err->msg), "%s: ", ctx);
	if (n > 0 && (size_t)n < sizeof(err->msg))
		memcpy(err->msg + n, old, strnlen(old, sizeof(err->msg) - (size_t)n - 1) + 1);
	err->msg[sizeof(err->msg) - 1] = 0;
	return err->code;
}
