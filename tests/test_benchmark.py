"""The arithmetic and profiling helpers that `python -m sourcetag.eval.benchmark predict` prints from."""

import torch
from sourcetag.eval.bench_predict import encoder_flops, padded_widths, profile_top_ops
from transformers import BertConfig


def test_padded_widths_pads_each_batch_to_its_longest_input():
    lengths = [3, 10, 4, 7, 5]
    assert padded_widths(lengths, [0, 1, 2, 3, 4], 2) == [10, 10, 7, 7, 5]
    # sorted order pads less
    order = sorted(range(5), key=lengths.__getitem__)
    assert sum(padded_widths(lengths, order, 2)) < sum(padded_widths(lengths, [0, 1, 2, 3, 4], 2))


def test_encoder_flops_counts_linear_and_attention_terms():
    cfg = BertConfig(hidden_size=8, intermediate_size=32, num_hidden_layers=2)
    n = 5
    linear = n * 2 * (4 * 8 * 8 + 2 * 8 * 32)
    attention = 2 * 2 * n * n * 8
    assert encoder_flops(cfg, [n]) == 2 * (linear + attention)
    assert encoder_flops(cfg, [n, n]) == 2 * encoder_flops(cfg, [n])


def test_profile_names_the_operator_that_dominates():
    x, w = torch.randn(256, 256), torch.randn(256, 256)

    def work():
        for _ in range(20):
            torch.nn.functional.linear(x, w)

    top, in_torch = profile_top_ops(work, k=3)
    assert len(top) == 3
    assert top[0][0] in {"aten::addmm", "aten::mm", "aten::matmul", "aten::linear"}
    assert all(0 < share <= 1.05 for _, share in top)
    assert 0 < in_torch <= 1.5
