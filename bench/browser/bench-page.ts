// The browser half of the bench: webrnn (WebGPU) and TF.js (webgpu, wasm, cpu) training the same
// char-LM, RNN H128 B32 T64 over V = 65 one-hot tokens, in one page of one browser session.
//
// TF.js model: tfjs-layers SimpleRNN(H, returnSequences) + TimeDistributed(Dense(V)), softmax
// cross-entropy on the logits (mean over B·T), Adam(1e-3). The one-hot inputs and targets are a
// gather from an identity matrix (tf.gather(tf.eye(V), ids)): tf.oneHot silently breaks the
// webgpu and wasm backends here. TF.js has no clip_grad_norm in minimize(), so its step skips the
// clip webrnn does (a little less work for TF.js).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { CHROMIUM, VOCAB } from '../configs.js';
import { charBatch, measure, summarize } from '../measure.js';
import { profileShape, profileStep } from '../profile.js';
import type { TfjsBackend, TfjsMeasurement, WebrnnBenchApi } from './protocol.js';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

async function tfjsStepTimes(backend: TfjsBackend, r: { warmup: number; reps: number }, profile: boolean): Promise<TfjsMeasurement> {
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend '${backend}' failed to initialise`);
  await tf.ready();
  const { B, T, H } = CHROMIUM;
  const model = tf.sequential({
    layers: [
      tf.layers.simpleRNN({ units: H, returnSequences: true, inputShape: [T, VOCAB] }),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: VOCAB }) }),
    ],
  });
  const opt = tf.train.adam(1e-3);
  const eye = tf.eye(VOCAB);
  const { ids, targets } = charBatch(B, T);
  const idsT = tf.tensor2d(ids, [B, T], 'int32');
  const targetsT = tf.tensor2d(targets, [B, T], 'int32');
  // One step as an app would write it: one-hot the batch, forward, loss, backward, Adam.
  const step = (): tf.Scalar =>
    tf.tidy(() => {
      const x = tf.gather(eye, idsT); // [B, T, V]
      const y = tf.gather(eye, targetsT);
      return opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar, true)!;
    });
  try {
    const times: number[] = [];
    let loss = NaN;
    for (let i = 0; i < r.warmup + r.reps; i++) {
      const t0 = performance.now();
      const l = step();
      loss = (await l.data())[0];
      l.dispose();
      if (i >= r.warmup) times.push(performance.now() - t0);
    }
    let kernels: number | undefined;
    if (profile) {
      const p = await tf.profile(async () => {
        const l = step();
        await l.data();
        l.dispose();
      });
      kernels = p.kernels.length;
    }
    const detail =
      backend === 'wasm'
        ? `simd ${String(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))}, ${getThreadsCount()} thread(s)`
        : undefined;
    return { backend, time: summarize(times), warmup: r.warmup, loss, kernels, detail };
  } finally {
    tf.dispose([eye, idsT, targetsT]);
    model.dispose();
    opt.dispose();
  }
}

const api: WebrnnBenchApi = {
  info: () => ({
    userAgent: navigator.userAgent,
    tfjsVersion: tf.version.tfjs,
    crossOriginIsolated: self.crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
  }),
  webrnn: (r, kernels) => measure(CHROMIUM, r, { kernels }),
  profile: (kernels) => profileStep({ ...profileShape, gpu: navigator.gpu, kernels }),
  tfjs: tfjsStepTimes,
};
window.webrnnBench = api;
document.querySelector('[data-testid="status"]')!.textContent = 'ready';
