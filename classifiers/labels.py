"""What training data's labels say about the model it makes, before and after training.

The bot only loads a model whose labels are exactly the district's department codes, so a
model trained on department names, or on a few departments, is found out here rather than at
start-up. The district comes from the caller (classifiers/ never reads storage/).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from classifiers.confidence import RoutingOutcome
from classifiers.dataset import LabelledTexts

__all__ = [
    "FEW_ROUTED",
    "TINY_LABEL",
    "LabelCheck",
    "check_labels",
    "relabel",
    "routes_too_little",
]

TINY_LABEL = 20  # fewer examples than this: the department's predictions are not reliable
FEW_ROUTED = 0.5  # the share `minyi check` also warns below


@dataclass(frozen=True, slots=True)
class LabelCheck:
    """Labels measured against the department codes."""

    named: dict[str, str]  # label → the code of the department it names
    unknown: tuple[str, ...]  # labels that are neither a code nor a department's name
    missing: tuple[str, ...]  # department codes without a single example

    @property
    def not_codes(self) -> bool:
        """Whether some label is not a department code (the model would be refused)."""
        return bool(self.named or self.unknown)


def check_labels(
    counts: Mapping[str, int],
    codes: Sequence[str],
    resolve: Callable[[str], str | None],
) -> LabelCheck:
    """Compare label counts with the district's codes; `resolve` maps a name to its code."""
    known = set(codes)
    named: dict[str, str] = {}
    unknown: list[str] = []
    for label in counts:
        if label in known:
            continue
        code = resolve(label)
        if code is not None and code in known:
            named[label] = code
        else:
            unknown.append(label)
    present = {named.get(label, label) for label in counts}
    return LabelCheck(
        named=named,
        unknown=tuple(sorted(unknown)),
        missing=tuple(code for code in codes if code not in present),
    )


def relabel(data: LabelledTexts, mapping: Mapping[str, str]) -> LabelledTexts:
    """The same rows with labels replaced by `mapping` (names → codes); others unchanged."""
    return LabelledTexts(
        data.texts,
        tuple(mapping.get(label, label) for label in data.labels),
        data.skipped_rows,
        data.source,
        data.file_sha256,
    )


def routes_too_little(outcome: RoutingOutcome | None) -> bool:
    """Whether the suggested threshold sends most tickets to dispatch (or there is none)."""
    return outcome is None or outcome.auto_routed_share < FEW_ROUTED
