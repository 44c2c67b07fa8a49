// Benchmark (not a test) of Kafka ingest against a real broker: end-to-end events/s from a
// pre-filled topic into the durable ledger, and, in the same run and on the same topic,
// the rate of a bare librdkafka consumer draining it to nowhere; prints the ratio.
//
//   ops/bench-kafka.sh [--events N]   (starts the real broker, runs this, stops it)
//   gpuledger_bench_kafka --brokers B [--events N] [--partitions P] [--batch M]
#include <fmt/core.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "consumers/kafka/kafka_admin.h"
#include "consumers/kafka/rdkafka_handles.h"
#include "gpuledger/file_intake.h"
#include "gpuledger/kafka_ingest.h"
#include "tools/csp/kafka_produce.h"
#include "tools/csp/simulate.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace gpuledger;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "gpuledger_bench_kafka: %s\n", what.c_str());
  std::exit(1);
}

int64_t MillisSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

struct Input {
  std::string ministry;                 // the ministry's events (ingested before timing)
  std::vector<std::string> partitions;  // CSP events, one file per partition
  uint64_t csp_events = 0, csp_bytes = 0;
};

// Simulated CSP streams (capacity reports with GPU lists, usage), spread over partitions in
// runs of 1000; enough whole months to reach `events`.
Input MakeInput(const std::string& dir, uint64_t events, int partitions,
                uint32_t capacity_interval_seconds) {
  Input in;
  in.ministry = dir + "/ministry.jsonl";
  std::ofstream ministry(in.ministry, std::ios::binary);
  std::vector<std::ofstream> outs;
  for (int p = 0; p < partitions; ++p) {
    in.partitions.push_back(fmt::format("{}/p{}.jsonl", dir, p));
    outs.emplace_back(in.partitions.back(), std::ios::binary);
  }
  SimulateOptions sim;
  sim.csps = 4;
  sim.capacity_interval_seconds = capacity_interval_seconds;
  sim.close_month = false;
  sim.scale = 1;
  while (true) {
    auto summary = Simulate(sim, [](const SimulatedEvent&) {});
    if (!summary.ok()) Die(summary.status().ToString());
    if (summary->events >= events || sim.scale >= 64) break;
    sim.scale *= 2;
  }
  auto summary = Simulate(sim, [&](const SimulatedEvent& e) {
    if (e.source == "ministry") {
      ministry << e.json << '\n';
    } else if (in.csp_events < events) {
      outs[(in.csp_events / 1000) % partitions] << e.json << '\n';
      ++in.csp_events;
      in.csp_bytes += e.json.size();
    }
  });
  if (!summary.ok()) Die(summary.status().ToString());
  return in;
}

// Drains every partition of `topic` from the beginning with a plain consumer, to nowhere;
// *first_record is when the first record arrived (the rest is connection set-up).
uint64_t BareConsume(const std::string& brokers, const std::string& topic, int partitions,
                     Clock::time_point* first_record) {
  kafka::ConfPtr conf(rd_kafka_conf_new());
  Status s = kafka::SetProperties(conf.get(), {{"bootstrap.servers", brokers},
                                               {"group.id", "bench-bare"},
                                               {"enable.partition.eof", "true"},
                                               {"enable.auto.commit", "false"}});
  if (!s.ok()) Die(s.ToString());
  char err[512];
  kafka::KafkaPtr rk(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), err, sizeof err));
  if (!rk) Die(err);
  conf.release();
  rd_kafka_poll_set_consumer(rk.get());
  kafka::PartitionListPtr list(rd_kafka_topic_partition_list_new(partitions));
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk.get(), list.get());
  uint64_t n = 0;
  std::set<int32_t> at_end;
  while (static_cast<int>(at_end.size()) < partitions) {
    kafka::MessagePtr m(rd_kafka_consumer_poll(rk.get(), 1000));
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(m->partition);
    } else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (n++ == 0) *first_record = Clock::now();
    }
  }
  rd_kafka_consumer_close(rk.get());
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Kafka ingest benchmark against a real broker"};
  std::string brokers;
  uint64_t events = 200000;
  int partitions = 4;
  size_t batch = 5000;
  uint32_t capacity_interval_seconds = 300;
  app.add_option("--brokers", brokers, "bootstrap servers of a real broker")->required();
  app.add_option("--events", events, "CSP events in the topic")->check(CLI::Range(1000, 20000000));
  app.add_option("--partitions", partitions, "partitions of the topic")->check(CLI::Range(1, 64));
  app.add_option("--batch", batch, "records per durable batch")->check(CLI::Range(1, 1000000));
  app.add_option("--capacity-interval-seconds", capacity_interval_seconds,
                 "seconds between simulated capacity reports (fewer: smaller average events)")
      ->check(CLI::Range(60, 3600));
  CLI11_PARSE(app, argc, argv);

  fs::path dir = fs::temp_directory_path() / fmt::format("gpuledger-bench-kafka-{}", getpid());
  fs::create_directories(dir);
  Input in = MakeInput(dir.string(), events, partitions, capacity_interval_seconds);
  const std::string topic = fmt::format("bench-{}", getpid());
  if (Status s = kafka::CreateTopic(brokers, topic, partitions); !s.ok()) Die(s.ToString());
  for (int p = 0; p < partitions; ++p) {
    ProduceOptions po;
    po.brokers = brokers;
    po.topic = topic;
    po.partition = p;
    po.properties = {{"linger.ms", "20"}, {"batch.num.messages", "10000"}};
    auto r = ProduceFile(in.partitions[p], po);
    if (!r.ok()) Die(r.status().ToString());
  }
  std::printf("topic %s: %llu CSP events, %llu bytes (%llu bytes/event), %d partitions\n",
              topic.c_str(), static_cast<unsigned long long>(in.csp_events),
              static_cast<unsigned long long>(in.csp_bytes),
              static_cast<unsigned long long>(in.csp_bytes / in.csp_events), partitions);

  Clock::time_point t0 = Clock::now();
  Clock::time_point bare_first{};
  uint64_t bare_n = BareConsume(brokers, topic, partitions, &bare_first);
  int64_t bare_ms = std::max<int64_t>(1, MillisSince(t0));
  int64_t bare_setup_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(bare_first - t0).count();
  if (bare_n != in.csp_events) Die(fmt::format("bare consumer read {} records", bare_n));
  uint64_t bare_rate = bare_n * 1000 / bare_ms;
  uint64_t bare_steady_rate = bare_n * 1000 / std::max<int64_t>(1, bare_ms - bare_setup_ms);

  auto ledger = Ledger::Open((dir / "ledger").string(), LedgerOptions{});
  if (!ledger.ok()) Die(ledger.status().ToString());
  auto head = IngestFile(*ledger.value(), in.ministry, FileIngestOptions{});
  if (!head.ok()) Die(head.status().ToString());
  auto config = ParseKafkaConfig(fmt::format(
      R"({{"kafka":{{"bootstrap.servers":"{}","group.id":"bench-{}"}},"topics":{{"{}":["csp/*"]}},
          "batch":{{"messages_max":{}}}}})",
      brokers, topic, topic, batch));
  if (!config.ok()) Die(config.status().ToString());
  ServeOptions options;
  options.drain = true;
  Clock::time_point assigned_at{};
  options.log = [&](std::string_view line) {
    if (assigned_at == Clock::time_point{} && line.starts_with("assigned"))
      assigned_at = Clock::now();
  };
  t0 = Clock::now();
  auto stats = Serve(*ledger.value(), config.value(), options);
  int64_t serve_ms = std::max<int64_t>(1, MillisSince(t0));
  if (!stats.ok()) Die(stats.status().ToString());
  if (stats->counts.total() != in.csp_events) Die("serve judged a different count");
  int64_t join_ms = std::chrono::duration_cast<std::chrono::milliseconds>(assigned_at - t0).count();
  uint64_t serve_rate = stats->counts.total() * 1000 / serve_ms;
  uint64_t after_join_rate =
      stats->counts.total() * 1000 / std::max<int64_t>(1, serve_ms - join_ms);
  std::printf(
      "bare librdkafka consumer: %llu events/s (%lld ms, of which %lld ms until the "
      "first record; %llu events/s after it)\n",
      static_cast<unsigned long long>(bare_rate), static_cast<long long>(bare_ms),
      static_cast<long long>(bare_setup_ms), static_cast<unsigned long long>(bare_steady_rate));
  std::printf(
      "serve into the durable ledger: %llu events/s (%lld ms, of which %lld ms joining "
      "the group; %llu events/s after the join); %llu accepted, %llu rejected\n",
      static_cast<unsigned long long>(serve_rate), static_cast<long long>(serve_ms),
      static_cast<long long>(join_ms), static_cast<unsigned long long>(after_join_rate),
      static_cast<unsigned long long>(stats->counts.accepted),
      static_cast<unsigned long long>(stats->counts.rejected));
  // Ratios in thousandths: integers, like everything else here.
  auto ratio = [](uint64_t a, uint64_t b) {
    return fmt::format("{}.{:03}", a * 1000 / b / 1000, a * 1000 / b % 1000);
  };
  std::printf(
      "ratio serve/bare: %s whole runs; %s from the first record (bare) and the "
      "assignment (serve)\n",
      ratio(serve_rate, bare_rate).c_str(), ratio(after_join_rate, bare_steady_rate).c_str());
  ledger.value().reset();
  // The same events through file intake into another fresh ledger: what the ledger itself
  // takes, without Kafka.
  auto file_ledger = Ledger::Open((dir / "file-ledger").string(), LedgerOptions{});
  if (!file_ledger.ok()) Die(file_ledger.status().ToString());
  if (!IngestFile(*file_ledger.value(), in.ministry, FileIngestOptions{}).ok()) Die("ministry");
  t0 = Clock::now();
  for (const std::string& part : in.partitions) {
    if (!IngestFile(*file_ledger.value(), part, FileIngestOptions{}).ok()) Die("file ingest");
  }
  uint64_t file_rate = in.csp_events * 1000 / std::max<int64_t>(1, MillisSince(t0));
  std::printf("file ingest of the same events: %llu events/s; serve/file ingest: %s\n",
              static_cast<unsigned long long>(file_rate),
              ratio(after_join_rate, file_rate).c_str());
  file_ledger.value().reset();
  fs::remove_all(dir);
  return 0;
}
