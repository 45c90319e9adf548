"""What task a recording is (text, spiral, line ...): the one place the task labels are read.

A recording's task is its ``meta["task"]`` label (set by the readers, the capture
templates and :mod:`penmotor.synth`). Metric families use it to return NaN where a
measure is meaningless (letter sizes of a spiral) and to choose a method (the tremor
line search differs on handwriting and on spirals).

Known disagreement (kept on purpose, to be settled by a follow-up issue)
-----------------------------------------------------------------------
Three families read the label in three ways, and unifying them would change feature
values, so each keeps its exact rule here, side by side:

* :func:`may_be_text` (letter sizes, spacing): text unless the label names a non-text task
  (:data:`NON_TEXT_TASKS`, or contains ``"spiral"``). **Unlabelled recordings count as
  text**; a label of ``None`` reads as the string ``"none"`` (text), a label ``0`` as ``"0"``.
* :func:`is_labelled_writing` (tremor, ``mode="auto"``): the same rule, but an **unlabelled**
  recording (no label, ``""``, ``None``, ``0`` or any other false value) is **not** writing:
  the spiral method is used.
* :func:`is_named_text` (spiral metrics): the label is exactly one of :data:`TEXT_TASKS`
  (case-insensitive); ``"llll"`` or ``"copy_2"`` are not named text tasks.

Examples
--------
>>> from penmotor import Recording
>>> rec = Recording.from_arrays(t=[0, 0.01], x=[0, 1], y=[0, 0])
>>> may_be_text(rec), is_labelled_writing(rec), is_named_text(rec)
(True, False, False)
>>> rec = rec.with_meta(task="Spiral_1")
>>> may_be_text(rec), is_labelled_writing(rec), is_named_text(rec)
(False, False, False)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .recording import Recording

__all__ = ["NON_TEXT_TASKS", "TEXT_TASKS", "task_label", "may_be_text", "is_labelled_writing", "is_named_text"]

#: Task labels for which letter sizing is meaningless (a label containing "spiral" too).
NON_TEXT_TASKS = frozenset({"spiral", "circle", "line", "lines", "dots"})
#: Task labels that name a writing task.
TEXT_TASKS = frozenset({"sentence", "text", "words", "word", "letters", "letter", "syllables", "copy"})


def task_label(rec: "Recording") -> str:
    """The recording's task label, lower case; ``""`` when unlabelled (or labelled with a false value).

    Examples
    --------
    >>> from penmotor import Recording
    >>> task_label(Recording.from_arrays(t=[0], x=[0], y=[0], meta={"task": "Sentence"}))
    'sentence'
    """
    return str(rec.meta.get("task", "") or "").lower()


def _is_non_text(label: str) -> bool:
    return label in NON_TEXT_TASKS or "spiral" in label


def may_be_text(rec: "Recording") -> bool:
    """Whether letter sizes may be measured: the label does not name a non-text task.

    Unlabelled recordings count as text (see the module notes).

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0], x=[0], y=[0])
    >>> may_be_text(rec), may_be_text(rec.with_meta(task="circle"))
    (True, False)
    """
    return not _is_non_text(str(rec.meta.get("task", "")).lower())


def is_labelled_writing(rec: "Recording") -> bool:
    """Whether the recording is labelled as a writing task (not a spiral, line, ... and not unlabelled).

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0], x=[0], y=[0])
    >>> is_labelled_writing(rec), is_labelled_writing(rec.with_meta(task="llll"))
    (False, True)
    """
    label = task_label(rec)
    return bool(label) and not _is_non_text(label)


def is_named_text(rec: "Recording") -> bool:
    """Whether the label is one of :data:`TEXT_TASKS` (exactly, ignoring case).

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0], x=[0], y=[0])
    >>> is_named_text(rec.with_meta(task="Sentence")), is_named_text(rec.with_meta(task="llll"))
    (True, False)
    """
    return str(rec.meta.get("task", "")).lower() in TEXT_TASKS
