"""A golden case in ../shared/golden's seq format where a ReLU unit is dead at step 1 and revives
at step 2: its parameters' gradients are exactly 0 at step 1 (so one Adam step leaves them
unchanged) and not 0 at step 2 (so the second Adam step moves them). Written for issue 16: the
golden runner once required "gradient 0 at step 1" entries to be unchanged after two steps too.

Run with Debian's PyTorch:  /usr/bin/python3 tools/golden/make_revive.py [out_dir]
(default out_dir: test/fixtures/golden). The weights are random, rounded to f32; the dead unit is
made by setting its b_ih so that its largest pre-activation over the batch is -DELTA, and the
seed search keeps the first model whose unit comes back after one Adam step by a clear margin
(so an f32 engine agrees on the sign). Everything is computed in float64 from the f32 weights.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from make_models import write_safetensors  # noqa: E402

torch.set_default_dtype(torch.float64)
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'golden')
NAME = 'rnn_relu_revive'
V, H, B, T = 7, 8, 2, 6
UNIT = 3
DELTA = 2e-3
MARGIN = 2e-3  # the revived unit's largest pre-activation at step 2 must be above this


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(V, H, nonlinearity='relu', batch_first=True)
        self.fc = nn.Linear(H, V)

    def forward(self, x, h0):
        out, hn = self.rnn(x, h0)
        return out, hn, self.fc(out)


def preact(m, x, h0):
    """The pre-activations of every unit at every step, [B, T, H]."""
    with torch.no_grad():
        out, _, _ = m(x, h0)
        prev = torch.cat([h0.transpose(0, 1), out[:, :-1]], dim=1)
        return x @ m.rnn.weight_ih_l0.T + m.rnn.bias_ih_l0 + prev @ m.rnn.weight_hh_l0.T + m.rnn.bias_hh_l0


def run(m, x, h0, targets):
    out, hn, logits = m(x, h0)
    logp = F.log_softmax(logits, -1)
    return F.nll_loss(logp.reshape(-1, V), targets.reshape(-1)), out, hn, logits, logp


def build(seed):
    g = torch.Generator().manual_seed(seed)
    m = Net()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(((torch.rand(p.shape, generator=g) * 2 - 1) * 0.6).float().double())
    tokens = torch.randint(0, V, (B, T + 1), generator=g)
    x = F.one_hot(tokens[:, :T], V).double()
    h0 = torch.zeros(1, B, H)
    # unit UNIT's pre-activation peaks at -DELTA: dead at every step of every row. The unit's own
    # h is 0 throughout, so its pre-activations do not depend on b_ih[UNIT] but through the shift.
    with torch.no_grad():
        a = preact(m, x, h0)[:, :, UNIT]
        m.rnn.bias_ih_l0[UNIT] -= a.max() + DELTA
        m.rnn.bias_ih_l0.copy_(m.rnn.bias_ih_l0.float().double())
    return m, tokens, x, h0


def adam_steps(m, x, h0, targets, n):
    opt = torch.optim.Adam(m.parameters(), lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    out = []
    for _ in range(n):
        opt.zero_grad()
        loss, *_ = run(m, x, h0, targets)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0).item()
        out.append((loss.item(), norm, {k: p.grad.clone() for k, p in m.named_parameters()}))
        opt.step()
    return out


def main():
    for seed in range(1000):
        m, tokens, x, h0 = build(seed)
        targets = tokens[:, 1:]
        if preact(m, x, h0)[:, :, UNIT].max() >= 0:
            continue
        start = {k: v.detach().clone() for k, v in m.named_parameters()}
        steps = adam_steps(m, x, h0, targets, 2)
        g1, g2 = steps[0][2], steps[1][2]
        dead1 = g1['rnn.weight_hh_l0'][UNIT].abs().max() == 0 and g1['rnn.bias_ih_l0'][UNIT] == 0
        with torch.no_grad():
            for k, p in m.named_parameters():
                p.copy_(start[k])
        adam_steps(m, x, h0, targets, 1)
        peak = preact(m, x, h0)[:, :, UNIT].max().item()
        with torch.no_grad():
            for k, p in m.named_parameters():
                p.copy_(start[k])
        if dead1 and g2['rnn.bias_ih_l0'][UNIT] != 0 and peak > MARGIN:
            break
    else:
        raise SystemExit('no seed revives the unit')
    print(f'seed {seed}: unit {UNIT} dead at step 1 (peak -{DELTA}), peak {peak:.4g} after one Adam step')

    d = os.path.join(OUT, NAME)
    os.makedirs(d, exist_ok=True)
    names = [k for k, _ in m.named_parameters()]
    write_safetensors(os.path.join(d, 'weights.safetensors'), [(k, start[k].float().numpy()) for k in names])
    m.zero_grad()
    loss, out, hn, logits, logp = run(m, x, h0, targets)
    loss.backward()
    grads = {k: p.grad.clone() for k, p in m.named_parameters()}
    norm = torch.sqrt(sum((gr ** 2).sum() for gr in grads.values())).item()
    tensors = {
        'tokens': tokens.numpy().astype(np.int32), 'input_ids': tokens[:, :T].numpy().astype(np.int32),
        'targets': targets.numpy().astype(np.int32), 'x': x.numpy(), 'h0': h0.numpy(),
        'out': out.detach().numpy(), 'h_n': hn.detach().numpy(), 'h_seq': out.detach().unsqueeze(0).numpy(),
        'logits': logits.detach().numpy(), 'logp': logp.detach().numpy(),
    }
    for k in names:
        tensors['grad.' + k] = grads[k].numpy()
    scalars = {'loss': loss.item(), 'grad_norm': norm}

    def restore():
        with torch.no_grad():
            for k, p in m.named_parameters():
                p.copy_(start[k])

    for prefix, n in [('after_adam.', 1), ('after_adam2.', 2)]:
        restore()
        steps = adam_steps(m, x, h0, targets, n)
        if n == 2:
            scalars['adam2_loss_step2'] = steps[1][0]
            scalars['adam2_grad_norm_step2'] = steps[1][1]
        for k, p in m.named_parameters():
            tensors[prefix + k] = p.detach().numpy().copy()
    for prefix, clip in [('after_sgd.', None), ('after_sgd_clip.', 1.0), ('after_sgd_clip_tight.', 0.1)]:
        restore()
        opt = torch.optim.SGD(m.parameters(), lr=0.1)
        opt.zero_grad()
        run(m, x, h0, targets)[0].backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(m.parameters(), clip)
        opt.step()
        for k, p in m.named_parameters():
            tensors[prefix + k] = p.detach().numpy().copy()
    scalars['clip_coef'] = min(1.0, 1.0 / (norm + 1e-6))
    scalars['clip_coef_tight'] = min(1.0, 0.1 / (norm + 1e-6))

    ordered = [(k, v.astype(np.int32) if v.dtype.kind in 'iu' else v.astype(np.float64)) for k, v in tensors.items()]
    write_safetensors(os.path.join(d, 'expected.safetensors'), ordered,
                      {'format': 'pt', 'case': NAME, 'torch_version': torch.__version__, **{k: repr(v) for k, v in scalars.items()}})
    small = {k: {'dtype': 'i32' if v.dtype == np.int32 else 'f64', 'shape': list(v.shape), 'data': v.reshape(-1).tolist()}
             for k, v in ordered if not k.startswith(('grad.', 'after_'))}
    with open(os.path.join(d, 'expected.json'), 'w') as f:
        json.dump({'case': NAME, 'scalars': scalars, 'tensors': small}, f)
    case = {
        'name': NAME, 'kind': 'seq', 'cell': 'rnn', 'nonlinearity': 'relu', 'input_size': V, 'hidden_size': H,
        'num_layers': 1, 'output_size': V, 'bias': True, 'batch_first': True, 'batch_size': B, 'seq_len': T,
        'vocab': V, 'input_kind': 'one_hot', 'targets': 'next token: tokens[:,1:]',
        'head': 'Linear(hidden_size -> output_size), log_softmax over last dim', 'loss': 'nll_mean',
        'initial_state': 'zeros', 'seed': seed,
        'note': f'unit {UNIT} of the RNN is dead at step 1 (all its gradients exactly 0) and revives at step 2 of Adam',
        'parameters': {k: list(start[k].shape) for k in names},
        'expected_tensors': {k: list(v.shape) for k, v in ordered}, 'scalars': scalars,
        'optimizers': {
            'after_adam.': 'one step: clip_grad_norm_(params, 1.0) then Adam(lr=0.01, betas=(0.9,0.999), eps=1e-8)',
            'after_adam2.': 'two steps of (zero_grad, forward, backward, clip_grad_norm_ 1.0, Adam step), same optimizer',
            'after_sgd.': 'one step: SGD(lr=0.1), no clipping, no momentum',
            'after_sgd_clip.': 'one step: clip_grad_norm_(params, 1.0) then SGD(lr=0.1)',
            'after_sgd_clip_tight.': 'one step: clip_grad_norm_(params, 0.1) then SGD(lr=0.1)'},
        'reference_dtype': 'float64 (computed from the F32 weights upcast to f64)', 'weights_dtype': 'F32',
        'torch_version': torch.__version__,
    }
    with open(os.path.join(d, 'case.json'), 'w') as f:
        json.dump(case, f, indent=1)


if __name__ == '__main__':
    main()
