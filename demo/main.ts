// Placeholder: reports whether this browser gives us a WebGPU adapter.
// The training demo replaces this file.

function show(testId: string, text: string): void {
  const el = document.querySelector(`[data-testid="${testId}"]`);
  if (el) el.textContent = text;
}

async function describeAdapter(): Promise<string | null> {
  if (!('gpu' in navigator)) return null;
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return null;
  const { description, vendor, architecture } = adapter.info;
  return description || [vendor, architecture].filter(Boolean).join(' / ') || 'unnamed adapter';
}

void describeAdapter().then((adapter) => {
  show('adapter', adapter ?? 'no WebGPU');
  show('backend', adapter ? 'webgpu' : 'cpu');
});
