from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from api.deps import DB, AppSettings, CurrentUser, MediaStorage
from api.sync.feed import FeedPage, FeedService


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
