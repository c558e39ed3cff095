// The `lst` tool's subcommands; each returns the process exit code.
#pragma once

namespace lst::cli {

int cmd_info(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_create(int argc, char** argv);
int cmd_convert(int argc, char** argv);
int cmd_quantize(int argc, char** argv);
int cmd_generate(int argc, char** argv);
int cmd_train(int argc, char** argv);      // cmd_train.cpp
int cmd_eval_text(int argc, char** argv);  // cmd_train.cpp

}  // namespace lst::cli
