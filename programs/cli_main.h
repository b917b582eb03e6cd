/* The entry point both programs share: usage, --help, --version, the
 * libsodium start-up, dispatch to a command, and the run's job report. */
#ifndef CAIRN_CLI_MAIN_H
#define CAIRN_CLI_MAIN_H

#include <stddef.h>

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

/* Run the command argv[1] of program `program` (also set as cli_program()).
 * The run's job report (job_report.h) lives here: registered before the
 * command runs, finished with its exit code, which is returned. */
int cli_main(const char *program, const char *usage, const struct cli_command *commands, size_t ncommands,
	     int argc, char **argv);

#endif
