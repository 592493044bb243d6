// Copyright 2026 The fan-out engine authors.
//
// Running `mpirun ... build/fanout-mpi` from the tests of tests/mpi.

#ifndef FANOUT_TESTS_MPI_MPI_RUN_H_
#define FANOUT_TESTS_MPI_MPI_RUN_H_

#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace testing {

struct MpiResult {
  int rc = -1;  // exit code, -1 when not exited normally
  std::string out, err;
};

inline MpiResult Shell(const std::string& command) {
  TempDir dir;
  const std::string cmd = absl::StrCat(command, " >", dir.File("out"), " 2>", dir.File("err"),
                                       " </dev/null");
  MpiResult r;
  int status = std::system(cmd.c_str());
  r.out = ReadFileOrEmpty(dir.File("out"));
  r.err = ReadFileOrEmpty(dir.File("err"));
  if (status != -1 && WIFEXITED(status)) r.rc = WEXITSTATUS(status);
  return r;
}

// `mpirun -np ranks fanout-mpi args`, with `env` (VAR=value ...) set; 4
// ranks oversubscribe a 2-core machine, and CI runs as root.
inline MpiResult Mpi(int ranks, const std::string& args, const std::string& env = "") {
  return Shell(absl::StrCat(
      "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ",
      env, " ", FANOUT_MPIEXEC, " --oversubscribe -np ", ranks, " ", FANOUT_MPI_BINARY, " ",
      args));
}

}  // namespace testing
}  // namespace fanout

#endif  // FANOUT_TESTS_MPI_MPI_RUN_H_
