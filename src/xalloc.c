/* xalloc.c - allocation that aborts on failure (see macro.h). */
#include <stdio.h>
#include <string.h>

#include "macro.h"

static void *oom_abort(size_t n)
{
	fprintf(stderr, "supd: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	return p ? p : oom_abort(n);
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	return p ? p : oom_abort(n * m);
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	return q ? q : oom_abort(n);
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	return p ? p : oom_abort(strlen(s) + 1);
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	return p ? p : oom_abort(n + 1);
}
