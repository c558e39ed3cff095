// lst info / eval / create: inspect a model, run a forward pass on the inputs
// stored in a safetensors file, make a seeded random model.
#include <chrono>
#include <cstdio>
#include <map>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "cli/model_file.h"

namespace lst::cli {
namespace {

ModelOptions model_options(const Args& a) {
  ModelOptions o;
  if (a.has("backend")) o.backend = parse_gemm_backend(a.get("backend").c_str());
  o.num_threads = a.get_int("threads", 1);
  o.weight_format = parse_weights_option(a.get("weights"));
  return o;
}

}  // namespace

int cmd_info(int argc, char** argv) {
  Args a(argc, argv, 2, {});
  a.check_known({"config"});
  LST_CHECK(a.positional().size() == 1, "usage: lst info MODEL.safetensors [--config JSON|FILE]");
  auto f = SafeTensorsFile::open(a.positional()[0]);
  Config c = resolve_model_config(*f, read_config_option(a));
  std::map<std::string, int> dtypes;
  for (const auto& n : f->st.names()) ++dtypes[dtype_name(f->st.get(n).dtype)];
  std::string counts;
  for (const auto& [d, k] : dtypes) counts += (counts.empty() ? "" : ", ") + d + " x " + std::to_string(k);
  auto wf = f->st.metadata().find("weight_format");
  std::printf("config      %s\nparameters  %lld\ntensors     %zu (%s)\nweights     %s\nfile bytes  %zu\n",
              c.to_json().c_str(), static_cast<long long>(count_parameters(c)),
              f->st.names().size(), counts.c_str(),
              wf != f->st.metadata().end() ? wf->second.substr(0, 16).c_str() : "(no weight_format in __metadata__)",
              f->bytes.size());
  return 0;
}

int cmd_eval(int argc, char** argv) {
  Args a(argc, argv, 2, {});
  a.check_known({"out", "inputs", "config", "backend", "threads", "weights"});
  LST_CHECK(a.positional().size() == 1,
            "usage: lst eval MODEL.safetensors --out OUT.safetensors [--inputs FILE] "
            "[--config JSON|FILE] [--backend builtin|xnnpack] [--threads N] "
            "[--weights f32|f16|int8|stored]");
  const std::string out_path = a.require("out");
  auto f = SafeTensorsFile::open(a.positional()[0]);
  Config c = resolve_model_config(*f, read_config_option(a));
  Model model = load_model(*f, c, model_options(a));

  std::unique_ptr<SafeTensorsFile> inputs_file;
  const SafeTensors* in = &f->st;
  if (a.has("inputs")) {
    inputs_file = SafeTensorsFile::open(a.get("inputs"));
    in = &inputs_file->st;
  }
  LST_CHECK(in->has("input.tokens"), "no tensor 'input.tokens' (int64 [b, n]) in the inputs");
  const TensorView& tv = in->get("input.tokens");
  LST_CHECK(tv.shape.size() == 2, "'input.tokens' must be 2-D [b, n], got ", tv.shape_str());
  const int64_t b = tv.shape[0], n = tv.shape[1];
  std::vector<int64_t> ids = in->to_i64("input.tokens");
  std::vector<int32_t> tokens(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    LST_CHECK(ids[i] >= 0 && ids[i] < c.num_tokens, "token id ", ids[i], " at [", i / n, ", ",
              i % n, "] is out of range [0, ", c.num_tokens, ")");
    tokens[i] = static_cast<int32_t>(ids[i]);
  }
  std::vector<uint8_t> mask;
  if (in->has("input.mask")) {
    const TensorView& mv = in->get("input.mask");
    LST_CHECK(mv.shape == tv.shape, "'input.mask' has shape ", mv.shape_str(),
              ", expected the shape of 'input.tokens' ", tv.shape_str());
    mask = in->to_bool("input.mask");
  }
  std::vector<float> logits(static_cast<size_t>(b * n * c.num_tokens));
  auto t0 = std::chrono::steady_clock::now();
  model.forward(tokens.data(), mask.empty() ? nullptr : mask.data(), b, n, logits.data());
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  SafeTensorsWriter w;
  w.set_metadata("config", c.to_json());
  w.add_f32("output.logits", {b, n, c.num_tokens}, logits.data());
  w.write_file(out_path);
  std::fprintf(stderr, "lst eval: [%lld, %lld] -> %s in %.1f ms (%s, %s weights, %d thread%s)\n",
               static_cast<long long>(b), static_cast<long long>(n), out_path.c_str(), ms,
               gemm_backend_name(model.backend()), model.weight_format().c_str(),
               model.num_threads(), model.num_threads() == 1 ? "" : "s");
  return 0;
}

int cmd_create(int argc, char** argv) {
  Args a(argc, argv, 2, {"f16"});
  a.check_known({"config", "seed", "out", "f16"});
  const std::string cfg = read_config_option(a);
  LST_CHECK(!cfg.empty(), "usage: lst create --config JSON|FILE --out MODEL.safetensors [--seed N] [--f16]");
  Config c = Config::from_json(cfg);
  Model m(c, init_weights(c, static_cast<uint64_t>(a.get_int("seed", 0))));
  auto bytes = m.save_safetensors(a.has("f16"));
  const std::string out = a.require("out");
  write_file_bytes(out, bytes.data(), bytes.size());
  std::fprintf(stderr, "lst create: %lld parameters -> %s (%zu bytes)\n",
               static_cast<long long>(m.num_parameters()), out.c_str(), bytes.size());
  return 0;
}

}  // namespace lst::cli

namespace lst::cli {

int cmd_quantize(int argc, char** argv) {
  Args a(argc, argv, 2, {});
  a.check_known({"dtype", "out", "config"});
  LST_CHECK(a.positional().size() == 1 && a.has("dtype") && a.has("out"),
            "usage: lst quantize MODEL.safetensors --dtype int8|f16|f32 --out OUT.safetensors "
            "[--config JSON|FILE]  (f32 turns an int8 or f16 file back into one PyTorch loads)");
  const WeightFormat format = parse_weight_format(a.get("dtype").c_str());
  auto f = SafeTensorsFile::open(a.positional()[0]);
  // As stored: each matrix is converted once, from what the file holds.
  Model m = load_model(*f, resolve_model_config(*f, read_config_option(a)), {});
  const auto bytes = m.save_safetensors(format);
  const std::string out = a.require("out");
  write_file_bytes(out, bytes.data(), bytes.size());
  std::fprintf(stderr, "lst quantize: %s (%s, %zu bytes) -> %s (%s, %zu bytes)\n",
               a.positional()[0].c_str(), m.weight_format().c_str(), f->bytes.size(), out.c_str(),
               weight_format_name(format), bytes.size());
  return 0;
}

int cmd_convert(int argc, char** argv) {
  Args a(argc, argv, 2, {"f16"});
  a.check_known({"out", "f16", "config"});
  LST_CHECK(a.positional().size() == 1,
            "usage: lst convert MODEL.safetensors --out OUT.safetensors [--f16] [--config JSON|FILE]");
  Model m = load_model_file(a.positional()[0], read_config_option(a), {});
  const auto bytes = m.save_safetensors(a.has("f16"));
  const std::string out = a.require("out");
  write_file_bytes(out, bytes.data(), bytes.size());
  std::fprintf(stderr, "lst convert: %lld parameters -> %s (%s, %zu bytes)\n",
               static_cast<long long>(m.num_parameters()), out.c_str(), a.has("f16") ? "F16" : "F32",
               bytes.size());
  return 0;
}

}  // namespace lst::cli
