"""The shape of an @mention, shared by the Markdown renderer and portal/mentions.py."""

import re

# Not after a letter, digit, '@', '/' or '.', so that emails and addresses are not mentions.
MENTION = re.compile(r"(?<![\w@/.])@([a-z0-9][a-z0-9_-]{2,31})\b(?![@-])", re.IGNORECASE)
