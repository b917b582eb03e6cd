/* cairn-agent prune: not yet written. */
#include "agent.h"

#include "cli.h"

int cmd_prune(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("'prune' is not available yet");
	return CAIRN_EXIT_ERROR;
}
