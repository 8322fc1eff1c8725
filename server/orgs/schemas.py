from marshmallow import Schema, fields, validate

from server.orgs.models import OrgKind

_name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class OrgCreateSchema(Schema):
    name = _name
    kind = fields.Enum(OrgKind, by_value=True, required=True)
    parent_id = fields.Integer(required=True)


class OrgRenameSchema(Schema):
    name = _name


class OrgMoveSchema(Schema):
    parent_id = fields.Integer(required=True)
