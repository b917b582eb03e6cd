/* systemd notifications over an AF_UNIX datagram socket (see sd_notify.h). */
#include "sd_notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SD_MESSAGE_MAX 1024

/* The socket address of NOTIFY_SOCKET's value: a path, or '@' for the abstract namespace. */
static int notify_address(const char *value, struct sd_notifier *n, char *err, size_t errlen)
{
	size_t len = strlen(value);

	if (value[0] != '/' && value[0] != '@') {
		snprintf(err, errlen, "NOTIFY_SOCKET '%s' is neither an absolute path nor an abstract name (@...)",
			 value);
		return -1;
	}
	if (len >= sizeof(n->addr.sun_path)) {
		snprintf(err, errlen, "NOTIFY_SOCKET is too long (%zu bytes, at most %zu)", len,
			 sizeof(n->addr.sun_path) - 1);
		return -1;
	}
	memset(&n->addr, 0, sizeof(n->addr));
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, value, len);
	if (value[0] == '@')
		n->addr.sun_path[0] = '\0'; /* abstract: no terminating NUL counted */
	n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (value[0] == '/'));
	return 0;
}

/* WATCHDOG_USEC when WATCHDOG_PID is unset or this process: ns, 0 = none, -1 = malformed. */
static int64_t watchdog_interval(const char *usec, const char *pid)
{
	char *end;
	unsigned long long v;

	if (usec == NULL || usec[0] == '\0')
		return 0;
	if (pid != NULL && pid[0] != '\0') {
		long p = strtol(pid, &end, 10);

		if (*end != '\0' || p != (long)getpid())
			return 0;
	}
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno != 0 || *end != '\0' || end == usec || v == 0 || v > (unsigned long long)INT64_MAX / 1000)
		return -1;
	return (int64_t)v * 1000;
}

int sd_notifier_open(struct sd_notifier *n, char *err, size_t errlen)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	int rc = 0;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	if (sock != NULL && sock[0] != '\0') {
		n->watchdog_ns = watchdog_interval(getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"));
		if (n->watchdog_ns < 0) {
			snprintf(err, errlen, "WATCHDOG_USEC '%s' is not a positive number of microseconds",
				 getenv("WATCHDOG_USEC"));
			n->watchdog_ns = 0;
			rc = -1;
		} else if (notify_address(sock, n, err, errlen) != 0) {
			rc = -1;
		} else if ((n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
			snprintf(err, errlen, "cannot create a socket for NOTIFY_SOCKET: %s", strerror(errno));
			rc = -1;
		}
	}
	if (n->fd < 0)
		n->watchdog_ns = 0;
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return rc;
}

void sd_notify(const struct sd_notifier *n, const char *fmt, ...)
{
	char msg[SD_MESSAGE_MAX];
	va_list ap;
	int len;

	if (n == NULL || n->fd < 0)
		return;
	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(msg))
		len = (int)sizeof(msg) - 1; /* a long STATUS is cut, never dropped */
	(void)sendto(n->fd, msg, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&n->addr,
		     n->addr_len);
}

void sd_notifier_close(struct sd_notifier *n)
{
	if (n == NULL)
		return;
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	n->watchdog_ns = 0;
}
