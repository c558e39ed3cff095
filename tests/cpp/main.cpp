// Catch2 (v2, Debian's single header) entry point for the whole C++ suite.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
