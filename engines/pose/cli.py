"""Pose on the command line: `python -m engines.pose.cli train|distill|bench ...`.

train: the panel's recipe headless (engines.training_cli; `--export FILE` copies the run's student.pt).
people-photos: fetch the still photos of people (engines/pose/people_photos.py) for `distill --photos`.
distill: the long run that made the shipped student, `python -m engines.pose.cli distill [--minutes 60]
[--export student.pt]`:

1. Label people in a video (default: vtest.avi, every `--frame-step`-th frame) and photos with the
   BlazePose teacher (cached as .npz in the data dir). 2. Hold out the video's last 20% by time.
3. Train the Stacked Hourglass student with run_training (atomic checkpoints, resumable with
   `--resume RUN/last.pt`). 4. Evaluate PCK@0.2 on the held-out frames and optionally export.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from pathlib import Path

from engines.frames import video_frames
from engines.pose.config import DistillConfig, student_config
from engines.pose.data import DistillData, concat, label_frames, photo_frames
from engines.pose.photo_pck import expand
from engines.pose.task import DistillTask
from engines.progress import TextBar


def build_dataset(
    video: Path | None,
    photos: list[Path],
    frame_step: int,
    size: int,
    backend: str,
    cache: Path | None,
    min_box_px: float = 36.0,
    crop_scale: float = 2.0,
) -> DistillData:
    """Teacher-labelled crops (cached): video frames keep their index, photos get -1."""
    if cache is not None and cache.is_file():
        data = DistillData.load(cache)
        print(f"dataset   {len(data)} people from cache {cache}")
        return data
    from engines.pose.engine import PoseEngine

    teacher = PoseEngine(backend=backend, crop_scale=crop_scale, refine=0)
    teacher.load()
    parts = []
    if video is not None:
        import cv2

        cap = cv2.VideoCapture(str(video))
        total = -(-int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) // frame_step)
        cap.release()
        parts.append(
            label_frames(
                video_frames(video, frame_step),
                teacher,
                size,
                min_box_px=min_box_px,
                progress=TextBar(f"{'labelling':10s}", width=28, stream=sys.stdout),
                total=total,
            )
        )
        print()
    if photos:
        parts.append(label_frames(photo_frames(photos), teacher, size, min_box_px=48))
    data = concat(parts, source=f"{video.name if video else ''} step {frame_step} + {len(photos)} photos")
    if cache is not None:
        data.save(cache)
    print(f"dataset   {len(data)} people from {data.source}")
    return data


def _parser() -> argparse.ArgumentParser:
    from engines.pose.task import RECIPE
    from engines.training_cli import add_train_parser

    top = argparse.ArgumentParser(prog="python -m engines.pose.cli", description="Pose: BlazePose and the distilled "
                                  "Stacked Hourglass.")
    sub = top.add_subparsers(dest="cmd", required=True)
    add_train_parser(sub, RECIPE, exports=("student.pt",))
    inf = sub.add_parser("infer", help="every person's pose in one image -> JSON (and an annotated PNG)")
    inf.add_argument("input", type=Path)
    inf.add_argument("--json", type=Path, help="result as JSON (default: printed)")
    inf.add_argument("--out", type=Path, help="the image with every skeleton drawn")
    inf.add_argument("--weights", type=Path, default=None, help="a .tflite or student .pt (default: BlazePose)")
    inf.add_argument("--max-people", type=int, default=8)
    inf.add_argument("--device", default="cpu")
    b = sub.add_parser("bench", help="BlazePose runtimes and the Hourglass, alternated")
    b.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    b.add_argument("--rounds", type=int, default=20)
    b.add_argument("--only", choices=["blazepose", "hourglass", "people"], default=None)
    pp = sub.add_parser("photo-pck", help="a student's PCK@0.2 against BlazePose on people in still photos")
    pp.add_argument("photos", type=Path, nargs="*", help="photos or folders (default: the photo set + demo photos)")
    pp.add_argument("--student", type=Path, default=None, help="default: the shipped student")
    pb = sub.add_parser("people-photos", help="fetch the still photos of people the student also trains on")
    pb.add_argument("--out", type=Path, default=None, help="default: <data dir>/pose/people_photos")
    p = sub.add_parser("distill", help="the long headless distillation that made the shipped student")
    p.add_argument("--video", type=Path, default=None, help="video to label (default: fetched vtest.avi)")
    p.add_argument("--photos", type=Path, nargs="*", default=None,
                   help="extra photos or folders of photos (default: messi5, basketball1)")
    p.add_argument("--frame-step", type=int, default=2)
    p.add_argument("--min-box", type=float, default=36.0, help="smallest person box (px tall) to label")
    p.add_argument(
        "--crop-scale",
        type=float,
        default=2.0,
        help="square crop side / detector box side (YOLOv3-tiny boxes are tighter than small people)",
    )
    p.add_argument("--teacher-backend", default="auto", choices=["auto", "torch", "litert", "opencv"])
    p.add_argument("--steps", type=int, default=20000, help="total optimisation steps")
    p.add_argument("--minutes", type=float, default=0.0, help="stop (with a checkpoint) after this wall time")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=2.5e-4, help="RMSprop lr (also replaces a resumed run's lr)")
    p.add_argument("--photo-share", type=float, default=0.0,
                   help="share of each batch drawn from people in the still photos (0: like the rest)")
    p.add_argument("--features", type=int, default=student_config().features)
    p.add_argument("--input", type=int, default=student_config().input_size)
    p.add_argument("--stacks", type=int, default=2)
    p.add_argument("--eval-every", type=int, default=200)
    p.add_argument("--checkpoint-every", type=int, default=100)
    p.add_argument("--run-dir", type=Path, default=None)
    p.add_argument("--resume", type=Path, default=None, help="a last.pt to continue from")
    p.add_argument("--init", type=Path, default=None,
                   help="start a new run from this student's weights (e.g. the shipped pose_hourglass.pt)")
    p.add_argument("--export", type=Path, default=None, help="write the student here at the end")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--tiny", action="store_true", help="tiny model and few frames (smoke test)")
    return top


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.cmd == "train":
        from engines.pose.task import RECIPE
        from engines.training_cli import train_main

        return train_main(RECIPE, args)[0]
    if args.cmd == "bench":
        return _bench(args)
    if args.cmd == "infer":
        return _infer(args)
    if args.cmd == "people-photos":
        from engines.pose.people_photos import build

        paths = build(args.out)
        print(f"{len(paths)} photos in {paths[0].parent if paths else args.out}")
        return 0
    if args.cmd == "photo-pck":
        from engines.pose.cpu_backend import STUDENT
        from engines.pose.photo_pck import default_photos, expand, photo_pck

        photos = expand(args.photos) if args.photos else default_photos()
        print(json.dumps({k: round(v, 3) for k, v in photo_pck(args.student or STUDENT, photos).items()}))
        return 0
    return _distill(args)


def _infer(args: argparse.Namespace) -> int:
    """One image: each person's keypoints (frame px), confidences, presence; optionally drawn."""
    import cv2

    from engines.images import read_image
    from engines.pose.engine import PoseEngine

    image = read_image(args.input)
    engine = PoseEngine()
    engine.load(args.weights, args.device)
    r = engine.infer(image, max_people=args.max_people)
    people = [{"person_box_xyxy": [round(float(v), 1) for v in p.person_box], "presence": round(p.presence, 3),
               "person_score": round(p.person_score, 3),
               "keypoints": {n: [round(float(x), 1), round(float(y), 1), round(float(c), 3)]
                             for n, (x, y), c in zip(p.joint_names, p.keypoints, p.confidence)
                             if not n.startswith("auxiliary")}} for p in r.people]
    record = {"input": str(args.input), "model": r.model, "backend": r.backend, "ms": round(r.elapsed_ms, 1),
              "people": people}
    if args.out:
        drawn = image.copy()
        for p in r.people:
            pts = p.keypoints.round().astype(int)
            for a, b in p.edges:
                if min(p.confidence[a], p.confidence[b]) > 0.3:
                    cv2.line(drawn, tuple(map(int, pts[a])), tuple(map(int, pts[b])), (120, 255, 170), 2)
        cv2.imwrite(str(args.out), drawn)
    text = json.dumps(record, indent=2)
    args.json.write_text(text) if args.json else print(text)
    print(f"{len(people)} {'person' if len(people) == 1 else 'people'} in {args.input}", file=sys.stderr)
    return 0


def _bench(args: argparse.Namespace) -> int:
    from engines.pose.bench import blazepose_records, hourglass_records

    records: list[dict] = []
    for t in args.threads:
        if args.only in (None, "blazepose"):
            records += blazepose_records(t, args.rounds)
        if args.only in (None, "hourglass"):
            records += hourglass_records(t, args.rounds)
        if args.only == "people":
            from engines.pose.bench_people import people_records

            records += people_records(t, args.rounds)
    for r in records:
        print(json.dumps(r), flush=True)
    return 0


def _distill(args: argparse.Namespace) -> int:
    from engines import assets
    from engines.runtime import set_cpu_threads
    from engines.training import LoopSettings, resume_run_dir, run_training

    set_cpu_threads(args.threads)
    model = student_config().with_(
        features=args.features, input_size=args.input, stacks=args.stacks, depth=3 if args.input < 256 else 4
    )
    config = DistillConfig(model=model, batch_size=args.batch, lr=args.lr, photo_share=args.photo_share)
    if args.tiny:
        config = DistillConfig.tiny()
    init = None
    if args.init is not None and args.resume is None:  # read first: a bad file fails before any labelling
        from engines.base import EngineError
        from engines.pose.model import load_student

        try:
            init = load_student(args.init)[0]
        except EngineError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    video = args.video or assets.asset_path("vtest.avi")
    photos = (
        expand(args.photos) if args.photos is not None
        else [assets.asset_path(n) for n in ("messi5.jpg", "basketball1.png")]
    )
    extra = "" if args.photos is None else f"_photos{zlib.crc32(''.join(map(str, photos)).encode()):08x}"
    cache = (
        assets.data_dir()
        / "cache"
        / (
            f"pose_distill_{video.stem}_step{args.frame_step}_box{args.min_box:g}"
            f"_crop{args.crop_scale:g}_{model.input_size}{extra}.npz"
        )
    )
    data = build_dataset(
        video if video.is_file() else None,
        [p for p in photos if p.is_file()],
        args.frame_step * (8 if args.tiny else 1),
        model.input_size,
        args.teacher_backend,
        None if args.tiny else cache,
        args.min_box,
        args.crop_scale,
    )
    train, val = data.split_by_time()
    frames = len(set(train.frame.tolist()))
    print(
        f"split     train {len(train)} people ({frames} frames/photos), held-out {len(val)} people "
        f"({len(set(val.frame.tolist()))} frames, last 20% of the video)"
    )
    task = DistillTask(config, train, val, args.device)
    if init is not None:
        try:
            task.model.load_state_dict(init.state_dict())
        except RuntimeError as exc:
            print(f"error: {args.init.name} does not fit a student of these sizes ({str(exc).splitlines()[0]})",
                  file=sys.stderr)
            return 2
    run_dir = args.run_dir or resume_run_dir(args.resume, "pose")
    settings = LoopSettings(args.steps, args.eval_every, args.checkpoint_every)
    t0 = time.monotonic()

    def stop() -> bool:
        return args.minutes > 0 and time.monotonic() - t0 > args.minutes * 60

    metrics: dict[str, float] = {}
    step = 0
    bar = TextBar(f"{'training':10s}", width=28, stream=sys.stdout)
    for item in run_training(task, settings, run_dir, stop, config=config, resume=args.resume):
        step = item.step
        if item.message:
            print("\n" + item.message)
            return 1
        if item.evaluated:
            metrics = dict(item.metrics)
        bar(
            item.step,
            item.total_steps,
            f"loss {item.losses['loss']:.5f} pck@0.2 {metrics.get('pck@0.2', float('nan')):.3f} "
            f"{(time.monotonic() - t0) / 60:.1f} min",
        )
    print()
    metrics = task.evaluate()
    minutes = (time.monotonic() - t0) / 60
    summary = {
        "steps": step,
        "minutes_this_run": round(minutes, 1),
        "train_people": len(train),
        "train_frames": frames,
        "heldout_people": len(val),
        **metrics,
    }
    print(json.dumps(summary))
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    if args.export:
        from engines.pose.joints import MPII_NAMES
        from engines.pose.model import save_student

        save_student(
            args.export,
            task.model,
            MPII_NAMES,
            {**summary, "crop_scale": args.crop_scale, "command": " ".join(sys.argv)},
        )
        print(f"exported  {args.export}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
