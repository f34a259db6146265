// Node module hooks for Vite's `?raw` imports (the WGSL sources), so tsx-run scripts
// (golden, bench) load src/ exactly as Vite and Vitest do: `import code from './x.wgsl?raw'`.
import { readFile } from 'node:fs/promises';
import { register } from 'node:module';

if (!process.env.WEBRNN_RAW_LOADER) {
  process.env.WEBRNN_RAW_LOADER = '1';
  register(import.meta.url, import.meta.url);
}

export async function resolve(specifier, context, next) {
  if (!specifier.endsWith('?raw')) return next(specifier, context);
  const r = await next(specifier.slice(0, -4), context);
  return { url: `${r.url}?raw`, format: 'module', shortCircuit: true };
}

export async function load(url, context, next) {
  if (!url.endsWith('?raw')) return next(url, context);
  const text = await readFile(new URL(url.slice(0, -4)), 'utf8');
  return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
}
