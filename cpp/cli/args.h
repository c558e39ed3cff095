// Minimal command-line parsing for the `lst` tool: positional arguments and
// `--key value` / `--flag` options, with errors that name the option.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace lst::cli {

class Args {
 public:
  // `flags` are options that take no value.
  Args(int argc, char** argv, int first, const std::set<std::string>& flags);
  const std::vector<std::string>& positional() const { return positional_; }
  bool has(const std::string& key) const { return options_.count(key) > 0; }
  std::string get(const std::string& key, const std::string& fallback = "") const;
  std::string require(const std::string& key) const;
  int get_int(const std::string& key, int fallback) const;
  double get_double(const std::string& key, double fallback) const;
  // --key 1,2,3: integers separated by commas ("" is an empty list).
  std::vector<int32_t> get_int_list(const std::string& key) const;
  // Throws when an option not in `known` was given (catches typos).
  void check_known(const std::set<std::string>& known) const;

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::string> options_;
};

// --config: JSON text, or a path to a JSON file.
std::string read_config_option(const Args& a);

// Flags as an options object for the engine to parse (GenerateOptions,
// TrainerOptions): each (flag, key) present becomes key: its number when the
// text is one (the engine checks the range), else the text itself (the engine
// names what is wrong with it).
nlohmann::json options_from_flags(const Args& a, std::initializer_list<std::pair<const char*, const char*>> flags);

}  // namespace lst::cli
