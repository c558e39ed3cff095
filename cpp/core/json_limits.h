// Bounds on JSON read from files and users, checked before parsing: a
// header or option object nested thousands of levels deep would exhaust the
// stack of a recursive parser or printer (a segfault natively, a trap in wasm).
#pragma once
#include <string>

#include "core/error.h"

namespace lst {

// Throws lst::Error when `text` nests arrays/objects deeper than `max_depth`.
inline void check_json_nesting(const std::string& text, int max_depth, const char* what) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_string) {
      if (ch == '\\') ++i;
      else if (ch == '"') in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      LST_CHECK(++depth <= max_depth, what, ": JSON nested more than ", max_depth, " levels deep");
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
}

}  // namespace lst
