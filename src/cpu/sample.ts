// Sampling one token from logits: temperature 0 = argmax; otherwise softmax(z / temperature)
// restricted to the topK largest logits (topK 0 = all), inverted at the uniform u ∈ [0, 1).
// The GPU sampling kernel (shaders/sample.wgsl) follows the same rule.

export function sampleToken(z: ArrayLike<number>, temperature: number, topK: number, u: number): number {
  const n = z.length;
  let best = 0;
  for (let j = 1; j < n; j++) if (z[j] > z[best]) best = j;
  if (temperature <= 0) return best;
  // k-th largest value as the cut-off (ties at the cut-off are all kept)
  let cut = -Infinity;
  if (topK > 0 && topK < n) cut = [...Array.from(z)].sort((a, b) => b - a)[topK - 1];
  const m = z[best];
  let total = 0;
  const p = new Float64Array(n);
  for (let j = 0; j < n; j++) if (z[j] >= cut) total += p[j] = Math.exp((z[j] - m) / temperature);
  let acc = 0;
  const target = u * total;
  for (let j = 0; j < n; j++) {
    acc += p[j];
    if (p[j] > 0 && acc > target) return j;
  }
  return best;
}
