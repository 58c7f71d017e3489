# Reference SASRec (ID-only, full cross-entropy, PyTorch) on the same leave-one-out splits the
# engine is evaluated on. Not part of the engine: it tells how far a plain transformer gets on these
# data, as a yardstick for src/seq. Needs python3 with torch (a GPU makes it minutes).
# Usage: DATA=../shared/data python3 bench/reference/sasrec.py beauty scientific
import os, sys, time, math, torch, torch.nn as nn, numpy as np
torch.manual_seed(42); np.random.seed(42)
dev = 'cuda' if torch.cuda.is_available() else 'cpu'
DATA = os.environ.get('DATA', '../shared/data')
def load(name):
    seqs = []
    if name == 'beauty':
        for line in open(f'{DATA}/beauty/Beauty.txt'):
            p = line.split(); seqs.append([int(x) for x in p[1:]])
    else:
        f = open(f'{DATA}/scientific/Scientific.test.inter'); next(f)
        for line in f:
            u, hist, t = line.rstrip('\n').split('\t')
            seqs.append([int(x) + 1 for x in hist.split()] + [int(t) + 1])
    n = max(max(s) for s in seqs)
    return seqs, n
class SASRec(nn.Module):
    def __init__(s, n, d, L, H, drop, maxlen):
        super().__init__()
        s.item = nn.Embedding(n + 1, d, padding_idx=0); s.pos = nn.Embedding(maxlen, d)
        s.drop = nn.Dropout(drop)
        layer = nn.TransformerEncoderLayer(d, H, d, drop, batch_first=True, norm_first=True, activation='gelu')
        s.enc = nn.TransformerEncoder(layer, L); s.ln = nn.LayerNorm(d); s.maxlen = maxlen
    def forward(s, x):
        T = x.shape[1]
        h = s.item(x) * math.sqrt(s.item.embedding_dim) + s.pos(torch.arange(T, device=x.device))[None]
        h = s.drop(h)
        causal = torch.triu(torch.ones(T, T, device=x.device, dtype=torch.bool), 1)
        blocked = causal[None] | ((x == 0)[:, None, :] & ~torch.eye(T, device=x.device, dtype=torch.bool)[None])
        H = s.enc.layers[0].self_attn.num_heads
        mask = torch.zeros(blocked.shape, device=x.device).masked_fill(blocked, float('-inf')).repeat_interleave(H, 0)
        h = s.enc(h, mask=mask)
        return s.ln(h)
def pad(seqs, maxlen):
    out = np.zeros((len(seqs), maxlen), dtype=np.int64)
    for i, q in enumerate(seqs):
        q = q[-maxlen:]; out[i, maxlen - len(q):] = q
    return torch.tensor(out, device=dev)
def evaluate(m, hist, tgt, n, maskhist):
    m.eval(); nd = hr = 0.0; ndm = hrm = 0.0
    with torch.no_grad():
        for b in range(0, len(hist), 1024):
            x = pad(hist[b:b+1024], m.maxlen); h = m(x)[:, -1]
            sc = h @ m.item.weight.T; sc[:, 0] = -1e9; assert not torch.isnan(sc).any()
            t = torch.tensor(tgt[b:b+1024], device=dev)
            ts = sc.gather(1, t[:, None])
            rank = (sc > ts).sum(1)
            nd += torch.where(rank < 10, 1 / torch.log2(rank.float() + 2), torch.zeros_like(rank, dtype=torch.float)).sum().item(); hr += (rank < 10).sum().item()
            scm = sc.clone()
            for i, q in enumerate(hist[b:b+1024]):
                idx = torch.tensor([j for j in set(q) if j != tgt[b+i]], device=dev, dtype=torch.long)
                if len(idx): scm[i, idx] = -1e9
            rank = (scm > ts).sum(1)
            ndm += torch.where(rank < 10, 1 / torch.log2(rank.float() + 2), torch.zeros_like(rank, dtype=torch.float)).sum().item(); hrm += (rank < 10).sum().item()
    k = len(hist); m.train()
    return nd / k, hr / k, ndm / k, hrm / k
def run(name, d=64, L=2, H=2, drop=0.5, maxlen=50, epochs=300, lr=1e-3, bs=256):
    seqs, n = load(name)
    train = [s[:-2] for s in seqs if len(s) >= 3]
    vh = [s[:-2] for s in seqs]; vt = [s[-2] for s in seqs]
    th = [s[:-1] for s in seqs]; tt = [s[-1] for s in seqs]
    m = SASRec(n, d, L, H, drop, maxlen).to(dev); opt = torch.optim.Adam(m.parameters(), lr=lr)
    X = pad([s[:-1] for s in train], maxlen); Y = pad([s[1:] for s in train], maxlen)
    best = (-1, None, 0); t0 = time.time(); bad = 0
    for ep in range(epochs):
        perm = torch.randperm(len(X), device=dev)
        for b in range(0, len(X), bs):
            i = perm[b:b+bs]; h = m(X[i]); y = Y[i]
            logits = h @ m.item.weight.T
            loss = nn.functional.cross_entropy(logits.view(-1, n + 1), y.view(-1), ignore_index=0)
            opt.zero_grad(); loss.backward(); opt.step()
        if ep % 5 == 4:
            v = evaluate(m, vh, vt, n, True)
            if v[2] > best[0]:
                best = (v[2], evaluate(m, th, tt, n, True), ep); bad = 0
            else:
                bad += 1
            if bad >= 6: break
    print(f'{name} d={d} L={L} H={H} drop={drop} n_items={n} users={len(seqs)} best_epoch={best[2]+1} valid_ndcg10_masked={best[0]:.4f} test: ndcg10={best[1][0]:.4f} hr10={best[1][1]:.4f} masked ndcg10={best[1][2]:.4f} hr10={best[1][3]:.4f} time={time.time()-t0:.0f}s', flush=True)
for name in sys.argv[1:]:
    for d, drop in [(64, 0.5), (64, 0.2)]:
        run(name, d=d, drop=drop)
