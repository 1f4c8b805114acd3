/* rootfs.c - see rootfs.h.
 *
 * The sequence follows the one runtimes settled on: make every mount
 * private first (so nothing we do propagates back to the host), bind the
 * rootfs onto itself so it is a mount point pivot_root accepts, mount the
 * pseudo filesystems below it, then pivot_root(".", ".") and detach the old
 * root that is now stacked on "/" — no temporary put_old directory needed,
 * and no path back to the host's tree remains. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rootfs.h"

static int ensure_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int ensure_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int mount_fs(const char *src, const char *target, const char *type, unsigned long flags, const char *data)
{
	return mount(src, target, type, flags, data) < 0 ? -errno : 0;
}

/* The flags of the mount at path that a remount must repeat: in a user
 * namespace, mounts inherited from the host have them locked, and a
 * remount that would clear one fails with EPERM. */
static unsigned long locked_mount_flags(const char *path)
{
	static const struct {
		unsigned long st, ms;
	} flags[] = {
		{ ST_NOSUID, MS_NOSUID },     { ST_NODEV, MS_NODEV },
		{ ST_NOEXEC, MS_NOEXEC },     { ST_NOATIME, MS_NOATIME },
		{ ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
	};
	struct statvfs sv;
	unsigned long ms = 0;
	if (statvfs(path, &sv) < 0)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(flags); i++)
		if (sv.f_flag & flags[i].st)
			ms |= flags[i].ms;
	return ms;
}

/* A read-only bind needs a second mount call: MS_RDONLY is ignored on the
 * initial MS_BIND. The remount covers only the top mount; submounts of a
 * recursive bind are made read-only with mount_setattr where the kernel
 * has it (5.12). */
static int bind_readonly(const char *src, const char *target)
{
	int r = mount_fs(src, target, NULL, MS_BIND | MS_REC, NULL);
	if (r < 0)
		return r;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
	if (mount_setattr(AT_FDCWD, target, AT_RECURSIVE, &attr, sizeof(attr)) == 0)
		return 0;
	return mount_fs(NULL, target, NULL,
			MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | locked_mount_flags(target), NULL);
}

static const struct dev_node {
	const char *name;
	unsigned major, minor;
} dev_nodes[] = {
	{ "dev/null", 1, 3 },   { "dev/zero", 1, 5 },    { "dev/full", 1, 7 },
	{ "dev/random", 1, 8 }, { "dev/urandom", 1, 9 }, { "dev/tty", 5, 0 },
};

static const struct dev_link {
	const char *target, *name;
} dev_links[] = {
	{ "/proc/self/fd", "dev/fd" },     { "/proc/self/fd/0", "dev/stdin" },
	{ "/proc/self/fd/1", "dev/stdout" }, { "/proc/self/fd/2", "dev/stderr" },
	{ "pts/ptmx", "dev/ptmx" },
};

/* In a user namespace mknod is refused (and a tmpfs mounted there is
 * nodev anyway): bind the host's node of the same name onto an empty file
 * instead. The node is the same device either way. */
static int bind_host_dev_node(const struct dev_node *n)
{
	int r = ensure_file(n->name);
	if (r < 0)
		return r;
	char host[32];
	snprintf(host, sizeof(host), "/%s", n->name);
	return mount_fs(host, n->name, NULL, MS_BIND, NULL);
}

/* A tmpfs with the handful of nodes programs expect; the host's /dev (disks,
 * kmsg, mem) is never visible. */
static int setup_dev(const struct container_config *cfg)
{
	int r;
	if ((r = mount_fs("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME, "mode=755,size=65536k")) < 0)
		return r;
	mode_t old = umask(0);
	for (size_t i = 0; i < ELEMENTSOF(dev_nodes) && r == 0; i++) {
		if (cfg->userns)
			r = bind_host_dev_node(&dev_nodes[i]);
		else if (mknod(dev_nodes[i].name, S_IFCHR | 0666, makedev(dev_nodes[i].major, dev_nodes[i].minor)) < 0)
			r = -errno;
	}
	umask(old);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(dev_links); i++)
		if (symlink(dev_links[i].target, dev_links[i].name) < 0)
			return -errno;
	if ((r = ensure_dir("dev/pts", 0755)) < 0 ||
	    (r = mount_fs("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620")) < 0)
		return r;
	if ((r = ensure_dir("dev/shm", 01777)) < 0 ||
	    (r = mount_fs("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k")) < 0)
		return r;
	if ((r = ensure_dir("dev/mqueue", 0755)) < 0)
		return r;
	return mount_fs("mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

static const char *const host_files[] = { "/etc/resolv.conf", "/etc/hosts" };

/* With network=host the container shares the host's resolver config; bound
 * read-only so the container cannot rewrite the host's DNS. */
static int bind_host_files(void)
{
	for (size_t i = 0; i < ELEMENTSOF(host_files); i++) {
		if (access(host_files[i], F_OK) < 0)
			continue;
		int r = bind_readonly(host_files[i], host_files[i] + 1); /* relative to the rootfs */
		if (r < 0)
			return r;
	}
	return 0;
}

/* Kernel interfaces a container has no business reading (host memory,
 * keys, timers and scheduler state of every process, firmware tables) are
 * covered: files with the container's /dev/null, directories with an empty
 * read-only tmpfs. The list follows Docker's defaults; a path this kernel
 * does not have is skipped. */
static const char *const masked_paths[] = {
	"proc/acpi", "proc/asound", "proc/kcore", "proc/keys", "proc/latency_stats",
	"proc/timer_list", "proc/timer_stats", "proc/sched_debug", "proc/scsi", "sys/firmware",
	"sys/devices/virtual/powercap",
};

/* Host-wide knobs in /proc that stay readable but not writable. */
static const char *const readonly_paths[] = {
	"proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger",
};

static int mask_path(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode))
		return mount_fs("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=555");
	return mount_fs("dev/null", path, NULL, MS_BIND, NULL);
}

static int readonly_path(const char *path)
{
	if (access(path, F_OK) < 0)
		return errno == ENOENT ? 0 : -errno;
	int r = mount_fs(path, path, NULL, MS_BIND | MS_REC, NULL);
	if (r < 0)
		return r;
	return mount_fs(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

/* After /proc, /dev (its null is the mask) and /sys are in place. */
static int mask_kernel_paths(void)
{
	int r;
	for (size_t i = 0; i < ELEMENTSOF(masked_paths); i++)
		if ((r = mask_path(masked_paths[i])) < 0)
			return r;
	for (size_t i = 0; i < ELEMENTSOF(readonly_paths); i++)
		if ((r = readonly_path(readonly_paths[i])) < 0)
			return r;
	return 0;
}

/* Every mount point in the rootfs itself, made before anything is mounted:
 * in a user namespace the rest of the setup runs with ids the namespace
 * maps, which may not write to a rootfs owned by the host's root. */
static int make_mount_points(const struct container_config *cfg)
{
	int r;
	if ((r = ensure_dir("proc", 0555)) < 0 || (r = ensure_dir("dev", 0755)) < 0 || (r = ensure_dir("sys", 0555)) < 0)
		return r;
	if (cfg->network != NETWORK_HOST)
		return 0;
	if ((r = ensure_dir("etc", 0755)) < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(host_files); i++)
		if (access(host_files[i], F_OK) == 0 && (r = ensure_file(host_files[i] + 1)) < 0)
			return r;
	return 0;
}

/* A file system mounted in a user namespace (the /dev tmpfs) accepts new
 * files only from ids the namespace maps (EOVERFLOW otherwise), and we
 * still have supd's: create them as root inside, or as the command's user
 * when uid_map leaves root out. Only the file-system ids change, so the
 * capabilities for the mounts stay. */
static int use_mapped_fs_ids(const struct container_config *cfg)
{
	uid_t uid = id_map_has_inside(&cfg->uid_map, 0) ? 0 : cfg->uid;
	gid_t gid = id_map_has_inside(&cfg->gid_map, 0) ? 0 : cfg->gid;
	/* Both calls return the previous id: a second call shows whether
	 * the first took. */
	setfsgid(gid);
	setfsuid(uid);
	return (gid_t)setfsgid(gid) == gid && (uid_t)setfsuid(uid) == uid ? 0 : -EPERM;
}

static int pivot_into_cwd(enum child_step *ret_step)
{
	*ret_step = CHILD_STEP_PIVOT_ROOT;
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return -errno;
	/* The old root is now mounted on top of "/"; detach it. */
	*ret_step = CHILD_STEP_DETACH_OLD_ROOT;
	if (umount2(".", MNT_DETACH) < 0)
		return -errno;
	return chdir("/") < 0 ? -errno : 0;
}

int rootfs_setup(const struct container_config *cfg, enum child_step *ret_step)
{
	int r;
	*ret_step = CHILD_STEP_MOUNT_PRIVATE;
	if ((r = mount_fs(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) < 0)
		return r;
	*ret_step = CHILD_STEP_ROOTFS_BIND;
	if ((r = mount_fs(cfg->rootfs, cfg->rootfs, NULL, MS_BIND | MS_REC, NULL)) < 0)
		return r;
	if (chdir(cfg->rootfs) < 0)
		return -errno;
	*ret_step = CHILD_STEP_MOUNT_POINTS;
	if ((r = make_mount_points(cfg)) < 0)
		return r;
	*ret_step = CHILD_STEP_USERNS_FS_IDS;
	if (cfg->userns && (r = use_mapped_fs_ids(cfg)) < 0)
		return r;

	*ret_step = CHILD_STEP_PROC;
	if ((r = mount_fs("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) < 0)
		return r;
	*ret_step = CHILD_STEP_DEV;
	if ((r = setup_dev(cfg)) < 0)
		return r;
	*ret_step = CHILD_STEP_SYS;
	r = mount_fs("sysfs", "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	/* In a user namespace sysfs mounts only where the namespace owns the
	 * network namespace (network = none); with the host's network, the
	 * host's /sys goes in read-only instead. */
	if (r == -EPERM && cfg->userns)
		r = bind_readonly("/sys", "sys");
	if (r < 0)
		return r;
	if (cfg->network == NETWORK_HOST) {
		*ret_step = CHILD_STEP_HOST_FILES;
		if ((r = bind_host_files()) < 0)
			return r;
	}
	*ret_step = CHILD_STEP_MASK_PATHS;
	if ((r = mask_kernel_paths()) < 0)
		return r;
	if ((r = pivot_into_cwd(ret_step)) < 0)
		return r;
	if (cfg->readonly_rootfs) {
		*ret_step = CHILD_STEP_READONLY_ROOTFS;
		if ((r = mount_fs(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL)) < 0)
			return r;
	}
	return 0;
}
