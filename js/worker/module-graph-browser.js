// Module Workers do not see a page's import map, so when the package's sources
// are served unbundled (the page maps "#platform" with an import map), the
// model worker's import of "#platform" cannot resolve. This re-links
// the worker's module graph for such pages: each module is fetched, its
// "#platform" and relative import specifiers are pointed at Blob URLs of the
// re-linked modules, and `import.meta.url` is replaced by the module's real
// URL (so the dist/ files are still found beside the package). Bundled code
// never comes here (see startModelWorker in ../runtime/platform-browser.js).

// Static `from '...'`, side-effect `import '...'` and literal `import('...')`.
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"\n]+)\2/g;
// Comment lines (// ..., /* ..., * ...) are not scanned.
const COMMENT_LINE = /^\s*(\/\/|\/\*|\*).*$/gm;

/**
 * A Blob URL of `entry` whose imports of `bareName` resolve to `bareUrl`.
 * @param {URL} entry the worker's entry module
 * @param {string} bareName the bare specifier to map ("#platform")
 * @param {URL} bareUrl where it maps to
 * @returns {Promise<string>}
 */
export async function relinkModuleGraph(entry, bareName, bareUrl) {
  const sources = new Map();   // url -> source text
  const edges = new Map();     // url -> [{ specifier, url }]
  async function visit(url) {
    if (sources.has(url)) return;
    sources.set(url, null);
    let response;
    try {
      // The page has just loaded (and revalidated) these same modules: take
      // them from the HTTP cache rather than asking the server again.
      response = await fetch(url, { cache: 'force-cache' });
    } catch (e) {
      throw new Error(`could not fetch the worker module ${url} (${e.message})`);
    }
    if (!response.ok) throw new Error(`could not fetch the worker module ${url}: HTTP ${response.status}`);
    const text = await response.text();
    sources.set(url, text);
    const deps = [];
    const code = text.replace(COMMENT_LINE, '');
    for (const m of code.matchAll(SPECIFIER)) {
      const spec = m[3];
      let dep = null;
      if (spec === bareName) dep = bareUrl.href;
      else if (spec.startsWith('./') || spec.startsWith('../') || spec.startsWith('/')) dep = new URL(spec, url).href;
      if (dep && dep.split('?')[0].endsWith('.js')) deps.push({ specifier: spec, url: dep });
    }
    edges.set(url, deps);
    await Promise.all(deps.map((d) => visit(d.url)));
  }
  await visit(entry.href);

  const blobs = new Map();     // url -> blob URL
  const active = new Set();
  function link(url) {
    if (blobs.has(url)) return blobs.get(url);
    if (active.has(url)) throw new Error(`the worker's modules import each other in a cycle (at ${url})`);
    active.add(url);
    const byUrl = new Map(edges.get(url).map((d) => [d.specifier, link(d.url)]));
    const text = sources.get(url)
      .replace(SPECIFIER, (all, head, quote, spec) => (byUrl.has(spec) ? `${head}${quote}${byUrl.get(spec)}${quote}` : all))
      .replaceAll('import.meta.url', JSON.stringify(url));
    const blob = URL.createObjectURL(new Blob([`${text}\n//# sourceURL=${url}\n`], { type: 'text/javascript' }));
    active.delete(url);
    blobs.set(url, blob);
    return blob;
  }
  return link(entry.href);
}
