#include "ledger/intake/state_view.h"

#include <memory>

#include "gpuledger/assert.h"
#include "ledger/store/ledger_format.h"
#include "ledger/store/rocks_status.h"

namespace gpuledger {
namespace {

bool Cacheable(std::string_view key) { return !key.empty() && key[0] == format::kTagState; }

bool AnyPresentWithPrefix(
    const std::map<std::string, std::optional<std::string>, std::less<>>& staged,
    std::string_view prefix) {
  for (auto it = staged.lower_bound(prefix);
       it != staged.end() && std::string_view(it->first).starts_with(prefix); ++it) {
    if (it->second) return true;
  }
  return false;
}

}  // namespace

StateView::StateView(rocksdb::DB* db)
    : db_(db), current_(std::make_unique<Layer>()), spare_(std::make_unique<Layer>()) {}

void StateView::Remember(const std::string& key, std::optional<std::string> value) const {
  if (cache_.size() >= kCacheKeysMax) cache_.clear();
  cache_.insert_or_assign(key, std::move(value));
}

Result<std::optional<std::string>> StateView::Get(std::string_view key) const {
  if (auto it = current_->staged.find(key); it != current_->staged.end()) return it->second;
  if (inflight_) {
    if (auto it = inflight_->staged.find(key); it != inflight_->staged.end()) return it->second;
  }
  // Only state keys are cached: dedup keys (one lookup per message) build no string here.
  const bool cacheable = Cacheable(key);
  std::string key_string;
  if (cacheable) {
    key_string.assign(key);
    if (auto it = cache_.find(key_string); it != cache_.end()) return it->second;
  }
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), &value);
  std::optional<std::string> result;
  if (s.ok()) {
    result = std::move(value);
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "read state");
  }
  if (cacheable) Remember(key_string, result);
  return result;
}

Result<bool> StateView::AnyWithPrefix(std::string_view prefix) const {
  if (AnyPresentWithPrefix(current_->staged, prefix)) return true;
  if (inflight_ && AnyPresentWithPrefix(inflight_->staged, prefix)) return true;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  rocksdb::Slice p(prefix.data(), prefix.size());
  it->Seek(p);
  if (it->Valid() && it->key().starts_with(p)) return true;
  if (!it->status().ok()) return FromRocks(it->status(), "scan state");
  return false;
}

void StateView::Put(std::string_view key, std::string_view value) {
  current_->staged.insert_or_assign(std::string(key),
                                    std::optional<std::string>(std::string(value)));
  current_->batch.Put(rocksdb::Slice(key.data(), key.size()),
                      rocksdb::Slice(value.data(), value.size()));
}

void StateView::Erase(std::string_view key) {
  current_->staged.insert_or_assign(std::string(key), std::optional<std::string>());
  current_->batch.Delete(rocksdb::Slice(key.data(), key.size()));
}

rocksdb::WriteBatch* StateView::BeginInflight() {
  GPULEDGER_ASSERT(!inflight_, "a batch is already in flight");
  inflight_ = std::move(current_);
  current_ = std::move(spare_);
  return &inflight_->batch;
}

void StateView::InflightDone(bool written) {
  GPULEDGER_ASSERT(inflight_ != nullptr, "no batch is in flight");
  if (written) {
    for (auto& [key, value] : inflight_->staged) {
      if (Cacheable(key)) Remember(key, std::move(value));
    }
  }
  inflight_->staged.clear();
  inflight_->batch.Clear();
  spare_ = std::move(inflight_);
}

void StateView::Clear() {
  current_->staged.clear();
  current_->batch.Clear();
}

}  // namespace gpuledger
