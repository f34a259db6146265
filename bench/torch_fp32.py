# torch_probe.py (../shared/device/) with TensorFloat-32 off: PyTorch's figures computed in f32.
# Why a second run: with torch.backends.cudnn.allow_tf32 at its default (True) cuDNN may do an
# RNN's products on TF32 tensor cores (operands rounded to a 10-bit mantissa), the issue's
# baseline; webrnn computes in f32 throughout (its parity tests hold it to ~1e-4 of a float64
# reference), so this run is the like-for-like one. The probe itself is run unchanged.
#
#   python3 bench/dist/torch_fp32.py [probe, default torch_probe.py beside this file] > torch-fp32.json
import contextlib, io, json, os, runpy, sys

import torch

torch.backends.cudnn.allow_tf32 = False
torch.backends.cuda.matmul.allow_tf32 = False
probe = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), 'torch_probe.py')
out = io.StringIO()
with contextlib.redirect_stdout(out):
    runpy.run_path(probe, run_name='__main__')
res = json.loads(out.getvalue())
# read back after the run: the probe must not have turned TF32 on again
res['allow_tf32'] = {'cudnn': torch.backends.cudnn.allow_tf32, 'matmul': torch.backends.cuda.matmul.allow_tf32}
print(json.dumps(res, indent=1))
