/* rootfs.h - the container's mount tree, built inside the child's new mount
 * namespace: private propagation, the rootfs bind-mounted onto itself,
 * fresh /proc, a minimal /dev (never the host's), read-only /sys, the host's
 * resolv.conf/hosts for network=host, then pivot_root with the old root
 * detached. Called only from the child (no allocation, no logging). */
#pragma once

#include "child.h"
#include "config.h"

/* 0 or -errno; *ret_step names the step that failed. Leaves the cwd at "/"
 * of the new root. */
int rootfs_setup(const struct container_config *cfg, enum child_step *ret_step);
