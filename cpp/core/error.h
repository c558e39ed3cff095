// One checked-error helper for the whole engine. Errors are exceptions, never
// exit()/abort(): in WebAssembly an abort kills the module, and a JS caller
// must get an Error naming the problem and keep a usable module.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace lst {

// Every error the engine raises on bad input is an lst::Error.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {
template <typename... Args>
[[noreturn]] inline void throw_error(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  throw Error(os.str());
}
}  // namespace detail

}  // namespace lst

// LST_CHECK(cond, "message ", value, ...): throws lst::Error with the message.
#define LST_CHECK(cond, ...)                                   \
  do {                                                         \
    if (!(cond)) ::lst::detail::throw_error(__VA_ARGS__);      \
  } while (0)

#define LST_FAIL(...) ::lst::detail::throw_error(__VA_ARGS__)
