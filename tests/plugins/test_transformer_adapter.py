from __future__ import annotations

import pytest

from salad.testing import AdapterContract

torch = pytest.importorskip("torch")

from salad_plugins.transformer_adapter.adapter import TransformerAdapter  # noqa: E402
from salad_plugins.transformer_adapter.hooks import TransformerAdapterConfig  # noqa: E402


class TestTransformerAdapterContract(AdapterContract):
    component_name = "salad.transformer_adapter.v1"
    config = {"input_dim": 16, "output_dim": 24, "downsample": 3, "num_layers": 2,
              "hidden_dim": 32, "num_heads": 4}


def _adapter(**kw):
    torch.manual_seed(0)
    cfg = {"input_dim": 8, "output_dim": 12, "downsample": 2, "num_layers": 3,
           "hidden_dim": 32, "num_heads": 4, **kw}
    return TransformerAdapter(TransformerAdapterConfig(**cfg)).eval()


def test_output_at_t_ignores_later_frames():
    adapter = _adapter()
    frames = torch.randn(1, 40, 8)
    lengths = torch.tensor([40])
    out, _ = adapter(frames, lengths)
    for t in (0, 7, 15):
        changed = frames.clone()
        changed[:, (t + 1) * 2:] = torch.randn_like(changed[:, (t + 1) * 2:])
        out2, _ = adapter(changed, lengths)
        assert torch.allclose(out[:, : t + 1], out2[:, : t + 1], atol=1e-5)
        assert not torch.allclose(out[:, t + 1:], out2[:, t + 1:])


def test_earlier_frames_do_matter():
    """Attention mixes steps: output t changes when a frame before t changes."""
    adapter = _adapter()
    frames = torch.randn(1, 20, 8)
    out, _ = adapter(frames, torch.tensor([20]))
    changed = frames.clone()
    changed[:, 0] += 1.0
    out2, _ = adapter(changed, torch.tensor([20]))
    assert not torch.allclose(out[:, 5], out2[:, 5])


def test_padding_does_not_change_valid_outputs():
    adapter = _adapter()
    short = torch.randn(1, 13, 8)
    alone, n = adapter(short, torch.tensor([13]))
    batch = torch.randn(2, 30, 8)
    batch[1, :13] = short[0]
    out, lengths = adapter(batch, torch.tensor([30, 13]))
    assert lengths.tolist() == [15, 7] and n.tolist() == [7]
    assert torch.allclose(out[1, :7], alone[0, :7], atol=1e-5)
    assert out[1, 7:].abs().max() == 0


def test_width_must_split_into_heads():
    with pytest.raises(ValueError, match="num_heads"):
        TransformerAdapterConfig(hidden_dim=100, num_heads=3)


def test_paper_scale_parameter_count():
    cfg = TransformerAdapterConfig(num_layers=12, hidden_dim=960, num_heads=15,
                                   input_dim=512, output_dim=576, downsample=4)
    with torch.device("meta"):
        adapter = TransformerAdapter(cfg)
    n = sum(p.numel() for p in adapter.parameters())
    # 12 blocks of 12*960^2 + biases/norms, plus 2048->960 and 960->576 projections
    assert 134e6 < n < 136e6
