/* cairn-agent run: not yet written. */
#include "agent.h"

#include "cli.h"

int cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("'run' is not available yet");
	return CAIRN_EXIT_ERROR;
}
