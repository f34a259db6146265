// The written-out product's text (its numbers are checked against the CPU reference in
// backend.test.ts, through every 'cpu-team' parity case).
import { describe, expect, it } from 'vitest';
import { ROW_MAX_K, rowProductWgsl } from './rows.js';

describe('rowProductWgsl', () => {
  it('writes out one multiply-add pair per k, lane l of a chunk loading k0 + l, clamped only in a short last chunk', () => {
    const src = rowProductWgsl(6);
    expect(src).toContain('const ROW_K: u32 = 6u;');
    expect(src).toContain('var<private> rowB: array<vec4<f32>, 12>;');
    expect(src.match(/subgroupBroadcast/g)).toHaveLength(6);
    for (let k = 0; k < 6; k++) expect(src).toContain(`s0 += x * rowB[${2 * k}]; s1 += x * rowB[${2 * k + 1}];`);
    expect(src).toContain('teamAK(0u + lane)');
    expect(src).toContain('teamAK(min(4u + lane, 5u))');
    expect(src).not.toContain('rowB[12]');
  });

  it('refuses a K it cannot write out', () => {
    expect(() => rowProductWgsl(ROW_MAX_K + 1)).toThrow(RangeError);
    expect(() => rowProductWgsl(0)).toThrow(/K = 0/);
    expect(() => rowProductWgsl(2.5)).toThrow(RangeError);
    expect(rowProductWgsl(ROW_MAX_K)).toContain(`array<vec4<f32>, ${2 * ROW_MAX_K}>`);
  });
});
