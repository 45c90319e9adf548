"""Write the small reader fixtures in this folder from the shared real recordings.

Run from the repository root: ``python tests/io/make_fixtures.py``. The fixtures are the first
samples of real files, re-written the way other tools export them (byte-order mark, Windows
line ends, trailing separators, quoted CSV headers). Sources (see README.md here):

* PaHaW (MIT): ``pahaw/HC-female/00026_w.cz.fnusa.1_1.svc``, subject 00026, task 1 (spiral).
* UCI spiral (CC BY 4.0): ``uci_spiral/control/C_0001.txt``.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[2] / "shared" / "data"
N = 60
BOM = "\ufeff"


def _write(name: str, text: str, *, bom: bool = False, crlf: bool = False) -> None:
    if crlf:
        text = text.replace("\n", "\r\n")
    (HERE / name).write_bytes(((BOM if bom else "") + text).encode("utf-8"))


def main() -> None:
    svc = (DATA / "pahaw" / "HC-female" / "00026_w.cz.fnusa.1_1.svc").read_text().splitlines()[1 : N + 1]
    body = "".join(f"{ln}\n" for ln in svc)
    _write("pahaw_spiral.svc", f"{N}\n{body}")
    _write("pahaw_spiral_bom_crlf.svc", f"{N}\n{body}", bom=True, crlf=True)
    _write("pahaw_spiral_trailing_space.svc", f"{N} \n" + "".join(f"{ln} \t\n" for ln in svc))

    uci = (DATA / "uci_spiral" / "control" / "C_0001.txt").read_text().splitlines()[:N]
    _write("uci_C_0001.txt", "".join(f"{ln}\n" for ln in uci))
    _write("uci_C_0001_bom_crlf_trailing_sep.txt", "".join(f"{ln};\n" for ln in uci), bom=True, crlf=True)

    # The PaHaW spiral as a Curious export: 0-100 of a 100 x 100 mm drawing area (40 units/mm),
    # screen y downward, epoch-second time stamps, two lines (strokes) of 30 samples each.
    rows = [[int(v) for v in ln.split()] for ln in svc]
    y0, x0, t0 = rows[0][0], rows[0][1], rows[0][2]
    cur = []
    for i, (y, x, t, *_rest) in enumerate(rows):
        xs = 50 + (x - x0) / 40.0
        ys = 50 - (y - y0) / 40.0
        utc = 1686858474.596 + (t - t0) / 1000.0
        start = "1686858474.596" if i == 0 else ""
        cur.append((i // 30, f"{xs:.4f}", f"{ys:.4f}", f"{utc:.3f}", f"{(t - t0) / 1000.0:.3f}", start))
    header = ["line_number", "x", "y", "UTC_Timestamp", "seconds", "epoch_time_in_seconds_start"]
    plain = ",".join(header) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in cur)
    quoted = (",".join(f'"{h}"' for h in header) + "\n"
              + "".join(",".join(f'"{v}"' if k in (0, 5) else str(v) for k, v in enumerate(r)) + "\n" for r in cur))
    _write("[C001]pahaw-spiral_trace1_Dom.csv", plain)
    _write("[C001]pahaw-spiral_trace1_Dom_quoted.csv", quoted)
    _write("[C001]pahaw-spiral_trace1_Dom_bom_crlf.csv", quoted, bom=True, crlf=True)
    _write("[C001]pahaw-spiral_trace1_Dom_trailing_sep.csv",
           ",".join(header) + ",\n" + "".join(",".join(map(str, r)) + ",\n" for r in cur))
    _write("[C001]pahaw-spiral_trace1_Dom_semicolon.csv",
           ";".join(header) + "\n" + "".join(";".join(map(str, r)) + "\n" for r in cur))


if __name__ == "__main__":
    main()
