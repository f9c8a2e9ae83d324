/* IFUNC resolution in a throwaway child process that loads the library the way the traced
 * program's loader does, on the same CPU (see ifunc.h). */
#include "ifunc.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "util.h"

#define IFUNC_TIMEOUT_MS 5000 /* a library whose constructor hangs: give up */
#define IFUNC_MSG	 256  /* the child's answer starts with this many bytes of reason */

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The child: loads @path, answers on @fd (a reason, empty when loaded, then the addresses). */
static void child(int fd, const char *path, const char *const *names, size_t n)
{
	char msg[IFUNC_MSG] = "";
	struct stat want, got;
	struct link_map *lm = NULL;
	void *h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);

	if (!h)
		snprintf(msg, sizeof(msg), "%s", dlerror());
	else if (dlinfo(h, RTLD_DI_LINKMAP, &lm) || !lm)
		snprintf(msg, sizeof(msg), "the loader gives no link map for it");
	else if (stat(path, &want) || stat(lm->l_name, &got) || want.st_dev != got.st_dev ||
		 want.st_ino != got.st_ino)
		/* dlopen() found a library of that name loaded already (the recorder's own):
		 * what it resolves is not in this file. */
		snprintf(msg, sizeof(msg), "loading it here gives another file, '%s'", lm->l_name);
	if (write_all(fd, msg, sizeof(msg)) || msg[0])
		_exit(0);
	for (size_t i = 0; i < n; i++) {
		void *p = dlsym(h, names[i]);
		struct link_map *in = NULL;
		Dl_info info;
		uint64_t v = 0;
		/* The implementation must be code of this file, not of a library it depends on. */
		if (p && dladdr1(p, &info, (void **)&in, RTLD_DL_LINKMAP) && in == lm)
			v = (uint64_t)(uintptr_t)p - (uint64_t)lm->l_addr;
		if (write_all(fd, &v, sizeof(v)))
			break;
	}
	_exit(0);
}

/* Reads @len bytes from @fd by a deadline; 0 or -1. */
static int read_by(int fd, void *buf, size_t len, const struct timespec *deadline)
{
	char *p = buf;
	while (len) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms = (long)(deadline->tv_sec - now.tv_sec) * 1000 +
			  (deadline->tv_nsec - now.tv_nsec) / 1000000;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (ms <= 0 || poll(&pfd, 1, (int)ms) <= 0)
			return -1;
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int hwt_ifunc_resolve(const char *path, const char *const *names, size_t n, uint64_t *vaddrs,
		      char *why, size_t whylen)
{
	int fds[2], status, ret = 0;

	if (!path || (n && (!names || !vaddrs)))
		return hwt_fail(why, whylen, HWT_E_INVAL, "no library or no names given");
	for (size_t i = 0; i < n; i++)
		vaddrs[i] = 0;
	if (!n)
		return 0;
	if (pipe2(fds, O_CLOEXEC))
		return hwt_fail(why, whylen, hwt_error_from_errno(errno), "pipe: %s",
				strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(fds[0]);
		close(fds[1]);
		return hwt_fail(why, whylen, hwt_error_from_errno(e), "fork: %s", strerror(e));
	}
	if (!pid) {
		close(fds[0]);
		child(fds[1], path, names, n);
	}
	close(fds[1]);
	char msg[IFUNC_MSG];
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += IFUNC_TIMEOUT_MS / 1000;
	if (read_by(fds[0], msg, sizeof(msg), &deadline)) {
		ret = hwt_fail(why, whylen, HWT_E_IO,
			       "resolving the IFUNCs of '%s': the helper process gave no answer "
			       "within %d s",
			       path, IFUNC_TIMEOUT_MS / 1000);
	} else if (msg[0]) {
		msg[sizeof(msg) - 1] = 0;
		ret = hwt_fail(why, whylen, HWT_E_NOTSUP,
			       "cannot load '%s' to resolve its IFUNCs: %s", path, msg);
	} else if (read_by(fds[0], vaddrs, n * sizeof(*vaddrs), &deadline)) {
		for (size_t i = 0; i < n; i++)
			vaddrs[i] = 0;
		ret = hwt_fail(why, whylen, HWT_E_IO,
			       "resolving the IFUNCs of '%s': the helper process stopped early",
			       path);
	}
	close(fds[0]);
	kill(pid, SIGKILL); /* done, or hung in a constructor */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n; i++)
		ret += vaddrs[i] != 0;
	return ret;
}
