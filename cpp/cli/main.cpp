// lst: the native command-line tool. Errors print one line and exit 1.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "cli/commands.h"

namespace {
const char* kUsage =
    "usage: lst <command> [options]\n"
    "  info MODEL.safetensors            print the config and size of a model\n"
    "  eval MODEL.safetensors --out OUT  logits of the file's input.tokens/input.mask\n"
    "  create --config JSON --out FILE   a seeded random model (the reference package's init)\n"
    "  convert MODEL --out FILE [--f16]  rewrite weights (F32 or F16) with the config in the metadata\n"
    "  quantize MODEL --dtype int8|f16|f32 --out FILE   matrices as int8 / f16 (f32: back for PyTorch)\n"
    "  generate MODEL --prompt TEXT      sample text (the reference package's generate), streamed\n"
    "  train --data FILE [options]       train a byte-level model (the reference package's train.py)\n"
    "  eval-text MODEL --data FILE       held-out loss in nats and bits per byte\n";
}

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  try {
    if (cmd == "info") return lst::cli::cmd_info(argc, argv);
    if (cmd == "eval") return lst::cli::cmd_eval(argc, argv);
    if (cmd == "create") return lst::cli::cmd_create(argc, argv);
    if (cmd == "convert") return lst::cli::cmd_convert(argc, argv);
    if (cmd == "quantize") return lst::cli::cmd_quantize(argc, argv);
    if (cmd == "generate") return lst::cli::cmd_generate(argc, argv);
    if (cmd == "train") return lst::cli::cmd_train(argc, argv);
    if (cmd == "eval-text") return lst::cli::cmd_eval_text(argc, argv);
    std::fprintf(stderr, "lst: unknown command '%s'\n%s", cmd.c_str(), kUsage);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lst: error: %s\n", e.what());
    return 1;
  }
}
