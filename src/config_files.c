/* config_files.c - reading config files: the main one and those its
 * `include` globs match (each file parsed once, however often matched). */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-internal.h"
#include "fd.h"
#include "macro.h"

#define CONFIG_FILE_MAX (16u << 20) /* bytes; a config larger than this is a mistake */

int config_read_fd(int fd, char **ret, size_t *ret_len)
{
	return fd_read_all(fd, CONFIG_FILE_MAX, ret, ret_len);
}

/* Open a config file. O_NONBLOCK because a FIFO matched by an include glob
 * would otherwise block supd forever in open(); anything but a regular file
 * is refused (-EISDIR for a directory, -EINVAL for the rest). fd or -errno. */
int config_open_file(const char *path, struct stat *ret_st)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, ret_st) < 0)
		return -errno;
	if (S_ISDIR(ret_st->st_mode))
		return -EISDIR;
	if (!S_ISREG(ret_st->st_mode))
		return -EINVAL;
	return TAKE_FD(fd);
}

const char *config_open_error(int r)
{
	return r == -EINVAL ? "not a regular file" : strerror(-r);
}

/* Open and read path. *ret_seen is true when the file was parsed already
 * (the same file matched twice, or the main file matched by an include). */
static int read_config_file(struct parser *p, const char *path, char **ret, size_t *ret_len, bool *ret_seen)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	fd = config_open_file(path, &st);
	if (fd < 0)
		return fd;
	for (size_t i = 0; i < p->n_files; i++)
		if (p->files[i].dev == st.st_dev && p->files[i].ino == st.st_ino) {
			*ret_seen = true;
			return 0;
		}
	p->files = xrealloc(p->files, (p->n_files + 1) * sizeof(*p->files));
	p->files[p->n_files++] = (struct file_id){ st.st_dev, st.st_ino };
	*ret_seen = false;
	return config_read_fd(fd, ret, ret_len);
}

/* Directory part of path, with glob's special characters escaped so that a
 * directory named "a[1]" is not read as a pattern. */
char *config_glob_escaped_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (slash == path ? 1 : (size_t)(slash - path)) : 0;
	char *out, *o;

	if (n == 0)
		return xstrdup(".");
	out = o = xmalloc(2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		if (strchr("*?[]\\", path[i]))
			*o++ = '\\';
		*o++ = path[i];
	}
	*o = 0;
	return out;
}

char *config_path_join(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	bool slash = na > 0 && a[na - 1] != '/';
	char *s = xmalloc(na + slash + nb + 1);
	memcpy(s, a, na);
	if (slash)
		s[na] = '/';
	memcpy(s + na + slash, b, nb + 1);
	return s;
}

static int glob_on_error(const char *path, int error)
{
	(void)path;
	/* A directory that does not exist just matches nothing. */
	return error != ENOENT && error != ENOTDIR;
}

static void globfreep(glob_t *g)
{
	globfree(g);
}

int config_load_include(struct parser *p, const struct include_pattern *inc, const char *dir)
{
	_cleanup_(globfreep) glob_t g = { 0 };
	_cleanup_free_ char *pattern = NULL;
	int r;

	pattern = inc->pattern[0] == '/' ? xstrdup(inc->pattern) : config_path_join(dir, inc->pattern);
	r = glob(pattern, 0, glob_on_error, &g);
	if (r == GLOB_NOMATCH)
		return 0;
	if (r == GLOB_NOSPACE)
		return supd_error(p, inc->line, "include", "'%s': out of memory", pattern);
	if (r != 0)
		return supd_error(p, inc->line, "include", "cannot read a directory of '%s'", pattern);

	for (size_t i = 0; i < g.gl_pathc; i++) {
		_cleanup_free_ char *text = NULL;
		const char *path = g.gl_pathv[i];
		size_t len = 0;
		bool seen = false;

		r = read_config_file(p, path, &text, &len, &seen);
		if (r < 0)
			return supd_error(p, inc->line, "include", "cannot read '%s': %s", path, config_open_error(r));
		if (seen)
			continue;
		r = config_parse_text(p, path, false, text, len);
		if (r < 0)
			return r;
	}
	return 0;
}
