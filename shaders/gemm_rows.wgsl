// `row_gemm`: gemm_team.wgsl's product on the one-row product of shaders/rows.wgsl, for a K short
// enough to write out, or split into ROW_SPLIT equal slices that are (appended after
// gemm_team.wgsl, rows.wgsl and src/gpu/rows.ts's rowProduct): B's columns stay in each
// invocation's copy while its workgroup walks rows of C. Workgroup (x, y) takes rows x, x + X, …
// (X workgroups along x) of slice y, k in [y·ROW_K, (y + 1)·ROW_K), invocation i columns 8i … 8i + 7;
// no barriers. Split, slice y writes its sums to its own [M, N] block of `c` (a scratch buffer, no
// bias; C_OFF 0, C_LD N, C_SN 1) and gemm.wgsl's split_sum adds the blocks in slice order.
// Columns past N are computed, not written.
override ROW_SPLIT: u32 = 1u;

@compute @workgroup_size(ROW_WG)
fn row_gemm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) li: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let k0 = wid.y * ROW_K;
  let block = wid.y * M * N;
  tc0 = li * 8u;
  rowLoadB(k0);
  for (var m = wid.x; m < M; m += nwg.x) {
    tr0 = m;
    let p = rowProduct(lane, teamARow(0u) + teamAK(k0));
    for (var j = 0u; j < 8u; j++) {
      let n = tc0 + j;
      if (n < N) {
        var v = rowAt(p, j);
        if (HAS_BIAS && ROW_SPLIT == 1u) { v += bias[BIAS_OFF + select(n, m, BIAS_ROWS)]; }
        c[C_OFF + block + m * C_LD + n * C_SN] = v;
      }
    }
  }
}
