// What to do when the package's dist/ (the WebAssembly builds) is missing:
// a git or folder install of a clone that was never built.
export const MISSING_BUILD_HINT =
  'This copy of long-short-transformer has no built WebAssembly files (dist/): install the published ' +
  'package or a tarball made by `npm pack` in a built clone; inside a clone, run `npm run build:wasm` ' +
  '(needs Emscripten: `npm run setup`).';
