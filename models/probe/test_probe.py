"""The encoder probe on tiny sizes: labels of hand-made captions, token alignment, disjoint splits,
span corruption, and a probe that beats chance on an easy feature.

python3 -m unittest models.probe.test_probe
"""
import io
import json
import unittest
from contextlib import redirect_stderr, redirect_stdout

import numpy as np

from models.train.common import load_tokenizer
from models.world import parse_caption
from models.world.spec import signature
from models.world.vocab import COLOR_NAMES, SHAPES, SIZES

from .__main__ import main
from .data import PLACE_CLASSES, WordTokenizer, caption_labels, object_labels, train_test_captions
from .features import compute, load_encoder
from .pretrain import span_corrupt
from .probes import examples, majority, train_probe


class LabelTest(unittest.TestCase):
    def test_relation_roles_follow_the_meaning_not_the_word_order(self):
        for text in ("a red circle above a large blue square on a green background",
                     "one large blue square below a red circle"):
            objs = {SHAPES[o["shape"]]: o for o in object_labels(text)}
            self.assertEqual(objs["circle"]["role"], 1, text)  # the upper object is the canonical subject
            self.assertEqual(objs["square"]["role"], 0, text)
            self.assertEqual(SIZES[objs["square"]["size"]], "large")
            self.assertEqual(COLOR_NAMES[objs["circle"]["color"]], "red")
            self.assertEqual(text.split()[objs["square"]["word"]], "square")
        left = object_labels("a yellow star right of a pink heart")
        self.assertEqual([SHAPES[o["shape"]] for o in left], ["star", "heart"])
        self.assertEqual([o["role"] for o in left], [0, 1])  # the heart is the left one

    def test_counts_places_and_letters(self):
        text = "an image of two green letter Ks, a small yellow star at the top and one red cross"
        lab = caption_labels(text)
        words = text.split()
        got = [(words[o["word"]].rstrip(","), SHAPES[o["shape"]], o["count"] + 1, PLACE_CLASSES[o["place"]], o["role"])
               for o in lab["objects"]]
        self.assertEqual(got, [("Ks", "letter-K", 2, "none", -1), ("star", "star", 1, "top", -1),
                               ("cross", "cross", 1, "none", -1)])
        self.assertEqual(lab["total"] + 1, 4)
        with self.assertRaises(ValueError):
            object_labels("a zebra in a field")

    def test_noun_word_maps_to_the_noun_piece(self):
        wtok = WordTokenizer(load_tokenizer())
        text = "a drawing of a small pink letter R and two gray circles on a black background"
        ids, starts = wtok.encode(text)
        self.assertEqual(ids, load_tokenizer().encode(text))  # memoized per word = the real tokenizer
        pieces = wtok.tok.pieces
        nouns = [ids[starts[o["word"]]] for o in object_labels(text)]
        self.assertEqual(nouns, [pieces["\u2581R"][0], pieces["\u2581circles"][0]])

    def test_train_and_test_captions_are_disjoint_in_meaning(self):
        train, test = train_test_captions(300, 100, seed=7)
        self.assertEqual((len(train), len(test)), (300, 100))
        seen = {signature(parse_caption(t)) for t in train}
        self.assertFalse(any(signature(parse_caption(t)) in seen for t in test))
        self.assertEqual(train_test_captions(300, 100, seed=7), (train, test))  # seeded


class MechanicsTest(unittest.TestCase):
    def test_span_corruption_hides_spans_behind_sentinels(self):
        rng = np.random.default_rng(0)
        seq = list(range(10, 30)) + [1]
        for density in (0.15, 0.3):
            inp, tgt = span_corrupt(seq, rng, sentinel=2, eos=1, density=density, mean_span=3.0)
            self.assertEqual(inp[-1], 1)
            self.assertEqual(tgt[-1], 1)
            # filling each sentinel of the input with its span restores the caption
            spans, cur = [], None
            for t in tgt[:-1]:
                if t == 2:
                    cur = []
                    spans.append(cur)
                else:
                    cur.append(t)
            self.assertEqual(inp.count(2), len(spans))
            restored = []
            for t in inp:
                restored.extend(spans.pop(0) if t == 2 else [t])
            self.assertEqual(restored, seq)
            self.assertEqual(sum(t != 2 for t in tgt[:-1]), round(20 * density))


class ProbeTest(unittest.TestCase):
    def test_probes_beat_chance_on_easy_features(self):
        train, test = train_test_captions(400, 150, seed=3)
        enc, contextual = load_encoder("random")
        feats = compute(enc, contextual, train + test)
        n_train = sum(len(caption_labels(c)["objects"]) for c in train)
        ex_train = examples(train, {"noun": feats["noun"][:n_train], "pooled": feats["pooled"][:400]})
        ex_test = examples(test, {"noun": feats["noun"][n_train:], "pooled": feats["pooled"][400:]})
        for name, classes in (("shape@noun", len(SHAPES)), ("count@pooled", 4)):
            (xtr, ytr), (xte, yte) = ex_train[name], ex_test[name]
            acc = float((train_probe(xtr, ytr, classes, steps=150)(xte) == yte).float().mean())
            chance = majority(ytr, yte, classes)
            self.assertGreater(acc, chance + 0.3, f"{name}: {acc:.2f} vs majority {chance:.2f}")

    def test_cli_prints_a_table_and_json(self):
        out = io.StringIO()
        with redirect_stdout(out), redirect_stderr(io.StringIO()):
            main(["--encoder", "embedding", "--train", "120", "--test", "40", "--steps", "30", "--no-cache", "--json"])
        lines = out.getvalue().strip().splitlines()
        result = json.loads(lines[-1])
        self.assertEqual(set(result["encoders"]), {"embedding"})
        scores = result["encoders"]["embedding"]
        self.assertEqual(len(scores), 8)
        self.assertTrue(all(0.0 <= v <= 1.0 for v in scores.values() if v == v))
        self.assertIn("(majority)", "\n".join(lines))


if __name__ == "__main__":
    unittest.main()
