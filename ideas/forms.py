"""Idea and comment input, checked field by field."""

from starlette.datastructures import FormData

from portal.forms import Form
from portal.markdown import render_markdown

TITLE_MAX = 200
BODY_MAX = 20000
COMMENT_MAX = 10000


def parse_idea(formdata: FormData) -> Form:
    form = Form.from_formdata(formdata)
    form.text("title", label="Title", min_length=5, max_length=TITLE_MAX)
    body = form.text("body", label="Description", required=False, max_length=BODY_MAX, multiline=True)
    form.data["body_html"] = render_markdown(body)
    return form


def parse_comment(formdata: FormData) -> Form:
    form = Form.from_formdata(formdata)
    body = form.text("body", label="Comment", max_length=COMMENT_MAX, multiline=True)
    form.data["body_html"] = render_markdown(body)
    return form
