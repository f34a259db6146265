// Normwise relative error, the measure every parity check uses:
//   err(a, e) = max_i |a_i − e_i| / max_i |e_i|
// so entries near zero do not dominate; NaN anywhere (an element never written) gives Infinity.
export function relErr(a: ArrayLike<number>, e: ArrayLike<number>): number {
  if (a.length !== e.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < e.length; i++) {
    const d = Math.abs(a[i] - e[i]);
    if (Number.isNaN(d)) return Infinity;
    num = Math.max(num, d);
    den = Math.max(den, Math.abs(e[i]));
  }
  return num / Math.max(den, 1e-300);
}
