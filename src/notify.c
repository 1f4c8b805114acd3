/* notify.c - see notify.h. */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "macro.h"
#include "notify.h"

int notify_send(const char *state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *addr = getenv("NOTIFY_SOCKET");
	socklen_t sa_len;
	size_t n;

	assert(state);
	if (!addr || !*addr)
		return 0;
	if (addr[0] != '/' && addr[0] != '@')
		return -EAFNOSUPPORT;
	n = strlen(addr);
	if (addr[0] == '@') {
		/* Abstract: the name is exactly the n bytes after the leading
		 * NUL, so no terminator counts in the length (a trailing NUL
		 * would name a different socket). */
		if (n > sizeof(sa.sun_path))
			return -ENAMETOOLONG;
		memcpy(sa.sun_path, addr, n);
		sa.sun_path[0] = 0;
		sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		if (n >= sizeof(sa.sun_path))
			return -ENAMETOOLONG;
		memcpy(sa.sun_path, addr, n + 1);
		sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}

	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A datagram goes whole or not at all, so a short send cannot happen.
	 * The kernel attaches our credentials for the receiver (systemd sets
	 * SO_PASSCRED), which is how it knows the message comes from supd. */
	ssize_t k;
	do
		k = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, sa_len);
	while (k < 0 && errno == EINTR);
	return k < 0 ? -errno : 0;
}
