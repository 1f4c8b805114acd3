/* init_binary.c - see init_binary.h.
 *
 * Why a memfd: a container runs sup-init as root inside and could open it
 * through /proc/1/exe; with the host's file behind that, a process of one
 * container that got hold of such a descriptor could rewrite the init every
 * other container starts (the runc /proc/self/exe escape, CVE-2019-5736).
 * A sealed copy cannot be written by anyone, and costs one page-cache copy
 * for all containers. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init_binary.h"
#include "macro.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: executable even under vm.memfd_noexec = 1 */
#endif
#ifndef SUP_INIT_RELPATH
#define SUP_INIT_RELPATH "../libexec/sup/sup-init"
#endif

const char *init_binary_default_path(char *buf, size_t size)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return NULL;
	exe[n] = 0;
	const char *dir = dirname(exe);
	snprintf(buf, size, "%s/sup-init", dir);
	if (access(buf, X_OK) == 0)
		return buf;
	snprintf(buf, size, "%s/%s", dir, SUP_INIT_RELPATH);
	return buf;
}

/* A sealed, executable memfd with the contents of fd (size bytes). */
static int copy_to_memfd(int fd, off_t size)
{
	int m = memfd_create("sup-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (m < 0 && errno == EINVAL)
		m = memfd_create("sup-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (m < 0)
		return -errno;
	off_t off = 0;
	while (off < size) {
		ssize_t k = sendfile(m, fd, &off, (size_t)(size - off));
		if (k <= 0) {
			int r = k < 0 ? -errno : -EIO; /* k == 0: the file shrank under us */
			close(m);
			return r;
		}
	}
	if (fchmod(m, 0555) < 0 ||
	    fcntl(m, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		int r = -errno;
		close(m);
		return r;
	}
	return m;
}

int init_binary_open(const char *path, struct sup_err *err)
{
	char buf[4096];
	struct stat st;
	int r;

	if (!path && !(path = init_binary_default_path(buf, sizeof(buf))))
		return sup_err_set(err, -errno, "sup-init: reading /proc/self/exe: %s (set init_path in [supd])",
				   strerror(errno));
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sup_err_set(err, -errno, "sup-init '%s': %s (set init_path in [supd])", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		return sup_err_set(err, -errno, "sup-init '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		return sup_err_set(err, -EACCES, "sup-init '%s': not an executable file", path);
	r = copy_to_memfd(fd, st.st_size);
	/* Without memfds (or sealing) the file itself still works. */
	return r >= 0 ? r : TAKE_FD(fd);
}
