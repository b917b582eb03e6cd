/* systemd's notification protocol (sd_notify(3)), by hand: one datagram per
 * message on the AF_UNIX socket named by NOTIFY_SOCKET, no libsystemd.
 *
 *	struct sd_notifier n;
 *	sd_notifier_open(&n);                 // reads and unsets NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID
 *	sd_notify(&n, "READY=1\nSTATUS=%s", text);
 *	if (n.watchdog_ns > 0) ... sd_notify(&n, "WATCHDOG=1") every watchdog_ns / 2 ...
 *	sd_notifier_close(&n);
 *
 * Without NOTIFY_SOCKET (not started by systemd with Type=notify) every call
 * does nothing. Sending is best effort and never blocks: a lost message is
 * not an error of the program.
 */
#ifndef CAIRN_SD_NOTIFY_H
#define CAIRN_SD_NOTIFY_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

struct sd_notifier {
	int fd;                  /* -1 when there is nowhere to send */
	struct sockaddr_un addr;
	socklen_t addr_len;
	int64_t watchdog_ns;     /* WATCHDOG_USEC for this process in ns, 0 = no watchdog */
};

/* Read NOTIFY_SOCKET ("/path" or "@abstract"), WATCHDOG_USEC and
 * WATCHDOG_PID (the watchdog applies only when it names this process or is
 * unset), then remove the three from the environment so that the jobs the
 * program starts do not see them. 0, or -1 with a reason in `err` (a
 * malformed variable, a socket that cannot be created): `n` is then unusable
 * but safe to pass to sd_notify() and sd_notifier_close(). */
int sd_notifier_open(struct sd_notifier *n, char *err, size_t errlen);

/* Send one message ("KEY=VALUE" lines). Best effort. */
void sd_notify(const struct sd_notifier *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void sd_notifier_close(struct sd_notifier *n);

#endif
