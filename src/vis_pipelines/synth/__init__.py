"""SynthVIS: the embedded synthetic video dataset (textured objects over textured backgrounds).

Videos come with exact ground truth for video instance segmentation (categories with base/novel
splits), DAVIS-2016-style moving-object segmentation and optical flow. See ``generator`` for the
entry points and ``render`` for how flow and occlusion are defined.
"""

from .categories import build_categories
from .config import SynthConfig
from .generator import (
    SPLITS,
    SynthObject,
    SynthVideo,
    generate_video,
    iter_split,
    split_categories,
    video_name,
)
from .render import Rendering, render_scene
from .scene import Scene, SceneObject, sample_scene

__all__ = [
    "SPLITS",
    "SynthConfig",
    "SynthObject",
    "SynthVideo",
    "build_categories",
    "generate_video",
    "iter_split",
    "split_categories",
    "video_name",
    "Rendering",
    "render_scene",
    "Scene",
    "SceneObject",
    "sample_scene",
]
