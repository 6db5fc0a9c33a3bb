"""Which raw dataset layouts a folder holds: names matched case-insensitively, at the top of the
raw folder or one folder down (an archive unpacked into its own folder: `fer2013/fer2013.csv`)."""

from pathlib import Path

from pipeline.core.errors import PipelineError
from pipeline.data.rawfiles import IMAGE_EXTENSIONS

# The layouts ingest knows, as listed in messages (docs/data.md has the table).
KNOWN_LAYOUTS = (
    "fer2013.csv",
    "train/<class>/ and test/<class>/ image folders (FER-2013 images)",
    "CK+48/<class>/ image folders, optional FACS/",
    "ckextended.csv",
    "Rafd<angle>_<subject>_<ethnicity>_<gender>_<emotion>_<gaze> image files (any depth)",
)
# Entries that are not data: the folder's own README and system files.
NOT_DATA = ("readme", "thumbs.db", "desktop.ini", "__macosx")


def data_entries(folder: Path) -> list[Path]:
    """The entries of `folder` that could be data (no dotfiles, READMEs or system files)."""
    return sorted(p for p in folder.iterdir()
                  if not p.name.startswith(".") and not p.name.lower().startswith(NOT_DATA))


def find(raw: Path, name: str, is_dir: bool) -> Path | None:
    """`name` (any case) in `raw`, else in one sub-folder of `raw`; two candidates at one level fail."""
    levels = [[raw], [p for p in data_entries(raw) if p.is_dir()]]
    for parents in levels:
        hits = [p for parent in parents for p in data_entries(parent)
                if p.name.lower() == name.lower() and (p.is_dir() if is_dir else p.is_file())]
        if len(hits) > 1:
            raise PipelineError(f"{raw}: several candidates for {name}: "
                                f"{', '.join(str(p.relative_to(raw)) for p in hits)}; keep one")
        if hits:
            return hits[0]
    return None


def fer_folders(raw: Path) -> list[Path]:
    """`train/` and `test/` (any case) side by side, at the top or one folder down."""
    for parents in ([raw], [p for p in data_entries(raw) if p.is_dir()]):
        hits = [[p for p in data_entries(parent) if p.is_dir() and p.name.lower() in ("train", "test")]
                for parent in parents]
        hits = [h for h in hits if h]
        if len(hits) > 1:
            raise PipelineError(f"{raw}: several candidates for train/ and test/ image folders: "
                                f"{', '.join(str(h[0].parent.relative_to(raw)) for h in hits)}; keep one")
        if hits:
            return hits[0]
    return []


def detect_layouts(raw: Path) -> tuple[dict[str, dict], list[str], list[str]]:
    """({source: {"layout", "paths", "found"}}, layouts ignored, raw entries no layout uses).

    "layout" names the known layout, "found" where it was found (relative to `raw`).
    """
    found, ignored = {}, []
    fer_csv, parts = find(raw, "fer2013.csv", is_dir=False), fer_folders(raw)
    if fer_csv:
        found["fer2013"] = {"layout": "fer2013.csv", "paths": [fer_csv]}
        ignored += [str(p) for p in parts]
    elif parts:
        found["fer2013"] = {"layout": "train/<class>, test/<class> image folders", "paths": parts}
    ck_dir, facs_dir = find(raw, "CK+48", is_dir=True), find(raw, "FACS", is_dir=True)
    ck_csv = find(raw, "ckextended.csv", is_dir=False)
    if ck_dir:
        found["ckplus"] = {"layout": "CK+48/<class> folders" + (" + FACS files" if facs_dir else ""),
                           "paths": [ck_dir] + ([facs_dir] if facs_dir else [])}
        if ck_csv:
            ignored.append(str(ck_csv))
    elif ck_csv:
        found["ckplus"] = {"layout": "ckextended.csv", "paths": [ck_csv]}
    rafd = sorted(p for p in raw.rglob("*") if p.name.lower().startswith("rafd") and p.is_file()
                  and p.suffix.lower() in IMAGE_EXTENSIONS)
    if rafd:
        found["rafd"] = {"layout": "Rafd<angle>_<subject>_..._<emotion>_<gaze> file names", "paths": rafd}
    for layout in found.values():
        paths = layout["paths"]
        layout["found"] = ", ".join(str(p.relative_to(raw)) for p in paths) if len(paths) <= 2 else \
            f"{len(paths)} files, the first {paths[0].relative_to(raw)}"
    used = [p for layout in found.values() for p in layout["paths"]]
    unused = [str(p) for p in data_entries(raw)
              if not any(u == p or p in u.parents for u in used) and str(p) not in ignored]
    return found, ignored, unused


def no_layout_error(raw: Path, entries: list[Path]) -> PipelineError:
    """The one-line error for a raw folder with files but no known layout."""
    names = [p.name + ("/" if p.is_dir() else "") for p in entries]
    listing = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    return PipelineError(f"{raw}: no known dataset layout; found {listing}; known layouts (names in any "
                         f"case, at the top or one folder down): {'; '.join(KNOWN_LAYOUTS)}. Move the "
                         f"files into one of these, or set data.demo.use: always for the demo dataset")


def files_not_read(source: str, layout: dict) -> list[str]:
    """Files inside an image-folder layout that are not images (so not read), e.g. a .gif or notes."""
    if layout["layout"] in ("fer2013.csv", "ckextended.csv") or source not in ("fer2013", "ckplus"):
        return []
    roots = layout["paths"] if source == "fer2013" else layout["paths"][:1]  # not the FACS folder
    return sorted(str(p) for root in roots for p in root.rglob("*")
                  if p.is_file() and p.suffix.lower() not in IMAGE_EXTENSIONS
                  and not p.name.startswith(".") and not p.name.lower().startswith(NOT_DATA))
