"""In-memory fakes for the outside seams (here: the classifier)."""

from __future__ import annotations

from classifiers.model import Prediction

KEYWORDS = {
    "路灯": "urban",
    "垃圾": "urban",
    "电梯": "housing",
    "物业": "housing",
    "停水": "utilities",
    "工资": "labor",
    "油烟": "environment",
}


class KeywordClassifier:
    """Predicts by keyword, confident on a hit and unsure otherwise; records what it saw."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def predict(self, text: str) -> Prediction:
        """A confident prediction for a known keyword, an unsure one otherwise."""
        self.seen.append(text)
        for word, code in KEYWORDS.items():
            if word in text:
                return Prediction(code, 0.93, (("community", 0.04),))
        return Prediction("community", 0.31, (("civil", 0.22), ("urban", 0.18)))
