"""PyTorch reference cases for the models of issue 15 (real PyTorch modules, their own names).

Run with Debian's PyTorch:  /usr/bin/python3 tools/golden/make_models.py [out_dir]
(default out_dir: test/fixtures/golden-models). Writes, per case, the format of
../shared/golden/README.md (weights.safetensors F32 under the module's state_dict names,
expected.safetensors F64 / I32, case.json) with `kind: "model"`:

  inputs   input_ids [B, T] (I32) or x [B, T, I]; lengths [B] (I32) when the case packs
  targets  targets [B, T] (nll: mean over real positions) or target [B] (nll_last: each row's
           last real step, i.e. the head on h_n as the names tutorial computes it)
  outputs  out [B, T, D*H] (the top layer, zero past a length, as pad_packed_sequence gives it),
           h_n [L*D, B, H], c_n, logits [B, T, O] (before log_softmax)
  loss, grad.<p> for every named parameter (a tied weight once, under its first name),
  after_adam.<p>: clip_grad_norm_(1.0) then Adam(lr=0.01) one step; after_sgd.<p>: SGD(0.1), no clip
  case.json: state_dict_keys (what load_state_dict(strict=True) expects), nonlinearity

The weights are rounded to f32 first and everything is computed in float64 from them, so the F32
file is exactly the model the reference used. Dropout is 0 (eval-mode parity).
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.set_default_dtype(torch.float64)
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'golden-models')


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, np.ndarray) in order; dtypes f32 / f64 / i32."""
    codes = {np.dtype('float32'): 'F32', np.dtype('float64'): 'F64', np.dtype('int32'): 'I32'}
    header, blobs, off = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for name, a in tensors:
        a = np.ascontiguousarray(a)
        b = a.astype(a.dtype.newbyteorder('<')).tobytes()
        header[name] = {'dtype': codes[a.dtype], 'shape': list(a.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# --- the modules, as their authors wrote them ------------------------------------------------

class RNNModel(nn.Module):
    """pytorch/examples word_language_model/model.py RNNModel (its forward is sequence-first)."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ['LSTM', 'GRU']:
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            nonlinearity = {'RNN_TANH': 'tanh', 'RNN_RELU': 'relu'}[rnn_type]
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            if nhid != ninp:
                raise ValueError('When using the tied flag, nhid must be equal to emsize')
            self.decoder.weight = self.encoder.weight
        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden, output


class CharRNN(nn.Module):
    """PyTorch's name-classification tutorial (char_rnn_classification_tutorial), fed packed names."""

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.rnn = nn.RNN(input_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, packed):
        rnn_out, hidden = self.rnn(packed)
        output = self.h2o(hidden[0])
        return self.softmax(output), rnn_out, hidden


class Tagger(nn.Module):
    """A bidirectional tagger: embedding -> 2-layer biLSTM over packed sequences -> Linear per step."""

    def __init__(self, vocab, emb, hidden, tags):
        super().__init__()
        self.embed = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, num_layers=2, bidirectional=True, batch_first=True)
        self.tagger = nn.Linear(2 * hidden, tags)


class Classifier(nn.Module):
    """Float features -> GRU without biases -> Linear on every step."""

    def __init__(self, features, hidden, classes):
        super().__init__()
        self.gru = nn.GRU(features, hidden, num_layers=2, bias=False, batch_first=True)
        self.classifier = nn.Linear(hidden, classes)


# --- helpers -----------------------------------------------------------------------------------

def f32_round_(model, scale, gen):
    """Random weights (U(-scale, scale)), rounded to f32 so the F32 file is the reference model."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_((torch.rand(p.shape, generator=gen) * 2 - 1) * scale)
            p.copy_(p.float().double())


def unique_params(model):
    return list(model.named_parameters())  # a tied weight once, under its first name


def save_case(name, model, case, tensors, run):
    """run(model) -> (loss, dict of output tensors); computes grads and one Adam / SGD step."""
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    sd = model.state_dict()
    write_safetensors(os.path.join(d, 'weights.safetensors'), [(k, v.detach().float().numpy()) for k, v in sd.items()])
    start = {k: v.detach().clone() for k, v in model.named_parameters()}
    model.zero_grad()
    loss, outs = run(model)
    loss.backward()
    expected = dict(tensors)
    expected.update({k: v.detach() for k, v in outs.items()})
    grads = {n: p.grad.detach().clone() for n, p in unique_params(model)}
    norm = torch.sqrt(sum((g ** 2).sum() for g in grads.values())).item()
    for n, g in grads.items():
        expected['grad.' + n] = g
    scalars = {'loss': loss.item(), 'grad_norm': norm}
    for label, make, clip in [('after_adam.', lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.9, 0.999), eps=1e-8), 1.0),
                              ('after_sgd.', lambda ps: torch.optim.SGD(ps, lr=0.1), None)]:
        with torch.no_grad():
            for n, p in model.named_parameters():
                p.copy_(start[n])
        opt = make(model.parameters())
        opt.zero_grad()
        l2, _ = run(model)
        l2.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        for n, p in unique_params(model):
            expected[label + n] = p.detach().clone()
    with torch.no_grad():
        for n, p in model.named_parameters():
            p.copy_(start[n])
    ordered = []
    for k, v in expected.items():
        a = v.numpy() if isinstance(v, torch.Tensor) else v
        ordered.append((k, a.astype(np.int32) if a.dtype.kind in 'iu' else a.astype(np.float64)))
    write_safetensors(os.path.join(d, 'expected.safetensors'), ordered, {k: repr(v) for k, v in scalars.items()})
    case = dict(case)
    case.update({
        'name': name,
        'kind': 'model',
        'torch_version': torch.__version__,
        'state_dict_keys': list(sd.keys()),
        'parameters': {k: list(v.shape) for k, v in sd.items()},
        'named_parameters': [n for n, _ in unique_params(model)],
        'expected_tensors': {k: list(a.shape) for k, a in ordered},
        'scalars': scalars,
        'optimizers': {'after_adam': 'clip_grad_norm_(1.0), Adam(lr=0.01, betas=(0.9, 0.999), eps=1e-8), one step',
                       'after_sgd': 'SGD(lr=0.1), no clipping, one step'},
    })
    with open(os.path.join(d, 'case.json'), 'w') as f:
        json.dump(case, f, indent=1)
    return name


def wlm_case(name, rnn_type, ntoken, ninp, nhid, nlayers, tied, B, T, seed):
    gen = torch.Generator().manual_seed(seed)
    model = RNNModel(rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.0, tie_weights=tied)
    f32_round_(model, 0.5, gen)
    model.eval()
    tokens = torch.randint(0, ntoken, (B, T + 1), generator=gen)
    ids, targets = tokens[:, :T], tokens[:, 1:]

    def run(m):
        logp, hidden, output = m(ids.t().contiguous(), None)  # sequence-first, as upstream
        loss = F.nll_loss(logp, targets.t().reshape(-1))
        h_n = hidden[0] if rnn_type == 'LSTM' else hidden
        outs = {'out': output.transpose(0, 1), 'h_n': h_n,
                'logits': m.decoder(output).transpose(0, 1)}
        if rnn_type == 'LSTM':
            outs['c_n'] = hidden[1]
        return loss, outs

    nl = 'relu' if rnn_type == 'RNN_RELU' else 'tanh' if rnn_type.startswith('RNN') else None
    return save_case(name, model, {'source': f'word_language_model RNNModel({rnn_type!r}, {ntoken}, {ninp}, {nhid}, {nlayers}, tie_weights={tied})',
                                   'nonlinearity': nl, 'loss': 'nll', 'batch_size': B, 'seq_len': T},
                     {'input_ids': ids.int(), 'targets': targets.int()}, run)


def names_case(seed):
    gen = torch.Generator().manual_seed(seed)
    I, H, O, B, T = 57, 24, 18, 5, 7
    model = CharRNN(I, H, O)
    f32_round_(model, 0.3, gen)
    lengths = torch.tensor([7, 3, 5, 1, 6])
    ids = torch.randint(0, I, (B, T), generator=gen)
    for b in range(B):
        ids[b, lengths[b]:] = 0  # padding; never read
    target = torch.randint(0, O, (B,), generator=gen)

    def run(m):
        x = F.one_hot(ids, I).double()
        packed = pack_padded_sequence(x.transpose(0, 1), lengths, enforce_sorted=False)
        logp, rnn_out, hidden = m(packed)
        out, _ = pad_packed_sequence(rnn_out, total_length=T)
        out = out.transpose(0, 1)
        loss = F.nll_loss(logp, target)
        return loss, {'out': out, 'h_n': hidden, 'logits': m.h2o(out)}

    return save_case('names_charrnn_packed', model, {'source': 'char_rnn_classification_tutorial CharRNN(57, 24, 18), pack_padded_sequence', 'nonlinearity': 'tanh', 'loss': 'nll_last', 'batch_size': B, 'seq_len': T},
                     {'input_ids': ids.int(), 'lengths': lengths.int(), 'target': target.int()}, run)


def tagger_case(seed):
    gen = torch.Generator().manual_seed(seed)
    V, E, H, K, B, T = 15, 6, 5, 4, 4, 6
    model = Tagger(V, E, H, K)
    f32_round_(model, 0.5, gen)
    lengths = torch.tensor([6, 2, 4, 5])
    ids = torch.randint(0, V, (B, T), generator=gen)
    tags = torch.randint(0, K, (B, T), generator=gen)
    mask = torch.arange(T)[None, :] < lengths[:, None]

    def run(m):
        packed = pack_padded_sequence(m.embed(ids), lengths, batch_first=True, enforce_sorted=False)
        out, (h_n, c_n) = m.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
        logits = m.tagger(out)
        loss = F.nll_loss(F.log_softmax(logits, -1)[mask], tags[mask])
        return loss, {'out': out, 'h_n': h_n, 'c_n': c_n, 'logits': logits}

    return save_case('bilstm_tagger_packed', model, {'source': 'Embedding(15, 6) -> LSTM(6, 5, 2 layers, bidirectional) packed -> Linear(10, 4)', 'nonlinearity': None, 'loss': 'nll', 'batch_size': B, 'seq_len': T},
                     {'input_ids': ids.int(), 'lengths': lengths.int(), 'targets': tags.int()}, run)


def nobias_case(seed):
    gen = torch.Generator().manual_seed(seed)
    I, H, O, B, T = 4, 8, 3, 3, 5
    model = Classifier(I, H, O)
    f32_round_(model, 0.5, gen)
    x = (torch.rand((B, T, I), generator=gen) * 2 - 1).float().double()
    y = torch.randint(0, O, (B, T), generator=gen)

    def run(m):
        out, h_n = m.gru(x)
        logits = m.classifier(out)
        loss = F.nll_loss(F.log_softmax(logits, -1).reshape(-1, O), y.reshape(-1))
        return loss, {'out': out, 'h_n': h_n, 'logits': logits}

    return save_case('gru_nobias_floats', model, {'source': 'GRU(4, 8, 2 layers, bias=False) -> Linear(8, 3), float inputs', 'nonlinearity': None, 'loss': 'nll', 'batch_size': B, 'seq_len': T},
                     {'x': x, 'targets': y.int()}, run)


# --- word_language_model weights trained by the upstream loop ---------------------------------
# A few hundred steps of upstream main.py's loop (SGD lr 20, clip 0.25, bptt 12, dropout 0.2,
# batchify / get_batch / repackage_hidden) on the first words of tiny-shakespeare, then the eval-mode
# mean NLL (float64, from the f32-rounded weights) of a held-out batch, from a zero state. Written:
# weights.safetensors (the state_dict, both names when tied), and for the tied model
# weights-no-duplicate.safetensors without decoder.weight and weights-save-model.safetensors as
# safetensors' save_model keeps it (the alphabetically first name of a shared tensor: decoder.weight).

def corpus(words=20000, vocab=300):
    path = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'shared', 'data', 'tinyshakespeare', 'input.txt')
    text = open(path).read().split()[:words]
    counts = {}
    for w in text:
        counts[w] = counts.get(w, 0) + 1
    keep = sorted(counts, key=lambda w: (-counts[w], w))[:vocab - 1]
    index = {w: i + 1 for i, w in enumerate(keep)}  # 0 = <unk>
    return torch.tensor([index.get(w, 0) for w in text]), vocab


def trained_case(name, rnn_type, emsize, nhid, nlayers, tied, seed, steps=300):
    torch.manual_seed(seed)
    data, ntoken = corpus()
    train, held = data[:-2000], data[-2000:]
    bsz, bptt = 16, 12

    def batchify(d, b):
        n = d.size(0) // b
        return d[:n * b].view(b, -1).t().contiguous()

    train_data = batchify(train, bsz)
    model = RNNModel(rnn_type, ntoken, emsize, nhid, nlayers, dropout=0.2, tie_weights=tied)
    with torch.no_grad():  # upstream init_weights
        nn.init.uniform_(model.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(model.decoder.bias)
        nn.init.uniform_(model.decoder.weight, -0.1, 0.1)
    model.train()
    hidden = None
    i = 0
    for _ in range(steps):
        if i + 1 + bptt >= train_data.size(0):
            i, hidden = 0, None
        x, y = train_data[i:i + bptt], train_data[i + 1:i + 1 + bptt].reshape(-1)
        i += bptt
        if hidden is not None:
            hidden = tuple(h.detach() for h in hidden) if isinstance(hidden, tuple) else hidden.detach()
        model.zero_grad()
        logp, hidden, _ = model(x, hidden)
        F.nll_loss(logp, y).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(p.grad, alpha=-20)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.float().double())
    model.eval()
    B, T = 4, 20
    ids = held[:B * (T + 1)].view(B, T + 1)
    with torch.no_grad():
        logp, _, _ = model(ids[:, :T].t().contiguous(), None)
        nll = F.nll_loss(logp, ids[:, 1:].t().reshape(-1)).item()
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    sd = model.state_dict()
    files = {'weights.safetensors': list(sd.keys())}
    if tied:
        files['weights-no-duplicate.safetensors'] = [k for k in sd if k != 'decoder.weight']
        files['weights-save-model.safetensors'] = [k for k in sd if k != 'encoder.weight']
    for f, keys in files.items():
        write_safetensors(os.path.join(d, f), [(k, sd[k].float().numpy()) for k in keys])
    write_safetensors(os.path.join(d, 'expected.safetensors'), [('input_ids', ids[:, :T].numpy().astype(np.int32)), ('targets', ids[:, 1:].numpy().astype(np.int32))], {'nll': repr(nll)})
    with open(os.path.join(d, 'case.json'), 'w') as f:
        json.dump({'name': name, 'kind': 'trained', 'source': f'word_language_model RNNModel({rnn_type!r}, {ntoken}, {emsize}, {nhid}, {nlayers}, dropout=0.2, tie_weights={tied}), {steps} steps of main.py\'s loop',
                   'nonlinearity': 'relu' if rnn_type == 'RNN_RELU' else 'tanh', 'batch_size': B, 'seq_len': T, 'files': files, 'nll': nll, 'torch_version': torch.__version__}, f, indent=1)
    print(name, 'eval nll', nll)
    return name


def make_trained():
    return [
        trained_case('wlm_trained_lstm_tied', 'LSTM', 32, 32, 2, True, 11),
        trained_case('wlm_trained_gru', 'GRU', 24, 32, 2, False, 12),
        trained_case('wlm_trained_rnn_tanh', 'RNN_TANH', 24, 32, 1, False, 13),
        trained_case('wlm_trained_rnn_relu', 'RNN_RELU', 24, 32, 2, False, 14),
    ]


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    names = [
        wlm_case('wlm_lstm_tied', 'LSTM', 20, 16, 16, 2, True, 3, 5, 1501),
        wlm_case('wlm_gru', 'GRU', 20, 12, 16, 2, False, 3, 5, 1502),
        wlm_case('wlm_rnn_relu', 'RNN_RELU', 12, 5, 7, 1, False, 2, 6, 1503),
        names_case(1504),
        tagger_case(1505),
        nobias_case(1506),
    ]
    trained = make_trained()
    with open(os.path.join(OUT, 'index.json'), 'w') as f:
        json.dump({'cases': names, 'trained': trained, 'torch_version': torch.__version__}, f, indent=1)
    print('wrote', len(names), 'cases to', OUT)
