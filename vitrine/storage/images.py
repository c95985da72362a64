"""Image files addressed by content: data_dir/images/ab/cd/<sha256>.<ext>.

The same bytes always land at the same path, so re-imports and duplicate photos cost nothing.
A `batch()` remembers the files it created and deletes them if the surrounding load fails, so a
failed import leaves the image folder exactly as it was. A process killed mid-load cannot clean
up, so a batch first writes each path it is about to create into a journal,
images/.pending/<pid>-<random>.txt, and deletes the journal when the load ends; the next load
(`Store.sweep_pending`) deletes the files a dead process's journal lists that no row points to.
Files are written with the permissions the umask allows (0666 & ~umask), as `open()` would.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image as PILImage

FORMAT_EXT = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif", "BMP": "bmp"}
MAX_PIXELS = 40_000_000  # refuse decompression bombs


class UnreadableImage(ValueError):
    """Bytes that are not an image Pillow can decode (or one absurdly large)."""


@dataclass(frozen=True)
class StoredImage:
    sha256: str
    path: str  # relative to the data directory
    width: int
    height: int
    format: str


class TooManyPixels(UnreadableImage):
    """A picture larger than the caller's pixel bound (read from its header, before decoding)."""


def inspect(data: bytes, max_pixels: int = MAX_PIXELS) -> tuple[int, int, str]:
    """(width, height, format) of encoded image bytes, fully decoded to catch truncated files; a
    picture over `max_pixels` is refused from its header, before its pixels are decoded."""
    try:
        with PILImage.open(io.BytesIO(data)) as im:
            fmt = im.format or ""
            if im.width * im.height > max_pixels:
                raise TooManyPixels(f"{im.width}×{im.height} = {im.width * im.height:,} pixels; "
                                    f"at most {max_pixels:,}")
            im.load()
            width, height = im.size
    except UnreadableImage:
        raise
    except Exception as exc:  # Pillow raises many types for bad data
        raise UnreadableImage(str(exc) or type(exc).__name__) from exc
    if fmt not in FORMAT_EXT:
        raise UnreadableImage(f"unsupported image format {fmt or 'unknown'}")
    return width, height, fmt


def encode_png(pixels) -> bytes:
    """Deterministic PNG bytes of an (H, W, 3) uint8 array."""
    buffer = io.BytesIO()
    PILImage.fromarray(pixels).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


PENDING_DIR = ".pending"


def _file_mode() -> int:
    """0666 masked by the process umask (read without changing it for good)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _create_in(folder: Path, create, tries: int = 5):
    """`create()` a file in `folder`, making the folder when it is missing. Another process's batch
    removes the folders it leaves empty when it ends (finish, rollback), which can fall between
    this mkdir and the create, or inside the mkdir (pathlib sees the folder exist, then finds it
    gone). A folder holding the new file is never empty, so a later try holds."""
    for _ in range(tries - 1):
        try:
            return create()
        except FileNotFoundError:  # never made, or removed by another batch
            with suppress(FileExistsError):  # it existed, then was gone
                folder.mkdir(parents=True, exist_ok=True)
    return create()


@dataclass
class ImageBatch:
    store: "ImageStore"
    created: list[Path] = field(default_factory=list)
    journal: Path | None = None

    def _note(self, *paths: Path) -> None:
        """Record paths in the journal before they exist, so a kill leaves a list of what to sweep."""
        if self.journal is None:
            self.journal = self.store.root / "images" / PENDING_DIR / f"{os.getpid()}-{secrets.token_hex(6)}.txt"
        with _create_in(self.journal.parent, lambda: open(self.journal, "a")) as f:
            f.write("".join(f"{p.relative_to(self.store.root).as_posix()}\n" for p in paths))

    def put(self, data: bytes) -> StoredImage:
        width, height, fmt = inspect(data)
        return self.put_verified(data, width, height, fmt)

    def put_verified(self, data: bytes, width: int, height: int, fmt: str) -> StoredImage:
        """Store bytes already known to be a valid image (our own renders skip the decode)."""
        sha = hashlib.sha256(data).hexdigest()
        rel = Path("images") / sha[:2] / sha[2:4] / f"{sha}.{FORMAT_EXT[fmt]}"
        target = self.store.root / rel
        if not target.exists():
            tmp = target.with_name(f".tmp-{os.getpid()}-{secrets.token_hex(4)}-{target.name}")
            self._note(tmp, target)
            fd = _create_in(target.parent, lambda: os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _file_mode()))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)  # atomic: a reader never sees half a file
            self.created.append(target)
        return StoredImage(sha, rel.as_posix(), width, height, fmt)

    def rollback(self) -> None:
        for path in reversed(self.created):
            path.unlink(missing_ok=True)
            for folder in (path.parent, path.parent.parent, path.parent.parent.parent):  # cd/, ab/, images/ once empty
                try:
                    folder.rmdir()
                except OSError:
                    break
        self.created.clear()
        self.finish()

    def finish(self) -> None:
        """The load ended (committed or rolled back): its journal is no longer needed."""
        if self.journal is not None:
            self.journal.unlink(missing_ok=True)
            for folder in (self.journal.parent, self.journal.parent.parent):  # .pending/, then images/, once empty
                try:
                    folder.rmdir()
                except OSError:
                    break
            self.journal = None


class ImageStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    @contextmanager
    def batch(self):
        batch = ImageBatch(self)
        try:
            yield batch
        except BaseException:
            batch.rollback()
            raise
        batch.finish()

    @staticmethod
    def journal_entries(journal: Path) -> list[str]:
        """The relative paths a journal lists (a file removed meanwhile lists nothing)."""
        try:
            return [line for line in journal.read_text().split("\n") if line]
        except FileNotFoundError:
            return []

    def pending_journals(self) -> list[Path]:
        """The journals of loads under way or killed. Another process's load removes the folder when
        its last journal goes (finish), which can fall inside the listing: then there are none."""
        try:
            with os.scandir(self.root / "images" / PENDING_DIR) as entries:
                return sorted(Path(e.path) for e in entries if e.name.endswith(".txt"))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def files(self) -> list[Path]:
        """Every file under images/ except the journals (temporary files included)."""
        folder = self.root / "images"
        if not folder.is_dir():
            return []
        return [p for p in folder.rglob("*") if p.is_file() and PENDING_DIR not in p.relative_to(folder).parts]

    def inside(self, rel_path: str) -> bool:
        """Whether a stored relative path stays inside the images folder."""
        try:
            self.resolve(rel_path)
        except ValueError:
            return False
        return True

    def resolve(self, rel_path: str) -> Path:
        """Absolute path of a stored image; refuses anything outside the images folder."""
        base = (self.root / "images").resolve()
        if "\x00" in rel_path:
            raise ValueError(f"image path {rel_path!r} contains a NUL byte")
        path = (self.root / rel_path).resolve()
        if not path.is_relative_to(base):
            raise ValueError(f"image path {rel_path!r} lies outside {base}")
        return path
