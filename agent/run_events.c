/* cairn-agent run: signals through a signalfd, waits with a timeout, and the systemd watchdog. */
#include "run.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

int run_events_open(struct run_ctx *c)
{
	struct sigaction dfl;
	sigset_t set;

	/* an inherited SIG_IGN for SIGCHLD would reap the jobs behind our back */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGCHLD, &dfl, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, &c->saved_mask) < 0) {
		cli_error(c->o.ctx, "cannot block signals: %s", strerror(errno));
		return CAIRN_EXIT_ERROR;
	}
	c->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (c->sigfd < 0) {
		cli_error(c->o.ctx, "cannot create a signalfd: %s", strerror(errno));
		sigprocmask(SIG_SETMASK, &c->saved_mask, NULL);
		return CAIRN_EXIT_ERROR;
	}
	c->next_watchdog_ns = cairn_time_mono_ns();
	return 0;
}

void run_events_close(struct run_ctx *c)
{
	if (c->sigfd < 0)
		return;
	close(c->sigfd);
	c->sigfd = -1;
	sigprocmask(SIG_SETMASK, &c->saved_mask, NULL);
}

void run_watchdog(struct run_ctx *c)
{
	int64_t now;

	if (c->notify.watchdog_ns <= 0)
		return;
	now = cairn_time_mono_ns();
	if (now < c->next_watchdog_ns)
		return;
	sd_notify(&c->notify, "WATCHDOG=1");
	c->next_watchdog_ns = now + c->notify.watchdog_ns / 2;
}

/* Read every pending signal. 1 when there was one. */
static int drain_signals(struct run_ctx *c)
{
	struct signalfd_siginfo si;
	int got = 0;

	while (read(c->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		got = 1;
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			c->stop = 1;
		else if (si.ssi_signo == SIGHUP)
			c->reload = 1;
	}
	return got;
}

/* Milliseconds for poll(), rounded up so that a wait never ends early. */
static int poll_ms(int64_t ns)
{
	int64_t ms = (ns + 999999) / 1000000;

	return ms < 0 ? 0 : ms > 3600000 ? 3600000 : (int)ms;
}

int run_wait(struct run_ctx *c, int64_t timeout_ns)
{
	int64_t end = cairn_time_mono_ns() + (timeout_ns > 0 ? timeout_ns : 0);

	for (;;) {
		struct pollfd pfd = { .fd = c->sigfd, .events = POLLIN };
		int64_t now, wait;

		run_watchdog(c);
		if (drain_signals(c))
			return 1;
		now = cairn_time_mono_ns();
		if (now >= end)
			return 0;
		wait = end - now;
		if (c->notify.watchdog_ns > 0 && c->next_watchdog_ns - now < wait)
			wait = c->next_watchdog_ns - now;
		if (poll(&pfd, 1, poll_ms(wait)) < 0 && errno != EINTR) {
			cli_warn(c->o.ctx, "waiting for signals: poll: %s", strerror(errno));
			return 0;
		}
	}
}
