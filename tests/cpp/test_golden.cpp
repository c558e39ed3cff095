// The golden runner: every case in tests/fixtures (or $LST_GOLDEN_DIR) whose
// __metadata__.kind this build supports is checked against the reference package's numbers
// (../shared/golden/README.md tolerances), one printed line per case.
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>

#include "golden_checks.h"
#include "test_util.h"

using namespace lst;

TEST_CASE("golden vectors from the PyTorch package", "[golden]") {
  auto files = test::golden_files();
  REQUIRE(!files.empty());
  int checked = 0;
  for (const auto& path : files) {
    auto f = test::load_file(path);
    auto it = f.st->metadata().find("kind");
    REQUIRE(it != f.st->metadata().end());
    const std::string& kind = it->second;
    const test::GoldenCheck* check = test::find_golden_check(kind);
    const std::string name = std::filesystem::path(path).stem().string();
    if (!check) {
      std::printf("golden %-22s kind %-11s not supported by this build\n", name.c_str(), kind.c_str());
      continue;
    }
    check->run(name, f);
    ++checked;
  }
  REQUIRE(checked > 0);
}
