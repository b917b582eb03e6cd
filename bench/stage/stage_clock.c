/* Timing of the stages: thread CPU (getrusage) and the monotonic clock. */
#include "stage.h"

#include <sys/resource.h>

void stage_clock_now(struct stage_clock *c)
{
	clock_gettime(CLOCK_MONOTONIC, &c->wall);
	getrusage(RUSAGE_THREAD, &c->ru);
}

static double tv_diff(const struct timeval *a, const struct timeval *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_usec - a->tv_usec) / 1e6;
}

void stage_acc_add(struct stage_acc *acc, const struct stage_clock *from, const struct stage_clock *to)
{
	acc->user += tv_diff(&from->ru.ru_utime, &to->ru.ru_utime);
	acc->sys += tv_diff(&from->ru.ru_stime, &to->ru.ru_stime);
	acc->wall += (double)(to->wall.tv_sec - from->wall.tv_sec) + (double)(to->wall.tv_nsec - from->wall.tv_nsec) / 1e9;
}

double stage_acc_cpu(const struct stage_acc *acc)
{
	return acc->user + acc->sys;
}

void stage_acc_sub(struct stage_acc *acc, const struct stage_clock *from, const struct stage_clock *to)
{
	struct stage_acc d = { 0 };

	stage_acc_add(&d, from, to);
	acc->user -= d.user;
	acc->sys -= d.sys;
	acc->wall -= d.wall;
}
