#include "model/stored_weights.h"

#include <cmath>
#include <cstring>
#include <map>

#include "core/error.h"

namespace lst {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::shared_ptr<const WeightMatrix> share(WeightMatrix m) {
  return std::make_shared<const WeightMatrix>(std::move(m));
}

// m in format f; `name` for errors (f16 overflows to inf).
WeightMatrix convert(const WeightMatrix& m, WeightFormat f, const std::string& name) {
  if (m.format() == f) return m;
  const std::vector<float> v = m.to_f32();
  if (f != WeightFormat::kF16) return WeightMatrix::from_f32(v.data(), m.rows(), m.cols(), f);
  std::vector<uint16_t> h(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    h[i] = f32_to_f16(v[i]);
    LST_CHECK((h[i] & 0x7c00u) != 0x7c00u, "weights: tensor '", name, "' value ", v[i],
              " at index ", i, " does not fit in f16 (|x| > 65504)");
  }
  return WeightMatrix::from_f16(h.data(), m.rows(), m.cols());
}

// One matrix as the file stores it; rows x cols already checked.
WeightMatrix read_matrix(const SafeTensors& st, const std::string& name, size_t rows,
                         size_t cols) {
  const TensorView& v = st.get(name);
  const std::string sname = name + kQ8ScaleSuffix;
  if (v.dtype == DType::kI8) {
    LST_CHECK(st.has(sname), "weights: tensor '", name, "' is I8 but its scale tensor '", sname,
              "' is missing (an int8 matrix needs one F32 scale per block of ", kQ8Block,
              " weights along the input dimension)");
    const TensorView& s = st.get(sname);
    LST_CHECK(s.dtype == DType::kF32, "weights: scale tensor '", sname, "' is ",
              dtype_name(s.dtype), ", expected F32");
    const int64_t nb = static_cast<int64_t>((cols + kQ8Block - 1) / kQ8Block);
    LST_CHECK(s.shape == std::vector<int64_t>({static_cast<int64_t>(rows), nb}),
              "weights: scale tensor '", sname, "' has shape ", s.shape_str(), ", expected [",
              rows, ", ", nb, "] (one scale per block of ", kQ8Block, " along the input dimension)");
    std::vector<int8_t> q(rows * cols);
    std::vector<float> scales(rows * nb);
    std::memcpy(q.data(), v.data, q.size());
    std::memcpy(scales.data(), s.data, scales.size() * sizeof(float));
    for (size_t i = 0; i < scales.size(); ++i)
      LST_CHECK(std::isfinite(scales[i]) && scales[i] >= 0.0f, "weights: scale tensor '", sname,
                "' holds ", scales[i], " at index ", i, " (scales are finite and >= 0)");
    return WeightMatrix::from_q8(q.data(), scales.data(), rows, cols);
  }
  LST_CHECK(!st.has(sname), "weights: scale tensor '", sname, "' given, but '", name, "' is ",
            dtype_name(v.dtype), ", not I8");
  if (v.dtype == DType::kF16) {
    std::vector<uint16_t> h(rows * cols);
    std::memcpy(h.data(), v.data, h.size() * sizeof(uint16_t));
    for (size_t i = 0; i < h.size(); ++i)
      LST_CHECK((h[i] & 0x7c00u) != 0x7c00u, "weights: tensor '", name,
                "' holds a non-finite value at index ", i);
    return WeightMatrix::from_f16(h.data(), rows, cols);
  }
  std::vector<float> data = st.to_f32(name);
  for (size_t i = 0; i < data.size(); ++i)
    LST_CHECK(std::isfinite(data[i]), "weights: tensor '", name, "' holds a non-finite value (",
              data[i], ") at index ", i);
  return WeightMatrix::from_f32(data.data(), rows, cols, WeightFormat::kF32);
}

void release(std::vector<float>& v) { std::vector<float>().swap(v); }

std::string attn(int i) { return "layers." + std::to_string(i) + ".0.fn."; }
std::string ff(int i) { return "layers." + std::to_string(i) + ".1.fn."; }

}  // namespace

bool StoredMatrices::empty() const {
  if (token_emb || logits) return false;
  for (const auto& L : layers)
    if (L.qkv || L.out || L.ff1 || L.ff2) return false;
  return true;
}

std::string StoredMatrices::format_name() const {
  std::vector<const WeightMatrix*> all{token_emb.get(), logits.get()};
  for (const auto& L : layers)
    for (const auto* m : {L.qkv.get(), L.out.get(), L.ff1.get(), L.ff2.get()}) all.push_back(m);
  std::string name;
  for (const WeightMatrix* m : all) {
    const std::string n = m ? weight_format_name(m->format()) : "f32";
    if (name.empty()) name = n;
    if (n != name) return "mixed";
  }
  return name.empty() ? "f32" : name;
}

size_t StoredMatrices::bytes() const {
  size_t n = (token_emb ? token_emb->bytes() : 0) + (logits ? logits->bytes() : 0);
  for (const auto& L : layers)
    for (const auto* m : {L.qkv.get(), L.out.get(), L.ff1.get(), L.ff2.get()})
      n += m ? m->bytes() : 0;
  return n;
}

std::optional<WeightFormat> parse_weights_option(const std::string& value) {
  if (value.empty() || value == "stored") return std::nullopt;
  LST_CHECK(value == "f32" || value == "f16" || value == "int8",
            "weights must be f32, f16, int8 or stored, got \"", value.substr(0, 32), "\"");
  return parse_weight_format(value.c_str());
}

bool is_stored_matrix_name(const std::string& name) {
  if (name == "token_emb.weight" || name == "to_logits.1.weight") return true;
  if (name.compare(0, 7, "layers.") != 0) return false;
  for (const char* s : {".0.fn.to_q.weight", ".0.fn.to_kv.weight", ".0.fn.to_out.weight",
                        ".1.fn.net.0.weight", ".1.fn.net.3.weight"})
    if (ends_with(name, s)) return true;
  return false;
}

// F16 files compute in f32 unless f16 is asked for: WebAssembly SIMD128 has
// no half conversion (f16 decodes slower than f32 there), and f32 keeps the
// native CLI and the wasm build on the same GEMM, so both print the same text
// for the same seed. `--weights f16` / `weights: 'f16'` keeps them f16 (F16C
// makes that the faster one natively). int8 files stay int8.
constexpr bool kWidenF16ByDefault = true;

LoadedWeights load_stored_weights(const SafeTensors& st, const Config& c,
                                  std::optional<WeightFormat> format) {
  auto block = st.metadata().find("q8_block_size");
  LST_CHECK(block == st.metadata().end() || block->second == std::to_string(kQ8Block),
            "weights: __metadata__ q8_block_size is \"", block->second.substr(0, 16),
            "\"; this engine reads int8 blocks of ", kQ8Block, " only");
  LoadedWeights out;
  Weights& w = out.weights;
  w = allocate_weights(c);
  std::map<std::string, WeightMatrix> held;  // matrices not in f32
  for (auto& t : state_dict(w, c)) {
    if (!st.has(t.name)) {
      LST_CHECK(t.is_buffer, "weights: missing tensor '", t.name, "'");
      continue;  // rotary freqs: keep the computed default
    }
    const TensorView& v = st.get(t.name);
    LST_CHECK(v.shape == t.shape, "weights: tensor '", t.name, "' has shape ", v.shape_str(),
              ", expected ", TensorView{"", DType::kF32, t.shape}.shape_str(),
              " for this config");
    if (is_stored_matrix_name(t.name)) {
      WeightMatrix m = read_matrix(st, t.name, t.shape[0], t.shape[1]);
      if (format) {
        m = convert(m, *format, t.name);
      } else if (kWidenF16ByDefault && m.format() == WeightFormat::kF16) {
        m = convert(m, WeightFormat::kF32, t.name);
      }
      if (m.format() == WeightFormat::kF32) {
        t.data->assign(m.f32(), m.f32() + m.rows() * m.cols());
      } else {
        held.emplace(t.name, std::move(m));
        release(*t.data);
      }
      continue;
    }
    LST_CHECK(!st.has(t.name + kQ8ScaleSuffix), "weights: scale tensor '", t.name,
              kQ8ScaleSuffix, "' given, but '", t.name, "' is not a matrix this engine quantises");
    std::vector<float> data = st.to_f32(t.name);
    for (size_t i = 0; i < data.size(); ++i)
      LST_CHECK(std::isfinite(data[i]), "weights: tensor '", t.name,
                "' holds a non-finite value (", data[i], ") at index ", i);
    *t.data = std::move(data);
  }

  StoredMatrices& s = out.stored;
  auto take = [&](const std::string& n) -> std::shared_ptr<const WeightMatrix> {
    auto it = held.find(n);
    if (it == held.end()) return nullptr;
    auto p = share(std::move(it->second));
    held.erase(it);
    return p;
  };
  s.token_emb = take("token_emb.weight");
  s.logits = take("to_logits.1.weight");
  s.layers.resize(c.depth);
  for (int i = 0; i < c.depth; ++i) {
    auto& L = s.layers[i];
    auto q = take(attn(i) + "to_q.weight"), kv = take(attn(i) + "to_kv.weight");
    if (q && kv && q->format() == kv->format()) {
      L.qkv = share(WeightMatrix::concat_rows(*q, *kv));
    } else {  // fused only when both share a format; else both f32
      if (q) w.layers[i].to_q = q->to_f32();
      if (kv) w.layers[i].to_kv = kv->to_f32();
    }
    L.out = take(attn(i) + "to_out.weight");
    L.ff1 = take(ff(i) + "net.0.weight");
    L.ff2 = take(ff(i) + "net.3.weight");
  }
  return out;
}

StoredMatrices store_matrices(Weights& w, const Config& c, WeightFormat format) {
  StoredMatrices s;
  s.layers.resize(c.depth);
  if (format == WeightFormat::kF32) return s;
  const size_t V = c.num_tokens, D = c.dim, I = c.inner(), H = c.ff_hidden();
  auto store = [&](std::vector<float>& v, size_t rows, size_t cols, const std::string& name) {
    WeightMatrix m = convert(WeightMatrix::from_f32(v.data(), rows, cols, WeightFormat::kF32), format, name);
    release(v);
    return m;
  };
  s.token_emb = share(store(w.token_emb, V, D, "token_emb.weight"));
  s.logits = share(store(w.logits_w, V, D, "to_logits.1.weight"));
  for (int i = 0; i < c.depth; ++i) {
    auto& L = w.layers[i];
    WeightMatrix q = store(L.to_q, I, D, attn(i) + "to_q.weight");
    WeightMatrix kv = store(L.to_kv, I, D, attn(i) + "to_kv.weight");
    s.layers[i].qkv = share(WeightMatrix::concat_rows(q, kv));
    s.layers[i].out = share(store(L.to_out_w, D, I, attn(i) + "to_out.weight"));
    s.layers[i].ff1 = share(store(L.ff1_w, H, D, ff(i) + "net.0.weight"));
    s.layers[i].ff2 = share(store(L.ff2_w, D, H, ff(i) + "net.3.weight"));
  }
  return s;
}

SafeTensorsWriter stored_state_dict_file(const Weights& w, const StoredMatrices& m,
                                         const Config& c, WeightFormat format) {
  SafeTensorsWriter wr;
  wr.set_metadata("config", c.to_json());
  wr.set_metadata("format", "pt");
  wr.set_metadata("weight_format", weight_format_name(format));
  if (format == WeightFormat::kQ8) {
    wr.set_metadata("q8_block_size", std::to_string(kQ8Block));
    wr.set_metadata("q8_scale_suffix", kQ8ScaleSuffix);
  }
  // Where each stored matrix of the state_dict is: (matrix, first row).
  std::map<std::string, std::pair<const WeightMatrix*, size_t>> where;
  if (m.token_emb) where["token_emb.weight"] = {m.token_emb.get(), 0};
  if (m.logits) where["to_logits.1.weight"] = {m.logits.get(), 0};
  for (int i = 0; i < c.depth && i < static_cast<int>(m.layers.size()); ++i) {
    const auto& L = m.layers[i];
    if (L.qkv) {
      where[attn(i) + "to_q.weight"] = {L.qkv.get(), 0};
      where[attn(i) + "to_kv.weight"] = {L.qkv.get(), static_cast<size_t>(c.inner())};
    }
    if (L.out) where[attn(i) + "to_out.weight"] = {L.out.get(), 0};
    if (L.ff1) where[ff(i) + "net.0.weight"] = {L.ff1.get(), 0};
    if (L.ff2) where[ff(i) + "net.3.weight"] = {L.ff2.get(), 0};
  }
  Weights& mw = const_cast<Weights&>(w);  // state_dict() takes non-const; read only here
  for (auto& t : state_dict(mw, c)) {
    if (!is_stored_matrix_name(t.name)) {
      if (format == WeightFormat::kF16 && !t.is_buffer)
        wr.add_f16(t.name, t.shape, t.data->data());
      else
        wr.add_f32(t.name, t.shape, t.data->data());
      continue;
    }
    const size_t rows = t.shape[0], cols = t.shape[1];
    auto it = where.find(t.name);
    WeightMatrix mat =
        it != where.end()
            ? it->second.first->slice_rows(it->second.second, it->second.second + rows)
            : WeightMatrix::from_f32(t.data->data(), rows, cols, WeightFormat::kF32);
    mat = convert(mat, format, t.name);
    switch (format) {
      case WeightFormat::kF32: wr.add_f32(t.name, t.shape, mat.f32()); break;
      case WeightFormat::kF16: wr.add_raw(t.name, DType::kF16, t.shape, mat.f16()); break;
      case WeightFormat::kQ8: {
        const std::vector<int8_t> q = mat.q8_unpadded();
        wr.add_raw(t.name, DType::kI8, t.shape, q.data());
        wr.add_raw(t.name + kQ8ScaleSuffix, DType::kF32,
                   {static_cast<int64_t>(rows), static_cast<int64_t>(mat.blocks())}, mat.scales());
        break;
      }
    }
  }
  return wr;
}

}  // namespace lst
