// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_MPI_MPI_COMMANDS_H_
#define FANOUT_MPI_MPI_COMMANDS_H_

#include "absl/status/status.h"
#include "mpi/mpi_world.h"

namespace fanout {

// `fanout-mpi` subcommands (tools/fanout_mpi_main.cc); argv[1] is the
// subcommand. Collective: every rank runs them with the same arguments and
// they return the same (agreed) status on every rank.
absl::Status RunMpiAlert(MpiWorld& world, int argc, char** argv);
absl::Status RunMpiBuild(MpiWorld& world, int argc, char** argv);
absl::Status RunMpiLoadtest(MpiWorld& world, int argc, char** argv);

}  // namespace fanout

#endif  // FANOUT_MPI_MPI_COMMANDS_H_
