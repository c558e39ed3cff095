// Everything a generation is asked to do, parsed and defaulted in one place
// from one JSON shape: the JS API's options object in the reference package's
// snake_case (docs/SPEC.md §5). The JS API passes the user's object through,
// the native CLI builds the same object from its flags, so both decide every
// rule (defaults, which filter applies, ranges, stop sequences) here.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "generation/sampler.h"
#include "model/config.h"
#include "model/incremental_decoder.h"

namespace lst {

struct GenerateOptions {
  int max_new_tokens = 256;
  SamplingOptions sampling;                // filter_thres 0.9 unless top_k or top_p is given
  uint64_t seed = 0;                       // of the counter-based sampler (< 2^53: exact in JS)
  int eos_token = -1;                      // < 0: none; included in the output, as the reference
  std::vector<std::vector<int32_t>> stop;  // stop sequences (token ids), included in the output
  DecoderOptions context;                  // past max_seq_len: exact (default) or re-encode
  int probe_layer = -1, probe_head = 0;    // record the attention of (layer, head) per step

  // Parses `json_text` (an object; "" or "{}" gives the defaults) for a
  // model with `config`. Unknown keys and bad values throw lst::Error naming
  // the option, in one message style for every front end.
  static GenerateOptions from_json(const std::string& json_text, const Config& config);
};

}  // namespace lst
