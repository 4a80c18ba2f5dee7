"""Backbones: C2-C5 shapes, local ResNet weights, frozen batch norm, clear errors."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torchvision.ops import FrozenBatchNorm2d

from vis_pipelines.models.backbones import ResNetBackbone, SmallCNN


def test_small_cnn_strides_and_channels():
    net = SmallCNN(widths=(8, 16, 24, 32))
    out = net(torch.randn(2, 3, 64, 96))
    assert {k: tuple(v.shape) for k, v in out.items()} == {
        "res2": (2, 8, 16, 24),
        "res3": (2, 16, 8, 12),
        "res4": (2, 24, 4, 6),
        "res5": (2, 32, 2, 3),
    }
    assert net.out_channels == {"res2": 8, "res3": 16, "res4": 24, "res5": 32}


def test_resnet18_loads_local_torchvision_weights(tmp_path):
    torch.manual_seed(0)
    reference = torchvision.models.resnet18(weights=None)
    path = tmp_path / "resnet18.pth"
    torch.save(reference.state_dict(), path)  # what torchvision's weight files hold (incl. fc)
    net = ResNetBackbone(depth=18, weights=path)
    assert torch.equal(net.layer3[1].conv2.weight, reference.layer3[1].conv2.weight)
    assert torch.equal(net.bn1.running_var, reference.bn1.running_var)
    assert isinstance(net.bn1, FrozenBatchNorm2d)
    x = torch.randn(1, 3, 64, 64)
    reference.eval()
    out = net(x)
    # Same trunk → same C5 as torchvision's own forward up to layer4.
    r = reference
    c5 = r.layer4(r.layer3(r.layer2(r.layer1(r.maxpool(r.relu(r.bn1(r.conv1(x))))))))
    torch.testing.assert_close(out["res5"], c5)
    assert net.out_channels == {"res2": 64, "res3": 128, "res4": 256, "res5": 512}


def test_resnet50_channels_and_freeze_at():
    net = ResNetBackbone(depth=50, freeze_at=2)
    assert net.out_channels["res5"] == 2048
    assert not net.conv1.weight.requires_grad
    assert not net.layer1[0].conv1.weight.requires_grad
    assert net.layer2[0].conv1.weight.requires_grad


def test_missing_or_wrong_weights_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
        ResNetBackbone(depth=18, weights=tmp_path / "absent.pth")
    path = tmp_path / "r34.pth"
    torch.save(torchvision.models.resnet34(weights=None).state_dict(), path)
    with pytest.raises(ValueError, match="r34.pth"):
        ResNetBackbone(depth=18, weights=path)
    with pytest.raises(ValueError, match="depth"):
        ResNetBackbone(depth=42)
