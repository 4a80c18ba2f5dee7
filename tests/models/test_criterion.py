"""SetCriterion: hand-computed losses, normalisation, aux keys, gradients, reproducibility."""

from __future__ import annotations

import math

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F

from vis_pipelines.models.criterion import SetCriterion, dice_loss, sigmoid_bce_loss
from vis_pipelines.models.matcher import HungarianMatcher

SIZE = 16  # input resolution; predictions at SIZE / 4


class FixedMatcher:
    """Stub matcher returning given indices and counting its calls."""

    def __init__(self, pairs: list[tuple[list[int], list[int]]]) -> None:
        self.pairs = pairs
        self.calls = 0

    def __call__(self, outputs, targets, generator=None):
        self.calls += 1
        return [(torch.tensor(p, dtype=torch.int64), torch.tensor(g, dtype=torch.int64))
                for p, g in self.pairs]


def _frame_masks(patterns: list[list[float]]) -> torch.Tensor:
    """Targets constant within each frame: patterns[g][t] -> Tensor[G, T, SIZE, SIZE]."""
    values = torch.tensor(patterns, dtype=torch.float32)
    return values[:, :, None, None].expand(-1, -1, SIZE, SIZE).clone()


def _no_targets(frames: int = 2) -> dict[str, torch.Tensor]:
    return {"labels": torch.zeros(0, dtype=torch.int64), "masks": torch.zeros(0, frames, SIZE, SIZE)}


def test_perfect_prediction_has_zero_losses() -> None:
    targets = [{"labels": torch.tensor([0, 1]), "masks": _frame_masks([[1, 0], [0, 1]])}]
    pred_masks = torch.full((1, 3, 2, 4, 4), -20.0)
    pred_masks[0, 2, 0] = 20.0  # query 2 == target 0 (present in frame 0 only)
    pred_masks[0, 0, 1] = 20.0  # query 0 == target 1 (present in frame 1 only)
    pred_logits = torch.full((1, 3, 3), -20.0)
    pred_logits[0, 2, 0] = pred_logits[0, 0, 1] = 20.0
    pred_logits[0, 1, 2] = 20.0  # query 1 says "no object"
    criterion = SetCriterion(
        num_classes=2, matcher=HungarianMatcher(num_points=50), num_points=50
    )
    losses = criterion({"pred_logits": pred_logits, "pred_masks": pred_masks}, targets)
    assert set(losses) == {"loss_ce", "loss_mask", "loss_dice"}
    for name, value in losses.items():
        assert float(value) == pytest.approx(0.0, abs=1e-6), name


@pytest.mark.parametrize("num_classes", [1, 4])
def test_no_targets_only_no_object_cross_entropy(num_classes: int) -> None:
    outputs = {
        "pred_logits": torch.zeros(2, 5, num_classes + 1, requires_grad=True),
        "pred_masks": torch.randn(2, 5, 2, 4, 4, requires_grad=True),
    }
    criterion = SetCriterion(num_classes=num_classes, matcher=HungarianMatcher(num_points=8))
    losses = criterion(outputs, [_no_targets(), _no_targets()])
    assert float(losses["loss_ce"].detach()) == pytest.approx(math.log(num_classes + 1))
    assert float(losses["loss_mask"].detach()) == 0.0 == float(losses["loss_dice"].detach())
    criterion.weighted_total(losses).backward()
    assert outputs["pred_masks"].grad is not None  # connected graph even with nothing matched
    assert float(outputs["pred_masks"].grad.abs().sum()) == 0.0


def test_cross_entropy_weights_by_hand() -> None:
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 3, 4, generator=gen)  # K = 3
    # clip 0: query 1 -> target 0 (class 2); clip 1: query 0 -> target 0 (class 0).
    matcher = FixedMatcher([([1], [0]), ([0], [0])])
    targets = [
        {"labels": torch.tensor([2]), "masks": _frame_masks([[1]])},
        {"labels": torch.tensor([0]), "masks": _frame_masks([[1]])},
    ]
    criterion = SetCriterion(num_classes=3, matcher=matcher, eos_coef=0.1, losses=("labels",))
    loss = criterion({"pred_logits": logits, "pred_masks": torch.zeros(2, 3, 1, 4, 4)}, targets)
    log_p = logits.log_softmax(-1)
    classes = [[3, 2, 3], [0, 3, 3]]
    weights = [[0.1, 1.0, 0.1], [1.0, 0.1, 0.1]]
    num = sum(-weights[b][q] * log_p[b, q, classes[b][q]] for b in range(2) for q in range(3))
    den = sum(sum(row) for row in weights)
    assert float(loss["loss_ce"]) == pytest.approx(float(num / den), rel=1e-6)
    assert set(loss) == {"loss_ce"}


def test_dice_and_bce_of_a_hand_case() -> None:
    # Prediction sigmoid 0.5 everywhere; target present in frame 0, absent in frame 1: with K
    # points per frame, sum p = K, sum t = K, sum pt = K/2.
    k = 10
    targets = [{"labels": torch.tensor([0]), "masks": _frame_masks([[1, 0]])}]
    outputs = {"pred_logits": torch.zeros(1, 2, 2), "pred_masks": torch.zeros(1, 2, 2, 4, 4)}
    criterion = SetCriterion(num_classes=1, matcher=FixedMatcher([([1], [0])]), num_points=k)
    losses = criterion(outputs, targets)
    assert float(losses["loss_dice"]) == pytest.approx(1 - (2 * (k / 2) + 1) / (k + k + 1))
    assert float(losses["loss_mask"]) == pytest.approx(math.log(2))


def test_loss_functions_on_points_by_hand() -> None:
    logits = torch.tensor([[0.0, math.log(3.0)], [0.0, 0.0]])  # p = [0.5, 0.75], [0.5, 0.5]
    labels = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    dice_0 = 1 - (2 * 0.5 + 1) / (1.25 + 1 + 1)
    dice_1 = 1 - (2 * 1.0 + 1) / (1.0 + 2 + 1)
    assert float(dice_loss(logits, labels, 2.0)) == pytest.approx((dice_0 + dice_1) / 2)
    bce_0 = (math.log(2) + math.log(4)) / 2  # -log 0.5, -log(1 - 0.75)
    bce_1 = math.log(2)
    assert float(sigmoid_bce_loss(logits, labels, 4.0)) == pytest.approx((bce_0 + bce_1) / 4)


def test_num_masks_normalisation_two_clips_three_targets() -> None:
    # Constant logits per query and frame-constant targets: the point values are known exactly.
    a = [0.5, -1.0, 2.0]  # logits of the three matched queries
    pred_masks = torch.zeros(2, 2, 2, 4, 4)
    pred_masks[0, 0], pred_masks[0, 1], pred_masks[1, 1] = a
    targets = [
        {"labels": torch.tensor([0, 0]), "masks": _frame_masks([[1, 0], [1, 1]])},
        {"labels": torch.tensor([0]), "masks": _frame_masks([[0, 1]])},
    ]
    matcher = FixedMatcher([([0, 1], [0, 1]), ([1], [0])])
    criterion = SetCriterion(num_classes=1, matcher=matcher, num_points=7)
    assert criterion.count_masks(targets, torch.device("cpu")) == 3.0
    losses = criterion({"pred_logits": torch.zeros(2, 2, 2), "pred_masks": pred_masks}, targets)

    def softplus(x: float) -> float:
        return math.log1p(math.exp(x))

    def sigmoid(x: float) -> float:
        return 1 / (1 + math.exp(-x))

    k = 7
    bce = [(softplus(-a[0]) + softplus(a[0])) / 2, softplus(-a[1]), (softplus(a[2]) + softplus(-a[2])) / 2]
    p = [sigmoid(v) for v in a]
    dice = [
        1 - (2 * k * p[0] + 1) / (2 * k * p[0] + k + 1),
        1 - (2 * 2 * k * p[1] + 1) / (2 * k * p[1] + 2 * k + 1),
        1 - (2 * k * p[2] + 1) / (2 * k * p[2] + k + 1),
    ]
    assert float(losses["loss_mask"]) == pytest.approx(sum(bce) / 3, rel=1e-5)
    assert float(losses["loss_dice"]) == pytest.approx(sum(dice) / 3, rel=1e-5)
    assert criterion.count_masks([_no_targets()], torch.device("cpu")) == 1.0  # clamped


def _random_outputs(seed: int, aux: int, b: int = 2, q: int = 4, t: int = 2) -> dict:
    gen = torch.Generator().manual_seed(seed)

    def layer() -> dict[str, torch.Tensor]:
        return {
            "pred_logits": torch.randn(b, q, 4, generator=gen).requires_grad_(),
            "pred_masks": torch.randn(b, q, t, 4, 4, generator=gen).requires_grad_(),
        }

    outputs = layer()
    outputs["aux_outputs"] = [layer() for _ in range(aux)]
    return outputs


def _random_targets(seed: int, t: int = 2) -> list[dict[str, torch.Tensor]]:
    gen = torch.Generator().manual_seed(seed)
    return [
        {"labels": torch.tensor([0, 2]),
         "masks": (torch.rand(2, t, SIZE, SIZE, generator=gen) > 0.5).float()},
        {"labels": torch.tensor([1]),
         "masks": (torch.rand(1, t, SIZE, SIZE, generator=gen) > 0.5).float()},
    ]


def test_aux_outputs_keys_weights_and_gradients() -> None:
    matcher = HungarianMatcher(num_points=20)
    calls = []
    criterion = SetCriterion(num_classes=3, matcher=matcher, num_points=20, num_aux_layers=2)
    original = criterion.match
    criterion.match = lambda *args: calls.append(1) or original(*args)  # count per-layer matches
    outputs, targets = _random_outputs(0, aux=2), _random_targets(1)
    losses = criterion(outputs, targets, generator=torch.Generator().manual_seed(0))
    assert set(losses) == {f"loss_{n}{s}" for n in ("ce", "mask", "dice") for s in ("", "_0", "_1")}
    assert len(calls) == 3
    assert criterion.weight_dict["loss_ce_1"] == 2.0 and criterion.weight_dict["loss_dice_0"] == 5.0
    assert len(criterion.weight_dict) == 9
    total = criterion.weighted_total(losses)
    expected = sum({"ce": 2.0, "mask": 5.0, "dice": 5.0}[k.split("_")[1]] * v
                   for k, v in losses.items())
    torch.testing.assert_close(total, expected)
    total.backward()
    for layer in [outputs, *outputs["aux_outputs"]]:
        assert float(layer["pred_masks"].grad.abs().sum()) > 0
        assert float(layer["pred_logits"].grad.abs().sum()) > 0
    # Suffixes beyond num_aux_layers fall back to the base weight; unknown terms are an error.
    assert criterion.weight_of("loss_mask_7") == 5.0
    with pytest.raises(ValueError, match="loss_other"):
        criterion.weighted_total({"loss_other": torch.tensor(1.0)})


def test_determinism_with_a_seeded_generator() -> None:
    criterion = SetCriterion(num_classes=3, matcher=HungarianMatcher(num_points=20), num_points=20)
    outputs, targets = _random_outputs(3, aux=1), _random_targets(4)

    def run(seed: int) -> dict[str, torch.Tensor]:
        return criterion(outputs, targets, generator=torch.Generator().manual_seed(seed))

    first, second, other = run(0), run(0), run(1)
    for key in first:
        assert torch.equal(first[key], second[key]), key
    assert not torch.equal(first["loss_mask"], other["loss_mask"])


def test_subclass_adds_a_loss_by_method() -> None:
    class ExtraCriterion(SetCriterion):
        def loss_extra(self, outputs, targets, indices, num_masks, generator=None):
            return {"loss_extra": outputs["pred_logits"].square().mean()}

    criterion = ExtraCriterion(
        num_classes=3, matcher=HungarianMatcher(num_points=8), losses=("labels", "extra"),
        weight_dict={"loss_ce": 1.0, "loss_extra": 0.5},
    )
    assert "extra" in criterion.available_losses()
    losses = criterion(_random_outputs(0, aux=1), _random_targets(0))
    assert set(losses) == {"loss_ce", "loss_extra", "loss_ce_0", "loss_extra_0"}
    assert criterion.weight_of("loss_extra_0") == 0.5
    with pytest.raises(ValueError, match="nonexistent"):
        SetCriterion(num_classes=3, matcher=HungarianMatcher(), losses=("labels", "nonexistent"))


def test_empty_weight_buffer() -> None:
    criterion = SetCriterion(num_classes=3, matcher=HungarianMatcher(), eos_coef=0.2)
    torch.testing.assert_close(criterion.state_dict()["empty_weight"],
                               torch.tensor([1.0, 1.0, 1.0, 0.2]))
    assert criterion.to(torch.float64).empty_weight.dtype == torch.float64
    loss = criterion.loss_labels(
        {"pred_logits": torch.zeros(1, 2, 4)}, [_no_targets()],
        [(torch.zeros(0, dtype=torch.int64),) * 2], 1.0,
    )["loss_ce"]
    assert float(loss) == pytest.approx(F.cross_entropy(torch.zeros(2, 4), torch.tensor([3, 3])).item())


def test_num_masks_under_a_single_process_group(tmp_path) -> None:
    if not dist.is_available():
        pytest.skip("torch.distributed is not built in")
    dist.init_process_group(
        "gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1
    )
    try:
        criterion = SetCriterion(num_classes=3, matcher=HungarianMatcher())
        assert criterion.count_masks(_random_targets(0), torch.device("cpu")) == 3.0
    finally:
        dist.destroy_process_group()
