// lst generate: the reference package's generate() (docs/SPEC.md §5) from the command line, streaming the
// new tokens to stdout (bytes for byte-level models, ids otherwise).
#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "generation/generate.h"
#include "cli/model_file.h"

namespace lst::cli {

int cmd_generate(int argc, char** argv) {
  Args a(argc, argv, 2, {"greedy", "reencode", "quiet"});
  a.check_known({"prompt", "prompt-ids", "max-new-tokens", "temperature", "filter-thres", "top-k",
                 "top-p", "seed", "greedy", "eos", "stop", "config", "backend", "threads", "reencode",
                 "reencode-every", "quiet", "weights"});
  LST_CHECK(a.positional().size() == 1,
            "usage: lst generate MODEL.safetensors [--prompt TEXT | --prompt-ids 1,2,3] "
            "[--max-new-tokens 256] [--temperature 1] [--filter-thres 0.9 | --top-k K] "
            "[--top-p P] [--greedy] [--seed N] [--eos ID] [--stop TEXT] [--threads N] [--reencode] "
            "[--weights f32|f16|int8|stored]");
  ModelOptions mo;
  if (a.has("backend")) mo.backend = parse_gemm_backend(a.get("backend").c_str());
  mo.num_threads = a.get_int("threads", 1);
  mo.weight_format = parse_weights_option(a.get("weights"));
  Model model = load_model_file(a.positional()[0], read_config_option(a), mo);
  const Config& c = model.config();
  const bool bytes = c.num_tokens == 256;

  std::vector<int32_t> prompt;
  if (a.has("prompt-ids")) {
    prompt = a.get_int_list("prompt-ids");
  } else {
    LST_CHECK(bytes, "--prompt text needs a byte-level model (num_tokens 256); use --prompt-ids");
    for (unsigned char ch : a.get("prompt", "\n")) prompt.push_back(ch);
  }
  LST_CHECK(!prompt.empty(), "the prompt is empty");

  // The same options object the JS API takes (generation/generate_options.h
  // parses and checks it), built from the flags: every rule is decided there.
  nlohmann::json j = options_from_flags(
      a, {{"max-new-tokens", "max_new_tokens"}, {"temperature", "temperature"}, {"filter-thres", "filter_thres"},
          {"top-k", "top_k"}, {"top-p", "top_p"}, {"seed", "seed"}, {"eos", "eos_token"},
          {"reencode-every", "reencode_every"}});
  if (a.has("greedy")) j["do_sample"] = false;
  if (a.has("reencode")) j["context_mode"] = "reencode";
  if (a.has("stop")) j["stop"] = a.get("stop");
  const GenerateOptions o = GenerateOptions::from_json(j.dump(), c);
  std::unique_ptr<IncrementalDecoder> dec = make_decoder(model, o);
  if (bytes) {
    for (int32_t t : prompt) std::fputc(t, stdout);
  }
  auto t0 = std::chrono::steady_clock::now();
  GenerateResult r = generate(*dec, prompt.data(), prompt.size(), o, 0, [&](int32_t tok, int) {
    if (bytes) std::fputc(tok, stdout);
    else std::printf("%d ", tok);
    std::fflush(stdout);
    return true;
  });
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("\n");
  std::fflush(stdout);  // the text ends before the stats line on a terminal
  if (!a.has("quiet")) {
    std::fprintf(stderr, "lst generate: %zu tokens in %.2f s (%.1f tokens/s), finish: %s\n",
                 r.tokens.size(), s, r.tokens.size() / s, finish_reason_name(r.finish));
    // Past max_seq_len the exact mode re-encodes the whole window for every
    // token (docs/SPEC.md §5): the session flags the step where that begins.
    if (r.passes_context_limit_at >= 0) {
      std::fprintf(stderr,
                   "lst generate: the context passed max_seq_len (%d) after %d new tokens; from there the exact "
                   "mode re-encoded the last %d tokens for every token (about 100x slower per token); "
                   "--reencode is the fast mode\n",
                   c.max_seq_len, r.passes_context_limit_at + 1, c.max_seq_len);
    }
  }
  return 0;
}

}  // namespace lst::cli
