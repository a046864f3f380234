"""Option mappings (§2.7): ERP code tables (payment terms, shipment methods, shipping agents)
paired with the choice values of a CRM column.

The couplings of an option mapping pair an ERP row id with a choice value (kept as text).
Erp-to-crm: the ERP rows changed since the watermark (after the retry set) are matched to
choice values by label, or added to the column when the mapping may create them.
Crm-to-erp: every choice value of the column is compared with its ERP row, which is
updated, matched by code or created. Lookup fields then translate through these couplings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from . import transforms
from .context import Context
from .couplings import mark_failure, mark_success, new_coupling
from .errors import ConfigError, MappingError
from .model import (
    Condition,
    Coupling,
    Direction,
    FieldMapping,
    JobError,
    JobLog,
    Op,
    Row,
    Side,
    TableMapping,
)
from .ports import OptionPort
from .transfer import same_value
from .watermarks import advance, candidates


def synchronize_options(
    ctx: Context, mapping: TableMapping, only_coupled: bool, key: str, started: dt.datetime
) -> JobLog:
    if ctx.options is None or mapping.crm_uid_field is None:
        raise ConfigError(f"Mapping {mapping.name} needs the CRM's option sets to synchronize")
    code = _code_field(mapping)
    job = JobLog(
        id=ctx.ids(), mapping=mapping.name, direction=mapping.direction, started_at=started
    )
    ctx.state.save_job(job)
    run = _OptionRun(ctx, ctx.options, mapping, code, only_coupled, job)
    try:
        if mapping.direction is Direction.ERP_TO_CRM:
            for page in _erp_pages(ctx, mapping, key, started):
                run.to_crm(page)
        else:
            run.from_crm()
            marks = ctx.state.watermarks(key)
            ctx.state.save_watermarks(key, advance(marks, Side.CRM, [Row("", started)], started))
    finally:
        job.finished_at = ctx.clock()
        ctx.state.save_job(job)
    return job


def _code_field(mapping: TableMapping) -> FieldMapping:
    for fm in mapping.fields:
        if fm.enabled and fm.erp_field and fm.crm_field:
            return fm
    raise MappingError(f"Mapping {mapping.name} needs a field mapping from the ERP code")


def _erp_pages(
    ctx: Context, mapping: TableMapping, key: str, started: dt.datetime
) -> Iterator[list[Row]]:
    table = mapping.erp_table
    retry = [c.erp_id for c in ctx.state.failed_couplings(mapping.name, Side.CRM)]
    if retry:
        found = ctx.erp.get_many(table, retry)
        yield [found[i] for i in retry if i in found]
    marks = ctx.state.watermarks(key)
    for page in candidates(
        ctx.erp, table, mapping.erp_filter, marks, Side.ERP, started, ctx.page_size
    ):
        yield [row for row in page if row.id not in set(retry)]
        marks = advance(marks, Side.ERP, page, started)
        ctx.state.save_watermarks(key, marks)


class _OptionRun:
    def __init__(
        self,
        ctx: Context,
        options: OptionPort,
        mapping: TableMapping,
        code: FieldMapping,
        only_coupled: bool,
        job: JobLog,
    ) -> None:
        self.ctx, self.options, self.mapping, self.code = ctx, options, mapping, code
        self.only_coupled, self.job = only_coupled, job
        assert mapping.crm_uid_field is not None
        self.column = (mapping.crm_table, mapping.crm_uid_field)

    def _label(self, row: Row, direction: Direction) -> str:
        value = row.values.get(self.code.erp_field or "")
        if self.code.transform is not None and self.code.transforms_in(direction):
            value = transforms.apply(self.code.transform, value)
        return "" if value is None else str(value)

    def to_crm(self, rows: list[Row]) -> None:
        if not rows:
            return
        state, job = self.ctx.state, self.job
        existing = self.options.options(*self.column)
        couplings = state.couplings_by_erp(self.mapping.name, [r.id for r in rows])
        taken = {
            c.crm_id
            for c in state.couplings_by_crm(self.mapping.name, [str(v) for v in existing]).values()
        }
        saved: list[Coupling] = []
        errors: list[JobError] = []
        for row in rows:
            label = self._label(row, Direction.ERP_TO_CRM)
            coupling = couplings.get(row.id)
            if coupling is not None:
                if coupling.skipped:
                    job.skipped += 1
                    continue
                current = (
                    existing.get(int(coupling.crm_id))
                    if coupling.crm_id.lstrip("-").isdigit()
                    else None
                )
                if current is not None and same_value(current, label):
                    job.unchanged += 1
                    saved.append(mark_success(coupling, Side.CRM, job.id, row, None))
                    continue
                problem = (
                    f"The choice value {coupling.crm_id} of {self.column[1]} no longer "
                    "exists in Dataverse"
                    if current is None
                    else f"The choice value {coupling.crm_id} of {self.column[1]} is labelled "
                    f"'{current}' in Dataverse but the ERP code is '{label}'; rename one of them"
                )
                failed, now_skipped = mark_failure(coupling, Side.CRM, job.id, problem)
                saved.append(failed)
                job.skipped += now_skipped
                job.failed += not now_skipped
                errors.append(self._error(row.id, coupling.crm_id, problem))
                continue
            if self.only_coupled:
                continue
            match = next(
                (
                    v
                    for v, text in existing.items()
                    if str(v) not in taken and same_value(text.casefold(), label.casefold())
                ),
                None,
            )
            if match is None:
                match = self.options.add_option(*self.column, label)
                job.inserted += 1
            else:
                job.coupled += 1
            taken.add(str(match))
            coupling = new_coupling(self.ctx.ids(), self.mapping.name, row.id, str(match))
            saved.append(mark_success(coupling, Side.CRM, job.id, row, None))
        self._save(saved, errors)

    def from_crm(self) -> None:
        state, job, table = self.ctx.state, self.job, self.mapping.erp_table
        erp_field = self.code.erp_field or ""
        existing = self.options.options(*self.column)
        couplings = state.couplings_by_crm(self.mapping.name, [str(v) for v in existing])
        rows = self.ctx.erp.get_many(table, [c.erp_id for c in couplings.values()])
        saved: list[Coupling] = []
        errors: list[JobError] = []
        for value, label in sorted(existing.items()):
            option_row = Row(str(value), self.ctx.clock(), {erp_field: label})
            coupling = couplings.get(str(value))
            if coupling is not None:
                if coupling.skipped:
                    job.skipped += 1
                    continue
                row = rows.get(coupling.erp_id)
                if row is None:
                    problem = (
                        f"The {table} record coupled to choice value {value} ({label}) was deleted"
                    )
                    failed, now_skipped = mark_failure(coupling, Side.ERP, job.id, problem)
                    saved.append(failed)
                    job.skipped += now_skipped
                    job.failed += not now_skipped
                    errors.append(self._error(str(value), coupling.erp_id, problem))
                elif same_value(row.values.get(erp_field), label):
                    job.unchanged += 1
                else:
                    result = self.ctx.erp.update_many(table, [(row.id, {erp_field: label})])[0]
                    if result.ok:
                        job.modified += 1
                        saved.append(
                            mark_success(coupling, Side.ERP, job.id, option_row, result.row)
                        )
                    else:
                        job.failed += 1
                        errors.append(
                            self._error(
                                str(value),
                                row.id,
                                f"Modifying the {table} row failed: {result.error}",
                            )
                        )
                continue
            if self.only_coupled:
                continue
            found = next(
                self.ctx.erp.query(
                    table, filters=(Condition(erp_field, Op.IEQ, label),), page_size=2
                ),
                [],
            )
            uncoupled = [r for r in found if not state.couplings_by_erp(self.mapping.name, [r.id])]
            if uncoupled:
                erp_row = uncoupled[0]
                job.coupled += 1
            else:
                result = self.ctx.erp.insert_many(
                    table, [{**self.mapping.erp_template, erp_field: label}]
                )[0]
                if not result.ok or result.row is None:
                    job.failed += 1
                    errors.append(
                        self._error(
                            str(value), None, f"Creating the {table} row failed: {result.error}"
                        )
                    )
                    continue
                erp_row = result.row
                job.inserted += 1
            coupling = new_coupling(self.ctx.ids(), self.mapping.name, erp_row.id, str(value))
            saved.append(mark_success(coupling, Side.ERP, job.id, option_row, erp_row))
        self._save(saved, errors)

    def _error(self, source: str, destination: str | None, message: str) -> JobError:
        return JobError(
            self.job.id, self.mapping.name, source, destination, message, self.ctx.clock()
        )

    def _save(self, couplings: list[Coupling], errors: list[JobError]) -> None:
        if couplings:
            self.ctx.state.save_couplings(couplings)
        if errors:
            self.ctx.state.add_errors(errors)
        self.ctx.state.save_job(self.job)
