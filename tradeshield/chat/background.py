"""The events of a large import read on both cores: by a forked child and, when the child has work queued, by
the importing process itself, with the result the same bytes as one reading of the whole chat in order.

    >>> from tradeshield.chat.background import SplitReader
    >>> ev = SplitReader({"role": "seller", "me": None})               # doctest: +SKIP
    >>> ev.add(sha, records); writer.write(records, events=False)     # doctest: +SKIP
    >>> for lines, counts in ev.ready(): ...                           # doctest: +SKIP
    >>> for lines, counts in ev.finish(): ...                          # doctest: +SKIP

The conversation reader (``events.find_event_lines``) is most of a chat import's CPU time. With one child
reading every batch while the parent parses, formats and writes, the child was the critical path (on the bench's
200,000 WhatsApp messages ~5 s of reading against ~1.8 s of parsing and writing: the parent idled half the
import). So the parent reads some batches itself — whenever the child already has ``BUSY`` batches queued —
and each reader starts such a batch from a GUESSED dialogue state: the latest state known to be right plus the
last ``WARM`` messages before the batch read again (a reply, a refusal after a request, a trade context look
only a few messages back; the kinds each side made so far only grow and are soon all there). Every batch's
result carries the state it started from and the one it ended in (``reader.dialogue_state``: everything the
reader carries from one message to the next, caches left out), and results are taken strictly in file order:
a batch whose starting state is not the state the batch before it really ended in is read again, here, from
that state — and the child is told the right state with its next batch. Reading is a function of the rules,
that state and the messages, so the bytes are those of one reading in order (``tests/test_reader_engine.py``
compares them under random splits, with forced wrong guesses). At the end the parent takes back the batches the
child has not started (``finish``) and both read them, cut into pieces, from either end, so neither waits long for
the other; an idle child can also run one more
function of paths for the import (``call``: writing the merged events file while the parent writes the messages).

Records go to the child and event lines come back through pipes (pickled; ~2 ms per 5,000-record batch). The
child is forked before the import starts any thread (``SplitReader`` is made first thing), so it inherits no
lock a thread might hold; it loads the rules itself, in parallel with the evidence copy. Only where ``fork``
exists, with more than one core, and for large inputs (``MIN_BYTES``): a typical dispute chat is read faster
than a process starts. A bad rules file still raises its ``InputError`` in the parent; anything else the child
raises comes back as a RuntimeError with its traceback.
"""
from __future__ import annotations

import contextlib
import os
import sys
from collections import deque

from tradeshield.errors import InputError

MIN_BYTES = 8 << 20      # ~60,000 messages: below this the events are read in the parent
MAX_AHEAD = 4            # batches sent to the child and not yet read back (bounds the memory of both processes)
BUSY = 3                 # the child has this many batches queued: the parent reads the next one itself
WARM = 32                # messages before a batch read again to guess the dialogue state it starts in (the reader
                         # looks back 5 messages and at each side's last 3; 128 cost ~2 % of the reading, no fewer redos)
PIECE = 1000             # at the end, the batches taken back from the child are cut into pieces this long


def wanted(path) -> bool:
    """Whether an import of ``path`` should read its events on two cores."""
    if os.environ.get("TRADESHIELD_CHAT_WORKER") == "0" or sys.platform == "win32" or not hasattr(os, "fork"):
        return False
    if os.environ.get("TRADESHIELD_CHAT_WORKER") == "1":
        return True
    try:
        return os.path.getsize(path) >= MIN_BYTES and (os.cpu_count() or 1) > 1
    except OSError:
        return False


def read_batch(sha: str, recs: list, state: dict, context: dict) -> tuple[bytes, dict]:
    """A batch of writer records (``writer._KEYS`` without the source) → (event lines, {kind: n}), reading on from
    ``state``."""
    from itertools import repeat
    from operator import add

    from tradeshield.chat.events import find_event_lines

    return find_event_lines(list(map(add, recs, repeat((sha,)))), **context, state=state)


def _guess(base: dict, cache: dict, sha: str, warm: list, context: dict) -> dict:
    """A reading state to start a batch with: ``base`` (a ``dialogue_state``) read on over the ``warm`` records
    before the batch (their events thrown away); ``cache`` is the reader's per-text cache to keep using."""
    import copy

    state = copy.deepcopy(base) if base is not None else {}     # None: the state a conversation starts in
    state["cache"] = cache
    if warm:
        read_batch(sha, warm, state, context)
    return state


class _Slot:
    __slots__ = ("k", "sha", "recs", "child", "after", "result", "start", "end")

    def __init__(self, k, sha, recs, child):
        self.k, self.sha, self.recs, self.child = k, sha, recs, child
        self.after = None       # a child batch read on from the child's own state: the child's slot before it
        self.result = None      # (lines, counts)
        self.start = self.end = None    # dialogue states it started from and ended in, as read


class SplitReader:
    """``add(sha, records)`` each batch in file order (then the caller may write the batch's messages: the
    parent's own reading waits for the next ``ready``); ``ready()`` → the (event lines, {kind: n}) of the oldest
    batches whose events are known, in order; ``finish()`` → the rest. ``busy``/``warm``, and ``local`` (a
    function (batch number, batches queued at the child) → read it here?), are for tests."""

    def __init__(self, context: dict, *, busy: int = BUSY, warm: int = WARM, local=None, piece: int = PIECE):
        import multiprocessing

        mp = multiprocessing.get_context("fork")
        self._jobs, self._results = mp.Queue(), mp.Queue()
        self.context = dict(context)
        self.busy, self.warm, self.local, self.piece = busy, warm, local, piece
        self.pending = 0             # batches at the child not yet received
        self.slots: deque = deque()  # batches added and not yet returned, in file order
        self.todo: list = []         # (slot, warm-up records) the parent reads itself at the next ``ready``
        # the dialogue state the last returned batch really ended in (None: none returned yet — the conversation's
        # start; the reader is imported after the fork, by each process, while the evidence is copied) …
        self.true = None
        self.done = 0                # … and the number of batches returned
        self.cache: dict = {}        # the parent's per-text reader cache
        self.reset = False           # the child's own state may be wrong: send the right one with its next batch
        self.child_last = None       # the child's latest slot
        self.sent: deque = deque()   # the child's slots not yet received, in the order they were sent
        self.prev_recs: list = []    # the batch added before this one (its last records warm a guess up)
        self.n = 0
        self.redone = 0              # batches read again: their guessed start was wrong (tests, bench)
        self.local_n = 0             # batches the parent read
        self.stolen = 0              # of those, batches sent to the child and taken back (``finish``)
        self.shared = 0              # pieces of those sent back to the child (``_share``)
        self._stopped = False        # the end mark is sent (``stop``)
        self._proc = mp.Process(target=_child, args=(self._jobs, self._results, self.context),
                                name="tradeshield-events", daemon=True)
        self._proc.start()

    def add(self, sha: str, recs: list) -> None:
        self._poll()     # what the child has done: ``pending`` is the work still queued there
        here = self.local(self.n, self.pending) if self.local is not None else self.pending >= self.busy
        slot = _Slot(self.n, sha, recs, not here)
        warm = self.prev_recs[-self.warm:] if self.warm else []
        if here:
            self.todo.append((slot, warm))
        else:
            prev = self.slots[-1] if self.slots else None
            if prev is not None and prev is self.child_last and not self.reset:
                self._jobs.put((sha, recs, None, self.n))          # the child reads on from where it stopped
                slot.after = prev
            else:     # from the latest right state (warmed up on the batch before, unless that is where it ends)
                self._jobs.put((sha, recs, (self.true, [] if self.done == self.n else warm), self.n))
                self.reset = False
            self.pending += 1
            self.child_last = slot
            self.sent.append(slot)
        self.slots.append(slot)
        self.prev_recs = recs
        self.n += 1

    def ready(self) -> list:
        """Take what the child has sent, read the parent's batches, and return what can be written now (in
        order); waits for the child only while more than ``MAX_AHEAD`` of its batches are out."""
        from tradeshield.conversation.reader import dialogue_state

        self._poll()
        out = self._drain(False)
        for slot, warm in self.todo:
            state = _guess(self.true, self.cache, slot.sha, [] if self.done == slot.k else warm, self.context)
            slot.start = dialogue_state(state)
            slot.result = read_batch(slot.sha, slot.recs, state, self.context)
            slot.end = dialogue_state(state)
            self.local_n += 1
        self.todo.clear()
        self._poll()
        return out + self._drain(False)

    def finish(self) -> list:
        """Everything not yet returned, in order. The batches the child has not started are taken back and
        shared out again in pieces (``_share``), so neither process waits long for the other."""
        self._steal()
        if self.todo and self.piece:
            self._share()
        return self.ready() + self._drain(True)

    def _share(self) -> None:
        """Cut the batches taken back (``todo``) into pieces of ``piece`` messages, in their place in file order,
        and read them from both ends: this process from the front, each piece on from the state the one before it
        ended in, while the child is kept fed with pieces from the back, each from a guessed state (the state this
        process has read to, warmed up on the messages before the piece). Both then end
        within about a piece of each other: with whole batches the one that drew the last batch worked on alone
        for up to a batch's time (~0.13 s of the bench's 4 s import) while the other waited."""
        from tradeshield.conversation.reader import dialogue_state

        taken = {id(slot): warm for slot, warm in self.todo}
        self.todo.clear()
        slots, pieces, warms = [], [], []
        for slot in self.slots:
            if id(slot) not in taken:
                slots.append(slot)
                continue
            warm = taken[id(slot)]
            for j in range(0, len(slot.recs), self.piece):
                p = _Slot(0, slot.sha, slot.recs[j:j + self.piece], False)
                slots.append(p)
                pieces.append(p)
                warms.append(warm)
                warm = p.recs[-self.warm:] if self.warm else []
        self.slots = deque(slots)
        for i, slot in enumerate(self.slots):      # ``k``: the slot's place among all batches (``done`` returned)
            slot.k = self.done + i
        self.n = self.done + len(self.slots)
        self.child_last = None
        front, back = 0, len(pieces)
        state = None
        while front < back:
            self._poll()
            while self.pending < 2 and back - front > 1:       # the child has at most one more piece queued
                back -= 1
                p = pieces[back]
                p.child = True
                # guessed from where this process has read to (nearer than the latest state known right)
                base = dialogue_state(state) if state is not None else self.true
                self._jobs.put((p.sha, p.recs, (base, [] if self.done == p.k else warms[back]), p.k))
                self.pending += 1
                self.sent.append(p)
                self.shared += 1
            p = pieces[front]
            if state is None:      # (after that, the piece before this one was read here: read on from it)
                state = _guess(self.true, self.cache, p.sha, [] if self.done == p.k else warms[front], self.context)
            p.start = dialogue_state(state)
            p.result = read_batch(p.sha, p.recs, state, self.context)
            p.end = dialogue_state(state)
            self.local_n += 1
            front += 1

    def _steal(self) -> None:
        import queue

        by_k = {s.k: s for s in self.slots}
        while self.pending:
            try:
                job = self._jobs.get(timeout=0.005)     # (the child may hold the queue's lock for a moment)
            except (queue.Empty, OSError, ValueError):
                break
            slot = by_k[job[3]]
            slot.child = False
            self.sent.remove(slot)
            self.pending -= 1
            self.stolen += 1
            prev = by_k.get(slot.k - 1)
            warm = prev.recs[-self.warm:] if prev is not None and prev.recs and self.warm else []
            self.todo.append((slot, warm))

    def call(self, fn, *args) -> None:
        """Have the child run ``fn(*args)`` (a module-level function; after ``finish``); ``result()`` gives what it
        returns."""
        self._jobs.put(("call", fn, args))
        self.pending += 1

    def result(self):
        return self._recv()[0]

    def _drain(self, wait: bool) -> list:
        out = []
        while self.slots:
            head = self.slots[0]
            if head.result is None:
                if not head.child:
                    break      # the parent reads it at the next ``ready``
                if not (wait or self.pending > MAX_AHEAD or len(self.slots) > 3 * MAX_AHEAD or self._ready()):
                    break
                self._take()
                continue
            out.append(self._check(self.slots.popleft()))
        return out

    def _ready(self) -> bool:
        return self.pending > 0 and not self._results.empty()

    def _poll(self) -> None:
        """Take every result the child has sent (whatever batches before them still wait for the parent)."""
        while self._ready():
            self._take()

    def _take(self) -> None:
        """Receive the child's oldest result into its slot."""
        start, lines, counts, end = self._recv()
        slot = self.sent.popleft()
        slot.result = (lines, counts)
        # read on from the child's slot before it — unless that one was taken back (``_steal``): the state the
        # child really started from is then unknown, and the batch is read again here
        slot.start = (slot.after.end if slot.after.child else None) if slot.after is not None else start
        slot.after = None
        slot.end = end

    def _check(self, slot) -> tuple:
        """The batch's result if it started from the state the batch before it really ended in; else the batch
        read again, here, from that state."""
        from tradeshield.conversation.reader import dialogue_state

        self.done += 1
        recs, slot.recs = slot.recs, None
        if self.true is None:
            self.true = dialogue_state({})
        if slot.start == self.true:
            self.true = slot.end
            return slot.result
        self.redone += 1
        self.reset = True
        state = _guess(self.true, self.cache, slot.sha, [], self.context)
        result = read_batch(slot.sha, recs, state, self.context)
        self.true = dialogue_state(state)     # (slot.end stays what was read: a child batch after it read on from it)
        return result

    def _recv(self) -> tuple:
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
            return rest
        if tag == "input":
            raise InputError(rest[0], **rest[1])
        if tag == "raise":
            raise rest[0]
        raise RuntimeError("the events process failed:\n" + rest[0])

    def stop(self) -> None:
        """No more work for the child: it is told to exit now, while this process publishes the outputs (its way
        out overlaps that work instead of being waited for at ``close``)."""
        if self.pending == 0 and not self._stopped and self._proc.is_alive():
            with contextlib.suppress(OSError, ValueError):
                self._jobs.put(None)
            self._stopped = True

    def close(self) -> None:
        """Stop the child: after the last result it reads the end mark and exits; with batches still pending
        (the import failed) it is killed. Nothing buffered for it is waited for. The reader's caches this import
        filled here are emptied: with the cyclic collector paused for the import, every object made since sits in
        its youngest generation, and its first pass after the import walked them all (~0.1 s on the bench)."""
        from tradeshield.conversation.reader import clear_caches

        self.cache.clear()
        clear_caches()
        if self.pending == 0 and self._proc.is_alive():
            self.stop()
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

    gc.disable()               # as the parent's import: the reader makes no reference cycles
    try:
        from tradeshield.conversation.reader import dialogue_state, load_rules

        load_rules(None)       # compiled now, while the parent copies the evidence (as ``read_lines`` asks for it)
        cache: dict = {}
        state: dict = {"cache": cache}
        while True:
            job = jobs.get()
            if job is None:
                # the parent has every result and waits for this exit: freeing the caches and the reader's
                # objects one by one on the way out took ~75 ms of its wall time on the bench chat; the kernel
                # frees the whole process at once
                results.close()
                results.join_thread()
                os._exit(0)
            if job[0] == "call":
                try:
                    results.put(("ok", job[1](*job[2])))
                except Exception as e:     # noqa: BLE001 — raised again in the parent, as it would have been there
                    results.put(("raise", e))
                continue
            sha, recs, reset, _k = job
            start = None
            if reset is not None:
                state = _guess(reset[0], cache, sha, reset[1], context)
                start = dialogue_state(state)
            lines, counts = read_batch(sha, recs, state, context)
            results.put(("ok", start, lines, counts, dialogue_state(state)))
    except InputError as e:
        results.put(("input", e.key, e.params))
    except BaseException:      # noqa: BLE001 — whatever it is, the parent reports it
        results.put(("crash", traceback.format_exc()))
    finally:
        results.close()
        results.join_thread()
