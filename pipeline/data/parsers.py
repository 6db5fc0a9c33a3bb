"""The raw text formats, parsed strictly: the `emotion,pixels,Usage` csv (FER-2013, Kaggle CK+) and
the CK+ FACS files. Every value is checked; a problem fails with one line naming the file and line,
a file cut short says so, and nothing is ever read as something it does not say."""

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np

from pipeline.core.errors import PipelineError

FER_USAGE_SPLIT = {"Training": "train", "PublicTest": "val", "PrivateTest": "test"}
CSV_COLUMNS = ("emotion", "pixels", "Usage")
# FACS action unit and action descriptor numbers (Ekman, Friesen & Hager 2002): main AUs, head and
# eye positions, visibility codes and gross behaviour codes. Anything else in a FACS file is an error.
FACS_CODES = frozenset([1, 2, *range(4, 47), 50, *range(51, 59), *range(61, 67), 69, *range(70, 75),
                        80, 81, 82, 84, 85, 91, 92, 97, 98])
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_FACS_LINE = re.compile(rf"[ \t]*({_NUMBER})(?:[ \t]+({_NUMBER}))?[ \t]*")
_NOT_PIXEL_TEXT = str.maketrans("", "", "0123456789 ")  # what is left of pixel text is bad
_SPACE = " \t"


# ---- emotion,pixels,Usage csv ------------------------------------------------------------------
def read_text(path: Path, what: str) -> str:
    """The file as text (UTF-8, a BOM dropped); undecodable bytes become U+FFFD and fail later
    with their line number."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PipelineError(f"{path}: unreadable {what} ({exc.strerror})") from None
    return data.decode("utf-8-sig", errors="replace")


def parse_pixel_csv(path: Path, classes: tuple, side: int = 48) -> dict:
    """Parse an `emotion,pixels,Usage` csv (about 2 s for FER-2013's 35,887 rows).

    Blank lines are skipped; every other row must hold an emotion code in 0..len(classes)-1,
    exactly side*side integers 0..255 separated by spaces, and a Usage of Training, PublicTest or
    PrivateTest. A file whose last row is incomplete and has no final newline is reported as cut.
    """
    text = read_text(path, "csv")
    cut = not text.endswith(("\n", "\r"))
    lines = text.split("\n")
    del text
    if not lines[0].strip():
        raise PipelineError(f"{path}: empty file (no header line)")
    header = lines[0].rstrip("\r").split(",")
    if sorted(header) != sorted(CSV_COLUMNS):
        more = "; the file ends inside its header (cut short?)" if cut and len(lines) == 1 else ""
        raise PipelineError(f"{path}: wrong columns {header}; expected {','.join(CSV_COLUMNS)}{more}")
    order = [header.index(c) for c in CSV_COLUMNS]
    last = len(lines) - 1 if cut else len(lines) - 2  # index of the last line that holds text
    numbers, fields = [], []
    for i in range(1, len(lines)):
        line = lines[i].rstrip("\r")
        if not line.strip(_SPACE):
            continue
        parts = line.split(",")
        if len(parts) != 3:
            _fail(path, i, last, cut, f"{len(parts)} fields, expected 3 ({','.join(CSV_COLUMNS)})")
        numbers.append(i + 1)
        fields.append([parts[k].strip(_SPACE) for k in order])
    del lines
    if not fields:
        raise PipelineError(f"{path}: no rows")
    emotion, pixels, usage = (list(col) for col in zip(*fields))
    del fields
    codes = np.full(len(emotion), -1, np.int64)
    for r, e in enumerate(emotion):
        if e.isascii() and e.isdigit() and len(e) <= 3:
            codes[r] = int(e)
    row_problems = [  # (bad rows, what is wrong with row r), in column order
        ((codes < 0) | (codes >= len(classes)),
         lambda r: f"emotion code {emotion[r]!r} is not in 0..{len(classes) - 1}"),
        (np.array([u not in FER_USAGE_SPLIT for u in usage], bool),
         lambda r: f"Usage {usage[r]!r} is not one of {', '.join(FER_USAGE_SPLIT)}"),
    ]
    bad = [int(np.flatnonzero(mask)[0]) for mask, _ in row_problems if mask.any()]
    first = min(bad, default=len(pixels))
    images, pixel_problem = pixel_rows(pixels, side, stop=first)
    if pixel_problem is not None and (pixel_problem[0] < first or pixel_problem[0] == first
                                      and not row_problems[0][0][first]):  # emotion, pixels, Usage
        r, message = pixel_problem
    elif bad:
        r = first
        message = next(describe(r) for mask, describe in row_problems if mask[r])
    else:
        return {"images": images, "labels": codes, "usage": np.array(usage, dtype=str),
                "ids": np.array([f"{path.name}#{i}" for i in range(len(pixels))])}
    _fail(path, numbers[r] - 1, last, cut, message)


def pixel_rows(pixels: list[str], side: int, stop: int, chunk: int = 2048):
    """(uint8 (N, side, side) images, None) or (None, (first bad row, problem)) for the pixel strings.

    Parsed in chunks of rows (one C pass each, small memory); rows at or after `stop` need not be
    checked (an earlier row already failed).
    """
    n = side * side
    images = np.empty((len(pixels), side, side), np.uint8)
    for start in range(0, min(len(pixels), stop + 1), chunk):
        rows = pixels[start:start + chunk]
        text = " ".join(rows)
        values = None
        if all(rows) and not text.translate(_NOT_PIXEL_TEXT):  # digits and spaces only
            values = np.fromstring(text, dtype=np.int64, sep=" ")  # int64: long numbers saturate
        if values is None or values.size != len(rows) * n:
            for k, row in enumerate(rows):
                if row.translate(_NOT_PIXEL_TEXT):
                    found = next(c for c in row if c not in "0123456789 ")
                    return None, (start + k, "pixel values must be integers 0..255 separated by spaces "
                                             f"(found {found!r})")
                if len(row.split()) != n:
                    return None, (start + k, f"{len(row.split())} pixels, expected {side}*{side}={n}")
            raise AssertionError("pixel rows disagree with their joined parse")  # never reached
        values = values.reshape(len(rows), n)
        over = np.flatnonzero(values.max(axis=1) > 255)
        if len(over):
            top = int(values[over[0]].max())
            shown = top if top < 2**63 - 1 else "with 19+ digits"
            return None, (start + int(over[0]), f"pixel value {shown} is over 255")
        images[start:start + len(rows)] = values.reshape(len(rows), side, side)
    return images, None


def _fail(path: Path, index: int, last: int, cut: bool, problem: str):
    """Raise the error for line `index` (0-based); the cut last line of a file says it was cut."""
    if cut and index == last:
        raise PipelineError(f"{path}: line {index + 1}: the file ends in the middle of this row "
                            f"(cut short: truncated download or copy?)")
    raise PipelineError(f"{path}: line {index + 1}: {problem}")


# ---- CK+ FACS files -----------------------------------------------------------------------------
def read_facs(facs_dir: Path) -> dict[str, set[int]]:
    """CK+ FACS files `FACS/Sxxx/yyy/*_facs.txt` (AU code, intensity per line) -> {sequence: AU codes}."""
    sequences, files = {}, {}
    for path in sorted(facs_dir.glob("S*/*/*_facs.txt")):
        sequence = f"{path.parent.parent.name}_{path.parent.name}"
        if sequence in files:
            raise PipelineError(f"{path}: a second FACS file for sequence {sequence} "
                                f"(first: {files[sequence].name}); keep one")
        files[sequence] = path
        sequences[sequence] = parse_facs(path, read_text(path, "FACS file"))
    return sequences


def parse_facs(path: Path, text: str) -> set[int]:
    """The AU codes of one FACS file: lines `<code> [<intensity 0..5>]`, numbers as `4.0000000e+00`.

    One original file writes AU17 as "1.7": a code d.d (one digit each side) is read as the
    two-digit code dd when that is a FACS code. Any other non-integer, non-finite or unknown code,
    an intensity outside 0..5 or anything else on a line fails naming the line.
    """
    codes = set()
    for n, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        if not line.strip(_SPACE):
            continue
        m = _FACS_LINE.fullmatch(line)
        if not m:
            raise PipelineError(f"{path}: line {n}: expected '<AU code> <intensity>' as two numbers, "
                                f"got {line.strip()[:40]!r}")
        code = au_code(m.group(1))
        if code is None:
            raise PipelineError(f"{path}: line {n}: {m.group(1)!r} is not a FACS action unit code "
                                "(a whole number such as 4.0000000e+00, or d.d for AU dd as in 1.7)")
        intensity = m.group(2)
        if intensity is not None and not 0 <= _decimal(intensity, default=-1) <= 5:
            raise PipelineError(f"{path}: line {n}: intensity {intensity!r} is not in 0..5")
        codes.add(code)
    if not codes:
        raise PipelineError(f"{path}: no AU codes (empty FACS file)")
    return codes


def au_code(token: str) -> int | None:
    """The FACS code a number token stands for, or None (see parse_facs)."""
    value = _decimal(token, default=0)
    if not 0 < value < 100:
        return None
    if value == value.to_integral_value():
        code = int(value)
    else:
        sign, digits, exponent = value.normalize().as_tuple()
        if len(digits) != 2 or exponent != -1 or digits[0] == 0:
            return None
        code = 10 * digits[0] + digits[1]  # "1.7" -> AU17
    return code if code in FACS_CODES else None


def _decimal(token: str, default: int) -> Decimal:
    """The exact value of a number token (`default` for exponents too large to hold)."""
    try:
        return Decimal(token)
    except InvalidOperation:
        return Decimal(default)
