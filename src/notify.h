/* notify.h - systemd's service notification protocol (sd_notify(3)), without
 * libsystemd.
 *
 * Owns nothing: each call opens a datagram socket, sends one message to the
 * socket named by $NOTIFY_SOCKET and closes it again. It does not unset
 * $NOTIFY_SOCKET (the containers never inherit supd's environment), does not
 * pass file descriptors, and does not log: the caller decides whether a
 * failure matters (under Type=notify a lost READY=1 makes systemd time the
 * start out, so the caller should at least log it). Common layer: no libuv,
 * no SQLite. */
#pragma once

/* Send state, newline-separated VAR=VALUE assignments such as
 * "READY=1\nSTATUS=running 3 containers" or "STOPPING=1", as one datagram
 * to the AF_UNIX socket named by $NOTIFY_SOCKET: an absolute path, or a
 * name in the abstract namespace when it starts with '@' (the '@' stands
 * for the leading NUL byte). state is sent as it is, without its
 * terminating NUL; it must not be NULL.
 *
 * Returns 0 when the datagram was sent, and 0 as well when $NOTIFY_SOCKET
 * is unset or empty: supd is not running under a service manager that
 * wants notifications, so there is nothing to do. Otherwise -errno:
 * -EAFNOSUPPORT for an address that is neither a path nor '@' (such as
 * systemd's "vsock:" form), -ENAMETOOLONG when it does not fit sun_path,
 * -ENOENT / -ECONNREFUSED when nothing listens there, or the error of
 * socket() or sendto().
 *
 * Like sd_notify(3) the send is blocking: it can wait only while the
 * receiver's queue is full. Allocates nothing beyond the stack; safe to
 * call at any time, also before the event loop exists. */
int notify_send(const char *state);
