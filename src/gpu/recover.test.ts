// Device loss: a destroyed device makes every call reject with DeviceLostError; model.recover()
// rebuilds the model on a new device from its last CPU snapshot and training goes on from there,
// with the losses the uninterrupted run had.
import { describe, it, expect } from 'vitest';
import { nodeGpu } from '../../test/gpu-device.js';
import { recoveryRun } from '../../test/recover.js';

describe('a lost device', () => {
  it('rejects calls with DeviceLostError, and recover() goes on from the snapshot with the same losses', async () => {
    const run = await recoveryRun(await nodeGpu(), { total: 12, every: 4, lostAfter: 9 });
    expect(run.lostError.name).toBe('DeviceLostError');
    expect(run.lostError.reason).toBe('destroyed');
    expect(run.lostError.snapshotStep).toBe(8);
    expect(run.lostError.message).toMatch(/model\.recover\(\) restores the snapshot of step 8/);
    expect(run.paramsError).toBe('DeviceLostError');
    expect(run.statsSnapshot).toBe(8);
    expect(run.recoveredStep).toBe(8);
    expect(run.before).toEqual(run.reference.slice(0, 9));
    // steps 9..12 again from step 8's parameters and Adam moments: the uninterrupted run's losses
    expect(run.after.length).toBe(4);
    for (let i = 0; i < 4; i++) expect(run.after[i]).toBeCloseTo(run.reference[8 + i], 5);
  });
});
