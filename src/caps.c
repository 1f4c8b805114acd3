/* caps.c - see caps.h.
 *
 * The default follows Docker's list (CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD
 * NET_RAW SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL
 * AUDIT_WRITE) with one exception: MKNOD is left out. Docker can keep it
 * because its devices cgroup refuses to open any node outside an allow
 * list; sup sets no device policy (and cgroup v2 would need a BPF program
 * for one), and the container's rootfs and /dev are not mounted nodev, so a
 * container holding MKNOD could create /dev/sda's node and read the host's
 * disk. Without it mknod() of a device fails with EPERM; FIFOs and sockets
 * need no capability and keep working. */
#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "caps.h"
#include "macro.h"

static const char *const cap_names[] = {
	[CAP_CHOWN] = "CHOWN",
	[CAP_DAC_OVERRIDE] = "DAC_OVERRIDE",
	[CAP_DAC_READ_SEARCH] = "DAC_READ_SEARCH",
	[CAP_FOWNER] = "FOWNER",
	[CAP_FSETID] = "FSETID",
	[CAP_KILL] = "KILL",
	[CAP_SETGID] = "SETGID",
	[CAP_SETUID] = "SETUID",
	[CAP_SETPCAP] = "SETPCAP",
	[CAP_LINUX_IMMUTABLE] = "LINUX_IMMUTABLE",
	[CAP_NET_BIND_SERVICE] = "NET_BIND_SERVICE",
	[CAP_NET_BROADCAST] = "NET_BROADCAST",
	[CAP_NET_ADMIN] = "NET_ADMIN",
	[CAP_NET_RAW] = "NET_RAW",
	[CAP_IPC_LOCK] = "IPC_LOCK",
	[CAP_IPC_OWNER] = "IPC_OWNER",
	[CAP_SYS_MODULE] = "SYS_MODULE",
	[CAP_SYS_RAWIO] = "SYS_RAWIO",
	[CAP_SYS_CHROOT] = "SYS_CHROOT",
	[CAP_SYS_PTRACE] = "SYS_PTRACE",
	[CAP_SYS_PACCT] = "SYS_PACCT",
	[CAP_SYS_ADMIN] = "SYS_ADMIN",
	[CAP_SYS_BOOT] = "SYS_BOOT",
	[CAP_SYS_NICE] = "SYS_NICE",
	[CAP_SYS_RESOURCE] = "SYS_RESOURCE",
	[CAP_SYS_TIME] = "SYS_TIME",
	[CAP_SYS_TTY_CONFIG] = "SYS_TTY_CONFIG",
	[CAP_MKNOD] = "MKNOD",
	[CAP_LEASE] = "LEASE",
	[CAP_AUDIT_WRITE] = "AUDIT_WRITE",
	[CAP_AUDIT_CONTROL] = "AUDIT_CONTROL",
	[CAP_SETFCAP] = "SETFCAP",
	[CAP_MAC_OVERRIDE] = "MAC_OVERRIDE",
	[CAP_MAC_ADMIN] = "MAC_ADMIN",
	[CAP_SYSLOG] = "SYSLOG",
	[CAP_WAKE_ALARM] = "WAKE_ALARM",
	[CAP_BLOCK_SUSPEND] = "BLOCK_SUSPEND",
	[CAP_AUDIT_READ] = "AUDIT_READ",
	[CAP_PERFMON] = "PERFMON",
	[CAP_BPF] = "BPF",
	[CAP_CHECKPOINT_RESTORE] = "CHECKPOINT_RESTORE",
};
static_assert(ELEMENTSOF(cap_names) == CAP_LAST_CAP + 1, "cap_names");

static _Thread_local char why_buf[96];

cap_mask_t caps_default(void)
{
	static const int defaults[] = {
		CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_FSETID,  CAP_FOWNER,           CAP_NET_RAW,
		CAP_SETGID, CAP_SETUID,       CAP_SETFCAP, CAP_SETPCAP,          CAP_NET_BIND_SERVICE,
		CAP_SYS_CHROOT, CAP_KILL,     CAP_AUDIT_WRITE,
	};
	cap_mask_t set = 0;
	for (size_t i = 0; i < ELEMENTSOF(defaults); i++)
		set |= CAP_MASK(defaults[i]);
	return set;
}

int caps_from_name(const char *name)
{
	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	for (size_t i = 0; i < ELEMENTSOF(cap_names); i++)
		if (strcasecmp(name, cap_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

const char *caps_to_name(int cap)
{
	return cap >= 0 && (size_t)cap < ELEMENTSOF(cap_names) ? cap_names[cap] : NULL;
}

static bool is_separator(char c)
{
	return c == ',' || isspace((unsigned char)c);
}

int caps_parse(const char *s, cap_mask_t *ret, const char **why)
{
	cap_mask_t set = 0;
	bool first = true;

	for (const char *p = s;;) {
		while (is_separator(*p))
			p++;
		if (!*p)
			break;
		size_t n = 0;
		while (p[n] && !is_separator(p[n]))
			n++;
		char sign = *p == '+' || *p == '-' ? *p : 0;
		const char *word = sign ? p + 1 : p;
		size_t wlen = sign ? n - 1 : n;
		if (first)
			set = sign ? caps_default() : 0;
		first = false;

		char name[64];
		if (wlen == 0) {
			*why = "expected a capability name after '+' or '-'";
			return -EINVAL;
		}
		snprintf(name, sizeof(name), "%.*s", (int)wlen, word);
		cap_mask_t bits;
		if (strcasecmp(name, "ALL") == 0)
			bits = CAP_MASK_ALL;
		else {
			int cap = wlen < sizeof(name) ? caps_from_name(name) : -EINVAL;
			if (cap < 0) {
				snprintf(why_buf, sizeof(why_buf), "unknown capability '%.60s'", name);
				*why = why_buf;
				return -EINVAL;
			}
			bits = CAP_MASK(cap);
		}
		if (sign == '-')
			set &= ~bits;
		else
			set |= bits;
		p += n;
	}
	if (first) {
		*why = "empty value";
		return -EINVAL;
	}
	*ret = set;
	return 0;
}
