"""Files a killed load left behind, orphan and missing image files, the database's own integrity
checks: what `vitrine store check` reports and `--repair` removes."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, func, select

from vitrine.storage import schema


@dataclass
class CheckResult:
    """What `Store.check` found; `repaired` lists what it removed."""

    orphan_files: list[str] = field(default_factory=list)
    temporary_files: list[str] = field(default_factory=list)
    stale_journals: list[str] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    database: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def problems(self) -> int:
        removed = set(self.repaired)
        leftover = [p for p in self.orphan_files + self.temporary_files + self.stale_journals if p not in removed]
        return len(leftover) + len(self.missing_files) + len(self.database)


def _alive(journal: Path) -> bool:
    """Whether the process that wrote this journal (its name starts with the pid) still runs."""
    try:
        pid = int(journal.name.split("-", 1)[0])
    except ValueError:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class FileHygiene:
    """The Store's part that keeps image files and rows in step."""

    def _referenced_paths(self, conn: Connection) -> set[str]:
        paths = set(conn.execute(select(schema.Image.path)).scalars())
        return paths | set(conn.execute(select(schema.GeneratedImage.path)).scalars())

    def sweep_pending(self) -> list[str]:
        """Delete the files listed in a dead process's journal that no row points to."""
        journals = [j for j in self.images.pending_journals() if not _alive(j)]
        if not journals:
            return []
        with self.engine.connect() as conn:
            referenced = self._referenced_paths(conn)
        removed = []
        for journal in journals:
            for rel in self.images.journal_entries(journal):
                if rel not in referenced and self.images.inside(rel):
                    path = self.data_dir / rel
                    if path.exists():
                        path.unlink()
                        removed.append(rel)
            journal.unlink(missing_ok=True)
        return removed

    def prune_images(self) -> int:
        """Delete image files no row points to (after a rebuild replaced the rows); returns how many."""
        return len(self.check(repair=True, database=False).repaired)

    def check(self, repair: bool = False, database: bool = True) -> CheckResult:
        """Orphan and temporary image files, dead journals, rows whose file is missing, and the
        database's own integrity checks. `repair` deletes the orphans, temporaries and journals;
        files a running load is writing are left alone."""
        result = CheckResult()
        live = {j for j in self.images.pending_journals() if _alive(j)}
        in_flight = {rel for j in live for rel in self.images.journal_entries(j)}  # a running load's files
        with self.engine.connect() as conn:
            referenced = self._referenced_paths(conn)
            result.database = self._integrity(conn) if database else []
        for path in self.images.files():
            rel = path.relative_to(self.data_dir).as_posix()
            if rel in in_flight:
                continue
            if path.name.startswith(".tmp-"):
                result.temporary_files.append(rel)
            elif rel not in referenced:
                result.orphan_files.append(rel)
        result.stale_journals = [j.relative_to(self.data_dir).as_posix()
                                 for j in self.images.pending_journals() if j not in live]
        result.missing_files = sorted(rel for rel in referenced if not (self.data_dir / rel).is_file())
        if repair:
            for rel in result.orphan_files + result.temporary_files + result.stale_journals:
                (self.data_dir / rel).unlink(missing_ok=True)
                result.repaired.append(rel)
        return result

    def _integrity(self, conn: Connection) -> list[str]:
        problems = []
        if self.engine.dialect.name == "sqlite":
            verdict = conn.exec_driver_sql("PRAGMA integrity_check").scalars().all()
            problems += [f"integrity_check: {v}" for v in verdict if v != "ok"]
            for row in conn.exec_driver_sql("PRAGMA foreign_key_check").all():
                problems.append(f"foreign key: {row[0]} row {row[1]} points to a missing {row[2]} row")
        else:  # the same reference checks, in SQL any database runs
            i, it, u, im, li = (schema.Interaction.__table__, schema.Item.__table__, schema.User.__table__,
                                schema.Image.__table__, schema.ItemImage.__table__)
            for label, query in (
                    ("interactions → items", select(func.count()).select_from(i).where(i.c.item_id.not_in(select(it.c.id)))),
                    ("interactions → users", select(func.count()).select_from(i).where(i.c.user_id.not_in(select(u.c.id)))),
                    ("item_images → images", select(func.count()).select_from(li)
                     .where(li.c.image_sha256.not_in(select(im.c.sha256))))):
                n = conn.execute(query).scalar_one()
                if n:
                    problems.append(f"foreign key: {n} {label} references are missing")
        return problems
