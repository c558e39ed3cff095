// A training step allocates nothing: activations, GEMM packing and attention
// scratch all come from the arena sized up front (llm.c), and the pool's
// parallel loops take a non-owning ChunkFn. Counts operator new (every
// thread) while Trainer::step() runs, after one warm-up step.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>

#include "model/config.h"
#include "model/weights.h"
#include "train/data.h"
#include "train/trainer.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocs{0};

}  // namespace

#if defined(__SANITIZE_ADDRESS__)
#define LST_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LST_TEST_UNDER_ASAN 1
#endif
#endif

#ifdef LST_TEST_UNDER_ASAN
// Under AddressSanitizer (scripts/test-sanitize.sh) the allocator is ASan's,
// and replacing operator new beside it mixes two allocators; its malloc hook
// sees every allocation (new included) instead.
// (sanitizer/allocator_interface.h, declared here: GCC 12 does not ship that header.)
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*, std::size_t),
                                                         void (*free_hook)(const volatile void*));
namespace {
void on_malloc(const volatile void*, std::size_t) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1);
}
void on_free(const volatile void*) {}
const int g_hooks_installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}  // namespace
#else
namespace {
void* counted_alloc(std::size_t n, std::size_t align) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1);
  n = n ? n : 1;
  void* p = align > alignof(std::max_align_t) ? std::aligned_alloc(align, (n + align - 1) / align * align)
                                              : std::malloc(n);
  if (!p) throw std::bad_alloc();
  return p;
}
void* counted_alloc_nothrow(std::size_t n, std::size_t align) noexcept {
  try {
    return counted_alloc(n, align);
  } catch (...) {
    return nullptr;
  }
}
}  // namespace

// Every replaceable form, the nothrow ones too: a form left out would come
// from another allocator and be freed here.
void* operator new(std::size_t n) { return counted_alloc(n, 0); }
void* operator new[](std::size_t n) { return counted_alloc(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_alloc(n, std::size_t(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_alloc(n, std::size_t(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc_nothrow(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc_nothrow(n, 0); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc_nothrow(n, std::size_t(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc_nothrow(n, std::size_t(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
#endif

TEST_CASE("a training step does not allocate (1 and 2 threads)", "[train]") {
  // The counter itself counts (replaced operator new, or ASan's malloc hook).
#ifdef LST_TEST_UNDER_ASAN
  REQUIRE(g_hooks_installed != 0);
#endif
  g_allocs = 0;
  g_counting = true;
  delete new volatile int(7);
  g_counting = false;
  REQUIRE(g_allocs.load() == 1);
  const lst::Config c = lst::Config::from_json(
      R"({"num_tokens":256,"dim":32,"depth":2,"heads":2,"dim_head":16,"max_seq_len":64,)"
      R"("window_size":8,"segment_size":4,"r":1})");
  const lst::Weights w = lst::init_weights(c, 0);
  lst::train::DataSplit data;
  std::mt19937 rng(3);
  data.train.resize(4096);
  data.valid.resize(512);
  for (auto& b : data.train) b = uint8_t(rng());
  for (auto& b : data.valid) b = uint8_t(rng());
  for (int threads : {1, 2}) {
    lst::train::TrainerOptions o;
    o.batch = 2;
    o.accum = 2;
    o.seq = 29;  // padded to 32
    o.steps = 10;
    o.threads = threads;
    o.valid_every = o.sample_every = 0;
    lst::train::Trainer t(c, w, o, &data);
    t.step();  // warm-up
    g_allocs = 0;
    g_counting = true;
    t.step();
    t.step();
    g_counting = false;
    INFO("threads " << threads);
    CHECK(g_allocs.load() == 0);
  }
}
