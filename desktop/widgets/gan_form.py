"""The GAN lab's additions to the shared training form: variant and data set pickers, the paper's defaults
written where 0 means "the paper's setting" (lr, n critic), learning rates in readable notation (2e-4, not
0.000200), and the fields a choice does not use greyed out. GUI thread only; no torch."""

from __future__ import annotations

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QWidget

from desktop.widgets.form_fields import field_value
from engines.gan.config import PAPER_G_STEPS, PAPER_OPTIM

VARIANT_NAMES = {"dcgan": "DCGAN", "gan-ns": "GAN (non-saturating)", "gan-minimax": "GAN (minimax)", "wgan": "WGAN",
                 "wgan-gp": "WGAN-GP", "sngan": "SN-GAN (hinge)", "began": "BEGAN", "infogan": "InfoGAN",
                 "otgan": "OT-GAN (2-D sets)"}
DATASET_NAMES = {"fashion-mnist": "Fashion-MNIST", "mnist": "MNIST digits", "ring8": "2-D: ring of 8 Gaussians",
                 "grid25": "2-D: 5x5 grid", "moons": "2-D: two moons"}
IMAGE_SIZES = {"width": 32, "latent_dim": 64, "batch_size": 64}  # the form's defaults (GANTrainSettings)
TOY_SIZES = {"width": 128, "latent_dim": 8, "batch_size": 128}  # the shipped ring runs' sizes
IMAGE_ONLY_FIELDS = ("measurement", "measurement_p", "ambient")  # AmbientGAN's measurements apply to pictures
# BEGAN on pictures: the shipped file's recipe (assets/weights/MANIFEST.md); at the paper's gamma 0.5 k_t stayed 0
# here and G drew one grey picture for every z. Its net sizes (batch, width) go back when another variant is picked.
BEGAN_RECIPE = {"began_gamma": 1.0, "began_lambda_k": 0.01, "began_lr_stall": 1000, "began_lr_floor": 1e-5,
                "began_skip": True, "batch_size": 16, "width": 48}
BEGAN_FIELDS = tuple(name for name in BEGAN_RECIPE if name.startswith("began_"))  # greyed out for other variants
BEGAN_SIZES = tuple(name for name in BEGAN_RECIPE if name not in BEGAN_FIELDS)


def rate_text(value: float) -> str:
    """A learning rate as a person writes it: 0.0002 -> '2e-4', 5e-05 -> '5e-5', 0.01 -> '0.01'."""
    if value == 0:
        return "0"
    if value >= 1e-3:
        return f"{value:g}"
    mantissa, _, exponent = f"{value:.3g}".partition("e")
    if not exponent:
        mantissa, _, exponent = f"{value:.2e}".partition("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def paper_summary(variant: str) -> str:
    """One line: the variant's paper optimiser settings (engines.gan.config.PAPER_OPTIM)."""
    opt, lr_g, lr_d, b1, b2, n_critic = PAPER_OPTIM[variant]
    lr = rate_text(lr_g) if lr_g == lr_d else f"G {rate_text(lr_g)}, D {rate_text(lr_d)}"
    betas = f", betas ({b1:g}, {b2:g})" if opt == "adam" else ""
    n_gen = PAPER_G_STEPS.get(variant, 1)
    steps = "1 D step" if n_critic == 1 else f"{n_critic} critic steps"
    steps = f"{steps} per G step" if n_gen == 1 else f"{n_gen} G steps per critic step"
    sgd = " (the GAN paper used SGD with momentum; Adam as in DCGAN)" if variant.startswith("gan-") else ""
    return f"Defaults: {'Adam' if opt == 'adam' else 'RMSprop'} lr {lr}{betas}, {steps}{sgd}."


class RateSpinBox(QDoubleSpinBox):
    """A learning-rate field that shows and reads 2e-4 style text; the arrows halve or double the rate (from
    0, "the paper's default", the first step up gives `start`)."""

    def __init__(self, start: float = 1e-4) -> None:
        super().__init__()
        self.setDecimals(12)  # QDoubleSpinBox rounds values to its decimals
        self.setRange(0.0, 1.0)
        self.start = start

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt naming)
        return rate_text(value)

    def valueFromText(self, text: str) -> float:  # noqa: N802
        try:
            return min(1.0, max(0.0, float(text.strip())))
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:
        body = text.strip()
        if body == self.specialValueText():
            return QValidator.State.Acceptable, text, pos
        try:
            ok = 0 <= float(body) <= 1
        except ValueError:
            ok = False
        if ok:
            return QValidator.State.Acceptable, text, pos
        partial = all(ch in "0123456789.eE-+" for ch in body)
        return (QValidator.State.Intermediate if partial else QValidator.State.Invalid), text, pos

    def stepBy(self, steps: int) -> None:  # noqa: N802
        value = self.value()
        for _ in range(abs(steps)):
            value = (value * 2 if value else self.start) if steps > 0 else value / 2
        self.setValue(min(1.0, value if value >= 1e-9 else 0.0))


class GANFormTool(QWidget):
    """Variant and data set combos over the panel's form; they fill its text fields and explain the defaults."""

    def __init__(self, panel) -> None:
        super().__init__()
        self.panel = panel
        self._use_rate_field()
        n_critic = panel.fields["n_critic"]
        n_critic.setRange(0, 20)
        self.combos: dict[str, QComboBox] = {}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        for field, names in (("variant", VARIANT_NAMES), ("dataset", DATASET_NAMES)):
            combo = QComboBox()
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(12)
            for key, label in names.items():
                combo.addItem(label, key)
            combo.setCurrentIndex(max(0, combo.findData(panel.fields[field].text())))
            combo.activated.connect(lambda _i, c=combo, f=field: self.choose(f, c.currentData()))
            line = getattr(panel.fields[field], "edit", panel.fields[field])  # the data set's is a PathField
            line.textChanged.connect(lambda text, c=combo: self._follow(c, text))  # e.g. set by a resume
            form.addRow(field, combo)
            self.combos[field] = combo
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        form.addRow(self.summary)
        self.refresh()

    def _follow(self, combo: QComboBox, key: str) -> None:
        """A field set from elsewhere (a resumed run's settings): show it in its combo, refresh what depends on it."""
        if combo.findData(key) >= 0:
            combo.setCurrentIndex(combo.findData(key))
            self.refresh()

    def _use_rate_field(self) -> None:
        """Swap the panel's plain 6-decimal lr box (it shows 5e-5 as 0.000050) for a RateSpinBox."""
        old = self.panel.fields["lr"]
        if isinstance(old, RateSpinBox):
            return
        new = RateSpinBox()
        new.setValue(old.value())
        holder = old.parentWidget()
        holder.layout().replaceWidget(old, new)
        self.panel.fields["lr"] = new
        old.deleteLater()

    def choose(self, field: str, key: str) -> None:
        from engines.gan.data import TOY_SETS

        was_toy = self.panel.fields["dataset"].text() in TOY_SETS
        was_began = self.panel.fields["variant"].text() == "began"
        self.panel.set_field(field, key)
        note = ""
        if field == "variant" and was_began and key != "began":  # BEGAN's net sizes go with it
            for name in BEGAN_SIZES:
                if field_value(self.panel.fields[name]) == BEGAN_RECIPE[name]:
                    self.panel.set_field(name, (TOY_SIZES if was_toy else IMAGE_SIZES)[name])
        if field == "dataset" and (key in TOY_SETS) != was_toy:
            note = self._swap_net_sizes(key in TOY_SETS)
        pictures = self.panel.fields["dataset"].text() not in TOY_SETS
        if field == "variant" and key == "began" and pictures:
            note = self._began_recipe()
        if field == "variant" and key == "otgan" and pictures:
            self.panel.set_field("dataset", "ring8")  # OT-GAN is built for the 2-D sets only
            self.combos["dataset"].setCurrentIndex(self.combos["dataset"].findData("ring8"))
            note = " OT-GAN runs on the 2-D sets only: the data set is now the ring." + self._swap_net_sizes(True)
        self.refresh(note)

    def _began_recipe(self) -> str:
        """BEGAN fields still at the form's defaults take BEGAN_RECIPE; a note naming what changed."""
        import dataclasses

        from engines.gan.config import GANTrainSettings

        defaults = {f.name: f.default for f in dataclasses.fields(GANTrainSettings)}
        changed = []
        for name, value in BEGAN_RECIPE.items():
            if field_value(self.panel.fields[name]) == defaults[name]:
                self.panel.set_field(name, value)
                label = name.removeprefix("began_").replace("_", " ")
                changed.append(f"{label} connections" if isinstance(value, bool) else f"{label} {value:g}")
        if not changed:
            return ""
        return (f" Set {', '.join(changed)}: the shipped BEGAN file's recipe (lr halves when M stalls for 1,000 "
                "steps). At the paper's gamma 0.5, k_t stayed 0 here and G drew one grey picture for every z.")

    def _swap_net_sizes(self, toy: bool) -> str:
        """Fields still at the other kind's defaults take this kind's (the 2-D sets' MLPs: width 128, z 8, batch
        128, as the shipped ring weights; pictures: width 32, z 64, batch 64). A note naming what changed."""
        new, old = (TOY_SIZES, IMAGE_SIZES) if toy else (IMAGE_SIZES, TOY_SIZES)
        changed = []
        for name, value in new.items():
            if self.panel.fields[name].value() == old[name]:
                self.panel.set_field(name, value)
                changed.append(f"{name.replace('_', ' ')} {value}")
        return f" Set {', '.join(changed)} for {'2-D points' if toy else 'pictures'}." if changed else ""

    def refresh(self, note: str = "") -> None:
        """Write the chosen variant's defaults into the lr / n critic special texts; grey out unused fields."""
        fields = self.panel.fields
        variant = fields["variant"].text()
        if variant not in PAPER_OPTIM:
            self.summary.setText(f"Unknown variant {variant!r}: pick one above.")
            return
        _opt, lr_g, _lr_d, _b1, _b2, n_critic = PAPER_OPTIM[variant]
        fields["lr"].setSpecialValueText(f"paper default ({rate_text(lr_g)})")
        fields["lr"].start = lr_g
        fields["n_critic"].setSpecialValueText(f"paper default ({n_critic})")
        from engines.gan.data import TOY_SETS

        toy = fields["dataset"].text() in TOY_SETS
        for name in BEGAN_FIELDS:
            fields[name].setEnabled(variant == "began")
        for name in IMAGE_ONLY_FIELDS:
            fields[name].setEnabled(not toy)
        if variant == "otgan" and not toy:
            note = " OT-GAN runs on the 2-D sets only: pick one."
        self.summary.setText(paper_summary(variant) + note)
