"""A fake Telegram Bot API on loopback, enough for python-telegram-bot 22 to run against it.

It answers ``getMe`` (with ``is_bot``), ``getUpdates`` (honouring ``offset``, ``limit`` and
``timeout``: a long poll returns as soon as an update is injected), ``sendMessage``,
``editMessageText``, ``editMessageReplyMarkup``, ``answerCallbackQuery``, ``setMyCommands``,
``deleteWebhook`` and a few more; it records every call with the time it arrived, keeps each chat's
messages as edited, and lets a test inject updates (messages, and callback queries with
``chat_instance``) and wait for the bot's responses. An optional flood limit (a token bucket, as
Telegram's) answers 429 with ``retry_after`` when messages come too fast; ``flood_for(seconds)``
answers every message with 429 for a while, as Telegram does to a bot that has flooded it.

Responses go out as Telegram's do: HTTP/1.1 with keep-alive, each in a single segment. The
server is one asyncio loop on its own thread (a long poll waits on the loop, not in a thread), so
that it answers a burst of requests quickly and is not what a benchmark of the bot measures.

PTB is pointed at it with ``Application.builder().base_url(server.base_url)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

TOKEN = "123456:TEST-token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Clerk", "username": "clerk_test_bot",
            "can_join_groups": False, "can_read_all_group_messages": False,
            "supports_inline_queries": False}
#: Methods that send or change a message, and so count against the flood limit.
MESSAGE_METHODS = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup"})
FORM = "application/x-www-form-urlencoded"
#: Form fields whose values PTB sends JSON-encoded.
JSON_FIELDS = frozenset({"reply_markup", "allowed_updates", "commands", "entities",
                         "link_preview_options", "reply_parameters", "scope"})


@dataclass
class Call:
    """One request the bot made: the method, its parameters, when, and how it was answered."""

    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    result: Any = None

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of every inline button, in order."""
        markup = self.params.get("reply_markup") or {}
        return [(b["text"], b.get("callback_data", "")) for row in
                markup.get("inline_keyboard", []) for b in row]


@dataclass
class _Bucket:
    """A token bucket: ``rate`` tokens a second, at most ``burst`` held (Telegram tolerates a
    short burst over its 30 messages a second)."""

    rate: float
    burst: float
    tokens: float = 0.0
    last: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class FakeBotApi:
    """The fake server; use as a context manager (or ``start()`` / ``stop()``)."""

    def __init__(self, token: str = TOKEN, *, flood_per_second: float | None = None) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.injected: dict[int, float] = {}  # update_id -> when it was injected
        self._updates: list[dict[str, Any]] = []
        self._next_update = 1
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._next_message: dict[int, int] = {}
        self._next_callback = 1
        self._cond = threading.Condition()
        self._bucket = _Bucket(flood_per_second, flood_per_second * 4 / 3) \
            if flood_per_second else None
        self._flood_until = 0.0
        self._flood_retry_after = 1
        self._stopping = False
        self._all_updates: list[dict[str, Any]] = []
        self._seen_ids: set[int] = set()
        self._connections: set[asyncio.Task[None]] = set()
        self._failures: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self._holds: dict[str, list[float]] = {}
        self._loop = asyncio.new_event_loop()
        self._arrived = asyncio.Event()  # set (on the server's loop) when an update is injected
        self._listening = threading.Event()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._serve_forever, daemon=True,
                                        name="fake-bot-api")

    # --- lifecycle ---------------------------------------------------------------------------

    def _serve_forever(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._connection, "127.0.0.1", 0, backlog=1024))
        self._listening.set()
        self._loop.run_forever()

    @property
    def port(self) -> int:
        assert self._server is not None, "start the server first"
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def base_url(self) -> str:
        """What PTB's ``base_url`` (and clerk's ``telegram.api_url``) should be."""
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> FakeBotApi:
        self._thread.start()
        self._listening.wait(10)
        return self

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop.close()

    async def _close(self) -> None:
        self._arrived.set()  # long polls return at once
        if self._server is not None:
            self._server.close()
        for task in self._connections:
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- injecting updates -------------------------------------------------------------------

    @staticmethod
    def user(user_id: int, first_name: str = "") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}"}

    def _chat(self, user_id: int) -> dict[str, Any]:
        return {"id": user_id, "type": "private", "first_name": f"User{user_id}"}

    def _push(self, update: dict[str, Any]) -> int:
        with self._cond:
            update_id = self._next_update
            self._next_update += 1
            update["update_id"] = update_id
            self._updates.append(update)
            self.injected[update_id] = time.monotonic()
            self._cond.notify_all()
        self._wake_polls()
        return update_id

    def _wake_polls(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._arrived.set)

    def send_text(self, user_id: int, text: str) -> int:
        """The user types ``text`` in their private chat with the bot; returns the update id."""
        with self._cond:
            message_id = self._new_message_id(user_id)
        message: dict[str, Any] = {"message_id": message_id, "date": int(time.time()),
                                   "chat": self._chat(user_id), "from": self.user(user_id),
                                   "text": text}
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._push({"message": message})

    def press(self, user_id: int, message: dict[str, Any], data: str) -> tuple[int, str]:
        """The user presses the button with ``data`` on ``message`` (a message the bot sent);
        returns the update id and the callback query id."""
        return self.press_all([(user_id, message, data)])[0]

    def press_all(self, presses: list[tuple[int, dict[str, Any], str]]) -> list[tuple[int, str]]:
        """Many users press buttons at the same moment (``(user_id, message, data)`` each): the
        updates are queued together and a waiting long poll is woken once."""
        out: list[tuple[int, str]] = []
        with self._cond:
            now = time.monotonic()
            for user_id, message, data in presses:
                callback_id = str(self._next_callback)
                self._next_callback += 1
                query = {"id": callback_id, "from": self.user(user_id), "message": message,
                         "chat_instance": f"ci-{user_id}", "data": data}
                update_id = self._next_update
                self._next_update += 1
                self._updates.append({"callback_query": query, "update_id": update_id})
                self.injected[update_id] = now
                out.append((update_id, callback_id))
            self._cond.notify_all()
        self._wake_polls()
        return out

    def push_raw(self, update: dict[str, Any]) -> int:
        """Inject an update as given (its ``update_id`` is assigned here)."""
        return self._push(update)

    def repeat(self, update_id: int) -> None:
        """Deliver an update again under the same id (as Telegram may after a timeout)."""
        with self._cond:
            original = next(u for u in self.updates_seen if u["update_id"] == update_id)
            self._updates.append(json.loads(json.dumps(original)))
            self._cond.notify_all()
        self._wake_polls()

    def fail(self, method: str, times: int, status: int = 502,
             description: str = "Bad Gateway", retry_after: int | None = None) -> None:
        """Answer the next ``times`` calls of ``method`` with an error, as Telegram does when it
        is down (502), refuses the token (401) or is flooded (429 with ``retry_after``)."""
        payload: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            payload["parameters"] = {"retry_after": retry_after}
        with self._cond:
            self._failures[method] = [(status, payload)] * times

    def hold(self, method: str, seconds: float, times: int = 1) -> None:
        """Keep the next ``times`` calls of ``method`` waiting ``seconds`` before answering, as a
        slow or stuck server does."""
        with self._cond:
            self._holds[method] = [seconds] * times

    def _failure(self, method: str) -> tuple[int, dict[str, Any]] | None:
        """The error the next call of ``method`` is to get, if any (under ``_cond``)."""
        queue = self._failures.get(method)
        return queue.pop(0) if queue else None

    def flood_for(self, seconds: float, retry_after: int = 1) -> None:
        """Answer every message (send or edit) with 429 and ``retry_after`` for ``seconds``."""
        with self._cond:
            self._flood_until = time.monotonic() + seconds
            self._flood_retry_after = retry_after

    # --- what the bot did --------------------------------------------------------------------

    @property
    def updates_seen(self) -> list[dict[str, Any]]:
        return self._all_updates

    def calls_of(self, method: str, chat_id: int | None = None, since: float = 0.0,
                 ok_only: bool = True) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method and c.at >= since
                    and (chat_id is None or c.chat_id == chat_id)
                    and (not ok_only or c.status == 200)]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        with self._cond:
            return json.loads(json.dumps(self._messages[(chat_id, message_id)]))

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat, as they are now (after edits), oldest first."""
        with self._cond:
            return [json.loads(json.dumps(m)) for (c, _i), m in sorted(self._messages.items())
                    if c == chat_id and m.get("from", {}).get("is_bot")]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Block until ``predicate()`` is true (returns its value), or fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout}s waiting for the bot; "
                                         f"calls: {[c.method for c in self.calls[-20:]]}")
                self._cond.wait(min(left, 0.05))

    # --- the HTTP side -----------------------------------------------------------------------

    def _new_message_id(self, chat_id: int) -> int:
        n = self._next_message.get(chat_id, 0) + 1
        self._next_message[chat_id] = n
        return n

    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        """One keep-alive connection: requests read and answered in turn, each response in one
        write (one TCP segment), Nagle off."""
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                request_line, *lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                status, payload = await self._serve(request_line, headers, body)
                data = json.dumps(payload).encode()
                writer.write(b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s"
                             % (status, _REASONS.get(status, b"Error"), len(data), data))
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._connections.discard(task)
            writer.close()

    async def _serve(self, request_line: str, headers: dict[str, str],
                     body: bytes) -> tuple[int, dict[str, Any]]:
        parts = request_line.split()
        path = parts[1] if len(parts) > 1 else ""
        prefix = f"/bot{self.token}/"
        if not path.startswith("/bot"):
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method, _, query = path[len(prefix):].partition("?")
        try:  # as Telegram: parameters in the query string, the body, or both
            params = {**_params(FORM, query.encode()),
                      **_params(headers.get("content-type", ""), body)}
        except ValueError as exc:
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}
        if method == "getUpdates":
            return await self._long_poll(params)
        with self._cond:
            held = self._holds.get(method)
            wait = held.pop(0) if held else 0.0
        if wait:
            await asyncio.sleep(wait)
        return self._dispatch(method, params)

    def _dispatch(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        call = Call(method, params, time.monotonic())
        with self._cond:
            status, payload = self._answer(method, params)
            call.status = status
            call.result = payload.get("result")
            self.calls.append(call)
            self._cond.notify_all()
        return status, payload

    async def _long_poll(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """``getUpdates``: recorded when it arrives (a long poll may wait a while), answered as
        soon as there is an update (or at its timeout)."""
        call = Call("getUpdates", params, time.monotonic())
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()
            failure = self._failure("getUpdates")
        if failure is not None:
            call.status = failure[0]
            return failure
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            self._arrived.clear()
            with self._cond:
                if offset:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = self._updates[:limit]
                if ready or self._stopping:
                    for u in ready:
                        if u["update_id"] not in self._seen_ids:
                            self._seen_ids.add(u["update_id"])
                            self._all_updates.append(u)
                    result = list(ready)  # updates are never changed once queued
                    break
            left = deadline - time.monotonic()
            if left <= 0:
                result = []
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)
        call.result = result
        return 200, {"ok": True, "result": result}

    def _answer(self, method: str, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        failure = self._failure(method)
        if failure is not None:
            return failure
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}
        if method in MESSAGE_METHODS and time.monotonic() < self._flood_until:
            return _too_many(self._flood_retry_after)
        if method in MESSAGE_METHODS and self._bucket is not None and not self._bucket.take():
            return _too_many(1)
        if method == "sendMessage":
            chat_id = int(p["chat_id"])
            message = {"message_id": self._new_message_id(chat_id), "date": int(time.time()),
                       "chat": self._chat(chat_id), "from": BOT_USER, "text": p.get("text", "")}
            if p.get("reply_markup"):
                message["reply_markup"] = p["reply_markup"]
            self._messages[(chat_id, message["message_id"])] = message
            return 200, {"ok": True, "result": message}
        if method in ("editMessageText", "editMessageReplyMarkup"):
            key = (int(p["chat_id"]), int(p["message_id"]))
            if key not in self._messages:
                return 400, {"ok": False, "error_code": 400,
                             "description": "Bad Request: message to edit not found"}
            message = dict(self._messages[key])
            before = (message.get("text"), message.get("reply_markup"))
            if method == "editMessageText":
                message["text"] = p.get("text", "")
            if p.get("reply_markup"):
                message["reply_markup"] = p["reply_markup"]
            else:
                message.pop("reply_markup", None)
            if (message.get("text"), message.get("reply_markup")) == before:
                return 400, {"ok": False, "error_code": 400, "description":
                             "Bad Request: message is not modified: specified new message "
                             "content and reply markup are exactly the same"}
            message["edit_date"] = int(time.time())
            self._messages[key] = message
            return 200, {"ok": True, "result": message}
        if method in ("answerCallbackQuery", "setMyCommands", "deleteWebhook", "deleteMessage",
                      "close", "logOut", "setWebhook", "deleteMyCommands"):
            return 200, {"ok": True, "result": True}
        if method == "getMyCommands":
            return 200, {"ok": True, "result": []}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}


def _too_many(retry_after: int) -> tuple[int, dict[str, Any]]:
    return 429, {"ok": False, "error_code": 429,
                 "description": f"Too Many Requests: retry after {retry_after}",
                 "parameters": {"retry_after": retry_after}}


_REASONS = {200: b"OK", 400: b"Bad Request", 401: b"Unauthorized", 404: b"Not Found",
            429: b"Too Many Requests"}


def _params(content_type: str, body: bytes) -> dict[str, Any]:
    """Form fields (PTB sends JSON-encoded values for objects) or a JSON body."""
    if not body:
        return {}
    if content_type.startswith("application/json"):
        loaded: dict[str, Any] = json.loads(body)
        return loaded
    if content_type.startswith("multipart/"):
        raise ValueError("the fake Bot API does not take files")
    out: dict[str, Any] = {}
    for key, values in parse_qs(body.decode("utf-8"), keep_blank_values=True).items():
        value: Any = values[-1]
        if key in JSON_FIELDS:
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        out[key] = value
    return out
