"""classifiers package: jieba segmentation (through rjieba when installed) and the routing model.

Serving (bot): `segmentation.initialize()` once at start-up, then
`artifact.load_model(directory, expected_labels=codes)` → `RoutingModel`, whose
`predict(text)` / `predict_batch(texts)` return `model.Prediction(code, confidence, runner_up)`.
Training and evaluation: `dataset.read_labelled_texts`, `training.train_model`,
`artifact.save_model`, `report.assess`; the dispatch threshold policy is in `confidence`.
Nothing here is imported or loaded at package import time.
"""
