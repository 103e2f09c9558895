"""Procedural captioned shapes world (see README.md for the API contract)."""

import numpy as np

from .caption import CAPTION_DROP, caption, parse_caption
from .layout import LayoutError, check_scene, layout
from .render import box_downsample, render, render_multi
from .sample import DEFAULT_MIX, MIXES, sample_spec
from .spec import SpecError, normalize_spec, signature

__all__ = [
    "CAPTION_DROP",
    "LayoutError",
    "SpecError",
    "box_downsample",
    "caption",
    "check_scene",
    "example_rng",
    "layout",
    "make_example",
    "normalize_spec",
    "parse_caption",
    "render",
    "render_multi",
    "sample_scene",
    "sample_spec",
    "DEFAULT_MIX",
    "MIXES",
    "signature",
]


def example_rng(seed, index):
    """Generator for example `index` of dataset `seed`, independent of worker layout."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), int(index)])))


def sample_scene(rng, mix=DEFAULT_MIX):
    """A random spec of scene mix `mix` laid out; specs that cannot be laid out are re-drawn."""
    while True:
        spec = sample_spec(rng, mix=mix)
        try:
            return layout(spec, rng, max_tries=20)
        except LayoutError:
            continue


def make_example(seed, index, sizes=(64,), mix=DEFAULT_MIX):
    """(renders by size, caption, scene) of example `index` of dataset (`seed`, `mix`)."""
    rng = example_rng(seed, index)
    scene = sample_scene(rng, mix)
    text = caption(scene, rng)
    return render_multi(scene, sizes), text, scene
