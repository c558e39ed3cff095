#include "model/decode_cache.h"

namespace lst {

void DecodeCache::reset(const Config& c) {
  length = 0;
  layers.resize(c.depth);
  for (auto& layer : layers) layer.clear();
}

}  // namespace lst
