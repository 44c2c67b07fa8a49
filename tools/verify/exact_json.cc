#include "tools/verify/exact_json.h"

#include <vector>

namespace gpuledger::verify {
namespace {

using json = nlohmann::json;
inline constexpr size_t kDepthMax = 64;

// Builds the DOM like nlohmann's own parser, except for numbers beyond 64 bits.
class ExactSax : public nlohmann::json_sax<json> {
 public:
  json root;
  std::string error;

  bool null() override { return Put(json(nullptr)); }
  bool boolean(bool v) override { return Put(json(v)); }
  bool number_integer(number_integer_t v) override { return Put(json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return Put(json(v)); }
  bool number_float(number_float_t, const string_t& text) override {
    // A binary value: JSON text cannot make one, so no input can pose as a big number.
    return Put(json::binary(std::vector<uint8_t>(text.begin(), text.end())));
  }
  bool string(string_t& v) override { return Put(json(v)); }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override { return Open(json::object()); }
  bool key(string_t& k) override {
    if (stack_.back()->contains(k)) {
      error = "repeated key \"" + k + "\"";
      return false;
    }
    key_ = k;
    return true;
  }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(json::array()); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error = e.what();
    return false;
  }

 private:
  bool Put(json v) {
    if (stack_.empty()) {
      root = std::move(v);
      return true;
    }
    json& top = *stack_.back();
    if (top.is_array()) {
      top.push_back(std::move(v));
    } else {
      top[key_] = std::move(v);
    }
    return true;
  }
  bool Open(json v) {
    if (stack_.size() >= kDepthMax) {
      error = "nested too deeply";
      return false;
    }
    json* slot;
    if (stack_.empty()) {
      root = std::move(v);
      slot = &root;
    } else if (stack_.back()->is_array()) {
      stack_.back()->push_back(std::move(v));
      slot = &stack_.back()->back();
    } else {
      slot = &((*stack_.back())[key_] = std::move(v));
    }
    stack_.push_back(slot);
    return true;
  }
  bool Close() {
    stack_.pop_back();
    return true;
  }

  std::vector<json*> stack_;
  std::string key_;
};

}  // namespace

Result<nlohmann::json> ParseExactJson(std::string_view text) {
  ExactSax sax;
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &sax);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("not JSON: ") + e.what());
  }
  if (!ok) return Status::InvalidArgument("not JSON: " + sax.error);
  return std::move(sax.root);
}

std::optional<std::string> IntegerText(const nlohmann::json& v) {
  if (v.is_number_integer()) return v.dump();
  if (v.is_binary()) {
    const auto& bytes = v.get_binary();
    const std::string t(bytes.begin(), bytes.end());
    size_t i = (!t.empty() && t[0] == '-') ? 1 : 0;
    if (i == t.size()) return std::nullopt;
    for (; i < t.size(); ++i) {
      if (t[i] < '0' || t[i] > '9') return std::nullopt;  // a fraction or an exponent
    }
    return t;
  }
  return std::nullopt;
}

}  // namespace gpuledger::verify
