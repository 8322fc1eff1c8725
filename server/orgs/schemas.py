from marshmallow import Schema, fields, validate

from server.orgs.models import OrgKind
from server.schema_fields import RecordId

_name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class OrgCreateSchema(Schema):
    name = _name
    kind = fields.Enum(OrgKind, by_value=True, required=True)
    parent_id = RecordId(required=True)


class OrgRenameSchema(Schema):
    name = _name


class OrgMoveSchema(Schema):
    parent_id = RecordId(required=True)


class OrgShiftSchema(Schema):
    direction = fields.String(required=True, validate=validate.OneOf(("up", "down")))
    #: the page to return to: the tree, or the organisation's own page
    back = fields.String(load_default="tree", validate=validate.OneOf(("tree", "detail")))
