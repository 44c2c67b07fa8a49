#include "tests/support/test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gpuledger::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base ? base : "/tmp") + "/gpuledger-test-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream f(path, std::ios::binary);
  f << contents;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

namespace {

pid_t SpawnProgram(std::string program, const std::vector<std::string>& args,
                   const std::string& out_path, const std::string& err_path) {
  std::fflush(nullptr);  // or the child re-prints what the parent had buffered
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    std::string& cli = program;
    argv.push_back(cli.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (!out_path.empty() && !freopen(out_path.c_str(), "w", stdout)) _exit(127);
    if (!err_path.empty() && !freopen(err_path.c_str(), "w", stderr)) _exit(127);
    execv(cli.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

CommandResult RunProgram(const std::string& program, const std::vector<std::string>& args) {
  TempDir io;
  std::string out_path = io.Sub("out"), err_path = io.Sub("err");
  pid_t pid = SpawnProgram(program, args, out_path, err_path);
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadFile(out_path);
  r.err = ReadFile(err_path);
  return r;
}

}  // namespace

pid_t SpawnCli(const std::vector<std::string>& args, const std::string& out_path,
               const std::string& err_path) {
  return SpawnProgram(GPULEDGER_CLI_PATH, args, out_path, err_path);
}

CommandResult RunCli(const std::vector<std::string>& args) {
  return RunProgram(GPULEDGER_CLI_PATH, args);
}

CommandResult RunVerifier(const std::vector<std::string>& args) {
  return RunProgram(GPULEDGER_VERIFY_PATH, args);
}

}  // namespace gpuledger::testing
