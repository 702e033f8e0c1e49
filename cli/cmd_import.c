#include "cli/cli.h"
int cmd_import(cli_t *c, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_usage(c, "not yet");
}
