#include "ledger/state_view.h"

#include <memory>

namespace gpuledger {

Result<std::optional<std::string>> StateView::Get(std::string_view key) const {
  if (auto it = staged_.find(key); it != staged_.end()) return it->second;
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return Status::IOError("read state: " + s.ToString());
  return std::optional<std::string>(std::move(value));
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

void StateView::Clear() {
  staged_.clear();
  batch_.Clear();
}

}  // namespace gpuledger
