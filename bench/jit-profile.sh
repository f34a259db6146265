#!/bin/sh
# What SwiftShader's JIT makes of a kernel: runs a Node script on SwiftShader (scripts/gpu-env.sh),
# copies the executable code SwiftShader generated (its "swiftshader_jit" mappings) out of the
# process while the script runs, samples the process with perf, and prints where the samples fall
# (JIT code against Node, Dawn, libc) and, for the JIT code, which instructions they land on. The
# disassembly is kept (OUT_DIR/jit.s, with the sample count per address in OUT_DIR/hot.txt) for
# reading the hot loops. Behind the instruction counts in bench/RESULTS.md ("what SwiftShader's JIT
# makes of the team tile"). Needs perf (Debian: linux-perf), objdump (binutils) and python3; run the
# script long enough (REPS for bench/micro-gemm.mjs) to outlast WARM + DUR.
#
#   REPS=3000 sh bench/jit-profile.sh bench/micro-gemm.mjs 8,8,s
#   env WARM (s before sampling, default 6: pipelines built), DUR (s sampled, 6), OUT_DIR (/tmp/jit-profile)
set -eu
WARM=${WARM:-6}
DUR=${DUR:-6}
OUT_DIR=${OUT_DIR:-/tmp/jit-profile}
mkdir -p "$OUT_DIR"
root=$(cd "$(dirname "$0")/.." && pwd)

sh "$root/scripts/gpu-env.sh" node "$@" > "$OUT_DIR/run.log" 2>&1 &
pid=$!
sleep "$WARM"
# gpu-env.sh execs node, so the child's pid is node's
if ! kill -0 "$pid" 2>/dev/null; then echo "jit-profile: the script ended within WARM=$WARM s (see $OUT_DIR/run.log)" >&2; exit 1; fi

python3 - "$pid" "$OUT_DIR" <<'PY'
import sys
pid, out = sys.argv[1], sys.argv[2]
regions = []
with open(f'/proc/{pid}/maps') as maps, open(f'/proc/{pid}/mem', 'rb') as mem, open(f'{out}/jit.bin', 'wb') as dst:
    for line in maps:
        f = line.split()
        if 'swiftshader_jit' in line and 'x' in f[1]:
            lo, hi = (int(x, 16) for x in f[0].split('-'))
            mem.seek(lo)
            dst.write(mem.read(hi - lo))
            regions.append((lo, hi))
with open(f'{out}/regions.txt', 'w') as r:
    base = 0
    for lo, hi in regions:
        r.write(f'{lo:x} {hi:x} {base:x}\n')  # mapping start, end, offset in jit.bin
        base += hi - lo
if not regions: sys.exit('jit-profile: no swiftshader_jit code in the process (not on SwiftShader?)')
PY

perf record -F 1999 -p "$pid" -o "$OUT_DIR/perf.data" -- sleep "$DUR" > /dev/null 2>&1
kill "$pid" 2>/dev/null || true
objdump -D -b binary -m i386:x86-64 "$OUT_DIR/jit.bin" > "$OUT_DIR/jit.s"

python3 - "$OUT_DIR" <<'PY'
import collections, re, subprocess, sys
out = sys.argv[1]
regions = [tuple(int(x, 16) for x in l.split()) for l in open(f'{out}/regions.txt')]
text = {}
for l in open(f'{out}/jit.s'):
    m = re.match(r'\s+([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*(.*)', l)
    if m: text[int(m.group(1), 16)] = m.group(2).strip()
script = subprocess.run(['perf', 'script', '-i', f'{out}/perf.data', '-F', 'ip,dso'], capture_output=True, text=True).stdout
where, ops, hot = collections.Counter(), collections.Counter(), collections.Counter()
total = 0
for l in script.splitlines():
    f = l.split(None, 1)
    if len(f) < 2: continue
    total += 1
    ip = int(f[0], 16)
    jit = [base + ip - lo for lo, hi, base in regions if lo <= ip < hi]
    if jit:
        where['JIT code'] += 1
        hot[jit[0]] += 1
        ops[(text.get(jit[0], '?').split() or ['?'])[0]] += 1
    else:
        where[f[1].strip('()').split('/')[-1]] += 1
pct = lambda n: f'{100 * n / max(total, 1):.1f}%'
print(f'{total} samples: ' + ', '.join(f'{k} {pct(v)}' for k, v in where.most_common(6)))
print('JIT code by instruction: ' + ', '.join(f'{k} {pct(v)}' for k, v in ops.most_common(12)))
with open(f'{out}/hot.txt', 'w') as h:
    for a, n in sorted(hot.items(), key=lambda x: -x[1]): h.write(f'{a:x} {n} {text.get(a, "?")}\n')
print(f'disassembly: {out}/jit.s, samples per address: {out}/hot.txt')
PY
