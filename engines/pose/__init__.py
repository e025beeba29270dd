"""Pose: BlazePose (TFLite, imported into torch) as the live engine and teacher; a Stacked Hourglass student."""
