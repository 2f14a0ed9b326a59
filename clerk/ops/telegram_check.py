"""Doctor's Telegram check: the token in the environment is one the Bot API accepts (getMe).

The token is never printed: every text that could hold it has it replaced.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from clerk.config import Config, secret
from clerk.ops.verdicts import Check, Part, fail, ok

TELEGRAM = "https://api.telegram.org/bot"
TIMEOUT_SECONDS = 10.0


def check_telegram(config: Config) -> list[Check]:
    env = config.telegram.token_env
    token = secret(env)
    if not token:
        return [ok(Part.TELEGRAM, "token", f"no token in ${env or '(token_env)'}: the bot stays off")]
    base = (config.telegram.api_url or TELEGRAM).rstrip("/")
    return [asyncio.run(_get_me(base, token, env))]


async def _get_me(base: str, token: str, env: str) -> Check:
    import aiohttp

    url = urlsplit(base)
    where = f"{url.hostname}:{url.port or (443 if url.scheme == 'https' else 80)}"
    part = Part.TELEGRAM
    try:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session, \
                session.get(f"{base}{token}/getMe") as response:
            status = response.status
            try:
                data = await response.json(content_type=None)
            except ValueError:
                data = {}
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        reason = (str(exc) or type(exc).__name__).replace(token, "<token>")
        return fail(part, "getMe", f"cannot reach the Bot API at {where}: {reason}",
                    "check telegram.api_url and that this machine may reach it (proxy, firewall)",
                    where)
    if status in (401, 404):
        return fail(part, "getMe", f"the Bot API at {where} refused the token in ${env} "
                    f"({status} {data.get('description', '') if isinstance(data, dict) else ''})"
                    .rstrip(), f"put the token @BotFather gave the bot in ${env}", where)
    result = data.get("result") if isinstance(data, dict) else None
    if status != 200 or not isinstance(result, dict):
        return fail(part, "getMe", f"the Bot API at {where} answered getMe with HTTP {status}",
                    "check telegram.api_url (it ends in /bot, no token, no trailing slash)", where)
    name = result.get("username") or result.get("first_name") or "the bot"
    return ok(part, "getMe", f"the token in ${env} belongs to @{name}", where)
