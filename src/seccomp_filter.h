/* seccomp_filter.h - the default seccomp filter of `seccomp = default`,
 * compiled to a classic BPF program once per supd, never per start.
 *
 * It is a deny list modelled on what Docker's default profile refuses:
 * every listed system call fails with EPERM (clone3 with ENOSYS, so libc
 * falls back to clone, whose flags the filter can see), everything else is
 * allowed. The only file that includes libseccomp's header. */
#pragma once

#include <linux/filter.h>

#include "err.h"

struct seccomp_program {
	struct sock_filter *filter; /* len instructions, owned */
	unsigned short len;
};

/* Build the default filter for this machine's native ABI; a system call
 * of another ABI (i386 or x32 on x86_64) fails with ENOSYS, so 32-bit
 * programs do not run under it. On success *ret owns a new program (free
 * with seccomp_program_free). */
int seccomp_program_build(struct seccomp_program **ret, struct sup_err *err);

struct seccomp_program *seccomp_program_free(struct seccomp_program *p);

/* Names of the system calls the filter refuses unconditionally, a
 * NULL-terminated list (for documentation and tests). */
extern const char *const seccomp_denied_syscalls[];
