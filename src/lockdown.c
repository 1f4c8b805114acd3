/* lockdown.c - see lockdown.h. Raw system calls (capset, prctl, seccomp):
 * nothing here may allocate, and none of it needs a library. */
#include <errno.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lockdown.h"
#include "parse.h"

static rlim_t to_rlim(uint64_t v)
{
	return v == RLIMIT_VALUE_UNLIMITED ? RLIM_INFINITY : (rlim_t)v;
}

static int set_rlimit(int resource, const struct config_rlimit *rl)
{
	if (!rl->set)
		return 0;
	struct rlimit lim = { .rlim_cur = to_rlim(rl->soft), .rlim_max = to_rlim(rl->hard) };
	return setrlimit(resource, &lim) < 0 ? -errno : 0;
}

int lockdown_rlimits(const struct container_config *cfg)
{
	int r;
	if ((r = set_rlimit(RLIMIT_NOFILE, &cfg->rlimit_nofile)) < 0 ||
	    (r = set_rlimit(RLIMIT_NPROC, &cfg->rlimit_nproc)) < 0 ||
	    (r = set_rlimit(RLIMIT_CORE, &cfg->rlimit_core)) < 0)
		return r;
	return 0;
}

int lockdown_no_new_privs(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0;
}

int lockdown_seccomp(const struct seccomp_program *prog)
{
	struct sock_fprog fprog = { .len = prog->len, .filter = prog->filter };
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0 ? -errno : 0;
}

/* true while cap is a capability this kernel knows. */
static bool cap_is_known(int cap)
{
	return prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0;
}

int lockdown_bounding(cap_mask_t keep)
{
	for (int cap = 0; cap < 64 && cap_is_known(cap); cap++)
		if (!(keep & CAP_MASK(cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -errno;
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ? -errno : 0;
}

int lockdown_set_caps(cap_mask_t set, bool as_ambient)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
	cap_mask_t known = 0;
	for (int cap = 0; cap < 64 && cap_is_known(cap); cap++)
		known |= CAP_MASK(cap);
	set &= known; /* "ALL" sets bits past the kernel's last capability */
	cap_mask_t inheritable = as_ambient ? set : 0;

	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		data[i].effective = data[i].permitted = (uint32_t)(set >> (32 * i));
		data[i].inheritable = (uint32_t)(inheritable >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	if (!as_ambient)
		return 0;
	/* Ambient capabilities survive execve() of an ordinary (non-setuid,
	 * capability-less) file by a non-root user; each must be permitted and
	 * inheritable, which the capset above made them. */
	for (int cap = 0; cap < 64 && cap_is_known(cap); cap++)
		if ((set & CAP_MASK(cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return -errno;
	return 0;
}
