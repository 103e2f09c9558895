"""Train the T5-style SentencePiece unigram tokenizer on world captions and export it.

/usr/bin/python3 -m models.tokenizer.train [--captions 300000] [--vocab 256]

Writes (deterministic for fixed arguments):
  models/tokenizer/spm.model            SentencePiece model (Python reference)
  models/embedded/tokenizer.json        Hugging Face tokenizers JSON (Unigram), read by transformers.js
  models/embedded/tokenizer_config.json T5Tokenizer config (pad/eos/unk, model_max_length)
  models/tokenizer/fixture.json         captions with the Python ids (+ </s>) for tokenizer.test.ts
Ids are T5's: <pad> 0, </s> 1, <unk> 2; no bos.
"""

import argparse
import json
import pathlib
import string
import sys
import tempfile

import numpy as np
import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2

from models.world import caption, example_rng, sample_spec
from models.world.vocab import COLOR_NAMES, LETTERS, NUMBER_WORDS, PLURALS, BASIC_SHAPES

from .convert import spm_to_hf_json

HERE = pathlib.Path(__file__).resolve().parent
EMBEDDED = HERE.parent / "embedded"
CORPUS_SEED = 7001
FIXTURE_SEED = 7002
MODEL_MAX_LENGTH = 64
# Every printable ASCII character is a piece, so typed prompts rarely hit <unk>.
REQUIRED_CHARS = "".join(c for c in string.printable if c not in string.whitespace)
WHOLE_WORDS = (
    list(COLOR_NAMES) + list(BASIC_SHAPES) + list(PLURALS.values()) + list(LETTERS)
    + list(NUMBER_WORDS.values())
    + "a an small large letter on the left right side at near top bottom in center middle corner upper lower "
      "to of above below and picture image drawing against background".split()
)


def corpus(n, seed=CORPUS_SEED):
    out = []
    for i in range(n):
        rng = example_rng(seed, i)
        out.append(caption(sample_spec(rng), rng))
    return out


def word_lines():
    """Each vocabulary word followed by punctuation.

    SentencePiece seeds unigram pieces from maximal repeated substrings that contain "▁" only
    as a prefix; a word that is always followed by a space (e.g. "▁red▁") is never such a
    substring, so without these lines colors would be split into fragments.
    """
    return [f"{w}, {w}. {w}!" for w in WHOLE_WORDS]


def train(captions, prefix, vocab_size):
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "corpus.txt"
        path.write_text("\n".join(captions) + "\n")
        spm.set_random_generator_seed(1)
        spm.SentencePieceTrainer.train(
            input=str(path),
            model_prefix=str(prefix),
            model_type="unigram",
            vocab_size=vocab_size,
            hard_vocab_limit=False,
            character_coverage=1.0,
            required_chars=REQUIRED_CHARS,
            pad_id=0,
            eos_id=1,
            unk_id=2,
            bos_id=-1,
            pad_piece="<pad>",
            eos_piece="</s>",
            unk_piece="<unk>",
            normalization_rule_name="nmt_nfkc",
            input_sentence_size=0,
            shuffle_input_sentence=False,
            num_threads=1,
            minloglevel=2,
        )
    # The proto records the (temporary) input path; pin it so the file is byte-deterministic.
    model = pathlib.Path(str(prefix) + ".model")
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(model.read_bytes())
    del proto.trainer_spec.input[:]
    proto.trainer_spec.input.append("corpus.txt")
    proto.trainer_spec.model_prefix = "spm"
    model.write_bytes(proto.SerializeToString())


def fixture_captions(sp_captions_rng):
    """Dev prompts, sampled training captions and awkward inputs (spacing, case, punctuation, unknowns)."""
    texts = []
    dev = HERE.parent / "eval" / "dev.jsonl"
    if dev.exists():
        texts += [json.loads(line)["prompt"] for line in dev.read_text().splitlines()[::4] if line.strip()]
    texts += corpus(40, FIXTURE_SEED)
    texts += [
        "a red circle",
        "  a  red   circle  ",
        "A Red Circle.",
        "two blue squares, 3 pink hearts!",
        "a blue letter K on an orange background",
        "an orange star and 4 gray crosses in the lower right corner",
        "1 circle? 10 squares; (5) #stars @ 100% & more...",
        "a red circle\tand a blue square",
        "a zebra made of quartz",
        "café",
        "ｆｕｌｌｗｉｄｔｈ ｃｉｒｃｌｅ",
        "",
    ]
    return texts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--captions", type=int, default=300_000, help="corpus size (default 300000)")
    ap.add_argument("--vocab", type=int, default=256, help="target vocabulary size; the corpus supports ~241 (default 256)")
    args = ap.parse_args(argv)
    caps = corpus(args.captions)
    prefix = HERE / "spm"
    train(caps + word_lines(), prefix, args.vocab)
    sp = spm.SentencePieceProcessor(model_file=str(prefix) + ".model")
    (HERE / "spm.vocab").unlink(missing_ok=True)
    split = [w for w in WHOLE_WORDS if sp.encode(w, out_type=str) != ["\u2581" + w]]
    print(f"vocab {sp.get_piece_size()} pieces; words not single pieces: {split or 'none'}", file=sys.stderr)

    proto = (str(prefix) + ".model")
    hf = spm_to_hf_json(pathlib.Path(proto).read_bytes())
    EMBEDDED.mkdir(parents=True, exist_ok=True)
    (EMBEDDED / "tokenizer.json").write_text(json.dumps(hf, ensure_ascii=False, indent=1) + "\n")
    config = {
        "tokenizer_class": "T5Tokenizer",
        "model_max_length": MODEL_MAX_LENGTH,
        "pad_token": "<pad>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "extra_ids": 0,
        "additional_special_tokens": [],
        "padding_side": "right",
        "clean_up_tokenization_spaces": False,
    }
    (EMBEDDED / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")

    cases = [{"text": t, "ids": sp.encode(t) + [sp.eos_id()]} for t in fixture_captions(None)]
    fixture = {
        "pad_id": sp.pad_id(), "eos_id": sp.eos_id(), "unk_id": sp.unk_id(),
        "vocab_size": sp.get_piece_size(),
        "single_piece_words": [w for w in WHOLE_WORDS if w not in split],
        "cases": cases,
    }
    (HERE / "fixture.json").write_text(json.dumps(fixture, ensure_ascii=False, indent=1) + "\n")
    lengths = [len(sp.encode(c)) + 1 for c in caps[:20000]]
    print(f"caption tokens incl. </s>: mean {np.mean(lengths):.1f}, max {max(lengths)}", file=sys.stderr)


if __name__ == "__main__":
    main()
