"""SentencePiece unigram model → Hugging Face tokenizers JSON (the T5 layout).

Follows transformers' SpmConverter/T5Converter: Unigram model with every piece and
its score, normalizer = the model's precompiled charsmap (nmt_nfkc) + strip +
collapse runs of spaces (SentencePiece's remove_extra_whitespaces), Metaspace "▁"
pre-tokenizer/decoder, and a TemplateProcessing post-processor appending </s>.
"""

import base64

from sentencepiece import sentencepiece_model_pb2

_META = "\u2581"
_CONTROL = 3  # ModelProto.SentencePiece.Type.CONTROL
_UNKNOWN = 2


def spm_to_hf_json(model_bytes):
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(model_bytes)
    vocab = [[p.piece, float(p.score)] for p in proto.pieces]
    trainer = proto.trainer_spec
    special = [
        (i, p.piece) for i, p in enumerate(proto.pieces) if p.type in (_CONTROL, _UNKNOWN)
    ]
    eos = proto.pieces[trainer.eos_id].piece
    normalizers = []
    charsmap = proto.normalizer_spec.precompiled_charsmap
    if charsmap:
        normalizers.append({"type": "Precompiled", "precompiled_charsmap": base64.b64encode(charsmap).decode()})
    normalizers += [
        {"type": "Strip", "strip_left": True, "strip_right": True},
        {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
    ]
    metaspace = {"type": "Metaspace", "replacement": _META, "prepend_scheme": "always", "split": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": piece, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for i, piece in special
        ],
        "normalizer": {"type": "Sequence", "normalizers": normalizers},
        "pre_tokenizer": metaspace,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": eos, "type_id": 0}}],
            "pair": [
                {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": eos, "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": eos, "type_id": 0}},
            ],
            "special_tokens": {eos: {"id": eos, "ids": [trainer.eos_id], "tokens": [eos]}},
        },
        "decoder": dict(metaspace),
        "model": {"type": "Unigram", "unk_id": trainer.unk_id, "vocab": vocab, "byte_fallback": False},
    }
