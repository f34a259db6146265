// Run before every unit test file (vite.config.ts setupFiles): after the file, no WebGPU error has
// escaped the error scopes every call records and submits in (src/gpu/failures.ts), so none
// reached a caller raw, nor went unreported, except those a test caused on purpose and declared.
import { afterAll, expect } from 'vitest';
import { uncapturedErrors } from '../src/gpu/failures.js';

let declared = 0;

/** A test that makes WebGPU report `n` errors outside webrnn's scopes on purpose says so here. */
export function declareUncaptured(n: number): void {
  declared += n;
}

afterAll(() => {
  expect(uncapturedErrors(), "WebGPU errors outside any call's error scopes (uncapturederror events)").toBe(declared);
});
