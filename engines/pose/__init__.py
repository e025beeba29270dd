"""Pose: BlazePose (TFLite imported into torch) as live engine and teacher; a Stacked Hourglass student."""
