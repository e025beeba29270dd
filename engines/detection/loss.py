"""The YOLOv2 training loss, term by term (Darknet's region loss, which the YOLO papers describe in prose).

For each ground-truth box, the cell holding its centre and the anchor of best shape-IoU are
responsible for it. Terms (each summed over the batch, then divided by the batch size):
    box   = coord_scale * sum_resp (2 - w*h) [(sigma(t_x) - x*)^2 + (sigma(t_y) - y*)^2 + (t_w - w*)^2 + (t_h - h*)^2]
            with x* = g_x - c_x, w* = log(g_w / p_w) (the inverse of b_x = sigma(t_x) + c_x, b_w = p_w e^{t_w})
    obj   = object_scale * sum_resp (sigma(t_o) - 1)^2                      (YOLO's sum-squared confidence)
    noobj = noobject_scale * sum_{not resp, best IoU with any truth < ignore_thresh} sigma(t_o)^2
    cls   = class_scale * sum_resp cross-entropy(softmax(classes), truth)   (Darknet uses a softmax too)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def box_iou_cxcywh(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of boxes a (N, 4) and b (M, 4), both (cx, cy, w, h) in the same units -> (N, M)."""
    a1, a2 = a[:, None, :2] - a[:, None, 2:] / 2, a[:, None, :2] + a[:, None, 2:] / 2
    b1, b2 = b[None, :, :2] - b[None, :, 2:] / 2, b[None, :, :2] + b[None, :, 2:] / 2
    inter = (torch.minimum(a2, b2) - torch.maximum(a1, b1)).clamp(min=0).prod(-1)
    return inter / (a[:, None, 2:].prod(-1) + b[None, :, 2:].prod(-1) - inter).clamp(min=1e-12)


def shape_iou_t(wh: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    """Origin-centred IoU: wh (N, 2), anchors (A, 2) -> (N, A)."""
    inter = torch.minimum(wh[:, None], anchors[None]).prod(-1)
    return inter / (wh.prod(-1)[:, None] + anchors.prod(-1)[None] - inter)


def yolov2_loss(t: torch.Tensor, targets: list[torch.Tensor], anchors: torch.Tensor, classes: int, *,
                object_scale: float = 5.0, noobject_scale: float = 1.0, coord_scale: float = 1.0,
                class_scale: float = 1.0, ignore_thresh: float = 0.6) -> dict[str, torch.Tensor]:
    """t: raw head map (B, A*(5+C), H, W); targets: per image float32 (N, 5) = class, cx, cy, w, h
    normalised to the input; anchors (A, 2) in grid cells. Returns {"loss", "box", "obj", "noobj", "cls"}.
    """
    b, _, h, w = t.shape
    a = anchors.shape[0]
    p = t.float().view(b, a, 5 + classes, h, w).permute(0, 1, 3, 4, 2)  # (B, A, H, W, 5+C)
    sx, sy, tw, th = torch.sigmoid(p[..., 0]), torch.sigmoid(p[..., 1]), p[..., 2], p[..., 3]
    conf = torch.sigmoid(p[..., 4])  # (B, A, H, W)
    gy, gx = torch.meshgrid(torch.arange(h, device=t.device), torch.arange(w, device=t.device), indexing="ij")
    anchors = anchors.to(t.device, torch.float32)
    with torch.no_grad():  # predicted boxes in grid cells, for the ignore mask
        pred = torch.stack([sx + gx, sy + gy, anchors[:, 0, None, None] * tw.clamp(max=8).exp(),
                            anchors[:, 1, None, None] * th.clamp(max=8).exp()], -1)  # (B, A, H, W, 4)
    noobj_mask = torch.ones_like(conf, dtype=torch.bool)
    idx_b, idx_a, idx_j, idx_i, tbox, tcls, weight = [], [], [], [], [], [], []
    scale = torch.tensor([w, h, w, h], device=t.device, dtype=torch.float32)
    for k, tg in enumerate(targets):
        if tg.numel() == 0:
            continue
        tg = tg.to(t.device, torch.float32)
        g = tg[:, 1:5] * scale  # (N, 4) grid cells
        ious = box_iou_cxcywh(pred[k].reshape(-1, 4), g).amax(1).view(a, h, w)
        noobj_mask[k] &= ious < ignore_thresh
        i = g[:, 0].long().clamp(0, w - 1)
        j = g[:, 1].long().clamp(0, h - 1)
        best = shape_iou_t(g[:, 2:4].clamp(min=1e-6), anchors).argmax(1)
        idx_b.append(torch.full_like(i, k))
        idx_a.append(best)
        idx_j.append(j)
        idx_i.append(i)
        tbox.append(torch.stack([g[:, 0] - i, g[:, 1] - j, torch.log(g[:, 2].clamp(min=1e-6) / anchors[best, 0]),
                                 torch.log(g[:, 3].clamp(min=1e-6) / anchors[best, 1])], 1))
        tcls.append(tg[:, 0].long())
        weight.append(2.0 - tg[:, 3] * tg[:, 4])
    zero = t.sum() * 0.0  # keeps the graph (and DDP) happy when a batch holds no boxes
    if not idx_b:
        noobj = noobject_scale * (conf[noobj_mask] ** 2).sum() / b
        return {"loss": noobj + zero, "box": zero, "obj": zero, "noobj": noobj, "cls": zero}
    bi, ai, ji, ii = (torch.cat(v) for v in (idx_b, idx_a, idx_j, idx_i))
    tbox_t, tcls_t, wt = torch.cat(tbox), torch.cat(tcls), torch.cat(weight)
    noobj_mask[bi, ai, ji, ii] = False
    pb = torch.stack([sx[bi, ai, ji, ii], sy[bi, ai, ji, ii], tw[bi, ai, ji, ii], th[bi, ai, ji, ii]], 1)
    box = coord_scale * (wt[:, None] * (pb - tbox_t) ** 2).sum() / b
    obj = object_scale * ((conf[bi, ai, ji, ii] - 1.0) ** 2).sum() / b
    noobj = noobject_scale * (conf[noobj_mask] ** 2).sum() / b
    cls = class_scale * F.cross_entropy(p[bi, ai, ji, ii, 5:], tcls_t, reduction="sum") / b
    return {"loss": box + obj + noobj + cls + zero, "box": box, "obj": obj, "noobj": noobj, "cls": cls}
