/* lockdown.h - the child's last restrictions before execve: resource
 * limits, the capability sets, no_new_privs and the seccomp filter. Called
 * only from the child (no allocation, no logging); each returns 0 or
 * -errno. The order is child_main()'s business; see the comment there. */
#pragma once

#include <stdbool.h>

#include "caps.h"
#include "config.h"
#include "seccomp_filter.h"

/* setrlimit() for every rlimit_* key that is set. Before dropping
 * capabilities: raising a hard limit needs CAP_SYS_RESOURCE. */
int lockdown_rlimits(const struct container_config *cfg);

/* PR_SET_NO_NEW_PRIVS: execve() can no longer grant privileges (setuid
 * bits, file capabilities). */
int lockdown_no_new_privs(void);

/* Install prog with seccomp(SECCOMP_SET_MODE_FILTER). Needs no_new_privs or
 * CAP_SYS_ADMIN in the effective set. */
int lockdown_seccomp(const struct seccomp_program *prog);

/* Drop every capability not in keep from the bounding set (needs
 * CAP_SETPCAP, so before lockdown_set_caps) and clear the ambient set. */
int lockdown_bounding(cap_mask_t keep);

/* Set effective = permitted = set and inheritable = ambient = set when
 * as_ambient (a non-root user keeping capabilities across execve), else
 * inheritable and ambient empty. After the switch to the container's user. */
int lockdown_set_caps(cap_mask_t set, bool as_ambient);
