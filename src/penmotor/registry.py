"""The feature registry and the functions that run it.

Every metric's name, unit, meaning, family and direction of "better" is a
:class:`FeatureInfo` in :data:`FEATURES`. Online metrics register with the :func:`metric`
decorator; metrics that exist only for scanned worksheets (stroke width, ink darkness,
...) are declared with :func:`register_feature` (in :mod:`penmotor.metrics.scan_only`) and
computed by :mod:`penmotor.scan`. A metric computed both online and from scans has
**one** entry: same name, unit and meaning.

:func:`features` and :func:`features_table` run the registered online metrics over
recordings. The families in :mod:`penmotor.metrics` register when :mod:`penmotor` is
imported (the package imports :mod:`penmotor.metrics`); this module imports none of them.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ParameterError, PenmotorWarning
from .recording import Recording, valid_recording

__all__ = ["FeatureInfo", "FEATURES", "metric", "register_feature", "REGISTRY_VERSION", "features",
           "features_table"]

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
    """Read-only mapping name -> FeatureInfo, in registration order."""

    def __init__(self) -> None:
        self._d: dict[str, FeatureInfo] = {}

    def __getitem__(self, key: str) -> FeatureInfo:
        try:
            return self._d[key]
        except KeyError:
            raise KeyError(f"unknown feature {key!r}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def families(self) -> list[str]:
        """Sorted family names.

        Examples
        --------
        >>> "tremor" in FEATURES.families()
        True
        """
        return sorted({i.family for i in self._d.values()})

    def online(self, families: Iterable[str] | None = None) -> list[str]:
        """Names of the features with an online function, in registration order.

        Parameters
        ----------
        families : iterable of str, optional
            Keep only these families; default all.

        Examples
        --------
        >>> "speed_mean" in FEATURES.online(), "stroke_width" in FEATURES.online()
        (True, False)
        """
        fams = None if families is None else set(families)
        return [n for n, i in self._d.items() if i.func is not None and (fams is None or i.family in fams)]

    def to_frame(self) -> Any:
        """The registry as a pandas DataFrame (name, label, unit, family, better, modalities, description, ...).

        Examples
        --------
        >>> FEATURES.to_frame().loc["speed_mean", "unit"]
        'mm/s'
        """
        import pandas as pd

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
    return FEATURES[name]


def _selected(families: Iterable[str] | None, names: Iterable[str] | None) -> list[str]:
    known_fams = set(FEATURES.families())
    if families is not None:
        fams = {families} if isinstance(families, str) else set(families)
        unknown = fams - known_fams
        if unknown:
            raise ParameterError(f"families: unknown {sorted(unknown)}; known: {sorted(known_fams)}")
    else:
        fams = known_fams
    out = FEATURES.online(fams)
    if names is not None:
        names = [names] if isinstance(names, str) else list(names)
        unknown = [n for n in names if n not in FEATURES or FEATURES[n].func is None]
        if unknown:
            raise ParameterError(f"names: not online features: {unknown}")
        out = [n for n in out if n in set(names)]
    return out


def features(
    rec: Recording,
    *,
    families: Iterable[str] | str | None = None,
    names: Iterable[str] | None = None,
) -> dict[str, float]:
    """Compute registered online features of one recording.

    Parameters
    ----------
    rec : Recording
        The recording.
    families : str or iterable of str, optional
        Restrict to these families (see ``FEATURES.families()``); default all.
    names : iterable of str, optional
        Restrict to these feature names.

    Returns
    -------
    dict of str to float
        Feature name -> value in the unit given by ``FEATURES[name].unit``; NaN where
        the metric is undefined for this recording (too short, no pressure channel, ...).

    Examples
    --------
    >>> from penmotor import synth
    >>> f = features(synth.handwriting("ab cd", seed=1), families=["kinematics"])
    >>> f["speed_mean"] > 0
    True
    """
    valid_recording(rec)
    out: dict[str, float] = {}
    empty = len(rec) == 0
    has: dict[str, bool] = {}  # channel -> present, checked once per call

    def present(channels: tuple[str, ...]) -> bool:
        for c in channels:
            h = has.get(c)
            if h is None:
                h = has[c] = rec.has(c)
            if not h:
                return False
        return True

    # one warnings/errstate context for the whole run (not one per metric): empty slices
    # and 0/0 give NaN by design
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        for name in _selected(families, names):
            info = FEATURES[name]
            if empty or not present(info.needs):
                out[name] = math.nan
                continue
            v = info.func(rec)  # type: ignore[misc]
            out[name] = float(v) if v is not None else math.nan
    return out


def features_table(
    recs: Iterable[Recording],
    *,
    families: Iterable[str] | str | None = None,
    names: Iterable[str] | None = None,
    meta: Sequence[str] | None = None,
    progress: bool = False,
) -> Any:
    """Features of many recordings as a pandas DataFrame, one row per recording.

    Parameters
    ----------
    recs : iterable of Recording
    families, names : optional
        As in :func:`features`.
    meta : sequence of str, optional
        Meta keys to keep as columns; default every meta key found (non-scalar values skipped).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    pandas.DataFrame
        Meta columns first, then one column per feature; units in ``df.attrs["units"]``.

    Examples
    --------
    >>> from penmotor import synth
    >>> recs = [synth.handwriting("ab", seed=s).with_meta(subject=f"S{s}") for s in (1, 2)]
    >>> df = features_table(recs, families="kinematics")
    >>> df["subject"].tolist(), df.attrs["units"]["speed_mean"]
    (['S1', 'S2'], 'mm/s')
    """
    import pandas as pd

    recs = list(recs)
    if progress:
        from tqdm.auto import tqdm

        it: Iterable[Recording] = tqdm(recs, desc="features", unit="rec")
    else:
        it = recs
    rows = []
    for rec in it:
        row: dict[str, Any] = {}
        keys = meta if meta is not None else list(rec.meta)
        for k in keys:
            v = rec.meta.get(k)
            if v is None or isinstance(v, (str, int, float, bool)):
                row[k] = v
        try:
            row.update(features(rec, families=families, names=names))
        except Exception as exc:  # one bad recording must not crash the table
            warnings.warn(f"features failed for {rec!r}: {exc}", PenmotorWarning, stacklevel=2)
            row["error"] = str(exc)
        rows.append(row)
    df = pd.DataFrame(rows)
    df.attrs["units"] = {c: FEATURES[c].unit for c in df.columns if c in FEATURES}
    return df
