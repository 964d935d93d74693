"""Give the smart processes no manifest names something to lose: a field (one with the same code
as a managed one), a renamed stage, items."""

from __future__ import annotations

from b24cfg.manifest.validate import SmartProcessManifest
from b24cfg.planner.plan import Plan
from tests.scenarios.conftest import Session


def setup(session: Session) -> None:
    for record, code, user_type, label in ((session.type("supplier_invoice"), "AMOUNT", "double", "Amount"),
                                           (session.type("#Orders made by hand"), "NOTE", "string", "Note")):
        session.rest("userfieldconfig.add", {"moduleId": "crm", "field": {
            "entityId": f"CRM_{record['id']}", "fieldName": f"UF_CRM_{record['id']}_{code}", "userTypeId": user_type,
            "editFormLabel": {"en": label}}})
    new = session.stage("supplier_invoice", "General", "NEW")
    session.rest("crm.status.update", {"id": new["ID"], "fields": {"NAME": "Incoming", "SORT": 10}})
    session.add_items("supplier_invoice", pipeline="General", stage="NEW", count=2)


def check_plan(session: Session, plan: Plan, manifests: list[SmartProcessManifest]) -> None:
    assert plan.scope == ("contract",)
    assert all(c.address.smart_process == "contract" for c in plan.changes)
