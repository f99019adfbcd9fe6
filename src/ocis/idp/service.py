"""The IdP's parts in one object, built once per process from the configuration."""

from __future__ import annotations

from dataclasses import dataclass

from ocis.accounts.api import AccountsAPI
from ocis.core.throttle import LoginThrottle
from ocis.idp.clients import ClientRegistry
from ocis.idp.codes import CodeStore
from ocis.idp.config import IdpSettings
from ocis.idp.keys import KeyStore
from ocis.idp.refresh import RefreshStore
from ocis.idp.sessions import SessionStore
from ocis.idp.tokens import TokenIssuer


@dataclass
class Idp:
    """Settings, registered clients and the persisted stores (all under ``settings.state_dir``)."""

    settings: IdpSettings
    accounts: AccountsAPI
    clients: ClientRegistry
    keys: KeyStore
    tokens: TokenIssuer
    sessions: SessionStore
    codes: CodeStore
    refresh: RefreshStore
    throttle: LoginThrottle

    @classmethod
    def open(cls, settings: IdpSettings, accounts: AccountsAPI) -> Idp:
        """Open (creating on first run) the stores in ``settings.state_dir`` and make sure a signing key
        exists, so the first request does not pay for generating it.

        Raises:
            OSError: the state directory cannot be created or written.
            ValueError: a state file is corrupt (the message names it).
        """
        directory = settings.state_dir
        clients = ClientRegistry.for_url(settings.issuer, settings.clients)
        keys = KeyStore(directory, settings.issuer, rotation=settings.signing_key_rotation,
                        max_token_lifetime=settings.max_token_lifetime)
        keys.active_key()
        tokens = TokenIssuer(keys, settings.issuer, access_lifetime=settings.access_token_expiration,
                             id_lifetime=settings.id_token_expiration, audiences=clients.ids)
        return cls(
            settings=settings,
            accounts=accounts,
            clients=clients,
            keys=keys,
            tokens=tokens,
            sessions=SessionStore(directory, settings.session_expiration),
            codes=CodeStore(directory),
            refresh=RefreshStore(directory, settings.refresh_token_expiration, settings.refresh_token_reuse_grace),
            throttle=LoginThrottle(),
        )
