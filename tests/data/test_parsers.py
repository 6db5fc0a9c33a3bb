"""The csv and FACS parsers: strict, line-numbered, and fuzzed - a mutated file either parses to exactly
what its bytes say or fails with one PipelineError line, never another exception or a changed value."""

import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.core.errors import PipelineError
from pipeline.data import parsers
from pipeline.data.parsers import FACS_CODES, parse_facs, parse_pixel_csv, read_facs

CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
USAGES = ("Training", "PublicTest", "PrivateTest")
SIDE = 2
GOOD = "emotion,pixels,Usage\n0,1 2 3 4,Training\n6,255 0 0 7,PublicTest\n"
FUZZ = settings(max_examples=50, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def parse(text: str | bytes, side: int = SIDE) -> dict:
    path = Path("f.csv")
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return parse_pixel_csv(path, CLASSES, side=side)


def fails(text: str, match: str) -> str:
    with pytest.raises(PipelineError) as err:
        parse(text)
    message = str(err.value)
    assert "\n" not in message and message.startswith("f.csv: ") and "np." not in message
    assert re.search(match, message), message
    return message


# ---- csv ------------------------------------------------------------------------------------
def test_valid_csv_variants_parse_the_same():
    expected = parse(GOOD)
    assert expected["labels"].tolist() == [0, 6] and expected["usage"].tolist() == ["Training", "PublicTest"]
    assert expected["images"].reshape(2, -1).tolist() == [[1, 2, 3, 4], [255, 0, 0, 7]]
    reordered = "Usage,emotion,pixels\nTraining,0,1 2 3 4\nPublicTest,6,255 0 0 7\n"
    for variant in (GOOD.replace("\n", "\r\n"), "\ufeff" + GOOD, GOOD[:-1], GOOD + "\n\n",
                    GOOD.replace("1 2", "1  2"), reordered):
        got = parse(variant)
        assert all(np.array_equal(got[k], expected[k]) for k in expected), repr(variant)


@pytest.mark.parametrize("cut", [len(GOOD) - 3, len(GOOD) - 12, len(GOOD) - 18, len(GOOD) - 20])
def test_csv_cut_in_the_middle_of_a_row_says_so(cut):
    fails(GOOD[:cut], r"^f.csv: line 3: the file ends in the middle of this row \(cut short")


@pytest.mark.parametrize("text, match", [
    (GOOD.replace("255", "2x5"), r"line 3: pixel values must be integers 0..255 separated by spaces "
                                 r"\(found 'x'\)"),
    (GOOD.replace("255", "-1"), r"line 3: pixel values must be integers .*found '-'"),
    (GOOD.replace("255", "256"), "line 3: pixel value 256 is over 255"),
    (GOOD.replace("255", "4294967301"), "line 3: pixel value 4294967301 is over 255"),  # int32: wraps to 5
    (GOOD.replace("255", "9" * 30), "line 3: pixel value with 19\\+ digits is over 255"),
    (GOOD.replace("6,", "9,"), "line 3: emotion code '9' is not in 0..6"),
    (GOOD.replace("6,", "6.5,"), "line 3: emotion code '6.5' is not in 0..6"),
    (GOOD.replace("Public", "public"), "line 3: Usage 'publicTest' is not one of Training, PublicTest, "
                                       "PrivateTest"),
    (GOOD.replace("1 2 3 4", "1 2 3"), "line 2: 3 pixels, expected 2\\*2=4"),
    (GOOD.replace("1 2 3 4", ""), "line 2: 0 pixels"),
    (GOOD + "1,1 2 3 4,Training,x\n", "line 4: 4 fields, expected 3"),
    (GOOD.replace("\n6,", "\n\n\n6,").replace("255", "x"), "line 5: pixel values"),  # blank lines counted
    (GOOD.replace("255", "2\xe9"), "line 3: pixel values .*found"),
    ("emotion,pixels\n0,1 2 3 4\n", "wrong columns"),
    ("emotion,pix", "wrong columns .*the file ends inside its header"),
    ("", "empty file"),
    ("emotion,pixels,Usage\n\n", "no rows"),
])
def test_bad_csv_fails_naming_the_line(text, match):
    fails(text, match)


def test_undecodable_bytes_fail_with_their_line():
    data = GOOD.encode().replace(b"255", b"2\xff5")
    with pytest.raises(PipelineError, match="line 3: pixel values"):
        parse(data)


def test_chunked_parse_finds_the_first_bad_row_in_a_later_chunk():
    rows = [f"{i % 7},{' '.join(['7'] * 4)},Training" for i in range(5000)]
    rows[4321] = "3,7 7 7 300,Training"
    with pytest.raises(PipelineError, match="line 4323: pixel value 300"):
        parse("emotion,pixels,Usage\n" + "\n".join(rows) + "\n")
    rows[4321] = "3,7 7 7 30,Training"
    images = parse("emotion,pixels,Usage\n" + "\n".join(rows) + "\n")["images"]
    assert images[4321].ravel().tolist() == [7, 7, 7, 30]


def reference_csv(data: bytes):
    """What the bytes say under the csv spec, in plain Python (None: not a valid file)."""
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return None
    lines = text.split("\n")
    header = lines[0].rstrip("\r").split(",")
    if sorted(header) != sorted(("emotion", "pixels", "Usage")):
        return None
    rows = []
    for line in lines[1:]:
        line = line.rstrip("\r")
        if not line.strip(" \t"):
            continue
        fields = line.split(",")
        if len(fields) != 3:
            return None
        row = {name: value.strip(" \t") for name, value in zip(header, fields)}
        tokens = [t for t in row["pixels"].split(" ") if t]
        digits = [row["emotion"], *tokens]
        if not all(t.isascii() and t.isdigit() for t in digits) or int(row["emotion"]) >= len(CLASSES):
            return None
        if len(tokens) != SIDE * SIDE or max(map(int, tokens)) > 255 or row["Usage"] not in USAGES:
            return None
        rows.append((int(row["emotion"]), [int(t) for t in tokens], row["Usage"]))
    return rows or None


csv_rows = st.lists(st.tuples(st.integers(0, 6), st.lists(st.integers(0, 255), min_size=4, max_size=4),
                              st.sampled_from(USAGES)), min_size=1, max_size=4)
new_byte = st.one_of(st.sampled_from(b"0123456789 ,\r\n\t.-+eE"), st.integers(0, 255))
mutations = st.tuples(st.lists(st.tuples(st.integers(0, 10**6), new_byte), max_size=3),
                      st.none() | st.integers(0, 10**6))


def mutate(data: bytes, flips, cut) -> bytes:
    data = bytearray(data)
    for position, byte in flips:
        data[position % len(data)] = byte
    return bytes(data if cut is None else data[:cut % (len(data) + 1)])


@FUZZ
@given(rows=csv_rows, mutation=mutations)
def test_fuzzed_csv_parses_to_what_it_says_or_fails_in_one_line(rows, mutation):
    body = "".join(f"{e},{' '.join(map(str, p))},{u}\n" for e, p, u in rows)
    valid = ("emotion,pixels,Usage\n" + body).encode()
    data = mutate(valid, *mutation)
    expected = reference_csv(data)
    try:
        got = parse(data)
    except PipelineError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("f.csv: ")
        return
    assert expected is not None, f"parsed a file that is not valid: {data!r}"
    assert got["labels"].tolist() == [e for e, _, _ in expected]
    assert got["images"].reshape(len(expected), -1).tolist() == [p for _, p, _ in expected]
    assert got["usage"].tolist() == [u for _, _, u in expected]
    assert len(got["ids"]) == len(expected)


# ---- FACS -----------------------------------------------------------------------------------
def facs(text: str) -> set[int]:
    return parse_facs(Path("S005_001_facs.txt"), text)


def test_facs_codes_and_the_dotted_au17():
    assert facs("   4.0000000e+00   0.0000000e+00\n   1.7000000e+00   2.0000000e+00\n\n") == {4, 17}
    assert facs("12\r\n25 5\n") == {12, 25}


@pytest.mark.parametrize("line, match", [
    ("nan 0", "line 2: expected '<AU code> <intensity>' as two numbers, got 'nan 0'"),
    ("inf 0", "line 2: expected .* got 'inf 0'"),
    ("-inf", "line 2: expected"),
    ("9.0000100e+00   0.0000000e+00", "line 2: '9.0000100e\\+00' is not a FACS action unit code"),
    ("0.5 0", "'0.5' is not a FACS action unit code"),
    ("3 0", "'3' is not a FACS action unit code"),
    ("1e400 0", "'1e400' is not a FACS"),
    ("1e99999999999999999999 0", "is not a FACS"),
    ("4 7", "line 2: intensity '7' is not in 0..5"),
    ("4 0 0", "line 2: expected"),
    ("1_0 0", "line 2: expected"),
    ("\u0661\u0662 0", "line 2: expected"),  # Arabic-Indic digits: float() reads them as 12
])
def test_bad_facs_lines_fail_naming_the_line(line, match):
    with pytest.raises(PipelineError, match=match) as err:
        facs("1.0000000e+00 0\n" + line + "\n")
    assert "\n" not in str(err.value) and str(err.value).startswith("S005_001_facs.txt: line 2: ")


def test_empty_facs_file_and_two_files_for_one_sequence(tmp_path):
    with pytest.raises(PipelineError, match="no AU codes"):
        facs("\n\n")
    folder = tmp_path / "FACS/S005/001"
    folder.mkdir(parents=True)
    (folder / "S005_001_00000010_facs.txt").write_text("4 0\n")
    assert read_facs(tmp_path / "FACS") == {"S005_001": {4}}
    (folder / "S005_001_00000011_facs.txt").write_text("5 0\n")
    with pytest.raises(PipelineError, match="a second FACS file for sequence S005_001"):
        read_facs(tmp_path / "FACS")


def reference_facs(data: bytes):
    """The AU codes the bytes say (exact arithmetic; None: not a valid FACS file)."""
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return None
    codes = set()
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if not line.strip(" \t"):
            continue
        tokens = re.split("[ \t]+", line.strip(" \t"))
        if len(tokens) > 2 or not all(re.fullmatch(r"[0-9eE+\-.]+", t) for t in tokens):
            return None
        try:
            values = [Fraction(t) for t in tokens]
        except (ValueError, ZeroDivisionError):
            return None
        code = values[0]
        if code.denominator != 1 and ((code * 10).denominator != 1 or not 1 <= code < 10):
            return None
        code = int(code) if code.denominator == 1 else int(code * 10)
        if code not in FACS_CODES or (len(values) == 2 and not 0 <= values[1] <= 5):
            return None
        codes.add(code)
    return codes or None


facs_lines = st.lists(st.tuples(st.sampled_from(sorted(FACS_CODES)), st.integers(0, 5)),
                      min_size=1, max_size=4)


@FUZZ
@given(lines=facs_lines, mutation=mutations)
def test_fuzzed_facs_parses_to_what_it_says_or_fails_in_one_line(lines, mutation):
    valid = "".join(f"   {code:.7e}   {level:.7e}\n" for code, level in lines).encode()
    data = mutate(valid, *mutation)
    path = Path("S005_001_00000010_facs.txt")
    path.write_bytes(data)
    expected = reference_facs(data)
    try:
        got = parse_facs(path, parsers.read_text(path, "FACS file"))
    except PipelineError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(f"{path}: ")
        return
    assert expected is not None, f"parsed a file that is not valid: {data!r}"
    assert got == expected and got <= FACS_CODES
