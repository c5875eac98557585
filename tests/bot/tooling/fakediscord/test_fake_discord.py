"""The fake Discord against the real discord.py client: login, events, REST, interactions, faults."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.tooling.fakediscord import MANAGE_MESSAGES, FakeDiscord
from tests.conftest import required


def intents(*, message_content: bool = True) -> discord.Intents:
    chosen = discord.Intents.default()
    chosen.members = True
    chosen.message_content = message_content
    return chosen


def make_client(**kwargs) -> discord.Client:
    kwargs.setdefault("intents", intents())
    return discord.Client(guild_ready_timeout=0.1, allowed_mentions=discord.AllowedMentions.none(), **kwargs)


def collect_messages(client: discord.Client) -> asyncio.Queue[discord.Message]:
    """Messages from users (not the bot's own echoes) as on_message sees them."""
    inbox: asyncio.Queue[discord.Message] = asyncio.Queue()

    async def on_message(message: discord.Message) -> None:
        if message.author != client.user:
            await inbox.put(message)

    client.event(on_message)
    return inbox


async def next_message(inbox: asyncio.Queue[discord.Message]) -> discord.Message:
    return await asyncio.wait_for(inbox.get(), 3)


def text_channel(client: discord.Client, channel_id: str) -> discord.TextChannel:
    """A channel from the client's cache, which must have arrived as a guild text channel."""
    channel = client.get_channel(int(channel_id))
    assert isinstance(channel, discord.TextChannel)
    return channel


# -- login and gateway --------------------------------------------------------------------------


async def test_login_ready_and_guild_available(fake_world, start_discord_client):
    fake = fake_world.fake
    client = make_client()
    await start_discord_client(client)

    assert required(client.user).id == int(fake.bot_user["id"])
    assert client.application_id == int(fake.application_id)
    guild = client.get_guild(int(fake_world.guild_id))
    assert guild is not None and not guild.unavailable
    assert [c.name for c in guild.text_channels] == ["general"]
    assert guild.chunked and guild.member_count == len(guild.members) == 4  # owner, bot, alice, mod
    moderator = required(guild.get_member(int(fake_world.moderator_id)))
    alice = required(guild.get_member(int(fake_world.alice_id)))
    assert moderator.guild_permissions.manage_messages and not alice.guild_permissions.manage_messages
    assert guild.default_role.id == guild.id

    ready = await fake.wait_for_event("READY")
    assert ready.data["resume_gateway_url"] == fake.gateway_url
    sequence = [frame.payload["s"] for frame in fake.gateway_log if frame.direction == "out" and frame.op == 0]
    assert sequence == list(range(1, len(sequence) + 1))


async def test_on_message_gets_a_posted_user_message_and_its_reply(fake_world, start_discord_client):
    fake = fake_world.fake
    client = make_client()
    inbox = collect_messages(client)
    await start_discord_client(client)

    first = await fake.post_user_message(fake_world.channel_id, fake_world.alice_id, "Rome fell in 476")
    received = await next_message(inbox)
    assert received.content == "Rome fell in 476"
    assert isinstance(received.author, discord.Member) and received.author.id == int(fake_world.alice_id)
    assert required(received.guild).id == int(fake_world.guild_id) and received.id == int(first["id"])

    await fake.post_user_message(fake_world.channel_id, fake_world.moderator_id, "Which Rome?", reply_to=first["id"])
    reply = await next_message(inbox)
    reference = required(reply.reference)
    assert reference.message_id == int(first["id"])
    assert isinstance(reference.resolved, discord.Message)
    assert reference.resolved.content == "Rome fell in 476"


async def test_content_is_blank_without_the_message_content_intent(fake_world, start_discord_client):
    fake = fake_world.fake
    client = make_client(intents=intents(message_content=False))
    inbox = collect_messages(client)
    await start_discord_client(client)

    await fake.post_user_message(fake_world.channel_id, fake_world.alice_id, "hidden")
    assert (await next_message(inbox)).content == ""
    await fake.post_user_message(fake_world.channel_id, fake_world.alice_id, f"<@{fake.bot_user['id']}> visible")
    mentioned = await next_message(inbox)
    assert mentioned.content.endswith("visible") and client.user in mentioned.mentions


async def test_sent_messages_are_recorded_with_allowed_mentions_and_files(fake_world, start_discord_client):
    fake = fake_world.fake
    client = make_client()
    await start_discord_client(client)
    channel = text_channel(client, fake_world.channel_id)

    sent = await channel.send(f"hello <@{fake_world.alice_id}>")
    record = await fake.wait_for_sent(lambda s: s.route == "channel.create")
    assert record.allowed_mentions == {"parse": []}
    assert record.channel_id == fake_world.channel_id and record.message["mentions"] == []
    assert sent.id == int(record.message["id"]) and sent.mentions == []

    await channel.send("the file", file=discord.File(io.BytesIO(b"timeline"), filename="notes.txt"))
    upload = await fake.wait_for_sent(lambda s: s.files)
    assert (upload.files[0].filename, upload.files[0].data) == ("notes.txt", b"timeline")
    assert upload.allowed_mentions == {"parse": []}
    assert upload.message["attachments"][0]["size"] == len(b"timeline")


async def test_a_bot_restart_gets_a_fresh_session(fake_world, start_discord_client):
    fake = fake_world.fake
    first = make_client()
    await start_discord_client(first)
    await first.close()
    second = make_client()
    inbox = collect_messages(second)
    await start_discord_client(second)

    # discord.py closes with 4000, so the first session stays resumable; only one is connected.
    assert len([s for s in fake.gateway.sessions.values() if s.conn is not None]) == 1
    await fake.post_user_message(fake_world.channel_id, fake_world.alice_id, "after restart")
    assert (await next_message(inbox)).content == "after restart"


async def test_missed_events_come_back_after_resume(fake_world, start_discord_client):
    fake = fake_world.fake
    client = make_client()
    inbox = collect_messages(client)
    resumed = asyncio.Event()

    @client.event
    async def on_resumed() -> None:
        resumed.set()

    await start_discord_client(client)
    mark = len(fake.gateway_log)

    async with fake.gateway_outage(code=4000):
        await fake.post_user_message(fake_world.channel_id, fake_world.alice_id, "missed one")
        await fake.post_user_message(fake_world.channel_id, fake_world.alice_id, "missed two")

    await asyncio.wait_for(resumed.wait(), 3)
    assert [(await next_message(inbox)).content for _ in range(2)] == ["missed one", "missed two"]
    await fake.wait_for_op(6, since=mark)  # RESUME ...
    assert not [f for f in fake.gateway_log.items[mark:] if f.direction == "in" and f.op == 2]  # ... not IDENTIFY


async def test_a_lost_session_makes_the_client_identify_again(fake_world, start_discord_client):
    fake = fake_world.fake
    client = make_client()
    inbox = collect_messages(client)

    async def identify_at_once(shard_id: int | None, *, initial: bool = False) -> None:
        pass  # discord.py waits 5 s before every IDENTIFY but the first

    client.before_identify_hook = identify_at_once
    await start_discord_client(client)
    mark = len(fake.gateway_log)

    await fake.disconnect_gateway(4009)  # session timed out: the RESUME gets INVALID_SESSION

    await fake.wait_for_event("READY", since=mark)
    assert [f.op for f in fake.gateway_log.items[mark:] if f.direction == "in" and f.op in (2, 6)] == [6, 2]
    await fake.post_user_message(fake_world.channel_id, fake_world.alice_id, "new session")
    assert (await next_message(inbox)).content == "new session"


async def test_disallowed_message_content_intent_closes_with_4014(fake_discord, start_discord_client):
    fake_discord.allow_message_content = False
    with pytest.raises(discord.PrivilegedIntentsRequired):
        await start_discord_client(make_client())
    identifies = [f for f in fake_discord.gateway_log if f.direction == "in" and f.op == 2]
    assert identifies, "the client should have identified before being refused"


async def test_bad_token_fails_login_and_a_rotated_token_ends_the_session(fake_world, start_discord_client):
    fake = fake_world.fake
    with pytest.raises(discord.LoginFailure):
        await start_discord_client(make_client(), token="not-the-token")
    assert fake.requests[-1].status == 401

    task = await start_discord_client(make_client())
    fake.token = "rotated"
    await fake.disconnect_gateway(4000)  # the RESUME carries the old token: 4004
    with pytest.raises(discord.ConnectionClosed) as closed:
        await asyncio.wait_for(task, 3)
    assert closed.value.code == 4004


async def test_json_errors_and_content_type(fake_discord):
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{fake_discord.api_url}/users/@me", headers={"Authorization": "Bot nope"}) as response:
            assert response.status == 401
            assert response.headers["Content-Type"] == "application/json"
            assert await response.json() == {"message": "401: Unauthorized", "code": 0}
        headers = {"Authorization": f"Bot {fake_discord.token}"}
        async with session.get(f"{fake_discord.api_url}/users/@me", headers=headers) as response:
            assert response.headers["Content-Type"] == "application/json"
            assert (await response.json())["id"] == fake_discord.bot_user["id"]
        async with session.get(f"{fake_discord.api_url}/channels/1/messages", headers=headers) as response:
            assert response.status == 404 and (await response.json())["code"] == 10003


# -- REST behaviour -----------------------------------------------------------------------------


async def test_a_429_on_post_message_is_retried(fake_world, start_discord_client):
    fake = fake_world.fake
    client = make_client()
    await start_discord_client(client)
    fake.fail_next("POST", r"^/channels/\d+/messages$", status=429, retry_after=0.2)

    message = await text_channel(client, fake_world.channel_id).send("eventually")

    posts = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/messages")]
    assert [r.status for r in posts] == [429, 200]
    assert len(fake.sent) == 1 and message.content == "eventually"


async def test_a_500_is_retried_too(fake_world, start_discord_client):
    fake = fake_world.fake
    client = make_client()
    await start_discord_client(client)
    fake.fail_next("POST", r"/messages$", status=500)

    await text_channel(client, fake_world.channel_id).send("after a 500")  # discord.py waits 1 s

    assert [r.status for r in fake.requests if r.method == "POST"] == [500, 200]


async def test_history_pages_after_a_date_oldest_first(fake_world, start_discord_client):
    fake = fake_world.fake
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for minute in range(250):
        fake.seed_history(fake_world.channel_id, fake_world.alice_id, f"m{minute}", start + timedelta(minutes=minute))
    client = make_client()
    await start_discord_client(client)
    channel = text_channel(client, fake_world.channel_id)

    after = [m.content async for m in channel.history(limit=None, after=start + timedelta(minutes=9, seconds=30))]
    assert after == [f"m{i}" for i in range(10, 250)]
    pages = [r for r in fake.requests if r.method == "GET" and r.path.endswith("/messages")]
    assert len(pages) == 3

    newest = [m.content async for m in channel.history(limit=3)]
    assert newest == ["m249", "m248", "m247"]
    before = [m.content async for m in channel.history(limit=2, before=start + timedelta(minutes=5))]
    assert before == ["m4", "m3"]


async def test_threads_reactions_typing_timeouts_and_dms(fake_world, start_discord_client):
    fake = fake_world.fake
    client = make_client()
    threads: asyncio.Queue[discord.Thread] = asyncio.Queue()

    @client.event
    async def on_thread_create(thread: discord.Thread) -> None:
        await threads.put(thread)

    await start_discord_client(client)
    channel = text_channel(client, fake_world.channel_id)
    posted = await fake.post_user_message(fake_world.channel_id, fake_world.alice_id, "Was Caesar a tyrant?")
    message = await channel.fetch_message(int(posted["id"]))

    await message.add_reaction("\N{THUMBS UP SIGN}")
    async with channel.typing():
        pass
    thread = await message.create_thread(name="Caesar")
    assert thread.id == message.id and (await asyncio.wait_for(threads.get(), 3)).name == "Caesar"
    await thread.send("in the thread")
    assert fake.messages_in(str(thread.id))[0]["content"] == "in the thread"

    member = required(channel.guild.get_member(int(fake_world.alice_id)))
    await member.timeout(timedelta(minutes=10), reason="heated")
    assert fake.state.guild(fake_world.guild_id).members[fake_world.alice_id]["communication_disabled_until"]
    await member.send("a private note")
    dm = fake.open_dm(fake_world.alice_id)
    assert (await fake.wait_for_sent(lambda s: s.channel_id == dm["id"])).content == "a private note"
    assert fake.reactions[0]["emoji"] == "\N{THUMBS UP SIGN}"


# -- interactions -------------------------------------------------------------------------------


def make_bot() -> commands.Bot:
    return commands.Bot(
        command_prefix="!",
        intents=intents(),
        guild_ready_timeout=0.1,
        allowed_mentions=discord.AllowedMentions.none(),
    )


def sync_on_setup(bot: commands.Bot, guild_id: str | None = None) -> None:
    async def setup_hook() -> None:
        if guild_id is None:
            await bot.tree.sync()
        else:
            bot.tree.copy_global_to(guild=discord.Object(int(guild_id)))
            await bot.tree.sync(guild=discord.Object(int(guild_id)))

    bot.setup_hook = setup_hook


async def test_slash_commands_are_synced_and_invoked(fake_world, start_discord_client):
    fake = fake_world.fake
    bot = make_bot()
    digest = app_commands.Group(name="digest", description="Digests")

    @digest.command(name="run-now", description="Post the digest now")
    async def run_now(interaction: discord.Interaction, days: int, channel: discord.TextChannel) -> None:
        await interaction.response.send_message(f"{days} days in {channel.name}", ephemeral=True)

    @bot.tree.command(description="Slow answer")
    async def slow(interaction: discord.Interaction, who: discord.Member) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content=f"done for {who.display_name}")
        await interaction.followup.send("and one more thing")

    bot.tree.add_command(digest)
    sync_on_setup(bot, fake_world.guild_id)
    await start_discord_client(bot)
    assert {name for name, _type in fake.state.commands[fake_world.guild_id]} == {"digest", "slow"}

    record = await fake.invoke_slash(
        fake_world.guild_id,
        fake_world.channel_id,
        fake_world.moderator_id,
        "digest run-now",
        {"days": 7, "channel": fake_world.channel_id},
    )
    response = await record.response()
    assert response["type"] == 4 and response["data"]["content"] == "7 days in general"
    assert response["data"]["flags"] == 64 and fake.sent[-1].route == "interaction.callback"

    record = await fake.invoke_slash(
        fake_world.guild_id, fake_world.channel_id, fake_world.alice_id, "slow", {"who": fake_world.alice_id}
    )
    assert (await record.wait_original())["content"] == "done for Alice"
    assert (await record.wait_followup(0))["content"] == "and one more thing"
    assert record.response_type == 5


async def test_button_click_on_a_view(fake_world, start_discord_client):
    fake = fake_world.fake
    client = make_client()
    clicks: list[int] = []

    class Vote(discord.ui.View):
        @discord.ui.button(label="Agree", custom_id="vote:agree")
        async def agree(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
            clicks.append(interaction.user.id)
            await interaction.response.edit_message(content="1 vote", view=None)

    await start_discord_client(client)
    sent = await text_channel(client, fake_world.channel_id).send("Vote?", view=Vote())

    record = await fake.click_button(str(sent.id), "vote:agree", fake_world.alice_id)
    assert (await record.response())["type"] == 7
    assert clicks == [int(fake_world.alice_id)]
    stored = fake.state.find_message(str(sent.id))
    assert stored["content"] == "1 vote" and stored["components"] == []


async def test_modal_autocomplete_and_message_command(fake_world, start_discord_client):
    fake = fake_world.fake
    bot = make_bot()

    class Report(discord.ui.Modal, title="Report"):
        reason = discord.ui.TextInput(label="Reason", custom_id="reason")

        async def on_submit(self, interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"noted: {self.reason.value}", ephemeral=True)

    @bot.tree.command(description="Report something")
    async def report(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Report())

    async def topics(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=t, value=t) for t in ("rome", "rhodes") if t.startswith(current)]

    @bot.tree.command(description="Tag a topic")
    @app_commands.autocomplete(topic=topics)
    async def tag(interaction: discord.Interaction, topic: str) -> None:
        await interaction.response.send_message(topic)

    @bot.tree.context_menu(name="Quote")
    async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"> {message.content}")

    sync_on_setup(bot)
    await start_discord_client(bot)
    ids = (fake_world.guild_id, fake_world.channel_id, fake_world.alice_id)

    opened = await fake.invoke_slash(*ids, "report")
    submitted = await fake.submit_modal(opened, {"reason": "spam"})
    assert (await submitted.response())["data"]["content"] == "noted: spam"

    choices = await fake.autocomplete(*ids, "tag", {"topic": "rh"}, focused="topic")
    assert (await choices.response())["data"]["choices"] == [{"name": "rhodes", "value": "rhodes"}]

    target = await fake.post_user_message(fake_world.channel_id, fake_world.moderator_id, "Carthago delenda est")
    quoted = await fake.invoke_message_command("Quote", target["id"], fake_world.alice_id)
    original = await quoted.wait_original()
    assert original["content"] == "> Carthago delenda est" and original["type"] == 23


async def test_unsynced_commands_and_unknown_buttons_are_refused(fake_world):
    with pytest.raises(LookupError):
        await fake_world.fake.invoke_slash(fake_world.guild_id, fake_world.channel_id, fake_world.alice_id, "nope")
    posted = await fake_world.fake.post_user_message(fake_world.channel_id, fake_world.alice_id, "no buttons")
    with pytest.raises(LookupError):
        await fake_world.fake.click_button(posted["id"], "missing", fake_world.alice_id)


def test_snowflakes_increase_and_encode_seeded_times():
    fake = FakeDiscord()
    now_ids = [int(fake.new_snowflake()) for _ in range(1000)]
    assert now_ids == sorted(set(now_ids))
    past = datetime(2020, 5, 1, tzinfo=UTC)
    seeded = {int(fake.new_snowflake(past)) for _ in range(10)}
    assert len(seeded) == 10 and all(s < now_ids[0] for s in seeded)
    assert MANAGE_MESSAGES == 1 << 13


async def test_edits_deletes_and_channel_deletion_reach_the_client(fake_world, start_discord_client):
    fake = fake_world.fake
    client = make_client()
    seen: asyncio.Queue[tuple[str, object]] = asyncio.Queue()

    @client.event
    async def on_raw_message_edit(payload: discord.RawMessageUpdateEvent) -> None:
        await seen.put(("edit", payload.message.content))

    @client.event
    async def on_raw_message_delete(payload: discord.RawMessageDeleteEvent) -> None:
        await seen.put(("delete", payload.message_id))

    @client.event
    async def on_raw_bulk_message_delete(payload: discord.RawBulkMessageDeleteEvent) -> None:
        await seen.put(("bulk", payload.message_ids))

    @client.event
    async def on_guild_channel_delete(channel: discord.abc.GuildChannel) -> None:
        await seen.put(("channel", channel.name))

    await start_discord_client(client)
    channel_id, alice = fake_world.channel_id, fake_world.alice_id
    first, second, third = [await fake.post_user_message(channel_id, alice, f"m{i}") for i in range(3)]

    await fake.edit_user_message(channel_id, first["id"], "edited")
    await fake.delete_user_message(channel_id, second["id"])
    await fake.bulk_delete(channel_id, [first["id"], third["id"]])
    await fake.delete_channel(channel_id)

    got = [await asyncio.wait_for(seen.get(), 3) for _ in range(4)]
    assert got == [
        ("edit", "edited"),
        ("delete", int(second["id"])),
        ("bulk", {int(first["id"]), int(third["id"])}),
        ("channel", "general"),
    ]


async def test_raw_options_uploads_selects_and_user_commands(fake_world, start_discord_client):
    fake = fake_world.fake
    bot = make_bot()
    digest = app_commands.Group(name="digest", description="Digests")

    @digest.command(name="run-now", description="Post the digest now")
    async def run_now(interaction: discord.Interaction, days: int) -> None:
        chart = discord.File(io.BytesIO(b"png"), filename="chart.png")
        await interaction.response.send_message(f"{days} days", file=chart)

    class Pick(discord.ui.View):
        @discord.ui.select(custom_id="pick", options=[discord.SelectOption(label=x) for x in ("a", "b")])
        async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
            await interaction.response.send_message(f"picked {select.values[0]}")

    @bot.tree.context_menu(name="Profile")
    async def profile(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(
            f"{member.display_name} by {interaction.user.display_name}", view=Pick()
        )

    bot.tree.add_command(digest)
    sync_on_setup(bot)
    await start_discord_client(bot)
    ids = (fake_world.guild_id, fake_world.channel_id, fake_world.alice_id)

    raw = [{"type": 1, "name": "run-now", "options": [{"type": 4, "name": "days", "value": 3}]}]
    record = await fake.invoke_slash(*ids, "digest", raw)
    message = await record.wait_original()
    assert message["content"] == "3 days" and message["attachments"][0]["filename"] == "chart.png"
    assert fake.sent[-1].files[0].data == b"png"

    profile_record = await fake.invoke_user_command(
        "Profile", fake_world.moderator_id, fake_world.alice_id, channel_id=fake_world.channel_id
    )
    shown = await profile_record.wait_original()
    assert shown["content"] == "Mod by Alice"
    picked = await fake.choose(shown["id"], "pick", ["b"], fake_world.moderator_id)
    assert (await picked.wait_original())["content"] == "picked b"


async def test_autosharded_client_and_a_reconnect_request(fake_world, start_discord_client):
    fake = fake_world.fake
    client = discord.AutoShardedClient(intents=intents(), guild_ready_timeout=0.1)
    await start_discord_client(client)
    assert any(r.path == "/gateway/bot" for r in fake.requests)
    assert client.get_guild(int(fake_world.guild_id)) is not None

    mark = len(fake.gateway_log)
    await fake.request_reconnect()
    await fake.wait_for_event("RESUMED", since=mark)
