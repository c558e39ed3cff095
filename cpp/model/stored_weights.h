// The matrices the GEMMs and the embedding read, kept in a storage format
// (kernels/weight_matrix.h: f16, or int8 with an f32 scale per block of 32
// along the input dimension) instead of Weights' f32 vectors: the token
// embedding, [to_q; to_kv] fused, to_out, net.0 and net.3 of each layer, and
// to_logits.1. Norms, biases, to_dynamic_proj and the rotary buffers stay f32.
//
// In a safetensors file (docs/QUANTIZATION.md): an int8 matrix is `<name>`
// as I8 with PyTorch's shape (out, in) plus `<name>.qscale` as F32
// (out, ceil(in / 32)); an f16 matrix is `<name>` as F16. __metadata__ says
// "weight_format" ("f32" | "f16" | "int8") and, for int8, "q8_block_size"
// ("32") and "q8_scale_suffix" (".qscale").
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "io/safetensors.h"
#include "kernels/weight_matrix.h"
#include "model/config.h"
#include "model/weights.h"

namespace lst {

constexpr const char* kQ8ScaleSuffix = ".qscale";

// Null: that matrix is f32 and lives in Weights (as before this format existed).
struct StoredMatrices {
  std::shared_ptr<const WeightMatrix> token_emb;  // (num_tokens, dim)
  std::shared_ptr<const WeightMatrix> logits;     // (num_tokens, dim) to_logits.1
  struct Layer {
    std::shared_ptr<const WeightMatrix> qkv;  // (2*inner, dim) [to_q; to_kv]
    std::shared_ptr<const WeightMatrix> out;  // (dim, inner)
    std::shared_ptr<const WeightMatrix> ff1;  // (hidden, dim) net.0
    std::shared_ptr<const WeightMatrix> ff2;  // (dim, hidden) net.3
  };
  std::vector<Layer> layers;

  bool empty() const;
  // "f32" when none is stored, the format's name when all are, else "mixed".
  std::string format_name() const;
  size_t bytes() const;  // memory held by the stored matrices
};

// True for the state_dict names of the matrices above.
bool is_stored_matrix_name(const std::string& name);

// Weights and stored matrices as read from a file.
struct LoadedWeights {
  Weights weights;
  StoredMatrices stored;
};

// The "weights" option of every front end (lst --weights, JS load/create):
// "f32" | "f16" | "int8" convert on load; "stored" or "" keep the file's
// formats (unset). Throws lst::Error naming a bad value.
std::optional<WeightFormat> parse_weights_option(const std::string& value);

// Reads the state_dict. `format` unset: each matrix as the file stores it
// (F16 -> f32: see kWidenF16ByDefault; I8 + scale -> int8; F32 / BF16 /
// F64 -> f32); set: converted
// to it (f32 widens and dequantises: load_weights). Malformed quantised
// tensors (scale missing, wrong shape or dtype, a scale without an I8
// matrix, non-finite values, another block size) throw lst::Error naming them.
LoadedWeights load_stored_weights(const SafeTensors& st, const Config& c,
                                  std::optional<WeightFormat> format);

// Moves w's f32 matrices into `format` (their vectors emptied); f32: nothing stored.
StoredMatrices store_matrices(Weights& w, const Config& c, WeightFormat format);

// The state_dict file with every matrix in `format` (f32 / f16 dequantise
// stored matrices; int8 quantises f32 and f16 ones, keeps int8 as it is).
// Other tensors: F32, or F16 in an f16 file (as state_dict_file; buffers F32).
SafeTensorsWriter stored_state_dict_file(const Weights& w, const StoredMatrices& m,
                                         const Config& c, WeightFormat format);

}  // namespace lst
