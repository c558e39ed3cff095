// One checker per golden `kind` (forward, generate, train_grad, ...). Adding a
// kind means adding a checker here; the runner picks it up by name.
#pragma once
#include <string>

#include "test_util.h"

namespace lst::test {

struct GoldenCheck {
  const char* kind;
  void (*run)(const std::string& name, const LoadedFile& file);
};

const GoldenCheck* find_golden_check(const std::string& kind);

}  // namespace lst::test
