/* `trapsim scenario`: teaching scenarios (scenarios/NAME.scn). */
#ifndef TRAPSIM_SCENARIO_H
#define TRAPSIM_SCENARIO_H
int scenario_main(int argc, char **argv);
#endif
