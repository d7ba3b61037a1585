"""Bare python-telegram-bot bots, the baselines the benchmarks measure Bangban against: no
database, no services, the same rate limiter, the same fake Bot API.

    python -m bench.baseline echo --base-url URL [--rate 1000]
    python -m bench.baseline broadcast --base-url URL --first 10000 --count 1000 [--rate 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
from typing import Any

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

TOKEN = "123456:TEST-token"


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text, do_quote=False)


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer("ok")


async def echo(base_url: str, rate: float) -> None:
    """An echo bot: every text (commands included) is sent back, every press answered."""
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(base_url)
        .rate_limiter(AIORateLimiter(overall_max_rate=rate, max_retries=2))
        .concurrent_updates(True)
        .build()
    )
    application.add_handler(MessageHandler(filters.ALL, _echo))
    application.add_handler(CallbackQueryHandler(_answer))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with application:
        await application.bot.set_my_commands([])  # the harness's "ready" signal
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        await stop.wait()
        await application.updater.stop()
        await application.stop()


async def broadcast(base_url: str, rate: float, first: int, count: int) -> None:
    """Send one message to each of ``count`` chats, as fast as the limiter allows (rate 0: no
    limiter at all, like a bot that neither throttles nor records anything)."""
    builder: Any = ApplicationBuilder().token(TOKEN).base_url(base_url)
    if rate:
        builder = builder.rate_limiter(AIORateLimiter(overall_max_rate=rate, max_retries=2))
    application = builder.build()
    slots = asyncio.Semaphore(64)

    async def send(chat_id: int) -> Any:
        async with slots:
            return await application.bot.send_message(chat_id, f"Broadcast to {chat_id}")

    async with application:
        await application.bot.set_my_commands([])
        await asyncio.gather(*(send(chat) for chat in range(first, first + count)))
    print(f"cpu {time.process_time():.3f}", flush=True)  # read by bench/fanout.py


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["echo", "broadcast"])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--first", type=int, default=10_000)
    parser.add_argument("--count", type=int, default=1_000)
    args = parser.parse_args()
    if args.mode == "echo":
        asyncio.run(echo(args.base_url, args.rate))
    else:
        asyncio.run(broadcast(args.base_url, args.rate, args.first, args.count))


if __name__ == "__main__":
    main()
