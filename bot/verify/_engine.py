"""What the DynamoDB engine behind the endpoint can do, learnt while the run goes.

Engines differ: moto and DynamoDB Local >= 3.3.0 have every feature the generator emits;
dynalite and older DynamoDB Local refuse multi-attribute GSI keys at CreateTable, dynalite
answers transactions with UnknownOperationException. Such a refusal is the engine's gap, not the
DAL's mistake: the patterns that need the feature are `unsupported`, with a message that names
the feature and the DynamoDB Local release that has it.
"""

from __future__ import annotations

import re

from bot.model import Index
from bot.verify._models import EngineGap

MULTI_ATTRIBUTE_KEYS = 'multi-attribute GSI keys'
TRANSACTIONS = 'transactions'
# The first DynamoDB Local release with the feature (DynamoDB Local's release history).
DYNAMODB_LOCAL_SINCE = {
    MULTI_ATTRIBUTE_KEYS: '3.3.0',
    TRANSACTIONS: '1.11.475',
}
# What the example workflows and the README pin: the current 3.3.x (3.3.0 has multi-attribute keys).
DYNAMODB_LOCAL_IMAGE = 'amazon/dynamodb-local:3.3.2'
_FEATURE_OF_OPERATION = {
    'TransactWriteItems': TRANSACTIONS,
    'TransactGetItems': TRANSACTIONS,
}
# botocore's text for an operation the engine does not know.
_UNKNOWN_OPERATION = re.compile(r'\(UnknownOperationException\) when calling the (\w+) operation')


def gap_message(feature: str) -> str:
    since = DYNAMODB_LOCAL_SINCE.get(feature)
    return f'this endpoint has no {feature}' + (f' (DynamoDB Local >= {since})' if since else '')


def is_multi_attribute(index: Index) -> bool:
    """An index keyed on more than one attribute per key role (DynamoDB since November 2025)."""
    return len(index.partition_key) > 1 or len(index.sort_key) > 1


class Capabilities:
    """The gaps seen so far: indexes refused at table creation, operations the engine did not
    know. One per verify run."""

    def __init__(self) -> None:
        self.gaps: list[EngineGap] = []

    def _gap(self, feature: str) -> EngineGap:
        gap = next((g for g in self.gaps if g.feature == feature), None)
        if gap is None:
            gap = EngineGap(feature=feature, message=gap_message(feature))
            self.gaps.append(gap)
        return gap

    def refused_indexes(self, table: str, indexes: list[Index], detail: str) -> None:
        """The engine refused `table` with these (multi-attribute) indexes and took it without."""
        gap = self._gap(MULTI_ATTRIBUTE_KEYS)
        gap.indexes += [f'{table}.{i.name}' for i in indexes]
        gap.detail = gap.detail or detail

    @property
    def refused(self) -> set[str]:
        """Every index ('Table.Index') the tables were created without."""
        return {name for gap in self.gaps for name in gap.indexes}

    def for_index(self, table: str | None, index: str | None) -> str | None:
        """Why a pattern on this index cannot run here, or None. Without the table (no schema
        for the entity) the index name alone decides."""
        if not index:
            return None
        for gap in self.gaps:
            for refused in gap.indexes:
                owner, name = refused.split('.', 1)
                if name == index and table in (None, owner):
                    return f'{gap.message}: index {name} of {owner} could not be created'
        return None

    def for_error(self, text: str) -> str | None:
        """Why a call failed, when it failed because the engine does not know the operation."""
        match = _UNKNOWN_OPERATION.search(text)
        if match is None:
            return None
        operation = match.group(1)
        feature = _FEATURE_OF_OPERATION.get(operation, f'{operation} operation')
        gap = self._gap(feature)
        if operation not in gap.operations:
            gap.operations.append(operation)
        gap.detail = gap.detail or f'UnknownOperationException for {operation}'
        return f'{gap.message}: it answered {operation} with UnknownOperationException'
