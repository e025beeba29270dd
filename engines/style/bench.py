"""Timings of the style engine for `python -m engines.bench` (CPU, 1 torch thread by default).

Records: style.multistyle256 (StyleEngine.infer on a 640x480 frame, the 26-style net at 256 px short side,
so 256x344), style.multistyle256.net_torch (our imported network alone) and net_<backend> for each CPU
backend installed (onnxruntime-f32, openvino-f32, openvino-bf16: the same file, the same input), all
alternated in one process; torch_speed_vs_this = backend ms / torch ms (>= 1: torch is as fast).
style.arbitrary384: the arbitrary-style transformer at 384 px short side.
"""

from __future__ import annotations

import statistics

import numpy as np

from engines.timing import alternate


def _record(name: str, ms: list[float], threads: int, **extra) -> dict:
    med = statistics.median(ms)
    return {"name": name, "device": "cpu", "threads": threads, "median_ms": round(med, 2),
            "p90_ms": round(float(np.percentile(ms, 90)), 2), "fps": round(1000.0 / med, 1), **extra}


def bench_records(threads: int = 1, rounds: int = 20, arbitrary: bool = True) -> list[dict]:
    """Median ms / FPS of the torch engine, and of onnxruntime on the same file where it is installed."""
    import torch

    from engines import assets
    from engines.style.engine import StyleEngine, blend_weights
    from engines.style.sources import MULTISTYLE

    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        engine = StyleEngine()
        engine.load()
        frame = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
        net_in = np.random.default_rng(1).random((1, 3, 256, 344), dtype=np.float32)
        w = blend_weights(3)
        x_t, w_t = torch.from_numpy(net_in), torch.from_numpy(w)

        def torch_net() -> None:
            with torch.inference_mode():
                engine._multi(x_t, w_t)  # noqa: SLF001 (the network alone, as onnxruntime runs it)

        fns = {"engine": lambda: engine.infer(frame, 3), "torch": torch_net}
        from engines.backends.choice import BackendChoice, float_backend_devices
        from engines.backends.runners import open_runner

        for device in float_backend_devices():
            backend, _, precision = device.partition("-")
            runner = open_runner(assets.require(MULTISTYLE), BackendChoice(backend, precision, threads))
            fns[device] = lambda r=runner: r.run({"image": net_in, "style_weights": w})
        times = alternate(fns, rounds)
        torch_ms = statistics.median(times["torch"])
        records = [_record("style.multistyle256", times["engine"], threads, input="640x480", net="256x344"),
                   _record("style.multistyle256.net_torch", times["torch"], threads, input="256x344")]
        for device in (k for k in times if k not in ("engine", "torch")):
            records.append(_record(f"style.multistyle256.net_{device}", times[device], threads, input="256x344",
                                   torch_speed_vs_this=round(statistics.median(times[device]) / torch_ms, 2)))
        if arbitrary:
            vec = engine.style_vector(frame)
            records.append(_record("style.arbitrary384", alternate(
                {"a": lambda: engine.infer(frame, style_vector=vec)}, max(3, rounds // 4))["a"], threads,
                input="640x480", net="384x512"))
        return records
    finally:
        torch.set_num_threads(old)


if __name__ == "__main__":
    for r in bench_records():
        print(r)
