"""The style networks: the imported ONNX files, Gatys et al.'s losses on MobileNetV2 features, the tiny cases.

Live networks (imported with engines.importers.onnx, see sources.py):
- multistyle26: image (1, 3, H, W) RGB in [0, 1] + style_weights (26,) -> (1, 3, H, W) in [0, 1];
  conditional instance norm: every norm layer's (gamma, beta) is the weights-blend of 26 rows.
- arbitrary_predict: style_image (1, 256, 256, 3) NHWC RGB in [0, 1] -> (1, 1, 1, 100) style vector.
- arbitrary_transform: content (1, H, W, 3) NHWC + the vector -> (1, H, W, 3) in [0, 1].

Iterative mode (Gatys et al., "A Neural Algorithm of Artistic Style"): no VGG weights exist offline, so the
perceptual network is the predictor's MobileNetV2 (ImageNet features), run in float (its int8 weights
dequantised; activations not rounded, so gradients flow). Layers are the expansion ReLU6 outputs at
128, 64, 32 and 16 px (for a 256 px input): the analogue of VGG's conv1_1 ... conv4_1 style layers.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

from engines.base import ModelCase

STYLE_LAYERS = ("pixels", "Relu6__5:0", "Relu6__10:0", "Relu6__15:0", "Relu6__25:0", "Relu6__40:0")
"""The input's RGB (1, 3, H, W), then predictor tensors (1, C, H/s, W/s): C = 32, 96, 144, 192, 384 at strides
2, 2, 4, 8, 16. The pixels' Gram matrix carries the palette, which MobileNetV2's Grams alone transfer weakly."""
CONTENT_LAYER = "MobilenetV2/expanded_conv_4/add_prequant"
"""(1, 32, H/8, W/8): a bottleneck output, deep enough to keep layout and let go of texture."""


class PerceptualNet(nn.Module):
    """Frozen features of an imported graph: forward(image (1, H, W, 3) NHWC [0, 1]) -> {layer: (1, C, h, w)}."""

    def __init__(self, graph: nn.Module, layers: tuple[str, ...], input_name: str = "style_image") -> None:
        super().__init__()
        self.graph, self.layers, self.input_name = graph, tuple(dict.fromkeys(layers)), input_name
        for p in self.graph.parameters():
            p.requires_grad_(False)

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        out = self.graph.run({self.input_name: image}, outputs=[k for k in self.layers if k != "pixels"])
        if "pixels" in self.layers:
            out["pixels"] = image.permute(0, 3, 1, 2)
        return out


def gram(f: torch.Tensor) -> torch.Tensor:
    """Gram matrix G = F F^T / (C H W) of features (B, C, H, W) -> (B, C, C) (Gatys et al. eq. 3)."""
    b, c, h, w = f.shape
    flat = f.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of neighbouring pixels of (1, H, W, 3): a smoothness prior."""
    return (image[:, 1:] - image[:, :-1]).abs().mean() + (image[:, :, 1:] - image[:, :, :-1]).abs().mean()


class GatysImage(nn.Module):
    """The optimised image (1, H, W, 3) NHWC in [0, 1] and its losses against fixed targets.

    forward(features) -> {"content", "style" (or "mrf"), "tv", "loss"}, each term already weighted so that they add
    up to the loss (paper eq. 7, L = alpha L_content + beta L_style, plus a total-variation prior): content = alpha *
    feature MSE of the content layer (eq. 1), style = beta * sum over layers of the Gram-matrix MSE (eq. 4-5),
    tv = weight * total variation.
    """

    def __init__(self, init: torch.Tensor, content: Mapping[str, torch.Tensor], style_grams: Mapping[str, torch.Tensor],
                 weights: tuple[float, float, float], mrf: nn.Module | None = None) -> None:
        """mrf: an engines.style.mrf.MRFStyleLoss replacing the Gram term (then named "mrf", Li & Wand)."""
        super().__init__()
        self.image = nn.Parameter(init.clone())
        self.content_targets = {k: v.detach() for k, v in content.items()}
        self.style_grams = {k: v.detach() for k, v in style_grams.items()}
        self.weights = weights
        self.mrf = mrf

    def forward(self, features: Mapping[str, torch.Tensor],
                content_targets: Mapping[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
        """content_targets: instead of the fixed ones (the content photo shifted like the image, see jitter)."""
        zero = self.image.new_zeros(())
        a, b, t = self.weights
        targets = self.content_targets if content_targets is None else content_targets
        content = sum((torch.mean((features[k] - c) ** 2) for k, c in targets.items()), zero)
        terms = {"content": a * content}
        if self.mrf is not None:
            terms["mrf"] = b * self.mrf(features)
        else:
            terms["style"] = b * sum((torch.mean((gram(features[k]) - g) ** 2) * 1e3
                                      for k, g in self.style_grams.items()), zero)
        terms["tv"] = t * total_variation(self.image)
        return {**terms, "loss": sum(terms.values(), zero)}


def impose_spectrum(image: torch.Tensor, magnitude: torch.Tensor) -> torch.Tensor:
    """Project (1, H, W, 3) onto images with the given Fourier magnitude (1, 3, H, W//2+1), keeping phase.

    The spectrum constraint of Liu et al. (texture synthesis with CNNs and spectrum constraints).
    """
    spec = torch.fft.rfft2(image.permute(0, 3, 1, 2))
    phase = spec / spec.abs().clamp_min(1e-8)
    return torch.fft.irfft2(phase * magnitude, s=image.shape[1:3]).permute(0, 2, 3, 1)


def tiny_conditional_in_onnx(channels: int = 4, styles: int = 3):
    """A small ONNX graph shaped like multistyle26's blocks: reflect pad, conv, instance norm written out in
    ReduceMean/Sub/Pow/Sqrt/Div ops, (gamma, beta) blended from style_weights (styles,), ReLU, 1x1 conv, sigmoid."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)

    def const(name, value):
        return numpy_helper.from_array(np.asarray(value), name)

    inits = [const("w1", rng.normal(0, 0.3, (channels, 3, 3, 3)).astype(np.float32)),
             const("gamma", rng.normal(1, 0.1, (styles, channels)).astype(np.float32)),
             const("beta", rng.normal(0, 0.1, (styles, channels)).astype(np.float32)),
             const("w2", rng.normal(0, 0.3, (3, channels, 1, 1)).astype(np.float32)),
             const("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)),
             const("axis0", np.array([0], np.int64)), const("axis1", np.array([1], np.int64)),
             const("cshape", np.array([1, channels, 1, 1], np.int64)),
             const("two", np.float32(2)), const("eps", np.float32(1e-5)), const("one", np.float32(1))]
    n = helper.make_node
    nodes = [
        n("Pad", ["image", "pads"], ["p"], mode="reflect"), n("Conv", ["p", "w1"], ["c"]),
        n("Unsqueeze", ["style_weights", "axis1"], ["sw"]),
        n("Mul", ["sw", "gamma"], ["g0"]), n("ReduceSum", ["g0", "axis0"], ["g1"], keepdims=0),
        n("Reshape", ["g1", "cshape"], ["g"]),
        n("Mul", ["sw", "beta"], ["b0"]), n("ReduceSum", ["b0", "axis0"], ["b1"], keepdims=0),
        n("Reshape", ["b1", "cshape"], ["b"]),
        n("ReduceMean", ["c"], ["m"], axes=[2, 3]), n("Sub", ["c", "m"], ["d"]), n("Pow", ["d", "two"], ["d2"]),
        n("ReduceMean", ["d2"], ["v"], axes=[2, 3]), n("Add", ["v", "eps"], ["ve"]), n("Sqrt", ["ve"], ["s"]),
        n("Div", ["one", "s"], ["r"]), n("Mul", ["d", "r"], ["z"]), n("Mul", ["z", "g"], ["zg"]),
        n("Add", ["zg", "b"], ["y"]), n("Relu", ["y"], ["a"]), n("Conv", ["a", "w2"], ["o"]),
        n("Sigmoid", ["o"], ["stylized"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny_conditional_in",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, "h", "w"]),
         helper.make_tensor_value_info("style_weights", TensorProto.FLOAT, [styles])],
        [helper.make_tensor_value_info("stylized", TensorProto.FLOAT, [1, 3, "h", "w"])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _tiny_features() -> nn.Module:
    class Tiny(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Conv2d(3, 4, 3, 2, 1), nn.Conv2d(4, 8, 3, 2, 1)
            for p in self.parameters():
                p.requires_grad_(False)

        def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
            a = torch.relu(self.a(image.permute(0, 3, 1, 2)))
            return {"a": a, "b": torch.relu(self.b(a))}

    return Tiny()


def _tiny_gatys(mrf: bool = False) -> nn.Module:
    """One Gatys image on a tiny random feature net; mrf: Li & Wand's patch loss instead of the Gram term, with a
    two-class semantic map (Neural Doodle)."""
    from engines.style.mrf import MRFStyleLoss

    feats = _tiny_features()
    content, style = torch.rand(1, 32, 32, 3), torch.rand(1, 32, 32, 3)
    with torch.no_grad():
        fc, fs = feats(content), feats(style)
    halves = torch.zeros(1, 2, 32, 32)
    halves[:, 0, :16], halves[:, 1, 16:] = 1.0, 1.0
    loss = MRFStyleLoss(fs, ("a", "b"), style_map=halves, target_map=halves.transpose(2, 3)) if mrf else None
    model = GatysImage(torch.rand(1, 32, 32, 3), {"b": fc["b"]}, {} if mrf else {k: gram(v) for k, v in fs.items()},
                       (1.0, 10.0, 0.1), loss)
    model.features = feats
    return model


def tiny_cases() -> list[ModelCase]:
    """The importer on a small conditional-IN graph (every constant gets a gradient), one Gatys step, and one with
    the MRF loss and semantic maps."""
    from engines.importers.onnx import import_model

    def weights() -> torch.Tensor:
        return torch.tensor([0.5, 0.25, 0.25])

    return [
        ModelCase("onnx-conditional-in", lambda: import_model(tiny_conditional_in_onnx(), "tiny.onnx"),
                  lambda: (torch.rand(1, 3, 16, 20), weights()),
                  lambda m, xs: {"stylized": m(*xs)[0]}, {"stylized": (1, 3, 16, 20)}),
        ModelCase("gatys", _tiny_gatys, lambda: (),
                  lambda m, xs: m(m.features(m.image)), {"content": (), "style": (), "tv": (), "loss": ()},
                  loss=lambda out: out["loss"]),
        ModelCase("gatys-mrf-doodle", lambda: _tiny_gatys(mrf=True), lambda: (),
                  lambda m, xs: m(m.features(m.image)), {"content": (), "mrf": (), "tv": (), "loss": ()},
                  loss=lambda out: out["loss"]),
    ]
