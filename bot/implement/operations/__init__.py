"""One code template per DynamoDB operation; each renders a stub's new body."""

from __future__ import annotations

from collections.abc import Callable

from bot.implement._context import Rendered, Stub
from bot.implement.operations import (
    batch_get_item,
    batch_write_item,
    delete_item,
    get_item,
    put_item,
    query,
    scan,
    transact_get,
    transact_write,
    update_item,
)

TEMPLATES: dict[str, Callable[[Stub], Rendered]] = {
    'GetItem': get_item.render,
    'PutItem': put_item.render,
    'DeleteItem': delete_item.render,
    'UpdateItem': update_item.render,
    'Query': query.render,
    'Scan': scan.render,
    'BatchGetItem': batch_get_item.render,
    'BatchWriteItem': batch_write_item.render,
    'TransactWrite': transact_write.render,
    'TransactGet': transact_get.render,
}
