/* probe - the command of the integration tests' containers. Static, so it
 * runs inside a bare busybox rootfs. Arguments are a sequence of actions,
 * run in order:
 *
 *   report            print what the container sees, one key=value a line
 *   exit N            exit with status N
 *   kill SIG          kill itself with signal number SIG
 *   sleep S           sleep S seconds (fractions allowed)
 *   trap-term CODE    from now on SIGTERM makes it print "got-term" and exit CODE
 *   ignore-term       from now on SIGTERM is caught, printed and ignored
 *   echo TEXT         print TEXT
 *   stderr TEXT       print TEXT on stderr
 *   eat MB            allocate and touch MB MiB, 1 MiB at a time (OOM bait)
 *   child-eat MB      fork a child that eats MB MiB; wait for it and print
 *                     how it ended ("child-ended signal=9")
 *   eat-ts MB         like eat, but first print "tag=T start=US" and before
 *                     each MiB "tag=T ts=US" (T random per run, US wall
 *                     clock in microseconds): the OOM benchmark's clock
 *   forks N           fork N children that sleep; print "forked=K failed=F"
 *   spin S            burn CPU for S seconds
 *   orphans N         fork a child that forks N children which exit at
 *                     once, then exits itself: N dead orphans go to PID 1,
 *                     which must reap them; prints "orphaned=N"
 *   zombies           print "zombies=K", the processes in state Z in /proc
 *
 * Attacks for the lock-down tests; each prints one line "try-X ARGS -> ok"
 * or "try-X ARGS -> ENAME" (the errno's name) and never undoes anything
 * harmful, because none of them can do harm when it succeeds:
 *   try-mount TYPE DIR  mount a fresh TYPE filesystem (proc, sysfs, tmpfs) on DIR
 *                       (an existing directory; unmounted again)
 *   try-module          init_module() of a zeroed image (never a valid module)
 *   try-mknod PATH      create /dev/null's device node at PATH (removed again)
 *   try-capset          raise CAP_SYS_ADMIN in the effective and permitted sets
 *   try-kill PID        SIGKILL to PID
 *   try-open PATH       open PATH and read from it
 *   try-write PATH TEXT open PATH for writing and write TEXT
 *   try-unshare         unshare(CLONE_NEWUSER): a user namespace, all caps inside
 *   try-keyctl          look up the session keyring (not namespaced)
 *   caps                print CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs
 *                       Seccomp from /proc/self/status as "status:Key=Value"
 *   rlimits             print "rlimit:nofile=SOFT:HARD", nproc, core
 *
 * Output is flushed after each action so the log file shows it at once. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static volatile sig_atomic_t term_exit_code = -1;

static void on_term_exit(int sig)
{
	(void)sig;
	static const char msg[] = "got-term\n";
	ssize_t k = write(1, msg, sizeof(msg) - 1);
	(void)k;
	_exit(term_exit_code);
}

static void on_term_ignore(int sig)
{
	(void)sig;
	static const char msg[] = "ignored-term\n";
	ssize_t k = write(1, msg, sizeof(msg) - 1);
	(void)k;
}

static void list_dir(const char *key, const char *path, int numeric_only)
{
	DIR *d = opendir(path);
	if (!d) {
		printf("%s_error=%s\n", key, strerror(errno));
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (numeric_only && (e->d_name[0] < '0' || e->d_name[0] > '9'))
			continue;
		printf("%s=%s\n", key, e->d_name);
	}
	closedir(d);
}

static void print_mounts(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	if (!f) {
		printf("mounts_error=%s\n", strerror(errno));
		return;
	}
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		/* id parent major:minor root mountpoint options ... - fstype source superopts */
		char root[1024], point[1024], fstype[64];
		char *dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %1023s %1023s", root, point) != 2 || sscanf(dash + 3, "%63s", fstype) != 1)
			continue;
		printf("mount=%s %s %s\n", point, fstype, root);
	}
	fclose(f);
}

static void print_ifaces(void)
{
	FILE *f = fopen("/proc/net/dev", "r");
	if (!f) {
		printf("ifaces_error=%s\n", strerror(errno));
		return;
	}
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = 0;
		char *name = line;
		while (*name == ' ')
			name++;
		printf("iface=%s\n", name);
	}
	fclose(f);
}

static void report(void)
{
	char buf[4096];
	printf("pid=%d\nppid=%d\n", (int)getpid(), (int)getppid());
	if (gethostname(buf, sizeof(buf)) == 0)
		printf("hostname=%s\n", buf);
	printf("uid=%d\ngid=%d\n", (int)getuid(), (int)getgid());
	if (getcwd(buf, sizeof(buf)))
		printf("cwd=%s\n", buf);
	struct stat root, parent;
	if (stat("/", &root) == 0 && stat("/..", &parent) == 0)
		printf("root_is_own_parent=%d\n", root.st_dev == parent.st_dev && root.st_ino == parent.st_ino);
	list_dir("proc_pid", "/proc", 1);
	list_dir("dev", "/dev", 0);
	print_mounts();
	print_ifaces();
	for (char **e = environ; *e; e++)
		printf("env=%s\n", *e);
	FILE *f = fopen("/proc/self/cgroup", "r");
	while (f && fgets(buf, sizeof(buf), f))
		printf("cgroup=%s", buf);
	if (f)
		fclose(f);
	/* Host paths that must not be reachable from inside. */
	printf("host_etc_hostname_visible=%d\n", access("/etc/hostname", F_OK) == 0);
	printf("sys_writable=%d\n", access("/sys/kernel", W_OK) == 0);
	printf("report-done\n");
}

static void eat(long mb)
{
	for (long i = 0; i < mb; i++) {
		char *p = malloc(1 << 20);
		if (!p) {
			printf("malloc-failed at %ld MiB\n", i);
			return;
		}
		memset(p, 1, 1 << 20);
	}
	printf("ate %ld MiB\n", mb);
}

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void eat_timestamped(long mb)
{
	unsigned tag = 0;
	FILE *f = fopen("/dev/urandom", "r");
	if (f) {
		if (fread(&tag, sizeof(tag), 1, f) != 1)
			tag = (unsigned)now_us();
		fclose(f);
	}
	printf("tag=%08x start=%lld\n", tag, now_us());
	for (long i = 0; i < mb; i++) {
		printf("tag=%08x ts=%lld\n", tag, now_us());
		char *p = malloc(1 << 20);
		if (!p)
			return;
		memset(p, 1, 1 << 20);
	}
}

static void child_eat(long mb)
{
	pid_t pid = fork();
	if (pid == 0) {
		eat(mb);
		fflush(stdout);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status))
		printf("child-ended signal=%d\n", WTERMSIG(status));
	else
		printf("child-ended exit=%d\n", WEXITSTATUS(status));
}

static void forks(long n)
{
	long ok = 0, failed = 0;
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			pause();
			_exit(0);
		}
		if (pid < 0)
			failed++;
		else
			ok++;
	}
	printf("forked=%ld failed=%ld\n", ok, failed);
}

static void spin(double s)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	volatile unsigned long x = 0;
	do {
		for (int i = 0; i < 100000; i++)
			x += (unsigned long)i;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < s);
	printf("spun %.1f s\n", s);
}

static void orphans(long n)
{
	pid_t middle = fork();
	if (middle == 0) {
		for (long i = 0; i < n; i++)
			if (fork() == 0)
				_exit(0);
		/* Not waited for: they are zombies of ours, and orphans of
		 * PID 1 once we are gone. */
		_exit(0);
	}
	if (middle > 0)
		waitpid(middle, NULL, 0);
	printf("orphaned=%ld\n", middle > 0 ? n : 0);
}

static void zombies(void)
{
	DIR *d = opendir("/proc");
	long n = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char path[300], buf[512];
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t k = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[k] = 0;
		/* the state follows the ")" that ends the command name */
		char *p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'Z')
			n++;
	}
	if (d)
		closedir(d);
	printf("zombies=%ld\n", n);
}

static void sleep_seconds(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* "try-X ARGS -> ok" or "-> ENAME" for the outcome r (0 or -1 with errno). */
static void outcome(const char *what, int r)
{
	if (r == 0)
		printf("%s -> ok\n", what);
	else
		printf("%s -> %s\n", what, strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
}

static void try_mount(const char *type, const char *dir)
{
	char what[256];
	snprintf(what, sizeof(what), "try-mount %s %s", type, dir);
	int r = mount(type, dir, type, 0, NULL);
	int saved = errno;
	if (r == 0)
		umount2(dir, MNT_DETACH);
	errno = saved;
	outcome(what, r);
}

static void try_module(void)
{
	static char image[64]; /* zeros: no ELF header, never loads */
	outcome("try-module", (int)syscall(SYS_init_module, image, sizeof(image), ""));
}

static void try_mknod(const char *path)
{
	char what[256];
	snprintf(what, sizeof(what), "try-mknod %s", path);
	int r = mknod(path, S_IFCHR | 0600, makedev(1, 3));
	int saved = errno;
	if (r == 0)
		unlink(path);
	errno = saved;
	outcome(what, r);
}

static void try_capset(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) < 0) {
		outcome("try-capset (capget)", -1);
		return;
	}
	data[0].effective |= 1u << CAP_SYS_ADMIN;
	data[0].permitted |= 1u << CAP_SYS_ADMIN;
	outcome("try-capset", (int)syscall(SYS_capset, &hdr, data));
}

/* Open path and read from it (text NULL) or write text to it. A read
 * that gets 0 bytes prints "ok" (empty, or masked with /dev/null), one that
 * gets data "ok bytes>0". */
static void try_io(const char *path, const char *text)
{
	char what[256], buf[64];
	snprintf(what, sizeof(what), "%s %s", text ? "try-write" : "try-open", path);
	int fd = open(path, (text ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0) {
		outcome(what, -1);
		return;
	}
	ssize_t n = text ? write(fd, text, strlen(text)) : read(fd, buf, sizeof(buf));
	int saved = errno;
	close(fd);
	errno = saved;
	if (!text && n > 0)
		printf("%s -> ok bytes>0\n", what);
	else
		outcome(what, n < 0 ? -1 : 0);
}

static void print_status(void)
{
	static const char *const keys[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp" };
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	while (f && fgets(line, sizeof(line), f)) {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t n = strlen(keys[i]);
			if (!strncmp(line, keys[i], n) && line[n] == ':') {
				char *v = line + n + 1;
				while (*v == ' ' || *v == '\t')
					v++;
				printf("status:%s=%s", keys[i], v);
			}
		}
	}
	if (f)
		fclose(f);
}

static void print_rlimit(const char *name, int resource)
{
	struct rlimit rl;
	if (getrlimit(resource, &rl) < 0)
		return;
	printf("rlimit:%s=", name);
	if (rl.rlim_cur == RLIM_INFINITY)
		printf("unlimited:");
	else
		printf("%llu:", (unsigned long long)rl.rlim_cur);
	if (rl.rlim_max == RLIM_INFINITY)
		printf("unlimited\n");
	else
		printf("%llu\n", (unsigned long long)rl.rlim_max);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *arg = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "report"))
			report();
		else if (!strcmp(a, "exit") && arg)
			exit(atoi(argv[++i]));
		else if (!strcmp(a, "kill") && arg) {
			fflush(stdout);
			int sig = atoi(argv[++i]);
			signal(sig, SIG_DFL);
			kill(getpid(), sig);
			/* PID 1 of a namespace cannot be killed by its own signal
			 * without a handler: raise() on it is ignored. */
			printf("kill-ignored\n");
		} else if (!strcmp(a, "sleep") && arg)
			sleep_seconds(atof(argv[++i]));
		else if (!strcmp(a, "trap-term") && arg) {
			term_exit_code = atoi(argv[++i]);
			signal(SIGTERM, on_term_exit);
		} else if (!strcmp(a, "ignore-term"))
			signal(SIGTERM, on_term_ignore);
		else if (!strcmp(a, "echo") && arg)
			printf("%s\n", argv[++i]);
		else if (!strcmp(a, "eat") && arg)
			eat(atol(argv[++i]));
		else if (!strcmp(a, "eat-ts") && arg)
			eat_timestamped(atol(argv[++i]));
		else if (!strcmp(a, "child-eat") && arg)
			child_eat(atol(argv[++i]));
		else if (!strcmp(a, "forks") && arg)
			forks(atol(argv[++i]));
		else if (!strcmp(a, "spin") && arg)
			spin(atof(argv[++i]));
		else if (!strcmp(a, "try-mount") && i + 2 < argc) {
			try_mount(argv[i + 1], argv[i + 2]);
			i += 2;
		} else if (!strcmp(a, "try-module"))
			try_module();
		else if (!strcmp(a, "try-mknod") && arg)
			try_mknod(argv[++i]);
		else if (!strcmp(a, "try-capset"))
			try_capset();
		else if (!strcmp(a, "try-kill") && arg) {
			char what[64];
			int pid = atoi(argv[++i]);
			snprintf(what, sizeof(what), "try-kill %d", pid);
			outcome(what, kill(pid, SIGKILL));
		} else if (!strcmp(a, "try-open") && arg)
			try_io(argv[++i], NULL);
		else if (!strcmp(a, "try-write") && i + 2 < argc) {
			try_io(argv[i + 1], argv[i + 2]);
			i += 2;
		} else if (!strcmp(a, "try-unshare"))
			outcome("try-unshare", unshare(CLONE_NEWUSER));
		else if (!strcmp(a, "try-keyctl"))
			outcome("try-keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0) < 0 ? -1 : 0);
		else if (!strcmp(a, "caps"))
			print_status();
		else if (!strcmp(a, "rlimits")) {
			print_rlimit("nofile", RLIMIT_NOFILE);
			print_rlimit("nproc", RLIMIT_NPROC);
			print_rlimit("core", RLIMIT_CORE);
		} else if (!strcmp(a, "orphans") && arg)
			orphans(atol(argv[++i]));
		else if (!strcmp(a, "zombies"))
			zombies();
		else if (!strcmp(a, "stderr") && arg)
			fprintf(stderr, "%s\n", argv[++i]);
		else {
			fprintf(stderr, "probe: bad action '%s'\n", a);
			return 64;
		}
		fflush(stdout);
	}
	return 0;
}
