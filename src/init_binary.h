/* init_binary.h - finding and holding sup-init, the static init that runs
 * as PID 1 of containers with `init = yes` (src/init/sup-init.c).
 *
 * supd opens it once and keeps a descriptor that every such child executes
 * with execveat(fd, "", ..., AT_EMPTY_PATH) after pivot_root, so the rootfs
 * needs no copy of it (and may be read-only). Kernel layer: returns -errno
 * with err filled, never logs. */
#pragma once

#include "err.h"

/* The path sup-init is looked for at when init_path is not configured:
 * beside the supd binary (a build tree), else where `cmake --install` puts
 * it relative to supd (SUP_INIT_RELPATH). Writes into buf, returns it, or
 * NULL when /proc/self/exe cannot be read. */
const char *init_binary_default_path(char *buf, size_t size);

/* Open sup-init at path (NULL: the default path) and return a close-on-exec
 * descriptor that execveat() accepts: a sealed memfd holding a copy, so no
 * container can write to the binary the others run (the file's descriptor
 * itself when memfds are unavailable). fd or -errno with err set. */
int init_binary_open(const char *path, struct sup_err *err);
