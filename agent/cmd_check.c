/* cairn-agent check: not yet written. */
#include "agent.h"

#include "cli.h"

int cmd_check(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("'check' is not available yet");
	return CAIRN_EXIT_ERROR;
}
