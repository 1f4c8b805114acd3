/* err.h - a fixed-size error message that travels up to whoever can show it
 * to a person. No allocation, so it is usable on every failure path.
 *
 * The lowest layer that knows what went wrong calls sup_err_set(); each
 * layer above may add context in front with sup_err_prefix(), giving e.g.
 * "container 'web': start: pivot_root: Invalid argument". */
#pragma once

#include "macro.h"

struct sup_err {
	int code;       /* negative errno, or 0 when unset */
	char msg[1024]; /* one line, no trailing newline */
};

/* Set the message (printf-style). Returns -abs(code) so callers can write
 * `return sup_err_set(err, -EINVAL, "...")`. err may be NULL. */
int sup_err_set(struct sup_err *err, int code, const char *fmt, ...) _printf_(3, 4);

/* Put "<context>: " in front of the current message. Returns err->code. */
int sup_err_prefix(struct sup_err *err, const char *fmt, ...) _printf_(2, 3);

static inline void sup_err_clear(struct sup_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = 0;
	}
}
