// Waiting for the GPU without taking the CPU from it. Dawn's Node binding (the `webgpu` package)
// resolves a pending promise (mapAsync, popErrorScope, onSubmittedWorkDone) by calling the device's
// event processing from a setImmediate loop, so while a call waits one core spins. On a GPU that
// costs nothing; on a CPU adapter (SwiftShader) that core is one the adapter's worker threads would
// have used: an RNN H128 B32 T64 training step on this 2-vCPU machine took 195–215 ms (medians)
// with the loss read-back requested at once and 117–129 ms with the pause below (bench/RESULTS.md,
// "Node: waiting without spinning"). A browser runs WebGPU in
// another process and waits on events: nothing to gain there.
//
// So in Node on a CPU adapter a call that reads a result back first sleeps through SHARE of the GPU
// time its kind of call took last time, then asks. The estimate corrects itself: when the GPU was
// done before the sleep ended, the next sleep is SHARE of this one (shrinking until it undershoots);
// when it took longer, the next estimate is the longer time. A kind's first call is not taken as an
// estimate: it builds pipelines and plans, which can take seconds.

/** Share of the expected time slept before asking: the rest is waited for as before. */
export const PACE_SHARE = 0.85;
/** Sleeps shorter than this are skipped (timer granularity). */
export const PACE_MIN_MS = 4;

export type Sleep = (ms: number) => Promise<void>;
const timerSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Pacer {
  private readonly expected = new Map<string, number>();
  private readonly seen = new Set<string>();

  constructor(
    readonly enabled: boolean,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: Sleep = timerSleep,
  ) {}

  /** Resolves once a call of `kind` submitted at `t0` is expected to be nearly done (at once when disabled or new). */
  async beforeWait(kind: string, t0: number): Promise<void> {
    if (!this.enabled) return;
    const e = this.expected.get(kind);
    if (e === undefined) return;
    const left = PACE_SHARE * e - (this.now() - t0);
    if (left >= PACE_MIN_MS) await this.sleep(left);
  }

  /** Records that the call of `kind` submitted at `t0` has its result now (from the kind's second call on). */
  done(kind: string, t0: number): void {
    if (!this.enabled) return;
    if (this.seen.has(kind)) this.expected.set(kind, this.now() - t0);
    else this.seen.add(kind);
  }

  /** The GPU time a call of `kind` is expected to take (ms), if known. */
  expectedMs(kind: string): number | undefined {
    return this.expected.get(kind);
  }
}

/**
 * Whether waits spin a core here: Node (and runtimes that present themselves as Node) with Dawn's
 * binding, as opposed to a browser's navigator.gpu.
 */
export function waitsSpin(): boolean {
  const g = globalThis as { process?: { versions?: { node?: string } }; navigator?: { gpu?: unknown } };
  return typeof g.process?.versions?.node === 'string' && !g.navigator?.gpu;
}
