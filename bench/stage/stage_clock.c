/* Timing of the stages: thread CPU (getrusage) and the monotonic clock. */
#include "stage.h"

#include <sys/resource.h>

void stage_clock_now(struct stage_clock *c)
{
	clock_gettime(CLOCK_MONOTONIC, &c->wall);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c->cpu);
	getrusage(RUSAGE_THREAD, &c->ru);
}

static double ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static double tv_diff(const struct timeval *a, const struct timeval *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_usec - a->tv_usec) / 1e6;
}

void stage_acc_add(struct stage_acc *acc, const struct stage_clock *from, const struct stage_clock *to)
{
	acc->user += tv_diff(&from->ru.ru_utime, &to->ru.ru_utime);
	acc->sys += tv_diff(&from->ru.ru_stime, &to->ru.ru_stime);
	acc->cpu += ts_diff(&from->cpu, &to->cpu);
	acc->wall += ts_diff(&from->wall, &to->wall);
}

double stage_acc_cpu(const struct stage_acc *acc)
{
	return acc->cpu;
}

void stage_acc_sub(struct stage_acc *acc, const struct stage_clock *from, const struct stage_clock *to)
{
	struct stage_acc d = { 0 };

	stage_acc_add(&d, from, to);
	acc->user -= d.user;
	acc->sys -= d.sys;
	acc->cpu -= d.cpu;
	acc->wall -= d.wall;
}
