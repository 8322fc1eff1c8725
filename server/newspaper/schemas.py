"""Mini-program schemas of the newspaper."""

from marshmallow import Schema, fields, validate


class IssueArticleSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    cover_url = fields.String(required=True, allow_none=True)
    read = fields.Boolean(required=True, metadata={"description": "I have opened it"})
    liked = fields.Boolean(required=True)


class IssueSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.Integer(required=True, metadata={"description": "第 N 期"})
    title = fields.String(required=True)
    org_name = fields.String(required=True, metadata={"description": "the publishing organisation"})
    published_at = fields.DateTime(required=True)
    articles = fields.List(fields.Nested(IssueArticleSchema), required=True)


class ArticleQuerySchema(Schema):
    share = fields.String(
        load_default=None,
        validate=validate.Length(max=64),
        metadata={"description": "the token of the forward the article was opened from"},
    )


class ArticleSchema(Schema):
    id = fields.Integer(required=True)
    issue_id = fields.Integer(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    cover_url = fields.String(required=True, allow_none=True)
    body_html = fields.String(required=True, metadata={"description": "sanitised HTML for rich-text"})
    likes = fields.Integer(required=True)
    liked = fields.Boolean(required=True)
    published_at = fields.DateTime(required=True)
    share_path = fields.String(required=True, metadata={"description": "what onShareAppMessage returns as path"})


class LikeSchema(Schema):
    liked = fields.Boolean(required=True)


class LikesSchema(Schema):
    likes = fields.Integer(required=True)
    liked = fields.Boolean(required=True)


class SharePathSchema(Schema):
    share_path = fields.String(required=True)
