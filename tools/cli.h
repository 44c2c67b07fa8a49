// gpuledger command line: shared declarations of the subcommands (tools/).
// Exit status (spec section 8): 0 success, 1 verification failed or bad input, 2 usage error.
#pragma once

#include <cstdint>
#include <string>

namespace gpuledger::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

int RunIngest(const std::string& data_dir, const std::string& file, uint64_t batch_messages_max,
              bool quiet);
int RunVerify(const std::string& data_dir, bool quiet);
int RunLog(const std::string& data_dir, uint64_t from, uint64_t limit, bool rejects,
           bool duplicates);
int RunShow(const std::string& data_dir, int64_t index, int64_t reject_seq);
int RunStats(const std::string& data_dir);

}  // namespace gpuledger::cli
