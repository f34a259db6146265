// `row_gemm`: gemm_team.wgsl's product on the one-row product of shaders/rows.wgsl, for a K short
// enough to write out (appended after gemm_team.wgsl, rows.wgsl and src/gpu/rows.ts's rowProduct):
// B's columns stay in each invocation's copy while its workgroup walks rows of C. Workgroup w takes
// rows w, w + W, … (W workgroups), invocation i columns 8i … 8i + 7; no barriers. Columns past N
// are computed, not written.
@compute @workgroup_size(ROW_WG)
fn row_gemm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) li: u32, @builtin(subgroup_invocation_id) lane: u32) {
  tc0 = li * 8u;
  rowLoadB();
  for (var m = wid.x; m < M; m += nwg.x) {
    tr0 = m;
    let p = rowProduct(lane, teamARow(0u));
    for (var j = 0u; j < 8u; j++) {
      let n = tc0 + j;
      if (n < N) {
        var v = rowAt(p, j);
        if (HAS_BIAS) { v += bias[BIAS_OFF + select(n, m, BIAS_ROWS)]; }
        c[C_OFF + m * C_LD + n * C_SN] = v;
      }
    }
  }
}
