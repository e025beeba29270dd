"""Iizuka et al. (2016) "Let there be Color!": automatic colorization with global and local priors.

engine.ColorizationEngine (load / infer / global_features), train.PhotoTrainTask and
train.VideoTrainTask (engines.training.TrainTask), data (photo set builder), evaluate, bench.
"""
