#pragma once
// The zenws subcommands. Each takes the arguments after its name and returns the exit code.

#include "command_line.hpp"

namespace zenws::cli {

int bench_command(arguments& args);
int connect_command(arguments& args);
int demo_command(arguments& args);
int node_command(arguments& args);
int replay_command(arguments& args);
int serve_command(arguments& args);
int sim_command(arguments& args);
int soak_command(arguments& args);

} // namespace zenws::cli
