"""What services get from the runtime: the config and the other services' interfaces."""

from __future__ import annotations

from dataclasses import dataclass

from ocis.accounts.api import AccountsAPI
from ocis.config.model import OcisConfig
from ocis.storage.api import Storage


@dataclass
class Deps:
    config: OcisConfig
    storage: Storage
    accounts: AccountsAPI
