// Deterministic synthetic month of the programme (see simulate.h). Integer arithmetic and a
// seeded splitmix64 only, so that the bytes are the same on every platform and compiler.
//
// The simulated span is the KST settlement month (spec section 5), so that `period.closed`
// and the settlement of the month see every capacity report. Events are generated one clock
// hour at a time (those whose time lies in (hour start, hour end]) and sorted within the
// hour, so memory stays bounded at any scale.
#include "tools/csp/simulate.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string>
#include <tuple>
#include <vector>

#include "gpuledger/projections.h"  // SettlementMonthBounds

namespace gpuledger {
namespace {

constexpr int64_t kHourSeconds = 3600;
constexpr int64_t kDaySeconds = 86400;
constexpr uint32_t kMaxCsps = 1000;      // keeps ids short and the setup small
constexpr uint32_t kMaxScale = 100'000;  // ditto

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // The modulo bias is irrelevant for a simulation; what matters is that it is portable.
  uint64_t Below(uint64_t n) { return Next() % n; }
  int64_t Int(int64_t n) { return static_cast<int64_t>(Below(static_cast<uint64_t>(n))); }

 private:
  uint64_t state_;
};

// "YYYY-MM" with month 01-12 (years 1970-9999) into its KST month [start, end).
bool ParseMonth(const std::string& month, int64_t* start, int64_t* end) {
  auto bounds = SettlementMonthBounds(month);
  if (!bounds.ok() || month.compare(0, 4, "1970") < 0) return false;
  *start = bounds->first, *end = bounds->second;
  return true;
}

Status Validate(const SimulateOptions& o) {
  if (o.csps < 1 || o.csps > kMaxCsps) {
    return Status::InvalidArgument(fmt::format("csps must be 1..{}", kMaxCsps));
  }
  if (o.scale < 1 || o.scale > kMaxScale) {
    return Status::InvalidArgument(fmt::format("scale must be 1..{}", kMaxScale));
  }
  if (o.capacity_interval_seconds < 60 || kHourSeconds % o.capacity_interval_seconds != 0) {
    return Status::InvalidArgument("capacity_interval_seconds must be at least 60 and divide 3600");
  }
  return Status::Ok();
}

struct Source {
  std::string name;    // "ministry" or "csp/<id>"
  std::string topic;   // "gpu-events.<ministry|id>"
  std::string prefix;  // of its event ids: "<ministry|id>-<month>"
  uint64_t serial = 0;
  std::string NextId(std::string_view kind) {
    return fmt::format("{}-{}-{:06}", prefix, kind, ++serial);
  }
};

struct Contract {
  std::string id;
  uint32_t csp = 0;  // index into the CSPs; its source is csp + 1
  uint32_t committed_gpus = 0;
  std::vector<std::string> gpu_uuids;  // the provisioned pool: committed plus a few spares
  std::vector<int64_t> down_ticks;     // per GPU: capacity intervals it stays missing
  int64_t major_outage_ticks = 0;      // most of the pool missing while > 0
  std::string registration;            // its contract.registered event
};

struct Allocation {
  std::string id;
  uint32_t contract = 0;
  uint32_t gpus = 0;
  int64_t start = 0, end = 0;
  int64_t release_at = 0;  // 0: never released; else inside the window
  bool released_by_ministry = false;
};

std::string Envelope(const std::string& id, const Source& source, std::string_view type_name,
                     int64_t time, std::string_view subject, std::string_view data) {
  std::string subject_attr = subject.empty() ? "" : fmt::format(R"("subject":"{}",)", subject);
  return fmt::format(R"({{"specversion":"1.0","id":"{}","source":"{}","type":"io.gpuledger.{}.v1",)"
                     R"("time":"{}",{}"datacontenttype":"application/json","data":{}}})",
                     id, source.name, type_name, FormatRfc3339Utc(time), subject_attr, data);
}

class Simulator {
 public:
  Simulator(const SimulateOptions& options, int64_t month_start, int64_t month_end,
            const std::function<void(const SimulatedEvent&)>& sink)
      : o_(options),
        rng_(options.seed),
        month_start_(month_start),
        month_end_(month_end),
        sink_(sink) {
    span_end_ = month_end;
    if (options.days > 0) {
      span_end_ = std::min<int64_t>(month_end, month_start + int64_t{options.days} * kDaySeconds);
    }
    span_hours_ = (span_end_ - month_start_) / kHourSeconds;
    ticks_per_hour_ = kHourSeconds / options.capacity_interval_seconds;
  }

  SimulateSummary Run() {
    SetUpSources();
    SetUpContracts();
    SetUpAllocations();
    EmitOpening();
    for (int64_t hour = 0; hour < span_hours_; ++hour) GenerateHour(hour);
    if (o_.close_month) {
      Source& ministry = sources_[0];
      Push(span_end_, 0,
           Envelope(ministry.NextId("close"), ministry, "period.closed", span_end_, "",
                    fmt::format(R"({{"month":"{}"}})", o_.month)));
      if (o_.with_faults) Push(span_end_ + 600, 1, LateCapacityEvent(o_));
    }
    Flush();
    return summary_;
  }

 private:
  enum class Expect { kAccepted, kDuplicate, kRejected };
  struct Pending {
    int64_t time;
    uint32_t source;
    uint64_t seq;
    std::string json;
  };

  void SetUpSources() {
    sources_.push_back({"ministry", "gpu-events.ministry", "ministry-" + o_.month});
    static constexpr std::array<const char*, 3> kNamed = {"kt-cloud", "naver-cloud", "nhn-cloud"};
    static_assert(kNamed[0][0] == 'k', "LateCapacityEvent names CSP 0 kt-cloud");
    for (uint32_t i = 0; i < o_.csps; ++i) {
      std::string id = i < kNamed.size() ? kNamed[i] : fmt::format("csp-{}", i + 1);
      sources_.push_back({"csp/" + id, "gpu-events." + id, id + "-" + o_.month});
      csp_ids_.push_back(std::move(id));
    }
  }

  void SetUpContracts() {
    static constexpr std::array<const char*, 3> kProgrammes = {"hpc-industry", "ai-research",
                                                               "gov-gpu"};
    static constexpr std::array<const char*, 4> kModels = {"H100-80GB", "A100-80GB", "H200-141GB",
                                                           "L40S-48GB"};
    for (uint32_t csp = 0; csp < o_.csps; ++csp) {
      for (uint32_t n = 1; n <= o_.scale; ++n) {
        Contract c;
        // The month in the id lets several simulated months share one ledger.
        c.id = fmt::format("{}-{}-c{}", csp_ids_[csp], o_.month, n);
        c.csp = csp;
        c.committed_gpus = 8 * static_cast<uint32_t>(1 + rng_.Below(8));  // whole servers
        const uint64_t spares = rng_.Below(3);
        for (uint64_t g = 0; g < c.committed_gpus + spares; ++g) {
          // Stable across months: the same physical GPUs serve the contract's successor.
          c.gpu_uuids.push_back(fmt::format("GPU-{}-c{}-{:04}", csp_ids_[csp], n, g));
        }
        c.down_ticks.assign(c.gpu_uuids.size(), 0);
        const uint64_t price = 2000 + 100 * rng_.Below(26);
        const std::string data = fmt::format(
            R"({{"contract_id":"{}","csp_id":"{}","programme":"{}","gpu_model":"{}",)"
            R"("committed_gpus":{},"period_start":"{}","period_end":"{}",)"
            R"("price_krw_per_gpu_hour":{},"penalty_krw_per_gpu_hour":{},)"
            R"("max_gpus_per_allocation":{}}})",
            c.id, csp_ids_[csp], kProgrammes[rng_.Below(kProgrammes.size())],
            kModels[rng_.Below(kModels.size())], c.committed_gpus, FormatRfc3339Utc(month_start_),
            FormatRfc3339Utc(month_end_), price, price * 3 / 2, rng_.Below(2) == 0 ? 8 : 16);
        c.registration = Envelope(sources_[0].NextId("contract"), sources_[0],
                                  "contract.registered", month_start_, "contract/" + c.id, data);
        contracts_.push_back(std::move(c));
      }
    }
  }

  // A few allocations per contract, windows inside the simulated span, some released early.
  void SetUpAllocations() {
    for (uint32_t ci = 0; ci < contracts_.size(); ++ci) {
      const uint64_t count = 3 + rng_.Below(4);
      for (uint64_t k = 1; k <= count; ++k) {
        Allocation a;
        a.id = fmt::format("{}-a{:02}", contracts_[ci].id, k);
        a.contract = ci;
        a.gpus = static_cast<uint32_t>(1 + rng_.Below(8));  // <= every max_gpus_per_allocation
        // span_hours_ >= 24, so the window [sh, eh) has at least two hours.
        const int64_t sh = rng_.Int(span_hours_ * 3 / 4);
        const int64_t eh = sh + 2 + rng_.Int(span_hours_ - sh - 1);
        a.start = month_start_ + sh * kHourSeconds + rng_.Int(4) * 900;
        a.end = month_start_ + eh * kHourSeconds;
        if (eh - sh >= 3 && rng_.Below(4) == 0) {
          const int64_t rh = sh + 1 + rng_.Int(eh - sh - 2);
          a.release_at = month_start_ + rh * kHourSeconds + (1 + rng_.Int(59)) * 60;
          a.released_by_ministry = rng_.Below(2) == 0;
        }
        allocations_.push_back(std::move(a));
      }
    }
  }

  void EmitOpening() {
    for (const Contract& c : contracts_) {
      Push(month_start_, 0, c.registration);
      // A producer retry right after the original: an exact re-send.
      if (o_.with_faults && &c == &contracts_.front()) {
        Push(month_start_, 0, c.registration, Expect::kDuplicate);
      }
    }
    Source& ministry = sources_[0];
    for (const Allocation& a : allocations_) {
      const std::string data = fmt::format(
          R"({{"allocation_id":"{}","contract_id":"{}","user_id":"org-{:04}","gpus":{},)"
          R"("start":"{}","end":"{}"}})",
          a.id, contracts_[a.contract].id, rng_.Below(500), a.gpus, FormatRfc3339Utc(a.start),
          FormatRfc3339Utc(a.end));
      Push(month_start_, 0,
           Envelope(ministry.NextId("grant"), ministry, "allocation.granted", month_start_,
                    "alloc/" + a.id, data));
    }
    Flush();
  }

  void GenerateHour(int64_t hour) {
    const int64_t hs = month_start_ + hour * kHourSeconds;
    const int64_t he = hs + kHourSeconds;
    for (const Allocation& a : allocations_) {
      if (a.release_at > hs && a.release_at <= he) EmitRelease(a);
    }
    const int64_t interval = o_.capacity_interval_seconds;
    for (int64_t tick = 0; tick < ticks_per_hour_; ++tick) {
      for (uint32_t ci = 0; ci < contracts_.size(); ++ci) {
        EmitCapacity(ci, hs + tick * interval, hs + (tick + 1) * interval, hour, tick);
      }
    }
    for (const Allocation& a : allocations_) EmitUsage(a, hs, he, hour);
    if (o_.with_faults && hour == span_hours_ / 3) EmitBadMessages(hs);
    Flush();
  }

  void EmitRelease(const Allocation& a) {
    const uint32_t source = a.released_by_ministry ? 0 : contracts_[a.contract].csp + 1;
    Source& s = sources_[source];
    Push(a.release_at, source,
         Envelope(s.NextId("release"), s, "allocation.released", a.release_at, "alloc/" + a.id,
                  fmt::format(R"({{"allocation_id":"{}","at":"{}"}})", a.id,
                              FormatRfc3339Utc(a.release_at))));
  }

  // Starts outages now and then: one GPU for up to six hours about twice a day, and most of
  // the pool for one to two hours about every ten days, so that shortfall appears.
  void AdvanceOutages(Contract& c) {
    if (rng_.Int(12 * ticks_per_hour_) == 0) {
      const uint64_t gpu = rng_.Below(c.gpu_uuids.size());
      c.down_ticks[gpu] = std::max<int64_t>(c.down_ticks[gpu], 1 + rng_.Int(6 * ticks_per_hour_));
    }
    if (c.major_outage_ticks == 0 && rng_.Int(240 * ticks_per_hour_) == 0) {
      c.major_outage_ticks = ticks_per_hour_ + rng_.Int(ticks_per_hour_ + 1);
    }
  }

  // `foreign`: a GPU of another contract the CSP lists too (a double claim), or empty.
  std::string CapacityData(const Contract& c, int64_t start, int64_t end,
                           const std::vector<size_t>& healthy, const std::string& foreign = "") {
    std::string uuids;
    for (size_t i : healthy) {
      if (!uuids.empty()) uuids += ',';
      uuids += '"' + c.gpu_uuids[i] + '"';
    }
    if (!foreign.empty()) uuids += (uuids.empty() ? "\"" : ",\"") + foreign + '"';
    return fmt::format(
        R"({{"contract_id":"{}","interval_start":"{}","interval_end":"{}","gpu_uuids":[{}]}})",
        c.id, FormatRfc3339Utc(start), FormatRfc3339Utc(end), uuids);
  }

  void EmitCapacity(uint32_t ci, int64_t start, int64_t end, int64_t hour, int64_t tick) {
    Contract& c = contracts_[ci];
    AdvanceOutages(c);
    std::vector<size_t> healthy;
    const size_t survivors = c.major_outage_ticks > 0 ? c.gpu_uuids.size() / 4 : c.gpu_uuids.size();
    for (size_t i = 0; i < survivors; ++i) {
      if (c.down_ticks[i] == 0) healthy.push_back(i);
    }
    for (int64_t& t : c.down_ticks) t = std::max<int64_t>(0, t - 1);
    c.major_outage_ticks = std::max<int64_t>(0, c.major_outage_ticks - 1);

    const uint32_t source = c.csp + 1;
    Source& s = sources_[source];
    const std::string id = s.NextId("cap");
    const std::string subject = "contract/" + c.id;
    // Faults the projections must see: the first contract of the second CSP lists a GPU of
    // the first CSP's contract for half an hour (gpu_double_claimed), and the first CSP
    // voids one of its reports (as if never sent).
    const bool double_claim =
        o_.with_faults && o_.csps >= 2 && ci == o_.scale && hour == span_hours_ / 5 && tick < 3;
    const std::string event =
        Envelope(id, s, "capacity.reported", end, subject,
                 CapacityData(c, start, end, healthy,
                              double_claim ? contracts_[0].gpu_uuids[0] : std::string()));
    Push(end, source, event);
    if (o_.with_faults && ci == 0 && hour == span_hours_ / 2 && tick == 1) {
      Push(end + 60, source,
           Envelope(
               s.NextId("void"), s, "event.voided", end + 60, subject,
               fmt::format(R"({{"event_id":"{}","reason":"sent for the wrong interval"}})", id)));
    }
    if (!o_.with_faults || tick != 0 || ci != c.csp * o_.scale) return;
    if (hour == span_hours_ / 4 && c.csp + 1 == o_.csps) {
      Push(end, source, event, Expect::kDuplicate);  // redelivered after a consumer restart
    }
    if (hour == span_hours_ / 3 && c.csp == 0) {
      // The CSP "corrects" a report by re-sending it under the same id: not allowed.
      if (healthy.empty()) {
        healthy.push_back(0);
      } else {
        healthy.pop_back();
      }
      Push(end, source,
           Envelope(id, s, "capacity.reported", end, subject, CapacityData(c, start, end, healthy)),
           Expect::kRejected);
    }
  }

  void EmitUsage(const Allocation& a, int64_t hs, int64_t he, int64_t hour) {
    const int64_t active_end = a.release_at != 0 ? a.release_at : a.end;
    const int64_t start = std::max(hs, a.start);
    const int64_t end = std::min(he, active_end);
    if (start >= end) return;
    const int64_t most = int64_t{a.gpus} * (end - start);
    int64_t gpu_seconds = 0;
    if (rng_.Below(20) != 0) gpu_seconds = most * (40 + rng_.Int(61)) / 100;
    if (o_.with_faults && !over_reported_ && hour > span_hours_ / 2) {
      gpu_seconds = most + 600;  // accepted, and raised as usage_over_reported
      over_reported_ = true;
    }
    const uint32_t source = contracts_[a.contract].csp + 1;
    Source& s = sources_[source];
    const std::string event =
        Envelope(s.NextId("use"), s, "usage.reported", end, "alloc/" + a.id,
                 fmt::format(R"({{"allocation_id":"{}","interval_start":"{}",)"
                             R"("interval_end":"{}","gpu_seconds":{}}})",
                             a.id, FormatRfc3339Utc(start), FormatRfc3339Utc(end), gpu_seconds));
    Push(end, source, event);
    if (o_.with_faults && !usage_resent_ && hour >= span_hours_ / 2) {
      Push(end, source, event, Expect::kDuplicate);
      usage_resent_ = true;
    }
  }

  // Messages the intake must reject, each with a known reason, from the first CSP.
  void EmitBadMessages(int64_t hs) {
    Source& s = sources_[1];
    const int64_t t = hs + o_.capacity_interval_seconds;
    const Contract& own = contracts_[0];
    if (o_.csps > 1) {  // another CSP's contract: unauthorized_source (check 8)
      const Contract& other = contracts_[o_.scale];
      Push(t, 1,
           Envelope(s.NextId("cap"), s, "capacity.reported", t, "contract/" + other.id,
                    CapacityData(other, hs, t, {0, 1})),
           Expect::kRejected);
    } else {  // a type only the ministry may send: unauthorized_source (check 4)
      Push(t, 1, Envelope(s.NextId("x"), s, "period.closed", t, "", R"({"month":"2026-01"})"),
           Expect::kRejected);
    }
    const std::string truncated =
        Envelope(s.NextId("cap"), s, "capacity.reported", t, "", CapacityData(own, hs, t, {0}));
    Push(t, 1, truncated.substr(0, truncated.size() / 2), Expect::kRejected);  // malformed
    Push(t, 1,
         Envelope(s.NextId("cap"), s, "capacity.forecast", t, "", CapacityData(own, hs, t, {0})),
         Expect::kRejected);  // not a section 3 name: unknown_type
    // A usage interval across the hour boundary: invalid_value (before any reference check).
    Push(t, 1,
         Envelope(s.NextId("use"), s, "usage.reported", t, "alloc/" + allocations_[0].id,
                  fmt::format(R"({{"allocation_id":"{}","interval_start":"{}",)"
                              R"("interval_end":"{}","gpu_seconds":60}})",
                              allocations_[0].id, FormatRfc3339Utc(hs - 600), FormatRfc3339Utc(t))),
         Expect::kRejected);
  }

  void Push(int64_t time, uint32_t source, std::string json, Expect expect = Expect::kAccepted) {
    batch_.push_back({time, source, next_seq_++, std::move(json)});
    ++(expect == Expect::kAccepted    ? summary_.expected_accepted
       : expect == Expect::kDuplicate ? summary_.expected_duplicate
                                      : summary_.expected_rejected);
  }

  void Flush() {
    std::sort(batch_.begin(), batch_.end(), [](const Pending& a, const Pending& b) {
      return std::tie(a.time, a.source, a.seq) < std::tie(b.time, b.source, b.seq);
    });
    for (const Pending& p : batch_) {
      sink_(SimulatedEvent{sources_[p.source].name, sources_[p.source].topic, p.json});
      ++summary_.events;
    }
    batch_.clear();
  }

  const SimulateOptions& o_;
  SplitMix64 rng_;
  const int64_t month_start_, month_end_;
  const std::function<void(const SimulatedEvent&)>& sink_;
  int64_t span_end_ = 0, span_hours_ = 0, ticks_per_hour_ = 0;
  std::vector<Source> sources_;  // [0] the ministry, [1 + i] CSP i
  std::vector<std::string> csp_ids_;
  std::vector<Contract> contracts_;  // CSP by CSP, `scale` each
  std::vector<Allocation> allocations_;
  std::vector<Pending> batch_;
  uint64_t next_seq_ = 0;
  bool over_reported_ = false, usage_resent_ = false;
  SimulateSummary summary_;
};

}  // namespace

std::string LateCapacityEvent(const SimulateOptions& options) {
  int64_t month_start = 0, month_end = 0;
  ParseMonth(options.month, &month_start, &month_end);
  const int64_t end =
      options.days > 0
          ? std::min<int64_t>(month_end, month_start + int64_t{options.days} * kDaySeconds)
          : month_end;
  const std::string csp = "kt-cloud";  // CSP 0 (SetUpSources)
  return fmt::format(
      R"({{"specversion":"1.0","id":"{0}-late-capacity-{1}","source":"csp/{0}",)"
      R"("type":"io.gpuledger.capacity.reported.v1","time":"{3}","datacontenttype":"application/json",)"
      R"("data":{{"contract_id":"{0}-{1}-c1","interval_start":"{2}","interval_end":"{3}",)"
      R"("gpu_uuids":["GPU-{0}-c1-late-spare"]}}}})",
      csp, options.month, FormatRfc3339Utc(end - 600), FormatRfc3339Utc(end));
}

Result<SimulateSummary> Simulate(const SimulateOptions& options,
                                 const std::function<void(const SimulatedEvent&)>& sink) {
  int64_t month_start = 0, month_end = 0;
  if (!ParseMonth(options.month, &month_start, &month_end)) {
    return Status::InvalidArgument("month must be YYYY-MM (year 1970-9999, month 01-12): " +
                                   options.month);
  }
  Status valid = Validate(options);
  if (!valid.ok()) return valid;
  Simulator simulator(options, month_start, month_end, sink);
  return simulator.Run();
}

}  // namespace gpuledger
