// Models whose matrices are kept f16 or int8 (model/stored_weights.h): files
// in both directions, what stays f32, logits near the f32 model's, decode
// equal to a full forward bit for bit, and named errors for malformed
// quantised files.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

#include "core/error.h"
#include "io/safetensors.h"
#include "model/model.h"
#include "model/stored_weights.h"
#include "test_util.h"

using namespace lst;
using Catch::Contains;

namespace {

// dim 40: K = 40 and 160 are not multiples of 32 (a partial last block).
Config small() { return test::byte_config(40, 2, 20, 8, 64); }

Model load(const std::vector<uint8_t>& bytes, std::optional<WeightFormat> f = std::nullopt) {
  ModelOptions o;
  o.weight_format = f;
  return Model::from_safetensors(SafeTensors::parse(bytes.data(), bytes.size()), nullptr, o);
}

std::vector<float> logits(Model& m, const std::vector<int32_t>& tokens) {
  std::vector<float> y(tokens.size() * m.config().num_tokens);
  m.forward(tokens.data(), nullptr, 1, static_cast<int64_t>(tokens.size()), y.data());
  return y;
}

std::vector<int32_t> some_tokens(size_t n) {
  std::vector<int32_t> t(n);
  for (size_t i = 0; i < n; ++i) t[i] = static_cast<int32_t>((i * 37 + 11) % 256);
  return t;
}

// Rewrites a file, letting `edit` change the entries (name, dtype, shape, bytes).
struct Entry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};
std::vector<uint8_t> rewrite(const std::vector<uint8_t>& file,
                             const std::function<void(std::vector<Entry>&, std::map<std::string, std::string>&)>& edit) {
  SafeTensors st = SafeTensors::parse(file.data(), file.size());
  std::vector<Entry> e;
  for (const auto& n : st.names()) {
    const TensorView& v = st.get(n);
    e.push_back({n, v.dtype, v.shape, std::vector<uint8_t>(v.data, v.data + v.nbytes)});
  }
  auto meta = st.metadata();
  edit(e, meta);
  SafeTensorsWriter w;
  for (auto& [k, v] : meta) w.set_metadata(k, v);
  for (auto& x : e) w.add_raw(x.name, x.dtype, x.shape, x.bytes.data());
  return w.serialize();
}

}  // namespace

TEST_CASE("stored weights: int8 and f16 files round-trip, f32 back for PyTorch", "[stored]") {
  const Config c = small();
  Model f32(c, test::random_weights(c, 7));
  const auto tokens = some_tokens(50);
  const std::vector<float> y32 = logits(f32, tokens);

  const auto q8_file = f32.save_safetensors(WeightFormat::kQ8);
  SafeTensors st = SafeTensors::parse(q8_file.data(), q8_file.size());
  CHECK(st.metadata().at("weight_format") == "int8");
  CHECK(st.metadata().at("q8_block_size") == "32");
  CHECK(st.get("layers.0.0.fn.to_q.weight").dtype == DType::kI8);
  CHECK(st.get("layers.0.0.fn.to_q.weight").shape == std::vector<int64_t>{40, 40});
  CHECK(st.get("layers.0.0.fn.to_q.weight.qscale").shape == std::vector<int64_t>{40, 2});
  CHECK(st.get("layers.1.1.fn.net.3.weight.qscale").shape == std::vector<int64_t>{40, 5});
  CHECK(st.get("token_emb.weight").dtype == DType::kI8);
  CHECK(st.get("layers.0.0.norm.weight").dtype == DType::kF32);       // not a matrix
  CHECK(st.get("layers.0.0.fn.to_dynamic_proj.weight").dtype == DType::kF32);

  Model q8 = load(q8_file);
  CHECK(q8.weight_format() == "int8");
  CHECK(q8.weights().layers[0].ff1_w.empty());   // kept as int8, not also as f32
  const std::vector<float> y8 = logits(q8, tokens);
  const double d8 = test::max_abs_diff(y8.data(), y32.data(), y8.size());
  CHECK(d8 > 0);
  CHECK(d8 < 0.05);

  // An int8 model saves the same bytes again, and f32 gives PyTorch its dequantised values.
  CHECK(q8.save_safetensors(WeightFormat::kQ8) == q8_file);
  const auto back = q8.save_safetensors(WeightFormat::kF32);
  Model back32 = load(back);
  CHECK(back32.weight_format() == "f32");
  CHECK(back32.weights().layers[1].ff2_w == q8.stored_matrices().layers[1].ff2->to_f32());
  CHECK(load(back32.save_safetensors(WeightFormat::kQ8)).save_safetensors(WeightFormat::kQ8) == q8_file);

  // f16: a file, and a conversion at load; both compute close to f32.
  // An F16 file computes in f32 by default (kWidenF16ByDefault), f16 when asked.
  CHECK(load(f32.save_safetensors(WeightFormat::kF16)).weight_format() == "f32");
  Model f16 = load(f32.save_safetensors(WeightFormat::kF16), WeightFormat::kF16);
  REQUIRE(f16.weight_format() == "f16");
  const std::vector<float> y16 = logits(f16, tokens);
  CHECK(test::max_abs_diff(y16.data(), y32.data(), y16.size()) < 5e-3);
  Model f16_load = load(f32.save_safetensors(), WeightFormat::kF16);
  const auto& a = *f16_load.stored_matrices().layers[1].ff1;
  const auto& b = *f16.stored_matrices().layers[1].ff1;
  CHECK(std::memcmp(a.f16(), b.f16(), a.bytes()) == 0);
  // Memory: f16 half of f32; int8 rows padded to whole blocks of 32 plus a
  // scale each (at dim 40: 72 bytes a row against f16's 80).
  const size_t f32_bytes = f16.stored_matrices().bytes() * 2;
  CHECK(f32_bytes == 4 * size_t(2 * 256 * 40 + 2 * (3 * 40 * 40 + 2 * 160 * 40)));
  CHECK(q8.stored_matrices().bytes() < f16.stored_matrices().bytes());
  // The constructor converts f32 Weights the same way as a file.
  ModelOptions o;
  o.weight_format = WeightFormat::kQ8;
  Model q8_ctor(c, test::random_weights(c, 7), o);
  CHECK(logits(q8_ctor, tokens) == y8);
  // and widening on load is the old behaviour: f32 compute of the dequantised values
  Model q8_wide = load(q8_file, WeightFormat::kF32);
  CHECK(q8_wide.weight_format() == "f32");
  CHECK(logits(q8_wide, tokens) == logits(back32, tokens));
}

TEST_CASE("stored weights: decode equals a full forward bit for bit (int8, f16)", "[stored]") {
  const Config c = small();
  for (WeightFormat f : {WeightFormat::kQ8, WeightFormat::kF16}) {
    for (int threads : {1, 2}) {
      ModelOptions o;
      o.weight_format = f;
      o.num_threads = threads;
      Model m(c, test::random_weights(c, 9), o);
      const auto tokens = some_tokens(40);
      const std::vector<float> full = logits(m, tokens);
      DecodeCache cache;
      std::vector<float> step(c.num_tokens);
      for (size_t t = 0; t < tokens.size(); ++t) {
        m.forward_cached(&tokens[t], 1, cache, step.data());
        INFO(weight_format_name(f) << " threads " << threads << " position " << t);
        REQUIRE(std::memcmp(step.data(), &full[t * c.num_tokens], c.num_tokens * sizeof(float)) == 0);
      }
    }
  }
}

TEST_CASE("stored weights: malformed quantised files name the problem", "[stored]") {
  const Config c = small();
  Model f32(c, test::random_weights(c, 3));
  const auto file = f32.save_safetensors(WeightFormat::kQ8);
  const std::string q = "layers.1.0.fn.to_out.weight";
  auto drop = [&](const std::string& name) {
    return rewrite(file, [&](std::vector<Entry>& e, auto&) {
      e.erase(std::remove_if(e.begin(), e.end(), [&](const Entry& x) { return x.name == name; }), e.end());
    });
  };
  auto edit = [&](const std::string& name, const std::function<void(Entry&)>& f) {
    return rewrite(file, [&](std::vector<Entry>& e, auto&) {
      for (auto& x : e)
        if (x.name == name) f(x);
    });
  };
  REQUIRE_NOTHROW(load(rewrite(file, [](auto&, auto&) {})));
  CHECK_THROWS_WITH(load(drop(q + ".qscale")),
                    Contains("'" + q + "' is I8 but its scale tensor '" + q + ".qscale' is missing"));
  CHECK_THROWS_WITH(load(edit(q + ".qscale", [](Entry& x) { x.shape = {80, 1}; })),
                    Contains("scale tensor '" + q + ".qscale' has shape [80, 1], expected [40, 2]"));
  CHECK_THROWS_WITH(load(edit(q + ".qscale", [](Entry& x) {
                      x.dtype = DType::kI32;
                    })),
                    Contains("scale tensor '" + q + ".qscale' is I32, expected F32"));
  CHECK_THROWS_WITH(load(edit(q + ".qscale", [](Entry& x) {
                      const float nan = std::nanf("");
                      std::memcpy(x.bytes.data() + 4, &nan, 4);
                    })),
                    Contains("scale tensor '" + q + ".qscale' holds nan at index 1"));
  // A scale beside a matrix that is not I8, or beside a tensor never quantised.
  const auto f16_file = f32.save_safetensors(WeightFormat::kF16);
  SafeTensors q8st = SafeTensors::parse(file.data(), file.size());
  const TensorView& sv = q8st.get(q + ".qscale");
  const std::vector<uint8_t> scale_bytes(sv.data, sv.data + sv.nbytes);
  auto with_scale = [&](const std::vector<uint8_t>& base, const std::string& name, std::vector<int64_t> shape) {
    return rewrite(base, [&](std::vector<Entry>& e, auto&) {
      std::vector<uint8_t> b(scale_bytes);
      b.resize(shape[0] * (shape.size() > 1 ? shape[1] : 1) * 4);
      e.push_back({name, DType::kF32, shape, b});
    });
  };
  CHECK_THROWS_WITH(load(with_scale(f16_file, q + ".qscale", {40, 2})),
                    Contains("scale tensor '" + q + ".qscale' given, but '" + q + "' is F16, not I8"));
  CHECK_THROWS_WITH(load(with_scale(file, "layers.0.0.norm.weight.qscale", {1, 2})),
                    Contains("'layers.0.0.norm.weight' is not a matrix this engine quantises"));
  CHECK_THROWS_WITH(load(rewrite(file, [](auto&, std::map<std::string, std::string>& m) { m["q8_block_size"] = "64"; })),
                    Contains("q8_block_size is \"64\"; this engine reads int8 blocks of 32 only"));
  // load_weights (training, f32 users) dequantises int8 files.
  Weights w = load_weights(q8st, c);
  CHECK(w.layers[1].to_out_w.size() == 40 * 40);
}
