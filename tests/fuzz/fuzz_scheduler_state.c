/* Fuzz target: the scheduler state file (<state dir>/scheduler.json, read by
 * `cairn-agent run` at start-up: agent/run_state.c) and what the scheduler
 * computes from the times it holds. The parser is static, so this target
 * compiles run_state.c itself. Jobs come from a fixed configuration with an
 * interval, a cron schedule, jitter, prune, check and a drill. */
#include "harness.h"

#include "../../agent/run_state.c"

#include "cairn/config.h"
#include "cairn/scheduler.h"

#define NOW_NS 1764590400000000000LL

static const char conf[] = "[repository]\nurl = /srv/cairn\n"
			   "[replica dr]\nurl = /srv/dr\nschedule = 17 */2 * * *\n"
			   "[backup home]\npath = /home\nschedule = every 1h\njitter = 10m\n"
			   "[backup etc]\npath = /etc\nschedule = 0 3 31 * mon\n"
			   "[jobs]\nprune = @weekly\ncheck = every 1d\ncheck-read-data = 5\n"
			   "[drill weekly]\nsite = dr\nschedule = 0 4 * * sun\njitter = 1h\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cairn_config *cfg; /* parsed once */
	struct cairn_scheduler *s = NULL;
	struct cairn_job_state st;
	json_t *root, *jobs, *v;
	const char *name;
	size_t idx;
	int64_t due;

	if (cfg == NULL && cairn_config_parse(conf, "fuzz.conf", &cfg) != 0)
		abort();
	root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (root == NULL)
		return 0;
	if (cairn_scheduler_new("fuzz-host", CAIRN_SCHEDULE_UTC, &s) != 0 || cairn_scheduler_add_config(s, cfg, NULL) != 0)
		abort();
	jobs = json_object_get(root, "jobs");
	json_object_foreach(jobs, name, v) {
		if (parse_job_state(v, &st) != 0)
			continue;
		if (st.first_seen_ns < 0 || st.last_start_ns < 0 || st.last_end_ns < 0 || st.last_exit < -1 ||
		    st.last_exit > 255)
			__builtin_trap();
		(void)cairn_scheduler_set_state(s, name, &st);
	}
	json_decref(root);
	cairn_scheduler_start(s, NOW_NS);
	for (size_t i = 0; i < cairn_scheduler_count(s); i++)
		(void)cairn_scheduler_due(s, i, NOW_NS, &due);
	if (cairn_scheduler_next(s, NOW_NS, &idx, &due) == 0) {
		if (cairn_scheduler_started(s, idx, NOW_NS) != 0 ||
		    cairn_scheduler_finished(s, idx, NOW_NS + 1, 0, false) != 0)
			__builtin_trap();
		(void)cairn_scheduler_next(s, NOW_NS + 1, &idx, &due);
	}
	cairn_scheduler_free(s);
	cairn_err_clear();
	return 0;
}
