/* tmpdir.h - a fresh directory under $TMPDIR for one unit test program,
 * removed with everything in it at the end (shared by the store tests). */
#pragma once

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tmpdir[PATH_MAX];

/* Create tmpdir as $TMPDIR/prefix.XXXXXX. 0 or -1 (cmocka setup style). */
static inline int tmpdir_make(const char *prefix)
{
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/%s.XXXXXX", base && *base ? base : "/tmp", prefix);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static inline int tmpdir_rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static inline int tmpdir_remove(void)
{
	return nftw(tmpdir, tmpdir_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A path inside tmpdir; valid until the next call. */
static inline const char *tmp_path(const char *name)
{
	static char buf[PATH_MAX + 64];
	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
	return buf;
}
