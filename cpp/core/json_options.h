// Reading an options object that a user or a file gave as JSON, with one
// message style for every layer: bounded before parsing (core/json_limits.h),
// unknown keys named, values named with what they must be, and never echoed
// whole (a hostile value can be megabytes or nested thousands deep).
#pragma once
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "core/error.h"
#include "core/json_limits.h"

namespace lst::json_options {

using json = nlohmann::json;

// A value for an error message: short, whatever it is.
inline std::string shown(const json& v) {
  if (v.is_array()) return "a list";
  if (v.is_object()) return "an object";
  std::string s = v.dump();
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

// Parses `text` ("" = {}) as an object of at most `max_bytes`, nested at most `max_depth`.
inline json parse_object(const std::string& text, size_t max_bytes, int max_depth, const char* what) {
  if (text.empty()) return json::object();
  LST_CHECK(text.size() <= max_bytes, what, ": more than ", max_bytes, " bytes of JSON");
  check_json_nesting(text, max_depth, what);
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  LST_CHECK(!j.is_discarded(), what, " are not valid JSON");
  LST_CHECK(j.is_object(), what, " must be an object, got ", shown(j));
  return j;
}

// Throws naming the first key of `j` that is not in `keys`, and listing them.
inline void check_keys(const json& j, std::initializer_list<const char*> keys) {
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (const char* k : keys) known = known || key == k;
    if (known) continue;
    std::string list;
    for (const char* k : keys) list += std::string(list.empty() ? "" : ", ") + k;
    LST_FAIL("unknown option '", key.size() > 40 ? key.substr(0, 37) + "..." : key, "' (expected ", list, ")");
  }
}

// True when `key` is present and not null (JS undefined never reaches JSON; null means "not given").
inline bool given(const json& j, const char* key) { return j.contains(key) && !j[key].is_null(); }

// An integer in [lo, hi]; a float with an integral value counts (JS numbers).
inline int64_t integer(const json& v, const char* name, int64_t lo, int64_t hi) {
  const bool ok = v.is_number_integer() || (v.is_number_float() && std::isfinite(v.get<double>()) &&
                                            v.get<double>() == std::floor(v.get<double>()) &&
                                            std::fabs(v.get<double>()) < 9.007199254740992e15);
  const int64_t i = !ok ? 0
                    : v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX) ? INT64_MAX
                                                                                          : v.get<int64_t>();
  LST_CHECK(ok && i >= lo && i <= hi, name, " must be an integer in [", lo, ", ", hi, "], got ", shown(v));
  return i;
}

// A finite number.
inline double number(const json& v, const char* name) {
  LST_CHECK(v.is_number(), name, " must be a number, got ", shown(v));
  const double d = v.get<double>();
  LST_CHECK(std::isfinite(d), name, " must be a finite number, got ", shown(v));
  return d;
}

// true or false.
inline bool boolean(const json& v, const char* name) {
  LST_CHECK(v.is_boolean(), name, " must be true or false, got ", shown(v));
  return v.get<bool>();
}

}  // namespace lst::json_options
