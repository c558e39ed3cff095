// lst generate: the seed's generate() from the command line, streaming the
// new tokens to stdout (bytes for byte-level models, ids otherwise).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "generation/generate.h"
#include "runtime/model_file.h"

namespace lst::cli {

int cmd_generate(int argc, char** argv) {
  Args a(argc, argv, 2, {"greedy", "reencode", "quiet"});
  a.check_known({"prompt", "prompt-ids", "max-new-tokens", "temperature", "filter-thres", "top-k",
                 "top-p", "seed", "greedy", "eos", "config", "backend", "threads", "reencode",
                 "reencode-every", "quiet"});
  LST_CHECK(a.positional().size() == 1,
            "usage: lst generate MODEL.safetensors [--prompt TEXT | --prompt-ids 1,2,3] "
            "[--max-new-tokens 256] [--temperature 1] [--filter-thres 0.9 | --top-k K] "
            "[--top-p P] [--greedy] [--seed N] [--eos ID] [--threads N] [--reencode]");
  ModelOptions mo;
  if (a.has("backend")) mo.backend = parse_gemm_backend(a.get("backend").c_str());
  mo.num_threads = a.get_int("threads", 1);
  Model model = load_model_file(a.positional()[0], read_config_option(a), mo);
  const Config& c = model.config();
  const bool bytes = c.num_tokens == 256;

  std::vector<int32_t> prompt;
  if (a.has("prompt-ids")) {
    std::stringstream ss(a.get("prompt-ids"));
    for (std::string item; std::getline(ss, item, ',');) prompt.push_back(std::stoi(item));
  } else {
    LST_CHECK(bytes, "--prompt text needs a byte-level model (num_tokens 256); use --prompt-ids");
    for (unsigned char ch : a.get("prompt", "\n")) prompt.push_back(ch);
  }
  LST_CHECK(!prompt.empty(), "the prompt is empty");

  GenerateOptions o;
  o.max_new_tokens = a.get_int("max-new-tokens", 256);
  o.sampling.temperature = a.get_double("temperature", 1.0);
  o.sampling.do_sample = !a.has("greedy");
  if (a.has("filter-thres")) o.sampling.filter_thres = a.get_double("filter-thres", 0.9);
  else if (a.has("top-k")) o.sampling.top_k = a.get_int("top-k", 0);
  else o.sampling.filter_thres = 0.9;  // the seed's default
  o.sampling.top_p = a.get_double("top-p", 1.0);
  o.seed = static_cast<uint64_t>(a.get_int("seed", 0));
  o.eos_token = a.get_int("eos", -1);
  DecoderOptions dopt;
  if (a.has("reencode")) {
    dopt.mode = ContextMode::kReencode;
    dopt.reencode_every = a.get_int("reencode-every", 0);
  }
  Decoder dec(model, dopt);
  if (bytes) {
    for (int32_t t : prompt) std::fputc(t, stdout);
  }
  auto t0 = std::chrono::steady_clock::now();
  GenerateResult r = generate(dec, prompt.data(), prompt.size(), o, 0, [&](int32_t tok, int) {
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
    // Past max_seq_len the seed's exact mode re-encodes the whole window for
    // every token (docs: README "Same function as the seed"): say so, once.
    const int64_t total = static_cast<int64_t>(prompt.size() + r.tokens.size());
    const int64_t max_len = model.config().max_seq_len;
    if (dopt.mode == ContextMode::kExact && total > max_len) {
      std::fprintf(stderr,
                   "lst generate: the context passed max_seq_len (%lld) after %lld new tokens; from there the "
                   "exact mode re-encoded the last %lld tokens for every token (about 100x slower per token); "
                   "--reencode is the fast mode\n",
                   static_cast<long long>(max_len),
                   static_cast<long long>(std::max<int64_t>(0, max_len - static_cast<int64_t>(prompt.size()))),
                   static_cast<long long>(max_len));
    }
  }
  return 0;
}

}  // namespace lst::cli
