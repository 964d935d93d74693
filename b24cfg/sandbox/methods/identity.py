"""Who am I, what may I call, what time is it: ``profile``, ``scope``, ``server.time``, ``methods``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from b24cfg.sandbox.core import REGISTRY, Call, method


@method("profile", scope="_global")
def profile(call: Call) -> dict[str, Any]:
    user = call.state["auth"]["users"][str(call.caller.user_id)]
    return {
        "ID": str(call.caller.user_id), "ADMIN": bool(user.get("admin")), "NAME": user.get("name", ""),
        "LAST_NAME": user.get("last_name", ""), "PERSONAL_GENDER": "", "TIME_ZONE": "", "TIME_ZONE_OFFSET": 0,
    }


@method("scope", scope="_global")
def scope(call: Call) -> list[str]:
    if call.param("full") in (True, "true", "1", 1, "Y"):
        return sorted({spec.scope for spec in REGISTRY.values() if spec.scope != "_global"})
    return sorted(call.caller.scopes)


@method("methods", scope="_global")
def methods(call: Call) -> list[str]:
    allowed = call.caller.scopes | {"_global"}
    return sorted(name for name, spec in REGISTRY.items() if spec.scope in allowed)


@method("server.time", scope="_global")
def server_time(call: Call) -> str:
    tz = call.state["portal"].get("tz", "+00:00")
    sign = 1 if tz[0] == "+" else -1
    offset = timezone(sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])))
    return datetime.fromtimestamp(call.portal.clock.time(), offset).isoformat(timespec="seconds")
