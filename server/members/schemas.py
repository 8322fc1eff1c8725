"""Marshmallow schemas for members: one input schema serves the admin forms, the API and Excel import."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from server.members.models import (
    DUES_CATEGORY_LABELS,
    EDUCATION_CHOICES,
    GENDER_LABELS,
    STATUS_LABELS,
    DuesCategory,
    Gender,
    MemberStatus,
)
from server.members.privacy import PHONE_RE, id_card_is_valid, normalise_id_card
from server.schema_fields import RecordId

MAX_DUES_BASE_YUAN = Decimal("1000000")


def yuan_to_fen(amount: Decimal) -> int:
    """Exact conversion of a yuan amount with at most two decimals to integer fen."""
    return int((amount * 100).to_integral_exact())


def fen_to_yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def _text(max_length: int, *, required: bool = False) -> fields.String:
    return fields.String(
        required=required,
        allow_none=not required,
        validate=validate.Length(min=1 if required else 0, max=max_length),
    )


class MemberInputSchema(Schema):
    """What a secretary enters for a member. Unknown fields are refused."""

    name = _text(32, required=True)
    gender = fields.Enum(Gender, by_value=True, required=True, error_messages={"unknown": "性别应为男或女"})
    ethnicity = fields.String(load_default="汉族", validate=validate.Length(min=1, max=16))
    birth_date = fields.Date(allow_none=True, load_default=None)
    phone = fields.String(allow_none=True, load_default=None)
    id_card = fields.String(allow_none=True, load_default=None)
    education = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.OneOf(EDUCATION_CHOICES, error="学历应为：" + "、".join(EDUCATION_CHOICES)),
    )
    work_unit = _text(100)
    position = _text(50)
    join_date = fields.Date(allow_none=True, load_default=None)
    full_member_date = fields.Date(allow_none=True, load_default=None)
    status = fields.Enum(
        MemberStatus, by_value=True, required=True, error_messages={"unknown": "党员状态应为正式党员或预备党员"}
    )
    dues_category = fields.Enum(
        DuesCategory, by_value=True, required=True, error_messages={"unknown": "党费类别不正确"}
    )
    # No ``places``: marshmallow would round 12.345 silently; we refuse it instead.
    dues_base_yuan = fields.Decimal(
        load_default=Decimal("0"),
        validate=validate.Range(min=0, max=MAX_DUES_BASE_YUAN, error="月缴费基数应在 0 到 1,000,000 元之间"),
    )
    org_id = RecordId(required=True)
    group_id = RecordId(allow_none=True, load_default=None)

    @validates("name")
    def _name(self, value: str, **_: object) -> None:
        if not value.strip():
            raise ValidationError("姓名不能为空")

    @validates("phone")
    def _phone(self, value: str | None, **_: object) -> None:
        if value and not PHONE_RE.match(value.strip()):
            raise ValidationError("手机号应为 11 位数字")

    @validates("id_card")
    def _id_card(self, value: str | None, **_: object) -> None:
        if value and not id_card_is_valid(normalise_id_card(value)):
            raise ValidationError("身份证号格式或校验位不正确")

    @validates("birth_date")
    def _birth_date(self, value: date | None, **_: object) -> None:
        if value and not date(1900, 1, 1) <= value <= date.today():
            raise ValidationError("出生日期不合理")

    @validates("dues_base_yuan")
    def _dues_base(self, value: Decimal, **_: object) -> None:
        if value.as_tuple().exponent < -2:  # type: ignore[operator]
            raise ValidationError("金额最多保留两位小数")

    @validates_schema
    def _dates_in_order(self, data: dict, **_: object) -> None:
        birth, joined, full = data.get("birth_date"), data.get("join_date"), data.get("full_member_date")
        if joined and joined > date.today():
            raise ValidationError("入党日期不能晚于今天", "join_date")
        if birth and joined and (joined.year - birth.year) < 18:
            raise ValidationError("入党时应年满 18 周岁", "join_date")
        if full and joined and full < joined:
            raise ValidationError("转正日期不能早于入党日期", "full_member_date")
        if data.get("status") is MemberStatus.FULL and joined and not full:
            raise ValidationError("正式党员请填写转正日期", "full_member_date")


class MemberUpdateSchema(MemberInputSchema):
    """An edit: every field optional; the branch changes only through a transfer."""

    class Meta:
        exclude = ("org_id",)


def clean_member_data(data: dict) -> dict:
    """Turn validated input into model attributes: trimmed text, normalised IDs, money in fen."""
    cleaned = {key: value.strip() if isinstance(value, str) else value for key, value in data.items()}
    if "id_card" in cleaned:
        cleaned["id_card"] = normalise_id_card(cleaned["id_card"]) if cleaned["id_card"] else None
    if "phone" in cleaned:
        cleaned["phone"] = cleaned["phone"] or None
    if "dues_base_yuan" in cleaned:
        cleaned["dues_base_fen"] = yuan_to_fen(cleaned.pop("dues_base_yuan"))
    return cleaned


class OrgBriefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class MemberProfileSchema(Schema):
    """A member's own record as the mini-program shows it; the ID-card number is masked."""

    id = fields.Integer()
    name = fields.String()
    gender = fields.Function(lambda m: GENDER_LABELS[m.gender])
    ethnicity = fields.String()
    # The register may lack any of these (an imported roster often does): null then.
    birth_date = fields.Date(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "the member's own phone number"})
    id_card = fields.String(attribute="masked_id_card", allow_none=True, metadata={"description": "masked"})
    education = fields.String(allow_none=True)
    work_unit = fields.String(allow_none=True)
    position = fields.String(allow_none=True)
    join_date = fields.Date(allow_none=True)
    full_member_date = fields.Date(allow_none=True)
    status = fields.Enum(MemberStatus, by_value=True)
    status_label = fields.Function(lambda m: STATUS_LABELS[m.status])
    dues_category = fields.Enum(DuesCategory, by_value=True)
    dues_category_label = fields.Function(lambda m: DUES_CATEGORY_LABELS[m.dues_category])
    dues_base_fen = fields.Integer(metadata={"description": "monthly dues base in fen"})
    branch = fields.Nested(OrgBriefSchema, attribute="org")
    group = fields.Nested(OrgBriefSchema, allow_none=True)
