// `back_row_seq`: a layer's backward sweep, t = T − 1 … 0, then d h0, in one dispatch on the
// one-row product of shaders/rows.wgsl (appended after bptt_team.wgsl, rows.wgsl and
// src/gpu/rows.ts's rowProduct): workgroup w takes batch row w, invocation i units 8i … 8i + 7, so
// each unit's carry keeps its invocation; a barrier between steps. The product is bptt_team.wgsl's
// Σ_i dR[t + 1, b, i] · W_hh[i, j] over i < G·H (d h0's: over dR[0]). Units past H are computed,
// not written.
@compute @workgroup_size(ROW_WG)
fn back_row_seq(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32,
                @builtin(subgroup_invocation_id) lane: u32) {
  let T = step.T;
  let b = wid.x;
  tmB0 = b;
  tmJ0 = li * 8u;
  rowLoadB(0u);
  for (var s = 0u; s <= T; s++) {
    // sweep step s reads dR[T − s] (t = T − 1 − s reads dR[t + 1]; d h0, s = T, reads dR[0]), but the
    // first has no recurrent term: it reads dR[T − 1], and backElement ignores the product. One
    // product, outside any branch: under one SwiftShader took 1.7× as long (bench/RESULTS.md).
    let first = s == 0u;
    tmDR = dROffset() + select(T - s, T - 1u, first) * B * gates() * H;
    let p = rowProduct(lane, teamARow(0u));
    for (var u = 0u; u < 8u; u++) {
      let j = tmJ0 + u;
      if (j < H) {
        if (s < T) {
          backElement(T - 1u - s, b, j, rowAt(p, u), first);
        } else {
          h0Element(b, j, rowAt(p, u));
        }
      }
    }
    storageBarrier();
    workgroupBarrier();
  }
}
