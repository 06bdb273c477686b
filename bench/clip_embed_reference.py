#!/usr/bin/env python3
"""PyTorch baseline for bench/clip_embed_bench: CLIP image and text embedding throughput.

The model is OpenAI's CLIP ViT layout written out here with torch.nn (nn.MultiheadAttention in
OpenAI's sequence-first layout, QuickGELU, pre-LayerNorm residual blocks, class token, features
at the end-of-text token), random weights, float32, eval mode under torch.inference_mode(),
torch.set_num_threads(cores). The shapes come from the command line so the C++ benchmark can ask
for exactly the model it measured. `--autocast bf16` runs the same float32 model under
torch.autocast("cpu", dtype=torch.bfloat16), PyTorch's own reduced-precision CPU path.

Prints one JSON object: {"torch", "threads", "images_per_s", "texts_per_s", ...}.
Needs PyTorch: on Debian, `apt-get install python3-torch` (then run with /usr/bin/python3).
"""

import argparse
import contextlib
import json
import os
import sys
import time

try:
    import torch
    from torch import nn
except ImportError:
    print(json.dumps({"error": "PyTorch is not installed for " + sys.executable +
                      " (on Debian: apt-get install python3-torch)"}))
    sys.exit(3)


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class ResidualBlock(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads)
        self.ln_1 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), QuickGELU(), nn.Linear(4 * width, width))
        self.ln_2 = nn.LayerNorm(width)

    def forward(self, x, mask=None):  # x: [L, B, W]
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width, layers, heads):
        super().__init__()
        self.resblocks = nn.ModuleList([ResidualBlock(width, heads) for _ in range(layers)])

    def forward(self, x, mask=None):
        for block in self.resblocks:
            x = block(x, mask)
        return x


class Clip(nn.Module):
    def __init__(self, a):
        super().__init__()
        grid = a.image_size // a.patch
        scale = a.vision_width ** -0.5
        self.conv1 = nn.Conv2d(3, a.vision_width, a.patch, a.patch, bias=False)
        self.class_embedding = nn.Parameter(scale * torch.randn(a.vision_width))
        self.visual_positional = nn.Parameter(scale * torch.randn(grid * grid + 1, a.vision_width))
        self.ln_pre = nn.LayerNorm(a.vision_width)
        self.visual = Transformer(a.vision_width, a.vision_layers, a.vision_width // 64)
        self.ln_post = nn.LayerNorm(a.vision_width)
        self.proj = nn.Parameter(scale * torch.randn(a.vision_width, a.embed_dim))
        self.token_embedding = nn.Embedding(a.vocab_size, a.text_width)
        self.positional_embedding = nn.Parameter(0.01 * torch.randn(a.context_length, a.text_width))
        self.transformer = Transformer(a.text_width, a.text_layers, a.text_width // 64)
        self.ln_final = nn.LayerNorm(a.text_width)
        self.text_projection = nn.Parameter(a.text_width ** -0.5 * torch.randn(a.text_width, a.embed_dim))
        mask = torch.full((a.context_length, a.context_length), float("-inf")).triu(1)
        self.register_buffer("mask", mask)

    def encode_image(self, images):
        x = self.conv1(images).flatten(2).permute(0, 2, 1)  # [B, g*g, W]
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = self.ln_pre(torch.cat([cls, x], dim=1) + self.visual_positional)
        x = self.visual(x.permute(1, 0, 2)).permute(1, 0, 2)
        return self.ln_post(x[:, 0, :]) @ self.proj

    def encode_text(self, ids):
        x = self.token_embedding(ids) + self.positional_embedding
        x = self.transformer(x.permute(1, 0, 2), self.mask).permute(1, 0, 2)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), ids.argmax(dim=-1)] @ self.text_projection


def timed(fn, warm_up, iterations):
    warm_up()  # a small batch: first-call set-up without paying for a whole extra batch
    start = time.perf_counter()
    for _ in range(iterations):
        fn()
    return (time.perf_counter() - start) / iterations


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--patch", type=int, default=32)
    p.add_argument("--vision-width", type=int, default=768)
    p.add_argument("--vision-layers", type=int, default=12)
    p.add_argument("--text-width", type=int, default=512)
    p.add_argument("--text-layers", type=int, default=12)
    p.add_argument("--context-length", type=int, default=77)
    p.add_argument("--vocab-size", type=int, default=49408)
    p.add_argument("--embed-dim", type=int, default=512)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--iterations", type=int, default=2)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--autocast", choices=["none", "bf16"], default="none")
    a = p.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    model = Clip(a).eval()
    images = torch.randn(a.batch, 3, a.image_size, a.image_size)
    ids = torch.randint(1, a.vocab_size - 2, (a.batch, a.context_length))
    ids[:, -1] = a.vocab_size - 1  # the end-of-text token, the row's largest id

    autocast = (torch.autocast("cpu", dtype=torch.bfloat16) if a.autocast == "bf16"
                else contextlib.nullcontext())
    with torch.inference_mode(), autocast:
        image_s = timed(lambda: model.encode_image(images), lambda: model.encode_image(images[:2]),
                        a.iterations)
        text_s = timed(lambda: model.encode_text(ids), lambda: model.encode_text(ids[:2]),
                       a.iterations)
    print(json.dumps({
        "torch": torch.__version__,
        "autocast": a.autocast,
        "threads": torch.get_num_threads(),
        "batch": a.batch,
        "iterations": a.iterations,
        "image_batch_seconds": image_s,
        "text_batch_seconds": text_s,
        "images_per_s": a.batch / image_s,
        "texts_per_s": a.batch / text_s,
    }))


if __name__ == "__main__":
    main()
