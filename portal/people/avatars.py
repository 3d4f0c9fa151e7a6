"""Avatars: a picture generated from the member's id and name, or an uploaded PNG, JPEG or WebP.

Generated avatars are small SVG documents built here from escaped initials and a colour, so
they go into pages as data: URIs (no request per face). Uploaded files are recognized by their
first bytes, never by the name or type the browser claims, and SVG is never accepted: an
uploaded SVG could carry script.
"""

import base64
import hashlib
from html import escape

# Background colours with white text at a contrast of at least 4.5:1.
_COLOURS = ("#1d4ed8", "#047857", "#b91c1c", "#7c3aed", "#9a3412", "#0f766e", "#be185d", "#374151")

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def initials(name: str) -> str:
    words = [word for word in name.replace("-", " ").split() if word[:1].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


def generated_svg(user_id: int | None, name: str) -> str:
    """A circle in a colour picked from the member's id, with their initials; the same every time."""
    if user_id is None:
        colour, text = "#6b7280", "?"
    else:
        digest = hashlib.sha256(str(user_id).encode()).digest()
        colour, text = _COLOURS[digest[0] % len(_COLOURS)], initials(name)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">'
        f'<circle cx="32" cy="32" r="32" fill="{colour}"/>'
        '<text x="32" y="33" text-anchor="middle" dominant-baseline="middle" '
        'font-family="system-ui, sans-serif" font-size="26" font-weight="600" fill="#ffffff">'
        f"{escape(text)}</text></svg>"
    )


def generated_data_uri(user_id: int | None, name: str) -> str:
    encoded = base64.b64encode(generated_svg(user_id, name).encode()).decode()
    return f"data:image/svg+xml;base64,{encoded}"


def sniff_image(data: bytes) -> str | None:
    """The content type of a PNG, JPEG or WebP file from its first bytes; None for anything else."""
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None
