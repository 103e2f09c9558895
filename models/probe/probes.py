"""The probe suite: small MLPs trained on frozen read-outs, scored on held-out captions.

Each probe is (read-out, label, which objects). An MLP (standardised input, one hidden layer of 128,
ReLU) is trained with Adam for a fixed number of steps on the training captions and scored by accuracy
on the held-out ones; no choice is made on the held-out set.
"""
from typing import Dict, List

import torch
import torch.nn.functional as F
from torch import nn

from models.world.vocab import COLOR_NAMES, SHAPES

from .data import PLACE_CLASSES, caption_labels
from models.nets.onednn import use_onednn

# name -> (read-out, label, number of classes, what the U-Net needs it for). Noun probes read every
# object, except place (only objects with a stated place: which of the 9) and role (objects of a relation).
PROBES = {
    "color@noun": ("noun", "color", len(COLOR_NAMES), "the colour bound to this object"),
    "shape@noun": ("noun", "shape", len(SHAPES), "sanity: the noun itself"),
    "size@noun": ("noun", "size", 3, "small / medium / large"),
    "place@noun": ("noun", "place", len(PLACE_CLASSES), "which of the 9 places this object's phrase names"),
    "role@noun": ("noun", "role", 2, "left/upper vs right/lower object of a relation"),
    "count@noun": ("noun", "count", 4, "how many of this object"),
    "count@pooled": ("pooled", "total", 4, "instances in the whole scene"),
    "binding@pooled": ("pooled+shape", "color", len(COLOR_NAMES), "colour of the object of a given shape"),
}


def examples(captions: List[str], feats: dict) -> Dict[str, tuple]:
    """Per probe: (inputs [N, D], labels [N]) from one caption set's features."""
    noun_x, noun_y, pooled_y, bind_x, bind_y = [], {k: [] for k in ("color", "shape", "size", "place", "role",
                                                                     "count")}, [], [], []
    noun_x, row = feats["noun"], 0
    shape_eye = torch.eye(len(SHAPES))
    for c, text in enumerate(captions):
        lab = caption_labels(text)
        pooled_y.append(lab["total"])
        shapes = [o["shape"] for o in lab["objects"]]
        for o in lab["objects"]:
            for k in noun_y:
                noun_y[k].append(o[k])
            # binding: multi-object captions, queried by a shape that names one object only
            if len(shapes) > 1 and shapes.count(o["shape"]) == 1:
                bind_x.append(torch.cat([feats["pooled"][c], shape_eye[o["shape"]]]))
                bind_y.append(o["color"])
            row += 1
    assert row == noun_x.shape[0], "noun read-outs and labels are out of step"
    out = {}
    for name, (source, label, _, _) in PROBES.items():
        if source == "noun":
            y = torch.tensor(noun_y[label])
            keep = y > 0 if label == "place" else y >= 0  # PLACE_CLASSES[0] is "none"; role -1: no relation
            out[name] = (noun_x[keep], y[keep])
        elif source == "pooled":
            out[name] = (feats["pooled"], torch.tensor(pooled_y))
        else:
            out[name] = (torch.stack(bind_x) if bind_x else torch.zeros(0, feats["pooled"].shape[1] + len(SHAPES)),
                         torch.tensor(bind_y, dtype=torch.long))
    return out


def train_probe(x: torch.Tensor, y: torch.Tensor, classes: int, steps: int = 1500, batch: int = 256,
                hidden: int = 128, seed: int = 0):
    """A trained MLP probe (a function from inputs to class predictions)."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    mean, std = x.mean(0), x.std(0).clamp(min=1e-6)
    net = use_onednn(nn.Sequential(nn.Linear(x.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, classes)))
    opt = torch.optim.Adam(net.parameters(), lr=2e-3, weight_decay=1e-4)
    xs = (x - mean) / std
    for _ in range(steps):
        idx = torch.randint(0, x.shape[0], (min(batch, x.shape[0]),), generator=gen)
        loss = F.cross_entropy(net(xs[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    @torch.no_grad()
    def predict(inp: torch.Tensor) -> torch.Tensor:
        return net((inp - mean) / std).argmax(-1)

    return predict


def majority(train_y: torch.Tensor, test_y: torch.Tensor, classes: int) -> float:
    """Accuracy of always answering the training set's most frequent class (the chance row)."""
    top = int(torch.bincount(train_y, minlength=classes).argmax())
    return float((test_y == top).float().mean())


def run_probes(train: Dict[str, tuple], test: Dict[str, tuple], steps: int = 1500) -> Dict[str, float]:
    scores = {}
    for name, (_, _, classes, _) in PROBES.items():
        (xtr, ytr), (xte, yte) = train[name], test[name]
        if len(ytr) == 0 or len(yte) == 0:
            scores[name] = float("nan")
            continue
        predict = train_probe(xtr, ytr, classes, steps=steps)
        scores[name] = float((predict(xte) == yte).float().mean())
    return scores
