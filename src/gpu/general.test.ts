// GPU-vs-CPU parity of the general plan (src/gpu/general.ts generalForwardPlan / generalBackwardPlan:
// embeddings, tied heads, bidirectional stacks, no biases, no head, lengths, dropout) on every
// kernel family, the same check as backend.test.ts runs on the classic plan (test/parity.ts). In a
// file of its own so that vitest runs it beside backend.test.ts, one on each core. The general plan
// builds each unit's recurrence with the classic plan's op builders, whose one-dispatch and
// per-step forms backend.test.ts covers case by case: here every case runs on the three families
// 'auto' picks ('gpu' on GPUs, 'cpu' on CPU adapters without 4-wide subgroups, 'cpu-team' on
// SwiftShader), and the per-step forms on the cases with two directions and lengths.
import { describe, expect, it } from 'vitest';
import { nodeGpu } from '../../test/gpu-device.js';
import { failures, parity, GENERAL_CASES } from '../../test/parity.js';

const PER_STEP = (name: string): boolean => /bidirectional/.test(name) && /lengths/.test(name);

for (const kernels of ['gpu', 'gpu-per-step', 'cpu', 'cpu-team', 'cpu-team-per-step'] as const) {
  describe(`the general plan with the '${kernels}' kernels matches the CPU reference`, () => {
    for (const [name, spec] of GENERAL_CASES.filter(([n]) => !kernels.endsWith('per-step') || PER_STEP(n))) {
      it(`on ${name}`, async () => {
        const rows = await parity(await nodeGpu(), { ...spec, kernels });
        expect(rows.length).toBeGreaterThan(8);
        expect(failures(rows)).toEqual([]);
      });
    }
  });
}
