"""The events of a large import read in a child process while the parent parses and writes the messages.

    >>> from tradeshield.chat.background import EventsProcess
    >>> bg = EventsProcess("ab" * 32, {"role": "seller", "me": None})     # doctest: +SKIP
    >>> bg.send(records); ...; lines, counts = bg.recv()                  # doctest: +SKIP

The conversation reader (``events.find_event_lines``) is most of a chat import's CPU time, and parsing cannot
start a batch's reading earlier than its records exist: on two cores the parent parses, formats and writes
``chat.jsonl`` while the child reads the events of the batches already parsed, in order, with one dialogue state
(the same calls, in the same order, as the parent would make: the same bytes). Records go to the child and event
lines come back through pipes (pickled; ~2 ms per 5,000-record batch). The child is forked before the import
starts any thread (``start`` is called first thing), so it inherits no lock a thread might hold; it loads the rules
itself, in parallel with the evidence copy. Only where ``fork`` exists and for large inputs (``MIN_BYTES``): a
typical dispute chat is read faster than a process starts. A bad rules file still raises its ``InputError`` in
the parent (at the first ``recv``); anything else the child raises comes back as a RuntimeError with its
traceback.
"""
from __future__ import annotations

import contextlib
import os
import sys

from tradeshield.errors import InputError

MIN_BYTES = 8 << 20      # ~60,000 messages: below this the events are read in the parent
MAX_AHEAD = 4            # batches sent and not yet read back (bounds the memory of both processes)


def wanted(path) -> bool:
    """Whether an import of ``path`` should read its events in a child process."""
    if os.environ.get("TRADESHIELD_CHAT_WORKER") == "0" or sys.platform == "win32" or not hasattr(os, "fork"):
        return False
    if os.environ.get("TRADESHIELD_CHAT_WORKER") == "1":
        return True
    try:
        return os.path.getsize(path) >= MIN_BYTES and (os.cpu_count() or 1) > 1
    except OSError:
        return False


class EventsProcess:
    """``send(sha, records)`` each batch in file order; ``recv()`` → (event lines, {kind: n}) of the oldest batch
    sent and not yet received. Queues with feeder threads on both sides: neither process blocks on a full pipe
    while the other is busy."""

    MAX_AHEAD = MAX_AHEAD

    def __init__(self, context: dict):
        import multiprocessing

        mp = multiprocessing.get_context("fork")
        self._jobs, self._results = mp.Queue(), mp.Queue()
        self.pending = 0
        self._proc = mp.Process(target=_child, args=(self._jobs, self._results, context), name="tradeshield-events",
                                daemon=True)
        self._proc.start()

    def send(self, sha: str, records: list) -> None:
        self._jobs.put((sha, records))
        self.pending += 1

    def ready(self) -> bool:
        return self.pending > 0 and not self._results.empty()

    def recv(self) -> tuple[bytes, dict]:
        import queue

        while True:
            try:
                tag, *rest = self._results.get(timeout=1)
                break
            except queue.Empty:
                if not self._proc.is_alive() and self._results.empty():
                    raise RuntimeError(f"the events process ended unexpectedly (exit code {self._proc.exitcode})") \
                        from None
        self.pending -= 1
        if tag == "ok":
            return rest[0], rest[1]
        if tag == "input":
            raise InputError(rest[0], **rest[1])
        raise RuntimeError("the events process failed:\n" + rest[0])

    def close(self) -> None:
        """Stop the child: after the last ``recv`` it reads the end mark and exits; with batches still pending
        (the import failed) it is killed. Nothing buffered for it is waited for."""
        if self.pending == 0 and self._proc.is_alive():
            with contextlib.suppress(OSError, ValueError):
                self._jobs.put(None)
            self._proc.join(10)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join()
        for q in (self._jobs, self._results):
            q.cancel_join_thread()      # the child is gone: what is left in the pipes is never read
            q.close()


def _child(jobs, results, context: dict) -> None:
    import gc
    import traceback
    from itertools import repeat
    from operator import add

    gc.disable()               # as the parent's import: the reader makes no reference cycles
    try:
        from tradeshield.chat.events import find_event_lines
        from tradeshield.chat.writer import _KEYS
        from tradeshield.conversation.reader import load_rules

        load_rules(None)       # compiled now, while the parent copies the evidence (as ``read_lines`` asks for it)
        ctx = {"state": {}, **context}
        while True:
            job = jobs.get()
            if job is None:
                break
            sha, recs = job
            msgs = list(map(dict, map(zip, repeat(_KEYS), map(add, recs, repeat((sha,))))))
            lines, counts = find_event_lines(msgs, **ctx)
            results.put(("ok", lines, counts))
    except InputError as e:
        results.put(("input", e.key, e.params))
    except BaseException:      # noqa: BLE001 — whatever it is, the parent reports it
        results.put(("crash", traceback.format_exc()))
    finally:
        results.close()
        results.join_thread()
