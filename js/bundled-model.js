// The small byte-level model that ships with the package (trained on
// tinyshakespeare with this project's trainer; see MODEL.md).
export const bundledModelUrl = new URL('../models/tinyshakespeare.safetensors', import.meta.url);
