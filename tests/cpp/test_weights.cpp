// Loading weights: missing tensors, wrong shapes, non-finite values, F16.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/error.h"
#include "io/safetensors.h"
#include "model/model.h"
#include "test_util.h"

using namespace lst;
using Catch::Contains;

namespace {
Config tiny() {
  return Config::from_json(R"({"num_tokens": 11, "dim": 8, "depth": 2, "heads": 2, "dim_head": 4, "max_seq_len": 16, "window_size": 4, "segment_size": 2, "r": 1})");
}
// Writes w's state_dict, letting `edit` drop or alter entries.
std::vector<uint8_t> save(const Config& c, Weights w, const std::string& skip = "",
                          const std::string& reshape = "", bool f16 = false) {
  SafeTensorsWriter out;
  out.set_metadata("config", c.to_json());
  for (auto& t : state_dict(w, c)) {
    if (t.name == skip) continue;
    auto shape = t.shape;
    if (t.name == reshape) shape = {static_cast<int64_t>(t.data->size())};
    if (f16) out.add_f16(t.name, shape, t.data->data());
    else out.add_f32(t.name, shape, t.data->data());
  }
  return out.serialize();
}
Model load(const std::vector<uint8_t>& bytes) {
  return Model::from_safetensors(SafeTensors::parse(bytes.data(), bytes.size()), nullptr);
}
}  // namespace

TEST_CASE("weights round-trip through safetensors with the reference package's names", "[weights]") {
  Config c = tiny();
  Model m(c, test::random_weights(c, 1));
  auto bytes = m.save_safetensors();
  Model back = load(bytes);
  CHECK(back.config() == c);
  CHECK(back.weights().layers[1].ff2_w == m.weights().layers[1].ff2_w);
  CHECK(back.num_parameters() == m.num_parameters());
  // F16 file: values rounded to half precision, the model still runs; its
  // matrices compute in f32 unless f16 is asked for (ModelOptions::weight_format).
  const auto f16_bytes = m.save_safetensors(/*f16=*/true);
  CHECK(load(f16_bytes).weight_format() == "f32");
  ModelOptions keep;
  keep.weight_format = WeightFormat::kF16;
  Model half = Model::from_safetensors(SafeTensors::parse(f16_bytes.data(), f16_bytes.size()), nullptr, keep);
  CHECK(half.weight_format() == "f16");
  CHECK(half.weights().token_emb.empty());
  CHECK(half.stored_matrices().token_emb->to_f32()[3] == Approx(m.weights().token_emb[3]).epsilon(1e-3));
  ModelOptions widen;
  widen.weight_format = WeightFormat::kF32;
  Model wide = Model::from_safetensors(SafeTensors::parse(f16_bytes.data(), f16_bytes.size()), nullptr, widen);
  CHECK(wide.weight_format() == "f32");
  CHECK(wide.weights().token_emb[3] == Approx(m.weights().token_emb[3]).epsilon(1e-3));
}

TEST_CASE("bad weight files name the tensor", "[weights]") {
  Config c = tiny();
  Weights w = test::random_weights(c, 2);
  REQUIRE_THROWS_WITH(load(save(c, w, "layers.1.0.fn.to_kv.weight")),
                      Contains("missing tensor 'layers.1.0.fn.to_kv.weight'"));
  REQUIRE_THROWS_WITH(load(save(c, w, "", "layers.0.1.fn.net.0.weight")),
                      Contains("'layers.0.1.fn.net.0.weight' has shape [256], expected [32, 8]"));
  Weights nan = w;
  nan.layers[0].to_out_b[3] = std::nanf("");
  REQUIRE_THROWS_WITH(load(save(c, nan)), Contains("'layers.0.0.fn.to_out.bias' holds a non-finite value"));
  // pos_emb.freqs is a buffer: optional, computed when absent
  Model no_freqs = load(save(c, w, "layers.0.0.fn.pos_emb.freqs"));
  CHECK(no_freqs.weights().layers[0].rotary_freqs[1] == Approx(1.0 / std::pow(10000.0, 2.0 / 4)));
  // no config anywhere
  SafeTensorsWriter nocfg;
  nocfg.add_f32("token_emb.weight", {11, 8}, w.token_emb.data());
  auto b = nocfg.serialize();
  REQUIRE_THROWS_WITH(load(b), Contains("no model config"));
}
