"""The feature registry: every metric's name, unit, meaning, family and direction of "better".

Online metrics register with the :func:`metric` decorator; metrics that exist only for
scanned worksheets (stroke width, ink darkness, ...) register with :func:`register_feature`.
A metric computed both online and from scans has **one** entry: same name, unit and meaning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ParameterError

__all__ = ["FeatureInfo", "FEATURES", "metric", "register_feature", "REGISTRY_VERSION"]

#: Bumped whenever a registered metric changes meaning or algorithm (stored with values).
REGISTRY_VERSION = "1"

_BETTER = {None, "lower", "higher"}
_MODALITIES = {"online", "scan"}


@dataclass(frozen=True)
class FeatureInfo:
    """Description of one registered feature.

    Attributes
    ----------
    name : str
        Column name in feature tables.
    unit : str
        Physical unit ("mm", "mm/s", "Hz", "deg", "s", "1" for dimensionless, ...).
    description : str
        One sentence: what it measures.
    family : str
        Metric family ("kinematics", "pressure", "tremor", "sizing", ...).
    better : {"lower", "higher", None}
        Which direction counts as improvement for a child's handwriting, if any.
    modalities : frozenset of str
        ``{"online"}``, ``{"scan"}`` or both.
    needs : tuple of str
        Recording channels the online function needs (NaN when absent).
    func : callable or None
        The online function ``func(rec) -> float``; None for scan-only features.
    depends_on_text : bool
        The value depends on what was written (ink length, writing width, crossings,
        durations, counts): recordings of different texts are not comparable, so progress
        compares it only between recordings of the same text.
    label : str
        A short plain-language name for plots and tables ("Letter size"); the name itself
        when none was given (see :attr:`title`).

    Examples
    --------
    >>> info = FeatureInfo("demo", "mm", "a length", "geometry")
    >>> info.unit
    'mm'
    """

    name: str
    unit: str
    description: str
    family: str
    better: str | None = None
    modalities: frozenset[str] = frozenset({"online"})
    needs: tuple[str, ...] = ()
    func: Callable[..., float] | None = field(default=None, compare=False, repr=False)
    depends_on_text: bool = False
    label: str = ""

    @property
    def title(self) -> str:
        """The plain-language label, or the name when there is none.

        Examples
        --------
        >>> FeatureInfo("demo", "mm", "a length", "geometry", label="Demo length").title
        'Demo length'
        """
        return self.label or self.name


class _Registry(Mapping[str, FeatureInfo]):
    """Read-only mapping name -> FeatureInfo; loads the metric modules on first use."""

    def __init__(self) -> None:
        self._d: dict[str, FeatureInfo] = {}
        self._loaded = False

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            from . import metrics  # noqa: F401  (registers the online families)
            try:
                from .scan import metrics as _scan_metrics  # noqa: F401
            except ImportError:  # pragma: no cover - scan module not built yet
                pass

    def __getitem__(self, key: str) -> FeatureInfo:
        self._load()
        try:
            return self._d[key]
        except KeyError:
            raise KeyError(f"unknown feature {key!r}") from None

    def __iter__(self) -> Iterator[str]:
        self._load()
        return iter(self._d)

    def __len__(self) -> int:
        self._load()
        return len(self._d)

    def families(self) -> list[str]:
        """Sorted family names.

        Examples
        --------
        >>> "tremor" in FEATURES.families()
        True
        """
        self._load()
        return sorted({i.family for i in self._d.values()})

    def to_frame(self) -> Any:
        """The registry as a pandas DataFrame (name, label, unit, family, better, modalities, description, ...).

        Examples
        --------
        >>> FEATURES.to_frame().loc["speed_mean", "unit"]
        'mm/s'
        """
        import pandas as pd

        self._load()
        rows = [
            {"name": i.name, "label": i.title, "unit": i.unit, "family": i.family, "better": i.better,
             "modalities": ",".join(sorted(i.modalities)), "description": i.description,
             "depends_on_text": i.depends_on_text}
            for i in self._d.values()
        ]
        return pd.DataFrame(rows).set_index("name")

    def _add(self, info: FeatureInfo) -> None:
        old = self._d.get(info.name)
        if old is not None:
            if (old.unit, old.family, old.better) != (info.unit, info.family, info.better):
                raise ParameterError(
                    f"feature {info.name!r} registered twice with different unit/family/better: "
                    f"{old.unit}/{old.family}/{old.better} vs {info.unit}/{info.family}/{info.better}"
                )
            info = FeatureInfo(
                info.name, info.unit, old.description or info.description, info.family, info.better,
                old.modalities | info.modalities, old.needs or info.needs, old.func or info.func,
                old.depends_on_text or info.depends_on_text, old.label or info.label,
            )
        self._d[info.name] = info


#: The global feature registry (name -> :class:`FeatureInfo`).
FEATURES = _Registry()


def _check(name: str, unit: str, better: str | None, modalities: frozenset[str]) -> None:
    if better not in _BETTER:
        raise ParameterError(f"{name}: better must be 'lower', 'higher' or None, got {better!r}")
    if not modalities or not modalities <= _MODALITIES:
        raise ParameterError(f"{name}: modalities must be a subset of {_MODALITIES}, got {set(modalities)}")
    if not unit:
        raise ParameterError(f"{name}: every feature needs a unit ('1' for dimensionless)")


def metric(
    *,
    unit: str,
    better: str | None = None,
    needs: tuple[str, ...] = ("t", "x", "y"),
    family: str | None = None,
    name: str | None = None,
    scan: bool = False,
    depends_on_text: bool = False,
    label: str = "",
) -> Callable[[Callable[..., float]], Callable[..., float]]:
    """Register an online metric ``func(rec, **params) -> float``.

    Parameters
    ----------
    unit : str
        Physical unit of the returned value.
    better : {"lower", "higher", None}
        Direction of improvement.
    needs : tuple of str
        Channels the metric needs; :func:`penmotor.features` returns NaN without them.
    family : str, optional
        Defaults to the defining module's last name (``penmotor.metrics.tremor`` -> ``tremor``).
    name : str, optional
        Defaults to the function name.
    scan : bool
        Whether the scanned-worksheet pipeline computes the same quantity.
    depends_on_text : bool
        The value depends on what was written (see :class:`FeatureInfo`).
    label : str
        Short plain-language name for plots and tables.

    Examples
    --------
    >>> @metric(unit="1", family="demo", name="demo_samples")
    ... def demo_samples(rec):
    ...     '''Number of samples.'''
    ...     return float(len(rec))
    >>> FEATURES["demo_samples"].unit
    '1'
    """

    def deco(func: Callable[..., float]) -> Callable[..., float]:
        nm = name or func.__name__
        fam = family or func.__module__.rsplit(".", 1)[-1]
        mods = frozenset({"online", "scan"} if scan else {"online"})
        _check(nm, unit, better, mods)
        doc = (func.__doc__ or "").strip().splitlines()
        FEATURES._add(FeatureInfo(nm, unit, doc[0] if doc else "", fam, better, mods, tuple(needs), func,
                                  depends_on_text, label))
        return func

    return deco


def register_feature(
    name: str,
    *,
    unit: str,
    description: str,
    family: str,
    better: str | None = None,
    modalities: tuple[str, ...] = ("scan",),
    label: str = "",
) -> FeatureInfo:
    """Register a feature that has no online function (e.g. scan-only stroke width).

    Examples
    --------
    >>> register_feature("demo_width", unit="mm", description="Demo.", family="demo").modalities
    frozenset({'scan'})
    """
    mods = frozenset(modalities)
    _check(name, unit, better, mods)
    FEATURES._add(FeatureInfo(name, unit, description, family, better, mods, label=label))
    return FEATURES._d[name]
