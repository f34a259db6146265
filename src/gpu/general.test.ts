// GPU-vs-CPU parity of the general plan (src/gpu/backend.ts generalForwardPlan / generalBackwardPlan:
// embeddings, tied heads, bidirectional stacks, no biases, no head, lengths, dropout) on every
// kernel family, the same check as backend.test.ts runs on the classic plan (test/parity.ts). In a
// file of its own so that vitest runs it beside backend.test.ts, one on each core.
import { describe, expect, it } from 'vitest';
import { nodeGpu } from '../../test/gpu-device.js';
import { failures, parity, GENERAL_CASES } from '../../test/parity.js';

for (const kernels of ['gpu', 'gpu-per-step', 'cpu', 'cpu-team', 'cpu-team-per-step'] as const) {
  describe(`the general plan with the '${kernels}' kernels matches the CPU reference`, () => {
    for (const [name, spec] of GENERAL_CASES) {
      it(`on ${name}`, async () => {
        const rows = await parity(await nodeGpu(), { ...spec, kernels });
        expect(rows.length).toBeGreaterThan(8);
        expect(failures(rows)).toEqual([]);
      });
    }
  });
}
