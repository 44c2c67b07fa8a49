// The bodies of the reference model declared in projection_model.h.
#include "tests/projections/projection_model.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/projection_scenario_util.h"

namespace gpuledger::testing::projection_model {
namespace {

int64_t FloorMoney(int64_t gpu_seconds, int64_t krw_per_gpu_hour) {
  // Small scenarios: at most 3 GPUs x 3 h x 3600 s x 9999 KRW, far from overflow.
  return gpu_seconds * krw_per_gpu_hour / 3600;  // both >= 0: truncation is floor
}

}  // namespace

Json FiguresJson(const Figures& f) {
  Json j = Json::object();
  for (int i = 0; i < 7; ++i) j[kFigureNames[i]] = f.v[i];
  return j;
}

Reference::Reference(const std::vector<Ev>& events, size_t n) : ev_(events), n_(n) {
  std::set<std::string> voided;
  for (size_t i = 0; i < n_; ++i) {
    if (ev_[i].kind == Kind::kVoid) voided.insert(ev_[i].target);
  }
  live_.assign(n_, false);
  for (size_t i = 0; i < n_; ++i) {
    const Ev& e = ev_[i];
    const bool not_voided = voided.count(e.id) == 0;
    switch (e.kind) {
      case Kind::kContract:
        live_[i] = not_voided;
        if (live_[i]) contract_[e.contract_id] = i;
        break;
      case Kind::kCapacity:
        live_[i] = not_voided && contract_.count(e.contract_id);
        break;
      case Kind::kGrant:
        live_[i] = not_voided && contract_.count(e.contract_id);
        if (live_[i]) grant_[e.allocation_id] = i;
        break;
      case Kind::kRelease:
      case Kind::kUsage:
        live_[i] = not_voided && grant_.count(e.allocation_id);
        break;
      case Kind::kClose:
        live_[i] = not_voided;
        break;
      case Kind::kVoid:
        live_[i] = true;
        break;
    }
  }
  // A contract's registration comes before everything referring to it, so the loop
  // above saw it first; but a later void of it is applied through `voided` already.
  // Per contract and GPU: the seconds listed by its live capacity, clipped to its period.
  for (const auto& [cid, ci] : contract_) {
    auto& per_gpu = listed_[cid];
    const Ev& c = ev_[ci];
    for (size_t i = 0; i < n_; ++i) {
      const Ev& e = ev_[i];
      if (!live_[i] || e.kind != Kind::kCapacity || e.contract_id != cid) continue;
      const int64_t lo = std::max(e.start, c.start), hi = std::min(e.end, c.end);
      for (const auto& g : e.uuids) {
        auto& bits = per_gpu[g];
        if (bits.empty()) bits.assign(static_cast<size_t>(kT1 - kT0), 0);
        for (int64_t t = lo; t < hi; ++t) bits[static_cast<size_t>(t - kT0)] = 1;
      }
    }
  }
}

bool Reference::Listed(const std::string& cid, const std::string& gpu, int64_t t) const {
  auto c = listed_.find(cid);
  if (c == listed_.end()) return false;
  auto g = c->second.find(gpu);
  if (g == c->second.end()) return false;
  return g->second[static_cast<size_t>(t - kT0)] != 0;
}

std::map<std::string, std::pair<std::string, Figures>> Reference::Settlement(
    const std::string& month) {
  const auto [ms, me] = KstMonthBounds(month);
  std::map<std::string, std::pair<std::string, Figures>> out;
  for (const auto& [cid, ci] : contract_) {
    const Ev& c = ev_[ci];
    const int64_t lo = std::max(c.start, ms), hi = std::min(c.end, me);
    if (lo >= hi) continue;
    Figures f;
    int64_t committed = 0, delivered = 0, payable = 0, shortfall = 0;
    for (int64_t h = lo; h < hi; h += 3600) {
      int64_t d = 0;
      for (int64_t t = h; t < h + 3600; ++t) {
        for (const auto& [gpu, bits] : listed_[cid]) {
          if (!bits[static_cast<size_t>(t - kT0)]) continue;
          bool double_claimed = false;
          for (const auto& [other, other_ci] : contract_) {
            if (other != cid && Listed(other, gpu, t)) double_claimed = true;
          }
          if (!double_claimed) ++d;
        }
      }
      const int64_t ch = c.committed * 3600;
      committed += ch;
      delivered += d;
      payable += std::min(d, ch);
      shortfall += std::max<int64_t>(0, ch - d);
    }
    f.v[0] = committed;
    f.v[1] = delivered;
    f.v[2] = payable;
    f.v[3] = shortfall;
    f.v[4] = FloorMoney(payable, c.price);
    f.v[5] = FloorMoney(shortfall, c.penalty);
    f.v[6] = f.v[4] - f.v[5];
    out[cid] = {c.csp_id, f};
  }
  return out;
}

std::pair<int64_t, int64_t> Reference::Window(const std::string& aid) const {
  const Ev& g = ev_[grant_.at(aid)];
  std::optional<int64_t> at;
  for (size_t i = 0; i < n_; ++i) {
    const Ev& e = ev_[i];
    if (live_[i] && e.kind == Kind::kRelease && e.allocation_id == aid) {
      at = at ? std::min(*at, e.at) : e.at;
    }
  }
  if (!at) return {g.start, g.end};
  return {g.start, std::max(g.start, std::min(g.end, *at))};
}

Json Reference::Usage(const std::string& month) const {
  const auto [ms, me] = KstMonthBounds(month);
  Json rows = Json::array();
  for (const auto& [aid, gi] : grant_) {
    const Ev& g = ev_[gi];
    const auto [ws, we] = Window(aid);
    const int64_t inside = std::min(we, me) - std::max(ws, ms);
    if (inside <= 0) continue;
    int64_t used = 0;
    for (size_t i = 0; i < n_; ++i) {
      const Ev& u = ev_[i];
      if (!live_[i] || u.kind != Kind::kUsage || u.allocation_id != aid) continue;
      if (KstMonthOf(u.start) != month) continue;
      const int64_t len = u.end - u.start;
      const int64_t in = std::max<int64_t>(0, std::min(u.end, we) - std::max(u.start, ws));
      used += std::min(u.gpu_seconds, g.gpus * len) * in / len;
    }
    rows.push_back({{"allocation_id", aid},
                    {"contract_id", g.contract_id},
                    {"user_id", g.user_id},
                    {"month", month},
                    {"granted_gpu_seconds", g.gpus * inside},
                    {"used_gpu_seconds", used}});
  }
  return rows;
}

std::optional<size_t> Reference::LiveClose(const std::string& month) const {
  for (size_t i = 0; i < n_; ++i) {
    if (live_[i] && ev_[i].kind == Kind::kClose && ev_[i].month == month) return i;
  }
  return std::nullopt;
}

std::optional<std::pair<int64_t, int64_t>> Reference::Footprint(size_t i, bool* ambiguous) const {
  const Ev& e = ev_[i];
  switch (e.kind) {
    case Kind::kContract:
      return std::make_pair(e.start, e.end);
    case Kind::kCapacity: {
      const Ev& c = ev_[contract_.at(e.contract_id)];
      return std::make_pair(std::max(e.start, c.start), std::min(e.end, c.end));
    }
    case Kind::kGrant:
      return std::make_pair(e.start, e.end);
    case Kind::kRelease: {
      const Ev& g = ev_[grant_.at(e.allocation_id)];
      return std::make_pair(std::max(g.start, std::min(g.end, e.at)), g.end);
    }
    case Kind::kUsage:
      return std::make_pair(e.start, e.end);
    case Kind::kClose:
      return std::nullopt;
    case Kind::kVoid: {
      for (size_t j = 0; j < i; ++j) {
        if (ev_[j].id != e.target) continue;
        const Ev& t = ev_[j];
        if (t.kind == Kind::kClose) return std::nullopt;
        bool refs_live = true;
        if (t.kind == Kind::kCapacity || t.kind == Kind::kGrant) {
          refs_live = contract_.count(t.contract_id) > 0;
        } else if (t.kind == Kind::kRelease || t.kind == Kind::kUsage) {
          refs_live = grant_.count(t.allocation_id) > 0;
        }
        // A voided contract / grant has no live registration to look its footprint up.
        if (!refs_live) {
          *ambiguous = true;
          return std::nullopt;
        }
        switch (t.kind) {
          case Kind::kContract:
          case Kind::kGrant:
          case Kind::kUsage:
            return std::make_pair(t.start, t.end);
          case Kind::kCapacity: {
            const Ev& c = ev_[contract_.at(t.contract_id)];
            return std::make_pair(std::max(t.start, c.start), std::min(t.end, c.end));
          }
          case Kind::kRelease: {
            const Ev& g = ev_[grant_.at(t.allocation_id)];
            return std::make_pair(std::max(g.start, std::min(g.end, t.at)), g.end);
          }
          default:
            return std::nullopt;
        }
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::vector<Json> Reference::Anomalies(std::set<std::string>* skip) const {
  std::vector<Json> rows;
  // gpu_double_claimed.
  for (auto a = contract_.begin(); a != contract_.end(); ++a) {
    for (auto b = std::next(a); b != contract_.end(); ++b) {
      const auto la = listed_.find(a->first), lb = listed_.find(b->first);
      if (la == listed_.end() || lb == listed_.end()) continue;
      for (const auto& [gpu, bits_a] : la->second) {
        auto gb = lb->second.find(gpu);
        if (gb == lb->second.end()) continue;
        const auto& bits_b = gb->second;
        for (int64_t t = kT0; t < kT1;) {
          const size_t k = static_cast<size_t>(t - kT0);
          if (!(bits_a[k] && bits_b[k])) {
            ++t;
            continue;
          }
          int64_t end = t;
          while (end < kT1 && bits_a[static_cast<size_t>(end - kT0)] &&
                 bits_b[static_cast<size_t>(end - kT0)]) {
            ++end;
          }
          std::optional<size_t> last;
          for (size_t i = 0; i < n_; ++i) {
            const Ev& e = ev_[i];
            if (!live_[i] || e.kind != Kind::kCapacity) continue;
            if (e.contract_id != a->first && e.contract_id != b->first) continue;
            if (std::find(e.uuids.begin(), e.uuids.end(), gpu) == e.uuids.end()) continue;
            if (e.start < end && t < e.end) last = i;
          }
          Json row = {{"kind", "gpu_double_claimed"},
                      {"contract_ids", Json::array({a->first, b->first})},
                      {"gpu_uuid", gpu},
                      {"start", UtcText(t)},
                      {"end", UtcText(end)}};
          row["event_id"] = last ? ev_[*last].id : "<none>";
          row["source"] = last ? ev_[*last].source : "<none>";
          rows.push_back(row);
          t = end;
        }
      }
    }
  }
  for (size_t i = 0; i < n_; ++i) {
    const Ev& e = ev_[i];
    if (!live_[i]) continue;
    if (e.kind == Kind::kCapacity) {
      const Ev& c = ev_[contract_.at(e.contract_id)];
      if (e.start < c.start || e.end > c.end) {
        rows.push_back({{"kind", "capacity_outside_contract"},
                        {"event_id", e.id},
                        {"source", e.source},
                        {"contract_id", e.contract_id},
                        {"start", UtcText(e.start)},
                        {"end", UtcText(e.end)}});
      }
    }
    if (e.kind == Kind::kUsage) {
      const Ev& g = ev_[grant_.at(e.allocation_id)];
      const int64_t max = g.gpus * (e.end - e.start);
      if (e.gpu_seconds > max) {
        rows.push_back({{"kind", "usage_over_reported"},
                        {"event_id", e.id},
                        {"source", e.source},
                        {"allocation_id", e.allocation_id},
                        {"contract_id", g.contract_id},
                        {"start", UtcText(e.start)},
                        {"end", UtcText(e.end)},
                        {"gpu_seconds", e.gpu_seconds},
                        {"max_gpu_seconds", max}});
      }
      const auto [ws, we] = Window(e.allocation_id);
      if (e.start < ws || e.end > we) {
        rows.push_back({{"kind", "usage_outside_allocation"},
                        {"event_id", e.id},
                        {"source", e.source},
                        {"allocation_id", e.allocation_id},
                        {"contract_id", g.contract_id},
                        {"start", UtcText(e.start)},
                        {"end", UtcText(e.end)},
                        {"window_start", UtcText(ws)},
                        {"window_end", UtcText(we)}});
      }
      for (size_t j = 0; j < i; ++j) {
        const Ev& o = ev_[j];
        if (!live_[j] || o.kind != Kind::kUsage || o.allocation_id != e.allocation_id) {
          continue;
        }
        const int64_t lo = std::max(e.start, o.start), hi = std::min(e.end, o.end);
        if (lo >= hi) continue;
        rows.push_back({{"kind", "usage_overlap"},
                        {"event_id", e.id},
                        {"source", e.source},
                        {"other_event_id", o.id},
                        {"allocation_id", e.allocation_id},
                        {"contract_id", g.contract_id},
                        {"start", UtcText(lo)},
                        {"end", UtcText(hi)}});
      }
    }
  }
  // late_for_closed_period.
  for (const auto& month : kMonths) {
    const auto close = LiveClose(month);
    if (!close) continue;
    const auto [ms, me] = KstMonthBounds(month);
    for (size_t i = *close + 1; i < n_; ++i) {
      if (!live_[i]) continue;
      bool ambiguous = false;
      const auto fp = Footprint(i, &ambiguous);
      if (ambiguous) {
        skip->insert(ev_[i].id + "|" + month);
        continue;
      }
      if (!fp || fp->first >= fp->second) continue;
      if (fp->first < me && ms < fp->second) {
        rows.push_back({{"kind", "late_for_closed_period"},
                        {"event_id", ev_[i].id},
                        {"source", ev_[i].source},
                        {"month", month}});
      }
    }
  }
  return rows;
}

Json ExpectedSettlement(const std::vector<Ev>& events, const std::string& month) {
  Reference now(events, events.size());
  auto current = now.Settlement(month);
  const auto close = now.LiveClose(month);
  std::map<std::string, std::pair<std::string, Figures>> frozen;
  if (close) frozen = Reference(events, *close).Settlement(month);
  std::set<std::string> ids;
  for (const auto& [cid, v] : current) ids.insert(cid);
  for (const auto& [cid, v] : frozen) ids.insert(cid);
  Json rows = Json::array();
  for (const auto& cid : ids) {
    const auto c = current.find(cid);
    const auto f = frozen.find(cid);
    const Figures cur = c != current.end() ? c->second.second : Figures{};
    Json row = {{"contract_id", cid},
                {"csp_id", c != current.end() ? c->second.first : f->second.first},
                {"month", month}};
    for (int i = 0; i < 7; ++i) row[kFigureNames[i]] = cur.v[i];
    if (close) {
      const Figures fr = f != frozen.end() ? f->second.second : Figures{};
      Figures adj;
      for (int i = 0; i < 7; ++i) adj.v[i] = cur.v[i] - fr.v[i];
      row["frozen"] = FiguresJson(fr);
      row["adjustment"] = FiguresJson(adj);
      row["closed_at_tree_size"] = *close;
      row["closed_at_root"] = "<hex64>";
    }
    rows.push_back(row);
  }
  return rows;
}

}  // namespace gpuledger::testing::projection_model
