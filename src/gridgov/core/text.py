"""Checks of free text that every app's actions share.

Control characters have no place in what people type: at best they are invisible noise,
at worst they break the answer (XML) or the write itself (PostgreSQL refuses NUL in text
outright, a 500 instead of a clear refusal). Line breaks and tabs are text, and so is the
carriage return a browser puts before every line break of a ``<textarea>``.
"""

from __future__ import annotations

import re

# C0 controls other than tab, line feed and carriage return; DEL; C1 controls.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a control character other than a line break or a tab."""
    return CONTROL_CHARACTERS.search(text) is not None


def without_control_characters(text: str) -> str:
    """``text`` with its control characters (other than line breaks and tabs) removed,
    for text nobody typed for us to refuse, e.g. the name of an uploaded file."""
    return CONTROL_CHARACTERS.sub("", text)
