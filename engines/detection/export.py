"""Export a trained YoloV2Net as Darknet files: `.cfg` text + `.weights` (Darknet byte order) + `.names`.

The live DetectionEngine loads the result unchanged: DetectionEngine().load(DarknetWeights(cfg, weights, names)).
BN parameters are written unfused (bias, scale, mean, variance, then conv weights), as Darknet stores them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engines.detection.model import Conv, YoloV2Net


def _conv_section(conv: Conv, activation: str | None = None) -> str:
    c = conv.conv
    bn = "batch_normalize=1\n" if conv.bn is not None else ""
    act = activation or ("leaky" if conv.bn is not None else "linear")
    return (f"[convolutional]\n{bn}filters={c.out_channels}\nsize={c.kernel_size[0]}\nstride=1\n"
            f"pad=1\nactivation={act}\n")


def darknet_cfg(model: YoloV2Net, input_size: int) -> str:
    """The cfg text describing `model` at `input_size` x `input_size` (the live engine's input)."""
    parts = [f"# YOLOv2 trained in PaperZoo ({model.classes} classes)\n[net]\nbatch=1\nsubdivisions=1\n"
             f"width={input_size}\nheight={input_size}\nchannels=3\n"]
    index = -1  # Darknet layer index of the last section written

    def add(text: str) -> None:
        nonlocal index
        parts.append(text)
        index += 1

    convs_iter = iter(model.conv_layers())
    tap = -1
    for s, convs in enumerate(model.layout.stages):
        if s:
            add("[maxpool]\nsize=2\nstride=2\n")
        for _ in convs:
            add(_conv_section(next(convs_iter)))
        if s == 4:
            tap = index  # end of stage 5 (stride 16): the passthrough's source
    for _ in model.layout.head:
        add(_conv_section(next(convs_iter)))
    head_end = index
    add(f"[route]\nlayers={tap}\n")
    add(_conv_section(next(convs_iter)))
    add("[reorg]\nstride=2\n")
    add(f"[route]\nlayers=-1,{head_end - index - 1}\n")
    add(_conv_section(next(convs_iter)))
    add(_conv_section(next(convs_iter)))
    anchors = ", ".join(repr(float(v)) for v in model.anchors.reshape(-1))
    add(f"[region]\nanchors={anchors}\nbias_match=1\nclasses={model.classes}\ncoords=4\n"
        f"num={model.num_anchors}\nsoftmax=1\n")
    return "\n".join(parts)


def darknet_weights_bytes(model: YoloV2Net, seen: int = 0) -> bytes:
    """Header (major 0, minor 2, revision 0, int64 images seen) + float32 parameters in cfg order."""
    header = np.array([0, 2, 0], np.int32).tobytes() + np.array([seen], np.int64).tobytes()
    chunks = []
    for conv in model.conv_layers():
        tensors = ([conv.bn.bias, conv.bn.weight, conv.bn.running_mean, conv.bn.running_var]
                   if conv.bn is not None else [conv.conv.bias])
        tensors.append(conv.conv.weight)
        chunks += [t.detach().float().cpu().numpy().astype("<f4").reshape(-1) for t in tensors]
    return header + np.concatenate(chunks).tobytes()


def export_darknet(model: YoloV2Net, names: list[str], out_stem: str | Path, input_size: int,
                   seen: int = 0) -> tuple[Path, Path, Path]:
    """Write out_stem.cfg, out_stem.weights, out_stem.names; return their paths."""
    stem = Path(out_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    cfg, weights, names_path = (stem.with_suffix(s) for s in (".cfg", ".weights", ".names"))
    cfg.write_text(darknet_cfg(model, input_size), encoding="utf-8")
    weights.write_bytes(darknet_weights_bytes(model, seen))
    names_path.write_text("\n".join(names) + "\n", encoding="utf-8")
    return cfg, weights, names_path
