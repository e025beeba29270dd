"""desktop.soak: growth figures from samples (the 1-hour run's numbers come from these functions)."""

from __future__ import annotations

import json

import pytest

from desktop.soak import process_sample, read_samples, summarize


def _samples(seconds: int, rss) -> list[dict]:
    return [{"t_s": float(t), "rss_mb": rss(t), "threads": 11, "fds": 13, "results": 10 * t}
            for t in range(0, seconds + 1, 5)]


def test_growth_compares_the_first_and_last_five_minutes():
    s = summarize(_samples(3600, lambda t: 500.0 + (40.0 if t > 1800 else 0.0)))
    assert s["window_s"] == 300 and s["rss_first_avg_mb"] == 500.0 and s["rss_last_avg_mb"] == 540.0
    assert s["rss_growth_mb"] == 40.0 and s["threads_max"] == 11 and s["fds_max"] == 13
    assert s["mean_results_per_s"] == pytest.approx(10.0)


def test_a_short_run_compares_its_first_and_last_thirds():
    s = summarize(_samples(60, lambda t: float(t)))
    assert s["window_s"] == 20 and s["rss_first_avg_mb"] == 10.0 and s["rss_last_avg_mb"] == 50.0


def test_a_samples_file_cut_mid_line_still_reads(tmp_path):
    path = tmp_path / "s.jsonl"
    lines = [json.dumps(x) for x in _samples(20, lambda t: 1.0)]
    path.write_text("\n".join(lines) + '\n{"t_s": 25.0, "rss')
    assert len(read_samples(path)) == 5


def test_a_process_sample_counts_this_process():
    s = process_sample()
    assert s["rss_mb"] > 10 and s["threads"] >= 1 and s["fds"] >= 3
