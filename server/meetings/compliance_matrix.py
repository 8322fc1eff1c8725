"""The compliance report laid out to be read at a glance: branches × periods of one quarter.

Each required kind gets the columns of its frequency inside the quarter (three months, the quarter, or
the year the quarter is in); each cell is one state. A branch's party groups share its row: their
group-meeting cell is the worst state among the groups, and says which groups are behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from server.meetings.compliance_report import BranchReport, Requirement, subtree_compliance
from server.meetings.compliance_rules import FREQUENCY_LABELS, Period, State, meeting_frequencies, periods_between
from server.meetings.models import MEETING_KIND_LABELS, MeetingKind
from server.orgs.models import Organisation

#: the state a row's cell takes when its party groups differ: what needs doing shows first
_WORST_FIRST = (State.MISSING, State.NOT_DUE, State.BACKFILLED, State.HELD, State.BEFORE)


@dataclass(frozen=True)
class Column:
    kind: MeetingKind
    period: Period
    #: today falls in this period
    current: bool


@dataclass(frozen=True)
class KindHeading:
    kind: MeetingKind
    label: str
    frequency: str
    span: int


@dataclass
class Cell:
    column: Column
    #: one requirement, or one per party group for group meetings
    requirements: list[Requirement]

    @property
    def state(self) -> State:
        states = {requirement.state for requirement in self.requirements}
        return next(state for state in _WORST_FIRST if state in states)

    @property
    def behind(self) -> list[Requirement]:
        """The requirements (party groups) that hold the cell in its state, when it is missing or not due."""
        return [requirement for requirement in self.requirements if requirement.state is self.state]

    @property
    def notes(self) -> list[str]:
        return [note for requirement in self.requirements for note in requirement.notes]

    @property
    def backfilled(self) -> int:
        """补录 meetings among those held: said on the cell even when on-time ones met the requirement."""
        return sum(requirement.backfilled for requirement in self.requirements)

    @property
    def to_schedule(self) -> bool:
        """A meeting still to be held: missing, or not yet held in the period under way."""
        return self.state is State.MISSING or (self.state is State.NOT_DUE and self.column.current)


@dataclass
class Row:
    branch: Organisation
    #: aligned with :attr:`Matrix.columns`; None where the branch has nothing to hold (no party groups)
    cells: list[Cell | None]
    committee_size: int

    @property
    def missing(self) -> list[Cell]:
        return [cell for cell in self.cells if cell is not None and cell.state is State.MISSING]

    @property
    def notes(self) -> list[str]:
        return list(dict.fromkeys(note for cell in self.cells if cell is not None for note in cell.notes))


@dataclass
class Matrix:
    quarter: Period
    today: date
    headings: list[KindHeading]
    columns: list[Column]
    rows: list[Row]

    def count(self, state: State) -> int:
        return sum(1 for row in self.rows for cell in row.cells if cell is not None and cell.state is state)

    @property
    def has_committee(self) -> bool:
        """支委会 is required here, so whether each branch's committee is on record matters."""
        return any(heading.kind is MeetingKind.BRANCH_COMMITTEE for heading in self.headings)

    @property
    def failing(self) -> list[Row]:
        return [row for row in self.rows if row.missing]


def compliance_matrix(scope_path: str, quarter: Period, today: date) -> Matrix:
    """Every live branch of the subtree at ``scope_path`` against the periods of ``quarter``."""
    columns, headings = _columns(quarter, today)
    reports = subtree_compliance(scope_path, quarter.start, quarter.end, today=today)
    return Matrix(quarter, today, headings, columns, [_row(report, columns) for report in reports])


def _columns(quarter: Period, today: date) -> tuple[list[Column], list[KindHeading]]:
    columns, headings = [], []
    for kind, frequency in meeting_frequencies().items():
        periods = periods_between(frequency, quarter.start, quarter.end)
        columns += [Column(kind, period, period.contains(today)) for period in periods]
        headings.append(KindHeading(kind, MEETING_KIND_LABELS[kind], FREQUENCY_LABELS[frequency], len(periods)))
    return columns, headings


def _row(report: BranchReport, columns: list[Column]) -> Row:
    by_column: dict[tuple[MeetingKind, date], list[Requirement]] = {}
    for requirement in report.requirements:
        by_column.setdefault((requirement.kind, requirement.period_start), []).append(requirement)
    cells = []
    for column in columns:
        requirements = by_column.get((column.kind, column.period.start))
        cells.append(Cell(column, requirements) if requirements else None)
    return Row(report.branch, cells, report.committee_size)
