#include "ledger/state_view.h"

#include <memory>

#include "ledger/ledger_format.h"

namespace gpuledger {

namespace {
bool Cacheable(std::string_view key) { return !key.empty() && key[0] == format::kTagState; }
}  // namespace

Result<std::optional<std::string>> StateView::Get(std::string_view key) const {
  if (auto it = staged_.find(key); it != staged_.end()) return it->second;
  const bool cacheable = Cacheable(key);
  if (cacheable) {
    if (auto it = cache_.find(std::string(key)); it != cache_.end()) return it->second;
  }
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), &value);
  std::optional<std::string> result;
  if (s.ok()) {
    result = std::move(value);
  } else if (!s.IsNotFound()) {
    return Status::IOError("read state: " + s.ToString());
  }
  if (cacheable) {
    if (cache_.size() >= kCacheKeysMax) cache_.clear();
    cache_.emplace(std::string(key), result);
  }
  return result;
}

Status StateView::ScanPrefix(std::string_view prefix,
                             const std::function<bool(std::string_view, std::string_view)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  auto staged = staged_.lower_bound(prefix);
  auto staged_in_prefix = [&] {
    return staged != staged_.end() && std::string_view(staged->first).starts_with(prefix);
  };
  it->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
  auto db_in_prefix = [&] { return it->Valid() && it->key().starts_with(rocksdb::Slice(prefix.data(), prefix.size())); };
  while (db_in_prefix() || staged_in_prefix()) {
    bool take_staged = staged_in_prefix() &&
                       (!db_in_prefix() || std::string_view(staged->first) <= it->key().ToStringView());
    if (take_staged) {
      if (db_in_prefix() && std::string_view(staged->first) == it->key().ToStringView()) it->Next();
      bool go_on = !staged->second || fn(staged->first, *staged->second);
      ++staged;
      if (!go_on) return Status::Ok();
    } else {
      if (!fn(it->key().ToStringView(), it->value().ToStringView())) return Status::Ok();
      it->Next();
    }
  }
  if (!it->status().ok()) return Status::IOError("scan state: " + it->status().ToString());
  return Status::Ok();
}

void StateView::Put(std::string_view key, std::string_view value) {
  staged_.insert_or_assign(std::string(key), std::optional<std::string>(std::string(value)));
  batch_.Put(rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size()));
}

void StateView::Erase(std::string_view key) {
  staged_.insert_or_assign(std::string(key), std::optional<std::string>());
  batch_.Delete(rocksdb::Slice(key.data(), key.size()));
}

void StateView::Committed() {
  for (auto& [key, value] : staged_) {
    if (!Cacheable(key)) continue;
    if (cache_.size() >= kCacheKeysMax) cache_.clear();
    cache_.insert_or_assign(key, std::move(value));
  }
  Clear();
}

void StateView::Clear() {
  staged_.clear();
  batch_.Clear();
}

}  // namespace gpuledger
