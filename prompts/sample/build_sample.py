"""Write the bundled sample server export: DiscordChatExporter JSON files, one per channel.

The conversation below is invented for Clio (MIT, like the project). It exercises what the bot must handle
on a real history server: catalogued arguments and their rebuttals, one recurring argument the catalogue
lacks (the Winter War, for discovery), abuse and spam (for moderation), a bot account (importers skip
it), and heated but civil talk about atrocities (which must not be flagged). A third channel,
#history-chat, is general history talk that exercises the other topic packs (Rome, medieval myths, the
American Civil War, the atomic bombings, Nazism, the British Empire).

Each message is (day, "HH:MM", author, text) plus optional ``key`` (a name other messages reply to),
``reply`` (the key of the message it answers, same channel), ``edited`` (minutes until it was edited) and
``tags`` (ground truth: catalogue argument ids, or ABUSE / SPAM / WINTER_WAR / BOT). Tags are not written
to the export; ``--report`` prints them with the final message ids.

Output is deterministic: ids and sub-minute times are derived from the data, never from the clock.

    python prompts/sample/build_sample.py            # rewrite the JSON files next to this script
    python prompts/sample/build_sample.py --report   # also print tag coverage and the flagged ids
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
DISCORD_EPOCH_MS = 1420070400000
START = datetime(2026, 10, 1, tzinfo=UTC)
EXPORTED_AT = "2026-10-15T08:12:40.517+00:00"

GUILD = {"id": "900000000000000001", "name": "Clio Sample History Server", "iconUrl": ""}

# Labels that are not catalogue ids.
ABUSE, SPAM, WINTER_WAR, BOT = "abuse", "spam", "uncatalogued:winter-war", "bot"


UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def snowflake(moment: datetime, increment: int = 0) -> str:
    # Integer arithmetic: float timestamps can land a millisecond early and break id/time consistency.
    unix_ms = (moment - UNIX_EPOCH) // timedelta(milliseconds=1)
    return str(((unix_ms - DISCORD_EPOCH_MS) << 22) + increment)


@dataclass(frozen=True)
class Author:
    name: str
    nickname: str
    created: datetime  # account creation, so that the user id is a plausible snowflake
    discriminator: str = "0000"
    is_bot: bool = False

    @property
    def id(self) -> str:
        return snowflake(self.created)


def _day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 17, 4, 31, tzinfo=UTC)


AUTHORS = {
    "volga": Author("volga_boatman", "Volga", _day(2019, 3, 14)),
    "kasia": Author("kasia.w", "Kasia", _day(2020, 5, 2)),
    "tom": Author("ironsides1642", "Tom", _day(2018, 11, 23)),
    "gary": Author("deltaforcedad", "Gary", _day(2021, 1, 9)),
    "marg": Author("marginalia", "Dr Marg (mod)", _day(2017, 6, 30)),
    "icebreaker": Author("suvorov_was_right", "Icebreaker", _day(2022, 8, 17)),
    "liina": Author("baltic_amber", "Liina", _day(2020, 12, 4)),
    "julius": Author("concrete_caesar", "Julius", _day(2019, 9, 1)),
    "aku": Author("sisu_aku", "Aku", _day(2021, 4, 27)),
    "harry": Author("hot_take_harry", "Harry", _day(2023, 2, 11)),
    "kev": Author("kev_deals_2291", "kev", _day(2026, 9, 29)),
    "beau": Author("bluegrass_beau", "Beau", _day(2021, 6, 12)),
    "priya": Author("priya.reads", "Priya", _day(2019, 11, 5)),
    "hana": Author("paper_cranes", "Hana", _day(2022, 1, 23)),
    "ollie": Author("codex_ollie", "Ollie", _day(2020, 9, 18)),
    "carl": Author("Carl-bot", "Carl-bot", _day(2017, 12, 8), discriminator="1536", is_bot=True),
}


class M(NamedTuple):
    day: int
    time: str
    author: str
    text: str
    key: str | None = None
    reply: str | None = None
    edited: int | None = None
    tags: tuple[str, ...] = ()


NITRO = (
    "🎁 Discord is giving away 3 months of Nitro to active members!! claim yours before it runs out "
    "👉 https://dlscord-nitro.gift/claim?u=active"
)

WW2_DEBATE = [
    # Day 0: the channel opens and every side shows up at once.
    M(0, "18:02", "volga", "Hot take for the new channel: the Molotov-Ribbentrop pact was Stalin's smartest move."),
    M(0, "18:02", "volga", "it bought the USSR almost two years", key="open", tags=("pact-bought-time",)),
    M(
        0,
        "18:04",
        "kasia",
        "bought time and still got caught napping in june 41. great deal",
        key="napping",
        reply="open",
        tags=("ussr-wasted-the-time",),
    ),
    M(0, "18:05", "tom", "here we go 🍿"),
    M(0, "18:05", "gary", "pulls up chair"),
    M(
        0,
        "18:07",
        "volga",
        "Without those 22 months the front starts at Minsk, not Brest.",
        key="minsk",
        reply="napping",
        tags=("territory-was-a-defensive-buffer",),
    ),
    M(
        0,
        "18:09",
        "kasia",
        "the front was at brest because he'd eaten half of poland first",
        reply="minsk",
        tags=("stalin-grabbed-territory",),
    ),
    M(0, "18:09", "kasia", "eastern poland wasnt his to take"),
    M(
        0,
        "18:12",
        "marg",
        "Worth separating two questions here. One is why Moscow signed at all, and the standard "
        "answer (Roberts, Haslam) is that collective security had failed: Britain and France kept the USSR at arm's "
        "length, left it out of Munich and then dragged out the 1939 talks. The other is what Stalin did with the "
        "pact once he had it, which is a much uglier story: the secret protocol, the partition of Poland, the "
        "deportations from the Baltics. You can accept the first without excusing the second.",
        key="two-questions",
        edited=4,
        tags=("west-cool-to-collective-security", "secret-protocol-divided-eastern-europe"),
    ),
    M(0, "18:15", "gary", "tldr?", key="tldr", reply="two-questions"),
    M(
        0,
        "18:16",
        "marg",
        "West snubbed him, he took Hitler's offer, then behaved like a conqueror.",
        reply="tldr",
        tags=("west-cool-to-collective-security", "stalin-grabbed-territory"),
    ),
    M(
        0,
        "18:20",
        "harry",
        "stalin played both sides, end of story",
        key="both-sides",
        tags=("stalin-played-both-sides",),
    ),
    M(0, "18:20", "harry", "brits on monday, ribbentrop on tuesday", tags=("stalin-played-both-sides",)),
    M(
        0,
        "18:24",
        "tom",
        "To be fair the British weren't racing to Moscow either. Drax went by slow boat.",
        key="drax1",
        reply="both-sides",
        tags=("allies-negotiated-half-heartedly",),
    ),
    M(0, "18:26", "harry", "lol the west is always the bad guy with you people", reply="drax1"),
    M(
        0,
        "18:31",
        "volga",
        "Poland signed its own non-aggression pact with Hitler in 1934.",
        key="poland34",
        tags=("pact-was-ordinary-non-aggression-treaty",),
    ),
    M(0, "18:31", "volga", "Nobody calls Warsaw a Nazi ally."),
    M(
        0,
        "18:33",
        "kasia",
        "the 1934 declaration didnt come with a secret map cutting a neighbour in half",
        reply="poland34",
        tags=("secret-protocol-divided-eastern-europe",),
    ),
    M(
        0,
        "18:40",
        "liina",
        "as an estonian: the secret protocol is why my great-grandparents ended up in siberia",
        key="siberia",
        tags=("secret-protocol-divided-eastern-europe",),
    ),
    M(0, "18:41", "volga", "That's awful, genuinely. The deportations were a crime.", reply="siberia"),
    M(0, "18:41", "volga", "I'm only arguing about the 1939 diplomacy."),
    M(0, "18:43", "liina", "appreciated"),
    # Day 1
    M(
        1,
        "12:15",
        "icebreaker",
        "Everyone ignores the elephant in the room: Stalin was about to attack Germany himself.",
        key="suvorov",
        tags=("stalin-planned-to-strike-first",),
    ),
    M(1, "12:15", "icebreaker", "read suvorov"),
    M(
        1,
        "12:19",
        "marg",
        "Suvorov was checked against the archives in the 90s and didn't hold up.",
        key="archives",
        reply="suvorov",
        tags=("icebreaker-thesis-rejected",),
    ),
    M(
        1,
        "12:20",
        "marg",
        "The May 1941 Zhukov draft was never approved. See Gorodetsky, Uldricks.",
        tags=("icebreaker-thesis-rejected",),
    ),
    M(
        1,
        "12:22",
        "icebreaker",
        "then why were soviet armies massed on the border in june? thats offensive",
        key="massed",
        reply="archives",
        tags=("stalin-planned-to-strike-first",),
    ),
    M(
        1,
        "12:25",
        "tom",
        "Massed and completely unready. The opposite of a planned first strike.",
        reply="massed",
        tags=("icebreaker-thesis-rejected",),
    ),
    M(
        1,
        "12:30",
        "aku",
        "red army couldnt even beat finland properly. hitler watched that and saw a pushover",
        key="finland1",
        tags=(WINTER_WAR,),
    ),
    M(
        1,
        "12:33",
        "gary",
        "wait is that why he invaded? bc finland embarrassed them?",
        key="why-invade",
        reply="finland1",
    ),
    M(
        1,
        "12:35",
        "aku",
        "not the only reason but it mattered. after finland berlin saw a paper tiger",
        reply="why-invade",
        tags=(WINTER_WAR,),
    ),
    M(1, "12:36", "gary", "huh. til"),
    M(
        1,
        "13:02",
        "volga",
        "The trade deal gets overblown too. Germany paid in machine tools, even a half-built cruiser.",
        key="cruiser",
        tags=("trade-benefited-ussr-too",),
    ),
    M(
        1,
        "13:05",
        "kasia",
        "meanwhile soviet oil kept the wehrmacht rolling through france",
        reply="cruiser",
        tags=("soviet-supplies-fuelled-germany",),
    ),
    # Day 2
    M(
        2,
        "10:11",
        "harry",
        "USSR started ww2 as much as germany did. equal guilt",
        key="equal1",
        tags=("ussr-as-guilty-as-germany",),
    ),
    M(2, "10:13", "marg", "Complicit, certainly. Equal, no.", reply="equal1"),
    M(
        2,
        "10:14",
        "marg",
        "Fall Weiss was ordered in April 1939. Hitler was going into Poland pact or no pact.",
        key="fallweiss",
        tags=("hitler-bears-primary-responsibility",),
    ),
    M(
        2,
        "10:20",
        "harry",
        "hitler only dared because stalin had his back",
        reply="fallweiss",
        tags=("ussr-as-guilty-as-germany",),
    ),
    M(2, "10:26", "kasia", "17 september. the date nobody in the west remembers"),
    M(
        2,
        "10:26",
        "kasia",
        "the red army invaded while we were still fighting the germans",
        key="17sept",
        tags=("invasion-of-poland-made-ussr-co-aggressor",),
    ),
    M(
        2,
        "10:28",
        "volga",
        "By the 17th the Polish government had fled Warsaw. Moscow moved in to keep the Wehrmacht off the old border.",
        key="left-warsaw",
        reply="17sept",
        tags=("territory-was-a-defensive-buffer",),
    ),
    M(
        2,
        "10:31",
        "kasia",
        "govt was still on polish soil and the army still fighting. its an invasion",
        reply="left-warsaw",
        edited=2,
        tags=("invasion-of-poland-made-ussr-co-aggressor",),
    ),
    M(
        2,
        "10:35",
        "liina",
        "same 'buffer' logic got used on us in 1940",
        key="one-list",
        tags=("stalin-grabbed-territory",),
    ),
    M(2, "10:35", "liina", "bases, then a one-list election, then annexation"),
    M(
        2,
        "10:50",
        "tom",
        "The Baltics are what make 'purely defensive' hard to swallow",
        reply="one-list",
        tags=("stalin-grabbed-territory",),
    ),
    M(
        2,
        "11:05",
        "icebreaker",
        "defensive buffer my foot. those armies were stacked for an offensive",
        tags=("stalin-planned-to-strike-first",),
    ),
    M(2, "11:06", "gary", "source?"),
    # Day 3: the first blow-up.
    M(
        3,
        "15:40",
        "volga",
        "Reminder: the USSR spent the 1930s asking for collective security. The West said no.",
        key="asked",
        tags=("west-cool-to-collective-security",),
    ),
    M(
        3,
        "15:42",
        "tom",
        "Because Moscow signed a separate peace in 1918 and ran the Comintern. Trust is earned.",
        key="earned",
        reply="asked",
        tags=("west-had-reason-to-distrust-moscow",),
    ),
    M(3, "15:45", "volga", "1918 was twenty years earlier. That's a pretext.", key="pretext", reply="earned"),
    M(
        3,
        "15:47",
        "harry",
        "you're a brain-dead tankie, go cry into your ushanka",
        key="abuse1",
        reply="pretext",
        tags=(ABUSE,),
    ),
    M(
        3,
        "15:48",
        "volga",
        "nobody asked you, you absolute clown. log off and touch grass you worthless troll",
        reply="abuse1",
        tags=(ABUSE,),
    ),
    M(3, "15:52", "marg", "Both of you, knock it off. Argue the history, not each other."),
    M(3, "15:52", "marg", "Next one is a timeout."),
    M(
        3,
        "15:53",
        "carl",
        "⚠️ Reminder: **Rule 4**: no personal attacks. Debate the argument, not the person.",
        tags=(BOT,),
    ),
    M(3, "15:54", "gary", "yikes"),
    M(
        3,
        "16:10",
        "tom",
        "Back to it: the 1935 Franco-Soviet treaty was hollow on both sides. No staff talks, ever.",
        key="fst",
        tags=("franco-soviet-treaty-hollow",),
    ),
    M(
        3,
        "16:14",
        "marg",
        "Laval signed it to keep Moscow from drifting to Berlin, then sat on it.",
        reply="fst",
        tags=("franco-soviet-treaty-hollow",),
    ),
    # Day 4
    M(
        4,
        "19:00",
        "aku",
        "reading about the winter war. tiny finnish army held off the red army for three months, "
        "and hitler's staff drew the obvious conclusion",
        key="finland2",
        tags=(WINTER_WAR,),
    ),
    M(
        4,
        "19:03",
        "icebreaker",
        "or they were saving their real strength for germany 😏",
        key="saving",
        reply="finland2",
        tags=("stalin-planned-to-strike-first",),
    ),
    M(4, "19:05", "tom", "Nobody fights that badly on purpose.", reply="saving"),
    M(
        4,
        "19:20",
        "gary",
        "ok dumb question, why didnt poland let the soviets in if they wanted to help",
        key="dumbq",
        tags=("poland-refused-red-army-transit",),
    ),
    M(
        4,
        "19:24",
        "kasia",
        "because 'help' from the red army never leaves",
        key="1920",
        reply="dumbq",
        tags=("polish-fears-were-justified",),
    ),
    M(4, "19:24", "kasia", "we fought them in 1920, we knew"),
    M(
        4,
        "19:27",
        "volga",
        "Then the alliance couldn't work. Voroshilov asked exactly that in August and nobody had an answer.",
        key="voroshilov",
        reply="1920",
        tags=("poland-refused-red-army-transit",),
    ),
    M(
        4,
        "19:31",
        "liina",
        "his 'question' was a demand for a corridor through other people's countries",
        reply="voroshilov",
        tags=("polish-fears-were-justified",),
    ),
    M(
        4,
        "20:05",
        "marg",
        "For what it's worth the transit problem was real on both sides. Moscow could not fight "
        "Germany without crossing Poland or Romania, and Warsaw had every historical reason to fear what came "
        "after the Red Army crossed. Carley and Prazmowska read the very same August talks in opposite ways, and "
        "both are worth your time if you want to argue this properly rather than trade slogans.",
        tags=("poland-refused-red-army-transit", "polish-fears-were-justified"),
    ),
    # Day 5
    M(
        5,
        "13:33",
        "harry",
        "also the soviets literally trained the wehrmacht. lipetsk, kazan",
        key="lipetsk",
        tags=("ussr-trained-the-wehrmacht",),
    ),
    M(
        5,
        "13:36",
        "volga",
        "A few hundred pilots and a couple dozen tank officers. 'Built the Wehrmacht' is a stretch.",
        key="few-hundred",
        reply="lipetsk",
        tags=("wehrmacht-training-exaggerated",),
    ),
    M(
        5,
        "13:40",
        "harry",
        "a few hundred pilots who then ran the luftwaffe",
        reply="few-hundred",
        tags=("ussr-trained-the-wehrmacht",),
    ),
    M(
        5,
        "13:44",
        "tom",
        "Corum says the schools mattered more for testing kit than for numbers",
        tags=("wehrmacht-training-exaggerated",),
    ),
    M(
        5,
        "14:02",
        "kasia",
        "then they fed the wehrmacht oil for two years. hitler's petrol station",
        key="petrol",
        tags=("soviet-supplies-fuelled-germany",),
    ),
    M(
        5,
        "14:05",
        "volga",
        "Germany kept falling behind on deliveries. Moscow got tools, designs, a cruiser. A trade, not aid.",
        reply="petrol",
        tags=("trade-benefited-ussr-too",),
    ),
    M(5, "14:30", "kev", NITRO, key="nitro", tags=(SPAM,)),
    M(5, "14:33", "gary", "^ scam, don't click", reply="nitro"),
    M(5, "14:34", "liina", "reported"),
    # Day 6
    M(
        6,
        "20:10",
        "icebreaker",
        "zhukov's may 15 plan literally proposes hitting the germans first",
        key="may15",
        tags=("stalin-planned-to-strike-first",),
    ),
    M(
        6,
        "20:14",
        "marg",
        "An unsigned draft. A draft isn't a decision.",
        reply="may15",
        tags=("icebreaker-thesis-rejected",),
    ),
    M(
        6,
        "20:18",
        "aku",
        "and again, finland. couldnt crack the mannerheim line fast in 1940, werent invading "
        "germany in 41. hitler knew it",
        reply="may15",
        tags=(WINTER_WAR,),
    ),
    M(6, "20:25", "volga", "Munich is where all this starts.", key="munich1"),
    M(
        6,
        "20:25",
        "volga",
        "The West sold out Czechoslovakia and didn't even invite Moscow. Stalin read the room.",
        tags=("munich-made-pact-inevitable",),
    ),
    M(
        6,
        "20:29",
        "icebreaker",
        "stalin was sending feelers to berlin through kandelaki in 1936. munich is an excuse",
        key="kandelaki",
        reply="munich1",
        tags=("stalin-wanted-a-german-deal",),
    ),
    M(
        6,
        "20:33",
        "volga",
        "Kandelaki was a trade envoy and it went nowhere. You're reading 1939 back into 1936.",
        reply="kandelaki",
    ),
    M(6, "20:34", "icebreaker", "cope"),
    # Day 7: the second blow-up.
    M(7, "11:00", "tom", "The Drax mission is embarrassing to read about.", key="drax2"),
    M(
        7,
        "11:00",
        "tom",
        "No written powers, sent by sea, while Ribbentrop flew.",
        tags=("allies-negotiated-half-heartedly",),
    ),
    M(
        7,
        "11:03",
        "liina",
        "brits were slow but stalin was dealing with berlin in parallel anyway",
        reply="drax2",
        tags=("stalin-played-both-sides",),
    ),
    M(
        7,
        "11:10",
        "kasia",
        "litvinov getting fired in may was the signal",
        key="litvinov1",
        tags=("litvinov-dismissal-signalled-turn",),
    ),
    M(
        7,
        "11:10",
        "kasia",
        "jewish foreign minister out, molotov in. berlin got the message",
        tags=("litvinov-dismissal-signalled-turn",),
    ),
    M(
        7,
        "11:13",
        "volga",
        "Molotov kept negotiating with London and Paris for three more months though",
        key="three-months",
        reply="litvinov1",
    ),
    M(
        7,
        "11:15",
        "kasia",
        "negotiating with both. thats exactly the point",
        reply="three-months",
        tags=("stalin-played-both-sides",),
    ),
    M(
        7,
        "17:45",
        "harry",
        "hey volga keep posting this tankie garbage and I'll find out where you live, see how brave you are then",
        key="threat",
        reply="three-months",
        tags=(ABUSE,),
    ),
    M(
        7,
        "17:46",
        "carl",
        "🔇 hot_take_harry was timed out for 1 hour. Reason: threats towards another member",
        reply="threat",
        tags=(BOT,),
    ),
    M(7, "17:50", "volga", "thanks mods"),
    # Day 8
    M(
        8,
        "09:20",
        "marg",
        "Reading list for this channel since it keeps coming up: Roberts for the Soviet view, "
        "Carley for the alliance that failed, Moorhouse for the pact years, Gorodetsky on 1941, Snyder for the "
        "human cost.",
        key="reading",
    ),
    M(8, "09:40", "gary", "do the finns get a book too lol", key="finns-book", reply="reading"),
    M(
        8,
        "09:42",
        "aku",
        "Trotter's 'A Frozen Hell'. and yes, the winter war is why hitler expected the USSR to fold in weeks",
        reply="finns-book",
        tags=(WINTER_WAR,),
    ),
    M(
        8,
        "10:15",
        "icebreaker",
        "the 'unready' red army had more tanks than the rest of the world combined",
        key="tanks",
        tags=("stalin-planned-to-strike-first",),
    ),
    M(8, "10:15", "icebreaker", "unready for DEFENCE maybe"),
    M(
        8,
        "10:17",
        "harry",
        "ngl icebreaker has a point, you dont build airfields right on the border for defence",
        reply="tanks",
        tags=("stalin-planned-to-strike-first",),
    ),
    M(
        8,
        "10:19",
        "tom",
        "Mostly obsolete, broken down or missing crews. Glantz goes through it unit by unit.",
        reply="tanks",
        tags=("icebreaker-thesis-rejected",),
    ),
    M(
        8,
        "15:00",
        "harry",
        "the soviet union is the reason ww2 happened",
        key="equal2",
        tags=("ussr-as-guilty-as-germany",),
    ),
    M(
        8,
        "15:06",
        "kasia",
        "I'm the last person to defend moscow, but hitler's war aims came long before any pact",
        reply="equal2",
        tags=("hitler-bears-primary-responsibility",),
    ),
    M(8, "15:06", "kasia", "both guilty. not equally"),
    M(8, "15:07", "tom", "this ^"),
    # Day 9: Katyn.
    M(
        9,
        "12:00",
        "volga",
        "Katyn was the Germans. The 1944 commission found German ammunition there.",
        key="katyn-deny",
        tags=("katyn-was-german",),
    ),
    M(
        9,
        "12:03",
        "kasia",
        "the USSR admitted in 1990 that the NKVD did it. please dont",
        reply="katyn-deny",
        tags=("katyn-was-nkvd",),
    ),
    M(
        9,
        "12:05",
        "liina",
        "german pistol ammo was exported to the ussr before the war. the burdenko report was a cover-up",
        reply="katyn-deny",
        tags=("katyn-was-nkvd",),
    ),
    M(
        9,
        "12:10",
        "marg",
        "Mod note: this server treats Katyn denial like any other atrocity denial. The "
        "documents are published (Cienciala, Lebedeva and Materski). Discuss it, don't deny it.",
        key="katyn-mod",
        tags=("katyn-was-nkvd",),
    ),
    M(
        9,
        "12:14",
        "volga",
        "Fair enough, I'll drop it. Was repeating what my grandad used to say.",
        key="grandad",
        reply="katyn-mod",
    ),
    M(9, "12:30", "tom", "Respect for that, honestly.", reply="grandad"),
    M(
        9,
        "12:41",
        "kasia",
        "my great-uncle was a reserve officer, a schoolteacher. he's on the kharkiv list",
        key="great-uncle",
    ),
    M(9, "12:41", "kasia", "so yeah, it matters"),
    M(9, "12:44", "volga", "I'm sorry. That's exactly why it should be said plainly.", reply="great-uncle"),
    # Day 10
    M(
        10,
        "14:00",
        "icebreaker",
        "Ok a long one. People keep saying Stalin was defensive. Look at the sequence: "
        "eastern Poland in September 1939, the Baltic bases that autumn, then the Baltic states annexed outright "
        "and Bessarabia and northern Bukovina taken in the summer of 1940. Every single opportunity the pact "
        "created, he used to move the border west and swallow another country. That is not a man hiding behind his "
        "walls. That is a man taking everything the protocol allowed him and lining up the next move.",
        key="sequence",
        tags=("stalin-grabbed-territory",),
    ),
    M(
        10,
        "14:09",
        "volga",
        "Or a man expecting Hitler to turn on him, who wanted the fight far from Moscow.",
        reply="sequence",
        tags=("territory-was-a-defensive-buffer",),
    ),
    M(10, "14:09", "volga", "Both readings fit the map."),
    M(
        10,
        "14:12",
        "volga",
        "And socialism in one country was the line since the 20s. Survival, not world revolution.",
        key="soc1",
        tags=("socialism-in-one-country-defensive",),
    ),
    M(
        10,
        "14:16",
        "kasia",
        "survival that needed five countries' worth of territory",
        reply="soc1",
        tags=("stalin-grabbed-territory",),
    ),
    M(
        10,
        "14:20",
        "marg",
        "The encirclement fear was real though. The popular fronts after 1934 were about defending the USSR.",
        reply="soc1",
        tags=("socialism-in-one-country-defensive",),
    ),
    M(
        10,
        "15:00",
        "tom",
        "After the Finnish debacle the German general staff rated the Red Army very low. Fed straight into Barbarossa.",
        tags=(WINTER_WAR,),
    ),
    M(
        10,
        "15:20",
        "marg",
        "There's real strategic logic to pushing the frontier west before a war you expect.",
        tags=("territory-was-a-defensive-buffer",),
    ),
    M(10, "15:20", "marg", "The problem is what it meant for the people living there."),
    # Day 11
    M(11, "18:00", "harry", "back from timeout"),
    M(
        11,
        "18:00",
        "harry",
        "still think the pact makes the USSR as guilty as germany",
        key="equal3",
        tags=("ussr-as-guilty-as-germany",),
    ),
    M(
        11,
        "18:04",
        "tom",
        "Hitler would have invaded Poland regardless. The pact changed the odds, not the intent.",
        reply="equal3",
        tags=("hitler-bears-primary-responsibility",),
    ),
    M(
        11,
        "18:12",
        "tom",
        "I'll give the pact this: it kept the USSR out while the army rebuilt after the purges.",
        tags=("pact-bought-time",),
    ),
    M(
        11,
        "18:30",
        "liina",
        "the pact was the green light. stalin knew exactly what the protocol meant for us",
        tags=("secret-protocol-divided-eastern-europe",),
    ),
    M(
        11,
        "18:35",
        "volga",
        "It was a non-aggression pact. Britain and France signed declarations with Germany in 1938 too.",
        key="declarations",
        tags=("pact-was-ordinary-non-aggression-treaty",),
    ),
    M(
        11,
        "18:38",
        "liina",
        "chamberlain's bit of paper didnt hand anyone the baltic states",
        reply="declarations",
        tags=("secret-protocol-divided-eastern-europe",),
    ),
    M(11, "18:39", "gary", "oof"),
    # Day 12
    M(
        12,
        "13:00",
        "icebreaker",
        "Barbarossa was preemptive, I will die on this hill",
        key="hill",
        tags=("stalin-planned-to-strike-first",),
    ),
    M(12, "13:02", "gary", "you will certainly die on this hill lol", reply="hill"),
    M(
        12,
        "13:06",
        "marg",
        "Read Uldricks's 1999 review of the debate first.",
        key="uldricks",
        reply="hill",
        tags=("icebreaker-thesis-rejected",),
    ),
    M(
        12,
        "13:09",
        "icebreaker",
        "marg you're a pathetic gatekeeper with a fake phd, nobody cares what you think",
        reply="uldricks",
        tags=(ABUSE,),
    ),
    M(
        12,
        "13:20",
        "kasia",
        "drax took most of a week to reach moscow",
        key="drax3",
        tags=("allies-negotiated-half-heartedly",),
    ),
    M(
        12,
        "13:20",
        "kasia",
        "ribbentrop flew in and signed in a day. the west wasnt serious",
        tags=("allies-negotiated-half-heartedly",),
    ),
    M(12, "13:25", "volga", "Finally something we agree on", reply="drax3"),
    M(
        12,
        "13:40",
        "marg",
        "Both can be true: the Allies dragged their feet and Stalin shopped for the better offer.",
        tags=("allies-negotiated-half-heartedly", "stalin-played-both-sides"),
    ),
    # Day 13
    M(
        13,
        "19:00",
        "harry",
        "ok nicely: stalin kept london and berlin bidding and took hitler's bid",
        key="bidding",
        tags=("stalin-played-both-sides",),
    ),
    M(
        13,
        "19:04",
        "volga",
        "London never made a serious bid. You can't auction yourself to one buyer.",
        reply="bidding",
        tags=("west-cool-to-collective-security",),
    ),
    M(
        13,
        "19:07",
        "harry",
        "he wanted hitler's friendship since the mid 30s anyway. kandelaki",
        tags=("stalin-wanted-a-german-deal",),
    ),
    M(
        13,
        "19:10",
        "aku",
        "after the finnish fiasco hitler figured he only had to kick in the door",
        tags=(WINTER_WAR,),
    ),
    M(
        13,
        "19:20",
        "tom",
        "The 'bought' time went on moving the frontier and stripping the old Stalin Line.",
        key="stalin-line",
        tags=("ussr-wasted-the-time",),
    ),
    M(
        13,
        "19:25",
        "volga",
        "Arms output shot up. The T-34 and KV went into production. The time mattered.",
        reply="stalin-line",
        tags=("pact-bought-time",),
    ),
    M(
        13,
        "19:31",
        "volga",
        "Longer version, since this is the argument I care about most. People judge 1939 "
        "knowing how 1941 ended. In August 1939 Stalin had no Western alliance on offer that he could trust, a "
        "border war with Japan still running in Mongolia, and an army that had lost most of its senior commanders "
        "two years earlier. The pact kept him out of a war he would have fought alone. You can hate what he did "
        "with the protocol and still see that the time itself was worth having.",
        tags=("pact-bought-time",),
    ),
    M(13, "19:40", "kasia", "good thread everyone, even the people I disagree with. mostly 🙃"),
]

GENERAL_HISTORY = [
    # Day 0
    M(0, "09:15", "julius", "good morning historians"),
    M(
        0,
        "09:15",
        "julius",
        "did you know roman concrete self-heals? lime clasts react with water and seal the cracks",
        key="concrete",
    ),
    M(0, "09:18", "gary", "rome fell but the concrete didnt", reply="concrete"),
    M(0, "09:20", "julius", "exactly. 2023 paper on 'hot mixing' with quicklime, great stuff"),
    M(0, "09:40", "liina", "morning! anyone read anything good lately?", key="reading-q"),
    M(
        0,
        "09:44",
        "marg",
        "Just finished Moorhouse's 'The Devils' Alliance'. Readable, grim.",
        key="moorhouse",
        reply="reading-q",
    ),
    M(
        0,
        "09:47",
        "tom",
        "Seconded. The trade chapter: Soviet oil and grain heading west while Germany fought France.",
        reply="moorhouse",
        tags=("soviet-supplies-fuelled-germany",),
    ),
    M(0, "21:30", "gary", "napoleon was 5'7, average for his time. british cartoonists did him dirty", key="napoleon"),
    M(
        0,
        "21:31",
        "julius",
        "french inches were longer than english ones, that's where the myth started",
        reply="napoleon",
    ),
    M(0, "21:33", "gary", "short king propaganda 😤"),
    M(0, "21:34", "aku", "lmao"),
    # Day 1
    M(1, "08:50", "kasia", "best single volume on the eastern front? go", key="eastfront"),
    M(
        1,
        "08:55",
        "aku",
        "Mawdsley's Thunder in the East. but read about the winter war first, it's why hitler "
        "underestimated the red army",
        reply="eastfront",
        tags=(WINTER_WAR,),
    ),
    M(1, "09:02", "marg", "Seconding Mawdsley. Glantz and House is the classic.", reply="eastfront"),
    M(
        1,
        "16:20",
        "icebreaker",
        "USSR as innocent victim of 1941 is a myth. it was stalin's war as much as hitler's",
        key="stalins-war",
        tags=("ussr-as-guilty-as-germany",),
    ),
    M(
        1,
        "16:25",
        "julius",
        "isnt that a bit much? hitler wrote his plans down in the 20s",
        reply="stalins-war",
        tags=("hitler-bears-primary-responsibility",),
    ),
    # Day 2
    M(2, "11:00", "carl", "🎉 GG @Kasia, you just advanced to **level 5**!", tags=(BOT,)),
    M(
        2,
        "11:30",
        "volga",
        "Nobody mentions that the West kept the Soviets at arm's length for a decade.",
        key="arms-length",
        tags=("west-cool-to-collective-security",),
    ),
    M(2, "11:30", "volga", "Of course Stalin went elsewhere."),
    M(
        2,
        "11:34",
        "liina",
        "'went elsewhere' = annexed my country",
        reply="arms-length",
        tags=("stalin-grabbed-territory",),
    ),
    M(2, "12:00", "gary", "anyone doing anything fun this weekend?", key="weekend"),
    M(2, "12:00", "gary", "taking the kids to the castle museum"),
    M(2, "12:05", "julius", "aqueduct exhibition, naturally", reply="weekend"),
    M(2, "12:07", "tom", "Reenactment on Saturday. Muddy field, musket smoke, very happy.", reply="weekend"),
    M(2, "12:09", "gary", "tom in a tricorne is a mental image I needed"),
    # Day 3
    M(
        3,
        "09:00",
        "volga",
        "People forget Munich. After 1938 Stalin had every reason to think the West would sell out anyone.",
        key="munich2",
        tags=("munich-made-pact-inevitable",),
    ),
    M(
        3,
        "09:04",
        "tom",
        "As a Brit, fair. After Munich a deal with Moscow was nearly impossible.",
        reply="munich2",
        tags=("munich-made-pact-inevitable",),
    ),
    M(
        3,
        "09:10",
        "icebreaker",
        "kandelaki says otherwise. stalin wanted the german deal from the mid 30s",
        reply="munich2",
        tags=("stalin-wanted-a-german-deal",),
    ),
    M(
        3,
        "10:00",
        "marg",
        "Longish thought on the Holodomor, since it came up in DMs. The famine of 1932-33 killed "
        "something like three and a half to five million people in Ukraine, and Stalin's policies (the grain "
        "quotas, the blacklisted villages, sealing the borders so starving peasants couldn't leave to find food) "
        "turned a crisis into mass death. Whether it meets the legal definition of genocide is a live scholarly "
        "debate: Conquest and Applebaum read intent one way, Davies and Wheatcroft another. That debate is "
        "legitimate. Denying the deaths is not.",
        key="holodomor",
    ),
    M(3, "10:05", "kasia", "thank you for putting it like that. family from lviv, it's personal", reply="holodomor"),
    M(
        3,
        "10:09",
        "volga",
        "Agree on the deaths and the requisitions. I lean Davies and Wheatcroft on intent, but a crime either way.",
        reply="holodomor",
    ),
    M(3, "14:00", "julius", "random: nobody knows the recipe for greek fire", key="greekfire"),
    M(3, "14:03", "gary", "naphtha and vibes", reply="greekfire"),
    # Day 4
    M(
        4,
        "17:00",
        "tom",
        "The Allies had decent grounds to distrust Moscow. Brest-Litovsk nearly lost them the war.",
        key="brest",
        tags=("west-had-reason-to-distrust-moscow",),
    ),
    M(
        4,
        "17:04",
        "volga",
        "And the Allies intervened in Russia in 1918-19. Distrust ran both ways.",
        key="intervention",
        reply="brest",
    ),
    M(
        4,
        "17:10",
        "liina",
        "comintern was still trying to overthrow western governments in the 30s. hard to ally with that",
        reply="intervention",
        tags=("west-had-reason-to-distrust-moscow",),
    ),
    M(
        4,
        "17:30",
        "kev",
        "🔥 JOIN THE #1 WW2 MEMES SERVER 🔥 10k members, weekly giveaways, no boring rules https://discord.gg/ww2memez",
        key="invite",
        tags=(SPAM,),
    ),
    M(4, "17:35", "gary", "mods, spam bot again ^", reply="invite"),
    # Day 5
    M(
        5,
        "13:00",
        "aku",
        "fun fact: the finns named molotov cocktails after molotov claimed soviet planes were "
        "dropping bread, not bombs",
    ),
    M(5, "13:05", "gary", "finns built different"),
    M(
        5,
        "13:06",
        "gary",
        "isnt the winter war why hitler thought russia was a pushover? they got wrecked by finland",
        key="pushover",
        tags=(WINTER_WAR,),
    ),
    M(
        5,
        "13:10",
        "marg",
        "Partly, yes. German assessments rated the Red Army very low after Finland, which fed "
        "the confidence behind Barbarossa.",
        reply="pushover",
        tags=(WINTER_WAR,),
    ),
    M(5, "14:31", "kev", NITRO, tags=(SPAM,)),
    # Day 6
    M(
        6,
        "15:00",
        "julius",
        "the pantheon dome is still the biggest unreinforced concrete dome in the world",
        key="pantheon",
    ),
    M(6, "15:02", "gary", "romans: 'rebar? never heard of her'", reply="pantheon"),
    M(6, "15:30", "liina", "what's everyone reading? I've got Bloodlands on the go", key="bloodlands"),
    M(6, "15:33", "kasia", "bloodlands is brutal. the famine chapter stayed with me for weeks", reply="bloodlands"),
    M(
        6,
        "15:40",
        "kev",
        "📚 history books up to 70% off this week only!! https://bit.ly/3HstDealz or direct "
        "https://bookdeals-hub.shop/ww2?ref=kev2291",
        tags=(SPAM,),
    ),
    # Day 7
    M(
        7,
        "12:00",
        "kasia",
        "the holocaust chapters too. six million jews murdered and people online still play whataboutism",
        key="holocaust",
    ),
    M(
        7,
        "12:04",
        "volga",
        "Nobody serious here minimises the Holocaust. Its industrial scale was unique.",
        reply="holocaust",
    ),
    M(
        7,
        "12:08",
        "liina",
        "the soviet deportations deserve a place in that conversation too, without pretending they're the same thing",
        reply="holocaust",
    ),
    M(7, "19:00", "gary", "napoleon meme of the day: not short, just fun-sized, and conquered half of europe"),
    M(7, "19:01", "julius", "average height, very tall ego"),
    M(7, "19:02", "kasia", "😂"),
    # Day 8
    M(
        8,
        "10:00",
        "tom",
        "Litvinov's removal as a signal to Berlin: I find Resis convincing.",
        key="resis",
        tags=("litvinov-dismissal-signalled-turn",),
    ),
    M(
        8,
        "10:05",
        "marg",
        "Roberts argued the opposite in 1992: Molotov kept talking to the Allies for months.",
        reply="resis",
    ),
    M(
        8,
        "10:09",
        "kasia",
        "sacking the jewish foreign minister weeks before ribbentrop shows up is not a coincidence",
        reply="resis",
        tags=("litvinov-dismissal-signalled-turn",),
    ),
    M(
        8,
        "18:00",
        "volga",
        "The pact gave Moscow two years to get the army ready.",
        key="two-years",
        tags=("pact-bought-time",),
    ),
    M(8, "18:00", "volga", "Nobody who's looked at the purges thinks the USSR holds in 1939."),
    M(
        8,
        "18:04",
        "aku",
        "and they still got shredded in 41. what did the two years buy",
        reply="two-years",
        tags=("ussr-wasted-the-time",),
    ),
    M(
        8,
        "18:10",
        "icebreaker",
        "bought time to prepare stalin's own offensive. you're closer to suvorov than you think",
        reply="two-years",
        tags=("stalin-planned-to-strike-first",),
    ),
    # Day 9
    M(9, "11:00", "gary", "weekend plans: lego colosseum, 9000 pieces, pray for me", key="lego"),
    M(9, "11:05", "julius", "has to be set in authentic roman concrete or it doesn't count", reply="lego"),
    M(
        9,
        "16:00",
        "harry",
        "soviets basically equal nazis for starting the war, idk why people pretend otherwise",
        key="equal4",
        tags=("ussr-as-guilty-as-germany",),
    ),
    M(
        9,
        "16:05",
        "liina",
        "as someone both of them occupied: still not equal. hitler's plans came first",
        reply="equal4",
        tags=("hitler-bears-primary-responsibility",),
    ),
    M(
        9,
        "16:20",
        "tom",
        "Soviet supplies to Germany in 1939-41 are underrated. Oil, manganese, grain: it blunted the blockade.",
        key="supplies",
        tags=("soviet-supplies-fuelled-germany",),
    ),
    M(
        9,
        "16:26",
        "volga",
        "And Germany sent back machine tools, aircraft and naval guns. Moscow drove a hard bargain.",
        reply="supplies",
        tags=("trade-benefited-ussr-too",),
    ),
    M(
        9,
        "16:30",
        "icebreaker",
        "lol they got the lützow hulk out of it, hardly a one sided gift",
        reply="supplies",
        tags=("trade-benefited-ussr-too",),
    ),
    # Day 10
    M(
        10,
        "09:30",
        "carl",
        "📚 The weekly reading thread is up in #book-club: tell us what you're reading!",
        tags=(BOT,),
    ),
    M(
        10,
        "10:00",
        "kasia",
        "the franco-soviet pact of 1935, ever more than a gesture?",
        key="fst-q",
        tags=("franco-soviet-treaty-hollow",),
    ),
    M(
        10,
        "10:04",
        "marg",
        "Not much. No military convention, and France shied away from staff talks.",
        reply="fst-q",
        tags=("franco-soviet-treaty-hollow",),
    ),
    M(
        10,
        "13:00",
        "icebreaker",
        "poland refusing soviet troops killed the 1939 alliance",
        key="transit",
        tags=("poland-refused-red-army-transit",),
    ),
    M(
        10,
        "13:04",
        "kasia",
        "ask the lithuanians how letting soviet garrisons in 'for mutual defence' went",
        reply="transit",
        tags=("polish-fears-were-justified",),
    ),
    # Day 11
    M(
        11,
        "10:00",
        "julius",
        "wait, wasn't Katyn a Nazi thing? that's what my old school textbook said",
        key="textbook",
        tags=("katyn-was-german",),
    ),
    M(
        11,
        "10:04",
        "kasia",
        "old soviet line. moscow admitted in 1990 it was the nkvd. about 22,000 people",
        key="admitted",
        reply="textbook",
        tags=("katyn-was-nkvd",),
    ),
    M(11, "10:07", "julius", "oh wow, I had no idea. that's grim", reply="admitted"),
    M(
        11,
        "15:00",
        "volga",
        "Soviet policy was defensive from Stalin on. Socialism in one country means building "
        "walls, not exporting revolution.",
        key="walls",
        tags=("socialism-in-one-country-defensive",),
    ),
    M(
        11,
        "15:05",
        "liina",
        "walls that ended up in tallinn, riga and vilnius",
        reply="walls",
        tags=("stalin-grabbed-territory",),
    ),
    M(
        11,
        "15:25",
        "gary",
        "ngl I thought it was just a 'we won't attack each other' deal, like poland had with germany",
        key="ngl",
        tags=("pact-was-ordinary-non-aggression-treaty",),
    ),
    M(
        11,
        "15:28",
        "liina",
        "the public text, yes. the secret protocol split eastern europe between them",
        reply="ngl",
        tags=("secret-protocol-divided-eastern-europe",),
    ),
    # Day 12
    M(
        12,
        "12:00",
        "gary",
        "someone on youtube said katyn was german propaganda flipped round, idk",
        key="youtube",
        tags=("katyn-was-german",),
    ),
    M(
        12,
        "12:03",
        "marg",
        "That YouTuber is wrong. The Politburo decision of 5 March 1940 is published.",
        reply="youtube",
        tags=("katyn-was-nkvd",),
    ),
    M(
        12,
        "17:00",
        "kasia",
        "17 september makes the ussr a co-aggressor, full stop. joint parade at brest",
        key="parade",
        tags=("invasion-of-poland-made-ussr-co-aggressor",),
    ),
    M(
        12,
        "17:05",
        "volga",
        "It was a handover ceremony after the Polish state collapsed, not a victory parade.",
        key="handover",
        reply="parade",
        tags=("territory-was-a-defensive-buffer",),
    ),
    M(
        12,
        "17:09",
        "tom",
        "Semantics. Two armies that just carved up a country, shaking hands on the new border.",
        reply="handover",
        tags=("invasion-of-poland-made-ussr-co-aggressor",),
    ),
    M(
        12,
        "20:00",
        "icebreaker",
        "they wasted the breathing space anyway. old forts stripped, new ones half built",
        tags=("ussr-wasted-the-time",),
    ),
    M(
        12,
        "21:00",
        "icebreaker",
        "lipetsk and kazan = the soviets trained the men who later invaded them",
        key="own-goal",
        tags=("ussr-trained-the-wehrmacht",),
    ),
    M(12, "21:00", "icebreaker", "history's biggest own goal"),
    M(
        12,
        "21:06",
        "marg",
        "Kama trained something like thirty officers. It mattered for testing tanks, not manpower.",
        reply="own-goal",
        tags=("wehrmacht-training-exaggerated",),
    ),
    # Day 13
    M(
        13,
        "10:00",
        "julius",
        "last concrete fact I promise: 'pozzolan' comes from pozzuoli, where the romans got their ash",
        key="pozzolan",
    ),
    M(13, "10:02", "gary", "you said 'last fact' last week too", reply="pozzolan"),
    M(
        13,
        "13:00",
        "harry",
        "real question, no trolling: if the west signs with stalin in 39, does hitler still invade?",
        key="what-if",
    ),
    M(
        13,
        "13:05",
        "marg",
        "Maybe he hesitates, but Weinberg thinks Hitler was set on war in 1939 regardless.",
        reply="what-if",
        tags=("hitler-bears-primary-responsibility",),
    ),
    M(
        13,
        "13:10",
        "volga",
        "If the Allies had taken collective security seriously he'd have been deterred. They didn't.",
        reply="what-if",
        tags=("west-cool-to-collective-security",),
    ),
    M(
        13,
        "16:00",
        "aku",
        "last word on the winter war: the fiasco convinced berlin the red army was hollow. "
        "wrong, but it made them cocky",
        tags=(WINTER_WAR,),
    ),
    M(13, "16:10", "kasia", "that mistake cost some 27 million soviet lives. they deserve remembering"),
]

# #history-chat: general history talk, added later. It covers topic packs other than the pact (Rome, medieval
# myths, the Civil War, 1945, Nazism, the British Empire); none of it is abuse or spam.
HISTORY_CHAT = [
    # Day 0
    M(0, "08:30", "julius", "first post in the new channel 🏛️ what's this one for anyway", key="first"),
    M(
        0,
        "08:33",
        "marg",
        "Everything that isn't the pact. Any century, any continent. The 1939 arguments stay in #ww2-debate.",
        reply="first",
    ),
    M(
        0,
        "08:40",
        "julius",
        "I'll open with Rome then. the west wasn't murdered by goths, it bled out from usurper "
        "after usurper. every time a general on the rhine fancied the purple, the frontier army marched on italy "
        "instead of watching the river",
        key="rome-civil",
        tags=("rome-fell-to-its-own-civil-wars",),
    ),
    M(
        0,
        "08:46",
        "tom",
        "The provinces didn't wander off by themselves though. Goths, Vandals, Suebi and Franks took "
        "them at sword point, and the tax money went with them.",
        key="swords",
        reply="rome-civil",
        tags=("rome-fell-to-barbarian-invasion",),
    ),
    M(
        0,
        "08:50",
        "julius",
        "they could only take them bc the field armies were too busy fighting other romans. "
        "stilicho and aetius were both murdered on their own emperors' orders lol",
        reply="swords",
        tags=("rome-fell-to-its-own-civil-wars",),
    ),
    M(0, "08:52", "gary", "so rome was a group project where everyone fought and the vandals handed it in"),
    M(0, "09:10", "liina", "morning all! books on the go this week?", key="reading0"),
    M(
        0,
        "09:14",
        "hana",
        "Rereading Hersey's Hiroshima for a book club. Still the best 150 pages of journalism I know",
        reply="reading0",
    ),
    M(0, "09:17", "beau", "Battle Cry of Freedom, third time through. McPherson never gets old", reply="reading0"),
    # Day 1
    M(
        1,
        "12:00",
        "gary",
        "helping my kid with homework. worksheet says columbus set off to prove the world was "
        "round bc back then everyone believed ships would drop off the end of it. so medieval folks really thought it "
        "was flat huh",
        key="columbus",
        tags=("flat-earth-medieval-belief",),
    ),
    M(
        1,
        "12:04",
        "ollie",
        "that worksheet should be confiscated. anyone with an education in 1492 knew it was a "
        "ball. the row with columbus was over the size: he thought asia was a short hop west and his critics "
        "(correctly) said he was thousands of miles out",
        key="ball",
        reply="columbus",
        tags=("medieval-round-earth-known",),
    ),
    M(1, "12:09", "gary", "so where does the flat thing come from", key="where-flat", reply="ball"),
    M(
        1,
        "12:13",
        "ollie",
        "a romantic american novelist in the 1820s wrote columbus up as a hero facing down "
        "flat-earth monks. pure invention, but it got into the schoolbooks and never left. the actual medieval "
        "astronomers all describe a sphere",
        key="novelist",
        reply="where-flat",
        tags=("medieval-round-earth-known",),
    ),
    M(1, "12:14", "gary", "which novelist", key="which", reply="novelist"),
    M(1, "12:14", "ollie", "washington irving", reply="which"),
    M(1, "12:15", "gary", "the headless horseman guy?? lmao"),
    M(1, "12:15", "gary", "everything is fake"),
    M(
        1,
        "19:00",
        "priya",
        "watched a documentary on the 1943 bengal famine last night and I'm still angry. up to "
        "three million dead, the viceroy pleading for grain, and churchill's war cabinet refusing the ships, even "
        "turning down other countries' offers of wheat",
        key="bengal1",
        tags=("churchill-caused-bengal-famine",),
    ),
    M(
        1,
        "19:06",
        "tom",
        "Churchill said vile things about Indians, I won't defend those. But the famine started "
        "with Burma falling and its rice disappearing, then the 1942 cyclone, a fungus through the paddy, and war "
        "spending sending prices through the roof. That was the engine.",
        key="engine",
        reply="bengal1",
        tags=("bengal-famine-wartime-causes",),
    ),
    M(
        1,
        "19:10",
        "priya",
        "the harvest was bad, sure. canada offered wheat and the war cabinet turned it down. a "
        "government can inherit a disaster and still choose to let it run",
        reply="engine",
        tags=("churchill-caused-bengal-famine",),
    ),
    M(1, "19:12", "gary", "this channel went from flat earth to famine in seven hours"),
    # Day 2
    M(
        2,
        "10:00",
        "beau",
        "Teacher confession. Every fall some kid tells me the Civil War 'wasn't really about "
        "slavery.' So we read the seceding conventions out loud in class. Takes about ten minutes for the room to go "
        "quiet, because they tell you in black and white why they were leaving.",
        key="beau-class",
        tags=("secession-over-slavery",),
    ),
    M(
        2,
        "10:05",
        "harry",
        "with respect those are politicians writing propaganda. the real issue was washington "
        "bossing the states around. slavery was the flashpoint, self-government was the principle",
        key="harry-sr",
        reply="beau-class",
        tags=("secession-over-states-rights",),
    ),
    M(
        2,
        "10:09",
        "beau",
        "Bossing them around how? In the 1850s it was the slave states demanding that federal "
        "marshals reach into Boston and Pennsylvania to drag people back south, and raging at free states that "
        "passed laws to slow that down. Odd kind of states' rights.",
        key="marshals",
        reply="harry-sr",
        tags=("south-opposed-northern-states-rights",),
    ),
    M(2, "10:14", "harry", "ok thats a fair hit ngl", reply="marshals"),
    M(2, "10:15", "gary", "harry conceding a point, someone screenshot this"),
    M(
        2,
        "10:21",
        "marg",
        "Timing says it too. Seven states were gone before Lincoln even took the oath, because a "
        "party pledged to stop slavery spreading west had won. Nothing else about the federal government had changed "
        "yet.",
        tags=("secession-over-slavery",),
    ),
    M(
        2,
        "16:00",
        "hana",
        "My grandmother grew up near Kure. She always said the generals meant to fight on the "
        "beaches with schoolgirls holding bamboo spears, and nobody in her town thought it was ending that summer.",
        key="kure",
        tags=("japanese-leaders-planned-to-fight-on",),
    ),
    M(
        2,
        "16:06",
        "icebreaker",
        "by july tokyo was pleading with stalin to get them out and the americans were "
        "reading every cable. japan was finished and everyone who mattered knew it",
        key="feelers",
        reply="kure",
        tags=("japan-was-ready-to-surrender",),
    ),
    M(
        2,
        "16:11",
        "marg",
        "Read those cables in full. Moscow was asked to mediate, not to pass on a surrender, and "
        "the army's price was still no Allied troops on Japanese soil, disarming on its own terms and trying its own "
        "war criminals. The ambassador told Tokyo it was hopeless. That's a government planning to hold out.",
        reply="feelers",
        tags=("japanese-leaders-planned-to-fight-on",),
    ),
    M(2, "16:14", "icebreaker", "eh. agree to disagree"),
    # Day 3
    M(
        3,
        "09:00",
        "ollie",
        "made a meme for a medieval server: a knight being lowered onto his horse by a crane, "
        "caption 'how movies think jousting works'",
        key="crane",
    ),
    M(3, "09:04", "harry", "wait how DID they get on the horse then", key="how-mount", reply="crane"),
    M(
        3,
        "09:07",
        "tom",
        "Same as you. Foot in the stirrup and up. A full harness is about 25 kilos spread over your "
        "whole body. I've done a cartwheel in a reproduction one. Badly.",
        reply="how-mount",
    ),
    M(
        3,
        "09:30",
        "julius",
        "unpopular opinion: lead did real damage. they boiled grape juice down in lead pots to "
        "sweeten wine and the senators drank it every day. a ruling class slowly poisoning its own brains for "
        "generations explains a lot about how the west went under",
        key="lead1",
        tags=("lead-poisoning-doomed-rome",),
    ),
    M(
        3,
        "09:36",
        "ollie",
        "most of the pipes are furred up inside like an old kettle, so the water barely touched "
        "the metal. and constantinople used identical plumbing and the same sweet wine for another thousand years "
        "without collapsing",
        key="kettle",
        reply="lead1",
        tags=("lead-poisoning-did-not-doom-rome",),
    ),
    M(
        3,
        "20:01",
        "priya",
        "look where the lines went. cotton and jute country straight to bombay, calcutta and "
        "karachi. raw materials out to the ships, manchester cloth back in. and indian taxpayers guaranteed the "
        "british investors their 5% whether a line made money or not",
        key="extraction1",
        tags=("raj-railways-built-for-extraction",),
    ),
    M(
        3,
        "20:07",
        "tom",
        "Bit harsh. The economists who've crunched the district numbers find real incomes rose "
        "once a district got a station, and a failed monsoon stopped being a death sentence because food could come "
        "in by rail.",
        key="station",
        reply="extraction1",
        tags=("raj-railways-benefited-india",),
    ),
    M(
        3,
        "20:12",
        "priya",
        "and india paid for every mile, with london's profit guaranteed. it was designed around "
        "the empire's convenience, any good it did indians was a side effect",
        reply="station",
        tags=("raj-railways-built-for-extraction",),
    ),
    M(3, "20:14", "gary", "my model railway has never caused this much drama"),
    # Day 4
    M(4, "11:00", "kasia", "quick factual q: what's the best the nazis ever did in a free election?", key="vote-q"),
    M(4, "11:03", "marg", "37.3% in July 1932. Down to 33.1% that November.", key="vote-a", reply="vote-q"),
    M(
        4,
        "11:06",
        "harry",
        "still, millions of people put an X next to his party. he got the job democratically, "
        "that's the uncomfortable bit",
        key="chose",
        reply="vote-a",
        tags=("hitler-was-democratically-elected",),
    ),
    M(
        4,
        "11:10",
        "kasia",
        "a third of voters picked his party. then hindenburg's circle handed him the "
        "chancellorship in a backroom deal bc papen thought they could keep him on a leash. not the same thing",
        reply="chose",
        tags=("hitler-appointed-by-backroom-deal",),
    ),
    M(
        4,
        "11:13",
        "volga",
        "Appointed, not elected. And the Enabling Act only passed with the Communist deputies "
        "under arrest and SA men lining the chamber.",
        reply="chose",
        tags=("hitler-appointed-by-backroom-deal",),
    ),
    M(
        4,
        "15:00",
        "aku",
        "found out my hometown church has a witch trial in its records. three women, 1670s",
        key="witch-record",
    ),
    M(
        4,
        "15:05",
        "gary",
        "medieval times were wild man. burning women alive for knowing a few herbs",
        key="herbs",
        reply="witch-record",
        tags=("witch-burnings-medieval",),
    ),
    M(
        4,
        "15:08",
        "aku",
        "1670s isn't medieval though. that's after the thirty years war. the trials in finland, "
        "like most of europe's, are all 1600s",
        reply="herbs",
        tags=("witch-hunts-early-modern",),
    ),
    M(
        4,
        "15:10",
        "ollie",
        "a few trials happen in the 1400s, but the mass panics are the late 1500s and early "
        "1600s, mostly run by town and princely courts, and the dead across the whole continent number in the tens of "
        "thousands, not millions",
        reply="herbs",
        tags=("witch-hunts-early-modern",),
    ),
    M(
        4,
        "15:30",
        "aku",
        "medieval peasant life must have been grim though. everyone worn out and dead by 30ish, "
        "you'd be a village elder at 28",
        key="elder",
        tags=("medieval-died-at-thirty",),
    ),
    # Day 5
    M(
        5,
        "13:00",
        "julius",
        "pompeii graffiti appreciation post: 'gaius pumidius dipilus was here', an innkeeper "
        "accused of watering the wine, and a lot I can't repeat in a family server",
        key="graffiti",
    ),
    M(
        5,
        "18:00",
        "gary",
        "my dad's dad was a marine training for the kyushu landings when it ended. family line was "
        "always that the bomb is why he came home, and that going ashore would've cost far more lives on both sides "
        "than the two cities did",
        key="kyushu",
        tags=("bombs-saved-invasion-lives",),
    ),
    M(
        5,
        "18:05",
        "hana",
        "a lot of families have that story, and I'd never want to take it from anyone",
        reply="kyushu",
    ),
    # Day 6
    M(
        6,
        "10:00",
        "marg",
        "Mod note: lovely first week in here. Keep it kind, especially on the famine and atomic "
        "threads, and keep the pact in #ww2-debate please.",
    ),
    M(6, "10:10", "liina", "weekend book recs please, something lighter than bloodlands 😅", key="light"),
    M(
        6,
        "10:17",
        "hana",
        "Sei Shonagon's Pillow Book, if you want thousand-year-old lists of things that annoy a court lady",
        key="pillow",
        reply="light",
    ),
    M(
        6,
        "16:00",
        "harry",
        "nsdap. check what the S stands for. a left wing party, they told you so themselves 🤷",
        key="nsdap",
        tags=("nazis-were-socialists-by-name",),
    ),
    M(
        6,
        "16:04",
        "volga",
        "Their very first camp prisoners were Communists and SPD men. In May 1933 they stormed "
        "the union offices and gave the employers a free hand. That is the far right doing far-right things.",
        key="dachau",
        reply="nsdap",
        tags=("nazism-was-far-right",),
    ),
    M(
        6,
        "16:08",
        "harry",
        "they nationalised loads of stuff tho. state controlled economy = socialism",
        key="nationalised",
        reply="dachau",
        tags=("nazis-were-socialists-by-name",),
    ),
    M(
        6,
        "16:12",
        "marg",
        "If anything the reverse. In the mid-30s the regime sold off state holdings, from big "
        "banks to the United Steelworks; Germà Bel calls it the first big privatisation policy in a capitalist country. "
        "Business was steered and bullied, not owned. 'Socialist' was branding.",
        key="bel",
        reply="nationalised",
        tags=("nazism-was-far-right",),
    ),
    # Day 7
    M(
        7,
        "19:00",
        "priya",
        "Long one, sorry. People ask me whether the empire was 'good on balance' like it's a bank "
        "statement. The plus column always gets filled in (railways, courts, English, cricket) and the minus column "
        "gets left blank. But the whole enterprise existed to take land, labour and revenue from people who never "
        "agreed to it, and it ran on the idea that some races were born to rule and others to be ruled. Famine after "
        "famine, massacres, a subcontinent's economy rearranged for somebody else's benefit. A few institutions "
        "don't cancel that out.",
        key="balance",
        edited=3,
        tags=("empire-net-harm",),
    ),
    M(
        7,
        "19:08",
        "harry",
        "counterpoint: the parliament, the supreme court, the civil service exams, english as the "
        "language of indian business. all inherited. that's a pretty big plus column",
        key="sky",
        reply="balance",
        tags=("empire-net-force-for-good",),
    ),
    M(
        7,
        "19:12",
        "priya",
        "it came from indians who fought for it. congress spent sixty years asking the british "
        "for rights they kept refusing",
        reply="sky",
    ),
    M(
        7,
        "19:20",
        "volga",
        "One entry in the plus column I'd defend: the rail network tied hundreds of local "
        "markets into one. Prices evened out across the country and trade took off, and Indians got richer from "
        "that, whatever the motive.",
        key="plus",
        reply="balance",
        tags=("raj-railways-benefited-india",),
    ),
    M(
        7,
        "19:23",
        "liina",
        "the lines still pointed at the ports though. built to haul cotton and grain out to the "
        "ships, not to connect indian towns to each other",
        reply="plus",
        tags=("raj-railways-built-for-extraction",),
    ),
    # Day 8
    M(8, "09:30", "gary", "ok real talk, best civil war podcast? 2hr drive tomorrow", key="podcast"),
    M(
        8,
        "09:35",
        "beau",
        "Civil War Talk Radio. old school, one historian per episode, no music stings",
        reply="podcast",
    ),
    M(8, "14:00", "aku", "sauna report: -2°C outside, 85 inside, lake in between. highly recommend", key="sauna"),
    M(
        8,
        "14:02",
        "julius",
        "romans had the hypocaust and you lot just made it out of wood",
        key="hypocaust",
        reply="sauna",
    ),
    M(8, "14:03", "aku", "and ours didn't fall 😌", reply="hypocaust"),
    # Day 9
    M(9, "11:00", "ollie", "'people in the middle ages died at 30' is my least favourite fake fact", key="thirty"),
    M(
        9,
        "11:00",
        "ollie",
        "the average gets dragged down by kids, something like a third died before they turned "
        "five. get through childhood and your fifties or sixties was a normal place to end up",
        tags=("medieval-lifespan-infant-mortality",),
    ),
    M(
        9,
        "11:05",
        "harry",
        "nah a peasant was used up by 35. no teeth, wrecked back, gone by 40",
        key="used-up",
        reply="thirty",
        tags=("medieval-died-at-thirty",),
    ),
    M(
        9,
        "11:08",
        "marg",
        "Look at the people who got past the dangerous early years: the monks of Westminster and "
        "Canterbury, whose deaths are well recorded, commonly lived into their fifties and sixties, and plenty of kings "
        "and popes made seventy. The grim averages are mostly dead babies.",
        reply="used-up",
        tags=("medieval-lifespan-infant-mortality",),
    ),
    M(9, "17:00", "kasia", "oppenheimer finally. that silent trinity moment 😶", key="opp"),
    M(9, "17:04", "hana", "it never shows hiroshima. I understand why, but still", reply="opp"),
    # Day 10
    M(
        10,
        "10:00",
        "gary",
        "kid's project came back with an A. the columbus worksheet has been corrected 😤",
        key="worksheet",
    ),
    M(
        10,
        "10:04",
        "julius",
        "send the teacher dante. the inferno ends with him climbing out the far side of a round "
        "earth under a sky full of new stars. 1300s",
        reply="worksheet",
        tags=("medieval-round-earth-known",),
    ),
    M(
        10,
        "10:08",
        "harry",
        "ok but look at the maps they hung in cathedrals. the world drawn as a plate, holy land "
        "dead centre. the priests weren't teaching ordinary people about globes",
        key="church-flat",
        reply="worksheet",
        tags=("flat-earth-medieval-belief",),
    ),
    M(
        10,
        "10:11",
        "ollie",
        "the standard astronomy textbook in medieval universities was sacrobosco's 'on the "
        "sphere'. it's in the title harry",
        reply="church-flat",
        tags=("medieval-round-earth-known",),
    ),
    M(
        10,
        "13:00",
        "icebreaker",
        "people hate hearing it but hitler won power at the polls. the germans picked him fair and square",
        key="ballot",
        tags=("hitler-was-democratically-elected",),
    ),
    M(
        10,
        "13:05",
        "liina",
        "his party topped out at a third of the vote, and he lost the one presidential election "
        "he ran in. the chancellorship was handed to him by hindenburg's people behind closed doors",
        key="doors",
        reply="ballot",
        tags=("hitler-appointed-by-backroom-deal",),
    ),
    M(
        10,
        "15:00",
        "gary",
        "genuine question not trolling: wasn't the average reb a small farmer with zero slaves? "
        "hard to see how a guy like that was fighting for slavery when he didn't have any",
        key="farm-kid",
        tags=("non-slaveholders-had-no-stake",),
    ),
    M(
        10,
        "15:08",
        "beau",
        "Good question, and the answer surprised me when I first dug in. The famous small "
        "percentage counts owners one name at a time. Go family by family instead and it's nearer one white household "
        "in three across the Confederacy, and almost one in two in South Carolina and Mississippi. A young volunteer "
        "with nobody in his own name was very often living on a farm worked by his father's slaves. Then add the men "
        "who rented enslaved workers by the year, the overseers and patrollers, and every small farmer whose plan for "
        "getting ahead was buying his first worker. The stake went a long way down.",
        key="census",
        reply="farm-kid",
        tags=("non-slaveholders-invested-in-slavery",),
    ),
    M(
        10,
        "15:20",
        "icebreaker",
        "percentages aside, the guy with no slaves of his own had nothing to gain from "
        "them. he was fighting for his home and his neighbours",
        reply="census",
        tags=("non-slaveholders-had-no-stake",),
    ),
    # Day 11
    M(
        11,
        "09:00",
        "kasia",
        "reading heather's fall of the roman empire. his argument boiled down: hunnic pressure "
        "drove the goths into the empire, then goths and vandals took the western provinces by force. death from "
        "outside",
        key="heather",
        tags=("rome-fell-to-barbarian-invasion",),
    ),
    M(
        11,
        "09:06",
        "marg",
        "Great book. Read Goldsworthy's 'How Rome Fell' alongside it. The West spent the fifth "
        "century fighting itself: Constantine III, Jovinus, Aetius against Boniface. The invaders walked through "
        "doors the civil wars had left open.",
        key="doors-open",
        reply="heather",
        tags=("rome-fell-to-its-own-civil-wars",),
    ),
    M(
        11,
        "09:30",
        "kasia",
        "also re gary's question yesterday: every poor white man in the south had been told for "
        "years that if the slaves went free he'd lose the one thing that put him above somebody, and be scrambling "
        "with freed people for land and wages. that's a stake whether you own anyone or not",
        tags=("non-slaveholders-invested-in-slavery",),
    ),
    M(
        11,
        "18:00",
        "icebreaker",
        "hiroshima was a city, not a base. choosing to vaporise tens of thousands of "
        "civilians in one morning is a war crime, whoever does it",
        key="crime",
        tags=("atomic-bombings-were-war-crimes",),
    ),
    M(
        11,
        "18:05",
        "tom",
        "Hiroshima held a regional army command and shipped troops out by the tens of thousands. "
        "Nagasaki was Mitsubishi's shipbuilding and arms town. Total war, ugly, but they were military targets.",
        key="hq",
        reply="crime",
        tags=("hiroshima-nagasaki-military-targets",),
    ),
    M(
        11,
        "18:09",
        "hana",
        "look at where they aimed: the T-shaped aioi bridge, smack in the downtown. not the "
        "castle, not the port. they'd even spared the city from earlier raids so the damage would be easy to measure. "
        "civilians were what they meant to hit",
        reply="hq",
        tags=("atomic-bombings-were-war-crimes",),
    ),
    M(
        11,
        "18:15",
        "harry",
        "by august japan had no navy left, no oil and its cities were ash. they'd already lost "
        "and were trying to quit, the bombs just hit a corpse",
        key="overkill",
        tags=("japan-was-ready-to-surrender",),
    ),
    M(
        11,
        "18:20",
        "tom",
        "After Nagasaki, with the Soviets pouring into Manchuria, army officers still tried a coup "
        "to seize the Emperor's surrender recording. That's not a leadership ready to give up.",
        key="coup",
        reply="overkill",
        tags=("japanese-leaders-planned-to-fight-on",),
    ),
    M(11, "18:22", "gary", "wait there was a coup?? how have i never heard about this", key="coup-q", reply="coup"),
    M(
        11,
        "18:25",
        "hana",
        "the Kyūjō incident. 'Japan's Longest Day' is the film, both versions are good",
        reply="coup-q",
    ),
    # Day 12
    M(
        12,
        "10:00",
        "kasia",
        "been reading about the war cabinet and bengal. amery and wavell begging for grain "
        "ships, churchill blocking them and sneering about indians. millions starved because he decided it wasn't "
        "his problem",
        key="amery",
        tags=("churchill-caused-bengal-famine",),
    ),
    M(
        12,
        "10:07",
        "marg",
        "I'd be careful with 'decided'. Tirthankar Roy and others put the weight inside India: "
        "Burmese rice gone, the cyclone, brown spot disease, wartime inflation, hoarding and a provincial government "
        "in chaos. London's refusals were shameful, but they weren't the engine.",
        key="roy",
        reply="amery",
        tags=("bengal-famine-wartime-causes",),
    ),
    M(12, "10:10", "priya", "gonna politely disagree with marg on this one, but it's a good disagreement", reply="roy"),
    M(
        12,
        "10:20",
        "icebreaker",
        "unpopular here but the british left most places better run than they found them. "
        "courts, a civil service, universities, a working state. more good than bad overall",
        key="better-run",
        tags=("empire-net-force-for-good",),
    ),
    M(
        12,
        "10:25",
        "priya",
        "better run for whom? the famines happened with that civil service in charge. the "
        "people it governed paid for every bit of it in hunger and blood, and that outweighs the paperwork",
        reply="better-run",
        tags=("empire-net-harm",),
    ),
    M(
        12,
        "10:28",
        "tom",
        "As the token Brit: I was taught the empire was basically a good thing, and it took years "
        "of reading to come round. Conquest and extraction were the point, everything else was a by-product, and the "
        "bill was paid by the conquered.",
        reply="better-run",
        tags=("empire-net-harm",),
    ),
    M(
        12,
        "16:00",
        "julius",
        "lead update: greenland ice cores show roman lead pollution peaking around the 1st "
        "century and dropping off after the antonine plague. if lead brought down the west the timing is way off. "
        "I've come round",
        key="icecore",
        tags=("lead-poisoning-did-not-doom-rome",),
    ),
    M(
        12,
        "16:05",
        "harry",
        "lead wine though. caligula, nero, commodus, all mad as hatters. brain damage at the "
        "top is what rotted the empire",
        key="mad",
        reply="icecore",
        tags=("lead-poisoning-doomed-rome",),
    ),
    M(12, "16:08", "ollie", "caligula died about 400 years before the end harry", reply="mad"),
    M(
        12,
        "20:00",
        "liina",
        "watched a witch documentary. the middle ages really were something, the church burning "
        "women by the thousands for being a bit odd",
        key="doc",
        tags=("witch-burnings-medieval",),
    ),
    M(
        12,
        "20:04",
        "ollie",
        "which one? because the trials it shows are almost certainly 1600s. the german panics, "
        "the scottish ones, salem: reformation era and after, mostly local courts, not the medieval church",
        key="which-doc",
        reply="doc",
        tags=("witch-hunts-early-modern",),
    ),
    # Day 13
    M(
        13,
        "09:00",
        "icebreaker",
        "last civil war word from me: it came down to whether the states or the federal "
        "government had the final say. slavery happened to be the issue on the table, the principle was sovereignty",
        key="sovereignty",
        tags=("secession-over-states-rights",),
    ),
    M(
        13,
        "09:05",
        "beau",
        "Then why did the states that left spend page after page, speech after speech, on keeping "
        "people enslaved and almost none on anything else? They told the whole country why they were going at the "
        "time.",
        reply="sovereignty",
        tags=("secession-over-slavery",),
    ),
    M(
        13,
        "09:08",
        "liina",
        "funny kind of sovereignty that wanted ohio's courts overruled whenever someone escaped north",
        reply="sovereignty",
        tags=("south-opposed-northern-states-rights",),
    ),
    M(
        13,
        "11:00",
        "icebreaker",
        "and since we're doing last words: a four year plan, price controls, rallies "
        "against 'plutocrats' and big capital. quacks like a left wing party",
        key="workers",
        tags=("nazis-were-socialists-by-name",),
    ),
    M(
        13,
        "11:04",
        "kasia",
        "they murdered actual socialists, icebreaker. the SPD and KPD were crushed before anyone "
        "else, while krupp and the big firms got fat on contracts",
        reply="workers",
        tags=("nazism-was-far-right",),
    ),
    M(
        13,
        "14:00",
        "tom",
        "My last word on 1945: the Downfall planners expected a slaughter on Kyushu, the blockade "
        "was starving Japan, and Allied prisoners were dying every week. Ending it in August saved far more lives "
        "than the two bombs took. Horrible arithmetic, but it is arithmetic.",
        key="arithmetic",
        tags=("bombs-saved-invasion-lives",),
    ),
    M(
        13,
        "14:06",
        "volga",
        "And for the record: by 1945 every belligerent was bombing war industry inside cities, "
        "and Japan had drafted schoolchildren and housewives into arms production. Hiroshima was a fair target under "
        "those rules.",
        reply="arithmetic",
        tags=("hiroshima-nagasaki-military-targets",),
    ),
    M(
        13,
        "14:10",
        "hana",
        "I don't think any of this should ever feel easy. My grandmother's view and the "
        "hibakusha testimonies both live in my head",
        reply="arithmetic",
    ),
    M(
        13,
        "16:00",
        "marg",
        "Good first fortnight in here. Pinning a reading list: Frank and Hasegawa on 1945, "
        "McPherson and Dew on 1861, Heather and Goldsworthy on Rome, Mukerjee and Roy on Bengal, Hutton on "
        "witches.",
        key="pin",
    ),
    M(13, "16:03", "kasia", "great channel, way less shouting than ww2-debate 😇", reply="pin"),
    M(13, "16:04", "volga", "Low bar"),
    M(13, "16:05", "gary", "mods when's the napoleon channel"),
]

CHANNELS = [
    # (file suffix, channel id creation date, name, topic, messages)
    (
        "general-history",
        datetime(2025, 3, 2, 18, 0, 5, tzinfo=UTC),
        "general-history",
        "Anything history. Be kind, cite your sources.",
        GENERAL_HISTORY,
    ),
    ("ww2-debate", datetime(2026, 9, 30, 20, 11, 42, tzinfo=UTC), "ww2-debate", None, WW2_DEBATE),
    (
        "history-chat",
        datetime(2025, 6, 14, 12, 40, 19, tzinfo=UTC),
        "history-chat",
        "General history chat: any era, any region. Sources welcome, hot takes tolerated.",
        HISTORY_CHAT,
    ),
]
# #history-chat was added to the sample after the other two channels. Its ids take their increments from a
# range of their own, so that adding it left every existing message id unchanged.
OWN_INCREMENTS = {"history-chat": 2048}
CATEGORY_ID = snowflake(datetime(2025, 3, 2, 17, 58, 51, tzinfo=UTC))


def _moment(message: M, position: int) -> datetime:
    hours, minutes = map(int, message.time.split(":"))
    # Seconds and milliseconds vary deterministically so that timestamps look typed, not scheduled.
    jitter_ms = (position * 7919 + len(message.text) * 104729) % 55000
    return START + timedelta(days=message.day, hours=hours, minutes=minutes, milliseconds=jitter_ms)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _author_json(author: Author) -> dict:
    return {
        "id": author.id,
        "name": author.name,
        "discriminator": author.discriminator,
        "nickname": author.nickname,
        "color": None,
        "isBot": author.is_bot,
        "roles": [],
        "avatarUrl": "",
    }


def _timed(messages: list[M], channel: str) -> list[tuple[datetime, M]]:
    """Attach a timestamp to each message, checking the data is in time order and replies point back."""
    timed: list[tuple[datetime, M]] = []
    keys: set[str] = set()
    for position, message in enumerate(messages):
        moment = _moment(message, position)
        if timed and moment <= timed[-1][0]:
            if (message.day, message.time) < (timed[-1][1].day, timed[-1][1].time):
                raise ValueError(f"#{channel}: message {position} is earlier than the one before it")
            moment = timed[-1][0] + timedelta(milliseconds=2000 + (position * 613) % 9000)
        if message.reply is not None and message.reply not in keys:
            raise ValueError(f"#{channel}: message {position} replies to unknown or later key {message.reply!r}")
        if message.key is not None:
            if message.key in keys:
                raise ValueError(f"#{channel}: key {message.key!r} used twice")
            keys.add(message.key)
        timed.append((moment, message))
    return timed


def build() -> tuple[dict[str, dict], list[tuple[str, M, dict]]]:
    """Return {file name: export} and every (channel, source message, exported record) for reporting."""
    timed = {name: _timed(messages, name) for name, _, _, _, messages in CHANNELS}
    # The increment goes up across the original channels in time order, as it would on one Discord worker.
    everything = sorted(
        (moment, name, index)
        for name in timed
        if name not in OWN_INCREMENTS
        for index, (moment, _) in enumerate(timed[name])
    )
    ids = {
        (name, index): snowflake(moment, increment % 4096) for increment, (moment, name, index) in enumerate(everything)
    }
    for name, first in OWN_INCREMENTS.items():
        ids.update(
            {(name, index): snowflake(moment, (first + index) % 4096) for index, (moment, _) in enumerate(timed[name])}
        )
    if len(set(ids.values())) != len(ids):
        raise ValueError("two messages got the same id")

    exports: dict[str, dict] = {}
    rows: list[tuple[str, M, dict]] = []
    for name, created, channel_name, topic, _ in CHANNELS:
        channel_id = snowflake(created)
        by_key: dict[str, str] = {}
        out = []
        for index, (moment, message) in enumerate(timed[name]):
            message_id = ids[(name, index)]
            if message.key:
                by_key[message.key] = message_id
            record = {
                "id": message_id,
                "type": "Reply" if message.reply else "Default",
                "timestamp": _iso(moment),
                "timestampEdited": _iso(moment + timedelta(minutes=message.edited, seconds=13))
                if message.edited
                else None,
                "callEndedTimestamp": None,
                "isPinned": False,
                "content": message.text,
                "author": _author_json(AUTHORS[message.author]),
                "attachments": [],
                "embeds": [],
                "stickers": [],
                "reactions": [],
                "mentions": [],
            }
            if message.reply:
                record["reference"] = {
                    "messageId": by_key[message.reply],
                    "channelId": channel_id,
                    "guildId": GUILD["id"],
                }
            out.append(record)
            rows.append((name, message, record))
        exports[f"history-server.{name}.json"] = {
            "guild": GUILD,
            "channel": {
                "id": channel_id,
                "type": "GuildTextChat",
                "categoryId": CATEGORY_ID,
                "category": "History",
                "name": channel_name,
                "topic": topic,
            },
            "dateRange": {"after": None, "before": None},
            "exportedAt": EXPORTED_AT,
            "messages": out,
            "messageCount": len(out),
        }
    return exports, rows


def write(folder: Path = HERE) -> list[Path]:
    exports, _ = build()
    paths = []
    for file_name, export in exports.items():
        path = folder / file_name
        # ensure_ascii=False and indent=2 match what DiscordChatExporter writes.
        path.write_text(json.dumps(export, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def report() -> None:
    _, rows = build()
    humans = [record for _, _, record in rows if not record["author"]["isBot"]]
    words = sorted(len(record["content"].split()) for record in humans)
    print(
        f"{len(rows)} messages ({len(humans)} human), "
        f"{len({record['timestamp'][:10] for _, _, record in rows})} days, "
        f"{len({record['author']['id'] for _, _, record in rows})} authors, median {words[len(words) // 2]} words"
    )
    by_tag: dict[str, list[tuple[str, M, dict]]] = defaultdict(list)
    for row in rows:
        for tag in row[1].tags:
            by_tag[tag].append(row)
    for name, *_ in CHANNELS:
        mine = [message for channel, message, _ in rows if channel == name]
        print(f"#{name}: {len(mine)} messages, {sum(1 for message in mine if message.tags)} labelled")
    print("messages authors days  tag")
    for tag, tagged in sorted(by_tag.items()):
        authors = {message.author for _, message, _ in tagged}
        days = {message.day for _, message, _ in tagged}
        print(f"{len(tagged):8d} {len(authors):7d} {len(days):4d}  {tag}")
    for label in (ABUSE, SPAM, WINTER_WAR):
        print(f"\n{label}:")
        for channel, _, record in by_tag.get(label, []):
            print(f"  {record['id']}  #{channel}  {record['content'][:70]}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--report", action="store_true", help="print tag coverage and the labelled message ids")
    args = parser.parse_args()
    for path in write():
        print(f"wrote {path.relative_to(HERE.parent.parent)}")
    if args.report:
        report()
