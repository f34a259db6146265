// sampleToken inverts the cumulative softmax(z / temperature) at u, so a fine grid of u values
// must reproduce the probabilities; temperature 0 and topK 1 must be argmax whatever u is.
import { describe, it, expect } from 'vitest';
import { Rng } from '../model/init.js';
import { sampleToken } from './sample.js';

function softmax(z: ArrayLike<number>, temperature: number, keep: (j: number) => boolean = () => true): number[] {
  const m = Math.max(...Array.from(z));
  const e = Array.from(z, (v, j) => (keep(j) ? Math.exp((v - m) / temperature) : 0));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Token frequencies over the grid u = (i + ½)/N, i = 0..N−1. */
function frequencies(z: ArrayLike<number>, temperature: number, topK: number, N = 20000): number[] {
  const f = new Array<number>(z.length).fill(0);
  for (let i = 0; i < N; i++) f[sampleToken(z, temperature, topK, (i + 0.5) / N)] += 1 / N;
  return f;
}

const randomLogits = (rng: Rng, n: number): Float64Array => Float64Array.from({ length: n }, () => 3 * rng.normal());
const argmax = (z: ArrayLike<number>): number => Array.from(z).reduce((b, v, j, a) => (v > a[b] ? j : b), 0);

describe('sampleToken', () => {
  const rng = new Rng(42);

  it('returns the argmax at temperature 0 for every u', () => {
    const seen = new Set<number>();
    for (let trial = 0; trial < 20; trial++) {
      const z = randomLogits(rng, 9);
      const best = argmax(z);
      seen.add(best);
      for (const u of [0, 0.001, 0.25, 0.5, 0.75, 0.999999]) expect(sampleToken(z, 0, 0, u)).toBe(best);
    }
    expect(seen.size).toBeGreaterThan(3); // the argmax moved around, so position 0 is no accident
  });

  it('returns the argmax with topK 1 for every u and temperature', () => {
    for (let trial = 0; trial < 20; trial++) {
      const z = randomLogits(rng, 9);
      const best = argmax(z);
      for (const temperature of [0.5, 1, 5]) {
        for (let i = 0; i < 50; i++) expect(sampleToken(z, temperature, 1, rng.next())).toBe(best);
      }
    }
  });

  it('samples with the softmax probabilities at temperature 1', () => {
    const z = Float64Array.from([0.3, -1.2, 2.0, 0.9, -0.4, 1.5]);
    const f = frequencies(z, 1, 0);
    const p = softmax(z, 1);
    for (let j = 0; j < z.length; j++) expect(Math.abs(f[j] - p[j])).toBeLessThan(1e-2);
    expect(Math.min(...p)).toBeGreaterThan(0.01); // every token has a visible share
  });

  it('divides the logits by the temperature before the softmax', () => {
    const z = Float64Array.from([0.3, -1.2, 2.0, 0.9, -0.4, 1.5]);
    for (const temperature of [0.5, 3]) {
      const f = frequencies(z, temperature, 0);
      const p = softmax(z, temperature);
      for (let j = 0; j < z.length; j++) expect(Math.abs(f[j] - p[j])).toBeLessThan(1e-2);
    }
  });

  it('never samples a token outside the top k, and samples the top k by their renormalised probabilities', () => {
    const z = randomLogits(rng, 10);
    const order = Array.from(z.keys()).sort((a, b) => z[b] - z[a]);
    for (const k of [2, 3, 5]) {
      const top = new Set(order.slice(0, k));
      const f = frequencies(z, 2, k);
      const p = softmax(z, 2, (j) => top.has(j));
      for (let j = 0; j < z.length; j++) {
        if (!top.has(j)) expect(f[j], `token ${j} is outside the top ${k}`).toBe(0);
        expect(Math.abs(f[j] - p[j])).toBeLessThan(1e-2);
      }
      // with temperature 2 every kept token is drawn now and then
      for (const j of top) expect(f[j]).toBeGreaterThan(0);
    }
  });
});
