"""Training clips: T frames of one video with their instance masks, augmented, batched.

Each sample is a pure function of ``(seed, global sample index)``: the video comes from a per-epoch
permutation, the frames, scale, crop and flip from ``np.random.default_rng([seed, index])``. A run
resumed at step ``s`` therefore sees exactly the clips an uninterrupted run sees, without saving any
loader state, and every DDP rank draws its own disjoint indices.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from vis_pipelines.datasets.video_set import VideoSet

from .config import TrainConfig

__all__ = ["ClipDataset", "StepSampler", "collate_clips", "category_index", "sample_frames"]

# Padding colour of images (the ImageNet mean): normalised, it is 0, like the model's own padding.
_PAD_RGB = (124, 116, 104)


def category_index(video_set: VideoSet) -> list[int]:
    """Dataset category ids in class-index order (class k ↔ ``ids[k]``)."""
    return sorted(int(c["id"]) for c in video_set.categories)


def sample_frames(
    length: int, num_frames: int, frame_range: int, rng: np.random.Generator
) -> np.ndarray:
    """Sorted frame indices: a reference frame plus T−1 others within ± ``frame_range`` of it.

    Short videos repeat frames (sampling with replacement) so every clip has T frames.
    """
    ref = int(rng.integers(length))
    lo, hi = max(0, ref - frame_range), min(length, ref + frame_range + 1)
    others = np.setdiff1d(np.arange(lo, hi), [ref])
    need = num_frames - 1
    if need == 0:
        return np.array([ref])
    if len(others) >= need:
        picked = rng.choice(others, size=need, replace=False)
    else:
        picked = rng.choice(np.arange(lo, hi), size=need, replace=True)
    return np.sort(np.concatenate([[ref], picked]))


class ClipDataset(Dataset):
    """Map-style dataset: global sample index → (frames ``[T, H, W, 3]`` uint8, labels, masks).

    Each sample also carries ``background [T, H, W]``: the labelled background pixels, i.e. the
    union of the video's ``category_id: null`` annotations (scribble datasets' background strokes)
    or, for a dataset without them (full masks), every image pixel outside all instance masks.
    Padding added by the crop is neither instance nor background.

    Args:
        video_set: labelled YouTube-VIS-format videos (annotations with ``category_id: null``,
            such as scribble backgrounds, are not instances: they form the background map).
        cfg: frames per clip, frame range, crop size, scale jitter, flip, seed.
        categories: class index order (default: sorted category ids of ``video_set``).
    """

    def __init__(
        self, video_set: VideoSet, cfg: TrainConfig, *, categories: list[int] | None = None
    ):
        if not video_set.labeled:
            raise ValueError(f"{video_set.source}: training needs annotations, the file has none")
        if len(video_set) == 0:
            raise ValueError(f"{video_set.source}: no videos to train on")
        self.video_set = video_set
        self.cfg = cfg
        self.categories = categories if categories is not None else category_index(video_set)
        self._label = {cid: k for k, cid in enumerate(self.categories)}
        self.video_ids = video_set.video_ids
        self.anns = {
            vid: [a for a in video_set.annotations_for(vid) if a["category_id"] is not None]
            for vid in self.video_ids
        }
        self.backgrounds = {
            vid: [a for a in video_set.annotations_for(vid) if a["category_id"] is None]
            for vid in self.video_ids
        }
        if cfg.copy_paste_prob > 0 and any(self.backgrounds.values()):
            raise ValueError(
                f"{video_set.source}: train.copy_paste_prob needs full instance masks, but the "
                "file has labelled-background strokes (a scribble dataset); set it to 0"
            )
        unknown = {a["category_id"] for anns in self.anns.values() for a in anns} - set(self._label)
        if unknown:
            raise ValueError(
                f"{video_set.source}: annotations use unknown category ids {sorted(unknown)}"
            )

    def __len__(self) -> int:  # the stream is infinite; this is one epoch
        return len(self.video_ids)

    def video_for(self, index: int) -> int:
        """The video of global sample ``index`` (a fresh permutation of the videos every epoch)."""
        n = len(self.video_ids)
        perm = np.random.default_rng([self.cfg.seed, index // n, 7]).permutation(n)
        return self.video_ids[perm[index % n]]

    def __getitem__(self, index: int) -> dict[str, Any]:
        rng = np.random.default_rng([self.cfg.seed, int(index)])
        vid = self.video_for(int(index))
        idx, frames, masks, labels, background = self._clip(vid, rng)
        # The paste draw happens only when copy-paste is on, so clips without it (and the runs
        # recorded before it existed) keep their random stream.
        if self.cfg.copy_paste_prob > 0 and rng.random() < self.cfg.copy_paste_prob:
            frames, masks, labels, background = self._paste(
                vid, frames, masks, labels, background, rng
            )
        # Instances absent from every frame of the (cropped) clip are not targets.
        keep = _visible(masks)
        return {
            "frames": frames,
            "labels": labels[keep],
            "masks": masks[keep],
            "background": background,
            "video_id": vid,
            "frame_indices": idx,
        }

    def _clip(
        self, vid: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """One augmented clip of video ``vid``: (frame indices, frames, masks, labels, background)."""
        video = self.video_set.video(vid)
        idx = sample_frames(video["length"], self.cfg.num_frames, self.cfg.frame_range, rng)
        frames = self.video_set.load_frames(vid, idx)
        anns = self.anns[vid]
        masks = np.zeros((len(anns), len(idx), video["height"], video["width"]), dtype=np.uint8)
        for n, ann in enumerate(anns):
            masks[n] = self.video_set.masks(ann, idx)
        labels = np.array([self._label[a["category_id"]] for a in anns], dtype=np.int64)
        background = self._background(vid, idx, masks)
        # The background map rides along as one more mask channel through the augmentation.
        frames, stacked = augment_clip(
            frames, np.concatenate([masks, background[None]]), self.cfg, rng
        )
        return idx, frames, stacked[:-1], labels, stacked[-1]

    def _paste(
        self,
        vid: int,
        frames: np.ndarray,
        masks: np.ndarray,
        labels: np.ndarray,
        background: np.ndarray,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Copy-paste (Ghiasi et al., CVPR 2021) for video: paste a random non-empty subset of
        another video's instances, as mask tubes over the clip's T frames, on top of this clip.

        The donor clip is sampled and augmented on its own; pasted pixels take the donor's
        colours, leave every occluded instance and background pixel, and join the targets. A set
        of one video pastes a second, separately augmented clip of that video.
        """
        n = len(self.video_ids)
        pos = self.video_ids.index(vid)
        donor = self.video_ids[(pos + 1 + int(rng.integers(n - 1))) % n] if n > 1 else vid
        _, d_frames, d_masks, d_labels, _ = self._clip(donor, rng)
        present = np.flatnonzero(_visible(d_masks))
        if len(present) == 0:  # an unannotated donor, or none of its instances in the crop
            return frames, masks, labels, background
        pick = rng.choice(present, size=int(rng.integers(1, len(present) + 1)), replace=False)
        pick = np.sort(pick)
        alpha = d_masks[pick].any(0)  # [T, H, W]
        frames = np.where(alpha[..., None], d_frames, frames)
        masks = np.concatenate([masks & ~alpha[None], d_masks[pick]]).astype(np.uint8)
        labels = np.concatenate([labels, d_labels[pick]])
        return frames, masks, labels, (background & ~alpha).astype(np.uint8)

    def _background(self, vid: int, idx: np.ndarray, masks: np.ndarray) -> np.ndarray:
        """Labelled background ``uint8 [T, H, W]`` of the clip's frames (see the class docstring)."""
        strokes = self.backgrounds[vid]
        if strokes:
            out = np.zeros(masks.shape[1:], dtype=np.uint8)
            for ann in strokes:
                out |= self.video_set.masks(ann, idx)
            return out
        if len(masks) == 0:
            return np.ones(masks.shape[1:], dtype=np.uint8)
        return (~masks.any(0)).astype(np.uint8)


def _visible(masks: np.ndarray) -> np.ndarray:
    """bool ``[N]``: which of the ``[N, T, H, W]`` instance masks has a pixel in some frame."""
    return masks.reshape(len(masks), -1).any(1) if len(masks) else np.zeros(0, bool)


def augment_clip(
    frames: np.ndarray, masks: np.ndarray, cfg: TrainConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Same scale jitter, crop/pad to ``cfg.crop_size`` and flip for every frame of a clip."""
    t, h, w = frames.shape[:3]
    ch, cw = cfg.crop_size
    # Scale relative to the size that fits the crop: s = 1 maps the frame's shorter side onto it.
    base = max(ch / h, cw / w)
    s = base * float(rng.uniform(*cfg.scale_range))
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    if (nh, nw) != (h, w):
        frames = np.stack([cv2.resize(f, (nw, nh), interpolation=cv2.INTER_LINEAR) for f in frames])
        flat = masks.reshape(-1, h, w)
        flat = (
            np.stack([cv2.resize(m, (nw, nh), interpolation=cv2.INTER_NEAREST_EXACT) for m in flat])
            if len(flat)
            else np.zeros((0, nh, nw), np.uint8)
        )
        masks = flat.reshape(masks.shape[0], t, nh, nw)
    y0 = int(rng.integers(0, nh - ch + 1)) if nh > ch else 0
    x0 = int(rng.integers(0, nw - cw + 1)) if nw > cw else 0
    frames = frames[:, y0 : y0 + ch, x0 : x0 + cw]
    masks = masks[:, :, y0 : y0 + ch, x0 : x0 + cw]
    ph, pw = ch - frames.shape[1], cw - frames.shape[2]
    if ph or pw:
        frames = np.pad(frames, ((0, 0), (0, ph), (0, pw), (0, 0)))
        frames[:, frames.shape[1] - ph :, :] = _PAD_RGB
        frames[:, :, frames.shape[2] - pw :] = _PAD_RGB
        masks = np.pad(masks, ((0, 0), (0, 0), (0, ph), (0, pw)))
    if rng.random() < cfg.flip_prob:
        frames = frames[:, :, ::-1]
        masks = masks[..., ::-1]
    return np.ascontiguousarray(frames), np.ascontiguousarray(masks)


def collate_clips(
    samples: list[dict[str, Any]],
) -> tuple[torch.Tensor, list[dict[str, torch.Tensor]]]:
    """Batch: clips ``uint8 [B, T, 3, H, W]`` and targets
    ``[{labels [G], masks [G, T, H, W], background [T, H, W]}]``."""
    clips = torch.from_numpy(np.stack([s["frames"] for s in samples])).permute(0, 1, 4, 2, 3)
    targets = [
        {
            "labels": torch.from_numpy(s["labels"]),
            "masks": torch.from_numpy(s["masks"]),
            "background": torch.from_numpy(s["background"]),
        }
        for s in samples
    ]
    return clips.contiguous(), targets


class StepSampler(Sampler[int]):
    """Global sample indices of one rank for steps ``start_step .. max_steps - 1``.

    Step ``s`` of rank ``r`` (of ``world`` ranks, ``per_rank`` clips each) uses indices
    ``(s * world + r) * per_rank + j``, so ranks never share a clip and resuming is exact.
    """

    def __init__(
        self, *, start_step: int, max_steps: int, per_rank: int, rank: int = 0, world: int = 1
    ):
        self.start, self.stop = start_step, max_steps
        self.per_rank, self.rank, self.world = per_rank, rank, world

    def __iter__(self) -> Iterator[int]:
        for step in range(self.start, self.stop):
            base = (step * self.world + self.rank) * self.per_rank
            yield from range(base, base + self.per_rank)

    def __len__(self) -> int:
        return max(0, self.stop - self.start) * self.per_rank
