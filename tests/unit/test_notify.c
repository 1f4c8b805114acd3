/* test_notify.c - notify_send() against datagram sockets of our own: a path
 * in a temp dir and a name in the abstract namespace receive exactly the
 * bytes sent; unset, bad and dead addresses give the documented results. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

struct fixture {
	char dir[64];   /* temp dir holding the path socket */
	char path[128]; /* dir/notify */
	int fd;         /* our receiving socket, -1 when none */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/sup-test-notify.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/notify", f->dir);
	f->fd = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (f->fd >= 0)
		close(f->fd);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	unsetenv("NOTIFY_SOCKET");
	return 0;
}

/* Bind a datagram socket to addr, in NOTIFY_SOCKET's notation ('@' for the
 * abstract namespace). Returns the fd. */
static int bind_dgram(const char *addr)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(addr);
	socklen_t len;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_true(n < sizeof(sa.sun_path));
	memcpy(sa.sun_path, addr, n);
	if (addr[0] == '@') {
		sa.sun_path[0] = 0;
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	if (bind(fd, (struct sockaddr *)&sa, len) < 0) {
		print_message("bind %s: %s\n", addr, strerror(errno));
		fail();
	}
	return fd;
}

/* The next datagram on fd is exactly expected (no NUL, nothing more). The
 * send is synchronous for AF_UNIX, so it is queued already. */
static void assert_received(int fd, const char *expected)
{
	char buf[512];
	ssize_t k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (k < 0)
		print_message("recv: %s\n", strerror(errno));
	assert_true(k >= 0);
	if ((size_t)k != strlen(expected) || memcmp(buf, expected, (size_t)k) != 0)
		print_message("received %zd bytes '%.*s', expected %zu bytes '%s'\n", k, (int)k, buf,
			      strlen(expected), expected);
	assert_int_equal(k, strlen(expected));
	assert_memory_equal(buf, expected, (size_t)k);
}

static void assert_nothing_received(int fd)
{
	char buf[16];
	ssize_t k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (k >= 0)
		print_message("unexpected datagram of %zd bytes\n", k);
	assert_int_equal(k, -1);
	assert_int_equal(errno, EAGAIN);
}

static void test_path(void **state)
{
	struct fixture *f = *state;
	f->fd = bind_dgram(f->path);
	assert_int_equal(setenv("NOTIFY_SOCKET", f->path, 1), 0);

	assert_int_equal(notify_send("READY=1\nSTATUS=running 3 containers"), 0);
	assert_received(f->fd, "READY=1\nSTATUS=running 3 containers");
	assert_int_equal(notify_send("STOPPING=1"), 0);
	assert_received(f->fd, "STOPPING=1");
	/* NOTIFY_SOCKET stays set: a second message needs no new setup. */
	assert_string_equal(getenv("NOTIFY_SOCKET"), f->path);
	assert_nothing_received(f->fd);
}

static void test_abstract(void **state)
{
	struct fixture *f = *state;
	char addr[64];
	snprintf(addr, sizeof(addr), "@sup-test-notify-%d", (int)getpid());
	f->fd = bind_dgram(addr);
	assert_int_equal(setenv("NOTIFY_SOCKET", addr, 1), 0);

	assert_int_equal(notify_send("READY=1\nSTATUS=up"), 0);
	assert_received(f->fd, "READY=1\nSTATUS=up");
	assert_nothing_received(f->fd);

	/* The name has no trailing NUL: one with a different length (a
	 * prefix of ours) is another socket, where nobody listens. */
	addr[strlen(addr) - 1] = 0;
	assert_int_equal(setenv("NOTIFY_SOCKET", addr, 1), 0);
	assert_int_equal(notify_send("READY=1"), -ECONNREFUSED);
	assert_nothing_received(f->fd);
}

static void test_unset(void **state)
{
	(void)state;
	assert_int_equal(unsetenv("NOTIFY_SOCKET"), 0);
	assert_int_equal(notify_send("READY=1"), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", "", 1), 0);
	assert_int_equal(notify_send("READY=1"), 0);
}

static void test_nobody_there(void **state)
{
	struct fixture *f = *state;
	int r;

	/* No such file. */
	assert_int_equal(setenv("NOTIFY_SOCKET", f->path, 1), 0);
	r = notify_send("READY=1");
	if (r != -ENOENT && r != -ECONNREFUSED)
		print_message("path to nothing: r=%d (%s)\n", r, strerror(-r));
	assert_true(r == -ENOENT || r == -ECONNREFUSED);

	/* A socket file whose socket is closed. */
	close(bind_dgram(f->path));
	r = notify_send("READY=1");
	if (r != -ENOENT && r != -ECONNREFUSED)
		print_message("closed socket: r=%d (%s)\n", r, strerror(-r));
	assert_true(r == -ENOENT || r == -ECONNREFUSED);
}

static void test_bad_address(void **state)
{
	(void)state;
	char longpath[200];

	assert_int_equal(setenv("NOTIFY_SOCKET", "relative/notify", 1), 0);
	assert_int_equal(notify_send("READY=1"), -EAFNOSUPPORT);
	assert_int_equal(setenv("NOTIFY_SOCKET", "vsock:2:1234", 1), 0);
	assert_int_equal(notify_send("READY=1"), -EAFNOSUPPORT);

	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = 0;
	assert_int_equal(setenv("NOTIFY_SOCKET", longpath, 1), 0);
	assert_int_equal(notify_send("READY=1"), -ENAMETOOLONG);
	longpath[0] = '@';
	assert_int_equal(setenv("NOTIFY_SOCKET", longpath, 1), 0);
	assert_int_equal(notify_send("READY=1"), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abstract, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nobody_there, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_address, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
