"""imagen-ts Python side: procedural world, tokenizer, training code."""
