#!/usr/bin/env bash
# The main job: installs and builds what is missing, then writes text with the
# bundled model (models/tinyshakespeare.safetensors) from the command line.
# Until a bundled model exists it uses a small seeded random model.
#   npm start -- [lst generate options], e.g. npm start -- --prompt "ROMEO:" --max-new-tokens 400
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-native.sh lst >/dev/null
MODEL=models/tinyshakespeare.safetensors
if [ ! -f "$MODEL" ]; then
  MODEL=build/random-demo.safetensors
  if [ ! -f "$MODEL" ]; then
    echo "==> no bundled model yet: creating a seeded random byte-level model"
    ./build/lst create --seed 0 --out "$MODEL" --config \
      '{"num_tokens": 256, "dim": 128, "depth": 2, "heads": 4, "dim_head": 32, "max_seq_len": 512, "window_size": 64, "segment_size": 16, "r": 1}'
  fi
fi
echo "==> lst generate $MODEL"
if [ $# -eq 0 ]; then set -- --prompt "ROMEO:" --max-new-tokens 300 --seed 1; fi
./build/lst generate "$MODEL" "$@"
