#!/usr/bin/env python
"""Known-groups validity: do penmotor's features separate two groups? Cross-validated ROC AUC.

Usage::

    .venv/bin/python benchmarks/validity.py FOLDER --labels labels.csv [--task TASK] [--families ...]
    .venv/bin/python benchmarks/validity.py --uci            # ../shared/data/uci_spiral, PD vs control
    .venv/bin/python benchmarks/validity.py --pahaw          # ../shared/data/pahaw (4 subjects: a smoke test)
    .venv/bin/python benchmarks/validity.py --uci --ablate consistency temporal   # with vs without families

``labels.csv`` has a ``label`` column (two distinct values) and a key column: ``file``
(path relative to FOLDER, or just the file name / stem) or ``subject`` (matched against
``rec.meta["subject"]``). Every recording under FOLDER that penmotor can read is used
(readers returning several recordings per file, like UCI's tests, give several rows);
``--task`` keeps only recordings whose ``meta["task"]`` matches.

Method: ``penmotor.features_table`` -> drop all-NaN/constant columns -> median imputation
(fitted inside each training fold) -> logistic regression (standardised, L2) and random
forest; repeated stratified k-fold over SUBJECTS (StratifiedGroupKFold: no subject in both
train and test), out-of-fold probabilities averaged over the repeats; ROC AUC with a
percentile bootstrap CI over subjects. Also prints the single features with the highest
univariate AUC (no CV: descriptive only). ``--ablate FAMILY ...`` repeats the cross-validation
without those families' features (same folds, same run), so what a family adds is measured.
Families of this round: ``consistency`` (stroke-to-stroke, up/down-stroke, rhythm and pause
variability) and, in ``temporal``, ``hover_time``/``out_of_range_time``/``out_of_range_ratio``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import penmotor  # noqa: E402


def load(folder: Path, task: str | None) -> list[penmotor.Recording]:
    recs = []
    skipped = 0
    for p in sorted(folder.rglob("*")):
        if not p.is_file() or p.name.lower().startswith(("readme", "license")) or p.suffix in (".md", ".json", ".csv"):
            continue
        try:
            got = penmotor.read(p)
        except penmotor.PenmotorError:
            skipped += 1
            continue
        for r in got if isinstance(got, list) else [got]:
            if task is None or r.meta.get("task") == task:
                recs.append(r.with_meta(file=str(p.relative_to(folder)), file_name=p.name, file_stem=p.stem,
                                        subject=r.meta.get("subject", p.stem)))
    if skipped:
        print(f"# {skipped} files skipped (not a recording penmotor can read)")
    return recs


def attach_labels(df: pd.DataFrame, labels: pd.DataFrame) -> pd.Series:
    if "label" not in labels.columns:
        sys.exit("labels CSV: needs a 'label' column")
    if "file" in labels.columns:
        m = dict(zip(labels["file"].astype(str), labels["label"]))
        out = df["file"].map(m)
        out = out.fillna(df["file_name"].map(m)).fillna(df["file_stem"].map(m))
        return out
    if "subject" in labels.columns:
        return df["subject"].map(dict(zip(labels["subject"].astype(str), labels["label"])))
    sys.exit("labels CSV: needs a 'file' or 'subject' column")


def bootstrap_auc(y: np.ndarray, s: np.ndarray, groups: np.ndarray, n: int, rng: np.random.Generator):
    from sklearn.metrics import roc_auc_score

    ug = np.unique(groups)
    idx_of = {g: np.flatnonzero(groups == g) for g in ug}
    vals = []
    for _ in range(n):
        pick = rng.choice(ug, ug.size, replace=True)
        idx = np.concatenate([idx_of[g] for g in pick])
        if np.unique(y[idx]).size == 2:
            vals.append(roc_auc_score(y[idx], s[idx]))
    return np.percentile(vals, [2.5, 97.5])


def cv_auc(Xv: np.ndarray, y: np.ndarray, groups: np.ndarray, folds: int, args: argparse.Namespace) -> None:
    """Repeated grouped k-fold ROC AUC of logistic regression and random forest, printed."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedGroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    models = {
        "logistic regression": make_pipeline(SimpleImputer(strategy="median"), StandardScaler(),
                                             LogisticRegression(C=0.5, max_iter=2000)),
        "random forest": make_pipeline(SimpleImputer(strategy="median"),
                                       RandomForestClassifier(n_estimators=300, min_samples_leaf=2, random_state=0,
                                                              n_jobs=1)),
    }
    rng = np.random.default_rng(args.seed)
    for name, model in models.items():
        oof = np.zeros(len(y))
        aucs = []
        for rep in range(args.repeats):
            cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=args.seed + rep)
            p = np.zeros(len(y))
            for tr, te in cv.split(Xv, y, groups):
                model.fit(Xv[tr], y[tr])
                p[te] = model.predict_proba(Xv[te])[:, 1]
            aucs.append(roc_auc_score(y, p))
            oof += p / args.repeats
        auc = roc_auc_score(y, oof)
        lo, hi = bootstrap_auc(y, oof, groups, args.bootstrap, rng)
        print(f"{name:20s} ROC AUC {auc:.3f}  95% CI [{lo:.3f}, {hi:.3f}]  "
              f"(per-repeat AUC {np.mean(aucs):.3f} +/- {np.std(aucs):.3f}; {folds}-fold x {args.repeats})")


def main() -> None:
    ap = argparse.ArgumentParser(description="Cross-validated group separation from penmotor features")
    ap.add_argument("folder", nargs="?", help="folder of recordings")
    ap.add_argument("--labels", help="CSV with 'label' and 'file' or 'subject' columns")
    ap.add_argument("--uci", action="store_true", help="use ../shared/data/uci_spiral, labels from its folders")
    ap.add_argument("--pahaw", action="store_true", help="use ../shared/data/pahaw, labels from meta['group']")
    ap.add_argument("--ablate", nargs="*", default=[], help="also report the AUC without these families")
    ap.add_argument("--task", help="keep recordings with this meta['task'] (UCI default: static_spiral)")
    ap.add_argument("--families", nargs="*", help="feature families (default: all online)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--bootstrap", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    from sklearn.metrics import roc_auc_score

    if args.uci:
        folder = Path(args.folder) if args.folder else ROOT.parent / "shared" / "data" / "uci_spiral"
        task = args.task or "static_spiral"
    elif args.pahaw:
        folder = Path(args.folder) if args.folder else ROOT.parent / "shared" / "data" / "pahaw"
        task = args.task
    else:
        if not args.folder or not args.labels:
            ap.error("give FOLDER and --labels (or --uci)")
        folder, task = Path(args.folder), args.task
    recs = load(folder, task)
    if not recs:
        sys.exit(f"no recordings under {folder}" + (f" with task {task!r}" if task else ""))
    df = penmotor.features_table(recs, families=args.families)
    if args.uci or args.pahaw:
        y_raw = df["group"]
    else:
        y_raw = attach_labels(df, pd.read_csv(args.labels))
    keep = y_raw.notna().to_numpy()
    df, y_raw = df[keep].reset_index(drop=True), y_raw[keep].reset_index(drop=True)
    classes = sorted(y_raw.astype(str).unique())
    if len(classes) != 2:
        sys.exit(f"labels: expected two groups, got {classes}")
    # positive class: the smaller group unless it is called control/healthy
    counts = y_raw.astype(str).value_counts()
    pos = "parkinson" if "parkinson" in classes else next(
        (c for c in classes if c.lower() not in ("control", "hc", "healthy", "0")), counts.idxmin())
    y = (y_raw.astype(str) == pos).to_numpy().astype(int)
    groups = df["subject"].astype(str).to_numpy()
    feats = [c for c in df.columns if c in penmotor.FEATURES]
    X = df[feats].astype(float)
    X = X.loc[:, X.notna().any() & (X.nunique(dropna=True) > 1)]
    print(f"# {folder}  task={task}  {len(df)} recordings, {len(np.unique(groups))} subjects; "
          f"positive class {pos!r}: {int(y.sum())} vs {int((1 - y).sum())}; {X.shape[1]} usable features")

    n_per_class = min(np.unique(groups[y == 1]).size, np.unique(groups[y == 0]).size)
    folds = max(2, min(args.folds, n_per_class))
    if folds != args.folds:
        print(f"# {folds}-fold (only {n_per_class} subjects in the smaller group)")
    fam_of = {c: penmotor.FEATURES[c].family for c in X.columns}
    runs = [("all families", list(X.columns))]
    if args.ablate:
        runs.append((f"without {'+'.join(args.ablate)}", [c for c in X.columns if fam_of[c] not in args.ablate]))
        n_new = len(X.columns) - len(runs[1][1])
        print(f"# {n_new} usable features in {'+'.join(args.ablate)}")
    for label, cols in runs:
        print(f"## {label}: {len(cols)} features")
        cv_auc(X[cols].to_numpy(), y, groups, folds, args)

    uni = []
    for c in X.columns:
        v = X[c].to_numpy()
        ok = np.isfinite(v)
        if ok.sum() > 5 and np.unique(y[ok]).size == 2:
            a = roc_auc_score(y[ok], v[ok])
            uni.append((max(a, 1 - a), a, c))
    uni.sort(reverse=True)
    print("top single features (univariate AUC, descriptive, > 0.5 = higher in the positive group):")
    for _, a, c in uni[:8]:
        print(f"   {c:28s} {a:.3f}  [{penmotor.FEATURES[c].unit}]")


if __name__ == "__main__":
    main()
