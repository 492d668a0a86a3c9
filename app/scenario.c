#include "app/args.h"
#include "app/scenario.h"
#include "cpu/cpu.h"
int scenario_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    errorf("scenario: not built yet");
    return EXIT_USAGE;
}
