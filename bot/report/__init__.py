"""report: one VerifyResult → markdown (PR comment, job summary), JSON (outputs), plain text.

Small pieces so the PR-comment code can compose several DALs (and implement's results):
`to_markdown` renders one DAL's section; `summary_line`, `markdown_table`, `escape_cell`,
`code_span`, `code_block`, `status_emoji`, `cost_cell` and `cost_totals` are the parts it is
made of. The JSON schema is
documented in bot/report/SCHEMA.md.
"""

from bot.report._many import DalRow, summary_table
from bot.report._verify import (
    SCHEMA,
    SCHEMA_VERSION,
    STATUS_EMOJI,
    code_block,
    code_span,
    cost_cell,
    cost_totals,
    engine_note,
    escape_cell,
    markdown_table,
    status_emoji,
    summary_line,
    to_dict,
    to_json,
    to_markdown,
    to_text,
)

__all__ = [
    'DalRow',
    'summary_table',
    'SCHEMA',
    'SCHEMA_VERSION',
    'STATUS_EMOJI',
    'code_block',
    'code_span',
    'cost_cell',
    'cost_totals',
    'engine_note',
    'escape_cell',
    'markdown_table',
    'status_emoji',
    'summary_line',
    'to_dict',
    'to_json',
    'to_markdown',
    'to_text',
]
