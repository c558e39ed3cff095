#include "cli/args.h"

#include <cerrno>
#include <cmath>
#include <algorithm>
#include <cstdint>

#include <cstdlib>

#include "core/error.h"
#include "io/safetensors.h"

namespace lst::cli {

Args::Args(int argc, char** argv, int first, const std::set<std::string>& flags) {
  for (int i = first; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) == 0 && s.size() > 2) {
      std::string key = s.substr(2), value = "1";
      auto eq = key.find('=');
      if (eq != std::string::npos) {
        value = key.substr(eq + 1);
        key = key.substr(0, eq);
      } else if (!flags.count(key)) {
        LST_CHECK(i + 1 < argc, "option --", key, " needs a value");
        value = argv[++i];
      }
      options_[key] = value;
    } else {
      positional_.push_back(s);
    }
  }
}

std::string Args::get(const std::string& key, const std::string& fallback) const {
  auto it = options_.find(key);
  return it == options_.end() ? fallback : it->second;
}

std::string Args::require(const std::string& key) const {
  LST_CHECK(has(key), "missing required option --", key);
  return get(key);
}

int Args::get_int(const std::string& key, int fallback) const {
  if (!has(key)) return fallback;
  char* end = nullptr;
  const std::string v = get(key);
  errno = 0;
  long long x = std::strtoll(v.c_str(), &end, 10);
  const std::string shown = v.size() > 40 ? v.substr(0, 37) + "..." : v;
  LST_CHECK(end && *end == '\0' && !v.empty(), "option --", key, " expects an integer, got '", shown, "'");
  LST_CHECK(errno != ERANGE && x >= INT32_MIN && x <= INT32_MAX, "option --", key,
            " expects an integer in [-2^31, 2^31), got ", shown, " (never silently truncated)");
  return static_cast<int>(x);
}

std::vector<int32_t> Args::get_int_list(const std::string& key) const {
  std::vector<int32_t> out;
  const std::string v = get(key);
  for (size_t begin = 0; begin < v.size();) {
    const size_t end = std::min(v.find(',', begin), v.size());
    const std::string item = v.substr(begin, end - begin);
    char* stop = nullptr;
    errno = 0;
    const long long x = std::strtoll(item.c_str(), &stop, 10);
    LST_CHECK(!item.empty() && stop && *stop == '\0' && errno != ERANGE && x >= INT32_MIN && x <= INT32_MAX, "option --",
              key, " expects integers separated by commas, got '", item.size() > 40 ? item.substr(0, 37) + "..." : item,
              "'");
    out.push_back(static_cast<int32_t>(x));
    begin = end + 1;
    if (end + 1 == v.size()) LST_FAIL("option --", key, " expects integers separated by commas, got '' after the last comma");
  }
  return out;
}

double Args::get_double(const std::string& key, double fallback) const {
  if (!has(key)) return fallback;
  char* end = nullptr;
  const std::string v = get(key);
  double x = std::strtod(v.c_str(), &end);
  LST_CHECK(end && *end == '\0' && !v.empty() && std::isfinite(x), "option --", key, " expects a finite number, got '",
            v.size() > 40 ? v.substr(0, 37) + "..." : v, "'");
  return x;
}

void Args::check_known(const std::set<std::string>& known) const {
  for (auto& [k, v] : options_) LST_CHECK(known.count(k), "unknown option --", k);
}

std::string read_config_option(const Args& a) {
  if (!a.has("config")) return "";
  std::string v = a.get("config");
  if (!v.empty() && v[0] == '{') return v;
  auto bytes = read_file_bytes(v);
  return std::string(bytes.begin(), bytes.end());
}

nlohmann::json options_from_flags(const Args& a, std::initializer_list<std::pair<const char*, const char*>> flags) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [flag, key] : flags) {
    if (!a.has(flag)) continue;
    const std::string text = a.get(flag);
    nlohmann::json v = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    j[key] = v.is_number() ? v : nlohmann::json(text);
  }
  return j;
}

}  // namespace lst::cli
