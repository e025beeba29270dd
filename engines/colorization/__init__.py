"""Iizuka et al. (2016) "Let there be Color!": automatic colorization with global and local priors.

engine.ColorizationEngine (load / infer / global_features), model (the net, its weights format,
tiny_cases), task.PhotoTrainTask / task.VideoTrainTask and task.RECIPE, data (photo set builder),
evaluate (figures), cli (train / build-data / add-folder / evaluate), bench.
"""
