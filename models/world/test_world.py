"""python3 -m unittest models.world.test_world (also run by world.test.ts under vitest)."""

import json
import re
import unittest

import numpy as np

from . import (
    CAPTION_DROP,
    DEFAULT_MIX,
    MIXES,
    box_downsample,
    caption,
    check_scene,
    example_rng,
    layout,
    make_example,
    normalize_spec,
    parse_caption,
    render,
    render_multi,
    sample_scene,
    sample_spec,
    signature,
)
from . import dataset
from .caption import noun_phrase
from .holdout import heldout_sets, is_heldout, is_heldout_spec
from .render_cases import load_cases, render_case
from .spec import SpecError
from .vocab import BASIC_SHAPES, COLORS, LETTERS, MAX_OBJECTS, NUMBER_WORDS, PLURALS

N_SAMPLES = 3000


def _samples(seed=11, n=N_SAMPLES):
    out = []
    for i in range(n):
        rng = example_rng(seed, i)
        scene = sample_scene(rng)
        out.append((scene, caption(scene, rng)))
    return out


SAMPLES = _samples()


class Determinism(unittest.TestCase):
    def test_same_seed_same_bytes(self):
        for i in range(5):
            a_img, a_cap, a_scene = make_example(3, i, sizes=(64, 256))
            b_img, b_cap, b_scene = make_example(3, i, sizes=(64, 256))
            self.assertEqual(a_cap, b_cap)
            self.assertEqual(json.dumps(a_scene), json.dumps(b_scene))
            for s in (64, 256):
                self.assertEqual(a_img[s].tobytes(), b_img[s].tobytes())

    def test_different_index_differs(self):
        self.assertNotEqual(make_example(3, 0)[1], make_example(3, 1)[1])

    def test_golden_captions(self):
        # Pins the RNG stream: changing sampling/caption logic must be deliberate.
        got = [make_example(0, i)[1] for i in range(4)]
        self.assertEqual(got, GOLDEN_CAPTIONS)

    def test_dataset_independent_of_workers(self):
        old = dataset._CHUNK
        dataset._CHUNK = 7
        try:
            a = dataset.build(32, 20, 5, workers=1)
            b = dataset.build(32, 20, 5, workers=2)
        finally:
            dataset._CHUNK = old
        self.assertEqual(a[0].tobytes(), b[0].tobytes())
        self.assertEqual(a[1], b[1])
        self.assertEqual(a[2], b[2])
        self.assertEqual(a[0].shape, (20, 32, 32, 3))
        self.assertEqual(a[0].dtype, np.uint8)


GOLDEN_CAPTIONS = [
    "a picture of a large red letter B above a pink star",
    "a picture of four small gray squares on a green background",
    "an image of a small orange cross in the lower right corner",
    "two green stars on a pink background",
]


GOLDEN_BENCH_CAPTIONS = [
    "a brown cross and one large black letter E on a white background",
    "4 small white hearts on a green background",
    "an image of a small orange cross in the lower right corner",
    "two gray squares at the bottom and two small yellow squares on a pink background",
]


def _objects_per_scene(mix, n=3000):
    counts = np.zeros(MAX_OBJECTS + 1)
    for i in range(n):
        spec = sample_spec(example_rng(1, i), mix=mix)
        counts[sum(o["count"] for o in spec["objects"])] += 1
    return counts / n


class Mixes(unittest.TestCase):
    def test_default_stream_is_v1(self):
        self.assertEqual(DEFAULT_MIX, "v1")
        for i in range(4):
            self.assertEqual(make_example(0, i, mix="v1")[1], GOLDEN_CAPTIONS[i])

    def test_golden_bench_captions(self):
        self.assertEqual([make_example(0, i, mix="bench")[1] for i in range(4)], GOLDEN_BENCH_CAPTIONS)

    def test_bench_mix_asks_what_shapesbench_asks(self):
        # ShapesBench dev: 45/33/15/7% of cases draw 1/2/3/4 objects; v1 draws 30/33/15/22%.
        bench, v1 = _objects_per_scene("bench"), _objects_per_scene("v1")
        self.assertTrue(0.40 < bench[1] < 0.50, bench)
        self.assertTrue(0.28 < bench[2] < 0.40, bench)
        self.assertTrue(bench[4] < 0.12 < v1[4], (bench, v1))

    def test_unknown_mix_names_the_choices(self):
        with self.assertRaisesRegex(ValueError, "v1, bench"):
            sample_spec(example_rng(1, 0), mix="v2")
        self.assertEqual(set(MIXES), {"v1", "bench"})


class Vocabulary(unittest.TestCase):
    def test_every_word_appears(self):
        text = " ".join(c for _, c in SAMPLES)
        words = set(re.findall(r"[A-Za-z0-9]+", text))
        needed = set(COLORS) | set(BASIC_SHAPES) | set(PLURALS.values()) | set(LETTERS)
        needed |= {"small", "large", "left", "right", "top", "bottom", "center", "corner", "above", "below"}
        needed |= set(NUMBER_WORDS.values()) | {"2", "3", "4", "background", "letter"}
        self.assertEqual(needed - words, set())

    def test_every_attribute_in_scenes(self):
        specs = [s["spec"] for s, _ in SAMPLES]
        objs = [o for sp in specs for o in sp["objects"]]
        self.assertEqual({sp["background"] for sp in specs}, set(COLORS))
        self.assertEqual({o["color"] for o in objs}, set(COLORS))
        self.assertEqual({o["shape"] for o in objs} >= set(BASIC_SHAPES) | {"letter-" + c for c in LETTERS}, True)
        self.assertEqual({o["size"] for o in objs}, {"small", "medium", "large"})
        self.assertEqual({o["count"] for o in objs}, {1, 2, 3, 4})
        places = {o["place"] for o in objs} - {None}
        self.assertEqual(len(places), 9)
        self.assertEqual({r["rel"] for sp in specs for r in sp["relations"]}, {"left-of", "right-of", "above", "below"})
        self.assertTrue(all(1 <= sum(o["count"] for o in sp["objects"]) <= 4 for sp in specs))

    def test_object_color_never_background(self):
        for scene, _ in SAMPLES:
            for o in scene["objects"]:
                self.assertNotEqual(o["color"], scene["background"])

    def test_caption_drop_exposed(self):
        self.assertEqual(CAPTION_DROP, 0.1)


class Grammar(unittest.TestCase):
    def test_articles_and_plurals(self):
        rng = np.random.default_rng(0)
        o = {"shape": "star", "color": "orange", "size": "medium", "count": 1, "place": None}
        forms = {noun_phrase(o, rng) for _ in range(60)}
        self.assertEqual(forms, {"an orange star", "one orange star"})
        o = {"shape": "cross", "color": "blue", "size": "small", "count": 2, "place": None}
        self.assertEqual({noun_phrase(o, rng) for _ in range(60)}, {"two small blue crosses", "2 small blue crosses"})
        o = {"shape": "letter-K", "color": "blue", "size": "medium", "count": 1, "place": "left"}
        self.assertIn(noun_phrase(o, np.random.default_rng(1)), {"a blue letter K on the left", "a blue letter K on the left side"})

    def test_no_wrong_article_or_number(self):
        bad = re.compile(r"\ba [aeiou]|\ban [^aeiou]|\b(one|a|an|1) \w+ ?\w* (circles|squares|triangles|stars|hearts|crosses)\b")
        plural = re.compile(r"\b(two|three|four|[234]) (small |large )?\w+ (circle|square|triangle|star|heart|cross)\b")
        for _, c in SAMPLES:
            self.assertIsNone(bad.search(c), c)
            self.assertIsNone(plural.search(c), c)
            self.assertEqual(c, " ".join(c.split()))

    def test_captions_parse_back_to_scene(self):
        for scene, c in SAMPLES:
            spec = parse_caption(c)
            self.assertIsNotNone(spec, c)
            self.assertEqual(signature(spec), signature(scene["spec"]), c)

    def test_paraphrases_vary(self):
        spec = {"objects": [{"shape": "circle", "color": "red"}, {"shape": "square", "color": "blue"}]}
        rng = np.random.default_rng(2)
        forms = {caption(spec, rng) for _ in range(200)}
        self.assertGreater(len(forms), 10)
        self.assertIn("a red circle and a blue square", forms)
        self.assertIn("a blue square and a red circle on a white background", forms)

    def test_parser_rejects_ungrammatical(self):
        for text in ("a orange star", "an red circle", "two red circle", "a red circles", "a purple blob", ""):
            self.assertIsNone(parse_caption(text), text)


class Layout(unittest.TestCase):
    def test_scenes_satisfy_their_spec(self):
        for scene, c in SAMPLES:
            self.assertEqual(check_scene(scene), [], c)

    def test_count_means_separate_objects(self):
        spec = {"objects": [{"shape": "triangle", "color": "green", "count": 3}]}
        scene = layout(spec, np.random.default_rng(4))
        self.assertEqual(len(scene["objects"]), 3)
        self.assertEqual(check_scene(scene), [])

    def test_left_of_is_visible(self):
        spec = {"objects": [{"shape": "circle", "color": "red"}, {"shape": "square", "color": "blue"}],
                "relations": [{"a": 0, "rel": "left-of", "b": 1}]}
        for seed in range(20):
            scene = layout(spec, np.random.default_rng(seed))
            a, b = scene["objects"]
            self.assertLess(a["cx"] + a["r"], b["cx"] - b["r"])
            img = render(scene, 64)
            red_cols = np.nonzero(np.all(img == COLORS["red"], axis=2))[1]
            blue_cols = np.nonzero(np.all(img == COLORS["blue"], axis=2))[1]
            self.assertLess(red_cols.max(), blue_cols.min())

    def test_bad_spec_names_field(self):
        with self.assertRaisesRegex(SpecError, r"objects\[0\]\.color"):
            normalize_spec({"objects": [{"shape": "circle", "color": "teal"}]})
        with self.assertRaisesRegex(SpecError, r"objects\[0\]\.color: 'white' equals the background"):
            normalize_spec({"objects": [{"shape": "circle", "color": "white"}]})
        with self.assertRaisesRegex(SpecError, r"relations\[0\]\.b"):
            normalize_spec({"objects": [{"shape": "circle", "color": "red"}], "relations": [{"a": 0, "rel": "above", "b": 3}]})


class Rendering(unittest.TestCase):
    def test_small_sizes_match_downsampled_1024(self):
        for i in range(6):
            _, _, scene = make_example(21, i)
            big = render(scene, 1024)
            for size in (64, 256):
                ref = box_downsample(big, 1024 // size).astype(np.int16)
                diff = np.abs(ref - render(scene, size)).mean(axis=(0, 1))
                self.assertTrue(np.all(diff < 2.0), (size, diff))

    def test_render_multi_is_box_downsampled(self):
        _, _, scene = make_example(22, 0)
        out = render_multi(scene, sizes=(64, 256, 1024))
        self.assertEqual(sorted(out), [64, 256, 1024])
        self.assertEqual(out[256].tobytes(), box_downsample(out[1024], 4).tobytes())
        self.assertEqual(out[64].tobytes(), box_downsample(out[1024], 16).tobytes())

    def test_fine_detail_only_at_1024(self):
        scene = layout({"objects": [{"shape": "square", "color": "blue", "size": "large"}]}, np.random.default_rng(0))
        o = scene["objects"][0]
        big = render(scene, 1024).astype(np.int16)
        c = (int(o["cy"] * 1024) // 4 * 4, int(o["cx"] * 1024) // 4 * 4)
        inner = big[c[0] - 32 : c[0] + 32, c[1] - 32 : c[1] + 32]
        self.assertEqual(sorted(np.unique(inner[..., 2]).tolist()), [210, 230])  # blue 220 ± 10 stripes
        small = box_downsample(big.astype(np.uint8), 4)
        self.assertTrue(np.all(small[c[0] // 4 - 8 : c[0] // 4 + 8, c[1] // 4 - 8 : c[1] // 4 + 8] == COLORS["blue"]))
        # darker outline: along the row through the center, the darkest pixel sits at the edge
        row = big[c[0], :, 2]
        edge = int(round((o["cx"] + 0.88 * o["r"]) * 1024))
        self.assertLess(row[edge - 3 : edge + 1].min(), 0.7 * 220)

    def test_window_is_exact_crop(self):
        _, _, scene = make_example(24, 1)
        full = render(scene, 1024)
        for x0, y0, w, h in ((0, 0, 256, 256), (300, 517, 256, 200), (768, 768, 256, 256)):
            crop = render(scene, 1024, window=(x0, y0, w, h))
            self.assertEqual(crop.tobytes(), full[y0 : y0 + h, x0 : x0 + w].tobytes())
        with self.assertRaisesRegex(ValueError, "window"):
            render(scene, 64, window=(60, 0, 8, 8))

    def test_output_format(self):
        _, _, scene = make_example(23, 0)
        img = render(scene, 64)
        self.assertEqual((img.shape, img.dtype), ((64, 64, 3), np.uint8))
        self.assertTrue(np.all(img[0, 0] == COLORS[scene["background"]]) or scene["objects"])
        with self.assertRaisesRegex(ValueError, "size"):
            render(scene, 3)


class Holdout(unittest.TestCase):
    def test_dev_prompts_are_heldout(self):
        texts, sigs = heldout_sets()
        self.assertGreaterEqual(len(texts), 90)
        for case in load_cases("models/eval/dev.jsonl"):
            self.assertTrue(is_heldout(case["prompt"]), case["id"])
            self.assertTrue(is_heldout_spec(case["expect"]), case["id"])
            parsed = parse_caption(case["prompt"])
            self.assertIsNotNone(parsed, case["prompt"])
            self.assertEqual(signature(parsed), signature(case["expect"]), case["id"])

    def test_training_never_heldout(self):
        for scene, c in SAMPLES:
            self.assertFalse(is_heldout(c), c)

    def test_paraphrase_of_dev_prompt_is_heldout(self):
        case = load_cases("models/eval/dev.jsonl")[0]
        for k in range(20):
            self.assertTrue(is_heldout(caption(case["expect"], np.random.default_rng(k))))

    def test_every_case_renders_true(self):
        for case in load_cases("models/eval/dev.jsonl"):
            for seed in range(4):
                img, scene = render_case(case, seed, 64)
                self.assertEqual(check_scene(scene), [], case["id"])
                self.assertEqual(img.shape, (64, 64, 3))


if __name__ == "__main__":
    unittest.main()
