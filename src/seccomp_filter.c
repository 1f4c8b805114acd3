/* seccomp_filter.c - see seccomp_filter.h.
 *
 * libseccomp 2.5 (Debian 12) can only export a filter to a file descriptor
 * (seccomp_export_bpf), so the program goes through a memfd once at
 * start-up and is kept in memory as struct sock_filter; the child installs
 * it with the seccomp() system call and needs no libseccomp at all (it must
 * not allocate between clone3 and execve). */
#include <errno.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fd.h"
#include "macro.h"
#include "seccomp_filter.h"

#define PROGRAM_MAX_BYTES (1u << 20) /* far above the kernel's 4096 instructions */

/* What Docker's default profile refuses without the matching capability,
 * grouped by what it protects. A name this libseccomp does not know, or
 * that no enabled ABI has, is skipped. */
const char *const seccomp_denied_syscalls[] = {
	/* kernel code and the running kernel */
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"create_module", "get_kernel_syms", "query_module", "reboot", "bpf", "perf_event_open",
	"lookup_dcookie", "iopl", "ioperm", "swapon", "swapoff", "syslog", "_sysctl", "sysfs",
	"uselib", "ustat", "nfsservctl", "vm86", "vm86old", "pciconfig_read", "pciconfig_write",
	"pciconfig_iobase",
	/* the mount tree: supd built it before the filter went in */
	"mount", "umount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsconfig",
	"fsmount", "fspick", "mount_setattr",
	/* namespaces: no new ones (a user namespace would give a root with
	 * every capability inside it), no joining others */
	"unshare", "setns",
	/* the kernel keyring is not namespaced */
	"keyctl", "add_key", "request_key",
	/* other processes' memory and files */
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
	"open_by_handle_at", "name_to_handle_at",
	/* clocks and accounting, host-wide */
	"settimeofday", "stime", "clock_settime", "clock_adjtime", "acct", "quotactl", "quotactl_fd",
	/* memory policy of the host's NUMA nodes; a page-fault handler in user space */
	"mbind", "set_mempolicy", "move_pages", "get_mempolicy", "userfaultfd",
	/* io_uring runs requests outside this filter's view */
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	"vhangup", "fanotify_init",
	NULL,
};

/* clone flags that create namespaces; a clone() with any of them fails. */
static const unsigned long clone_namespace_flags[] = {
	CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
};

/* personality() values Docker lets through: PER_LINUX, PER_LINUX32,
 * UNAME26, UNAME26|PER_LINUX32, and 0xffffffff (a query). The flags that
 * weaken exploit mitigations (READ_IMPLIES_EXEC, MMAP_PAGE_ZERO,
 * ADDR_NO_RANDOMIZE...) are refused. */
static const uint32_t personality_allowed[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };

/* libseccomp takes one comparison per argument and rule, so "arg0 is none
 * of these" cannot be one rule. Instead: walk the allowed values as a
 * binary trie, most significant bit first, and deny each branch that holds
 * none of them with one masked comparison (for five values, about sixty
 * rules, looked at only on this system call). */
static int deny_all_but(scmp_filter_ctx ctx, int nr, int bit, uint32_t mask, uint32_t value,
			const uint32_t *allowed, size_t n)
{
	size_t matching = 0;
	for (size_t i = 0; i < n; i++)
		matching += (allowed[i] & mask) == value;
	if (matching == 0)
		return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, mask, value));
	if (bit < 0)
		return 0; /* an allowed value */
	uint32_t b = (uint32_t)1 << bit;
	int r = deny_all_but(ctx, nr, bit - 1, mask | b, value | b, allowed, n);
	return r < 0 ? r : deny_all_but(ctx, nr, bit - 1, mask | b, value, allowed, n);
}

static int add_rules(scmp_filter_ctx ctx, const char **ret_name)
{
	const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
	int r;

	for (const char *const *name = seccomp_denied_syscalls; *name; name++) {
		int nr = seccomp_syscall_resolve_name(*name);
		if (nr == __NR_SCMP_ERROR)
			continue;
		*ret_name = *name;
		if ((r = seccomp_rule_add(ctx, deny, nr, 0)) < 0)
			return r;
	}
	*ret_name = "clone";
	for (size_t i = 0; i < ELEMENTSOF(clone_namespace_flags); i++) {
		unsigned long f = clone_namespace_flags[i];
		if ((r = seccomp_rule_add(ctx, deny, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, f, f))) < 0)
			return r;
	}
	*ret_name = "clone3";
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) < 0)
		return r;
	*ret_name = "personality";
	/* Above 32 bits (64-bit ABIs only) nothing is allowed. */
	if ((r = seccomp_rule_add(ctx, deny, SCMP_SYS(personality), 1, SCMP_A0(SCMP_CMP_GT, 0xffffffffULL))) < 0)
		return r;
	return deny_all_but(ctx, SCMP_SYS(personality), 31, 0, 0, personality_allowed,
			    ELEMENTSOF(personality_allowed));
}

static void seccomp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

int seccomp_program_build(struct seccomp_program **ret, struct sup_err *err)
{
	_cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	const char *name = "";
	size_t len = 0;
	int r;

	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return sup_err_set(err, -ENOMEM, "seccomp_init failed");
	/* A binary search over system call numbers instead of a linear list:
	 * most calls are allowed and should get there in a few steps. */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
		return sup_err_set(err, r, "seccomp optimize: %s", strerror(-r));
	/* Other ABIs (i386's int 0x80, x32) would be a way around a filter
	 * written for the native one; their calls fail with ENOSYS instead.
	 * Filtering them too would triple the program, and the kernel's cost
	 * of attaching it at every start grows with its size (see
	 * bench/seccomp-install.c). */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS))) < 0)
		return sup_err_set(err, r, "seccomp bad-arch action: %s", strerror(-r));
	if ((r = add_rules(ctx, &name)) < 0)
		return sup_err_set(err, r, "rule for %s: %s", name, strerror(-r));

	fd = memfd_create("sup-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return sup_err_set(err, -errno, "memfd_create: %s", strerror(errno));
	if ((r = seccomp_export_bpf(ctx, fd)) < 0)
		return sup_err_set(err, r, "seccomp_export_bpf: %s", strerror(-r));
	if (lseek(fd, 0, SEEK_SET) < 0)
		return sup_err_set(err, -errno, "lseek: %s", strerror(errno));
	if ((r = fd_read_all(fd, PROGRAM_MAX_BYTES, &buf, &len)) < 0)
		return sup_err_set(err, r, "reading the exported filter: %s", strerror(-r));
	if (len == 0 || len % sizeof(struct sock_filter) != 0 || len / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return sup_err_set(err, -EINVAL, "exported filter has an odd size (%zu bytes)", len);

	struct seccomp_program *p = xmalloc(sizeof(*p));
	p->len = (unsigned short)(len / sizeof(struct sock_filter));
	p->filter = xmalloc(len);
	memcpy(p->filter, buf, len);
	*ret = p;
	return 0;
}

struct seccomp_program *seccomp_program_free(struct seccomp_program *p)
{
	if (p) {
		free(p->filter);
		free(p);
	}
	return NULL;
}
