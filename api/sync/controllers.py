from __future__ import annotations

from typing import Annotated

from litestar import Controller, Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter

from api.deps import DB, AppSettings, CurrentUser, MediaStorage
from api.settings import Settings
from api.sync.feed import FeedPage, FeedService
from api.sync.push import DESCRIPTION, PUSH_BODY_FACTOR, PushIn, PushOut, PushService


def provide_feed(db: DB, user: CurrentUser, storage: MediaStorage, settings: AppSettings) -> FeedService:
    return FeedService(db, user, storage, settings)


FeedServiceDep = NamedDependency[FeedService]
SERVICES = {"feed": Provide(provide_feed, sync_to_thread=False)}


class FeedController(Controller):
    path = "/api/sync"
    tags = ["sync"]
    dependencies = SERVICES

    @get("/changes", operation_id="getChanges", description=(
        "What the calling user keeps offline that changed after `since`, in commit order: each item is the "
        "record as it is now, or `deleted: true`. Without `since`, a snapshot of all of it, page by page. Give "
        "`next` back as `since`; ask again at once while `more` is true."))
    async def changes(self, feed: FeedServiceDep,
                      since: Annotated[str | None, QueryParameter(max_length=200)] = None,
                      limit: Annotated[int, QueryParameter(ge=1, le=2000)] = 500) -> FeedPage:
        return await feed.changes(since, limit)


def provide_push(db: DB, user: CurrentUser, storage: MediaStorage, settings: AppSettings) -> PushService:
    return PushService(db, user, storage, settings)


PushServiceDep = NamedDependency[PushService]


class PushController(Controller):
    path = "/api/sync"
    tags = ["sync"]
    dependencies = {"push": Provide(provide_push, sync_to_thread=False)}

    @post("/push", operation_id="pushOperations", status_code=200, description=DESCRIPTION)
    async def push(self, data: JSONBody[PushIn], push: PushServiceDep) -> PushOut:
        return await push.push(data.operations)


def push_router(settings: Settings) -> Router:
    """The push route on a router of its own, whose body limit fits 500 operations (api/sync/push.py)."""
    return Router(path="/", route_handlers=[PushController],
                  request_max_body_size=PUSH_BODY_FACTOR * settings.max_body_bytes)
