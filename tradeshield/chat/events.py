"""Key events in a conversation, from the rules in ``data/chat_rules.toml`` (zh and en, editable without code).

    >>> from tradeshield.chat.events import find_events
    >>> from tradeshield.chat.model import Message
    >>> [e["kind"] for e in find_events([Message(None, "买家", "them", "能便宜50吗")], role="seller")]
    ['discount-request']
    >>> find_events([Message(None, "我", "me", "能便宜50吗")], role="seller")     # the seller does not ask that
    []

``find_events(messages, role=…, me=…)`` is the one entry point: it reads clause by clause, relative to the
case's role (``tradeshield.conversation.reader``, the ``[[kind]]`` tables of the rules file). A user copy of
the rules (``<config dir>/chat-rules.toml`` or ``TRADESHIELD_CHAT_RULES``) replaces the built-in one. (The old
trigger-word matcher lives on only as a benchmark baseline: ``bench/old_matcher.py``.)
"""
from __future__ import annotations

import os
from pathlib import Path

BUILTIN = Path(__file__).resolve().parent.parent / "data" / "chat_rules.toml"


def rules_path() -> Path:
    env = os.environ.get("TRADESHIELD_CHAT_RULES")
    if env:
        return Path(env)
    from tradeshield.config import user_config_dir

    user = user_config_dir() / "chat-rules.toml"
    return user if user.is_file() else BUILTIN


def find_events(messages, *, role: str | None = None, me: str | None = None, rules: str | None = None,
                progress=None, state: dict | None = None) -> list[dict]:
    """Events for ``Message`` objects (or dicts with the same fields), in the order given (oldest first).

    The one entry point the chat pipeline calls (``writer.Writer``, a batch of message dicts at a time).
    ``role``: the case's role ("seller"/"buyer"): kinds are checked against the speaker's side (a discount
    request comes from the buyer). ``me``: the user's name, for messages that carry no role. ``state``: a dict
    the caller passes again with the next batch, so the dialogue (who asked what before) carries across batches.
    """
    from tradeshield.conversation.reader import read_conversation

    return read_conversation(messages, role=role, me=me, rules=rules, progress=progress, state=state)


def find_event_lines(messages, *, role: str | None = None, me: str | None = None, rules: str | None = None,
                     state: dict | None = None) -> tuple[bytes, dict]:
    """``find_events`` as the chat writer stores them: (one JSON line per event, "time" first, each ending in a
    line break — the bytes of ``json.dumps({"time": ev["time"], **ev}, ensure_ascii=False, separators=(",", ":"))``
    —, {kind: count} in the order the kinds first occur). ``messages``: a list of message dicts, or of the
    writer's records with their source as tuples (``chat.writer._KEYS``: time, sender, role, text, line_start,
    line_end, source — the same events as the dicts with those keys, without making the dicts)."""
    from tradeshield.conversation.reader import read_lines

    return read_lines(messages, role=role, me=me, rules=rules, state=state)
