"""Departments' standard answers: unique titles per department, removal only from its own."""

from __future__ import annotations

import pytest

from storage.errors import InvalidInput, UnknownDepartment
from storage.models import ClosureCode
from storage.templates import add_template, get_template, list_templates, remove_template
from storage.unit_of_work import UnitOfWork


async def test_templates_per_department(uow: UnitOfWork) -> None:
    async with uow:
        lamp = await add_template(
            uow=uow,
            department_code="urban",
            title="路灯维修",
            text="已安排维修。",
            closure_code=ClosureCode.FIXED,
        )
    async with uow:
        await add_template(uow=uow, department_code="housing", title="路灯维修", text="转物业。")
    with pytest.raises(InvalidInput):
        async with uow:
            await add_template(uow=uow, department_code="urban", title="路灯维修", text="又一段")
    with pytest.raises(InvalidInput):
        async with uow:
            await add_template(
                uow=uow,
                department_code="urban",
                title="转走",
                text="不归我们",
                closure_code=ClosureCode.NOT_OURS,
            )
    with pytest.raises(UnknownDepartment):
        async with uow:
            await add_template(uow=uow, department_code="nowhere", title="无", text="无")
    async with uow:
        urban = await list_templates(uow=uow, department_code="urban")
        every = await list_templates(uow=uow)
    assert [(t.title, t.closure_code) for t in urban] == [("路灯维修", ClosureCode.FIXED)]
    assert len(every) == 2
    async with uow:  # another department cannot remove it
        assert not await remove_template(uow=uow, template_id=lamp.id, department_code="housing")
    async with uow:
        assert await remove_template(uow=uow, template_id=lamp.id, department_code="urban")
    async with uow:
        assert await get_template(uow=uow, template_id=lamp.id) is None
