"""Emulated REST methods, one module per API family. Importing this package registers them all."""

from b24cfg.sandbox.methods import (  # noqa: F401
    app,
    automatedsolution,
    bizproc,
    crm,
    events,
    identity,
    items,
    placements,
    triggers,
    userfields,
)
