// The bindings' marshalling vocabulary (every Wasm* class uses it): C++
// exceptions become error strings returned as values (JS turns them into
// Errors; never abort(), the module stays usable), heap vectors become
// typed-array views for JS to fill, JS numbers become checked counts.
#pragma once
#include <emscripten/val.h>

#include <cstdint>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.h"
#include "kernels/gemm.h"
#include "model/config.h"
#include "model/model.h"
#include "model/weights.h"

namespace lst::wasm {
namespace detail {

inline ModelOptions make_options(int threads, const std::string& backend) {
  ModelOptions o;
  o.backend = backend.empty() ? default_gemm_backend() : parse_gemm_backend(backend.c_str());
  LST_CHECK(threads >= 1, "threads must be >= 1, got ", threads);
  LST_CHECK(threads <= 256, "threads must be <= 256, got ", threads);
  o.num_threads = threads;
  return o;
}

// Runs `fn`, turning any exception into `*error` and false.
template <typename Fn>
bool guarded(std::string* error, Fn&& fn) {
  error->clear();
  try {
    fn();
    return true;
  } catch (const std::bad_alloc&) {
    *error = "out of memory (the WebAssembly heap is limited to 4 GB)";
  } catch (const std::length_error& e) {
    *error = std::string("out of memory: a buffer is too large for the 4 GB WebAssembly heap (") +
             e.what() + ")";
  } catch (const std::exception& e) {
    *error = e.what();
  } catch (...) {
    *error = "unknown C++ exception";
  }
  if (error->empty()) *error = "unknown error";
  return false;
}

// wasm32 has a 32-bit size_t: refuse, before allocating, a model whose
// weights (plus the GEMM's packed copy) cannot fit in the 4 GB heap.
inline void check_fits_heap(const Config& c) {
  const double bytes = double(count_parameters(c)) * sizeof(float) * 2;
  LST_CHECK(bytes < 4294967296.0, "a model of ", count_parameters(c), " parameters needs ",
            bytes / 1073741824.0, " GB (weights and their packed copy), more than the 4 GB WebAssembly heap");
}

inline size_t checked_count(double count) {
  LST_CHECK(count >= 0 && count <= 1073741823.0, "input of ", count, " entries is too large");
  return static_cast<size_t>(count);
}

// Resizes `v` to `count` entries and returns a typed-array view of it for JS
// to fill; null (and *error) when the heap cannot hold it.
template <typename T>
emscripten::val resized_view(std::vector<T>& v, double count, std::string* error) {
  if (!guarded(error, [&] { v.resize(checked_count(count)); })) return emscripten::val::null();
  return emscripten::val(emscripten::typed_memory_view(v.size(), v.data()));
}

}  // namespace detail
using detail::guarded;
using detail::resized_view;
using detail::make_options;
using detail::check_fits_heap;
using detail::checked_count;

}  // namespace lst::wasm
