/* log.c - see log.h. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int log_max_level = LOG_LVL_INFO;
static bool log_prefix_priority;

void log_init(void)
{
	log_prefix_priority = getenv("JOURNAL_STREAM") != NULL;
	const char *lvl = getenv("SUP_LOG_LEVEL");
	if (lvl && !strcmp(lvl, "debug"))
		log_max_level = LOG_LVL_DEBUG;
}

void log_msg(int level, const char *fmt, ...)
{
	if (level > log_max_level)
		return;
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line so concurrent writers never interleave a line. */
	if (log_prefix_priority)
		fprintf(stderr, "<%d>%s\n", level, line);
	else
		fprintf(stderr, "supd: %s\n", line);
}
