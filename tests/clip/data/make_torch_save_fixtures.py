#!/usr/bin/env python3
"""Writes the torch.save fixtures of tests/clip/clip_import_test.cpp (TorchStateDictReader).

Run with Debian's python3-torch (1.13): /usr/bin/python3 make_torch_save_fixtures.py
The files are committed next to this script; the test checks the values below exactly.

- python_state_dict.bin: model.state_dict() of an nn.Linear(3, 2) (an OrderedDict with its
  _metadata, as every Python state dict), plus float16 / bfloat16 / float64 / int64 tensors, a
  transposed (non-contiguous) view, and two views sharing one storage (one at an offset).
- python_checkpoint.bin: a training checkpoint {"epoch", "name", "state_dict", "optimizer"} whose
  state dict has DistributedDataParallel's "module." prefix.
- python_code.bin: a pickle whose object is built by calling os.system: a reader must never call
  it (nor anything else outside the state-dict callables).
"""
import collections
import os

import torch


class Evil:
    def __reduce__(self):
        return (os.system, ("echo this must never run",))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    linear = torch.nn.Linear(3, 2)
    with torch.no_grad():
        linear.weight.copy_(torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4)
        linear.bias.copy_(torch.tensor([-1.0, 2.5]))
    sd = linear.state_dict()
    sd["half"] = torch.tensor([0.5, -1.25, 3.0], dtype=torch.float16)
    sd["bf16"] = torch.tensor([1.5, -2.0], dtype=torch.bfloat16)
    sd["double"] = torch.tensor([0.1, 1e-3], dtype=torch.float64)
    sd["count"] = torch.tensor([7], dtype=torch.int64)
    sd["transposed"] = torch.arange(12, dtype=torch.float32).reshape(3, 4).t()
    big = torch.arange(10, dtype=torch.float32)
    sd["shared_all"] = big
    sd["shared_tail"] = big[4:].view(2, 3)
    torch.save(sd, os.path.join(here, "python_state_dict.bin"))

    inner = collections.OrderedDict(("module." + k, v) for k, v in linear.state_dict().items())
    torch.save({"epoch": 3, "name": "run", "state_dict": inner,
                "optimizer": {"state": {}, "param_groups": [{"lr": 0.1, "params": [0, 1]}]}},
               os.path.join(here, "python_checkpoint.bin"))

    torch.save({"weights": Evil()}, os.path.join(here, "python_code.bin"))


if __name__ == "__main__":
    main()
