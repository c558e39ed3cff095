// The small byte-level model that ships with the package (trained on
// tinyshakespeare with this project's trainer; see MODEL.md).

/**
 * The first 12 hex digits of the file's SHA-256 (tests/js/api.test.js checks
 * it), carried in the URL so that a new model never meets an old cached copy
 * (browsers keep model downloads in the Cache API, keyed by URL).
 */
export const BUNDLED_MODEL_SHA256 = '4a631d55ac33';

export const bundledModelUrl = new URL('../models/tinyshakespeare.safetensors', import.meta.url);
bundledModelUrl.searchParams.set('v', BUNDLED_MODEL_SHA256);
