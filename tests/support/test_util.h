// Helpers shared by the tests: temporary directories, running the CLI, event builders.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gpuledger::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;  // -1 if killed by a signal
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs the gpuledger CLI built beside the tests with `args`, capturing stdout and stderr.
CommandResult RunCli(const std::vector<std::string>& args);
// Runs the offline verifier, gpuledger-verify, likewise.
CommandResult RunVerifier(const std::vector<std::string>& args);
// Starts the CLI and returns its pid at once (the caller waits for it); stdout and stderr go
// to the files given, or stay the test's own when empty.
pid_t SpawnCli(const std::vector<std::string>& args, const std::string& out_path = {},
               const std::string& err_path = {});

void WriteFile(const std::string& path, const std::string& contents);
std::string ReadFile(const std::string& path);

}  // namespace gpuledger::testing
