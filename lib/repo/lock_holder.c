/* Whether a lock's holder is known dead: it ran on this host and its
 * process is gone, or its pid now belongs to a process started after the
 * lock was taken (the pid was reused). */
#include "cairn/lock.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Seconds since the epoch when process `pid` started, or -1 if unknown. */
static int64_t process_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks = 0, btime = 0;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold spaces and ')' */
	/* after ")": state is field 3; starttime is field 22 */
	if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
				&ticks) != 1)
		return -1;
	f = fopen("/proc/stat", "r");
	if (f == NULL)
		return -1;
	while (fgets(buf, sizeof(buf), f) != NULL)
		if (sscanf(buf, "btime %llu", &btime) == 1)
			break;
	fclose(f);
	if (btime == 0 || hz <= 0)
		return -1;
	return (int64_t)(btime + ticks / (unsigned long long)hz);
}

int cairn_lock_holder_dead(const struct cairn_lock_info *info)
{
	char host[256] = "";
	int64_t started;

	gethostname(host, sizeof(host) - 1);
	if (info->pid <= 0 || info->pid == (int64_t)getpid() || strcmp(host, info->host) != 0)
		return 0;
	if (kill((pid_t)info->pid, 0) != 0 && errno == ESRCH)
		return 1;
	started = process_start((pid_t)info->pid);
	/* 2 s of slack: boot time and start ticks are coarse */
	return started > 0 && started > info->start_ns / 1000000000LL + 2;
}
