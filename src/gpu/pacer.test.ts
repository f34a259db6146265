import { describe, expect, it } from 'vitest';
import { Pacer, PACE_MIN_MS, PACE_SHARE, waitsSpin } from './pacer.js';

/** A pacer on a fake clock whose sleeps advance the clock and are recorded. */
function fakePacer(enabled = true): { pacer: Pacer; slept: number[]; clock: { t: number } } {
  const clock = { t: 1000 };
  const slept: number[] = [];
  const pacer = new Pacer(
    enabled,
    () => clock.t,
    async (ms) => {
      slept.push(ms);
      clock.t += ms;
    },
  );
  return { pacer, slept, clock };
}

describe('the pacer', () => {
  it('does not sleep before the first two calls of a kind, then sleeps the share of the last one not yet elapsed', async () => {
    const { pacer, slept, clock } = fakePacer();
    let t0 = clock.t;
    await pacer.beforeWait('train', t0);
    clock.t += 3000; // the first call builds pipelines: not an estimate
    pacer.done('train', t0);
    expect(pacer.expectedMs('train')).toBeUndefined();
    t0 = clock.t;
    await pacer.beforeWait('train', t0);
    expect(slept).toEqual([]);
    clock.t += 100; // the GPU took 100 ms
    pacer.done('train', t0);
    expect(pacer.expectedMs('train')).toBe(100);

    t0 = clock.t;
    clock.t += 5; // 5 ms of encoding and submitting before the wait
    await pacer.beforeWait('train', t0);
    expect(slept).toEqual([PACE_SHARE * 100 - 5]);
  });

  it('keeps one estimate per kind of call', async () => {
    const { pacer, slept, clock } = fakePacer();
    for (const kind of ['train', 'generate']) pacer.done(kind, clock.t); // first calls
    pacer.done('train', clock.t - 200);
    pacer.done('generate', clock.t - 40);
    await pacer.beforeWait('generate', clock.t);
    await pacer.beforeWait('train', clock.t);
    expect(slept).toEqual([PACE_SHARE * 40, PACE_SHARE * 200]);
  });

  it('shrinks its estimate when the GPU was done before the sleep ended, and follows a slower GPU at once', async () => {
    const { pacer, clock } = fakePacer();
    pacer.done('train', clock.t);
    pacer.done('train', clock.t - 100);
    // the GPU now takes 50 ms: each call's result is there when the sleep ends
    for (let i = 0; i < 3; i++) {
      const t0 = clock.t;
      await pacer.beforeWait('train', t0);
      clock.t = Math.max(clock.t, t0 + 50);
      pacer.done('train', t0);
    }
    expect(pacer.expectedMs('train')).toBeCloseTo(100 * PACE_SHARE ** 3);
    const t0 = clock.t;
    await pacer.beforeWait('train', t0);
    clock.t = t0 + 300; // much slower
    pacer.done('train', t0);
    expect(pacer.expectedMs('train')).toBe(300);
  });

  it('skips sleeps shorter than the timer can keep, and every sleep when disabled', async () => {
    const { pacer, slept, clock } = fakePacer();
    pacer.done('generate', clock.t);
    pacer.done('generate', clock.t - (PACE_MIN_MS / PACE_SHARE) * 0.9);
    await pacer.beforeWait('generate', clock.t);
    expect(slept).toEqual([]);

    const off = fakePacer(false);
    off.pacer.done('train', off.clock.t);
    off.pacer.done('train', off.clock.t - 500);
    await off.pacer.beforeWait('train', off.clock.t);
    expect(off.slept).toEqual([]);
    expect(off.pacer.expectedMs('train')).toBeUndefined();
  });

  it('says that waits spin in Node, where these tests run', () => {
    expect(waitsSpin()).toBe(true);
  });
});
