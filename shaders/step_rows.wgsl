// `row_seq`: a layer's forward recurrence in one dispatch on the one-row product of shaders/rows.wgsl
// (appended after step_team.wgsl, rows.wgsl and src/gpu/rows.ts's rowProduct). Workgroup w takes
// batch row w, invocation i the U = ⌊8 / G⌋ units from i·U on (their gates as in step_team.wgsl:
// column c is W_hh's row for gate ⌊c / U⌋ of unit i·U + c % U); a barrier between time steps.
// Units past H are computed, not written.
@compute @workgroup_size(ROW_WG)
fn row_seq(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32,
           @builtin(subgroup_invocation_id) lane: u32) {
  let G = gates();
  let U = teamUnits();
  tmB0 = wid.x;
  tmJ0 = li * U;
  rowLoadB(0u);
  for (var t = step.t0; t < step.t0 + step.nsteps; t++) {
    tmH = t * B * H;
    let p = rowProduct(lane, teamARow(0u));
    for (var u = 0u; u < U; u++) {
      let j = tmJ0 + u;
      if (j < H) {
        var r = vec4<f32>(rowAt(p, u), 0.0, 0.0, 0.0);
        if (G > 1u) { r.y = rowAt(p, U + u); r.z = rowAt(p, 2u * U + u); }
        if (G > 3u) { r.w = rowAt(p, 3u * U + u); }
        cellUpdate(t, tmB0, j, r);
      }
    }
    storageBarrier();
    workgroupBarrier();
  }
}
