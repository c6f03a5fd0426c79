"""Readable names for runs created without one: "<adjective>-<animal>-<number>"."""

import secrets

_ADJECTIVES = (
    "amber", "bold", "brisk", "calm", "clever", "crisp", "daring", "eager", "gentle", "glad",
    "golden", "grand", "honest", "jolly", "keen", "lively", "lucky", "mellow", "nimble", "proud",
    "quiet", "rapid", "silver", "smooth", "steady", "sunny", "swift", "tidy", "vivid", "witty",
)  # fmt: skip
_ANIMALS = (
    "badger", "bison", "crane", "dolphin", "eagle", "falcon", "ferret", "finch", "gecko", "heron",
    "ibis", "jaguar", "koala", "lark", "lemur", "lynx", "marten", "newt", "otter", "owl",
    "panda", "puffin", "quail", "raven", "seal", "stork", "tapir", "trout", "wombat", "yak",
)  # fmt: skip


def random_run_name() -> str:
    return "-".join(
        (secrets.choice(_ADJECTIVES), secrets.choice(_ANIMALS), str(secrets.randbelow(1000)))
    )
