"""Update benchmark: K people writing as fast as the bot answers, beside a bare PTB echo bot.

Each person, in a loop, sends a progress answer, a command (/help) and presses "All on track"
under their prompt, waiting for each answer before the next. Reported: replies per second and
median / 99th-percentile latency (from the update reaching the fake Bot API to the answer
leaving the bot), idle and while the bot sends a large round of prompts. The baseline is
``bench/baseline.py echo`` (no database) against the same fake server, in the same run.

    python -m bench.updates [--users 20] [--iterations 200] [--rate 1000] [--round 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import bangban, baseline, quantiles, seed_project, started
from tests.conftest import ADMIN
from tests.fakebot import ApiCall, FakeBotAPI, FakeUser

PEOPLE = 50_000  # user ids of the people writing
ROUND = 200_000  # user ids of the secretaries of the big round


class Answers:
    """The next answer to each person (a message to them, or the answer to their press),
    without scanning every call."""

    def __init__(self, api: FakeBotAPI) -> None:
        self._waiting: dict[int | str, asyncio.Future[ApiCall]] = {}
        api.listeners.append(self._heard)

    def expect(self, key: int | str) -> asyncio.Future[ApiCall]:
        """The next message to chat ``key``, or the answer to the press with id ``key``."""
        future: asyncio.Future[ApiCall] = asyncio.get_running_loop().create_future()
        self._waiting[key] = future
        return future

    def _heard(self, call: ApiCall) -> None:
        if call.method == "sendMessage":
            key = call.params.get("chat_id")
        elif call.method == "answerCallbackQuery":
            key = call.params.get("callback_query_id")
        else:
            return
        future = self._waiting.pop(key, None) if isinstance(key, int | str) else None
        if future is not None and not future.done():
            future.set_result(call)


async def _person(
    api: FakeBotAPI,
    answers: Answers,
    user: FakeUser,
    iterations: int,
    prompt: dict[str, Any] | None,
    latencies: list[float],
) -> None:
    for n in range(iterations):
        step = n % 3
        query_id = f"q{user.id}-{n}"
        waiting = answers.expect(query_id if step == 2 else user.id)
        began = time.monotonic()
        if step == 0:
            await api.send_text(user, f"Level {n} poured")
        elif step == 1:
            await api.send_text(user, "/help")
        else:
            data = f"ci:ok:{prompt['checkin']}" if prompt else "ci:ok:1"
            message = prompt["message"] if prompt else None
            await api.press(user, message, data, query_id=query_id)
        call = await asyncio.wait_for(waiting, 60)
        latencies.append(call.at - began)


async def _workload(
    api: FakeBotAPI, users: list[FakeUser], iterations: int, prompts: dict[int, Any]
) -> dict[str, float]:
    answers = Answers(api)
    latencies: list[float] = []
    began = time.monotonic()
    await asyncio.gather(
        *(
            _person(api, answers, user, iterations, prompts.get(user.id), latencies)
            for user in users
        )
    )
    elapsed = time.monotonic() - began
    median, p99 = quantiles(latencies)
    return {
        "replies/s": len(latencies) / elapsed,
        "p50 ms": median,
        "p99 ms": p99,
        "seconds": elapsed,
    }


async def run_bangban(
    users: int, iterations: int, rate: float, round_size: int
) -> tuple[dict[str, Any], dict[int, Any]]:
    """Figures, and the prompt each person pressed under (the echo bot is given the same)."""
    people = [FakeUser(PEOPLE + n, f"Person {n}", f"p{n}", "en") for n in range(users)]
    api = FakeBotAPI()
    await api.start()
    try:
        api.known_chats.update(p.id for p in people)
        api.known_chats.update(range(ROUND, ROUND + round_size))
        api.known_chats.add(ADMIN.id)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.db"
            await seed_project(path, [p.id for p in people], "Writers")
            if round_size:
                await seed_project(path, range(ROUND, ROUND + round_size), "Big round")
            async with bangban(api, path, rate) as process:
                await started(api)
                prompts = await _open_round(api, people)
                cpu = process.cpu_seconds()
                idle = await _workload(api, people, iterations, prompts)
                idle["cpu %"] = (process.cpu_seconds() - cpu) / idle.pop("seconds") * 100
                result: dict[str, Any] = {f"idle {k}": v for k, v in idle.items()}
                if round_size:
                    await api.send_text(ADMIN, "/checkinnow 2")
                    await asyncio.sleep(0.5)
                    cpu = process.cpu_seconds()
                    busy = await _workload(api, people, iterations, prompts)
                    busy["cpu %"] = (process.cpu_seconds() - cpu) / busy.pop("seconds") * 100
                    result.update({f"round {k}": v for k, v in busy.items()})
                result["rss MB"] = process.rss_mb()
        return result, prompts
    finally:
        await api.stop()


async def _open_round(api: FakeBotAPI, people: list[FakeUser]) -> dict[int, Any]:
    """Open the writers' round and wait for their prompts: the message and check-in of each."""
    mark = len(api.calls)
    await api.send_text(ADMIN, "/checkinnow 1")
    ids = {p.id for p in people}
    prompts: dict[int, Any] = {}
    while len(prompts) < len(ids):
        await asyncio.sleep(0.1)
        for call in api.calls[mark:]:
            chat = call.params.get("chat_id")
            if call.method == "sendMessage" and chat in ids and "reply_markup" in call.params:
                data = call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
                prompts[chat] = {"message": api.message_of(call), "checkin": data.split(":")[2]}
    return prompts


async def run_echo(
    users: int, iterations: int, rate: float, prompts: dict[int, Any]
) -> dict[str, Any]:
    """The echo bot, sent the same updates: its people press under the same prompts (a press
    carries its message, and parsing it is part of the work)."""
    people = [FakeUser(PEOPLE + n, f"Person {n}", f"p{n}", "en") for n in range(users)]
    api = FakeBotAPI()
    await api.start()
    try:
        api.known_chats.update(p.id for p in people)
        for prompt in prompts.values():
            message = prompt["message"]
            api.messages[(message["chat"]["id"], message["message_id"])] = message
        async with baseline(api, "echo", "--rate", str(rate)) as process:
            await started(api)
            cpu = process.cpu_seconds()
            result = await _workload(api, people, iterations, prompts)
            result["cpu %"] = (process.cpu_seconds() - cpu) / result.pop("seconds") * 100
            return {f"idle {k}": v for k, v in result.items()} | {"rss MB": process.rss_mb()}
    finally:
        await api.stop()


def _print(name: str, row: dict[str, Any]) -> None:
    print(f"  {name:>10}: " + ", ".join(f"{k} {v:.1f}" for k, v in row.items()))


async def main(users: int, iterations: int, rate: float, round_size: int, runs: int) -> None:
    for run in range(1, runs + 1):
        ours, prompts = await run_bangban(users, iterations, rate, round_size)
        echo = await run_echo(users, iterations, rate, prompts)
        ratio = ours["idle replies/s"] / echo["idle replies/s"]
        print(
            f"run {run}: {users} people x {iterations} updates at {rate:g}/s"
            f" (round of {round_size}); replies/s bangban / echo {ratio:.2f}"
        )
        _print("bangban", ours)
        _print("echo", echo)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--round", type=int, default=10_000, help="prompts sent meanwhile")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.users, args.iterations, args.rate, args.round, args.runs))
