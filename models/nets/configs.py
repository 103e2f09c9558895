"""Named architectures: the tiny random-weight fixture and the embedded default cascade.

Each stage record also carries what the manifest needs (prediction, schedule,
defaults, thresholding, low-res conditioning), so training and export read one source.
"""
from .t5_encoder import T5Config
from .unet import UNetConfig

COSINE_1000 = {"type": "cosine", "trainSteps": 1000, "offset": 0.008}

TINY = {
    "encoder": T5Config(vocab_size=256, d_model=16, num_layers=1, num_heads=2, d_ff=32, max_tokens=32),
    "stages": {
        "base64": {
            "resolution": 64,
            "unet": UNetConfig(in_channels=3, out_channels=3, channels=(8, 16), num_res_blocks=(1, 1),
                               self_attn=(False, True), cross_attn=(False, True), text_dim=16, emb_dim=16,
                               head_dim=8, groups=4),
            "prediction": "eps",
            "schedule": COSINE_1000,
            "defaults": {"sampler": "dpmpp-2m", "steps": 10, "guidance": 4.0},
            "thresholding": {"type": "dynamic", "percentile": 0.995},
        },
        "sr256": {
            "resolution": 256,
            "unet": UNetConfig(in_channels=6, out_channels=6, channels=(8, 16), num_res_blocks=(1, 1),
                               self_attn=(False, False), cross_attn=(False, True), text_dim=16, emb_dim=16,
                               head_dim=8, groups=4, noise_cond=True, patch=2),
            "prediction": "eps-learned-range",
            "schedule": COSINE_1000,
            "defaults": {"sampler": "dpmpp-2m", "steps": 4, "guidance": 2.0},
            "thresholding": {"type": "static"},
            "lowRes": {"fromStage": "base64", "resize": "bicubic", "noiseAugmentation": 100},
        },
        "sr1024": {
            "resolution": 1024,
            "unet": UNetConfig(in_channels=6, out_channels=3, channels=(8, 16), num_res_blocks=(1, 1),
                               self_attn=(False, False), cross_attn=(False, False), text_dim=16, emb_dim=16,
                               head_dim=8, groups=4, noise_cond=True, patch=4),
            "prediction": "v",
            "schedule": COSINE_1000,
            "defaults": {"sampler": "dpmpp-2m", "steps": 2, "guidance": 1.0},
            "thresholding": {"type": "static"},
            "lowRes": {"fromStage": "sr256", "resize": "bicubic", "noiseAugmentation": 0},
        },
    },
}

EMBEDDED = {
    "encoder": T5Config(vocab_size=2048, d_model=256, num_layers=4, num_heads=4, d_ff=512, max_tokens=48),
    "stages": {
        "base64": {
            "resolution": 64,
            "unet": UNetConfig(in_channels=3, out_channels=3, channels=(32, 64, 128, 128), num_res_blocks=(1, 1, 2, 2),
                               self_attn=(False, False, False, True), cross_attn=(False, False, True, True),
                               text_dim=256, emb_dim=192, head_dim=32, groups=8),
            "prediction": "v",
            "schedule": COSINE_1000,
            "defaults": {"sampler": "dpmpp-2m", "steps": 20, "guidance": 2.0},
            "thresholding": {"type": "dynamic", "percentile": 0.995},
        },
        "sr256": {
            "resolution": 256,
            "unet": UNetConfig(in_channels=6, out_channels=3, channels=(32, 64, 96, 128), num_res_blocks=(1, 1, 2, 2),
                               self_attn=(False, False, False, False), cross_attn=(False, False, True, True),
                               text_dim=256, emb_dim=128, head_dim=32, groups=8, noise_cond=True, patch=2,
                               x0_as_v=COSINE_1000),
            # Trained ~1100 steps on the v target, then (warm-started, output sign flipped) on x0: see MODEL_CARD.md.
            "train_target": "x0",
            "prediction": "v",
            "schedule": COSINE_1000,
            "defaults": {"sampler": "dpmpp-2m", "steps": 15, "guidance": 2.0},
            "thresholding": {"type": "static"},
            "lowRes": {"fromStage": "base64", "resize": "bicubic", "noiseAugmentation": 100},
            "train_crop": 128,
        },
        "sr1024": {
            "resolution": 1024,
            # 64 channels at the 4x4-folded top level (32 in the first version).
            # The body predicts x0 (x0_as_v): see unet.py; trained with an x0 loss ("train_target").
            "unet": UNetConfig(in_channels=6, out_channels=3, channels=(64, 64, 96), num_res_blocks=(1, 1, 2),
                               self_attn=(False, False, False), cross_attn=(False, False, False),
                               text_dim=256, emb_dim=128, head_dim=32, groups=8, noise_cond=True, patch=4,
                               x0_as_v=COSINE_1000),
            "train_target": "x0",
            "prediction": "v",
            "schedule": COSINE_1000,
            "defaults": {"sampler": "dpmpp-2m", "steps": 8, "guidance": 1.0},
            "thresholding": {"type": "static"},
            "lowRes": {"fromStage": "sr256", "resize": "bicubic", "noiseAugmentation": 100},
            "train_crop": 128,
        },
    },
}

CASCADES = {"tiny": TINY, "embedded": EMBEDDED}
