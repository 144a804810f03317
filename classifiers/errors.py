"""Typed errors of the classifier package; each message tells the operator what to do."""

from __future__ import annotations


class ClassifierError(Exception):
    """Base class of every error raised by classifiers/."""


class TrainingDataError(ClassifierError):
    """A training or input file cannot be used."""


class UnreadableFileError(TrainingDataError):
    """The file is missing, of an unsupported format, or in an undetectable encoding."""


class MissingColumnError(TrainingDataError):
    """A requested column is not in the file."""


class TooFewLabelsError(TrainingDataError):
    """Training needs at least two labels with enough examples each."""


class ModelLoadError(ClassifierError):
    """A saved model cannot be loaded."""


class ModelNotFoundError(ModelLoadError):
    """The model directory or one of its files does not exist."""


class ModelIntegrityError(ModelLoadError):
    """The model file does not match the hash recorded in its metadata (tampered or corrupt)."""


class UntrustedModelError(ModelLoadError):
    """The model file contains types outside the trusted list."""


class LabelMismatchError(ModelLoadError):
    """The model's labels are not the configured department codes."""


class ModelVersionError(ModelLoadError):
    """The model was saved with an incompatible library version."""
