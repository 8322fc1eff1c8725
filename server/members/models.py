"""Members and their history of moves between branches."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import UTCDateTime, db, utcnow
from server.members.privacy import mask_id_card, mask_phone
from server.orgs.models import Organisation, enum_column


class Gender(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"


class MemberStatus(enum.StrEnum):
    PROBATIONARY = "probationary"
    FULL = "full"


class DuesCategory(enum.StrEnum):
    EMPLOYED = "employed"
    RETIRED = "retired"
    STUDENT = "student"
    UNEMPLOYED = "unemployed"  # laid off, or on relief / minimum allowance (低保)
    FARMER = "farmer"


GENDER_LABELS = {Gender.MALE: "男", Gender.FEMALE: "女"}
STATUS_LABELS = {MemberStatus.PROBATIONARY: "预备党员", MemberStatus.FULL: "正式党员"}
DUES_CATEGORY_LABELS = {
    DuesCategory.EMPLOYED: "在职",
    DuesCategory.RETIRED: "离退休",
    DuesCategory.STUDENT: "学生",
    DuesCategory.UNEMPLOYED: "失业/低保",
    DuesCategory.FARMER: "农民",
}
EDUCATION_CHOICES = ("研究生", "大学本科", "大学专科", "中等专科", "高中", "初中及以下")


class Member(db.Model):
    __tablename__ = "members"
    __table_args__ = (
        sa.CheckConstraint("dues_base_fen >= 0", name="dues_base_not_negative"),
        sa.CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
        sa.CheckConstraint(
            "full_member_date IS NULL OR join_date IS NULL OR full_member_date >= join_date",
            name="full_after_join",
        ),
        # Both lead with org_id, so no separate org_id index: one serves pages by name, the other
        # counts by status as index-only scans (bench/README.md has the figures).
        sa.Index("ix_members_org_sort", "org_id", "name_sort"),
        sa.Index("ix_members_org_status", "org_id", "status"),
    )
    __audited__ = True
    __audit_entity__ = "member"
    __audit_masked__: ClassVar[dict] = {"id_card": mask_id_card, "phone": mask_phone}
    __audit_ignore__ = ("name_sort", "updated_at")

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: full name as on the ID card
    name: Mapped[str] = mapped_column(sa.String(32))
    #: pinyin of the name, the order a secretary expects names in
    name_sort: Mapped[str] = mapped_column(sa.String(128), index=True)
    #: 性别
    gender: Mapped[Gender] = mapped_column(enum_column(Gender, "gender"))
    #: 民族
    ethnicity: Mapped[str] = mapped_column(sa.String(16), default="汉族")
    #: 出生日期
    birth_date: Mapped[date | None]
    #: mobile phone, 11 digits; matched when a member binds with their WeChat phone number
    phone: Mapped[str | None] = mapped_column(sa.String(11), index=True)
    #: resident ID-card number, 18 characters; personal data, masked when shown
    id_card: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    #: highest education
    education: Mapped[str | None] = mapped_column(sa.String(16))
    #: 工作单位
    work_unit: Mapped[str | None] = mapped_column(sa.String(100))
    #: 职务
    position: Mapped[str | None] = mapped_column(sa.String(50))
    #: 入党日期: the day the branch meeting accepted them as a probationary member
    join_date: Mapped[date | None]
    #: 转正日期: the day they became a full member
    full_member_date: Mapped[date | None]
    #: probationary or full member
    status: Mapped[MemberStatus] = mapped_column(enum_column(MemberStatus, "member_status"))
    #: decides the dues rate (see the dues rules)
    dues_category: Mapped[DuesCategory] = mapped_column(enum_column(DuesCategory, "dues_category"))
    #: monthly income base for dues, in fen (1 yuan = 100 fen), set by the secretary
    dues_base_fen: Mapped[int] = mapped_column(default=0)
    #: the branch the member belongs to
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    #: optional party group inside that branch
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    #: when the record was created (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: last change (UTC)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    org: Mapped[Organisation] = relationship(foreign_keys=[org_id])
    group: Mapped[Organisation | None] = relationship(foreign_keys=[group_id])

    def __repr__(self) -> str:
        return f"<Member {self.id} {self.name}>"

    @property
    def masked_phone(self) -> str | None:
        return mask_phone(self.phone) if self.phone else None

    @property
    def masked_id_card(self) -> str | None:
        return mask_id_card(self.id_card) if self.id_card else None

    def audit_label(self) -> str:
        return self.name

    def audit_org_id(self) -> int | None:
        return self.org_id


class MemberTransfer(db.Model):
    """A move between branches inside the system; the member's own records stay attached to them."""

    __tablename__ = "member_transfers"
    __audited__ = True
    __audit_entity__ = "member_transfer"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: who moved
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    #: branch they left
    from_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    #: branch they joined
    to_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    #: why, as the secretary wrote it
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    #: when (UTC)
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: 党费缴至: the month (its first day) to which dues were paid when they moved, as the transfer
    #: letter states it; filled by the dues package (server/dues/bills.py) when the transfer is saved
    dues_paid_to_month: Mapped[date | None]

    from_org: Mapped[Organisation] = relationship(foreign_keys=[from_org_id])
    to_org: Mapped[Organisation] = relationship(foreign_keys=[to_org_id])

    def audit_label(self) -> str:
        return f"member #{self.member_id}"

    def audit_org_id(self) -> int | None:
        # The sending branch: the receiving one sees the member's own entry naming the new branch.
        return self.from_org_id


class ImportStatus(enum.StrEnum):
    QUEUED = "queued"
    VALIDATING = "validating"
    IMPORTING = "importing"
    DONE = "done"
    FAILED = "failed"


class MemberImport(db.Model):
    """An Excel import run as a job: all rows or none, with progress and per-row errors."""

    __tablename__ = "member_imports"
    __table_args__ = (
        sa.CheckConstraint("processed_rows >= 0 AND processed_rows <= total_rows", name="progress_in_range"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: admin who uploaded it
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_users.id", ondelete="SET NULL"))
    #: the subtree rows may be imported into (the uploader's scope at upload time)
    scope_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id", ondelete="SET NULL"))
    #: original file name, for the secretary's list
    filename: Mapped[str] = mapped_column(sa.String(200))
    #: the uploaded workbook; kept in the database so a worker on any machine can read it
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    #: where the job is
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus, "import_status"), default=ImportStatus.QUEUED
    )
    #: data rows in the sheet
    total_rows: Mapped[int] = mapped_column(default=0)
    #: rows checked so far
    processed_rows: Mapped[int] = mapped_column(default=0)
    #: members created (0 unless done)
    created_count: Mapped[int] = mapped_column(default=0)
    #: per-row problems: [{"row": 5, "column": "身份证号", "message": "..."}]
    errors: Mapped[list | None] = mapped_column(sa.JSON)
    #: a failure that is not about one row (unreadable file, wrong headers)
    message: Mapped[str | None] = mapped_column(sa.String(500))
    #: when uploaded (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the job ended (UTC)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: how many times a worker has taken it; only the latest taker may write (see imports.claim)
    attempt: Mapped[int] = mapped_column(default=0, server_default="0")
    #: past this (UTC), the queued or running import is presumed lost and queued again
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)
