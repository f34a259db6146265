// Plain-text tables for the bench's results (Node and browser share them).
import type { Measurement } from './measure.js';

export const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 3 : 1);

/** Columns padded to their widest cell; the first column left-aligned, the rest right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(header), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

/** Two decimals, or two significant digits below 1 (a 0.004× must not read as 0.00×). */
export const ratio = (x: number): string => (x >= 1 ? x.toFixed(2) : x.toPrecision(2));

const fmt = (x: number, unit: Measurement['unit']): string => x.toFixed(unit === 'ms/step' ? (x < 10 ? 2 : 1) : 1);

export function formatMeasurements(results: (Measurement | { config: string; error: string })[]): string {
  const here = results.some((r) => 'time' in r && r.pytorchHere !== undefined);
  const fp32 = results.some((r) => 'time' in r && r.pytorchFp32Here !== undefined);
  const side = (x: number | undefined, t: number): string[] => (x === undefined ? ['', ''] : [`${x}`, `${ratio(x / t)}×`]);
  const rows = results.map((r) => {
    if ('error' in r) return [r.config, `FAILED: ${r.error}`];
    const t = r.time;
    const row = [
      r.config,
      `${fmt(t.median, r.unit)} ${r.unit} [${fmt(t.min, r.unit)}–${fmt(t.max, r.unit)}, n=${t.n}]`,
      r.kind === 'gen' ? `${r.dispatches} (${r.dispatchesPerToken!.toFixed(1)}/token)` : String(r.dispatches),
      String(r.submits),
      mib(r.gpuBytes),
      mib(r.minBytes),
      `${r.memoryRatio.toFixed(2)}×`,
      r.loss === undefined ? '' : r.loss.toFixed(3),
      r.target === undefined ? '' : `≤ ${r.target} / ${r.pytorch}`,
    ];
    if (here) row.push(...side(r.pytorchHere, t.median));
    if (fp32) row.push(...side(r.pytorchFp32Here, t.median));
    return row;
  });
  const header = ['config', 'time (median [min–max])', 'dispatches', 'submits', 'GPU MiB', 'min MiB', 'ratio', 'loss', 'H100 target / PyTorch'];
  if (here) header.push('PyTorch here', 'speed-up');
  if (fp32) header.push('PyTorch f32 here', 'speed-up vs f32');
  return table(header, rows.map((r) => [...r, ...Array<string>(header.length - r.length).fill('')]));
}
