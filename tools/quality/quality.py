"""The PyTorch twin of `npm run quality` (scripts/quality.ts): the same two setups, the same data
preparation (demo/tasks/realdata.ts), PyTorch's own init and RNG. Run with Debian's PyTorch:

    /usr/bin/python3 tools/quality/quality.py [--json] [--threads N]

shakespeare: one-hot 65 -> LSTM(128, 2 layers, batch_first) -> Linear(128, 65), NLL, Adam lr 2e-3,
  clip_grad_norm_ 1.0, batches of 32 random 64-character windows of the first 90 % (seeded), 1,500
  steps; validation loss = mean NLL over 50 fixed 64-character windows of the last 10 %, at steps
  0, 250, 500, 1000, 1500.
names: one-hot 57 -> RNN(128, tanh) -> Linear(128, 18) on each name's last real step (packed),
  NLL, Adam lr 1e-3, batches of 64, 10 epochs over the 85 % split; held-out accuracy and mean NLL.
"""
import json
import os
import sys
import time
import unicodedata

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ .,;'"
M32 = 0xFFFFFFFF


def to_ascii(s):
    return ''.join(c for c in unicodedata.normalize('NFD', s) if unicodedata.category(c) != 'Mn' and c in LETTERS)


def hash32(i):
    h = (i * 0x9e3779b1 + 0x2545f491) & M32
    h = ((h ^ (h >> 16)) * 0x45d9f3b) & M32
    h = ((h ^ (h >> 16)) * 0x45d9f3b) & M32
    return (h ^ (h >> 16)) & M32


def prepare_names():
    d = os.path.join(ROOT, 'data', 'names')
    labels = sorted(f[:-4] for f in os.listdir(d) if f.endswith('.txt'))
    train, test, i = [], [], 0
    for label, lang in enumerate(labels):
        for line in open(os.path.join(d, lang + '.txt'), encoding='utf-8').read().strip().split('\n'):
            name = to_ascii(line)
            index = i
            i += 1
            if not name:
                continue
            (test if hash32(index) % 100 < 15 else train).append((name, label))
    return labels, train, test


def name_batch(names):
    seqs = [[LETTERS.index(c) for c in n] for n in names]
    T = max(len(s) for s in seqs)
    x = torch.zeros(len(seqs), T, len(LETTERS))
    for b, s in enumerate(seqs):
        for t, c in enumerate(s):
            x[b, t, c] = 1
    return x, torch.tensor([len(s) for s in seqs])


class CharRNN(nn.Module):
    def __init__(self, i, h, o):
        super().__init__()
        self.rnn = nn.RNN(i, h, batch_first=True)
        self.h2o = nn.Linear(h, o)

    def forward(self, x, lengths):
        _, h = self.rnn(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
        return F.log_softmax(self.h2o(h[0]), dim=1)


def names_run(seed=0):
    torch.manual_seed(seed)
    labels, train, test = prepare_names()
    model = CharRNN(len(LETTERS), 128, len(labels))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    t0 = time.time()
    steps = 0
    for epoch in range(10):
        order = torch.randperm(len(train)).tolist()
        for i in range(0, len(order), 64):
            part = [train[j] for j in order[i:i + 64]]
            x, lengths = name_batch([n for n, _ in part])
            y = torch.tensor([l for _, l in part])
            opt.zero_grad()
            loss = F.nll_loss(model(x, lengths), y)
            loss.backward()
            opt.step()
            steps += 1
    ms = (time.time() - t0) * 1000 / steps
    with torch.no_grad():
        correct, nll = 0, 0.0
        for i in range(0, len(test), 512):
            part = test[i:i + 512]
            x, lengths = name_batch([n for n, _ in part])
            y = torch.tensor([l for _, l in part])
            lp = model(x, lengths)
            nll += F.nll_loss(lp, y, reduction='sum').item()
            correct += (lp.argmax(1) == y).sum().item()
    return {'testAccuracy': correct / len(test), 'testNll': nll / len(test), 'msPerStep': ms, 'steps': steps,
            'train': len(train), 'test': len(test)}


class CharLM(nn.Module):
    def __init__(self, V, H, L):
        super().__init__()
        self.rnn = nn.LSTM(V, H, L, batch_first=True)
        self.fc = nn.Linear(H, V)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out)


def shakespeare_run(seed=0, steps=1500, checkpoints=(0, 250, 500, 1000, 1500)):
    torch.manual_seed(seed)
    text = open(os.path.join(ROOT, 'data', 'tinyshakespeare', 'input.txt'), encoding='utf-8').read()
    chars = sorted(set(text))
    V = len(chars)
    index = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([index[c] for c in text])
    cut = int(len(ids) * 0.9)
    train, val = ids[:cut], ids[cut:]
    W, B = 64, 32
    starts = [(j * (len(val) - W - 1)) // 49 for j in range(50)]
    vx = torch.stack([val[s:s + W] for s in starts])
    vy = torch.stack([val[s + 1:s + W + 1] for s in starts])
    model = CharLM(V, 128, 2)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)

    def val_loss():
        with torch.no_grad():
            return F.cross_entropy(model(F.one_hot(vx, V).float()).reshape(-1, V), vy.reshape(-1)).item()

    curve = {}
    t0 = time.time()
    for step in range(steps + 1):
        if step in checkpoints:
            curve[str(step)] = val_loss()
        if step == steps:
            break
        s = torch.randint(0, len(train) - W - 1, (B,))
        x = torch.stack([train[i:i + W] for i in s])
        y = torch.stack([train[i + 1:i + W + 1] for i in s])
        opt.zero_grad()
        loss = F.cross_entropy(model(F.one_hot(x, V).float()).reshape(-1, V), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return {'valLoss': curve, 'msPerStep': (time.time() - t0) * 1000 / steps}


if __name__ == '__main__':
    if '--threads' in sys.argv:
        torch.set_num_threads(int(sys.argv[sys.argv.index('--threads') + 1]))
    out = {'shakespeare': shakespeare_run(), 'names': names_run(),
           'machine': f'PyTorch {torch.__version__}, {torch.get_num_threads()} threads, CPU'}
    print(json.dumps(out, indent=1) if '--json' in sys.argv else out)
