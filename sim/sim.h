#ifndef MECH_SIM_H
#define MECH_SIM_H

/*
 * `mech sim`: a loopback stand-in for the Argo CD and Kubernetes API
 * subset mech reads, computing state from the tenant repos under `home`.
 * argv[0] is "sim"; the flags follow. Returns the process exit code.
 */
int sim_main(int argc, char **argv, const char *home);

#endif
